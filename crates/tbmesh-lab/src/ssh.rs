//! Keys, and reaching nodes the way tbmesh will: `ssh -F ssh_config`.

use std::fs;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::host::Cmd;

/// Makes an ed25519 key pair at `path` (and `path.pub`); returns the
/// public key line.
pub fn keygen(path: &Path, comment: &str) -> Result<String> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    // `up` writes its own files (ssh_config, known_hosts, the spec) over
    // old ones; a key left by a crashed lab whose state file was lost (its
    // files are then kept by `down`) would make ssh-keygen stop and ask.
    for old in [path.to_path_buf(), path.with_extension("pub")] {
        match fs::remove_file(&old) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("removing {}", old.display())),
        }
    }
    Cmd::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f"])
        .arg(path)
        .run()?;
    let public = path.with_extension("pub");
    let text =
        fs::read_to_string(&public).with_context(|| format!("reading {}", public.display()))?;
    // Keep "type key", drop the comment: known_hosts and authorized_keys
    // lines get their own.
    Ok(text.trim().to_string())
}

/// One ssh through the lab's config, non-interactive.
pub fn ssh(config: &Path, node: &str, command: &str, connect_timeout: u32) -> Cmd {
    Cmd::new("ssh").arg("-F").arg(config).args([
        "-o",
        "BatchMode=yes",
        "-o",
        &format!("ConnectTimeout={connect_timeout}"),
        node,
        "--",
        command,
    ])
}

/// Whether `node` answers ssh (with its recorded host key) right now.
pub fn answers(config: &Path, node: &str) -> bool {
    ssh(config, node, "true", 3).succeeds()
}

/// Waits until every node answers; returns each node's time to answer,
/// measured from `since`.
pub fn wait_all(
    config: &Path,
    nodes: &[String],
    since: Instant,
    timeout: Duration,
) -> Result<Vec<(String, f64)>> {
    let results: Vec<(String, Option<f64>)> = thread::scope(|scope| {
        let handles: Vec<_> = nodes
            .iter()
            .map(|node| {
                scope.spawn(move || {
                    let ok = crate::host::wait_until(timeout, Duration::from_millis(200), || {
                        answers(config, node)
                    });
                    (node.clone(), ok.then(|| since.elapsed().as_secs_f64()))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| (String::new(), None)))
            .collect()
    });
    let missing: Vec<&str> = results
        .iter()
        .filter(|(_, t)| t.is_none())
        .map(|(n, _)| n.as_str())
        .collect();
    if !missing.is_empty() {
        bail!(
            "ssh did not answer on {} within {} s",
            missing.join(", "),
            timeout.as_secs()
        );
    }
    Ok(results
        .into_iter()
        .map(|(n, t)| (n, t.unwrap_or_default()))
        .collect())
}
