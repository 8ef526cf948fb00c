//! The result of one fault case (what `--json` and the saved document hold
//! per case) and its rows in the terminal table.

use super::gaps::Gaps;
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
    /// `n2:en05 -- n3:en05`
    pub link: String,
    pub kind: &'static str,
    /// The faulted end, `n2:en05`.
    pub end: String,
    pub fault_secs: f64,
    pub pairs: Vec<PairResult>,
    /// `rados bench` during the fault (`--ceph`): the highest latency, s.
    pub ceph_max_latency: Option<f64>,
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
    /// The longest gap during the fault over every pair.
    pub fn worst(&self) -> f64 {
        self.pairs.iter().map(|p| p.gaps.fault).fold(0.0, f64::max)
    }

    pub fn ok(&self) -> bool {
        self.error.is_none() && self.restored && self.verify_ok
    }
}

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
    "CEPH MAX",
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
    let ceph = opt_secs(r.ceph_max_latency, "-");
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
    }
}
