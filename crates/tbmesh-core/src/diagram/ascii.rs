//! The plain-ASCII drawing for terminals: the nodes stacked as boxes in spec
//! order, one row per port, and every cable drawn as a lane on the left that
//! joins its two port rows. Ports are listed so that cables nest (a ring
//! needs two lanes), and each row also names its peer, so the text reads on
//! its own even where lanes cross. A list of the cables follows.

use super::{addr_text, caption, is_static, peer_ref, port_device};
use crate::spec::PortSpec;
use crate::topology::NodeIdx;
use crate::Cluster;
use std::fmt::Write as _;

/// The ASCII drawing of the cluster.
pub fn ascii(c: &Cluster) -> String {
    let ordered = port_order(c);
    let (rows, port_rows) = box_rows(c, &ordered);
    let grid = with_lanes(c, rows, &port_rows);
    let mut out = String::new();
    for line in caption(c) {
        out.push_str(&line);
        out.push('\n');
    }
    out.push('\n');
    for row in grid {
        let line: String = row.into_iter().collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&cable_list(c));
    out
}

/// Port rows of each node, ordered so that lanes nest: cables to earlier
/// nodes first (nearest first), then cables to later nodes (farthest first),
/// then ports without a cable.
fn port_order(c: &Cluster) -> Vec<Vec<&PortSpec>> {
    let nodes = c.nodes();
    (0..nodes.len())
        .map(|i| {
            let mut ports: Vec<(usize, &PortSpec)> = nodes[i].ports.iter().enumerate().collect();
            ports.sort_by_key(|(k, p)| match c.peer(i, &p.name) {
                Some(pe) if pe.node < i => (0, (i - pe.node) as isize, pe.link as isize, *k),
                Some(pe) => (1, -((pe.node - i) as isize), -(pe.link as isize), *k),
                None => (2, 0, 0, *k),
            });
            ports.into_iter().map(|(_, p)| p).collect()
        })
        .collect()
}

/// The row of each cabled port: node, port name, row index.
type PortRows = Vec<(NodeIdx, String, usize)>;

/// The boxes as text rows, and the row of each port.
fn box_rows(c: &Cluster, ordered: &[Vec<&PortSpec>]) -> (Vec<String>, PortRows) {
    let nodes = c.nodes();
    let all_ports = || {
        ordered
            .iter()
            .enumerate()
            .flat_map(|(i, ps)| ps.iter().map(move |p| (i, *p)))
    };
    let w_port = all_ports().map(|(_, p)| p.name.len()).max().unwrap_or(0);
    let w_dev = all_ports()
        .map(|(_, p)| port_device(p).len())
        .max()
        .unwrap_or(0);
    let w_peer = all_ports()
        .filter_map(|(i, p)| peer_ref(c, i, &p.name))
        .map(|s| s.len())
        .max()
        .unwrap_or(0);
    let port_text = |i: NodeIdx, p: &PortSpec| -> String {
        let head = format!("{:<w_port$}  {:<w_dev$}", p.name.value, port_device(p));
        let line = match peer_ref(c, i, &p.name) {
            Some(peer) => match addr_text(c, i, &p.name) {
                Some(addr) => format!("{head}  <-> {peer:<w_peer$}  {addr}"),
                None => format!("{head}  <-> {peer}"),
            },
            None => format!("{head}  (not cabled)"),
        };
        line.trim_end().to_string()
    };
    let header = |i: NodeIdx| format!("router {}   mgmt {}", c.router_addr(i), nodes[i].host);

    // Inner width of every box (one space of padding either side).
    let inner = (0..nodes.len())
        .flat_map(|i| {
            std::iter::once(header(i).len())
                .chain(ordered[i].iter().map(move |p| port_text(i, p).len()))
                .chain(std::iter::once(nodes[i].name.len() + 3))
        })
        .max()
        .unwrap_or(0)
        + 2;

    let mut rows: Vec<String> = vec![];
    let mut port_rows: PortRows = vec![];
    for (i, n) in nodes.iter().enumerate() {
        if i > 0 {
            rows.push(String::new());
        }
        let dashes = inner.saturating_sub(n.name.len() + 3);
        rows.push(format!("+- {} {}+", n.name, "-".repeat(dashes)));
        rows.push(format!("| {:<w$}|", header(i), w = inner - 1));
        for p in &ordered[i] {
            port_rows.push((i, p.name.value.clone(), rows.len()));
            rows.push(format!("| {:<w$}|", port_text(i, p), w = inner - 1));
        }
        rows.push(format!("+{}+", "-".repeat(inner)));
    }
    (rows, port_rows)
}

