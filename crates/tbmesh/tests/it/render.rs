//! `tbmesh render`: snapshots of every rendered file, for each example in
//! each routing mode, and the byte-exact formats of FORMATS.md.
//!
//! Snapshots live in `tests/it/snapshots/render/<example>-<mode>/` as the
//! tree `render --out` writes. After a deliberate change, regenerate with
//! `TBMESH_UPDATE_SNAPSHOTS=1 cargo nextest run -p tbmesh --test it render`
//! and read the diff (`git diff`) before committing it.

use crate::{example, repo, tbmesh_in, Test};
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

const EXAMPLES: [&str; 3] = ["ms01-3node", "ring-5node", "static-3node"];
const MODES: [&str; 3] = ["pve-sdn", "frr", "static"];

/// The example's text with its fabric mode changed to `mode`.
fn in_mode(name: &str, mode: &str) -> String {
    let text = example(&format!("{name}.toml"));
    let line = text
        .lines()
        .find(|l| l.starts_with("mode = "))
        .unwrap_or_else(|| panic!("{name} has no mode line"))
        .to_string();
    let mut out = text.replacen(&line, &format!("mode = \"{mode}\""), 1);
    if mode == "static" && !out.contains("link_prefix") {
        out = out.replacen(
            "prefix = \"10.100.0.0/24\"",
            "prefix = \"10.100.0.0/24\"\nlink_prefix = \"10.100.1.0/24\"",
            1,
        );
    }
    if mode != "static" {
        out = out
            .lines()
            .filter(|l| !l.starts_with("link_prefix"))
            .map(|l| format!("{l}\n"))
            .collect();
    }
    out
}

/// Every file under `dir`: relative path → (content, mode bits).
fn tree(dir: &Path) -> BTreeMap<PathBuf, (String, u32)> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, (String, u32)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("read dir")
            .flatten()
            .collect();
        entries.sort_by_key(|e| e.path());
        for e in entries {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).expect("inside").to_path_buf();
                let content = std::fs::read_to_string(&p).expect("read file");
                let mode = std::fs::metadata(&p).expect("stat").permissions().mode() & 0o777;
                out.insert(rel, (content, mode));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn render_to(spec: &str) -> (crate::Output, PathBuf) {
    render_with(spec, &[])
}

fn render_with(spec: &str, extra: &[&str]) -> (crate::Output, PathBuf) {
    let mut args = vec!["render", "--out", "out"];
    args.extend_from_slice(extra);
    let out = Test::new().spec(spec).args(args).run();
    out.status(0);
    let dir = out.dir.join("out");
    (out, dir)
}

/// The reference cluster with n2's ports declared en06 first.
fn reversed_ports(mode: &str) -> String {
    in_mode("ms01-3node", mode).replacen(
        "ports = { en05 = \"0000:00:0d.2\", en06 = \"0000:00:0d.3\" }",
        "ports = { en06 = \"0000:00:0d.3\", en05 = \"0000:00:0d.2\" }",
        1,
    )
}

/// The reference cluster with n2's en05 named ab0 (sorts before dummy_tb4).
fn port_before_dummy(mode: &str) -> String {
    in_mode("ms01-3node", mode)
        .replacen("ports = { en05", "ports = { ab0", 1)
        .replacen("n2:en05", "n2:ab0", 1)
}

/// The reference cluster with n2's en05 at hello multiplier 5 (the fabric's 3 elsewhere).
fn per_port_multiplier(mode: &str) -> String {
    in_mode("ms01-3node", mode).replacen(
        "ports = { en05 = \"0000:00:0d.2\"",
        "ports = { en05 = { pci = \"0000:00:0d.2\", hello_multiplier = 5 }",
        1,
    )
}

/// Every snapshot: (directory name, spec, extra render arguments).
/// Dual stack (issue 11 item 2): the reference cluster with an IPv6 prefix.
fn dual_stack(mode: &str) -> String {
    let text = in_mode("ms01-3node", mode);
    assert!(text.contains("prefix = \"10.100.0.0/24\"\n"));
    text.replacen(
        "prefix = \"10.100.0.0/24\"\n",
        "prefix = \"10.100.0.0/24\"\nprefix6 = \"fd00:100::/64\"\n",
        1,
    )
}

/// IPv6-only: the reference cluster with `prefix6` instead of `prefix` and
/// `router_ip6` fd00:100::12-14 instead of `router_ip` (Ceph on "fabric",
/// so on IPv6).
fn ipv6_only(mode: &str) -> String {
    let text = in_mode("ms01-3node", mode);
    assert!(text.contains("prefix = \"10.100.0.0/24\"\n"));
    let mut text = text.replacen(
        "prefix = \"10.100.0.0/24\"\n",
        "prefix6 = \"fd00:100::/64\"\n",
        1,
    );
    for n in 12..=14 {
        let ip4 = format!("router_ip = \"10.100.0.{n}\"");
        assert!(text.contains(&ip4));
        text = text.replacen(&ip4, &format!("router_ip6 = \"fd00:100::{n}\""), 1);
    }
    text
}

fn snapshot_cases() -> Vec<(String, String, Vec<&'static str>)> {
    let mut cases = vec![];
    for name in EXAMPLES {
        for mode in MODES {
            cases.push((format!("{name}-{mode}"), in_mode(name, mode), vec![]));
        }
    }
    for mode in ["pve-sdn", "frr"] {
        cases.push((
            format!("reversed-ports-{mode}"),
            reversed_ports(mode),
            vec![],
        ));
        cases.push((
            format!("port-before-dummy-{mode}"),
            port_before_dummy(mode),
            vec![],
        ));
        cases.push((format!("dual-stack-{mode}"), dual_stack(mode), vec![]));
        cases.push((format!("ipv6-only-{mode}"), ipv6_only(mode), vec![]));
        cases.push((
            format!("per-port-multiplier-{mode}"),
            per_port_multiplier(mode),
            vec![],
        ));
    }
    for v in ["9.0", "network:1.2.5", "network:1.3.0"] {
        let dir = format!(
            "ms01-3node-pve-sdn-pve{}",
            v.replace("network:", "-network-")
        );
        cases.push((dir, example("ms01-3node.toml"), vec!["--pve-version", v]));
    }
    cases
}

