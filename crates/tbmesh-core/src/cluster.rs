//! A validated spec together with everything derived from it: the topology
//! and the addresses. Every later stage (render, plan, verify) reads this.

use crate::addressing::net_for;
use crate::net::Ipv4Net;
use crate::spec::{NodeSpec, PortRef, Spec};
use crate::topology::{NodeIdx, Topology};
use std::net::{Ipv4Addr, Ipv6Addr};

#[derive(Debug, Clone)]
pub struct Cluster {
    pub spec: Spec,
    pub topology: Topology,
    /// Router /32 per node, in node order.
    pub router_ips: Vec<Ipv4Addr>,
    /// Dual stack (`fabric.prefix6`): IPv6 router address per node, in node
    /// order; empty without an IPv6 prefix.
    pub router_ip6s: Vec<Ipv6Addr>,
    /// Static mode only: the (a end, b end) /31 of each link, in link order.
    pub link_nets: Vec<(Ipv4Net, Ipv4Net)>,
}

/// The far end of a port's cable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    pub node: NodeIdx,
    pub port: String,
    pub link: usize,
}

impl Cluster {
    pub fn nodes(&self) -> &[NodeSpec] {
        &self.spec.nodes
    }

    pub fn node_idx(&self, name: &str) -> Option<NodeIdx> {
        self.spec.nodes.iter().position(|n| n.name.value == name)
    }

    pub fn node_name(&self, idx: NodeIdx) -> &str {
        &self.spec.nodes[idx].name.value
    }

    pub fn net(&self, idx: NodeIdx) -> String {
        net_for(self.router_ips[idx])
    }

    /// The peer on the other end of `node:port`, if it is cabled.
    pub fn peer(&self, node: NodeIdx, port: &str) -> Option<Peer> {
        self.topology.links.iter().enumerate().find_map(|(i, l)| {
            l.peer_of(node, port).map(|(n, p)| Peer {
                node: n,
                port: p.to_string(),
                link: i,
            })
        })
    }

    /// Static mode: the /31 address of `node:port` on its link.
    pub fn link_addr(&self, node: NodeIdx, port: &str) -> Option<Ipv4Net> {
        let peer = self.peer(node, port)?;
        let (a, b) = *self.link_nets.get(peer.link)?;
        let link = &self.topology.links[peer.link];
        Some(if link.a.0 == node && link.a.1 == port {
            a
        } else {
            b
        })
    }

    pub fn port_ref(&self, node: NodeIdx, port: &str) -> PortRef {
        PortRef {
            node: self.node_name(node).to_string(),
            port: port.to_string(),
        }
    }
}
