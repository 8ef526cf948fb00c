//! Topology drawings: ASCII for terminals, Graphviz dot, and self-contained SVG.
//!
//! Each is a pure function of the cluster (no I/O, clock or randomness), so the
//! same spec always draws byte-identical output. All three show the same
//! facts: every node (name, router /32, management host), every port (with its
//! PCI address when it is renamed by path), every cable port to port, the /31
//! of each cable end in static mode, and a caption with the fabric.

use crate::spec::{FabricMode, PortSpec};
use crate::topology::NodeIdx;
use crate::Cluster;
use std::fmt::Write as _;

/// The caption shared by every format: fabric, addressing, routing.
fn caption(c: &Cluster) -> Vec<String> {
    let s = &c.spec;
    let f = &s.fabric;
    let cables = match (f.mode.value, &f.link_prefix) {
        (FabricMode::Static, Some(lp)) => format!("a /31 per cable from {}", lp.value),
        (FabricMode::Static, None) => "a /31 per cable".to_string(),
        _ => "cables unnumbered".to_string(),
    };
    let routing = match f.mode.value {
        FabricMode::PveSdn => "OpenFabric via Proxmox VE SDN fabrics",
        FabricMode::Frr => "OpenFabric in FRR, configured by tbmesh",
        FabricMode::Static => "static host routes, no failover",
    };
    let routes = c.topology.routes();
    let paths = if routes.all_reachable() {
        let m = routes.max_hops();
        format!("longest path {m} hop{}", if m == 1 { "" } else { "s" })
    } else {
        "some nodes cannot reach each other".to_string()
    };
    vec![
        format!(
            "cluster {}: fabric {}, mode {}, prefix {}, MTU {}",
            s.cluster.name, f.name, f.mode, f.prefix, f.mtu
        ),
        format!(
            "addresses: router /32 per node on {}; {cables}",
            f.router_ifname()
        ),
        format!("routing: {routing}; {paths}"),
    ]
}

fn is_static(c: &Cluster) -> bool {
    c.spec.fabric.mode.value == FabricMode::Static
}

/// How the port gets its name.
fn port_device(p: &PortSpec) -> String {
    match &p.pci {
        Some(pci) => format!("pci {pci}"),
        None => "no rename".to_string(),
    }
}

/// `node:port` of the far end of a port's cable.
fn peer_ref(c: &Cluster, node: NodeIdx, port: &str) -> Option<String> {
    c.peer(node, port)
        .map(|pe| format!("{}:{}", c.node_name(pe.node), pe.port))
}

/// The /31 of `node:port` as text (static mode), else `None`.
fn addr_text(c: &Cluster, node: NodeIdx, port: &str) -> Option<String> {
    if is_static(c) {
        c.link_addr(node, port).map(|a| a.to_string())
    } else {
        None
    }
}

// ---------------------------------------------------------------- ascii ---

