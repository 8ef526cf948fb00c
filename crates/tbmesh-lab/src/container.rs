//! The container backend: one systemd-nspawn container per node, booting
//! the image's systemd from an overlay, in the node's network namespace.
//!
//! Each node runs under a small shell wrapper (`nodes/<n>/boot.sh`) started
//! in the node's network namespace and a mount namespace of its own: it mounts the overlay there (so the mount cannot outlive it)
//! and starts nspawn again when the container reboots (nspawn exits 133).

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use rustix::process::Signal;

use crate::host::{self, write_file, Cmd};
use crate::net;
use crate::render;
use crate::state::{LabDir, LabState, LoopDisk, NodeState};
use crate::topology::NodePlan;

pub const MGMT_IF: &str = "mgmt0";

fn upper(lab: &LabDir, node: &str) -> PathBuf {
    lab.node_dir(node).join("upper")
}

fn boot_script(lab: &LabDir, node: &str) -> PathBuf {
    lab.node_dir(node).join("boot.sh")
}

pub fn console_log(lab: &LabDir, node: &str) -> PathBuf {
    lab.node_dir(node).join("console.log")
}

/// Creates `rel` under `upper`, each directory with the owner and mode of
/// its counterpart in the image: an upper directory hides the lower one's
/// attributes (a 0755 /root would be wrong, a 0700 /etc worse).
fn mkdir_like_image(upper: &Path, lower: &Path, rel: &str) -> Result<PathBuf> {
    let mut up = upper.to_path_buf();
    let mut low = lower.to_path_buf();
    for part in Path::new(rel).components() {
        up.push(part);
        low.push(part);
        if up.exists() {
            continue;
        }
        fs::create_dir(&up).with_context(|| format!("creating {}", up.display()))?;
        if let Ok(meta) = fs::metadata(&low) {
            fs::set_permissions(&up, fs::Permissions::from_mode(meta.mode() & 0o7777))
                .with_context(|| format!("setting the mode of {}", up.display()))?;
            rustix::fs::chown(
                &up,
                Some(rustix::fs::Uid::from_raw(meta.uid())),
                Some(rustix::fs::Gid::from_raw(meta.gid())),
            )
            .with_context(|| format!("setting the owner of {}", up.display()))?;
        }
    }
    Ok(up)
}

/// nspawn mounts /proc/sys/net read-only when it joins an existing network
/// namespace; the node's own sysctls (ip_forward for routing, tbmesh's
/// sysctl.d) need it writable. It only ever shows the node's namespace.
const PROC_SYS_NET_UNIT: &str = "\
[Unit]
Description=tbmesh lab: make /proc/sys/net writable (nspawn mounts it read-only)
DefaultDependencies=no
Before=systemd-sysctl.service sysinit.target
ConditionVirtualization=container

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'mountpoint -q /proc/sys/net || mount --bind /proc/sys/net /proc/sys/net; mount -o remount,bind,rw /proc/sys/net'

[Install]
WantedBy=sysinit.target
";

fn machine_id() -> Result<String> {
    let uuid = fs::read_to_string("/proc/sys/kernel/random/uuid")
        .context("reading /proc/sys/kernel/random/uuid")?;
    Ok(uuid.trim().replace('-', ""))
}

