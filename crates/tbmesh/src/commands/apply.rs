//! `tbmesh apply`: converge the cluster, phase by phase.

use crate::engine::{self, ApplyOptions};
use crate::exit::CmdResult;
use crate::printer::{Printer, Table};
use crate::progress::Progress;
use crate::session::{HostOptions, Session};
use crate::specfile;
use serde_json::json;
use std::path::Path;
use std::time::Instant;
use tbmesh_core::render::Phase;

pub fn run(
    spec: Option<&Path>,
    phases: &[Phase],
    wipe_disks: &[String],
    confirm_secs: u32,
    verbose: bool,
    host: &HostOptions,
    printer: &Printer,
) -> CmdResult {
    let started = Instant::now();
    let fault = engine::fault_from_env()?;
    let loaded = specfile::load(spec, printer)?;
    let session = Session::open(loaded, host)?;
    let progress = Progress::new(printer, &session.names());
    // One round trip per node: roll back interrupted applies, then facts,
    // and what the Ceph phases read.
    let (paths, parts) = crate::ceph::trip_extra(&session.loaded.cluster, phases);
    let extra = engine::Extra {
        recover: Some(&progress),
        paths,
        parts,
    };
    let prep = engine::prepare_with(&session, phases, printer, extra)?;
    engine::report_problems(&prep.problems, printer)?;
    let pre = crate::ceph::from_trip(&session, &prep.facts, &prep.extra)?;
    let total = prep.plan.total_changes();
    if total > 0
        && !apply_mesh(
            &session,
            &prep,
            confirm_secs,
            fault,
            &progress,
            printer,
            started,
        )
    {
        return Ok(engine::exit_for(false));
    }
    // The Ceph and tune phases, after the mesh's gate.
    if let Some(status) = crate::ceph::after_mesh(
        &session,
        &prep.facts,
        phases,
        wipe_disks,
        &progress,
        printer,
        crate::ceph::Known {
            pre,
            mesh_changed: total > 0,
            verbose,
        },
    )? {
        return Ok(status);
    }
    if total == 0 {
        progress.note(
            &format!("no changes: the cluster matches the spec ({:.1} s)", started.elapsed().as_secs_f64()),
            json!({"event": "summary", "changes": 0, "ok": true, "seconds": started.elapsed().as_secs_f64()}),
        );
    }
    Ok(engine::exit_for(true))
}

/// The mesh phases and their summary; whether they all succeeded.
fn apply_mesh(
    session: &Session,
    prep: &engine::Prepared,
    confirm_secs: u32,
    fault: Option<(String, String)>,
    progress: &Progress,
    printer: &Printer,
    started: Instant,
) -> bool {
    let total = prep.plan.total_changes();
    let id = engine::new_apply_id();
    progress.note(
        &format!("apply {id}: {total} change(s)"),
        json!({"event": "apply", "id": id, "changes": total}),
    );
    let opts = ApplyOptions {
        id: id.clone(),
        confirm_secs,
        fault,
    };
    let (outcomes, ok) = engine::apply(session, prep, &opts, progress);
    let secs = started.elapsed().as_secs_f64();
    if printer.json {
        progress.note("", json!({"event": "summary", "id": id, "changes": total, "ok": ok, "seconds": secs, "outcomes": outcomes}));
    } else {
        let mut t = Table::new(["NODE", "PHASE", "FILES", "COMMANDS", "RESULT"]);
        for o in &outcomes {
            t.row([
                o.node.clone(),
                o.phase.to_string(),
                o.files.to_string(),
                o.steps.to_string(),
                o.result.lines().next().unwrap_or("").to_string(),
            ]);
        }
        printer.note(t.render().trim_end());
        for o in outcomes.iter().filter(|o| o.result.contains('\n')) {
            printer.note(format!("{} {}: {}", o.node, o.phase, o.result));
        }
        printer.note(format!(
            "apply {id} {} in {secs:.1} s{}",
            if ok { "finished" } else { "FAILED" },
            if ok {
                String::new()
            } else {
                format!("; undo what remains with `tbmesh rollback {id}`")
            }
        ));
    }
    ok
}
