//! Mesh verification (DESIGN.md, "Verification"): the probe script a node
//! runs, the parsers of what it prints, and the pure evaluation that turns
//! the spec, the facts, the plan and the probes into a list of [`Check`]s.
//!
//! A node answers in one round trip: every probe of its script runs in
//! parallel (neighbours on each port, DF pings at full MTU, TTL-limited
//! pings, the OpenFabric adjacencies, unit states) and prints a section.

use crate::facts::Facts;
use crate::plan::{Action, NodePlan};
use crate::render::expected_addresses;
use crate::shell::shell_quote;
use crate::spec::FabricMode;
use crate::topology::{LinkIdx, NodeIdx};
use crate::Cluster;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::{self, Write};
use std::net::Ipv4Addr;

/// Starts a probe's section in the script's output.
const MARK: &str = "@@verify ";
/// Ends a probe's section: its exit status.
const RC: &str = "@@rc ";

/// How long one ping probe lasts at most, seconds. It sends every
/// [`PING_INTERVAL`] s until the first answer or ICMP error, so a lost
/// packet (or an ARP retry, 1 s apart) does not pass for "no answer".
/// Every probe runs in parallel: this bounds the probe script's time.
const PING_DEADLINE_SECS: u32 = 2;
const PING_INTERVAL: &str = "0.2";

/// Units that must be enabled for the mesh to come back after a boot.
pub fn boot_units(c: &Cluster) -> Vec<&'static str> {
    match c.spec.fabric.mode.value {
        // PVE's SDN fabrics and tbmesh's frr.conf both need FRR at boot.
        FabricMode::PveSdn | FabricMode::Frr => vec!["tbmesh-links.service", "frr.service"],
        FabricMode::Static => vec!["tbmesh-links.service"],
    }
}

/// The largest TTL worth probing: the longest loop-free path.
fn max_ttl(c: &Cluster) -> u8 {
    u8::try_from(c.nodes().len().saturating_sub(1).max(1)).unwrap_or(u8::MAX)
}

/// The payload size of a ping that fills the MTU exactly (IPv4 + ICMP
/// headers are 28 bytes).
pub fn full_size(mtu: u32) -> u32 {
    mtu.saturating_sub(28)
}

/// The script node `i` runs: every probe in parallel, each printing a
/// section `@@verify <probe>` … `@@rc <status>`, in a fixed order.
pub fn probe_script(c: &Cluster, i: NodeIdx) -> String {
    let own = c.router_ips[i].to_string();
    let size = full_size(c.spec.fabric.mtu.value);
    let deadline = PING_DEADLINE_SECS.to_string();
    // `ping -n [extra] -c 1 -i 0.2 -w 2 -I <own router ip> <ip>`
    let ping = |extra: &[&str], ip: &str| -> Vec<String> {
        let mut v = vec!["ping", "-n"];
        v.extend_from_slice(extra);
        v.extend([
            "-c",
            "1",
            "-i",
            PING_INTERVAL,
            "-w",
            &deadline,
            "-I",
            &own,
            ip,
        ]);
        v.into_iter().map(str::to_string).collect()
    };
    let mut s = String::from(
        r#"export LC_ALL=C
d=$(mktemp -d) || exit 1
trap 'rm -rf "$d"' EXIT
# run FILE HEADER CMD...: one probe's section, written to its own file.
run() {
  f=$1 h=$2; shift 2
  o=$("$@" 2>&1); r=$?
  printf '@@verify %s\n%s\n@@rc %s\n' "$h" "$o" "$r" >"$d/$f"
}
# nd FILE PORT: who answers the all-nodes multicast on PORT (not us: -L),
# then ping each answer by unicast so the neighbour table holds its MAC.
# A port without carrier is not asked (it would only wait for the deadline).
nd() {
  f=$1 p=$2
  if [ "$(cat "/sys/class/net/$p/carrier" 2>/dev/null)" = 1 ]; then
    o=$(ping -6 -L -n -c 1 -i 0.2 -w 2 "ff02::1%$p" 2>&1); r=$?
  else
    o="ping: no carrier"; r=1
  fi
  for a in $(printf '%s\n' "$o" | sed -n 's/^[0-9]* bytes from \(fe80:[0-9a-f:]*\)%.*/\1/p'); do
    ping -6 -n -c 1 -W 1 "$a%$p" >/dev/null 2>&1
  done
  n=$(ip -j -6 neigh show dev "$p" 2>&1); nr=$?
  printf '@@verify nd %s\n%s\n@@rc %s\n@@verify neigh %s\n%s\n@@rc %s\n' "$p" "$o" "$r" "$p" "$n" "$nr" >"$d/$f"
}
"#,
    );
    // (shell function, its arguments after the output file), in output order.
    let mut jobs: Vec<(&str, String)> = vec![];
    let run = |jobs: &mut Vec<(&str, String)>, head: String, argv: &[&str]| {
        let cmd: Vec<String> = argv.iter().map(|a| shell_quote(a)).collect();
        jobs.push(("run", format!("{} {}", shell_quote(&head), cmd.join(" "))));
    };
    for p in &c.nodes()[i].ports {
        jobs.push(("nd", shell_quote(&p.name)));
    }
    for (j, ip) in c.router_ips.iter().enumerate() {
        if j == i {
            continue;
        }
        let ip = ip.to_string();
        for (head, sz) in [("mtu", size), ("over", size + 1)] {
            let argv = ping(&["-M", "do", "-s", &sz.to_string()], &ip);
            run(&mut jobs, format!("{head} {ip}"), &refs(&argv));
        }
        run(
            &mut jobs,
            format!("route {ip}"),
            &["ip", "-j", "route", "get", &ip, "from", &own],
        );
        for t in 1..=max_ttl(c) {
            let argv = ping(&["-t", &t.to_string()], &ip);
            run(&mut jobs, format!("ttl {ip} {t}"), &refs(&argv));
        }
    }
    if c.spec.fabric.mode.value != FabricMode::Static {
        run(
            &mut jobs,
            "openfabric".into(),
            &["vtysh", "-c", "show openfabric neighbor json"],
        );
    }
    for u in boot_units(c) {
        run(
            &mut jobs,
            format!("unit {u}"),
            &[
                "systemctl",
                "show",
                "-p",
                "LoadState",
                "-p",
                "ActiveState",
                "-p",
                "UnitFileState",
                u,
            ],
        );
    }
    for (n, (func, args)) in jobs.iter().enumerate() {
        let _ = writeln!(s, "{func} {n:04} {args} &");
    }
    s.push_str("wait\ncat \"$d\"/*\n");
    s
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// An echo reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reply {
    pub from: String,
    pub ttl: Option<u8>,
}

/// An ICMP error a router sent back (`Time to live exceeded`, `Frag
/// needed and DF set (mtu = 1500)`, `Destination Host Unreachable`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IcmpError {
    pub from: String,
    pub message: String,
}

/// What one `ping -n -c 1` printed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Ping {
    pub status: i32,
    pub replies: Vec<Reply>,
    pub errors: Vec<IcmpError>,
    /// Errors ping itself reports (`ping: sendmsg: Message too long`).
    pub local_errors: Vec<String>,
}

impl Ping {
    pub fn answered(&self) -> bool {
        !self.replies.is_empty()
    }

    /// Why there was no answer, in a few words.
    pub fn failure(&self) -> String {
        if let Some(e) = self.errors.first() {
            format!("{} from {}", e.message, e.from)
        } else if let Some(e) = self.local_errors.first() {
            e.clone()
        } else {
            "timed out".to_string()
        }
    }
}

