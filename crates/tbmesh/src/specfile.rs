//! Reading the spec file from disk: the I/O edge in front of the pure parser.

use crate::exit::Fail;
use crate::printer::Printer;
use anyhow::anyhow;
use std::path::{Path, PathBuf};
use tbmesh_core::{Cluster, Diagnostic, Source};

pub const DEFAULT_SPEC: &str = "tbmesh.toml";
/// A spec larger than this is refused unread (docs/spec.md, "Limits").
pub const MAX_SPEC_BYTES: u64 = 1 << 20;
/// Diagnostics printed in full; the rest are counted (issue 14 item 10).
pub const MAX_SHOWN_DIAGNOSTICS: usize = 50;

/// A loaded, valid spec with where it came from.
pub struct Loaded {
    pub path: PathBuf,
    pub cluster: Cluster,
}

impl Loaded {
    /// The directory relative paths in the spec are taken from.
    pub fn dir(&self) -> &Path {
        self.path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    }
}

/// What to do when there is no spec at all: `tbmesh init` writes one from
/// the hardware; an example edited by hand is the other way.
pub const FIRST_SPEC_HINT: &str = "to write a first spec from the nodes themselves, run `tbmesh init HOST1 HOST2 HOST3` \
(it reads each node, finds the cabling and writes tbmesh.toml; docs/init.md), or copy one of examples/ in tbmesh's source \
(ms01-3node.toml: 3 nodes with Ceph; static-3node.toml: static routes, no FRR) and change the nodes' hosts, ports (PCI paths) \
and OSD disks, see docs/spec.md";

/// Read the spec's text (default `tbmesh.toml`); a missing file is bad input.
pub fn read(path: Option<&Path>) -> Result<(PathBuf, Source), Fail> {
    let path = path.map_or_else(|| PathBuf::from(DEFAULT_SPEC), Path::to_path_buf);
    let unreadable = |e: std::io::Error| {
        let missing = e.kind() == std::io::ErrorKind::NotFound;
        let place = if path == Path::new(DEFAULT_SPEC) {
            "run tbmesh in the directory that holds tbmesh.toml, or pass -f FILE"
        } else {
            "check the path given to -f/--spec"
        };
        let hint = if missing {
            format!("{place}; {FIRST_SPEC_HINT}")
        } else {
            place.to_string()
        };
        Fail::bad_input(anyhow!("reading spec {}: {e}", path.display())).hint(hint)
    };
    let file = std::fs::File::open(&path).map_err(unreadable)?;
    let mut bytes = vec![];
    std::io::Read::read_to_end(
        &mut std::io::Read::take(file, MAX_SPEC_BYTES + 1),
        &mut bytes,
    )
    .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_SPEC_BYTES {
        return Err(Fail::bad_input(anyhow!(
            "spec {} is larger than {} KiB",
            path.display(),
            MAX_SPEC_BYTES / 1024
        ))
        .hint("a spec is a few kilobytes: check that -f names the spec, not another file"));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let (line, col) = utf8_error_place(e.as_bytes(), e.utf8_error().valid_up_to());
        Fail::bad_input(anyhow!(
            "{}:{line}:{col}: the spec is not UTF-8 text (byte 0x{:02x})",
            path.display(),
            e.as_bytes()[e.utf8_error().valid_up_to()]
        ))
        .hint("save the file as UTF-8 (TOML files are UTF-8)")
    })?;
    let source = Source::new(path.display().to_string(), text);
    Ok((path, source))
}

/// 1-based line and column (in characters) of the first byte that is not UTF-8.
fn utf8_error_place(bytes: &[u8], valid_up_to: usize) -> (usize, usize) {
    let valid = String::from_utf8_lossy(&bytes[..valid_up_to]);
    let line = valid.matches('\n').count() + 1;
    let start = valid.rfind('\n').map_or(0, |i| i + 1);
    (line, valid[start..].chars().count() + 1)
}

/// Read and validate the spec; on error print every diagnostic and fail with
/// status 2. Warnings are printed to stderr and returned.
pub fn load(path: Option<&Path>, printer: &Printer) -> Result<Loaded, Fail> {
    let (path, source) = read(path)?;
    match tbmesh_core::spec::load(&source) {
        Ok((cluster, warnings)) => {
            print_diagnostics(printer, &source, &warnings);
            Ok(Loaded { path, cluster })
        }
        Err(diags) => {
            print_diagnostics(printer, &source, &diags);
            Err(spec_errors(&source, &diags))
        }
    }
}

pub fn print_diagnostics(printer: &Printer, source: &Source, diags: &[Diagnostic]) {
    for d in diags.iter().take(MAX_SHOWN_DIAGNOSTICS) {
        printer.note(d.located(source).to_string().trim_end());
    }
    if diags.len() > MAX_SHOWN_DIAGNOSTICS {
        let more = diags.len() - MAX_SHOWN_DIAGNOSTICS;
        printer.note(format!(
            "... and {more} more (not shown; fix the ones above first, or see them all with --json)"
        ));
    }
}

/// The failure that ends a command whose spec has errors.
pub fn spec_errors(source: &Source, diags: &[Diagnostic]) -> Fail {
    let n = diags.iter().filter(|d| d.is_error()).count();
    Fail::bad_input(anyhow!(
        "{} has {n} error{}; nothing was contacted",
        source.name,
        if n == 1 { "" } else { "s" }
    ))
}

/// The diagnostics as JSON, for `--json` output.
pub fn diagnostics_json(source: &Source, diags: &[Diagnostic]) -> serde_json::Value {
    serde_json::Value::Array(
        diags
            .iter()
            .map(|d| {
                serde_json::json!({
                    "severity": d.severity,
                    "location": d.location(source),
                    "message": d.message,
                    "hint": d.hint,
                })
            })
            .collect(),
    )
}
