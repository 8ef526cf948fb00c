//! What the cluster already has, read from Ceph's own JSON output: monitors,
//! managers, OSDs, pools, health and PG states. Parsers are pure and tested
//! on output captured from Ceph 18.

use serde::Serialize;
use serde_json::Value;
use std::net::IpAddr;

/// A monitor in the monmap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mon {
    pub name: String,
    /// Every IP of its public address vector (v2 and v1 share one normally).
    pub addrs: Vec<IpAddr>,
    pub in_quorum: bool,
}

/// An OSD in the OSD map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Osd {
    pub id: u32,
    pub host: Option<String>,
    pub up: bool,
    pub r#in: bool,
    pub public_addr: Option<IpAddr>,
    pub cluster_addr: Option<IpAddr>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pool {
    pub name: String,
    pub size: u32,
    pub min_size: u32,
    pub autoscale: String,
    pub applications: Vec<String>,
}

/// One health check: `MGR_MODULE_DEPENDENCY`, its severity and messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HealthCheck {
    pub code: String,
    pub severity: String,
    pub summary: String,
    pub detail: Vec<String>,
}

/// The cluster as Ceph reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CephState {
    pub fsid: Option<String>,
    pub mons: Vec<Mon>,
    /// Active manager first, then standbys.
    pub mgrs: Vec<String>,
    pub osds: Vec<Osd>,
    pub pools: Vec<Pool>,
    pub health: String,
    pub checks: Vec<HealthCheck>,
    /// PG count per state (`active+clean`, `unknown`, ...).
    pub pg_states: Vec<(String, u64)>,
    pub num_pgs: u64,
    /// The central config database (`ceph config dump`).
    pub config: Vec<ConfigEntry>,
}

/// One value of the central config database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigEntry {
    pub who: String,
    pub key: String,
    pub value: String,
}

fn json(text: &str, what: &str) -> Result<Value, String> {
    serde_json::from_str(text.trim()).map_err(|e| format!("`{what}` did not print JSON: {e}"))
}

/// `10.100.0.12:6789/0`, `v2:10.100.0.12:3300/0` or `v2:[fd00:100::1]:3300/0`
/// → the IP.
fn ip_of(addr: &str) -> Option<IpAddr> {
    let a = addr
        .strip_prefix("v2:")
        .or(addr.strip_prefix("v1:"))
        .unwrap_or(addr);
    if let Some(v6) = a.strip_prefix('[') {
        return v6.split(']').next()?.parse().ok();
    }
    a.split([':', '/']).next()?.parse().ok()
}

/// The IPs of an `addrvec` object (`{"addrvec": [{"addr": ..}]}`).
fn addrvec(v: Option<&Value>) -> Vec<IpAddr> {
    let mut ips: Vec<IpAddr> = v
        .and_then(|v| v.get("addrvec"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|a| ip_of(a.get("addr")?.as_str()?))
        .collect();
    ips.dedup();
    ips
}

/// `ceph mon dump -f json` (has `quorum` since Nautilus).
pub fn parse_mon_dump(text: &str) -> Result<(String, Vec<Mon>), String> {
    let v = json(text, "ceph mon dump -f json")?;
    let fsid = v["fsid"].as_str().unwrap_or_default().to_string();
    let quorum: Vec<u64> = v["quorum"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_u64)
        .collect();
    let mons = v["mons"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            let mut addrs = addrvec(m.get("public_addrs"));
            if addrs.is_empty() {
                addrs.extend(m["addr"].as_str().and_then(ip_of));
            }
            Mon {
                name: m["name"].as_str().unwrap_or_default().to_string(),
                addrs,
                in_quorum: m["rank"].as_u64().is_some_and(|r| quorum.contains(&r)),
            }
        })
        .collect();
    Ok((fsid, mons))
}

/// `ceph mgr dump -f json`: active first, then standbys.
pub fn parse_mgr_dump(text: &str) -> Result<Vec<String>, String> {
    let v = json(text, "ceph mgr dump -f json")?;
    let mut names = vec![];
    if let Some(a) = v["active_name"].as_str().filter(|a| !a.is_empty()) {
        names.push(a.to_string());
    }
    for s in v["standbys"].as_array().into_iter().flatten() {
        names.extend(s["name"].as_str().map(str::to_string));
    }
    Ok(names)
}

