//! `tbmesh failover-test`: bad flags are refused (status 2) before any
//! host is contacted. Runs against the example spec, whose 10.x hosts are
//! never reached: every case here must fail before the first ssh.

use crate::{example, Test};

#[track_caller]
fn refused(args: &[&str], message: &str) {
    let mut all = vec!["failover-test"];
    all.extend_from_slice(args);
    let out = Test::new().spec(example("ms01-3node.toml")).args(all).run();
    out.status(2).stderr_has(message);
    assert!(
        !out.stderr.contains("verify first"),
        "contacted hosts:\n{}",
        out.stderr
    );
}

#[test]
fn a_port_that_is_not_a_cable_end_is_refused() {
    refused(
        &["--link", "n2:en07"],
        "error: --link: n2:en07 is not an end of a cable in the spec",
    );
    refused(&["--link", "n9:en05"], "no node n9 in the spec");
    refused(&["--link", "n2"], "--link n2: expected NODE:PORT");
}

#[test]
fn a_fault_must_end_well_before_the_node_timer() {
    refused(
        &["--fault-secs", "28"],
        "--fault-secs 28 leaves less than 5 s before the node's safety timer (--max-fault-secs 30)",
    );
    refused(
        &["--max-fault-secs", "12", "--fault-secs", "8"],
        "hint: use --fault-secs 7 or less",
    );
}

#[test]
fn reboot_names_a_node_of_the_spec_and_takes_no_cable_flags() {
    refused(
        &["--reboot", "n9"],
        "error: --reboot n9: no node \"n9\" in the spec",
    );
    refused(
        &["--reboot", "n9"],
        "hint: name one node of the spec: n2, n3, n4",
    );
    refused(
        &["--reboot", "n3", "--link", "n2:en05"],
        "cannot be used with",
    );
    refused(
        &["--reboot", "n3", "--fault-secs", "5"],
        "cannot be used with",
    );
}

#[test]
fn ceph_load_needs_ceph_in_the_spec() {
    let out = Test::new()
        .spec(example("static-3node.toml"))
        .args(["failover-test", "--ceph"])
        .run();
    out.status(2)
        .stderr_has("error: --ceph: the spec has no [ceph] section")
        .stderr_has("hint: run without --ceph, or add [ceph] to the spec");
    assert!(!out.stderr.contains("verify first"), "{}", out.stderr);
}
