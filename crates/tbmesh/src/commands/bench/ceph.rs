//! `tbmesh bench --ceph`: rados bench write, seq and rand on a temporary
//! pool made for the run on the first node, deleted after whatever happens
//! (a failed phase, Ctrl-C, SIGTERM, a lost connection: the deletion then
//! goes over a new one). `mon_allow_pool_delete` is set only when the
//! monitors refuse the deletion, and put back right after it.

use crate::exit::Fail;
use crate::printer::{Printer, Table};
use crate::session::Session;
use crate::transport::Transport;
use anyhow::anyhow;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tbmesh_core::bench::rados::{self, AllowBefore};

/// Runs the three phases; the returned document goes under `"ceph"` in the
/// results. Err only when nothing was benchmarked (the pool name is taken,
/// the pool could not be made).
pub fn run(session: &Session, run_id: &str, secs: u32, printer: &Printer) -> Result<Value, Fail> {
    let c = &session.loaded.cluster;
    let stop = crate::signals::stop_flag()?;
    let node = &session.nodes[0];
    let pool = rados::pool_name(run_id);
    let started = Instant::now();
    let (mut guard, size) = make_pool(
        session,
        0,
        &pool,
        "nothing was benchmarked",
        "bench makes and deletes its own pool; wait a second and run it again",
        printer,
    )?;
    let mut phases = vec![];
    for phase in rados::PHASES {
        if stop.load(Ordering::SeqCst) {
            phases.push(json!({"phase": phase, "error": "interrupted"}));
            continue;
        }
        let res = node
            .run(&rados::bench(&pool, phase, secs))
            .map_err(|e| format!("{e:#}"))
            .and_then(|o| rados::parse_rados(&o.stdout));
        let mut row = json!({"phase": phase});
        match res {
            Ok(f) => {
                printer.note(format!(
                    "ceph {phase}: {:.1} MB/s, {:.1} IOPS",
                    f.mb_per_s, f.iops
                ));
                row["result"] = json!(f);
                row["error"] = Value::Null;
            }
            Err(e) => {
                let e = if stop.load(Ordering::SeqCst) {
                    "interrupted".to_string()
                } else {
                    e
                };
                printer.note(format!("ceph {phase}: {e}"));
                row["error"] = json!(e);
            }
        }
        phases.push(row);
    }
    let interrupted = stop.load(Ordering::SeqCst);
    // After a signal the shared connection may have gone with it.
    guard.fresh = interrupted;
    let cleanup = guard.delete();
    guard.cleanup = Some(cleanup.clone());
    if let Some(e) = cleanup["error"].as_str() {
        printer.note(format!("ceph: {e}"));
    }
    Ok(json!({
        "pool": pool,
        "node": c.node_name(0),
        "size": size,
        "pg_num": rados::PG_NUM,
        "object_bytes": rados::OBJECT_BYTES,
        "threads": rados::THREADS,
        "test_seconds": secs,
        "phases": phases,
        "cleanup": cleanup,
        "interrupted": interrupted,
        "seconds": started.elapsed().as_secs_f64(),
    }))
}

/// Makes the temporary `pool` on node `i` (size: the cluster's default);
/// its guard and its size. Refused, saying `nothing` was done and `hint`,
/// when the name is taken; the guard deletes whatever a failed creation
/// left.
pub(crate) fn make_pool<'a>(
    session: &'a Session,
    i: usize,
    pool: &str,
    nothing: &str,
    hint: &str,
    printer: &Printer,
) -> Result<(TempPool<'a>, Option<u64>), Fail> {
    let c = &session.loaded.cluster;
    let node = session.nodes[i].as_ref();
    let out = node
        .run(&rados::create_pool(pool))
        .map_err(Fail::from_host)?;
    if out.status == rados::EXISTS {
        return Err(Fail::failure(anyhow!(
            "{}: {}; {nothing}",
            c.node_name(i),
            out.stderr.trim()
        ))
        .hint(hint.to_string()));
    }
    // From here the pool may exist, and it is ours: the guard deletes it.
    let guard = TempPool::new(node, pool);
    if !out.ok() {
        return Err(Fail::failure(anyhow!(
            "{}: making the temporary pool {pool}: {}; {nothing}",
            c.node_name(i),
            out.stderr.trim()
        )));
    }
    let size = out
        .stdout
        .trim()
        .trim_start_matches("size:")
        .trim()
        .parse::<u64>()
        .ok();
    printer.note(format!(
        "ceph: temporary pool {pool} (size {}, {} PGs) on {}",
        size.map_or_else(|| "?".into(), |s| s.to_string()),
        rados::PG_NUM,
        c.node_name(i)
    ));
    Ok((guard, size))
}

/// The run's pool: deleted by [`TempPool::delete`], or on drop if an error
/// or a panic left the function first (also `failover-test --ceph`'s).
pub(crate) struct TempPool<'a> {
    node: &'a dyn Transport,
    pool: String,
    /// Delete over a new connection (after a signal).
    pub(crate) fresh: bool,
    /// What [`TempPool::delete`] said, once it ran.
    pub(crate) cleanup: Option<Value>,
}

impl Drop for TempPool<'_> {
    fn drop(&mut self) {
        if self.cleanup.is_none() {
            let done = self.delete();
            if let Some(e) = done["error"].as_str() {
                eprintln!("tbmesh: {e}");
            }
        }
    }
}

