//! The Ceph and tune phases on the cluster: the gate (the mesh must verify
//! first), facts about Ceph and the OSD devices, the plan from
//! `tbmesh_core::ceph`, and its steps run in order. Keyrings are carried
//! from node to node inside scripts and never printed or logged.

use crate::exit::{ExitStatus, Fail};
use crate::printer::Printer;
use crate::progress::Progress;
use crate::session::Session;
use crate::transport::Transport;
use anyhow::anyhow;
use serde_json::json;
use std::time::Instant;
use tbmesh_core::ceph::plan::{self as cplan, NodeCeph, PLAIN_PACKAGES};
use tbmesh_core::ceph::state::{self, CephState, ConfigEntry};
use tbmesh_core::ceph::tune::{tune_node, ConfigValue, NodeTune, TuneFile};
use tbmesh_core::ceph::{conf, disks, keys, Backend, CephPlan, StepKind};
use tbmesh_core::facts::{Facts, FileState};
use tbmesh_core::render::Phase;
use tbmesh_core::shell::shell_quote;
use tbmesh_core::Cluster;

/// The Ceph phases asked for: with `[ceph]` in the spec, both by default.
pub fn wanted(c: &Cluster, phases: &[Phase]) -> Vec<Phase> {
    if c.spec.ceph.is_none() {
        return vec![];
    }
    [Phase::Ceph, Phase::Tune]
        .into_iter()
        .filter(|p| phases.is_empty() || phases.contains(p))
        .collect()
}

/// Every node reaches every router address with full-MTU DF pings.
fn gate_script(c: &Cluster, i: usize) -> String {
    // Ceph's addresses: IPv4 (28 header bytes) or IPv6 (48).
    let header = if c.ceph_ipv6() { 48 } else { 28 };
    let size = c.spec.fabric.mtu.value.saturating_sub(header);
    let own = c.ceph_addr(i);
    let mut s = String::from("fail=0\n");
    for j in 0..c.nodes().len() {
        let ip = c.ceph_addr(j);
        if j != i {
            s.push_str(&format!(
                "ok=0; for t in 1 2 3 4 5; do ping -M do -s {size} -c 1 -W 1 -I {own} {ip} >/dev/null 2>&1 && {{ ok=1; break; }}; sleep 1; done; [ $ok = 1 ] || {{ echo '{} ({ip}) not reachable with {size}-byte DF pings'; fail=1; }}\n",
                c.node_name(j)
            ));
        }
    }
    s.push_str("exit $fail\n");
    s
}

/// The gate: nothing Ceph happens until the mesh verifies.
pub fn gate(session: &Session, progress: &Progress) -> Result<(), Fail> {
    let c = &session.loaded.cluster;
    let mut bad = vec![];
    for (i, r) in session.each(&session.all(), |i, t| t.run(&gate_script(c, i))) {
        let out = r.map_err(Fail::from_host)?;
        if !out.ok() {
            bad.push(format!(
                "{}: {}",
                c.node_name(i),
                out.stdout.trim().replace('\n', "; ")
            ));
        }
    }
    if !bad.is_empty() {
        return Err(Fail::failure(anyhow!(
            "the mesh does not verify, so the Ceph phase did not start (nothing Ceph was touched):\n  {}",
            bad.join("\n  ")
        ))
        .hint("run `tbmesh apply --phase links --phase network --phase fabric` and `tbmesh verify`"));
    }
    progress.note(
        "gate: every node reaches every router address at full MTU with DF set",
        json!({"event": "gate", "ok": true}),
    );
    Ok(())
}

