//! The pure evaluation: the spec, the facts, the plan and the probes of
//! every node turned into [`Check`]s.

mod adjacency;
mod bfd;
mod context;
mod files;
mod ports;
mod reach;
mod units;

pub use context::Observed;

use self::adjacency::check_adjacencies;
use self::bfd::check_bfd;
use self::context::{link_states, mac_index, Ctx};
use self::files::check_files;
use self::ports::{check_peers, check_ports};
use self::reach::{check_hops, check_pings};
use self::units::check_units;
use crate::spec::FabricMode;
use crate::topology::NodeIdx;
use crate::verify::report::Report;
use crate::Cluster;

/// Turn what was seen on every node (in spec order) into checks.
pub fn evaluate(c: &Cluster, seen: &[Observed]) -> Report {
    let mut r = Report::default();
    let x = Ctx {
        c,
        seen,
        links: link_states(c, seen),
        macs: mac_index(c, seen),
    };
    if c.spec.fabric.mode.value == FabricMode::Static {
        r.notes.push(
            "adjacency: not checked, static routing has no OpenFabric (and no failover)".into(),
        );
    }
    let steps: [fn(&Ctx, NodeIdx, &mut Report); 8] = [
        check_ports,
        check_peers,
        check_adjacencies,
        check_bfd,
        check_pings,
        check_hops,
        check_units,
        check_files,
    ];
    for step in steps {
        for i in 0..c.nodes().len().min(seen.len()) {
            step(&x, i, &mut r);
        }
    }
    // By kind, then (stable) node and subject in the order they were made.
    r.checks.sort_by_key(|c| c.name);
    r
}
