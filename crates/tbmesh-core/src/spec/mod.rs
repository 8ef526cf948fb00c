//! The cluster spec (`tbmesh.toml`, v1): the model, its parser and its rules.
//!
//! [`parse`] turns text into a [`Spec`] (every value keeps the span it came
//! from, so later rules can point at it); [`validate`] checks the rules that
//! span several values and derives the topology and addresses.

mod host;
mod model;
mod parse;
pub mod pve_names;
mod validate;

pub use host::{parse_host, SSH_PORT};
pub use model::*;
pub use parse::parse;
pub use validate::{load, validate};