/// The rows as a character grid with the cable lanes drawn on the left:
/// shortest cables innermost, each on the innermost lane that is free over
/// all its rows.
fn with_lanes(c: &Cluster, rows: Vec<String>, port_rows: &PortRows) -> Vec<Vec<char>> {
    let row_of = |node: NodeIdx, port: &str| {
        port_rows
            .iter()
            .find(|(n, p, _)| *n == node && p == port)
            .map(|(_, _, r)| *r)
    };
    let mut spans: Vec<(usize, usize)> = c
        .topology
        .links
        .iter()
        .filter_map(|l| {
            let a = row_of(l.a.0, &l.a.1)?;
            let b = row_of(l.b.0, &l.b.1)?;
            Some((a.min(b), a.max(b)))
        })
        .collect();
    spans.sort_by_key(|&(a, b)| (b - a, a));
    let mut lanes: Vec<Vec<(usize, usize)>> = vec![];
    let mut placed: Vec<(usize, usize, usize)> = vec![];
    for (a, b) in spans {
        let free = |lane: &Vec<(usize, usize)>| lane.iter().all(|&(x, y)| b < x || y < a);
        let k = match lanes.iter().position(free) {
            Some(k) => k,
            None => {
                lanes.push(vec![]);
                lanes.len() - 1
            }
        };
        lanes[k].push((a, b));
        placed.push((k, a, b));
    }
    let x0 = if lanes.is_empty() {
        0
    } else {
        2 * lanes.len() + 1
    };
    let mut grid: Vec<Vec<char>> = rows
        .iter()
        .map(|r| std::iter::repeat_n(' ', x0).chain(r.chars()).collect())
        .collect();
    for &(k, a, b) in &placed {
        let col = 2 * lanes.len() - 1 - 2 * k;
        grid[a][col] = '.';
        grid[b][col] = '\'';
        for row in &mut grid[a + 1..b] {
            row[col] = '|';
        }
    }
    for &(k, a, b) in &placed {
        let col = 2 * lanes.len() - 1 - 2 * k;
        for r in [a, b] {
            for cell in &mut grid[r][col + 1..x0] {
                if *cell == ' ' {
                    *cell = '-';
                }
            }
            grid[r][x0] = '+';
        }
    }
    grid
}

/// The list of cables as written in fabric.links (with their /31s in static
/// mode).
fn cable_list(c: &Cluster) -> String {
    let mut out = String::from("cables (fabric.links):\n");
    let links = &c.spec.fabric.links;
    let w_a = links
        .iter()
        .map(|l| l.a.to_string().len())
        .max()
        .unwrap_or(0);
    let w_b = links
        .iter()
        .map(|l| l.b.to_string().len())
        .max()
        .unwrap_or(0);
    let w_net = c
        .link_nets
        .iter()
        .map(|(a, _)| a.to_string().len())
        .max()
        .unwrap_or(0);
    for (i, l) in links.iter().enumerate() {
        let mut line = format!("  {:<w_a$} -- {:<w_b$}", l.a.to_string(), l.b.to_string());
        if is_static(c) {
            if let Some((a, b)) = c.link_nets.get(i) {
                let _ = write!(line, "   {:<w_net$} -- {b}", a.to_string());
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
