//! Running programs on the host, with the command line in every error.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// A command about to run; its display form is used in errors.
pub struct Cmd {
    inner: Command,
    shown: String,
}

impl Cmd {
    pub fn new(program: &str) -> Self {
        Self {
            inner: Command::new(program),
            shown: program.to_string(),
        }
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        let a = arg.as_ref();
        self.shown.push(' ');
        self.shown.push_str(&a.to_string_lossy());
        self.inner.arg(a);
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        for a in args {
            self = self.arg(a);
        }
        self
    }

    pub fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Self {
        self.inner.env(key, value);
        self
    }

    /// Runs to completion; fails with the command line and its stderr when
    /// it exits non-zero. Returns stdout.
    pub fn run(mut self) -> Result<String> {
        let out = self
            .inner
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("running {}", self.shown))?;
        check(&self.shown, &out)?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Runs to completion with stdout and stderr going to `log` as they
    /// come; fails when it exits non-zero.
    pub fn run_logged(mut self, log: &Path) -> Result<()> {
        let out = fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let err = out
            .try_clone()
            .with_context(|| format!("opening {}", log.display()))?;
        let status = self
            .inner
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .status()
            .with_context(|| format!("running {}", self.shown))?;
        if !status.success() {
            bail!("`{}` failed ({status}); see {}", self.shown, log.display());
        }
        Ok(())
    }

    /// Runs to completion and returns the raw output, whatever the status.
    pub fn output(mut self) -> Result<Output> {
        self.inner
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("running {}", self.shown))
    }

    /// Whether it ran and exited 0 (stdout/stderr discarded).
    pub fn succeeds(mut self) -> bool {
        self.inner
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    }

    /// Runs with the terminal attached; returns the exit code.
    pub fn interactive(mut self) -> Result<i32> {
        let status = self
            .inner
            .status()
            .with_context(|| format!("running {}", self.shown))?;
        Ok(status.code().unwrap_or(255))
    }

    /// Starts it in a session of its own, detached from us, with output
    /// appended to `log`. Returns its pid.
    pub fn spawn_detached(self, log: &Path) -> Result<u32> {
        let out = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .with_context(|| format!("opening {}", log.display()))?;
        let err = out
            .try_clone()
            .with_context(|| format!("opening {}", log.display()))?;
        // setsid(1) execs in place (our child is not a group leader), so
        // the pid we get is the pid of the program.
        let mut cmd = Command::new("setsid");
        cmd.arg(self.inner.get_program())
            .args(self.inner.get_args())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        let child = cmd
            .spawn()
            .with_context(|| format!("starting {}", self.shown))?;
        Ok(child.id())
    }

    pub fn shown(&self) -> &str {
        &self.shown
    }
}

fn check(shown: &str, out: &Output) -> Result<()> {
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stderr = stderr.trim();
    match out.status.code() {
        Some(code) => bail!("`{shown}` exited with status {code}: {stderr}"),
        None => bail!("`{shown}` was killed by a signal: {stderr}"),
    }
}

/// `ip` inside a network namespace.
pub fn ip_in(ns: &str) -> Cmd {
    Cmd::new("ip").args(["-n", ns])
}

/// Runs a program inside a network namespace.
pub fn in_netns(ns: &str, program: &str) -> Cmd {
    Cmd::new("ip").args(["netns", "exec", ns, program])
}

pub fn netns_exists(ns: &str) -> bool {
    Path::new("/run/netns").join(ns).exists()
}

pub fn list_netns() -> Result<Vec<String>> {
    let dir = Path::new("/run/netns");
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}

/// Pids of the processes whose network namespace is `ns`.
pub fn netns_pids(ns: &str) -> Result<Vec<u32>> {
    if !netns_exists(ns) {
        return Ok(Vec::new());
    }
    let out = Cmd::new("ip").args(["netns", "pids", ns]).run()?;
    Ok(out
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect())
}

/// The absolute path of a program on PATH, for files that other programs
/// run later with a different PATH (ssh's ProxyCommand).
pub fn which(program: &str) -> Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path).chain(
        ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
            .iter()
            .map(PathBuf::from),
    ) {
        let candidate = dir.join(program);
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    bail!("`{program}` is not installed (scripts/lab-deps.sh installs what the lab needs)")
}

/// Whether a process exists and is not a zombie.
pub fn alive(pid: u32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state is the first field after the parenthesised command.
        Ok(stat) => stat
            .rsplit_once(')')
            .map(|(_, rest)| !rest.trim_start().starts_with(['Z', 'X']))
            .unwrap_or(false),
        Err(_) => false,
    }
}

pub fn cmdline(pid: u32) -> String {
    fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
        .unwrap_or_default()
}

/// Direct children of `pid`.
pub fn children(pid: u32) -> Vec<u32> {
    let Ok(dir) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut kids = Vec::new();
    for entry in dir.flatten() {
        let Some(child) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        if parent(child) == Some(pid) {
            kids.push(child);
        }
    }
    kids
}

fn parent(pid: u32) -> Option<u32> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("PPid:"))
        .and_then(|v| v.trim().parse().ok())
}

pub fn kill(pid: u32, signal: rustix::process::Signal) {
    if let Some(p) = rustix::process::Pid::from_raw(pid as i32) {
        // The process may have exited meanwhile; that is what we want.
        let _ = rustix::process::kill_process(p, signal);
    }
}

/// SIGKILL, for callers without a signal type at hand.
pub fn kill_hard(pid: u32) {
    kill(pid, rustix::process::Signal::KILL);
}

/// Waits until `done` holds, checking every `step`.
pub fn wait_until(timeout: Duration, step: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if done() {
            return true;
        }
        if start.elapsed() >= timeout {
            return false;
        }
        thread::sleep(step);
    }
}

pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

pub fn write_file(path: &Path, contents: &str, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    fs::write(path, contents).with_context(|| format!("writing {}", path.display()))?;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .with_context(|| format!("setting the mode of {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_command_and_its_stderr() {
        let err = Cmd::new("sh")
            .args(["-c", "echo nope >&2; exit 3"])
            .run()
            .expect_err("exits 3");
        let msg = format!("{err:#}");
        assert!(msg.contains("`sh -c echo nope >&2; exit 3` exited with status 3: nope"));
    }

    #[test]
    fn our_own_process_is_alive() {
        assert!(alive(std::process::id()));
        assert!(!alive(u32::MAX));
    }
}
