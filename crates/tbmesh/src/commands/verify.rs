//! `tbmesh verify`: check the cluster against the spec (reads hosts).
//!
//! Two round trips per node, nodes in parallel: the facts and plan that
//! `tbmesh plan` also reads, then one probe script (tbmesh_core::verify).
//! Everything is judged by the pure `verify::evaluate`.

use crate::engine::{self, Prepared};
use crate::exit::{CmdResult, ExitStatus, Fail};
use crate::printer::{Printer, Table};
use crate::session::{HostOptions, Session};
use crate::specfile;
use anyhow::anyhow;
use serde_json::json;
use std::path::Path;
use std::time::Instant;
use tbmesh_core::verify::{self, Observed, Probes, Report};

pub fn run(
    spec: Option<&Path>,
    failed_only: bool,
    mesh_only: bool,
    save: bool,
    host: &HostOptions,
    printer: &Printer,
) -> CmdResult {
    let started = Instant::now();
    let loaded = specfile::load(spec, printer)?;
    let session = Session::open(loaded, host)?;
    let report = check(&session, mesh_only, printer)?;
    let secs = started.elapsed().as_secs_f64();
    let failed = report.failed().count();
    let doc = json!({
        "ok": report.ok(),
        "checks": report.checks,
        "failed": failed,
        "notes": report.notes,
        "seconds": secs,
    });
    if save {
        let cluster = &session.loaded.cluster.spec.cluster.name;
        let path = crate::results::save(cluster, "verify", &doc)
            .map_err(|e| Fail::failure(e.context("saving the result")))?;
        printer.note(format!("saved {}", path.display()));
    }
    if printer.json {
        printer.json(&doc);
    } else {
        printer.text(report_text(&report, failed_only));
        printer.line(format!(
            "{} checks, {failed} failed ({secs:.1} s)",
            report.checks.len()
        ));
    }
    Ok(if report.ok() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

/// Every check of verify on an open session (also the gate of bench and failover-test).
pub fn check(session: &Session, mesh_only: bool, printer: &Printer) -> Result<Report, Fail> {
    // Only the mesh phases: their files must be in place.
    let Prepared { facts, plan, .. } = engine::prepare(session, &engine::MESH_PHASES, printer)?;
    let probes = probe(session, printer)?;
    let c = &session.loaded.cluster;
    let seen: Vec<Observed> = (0..c.nodes().len())
        .map(|i| Observed {
            facts: &facts[i],
            plan: &plan.nodes[i],
            probes: &probes[i],
        })
        .collect();
    let mut report = verify::evaluate(c, &seen);
    if c.spec.ceph.is_some() && !mesh_only {
        report.checks.extend(ceph_checks(session)?);
    }
    Ok(report)
}

/// Ceph's state, read on the first node that has a cluster configuration
/// (any monitor node sees the whole cluster), judged by `ceph::health`.
fn ceph_checks(session: &Session) -> Result<Vec<verify::Check>, Fail> {
    use tbmesh_core::ceph::{health, state};
    let c = &session.loaded.cluster;
    let mut last = None;
    for (i, t) in session.nodes.iter().enumerate() {
        let out = t.run(&state::state_script()).map_err(Fail::from_host)?;
        match state::parse_state(&out.stdout) {
            Ok(Some(s)) => {
                return Ok(verify::ceph_as_checks(
                    c.node_name(i),
                    health::ceph_checks(c, Some(&s)),
                ))
            }
            Ok(None) => last = Some(i),
            Err(e) => {
                return Err(Fail::failure(anyhow!(
                    "reading Ceph's state on {}: {e}",
                    c.node_name(i)
                )))
            }
        }
    }
    let node = last.map_or("-", |i| c.node_name(i));
    Ok(verify::ceph_as_checks(node, health::ceph_checks(c, None)))
}

/// Run the probe script on every node; a node that can't be reached ends
/// the command with status 3.
fn probe(session: &Session, printer: &Printer) -> Result<Vec<Probes>, Fail> {
    let c = &session.loaded.cluster;
    session.on_all(printer, |i, t| {
        let out = t.run(&verify::probe_script(c, i))?;
        verify::parse_probes(&out.stdout).map_err(|e| {
            anyhow!(
                "reading the probes of {}: {e}{}",
                t.node(),
                if out.stderr.trim().is_empty() {
                    String::new()
                } else {
                    format!("\n{}", out.stderr.trim())
                }
            )
        })
    })
}

/// The checks as a table, then the notes.
pub fn report_text(report: &Report, failed_only: bool) -> String {
    let mut t = Table::new(["CHECK", "NODE", "SUBJECT", "RESULT", "DETAIL"]);
    for c in report.checks.iter().filter(|c| !failed_only || !c.ok) {
        t.row([
            c.name.to_string(),
            c.node.clone(),
            c.subject.clone(),
            if c.ok { "ok" } else { "FAILED" }.to_string(),
            c.detail.clone(),
        ]);
    }
    let mut s = if failed_only && report.ok() {
        String::new()
    } else {
        t.render()
    };
    for n in &report.notes {
        s.push_str(&format!("note: {n}\n"));
    }
    s
}
