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
/// each device, one `@@disk PATH` section each (and `@@lvm PATH` sections
/// for LVM's view, when any device shows LVM).
///
/// Every program start counts (a no-op apply runs this on every node): the
/// tools that read a device run once each (one `lsblk -P` for the device and
/// its children, one `blkid -p -o export`, one `wipefs`), small files are
/// read with the shell's own `read`, and `pvs`/`lvs` (~50 ms each) run only
/// when a device is held by device-mapper or carries an LVM signature.
pub fn disk_script(devices: &[String]) -> String {
    let mut s = String::from(
        "export LC_ALL=C\nlvm=\nmdstat=; [ -r /proc/mdstat ] && mdstat=$(</proc/mdstat)\n\
         rootsrc=; while read -r src mnt rest; do [ \"$mnt\" = / ] && rootsrc=$src; done </proc/self/mounts\n\
         case \"$rootsrc\" in /dev/*) [ -b \"$rootsrc\" ] || rootsrc=$(findmnt -n -o SOURCE / 2>/dev/null);; esac\n\
         rootdisk=; [ -b \"$rootsrc\" ] && rootdisk=$(lsblk -n -s -r -o NAME \"$rootsrc\" 2>/dev/null) && rootdisk=${rootdisk##*$'\\n'}\n",
    );
    for d in devices {
        let q = shell_quote(d);
        s.push_str(&format!(
            r#"echo "@@disk {q}"
if [ -b {q} ]; then
  k=$(readlink -f {q}); k=${{k##*/}}
  echo "kname $k"
  sz=; read -r sz </sys/class/block/$k/size 2>/dev/null; echo "size $sz"
  [ "$k" = "$rootdisk" ] && echo boot
  # The device, then its children: type, serial, mount point, fstype.
  while IFS= read -r l; do echo "lsblk $l"; case "$l" in *'"LVM2_member"'*) lvm=1;; esac; done < <(lsblk -P -o NAME,TYPE,SERIAL,MOUNTPOINT,FSTYPE {q} 2>/dev/null)
  while IFS=, read -r off uuid label type rest; do case "$off" in '#'*|'') continue;; esac; echo "sig $type"; [ "$type" = LVM2_member ] && lvm=1; done < <(wipefs -n -p {q} 2>/dev/null)
  while IFS='=' read -r key val; do case "$key" in TYPE|PTTYPE) echo "sig $val"; [ "$val" = LVM2_member ] && lvm=1;; esac; done < <(blkid -p -o export {q} 2>/dev/null)
  while IFS= read -r m; do echo "mount $m"; done < <(findmnt -n -r -o TARGET -S {q} 2>/dev/null)
  for h in /sys/class/block/$k/holders/* /sys/class/block/$k/$k*/holders/*; do [ -e "$h" ] && echo "holder ${{h##*/}}" && lvm=1; done
  if command -v zpool >/dev/null 2>&1; then while IFS= read -r l; do echo "zstatus $l"; done < <(zpool status -P -L 2>/dev/null); fi
  while read -r f rest; do [ "$f" = "/dev/$k" ] && echo swap; done </proc/swaps
  [[ $mdstat =~ (^|[^[:alnum:]_])"$k"([^[:alnum:]_]|$) ]] && echo md
  # Raw OSDs on partitions (containers): a container's /dev lacks their
  # nodes until made; making a node changes no data.
  parts=""; want=""
  for p in /sys/class/block/$k/${{k}}p*; do
    [ -e "$p/dev" ] || continue
    n=/dev/${{p##*/}}; mm=; read -r mm <"$p/dev"
    parts="$parts $n"; want="$want$n $(printf %x:%x ${{mm%:*}} ${{mm#*:}})"$'\n'
  done
  if [ -n "$parts" ]; then
    have=$(stat -c '%n %t:%T' $parts 2>/dev/null)$'\n'
    while read -r n mm; do
      [ -n "$n" ] || continue
      case "$have" in *"$n $mm"$'\n'*) ;; *) rm -f "$n"; mknod "$n" b $((16#${{mm%:*}})) $((16#${{mm#*:}})) 2>/dev/null;; esac
    done <<<"$want"
  fi
  # OSDs on the disk or its partitions, from their BlueStore labels (only
  # the fsid and id leave the node, never osd_key). An activated OSD's
  # directory holds its label's fields, written from the label at
  # activation: read there when the OSD's `block` is this device.
  for n in {q} $parts; do
    l=
    for o in /var/lib/ceph/osd/*-*; do
      if [ "$o/block" -ef "$n" ] && [ -f "$o/ceph_fsid" ] && [ -f "$o/whoami" ]; then
        f=; w=; read -r f <"$o/ceph_fsid"; read -r w <"$o/whoami"; l="ceph_fsid $f whoami $w"; break
      fi
    done
    # Not activated: ceph-bluestore-tool, only when the label's magic
    # is there (cmp reads 22 bytes, a tenth of its start).
    if [ -z "$l" ] && cmp -s -n 22 "$n" - <<<'bluestore block device' 2>/dev/null; then
      l=$(ceph-bluestore-tool show-label --dev "$n" 2>/dev/null | sed -n 's/^ *"\(ceph_fsid\|whoami\)": "\([^"]*\)".*/\1 \2/p' | tr '\n' ' ')
    fi
    [ -n "$l" ] && echo "label $l"
  done
else
  echo absent
fi
"#
        ));
    }
    // LVM's view (OSDs made by `ceph-volume lvm` carry their id and
    // cluster in LV tags), only when some device showed LVM.
    s.push_str("if [ -n \"$lvm\" ]; then\n  pvs=$(pvs --noheadings -o pv_name 2>/dev/null)\n  lvs=$(lvs --noheadings --separator ' ' -o devices,lv_tags 2>/dev/null)\n");
    for d in devices {
        let q = shell_quote(d);
        s.push_str(&format!(
            r#"  echo "@@lvm {q}"
  if [ -b {q} ]; then
    dev=$(readlink -f {q})
    while read -r p; do [ "$p" = "$dev" ] && echo pv; done <<<"$pvs"
    while read -r devs tags; do
      case "$devs" in "$dev("*|"$dev"p[0-9]*|"$dev"[0-9]*) echo "lvtags $(echo "$tags" | tr ',' '\n' | grep -E '^ceph\.(cluster_fsid|osd_id)=' | tr '\n' ' ')";; esac
    done <<<"$lvs"
  fi
"#
        ));
    }
    s.push_str("fi\n");
    s
}