fn node_script(c: &Cluster, i: usize) -> String {
    let name = shell_quote(c.node_name(i));
    let devs: Vec<String> = c.nodes()[i]
        .osd_devices
        .iter()
        .map(|d| d.value.clone())
        .collect();
    let mut s = format!(
        "echo '@@n conf'; if [ -f /etc/pve/ceph.conf ]; then base64 -w0 /etc/pve/ceph.conf; elif [ -f /etc/ceph/ceph.conf ]; then base64 -w0 /etc/ceph/ceph.conf; fi; echo\n\
         echo '@@n flags'\n\
         [ -f {k0} ] && [ -f {k1} ] && echo keys\n\
         [ -f {bs}/monmap ] && [ -f {bs}/mon.keyring ] && echo bootstrap\n\
         [ -f /var/lib/ceph/mon/ceph-{name}/keyring ] && echo mon\n\
         [ -f /var/lib/ceph/mgr/ceph-{name}/keyring ] && echo mgr\n\
         echo '@@n disks'\n",
        k0 = cplan::NODE_KEYRINGS[0],
        k1 = cplan::NODE_KEYRINGS[1],
        bs = cplan::BOOTSTRAP_DIR,
    );
    s.push_str(&disks::disk_script(&devs));
    s
}

/// The node's Ceph part; whether it is a container and the Ceph packages
/// it lacks come from its facts (no second detection or dpkg-query).
fn parse_node(out: &str, f: &Facts) -> Result<NodeCeph, String> {
    let mut n = NodeCeph {
        container: f.in_container(),
        missing_packages: PLAIN_PACKAGES
            .iter()
            .filter(|p| f.package(p).is_none())
            .map(|p| p.to_string())
            .collect(),
        ..NodeCeph::default()
    };
    let (head, disks_out) = out.split_once("@@n disks\n").unwrap_or((out, ""));
    let mut sec = "";
    for l in head.lines() {
        if let Some(s) = l.strip_prefix("@@n ") {
            sec = if s == "conf" { "conf" } else { "flags" };
            continue;
        }
        match (sec, l.trim()) {
            ("conf", b) if !b.is_empty() => {
                let bytes =
                    tbmesh_core::ceph::b64_decode(b).map_err(|e| format!("ceph.conf: {e}"))?;
                n.conf = Some(String::from_utf8_lossy(&bytes).into_owned());
            }
            ("flags", "keys") => n.has_keys = true,
            ("flags", "bootstrap") => n.has_bootstrap = true,
            ("flags", "mon") => n.mon_data = true,
            ("flags", "mgr") => n.mgr_data = true,
            _ => {}
        }
    }
    n.disks = disks::parse_disks(disks_out);
    Ok(n)
}

/// What the cluster and every node have, for the plan.
pub struct Gathered {
    pub backend: Backend,
    pub nodes: Vec<NodeCeph>,
    pub state: Option<CephState>,
}

pub fn gather(session: &Session, facts: &[Facts]) -> Result<Gathered, Fail> {
    let c = &session.loaded.cluster;
    let backend = facts.first().map_or(Backend::Plain, Backend::of);
    let mut nodes = vec![];
    for (i, r) in session.each(&session.all(), |i, t| t.run(&node_script(c, i))) {
        let out = r.map_err(Fail::from_host)?;
        nodes.push(
            parse_node(&out.stdout, &facts[i])
                .map_err(|e| Fail::failure(anyhow!("{}: {e}", c.node_name(i))))?,
        );
    }
    let state = read_state(session, &nodes)?;
    Ok(Gathered {
        backend,
        nodes,
        state,
    })
}

/// What the Ceph and tune phases read, to be run in the facts' round trip
/// (see `engine::Extra`): each node's Ceph facts, and the cluster's state
/// (config database included) from the first node; the tune files.
pub fn trip_extra(c: &Cluster, phases: &[Phase]) -> (Vec<String>, Vec<Vec<(String, String)>>) {
    let want = wanted(c, phases);
    if want.is_empty() {
        return (vec![], vec![]);
    }
    let parts = (0..c.nodes().len())
        .map(|i| {
            let mut v = vec![];
            // First: it runs longest (Python, librados, a cephx handshake).
            if i == 0 {
                v.push(("ceph-state".to_string(), state::state_script()));
            }
            if want.contains(&Phase::Ceph) {
                v.push(("ceph-node".to_string(), node_script(c, i)));
            }
            v
        })
        .collect();
    let paths = if want.contains(&Phase::Tune) {
        tbmesh_core::ceph::tune::FILE_PATHS
            .iter()
            .map(|p| p.to_string())
            .collect()
    } else {
        vec![]
    };
    (paths, parts)
}

