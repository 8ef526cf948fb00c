//! Lab operations, whatever the backend: up, down, status, cables, power.

use std::fs;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde::Serialize;

use crate::host::{self, Cmd};
use crate::lock::Lock;
use crate::net;
use crate::render::{self, NodeSpec, PortIdentity, SpecInput, SshConfigInput};
use crate::state::{load_state, save_state, Backend, LabDir, LabState, NodeState, NETNS_PREFIX};
use crate::topology::{PortRef, Topology, PORTS};
use crate::{container, image, now_unix, vm};

pub use crate::options::{Log, UpOptions};

#[derive(Debug, Clone, Serialize)]
pub struct UpReport {
    pub name: String,
    pub backend: Backend,
    pub state_dir: PathBuf,
    pub spec: PathBuf,
    pub ssh_config: PathBuf,
    pub key: PathBuf,
    pub known_hosts: PathBuf,
    pub image: PathBuf,
    pub image_build_seconds: f64,
    pub image_built_now: bool,
    pub accel: Option<String>,
    pub up_seconds: f64,
    pub nodes: Vec<NodeReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NodeReport {
    pub name: String,
    pub mgmt_ip: String,
    pub router_ip: String,
    pub osd_devices: Vec<String>,
    pub ssh_seconds: f64,
}

fn require_root() -> Result<()> {
    if !host::is_root() {
        bail!("the lab needs root (network namespaces, mounts, loop devices): run it with sudo");
    }
    Ok(())
}

fn require_tools(backend: Backend) -> Result<()> {
    let mut tools = vec![
        "ip",
        "socat",
        "ssh",
        "ssh-keygen",
        "nft",
        "setsid",
        "sysctl",
    ];
    match backend {
        Backend::Container => {
            tools.extend(["systemd-nspawn", "losetup", "mount", "unshare", "nsenter"])
        }
        Backend::Vm => tools.extend(["qemu-system-x86_64", "qemu-img", "mkfs.ext4"]),
    }
    for tool in tools {
        host::which(tool)?;
    }
    Ok(())
}

pub fn up(lab: &LabDir, opts: &UpOptions, log: Log<'_>) -> Result<UpReport> {
    require_root()?;
    require_tools(opts.backend)?;
    let topology = Topology::ring(opts.nodes).map_err(anyhow::Error::msg)?;
    if opts.backend == Backend::Container && opts.osd_disks > 8 {
        bail!("--osd-disks is at most 8");
    }
    let _lock = Lock::exclusive(&lab.lock_file(), &format!("lab {}", lab.name), log)?;
    if leftovers(lab)? {
        log(&format!(
            "lab {}: cleaning up what a previous lab left behind",
            lab.name
        ));
        // `up` is about to write this directory's lab files: those of a
        // crashed lab here go even when its state file was lost.
        down_locked(lab, true, log)?;
    }
    let image = image::ensure(log)?;
    if !image.fresh {
        log(&format!(
            "image: {} (built in {:.0} s)",
            image.dir.display(),
            image.info.build_seconds
        ));
    }
    let start = Instant::now();
    fs::create_dir_all(&lab.dir).with_context(|| format!("creating {}", lab.dir.display()))?;
    let mut state = LabState {
        name: lab.name.clone(),
        backend: opts.backend,
        image_dir: image.dir.clone(),
        topology: topology.clone(),
        osd_disks: opts.osd_disks,
        osd_size_gib: opts.osd_size_gib,
        nodes: topology
            .nodes
            .iter()
            .map(|n| NodeState {
                name: n.name.clone(),
                pid: None,
                osd_devices: Vec::new(),
                loops: Vec::new(),
            })
            .collect(),
        created_unix: now_unix(),
        accel: None,
        vm_memory_mib: (opts.backend == Backend::Vm).then_some(opts.vm_memory_mib),
        vm_cpus: (opts.backend == Backend::Vm).then_some(opts.vm_cpus),
        vm_port_base: None,
        pulled: Vec::new(),
        silent: Vec::new(),
        up_seconds: None,
    };
    // Recorded before anything is made, so `down` can undo a failed `up`.
    save_state(lab, &state)?;
    let created = create(lab, &mut state, opts, log);
    let ssh_times = match created {
        Ok(times) => times,
        Err(err) => {
            log(&format!("lab {}: up failed, undoing: {err:#}", lab.name));
            for node in &state.nodes {
                let console = match state.backend {
                    Backend::Container => container::console_log(lab, &node.name),
                    Backend::Vm => vm::console_log(lab, &node.name),
                };
                if let Ok(text) = fs::read_to_string(&console) {
                    let lines: Vec<&str> = text.lines().collect();
                    let tail = &lines[lines.len().saturating_sub(15)..];
                    log(&format!(
                        "--- {} console (last lines):\n{}",
                        node.name,
                        tail.join("\n")
                    ));
                }
            }
            if let Err(undo) = down_locked(lab, true, log) {
                log(&format!("lab {}: undoing failed too: {undo:#}", lab.name));
            }
            return Err(err);
        }
    };
    let up_seconds = (start.elapsed().as_secs_f64() * 10.0).round() / 10.0;
    state.up_seconds = Some(up_seconds);
    save_state(lab, &state)?;
    Ok(UpReport {
        name: lab.name.clone(),
        backend: opts.backend,
        state_dir: lab.dir.clone(),
        spec: lab.spec(),
        ssh_config: lab.ssh_config(),
        key: lab.key(),
        known_hosts: lab.known_hosts(),
        image: image.dir.clone(),
        image_build_seconds: image.info.build_seconds,
        image_built_now: image.fresh,
        accel: state.accel.clone(),
        up_seconds,
        nodes: state
            .topology
            .nodes
            .iter()
            .zip(&state.nodes)
            .map(|(plan, node)| NodeReport {
                name: plan.name.clone(),
                mgmt_ip: plan.mgmt_ip.to_string(),
                router_ip: plan.router_ip.to_string(),
                osd_devices: node.osd_devices.clone(),
                ssh_seconds: ssh_times
                    .iter()
                    .find(|(n, _)| n == &plan.name)
                    .map(|(_, t)| (t * 10.0).round() / 10.0)
                    .unwrap_or_default(),
            })
            .collect(),
    })
}

/// Makes everything; on error the caller runs `down`.
fn create(
    lab: &LabDir,
    state: &mut LabState,
    opts: &UpOptions,
    log: Log<'_>,
) -> Result<Vec<(String, f64)>> {
    let start = Instant::now();
    let lab_ns = lab.lab_netns();
    let admin_pub = crate::ssh::keygen(&lab.key(), &format!("tbmesh-lab@{}", lab.name))?;
    net::create_lab_netns(&lab_ns)?;
    let mut host_keys = Vec::new();
    match state.backend {
        Backend::Container => {
            let topology = state.topology.clone();
            for i in 0..topology.cables.len() {
                net::create_cable(&lab_ns, i)?;
            }
            for plan in &topology.nodes {
                let mut node = state.node(&plan.name)?.clone();
                let prepared = container::prepare_node(lab, state, plan, &admin_pub, &mut node);
                *state.node_mut(&plan.name)? = node;
                save_state(lab, state)?;
                host_keys.push((plan.clone(), prepared?));
            }
        }
        Backend::Vm => {
            host_keys = vm::prepare(lab, state, opts, &admin_pub, log)?;
        }
    }
    write_admin_files(lab, state, &host_keys)?;
    save_state(lab, state)?;
    let names: Vec<String> = state.nodes.iter().map(|n| n.name.clone()).collect();
    for name in &names {
        let pid = match state.backend {
            Backend::Container => container::power_on(lab, state, name)?,
            Backend::Vm => vm::start(lab, state, name)?,
        };
        state.node_mut(name)?.pid = Some(pid);
        save_state(lab, state)?;
    }
    sync_cables(lab, state)?;
    log(&format!(
        "lab {}: {} nodes starting ({}), waiting for ssh",
        lab.name,
        names.len(),
        state.backend.as_str()
    ));
    let timeout = Duration::from_secs(opts.ssh_timeout.unwrap_or(match state.backend {
        // Generous: a busy host slows boots down a lot.
        Backend::Container => 180,
        Backend::Vm => 900,
    }));
    crate::ssh::wait_all(&lab.ssh_config(), &names, start, timeout)
}

fn write_admin_files(
    lab: &LabDir,
    state: &LabState,
    host_keys: &[(crate::topology::NodePlan, String)],
) -> Result<()> {
    let entries: Vec<(&crate::topology::NodePlan, String)> =
        host_keys.iter().map(|(p, k)| (p, k.clone())).collect();
    host::write_file(&lab.known_hosts(), &render::known_hosts(&entries), 0o644)?;
    let proxy = format!(
        "{} netns exec {} {} STDIO TCP:%h:%p",
        host::which("ip")?.display(),
        lab.lab_netns(),
        host::which("socat")?.display()
    );
    host::write_file(
        &lab.ssh_config(),
        &render::ssh_config(&SshConfigInput {
            topology: &state.topology,
            state_dir: &lab.dir,
            proxy_command: proxy,
            lab_netns: &lab.lab_netns(),
        }),
        0o644,
    )?;
    let nodes = state
        .topology
        .nodes
        .iter()
        .zip(&state.nodes)
        .map(|(plan, node)| NodeSpec {
            plan,
            ports: PORTS
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let id = match state.backend {
                        Backend::Container => PortIdentity::Named,
                        Backend::Vm => PortIdentity::Pci(vm::ring_pci_address(i)),
                    };
                    (p.to_string(), id)
                })
                .collect(),
            osd_devices: node.osd_devices.clone(),
        })
        .collect();
    let (router_interface, port_driver) = match state.backend {
        Backend::Container => ("lo", None),
        Backend::Vm => ("dummy", Some("virtio_net")),
    };
    host::write_file(
        &lab.spec(),
        &render::tbmesh_spec(&SpecInput {
            backend_name: state.backend.as_str(),
            topology: &state.topology,
            router_interface,
            port_driver,
            nodes,
        }),
        0o644,
    )
}

