//! Graphviz source: nodes as HTML-like tables with a cell per port on the
//! side that faces its peer, cables drawn port to port and labelled with the
//! link (and its /31s in static mode). Nodes are pinned where the SVG puts
//! them (a circle in spec order, the first at the top), so `dot -Tsvg` draws
//! a ring as a ring; drop the `pos` attributes to let Graphviz lay it out.

use super::geometry::Side;
use super::layout::{layout, Layout, PortBox};
use super::{is_static, xml};
use crate::topology::NodeIdx;
use crate::Cluster;
use std::fmt::Write as _;

/// Text escaped for the inside of a double-quoted DOT string.
fn dot_esc(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// A double-quoted DOT string.
pub(super) fn dot_str(s: &str) -> String {
    format!("\"{}\"", dot_esc(s))
}

/// The id of a port inside its node's HTML label (prefixed, so no port name
/// can be mistaken for a compass point such as `n` or `se`).
fn dot_port(port: &str) -> String {
    dot_str(&format!("p_{port}"))
}

/// The Graphviz source of the cluster's drawing.
pub fn dot(c: &Cluster) -> String {
    let s = &c.spec;
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
    for i in 0..s.nodes.len() {
        out.push_str(&node(c, &lay, i));
    }
    for l in 0..c.topology.links.len() {
        out.push_str(&edge(c, l));
    }
    out.push_str("}\n");
    out
}

/// One node: a table with the node's facts in the middle and its ports on
/// the sides that face their peers.
fn node(c: &Cluster, lay: &Layout, i: NodeIdx) -> String {
    let n = &c.spec.nodes[i];
    // Graphviz's boxes are a little larger than ours: spread the circle.
    let ctr = lay.nodes[i].rect.center();
    let inches = |v: f64| {
        let r = (v * 1.15 / 72.0 * 100.0).round() / 100.0 + 0.0;
        format!("{r:.2}")
    };
    let pos = format!("{},{}!", inches(ctr.x), inches(-ctr.y));
    let info = format!(
        "<TD><TABLE BORDER=\"0\" CELLSPACING=\"0\" CELLPADDING=\"2\"><TR><TD><FONT POINT-SIZE=\"14\"><B>{}</B></FONT></TD></TR><TR><TD><FONT FACE=\"Courier\">router {}</FONT></TD></TR><TR><TD><FONT FACE=\"Courier\">mgmt {}</FONT></TD></TR></TABLE></TD>",
        xml(&n.name),
        c.router_addr(i),
        xml(&n.host.to_string())
    );
    let mut out = String::new();
    let _ = writeln!(out, "  {} [pos=\"{pos}\", label=<", dot_str(&n.name));
    let _ = writeln!(
        out,
        "    <TABLE BORDER=\"1\" CELLBORDER=\"0\" CELLSPACING=\"2\" CELLPADDING=\"2\" STYLE=\"rounded\" BGCOLOR=\"#eef3fa\" COLOR=\"#2f5d8a\">"
    );
    let empty = || "<TD></TD>".to_string();
    if let Some(top) = side_cells(lay, i, Side::Top) {
        let _ = writeln!(out, "      <TR><TD></TD>{top}<TD></TD></TR>");
    }
    let left = side_cells(lay, i, Side::Left).unwrap_or_else(empty);
    let right = side_cells(lay, i, Side::Right).unwrap_or_else(empty);
    let _ = writeln!(out, "      <TR>{left}{info}{right}</TR>");
    if let Some(bottom) = side_cells(lay, i, Side::Bottom) {
        let _ = writeln!(out, "      <TR><TD></TD>{bottom}<TD></TD></TR>");
    }
    let _ = writeln!(out, "    </TABLE>>];");
    out
}

/// The ports on one side of node `i`, in order along the side, as a table
/// cell; `None` when that side has no port.
fn side_cells(lay: &Layout, i: NodeIdx, sd: Side) -> Option<String> {
    let mut cells: Vec<&PortBox> = lay
        .ports
        .iter()
        .filter(|p| p.node == i && p.side == sd)
        .collect();
    if cells.is_empty() {
        return None;
    }
    cells.sort_by(|a, b| {
        let (ka, kb) = match sd {
            Side::Top | Side::Bottom => (a.rect.x0, b.rect.x0),
            Side::Left | Side::Right => (a.rect.y0, b.rect.y0),
        };
        ka.total_cmp(&kb)
    });
    let inner: String = match sd {
        Side::Top | Side::Bottom => format!(
            "<TR>{}</TR>",
            cells.iter().map(|p| port_cell(p)).collect::<String>()
        ),
        Side::Left | Side::Right => cells
            .iter()
            .map(|p| format!("<TR>{}</TR>", port_cell(p)))
            .collect(),
    };
    Some(format!(
        "<TD><TABLE BORDER=\"0\" CELLSPACING=\"4\">{inner}</TABLE></TD>"
    ))
}

/// One port's cell (filled when cabled), named so edges can attach to it.
fn port_cell(p: &PortBox) -> String {
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
}

/// Cable `l` from port to port, labelled as written in fabric.links.
fn edge(c: &Cluster, l: usize) -> String {
    let link = &c.topology.links[l];
    let ls = &c.spec.fabric.links[l];
    let mut attrs = format!("label={}", dot_str(&format!(" {ls} ")));
    if is_static(c) {
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
    format!(
        "  {}:{} -- {}:{} [{attrs}];\n",
        dot_str(c.node_name(link.a.0)),
        dot_port(&link.a.1),
        dot_str(c.node_name(link.b.0)),
        dot_port(&link.b.1),
    )
}
