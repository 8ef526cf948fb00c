//! The tune phase: values computed from each node's facts, each with the
//! reason it has that value. Only settings that have an effect on the
//! running Ceph release are set (no `bluestore_cache_size_*` while the
//! OSD memory autotuner is on; no backfill limits under mClock).

use crate::facts::Facts;
use crate::render::MANAGED;
use serde::Serialize;

const GIB: u64 = 1 << 30;
const MIB: u64 = 1 << 20;

/// One `ceph config set WHO KEY VALUE`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigValue {
    /// `osd`, `global`, or a host mask `osd/host:n2`.
    pub who: String,
    pub key: String,
    pub value: String,
    pub why: String,
}

/// A file the tune phase installs on a node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TuneFile {
    pub path: String,
    pub mode: u32,
    pub content: String,
    /// Runs after the file changed.
    pub then: String,
    pub why: String,
}

/// Every file the tune phase may install (apply reads them with the facts).
pub const FILE_PATHS: [&str; 3] = [
    "/etc/udev/rules.d/61-tbmesh-nvme.rules",
    "/usr/local/lib/tbmesh/tb-irq-affinity",
    "/etc/systemd/system/tbmesh-irq-affinity.service",
];

/// What tune does on one node, and what it skips and why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NodeTune {
    pub config: Vec<ConfigValue>,
    pub files: Vec<TuneFile>,
    pub skipped: Vec<String>,
}

/// Memory kept for the OS, monitor, manager and guests before OSDs get any:
/// half of the RAM, at least 4 GiB.
pub fn guest_reserve(mem: u64) -> u64 {
    (mem / 2).max(4 * GIB)
}

/// osd_memory_target: what is left after the reserve, shared by the node's
/// OSDs, rounded down to 256 MiB, between 1 GiB and 16 GiB.
pub fn osd_memory_target(mem: u64, osds: u32) -> u64 {
    let osds = u64::from(osds.max(1));
    let per = mem.saturating_sub(guest_reserve(mem)) / osds;
    (per / (256 * MIB) * (256 * MIB)).clamp(GIB, 16 * GIB)
}

/// The major version of the node's Ceph (`18` of `18.2.7+ds-1`).
fn ceph_major(f: &Facts) -> Option<u32> {
    let v = f.package("ceph-osd").or(f.package("ceph-common"))?;
    let v = v.split_once(':').map_or(v, |(_, r)| r);
    v.split('.').next()?.parse().ok()
}

fn gib(b: u64) -> String {
    format!("{:.2} GiB", b as f64 / GIB as f64)
}

/// The tune phase for node `name` with `osds` OSDs on `devices`.
pub fn tune_node(name: &str, f: &Facts, osds: u32, devices: &[String]) -> NodeTune {
    let mut t = NodeTune::default();
    if osds > 0 && f.mem_total_bytes > 0 {
        let target = osd_memory_target(f.mem_total_bytes, osds);
        t.config.push(ConfigValue {
            who: format!("osd/host:{name}"),
            key: "osd_memory_target".into(),
            value: target.to_string(),
            why: format!(
                "{} RAM − {} kept for guests, OS, mon and mgr = {} for {osds} OSD(s): {} each (1-16 GiB)",
                gib(f.mem_total_bytes),
                gib(guest_reserve(f.mem_total_bytes)),
                gib(f.mem_total_bytes.saturating_sub(guest_reserve(f.mem_total_bytes))),
                gib(target)
            ),
        });
    }
    match ceph_major(f) {
        // mClock (default since Quincy) ignores osd_max_backfills and
        // osd_recovery_max_active; its profile is what has an effect.
        Some(v) if v >= 17 => t.config.push(ConfigValue {
            who: "osd".into(),
            key: "osd_mclock_profile".into(),
            value: "high_client_ops".into(),
            why: format!("Ceph {v} schedules recovery with mClock: favour guests' I/O over recovery and backfill"),
        }),
        Some(v) => {
            t.config.push(ConfigValue {
                who: "osd".into(),
                key: "osd_max_backfills".into(),
                value: "1".into(),
                why: format!("Ceph {v} (wpq scheduler): one backfill per OSD keeps guests responsive"),
            });
            t.config.push(ConfigValue {
                who: "osd".into(),
                key: "osd_recovery_max_active".into(),
                value: "3".into(),
                why: format!("Ceph {v} (wpq scheduler): bounded recovery on a fast mesh"),
            });
        }
        None => t.skipped.push("recovery settings: Ceph is not installed yet".into()),
    }
    let nvme: Vec<&String> = devices.iter().filter(|d| d.contains("nvme")).collect();
    if nvme.is_empty() {
        t.skipped
            .push("NVMe queue depth: no NVMe OSD devices".into());
    } else {
        t.files.push(TuneFile {
            path: FILE_PATHS[0].into(),
            mode: 0o644,
            content: format!(
                "# {MANAGED}\n# NVMe OSD devices: no I/O scheduler (the device queues), deep request queue.\nACTION==\"add|change\", SUBSYSTEM==\"block\", KERNEL==\"nvme[0-9]*n[0-9]*\", ENV{{DEVTYPE}}==\"disk\", ATTR{{queue/scheduler}}=\"none\", ATTR{{queue/nr_requests}}=\"1023\"\n"
            ),
            then: "udevadm control --reload && udevadm trigger --subsystem-match=block --action=change".into(),
            why: "persistent NVMe queue settings (a udev rule, applied at every boot and hotplug), not a one-off echo".into(),
        });
    }
    if f.p_cores.is_empty() || f.e_cores.is_empty() {
        t.skipped.push(
            "Thunderbolt IRQ affinity: not a hybrid CPU (no P-cores/E-cores in /sys/devices/cpu_core)"
                .into(),
        );
    } else {
        let list = cpu_list(&f.p_cores);
        t.files.push(TuneFile {
            path: FILE_PATHS[1].into(),
            mode: 0o755,
            content: format!(
                "#!/bin/sh\n# {MANAGED}\n# Pin Thunderbolt interrupts to the P-cores ({list}): E-cores cap thunderbolt-net throughput.\nfor irq in $(awk -F: '/thunderbolt/ {{gsub(/ /, \"\", $1); print $1}}' /proc/interrupts); do\n  echo {list} > /proc/irq/$irq/smp_affinity_list || echo \"irq $irq: affinity not settable\" >&2\ndone\n"
            ),
            then: "/usr/local/lib/tbmesh/tb-irq-affinity".into(),
            why: format!("hybrid CPU: Thunderbolt IRQs on P-cores {list}"),
        });
        t.files.push(TuneFile {
            path: FILE_PATHS[2].into(),
            mode: 0o644,
            content: format!(
                "# {MANAGED}\n[Unit]\nDescription=Pin Thunderbolt IRQs to P-cores (tbmesh)\nAfter=tbmesh-links.service\n\n[Service]\nType=oneshot\nExecStart=/usr/local/lib/tbmesh/tb-irq-affinity\n\n[Install]\nWantedBy=multi-user.target\n"
            ),
            then: "systemctl daemon-reload && systemctl enable tbmesh-irq-affinity.service".into(),
            why: "re-pin after every boot".into(),
        });
    }
    t
}

