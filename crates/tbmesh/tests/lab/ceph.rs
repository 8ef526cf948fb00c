//! The Ceph and tune phases on the lab: a fresh lab to 3 mons, 3 mgrs,
//! 6 OSDs and an active+clean pool; a second apply changes nothing; a disk
//! with a filesystem is refused before anything is written; a rebooted
//! node's OSDs come back by themselves; a cable cut during a write bench
//! does not stop the I/O and health recovers once it is plugged back.
//! Real Ceph 18 from Debian 13.

use std::time::{Duration, Instant};

use tbmesh_lab::lab::{LinkAction, Power};
use tbmesh_lab::state::Backend;

use crate::apply::{run_ok, spec_of};
use crate::shared::{self, Level};
use crate::support::TestLab;

pub fn ceph_json(lab: &TestLab, node: &str, cmd: &str) -> serde_json::Value {
    let out = lab.ssh(node, &format!("timeout 30 ceph {cmd} -f json"));
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}

/// Wait until every PG is active+clean and `osds` OSDs are up.
pub fn wait_clean(lab: &TestLab, osds: u64, within: Duration) {
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

/// The shared lab at [`Level::Ceph`]: made from a fresh lab by the first
/// full apply (or the mesh lab of an earlier test, by its Ceph and tune
/// phases), which waits until every Ceph check passes.
#[test]
fn ceph_lab_has_its_daemons_a_second_apply_changes_nothing_and_osds_survive_a_reboot() {
    let lab = shared::lab(Level::Ceph);
    let spec = lab.spec.clone();
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

/// Health checks the lab always has: Debian 13's managers can't load PyO3
/// modules, and the lab host's disk may be low (see docs/ceph.md).
const LAB_HEALTH: [&str; 2] = ["MGR_MODULE_DEPENDENCY", "MON_DISK_LOW"];

/// Wait until health holds nothing but [`LAB_HEALTH`].
pub fn wait_healthy(lab: &TestLab, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let h = ceph_json(lab, "n2", "health detail");
        let other: Vec<&String> = h["checks"]
            .as_object()
            .map(|m| {
                m.keys()
                    .filter(|k| !LAB_HEALTH.contains(&k.as_str()))
                    .collect()
            })
            .unwrap_or_default();
        if h["status"].is_string() && other.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "health did not recover: {h}");
        std::thread::sleep(Duration::from_secs(3));
    }
}

/// One row per second of `rados bench`: (second, finished ops, cur MB/s).
fn bench_rows(log: &str) -> Vec<(u64, u64, f64)> {
    log.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.len() < 8 {
                return None;
            }
            Some((f[0].parse().ok()?, f[3].parse().ok()?, f[5].parse().ok()?))
        })
        .collect()
}