/// Writes the node's own files into its overlay's upper directory, makes
/// its OSD disks, and returns the node's host public key.
pub fn prepare_node(
    lab: &LabDir,
    state: &LabState,
    plan: &NodePlan,
    admin_pubkey: &str,
    node_state: &mut NodeState,
) -> Result<String> {
    let rootfs = state.image_dir.join("rootfs");
    let up = upper(lab, &plan.name);
    fs::create_dir_all(&up).with_context(|| format!("creating {}", up.display()))?;
    for dir in ["work", "root"] {
        let d = lab.node_dir(&plan.name).join(dir);
        fs::create_dir_all(&d).with_context(|| format!("creating {}", d.display()))?;
    }
    let etc = mkdir_like_image(&up, &rootfs, "etc")?;
    write_file(&etc.join("hostname"), &format!("{}\n", plan.name), 0o644)?;
    write_file(
        &etc.join("machine-id"),
        &format!("{}\n", machine_id()?),
        0o444,
    )?;
    write_file(
        &etc.join("hosts"),
        &render::hosts(&state.topology, plan),
        0o644,
    )?;
    // The image's fstab is for the VM backend (/dev/vda); here the root is
    // the overlay nspawn set up.
    write_file(
        &etc.join("fstab"),
        "# tbmesh lab container: the root file system is an overlay set up by systemd-nspawn.\n",
        0o644,
    )?;
    let net = mkdir_like_image(&up, &rootfs, "etc/network")?;
    write_file(
        &net.join("interfaces"),
        &render::interfaces(MGMT_IF, plan),
        0o644,
    )?;
    let units = mkdir_like_image(&up, &rootfs, "etc/systemd/system/sysinit.target.wants")?;
    write_file(
        &units.join("../tbmesh-lab-proc-sys-net.service"),
        PROC_SYS_NET_UNIT,
        0o644,
    )?;
    std::os::unix::fs::symlink(
        "../tbmesh-lab-proc-sys-net.service",
        units.join("tbmesh-lab-proc-sys-net.service"),
    )
    .context("enabling tbmesh-lab-proc-sys-net.service")?;
    let sshd = mkdir_like_image(&up, &rootfs, "etc/ssh/sshd_config.d")?;
    write_file(&sshd.join("tbmesh-lab.conf"), render::SSHD_DROP_IN, 0o644)?;
    let journald = mkdir_like_image(&up, &rootfs, "etc/systemd/journald.conf.d")?;
    write_file(&journald.join("tbmesh-lab.conf"), JOURNALD_DROP_IN, 0o644)?;
    let host_key = up.join("etc/ssh/ssh_host_ed25519_key");
    let host_pub = crate::ssh::keygen(&host_key, &format!("root@{}", plan.name))?;
    let dot_ssh = mkdir_like_image(&up, &rootfs, "root/.ssh")?;
    write_file(
        &dot_ssh.join("authorized_keys"),
        &format!("{admin_pubkey}\n"),
        0o600,
    )?;

    // OSD disks: sparse files on loop devices. Loop devices and /sys are
    // the host's, shared by all containers: each node gets its own and the
    // spec names them exactly.
    fs::create_dir_all(lab.disks_dir())
        .with_context(|| format!("creating {}", lab.disks_dir().display()))?;
    for k in 0..state.osd_disks {
        let file = lab.disks_dir().join(format!("{}-osd{k}.img", plan.name));
        let f = fs::File::create(&file).with_context(|| format!("creating {}", file.display()))?;
        f.set_len(state.osd_size_gib << 30)
            .with_context(|| format!("sizing {}", file.display()))?;
        // --partscan: the kernel reads the new, empty file's partition
        // table, dropping partitions a previous user of this loop device
        // left in sysfs (they would make a fresh disk look in use).
        let device = Cmd::new("losetup")
            .args(["--find", "--show", "--partscan"])
            .arg(&file)
            .run()?
            .trim()
            .to_string();
        node_state.loops.push(LoopDisk {
            file,
            device: device.clone(),
        });
        node_state.osd_devices.push(device);
    }
    // Ceph's monitors warn (MON_DISK_LOW) when their file system has under
    // 30 % free, and the host's shared disk often has: /var/lib/ceph gets a
    // small file system of its own, seeded from the image.
    let ceph_img = lab.node_dir(&plan.name).join(CEPH_IMG);
    let f =
        fs::File::create(&ceph_img).with_context(|| format!("creating {}", ceph_img.display()))?;
    f.set_len(4 << 30)
        .with_context(|| format!("sizing {}", ceph_img.display()))?;
    Cmd::new("mkfs.ext4")
        .args(["-q", "-F", "-d"])
        .arg(rootfs.join("var/lib/ceph"))
        .arg(&ceph_img)
        .run()?;
    write_boot_script(lab, state, plan, node_state)?;
    Ok(host_pub)
}

