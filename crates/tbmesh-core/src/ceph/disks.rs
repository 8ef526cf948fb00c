//! Disk safety: a device becomes OSDs only if it is empty, or already holds
//! this cluster's OSDs (then it is left alone), or the user named it to be
//! wiped. Everything here reads facts gathered by [`disk_script`]; the
//! verdict is reached before any disk is touched.

use crate::shell::shell_quote;
use serde::Serialize;

/// What a node says about one device listed in `osd_devices`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DiskFacts {
    pub path: String,
    /// The path names a block device.
    pub exists: bool,
    /// The kernel name (`nvme1n1`, `loop2`), after resolving links.
    pub kname: String,
    pub size: u64,
    pub serial: Option<String>,
    /// Device type from lsblk: disk, loop, part, lvm, ...
    pub kind: String,
    /// Signatures `wipefs -n` finds: gpt, dos, ext4, LVM2_member,
    /// linux_raid_member, ceph_bluestore, ...
    pub signatures: Vec<String>,
    /// Partitions and other children (lsblk).
    pub children: Vec<String>,
    /// Where the device or any child is mounted.
    pub mounts: Vec<String>,
    /// Kernel holders (device-mapper: active LVM volumes, dm-crypt,
    /// multipath; md) of the device or of its partitions, from
    /// /sys/class/block/X[/P]/holders.
    pub holders: Vec<String>,
    /// Partitions (and other children) with a signature of their own, as
    /// `lsblk -o FSTYPE` reads them: (name, fstype), like ("sdb1", "zfs_member").
    pub child_signatures: Vec<(String, String)>,
    /// Imported ZFS pools that use the device or one of its partitions
    /// (from `zpool status -P -L`): (pool, vdev path).
    pub zpools: Vec<(String, String)>,
    /// Listed by `pvs` as an LVM physical volume.
    pub lvm_pv: bool,
    /// Part of an md array in /proc/mdstat.
    pub md: bool,
    /// Carries the root filesystem (or a parent of it).
    pub boot: bool,
    /// Swap on the device.
    pub swap: bool,
    /// OSDs ceph-volume finds on it: (osd id, cluster fsid).
    pub osds: Vec<(u32, String)>,
}

/// What apply will do with a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Empty: becomes OSDs.
    Empty,
    /// Already carries this cluster's OSDs: left alone.
    Ours { osds: Vec<u32> },
    /// Not empty: the phase stops before touching any disk.
    Refused { found: Vec<String> },
    /// Not empty, but named with `--wipe-disk`: wiped, then OSDs.
    Wipe { found: Vec<String> },
}

impl DiskFacts {
    /// Everything that makes the device not empty, in words.
    pub fn findings(&self) -> Vec<String> {
        let mut f = vec![];
        if !self.exists {
            f.push("no such block device".to_string());
            return f;
        }
        if self.boot {
            f.push("it holds the root filesystem (boot disk)".into());
        }
        for m in &self.mounts {
            f.push(format!("mounted at {m}"));
        }
        if self.swap {
            f.push("in use as swap".into());
        }
        for s in &self.signatures {
            f.push(signature_words(s));
        }
        if !self.children.is_empty() {
            f.push(format!(
                "partitions or volumes: {}",
                self.children.join(", ")
            ));
        }
        if self.lvm_pv && !self.signatures.iter().any(|s| s == "LVM2_member") {
            f.push("listed by pvs as an LVM physical volume".into());
        }
        if self.md {
            f.push("part of an md RAID array".into());
        }
        for (child, fstype) in &self.child_signatures {
            f.push(format!("{child} holds {}", signature_words(fstype)));
        }
        if !self.holders.is_empty() {
            f.push(format!(
                "in use by {} (an active device-mapper or md device: LVM volume, dm-crypt, multipath)",
                self.holders.join(", ")
            ));
        }
        for (pool, vdev) in &self.zpools {
            f.push(format!("in use by the imported ZFS pool {pool} ({vdev})"));
        }
        for (id, fsid) in &self.osds {
            f.push(format!("OSD {id} of another Ceph cluster ({fsid})"));
        }
        f
    }

    /// Something running uses the device (not only data on it): wiping it,
    /// even when named, would pull a disk from under a mount, swap, an md
    /// array, an active LVM volume or dm device, or an imported ZFS pool.
    pub fn in_use(&self) -> bool {
        self.boot
            || !self.mounts.is_empty()
            || self.swap
            || self.md
            || !self.holders.is_empty()
            || !self.zpools.is_empty()
    }

