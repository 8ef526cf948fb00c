//! `tbmesh reboot --rolling [NODES...]`: reboot nodes one at a time, each
//! only once the cluster is whole again (writes hosts: reboots them).
//!
//! Per node: maintenance on (Ceph `noout` for its OSDs), its OSDs stopped
//! (so they are marked down at once, not after the heartbeat grace), `systemctl
//! reboot` (the ssh connection dropping is expected), wait for it to answer
//! with a new boot id, wait for verify's mesh checks to pass on every node
//! and for every PG to be active+clean with its OSDs up, maintenance off.
//! The first failure stops the run: it says which node and step, and what
//! it left (noout still set on that node, so its OSDs are not marked out).

use super::{maintenance, verify};
use crate::exit::{CmdResult, ExitStatus, Fail};
use crate::printer::Printer;
use crate::session::{HostOptions, Session};
use crate::specfile;
use anyhow::anyhow;
use serde::Serialize;
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};
use tbmesh_core::ceph::state::{self, CephState};

const BOOT_ID: &str = "cat /proc/sys/kernel/random/boot_id";
/// Polling interval of every wait.
const POLL: Duration = Duration::from_secs(3);

pub struct Options {
    pub nodes: Vec<String>,
    /// Seconds each wait (back up, mesh verified, PGs clean) may take.
    pub timeout: u32,
}

#[derive(Debug, Clone, Serialize)]
struct NodeResult {
    node: String,
    /// `rebooted`, `failed` or `not started`.
    result: &'static str,
    seconds: f64,
}

#[derive(Debug, Clone, Serialize)]
struct Stopped {
    node: String,
    step: &'static str,
    error: String,
    /// Nodes left with noout set.
    noout_left: Vec<String>,
}