fn node_running(lab: &LabDir, state: &LabState, node: &NodeState) -> bool {
    match state.backend {
        Backend::Container => container::running(lab, node),
        Backend::Vm => vm::running(lab, node),
    }
}

/// Makes every cable's carrier and silence match the recorded state and
/// which nodes are on.
fn sync_cables(lab: &LabDir, state: &LabState) -> Result<()> {
    let on = |name: &str| {
        state
            .nodes
            .iter()
            .find(|n| n.name == name)
            .is_some_and(|n| node_running(lab, state, n))
    };
    match state.backend {
        Backend::Container => net::sync_cables(
            &lab.lab_netns(),
            &state.topology.cables,
            &state.pulled,
            &state.silent,
            &on,
        ),
        Backend::Vm => vm::sync_cables(lab, state, &on),
    }
}

/// Whether anything of this lab exists: its state file, its namespaces,
/// or a crashed lab of the same name elsewhere.
fn leftovers(lab: &LabDir) -> Result<bool> {
    if lab.state_file().exists() || lab_namespaces(lab)?.next().is_some() {
        return Ok(true);
    }
    Ok(!same_name_elsewhere(lab)?.is_empty())
}

fn lab_namespaces(lab: &LabDir) -> Result<impl Iterator<Item = String>> {
    let lab_ns = lab.lab_netns();
    let node_prefix = format!("{lab_ns}-");
    Ok(host::list_netns()?
        .into_iter()
        .filter(move |ns| ns == &lab_ns || ns.starts_with(&node_prefix)))
}