/// Parse the output of `ping -n` (iputils), IPv4 or IPv6.
pub fn parse_ping(text: &str) -> Ping {
    let mut p = Ping::default();
    for line in text.lines().map(str::trim) {
        if let Some(rest) = line.split_once(" bytes from ").map(|(_, r)| r) {
            // `fe80::1%en05: icmp_seq=1 ttl=64 time=0.1 ms`: the address has colons.
            let Some((addr, tail)) = rest.split_once(": ") else {
                continue;
            };
            let from = addr.split('%').next().unwrap_or(addr).to_string();
            let ttl = tail
                .split_whitespace()
                .find_map(|w| w.strip_prefix("ttl="))
                .and_then(|t| t.parse().ok());
            p.replies.push(Reply { from, ttl });
        } else if let Some(rest) = line.strip_prefix("From ") {
            // `From 10.100.0.14 icmp_seq=1 Time to live exceeded`
            let mut words = rest.splitn(2, ' ');
            let from = words.next().unwrap_or("").trim_end_matches(':');
            let from = from.split('%').next().unwrap_or(from).to_string();
            let tail = words.next().unwrap_or("");
            let message = match tail.split_once(' ') {
                Some((seq, m)) if seq.starts_with("icmp_seq=") => m,
                _ => tail,
            }
            .trim()
            .to_string();
            p.errors.push(IcmpError { from, message });
        } else if let Some(e) = line.strip_prefix("ping: ") {
            p.local_errors.push(e.to_string());
        }
    }
    p
}

/// An IPv6 neighbour table entry (`ip -j -6 neigh show dev PORT`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Neighbour {
    pub dst: String,
    #[serde(default)]
    pub lladdr: Option<String>,
    #[serde(default)]
    pub state: Vec<String>,
}

pub fn parse_neigh(text: &str) -> Result<Vec<Neighbour>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(vec![]);
    }
    serde_json::from_str(text).map_err(|e| format!("ip -j neigh: {e}: {}", first_line(text)))
}

/// One OpenFabric adjacency (`show openfabric neighbor json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Adjacency {
    /// The neighbour's hostname (or system id when it sent none).
    pub system: String,
    pub interface: String,
    pub state: String,
}

#[derive(Deserialize)]
struct NeighborJson {
    #[serde(default)]
    areas: Vec<AreaJson>,
}

#[derive(Deserialize)]
struct AreaJson {
    #[serde(default)]
    circuits: Vec<CircuitJson>,
}

#[derive(Deserialize)]
struct CircuitJson {
    #[serde(default)]
    adj: Option<String>,
    #[serde(default)]
    interface: Option<String>,
    #[serde(default)]
    state: Option<String>,
}

/// `vtysh -c 'show openfabric neighbor json'` (FRR 10.3). Circuits without
/// an adjacency are listed as `{"circuit":0}` and skipped.
pub fn parse_openfabric_neighbors(text: &str) -> Result<Vec<Adjacency>, String> {
    let text = text.trim();
    let raw: NeighborJson = serde_json::from_str(text).map_err(|_| {
        // vtysh prints its errors as text (`% Unknown command`, no daemon).
        if text.is_empty() {
            "vtysh printed nothing".to_string()
        } else {
            first_line(text).to_string()
        }
    })?;
    Ok(raw
        .areas
        .into_iter()
        .flat_map(|a| a.circuits)
        .filter_map(|c| {
            Some(Adjacency {
                system: c.adj?,
                interface: c.interface?,
                state: c.state.unwrap_or_default(),
            })
        })
        .collect())
}

/// A unit's state (`systemctl show -p LoadState -p ActiveState -p UnitFileState`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UnitState {
    pub load: String,
    pub active: String,
    pub file: String,
}

impl UnitState {
    /// Started at boot.
    pub fn enabled(&self) -> bool {
        self.file == "enabled"
    }
}

pub fn parse_unit_show(text: &str) -> UnitState {
    let mut u = UnitState::default();
    for (k, v) in text.lines().filter_map(|l| l.split_once('=')) {
        let v = v.trim().to_string();
        match k.trim() {
            "LoadState" => u.load = v,
            "ActiveState" => u.active = v,
            "UnitFileState" => u.file = v,
            _ => {}
        }
    }
    u
}

/// The route a node would use (`ip -j route get DST from SRC`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    #[serde(default)]
    pub gateway: Option<String>,
    #[serde(default)]
    pub dev: String,
}

/// `ip -j route get`: the route, or ip's complaint (`Network is unreachable`).
pub fn parse_route_get(text: &str) -> Result<Route, String> {
    let text = text.trim();
    let routes: Vec<Route> = serde_json::from_str(text).map_err(|_| {
        first_line(text)
            .trim_start_matches("RTNETLINK answers: ")
            .to_string()
    })?;
    routes
        .into_iter()
        .next()
        .ok_or_else(|| "no route".to_string())
}

/// Who answered the all-nodes multicast on a port, with their MACs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PortNeighbours {
    /// Link-local addresses that answered.
    pub answered: Vec<String>,
    /// The MAC of each answer, when the neighbour table has it.
    pub macs: Vec<Option<String>>,
    /// ping's own complaint, if any (no such interface, ...).
    pub error: Option<String>,
}

/// Everything one node's probe script reported.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Probes {
    /// Per port.
    pub neighbours: BTreeMap<String, PortNeighbours>,
    /// Per router IP: the DF ping that fills the MTU.
    pub mtu: BTreeMap<Ipv4Addr, Ping>,
    /// Per router IP: the DF ping one byte over the MTU.
    pub over: BTreeMap<Ipv4Addr, Ping>,
    /// Per router IP and TTL.
    pub ttl: BTreeMap<Ipv4Addr, BTreeMap<u8, Ping>>,
    /// Per router IP: the route to it (or why there is none).
    pub routes: BTreeMap<Ipv4Addr, Result<Route, String>>,
    /// `None`: not asked (static mode); `Err`: vtysh failed.
    pub openfabric: Option<Result<Vec<Adjacency>, String>>,
    pub units: BTreeMap<String, UnitState>,
}

struct Section<'a> {
    head: &'a str,
    body: String,
    status: i32,
}

fn sections(out: &str) -> Vec<Section<'_>> {
    let mut v: Vec<Section> = vec![];
    for line in out.lines() {
        if let Some(h) = line.strip_prefix(MARK) {
            v.push(Section {
                head: h.trim(),
                body: String::new(),
                status: -1,
            });
        } else if let Some(s) = v.last_mut() {
            match line.strip_prefix(RC) {
                Some(rc) => s.status = rc.trim().parse().unwrap_or(-1),
                None => {
                    s.body.push_str(line);
                    s.body.push('\n');
                }
            }
        }
    }
    v
}

fn first_line(s: &str) -> &str {
    s.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
}

/// Parse the output of [`probe_script`].
pub fn parse_probes(out: &str) -> Result<Probes, String> {
    let mut p = Probes::default();
    let secs = sections(out);
    if secs.is_empty() {
        return Err(format!(
            "not the output of tbmesh's probe script: {:?}",
            first_line(out)
        ));
    }
    let ip = |s: &str| -> Result<Ipv4Addr, String> {
        s.parse()
            .map_err(|_| format!("probe output: {s:?} is not an IPv4 address"))
    };
    for s in secs {
        let words: Vec<&str> = s.head.split_whitespace().collect();
        match words.as_slice() {
            ["nd", port] => {
                let ping = parse_ping(&s.body);
                let e = p.neighbours.entry(port.to_string()).or_default();
                e.answered = ping.replies.iter().map(|r| r.from.clone()).collect();
                e.error = ping.local_errors.first().cloned();
            }
            ["neigh", port] => {
                let table = parse_neigh(&s.body)?;
                let e = p.neighbours.entry(port.to_string()).or_default();
                e.macs = e
                    .answered
                    .iter()
                    .map(|a| {
                        table
                            .iter()
                            .find(|n| &n.dst == a)
                            .and_then(|n| n.lladdr.as_ref())
                            .map(|m| m.to_ascii_lowercase())
                    })
                    .collect();
            }
            ["mtu", to] => {
                let mut ping = parse_ping(&s.body);
                ping.status = s.status;
                p.mtu.insert(ip(to)?, ping);
            }
            ["over", to] => {
                let mut ping = parse_ping(&s.body);
                ping.status = s.status;
                p.over.insert(ip(to)?, ping);
            }
            ["ttl", to, t] => {
                let mut ping = parse_ping(&s.body);
                ping.status = s.status;
                let t: u8 = t
                    .parse()
                    .map_err(|_| format!("probe output: bad TTL {t:?}"))?;
                p.ttl.entry(ip(to)?).or_default().insert(t, ping);
            }
            ["route", to] => {
                p.routes.insert(ip(to)?, parse_route_get(&s.body));
            }
            ["openfabric"] => {
                p.openfabric = Some(parse_openfabric_neighbors(&s.body));
            }
            ["unit", name] => {
                p.units.insert(name.to_string(), parse_unit_show(&s.body));
            }
            _ => {}
        }
    }
    Ok(p)
}

