//! `pve-sdn` mode against the Proxmox VE API: the fabric objects a cluster
//! has (`pvesh get /cluster/sdn/fabrics/all --output-format json`), the ones
//! the spec wants, and the `pvesh` calls that turn one into the other. Pure:
//! the binary runs the calls. Only the spec's fabric is touched; other
//! fabrics and their nodes are left as they are.
//!
//! The JSON shape read (`{"fabrics": [{"id": .., "protocol": .., key: value}],
//! "nodes": [{"fabric_id": .., "node_id": .., "interfaces": [..], ..}]}`) is
//! what the lab's stand-in answers; FORMATS.md documents the call, not its
//! output, so a real Proxmox VE may differ in details (numbers as JSON
//! numbers are accepted).

use crate::render::interface_props;
use crate::Cluster;
use std::collections::BTreeMap;
use std::fmt::Write;

/// One object's properties: key → values (`interfaces` repeats).
pub type Props = BTreeMap<String, Vec<String>>;

/// The fabric objects of a cluster, or the ones a spec wants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Objects {
    /// fabric id → (protocol, properties)
    pub fabrics: BTreeMap<String, (String, Props)>,
    /// (fabric id, node id) → (protocol, properties)
    pub nodes: BTreeMap<(String, String), (String, Props)>,
}

/// Keys that identify an object rather than describe it.
const IDENTITY: [&str; 6] = [
    "id",
    "fabric_id",
    "node_id",
    "protocol",
    "digest",
    "lock-token",
];

fn props_of(obj: &serde_json::Map<String, serde_json::Value>) -> Result<Props, String> {
    let mut p = Props::new();
    for (k, v) in obj {
        if IDENTITY.contains(&k.as_str()) {
            continue;
        }
        let vals = match v {
            serde_json::Value::Array(a) => a.iter().map(scalar).collect::<Result<Vec<_>, _>>()?,
            other => vec![scalar(other)?],
        };
        p.insert(k.clone(), vals);
    }
    Ok(p)
}

fn scalar(v: &serde_json::Value) -> Result<String, String> {
    match v {
        serde_json::Value::String(s) => Ok(s.clone()),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        serde_json::Value::Bool(b) => Ok(if *b { "1" } else { "0" }.to_string()),
        other => Err(format!("unexpected value {other}")),
    }
}

fn field<'a>(
    o: &'a serde_json::Map<String, serde_json::Value>,
    k: &str,
) -> Result<&'a str, String> {
    o.get(k)
        .and_then(|v| v.as_str())
        .ok_or_else(|| format!("an object without {k:?}"))
}

/// Parse the output of `pvesh get /cluster/sdn/fabrics/all --output-format json`.
pub fn parse_all(json: &str) -> Result<Objects, String> {
    let v: serde_json::Value = serde_json::from_str(json).map_err(|e| format!("not JSON: {e}"))?;
    let mut o = Objects::default();
    let list = |k: &str| -> Result<Vec<serde_json::Map<String, serde_json::Value>>, String> {
        match v.get(k) {
            None => Ok(vec![]),
            Some(serde_json::Value::Array(a)) => a
                .iter()
                .map(|x| {
                    x.as_object()
                        .cloned()
                        .ok_or_else(|| format!("{k}: not an object"))
                })
                .collect(),
            Some(_) => Err(format!("{k} is not a list")),
        }
    };
    for f in list("fabrics")? {
        o.fabrics.insert(
            field(&f, "id")?.to_string(),
            (field(&f, "protocol")?.to_string(), props_of(&f)?),
        );
    }
    for n in list("nodes")? {
        o.nodes.insert(
            (
                field(&n, "fabric_id")?.to_string(),
                field(&n, "node_id")?.to_string(),
            ),
            (field(&n, "protocol")?.to_string(), props_of(&n)?),
        );
    }
    Ok(o)
}

