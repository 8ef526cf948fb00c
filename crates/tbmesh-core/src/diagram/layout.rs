//! Where everything goes: node boxes on a circle in spec order (the first at
//! the top, clockwise), ports on the side of each box that faces the peer,
//! cables port to port, and labels placed clear of boxes, ports and other
//! cables. `dot` and `svg` both draw from one `Layout`.

use super::geometry::{exit_point, spread, Pt, Rect, Side};
use super::{addr_text, caption, is_static, peer_ref, port_device};
use crate::topology::NodeIdx;
use crate::Cluster;
use std::fmt::Write as _;

pub(super) const MONO: &str = "DejaVu Sans Mono, Menlo, Consolas, monospace";
pub(super) const SANS: &str = "DejaVu Sans, Helvetica, Arial, sans-serif";
/// Advance of one character of the monospace fonts above, in em (generous).
pub(super) const MONO_EM: f64 = 0.61;
/// Average advance of a bold sans character, in em (generous).
pub(super) const SANS_BOLD_EM: f64 = 0.72;

pub(super) const NAME_SIZE: f64 = 16.0;
pub(super) const TEXT_SIZE: f64 = 12.0;
pub(super) const SMALL_SIZE: f64 = 11.0;
pub(super) const PORT_H: f64 = 18.0;
pub(super) const LABEL_H: f64 = SMALL_SIZE + 7.0;
pub(super) const MARGIN: f64 = 24.0;

pub(super) fn mono_w(s: &str, size: f64) -> f64 {
    s.chars().count() as f64 * MONO_EM * size
}

/// One line of text inside a node box: a key in grey and a value.
pub(super) struct NodeLine {
    pub key: String,
    pub value: String,
    pub small: bool,
}

pub(super) struct NodeBox {
    pub rect: Rect,
    pub name: String,
    pub lines: Vec<NodeLine>,
}

pub(super) struct PortBox {
    pub node: NodeIdx,
    pub name: String,
    pub device: String,
    pub side: Side,
    pub rect: Rect,
    pub cabled: bool,
    pub title: String,
}

pub(super) struct Cable {
    pub from: Pt,
    pub to: Pt,
    pub title: String,
}

impl Cable {
    pub fn at(&self, t: f64) -> Pt {
        Pt::new(
            self.from.x + (self.to.x - self.from.x) * t,
            self.from.y + (self.to.y - self.from.y) * t,
        )
    }