/// [`trip_extra`]'s outputs, read. `None` when they were not asked for.
pub fn from_trip(
    session: &Session,
    facts: &[Facts],
    outputs: &[std::collections::BTreeMap<String, String>],
) -> Result<Option<Gathered>, Fail> {
    let c = &session.loaded.cluster;
    let Some(state_out) = outputs.first().and_then(|o| o.get("ceph-state")) else {
        return Ok(None);
    };
    let mut nodes = vec![];
    for (i, o) in outputs.iter().enumerate() {
        let Some(out) = o.get("ceph-node") else {
            break;
        };
        nodes.push(
            parse_node(out, &facts[i])
                .map_err(|e| Fail::failure(anyhow!("{}: {e}", c.node_name(i))))?,
        );
    }
    let state = match nodes.first() {
        // The first node has no admin keyring: ask the others, as `gather` does.
        Some(n) if !n.has_keys => read_state(session, &nodes)?,
        _ => state::parse_state(state_out)
            .map_err(|e| Fail::failure(anyhow!("{}: {e}", c.node_name(0))))?,
    };
    Ok(Some(Gathered {
        backend: facts.first().map_or(Backend::Plain, Backend::of),
        nodes,
        state,
    }))
}

/// Ceph's view, from the first node with the admin keyring.
pub fn read_state(session: &Session, nodes: &[NodeCeph]) -> Result<Option<CephState>, Fail> {
    for (i, n) in nodes.iter().enumerate() {
        if !n.has_keys {
            continue;
        }
        let out = session.nodes[i]
            .run(&state::state_script())
            .map_err(Fail::from_host)?;
        match state::parse_state(&out.stdout) {
            Ok(Some(s)) => return Ok(Some(s)),
            // One node without quorum answers for all: don't wait on each.
            Ok(None) => return Ok(None),
            Err(e) => return Err(Fail::failure(anyhow!("{}: {e}", session.nodes[i].node()))),
        }
    }
    Ok(None)
}

/// A new fsid, made by the first node's kernel.
fn new_fsid(t: &dyn Transport) -> Result<String, Fail> {
    let out = t
        .run("cat /proc/sys/kernel/random/uuid")
        .map_err(Fail::from_host)?;
    let f = out.stdout.trim().to_string();
    if conf::is_uuid(&f) {
        Ok(f)
    } else {
        Err(Fail::failure(anyhow!(
            "{}: could not make a UUID for the fsid",
            t.node()
        )))
    }
}

pub fn make_plan(session: &Session, g: &Gathered, wipe: &[String]) -> Result<CephPlan, Fail> {
    let c = &session.loaded.cluster;
    let fsid = match g.state.as_ref().and_then(|s| s.fsid.clone()) {
        Some(f) => f,
        None => new_fsid(session.nodes[0].as_ref())?,
    };
    Ok(cplan::plan(
        c,
        g.backend,
        &g.nodes,
        g.state.as_ref(),
        &fsid,
        wipe,
    ))
}

/// The tune values of every node (needs the OSD count per node).
pub fn tunes(c: &Cluster, facts: &[Facts]) -> Vec<NodeTune> {
    let per = c.spec.ceph.as_ref().map_or(1, |s| s.osds_per_device.value);
    facts
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let devs: Vec<String> = c.nodes()[i]
                .osd_devices
                .iter()
                .map(|d| d.value.clone())
                .collect();
            tune_node(c.node_name(i), f, per * devs.len() as u32, &devs)
        })
        .collect()
}

