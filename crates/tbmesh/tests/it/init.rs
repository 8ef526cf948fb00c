//! `tbmesh init`, offline: what it refuses before contacting any host, and
//! a node that cannot be reached (an ssh_config whose ProxyCommand fails,
//! so nothing leaves this machine) writes nothing. The lab test
//! (tests/lab/init.rs) runs it against real nodes.

use crate::Test;

#[test]
fn init_refuses_bad_hosts_and_an_existing_file_before_contacting_anything() {
    Test::new()
        .args(["init", "n1.test"])
        .run()
        .status(2)
        .stderr_has("a mesh needs at least 2 nodes; 1 given");
    Test::new()
        .args(["init", "n1.test", "192.168.001.021"])
        .run()
        .status(2)
        .stderr_has("HOST 2 (192.168.001.021)")
        .stderr_has("ssh would read it as 192.168.1.17");
    Test::new()
        .args(["init", "n1.test", "N1.TEST:22"])
        .run()
        .status(2)
        .stderr_has("host N1.TEST:22 is given twice");
    let t = Test::new();
    std::fs::write(t.path().join("tbmesh.toml"), "# mine\n").expect("write");
    let out = t.args(["init", "n1.test", "n2.test"]).run();
    out.status(2)
        .stderr_has("tbmesh.toml exists; nothing was contacted")
        .stderr_has("--force");
    assert_eq!(
        std::fs::read_to_string(out.dir.join("tbmesh.toml")).expect("read"),
        "# mine\n"
    );
    Test::new()
        .args(["init", "--ssh-config", "nowhere", "n1.test", "n2.test"])
        .run()
        .status(2)
        .stderr_has("ssh config nowhere does not exist");
}

#[test]
fn init_with_an_unreachable_node_exits_3_and_writes_nothing() {
    let t = Test::new();
    std::fs::write(
        t.path().join("ssh_config"),
        "Host *\n  ProxyCommand sh -c 'exit 1'\n",
    )
    .expect("ssh_config");
    let out = t
        .args(["init", "--ssh-config", "ssh_config", "n1.test", "n2.test"])
        .run();
    out.status(3)
        .stderr_has("error: n1.test: cannot reach n1.test")
        .stderr_has("error: n2.test: cannot reach n2.test")
        .stderr_has("2 of 2 node(s) failed; nothing was written");
    assert!(!out.dir.join("tbmesh.toml").exists());
}

#[test]
fn discover_is_init() {
    Test::new()
        .args(["discover", "n1.test"])
        .run()
        .status(2)
        .stderr_has("a mesh needs at least 2 nodes");
}
