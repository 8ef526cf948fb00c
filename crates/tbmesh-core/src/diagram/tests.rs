//! Tests of every drawing on the examples and a few odd clusters.

use super::dot::dot_str;
use super::geometry::{exit_point, spread, Pt, Rect, Side};
use super::layout::layout;
use super::svg::num;
use super::*;
use crate::Source;

const MS01: &str = include_str!("../../../../examples/ms01-3node.toml");
const RING5: &str = include_str!("../../../../examples/ring-5node.toml");
const STATIC3: &str = include_str!("../../../../examples/static-3node.toml");

/// Four nodes, every pair cabled (static), one port with no cable and
/// ports that keep their kernel names.
const MESH4: &str = r#"
[cluster]
name = "mesh4"
[fabric]
name = "tb4"
mode = "static"
prefix = "10.100.0.0/24"
link_prefix = "10.100.1.0/24"
links = [
  "a:p1 -- b:p1", "b:p2 -- c:p1", "c:p2 -- d:p1", "d:p2 -- a:p2",
  "a:p3 -- c:p3", "b:p3 -- d:p3",
]
[[node]]
name = "a"
host = "10.0.0.1"
ports = { p1 = "0000:00:0d.2", p2 = "0000:00:0d.3", p3 = {} }
[[node]]
name = "b"
host = "10.0.0.2"
ports = { p1 = "0000:00:0d.2", p2 = "0000:00:0d.3", p3 = {} }
[[node]]
name = "c"
host = "10.0.0.3"
ports = { p1 = "0000:00:0d.2", p2 = "0000:00:0d.3", p3 = {} }
[[node]]
name = "d"
host = "10.0.0.4:2222"
ports = { p1 = "0000:00:0d.2", p2 = "0000:00:0d.3", p3 = {}, spare = {} }
"#;

/// Two nodes joined by two parallel cables.
const PAIR: &str = r#"
[cluster]
name = "pair"
[fabric]
name = "tb4"
mode = "frr"
prefix = "10.100.0.0/24"
links = ["left:en05 -- right:en05", "left:en06 -- right:en06"]
[[node]]
name = "left"
host = "left.example.org"
ports = { en05 = "0000:00:0d.2", en06 = "0000:00:0d.3" }
[[node]]
name = "right"
host = "right.example.org"
ports = { en05 = "0000:00:0d.2", en06 = "0000:00:0d.3" }
"#;

fn cluster(name: &str, text: &str) -> Cluster {
    match crate::spec::load(&Source::new(name, text)) {
        Ok((c, _)) => c,
        Err(d) => panic!("{name} does not validate: {d:?}"),
    }
}

fn all() -> Vec<(&'static str, Cluster)> {
    [
        ("ms01-3node.toml", MS01),
        ("ring-5node.toml", RING5),
        ("static-3node.toml", STATIC3),
        ("mesh4.toml", MESH4),
        ("pair.toml", PAIR),
    ]
    .into_iter()
    .map(|(n, t)| (n, cluster(n, t)))
    .collect()
}

/// Every fact a drawing must show, as the text it is shown with.
fn facts(c: &Cluster) -> Vec<String> {
    let f = &c.spec.fabric;
    let mut facts = vec![
        c.spec.cluster.name.value.clone(),
        format!("fabric {}", f.name),
        format!("mode {}", f.mode),
        format!("prefix {}", f.prefix_text()),
        format!("MTU {}", f.mtu),
    ];
    for (i, n) in c.nodes().iter().enumerate() {
        facts.push(n.name.value.clone());
        facts.push(c.router_addr(i).to_string());
        facts.push(n.host.to_string());
        for p in &n.ports {
            facts.push(p.name.value.clone());
            if let Some(pci) = &p.pci {
                facts.push(format!("pci {pci}"));
            }
            if let Some(a) = addr_text(c, i, &p.name) {
                facts.push(a);
            }
        }
    }
    facts
}

