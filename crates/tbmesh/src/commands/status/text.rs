//! `tbmesh status` for people: a ports table (with each port's adjacency
//! and BFD state), the routes' next hops, then Ceph in a few lines.

use crate::printer::Table;
use tbmesh_core::status::{CephSummary, NodeStatus, PortStatus, Status};

pub fn render(s: &Status, secs: f64) -> String {
    let mut out = ports(&s.nodes);
    out.push_str(&routes(&s.nodes));
    for n in &s.nodes {
        if let Some(e) = &n.error {
            out.push_str(&format!("{}: unreachable: {e}\n", n.node));
        }
        if let Some(e) = &n.frr_error {
            out.push_str(&format!("{}: FRR: {e}\n", n.node));
        }
    }
    if let Some(c) = &s.ceph {
        out.push_str(&ceph(c));
    }
    if let Some(e) = &s.ceph_error {
        out.push_str(&format!("ceph: {e}\n"));
    }
    out.push_str(&format!(
        "{} node(s), {} answered ({secs:.2} s)\n",
        s.nodes.len(),
        s.nodes.iter().filter(|n| n.reachable).count()
    ));
    out
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}

fn carrier(p: &PortStatus) -> &'static str {
    match (p.present, p.carrier) {
        (false, _) => "absent",
        (true, Some(true)) => "up",
        (true, Some(false)) => "DOWN",
        // An administratively down port has no carrier file to read.
        (true, None) => "DOWN(admin)",
    }
}

fn pair(a: Option<u64>, b: Option<u64>) -> String {
    format!("{}/{}", opt(a), opt(b))
}

fn ports(nodes: &[NodeStatus]) -> String {
    let mut t = Table::new([
        "NODE",
        "PORT",
        "PEER",
        "CARRIER",
        "SPEED",
        "MTU",
        "FLAPS",
        "ERR RX/TX",
        "DROP RX/TX",
        "ADJ",
        "BFD",
    ]);
    for n in nodes.iter().filter(|n| n.reachable) {
        for p in &n.ports {
            let adj = n.adjacencies.as_ref().map(|a| {
                a.iter()
                    .find(|a| a.interface == p.name)
                    .map_or("none".to_string(), |a| format!("{} {}", a.system, a.state))
            });
            let bfd = n.bfd.as_ref().map(|b| {
                b.iter()
                    .find(|b| b.interface.as_deref() == Some(&p.name))
                    .map_or("none".to_string(), |b| b.status.clone())
            });
            t.row([
                n.node.clone(),
                p.name.clone(),
                opt(p.peer.clone()),
                carrier(p).to_string(),
                p.speed_mbps
                    .map_or("-".to_string(), |s| format!("{}G", s as f64 / 1000.0)),
                opt(p.mtu),
                opt(p.carrier_changes),
                pair(p.rx_errors, p.tx_errors),
                pair(p.rx_dropped, p.tx_dropped),
                opt(adj),
                opt(bfd),
            ]);
        }
    }
    t.render()
}

fn routes(nodes: &[NodeStatus]) -> String {
    let mut t = Table::new(["NODE", "TO", "ROUTER IP", "PROTO", "NEXT HOPS"]);
    for n in nodes.iter().filter(|n| n.reachable) {
        for r in &n.routes {
            let hops: Vec<String> = r
                .next_hops
                .iter()
                .map(|h| match (&h.dev, &h.via) {
                    (Some(d), Some(v)) => format!("{d} via {v}"),
                    (Some(d), None) => d.clone(),
                    (None, Some(v)) => format!("via {v}"),
                    (None, None) => "?".to_string(),
                })
                .collect();
            t.row([
                n.node.clone(),
                r.to.clone(),
                r.ip.clone(),
                opt(r.protocol.clone()),
                if hops.is_empty() {
                    "NO ROUTE".to_string()
                } else {
                    hops.join(", ")
                },
            ]);
        }
    }
    format!("\n{}", t.render())
}

