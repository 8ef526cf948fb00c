//! Command-line arguments.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Declare a Proxmox VE 9 + Thunderbolt 4 + Ceph mesh once; tbmesh builds,
/// routes, verifies and keeps it.
#[derive(Debug, Parser)]
#[command(name = "tbmesh", version, about, max_term_width = 100)]
pub struct Cli {
    /// The cluster spec [default: ./tbmesh.toml]
    #[arg(short = 'f', long = "spec", global = true, value_name = "FILE")]
    pub spec: Option<PathBuf>,

    /// Print one JSON document (or a stream of JSON events) for programs
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the spec and print the derived topology and addresses (touches no host)
    Validate,
    /// Write every file tbmesh would install, per node and cluster-wide (touches no host)
    Render {
        /// Directory to write into (created; must be empty or a previous render)
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Draw the topology: ports, cables, router addresses (touches no host)
    Diagram {
        #[arg(long, value_enum, default_value_t = DiagramFormat::Ascii)]
        format: DiagramFormat,
    },
    /// The local lab: real Debian 13 test hosts on this machine (needs root)
    Lab {
        #[command(subcommand)]
        command: tbmesh_lab::cli::LabCommand,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiagramFormat {
    Ascii,
    Dot,
    Svg,
}