/// The objects the spec wants (its one OpenFabric fabric and a node per spec node).
pub fn desired(c: &Cluster) -> Objects {
    let f = &c.spec.fabric;
    let mut o = Objects::default();
    let mut fp = Props::new();
    if let Some(v) = &f.csnp_interval {
        fp.insert("csnp_interval".into(), vec![v.value.to_string()]);
    }
    if let Some(v) = &f.hello_interval {
        fp.insert("hello_interval".into(), vec![v.value.to_string()]);
    }
    if let Some(p) = &f.prefix {
        fp.insert("ip_prefix".into(), vec![p.value.trunc().to_string()]);
    }
    if let Some(p6) = &f.prefix6 {
        fp.insert("ip6_prefix".into(), vec![p6.value.trunc().to_string()]);
    }
    o.fabrics
        .insert(f.name.value.clone(), ("openfabric".into(), fp));
    for i in 0..c.nodes().len() {
        let mut np = Props::new();
        np.insert("interfaces".into(), interface_props(c, i));
        if let Some(ip) = c.router_ips.get(i) {
            np.insert("ip".into(), vec![ip.to_string()]);
        }
        if let Some(ip6) = c.router_ip6s.get(i) {
            np.insert("ip6".into(), vec![ip6.to_string()]);
        }
        o.nodes.insert(
            (f.name.value.clone(), c.node_name(i).to_string()),
            ("openfabric".into(), np),
        );
    }
    o
}

/// `--key value` for every property, in key order.
fn args(props: &Props) -> Vec<String> {
    let mut a = vec![];
    for (k, vals) in props {
        for v in vals {
            a.push(format!("--{k}"));
            a.push(v.clone());
        }
    }
    a
}

/// `--delete k1,k2` for keys `from` has and `to` lacks.
fn deletes(from: &Props, to: &Props) -> Vec<String> {
    let gone: Vec<&str> = from
        .keys()
        .filter(|k| !to.contains_key(*k))
        .map(String::as_str)
        .collect();
    if gone.is_empty() {
        vec![]
    } else {
        vec!["--delete".into(), gone.join(",")]
    }
}

fn pvesh(words: &[&str], rest: Vec<String>) -> Vec<String> {
    let mut v: Vec<String> = std::iter::once("pvesh")
        .chain(words.iter().copied())
        .map(String::from)
        .collect();
    v.extend(rest);
    v
}

/// The calls that turn `from` into `to` for fabric `fabric`, then `pvesh
/// set /cluster/sdn` to apply them; empty when nothing differs (a second
/// apply makes no changing call). The same function rolls back: `calls(
/// applied, previous, ..)`.
pub fn calls(from: &Objects, to: &Objects, fabric: &str) -> Vec<Vec<String>> {
    let mut out = vec![];
    let fpath = format!("/cluster/sdn/fabrics/fabric/{fabric}");
    match (from.fabrics.get(fabric), to.fabrics.get(fabric)) {
        (None, Some((proto, p))) => {
            let mut a = vec![
                "--id".to_string(),
                fabric.to_string(),
                "--protocol".into(),
                proto.clone(),
            ];
            a.extend(args(p));
            out.push(pvesh(&["create", "/cluster/sdn/fabrics/fabric"], a));
        }
        (Some((_, old)), Some((proto, p))) if old != p => {
            let mut a = vec!["--protocol".to_string(), proto.clone()];
            a.extend(args(p));
            a.extend(deletes(old, p));
            out.push(pvesh(&["set", &fpath], a));
        }
        _ => {}
    }
    let nodes_of = |o: &Objects| -> Vec<String> {
        o.nodes
            .keys()
            .filter(|(f, _)| f == fabric)
            .map(|(_, n)| n.clone())
            .collect()
    };
    let (old_nodes, new_nodes) = (nodes_of(from), nodes_of(to));
    for n in &old_nodes {
        if !new_nodes.contains(n) {
            out.push(pvesh(
                &["delete", &format!("/cluster/sdn/fabrics/node/{fabric}/{n}")],
                vec![],
            ));
        }
    }
    for n in &new_nodes {
        let key = (fabric.to_string(), n.clone());
        let (proto, p) = &to.nodes[&key];
        match from.nodes.get(&key) {
            None => {
                let mut a = vec![
                    "--node_id".to_string(),
                    n.clone(),
                    "--protocol".into(),
                    proto.clone(),
                ];
                a.extend(args(p));
                out.push(pvesh(
                    &["create", &format!("/cluster/sdn/fabrics/node/{fabric}")],
                    a,
                ));
            }
            Some((_, old)) if old != p => {
                let mut a = vec!["--protocol".to_string(), proto.clone()];
                a.extend(args(p));
                a.extend(deletes(old, p));
                out.push(pvesh(
                    &["set", &format!("/cluster/sdn/fabrics/node/{fabric}/{n}")],
                    a,
                ));
            }
            _ => {}
        }
    }
    if from.fabrics.contains_key(fabric) && !to.fabrics.contains_key(fabric) {
        out.push(pvesh(&["delete", &fpath], vec![]));
    }
    if !out.is_empty() {
        out.push(pvesh(&["set", "/cluster/sdn"], vec![]));
    }
    out
}

