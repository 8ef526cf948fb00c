//! The prober every node runs during a fault case: one `ping -D -i 0.01`
//! per other router address, from its own router address, for a fixed time;
//! and the parser of what it prints.

use crate::shell::shell_quote;
use crate::topology::NodeIdx;
use crate::Cluster;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::net::Ipv4Addr;

/// Seconds between probes (ping's smallest interval for root is 2 ms;
/// 10 ms keeps 8 nodes x 7 peers light).
pub const INTERVAL: f64 = 0.01;

/// The script node `i` runs: pings every other router address every
/// [`INTERVAL`] for `secs` seconds, all at once, then prints
/// `@@start <time>`, `@@end <time>` and one `@@probe <address>` section of
/// ping's output per address (replies timestamped with `-D`).
pub fn probe_script(c: &Cluster, i: NodeIdx, secs: u32) -> String {
    let targets: Vec<NodeIdx> = (0..c.router_ips.len()).filter(|j| *j != i).collect();
    probe_script_to(c, i, &targets, secs, None)
}

/// [`probe_script`] towards `targets` only; with `stop`, the pings also
/// end (with their summaries) as soon as that file exists
/// on the node, which the script removes when it ends. `secs` then only
/// bounds a run nobody stops (tbmesh gone).
pub fn probe_script_to(
    c: &Cluster,
    i: NodeIdx,
    targets: &[NodeIdx],
    secs: u32,
    stop: Option<&str>,
) -> String {
    let own = c.router_ips[i].to_string();
    let mut s = String::from("export LC_ALL=C\nd=$(mktemp -d) || exit 1\n");
    match stop {
        Some(f) => {
            let f = shell_quote(f);
            let _ = writeln!(s, "trap 'rm -rf \"$d\" {f}' EXIT");
        }
        None => s.push_str("trap 'rm -rf \"$d\"' EXIT\n"),
    }
    s.push_str("start=$(date +%s.%N)\npids=\n");
    let targets: Vec<String> = targets
        .iter()
        .filter(|j| **j != i)
        .map(|j| c.router_ips[*j].to_string())
        .collect();
    for (n, ip) in targets.iter().enumerate() {
        let _ = writeln!(
            s,
            "timeout -s INT {secs} ping -n -D -i {INTERVAL} -I {} {} >\"$d/{n}\" 2>&1 &\npids=\"$pids $!\"",
            shell_quote(&own),
            shell_quote(ip)
        );
    }
    if let Some(f) = stop {
        // timeout passes SIGINT on; ping prints its summary on it.
        let _ = writeln!(
            s,
            "while [ ! -e {f} ] && kill -0 $pids 2>/dev/null; do sleep 0.1; done\nkill -INT $pids 2>/dev/null",
            f = shell_quote(f)
        );
    }
    s.push_str("wait\nend=$(date +%s.%N)\necho \"@@start $start\"\necho \"@@end $end\"\n");
    for (n, ip) in targets.iter().enumerate() {
        let _ = writeln!(s, "echo '@@probe {ip}'\ncat \"$d/{n}\"");
    }
    s
}

/// One echo reply: when it arrived (node clock, seconds since the epoch),
/// its sequence number and TTL.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Echo {
    pub at: f64,
    pub seq: u32,
    pub ttl: Option<u8>,
}

/// What one ping printed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stream {
    pub replies: Vec<Echo>,
    /// From ping's summary line.
    pub sent: Option<u32>,
    /// ICMP errors and ping's own complaints, first few.
    pub errors: Vec<String>,
}

/// One node's probe run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeProbes {
    pub start: f64,
    pub end: f64,
    pub streams: BTreeMap<Ipv4Addr, Stream>,
}

/// Parse the output of [`probe_script`].
pub fn parse_probes(out: &str) -> Result<NodeProbes, String> {
    let mut p = NodeProbes::default();
    let (mut start, mut end) = (None, None);
    let mut current: Option<Ipv4Addr> = None;
    for line in out.lines().map(str::trim) {
        if let Some(t) = line.strip_prefix("@@start ") {
            start = t.trim().parse::<f64>().ok();
        } else if let Some(t) = line.strip_prefix("@@end ") {
            end = t.trim().parse::<f64>().ok();
        } else if let Some(a) = line.strip_prefix("@@probe ") {
            let ip: Ipv4Addr = a
                .trim()
                .parse()
                .map_err(|_| format!("bad probe address {a:?}"))?;
            p.streams.entry(ip).or_default();
            current = Some(ip);
        } else if let Some(ip) = current {
            let s = p.streams.entry(ip).or_default();
            parse_line(line, s);
        }
    }
    match (start, end) {
        (Some(a), Some(b)) if b >= a => {
            p.start = a;
            p.end = b;
            Ok(p)
        }
        _ => Err("not the output of tbmesh's failover prober (no @@start/@@end)".into()),
    }
}

