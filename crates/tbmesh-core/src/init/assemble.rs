//! From what the nodes said to the spec: which interfaces are candidate
//! mesh ports, which disks to look at, and — after the cabling probe — the
//! nodes, ports, cables, OSD devices and problems that [`super::write`]
//! turns into text.

use super::cabling::{self, Cabling, Known, Observed};
use super::naming::{self, Current};
use super::probe::{CablingSeen, Extra};
use super::write::{DiskOut, NodeOut, PortOut, SpecOut};
use crate::ceph::disks::DiskFacts;
use crate::facts::Facts;
use serde::Serialize;
use std::net::Ipv4Addr;

/// The first round trip's answer from one node.
#[derive(Debug, Clone)]
pub struct NodeRead {
    /// The host as given on the command line.
    pub host: String,
    pub facts: Facts,
    pub extra: Extra,
}

/// A candidate mesh port: an interface with one of the drivers asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    pub iface: String,
    pub mac: Option<String>,
    /// None for virtual interfaces (veths): they cannot be renamed by path.
    pub pci: Option<String>,
    pub driver: String,
}

impl NodeRead {
    /// An interface's driver: sysfs's, else its kind (veth, ...).
    pub fn driver(&self, iface: &str) -> String {
        let sys = self.extra.drivers.get(iface).cloned().unwrap_or_default();
        if !sys.is_empty() {
            return sys;
        }
        self.facts
            .interface(iface)
            .and_then(|i| i.kind.clone())
            .unwrap_or_default()
    }

    fn host_ip(&self) -> Option<std::net::IpAddr> {
        let h = crate::spec::parse_host(&self.host).ok()?;
        h.addr.trim_matches(|c| c == '[' || c == ']').parse().ok()
    }

    /// The management interfaces: what the ssh connection uses (never a
    /// mesh port).
    pub fn management(&self) -> Vec<String> {
        self.facts
            .management_interfaces(self.host_ip())
            .iter()
            .map(|i| i.name.clone())
            .collect()
    }

    /// Candidate ports (drivers in `drivers`, management left out), and the
    /// interfaces with such a driver that were left out, with why.
    pub fn candidates(&self, drivers: &[String]) -> (Vec<Candidate>, Vec<(String, String)>) {
        let mgmt = self.management();
        let mut c = vec![];
        let mut out = vec![];
        for i in &self.facts.interfaces {
            let d = self.driver(&i.name);
            if i.name == "lo" || !drivers.contains(&d) {
                continue;
            }
            if mgmt.contains(&i.name) {
                out.push((
                    i.name.clone(),
                    "the management interface (tbmesh reaches the node through it): never a mesh port".into(),
                ));
                continue;
            }
            if i.master.is_some() {
                out.push((
                    i.name.clone(),
                    format!(
                        "a member of {}: take it out of the bridge or bond first",
                        i.master.as_deref().unwrap_or("")
                    ),
                ));
                continue;
            }
            c.push(Candidate {
                iface: i.name.clone(),
                mac: i.mac.as_ref().map(|m| m.to_ascii_lowercase()),
                pci: i.pci.clone().filter(|_| i.kind.is_none()),
                driver: d,
            });
        }
        (c, out)
    }

    /// Whole disks to judge for OSDs (lsblk type `disk`: never loop
    /// devices, partitions, device-mapper volumes or zram), by their
    /// /dev/disk/by-id path where they have one (kernel names may change
    /// between boots), else by their kernel path.
    pub fn disk_paths(&self) -> Vec<String> {
        self.facts
            .block_devices
            .iter()
            .filter(|d| d.kind == "disk" && !d.name.starts_with("zram"))
            .map(|d| {
                self.extra
                    .by_id
                    .get(&d.name)
                    .and_then(|ids| super::probe::stable_path(ids))
                    .unwrap_or_else(|| d.path.clone())
            })
            .collect()
    }
}

/// One node after both round trips.
#[derive(Debug, Clone)]
pub struct NodeProbed {
    pub read: NodeRead,
    pub candidates: Vec<Candidate>,
    pub left_out: Vec<(String, String)>,
    pub seen: CablingSeen,
    pub disks: Vec<DiskFacts>,
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub user: Option<String>,
    pub ssh_config: Option<String>,
    pub cluster: Option<String>,
    /// How init was run, for the spec's first comment.
    pub command: String,
}