/// The kinds of check, in the order they are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckKind {
    /// The port exists, is up and has carrier.
    Port,
    /// The port's MTU is the fabric's.
    Mtu,
    /// The port (or the router interface) carries its addresses.
    Address,
    /// The host on the other end of the port is the declared one.
    Peer,
    /// An OpenFabric adjacency is up on the port, to the declared node.
    Adjacency,
    /// A DF ping that fills the MTU reaches the other router; one byte more does not.
    Ping,
    /// The number of hops to the other router is the planned one.
    Hops,
    /// A unit the mesh needs at boot is enabled.
    Unit,
    /// The files tbmesh manages are as rendered.
    Files,
    /// Ceph: health, quorum at the router addresses, OSDs, PGs, pool.
    Ceph,
}

impl CheckKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckKind::Port => "port",
            CheckKind::Mtu => "mtu",
            CheckKind::Address => "address",
            CheckKind::Peer => "peer",
            CheckKind::Adjacency => "adjacency",
            CheckKind::Ping => "ping",
            CheckKind::Hops => "hops",
            CheckKind::Unit => "unit",
            CheckKind::Files => "files",
            CheckKind::Ceph => "ceph",
        }
    }
}

impl fmt::Display for CheckKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One verified fact about the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub name: CheckKind,
    /// The node it was checked on.
    pub node: String,
    /// What on the node: a port, a pair's far end, a unit, a file.
    pub subject: String,
    pub ok: bool,
    /// One line for people.
    pub detail: String,
    pub expected: String,
    pub found: String,
}

/// Every check, plus notes about what was not checked and why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub checks: Vec<Check>,
    pub notes: Vec<String>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }

    pub fn failed(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| !c.ok)
    }

    /// Record a check; `verdict` is whether it passed and why.
    fn push<D: Into<String>>(
        &mut self,
        name: CheckKind,
        node: &str,
        subject: impl Into<String>,
        (ok, detail): (bool, D),
        expected: impl Into<String>,
        found: impl Into<String>,
    ) {
        self.checks.push(Check {
            name,
            node: node.to_string(),
            subject: subject.into(),
            ok,
            detail: detail.into(),
            expected: expected.into(),
            found: found.into(),
        });
    }
}

/// What was seen on one node: its facts (interfaces, files), its plan for
/// the mesh phases (file changes), and its probes.
#[derive(Debug, Clone, Copy)]
pub struct Observed<'a> {
    pub facts: &'a Facts,
    pub plan: &'a NodePlan,
    pub probes: &'a Probes,
}

/// Why a link can't carry traffic now.
#[derive(Debug, Clone, PartialEq, Eq)]
enum LinkState {
    Usable,
    /// An end is missing or has no carrier.
    Down(String),
    /// Carrier on both ends but no OpenFabric adjacency on an end.
    NoAdjacency(String),
}

/// What every check reads: the cluster, what was seen, and what is derived
/// from all nodes at once.
struct Ctx<'a> {
    c: &'a Cluster,
    seen: &'a [Observed<'a>],
    links: Vec<LinkState>,
    macs: BTreeMap<String, (NodeIdx, &'a str)>,
}

/// Turn what was seen on every node (in spec order) into checks.
pub fn evaluate(c: &Cluster, seen: &[Observed]) -> Report {
    let mut r = Report::default();
    let x = Ctx {
        c,
        seen,
        links: link_states(c, seen),
        macs: mac_index(c, seen),
    };
    if c.spec.fabric.mode.value == FabricMode::Static {
        r.notes.push(
            "adjacency: not checked, static routing has no OpenFabric (and no failover)".into(),
        );
    }
    let steps: [fn(&Ctx, NodeIdx, &mut Report); 7] = [
        check_ports,
        check_peers,
        check_adjacencies,
        check_pings,
        check_hops,
        check_units,
        check_files,
    ];
    for step in steps {
        for i in 0..c.nodes().len().min(seen.len()) {
            step(&x, i, &mut r);
        }
    }
    // By kind, then (stable) node and subject in the order they were made.
    r.checks.sort_by_key(|c| c.name);
    r
}

fn carrier(facts: &Facts, port: &str) -> bool {
    facts.interface(port).is_some_and(|p| p.up && p.carrier)
}

/// The adjacency on `port`, if the node reported its adjacencies.
fn adjacency<'a>(p: &'a Probes, port: &str) -> Option<Option<&'a Adjacency>> {
    match &p.openfabric {
        Some(Ok(adjs)) => Some(
            adjs.iter()
                .find(|a| a.interface == port && a.state == "Up")
                .or_else(|| adjs.iter().find(|a| a.interface == port)),
        ),
        _ => None,
    }
}

fn link_states(c: &Cluster, seen: &[Observed]) -> Vec<LinkState> {
    let openfabric = c.spec.fabric.mode.value != FabricMode::Static;
    c.topology
        .links
        .iter()
        .enumerate()
        .map(|(li, l)| {
            let spec = &c.spec.fabric.links[li];
            let ends = [(l.a.0, &l.a.1), (l.b.0, &l.b.1)];
            for &(node, port) in &ends {
                let Some(o) = seen.get(node) else {
                    return LinkState::Down(format!("link {spec} is down"));
                };
                if !carrier(o.facts, port) {
                    return LinkState::Down(format!("link {spec} is down"));
                }
            }
            if openfabric {
                // A node whose fabricd does not answer is the cause, not
                // the far end that lost its adjacency to it.
                for &(node, _) in &ends {
                    if !matches!(
                        seen.get(node).map(|o| &o.probes.openfabric),
                        Some(Some(Ok(_)))
                    ) {
                        return LinkState::NoAdjacency(format!(
                            "link {spec}: fabricd on {} does not answer",
                            c.node_name(node)
                        ));
                    }
                }
                for &(node, port) in &ends {
                    let up = seen
                        .get(node)
                        .and_then(|o| adjacency(o.probes, port))
                        .flatten()
                        .is_some_and(|a| a.state == "Up");
                    if !up {
                        return LinkState::NoAdjacency(format!(
                            "link {spec} has no adjacency on {}:{port}",
                            c.node_name(node)
                        ));
                    }
                }
            }
            LinkState::Usable
        })
        .collect()
}