/// Run one step; Keys steps carry the keyrings from their source node.
fn run_step(session: &Session, st: &cplan::CephStep) -> Result<(), String> {
    let t = session.nodes[st.node_idx].as_ref();
    let script = if st.kind == StepKind::Keys {
        let from = st.from.ok_or("a keys step without a source")?;
        let paths: Vec<String> = st.script.lines().map(String::from).collect();
        let out = session.nodes[from]
            .run(&keys::pack_script(&paths))
            .map_err(|e| format!("{e:#}"))?;
        if !out.ok() {
            return Err(format!(
                "reading the keyrings on {} failed: {}",
                session.nodes[from].node(),
                out.stderr.trim()
            ));
        }
        // The archive only ever travels inside this script, never into a
        // log; the script unpacks only the expected paths (docs/security.md).
        let mut s = keys::unpack_script(out.stdout.trim(), &paths, "/");
        s.push_str("chown -R ceph:ceph /var/lib/ceph/bootstrap-osd 2>/dev/null || true\n");
        s
    } else {
        st.script.clone()
    };
    let out = t.run(&script).map_err(|e| format!("{e:#}"))?;
    if out.ok() {
        Ok(())
    } else {
        let tail: Vec<&str> = out.stderr.lines().rev().take(8).collect();
        Err(format!(
            "exited with {}: {}",
            out.status,
            tail.into_iter().rev().collect::<Vec<_>>().join("\n    ")
        ))
    }
}

/// Run the plan's steps kind by kind; nodes in parallel where that is safe.
pub fn run_plan(session: &Session, p: &CephPlan, progress: &Progress) -> Result<usize, String> {
    let mut kinds: Vec<StepKind> = p.steps.iter().map(|s| s.kind).collect();
    kinds.dedup();
    let mut done = 0;
    for kind in kinds {
        let batch: Vec<&cplan::CephStep> = p.steps.iter().filter(|s| s.kind == kind).collect();
        let groups: Vec<Vec<&cplan::CephStep>> = if kind.parallel(p.backend) {
            vec![batch]
        } else {
            batch.into_iter().map(|s| vec![s]).collect()
        };
        for g in groups {
            let results = std::thread::scope(|sc| {
                let hs: Vec<_> = g
                    .iter()
                    .map(|st| {
                        progress.report(
                            &st.node,
                            &format!("ceph: {}", st.why),
                            json!({"event": "start", "phase": "ceph", "step": st.kind}),
                        );
                        (st, sc.spawn(move || run_step(session, st)))
                    })
                    .collect();
                hs.into_iter()
                    .map(|(st, h)| (st, h.join().unwrap_or_else(|_| Err("panicked".into()))))
                    .collect::<Vec<_>>()
            });
            for (st, r) in results {
                match r {
                    Ok(()) => {
                        done += 1;
                        progress.report(
                            &st.node,
                            &format!("ceph: {:?} done", st.kind).to_lowercase(),
                            json!({"event": "done", "phase": "ceph", "step": st.kind}),
                        );
                    }
                    Err(e) => {
                        return Err(format!(
                            "{} {}: {e}",
                            st.node,
                            format!("{:?}", st.kind).to_lowercase()
                        ))
                    }
                }
            }
        }
    }
    Ok(done)
}

/// Apply tune: `ceph config set` where the value differs, files where they
/// differ. `current`: the config database if already read; files the facts
/// show as already in place are not sent again.
pub fn apply_tune(
    session: &Session,
    tunes: &[NodeTune],
    current: Option<&[ConfigEntry]>,
    facts: &[Facts],
    progress: &Progress,
) -> Result<usize, String> {
    let mut changes = 0;
    let read;
    let current = match current {
        Some(c) => c,
        None => {
            let dump = session.nodes[0]
                .run("timeout 30 ceph config dump -f json")
                .map_err(|e| format!("{e:#}"))?;
            read = state::parse_config_dump(dump.stdout.trim()).unwrap_or_default();
            &read
        }
    };
    let has = |who: &str, key: &str, value: &str| {
        current
            .iter()
            .any(|e| e.who == who && e.key == key && e.value == value)
    };
    for (i, t) in tunes.iter().enumerate() {
        for v in &t.config {
            if has(&v.who, &v.key, &v.value) {
                continue;
            }
            let cmd = format!(
                "ceph config set {} {} {}",
                shell_quote(&v.who),
                shell_quote(&v.key),
                shell_quote(&v.value)
            );
            let out = session.nodes[0].run(&cmd).map_err(|e| format!("{e:#}"))?;
            if !out.ok() {
                return Err(format!("`{cmd}` failed: {}", out.stderr.trim()));
            }
            changes += 1;
            progress.report(
                session.nodes[i].node(),
                &format!("tune: {} {} = {}", v.who, v.key, v.value),
                json!({"event": "done", "phase": "tune", "key": v.key}),
            );
        }
        for f in &t.files {
            if facts.get(i).is_some_and(|fs| file_is(fs, f)) {
                continue;
            }
            let b64 = tbmesh_core::ceph::b64_encode(f.content.as_bytes());
            let p = shell_quote(&f.path);
            let script = format!(
                "set -eu\nnew=$(mktemp)\necho '{b64}' | base64 -d > \"$new\"\nif cmp -s \"$new\" {p}; then rm -f \"$new\"; echo same; exit 0; fi\ninstall -D -m {:o} \"$new\" {p}\nrm -f \"$new\"\n{}\necho changed\n",
                f.mode, f.then
            );
            let out = session.nodes[i]
                .run(&script)
                .map_err(|e| format!("{e:#}"))?;
            if !out.ok() {
                return Err(format!(
                    "{}: writing {} failed: {}",
                    session.nodes[i].node(),
                    f.path,
                    out.stderr.trim()
                ));
            }
            if out.stdout.contains("changed") {
                changes += 1;
            }
        }
    }
    Ok(changes)
}