    /// Whether `--wipe-disk NAME` names this device: by serial, or by path
    /// for devices without one (loop devices).
    pub fn named_by(&self, name: &str) -> bool {
        match &self.serial {
            Some(s) if !s.is_empty() => s == name,
            _ => name == self.path || name == format!("/dev/{}", self.kname),
        }
    }
}

fn signature_words(s: &str) -> String {
    match s {
        "gpt" | "dos" | "PMBR" => format!("a partition table ({s})"),
        "LVM2_member" => "an LVM physical volume signature".into(),
        "linux_raid_member" => "an md RAID member signature".into(),
        "zfs_member" => "a ZFS pool member signature".into(),
        "crypto_LUKS" => "a LUKS encrypted volume".into(),
        "ceph_bluestore" => "a Ceph BlueStore label".into(),
        other => format!("a {other} signature"),
    }
}

/// Decide what happens to a device. `fsid` is the cluster's (if it exists yet).
pub fn verdict(d: &DiskFacts, fsid: Option<&str>, wipe: &[String]) -> Verdict {
    if d.exists && !d.osds.is_empty() && d.osds.iter().all(|(_, f)| Some(f.as_str()) == fsid) {
        return Verdict::Ours {
            osds: d.osds.iter().map(|(id, _)| *id).collect(),
        };
    }
    let found = d.findings();
    if found.is_empty() {
        return Verdict::Empty;
    }
    // Never wipe what can't be wiped safely, named or not.
    let unwipeable = !d.exists || d.in_use();
    if !unwipeable && wipe.iter().any(|w| d.named_by(w)) {
        return Verdict::Wipe { found };
    }
    Verdict::Refused { found }
}

