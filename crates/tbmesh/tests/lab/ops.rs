//! Day-two operations on the shared 3-node Ceph lab (tests/lab/shared.rs):
//! `tbmesh preflight` passes on a converged cluster and shows every port and
//! OSD device; a node whose FRR package is marked for removal in dpkg's
//! database fails it with exit 1 (put back at once); a no-op apply with
//! Ceph reads everything in one round trip, skips the gate's ping matrix
//! and prints tune's "skipped" lines only with -v.

use crate::apply::run_ok;
use crate::shared::{self, Level};

#[test]
fn preflight_passes_on_the_ceph_lab_and_fails_without_frr_and_a_noop_apply_skips_the_gate() {
    let lab = shared::lab(Level::Ceph);
    let spec = &lab.spec;

    // preflight: no fails on a converged lab; every port and disk has a row.
    let out = run_ok(spec, &["--json", "preflight"], 0);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("preflight --json");
    assert_eq!(v["ok"], true);
    let rows = v["rows"].as_array().expect("rows");
    let row = |node: &str, check: &str| {
        rows.iter()
            .find(|r| r["node"] == node && r["check"] == check)
            .unwrap_or_else(|| panic!("no row {node} {check}: {v}"))
            .clone()
    };
    for node in lab.node_names() {
        assert_eq!(row(&node, "frr")["status"], "pass");
        assert_eq!(row(&node, "port en05")["status"], "pass");
        assert_eq!(row(&node, "port en06")["status"], "pass");
        assert_eq!(row(&node, "management")["status"], "pass");
        assert!(row(&node, "os")["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("plain Debian")));
        let disks: Vec<&serde_json::Value> = rows
            .iter()
            .filter(|r| {
                r["node"] == node.as_str()
                    && r["check"].as_str().is_some_and(|c| c.starts_with("disk "))
            })
            .collect();
        assert_eq!(disks.len(), 1, "{node}: one OSD device");
        assert!(
            disks[0]["detail"]
                .as_str()
                .is_some_and(|d| d.contains("of this cluster")),
            "{node}: the OSD device holds this cluster's OSDs: {}",
            disks[0]
        );
    }

    // A node "without FRR": dpkg's database says frr is to be removed
    // (installed-but-deselected reads as not installed); put back at once.
    lab.sh("n3", "echo 'frr deinstall' | dpkg --set-selections");
    let out = run_ok(spec, &["--json", "preflight"], 1);
    lab.sh("n3", "echo 'frr install' | dpkg --set-selections");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("preflight --json");
    let failed: Vec<String> = v["rows"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["status"] == "fail")
        .map(|r| format!("{} {}", r["node"], r["check"]))
        .collect();
    assert!(failed.contains(&"\"n3\" \"frr\"".to_string()), "{failed:?}");
    assert!(failed.iter().all(|f| f.starts_with("\"n3\"")), "{failed:?}");

    // A no-op apply: one round trip, no gate, no tune chatter.
    let out = run_ok(spec, &["apply"], 0);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no changes"), "{err}");
    assert!(!err.contains("gate:"), "a no-op apply ran the gate: {err}");
    assert!(!err.contains("tune: skipped"), "{err}");
    let out = run_ok(spec, &["apply", "-v"], 0);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tune: skipped"), "{err}");
}