#[test]
fn every_format_shows_every_fact_and_every_cable() {
    for (name, c) in all() {
        for (fmt, out) in [("ascii", ascii(&c)), ("dot", dot(&c)), ("svg", svg(&c))] {
            for fact in facts(&c) {
                assert!(out.contains(&xml(&fact)), "{name} {fmt} lacks {fact:?}");
            }
            for l in &c.spec.fabric.links {
                assert!(out.contains(&l.to_string()), "{name} {fmt} lacks cable {l}");
            }
        }
    }
}

#[test]
fn output_is_deterministic() {
    for (name, c) in all() {
        let c2 = match name {
            "ms01-3node.toml" => cluster(name, MS01),
            "ring-5node.toml" => cluster(name, RING5),
            "static-3node.toml" => cluster(name, STATIC3),
            "mesh4.toml" => cluster(name, MESH4),
            _ => cluster(name, PAIR),
        };
        assert_eq!(ascii(&c), ascii(&c2), "{name}");
        assert_eq!(dot(&c), dot(&c2), "{name}");
        assert_eq!(svg(&c), svg(&c2), "{name}");
    }
}

#[test]
fn ascii_of_the_reference_cluster() {
    let expected = "\
cluster homelab: fabric tb4, mode pve-sdn, prefix 10.100.0.0/24, MTU 65520
addresses: router /32 per node on dummy_tb4; cables unnumbered
routing: OpenFabric via Proxmox VE SDN fabrics; longest path 1 hop

     +- n2 ----------------------------------+
     | router 10.100.0.12   mgmt 10.11.11.12 |
 .---+ en06  pci 0000:00:0d.3  <-> n4:en06   |
 | .-+ en05  pci 0000:00:0d.2  <-> n3:en05   |
 | | +---------------------------------------+
 | |
 | | +- n3 ----------------------------------+
 | | | router 10.100.0.13   mgmt 10.11.11.13 |
 | '-+ en05  pci 0000:00:0d.2  <-> n2:en05   |
 | .-+ en06  pci 0000:00:0d.3  <-> n4:en05   |
 | | +---------------------------------------+
 | |
 | | +- n4 ----------------------------------+
 | | | router 10.100.0.14   mgmt 10.11.11.14 |
 | '-+ en05  pci 0000:00:0d.2  <-> n3:en06   |
 '---+ en06  pci 0000:00:0d.3  <-> n2:en06   |
     +---------------------------------------+

cables (fabric.links):
  n2:en05 -- n3:en05
  n3:en06 -- n4:en05
  n4:en06 -- n2:en06
";
    assert_eq!(ascii(&cluster("ms01-3node.toml", MS01)), expected);
}

#[test]
fn ascii_fits_80_columns_and_is_ascii() {
    for (name, c) in all() {
        let out = ascii(&c);
        assert!(out.is_ascii(), "{name}");
        for line in out.lines() {
            assert!(
                line.len() <= 80,
                "{name}: {line:?} is {} columns",
                line.len()
            );
        }
    }
}

#[test]
fn ascii_lanes_join_the_rows_of_each_cable() {
    // Follow each lane from its top corner down to its bottom corner and
    // check it ends on the row of the peer port.
    for (name, c) in all() {
        let out = ascii(&c);
        let grid: Vec<Vec<char>> = out.lines().map(|l| l.chars().collect()).collect();
        let cell = |r: usize, x: usize| {
            grid.get(r)
                .and_then(|row| row.get(x))
                .copied()
                .unwrap_or(' ')
        };
        let mut joined = 0;
        for (r, row) in grid.iter().enumerate() {
            for (x, &ch) in row.iter().enumerate() {
                if ch != '.' || cell(r, x + 1) != '-' {
                    continue;
                }
                let mut end = r + 1;
                while cell(end, x) == '|' {
                    end += 1;
                }
                assert_eq!(
                    cell(end, x),
                    '\'',
                    "{name}: lane at column {x} from row {r} is broken"
                );
                let text = |row: usize| grid[row].iter().collect::<String>();
                let (top, bottom) = (text(r), text(end));
                // The top row names the bottom row's port as its peer.
                let peer = top
                    .split("<-> ")
                    .nth(1)
                    .and_then(|s| s.split_whitespace().next());
                let port = bottom
                    .split('+')
                    .nth(1)
                    .and_then(|s| s.split_whitespace().next());
                let (Some(peer), Some(port)) = (peer, port) else {
                    panic!("{name}: rows {r} and {end} are not port rows");
                };
                assert!(
                    peer.ends_with(&format!(":{port}")),
                    "{name}: {top:?} / {bottom:?}"
                );
                joined += 1;
            }
        }
        assert_eq!(joined, c.topology.links.len(), "{name}: one lane per cable");
    }
}

