use super::parse::parse_route_show;
use super::*;
use crate::ceph::state::{HealthCheck, Mon, Osd};
use crate::Cluster;

const SPEC: &str = include_str!("../verify/lab/tbmesh.toml");

fn cluster() -> Cluster {
    let src = crate::Source::new("tbmesh.toml", SPEC);
    match crate::spec::load(&src) {
        Ok((c, _)) => c,
        Err(d) => panic!("the lab's spec does not load: {d:?}"),
    }
}

fn port<'a>(n: &'a NodeStatus, name: &str) -> &'a PortStatus {
    n.ports
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no port {name}: {n:?}"))
}

#[test]
fn a_healthy_node_has_every_port_up_with_its_adjacency_bfd_and_direct_routes() {
    let c = cluster();
    let n2 = parse_node(&c, 0, include_str!("lab/ok/n2.txt"));
    assert!(n2.reachable && n2.error.is_none() && n2.frr_error.is_none());
    assert_eq!(n2.ports.len(), 2);
    let en05 = port(&n2, "en05");
    assert_eq!(en05.peer.as_deref(), Some("n3:en05"));
    assert!(en05.present);
    assert_eq!(en05.carrier, Some(true));
    assert_eq!(en05.operstate.as_deref(), Some("up"));
    assert_eq!(en05.mtu, Some(65520));
    assert_eq!(en05.speed_mbps, Some(10000));
    assert_eq!(en05.carrier_changes, Some(2));
    assert_eq!(en05.rx_errors, Some(0));
    assert_eq!(port(&n2, "en06").rx_dropped, Some(1));
    let adj = n2.adjacencies.as_ref().expect("adjacencies");
    assert_eq!(
        adj.iter()
            .map(|a| (a.system.as_str(), a.interface.as_str(), a.state.as_str()))
            .collect::<Vec<_>>(),
        vec![("n3", "en05", "Up"), ("n4", "en06", "Up")]
    );
    let bfd = n2.bfd.as_ref().expect("bfd sessions");
    assert_eq!(bfd.len(), 2);
    assert!(bfd.iter().all(|b| b.status == "up"), "{bfd:?}");
    // Each other router straight over its own cable.
    let to: Vec<_> = n2
        .routes
        .iter()
        .map(|r| (r.to.as_str(), r.protocol.as_deref(), r.next_hops.clone()))
        .collect();
    assert_eq!(
        to,
        vec![
            (
                "n3",
                Some("openfabric"),
                vec![NextHop {
                    dev: Some("en05".into()),
                    via: Some("10.100.0.13".into())
                }]
            ),
            (
                "n4",
                Some("openfabric"),
                vec![NextHop {
                    dev: Some("en06".into()),
                    via: Some("10.100.0.14".into())
                }]
            ),
        ]
    );
}

#[test]
fn a_cut_cable_shows_no_carrier_on_both_ends_and_routes_around_it() {
    let c = cluster();
    let n2 = parse_node(&c, 0, include_str!("lab/cut/n2.txt"));
    let n3 = parse_node(&c, 1, include_str!("lab/cut/n3.txt"));
    let n4 = parse_node(&c, 2, include_str!("lab/cut/n4.txt"));
    assert_eq!(port(&n2, "en05").carrier, Some(false));
    assert_eq!(port(&n3, "en05").carrier, Some(false));
    assert_eq!(port(&n2, "en05").carrier_changes, Some(3));
    for n in [&n2, &n3, &n4] {
        for p in n
            .ports
            .iter()
            .filter(|p| !(p.name == "en05" && n.node != "n4"))
        {
            assert_eq!(p.carrier, Some(true), "{} {}", n.node, p.name);
        }
    }
    // No adjacency and no BFD session on the cut port.
    for n in [&n2, &n3] {
        let adj = n.adjacencies.as_ref().expect("adjacencies");
        assert!(!adj.iter().any(|a| a.interface == "en05"), "{adj:?}");
        let bfd = n.bfd.as_ref().expect("bfd");
        assert!(!bfd
            .iter()
            .any(|b| b.interface.as_deref() == Some("en05") && b.status == "up"));
    }
    let r = n2
        .routes
        .iter()
        .find(|r| r.to == "n3")
        .expect("route to n3");
    assert_eq!(r.next_hops[0].dev.as_deref(), Some("en06"));
    assert_eq!(r.next_hops[0].via.as_deref(), Some("10.100.0.14"));
}

#[test]
fn a_missing_port_a_silent_frr_and_no_route_are_reported_not_guessed() {
    let c = cluster();
    let out = "@@status port en05\nabsent\n@@status port en06\noperstate=down\ncarrier=\nspeed=\nmtu=65520\n\
               @@status openfabric\n% Unknown command: show openfabric neighbor json\n\
               @@status bfd\n\n@@status route 10.100.0.13\n[]\n@@status route 10.100.0.14\nError: any valid prefix is expected\n";
    let n = parse_node(&c, 0, out);
    let en05 = port(&n, "en05");
    assert!(!en05.present && en05.carrier.is_none() && en05.mtu.is_none());
    let en06 = port(&n, "en06");
    assert!(en06.present);
    assert_eq!(
        en06.carrier, None,
        "an admin-down port has no carrier to read"
    );
    assert_eq!(en06.speed_mbps, None);
    assert_eq!(en06.operstate.as_deref(), Some("down"));
    assert!(n.adjacencies.is_none() && n.bfd.is_none());
    assert!(
        n.frr_error
            .as_deref()
            .is_some_and(|e| e.contains("Unknown command")),
        "{:?}",
        n.frr_error
    );
    assert!(n.routes.iter().all(|r| r.next_hops.is_empty()));
    // Nothing at all (the script was cut off): every port still listed.
    let empty = parse_node(&c, 0, "");
    assert_eq!(empty.ports.len(), 2);
    assert!(empty.ports.iter().all(|p| !p.present));
}

