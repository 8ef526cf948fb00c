//! Small, validated network value types: IPv4 and IPv6 prefixes and PCI
//! addresses.

use serde::Serialize;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// An IPv4 prefix such as `10.100.0.0/24`. The address is kept as written
/// (host bits may be set when it describes an interface address).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ipv4Net {
    pub addr: Ipv4Addr,
    pub len: u8,
}

impl Ipv4Net {
    pub fn new(addr: Ipv4Addr, len: u8) -> Option<Self> {
        (len <= 32).then_some(Ipv4Net { addr, len })
    }

    pub fn mask(&self) -> u32 {
        if self.len == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(self.len))
        }
    }

    pub fn network(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.addr) & self.mask())
    }

    pub fn broadcast(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.addr) | !self.mask())
    }

    /// The prefix with host bits cleared.
    pub fn trunc(&self) -> Ipv4Net {
        Ipv4Net {
            addr: self.network(),
            len: self.len,
        }
    }

    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & self.mask() == u32::from(self.network())
    }

    pub fn overlaps(&self, other: &Ipv4Net) -> bool {
        self.contains(other.network()) || other.contains(self.network())
    }

    /// Number of addresses in the prefix.
    pub fn size(&self) -> u64 {
        1u64 << (32 - u32::from(self.len))
    }

    /// Addresses usable by hosts: all but network and broadcast, except in
    /// /31 and /32 where every address is usable.
    pub fn hosts(&self) -> impl Iterator<Item = Ipv4Addr> {
        let net = u32::from(self.network());
        let last = u32::from(self.broadcast());
        let (first, last) = if self.len >= 31 {
            (net, last)
        } else {
            (net + 1, last - 1)
        };
        (first..=last).map(Ipv4Addr::from)
    }

    /// How many addresses [`hosts`](Self::hosts) yields, without walking them.
    pub fn host_count(&self) -> u64 {
        if self.len >= 31 {
            self.size()
        } else {
            self.size() - 2
        }
    }

    /// Is `ip` the network or broadcast address of a prefix with room for hosts?
    pub fn is_reserved(&self, ip: Ipv4Addr) -> bool {
        self.len < 31 && (ip == self.network() || ip == self.broadcast())
    }
}

impl fmt::Display for Ipv4Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

impl FromStr for Ipv4Net {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (addr, len) = s
            .split_once('/')
            .ok_or_else(|| format!("{s:?} has no prefix length (write it as a.b.c.d/len)"))?;
        let addr: Ipv4Addr = addr
            .parse()
            .map_err(|_| format!("{addr:?} is not an IPv4 address"))?;
        let len: u8 = len
            .parse()
            .ok()
            .filter(|l| *l <= 32)
            .ok_or_else(|| format!("prefix length {len:?} is not a number from 0 to 32"))?;
        Ok(Ipv4Net { addr, len })
    }
}

impl Serialize for Ipv4Net {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// An IPv6 prefix such as `fd00:100::/64` (address kept as written).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ipv6Net {
    pub addr: Ipv6Addr,
    pub len: u8,
}

impl Ipv6Net {
    pub fn mask(&self) -> u128 {
        if self.len == 0 {
            0
        } else {
            u128::MAX << (128 - u32::from(self.len))
        }
    }

    pub fn network(&self) -> Ipv6Addr {
        Ipv6Addr::from(u128::from(self.addr) & self.mask())
    }

    /// The prefix with host bits cleared.
    pub fn trunc(&self) -> Ipv6Net {
        Ipv6Net {
            addr: self.network(),
            len: self.len,
        }
    }

    pub fn contains(&self, ip: Ipv6Addr) -> bool {
        u128::from(ip) & self.mask() == u128::from(self.network())
    }

    pub fn overlaps(&self, other: &Ipv6Net) -> bool {
        self.contains(other.network()) || other.contains(self.network())
    }

    /// Addresses for hosts: every one but the all-zeros (subnet-router
    /// anycast) address, from the lowest up.
    pub fn hosts(&self) -> impl Iterator<Item = Ipv6Addr> {
        let net = u128::from(self.network());
        let last = net | !self.mask();
        (net.saturating_add(1)..=last).map(Ipv6Addr::from)
    }

    /// How many addresses [`hosts`](Self::hosts) yields (saturating).
    pub fn host_count(&self) -> u64 {
        let bits = 128 - u32::from(self.len);
        if bits >= 64 {
            u64::MAX
        } else {
            (1u64 << bits) - 1
        }
    }
}

impl fmt::Display for Ipv6Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

