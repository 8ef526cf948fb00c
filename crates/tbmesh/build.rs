//! Records the git commit tbmesh is built from, for `tbmesh --version`.
//!
//! `TBMESH_GIT_COMMIT` in the environment wins (a packager building from a
//! tarball can set it); else `git rev-parse --short HEAD`, but only when this
//! crate is tracked by that repository (a tarball unpacked inside some other
//! checkout must not report that checkout's commit); else "unknown".

use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}

fn main() {
    println!("cargo:rerun-if-env-changed=TBMESH_GIT_COMMIT");
    let dir = std::path::PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let commit = match std::env::var("TBMESH_GIT_COMMIT") {
        Ok(c) if !c.trim().is_empty() => c.trim().to_string(),
        _ => from_git(&dir).unwrap_or_else(|| "unknown".to_string()),
    };
    println!("cargo:rustc-env=TBMESH_GIT_COMMIT={commit}");
}

fn from_git(dir: &Path) -> Option<String> {
    git(dir, &["ls-files", "--error-unmatch", "Cargo.toml"])?;
    // Rebuild when HEAD moves: HEAD itself (a checkout), the branch it
    // points at (a commit), and packed-refs (where a branch may live). In a
    // worktree these are in different directories; git knows which.
    let mut watch = vec!["HEAD".to_string(), "packed-refs".to_string()];
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        watch.push(branch);
    }
    for name in watch {
        if let Some(path) = git(
            dir,
            &["rev-parse", "--path-format=absolute", "--git-path", &name],
        ) {
            // A path that does not exist would make cargo rerun this every build.
            if Path::new(&path).exists() {
                println!("cargo:rerun-if-changed={path}");
            }
        }
    }
    git(dir, &["rev-parse", "--short", "HEAD"])
}
