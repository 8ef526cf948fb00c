//! `failover-test --reboot NODE`: a clean `systemctl reboot` of one node
//! while every *other* node probes every router address (the rebooting
//! node cannot report, so it runs no prober); what the streams say.
//!
//! The streams between the other nodes give the longest gap their traffic
//! saw while the node went away and came back (on a ring it may have
//! routed through it); the streams towards the rebooting node give the
//! time until its routes were back: from the reboot until its router
//! address answered again, from every other node, for good: the end of
//! the last gap longer than [`ROUTES_OUTAGE`]. Not the 0.1 s of a cable
//! fault's `resumed`: on a loaded host a node's pings stall that long now
//! and then on their own (seen at load 40: every stream of one node at the
//! same moment, a minute after the routes were back).

use super::gaps::{self, Window};
use super::probe::{self, NodeProbes};
use super::table::PairResult;
use crate::topology::NodeIdx;
use crate::Cluster;

/// The node's boot id: a new one proves it rebooted.
pub const BOOT_ID: &str = "cat /proc/sys/kernel/random/boot_id";

/// A gap towards the rebooted node longer than this means its routes were
/// not (yet) back.
pub const ROUTES_OUTAGE: f64 = 1.0;

/// Seconds from the reboot script's `@@at` until `systemctl reboot` runs
/// (from a transient timer, so the ssh session ends first).
pub const DELAY: f64 = 1.0;

/// Says the boot id and the time (`@@boot`, `@@at`), then arms
/// `systemctl reboot` [`DELAY`] seconds later.
pub fn reboot_script() -> String {
    format!(
        "export LC_ALL=C\n\
         echo \"@@boot $({BOOT_ID})\"\n\
         echo \"@@at $(date +%s.%N)\"\n\
         systemd-run --quiet --on-active={DELAY} systemctl reboot || {{ echo '@@failed systemd-run could not arm the reboot'; exit 1; }}\n"
    )
}

/// What [`reboot_script`] said: the old boot id and when the reboot
/// starts (`@@at` + [`DELAY`]); `Err` with why not.
pub fn parse_reboot(out: &str) -> Result<(String, f64), String> {
    let mut boot = None;
    let mut at = None;
    for line in out.lines().map(str::trim) {
        if let Some(b) = line.strip_prefix("@@boot ") {
            boot = Some(b.trim().to_string()).filter(|b| !b.is_empty());
        } else if let Some(t) = line.strip_prefix("@@at ") {
            at = t.trim().parse::<f64>().ok();
        } else if let Some(f) = line.strip_prefix("@@failed ") {
            return Err(f.to_string());
        }
    }
    match (boot, at) {
        (Some(b), Some(t)) => Ok((b, t + DELAY)),
        _ => Err("the reboot script did not say its boot id and time".into()),
    }
}