pub fn down(lab: &LabDir, log: Log<'_>) -> Result<bool> {
    require_root()?;
    let _lock = Lock::exclusive(&lab.lock_file(), &format!("lab {}", lab.name), log)?;
    if !leftovers(lab)? {
        return Ok(false);
    }
    down_locked(lab, false, log)?;
    Ok(true)
}

/// Removes every trace of the lab; safe to run on a half-made or already
/// removed lab. `reclaim`: called by `up` for the same directory, whose lab
/// files it is about to write, so they go even without a state file.
fn down_locked(lab: &LabDir, reclaim: bool, log: Log<'_>) -> Result<()> {
    let state = load_state(&lab.dir)?;
    // Files are removed only from a directory that holds this lab's state
    // (written first thing by `up`): never lab-named files of another dir.
    let foreign = state.as_ref().is_some_and(|s| s.name != lab.name);
    let owned = !foreign && (reclaim || state.is_some());
    // The namespaces and processes below are found by the lab's name: when
    // a lab of this name runs from another directory they are its own.
    if !owned
        || !state
            .as_ref()
            .is_some_and(|s| s.nodes.iter().any(|n| n.pid.is_some()))
    {
        for twin in same_name_elsewhere(lab)? {
            if is_running(&twin) {
                bail!(
                    "a running lab named {} lives at {}: it is not removed from here (take it down with `tbmesh lab down --name {} --state-dir {}`)",
                    lab.name,
                    twin.dir.display(),
                    lab.name,
                    twin.dir.parent().unwrap_or(&twin.dir).display()
                );
            }
        }
    }
    if !owned && lab.state_file().exists() {
        bail!(
            "{} is not the state of lab {}: nothing was removed",
            lab.state_file().display(),
            lab.name
        );
    }
    let mut errors: Vec<String> = Vec::new();
    fn note(errors: &mut Vec<String>, r: Result<()>) {
        if let Err(e) = r {
            errors.push(format!("{e:#}"));
        }
    }
    if let Some(state) = &state {
        for node in &state.nodes {
            match state.backend {
                Backend::Container => note(&mut errors, container::kill(lab, node)),
                Backend::Vm => note(&mut errors, vm::kill(lab, node)),
            }
        }
    }
    // Whatever still runs from the lab's directories (a lab whose state
    // file was lost).
    for pid in container::stray_pids(lab)
        .into_iter()
        .chain(vm::stray_pids(lab))
    {
        host::kill(pid, rustix::process::Signal::KILL);
    }
    for ns in lab_namespaces(lab)?.collect::<Vec<_>>() {
        note(&mut errors, container::remove_netns(&ns));
    }
    note(&mut errors, container::remove_device_cgroups(lab));
    note(&mut errors, detach_loops(lab));
    // A crashed lab of the same name in another state directory (a test
    // killed before its cleanup ran): its namespaces went above; its loop
    // devices and files go now.
    match same_name_elsewhere(lab) {
        Ok(twins) => {
            for twin in twins.into_iter().filter(|t| !is_running(t)) {
                log(&format!(
                    "lab {}: removing a crashed lab of the same name at {}",
                    lab.name,
                    twin.dir.display()
                ));
                note(&mut errors, detach_loops(&twin));
                for entry in twin.owned_entries() {
                    note(&mut errors, remove(&entry));
                }
                let _ = fs::remove_dir(&twin.dir);
            }
        }
        Err(e) => errors.push(format!("{e:#}")),
    }
    if errors.is_empty() && owned {
        for entry in lab.owned_entries() {
            note(&mut errors, remove(&entry));
        }
        // The directory itself, if nothing else was put there.
        let _ = fs::remove_dir(&lab.dir);
    }
    if !errors.is_empty() {
        bail!(
            "lab {} was not removed completely:\n  {}",
            lab.name,
            errors.join("\n  ")
        );
    }
    log(&format!("lab {}: down", lab.name));
    Ok(())
}

