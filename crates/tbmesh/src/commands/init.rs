//! `tbmesh init HOST...` (alias `discover`): a first spec from the
//! hardware. Two round trips per node, all nodes in parallel: (1) the facts
//! and init's own reads; (2) the cabling probe on the candidate ports and
//! the disks' emptiness. The pure work is tbmesh_core::init.

use crate::control_dir::ControlDir;
use crate::exit::{CmdResult, ExitStatus, Fail};
use crate::printer::{Printer, Table};
use crate::session::{each, HostOptions};
use crate::transport::{is_unreachable, Ssh, SshOptions, Transport};
use anyhow::anyhow;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tbmesh_core::init::assemble::{self, NodeProbed, NodeRead, Options};
use tbmesh_core::init::{probe, write};
use tbmesh_core::{facts, trip, Source};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The nodes' management addresses or names (as ssh reaches them), each with an optional :port
    #[arg(value_name = "HOST", required = true)]
    pub hosts: Vec<String>,
    /// The login user on every node
    #[arg(long, default_value = "root", value_name = "USER")]
    pub user: String,
    /// An ssh_config file for ssh (`-F`), also written into the spec's [ssh] config
    #[arg(long, value_name = "FILE")]
    pub ssh_config: Option<PathBuf>,
    /// Mesh port driver (repeatable): thunderbolt-net, or virtio_net, veth, ... [default: thunderbolt-net]
    #[arg(long = "driver", value_name = "NAME")]
    pub drivers: Vec<String>,
    /// The cluster's name [default: corosync's cluster name, else "mesh"]
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Replace the output file if it exists
    #[arg(long)]
    pub force: bool,
    /// Write the spec to stdout instead of a file
    #[arg(long)]
    pub print: bool,
    /// Seconds the cabling probe waits on each node for carrier, IPv6 link-local addresses and answers (ports without a cable cost this long)
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(2..=120), value_name = "SECS")]
    pub probe_wait: u32,
    /// The spec file to write
    #[arg(
        short = 'o',
        long = "output",
        value_name = "FILE",
        default_value = "tbmesh.toml"
    )]
    pub output: PathBuf,
}

pub fn run(a: &Args, host: &HostOptions, printer: &Printer) -> CmdResult {
    let started = Instant::now();
    let drivers = if a.drivers.is_empty() {
        vec!["thunderbolt-net".to_string()]
    } else {
        a.drivers.clone()
    };
    let hosts = parse_hosts(&a.hosts)?;
    if !a.print && !a.force && a.output.exists() {
        return Err(Fail::bad_input(anyhow!(
            "{} exists; nothing was contacted",
            a.output.display()
        ))
        .hint("pass --force to replace it, -o FILE to write elsewhere, or --print to see the spec on stdout"));
    }
    let config = match &a.ssh_config {
        Some(c) if !c.exists() => return Err(Fail::bad_input(anyhow!(
            "ssh config {} does not exist",
            c.display()
        ))
        .hint("give the ssh_config file the nodes are reached with, or leave --ssh-config out")),
        Some(c) => Some(
            std::path::absolute(c).map_err(|e| Fail::bad_input(anyhow!("{}: {e}", c.display())))?,
        ),
        None => None,
    };
    let control = ControlDir::create()?;
    let opts = SshOptions {
        user: Some(a.user.clone()),
        config: config.clone(),
        accept_new_host_keys: host.accept_new_host_keys,
        control_dir: control.path().to_path_buf(),
        connect_timeout: Duration::from_secs(10),
    };
    let nodes: Vec<Box<dyn Transport>> = hosts
        .iter()
        .enumerate()
        .map(|(i, h)| {
            // The control socket is named after the node: an index is short
            // and safe whatever the host is.
            Box::new(Ssh::new(&format!("h{i}"), h, &opts)) as Box<dyn Transport>
        })
        .collect();
    let result = discover(
        a,
        &drivers,
        &nodes,
        config.as_deref(),
        host.accept_new_host_keys,
        printer,
        started,
    );
    for t in &nodes {
        t.close();
    }
    drop(control);
    result
}

