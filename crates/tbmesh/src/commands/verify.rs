//! `tbmesh verify`: check the cluster against the spec (reads hosts).

use crate::exit::{CmdResult, Fail};
use crate::printer::Printer;
use crate::session::HostOptions;
use std::path::Path;

pub fn run(_spec: Option<&Path>, _host: &HostOptions, _printer: &Printer) -> CmdResult {
    Err(Fail::failure(anyhow::anyhow!(
        "tbmesh verify is being written"
    )))
}
