//! The checks verify reports.

use serde::Serialize;
use std::fmt;

/// The kinds of check, in the order they are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckKind {
    /// The port exists, is up and has carrier.
    Port,
    /// The port's MTU is the fabric's.
    Mtu,
    /// The port (or the router interface) carries its addresses.
    Address,
    /// The host on the other end of the port is the declared one.
    Peer,
    /// An OpenFabric adjacency is up on the port, to the declared node.
    Adjacency,
    /// A BFD session is up on the port, to the declared neighbour.
    Bfd,
    /// A DF ping that fills the MTU reaches the other router; one byte more does not.
    Ping,
    /// The number of hops to the other router is the planned one.
    Hops,
    /// A unit the mesh needs at boot is enabled.
    Unit,
    /// The files tbmesh manages are as rendered.
    Files,
    /// Ceph: health, quorum at the router addresses, OSDs, PGs, pool.
    Ceph,
}

impl CheckKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckKind::Port => "port",
            CheckKind::Mtu => "mtu",
            CheckKind::Address => "address",
            CheckKind::Peer => "peer",
            CheckKind::Adjacency => "adjacency",
            CheckKind::Bfd => "bfd",
            CheckKind::Ping => "ping",
            CheckKind::Hops => "hops",
            CheckKind::Unit => "unit",
            CheckKind::Files => "files",
            CheckKind::Ceph => "ceph",
        }
    }
}

impl fmt::Display for CheckKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One verified fact about the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub name: CheckKind,
    /// The node it was checked on.
    pub node: String,
    /// What on the node: a port, a pair's far end, a unit, a file.
    pub subject: String,
    pub ok: bool,
    /// One line for people.
    pub detail: String,
    pub expected: String,
    pub found: String,
}

/// Every check, plus notes about what was not checked and why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub checks: Vec<Check>,
    pub notes: Vec<String>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }

    pub fn failed(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| !c.ok)
    }

    /// Record a check; `verdict` is whether it passed and why.
    pub(crate) fn push<D: Into<String>>(
        &mut self,
        name: CheckKind,
        node: &str,
        subject: impl Into<String>,
        (ok, detail): (bool, D),
        expected: impl Into<String>,
        found: impl Into<String>,
    ) {
        self.checks.push(Check {
            name,
            node: node.to_string(),
            subject: subject.into(),
            ok,
            detail: detail.into(),
            expected: expected.into(),
            found: found.into(),
        });
    }
}

/// Ceph's checks (from `ceph::health`) as verify checks, seen from `node`.
/// A known limitation stays ok, and says so.
pub fn ceph_as_checks(node: &str, checks: Vec<crate::ceph::health::CephCheck>) -> Vec<Check> {
    checks
        .into_iter()
        .map(|c| Check {
            name: CheckKind::Ceph,
            node: node.to_string(),
            subject: c.name.trim_start_matches("ceph.").to_string(),
            ok: c.ok,
            expected: String::new(),
            found: String::new(),
            detail: c.detail,
        })
        .collect()
}