/// `ceph osd dump -f json` for state and addresses, `ceph osd tree -f json`
/// for the host of each OSD.
pub fn parse_osds(dump: &str, tree: &str) -> Result<Vec<Osd>, String> {
    let d = json(dump, "ceph osd dump -f json")?;
    let t = json(tree, "ceph osd tree -f json")?;
    let mut host_of = std::collections::BTreeMap::new();
    for n in t["nodes"].as_array().into_iter().flatten() {
        if n["type"] == "host" {
            for c in n["children"].as_array().into_iter().flatten() {
                if let (Some(id), Some(name)) = (c.as_i64(), n["name"].as_str()) {
                    host_of.insert(id, name.to_string());
                }
            }
        }
    }
    let mut osds: Vec<Osd> = d["osds"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| {
            let id = o["osd"].as_u64()?;
            let first = |k: &str, vec: &str| {
                addrvec(o.get(vec))
                    .first()
                    .copied()
                    .or_else(|| o[k].as_str().and_then(ip_of))
                    .filter(|ip| !ip.is_unspecified())
            };
            Some(Osd {
                id: u32::try_from(id).ok()?,
                host: host_of.get(&(id as i64)).cloned(),
                up: o["up"].as_u64() == Some(1),
                r#in: o["in"].as_u64() == Some(1),
                public_addr: first("public_addr", "public_addrs"),
                cluster_addr: first("cluster_addr", "cluster_addrs"),
            })
        })
        .collect();
    osds.sort_by_key(|o| o.id);
    Ok(osds)
}

