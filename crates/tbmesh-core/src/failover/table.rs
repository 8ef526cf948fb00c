//! The result of one fault case (what `--json` and the saved document hold
//! per case) and its rows in the terminal table.

use super::gaps::Gaps;
use super::load::CephLoad;
use serde::Serialize;

/// One node probing one router address through a case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairResult {
    pub from: String,
    pub to: String,
    /// Whether this is one of the two directions between the faulted
    /// cable's ends.
    pub on_link: bool,
    pub sent: Option<u32>,
    #[serde(flatten)]
    pub gaps: Gaps,
    /// ICMP errors and ping's complaints, first few.
    pub errors: Vec<String>,
}

/// One fault case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseResult {
    /// `n2:en05 -- n3:en05`; `-` for a reboot.
    pub link: String,
    pub kind: &'static str,
    /// The faulted end, `n2:en05`; the node, for a reboot.
    pub end: String,
    /// How long the fault was in place; for a reboot, from the reboot
    /// until verify passed again (the end of probing).
    pub fault_secs: f64,
    pub pairs: Vec<PairResult>,
    /// The Ceph load during the case (`--ceph`): the highest latency of a
    /// client write, s (= `ceph.max_latency`).
    pub ceph_max_latency: Option<f64>,
    /// The Ceph load's figures (`--ceph`).
    pub ceph: Option<CephLoad>,
    /// Reboot: seconds from the reboot until the node answered ssh with a
    /// new boot id.
    pub node_back: Option<f64>,
    /// Reboot: seconds from the reboot until the node's router address
    /// answered every other node again.
    pub routes_back: Option<f64>,
    /// The fault was removed and its timer disarmed.
    pub restored: bool,
    /// `verify` passed again after the restore, and how long that took
    /// from the restore (seconds).
    pub verify_ok: bool,
    pub verify_after: Option<f64>,
    /// Why the case did not run or finish, if it did not.
    pub error: Option<String>,
}

impl CaseResult {
    /// A case not run yet: nothing measured, not restored.
    pub fn new(link: String, kind: &'static str, end: String, fault_secs: f64) -> Self {
        CaseResult {
            link,
            kind,
            end,
            fault_secs,
            pairs: vec![],
            ceph_max_latency: None,
            ceph: None,
            node_back: None,
            routes_back: None,
            restored: false,
            verify_ok: false,
            verify_after: None,
            error: None,
        }
    }

    /// The longest gap during the fault over every pair.
    pub fn worst(&self) -> f64 {
        self.pairs.iter().map(|p| p.gaps.fault).fold(0.0, f64::max)
    }

    pub fn ok(&self) -> bool {
        self.error.is_none()
            && self.restored
            && self.verify_ok
            && self.ceph.as_ref().is_none_or(|l| l.error.is_none())
    }

    /// Whether this is a `--reboot` case.
    pub fn is_reboot(&self) -> bool {
        self.kind == REBOOT
    }

    /// Pairs black-holed for the whole fault: traffic between the cable's
    /// ends that never resumed while it was in place; for a reboot, traffic
    /// between two other nodes that had not resumed by the end.
    pub fn black_holed(&self) -> Vec<&PairResult> {
        self.pairs
            .iter()
            .filter(|p| {
                if self.is_reboot() {
                    p.to != self.end
                } else {
                    p.on_link
                }
            })
            .filter(|p| p.gaps.resumed.is_none())
            .collect()
    }
}

/// The `kind` of a reboot case.
pub const REBOOT: &str = "reboot";

fn secs(s: f64) -> String {
    format!("{s:.2} s")
}

fn opt_secs(s: Option<f64>, none: &str) -> String {
    s.map_or_else(|| none.to_string(), secs)
}

/// The table's header.
pub const HEADER: [&str; 9] = [
    "LINK",
    "FAULT",
    "DIRECTION",
    "BASELINE",
    "LONGEST GAP",
    "RESUMED",
    "PATH BACK",
    "CEPH MAX STALL",
    "RESTORED",
];

/// Rows of one case: each direction between the cable's ends, then the
/// worst of every other pair.
pub fn rows(r: &CaseResult) -> Vec<[String; 9]> {
    let fault = format!("{} {}", r.end, r.kind);
    let restored = match (&r.error, r.restored, r.verify_ok) {
        (Some(e), _, _) => format!("FAILED: {e}"),
        (None, false, _) => "FAILED: fault not removed".into(),
        (None, true, false) => "FAILED: verify".into(),
        (None, true, true) => format!("ok, verify after {}", opt_secs(r.verify_after, "-")),
    };
    let ceph = match &r.ceph {
        Some(l) if l.error.is_some() => format!("{} (error)", opt_secs(l.max_latency, "-")),
        _ => opt_secs(r.ceph_max_latency, "-"),
    };
    if r.is_reboot() {
        return reboot_rows(r, &fault, &ceph, &restored);
    }
    let mut out: Vec<[String; 9]> = r
        .pairs
        .iter()
        .filter(|p| p.on_link)
        .map(|p| {
            [
                r.link.clone(),
                fault.clone(),
                format!("{} > {}", p.from, p.to),
                secs(p.gaps.baseline),
                if p.gaps.received == 0 {
                    "no answer".into()
                } else {
                    secs(p.gaps.fault)
                },
                opt_secs(p.gaps.resumed, "not during fault"),
                opt_secs(p.gaps.path_back, "not yet"),
                ceph.clone(),
                restored.clone(),
            ]
        })
        .collect();
    let others: Vec<&PairResult> = r.pairs.iter().filter(|p| !p.on_link).collect();
    if !others.is_empty() {
        let max = |f: fn(&Gaps) -> f64| others.iter().map(|p| f(&p.gaps)).fold(0.0, f64::max);
        let resumed: Option<Vec<f64>> = others.iter().map(|p| p.gaps.resumed).collect();
        out.push([
            r.link.clone(),
            fault.clone(),
            format!("{} other pairs", others.len()),
            secs(max(|g| g.baseline)),
            secs(max(|g| g.fault)),
            opt_secs(
                resumed.map(|v| v.into_iter().fold(0.0, f64::max)),
                "not during fault",
            ),
            "-".into(),
            ceph.clone(),
            restored.clone(),
        ]);
    }
    if r.pairs.is_empty() {
        out.push([
            r.link.clone(),
            fault,
            "-".into(),
            "-".into(),
            "-".into(),
            "-".into(),
            "-".into(),
            ceph,
            restored,
        ]);
    }
    out
}

