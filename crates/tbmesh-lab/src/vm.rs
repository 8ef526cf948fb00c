//! The VM backend: one QEMU VM per node, booting the image's own kernel
//! directly, with its own udev, so tbmesh's .link files rename the ring
//! ports by PCI path exactly as on TB4 hardware.
//!
//! Every QEMU runs inside the lab's network namespace: its management NIC
//! is a tap on the lab's management bridge, and its ring NICs
//! (virtio-net-pci at 00:0d.0, 00:0e.0, host_mtu 65520) are joined
//! point-to-point by `-netdev stream` sockets on that namespace's own
//! 127.0.0.1 (the client end reconnects when its peer restarts). A QMP
//! socket per VM pulls cables (`set_link`) and makes ports deaf (a
//! filter-redirector to a null chardev). A VM's own files (host key,
//! authorized key, management address) reach it as a fw_cfg seed that the
//! image's tbmesh-lab-seed.service unpacks at boot.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use rustix::process::Signal;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::host::{self, ip_in, write_file, Cmd};
use crate::image;
use crate::lock::Lock;
use crate::net::{PortStatus, MGMT_BRIDGE};
use crate::options::{Log, UpOptions};
use crate::render;
use crate::state::{LabDir, LabState, NodeState};
use crate::topology::{NodePlan, PortRef, MGMT_PREFIX_LEN, PORTS};

/// First TCP port of the ring sockets, on the lab namespace's loopback.
const PORT_BASE: u16 = 20000;
const ROOT_LABEL: &str = "tbmeshroot";
const ROOT_DISK_GIB: u64 = 8;
const MGMT_SLOT: u8 = 0x03;
const ROOT_SLOT: u8 = 0x05;
const OSD_SLOT: u8 = 0x06;
const RING_SLOT: u8 = 0x0d;
pub const MAX_OSD_DISKS: usize = (RING_SLOT - OSD_SLOT) as usize;

/// PCI address of ring port `i` (en05, en06, ...): slots 0x0d, 0x0e, ...
pub fn ring_pci_address(i: usize) -> String {
    format!("0000:00:{:02x}.0", RING_SLOT as usize + i)
}

fn mgmt_mac(plan: &NodePlan) -> String {
    format!("52:54:00:0b:0b:{:02x}", plan.mgmt_ip.octets()[3])
}

fn ring_mac(plan: &NodePlan, port: usize) -> String {
    format!("52:54:00:0c:{:02x}:{:02x}", plan.mgmt_ip.octets()[3], port)
}

pub fn console_log(lab: &LabDir, node: &str) -> PathBuf {
    lab.node_dir(node).join("console.log")
}

fn qmp_socket(lab: &LabDir, node: &str) -> PathBuf {
    lab.node_dir(node).join("qmp.sock")
}

fn seed_tar(lab: &LabDir, node: &str) -> PathBuf {
    lab.node_dir(node).join("seed.tar")
}

fn overlay_disk(lab: &LabDir, node: &str) -> PathBuf {
    lab.node_dir(node).join("root.qcow2")
}

fn osd_file(lab: &LabDir, node: &str, k: usize) -> PathBuf {
    lab.disks_dir().join(format!("{node}-osd{k}.raw"))
}

fn osd_serial(node: &str, k: usize) -> String {
    format!("{node}-osd{k}")
}

/// The image's kernel and initrd (one version is installed).
fn boot_files(rootfs: &Path) -> Result<(PathBuf, PathBuf)> {
    let boot = rootfs.join("boot");
    let mut kernel = None;
    for entry in fs::read_dir(&boot).with_context(|| format!("reading {}", boot.display()))? {
        let name = entry
            .with_context(|| format!("reading {}", boot.display()))?
            .file_name()
            .to_string_lossy()
            .into_owned();
        if let Some(version) = name.strip_prefix("vmlinuz-") {
            kernel = Some(version.to_string());
        }
    }
    let version = kernel.with_context(|| format!("no kernel in {}", boot.display()))?;
    let initrd = boot.join(format!("initrd.img-{version}"));
    if !initrd.exists() {
        bail!("no initrd for kernel {version} in {}", boot.display());
    }
    Ok((boot.join(format!("vmlinuz-{version}")), initrd))
}