/// Containers keep their journal in /run. With the image's persistent
/// /var/log/journal, a container's first boot under load now and then
/// ended "degraded": systemd-tmpfiles-setup.service (seen) or -setup-dev-early
/// (reported) failed right after systemd-journal-flush. tmpfiles.d/systemd.conf
/// sets the owner, mode and ACLs of the journal files journald is writing
/// at that moment: the race of systemd issue #30938 ("fail to open
/// system.journal maybe during rotation"). A volatile journal leaves
/// tmpfiles nothing to race. Nothing of the lab reads an earlier boot's
/// journal.
const JOURNALD_DROP_IN: &str =
    "# tbmesh lab: the journal in /run only (see container.rs).\n[Journal]\nStorage=volatile\n";

/// Where the cgroup v1 devices controller is mounted (absent on a cgroup
/// v2 host: there the containers get no device allow-list).
const DEVICES_CGROUP: &str = "/sys/fs/cgroup/devices";

/// The devices cgroup a node's container runs in.
fn device_cgroup(lab: &LabDir, node: &str) -> PathBuf {
    Path::new(DEVICES_CGROUP).join(format!("tbmesh-lab-{}-{node}", lab.name))
}

/// What a container may open besides its own loop devices: the nodes
/// nspawn puts in its /dev (null, zero, full, random, urandom, tty,
/// console, ptmx, ptys, tun, fuse), and block major 259 (blkext): the
/// partitions of a loop device (Ceph's raw-mode OSDs in a container) get
/// minors of that major as they are made, so no narrower rule can name
/// them in advance — on a host with NVMe disks this also covers those
/// (docs/lab.md). Making device nodes (`m`) is allowed, opening any other
/// device is not: a container cannot read or write a host disk or another
/// node's loop device even by making its node.
const CONTAINER_DEVICES: &[&str] = &[
    "b 259:* rwm",
    "c *:* m",
    "b *:* m",
    "c 1:3 rwm",
    "c 1:5 rwm",
    "c 1:7 rwm",
    "c 1:8 rwm",
    "c 1:9 rwm",
    "c 5:0 rwm",
    "c 5:1 rwm",
    "c 5:2 rwm",
    "c 136:* rwm",
    "c 10:200 rwm",
    "c 10:229 rwm",
];

/// The device allow-list of a node: [`CONTAINER_DEVICES`] and the node's
/// own loop devices (by major:minor, read from the device nodes).
fn device_rules(node: &NodeState) -> Result<Vec<String>> {
    let mut rules: Vec<String> = CONTAINER_DEVICES.iter().map(|r| r.to_string()).collect();
    for disk in &node.loops {
        let meta = fs::metadata(&disk.device)
            .with_context(|| format!("reading the device number of {}", disk.device))?;
        let rdev = meta.rdev();
        rules.push(format!(
            "b {}:{} rwm",
            rustix::fs::major(rdev),
            rustix::fs::minor(rdev)
        ));
    }
    Ok(rules)
}

/// Removes a node's devices cgroup (and any children its container made),
/// waiting up to 10 s for its last processes to be gone.
fn remove_device_cgroup(cg: &Path) -> Result<()> {
    if !cg.exists() {
        return Ok(());
    }
    let mut dirs = vec![];
    let mut stack = vec![cg.to_path_buf()];
    while let Some(d) = stack.pop() {
        if let Ok(entries) = fs::read_dir(&d) {
            stack.extend(
                entries
                    .flatten()
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                    .map(|e| e.path()),
            );
        }
        dirs.push(d);
    }
    for d in dirs.iter().rev() {
        // EBUSY until the killed processes have left it.
        host::wait_until(Duration::from_secs(10), Duration::from_millis(100), || {
            fs::remove_dir(d).is_ok() || !d.exists()
        });
        if d.exists() {
            bail!(
                "cannot remove the devices cgroup {}: processes are left in it",
                d.display()
            );
        }
    }
    Ok(())
}

