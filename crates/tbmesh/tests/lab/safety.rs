//! Issue 14's apply-engine items on real hosts: what survives a power cut.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tbmesh_lab::lab::Power;
use tbmesh_lab::state::Backend;

use crate::apply::{mesh_reachable, run_ok, spec_of, MESH};
use crate::support::TestLab;

/// Whether `node` answers ssh within a few seconds.
fn answers(lab: &TestLab, node: &str) -> bool {
    tbmesh_lab::ssh::ssh(&lab.ssh_config(), node, "true", 3)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A systemd unit property's monotonic timestamp (µs since boot).
fn mono(lab: &TestLab, node: &str, unit: &str, prop: &str) -> u64 {
    lab.sh(node, &format!("systemctl show -P {prop} {unit}"))
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("{unit} {prop}: {e}"))
}

/// Item 5: a node cut off by an apply and power-cycled before the
/// commit-confirm timer fires comes back with the change rolled back
/// (the transient timer died with the boot; the pending marker did not).
#[test]
fn item5_an_unconfirmed_apply_is_rolled_back_at_boot_after_a_power_cut() {
    let lab = TestLab::up("titem5", Backend::Container, 3);
    let spec = spec_of(&lab);
    // Test-only fault: n3's network phase takes its management interface
    // down; a long confirm window, so only the power cut can end it.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tbmesh"));
    cmd.args(["-f", spec.to_str().expect("path"), "apply"])
        .args(["--confirm-timeout", "180"])
        .args(MESH)
        .env("TBMESH_FAULT", "break-mgmt:n3")
        .stdin(Stdio::null());
    let apply = std::thread::spawn(move || cmd.output().expect("running tbmesh"));
    let start = Instant::now();
    let mut saw_marker = false;
    while answers(&lab, "n3") {
        assert!(
            start.elapsed() < Duration::from_secs(150),
            "n3 never lost its management network"
        );
        saw_marker |= lab
            .ssh("n3", "ls /var/lib/tbmesh/pending | grep -q network")
            .status
            .success();
        std::thread::sleep(Duration::from_millis(500));
    }
    eprintln!(
        "n3 cut off after {:.0} s (marker seen: {saw_marker})",
        start.elapsed().as_secs_f64()
    );
    // Power cut inside the confirm window; fails here (no ssh within 180 s)
    // if the change survives the boot.
    lab.power("n3", Power::Reboot { hard: true });
    assert_eq!(
        lab.sh(
            "n3",
            "test -e /etc/network/interfaces.d/tbmesh && echo present || echo absent"
        )
        .trim(),
        "absent"
    );
    let journal = lab.sh("n3", "cat /var/lib/tbmesh/backups/*/journal");
    assert!(journal.contains("rolled back at boot"), "{journal}");
    assert_eq!(
        lab.sh("n3", "ls -A /var/lib/tbmesh/pending").trim(),
        "",
        "the marker is removed once rolled back"
    );
    // It ran early: finished before networking (and FRR) started.
    let unit = "tbmesh-unconfirmed.service";
    let done = mono(&lab, "n3", unit, "ExecMainExitTimestampMonotonic");
    assert!(done > 0, "{unit} did not run");
    for later in ["networking.service", "frr.service"] {
        let started = mono(&lab, "n3", later, "ExecMainStartTimestampMonotonic");
        assert!(
            started == 0 || done < started,
            "{unit} ended at {done}, after {later} started at {started}"
        );
    }
    let out = apply.join().expect("tbmesh thread");
    let err = String::from_utf8_lossy(&out.stderr);
    eprintln!("{err}");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        err.contains("n3: network: rolled back at boot"),
        "tbmesh reports how n3 was restored: {err}"
    );
    // Confirmed phases leave no marker behind; a clean apply converges and
    // a reboot of a confirmed node keeps its mesh.
    run_ok(&spec, &[&["apply"][..], &MESH].concat(), 0);
    for node in lab.node_names() {
        assert_eq!(lab.sh(&node, "ls -A /var/lib/tbmesh/pending").trim(), "");
    }
    mesh_reachable(&lab, 65520, Duration::from_secs(30));
}
