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
    }
}
