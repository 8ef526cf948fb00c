//! A validated spec together with everything derived from it: the topology
//! and the addresses. Every later stage (render, plan, verify) reads this.

use crate::addressing::{net_for, net_for6};
use crate::net::Ipv4Net;
use crate::spec::{NodeSpec, PortRef, Spec};
use crate::topology::{NodeIdx, Topology};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

#[derive(Debug, Clone)]
pub struct Cluster {
    pub spec: Spec,
    pub topology: Topology,
    /// Router /32 per node, in node order; empty on an IPv6-only fabric
    /// (use [`Cluster::router_addr`] for "the" router address).
    pub router_ips: Vec<Ipv4Addr>,
    /// Dual stack or IPv6-only (`fabric.prefix6`): IPv6 router address per
    /// node, in node order; empty without an IPv6 prefix.
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

    /// The node's IS-IS NET: from the IPv4 router address when there is
    /// one, else from the IPv6 one.
    pub fn net(&self, idx: NodeIdx) -> String {
        match self.router_ips.get(idx) {
            Some(ip) => net_for(*ip),
            None => net_for6(self.router_ip6s[idx]),
        }
    }

    /// IPv6-only fabric: no IPv4 router addresses.
    pub fn ipv6_only(&self) -> bool {
        self.router_ips.is_empty()
    }

    /// The node's main router address: the IPv4 one, or the IPv6 one on an
    /// IPv6-only fabric.
    pub fn router_addr(&self, idx: NodeIdx) -> IpAddr {
        match self.router_ips.get(idx) {
            Some(ip) => IpAddr::V4(*ip),
            None => IpAddr::V6(self.router_ip6s[idx]),
        }
    }

    /// [`router_addr`](Self::router_addr) of every node, in node order.
    pub fn router_addrs(&self) -> Vec<IpAddr> {
        (0..self.spec.nodes.len())
            .map(|i| self.router_addr(i))
            .collect()
    }

    /// Ceph runs on IPv6: its public network (and so its cluster network,
    /// validate keeps them one family) is IPv6. On a dual-stack fabric
    /// "fabric" means the IPv4 prefix, so only explicit IPv6 networks do.
    pub fn ceph_ipv6(&self) -> bool {
        match &self.spec.ceph {
            Some(ceph) => ceph.public_network.resolve(&self.spec.fabric).is_ipv6(),
            None => self.ipv6_only(),
        }
    }

    /// The node's address for Ceph (monitors, OSDs): the router address of
    /// the Ceph networks' IP version.
    pub fn ceph_addr(&self, idx: NodeIdx) -> IpAddr {
        if self.ceph_ipv6() {
            IpAddr::V6(self.router_ip6s[idx])
        } else {
            IpAddr::V4(self.router_ips[idx])
        }
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