/// A port in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortReport {
    pub node: String,
    /// Its name now.
    pub iface: String,
    /// Its name in the spec.
    pub name: String,
    pub mac: Option<String>,
    pub pci: Option<String>,
    pub driver: String,
    pub carrier: bool,
    pub was_down: bool,
    /// `node:port` (spec names) at the other end, when cabled.
    pub peer: Option<String>,
    /// How the neighbour was found: lldp, neighbour-discovery, none.
    pub via: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProblemReport {
    pub node: String,
    pub port: String,
    pub message: String,
    pub hint: String,
}

#[derive(Debug, Clone)]
pub struct Found {
    pub spec: SpecOut,
    pub names: Vec<String>,
    pub ports: Vec<PortReport>,
    pub cabling: Cabling,
    pub problems: Vec<ProblemReport>,
}

/// Node names from the hostnames: an error names the two hosts that
/// would share one.
pub fn node_names(nodes: &[NodeRead]) -> Result<Vec<String>, String> {
    let mut names: Vec<String> = vec![];
    for n in nodes {
        let name = naming::node_name(&n.facts.hostname).ok_or_else(|| {
            format!(
                "{} calls itself {:?}, which makes no node name",
                n.host, n.facts.hostname
            )
        })?;
        if let Some(k) = names.iter().position(|x| *x == name) {
            return Err(format!(
                "{} and {} both call themselves {name}: give each node its own hostname (Proxmox VE node names are hostnames), or give each host once",
                nodes[k].host, n.host
            ));
        }
        names.push(name);
    }
    Ok(names)
}

