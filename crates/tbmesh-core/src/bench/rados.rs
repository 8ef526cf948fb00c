//! `tbmesh bench --ceph`: rados bench write, seq and rand on a temporary
//! pool made for the run. The scripts that make, bench and delete it, the
//! parser of rados bench's summary, and what to do about
//! `mon_allow_pool_delete` (set it for the deletion only, then put back
//! what was there: an explicit value, or none).

use crate::shell::shell_quote as q;
use serde::Serialize;
use serde_json::Value;

/// Object (and write) size: 4 MiB, rados bench's default, said explicitly.
pub const OBJECT_BYTES: u64 = 4 * 1024 * 1024;
/// Concurrent operations of each phase.
pub const THREADS: u32 = 16;
/// PGs of the temporary pool: small, it lives for a minute.
pub const PG_NUM: u32 = 8;
/// The phases, in the order they run (seq and rand read what write left).
pub const PHASES: [&str; 3] = ["write", "seq", "rand"];
/// The prefix of every temporary pool of `bench`.
pub const POOL_PREFIX: &str = "tbmesh-bench-";
/// The prefixes of tbmesh's temporary pools (`bench --ceph`,
/// `failover-test --ceph`); nothing else is ever deleted.
pub const TEMP_PREFIXES: [&str; 2] = [POOL_PREFIX, crate::failover::load::POOL_PREFIX];

/// Whether `pool` is one of tbmesh's temporary pools.
pub fn is_temp_pool(pool: &str) -> bool {
    TEMP_PREFIXES.iter().any(|p| pool.starts_with(p))
}
/// Exit status of [`create_pool`] when the name is taken.
pub const EXISTS: i32 = 3;

/// The run's pool, named after its timestamp (`20261202T021500Z`).
pub fn pool_name(run_id: &str) -> String {
    format!("{POOL_PREFIX}{}", run_id.to_lowercase())
}

/// Makes the pool, refusing (exit [`EXISTS`], nothing touched) when a pool
/// of that name exists. Compression off, so what rados bench writes is
/// what the OSDs store (its data pattern would compress), autoscaler off
/// so the PG count stays put during the run, the application tag named
/// after the prefix (`tbmesh-bench`, `tbmesh-failover`: a pool without one
/// raises a health warning); prints the pool's size.
pub fn create_pool(pool: &str) -> String {
    assert!(is_temp_pool(pool), "not a temporary pool: {pool}");
    let app = TEMP_PREFIXES
        .iter()
        .find(|p| pool.starts_with(*p))
        .map_or("tbmesh", |p| p.trim_end_matches('-'));
    let p = q(pool);
    format!(
        "set -eu\n\
         if ceph osd pool ls | grep -qxF -- {p}; then echo \"pool {pool} exists: not ours, not touched\" >&2; exit {EXISTS}; fi\n\
         out=$(ceph osd pool create {p} {PG_NUM} {PG_NUM} replicated --autoscale-mode=off 2>&1)\n\
         case \"$out\" in *'already exists'*) echo \"pool {pool} exists: not ours, not touched\" >&2; exit {EXISTS};; esac\n\
         ceph osd pool set {p} compression_mode none >/dev/null\n\
         ceph osd pool application enable {p} {app} --yes-i-really-mean-it >/dev/null\n\
         ceph osd pool get {p} size\n"
    )
}

/// One phase of rados bench, bounded by `timeout` should it hang.
pub fn bench(pool: &str, phase: &str, secs: u32) -> String {
    let size = if phase == "write" {
        format!(" -b {OBJECT_BYTES} -O {OBJECT_BYTES} --no-cleanup")
    } else {
        String::new()
    };
    format!(
        "timeout --kill-after=10 {} rados bench -p {} {secs} {} -t {THREADS}{size} --run-name tbmesh 2>&1\n",
        u64::from(secs) + 120,
        q(pool),
        q(phase)
    )
}

/// Deletes the run's pool (only ever a [`TEMP_PREFIXES`] name).
pub fn delete_pool(pool: &str) -> String {
    assert!(is_temp_pool(pool), "not a temporary pool: {pool}");
    let p = q(pool);
    format!("ceph osd pool delete {p} {p} --yes-i-really-really-mean-it 2>&1\n")
}

/// Whether the pool is gone (exit 0) or still listed (exit 1).
pub fn pool_gone(pool: &str) -> String {
    format!("! ceph osd pool ls | grep -qxF -- {}\n", q(pool))
}

/// Did the deletion fail because the monitors do not allow it?
pub fn refused_by_mon(output: &str) -> bool {
    output.contains("mon_allow_pool_delete")
}

/// What `mon_allow_pool_delete` is before tbmesh sets it: the effective
/// value for the monitors (`ceph config get`) and the value explicitly set
/// in the `mon` section of the configuration database, if any.
pub const READ_ALLOW: &str = "ceph config get mon mon_allow_pool_delete\n\
     echo ---\n\
     ceph config dump --format json\n";

/// Before the deletion: what to put back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AllowBefore {
    /// `ceph config get mon mon_allow_pool_delete`.
    pub effective: String,
    /// The `mon` section's own entry, `None` when it has none.
    pub explicit: Option<String>,
}

