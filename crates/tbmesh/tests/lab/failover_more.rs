//! `tbmesh failover-test --reboot NODE` and `--ceph` on the shared Ceph
//! lab: a node rebooted while the others probe, back and verified, the lab
//! left as found; a Ceph client load during a cable fault, its figure in
//! the JSON and its temporary pool gone after.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::apply::tbmesh;
use crate::bench::ceph_state;
use crate::ceph::{wait_clean, wait_healthy};
use crate::shared::{self, Level};
use crate::support::log;

/// `tbmesh -f SPEC failover-test ARGS --json`, results kept in `state`.
fn failover_test(spec: &Path, state: &Path, args: &[&str]) -> (Option<i32>, Value) {
    let spec = spec.to_str().expect("a UTF-8 path");
    let mut all = vec!["-f", spec, "failover-test"];
    all.extend_from_slice(args);
    all.push("--json");
    let state = state.to_str().expect("a UTF-8 path");
    let out = tbmesh(&all, &[("XDG_STATE_HOME", state)]);
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("failover-test --json is not one JSON document: {e}"));
    (out.status.code(), doc)
}

/// `tbmesh verify` (mesh and Ceph) passes.
fn verify_passes(spec: &Path) -> bool {
    Command::new(env!("CARGO_BIN_EXE_tbmesh"))
        .arg("-f")
        .arg(spec)
        .args(["verify", "--failed"])
        .stdin(Stdio::null())
        .status()
        .expect("verify")
        .success()
}

#[test]
fn failover_test_reboot_measures_the_other_pairs_and_waits_for_the_node_and_ceph() {
    let lab = shared::lab(Level::Ceph);
    let spec = lab.spec.clone();
    let state = tempfile::tempdir().expect("a state directory");
    assert!(verify_passes(&spec), "the shared Ceph lab does not verify");
    let boot = lab.boot_id("n4");

    // No --mesh: the gate, and the wait after, include Ceph's health and
    // PGs active+clean.
    let (status, doc) = failover_test(
        &spec,
        state.path(),
        &["--reboot", "n4", "--boot-timeout", "300"],
    );
    assert_eq!(status, Some(0), "{doc:#}");
    assert_eq!(doc["reboot"], "n4");
    let cases = doc["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 1, "{doc:#}");
    let c = &cases[0];
    assert_eq!(
        (c["kind"].as_str(), c["end"].as_str()),
        (Some("reboot"), Some("n4"))
    );
    assert_eq!(c["restored"], true, "{c:#}");
    assert_eq!(c["verify_ok"], true, "{c:#}");
    assert!(c["error"].is_null(), "{c:#}");
    let node_back = c["node_back"].as_f64().expect("node_back");
    let routes_back = c["routes_back"].as_f64().expect("routes_back");
    log(&format!(
        "n4 back after {node_back:.1} s, routes after {routes_back:.1} s, verify {} s later",
        c["verify_after"]
    ));
    // The node really went away: its routes were gone for a while.
    assert!(routes_back > 0.5 && node_back > 0.0, "{c:#}");
    // n2 and n3 probed each other and n4; n4, rebooting, probed nothing.
    let pairs = c["pairs"].as_array().expect("pairs");
    let mut seen: Vec<(String, String)> = pairs
        .iter()
        .map(|p| {
            (
                p["from"].as_str().unwrap_or("").to_string(),
                p["to"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    seen.sort();
    let want: Vec<(String, String)> = [("n2", "n3"), ("n2", "n4"), ("n3", "n2"), ("n3", "n4")]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(seen, want, "{c:#}");
    for p in pairs.iter().filter(|p| p["to"] != "n4") {
        // Between the other nodes traffic went on (their direct cable).
        assert!(p["received"].as_u64().unwrap_or(0) > 100, "{p:#}");
        assert!(p["resumed"].is_number(), "{p:#}");
    }
    for p in pairs.iter().filter(|p| p["to"] == "n4") {
        assert!(
            p["fault"].as_f64().unwrap_or(0.0) > 0.5,
            "no outage seen: {p:#}"
        );
    }
    assert!(doc["black_holed"].as_array().is_some_and(Vec::is_empty));

    // Left as found: a new boot, PGs active+clean, verify passing.
    assert_ne!(lab.boot_id("n4"), boot, "n4 was not rebooted");
    wait_clean(&lab, 6, Duration::from_secs(10));
    wait_healthy(&lab, Duration::from_secs(10));
    assert!(verify_passes(&spec), "verify fails after the reboot case");
}

#[test]
fn failover_test_ceph_reports_the_longest_client_stall_and_deletes_its_pool() {
    let lab = shared::lab(Level::Ceph);
    let spec = lab.spec.clone();
    let state = tempfile::tempdir().expect("a state directory");
    let before = ceph_state(&lab);
    assert!(!before.0.contains("tbmesh-failover-"), "{}", before.0);

    let (status, doc) = failover_test(
        &spec,
        state.path(),
        &[
            "--ceph",
            "--link",
            "n2:en05",
            "--kind",
            "down",
            "--fault-secs",
            "5",
            "--after-secs",
            "3",
        ],
    );
    assert_eq!(status, Some(0), "{doc:#}");
    let ceph = &doc["ceph"];
    let pool = ceph["pool"].as_str().expect("pool");
    assert!(pool.starts_with("tbmesh-failover-"), "{ceph:#}");
    assert_eq!(ceph["size"], 3, "the cluster's pool size: {ceph:#}");
    assert_eq!(ceph["cleanup"]["pool_deleted"], true, "{ceph:#}");
    let case = &doc["cases"][0];
    let load = &case["ceph"];
    log(&format!("ceph load during n2:en05 down: {load:#}"));
    // The load ran off the cable's ends, wrote, and the stall is its
    // highest write latency.
    assert_eq!(load["node"], "n4", "{load:#}");
    assert!(load["error"].is_null(), "{load:#}");
    assert!(load["ops"].as_u64().unwrap_or(0) > 10, "{load:#}");
    let stall = case["ceph_max_latency"].as_f64().expect("a stall figure");
    assert_eq!(load["max_latency"].as_f64(), Some(stall));
    assert!(stall > 0.0 && stall >= load["avg_latency"].as_f64().unwrap_or(f64::MAX));

    // Nothing left: the same pools, mon_allow_pool_delete as before.
    assert_eq!(ceph_state(&lab), before);
}
