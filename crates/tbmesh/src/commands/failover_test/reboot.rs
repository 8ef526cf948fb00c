//! `failover-test --reboot NODE`: the other nodes probe every router
//! address until told to stop (NODE, rebooting, cannot report); NODE gets a
//! clean `systemctl reboot`; tbmesh waits (bounded) for it to answer ssh
//! with a new boot id, then for verify (with Ceph and without `--mesh`:
//! health and PGs active+clean) to pass, then stops the probes. No safety
//! timer: a reboot ends by itself.

use super::{ceph, verify_again, wait, Ctx, Plan, LEAD_SECS};
use crate::printer::Printer;
use crate::session::Session;
use anyhow::anyhow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tbmesh_core::failover::probe::{self, NodeProbes};
use tbmesh_core::failover::reboot::{self, BOOT_ID};
use tbmesh_core::failover::table::{self, CaseResult};
use tbmesh_core::shell::shell_quote;
use tbmesh_core::topology::NodeIdx;

/// Where the probers of case `unit` look for their stop file.
fn stop_file(unit: &str) -> String {
    format!("/run/{unit}.stop")
}

pub(super) fn run_case(cx: Ctx<'_>, node: NodeIdx, unit: &str) -> CaseResult {
    let (session, plan, pool, stop, printer) = cx.parts();
    let c = &session.loaded.cluster;
    let name = c.node_name(node).to_string();
    let mut r = CaseResult::new("-".into(), table::REBOOT, name.clone(), 0.0);
    let others: Vec<NodeIdx> = session.all().into_iter().filter(|i| *i != node).collect();
    let all: Vec<NodeIdx> = session.all();
    let timeout = Duration::from_secs(u64::from(plan.boot_timeout));
    // Probes (and the load) end when told; this only bounds them if tbmesh
    // is gone: the two waits, and some.
    let bound = LEAD_SECS + 2 * plan.boot_timeout + 60;
    let stop_probes = stop_file(unit);
    let load_at = ceph::load_node(session.nodes.len(), &[node], node);
    let t = session.nodes[node].as_ref();
    let (probes, reboot_at) = std::thread::scope(|s| {
        let handles: Vec<_> = others
            .iter()
            .map(|&i| {
                let tr = session.nodes[i].as_ref();
                let script = probe::probe_script_to(c, i, &all, bound, Some(&stop_probes));
                (
                    i,
                    s.spawn(move || -> anyhow::Result<NodeProbes> {
                        let out = tr.run(&script)?;
                        probe::parse_probes(&out.stdout)
                            .map_err(|e| anyhow!("{}: {e}\n{}", tr.node(), out.stderr.trim()))
                    }),
                )
            })
            .collect();
        let load = pool.map(|p| {
            ceph::start_load(
                s,
                session.nodes[load_at].as_ref(),
                p,
                bound,
                &ceph::load_stop_file(unit),
            )
        });
        let mut reboot_at = None;
        if wait(Duration::from_secs(u64::from(LEAD_SECS)), stop) {
            match t
                .run(&reboot::reboot_script())
                .map_err(|e| format!("{e:#}"))
                .and_then(|o| {
                    reboot::parse_reboot(&o.stdout).map_err(|e| format!("{e} {}", o.stderr.trim()))
                }) {
                Err(e) => r.error = Some(format!("{name}: the reboot was not started: {e}")),
                Ok((old, at)) => {
                    let since = Instant::now();
                    reboot_at = Some(at);
                    t.close();
                    printer.note(format!("{name}: rebooting"));
                    wait_back(
                        session, node, &old, timeout, since, plan, stop, printer, &mut r,
                    );
                }
            }
        }
        // Stop the probes and the load, wherever they run.
        let fresh = stop.load(Ordering::SeqCst);
        for &i in &others {
            let tr = session.nodes[i].as_ref();
            let script = format!("touch {}", shell_quote(&stop_probes));
            let _ = if fresh {
                tr.run_fresh(&script)
            } else {
                tr.run(&script)
            };
        }
        if load.is_some() {
            ceph::stop_load(session.nodes[load_at].as_ref(), unit);
        }
        let probes: Vec<(NodeIdx, anyhow::Result<NodeProbes>)> = handles
            .into_iter()
            .map(|(i, h)| {
                (
                    i,
                    h.join()
                        .unwrap_or_else(|_| Err(anyhow!("the prober thread panicked"))),
                )
            })
            .collect();
        ceph::record(&mut r, load.map(ceph::join_load), fresh);
        (probes, reboot_at)
    });
    let interrupted = stop.load(Ordering::SeqCst);
    for (_, p) in probes.iter().filter(|_| !interrupted) {
        if let Err(e) = p {
            printer.note(format!("warning: probes: {e:#}"));
        }
    }
    if let Some(at) = reboot_at {
        let ok: Vec<(NodeIdx, &NodeProbes)> = probes
            .iter()
            .filter_map(|(i, p)| p.as_ref().ok().map(|p| (*i, p)))
            .collect();
        (r.pairs, r.routes_back) = reboot::measure(c, node, &ok, at);
        r.fault_secs = ok.iter().map(|(_, p)| p.end - at).fold(0.0, f64::max);
    }
    if interrupted && r.error.is_none() {
        r.error = Some("interrupted".into());
    }
    r
}

/// Waits for `node` to answer with a boot id other than `old`, then for
/// verify to pass; records both in `r`.
#[allow(clippy::too_many_arguments)]
fn wait_back(
    session: &Session,
    node: NodeIdx,
    old: &str,
    timeout: Duration,
    since: Instant,
    plan: &Plan,
    stop: &AtomicBool,
    printer: &Printer,
    r: &mut CaseResult,
) {
    let t = session.nodes[node].as_ref();
    let name = t.node().to_string();
    let back = loop {
        if !wait(Duration::from_secs(2), stop) {
            return;
        }
        let now = t
            .run_fresh(BOOT_ID)
            .ok()
            .filter(|o| o.status == 0)
            .map(|o| o.stdout.trim().to_string())
            .filter(|b| !b.is_empty());
        if now.is_some_and(|b| b != old) {
            break true;
        }
        if since.elapsed() >= timeout {
            break false;
        }
    };
    if !back {
        r.error = Some(format!(
            "{name} did not answer ssh with a new boot within {} s (--boot-timeout); it may still be booting: check its console",
            timeout.as_secs()
        ));
        return;
    }
    r.node_back = Some((since.elapsed().as_secs_f64() - reboot::DELAY).max(0.0));
    r.restored = true;
    printer.note(format!(
        "{name}: back after {:.0} s; verify until it passes (at most {} s)",
        since.elapsed().as_secs_f64(),
        timeout.as_secs()
    ));
    let (ok, after) = verify_again(session, plan.mesh_only, timeout, stop, printer);
    r.verify_ok = ok;
    r.verify_after = after;
    if !ok && !stop.load(Ordering::SeqCst) {
        r.error = Some(format!(
            "{name} is back, but verify did not pass within {} s of it",
            timeout.as_secs()
        ));
    }
}
