//! Rendering: the cluster → every file, line edit and command each node
//! needs, per phase. Pure: the same cluster and options give byte-identical
//! output. The apply engine compares this with what a node has.

mod fabric;
mod links;
mod network;
pub mod pve;

use crate::shell::shell_quote;
use crate::Cluster;
use serde::Serialize;
use std::fmt;

pub use fabric::{
    fabrics_cfg, frr_conf, frr_conf_local, frr_fabric_blocks, frr_fabric_part, interface_props,
    local_blocks, pvesh_script,
};
pub use network::expected_addresses;
pub use pve::PveVersion;

/// The first line of every generated file that allows comments.
pub const MANAGED: &str =
    "Managed by tbmesh: changes here are overwritten; edit tbmesh.toml instead.";

/// The guide's chapters, in the order apply runs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Links,
    Network,
    Fabric,
    Ceph,
    Tune,
}

impl Phase {
    pub const ALL: [Phase; 5] = [
        Phase::Links,
        Phase::Network,
        Phase::Fabric,
        Phase::Ceph,
        Phase::Tune,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Links => "links",
            Phase::Network => "network",
            Phase::Fabric => "fabric",
            Phase::Ceph => "ceph",
            Phase::Tune => "tune",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A whole file tbmesh owns on a node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManagedFile {
    pub phase: Phase,
    /// Absolute path on the node.
    pub path: String,
    /// Unix permission bits.
    pub mode: u32,
    pub content: String,
}

/// One line tbmesh owns in a file it does not own (a vendor's config):
/// the first line starting with `prefix` becomes `line` (appended if none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineEdit {
    pub phase: Phase,
    pub path: String,
    pub prefix: String,
    pub line: String,
}

impl LineEdit {
    /// The file's content after the edit.
    pub fn apply(&self, current: &str) -> String {
        let mut found = false;
        let mut out: Vec<&str> = vec![];
        for l in current.lines() {
            if !found && l.starts_with(&self.prefix) {
                out.push(&self.line);
                found = true;
            } else {
                out.push(l);
            }
        }
        if !found {
            out.push(&self.line);
        }
        let mut s = out.join("\n");
        s.push('\n');
        s
    }
}

/// When a step runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum When {
    /// Every apply (its effect can't be known in advance).
    Always,
    /// Only when one of these paths changed in this apply (a handler).
    Changed(Vec<String>),
}

/// A command apply runs on a node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub phase: Phase,
    /// The command and its arguments, each built from validated values.
    pub argv: Vec<String>,
    pub when: When,
    /// What it is for, in a few words.
    pub why: String,
}

impl Step {
    fn handler(phase: Phase, argv: &[&str], paths: Vec<String>, why: &str) -> Option<Step> {
        (!paths.is_empty()).then(|| Step {
            phase,
            argv: argv.iter().map(|s| s.to_string()).collect(),
            when: When::Changed(paths),
            why: why.to_string(),
        })
    }

    /// The command as one shell-quoted line.
    pub fn command_line(&self) -> String {
        self.argv
            .iter()
            .map(|a| shell_quote(a))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Everything one node gets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NodeRender {
    pub files: Vec<ManagedFile>,
    pub edits: Vec<LineEdit>,
    pub steps: Vec<Step>,
}

impl NodeRender {
    pub fn file(&self, path: &str) -> Option<&ManagedFile> {
        self.files.iter().find(|f| f.path == path)
    }

    /// The paths of `phase` matching `pred`, each once (a file may carry
    /// several line edits).
    fn paths(&self, phase: Phase, pred: impl Fn(&str) -> bool) -> Vec<String> {
        let mut out: Vec<String> = vec![];
        let all = self
            .files
            .iter()
            .filter(|f| f.phase == phase && pred(&f.path))
            .map(|f| &f.path)
            .chain(
                self.edits
                    .iter()
                    .filter(|e| e.phase == phase && pred(&e.path))
                    .map(|e| &e.path),
            );
        for p in all {
            if !out.contains(p) {
                out.push(p.clone());
            }
        }
        out
    }

    /// `steps.txt`: the commands apply would run, in order, with their triggers.
    pub fn steps_text(&self) -> String {
        let mut s = format!("# {MANAGED}\n# Commands tbmesh apply runs on this node, in order.\n");
        for phase in Phase::ALL {
            for e in self.edits.iter().filter(|e| e.phase == phase) {
                s.push_str(&format!(
                    "[{}] set `{}` in {} (replacing the line starting `{}`)\n",
                    e.phase, e.line, e.path, e.prefix
                ));
            }
            for st in self.steps.iter().filter(|st| st.phase == phase) {
                let when = match &st.when {
                    When::Always => "every apply".to_string(),
                    When::Changed(p) => format!("when changed: {}", p.join(" ")),
                };
                s.push_str(&format!(
                    "[{}] {}\n    # {}; runs {}\n",
                    st.phase,
                    st.command_line(),
                    st.why,
                    when
                ));
            }
        }
        s
    }
}

/// Values that come from the nodes rather than the spec; defaults when unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderOptions {
    /// FRR's version, for the `frr version` header line of frr.conf.
    pub frr_version: String,
    /// udevd runs on the node (not in a container): reload it after rule changes.
    pub udev: bool,
    /// The Proxmox VE whose own files (frr.conf, interfaces.d/sdn) are
    /// previewed in `pve-sdn` mode.
    pub pve: PveVersion,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            frr_version: "10.3".to_string(),
            udev: true,
            pve: PveVersion::default(),
        }
    }
}

