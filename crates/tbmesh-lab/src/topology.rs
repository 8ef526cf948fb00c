//! The lab's shape, computed from the node count alone: node names,
//! management and router addresses, and the ring of cables. Pure.

use std::fmt;
use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

/// The two fabric ports every lab node has, as on a TB4 mini PC.
pub const PORTS: [&str; 2] = ["en05", "en06"];
/// MTU of every ring port (thunderbolt-net's maximum).
pub const FABRIC_MTU: u32 = 65520;
/// The management network inside the lab namespace.
pub const MGMT_PREFIX_LEN: u8 = 24;
/// The lab namespace's own address on the management bridge; ssh's
/// ProxyCommand connects from there.
pub const MGMT_GATEWAY: Ipv4Addr = Ipv4Addr::new(10, 11, 11, 1);
pub const FABRIC_PREFIX: &str = "10.100.0.0/24";
pub const MIN_NODES: usize = 2;
pub const MAX_NODES: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodePlan {
    pub name: String,
    pub mgmt_ip: Ipv4Addr,
    pub router_ip: Ipv4Addr,
}

/// One end of a cable.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PortRef {
    pub node: String,
    pub port: String,
}

impl PortRef {
    pub fn new(node: &str, port: &str) -> Self {
        Self {
            node: node.to_string(),
            port: port.to_string(),
        }
    }

    /// Parses `NODE:PORT`.
    pub fn parse(s: &str) -> Option<Self> {
        let (node, port) = s.split_once(':')?;
        if node.is_empty() || port.is_empty() {
            return None;
        }
        Some(Self::new(node, port))
    }
}

impl fmt::Display for PortRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.node, self.port)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cable {
    pub a: PortRef,
    pub b: PortRef,
}

impl Cable {
    /// The other end of this cable, if `end` is one of its ends.
    pub fn peer_of(&self, end: &PortRef) -> Option<&PortRef> {
        if &self.a == end {
            Some(&self.b)
        } else if &self.b == end {
            Some(&self.a)
        } else {
            None
        }
    }
}

impl fmt::Display for Cable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} -- {}", self.a, self.b)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topology {
    pub nodes: Vec<NodePlan>,
    pub cables: Vec<Cable>,
}

impl Topology {
    /// Nodes n2, n3, ... with management 10.11.11.12, .13, ... and router
    /// addresses 10.100.0.12, ...; cabled as a ring where every node uses
    /// en05 and en06 once: n2:en05--n3:en05, n3:en06--n4:en05, ...,
    /// last:en06--n2:en06. With two nodes that is two cables between them.
    pub fn ring(count: usize) -> Result<Self, String> {
        if !(MIN_NODES..=MAX_NODES).contains(&count) {
            return Err(format!(
                "a lab has {MIN_NODES} to {MAX_NODES} nodes, not {count}"
            ));
        }
        let nodes: Vec<NodePlan> = (0..count)
            .map(|i| {
                let host = 12 + i as u8;
                NodePlan {
                    name: format!("n{}", i + 2),
                    mgmt_ip: Ipv4Addr::new(10, 11, 11, host),
                    router_ip: Ipv4Addr::new(10, 100, 0, host),
                }
            })
            .collect();
        let end = |i: usize, port: &str| PortRef::new(&nodes[i].name, port);
        let mut cables = vec![Cable {
            a: end(0, PORTS[0]),
            b: end(1, PORTS[0]),
        }];
        for i in 1..count - 1 {
            cables.push(Cable {
                a: end(i, PORTS[1]),
                b: end(i + 1, PORTS[0]),
            });
        }
        cables.push(Cable {
            a: end(count - 1, PORTS[1]),
            b: end(0, PORTS[1]),
        });
        Ok(Self { nodes, cables })
    }

    pub fn node(&self, name: &str) -> Option<&NodePlan> {
        self.nodes.iter().find(|n| n.name == name)
    }

    /// The cable plugged into `end`, and its index.
    pub fn cable_at(&self, end: &PortRef) -> Option<(usize, &Cable)> {
        self.cables
            .iter()
            .enumerate()
            .find(|(_, c)| c.peer_of(end).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cables(t: &Topology) -> Vec<String> {
        t.cables.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn three_nodes_make_the_guides_ring() {
        let t = Topology::ring(3).expect("3 nodes");
        assert_eq!(
            cables(&t),
            [
                "n2:en05 -- n3:en05",
                "n3:en06 -- n4:en05",
                "n4:en06 -- n2:en06"
            ]
        );
        assert_eq!(t.nodes[2].mgmt_ip, Ipv4Addr::new(10, 11, 11, 14));
        assert_eq!(t.nodes[0].router_ip, Ipv4Addr::new(10, 100, 0, 12));
    }

    #[test]
    fn every_port_is_used_exactly_once() {
        for n in MIN_NODES..=MAX_NODES {
            let t = Topology::ring(n).expect("valid count");
            assert_eq!(t.cables.len(), n);
            let mut ends: Vec<String> = t
                .cables
                .iter()
                .flat_map(|c| [c.a.to_string(), c.b.to_string()])
                .collect();
            ends.sort();
            ends.dedup();
            assert_eq!(ends.len(), 2 * n, "{n} nodes");
        }
    }

    #[test]
    fn two_nodes_are_joined_by_two_cables() {
        let t = Topology::ring(2).expect("2 nodes");
        assert_eq!(cables(&t), ["n2:en05 -- n3:en05", "n3:en06 -- n2:en06"]);
    }

    #[test]
    fn counts_outside_the_range_are_refused() {
        assert!(Topology::ring(1).is_err());
        assert!(Topology::ring(9).is_err());
    }

    #[test]
    fn port_refs_parse() {
        assert_eq!(PortRef::parse("n2:en05"), Some(PortRef::new("n2", "en05")));
        assert_eq!(PortRef::parse("n2"), None);
        assert_eq!(PortRef::parse(":en05"), None);
    }
}
