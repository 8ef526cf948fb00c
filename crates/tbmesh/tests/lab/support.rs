//! A lab per test, in its own state directory and namespaces, removed when
//! the test ends (pass or fail).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use tbmesh_lab::lab::{self, LinkAction, Power, UpOptions, UpReport};
use tbmesh_lab::state::{Backend, LabDir};

pub fn log(line: &str) {
    eprintln!("{line}");
}

pub struct TestLab {
    pub dir: LabDir,
    pub report: UpReport,
    /// A shared lab (tests/lab/shared.rs) stays up when a test ends.
    pub(crate) keep: bool,
    // Removed after `down` (field order: dropped last).
    _tmp: Option<tempfile::TempDir>,
}

pub fn tagged_name(name: &str) -> String {
    let tag = std::env::var("TBMESH_TEST_LAB_TAG").unwrap_or_default();
    format!("{tag}{name}").chars().take(8).collect()
}

pub fn require_root() {
    assert!(
        tbmesh_lab::host::is_root(),
        "the lab suite needs root (network namespaces, mounts, loop devices); run it as root, e.g. via .ci/run"
    );
}

impl TestLab {
    /// A lab of `nodes` nodes named `name` (1-8 chars), in a temporary
    /// directory, taken down when the test ends. With
    /// `TBMESH_TEST_LAB_TAG=x` set, the name is prefixed with `x` (and cut to
    /// 8 chars), so two checkouts can run lab tests at once without their
    /// labs taking each other for crashed twins.
    pub fn up(name: &str, backend: Backend, nodes: usize) -> Self {
        require_root();
        let tagged = tagged_name(name);
        let tmp = tempfile::Builder::new()
            .prefix("tbmesh-lab-test-")
            .tempdir()
            .expect("a temporary directory");
        let dir = LabDir {
            name: tagged,
            dir: tmp.path().join("lab"),
        };
        let mut lab = Self::create(dir, backend, nodes);
        lab._tmp = Some(tmp);
        lab
    }

    /// Brings up a new lab in `dir` (taken down on drop unless `keep`).
    pub fn create(dir: LabDir, backend: Backend, nodes: usize) -> Self {
        let opts = UpOptions {
            backend,
            nodes,
            osd_disks: 1,
            osd_size_gib: 4,
            vm_memory_mib: 1024,
            vm_cpus: 1,
            accel: "auto".into(),
            // TCG on a host shared with other jobs can be very slow.
            ssh_timeout: (backend == Backend::Vm).then_some(1200),
        };
        let report = lab::up(&dir, &opts, &mut log)
            .unwrap_or_else(|e| panic!("lab up {} failed: {e:#}", dir.name));
        eprintln!(
            "lab {}: {} nodes up in {:.1} s",
            dir.name,
            report.nodes.len(),
            report.up_seconds
        );
        Self {
            dir,
            report,
            keep: false,
            _tmp: None,
        }
    }

    /// A lab that is already up, described by `report`.
    pub fn attach(dir: LabDir, report: UpReport) -> Self {
        Self {
            dir,
            report,
            keep: true,
            _tmp: None,
        }
    }

    pub fn ssh_config(&self) -> PathBuf {
        self.dir.ssh_config()
    }

    /// Runs `command` on `node` through the lab's ssh_config.
    pub fn ssh(&self, node: &str, command: &str) -> Output {
        ssh_with(&self.ssh_config(), node, command)
    }