fn parse_hosts(given: &[String]) -> Result<Vec<tbmesh_core::spec::Host>, Fail> {
    let mut hosts: Vec<tbmesh_core::spec::Host> = vec![];
    for (k, h) in given.iter().enumerate() {
        let host = tbmesh_core::spec::parse_host(h).map_err(|(msg, hint)| {
            Fail::bad_input(anyhow!(
                "HOST {} ({h}): {msg}; nothing was contacted",
                k + 1
            ))
            .hint(hint)
        })?;
        if hosts.iter().any(|o| o.normalized() == host.normalized()) {
            return Err(
                Fail::bad_input(anyhow!("host {h} is given twice; nothing was contacted"))
                    .hint("give each node's host once"),
            );
        }
        hosts.push(host);
    }
    if hosts.len() < 2 {
        return Err(Fail::bad_input(anyhow!(
            "a mesh needs at least 2 nodes; {} given",
            hosts.len()
        ))
        .hint("give every node's host: tbmesh init HOST1 HOST2 HOST3"));
    }
    Ok(hosts)
}

/// Run `f` on every node; the outputs in order, or the failure naming every
/// node that could not be reached.
fn on_all<T: Send>(
    nodes: &[Box<dyn Transport>],
    given: &[String],
    printer: &Printer,
    f: impl Fn(usize, &dyn Transport) -> anyhow::Result<T> + Sync,
) -> Result<Vec<T>, Fail> {
    let all: Vec<usize> = (0..nodes.len()).collect();
    let mut values = vec![];
    let mut errors = vec![];
    let mut unreachable = false;
    for (i, r) in each(nodes, &all, f) {
        match r {
            Ok(v) => values.push(v),
            Err(e) => {
                unreachable |= is_unreachable(&e);
                let text = format!("{e:#}").replace(&format!("node h{i} at "), "");
                printer.note(format!("error: {}: {text}", given[i]));
                errors.push(text);
            }
        }
    }
    if errors.is_empty() {
        return Ok(values);
    }
    let keys = errors
        .iter()
        .any(|e| e.contains("Host key verification failed"));
    Err(Fail {
        status: if unreachable {
            ExitStatus::Unreachable
        } else {
            ExitStatus::Failure
        },
        error: anyhow!(
            "{} of {} node(s) failed; nothing was written",
            errors.len(),
            nodes.len()
        ),
        hint: Some(if keys {
            "a node's host key is not known yet: pass --accept-new-host-keys to learn it (its fingerprint is printed; a changed key is always refused)".into()
        } else {
            "check each host, `ssh USER@HOST` by hand, --user and --ssh-config".into()
        }),
    })
}