/// A plain-ASCII drawing for terminals: the nodes stacked as boxes in spec
/// order, one row per port, and every cable drawn as a lane on the left that
/// joins its two port rows. Ports are listed so that cables nest (a ring
/// needs two lanes), and each row also names its peer, so the text reads on
/// its own even where lanes cross. A list of the cables follows.
pub fn ascii(c: &Cluster) -> String {
    let nodes = c.nodes();
    let stat = is_static(c);

    // Port rows of each node, ordered so that lanes nest: cables to earlier
    // nodes first (nearest first), then cables to later nodes (farthest
    // first), then ports without a cable.
    let ordered: Vec<Vec<&PortSpec>> = (0..nodes.len())
        .map(|i| {
            let mut ports: Vec<(usize, &PortSpec)> = nodes[i].ports.iter().enumerate().collect();
            ports.sort_by_key(|(k, p)| match c.peer(i, &p.name) {
                Some(pe) if pe.node < i => (0, (i - pe.node) as isize, pe.link as isize, *k),
                Some(pe) => (1, -((pe.node - i) as isize), -(pe.link as isize), *k),
                None => (2, 0, 0, *k),
            });
            ports.into_iter().map(|(_, p)| p).collect()
        })
        .collect();

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
    let header = |i: NodeIdx| format!("router {}   mgmt {}", c.router_ips[i], nodes[i].host);

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

    // The boxes as text rows; the row of each cabled port.
    let mut rows: Vec<String> = vec![];
    let mut port_row: Vec<(NodeIdx, String, usize)> = vec![];
    for (i, n) in nodes.iter().enumerate() {
        if i > 0 {
            rows.push(String::new());
        }
        let dashes = inner.saturating_sub(n.name.len() + 3);
        rows.push(format!("+- {} {}+", n.name, "-".repeat(dashes)));
        rows.push(format!("| {:<w$}|", header(i), w = inner - 1));
        for p in &ordered[i] {
            port_row.push((i, p.name.value.clone(), rows.len()));
            rows.push(format!("| {:<w$}|", port_text(i, p), w = inner - 1));
        }
        rows.push(format!("+{}+", "-".repeat(inner)));
    }
    let row_of = |node: NodeIdx, port: &str| {
        port_row
            .iter()
            .find(|(n, p, _)| *n == node && p == port)
            .map(|(_, _, r)| *r)
    };

    // Lanes: shortest cables innermost, each on the innermost lane that is
    // free over all its rows.
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
    out.push_str("cables (fabric.links):\n");
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
        if stat {
            if let Some((a, b)) = c.link_nets.get(i) {
                let _ = write!(line, "   {:<w_net$} -- {b}", a.to_string());
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

// ------------------------------------------------------------------ dot ---

/// Text escaped for the inside of a double-quoted DOT string.
fn dot_esc(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// A double-quoted DOT string.
fn dot_str(s: &str) -> String {
    format!("\"{}\"", dot_esc(s))
}

/// The id of a port inside its node's HTML label (prefixed, so no port name
/// can be mistaken for a compass point such as `n` or `se`).
fn dot_port(port: &str) -> String {
    dot_str(&format!("p_{port}"))
}

/// Graphviz source: nodes as HTML-like tables with a cell per port on the
/// side that faces its peer, cables drawn port to port and labelled with the
/// link (and its /31s in static mode). Nodes are pinned where the SVG puts
/// them (a circle in spec order, the first at the top), so `dot -Tsvg` draws
/// a ring as a ring; drop the `pos` attributes to let Graphviz lay it out.
pub fn dot(c: &Cluster) -> String {
    let s = &c.spec;
    let stat = is_static(c);
    let lay = layout(c);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "// tbmesh diagram of cluster {}; render with `dot -Tsvg`",
        s.cluster.name
    );
    let _ = writeln!(out, "graph {} {{", dot_str(&s.cluster.name));
    let label: String = lay
        .caption
        .iter()
        .map(|l| format!("{}\\l", dot_esc(l)))
        .collect();
    let _ = writeln!(
        out,
        "  graph [layout=neato, splines=line, pad=0.3, labelloc=t, labeljust=l, fontname=\"Helvetica\", fontsize=12, label=\"{label}\"];"
    );
    let _ = writeln!(
        out,
        "  node [shape=plain, fontname=\"Helvetica\", fontsize=11];"
    );
    let _ = writeln!(
        out,
        "  edge [color=\"#e8730c\", penwidth=2.5, fontname=\"Courier\", fontsize=10, fontcolor=\"#7a3a00\"];"
    );
    for (i, (n, b)) in s.nodes.iter().zip(&lay.nodes).enumerate() {
        // Graphviz's boxes are a little larger than ours: spread the circle.
        let ctr = b.rect.center();
        let inches = |v: f64| {
            let r = (v * 1.15 / 72.0 * 100.0).round() / 100.0 + 0.0;
            format!("{r:.2}")
        };
        let pos = format!("{},{}!", inches(ctr.x), inches(-ctr.y));
        let side = |sd: Side| -> Option<String> {
            let mut cells: Vec<&PortBox> = lay
                .ports
                .iter()
                .filter(|p| p.node == i && p.side == sd)
                .collect();
            cells.sort_by(|a, b| {
                let (ka, kb) = match sd {
                    Side::Top | Side::Bottom => (a.rect.x0, b.rect.x0),
                    Side::Left | Side::Right => (a.rect.y0, b.rect.y0),
                };
                ka.total_cmp(&kb)
            });
            let cell = |p: &PortBox| {
                let (bg, fg) = if p.cabled {
                    ("#2f5d8a", "#ffffff")
                } else {
                    ("#ffffff", "#777777")
                };
                format!(
                    "<TD PORT=\"p_{}\" BORDER=\"1\" COLOR=\"#2f5d8a\" BGCOLOR=\"{bg}\"><FONT FACE=\"Courier\" COLOR=\"{fg}\"><B>{}</B><BR/><FONT POINT-SIZE=\"8\">{}</FONT></FONT></TD>",
                    xml(&p.name),
                    xml(&p.name),
                    xml(&p.device)
                )
            };
            if cells.is_empty() {
                return None;
            }
            let inner: String = match sd {
                Side::Top | Side::Bottom => format!(
                    "<TR>{}</TR>",
                    cells.iter().map(|p| cell(p)).collect::<String>()
                ),
                Side::Left | Side::Right => cells
                    .iter()
                    .map(|p| format!("<TR>{}</TR>", cell(p)))
                    .collect(),
            };
            Some(format!(
                "<TD><TABLE BORDER=\"0\" CELLSPACING=\"4\">{inner}</TABLE></TD>"
            ))
        };
        let info = format!(
            "<TD><TABLE BORDER=\"0\" CELLSPACING=\"0\" CELLPADDING=\"2\"><TR><TD><FONT POINT-SIZE=\"14\"><B>{}</B></FONT></TD></TR><TR><TD><FONT FACE=\"Courier\">router {}</FONT></TD></TR><TR><TD><FONT FACE=\"Courier\">mgmt {}</FONT></TD></TR></TABLE></TD>",
            xml(&n.name),
            c.router_ips[i],
            xml(&n.host.to_string())
        );
        let _ = writeln!(out, "  {} [pos=\"{pos}\", label=<", dot_str(&n.name));
        let _ = writeln!(
            out,
            "    <TABLE BORDER=\"1\" CELLBORDER=\"0\" CELLSPACING=\"2\" CELLPADDING=\"2\" STYLE=\"rounded\" BGCOLOR=\"#eef3fa\" COLOR=\"#2f5d8a\">"
        );
        let empty = || "<TD></TD>".to_string();
        if let Some(top) = side(Side::Top) {
            let _ = writeln!(out, "      <TR><TD></TD>{top}<TD></TD></TR>");
        }
        let left = side(Side::Left).unwrap_or_else(empty);
        let right = side(Side::Right).unwrap_or_else(empty);
        let _ = writeln!(out, "      <TR>{left}{info}{right}</TR>");
        if let Some(bottom) = side(Side::Bottom) {
            let _ = writeln!(out, "      <TR><TD></TD>{bottom}<TD></TD></TR>");
        }
        let _ = writeln!(out, "    </TABLE>>];");
    }
    for (l, (link, ls)) in c.topology.links.iter().zip(&s.fabric.links).enumerate() {
        let mut attrs = format!("label={}", dot_str(&format!(" {ls} ")));
        if stat {
            if let Some((a, b)) = c.link_nets.get(l) {
                let _ = write!(
                    attrs,
                    ", taillabel={}, headlabel={}",
                    dot_str(&a.to_string()),
                    dot_str(&b.to_string())
                );
                attrs.push_str(", labeldistance=4, labelangle=20");
            }
        }
        let _ = writeln!(
            out,
            "  {}:{} -- {}:{} [{attrs}];",
            dot_str(c.node_name(link.a.0)),
            dot_port(&link.a.1),
            dot_str(c.node_name(link.b.0)),
            dot_port(&link.b.1),
        );
    }
    out.push_str("}\n");
    out
}

// ------------------------------------------------------------------ svg ---

/// Text escaped for XML content and attribute values.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(ch),
        }
    }
    out
}