#[test]
fn ascii_lists_uncabled_ports_and_static_addresses() {
    let out = ascii(&cluster("mesh4.toml", MESH4));
    assert!(
        out.contains("spare  no rename         (not cabled)"),
        "{out}"
    );
    assert!(
        out.contains("b:p3 -- d:p3   10.100.1.10/31 -- 10.100.1.11/31"),
        "{out}"
    );
    let ring = ascii(&cluster("ms01-3node.toml", MS01));
    assert!(!ring.contains("/31"));
}

#[test]
fn dot_has_every_cable_port_to_port_and_well_formed_html_labels() {
    for (name, c) in all() {
        let out = dot(&c);
        assert!(
            out.contains(&format!("graph \"{}\" {{", c.spec.cluster.name)),
            "{name}"
        );
        assert!(out.ends_with("}\n"), "{name}");
        for l in &c.topology.links {
            let edge = format!(
                "\"{}\":\"p_{}\" -- \"{}\":\"p_{}\"",
                c.node_name(l.a.0),
                l.a.1,
                c.node_name(l.b.0),
                l.b.1
            );
            assert!(out.contains(&edge), "{name} lacks {edge}");
        }
        // Every HTML-like label is well-formed XML with a cell per port.
        let mut labels = 0;
        for chunk in out.split("label=<").skip(1) {
            let Some(end) = chunk.find(">];") else {
                panic!("{name}: unterminated label");
            };
            let doc = match roxmltree::Document::parse(&chunk[..end]) {
                Ok(doc) => doc,
                Err(e) => panic!("{name}: label is not well-formed: {e}\n{}", &chunk[..end]),
            };
            let node = &c.nodes()[labels];
            let ports: Vec<&str> = doc
                .descendants()
                .filter_map(|n| n.attribute("PORT"))
                .collect();
            let mut want: Vec<String> =
                node.ports.iter().map(|p| format!("p_{}", p.name)).collect();
            let mut got: Vec<String> = ports.iter().map(|s| s.to_string()).collect();
            want.sort();
            got.sort();
            assert_eq!(got, want, "{name}: ports of {}", node.name);
            labels += 1;
        }
        assert_eq!(labels, c.nodes().len(), "{name}");
        // Braces and quotes balance (nothing escaped wrongly).
        assert_eq!(out.matches('{').count(), out.matches('}').count(), "{name}");
    }
}

#[test]
fn dot_static_mode_labels_both_ends() {
    let out = dot(&cluster("static-3node.toml", STATIC3));
    assert!(
        out.contains("taillabel=\"10.100.1.0/31\", headlabel=\"10.100.1.1/31\""),
        "{out}"
    );
    assert!(!dot(&cluster("ms01-3node.toml", MS01)).contains("taillabel"));
}

