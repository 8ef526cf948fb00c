//! Checks a node's facts against the spec before anything is changed.
//! Errors stop the apply on every node; warnings are printed.

use crate::facts::Facts;
use crate::spec::FabricMode;
use crate::Cluster;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub node: String,
    pub error: bool,
    pub message: String,
    pub hint: String,
}

pub fn check(c: &Cluster, i: usize, f: &Facts) -> Vec<Problem> {
    let node = &c.nodes()[i];
    let name = node.name.value.as_str();
    let mut v = vec![];
    let mut err = |error: bool, message: String, hint: &str| {
        v.push(Problem {
            node: name.to_string(),
            error,
            message,
            hint: hint.to_string(),
        })
    };
    if f.package("ifupdown2").is_none() {
        err(
            true,
            "ifupdown2 is not installed".into(),
            "install it: apt install ifupdown2 (Proxmox VE ships it)",
        );
    }
    if c.spec.fabric.mode.value != FabricMode::Static && f.package("frr").is_none() {
        err(
            true,
            "frr is not installed".into(),
            "install it: apt install frr frr-pythontools",
        );
    }
    let mode = c.spec.fabric.mode.value;
    if mode == FabricMode::PveSdn && f.package("pve-manager").is_none() {
        err(
            true,
            "mode pve-sdn needs Proxmox VE, and pve-manager is not installed".into(),
            "use mode = \"frr\" on plain Debian",
        );
    }
    if mode == FabricMode::PveSdn && f.hostname != name {
        err(
            true,
            format!("the node calls itself {:?}, the spec {name:?}", f.hostname),
            "SDN fabric nodes are PVE node names: make [[node]] name match `hostname`",
        );
    }
    // The management network is never touched.
    if let Ok(ip) = node.host.addr.parse::<std::net::Ipv4Addr>() {
        if let Some(mgmt) = f.interface_with(ip) {
            if node.port(&mgmt.name).is_some() {
                err(
                    true,
                    format!("port {} carries the management address {ip}", mgmt.name),
                    "tbmesh never touches the management network: declare only the mesh ports",
                );
            }
        }
    }
    for p in &node.ports {
        let present = f.interface(&p.name).is_some();
        match &p.pci {
            Some(pci) if !present && !f.pci_devices.iter().any(|d| d == pci.as_str()) => err(
                true,
                format!("port {} expects a controller at PCI {pci}, and there is none", p.name),
                "check the address with `lspci -D` and fix ports in the spec",
            ),
            None if !present => err(
                true,
                format!("port {} does not exist", p.name),
                "ports without pci must already carry their name: check `ip link`, or give pci = \"...\" to have it renamed",
            ),
            _ => {}
        }
        if let Some(iface) = f.interface(&p.name) {
            if let Some(other) = iface.addrs.iter().find(|a| {
                !c.spec.fabric.prefix.value.contains(a.addr)
                    && !c
                        .spec
                        .fabric
                        .link_prefix
                        .as_ref()
                        .is_some_and(|lp| lp.value.contains(a.addr))
            }) {
                err(
                    true,
                    format!("port {} carries {other}, outside the fabric", p.name),
                    "the port is in use for something else: free it, or pick another port",
                );
            }
        }
    }
    if f.hostname != name && mode != FabricMode::PveSdn {
        err(
            false,
            format!("the node calls itself {:?}, the spec {name:?}", f.hostname),
            "harmless for routing; Ceph names daemons after the spec's name",
        );
    }
    v
}
