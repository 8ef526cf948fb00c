//! `tbmesh failover-test`: one fault at a time on the fabric's cables,
//! every node probing every other router address every 10 ms meanwhile;
//! the longest gap per pair and direction, then restore and verify.
//!
//! Safety: verify must pass before anything is faulted; no port that
//! carries tbmesh's own management connection is faulted; each fault is
//! armed on its node with a transient systemd timer that removes it after
//! `--max-fault-secs` whatever happens to tbmesh; Ctrl-C removes the fault
//! before tbmesh exits. The scripts and the arithmetic are in
//! tbmesh_core::failover.
//!
//! `--reboot NODE` (in [`reboot`]) reboots one node instead, while the
//! others probe; `--ceph` (in [`ceph`]) runs a Ceph client load on a
//! temporary pool during each case.

mod ceph;
mod reboot;

use crate::commands::verify;
use crate::exit::{CmdResult, ExitStatus, Fail};
use crate::printer::{Printer, Table};
use crate::session::{HostOptions, Session};
use crate::specfile;
use crate::transport::Transport;
use anyhow::anyhow;
use serde_json::json;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};
use tbmesh_core::failover::fault::{self, Said};
use tbmesh_core::failover::gaps::{self, Window};
use tbmesh_core::failover::probe::{self, NodeProbes};
use tbmesh_core::failover::table::{self, CaseResult, PairResult};
use tbmesh_core::failover::{faults, Fault, FaultKind};
use tbmesh_core::Cluster;

/// Seconds of probing before a fault: the baseline (and ssh start-up).
pub(crate) const LEAD_SECS: u32 = 3;
/// How long verify may take to pass again after a restore.
const VERIFY_WITHIN: Duration = Duration::from_secs(90);

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KindArg {
    Down,
    Silent,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only this cable, named by one of its ends (down is injected there)
    #[arg(long, value_name = "NODE:PORT")]
    pub link: Option<String>,
    /// Only these fault kinds (repeatable) [default: down and silent]
    #[arg(long = "kind", value_enum, value_name = "KIND")]
    pub kinds: Vec<KindArg>,
    /// Seconds each fault stays in place [default: 10, at most max-fault-secs - 5]
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=595), value_name = "SECS")]
    pub fault_secs: Option<u32>,
    /// The node removes a fault by itself after this many seconds, even if
    /// tbmesh or the management network is gone
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(6..=600), value_name = "SECS")]
    pub max_fault_secs: u32,
    /// Seconds of probing after each restore (to see the cable back in use)
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=120), value_name = "SECS")]
    pub after_secs: u32,
    /// Gate on the mesh only, not Ceph's health and PGs (which are checked
    /// before and after each fault when the spec has [ceph])
    #[arg(long)]
    pub mesh: bool,
    /// Instead of cable faults: reboot NODE (a clean `systemctl reboot`)
    /// while the other nodes probe; wait until it is back and verified
    #[arg(long, value_name = "NODE", conflicts_with_all = ["link", "kinds", "fault_secs", "max_fault_secs", "after_secs"])]
    pub reboot: Option<String>,
    /// With --reboot: seconds the node may take to answer ssh again, and
    /// then verify (and PGs active+clean) to pass
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u32).range(10..=3600), value_name = "SECS")]
    pub boot_timeout: u32,
    /// Also a Ceph client load during each case (rados bench writes of 4 KiB
    /// on a temporary pool, from a node that is not faulted): the longest
    /// stall per case
    #[arg(long)]
    pub ceph: bool,
}

