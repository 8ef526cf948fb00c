//! `failover-test --ceph`: a small Ceph client load during each fault case,
//! run on one node that is not faulted, on a temporary pool of the run
//! (made and deleted as `bench --ceph` does, [`crate::bench::rados`]).
//!
//! The load is `rados bench write` of 4 KiB objects, 4 at a time, in
//! chunks of at most [`CHUNK_SECS`] seconds until a stop file appears or
//! the case's time is up; the figure is the highest latency of any write
//! (`Max latency(s)` of each chunk): the longest a client write stalled.

use crate::bench::rados::{self, RadosFigures};
use crate::shell::shell_quote as q;
use serde::Serialize;
use std::fmt::Write;

/// The prefix of the run's temporary pool.
pub const POOL_PREFIX: &str = "tbmesh-failover-";
/// Bytes per write (and object).
pub const OBJECT_BYTES: u32 = 4096;
/// Writes in flight.
pub const THREADS: u32 = 4;
/// Longest single `rados bench`: the load is a loop of these.
pub const CHUNK_SECS: u32 = 5;
/// A chunk that has not ended this long after its time is killed (a write
/// stuck that long is reported as a stall of at least that).
pub const CHUNK_GRACE: u32 = 60;

/// The run's pool, named after its timestamp.
pub fn pool_name(run_id: &str) -> String {
    format!("{POOL_PREFIX}{}", run_id.to_lowercase())
}

/// Writes to `pool` for at most `secs` seconds, ending early once `stop`
/// exists (the script removes it when it ends). Prints `@@chunk <n>`
/// before each `rados bench` and `@@status <exit status>` after it.
pub fn load_script(pool: &str, secs: u32, stop: &str) -> String {
    let mut s = String::from("export LC_ALL=C\n");
    let _ = write!(
        s,
        "stop={stop}\ntrap 'rm -f \"$stop\"' EXIT\n\
         end=$(( $(date +%s) + {secs} ))\nn=0\n\
         while [ ! -e \"$stop\" ]; do\n\
         \x20 left=$(( end - $(date +%s) ))\n\
         \x20 [ \"$left\" -gt 0 ] || break\n\
         \x20 chunk={CHUNK_SECS}; [ \"$left\" -lt {CHUNK_SECS} ] && chunk=$left\n\
         \x20 echo \"@@chunk $n\"\n\
         \x20 timeout --kill-after=5 $(( chunk + {CHUNK_GRACE} )) rados bench -p {pool} \"$chunk\" write \
         -b {OBJECT_BYTES} -O {OBJECT_BYTES} -t {THREADS} --no-cleanup --run-name \"tbmesh-failover-$n\" 2>&1\n\
         \x20 echo \"@@status $?\"\n\
         \x20 n=$(( n + 1 ))\n\
         done\n",
        stop = q(stop),
        pool = q(pool),
    );
    s
}

/// What the load saw during one case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CephLoad {
    /// The node it ran on.
    pub node: String,
    pub pool: String,
    /// `rados bench` runs that ended with their summary.
    pub chunks: usize,
    /// Writes completed.
    pub ops: u64,
    /// The highest latency of a write, seconds: the longest stall.
    pub max_latency: Option<f64>,
    /// Mean latency over every write, seconds.
    pub avg_latency: Option<f64>,
    /// Why a chunk failed (the first), if one did.
    pub error: Option<String>,
}

