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

/// `tbmesh status --json` on the converged Ceph lab: every port of every
/// node with carrier, MTU and counters, adjacency and BFD per port, a route
/// to every other router, and the Ceph summary; a pulled cable shows no
/// carrier on both of its ends (then it is plugged back in).
#[test]
fn status_shows_every_port_and_ceph_and_a_pulled_cable_on_both_ends() {
    let lab = shared::lab(Level::Ceph);
    let spec = &lab.spec;
    let status = |code: i32| -> serde_json::Value {
        let out = run_ok(spec, &["--json", "status"], code);
        serde_json::from_slice(&out.stdout).expect("status --json")
    };
    let port = |v: &serde_json::Value, node: &str, port: &str| -> serde_json::Value {
        v["nodes"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|n| n["node"] == node)
            .and_then(|n| n["ports"].as_array())
            .into_iter()
            .flatten()
            .find(|p| p["name"] == port)
            .cloned()
            .unwrap_or_else(|| panic!("no port {node}:{port} in {v}"))
    };
    let v = status(0);
    assert_eq!(v["ok"], true);
    let nodes = v["nodes"].as_array().expect("nodes");
    assert_eq!(nodes.len(), 3);
    for n in nodes {
        let name = n["node"].as_str().expect("node name");
        assert_eq!(n["reachable"], true, "{n}");
        let ports = n["ports"].as_array().expect("ports");
        assert_eq!(ports.len(), 2, "{name}: both mesh ports");
        for p in ports {
            assert_eq!(p["present"], true, "{name}: {p}");
            assert_eq!(p["carrier"], true, "{name}: {p}");
            assert_eq!(p["mtu"], 65520, "{name}: {p}");
            for k in [
                "carrier_changes",
                "rx_errors",
                "tx_errors",
                "rx_dropped",
                "tx_dropped",
            ] {
                assert!(p[k].is_u64(), "{name}: {k} in {p}");
            }
        }
        let adj = n["adjacencies"].as_array().expect("adjacencies");
        assert_eq!(adj.len(), 2, "{name}: {adj:?}");
        assert!(adj.iter().all(|a| a["state"] == "Up"), "{name}: {adj:?}");
        let bfd = n["bfd"].as_array().expect("bfd");
        assert!(
            bfd.iter().filter(|b| b["status"] == "up").count() == 2,
            "{name}: {bfd:?}"
        );
        let routes = n["routes"].as_array().expect("routes");
        assert_eq!(routes.len(), 2);
        assert!(routes
            .iter()
            .all(|r| r["next_hops"].as_array().is_some_and(|h| !h.is_empty())));
    }
    let ceph = &v["ceph"];
    assert_eq!(ceph["osds"], 6, "{ceph}");
    assert_eq!(ceph["osds_up"], 6);
    assert_eq!(ceph["osds_in"], 6);
    assert_eq!(ceph["mons_in_quorum"], 3);
    let pgs = ceph["pgs"].as_u64().expect("pgs");
    assert!(pgs > 0);
    assert_eq!(
        ceph["pg_states"]["active+clean"].as_u64(),
        Some(pgs),
        "{ceph}"
    );
    assert!(ceph["health"]
        .as_str()
        .is_some_and(|h| h.starts_with("HEALTH_")));
    let flaps = port(&v, "n2", "en05")["carrier_changes"]
        .as_u64()
        .unwrap_or(0);

    lab.link("n2:en05", tbmesh_lab::lab::LinkAction::Down);
    let cut = status(0);
    lab.link("n2:en05", tbmesh_lab::lab::LinkAction::Up);
    for (node, p) in [("n2", "en05"), ("n3", "en05")] {
        assert_eq!(port(&cut, node, p)["carrier"], false, "{node}:{p}: {cut}");
    }
    assert!(
        port(&cut, "n2", "en05")["carrier_changes"]
            .as_u64()
            .unwrap_or(0)
            > flaps
    );
    for (node, p) in [
        ("n2", "en06"),
        ("n3", "en06"),
        ("n4", "en05"),
        ("n4", "en06"),
    ] {
        assert_eq!(port(&cut, node, p)["carrier"], true, "{node}:{p}");
    }
    // The text screen says so too.
    let out = run_ok(spec, &["status"], 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("ceph (as "), "{text}");
}