impl RenderOptions {
    /// What the node's facts say, defaults where they say nothing.
    pub fn from_facts(f: &crate::facts::Facts) -> Self {
        let d = RenderOptions::default();
        RenderOptions {
            frr_version: f.frr_version().unwrap_or(d.frr_version),
            udev: f.udev,
            pve: PveVersion::from_packages(
                f.package("pve-manager"),
                f.package("libpve-network-perl"),
            )
            .unwrap_or(d.pve),
        }
    }
}

/// What the cluster as a whole gets (Proxmox VE objects, the Ceph plan).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Rendered {
    /// Per node, in spec order: (node name, what it gets).
    pub nodes: Vec<(String, NodeRender)>,
    /// Cluster-wide files, paths relative to the render's `cluster/` dir.
    pub cluster: Vec<ManagedFile>,
}

impl Rendered {
    pub fn node(&self, name: &str) -> Option<&NodeRender> {
        self.nodes.iter().find(|(n, _)| n == name).map(|(_, r)| r)
    }
}

/// Render every phase for every node, with the same options for all.
pub fn render(c: &Cluster, opts: &RenderOptions) -> Rendered {
    let nodes = (0..c.nodes().len())
        .map(|i| (c.node_name(i).to_string(), render_node(c, i, opts)))
        .collect();
    Rendered {
        nodes,
        cluster: fabric::render_cluster(c, opts),
    }
}

/// Everything node `i` gets.
pub fn render_node(c: &Cluster, i: usize, opts: &RenderOptions) -> NodeRender {
    let mut r = NodeRender::default();
    links::render(c, i, &mut r);
    network::render(c, i, &mut r);
    fabric::render_node(c, i, opts, &mut r);
    handlers(&mut r, opts);
    r
}

/// The commands that make a changed file take effect. Each runs in the
/// phase of the files that trigger it, after they are written.
fn handlers(r: &mut NodeRender, opts: &RenderOptions) {
    let mut steps = vec![];
    for phase in Phase::ALL {
        let changed = |pred: &dyn Fn(&str) -> bool| r.paths(phase, pred);
        let mut add = |argv: &[&str], paths: Vec<String>, why: &str| {
            steps.extend(Step::handler(phase, argv, paths, why));
        };
        add(
            &["systemctl", "restart", "systemd-modules-load.service"],
            changed(&|p| p.starts_with("/etc/modules-load.d/")),
            "load the Thunderbolt modules now",
        );
        if opts.udev {
            add(
                &["udevadm", "control", "--reload"],
                changed(&|p| p.starts_with("/etc/udev/rules.d/")),
                "make udev read the new rules",
            );
        }
        add(
            &["update-initramfs", "-u", "-k", "all"],
            changed(&|p| p.ends_with(".link")),
            "port names are applied early in boot, from the initramfs",
        );
        add(
            &["/usr/local/lib/tbmesh/rename-ports"],
            changed(&|p| p.ends_with(".link")),
            "rename ports that still carry kernel names, without a reboot",
        );
        add(
            &["sysctl", "-q", "-p", "/etc/sysctl.d/90-tbmesh.conf"],
            changed(&|p| p == "/etc/sysctl.d/90-tbmesh.conf"),
            "forwarding and socket buffers now",
        );
        add(
            &["systemctl", "daemon-reload"],
            changed(&|p| p.starts_with("/etc/systemd/system/")),
            "systemd reads the new units and drop-ins",
        );
        add(
            &["systemctl", "enable", "tbmesh-links.service"],
            changed(&|p| p.ends_with("/tbmesh-links.service")),
            "wait for the mesh ports on every boot",
        );
        add(
            &["ifreload", "-a"],
            changed(&|p| p.starts_with("/etc/network/interfaces.d/")),
            "apply the interface stanzas",
        );
        add(
            &[network::WAIT_SCRIPT, "--present"],
            changed(&|p| p.starts_with("/etc/network/interfaces.d/")),
            "check that every interface carries its addresses, ifup those that do not (ifupdown2 can miss one: PITFALLS 1)",
        );
        add(
            &["systemctl", "enable", "frr.service"],
            changed(&|p| p == "/etc/frr/daemons"),
            "start FRR on boot",
        );
        // FRR's unit allows few starts in a row; an interrupted apply and its
        // recovery may have used them up.
        add(
            &["systemctl", "reset-failed", "frr.service"],
            changed(&|p| p == "/etc/frr/daemons"),
            "clear FRR's start limit before restarting it",
        );
        // A new daemon (fabricd) needs a restart; a changed frr.conf only a reload.
        add(
            &["systemctl", "restart", "frr.service"],
            changed(&|p| p == "/etc/frr/daemons"),
            "start fabricd (and bfdd)",
        );
        add(
            &["systemctl", "reload", "frr.service"],
            changed(&|p| p == "/etc/frr/frr.conf"),
            "load the new frr.conf (frr-reload.py)",
        );
    }
    r.steps = steps;
}

/// `# <MANAGED>` as the first line of a file using `#` comments.
fn hash_header() -> String {
    format!("# {MANAGED}\n")
}