fn discover(
    a: &Args,
    drivers: &[String],
    nodes: &[Box<dyn Transport>],
    config: Option<&Path>,
    accept_new: bool,
    printer: &Printer,
    started: Instant,
) -> CmdResult {
    let given = &a.hosts;
    // Round trip 1: facts and init's own reads.
    let reads = on_all(nodes, given, printer, |i, t| {
        let script = trip::join(
            &[],
            &[
                ("facts".into(), facts::gather_script(&[])),
                ("init".into(), probe::read_script()),
            ],
        );
        let out = t.run(&script)?;
        let parts = trip::split(&out.stdout);
        let f = facts::parse(parts.get("facts").map_or("", String::as_str))
            .map_err(|e| anyhow!("reading facts: {e}"))?;
        Ok(NodeRead {
            host: given[i].clone(),
            facts: f,
            extra: probe::parse_extra(parts.get("init").map_or("", String::as_str)),
        })
    })?;
    let names = assemble::node_names(&reads)
        .map_err(|e| Fail::failure(anyhow!("{e}; nothing was written")))?;
    if accept_new {
        // What the node itself says (over the connection just made):
        // compare with `ssh-keygen -l -f /etc/ssh/ssh_host_ed25519_key.pub`
        // on its console.
        for (r, n) in reads.iter().zip(&names) {
            for k in &r.extra.host_keys {
                printer.note(format!("{n} ({}) host key: {k}", r.host));
            }
        }
    }
    // Round trip 2: the cabling probe and the disks.
    let plans: Vec<_> = reads.iter().map(|r| r.candidates(drivers)).collect();
    let probed = on_all(nodes, given, printer, |i, t| {
        let ports: Vec<String> = plans[i].0.iter().map(|c| c.iface.clone()).collect();
        let script = trip::join(
            &[],
            &[
                (
                    "cabling".into(),
                    probe::cabling_script(&ports, a.probe_wait),
                ),
                (
                    "disks".into(),
                    tbmesh_core::ceph::disks::disk_script(&reads[i].disk_paths()),
                ),
            ],
        );
        let out = t.run(&script)?;
        let parts = trip::split(&out.stdout);
        Ok((
            probe::parse_cabling(parts.get("cabling").map_or("", String::as_str)),
            tbmesh_core::ceph::disks::parse_disks(parts.get("disks").map_or("", String::as_str)),
        ))
    })?;
    let nodes_probed: Vec<NodeProbed> = reads
        .into_iter()
        .zip(plans)
        .zip(probed)
        .map(
            |((read, (candidates, left_out)), (seen, disks))| NodeProbed {
                read,
                candidates,
                left_out,
                seen,
                disks,
            },
        )
        .collect();
    for (n, name) in nodes_probed.iter().zip(&names) {
        for r in &n.seen.restored {
            printer.note(match r.split_once(' ') {
                Some((port, "down")) => {
                    format!("{name}: {port} put back down (init brought it up to probe it)")
                }
                Some((port, _)) => format!("{name}: IPv6 switched back off on {port}"),
                None => format!("{name}: {r} put back"),
            });
        }
    }
    let mut command = format!("tbmesh init {}", given.join(" "));
    if !drivers.iter().eq(["thunderbolt-net"].iter()) {
        for d in drivers {
            command.push_str(&format!(" --driver {d}"));
        }
    }
    let found = assemble::assemble(
        &nodes_probed,
        &names,
        &Options {
            user: Some(a.user.clone()),
            ssh_config: config.map(|c| c.display().to_string()),
            cluster: a.name.clone(),
            command,
        },
    );
    let text = write::spec_text(&found.spec);
    let source = Source::new(a.output.display().to_string(), text.clone());
    let valid = tbmesh_core::spec::load(&source);
    let seconds = started.elapsed().as_secs_f64();
    let written = match &valid {
        Ok(_) if !a.print => {
            write_spec(&a.output, &text, a.force)?;
            Some(a.output.display().to_string())
        }
        _ => None,
    };
    report(&nodes_probed, &found, printer, a.print);
    if a.print && !printer.json {
        // The spec is the data on stdout; everything else went to stderr.
        print!("{text}");
    }
    let diags = match &valid {
        Ok((_, w)) => w.clone(),
        Err(d) => d.clone(),
    };
    crate::specfile::print_diagnostics(printer, &source, &diags);
    printer.json(&json!({
        "nodes": nodes_probed.iter().zip(&names).map(|(n, name)| json!({
            "name": name,
            "host": n.read.host,
            "hostname": n.read.facts.hostname,
            "kernel": n.read.facts.kernel,
            "os": n.read.facts.os_pretty,
            "packages": n.read.facts.packages,
            "cpu_model": n.read.extra.cpu_model,
            "cpus": n.read.facts.cpus,
            "p_cores": n.read.facts.p_cores.len(),
            "e_cores": n.read.facts.e_cores.len(),
            "mem_total_bytes": n.read.facts.mem_total_bytes,
            "management": n.read.management(),
            "corosync": {"name": n.read.extra.corosync_name, "members": n.read.extra.corosync_members},
            "host_keys": n.read.extra.host_keys,
            "left_out": n.left_out.iter().map(|(i, w)| json!({"iface": i, "why": w})).collect::<Vec<_>>(),
            "disks": n.disks.iter().map(|d| json!({
                "path": d.path, "size": d.size, "serial": d.serial,
                "rotational": n.read.extra.disks.get(&d.kname).map(|x| x.0),
                "empty": d.findings().is_empty(), "findings": d.findings(),
            })).collect::<Vec<_>>(),
            "restored": n.seen.restored,
        })).collect::<Vec<_>>(),
        "ports": found.ports,
        "links": found.spec.links,
        "problems": found.problems,
        "valid": valid.is_ok(),
        "diagnostics": crate::specfile::diagnostics_json(&source, &diags),
        "written": written,
        "spec": text,
        "seconds": seconds,
    }));
    if valid.is_err() {
        return Err(Fail::failure(anyhow!(
            "the spec made from what was found does not validate; nothing was written"
        ))
        .hint("see the problems above (cables not found leave nodes unconnected); fix the cabling and run init again, or take the draft from --print and edit it"));
    }
    match &written {
        Some(p) => printer.note(format!(
            "wrote {p} ({} nodes, {} links, {} problem(s)) in {seconds:.1} s; next: tbmesh validate, tbmesh preflight",
            names.len(),
            found.spec.links.len(),
            found.problems.len()
        )),
        None => printer.note(format!("read {} nodes in {seconds:.1} s", names.len())),
    }
    Ok(ExitStatus::Success)
}