/// The objects of `fabric` as fabrics.cfg sections (FORMATS.md's rules),
/// for showing a plan as a file diff.
pub fn as_cfg(o: &Objects, fabric: &str) -> String {
    let mut sections = vec![];
    let section = |head: String, p: &Props| {
        let mut s = format!("{head}\n");
        for (k, vals) in p {
            for v in vals {
                let _ = writeln!(s, "\t{k} {v}");
            }
        }
        s
    };
    if let Some((proto, p)) = o.fabrics.get(fabric) {
        sections.push(section(format!("{proto}_fabric: {fabric}"), p));
    }
    for ((f, n), (proto, p)) in &o.nodes {
        if f == fabric {
            sections.push(section(format!("{proto}_node: {f}_{n}"), p));
        }
    }
    sections.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Source;

    fn cluster(text: &str) -> Cluster {
        crate::spec::load(&Source::new("tbmesh.toml", text))
            .expect("valid")
            .0
    }

    fn reference() -> String {
        include_str!("../../../examples/ms01-3node.toml").to_string()
    }

    #[test]
    fn fresh_then_idempotent_then_one_port_then_rollback() {
        let c = cluster(&reference());
        let want = desired(&c);
        // Fresh: the fabric, three nodes, apply.
        let fresh = calls(&Objects::default(), &want, "tb4");
        assert_eq!(fresh.len(), 5);
        assert_eq!(
            fresh[0].join(" "),
            "pvesh create /cluster/sdn/fabrics/fabric --id tb4 --protocol openfabric --csnp_interval 5 --hello_interval 1 --ip_prefix 10.100.0.0/24"
        );
        assert_eq!(
            fresh[1].join(" "),
            "pvesh create /cluster/sdn/fabrics/node/tb4 --node_id n2 --protocol openfabric --interfaces name=en05,hello_multiplier=3 --interfaces name=en06,hello_multiplier=3 --ip 10.100.0.12"
        );
        assert_eq!(fresh[4].join(" "), "pvesh set /cluster/sdn");
        // The fabrics.cfg view equals the rendered file.
        assert_eq!(as_cfg(&want, "tb4"), crate::render::fabrics_cfg(&c));
        // Second apply: nothing.
        assert!(calls(&want, &want, "tb4").is_empty());
        // One port's multiplier changes: one set, then apply.
        let changed = cluster(&reference().replacen(
            "ports = { en05 = \"0000:00:0d.2\"",
            "ports = { en05 = { pci = \"0000:00:0d.2\", hello_multiplier = 5 }",
            1,
        ));
        let step = calls(&want, &desired(&changed), "tb4");
        assert_eq!(step.len(), 2);
        assert_eq!(
            step[0].join(" "),
            "pvesh set /cluster/sdn/fabrics/node/tb4/n2 --protocol openfabric --interfaces name=en05,hello_multiplier=5 --interfaces name=en06,hello_multiplier=3 --ip 10.100.0.12"
        );
        // Rollback of the fresh apply: nodes deleted, then the fabric.
        let back = calls(&want, &Objects::default(), "tb4");
        assert_eq!(back.len(), 5);
        assert_eq!(
            back[3].join(" "),
            "pvesh delete /cluster/sdn/fabrics/fabric/tb4"
        );
    }

    #[test]
    fn reads_the_api_json_and_leaves_other_fabrics() {
        let json = r#"{"fabrics":[{"id":"tb4","protocol":"openfabric","hello_interval":1,"csnp_interval":"5","ip_prefix":"10.100.0.0/24","digest":"x"},{"id":"other","protocol":"ospf","area":"0"}],
          "nodes":[{"fabric_id":"tb4","node_id":"n2","protocol":"openfabric","ip":"10.100.0.12","interfaces":["name=en05,hello_multiplier=3","name=en06,hello_multiplier=3"]},
                   {"fabric_id":"other","node_id":"n2","protocol":"ospf","ip":"10.0.0.1"}]}"#;
        let have = parse_all(json).expect("parses");
        assert_eq!(have.fabrics["tb4"].1["hello_interval"], vec!["1"]);
        let want = desired(&cluster(&reference()));
        let c = calls(&have, &want, "tb4");
        // n3 and n4 are created; `other` and its node are not touched.
        assert_eq!(c.len(), 3, "{c:?}");
        assert!(c.iter().all(|a| !a.join(" ").contains("other")));
        assert!(parse_all("[").is_err());
        assert!(parse_all(r#"{"fabrics":[{"protocol":"openfabric"}]}"#).is_err());
    }
}
