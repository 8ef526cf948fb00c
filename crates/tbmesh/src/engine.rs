//! The apply engine: facts → plan → phases run on every node in parallel,
//! backed up, commit-confirmed, and undone when they fail.

use crate::exit::{ExitStatus, Fail};
use crate::printer::Printer;
use crate::progress::Progress;
use crate::session::Session;
use crate::transport::{is_unreachable, Transport};
use anyhow::anyhow;
use serde::Serialize;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};
use tbmesh_core::facts::Facts;
use tbmesh_core::plan::{plan_node, NodePlan, Plan};
use tbmesh_core::preflight::{self, Problem};
use tbmesh_core::render::{expected_addresses, render_node, Phase, RenderOptions};
use tbmesh_core::script::{self, PhaseRun, MARK_DONE, MARK_FILE, MARK_STEP};

/// The phases this engine applies (Ceph and tuning come later).
pub const MESH_PHASES: [Phase; 3] = [Phase::Links, Phase::Network, Phase::Fabric];

/// Phases whose changes can cut a node off: commit-confirmed (links can
/// rename a NIC live, network and fabric change addresses and routes).
fn confirmed(phase: Phase) -> bool {
    matches!(phase, Phase::Links | Phase::Network | Phase::Fabric)
}

/// Facts, problems and plan of the whole cluster.
pub struct Prepared {
    pub facts: Vec<Facts>,
    pub problems: Vec<Problem>,
    pub plan: Plan,
    /// The outputs of [`Extra::parts`], per node, by name.
    pub extra: Vec<BTreeMap<String, String>>,
}

/// What else to do in the facts' round trip.
#[derive(Default)]
pub struct Extra<'a> {
    /// Roll back interrupted applies first (before the facts are read), reporting here.
    pub recover: Option<&'a Progress>,
    /// More files to read into the facts, on every node.
    pub paths: Vec<String>,
    /// More scripts per node (name, script), run after the facts.
    pub parts: Vec<Vec<(String, String)>>,
}

/// Gather facts, check them, and plan; touches nothing.
pub fn prepare(session: &Session, phases: &[Phase], printer: &Printer) -> Result<Prepared, Fail> {
    prepare_with(session, phases, printer, Extra::default())
}

/// [`prepare`], with more done in the same round trip per node.
pub fn prepare_with(
    session: &Session,
    phases: &[Phase],
    printer: &Printer,
    extra: Extra,
) -> Result<Prepared, Fail> {
    let c = &session.loaded.cluster;
    // First render with defaults only to learn which files to read.
    let paths: Vec<Vec<String>> = (0..c.nodes().len())
        .map(|i| {
            let r = render_node(c, i, &RenderOptions::default());
            let mut p: BTreeSet<String> = r.files.iter().map(|f| f.path.clone()).collect();
            p.extend(r.edits.iter().map(|e| e.path.clone()));
            p.extend(extra.paths.iter().cloned());
            p.into_iter().collect()
        })
        .collect();
    let parts: Vec<Vec<(String, String)>> = (0..c.nodes().len())
        .map(|i| {
            let mut v = extra.parts.get(i).cloned().unwrap_or_default();
            if extra.recover.is_some() {
                v.insert(0, ("recover".into(), script::recover_script()));
            }
            v
        })
        .collect();
    let (facts, outputs) = session.gather_with(&paths, &parts, printer)?;
    if let Some(progress) = extra.recover {
        for (i, o) in outputs.iter().enumerate() {
            recovered(
                c.node_name(i),
                o.get("recover").map_or("", String::as_str),
                progress,
            )?;
        }
    }
    let mut problems = vec![];
    let mut nodes = vec![];
    for (i, f) in facts.iter().enumerate() {
        problems.extend(preflight::check(c, i, f));
        let desired = render_node(c, i, &RenderOptions::from_facts(f));
        nodes.push(plan_node(c.node_name(i), &desired, f));
    }
    let plan = Plan { nodes }.only(if phases.is_empty() {
        &MESH_PHASES
    } else {
        phases
    });
    Ok(Prepared {
        facts,
        problems,
        plan,
        extra: outputs,
    })
}

