//! The tbmesh command line: argument parsing, the printer, and the commands.
//! Everything pure lives in `tbmesh-core`; this crate is the effectful edge.

mod ceph;
mod cli;
pub mod cli_docs;
mod commands;
mod control_dir;
mod engine;
mod exit;
mod printer;
mod progress;
mod pve_api;
mod results;
mod session;
mod signals;
mod specfile;
mod transport;

use clap::Parser;
pub use cli::Shell;
use exit::ExitStatus;
use printer::Printer;
use std::process::ExitCode;

/// Run tbmesh with the process's arguments.
pub fn main() -> ExitCode {
    let args = match cli::Cli::try_parse() {
        Ok(args) => args,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitStatus::Success.into()
                }
                _ => ExitStatus::BadInput.into(),
            };
        }
    };
    let printer = Printer { json: args.json };
    match commands::run(args, &printer) {
        Ok(status) => status.into(),
        Err(fail) => {
            printer.note(format!("error: {:#}", fail.error));
            if let Some(hint) = &fail.hint {
                printer.note(format!("hint: {hint}"));
            }
            fail.status.into()
        }
    }
}
