//! `tbmesh bench` on the shared container lab: a result for every cable,
//! direction and pair, nothing left running, saved for the report; a cut
//! cable is refused without --force. `bench --ceph` on the shared Ceph lab:
//! write, seq and rand figures, its temporary pool gone after, and
//! mon_allow_pool_delete as it was.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Instant;

use serde_json::Value;
use tbmesh_lab::lab::LinkAction;

use crate::shared::{self, Level};
use crate::support::{log, text};

fn bench(spec: &Path, state: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tbmesh"))
        .arg("-f")
        .arg(spec)
        .arg("bench")
        .args(args)
        .env("XDG_STATE_HOME", state)
        .stdin(Stdio::null())
        .output()
        .expect("running tbmesh")
}

fn saved(state: &Path) -> Vec<String> {
    let dir = state.join("tbmesh/lab");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| n.starts_with("bench-"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn bench_measures_every_cable_direction_and_pair_leaves_nothing_and_refuses_a_broken_mesh() {
    let lab = shared::lab(Level::Mesh);
    let spec = lab.spec.clone();
    let state = tempfile::tempdir().expect("temp dir");

    let started = Instant::now();
    let out = bench(&spec, state.path(), &["--seconds", "1", "--json"]);
    log(&format!(
        "bench --seconds 1 took {:.1} s",
        started.elapsed().as_secs_f64()
    ));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(doc["lab"], true, "container ports are veths: lab figures");

    // 3 cables x 2 directions x (1 and 4 streams), each with figures.
    let links = doc["links"].as_array().expect("links");
    assert_eq!(links.len(), 12, "{doc:#}");
    let mut ends = BTreeSet::new();
    for r in links {
        assert!(r["error"].is_null(), "{r:#}");
        assert!(r["result"]["gbps"].as_f64().unwrap_or(0.0) > 0.0, "{r:#}");
        assert_eq!(r["line_rate"]["kind"], "unknown", "veth: {r:#}");
        ends.insert((
            r["from"].as_str().unwrap_or("").to_string(),
            r["from_port"].as_str().unwrap_or("").to_string(),
            r["streams"].as_u64().unwrap_or(0),
        ));
    }
    let expected: BTreeSet<(String, String, u64)> = ["n2", "n3", "n4"]
        .iter()
        .flat_map(|n| ["en05", "en06"].map(|p| (n.to_string(), p.to_string())))
        .flat_map(|(n, p)| [1, 4].map(|s| (n.clone(), p.clone(), s)))
        .collect();
    assert_eq!(ends, expected, "every port sends, 1 and 4 streams");

    // Every pair, small and full-MTU.
    let lat = doc["latency"].as_array().expect("latency");
    assert_eq!(lat.len(), 6, "{doc:#}");
    for r in lat {
        assert!(r["error"].is_null(), "{r:#}");
        let res = &r["result"];
        assert_eq!(res["received"], res["sent"], "{r:#}");
        assert!(res["min"].as_f64() <= res["p99"].as_f64(), "{r:#}");
    }

    // Nothing survives the run: no iperf3 process, no bench unit that is
    // running or failed (systemd may keep an inactive, dead transient unit
    // listed for a while before it collects it; it runs nothing).
    for node in ["n2", "n3", "n4"] {
        let left = lab.sh(
            node,
            "pgrep -a iperf3; systemctl list-units --all --no-legend 'tbmesh-bench-*' | grep -v ' inactive dead '; true",
        );
        assert_eq!(left.trim(), "", "left behind on {node}");
    }
    assert_eq!(saved(state.path()).len(), 1);

    // A cut cable: verify fails, bench refuses and measures nothing.
    lab.link("n2:en05", LinkAction::Down);
    let out = bench(&spec, state.path(), &["--seconds", "1"]);
    lab.link("n2:en05", LinkAction::Up);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("meaningless"), "{}", text(&out));
    assert!(stderr.contains("--force"), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("no carrier"),
        "{}",
        text(&out)
    );
    assert_eq!(saved(state.path()).len(), 1, "nothing saved when refused");
}

/// The pools, and mon_allow_pool_delete as the monitors and the
/// configuration database have it.
pub fn ceph_state(lab: &shared::SharedLab) -> (String, String) {
    let pools = lab.sh("n2", "ceph osd pool ls");
    let allow = lab.sh(
        "n2",
        "ceph config get mon mon_allow_pool_delete; ceph config dump --format json | grep -o '\"name\":\"mon_allow_pool_delete\"[^}]*' ; true",
    );
    (pools, allow)
}

#[test]
fn bench_ceph_measures_write_seq_and_rand_on_a_temporary_pool_it_deletes() {
    let lab = shared::lab(Level::Ceph);
    let spec = lab.spec.clone();
    let state = tempfile::tempdir().expect("temp dir");
    let (pools, allow) = ceph_state(&lab);
    assert!(!pools.contains("tbmesh-bench-"), "{pools}");

    let started = Instant::now();
    let out = bench(&spec, state.path(), &["--ceph", "--seconds", "3", "--json"]);
    log(&format!(
        "bench --ceph --seconds 3 took {:.1} s",
        started.elapsed().as_secs_f64()
    ));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let ceph = &doc["ceph"];
    log(&format!("ceph figures: {ceph:#}"));
    let pool = ceph["pool"].as_str().expect("pool name");
    assert!(pool.starts_with("tbmesh-bench-"), "{ceph:#}");
    assert_eq!(ceph["size"], 3, "the cluster's pool size: {ceph:#}");
    let phases: Vec<&str> = ceph["phases"]
        .as_array()
        .expect("phases")
        .iter()
        .map(|p| p["phase"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(phases, ["write", "seq", "rand"]);
    for p in ceph["phases"].as_array().into_iter().flatten() {
        assert!(p["error"].is_null(), "{p:#}");
        let r = &p["result"];
        for k in ["mb_per_s", "iops", "avg_latency_ms", "max_latency_ms"] {
            assert!(r[k].as_f64().unwrap_or(0.0) > 0.0, "{k}: {p:#}");
        }
        assert!(
            r["avg_latency_ms"].as_f64() <= r["max_latency_ms"].as_f64(),
            "{p:#}"
        );
        assert!(r["ops"].as_u64().unwrap_or(0) > 0, "{p:#}");
    }
    assert_eq!(ceph["cleanup"]["pool_deleted"], true, "{ceph:#}");
    assert!(ceph["cleanup"]["error"].is_null(), "{ceph:#}");

    // Nothing left: the same pools, mon_allow_pool_delete as before.
    assert_eq!(ceph_state(&lab), (pools, allow));

    // Saved for the report, which shows the figures.
    let names = saved(state.path());
    assert_eq!(names.len(), 1);
    let file = state.path().join("tbmesh/lab").join(&names[0]);
    let kept: Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("saved bench")).expect("JSON");
    assert_eq!(kept["ceph"], doc["ceph"]);
    let html = state.path().join("report.html");
    let out = Command::new(env!("CARGO_BIN_EXE_tbmesh"))
        .arg("-f")
        .arg(&spec)
        .args(["report", "--out"])
        .arg(&html)
        .env("XDG_STATE_HOME", state.path())
        .output()
        .expect("running tbmesh report");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let page = std::fs::read_to_string(&html).expect("report");
    assert!(page.contains("<h2>Ceph bench (lab figures)</h2>"));
    assert!(page.contains(&format!("{pool} (size 3), deleted after: yes")));
    assert!(page.contains("<td>rand</td><td class=\"n\">"));
}
