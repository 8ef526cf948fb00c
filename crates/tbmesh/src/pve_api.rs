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

/// The calls that apply `p` when the fabric phase changed files of tbmesh's
/// own (frr.conf.local, /etc/frr/daemons): Proxmox merges frr.conf.local
/// only when it writes frr.conf, so `pvesh set /cluster/sdn` runs even when
/// no object changes.
pub fn calls_with_local(p: &ApiPlan) -> Vec<Vec<String>> {
    if p.calls.is_empty() {
        vec![vec!["pvesh".into(), "set".into(), "/cluster/sdn".into()]]
    } else {
        p.calls.clone()
    }
}

/// Run `calls` on the node that runs pvesh, reporting them; no gate (the
/// fabric phase's confirmation waits for the routers).
pub fn run_reported(
    session: &Session,
    calls: &[Vec<String>],
    progress: &Progress,
) -> Result<(), String> {
    progress.report(
        session.nodes[0].node(),
        &format!("pve-sdn: {} API call(s)", calls.len()),
        json!({"event": "pve_api", "calls": calls.len()}),
    );
    run_calls(session, calls)
}

/// Apply the planned calls; on failure restore the previous objects, apply
/// them and wait until the routers reach each other again.
pub fn apply(session: &Session, p: &ApiPlan, progress: &Progress) -> Result<(), String> {
    let node = session.nodes[0].node().to_string();
    let outcome = run_reported(session, &p.calls, progress).and_then(|()| gate(session));
    let Err(e) = outcome else {
        progress.report(
            &node,
            "pve-sdn: applied and every router reaches every other",
            json!({"event": "pve_api_confirmed"}),
        );
        return Ok(());
    };
    restore(session, p, &e, progress);
    Err(e)
}

/// After a failed apply (`why`): from whatever the API holds now back to
/// what it held before, applied again (also when no object differs: the
/// restored frr.conf.local is merged only then), and the routers waited for.
pub fn restore(session: &Session, p: &ApiPlan, why: &str, progress: &Progress) -> bool {
    let fabric = &session.loaded.cluster.spec.fabric.name.value;
    let back = read_objects(session)
        .map(|now| {
            let calls = pve_sdn::calls(&now, &p.current, fabric);
            calls_with_local(&ApiPlan {
                current: now,
                desired: p.current.clone(),
                calls,
            })
        })
        .and_then(|calls| run_calls(session, &calls))
        // No fabric before: no router to wait for.
        .and_then(|()| {
            if p.current.fabrics.contains_key(fabric) {
                gate(session)
            } else {
                Ok(())
            }
        });
    progress.report(
        session.nodes[0].node(),
        &format!(
            "pve-sdn: failed ({why}); previous objects restored: {}",
            match &back {
                Ok(()) => "yes".to_string(),
                Err(b) => format!("NO ({b})"),
            }
        ),
        json!({"event": "pve_api_rolled_back", "ok": back.is_ok()}),
    );
    back.is_ok()
}
