//! The commented tbmesh.toml init writes. Values are encoded by toml_edit
//! (strings, inline tables), the layout and comments are ours; a test
//! loads every spec written here through the spec's own validation.

use crate::net::Ipv4Net;
use std::fmt::Write as _;
use toml_edit::{InlineTable, Value};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortOut {
    pub name: String,
    pub pci: Option<String>,
    /// The driver `.link` matches (written when not thunderbolt-net).
    pub driver: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskOut {
    pub path: String,
    /// The kernel name now (`nvme1n1`).
    pub kname: String,
    pub size: u64,
    pub serial: Option<String>,
    pub model: String,
    pub rotational: bool,
    /// Why it is not empty; empty: an OSD device.
    pub not_empty: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeOut {
    pub name: String,
    pub host: String,
    /// Comment lines above the node (versions, CPU, RAM, management).
    pub about: Vec<String>,
    pub ports: Vec<PortOut>,
    /// Candidate ports left out, with why.
    pub left_out: Vec<(String, String)>,
    pub disks: Vec<DiskOut>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecOut {
    /// Comment lines at the top (how it was made, problems found).
    pub header: Vec<String>,
    pub cluster: String,
    pub user: Option<String>,
    pub ssh_config: Option<String>,
    /// "pve-sdn" or "frr".
    pub mode: String,
    pub mode_why: String,
    pub prefix: Ipv4Net,
    /// "lo" in containers (no dummy interfaces), else none (the default).
    pub router_interface: Option<String>,
    /// `"n2:en05 -- n3:en05"` strings.
    pub links: Vec<String>,
    pub nodes: Vec<NodeOut>,
}

fn q(s: &str) -> String {
    Value::from(s).to_string().trim().to_string()
}

fn ports_value(ports: &[PortOut]) -> String {
    let mut t = InlineTable::new();
    for p in ports {
        let v: Value = match (&p.pci, p.driver.as_str()) {
            (Some(pci), "thunderbolt-net") => Value::from(pci.as_str()),
            (Some(pci), driver) => {
                let mut d = InlineTable::new();
                d.insert("pci", Value::from(pci.as_str()));
                d.insert("driver", Value::from(driver));
                d.fmt();
                Value::InlineTable(d)
            }
            (None, _) => Value::InlineTable(InlineTable::new()),
        };
        t.insert(&p.name, v);
    }
    t.fmt();
    t.to_string().trim().to_string()
}

/// Bytes as GB (decimal, as disks are sold).
pub fn size_words(bytes: u64) -> String {
    let gb = bytes as f64 / 1e9;
    if gb >= 1000.0 {
        format!("{:.1} TB", gb / 1000.0)
    } else {
        format!("{gb:.0} GB")
    }
}

fn disk_words(d: &DiskOut) -> String {
    let mut w = vec![];
    if !d.kname.is_empty() && !d.path.ends_with(&format!("/{}", d.kname)) {
        w.push(format!("now /dev/{}", d.kname));
    }
    w.push(size_words(d.size));
    if !d.model.is_empty() {
        w.push(d.model.clone());
    }
    w.push(
        if d.rotational {
            "rotational"
        } else {
            "solid state"
        }
        .into(),
    );
    if let Some(s) = &d.serial {
        w.push(format!("serial {s}"));
    }
    w.join(", ")
}

/// The spec text.
pub fn spec_text(s: &SpecOut) -> String {
    let mut t = String::new();
    for h in &s.header {
        let _ = writeln!(t, "# {h}");
    }
    t.push_str("\n[cluster]\n");
    let _ = writeln!(t, "name = {}", q(&s.cluster));
    if s.user.is_some() || s.ssh_config.is_some() {
        t.push_str("\n[ssh]\n");
        if let Some(u) = &s.user {
            let _ = writeln!(t, "user = {}", q(u));
        }
        if let Some(c) = &s.ssh_config {
            let _ = writeln!(t, "config = {}", q(c));
        }
    }
    t.push_str("\n[fabric]\nname = \"tb4\"\n");
    let _ = writeln!(t, "# {}", s.mode_why);
    let _ = writeln!(t, "mode = {}", q(&s.mode));
    t.push_str("# Router addresses (one /32 per node) come from here; chosen clear of every\n# address the nodes use now. MTU: tbmesh's default, 65520.\n");
    let _ = writeln!(t, "prefix = {}", q(&s.prefix.to_string()));
    if let Some(r) = &s.router_interface {
        t.push_str(
            "# The nodes are containers: no dummy interfaces, the router address goes on lo.\n",
        );
        let _ = writeln!(t, "router_interface = {}", q(r));
    }
    t.push_str("# The cables init found (IPv6 neighbour discovery or LLDP).\nlinks = [\n");
    for l in &s.links {
        let _ = writeln!(t, "  {},", q(l));
    }
    t.push_str("]\n");
    t.push_str(
        "\n# Ceph on the mesh: uncomment to let `tbmesh apply` build it (monitors,\n\
         # managers, OSDs on each node's osd_devices).\n\
         # [ceph]\n# public_network = \"fabric\"\n# cluster_network = \"fabric\"\n\
         # [ceph.pool]\n# name = \"cephtb4\"\n",
    );
    let hosts = s.prefix.hosts();
    for (n, ip) in s.nodes.iter().zip(hosts) {
        t.push('\n');
        for a in &n.about {
            let _ = writeln!(t, "# {a}");
        }
        t.push_str("[[node]]\n");
        let _ = writeln!(t, "name = {}", q(&n.name));
        let _ = writeln!(t, "host = {}", q(&n.host));
        let _ = writeln!(t, "router_ip = {}", q(&ip.to_string()));
        for (p, why) in &n.left_out {
            let _ = writeln!(t, "# port {p} left out: {why}");
        }
        let _ = writeln!(t, "ports = {}", ports_value(&n.ports));
        let (empty, used): (Vec<&DiskOut>, Vec<&DiskOut>) =
            n.disks.iter().partition(|d| d.not_empty.is_empty());
        for d in &empty {
            let _ = writeln!(t, "# {}: {} (empty)", d.path, disk_words(d));
        }
        for d in &used {
            let _ = writeln!(
                t,
                "# not {}: {}: {}",
                d.path,
                disk_words(d),
                d.not_empty.join("; ")
            );
        }
        if n.disks.is_empty() {
            t.push_str("# no disks found (loop devices and zram are never proposed)\n");
        }
        let devs: Vec<String> = empty.iter().map(|d| q(&d.path)).collect();
        let _ = writeln!(t, "osd_devices = [{}]", devs.join(", "));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Source;

    fn node(
        name: &str,
        host: &str,
        ports: &[(&str, Option<&str>)],
        disks: Vec<DiskOut>,
    ) -> NodeOut {
        NodeOut {
            name: name.into(),
            host: host.into(),
            about: vec![format!("{name}: Proxmox VE 9.0.3, kernel 6.14.8-2-pve")],
            ports: ports
                .iter()
                .map(|(n, pci)| PortOut {
                    name: (*n).into(),
                    pci: pci.map(str::to_string),
                    driver: "thunderbolt-net".into(),
                })
                .collect(),
            left_out: vec![],
            disks,
        }
    }

    fn disk(path: &str, not_empty: &[&str]) -> DiskOut {
        DiskOut {
            path: path.into(),
            kname: path.rsplit('/').next().unwrap_or("").into(),
            size: 2_000_398_934_016,
            serial: Some("S6XYZ".into()),
            model: "Samsung SSD 990 PRO \"2TB\"".into(),
            rotational: false,
            not_empty: not_empty.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn ring() -> SpecOut {
        let tb = [
            ("en05", Some("0000:00:0d.2")),
            ("en06", Some("0000:00:0d.3")),
        ];
        SpecOut {
            header: vec!["Written by `tbmesh init 10.11.11.12 ...`".into()],
            cluster: "homelab".into(),
            user: Some("root".into()),
            ssh_config: None,
            mode: "pve-sdn".into(),
            mode_why: "every node runs Proxmox VE".into(),
            prefix: "10.100.0.0/24".parse().expect("prefix"),
            router_interface: None,
            links: vec![
                "n2:en05 -- n4:en06".into(),
                "n2:en06 -- n3:en05".into(),
                "n3:en06 -- n4:en05".into(),
            ],
            nodes: vec![
                node(
                    "n2",
                    "10.11.11.12",
                    &tb,
                    vec![
                        disk("/dev/nvme1n1", &[]),
                        disk(
                            "/dev/nvme0n1",
                            &["it holds the root filesystem (boot disk)"],
                        ),
                    ],
                ),
                node("n3", "10.11.11.13", &tb, vec![disk("/dev/nvme1n1", &[])]),
                node("n4", "10.11.11.14", &tb, vec![]),
            ],
        }
    }

    fn load(text: &str) -> crate::Cluster {
        let src = Source::new("init.toml", text.to_string());
        match crate::spec::load(&src) {
            Ok((c, warnings)) => {
                assert!(warnings.is_empty(), "{warnings:?}\n{text}");
                c
            }
            Err(d) => panic!("{d:?}\n{text}"),
        }
    }

    #[test]
    fn the_spec_validates_and_says_what_it_found() {
        let text = spec_text(&ring());
        let c = load(&text);
        assert_eq!(c.nodes().len(), 3);
        assert_eq!(c.spec.fabric.links.len(), 3);
        assert_eq!(c.router_ips[0].to_string(), "10.100.0.1");
        assert_eq!(c.router_ips[2].to_string(), "10.100.0.3");
        let n2 = &c.nodes()[0];
        assert_eq!(
            n2.osd_devices
                .iter()
                .map(|d| d.value.as_str())
                .collect::<Vec<_>>(),
            vec!["/dev/nvme1n1"]
        );
        assert_eq!(
            n2.ports[0]
                .pci
                .as_ref()
                .map(|p| p.as_str().to_string())
                .as_deref(),
            Some("0000:00:0d.2")
        );
        assert!(text.contains("# not /dev/nvme0n1: 2.0 TB, Samsung SSD 990 PRO \"2TB\", solid state, serial S6XYZ: it holds the root filesystem (boot disk)"), "{text}");
        assert!(text.contains("# no disks found"));
        assert!(c.nodes()[2].osd_devices.is_empty());
    }

    #[test]
    fn veth_and_virtio_ports_are_written_so_tbmesh_reads_them_back() {
        let mut s = ring();
        s.mode = "frr".into();
        s.router_interface = Some("lo".into());
        s.ssh_config = Some("/var/lab/ssh_config".into());
        s.nodes[0].ports = vec![
            PortOut {
                name: "en05".into(),
                pci: None,
                driver: "veth".into(),
            },
            PortOut {
                name: "en06".into(),
                pci: None,
                driver: "veth".into(),
            },
        ];
        s.nodes[1].ports = vec![
            PortOut {
                name: "en05".into(),
                pci: Some("0000:00:04.0".into()),
                driver: "virtio_net".into(),
            },
            PortOut {
                name: "en06".into(),
                pci: Some("0000:00:05.0".into()),
                driver: "virtio_net".into(),
            },
        ];
        s.nodes[1].left_out = vec![("en07".into(), "no link (no carrier)".into())];
        let text = spec_text(&s);
        assert!(text.contains("ports = { en05 = {}, en06 = {} }"), "{text}");
        assert!(text.contains("# port en07 left out: no link (no carrier)"));
        let c = load(&text);
        let p = &c.nodes()[1].ports[0];
        assert_eq!(p.driver.as_str(), "virtio_net");
        assert!(c.nodes()[0].ports[0].pci.is_none());
        assert_eq!(c.spec.ssh.config.as_deref(), Some("/var/lab/ssh_config"));
    }
}