/// A coordinate with one decimal, never `-0.0`.
fn num(x: f64) -> String {
    let r = (x * 10.0).round() / 10.0 + 0.0;
    format!("{r:.1}")
}

const MONO: &str = "DejaVu Sans Mono, Menlo, Consolas, monospace";
const SANS: &str = "DejaVu Sans, Helvetica, Arial, sans-serif";
/// Advance of one character of the monospace fonts above, in em (generous).
const MONO_EM: f64 = 0.61;
/// Average advance of a bold sans character, in em (generous).
const SANS_BOLD_EM: f64 = 0.72;

const NAME_SIZE: f64 = 16.0;
const TEXT_SIZE: f64 = 12.0;
const SMALL_SIZE: f64 = 11.0;
const PORT_H: f64 = 18.0;
const LABEL_H: f64 = SMALL_SIZE + 7.0;
const MARGIN: f64 = 24.0;

fn mono_w(s: &str, size: f64) -> f64 {
    s.chars().count() as f64 * MONO_EM * size
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Pt {
    x: f64,
    y: f64,
}

impl Pt {
    fn new(x: f64, y: f64) -> Self {
        Pt { x, y }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Rect {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

impl Rect {
    fn centered(c: Pt, w: f64, h: f64) -> Self {
        Rect {
            x0: c.x - w / 2.0,
            y0: c.y - h / 2.0,
            x1: c.x + w / 2.0,
            y1: c.y + h / 2.0,
        }
    }

    fn grow(self, d: f64) -> Self {
        Rect {
            x0: self.x0 - d,
            y0: self.y0 - d,
            x1: self.x1 + d,
            y1: self.y1 + d,
        }
    }

    fn overlaps(&self, o: &Rect) -> bool {
        self.x0 < o.x1 && o.x0 < self.x1 && self.y0 < o.y1 && o.y0 < self.y1
    }

    fn union(self, o: Rect) -> Rect {
        Rect {
            x0: self.x0.min(o.x0),
            y0: self.y0.min(o.y0),
            x1: self.x1.max(o.x1),
            y1: self.y1.max(o.y1),
        }
    }

    fn w(&self) -> f64 {
        self.x1 - self.x0
    }

    fn h(&self) -> f64 {
        self.y1 - self.y0
    }

    fn center(&self) -> Pt {
        Pt::new((self.x0 + self.x1) / 2.0, (self.y0 + self.y1) / 2.0)
    }

    /// Whether the segment a–b passes through the rectangle (Liang–Barsky).
    fn hits_segment(&self, a: Pt, b: Pt) -> bool {
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let (mut t0, mut t1) = (0.0_f64, 1.0_f64);
        for (p, q) in [
            (-dx, a.x - self.x0),
            (dx, self.x1 - a.x),
            (-dy, a.y - self.y0),
            (dy, self.y1 - a.y),
        ] {
            if p == 0.0 {
                if q < 0.0 {
                    return false;
                }
            } else {
                let r = q / p;
                if p < 0.0 {
                    if r > t1 {
                        return false;
                    }
                    t0 = t0.max(r);
                } else {
                    if r < t0 {
                        return false;
                    }
                    t1 = t1.min(r);
                }
            }
        }
        t0 <= t1
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Side {
    Top,
    Bottom,
    Left,
    Right,
}

/// One line of text inside a node box: a key in grey and a value.
struct NodeLine {
    key: String,
    value: String,
    small: bool,
}

struct NodeBox {
    rect: Rect,
    name: String,
    lines: Vec<NodeLine>,
}

struct PortBox {
    node: NodeIdx,
    name: String,
    device: String,
    side: Side,
    rect: Rect,
    cabled: bool,
    title: String,
}

struct Cable {
    from: Pt,
    to: Pt,
    title: String,
}

impl Cable {
    fn at(&self, t: f64) -> Pt {
        Pt::new(
            self.from.x + (self.to.x - self.from.x) * t,
            self.from.y + (self.to.y - self.from.y) * t,
        )
    }

    fn len(&self) -> f64 {
        (self.to.x - self.from.x).hypot(self.to.y - self.from.y)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LabelKind {
    /// The cable as written in fabric.links, near its middle.
    Cable,
    /// The /31 of one end (static mode), near that end.
    Addr,
}

struct Label {
    rect: Rect,
    text: String,
    kind: LabelKind,
}

/// Everything the SVG draws, in diagram coordinates (centre of the circle at
/// the origin).
struct Layout {
    nodes: Vec<NodeBox>,
    ports: Vec<PortBox>,
    cables: Vec<Cable>,
    labels: Vec<Label>,
    caption: Vec<String>,
}

fn node_lines(c: &Cluster, i: NodeIdx) -> Vec<NodeLine> {
    let n = &c.nodes()[i];
    let mut lines = vec![
        NodeLine {
            key: "router".into(),
            value: c.router_ips[i].to_string(),
            small: false,
        },
        NodeLine {
            key: "mgmt".into(),
            value: n.host.to_string(),
            small: false,
        },
    ];
    for p in &n.ports {
        lines.push(NodeLine {
            key: p.name.value.clone(),
            value: port_device(p),
            small: true,
        });
    }
    lines
}

/// Width of the key column and of the whole key/value block of a node.
fn block_widths(lines: &[NodeLine]) -> (f64, f64) {
    let size = |l: &NodeLine| if l.small { SMALL_SIZE } else { TEXT_SIZE };
    let key_w = lines
        .iter()
        .map(|l| mono_w(&format!("{} ", l.key), size(l)))
        .fold(0.0, f64::max);
    let block_w = lines
        .iter()
        .map(|l| key_w + mono_w(&l.value, size(l)))
        .fold(0.0, f64::max);
    (key_w, block_w)
}

/// Where the ray from a box's centre along `dir` leaves the box: the side and
/// the offset along it from the side's middle.
fn exit_point(half_w: f64, half_h: f64, dir: Pt) -> (Side, f64) {
    let tx = if dir.x == 0.0 {
        f64::INFINITY
    } else {
        half_w / dir.x.abs()
    };
    let ty = if dir.y == 0.0 {
        f64::INFINITY
    } else {
        half_h / dir.y.abs()
    };
    if !tx.is_finite() && !ty.is_finite() {
        return (Side::Bottom, 0.0);
    }
    if tx < ty {
        (
            if dir.x < 0.0 { Side::Left } else { Side::Right },
            dir.y * tx,
        )
    } else {
        (
            if dir.y < 0.0 { Side::Top } else { Side::Bottom },
            dir.x * ty,
        )
    }
}

/// Push offsets apart to at least `gap`, keeping them within ±`limit` when
/// they fit. `offs` is sorted.
fn spread(offs: &mut [f64], gap: f64, limit: f64) {
    for k in 1..offs.len() {
        offs[k] = offs[k].max(offs[k - 1] + gap);
    }
    if let Some(last) = offs.last_mut() {
        *last = last.min(limit);
    }
    for k in (0..offs.len().saturating_sub(1)).rev() {
        offs[k] = offs[k].min(offs[k + 1] - gap);
    }
    if let Some(first) = offs.first_mut() {
        *first = first.max(-limit);
    }
    for k in 1..offs.len() {
        offs[k] = offs[k].max(offs[k - 1] + gap);
    }
}

fn layout(c: &Cluster) -> Layout {
    let nodes = c.nodes();
    let n = nodes.len();
    let stat = is_static(c);

    // Box size, the same for every node.
    let port_w = nodes
        .iter()
        .flat_map(|nd| nd.ports.iter())
        .map(|p| mono_w(&p.name, SMALL_SIZE))
        .fold(0.0, f64::max)
        + 12.0;
    let all_lines: Vec<Vec<NodeLine>> = (0..n).map(|i| node_lines(c, i)).collect();
    let text_w = (0..n)
        .map(|i| {
            let name_w = nodes[i].name.chars().count() as f64 * SANS_BOLD_EM * NAME_SIZE;
            name_w.max(block_widths(&all_lines[i]).1)
        })
        .fold(0.0, f64::max);
    let box_w = (text_w + port_w + 40.0).max(150.0);
    let max_ports = nodes.iter().map(|nd| nd.ports.len()).max().unwrap_or(0) as f64;
    let pad_y = PORT_H / 2.0 + 8.0;
    let box_h = pad_y + 22.0 + 2.0 * 16.0 + 6.0 + 14.0 * max_ports + pad_y - 2.0;

    // Radius: adjacent nodes far enough apart for a cable label (and the two
    // /31 labels in static mode) between them.
    let cable_label_w = c
        .spec
        .fabric
        .links
        .iter()
        .map(|l| mono_w(&l.to_string(), SMALL_SIZE) + 10.0)
        .fold(0.0, f64::max);
    let addr_label_w = if stat {
        c.link_nets
            .iter()
            .flat_map(|(a, b)| [a, b])
            .map(|a| mono_w(&a.to_string(), SMALL_SIZE) + 10.0)
            .fold(0.0, f64::max)
    } else {
        0.0
    };
    let chord = box_w + cable_label_w + 2.0 * addr_label_w + 80.0;
    let step = std::f64::consts::TAU / n.max(1) as f64;
    let radius = if n <= 1 {
        0.0
    } else {
        (chord / (2.0 * (step / 2.0).sin())).max(box_h + 80.0)
    };
    let centers: Vec<Pt> = (0..n)
        .map(|i| {
            let a = -std::f64::consts::FRAC_PI_2 + step * i as f64;
            Pt::new(radius * a.cos(), radius * a.sin())
        })
        .collect();
    let boxes: Vec<NodeBox> = all_lines
        .into_iter()
        .enumerate()
        .map(|(i, lines)| NodeBox {
            rect: Rect::centered(centers[i], box_w, box_h),
            name: nodes[i].name.value.clone(),
            lines,
        })
        .collect();

    // Ports on the side of the box that faces the peer (or faces outwards,
    // when a port has no cable), spread so they never overlap.
    let (hw, hh) = (box_w / 2.0, box_h / 2.0);
    let mut placed: Vec<(NodeIdx, usize, Side, f64)> = vec![];
    for i in 0..n {
        for (k, p) in nodes[i].ports.iter().enumerate() {
            let dir = match c.peer(i, &p.name) {
                Some(pe) => Pt::new(
                    centers[pe.node].x - centers[i].x,
                    centers[pe.node].y - centers[i].y,
                ),
                None => Pt::new(centers[i].x, centers[i].y),
            };
            let (side, off) = exit_point(hw, hh, dir);
            placed.push((i, k, side, off));
        }
    }
    placed.sort_by(|a, b| {
        (a.0, a.2, a.3, a.1)
            .partial_cmp(&(b.0, b.2, b.3, b.1))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let mut start = 0;
    while start < placed.len() {
        let (node, side) = (placed[start].0, placed[start].2);
        let end = placed[start..]
            .iter()
            .position(|q| q.0 != node || q.2 != side)
            .map_or(placed.len(), |e| start + e);
        let (gap, limit) = match side {
            Side::Top | Side::Bottom => (port_w + 8.0, hw - port_w / 2.0 - 10.0),
            Side::Left | Side::Right => (PORT_H + 6.0, hh - PORT_H / 2.0 - 10.0),
        };
        let mut offs: Vec<f64> = placed[start..end].iter().map(|q| q.3).collect();
        spread(&mut offs, gap, limit.max(0.0));
        for (q, o) in placed[start..end].iter_mut().zip(offs) {
            q.3 = o;
        }
        start = end;
    }
    placed.sort_by_key(|q| (q.0, q.1));
    let mut ports: Vec<PortBox> = vec![];
    let mut anchor: Vec<Vec<Pt>> = nodes
        .iter()
        .map(|nd| vec![Pt::new(0.0, 0.0); nd.ports.len()])
        .collect();
    for &(i, k, side, off) in &placed {
        let ctr = centers[i];
        let at = match side {
            Side::Top => Pt::new(ctr.x + off, ctr.y - hh),
            Side::Bottom => Pt::new(ctr.x + off, ctr.y + hh),
            Side::Left => Pt::new(ctr.x - hw, ctr.y + off),
            Side::Right => Pt::new(ctr.x + hw, ctr.y + off),
        };
        anchor[i][k] = at;
        let p = &nodes[i].ports[k];
        let peer = peer_ref(c, i, &p.name);
        let mut title = format!("{}:{} ({})", nodes[i].name, p.name, port_device(p));
        match &peer {
            Some(peer) => {
                let _ = write!(title, ", cable to {peer}");
            }
            None => title.push_str(", not cabled"),
        }
        if let Some(addr) = addr_text(c, i, &p.name) {
            let _ = write!(title, ", {addr}");
        }
        ports.push(PortBox {
            node: i,
            name: p.name.value.clone(),
            device: port_device(p),
            side,
            rect: Rect::centered(at, port_w, PORT_H),
            cabled: peer.is_some(),
            title,
        });
    }

    let port_anchor = |node: NodeIdx, port: &str| -> Pt {
        nodes[node]
            .ports
            .iter()
            .position(|p| p.name.value == port)
            .map_or(centers[node], |k| anchor[node][k])
    };
    let cables: Vec<Cable> = c
        .topology
        .links
        .iter()
        .zip(&c.spec.fabric.links)
        .map(|(l, ls)| Cable {
            from: port_anchor(l.a.0, &l.a.1),
            to: port_anchor(l.b.0, &l.b.1),
            title: ls.to_string(),
        })
        .collect();

    // Labels: the /31s first, near their own end, then the cable names near
    // the middle.
    let mut labels: Vec<Label> = vec![];
    let obstacles: Vec<Rect> = boxes
        .iter()
        .map(|b| b.rect.grow(3.0))
        .chain(ports.iter().map(|p| p.rect.grow(3.0)))
        .collect();
    if stat {
        for (j, cb) in cables.iter().enumerate() {
            let Some((na, nb)) = c.link_nets.get(j) else {
                continue;
            };
            let len = cb.len().max(1.0);
            // Around a fifth of the way along: clear of the port, and away
            // from the labels of the neighbouring port's cable.
            let near = (0.2_f64).max((PORT_H + LABEL_H) / len);
            let ts: Vec<f64> = (0..24)
                .map(|s| {
                    near + f64::from((s + 1) / 2) * 0.015 * if s % 2 == 0 { 1.0 } else { -1.0 }
                })
                .filter(|t| (0.02..0.4).contains(t))
                .collect();
            for (text, from_a) in [(na.to_string(), true), (nb.to_string(), false)] {
                let ts: Vec<f64> = ts
                    .iter()
                    .map(|&t| if from_a { t } else { 1.0 - t })
                    .collect();
                let rect = place_label(&text, j, &ts, &cables, &obstacles, &labels);
                labels.push(Label {
                    rect,
                    text,
                    kind: LabelKind::Addr,
                });
            }
        }
    }
    let mid: Vec<f64> = (0..14)
        .map(|s| 0.5 + f64::from((s + 1) / 2) * 0.03 * if s % 2 == 0 { 1.0 } else { -1.0 })
        .collect();
    for (j, cb) in cables.iter().enumerate() {
        let rect = place_label(&cb.title, j, &mid, &cables, &obstacles, &labels);
        labels.push(Label {
            rect,
            text: cb.title.clone(),
            kind: LabelKind::Cable,
        });
    }

    Layout {
        nodes: boxes,
        ports,
        cables,
        labels,
        caption: caption(c),
    }
}

/// Where the label `text` of cable `own` goes: the first of the positions
/// `ts` along the cable (then the same positions beside it) that covers no
/// box, port, other label or other cable; failing that, one that at least
/// covers no box, port or label; failing that, the first position.
fn place_label(
    text: &str,
    own: usize,
    ts: &[f64],
    cables: &[Cable],
    obstacles: &[Rect],
    labels: &[Label],
) -> Rect {
    let cb = &cables[own];
    let w = mono_w(text, SMALL_SIZE) + 10.0;
    let (dx, dy) = (cb.to.x - cb.from.x, cb.to.y - cb.from.y);
    let steep = dx.abs() < dy.abs();
    let on_line = ts.iter().map(|&t| Rect::centered(cb.at(t), w, LABEL_H));
    let beside = ts.iter().flat_map(|&t| {
        [1.0, -1.0].map(|sign| {
            let p = cb.at(t);
            let p = if steep {
                Pt::new(p.x + sign * (w / 2.0 + 6.0), p.y)
            } else {
                Pt::new(p.x, p.y + sign * (LABEL_H / 2.0 + 6.0))
            };
            Rect::centered(p, w, LABEL_H)
        })
    });
    let candidates: Vec<Rect> = on_line.chain(beside).collect();
    let free = |r: &Rect| {
        !obstacles.iter().any(|o| o.overlaps(r))
            && !labels.iter().any(|l| l.rect.grow(3.0).overlaps(r))
    };
    let uncrossed = |r: &Rect| {
        !cables
            .iter()
            .enumerate()
            .any(|(j, other)| j != own && r.grow(2.0).hits_segment(other.from, other.to))
    };
    candidates
        .iter()
        .find(|r| free(r) && uncrossed(r))
        .or_else(|| candidates.iter().find(|r| free(r)))
        .or_else(|| candidates.first())
        .copied()
        .unwrap_or_else(|| Rect::centered(cb.at(0.5), w, LABEL_H))
}

/// A self-contained SVG drawn by tbmesh itself: nodes on a circle in spec
/// order (the first at the top, clockwise), ports on the side of each box
/// that faces the peer, cables port to port, and the caption on top.
pub fn svg(c: &Cluster) -> String {
    let lay = layout(c);
    let bounds = lay
        .nodes
        .iter()
        .map(|b| b.rect)
        .chain(lay.ports.iter().map(|p| p.rect))
        .chain(lay.labels.iter().map(|l| l.rect))
        .reduce(Rect::union)
        .unwrap_or(Rect::centered(Pt::new(0.0, 0.0), 100.0, 100.0));
    let caption_w = lay
        .caption
        .iter()
        .enumerate()
        .map(|(k, l)| mono_w(l, if k == 0 { 13.0 } else { TEXT_SIZE }))
        .fold(0.0, f64::max);
    let caption_h = 20.0 + 17.0 * lay.caption.len().saturating_sub(1) as f64 + 18.0;
    let content_w = bounds.w().max(caption_w);
    let width = (content_w + 2.0 * MARGIN).ceil();
    let height = (MARGIN + caption_h + bounds.h() + MARGIN).ceil();
    let dx = MARGIN + (content_w - bounds.w()) / 2.0 - bounds.x0;
    let dy = MARGIN + caption_h - bounds.y0;

    let mut o = String::new();
    let _ = writeln!(
        o,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">",
        w = num(width),
        h = num(height)
    );
    let _ = writeln!(
        o,
        "<title>{}</title>",
        xml(&format!("tbmesh: {}", lay.caption[0]))
    );
    let _ = writeln!(
        o,
        "<style>\n\
         text {{ font-family: {MONO}; fill: #1d2b36; }}\n\
         .bg {{ fill: #ffffff; }}\n\
         .cap0 {{ font-size: 13px; font-weight: bold; }}\n\
         .cap {{ font-size: 12px; fill: #4a5a68; }}\n\
         .cable {{ stroke: #e8730c; stroke-width: 3; stroke-linecap: round; }}\n\
         .node {{ fill: #eef3fa; stroke: #2f5d8a; stroke-width: 1.5; }}\n\
         .name {{ font-family: {SANS}; font-size: {NAME_SIZE}px; font-weight: bold; fill: #12324f; }}\n\
         .key {{ font-size: {TEXT_SIZE}px; fill: #6b7c8c; }}\n\
         .val {{ font-size: {TEXT_SIZE}px; }}\n\
         .skey {{ font-size: {SMALL_SIZE}px; fill: #2f5d8a; font-weight: bold; }}\n\
         .sval {{ font-size: {SMALL_SIZE}px; fill: #6b7c8c; }}\n\
         .rule {{ stroke: #c5d3e2; stroke-width: 1; }}\n\
         .port {{ fill: #2f5d8a; stroke: #1d3f62; stroke-width: 1; }}\n\
         .port.free {{ fill: #ffffff; stroke: #8a97a3; stroke-dasharray: 3 2; }}\n\
         .pname {{ font-size: {SMALL_SIZE}px; font-weight: bold; fill: #ffffff; }}\n\
         .pname.free {{ fill: #6b7c8c; }}\n\
         .lbl {{ fill: #ffffff; stroke: #e8730c; stroke-width: 1; }}\n\
         .lbl.addr {{ fill: #fff4e8; stroke-dasharray: 3 2; }}\n\
         .ltext {{ font-size: {SMALL_SIZE}px; fill: #7a3a00; }}\n\
         </style>"
    );
    let _ = writeln!(o, "<rect class=\"bg\" width=\"100%\" height=\"100%\"/>");
    for (k, line) in lay.caption.iter().enumerate() {
        let _ = writeln!(
            o,
            "<text class=\"{}\" x=\"{}\" y=\"{}\">{}</text>",
            if k == 0 { "cap0" } else { "cap" },
            num(MARGIN),
            num(MARGIN + 13.0 + if k == 0 { 0.0 } else { 3.0 + 17.0 * k as f64 }),
            xml(line)
        );
    }
    let _ = writeln!(o, "<g transform=\"translate({} {})\">", num(dx), num(dy));

    o.push_str("<g class=\"cables\">\n");
    for cb in &lay.cables {
        let _ = writeln!(
            o,
            "<line class=\"cable\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"><title>{}</title></line>",
            num(cb.from.x),
            num(cb.from.y),
            num(cb.to.x),
            num(cb.to.y),
            xml(&cb.title)
        );
    }
    o.push_str("</g>\n<g class=\"nodes\">\n");
    for b in &lay.nodes {
        let r = b.rect;
        let ctr = r.center();
        let _ = writeln!(
            o,
            "<g><rect class=\"node\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"10\"/>",
            num(r.x0),
            num(r.y0),
            num(r.w()),
            num(r.h())
        );
        let mut y = r.y0 + PORT_H / 2.0 + 8.0;
        let _ = writeln!(
            o,
            "<text class=\"name\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            num(ctr.x),
            num(y + 15.0),
            xml(&b.name)
        );
        y += 22.0;
        let (key_w, block_w) = block_widths(&b.lines);
        let x = ctr.x - block_w / 2.0;
        let mut ruled = false;
        for l in &b.lines {
            if l.small && !ruled {
                let _ = writeln!(
                    o,
                    "<line class=\"rule\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>",
                    num(x),
                    num(y + 2.0),
                    num(x + block_w),
                    num(y + 2.0)
                );
                y += 6.0;
                ruled = true;
            }
            let (kc, vc, adv) = if l.small {
                ("skey", "sval", 14.0)
            } else {
                ("key", "val", 16.0)
            };
            let base = y + if l.small { SMALL_SIZE } else { TEXT_SIZE };
            let _ = writeln!(
                o,
                "<text x=\"{}\" y=\"{}\"><tspan class=\"{kc}\">{}</tspan><tspan class=\"{vc}\" x=\"{}\">{}</tspan></text>",
                num(x),
                num(base),
                xml(&l.key),
                num(x + key_w),
                xml(&l.value)
            );
            y += adv;
        }
        o.push_str("</g>\n");
    }
    o.push_str("</g>\n<g class=\"ports\">\n");
    for p in &lay.ports {
        let r = p.rect;
        let ctr = r.center();
        let free = if p.cabled { "" } else { " free" };
        let _ = writeln!(
            o,
            "<g><title>{}</title><rect class=\"port{free}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"3\"/><text class=\"pname{free}\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text></g>",
            xml(&p.title),
            num(r.x0),
            num(r.y0),
            num(r.w()),
            num(r.h()),
            num(ctr.x),
            num(ctr.y + SMALL_SIZE * 0.35),
            xml(&p.name)
        );
    }
    o.push_str("</g>\n<g class=\"labels\">\n");
    for l in &lay.labels {
        let r = l.rect;
        let ctr = r.center();
        let cls = match l.kind {
            LabelKind::Cable => "lbl",
            LabelKind::Addr => "lbl addr",
        };
        let _ = writeln!(
            o,
            "<g><rect class=\"{cls}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"4\"/><text class=\"ltext\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text></g>",
            num(r.x0),
            num(r.y0),
            num(r.w()),
            num(r.h()),
            num(ctr.x),
            num(ctr.y + SMALL_SIZE * 0.35),
            xml(&l.text)
        );
    }
    o.push_str("</g>\n</g>\n</svg>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Source;

    const MS01: &str = include_str!("../../../examples/ms01-3node.toml");
    const RING5: &str = include_str!("../../../examples/ring-5node.toml");
    const STATIC3: &str = include_str!("../../../examples/static-3node.toml");

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
            format!("prefix {}", f.prefix),
            format!("MTU {}", f.mtu),
        ];
        for (i, n) in c.nodes().iter().enumerate() {
            facts.push(n.name.value.clone());
            facts.push(c.router_ips[i].to_string());
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
}
