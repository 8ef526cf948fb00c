//! `tbmesh validate`: check the spec and show what it derives.

use crate::exit::{CmdResult, ExitStatus};
use crate::printer::{Printer, Table};
use crate::specfile;
use serde_json::json;
use std::path::Path;
use tbmesh_core::spec::FabricMode;
use tbmesh_core::Cluster;

pub fn run(spec: Option<&Path>, printer: &Printer) -> CmdResult {
    let (_, source) = specfile::read(spec)?;
    let (cluster, warnings) = match tbmesh_core::spec::load(&source) {
        Ok(ok) => ok,
        Err(diags) => {
            specfile::print_diagnostics(printer, &source, &diags);
            printer.json(&json!({
                "valid": false,
                "diagnostics": specfile::diagnostics_json(&source, &diags),
            }));
            return Err(specfile::spec_errors(&source, &diags));
        }
    };
    specfile::print_diagnostics(printer, &source, &warnings);
    if printer.json {
        let mut doc = summary_json(&cluster);
        doc["valid"] = json!(true);
        doc["diagnostics"] = specfile::diagnostics_json(&source, &warnings);
        printer.json(&doc);
    } else {
        printer.text(summary_text(&cluster));
        printer.line(format!(
            "{} is valid ({} warning{}).",
            source.name,
            warnings.len(),
            if warnings.len() == 1 { "" } else { "s" }
        ));
    }
    Ok(ExitStatus::Success)
}

/// Describe a port's identity: how the name is obtained.
fn port_device(p: &tbmesh_core::spec::PortSpec) -> String {
    match &p.pci {
        Some(pci) => format!("pci {pci} ({})", p.driver),
        None => "named already".to_string(),
    }
}

pub fn summary_text(c: &Cluster) -> String {
    let s = &c.spec;
    let f = &s.fabric;
    let mut out = format!(
        "cluster {}: {} nodes, {} links; fabric {} (mode {}), prefix {}{}, MTU {}, router address on {}\n\n",
        s.cluster.name,
        s.nodes.len(),
        f.links.len(),
        f.name,
        f.mode,
        match &f.prefix {
            Some(p) => p.to_string(),
            None => "none (IPv6-only)".to_string(),
        },
        f.prefix6
            .as_ref()
            .map(|p| format!(", prefix6 {p}"))
            .unwrap_or_default(),
        f.mtu,
        f.router_ifname()
    );
    if f.mode.value == FabricMode::Static {
        out.push_str("static routes: no failover; a failed cable or port cuts its two nodes apart until it is back (modes frr and pve-sdn reroute, with BFD)\n\n");
    }
    let mut nodes = Table::new(["NODE", "HOST", "ROUTER IP", "NET", "OSD DEVICES"]);
    for (i, n) in s.nodes.iter().enumerate() {
        let devs: Vec<&str> = n.osd_devices.iter().map(|d| d.value.as_str()).collect();
        nodes.row([
            n.name.to_string(),
            n.host.to_string(),
            match (c.router_ips.get(i), c.router_ip6s.get(i)) {
                (Some(ip), Some(ip6)) => format!("{ip} {ip6}"),
                (Some(ip), None) => ip.to_string(),
                (None, _) => c.router_addr(i).to_string(),
            },
            c.net(i),
            if devs.is_empty() {
                "-".into()
            } else {
                devs.join(" ")
            },
        ]);
    }
    out.push_str(&nodes.render());
    out.push('\n');

    let stat = f.mode.value == FabricMode::Static;
    let mut header = vec!["PORT", "DEVICE", "PEER"];
    if stat {
        header.push("ADDRESS");
    }
    let mut ports = Table::new(header);
    for (i, n) in s.nodes.iter().enumerate() {
        for p in &n.ports {
            let peer = c.peer(i, &p.name).map_or("(not cabled)".to_string(), |pe| {
                format!("{}:{}", c.node_name(pe.node), pe.port)
            });
            let mut row = vec![format!("{}:{}", n.name, p.name), port_device(p), peer];
            if stat {
                row.push(
                    c.link_addr(i, &p.name)
                        .map_or("-".into(), |a| a.to_string()),
                );
            }
            ports.row(row);
        }
    }
    out.push_str(&ports.render());
    out.push('\n');

    let routes = c.topology.routes();
    let names: Vec<&str> = s.nodes.iter().map(|n| n.name.value.as_str()).collect();
    let mut hops = Table::new(std::iter::once("HOPS").chain(names.iter().copied()));
    for a in 0..names.len() {
        let mut row = vec![names[a].to_string()];
        for b in 0..names.len() {
            row.push(match routes.hops(a, b) {
                Some(0) => "-".into(),
                Some(h) => h.to_string(),
                None => "x".into(),
            });
        }
        hops.row(row);
    }
    out.push_str(&hops.render());
    out.push('\n');

    let mut fail = Table::new(["IF THIS LINK IS DOWN", "LONGEST DETOUR"]);
    for (l, ls) in f.links.iter().enumerate() {
        fail.row([ls.to_string(), failover_summary(c, l)]);
    }
    out.push_str(&fail.render());
    out.push('\n');
    out
}

