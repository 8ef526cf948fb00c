//! The preflight table: one row per check and node, pass / warn / fail,
//! from the facts, the probe, the OSD devices' facts and apply's own
//! preflight problems (which stop an apply, so they are fails here too).

use super::probe::{Corosync, Probe};
use crate::ceph::disks::{self, DiskFacts, Verdict};
use crate::ceph::tune;
use crate::facts::Facts;
use crate::preflight::Problem;
use crate::spec::FabricMode;
use crate::Cluster;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Warn,
    Fail,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    pub node: String,
    pub check: String,
    pub status: Status,
    pub detail: String,
    /// What to do (empty on a pass).
    pub hint: String,
}

/// What one node has, for [`rows`].
pub struct NodeInput<'a> {
    pub facts: &'a Facts,
    pub probe: &'a Probe,
    /// The OSD devices' facts (with `[ceph]`), and the cluster's fsid if any.
    pub disks: Option<(&'a [DiskFacts], Option<&'a str>)>,
    /// apply's preflight problems for this node.
    pub problems: &'a [Problem],
}

/// Every check of node `i`, in a fixed order.
pub fn rows(c: &Cluster, i: usize, n: &NodeInput) -> Vec<Row> {
    let name = c.node_name(i).to_string();
    let mut v = vec![];
    let mut row = |check: &str, status: Status, detail: String, hint: &str| {
        v.push(Row {
            node: name.clone(),
            check: check.to_string(),
            status,
            detail,
            hint: if status == Status::Pass {
                String::new()
            } else {
                hint.to_string()
            },
        })
    };
    let f = n.facts;
    let mode = c.spec.fabric.mode.value;
    let (status, detail, hint) = os(f, mode);
    row("os", status, detail, hint);
    let (status, detail) = kernel(&f.kernel);
    row(
        "kernel",
        status,
        detail,
        "Thunderbolt networking is unreliable before 6.8 (link flaps): upgrade the kernel",
    );
    let tb = ["thunderbolt", "thunderbolt_net"];
    let loaded: Vec<&str> = tb
        .into_iter()
        .filter(|m| n.probe.modules.iter().any(|x| x == m))
        .collect();
    row(
        "thunderbolt modules",
        if loaded.len() == tb.len() { Status::Pass } else { Status::Warn },
        if loaded.is_empty() { "not loaded".into() } else { format!("loaded: {}", loaded.join(", ")) },
        "the links phase lists them for loading at boot; on hardware without Thunderbolt (the lab) this is expected",
    );
    let iommu_cmd = n
        .probe
        .cmdline
        .split_whitespace()
        .any(|w| w == "iommu=pt" || w == "intel_iommu=on" || w == "amd_iommu=on");
    row(
        "iommu",
        if n.probe.iommu_units > 0 || iommu_cmd {
            Status::Pass
        } else {
            Status::Warn
        },
        format!(
            "{} IOMMU unit(s); cmdline {}",
            n.probe.iommu_units,
            if iommu_cmd {
                "sets it"
            } else {
                "does not set it"
            }
        ),
        "for full Thunderbolt throughput add `intel_iommu=on iommu=pt` to the kernel command line",
    );
    let (status, detail) = match &n.probe.corosync {
        Corosync::Member {
            quorate: true,
            nodes,
        } => (Status::Pass, format!("quorate, {nodes} node(s)")),
        Corosync::Member {
            quorate: false,
            nodes,
        } => (Status::Fail, format!("NOT quorate, {nodes} node(s)")),
        Corosync::NotRunning => (
            if mode == FabricMode::PveSdn {
                Status::Fail
            } else {
                Status::Warn
            },
            "installed, no cluster answering".into(),
        ),
        Corosync::Absent => (
            if mode == FabricMode::PveSdn {
                Status::Fail
            } else {
                Status::Warn
            },
            "not installed (no Proxmox VE cluster)".into(),
        ),
    };
    row(
        "corosync",
        status,
        detail,
        "form the Proxmox VE cluster first (`pvecm create` / `pvecm add`): SDN fabrics need it",
    );
    let (status, detail) = match n.probe.ntp_synced {
        Some(true) => (Status::Pass, "synchronised".to_string()),
        Some(false) => (Status::Warn, "not synchronised".into()),
        None => (Status::Warn, "unknown (timedatectl could not say)".into()),
    };
    row(
        "time sync",
        status,
        detail,
        "Ceph monitors need synchronised clocks: enable chrony (`systemctl enable --now chrony`)",
    );
    match f.package("frr") {
        Some(v) => row("frr", Status::Pass, v.to_string(), ""),
        None => row(
            "frr",
            if mode == FabricMode::Static {
                Status::Pass
            } else {
                Status::Fail
            },
            "not installed".into(),
            "install it: apt install frr frr-pythontools",
        ),
    }
    if c.spec.ceph.is_some() {
        match f.package("ceph-osd").or(f.package("ceph-common")) {
            Some(v) => row("ceph", Status::Pass, v.to_string(), ""),
            None => row(
                "ceph",
                Status::Warn,
                "not installed".into(),
                "the ceph phase installs it (pveceph install on Proxmox VE)",
            ),
        }
    }
    let node = &c.nodes()[i];
    for p in &node.ports {
        let (status, detail) = match f.interface(&p.name) {
            Some(it) if it.carrier => (Status::Pass, format!("present, carrier, MTU {}", it.mtu)),
            Some(it) if it.up => (
                Status::Warn,
                format!("present, up, NO carrier, MTU {}", it.mtu),
            ),
            Some(_) => (
                Status::Warn,
                "present, down (the network phase brings it up)".into(),
            ),
            None => match &p.pci {
                Some(pci) if f.pci_devices.iter().any(|d| d == pci.as_str()) => (
                    Status::Pass,
                    format!("controller at {pci}; the links phase names it"),
                ),
                _ => (Status::Fail, "missing".into()),
            },
        };
        row(
            &format!("port {}", p.name),
            status,
            detail,
            "check the cable and `ip link`; a missing port: check its PCI path with `lspci -D`",
        );
    }
    if let Some((ds, fsid)) = n.disks {
        for d in ds {
            let (status, detail) = match disks::verdict(d, fsid, &[]) {
                Verdict::Empty => (Status::Pass, "empty".to_string()),
                Verdict::Ours { osds } => {
                    (Status::Pass, format!("OSD(s) {osds:?} of this cluster"))
                }
                Verdict::Refused { found } | Verdict::Wipe { found } => {
                    (Status::Fail, found.join("; "))
                }
            };
            row(
                &format!("disk {}", d.path),
                status,
                detail,
                "use an empty device, or name it to `apply --wipe-disk` (destroys its data)",
            );
        }
        let osds = c.spec.ceph.as_ref().map_or(1, |s| s.osds_per_device.value) * ds.len() as u32;
        let mem = f.mem_total_bytes;
        let spare = mem.saturating_sub(tune::guest_reserve(mem));
        let target = tune::osd_memory_target(mem, osds);
        let gib = |b: u64| format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64);
        row(
            "memory",
            if spare >= target * u64::from(osds.max(1)) { Status::Pass } else { Status::Warn },
            format!("{} total, {} available; {osds} OSD(s) at osd_memory_target {}", gib(mem), gib(n.probe.mem_available), gib(target)),
            "less RAM than half for guests plus the OSDs' minimum (1 GiB each): fewer OSDs per device, or more RAM",
        );
    }
    for p in n.problems {
        row(
            p.check,
            if p.error { Status::Fail } else { Status::Warn },
            p.message.clone(),
            &p.hint,
        );
    }
    if let Ok(ip) = node.host.addr.parse::<std::net::Ipv4Addr>() {
        if let Some(m) = f.interface_with(ip) {
            if node.port(&m.name).is_none() {
                row(
                    "management",
                    Status::Pass,
                    format!("{ip} on {}, not a mesh port", m.name),
                    "",
                );
            }
        }
    }
    v
}