pub fn assemble(nodes: &[NodeProbed], names: &[String], opts: &Options) -> Found {
    // Spec names of every candidate port, per node.
    let spec_names: Vec<Vec<String>> = nodes
        .iter()
        .map(|n| {
            let cur: Vec<Current> = n
                .candidates
                .iter()
                .map(|c| Current {
                    name: c.iface.clone(),
                    pci: c.pci.clone(),
                })
                .collect();
            naming::port_names(&cur)
        })
        .collect();
    let spec_name = |node: usize, iface: &str| -> String {
        nodes[node]
            .candidates
            .iter()
            .position(|c| c.iface == iface)
            .map_or_else(|| iface.to_string(), |k| spec_names[node][k].clone())
    };
    let mut observed = vec![];
    let mut known = vec![];
    for (k, n) in nodes.iter().enumerate() {
        for p in &n.seen.ports {
            observed.push(Observed {
                node: k,
                port: p.name.clone(),
                carrier: p.carrier,
                heard: if p.lldp.is_empty() {
                    p.neighbours.clone()
                } else {
                    p.lldp.clone()
                },
            });
        }
        for i in &n.read.facts.interfaces {
            if let Some(mac) = &i.mac {
                if i.name != "lo" && mac != "00:00:00:00:00:00" {
                    known.push(Known {
                        node: k,
                        iface: i.name.clone(),
                        mac: mac.to_ascii_lowercase(),
                        candidate: n.candidates.iter().any(|c| c.iface == i.name),
                        driver: n.read.driver(&i.name),
                    });
                }
            }
        }
    }
    let cab = cabling::infer(names, &observed, &known);
    let problems: Vec<ProblemReport> = cab
        .problems
        .iter()
        .map(|p| ProblemReport {
            node: names[p.node].clone(),
            port: p.port.clone(),
            message: p.message.clone(),
            hint: p.hint.clone(),
        })
        .collect();
    let peer = |node: usize, iface: &str| -> Option<String> {
        cab.links.iter().find_map(|(a, b)| {
            let other = if a.node == node && a.port == iface {
                b
            } else if b.node == node && b.port == iface {
                a
            } else {
                return None;
            };
            Some(format!(
                "{}:{}",
                names[other.node],
                spec_name(other.node, &other.port)
            ))
        })
    };
    let mut ports = vec![];
    for (k, n) in nodes.iter().enumerate() {
        for c in &n.candidates {
            let seen = n.seen.ports.iter().find(|p| p.name == c.iface);
            ports.push(PortReport {
                node: names[k].clone(),
                iface: c.iface.clone(),
                name: spec_name(k, &c.iface),
                mac: c.mac.clone(),
                pci: c.pci.clone(),
                driver: c.driver.clone(),
                carrier: seen.is_some_and(|s| s.carrier),
                was_down: seen.is_some_and(|s| s.was_down),
                peer: peer(k, &c.iface),
                via: match seen {
                    Some(s) if !s.lldp.is_empty() => "lldp",
                    Some(s) if !s.neighbours.is_empty() => "neighbour-discovery",
                    _ => "none",
                }
                .into(),
            });
        }
    }
    let links = cab
        .links
        .iter()
        .map(|(a, b)| {
            format!(
                "{}:{} -- {}:{}",
                names[a.node],
                spec_name(a.node, &a.port),
                names[b.node],
                spec_name(b.node, &b.port)
            )
        })
        .collect();
    // Addresses in use outside the mesh ports and the router interfaces
    // (lo, dummy_*: a fabric built before), and the hosts given.
    let mut in_use: Vec<Ipv4Addr> = vec![];
    for n in nodes {
        for i in &n.read.facts.interfaces {
            let mesh = n.candidates.iter().any(|c| c.iface == i.name);
            if !mesh && i.name != "lo" && !i.name.starts_with("dummy") {
                in_use.extend(i.addrs.iter().map(|a| a.addr));
            }
        }
        if let Some(std::net::IpAddr::V4(a)) = n.read.host_ip() {
            in_use.push(a);
        }
    }
    let prefix = naming::fabric_prefix(&in_use).unwrap_or_else(|| {
        "10.100.0.0/24".parse().unwrap_or(crate::net::Ipv4Net {
            addr: Ipv4Addr::new(10, 100, 0, 0),
            len: 24,
        })
    });
    let no_pve: Vec<&str> = nodes
        .iter()
        .zip(names)
        .filter(|(n, _)| n.read.facts.package("pve-manager").is_none())
        .map(|(_, name)| name.as_str())
        .collect();
    let (mode, mode_why) = if no_pve.is_empty() {
        (
            "pve-sdn",
            "every node runs Proxmox VE: the fabric is a Proxmox SDN fabric (OpenFabric)"
                .to_string(),
        )
    } else {
        (
            "frr",
            format!(
                "not Proxmox VE on {} (no pve-manager): tbmesh writes FRR's OpenFabric itself",
                no_pve.join(", ")
            ),
        )
    };
    let containers = nodes.iter().all(|n| n.read.facts.in_container());
    let mut header = vec![
        format!(
            "Written by `{}`: what the nodes said, and the cables found.",
            opts.command
        ),
        "Check it, then: tbmesh validate; tbmesh preflight; tbmesh plan; tbmesh apply.".into(),
    ];
    if !problems.is_empty() {
        header.push("Problems found (ports left out below):".into());
        for p in &problems {
            header.push(format!(
                "  {}:{} {} ({})",
                p.node, p.port, p.message, p.hint
            ));
        }
    }
    let cluster = opts
        .cluster
        .clone()
        .or_else(|| {
            nodes
                .iter()
                .find_map(|n| n.read.extra.corosync_name.clone())
        })
        .and_then(|c| naming::node_name(&c))
        .unwrap_or_else(|| "mesh".into());
    let node_out = nodes
        .iter()
        .enumerate()
        .map(|(k, n)| node_out(k, n, names, &spec_names[k], &cab, &problems))
        .collect();
    Found {
        spec: SpecOut {
            header,
            cluster,
            user: opts.user.clone(),
            ssh_config: opts.ssh_config.clone(),
            mode: mode.into(),
            mode_why,
            prefix,
            router_interface: containers.then(|| "lo".to_string()),
            links,
            nodes: node_out,
        },
        names: names.to_vec(),
        ports,
        cabling: cab,
        problems,
    }
}

