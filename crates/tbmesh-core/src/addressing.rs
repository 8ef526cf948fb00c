//! Addresses derived from the spec: router /32 per node, /31 per link
//! (static mode), and the IS-IS NET of each router.

use crate::net::{Ipv4Net, Ipv6Net};
use std::collections::BTreeSet;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Router addresses for every node, in node order: the explicit ones, and
/// for nodes without one the lowest free host address of `prefix`, taken in
/// node order. Addresses claimed explicitly by any node are never handed
/// out, so appending a node leaves every earlier allocation unchanged.
///
/// Returns `None` when the prefix has no room left (validation reports it).
pub fn allocate_router_ips(
    prefix: Ipv4Net,
    explicit: &[Option<Ipv4Addr>],
) -> Option<Vec<Ipv4Addr>> {
    allocate(prefix.hosts(), explicit)
}

/// `explicit`, with each `None` the next of `hosts` no node claims.
fn allocate<A: Ord + Copy>(
    hosts: impl Iterator<Item = A>,
    explicit: &[Option<A>],
) -> Option<Vec<A>> {
    let claimed: BTreeSet<A> = explicit.iter().flatten().copied().collect();
    let mut free = hosts.filter(|ip| !claimed.contains(ip));
    explicit
        .iter()
        .map(|ip| match ip {
            Some(ip) => Some(*ip),
            None => free.next(),
        })
        .collect()
}

/// IPv6 router addresses (dual stack), by the rule of
/// [`allocate_router_ips`]: explicit ones kept, the others the lowest free
/// addresses of `prefix` (after the subnet-router anycast `::`), in node order.
pub fn allocate_router_ip6s(
    prefix: Ipv6Net,
    explicit: &[Option<Ipv6Addr>],
) -> Option<Vec<Ipv6Addr>> {
    allocate(prefix.hosts(), explicit)
}

/// The /31 of link `i` in static mode: `(a end, b end)`, carved from
/// `link_prefix` in link order (stable when links are appended).
pub fn link_net(link_prefix: Ipv4Net, i: usize) -> Option<(Ipv4Net, Ipv4Net)> {
    let base = u64::from(u32::from(link_prefix.network()));
    let offset = 2 * i as u64;
    if offset + 1 >= link_prefix.size() {
        return None;
    }
    let a = u32::try_from(base + offset).ok()?;
    let net = |ip: u32| Ipv4Net {
        addr: Ipv4Addr::from(ip),
        len: 31,
    };
    Some((net(a), net(a + 1)))
}

/// Number of /31s that fit in a prefix.
pub fn link_capacity(link_prefix: Ipv4Net) -> u64 {
    link_prefix.size() / 2
}

/// IS-IS network entity title for a router id: `49.0001.<system id>.00`,
/// where the system id is the four octets zero-padded to three digits and
/// regrouped in fours (10.100.0.12 → `0101.0000.0012`).
pub fn net_for(router_ip: Ipv4Addr) -> String {
    let digits: String = router_ip
        .octets()
        .iter()
        .map(|o| format!("{o:03}"))
        .collect();
    format!(
        "49.0001.{}.{}.{}.00",
        &digits[0..4],
        &digits[4..8],
        &digits[8..12]
    )
}

/// The NET of an IPv6-only router: the system id is the last three 16-bit
/// groups of its address in hex (fd00:100::12 → `0000.0000.0012`).
pub fn net_for6(router_ip: Ipv6Addr) -> String {
    let g = router_ip.segments();
    format!("49.0001.{:04x}.{:04x}.{:04x}.00", g[5], g[6], g[7])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn net_of_an_ipv6_only_router_is_its_last_three_groups() {
        assert_eq!(
            net_for6("fd00:100::1".parse().unwrap()),
            "49.0001.0000.0000.0001.00"
        );
        assert_eq!(
            net_for6("fd00:100::a:bc:12".parse().unwrap()),
            "49.0001.000a.00bc.0012.00"
        );
    }

    #[test]
    fn net_test_vectors_from_formats_md() {
        assert_eq!(
            net_for(Ipv4Addr::new(10, 100, 0, 12)),
            "49.0001.0101.0000.0012.00"
        );
        assert_eq!(
            net_for(Ipv4Addr::new(192, 168, 2, 8)),
            "49.0001.1921.6800.2008.00"
        );
    }

    #[test]
    fn allocation_skips_explicit_addresses() {
        let p: Ipv4Net = "10.100.0.0/24".parse().expect("valid");
        let ips = allocate_router_ips(p, &[None, Some(Ipv4Addr::new(10, 100, 0, 1)), None])
            .expect("room");
        assert_eq!(
            ips,
            vec![
                Ipv4Addr::new(10, 100, 0, 2),
                Ipv4Addr::new(10, 100, 0, 1),
                Ipv4Addr::new(10, 100, 0, 3)
            ]
        );
    }

    #[test]
    fn allocation_runs_out() {
        let p: Ipv4Net = "10.100.0.0/30".parse().expect("valid");
        assert!(allocate_router_ips(p, &[None, None]).is_some());
        assert!(allocate_router_ips(p, &[None, None, None]).is_none());
    }

    #[test]
    fn link_nets_are_consecutive_31s() {
        let p: Ipv4Net = "10.100.1.0/24".parse().expect("valid");
        let (a, b) = link_net(p, 2).expect("room");
        assert_eq!(a.to_string(), "10.100.1.4/31");
        assert_eq!(b.to_string(), "10.100.1.5/31");
        assert!(link_net(p, 127).is_some());
        assert!(link_net(p, 128).is_none());
    }
}
