//! `tbmesh diagram`: draw the topology (touches no host).

use crate::cli::DiagramFormat;
use crate::exit::{CmdResult, ExitStatus};
use crate::printer::Printer;
use crate::specfile;
use std::path::Path;
use tbmesh_core::diagram;

pub fn run(spec: Option<&Path>, format: DiagramFormat, printer: &Printer) -> CmdResult {
    let loaded = specfile::load(spec, printer)?;
    let c = &loaded.cluster;
    let text = match format {
        DiagramFormat::Ascii => diagram::ascii(c),
        DiagramFormat::Dot => diagram::dot(c),
        DiagramFormat::Svg => diagram::svg(c),
    };
    if printer.json {
        printer.json(
            &serde_json::json!({ "format": format!("{format:?}").to_lowercase(), "diagram": text }),
        );
    } else {
        printer.text(text);
    }
    Ok(ExitStatus::Success)
}