/// The comment lines about a node.
pub fn about(name: &str, r: &NodeRead) -> Vec<String> {
    let f = &r.facts;
    let mut v = vec![];
    let mut sw = vec![
        if f.os_pretty.is_empty() {
            "unknown OS".to_string()
        } else {
            f.os_pretty.clone()
        },
        format!("kernel {}", f.kernel),
    ];
    sw.extend(f.package("pve-manager").map(|p| format!("Proxmox VE {p}")));
    sw.push(match f.package("frr") {
        Some(p) => format!("FRR {p}"),
        None => "no FRR".into(),
    });
    sw.push(
        match ["ceph-osd", "ceph-mon", "ceph-common"]
            .iter()
            .find_map(|p| f.package(p))
        {
            Some(p) => format!("Ceph {p}"),
            None => "no Ceph".into(),
        },
    );
    let who = if f.hostname == name {
        name.to_string()
    } else {
        format!("{name} (hostname {})", f.hostname)
    };
    v.push(format!("{who}: {}", sw.join(", ")));
    let cores = if f.p_cores.is_empty() {
        format!("{} CPUs", f.cpus)
    } else {
        format!(
            "{} CPUs: {} P-core and {} E-core threads",
            f.cpus,
            f.p_cores.len(),
            f.e_cores.len()
        )
    };
    v.push(format!(
        "{}, {cores}, {:.1} GiB RAM",
        if r.extra.cpu_model.is_empty() {
            "CPU model unknown"
        } else {
            &r.extra.cpu_model
        },
        f.mem_total_bytes as f64 / (1u64 << 30) as f64
    ));
    let mgmt = r.management();
    let addrs: Vec<String> = mgmt
        .iter()
        .filter_map(|m| f.interface(m))
        .flat_map(|i| i.addrs.iter().map(move |a| format!("{} {a}", i.name)))
        .collect();
    v.push(format!(
        "management: {} (never a mesh port)",
        if addrs.is_empty() {
            mgmt.join(", ")
        } else {
            addrs.join(", ")
        }
    ));
    v.push(
        match (&r.extra.corosync_name, r.extra.corosync_members.is_empty()) {
            (Some(c), false) => format!(
                "corosync cluster {c}: {}",
                r.extra.corosync_members.join(", ")
            ),
            (Some(c), true) => format!("corosync cluster {c}"),
            (None, _) => "no corosync cluster yet".into(),
        },
    );
    v
}

