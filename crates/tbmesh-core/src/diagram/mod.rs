//! Topology drawings: ASCII for terminals, Graphviz dot, and self-contained SVG.
//!
//! Each is a pure function of the cluster (no I/O, clock or randomness), so the
//! same spec always draws byte-identical output. All three show the same
//! facts: every node (name, router /32, management host), every port (with its
//! PCI address when it is renamed by path), every cable port to port, the /31
//! of each cable end in static mode, and a caption with the fabric.
//!
//! `layout` places boxes, ports, cables and labels once; `dot` and `svg` draw
//! from it, `ascii` draws its own stacked boxes. `svg_with_states` colours
//! nodes and cables by what a check or a benchmark found (for the report).

mod ascii;
mod dot;
mod geometry;
mod layout;
mod state;
mod svg;
#[cfg(test)]
mod tests;

pub use ascii::ascii;
pub use dot::dot;
pub use state::{Mark, State, States};
pub use svg::{svg, svg_with_states};

use crate::spec::{FabricMode, PortSpec};
use crate::topology::NodeIdx;
use crate::Cluster;

/// The caption shared by every format: fabric, addressing, routing.
pub(super) fn caption(c: &Cluster) -> Vec<String> {
    let s = &c.spec;
    let f = &s.fabric;
    let cables = match (f.mode.value, &f.link_prefix) {
        (FabricMode::Static, Some(lp)) => format!("a /31 per cable from {}", lp.value),
        (FabricMode::Static, None) => "a /31 per cable".to_string(),
        _ => "cables unnumbered".to_string(),
    };
    let routing = match f.mode.value {
        FabricMode::PveSdn => "OpenFabric via Proxmox VE SDN fabrics",
        FabricMode::Frr => "OpenFabric in FRR, configured by tbmesh",
        FabricMode::Static => "static host routes, no failover",
    };
    let routes = c.topology.routes();
    let paths = if routes.all_reachable() {
        let m = routes.max_hops();
        format!("longest path {m} hop{}", if m == 1 { "" } else { "s" })
    } else {
        "some nodes cannot reach each other".to_string()
    };
    vec![
        format!(
            "cluster {}: fabric {}, mode {}, prefix {}, MTU {}",
            s.cluster.name,
            f.name,
            f.mode,
            f.prefix_text(),
            f.mtu
        ),
        format!(
            "addresses: router {} per node on {}; {cables}",
            if f.ipv6_only() { "/128" } else { "/32" },
            f.router_ifname()
        ),
        format!("routing: {routing}; {paths}"),
    ]
}

pub(super) fn is_static(c: &Cluster) -> bool {
    c.spec.fabric.mode.value == FabricMode::Static
}

/// How the port gets its name.
pub(super) fn port_device(p: &PortSpec) -> String {
    match &p.pci {
        Some(pci) => format!("pci {pci}"),
        None => "no rename".to_string(),
    }
}

/// `node:port` of the far end of a port's cable.
pub(super) fn peer_ref(c: &Cluster, node: NodeIdx, port: &str) -> Option<String> {
    c.peer(node, port)
        .map(|pe| format!("{}:{}", c.node_name(pe.node), pe.port))
}

/// The /31 of `node:port` as text (static mode), else `None`.
pub(super) fn addr_text(c: &Cluster, node: NodeIdx, port: &str) -> Option<String> {
    if is_static(c) {
        c.link_addr(node, port).map(|a| a.to_string())
    } else {
        None
    }
}

/// Text escaped for XML (and HTML) content and attribute values.
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(ch),
        }
    }
    out
}