/// Reads the output of [`READ_ALLOW`].
pub fn parse_allow(text: &str) -> Result<AllowBefore, String> {
    let (get, dump) = text
        .split_once("\n---\n")
        .ok_or("no `ceph config dump` output")?;
    let effective = get.trim().to_string();
    if effective.is_empty() {
        return Err("`ceph config get mon mon_allow_pool_delete` printed nothing".into());
    }
    let dump: Value = serde_json::from_str(dump.trim())
        .map_err(|e| format!("unreadable `ceph config dump --format json`: {e}"))?;
    let entries = dump
        .as_array()
        .ok_or("`ceph config dump --format json` is not a list")?;
    let explicit = entries
        .iter()
        .find(|e| e["section"] == "mon" && e["name"] == "mon_allow_pool_delete")
        .map(|e| match &e["value"] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
    Ok(AllowBefore {
        effective,
        explicit,
    })
}

/// Allows the deletion (in the configuration database's `mon` section).
pub const ALLOW: &str = "ceph config set mon mon_allow_pool_delete true\n";

/// Puts back what was there: the explicit value, or no entry at all.
pub fn restore_allow(before: &AllowBefore) -> String {
    match &before.explicit {
        Some(v) => format!("ceph config set mon mon_allow_pool_delete {}\n", q(v)),
        None => "ceph config rm mon mon_allow_pool_delete\n".into(),
    }
}

/// The summary of one rados bench phase.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RadosFigures {
    /// Seconds the phase ran.
    pub seconds: f64,
    /// Objects written or read.
    pub ops: u64,
    /// Bandwidth, MB/s as rados bench counts them (MiB).
    pub mb_per_s: f64,
    pub iops: f64,
    /// Latencies, milliseconds.
    pub avg_latency_ms: f64,
    pub max_latency_ms: f64,
    pub min_latency_ms: f64,
}

/// Reads the summary rados bench prints at the end of a phase
/// (`Bandwidth (MB/sec):`, `Average IOPS:`, `Average Latency(s):`, ...).
pub fn parse_rados(text: &str) -> Result<RadosFigures, String> {
    let field = |key: &str| -> Result<f64, String> {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(key))
            .ok_or_else(|| format!("no `{key}` line in rados bench's output"))?;
        let v = line[line.find(':').map_or(line.len(), |i| i + 1)..].trim();
        v.parse()
            .map_err(|_| format!("unreadable value in rados bench's {line:?}"))
    };
    let ops = field("Total writes made:").or_else(|_| field("Total reads made:"));
    let figures = (|| {
        Ok::<_, String>(RadosFigures {
            seconds: field("Total time run:")?,
            ops: ops? as u64,
            mb_per_s: field("Bandwidth (MB/sec):")?,
            iops: field("Average IOPS:")?,
            avg_latency_ms: field("Average Latency(s):")? * 1000.0,
            max_latency_ms: field("Max latency(s):")? * 1000.0,
            min_latency_ms: field("Min latency(s):")? * 1000.0,
        })
    })();
    figures.map_err(|e| {
        // rados bench's own complaint says more than the missing line.
        match text.lines().rev().find(|l| !l.trim().is_empty()) {
            Some(last) if !text.contains("Total time run:") => {
                format!("rados bench failed: {}", last.trim())
            }
            _ => e,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_summary_is_read() {
        let t = include_str!("testdata/rados-write.txt");
        let f = parse_rados(t).expect("parsed");
        assert_eq!(f.ops, 54);
        assert_eq!(f.mb_per_s, 60.0588);
        assert_eq!(f.iops, 15.0);
        assert!((f.avg_latency_ms - 1042.24).abs() < 1e-9, "{f:?}");
        assert!((f.max_latency_ms - 1962.25).abs() < 1e-9, "{f:?}");
        assert!((f.seconds - 3.59647).abs() < 1e-12, "{f:?}");
    }

    #[test]
    fn read_summaries_are_read() {
        for t in [
            include_str!("testdata/rados-seq.txt"),
            include_str!("testdata/rados-rand.txt"),
        ] {
            let f = parse_rados(t).expect("parsed");
            assert!(f.ops >= 54 && f.mb_per_s > 250.0 && f.iops >= 62.0, "{f:?}");
        }
    }

    #[test]
    fn a_failed_run_says_why() {
        let e = parse_rados("error opening pool tbmesh-bench-x: (2) No such file or directory\n")
            .unwrap_err();
        assert!(e.contains("No such file or directory"), "{e}");
    }

    #[test]
    fn allow_setting_is_put_back_as_it_was() {
        let none = parse_allow("false\n---\n[{\"section\":\"global\",\"name\":\"mon_allow_pool_delete\",\"value\":\"true\"}]\n").expect("parsed");
        assert_eq!(none.effective, "false");
        assert_eq!(none.explicit, None, "only the mon section counts");
        assert_eq!(
            restore_allow(&none),
            "ceph config rm mon mon_allow_pool_delete\n"
        );
        let set = parse_allow(
            "false\n---\n[{\"section\":\"mon\",\"name\":\"mon_allow_pool_delete\",\"value\":\"false\"}]",
        )
        .expect("parsed");
        assert_eq!(set.explicit.as_deref(), Some("false"));
        assert_eq!(
            restore_allow(&set),
            "ceph config set mon mon_allow_pool_delete false\n"
        );
        assert!(parse_allow("false\n").is_err());
    }

    #[test]
    fn only_bench_pools_are_deleted() {
        let name = pool_name("20261202T021500Z");
        assert_eq!(name, "tbmesh-bench-20261202t021500z");
        assert!(delete_pool(&name).contains("tbmesh-bench-20261202t021500z"));
        assert!(std::panic::catch_unwind(|| delete_pool("rbd")).is_err());
        assert!(create_pool(&name).contains(" tbmesh-bench --yes-i-really-mean-it"));
        let f = crate::failover::load::pool_name("20261202T021500Z");
        assert!(create_pool(&f).contains(" tbmesh-failover --yes-i-really-mean-it"));
        assert!(delete_pool(&f).contains("delete tbmesh-failover-20261202t021500z"));
        assert!(refused_by_mon("Error EPERM: pool deletion is disabled; you must first set the mon_allow_pool_delete config option to true before you can destroy a pool"));
    }
}