pub fn run(spec: Option<&Path>, args: &Args, host: &HostOptions, printer: &Printer) -> CmdResult {
    let loaded = specfile::load(spec, printer)?;
    let c = &loaded.cluster;
    if c.ipv6_only() {
        return Err(Fail::bad_input(anyhow!(
            "{}: failover-test probes between IPv4 router addresses, and this fabric is IPv6-only (prefix6 without prefix); failover-test does not support IPv6-only fabrics yet",
            loaded.path.display()
        ))
        .hint("add an IPv4 prefix = \"10.100.0.0/24\" to [fabric] (dual stack) to test failover; `tbmesh verify` checks an IPv6-only mesh"));
    }
    let fault_secs = args.fault_secs.unwrap_or(10.min(args.max_fault_secs - 5));
    if fault_secs + 5 > args.max_fault_secs {
        return Err(Fail::bad_input(anyhow!(
            "--fault-secs {fault_secs} leaves less than 5 s before the node's safety timer (--max-fault-secs {}) would remove the fault",
            args.max_fault_secs
        ))
        .hint(format!(
            "use --fault-secs {} or less, or raise --max-fault-secs",
            args.max_fault_secs - 5
        )));
    }
    let only = match &args.link {
        None => None,
        Some(l) => Some(l.split_once(':').ok_or_else(|| {
            Fail::bad_input(anyhow!("--link {l}: expected NODE:PORT, e.g. n2:en05"))
        })?),
    };
    let kinds: Vec<FaultKind> = if args.kinds.is_empty() {
        vec![FaultKind::Down, FaultKind::Silent]
    } else {
        args.kinds
            .iter()
            .map(|k| match k {
                KindArg::Down => FaultKind::Down,
                KindArg::Silent => FaultKind::Silent,
            })
            .collect()
    };
    if args.ceph && c.spec.ceph.is_none() {
        return Err(Fail::bad_input(anyhow!(
            "--ceph: the spec has no [ceph] section, so there is no Ceph to load"
        ))
        .hint("run without --ceph, or add [ceph] to the spec and `tbmesh apply` it first"));
    }
    let rebooted = match &args.reboot {
        None => None,
        Some(n) => Some(c.node_idx(n).ok_or_else(|| {
            let names: Vec<&str> = c.nodes().iter().map(|n| n.name.value.as_str()).collect();
            Fail::bad_input(anyhow!("--reboot {n}: no node {n:?} in the spec"))
                .hint(format!("name one node of the spec: {}", names.join(", ")))
        })?),
    };
    if rebooted.is_some() && c.nodes().len() < 2 {
        return Err(Fail::bad_input(anyhow!(
            "--reboot needs at least two nodes: the others probe while it reboots"
        )));
    }
    let list = if rebooted.is_some() {
        vec![]
    } else {
        faults(c, only, &kinds).map_err(|e| {
            Fail::bad_input(anyhow!("--link: {e}"))
                .hint("name one end of a cable of [fabric] links")
        })?
    };
    let stop = crate::signals::stop_flag()?;
    let session = Session::open(loaded, host)?;
    let c = &session.loaded.cluster;
    let mesh_only = args.mesh || c.spec.ceph.is_none();

    printer.note("failover-test: verify first (nothing is faulted unless it passes)");
    let report = verify::check(&session, mesh_only, printer)?;
    if !report.ok() {
        printer.text(verify::report_text(&report, true));
        return Err(Fail::failure(anyhow!(
            "verify fails: {} check(s); nothing was faulted",
            report.failed().count()
        ))
        .hint("run `tbmesh verify` and fix the cluster first; a failover test needs a healthy mesh (and PGs active+clean)"));
    }
    check_management(&session, &list, printer)?;

    let started = SystemTime::now();
    let run_id = crate::results::timestamp(started);
    let plan = Plan {
        fault_secs,
        max_fault_secs: args.max_fault_secs,
        after_secs: args.after_secs,
        boot_timeout: args.boot_timeout,
        mesh_only,
    };
    // --ceph: the run's pool, on a node that is not rebooted; deleted when
    // the guard is (also on an error or a panic), or below.
    let pool_node = (0..session.nodes.len())
        .find(|i| Some(*i) != rebooted)
        .unwrap_or(0);
    let mut pool = if args.ceph {
        Some(ceph::Pool::create(&session, pool_node, &run_id, printer)?)
    } else {
        None
    };
    let cx = Ctx {
        session: &session,
        plan: &plan,
        pool: pool.as_ref(),
        stop: &stop,
        printer,
    };
    let mut results = vec![];
    if let Some(node) = rebooted {
        printer.note(format!(
            "{} reboot: probing from the other nodes{}; the node may take {} s to come back, and verify as long again",
            c.node_name(node),
            if pool.is_some() { " with a Ceph load" } else { "" },
            args.boot_timeout
        ));
        let unit = fault::unit_name(&run_id, 0);
        let r = reboot::run_case(cx, node, &unit);
        printer.note(format!(
            "{} reboot: {}",
            c.node_name(node),
            match &r.error {
                Some(e) => e.clone(),
                None => format!(
                    "back after {}, routes back after {}, verify passed {} later",
                    opt_secs(r.node_back),
                    opt_secs(r.routes_back),
                    opt_secs(r.verify_after)
                ),
            }
        ));
        results.push(r);
    }
    for (n, f) in list.iter().enumerate() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        printer.note(format!(
            "[{}/{}] {} {}: probing {LEAD_SECS} s, fault {fault_secs} s (node timer {} s), then {} s",
            n + 1,
            list.len(),
            f.end_label(c),
            f.kind,
            args.max_fault_secs,
            args.after_secs
        ));
        let unit = fault::unit_name(&run_id, n);
        let mut r = run_case(cx, f, &unit);
        if r.restored && r.error.is_none() && !stop.load(Ordering::SeqCst) {
            printer.note(format!(
                "[{}/{}] restored; verify until it passes again (at most {} s)",
                n + 1,
                list.len(),
                VERIFY_WITHIN.as_secs()
            ));
            let (ok, after) = verify_again(&session, mesh_only, VERIFY_WITHIN, &stop, printer);
            r.verify_ok = ok;
            r.verify_after = after;
        }
        let broken = !r.restored || !r.verify_ok;
        printer.note(format!(
            "[{}/{}] longest gap {:.2} s; {}",
            n + 1,
            list.len(),
            r.worst(),
            if let Some(e) = &r.error {
                e.as_str()
            } else if broken {
                "NOT restored or verify fails: no further faults"
            } else {
                "restored, verify passes"
            }
        ));
        results.push(r);
        if broken {
            break;
        }
    }
    let interrupted = stop.load(Ordering::SeqCst);
    let ceph_doc = pool.as_mut().map(|p| p.delete(interrupted, printer));
    drop(pool);
    let black_holed: Vec<String> = results
        .iter()
        .flat_map(|r| {
            r.black_holed()
                .into_iter()
                .map(move |p| format!("{} {} ({} > {})", r.end, r.kind, p.from, p.to))
        })
        .collect();
    let pool_deleted = ceph_doc
        .as_ref()
        .is_none_or(|d| d["cleanup"]["pool_deleted"] == true);
    let ok = !interrupted
        && pool_deleted
        && results.len() == list.len().max(usize::from(rebooted.is_some()))
        && results.iter().all(CaseResult::ok)
        && black_holed.is_empty();
    let doc = json!({
        "time": run_id,
        "tbmesh_version": env!("CARGO_PKG_VERSION"),
        "cluster": c.spec.cluster.name.value,
        "ok": ok,
        "interrupted": interrupted,
        "probe_interval": probe::INTERVAL,
        "fault_secs": fault_secs,
        "max_fault_secs": args.max_fault_secs,
        "after_secs": args.after_secs,
        "reboot": args.reboot,
        "boot_timeout": rebooted.map(|_| args.boot_timeout),
        "ceph": ceph_doc,
        "black_holed": black_holed,
        "cases": results,
    });
    let saved = crate::results::save(&c.spec.cluster.name.value, "failover", &doc);
    if printer.json {
        printer.json(&doc);
    } else {
        let mut t = Table::new(table::HEADER);
        for r in &results {
            for row in table::rows(r) {
                t.row(row);
            }
        }
        printer.text(t.render());
        for b in &black_holed {
            printer.line(format!(
                "black hole: {b}: no traffic from the fault until it was removed"
            ));
        }
    }
    match saved {
        Ok(p) => printer.note(format!("results saved to {}", p.display())),
        Err(e) => printer.note(format!("warning: results not saved: {e:#}")),
    }
    if interrupted {
        return Err(Fail::failure(anyhow!(
            "interrupted; the fault in place was removed"
        )));
    }
    Ok(if ok {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

pub(crate) struct Plan {
    fault_secs: u32,
    max_fault_secs: u32,
    after_secs: u32,
    /// --reboot: bound of the wait for the node, and of verify after.
    boot_timeout: u32,
    mesh_only: bool,
}

fn opt_secs(s: Option<f64>) -> String {
    s.map_or_else(|| "-".into(), |s| format!("{s:.1} s"))
}

/// Refuse (nothing faulted) if any end of a cable to be faulted carries
/// tbmesh's management connection to its node.
fn check_management(session: &Session, list: &[Fault], printer: &Printer) -> Result<(), Fail> {
    let ports: Vec<Vec<&str>> = (0..session.nodes.len())
        .map(|i| {
            let mut v: Vec<&str> = list
                .iter()
                .flat_map(|f| [(f.node, &f.port), (f.peer, &f.peer_port)])
                .filter(|(n, _)| *n == i)
                .map(|(_, p)| p.as_str())
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        })
        .collect();
    let said = session.on_all(printer, |i, t| {
        let out = t.run(&fault::mgmt_check_script(&ports[i]))?;
        Ok(fault::parse_said(&out.stdout))
    })?;
    let used: Vec<String> = said
        .iter()
        .enumerate()
        .flat_map(|(i, s)| {
            s.mgmt
                .iter()
                .map(move |(p, why)| format!("{}:{p}: {why}", session.nodes[i].node()))
        })
        .collect();
    if used.is_empty() {
        return Ok(());
    }
    Err(Fail::failure(anyhow!(
        "refusing to fault a port that management traffic uses; nothing was faulted:\n  {}",
        used.join("\n  ")
    ))
    .hint("test the other cables with --link NODE:PORT, or reach the nodes over another network"))
}

/// Sleep until `d` has passed; false if told to stop first.
fn wait(d: Duration, stop: &AtomicBool) -> bool {
    let until = Instant::now() + d;
    loop {
        if stop.load(Ordering::SeqCst) {
            return false;
        }
        let now = Instant::now();
        if now >= until {
            return true;
        }
        std::thread::sleep((until - now).min(Duration::from_millis(50)));
    }
}

/// What every case runs with.
#[derive(Clone, Copy)]
pub(crate) struct Ctx<'a> {
    session: &'a Session,
    plan: &'a Plan,
    /// `--ceph`: the run's pool.
    pool: Option<&'a ceph::Pool<'a>>,
    stop: &'a AtomicBool,
    printer: &'a Printer,
}

type Parts<'a> = (
    &'a Session,
    &'a Plan,
    Option<&'a ceph::Pool<'a>>,
    &'a AtomicBool,
    &'a Printer,
);