/// Parse the output of [`disk_script`]: one [`DiskFacts`] per device.
pub fn parse_disks(out: &str) -> Vec<DiskFacts> {
    let mut v: Vec<DiskFacts> = vec![];
    // Per device: its `zpool status` lines, and whether lsblk's line of the
    // device itself (the first) was read.
    let mut zstatus: Vec<Vec<&str>> = vec![];
    let mut own_lsblk: Vec<bool> = vec![];
    let mut cur: Option<usize> = None;
    for line in out.lines() {
        if let Some(p) = line.strip_prefix("@@disk ") {
            v.push(DiskFacts {
                path: p.trim_matches('\'').to_string(),
                exists: true,
                ..DiskFacts::default()
            });
            zstatus.push(vec![]);
            own_lsblk.push(false);
            cur = Some(v.len() - 1);
            continue;
        }
        if let Some(p) = line.strip_prefix("@@lvm ") {
            let p = p.trim_matches('\'');
            cur = v.iter().position(|d| d.path == p);
            continue;
        }
        let Some(i) = cur else { continue };
        let d = &mut v[i];
        let (k, rest) = line.split_once(' ').unwrap_or((line, ""));
        let rest = rest.trim();
        match k {
            "absent" => d.exists = false,
            "kname" => d.kname = rest.to_string(),
            "size" => d.size = rest.parse::<u64>().map_or(0, |s| s * 512),
            "kind" => d.kind = rest.to_string(),
            "serial" if !rest.is_empty() => d.serial = Some(rest.to_string()),
            "boot" => d.boot = true,
            "lsblk" => {
                let f = lsblk_pairs(rest);
                let get = |k: &str| f.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
                let name = get("NAME").unwrap_or_default();
                if !own_lsblk[i] {
                    own_lsblk[i] = true;
                    d.kind = get("TYPE").unwrap_or_default().to_string();
                    d.serial = get("SERIAL").filter(|s| !s.is_empty()).map(str::to_string);
                } else if !name.is_empty() {
                    d.children.push(name.to_string());
                    if let Some(fs) = get("FSTYPE").filter(|s| !s.is_empty()) {
                        d.child_signatures.push((name.to_string(), fs.to_string()));
                    }
                }
                if let Some(m) = get("MOUNTPOINT").filter(|s| !s.is_empty()) {
                    if !d.mounts.iter().any(|x| x == m) {
                        d.mounts.push(m.to_string());
                    }
                }
            }
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
            "zstatus" => zstatus[i].push(line.strip_prefix("zstatus ").unwrap_or("")),
            "swap" => d.swap = true,
            "md" => d.md = true,
            "pv" => d.lvm_pv = true,
            "label" => d.osds.extend(label_osd(rest)),
            "lvtags" => d.osds.extend(lvm_tags_osd(rest)),
            _ => {}
        }
    }
    for (d, z) in v.iter_mut().zip(&zstatus) {
        d.zpools = pools_using(&d.kname, z);
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

/// One line of `lsblk -P`: `NAME="sdb1" TYPE="part" MOUNTPOINT="/mnt/a\x20b"`,
/// as (key, value) with lsblk's `\xNN` escapes decoded.
fn lsblk_pairs(line: &str) -> Vec<(String, String)> {
    let mut out = vec![];
    let mut rest = line.trim_start();
    while let Some((key, after)) = rest.split_once("=\"") {
        let Some(end) = after.find('"') else { break };
        out.push((key.trim().to_string(), unescape_hex(&after[..end])));
        rest = after[end + 1..].trim_start();
    }
    out
}

fn unescape_hex(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && b.get(i + 1) == Some(&b'x') {
            if let Some(v) = s
                .get(i + 2..i + 4)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
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

    /// The script's own form: one `lsblk -P` line per device and child
    /// (escapes decoded), and LVM's view in `@@lvm` sections after all
    /// devices.
    #[test]
    fn parses_lsblk_pairs_and_lvm_sections() {
        let out = r#"@@disk /dev/sdb
kname sdb
size 2048
lsblk NAME="sdb" TYPE="disk" SERIAL="WD\x20X1" MOUNTPOINT="" FSTYPE=""
lsblk NAME="sdb1" TYPE="part" SERIAL="" MOUNTPOINT="/mnt/my\x20data" FSTYPE="ext4"
lsblk NAME="sdb2" TYPE="part" SERIAL="" MOUNTPOINT="" FSTYPE=""
sig gpt
sig PMBR
@@disk '/dev/disk/by-id/nvme-A'
kname nvme1n1
lsblk NAME="nvme1n1" TYPE="disk" SERIAL="A" MOUNTPOINT="" FSTYPE="LVM2_member"
lsblk NAME="ceph--x-osd--block--y" TYPE="lvm" SERIAL="" MOUNTPOINT="" FSTYPE="ceph_bluestore"
sig LVM2_member
holder dm-0
@@lvm /dev/sdb
@@lvm '/dev/disk/by-id/nvme-A'
pv
lvtags ceph.cluster_fsid=5c3f0c4e-0d5b-4a52-9f43-2f8a0e4f9a11 ceph.osd_id=7 
"#;
        let d = parse_disks(out);
        assert_eq!(d.len(), 2);
        assert_eq!(
            (d[0].kind.as_str(), d[0].serial.as_deref()),
            ("disk", Some("WD X1"))
        );
        assert_eq!(d[0].children, vec!["sdb1", "sdb2"]);
        assert_eq!(d[0].mounts, vec!["/mnt/my data"]);
        assert_eq!(
            d[0].child_signatures,
            vec![("sdb1".to_string(), "ext4".to_string())]
        );
        assert!(matches!(
            verdict(&d[0], Some(FSID), &[]),
            Verdict::Refused { .. }
        ));
        assert_eq!(d[1].path, "/dev/disk/by-id/nvme-A");
        assert_eq!(d[1].osds, vec![(7, FSID.to_string())]);
        assert_eq!(
            verdict(&d[1], Some(FSID), &[]),
            Verdict::Ours { osds: vec![7] }
        );
        // The same device's PV, without its OSD tags: an LVM disk, refused.
        let no_tags = out.replace(
            "lvtags ceph.cluster_fsid=5c3f0c4e-0d5b-4a52-9f43-2f8a0e4f9a11 ceph.osd_id=7 \n",
            "",
        );
        let d = parse_disks(&no_tags);
        assert!(d[1].lvm_pv && !d[1].holders.is_empty());
        assert!(matches!(
            verdict(&d[1], Some(FSID), &[]),
            Verdict::Refused { .. }
        ));
    }

    /// [`disk_script`] run with bash on this machine (it must exit 0), read.
    fn run_disk_script(devices: &[String]) -> Vec<DiskFacts> {
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg(disk_script(devices))
            .output()
            .expect("bash runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        parse_disks(&String::from_utf8_lossy(&out.stdout))
    }

    /// The real script under bash on this machine: a device that does not
    /// exist is absent, and the script's shell is valid.
    #[test]
    fn the_disk_script_runs_and_reports_a_missing_device() {
        let d = run_disk_script(&["/dev/tbmesh-no-such-disk".to_string()]);
        assert_eq!(d.len(), 1);
        assert!(!d[0].exists);
    }

    /// The real script on this machine's own root disk (when `/` is on a
    /// block device): the boot disk is found, with its mount, and refused.
    #[test]
    fn the_disk_script_finds_this_machines_boot_disk() {
        let src = std::process::Command::new("findmnt")
            .args(["-n", "-o", "SOURCE", "/"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default();
        let disk = std::process::Command::new("lsblk")
            .args(["-n", "-s", "-r", "-o", "PATH", &src])
            .output()
            .map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .last()
                    .unwrap_or("")
                    .to_string()
            })
            .unwrap_or_default();
        if !disk.starts_with("/dev/") {
            eprintln!("skipped: / is not on a block device here ({src:?})");
            return;
        }
        let d = run_disk_script(std::slice::from_ref(&disk));
        assert!(d[0].exists && d[0].boot, "{disk}: {:?}", d[0]);
        assert!(d[0].in_use());
        assert!(matches!(
            verdict(&d[0], None, &[disk]),
            Verdict::Refused { .. }
        ));
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