/// Print preflight problems; fail if any is an error.
pub fn report_problems(problems: &[Problem], printer: &Printer) -> Result<(), Fail> {
    for p in problems {
        let kind = if p.error { "error" } else { "warning" };
        printer.note(format!(
            "{kind}: {}: {}\nhint: {}",
            p.node, p.message, p.hint
        ));
    }
    let n = problems.iter().filter(|p| p.error).count();
    if n > 0 {
        return Err(Fail::failure(anyhow!(
            "preflight found {n} problem(s); nothing was changed"
        )));
    }
    Ok(())
}

/// Report what the recovery script (roll back applies that an interrupted
/// tbmesh left unconfirmed, before anything else is read) did on `node`.
fn recovered(node: &str, out: &str, progress: &Progress) -> Result<(), Fail> {
    for l in out.lines() {
        if let Some(id) = l.strip_prefix("recovered ") {
            progress.note(
                &format!(
                    "{node}: rolled back apply {id}, which was interrupted before it was confirmed"
                ),
                json!({"event": "recovered", "node": node, "id": id}),
            );
        } else if let Some(id) = l.strip_prefix("recover-failed ") {
            return Err(Fail::failure(anyhow!(
                "{node}: rolling back the unconfirmed apply {id} failed"
            ))
            .hint(format!(
                "look at {}/{id}/journal on {node}",
                script::BACKUPS
            )));
        }
    }
    Ok(())
}

/// A new apply id: sortable by time, unique enough for one cluster.
pub fn new_apply_id() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs();
    let (days, rem) = (secs / 86400, secs % 86400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z-{:04x}",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60,
        (now.subsec_nanos() ^ std::process::id()) & 0xffff
    )
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[derive(Debug, Clone, Serialize)]
pub struct PhaseOutcome {
    pub node: String,
    pub phase: Phase,
    pub files: usize,
    pub steps: usize,
    pub result: String,
}

pub struct ApplyOptions<'a> {
    pub id: String,
    pub confirm_secs: u32,
    /// Test-only fault injection, from TBMESH_FAULT (`break-mgmt:NODE`).
    pub fault: Option<(String, String)>,
    pub before_confirm: BeforeConfirm<'a>,
}

/// What one node did in one phase.
enum NodeResult {
    Done,
    Failed(String),
    Unreachable(String),
}

/// Run once a phase's scripts ran on every node and before they are
/// confirmed (pve-sdn mode: the API apply, after which Proxmox writes the
/// frr.conf the fabric phase's frr.conf.local is merged into).
pub type BeforeConfirm<'a> = &'a (dyn Fn(Phase) -> Result<(), String> + Sync);

