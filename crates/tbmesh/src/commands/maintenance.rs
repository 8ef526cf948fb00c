//! `tbmesh maintenance NODE on|off`: Ceph's `noout` for that node's OSDs
//! only (writes the cluster's OSD map; tbmesh_core::ceph::maintenance). The
//! change is made through the first node, in spec order, that has the admin
//! keyring and answers, so it works while NODE itself is down.

use crate::exit::{CmdResult, ExitStatus, Fail};
use crate::printer::Printer;
use crate::session::{HostOptions, Session};
use crate::specfile;
use anyhow::anyhow;
use serde_json::json;
use std::path::Path;
use tbmesh_core::ceph::maintenance::{self, Maintenance};

pub fn run(
    spec: Option<&Path>,
    node: &str,
    on: bool,
    host: &HostOptions,
    printer: &Printer,
) -> CmdResult {
    let loaded = specfile::load(spec, printer)?;
    let c = &loaded.cluster;
    if c.node_idx(node).is_none() {
        let names: Vec<&str> = c.nodes().iter().map(|n| n.name.value.as_str()).collect();
        return Err(Fail::bad_input(anyhow!("no node {node:?} in the spec"))
            .hint(format!("name one of: {}", names.join(", "))));
    }
    if c.spec.ceph.is_none() {
        return Err(Fail::bad_input(anyhow!(
            "the spec has no [ceph]: there is nothing to put in maintenance"
        ))
        .hint("maintenance sets Ceph's noout for the node's OSDs; without Ceph, reboot the node as usual"));
    }
    let session = Session::open(loaded, host)?;
    let m = set(&session, node, Some(on))?;
    if printer.json {
        printer.json(&to_json(&m));
    } else {
        printer.line(describe(&m));
    }
    Ok(ExitStatus::Success)
}

pub fn to_json(m: &Maintenance) -> serde_json::Value {
    json!({
        "node": m.node,
        "maintenance": m.noout,
        "changed": m.changed,
        "osds": m.osds,
        "osds_up": m.osds_up,
        "cluster_noout": m.cluster_noout,
    })
}

/// One line: the state, and whether this run changed it.
pub fn describe(m: &Maintenance) -> String {
    let osds: Vec<String> = m.osds.iter().map(|o| format!("osd.{o}")).collect();
    let mut s = format!(
        "{}: maintenance {} ({}noout on {}){}",
        m.node,
        if m.noout { "on" } else { "off" },
        if m.noout { "" } else { "no " },
        if osds.is_empty() {
            "no OSDs".to_string()
        } else {
            osds.join(", ")
        },
        if m.changed { "" } else { ", unchanged" }
    );
    if m.cluster_noout {
        s.push_str("; note: noout is also set cluster-wide (`ceph osd unset noout` clears it)");
    }
    s
}

/// Set (`Some(true)`), clear (`Some(false)`) or read (`None`) `node`'s
/// maintenance, through the first node that has the admin keyring and answers.
pub fn set(session: &Session, node: &str, want: Option<bool>) -> Result<Maintenance, Fail> {
    let script = maintenance::script(node, want);
    let mut why = vec![];
    for t in &session.nodes {
        match t.run(&script) {
            Ok(out) => match maintenance::parse(node, &out.stdout) {
                Ok(Some(m)) => return Ok(m),
                Ok(None) => why.push(format!("{}: no Ceph admin keyring", t.node())),
                Err(e) => return Err(Fail::failure(anyhow!("{} (on {})", e, t.node()))),
            },
            Err(e) => why.push(format!("{e:#}")),
        }
    }
    Err(
        Fail::failure(anyhow!("no node could reach Ceph: {}", why.join("; ")))
            .hint("check `tbmesh status`: Ceph needs its monitors in quorum"),
    )
}
