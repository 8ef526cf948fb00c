//! Ports: existence, carrier, MTU, addresses, and who is on the other end.

use super::context::{carrier, Ctx};
use crate::render::expected_addresses;
use crate::topology::NodeIdx;
use crate::verify::report::{CheckKind, Report};

pub(crate) fn check_ports(x: &Ctx, i: NodeIdx, r: &mut Report) {
    let (c, seen) = (x.c, x.seen);
    let node = c.node_name(i);
    let facts = seen[i].facts;
    let mtu = c.spec.fabric.mtu.value;
    let expected = expected_addresses(c, i);
    for (port, addrs) in &expected {
        let cable = c
            .peer(i, port)
            .map(|p| format!("cable {}", c.spec.fabric.links[p.link]))
            .unwrap_or_else(|| "no cable declared".to_string());
        let Some(ifc) = facts.interface(port) else {
            r.push(
                CheckKind::Port,
                node,
                port,
                (false, format!("{port} does not exist ({cable})")),
                "up, carrier",
                "absent",
            );
            continue;
        };
        let found = match (ifc.up, ifc.carrier) {
            (true, true) => "up, carrier",
            (true, false) => "up, no carrier",
            (false, _) => "down",
        };
        let detail = match (ifc.up, ifc.carrier) {
            (true, true) => format!("up, carrier ({cable})"),
            (true, false) => format!("no carrier: {cable} is unplugged or its far end is off"),
            (false, _) => {
                format!("{port} is administratively down (`ip link set {port} up`, or ifreload -a)")
            }
        };
        r.push(
            CheckKind::Port,
            node,
            port,
            (ifc.up && ifc.carrier, detail),
            "up, carrier",
            found,
        );
        r.push(
            CheckKind::Mtu,
            node,
            port,
            (
                ifc.mtu == mtu,
                if ifc.mtu == mtu {
                    format!("{mtu}")
                } else {
                    format!("MTU {} but the fabric's is {mtu}", ifc.mtu)
                },
            ),
            mtu.to_string(),
            ifc.mtu.to_string(),
        );
        let have: Vec<String> = ifc.addrs.iter().map(|a| a.to_string()).collect();
        // IPv6-only ports carry link-local addresses only: nothing to check.
        if !addrs.is_empty() {
            address_check(r, node, port, addrs, &have);
        }
    }
    let router = c.spec.fabric.router_ifname();
    // IPv6-only: the facts list IPv4 addresses only; the DF ping6 matrix
    // (from and to each /128) is what shows the IPv6 router addresses.
    let Some(router_ip) = c.router_ips.get(i) else {
        return;
    };
    let want = vec![format!("{router_ip}/32")];
    match facts.interface(&router) {
        Some(ifc) => {
            let have: Vec<String> = ifc.addrs.iter().map(|a| a.to_string()).collect();
            address_check(r, node, &router, &want, &have);
        }
        None => r.push(
            CheckKind::Address,
            node,
            &router,
            (
                false,
                format!("{router} does not exist: the router address has no home"),
            ),
            want.join(" "),
            "absent",
        ),
    }
}

fn address_check(r: &mut Report, node: &str, ifname: &str, want: &[String], have: &[String]) {
    let missing: Vec<&String> = want.iter().filter(|a| !have.contains(a)).collect();
    let detail = if missing.is_empty() {
        want.join(" ")
    } else {
        format!(
            "missing {}",
            missing
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        )
    };
    r.push(
        CheckKind::Address,
        node,
        ifname,
        (missing.is_empty(), detail),
        want.join(" "),
        if have.is_empty() {
            "none".to_string()
        } else {
            have.join(" ")
        },
    );
}

pub(crate) fn check_peers(x: &Ctx, i: NodeIdx, r: &mut Report) {
    let (c, seen, macs) = (x.c, x.seen, &x.macs);
    let node = c.node_name(i);
    for p in &c.nodes()[i].ports {
        let port = p.name.value.as_str();
        if !carrier(seen[i].facts, port) {
            continue; // the port check already failed
        }
        let declared = c.peer(i, port);
        let want = declared
            .as_ref()
            .map(|d| format!("{}:{}", c.node_name(d.node), d.port))
            .unwrap_or_else(|| "none".to_string());
        let nb = seen[i].probes.neighbours.get(port);
        let answers: Vec<(String, Option<String>)> = nb
            .map(|nb| {
                nb.answered
                    .iter()
                    .zip(nb.macs.iter().chain(std::iter::repeat(&None)))
                    .map(|(a, m)| (a.clone(), m.clone()))
                    .collect()
            })
            .unwrap_or_default();
        // Each answer, named: `n3:en05` when its MAC is a known interface.
        let named: Vec<String> = answers
            .iter()
            .map(|(addr, mac)| match mac {
                Some(m) => match macs.get(m) {
                    Some(&(n, ifc)) => format!("{}:{ifc}", c.node_name(n)),
                    None => format!("unknown host {m} ({addr})"),
                },
                None => format!("{addr} (MAC not in the neighbour table)"),
            })
            .collect();
        let here = format!("{node}:{port}");
        let (ok, detail) = match (&declared, named.is_empty()) {
            (None, true) => continue,
            (None, false) => (
                false,
                format!(
                    "{here} is cabled to {}, but the spec declares no cable on it",
                    named.join(", ")
                ),
            ),
            (Some(_), true) => (
                false,
                match nb.and_then(|nb| nb.error.as_deref()) {
                    Some(e) => format!("no answer on {port} ({e}); the spec says {want}"),
                    None => format!(
                        "nobody answered on {port} (IPv6 all-nodes ping): the port receives nothing; the spec says {want}"
                    ),
                },
            ),
            (Some(_), false) => {
                if named.contains(&want) {
                    (true, format!("{here} -- {want}"))
                } else {
                    (
                        false,
                        format!(
                            "{here} is cabled to {}, but the spec says {want}",
                            named.join(", ")
                        ),
                    )
                }
            }
        };
        let found = if named.is_empty() {
            "none".to_string()
        } else {
            named.join(", ")
        };
        r.push(CheckKind::Peer, node, port, (ok, detail), want, found);
    }
}