/// Reads the output of [`load_script`]. A chunk killed by its timeout
/// counts as a stall of its whole bound; one that failed otherwise is
/// reported in `error`.
pub fn parse_load(node: &str, pool: &str, out: &str) -> CephLoad {
    let mut load = CephLoad {
        node: node.to_string(),
        pool: pool.to_string(),
        chunks: 0,
        ops: 0,
        max_latency: None,
        avg_latency: None,
        error: None,
    };
    let mut weighted = 0.0;
    let mut chunk = String::new();
    let mut started = false;
    let mut finish = |chunk: &str, status: Option<i32>, load: &mut CephLoad| {
        let note = |load: &mut CephLoad, e: String| {
            if load.error.is_none() {
                load.error = Some(e);
            }
        };
        match status {
            Some(124 | 137) => {
                let bound = f64::from(CHUNK_SECS + CHUNK_GRACE);
                load.max_latency = Some(load.max_latency.unwrap_or(0.0).max(bound));
                note(
                    load,
                    format!("a rados bench write did not finish within {bound:.0} s (killed)"),
                );
            }
            _ => match rados::parse_rados(chunk) {
                Ok(RadosFigures {
                    ops,
                    max_latency_ms,
                    avg_latency_ms,
                    ..
                }) => {
                    load.chunks += 1;
                    load.ops += ops;
                    weighted += avg_latency_ms / 1000.0 * ops as f64;
                    let m = max_latency_ms / 1000.0;
                    load.max_latency = Some(load.max_latency.map_or(m, |x: f64| x.max(m)));
                }
                Err(e) => note(load, e),
            },
        }
    };
    for line in out.lines() {
        if line.starts_with("@@chunk ") {
            started = true;
            chunk.clear();
        } else if let Some(st) = line.strip_prefix("@@status ") {
            finish(&chunk, st.trim().parse().ok(), &mut load);
            chunk.clear();
            started = false;
        } else if started {
            chunk.push_str(line);
            chunk.push('\n');
        }
    }
    if started {
        finish(&chunk, None, &mut load);
    }
    if load.ops > 0 {
        load.avg_latency = Some(weighted / load.ops as f64);
    }
    if load.chunks == 0 && load.error.is_none() {
        load.error = Some("no rados bench ran".into());
    }
    load
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHUNK: &str = "hints = 1
Maintaining 4 concurrent writes of 4096 bytes to objects of size 4096 for up to 5 seconds or 0 objects
  sec Cur ops   started  finished  avg MB/s  cur MB/s last lat(s)  avg lat(s)
    0       0         0         0         0         0           -           0
Total time run:         5.01
Total writes made:      1000
Write size:             4096
Object size:            4096
Bandwidth (MB/sec):     0.78
Average IOPS:           199
Average Latency(s):     0.02
Max latency(s):         MAX
Min latency(s):         0.001
";

    #[test]
    fn the_stall_is_the_highest_latency_of_every_chunk() {
        let out = format!(
            "@@chunk 0\n{}@@status 0\n@@chunk 1\n{}@@status 0\n",
            CHUNK.replace("MAX", "0.05"),
            CHUNK.replace("MAX", "2.5")
        );
        let l = parse_load("n4", "tbmesh-failover-x", &out);
        assert_eq!((l.chunks, l.ops), (2, 2000));
        assert_eq!(l.max_latency, Some(2.5));
        assert!((l.avg_latency.expect("avg") - 0.02).abs() < 1e-9);
        assert_eq!(l.error, None);
    }

    #[test]
    fn a_killed_or_failed_chunk_is_said() {
        let out = format!(
            "@@chunk 0\n{}@@status 0\n@@chunk 1\n@@status 124\n",
            CHUNK.replace("MAX", "0.05")
        );
        let l = parse_load("n4", "p", &out);
        assert_eq!(l.max_latency, Some(65.0));
        assert!(l
            .error
            .expect("error")
            .contains("did not finish within 65 s"));
        let l = parse_load(
            "n4",
            "p",
            "@@chunk 0\nerror opening pool p: (2) No such file or directory\n@@status 1\n",
        );
        assert_eq!((l.chunks, l.max_latency), (0, None));
        assert!(l.error.expect("error").contains("No such file"));
        assert_eq!(
            parse_load("n4", "p", "").error.as_deref(),
            Some("no rados bench ran")
        );
    }

    #[test]
    fn the_script_loops_short_benches_until_stopped() {
        let s = load_script("tbmesh-failover-x", 30, "/run/u.load.stop");
        assert!(s.contains("stop=/run/u.load.stop\n"), "{s}");
        assert!(s.contains("end=$(( $(date +%s) + 30 ))"), "{s}");
        assert!(s.contains(
            "rados bench -p tbmesh-failover-x \"$chunk\" write -b 4096 -O 4096 -t 4 --no-cleanup"
        ));
        assert_eq!(
            pool_name("20261202T021500Z"),
            "tbmesh-failover-20261202t021500z"
        );
    }
}
