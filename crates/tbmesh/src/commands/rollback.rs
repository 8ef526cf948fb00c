//! `tbmesh rollback [APPLY_ID]`: restore the files an apply changed.

use crate::exit::{CmdResult, ExitStatus, Fail};
use crate::printer::{Printer, Table};
use crate::session::{HostOptions, Session};
use crate::specfile;
use anyhow::anyhow;
use std::path::Path;
use tbmesh_core::script;

pub fn run(
    spec: Option<&Path>,
    id: Option<&str>,
    host: &HostOptions,
    printer: &Printer,
) -> CmdResult {
    if let Some(id) = id {
        if !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') || id.is_empty() {
            return Err(Fail::bad_input(anyhow!("{id:?} is not an apply id")).hint(
                "apply ids look like 20261126T125100Z-1a2b; omit it to roll back the newest apply",
            ));
        }
    }
    let loaded = specfile::load(spec, printer)?;
    let session = Session::open(loaded, host)?;
    let id = match id {
        Some(id) => id.to_string(),
        None => newest(&session)?,
    };
    let results = session.each(&session.all(), |_, t| {
        t.run(&script::rollback_now_script(&id))
    });
    let mut ok = true;
    let mut table = Table::new(["NODE", "RESULT"]);
    let mut rows = vec![];
    for (i, r) in results {
        let node = session.loaded.cluster.node_name(i).to_string();
        let result = match r {
            Ok(o) if o.ok() => "restored".to_string(),
            Ok(o) if o.status == 3 => "nothing to restore (apply not on this node)".to_string(),
            Ok(o) => {
                ok = false;
                format!("FAILED: {}", o.stderr.trim())
            }
            Err(e) => {
                ok = false;
                format!("FAILED: {e:#}")
            }
        };
        table.row([node.clone(), result.clone()]);
        rows.push(serde_json::json!({"node": node, "result": result}));
    }
    if printer.json {
        printer.json(&serde_json::json!({"id": id, "ok": ok, "nodes": rows}));
    } else {
        printer.line(format!("rollback of apply {id}"));
        printer.text(table.render());
    }
    Ok(if ok {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

/// The newest apply any node has that was not rolled back.
fn newest(session: &Session) -> Result<String, Fail> {
    let lists = session.each(&session.all(), |_, t| t.run(&script::list_applies_script()));
    let mut ids = vec![];
    for (_, r) in lists {
        let o = r.map_err(Fail::from_host)?;
        ids.extend(
            o.stdout
                .lines()
                .filter(|l| l.ends_with(" applied"))
                .filter_map(|l| l.split_whitespace().next().map(str::to_string)),
        );
    }
    ids.sort();
    ids.pop()
        .ok_or_else(|| Fail::failure(anyhow!("no apply to roll back on any node")))
}
