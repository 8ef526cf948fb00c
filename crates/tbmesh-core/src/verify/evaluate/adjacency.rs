//! OpenFabric adjacencies per port.

use super::context::{adjacency, carrier, Ctx};
use crate::spec::FabricMode;
use crate::topology::NodeIdx;
use crate::verify::report::{CheckKind, Report};

pub(crate) fn check_adjacencies(x: &Ctx, i: NodeIdx, r: &mut Report) {
    let (c, seen) = (x.c, x.seen);
    if c.spec.fabric.mode.value == FabricMode::Static {
        return;
    }
    let node = c.node_name(i);
    match &seen[i].probes.openfabric {
        Some(Ok(_)) => {}
        Some(Err(e)) => {
            r.push(
                CheckKind::Adjacency,
                node,
                "fabricd",
                (
                    false,
                    format!(
                        "cannot read OpenFabric adjacencies: {e} (is frr running with fabricd?)"
                    ),
                ),
                "adjacencies",
                e.clone(),
            );
            return;
        }
        None => {
            r.push(
                CheckKind::Adjacency,
                node,
                "fabricd",
                (false, "the node did not report its OpenFabric adjacencies"),
                "adjacencies",
                "nothing",
            );
            return;
        }
    }
    for p in &c.nodes()[i].ports {
        let port = p.name.value.as_str();
        let Some(peer) = c.peer(i, port) else {
            continue;
        };
        // Only a port with a live peer can have an adjacency; a dead one
        // has failed its port check already.
        let live = carrier(seen[i].facts, port)
            && seen
                .get(peer.node)
                .is_some_and(|o| carrier(o.facts, &peer.port));
        if !live {
            continue;
        }
        let want = c.node_name(peer.node);
        let adj = adjacency(seen[i].probes, port).flatten();
        let (ok, detail, found) = match adj {
            None => (
                false,
                format!(
                    "no OpenFabric adjacency on {port} (peer {want}:{})",
                    peer.port
                ),
                "none".to_string(),
            ),
            Some(a) if a.state == "Up" && a.system == want => (
                true,
                format!("Up to {want}"),
                format!("{} {}", a.system, a.state),
            ),
            Some(a) if a.state == "Up" => (
                false,
                format!(
                    "Up to {} on {port}, but the spec says {want}:{}",
                    a.system, peer.port
                ),
                format!("{} {}", a.system, a.state),
            ),
            Some(a) => (
                false,
                format!("adjacency to {} on {port} is {}, not Up", a.system, a.state),
                format!("{} {}", a.system, a.state),
            ),
        };
        r.push(
            CheckKind::Adjacency,
            node,
            port,
            (ok, detail),
            format!("{want} Up"),
            found,
        );
    }
}