/// The image packed as an ext4 disk (made once per image, without
/// mounting anything: `mkfs.ext4 -d`).
fn ensure_root_disk(image_dir: &Path, log: Log<'_>) -> Result<PathBuf> {
    let disk = image_dir.join("root.raw");
    if disk.exists() {
        return Ok(disk);
    }
    let _lock = Lock::exclusive(&image::cache_dir().join(".lock"), "the image cache", log)?;
    if disk.exists() {
        return Ok(disk);
    }
    log("vm: packing the image into an ext4 disk (mkfs.ext4 -d)");
    let start = Instant::now();
    let tmp = image_dir.join("root.raw.tmp");
    let _ = fs::remove_file(&tmp);
    Cmd::new("mkfs.ext4")
        .args(["-q", "-F", "-L", ROOT_LABEL, "-d"])
        .arg(image_dir.join("rootfs"))
        .arg(&tmp)
        .arg(format!("{ROOT_DISK_GIB}G"))
        .run()?;
    fs::rename(&tmp, &disk).with_context(|| format!("writing {}", disk.display()))?;
    log(&format!(
        "vm: root disk made in {:.0} s",
        start.elapsed().as_secs_f64()
    ));
    Ok(disk)
}

#[derive(Debug, Serialize, Deserialize)]
struct AccelProbe {
    accel: String,
    detail: String,
}

/// KVM only if a probe boot of the image's kernel and initramfs gets
/// through under it (a paravirtual nested KVM crashes stock kernels);
/// else TCG. The answer is cached per image.
fn choose_accel(wanted: &str, image_dir: &Path, log: Log<'_>) -> Result<String> {
    match wanted {
        "kvm" | "tcg" => return Ok(wanted.to_string()),
        _ => {}
    }
    if fs::File::options()
        .read(true)
        .write(true)
        .open("/dev/kvm")
        .is_err()
    {
        log("vm: no usable /dev/kvm: TCG (software emulation)");
        return Ok("tcg".into());
    }
    let cache = image_dir.join("accel-probe.json");
    if let Some(probe) = fs::read_to_string(&cache)
        .ok()
        .and_then(|t| serde_json::from_str::<AccelProbe>(&t).ok())
    {
        log(&format!(
            "vm: {} (probe cached in {}: {})",
            probe.accel.to_uppercase(),
            cache.display(),
            probe.detail
        ));
        return Ok(probe.accel);
    }
    log("vm: probing KVM with a test boot of the image's kernel (up to 60 s)");
    let probe = probe_kvm(image_dir)?;
    log(&format!(
        "vm: {}: {}",
        probe.accel.to_uppercase(),
        probe.detail
    ));
    let text = serde_json::to_string_pretty(&probe).context("encoding the probe result")?;
    fs::write(&cache, text).with_context(|| format!("writing {}", cache.display()))?;
    Ok(probe.accel)
}

