//! `tbmesh failover-test` (DESIGN.md, "Verification, failover, benchmark"):
//! which faults a run injects, the scripts that inject and remove them on a
//! node, the prober every node runs during a fault, and what its output
//! says (the longest gap per pair and direction).
//!
//! - [`fault`]: the fault scripts, each armed with a node-side timer;
//! - [`probe`]: the probe script and the parser of its output;
//! - [`gaps`]: the longest gap of a probe stream, per phase of a case;
//! - [`load`]: the Ceph client load of `--ceph` and what it saw;
//! - [`reboot`]: the `--reboot NODE` case's script and figures;
//! - [`table`]: the result of a case, its rows in the table.

pub mod fault;
pub mod gaps;
pub mod load;
pub mod probe;
pub mod reboot;
pub mod table;

use crate::topology::NodeIdx;
use crate::Cluster;
use serde::Serialize;
use std::fmt;

/// What is done to a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FaultKind {
    /// The port taken down on one end (`ip link set dev X down`): the peer
    /// loses carrier, as with a pulled cable.
    Down,
    /// The port receives nothing, carrier up on both ends: a one-sided
    /// failure. Put in place on the *peer*: an nftables netdev egress drop
    /// on the other end of the cable, which also stops what the peer sends
    /// through packet sockets (fabricd's IS-IS hellos), so the port is as
    /// deaf as a broken one. An ingress drop on the port itself is not:
    /// packet sockets see frames before the netdev ingress hook.
    Silent,
}

impl FaultKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::Down => "down",
            FaultKind::Silent => "silent",
        }
    }
}

/// One fault of a run: `kind` on `node:port`, whose cable is `link`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub kind: FaultKind,
    pub node: NodeIdx,
    pub port: String,
    pub link: usize,
    /// The other end of the cable.
    pub peer: NodeIdx,
    pub peer_port: String,
}

impl Fault {
    /// `n2:en05 -- n3:en05`, as the spec writes the cable.
    pub fn link_label(&self, c: &Cluster) -> String {
        let l = &c.spec.fabric.links[self.link];
        format!("{} -- {}", l.a, l.b)
    }

    pub fn end_label(&self, c: &Cluster) -> String {
        format!("{}:{}", c.node_name(self.node), self.port)
    }

    /// The node and port where the fault is put in place: the faulted end
    /// for `down`, the other end of the cable for `silent` (see
    /// [`FaultKind::Silent`]).
    pub fn at(&self) -> (NodeIdx, &str) {
        match self.kind {
            FaultKind::Down => (self.node, &self.port),
            FaultKind::Silent => (self.peer, &self.peer_port),
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The faults of a run, in order: per link (only the link of `only`, a
/// `node:port` end, when given), `down` on one end (`only`'s end, else the
/// first end written in the spec), then `silent` on each end (each
/// direction). An `only` that names no cabled port is an error message.
pub fn faults(
    c: &Cluster,
    only: Option<(&str, &str)>,
    kinds: &[FaultKind],
) -> Result<Vec<Fault>, String> {
    let only = match only {
        None => None,
        Some((node, port)) => {
            let n = c
                .node_idx(node)
                .ok_or_else(|| format!("no node {node} in the spec"))?;
            let peer = c
                .peer(n, port)
                .ok_or_else(|| format!("{node}:{port} is not an end of a cable in the spec"))?;
            Some((n, port.to_string(), peer.link))
        }
    };
    let mut v = vec![];
    for (i, l) in c.topology.links.iter().enumerate() {
        if only.as_ref().is_some_and(|o| o.2 != i) {
            continue;
        }
        let first = match &only {
            Some((n, p, _)) if *n == l.b.0 && *p == l.b.1 => (&l.b, &l.a),
            _ => (&l.a, &l.b),
        };
        let fault = |kind, end: &(NodeIdx, String), other: &(NodeIdx, String)| Fault {
            kind,
            node: end.0,
            port: end.1.clone(),
            link: i,
            peer: other.0,
            peer_port: other.1.clone(),
        };
        if kinds.contains(&FaultKind::Down) {
            v.push(fault(FaultKind::Down, first.0, first.1));
        }
        if kinds.contains(&FaultKind::Silent) {
            v.push(fault(FaultKind::Silent, first.0, first.1));
            v.push(fault(FaultKind::Silent, first.1, first.0));
        }
    }
    Ok(v)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The 3-node ring of the lab (frr mode, router addresses on lo).
    pub fn lab3() -> Cluster {
        let text = r#"
[cluster]
name = "lab"
[fabric]
name = "tb4"
mode = "frr"
prefix = "10.100.0.0/24"
router_interface = "lo"
links = ["n2:en05 -- n3:en05", "n3:en06 -- n4:en05", "n4:en06 -- n2:en06"]
[[node]]
name = "n2"
host = "10.11.11.12"
router_ip = "10.100.0.12"
ports = { en05 = "0000:00:0d.2", en06 = "0000:00:0d.3" }
[[node]]
name = "n3"
host = "10.11.11.13"
router_ip = "10.100.0.13"
ports = { en05 = "0000:00:0d.2", en06 = "0000:00:0d.3" }
[[node]]
name = "n4"
host = "10.11.11.14"
router_ip = "10.100.0.14"
ports = { en05 = "0000:00:0d.2", en06 = "0000:00:0d.3" }
"#;
        let src = crate::Source::new("tbmesh.toml", text);
        match crate::spec::load(&src) {
            Ok((c, _)) => c,
            Err(d) => panic!("the lab's spec does not load: {d:?}"),
        }
    }

    fn labels(c: &Cluster, v: &[Fault]) -> Vec<String> {
        v.iter()
            .map(|f| format!("{} {}", f.end_label(c), f.kind))
            .collect()
    }

    #[test]
    fn every_link_gets_down_on_one_end_and_silent_on_each() {
        let c = lab3();
        let all = faults(&c, None, &[FaultKind::Down, FaultKind::Silent]).expect("faults");
        assert_eq!(all.len(), 9);
        assert_eq!(
            labels(&c, &all[..3]),
            ["n2:en05 down", "n2:en05 silent", "n3:en05 silent"]
        );
        assert_eq!(all[2].peer, 0);
        assert_eq!(all[2].link_label(&c), "n2:en05 -- n3:en05");
    }

    #[test]
    fn one_link_starts_at_the_named_end() {
        let c = lab3();
        let v = faults(
            &c,
            Some(("n3", "en05")),
            &[FaultKind::Down, FaultKind::Silent],
        )
        .expect("faults");
        assert_eq!(
            labels(&c, &v),
            ["n3:en05 down", "n3:en05 silent", "n2:en05 silent"]
        );
        let v = faults(&c, Some(("n2", "en06")), &[FaultKind::Silent]).expect("faults");
        assert_eq!(labels(&c, &v), ["n2:en06 silent", "n4:en06 silent"]);
    }

    #[test]
    fn a_port_without_a_cable_is_refused() {
        let c = lab3();
        let e = faults(&c, Some(("n2", "en07")), &[FaultKind::Down]).expect_err("refused");
        assert!(e.contains("n2:en07 is not an end of a cable"), "{e}");
        let e = faults(&c, Some(("n9", "en05")), &[FaultKind::Down]).expect_err("refused");
        assert!(e.contains("no node n9"), "{e}");
    }
}
