//! Reachability: DF pings at full MTU and hop counts.

use super::context::{Ctx, LinkState};
use crate::spec::FabricMode;
use crate::topology::{LinkIdx, NodeIdx};
use crate::verify::expect::{full_size, full_size6, max_ttl};
use crate::verify::report::{CheckKind, Report};
use crate::verify::Ping;
use crate::Cluster;
use std::net::Ipv4Addr;

pub(crate) fn check_pings(x: &Ctx, i: NodeIdx, r: &mut Report) {
    let (c, p) = (x.c, x.seen[i].probes);
    let node = c.node_name(i);
    let mtu = c.spec.fabric.mtu.value;
    for (j, ip) in c.router_ips.iter().enumerate() {
        if j != i {
            let subject = format!("{} {ip}", c.node_name(j));
            let (check, expected, found) =
                df_check(full_size(mtu), mtu, p.mtu.get(ip), p.over.get(ip));
            r.push(CheckKind::Ping, node, subject, check, expected, found);
        }
    }
    // Dual stack: the same between the IPv6 router addresses.
    for (j, ip6) in c.router_ip6s.iter().enumerate() {
        if j != i {
            let subject = format!("{} {ip6}", c.node_name(j));
            let (check, expected, found) =
                df_check(full_size6(mtu), mtu, p.mtu6.get(ip6), p.over6.get(ip6));
            r.push(CheckKind::Ping, node, subject, check, expected, found);
        }
    }
}

/// A DF ping of `size` bytes must be answered and one of `size + 1` not:
/// ((ok, detail), expected, found).
fn df_check(
    size: u32,
    mtu: u32,
    full: Option<&Ping>,
    over: Option<&Ping>,
) -> ((bool, String), String, String) {
    let expected = format!("{size} B answered, {} B refused", size + 1);
    let (ok, detail, found) = match (full, over) {
        (None, _) => (false, "not probed".to_string(), "nothing".to_string()),
        (Some(m), _) if !m.answered() => (
            false,
            format!("no answer to {size} B with DF: {}", m.failure()),
            m.failure(),
        ),
        (Some(_), Some(o)) if o.answered() => (
            false,
            format!(
                "{} B with DF answered too: the path's MTU is above the fabric's {mtu}",
                size + 1
            ),
            format!("{size} B answered, {} B answered", size + 1),
        ),
        (Some(_), _) => (
            true,
            format!("{size} B with DF answered, {} B refused", size + 1),
            expected.clone(),
        ),
    };
    ((ok, detail), expected, found)
}

/// Name an address: the node whose router or link address it is.
fn who(c: &Cluster, addr: &str) -> String {
    node_of(c, addr).map_or_else(|| addr.to_string(), |n| c.node_name(n).to_string())
}

/// The node an address belongs to (its router or a link address).
fn node_of(c: &Cluster, addr: &str) -> Option<NodeIdx> {
    let ip = addr.parse::<Ipv4Addr>().ok()?;
    if let Some(n) = c.router_ips.iter().position(|r| *r == ip) {
        return Some(n);
    }
    c.link_nets.iter().enumerate().find_map(|(li, (a, b))| {
        let l = &c.topology.links[li];
        (a.addr == ip)
            .then_some(l.a.0)
            .or((b.addr == ip).then_some(l.b.0))
    })
}

/// The routers between `i` and `j`, by following each node's route to `j`
/// (`ip route get`) from node to node. `None` when a route is missing,
/// leads outside the mesh, or loops.
fn routed_via(x: &Ctx, i: NodeIdx, j: NodeIdx) -> Option<Vec<NodeIdx>> {
    let dst = x.c.router_ips[j];
    let mut via = vec![];
    let mut cur = i;
    for _ in 0..x.c.nodes().len() {
        let route = x.seen.get(cur)?.probes.routes.get(&dst)?.as_ref().ok()?;
        let next = match &route.gateway {
            Some(gw) => node_of(x.c, gw)?,
            None => j, // on-link
        };
        if next == j {
            return Some(via);
        }
        if next == i || via.contains(&next) {
            return None;
        }
        via.push(next);
        cur = next;
    }
    None
}

