//! The state of every node and cable from the saved results: a failed
//! verify check on a cabled port marks its cable, any other failed check its
//! node; a bench direction that failed marks its cable fail, a flagged one
//! warn; a failover-test fault that failed marks its cable.

use super::{arr, s, Inputs};
use crate::diagram::{State, States};
use crate::Cluster;
use serde_json::Value;

pub fn states(c: &Cluster, inputs: &Inputs) -> States {
    let mut st = States::default();
    if let Some(v) = &inputs.verify {
        from_verify(c, &v.doc, &mut st);
    }
    if let Some(b) = &inputs.bench {
        from_bench(c, &b.doc, &mut st);
    }
    if let Some(f) = &inputs.failover {
        from_failover(c, &f.doc, &mut st);
    }
    st
}

/// The index in fabric.links of the cable written as `text`, or of the
/// cable on `node:port`.
fn cable_index(c: &Cluster, text: &str) -> Option<usize> {
    c.spec
        .fabric
        .links
        .iter()
        .position(|l| l.to_string() == text)
        .or_else(|| {
            let (node, port) = text.split_once(':')?;
            let i = c.node_idx(node)?;
            c.peer(i, port).map(|pe| pe.link)
        })
}

fn from_verify(c: &Cluster, doc: &Value, st: &mut States) {
    for ch in arr(doc, "checks") {
        let ok = ch.get("ok").and_then(Value::as_bool).unwrap_or(false);
        let (node, subject, name) = (s(ch, "node"), s(ch, "subject"), s(ch, "name"));
        let state = if ok { State::Ok } else { State::Fail };
        let note = format!("verify {name} {subject}: {}", s(ch, "detail"));
        let cable = c
            .node_idx(node)
            .and_then(|i| c.peer(i, subject))
            .map(|pe| pe.link);
        match cable {
            Some(l) if name != "ceph" => {
                if !ok {
                    st.cable(l, state, format!("{node}: {note}"));
                } else if !st.cables.contains_key(&l) {
                    st.cable(l, State::Ok, "verify: ok");
                }
            }
            _ if c.node_idx(node).is_some() => {
                if !ok {
                    st.node(node, state, note);
                } else if !st.nodes.contains_key(node) {
                    st.node(node, State::Ok, "verify: ok");
                }
            }
            _ => {}
        }
    }
}

fn from_bench(c: &Cluster, doc: &Value, st: &mut States) {
    for r in arr(doc, "links") {
        let Some(l) = cable_index(c, s(r, "cable")) else {
            continue;
        };
        let what = format!(
            "bench {} > {}, {} stream(s)",
            s(r, "from"),
            s(r, "to"),
            r.get("streams").and_then(Value::as_u64).unwrap_or(0)
        );
        if let Some(e) = r.get("error").and_then(Value::as_str) {
            st.cable(l, State::Fail, format!("{what}: {e}"));
            continue;
        }
        let gbps = r
            .pointer("/result/gbps")
            .and_then(Value::as_f64)
            .unwrap_or(0.0);
        let flags: Vec<&str> = arr(r, "flags")
            .iter()
            .filter_map(|f| f.get("short").and_then(Value::as_str))
            .collect();
        if flags.is_empty() {
            st.cable(l, State::Ok, format!("{what}: {gbps:.2} Gbit/s"));
        } else {
            st.cable(
                l,
                State::Warn,
                format!("{what}: {gbps:.2} Gbit/s, {}", flags.join(", ")),
            );
        }
    }
}

/// failover-test's document is read defensively: any array of objects with
/// a cable (`cable` or `link`, as written in fabric.links or `node:port`)
/// and an `ok` boolean marks that cable.
fn from_failover(c: &Cluster, doc: &Value, st: &mut States) {
    let Some(map) = doc.as_object() else {
        return;
    };
    for items in map.values().filter_map(Value::as_array) {
        for it in items {
            let cable = [s(it, "cable"), s(it, "link")]
                .into_iter()
                .find_map(|t| cable_index(c, t));
            let ok = it.get("ok").and_then(Value::as_bool);
            if let (Some(l), Some(ok)) = (cable, ok) {
                let state = if ok { State::Ok } else { State::Fail };
                let what = [s(it, "fault"), s(it, "kind"), s(it, "detail")]
                    .into_iter()
                    .filter(|t| !t.is_empty())
                    .collect::<Vec<_>>()
                    .join(", ");
                st.cable(
                    l,
                    state,
                    format!(
                        "failover-test: {}{what}",
                        if ok { "ok " } else { "FAILED " }
                    ),
                );
            }
        }
    }
}
