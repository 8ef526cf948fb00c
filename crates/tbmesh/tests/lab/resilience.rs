//! Reboots and a cold boot with no hands (issue #14, "Reboot ×10 and cold
//! boot"): a random node rebooted again and again, then every node powered
//! off and on; after each, the mesh verifies and every PG is active+clean
//! again without anyone running tbmesh apply.
//!
//! CI runs 2 reboots, one clean and one hard (the shared lab,
//! [`Level::Ceph`]; `ops::rolling_reboot_...` reboots each node once more);
//! `TBMESH_TEST_REBOOTS=10` runs the ×10 of docs/performance.md.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tbmesh_lab::lab::Power;

use crate::apply::tbmesh;
use crate::ceph::{wait_clean, wait_healthy};
use crate::shared::{self, Level};
use crate::support::{log, TestLab};

/// Runs `tbmesh verify` until it passes: seconds it took.
fn wait_verified(spec: &Path, within: Duration) -> f64 {
    let started = Instant::now();
    loop {
        let out = tbmesh(
            &[
                "-f",
                spec.to_str().expect("utf-8 path"),
                "verify",
                "--failed",
            ],
            &[],
        );
        if out.status.success() {
            return started.elapsed().as_secs_f64();
        }
        assert!(
            started.elapsed() < within,
            "verify still fails {:.0} s after the boot:\n{}",
            started.elapsed().as_secs_f64(),
            String::from_utf8_lossy(&out.stdout)
        );
        std::thread::sleep(Duration::from_secs(3));
    }
}

/// Seconds from now until every PG is active+clean and health is as usual.
fn wait_recovered(lab: &TestLab) -> f64 {
    let started = Instant::now();
    wait_clean(lab, 6, Duration::from_secs(300));
    wait_healthy(lab, Duration::from_secs(300));
    started.elapsed().as_secs_f64()
}

/// A small xorshift: the node to reboot, from a seed the log names.
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn reboots_of_random_nodes_and_a_cold_boot_heal_without_hands() {
    let lab = shared::lab(Level::Ceph);
    let spec = lab.spec.clone();
    let nodes = lab.node_names();
    let count: usize = std::env::var("TBMESH_TEST_REBOOTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let mut seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
        | 1;
    log(&format!("{count} reboots, seed {seed}"));
    let mut rows = vec![];
    for n in 0..count {
        let node = &nodes[(next(&mut seed) % nodes.len() as u64) as usize];
        // Every other reboot is a hard one (a reset: no clean shutdown).
        let hard = n % 2 == 1;
        let boot = lab.boot_id(node);
        let t0 = Instant::now();
        lab.power(node, Power::Reboot { hard });
        lab.wait_new_boot(node, &boot);
        let up = t0.elapsed().as_secs_f64();
        let verified = wait_verified(&spec, Duration::from_secs(300));
        let clean = wait_recovered(&lab);
        let row = format!(
            "reboot {}/{count} {node} ({}): ssh after {up:.0} s, verify passed {verified:.0} s later, PGs active+clean and health as usual {clean:.0} s after that",
            n + 1,
            if hard { "hard" } else { "clean" }
        );
        log(&row);
        rows.push(row);
    }

    // Cold boot: every node off, then every node on.
    let t0 = Instant::now();
    for node in &nodes {
        lab.power(node, Power::Off { graceful: true });
    }
    for node in &nodes {
        lab.power(node, Power::On);
    }
    let up = t0.elapsed().as_secs_f64();
    let verified = wait_verified(&spec, Duration::from_secs(600));
    let clean = wait_recovered(&lab);
    log(&format!(
        "cold boot: all off and on again in {up:.0} s, verify passed {verified:.0} s later, PGs active+clean and health as usual {clean:.0} s after that"
    ));
    // Nothing was re-applied: a plan of the whole spec changes nothing.
    let out = tbmesh(
        &["-f", spec.to_str().expect("utf-8 path"), "plan", "--json"],
        &[],
    );
    assert!(out.status.success(), "plan failed");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("plan --json");
    assert_eq!(
        v["changes"], 0,
        "boots must not undo what tbmesh wrote: {v}"
    );
}
