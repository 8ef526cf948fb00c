//! The figures against expectations: the line rate of each port's kind,
//! and flags for directions slower than their kind's median or with many
//! TCP retransmits.

use serde::Serialize;

/// What a port should carry.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum LineRate {
    /// A rate to compare with, and where it comes from.
    Known { gbps: f64, source: String },
    /// No meaningful rate (a lab veth, a port that reports no speed).
    Unknown { why: String },
}

impl LineRate {
    pub fn gbps(&self) -> Option<f64> {
        match self {
            LineRate::Known { gbps, .. } => Some(*gbps),
            LineRate::Unknown { .. } => None,
        }
    }
}

/// The expected line rate of a port from its driver (`ethtool -i`) and its
/// speed in Mbit/s (`/sys/class/net/<port>/speed`, absent or -1 if unknown).
pub fn line_rate(driver: &str, speed_mbps: Option<i64>) -> LineRate {
    match driver {
        "thunderbolt-net" | "thunderbolt_net" => LineRate::Known {
            gbps: 40.0,
            source: "thunderbolt-net: 40 Gbit/s nominal (about 26 reached in practice)".into(),
        },
        "veth" => LineRate::Unknown {
            why: "lab veth: no line rate".into(),
        },
        _ => match speed_mbps.filter(|s| *s > 0) {
            Some(s) => LineRate::Known {
                gbps: s as f64 / 1000.0,
                source: format!("{driver}: ethtool speed {s} Mb/s"),
            },
            None => LineRate::Unknown {
                why: format!("{driver}: no speed reported"),
            },
        },
    }
}

/// When a direction is flagged.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Thresholds {
    /// Below this fraction of the median of its kind (same driver, same
    /// stream count) is slow.
    pub slow_fraction: f64,
    /// More TCP retransmits than this per GB sent is flagged.
    pub retransmits_per_gb: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            slow_fraction: 0.7,
            retransmits_per_gb: 200.0,
        }
    }
}

/// A finding about one direction of one cable.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "flag", rename_all = "snake_case")]
pub enum Flag {
    Slow { gbps: f64, median: f64 },
    Retransmits { per_gb: f64 },
}

impl Flag {
    /// The finding in a few words, for a table cell.
    pub fn short(&self) -> String {
        match self {
            Flag::Slow { median, .. } => format!("slow (median {median:.1})"),
            Flag::Retransmits { per_gb } => format!("retransmits {per_gb:.0}/GB"),
        }
    }

    /// The finding and what to do about it.
    pub fn text(&self) -> String {
        match self {
            Flag::Slow { gbps, median } => format!(
                "slow: {gbps:.1} Gbit/s, below the median {median:.1} of its kind (a cable that negotiated 20 instead of 40 Gbit/s, or an asymmetric one)"
            ),
            Flag::Retransmits { per_gb } => format!(
                "{per_gb:.0} TCP retransmits per GB: try TSO off on the forwarding node (ethtool -K PORT tso off) and IRQ affinity to P-cores"
            ),
        }
    }
}

/// One measured direction, as evaluated: its kind (the port driver), its
/// stream count, and its figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    pub kind: String,
    pub streams: u32,
    pub gbps: f64,
    pub retransmits: u64,
    pub bytes: u64,
}

/// The flags of every run, in order.
pub fn evaluate(runs: &[Measured], th: &Thresholds) -> Vec<Vec<Flag>> {
    runs.iter()
        .map(|r| {
            let mut peers: Vec<f64> = runs
                .iter()
                .filter(|o| o.kind == r.kind && o.streams == r.streams)
                .map(|o| o.gbps)
                .collect();
            let mut flags = vec![];
            if let Some(median) = median(&mut peers) {
                if peers.len() >= 2 && r.gbps < th.slow_fraction * median {
                    flags.push(Flag::Slow {
                        gbps: r.gbps,
                        median,
                    });
                }
            }
            if r.bytes > 0 {
                let per_gb = r.retransmits as f64 / (r.bytes as f64 / 1e9);
                if per_gb > th.retransmits_per_gb {
                    flags.push(Flag::Retransmits { per_gb });
                }
            }
            flags
        })
        .collect()
}

fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(kind: &str, gbps: f64, retransmits: u64) -> Measured {
        Measured {
            kind: kind.into(),
            streams: 1,
            gbps,
            retransmits,
            bytes: 10_000_000_000,
        }
    }

    #[test]
    fn line_rates_by_kind() {
        assert_eq!(line_rate("thunderbolt-net", Some(-1)).gbps(), Some(40.0));
        assert_eq!(line_rate("veth", Some(10000)).gbps(), None);
        assert_eq!(line_rate("ixgbe", Some(10000)).gbps(), Some(10.0));
        assert_eq!(line_rate("virtio_net", Some(-1)).gbps(), None);
        assert_eq!(line_rate("virtio_net", None).gbps(), None);
    }

    #[test]
    fn a_slow_direction_and_retransmits_are_flagged() {
        let runs = vec![
            run("thunderbolt-net", 26.0, 0),
            run("thunderbolt-net", 25.5, 0),
            run("thunderbolt-net", 12.0, 0),
            run("thunderbolt-net", 26.3, 5000),
            run("veth", 5.0, 0),
        ];
        let flags = evaluate(&runs, &Thresholds::default());
        assert!(flags[0].is_empty() && flags[1].is_empty() && flags[4].is_empty());
        assert_eq!(
            flags[2],
            vec![Flag::Slow {
                gbps: 12.0,
                median: 25.75
            }]
        );
        assert_eq!(flags[3], vec![Flag::Retransmits { per_gb: 500.0 }]);
        assert_eq!(flags[3][0].short(), "retransmits 500/GB");
        assert!(flags[3][0].text().contains("TSO"));
    }
}
