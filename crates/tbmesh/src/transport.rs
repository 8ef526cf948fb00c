//! The one boundary between tbmesh and its hosts: run a bash script on a
//! node and collect its output. SSH uses the system OpenSSH with one
//! multiplexed master connection per node; host keys are always verified.

use anyhow::{anyhow, Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use tbmesh_core::spec::{Host, SshSection};

/// What a remote script produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn ok(&self) -> bool {
        self.status == 0
    }
}

/// A node could not be reached at all (as opposed to a command failing on it).
#[derive(Debug)]
pub struct Unreachable {
    pub node: String,
    pub host: String,
    pub reason: String,
}

impl std::fmt::Display for Unreachable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cannot reach node {} at {}: {}",
            self.node, self.host, self.reason
        )
    }
}

impl std::error::Error for Unreachable {}

/// Runs scripts on one node. `Send + Sync` so nodes can run in parallel.
pub trait Transport: Send + Sync {
    /// The node's name, for messages.
    fn node(&self) -> &str;
    /// Run `script` with bash on the node. Errors are transport failures
    /// ([`Unreachable`]); a script that fails returns `Ok` with its status.
    fn run(&self, script: &str) -> Result<Output>;
    /// Run over a new connection, not a shared one: proves the node is
    /// reachable now (commit-confirm).
    fn run_fresh(&self, script: &str) -> Result<Output> {
        self.run(script)
    }
    /// Release connections at the end of a command.
    fn close(&self) {}
}

/// How ssh is invoked, from the spec and the command line.
#[derive(Debug, Clone, Default)]
pub struct SshOptions {
    pub user: Option<String>,
    /// ssh_config file (`-F`), already resolved against the spec's directory.
    pub config: Option<PathBuf>,
    /// Accept a host key never seen before (and print its fingerprint);
    /// a changed key is still refused.
    pub accept_new_host_keys: bool,
    /// Directory for the control sockets.
    pub control_dir: PathBuf,
    pub connect_timeout: Duration,
}

impl SshOptions {
    pub fn from_spec(ssh: &SshSection, spec_dir: &Path, control_dir: PathBuf) -> Self {
        SshOptions {
            user: ssh.user.clone(),
            config: ssh.config.as_ref().map(|c| spec_dir.join(c)),
            accept_new_host_keys: false,
            control_dir,
            connect_timeout: Duration::from_secs(10),
        }
    }
}

pub struct Ssh {
    node: String,
    host: Host,
    opts: SshOptions,
}

impl Ssh {
    pub fn new(node: &str, host: &Host, opts: &SshOptions) -> Self {
        Ssh {
            node: node.to_string(),
            host: host.clone(),
            opts: opts.clone(),
        }
    }

    fn control_path(&self) -> PathBuf {
        // Short: unix socket paths are limited to 108 bytes.
        self.opts.control_dir.join(format!("{}.sock", self.node))
    }

    /// The ssh command line up to (not including) the remote command.
    pub fn command(&self) -> Command {
        self.command_with(true)
    }

    fn command_with(&self, mux: bool) -> Command {
        let mut cmd = Command::new("ssh");
        if let Some(cfg) = &self.opts.config {
            cmd.arg("-F").arg(cfg);
        }
        let strict = if self.opts.accept_new_host_keys {
            "accept-new"
        } else {
            "yes"
        };
        cmd.args(["-o", "BatchMode=yes"])
            .args(["-o", &format!("StrictHostKeyChecking={strict}")])
            .args([
                "-o",
                &format!(
                    "ConnectTimeout={}",
                    self.opts.connect_timeout.as_secs().max(1)
                ),
            ])
            .args(["-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3"]);
        if mux {
            cmd.args(["-o", "ControlMaster=auto", "-o", "ControlPersist=60"])
                .arg("-o")
                .arg(format!("ControlPath={}", self.control_path().display()));
        } else {
            cmd.args(["-o", "ControlMaster=no", "-o", "ControlPath=none"]);
        }
        if let Some(user) = &self.opts.user {
            cmd.args(["-l", user]);
        }
        if let Some(port) = self.host.port {
            cmd.args(["-p", &port.to_string()]);
        }
        // Validated: a host never starts with '-', so it is not an option.
        cmd.arg(&self.host.addr);
        cmd
    }

    /// A node that is still starting sshd (or briefly busy) refuses or
    /// stalls the connection; when ssh says the session never started, the
    /// script never ran, so trying again is safe.
    fn exec_retrying(&self, mux: bool, script: &str) -> Result<Output> {
        let mut tries = 0;
        loop {
            match self.exec(mux, script) {
                Err(e) if tries < 2 && never_connected(&e) => {
                    tries += 1;
                    std::thread::sleep(Duration::from_secs(2));
                }
                other => return other,
            }
        }
    }

    fn exec(&self, mux: bool, script: &str) -> Result<Output> {
        // The script travels on stdin, so nothing in it is re-parsed by the
        // remote login shell; only the fixed words `bash -s` are.
        let mut child = self
            .command_with(mux)
            .args(["--", "bash", "-s"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("starting ssh (is OpenSSH's client installed?)")?;
        if let Some(mut stdin) = child.stdin.take() {
            // A failed write shows up as ssh's own error below.
            let _ = stdin.write_all(script.as_bytes());
        }
        let out = child.wait_with_output().context("waiting for ssh")?;
        let status = out.status.code().unwrap_or(255);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        if status == 255 {
            let reason = stderr
                .lines()
                .rfind(|l| !l.trim().is_empty())
                .unwrap_or("ssh exited with status 255")
                .to_string();
            return Err(anyhow!(Unreachable {
                node: self.node.clone(),
                host: self.host.to_string(),
                reason,
            }));
        }
        Ok(Output {
            status,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr,
        })
    }
}

impl Transport for Ssh {
    fn node(&self) -> &str {
        &self.node
    }

    fn run(&self, script: &str) -> Result<Output> {
        let started = std::time::Instant::now();
        let out = self.exec_retrying(true, script);
        trace(&self.node, script, started);
        out
    }

    fn run_fresh(&self, script: &str) -> Result<Output> {
        self.exec(false, script)
    }

    /// Close the master connection.
    fn close(&self) {
        let _ = self
            .command()
            .args(["-O", "exit"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// With TBMESH_TRACE set: each remote script's duration and first line on
/// stderr (where the time of a command goes).
fn trace(node: &str, script: &str, started: std::time::Instant) {
    if std::env::var_os("TBMESH_TRACE").is_some() {
        let first = script
            .lines()
            .find(|l| !l.starts_with("echo '@@"))
            .unwrap_or("");
        eprintln!(
            "trace: {node}: {:.3} s: {}",
            started.elapsed().as_secs_f64(),
            first.chars().take(60).collect::<String>()
        );
    }
}

/// Whether ssh failed before a session started (so nothing ran remotely).
fn never_connected(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<Unreachable>().is_some_and(|u| {
            [
                "banner exchange",
                "kex_exchange_identification",
                "Connection refused",
                "Connection timed out",
                "Connection reset",
            ]
            .iter()
            .any(|m| u.reason.contains(m))
        })
    })
}

/// Whether an error chain contains an [`Unreachable`].
pub fn is_unreachable(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<Unreachable>().is_some())
}