/// What apply already knows when the Ceph phases start.
#[derive(Default)]
pub struct Known {
    /// Read in the facts' round trip ([`trip_extra`], [`from_trip`]).
    pub pre: Option<Gathered>,
    /// The mesh phases changed something (the gate must run).
    pub mesh_changed: bool,
    /// Print what tune skips even when nothing changes.
    pub verbose: bool,
}

/// After the mesh phases: plan, gate, Ceph steps, tune. The gate's ping
/// matrix runs only when the mesh changed or there is something to do
/// (a no-op apply leaves the mesh to `verify`). `None`: nothing to do (no
/// `[ceph]`, phase not asked for, or no changes).
pub fn after_mesh(
    session: &Session,
    facts: &[Facts],
    phases: &[Phase],
    wipe: &[String],
    progress: &Progress,
    printer: &Printer,
    known: Known,
) -> Result<Option<ExitStatus>, Fail> {
    let c = &session.loaded.cluster;
    let want = wanted(c, phases);
    if want.is_empty() {
        return Ok(None);
    }
    let started = Instant::now();
    let mut gated = false;
    if known.mesh_changed {
        gate(session, progress)?;
        gated = true;
    }
    // Ceph's state as read before any change; stale once the plan ran.
    let mut state = None;
    let mut changes = 0;
    if want.contains(&Phase::Ceph) {
        let g = match known.pre {
            Some(g) if !known.mesh_changed && g.nodes.len() == c.nodes().len() => g,
            _ => gather(session, facts)?,
        };
        let p = make_plan(session, &g, wipe)?;
        if !p.refusals.is_empty() {
            return Err(Fail::failure(anyhow!(
                "the Ceph phase stopped before touching any disk or daemon:\n  {}",
                p.refusals.join("\n  ")
            ))
            .hint("use an empty device, or name a disk to wipe with `--wipe-disk SERIAL` (its path for a device without a serial); wiping destroys its data"));
        }
        if p.steps.is_empty() {
            state = g.state;
        } else {
            if !gated {
                gate(session, progress)?;
                gated = true;
            }
            progress.note(&format!("phase ceph ({}): {} step(s)", p.backend.as_str(), p.steps.len()), json!({"event": "phase", "phase": "ceph", "steps": p.steps.len(), "backend": p.backend}));
            changes += run_plan(session, &p, progress)
                .map_err(|e| Fail::failure(anyhow!("ceph phase failed: {e}")))?;
        }
    } else if !known.mesh_changed {
        state = known.pre.and_then(|g| g.state);
    }
    if want.contains(&Phase::Tune) {
        let ts = tunes(c, facts);
        // The config database as read with the facts, while nothing changed since.
        let current = state.as_ref().map(|s| s.config.as_slice());
        let todo = tune_todo(&ts, current, facts);
        if known.verbose || todo.is_some_and(|n| n > 0) {
            for (i, t) in ts.iter().enumerate() {
                for s in &t.skipped {
                    progress.report(
                        c.node_name(i),
                        &format!("tune: skipped {s}"),
                        json!({"event": "skipped", "phase": "tune", "what": s}),
                    );
                }
            }
        }
        if todo != Some(0) {
            if !gated {
                gate(session, progress)?;
            }
            changes += apply_tune(session, &ts, current, facts, progress)
                .map_err(|e| Fail::failure(anyhow!("tune phase failed: {e}")))?;
        }
    }
    if changes == 0 {
        return Ok(None);
    }
    printer.note(format!(
        "ceph and tune: {changes} change(s) in {:.1} s",
        started.elapsed().as_secs_f64()
    ));
    if want.contains(&Phase::Ceph) {
        settle(session, progress)?;
    }
    Ok(Some(ExitStatus::Success))
}

