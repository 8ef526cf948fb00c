//! The directory `render --out` writes into, and what render may remove there.
//!
//! Render only ever removes files it wrote itself: each render lists the
//! files it writes in its marker (`.tbmesh-render`, the manifest), and the
//! next render removes exactly those (plus directories they leave empty).
//! Anything else in the directory stays; a directory holding anything render
//! did not write, or the spec itself, is refused before a byte changes.

use crate::exit::Fail;
use anyhow::{anyhow, Context};
use std::collections::BTreeSet;
use std::fs;
use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};

/// Marks a directory as a tbmesh render and lists the files it wrote.
pub const MARKER: &str = ".tbmesh-render";
const HEADER: &str = "tbmesh render";
const MANIFEST_NOTE: &str =
    "# files this render wrote, relative to this directory; the next render removes only these";

/// An output directory that passed the checks, with the earlier render's files.
pub struct OutDir {
    root: PathBuf,
    earlier: BTreeSet<PathBuf>,
}

/// Check `out` before anything is written: it must not hold the spec, and
/// must be missing, empty, or an earlier render whose files are the only
/// ones `files` (the new render, relative paths) would replace.
pub fn prepare(out: &Path, spec: &Path, files: &[PathBuf]) -> Result<OutDir, Fail> {
    let hint_new = "choose a new or empty directory for --out, like --out render";
    match fs::symlink_metadata(out) {
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return Ok(OutDir {
                root: out.to_path_buf(),
                earlier: BTreeSet::new(),
            })
        }
        Err(e) => return Err(Fail::bad_input(anyhow!("reading {}: {e}", out.display()))),
        Ok(_) if !out.is_dir() => {
            return Err(
                Fail::bad_input(anyhow!("--out {} is not a directory", out.display()))
                    .hint(hint_new),
            )
        }
        Ok(_) => {}
    }
    if let (Ok(o), Ok(s)) = (out.canonicalize(), spec.canonicalize()) {
        if s.starts_with(&o) {
            return Err(Fail::bad_input(anyhow!(
                "--out {} holds the spec {}: render would write beside the file it reads",
                out.display(),
                spec.display()
            ))
            .hint("render into a directory of its own, like --out render (next to the spec)"));
        }
    }
    let mut entries = fs::read_dir(out)
        .map_err(|e| Fail::bad_input(anyhow!("reading {}: {e}", out.display())))?;
    if entries.next().is_none() {
        return Ok(OutDir {
            root: out.to_path_buf(),
            earlier: BTreeSet::new(),
        });
    }
    let marker = out.join(MARKER);
    let text = match fs::read_to_string(&marker) {
        Ok(t) => t,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return Err(Fail::bad_input(anyhow!(
                "{} is not empty and holds no earlier tbmesh render",
                out.display()
            ))
            .hint(hint_new))
        }
        Err(e) => {
            return Err(Fail::bad_input(anyhow!(
                "reading {}: {e}",
                marker.display()
            )))
        }
    };
    let earlier = parse_manifest(&text).ok_or_else(|| {
        Fail::bad_input(anyhow!(
            "{} is not a tbmesh render marker (it lists paths outside the directory, or none)",
            marker.display()
        ))
        .hint(hint_new)
    })?;
    // A file the new render would write over must be one the last render wrote.
    for rel in files {
        for (i, p) in ancestors_within(out, rel).into_iter().enumerate() {
            let Ok(meta) = fs::symlink_metadata(&p) else {
                break;
            };
            let is_leaf = i == 0;
            let ours = is_leaf && earlier.contains(rel) && meta.is_file();
            let dir_ok = !is_leaf && meta.is_dir();
            if !(ours || dir_ok) {
                return Err(Fail::bad_input(anyhow!(
                    "{} was not written by the earlier render in {}; render would overwrite it",
                    p.display(),
                    out.display()
                ))
                .hint(format!(
                    "move it away, or choose a new directory for --out ({hint_new})"
                )));
            }
        }
    }
    Ok(OutDir {
        root: out.to_path_buf(),
        earlier,
    })
}

impl OutDir {
    /// Remove the earlier render's files (only those) and write the new
    /// manifest, listing `files` before any of them is written.
    pub fn replace(&self, files: &[PathBuf]) -> anyhow::Result<()> {
        for rel in &self.earlier {
            self.remove_earlier(rel)?;
        }
        fs::create_dir_all(&self.root)
            .with_context(|| format!("creating {}", self.root.display()))?;
        let marker = self.root.join(MARKER);
        fs::write(&marker, manifest(files)).with_context(|| format!("writing {}", marker.display()))
    }

    fn remove_earlier(&self, rel: &Path) -> anyhow::Result<()> {
        let chain = ancestors_within(&self.root, rel);
        // Never follow a symlinked directory out of the render.
        if chain[1..]
            .iter()
            .any(|d| fs::symlink_metadata(d).is_ok_and(|m| !m.is_dir()))
        {
            return Ok(());
        }
        let path = &chain[0];
        match fs::symlink_metadata(path) {
            Ok(m) if m.is_file() || m.file_type().is_symlink() => {
                fs::remove_file(path).with_context(|| format!("removing {}", path.display()))?;
            }
            _ => return Ok(()),
        }
        // Directories the render made and that are empty now.
        for dir in &chain[1..] {
            if fs::remove_dir(dir).is_err() {
                break;
            }
        }
        Ok(())
    }
}

/// `root/rel` and each of its parents strictly inside `root`, deepest first.
fn ancestors_within(root: &Path, rel: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    let mut cur = Some(rel);
    while let Some(p) = cur.filter(|p| !p.as_os_str().is_empty()) {
        out.push(root.join(p));
        cur = p.parent();
    }
    out
}

fn manifest(files: &[PathBuf]) -> String {
    let mut s = format!("{HEADER}\n{MANIFEST_NOTE}\n");
    for f in files {
        s.push_str(&f.display().to_string());
        s.push('\n');
    }
    s
}

/// The files an earlier render listed; `None` when the marker is not one.
fn parse_manifest(text: &str) -> Option<BTreeSet<PathBuf>> {
    let mut lines = text.lines();
    if lines.next()? != HEADER {
        return None;
    }
    let mut files = BTreeSet::new();
    for l in lines.filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let p = PathBuf::from(l);
        if p.components().all(|c| matches!(c, Component::Normal(_))) && p.as_os_str() != MARKER {
            files.insert(p);
        } else {
            return None;
        }
    }
    Some(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_round_trip_and_refuse_paths_outside() {
        let files = vec![
            PathBuf::from("nodes/n2/steps.txt"),
            PathBuf::from("cluster/a"),
        ];
        let parsed = parse_manifest(&manifest(&files)).expect("valid");
        assert_eq!(parsed, files.into_iter().collect());
        // An old marker (no list) is a render that lists nothing.
        assert_eq!(parse_manifest("tbmesh render\n"), Some(BTreeSet::new()));
        for bad in ["../x", "/etc/passwd", "a/../../b", "./a", ".tbmesh-render"] {
            assert_eq!(parse_manifest(&format!("{HEADER}\n{bad}\n")), None, "{bad}");
        }
        assert_eq!(parse_manifest("something else\n"), None);
    }
}
