//! Runs last in a full run of the lab suite (nextest runs the `lab` group
//! one test at a time, in name order): the shared lab goes, and leaves
//! nothing on the host.

use tbmesh_lab::lab;
use tbmesh_lab::lock::Lock;

use crate::shared;
use crate::support::{log, require_root, traces};

#[test]
fn zz_the_shared_lab_goes_down_and_leaves_nothing_behind() {
    require_root();
    let dir = shared::dir();
    let root = dir.dir.parent().expect("a parent").to_path_buf();
    if !root.exists() {
        log("no shared lab was made in this run");
        return;
    }
    let _lock = Lock::exclusive(&root.join("lock"), "the shared test lab", &mut log)
        .expect("locking the shared lab");
    lab::down(&dir, &mut log).expect("lab down of the shared lab");
    let left = traces(&dir.name, &dir.dir);
    assert_eq!(left.netns, Vec::<String>::new());
    assert_eq!(left.loops, Vec::<String>::new());
    assert_eq!(left.mounts, Vec::<String>::new());
    assert_eq!(left.processes, Vec::<String>::new());
    // `down` removes only what the lab made; tests leave files of their
    // own beside it (a mis-cabled spec), and the directory is the suite's.
    std::fs::remove_dir_all(&root).expect("removing the shared lab's directory");
}