fn write_spec(path: &Path, text: &str, force: bool) -> Result<(), Fail> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true);
    if force {
        o.create(true).truncate(true);
    } else {
        o.create_new(true);
    }
    let mut f = o
        .open(path)
        .map_err(|e| Fail::failure(anyhow!("writing {}: {e}", path.display())))?;
    f.write_all(text.as_bytes())
        .map_err(|e| Fail::failure(anyhow!("writing {}: {e}", path.display())))
}

/// The human report on stderr with --print (stdout holds the spec), else stdout.
fn report(nodes: &[NodeProbed], found: &assemble::Found, printer: &Printer, print: bool) {
    if printer.json {
        return;
    }
    let mut s = String::new();
    for (n, name) in nodes.iter().zip(&found.names) {
        for line in assemble::about(name, &n.read).iter().take(4) {
            s.push_str(line);
            s.push('\n');
        }
        s.push('\n');
    }
    let mut t = Table::new([
        "NODE",
        "PORT",
        "NOW",
        "MAC",
        "PCI",
        "DRIVER",
        "CARRIER",
        "CABLED TO",
        "FOUND BY",
    ]);
    for p in &found.ports {
        t.row([
            p.node.clone(),
            p.name.clone(),
            p.iface.clone(),
            p.mac.clone().unwrap_or_else(|| "-".into()),
            p.pci.clone().unwrap_or_else(|| "-".into()),
            p.driver.clone(),
            if p.carrier { "yes" } else { "no" }.into(),
            p.peer.clone().unwrap_or_else(|| "-".into()),
            p.via.clone(),
        ]);
    }
    s.push_str(&t.render());
    let mut d = Table::new(["NODE", "DISK", "SIZE", "SERIAL", "OSD?"]);
    for (n, name) in nodes.iter().zip(&found.names) {
        for disk in n.disks.iter().filter(|d| d.exists) {
            let f = disk.findings();
            d.row([
                name.clone(),
                disk.path.clone(),
                write::size_words(disk.size),
                disk.serial.clone().unwrap_or_else(|| "-".into()),
                if f.is_empty() {
                    "yes: empty".to_string()
                } else {
                    format!("no: {}", f.join("; "))
                },
            ]);
        }
    }
    s.push('\n');
    if nodes.iter().any(|n| n.disks.iter().any(|d| d.exists)) {
        s.push_str(&d.render());
    } else {
        s.push_str("no disks found (loop devices and zram are never proposed)\n");
    }
    for (n, name) in nodes.iter().zip(&found.names) {
        for (i, why) in &n.left_out {
            s.push_str(&format!("{name}: {i} left out: {why}\n"));
        }
    }
    for p in &found.problems {
        s.push_str(&format!(
            "problem: {}:{} {}\n  check: {}\n",
            p.node, p.port, p.message, p.hint
        ));
    }
    if print {
        printer.note(s.trim_end());
    } else {
        printer.text(s);
    }
}
