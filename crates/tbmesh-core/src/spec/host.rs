//! `host = "..."`: how tbmesh reaches a node over ssh. Only forms that every
//! resolver reads the same way are accepted: a canonical dotted-quad IPv4
//! address, a bracketed IPv6 address, or a DNS name, each with an optional
//! `:port`. `192.168.001.021` (octal to inet_aton: 192.168.1.17),
//! `167971596`, `10.11.12` or `0x0a.0x0b.0x0b.0x0c` are addresses in
//! disguise and are refused, saying what ssh would have connected to.

use super::model::Host;
use std::net::{Ipv4Addr, Ipv6Addr};

type Check<T> = Result<T, (String, String)>;

/// The port ssh uses when the host gives none.
pub const SSH_PORT: u16 = 22;
/// Longest DNS name (RFC 1035), without a trailing dot.
const NAME_MAX: usize = 253;
const LABEL_MAX: usize = 63;

fn hint() -> String {
    "write a DNS name, an IPv4 address as four decimal numbers (\"10.11.11.12\") or a bracketed IPv6 address (\"[fd00::12]\"), each optionally with :port".into()
}

pub fn parse_host(s: &str) -> Check<Host> {
    if let Some(rest) = s.strip_prefix('[') {
        return bracketed(s, rest);
    }
    if s.matches(':').count() > 1 {
        return Err((
            format!("host {s:?} looks like an IPv6 address without brackets"),
            "write an IPv6 address in brackets, like \"[fd00::12]\" or \"[fd00::12]:2222\"".into(),
        ));
    }
    let (addr, port) = match s.rsplit_once(':') {
        Some((a, p)) => (a, Some(port(p)?)),
        None => (s, None),
    };
    if let Some(numeric) = numeric_address(addr) {
        return match addr.parse::<Ipv4Addr>() {
            Ok(ip) if ip.is_unspecified() || ip.is_broadcast() || ip.is_multicast() => Err((
                format!("host {s:?} is not the address of one machine"),
                "give the node's management address".into(),
            )),
            Ok(ip) if ip.to_string() == addr => Ok(Host {
                addr: addr.to_string(),
                port,
            }),
            _ => Err((
                match numeric {
                    Some(ip) => format!(
                        "host {s:?} is not a canonical IPv4 address: ssh would read it as {ip}"
                    ),
                    None => format!("host {s:?} is not an IPv4 address (a number is over 255)"),
                },
                "write an IPv4 address as four decimal numbers from 0 to 255 without leading zeros, like \"192.168.1.21\"".into(),
            )),
        };
    }
    dns_name(addr).map_err(|why| (format!("host {s:?} is not a host name: {why}"), hint()))?;
    Ok(Host {
        addr: addr.to_ascii_lowercase(),
        port,
    })
}

fn bracketed(s: &str, rest: &str) -> Check<Host> {
    let bad = || {
        (
            format!("host {s:?} is not a bracketed IPv6 address"),
            "write it like \"[fd00::12]\" or \"[fd00::12]:2222\"".to_string(),
        )
    };
    let (inside, after) = rest.split_once(']').ok_or_else(bad)?;
    let port = match after {
        "" => None,
        p => Some(port(p.strip_prefix(':').ok_or_else(bad)?)?),
    };
    let ip: Ipv6Addr = inside.parse().map_err(|_| bad())?;
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Err((
            format!("host {s:?} is an IPv4 address written as IPv6"),
            format!("write it as \"{v4}\""),
        ));
    }
    Ok(Host {
        addr: ip.to_string(),
        port,
    })
}

fn port(p: &str) -> Check<u16> {
    let ok = !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit());
    match p.parse::<u16>() {
        Ok(n) if ok && n > 0 && !p.starts_with('0') => Ok(n),
        _ => Err((format!("{p:?} is not a port number (1-65535)"), hint())),
    }
}

/// Whether `addr` is made only of numbers the way inet_aton reads them
/// (decimal, 0-octal, 0x-hex; 1 to 4 parts): `Some(Some(ip))` with the
/// address ssh would use, `Some(None)` when a part is out of range, `None`
/// when it is not numeric (a name).
fn numeric_address(addr: &str) -> Option<Option<Ipv4Addr>> {
    let parts: Vec<&str> = addr.split('.').collect();
    let all_numeric = parts.iter().all(|p| {
        !p.is_empty()
            && (p.bytes().all(|b| b.is_ascii_digit())
                || p.strip_prefix("0x")
                    .or_else(|| p.strip_prefix("0X"))
                    .is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit())))
    });
    // A name whose last label is all digits is no DNS name either (no
    // top-level domain is numeric), so it is judged as an address.
    let last_numeric = parts
        .last()
        .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if !all_numeric && !last_numeric {
        return None;
    }
    if !all_numeric || parts.len() > 4 {
        return Some(None);
    }
    let values: Option<Vec<u64>> = parts.iter().map(|p| inet_aton_part(p)).collect();
    let Some(values) = values else {
        return Some(None);
    };
    // The last part fills the bytes the earlier parts leave.
    let (head, last) = values.split_at(values.len() - 1);
    let last_bits = 8 * (4 - head.len() as u32);
    if head.iter().any(|&v| v > 255) || last[0] >= 1u64 << last_bits {
        return Some(None);
    }
    let mut ip: u64 = 0;
    for (i, v) in head.iter().enumerate() {
        ip |= v << (24 - 8 * i);
    }
    ip |= last[0];
    Some(u32::try_from(ip).ok().map(Ipv4Addr::from))
}

