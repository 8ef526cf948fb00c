//! `failover-test --ceph`: the run's temporary pool (made once, deleted
//! at the end whatever happens, as `bench --ceph`'s) and the client load
//! each case runs on it from a node that is not faulted.

use crate::commands::bench::ceph::{make_pool, TempPool};
use crate::exit::Fail;
use crate::printer::Printer;
use crate::session::Session;
use crate::transport::Transport;
use serde_json::{json, Value};
use std::thread::{Scope, ScopedJoinHandle};
use tbmesh_core::bench::rados;
use tbmesh_core::failover::load::{self, CephLoad};
use tbmesh_core::failover::table::CaseResult;
use tbmesh_core::topology::NodeIdx;

/// The run's pool and the node that made it (and deletes it).
pub struct Pool<'a> {
    pub name: String,
    node_name: String,
    size: Option<u64>,
    guard: TempPool<'a>,
}

impl<'a> Pool<'a> {
    /// Makes the pool on node `i` (size and min_size: the cluster's
    /// defaults, as any new pool).
    pub fn create(
        session: &'a Session,
        i: NodeIdx,
        run_id: &str,
        printer: &Printer,
    ) -> Result<Pool<'a>, Fail> {
        let name = load::pool_name(run_id);
        let (guard, size) = make_pool(
            session,
            i,
            &name,
            "nothing was faulted",
            "failover-test makes and deletes its own pool; wait a second and run it again",
            printer,
        )?;
        Ok(Pool {
            name,
            node_name: session.loaded.cluster.node_name(i).to_string(),
            size,
            guard,
        })
    }

    /// Deletes the pool (over a new connection after a signal); the run's
    /// `ceph` document.
    pub fn delete(&mut self, interrupted: bool, printer: &Printer) -> Value {
        self.guard.fresh = interrupted;
        let cleanup = self.guard.delete();
        self.guard.cleanup = Some(cleanup.clone());
        match cleanup["error"].as_str() {
            Some(e) => printer.note(format!("ceph: {e}")),
            None => printer.note(format!("ceph: temporary pool {} deleted", self.name)),
        }
        json!({
            "pool": self.name,
            "node": self.node_name,
            "size": self.size,
            "pg_num": rados::PG_NUM,
            "object_bytes": load::OBJECT_BYTES,
            "threads": load::THREADS,
            "cleanup": cleanup,
        })
    }
}

/// The node a case's load runs on: the first of `n` nodes that is not in
/// `faulted`, else the first that is not `at` (where the fault is put in
/// place).
pub fn load_node(n: usize, faulted: &[NodeIdx], at: NodeIdx) -> NodeIdx {
    (0..n)
        .find(|i| !faulted.contains(i))
        .or_else(|| (0..n).find(|i| *i != at))
        .unwrap_or(0)
}

/// Where a case's load looks for its stop file.
pub fn load_stop_file(unit: &str) -> String {
    format!("/run/{unit}.load.stop")
}

/// Ends the load of case `unit` early (over a new connection).
pub fn stop_load(t: &dyn Transport, unit: &str) {
    let _ = t.run_fresh(&format!(
        "touch {}",
        tbmesh_core::shell::shell_quote(&load_stop_file(unit))
    ));
}

type Load<'s> = (String, String, ScopedJoinHandle<'s, anyhow::Result<String>>);

/// Starts the load on `t` for at most `secs` s.
pub fn start_load<'s, 'e: 's>(
    s: &'s Scope<'s, 'e>,
    t: &'e dyn Transport,
    pool: &Pool<'_>,
    secs: u32,
    stop: &str,
) -> Load<'s> {
    let script = load::load_script(&pool.name, secs, stop);
    let h = s.spawn(move || -> anyhow::Result<String> { Ok(t.run(&script)?.stdout) });
    (t.node().to_string(), pool.name.clone(), h)
}

/// What the load saw (an error if its ssh session failed).
pub fn join_load((node, pool, h): Load<'_>) -> CephLoad {
    match h.join() {
        Ok(Ok(out)) => load::parse_load(&node, &pool, &out),
        Ok(Err(e)) => failed(&node, &pool, format!("{e:#}")),
        Err(_) => failed(&node, &pool, "the load's thread panicked".into()),
    }
}

fn failed(node: &str, pool: &str, e: String) -> CephLoad {
    let mut l = load::parse_load(node, pool, "");
    l.error = Some(e);
    l
}

/// Puts the load's figures into the case; an interrupted case's load
/// errors are not the cluster's.
pub fn record(r: &mut CaseResult, l: Option<CephLoad>, interrupted: bool) {
    if let Some(mut l) = l {
        if interrupted && l.error.is_some() && l.chunks > 0 {
            l.error = None;
        }
        r.ceph_max_latency = l.max_latency;
        r.ceph = Some(l);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_load_runs_off_the_faulted_nodes() {
        // 3 nodes, the cable n0-n1: n2 loads.
        assert_eq!(load_node(3, &[0, 1], 1), 2);
        // 2 nodes: the end where the fault is not put in place.
        assert_eq!(load_node(2, &[0, 1], 0), 1);
        // A reboot of n0: n1.
        assert_eq!(load_node(3, &[0], 0), 1);
    }
}