/// Hops measured by TTL-limited pings (the smallest TTL answered), and the
/// routers in between: from the routing tables when they agree with the
/// measured count, else those that said "time to live exceeded" (ICMP
/// errors are rate-limited, so that list may have gaps).
fn measured_hops(x: &Ctx, i: NodeIdx, j: NodeIdx) -> (Option<usize>, Vec<String>) {
    let c = x.c;
    let Some(probes) = x.seen[i].probes.ttl.get(&c.router_ips[j]) else {
        return (None, vec![]);
    };
    let hops = probes
        .iter()
        .find(|(_, p)| p.answered())
        .map(|(t, _)| usize::from(*t));
    if let (Some(h), Some(via)) = (hops, routed_via(x, i, j)) {
        if via.len() + 1 == h {
            return (
                hops,
                via.iter().map(|&n| c.node_name(n).to_string()).collect(),
            );
        }
    }
    let limit = hops.unwrap_or(usize::MAX);
    let via = probes
        .iter()
        .filter(|(t, _)| usize::from(**t) < limit)
        .filter_map(|(_, p)| p.errors.first())
        .filter(|e| e.message.contains("Time to live exceeded"))
        .map(|e| who(c, &e.from))
        .collect();
    (hops, via)
}

fn hops_text(h: usize, via: &[String]) -> String {
    let unit = if h == 1 { "hop" } else { "hops" };
    if via.is_empty() {
        format!("{h} {unit}")
    } else {
        format!("{h} {unit} via {}", via.join(", "))
    }
}

pub(crate) fn check_hops(x: &Ctx, i: NodeIdx, r: &mut Report) {
    let (c, links) = (x.c, &x.links);
    let node = c.node_name(i);
    let planned = c.topology.routes();
    let reroutes = c.spec.fabric.mode.value != FabricMode::Static;
    let unusable: Vec<LinkIdx> = links
        .iter()
        .enumerate()
        .filter(|(_, s)| **s != LinkState::Usable)
        .map(|(li, _)| li)
        .collect();
    let now = c.topology.routes_without(&unusable);
    for (j, ip) in c.router_ips.iter().enumerate() {
        if j == i {
            continue;
        }
        let subject = format!("{} {ip}", c.node_name(j));
        let plan = planned.hops(i, j);
        // Links on the planned path that can't carry traffic now.
        let broken: Vec<&str> = planned
            .path(i, j)
            .as_ref()
            .map(|path| {
                path.windows(2)
                    .filter_map(|w| {
                        unusable.iter().find(|&&li| {
                            let l = &c.topology.links[li];
                            (l.a.0 == w[0] && l.b.0 == w[1]) || (l.a.0 == w[1] && l.b.0 == w[0])
                        })
                    })
                    .filter_map(|&li| match &links[li] {
                        LinkState::Down(why) | LinkState::NoAdjacency(why) => Some(why.as_str()),
                        LinkState::Usable => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        // With OpenFabric, traffic goes around what's broken; static routes don't.
        let expect = if reroutes { now.hops(i, j) } else { plan };
        let (found, via) = measured_hops(x, i, j);
        let why = if broken.is_empty() {
            String::new()
        } else {
            format!(": {}", broken.join(", "))
        };
        let planned_text = plan.map_or("unreachable".to_string(), |h| h.to_string());
        let expected = expect.map_or("unreachable".to_string(), |h| h.to_string());
        let found_text = found.map_or_else(|| "no answer".to_string(), |h| hops_text(h, &via));
        let (ok, detail) = match (expect, found) {
            (Some(e), Some(f)) if e == f => {
                if Some(e) == plan {
                    (true, found_text.clone())
                } else {
                    (true, format!("{found_text} (planned {planned_text}{why})"))
                }
            }
            (None, _) => (
                false,
                format!("unreachable: the mesh is split (planned {planned_text}{why})"),
            ),
            (Some(e), Some(_)) => (
                false,
                format!("{found_text}, expected {e} (planned {planned_text}{why})"),
            ),
            (Some(e), None) => (
                false,
                format!(
                    "no answer within TTL {}, expected {e} (planned {planned_text}{why})",
                    max_ttl(c)
                ),
            ),
        };
        r.push(
            CheckKind::Hops,
            node,
            subject,
            (ok, detail),
            expected,
            found_text,
        );
    }
}
