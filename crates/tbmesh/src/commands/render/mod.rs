//! `tbmesh render --out DIR`: every file tbmesh would install, offline.

mod outdir;

use crate::exit::{CmdResult, ExitStatus, Fail};
use crate::printer::Printer;
use crate::specfile;
use anyhow::Context;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use tbmesh_core::render::{render, PveVersion, RenderOptions, Rendered};

pub fn run(spec: Option<&Path>, out: &Path, pve_version: &str, printer: &Printer) -> CmdResult {
    let pve = PveVersion::parse(pve_version).map_err(|m| {
        Fail::bad_input(anyhow::anyhow!("--pve-version: {m}"))
            .hint("e.g. --pve-version 9.1, or --pve-version network:1.2.5")
    })?;
    let loaded = specfile::load(spec, printer)?;
    let opts = RenderOptions {
        pve,
        ..RenderOptions::default()
    };
    let mut rendered = render(&loaded.cluster, &opts);
    // tbmesh-ceph: cluster/ceph.txt and the ceph.conf of each backend
    rendered
        .cluster
        .extend(crate::ceph::render_files(&loaded.cluster));
    let files = tree(&rendered);
    let rels: Vec<PathBuf> = files.iter().map(|f| f.rel.clone()).collect();
    let dir = outdir::prepare(out, &loaded.path, &rels)?;
    dir.replace(&rels)
        .with_context(|| format!("replacing the earlier render in {}", out.display()))
        .map_err(Fail::failure)?;
    let mut written = vec![];
    for f in &files {
        written.push(
            write_file(out, f)
                .with_context(|| format!("writing the render into {}", out.display()))?,
        );
    }
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

/// Every file of the render (default options), relative path and content:
/// what `render --out` writes, for the support bundle.
pub(crate) fn rendered_files(c: &tbmesh_core::Cluster) -> Vec<(PathBuf, String)> {
    let mut rendered = render(c, &RenderOptions::default());
    rendered.cluster.extend(crate::ceph::render_files(c));
    tree(&rendered)
        .into_iter()
        .map(|f| (f.rel, f.content))
        .collect()
}

/// One file of the render, relative to `--out`.
struct OutFile {
    rel: PathBuf,
    mode: u32,
    content: String,
}

/// `nodes/<node>/<absolute path>`, `nodes/<node>/steps.txt`, `cluster/...`.
fn tree(r: &Rendered) -> Vec<OutFile> {
    let mut files = vec![];
    for (node, nr) in &r.nodes {
        let base = Path::new("nodes").join(node);
        for f in &nr.files {
            files.push(OutFile {
                rel: base.join(f.path.trim_start_matches('/')),
                mode: f.mode,
                content: f.content.clone(),
            });
        }
        files.push(OutFile {
            rel: base.join("steps.txt"),
            mode: 0o644,
            content: nr.steps_text(),
        });
    }
    for f in &r.cluster {
        files.push(OutFile {
            rel: Path::new("cluster").join(f.path.trim_start_matches('/')),
            mode: f.mode,
            content: f.content.clone(),
        });
    }
    files
}

fn write_file(out: &Path, f: &OutFile) -> anyhow::Result<PathBuf> {
    let path = out.join(&f.rel);
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    fs::write(&path, &f.content).with_context(|| format!("writing {}", path.display()))?;
    fs::set_permissions(&path, fs::Permissions::from_mode(f.mode))
        .with_context(|| format!("setting the mode of {}", path.display()))?;
    Ok(path)
}
