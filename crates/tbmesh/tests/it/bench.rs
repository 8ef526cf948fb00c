//! `tbmesh bench`: `--ceph` without a Ceph cluster in the spec is refused
//! (status 2) before any host is contacted (the example's 10.x hosts are
//! never reached).

use crate::{example, Test};

#[test]
fn bench_ceph_without_a_ceph_section_is_refused_before_any_host() {
    let out = Test::new()
        .spec(example("static-3node.toml"))
        .args(["bench", "--ceph", "--seconds", "1"])
        .run();
    out.status(2)
        .stderr_has("--ceph: ")
        .stderr_has("has no [ceph] section, so there is no Ceph cluster to benchmark")
        .stderr_has("hint: drop --ceph, or add [ceph]");
}