/// What happens to the pairs of the mesh when link `l` is cut.
fn failover_summary(c: &Cluster, l: usize) -> String {
    let routes = c.topology.routes_without(&[l]);
    if !routes.all_reachable() {
        return "mesh splits".into();
    }
    let n = c.nodes().len();
    let worst = (0..n)
        .flat_map(|a| (a + 1..n).map(move |b| (a, b)))
        .filter_map(|(a, b)| routes.hops(a, b).map(|h| (h, a, b)))
        .max_by_key(|(h, a, b)| (*h, std::cmp::Reverse((*a, *b))));
    match worst {
        Some((h, a, b)) => {
            let path: Vec<&str> = routes
                .path(a, b)
                .iter()
                .flatten()
                .map(|&i| c.node_name(i))
                .collect();
            format!("{h} hops: {}", path.join(" > "))
        }
        None => "-".into(),
    }
}

pub fn summary_json(c: &Cluster) -> serde_json::Value {
    let s = &c.spec;
    let routes = c.topology.routes();
    let nodes: Vec<_> = s
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let ports: Vec<_> = n
                .ports
                .iter()
                .map(|p| {
                    let peer = c.peer(i, &p.name);
                    json!({
                        "name": p.name,
                        "pci": p.pci,
                        "driver": p.pci.as_ref().map(|_| &p.driver),
                        "peer": peer.map(|pe| format!("{}:{}", c.node_name(pe.node), pe.port)),
                        "address": c.link_addr(i, &p.name).map(|a| a.to_string()),
                    })
                })
                .collect();
            let hops: serde_json::Map<String, serde_json::Value> = (0..s.nodes.len())
                .filter(|&b| b != i)
                .map(|b| (c.node_name(b).to_string(), json!(routes.hops(i, b))))
                .collect();
            json!({
                "name": n.name,
                "host": n.host.to_string(),
                "router_ip": c.router_ips.get(i).map(ToString::to_string),
                "router_ip_allocated": n.router_ip.is_none(),
                "router_ip6": c.router_ip6s.get(i).map(ToString::to_string),
                "net": c.net(i),
                "ports": ports,
                "osd_devices": n.osd_devices,
                "hops": hops,
            })
        })
        .collect();
    let links: Vec<_> = s
        .fabric
        .links
        .iter()
        .enumerate()
        .map(|(l, ls)| {
            let r = c.topology.routes_without(&[l]);
            json!({
                "a": ls.a.to_string(),
                "b": ls.b.to_string(),
                "nets": c.link_nets.get(l).map(|(a, b)| [a.to_string(), b.to_string()]),
                "splits_mesh_when_down": !r.all_reachable(),
                "max_hops_when_down": r.all_reachable().then(|| r.max_hops()),
            })
        })
        .collect();
    json!({
        "cluster": s.cluster.name,
        "fabric": {
            "name": s.fabric.name,
            "mode": s.fabric.mode,
            "prefix": s.fabric.prefix,
            "prefix6": s.fabric.prefix6,
            "mtu": s.fabric.mtu,
            "hello_interval": s.fabric.hello_interval,
            "hello_multiplier": s.fabric.hello_multiplier,
            "csnp_interval": s.fabric.csnp_interval,
            "link_prefix": s.fabric.link_prefix,
            "router_interface": s.fabric.router_ifname(),
        },
        "ceph": s.ceph,
        "nodes": nodes,
        "links": links,
        "max_hops": routes.max_hops(),
    })
}
