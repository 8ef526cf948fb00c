//! What every check reads: the cluster, what was seen on each node, and
//! what is derived from all nodes at once (link states, MAC owners).

use crate::facts::Facts;
use crate::plan::NodePlan;
use crate::spec::FabricMode;
use crate::topology::NodeIdx;
use crate::verify::frr::Adjacency;
use crate::verify::probes::Probes;
use crate::Cluster;
use std::collections::BTreeMap;

/// What was seen on one node: its facts (interfaces, files), its plan for
/// the mesh phases (file changes), and its probes.
#[derive(Debug, Clone, Copy)]
pub struct Observed<'a> {
    pub facts: &'a Facts,
    pub plan: &'a NodePlan,
    pub probes: &'a Probes,
}

/// Why a link can't carry traffic now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LinkState {
    Usable,
    /// An end is missing or has no carrier.
    Down(String),
    /// Carrier on both ends but no OpenFabric adjacency on an end.
    NoAdjacency(String),
}

/// What every check reads: the cluster, what was seen, and what is derived
/// from all nodes at once.
pub(crate) struct Ctx<'a> {
    pub(crate) c: &'a Cluster,
    pub(crate) seen: &'a [Observed<'a>],
    pub(crate) links: Vec<LinkState>,
    pub(crate) macs: BTreeMap<String, (NodeIdx, &'a str)>,
}

pub(crate) fn carrier(facts: &Facts, port: &str) -> bool {
    facts.interface(port).is_some_and(|p| p.up && p.carrier)
}

/// The adjacency on `port`, if the node reported its adjacencies.
pub(crate) fn adjacency<'a>(p: &'a Probes, port: &str) -> Option<Option<&'a Adjacency>> {
    match &p.openfabric {
        Some(Ok(adjs)) => Some(
            adjs.iter()
                .find(|a| a.interface == port && a.state == "Up")
                .or_else(|| adjs.iter().find(|a| a.interface == port)),
        ),
        _ => None,
    }
}

pub(crate) fn link_states(c: &Cluster, seen: &[Observed]) -> Vec<LinkState> {
    let openfabric = c.spec.fabric.mode.value != FabricMode::Static;
    c.topology
        .links
        .iter()
        .enumerate()
        .map(|(li, l)| {
            let spec = &c.spec.fabric.links[li];
            let ends = [(l.a.0, &l.a.1), (l.b.0, &l.b.1)];
            for &(node, port) in &ends {
                let Some(o) = seen.get(node) else {
                    return LinkState::Down(format!("link {spec} is down"));
                };
                if !carrier(o.facts, port) {
                    return LinkState::Down(format!("link {spec} is down"));
                }
            }
            if openfabric {
                // A node whose fabricd does not answer is the cause, not
                // the far end that lost its adjacency to it.
                for &(node, _) in &ends {
                    if !matches!(
                        seen.get(node).map(|o| &o.probes.openfabric),
                        Some(Some(Ok(_)))
                    ) {
                        return LinkState::NoAdjacency(format!(
                            "link {spec}: fabricd on {} does not answer",
                            c.node_name(node)
                        ));
                    }
                }
                for &(node, port) in &ends {
                    let up = seen
                        .get(node)
                        .and_then(|o| adjacency(o.probes, port))
                        .flatten()
                        .is_some_and(|a| a.state == "Up");
                    if !up {
                        return LinkState::NoAdjacency(format!(
                            "link {spec} has no adjacency on {}:{port}",
                            c.node_name(node)
                        ));
                    }
                }
            }
            LinkState::Usable
        })
        .collect()
}
/// Every MAC of every node's interfaces → (node, interface). A mesh port
/// wins over another interface with the same MAC (a bridge, say).
pub(crate) fn mac_index<'a>(
    c: &Cluster,
    seen: &'a [Observed],
) -> BTreeMap<String, (NodeIdx, &'a str)> {
    let mut idx: BTreeMap<String, (NodeIdx, &str)> = BTreeMap::new();
    for (n, o) in seen.iter().enumerate() {
        for ifc in &o.facts.interfaces {
            let Some(mac) = ifc.mac.as_ref().map(|m| m.to_ascii_lowercase()) else {
                continue;
            };
            if mac == "00:00:00:00:00:00" {
                continue;
            }
            let is_port =
                |n: NodeIdx, name: &str| c.nodes().get(n).is_some_and(|s| s.port(name).is_some());
            let replace = match idx.get(&mac) {
                None => true,
                Some(&(m, name)) => !is_port(m, name) && is_port(n, &ifc.name),
            };
            if replace {
                idx.insert(mac, (n, ifc.name.as_str()));
            }
        }
    }
    idx
}