#[test]
fn dot_strings_are_escaped() {
    assert_eq!(dot_str(r#"a"b\c"#), r#""a\"b\\c""#);
}

#[test]
fn svg_is_well_formed_with_a_box_per_node_and_a_line_per_cable() {
    for (name, c) in all() {
        let out = svg(&c);
        let doc = match roxmltree::Document::parse(&out) {
            Ok(doc) => doc,
            Err(e) => panic!("{name}: svg is not well-formed: {e}"),
        };
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(
            root.tag_name().namespace(),
            Some("http://www.w3.org/2000/svg")
        );
        let class = |cls: &str| {
            doc.descendants()
                .filter(|n| {
                    n.attribute("class")
                        .is_some_and(|a| a.split(' ').any(|w| w == cls))
                })
                .count()
        };
        assert_eq!(class("cable"), c.topology.links.len(), "{name}");
        assert_eq!(class("node"), c.nodes().len(), "{name}");
        let ports: usize = c.nodes().iter().map(|n| n.ports.len()).sum();
        assert_eq!(class("port"), ports, "{name}");
        let free = c
            .nodes()
            .iter()
            .enumerate()
            .flat_map(|(i, n)| n.ports.iter().map(move |p| (i, p)))
            .filter(|(i, p)| c.peer(*i, &p.name).is_none())
            .count();
        assert_eq!(
            class("free") / 2,
            free,
            "{name}: uncabled ports drawn apart"
        );
        let texts: Vec<String> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .map(|n| {
                n.descendants()
                    .filter(|t| t.is_text())
                    .filter_map(|t| t.text())
                    .collect()
            })
            .collect();
        for n in c.nodes() {
            assert!(
                texts.iter().any(|t| t == &n.name.value),
                "{name}: no text {}",
                n.name
            );
        }
        for l in &c.spec.fabric.links {
            assert!(
                texts.iter().any(|t| t == &l.to_string()),
                "{name}: no label {l}"
            );
        }
        for (a, b) in &c.link_nets {
            for net in [a, b] {
                assert!(
                    texts.iter().any(|t| t == &net.to_string()),
                    "{name}: no label {net}"
                );
            }
        }
        assert!(!out.contains("NaN") && !out.contains("inf"), "{name}");
    }
}

#[test]
fn svg_nothing_overlaps() {
    for (name, c) in all() {
        let lay = layout(&c);
        for (i, a) in lay.nodes.iter().enumerate() {
            for b in &lay.nodes[i + 1..] {
                assert!(
                    !a.rect.grow(20.0).overlaps(&b.rect),
                    "{name}: {} and {} overlap",
                    a.name,
                    b.name
                );
            }
        }
        for (i, a) in lay.ports.iter().enumerate() {
            for b in &lay.ports[i + 1..] {
                assert!(
                    !a.rect.overlaps(&b.rect),
                    "{name}: ports {} and {} overlap",
                    a.title,
                    b.title
                );
            }
            // Each port sits on its own node's edge and on no other node.
            for (k, nb) in lay.nodes.iter().enumerate() {
                assert_eq!(
                    a.rect.overlaps(&nb.rect),
                    k == a.node,
                    "{name}: port {} and node {}",
                    a.title,
                    nb.name
                );
            }
        }
        for (i, l) in lay.labels.iter().enumerate() {
            for m in &lay.labels[i + 1..] {
                assert!(
                    !l.rect.overlaps(&m.rect),
                    "{name}: labels {} and {} overlap",
                    l.text,
                    m.text
                );
            }
            for nb in &lay.nodes {
                assert!(
                    !l.rect.overlaps(&nb.rect),
                    "{name}: label {} on node {}",
                    l.text,
                    nb.name
                );
            }
            for p in &lay.ports {
                assert!(
                    !l.rect.overlaps(&p.rect),
                    "{name}: label {} on port {}",
                    l.text,
                    p.title
                );
            }
        }
    }
}

#[test]
fn svg_first_node_is_at_the_top_and_nodes_go_clockwise() {
    let lay = layout(&cluster("ring-5node.toml", RING5));
    let ctr: Vec<Pt> = lay.nodes.iter().map(|n| n.rect.center()).collect();
    assert!(ctr.iter().skip(1).all(|p| p.y > ctr[0].y));
    assert!(ctr[0].x.abs() < 0.001);
    assert!(ctr[1].x > 0.0 && ctr[4].x < 0.0, "clockwise on screen");
}

#[test]
fn svg_ports_face_their_peers() {
    // In the reference triangle: n2 (top) has both ports at the bottom,
    // and the lower nodes face each other sideways.
    let c = cluster("ms01-3node.toml", MS01);
    let lay = layout(&c);
    let side = |node: &str, port: &str| {
        lay.ports
            .iter()
            .find(|p| c.node_name(p.node) == node && p.name == port)
            .map(|p| p.side)
    };
    assert_eq!(side("n2", "en05"), Some(Side::Bottom));
    assert_eq!(side("n2", "en06"), Some(Side::Bottom));
    assert_eq!(side("n3", "en05"), Some(Side::Top));
    assert_eq!(side("n3", "en06"), Some(Side::Left));
    assert_eq!(side("n4", "en05"), Some(Side::Right));
}

#[test]
fn xml_text_is_escaped() {
    assert_eq!(
        xml(r#"<a & 'b'> "c""#),
        "&lt;a &amp; &apos;b&apos;&gt; &quot;c&quot;"
    );
}

#[test]
fn numbers_have_one_decimal_and_no_negative_zero() {
    assert_eq!(num(-0.04), "0.0");
    assert_eq!(num(12.345), "12.3");
    assert_eq!(num(-7.0), "-7.0");
}

#[test]
fn spread_keeps_gaps_within_limits() {
    let mut offs = vec![0.0, 0.0, 0.0];
    spread(&mut offs, 10.0, 100.0);
    assert_eq!(offs, vec![0.0, 10.0, 20.0]);
    let mut offs = vec![95.0, 99.0];
    spread(&mut offs, 10.0, 100.0);
    assert_eq!(offs, vec![90.0, 100.0]);
}

#[test]
fn segments_and_rectangles() {
    let r = Rect::centered(Pt::new(0.0, 0.0), 10.0, 10.0);
    assert!(r.hits_segment(Pt::new(-20.0, 0.0), Pt::new(20.0, 0.0)));
    assert!(!r.hits_segment(Pt::new(-20.0, 8.0), Pt::new(20.0, 8.0)));
    assert!(!r.hits_segment(Pt::new(6.0, 6.0), Pt::new(20.0, 20.0)));
    assert_eq!(exit_point(10.0, 5.0, Pt::new(1.0, 0.0)), (Side::Right, 0.0));
    assert_eq!(exit_point(10.0, 5.0, Pt::new(0.0, -1.0)), (Side::Top, 0.0));
}

#[test]
fn svg_with_states_colours_marked_nodes_and_cables_only() {
    let c = cluster("ms01-3node.toml", MS01);
    assert_eq!(svg_with_states(&c, &States::default()), svg(&c));
    let mut st = States::default();
    st.node("n3", State::Ok, "verify: 20 checks ok");
    st.node("n3", State::Warn, "bench: retransmits");
    st.cable(1, State::Fail, "verify: no carrier");
    let out = svg_with_states(&c, &st);
    if let Err(e) = roxmltree::Document::parse(&out) {
        panic!("not well-formed: {e}\n{out}");
    }
    assert!(out.contains("<rect class=\"node warn\""), "{out}");
    assert_eq!(out.matches("<rect class=\"node\"").count(), 2);
    assert!(out.contains("<line class=\"cable fail\""));
    assert!(out.contains("<title>n3:en06 -- n4:en05: verify: no carrier</title>"));
    assert!(out.contains("<title>n3: verify: 20 checks ok; bench: retransmits</title>"));
    assert_eq!(out.matches("<line class=\"cable\"").count(), 2);
    assert!(out.contains("class=\"legend\""));
    assert!(!svg(&c).contains("legend"));
}
