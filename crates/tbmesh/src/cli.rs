//! Command-line arguments.

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// `tbmesh --version`: the version and the git commit built from (see build.rs).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("TBMESH_GIT_COMMIT"),
    ")"
);

/// Declare a Proxmox VE 9 + Thunderbolt 4 + Ceph mesh once; tbmesh builds,
/// routes, verifies and keeps it.
#[derive(Debug, Parser)]
#[command(name = "tbmesh", version = VERSION, about, max_term_width = 100)]
pub struct Cli {
    /// The cluster spec [default: ./tbmesh.toml]
    #[arg(short = 'f', long = "spec", global = true, value_name = "FILE")]
    pub spec: Option<PathBuf>,

    /// Print one JSON document (or a stream of JSON events) for programs
    #[arg(long, global = true)]
    pub json: bool,

    /// Accept the host key of a node never connected to before (its
    /// fingerprint is printed); a changed key is always refused
    #[arg(long, global = true)]
    pub accept_new_host_keys: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a first tbmesh.toml from the hardware: reads each node (versions, CPU, RAM, disks, management, mesh ports with MAC and PCI path) and finds the cabling by IPv6 neighbour discovery or LLDP (reads hosts; brings down ports up for the probe and back down)
    #[command(visible_alias = "discover")]
    Init(crate::commands::init::Args),
    /// Check the spec and print the derived topology and addresses (touches no host)
    Validate,
    /// Write every file tbmesh would install, per node and cluster-wide (touches no host)
    Render {
        /// Directory to write into (created; must be new, empty or an earlier render: only the files the earlier render listed are replaced)
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Proxmox VE whose own files are previewed in pve-sdn mode (cluster/preview/):
        /// 9.0, 9.1 (= 9.1.0-9.1.1), or network:X.Y.Z (a libpve-network-perl version)
        #[arg(long, value_name = "VERSION", default_value = "9.1")]
        pve_version: String,
    },
    /// Draw the topology: ports, cables, router addresses (touches no host)
    Diagram {
        #[arg(long, value_enum, default_value_t = DiagramFormat::Ascii)]
        format: DiagramFormat,
    },
    /// Is every node ready? A pass/warn/fail table per node: OS and kernel, Thunderbolt modules, IOMMU, corosync, time sync, FRR and Ceph, ports, disks, memory, management (reads hosts; exit 1 on a fail)
    Preflight,
    /// The live state in one screen: per port carrier, speed, MTU, errors, drops and carrier changes, adjacencies, BFD, routes' next hops, Ceph health/OSDs/PGs (reads hosts; one round trip per node)
    Status {
        /// Refresh every SECS seconds until interrupted (drawn in place on a terminal)
        #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u32).range(1..=3600))]
        watch: Option<u32>,
    },
    /// Write one tar.gz for a helper: spec, rendered files, facts, verify and status JSON, per node links, routes, FRR JSON, FRR and networking journal excerpts, Ceph status, health and OSD tree; secrets left out (reads hosts)
    SupportBundle {
        /// The file to write (must not exist) [default: ./tbmesh-support-CLUSTER-UNIXTIME.tar.gz]
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Put a node's OSDs in maintenance: Ceph's noout for that host only (`ceph osd set-group noout NODE`), or take them out of it (writes the cluster's OSD map)
    Maintenance {
        /// The node (as named in the spec)
        #[arg(value_name = "NODE")]
        node: String,
        #[arg(value_enum, value_name = "STATE")]
        state: OnOff,
    },
    /// Reboot nodes one at a time: maintenance on, reboot, wait for the node, the mesh (verify) and active+clean PGs, maintenance off; stops at the first failure (writes hosts)
    Reboot {
        /// One node at a time (required: the only mode)
        #[arg(long, required = true)]
        rolling: bool,
        /// The nodes, in this order [default: every node of the spec, in spec order]
        #[arg(value_name = "NODES")]
        nodes: Vec<String>,
        /// Seconds each wait (node back, mesh verified, PGs clean) may take
        #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u32).range(30..=7200), value_name = "SECS")]
        timeout: u32,
    },
    /// Gather facts and show what apply would change: diffs and commands (reads hosts)
    Plan {
        /// Only these phases (repeatable) [default: links, network, fabric; ceph, tune with [ceph]]
        #[arg(long = "phase", value_enum, value_name = "PHASE")]
        phases: Vec<PhaseArg>,
    },
    /// Converge the cluster to the spec (writes hosts)
    Apply {
        /// Only these phases (repeatable) [default: links, network, fabric; ceph, tune with [ceph]]
        #[arg(long = "phase", value_enum, value_name = "PHASE")]
        phases: Vec<PhaseArg>,
        // tbmesh-ceph: name a non-empty OSD disk to wipe
        /// Wipe this OSD disk before making OSDs of it, though it is not
        /// empty: its serial (its path if it has none). Repeatable. Destroys its data.
        #[arg(long = "wipe-disk", value_name = "SERIAL")]
        wipe_disks: Vec<String>,
        /// Seconds a node waits for tbmesh to confirm a network or fabric
        /// change before it rolls the change back by itself
        #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u32).range(30..=3600), value_name = "SECS")]
        confirm_timeout: u32,
        /// Also print what tune skips (and why) when nothing changes
        #[arg(short, long)]
        verbose: bool,
    },
    /// Check the cluster against the spec: ports, peers, MTU, routes, hops, adjacencies, boot persistence (reads hosts)
    Verify {
        /// Print only the checks that failed (the summary line still counts all)
        #[arg(long)]
        failed: bool,
        /// Check only the mesh, not Ceph (which is checked when the spec has [ceph])
        #[arg(long)]
        mesh: bool,
        /// Also keep the result for `tbmesh report` (under $XDG_STATE_HOME/tbmesh/<cluster>/)
        #[arg(long)]
        save: bool,
    },
    /// Write one self-contained HTML page from the saved verify, bench and failover-test results (touches no host)
    Report {
        /// The HTML file to write
        #[arg(long, value_name = "FILE", default_value = "report.html")]
        out: PathBuf,
    },
    /// Measure every cable (iperf3, both directions) and every pair (DF pings) against line rate (reads hosts; nothing survives the run)
    Bench {
        /// Seconds of each iperf3 run (and of each rados bench phase)
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=300), value_name = "SECS")]
        seconds: u32,
        /// Benchmark even when verify finds failures
        #[arg(long)]
        force: bool,
        /// Also rados bench write, seq and rand (4 MiB objects, 16 threads, --seconds each) on a temporary pool deleted after
        #[arg(long)]
        ceph: bool,
    },
    /// Inject one fault at a time on the fabric's cables (down, one-sided
    /// silent) or reboot one node (--reboot), measure the longest gap per
    /// pair (and with --ceph a client write's longest stall), restore,
    /// verify (temporary changes)
    FailoverTest(crate::commands::failover_test::Args),
    /// Restore the files an apply changed [default: the newest apply]
    Rollback {
        #[arg(value_name = "APPLY_ID")]
        apply_id: Option<String>,
    },
    /// The local lab: real Debian 13 test hosts on this machine (needs root)
    Lab {
        #[command(subcommand)]
        command: tbmesh_lab::cli::LabCommand,
    },
    /// Print the shell completion script for SHELL (touches no host)
    Completions {
        #[arg(value_enum)]
        shell: Shell,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

impl From<Shell> for clap_complete::Shell {
    fn from(s: Shell) -> Self {
        match s {
            Shell::Bash => clap_complete::Shell::Bash,
            Shell::Zsh => clap_complete::Shell::Zsh,
            Shell::Fish => clap_complete::Shell::Fish,
        }
    }
}

/// The CLI definition that completions and man pages are generated from.
/// Its version is the bare package version, so the committed files change
/// with a release, not with every commit.
pub fn command() -> clap::Command {
    Cli::command().version(env!("CARGO_PKG_VERSION"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiagramFormat {
    Ascii,
    Dot,
    Svg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PhaseArg {
    Links,
    Network,
    Fabric,
    // tbmesh-ceph
    Ceph,
    Tune,
}

impl From<PhaseArg> for tbmesh_core::render::Phase {
    fn from(p: PhaseArg) -> Self {
        match p {
            PhaseArg::Links => tbmesh_core::render::Phase::Links,
            PhaseArg::Network => tbmesh_core::render::Phase::Network,
            PhaseArg::Fabric => tbmesh_core::render::Phase::Fabric,
            PhaseArg::Ceph => tbmesh_core::render::Phase::Ceph,
            PhaseArg::Tune => tbmesh_core::render::Phase::Tune,
        }
    }
}
