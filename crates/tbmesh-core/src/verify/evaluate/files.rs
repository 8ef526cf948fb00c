//! Files tbmesh manages, as rendered.

use super::context::Ctx;
use crate::plan::Action;
use crate::topology::NodeIdx;
use crate::verify::report::{CheckKind, Report};

pub(crate) fn check_files(x: &Ctx, i: NodeIdx, r: &mut Report) {
    let (c, plan) = (x.c, x.seen[i].plan);
    let node = c.node_name(i);
    let mut changed = 0;
    for f in plan.files.iter().filter(|f| f.changes()) {
        changed += 1;
        let (detail, found) = match f.action {
            Action::Create => ("missing".to_string(), "absent".to_string()),
            Action::Update => {
                let (add, del) = f.diff.lines().fold((0, 0), |(a, d), l| {
                    if l.starts_with('+') && !l.starts_with("+++") {
                        (a + 1, d)
                    } else if l.starts_with('-') && !l.starts_with("---") {
                        (a, d + 1)
                    } else {
                        (a, d)
                    }
                });
                (
                    format!(
                        "differs from the spec (+{add} -{del} lines; `tbmesh plan` shows the diff)"
                    ),
                    "other content".to_string(),
                )
            }
            Action::Chmod => (
                format!("mode or owner differs: {}", f.diff.trim()),
                f.diff.trim().to_string(),
            ),
            Action::Unchanged => continue,
        };
        r.push(
            CheckKind::Files,
            node,
            &f.path,
            (false, format!("{} ({} phase): {detail}", f.path, f.phase)),
            "as rendered",
            found,
        );
    }
    if changed == 0 {
        let n = plan.files.len();
        r.push(
            CheckKind::Files,
            node,
            "managed files",
            (true, format!("{n} file(s) as rendered")),
            "as rendered",
            format!("{n} as rendered"),
        );
    }
}
