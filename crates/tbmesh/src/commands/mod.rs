//! One module per subcommand.

mod validate;

use crate::cli::{Cli, Command};
use crate::exit::CmdResult;
use crate::printer::Printer;

pub fn run(cli: Cli, printer: &Printer) -> CmdResult {
    let spec = cli.spec.as_deref();
    match cli.command {
        Command::Validate => validate::run(spec, printer),
        Command::Render { .. } | Command::Diagram { .. } => Err(crate::exit::Fail::failure(
            anyhow::anyhow!("not implemented yet"),
        )),
    }
}