pub fn run(
    spec: Option<&Path>,
    opts: &Options,
    host: &HostOptions,
    printer: &Printer,
) -> CmdResult {
    let loaded = specfile::load(spec, printer)?;
    let c = &loaded.cluster;
    let names: Vec<String> = c.nodes().iter().map(|n| n.name.value.clone()).collect();
    let order = if opts.nodes.is_empty() {
        names.clone()
    } else {
        opts.nodes.clone()
    };
    for n in &order {
        if !names.contains(n) {
            return Err(Fail::bad_input(anyhow!("no node {n:?} in the spec"))
                .hint(format!("name nodes of the spec: {}", names.join(", "))));
        }
    }
    if order
        .iter()
        .enumerate()
        .any(|(i, n)| order[..i].contains(n))
    {
        return Err(
            Fail::bad_input(anyhow!("a node is named twice: {}", order.join(" ")))
                .hint("name each node once; they are rebooted in the order given"),
        );
    }
    let with_ceph = c.spec.ceph.is_some();
    let session = Session::open(loaded, host)?;
    let timeout = Duration::from_secs(u64::from(opts.timeout));
    let started = Instant::now();
    let mut results: Vec<NodeResult> = order
        .iter()
        .map(|n| NodeResult {
            node: n.clone(),
            result: "not started",
            seconds: 0.0,
        })
        .collect();
    let mut stopped = None;
    // The cluster must be whole before the first node goes down.
    if let Err(e) = ready(&session, with_ceph, None, Duration::ZERO, printer) {
        stopped = Some(Stopped {
            node: order[0].clone(),
            step: "check before the first reboot",
            error: format!("{e:#}"),
            noout_left: vec![],
        });
    }
    for (k, node) in order.iter().enumerate() {
        if stopped.is_some() {
            break;
        }
        let t0 = Instant::now();
        printer.note(format!("[{}/{}] {node}", k + 1, order.len()));
        match one(&session, node, with_ceph, timeout, printer) {
            Ok(()) => {
                results[k].result = "rebooted";
                results[k].seconds = t0.elapsed().as_secs_f64();
                printer.note(format!("{node}: done ({:.0} s)", results[k].seconds));
            }
            Err((step, e)) => {
                results[k].result = "failed";
                results[k].seconds = t0.elapsed().as_secs_f64();
                let noout_left = if with_ceph {
                    match maintenance::set(&session, node, None) {
                        Ok(m) if m.noout => vec![node.clone()],
                        Ok(_) => vec![],
                        Err(_) => vec![format!("{node} (unknown: Ceph did not answer)")],
                    }
                } else {
                    vec![]
                };
                stopped = Some(Stopped {
                    node: node.clone(),
                    step,
                    error: format!("{e:#}"),
                    noout_left,
                });
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    if printer.json {
        printer.json(&json!({
            "ok": stopped.is_none(),
            "nodes": results,
            "stopped": stopped,
            "seconds": secs,
        }));
    }
    match stopped {
        None => {
            printer.line(format!(
                "rolling reboot of {} node(s) done ({secs:.0} s)",
                order.len()
            ));
            Ok(ExitStatus::Success)
        }
        Some(s) => {
            let left: Vec<&str> = results
                .iter()
                .filter(|r| r.result == "not started")
                .map(|r| r.node.as_str())
                .collect();
            let mut hint = String::new();
            if !s.noout_left.is_empty() {
                hint.push_str(&format!(
                    "noout is still set for {}: fix the cause, then `tbmesh maintenance {} off`; ",
                    s.noout_left.join(", "),
                    s.node
                ));
            }
            if !left.is_empty() {
                hint.push_str(&format!("not rebooted: {}; ", left.join(" ")));
            }
            hint.push_str("`tbmesh status` shows the cluster now");
            Err(Fail::failure(anyhow!(
                "rolling reboot stopped at {} ({}): {}",
                s.node,
                s.step,
                s.error
            ))
            .hint(hint))
        }
    }
}

/// One node's turn; on failure the step it failed in.
fn one(
    session: &Session,
    node: &str,
    with_ceph: bool,
    timeout: Duration,
    printer: &Printer,
) -> Result<(), (&'static str, anyhow::Error)> {
    let c = &session.loaded.cluster;
    let i = c
        .node_idx(node)
        .ok_or(("start", anyhow!("no node {node}")))?;
    let t = session.nodes[i].as_ref();
    if with_ceph {
        let m =
            maintenance::set(session, node, Some(true)).map_err(|f| ("maintenance on", f.error))?;
        printer.note(maintenance::describe(&m));
        stop_osds(session, node, timeout).map_err(|e| ("stopping the node's OSDs", e))?;
        printer.note(format!("{node}: OSDs stopped and marked down"));
    }
    let step = "reboot";
    let old = t
        .run(BOOT_ID)
        .map_err(|e| (step, e))?
        .stdout
        .trim()
        .to_string();
    if old.is_empty() {
        return Err((step, anyhow!("{node} did not say its boot id")));
    }
    // From a transient unit a moment later, so ssh returns first; if the
    // connection drops anyway, the new boot id below tells.
    let _ = t.run("systemd-run --quiet --on-active=1 systemctl reboot");
    t.close();
    printer.note(format!("{node}: rebooting"));
    let step = "waiting for the node to come back";
    let back = wait(timeout, || {
        Ok(t.run_fresh(BOOT_ID)
            .is_ok_and(|o| o.status == 0 && !o.stdout.trim().is_empty() && o.stdout.trim() != old))
    })
    .map_err(|e| (step, e))?;
    if !back {
        return Err((
            step,
            anyhow!(
                "{node} did not answer with a new boot within {} s",
                timeout.as_secs()
            ),
        ));
    }
    printer.note(format!("{node}: back up, waiting for the mesh and Ceph"));
    ready(session, with_ceph, Some(node), timeout, printer)
        .map_err(|e| ("waiting for verify and active+clean PGs", e))?;
    if with_ceph {
        let m = maintenance::set(session, node, Some(false))
            .map_err(|f| ("maintenance off", f.error))?;
        printer.note(maintenance::describe(&m));
    }
    Ok(())
}

/// Stop `node`'s OSDs before the reboot: a stopping OSD tells the
/// monitors it is going down, so its PGs move to the other copies at once,
/// instead of waiting for the heartbeat grace while the node shuts down
/// (PGs whose primary was there read `stale` and stall meanwhile). Waits
/// until Ceph shows them down.
fn stop_osds(session: &Session, node: &str, timeout: Duration) -> anyhow::Result<()> {
    let c = &session.loaded.cluster;
    let i = c.node_idx(node).ok_or_else(|| anyhow!("no node {node}"))?;
    let out = session.nodes[i].run("systemctl stop ceph-osd.target 2>&1")?;
    if out.status != 0 {
        return Err(anyhow!(
            "`systemctl stop ceph-osd.target` failed ({}): {}",
            out.status,
            out.stdout.trim()
        ));
    }
    let mut up = vec![];
    let down = wait(timeout, || {
        up = maintenance::set(session, node, None)
            .map_err(|f| f.error)?
            .osds_up;
        Ok(up.is_empty())
    })?;
    if !down {
        return Err(anyhow!(
            "OSDs still up after {} s: {}",
            timeout.as_secs(),
            up.iter()
                .map(|o| format!("osd.{o}"))
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }
    Ok(())
}

/// Poll `f` until it says yes or `within` passes (once when zero).
fn wait(within: Duration, mut f: impl FnMut() -> anyhow::Result<bool>) -> anyhow::Result<bool> {
    let deadline = Instant::now() + within;
    loop {
        if f()? {
            return Ok(true);
        }
        if Instant::now() + POLL > deadline {
            return Ok(false);
        }
        std::thread::sleep(POLL);
    }
}

/// Wait until verify's mesh checks pass and (with Ceph) every PG is
/// active+clean and every OSD up (`node`'s among them); the last reason
/// why not when `within` passes.
fn ready(
    session: &Session,
    with_ceph: bool,
    node: Option<&str>,
    within: Duration,
    printer: &Printer,
) -> anyhow::Result<()> {
    let quiet = Printer { json: true };
    let mut why = String::new();
    let ok = wait(within, || {
        match verify::check(session, true, &quiet) {
            Ok(r) if r.ok() => {}
            Ok(r) => {
                let failed: Vec<String> = r
                    .failed()
                    .take(3)
                    .map(|c| format!("{} {} {}: {}", c.name, c.node, c.subject, c.detail))
                    .collect();
                why = format!(
                    "verify: {} failed: {}",
                    r.failed().count(),
                    failed.join("; ")
                );
                return Ok(false);
            }
            Err(f) => {
                why = format!("verify: {:#}", f.error);
                return Ok(false);
            }
        }
        if !with_ceph {
            return Ok(true);
        }
        match ceph_state(session) {
            Some(s) if s.all_pgs_clean() && s.osds.iter().all(|o| o.up) => Ok(true),
            Some(s) => {
                let pgs: Vec<String> = s
                    .pg_states
                    .iter()
                    .map(|(k, n)| format!("{n} {k}"))
                    .collect();
                let down: Vec<String> = s
                    .osds
                    .iter()
                    .filter(|o| !o.up)
                    .map(|o| format!("osd.{}", o.id))
                    .collect();
                why = format!(
                    "ceph: pgs {}{}",
                    pgs.join(", "),
                    if down.is_empty() {
                        String::new()
                    } else {
                        format!("; down: {}", down.join(" "))
                    }
                );
                Ok(false)
            }
            None => {
                why = "ceph: no node could read Ceph's state".into();
                Ok(false)
            }
        }
    })?;
    if ok {
        if let Some(n) = node {
            printer.note(format!("{n}: mesh verified, PGs active+clean"));
        }
        Ok(())
    } else {
        Err(anyhow!("{why}"))
    }
}

/// Ceph's state from the first node that can read it.
fn ceph_state(session: &Session) -> Option<CephState> {
    session
        .nodes
        .iter()
        .find_map(|t| state::parse_state(&t.run(&state::state_script()).ok()?.stdout).ok()?)
}
