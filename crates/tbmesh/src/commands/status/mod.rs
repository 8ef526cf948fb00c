//! `tbmesh status`: the live state in one screen (reads hosts). One round
//! trip per node, nodes in parallel: the status script
//! (tbmesh_core::status) and, with Ceph, Ceph's state, together. A node
//! that does not answer is shown as such; the others are still shown.

mod text;
mod watch;

use crate::exit::{CmdResult, ExitStatus};
use crate::printer::Printer;
use crate::session::{HostOptions, Session};
use crate::specfile;
use serde_json::json;
use std::path::Path;
use std::time::Instant;
use tbmesh_core::ceph::state;
use tbmesh_core::status::{self, CephSummary, NodeStatus, Status};
use tbmesh_core::trip;

pub use text::render;

pub fn run(
    spec: Option<&Path>,
    watch_secs: Option<u32>,
    host: &HostOptions,
    printer: &Printer,
) -> CmdResult {
    let loaded = specfile::load(spec, printer)?;
    let session = Session::open(loaded, host)?;
    match watch_secs {
        None => {
            let (s, secs) = timed(&session);
            show(&s, secs, printer);
            Ok(exit_of(&s))
        }
        Some(n) => watch::run(n, printer, || {
            let (s, secs) = timed(&session);
            (s, secs)
        }),
    }
}

fn timed(session: &Session) -> (Status, f64) {
    let started = Instant::now();
    let s = gather(session);
    (s, started.elapsed().as_secs_f64())
}

/// Status 3 when a node did not answer (the rest is still shown).
pub fn exit_of(s: &Status) -> ExitStatus {
    if s.nodes.iter().all(|n| n.reachable) {
        ExitStatus::Success
    } else {
        ExitStatus::Unreachable
    }
}

/// The JSON document (docs/operations.md, "status --json").
pub fn to_json(s: &Status, secs: f64) -> serde_json::Value {
    json!({
        "cluster": s.cluster,
        "ok": s.nodes.iter().all(|n| n.reachable),
        "nodes": s.nodes,
        "ceph": s.ceph,
        "ceph_error": s.ceph_error,
        "seconds": secs,
    })
}

/// Print one status: JSON or text.
fn show(s: &Status, secs: f64, printer: &Printer) {
    if printer.json {
        printer.json(&to_json(s, secs));
    } else {
        printer.text(render(s, secs));
    }
}

/// Every node's status and Ceph's summary, one round trip per node.
pub fn gather(session: &Session) -> Status {
    let c = &session.loaded.cluster;
    let with_ceph = c.spec.ceph.is_some();
    let outs = session.each(&session.all(), |i, t| {
        let mut parts = vec![("status".to_string(), status::script(c, i))];
        if with_ceph {
            parts.push(("ceph".to_string(), state::state_script()));
        }
        t.run(&trip::join(&[], &parts))
            .map(|o| trip::split(&o.stdout))
    });
    let mut nodes = vec![];
    let mut ceph = None;
    let mut ceph_errors = vec![];
    for (i, r) in outs {
        let name = c.node_name(i).to_string();
        match r {
            Ok(parts) => {
                nodes.push(status::parse_node(
                    c,
                    i,
                    parts.get("status").map_or("", String::as_str),
                ));
                if with_ceph && ceph.is_none() {
                    match state::parse_state(parts.get("ceph").map_or("", String::as_str)) {
                        Ok(Some(st)) => ceph = Some(CephSummary::of(&name, &st)),
                        Ok(None) => ceph_errors.push(format!("{name}: no cluster answered")),
                        Err(e) => ceph_errors.push(format!("{name}: {e}")),
                    }
                }
            }
            Err(e) => nodes.push(NodeStatus {
                node: name,
                reachable: false,
                error: Some(format!("{e:#}")),
                ..Default::default()
            }),
        }
    }
    let ceph_error = (with_ceph && ceph.is_none()).then(|| {
        if ceph_errors.is_empty() {
            "no node answered".to_string()
        } else {
            ceph_errors.join("; ")
        }
    });
    Status {
        cluster: c.spec.cluster.name.value.clone(),
        nodes,
        ceph,
        ceph_error,
    }
}