fn parse_line(line: &str, s: &mut Stream) {
    // `[1764630000.123456] 64 bytes from 10.100.0.13: icmp_seq=1 ttl=64 time=0.046 ms`
    let (at, rest) = match line.strip_prefix('[').and_then(|l| l.split_once("] ")) {
        Some((t, rest)) => (t.parse::<f64>().ok(), rest),
        None => (None, line),
    };
    if rest.contains(" bytes from ") {
        let field = |name: &str| {
            rest.split_whitespace()
                .find_map(|w| w.strip_prefix(name))
                .map(str::to_string)
        };
        let seq = field("icmp_seq=").and_then(|v| v.parse().ok());
        let ttl = field("ttl=").and_then(|v| v.parse().ok());
        if let (Some(at), Some(seq)) = (at, seq) {
            s.replies.push(Echo { at, seq, ttl });
        }
    } else if let Some(n) = rest
        .split_once(" packets transmitted")
        .and_then(|(n, _)| n.trim().parse().ok())
    {
        s.sent = Some(n);
    } else if (rest.starts_with("From ") || rest.starts_with("ping: ")) && s.errors.len() < 5 {
        s.errors.push(rest.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failover::tests::lab3;

    #[test]
    fn the_script_pings_every_other_router_from_its_own() {
        let c = lab3();
        let s = probe_script(&c, 1, 17);
        assert!(
            s.contains("timeout -s INT 17 ping -n -D -i 0.01 -I 10.100.0.13 10.100.0.12 >\"$d/0\"")
        );
        assert!(
            !s.contains(" -w "),
            "ping's -w ends at the first ICMP error: {s}"
        );
        assert!(s.contains("-I 10.100.0.13 10.100.0.14 >\"$d/1\""));
        assert!(!s.contains(" 10.100.0.13 >"), "{s}");
        assert!(s.contains("echo '@@probe 10.100.0.14'\ncat \"$d/1\""));
    }

    #[test]
    fn a_stoppable_run_pings_only_its_targets_and_ends_on_the_stop_file() {
        let c = lab3();
        // n2 (index 0) towards n3 only: n4 reboots.
        let s = probe_script_to(&c, 0, &[1, 0], 600, Some("/run/x.stop"));
        assert!(
            s.contains(
                "timeout -s INT 600 ping -n -D -i 0.01 -I 10.100.0.12 10.100.0.13 >\"$d/0\""
            ),
            "{s}"
        );
        assert!(!s.contains("10.100.0.14"), "{s}");
        assert!(!s.contains("-I 10.100.0.12 10.100.0.12"), "{s}");
        assert!(
            s.contains("while [ ! -e /run/x.stop ] && kill -0 $pids"),
            "{s}"
        );
        assert!(s.contains("trap 'rm -rf \"$d\" /run/x.stop' EXIT"), "{s}");
        assert!(!probe_script(&c, 0, 5).contains("kill -INT"));
    }

    /// n2 pinging n3 and n4, line formats as the lab's ping (iputils
    /// 20240905) prints them with -D; times and counts made up.
    const CAPTURE: &str = "@@start 1764632000.000100
@@end 1764632001.020000
@@probe 10.100.0.13
PING 10.100.0.13 (10.100.0.13) from 10.100.0.12 : 56(84) bytes of data.
[1764632000.010123] 64 bytes from 10.100.0.13: icmp_seq=1 ttl=64 time=0.061 ms
[1764632000.020201] 64 bytes from 10.100.0.13: icmp_seq=2 ttl=64 time=0.048 ms
[1764632000.530000] From 10.100.0.14 icmp_seq=40 Destination Host Unreachable
[1764632000.800000] 64 bytes from 10.100.0.13: icmp_seq=80 ttl=63 time=0.071 ms

--- 10.100.0.13 ping statistics ---
100 packets transmitted, 3 received, +1 errors, 97% packet loss, time 1000ms
rtt min/avg/max/mdev = 0.048/0.060/0.071/0.009 ms
@@probe 10.100.0.14
PING 10.100.0.14 (10.100.0.14) from 10.100.0.12 : 56(84) bytes of data.
[1764632000.010500] 64 bytes from 10.100.0.14: icmp_seq=1 ttl=64 time=0.051 ms
";

    #[test]
    fn replies_errors_and_the_count_sent_are_read() {
        let p = parse_probes(CAPTURE).expect("parses");
        assert_eq!(p.start, 1764632000.0001);
        let s = &p.streams[&"10.100.0.13".parse::<Ipv4Addr>().expect("ip")];
        assert_eq!(s.replies.len(), 3);
        assert_eq!(
            s.replies[2],
            Echo {
                at: 1764632000.8,
                seq: 80,
                ttl: Some(63)
            }
        );
        assert_eq!(s.sent, Some(100));
        assert_eq!(
            s.errors,
            ["From 10.100.0.14 icmp_seq=40 Destination Host Unreachable"]
        );
        let s = &p.streams[&"10.100.0.14".parse::<Ipv4Addr>().expect("ip")];
        assert_eq!((s.replies.len(), s.sent), (1, None));
    }

    #[test]
    fn output_without_marks_is_refused() {
        assert!(parse_probes("bash: ping: command not found\n").is_err());
    }
}
