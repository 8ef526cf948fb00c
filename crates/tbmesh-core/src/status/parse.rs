//! Reading a node's status script output.

use super::script::{MARK, PORT_FILES};
use super::{NextHop, NodeStatus, PortStatus, RouteStatus};
use crate::spec::FabricMode;
use crate::topology::NodeIdx;
use crate::verify::{parse_bfd_peers, parse_openfabric_neighbors};
use crate::Cluster;
use serde_json::Value;
use std::collections::BTreeMap;

/// The sections of the output by subject (`port en05`, `bfd`, ...).
fn sections(out: &str) -> BTreeMap<String, String> {
    let mut v: BTreeMap<String, String> = BTreeMap::new();
    let mut cur: Option<String> = None;
    for line in out.lines() {
        if let Some(h) = line.strip_prefix(MARK) {
            cur = Some(h.trim().to_string());
            v.insert(h.trim().to_string(), String::new());
        } else if let Some(b) = cur.as_ref().and_then(|c| v.get_mut(c)) {
            b.push_str(line);
            b.push('\n');
        }
    }
    v
}

/// Node `i`'s status from its script's output (reachable: it answered).
pub fn parse_node(c: &Cluster, i: NodeIdx, out: &str) -> NodeStatus {
    let secs = sections(out);
    let ports = c.nodes()[i]
        .ports
        .iter()
        .map(|p| {
            let name = &p.name.value;
            let peer = c
                .peer(i, name)
                .map(|pr| format!("{}:{}", c.node_name(pr.node), pr.port));
            let body = secs.get(&format!("port {name}"));
            let mut st = body.map(|b| parse_port(name, b)).unwrap_or(PortStatus {
                name: name.clone(),
                ..Default::default()
            });
            st.peer = peer;
            st
        })
        .collect();
    let mut frr_error = None;
    let mut adjacencies = None;
    let mut bfd = None;
    if c.spec.fabric.mode.value != FabricMode::Static {
        match parse_openfabric_neighbors(secs.get("openfabric").map_or("", String::as_str)) {
            Ok(a) => adjacencies = Some(a),
            Err(e) => frr_error = Some(format!("show openfabric neighbor: {e}")),
        }
        if c.spec.fabric.bfd {
            match parse_bfd_peers(secs.get("bfd").map_or("", String::as_str)) {
                Ok(b) => bfd = Some(b),
                Err(e) => {
                    frr_error.get_or_insert(format!("show bfd peers: {e}"));
                }
            }
        }
    }
    let routes = c
        .router_addrs()
        .iter()
        .enumerate()
        .filter(|(j, _)| *j != i)
        .map(|(j, ip)| {
            let body = secs.get(&format!("route {ip}")).map_or("", String::as_str);
            let (protocol, next_hops) = parse_route_show(body);
            RouteStatus {
                to: c.node_name(j).to_string(),
                ip: ip.to_string(),
                protocol,
                next_hops,
            }
        })
        .collect();
    NodeStatus {
        node: c.node_name(i).to_string(),
        reachable: true,
        error: None,
        ports,
        adjacencies,
        bfd,
        frr_error,
        routes,
    }
}

/// A port's `key=value` lines (empty value: the kernel did not say).
fn parse_port(name: &str, body: &str) -> PortStatus {
    let mut st = PortStatus {
        name: name.to_string(),
        ..Default::default()
    };
    if body.trim() == "absent" || body.trim().is_empty() {
        return st;
    }
    st.present = true;
    let kv: BTreeMap<&str, &str> = body
        .lines()
        .filter_map(|l| l.split_once('='))
        .filter(|(k, _)| PORT_FILES.contains(k))
        .map(|(k, v)| (k, v.trim()))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let num = |k: &str| kv.get(k).and_then(|v| v.parse::<u64>().ok());
    st.operstate = kv.get("operstate").map(|s| s.to_string());
    st.carrier = kv.get("carrier").map(|v| *v == "1");
    // A port without carrier reports speed -1 (unknown).
    st.speed_mbps = num("speed");
    st.mtu = num("mtu").and_then(|m| u32::try_from(m).ok());
    st.carrier_changes = num("carrier_changes");
    st.rx_errors = num("statistics/rx_errors");
    st.tx_errors = num("statistics/tx_errors");
    st.rx_dropped = num("statistics/rx_dropped");
    st.tx_dropped = num("statistics/tx_dropped");
    st
}

/// `ip -j -4 route show X/32`: its protocol and next hops (one, or several
/// under `nexthops` for ECMP). Anything else (no route, an error): none.
pub(super) fn parse_route_show(body: &str) -> (Option<String>, Vec<NextHop>) {
    let Ok(Value::Array(routes)) = serde_json::from_str::<Value>(body.trim()) else {
        return (None, vec![]);
    };
    let Some(r) = routes.first() else {
        return (None, vec![]);
    };
    let hop = |h: &Value| NextHop {
        dev: h["dev"].as_str().map(str::to_string),
        via: h["gateway"].as_str().map(str::to_string),
    };
    let hops = match r["nexthops"].as_array() {
        Some(hs) => hs.iter().map(hop).collect(),
        None => vec![hop(r)],
    };
    (r["protocol"].as_str().map(str::to_string), hops)
}