/// `ceph osd pool ls detail -f json`.
pub fn parse_pools(text: &str) -> Result<Vec<Pool>, String> {
    let v = json(text, "ceph osd pool ls detail -f json")?;
    Ok(v.as_array()
        .into_iter()
        .flatten()
        .map(|p| Pool {
            name: p["pool_name"].as_str().unwrap_or_default().to_string(),
            size: p["size"].as_u64().unwrap_or(0) as u32,
            min_size: p["min_size"].as_u64().unwrap_or(0) as u32,
            autoscale: p["pg_autoscale_mode"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            applications: p["application_metadata"]
                .as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default(),
        })
        .collect())
}

/// `ceph health detail -f json`: status and checks.
pub fn parse_health(text: &str) -> Result<(String, Vec<HealthCheck>), String> {
    let v = json(text, "ceph health detail -f json")?;
    let status = v["status"].as_str().unwrap_or_default().to_string();
    let checks = v["checks"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(code, c)| HealthCheck {
            code: code.clone(),
            severity: c["severity"].as_str().unwrap_or_default().to_string(),
            summary: c["summary"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            detail: c["detail"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|d| d["message"].as_str().map(str::to_string))
                .collect(),
        })
        .collect();
    Ok((status, checks))
}

/// `ceph pg stat -f json`: PG count per state.
pub fn parse_pg_stat(text: &str) -> Result<(u64, Vec<(String, u64)>), String> {
    let v = json(text, "ceph pg stat -f json")?;
    let sum = v.get("pg_summary").unwrap_or(&v);
    let num = sum["num_pgs"].as_u64().unwrap_or(0);
    let states = sum["num_pg_by_state"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| Some((s["name"].as_str()?.to_string(), s["num"].as_u64()?)))
        .collect();
    Ok((num, states))
}

/// The script that prints what [`parse_state`] reads; run on a node with
/// the admin keyring. One Python process asks the monitors (and the manager
/// for `pg stat`) through librados, the module the `ceph` CLI itself is
/// built on: one connection instead of eight CLI starts (each ~0.5 s).
/// Connecting and every command are bounded, so a cluster without quorum
/// answers "none" instead of hanging.
pub fn state_script() -> String {
    // Each command's JSON is made here: the Python then needs no `json`
    // module (~4 ms of its start on the lab).
    let mut cmds = String::new();
    for (name, prefix, extra, target) in STATE_CMDS {
        let mut cmd: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(extra).unwrap_or_default();
        cmd.insert("prefix".into(), prefix.into());
        cmd.insert("format".into(), "json".into());
        let cmd = serde_json::Value::Object(cmd).to_string();
        cmds.push_str(&format!("    ({name:?}, {cmd:?}, {target:?}),\n"));
    }
    format!(
        "export LC_ALL=C\nif ! [ -r /etc/ceph/ceph.conf ] || ! [ -r /etc/ceph/ceph.client.admin.keyring ]; then echo '@@ceph none'; exit 0; fi\n\
         exec timeout 40 python3 - <<'TBMESH_PY'\n{PY_HEAD}CMDS = [\n{cmds}]\n{PY_TAIL}TBMESH_PY\n"
    )
}

const PY_HEAD: &str = r#"import sys
try:
    import rados
except ImportError:
    print("@@ceph none")
    sys.exit(0)
try:
    c = rados.Rados(conffile="/etc/ceph/ceph.conf", conf={"client_mount_timeout": "10", "rados_mon_op_timeout": "15"})
    c.connect(timeout=10)
except Exception:
    print("@@ceph none")
    sys.exit(0)
"#;

const PY_TAIL: &str = r#"out = []
for name, cmd, target in CMDS:
    text = ""
    try:
        send = c.mgr_command if target == "mgr" else c.mon_command
        ret, buf, _ = send(cmd, b"", timeout=15)
        if ret == 0:
            text = buf.decode("utf-8", "replace")
    except Exception:
        pass
    out.append("@@ceph " + name + "\n" + text + "\n")
c.shutdown()
sys.stdout.write("".join(out))
"#;

/// Name, command prefix, arguments (a JSON object) and who answers it.
const STATE_CMDS: [(&str, &str, &str, &str); 8] = [
    ("mon", "mon dump", "{}", "mon"),
    ("mgr", "mgr dump", "{}", "mon"),
    ("osd-dump", "osd dump", "{}", "mon"),
    ("osd-tree", "osd tree", "{}", "mon"),
    ("pools", "osd pool ls", "{\"detail\": \"detail\"}", "mon"),
    ("health", "health", "{\"detail\": \"detail\"}", "mon"),
    ("pg", "pg stat", "{}", "mgr"),
    ("config", "config dump", "{}", "mon"),
];

/// `ceph config dump -f json`: (who, key, value), `who` with its mask
/// (`osd/host:n2`) the way `ceph config set` takes it.
pub fn parse_config_dump(text: &str) -> Result<Vec<ConfigEntry>, String> {
    let v = json(text, "ceph config dump -f json")?;
    Ok(v.as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let section = e["section"].as_str().unwrap_or_default();
            let mask = e["mask"].as_str().unwrap_or_default();
            ConfigEntry {
                who: if mask.is_empty() {
                    section.to_string()
                } else {
                    format!("{section}/{mask}")
                },
                key: e["name"].as_str().unwrap_or_default().to_string(),
                value: e["value"].as_str().unwrap_or_default().to_string(),
            }
        })
        .collect())
}