/// A reboot's rows: every other node towards the rebooted one (LONGEST GAP
/// its outage, RESUMED the time until its routes were back), then the
/// worst of the pairs between the other nodes.
fn reboot_rows(r: &CaseResult, fault: &str, ceph: &str, restored: &str) -> Vec<[String; 9]> {
    let row = |dir: String, base: String, gap: String, resumed: String| {
        [
            r.link.clone(),
            fault.to_string(),
            dir,
            base,
            gap,
            resumed,
            "-".to_string(),
            ceph.to_string(),
            restored.to_string(),
        ]
    };
    let max =
        |v: &[&PairResult], f: fn(&Gaps) -> f64| v.iter().map(|p| f(&p.gaps)).fold(0.0, f64::max);
    let to: Vec<&PairResult> = r.pairs.iter().filter(|p| p.to == r.end).collect();
    let others: Vec<&PairResult> = r.pairs.iter().filter(|p| p.to != r.end).collect();
    let mut out = vec![];
    if !to.is_empty() {
        out.push(row(
            format!("others > {}", r.end),
            secs(max(&to, |g| g.baseline)),
            secs(max(&to, |g| g.fault)),
            opt_secs(r.routes_back, "not back"),
        ));
    }
    if !others.is_empty() {
        let resumed: Option<Vec<f64>> = others.iter().map(|p| p.gaps.resumed).collect();
        out.push(row(
            format!("{} other pairs", others.len()),
            secs(max(&others, |g| g.baseline)),
            secs(max(&others, |g| g.fault)),
            opt_secs(
                resumed.map(|v| v.into_iter().fold(0.0, f64::max)),
                "not by the end",
            ),
        ));
    }
    if out.is_empty() {
        out.push(row("-".into(), "-".into(), "-".into(), "-".into()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(from: &str, to: &str, on_link: bool, fault: f64, resumed: Option<f64>) -> PairResult {
        PairResult {
            from: from.into(),
            to: to.into(),
            on_link,
            sent: Some(1500),
            gaps: Gaps {
                baseline: 0.01,
                fault,
                after: 0.0,
                resumed,
                path_back: Some(1.2),
                received: 1400,
            },
            errors: vec![],
        }
    }

    #[test]
    fn a_case_is_two_directions_and_the_other_pairs() {
        let r = CaseResult {
            link: "n2:en05 -- n3:en05".into(),
            kind: "silent",
            end: "n2:en05".into(),
            fault_secs: 10.0,
            pairs: vec![
                pair("n2", "n3", true, 10.3, None),
                pair("n3", "n2", true, 10.2, None),
                pair("n2", "n4", false, 0.0, Some(0.0)),
                pair("n4", "n2", false, 0.02, Some(0.0)),
            ],
            ceph_max_latency: None,
            ceph: None,
            node_back: None,
            routes_back: None,
            restored: true,
            verify_ok: true,
            verify_after: Some(3.5),
            error: None,
        };
        let rows = rows(&r);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0][2], "n2 > n3");
        assert_eq!(rows[0][4], "10.30 s");
        assert_eq!(rows[0][5], "not during fault");
        assert_eq!(rows[2][2], "2 other pairs");
        assert_eq!(rows[2][4], "0.02 s");
        assert_eq!(rows[2][8], "ok, verify after 3.50 s");
        assert!((r.worst() - 10.3).abs() < 1e-9);
        assert!(r.ok());
        assert_eq!(
            r.black_holed().len(),
            2,
            "both directions of the silent cable"
        );
    }

    #[test]
    fn a_reboot_is_the_way_back_to_the_node_and_the_other_pairs() {
        let mut r = CaseResult {
            link: "-".into(),
            kind: REBOOT,
            end: "n4".into(),
            fault_secs: 60.0,
            pairs: vec![
                pair("n2", "n4", false, 37.0, Some(37.5)),
                pair("n3", "n4", false, 38.0, Some(38.5)),
                pair("n2", "n3", false, 0.3, Some(0.0)),
                pair("n3", "n2", false, 0.02, Some(0.0)),
            ],
            ceph_max_latency: Some(4.2),
            ceph: None,
            node_back: Some(12.0),
            routes_back: Some(38.5),
            restored: true,
            verify_ok: true,
            verify_after: Some(50.0),
            error: None,
        };
        let rows = rows(&r);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0][1], "n4 reboot");
        assert_eq!(rows[0][2], "others > n4");
        assert_eq!(rows[0][4], "38.00 s");
        assert_eq!(rows[0][5], "38.50 s");
        assert_eq!(rows[1][2], "2 other pairs");
        assert_eq!(rows[1][4], "0.30 s");
        assert_eq!(rows[1][7], "4.20 s");
        assert!(
            r.black_holed().is_empty(),
            "the node's own outage is no black hole"
        );
        r.pairs[2].gaps.resumed = None;
        assert_eq!(r.black_holed().len(), 1);
    }
}
