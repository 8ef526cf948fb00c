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