/// Parse [`state_script`]'s output. `None`: no cluster answered on the node.
pub fn parse_state(out: &str) -> Result<Option<CephState>, String> {
    let mut parts: std::collections::BTreeMap<&str, String> = Default::default();
    let mut cur: Option<&str> = None;
    for l in out.lines() {
        if let Some(h) = l.strip_prefix("@@ceph ") {
            if h == "none" {
                return Ok(None);
            }
            cur = Some(h);
            parts.insert(h, String::new());
        } else if let Some(c) = cur {
            if let Some(b) = parts.get_mut(c) {
                b.push_str(l);
                b.push('\n');
            }
        }
    }
    let mon = parts.get("mon").map(String::as_str).unwrap_or("");
    if mon.trim().is_empty() {
        return Ok(None);
    }
    let (fsid, mons) = parse_mon_dump(mon)?;
    let get = |k: &str| parts.get(k).map(String::as_str).unwrap_or("").to_string();
    let or_empty = |t: String, empty: &str| {
        if t.trim().is_empty() {
            empty.to_string()
        } else {
            t
        }
    };
    let mgrs = parse_mgr_dump(&or_empty(get("mgr"), "{}"))?;
    let osds = parse_osds(
        &or_empty(get("osd-dump"), "{}"),
        &or_empty(get("osd-tree"), "{}"),
    )?;
    let pools = parse_pools(&or_empty(get("pools"), "[]"))?;
    let (health, checks) = parse_health(&or_empty(get("health"), "{}"))?;
    let (num_pgs, pg_states) = parse_pg_stat(&or_empty(get("pg"), "{}"))?;
    let config = parse_config_dump(&or_empty(get("config"), "[]"))?;
    Ok(Some(CephState {
        fsid: Some(fsid).filter(|f| !f.is_empty()),
        mons,
        mgrs,
        osds,
        pools,
        health,
        checks,
        pg_states,
        num_pgs,
        config,
    }))
}

impl CephState {
    pub fn mon(&self, name: &str) -> Option<&Mon> {
        self.mons.iter().find(|m| m.name == name)
    }

    pub fn pool(&self, name: &str) -> Option<&Pool> {
        self.pools.iter().find(|p| p.name == name)
    }

    /// Every PG is active+clean (and there is at least one).
    pub fn all_pgs_clean(&self) -> bool {
        self.num_pgs > 0
            && self
                .pg_states
                .iter()
                .all(|(s, n)| *n == 0 || s == "active+clean")
            && self
                .pg_states
                .iter()
                .filter(|(s, _)| s == "active+clean")
                .map(|(_, n)| n)
                .sum::<u64>()
                == self.num_pgs
    }

