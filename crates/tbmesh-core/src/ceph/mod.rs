//! The Ceph and tune phases, pure: the ceph.conf the cluster will hold, the
//! exact command sequence (pveceph on Proxmox VE nodes, a manual bootstrap
//! of plain Ceph on Debian nodes), disk safety, the tuning values, and the
//! Ceph checks of verify. The engine (`tbmesh::ceph`) gathers the inputs
//! and runs the steps; nothing here touches a host.

pub mod conf;
pub mod disks;
pub mod health;
pub mod keys;
pub mod maintenance;
pub mod plan;
pub mod state;
pub mod tune;

use serde::Serialize;

pub use conf::ceph_conf;
pub use disks::{DiskFacts, Verdict};
pub use plan::{plan, CephPlan, CephStep, NodeCeph, StepKind};
pub use state::CephState;

/// How Ceph is installed and driven on the cluster's nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// Proxmox VE: `pveceph`, config in /etc/pve (shared by pmxcfs).
    Pveceph,
    /// Debian's Ceph packages, bootstrapped by hand (the lab).
    Plain,
}

impl Backend {
    /// Proxmox VE nodes have `pve-manager`; anything else is plain Debian.
    pub fn of(facts: &crate::facts::Facts) -> Backend {
        if facts.package("pve-manager").is_some() {
            Backend::Pveceph
        } else {
            Backend::Plain
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Pveceph => "pveceph",
            Backend::Plain => "plain",
        }
    }
}

/// Base64 for carrying files inside scripts (and reading them back).
pub fn b64_encode(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(data)
}

pub fn b64_decode(text: &str) -> Result<Vec<u8>, String> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|e| format!("not base64: {e}"))
}
