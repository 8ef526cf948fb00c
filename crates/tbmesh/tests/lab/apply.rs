//! The apply engine on the lab: converge, idempotency, reboot, MTU change,
//! commit-confirm rollback, interruption. Real hosts (systemd, ifupdown2,
//! FRR, sshd); nothing mocked.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use tbmesh_lab::lab::Power;
use tbmesh_lab::state::Backend;

use crate::support::TestLab;

pub fn spec_of(lab: &TestLab) -> PathBuf {
    lab.dir.dir.join("tbmesh.toml")
}

/// Run the tbmesh binary with `args` (a spec is passed with -f by callers).
pub fn tbmesh(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tbmesh"));
    cmd.args(args).stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("running tbmesh");
    eprintln!(
        "$ tbmesh {}\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `tbmesh -f SPEC args...`, asserting the exit status.
#[track_caller]
pub fn run_ok(spec: &Path, args: &[&str], status: i32) -> Output {
    let mut all = vec!["-f", spec.to_str().expect("utf-8 path")];
    all.extend_from_slice(args);
    let out = tbmesh(&all, &[]);
    assert_eq!(out.status.code(), Some(status), "tbmesh {args:?}");
    out
}

/// The mesh phases: these tests leave Ceph to tests/lab/ceph.rs.
pub const MESH: [&str; 6] = [
    "--phase", "links", "--phase", "network", "--phase", "fabric",
];

/// `args` followed by the mesh phases.
fn mesh(args: &[&'static str]) -> Vec<&'static str> {
    args.iter().copied().chain(MESH).collect()
}

/// Number of changes `tbmesh plan --json` reports for the mesh phases.
fn planned_changes(spec: &Path) -> u64 {
    let out = run_ok(spec, &mesh(&["plan", "--json"]), 0);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("plan --json is JSON");
    v["changes"].as_u64().expect("changes")
}

/// Every router answers a full-MTU ping with DF set from every node,
/// retrying for up to `within` (routing converges after changes).
pub fn mesh_reachable(lab: &TestLab, mtu: u32, within: Duration) {
    let routers: Vec<&str> = lab
        .report
        .nodes
        .iter()
        .map(|n| n.router_ip.as_str())
        .collect();
    let deadline = Instant::now() + within;
    for node in &lab.report.nodes {
        for r in routers.iter().filter(|r| **r != node.router_ip) {
            let cmd = format!(
                "ping -M do -s {} -c 1 -W 1 -I {} {r}",
                mtu - 28,
                node.router_ip
            );
            loop {
                if lab.ssh(&node.name, &cmd).status.success() {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "{} cannot reach {r} with {mtu}-byte DF pings",
                    node.name
                );
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    }
}

#[test]
fn a_first_apply_builds_the_mesh_and_a_second_apply_changes_nothing() {
    // A new lab, left converged for the tests that share it.
    let lab = crate::shared::fresh();
    let spec = lab.spec.clone();
    assert!(planned_changes(&spec) > 0);
    let daemons_mode = lab.sh("n2", "stat -c %a /etc/frr/daemons");
    let out = run_ok(&spec, &mesh(&["apply"]), 0);
    assert!(String::from_utf8_lossy(&out.stderr).contains("finished"));
    mesh_reachable(&lab, 65520, Duration::from_secs(10));
    for node in lab.node_names() {
        // FRR routes the other routers over the fabric, from the router address.
        let routes = lab.sh(&node, "ip route show proto openfabric");
        assert_eq!(routes.lines().count(), 2, "{node}: {routes}");
        assert!(lab
            .sh(
                &node,
                "systemctl is-enabled tbmesh-links.service frr.service"
            )
            .lines()
            .all(|l| l == "enabled"));
        // The units tbmesh wrote pass systemd's own checks on a real systemd.
        lab.sh(&node, "systemd-analyze verify /etc/systemd/system/tbmesh-links.service /etc/systemd/system/tbmesh-ifup@en05.service");
        assert_eq!(
            lab.sh(&node, "grep ^fabricd= /etc/frr/daemons").trim(),
            "fabricd=yes"
        );
        assert_eq!(
            lab.sh(&node, "stat -c %a /etc/frr/daemons"),
            daemons_mode,
            "a line edit keeps the vendor file's mode"
        );
    }
    let again = run_ok(&spec, &mesh(&["apply"]), 0);
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("no changes"),
        "second apply changed something"
    );
    assert_eq!(planned_changes(&spec), 0);
}

#[test]
fn a_rebooted_node_comes_back_with_its_mesh_without_another_apply() {
    let lab = crate::shared::lab(crate::shared::Level::Mesh);
    let spec = lab.spec.clone();
    lab.power("n3", Power::Reboot { hard: false });
    // PITFALLS 1-4: ports up with addresses, FRR started after them, routes back.
    mesh_reachable(&lab, 65520, Duration::from_secs(90));
    assert_eq!(
        lab.sh("n3", "systemctl is-active tbmesh-links.service")
            .trim(),
        "active"
    );
    let addrs = lab.sh(
        "n3",
        "ip -o -4 addr show dev en05; ip -o -4 addr show dev en06",
    );
    assert_eq!(addrs.matches("10.100.0.13/32").count(), 2, "{addrs}");
    assert_eq!(
        planned_changes(&spec),
        0,
        "a reboot must not undo anything tbmesh wrote"
    );
}

#[test]
fn an_mtu_change_plans_exactly_the_interfaces_file_and_applies() {
    let lab = TestLab::up("tmtu", Backend::Container, 3);
    let spec = spec_of(&lab);
    run_ok(&spec, &mesh(&["apply"]), 0);
    let text = std::fs::read_to_string(&spec).expect("spec");
    assert!(text.contains("mtu = 65520"));
    let changed = lab.dir.dir.join("mtu9000.toml");
    std::fs::write(&changed, text.replace("mtu = 65520", "mtu = 9000")).expect("write spec");
    let out = run_ok(&changed, &mesh(&["plan", "--json"]), 0);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    for node in v["plan"]["nodes"].as_array().expect("nodes") {
        let files: Vec<&str> = node["files"]
            .as_array()
            .expect("files")
            .iter()
            .filter(|f| f["action"] != "unchanged")
            .filter_map(|f| f["path"].as_str())
            .collect();
        assert_eq!(
            files,
            vec!["/etc/network/interfaces.d/tbmesh"],
            "{}",
            node["node"]
        );
        let steps: Vec<&str> = node["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .filter_map(|s| s["command"].as_str())
            .collect();
        // ifreload, then the check that every interface has its addresses.
        assert_eq!(
            steps,
            vec!["ifreload -a", "/usr/local/lib/tbmesh/wait-links --present"]
        );
    }
    run_ok(&changed, &mesh(&["apply"]), 0);
    for node in lab.node_names() {
        assert_eq!(lab.port(&node, "en05").2, 9000);
    }
    mesh_reachable(&lab, 9000, Duration::from_secs(30));
    assert_eq!(planned_changes(&changed), 0);
}

#[test]
fn a_change_that_cuts_management_is_rolled_back_by_the_node_itself() {
    let lab = TestLab::up("tconfirm", Backend::Container, 3);
    let spec = spec_of(&lab);
    // Test-only fault: n3's network phase also takes its management
    // interface down (through tbmesh's own file, as a bad stanza would).
    let mut args = vec![
        "-f",
        spec.to_str().expect("path"),
        "apply",
        "--confirm-timeout",
        "30",
    ];
    args.extend(MESH);
    let out = tbmesh(&args, &[("TBMESH_FAULT", "break-mgmt:n3")]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("n3: network: rolled back by its commit-confirm timer"),
        "{err}"
    );
    assert!(err.contains("phase network failed; later phases were not run"));
    // n3 is reachable again, and its network files are as before the apply.
    assert_eq!(lab.sh("n3", "hostname").trim(), "n3");
    assert_eq!(
        lab.sh(
            "n3",
            "test -e /etc/network/interfaces.d/tbmesh && echo present || echo absent"
        )
        .trim(),
        "absent"
    );
    let journal = lab.sh("n3", "cat /var/lib/tbmesh/backups/*/journal");
    assert!(journal.contains("rolled back"), "{journal}");
    // A clean apply afterwards converges.
    run_ok(&spec, &mesh(&["apply"]), 0);
    mesh_reachable(&lab, 65520, Duration::from_secs(10));
}

#[test]
fn an_apply_killed_midway_converges_on_the_next_apply() {
    let lab = TestLab::up("tkill", Backend::Container, 3);
    let spec = spec_of(&lab);
    let mut child = Command::new(env!("CARGO_BIN_EXE_tbmesh"))
        .args(["-f", spec.to_str().expect("path"), "apply"])
        .args(MESH)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting tbmesh");
    // Mid-apply: after the network phase, while the fabric converges. The
    // scripts already sent finish on the nodes; nothing confirms them.
    std::thread::sleep(Duration::from_secs(6));
    child.kill().expect("killing tbmesh");
    let _ = child.wait();
    std::thread::sleep(Duration::from_secs(5));
    for node in lab.node_names() {
        let leftovers = lab.sh(&node, "find /etc /usr/local/lib/tbmesh -name '*.tbmesh.??????' -o -name '*.tbmesh-rollback' 2>/dev/null");
        assert!(
            leftovers.trim().is_empty(),
            "{node}: half-written files: {leftovers}"
        );
    }
    let out = run_ok(&spec, &mesh(&["apply"]), 0);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("which was interrupted before it was confirmed") || err.contains("finished"),
        "{err}"
    );
    mesh_reachable(&lab, 65520, Duration::from_secs(10));
    assert_eq!(planned_changes(&spec), 0);
}

#[test]
fn rollback_restores_the_files_of_an_apply() {
    let lab = TestLab::up("trollbk", Backend::Container, 3);
    let spec = spec_of(&lab);
    let before = lab.sh("n2", "cat /etc/frr/daemons");
    run_ok(&spec, &mesh(&["apply"]), 0);
    let out = run_ok(&spec, &["rollback", "--json"], 0);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["ok"], true);
    assert_eq!(lab.sh("n2", "cat /etc/frr/daemons"), before);
    assert_eq!(
        lab.sh(
            "n2",
            "ls /etc/network/interfaces.d/ | grep -c tbmesh || true"
        )
        .trim(),
        "0"
    );
    assert!(
        planned_changes(&spec) > 0,
        "after a rollback, apply has work again"
    );
}