/// Whether anything of a lab still runs (its processes are found by their
/// command lines, which name the lab's node directories).
fn is_running(lab: &LabDir) -> bool {
    !container::stray_pids(lab).is_empty() || !vm::stray_pids(lab).is_empty()
}

/// Labs with this lab's name in other state directories that still hold
/// loop devices (found through the devices' backing files).
fn same_name_elsewhere(lab: &LabDir) -> Result<Vec<LabDir>> {
    let out = Cmd::new("losetup").args(["-J", "-l"]).run()?;
    if out.trim().is_empty() {
        return Ok(Vec::new());
    }
    let list: serde_json::Value = serde_json::from_str(&out).context("parsing `losetup -J -l`")?;
    let mut twins: Vec<LabDir> = Vec::new();
    for dev in list["loopdevices"].as_array().into_iter().flatten() {
        let back = dev["back-file"].as_str().unwrap_or_default();
        let back = PathBuf::from(back.trim_end_matches(" (deleted)"));
        let Some(disks) = back.parent() else { continue };
        if disks.file_name().is_none_or(|n| n != "disks") {
            continue;
        }
        let Some(dir) = disks.parent() else { continue };
        if dir == lab.dir || twins.iter().any(|t| t.dir == dir) {
            continue;
        }
        if let Ok(Some(state)) = load_state(dir) {
            if state.name == lab.name {
                twins.push(LabDir {
                    name: state.name,
                    dir: dir.to_path_buf(),
                });
            }
        }
    }
    Ok(twins)
}

