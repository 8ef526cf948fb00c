//! `tbmesh render --out DIR`: every file tbmesh would install, offline.

use crate::exit::{CmdResult, ExitStatus, Fail};
use crate::printer::Printer;
use crate::specfile;
use anyhow::{anyhow, Context};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use tbmesh_core::render::{render, ManagedFile, PveVersion, RenderOptions, Rendered};

/// Marks a directory as a tbmesh render, so a new render may replace it.
const MARKER: &str = ".tbmesh-render";

pub fn run(spec: Option<&Path>, out: &Path, pve_version: &str, printer: &Printer) -> CmdResult {
    let pve = PveVersion::parse(pve_version).map_err(|m| {
        Fail::bad_input(anyhow!("--pve-version: {m}"))
            .hint("e.g. --pve-version 9.1, or --pve-version network:1.2.5")
    })?;
    let loaded = specfile::load(spec, printer)?;
    let opts = RenderOptions {
        pve,
        ..RenderOptions::default()
    };
    let mut rendered = render(&loaded.cluster, &opts);
    // tbmesh-ceph: cluster/ceph.sh and the ceph.conf of each backend
    rendered
        .cluster
        .extend(crate::ceph::render_files(&loaded.cluster));
    prepare(out)?;
    let written = write_tree(out, &rendered)
        .with_context(|| format!("writing the render into {}", out.display()))?;
    if printer.json {
        let files: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
        printer.json(&serde_json::json!({ "out": out.display().to_string(), "files": files }));
    } else {
        for p in &written {
            printer.line(p.display().to_string());
        }
        printer.note(format!(
            "rendered {} files into {}",
            written.len(),
            out.display()
        ));
    }
    Ok(ExitStatus::Success)
}

/// An empty or missing directory, or an earlier render (replaced whole).
/// Anything else is refused: render never deletes what it did not write.
fn prepare(out: &Path) -> Result<(), Fail> {
    match fs::read_dir(out) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Fail::bad_input(anyhow!("reading {}: {e}", out.display()))),
        Ok(mut entries) => {
            let empty = entries.next().is_none();
            if !empty {
                if !out.join(MARKER).exists() {
                    return Err(Fail::bad_input(anyhow!(
                        "{} is not empty and holds no earlier tbmesh render",
                        out.display()
                    ))
                    .hint("choose an empty or new directory for --out"));
                }
                fs::remove_dir_all(out)
                    .with_context(|| format!("removing the earlier render in {}", out.display()))?;
            }
        }
    }
    fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    Ok(())
}

fn write_file(base: &Path, f: &ManagedFile) -> anyhow::Result<PathBuf> {
    let path = base.join(f.path.trim_start_matches('/'));
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    fs::write(&path, &f.content).with_context(|| format!("writing {}", path.display()))?;
    fs::set_permissions(&path, fs::Permissions::from_mode(f.mode))
        .with_context(|| format!("setting the mode of {}", path.display()))?;
    Ok(path)
}

/// `nodes/<node>/<absolute path>`, `nodes/<node>/steps.txt`, `cluster/...`.
pub fn write_tree(out: &Path, r: &Rendered) -> anyhow::Result<Vec<PathBuf>> {
    fs::write(out.join(MARKER), "tbmesh render\n")
        .with_context(|| format!("writing {}", out.join(MARKER).display()))?;
    let mut written = vec![];
    for (node, nr) in &r.nodes {
        let base = out.join("nodes").join(node);
        for f in &nr.files {
            written.push(write_file(&base, f)?);
        }
        let steps = base.join("steps.txt");
        fs::create_dir_all(&base).with_context(|| format!("creating {}", base.display()))?;
        fs::write(&steps, nr.steps_text())
            .with_context(|| format!("writing {}", steps.display()))?;
        written.push(steps);
    }
    for f in &r.cluster {
        written.push(write_file(&out.join("cluster"), f)?);
    }
    Ok(written)
}