#[test]
fn ecmp_routes_list_every_next_hop() {
    let (proto, hops) = parse_route_show(
        r#"[{"dst":"10.100.0.14","protocol":"openfabric","metric":20,"flags":[],"nexthops":[{"gateway":"10.100.0.13","dev":"en05","weight":1,"flags":["onlink"]},{"gateway":"10.100.0.12","dev":"en06","weight":1,"flags":["onlink"]}]}]"#,
    );
    assert_eq!(proto.as_deref(), Some("openfabric"));
    assert_eq!(
        hops.iter()
            .filter_map(|h| h.dev.as_deref())
            .collect::<Vec<_>>(),
        vec!["en05", "en06"]
    );
}

#[test]
fn the_script_reads_every_port_frr_and_every_other_router() {
    let c = cluster();
    let s = script(&c, 1);
    for p in ["en05", "en06"] {
        assert!(s.contains(&format!("echo '@@status port '{p}")), "{s}");
    }
    assert!(s.contains("show openfabric neighbor json") && s.contains("show bfd peers json"));
    assert!(s.contains("ip -j -4 route show 10.100.0.12/32"));
    assert!(s.contains("ip -j -4 route show 10.100.0.14/32"));
    assert!(!s.contains("10.100.0.13/32"), "not its own router address");
}

#[test]
fn the_ceph_summary_counts_osds_pgs_and_inactive_pgs() {
    let st = CephState {
        health: "HEALTH_WARN".into(),
        checks: vec![HealthCheck {
            code: "OSD_DOWN".into(),
            severity: "HEALTH_WARN".into(),
            summary: "2 osds down".into(),
            detail: vec![],
        }],
        mons: ["n2", "n3", "n4"]
            .iter()
            .map(|n| Mon {
                name: n.to_string(),
                addrs: vec![],
                in_quorum: *n != "n4",
            })
            .collect(),
        osds: (0..6)
            .map(|id| Osd {
                id,
                host: None,
                up: id < 4,
                r#in: true,
                public_addr: None,
                cluster_addr: None,
            })
            .collect(),
        num_pgs: 32,
        pg_states: vec![
            ("active+undersized+degraded".into(), 20),
            ("active+clean".into(), 10),
            ("peering".into(), 2),
        ],
        ..Default::default()
    };
    let s = CephSummary::of("n2", &st);
    assert_eq!((s.mons, s.mons_in_quorum), (3, 2));
    assert_eq!((s.osds, s.osds_up, s.osds_in), (6, 4, 6));
    assert_eq!(s.pgs, 32);
    assert_eq!(s.pg_states["active+clean"], 10);
    assert_eq!(s.inactive_pgs(), 2);
    assert_eq!(
        s.checks,
        vec![("OSD_DOWN".to_string(), "2 osds down".to_string())]
    );
}

/// Issue 11: on an IPv6-only fabric the routes asked for are the other
/// routers' IPv6 /128s (`ip -6`), and read the same way.
#[test]
fn ipv6_only_status_asks_for_and_reads_ipv6_routes() {
    let mut text = SPEC.replace("prefix = \"10.100.0.0/24\"", "prefix6 = \"fd00:100::/64\"");
    for n in 12..=14 {
        text = text.replace(&format!("router_ip = \"10.100.0.{n}\"\n"), "");
    }
    let c = match crate::spec::load(&crate::Source::new("tbmesh.toml", &text)) {
        Ok((c, _)) => c,
        Err(d) => panic!("the IPv6-only spec does not load: {d:?}"),
    };
    let s = script(&c, 0);
    assert!(s.contains("ip -j -6 route show fd00:100::2/128"), "{s}");
    assert!(s.contains("ip -j -6 route show fd00:100::3/128"), "{s}");
    assert!(!s.contains("10.100.0."), "{s}");
    let out = "@@status route fd00:100::2\n[{\"dst\":\"fd00:100::2\",\"gateway\":\"fe80::ff:fe00:305\",\"dev\":\"en05\",\"protocol\":\"openfabric\",\"metric\":20,\"flags\":[],\"pref\":\"medium\"}]\n";
    let n2 = parse_node(&c, 0, out);
    assert_eq!(n2.routes.len(), 2);
    assert_eq!(n2.routes[0].to, "n3");
    assert_eq!(n2.routes[0].ip, "fd00:100::2");
    assert_eq!(n2.routes[0].protocol.as_deref(), Some("openfabric"));
    assert_eq!(
        n2.routes[0].next_hops,
        vec![NextHop {
            dev: Some("en05".into()),
            via: Some("fe80::ff:fe00:305".into())
        }]
    );
    assert_eq!(n2.routes[1].protocol, None);
}
