//! `tbmesh init`: from nodes with nothing configured to a first spec. The
//! scripts the command runs on each node and their parsers ([`probe`]),
//! which port is cabled to which ([`cabling`]), and the commented
//! tbmesh.toml written from what was found ([`write`]). No I/O here.

pub mod assemble;
pub mod cabling;
pub mod naming;
pub mod probe;
pub mod write;
