use crate::diag::Span;
use crate::net::{IpNet, Ipv4Net, Ipv6Net, PciAddr};
use serde::Serialize;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::ops::Deref;

/// A value and the place in the spec it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sp<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Sp<T> {
    pub fn new(value: T, span: Span) -> Self {
        Sp { value, span }
    }
}

impl<T> Deref for Sp<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: fmt::Display> fmt::Display for Sp<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

impl<T: Serialize> Serialize for Sp<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(s)
    }
}

/// The whole spec, as written (defaults filled in), before cross-checks.
#[derive(Debug, Clone, Serialize)]
pub struct Spec {
    pub cluster: ClusterSection,
    pub ssh: SshSection,
    pub fabric: FabricSection,
    pub ceph: Option<CephSection>,
    pub nodes: Vec<NodeSpec>,
}

impl Spec {
    pub fn node(&self, name: &str) -> Option<&NodeSpec> {
        self.nodes.iter().find(|n| n.name.value == name)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ClusterSection {
    pub name: Sp<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SshSection {
    /// Login user; ssh's own config decides when absent.
    pub user: Option<String>,
    /// An ssh_config file passed to ssh with `-F` (relative to the spec's directory).
    pub config: Option<String>,
}

/// Who writes the routing, and how the mesh is addressed (DESIGN.md, "Routing modes").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FabricMode {
    /// Proxmox VE SDN fabrics, created through the API; PVE writes FRR.
    PveSdn,
    /// tbmesh writes frr.conf in the shape PVE generates.
    Frr,
    /// /31 per link and host routes; no failover.
    Static,
}

impl FabricMode {
    pub const NAMES: [&'static str; 3] = ["pve-sdn", "frr", "static"];

    pub fn as_str(self) -> &'static str {
        match self {
            FabricMode::PveSdn => "pve-sdn",
            FabricMode::Frr => "frr",
            FabricMode::Static => "static",
        }
    }
}

impl fmt::Display for FabricMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a node's router /32 lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RouterInterface {
    /// `dummy_<fabric>`, as Proxmox VE does (the default).
    Dummy,
    /// The loopback, for kernels without dummy interfaces (the container lab).
    Lo,
}

#[derive(Debug, Clone, Serialize)]
pub struct FabricSection {
    pub name: Sp<String>,
    pub mode: Sp<FabricMode>,
    /// The IPv4 prefix router addresses are taken from; `None` on an
    /// IPv6-only fabric (then `prefix6` is set).
    pub prefix: Option<Sp<Ipv4Net>>,
    /// Dual stack or IPv6-only: the IPv6 prefix router addresses are taken from
    /// (`prefix6`, or Proxmox's name `ip6_prefix`).
    pub prefix6: Option<Sp<Ipv6Net>>,
    pub mtu: Sp<u32>,
    pub hello_interval: Option<Sp<u32>>,
    pub hello_multiplier: Option<Sp<u32>>,
    pub csnp_interval: Option<Sp<u32>>,
    /// BFD on every fabric port (`openfabric bfd`, bfdd): a port that stops
    /// passing traffic in one direction is dropped in under a second.
    pub bfd: bool,
    /// BFD transmit and receive interval in ms (bfdd's `transmit-interval`
    /// / `receive-interval`); `None`: FRR's default, 300.
    pub bfd_interval: Option<Sp<u32>>,
    /// BFD detect multiplier; `None`: FRR's default, 3.
    pub bfd_multiplier: Option<Sp<u32>>,
    pub link_prefix: Option<Sp<Ipv4Net>>,
    pub router_interface: Sp<RouterInterface>,
    /// Driver matched by `.link` files of renamed ports, unless a port says otherwise.
    pub port_driver: Sp<String>,
    pub links: Vec<LinkSpec>,
    /// Span of the `links` key, for errors about the cabling as a whole.
    #[serde(skip)]
    pub links_span: Span,
}

impl FabricSection {
    /// The hello multiplier of `port`: its own, else the fabric's.
    pub fn multiplier_of(&self, port: &PortSpec) -> Option<u32> {
        port.hello_multiplier
            .as_ref()
            .or(self.hello_multiplier.as_ref())
            .map(|m| m.value)
    }

    /// The fabric's main prefix: the IPv4 one, or the IPv6 one on an
    /// IPv6-only fabric (what Ceph's "fabric" networks mean).
    pub fn main_prefix(&self) -> IpNet {
        match (&self.prefix, &self.prefix6) {
            (Some(p), _) => IpNet::V4(p.value.trunc()),
            (None, Some(p)) => IpNet::V6(p.value.trunc()),
            (None, None) => unreachable!("the parser refuses a fabric without a prefix"),
        }
    }