/// The pairs of a reboot of `node`: every stream of every other node,
/// measured with the fault phase from the reboot to the end of probing
/// (the node going down and coming back are both in it; none is
/// `on_link`); and the routes back: seconds from the reboot until `node`'s
/// router address answered every other node with no gap over
/// [`ROUTES_OUTAGE`] to the end (`None` if one never did).
pub fn measure(
    c: &Cluster,
    node: NodeIdx,
    probes: &[(NodeIdx, &NodeProbes)],
    reboot_at: f64,
) -> (Vec<PairResult>, Option<f64>) {
    let mut v = vec![];
    let mut back = Some(0.0f64);
    for (i, p) in probes {
        let w = Window {
            start: p.start,
            fault: reboot_at,
            restore: p.end,
            end: p.end,
        };
        for (j, ip) in c.router_ips.iter().enumerate() {
            let Some(s) = p.streams.get(ip).filter(|_| j != *i) else {
                continue;
            };
            if j == node {
                let mut times: Vec<f64> = s.replies.iter().map(|e| e.at).collect();
                times.sort_by(f64::total_cmp);
                let r = gaps::resumed(&times, reboot_at, p.end, probe::INTERVAL, ROUTES_OUTAGE);
                back = back.zip(r).map(|(a, b)| a.max(b));
            }
            v.push(PairResult {
                from: c.node_name(*i).to_string(),
                to: c.node_name(j).to_string(),
                on_link: false,
                sent: s.sent,
                gaps: gaps::measure(&s.replies, &w, probe::INTERVAL),
                errors: s.errors.clone(),
            });
        }
    }
    if !v.iter().any(|p| p.to == c.node_name(node)) {
        back = None;
    }
    (v, back)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failover::probe::{Echo, Stream};
    use crate::failover::tests::lab3;

    fn stream(spans: &[(f64, f64)]) -> Stream {
        let mut s = Stream::default();
        for (a, b) in spans {
            let mut t = *a;
            while t < *b {
                s.replies.push(Echo {
                    at: t,
                    seq: 0,
                    ttl: Some(64),
                });
                t += 0.01;
            }
        }
        s
    }

    #[test]
    fn the_others_measure_each_other_and_the_way_back_to_the_node() {
        let c = lab3();
        // n4 reboots at 103; n2 and n3 probe each other (a 0.3 s gap at
        // 104) and n4: gone from 103.5, answering a moment at 120 (booting),
        // back for good at 140 from n2 and 141 from n3, where n3's pings
        // stall 0.5 s at 145 (a loaded host: not the routes).
        let ip = |i: usize| c.router_ips[i];
        let mut n2 = NodeProbes {
            start: 100.0,
            end: 150.0,
            ..Default::default()
        };
        n2.streams
            .insert(ip(1), stream(&[(100.0, 104.0), (104.3, 150.0)]));
        n2.streams.insert(
            ip(2),
            stream(&[(100.0, 103.5), (120.0, 120.5), (140.0, 150.0)]),
        );
        let mut n3 = n2.clone();
        n3.streams.remove(&ip(1));
        n3.streams.insert(ip(0), stream(&[(100.0, 150.0)]));
        n3.streams.insert(
            ip(2),
            stream(&[(100.0, 103.5), (141.0, 145.0), (145.5, 150.0)]),
        );
        let (v, back) = measure(&c, 2, &[(0, &n2), (1, &n3)], 103.0);
        assert_eq!(v.len(), 4);
        assert!(v.iter().all(|p| !p.on_link));
        let others = v.iter().filter(|p| p.to != "n4");
        let worst = others.map(|p| p.gaps.fault).fold(0.0, f64::max);
        assert!((worst - 0.30).abs() < 0.015, "{worst}");
        let back = back.expect("back");
        assert!((back - 38.0).abs() < 0.015, "{back}");
        // The cable-fault figure would take the stall for the routes.
        let n3_n4 = v
            .iter()
            .find(|p| p.from == "n3" && p.to == "n4")
            .expect("n3 > n4");
        assert!(n3_n4.gaps.resumed.expect("resumed") > 42.0, "{n3_n4:?}");
        // One node never heard from n4 again: not back.
        n3.streams.insert(ip(2), stream(&[(100.0, 103.5)]));
        assert_eq!(measure(&c, 2, &[(0, &n2), (1, &n3)], 103.0).1, None);
        // No stream towards n4 at all: not known to be back.
        n3.streams.remove(&ip(2));
        n2.streams.remove(&ip(2));
        assert_eq!(measure(&c, 2, &[(0, &n2), (1, &n3)], 103.0).1, None);
    }

    #[test]
    fn the_script_says_its_boot_and_time_before_the_reboot() {
        let s = reboot_script();
        let said = s.find("@@at").expect("at");
        let armed = s
            .find("systemd-run --quiet --on-active=1 systemctl reboot")
            .expect("armed");
        assert!(said < armed, "{s}");
        assert_eq!(
            parse_reboot("@@boot abc\n@@at 1000.5\n"),
            Ok(("abc".to_string(), 1001.5))
        );
        assert!(
            parse_reboot("@@boot abc\n@@failed systemd-run could not arm the reboot\n")
                .unwrap_err()
                .contains("systemd-run")
        );
        assert!(parse_reboot("").is_err());
    }
}
