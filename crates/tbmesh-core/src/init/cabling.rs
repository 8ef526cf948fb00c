//! Which port is cabled to which, from what each port hears: the MACs in
//! its IPv6 neighbour table (or LLDP's port ids) matched against every
//! interface MAC of the given nodes. A cable is a port that hears exactly
//! one other node's candidate port, and is not contradicted by that port
//! hearing someone else. Anything else is reported with what to check.

use serde::Serialize;
use std::collections::BTreeMap;

/// One port of one node, as the cabling probe saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    pub node: usize,
    pub port: String,
    pub carrier: bool,
    /// MACs heard on the port (LLDP's when it reported any, else the
    /// neighbour table's).
    pub heard: Vec<String>,
}

/// An interface MAC of one of the nodes (every interface, not only the
/// candidates: to say what a port is cabled to when it is not one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    pub node: usize,
    pub iface: String,
    pub mac: String,
    /// Whether it is a candidate mesh port.
    pub candidate: bool,
    /// Its driver (or kind), for the hint.
    pub driver: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct End {
    pub node: usize,
    pub port: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub node: usize,
    pub port: String,
    pub message: String,
    pub hint: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Cabling {
    /// Each cable once, the end of the lower (node, port) first, sorted.
    pub links: Vec<(End, End)>,
    pub problems: Vec<Problem>,
}

impl Cabling {
    /// Whether a port is on a cable found.
    pub fn cabled(&self, node: usize, port: &str) -> bool {
        self.links
            .iter()
            .any(|(a, b)| [a, b].iter().any(|e| e.node == node && e.port == port))
    }
}

fn node_name(names: &[String], n: usize) -> &str {
    names.get(n).map_or("?", String::as_str)
}

/// What one port's answers say.
enum Verdict {
    To(End),
    /// Heard nothing (message, hint): a cable still, if the far end hears it.
    Silent(String, String),
    Odd(String, String),
}

/// `names` are the nodes' names, for messages.
pub fn infer(names: &[String], observed: &[Observed], known: &[Known]) -> Cabling {
    let by_mac: BTreeMap<&str, Vec<&Known>> = known.iter().fold(BTreeMap::new(), |mut m, k| {
        m.entry(k.mac.as_str()).or_default().push(k);
        m
    });
    let name = |n: usize| node_name(names, n);
    let mut verdicts: BTreeMap<End, Verdict> = BTreeMap::new();
    for o in observed {
        let me = End {
            node: o.node,
            port: o.port.clone(),
        };
        let v = verdict(o, &by_mac, names);
        verdicts.insert(me, v);
    }
    let mut out = Cabling::default();
    for (me, v) in &verdicts {
        match v {
            Verdict::Silent(message, hint) | Verdict::Odd(message, hint) => {
                out.problems.push(Problem {
                    node: me.node,
                    port: me.port.clone(),
                    message: message.clone(),
                    hint: hint.clone(),
                })
            }
            Verdict::To(other) => {
                // The other end agrees, or heard nothing (it answered us:
                // its table may just not hold our MAC yet; or it was not
                // probed). One that hears several machines does not agree.
                let back = verdicts.get(other);
                let agrees = match back {
                    Some(Verdict::To(b)) => b == me,
                    Some(Verdict::Silent(..)) | None => true,
                    Some(Verdict::Odd(..)) => false,
                };
                if !agrees {
                    let Some(Verdict::To(b)) = back else {
                        // Its own problem is reported on its line.
                        continue;
                    };
                    out.problems.push(Problem {
                        node: me.node,
                        port: me.port.clone(),
                        message: format!(
                            "hears {}:{}, but that port hears {}:{}",
                            name(other.node),
                            other.port,
                            name(b.node),
                            b.port
                        ),
                        hint: "a hub or switch between the nodes? Thunderbolt mesh cables go port to port; run init again after re-plugging".into(),
                    });
                    continue;
                }
                let pair = if *me < *other {
                    (me.clone(), other.clone())
                } else {
                    (other.clone(), me.clone())
                };
                if !out.links.contains(&pair) {
                    out.links.push(pair);
                }
            }
        }
    }
    out.links.sort();
    // A silent end of a cable found from its other side is no problem.
    let found = out.clone();
    out.problems.retain(|p| {
        let silent = matches!(
            verdicts.get(&End {
                node: p.node,
                port: p.port.clone()
            }),
            Some(Verdict::Silent(..))
        );
        !(silent && found.cabled(p.node, &p.port))
    });
    out
}

fn verdict(o: &Observed, by_mac: &BTreeMap<&str, Vec<&Known>>, names: &[String]) -> Verdict {
    let name = |n: usize| node_name(names, n);
    let here = format!("{}:{}", name(o.node), o.port);
    if o.heard.is_empty() {
        return if o.carrier {
            Verdict::Silent(
                "has a link, but nothing answered on it".into(),
                "is the other end one of the hosts given? Is IPv6 off there (net.ipv6.conf.*.disable_ipv6) or a firewall dropping ICMPv6? Give every node's host to init".into(),
            )
        } else {
            Verdict::Silent(
                "no link (no carrier)".into(),
                "not cabled, or the cable or the far end's port is down: check both plugs (a Thunderbolt port lists its peer in `boltctl list`)".into(),
            )
        };
    }
    let mut ends: Vec<&Known> = vec![];
    let mut foreign: Vec<&str> = vec![];
    for mac in &o.heard {
        match by_mac.get(mac.as_str()) {
            Some(ks) => ends.extend(ks.iter().copied()),
            None => foreign.push(mac),
        }
    }
    ends.sort_by(|a, b| (a.node, &a.iface).cmp(&(b.node, &b.iface)));
    ends.dedup_by(|a, b| a.node == b.node && a.iface == b.iface);
    if let Some(me) = ends.iter().find(|k| k.node == o.node) {
        return Verdict::Odd(
            format!("is cabled to its own node's {}", me.iface),
            format!(
                "a loop cable on {}: plug it into another node",
                name(o.node)
            ),
        );
    }
    let nodes: std::collections::BTreeSet<usize> = ends.iter().map(|k| k.node).collect();
    if nodes.len() > 1 || !foreign.is_empty() && !ends.is_empty() {
        let mut who: Vec<String> = ends
            .iter()
            .map(|k| format!("{}:{}", name(k.node), k.iface))
            .collect();
        who.extend(foreign.iter().map(|m| format!("unknown MAC {m}")));
        return Verdict::Odd(
            format!("hears several machines: {}", who.join(", ")),
            format!("{here} should reach exactly one other node's port: a switch, hub or bridge between them? Cable it port to port"),
        );
    }
    let Some(k) = ends.first() else {
        return Verdict::Odd(
            format!(
                "is cabled to a machine that is none of the given nodes (MAC {})",
                foreign.join(", ")
            ),
            "give that machine's host to init too, or unplug the cable".into(),
        );
    };
    if !k.candidate {
        return Verdict::Odd(
            format!(
                "is cabled to {}:{} (driver {}), which is not a candidate mesh port",
                name(k.node),
                k.iface,
                if k.driver.is_empty() {
                    "unknown"
                } else {
                    &k.driver
                }
            ),
            if k.driver.is_empty() {
                "plug the cable into one of that node's mesh ports".into()
            } else {
                format!(
                    "plug the cable into one of that node's mesh ports, or add --driver {} if that port is one",
                    k.driver
                )
            },
        );
    }
    Verdict::To(End {
        node: k.node,
        port: k.iface.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        vec!["n2".into(), "n3".into(), "n4".into()]
    }

    fn mac(node: usize, port: usize) -> String {
        format!("02:00:00:00:0{node}:0{port}")
    }

    /// Every node has en05 (port 5) and en06 (port 6), and a management
    /// NIC eth0 (port 0) that is not a candidate.
    fn known() -> Vec<Known> {
        let mut v = vec![];
        for n in 0..3 {
            for (p, iface, cand) in [(5, "en05", true), (6, "en06", true), (0, "eth0", false)] {
                v.push(Known {
                    node: n,
                    iface: iface.into(),
                    mac: mac(n, p),
                    candidate: cand,
                    driver: if cand { "thunderbolt-net" } else { "e1000e" }.into(),
                });
            }
        }
        v
    }

    fn obs(node: usize, port: &str, heard: &[String]) -> Observed {
        Observed {
            node,
            port: port.into(),
            carrier: !heard.is_empty(),
            heard: heard.to_vec(),
        }
    }

    fn end(node: usize, port: &str) -> End {
        End {
            node,
            port: port.into(),
        }
    }

    #[test]
    fn a_ring_is_found_from_either_side() {
        // n2:en06 -- n3:en05, n3:en06 -- n4:en05, n4:en06 -- n2:en05; n4
        // heard nothing on en05 yet (its table is empty): n3's side suffices.
        let o = vec![
            obs(0, "en05", &[mac(2, 6)]),
            obs(0, "en06", &[mac(1, 5)]),
            obs(1, "en05", &[mac(0, 6)]),
            obs(1, "en06", &[mac(2, 5)]),
            Observed {
                carrier: true,
                ..obs(2, "en05", &[])
            },
            obs(2, "en06", &[mac(0, 5)]),
        ];
        let c = infer(&names(), &o, &known());
        assert_eq!(
            c.links,
            vec![
                (end(0, "en05"), end(2, "en06")),
                (end(0, "en06"), end(1, "en05")),
                (end(1, "en06"), end(2, "en05")),
            ]
        );
        // The silent side is on a cable found from the other: no problem.
        assert!(c.problems.is_empty(), "{:?}", c.problems);
        assert!(c.cabled(2, "en05"));
    }

    #[test]
    fn odd_cabling_is_reported_with_what_to_check() {
        let o = vec![
            obs(0, "en05", &[]),                           // no carrier
            obs(0, "en06", &[mac(0, 5)]),                  // loop to itself
            obs(1, "en05", &[mac(0, 6), mac(2, 6)]),       // two nodes
            obs(1, "en06", &["0a:0b:0c:0d:0e:0f".into()]), // not a node
            obs(2, "en05", &[mac(1, 0)]),                  // n3's management NIC
        ];
        let c = infer(&names(), &o, &known());
        assert!(c.links.is_empty(), "{:?}", c.links);
        let msg = |n: usize, p: &str| {
            c.problems
                .iter()
                .find(|x| x.node == n && x.port == p)
                .map(|x| format!("{} / {}", x.message, x.hint))
                .unwrap_or_default()
        };
        assert!(msg(0, "en05").contains("no carrier"), "{}", msg(0, "en05"));
        assert!(msg(0, "en06").contains("its own node's en05"));
        assert!(msg(1, "en05").contains("several machines: n2:en06, n4:en06"));
        assert!(msg(1, "en06").contains("none of the given nodes (MAC 0a:0b:0c:0d:0e:0f)"));
        assert!(msg(2, "en05").contains("n3:eth0 (driver e1000e)"));
        assert!(msg(2, "en05").contains("--driver e1000e"));
    }

    #[test]
    fn two_ports_that_disagree_make_no_cable() {
        // n2:en05 hears n3:en05, but n3:en05 hears n4:en06.
        let o = vec![
            obs(0, "en05", &[mac(1, 5)]),
            obs(1, "en05", &[mac(2, 6)]),
            obs(2, "en06", &[mac(1, 5)]),
        ];
        let c = infer(&names(), &o, &known());
        // n3:en05 and n4:en06 agree; n2:en05's claim is contradicted.
        assert_eq!(c.links, vec![(end(1, "en05"), end(2, "en06"))]);
        assert!(c.problems[0]
            .message
            .contains("hears n3:en05, but that port hears n4:en06"));
    }

    #[test]
    fn a_port_behind_a_hub_makes_no_cable_even_when_both_others_claim_it() {
        // n3:en05 hears n2:en06 and n4:en06; each of those hears n3:en05.
        let o = vec![
            obs(0, "en06", &[mac(1, 5)]),
            obs(1, "en05", &[mac(0, 6), mac(2, 6)]),
            obs(2, "en06", &[mac(1, 5)]),
        ];
        let c = infer(&names(), &o, &known());
        assert!(c.links.is_empty(), "{:?}", c.links);
        assert_eq!(c.problems.len(), 1, "{:?}", c.problems);
        assert!(c.problems[0].hint.contains("a switch, hub or bridge"));
    }
}
