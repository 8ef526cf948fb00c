//! One 3-node container lab that the tests which only read a converged
//! cluster (or fault it and put it back) take turns on, instead of a lab and
//! a first apply each: the CI budget (docs/lab.md, "The shared lab").
//!
//! - It lives in a fixed directory, `/var/tmp/tbmesh-test-labs/<name>/lab`,
//!   so the next test process finds it; nextest's `lab` group runs one lab
//!   test at a time, and a file lock keeps two processes off it anyway.
//! - Every test that takes it first puts it back in shape: powers on nodes,
//!   plugs and heals cables, applies the spec (a no-op apply when nothing
//!   drifted), and waits until the mesh routes (and, for [`Level::Ceph`],
//!   until PGs are active+clean and health is as the lab always has it).
//!   A lab that cannot be put back, or was made from another image, is
//!   replaced by a new one.
//! - It stays up when a test ends; `zz_teardown` removes it at the end of a
//!   full run (`.ci/run` also removes it after the test command).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use tbmesh_lab::lab::{self, LinkAction, NodeReport, Power, UpReport};
use tbmesh_lab::lock::Lock;
use tbmesh_lab::state::{Backend, LabDir};

use crate::apply::{mesh_reachable, run_ok, spec_of, MESH};
use crate::ceph::{wait_clean, wait_healthy};
use crate::support::{log, require_root, tagged_name, TestLab};

/// What the shared lab must have before a test runs on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// The mesh phases applied; every router reaches every other.
    Mesh,
    /// Everything applied: 6 OSDs, PGs active+clean, health as usual.
    Ceph,
}

/// The shared lab, held by one test at a time.
pub struct SharedLab {
    pub lab: TestLab,
    pub spec: PathBuf,
    _lock: Lock,
}

impl std::ops::Deref for SharedLab {
    type Target = TestLab;
    fn deref(&self) -> &TestLab {
        &self.lab
    }
}

/// Where the shared lab lives.
pub fn dir() -> LabDir {
    let name = tagged_name("tshared");
    LabDir {
        dir: PathBuf::from("/var/tmp/tbmesh-test-labs")
            .join(&name)
            .join("lab"),
        name,
    }
}

fn lock(dir: &LabDir) -> Lock {
    require_root();
    let root = dir.dir.parent().expect("a parent").to_path_buf();
    std::fs::create_dir_all(&root).expect("creating the shared lab's directory");
    Lock::exclusive(&root.join("lock"), "the shared test lab", &mut log)
        .expect("locking the shared lab")
}

fn new_lab(dir: &LabDir) -> TestLab {
    if let Err(e) = lab::down(dir, &mut log) {
        log(&format!("removing the old shared lab: {e:#}"));
    }
    let mut lab = TestLab::create(dir.clone(), Backend::Container, 3);
    lab.keep = true;
    lab
}

/// A new shared lab with nothing applied yet, for the test of a first
/// apply (it runs first: tests run in name order); later tests reuse it.
pub fn fresh() -> SharedLab {
    let dir = dir();
    let lock = lock(&dir);
    let lab = new_lab(&dir);
    let spec = spec_of(&lab);
    SharedLab {
        lab,
        spec,
        _lock: lock,
    }
}

/// The shared lab at `level`, made or put back in shape first.
pub fn lab(level: Level) -> SharedLab {
    let dir = dir();
    let lock = lock(&dir);
    let started = Instant::now();
    let lab = match reuse(&dir) {
        Some(lab) => lab,
        None => new_lab(&dir),
    };
    let spec = spec_of(&lab);
    match level {
        Level::Mesh => {
            let mut args = vec!["apply"];
            args.extend(MESH);
            run_ok(&spec, &args, 0);
            mesh_reachable(&lab, 65520, Duration::from_secs(120));
        }
        Level::Ceph => {
            run_ok(&spec, &["apply"], 0);
            mesh_reachable(&lab, 65520, Duration::from_secs(120));
            wait_clean(&lab, 6, Duration::from_secs(300));
            wait_healthy(&lab, Duration::from_secs(180));
        }
    }
    log(&format!(
        "shared lab {} ready ({level:?}) in {:.1} s",
        dir.name,
        started.elapsed().as_secs_f64()
    ));
    SharedLab {
        lab,
        spec,
        _lock: lock,
    }
}

/// The lab left by an earlier test, powered on, cabled and healed; `None`
/// when there is none or it cannot be used.
fn reuse(dir: &LabDir) -> Option<TestLab> {
    let state = lab::load(dir).ok()?;
    let image = tbmesh_lab::image::ensure(&mut log).ok()?;
    if state.backend != Backend::Container || state.image_dir != image.dir {
        log("the shared lab was made from another image: replacing it");
        return None;
    }
    let status = lab::status(dir).ok()?;
    for node in status.nodes.iter().filter(|n| !n.running) {
        log(&format!("shared lab: powering {} back on", node.name));
        lab::power(dir, &node.name, Power::On, true, &mut log).ok()?;
    }
    for cable in &status.cables {
        if !cable.plugged {
            lab::link(dir, &cable.a, LinkAction::Up, &mut log).ok()?;
        }
        for end in &cable.silent {
            lab::link(dir, end, LinkAction::Heal, &mut log).ok()?;
        }
    }
    let status = lab::status(dir).ok()?;
    if !status.nodes.iter().all(|n| n.running && n.ssh) {
        log("a node of the shared lab does not answer: replacing the lab");
        return None;
    }
    let report = UpReport {
        name: dir.name.clone(),
        backend: Backend::Container,
        state_dir: dir.dir.clone(),
        spec: dir.spec(),
        ssh_config: dir.ssh_config(),
        key: dir.key(),
        known_hosts: dir.known_hosts(),
        image: image.dir,
        image_build_seconds: image.info.build_seconds,
        image_built_now: false,
        accel: None,
        up_seconds: 0.0,
        nodes: status
            .nodes
            .into_iter()
            .map(|n| NodeReport {
                name: n.name,
                mgmt_ip: n.mgmt_ip,
                router_ip: n.router_ip,
                osd_devices: n.osd_devices,
                ssh_seconds: 0.0,
            })
            .collect(),
    };
    Some(TestLab::attach(dir.clone(), report))
}
