//! What Proxmox VE itself writes on each node when a fabric is applied
//! (`pvesh set /cluster/sdn`), per pve-network version: previews for
//! `pve-sdn` mode that tbmesh never installs. The rules are FORMATS.md's
//! "Checked against Proxmox's source"; nothing here is Proxmox's code.

use super::fabric::frr_fabric_blocks;
use crate::Cluster;
use std::fmt::{self, Write};

/// The Proxmox VE release whose output is previewed, as the version of
/// libpve-network-perl (pve-network), which writes frr.conf and
/// interfaces.d/sdn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PveVersion {
    /// libpve-network-perl's version (major, minor, patch).
    pub network: (u32, u32, u32),
    /// How it was given: `9.1`, `network:1.2.5`, or the packages seen.
    pub label: String,
}

impl PveVersion {
    /// The default of `render --pve-version`: PVE 9.1 as released.
    pub const DEFAULT: &'static str = "9.1";

    /// `9.0`, `9.1`, `9.1.0`, `9.1.1` (a PVE release), or `network:X.Y.Z`
    /// (a libpve-network-perl version, for releases after 9.1.1).
    pub fn parse(s: &str) -> Result<Self, String> {
        if let Some(v) = s.strip_prefix("network:") {
            let network =
                version_triple(v).ok_or_else(|| format!("{v:?} is not a version like 1.2.5"))?;
            return Ok(PveVersion {
                network,
                label: s.to_string(),
            });
        }
        // FORMATS.md: 9.1.0-9.1.1 shipped pve-network 1.2.0-1.2.3 (1.2.3 is
        // taken); 9.0 predates 1.2 (1.1.0 is taken: only `< 1.2` matters).
        let network = match s {
            "9.0" | "9.0.0" | "9.0.1" | "9.0.2" | "9.0.3" => (1, 1, 0),
            "9.1" | "9.1.0" | "9.1.1" => (1, 2, 3),
            _ => {
                return Err(format!(
                    "unknown Proxmox VE version {s:?}: known are 9.0 and 9.1 (9.1.0-9.1.1); for a later one give its libpve-network-perl version as network:X.Y.Z"
                ))
            }
        };
        Ok(PveVersion {
            network,
            label: s.to_string(),
        })
    }

    /// From a node's packages: libpve-network-perl's version (`1.2.5`,
    /// `1.2.5~bpo1`), and pve-manager's for the label. `None` when the node
    /// has no pve-network (not Proxmox VE).
    pub fn from_packages(manager: Option<&str>, network: Option<&str>) -> Option<Self> {
        let n = network?;
        let triple = version_triple(n)?;
        Some(PveVersion {
            network: triple,
            label: match manager {
                Some(m) => format!("pve-manager {m}, libpve-network-perl {n}"),
                None => format!("libpve-network-perl {n}"),
            },
        })
    }

    /// The `frr version` line Proxmox writes: a constant of pve-network,
    /// not the installed FRR.
    pub fn frr_version(&self) -> &'static str {
        if self.network < (1, 2, 4) {
            "10.3.1"
        } else {
            "10.4.1"
        }
    }

    /// From pve-network 1.3.0 (templates): `!` before each block.
    fn bang_before(&self) -> bool {
        self.network >= (1, 3, 0)
    }

    /// From pve-network 1.2.5 the file ends with a newline.
    fn final_newline(&self) -> bool {
        self.network >= (1, 2, 5)
    }

    /// Before pve-network 1.2 (PVE 9.0) the fabric ports carried no address.
    fn ports_addressed(&self) -> bool {
        self.network >= (1, 2, 0)
    }
}

impl Default for PveVersion {
    fn default() -> Self {
        PveVersion::parse(PveVersion::DEFAULT).expect("the default version is known")
    }
}

impl fmt::Display for PveVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (a, b, c) = self.network;
        write!(f, "{} (pve-network {a}.{b}.{c})", self.label)
    }
}

