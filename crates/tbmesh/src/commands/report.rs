//! `tbmesh report --out FILE`: one self-contained HTML page from the newest
//! saved verify, bench and failover-test results (touches no host).

use crate::exit::{CmdResult, ExitStatus, Fail};
use crate::printer::Printer;
use crate::results;
use crate::specfile;
use anyhow::Context;
use serde_json::json;
use std::io::Write;
use std::path::Path;
use std::time::SystemTime;
use tbmesh_core::report::{self, Inputs, Saved};

pub fn run(spec: Option<&Path>, out: &Path, printer: &Printer) -> CmdResult {
    let loaded = specfile::load(spec, printer)?;
    let text = std::fs::read_to_string(&loaded.path)
        .with_context(|| format!("reading {}", loaded.path.display()))?;
    let c = &loaded.cluster;
    let cluster = &c.spec.cluster.name.value;
    let newest = |kind: &str| -> Result<Option<Saved>, Fail> {
        let found = results::latest(cluster, kind)
            .with_context(|| format!("reading the saved {kind} results"))?;
        Ok(found.map(|(path, doc)| {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            let time = name
                .strip_prefix(&format!("{kind}-"))
                .and_then(|r| r.strip_suffix(".json"))
                .unwrap_or_default()
                .to_string();
            Saved {
                time,
                file: path.display().to_string(),
                doc,
            }
        }))
    };
    let inputs = Inputs {
        verify: newest("verify")?,
        bench: newest("bench")?,
        failover: newest("failover")?,
        version: env!("CARGO_PKG_VERSION").to_string(),
        spec_digest: report::spec_digest(&text),
        generated: results::timestamp(SystemTime::now()),
    };
    let page = report::render(c, &inputs);
    write_atomically(out, page.as_bytes())?;
    let time = |s: &Option<Saved>| s.as_ref().map(|s| s.time.clone());
    if printer.json {
        printer.json(&json!({
            "out": out.display().to_string(),
            "bytes": page.len(),
            "verify": time(&inputs.verify),
            "bench": time(&inputs.bench),
            "failover": time(&inputs.failover),
        }));
    } else {
        let of = |what: &str, s: &Option<Saved>| match s {
            Some(s) => format!("{what} of {}", s.time),
            None => format!("no {what}"),
        };
        printer.line(format!(
            "wrote {} ({} bytes): {}, {}, {}",
            out.display(),
            page.len(),
            of("verify", &inputs.verify),
            of("bench", &inputs.bench),
            of("failover-test", &inputs.failover)
        ));
    }
    Ok(ExitStatus::Success)
}

/// Writes `bytes` to a temporary file next to `path`, then renames it.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Fail> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report.html".into());
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    let mut f =
        std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
