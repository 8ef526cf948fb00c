//! What the spec expects of every node, shared by the probe script and
//! the evaluation.

use crate::spec::FabricMode;
use crate::Cluster;

/// Units that must be enabled for the mesh to come back after a boot.
pub fn boot_units(c: &Cluster) -> Vec<&'static str> {
    match c.spec.fabric.mode.value {
        // PVE's SDN fabrics and tbmesh's frr.conf both need FRR at boot.
        FabricMode::PveSdn | FabricMode::Frr => vec!["tbmesh-links.service", "frr.service"],
        FabricMode::Static => vec!["tbmesh-links.service"],
    }
}

/// The largest TTL worth probing: the longest loop-free path.
pub(crate) fn max_ttl(c: &Cluster) -> u8 {
    u8::try_from(c.nodes().len().saturating_sub(1).max(1)).unwrap_or(u8::MAX)
}

/// The payload size of a ping that fills the MTU exactly (IPv4 + ICMP
/// headers are 28 bytes).
pub fn full_size(mtu: u32) -> u32 {
    mtu.saturating_sub(28)
}

/// The same for IPv6 (IPv6 + ICMPv6 headers are 48 bytes).
pub fn full_size6(mtu: u32) -> u32 {
    mtu.saturating_sub(48)
}
