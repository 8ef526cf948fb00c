//! Results kept between runs for `tbmesh report`: one JSON file per run of
//! `bench`, `failover-test` or `verify --save`, under
//! `$XDG_STATE_HOME/tbmesh/<cluster>/` (default `~/.local/state/tbmesh/<cluster>/`),
//! named `<kind>-<UTC time>.json`. The newest file of a kind wins.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use serde_json::Value;

/// The directory holding a cluster's saved results.
pub fn dir(cluster: &str) -> Result<PathBuf> {
    let base = match std::env::var_os("XDG_STATE_HOME").filter(|v| !v.is_empty()) {
        Some(state) => PathBuf::from(state),
        None => match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
            Some(home) => PathBuf::from(home).join(".local/state"),
            None => bail!("neither XDG_STATE_HOME nor HOME is set: nowhere to keep results"),
        },
    };
    Ok(base.join("tbmesh").join(cluster))
}

/// A UTC timestamp for file names and documents: `20261201T230511Z`.
pub fn timestamp(at: SystemTime) -> String {
    let secs = at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian, UTC).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Saves one run's document as `<dir>/<kind>-<timestamp>.json` (written to
/// a temporary file first, then renamed); returns the path.
pub fn save(cluster: &str, kind: &str, doc: &Value) -> Result<PathBuf> {
    save_in(&dir(cluster)?, kind, doc, SystemTime::now())
}

fn save_in(dir: &Path, kind: &str, doc: &Value, at: SystemTime) -> Result<PathBuf> {
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(format!("{kind}-{}.json", timestamp(at)));
    let tmp = dir.join(format!(".{kind}.tmp"));
    let mut f = fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    serde_json::to_writer_pretty(&mut f, doc).context("encoding results")?;
    f.write_all(b"\n")
        .and_then(|()| f.sync_all())
        .with_context(|| format!("writing {}", tmp.display()))?;
    fs::rename(&tmp, &path).with_context(|| format!("renaming to {}", path.display()))?;
    Ok(path)
}

/// The newest saved document of `kind` and its path, if any.
pub fn latest(cluster: &str, kind: &str) -> Result<Option<(PathBuf, Value)>> {
    latest_in(&dir(cluster)?, kind)
}

fn latest_in(dir: &Path, kind: &str) -> Result<Option<(PathBuf, Value)>> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    };
    let prefix = format!("{kind}-");
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| {
            n.strip_prefix(&prefix)
                .and_then(|rest| rest.strip_suffix(".json"))
                .is_some_and(|ts| ts.len() == 16 && ts.ends_with('Z'))
        })
        .collect();
    // Timestamps sort as text.
    names.sort();
    let Some(name) = names.pop() else {
        return Ok(None);
    };
    let path = dir.join(name);
    let text = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let doc = serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    Ok(Some((path, doc)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_are_utc_calendar_times() {
        assert_eq!(timestamp(UNIX_EPOCH), "19700101T000000Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_796_166_311); // 2026-12-01 23:05:11
        assert_eq!(timestamp(t), "20261201T230511Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(timestamp(leap), "20000229T000000Z");
    }

    #[test]
    fn the_newest_document_of_a_kind_wins() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path().join("c");
        assert!(latest_in(&dir, "bench")
            .expect("no dir is no result")
            .is_none());
        let t0 = UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        save_in(&dir, "bench", &serde_json::json!({"n": 1}), t0).expect("save");
        save_in(
            &dir,
            "bench",
            &serde_json::json!({"n": 2}),
            t0 + Duration::from_secs(60),
        )
        .expect("save");
        save_in(
            &dir,
            "failover",
            &serde_json::json!({"n": 3}),
            t0 + Duration::from_secs(120),
        )
        .expect("save");
        let (path, doc) = latest_in(&dir, "bench").expect("read").expect("a result");
        assert_eq!(doc["n"], 2);
        assert!(path.ends_with("bench-20010909T014740Z.json"), "{path:?}");
        assert!(!dir.join(".bench.tmp").exists());
    }
}
