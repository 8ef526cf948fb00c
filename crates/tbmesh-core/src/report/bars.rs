//! Throughput bars as inline SVG: one bar per cable, direction and stream
//! count, against the line rate when it is known.

use super::{arr, s};
use crate::diagram::xml;
use serde_json::Value;
use std::fmt::Write as _;

const ROW_H: f64 = 22.0;
const LABEL_W: f64 = 230.0;
const BAR_W: f64 = 420.0;
const VALUE_W: f64 = 150.0;

/// The bars of a bench document's `links`; the scale is the largest line
/// rate or figure, whichever is higher.
pub fn bars(bench: &Value) -> String {
    let rows = arr(bench, "links");
    let gbps = |r: &Value| r.pointer("/result/gbps").and_then(Value::as_f64);
    let line = |r: &Value| r.pointer("/line_rate/gbps").and_then(Value::as_f64);
    let scale = rows
        .iter()
        .flat_map(|r| [gbps(r), line(r)])
        .flatten()
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let height = ROW_H * rows.len() as f64 + 26.0;
    let width = LABEL_W + BAR_W + VALUE_W;
    let mut o = format!(
        "<svg class=\"bars\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"throughput per cable and direction\">\n"
    );
    for (k, r) in rows.iter().enumerate() {
        let y = 4.0 + ROW_H * k as f64;
        let label = format!(
            "{}:{} > {}:{} ×{}",
            s(r, "from"),
            s(r, "from_port"),
            s(r, "to"),
            s(r, "to_port"),
            r.get("streams").and_then(Value::as_u64).unwrap_or(0)
        );
        let flagged = !arr(r, "flags").is_empty();
        let cls = match (gbps(r), flagged) {
            (None, _) => "bar fail",
            (Some(_), true) => "bar warn",
            (Some(_), false) => "bar ok",
        };
        let w = gbps(r).unwrap_or(0.0) / scale * BAR_W;
        let _ = write!(
            o,
            "<text class=\"blabel\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LABEL_W - 8.0,
            y + 14.0,
            xml(&label)
        );
        let _ = write!(
            o,
            "<rect class=\"track\" x=\"{LABEL_W}\" y=\"{:.1}\" width=\"{BAR_W}\" height=\"16\" rx=\"3\"/>",
            y + 2.0
        );
        let _ = write!(
            o,
            "<rect class=\"{cls}\" x=\"{LABEL_W}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"16\" rx=\"3\"><title>{}</title></rect>",
            y + 2.0,
            xml(&label)
        );
        if let Some(l) = line(r) {
            let x = LABEL_W + l / scale * BAR_W;
            let _ = write!(
                o,
                "<line class=\"rate\" x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\"/>",
                y,
                y + 20.0
            );
        }
        let value = match (gbps(r), line(r)) {
            (Some(g), Some(l)) => format!("{g:.2} Gbit/s ({:.0}%)", g / l * 100.0),
            (Some(g), None) => format!("{g:.2} Gbit/s"),
            (None, _) => "failed".to_string(),
        };
        let _ = writeln!(
            o,
            "<text class=\"bvalue\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            LABEL_W + BAR_W + 8.0,
            y + 14.0,
            xml(&value)
        );
    }
    let _ = writeln!(
        o,
        "<text class=\"bscale\" x=\"{LABEL_W}\" y=\"{:.1}\">0</text><text class=\"bscale\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{scale:.1} Gbit/s</text>",
        height - 6.0,
        LABEL_W + BAR_W,
        height - 6.0
    );
    o.push_str("</svg>\n");
    o
}
