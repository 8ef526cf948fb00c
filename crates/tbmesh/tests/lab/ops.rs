//! Day-two operations on the shared 3-node Ceph lab (tests/lab/shared.rs):
//! `tbmesh preflight` passes on a converged cluster and shows every port and
//! OSD device; a node whose FRR package is marked for removal in dpkg's
//! database fails it with exit 1 (put back at once), and so does a spec
//! that declares the management interface as a mesh port; a no-op apply with
//! Ceph reads everything in one round trip, skips the gate's ping matrix
//! and prints tune's "skipped" lines only with -v. `status` shows every
//! port and Ceph, and a pulled cable on both ends; `maintenance` and a
//! rolling reboot of the three nodes; a support bundle without secrets.

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

    // A spec that declares n3's management interface (mgmt0, which holds
    // the address tbmesh reaches n3 at) as a mesh port fails preflight on
    // n3's management row, and nothing is changed.
    let text = std::fs::read_to_string(spec).expect("the lab's spec");
    let link = "\"n2:en05 -- n3:en05\"";
    let n3 = text.find("name = \"n3\"").expect("n3 in the lab's spec");
    let ports = n3 + text[n3..].find("en05 = {}").expect("n3's ports");
    assert!(text.contains(link), "the lab's cabling changed:\n{text}");
    let bad = format!(
        "{}mgmt0 = {{}}{}",
        &text[..ports],
        &text[ports + "en05 = {}".len()..]
    )
    .replace(link, "\"n2:en05 -- n3:mgmt0\"");
    let bad_spec = lab.dir.dir.join("mgmt-port.toml");
    std::fs::write(&bad_spec, bad).expect("writing the spec");
    let out = run_ok(&bad_spec, &["--json", "preflight"], 1);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("preflight --json");
    let mgmt = v["rows"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["node"] == "n3" && r["check"] == "management")
        .unwrap_or_else(|| panic!("no management row for n3: {v}"));
    assert_eq!(mgmt["status"], "fail", "{mgmt}");
    assert!(
        mgmt["detail"]
            .as_str()
            .is_some_and(|d| d.contains("port mgmt0 is the management interface mgmt0")),
        "{mgmt}"
    );

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

/// The node asked and the PG count per state.
type PgSample = (String, Vec<(String, u64)>);

/// One sample of the PGs from the first node that answers: its PG states
/// (`ceph pg stat`); `None` when no node answered or the manager had no PG
/// statistics yet (`pg_ready` false: just after a manager failover every PG
/// reads `unknown`, which says nothing about the PGs).
///
/// `ceph pg dump_stuck inactive` is not used: it lists PGs inactive for
/// longer than a threshold (300 s by default), and with a short threshold it
/// lists active PGs too (their last-active stamp is only refreshed every few
/// seconds), so it cannot see a reboot's few seconds either way.
fn pg_sample(lab: &crate::support::TestLab) -> Option<PgSample> {
    for node in lab.node_names() {
        let out = lab.ssh(&node, "timeout 10 ceph pg stat -f json");
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(&out.stdout) else {
            continue;
        };
        if v["pg_ready"] == false {
            return None;
        }
        let sum = v.get("pg_summary").unwrap_or(&v);
        let states = sum["num_pg_by_state"]
            .as_array()?
            .iter()
            .filter_map(|s| Some((s["name"].as_str()?.to_string(), s["num"].as_u64()?)))
            .collect();
        return Some((node, states));
    }
    None
}

/// The longest run of samples with peering or stale PGs the rolling-reboot
/// test accepts (~15-25 s).
const MAX_INACTIVE_RUN: usize = 8;

