//! `tbmesh plan`: what apply would change, read from the nodes (changes nothing).

use crate::engine::{self, Prepared};
use crate::exit::{CmdResult, ExitStatus};
use crate::printer::Printer;
use crate::session::{HostOptions, Session};
use crate::specfile;
use std::path::Path;
use tbmesh_core::plan::{Action, Plan};
use tbmesh_core::render::Phase;

pub fn run(
    spec: Option<&Path>,
    phases: &[Phase],
    host: &HostOptions,
    printer: &Printer,
) -> CmdResult {
    let loaded = specfile::load(spec, printer)?;
    let session = Session::open(loaded, host)?;
    let Prepared {
        problems,
        plan,
        facts,
        ..
    } = engine::prepare(&session, phases, printer)?;
    // tbmesh-ceph: Ceph steps and tune values, with why
    let (ceph_text, ceph_changes) = crate::ceph::plan_text(&session, &facts, phases, &[])?;
    if printer.json {
        printer.json(&serde_json::json!({ "problems": problems, "plan": plan, "ceph": ceph_text, "changes": plan.total_changes() + ceph_changes }));
    } else {
        printer.text(plan_text(&plan));
        if !ceph_text.is_empty() {
            printer.text(ceph_text);
        }
    }
    engine::report_problems(&problems, printer)?;
    Ok(ExitStatus::Success)
}

/// The plan for people: per node and phase, files with diffs, then commands.
pub fn plan_text(plan: &Plan) -> String {
    let mut s = String::new();
    for n in &plan.nodes {
        let total = n.total_changes();
        s.push_str(&format!(
            "node {}: {}\n",
            n.node,
            if total == 0 {
                "no changes".to_string()
            } else {
                format!("{total} change(s)")
            }
        ));
        for phase in Phase::ALL {
            if n.change_count(phase) == 0 {
                continue;
            }
            s.push_str(&format!("  phase {phase}\n"));
            for f in n.changed_files(phase) {
                let verb = match f.action {
                    Action::Create => "create",
                    Action::Update => "update",
                    Action::Chmod => "chmod",
                    Action::Unchanged => "keep",
                };
                s.push_str(&format!("    {verb} {} ({:o})\n", f.path, f.mode));
                for l in f.diff.lines() {
                    s.push_str(&format!("      {l}\n"));
                }
            }
            for st in n.steps_in(phase) {
                let kind = if st.certain {
                    "run"
                } else {
                    "run (may change nothing)"
                };
                s.push_str(&format!("    {kind}: {}   # {}\n", st.command, st.why));
            }
        }
    }
    s.push_str(&format!("{} change(s) in all.\n", plan.total_changes()));
    s
}
