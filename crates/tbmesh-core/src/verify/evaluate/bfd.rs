//! BFD sessions per port (`[fabric] bfd`).

use super::context::Ctx;
use crate::spec::FabricMode;
use crate::topology::NodeIdx;
use crate::verify::report::{CheckKind, Report};

pub(crate) fn check_bfd(x: &Ctx, i: NodeIdx, r: &mut Report) {
    let c = x.c;
    if c.spec.fabric.mode.value == FabricMode::Static || !c.spec.fabric.bfd {
        return;
    }
    let node = c.node_name(i);
    // Not asked (output of an older probe script): nothing to judge.
    let Some(bfd) = &x.seen[i].probes.bfd else {
        return;
    };
    let peers = match bfd {
        Ok(p) => p,
        Err(e) => {
            r.push(
                CheckKind::Bfd,
                node,
                "bfdd",
                (false, format!("bfdd does not answer: {e}")),
                "sessions",
                e.clone(),
            );
            return;
        }
    };
    for p in &c.nodes()[i].ports {
        let port = p.name.value.as_str();
        let Some(peer) = c.peer(i, port) else {
            continue;
        };
        let want = c.router_ips[peer.node].to_string();
        let far = c.node_name(peer.node);
        let session = peers
            .iter()
            .find(|s| s.interface.as_deref() == Some(port) && s.peer == want);
        let (ok, detail, found) = match session {
            Some(s) if s.status == "up" => (true, format!("up to {far} {want}"), s.status.clone()),
            Some(s) => (
                false,
                format!("session to {far} {want} on {port} is {}", s.status),
                s.status.clone(),
            ),
            None => (
                false,
                format!("no BFD session to {far} {want} on {port}"),
                "none".to_string(),
            ),
        };
        r.push(CheckKind::Bfd, node, port, (ok, detail), "up", found);
    }
}