fn check_ports(x: &Ctx, i: NodeIdx, r: &mut Report) {
    let (c, seen) = (x.c, x.seen);
    let node = c.node_name(i);
    let facts = seen[i].facts;
    let mtu = c.spec.fabric.mtu.value;
    let expected = expected_addresses(c, i);
    for (port, addrs) in &expected {
        let cable = c
            .peer(i, port)
            .map(|p| format!("cable {}", c.spec.fabric.links[p.link]))
            .unwrap_or_else(|| "no cable declared".to_string());
        let Some(ifc) = facts.interface(port) else {
            r.push(
                CheckKind::Port,
                node,
                port,
                (false, format!("{port} does not exist ({cable})")),
                "up, carrier",
                "absent",
            );
            continue;
        };
        let found = match (ifc.up, ifc.carrier) {
            (true, true) => "up, carrier",
            (true, false) => "up, no carrier",
            (false, _) => "down",
        };
        let detail = match (ifc.up, ifc.carrier) {
            (true, true) => format!("up, carrier ({cable})"),
            (true, false) => format!("no carrier: {cable} is unplugged or its far end is off"),
            (false, _) => {
                format!("{port} is administratively down (`ip link set {port} up`, or ifreload -a)")
            }
        };
        r.push(
            CheckKind::Port,
            node,
            port,
            (ifc.up && ifc.carrier, detail),
            "up, carrier",
            found,
        );
        r.push(
            CheckKind::Mtu,
            node,
            port,
            (
                ifc.mtu == mtu,
                if ifc.mtu == mtu {
                    format!("{mtu}")
                } else {
                    format!("MTU {} but the fabric's is {mtu}", ifc.mtu)
                },
            ),
            mtu.to_string(),
            ifc.mtu.to_string(),
        );
        let have: Vec<String> = ifc.addrs.iter().map(|a| a.to_string()).collect();
        address_check(r, node, port, addrs, &have);
    }
    let router = c.spec.fabric.router_ifname();
    let want = vec![format!("{}/32", c.router_ips[i])];
    match facts.interface(&router) {
        Some(ifc) => {
            let have: Vec<String> = ifc.addrs.iter().map(|a| a.to_string()).collect();
            address_check(r, node, &router, &want, &have);
        }
        None => r.push(
            CheckKind::Address,
            node,
            &router,
            (
                false,
                format!("{router} does not exist: the router address has no home"),
            ),
            want.join(" "),
            "absent",
        ),
    }
}

fn address_check(r: &mut Report, node: &str, ifname: &str, want: &[String], have: &[String]) {
    let missing: Vec<&String> = want.iter().filter(|a| !have.contains(a)).collect();
    let detail = if missing.is_empty() {
        want.join(" ")
    } else {
        format!(
            "missing {}",
            missing
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        )
    };
    r.push(
        CheckKind::Address,
        node,
        ifname,
        (missing.is_empty(), detail),
        want.join(" "),
        if have.is_empty() {
            "none".to_string()
        } else {
            have.join(" ")
        },
    );
}

/// Every MAC of every node's interfaces → (node, interface). A mesh port
/// wins over another interface with the same MAC (a bridge, say).
fn mac_index<'a>(c: &Cluster, seen: &'a [Observed]) -> BTreeMap<String, (NodeIdx, &'a str)> {
    let mut idx: BTreeMap<String, (NodeIdx, &str)> = BTreeMap::new();
    for (n, o) in seen.iter().enumerate() {
        for ifc in &o.facts.interfaces {
            let Some(mac) = ifc.mac.as_ref().map(|m| m.to_ascii_lowercase()) else {
                continue;
            };
            if mac == "00:00:00:00:00:00" {
                continue;
            }
            let is_port =
                |n: NodeIdx, name: &str| c.nodes().get(n).is_some_and(|s| s.port(name).is_some());
            let replace = match idx.get(&mac) {
                None => true,
                Some(&(m, name)) => !is_port(m, name) && is_port(n, &ifc.name),
            };
            if replace {
                idx.insert(mac, (n, ifc.name.as_str()));
            }
        }
    }
    idx
}

fn check_peers(x: &Ctx, i: NodeIdx, r: &mut Report) {
    let (c, seen, macs) = (x.c, x.seen, &x.macs);
    let node = c.node_name(i);
    for p in &c.nodes()[i].ports {
        let port = p.name.value.as_str();
        if !carrier(seen[i].facts, port) {
            continue; // the port check already failed
        }
        let declared = c.peer(i, port);
        let want = declared
            .as_ref()
            .map(|d| format!("{}:{}", c.node_name(d.node), d.port))
            .unwrap_or_else(|| "none".to_string());
        let nb = seen[i].probes.neighbours.get(port);
        let answers: Vec<(String, Option<String>)> = nb
            .map(|nb| {
                nb.answered
                    .iter()
                    .zip(nb.macs.iter().chain(std::iter::repeat(&None)))
                    .map(|(a, m)| (a.clone(), m.clone()))
                    .collect()
            })
            .unwrap_or_default();
        // Each answer, named: `n3:en05` when its MAC is a known interface.
        let named: Vec<String> = answers
            .iter()
            .map(|(addr, mac)| match mac {
                Some(m) => match macs.get(m) {
                    Some(&(n, ifc)) => format!("{}:{ifc}", c.node_name(n)),
                    None => format!("unknown host {m} ({addr})"),
                },
                None => format!("{addr} (MAC not in the neighbour table)"),
            })
            .collect();
        let here = format!("{node}:{port}");
        let (ok, detail) = match (&declared, named.is_empty()) {
            (None, true) => continue,
            (None, false) => (
                false,
                format!(
                    "{here} is cabled to {}, but the spec declares no cable on it",
                    named.join(", ")
                ),
            ),
            (Some(_), true) => (
                false,
                match nb.and_then(|nb| nb.error.as_deref()) {
                    Some(e) => format!("no answer on {port} ({e}); the spec says {want}"),
                    None => format!(
                        "nobody answered on {port} (IPv6 all-nodes ping): the port receives nothing; the spec says {want}"
                    ),
                },
            ),
            (Some(_), false) => {
                if named.contains(&want) {
                    (true, format!("{here} -- {want}"))
                } else {
                    (
                        false,
                        format!(
                            "{here} is cabled to {}, but the spec says {want}",
                            named.join(", ")
                        ),
                    )
                }
            }
        };
        let found = if named.is_empty() {
            "none".to_string()
        } else {
            named.join(", ")
        };
        r.push(CheckKind::Peer, node, port, (ok, detail), want, found);
    }
}

fn check_adjacencies(x: &Ctx, i: NodeIdx, r: &mut Report) {
    let (c, seen) = (x.c, x.seen);
    if c.spec.fabric.mode.value == FabricMode::Static {
        return;
    }
    let node = c.node_name(i);
    match &seen[i].probes.openfabric {
        Some(Ok(_)) => {}
        Some(Err(e)) => {
            r.push(
                CheckKind::Adjacency,
                node,
                "fabricd",
                (
                    false,
                    format!(
                        "cannot read OpenFabric adjacencies: {e} (is frr running with fabricd?)"
                    ),
                ),
                "adjacencies",
                e.clone(),
            );
            return;
        }
        None => {
            r.push(
                CheckKind::Adjacency,
                node,
                "fabricd",
                (false, "the node did not report its OpenFabric adjacencies"),
                "adjacencies",
                "nothing",
            );
            return;
        }
    }
    for p in &c.nodes()[i].ports {
        let port = p.name.value.as_str();
        let Some(peer) = c.peer(i, port) else {
            continue;
        };
        // Only a port with a live peer can have an adjacency; a dead one
        // has failed its port check already.
        let live = carrier(seen[i].facts, port)
            && seen
                .get(peer.node)
                .is_some_and(|o| carrier(o.facts, &peer.port));
        if !live {
            continue;
        }
        let want = c.node_name(peer.node);
        let adj = adjacency(seen[i].probes, port).flatten();
        let (ok, detail, found) = match adj {
            None => (
                false,
                format!(
                    "no OpenFabric adjacency on {port} (peer {want}:{})",
                    peer.port
                ),
                "none".to_string(),
            ),
            Some(a) if a.state == "Up" && a.system == want => (
                true,
                format!("Up to {want}"),
                format!("{} {}", a.system, a.state),
            ),
            Some(a) if a.state == "Up" => (
                false,
                format!(
                    "Up to {} on {port}, but the spec says {want}:{}",
                    a.system, peer.port
                ),
                format!("{} {}", a.system, a.state),
            ),
            Some(a) => (
                false,
                format!("adjacency to {} on {port} is {}, not Up", a.system, a.state),
                format!("{} {}", a.system, a.state),
            ),
        };
        r.push(
            CheckKind::Adjacency,
            node,
            port,
            (ok, detail),
            format!("{want} Up"),
            found,
        );
    }
}