/// How many tune values and files differ from what the node has; `None`
/// when that is not known without asking (no config database read).
fn tune_todo(
    tunes: &[NodeTune],
    current: Option<&[ConfigEntry]>,
    facts: &[Facts],
) -> Option<usize> {
    let current = current?;
    let mut n = 0;
    for (i, t) in tunes.iter().enumerate() {
        n += t.config.iter().filter(|v| !has_value(current, v)).count();
        n += t
            .files
            .iter()
            .filter(|f| facts.get(i).is_none_or(|fs| !file_is(fs, f)))
            .count();
    }
    Some(n)
}

fn has_value(current: &[ConfigEntry], v: &ConfigValue) -> bool {
    current
        .iter()
        .any(|e| e.who == v.who && e.key == v.key && e.value == v.value)
}

/// The node already has `f` (content and mode), as its facts say.
fn file_is(facts: &Facts, f: &TuneFile) -> bool {
    matches!(facts.file(&f.path), FileState::Present { mode, content, .. } if *mode == f.mode && *content == f.content)
}

/// How long a changed cluster may take to become healthy with every PG
/// active+clean (new pools peer, new OSDs backfill).
const SETTLE_SECS: u64 = 300;

/// After Ceph changed: wait, bounded, until every Ceph check of verify
/// passes (HEALTH_OK alone is not enough right after creation), so an
/// apply that returns 0 leaves a cluster that verifies.
fn settle(session: &Session, progress: &Progress) -> Result<(), Fail> {
    use tbmesh_core::ceph::{health, state};
    let c = &session.loaded.cluster;
    let started = Instant::now();
    let mut last = String::new();
    while started.elapsed().as_secs() < SETTLE_SECS {
        let t = &session.nodes[0];
        if let Ok(out) = t.run(&state::state_script()) {
            if let Ok(s) = state::parse_state(&out.stdout) {
                let checks = health::ceph_checks(c, s.as_ref());
                let failing: Vec<String> = checks
                    .iter()
                    .filter(|k| !k.ok)
                    .map(|k| format!("{}: {}", k.name, k.detail))
                    .collect();
                if failing.is_empty() {
                    progress.note(
                        &format!("ceph: healthy, every PG active+clean ({:.0} s)", started.elapsed().as_secs_f64()),
                        json!({"event": "settled", "phase": "ceph", "seconds": started.elapsed().as_secs_f64()}),
                    );
                    return Ok(());
                }
                let now = failing.join("; ");
                if now != last {
                    progress.note(
                        &format!("ceph: waiting: {now}"),
                        json!({"event": "waiting", "phase": "ceph", "for": now}),
                    );
                    last = now;
                }
            }
        }
        std::thread::sleep(std::time::Duration::from_secs(3));
    }
    Err(Fail::failure(anyhow!(
        "Ceph did not become healthy with every PG active+clean within {SETTLE_SECS} s: {last}"
    ))
    .hint("look at `ceph -s` and `ceph health detail` on a node; `tbmesh verify` shows the same checks"))
}

