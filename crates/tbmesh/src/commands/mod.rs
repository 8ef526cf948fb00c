//! One module per subcommand.

mod apply;
mod bench;
mod completions;
mod diagram;
pub mod failover_test;
pub mod init;
mod maintenance;
mod plan;
mod preflight;
mod reboot;
mod render;
mod report;
mod rollback;
pub mod status;
mod support_bundle;
mod validate;
mod verify;

use crate::cli::{Cli, Command};
use crate::exit::CmdResult;
use crate::printer::Printer;

pub fn run(cli: Cli, printer: &Printer) -> CmdResult {
    let spec = cli.spec.as_deref();
    let host = crate::session::HostOptions {
        accept_new_host_keys: cli.accept_new_host_keys,
    };
    let phases = |p: Vec<crate::cli::PhaseArg>| -> Vec<tbmesh_core::render::Phase> {
        p.into_iter().map(Into::into).collect()
    };
    match cli.command {
        Command::Plan { phases: p } => plan::run(spec, &phases(p), &host, printer),
        Command::Apply {
            phases: p,
            wipe_disks,
            confirm_timeout,
            verbose,
        } => apply::run(
            spec,
            &phases(p),
            &wipe_disks,
            confirm_timeout,
            verbose,
            &host,
            printer,
        ),
        Command::Verify { failed, mesh, save } => {
            verify::run(spec, failed, mesh, save, &host, printer)
        }
        Command::Report { out } => report::run(spec, &out, printer),
        Command::Bench {
            seconds,
            force,
            ceph,
        } => bench::run(
            spec,
            &bench::Options {
                seconds,
                force,
                ceph,
            },
            &host,
            printer,
        ),
        Command::FailoverTest(a) => failover_test::run(spec, &a, &host, printer),
        Command::Rollback { apply_id } => rollback::run(spec, apply_id.as_deref(), &host, printer),
        Command::Preflight => preflight::run(spec, &host, printer),
        Command::Status { watch } => status::run(spec, watch, &host, printer),
        Command::SupportBundle { out } => support_bundle::run(spec, out.as_deref(), &host, printer),
        Command::Maintenance { node, state } => {
            maintenance::run(spec, &node, state == crate::cli::OnOff::On, &host, printer)
        }
        Command::Reboot {
            rolling: _,
            nodes,
            timeout,
        } => reboot::run(spec, &reboot::Options { nodes, timeout }, &host, printer),
        Command::Init(a) => init::run(&a, &host, printer),
        Command::Validate => validate::run(spec, printer),
        Command::Diagram { format } => diagram::run(spec, format, printer),
        Command::Render { out, pve_version } => render::run(spec, &out, &pve_version, printer),
        Command::Lab { command } => lab(command, printer),
        Command::Completions { shell } => completions::run(shell, printer),
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
