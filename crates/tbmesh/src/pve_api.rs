//! `pve-sdn` mode: the fabric through Proxmox VE's API. tbmesh runs `pvesh`
//! on the spec's first node (the API is cluster-wide: /etc/pve is shared),
//! reads the fabric objects, runs the planned calls and `pvesh set
//! /cluster/sdn`, then waits until every router reaches every other, as the
//! fabric phase does; if that fails it restores the previous objects and
//! applies them again. The planning is tbmesh_core::pve_sdn (pure).

use crate::engine::mesh_check_script;
use crate::progress::Progress;
use crate::session::Session;
use serde_json::json;
use std::time::{Duration, Instant};
use tbmesh_core::pve_sdn::{self, Objects};
use tbmesh_core::render::Phase;
use tbmesh_core::shell::shell_quote;

/// How long the routers may take to reach each other after the API apply.
const GATE_SECS: u64 = 120;

/// The API's objects now, the spec's, and the calls between them.
pub struct ApiPlan {
    pub current: Objects,
    pub desired: Objects,
    pub calls: Vec<Vec<String>>,
}

const READ: &str = "pvesh get /cluster/sdn/fabrics/all --output-format json";

fn read_objects(session: &Session) -> Result<Objects, String> {
    let t = &session.nodes[0];
    let o = t
        .run(&format!("{READ} || exit 1"))
        .map_err(|e| e.to_string())?;
    if !o.ok() {
        return Err(format!("{READ} on {}: {}", t.node(), o.stderr.trim()));
    }
    pve_sdn::parse_all(&o.stdout).map_err(|e| format!("{READ} on {}: {e}", t.node()))
}

/// Read the cluster's fabric objects and plan the calls.
pub fn plan(session: &Session) -> Result<ApiPlan, String> {
    let c = &session.loaded.cluster;
    let current = read_objects(session)?;
    let desired = pve_sdn::desired(c);
    let calls = pve_sdn::calls(&current, &desired, &c.spec.fabric.name);
    Ok(ApiPlan {
        current,
        desired,
        calls,
    })
}

/// The plan for people: fabrics.cfg as a file diff, then the calls.
pub fn plan_text(session: &Session, p: &ApiPlan) -> String {
    let fabric = &session.loaded.cluster.spec.fabric.name.value;
    if p.calls.is_empty() {
        return format!("pve-sdn: fabric {fabric} in the Proxmox VE API matches the spec\n");
    }
    let mut s = format!(
        "pve-sdn: fabric {fabric} through the Proxmox VE API (run on {})\n",
        session.nodes[0].node()
    );
    s.push_str(&tbmesh_core::plan::unified_diff(
        "/etc/pve/sdn/fabrics.cfg",
        &pve_sdn::as_cfg(&p.current, fabric),
        &pve_sdn::as_cfg(&p.desired, fabric),
    ));
    for c in &p.calls {
        s.push_str(&format!("  {}\n", quoted(c)));
    }
    s
}

fn quoted(argv: &[String]) -> String {
    argv.iter()
        .map(|a| shell_quote(a))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Run `calls` in one script that stops at the first failure.
fn run_calls(session: &Session, calls: &[Vec<String>]) -> Result<(), String> {
    if calls.is_empty() {
        return Ok(());
    }
    // pvesh exits 255 on a refused call, which ssh's own failures also
    // use: map it to 1 so it is never taken for an unreachable node (and
    // the script retried).
    let script = calls
        .iter()
        .map(|c| format!("{} || exit 1\n", quoted(c)))
        .collect::<String>();
    let t = &session.nodes[0];
    let o = t.run(&script).map_err(|e| e.to_string())?;
    if o.ok() {
        Ok(())
    } else {
        Err(format!("{}{}", o.stderr.trim(), o.stdout.trim()))
    }
}

/// Every router reaches every other (the fabric phase's check), within GATE_SECS.
fn gate(session: &Session) -> Result<(), String> {
    let c = &session.loaded.cluster;
    let started = Instant::now();
    loop {
        let results = session.each(&session.all(), |i, t| {
            t.run(&mesh_check_script(c, i, Phase::Fabric))
                .map_err(|e| e.to_string())
                .and_then(|o| {
                    if o.ok() {
                        Ok(())
                    } else {
                        Err(o.stdout.trim().to_string())
                    }
                })
        });
        let failed: Vec<String> = results
            .into_iter()
            .filter_map(|(i, r)| r.err().map(|e| format!("{}: {e}", c.node_name(i))))
            .collect();
        if failed.is_empty() {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(GATE_SECS) {
            return Err(failed.join("; "));
        }
        std::thread::sleep(Duration::from_secs(2));
    }
}

/// Apply the planned calls; on failure restore the previous objects, apply
/// them and wait until the routers reach each other again.
pub fn apply(session: &Session, p: &ApiPlan, progress: &Progress) -> Result<(), String> {
    let node = session.nodes[0].node().to_string();
    progress.report(
        &node,
        &format!("pve-sdn: {} API call(s)", p.calls.len()),
        json!({"event": "pve_api", "calls": p.calls.len()}),
    );
    let fabric = &session.loaded.cluster.spec.fabric.name.value;
    let outcome = run_calls(session, &p.calls).and_then(|()| gate(session));
    let Err(e) = outcome else {
        progress.report(
            &node,
            "pve-sdn: applied and every router reaches every other",
            json!({"event": "pve_api_confirmed"}),
        );
        return Ok(());
    };
    // Roll back: from whatever the API holds now to what it held before.
    // Then wait for the routers again, as after any apply.
    let back = read_objects(session)
        .map(|now| pve_sdn::calls(&now, &p.current, fabric))
        .and_then(|calls| run_calls(session, &calls))
        .and_then(|()| gate(session));
    progress.report(
        &node,
        &format!(
            "pve-sdn: failed ({e}); previous objects restored: {}",
            match &back {
                Ok(()) => "yes".to_string(),
                Err(b) => format!("NO ({b})"),
            }
        ),
        json!({"event": "pve_api_rolled_back", "ok": back.is_ok()}),
    );
    Err(e)
}
