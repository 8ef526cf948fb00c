//! The Ceph and tune phases on the lab: a fresh lab to 3 mons, 3 mgrs,
//! 6 OSDs and an active+clean pool; a second apply changes nothing; a disk
//! with a filesystem is refused before anything is written; a rebooted
//! node's OSDs come back by themselves. Real Ceph 18 from Debian 13.

use std::time::{Duration, Instant};

use tbmesh_lab::lab::Power;
use tbmesh_lab::state::Backend;

use crate::apply::{run_ok, spec_of};
use crate::support::TestLab;

fn ceph_json(lab: &TestLab, node: &str, cmd: &str) -> serde_json::Value {
    let out = lab.ssh(node, &format!("timeout 30 ceph {cmd} -f json"));
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}

/// Wait until every PG is active+clean and `osds` OSDs are up.
fn wait_clean(lab: &TestLab, osds: u64, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let pg = ceph_json(lab, "n2", "pg stat");
        let sum = &pg["pg_summary"];
        let num = sum["num_pgs"].as_u64().unwrap_or(0);
        let clean: u64 = sum["num_pg_by_state"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|s| s["name"] == "active+clean")
            .filter_map(|s| s["num"].as_u64())
            .sum();
        let up = ceph_json(lab, "n2", "osd stat")["num_up_osds"]
            .as_u64()
            .unwrap_or(0);
        if num > 0 && clean == num && up == osds {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "not active+clean: {pg} ({up} OSDs up)"
        );
        std::thread::sleep(Duration::from_secs(3));
    }
}

#[test]
fn fresh_lab_to_active_clean_then_a_second_apply_changes_nothing_and_osds_survive_a_reboot() {
    let started = Instant::now();
    let lab = TestLab::up("tceph", Backend::Container, 3);
    let spec = spec_of(&lab);
    run_ok(&spec, &["apply"], 0);
    wait_clean(&lab, 6, Duration::from_secs(240));
    eprintln!(
        "fresh lab to active+clean: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let mons = ceph_json(&lab, "n2", "mon dump");
    assert_eq!(mons["mons"].as_array().map(Vec::len), Some(3));
    let mgr = ceph_json(&lab, "n2", "mgr dump");
    assert_eq!(mgr["standbys"].as_array().map(Vec::len), Some(2));
    let out = run_ok(&spec, &["apply"], 0);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no changes"),
        "a second apply changed something"
    );
    // Secrets never reach the output.
    assert!(!String::from_utf8_lossy(&out.stderr).contains("key = "));
    // A reboot: the node's OSDs come back without a hand on them.
    let boot = lab.boot_id("n3");
    lab.power("n3", Power::Reboot { hard: false });
    lab.wait_new_boot("n3", &boot);
    wait_clean(&lab, 6, Duration::from_secs(180));
}

#[test]
fn a_disk_with_a_filesystem_is_refused_before_anything_is_written() {
    let lab = TestLab::up("tcephfs", Backend::Container, 3);
    let spec = spec_of(&lab);
    let dev = lab.report.nodes[1].osd_devices[0].clone();
    let n = lab.report.nodes[1].name.clone();
    assert!(lab.ssh(&n, &format!("mkfs.ext4 -q -F {dev} && mkdir -p /mnt/d && mount {dev} /mnt/d && echo keep > /mnt/d/data && umount /mnt/d")).status.success());
    let out = run_ok(&spec, &["apply"], 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not empty") && err.contains("ext4"), "{err}");
    // Nothing Ceph was made anywhere, and the data is intact.
    for node in lab.node_names() {
        assert!(!lab
            .ssh(&node, "test -e /etc/ceph/ceph.conf")
            .status
            .success());
    }
    assert!(lab
        .ssh(
            &n,
            &format!("mount {dev} /mnt/d && grep -q keep /mnt/d/data && umount /mnt/d")
        )
        .status
        .success());
}
