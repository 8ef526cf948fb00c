//! The self-contained SVG drawn by tbmesh itself, from the layout: caption,
//! cables, node boxes, port tabs and labels, each drawn by its own function.
//! With states (for the report), nodes and cables are coloured ok / warn /
//! fail / unknown, carry their findings as tooltips, and a legend is added.

use super::geometry::{Pt, Rect};
use super::layout::{
    block_widths, layout, Label, LabelKind, Layout, NodeBox, PortBox, MARGIN, MONO, NAME_SIZE,
    PORT_H, SANS, SMALL_SIZE, TEXT_SIZE,
};
use super::state::{Mark, State, States};
use super::xml;
use crate::Cluster;
use std::fmt::Write as _;

/// A coordinate with one decimal, never `-0.0`.
pub(super) fn num(x: f64) -> String {
    let r = (x * 10.0).round() / 10.0 + 0.0;
    format!("{r:.1}")
}

/// The drawing of `tbmesh diagram --format svg`: nodes on a circle in spec
/// order (the first at the top, clockwise), ports on the side of each box
/// that faces the peer, cables port to port, and the caption on top.
pub fn svg(c: &Cluster) -> String {
    svg_with_states(c, &States::default())
}

/// The same drawing with nodes and cables coloured by `states`; with no
/// states it is byte for byte what `svg` draws.
pub fn svg_with_states(c: &Cluster, states: &States) -> String {
    let lay = layout(c);
    let legend = !states.is_empty();
    let frame = Frame::new(&lay, legend);
    let mut o = String::new();
    let _ = writeln!(
        o,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">",
        w = num(frame.width),
        h = num(frame.height)
    );
    let _ = writeln!(
        o,
        "<title>{}</title>",
        xml(&format!("tbmesh: {}", lay.caption[0]))
    );
    style(&mut o, legend);
    let _ = writeln!(o, "<rect class=\"bg\" width=\"100%\" height=\"100%\"/>");
    caption(&mut o, &lay.caption);
    if legend {
        draw_legend(&mut o, MARGIN + frame.caption_h - LEGEND_H + 4.0);
    }
    let _ = writeln!(
        o,
        "<g transform=\"translate({} {})\">",
        num(frame.dx),
        num(frame.dy)
    );
    o.push_str("<g class=\"cables\">\n");
    for (j, cb) in lay.cables.iter().enumerate() {
        cable(&mut o, cb.from, cb.to, &cb.title, states.cables.get(&j));
    }
    o.push_str("</g>\n<g class=\"nodes\">\n");
    for b in &lay.nodes {
        node(&mut o, b, states.nodes.get(&b.name));
    }
    o.push_str("</g>\n<g class=\"ports\">\n");
    for p in &lay.ports {
        port(&mut o, p);
    }
    o.push_str("</g>\n<g class=\"labels\">\n");
    for l in &lay.labels {
        label(&mut o, l);
    }
    o.push_str("</g>\n</g>\n</svg>\n");
    o
}

/// Height of the legend row under the caption.
const LEGEND_H: f64 = 20.0;

/// The canvas: its size, the caption's height and the shift that puts the
/// layout (centred on the origin) below the caption.
struct Frame {
    width: f64,
    height: f64,
    caption_h: f64,
    dx: f64,
    dy: f64,
}

impl Frame {
    fn new(lay: &Layout, legend: bool) -> Self {
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
            .map(|(k, l)| super::layout::mono_w(l, if k == 0 { 13.0 } else { TEXT_SIZE }))
            .fold(0.0, f64::max);
        let mut caption_h = 20.0 + 17.0 * lay.caption.len().saturating_sub(1) as f64 + 18.0;
        if legend {
            caption_h += LEGEND_H;
        }
        let content_w = bounds.w().max(caption_w);
        Frame {
            width: (content_w + 2.0 * MARGIN).ceil(),
            height: (MARGIN + caption_h + bounds.h() + MARGIN).ceil(),
            caption_h,
            dx: MARGIN + (content_w - bounds.w()) / 2.0 - bounds.x0,
            dy: MARGIN + caption_h - bounds.y0,
        }
    }
}