/// Removes every devices cgroup of the lab's nodes (`lab down`, also for a
/// lab whose state was lost).
pub fn remove_device_cgroups(lab: &LabDir) -> Result<()> {
    let prefix = format!("tbmesh-lab-{}-", lab.name);
    let Ok(entries) = fs::read_dir(DEVICES_CGROUP) else {
        return Ok(());
    };
    for e in entries.flatten() {
        if e.file_name().to_string_lossy().starts_with(&prefix) {
            remove_device_cgroup(&e.path())?;
        }
    }
    Ok(())
}

/// A node's own file system for /var/lib/ceph, in its directory.
const CEPH_IMG: &str = "var-lib-ceph.img";

fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn write_boot_script(
    lab: &LabDir,
    state: &LabState,
    plan: &NodePlan,
    node: &NodeState,
) -> Result<()> {
    let dir = lab.node_dir(&plan.name);
    let lower = state.image_dir.join("rootfs");
    let root = dir.join("root");
    let q = |p: &Path| sh_quote(&p.to_string_lossy());
    let mut nspawn = vec![
        "systemd-nspawn".to_string(),
        "--quiet".into(),
        "--boot".into(),
        "--register=no".into(),
        "--keep-unit".into(),
        "--settings=no".into(),
        format!("--machine={}", plan.name),
        format!("--directory={}", q(&root)),
        format!(
            "--network-namespace-path=/run/netns/{}",
            lab.node_netns(&plan.name)
        ),
        // Without CAP_NET_ADMIN zebra fails, and frr and ssh hang.
        "--capability=CAP_NET_ADMIN".into(),
        "--resolv-conf=off".into(),
        "--timezone=off".into(),
        "--link-journal=no".into(),
        "--tmpfs=/tmp:mode=1777".into(),
        "--console=read-only".into(),
    ];
    for disk in &node.loops {
        nspawn.push(format!("--bind={}", sh_quote(&disk.device)));
    }
    let rules: Vec<String> = device_rules(node)?.iter().map(|r| sh_quote(r)).collect();
    let script = format!(
        "#!/bin/sh\n\
         # tbmesh lab {lab_name}, node {node}. Started in a mount namespace of its\n\
         # own: the overlay below goes away with it. A reboot inside the\n\
         # container makes systemd-nspawn exit 133: boot it again.\n\
         set -u\n\
         # ifupdown2 sets the MTU through /sys/class/net and sysctls through\n\
         # /proc/sys: both read-only in a container unless asked otherwise.\n\
         export SYSTEMD_NSPAWN_API_VFS_WRITABLE=1\n\
         mount -t overlay overlay -o lowerdir={lower},upperdir={upper},workdir={work} {root} || exit 1\n\
         mount -o loop {ceph_img} {root}/var/lib/ceph || exit 1\n\
         chown --reference={lower}/var/lib/ceph {root}/var/lib/ceph\n\
         chmod --reference={lower}/var/lib/ceph {root}/var/lib/ceph\n\
         # Devices: the container may open only its own loop devices and the\n\
         # nodes of its /dev (cgroup v1 devices controller, when the host has\n\
         # one). A fresh cgroup each boot: `deny a` needs one without children.\n\
         cg={cg}\n\
         if [ -d {devices} ]; then\n  \
           if [ -d \"$cg\" ]; then find \"$cg\" -depth -type d -exec rmdir {{}} + || exit 1; fi\n  \
           mkdir \"$cg\" && echo a > \"$cg/devices.deny\" || exit 1\n  \
           for r in {rules}; do echo \"$r\" > \"$cg/devices.allow\" || exit 1; done\n  \
           echo $$ > \"$cg/cgroup.procs\" || exit 1\n\
         fi\n\
         while :; do\n  \
           {nspawn}\n  \
           rc=$?\n  \
           [ \"$rc\" -eq 133 ] || exit \"$rc\"\n  \
           echo 'tbmesh lab: {node} reboots'\n\
         done\n",
        lab_name = lab.name,
        node = plan.name,
        lower = q(&lower),
        upper = q(&dir.join("upper")),
        work = q(&dir.join("work")),
        root = q(&root),
        ceph_img = q(&dir.join(CEPH_IMG)),
        cg = q(&device_cgroup(lab, &plan.name)),
        devices = DEVICES_CGROUP,
        rules = rules.join(" "),
        nspawn = nspawn.join(" \\\n    "),
    );
    write_file(&boot_script(lab, &plan.name), &script, 0o755)
}