impl FromStr for Ipv6Net {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (addr, len) = s
            .split_once('/')
            .ok_or_else(|| format!("{s:?} has no prefix length (write it as fd00:100::/64)"))?;
        let addr: Ipv6Addr = addr
            .parse()
            .map_err(|_| format!("{addr:?} is not an IPv6 address"))?;
        let len: u8 = len
            .parse()
            .ok()
            .filter(|l| *l <= 128)
            .ok_or_else(|| format!("prefix length {len:?} is not a number from 0 to 128"))?;
        Ok(Ipv6Net { addr, len })
    }
}

impl Serialize for Ipv6Net {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// An IPv4 or IPv6 prefix (Ceph networks, which follow the fabric's family).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpNet {
    V4(Ipv4Net),
    V6(Ipv6Net),
}

impl IpNet {
    /// The prefix with host bits cleared.
    pub fn trunc(&self) -> IpNet {
        match self {
            IpNet::V4(n) => IpNet::V4(n.trunc()),
            IpNet::V6(n) => IpNet::V6(n.trunc()),
        }
    }

    pub fn is_ipv6(&self) -> bool {
        matches!(self, IpNet::V6(_))
    }

    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        match (self, ip) {
            (IpNet::V4(n), std::net::IpAddr::V4(ip)) => n.contains(ip),
            (IpNet::V6(n), std::net::IpAddr::V6(ip)) => n.contains(ip),
            _ => false,
        }
    }

    /// Overlap of two prefixes of the same family (never across families).
    pub fn overlaps(&self, other: &IpNet) -> bool {
        match (self, other) {
            (IpNet::V4(a), IpNet::V4(b)) => a.overlaps(b),
            (IpNet::V6(a), IpNet::V6(b)) => a.overlaps(b),
            _ => false,
        }
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IpNet::V4(n) => n.fmt(f),
            IpNet::V6(n) => n.fmt(f),
        }
    }
}

impl FromStr for IpNet {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.contains(':') {
            s.parse().map(IpNet::V6)
        } else {
            s.parse().map(IpNet::V4)
        }
    }
}

impl Serialize for IpNet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A PCI address in the full form `0000:00:0d.2` (domain:bus:device.function).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PciAddr(String);

impl PciAddr {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PciAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for PciAddr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{s:?} is not a PCI address of the form 0000:00:0d.2");
        let (dbd, func) = s.rsplit_once('.').ok_or_else(bad)?;
        let parts: Vec<&str> = dbd.split(':').collect();
        let hex = |p: &str, n: usize| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit());
        let ok = parts.len() == 3
            && hex(parts[0], 4)
            && hex(parts[1], 2)
            && hex(parts[2], 2)
            && u8::from_str_radix(parts[2], 16).is_ok_and(|d| d < 32)
            && func.len() == 1
            && func.chars().all(|c| ('0'..='7').contains(&c));
        if ok {
            Ok(PciAddr(s.to_ascii_lowercase()))
        } else {
            Err(bad())
        }
    }
}

impl Serialize for PciAddr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_parts() {
        let n: Ipv4Net = "10.100.0.7/24".parse().expect("valid");
        assert_eq!(n.network(), Ipv4Addr::new(10, 100, 0, 0));
        assert_eq!(n.broadcast(), Ipv4Addr::new(10, 100, 0, 255));
        assert!(n.contains(Ipv4Addr::new(10, 100, 0, 200)));
        assert!(!n.contains(Ipv4Addr::new(10, 101, 0, 1)));
        assert_eq!(n.hosts().count(), 254);
        assert_eq!(n.host_count(), 254);
        let p31: Ipv4Net = "10.1.0.0/31".parse().expect("valid");
        assert_eq!(p31.hosts().count(), 2);
        assert_eq!(p31.host_count(), 2);
        assert!(!p31.is_reserved(Ipv4Addr::new(10, 1, 0, 0)));
    }

    #[test]
    fn prefix_errors() {
        assert!("10.0.0.0".parse::<Ipv4Net>().is_err());
        assert!("10.0.0.0/33".parse::<Ipv4Net>().is_err());
        assert!("10.0.0/8".parse::<Ipv4Net>().is_err());
    }

    #[test]
    fn pci_addresses() {
        assert!("0000:00:0d.2".parse::<PciAddr>().is_ok());
        assert!("0000:00:0D.2".parse::<PciAddr>().is_ok());
        for bad in [
            "00:0d.2",
            "0000:00:0d.8",
            "0000:00:20.0",
            "0000:00:0d",
            "0000:0g:0d.1",
        ] {
            assert!(bad.parse::<PciAddr>().is_err(), "{bad}");
        }
    }
}