impl<'a> Ctx<'a> {
    fn parts(self) -> Parts<'a> {
        (self.session, self.plan, self.pool, self.stop, self.printer)
    }
}

/// One fault: probes on every node, the fault in the middle, restore.
fn run_case(cx: Ctx<'_>, f: &Fault, unit: &str) -> CaseResult {
    let (session, plan, pool, stop, printer) = cx.parts();
    let c = &session.loaded.cluster;
    let mut r = CaseResult::new(
        f.link_label(c),
        f.kind.as_str(),
        f.end_label(c),
        f64::from(plan.fault_secs),
    );
    let probe_secs = LEAD_SECS + plan.fault_secs + plan.after_secs + 1;
    let node = session.nodes[f.at().0].as_ref();
    let load_at = ceph::load_node(session.nodes.len(), &[f.node, f.peer], f.at().0);
    let (probes, fault_at, restore, ceph_load) = std::thread::scope(|s| {
        let load = pool.map(|p| {
            ceph::start_load(
                s,
                session.nodes[load_at].as_ref(),
                p,
                probe_secs - 1,
                &ceph::load_stop_file(unit),
            )
        });
        let handles: Vec<_> = session
            .all()
            .into_iter()
            .map(|i| {
                let t = session.nodes[i].as_ref();
                let script = probe::probe_script(c, i, probe_secs);
                s.spawn(move || -> anyhow::Result<NodeProbes> {
                    let out = t.run(&script)?;
                    probe::parse_probes(&out.stdout)
                        .map_err(|e| anyhow!("{}: {e}\n{}", t.node(), out.stderr.trim()))
                })
            })
            .collect();
        let mut fault_at = None;
        let mut restore = None;
        if wait(Duration::from_secs(u64::from(LEAD_SECS)), stop) {
            match inject(node, f, unit, plan.max_fault_secs) {
                Ok(at) => {
                    fault_at = Some(at);
                    wait(Duration::from_secs(u64::from(plan.fault_secs)), stop);
                    restore = Some(remove(node, f, unit, stop.load(Ordering::SeqCst)));
                }
                Err(Injected::Refused(e)) => r.error = Some(format!("{e:#}")),
                Err(Injected::Unknown(e)) => {
                    // The script may have run: remove whatever it did.
                    r.error = Some(format!("{e:#}"));
                    restore = Some(remove(node, f, unit, true));
                }
            }
        }
        if stop.load(Ordering::SeqCst) && load.is_some() {
            ceph::stop_load(session.nodes[load_at].as_ref(), unit);
        }
        let probes: Vec<anyhow::Result<NodeProbes>> = handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow!("the prober thread panicked")))
            })
            .collect();
        let ceph_load = load.map(ceph::join_load);
        (probes, fault_at, restore, ceph_load)
    });
    ceph::record(&mut r, ceph_load, stop.load(Ordering::SeqCst));
    match restore {
        Some(Ok(said)) => {
            r.restored = said.gone == Some(true);
            if let (Some(f_at), Some(r_at)) = (fault_at, said.at) {
                r.pairs = pairs(c, f, &probes, f_at, r_at);
            }
        }
        Some(Err(e)) => {
            r.error = Some(format!(
                "removing the fault: {e:#} (the node's timer removes it within {} s)",
                plan.max_fault_secs
            ))
        }
        // Nothing was put in place.
        None => r.restored = true,
    }
    if stop.load(Ordering::SeqCst) && r.error.is_none() {
        r.error = Some(if r.restored {
            "interrupted; the fault was removed".into()
        } else {
            "interrupted".into()
        });
    }
    // An interrupt also ends the probes' ssh sessions: nothing to warn about.
    let interrupted = stop.load(Ordering::SeqCst);
    for p in probes
        .iter()
        .filter_map(|p| p.as_ref().err())
        .filter(|_| !interrupted)
    {
        printer.note(format!("warning: probes: {p:#}"));
    }
    r
}