fn check_pings(x: &Ctx, i: NodeIdx, r: &mut Report) {
    let (c, p) = (x.c, x.seen[i].probes);
    let node = c.node_name(i);
    let size = full_size(c.spec.fabric.mtu.value);
    for (j, ip) in c.router_ips.iter().enumerate() {
        if j == i {
            continue;
        }
        let subject = format!("{} {ip}", c.node_name(j));
        let expected = format!("{size} B answered, {} B refused", size + 1);
        let (ok, detail, found) = match (p.mtu.get(ip), p.over.get(ip)) {
            (None, _) => (false, "not probed".to_string(), "nothing".to_string()),
            (Some(m), _) if !m.answered() => (
                false,
                format!("no answer to {size} B with DF: {}", m.failure()),
                m.failure(),
            ),
            (Some(_), Some(o)) if o.answered() => (
                false,
                format!(
                    "{} B with DF answered too: the path's MTU is above the fabric's {}",
                    size + 1,
                    c.spec.fabric.mtu.value
                ),
                format!("{size} B answered, {} B answered", size + 1),
            ),
            (Some(_), _) => (
                true,
                format!("{size} B with DF answered, {} B refused", size + 1),
                expected.clone(),
            ),
        };
        r.push(
            CheckKind::Ping,
            node,
            subject,
            (ok, detail),
            expected,
            found,
        );
    }
}

/// Name an address: the node whose router or link address it is.
fn who(c: &Cluster, addr: &str) -> String {
    node_of(c, addr).map_or_else(|| addr.to_string(), |n| c.node_name(n).to_string())
}

/// The node an address belongs to (its router or a link address).
fn node_of(c: &Cluster, addr: &str) -> Option<NodeIdx> {
    let ip = addr.parse::<Ipv4Addr>().ok()?;
    if let Some(n) = c.router_ips.iter().position(|r| *r == ip) {
        return Some(n);
    }
    c.link_nets.iter().enumerate().find_map(|(li, (a, b))| {
        let l = &c.topology.links[li];
        (a.addr == ip)
            .then_some(l.a.0)
            .or((b.addr == ip).then_some(l.b.0))
    })
}

/// The routers between `i` and `j`, by following each node's route to `j`
/// (`ip route get`) from node to node. `None` when a route is missing,
/// leads outside the mesh, or loops.
fn routed_via(x: &Ctx, i: NodeIdx, j: NodeIdx) -> Option<Vec<NodeIdx>> {
    let dst = x.c.router_ips[j];
    let mut via = vec![];
    let mut cur = i;
    for _ in 0..x.c.nodes().len() {
        let route = x.seen.get(cur)?.probes.routes.get(&dst)?.as_ref().ok()?;
        let next = match &route.gateway {
            Some(gw) => node_of(x.c, gw)?,
            None => j, // on-link
        };
        if next == j {
            return Some(via);
        }
        if next == i || via.contains(&next) {
            return None;
        }
        via.push(next);
        cur = next;
    }
    None
}

/// Hops measured by TTL-limited pings (the smallest TTL answered), and the
/// routers in between: from the routing tables when they agree with the
/// measured count, else those that said "time to live exceeded" (ICMP
/// errors are rate-limited, so that list may have gaps).
fn measured_hops(x: &Ctx, i: NodeIdx, j: NodeIdx) -> (Option<usize>, Vec<String>) {
    let c = x.c;
    let Some(probes) = x.seen[i].probes.ttl.get(&c.router_ips[j]) else {
        return (None, vec![]);
    };
    let hops = probes
        .iter()
        .find(|(_, p)| p.answered())
        .map(|(t, _)| usize::from(*t));
    if let (Some(h), Some(via)) = (hops, routed_via(x, i, j)) {
        if via.len() + 1 == h {
            return (
                hops,
                via.iter().map(|&n| c.node_name(n).to_string()).collect(),
            );
        }
    }
    let limit = hops.unwrap_or(usize::MAX);
    let via = probes
        .iter()
        .filter(|(t, _)| usize::from(**t) < limit)
        .filter_map(|(_, p)| p.errors.first())
        .filter(|e| e.message.contains("Time to live exceeded"))
        .map(|e| who(c, &e.from))
        .collect();
    (hops, via)
}

fn hops_text(h: usize, via: &[String]) -> String {
    let unit = if h == 1 { "hop" } else { "hops" };
    if via.is_empty() {
        format!("{h} {unit}")
    } else {
        format!("{h} {unit} via {}", via.join(", "))
    }
}

