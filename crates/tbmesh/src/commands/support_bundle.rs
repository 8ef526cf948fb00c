//! `tbmesh support-bundle [--out FILE]`: one tar.gz with what a helper
//! needs to see a cluster's state (reads hosts): the spec, the rendered
//! files, each node's facts, verify's and status's JSON, and per node its
//! links and routes, FRR's JSON views, journal excerpts of FRR and
//! networking, Ceph's status, health and OSD tree. Every text passes
//! `tbmesh_core::bundle::redact` before it is written (no keyring line, no
//! private key, no `key = ...`); keyrings and private keys are never asked for.

use super::{render, status, verify};
use crate::engine;
use crate::exit::{CmdResult, ExitStatus, Fail};
use crate::printer::Printer;
use crate::session::{HostOptions, Session};
use crate::specfile;
use anyhow::{anyhow, Context};
use serde_json::json;
use std::fs;
use std::path::{Path, PathBuf};
use tbmesh_core::bundle;

pub fn run(
    spec: Option<&Path>,
    out: Option<&Path>,
    host: &HostOptions,
    printer: &Printer,
) -> CmdResult {
    let loaded = specfile::load(spec, printer)?;
    let spec_text = fs::read_to_string(&loaded.path)
        .with_context(|| format!("reading {}", loaded.path.display()))?;
    let cluster = loaded.cluster.spec.cluster.name.value.clone();
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let top = format!("tbmesh-support-{cluster}-{stamp}");
    let out = out.map_or_else(|| PathBuf::from(format!("{top}.tar.gz")), Path::to_path_buf);
    if out.exists() {
        return Err(Fail::bad_input(anyhow!("{} exists", out.display()))
            .hint("name a new file with --out, or remove the old bundle"));
    }
    let session = Session::open(loaded, host)?;
    let staging = std::env::temp_dir().join(format!("tbmesh-bundle-{}", std::process::id()));
    let result =
        collect(&session, &spec_text, &staging.join(&top), printer).and_then(|(files, errors)| {
            pack(&staging, &top, &out)?;
            Ok((files, errors))
        });
    let _ = fs::remove_dir_all(&staging);
    let (files, errors) = result.map_err(Fail::failure)?;
    if printer.json {
        printer.json(&json!({"out": out.display().to_string(), "files": files, "errors": errors}));
    } else {
        for e in &errors {
            printer.note(format!("warning: {e}"));
        }
        printer.line(format!(
            "wrote {} ({} files{})",
            out.display(),
            files.len(),
            if errors.is_empty() {
                String::new()
            } else {
                format!(
                    ", {} part(s) could not be collected: see errors.txt",
                    errors.len()
                )
            }
        ));
    }
    Ok(ExitStatus::Success)
}

/// Write every part under `dir`; the files written (relative) and what
/// could not be collected (also written to errors.txt).
fn collect(
    session: &Session,
    spec_text: &str,
    dir: &Path,
    printer: &Printer,
) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let c = &session.loaded.cluster;
    let quiet = Printer { json: true };
    let mut files = vec![];
    let mut errors = vec![];
    let mut put = |rel: &str, text: &str| -> anyhow::Result<()> {
        let path = dir.join(rel);
        if let Some(p) = path.parent() {
            fs::create_dir_all(p).with_context(|| format!("creating {}", p.display()))?;
        }
        fs::write(&path, bundle::redact(text))
            .with_context(|| format!("writing {}", path.display()))?;
        files.push(rel.to_string());
        Ok(())
    };
    put("spec/tbmesh.toml", spec_text)?;
    for (rel, content) in render::rendered_files(c) {
        put(&format!("rendered/{}", rel.display()), &content)?;
    }
    printer.note("support-bundle: facts");
    match engine::prepare(session, &engine::MESH_PHASES, &quiet) {
        Ok(p) => {
            for (i, f) in p.facts.iter().enumerate() {
                put(
                    &format!("facts/{}.json", c.node_name(i)),
                    &serde_json::to_string_pretty(f)?,
                )?;
            }
        }
        Err(f) => errors.push(format!("facts: {:#}", f.error)),
    }
    printer.note("support-bundle: verify");
    match verify::check(session, false, &quiet) {
        Ok(r) => put(
            "verify.json",
            &serde_json::to_string_pretty(&json!({
                "ok": r.ok(), "checks": r.checks, "failed": r.failed().count(), "notes": r.notes,
            }))?,
        )?,
        Err(f) => errors.push(format!("verify: {:#}", f.error)),
    }
    printer.note("support-bundle: status and per-node logs");
    let started = std::time::Instant::now();
    let st = status::gather(session);
    put(
        "status.json",
        &serde_json::to_string_pretty(&status::to_json(&st, started.elapsed().as_secs_f64()))?,
    )?;
    let script = bundle::script();
    for (i, r) in session.each(&session.all(), |_, t| t.run(&script)) {
        let node = c.node_name(i);
        match r {
            Ok(o) => {
                for (file, body) in bundle::split(&o.stdout) {
                    put(&format!("nodes/{node}/{file}"), &body)?;
                }
            }
            Err(e) => errors.push(format!("{node}: {e:#}")),
        }
    }
    if !errors.is_empty() {
        put("errors.txt", &(errors.join("\n") + "\n"))?;
    }
    Ok((files, errors))
}

/// `tar -czf OUT -C STAGING TOP`.
fn pack(staging: &Path, top: &str, out: &Path) -> anyhow::Result<()> {
    let st = std::process::Command::new("tar")
        .arg("-czf")
        .arg(out)
        .arg("-C")
        .arg(staging)
        .arg(top)
        .status()
        .context("running tar (is it installed?)")?;
    if !st.success() {
        return Err(anyhow!("tar failed ({st}) writing {}", out.display()));
    }
    Ok(())
}
