//! `pve-sdn` mode on the lab, against the pvesh stand-in (no Proxmox here):
//! fresh apply (tbmesh's frr.conf.local and bfdd= written in the fabric
//! phase, then the API apply inside that phase, before its confirmation), a
//! second apply with no changing call, a change of one port, and a rollback
//! when Proxmox's apply fails (after an object change, and inside the fabric
//! phase after a frr.conf.local change). One container lab.
//!
//! Set-up (from this test, not the image): every node gets stand-in
//! `pve-manager` 9.1.1 and `libpve-network-perl` 1.2.3 packages (empty
//! .debs: preflight and facts see a PVE 9.1 node) and the per-node
//! renderer; n2, where tbmesh runs pvesh, gets the stand-in `pvesh`, the
//! schema, /etc/pve/members and an `on-apply` hook that sends the running
//! config to every member over ssh (the lab's key, copied onto n2), where
//! each node writes its interfaces.d/sdn and frr.conf (router address on lo:
//! the lab kernel has no dummy interfaces). docs/lab.md has the limits.

use crate::apply::run_ok;
use crate::support::{log, TestLab};
use std::path::{Path, PathBuf};
use tbmesh_lab::state::Backend;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/pve");

/// Write `content` to `path` on `node` (through the lab's ssh).
fn put(lab: &TestLab, node: &str, path: &str, content: &[u8], mode: &str) {
    use std::io::Write;
    let mut child = std::process::Command::new("ssh")
        .arg("-F")
        .arg(lab.ssh_config())
        .args([
            "-o",
            "BatchMode=yes",
            node,
            "--",
            &format!("mkdir -p \"$(dirname {path})\" && cat > {path} && chmod {mode} {path}"),
        ])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("ssh");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(content)
        .expect("write");
    assert!(
        child.wait().expect("wait").success(),
        "writing {path} on {node}"
    );
}

fn data(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(DATA).join(name)).expect("test data")
}

fn install(lab: &TestLab) {
    for node in lab.node_names() {
        // Empty packages standing for PVE 9.1's (preflight, facts).
        lab.sh(&node, "set -e; for p in 'pve-manager 9.1.1' 'libpve-network-perl 1.2.3'; do set -- $p; d=$(mktemp -d); mkdir -p $d/DEBIAN; printf 'Package: %s\\nVersion: %s\\nArchitecture: all\\nMaintainer: tbmesh lab test <none@example.invalid>\\nDescription: stand-in for Proxmox VE (tbmesh lab test)\\n' $1 $2 > $d/DEBIAN/control; dpkg-deb -b $d /tmp/$1.deb >/dev/null; dpkg -i /tmp/$1.deb >/dev/null; done");
        put(
            lab,
            &node,
            "/usr/local/lib/pvesh-standin/standin-render-node",
            &data("standin-render-node"),
            "755",
        );
    }
    put(
        lab,
        "n2",
        "/usr/local/lib/pvesh-standin/pvesh-standin",
        &data("pvesh-standin"),
        "755",
    );
    put(
        lab,
        "n2",
        "/usr/local/lib/pvesh-standin/fabrics-api.json",
        &data("fabrics-api.json"),
        "644",
    );
    put(
        lab,
        "n2",
        "/usr/local/lib/pvesh-standin/standin-on-apply",
        &data("standin-on-apply"),
        "755",
    );
    lab.sh("n2", "ln -sf /usr/local/lib/pvesh-standin/pvesh-standin /usr/local/bin/pvesh && mkdir -p /etc/pve && printf 'n2\\nn3\\nn4\\n' > /etc/pve/members && ln -sf /usr/local/lib/pvesh-standin/standin-on-apply /etc/pve/on-apply");
    // n2 reaches the other members with the lab's key (pmxcfs stand-in).
    let dir = &lab.dir.dir;
    put(
        lab,
        "n2",
        "/root/.ssh/id_lab",
        &std::fs::read(dir.join("id_ed25519")).expect("key"),
        "600",
    );
    put(
        lab,
        "n2",
        "/root/.ssh/known_hosts",
        &std::fs::read(dir.join("known_hosts")).expect("known_hosts"),
        "644",
    );
    let mut cfg = String::new();
    for (n, ip) in [("n3", "10.11.11.13"), ("n4", "10.11.11.14")] {
        cfg.push_str(&format!("Host {n}\n    HostName {ip}\n    User root\n    IdentityFile /root/.ssh/id_lab\n    StrictHostKeyChecking yes\n"));
    }
    put(lab, "n2", "/root/.ssh/config", cfg.as_bytes(), "600");
}