fn probe_kvm(image_dir: &Path) -> Result<AccelProbe> {
    let (kernel, initrd) = boot_files(&image_dir.join("rootfs"))?;
    let log_file = image_dir.join("accel-probe.log");
    let _ = fs::remove_file(&log_file);
    // No root device: the initramfs (udevd, modprobe: real userspace)
    // gives up waiting and, with panic=, reboots; -no-reboot exits.
    let pid = Cmd::new("qemu-system-x86_64")
        .args([
            "-nodefaults",
            "-display",
            "none",
            "-no-reboot",
            "-accel",
            "kvm",
            "-cpu",
            "host",
            "-m",
            "512",
            "-serial",
        ])
        .arg(format!("file:{}", log_file.display()))
        .arg("-kernel")
        .arg(&kernel)
        .arg("-initrd")
        .arg(&initrd)
        .args([
            "-append",
            "console=ttyS0 root=/dev/tbmesh-probe-none rootdelay=3 panic=1",
        ])
        .spawn_detached(&image_dir.join("accel-probe.qemu.log"))?;
    let exited = host::wait_until(Duration::from_secs(60), Duration::from_millis(250), || {
        !host::alive(pid)
    });
    if !exited {
        host::kill(pid, Signal::KILL);
    }
    let console = fs::read_to_string(&log_file).unwrap_or_default();
    let qemu_said = fs::read_to_string(image_dir.join("accel-probe.qemu.log"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.contains("error") || l.contains("Assertion"))
        .map(|l| format!(": {}", l.trim()))
        .unwrap_or_default();
    let reached_userspace = console.contains("Gave up waiting for root")
        || console.contains("ALERT!")
        || console.contains("Rebooting automatically");
    Ok(if exited && reached_userspace {
        AccelProbe {
            accel: "kvm".into(),
            detail: "a probe boot under KVM reached the initramfs and exited cleanly".into(),
        }
    } else {
        AccelProbe {
            accel: "tcg".into(),
            detail: format!(
                "a probe boot under KVM {}{qemu_said} (console {})",
                if exited {
                    "did not reach the initramfs"
                } else {
                    "hung or crashed"
                },
                log_file.display()
            ),
        }
    })
}

/// Makes every VM's disks, seed and tap; returns each node's host key.
pub fn prepare(
    lab: &LabDir,
    state: &mut LabState,
    opts: &UpOptions,
    admin_pub: &str,
    log: Log<'_>,
) -> Result<Vec<(NodePlan, String)>> {
    if opts.osd_disks > MAX_OSD_DISKS {
        bail!("--osd-disks is at most {MAX_OSD_DISKS} with the VM backend");
    }
    let root = ensure_root_disk(&state.image_dir, log)?;
    state.accel = Some(choose_accel(&opts.accel, &state.image_dir, log)?);
    state.vm_port_base = Some(PORT_BASE);
    fs::create_dir_all(lab.disks_dir())
        .with_context(|| format!("creating {}", lab.disks_dir().display()))?;
    let topology = state.topology.clone();
    let mut keys = Vec::new();
    for plan in &topology.nodes {
        let dir = lab.node_dir(&plan.name);
        fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Cmd::new("qemu-img")
            .args(["create", "-q", "-f", "qcow2", "-F", "raw", "-b"])
            .arg(&root)
            .arg(overlay_disk(lab, &plan.name))
            .run()?;
        let mut devices = Vec::new();
        for k in 0..state.osd_disks {
            let file = osd_file(lab, &plan.name, k);
            let f =
                fs::File::create(&file).with_context(|| format!("creating {}", file.display()))?;
            f.set_len(state.osd_size_gib << 30)
                .with_context(|| format!("sizing {}", file.display()))?;
            devices.push(format!(
                "/dev/disk/by-id/virtio-{}",
                osd_serial(&plan.name, k)
            ));
        }
        state.node_mut(&plan.name)?.osd_devices = devices;
        let host_pub = write_seed(lab, &topology, plan, admin_pub)?;
        keys.push((plan.clone(), host_pub));
        // The management tap, on the lab bridge; QEMU opens it by name.
        let lab_ns = lab.lab_netns();
        ip_in(&lab_ns)
            .args(["tuntap", "add", "dev", &plan.name, "mode", "tap"])
            .run()?;
        ip_in(&lab_ns)
            .args(["link", "set", &plan.name, "master", MGMT_BRIDGE, "up"])
            .run()?;
    }
    Ok(keys)
}

fn write_seed(
    lab: &LabDir,
    topology: &crate::topology::Topology,
    plan: &NodePlan,
    admin_pub: &str,
) -> Result<String> {
    let seed = lab.node_dir(&plan.name).join("seed");
    if seed.exists() {
        fs::remove_dir_all(&seed).with_context(|| format!("removing {}", seed.display()))?;
    }
    write_file(
        &seed.join("etc/hostname"),
        &format!("{}\n", plan.name),
        0o644,
    )?;
    write_file(
        &seed.join("etc/hosts"),
        &render::hosts(topology, plan),
        0o644,
    )?;
    write_file(
        &seed.join("etc/ssh/sshd_config.d/tbmesh-lab.conf"),
        render::SSHD_DROP_IN,
        0o644,
    )?;
    write_file(
        &seed.join("etc/tbmesh-lab/mgmt"),
        &format!("{} {}/{}\n", mgmt_mac(plan), plan.mgmt_ip, MGMT_PREFIX_LEN),
        0o644,
    )?;
    write_file(
        &seed.join("root/.ssh/authorized_keys"),
        &format!("{admin_pub}\n"),
        0o600,
    )?;
    fs::set_permissions(seed.join("root/.ssh"), fs::Permissions::from_mode(0o700))
        .context("setting the mode of the seed's /root/.ssh")?;
    fs::set_permissions(seed.join("root"), fs::Permissions::from_mode(0o700))
        .context("setting the mode of the seed's /root")?;
    let host_pub = crate::ssh::keygen(
        &seed.join("etc/ssh/ssh_host_ed25519_key"),
        &format!("root@{}", plan.name),
    )?;
    Cmd::new("tar")
        .args(["--owner=0", "--group=0", "--numeric-owner", "-cf"])
        .arg(seed_tar(lab, &plan.name))
        .arg("-C")
        .arg(&seed)
        .args(["etc", "root"])
        .run()?;
    fs::remove_dir_all(&seed).with_context(|| format!("removing {}", seed.display()))?;
    Ok(host_pub)
}

/// Starts a node's VM; returns QEMU's pid.
pub fn start(lab: &LabDir, state: &LabState, node: &str) -> Result<u32> {
    let plan = state
        .topology
        .node(node)
        .with_context(|| format!("node {node} is not in the lab's topology"))?;
    let (kernel, initrd) = boot_files(&state.image_dir.join("rootfs"))?;
    let accel = state.accel.as_deref().unwrap_or("tcg");
    let memory = state.vm_memory_mib.unwrap_or(1536);
    let base = state.vm_port_base.unwrap_or(PORT_BASE);
    let _ = fs::remove_file(qmp_socket(lab, node));
    let machine_id: String = fs::read_to_string("/proc/sys/kernel/random/uuid")
        .context("reading /proc/sys/kernel/random/uuid")?
        .trim()
        .replace('-', "");
    let mut args: Vec<String> = vec![
        "-name".into(),
        format!("{node},process=tbmesh-lab-{node}"),
        "-nodefaults".into(),
        "-display".into(),
        "none".into(),
        "-machine".into(),
        "pc".into(),
        "-smp".into(),
        state.vm_cpus.unwrap_or(1).to_string(),
        "-m".into(),
        memory.to_string(),
        "-chardev".into(),
        format!(
            "file,id=console,path={},append=on",
            console_log(lab, node).display()
        ),
        "-serial".into(),
        "chardev:console".into(),
        "-qmp".into(),
        format!(
            "unix:{},server=on,wait=off",
            qmp_socket(lab, node).display()
        ),
        "-kernel".into(),
        kernel.display().to_string(),
        "-initrd".into(),
        initrd.display().to_string(),
        "-append".into(),
        format!(
            // mitigations=off: speed under TCG, nothing the lab tests.
            "root=LABEL={ROOT_LABEL} rw console=ttyS0 mitigations=off systemd.hostname={node} systemd.machine_id={machine_id}"
        ),
        "-fw_cfg".into(),
        format!("name=opt/tbmesh/seed,file={}", seed_tar(lab, node).display()),
        "-drive".into(),
        format!(
            "if=none,id=root,file={},format=qcow2,cache=unsafe,discard=unmap",
            overlay_disk(lab, node).display()
        ),
        "-device".into(),
        format!("virtio-blk-pci,drive=root,addr={ROOT_SLOT:#04x}"),
        "-netdev".into(),
        format!("tap,id=mgmt,ifname={node},script=no,downscript=no"),
        "-device".into(),
        format!(
            "virtio-net-pci,netdev=mgmt,mac={},addr={MGMT_SLOT:#04x}",
            mgmt_mac(plan)
        ),
    ];
    match accel {
        "kvm" => args.extend(["-accel".into(), "kvm".into(), "-cpu".into(), "host".into()]),
        _ => args.extend([
            "-accel".into(),
            "tcg,thread=multi".into(),
            "-cpu".into(),
            "max".into(),
        ]),
    }
    for k in 0..state.osd_disks {
        args.extend([
            "-drive".into(),
            format!(
                "if=none,id=osd{k},file={},format=raw,cache=unsafe,discard=unmap",
                osd_file(lab, node, k).display()
            ),
            "-device".into(),
            format!(
                "virtio-blk-pci,drive=osd{k},serial={},addr={:#04x}",
                osd_serial(node, k),
                OSD_SLOT as usize + k
            ),
        ]);
    }
    for (i, cable) in state.topology.cables.iter().enumerate() {
        for (end, server) in [(&cable.a, true), (&cable.b, false)] {
            if end.node != node {
                continue;
            }
            let slot = port_index(&end.port)?;
            let port = base + i as u16;
            let mode = if server {
                "server=on".to_string()
            } else {
                "server=off,reconnect-ms=500".to_string()
            };
            args.extend([
                "-netdev".into(),
                format!(
                    "stream,id=net-{p},{mode},addr.type=inet,addr.host=127.0.0.1,addr.port={port}",
                    p = end.port
                ),
                "-device".into(),
                format!(
                    "virtio-net-pci,id=port-{p},netdev=net-{p},mac={mac},host_mtu=65520,addr={slot:#04x}",
                    p = end.port,
                    mac = ring_mac(plan, slot - RING_SLOT as usize),
                    slot = slot,
                ),
            ]);
        }
    }
    // QEMU runs in the lab namespace: the tap is there, and 127.0.0.1 is
    // that namespace's own loopback.
    let pid = Cmd::new("ip")
        .args(["netns", "exec", &lab.lab_netns(), "qemu-system-x86_64"])
        .args(&args)
        .spawn_detached(&lab.node_dir(node).join("qemu.log"))?;
    let socket = qmp_socket(lab, node);
    if !host::wait_until(Duration::from_secs(20), Duration::from_millis(50), || {
        socket.exists() || !host::alive(pid)
    }) || !host::alive(pid)
    {
        let log = fs::read_to_string(lab.node_dir(node).join("qemu.log")).unwrap_or_default();
        bail!("QEMU for {node} did not start: {}", log.trim());
    }
    Ok(pid)
}

fn port_index(port: &str) -> Result<usize> {
    PORTS
        .iter()
        .position(|p| *p == port)
        .map(|i| RING_SLOT as usize + i)
        .with_context(|| format!("unknown port {port}"))
}

fn is_qemu(lab: &LabDir, node: &str, pid: u32) -> bool {
    host::alive(pid)
        && host::cmdline(pid).contains(&qmp_socket(lab, node).to_string_lossy().to_string())
}

pub fn running(lab: &LabDir, node: &NodeState) -> bool {
    node.pid.is_some_and(|pid| is_qemu(lab, &node.name, pid))
}

/// Pulls the power: kills QEMU.
pub fn kill(lab: &LabDir, node: &NodeState) -> Result<()> {
    let Some(pid) = node.pid.filter(|&p| is_qemu(lab, &node.name, p)) else {
        return Ok(());
    };
    host::kill(pid, Signal::KILL);
    if !host::wait_until(Duration::from_secs(15), Duration::from_millis(50), || {
        !host::alive(pid)
    }) {
        bail!(
            "QEMU of node {} (pid {pid}) did not exit after SIGKILL",
            node.name
        );
    }
    let _ = fs::remove_file(qmp_socket(lab, &node.name));
    Ok(())
}

/// ACPI power button; waits for the guest to shut down.
pub fn poweroff_graceful(lab: &LabDir, node: &NodeState) -> Result<()> {
    let Some(pid) = node.pid.filter(|&p| is_qemu(lab, &node.name, p)) else {
        return Ok(());
    };
    qmp(lab, &node.name, "system_powerdown", json!({}))?;
    if !host::wait_until(Duration::from_secs(180), Duration::from_millis(250), || {
        !host::alive(pid)
    }) {
        bail!(
            "node {} did not power off within 180 s (`tbmesh lab poweroff {}` without --graceful pulls the power)",
            node.name,
            node.name
        );
    }
    let _ = fs::remove_file(qmp_socket(lab, &node.name));
    Ok(())
}

/// A clean reboot (systemd reboots the guest) or a reset.
pub fn reboot(lab: &LabDir, node: &NodeState, hard: bool) -> Result<()> {
    if hard {
        qmp(lab, &node.name, "system_reset", json!({}))?;
    } else {
        // The connection may drop before ssh returns: its status says
        // nothing; the caller waits for a new boot id.
        let _ = crate::ssh::ssh(&lab.ssh_config(), &node.name, "systemctl reboot", 10).output()?;
    }
    Ok(())
}

/// Sets every ring NIC's link and deafness from the recorded state.
pub fn sync_cables(lab: &LabDir, state: &LabState, on: &dyn Fn(&str) -> bool) -> Result<()> {
    for (i, cable) in state.topology.cables.iter().enumerate() {
        let live = !state.pulled.contains(&i) && on(&cable.a.node) && on(&cable.b.node);
        for end in [&cable.a, &cable.b] {
            if !on(&end.node) {
                continue;
            }
            qmp(
                lab,
                &end.node,
                "set_link",
                json!({ "name": format!("port-{}", end.port), "up": live }),
            )?;
            set_deaf(lab, end, state.silent.contains(end))?;
        }
    }
    Ok(())
}

/// A deaf port: a filter on the port's netdev that sends every frame
/// travelling towards the guest to a null chardev instead.
fn set_deaf(lab: &LabDir, end: &PortRef, deaf: bool) -> Result<()> {
    let id = format!("silent-{}", end.port);
    // Absent already is fine.
    let _ = qmp(lab, &end.node, "object-del", json!({ "id": id }));
    if !deaf {
        return Ok(());
    }
    let _ = qmp(
        lab,
        &end.node,
        "chardev-add",
        json!({ "id": id, "backend": { "type": "null", "data": {} } }),
    );
    qmp(
        lab,
        &end.node,
        "object-add",
        json!({
            "qom-type": "filter-redirector",
            "id": id,
            "netdev": format!("net-{}", end.port),
            // "tx": frames the netdev sends towards the guest ("rx" would
            // be what the guest sends).
            "queue": "tx",
            "outdev": id,
        }),
    )?;
    Ok(())
}

/// The ring NICs as the guest sees them (kernel or renamed), over ssh.
/// A virtio NIC's `device` is the virtio device; its parent is the PCI one.
pub fn port_status(lab: &LabDir, state: &LabState, node: &NodeState) -> Vec<PortStatus> {
    let pcis: Vec<String> = (0..PORTS.len()).map(ring_pci_address).collect();
    let script = format!(
        "for d in /sys/class/net/*; do p=$(basename \"$(dirname \"$(readlink -f $d/device 2>/dev/null)\")\"); \
         case \" {} \" in *\" $p \"*) echo \"${{d##*/}} $(cat $d/mtu) $(cat $d/carrier 2>/dev/null || echo 0) $(cat $d/operstate) $(cat $d/flags)\";; esac; done",
        pcis.join(" ")
    );
    let _ = state;
    let Ok(out) = crate::ssh::ssh(&lab.ssh_config(), &node.name, &script, 3).output() else {
        return Vec::new();
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 5 {
                return None;
            }
            let flags = u32::from_str_radix(f[4].trim_start_matches("0x"), 16).unwrap_or(0);
            Some(PortStatus {
                name: f[0].to_string(),
                mtu: f[1].parse().unwrap_or(0),
                carrier: f[2] == "1",
                operstate: f[3].to_string(),
                admin_up: flags & 1 == 1,
            })
        })
        .collect()
}

