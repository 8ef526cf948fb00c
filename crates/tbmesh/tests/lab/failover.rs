//! `tbmesh failover-test` on the shared lab: faults on a real FRR mesh,
//! measured by the command, restored; and the node-side timer that removes
//! a fault when tbmesh is killed in the middle of it.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::shared::{self, Level};
use crate::support::{log, TestLab};

/// `tbmesh -f SPEC failover-test ARGS --json` with results kept in `state`.
fn failover_test(spec: &Path, state: &Path, args: &[&str]) -> (Option<i32>, Value) {
    let started = Instant::now();
    let out: Output = Command::new(env!("CARGO_BIN_EXE_tbmesh"))
        .arg("-f")
        .arg(spec)
        .args(["failover-test", "--mesh"])
        .args(args)
        .arg("--json")
        .env("XDG_STATE_HOME", state)
        .stdin(Stdio::null())
        .output()
        .expect("running tbmesh");
    let stderr = String::from_utf8_lossy(&out.stderr);
    log(&format!(
        "$ tbmesh failover-test {} --json ({:.0} s)\n{stderr}",
        args.join(" "),
        started.elapsed().as_secs_f64()
    ));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "failover-test --json is not one JSON document ({e}):\n{}\n{stderr}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (out.status.code(), doc)
}

/// Runs `tbmesh verify --mesh` every 2 s until it passes; fails the test
/// after `bound`, saying `when`, with each node's addresses and journal.
fn wait_mesh_verified(lab: &TestLab, spec: &Path, bound: Duration, when: &str) {
    let waited = Instant::now();
    loop {
        let out = Command::new(env!("CARGO_BIN_EXE_tbmesh"))
            .arg("-f")
            .arg(spec)
            .args(["verify", "--mesh", "--failed"])
            .stdin(Stdio::null())
            .output()
            .expect("verify");
        if out.status.success() {
            return;
        }
        if waited.elapsed() >= bound {
            panic!(
                "the mesh does not verify {when}:\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                node_diagnostics(lab)
            );
        }
        std::thread::sleep(Duration::from_secs(2));
    }
}

