//! `tbmesh bench` on the shared container lab: a result for every cable,
//! direction and pair, nothing left running, saved for the report; a cut
//! cable is refused without --force.

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