/// Why a fault is not in place.
enum Injected {
    /// The script changed nothing (or undid its change itself).
    Refused(anyhow::Error),
    /// It may be in place: the connection failed, or the script did not finish.
    Unknown(anyhow::Error),
}

fn inject(t: &dyn Transport, f: &Fault, unit: &str, max_secs: u32) -> Result<f64, Injected> {
    let out = t
        .run(&fault::inject_script(f, unit, max_secs))
        .map_err(Injected::Unknown)?;
    let said: Said = fault::parse_said(&out.stdout);
    if let Some(why) = said.refused.or(said.failed) {
        return Err(Injected::Refused(anyhow!("{}: {why}", t.node())));
    }
    said.at.ok_or_else(|| {
        Injected::Unknown(anyhow!(
            "{}: the fault script did not finish (status {}): {}",
            t.node(),
            out.status,
            out.stderr.trim()
        ))
    })
}

/// Remove the fault; after a signal over a new connection (the shared one
/// may have gone with the signal).
fn remove(t: &dyn Transport, f: &Fault, unit: &str, fresh: bool) -> anyhow::Result<Said> {
    let script = fault::restore_script(f, unit);
    let out = if fresh {
        t.run_fresh(&script)?
    } else {
        t.run(&script)?
    };
    Ok(fault::parse_said(&out.stdout))
}