/// `tbmesh reboot --rolling` on the Ceph lab: every node rebooted (a new
/// boot id), one at a time, and while it ran no PG was ever
/// down or incomplete, and no episode of peering or stale PGs lasted past
/// [`MAX_INACTIVE_RUN`] samples (every ~2-3 s from a node that was up);
/// health ends as before, noout cleared. `tbmesh maintenance` sets and clears noout for one host only.
#[test]
fn rolling_reboot_reboots_each_node_in_turn_with_pgs_served_and_ends_healthy() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Mutex;
    let lab = shared::lab(Level::Ceph);
    let spec = &lab.spec;
    let health_codes = || -> Vec<String> {
        let h = crate::ceph::ceph_json(&lab, "n2", "health detail");
        let mut k: Vec<String> = h["checks"]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        k.sort();
        k
    };
    let before = health_codes();

    // maintenance: one host's flag, idempotent.
    let m = |args: &[&str], code| -> serde_json::Value {
        let mut all = vec!["--json", "maintenance"];
        all.extend_from_slice(args);
        serde_json::from_slice(&run_ok(spec, &all, code).stdout).expect("maintenance --json")
    };
    let on = m(&["n3", "on"], 0);
    assert_eq!(
        (on["maintenance"].clone(), on["changed"].clone()),
        (true.into(), true.into()),
        "{on}"
    );
    assert_eq!(on["osds"].as_array().map(Vec::len), Some(2), "{on}");
    assert_eq!(m(&["n3", "on"], 0)["changed"], false);
    let dump = crate::ceph::ceph_json(&lab, "n2", "osd dump");
    assert_eq!(
        dump["crush_node_flags"],
        serde_json::json!({"n3": ["noout"]})
    );
    assert_eq!(m(&["n3", "off"], 0)["maintenance"], false);
    let dump = crate::ceph::ceph_json(&lab, "n2", "osd dump");
    assert!(
        dump["crush_node_flags"]
            .as_object()
            .is_some_and(|o| o.is_empty()),
        "{dump}"
    );

    let boots: Vec<String> = lab.node_names().iter().map(|n| lab.boot_id(n)).collect();
    let done = AtomicBool::new(false);
    let samples: Mutex<Vec<PgSample>> = Mutex::new(vec![]);
    let out = std::thread::scope(|s| {
        s.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                if let Some(x) = pg_sample(&lab) {
                    samples.lock().expect("samples").push(x);
                }
                std::thread::sleep(std::time::Duration::from_secs(2));
            }
        });
        let out = run_ok(spec, &["--json", "reboot", "--rolling"], 0);
        done.store(true, Ordering::Relaxed);
        out
    });
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("reboot --json");
    assert_eq!(v["ok"], true, "{v}");
    assert!(v["stopped"].is_null(), "{v}");
    let results: Vec<(String, String)> = v["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|n| {
            (
                n["node"].as_str().unwrap_or("").into(),
                n["result"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert_eq!(
        results,
        lab.node_names()
            .into_iter()
            .map(|n| (n, "rebooted".to_string()))
            .collect::<Vec<_>>()
    );
    let err = String::from_utf8_lossy(&out.stderr);
    for n in lab.node_names() {
        assert!(err.contains(&format!("{n}: rebooting")), "{err}");
        assert!(err.contains(&format!("{n}: maintenance on")), "{err}");
        assert!(
            err.contains(&format!("{n}: OSDs stopped and marked down")),
            "{err}"
        );
    }
    for (n, old) in lab.node_names().iter().zip(&boots) {
        assert_ne!(&lab.boot_id(n), old, "{n} was not rebooted");
    }
    let samples = samples.into_inner().expect("samples");
    crate::support::log(&format!(
        "{} PG samples taken during the rolling reboot",
        samples.len()
    ));
    assert!(samples.len() >= 10, "too few samples: {}", samples.len());
    // Never a PG without enough copies to serve (down, incomplete). PGs do
    // re-peer, for a moment, when a node's OSDs go down and again when they
    // come back (Ceph has no way around that; noout only keeps data from
    // moving), and some read `stale` until the new primary reports (seen
    // once in a lab run, alongside peering): such samples are counted and
    // each episode must end within MAX_INACTIVE_RUN samples. (The command
    // itself waits for every PG active+clean before the next node; this
    // bound catches PGs left inactive for long while a node is away, not
    // the seconds Ceph needs to re-peer: 3 samples in a row in a clean-
    // clone CI run, 2 in the runs before.)
    let has = |st: &[(String, u64)], w: &str| {
        st.iter()
            .any(|(n, k)| *k > 0 && n.split('+').any(|x| x == w))
    };
    let bad: Vec<_> = samples
        .iter()
        .filter(|(_, st)| ["down", "incomplete"].iter().any(|w| has(st, w)))
        .collect();
    assert!(
        bad.is_empty(),
        "PGs down or incomplete during the rolling reboot: {bad:?}"
    );
    let inactive = |st: &[(String, u64)]| {
        has(st, "stale")
            || st
                .iter()
                .any(|(n, k)| *k > 0 && !n.split('+').any(|x| x == "active"))
    };
    let (mut run, mut longest, mut count) = (0, 0, 0);
    for (_, st) in &samples {
        if inactive(st) {
            run += 1;
            count += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    crate::support::log(&format!(
        "{count} of {} samples had PGs peering or stale (longest run: {longest}): {samples:?}",
        samples.len()
    ));
    assert!(
        longest <= MAX_INACTIVE_RUN,
        "PGs stayed inactive over {longest} samples in a row: {samples:?}"
    );
    assert_eq!(run, 0, "PGs inactive at the end: {samples:?}");
    let dump = crate::ceph::ceph_json(&lab, "n2", "osd dump");
    assert!(
        dump["crush_node_flags"]
            .as_object()
            .is_some_and(|o| o.is_empty()),
        "noout left: {dump}"
    );
    crate::ceph::wait_clean(&lab, 6, std::time::Duration::from_secs(120));
    // Health settles (a mon that just came back may need a moment).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
    loop {
        let now = health_codes();
        if now == before {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "health after the rolling reboot: {now:?}, before: {before:?}"
        );
        std::thread::sleep(std::time::Duration::from_secs(3));
    }
}

/// `tbmesh support-bundle` on the Ceph lab: one tar.gz with the expected
/// files, and no secret in any of them: not the lab's actual Ceph admin key
/// (read from a node), no private key, no `key =` line.
#[test]
fn support_bundle_has_the_cluster_state_and_no_secret() {
    let lab = shared::lab(Level::Ceph);
    let key = lab
        .sh("n2", "ceph auth print-key client.admin")
        .trim()
        .to_string();
    assert!(
        key.starts_with("AQ") && key.len() == 40,
        "the admin key: {key}"
    );
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let out = tmp.path().join("bundle.tar.gz");
    let o = run_ok(
        &lab.spec,
        &[
            "--json",
            "support-bundle",
            "--out",
            out.to_str().expect("utf-8"),
        ],
        0,
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("support-bundle --json");
    assert_eq!(v["errors"], serde_json::json!([]), "{v}");
    // A second run refuses to overwrite it.
    run_ok(
        &lab.spec,
        &["support-bundle", "--out", out.to_str().expect("utf-8")],
        2,
    );
    let st = std::process::Command::new("tar")
        .arg("-xzf")
        .arg(&out)
        .arg("-C")
        .arg(tmp.path())
        .status()
        .expect("tar");
    assert!(st.success());
    let top = std::fs::read_dir(tmp.path())
        .expect("read")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.is_dir())
        .expect("the bundle's directory");
    let mut files = vec![];
    let mut stack = vec![top.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    let rel: Vec<String> = files
        .iter()
        .map(|p| p.strip_prefix(&top).expect("inside").display().to_string())
        .collect();
    let mut expected = vec![
        "spec/tbmesh.toml".to_string(),
        "verify.json".into(),
        "status.json".into(),
        "rendered/cluster/etc/ceph/ceph.conf".into(),
    ];
    for n in lab.node_names() {
        expected.push(format!("facts/{n}.json"));
        expected.push(format!("rendered/nodes/{n}/etc/frr/frr.conf"));
        for f in [
            "ip-d-link.txt",
            "ip-route.txt",
            "ip-6-route.txt",
            "openfabric-neighbor.json",
            "openfabric-topology.json",
            "openfabric-route.json",
            "bfd-peers.json",
            "journal-frr.txt",
            "journal-networking.txt",
            "ceph-status.txt",
            "ceph-health-detail.txt",
            "ceph-osd-tree.txt",
        ] {
            expected.push(format!("nodes/{n}/{f}"));
        }
    }
    for e in &expected {
        assert!(rel.contains(e), "{e} missing from the bundle: {rel:?}");
    }
    let status: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(top.join("status.json")).expect("status.json"),
    )
    .expect("status.json is JSON");
    assert_eq!(status["nodes"].as_array().map(Vec::len), Some(3));
    let tree = std::fs::read_to_string(top.join("nodes/n2/ceph-osd-tree.txt")).expect("osd tree");
    assert!(tree.contains("osd.0"), "{tree}");
    let key_line = regex_free_key_line();
    for (p, r) in files.iter().zip(&rel) {
        let text = String::from_utf8_lossy(&std::fs::read(p).expect("read")).into_owned();
        assert!(!text.contains(&key), "{r} holds the admin key");
        assert!(!text.contains("PRIVATE KEY"), "{r} holds a private key");
        assert!(!text.lines().any(&key_line), "{r} has a `key =` line");
    }
}

/// `key\s*=` without a regex crate.
fn regex_free_key_line() -> impl Fn(&str) -> bool {
    |l: &str| {
        l.match_indices("key")
            .any(|(i, _)| l[i + 3..].trim_start().starts_with('='))
    }
}