/// `tbmesh plan`'s Ceph part: every step and tune value, with why.
pub fn plan_text(
    session: &Session,
    facts: &[Facts],
    phases: &[Phase],
    wipe: &[String],
) -> Result<(String, usize), Fail> {
    let c = &session.loaded.cluster;
    let want = wanted(c, phases);
    let mut s = String::new();
    let mut n = 0;
    if want.contains(&Phase::Ceph) {
        let g = gather(session, facts)?;
        let p = make_plan(session, &g, wipe)?;
        s.push_str(&format!(
            "phase ceph ({}, fsid {}{})\n",
            p.backend.as_str(),
            p.fsid,
            if p.new_cluster { ", new" } else { "" }
        ));
        for d in &p.disks {
            s.push_str(&format!(
                "  disk {}:{} {}\n",
                d.node,
                d.path,
                serde_json::to_value(&d.verdict)
                    .map(|v| v.to_string())
                    .unwrap_or_default()
            ));
        }
        for r in &p.refusals {
            s.push_str(&format!("  REFUSED: {r}\n"));
        }
        for st in &p.steps {
            s.push_str(&format!("  {} [{:?}] # {}\n", st.node, st.kind, st.why));
            for l in st.command.lines() {
                s.push_str(&format!("      {l}\n"));
            }
        }
        n += p.steps.len();
    }
    if want.contains(&Phase::Tune) {
        s.push_str("phase tune\n");
        for (i, t) in tunes(c, facts).iter().enumerate() {
            for v in &t.config {
                s.push_str(&format!(
                    "  {} ceph config set {} {} {}   # {}\n",
                    c.node_name(i),
                    v.who,
                    v.key,
                    v.value,
                    v.why
                ));
            }
            for f in &t.files {
                s.push_str(&format!(
                    "  {} file {}   # {}\n",
                    c.node_name(i),
                    f.path,
                    f.why
                ));
            }
            for k in &t.skipped {
                s.push_str(&format!("  {} skipped: {k}\n", c.node_name(i)));
            }
        }
    }
    Ok((s, n))
}

/// `tbmesh render`'s Ceph files (cluster-wide): the command sequence for
/// both backends, clearly labelled (offline, tbmesh can't know which one
/// the nodes will have: `pve-manager` installed means pveceph), and the
/// ceph.conf each backend's cluster will hold. The fsid is a stand-in.
pub fn render_files(c: &Cluster) -> Vec<tbmesh_core::render::ManagedFile> {
    use tbmesh_core::render::{ManagedFile, MANAGED};
    if c.spec.ceph.is_none() {
        return vec![];
    }
    let fsid = conf::render_fsid(c);
    let script = format!(
        "# {MANAGED}\n# A listing to read, not a script: the Ceph phase, step by step, for a cluster that does not exist yet\n# and empty OSD devices (apply leaves existing daemons, OSDs and pools\n# alone and refuses non-empty disks). fsid {fsid} is a stand-in:\n# apply makes a new one (or keeps the cluster's).\n# Nothing runs before the mesh verifies (full-MTU DF pings between all\n# router addresses). The lines `write ...` and `copy ...` stand for what\n# tbmesh does itself over ssh.\n\n### Backend pveceph: Proxmox VE nodes (pve-manager installed)\n# ceph.conf: etc/pve/ceph.conf\n{}\n### Backend plain: Debian nodes without Proxmox VE (the lab)\n# ceph.conf: etc/ceph/ceph.conf. Keyrings are made on the first node and\n# carried to the others inside tbmesh's ssh sessions; never printed.\n# OSDs: `ceph-volume lvm batch` on hardware; in containers (no LVM) raw\n# OSDs on partitions, as shown for a containerised node in docs/ceph.md.\n{}",
        cplan::render_script(c, Backend::Pveceph),
        cplan::render_script(c, Backend::Plain)
    );
    vec![
        ManagedFile {
            phase: Phase::Ceph,
            path: "ceph.txt".into(),
            mode: 0o644,
            content: script,
        },
        ManagedFile {
            phase: Phase::Ceph,
            path: "etc/pve/ceph.conf".into(),
            mode: 0o640,
            content: tbmesh_core::ceph::ceph_conf(c, &fsid, Backend::Pveceph),
        },
        ManagedFile {
            phase: Phase::Ceph,
            path: "etc/ceph/ceph.conf".into(),
            mode: 0o644,
            content: tbmesh_core::ceph::ceph_conf(c, &fsid, Backend::Plain),
        },
    ]
}
