//! A lab on disk: its state directory, the names of its namespaces, and
//! `lab.json`, which records everything `down` needs to undo.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::topology::Topology;

pub const DEFAULT_ROOT: &str = "/var/lib/tbmesh-lab";
pub const DEFAULT_NAME: &str = "default";
/// Prefix of every network namespace the lab makes ("tbmesh lab").
pub const NETNS_PREFIX: &str = "tbl-";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// systemd-nspawn containers: seconds to start, the host's kernel.
    Container,
    /// QEMU VMs: own kernel and udev, about a minute to boot under TCG.
    Vm,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Container => "container",
            Backend::Vm => "vm",
        }
    }
}

/// A loop device backing one OSD disk of a container node.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoopDisk {
    pub file: PathBuf,
    pub device: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NodeState {
    pub name: String,
    /// The process that runs the node (container: the boot wrapper that
    /// owns the overlay mount; VM: QEMU). None while powered off.
    pub pid: Option<u32>,
    /// Device paths as the node sees them, in spec order.
    pub osd_devices: Vec<String>,
    #[serde(default)]
    pub loops: Vec<LoopDisk>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LabState {
    pub name: String,
    pub backend: Backend,
    pub image_dir: PathBuf,
    pub topology: Topology,
    pub osd_disks: usize,
    pub osd_size_gib: u64,
    pub nodes: Vec<NodeState>,
    pub created_unix: u64,
    /// VM backend: "kvm" or "tcg".
    #[serde(default)]
    pub accel: Option<String>,
    /// VM backend: vCPUs per VM.
    #[serde(default)]
    pub vm_cpus: Option<u32>,
    /// VM backend: guest memory in MiB.
    #[serde(default)]
    pub vm_memory_mib: Option<u64>,
    /// VM backend: first TCP port of the ring sockets on 127.0.0.1.
    #[serde(default)]
    pub vm_port_base: Option<u16>,
    /// Cables pulled with `lab link ... down` (indexes into topology.cables).
    #[serde(default)]
    pub pulled: Vec<usize>,
    /// Ports made deaf with `lab link ... silent`.
    #[serde(default)]
    pub silent: Vec<crate::topology::PortRef>,
    /// Seconds `up` took (image excluded).
    #[serde(default)]
    pub up_seconds: Option<f64>,
}

/// Where a lab lives and what it is called.
#[derive(Debug, Clone)]
pub struct LabDir {
    pub name: String,
    pub dir: PathBuf,
}

pub fn validate_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 8
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !ok {
        bail!(
            "lab name {name:?} is not valid: use 1 to 8 lowercase letters and digits, starting with a letter (it becomes part of network namespace names)"
        );
    }
    Ok(())
}

impl LabDir {
    /// Resolves `--name` and `--state-dir` (or `TBMESH_LAB_DIR`).
    pub fn resolve(name: Option<&str>, state_dir: Option<&Path>) -> Result<Self> {
        let env_dir = std::env::var_os("TBMESH_LAB_DIR").map(PathBuf::from);
        let dir = state_dir.map(Path::to_path_buf).or(env_dir);
        let name = match (name, &dir) {
            (Some(n), _) => n.to_string(),
            // A lab found by its directory keeps the name it was made with.
            (None, Some(d)) => match load_state(d) {
                Ok(Some(state)) => state.name,
                _ => DEFAULT_NAME.to_string(),
            },
            (None, None) => DEFAULT_NAME.to_string(),
        };
        validate_name(&name)?;
        let dir = dir.unwrap_or_else(|| Path::new(DEFAULT_ROOT).join(&name));
        let dir = if dir.is_absolute() {
            dir
        } else {
            std::env::current_dir()
                .context("reading the current directory")?
                .join(dir)
        };
        Ok(Self { name, dir })
    }

    pub fn lab_netns(&self) -> String {
        format!("{NETNS_PREFIX}{}", self.name)
    }

    pub fn node_netns(&self, node: &str) -> String {
        format!("{NETNS_PREFIX}{}-{node}", self.name)
    }

    pub fn state_file(&self) -> PathBuf {
        self.dir.join("lab.json")
    }
    pub fn spec(&self) -> PathBuf {
        self.dir.join("tbmesh.toml")
    }
    pub fn ssh_config(&self) -> PathBuf {
        self.dir.join("ssh_config")
    }
    pub fn key(&self) -> PathBuf {
        self.dir.join("id_ed25519")
    }
    pub fn known_hosts(&self) -> PathBuf {
        self.dir.join("known_hosts")
    }
    pub fn nodes_dir(&self) -> PathBuf {
        self.dir.join("nodes")
    }
    pub fn node_dir(&self, node: &str) -> PathBuf {
        self.nodes_dir().join(node)
    }
    pub fn disks_dir(&self) -> PathBuf {
        self.dir.join("disks")
    }
    pub fn lock_file(&self) -> PathBuf {
        PathBuf::from(format!("/run/lock/tbmesh-lab-{}.lock", self.name))
    }

    /// Every file and directory the lab writes at the top of its state
    /// directory; `down` removes exactly these.
    pub fn owned_entries(&self) -> Vec<PathBuf> {
        vec![
            self.nodes_dir(),
            self.disks_dir(),
            self.spec(),
            self.ssh_config(),
            self.key(),
            self.dir.join("id_ed25519.pub"),
            self.known_hosts(),
            self.state_file(),
        ]
    }
}

pub fn load_state(dir: &Path) -> Result<Option<LabState>> {
    let path = dir.join("lab.json");
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let state =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    Ok(Some(state))
}

pub fn save_state(lab: &LabDir, state: &LabState) -> Result<()> {
    let path = lab.state_file();
    let tmp = lab.dir.join("lab.json.tmp");
    let json = serde_json::to_string_pretty(state).context("encoding lab.json")?;
    fs::write(&tmp, json).with_context(|| format!("writing {}", tmp.display()))?;
    fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))
}

impl LabState {
    pub fn node(&self, name: &str) -> Result<&NodeState> {
        self.nodes
            .iter()
            .find(|n| n.name == name)
            .with_context(|| self.unknown_node(name))
    }

    pub fn node_mut(&mut self, name: &str) -> Result<&mut NodeState> {
        let msg = self.unknown_node(name);
        self.nodes.iter_mut().find(|n| n.name == name).context(msg)
    }

    fn unknown_node(&self, name: &str) -> String {
        let names: Vec<&str> = self.nodes.iter().map(|n| n.name.as_str()).collect();
        format!(
            "this lab has no node {name:?}; its nodes are {}",
            names.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_short_and_plain() {
        assert!(validate_name("default").is_ok());
        assert!(validate_name("t1").is_ok());
        assert!(validate_name("").is_err());
        assert!(validate_name("Upper").is_err());
        assert!(validate_name("way-too-long").is_err());
        assert!(validate_name("1abc").is_err());
    }

    #[test]
    fn namespace_names_fit_the_kernel_limits() {
        let lab = LabDir {
            name: "abcdefgh".into(),
            dir: PathBuf::from("/x"),
        };
        assert_eq!(lab.lab_netns(), "tbl-abcdefgh");
        assert_eq!(lab.node_netns("n9"), "tbl-abcdefgh-n9");
    }
}