#[test]
fn snapshots_of_every_rendered_file() {
    let update = std::env::var_os("TBMESH_UPDATE_SNAPSHOTS").is_some();
    let mut failures = vec![];
    for (case, text, extra) in snapshot_cases() {
        {
            let (_out, dir) = render_with(&text, &extra);
            // The marker (the manifest of written files) is checked by the item1 tests.
            let mut got = tree(&dir);
            got.remove(Path::new(".tbmesh-render"));
            let snap = repo().join(format!("crates/tbmesh/tests/it/snapshots/render/{case}"));
            if update {
                let _ = std::fs::remove_dir_all(&snap);
                for (rel, (content, _)) in &got {
                    let p = snap.join(rel);
                    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
                    std::fs::write(&p, content).expect("write snapshot");
                }
                continue;
            }
            assert!(
                snap.is_dir(),
                "no snapshot {}: run with TBMESH_UPDATE_SNAPSHOTS=1",
                snap.display()
            );
            let want = tree(&snap);
            let got_paths: Vec<_> = got.keys().collect();
            let want_paths: Vec<_> = want.keys().collect();
            if got_paths != want_paths {
                failures.push(format!(
                    "{case}: files differ\n got: {got_paths:?}\nwant: {want_paths:?}"
                ));
                continue;
            }
            for (rel, (content, _)) in &got {
                if content != &want[rel].0 {
                    failures.push(format!(
                        "{case}: {} differs:\n--- got\n{content}\n--- want\n{}",
                        rel.display(),
                        want[rel].0
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// FORMATS.md, "Pending config": the reference cluster's fabrics.cfg, byte for byte.
const FABRICS_CFG: &str = "openfabric_fabric: tb4\n\tcsnp_interval 5\n\thello_interval 1\n\tip_prefix 10.100.0.0/24\n\nopenfabric_node: tb4_n2\n\tinterfaces name=en05,hello_multiplier=3\n\tinterfaces name=en06,hello_multiplier=3\n\tip 10.100.0.12\n\nopenfabric_node: tb4_n3\n\tinterfaces name=en05,hello_multiplier=3\n\tinterfaces name=en06,hello_multiplier=3\n\tip 10.100.0.13\n\nopenfabric_node: tb4_n4\n\tinterfaces name=en05,hello_multiplier=3\n\tinterfaces name=en06,hello_multiplier=3\n\tip 10.100.0.14\n";

/// FORMATS.md, "frr.conf fabric part for n2".
const FRR_FABRIC_N2: &str = "!
router openfabric tb4
 net 49.0001.0101.0000.0012.00
exit
!
interface dummy_tb4
 ip router openfabric tb4
 openfabric passive
exit
!
interface en05
 ip router openfabric tb4
 openfabric hello-interval 1
 openfabric hello-multiplier 3
 openfabric csnp-interval 5
exit
!
interface en06
 ip router openfabric tb4
 openfabric hello-interval 1
 openfabric hello-multiplier 3
 openfabric csnp-interval 5
exit
!
access-list pve_openfabric_tb4_ips permit 10.100.0.0/24
!
route-map pve_openfabric permit 100
 match ip address pve_openfabric_tb4_ips
 set src 10.100.0.12
exit
!
ip protocol openfabric route-map pve_openfabric
";

/// FORMATS.md, "What PVE generates per node": n2's interfaces.d/sdn (9.1+).
const SDN_INTERFACES_N2: &str = "auto dummy_tb4\niface dummy_tb4 inet static\n\taddress 10.100.0.12/32\n\tlink-type dummy\n\tip-forward 1\n\nauto en05\niface en05 inet static\n\taddress 10.100.0.12/32\n\tip-forward 1\n\nauto en06\niface en06 inet static\n\taddress 10.100.0.12/32\n\tip-forward 1\n";

#[test]
fn fabrics_cfg_is_byte_exact() {
    let (_out, dir) = render_to(&example("ms01-3node.toml"));
    let cfg =
        std::fs::read_to_string(dir.join("cluster/etc/pve/sdn/fabrics.cfg")).expect("fabrics.cfg");
    // FORMATS.md: no empty line at the end of the file.
    assert_eq!(cfg, FABRICS_CFG.trim_end_matches('\n').to_string() + "\n");
    assert!(!cfg.ends_with("\n\n"));
}

/// frr.conf without the lines tbmesh adds to PVE's blocks and without its
/// `bfd` block (docs/rendering.md).
fn without_additions(conf: &str) -> String {
    let mut s = [" lsp-gen-interval 1\n", " openfabric bfd\n"]
        .iter()
        .fold(conf.to_string(), |s, a| s.replace(a, ""));
    if let Some(start) = s.find("!\nbfd\n") {
        let end = s[start..]
            .find("\nexit\n")
            .map_or(s.len(), |e| start + e + "\nexit\n".len());
        s.replace_range(start..end, "");
    }
    s
}

#[test]
fn frr_fabric_part_is_byte_exact() {
    let (_out, dir) = render_to(&in_mode("ms01-3node", "frr"));
    let conf = std::fs::read_to_string(dir.join("nodes/n2/etc/frr/frr.conf")).expect("frr.conf");
    let start = conf.find("!\nrouter openfabric").expect("fabric part");
    let end = conf
        .find("ip protocol openfabric route-map pve_openfabric\n")
        .expect("end")
        + "ip protocol openfabric route-map pve_openfabric\n".len();
    // Without tbmesh's additions (what pve-sdn mode puts in frr.conf.local)
    // it is exactly what PVE generates.
    assert_eq!(without_additions(&conf[start..end]), FRR_FABRIC_N2);
    // Each addition sits inside its block, before `exit`.
    assert!(conf.contains(" net 49.0001.0101.0000.0012.00\n lsp-gen-interval 1\nexit\n"));
    assert_eq!(
        conf.matches(" openfabric csnp-interval 5\n openfabric bfd\nexit\n")
            .count(),
        2
    );
    // The header FORMATS.md names, and `line vty` at the end.
    for line in [
        "frr defaults datacenter\n",
        "hostname n2\n",
        "log syslog informational\n",
        "service integrated-vtysh-config\n",
    ] {
        assert!(conf[..start].contains(line), "header lacks {line:?}");
    }
    assert!(conf.ends_with("!\nline vty\n"));
}

/// FORMATS.md's IPv6 rules applied to n2's fabric part: `ipv6 router
/// openfabric` after `ip router openfabric` in every interface block, the
/// `ipv6 access-list ..._ip6s`, route-map `pve_openfabric6` (`match ipv6
/// address`, `set src <ip6>`) and `ipv6 protocol openfabric`; the NET from
/// the IPv4 address.
fn frr_fabric_n2_dual() -> String {
    let protocol = "!\nip protocol openfabric route-map pve_openfabric\n";
    let routemap = "!\nroute-map pve_openfabric permit 100\n";
    let part = FRR_FABRIC_N2
        .strip_suffix(protocol)
        .expect("FORMATS.md's part ends with `ip protocol`");
    assert!(part.contains(routemap));
    let part = part
        .replace(
            " ip router openfabric tb4\n",
            " ip router openfabric tb4\n ipv6 router openfabric tb4\n",
        )
        .replace(
            routemap,
            &format!(
                "!\nipv6 access-list pve_openfabric_tb4_ip6s permit fd00:100::/64\n{routemap}"
            ),
        );
    format!("{part}!\nroute-map pve_openfabric6 permit 100\n match ipv6 address pve_openfabric_tb4_ip6s\n set src fd00:100::1\nexit\n{protocol}!\nipv6 protocol openfabric route-map pve_openfabric6\n")
}

#[test]
fn dual_stack_renders_ipv6_in_frr_and_pve_sdn_modes() {
    let (_out, dir) = render_to(&dual_stack("frr"));
    let conf = std::fs::read_to_string(dir.join("nodes/n2/etc/frr/frr.conf")).expect("frr.conf");
    let start = conf.find("!\nrouter openfabric").expect("fabric part");
    let end = conf.find("!\nline vty").expect("end");
    assert_eq!(without_additions(&conf[start..end]), frr_fabric_n2_dual());
    let ifaces = std::fs::read_to_string(dir.join("nodes/n2/etc/network/interfaces.d/tbmesh"))
        .expect("interfaces");
    assert!(ifaces.contains("iface dummy_tb4 inet static\n\taddress 10.100.0.12/32\n\taddress fd00:100::1/128\n\tlink-type dummy\n"), "{ifaces}");
    let sysctl =
        std::fs::read_to_string(dir.join("nodes/n2/etc/sysctl.d/90-tbmesh.conf")).expect("sysctl");
    assert!(sysctl.contains("net.ipv6.conf.all.forwarding = 1\n"));

    let (_out, dir) = render_to(&dual_stack("pve-sdn"));
    let cfg =
        std::fs::read_to_string(dir.join("cluster/etc/pve/sdn/fabrics.cfg")).expect("fabrics.cfg");
    // Keys alphabetical (FORMATS.md): `ip6_prefix` sorts before `ip_prefix`.
    assert!(cfg.starts_with("openfabric_fabric: tb4\n\tcsnp_interval 5\n\thello_interval 1\n\tip6_prefix fd00:100::/64\n\tip_prefix 10.100.0.0/24\n\n"), "{cfg}");
    assert!(cfg.contains("openfabric_node: tb4_n4\n\tinterfaces name=en05,hello_multiplier=3\n\tinterfaces name=en06,hello_multiplier=3\n\tip 10.100.0.14\n\tip6 fd00:100::3\n"), "{cfg}");
    let sh = std::fs::read_to_string(dir.join("cluster/pvesh.sh")).expect("pvesh.sh");
    assert!(sh.contains("--ip_prefix 10.100.0.0/24 --hello_interval 1 --csnp_interval 5 --ip6_prefix fd00:100::/64\n"), "{sh}");
    assert!(
        sh.contains(
            "--node_id n3 --protocol openfabric --ip 10.100.0.13 --ip6 fd00:100::2 --interfaces"
        ),
        "{sh}"
    );
    let preview =
        std::fs::read_to_string(dir.join("cluster/preview/n2/etc/frr/frr.conf")).expect("preview");
    assert!(preview.contains(&frr_fabric_n2_dual()[2..]), "{preview}");
    let sdn = std::fs::read_to_string(dir.join("cluster/preview/n2/etc/network/interfaces.d/sdn"))
        .expect("sdn preview");
    assert!(sdn.starts_with("auto dummy_tb4\niface dummy_tb4 inet static\n\taddress 10.100.0.12/32\n\taddress fd00:100::1/128\n"), "{sdn}");
}

/// FORMATS.md's IPv6 rules for an IPv6-only n2 (fd00:100::12): only `ipv6
/// router openfabric` in the interface blocks, no IPv4 access-list,
/// route-map or `ip protocol`; the NET from the last three groups of the
/// IPv6 address.
const FRR_FABRIC_N2_V6_ONLY: &str = "!
router openfabric tb4
 net 49.0001.0000.0000.0012.00
exit
!
interface dummy_tb4
 ipv6 router openfabric tb4
 openfabric passive
exit
!
interface en05
 ipv6 router openfabric tb4
 openfabric hello-interval 1
 openfabric hello-multiplier 3
 openfabric csnp-interval 5
exit
!
interface en06
 ipv6 router openfabric tb4
 openfabric hello-interval 1
 openfabric hello-multiplier 3
 openfabric csnp-interval 5
exit
!
ipv6 access-list pve_openfabric_tb4_ip6s permit fd00:100::/64
!
route-map pve_openfabric6 permit 100
 match ipv6 address pve_openfabric_tb4_ip6s
 set src fd00:100::12
exit
!
ipv6 protocol openfabric route-map pve_openfabric6
";

#[test]
fn ipv6_only_renders_in_frr_and_pve_sdn_modes_with_ceph_on_ipv6() {
    let (_out, dir) = render_to(&ipv6_only("frr"));
    let conf = std::fs::read_to_string(dir.join("nodes/n2/etc/frr/frr.conf")).expect("frr.conf");
    let start = conf.find("!\nrouter openfabric").expect("fabric part");
    let end = conf.find("!\nline vty").expect("end");
    assert_eq!(without_additions(&conf[start..end]), FRR_FABRIC_N2_V6_ONLY);
    // No BFD on an IPv6-only fabric (its sessions are on link-local addresses).
    assert!(!conf.contains("bfd"), "{conf}");
    let ifaces = std::fs::read_to_string(dir.join("nodes/n2/etc/network/interfaces.d/tbmesh"))
        .expect("interfaces");
    assert!(ifaces.contains("iface dummy_tb4 inet static\n\taddress fd00:100::12/128\n\tlink-type dummy\n\tip6-forward 1\n"), "{ifaces}");
    assert!(
        ifaces.contains("\nauto en05\niface en05\n\tip6-forward 1\n\tmtu 65520\n"),
        "{ifaces}"
    );
    assert!(!ifaces.contains("10.100."), "{ifaces}");
    let sysctl =
        std::fs::read_to_string(dir.join("nodes/n2/etc/sysctl.d/90-tbmesh.conf")).expect("sysctl");
    assert!(sysctl.contains("net.ipv6.conf.all.forwarding = 1\n"));
    // Ceph on the fabric's IPv6 prefix, bound to IPv6 only, addresses bracketed.
    let ceph = std::fs::read_to_string(dir.join("cluster/etc/pve/ceph.conf")).expect("ceph.conf");
    for line in [
        "\tcluster_network = fd00:100::/64\n",
        "\tpublic_network = fd00:100::/64\n",
        "\tmon_host = [fd00:100::12] [fd00:100::13] [fd00:100::14]\n",
        "\tms_bind_ipv4 = false\n",
        "\tms_bind_ipv6 = true\n",
        "[mon.n3]\n\tpublic_addr = [fd00:100::13]\n",
    ] {
        assert!(ceph.contains(line), "{line:?} not in\n{ceph}");
    }

    let (_out, dir) = render_to(&ipv6_only("pve-sdn"));
    let cfg =
        std::fs::read_to_string(dir.join("cluster/etc/pve/sdn/fabrics.cfg")).expect("fabrics.cfg");
    assert_eq!(cfg, "openfabric_fabric: tb4\n\tcsnp_interval 5\n\thello_interval 1\n\tip6_prefix fd00:100::/64\n\nopenfabric_node: tb4_n2\n\tinterfaces name=en05,hello_multiplier=3\n\tinterfaces name=en06,hello_multiplier=3\n\tip6 fd00:100::12\n\nopenfabric_node: tb4_n3\n\tinterfaces name=en05,hello_multiplier=3\n\tinterfaces name=en06,hello_multiplier=3\n\tip6 fd00:100::13\n\nopenfabric_node: tb4_n4\n\tinterfaces name=en05,hello_multiplier=3\n\tinterfaces name=en06,hello_multiplier=3\n\tip6 fd00:100::14\n");
    let sh = std::fs::read_to_string(dir.join("cluster/pvesh.sh")).expect("pvesh.sh");
    assert!(sh.contains("pvesh create /cluster/sdn/fabrics/fabric --id tb4 --protocol openfabric --hello_interval 1 --csnp_interval 5 --ip6_prefix fd00:100::/64\n"), "{sh}");
    assert!(
        sh.contains("--node_id n3 --protocol openfabric --ip6 fd00:100::13 --interfaces"),
        "{sh}"
    );
    assert!(!sh.contains("--ip ") && !sh.contains("--ip_prefix"), "{sh}");
    let preview =
        std::fs::read_to_string(dir.join("cluster/preview/n2/etc/frr/frr.conf")).expect("preview");
    assert!(preview.contains(&FRR_FABRIC_N2_V6_ONLY[2..]), "{preview}");
    assert!(
        !preview.contains("access-list pve_openfabric_tb4_ips"),
        "{preview}"
    );
    let sdn = std::fs::read_to_string(dir.join("cluster/preview/n2/etc/network/interfaces.d/sdn"))
        .expect("sdn preview");
    assert_eq!(sdn, "auto dummy_tb4\niface dummy_tb4 inet static\n\taddress fd00:100::12/128\n\tlink-type dummy\n\tip6-forward 1\n\nauto en05\niface en05\n\tip6-forward 1\n\nauto en06\niface en06\n\tip6-forward 1\n");
    let local = std::fs::read_to_string(dir.join("nodes/n2/etc/frr/frr.conf.local"))
        .expect("frr.conf.local");
    assert!(!local.contains("openfabric bfd"), "{local}");
}

#[test]
fn ceph_on_explicit_ipv6_networks_of_a_dual_stack_fabric() {
    // "fabric" on a dual-stack fabric stays IPv4 (docs/ceph.md).
    let (_out, dir) = render_to(&dual_stack("frr"));
    let ceph = std::fs::read_to_string(dir.join("cluster/etc/pve/ceph.conf")).expect("ceph.conf");
    assert!(
        ceph.contains("\tms_bind_ipv4 = true\n\tms_bind_ipv6 = false\n"),
        "{ceph}"
    );
    assert!(
        ceph.contains("\tmon_host = 10.100.0.12 10.100.0.13 10.100.0.14\n"),
        "{ceph}"
    );
    // Explicit IPv6 networks move Ceph to the IPv6 router addresses.
    let text = dual_stack("frr")
        .replacen(
            "public_network = \"fabric\"",
            "public_network = \"fd00:100::/64\"",
            1,
        )
        .replacen(
            "cluster_network = \"fabric\"",
            "cluster_network = \"fd00:100::/64\"",
            1,
        );
    let (_out, dir) = render_to(&text);
    let ceph = std::fs::read_to_string(dir.join("cluster/etc/pve/ceph.conf")).expect("ceph.conf");
    for line in [
        "\tpublic_network = fd00:100::/64\n",
        "\tmon_host = [fd00:100::1] [fd00:100::2] [fd00:100::3]\n",
        "\tms_bind_ipv4 = false\n",
        "\tms_bind_ipv6 = true\n",
        "[mon.n2]\n\tpublic_addr = [fd00:100::1]\n",
    ] {
        assert!(ceph.contains(line), "{line:?} not in\n{ceph}");
    }
    // pveceph takes the monitor address unbracketed.
    let steps = std::fs::read_to_string(dir.join("cluster/ceph.txt")).expect("ceph.txt");
    assert!(steps.contains("--mon-address fd00:100::2"), "{steps}");
    // The plain backend's monmap: IPv6 in brackets inside the addrvec.
    assert!(
        steps.contains("--addv n2 '[v2:[fd00:100::1]:3300,v1:[fd00:100::1]:6789]'"),
        "{steps}"
    );
    assert!(
        steps.contains("pveceph init --network fd00:100::/64 --cluster-network fd00:100::/64"),
        "{steps}"
    );
}

#[test]
fn pve_sdn_mode_puts_bfd_and_timers_in_frr_conf_local_and_bfd_can_be_off() {
    let (_out, dir) = render_to(&example("ms01-3node.toml"));
    let n2 = dir.join("nodes/n2/etc/frr");
    let local = std::fs::read_to_string(n2.join("frr.conf.local")).expect("frr.conf.local");
    assert!(local.contains("!\nrouter openfabric tb4\n lsp-gen-interval 1\nexit\n"));
    assert!(local.contains("!\ninterface en05\n openfabric bfd\nexit\n"));
    assert!(local.contains("!\ninterface en06\n openfabric bfd\nexit\n"));
    // Proxmox generates frr.conf itself.
    assert!(!n2.join("frr.conf").exists());
    let steps = std::fs::read_to_string(dir.join("nodes/n2/steps.txt")).expect("steps");
    assert!(steps.contains("bfdd=yes"), "{steps}");

    let text =
        example("ms01-3node.toml").replace("csnp_interval = 5", "csnp_interval = 5\nbfd = false");
    let (_out, dir) = render_to(&text);
    let local = std::fs::read_to_string(dir.join("nodes/n2/etc/frr/frr.conf.local"))
        .expect("frr.conf.local");
    assert!(!local.contains("bfd"), "{local}");
    assert!(local.contains(" lsp-gen-interval 1\n"));
    assert!(!local.contains("profile"), "{local}");
    let steps = std::fs::read_to_string(dir.join("nodes/n2/steps.txt")).expect("steps");
    assert!(!steps.contains("bfdd=yes"), "{steps}");
}

/// `bfd_interval` / `bfd_multiplier`: a bfdd profile, and a `peer` per port
/// keyed as fabricd registers its session (peer router address, own router
/// address, port), so fabricd's session takes the profile's timers.
#[test]
fn bfd_timers_become_a_profile_and_one_peer_per_port_in_both_modes() {
    let bfd_n2 = "bfd\n profile tbmesh\n  detect-multiplier 4\n  receive-interval 100\n  transmit-interval 100\n exit\n !\n peer 10.100.0.13 local-address 10.100.0.12 interface en05\n  profile tbmesh\n exit\n !\n peer 10.100.0.14 local-address 10.100.0.12 interface en06\n  profile tbmesh\n exit\n !\nexit\n!\n";
    let timers = |mode: &str| {
        in_mode("ms01-3node", mode).replace(
            "csnp_interval = 5",
            "csnp_interval = 5\nbfd_interval = 100\nbfd_multiplier = 4",
        )
    };
    let (_out, dir) = render_to(&timers("frr"));
    let conf = std::fs::read_to_string(dir.join("nodes/n2/etc/frr/frr.conf")).expect("frr.conf");
    assert!(
        conf.ends_with(&format!(
            "ip protocol openfabric route-map pve_openfabric\n!\n{bfd_n2}line vty\n"
        )),
        "{conf}"
    );
    let (_out, dir) = render_to(&timers("pve-sdn"));
    let local = std::fs::read_to_string(dir.join("nodes/n2/etc/frr/frr.conf.local"))
        .expect("frr.conf.local");
    assert!(local.ends_with(&format!("exit\n!\n{bfd_n2}")), "{local}");
    // Without timers: tbmesh's defaults, 100 ms x 3.
    let (_out, dir) = render_to(&in_mode("ms01-3node", "frr"));
    let conf = std::fs::read_to_string(dir.join("nodes/n2/etc/frr/frr.conf")).expect("frr.conf");
    let defaults = bfd_n2.replace("detect-multiplier 4", "detect-multiplier 3");
    assert!(
        conf.ends_with(&format!("!\n{defaults}line vty\n")),
        "{conf}"
    );
    // BFD off: no bfd block.
    let off =
        in_mode("ms01-3node", "frr").replace("csnp_interval = 5", "csnp_interval = 5\nbfd = false");
    let (_out, dir) = render_to(&off);
    let conf = std::fs::read_to_string(dir.join("nodes/n2/etc/frr/frr.conf")).expect("frr.conf");
    assert!(
        !conf.contains("\nbfd\n") && !conf.contains("profile"),
        "{conf}"
    );
}

#[test]
fn frr_mode_interfaces_match_what_pve_generates_plus_mtu() {
    let (_out, dir) = render_to(&in_mode("ms01-3node", "frr"));
    let got = std::fs::read_to_string(dir.join("nodes/n2/etc/network/interfaces.d/tbmesh"))
        .expect("interfaces");
    // Without tbmesh's comments and `mtu` lines it is PVE's file.
    let stripped: String = got
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("\tmtu "))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(stripped.trim_start_matches('\n'), SDN_INTERFACES_N2);
    assert_eq!(got.matches("\tmtu 65520\n").count(), 2);
}

#[test]
fn pvesh_calls_follow_formats_md() {
    let (_out, dir) = render_to(&example("ms01-3node.toml"));
    let sh = std::fs::read_to_string(dir.join("cluster/pvesh.sh")).expect("pvesh.sh");
    assert!(sh.contains("pvesh create /cluster/sdn/fabrics/fabric --id tb4 --protocol openfabric --ip_prefix 10.100.0.0/24 --hello_interval 1 --csnp_interval 5\n"));
    assert!(sh.contains("pvesh create /cluster/sdn/fabrics/node/tb4 --node_id n2 --protocol openfabric --ip 10.100.0.12 --interfaces name=en05,hello_multiplier=3 --interfaces name=en06,hello_multiplier=3\n"));
    assert!(sh.ends_with("pvesh set /cluster/sdn\n"));
}

#[test]
fn link_files_match_by_pci_path() {
    let (_out, dir) = render_to(&example("ms01-3node.toml"));
    let link =
        std::fs::read_to_string(dir.join("nodes/n3/etc/systemd/network/00-tbmesh-en06.link"))
            .expect("link");
    assert!(link.ends_with("[Match]\nPath=pci-0000:00:0d.3\nDriver=thunderbolt-net\n\n[Link]\nMACAddressPolicy=none\nName=en06\n"), "{link}");
}

#[test]
fn render_twice_gives_identical_trees() {
    let spec = example("ring-5node.toml");
    let (_a, dir_a) = render_to(&spec);
    let (_b, dir_b) = render_to(&spec);
    assert_eq!(tree(&dir_a), tree(&dir_b));
}

#[test]
fn render_refuses_a_foreign_directory() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("notes.txt"), "mine\n").expect("write");
    let out = Test::new()
        .spec(example("ms01-3node.toml"))
        .args(["render", "--out", &dir.path().display().to_string()])
        .run();
    out.status(2)
        .stderr_has("holds no earlier tbmesh render")
        .stderr_has("hint: choose a new or empty directory");
    assert!(dir.path().join("notes.txt").exists());
}

/// Issue 14 item 1: `render -f out/tbmesh.toml --out out` deleted the spec.
#[test]
fn item1_render_never_deletes_the_spec() {
    let t = Test::new().spec(example("ms01-3node.toml"));
    let spec_dir = t.path().join("out");
    std::fs::create_dir(&spec_dir).expect("mkdir");
    let spec = example("ms01-3node.toml");
    std::fs::write(spec_dir.join("tbmesh.toml"), &spec).expect("write");
    // An earlier render's marker beside the spec made the old render remove it all.
    std::fs::write(spec_dir.join(".tbmesh-render"), "tbmesh render\n").expect("write");
    let out = t
        .args(["render", "-f", "out/tbmesh.toml", "--out", "out"])
        .run();
    out.status(2)
        .stderr_has("holds the spec")
        .stderr_has("hint: render into a directory of its own");
    assert_eq!(
        std::fs::read_to_string(out.dir.join("out/tbmesh.toml")).expect("spec kept"),
        spec
    );
    // `--out .` beside tbmesh.toml is the same mistake.
    let out = Test::new()
        .spec(example("ms01-3node.toml"))
        .args(["render", "--out", "."])
        .run();
    out.status(2).stderr_has("holds the spec");
    assert!(out.dir.join("tbmesh.toml").exists());
}

/// Issue 14 item 1: a second render into a render directory removed the
/// directory's other files (notes, .git/); now only the files the earlier
/// render listed in its manifest are replaced.
#[test]
fn item1_render_only_removes_files_it_wrote() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path();
    std::fs::write(root.join("tbmesh.toml"), example("ring-5node.toml")).expect("write");
    let first = tbmesh_in(root, &["render", "--out", "out"]);
    first.status(0);
    let dir = root.join("out");
    let manifest = std::fs::read_to_string(dir.join(".tbmesh-render")).expect("marker");
    assert!(manifest.contains("nodes/pve5/steps.txt"), "{manifest}");
    std::fs::write(dir.join("notes.txt"), "mine\n").expect("write");
    std::fs::create_dir_all(dir.join(".git")).expect("mkdir");
    std::fs::write(dir.join(".git/config"), "[core]\n").expect("write");
    std::fs::write(dir.join("nodes/pve1/mine.txt"), "mine\n").expect("write");
    // A smaller cluster: the files of pve5 are the earlier render's to remove.
    let full = example("ring-5node.toml");
    let cut = full.find("[[node]]\nname = \"pve5\"").expect("pve5 node");
    let smaller = full[..cut].replacen(
        "\"pve4:en06 -- pve5:en05\",\n  \"pve5:en06 -- pve1:en05\",",
        "\"pve4:en06 -- pve1:en05\",",
        1,
    );
    assert!(!smaller.contains("pve5"));
    std::fs::write(root.join("small.toml"), &smaller).expect("write");
    let second = tbmesh_in(root, &["-f", "small.toml", "render", "--out", "out"]);
    second.status(0);
    for kept in ["notes.txt", ".git/config", "nodes/pve1/mine.txt"] {
        assert!(dir.join(kept).exists(), "{kept} was removed");
    }
    assert!(
        !dir.join("nodes/pve5").exists(),
        "the earlier render's pve5 files stay"
    );
    assert!(dir.join("nodes/pve4/steps.txt").exists());
    // A file render would write over that it did not write: refused, kept.
    std::fs::remove_file(dir.join(".tbmesh-render")).expect("rm marker");
    std::fs::write(dir.join(".tbmesh-render"), "tbmesh render\n").expect("old marker");
    let third = tbmesh_in(root, &["-f", "small.toml", "render", "--out", "out"]);
    third
        .status(2)
        .stderr_has("was not written by the earlier render");
    assert!(dir.join("nodes/pve4/steps.txt").exists());
    assert!(dir.join("notes.txt").exists());
}

#[test]
fn every_commentable_file_says_tbmesh_manages_it() {
    let (_out, dir) = render_to(&in_mode("ring-5node", "static"));
    let (_o2, dir2) = render_to(&in_mode("ring-5node", "frr"));
    for (rel, (content, _)) in tree(&dir).into_iter().chain(tree(&dir2)) {
        // fabrics.cfg and ceph.conf are in the layout Proxmox VE writes (no comments).
        if rel.ends_with(".tbmesh-render")
            || rel.ends_with("fabrics.cfg")
            || rel.ends_with("ceph.conf")
        {
            continue;
        }
        let head: Vec<&str> = content.lines().take(2).collect();
        assert!(
            head.iter().any(|l| l.contains("Managed by tbmesh")),
            "{} lacks the header",
            rel.display()
        );
    }
}

#[test]
fn scripts_are_executable_and_pass_bash_n_and_shellcheck() {
    let mut checked = 0;
    for mode in MODES {
        let (_out, dir) = render_to(&in_mode("ring-5node", mode));
        for (rel, (content, mode_bits)) in tree(&dir) {
            if !content.starts_with("#!/bin/bash") {
                continue;
            }
            assert_eq!(
                mode_bits & 0o111,
                0o111,
                "{} is not executable",
                rel.display()
            );
            let path = dir.join(&rel);
            let st = Command::new("bash")
                .arg("-n")
                .arg(&path)
                .status()
                .expect("bash");
            assert!(st.success(), "bash -n {}", rel.display());
            let sc = Command::new("shellcheck")
                .arg(&path)
                .output()
                .expect("shellcheck is installed (.ci/run installs it)");
            assert!(
                sc.status.success(),
                "shellcheck {}:\n{}",
                rel.display(),
                String::from_utf8_lossy(&sc.stdout)
            );
            checked += 1;
        }
    }
    assert!(checked >= 9, "only {checked} scripts checked");
}

#[test]
fn static_mode_routes_two_hop_pairs_through_the_path() {
    let (_out, dir) = render_to(&in_mode("ring-5node", "static"));
    let ifs = std::fs::read_to_string(dir.join("nodes/pve1/etc/network/interfaces.d/tbmesh"))
        .expect("interfaces");
    // pve1 -- pve2 is link 0 (10.100.1.0/31, pve2 end .1); pve3 is 2 hops, via pve2.
    assert!(
        ifs.contains(
            "\tpost-up ip route replace 10.100.0.3/32 via 10.100.1.1 dev en06 src 10.100.0.1\n"
        ),
        "{ifs}"
    );
    assert!(ifs.contains("\taddress 10.100.1.0/31\n"));
}

/// FORMATS.md, "Checked against Proxmox's source": interface blocks sorted by
/// name whatever the spec's port order, in frr.conf and in the preview.
#[test]
fn interface_blocks_are_sorted_by_name() {
    let (_out, dir) = render_to(&reversed_ports("frr"));
    let conf = std::fs::read_to_string(dir.join("nodes/n2/etc/frr/frr.conf")).expect("frr.conf");
    assert!(without_additions(&conf).contains(FRR_FABRIC_N2), "{conf}");
    let (_out, dir) = render_to(&port_before_dummy("pve-sdn"));
    let conf =
        std::fs::read_to_string(dir.join("cluster/preview/n2/etc/frr/frr.conf")).expect("preview");
    let at = |s: &str| conf.find(s).unwrap_or_else(|| panic!("no {s:?}"));
    assert!(at("interface ab0\n") < at("interface dummy_tb4\n"));
    assert!(at("interface dummy_tb4\n") < at("interface en06\n"));
}

/// The whole frr.conf Proxmox writes, per pve-network version (FORMATS.md).
#[test]
fn pve_frr_conf_preview_per_version() {
    let header = |v: &str| {
        format!("frr version {v}\nfrr defaults datacenter\nhostname n2\nlog syslog informational\nservice integrated-vtysh-config\n")
    };
    // `!` after each block: FORMATS.md's part minus its leading `!`.
    let body_after = FRR_FABRIC_N2.trim_start_matches("!\n");
    for (arg, version, ending) in [
        ("9.1", "10.3.1", "!\n!\nline vty\n!"),
        ("network:1.2.4", "10.4.1", "!\n!\nline vty\n!"),
        ("network:1.2.5", "10.4.1", "!\n!\nline vty\n!\n"),
    ] {
        let (_out, dir) = render_with(&example("ms01-3node.toml"), &["--pve-version", arg]);
        let conf = std::fs::read_to_string(dir.join("cluster/preview/n2/etc/frr/frr.conf"))
            .expect("preview");
        let want = format!("{}!\n{body_after}{ending}", header(version));
        assert_eq!(conf, want, "pve {arg}");
        assert!(!conf.lines().any(|l| l.starts_with('#')));
    }
    let (_out, dir) = render_with(
        &example("ms01-3node.toml"),
        &["--pve-version", "network:1.3.0"],
    );
    let conf =
        std::fs::read_to_string(dir.join("cluster/preview/n2/etc/frr/frr.conf")).expect("preview");
    assert_eq!(
        conf,
        format!("{}{FRR_FABRIC_N2}!\nline vty\n!\n", header("10.4.1"))
    );
}

#[test]
fn pve_version_is_checked() {
    let out = Test::new()
        .spec(example("ms01-3node.toml"))
        .args(["render", "--out", "out", "--pve-version", "8.4"])
        .run();
    out.status(2);
    assert!(
        out.stderr.contains("unknown Proxmox VE version \"8.4\""),
        "{}",
        out.stderr
    );
}

/// Proxmox 9.1 addresses the ports in interfaces.d/sdn; 9.0 did not.
#[test]
fn pve_interfaces_preview_per_version() {
    let (_out, dir) = render_to(&example("ms01-3node.toml"));
    let sdn = std::fs::read_to_string(dir.join("cluster/preview/n2/etc/network/interfaces.d/sdn"))
        .expect("sdn");
    assert_eq!(sdn, SDN_INTERFACES_N2);
    let (_out, dir) = render_with(&example("ms01-3node.toml"), &["--pve-version", "9.0"]);
    let sdn = std::fs::read_to_string(dir.join("cluster/preview/n2/etc/network/interfaces.d/sdn"))
        .expect("sdn");
    assert!(
        sdn.contains("\nauto en05\niface en05\n\tip-forward 1\n"),
        "{sdn}"
    );
}

/// A port's own hello_multiplier wins over the fabric's, in all three outputs.
#[test]
fn per_port_hello_multiplier() {
    let (_out, dir) = render_to(&per_port_multiplier("pve-sdn"));
    let cfg = std::fs::read_to_string(dir.join("cluster/etc/pve/sdn/fabrics.cfg")).expect("cfg");
    assert!(cfg.contains("openfabric_node: tb4_n2\n\tinterfaces name=en05,hello_multiplier=5\n\tinterfaces name=en06,hello_multiplier=3\n"));
    let sh = std::fs::read_to_string(dir.join("cluster/pvesh.sh")).expect("pvesh.sh");
    assert!(sh.contains("--node_id n2 --protocol openfabric --ip 10.100.0.12 --interfaces name=en05,hello_multiplier=5 --interfaces name=en06,hello_multiplier=3\n"));
    let (_out, dir) = render_to(&per_port_multiplier("frr"));
    let conf = std::fs::read_to_string(dir.join("nodes/n2/etc/frr/frr.conf")).expect("frr.conf");
    assert!(conf.contains("interface en05\n ip router openfabric tb4\n openfabric hello-interval 1\n openfabric hello-multiplier 5\n"));
    assert!(conf.contains("interface en06\n ip router openfabric tb4\n openfabric hello-interval 1\n openfabric hello-multiplier 3\n"));
}

/// FORMATS.md: Proxmox sets `ospfd=no` next to `fabricd=yes`.
#[test]
fn daemons_edit_sets_fabricd_and_ospfd() {
    let (_out, dir) = render_to(&in_mode("ms01-3node", "frr"));
    let steps = std::fs::read_to_string(dir.join("nodes/n2/steps.txt")).expect("steps");
    assert!(steps.contains("set `fabricd=yes` in /etc/frr/daemons"));
    assert!(steps.contains("set `ospfd=no` in /etc/frr/daemons"));
}

/// Issue 14 item 13: the Ceph listing was `ceph.sh` with a shebang, but its
/// `write ...`/`copy ...` lines are not shell. It is a plain listing now.
#[test]
fn item13_ceph_listing_is_a_txt_not_a_script() {
    let (_out, dir) = render_to(&example("ms01-3node.toml"));
    assert!(!dir.join("cluster/ceph.sh").exists());
    let listing = std::fs::read_to_string(dir.join("cluster/ceph.txt")).expect("ceph.txt");
    assert!(!listing.starts_with("#!"), "{listing}");
    assert!(listing.contains("A listing to read, not a script"));
    assert!(listing.contains("\nwrite /etc/ceph/ceph.conf"));
    let mode = std::fs::metadata(dir.join("cluster/ceph.txt"))
        .expect("stat")
        .permissions()
        .mode();
    assert_eq!(mode & 0o111, 0, "the listing is not executable");
}
