//! A session with the cluster: one transport per node, facts gathered in
//! parallel, and the run-on-every-node helper the commands share.

use crate::control_dir::ControlDir;
use crate::exit::{ExitStatus, Fail};
use crate::printer::Printer;
use crate::specfile::Loaded;
use crate::transport::{is_unreachable, Ssh, SshOptions, Transport};
use anyhow::anyhow;
use std::collections::BTreeMap;
use tbmesh_core::facts::{self, Facts};
use tbmesh_core::trip;

/// Options every host-touching command shares.
#[derive(Debug, Clone, Default)]
pub struct HostOptions {
    pub accept_new_host_keys: bool,
}

/// The outputs of the extra parts of a round trip, by part name.
pub type PartOutputs = BTreeMap<String, String>;

pub struct Session {
    pub loaded: Loaded,
    pub nodes: Vec<Box<dyn Transport>>,
    /// Removed (after the transports are closed, in `drop`) with the session.
    _control_dir: ControlDir,
}

impl Session {
    pub fn open(loaded: Loaded, opts: &HostOptions) -> Result<Session, Fail> {
        let control_dir = ControlDir::create()?;
        let mut ssh_opts = SshOptions::from_spec(
            &loaded.cluster.spec.ssh,
            loaded.dir(),
            control_dir.path().to_path_buf(),
        );
        ssh_opts.accept_new_host_keys = opts.accept_new_host_keys;
        if let Some(cfg) = &ssh_opts.config {
            if !cfg.exists() {
                return Err(Fail::bad_input(anyhow!(
                    "ssh config {} (from [ssh] config) does not exist",
                    cfg.display()
                ))
                .hint(
                    "fix [ssh] config in the spec; relative paths start at the spec's directory",
                ));
            }
        }
        let nodes: Vec<Box<dyn Transport>> = loaded
            .cluster
            .nodes()
            .iter()
            .map(|n| Box::new(Ssh::new(&n.name, &n.host, &ssh_opts)) as Box<dyn Transport>)
            .collect();
        Ok(Session {
            loaded,
            nodes,
            _control_dir: control_dir,
        })
    }

    pub fn names(&self) -> Vec<String> {
        self.nodes.iter().map(|t| t.node().to_string()).collect()
    }

    /// Run `f` for every node index in `which`, in parallel; results in order.
    pub fn each<T: Send>(
        &self,
        which: &[usize],
        f: impl Fn(usize, &dyn Transport) -> T + Sync,
    ) -> Vec<(usize, T)> {
        each(&self.nodes, which, f)
    }

    pub fn all(&self) -> Vec<usize> {
        (0..self.nodes.len()).collect()
    }

    /// Run `f` on every node in parallel; all results in node order, or the
    /// failure that ends the command: status 3 when a node can't be reached
    /// (every such node is named), else the first errors.
    pub fn on_all<T: Send>(
        &self,
        printer: &Printer,
        f: impl Fn(usize, &dyn Transport) -> anyhow::Result<T> + Sync,
    ) -> Result<Vec<T>, Fail> {
        let mut values = vec![];
        let mut unreachable = vec![];
        let mut other = vec![];
        for (i, r) in self.each(&self.all(), f) {
            match r {
                Ok(v) => values.push(v),
                Err(e) if is_unreachable(&e) => unreachable.push(format!("{e:#}")),
                Err(e) => other.push(format!("{}: {e:#}", self.nodes[i].node())),
            }
        }
        if !unreachable.is_empty() {
            for u in &unreachable {
                printer.note(format!("error: {u}"));
            }
            return Err(Fail {
                status: ExitStatus::Unreachable,
                error: anyhow!("{} node(s) could not be reached", unreachable.len()),
                hint: Some("check the host in the spec, `ssh` to it by hand, and the host key in known_hosts".into()),
            });
        }
        if !other.is_empty() {
            return Err(Fail::failure(anyhow!("{}", other.join("\n"))));
        }
        Ok(values)
    }

    /// Gather facts from every node in one round trip each, and run `parts`
    /// (per node: name, script; before the facts when named `recover`, at
    /// the same time as them otherwise) in the same round trip; their
    /// outputs by name.
    pub fn gather_with(
        &self,
        paths: &[Vec<String>],
        parts: &[Vec<(String, String)>],
        printer: &Printer,
    ) -> Result<(Vec<Facts>, Vec<PartOutputs>), Fail> {
        self.on_all(printer, |i, t| {
            let (first, mut together): (Vec<_>, Vec<_>) =
                parts[i].iter().cloned().partition(|(n, _)| n == "recover");
            // The extra parts start first: the Ceph state's Python is the
            // longest part of a no-op apply's trip.
            together.push(("facts".into(), facts::gather_script(&paths[i])));
            let out = t.run(&trip::join(&first, &together))?;
            let mut by = trip::split(&out.stdout);
            let text = by
                .remove("facts")
                .ok_or_else(|| anyhow!("reading facts of {}: no output", t.node()))?;
            let f =
                facts::parse(&text).map_err(|e| anyhow!("reading facts of {}: {e}", t.node()))?;
            Ok((f, by))
        })
        .map(|v| v.into_iter().unzip())
        .map_err(|f| match f.status {
            ExitStatus::Unreachable => Fail {
                error: anyhow!("{}; nothing was changed", f.error),
                ..f
            },
            _ => f,
        })
    }
}

/// Run `f` for every index in `which` of `nodes`, in parallel; results in
/// order. (Also for transports without a spec: `tbmesh init`.)
pub fn each<T: Send>(
    nodes: &[Box<dyn Transport>],
    which: &[usize],
    f: impl Fn(usize, &dyn Transport) -> T + Sync,
) -> Vec<(usize, T)> {
    std::thread::scope(|s| {
        let handles: Vec<_> = which
            .iter()
            .map(|&i| {
                let f = &f;
                let t = nodes[i].as_ref();
                (i, s.spawn(move || f(i, t)))
            })
            .collect();
        handles
            .into_iter()
            .map(|(i, h)| match h.join() {
                Ok(v) => (i, v),
                Err(p) => std::panic::resume_unwind(p),
            })
            .collect()
    })
}

impl Drop for Session {
    fn drop(&mut self) {
        // In parallel: each close is an `ssh -O exit` (~12 ms).
        each(&self.nodes, &self.all(), |_, t| t.close());
    }
}
