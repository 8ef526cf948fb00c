//! Checks a node's facts against the spec before anything is changed.
//! Errors stop the apply on every node; warnings are printed.

use crate::facts::Facts;
use crate::spec::FabricMode;
use crate::Cluster;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub node: String,
    /// The check's name in `tbmesh preflight`'s table.
    pub check: &'static str,
    pub error: bool,
    pub message: String,
    pub hint: String,
}

fn mgmt_names(m: &[&crate::facts::Interface]) -> String {
    m.iter()
        .map(|i| i.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `addr` is in the interfaces file an earlier apply wrote: tbmesh's own
/// router or link address, which this apply's network phase replaces when
/// the spec's addresses change (a new prefix, or IPv6-only).
fn written_by_tbmesh(f: &Facts, addr: &crate::net::Ipv4Net) -> bool {
    match f.file("/etc/network/interfaces.d/tbmesh") {
        crate::facts::FileState::Present { content, .. } => content
            .lines()
            .any(|l| l.trim() == format!("address {addr}")),
        crate::facts::FileState::Absent => false,
    }
}

pub fn check(c: &Cluster, i: usize, f: &Facts) -> Vec<Problem> {
    let node = &c.nodes()[i];
    let name = node.name.value.as_str();
    let mut v = vec![];
    let mut management = vec![];
    let mut err = |error: bool, message: String, hint: &str| {
        v.push(Problem {
            node: name.to_string(),
            check: "apply preflight",
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
    // The management network is never touched: no port may be, or be
    // renamed from, an interface tbmesh reached the node through.
    let mgmt = f.management_interfaces(node.host.addr.parse().ok());
    for p in &node.ports {
        let by_name = mgmt.iter().find(|m| m.name == p.name.value);
        let by_pci = p.pci.as_ref().and_then(|pci| {
            mgmt.iter()
                .find(|m| m.pci.as_deref() == Some(&pci.as_str().to_ascii_lowercase()))
        });
        let by_mac = f
            .interface(&p.name)
            .and_then(|i| i.mac.as_deref())
            .and_then(|mac| {
                mgmt.iter().find(|m| {
                    m.name != p.name.value
                        && m.mac.as_deref() == Some(mac)
                        && mac != "00:00:00:00:00:00"
                })
            });
        let what = match (by_name, by_pci, by_mac) {
            (Some(m), _, _) => format!("port {} is the management interface {}", p.name, m.name),
            (_, Some(m), _) => format!(
                "port {} has PCI address {}, the management interface {}'s: the links phase would rename it",
                p.name,
                m.pci.as_deref().unwrap_or_default(),
                m.name
            ),
            (_, _, Some(m)) => format!(
                "port {} has the MAC address of the management interface {} (it carries management traffic)",
                p.name, m.name
            ),
            _ => continue,
        };
        management.push(Problem {
            node: name.to_string(),
            check: "management",
            error: true,
            message: format!("{what}; tbmesh reached the node through {}", mgmt_names(&mgmt)),
            hint: "tbmesh never touches the management network: declare only the mesh ports (check `ip route get` to this machine and `ethtool -i PORT` for the PCI address)".into(),
        });
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
                !written_by_tbmesh(f, a)
                    && !c
                        .spec
                        .fabric
                        .prefix
                        .as_ref()
                        .is_some_and(|p| p.value.contains(a.addr))
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
    v.extend(management);
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::parse;

    fn cluster(text: &str) -> Cluster {
        let src = crate::Source::new("tbmesh.toml", text);
        match crate::spec::load(&src) {
            Ok((c, _)) => c,
            Err(d) => panic!("the example does not load: {d:?}"),
        }
    }

    /// Gather output of an MS-01 whose management NIC (PCI 0000:02:00.0)
    /// sits in vmbr0 under another address than the spec's `host`, reached
    /// from 10.11.11.5; its TB controllers are 0000:00:0d.2 and 0d.3.
    fn gathered(extra_netdev: &str) -> String {
        let addrs = r#"[{"ifname":"lo","flags":["UP"],"mtu":65536,"address":"00:00:00:00:00:00","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8}]},
{"ifname":"enp2s0f0np0","flags":["UP","LOWER_UP"],"mtu":1500,"address":"58:47:ca:00:00:01","master":"vmbr0","addr_info":[]},
{"ifname":"vmbr0","flags":["UP","LOWER_UP"],"mtu":1500,"address":"58:47:ca:00:00:01","linkinfo":{"info_kind":"bridge"},"addr_info":[{"family":"inet","local":"192.168.7.20","prefixlen":24}]},
{"ifname":"en05","flags":["UP"],"mtu":65520,"address":"02:00:00:00:00:05","addr_info":[]},
{"ifname":"en06","flags":["UP"],"mtu":65520,"address":"02:00:00:00:00:06","addr_info":[]}]"#;
        format!(
            "@@tbmesh hostname\nn2\n@@tbmesh packages\nifupdown2 3.0.0 ii\nfrr 10.3-1 ii\npve-manager 9.0.3 ii\n@@tbmesh addrs\n{addrs}\n@@tbmesh pci\n0000:00:0d.2 0000:00:0d.3 0000:02:00.0\n@@tbmesh netdev\nenp2s0f0np0 /sys/devices/pci0000:00/0000:00:1c.0/0000:02:00.0\nvmbr0 \nen05 /sys/devices/pci0000:00/0000:00:0d.2/domain0/0-0/0-1/0-1.0\nen06 /sys/devices/pci0000:00/0000:00:0d.3/domain1/1-0/1-1/1-1.0\n{extra_netdev}@@tbmesh ssh\n10.11.11.5 50122 192.168.7.20 22\n@@tbmesh ssh-route\n10.11.11.5 via 192.168.7.1 dev vmbr0 src 192.168.7.20 uid 0 \\    cache\n"
        )
    }

    fn errors(spec: &str, out: &str) -> Vec<String> {
        let c = cluster(spec);
        let f = parse(out).expect("gather output parses");
        check(&c, 0, &f)
            .into_iter()
            .filter(|p| p.error)
            .map(|p| p.message)
            .collect()
    }

    const MS01: &str = include_str!("../../../examples/ms01-3node.toml");

    /// Issue 11: a port address outside the fabric is refused, unless the
    /// interfaces file of an earlier apply holds it (the fabric was
    /// renumbered, or made IPv6-only: the network phase replaces it).
    #[test]
    fn a_foreign_port_address_is_refused_and_tbmeshs_own_earlier_one_is_not() {
        use base64::Engine;
        let with_addr = gathered("").replace(
            r#"{"ifname":"en05","flags":["UP"],"mtu":65520,"address":"02:00:00:00:00:05","addr_info":[]}"#,
            r#"{"ifname":"en05","flags":["UP"],"mtu":65520,"address":"02:00:00:00:00:05","addr_info":[{"family":"inet","local":"10.200.0.12","prefixlen":32}]}"#,
        );
        assert_ne!(with_addr, gathered(""));
        let e = errors(MS01, &with_addr);
        assert_eq!(e, ["port en05 carries 10.200.0.12/32, outside the fabric"]);
        let file = |text: &str| {
            format!(
                "{with_addr}@@tbmesh file /etc/network/interfaces.d/tbmesh\n644 root root\n{}\n",
                base64::engine::general_purpose::STANDARD.encode(text)
            )
        };
        let own = file("auto en05\niface en05 inet static\n\taddress 10.200.0.12/32\n");
        assert_eq!(errors(MS01, &own), Vec::<String>::new());
        let other = file("auto en05\niface en05 inet static\n\taddress 10.200.0.13/32\n");
        assert_eq!(errors(MS01, &other).len(), 1);
    }

    #[test]
    fn item3_management_is_found_by_the_route_back_and_its_members() {
        let f = parse(&gathered("")).expect("parses");
        assert_eq!(f.connected_to.as_deref(), Some("192.168.7.20"));
        assert_eq!(f.route_back.as_deref(), Some("vmbr0"));
        let mut names: Vec<&str> = f
            .management_interfaces(None)
            .iter()
            .map(|i| i.name.as_str())
            .collect();
        names.sort_unstable();
        assert_eq!(names, ["enp2s0f0np0", "vmbr0"]);
        assert_eq!(
            f.interface("en05").and_then(|i| i.pci.as_deref()),
            Some("0000:00:0d.2")
        );
        assert_eq!(errors(MS01, &gathered("")), Vec::<String>::new());
    }

    #[test]
    fn item3_a_port_given_the_management_nics_pci_address_is_refused() {
        // The spec's host (10.11.11.12) is not on the node: only the route
        // back and SSH_CONNECTION say which NIC is management.
        let spec = MS01.replacen("en05 = \"0000:00:0d.2\"", "en05 = \"0000:02:00.0\"", 1);
        let e = errors(&spec, &gathered(""));
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].contains(
                "port en05 has PCI address 0000:02:00.0, the management interface enp2s0f0np0's"
            ),
            "{e:?}"
        );
    }

    #[test]
    fn item3_a_port_that_is_a_management_bridge_member_is_refused() {
        // The bridge member is called en05 (the spec's port name); the TB
        // controller's port is tb0 for now.
        let out = gathered("")
            .replace("\"ifname\":\"en05\"", "\"ifname\":\"tb0\"")
            .replace("en05 /sys", "tb0 /sys")
            .replace("enp2s0f0np0", "en05");
        let e = errors(MS01, &out);
        assert!(
            e.iter()
                .any(|m| m.contains("port en05 is the management interface en05")),
            "{e:?}"
        );
        // A port whose MAC is the management bridge's (it carries its traffic).
        let out = gathered("").replace("\"02:00:00:00:00:06\"", "\"58:47:ca:00:00:01\"");
        let e = errors(MS01, &out);
        assert!(
            e.iter()
                .any(|m| m.contains("port en06 has the MAC address of the management interface")),
            "{e:?}"
        );
    }
}
