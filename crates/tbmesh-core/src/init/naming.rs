//! The names and addresses init proposes: node names from hostnames, port
//! names for ports renamed by PCI path, and a fabric prefix clear of the
//! addresses the nodes already use.

use crate::net::Ipv4Net;
use std::net::Ipv4Addr;

/// A spec node name from a hostname: its first label, with anything but
/// letters, digits, `-` and `_` replaced by `-`. `None` when nothing is left.
pub fn node_name(hostname: &str) -> Option<String> {
    let short = hostname.split('.').next().unwrap_or("");
    let name: String = short
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let name = name.trim_matches('-').to_string();
    (!name.is_empty()).then_some(name)
}

/// One candidate port of a node: its name now and its PCI address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Current {
    pub name: String,
    pub pci: Option<String>,
}

/// The spec name of each port, in the order given. Ports without a PCI
/// address (veths) keep their names: tbmesh cannot rename them. Ports at a
/// PCI address get `en05`, `en06`, ... in PCI address order (the names the
/// Proxmox Thunderbolt guides use), unless they all carry `enNN` names
/// already (renamed earlier): then those stay.
pub fn port_names(ports: &[Current]) -> Vec<String> {
    let renamed: Vec<&Current> = ports.iter().filter(|p| p.pci.is_some()).collect();
    let keep = renamed.iter().all(|p| is_en_name(&p.name));
    let mut order: Vec<usize> = (0..ports.len())
        .filter(|&i| ports[i].pci.is_some())
        .collect();
    order.sort_by(|&a, &b| (&ports[a].pci, &ports[a].name).cmp(&(&ports[b].pci, &ports[b].name)));
    let taken: Vec<&str> = ports
        .iter()
        .filter(|p| p.pci.is_none())
        .map(|p| p.name.as_str())
        .collect();
    let mut names: Vec<String> = ports.iter().map(|p| p.name.clone()).collect();
    if keep {
        return names;
    }
    let mut next = 5;
    for i in order {
        while taken.contains(&format!("en{next:02}").as_str()) {
            next += 1;
        }
        names[i] = format!("en{next:02}");
        next += 1;
    }
    names
}

fn is_en_name(n: &str) -> bool {
    n.len() == 4 && n.starts_with("en") && n[2..].chars().all(|c| c.is_ascii_digit())
}

/// The first of 10.100.0.0/24, 10.101.0.0/24, ... 10.254.0.0/24 that holds
/// none of `in_use` (the nodes' addresses outside the mesh ports, and the
/// hosts given).
pub fn fabric_prefix(in_use: &[Ipv4Addr]) -> Option<Ipv4Net> {
    (100u8..=254)
        .filter_map(|b| Ipv4Net::new(Ipv4Addr::new(10, b, 0, 0), 24))
        .find(|p| !in_use.iter().any(|a| p.contains(*a)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cur(name: &str, pci: Option<&str>) -> Current {
        Current {
            name: name.into(),
            pci: pci.map(str::to_string),
        }
    }

    #[test]
    fn node_names_are_short_hostnames_made_safe() {
        assert_eq!(node_name("pve1.lan").as_deref(), Some("pve1"));
        assert_eq!(node_name("node a").as_deref(), Some("node-a"));
        assert_eq!(node_name("...").as_deref(), None);
    }

    #[test]
    fn pci_ports_are_named_in_pci_order_and_veths_keep_their_names() {
        let p = [
            cur("thunderbolt1", Some("0000:00:0d.3")),
            cur("thunderbolt0", Some("0000:00:0d.2")),
        ];
        assert_eq!(port_names(&p), vec!["en06", "en05"]);
        let v = [cur("en05", None), cur("en06", None)];
        assert_eq!(port_names(&v), vec!["en05", "en06"]);
        // Already renamed by an earlier tbmesh (or by hand): kept.
        let r = [
            cur("en07", Some("0000:00:0d.2")),
            cur("en05", Some("0000:00:0d.3")),
        ];
        assert_eq!(port_names(&r), vec!["en07", "en05"]);
        // A veth named en05 beside a PCI port: the PCI port gets en06.
        let m = [cur("en05", None), cur("ens4", Some("0000:00:04.0"))];
        assert_eq!(port_names(&m), vec!["en05", "en06"]);
    }

    #[test]
    fn the_prefix_avoids_addresses_in_use() {
        let p = fabric_prefix(&["10.11.11.12".parse().expect("ip")]).expect("a prefix");
        assert_eq!(p.to_string(), "10.100.0.0/24");
        let p = fabric_prefix(&["10.100.0.12".parse().expect("ip")]).expect("a prefix");
        assert_eq!(p.to_string(), "10.101.0.0/24");
    }
}
