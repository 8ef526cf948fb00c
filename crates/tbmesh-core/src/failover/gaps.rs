//! What a probe stream says about a fault case: the longest time without
//! an answer before the fault (the baseline: scheduling noise), while it is
//! in place, and after it is removed; when traffic resumed during the fault;
//! when the pair was back on its direct path after the restore.
//!
//! A gap is the time between two consecutive replies (or the start or end
//! of probing) less one probe interval, so a stream that loses nothing reads
//! about 0 and one lost probe about 10 ms. Reply times are the node's clock
//! (`ping -D`); the fault and restore times come from the faulted node's
//! clock (one clock in the lab; chrony-synchronised on a real cluster).

use super::probe::Echo;
use serde::Serialize;

/// The moments of one case, seconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    /// Probing started.
    pub start: f64,
    /// The fault was in place.
    pub fault: f64,
    /// The fault was removed.
    pub restore: f64,
    /// Probing ended.
    pub end: f64,
}

/// A gap longer than this during the fault counts as traffic stopping.
pub const OUTAGE: f64 = 0.1;

/// What one stream (one node probing one router address) showed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Gaps {
    /// Longest gap before the fault, seconds.
    pub baseline: f64,
    /// Longest gap that ended after the fault was in place and began before
    /// it was removed.
    pub fault: f64,
    /// Longest gap that began after the fault was removed.
    pub after: f64,
    /// Seconds from the fault until traffic flowed again (the end of the
    /// last gap over [`OUTAGE`] during the fault); 0 when it never stopped;
    /// `None` when it did not resume before the fault was removed.
    pub resumed: Option<f64>,
    /// Seconds from the restore until every reply came back with the TTL
    /// of before the fault (the path of before); `None` if not by the end.
    pub path_back: Option<f64>,
    pub received: usize,
}

/// Measure one stream of replies (in arrival order) against `w`.
pub fn measure(replies: &[Echo], w: &Window, interval: f64) -> Gaps {
    let mut times: Vec<f64> = replies
        .iter()
        .map(|e| e.at)
        .filter(|t| (w.start..=w.end).contains(t))
        .collect();
    times.sort_by(f64::total_cmp);
    let gap = |a: f64, b: f64| (b - a - interval).max(0.0);
    let mut points = vec![w.start];
    points.extend(&times);
    points.push(w.end);
    let (mut baseline, mut fault, mut after) = (0.0f64, 0.0f64, 0.0f64);
    for p in points.windows(2) {
        let (a, b) = (p[0], p[1]);
        let g = gap(a, b);
        if b <= w.fault {
            baseline = baseline.max(g);
        } else if a < w.restore {
            fault = fault.max(g);
        } else {
            after = after.max(g);
        }
    }
    let resumed = resumed(&times, w.fault, w.restore, interval, OUTAGE);
    Gaps {
        baseline,
        fault,
        after,
        resumed,
        path_back: path_back(replies, w),
        received: times.len(),
    }
}

/// Seconds from `from` until replies flowed for good before `to`: the end
/// of the last gap longer than `outage` between them; 0 when there was
/// none; `None` when the last one lasted until `to`. `times` sorted.
pub fn resumed(times: &[f64], from: f64, to: f64, interval: f64, outage: f64) -> Option<f64> {
    let mut during = vec![from];
    during.extend(times.iter().filter(|t| **t > from && **t < to));
    during.push(to);
    let last = during
        .windows(2)
        .rev()
        .find(|p| (p[1] - p[0] - interval).max(0.0) > outage);
    match last {
        None => Some(0.0),
        Some(p) if p[1] >= to => None,
        Some(p) => Some(p[1] - from),
    }
}

/// The most common TTL before the fault, then the first reply after the
/// restore from which on every reply has it.
fn path_back(replies: &[Echo], w: &Window) -> Option<f64> {
    let mut counts = std::collections::BTreeMap::new();
    for e in replies.iter().filter(|e| e.at < w.fault) {
        *counts.entry(e.ttl?).or_insert(0usize) += 1;
    }
    let ttl = counts.into_iter().max_by_key(|(_, n)| *n).map(|(t, _)| t)?;
    let after: Vec<&Echo> = replies.iter().filter(|e| e.at >= w.restore).collect();
    let first_of_run = after
        .iter()
        .rposition(|e| e.ttl != Some(ttl))
        .map_or(0, |i| i + 1);
    after.get(first_of_run).map(|e| e.at - w.restore)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reply every 10 ms from `from` to `to` (exclusive), with `ttl`.
    fn run(from: f64, to: f64, ttl: u8) -> Vec<Echo> {
        let mut v = vec![];
        let mut t = from;
        while t < to - 1e-9 {
            v.push(Echo {
                at: t,
                seq: 0,
                ttl: Some(ttl),
            });
            t += 0.01;
        }
        v
    }

    const W: Window = Window {
        start: 100.0,
        fault: 102.0,
        restore: 112.0,
        end: 120.0,
    };

    fn near(a: f64, b: f64) -> bool {
        (a - b).abs() < 0.002
    }

    #[test]
    fn a_clean_stream_has_no_gap() {
        let g = measure(&run(100.005, 120.0, 64), &W, 0.01);
        assert!(
            g.baseline < 0.002 && g.fault < 0.002 && g.after < 0.002,
            "{g:?}"
        );
        assert_eq!(g.resumed, Some(0.0));
        assert!(near(g.path_back.expect("back"), 0.005), "{g:?}");
    }

    #[test]
    fn a_reroute_is_a_gap_then_a_detour_then_the_path_back() {
        // Lost 102.00..102.15, detour (TTL 63) until 118, direct from then.
        let mut r = run(100.005, 102.0, 64);
        r.extend(run(102.155, 118.0, 63));
        r.extend(run(118.005, 120.0, 64));
        let g = measure(&r, &W, 0.01);
        assert!(near(g.fault, 0.15), "{g:?}");
        assert!(near(g.resumed.expect("resumed"), 0.155), "{g:?}");
        assert!(near(g.path_back.expect("back"), 6.005), "{g:?}");
    }

    #[test]
    fn a_black_hole_lasts_until_the_restore_and_never_resumes() {
        let mut r = run(100.005, 102.0, 64);
        r.extend(run(112.4, 120.0, 64));
        let g = measure(&r, &W, 0.01);
        assert!(near(g.fault, 10.395), "{g:?}");
        assert_eq!(g.resumed, None);
        assert!(g.after < 0.002, "{g:?}");
        assert!(near(g.path_back.expect("back"), 0.4), "{g:?}");
    }

    #[test]
    fn a_path_not_back_by_the_end_is_none() {
        let mut r = run(100.005, 102.0, 64);
        r.extend(run(102.2, 120.0, 63));
        assert_eq!(measure(&r, &W, 0.01).path_back, None);
        // A stream that never answered: every phase is one gap.
        let g = measure(&[], &W, 0.01);
        assert!(near(g.baseline, 0.0) && near(g.fault, 19.99), "{g:?}");
        assert_eq!((g.resumed, g.path_back, g.received), (None, None, 0));
    }
}