    pub fn len(&self) -> f64 {
        (self.to.x - self.from.x).hypot(self.to.y - self.from.y)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LabelKind {
    /// The cable as written in fabric.links, near its middle.
    Cable,
    /// The /31 of one end (static mode), near that end.
    Addr,
}

pub(super) struct Label {
    pub rect: Rect,
    pub text: String,
    pub kind: LabelKind,
}

/// Everything the SVG draws, in diagram coordinates (centre of the circle at
/// the origin).
pub(super) struct Layout {
    pub nodes: Vec<NodeBox>,
    pub ports: Vec<PortBox>,
    pub cables: Vec<Cable>,
    pub labels: Vec<Label>,
    pub caption: Vec<String>,
}

fn node_lines(c: &Cluster, i: NodeIdx) -> Vec<NodeLine> {
    let n = &c.nodes()[i];
    let mut lines = vec![
        NodeLine {
            key: "router".into(),
            value: c.router_addr(i).to_string(),
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
pub(super) fn block_widths(lines: &[NodeLine]) -> (f64, f64) {
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

/// The size every node box shares, and the width of a port tab.
struct Sizes {
    box_w: f64,
    box_h: f64,
    port_w: f64,
}

pub(super) fn layout(c: &Cluster) -> Layout {
    let n = c.nodes().len();
    let all_lines: Vec<Vec<NodeLine>> = (0..n).map(|i| node_lines(c, i)).collect();
    let sz = sizes(c, &all_lines);
    let centers = centers(c, &sz);
    let nodes: Vec<NodeBox> = all_lines
        .into_iter()
        .enumerate()
        .map(|(i, lines)| NodeBox {
            rect: Rect::centered(centers[i], sz.box_w, sz.box_h),
            name: c.nodes()[i].name.value.clone(),
            lines,
        })
        .collect();
    let (ports, anchors) = place_ports(c, &centers, &sz);
    let cables = cables(c, &centers, &anchors);
    let labels = labels(c, &cables, &nodes, &ports);
    Layout {
        nodes,
        ports,
        cables,
        labels,
        caption: caption(c),
    }
}

/// Box size, the same for every node.
fn sizes(c: &Cluster, all_lines: &[Vec<NodeLine>]) -> Sizes {
    let nodes = c.nodes();
    let port_w = nodes
        .iter()
        .flat_map(|nd| nd.ports.iter())
        .map(|p| mono_w(&p.name, SMALL_SIZE))
        .fold(0.0, f64::max)
        + 12.0;
    let text_w = nodes
        .iter()
        .zip(all_lines)
        .map(|(nd, lines)| {
            let name_w = nd.name.chars().count() as f64 * SANS_BOLD_EM * NAME_SIZE;
            name_w.max(block_widths(lines).1)
        })
        .fold(0.0, f64::max);
    let box_w = (text_w + port_w + 40.0).max(150.0);
    let max_ports = nodes.iter().map(|nd| nd.ports.len()).max().unwrap_or(0) as f64;
    let pad_y = PORT_H / 2.0 + 8.0;
    let box_h = pad_y + 22.0 + 2.0 * 16.0 + 6.0 + 14.0 * max_ports + pad_y - 2.0;
    Sizes {
        box_w,
        box_h,
        port_w,
    }
}

/// Node centres on a circle, the first at the top, clockwise. The radius
/// keeps adjacent nodes far enough apart for a cable label (and the two /31
/// labels in static mode) between them.
fn centers(c: &Cluster, sz: &Sizes) -> Vec<Pt> {
    let n = c.nodes().len();
    let cable_label_w = c
        .spec
        .fabric
        .links
        .iter()
        .map(|l| mono_w(&l.to_string(), SMALL_SIZE) + 10.0)
        .fold(0.0, f64::max);
    let addr_label_w = if is_static(c) {
        c.link_nets
            .iter()
            .flat_map(|(a, b)| [a, b])
            .map(|a| mono_w(&a.to_string(), SMALL_SIZE) + 10.0)
            .fold(0.0, f64::max)
    } else {
        0.0
    };
    let chord = sz.box_w + cable_label_w + 2.0 * addr_label_w + 80.0;
    let step = std::f64::consts::TAU / n.max(1) as f64;
    let radius = if n <= 1 {
        0.0
    } else {
        (chord / (2.0 * (step / 2.0).sin())).max(sz.box_h + 80.0)
    };
    (0..n)
        .map(|i| {
            let a = -std::f64::consts::FRAC_PI_2 + step * i as f64;
            Pt::new(radius * a.cos(), radius * a.sin())
        })
        .collect()
}

/// A port's place: node, index of the port in the node, side, offset along
/// the side from its middle.
type PortPlace = (NodeIdx, usize, Side, f64);

/// Ports on the side of the box that faces the peer (or faces outwards, when
/// a port has no cable), spread so they never overlap. Returns the port tabs
/// and, per node and port, the point where its cable starts.
fn place_ports(c: &Cluster, centers: &[Pt], sz: &Sizes) -> (Vec<PortBox>, Vec<Vec<Pt>>) {
    let nodes = c.nodes();
    let (hw, hh) = (sz.box_w / 2.0, sz.box_h / 2.0);
    let mut placed = port_sides(c, centers, hw, hh);
    spread_along_sides(&mut placed, sz);
    placed.sort_by_key(|q| (q.0, q.1));
    let mut ports: Vec<PortBox> = vec![];
    let mut anchors: Vec<Vec<Pt>> = nodes
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
        anchors[i][k] = at;
        ports.push(port_box(
            c,
            i,
            k,
            side,
            Rect::centered(at, sz.port_w, PORT_H),
        ));
    }
    (ports, anchors)
}

/// The side each port faces and its unspread offset, sorted by node, side
/// and offset.
fn port_sides(c: &Cluster, centers: &[Pt], hw: f64, hh: f64) -> Vec<PortPlace> {
    let mut placed: Vec<PortPlace> = vec![];
    for (i, nd) in c.nodes().iter().enumerate() {
        for (k, p) in nd.ports.iter().enumerate() {
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
    placed
}

/// Spreads the ports of each side of each box apart (`placed` is sorted by
/// node and side).
fn spread_along_sides(placed: &mut [PortPlace], sz: &Sizes) {
    let (hw, hh) = (sz.box_w / 2.0, sz.box_h / 2.0);
    let mut start = 0;
    while start < placed.len() {
        let (node, side) = (placed[start].0, placed[start].2);
        let end = placed[start..]
            .iter()
            .position(|q| q.0 != node || q.2 != side)
            .map_or(placed.len(), |e| start + e);
        let (gap, limit) = match side {
            Side::Top | Side::Bottom => (sz.port_w + 8.0, hw - sz.port_w / 2.0 - 10.0),
            Side::Left | Side::Right => (PORT_H + 6.0, hh - PORT_H / 2.0 - 10.0),
        };
        let mut offs: Vec<f64> = placed[start..end].iter().map(|q| q.3).collect();
        spread(&mut offs, gap, limit.max(0.0));
        for (q, o) in placed[start..end].iter_mut().zip(offs) {
            q.3 = o;
        }
        start = end;
    }
}

/// The tab of port `k` of node `i`, with its tooltip.
fn port_box(c: &Cluster, i: NodeIdx, k: usize, side: Side, rect: Rect) -> PortBox {
    let nd = &c.nodes()[i];
    let p = &nd.ports[k];
    let peer = peer_ref(c, i, &p.name);
    let mut title = format!("{}:{} ({})", nd.name, p.name, port_device(p));
    match &peer {
        Some(peer) => {
            let _ = write!(title, ", cable to {peer}");
        }
        None => title.push_str(", not cabled"),
    }
    if let Some(addr) = addr_text(c, i, &p.name) {
        let _ = write!(title, ", {addr}");
    }
    PortBox {
        node: i,
        name: p.name.value.clone(),
        device: port_device(p),
        side,
        rect,
        cabled: peer.is_some(),
        title,
    }
}

/// Every cable from port to port, in fabric.links order.
fn cables(c: &Cluster, centers: &[Pt], anchors: &[Vec<Pt>]) -> Vec<Cable> {
    let nodes = c.nodes();
    let port_anchor = |node: NodeIdx, port: &str| -> Pt {
        nodes[node]
            .ports
            .iter()
            .position(|p| p.name.value == port)
            .map_or(centers[node], |k| anchors[node][k])
    };
    c.topology
        .links
        .iter()
        .zip(&c.spec.fabric.links)
        .map(|(l, ls)| Cable {
            from: port_anchor(l.a.0, &l.a.1),
            to: port_anchor(l.b.0, &l.b.1),
            title: ls.to_string(),
        })
        .collect()
}

/// Labels: the /31s first (static mode), near their own end, then the cable
/// names near the middle.
fn labels(c: &Cluster, cables: &[Cable], boxes: &[NodeBox], ports: &[PortBox]) -> Vec<Label> {
    let mut labels: Vec<Label> = vec![];
    let obstacles: Vec<Rect> = boxes
        .iter()
        .map(|b| b.rect.grow(3.0))
        .chain(ports.iter().map(|p| p.rect.grow(3.0)))
        .collect();
    if is_static(c) {
        address_labels(c, cables, &obstacles, &mut labels);
    }
    let mid: Vec<f64> = (0..14)
        .map(|s| 0.5 + f64::from((s + 1) / 2) * 0.03 * if s % 2 == 0 { 1.0 } else { -1.0 })
        .collect();
    for (j, cb) in cables.iter().enumerate() {
        let rect = place_label(&cb.title, j, &mid, cables, &obstacles, &labels);
        labels.push(Label {
            rect,
            text: cb.title.clone(),
            kind: LabelKind::Cable,
        });
    }
    labels
}

/// The /31 of each cable end, near that end.
fn address_labels(c: &Cluster, cables: &[Cable], obstacles: &[Rect], labels: &mut Vec<Label>) {
    for (j, cb) in cables.iter().enumerate() {
        let Some((na, nb)) = c.link_nets.get(j) else {
            continue;
        };
        let len = cb.len().max(1.0);
        // Around a fifth of the way along: clear of the port, and away
        // from the labels of the neighbouring port's cable.
        let near = (0.2_f64).max((PORT_H + LABEL_H) / len);
        let ts: Vec<f64> = (0..24)
            .map(|s| near + f64::from((s + 1) / 2) * 0.015 * if s % 2 == 0 { 1.0 } else { -1.0 })
            .filter(|t| (0.02..0.4).contains(t))
            .collect();
        for (text, from_a) in [(na.to_string(), true), (nb.to_string(), false)] {
            let ts: Vec<f64> = ts
                .iter()
                .map(|&t| if from_a { t } else { 1.0 - t })
                .collect();
            let rect = place_label(&text, j, &ts, cables, obstacles, labels);
            labels.push(Label {
                rect,
                text,
                kind: LabelKind::Addr,
            });
        }
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