fn node_out(
    k: usize,
    n: &NodeProbed,
    names: &[String],
    spec_names: &[String],
    cab: &Cabling,
    problems: &[ProblemReport],
) -> NodeOut {
    let name = &names[k];
    let mut about = about(name, &n.read);
    let mut ports = vec![];
    let mut left_out = n.left_out.clone();
    for (c, sname) in n.candidates.iter().zip(spec_names) {
        let mut line = format!("port {sname}: now {}", c.iface);
        if let Some(m) = &c.mac {
            line.push_str(&format!(", MAC {m}"));
        }
        match &c.pci {
            Some(p) => line.push_str(&format!(", PCI {p}")),
            None => line.push_str(", no PCI device (keeps its name)"),
        }
        line.push_str(&format!(", driver {}", c.driver));
        about.push(line);
        if cab.cabled(k, &c.iface) {
            ports.push(PortOut {
                name: sname.clone(),
                pci: c.pci.clone(),
                driver: c.driver.clone(),
            });
        } else {
            let why = problems
                .iter()
                .find(|p| p.node == *name && p.port == c.iface)
                .map_or_else(|| "no cable found".to_string(), |p| p.message.clone());
            left_out.push((format!("{sname} ({})", c.iface), why));
        }
    }
    // A disk lsblk lists (from sysfs) without a device node here (a
    // container sees the host's disks) is not the node's to propose.
    let disks = n
        .disks
        .iter()
        .filter(|d| d.exists)
        .map(|d| {
            let (rotational, model) = n
                .read
                .extra
                .disks
                .get(&d.kname)
                .cloned()
                .unwrap_or_default();
            DiskOut {
                path: d.path.clone(),
                kname: d.kname.clone(),
                size: d.size,
                serial: d.serial.clone(),
                model,
                rotational,
                not_empty: d
                    .findings()
                    .into_iter()
                    .map(|f| f.replace(" of another Ceph cluster", " of the Ceph cluster"))
                    .collect(),
            }
        })
        .collect();
    NodeOut {
        name: name.clone(),
        host: n.read.host.clone(),
        about,
        ports,
        left_out,
        disks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::init::probe::PortSeen;
    use crate::Source;

    // A lab-shaped node: management veth host0 (10.11.11.1x), mesh veths
    // en05/en06, a virtio disk that is empty and one that boots.
    fn read(k: usize) -> NodeRead {
        let ip = 12 + k;
        let facts_out = format!(
            "@@tbmesh hostname\nn{ip}\n@@tbmesh kernel\n6.12.0\n@@tbmesh cpus\n4\n\
@@tbmesh addrs\n[{{\"ifname\":\"lo\",\"mtu\":65536,\"flags\":[\"UP\"],\"address\":\"00:00:00:00:00:00\",\"addr_info\":[]}},\
{{\"ifname\":\"host0\",\"mtu\":1500,\"flags\":[\"UP\",\"LOWER_UP\"],\"address\":\"02:00:00:00:0{k}:00\",\"linkinfo\":{{\"info_kind\":\"veth\"}},\"addr_info\":[{{\"family\":\"inet\",\"local\":\"10.11.11.{ip}\",\"prefixlen\":24}}]}},\
{{\"ifname\":\"en05\",\"mtu\":1500,\"flags\":[\"UP\",\"LOWER_UP\"],\"address\":\"02:00:00:00:0{k}:05\",\"linkinfo\":{{\"info_kind\":\"veth\"}},\"addr_info\":[]}},\
{{\"ifname\":\"en06\",\"mtu\":1500,\"flags\":[\"UP\",\"LOWER_UP\"],\"address\":\"02:00:00:00:0{k}:06\",\"linkinfo\":{{\"info_kind\":\"veth\"}},\"addr_info\":[]}}]\n\
@@tbmesh lsblk\n{{\"blockdevices\":[{{\"name\":\"vda\",\"path\":\"/dev/vda\",\"type\":\"disk\",\"size\":10000000000,\"children\":[{{\"name\":\"vda1\",\"type\":\"part\",\"size\":1,\"mountpoint\":\"/\"}}]}},\
{{\"name\":\"vdb\",\"path\":\"/dev/vdb\",\"type\":\"disk\",\"size\":4000000000,\"serial\":\"osd{k}\"}},{{\"name\":\"loop0\",\"path\":\"/dev/loop0\",\"type\":\"loop\",\"size\":1}}]}}\n\
@@tbmesh virt\nsystemd-nspawn\n@@tbmesh ssh\n10.11.11.1 5000 10.11.11.{ip} 22\n@@tbmesh ssh-route\n10.11.11.1 dev host0 src 10.11.11.{ip}\n"
        );
        NodeRead {
            host: format!("10.11.11.{ip}"),
            facts: crate::facts::parse(&facts_out).expect("facts"),
            extra: Extra {
                by_id: [("vdb".to_string(), vec![format!("virtio-osd{k}")])].into(),
                ..Extra::default()
            },
        }
    }

    fn seen(port: &str, heard: Option<String>) -> PortSeen {
        PortSeen {
            name: port.into(),
            exists: true,
            carrier: heard.is_some(),
            link_local: true,
            was_down: false,
            neighbours: heard.into_iter().collect(),
            lldp: vec![],
        }
    }

    fn probed(k: usize, heard: [(usize, usize); 2]) -> NodeProbed {
        let r = read(k);
        let (candidates, left_out) = r.candidates(&["veth".to_string()]);
        let m = |(n, p): (usize, usize)| Some(format!("02:00:00:00:0{n}:0{p}"));
        let disks = crate::ceph::disks::parse_disks(
            "@@disk /dev/vda\nkname vda\nsize 19531250\nkind disk\nboot\nchild vda1\nmount /\n@@disk /dev/disk/by-id/virtio-osd\nkname vdb\nsize 7812500\nkind disk\nserial osd\n",
        );
        NodeProbed {
            read: r,
            candidates,
            left_out,
            seen: crate::init::probe::CablingSeen {
                ports: vec![seen("en05", m(heard[0])), seen("en06", m(heard[1]))],
                restored: vec![],
            },
            disks,
        }
    }

    #[test]
    fn a_container_lab_ring_becomes_a_valid_spec() {
        // n12:en06 -- n13:en05, n13:en06 -- n14:en05, n14:en06 -- n12:en05
        let nodes = vec![
            probed(0, [(2, 6), (1, 5)]),
            probed(1, [(0, 6), (2, 5)]),
            probed(2, [(1, 6), (0, 5)]),
        ];
        // The management veth is left out, not a candidate.
        assert_eq!(nodes[0].candidates.len(), 2);
        assert!(nodes[0].left_out[0].0 == "host0", "{:?}", nodes[0].left_out);
        // By their by-id name where udev gives one.
        assert_eq!(
            nodes[0].read.disk_paths(),
            vec!["/dev/vda", "/dev/disk/by-id/virtio-osd0"]
        );
        let reads: Vec<NodeRead> = nodes.iter().map(|n| n.read.clone()).collect();
        let names = node_names(&reads).expect("names");
        let found = assemble(
            &nodes,
            &names,
            &Options {
                user: Some("root".into()),
                command: "tbmesh init".into(),
                ..Options::default()
            },
        );
        assert_eq!(
            found.spec.links,
            vec![
                "n12:en05 -- n14:en06",
                "n12:en06 -- n13:en05",
                "n13:en06 -- n14:en05"
            ]
        );
        assert!(found.problems.is_empty(), "{:?}", found.problems);
        let text = super::super::write::spec_text(&found.spec);
        assert!(text.contains("router_interface = \"lo\""), "{text}");
        assert!(text.contains("mode = \"frr\""));
        assert!(
            text.contains("osd_devices = [\"/dev/disk/by-id/virtio-osd\"]"),
            "{text}"
        );
        assert!(
            text.contains(
                "# /dev/disk/by-id/virtio-osd: now /dev/vdb, 4 GB, solid state, serial osd (empty)"
            ),
            "{text}"
        );
        assert!(text.contains("# not /dev/vda: 10 GB, solid state: it holds the root filesystem (boot disk); mounted at /; partitions or volumes: vda1"), "{text}");
        let (c, _) = crate::spec::load(&Source::new("t.toml", text.clone()))
            .unwrap_or_else(|d| panic!("{d:?}\n{text}"));
        assert_eq!(
            c.spec
                .fabric
                .prefix
                .as_ref()
                .expect("an IPv4 prefix")
                .to_string(),
            "10.100.0.0/24"
        );
    }

    #[test]
    fn a_node_with_an_uncabled_port_is_written_without_it() {
        let mut nodes = vec![
            probed(0, [(2, 6), (1, 5)]),
            probed(1, [(0, 6), (2, 5)]),
            probed(2, [(1, 6), (0, 5)]),
        ];
        // Unplug n12:en05 -- n14:en06: both ends hear nothing, no carrier.
        nodes[0].seen.ports[0] = seen("en05", None);
        nodes[2].seen.ports[1] = seen("en06", None);
        let reads: Vec<NodeRead> = nodes.iter().map(|n| n.read.clone()).collect();
        let names = node_names(&reads).expect("names");
        let found = assemble(&nodes, &names, &Options::default());
        assert_eq!(found.spec.links.len(), 2);
        assert_eq!(found.problems.len(), 2);
        let text = super::super::write::spec_text(&found.spec);
        assert!(
            text.contains("# port en05 (en05) left out: no link (no carrier)"),
            "{text}"
        );
        assert!(text.contains("#   n12:en05 no link (no carrier)"), "{text}");
        assert!(
            crate::spec::load(&Source::new("t.toml", text.clone())).is_ok(),
            "{text}"
        );
    }

    #[test]
    fn two_hosts_with_one_hostname_are_refused() {
        let mut b = read(1);
        b.facts.hostname = "n12".into();
        let e = node_names(&[read(0), b]).expect_err("a duplicate");
        assert!(
            e.contains("10.11.11.12 and 10.11.11.13 both call themselves n12"),
            "{e}"
        );
    }
}
