//! The `pvesh` stand-in (tests/data/pve/pvesh-standin) and the pve-sdn
//! planner (tbmesh_core::pve_sdn) together, offline: the stand-in is a real
//! program checking every call against Proxmox's published parameter schema
//! and writing fabrics.cfg by the section-config rules; the planner's calls
//! are run through it.

use crate::{example, repo};
use std::path::{Path, PathBuf};
use std::process::Command;
use tbmesh_core::pve_sdn::{calls, desired, parse_all, Objects};
use tbmesh_core::{Cluster, Source};

struct Standin {
    dir: PathBuf,
}

impl Standin {
    fn new(tag: &str) -> Standin {
        let dir = std::env::temp_dir().join(format!("tbmesh-pvesh-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join("members"), "n2\nn3\nn4\n").expect("members");
        Standin { dir }
    }

    /// Run `pvesh ARGS` (the first word `pvesh` is dropped): (status, stderr).
    fn run(&self, argv: &[String]) -> (i32, String, String) {
        let exe = repo().join("crates/tbmesh/tests/data/pve/pvesh-standin");
        let out = Command::new(exe)
            .args(&argv[1..])
            .env("PVESH_STANDIN_DIR", &self.dir)
            .output()
            .expect("python3 runs the stand-in");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn ok(&self, line: &str) {
        let argv: Vec<String> = line.split(' ').map(String::from).collect();
        let (code, _, err) = self.run(&argv);
        assert_eq!(code, 0, "{line}: {err}");
    }

    /// `line` is refused like pvesh (exit status 255) with `want` in stderr.
    fn refused(&self, line: &str, want: &str) {
        let argv: Vec<String> = line.split(' ').map(String::from).collect();
        let (code, _, err) = self.run(&argv);
        assert_eq!(code, 255, "{line} was accepted");
        assert!(err.contains(want), "{line}: {err}");
    }

    fn all(&self) -> Objects {
        let (code, out, err) = self.run(&[
            "pvesh".into(),
            "get".into(),
            "/cluster/sdn/fabrics/all".into(),
            "--output-format".into(),
            "json".into(),
        ]);
        assert_eq!(code, 0, "{err}");
        parse_all(&out).expect("the stand-in's JSON parses")
    }

    fn cfg(&self) -> String {
        std::fs::read_to_string(self.dir.join("sdn/fabrics.cfg")).unwrap_or_default()
    }

    /// Run every call; returns how many change something (all but `get`).
    fn apply(&self, cs: &[Vec<String>]) -> usize {
        for c in cs {
            let (code, _, err) = self.run(c);
            assert_eq!(code, 0, "{}: {err}", c.join(" "));
        }
        cs.len()
    }
}

impl Drop for Standin {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn cluster(text: &str) -> Cluster {
    tbmesh_core::spec::load(&Source::new("tbmesh.toml", text))
        .expect("valid spec")
        .0
}

fn rendered_cfg(text: &str) -> String {
    tbmesh_core::render::fabrics_cfg(&cluster(text))
}

#[test]
fn standin_refuses_what_the_schema_refuses() {
    let s = Standin::new("schema");
    s.ok("pvesh create /cluster/sdn/fabrics/fabric --id tb4 --protocol openfabric --ip_prefix 10.100.0.0/24");
    for (line, want) in [
        // unknown parameter
        ("pvesh create /cluster/sdn/fabrics/fabric --id tb5 --protocol openfabric --ip_prefix 10.1.0.0/24 --mtu 9000", "mtu: property is not defined in schema"),
        // missing required
        ("pvesh create /cluster/sdn/fabrics/fabric --id tb5 --ip_prefix 10.1.0.0/24", "protocol: property is missing and it is not optional"),
        // wrong format / range / enum
        ("pvesh create /cluster/sdn/fabrics/fabric --id tb5 --protocol openfabric --ip_prefix 10.1.0.0", "ip_prefix: invalid format"),
        ("pvesh create /cluster/sdn/fabrics/fabric --id tb5 --protocol openfabric --ip_prefix 10.1.0.0/24 --hello_interval 0", "hello_interval: value must have a minimum value of 1"),
        ("pvesh create /cluster/sdn/fabrics/fabric --id tb5 --protocol isis --ip_prefix 10.1.0.0/24", "protocol: value 'isis' does not have a value in the enumeration"),
        ("pvesh create /cluster/sdn/fabrics/node/tb4 --node_id n_2 --protocol openfabric --ip 10.100.0.12", "node_id: invalid format - value does not look like a valid pve-node"),
        ("pvesh create /cluster/sdn/fabrics/node/tb4 --node_id n2 --protocol openfabric --ip 10.100.0.12 --interfaces name=tb-0", "interfaces: invalid format - name: invalid format - value does not look like a valid pve-iface"),
        ("pvesh create /cluster/sdn/fabrics/node/tb4 --node_id n2 --protocol openfabric --ip 10.100.0.12 --interfaces name=en05,hello_multiplier=1", "interfaces: invalid format - hello_multiplier: value must have a minimum value of 2"),
        // a protocol's own key on the other protocol
        ("pvesh create /cluster/sdn/fabrics/fabric --id tb5 --protocol openfabric --ip_prefix 10.1.0.0/24 --area 0", "area: not allowed for protocol 'openfabric'"),
        // not a cluster member
        ("pvesh create /cluster/sdn/fabrics/node/tb4 --node_id n9 --protocol openfabric --ip 10.100.0.19", "node 'n9' is not a member of the cluster"),
    ] {
        s.refused(line, want);
    }
    // Nothing refused reached the config.
    assert_eq!(
        s.cfg(),
        "openfabric_fabric: tb4\n\tip_prefix 10.100.0.0/24\n"
    );
}

#[test]
fn planner_against_the_standin_fresh_idempotent_one_port_rollback() {
    let s = Standin::new("plan");
    let text = example("ms01-3node.toml");
    let want = desired(&cluster(&text));
    // Fresh apply: the stand-in holds exactly the rendered fabrics.cfg.
    let before = s.all();
    assert_eq!(before, Objects::default());
    let n = s.apply(&calls(&before, &want, "tb4"));
    assert_eq!(n, 5);
    assert_eq!(s.cfg(), rendered_cfg(&text));
    // Second apply: what the API answers equals the spec, no call at all.
    assert!(calls(&s.all(), &want, "tb4").is_empty());
    // One port changes: one `set` of that node, then `set /cluster/sdn`.
    let changed_text = text.replacen(
        "ports = { en05 = \"0000:00:0d.2\"",
        "ports = { en05 = { pci = \"0000:00:0d.2\", hello_multiplier = 5 }",
        1,
    );
    let applied = s.all();
    let step = calls(&applied, &desired(&cluster(&changed_text)), "tb4");
    assert_eq!(step.len(), 2, "{step:?}");
    assert!(step[0]
        .join(" ")
        .starts_with("pvesh set /cluster/sdn/fabrics/node/tb4/n2 "));
    s.apply(&step);
    assert_eq!(s.cfg(), rendered_cfg(&changed_text));
    // Rollback: back to the objects before the change, byte for byte.
    s.apply(&calls(&s.all(), &applied, "tb4"));
    assert_eq!(s.cfg(), rendered_cfg(&text));
    // The stand-in kept every call; the running config was written on apply.
    let log = std::fs::read_to_string(s.dir.join("calls.log")).expect("log");
    assert_eq!(log.lines().filter(|l| *l == "set /cluster/sdn").count(), 3);
    assert!(Path::new(&s.dir.join("sdn/.running-config")).exists());
}

/// The reference cluster, IPv6-only (`prefix6`, `router_ip6`) or dual stack.
fn ipv6_only_text() -> String {
    let mut text = example("ms01-3node.toml").replacen(
        "prefix = \"10.100.0.0/24\"",
        "prefix6 = \"fd00:100::/64\"",
        1,
    );
    for n in 12..=14 {
        text = text.replacen(
            &format!("router_ip = \"10.100.0.{n}\""),
            &format!("router_ip6 = \"fd00:100::{n}\""),
            1,
        );
    }
    text
}

#[test]
fn standin_checks_the_ipv6_parameters_by_the_schema() {
    let s = Standin::new("ipv6");
    // An IPv6-only fabric and node: ip6_prefix and ip6 alone are accepted,
    // and so is an interface's ip6 (CIDRv6).
    s.ok("pvesh create /cluster/sdn/fabrics/fabric --id tb6 --protocol openfabric --ip6_prefix fd00:100::/64");
    s.ok("pvesh create /cluster/sdn/fabrics/node/tb6 --node_id n2 --protocol openfabric --ip6 fd00:100::12 --interfaces name=en05,ip6=fd00:1::1/64");
    for (line, want) in [
        // ip6 is format ipv6: no prefix length, no IPv4
        ("pvesh create /cluster/sdn/fabrics/node/tb6 --node_id n3 --protocol openfabric --ip6 fd00:100::13/64", "ip6: invalid format - value does not look like a valid ipv6"),
        ("pvesh create /cluster/sdn/fabrics/node/tb6 --node_id n3 --protocol openfabric --ip6 10.100.0.13", "ip6: invalid format - value does not look like a valid ipv6"),
        // an interface's ip6 is CIDRv6
        ("pvesh create /cluster/sdn/fabrics/node/tb6 --node_id n3 --protocol openfabric --ip6 fd00:100::13 --interfaces name=en05,ip6=10.0.0.1/31", "interfaces: invalid format - ip6: invalid format - value does not look like a valid CIDRv6"),
        ("pvesh create /cluster/sdn/fabrics/node/tb6 --node_id n3 --protocol openfabric --ip6 fd00:100::13 --interfaces name=en05,ip6=fd00:1::1", "interfaces: invalid format - ip6: invalid format - value does not look like a valid CIDRv6"),
        // ip6_prefix is a CIDR, and an IPv6 one
        ("pvesh create /cluster/sdn/fabrics/fabric --id tb7 --protocol openfabric --ip6_prefix fd00:200::", "ip6_prefix: invalid format - value does not look like a valid CIDR"),
        ("pvesh create /cluster/sdn/fabrics/fabric --id tb7 --protocol openfabric --ip6_prefix 10.1.0.0/24", "ip6_prefix: invalid format - ip6_prefix must be an IPv6 prefix"),
        ("pvesh create /cluster/sdn/fabrics/fabric --id tb7 --protocol openfabric --ip_prefix fd00:200::/64", "ip_prefix: invalid format - ip_prefix must be an IPv4 prefix"),
        // no prefix at all
        ("pvesh create /cluster/sdn/fabrics/fabric --id tb7 --protocol openfabric", "a fabric needs ip_prefix or ip6_prefix"),
        // a node's addresses follow its fabric's prefixes
        ("pvesh create /cluster/sdn/fabrics/node/tb6 --node_id n3 --protocol openfabric --ip6 fd00:200::13", "ip6: fd00:200::13 is not inside ip6_prefix fd00:100::/64"),
        ("pvesh create /cluster/sdn/fabrics/node/tb6 --node_id n3 --protocol openfabric --ip 10.100.0.13", "ip: fabric 'tb6' has no ip_prefix"),
    ] {
        s.refused(line, want);
    }
    assert_eq!(
        s.cfg(),
        "openfabric_fabric: tb6\n\tip6_prefix fd00:100::/64\n\nopenfabric_node: tb6_n2\n\tinterfaces name=en05,ip6=fd00:1::1/64\n\tip6 fd00:100::12\n"
    );
}

#[test]
fn planner_against_the_standin_ipv6_only_and_from_dual_stack_to_ipv6_only() {
    let s = Standin::new("plan6");
    let v6 = ipv6_only_text();
    let want = desired(&cluster(&v6));
    // Fresh IPv6-only apply: exactly the rendered fabrics.cfg; then no call.
    assert_eq!(s.apply(&calls(&s.all(), &want, "tb4")), 5);
    assert_eq!(s.cfg(), rendered_cfg(&v6));
    assert!(calls(&s.all(), &want, "tb4").is_empty());

    // Dual stack first, then IPv6-only: the IPv4 keys are deleted.
    let s = Standin::new("plan46");
    let dual = example("ms01-3node.toml").replacen(
        "prefix = \"10.100.0.0/24\"",
        "prefix = \"10.100.0.0/24\"\nprefix6 = \"fd00:100::/64\"",
        1,
    );
    let dual = (12..=14).fold(dual, |t, n| {
        t.replacen(
            &format!("router_ip = \"10.100.0.{n}\""),
            &format!("router_ip = \"10.100.0.{n}\"\nrouter_ip6 = \"fd00:100::{n}\""),
            1,
        )
    });
    s.apply(&calls(&s.all(), &desired(&cluster(&dual)), "tb4"));
    assert_eq!(s.cfg(), rendered_cfg(&dual));
    // The fabric's `set` comes first (the planner's order), then one `set`
    // per node; the stand-in checks a node's addresses when that node
    // changes. (Whether Proxmox accepts dropping ip_prefix while nodes still
    // hold an `ip` is not known here: the stand-in does not model it.)
    let step = calls(&s.all(), &want, "tb4");
    let text: Vec<String> = step.iter().map(|c| c.join(" ")).collect();
    assert!(
        text.iter().any(
            |c| c.starts_with("pvesh set /cluster/sdn/fabrics/fabric/tb4 ")
                && c.contains("--delete ip_prefix")
        ),
        "{text:#?}"
    );
    assert!(
        text.iter().any(
            |c| c.starts_with("pvesh set /cluster/sdn/fabrics/node/tb4/n3 ")
                && c.contains("--delete ip")
        ),
        "{text:#?}"
    );
    s.apply(&step);
    assert_eq!(s.cfg(), rendered_cfg(&v6));
    assert!(calls(&s.all(), &want, "tb4").is_empty());
}