/// Apply the plan, phase by phase. Returns the per-node outcomes and
/// whether everything succeeded.
pub fn apply(
    session: &Session,
    prep: &Prepared,
    opts: &ApplyOptions,
    progress: &Progress,
) -> (Vec<PhaseOutcome>, bool) {
    let c = &session.loaded.cluster;
    let mut outcomes = vec![];
    for phase in Phase::ALL {
        let busy: Vec<usize> = prep
            .plan
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.change_count(phase) > 0)
            .map(|(i, _)| i)
            .collect();
        if busy.is_empty() {
            continue;
        }
        progress.note(
            &format!("phase {phase}: {} node(s) to change", busy.len()),
            json!({"event": "phase", "phase": phase, "nodes": busy.len()}),
        );
        let confirm = confirmed(phase).then_some(opts.confirm_secs);
        let results = session.each(&busy, |i, t| {
            let np = &prep.plan.nodes[i];
            let fault = opts
                .fault
                .as_ref()
                .filter(|(_, n)| n == t.node())
                .and_then(|(kind, _)| fault_command(kind, phase, &prep.facts[i], c, i));
            run_phase(
                t,
                np,
                phase,
                &PhaseRun {
                    id: &opts.id,
                    phase: Some(phase),
                    confirm_secs: confirm,
                    fault,
                },
                progress,
            )
        });
        let mut ok = true;
        let mut done = vec![];
        for (i, r) in &results {
            let np = &prep.plan.nodes[*i];
            let result = match r {
                NodeResult::Done => {
                    done.push(*i);
                    "applied".to_string()
                }
                NodeResult::Failed(e) => {
                    ok = false;
                    format!("failed: {e}")
                }
                NodeResult::Unreachable(e) => {
                    // Its script may have run: confirm, or wait for its timer.
                    done.push(*i);
                    ok = false;
                    format!("unreachable: {e}")
                }
            };
            outcomes.push(PhaseOutcome {
                node: np.node.clone(),
                phase,
                files: np.changed_files(phase).count(),
                steps: np.steps_in(phase).count(),
                result,
            });
        }
        let mut undone_all = false;
        if ok {
            if let Err(e) = (opts.before_confirm)(phase) {
                // Nothing to confirm: undo the phase on every node now.
                ok = false;
                undone_all = true;
                let undo = session.each(&done, |_, t| {
                    matches!(t.run(&script::rollback_now_script(&opts.id)), Ok(ref o) if o.ok())
                });
                for (i, undone) in undo {
                    let name = c.node_name(i);
                    progress.report(
                        name,
                        &format!(
                            "{phase}: {}",
                            if undone {
                                "rolled back"
                            } else {
                                "rollback FAILED"
                            }
                        ),
                        json!({"event": "rolled_back", "phase": phase, "by": "tbmesh", "ok": undone, "reason": e}),
                    );
                    if let Some(o) = outcomes
                        .iter_mut()
                        .rev()
                        .find(|o| o.node == name && o.phase == phase)
                    {
                        o.result = format!("failed: {e}\n(rolled back: {undone})");
                    }
                }
            }
        }
        if confirm.is_some() && !undone_all {
            // Every node that ran the phase is confirmed or rolled back
            // (those whose phase failed were rolled back already).
            let checks = session.each(&done, |i, t| {
                confirm_node(t, c, i, phase, &opts.id, opts.confirm_secs, progress)
            });
            for (i, r) in checks {
                if let Err(e) = r {
                    ok = false;
                    let name = c.node_name(i);
                    if let Some(o) = outcomes
                        .iter_mut()
                        .rev()
                        .find(|o| o.node == name && o.phase == phase)
                    {
                        o.result = e;
                    }
                }
            }
        }
        if !ok {
            progress.note(
                &format!("phase {phase} failed; later phases were not run"),
                json!({"event": "stopped", "phase": phase}),
            );
            return (outcomes, false);
        }
    }
    (outcomes, true)
}

fn run_phase(
    t: &dyn Transport,
    np: &NodePlan,
    phase: Phase,
    run: &PhaseRun,
    progress: &Progress,
) -> NodeResult {
    let files: Vec<_> = np.changed_files(phase).collect();
    let steps: Vec<_> = np.steps_in(phase).collect();
    progress.report(
        t.node(),
        &format!(
            "{phase}: writing {} file(s), {} command(s)",
            files.len(),
            steps.len()
        ),
        json!({"event": "start", "phase": phase}),
    );
    let out = match t.run(&script::phase_script(run, &files, &steps)) {
        Ok(o) => o,
        Err(e) if is_unreachable(&e) => {
            progress.report(
                t.node(),
                &format!("{phase}: lost the connection"),
                json!({"event": "unreachable", "phase": phase, "error": format!("{e:#}")}),
            );
            return NodeResult::Unreachable(format!("{e:#}"));
        }
        Err(e) => return NodeResult::Failed(format!("{e:#}")),
    };
    let written = out
        .stdout
        .lines()
        .filter(|l| l.starts_with(MARK_FILE))
        .count();
    let mut failed_step = None;
    for l in out.stdout.lines().filter_map(|l| l.strip_prefix(MARK_STEP)) {
        let mut p = l.split_whitespace();
        if let (Some(n), Some(rc)) = (p.next().and_then(|n| n.parse::<usize>().ok()), p.next()) {
            if rc != "0" {
                failed_step = steps
                    .get(n)
                    .map(|s| format!("`{}` exited with {rc}", s.command));
            }
        }
    }
    if out.ok() && out.stdout.lines().any(|l| l == MARK_DONE) {
        progress.report(
            t.node(),
            &format!(
                "{phase}: wrote {written} file(s), ran {} command(s)",
                steps.len()
            ),
            json!({"event": "done", "phase": phase, "files": written, "steps": steps.len()}),
        );
        return NodeResult::Done;
    }
    let detail: String = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("    "))
        .chain(out.stderr.lines())
        .collect::<Vec<_>>()
        .join("\n");
    let why = failed_step.unwrap_or_else(|| format!("the phase script exited with {}", out.status));
    let msg = if detail.is_empty() {
        why
    } else {
        format!("{why}:\n{detail}")
    };
    if run.confirm_secs.is_some() {
        // Undo this node's apply now rather than wait for its timer.
        let rb = t.run(&script::rollback_now_script(run.id));
        let undone = matches!(rb, Ok(ref o) if o.ok());
        progress.report(
            t.node(),
            &format!(
                "{phase}: failed, {}",
                if undone {
                    "rolled back"
                } else {
                    "rollback FAILED"
                }
            ),
            json!({"event": "failed", "phase": phase, "rolled_back": undone, "error": msg}),
        );
        return NodeResult::Failed(format!("{msg}\n(rolled back: {undone})"));
    }
    progress.report(
        t.node(),
        &format!("{phase}: failed"),
        json!({"event": "failed", "phase": phase, "error": msg}),
    );
    NodeResult::Failed(msg)
}

