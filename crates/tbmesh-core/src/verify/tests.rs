use super::evaluate::*;
use super::script::*;
use super::*;
use crate::facts::parse_ip_addr;
use crate::facts::Facts;
use crate::plan::FileChange;
use crate::plan::{Action, NodePlan};
use crate::render::Phase;
use crate::Cluster;
use std::net::Ipv4Addr;

// Captured from the 3-node container lab: see verify/lab/README.md.
const SPEC: &str = include_str!("lab/tbmesh.toml");

macro_rules! capture {
    ($state:literal) => {
        [
            (
                include_str!(concat!("lab/", $state, "/n2.addr.json")),
                include_str!(concat!("lab/", $state, "/n2.probe.txt")),
            ),
            (
                include_str!(concat!("lab/", $state, "/n3.addr.json")),
                include_str!(concat!("lab/", $state, "/n3.probe.txt")),
            ),
            (
                include_str!(concat!("lab/", $state, "/n4.addr.json")),
                include_str!(concat!("lab/", $state, "/n4.probe.txt")),
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

#[test]
fn bfd_sessions_per_port_a_down_one_and_a_silent_bfdd_fail_by_name() {
    let c = cluster(SPEC);
    let cap = capture!("ok");
    // Trimmed from `vtysh -c 'show bfd peers json'` on the lab's n2 (FRR 10.3).
    let n2 = format!(
        "{}@@verify bfd\n{}\n@@rc 0\n",
        cap[0].1,
        r#"[{"multihop":false,"peer":"10.100.0.14","local":"10.100.0.12","vrf":"default","interface":"en06","status":"down","type":"dynamic","detect-multiplier":3},
            {"multihop":false,"peer":"10.100.0.13","local":"10.100.0.12","vrf":"default","interface":"en05","status":"up","type":"dynamic","detect-multiplier":3}]"#
    );
    let n4 = format!(
        "{}@@verify bfd\n% Unknown command: show bfd peers json\n@@rc 0\n",
        cap[2].1
    );
    // n3's output has no bfd section (an older probe script): not judged.
    let r = Seen::from(&c, [(cap[0].0, &n2), cap[1], (cap[2].0, &n4)]).evaluate(&c);
    let up = find(&r, CheckKind::Bfd, "n2", "en05");
    assert!(up.ok, "{up:?}");
    assert_eq!(up.detail, "up to n3 10.100.0.13");
    let down = find(&r, CheckKind::Bfd, "n2", "en06");
    assert!(!down.ok);
    assert_eq!(down.detail, "session to n4 10.100.0.14 on en06 is down");
    let dead = find(&r, CheckKind::Bfd, "n4", "bfdd");
    assert!(!dead.ok);
    assert!(dead.detail.contains("Unknown command"), "{}", dead.detail);
    assert!(!r
        .checks
        .iter()
        .any(|k| k.name == CheckKind::Bfd && k.node == "n3"));
    assert_eq!(r.failed().filter(|k| k.name == CheckKind::Bfd).count(), 2);
}

#[test]
fn a_missing_bfd_session_names_the_port() {
    let c = cluster(SPEC);
    let cap = capture!("ok");
    let n3 = format!(
        "{}@@verify bfd\n{}\n@@rc 0\n",
        cap[1].1, r#"[{"peer":"10.100.0.12","interface":"en05","status":"up"}]"#
    );
    let r = Seen::from(&c, [cap[0], (cap[1].0, &n3), cap[2]]).evaluate(&c);
    let missing = find(&r, CheckKind::Bfd, "n3", "en06");
    assert!(!missing.ok);
    assert_eq!(missing.detail, "no BFD session to n4 10.100.0.14 on en06");
    assert!(find(&r, CheckKind::Bfd, "n3", "en05").ok);
}

/// Issue 11 item 2: a dual-stack fabric gets a DF ping check per pair of
/// IPv6 router addresses too, judged like the IPv4 one.
#[test]
fn dual_stack_adds_a_df_ping6_check_per_pair() {
    let text = SPEC.replace(
        "prefix = \"10.100.0.0/24\"",
        "prefix = \"10.100.0.0/24\"\nprefix6 = \"fd00:100::/64\"",
    );
    let c = cluster(&text);
    assert_eq!(c.router_ip6s[0].to_string(), "fd00:100::1");
    // The probe script pings the other routers' IPv6 addresses with DF,
    // at full size (MTU - 48) and one byte over, from its own.
    let script = probe_script(&c, 0);
    assert!(script.contains("'mtu6 fd00:100::2' ping -n -6 -M do -s 65472 -c 1 -i 0.2 -w 2 -I fd00:100::1 fd00:100::2"), "{script}");
    assert!(
        script.contains("'over6 fd00:100::3' ping -n -6 -M do -s 65473 "),
        "{script}"
    );
    // n2 hears n3 at full size and not one byte over; n4 does not answer.
    let [a, b, d] = capture!("ok");
    let extra = |ok: &[(&str, &str, bool)]| -> String {
        ok.iter()
            .map(|(head, ip, answered)| {
                if *answered {
                    format!("@@verify {head} {ip}\nPING {ip} 65472 data bytes\n65480 bytes from {ip}: icmp_seq=1 ttl=64 time=0.2 ms\n@@rc 0\n")
                } else {
                    format!("@@verify {head} {ip}\nping: sendmsg: Message too long\n@@rc 1\n")
                }
            })
            .collect()
    };
    let n2 = format!(
        "{}{}",
        a.1,
        extra(&[
            ("mtu6", "fd00:100::2", true),
            ("over6", "fd00:100::2", false),
            ("mtu6", "fd00:100::3", false),
            ("over6", "fd00:100::3", false),
        ])
    );
    let seen = Seen::from(&c, [(a.0, &n2), b, d]);
    let r = seen.evaluate(&c);
    let good = find(&r, CheckKind::Ping, "n2", "n3 fd00:100::2");
    assert!(good.ok, "{good:?}");
    assert_eq!(good.found, "65472 B answered, 65473 B refused");
    let bad = find(&r, CheckKind::Ping, "n2", "n4 fd00:100::3");
    assert!(!bad.ok);
    assert!(
        bad.detail.contains("no answer to 65472 B with DF"),
        "{bad:?}"
    );
    // n3 reported no IPv6 probes at all.
    assert_eq!(
        find(&r, CheckKind::Ping, "n3", "n2 fd00:100::1").detail,
        "not probed"
    );
    // The IPv4 checks are unchanged.
    assert!(find(&r, CheckKind::Ping, "n2", "n3 10.100.0.13").ok);
}

/// Issue 11: an IPv6-only fabric is verified by its DF ping6 matrix alone:
/// no IPv4 ping, route, TTL or router-address probe that could only fail.
#[test]
fn ipv6_only_probes_and_checks_ping6_only() {
    let mut text = SPEC.replace("prefix = \"10.100.0.0/24\"", "prefix6 = \"fd00:100::/64\"");
    for n in 12..=14 {
        text = text.replace(&format!("router_ip = \"10.100.0.{n}\"\n"), "");
    }
    let c = cluster(&text);
    assert!(c.ipv6_only());
    let script = probe_script(&c, 0);
    assert!(script.contains("'mtu6 fd00:100::2' ping -n -6 -M do -s 65472 -c 1 -i 0.2 -w 2 -I fd00:100::1 fd00:100::2"), "{script}");
    assert!(
        script.contains("'over6 fd00:100::3' ping -n -6 -M do -s 65473 "),
        "{script}"
    );
    for v4 in ["'mtu ", "'over ", "'route ", "'ttl ", "10.100.0.", "'bfd'"] {
        assert!(!script.contains(v4), "{v4:?} in\n{script}");
    }
    let [a, b, d] = capture!("ok");
    let answered = |ip: &str| {
        format!("@@verify mtu6 {ip}\nPING {ip} 65472 data bytes\n65480 bytes from {ip}: icmp_seq=1 ttl=64 time=0.2 ms\n@@rc 0\n@@verify over6 {ip}\nping: sendmsg: Message too long\n@@rc 1\n")
    };
    let n2 = format!("{}{}", a.1, answered("fd00:100::2"));
    let r = Seen::from(&c, [(a.0, &n2), b, d]).evaluate(&c);
    let good = find(&r, CheckKind::Ping, "n2", "n3 fd00:100::2");
    assert!(good.ok, "{good:?}");
    assert_eq!(good.found, "65472 B answered, 65473 B refused");
    assert_eq!(
        find(&r, CheckKind::Ping, "n2", "n4 fd00:100::3").detail,
        "not probed"
    );
    // Every ping check is an IPv6 pair; no hop, BFD or router-address check.
    assert_eq!(
        r.checks
            .iter()
            .filter(|ch| ch.name == CheckKind::Ping)
            .count(),
        6
    );
    assert!(r
        .checks
        .iter()
        .filter(|ch| ch.name == CheckKind::Ping)
        .all(|ch| ch.subject.contains("fd00:100::")));
    assert!(!r
        .checks
        .iter()
        .any(|ch| matches!(ch.name, CheckKind::Hops | CheckKind::Bfd)
            || (ch.name == CheckKind::Address && ch.subject == "lo")));
}
