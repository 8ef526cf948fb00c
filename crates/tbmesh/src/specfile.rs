//! Reading the spec file from disk: the I/O edge in front of the pure parser.

use crate::exit::Fail;
use crate::printer::Printer;
use anyhow::anyhow;
use std::path::{Path, PathBuf};
use tbmesh_core::{Cluster, Diagnostic, Source};

pub const DEFAULT_SPEC: &str = "tbmesh.toml";

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

/// Read the spec's text (default `tbmesh.toml`); a missing file is bad input.
pub fn read(path: Option<&Path>) -> Result<(PathBuf, Source), Fail> {
    let path = path.map_or_else(|| PathBuf::from(DEFAULT_SPEC), Path::to_path_buf);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        let hint = if path == Path::new(DEFAULT_SPEC) {
            "run tbmesh in the directory that holds tbmesh.toml, or pass -f FILE"
        } else {
            "check the path given to -f/--spec"
        };
        Fail::bad_input(anyhow!("reading spec {}: {e}", path.display())).hint(hint)
    })?;
    let source = Source::new(path.display().to_string(), text);
    Ok((path, source))
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
    for d in diags {
        printer.note(d.located(source).to_string().trim_end());
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