/// After a confirmed phase: reconnect over a new connection, check the
/// mesh, and confirm; or roll back; or, when the node can't be reached,
/// wait for its timer to roll it back and check it did.
fn confirm_node(
    t: &dyn Transport,
    c: &tbmesh_core::Cluster,
    i: usize,
    phase: Phase,
    id: &str,
    confirm_secs: u32,
    progress: &Progress,
) -> Result<(), String> {
    let started = Instant::now();
    // Leave a margin so tbmesh decides before the timer does.
    let budget = Duration::from_secs(u64::from(confirm_secs.saturating_sub(15).max(5)));
    // A node whose timer already fired is not confirmed, whatever its state.
    let check = format!(
        "if [ -e {b}/{id}/rolled-back ]; then if grep -q '^rolled back at boot' {b}/{id}/journal; then echo rolled-back-at-boot; else echo rolled-back; fi; exit 2; fi\n{}",
        mesh_check_script(c, i, phase),
        b = script::BACKUPS,
    );
    let mut last;
    loop {
        match t.run_fresh(&check) {
            Ok(o) if o.status == 2 && o.stdout.trim().starts_with("rolled-back") => {
                let at_boot = o.stdout.trim() == "rolled-back-at-boot";
                let (how, by) = if at_boot {
                    (
                        "rolled back at boot (it restarted before it was confirmed)",
                        "boot",
                    )
                } else {
                    ("rolled back by its commit-confirm timer", "timer")
                };
                progress.report(
                    t.node(),
                    &format!("{phase}: {how}"),
                    json!({"event": "rolled_back", "phase": phase, "by": by, "ok": true}),
                );
                return Err(format!("not confirmed in time: the node {how}"));
            }
            Ok(o) if o.ok() => {
                return match t.run_fresh(&script::confirm_script(id, phase)) {
                    Ok(o) if o.ok() => {
                        progress.report(
                            t.node(),
                            &format!(
                                "{phase}: confirmed ({:.1} s)",
                                started.elapsed().as_secs_f64()
                            ),
                            json!({"event": "confirmed", "phase": phase}),
                        );
                        Ok(())
                    }
                    Ok(o) => Err(format!(
                        "could not confirm: {}{}",
                        o.stdout.trim(),
                        o.stderr.trim()
                    )),
                    Err(e) => Err(format!("could not confirm: {e:#}")),
                };
            }
            Ok(o) => last = format!("{}{}", o.stdout.trim(), o.stderr.trim()),
            Err(e) => last = format!("{e:#}"),
        }
        if started.elapsed() >= budget {
            break;
        }
        std::thread::sleep(Duration::from_secs(2));
    }
    // Not confirmed: roll back now if we can talk to the node.
    if let Ok(o) = t.run_fresh(&script::rollback_now_script(id)) {
        let how = if o.ok() {
            "rolled back"
        } else {
            "rollback FAILED"
        };
        progress.report(t.node(), &format!("{phase}: not confirmed ({last}); {how}"), json!({"event": "rolled_back", "phase": phase, "by": "tbmesh", "ok": o.ok(), "reason": last}));
        return Err(format!("not confirmed: {last}; {how}"));
    }
    // Unreachable: the node's own timer restores it. Wait for that, then look.
    progress.report(
        t.node(),
        &format!("{phase}: unreachable; waiting for its commit-confirm timer"),
        json!({"event": "waiting_for_timer", "phase": phase, "reason": last}),
    );
    let deadline = Instant::now() + Duration::from_secs(u64::from(confirm_secs) + 90);
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_secs(3));
        // The timer, or the boot unit when the node restarted meanwhile
        // (a transient timer dies with the boot; the pending marker stays).
        if let Ok(o) = t.run_fresh(&format!(
            "test -e {b}/{id}/rolled-back || exit 0; if grep -q '^rolled back at boot' {b}/{id}/journal; then echo rolled-back-at-boot; else echo rolled-back; fi",
            b = script::BACKUPS
        )) {
            let by = match o.stdout.trim() {
                "rolled-back" => "timer",
                "rolled-back-at-boot" => "boot",
                _ => continue,
            };
            let how = if by == "boot" {
                "rolled back at boot (it restarted before it was confirmed)"
            } else {
                "rolled back by its timer"
            };
            progress.report(t.node(), &format!("{phase}: {how}"), json!({"event": "rolled_back", "phase": phase, "by": by, "ok": true, "reason": last}));
            return Err(format!("not confirmed ({last}); the node {how}"));
        }
    }
    Err(format!(
        "not confirmed ({last}) and still unreachable after its timer: check the node's console"
    ))
}