fn ceph(c: &CephSummary) -> String {
    let states: Vec<String> = c
        .pg_states
        .iter()
        .map(|(s, n)| format!("{n} {s}"))
        .collect();
    let mut s = format!(
        "\nceph (as {} sees it): {}\n  mons {}/{} in quorum, osds {} up / {} in of {}, pgs {}: {}\n",
        c.node,
        c.health,
        c.mons_in_quorum,
        c.mons,
        c.osds_up,
        c.osds_in,
        c.osds,
        c.pgs,
        if states.is_empty() {
            "-".to_string()
        } else {
            states.join(", ")
        }
    );
    for (code, summary) in &c.checks {
        s.push_str(&format!("  {code}: {summary}\n"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use tbmesh_core::status::parse_node;

    const CAPTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tbmesh-core/src/status/lab");

    fn lab_status(state: &str) -> Status {
        let src = tbmesh_core::Source::new(
            "tbmesh.toml",
            include_str!("../../../../tbmesh-core/src/verify/lab/tbmesh.toml"),
        );
        let Ok((c, _)) = tbmesh_core::spec::load(&src) else {
            panic!("the lab spec loads")
        };
        let nodes = (0..3)
            .map(|i| {
                let f = format!("{CAPTURES}/{state}/{}.txt", c.node_name(i));
                let out = std::fs::read_to_string(&f).unwrap_or_else(|e| panic!("{f}: {e}"));
                parse_node(&c, i, &out)
            })
            .collect();
        Status {
            cluster: "lab".into(),
            nodes,
            ceph: Some(CephSummary {
                node: "n2".into(),
                health: "HEALTH_OK".into(),
                checks: vec![],
                mons: 3,
                mons_in_quorum: 3,
                osds: 6,
                osds_up: 6,
                osds_in: 6,
                pgs: 32,
                pg_states: BTreeMap::from([("active+clean".to_string(), 32)]),
            }),
            ceph_error: None,
        }
    }

    fn row<'a>(text: &'a str, start: &str) -> &'a str {
        text.lines()
            .find(|l| {
                l.split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .starts_with(start)
            })
            .unwrap_or_else(|| panic!("no line {start:?} in\n{text}"))
    }

    #[test]
    fn one_screen_shows_ports_with_adjacency_and_bfd_routes_and_ceph() {
        let t = render(&lab_status("ok"), 0.41);
        assert_eq!(
            row(&t, "n2 en05"),
            "n2    en05  n3:en05  up       10G    65520  2      0/0        0/0         n3 Up  up"
        );
        assert!(row(&t, "n3 n4").ends_with("en06 via 10.100.0.14"));
        assert!(t.contains("ceph (as n2 sees it): HEALTH_OK\n  mons 3/3 in quorum, osds 6 up / 6 in of 6, pgs 32: 32 active+clean\n"), "{t}");
        assert!(t.ends_with("3 node(s), 3 answered (0.41 s)\n"), "{t}");
        assert!(t.lines().count() < 25, "one screen:\n{t}");
    }

    #[test]
    fn a_cut_cable_and_an_unreachable_node_are_plain_to_see() {
        let mut s = lab_status("cut");
        let t = render(&s, 1.0);
        for end in ["n2 en05 n3:en05 DOWN", "n3 en05 n2:en05 DOWN"] {
            let r = row(&t, end);
            assert!(r.ends_with("none   none"), "{r}");
        }
        assert!(row(&t, "n2 n3").ends_with("en06 via 10.100.0.14"));
        s.nodes[2] = NodeStatus {
            node: "n4".into(),
            reachable: false,
            error: Some("n4 (10.11.11.14): Connection timed out".into()),
            ..Default::default()
        };
        let t = render(&s, 1.0);
        assert!(t.contains("n4: unreachable: n4 (10.11.11.14): Connection timed out\n"));
        assert!(!t.lines().any(|l| l.starts_with("n4 ")), "{t}");
        assert!(t.ends_with("3 node(s), 2 answered (1.00 s)\n"));
    }
}
