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
use tbmesh_core::spec::FabricMode;

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
    // pve-sdn: the fabric through the Proxmox VE API. Its objects are read
    // before anything changes.
    let api = if session.loaded.cluster.spec.fabric.mode.value == FabricMode::PveSdn
        && (phases.is_empty() || phases.contains(&Phase::Fabric))
    {
        match crate::pve_api::plan(&session) {
            Ok(p) => Some(p),
            Err(e) => {
                progress.note(
                    &format!("pve-sdn: cannot read the fabric objects: {e}"),
                    json!({"event": "pve_api_failed", "error": e}),
                );
                return Ok(engine::exit_for(false));
            }
        }
    } else {
        None
    };
    // When the fabric phase changes tbmesh's own files (frr.conf.local,
    // bfdd= in /etc/frr/daemons), the API apply runs inside that phase,
    // before its nodes are confirmed: only then does Proxmox write the
    // frr.conf that routes (and merges frr.conf.local into).
    let local = api.as_ref().filter(|_| {
        prep.plan
            .nodes
            .iter()
            .any(|n| n.change_count(Phase::Fabric) > 0)
    });
    let local_calls = local.map(crate::pve_api::calls_with_local);
    let api_ran = std::sync::atomic::AtomicBool::new(false);
    let before_confirm = |phase: Phase| -> Result<(), String> {
        match (&local_calls, phase) {
            (Some(calls), Phase::Fabric) => {
                api_ran.store(true, std::sync::atomic::Ordering::SeqCst);
                crate::pve_api::run_reported(&session, calls, &progress)
            }
            _ => Ok(()),
        }
    };
    if total > 0
        && !apply_mesh(
            &session,
            &prep,
            ApplyOptions {
                id: engine::new_apply_id(),
                confirm_secs,
                fault,
                before_confirm: &before_confirm,
            },
            &progress,
            printer,
            started,
        )
    {
        if let Some(p) = local.filter(|_| api_ran.load(std::sync::atomic::Ordering::SeqCst)) {
            // The nodes rolled their files back; the API's objects follow.
            crate::pve_api::restore(&session, p, "the fabric phase was not confirmed", &progress);
        }
        return Ok(engine::exit_for(false));
    }
    let mut api_calls = local_calls.as_ref().map_or(0, Vec::len);
    if let Some(p) = api.as_ref().filter(|_| local.is_none()) {
        api_calls = p.calls.len();
        if api_calls > 0 && crate::pve_api::apply(&session, p, &progress).is_err() {
            return Ok(engine::exit_for(false));
        }
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
    if total == 0 && api_calls == 0 {
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
    opts: ApplyOptions,
    progress: &Progress,
    printer: &Printer,
    started: Instant,
) -> bool {
    let total = prep.plan.total_changes();
    let id = opts.id.clone();
    progress.note(
        &format!("apply {id}: {total} change(s)"),
        json!({"event": "apply", "id": id, "changes": total}),
    );
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