impl<'a> TempPool<'a> {
    pub(crate) fn new(node: &'a dyn Transport, pool: &str) -> Self {
        TempPool {
            node,
            pool: pool.to_string(),
            fresh: false,
            cleanup: None,
        }
    }

    fn run(&self, script: &str) -> anyhow::Result<crate::transport::Output> {
        if self.fresh {
            self.node.run_fresh(script)
        } else {
            self.node.run(script)
        }
    }

    /// Deletes the pool; when the monitors refuse, allows deletion for this
    /// one and puts `mon_allow_pool_delete` back as it was. Says what it
    /// did, and any failure, for the results.
    pub(crate) fn delete(&self) -> Value {
        let pool = &self.pool;
        let mut said = json!({"pool_deleted": false, "allow_set": false, "error": null});
        let first = match self.run(&rados::delete_pool(pool)) {
            Ok(o) => o,
            Err(e) => {
                said["error"] = json!(format!("deleting the temporary pool {pool}: {e:#}"));
                return said;
            }
        };
        if !first.ok() && rados::refused_by_mon(&first.stdout) {
            match self.delete_allowed() {
                Ok(before) => {
                    said["allow_set"] = json!(true);
                    said["allow_before"] = json!(before);
                }
                Err(e) => said["error"] = json!(format!("{e:#}")),
            }
        } else if !first.ok() {
            said["error"] = json!(format!(
                "deleting the temporary pool {pool}: {}",
                first.stdout.trim()
            ));
        }
        match self.run(&rados::pool_gone(pool)) {
            Ok(o) if o.ok() => said["pool_deleted"] = json!(true),
            Ok(_) if said["error"].is_null() => {
                said["error"] = json!(format!("the temporary pool {pool} is still there"));
            }
            Ok(_) => {}
            Err(e) => said["error"] = json!(format!("listing the pools: {e:#}")),
        }
        if said["pool_deleted"] != true {
            let e = said["error"].as_str().unwrap_or_default().to_string();
            said["error"] = json!(format!(
                "{e}; delete it with `ceph osd pool delete {pool} {pool} --yes-i-really-really-mean-it`"
            ));
        }
        said
    }

    /// Reads `mon_allow_pool_delete`, sets it, deletes, puts it back.
    fn delete_allowed(&self) -> anyhow::Result<AllowBefore> {
        let pool = &self.pool;
        let read = self.run(rados::READ_ALLOW)?;
        let before = rados::parse_allow(&read.stdout)
            .map_err(|e| anyhow!("reading mon_allow_pool_delete: {e}"))?;
        let set = self.run(rados::ALLOW)?;
        if !set.ok() {
            return Err(anyhow!(
                "setting mon_allow_pool_delete: {}",
                set.stderr.trim()
            ));
        }
        // The monitors take the new value within a moment.
        let mut last = String::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        let deleted = loop {
            let o = self.run(&rados::delete_pool(pool))?;
            if o.ok() {
                break true;
            }
            last = o.stdout.trim().to_string();
            if Instant::now() > deadline {
                break false;
            }
            std::thread::sleep(Duration::from_millis(500));
        };
        let restore = self.run(&rados::restore_allow(&before))?;
        if !restore.ok() {
            return Err(anyhow!(
                "putting mon_allow_pool_delete back ({}): {}",
                rados::restore_allow(&before).trim(),
                restore.stderr.trim()
            ));
        }
        if !deleted {
            return Err(anyhow!(
                "deleting the temporary pool {pool} (mon_allow_pool_delete set and put back): {last}"
            ));
        }
        Ok(before)
    }
}

/// The table for people.
pub fn text(doc: &Value, lab: &str) -> String {
    let f = |v: &Value, d: usize| v.as_f64().map_or("-".to_string(), |x| format!("{x:.d$}"));
    let mut out = format!(
        "\nCEPH{lab}, rados bench {} s per phase, {} MiB objects, {} threads, pool {} (size {}, deleted: {})\n",
        doc["test_seconds"],
        doc["object_bytes"].as_u64().unwrap_or(0) / (1024 * 1024),
        doc["threads"],
        doc["pool"].as_str().unwrap_or(""),
        doc["size"],
        if doc["cleanup"]["pool_deleted"] == true { "yes" } else { "NO" },
    );
    let mut t = Table::new(["PHASE", "MB/S", "IOPS", "AVG LAT MS", "MAX LAT MS"]);
    for p in doc["phases"].as_array().into_iter().flatten() {
        let r = &p["result"];
        let failed = p["error"].as_str();
        t.row([
            p["phase"].as_str().unwrap_or("").to_string(),
            failed.map_or_else(|| f(&r["mb_per_s"], 1), |e| format!("FAILED: {e}")),
            f(&r["iops"], 1),
            f(&r["avg_latency_ms"], 1),
            f(&r["max_latency_ms"], 1),
        ]);
    }
    out.push_str(&t.render());
    if let Some(e) = doc["cleanup"]["error"].as_str() {
        out.push_str(&format!("cleanup: {e}\n"));
    }
    out
}

/// Whether any phase or the cleanup failed.
pub fn failed(doc: &Value) -> bool {
    !doc["cleanup"]["error"].is_null()
        || doc["phases"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|p| !p["error"].is_null())
}