pub fn stray_pids(_lab: &LabDir) -> Vec<u32> {
    // QEMU's command line names the node directory: the container
    // backend's search finds it too.
    Vec::new()
}

/// One QMP command on a node's socket; returns its "return" value.
pub fn qmp(lab: &LabDir, node: &str, command: &str, arguments: Value) -> Result<Value> {
    let path = qmp_socket(lab, node);
    let stream = UnixStream::connect(&path)
        .with_context(|| format!("connecting to QMP of {node} ({})", path.display()))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .context("setting a QMP timeout")?;
    let mut writer = stream.try_clone().context("cloning the QMP socket")?;
    let mut reader = BufReader::new(stream);
    let mut read_reply = |what: &str| -> Result<Value> {
        loop {
            let mut line = String::new();
            let n = reader
                .read_line(&mut line)
                .with_context(|| format!("reading QMP of {node} ({what})"))?;
            if n == 0 {
                bail!("QMP of {node} closed during {what}");
            }
            let v: Value = serde_json::from_str(&line)
                .with_context(|| format!("parsing QMP of {node}: {line}"))?;
            if v.get("event").is_some() {
                continue;
            }
            if let Some(err) = v.get("error") {
                bail!(
                    "QMP {what} on {node}: {}",
                    err["desc"].as_str().unwrap_or("error")
                );
            }
            if v.get("return").is_some() || v.get("QMP").is_some() {
                return Ok(v);
            }
        }
    };
    read_reply("greeting")?;
    writeln!(writer, "{}", json!({ "execute": "qmp_capabilities" })).context("writing to QMP")?;
    read_reply("qmp_capabilities")?;
    writeln!(
        writer,
        "{}",
        json!({ "execute": command, "arguments": arguments })
    )
    .context("writing to QMP")?;
    Ok(read_reply(command)?["return"].clone())
}