/// Whether `pid` is this node's boot wrapper (and not a recycled pid).
fn is_wrapper(lab: &LabDir, node: &str, pid: u32) -> bool {
    host::alive(pid)
        && host::cmdline(pid).contains(&boot_script(lab, node).to_string_lossy().to_string())
}

pub fn running(lab: &LabDir, node: &NodeState) -> bool {
    node.pid.is_some_and(|pid| is_wrapper(lab, &node.name, pid))
}

/// Powers the node on: a fresh network namespace (management link and
/// ports, as after a real boot: no addresses, routes or sysctls left from
/// before), then boots it. Returns the wrapper's pid.
pub fn power_on(lab: &LabDir, state: &LabState, node: &str) -> Result<u32> {
    let ns = lab.node_netns(node);
    remove_netns(&ns)?;
    net::create_node_netns(&ns)?;
    let mut ends = vec![node.to_string()];
    for cable in &state.topology.cables {
        for end in [&cable.a, &cable.b] {
            if end.node == node {
                ends.push(net::middle_end(end));
            }
        }
    }
    net::remove_stale_ends(&lab.lab_netns(), &ends);
    let plan = state
        .topology
        .node(node)
        .with_context(|| format!("node {node} is not in the lab's topology"))?;
    net::connect_mgmt(
        &lab.lab_netns(),
        &ns,
        node,
        MGMT_IF,
        &plan.mgmt_ip.to_string(),
    )?;
    for (i, cable) in state.topology.cables.iter().enumerate() {
        for end in [&cable.a, &cable.b] {
            if end.node == node {
                net::plug_port(&lab.lab_netns(), &ns, end, i)?;
            }
        }
    }
    start(lab, node)
}

/// Kills what runs in a namespace and deletes it (with its interfaces).
pub fn remove_netns(ns: &str) -> Result<()> {
    if !host::netns_exists(ns) {
        return Ok(());
    }
    let gone = host::wait_until(Duration::from_secs(15), Duration::from_millis(100), || {
        match host::netns_pids(ns) {
            Ok(pids) => {
                for pid in &pids {
                    host::kill(*pid, Signal::KILL);
                }
                pids.is_empty()
            }
            Err(_) => false,
        }
    });
    if !gone {
        bail!("processes in network namespace {ns} did not exit after SIGKILL");
    }
    Cmd::new("ip").args(["netns", "delete", ns]).run()?;
    Ok(())
}

/// Powers the node off (pulling the power, or a clean shutdown) and
/// removes its network namespace.
pub fn power_off(lab: &LabDir, node: &NodeState, graceful: bool) -> Result<()> {
    if graceful {
        poweroff_graceful(lab, node)?;
    } else {
        kill(lab, node)?;
    }
    remove_netns(&lab.node_netns(&node.name))
}

fn start(lab: &LabDir, node: &str) -> Result<u32> {
    // A private mount namespace: the overlay never shows outside. nspawn
    // itself runs in the node's network namespace, so the sysfs it mounts
    // for the container shows the node's interfaces, not the host's (with
    // only --network-namespace-path it shows the host's). Not `ip netns
    // exec`: it remounts /sys without the cgroup mounts nspawn needs.
    let pid = Cmd::new("unshare")
        .args(["--mount", "--propagation", "private", "nsenter"])
        .arg(format!("--net=/run/netns/{}", lab.node_netns(node)))
        .arg("sh")
        .arg(boot_script(lab, node))
        .spawn_detached(&console_log(lab, node))?;
    // setsid, unshare and nsenter each exec the next in place; while one
    // execs, /proc/PID/cmdline reads empty and `running` would say the node
    // is off (the CI once saw its cables set down that way). Return once
    // the pid is the wrapper shell for good.
    let settled = host::wait_until(Duration::from_secs(30), Duration::from_millis(10), || {
        !host::alive(pid) || host::cmdline(pid).starts_with("sh ")
    });
    if !settled || !is_wrapper(lab, node, pid) {
        bail!(
            "node {node}'s boot wrapper (pid {pid}) did not start (see {})",
            console_log(lab, node).display()
        );
    }
    Ok(pid)
}

