//! `tbmesh preflight`: a pass / warn / fail table per node before anything
//! is changed (reads hosts). One round trip per node: the facts, the
//! readiness probe and the OSD devices' facts together.

use crate::engine::{self, Extra};
use crate::exit::{CmdResult, ExitStatus};
use crate::printer::{Printer, Table};
use crate::session::{HostOptions, Session};
use crate::specfile;
use serde_json::json;
use std::path::Path;
use std::time::Instant;
use tbmesh_core::readiness::{self, probe, NodeInput, Status};
use tbmesh_core::render::Phase;

pub fn run(spec: Option<&Path>, host: &HostOptions, printer: &Printer) -> CmdResult {
    let started = Instant::now();
    let loaded = specfile::load(spec, printer)?;
    let session = Session::open(loaded, host)?;
    let c = &session.loaded.cluster;
    // The Ceph phase's own facts carry the OSD devices' state.
    let (_, mut parts) = crate::ceph::trip_extra(c, &[Phase::Ceph]);
    parts.resize(c.nodes().len(), vec![]);
    for p in &mut parts {
        p.push(("ready".into(), probe::script()));
    }
    let extra = Extra {
        recover: None,
        paths: vec![],
        parts,
    };
    let prep = engine::prepare_with(&session, &engine::MESH_PHASES, printer, extra)?;
    let ceph = crate::ceph::from_trip(&session, &prep.facts, &prep.extra)?;
    let fsid = ceph
        .as_ref()
        .and_then(|g| g.state.as_ref())
        .and_then(|s| s.fsid.clone());
    let mut rows = vec![];
    for (i, f) in prep.facts.iter().enumerate() {
        let probe = probe::parse(prep.extra[i].get("ready").map_or("", String::as_str));
        let problems: Vec<_> = prep
            .problems
            .iter()
            .filter(|p| p.node == c.node_name(i))
            .cloned()
            .collect();
        let disks = ceph
            .as_ref()
            .and_then(|g| g.nodes.get(i))
            .map(|n| (n.disks.as_slice(), fsid.as_deref()));
        rows.extend(readiness::rows(
            c,
            i,
            &NodeInput {
                facts: f,
                probe: &probe,
                disks,
                problems: &problems,
            },
        ));
    }
    let count = |s: Status| rows.iter().filter(|r| r.status == s).count();
    let (fails, warns) = (count(Status::Fail), count(Status::Warn));
    let secs = started.elapsed().as_secs_f64();
    if printer.json {
        printer.json(&json!({"ok": fails == 0, "rows": rows, "failed": fails, "warnings": warns, "seconds": secs}));
    } else {
        let mut t = Table::new(["NODE", "CHECK", "RESULT", "DETAIL"]);
        for r in &rows {
            t.row([
                r.node.clone(),
                r.check.clone(),
                r.status.as_str().to_string(),
                r.detail.clone(),
            ]);
        }
        printer.text(t.render());
        for r in rows.iter().filter(|r| r.status != Status::Pass) {
            printer.line(format!(
                "{} {} {}: {}",
                r.status.as_str(),
                r.node,
                r.check,
                r.hint
            ));
        }
        printer.line(format!(
            "{} checks: {fails} failed, {warns} warning(s) ({secs:.1} s)",
            rows.len()
        ));
    }
    Ok(if fails == 0 {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}