    pub fn osds_on(&self, host: &str) -> Vec<&Osd> {
        self.osds
            .iter()
            .filter(|o| o.host.as_deref() == Some(host))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub const MON_DUMP: &str = r#"{"epoch":1,"fsid":"5c3f0c4e-0d5b-4a52-9f43-2f8a0e4f9a11","modified":"2026-11-26T13:00:00.000000+0000","created":"2026-11-26T13:00:00.000000+0000","min_mon_release":18,"min_mon_release_name":"reef","election_strategy":1,"disallowed_leaders: ":"","stretch_mode":false,"tiebreaker_mon":"","removed_ranks: ":"","features":{"persistent":["kraken","luminous","mimic","osdmap-prune","nautilus","octopus","pacific","elector-pinging","quincy","reef"],"optional":[]},"mons":[{"rank":0,"name":"n2","public_addrs":{"addrvec":[{"type":"v2","addr":"10.100.0.12:3300","nonce":0},{"type":"v1","addr":"10.100.0.12:6789","nonce":0}]},"addr":"10.100.0.12:6789/0","public_addr":"10.100.0.12:6789/0","priority":0,"weight":0,"crush_location":"{}"},{"rank":1,"name":"n3","public_addrs":{"addrvec":[{"type":"v2","addr":"10.100.0.13:3300","nonce":0},{"type":"v1","addr":"10.100.0.13:6789","nonce":0}]},"addr":"10.100.0.13:6789/0","public_addr":"10.100.0.13:6789/0","priority":0,"weight":0,"crush_location":"{}"},{"rank":2,"name":"n4","public_addrs":{"addrvec":[{"type":"v2","addr":"10.100.0.14:3300","nonce":0},{"type":"v1","addr":"10.100.0.14:6789","nonce":0}]},"addr":"10.100.0.14:6789/0","public_addr":"10.100.0.14:6789/0","priority":0,"weight":0,"crush_location":"{}"}],"quorum":[0,1]}"#;

    #[test]
    fn reads_monitors_their_addresses_and_quorum() {
        let (fsid, mons) = parse_mon_dump(MON_DUMP).unwrap();
        assert_eq!(fsid, "5c3f0c4e-0d5b-4a52-9f43-2f8a0e4f9a11");
        assert_eq!(mons.len(), 3);
        assert_eq!(
            mons[0].addrs,
            vec!["10.100.0.12".parse::<IpAddr>().unwrap()]
        );
        assert!(mons[1].in_quorum);
        assert!(!mons[2].in_quorum);
    }

    #[test]
    fn reads_osds_with_hosts_and_addresses() {
        let dump = r#"{"fsid":"x","osds":[{"osd":1,"uuid":"u1","up":1,"in":1,"public_addrs":{"addrvec":[{"type":"v2","addr":"10.100.0.12:6802","nonce":1},{"type":"v1","addr":"10.100.0.12:6803","nonce":1}]},"cluster_addrs":{"addrvec":[{"type":"v2","addr":"10.100.0.12:6804","nonce":1}]},"public_addr":"10.100.0.12:6803/1","cluster_addr":"10.100.0.12:6805/1"},{"osd":0,"up":0,"in":1,"public_addrs":{"addrvec":[]},"cluster_addrs":{"addrvec":[]},"public_addr":"(unrecognized address family 0)/0","cluster_addr":"(unrecognized address family 0)/0"}]}"#;
        let tree = r#"{"nodes":[{"id":-1,"name":"default","type":"root","children":[-3]},{"id":-3,"name":"n2","type":"host","children":[1,0]},{"id":0,"name":"osd.0","type":"osd","status":"down"},{"id":1,"name":"osd.1","type":"osd","status":"up"}],"stray":[]}"#;
        let osds = parse_osds(dump, tree).unwrap();
        assert_eq!(osds.len(), 2);
        assert_eq!(osds[0].id, 0);
        assert!(!osds[0].up && osds[0].r#in);
        assert_eq!(osds[0].cluster_addr, None);
        assert_eq!(osds[1].host.as_deref(), Some("n2"));
        assert_eq!(osds[1].cluster_addr, Some("10.100.0.12".parse().unwrap()));
    }

    #[test]
    fn reads_ipv6_monitor_addresses_in_brackets() {
        let dump = MON_DUMP
            .replace("10.100.0.12:", "[fd00:100::1]:")
            .replace("\"10.100.0.12\"", "\"fd00:100::1\"");
        let (_, mons) = parse_mon_dump(&dump).unwrap();
        assert_eq!(
            mons[0].addrs,
            vec!["fd00:100::1".parse::<IpAddr>().unwrap()]
        );
        assert_eq!(ip_of("v2:[fd00:100::2]:6804/1"), "fd00:100::2".parse().ok());
        assert_eq!(ip_of("[fd00:100::2]:6789/0"), "fd00:100::2".parse().ok());
    }

    #[test]
    fn reads_pools_health_and_pgs() {
        let pools = parse_pools(r#"[{"pool_id":1,"pool_name":".mgr","size":3,"min_size":2,"pg_autoscale_mode":"on","application_metadata":{"mgr":{}}},{"pool_id":2,"pool_name":"cephtb4","size":3,"min_size":2,"pg_autoscale_mode":"on","application_metadata":{"rbd":{}}}]"#).unwrap();
        assert_eq!(pools[1].name, "cephtb4");
        assert_eq!(pools[1].applications, vec!["rbd"]);
        let (status, checks) = parse_health(r#"{"status":"HEALTH_WARN","checks":{"MGR_MODULE_DEPENDENCY":{"severity":"HEALTH_WARN","summary":{"message":"Module 'restful' has failed dependency: PyO3 modules do not yet support subinterpreters, see https://github.com/PyO3/pyo3/issues/576","count":1},"detail":[{"message":"Module 'restful' has failed dependency: PyO3 modules do not yet support subinterpreters, see https://github.com/PyO3/pyo3/issues/576"}],"muted":false}},"mutes":[]}"#).unwrap();
        assert_eq!(status, "HEALTH_WARN");
        assert_eq!(checks[0].code, "MGR_MODULE_DEPENDENCY");
        let (n, states) = parse_pg_stat(r#"{"pg_ready":true,"pg_summary":{"num_pg_by_state":[{"name":"active+clean","num":33}],"num_pgs":33,"num_bytes":0}}"#).unwrap();
        assert_eq!(n, 33);
        assert_eq!(states, vec![("active+clean".to_string(), 33)]);
    }

    #[test]
    fn reads_the_config_database_with_masks() {
        let c = parse_config_dump(r#"[{"section":"global","name":"ms_bind_ipv4","value":"true","level":"advanced","can_update_at_runtime":false,"mask":""},{"section":"osd","name":"osd_memory_target","value":"4294967296","level":"basic","can_update_at_runtime":true,"mask":"host:n2","location_type":"host","location_value":"n2"}]"#).unwrap();
        assert_eq!(c[0].who, "global");
        assert_eq!(c[1].who, "osd/host:n2");
        assert_eq!(c[1].value, "4294967296");
    }

    #[test]
    fn the_state_script_asks_every_command_through_one_connection() {
        let s = state_script();
        assert_eq!(s.matches("c.connect(").count(), 1);
        // Its Python, run against a stand-in `rados` module that answers
        // each command with what it was asked and through which call.
        let py = s
            .split_once("<<'TBMESH_PY'\n")
            .and_then(|(_, r)| r.split_once("\nTBMESH_PY"))
            .map(|(p, _)| p.to_string())
            .expect("the Python part");
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("rados.py"),
            "import json\nclass Rados:\n    def __init__(self, conffile=None, conf=None): pass\n    def connect(self, timeout=None): pass\n    def mon_command(self, cmd, inbuf, timeout=None): return 0, json.dumps({'asked': json.loads(cmd), 'via': 'mon'}).encode(), ''\n    def mgr_command(self, cmd, inbuf, timeout=None): return 0, json.dumps({'asked': json.loads(cmd), 'via': 'mgr'}).encode(), ''\n    def shutdown(self): pass\n",
        )
        .expect("stand-in");
        let out = std::process::Command::new("python3")
            .arg("-c")
            .arg(&py)
            .env("PYTHONPATH", dir.path())
            .output()
            .expect("python3 runs");
        let text = String::from_utf8_lossy(&out.stdout);
        for (name, prefix, extra, target) in STATE_CMDS {
            let body = text
                .split(&format!("@@ceph {name}\n"))
                .nth(1)
                .and_then(|b| b.lines().next())
                .unwrap_or_else(|| panic!("{name} not answered: {text}"));
            let v: serde_json::Value = serde_json::from_str(body).expect("JSON");
            assert_eq!(v["via"], *target, "{name}");
            assert_eq!(v["asked"]["prefix"], *prefix, "{name}");
            assert_eq!(v["asked"]["format"], "json", "{name}");
            let extra: serde_json::Value = serde_json::from_str(extra).expect("extra");
            for (k, want) in extra.as_object().into_iter().flatten() {
                assert_eq!(&v["asked"][k], want, "{name} {k}");
            }
        }
        let out = "@@ceph mon\n{\"fsid\":\"f\",\"mons\":[],\"quorum\":[]}\n@@ceph config\n[]\n";
        let st = parse_state(out).unwrap().unwrap();
        assert_eq!(st.fsid.as_deref(), Some("f"));
        assert!(st.config.is_empty());
    }

    #[test]
    fn a_node_without_a_cluster_says_none() {
        assert_eq!(parse_state("@@ceph none\n").unwrap(), None);
        assert_eq!(parse_state("@@ceph mon\n\n@@ceph mgr\n").unwrap(), None);
    }

    #[test]
    fn new_pgs_in_unknown_are_not_clean() {
        let mut s = CephState {
            num_pgs: 33,
            pg_states: vec![("active+clean".into(), 32), ("unknown".into(), 1)],
            ..CephState::default()
        };
        assert!(!s.all_pgs_clean());
        s.pg_states = vec![("active+clean".into(), 33)];
        assert!(s.all_pgs_clean());
        s.num_pgs = 0;
        s.pg_states.clear();
        assert!(!s.all_pgs_clean());
    }
}