#[test]
fn a_cable_cut_during_rados_bench_keeps_io_going_and_health_recovers_after_restore() {
    let started = Instant::now();
    let lab = shared::lab(Level::Ceph);
    // 20 s of 4 MiB writes from n3, in the background. rados bench deletes
    // its objects at the end: the shared lab's OSDs are 2 GiB, and two
    // runs' leftovers made them nearfull (HEALTH_WARN) for later tests.
    lab.sh(
        "n3",
        "rm -f /root/bench.log; setsid nohup sh -c 'timeout 120 rados -p cephtb4 bench 20 write > /root/bench.log 2>&1; echo rc=$? >> /root/bench.log' </dev/null >/dev/null 2>&1 &",
    );
    std::thread::sleep(Duration::from_secs(5));
    // The n2 -- n3 cable: traffic between them goes round through n4.
    lab.link("n2:en05", LinkAction::Down);
    let (_, carrier, _) = lab.port("n2", "en05");
    assert!(!carrier, "n2:en05 still has carrier after the cut");
    std::thread::sleep(Duration::from_secs(8));
    lab.link("n2:en05", LinkAction::Up);
    let deadline = Instant::now() + Duration::from_secs(120);
    let log = loop {
        let out = lab.ssh("n3", "cat /root/bench.log");
        let log = String::from_utf8_lossy(&out.stdout).into_owned();
        if log.contains("rc=") {
            break log;
        }
        assert!(Instant::now() < deadline, "rados bench did not end: {log}");
        std::thread::sleep(Duration::from_secs(2));
    };
    eprintln!("{log}");
    assert!(log.contains("rc=0"), "rados bench failed: {log}");
    // I/O never stopped: no 3 seconds in a row without a finished write
    // (the cut was from about second 5 to 13), and every write ended.
    let rows = bench_rows(&log);
    assert!(rows.len() >= 15, "too few bench rows: {log}");
    let stalled = rows.windows(4).find(|w| w[3].1 == w[0].1);
    assert!(stalled.is_none(), "I/O stalled around {stalled:?}: {log}");
    let max_lat = log
        .lines()
        .find_map(|l| l.strip_prefix("Max latency(s):"))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or(f64::MAX);
    assert!(max_lat < 10.0, "a write took {max_lat} s: {log}");
    // After the restore: carrier back, every OSD up, PGs clean, health as
    // before the cut.
    let (_, carrier, _) = lab.port("n2", "en05");
    assert!(carrier, "n2:en05 has no carrier after the restore");
    wait_clean(&lab, 6, Duration::from_secs(180));
    wait_healthy(&lab, Duration::from_secs(180));
    eprintln!(
        "cut, restore and recovery: {:.1} s in all",
        started.elapsed().as_secs_f64()
    );
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

/// Issue 11: Ceph on an IPv6-only fabric, brought up from a fresh lab (its
/// own, not the shared one: Ceph's addresses are made at bring-up). Run only
/// with `TBMESH_TEST_CEPH_IPV6=1`: a fresh Ceph bring-up takes several
/// minutes, more than the CI budget has for it (docs/ceph.md, "Ceph on
/// IPv6"); without it the test says so and passes.
#[test]
fn ceph_on_an_ipv6_only_fabric_comes_up_bound_to_ipv6_when_asked() {
    if std::env::var_os("TBMESH_TEST_CEPH_IPV6").is_none() {
        crate::support::log(
            "skipped: set TBMESH_TEST_CEPH_IPV6=1 to bring up Ceph over IPv6 (several minutes)",
        );
        return;
    }
    let started = Instant::now();
    let lab = TestLab::up("ceph6", Backend::Container, 3);
    let text = std::fs::read_to_string(spec_of(&lab)).expect("the lab's spec");
    let mut v6 = text.replacen(
        "prefix = \"10.100.0.0/24\"\n",
        "prefix6 = \"fd00:100::/64\"\n",
        1,
    );
    for n in 12..=14 {
        v6 = v6.replacen(&format!("router_ip = \"10.100.0.{n}\"\n"), "", 1);
    }
    assert!(!v6.contains("10.100.0."), "{v6}");
    let spec = spec_of(&lab).with_file_name("tbmesh-v6only.toml");
    std::fs::write(&spec, v6).expect("write the IPv6-only spec");
    run_ok(&spec, &["apply"], 0);
    wait_clean(&lab, 6, Duration::from_secs(300));
    // Monitors at the IPv6 router addresses (n2 ::1, n3 ::2, n4 ::3).
    let mons = ceph_json(&lab, "n2", "mon dump");
    let addrs: Vec<String> = mons["mons"]
        .as_array()
        .expect("mons")
        .iter()
        .map(|m| m["public_addr"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(addrs.len(), 3, "{mons}");
    for (i, a) in addrs.iter().enumerate() {
        assert!(
            a.starts_with(&format!("[fd00:100::{}]:", i + 1)),
            "{addrs:?}"
        );
    }
    let conf = lab.sh("n3", "cat /etc/ceph/ceph.conf");
    assert!(conf.contains("\tms_bind_ipv6 = true\n"), "{conf}");
    assert!(conf.contains("\tms_bind_ipv4 = false\n"), "{conf}");
    // verify (mesh and Ceph) passes: OSD cluster addresses inside fd00:100::/64.
    run_ok(&spec, &["verify"], 0);
    crate::support::log(&format!(
        "Ceph over IPv6 from a fresh lab in {:.0} s",
        started.elapsed().as_secs_f64()
    ));
}