/// Detaches every loop device backed by a file in the lab's disks dir.
fn detach_loops(lab: &LabDir) -> Result<()> {
    let out = Cmd::new("losetup").args(["-J", "-l"]).run()?;
    if out.trim().is_empty() {
        return Ok(());
    }
    let list: serde_json::Value = serde_json::from_str(&out).context("parsing `losetup -J -l`")?;
    let disks = lab.disks_dir();
    for dev in list["loopdevices"].as_array().into_iter().flatten() {
        let back = dev["back-file"].as_str().unwrap_or_default();
        // losetup appends " (deleted)" when the file is gone.
        let back = back.trim_end_matches(" (deleted)");
        if PathBuf::from(back).starts_with(&disks) {
            if let Some(name) = dev["name"].as_str() {
                // Partitions OSDs made would outlive the device in sysfs.
                let _ = Cmd::new("partx").args(["-d", name]).run();
                Cmd::new("losetup").args(["-d", name]).run()?;
            }
        }
    }
    Ok(())
}

fn remove(path: &PathBuf) -> Result<()> {
    let result = if path.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    };
    match result {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("removing {}", path.display())),
    }
}

pub fn load(lab: &LabDir) -> Result<LabState> {
    load_state(&lab.dir)?.with_context(|| {
        format!(
            "no lab {:?} at {} (start one with `tbmesh lab up`)",
            lab.name,
            lab.dir.display()
        )
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub name: String,
    pub backend: Backend,
    pub state_dir: PathBuf,
    pub spec: PathBuf,
    pub ssh_config: PathBuf,
    pub accel: Option<String>,
    pub up_seconds: Option<f64>,
    pub nodes: Vec<NodeStatus>,
    pub cables: Vec<CableStatus>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NodeStatus {
    pub name: String,
    pub mgmt_ip: String,
    pub router_ip: String,
    pub running: bool,
    pub ssh: bool,
    /// Proportional set size of the node's processes, MiB.
    pub memory_mib: Option<u64>,
    pub ports: Vec<net::PortStatus>,
    pub osd_devices: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CableStatus {
    pub a: String,
    pub b: String,
    pub plugged: bool,
    /// Ends that receive nothing (`lab link NODE:PORT silent`).
    pub silent: Vec<String>,
}

pub fn status(lab: &LabDir) -> Result<Status> {
    let state = load(lab)?;
    let ssh_ok: Vec<bool> = std::thread::scope(|scope| {
        let handles: Vec<_> = state
            .nodes
            .iter()
            .map(|n| {
                let cfg = lab.ssh_config();
                scope.spawn(move || crate::ssh::answers(&cfg, &n.name))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or(false))
            .collect()
    });
    let mut nodes = Vec::new();
    for ((plan, node), ssh) in state.topology.nodes.iter().zip(&state.nodes).zip(ssh_ok) {
        let (running, memory, ports) = match state.backend {
            Backend::Container => {
                let running = container::running(lab, node);
                let ns = lab.node_netns(&node.name);
                let pids = host::netns_pids(&ns).unwrap_or_default();
                let memory = running.then(|| pss_mib(&pids));
                (running, memory, net::port_status(&ns, &PORTS)?)
            }
            Backend::Vm => {
                let running = vm::running(lab, node);
                let memory = node.pid.filter(|_| running).map(|p| pss_mib(&[p]));
                (running, memory, vm::port_status(lab, &state, node))
            }
        };
        nodes.push(NodeStatus {
            name: node.name.clone(),
            mgmt_ip: plan.mgmt_ip.to_string(),
            router_ip: plan.router_ip.to_string(),
            running,
            ssh,
            memory_mib: memory,
            ports,
            osd_devices: node.osd_devices.clone(),
        });
    }
    let mut cables = Vec::new();
    for (i, cable) in state.topology.cables.iter().enumerate() {
        cables.push(CableStatus {
            a: cable.a.to_string(),
            b: cable.b.to_string(),
            plugged: !state.pulled.contains(&i),
            silent: [&cable.a, &cable.b]
                .into_iter()
                .filter(|e| state.silent.contains(e))
                .map(|e| e.to_string())
                .collect(),
        });
    }
    Ok(Status {
        name: lab.name.clone(),
        backend: state.backend,
        state_dir: lab.dir.clone(),
        spec: lab.spec(),
        ssh_config: lab.ssh_config(),
        accel: state.accel.clone(),
        up_seconds: state.up_seconds,
        nodes,
        cables,
    })
}

/// Sum of the proportional set sizes of `pids`, in MiB.
fn pss_mib(pids: &[u32]) -> u64 {
    let kib: u64 = pids
        .iter()
        .filter_map(|pid| fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok())
        .filter_map(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("Pss:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .sum();
    kib / 1024
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LinkAction {
    /// Pull the cable: both ends lose carrier (NO-CARRIER).
    Down,
    /// Plug the cable back in.
    Up,
    /// The port receives nothing, carrier stays up (one-sided loss).
    Silent,
    /// Undo `silent`.
    Heal,
}

pub fn link(lab: &LabDir, port: &str, action: LinkAction, log: Log<'_>) -> Result<String> {
    require_root()?;
    let _lock = Lock::exclusive(&lab.lock_file(), &format!("lab {}", lab.name), log)?;
    let mut state = load(lab)?;
    let end = PortRef::parse(port)
        .with_context(|| format!("{port:?} is not NODE:PORT (for example n2:en05)"))?;
    state.node(&end.node)?;
    let (index, cable) = state.topology.cable_at(&end).with_context(|| {
        format!(
            "no cable is plugged into {end}; the ports are {}",
            PORTS.join(", ")
        )
    })?;
    let peer = cable
        .peer_of(&end)
        .with_context(|| format!("cable {cable} has no end {end}"))?
        .clone();
    let cable = cable.clone();
    match action {
        LinkAction::Down => {
            if !state.pulled.contains(&index) {
                state.pulled.push(index);
            }
        }
        LinkAction::Up => state.pulled.retain(|&i| i != index),
        LinkAction::Silent => {
            if !state.silent.contains(&end) {
                state.silent.push(end.clone());
            }
        }
        LinkAction::Heal => state.silent.retain(|e| e != &end),
    }
    save_state(lab, &state)?;
    sync_cables(lab, &state)?;
    Ok(match action {
        LinkAction::Down => format!("cable {cable} pulled: {end} and {peer} have no carrier"),
        LinkAction::Up => format!("cable {cable} plugged in"),
        LinkAction::Silent => {
            format!("{end} receives nothing from {peer} (carrier stays up)")
        }
        LinkAction::Heal => format!("{end} receives from {peer} again"),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Power {
    Reboot { hard: bool },
    Off { graceful: bool },
    On,
}

/// Changes a node's power; waits for ssh after reboot and poweron unless
/// `wait` is false. Returns a line for the user.
pub fn power(lab: &LabDir, node: &str, what: Power, wait: bool, log: Log<'_>) -> Result<String> {
    require_root()?;
    let _lock = Lock::exclusive(&lab.lock_file(), &format!("lab {}", lab.name), log)?;
    let mut state = load(lab)?;
    let current = state.node(node)?.clone();
    let running = match state.backend {
        Backend::Container => container::running(lab, &current),
        Backend::Vm => vm::running(lab, &current),
    };
    let start = Instant::now();
    // A VM reboots in place: wait for a new boot id, not just for ssh.
    let old_boot = match (state.backend, what) {
        (Backend::Vm, Power::Reboot { .. }) => boot_id(lab, node),
        _ => None,
    };
    match what {
        Power::Off { graceful } => {
            if !running {
                return Ok(format!("{node} is already off"));
            }
            match (state.backend, graceful) {
                (Backend::Container, graceful) => container::power_off(lab, &current, graceful)?,
                (Backend::Vm, true) => vm::poweroff_graceful(lab, &current)?,
                (Backend::Vm, false) => vm::kill(lab, &current)?,
            }
            state.node_mut(node)?.pid = None;
            save_state(lab, &state)?;
            sync_cables(lab, &state)?;
            return Ok(format!(
                "{node} powered off ({})",
                if graceful {
                    "clean shutdown"
                } else {
                    "power pulled"
                }
            ));
        }
        Power::On => {
            if running {
                return Ok(format!("{node} is already on"));
            }
            let pid = match state.backend {
                Backend::Container => container::power_on(lab, &state, node)?,
                Backend::Vm => vm::start(lab, &state, node)?,
            };
            state.node_mut(node)?.pid = Some(pid);
            save_state(lab, &state)?;
            sync_cables(lab, &state)?;
        }
        Power::Reboot { hard } => {
            if !running {
                bail!("{node} is powered off: use `tbmesh lab poweron {node}`");
            }
            match (state.backend, hard) {
                (Backend::Container, false) => container::reboot_graceful(lab, &current)?,
                (Backend::Container, true) => {
                    container::power_off(lab, &current, false)?;
                    state.node_mut(node)?.pid = None;
                    save_state(lab, &state)?;
                    sync_cables(lab, &state)?;
                    let pid = container::power_on(lab, &state, node)?;
                    state.node_mut(node)?.pid = Some(pid);
                    save_state(lab, &state)?;
                    sync_cables(lab, &state)?;
                }
                (Backend::Vm, hard) => vm::reboot(lab, &current, hard)?,
            }
        }
    }
    let timeout = match state.backend {
        Backend::Container => Duration::from_secs(180),
        Backend::Vm => Duration::from_secs(900),
    };
    if let (Some(old), true) = (old_boot, wait) {
        let rebooted = host::wait_until(timeout, Duration::from_secs(1), || {
            boot_id(lab, node).is_some_and(|b| b != old)
        });
        if !rebooted {
            bail!(
                "{node} did not come back with a new boot within {} s",
                timeout.as_secs()
            );
        }
        return Ok(format!(
            "{node} rebooted and answers ssh after {:.1} s",
            start.elapsed().as_secs_f64()
        ));
    }
    if !wait {
        return Ok(match what {
            Power::Reboot { .. } => format!("{node} is rebooting (not waiting for ssh)"),
            _ => format!("{node} is powering on (not waiting for ssh)"),
        });
    }
    crate::ssh::wait_all(&lab.ssh_config(), &[node.to_string()], start, timeout)?;
    Ok(format!(
        "{node} answers ssh again after {:.1} s",
        start.elapsed().as_secs_f64()
    ))
}

fn boot_id(lab: &LabDir, node: &str) -> Option<String> {
    let out = crate::ssh::ssh(
        &lab.ssh_config(),
        node,
        "cat /proc/sys/kernel/random/boot_id",
        3,
    )
    .output()
    .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

pub fn ssh(lab: &LabDir, node: &str, command: &[String]) -> Result<i32> {
    let state = load(lab)?;
    state.node(node)?;
    Cmd::new("ssh")
        .arg("-F")
        .arg(lab.ssh_config())
        .arg(node)
        .args(command)
        .interactive()
}

/// Every lab namespace on this host, for `status` of a missing lab.
pub fn all_lab_netns() -> Result<Vec<String>> {
    Ok(host::list_netns()?
        .into_iter()
        .filter(|n| n.starts_with(NETNS_PREFIX))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Item 8 (issue 14): `lab down` on a directory whose lab.json is not
    /// this lab's (or is not a lab's) removes none of its files.
    #[test]
    fn item8_down_removes_nothing_from_a_directory_that_is_not_this_labs() {
        if !host::is_root() {
            eprintln!("skipped: needs root (lab locks and namespaces)");
            return;
        }
        let dir = std::env::temp_dir().join(format!("tbmesh-item8-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("nodes")).expect("mkdir");
        // Files a user keeps there, with the names a lab uses.
        for f in ["tbmesh.toml", "known_hosts", "id_ed25519", "ssh_config"] {
            fs::write(dir.join(f), "mine").expect("write");
        }
        let lab = LabDir {
            name: "zz8own".into(),
            dir: dir.clone(),
        };
        // A leftover namespace of that lab name makes `down` act.
        Cmd::new("ip")
            .args(["netns", "add", &lab.lab_netns()])
            .run()
            .expect("ip netns add");
        let r = down(&lab, &mut |_| {});
        let _ = Cmd::new("ip")
            .args(["netns", "delete", &lab.lab_netns()])
            .run();
        r.expect("down cleans the namespace");
        for f in [
            "tbmesh.toml",
            "known_hosts",
            "id_ed25519",
            "ssh_config",
            "nodes",
        ] {
            assert!(dir.join(f).exists(), "{f} was removed");
        }
        // A lab.json that is not this lab's is refused outright.
        fs::write(dir.join("lab.json"), r#"{"not": "a lab"}"#).expect("write");
        assert!(down(&lab, &mut |_| {}).is_err());
        assert!(dir.join("tbmesh.toml").exists());
        fs::remove_dir_all(&dir).expect("cleanup");
    }
}