    /// The main prefix as written in the spec (for summaries): `prefix`, or
    /// `prefix6` on an IPv6-only fabric.
    pub fn prefix_text(&self) -> String {
        match (&self.prefix, &self.prefix6) {
            (Some(p), _) => p.value.to_string(),
            (None, Some(p)) => p.value.to_string(),
            (None, None) => String::new(),
        }
    }

    /// IPv6-only: `prefix6` and no IPv4 `prefix`.
    pub fn ipv6_only(&self) -> bool {
        self.prefix.is_none()
    }

    /// The interface that carries the router /32.
    pub fn router_ifname(&self) -> String {
        match self.router_interface.value {
            RouterInterface::Dummy => format!("dummy_{}", self.name.value),
            RouterInterface::Lo => "lo".to_string(),
        }
    }
}

/// One end of a cable: `node:port`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct PortRef {
    pub node: String,
    pub port: String,
}

impl fmt::Display for PortRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.node, self.port)
    }
}

/// One cable, `"n2:en05 -- n3:en05"`.
#[derive(Debug, Clone, Serialize)]
pub struct LinkSpec {
    pub a: PortRef,
    pub b: PortRef,
    #[serde(skip)]
    pub span: Span,
}

impl fmt::Display for LinkSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} -- {}", self.a, self.b)
    }
}

/// A Ceph network: the fabric's prefix, or a CIDR of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CephNetwork {
    Fabric,
    Cidr(IpNet),
}

impl CephNetwork {
    /// The network this means on `fabric`: "fabric" is the fabric's IPv4
    /// prefix, or its IPv6 prefix when the fabric is IPv6-only.
    pub fn resolve(&self, fabric: &FabricSection) -> IpNet {
        match self {
            CephNetwork::Fabric => fabric.main_prefix(),
            CephNetwork::Cidr(net) => net.trunc(),
        }
    }
}

impl Serialize for CephNetwork {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            CephNetwork::Fabric => s.serialize_str("fabric"),
            CephNetwork::Cidr(net) => net.serialize(s),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CephSection {
    pub public_network: Sp<CephNetwork>,
    pub cluster_network: Sp<CephNetwork>,
    pub osds_per_device: Sp<u32>,
    pub pool: Option<PoolSpec>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PoolSpec {
    pub name: Sp<String>,
    pub size: Sp<u32>,
    pub min_size: Sp<u32>,
    pub pve_storage: bool,
}

/// How tbmesh reaches a node: `host` or `host:port` (`addr` holds an IPv6
/// address without brackets; see `spec/host.rs` for the accepted forms).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Host {
    pub addr: String,
    pub port: Option<u16>,
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // An IPv6 address is bracketed, as in the spec.
        if self.addr.contains(':') {
            write!(f, "[{}]", self.addr)?;
        } else {
            f.write_str(&self.addr)?;
        }
        match self.port {
            Some(p) => write!(f, ":{p}"),
            None => Ok(()),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct NodeSpec {
    pub name: Sp<String>,
    pub host: Sp<Host>,
    pub router_ip: Option<Sp<Ipv4Addr>>,
    /// The node's IPv6 router address (`router_ip6`), with `fabric.prefix6`.
    pub router_ip6: Option<Sp<Ipv6Addr>>,
    pub ports: Vec<PortSpec>,
    pub osd_devices: Vec<Sp<String>>,
    /// Span of the `[[node]]` table, for errors about the node as a whole.
    #[serde(skip)]
    pub span: Span,
}

impl NodeSpec {
    pub fn port(&self, name: &str) -> Option<&PortSpec> {
        self.ports.iter().find(|p| p.name.value == name)
    }
}

/// A mesh port of a node.
#[derive(Debug, Clone, Serialize)]
pub struct PortSpec {
    pub name: Sp<String>,
    /// The controller's PCI address: the port is renamed to `name` by a
    /// `.link` file matching this path. `None`: it already carries `name`.
    pub pci: Option<PciAddr>,
    /// Driver the `.link` file matches (only meaningful with `pci`).
    pub driver: String,
    /// OpenFabric hello multiplier of this port (Proxmox keeps it per
    /// interface); `None`: the fabric's `hello_multiplier`.
    pub hello_multiplier: Option<Sp<u32>>,
}