/// `1.2.5`, `1.2.5-1`, `1:1.2.5~bpo` → (1, 2, 5).
fn version_triple(v: &str) -> Option<(u32, u32, u32)> {
    let v = v.split_once(':').map_or(v, |(_, r)| r);
    let end = v
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(v.len());
    let mut it = v[..end].split('.').map(|p| p.parse::<u32>());
    let a = it.next()?.ok()?;
    let b = it.next().unwrap_or(Ok(0)).ok()?;
    let c = it.next().unwrap_or(Ok(0)).ok()?;
    Some((a, b, c))
}

/// /etc/frr/frr.conf as Proxmox VE writes it for node `i`: no comment, its
/// own header and ending, the layout of the given pve-network version.
pub fn frr_conf(c: &Cluster, i: usize, v: &PveVersion) -> String {
    let mut s = format!(
        "frr version {}\nfrr defaults datacenter\nhostname {}\nlog syslog informational\nservice integrated-vtysh-config\n",
        v.frr_version(),
        c.node_name(i)
    );
    let blocks = frr_fabric_blocks(c, i);
    if v.bang_before() {
        for b in &blocks {
            let _ = write!(s, "!\n{b}");
        }
        s.push_str("!\nline vty\n!\n");
    } else {
        s.push_str("!\n");
        for b in &blocks {
            let _ = writeln!(s, "{b}!");
        }
        s.push_str("!\nline vty\n!");
        if v.final_newline() {
            s.push('\n');
        }
    }
    s
}

/// /etc/network/interfaces.d/sdn as Proxmox VE writes it for node `i`: the
/// dummy with the router /32, then the ports (addressed from 9.1).
pub fn interfaces_sdn(c: &Cluster, i: usize, v: &PveVersion) -> String {
    let f = &c.spec.fabric;
    let v4 = c.router_ips.get(i);
    let mut addrs = String::new();
    if let Some(ip) = v4 {
        let _ = writeln!(addrs, "\taddress {ip}/32");
    }
    if let Some(ip6) = c.router_ip6s.get(i) {
        let _ = writeln!(addrs, "\taddress {ip6}/128");
    }
    let forward = forward_lines(c, i);
    let mut stanzas = vec![format!(
        "auto {0}\niface {0} inet static\n{addrs}\tlink-type dummy\n{forward}",
        f.router_ifname()
    )];
    let mut ports: Vec<&str> = c.nodes()[i].ports.iter().map(|p| p.name.as_str()).collect();
    ports.sort_unstable();
    for p in ports {
        stanzas.push(match v4 {
            Some(router) if v.ports_addressed() => {
                format!("auto {p}\niface {p} inet static\n\taddress {router}/32\n{forward}")
            }
            // PVE 9.0, and IPv6-only fabrics: ports run on link-local
            // addresses, with no address of their own.
            _ => format!("auto {p}\niface {p}\n{forward}"),
        });
    }
    stanzas.join("\n")
}

/// ifupdown2's forwarding lines for the fabric's interfaces: `ip-forward 1`
/// with IPv4, `ip6-forward 1` on an IPv6-only fabric (dual stack keeps the
/// IPv4 shape; the sysctl enables IPv6 forwarding on all interfaces).
pub fn forward_lines(c: &Cluster, i: usize) -> &'static str {
    if c.router_ips.get(i).is_some() {
        "\tip-forward 1\n"
    } else {
        "\tip6-forward 1\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(PveVersion::parse("9.1").unwrap().network, (1, 2, 3));
        assert_eq!(PveVersion::parse("9.0").unwrap().network, (1, 1, 0));
        assert_eq!(
            PveVersion::parse("network:1.2.5").unwrap().network,
            (1, 2, 5)
        );
        assert!(PveVersion::parse("8.4").is_err());
        assert!(PveVersion::parse("network:x").is_err());
        let v = PveVersion::from_packages(Some("9.1.2"), Some("1.2.4")).unwrap();
        assert_eq!(v.frr_version(), "10.4.1");
        assert_eq!(version_triple("1:1.3.0~bpo1"), Some((1, 3, 0)));
        assert!(PveVersion::from_packages(Some("9.1.2"), None).is_none());
    }
}