/// The node-side script that prints the facts [`parse_disk`] reads for
/// each device, one `@@disk PATH` section each.
pub fn disk_script(devices: &[String]) -> String {
    // LVM's view (pvs, lvs: ~50 ms each) once for all devices, read while
    // the rest runs; each device's BlueStore labels read in parallel.
    let mut s = String::from(
        "export LC_ALL=C\ntbd=$(mktemp -d)\n\
         pvs --noheadings -o pv_name >\"$tbd/pvs\" 2>/dev/null &\n\
         lvs --noheadings --separator ' ' -o devices,lv_tags >\"$tbd/lvs\" 2>/dev/null &\n\
         rootsrc=$(findmnt -n -o SOURCE / 2>/dev/null)\nrootdisk=$(lsblk -n -s -r -o NAME \"$rootsrc\" 2>/dev/null | tail -n 1)\n",
    );
    for d in devices {
        let q = shell_quote(d);
        s.push_str(&format!(
            r#"echo "@@disk {q}"
if [ -b {q} ]; then
  k=$(basename "$(readlink -f {q})")
  echo "kname $k"
  echo "size $(cat /sys/class/block/$k/size 2>/dev/null)"
  echo "kind $(lsblk -n -d -r -o TYPE {q} 2>/dev/null)"
  echo "serial $(lsblk -n -d -r -o SERIAL {q} 2>/dev/null)"
  [ "$k" = "$rootdisk" ] && echo boot
  wipefs -n -p {q} 2>/dev/null | grep -v '^#' | while IFS=, read -r off uuid label type rest; do echo "sig $type"; done
  blkid -p -o value -s TYPE {q} 2>/dev/null | sed 's/^/sig /'
  blkid -p -o value -s PTTYPE {q} 2>/dev/null | sed 's/^/sig /'
  lsblk -n -r -o NAME {q} 2>/dev/null | tail -n +2 | sed 's/^/child /'
  lsblk -n -r -o MOUNTPOINT {q} 2>/dev/null | grep -v '^$' | sed 's/^/mount /'
  findmnt -n -r -o TARGET -S {q} 2>/dev/null | sed 's/^/mount /'
  for h in /sys/class/block/$k/holders/* /sys/class/block/$k/$k*/holders/*; do [ -e "$h" ] && echo "holder ${{h##*/}}"; done
  lsblk -n -r -o NAME,FSTYPE {q} 2>/dev/null | tail -n +2 | sed 's/^/childfs /'
  zpool status -P -L 2>/dev/null | sed 's/^/zstatus /'
  grep -qw "/dev/$k" /proc/swaps 2>/dev/null && echo swap
  grep -qw "$k" /proc/mdstat 2>/dev/null && echo md
  # Raw OSDs on partitions (containers): a container's /dev lacks their
  # nodes until made; making a node changes no data.
  parts=""
  for p in /sys/class/block/$k/${{k}}p*; do
    [ -e "$p/dev" ] || continue
    n=/dev/${{p##*/}}; mm=$(cat "$p/dev")
    if [ "$(stat -c %t:%T "$n" 2>/dev/null)" != "$(printf %x:%x ${{mm%:*}} ${{mm#*:}})" ]; then rm -f "$n"; mknod "$n" b ${{mm%:*}} ${{mm#*:}} 2>/dev/null; fi
    parts="$parts $n"
  done
  # OSDs on the disk, from their own labels, without ceph-volume (a Python
  # start of seconds per call): BlueStore labels (raw OSDs, on the disk or
  # its partitions; only the fsid and id leave the node, never osd_key)
  # and LVM tags (OSDs made by `ceph-volume lvm`).
  i=0
  for n in {q} $parts; do
    i=$((i + 1))
    ceph-bluestore-tool show-label --dev "$n" 2>/dev/null | sed -n 's/^ *"\(ceph_fsid\|whoami\)": "\([^"]*\)".*/\1 \2/p' | tr '\n' ' ' >"$tbd/label$i" &
  done
  wait
  grep -qx "[[:space:]]*$(readlink -f {q})" "$tbd/pvs" && echo pv
  j=1
  while [ "$j" -le "$i" ]; do
    l=$(cat "$tbd/label$j"); [ -n "$l" ] && echo "label $l"
    j=$((j + 1))
  done
  dev=$(readlink -f {q})
  while read -r devs tags; do
    case "$devs" in "$dev("*|"$dev"p[0-9]*|"$dev"[0-9]*) echo "lvtags $(echo "$tags" | tr ',' '\n' | grep -E '^ceph\.(cluster_fsid|osd_id)=' | tr '\n' ' ')";; esac
  done <"$tbd/lvs"
else
  echo absent
fi
"#
        ));
    }
    s.push_str("wait\nrm -rf \"$tbd\"\n");
    s
}

/// Parse the output of [`disk_script`]: one [`DiskFacts`] per device.
pub fn parse_disks(out: &str) -> Vec<DiskFacts> {
    let mut v: Vec<DiskFacts> = vec![];
    // `zpool status` lines of the device being read.
    let mut zstatus: Vec<&str> = vec![];
    for line in out.lines() {
        if let Some(p) = line.strip_prefix("@@disk ") {
            if let Some(d) = v.last_mut() {
                d.zpools = pools_using(&d.kname, &zstatus);
            }
            zstatus.clear();
            v.push(DiskFacts {
                path: p.trim_matches('\'').to_string(),
                exists: true,
                ..DiskFacts::default()
            });
            continue;
        }
        let Some(d) = v.last_mut() else { continue };
        let (k, rest) = line.split_once(' ').unwrap_or((line, ""));
        let rest = rest.trim();
        match k {
            "absent" => d.exists = false,
            "kname" => d.kname = rest.to_string(),
            "size" => d.size = rest.parse::<u64>().map_or(0, |s| s * 512),
            "kind" => d.kind = rest.to_string(),
            "serial" if !rest.is_empty() => d.serial = Some(rest.to_string()),
            "boot" => d.boot = true,
            "sig" if !rest.is_empty() && !d.signatures.iter().any(|s| s == rest) => {
                d.signatures.push(rest.to_string());
            }
            "child" if !rest.is_empty() => d.children.push(rest.to_string()),
            "mount" if !rest.is_empty() && !d.mounts.iter().any(|m| m == rest) => {
                d.mounts.push(rest.to_string());
            }
            "holder" if !rest.is_empty() && !d.holders.iter().any(|h| h == rest) => {
                d.holders.push(rest.to_string());
            }
            "childfs" => {
                if let Some((child, fstype)) = rest.split_once(' ') {
                    if !fstype.trim().is_empty() {
                        d.child_signatures
                            .push((child.to_string(), fstype.trim().to_string()));
                    }
                }
            }
            "zstatus" => zstatus.push(line.strip_prefix("zstatus ").unwrap_or("")),
            "swap" => d.swap = true,
            "md" => d.md = true,
            "pv" => d.lvm_pv = true,
            "label" => d.osds.extend(label_osd(rest)),
            "lvtags" => d.osds.extend(lvm_tags_osd(rest)),
            _ => {}
        }
    }
    if let Some(d) = v.last_mut() {
        d.zpools = pools_using(&d.kname, &zstatus);
    }
    for d in &mut v {
        d.osds.sort();
        d.osds.dedup();
        // An OSD's own BlueStore label or LVM PV is accounted for by `osds`.
        if !d.osds.is_empty() {
            d.signatures
                .retain(|s| s != "ceph_bluestore" && s != "LVM2_member");
            d.lvm_pv = false;
            d.holders.clear();
            d.children.clear();
            d.child_signatures.clear();
        }
    }
    v
}

/// The imported pools (and vdev) of `zpool status -P -L` output that use
/// the disk `kname` or a partition of it (`-L` resolves links, so vdevs are
/// /dev/KNAME paths).
fn pools_using(kname: &str, status: &[&str]) -> Vec<(String, String)> {
    if kname.is_empty() {
        return vec![];
    }
    let mut pool = None;
    let mut found = vec![];
    for line in status {
        let mut words = line.split_whitespace();
        match words.next() {
            Some("pool:") => pool = words.next(),
            Some(vdev) => {
                let Some(name) = vdev.strip_prefix("/dev/") else {
                    continue;
                };
                let Some(rest) = name.strip_prefix(kname) else {
                    continue;
                };
                // nvme1n1 / nvme1n1p1 / sdb1, never nvme1n10 for nvme1n1.
                let digits = rest.strip_prefix('p').unwrap_or(rest);
                let whole_or_part = rest.is_empty()
                    || (!digits.is_empty()
                        && digits.bytes().all(|b| b.is_ascii_digit())
                        && (rest.starts_with('p')
                            || !kname.ends_with(|c: char| c.is_ascii_digit())));
                if whole_or_part {
                    if let Some(p) = pool {
                        found.push((p.to_string(), vdev.to_string()));
                    }
                }
            }
            None => {}
        }
    }
    found
}

/// A BlueStore label's `ceph_fsid F whoami N` (from `ceph-bluestore-tool show-label`).
fn label_osd(rest: &str) -> Option<(u32, String)> {
    let w: Vec<&str> = rest.split_whitespace().collect();
    let get = |k: &str| w.iter().position(|x| *x == k).and_then(|i| w.get(i + 1));
    Some((get("whoami")?.parse().ok()?, get("ceph_fsid")?.to_string()))
}

/// An LV's tags `ceph.cluster_fsid=F ceph.osd_id=N` (what `ceph-volume lvm list` reads).
fn lvm_tags_osd(rest: &str) -> Option<(u32, String)> {
    let get = |k: &str| {
        rest.split_whitespace()
            .find_map(|t| t.strip_prefix(k)?.strip_prefix('='))
    };
    Some((
        get("ceph.osd_id")?.parse().ok()?,
        get("ceph.cluster_fsid")?.to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FSID: &str = "5c3f0c4e-0d5b-4a52-9f43-2f8a0e4f9a11";

    fn empty() -> DiskFacts {
        DiskFacts {
            path: "/dev/nvme1n1".into(),
            exists: true,
            kname: "nvme1n1".into(),
            size: 2_000_398_934_016,
            serial: Some("S6XXNS0W123456".into()),
            kind: "disk".into(),
            ..DiskFacts::default()
        }
    }

    #[test]
    fn an_empty_disk_becomes_osds() {
        assert_eq!(verdict(&empty(), Some(FSID), &[]), Verdict::Empty);
        assert_eq!(verdict(&empty(), None, &[]), Verdict::Empty);
    }

    #[test]
    fn a_disk_with_a_filesystem_is_refused_and_says_what_it_found() {
        let d = DiskFacts {
            signatures: vec!["ext4".into()],
            ..empty()
        };
        let Verdict::Refused { found } = verdict(&d, Some(FSID), &[]) else {
            panic!("not refused")
        };
        assert_eq!(found, vec!["a ext4 signature".to_string()]);
    }

    #[test]
    fn partitions_lvm_raid_and_mounts_are_refused() {
        for d in [
            DiskFacts {
                signatures: vec!["gpt".into()],
                children: vec!["nvme1n1p1".into()],
                ..empty()
            },
            DiskFacts {
                signatures: vec!["LVM2_member".into()],
                lvm_pv: true,
                holders: vec!["dm-0".into()],
                ..empty()
            },
            DiskFacts {
                signatures: vec!["linux_raid_member".into()],
                md: true,
                ..empty()
            },
            DiskFacts {
                mounts: vec!["/srv".into()],
                ..empty()
            },
            DiskFacts {
                boot: true,
                ..empty()
            },
            DiskFacts {
                swap: true,
                ..empty()
            },
            DiskFacts {
                exists: false,
                ..empty()
            },
        ] {
            assert!(
                matches!(verdict(&d, Some(FSID), &[]), Verdict::Refused { .. }),
                "{d:?}"
            );
        }
    }

    #[test]
    fn our_own_osds_are_left_alone_and_foreign_ones_refused() {
        let ours = DiskFacts {
            osds: vec![(0, FSID.into()), (1, FSID.into())],
            ..empty()
        };
        assert_eq!(
            verdict(&ours, Some(FSID), &[]),
            Verdict::Ours { osds: vec![0, 1] }
        );
        let foreign = DiskFacts {
            osds: vec![(3, "00000000-0000-4000-8000-000000000000".into())],
            ..empty()
        };
        let Verdict::Refused { found } = verdict(&foreign, Some(FSID), &[]) else {
            panic!("foreign OSDs not refused")
        };
        assert!(found[0].contains("another Ceph cluster"), "{found:?}");
        // Before this cluster exists, any OSD is someone else's (PITFALLS 16).
        assert!(matches!(verdict(&ours, None, &[]), Verdict::Refused { .. }));
    }

    #[test]
    fn wiping_needs_the_serial_and_never_touches_mounted_or_boot_disks() {
        let d = DiskFacts {
            signatures: vec!["ext4".into()],
            ..empty()
        };
        assert!(matches!(
            verdict(&d, Some(FSID), &["OTHER".into()]),
            Verdict::Refused { .. }
        ));
        // The path is not enough for a disk that has a serial.
        assert!(matches!(
            verdict(&d, Some(FSID), &["/dev/nvme1n1".into()]),
            Verdict::Refused { .. }
        ));
        assert!(matches!(
            verdict(&d, Some(FSID), &["S6XXNS0W123456".into()]),
            Verdict::Wipe { .. }
        ));
        let mounted = DiskFacts {
            mounts: vec!["/srv".into()],
            ..d.clone()
        };
        assert!(matches!(
            verdict(&mounted, Some(FSID), &["S6XXNS0W123456".into()]),
            Verdict::Refused { .. }
        ));
        let boot = DiskFacts { boot: true, ..d };
        assert!(matches!(
            verdict(&boot, Some(FSID), &["S6XXNS0W123456".into()]),
            Verdict::Refused { .. }
        ));
    }

    #[test]
    fn a_loop_device_without_serial_is_named_by_path() {
        let d = DiskFacts {
            path: "/dev/loop3".into(),
            kname: "loop3".into(),
            serial: None,
            kind: "loop".into(),
            signatures: vec!["ext4".into()],
            ..empty()
        };
        assert!(matches!(
            verdict(&d, None, &["/dev/loop3".into()]),
            Verdict::Wipe { .. }
        ));
    }

    #[test]
    fn parses_the_disk_script_output() {
        let out = "@@disk /dev/loop2\nkname loop2\nsize 8388608\nkind loop\nserial \nsig ext4\nsig ext4\nmount /mnt/data\n@@disk /dev/loop9\nabsent\n@@disk /dev/loop3\nkname loop3\nsize 8388608\nkind loop\nserial \nsig ceph_bluestore\nlabel ceph_fsid 5c3f0c4e-0d5b-4a52-9f43-2f8a0e4f9a11 whoami 4 \n@@disk /dev/nvme1n1\nkname nvme1n1\nsig LVM2_member\nlvtags ceph.cluster_fsid=5c3f0c4e-0d5b-4a52-9f43-2f8a0e4f9a11 ceph.osd_id=7 \n";
        let d = parse_disks(out);
        assert_eq!(d.len(), 4);
        assert_eq!(d[3].osds, vec![(7, FSID.to_string())]);
        assert!(!d[3].lvm_pv && d[3].signatures.is_empty());
        assert_eq!(d[0].signatures, vec!["ext4"]);
        assert_eq!(d[0].mounts, vec!["/mnt/data"]);
        assert_eq!(d[0].size, 8388608 * 512);
        assert_eq!(d[0].serial, None);
        assert!(!d[1].exists);
        assert_eq!(d[2].osds, vec![(4, FSID.to_string())]);
        assert!(d[2].signatures.is_empty());
        assert_eq!(
            verdict(&d[2], Some(FSID), &[]),
            Verdict::Ours { osds: vec![4] }
        );
    }

    /// Issue 14 item 9: a disk held by device-mapper (an active LVM volume
    /// on a partition), carrying ZFS partitions, or in an imported ZFS
    /// pool was not treated as in use: named to --wipe-disk, it was wiped.
    /// The `zstatus` lines are `zpool status -P -L` as OpenZFS 2.2 prints it.
    #[test]
    fn item9_disks_held_by_lvm_dm_or_zfs_are_in_use() {
        let out = "\
@@disk /dev/sdb
kname sdb
kind disk
serial WD-1
sig gpt
child sdb1
child sdb9
childfs sdb1 zfs_member
childfs sdb9 
zstatus   pool: tank
zstatus  state: ONLINE
zstatus config:
zstatus 
zstatus \tNAME           STATE     READ WRITE CKSUM
zstatus \ttank           ONLINE       0     0     0
zstatus \t  mirror-0     ONLINE       0     0     0
zstatus \t    /dev/sdb1  ONLINE       0     0     0
zstatus \t    /dev/sdc1  ONLINE       0     0     0
zstatus 
zstatus errors: No known data errors
@@disk /dev/nvme1n1
kname nvme1n1
kind disk
serial S6-1
sig gpt
child nvme1n1p1
child pve-data
childfs nvme1n1p1 LVM2_member
holder dm-3
holder dm-3
@@disk /dev/sdbb
kname sdbb
kind disk
serial WD-2
sig zfs_member
zstatus   pool: tank
zstatus \t    /dev/sdb1  ONLINE       0     0     0
";
        let d = parse_disks(out);
        assert_eq!(d.len(), 3);
        assert_eq!(
            d[0].zpools,
            vec![("tank".to_string(), "/dev/sdb1".to_string())]
        );
        assert_eq!(
            d[0].child_signatures,
            vec![("sdb1".to_string(), "zfs_member".to_string())]
        );
        assert_eq!(d[1].holders, vec!["dm-3"]);
        assert_eq!(
            d[1].child_signatures,
            vec![("nvme1n1p1".to_string(), "LVM2_member".to_string())]
        );
        // sdb1 is not a partition of sdbb; an exported pool's disk has data
        // (refused) but can be wiped when named.
        assert!(d[2].zpools.is_empty());
        for (disk, words) in [
            (&d[0], "in use by the imported ZFS pool tank (/dev/sdb1)"),
            (&d[1], "in use by dm-3 (an active device-mapper"),
        ] {
            assert!(disk.in_use());
            let found = disk.findings();
            assert!(found.iter().any(|f| f.contains(words)), "{found:?}");
            let named = [disk.serial.clone().unwrap_or_default()];
            assert!(
                matches!(verdict(disk, None, &named), Verdict::Refused { .. }),
                "{} is wiped although in use",
                disk.path
            );
        }
        assert!(d[0]
            .findings()
            .contains(&"sdb1 holds a ZFS pool member signature".to_string()));
        assert!(!d[2].in_use());
        assert!(matches!(
            verdict(&d[2], None, &["WD-2".into()]),
            Verdict::Wipe { .. }
        ));
    }

    #[test]
    fn zpool_vdevs_match_only_the_disk_and_its_partitions() {
        let status = [
            "  pool: p",
            "\t/dev/nvme1n1p2 ONLINE",
            "\t/dev/nvme1n10 ONLINE",
        ];
        assert_eq!(
            pools_using("nvme1n1", &status),
            vec![("p".into(), "/dev/nvme1n1p2".into())]
        );
        assert_eq!(
            pools_using("nvme1n10", &status),
            vec![("p".into(), "/dev/nvme1n10".into())]
        );
        assert!(pools_using("nvme1", &status).is_empty());
        assert!(pools_using("", &status).is_empty());
    }

    #[test]
    fn the_disk_script_is_valid_shell() {
        let s = disk_script(&["/dev/nvme1n1".into(), "/dev/disk/by-id/a b".into()]);
        let out = std::process::Command::new("bash")
            .args(["-n", "-c", &s])
            .output()
            .expect("bash runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn the_script_quotes_device_paths() {
        let s = disk_script(&["/dev/disk/by-id/nvme-Samsung SSD".into()]);
        assert!(s.contains("'/dev/disk/by-id/nvme-Samsung SSD'"));
    }
}
