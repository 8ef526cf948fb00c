//! Day-two commands refuse bad input before contacting any host (status 2):
//! `maintenance` and `reboot --rolling` with a node not in the spec, a node
//! named twice, `maintenance` without Ceph, an existing bundle file.

use crate::{example, Test};

#[test]
fn maintenance_and_rolling_reboot_refuse_unknown_nodes_before_contacting_hosts() {
    let spec = example("ms01-3node.toml");
    for args in [
        vec!["maintenance", "n9", "on"],
        vec!["reboot", "--rolling", "n2", "n9"],
    ] {
        let out = Test::new().spec(spec.clone()).args(args.clone()).run();
        out.status(2)
            .stderr_has("no node \"n9\" in the spec")
            .stderr_has("hint:");
    }
    let out = Test::new()
        .spec(spec.clone())
        .args(["reboot", "--rolling", "n2", "n3", "n2"])
        .run();
    out.status(2).stderr_has("named twice");
    // --rolling is the only mode: without it clap refuses.
    let out = Test::new().spec(spec).args(["reboot", "n2"]).run();
    out.status(2).stderr_has("--rolling");
}

#[test]
fn maintenance_without_ceph_is_refused() {
    let out = Test::new()
        .spec(example("static-3node.toml"))
        .args(["maintenance", "n2", "on"])
        .run();
    out.status(2).stderr_has("has no [ceph]");
}

#[test]
fn support_bundle_refuses_to_overwrite_a_file() {
    let t = Test::new().spec(example("ms01-3node.toml"));
    std::fs::write(t.path().join("old.tar.gz"), "x").expect("write");
    let out = t.args(["support-bundle", "--out", "old.tar.gz"]).run();
    out.status(2).stderr_has("old.tar.gz exists");
    assert_eq!(
        std::fs::read_to_string(out.dir.join("old.tar.gz")).expect("kept"),
        "x"
    );
}
