//! The pure core of tbmesh: spec → topology → addresses → rendered files and
//! plans. Nothing here does I/O, spawns, sleeps or reads a clock, so the same
//! input always gives byte-identical output.

pub mod addressing;
pub mod bench;
pub mod bundle;
pub mod ceph;
pub mod cluster;
pub mod diag;
pub mod diagram;
pub mod facts;
pub mod failover;
pub mod init;
pub mod net;
pub mod plan;
pub mod preflight;
pub mod pve_sdn;
pub mod readiness;
pub mod render;
pub mod report;
pub mod script;
pub mod shell;
pub mod spec;
pub mod status;
pub mod topology;
pub mod trip;
pub mod verify;

pub use cluster::Cluster;
pub use diag::{Diagnostic, Severity, Source};

#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod proptests;
