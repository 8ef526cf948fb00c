//! Units the mesh needs at boot.

use super::context::Ctx;
use crate::topology::NodeIdx;
use crate::verify::expect::boot_units;
use crate::verify::report::{CheckKind, Report};

pub(crate) fn check_units(x: &Ctx, i: NodeIdx, r: &mut Report) {
    let (c, p) = (x.c, x.seen[i].probes);
    let node = c.node_name(i);
    for u in boot_units(c) {
        let (ok, detail, found) = match p.units.get(u) {
            None => (false, "not probed".to_string(), "nothing".to_string()),
            Some(s) if s.load == "not-found" => (
                false,
                format!("{u} is not installed"),
                "not-found".to_string(),
            ),
            Some(s) => {
                let found = format!(
                    "{}, {}",
                    if s.file.is_empty() { "?" } else { &s.file },
                    s.active
                );
                if s.enabled() {
                    (true, found.clone(), found)
                } else {
                    (
                        false,
                        format!(
                            "{found}: it will not start at boot (`systemctl enable {u}`, or apply)"
                        ),
                        found,
                    )
                }
            }
        };
        r.push(CheckKind::Unit, node, u, (ok, detail), "enabled", found);
    }
}
