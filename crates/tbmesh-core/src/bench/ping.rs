//! ping output: the round-trip time of every reply, summarised.

use serde::Serialize;

/// Round-trip times of one ping run, milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Latency {
    pub sent: u32,
    pub received: u32,
    pub min: f64,
    pub avg: f64,
    pub p99: f64,
    pub max: f64,
}

/// Reads `ping -n` output: every `time=X ms` reply line and the
/// `N packets transmitted, M received` summary. No reply at all is an error.
pub fn parse_ping(text: &str) -> Result<Latency, String> {
    let mut times: Vec<f64> = vec![];
    let mut counts = None;
    for line in text.lines() {
        if let Some(rest) = line.split(" time=").nth(1) {
            let v = rest.split_whitespace().next().unwrap_or("");
            let v: f64 = v
                .parse()
                .map_err(|_| format!("unreadable round-trip time in {line:?}"))?;
            times.push(v);
        }
        if line.contains(" packets transmitted, ") {
            let mut nums = line
                .split(|ch: char| !ch.is_ascii_digit())
                .filter(|s| !s.is_empty());
            let sent = nums.next().and_then(|s| s.parse().ok());
            let received = nums.next().and_then(|s| s.parse().ok());
            if let (Some(s), Some(r)) = (sent, received) {
                counts = Some((s, r));
            }
        }
    }
    let (sent, received) = counts.ok_or("ping printed no summary")?;
    if times.is_empty() {
        return Err(format!("no reply to {sent} ping(s)"));
    }
    times.sort_by(f64::total_cmp);
    let n = times.len();
    // Nearest rank.
    let rank = ((0.99 * n as f64).ceil() as usize).clamp(1, n);
    Ok(Latency {
        sent,
        received,
        min: times[0],
        avg: times.iter().sum::<f64>() / n as f64,
        p99: times[rank - 1],
        max: times[n - 1],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_captured_run_is_read() {
        let t = parse_ping(include_str!("testdata/ping-lab-df-65492.txt")).expect("parse");
        assert_eq!(t.sent, t.received);
        assert!(t.min <= t.avg && t.avg <= t.p99 && t.p99 <= t.max, "{t:?}");
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let mut text = String::new();
        for k in 1..=200 {
            text.push_str(&format!(
                "64 bytes from 10.0.0.1: icmp_seq={k} ttl=64 time={k}.0 ms\n"
            ));
        }
        text.push_str("200 packets transmitted, 200 received, 0% packet loss, time 2000ms\n");
        let t = parse_ping(&text).expect("parse");
        assert_eq!((t.min, t.p99, t.max), (1.0, 198.0, 200.0));
        assert!((t.avg - 100.5).abs() < 1e-9);
    }

    #[test]
    fn no_reply_is_an_error() {
        let text = "PING 10.100.0.13 (10.100.0.13) 65492(65520) bytes of data.\n\n--- 10.100.0.13 ping statistics ---\n3 packets transmitted, 0 received, 100% packet loss, time 2041ms\n";
        assert_eq!(
            parse_ping(text).expect_err("error"),
            "no reply to 3 ping(s)"
        );
    }
}