fn nspawn_of(wrapper: u32) -> Vec<u32> {
    host::children(wrapper)
}

/// The container's PID 1 as the host sees it.
fn container_init(nspawn: u32) -> Option<u32> {
    host::children(nspawn).into_iter().find(|pid| {
        fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("NSpid:"))
                    .map(|v| v.split_whitespace().last() == Some("1"))
            })
            .unwrap_or(false)
    })
}

/// Pulls the power: kills the wrapper, nspawn and everything in the node's
/// network namespace, and waits until they are gone.
pub fn kill(lab: &LabDir, node: &NodeState) -> Result<()> {
    if let Some(pid) = node.pid.filter(|&p| is_wrapper(lab, &node.name, p)) {
        let spawned = nspawn_of(pid);
        host::kill(pid, Signal::KILL);
        for child in spawned {
            host::kill(child, Signal::KILL);
        }
    }
    let ns = lab.node_netns(&node.name);
    let gone = host::wait_until(Duration::from_secs(15), Duration::from_millis(100), || {
        match host::netns_pids(&ns) {
            Ok(pids) => {
                for pid in &pids {
                    host::kill(*pid, Signal::KILL);
                }
                pids.is_empty()
            }
            Err(_) => false,
        }
    });
    if !gone {
        bail!(
            "processes of node {} in network namespace {ns} did not exit after SIGKILL",
            node.name
        );
    }
    remove_device_cgroup(&device_cgroup(lab, &node.name))
}

/// A clean shutdown (systemd powers off; nspawn and the wrapper exit).
pub fn poweroff_graceful(lab: &LabDir, node: &NodeState) -> Result<()> {
    let Some(pid) = node.pid.filter(|&p| is_wrapper(lab, &node.name, p)) else {
        return Ok(());
    };
    for nspawn in nspawn_of(pid) {
        // nspawn turns SIGTERM into an orderly poweroff of the container.
        host::kill(nspawn, Signal::TERM);
    }
    if !host::wait_until(Duration::from_secs(60), Duration::from_millis(200), || {
        !host::alive(pid)
    }) {
        bail!(
            "node {} did not power off within 60 s (`tbmesh lab poweroff {}` without --graceful pulls the power)",
            node.name,
            node.name
        );
    }
    kill(lab, node)
}

/// A clean reboot: systemd reboots, nspawn exits 133, the wrapper boots
/// the container again. Returns once the old container is gone.
pub fn reboot_graceful(lab: &LabDir, node: &NodeState) -> Result<()> {
    let Some(pid) = node.pid.filter(|&p| is_wrapper(lab, &node.name, p)) else {
        bail!(
            "node {} is powered off: use `tbmesh lab poweron {}`",
            node.name,
            node.name
        );
    };
    let old: Vec<u32> = nspawn_of(pid);
    let init = old
        .iter()
        .find_map(|&n| container_init(n))
        .with_context(|| format!("finding the init process of node {}", node.name))?;
    // SIGRTMIN+5 asks systemd to start reboot.target.
    Cmd::new("kill")
        .args(["-s", "RTMIN+5", &init.to_string()])
        .run()?;
    if !host::wait_until(Duration::from_secs(60), Duration::from_millis(100), || {
        !host::alive(init)
    }) {
        bail!(
            "node {} did not shut down for its reboot within 60 s",
            node.name
        );
    }
    if !host::alive(pid) {
        bail!(
            "node {} did not come back after its reboot (see {})",
            node.name,
            console_log(lab, &node.name).display()
        );
    }
    Ok(())
}

/// Processes left by a lab whose state was lost: anything running from
/// the lab's node directories.
pub fn stray_pids(lab: &LabDir) -> Vec<u32> {
    let marker = format!("{}/", lab.nodes_dir().to_string_lossy());
    let me = std::process::id();
    let Ok(dir) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()))
        .filter(|&pid| pid != me && host::cmdline(pid).contains(&marker))
        .collect()
}
