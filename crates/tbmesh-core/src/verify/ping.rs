//! ping's output: replies and ICMP errors.

use serde::Serialize;

/// An echo reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reply {
    pub from: String,
    pub ttl: Option<u8>,
}

/// An ICMP error a router sent back (`Time to live exceeded`, `Frag
/// needed and DF set (mtu = 1500)`, `Destination Host Unreachable`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IcmpError {
    pub from: String,
    pub message: String,
}

/// What one `ping -n -c 1` printed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Ping {
    pub status: i32,
    pub replies: Vec<Reply>,
    pub errors: Vec<IcmpError>,
    /// Errors ping itself reports (`ping: sendmsg: Message too long`).
    pub local_errors: Vec<String>,
}

impl Ping {
    pub fn answered(&self) -> bool {
        !self.replies.is_empty()
    }

    /// Why there was no answer, in a few words.
    pub fn failure(&self) -> String {
        if let Some(e) = self.errors.first() {
            format!("{} from {}", e.message, e.from)
        } else if let Some(e) = self.local_errors.first() {
            e.clone()
        } else {
            "timed out".to_string()
        }
    }
}

/// Parse the output of `ping -n` (iputils), IPv4 or IPv6.
pub fn parse_ping(text: &str) -> Ping {
    let mut p = Ping::default();
    for line in text.lines().map(str::trim) {
        if let Some(rest) = line.split_once(" bytes from ").map(|(_, r)| r) {
            // `fe80::1%en05: icmp_seq=1 ttl=64 time=0.1 ms`: the address has colons.
            let Some((addr, tail)) = rest.split_once(": ") else {
                continue;
            };
            let from = addr.split('%').next().unwrap_or(addr).to_string();
            let ttl = tail
                .split_whitespace()
                .find_map(|w| w.strip_prefix("ttl="))
                .and_then(|t| t.parse().ok());
            p.replies.push(Reply { from, ttl });
        } else if let Some(rest) = line.strip_prefix("From ") {
            // `From 10.100.0.14 icmp_seq=1 Time to live exceeded`
            let mut words = rest.splitn(2, ' ');
            let from = words.next().unwrap_or("").trim_end_matches(':');
            let from = from.split('%').next().unwrap_or(from).to_string();
            let tail = words.next().unwrap_or("");
            let message = match tail.split_once(' ') {
                Some((seq, m)) if seq.starts_with("icmp_seq=") => m,
                _ => tail,
            }
            .trim()
            .to_string();
            p.errors.push(IcmpError { from, message });
        } else if let Some(e) = line.strip_prefix("ping: ") {
            p.local_errors.push(e.to_string());
        }
    }
    p
}