/// Calls of the stand-in's log that change something (all but `get`).
/// Writes `text` to `spec` and applies it while the stand-in's next
/// `pvesh set /cluster/sdn` fails.
fn apply_with_a_failing_pve_apply(
    lab: &TestLab,
    spec: &std::path::Path,
    text: &str,
) -> std::process::Output {
    std::fs::write(spec, text).expect("write spec");
    lab.sh("n2", "touch /etc/pve/fail-next-apply");
    let mut argv = vec!["-f", spec.to_str().expect("utf-8"), "apply"];
    argv.extend(crate::apply::MESH);
    crate::apply::tbmesh(&argv, &[])
}

fn changing_calls(lab: &TestLab) -> usize {
    lab.sh("n2", "cat /etc/pve/calls.log 2>/dev/null || true")
        .lines()
        .filter(|l| !l.starts_with("get "))
        .count()
}

#[test]
fn pve_sdn_apply_against_the_pvesh_standin() {
    let started = std::time::Instant::now();
    let lab = TestLab::up("pve", Backend::Container, 3);
    install(&lab);
    // The stand-in itself refuses a schema violation, on the node.
    let out = lab.ssh("n2", "pvesh create /cluster/sdn/fabrics/fabric --id tb9 --protocol openfabric --ip_prefix 10.9.0.0/24 --mtu 9000");
    assert_eq!(out.status.code(), Some(255));
    assert!(String::from_utf8_lossy(&out.stderr).contains("mtu: property is not defined in schema"));
    assert!(
        lab.ssh("n2", "test -e /etc/pve/sdn/fabrics.cfg")
            .status
            .code()
            == Some(1)
    );
    // The stand-in logs every call it is given, refused ones too.
    let base = changing_calls(&lab);

    // The lab's spec in pve-sdn mode (router address: Proxmox's dummy).
    let text = std::fs::read_to_string(lab.dir.dir.join("tbmesh.toml")).expect("spec");
    let text = text
        .replace("mode = \"frr\"", "mode = \"pve-sdn\"")
        .replace("router_interface = \"lo\"\n", "");
    let spec: PathBuf = lab.dir.dir.join("tbmesh-pve.toml");
    std::fs::write(&spec, &text).expect("write spec");
    let mesh = [
        "--phase", "links", "--phase", "network", "--phase", "fabric",
    ];
    let args = |cmd: &'static str| -> Vec<&str> { std::iter::once(cmd).chain(mesh).collect() };

    // Plan shows the objects as a fabrics.cfg diff and the calls.
    let out = run_ok(&spec, &args("plan"), 0);
    let plan = String::from_utf8_lossy(&out.stdout);
    assert!(plan.contains("+openfabric_fabric: tb4"), "{plan}");
    assert!(
        plan.contains("pvesh create /cluster/sdn/fabrics/node/tb4 --node_id n3"),
        "{plan}"
    );

    // Fresh apply: 5 changing calls, fabrics.cfg as rendered, routers reach each other.
    run_ok(&spec, &args("apply"), 0);
    assert_eq!(changing_calls(&lab), base + 5);
    let rendered = tbmesh_core::render::fabrics_cfg(
        &tbmesh_core::spec::load(&tbmesh_core::Source::new("tbmesh.toml", text.as_str()))
            .expect("valid")
            .0,
    );
    assert_eq!(lab.sh("n2", "cat /etc/pve/sdn/fabrics.cfg"), rendered);
    lab.sh("n3", "ping -c 1 -W 2 -I 10.100.0.13 10.100.0.14");
    // tbmesh's frr.conf.local (BFD, lsp-gen-interval) was written before
    // the API apply and merged into what the stand-in wrote, bfdd runs.
    let conf = lab.sh("n3", "cat /etc/frr/frr.conf");
    assert!(
        conf.contains(" openfabric csnp-interval 5\n openfabric bfd\nexit\n"),
        "{conf}"
    );
    assert!(conf.contains(" lsp-gen-interval 1\nexit\n"), "{conf}");
    assert!(lab
        .sh("n3", "cat /etc/frr/daemons")
        .lines()
        .any(|l| l == "bfdd=yes"));
    lab.sh(
        "n3",
        "for i in $(seq 30); do [ \"$(vtysh -c 'show bfd peers brief' | grep -cw up)\" -ge 2 ] && exit 0; sleep 1; done; vtysh -c 'show bfd peers brief'; exit 1",
    );
    log(&format!(
        "pve-sdn fresh apply done after {:.0} s",
        started.elapsed().as_secs_f64()
    ));

    // Second apply: no changing call.
    run_ok(&spec, &args("apply"), 0);
    assert_eq!(changing_calls(&lab), base + 5);

    // One port changes: one `set` of that node and the apply.
    let changed = text.replacen(
        "ports = { en05 = {}",
        "ports = { en05 = { hello_multiplier = 5 }",
        1,
    );
    assert_ne!(changed, text, "the lab spec declares ports as en05 = {{}}");
    std::fs::write(&spec, &changed).expect("write spec");
    run_ok(&spec, &args("apply"), 0);
    assert_eq!(changing_calls(&lab), base + 7);
    assert!(lab
        .sh("n2", "cat /etc/pve/sdn/fabrics.cfg")
        .contains("\tinterfaces name=en05,hello_multiplier=5\n"));
    assert!(lab.sh("n2", "cat /etc/frr/frr.conf").contains("interface en05\n ip router openfabric tb4\n openfabric hello-interval 1\n openfabric hello-multiplier 5\n"));
    let before = lab.sh("n2", "cat /etc/pve/sdn/fabrics.cfg");

    // Rollback: Proxmox's apply fails; the previous objects come back.
    let out = apply_with_a_failing_pve_apply(&lab, &spec, &text);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("previous objects restored: yes")
            || String::from_utf8_lossy(&out.stdout).contains("previous objects restored: yes")
    );
    assert_eq!(lab.sh("n2", "cat /etc/pve/sdn/fabrics.cfg"), before);
    lab.sh("n3", "ping -c 1 -W 2 -I 10.100.0.13 10.100.0.12");

    // Rollback inside the fabric phase: only frr.conf.local changes (BFD
    // off; the objects already match), so the phase runs `pvesh set
    // /cluster/sdn` alone before its confirmation; that apply fails, the
    // nodes roll their files back and the old frr.conf.local is applied again.
    let no_bfd = changed.replacen("[fabric]\n", "[fabric]\nbfd = false\n", 1);
    assert_ne!(no_bfd, changed);
    let calls = changing_calls(&lab);
    let out = apply_with_a_failing_pve_apply(&lab, &spec, &no_bfd);
    assert_ne!(out.status.code(), Some(0), "{}", crate::support::text(&out));
    assert!(
        crate::support::text(&out).contains("previous objects restored: yes"),
        "{}",
        crate::support::text(&out)
    );
    // The failed `set /cluster/sdn` and the one that restored.
    assert_eq!(changing_calls(&lab), calls + 2);
    assert_eq!(lab.sh("n2", "cat /etc/pve/sdn/fabrics.cfg"), before);
    assert!(lab
        .sh("n3", "cat /etc/frr/frr.conf.local")
        .contains(" openfabric bfd\n"));
    assert!(lab
        .sh("n3", "cat /etc/frr/frr.conf")
        .contains(" openfabric bfd\n"));
    lab.sh("n3", "ping -c 1 -W 2 -I 10.100.0.13 10.100.0.14");
    log(&format!(
        "pve-sdn lab test took {:.0} s",
        started.elapsed().as_secs_f64()
    ));
}
