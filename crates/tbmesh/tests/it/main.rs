//! Integration tests: the real `tbmesh` binary, run the way a user runs it.
//! Everything here is offline (no host is contacted); the lab suite lives in
//! `tests/lab/`.

mod bench;
mod diagram;
mod failover;
mod generated;
mod init;
mod ops;
mod pve_standin;
mod render;
mod report;
mod ssh;
mod validate;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root (examples/ live there).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn example(name: &str) -> String {
    let p = repo().join("examples").join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()))
}

/// One run of the binary: a spec written to a temp dir, arguments, results.
pub struct Test {
    dir: tempfile::TempDir,
    spec: Option<String>,
    args: Vec<String>,
}

pub struct Output {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
    pub dir: PathBuf,
    /// The run made `dir` (removed on drop), or ran in the caller's ([`tbmesh_in`]).
    owned: bool,
}

/// Run the binary with `args` in an existing directory (left in place).
pub fn tbmesh_in(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_tbmesh"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run tbmesh");
    Output {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        dir: dir.to_path_buf(),
        owned: false,
    }
}

impl Default for Test {
    fn default() -> Self {
        Self::new()
    }
}

impl Test {
    pub fn new() -> Self {
        Test {
            dir: tempfile::tempdir().expect("temp dir"),
            spec: None,
            args: vec![],
        }
    }

    /// Write `text` as `tbmesh.toml` in the test's directory.
    pub fn spec(mut self, text: impl Into<String>) -> Self {
        self.spec = Some(text.into());
        self
    }

    /// The directory the binary runs in (the spec is written there).
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, args: I) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn run(self) -> Output {
        if let Some(spec) = &self.spec {
            std::fs::write(self.dir.path().join("tbmesh.toml"), spec).expect("write spec");
        }
        let out = Command::new(env!("CARGO_BIN_EXE_tbmesh"))
            .args(&self.args)
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .output()
            .expect("run tbmesh");
        let dir = self.dir.keep();
        Output {
            status: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            dir,
            owned: true,
        }
    }
}

impl Output {
    #[track_caller]
    pub fn status(&self, code: i32) -> &Self {
        assert_eq!(
            self.status, code,
            "exit status\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn stdout_has(&self, s: &str) -> &Self {
        assert!(
            self.stdout.contains(s),
            "stdout lacks {s:?}:\n{}",
            self.stdout
        );
        self
    }

    #[track_caller]
    pub fn stderr_has(&self, s: &str) -> &Self {
        assert!(
            self.stderr.contains(s),
            "stderr lacks {s:?}:\n{}",
            self.stderr
        );
        self
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if self.owned {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
