//! `tbmesh completions SHELL`: the shell completion script (touches no host).

use crate::cli::Shell;
use crate::cli_docs;
use crate::exit::{CmdResult, ExitStatus};
use crate::printer::Printer;

pub fn run(shell: Shell, printer: &Printer) -> CmdResult {
    let script = cli_docs::completion(shell);
    if printer.json {
        printer.json(&serde_json::json!({
            "shell": format!("{shell:?}").to_lowercase(),
            "script": script,
        }));
    } else {
        printer.text(script);
    }
    Ok(ExitStatus::Success)
}