/// The style sheet; the state classes only when states are drawn.
fn style(o: &mut String, states: bool) {
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
         .ltext {{ font-size: {SMALL_SIZE}px; fill: #7a3a00; }}"
    );
    if states {
        o.push_str(
            ".cable.ok { stroke: #2e8b57; }\n\
             .cable.warn { stroke: #d99a00; stroke-width: 4; }\n\
             .cable.fail { stroke: #c62828; stroke-width: 4; stroke-dasharray: 9 5; }\n\
             .cable.unknown { stroke: #8a97a3; stroke-dasharray: 2 5; }\n\
             .node.ok { fill: #e9f6ee; stroke: #2e8b57; }\n\
             .node.warn { fill: #fff5d6; stroke: #d99a00; stroke-width: 2.5; }\n\
             .node.fail { fill: #fde7e7; stroke: #c62828; stroke-width: 3; }\n\
             .node.unknown { fill: #f1f3f5; stroke: #8a97a3; stroke-dasharray: 4 3; }\n\
             .sw.ok { fill: #2e8b57; } .sw.warn { fill: #d99a00; } .sw.fail { fill: #c62828; } .sw.unknown { fill: #8a97a3; }\n",
        );
    }
    o.push_str("</style>\n");
}

fn caption(o: &mut String, lines: &[String]) {
    for (k, line) in lines.iter().enumerate() {
        let _ = writeln!(
            o,
            "<text class=\"{}\" x=\"{}\" y=\"{}\">{}</text>",
            if k == 0 { "cap0" } else { "cap" },
            num(MARGIN),
            num(MARGIN + 13.0 + if k == 0 { 0.0 } else { 3.0 + 17.0 * k as f64 }),
            xml(line)
        );
    }
}

/// A row of coloured squares naming each state, its top at `y`.
fn draw_legend(o: &mut String, y: f64) {
    let mut x = MARGIN;
    let _ = write!(
        o,
        "<g class=\"legend\"><text class=\"cap\" x=\"{}\" y=\"{}\">state:</text>",
        num(x),
        num(y + 11.0)
    );
    x += super::layout::mono_w("state: ", TEXT_SIZE);
    for s in [State::Ok, State::Warn, State::Fail, State::Unknown] {
        let _ = write!(
            o,
            "<rect class=\"sw {w}\" x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" rx=\"2\"/><text class=\"cap\" x=\"{}\" y=\"{}\">{w}</text>",
            num(x),
            num(y + 1.0),
            num(x + 16.0),
            num(y + 11.0),
            w = s.word()
        );
        x += 16.0 + super::layout::mono_w(s.word(), TEXT_SIZE) + 14.0;
    }
    o.push_str("</g>\n");
}

/// The tooltip of a marked element: its own title, then its findings.
fn titled(title: &str, mark: Option<&Mark>) -> String {
    match mark {
        Some(m) if !m.notes.is_empty() => format!("{title}: {}", m.notes.join("; ")),
        _ => title.to_string(),
    }
}

/// The class list of an element, with its state when marked.
fn class(base: &str, mark: Option<&Mark>) -> String {
    match mark {
        Some(m) => format!("{base} {}", m.state.word()),
        None => base.to_string(),
    }
}

fn cable(o: &mut String, from: Pt, to: Pt, title: &str, mark: Option<&Mark>) {
    let _ = writeln!(
        o,
        "<line class=\"{}\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"><title>{}</title></line>",
        class("cable", mark),
        num(from.x),
        num(from.y),
        num(to.x),
        num(to.y),
        xml(&titled(title, mark))
    );
}

/// A node box: name, then its key/value lines (router, mgmt), a rule, and
/// one small line per port.
fn node(o: &mut String, b: &NodeBox, mark: Option<&Mark>) {
    let r = b.rect;
    let ctr = r.center();
    o.push_str("<g>");
    if mark.is_some() {
        let _ = write!(o, "<title>{}</title>", xml(&titled(&b.name, mark)));
    }
    let _ = writeln!(
        o,
        "<rect class=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"10\"/>",
        class("node", mark),
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

fn port(o: &mut String, p: &PortBox) {
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

fn label(o: &mut String, l: &Label) {
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