/// Each node's addresses and the end of its journal, for a failure message.
fn node_diagnostics(lab: &TestLab) -> String {
    let mut s = String::new();
    for node in &lab.report.nodes {
        let out = lab.ssh(
            &node.name,
            "ip -br addr; journalctl -b --no-pager -n 250 -o short-monotonic",
        );
        s.push_str(&format!(
            "--- {} ---\n{}{}\n",
            node.name,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    s
}

/// Whether the rendered FRR configuration runs BFD on the fabric ports.
fn has_bfd(lab: &TestLab) -> bool {
    lab.ssh("n2", "grep -q 'openfabric bfd' /etc/frr/frr.conf")
        .status
        .success()
}

/// The checks every run must pass: each case measured every pair of
/// `nodes` in both directions, removed its fault, and verify passed after.
/// Returns, per case, (kind, whether traffic between the cable's ends
/// resumed during the fault, within `bound` s, in both directions).
fn cases(doc: &Value, nodes: usize, bound: f64) -> Vec<(String, bool)> {
    let cases = doc["cases"].as_array().expect("cases");
    cases
        .iter()
        .map(|c| {
            let pairs = c["pairs"].as_array().expect("pairs");
            assert_eq!(pairs.len(), nodes * (nodes - 1), "every pair: {c}");
            for p in pairs {
                assert!(p["received"].as_u64().unwrap_or(0) > 100, "answers: {p}");
                assert!(p["fault"].is_number() && p["baseline"].is_number(), "{p}");
            }
            assert_eq!(c["restored"], true, "{c}");
            assert_eq!(c["verify_ok"], true, "{c}");
            let on_link: Vec<&Value> = pairs.iter().filter(|p| p["on_link"] == true).collect();
            assert_eq!(on_link.len(), 2, "{c}");
            let resumed = on_link
                .iter()
                .all(|p| p["resumed"].as_f64().is_some_and(|s| s < bound));
            (c["kind"].as_str().unwrap_or("").to_string(), resumed)
        })
        .collect()
}

/// Nothing of a fault is left on the cable's ends.
fn no_fault_left(lab: &TestLab, ends: &[(&str, &str)]) {
    for (node, port) in ends {
        let (up, carrier, _) = lab.port(node, port);
        assert!(up && carrier, "{node}:{port} not back up");
        assert!(
            !lab.ssh(node, "nft list table netdev tbmesh_failover")
                .status
                .success(),
            "{node}: the silent fault's table is still there"
        );
        let units = lab.sh(
            node,
            "systemctl list-units --all --plain --no-legend 'tbmesh-failover-*'",
        );
        assert!(units.trim().is_empty(), "{node}: units left: {units}");
    }
}

#[test]
fn failover_test_measures_down_and_silent_and_a_killed_run_is_undone_by_the_node() {
    // The shared lab, mesh applied; every fault here is removed before the
    // test ends (asserted), and a failed test's fault by the node's timer.
    let lab = shared::lab(Level::Mesh);
    let spec = lab.spec.clone();
    let bfd = has_bfd(&lab);
    let state = tempfile::tempdir().expect("a state directory");

    // Down on n2:en05, then silent on each end of that cable.
    let (status, doc) = failover_test(
        &spec,
        state.path(),
        &[
            "--link",
            "n2:en05",
            "--fault-secs",
            "8",
            "--after-secs",
            "5",
        ],
    );
    assert_eq!(doc["cluster"], "lab", "{doc}");
    assert!(doc["time"].is_string() && doc["tbmesh_version"].is_string());
    let got = cases(&doc, 3, 10.0);
    let kinds: Vec<&str> = got.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["down", "silent", "silent"]);
    let ends: Vec<&str> = doc["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| c["end"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(ends, ["n2:en05", "n2:en05", "n3:en05"]);
    // A pulled cable: the pair reroutes through n4 while it is out.
    assert!(got[0].1, "traffic did not resume during down: {doc}");
    // Silent (the faulted end receives nothing; put in place as an egress
    // drop on the other end): with BFD the adjacency goes down on both ends
    // and the pair reroutes through n4 for the rest of the fault, in both
    // directions — no black hole. Without BFD the end that still hears
    // hellos keeps the adjacency until its hold time and the command must
    // report a black hole (status 1).
    let holes = doc["black_holed"].as_array().map_or(0, Vec::len);
    log(&format!(
        "bfd {bfd}: silent resumed: {} / {}; black-holed pairs: {holes}",
        got[1].1, got[2].1
    ));
    if bfd {
        assert!(
            got[1].1 && got[2].1,
            "silent: traffic between the cable's ends did not resume during the fault: {doc}"
        );
        assert_eq!(holes, 0, "{doc}");
    }
    assert_eq!(status, Some(if holes == 0 { 0 } else { 1 }), "{doc}");
    no_fault_left(&lab, &[("n2", "en05"), ("n3", "en05")]);
    let saved: Vec<_> = std::fs::read_dir(state.path().join("tbmesh/lab"))
        .expect("results saved")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("failover-"))
        .collect();
    assert_eq!(saved.len(), 1);

    // tbmesh killed (with its ssh connections) during a fault: the node's
    // timer removes the fault by itself. `n3:en06 silent` is put in place on
    // the other end of that cable, n4:en05.
    let max = 10u64;
    let mut child = Command::new(env!("CARGO_BIN_EXE_tbmesh"))
        .arg("-f")
        .arg(&spec)
        .args([
            "failover-test",
            "--mesh",
            "--link",
            "n3:en06",
            "--kind",
            "silent",
            "--fault-secs",
            "5",
            "--max-fault-secs",
            &max.to_string(),
        ])
        .env("XDG_STATE_HOME", state.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("starting tbmesh");
    let fault_on = |node: &str| {
        lab.ssh(node, "nft list table netdev tbmesh_failover")
            .status
            .success()
    };
    let waited = Instant::now();
    while !fault_on("n4") {
        assert!(
            waited.elapsed() < Duration::from_secs(120),
            "the fault never appeared on n4"
        );
        assert!(
            child.try_wait().expect("polling tbmesh").is_none(),
            "tbmesh ended before faulting"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let faulted = Instant::now();
    let pgid = format!("-{}", child.id());
    let killed = Command::new("kill")
        .args(["-KILL", "--", &pgid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let _ = child.wait();
    assert!(fault_on("n4"), "killing tbmesh must not remove the fault");
    while fault_on("n4") {
        assert!(
            faulted.elapsed() < Duration::from_secs(max + 10),
            "the node did not remove the fault within --max-fault-secs {max}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    log(&format!(
        "the node removed the fault {:.1} s after it was put in place",
        faulted.elapsed().as_secs_f64()
    ));
    // The timer's service ran and is gone; the mesh verifies again.
    wait_mesh_verified(
        &lab,
        &spec,
        Duration::from_secs(90),
        "after the timer removed the fault",
    );
    no_fault_left(&lab, &[("n3", "en06"), ("n4", "en05")]);
}

/// failover-test on the VM backend: cable n2:en05 -- n3:en05 of the 2-node
/// VM lab, already applied; called from the one VM test (vm.rs; a VM lab of
/// its own would cost 10+ minutes of TCG). Down (carrier lost on both ends,
/// as a pulled cable) and silent on each end; traffic takes the second
/// cable while the fault lasts.
pub fn vm_case(lab: &TestLab, spec: &Path) {
    let state = tempfile::tempdir().expect("a state directory");
    // failover-test refuses a mesh that does not verify: after the cable
    // tests before this one, BFD (300 ms under TCG) may still be coming up.
    wait_mesh_verified(
        lab,
        spec,
        Duration::from_secs(180),
        "before failover-test on the VMs",
    );
    let (status, doc) = failover_test(
        spec,
        state.path(),
        &[
            "--link",
            "n2:en05",
            "--fault-secs",
            "8",
            "--max-fault-secs",
            "60",
            "--after-secs",
            "5",
        ],
    );
    let got = cases(&doc, 2, 15.0);
    let kinds: Vec<&str> = got.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["down", "silent", "silent"], "{doc}");
    assert!(got[0].1, "traffic did not resume during down: {doc}");
    let bfd = has_bfd(lab);
    let holes = doc["black_holed"].as_array().map_or(0, Vec::len);
    log(&format!("VM: bfd {bfd}, black-holed pairs: {holes}"));
    if bfd {
        assert!(
            got[1].1 && got[2].1,
            "silent: traffic did not resume: {doc}"
        );
        assert_eq!(holes, 0, "{doc}");
    }
    assert_eq!(status, Some(if holes == 0 { 0 } else { 1 }), "{doc}");
    no_fault_left(lab, &[("n2", "en05"), ("n3", "en05")]);
}
