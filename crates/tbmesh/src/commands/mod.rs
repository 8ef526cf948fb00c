//! One module per subcommand.

mod diagram;
mod render;
mod validate;

use crate::cli::{Cli, Command};
use crate::exit::CmdResult;
use crate::printer::Printer;

pub fn run(cli: Cli, printer: &Printer) -> CmdResult {
    let spec = cli.spec.as_deref();
    match cli.command {
        Command::Validate => validate::run(spec, printer),
        Command::Diagram { format } => diagram::run(spec, format, printer),
        Command::Render { out } => render::run(spec, &out, printer),
        Command::Lab { command } => lab(command, printer),
    }
}

/// The lab reports its own progress and returns its exit code.
fn lab(command: tbmesh_lab::cli::LabCommand, printer: &Printer) -> CmdResult {
    use crate::exit::{ExitStatus, Fail};
    match tbmesh_lab::cli::run(command, printer.json) {
        Ok(0) => Ok(ExitStatus::Success),
        Ok(2) => Ok(ExitStatus::BadInput),
        Ok(_) => Ok(ExitStatus::Failure),
        Err(e) => Err(Fail::failure(e)),
    }
}