/// A script that succeeds when the node's part of the mesh is up after `phase`.
pub fn mesh_check_script(c: &tbmesh_core::Cluster, i: usize, phase: Phase) -> String {
    let mut s = String::from("set -u\nfail=0\n");
    if phase == Phase::Links {
        // Answering over a new connection is the check: ports get their
        // MTU and addresses in the network phase.
        s.push_str("exit 0\n");
        return s;
    }
    let mtu = c.spec.fabric.mtu.value;
    for p in &c.nodes()[i].ports {
        s.push_str(&format!(
            "ip -o link show dev {0} 2>/dev/null | grep -q ' mtu {mtu} ' || {{ echo '{0} is not at MTU {mtu}'; fail=1; }}\n",
            p.name
        ));
    }
    // pve-sdn: the port addresses come from Proxmox's interfaces.d/sdn,
    // written only once the fabric is applied through the API.
    let addresses_now =
        phase == Phase::Fabric || c.spec.fabric.mode.value != tbmesh_core::spec::FabricMode::PveSdn;
    for (port, addrs) in expected_addresses(c, i)
        .into_iter()
        .filter(|_| addresses_now)
    {
        for a in addrs {
            s.push_str(&format!("ip -o -4 addr show dev {port} 2>/dev/null | grep -qF ' {a} ' || {{ echo 'no {a} on {port}'; fail=1; }}\n"));
        }
    }
    if phase == Phase::Fabric {
        // The main router addresses: IPv4, or IPv6 on an IPv6-only fabric
        // (iputils ping picks the family from the address).
        let own = c.router_addr(i);
        for (j, ip) in c.router_addrs().iter().enumerate() {
            if j != i {
                s.push_str(&format!("ping -c 1 -W 1 -I {own} {ip} >/dev/null 2>&1 || {{ echo 'no route to {} ({ip})'; fail=1; }}\n", c.node_name(j)));
            }
        }
    }
    s.push_str("exit $fail\n");
    s
}

/// Test-only faults (TBMESH_FAULT): commands that break a node on purpose.
fn fault_command(
    kind: &str,
    phase: Phase,
    facts: &Facts,
    c: &tbmesh_core::Cluster,
    i: usize,
) -> Option<String> {
    match (kind, phase) {
        // Take the management interface down through tbmesh's own file,
        // the way a bad stanza would; the rollback restores the file.
        ("break-mgmt", Phase::Network) => {
            let ip = c.nodes()[i].host.addr.parse().ok()?;
            let mgmt = facts.interface_with(ip)?;
            Some(format!(
                "printf '\\nauto {0}\\niface {0}\\n\\tlink-down yes\\n' >> /etc/network/interfaces.d/tbmesh",
                mgmt.name
            ))
        }
        _ => None,
    }
}

/// Parse TBMESH_FAULT=`kind:node`.
pub fn fault_from_env() -> Result<Option<(String, String)>, Fail> {
    match std::env::var("TBMESH_FAULT") {
        Err(_) => Ok(None),
        Ok(v) => match v.split_once(':') {
            Some(("break-mgmt", node)) => Ok(Some(("break-mgmt".into(), node.into()))),
            _ => Err(Fail::bad_input(anyhow!(
                "TBMESH_FAULT={v:?} is not `break-mgmt:NODE`"
            ))),
        },
    }
}

pub fn exit_for(ok: bool) -> ExitStatus {
    if ok {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    }
}
