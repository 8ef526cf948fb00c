//! `tbmesh lab ...`: the command line of the lab.

use std::path::PathBuf;

use anyhow::Result;
use serde::Serialize;

use crate::lab::{self, LinkAction, Power, UpOptions};
use crate::state::{Backend, LabDir};

/// Which lab a command acts on.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct LabSelect {
    /// Lab name: 1-8 lowercase letters/digits; names its network namespaces
    /// (tbl-NAME, tbl-NAME-NODE) and its default state directory.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// State directory (spec, ssh config, keys, node data). Default
    /// /var/lib/tbmesh-lab/NAME, or $TBMESH_LAB_DIR.
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

impl LabSelect {
    fn resolve(&self) -> Result<LabDir> {
        LabDir::resolve(self.name.as_deref(), self.state_dir.as_deref())
    }
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum LabCommand {
    /// Create the lab's hosts and write tbmesh.toml, ssh_config, keys.
    Up {
        #[command(flatten)]
        lab: LabSelect,
        /// container: systemd-nspawn, seconds to start. vm: QEMU, own kernel
        /// and udev (ports renamed by .link files), about a minute.
        #[arg(long, value_enum, default_value = "container")]
        backend: Backend,
        /// Number of nodes (2-8), cabled as a ring.
        #[arg(long, default_value_t = 3)]
        nodes: usize,
        /// OSD disks per node.
        #[arg(long, default_value_t = 1)]
        osd_disks: usize,
        /// Size of each (sparse) OSD disk in GiB.
        #[arg(long, default_value_t = 10, value_name = "GIB")]
        osd_size: u64,
        /// VM backend: memory per VM in MiB.
        #[arg(long, default_value_t = 1536, value_name = "MIB")]
        memory: u64,
        /// VM backend: vCPUs per VM. One by default: under TCG on a busy
        /// host, a second vCPU mostly spins waiting for the first.
        #[arg(long, default_value_t = 1)]
        cpus: u32,
        /// VM backend: auto (KVM if a probe boot works, else TCG), kvm, tcg.
        #[arg(long, default_value = "auto", value_parser = ["auto", "kvm", "tcg"])]
        accel: String,
        /// Seconds to wait for ssh on every node (default 90 containers,
        /// 600 VMs).
        #[arg(long, value_name = "SECS")]
        ssh_timeout: Option<u64>,
    },
    /// Remove the lab: processes, namespaces, links, mounts, loop devices,
    /// files. Safe to run twice.
    Down {
        #[command(flatten)]
        lab: LabSelect,
    },
    /// Nodes (running, ssh, memory, ports) and cables.
    Status {
        #[command(flatten)]
        lab: LabSelect,
    },
    /// ssh to a node through the lab's ssh_config (exit code is ssh's).
    Ssh {
        #[command(flatten)]
        lab: LabSelect,
        node: String,
        /// Command to run instead of a shell.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        command: Vec<String>,
    },
    /// Pull/plug a cable, or make one port deaf (one-sided loss).
    Link {
        #[command(flatten)]
        lab: LabSelect,
        /// NODE:PORT, for example n2:en05.
        port: String,
        #[arg(value_enum)]
        action: LinkAction,
    },
    /// Reboot a node (clean reboot; --hard resets it) and wait for ssh.
    Reboot {
        #[command(flatten)]
        lab: LabSelect,
        node: String,
        #[arg(long)]
        hard: bool,
        /// Return without waiting for ssh.
        #[arg(long)]
        no_wait: bool,
    },
    /// Pull a node's power (--graceful: a clean shutdown).
    Poweroff {
        #[command(flatten)]
        lab: LabSelect,
        node: String,
        #[arg(long)]
        graceful: bool,
    },
    /// Power a node on and wait for ssh.
    Poweron {
        #[command(flatten)]
        lab: LabSelect,
        node: String,
        #[arg(long)]
        no_wait: bool,
    },
    /// Build the node image if its recipe changed; print where it is.
    Image,
}

fn print_json(value: &impl Serialize) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Runs a lab command; returns the process exit code (0 ok, 1 failure).
/// Progress goes to stderr, results to stdout (one JSON document with
/// `json`).
pub fn run(cmd: LabCommand, json: bool) -> Result<i32> {
    let mut log = |line: &str| eprintln!("{line}");
    match cmd {
        LabCommand::Up {
            lab,
            backend,
            nodes,
            osd_disks,
            osd_size,
            memory,
            cpus,
            accel,
            ssh_timeout,
        } => {
            let dir = lab.resolve()?;
            let report = lab::up(
                &dir,
                &UpOptions {
                    backend,
                    nodes,
                    osd_disks,
                    osd_size_gib: osd_size,
                    vm_memory_mib: memory,
                    vm_cpus: cpus,
                    accel,
                    ssh_timeout,
                },
                &mut log,
            )?;
            if json {
                print_json(&report)?;
            } else {
                print_up(&report);
            }
            Ok(0)
        }
        LabCommand::Down { lab } => {
            let dir = lab.resolve()?;
            let existed = lab::down(&dir, &mut log)?;
            if json {
                print_json(&serde_json::json!({ "name": dir.name, "removed": existed }))?;
            } else if !existed {
                println!("lab {}: nothing to remove", dir.name);
            }
            Ok(0)
        }
        LabCommand::Status { lab } => {
            let dir = lab.resolve()?;
            let status = lab::status(&dir)?;
            if json {
                print_json(&status)?;
            } else {
                print_status(&status);
            }
            Ok(0)
        }
        LabCommand::Ssh { lab, node, command } => lab::ssh(&lab.resolve()?, &node, &command),
        LabCommand::Link { lab, port, action } => {
            let msg = lab::link(&lab.resolve()?, &port, action, &mut log)?;
            say(json, &msg)
        }
        LabCommand::Reboot {
            lab,
            node,
            hard,
            no_wait,
        } => {
            let msg = lab::power(
                &lab.resolve()?,
                &node,
                Power::Reboot { hard },
                !no_wait,
                &mut log,
            )?;
            say(json, &msg)
        }
        LabCommand::Poweroff {
            lab,
            node,
            graceful,
        } => {
            let msg = lab::power(
                &lab.resolve()?,
                &node,
                Power::Off { graceful },
                false,
                &mut log,
            )?;
            say(json, &msg)
        }
        LabCommand::Poweron { lab, node, no_wait } => {
            let msg = lab::power(&lab.resolve()?, &node, Power::On, !no_wait, &mut log)?;
            say(json, &msg)
        }
        LabCommand::Image => {
            let image = crate::image::ensure(&mut log)?;
            if json {
                print_json(&serde_json::json!({
                    "dir": image.dir,
                    "recipe": image.info.recipe,
                    "build_seconds": image.info.build_seconds,
                    "built_now": image.fresh,
                }))?;
            } else {
                println!(
                    "{} (built in {:.0} s{})",
                    image.dir.display(),
                    image.info.build_seconds,
                    if image.fresh { ", just now" } else { "" }
                );
            }
            Ok(0)
        }
    }
}

fn say(json: bool, msg: &str) -> Result<i32> {
    if json {
        print_json(&serde_json::json!({ "message": msg }))?;
    } else {
        println!("{msg}");
    }
    Ok(0)
}

fn print_up(r: &lab::UpReport) {
    let accel = r
        .accel
        .as_deref()
        .map(|a| format!(", {a}"))
        .unwrap_or_default();
    println!(
        "lab {}: {} nodes up ({}{accel}) in {:.1} s",
        r.name,
        r.nodes.len(),
        r.backend.as_str(),
        r.up_seconds
    );
    for n in &r.nodes {
        println!(
            "  {:<4} mgmt {:<12} router {:<12} osd {}  (ssh after {:.1} s)",
            n.name,
            n.mgmt_ip,
            n.router_ip,
            n.osd_devices.join(","),
            n.ssh_seconds
        );
    }
    println!("  spec        {}", r.spec.display());
    println!("  ssh config  {}", r.ssh_config.display());
    println!("  known_hosts {}", r.known_hosts.display());
    println!();
    println!("Run tbmesh against it:");
    println!("  tbmesh --spec {} validate", r.spec.display());
    println!("  ssh -F {} n2", r.ssh_config.display());
    println!(
        "Remove it with `tbmesh lab down{}`.",
        selector(&r.name, &r.state_dir)
    );
}

/// The flags that pick this lab again in a later command.
fn selector(name: &str, dir: &std::path::Path) -> String {
    let default_dir = std::path::Path::new(crate::state::DEFAULT_ROOT).join(name);
    if dir != default_dir {
        format!(" --state-dir {}", dir.display())
    } else if name != crate::state::DEFAULT_NAME {
        format!(" --name {name}")
    } else {
        String::new()
    }
}

fn print_status(s: &lab::Status) {
    let accel = s
        .accel
        .as_deref()
        .map(|a| format!(", {a}"))
        .unwrap_or_default();
    println!(
        "lab {} ({}{accel}) at {}",
        s.name,
        s.backend.as_str(),
        s.state_dir.display()
    );
    for n in &s.nodes {
        let ports: Vec<String> = n
            .ports
            .iter()
            .map(|p| {
                let state = match (p.admin_up, p.carrier) {
                    (false, _) => "DOWN",
                    (true, false) => "NO-CARRIER",
                    (true, true) => "UP",
                };
                format!("{} {} mtu {}", p.name, state, p.mtu)
            })
            .collect();
        println!(
            "  {:<4} {:<8} ssh {:<3} {:>6}  {}",
            n.name,
            if n.running { "running" } else { "off" },
            if n.ssh { "ok" } else { "no" },
            n.memory_mib
                .map(|m| format!("{m} MiB"))
                .unwrap_or_else(|| "-".into()),
            ports.join(", ")
        );
    }
    for c in &s.cables {
        let mut state = if c.plugged { "plugged" } else { "PULLED" }.to_string();
        if !c.silent.is_empty() {
            state.push_str(&format!(", silent at {}", c.silent.join(" ")));
        }
        println!("  cable {} -- {}: {state}", c.a, c.b);
    }
}
