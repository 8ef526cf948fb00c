//! `tbmesh preflight`: is every node ready before anything changes? The
//! probe (what it reads beyond the facts) and the checks (pass / warn /
//! fail rows).

pub mod checks;
pub mod probe;

pub use checks::{rows, NodeInput, Row, Status};
