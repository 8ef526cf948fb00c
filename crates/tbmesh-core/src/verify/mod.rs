//! Mesh verification (DESIGN.md, "Verification"): the probe script a node
//! runs, the parsers of what it prints, and the pure evaluation that turns
//! the spec, the facts, the plan and the probes into a list of [`Check`]s.
//!
//! A node answers in one round trip: every probe of its script runs in
//! parallel (neighbours on each port, DF pings at full MTU, TTL-limited
//! pings, the OpenFabric adjacencies, unit states) and prints a section.

mod evaluate;
mod expect;
mod frr;
mod ping;
mod probes;
mod report;
mod script;
mod sections;
mod system;
#[cfg(test)]
mod tests;

pub use evaluate::{evaluate, Observed};
pub use expect::{boot_units, full_size};
pub use frr::{parse_bfd_peers, parse_openfabric_neighbors, Adjacency, BfdPeer};
pub use ping::{parse_ping, IcmpError, Ping, Reply};
pub use probes::{parse_probes, PortNeighbours, Probes};
pub use report::{ceph_as_checks, Check, CheckKind, Report};
pub use script::probe_script;
pub use system::{parse_neigh, parse_route_get, parse_unit_show, Neighbour, Route, UnitState};
