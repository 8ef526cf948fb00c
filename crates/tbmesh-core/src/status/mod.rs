//! `tbmesh status`: the live state of the mesh in one screen. One script per
//! node (ports from sysfs, FRR's adjacencies and BFD sessions, the routes to
//! the other routers), read in one round trip; Ceph's state comes from the
//! same round trip ([`crate::ceph::state`]). The JSON shape is documented in
//! docs/operations.md and kept stable.

mod parse;
mod script;

#[cfg(test)]
mod tests;

pub use parse::parse_node;
pub use script::script;

use crate::ceph::state::CephState;
use crate::verify::{Adjacency, BfdPeer};
use serde::Serialize;
use std::collections::BTreeMap;

/// One mesh port as sysfs reports it. `None`: the kernel did not say (no
/// such port, or a port that is administratively down has no speed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PortStatus {
    pub name: String,
    /// The far end of the cable per the spec (`n3:en05`), if cabled.
    pub peer: Option<String>,
    pub present: bool,
    pub operstate: Option<String>,
    pub carrier: Option<bool>,
    pub speed_mbps: Option<u64>,
    pub mtu: Option<u32>,
    /// Carrier changes since the port appeared (`carrier_changes`).
    pub carrier_changes: Option<u64>,
    pub rx_errors: Option<u64>,
    pub tx_errors: Option<u64>,
    pub rx_dropped: Option<u64>,
    pub tx_dropped: Option<u64>,
}

/// One next hop of a route (`ip -j route show`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NextHop {
    pub dev: Option<String>,
    pub via: Option<String>,
}

/// The route to another node's router address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteStatus {
    pub to: String,
    pub ip: String,
    pub protocol: Option<String>,
    /// Empty: no route.
    pub next_hops: Vec<NextHop>,
}

/// What one node reported; `error` set when it could not be read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NodeStatus {
    pub node: String,
    pub reachable: bool,
    pub error: Option<String>,
    pub ports: Vec<PortStatus>,
    /// `None` when the fabric has no OpenFabric (static) or vtysh failed
    /// (then `frr_error` says why).
    pub adjacencies: Option<Vec<Adjacency>>,
    /// `None` when BFD is off or vtysh failed.
    pub bfd: Option<Vec<BfdPeer>>,
    pub frr_error: Option<String>,
    pub routes: Vec<RouteStatus>,
}

/// Ceph at a glance, as one node saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CephSummary {
    /// The node whose view this is.
    pub node: String,
    pub health: String,
    /// Health check codes with their summaries.
    pub checks: Vec<(String, String)>,
    pub mons: usize,
    pub mons_in_quorum: usize,
    pub osds: usize,
    pub osds_up: usize,
    pub osds_in: usize,
    pub pgs: u64,
    /// PG count per state.
    pub pg_states: BTreeMap<String, u64>,
}

impl CephSummary {
    pub fn of(node: &str, s: &CephState) -> Self {
        let mut pg_states = BTreeMap::new();
        for (state, n) in &s.pg_states {
            *pg_states.entry(state.clone()).or_insert(0) += n;
        }
        CephSummary {
            node: node.to_string(),
            health: s.health.clone(),
            checks: s
                .checks
                .iter()
                .map(|c| (c.code.clone(), c.summary.clone()))
                .collect(),
            mons: s.mons.len(),
            mons_in_quorum: s.mons.iter().filter(|m| m.in_quorum).count(),
            osds: s.osds.len(),
            osds_up: s.osds.iter().filter(|o| o.up).count(),
            osds_in: s.osds.iter().filter(|o| o.r#in).count(),
            pgs: s.num_pgs,
            pg_states,
        }
    }

    /// PGs not active (peering, down, unknown, ...): data not served.
    pub fn inactive_pgs(&self) -> u64 {
        self.pg_states
            .iter()
            .filter(|(s, _)| !s.split('+').any(|w| w == "active"))
            .map(|(_, n)| n)
            .sum()
    }
}

/// The whole cluster: `tbmesh status --json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    pub cluster: String,
    pub nodes: Vec<NodeStatus>,
    /// `None`: no Ceph in the spec. With Ceph but no node answering, the
    /// reason is in `ceph_error`.
    pub ceph: Option<CephSummary>,
    pub ceph_error: Option<String>,
}