/// Every node's streams measured against the fault's moments.
fn pairs(
    c: &Cluster,
    f: &Fault,
    probes: &[anyhow::Result<NodeProbes>],
    fault_at: f64,
    restore_at: f64,
) -> Vec<PairResult> {
    let mut v = vec![];
    for (i, p) in probes.iter().enumerate() {
        let Ok(p) = p else { continue };
        let w = Window {
            start: p.start,
            fault: fault_at,
            restore: restore_at,
            end: p.end,
        };
        for (j, ip) in c.router_ips.iter().enumerate() {
            let Some(s) = p.streams.get(ip).filter(|_| j != i) else {
                continue;
            };
            let ends = [f.node, f.peer];
            v.push(PairResult {
                from: c.node_name(i).to_string(),
                to: c.node_name(j).to_string(),
                on_link: ends.contains(&i) && ends.contains(&j),
                sent: s.sent,
                gaps: gaps::measure(&s.replies, &w, probe::INTERVAL),
                errors: s.errors.clone(),
            });
        }
    }
    v
}

/// Verify until it passes, at most `within`: (passed, seconds).
fn verify_again(
    session: &Session,
    mesh_only: bool,
    within: Duration,
    stop: &AtomicBool,
    printer: &Printer,
) -> (bool, Option<f64>) {
    let started = Instant::now();
    loop {
        match verify::check(session, mesh_only, printer) {
            Ok(r) if r.ok() => return (true, Some(started.elapsed().as_secs_f64())),
            Ok(r) if started.elapsed() >= within => {
                printer.text(verify::report_text(&r, true));
                return (false, None);
            }
            Ok(_) => {}
            Err(e) => {
                printer.note(format!("verify: {:#}", e.error));
                if started.elapsed() >= within {
                    return (false, None);
                }
            }
        }
        if !wait(Duration::from_secs(2), stop) {
            return (false, None);
        }
    }
}