fn os(f: &Facts, mode: FabricMode) -> (Status, String, &'static str) {
    let major = |v: &str| -> Option<u32> {
        let v = v.split_once(':').map_or(v, |(_, r)| r);
        v.split('.').next()?.parse().ok()
    };
    if let Some(v) = f.package("pve-manager") {
        return match major(v) {
            Some(m) if m >= 9 => (Status::Pass, format!("Proxmox VE {v}"), ""),
            _ => (
                Status::Fail,
                format!("Proxmox VE {v}"),
                "tbmesh needs Proxmox VE 9 or later: upgrade (pve8to9)",
            ),
        };
    }
    let debian13 = f.os_id == "debian" && major(&f.os_version).is_some_and(|m| m >= 13);
    let what = if f.os_pretty.is_empty() {
        format!("{} {}", f.os_id, f.os_version)
    } else {
        f.os_pretty.clone()
    };
    if !debian13 {
        return (
            Status::Fail,
            what,
            "tbmesh needs Proxmox VE 9 or Debian 13 (trixie)",
        );
    }
    if mode == FabricMode::PveSdn {
        return (
            Status::Fail,
            format!("plain {what}, no Proxmox VE"),
            "mode pve-sdn needs Proxmox VE: install it, or use mode = \"frr\"",
        );
    }
    (Status::Pass, format!("plain {what} (no Proxmox VE)"), "")
}

fn kernel(k: &str) -> (Status, String) {
    let mut it = k.split(['.', '-']);
    let maj: u32 = it.next().and_then(|x| x.parse().ok()).unwrap_or(0);
    let min: u32 = it.next().and_then(|x| x.parse().ok()).unwrap_or(0);
    if (maj, min) >= (6, 8) {
        (Status::Pass, k.to_string())
    } else {
        (Status::Warn, format!("{k} (older than 6.8)"))
    }
}
