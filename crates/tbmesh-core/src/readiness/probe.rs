//! What `tbmesh preflight` reads beyond the facts: kernel modules, IOMMU,
//! corosync quorum, time sync, available memory. One script, one parser.

use serde::Serialize;

const MARK: &str = "@@ready ";

/// The probe, run in the facts' round trip.
pub fn script() -> String {
    format!(
        r#"export LC_ALL=C
echo '{MARK}modules'; for m in thunderbolt thunderbolt_net; do [ -d /sys/module/$m ] && echo $m; done
echo '{MARK}cmdline'; cat /proc/cmdline 2>/dev/null
echo '{MARK}iommu'; ls /sys/class/iommu 2>/dev/null | wc -l
echo '{MARK}corosync'; if command -v corosync-quorumtool >/dev/null 2>&1; then corosync-quorumtool -s 2>&1 | grep -E '^(Quorate|Nodes|Expected votes):' || echo 'not running'; else echo absent; fi
echo '{MARK}ntp'; timedatectl show -p NTPSynchronized --value 2>/dev/null || echo unknown
echo '{MARK}memavail'; awk '/^MemAvailable:/ {{print $2 * 1024}}' /proc/meminfo
"#
    )
}

/// Corosync as `corosync-quorumtool -s` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Corosync {
    /// Not installed: not a Proxmox VE cluster (yet).
    Absent,
    /// Installed, not answering (no cluster formed, or not running).
    NotRunning,
    Member {
        quorate: bool,
        nodes: u32,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Probe {
    pub modules: Vec<String>,
    pub cmdline: String,
    /// IOMMU units the kernel registered (/sys/class/iommu).
    pub iommu_units: u32,
    pub corosync: Corosync,
    /// `timedatectl`'s NTPSynchronized: `None` when it could not say.
    pub ntp_synced: Option<bool>,
    pub mem_available: u64,
}

pub fn parse(out: &str) -> Probe {
    let mut sec: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    let mut cur = "";
    for l in out.lines() {
        if let Some(h) = l.strip_prefix(MARK) {
            cur = h;
            sec.entry(h).or_default();
        } else if !cur.is_empty() {
            sec.entry(cur).or_default().push(l.trim());
        }
    }
    let lines = |k: &str| sec.get(k).cloned().unwrap_or_default();
    let first = |k: &str| lines(k).first().map(|s| s.to_string()).unwrap_or_default();
    let coro = lines("corosync");
    let corosync = if coro.first() == Some(&"absent") || coro.is_empty() {
        Corosync::Absent
    } else if let Some(q) = coro.iter().find_map(|l| l.strip_prefix("Quorate:")) {
        let nodes = coro
            .iter()
            .find_map(|l| l.strip_prefix("Nodes:"))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0);
        Corosync::Member {
            quorate: q.trim() == "Yes",
            nodes,
        }
    } else {
        Corosync::NotRunning
    };
    Probe {
        modules: lines("modules")
            .into_iter()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect(),
        cmdline: first("cmdline"),
        iommu_units: first("iommu").parse().unwrap_or(0),
        corosync,
        ntp_synced: match first("ntp").as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        },
        mem_available: first("memavail").parse().unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_quorate_pve_node() {
        let out = "@@ready modules\nthunderbolt\nthunderbolt_net\n@@ready cmdline\nBOOT_IMAGE=/vmlinuz quiet intel_iommu=on iommu=pt\n@@ready iommu\n1\n@@ready corosync\nQuorate:          Yes\nNodes:            3\nExpected votes:   3\n@@ready ntp\nyes\n@@ready memavail\n60000000000\n";
        let p = parse(out);
        assert_eq!(p.modules, vec!["thunderbolt", "thunderbolt_net"]);
        assert_eq!(p.iommu_units, 1);
        assert_eq!(
            p.corosync,
            Corosync::Member {
                quorate: true,
                nodes: 3
            }
        );
        assert_eq!(p.ntp_synced, Some(true));
        assert_eq!(p.mem_available, 60_000_000_000);
    }

    #[test]
    fn reads_a_plain_debian_container() {
        let p = parse("@@ready modules\n@@ready cmdline\nx\n@@ready iommu\n0\n@@ready corosync\nabsent\n@@ready ntp\nunknown\n@@ready memavail\n100\n");
        assert!(p.modules.is_empty());
        assert_eq!(p.corosync, Corosync::Absent);
        assert_eq!(p.ntp_synced, None);
    }
}