/// [0,1,2,3,8] → `0-3,8`.
pub fn cpu_list(cpus: &[u32]) -> String {
    let mut v = cpus.to_vec();
    v.sort_unstable();
    v.dedup();
    let mut out: Vec<String> = vec![];
    let mut i = 0;
    while i < v.len() {
        let mut j = i;
        while j + 1 < v.len() && v[j + 1] == v[j] + 1 {
            j += 1;
        }
        out.push(if i == j {
            v[i].to_string()
        } else {
            format!("{}-{}", v[i], v[j])
        });
        i = j + 1;
    }
    out.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms01() -> Facts {
        let mut f = Facts {
            mem_total_bytes: 64 * GIB,
            p_cores: (0..8).collect(),
            e_cores: (8..20).collect(),
            ..Facts::default()
        };
        f.packages.insert("ceph-osd".into(), "19.2.3-pve1".into());
        f
    }

    #[test]
    fn memory_target_keeps_half_for_guests() {
        // 64 GiB, 2 OSDs: 32 GiB kept, 16 GiB each.
        assert_eq!(osd_memory_target(64 * GIB, 2), 16 * GIB);
        assert_eq!(osd_memory_target(64 * GIB, 4), 8 * GIB);
        // Small nodes never go below 1 GiB, big ones never above 16 GiB.
        assert_eq!(osd_memory_target(4 * GIB, 2), GIB);
        assert_eq!(osd_memory_target(512 * GIB, 1), 16 * GIB);
        // Rounded down to 256 MiB.
        assert_eq!(osd_memory_target(24 * GIB, 3) % (256 * MIB), 0);
    }

    #[test]
    fn ms01_gets_memory_mclock_nvme_and_irq_pinning() {
        let t = tune_node("n2", &ms01(), 2, &["/dev/nvme1n1".into()]);
        assert_eq!(t.config[0].who, "osd/host:n2");
        assert_eq!(t.config[0].value, (16 * GIB).to_string());
        assert!(t.config[0].why.contains("64.00 GiB RAM"));
        assert_eq!(t.config[1].key, "osd_mclock_profile");
        assert!(!t
            .config
            .iter()
            .any(|c| c.key.starts_with("bluestore_cache")));
        assert!(!t.config.iter().any(|c| c.key == "osd_max_backfills"));
        assert_eq!(t.files[0].path, "/etc/udev/rules.d/61-tbmesh-nvme.rules");
        assert!(t.files[0]
            .content
            .contains("ATTR{queue/nr_requests}=\"1023\""));
        assert!(t.files[1]
            .content
            .contains("echo 0-7 > /proc/irq/$irq/smp_affinity_list"));
        assert!(t.skipped.is_empty());
    }

    #[test]
    fn the_lab_skips_nvme_and_irqs_and_says_why() {
        let mut f = Facts {
            mem_total_bytes: 24 * GIB,
            ..Facts::default()
        };
        f.packages.insert("ceph-osd".into(), "18.2.7+ds-1".into());
        let t = tune_node("n1", &f, 2, &["/dev/loop0".into()]);
        assert!(t.files.is_empty());
        assert_eq!(t.skipped.len(), 2);
        assert!(t.skipped[1].contains("not a hybrid CPU"));
    }

    #[test]
    fn old_ceph_gets_backfill_limits_instead_of_mclock() {
        let mut f = ms01();
        f.packages
            .insert("ceph-osd".into(), "16.2.15+ds-0+deb12u1".into());
        let t = tune_node("n2", &f, 2, &[]);
        assert!(t.config.iter().any(|c| c.key == "osd_max_backfills"));
        assert!(!t.config.iter().any(|c| c.key == "osd_mclock_profile"));
    }

    #[test]
    fn cpu_lists_are_compact() {
        assert_eq!(cpu_list(&[0, 1, 2, 3, 8, 10, 11]), "0-3,8,10-11");
        assert_eq!(cpu_list(&[5]), "5");
    }
}