fn check_hops(x: &Ctx, i: NodeIdx, r: &mut Report) {
    let (c, links) = (x.c, &x.links);
    let node = c.node_name(i);
    let planned = c.topology.routes();
    let reroutes = c.spec.fabric.mode.value != FabricMode::Static;
    let unusable: Vec<LinkIdx> = links
        .iter()
        .enumerate()
        .filter(|(_, s)| **s != LinkState::Usable)
        .map(|(li, _)| li)
        .collect();
    let now = c.topology.routes_without(&unusable);
    for (j, ip) in c.router_ips.iter().enumerate() {
        if j == i {
            continue;
        }
        let subject = format!("{} {ip}", c.node_name(j));
        let plan = planned.hops(i, j);
        // Links on the planned path that can't carry traffic now.
        let broken: Vec<&str> = planned.paths[i][j]
            .as_ref()
            .map(|path| {
                path.windows(2)
                    .filter_map(|w| {
                        unusable.iter().find(|&&li| {
                            let l = &c.topology.links[li];
                            (l.a.0 == w[0] && l.b.0 == w[1]) || (l.a.0 == w[1] && l.b.0 == w[0])
                        })
                    })
                    .filter_map(|&li| match &links[li] {
                        LinkState::Down(why) | LinkState::NoAdjacency(why) => Some(why.as_str()),
                        LinkState::Usable => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        // With OpenFabric, traffic goes around what's broken; static routes don't.
        let expect = if reroutes { now.hops(i, j) } else { plan };
        let (found, via) = measured_hops(x, i, j);
        let why = if broken.is_empty() {
            String::new()
        } else {
            format!(": {}", broken.join(", "))
        };
        let planned_text = plan.map_or("unreachable".to_string(), |h| h.to_string());
        let expected = expect.map_or("unreachable".to_string(), |h| h.to_string());
        let found_text = found.map_or_else(|| "no answer".to_string(), |h| hops_text(h, &via));
        let (ok, detail) = match (expect, found) {
            (Some(e), Some(f)) if e == f => {
                if Some(e) == plan {
                    (true, found_text.clone())
                } else {
                    (true, format!("{found_text} (planned {planned_text}{why})"))
                }
            }
            (None, _) => (
                false,
                format!("unreachable: the mesh is split (planned {planned_text}{why})"),
            ),
            (Some(e), Some(_)) => (
                false,
                format!("{found_text}, expected {e} (planned {planned_text}{why})"),
            ),
            (Some(e), None) => (
                false,
                format!(
                    "no answer within TTL {}, expected {e} (planned {planned_text}{why})",
                    max_ttl(c)
                ),
            ),
        };
        r.push(
            CheckKind::Hops,
            node,
            subject,
            (ok, detail),
            expected,
            found_text,
        );
    }
}

fn check_units(x: &Ctx, i: NodeIdx, r: &mut Report) {
    let (c, p) = (x.c, x.seen[i].probes);
    let node = c.node_name(i);
    for u in boot_units(c) {
        let (ok, detail, found) = match p.units.get(u) {
            None => (false, "not probed".to_string(), "nothing".to_string()),
            Some(s) if s.load == "not-found" => (
                false,
                format!("{u} is not installed"),
                "not-found".to_string(),
            ),
            Some(s) => {
                let found = format!(
                    "{}, {}",
                    if s.file.is_empty() { "?" } else { &s.file },
                    s.active
                );
                if s.enabled() {
                    (true, found.clone(), found)
                } else {
                    (
                        false,
                        format!(
                            "{found}: it will not start at boot (`systemctl enable {u}`, or apply)"
                        ),
                        found,
                    )
                }
            }
        };
        r.push(CheckKind::Unit, node, u, (ok, detail), "enabled", found);
    }
}

fn check_files(x: &Ctx, i: NodeIdx, r: &mut Report) {
    let (c, plan) = (x.c, x.seen[i].plan);
    let node = c.node_name(i);
    let mut changed = 0;
    for f in plan.files.iter().filter(|f| f.changes()) {
        changed += 1;
        let (detail, found) = match f.action {
            Action::Create => ("missing".to_string(), "absent".to_string()),
            Action::Update => {
                let (add, del) = f.diff.lines().fold((0, 0), |(a, d), l| {
                    if l.starts_with('+') && !l.starts_with("+++") {
                        (a + 1, d)
                    } else if l.starts_with('-') && !l.starts_with("---") {
                        (a, d + 1)
                    } else {
                        (a, d)
                    }
                });
                (
                    format!(
                        "differs from the spec (+{add} -{del} lines; `tbmesh plan` shows the diff)"
                    ),
                    "other content".to_string(),
                )
            }
            Action::Chmod => (
                format!("mode or owner differs: {}", f.diff.trim()),
                f.diff.trim().to_string(),
            ),
            Action::Unchanged => continue,
        };
        r.push(
            CheckKind::Files,
            node,
            &f.path,
            (false, format!("{} ({} phase): {detail}", f.path, f.phase)),
            "as rendered",
            found,
        );
    }
    if changed == 0 {
        let n = plan.files.len();
        r.push(
            CheckKind::Files,
            node,
            "managed files",
            (true, format!("{n} file(s) as rendered")),
            "as rendered",
            format!("{n} as rendered"),
        );
    }
}

/// Ceph's checks (from `ceph::health`) as verify checks, seen from `node`.
/// A known limitation stays ok, and says so.
pub fn ceph_as_checks(node: &str, checks: Vec<crate::ceph::health::CephCheck>) -> Vec<Check> {
    checks
        .into_iter()
        .map(|c| Check {
            name: CheckKind::Ceph,
            node: node.to_string(),
            subject: c.name.trim_start_matches("ceph.").to_string(),
            ok: c.ok,
            expected: String::new(),
            found: String::new(),
            detail: c.detail,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::parse_ip_addr;
    use crate::plan::FileChange;
    use crate::render::Phase;

    // Captured from the 3-node container lab: see verify/lab/README.md.
    const SPEC: &str = include_str!("verify/lab/tbmesh.toml");

    macro_rules! capture {
        ($state:literal) => {
            [
                (
                    include_str!(concat!("verify/lab/", $state, "/n2.addr.json")),
                    include_str!(concat!("verify/lab/", $state, "/n2.probe.txt")),
                ),
                (
                    include_str!(concat!("verify/lab/", $state, "/n3.addr.json")),
                    include_str!(concat!("verify/lab/", $state, "/n3.probe.txt")),
                ),
                (
                    include_str!(concat!("verify/lab/", $state, "/n4.addr.json")),
                    include_str!(concat!("verify/lab/", $state, "/n4.probe.txt")),
                ),
            ]
        };
    }

    fn cluster(text: &str) -> Cluster {
        let src = crate::Source::new("tbmesh.toml", text);
        match crate::spec::load(&src) {
            Ok((c, _)) => c,
            Err(d) => panic!("the lab's spec does not load: {d:?}"),
        }
    }

    /// Facts (interfaces only), plans (every file in place) and probes
    /// of the three nodes, from a capture.
    struct Seen {
        facts: Vec<Facts>,
        plans: Vec<NodePlan>,
        probes: Vec<Probes>,
    }

    impl Seen {
        fn from(c: &Cluster, capture: [(&str, &str); 3]) -> Seen {
            let mut s = Seen {
                facts: vec![],
                plans: vec![],
                probes: vec![],
            };
            for (i, (addr, probe)) in capture.iter().enumerate() {
                s.facts.push(Facts {
                    hostname: c.node_name(i).to_string(),
                    interfaces: parse_ip_addr(addr.trim()).expect("ip -j addr parses"),
                    ..Facts::default()
                });
                s.plans.push(NodePlan {
                    node: c.node_name(i).to_string(),
                    files: vec![file("/etc/frr/frr.conf", Action::Unchanged)],
                    steps: vec![],
                });
                s.probes
                    .push(parse_probes(probe).expect("probe output parses"));
            }
            s
        }

        fn observed(&self) -> Vec<Observed<'_>> {
            (0..self.facts.len())
                .map(|i| Observed {
                    facts: &self.facts[i],
                    plan: &self.plans[i],
                    probes: &self.probes[i],
                })
                .collect()
        }

        fn evaluate(&self, c: &Cluster) -> Report {
            evaluate(c, &self.observed())
        }
    }

    fn file(path: &str, action: Action) -> FileChange {
        FileChange {
            phase: Phase::Fabric,
            path: path.into(),
            action,
            mode: 0o644,
            owned: true,
            content: String::new(),
            diff: match action {
                Action::Update => "--- a\n+++ b\n@@ -1 +1,2 @@\n-a\n+b\n+c\n".into(),
                Action::Chmod => "mode 600 root:root -> 644 root:root\n".into(),
                _ => String::new(),
            },
        }
    }

    fn find<'a>(r: &'a Report, name: CheckKind, node: &str, subject: &str) -> &'a Check {
        let found: Vec<&Check> = r
            .checks
            .iter()
            .filter(|c| c.name == name && c.node == node && c.subject == subject)
            .collect();
        assert_eq!(found.len(), 1, "one {name} {node} {subject} in {r:#?}");
        found[0]
    }

    fn failures(r: &Report) -> Vec<String> {
        r.failed()
            .map(|c| format!("{} {} {}: {}", c.name, c.node, c.subject, c.detail))
            .collect()
    }

    #[test]
    fn ping_replies_time_exceeded_and_local_errors() {
        let [(_, n2), ..] = capture!("cut");
        let p = parse_probes(n2).expect("parses");
        let ip: Ipv4Addr = "10.100.0.13".parse().expect("ip");
        let ttl = &p.ttl[&ip];
        assert_eq!(
            ttl[&1].errors,
            vec![IcmpError {
                from: "10.100.0.14".into(),
                message: "Time to live exceeded".into()
            }]
        );
        assert!(!ttl[&1].answered());
        assert_eq!(ttl[&1].status, 1);
        assert_eq!(
            ttl[&2].replies,
            vec![Reply {
                from: "10.100.0.13".into(),
                ttl: Some(63)
            }]
        );
        assert!(p.mtu[&ip].answered());
        let over = &p.over[&ip];
        assert!(!over.answered());
        assert_eq!(over.local_errors[0], "sendmsg: Message too long");
        assert_eq!(over.failure(), "sendmsg: Message too long");
        // The port without carrier: nobody answers the multicast.
        assert!(p.neighbours["en05"].answered.is_empty());
    }

    #[test]
    fn ipv6_ping_replies_keep_the_address_whole() {
        let p = parse_ping(
            "PING ff02::1%en05 (ff02::1%en05) 56 data bytes\n64 bytes from fe80::eca1:5cff:fe11:ba84%en05: icmp_seq=1 ttl=64 time=0.123 ms\n",
        );
        assert_eq!(p.replies[0].from, "fe80::eca1:5cff:fe11:ba84");
        assert_eq!(p.replies[0].ttl, Some(64));
        let p = parse_ping("From 10.100.0.14: icmp_seq=1 Frag needed and DF set (mtu = 1500)\n");
        assert_eq!(p.errors[0].from, "10.100.0.14");
        assert_eq!(p.errors[0].message, "Frag needed and DF set (mtu = 1500)");
        assert_eq!(
            p.failure(),
            "Frag needed and DF set (mtu = 1500) from 10.100.0.14"
        );
    }

    #[test]
    fn whole_probe_output_of_a_healthy_node() {
        let [(_, n2), ..] = capture!("ok");
        let p = parse_probes(n2).expect("parses");
        let en05 = &p.neighbours["en05"];
        assert_eq!(en05.answered.len(), 1);
        assert!(en05.answered[0].starts_with("fe80::"));
        assert_eq!(en05.macs.len(), 1);
        assert!(en05.macs[0].is_some(), "{en05:?}");
        assert_eq!(p.mtu.len(), 2);
        assert_eq!(p.over.len(), 2);
        assert_eq!(p.ttl.len(), 2);
        assert!(p.ttl.values().all(|t| t.len() == 2));
        let adjs = match &p.openfabric {
            Some(Ok(a)) => a,
            other => panic!("adjacencies: {other:?}"),
        };
        assert_eq!(
            adjs,
            &vec![
                Adjacency {
                    system: "n3".into(),
                    interface: "en05".into(),
                    state: "Up".into()
                },
                Adjacency {
                    system: "n4".into(),
                    interface: "en06".into(),
                    state: "Up".into()
                },
            ]
        );
        let frr = &p.units["frr.service"];
        assert_eq!(
            frr,
            &UnitState {
                load: "loaded".into(),
                active: "active".into(),
                file: "enabled".into()
            }
        );
        assert!(frr.enabled());
    }

    #[test]
    fn vtysh_errors_and_missing_units_are_values_not_panics() {
        assert_eq!(
            parse_openfabric_neighbors("% Unknown command: show openfabric neighbor json\n"),
            Err("% Unknown command: show openfabric neighbor json".into())
        );
        assert!(parse_openfabric_neighbors("").is_err());
        assert_eq!(parse_openfabric_neighbors("{}\n"), Ok(vec![]));
        let u = parse_unit_show("LoadState=not-found\nActiveState=inactive\nUnitFileState=\n");
        assert_eq!(u.load, "not-found");
        assert!(!u.enabled());
        assert!(parse_probes("bash: line 1: mktemp: command not found\n").is_err());
        assert!(parse_probes("@@verify neigh en05\n[{]\n@@rc 0\n").is_err());
    }

    #[test]
    fn probe_script_runs_every_probe_in_parallel() {
        let c = cluster(SPEC);
        let s = probe_script(&c, 0);
        assert!(s.contains("nd 0000 en05 &\nnd 0001 en06 &\n"), "{s}");
        assert!(s.contains("run 0002 'mtu 10.100.0.13' ping -n -M do -s 65492 -c 1 -i 0.2 -w 2 -I 10.100.0.12 10.100.0.13 &\n"), "{s}");
        assert!(s.contains("run 0003 'over 10.100.0.13' ping -n -M do -s 65493 -c 1 -i 0.2 -w 2 -I 10.100.0.12 10.100.0.13 &\n"), "{s}");
        assert!(s.contains("run 0006 'ttl 10.100.0.13 2' ping -n -t 2 -c 1 -i 0.2 -w 2 -I 10.100.0.12 10.100.0.13 &\n"), "{s}");
        assert!(
            s.contains("run 0012 openfabric vtysh -c 'show openfabric neighbor json' &\n"),
            "{s}"
        );
        assert!(
            s.contains("'unit frr.service' systemctl show -p LoadState"),
            "{s}"
        );
        assert!(s.ends_with("wait\ncat \"$d\"/*\n"), "{s}");
        // Nothing pings the node itself.
        assert!(!s.contains("-I 10.100.0.12 10.100.0.12"), "{s}");
    }

    #[test]
    fn a_healthy_lab_passes_every_check() {
        let c = cluster(SPEC);
        let r = Seen::from(&c, capture!("ok")).evaluate(&c);
        assert_eq!(failures(&r), Vec::<String>::new());
        // Per node: 2 ports x (port, mtu, address), router address, 2 peers,
        // 2 adjacencies, 2 pings, 2 hops, 2 units, files.
        assert_eq!(r.checks.len(), 3 * 18);
        assert!(r.ok());
        assert_eq!(find(&r, CheckKind::Peer, "n2", "en05").found, "n3:en05");
        assert_eq!(find(&r, CheckKind::Peer, "n4", "en06").found, "n2:en06");
        assert_eq!(
            find(&r, CheckKind::Address, "n2", "lo").found,
            "127.0.0.1/8 10.100.0.12/32"
        );
        let hops = find(&r, CheckKind::Hops, "n3", "n4 10.100.0.14");
        assert_eq!(
            (hops.expected.as_str(), hops.detail.as_str()),
            ("1", "1 hop")
        );
        let ping = find(&r, CheckKind::Ping, "n4", "n2 10.100.0.12");
        assert_eq!(ping.detail, "65492 B with DF answered, 65493 B refused");
        assert_eq!(
            find(&r, CheckKind::Adjacency, "n3", "en06").detail,
            "Up to n4"
        );
        assert_eq!(
            find(&r, CheckKind::Unit, "n4", "tbmesh-links.service").found,
            "enabled, active"
        );
        // Checks come grouped by kind, in the documented order.
        let kinds: Vec<CheckKind> = r.checks.iter().map(|c| c.name).collect();
        let mut sorted = kinds.clone();
        sorted.sort();
        assert_eq!(kinds, sorted);
    }

    #[test]
    fn a_cut_cable_fails_its_ports_and_the_pair_goes_around_in_two_hops() {
        let c = cluster(SPEC);
        let r = Seen::from(&c, capture!("cut")).evaluate(&c);
        assert_eq!(
            failures(&r),
            vec![
                "port n2 en05: no carrier: cable n2:en05 -- n3:en05 is unplugged or its far end is off",
                "port n3 en05: no carrier: cable n2:en05 -- n3:en05 is unplugged or its far end is off",
            ]
        );
        for (node, subject) in [("n2", "n3 10.100.0.13"), ("n3", "n2 10.100.0.12")] {
            let h = find(&r, CheckKind::Hops, node, subject);
            assert!(h.ok);
            assert_eq!(
                h.detail,
                "2 hops via n4 (planned 1: link n2:en05 -- n3:en05 is down)"
            );
            assert_eq!(
                (h.expected.as_str(), h.found.as_str()),
                ("2", "2 hops via n4")
            );
            assert!(find(&r, CheckKind::Ping, node, subject).ok);
        }
        // Nothing to see behind a dead port: no peer or adjacency check for it.
        assert!(!r.checks.iter().any(|ch| ch.subject == "en05"
            && ch.node != "n4"
            && matches!(ch.name, CheckKind::Peer | CheckKind::Adjacency)));
        // An untouched pair is still planned and found at one hop.
        assert_eq!(
            find(&r, CheckKind::Hops, "n2", "n4 10.100.0.14").detail,
            "1 hop"
        );
    }

    #[test]
    fn a_deaf_port_fails_its_peers_its_adjacency_and_the_black_holed_pair() {
        // Captured while n3 still routed to n2 over the deaf link (its
        // adjacency stays Up: it hears n2), as it did for the whole minute.
        let c = cluster(SPEC);
        let r = Seen::from(&c, capture!("silent")).evaluate(&c);
        assert_eq!(
            failures(&r),
            vec![
                "peer n2 en05: nobody answered on en05 (IPv6 all-nodes ping): the port receives nothing; the spec says n3:en05",
                "peer n3 en05: nobody answered on en05 (IPv6 all-nodes ping): the port receives nothing; the spec says n2:en05",
                "adjacency n2 en05: no OpenFabric adjacency on en05 (peer n3:en05)",
                "ping n2 n3 10.100.0.13: no answer to 65492 B with DF: timed out",
                "ping n3 n2 10.100.0.12: no answer to 65492 B with DF: timed out",
                "hops n2 n3 10.100.0.13: no answer within TTL 2, expected 2 (planned 1: link n2:en05 -- n3:en05 has no adjacency on n2:en05)",
                "hops n3 n2 10.100.0.12: no answer within TTL 2, expected 2 (planned 1: link n2:en05 -- n3:en05 has no adjacency on n2:en05)",
            ]
        );
        assert_eq!(
            find(&r, CheckKind::Adjacency, "n3", "en05").detail,
            "Up to n2"
        );
        // The other pairs are untouched.
        assert_eq!(
            find(&r, CheckKind::Hops, "n2", "n4 10.100.0.14").detail,
            "1 hop"
        );
    }

    #[test]
    fn a_port_cabled_elsewhere_is_named_with_both_ends() {
        // The ok capture against a spec that swaps n2's ports.
        let swapped = SPEC.replace(
            "  \"n2:en05 -- n3:en05\",\n  \"n3:en06 -- n4:en05\",\n  \"n4:en06 -- n2:en06\",\n",
            "  \"n2:en06 -- n3:en05\",\n  \"n3:en06 -- n4:en05\",\n  \"n4:en06 -- n2:en05\",\n",
        );
        assert_ne!(swapped, SPEC);
        let c = cluster(&swapped);
        let r = Seen::from(&c, capture!("ok")).evaluate(&c);
        let p = find(&r, CheckKind::Peer, "n2", "en05");
        assert!(!p.ok);
        assert_eq!(
            p.detail,
            "n2:en05 is cabled to n3:en05, but the spec says n4:en06"
        );
        assert_eq!(
            (p.expected.as_str(), p.found.as_str()),
            ("n4:en06", "n3:en05")
        );
        let p = find(&r, CheckKind::Peer, "n3", "en05");
        assert_eq!(
            p.detail,
            "n3:en05 is cabled to n2:en05, but the spec says n2:en06"
        );
        let a = find(&r, CheckKind::Adjacency, "n2", "en05");
        assert_eq!(a.detail, "Up to n3 on en05, but the spec says n4:en06");
        // Four port ends are wrong; routing itself is fine.
        assert_eq!(r.failed().filter(|c| c.name == CheckKind::Peer).count(), 4);
        assert!(r
            .checks
            .iter()
            .filter(|c| matches!(c.name, CheckKind::Ping | CheckKind::Hops))
            .all(|c| c.ok));
    }

    #[test]
    fn a_changed_file_and_a_disabled_unit_fail_by_name() {
        let c = cluster(SPEC);
        let mut seen = Seen::from(&c, capture!("ok"));
        seen.plans[1].files = vec![
            file("/etc/frr/frr.conf", Action::Update),
            file("/etc/systemd/system/tbmesh-links.service", Action::Create),
            file("/etc/sysctl.d/90-tbmesh.conf", Action::Chmod),
            file("/etc/frr/daemons", Action::Unchanged),
        ];
        seen.probes[2].units.insert(
            "frr.service".into(),
            parse_unit_show("LoadState=loaded\nActiveState=active\nUnitFileState=disabled\n"),
        );
        let r = seen.evaluate(&c);
        assert_eq!(
            failures(&r),
            vec![
                "unit n4 frr.service: disabled, active: it will not start at boot (`systemctl enable frr.service`, or apply)",
                "files n3 /etc/frr/frr.conf: /etc/frr/frr.conf (fabric phase): differs from the spec (+2 -1 lines; `tbmesh plan` shows the diff)",
                "files n3 /etc/systemd/system/tbmesh-links.service: /etc/systemd/system/tbmesh-links.service (fabric phase): missing",
                "files n3 /etc/sysctl.d/90-tbmesh.conf: /etc/sysctl.d/90-tbmesh.conf (fabric phase): mode or owner differs: mode 600 root:root -> 644 root:root",
            ]
        );
    }

    #[test]
    fn fabricd_not_answering_is_one_failure_per_node_and_its_links_are_out() {
        let c = cluster(SPEC);
        let mut seen = Seen::from(&c, capture!("ok"));
        seen.probes[0].openfabric = Some(Err("Exiting: failed to connect to any daemons.".into()));
        let r = seen.evaluate(&c);
        assert_eq!(
            failures(&r)[0],
            "adjacency n2 fabricd: cannot read OpenFabric adjacencies: Exiting: failed to connect to any daemons. (is frr running with fabricd?)"
        );
        // n2's links count as out, so the one-hop answers seen no longer
        // match: n2 is expected unreachable.
        let h = find(&r, CheckKind::Hops, "n3", "n2 10.100.0.12");
        assert!(!h.ok);
        assert_eq!(
            h.detail,
            "unreachable: the mesh is split (planned 1: link n2:en05 -- n3:en05: fabricd on n2 does not answer)"
        );
    }

    #[test]
    fn routes_and_their_absence() {
        let [(_, n2), ..] = capture!("cut");
        let p = parse_probes(n2).expect("parses");
        let to_n3 = p.routes[&"10.100.0.13".parse::<Ipv4Addr>().expect("ip")].clone();
        assert_eq!(
            to_n3,
            Ok(Route {
                gateway: Some("10.100.0.14".into()),
                dev: "en06".into()
            })
        );
        assert_eq!(
            parse_route_get("RTNETLINK answers: Network is unreachable\n"),
            Err("Network is unreachable".into())
        );
    }

    #[test]
    fn the_path_comes_from_time_exceeded_when_routes_are_missing() {
        let c = cluster(SPEC);
        let mut seen = Seen::from(&c, capture!("cut"));
        for p in &mut seen.probes {
            p.routes.clear();
        }
        let r = seen.evaluate(&c);
        // The capture has n4's "time to live exceeded" for TTL 1.
        assert_eq!(
            find(&r, CheckKind::Hops, "n2", "n3 10.100.0.13").found,
            "2 hops via n4"
        );
        // Without it (rate-limited), the count stands alone.
        let ip: Ipv4Addr = "10.100.0.13".parse().expect("ip");
        if let Some(t) = seen.probes[0].ttl.get_mut(&ip) {
            t.insert(1, Ping::default());
        }
        let r = seen.evaluate(&c);
        let h = find(&r, CheckKind::Hops, "n2", "n3 10.100.0.13");
        assert!(h.ok);
        assert_eq!(h.found, "2 hops");
    }

    #[test]
    fn static_mode_skips_adjacencies_with_a_note_and_expects_no_detour() {
        let text = SPEC.replace(
            "mode = \"frr\"",
            "mode = \"static\"\nlink_prefix = \"10.100.1.0/24\"",
        );
        let c = cluster(&text);
        let s = probe_script(&c, 0);
        assert!(!s.contains("vtysh"), "{s}");
        assert!(!s.contains("frr.service"), "{s}");
        let r = Seen::from(&c, capture!("cut")).evaluate(&c);
        assert!(r
            .notes
            .iter()
            .any(|n| n.starts_with("adjacency: not checked")));
        assert!(!r.checks.iter().any(|c| c.name == CheckKind::Adjacency));
        // Static routes don't go around a dead link: 2 hops is a failure.
        let h = find(&r, CheckKind::Hops, "n2", "n3 10.100.0.13");
        assert!(!h.ok);
        assert_eq!(
            h.detail,
            "2 hops via n4, expected 1 (planned 1: link n2:en05 -- n3:en05 is down)"
        );
    }
}