    /// Runs `command` on `node`; fails the test unless it exits 0. Stdout.
    pub fn sh(&self, node: &str, command: &str) -> String {
        let out = self.ssh(node, command);
        assert!(
            out.status.success(),
            "`{command}` on {node} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn link(&self, port: &str, action: LinkAction) {
        lab::link(&self.dir, port, action, &mut log)
            .unwrap_or_else(|e| panic!("lab link {port} {action:?}: {e:#}"));
    }

    pub fn power(&self, node: &str, what: Power) -> String {
        lab::power(&self.dir, node, what, true, &mut log)
            .unwrap_or_else(|e| panic!("lab {what:?} {node}: {e:#}"))
    }

    pub fn boot_id(&self, node: &str) -> String {
        self.sh(node, "cat /proc/sys/kernel/random/boot_id")
            .trim()
            .to_string()
    }

    /// Waits (up to 15 minutes: TCG on a busy host) until `node` answers
    /// with a boot id other than `old`.
    pub fn wait_new_boot(&self, node: &str, old: &str) {
        let start = std::time::Instant::now();
        while start.elapsed() < std::time::Duration::from_secs(900) {
            let out = self.ssh(node, "cat /proc/sys/kernel/random/boot_id");
            if out.status.success() && String::from_utf8_lossy(&out.stdout).trim() != old {
                eprintln!("{node} back after {:.0} s", start.elapsed().as_secs_f64());
                return;
            }
            std::thread::sleep(std::time::Duration::from_secs(2));
        }
        panic!("{node} did not come back with a new boot within 15 minutes");
    }

    pub fn node_names(&self) -> Vec<String> {
        self.report.nodes.iter().map(|n| n.name.clone()).collect()
    }

    /// `ip -j link show dev PORT` on a node: (admin up, carrier, mtu).
    pub fn port(&self, node: &str, port: &str) -> (bool, bool, u64) {
        let out = self.sh(node, &format!("ip -j link show dev {port}"));
        let v: serde_json::Value = serde_json::from_str(&out).expect("ip -j output is JSON");
        let flags: Vec<&str> = v[0]["flags"]
            .as_array()
            .map(|f| f.iter().filter_map(|x| x.as_str()).collect())
            .unwrap_or_default();
        (
            flags.contains(&"UP"),
            flags.contains(&"LOWER_UP") && !flags.contains(&"NO-CARRIER"),
            v[0]["mtu"].as_u64().unwrap_or(0),
        )
    }
}

impl Drop for TestLab {
    fn drop(&mut self) {
        if self.keep {
            return;
        }
        if let Err(e) = lab::down(&self.dir, &mut log) {
            eprintln!("lab down {} failed: {e:#}", self.dir.name);
        }
    }
}

/// A command's exit status, stdout and stderr, for assertion messages.
pub fn text(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub fn ssh_with(config: &Path, node: &str, command: &str) -> Output {
    Command::new("ssh")
        .arg("-F")
        .arg(config)
        .args(["-o", "BatchMode=yes", node, "--", command])
        .stdin(Stdio::null())
        .output()
        .expect("running ssh")
}

/// What the lab could leave on the host, to compare before and after.
#[derive(Debug, PartialEq, Eq)]
pub struct HostTraces {
    pub netns: Vec<String>,
    pub root_links: Vec<String>,
    pub loops: Vec<String>,
    pub mounts: Vec<String>,
    pub processes: Vec<String>,
    /// The nodes' devices cgroups (container backend).
    pub cgroups: Vec<String>,
}

pub fn traces(lab_name: &str, dir: &Path) -> HostTraces {
    let prefix = format!("tbl-{lab_name}");
    let netns = tbmesh_lab::host::list_netns()
        .expect("listing network namespaces")
        .into_iter()
        .filter(|n| n == &prefix || n.starts_with(&format!("{prefix}-")))
        .collect();
    let run = |args: &[&str]| {
        let out = Command::new(args[0])
            .args(&args[1..])
            .output()
            .expect("running a host tool");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let root_links = run(&["ip", "-o", "link", "show"])
        .lines()
        .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        .collect();
    let d = dir.to_string_lossy().to_string();
    let loops = run(&["losetup", "-l", "-n", "-O", "NAME,BACK-FILE"])
        .lines()
        .filter(|l| l.contains(&d))
        .map(str::to_string)
        .collect();
    let mut mounts = Vec::new();
    let mut processes = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("reading /proc").flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let cmdline = tbmesh_lab::host::cmdline(pid);
        if cmdline.contains(&d) && pid != std::process::id() {
            processes.push(format!("{pid} {cmdline}"));
        }
        if let Ok(info) = std::fs::read_to_string(format!("/proc/{pid}/mountinfo")) {
            for line in info.lines().filter(|l| l.contains(&d)) {
                mounts.push(format!("{pid}: {line}"));
            }
        }
    }
    mounts.sort();
    mounts.dedup();
    let cgroups = std::fs::read_dir("/sys/fs/cgroup/devices")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&format!("tbmesh-lab-{lab_name}-")))
        .collect();
    HostTraces {
        netns,
        root_links,
        loops,
        mounts,
        processes,
        cgroups,
    }
}
