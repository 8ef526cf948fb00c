//! Everything one node's probe script reported, parsed.

use super::frr::{parse_bfd_peers, parse_openfabric_neighbors, Adjacency, BfdPeer};
use super::ping::{parse_ping, Ping};
use super::sections::{first_line, sections};
use super::system::{parse_neigh, parse_route_get, parse_unit_show, Route, UnitState};
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Who answered the all-nodes multicast on a port, with their MACs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PortNeighbours {
    /// Link-local addresses that answered.
    pub answered: Vec<String>,
    /// The MAC of each answer, when the neighbour table has it.
    pub macs: Vec<Option<String>>,
    /// ping's own complaint, if any (no such interface, ...).
    pub error: Option<String>,
}

/// Everything one node's probe script reported.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Probes {
    /// Per port.
    pub neighbours: BTreeMap<String, PortNeighbours>,
    /// Per router IP: the DF ping that fills the MTU.
    pub mtu: BTreeMap<Ipv4Addr, Ping>,
    /// Per router IP: the DF ping one byte over the MTU.
    pub over: BTreeMap<Ipv4Addr, Ping>,
    /// Dual stack, per IPv6 router address: the DF ping that fills the MTU.
    pub mtu6: BTreeMap<Ipv6Addr, Ping>,
    /// Dual stack, per IPv6 router address: one byte over the MTU.
    pub over6: BTreeMap<Ipv6Addr, Ping>,
    /// Per router IP and TTL.
    pub ttl: BTreeMap<Ipv4Addr, BTreeMap<u8, Ping>>,
    /// Per router IP: the route to it (or why there is none).
    pub routes: BTreeMap<Ipv4Addr, Result<Route, String>>,
    /// `None`: not asked (static mode); `Err`: vtysh failed.
    pub openfabric: Option<Result<Vec<Adjacency>, String>>,
    /// `None`: not asked (static mode, `bfd = false`); `Err`: vtysh failed.
    pub bfd: Option<Result<Vec<BfdPeer>, String>>,
    pub units: BTreeMap<String, UnitState>,
}

/// Parse the output of [`probe_script`].
pub fn parse_probes(out: &str) -> Result<Probes, String> {
    let mut p = Probes::default();
    let secs = sections(out);
    if secs.is_empty() {
        return Err(format!(
            "not the output of tbmesh's probe script: {:?}",
            first_line(out)
        ));
    }
    let ip = |s: &str| -> Result<Ipv4Addr, String> {
        s.parse()
            .map_err(|_| format!("probe output: {s:?} is not an IPv4 address"))
    };
    for s in secs {
        let words: Vec<&str> = s.head.split_whitespace().collect();
        match words.as_slice() {
            ["nd", port] => {
                let ping = parse_ping(&s.body);
                let e = p.neighbours.entry(port.to_string()).or_default();
                e.answered = ping.replies.iter().map(|r| r.from.clone()).collect();
                e.error = ping.local_errors.first().cloned();
            }
            ["neigh", port] => {
                let table = parse_neigh(&s.body)?;
                let e = p.neighbours.entry(port.to_string()).or_default();
                e.macs = e
                    .answered
                    .iter()
                    .map(|a| {
                        table
                            .iter()
                            .find(|n| &n.dst == a)
                            .and_then(|n| n.lladdr.as_ref())
                            .map(|m| m.to_ascii_lowercase())
                    })
                    .collect();
            }
            ["mtu", to] => {
                let mut ping = parse_ping(&s.body);
                ping.status = s.status;
                p.mtu.insert(ip(to)?, ping);
            }
            ["over", to] => {
                let mut ping = parse_ping(&s.body);
                ping.status = s.status;
                p.over.insert(ip(to)?, ping);
            }
            [head @ ("mtu6" | "over6"), to] => {
                let mut ping = parse_ping(&s.body);
                ping.status = s.status;
                let to: Ipv6Addr = to
                    .parse()
                    .map_err(|_| format!("probe output: {to:?} is not an IPv6 address"))?;
                if *head == "mtu6" {
                    p.mtu6.insert(to, ping);
                } else {
                    p.over6.insert(to, ping);
                }
            }
            ["ttl", to, t] => {
                let mut ping = parse_ping(&s.body);
                ping.status = s.status;
                let t: u8 = t
                    .parse()
                    .map_err(|_| format!("probe output: bad TTL {t:?}"))?;
                p.ttl.entry(ip(to)?).or_default().insert(t, ping);
            }
            ["route", to] => {
                p.routes.insert(ip(to)?, parse_route_get(&s.body));
            }
            ["openfabric"] => {
                p.openfabric = Some(parse_openfabric_neighbors(&s.body));
            }
            ["bfd"] => {
                p.bfd = Some(parse_bfd_peers(&s.body));
            }
            ["unit", name] => {
                p.units.insert(name.to_string(), parse_unit_show(&s.body));
            }
            _ => {}
        }
    }
    Ok(p)
}