fn inet_aton_part(p: &str) -> Option<u64> {
    if p.len() > 12 {
        return None;
    }
    if let Some(h) = p.strip_prefix("0x").or_else(|| p.strip_prefix("0X")) {
        if h.is_empty() {
            return Some(0);
        }
        return u64::from_str_radix(h, 16).ok();
    }
    if p.len() > 1 && p.starts_with('0') {
        return u64::from_str_radix(&p[1..], 8).ok();
    }
    p.parse().ok()
}

/// A DNS name: labels of letters, digits and inner '-', at most 63 each,
/// 253 in all; one trailing dot allowed.
fn dns_name(addr: &str) -> Result<(), String> {
    let name = addr.strip_suffix('.').unwrap_or(addr);
    if name.is_empty() {
        return Err("it is empty".into());
    }
    if name.len() > NAME_MAX {
        return Err(format!("it is longer than {NAME_MAX} characters"));
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Err("it has an empty label (two dots in a row)".into());
        }
        if label.len() > LABEL_MAX {
            return Err(format!("a label is longer than {LABEL_MAX} characters"));
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            return Err(format!("{c:?} is not a letter, digit or '-'"));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!("label {label:?} starts or ends with '-'"));
        }
    }
    Ok(())
}

impl Host {
    /// The form two hosts are compared in: lower case, no trailing dot, the
    /// port ssh would use (22 when none is given).
    pub fn normalized(&self) -> (String, u16) {
        (
            self.addr
                .strip_suffix('.')
                .unwrap_or(&self.addr)
                .to_ascii_lowercase(),
            self.port.unwrap_or(SSH_PORT),
        )
    }

    /// The address, when the host is an IPv4 literal.
    pub fn ipv4(&self) -> Option<Ipv4Addr> {
        self.addr.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Host {
        parse_host(s).unwrap_or_else(|e| panic!("{s}: {e:?}"))
    }

    #[test]
    fn accepts_canonical_forms() {
        assert_eq!(ok("10.11.11.12").port, None);
        assert_eq!(ok("n2.lan:2222").port, Some(2222));
        assert_eq!(ok("N2.Lan.").addr, "n2.lan.");
        assert_eq!(ok("[fd00::12]").addr, "fd00::12");
        assert_eq!(ok("[FD00:0::12]:2222").to_string(), "[fd00::12]:2222");
        assert_eq!(ok("pve-1").addr, "pve-1");
        assert_eq!(ok("a1.b2.c3").addr, "a1.b2.c3");
    }

    #[test]
    fn refuses_addresses_in_disguise_saying_where_ssh_would_go() {
        for (s, ssh_goes_to) in [
            ("192.168.001.021", Some("192.168.1.17")),
            ("010.011.011.012", Some("8.9.9.10")),
            ("10.11.12", Some("10.11.0.12")),
            ("167971596", Some("10.3.11.12")),
            ("0x0a.0x0b.0x0b.0x0c", Some("10.11.11.12")),
            ("10.11.11.256", None),
            ("1.2.3.4.5", None),
            ("n1.123", None),
        ] {
            let (msg, hint) = parse_host(s).expect_err(s);
            if let Some(ip) = ssh_goes_to {
                assert!(
                    msg.contains(&format!("ssh would read it as {ip}")),
                    "{s}: {msg}"
                );
            }
            assert!(hint.contains("four decimal numbers"), "{s}: {hint}");
        }
    }

    #[test]
    fn refuses_what_is_no_host() {
        for s in [
            "-oProxyCommand=x",
            "a b",
            "h:0",
            "h:022",
            "h:+22",
            "h:65536",
            "fd00::12",
            "[fd00::12",
            "[fd00::12]x",
            "[::ffff:10.1.1.1]",
            "a..b",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "-a.b",
            "a-.b",
            "",
            ".",
            "é.lan",
            &"a".repeat(64),
        ] {
            assert!(parse_host(s).is_err(), "{s:?} accepted");
        }
    }

    #[test]
    fn normalized_hosts_compare_equal() {
        let key = |s: &str| ok(s).normalized();
        assert_eq!(key("n1.lan"), key("N1.LAN."));
        assert_eq!(key("n1.lan"), key("n1.lan:22"));
        assert_ne!(key("n1.lan"), key("n1.lan:2222"));
        assert_eq!(key("[fd00::12]"), key("[fd00:0:0::12]:22"));
    }
}
