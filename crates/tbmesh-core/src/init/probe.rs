//! What `tbmesh init` reads from a node, in two round trips:
//!
//! 1. [`read_script`]: the facts every command gathers (hostname, kernel,
//!    packages, interfaces with MAC and PCI address, disks, management
//!    route; Ceph's version from its package) and what only init needs:
//!    CPU model, each interface's driver,
//!    disks' rotational flag and model, corosync's cluster and members, the
//!    node's host key fingerprints.
//! 2. [`cabling_script`]: for the candidate mesh ports chosen from (1): bring
//!    the ones that are down up (and IPv6 on where it is off), wait for
//!    carrier and an IPv6 link-local address, ping all-nodes (ff02::1) out of
//!    each, read the neighbour table; LLDP neighbours when lldpd runs; then
//!    put every port back as it was. The disks' emptiness facts
//!    ([`crate::ceph::disks::disk_script`]) come in the same trip.

use crate::shell::shell_quote;
use std::collections::BTreeMap;

const MARK: &str = "@@init ";

/// The init-only part of the first round trip (beside the facts' script).
pub fn read_script() -> String {
    format!(
        r#"export LC_ALL=C
echo '{MARK}cpumodel'; grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2-
echo '{MARK}drivers'; for d in /sys/class/net/*; do drv=$(readlink "$d/device/driver" 2>/dev/null); echo "${{d##*/}} ${{drv##*/}}"; done
echo '{MARK}disks'; lsblk -d -n -r -o NAME,ROTA,MODEL 2>/dev/null
echo '{MARK}by-id'; for l in /dev/disk/by-id/*; do [ -L "$l" ] && echo "$(basename "$(readlink -f "$l")") ${{l##*/}}"; done
echo '{MARK}corosync-name'; corosync-cmapctl -g totem.cluster_name 2>/dev/null | sed -n 's/^totem\.cluster_name ([a-z]*) = //p'
echo '{MARK}corosync-members'; corosync-cmapctl -b nodelist.node 2>/dev/null | sed -n 's/^nodelist\.node\.[0-9]*\.name ([a-z]*) = //p'
echo '{MARK}hostkeys'; for f in /etc/ssh/ssh_host_*_key.pub; do [ -f "$f" ] && ssh-keygen -l -f "$f" 2>/dev/null; done
"#
    )
}

/// What [`read_script`] prints.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Extra {
    pub cpu_model: String,
    /// Interface name → driver (sysfs `device/driver`; empty for virtual
    /// interfaces such as veths, whose kind comes from `ip -d`).
    pub drivers: BTreeMap<String, String>,
    /// Disk name → (rotational, model).
    pub disks: BTreeMap<String, (bool, String)>,
    /// Kernel name → its /dev/disk/by-id names.
    pub by_id: BTreeMap<String, Vec<String>>,
    pub corosync_name: Option<String>,
    pub corosync_members: Vec<String>,
    /// `ssh-keygen -l` lines of the node's own host keys.
    pub host_keys: Vec<String>,
}

fn sections(out: &str) -> BTreeMap<String, Vec<String>> {
    let mut sec: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut cur: Option<String> = None;
    for l in out.lines() {
        if let Some(h) = l.strip_prefix(MARK) {
            cur = Some(h.to_string());
            sec.entry(h.to_string()).or_default();
        } else if let Some(c) = &cur {
            if !l.trim().is_empty() {
                sec.entry(c.clone()).or_default().push(l.to_string());
            }
        }
    }
    sec
}

/// `lsblk -r` writes a space in a value as `\x20`.
fn unescape_lsblk(s: &str) -> String {
    s.replace("\\x20", " ").trim().to_string()
}

pub fn parse_extra(out: &str) -> Extra {
    let sec = sections(out);
    let lines = |k: &str| sec.get(k).cloned().unwrap_or_default();
    let first = |k: &str| {
        lines(k)
            .first()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    Extra {
        cpu_model: first("cpumodel").unwrap_or_default(),
        drivers: lines("drivers")
            .iter()
            .filter_map(|l| {
                let mut w = l.split_whitespace();
                Some((w.next()?.to_string(), w.next().unwrap_or("").to_string()))
            })
            .collect(),
        disks: lines("disks")
            .iter()
            .filter_map(|l| {
                let mut w = l.splitn(3, ' ');
                let name = w.next()?.to_string();
                let rota = w.next()? == "1";
                Some((name, (rota, unescape_lsblk(w.next().unwrap_or("")))))
            })
            .collect(),
        by_id: lines("by-id").iter().fold(BTreeMap::new(), |mut m, l| {
            if let Some((k, id)) = l.trim().split_once(' ') {
                m.entry(k.to_string())
                    .or_insert_with(Vec::new)
                    .push(id.to_string());
            }
            m
        }),
        corosync_name: first("corosync-name"),
        corosync_members: lines("corosync-members")
            .iter()
            .map(|s| s.trim().to_string())
            .collect(),
        host_keys: lines("hostkeys"),
    }
}

/// The /dev/disk/by-id path to write for a disk: a name that survives
/// reboots and re-cabling (kernel names like nvme0n1 may swap), made of
/// the model and serial where udev has one (`nvme-`, `ata-`, `virtio-`,
/// `scsi-`...), not a partition, not a bare WWN/EUI; the shortest such.
pub fn stable_path(by_id: &[String]) -> Option<String> {
    by_id
        .iter()
        .filter(|n| {
            !n.contains("-part")
                && !n.starts_with("wwn-")
                && !n.starts_with("nvme-eui.")
                && !n.starts_with("nvme-nvme.")
                && !n.starts_with("dm-")
                && !n.starts_with("lvm-")
        })
        .min_by(|a, b| (a.len(), *a).cmp(&(b.len(), *b)))
        .map(|n| format!("/dev/disk/by-id/{n}"))
}

/// The second round trip's cabling part for `ports` (names as the node has
/// them now). Waits at most `wait_secs` for carrier, link-local addresses
/// and answers; ports it brought up or whose IPv6 it switched on are put
/// back, also when the script is cut short.
pub fn cabling_script(ports: &[String], wait_secs: u32) -> String {
    let list: Vec<String> = ports.iter().map(|p| shell_quote(p)).collect();
    format!(
        r#"export LC_ALL=C
ports=({list})
brought=(); v6on=()
restore() {{
  for p in "${{brought[@]}}"; do ip link set dev "$p" down 2>/dev/null && echo "restored $p down"; done
  for p in "${{v6on[@]}}"; do echo 1 > "/proc/sys/net/ipv6/conf/$p/disable_ipv6" 2>/dev/null && echo "restored $p ipv6-off"; done
  brought=(); v6on=()
}}
trap restore EXIT
for p in "${{ports[@]}}"; do
  [ -e "/sys/class/net/$p" ] || continue
  if [ "$(cat "/proc/sys/net/ipv6/conf/$p/disable_ipv6" 2>/dev/null)" = 1 ]; then
    echo 0 > "/proc/sys/net/ipv6/conf/$p/disable_ipv6" 2>/dev/null && v6on+=("$p")
  fi
  case "$(ip -o link show dev "$p" 2>/dev/null)" in
    *"<UP,"*|*",UP,"*|*",UP>"*) ;;
    *) ip link set dev "$p" up 2>/dev/null && brought+=("$p") ;;
  esac
done
ready() {{ [ "$(cat "/sys/class/net/$1/carrier" 2>/dev/null)" = 1 ] && ip -6 -o addr show dev "$1" scope link 2>/dev/null | grep -qv tentative; }}
neigh() {{ ip -6 neigh show dev "$1" 2>/dev/null | grep -q lladdr; }}
deadline=$((SECONDS + {wait_secs}))
while [ $SECONDS -lt $deadline ]; do
  todo=0
  for p in "${{ports[@]}}"; do
    ready "$p" || {{ todo=1; continue; }}
    neigh "$p" && continue
    todo=1
    ping -6 -n -q -c 2 -w 3 "ff02::1%$p" >/dev/null 2>&1 &
  done
  wait
  [ $todo = 0 ] && break
  sleep 0.5
done
for p in "${{ports[@]}}"; do
  echo '{MARK}port '"$p"
  [ -e "/sys/class/net/$p" ] || {{ echo absent; continue; }}
  echo "carrier $(cat "/sys/class/net/$p/carrier" 2>/dev/null || echo 0)"
  ip -6 -o addr show dev "$p" scope link 2>/dev/null | grep -qv tentative && echo linklocal
  for b in "${{brought[@]}}"; do [ "$b" = "$p" ] && echo was-down; done
  ip -6 neigh show dev "$p" 2>/dev/null | sed -n 's/.* lladdr \([0-9a-fA-F:]*\).*/neigh \1/p'
done
echo '{MARK}lldp'
if command -v lldpcli >/dev/null 2>&1 && systemctl is-active --quiet lldpd 2>/dev/null; then
  lldpcli -f json show neighbors 2>/dev/null
fi
echo '{MARK}restore'
restore
"#,
        list = list.join(" ")
    )
}

/// One port as the cabling script saw it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PortSeen {
    pub name: String,
    pub exists: bool,
    pub carrier: bool,
    pub link_local: bool,
    /// The port was down and init brought it up (and put it back down).
    pub was_down: bool,
    /// MACs in the port's IPv6 neighbour table.
    pub neighbours: Vec<String>,
    /// MACs LLDP reports on the port (port ids of type mac).
    pub lldp: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CablingSeen {
    pub ports: Vec<PortSeen>,
    /// `PORT down` / `PORT ipv6-off`: what was put back.
    pub restored: Vec<String>,
}

pub fn parse_cabling(out: &str) -> CablingSeen {
    let mut seen = CablingSeen::default();
    let mut lldp_text = String::new();
    let mut cur = "";
    for l in out.lines() {
        if let Some(h) = l.strip_prefix(MARK) {
            cur = if h.starts_with("port ") { "port" } else { h };
            if let Some(name) = h.strip_prefix("port ") {
                seen.ports.push(PortSeen {
                    name: name.to_string(),
                    exists: true,
                    ..PortSeen::default()
                });
            }
            continue;
        }
        match cur {
            "port" => {
                let Some(p) = seen.ports.last_mut() else {
                    continue;
                };
                let (k, v) = l.split_once(' ').unwrap_or((l, ""));
                match k {
                    "absent" => p.exists = false,
                    "carrier" => p.carrier = v.trim() == "1",
                    "linklocal" => p.link_local = true,
                    "was-down" => p.was_down = true,
                    "neigh" => {
                        let mac = v.trim().to_ascii_lowercase();
                        if !mac.is_empty() && !p.neighbours.contains(&mac) {
                            p.neighbours.push(mac);
                        }
                    }
                    _ => {}
                }
            }
            "lldp" => {
                lldp_text.push_str(l);
                lldp_text.push('\n');
            }
            "restore" => {
                if let Some(r) = l.strip_prefix("restored ") {
                    seen.restored.push(r.to_string());
                }
            }
            _ => {}
        }
    }
    for (port, macs) in parse_lldp(&lldp_text) {
        if let Some(p) = seen.ports.iter_mut().find(|p| p.name == port) {
            p.lldp = macs;
        }
    }
    seen
}

/// `lldpcli -f json show neighbors`: interface → the neighbour's port id
/// when it is a MAC (lldpd's default on Linux: the port's own MAC). lldpcli
/// writes `interface` as an object for one neighbour and as a list of
/// one-key objects for several.
pub fn parse_lldp(text: &str) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let Ok(v) = serde_json::from_str::<serde_json::Value>(text.trim()) else {
        return out;
    };
    let ifaces = &v["lldp"]["interface"];
    let entries: Vec<(&String, &serde_json::Value)> = match ifaces {
        serde_json::Value::Object(m) => m.iter().collect(),
        serde_json::Value::Array(a) => a
            .iter()
            .filter_map(|e| e.as_object())
            .flat_map(|m| m.iter())
            .collect(),
        _ => vec![],
    };
    for (name, n) in entries {
        let mut macs = vec![];
        let mut take = |id: &serde_json::Value| {
            if id["type"] == "mac" {
                if let Some(m) = id["value"].as_str() {
                    let m = m.to_ascii_lowercase();
                    if !macs.contains(&m) {
                        macs.push(m);
                    }
                }
            }
        };
        // The port id (a MAC by default on Linux): the chassis id names the
        // machine, whose MAC is some other interface's.
        take(&n["port"]["id"]);
        out.entry(name.clone()).or_default().extend(macs);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_init_part_of_a_hybrid_pve_node() {
        let out = "@@init cpumodel\n 13th Gen Intel(R) Core(TM) i9-13900H\n\
@@init drivers\nen05 thunderbolt-net\nlo \nvmbr0 \nenp2s0f0np0 ixgbe\n\
@@init disks\nnvme0n1 0 Samsung\\x20SSD\\x20980\nsda 1 ST4000\n\
@@init by-id\nnvme0n1 nvme-eui.0025385\nnvme0n1 nvme-Samsung_SSD_980_S64_1\nnvme0n1 nvme-Samsung_SSD_980_S64\nnvme0n1p1 nvme-Samsung_SSD_980_S64-part1\n\
@@init corosync-name\nhomelab\n\
@@init corosync-members\npve1\npve2\n\
@@init hostkeys\n256 SHA256:abc root@pve1 (ED25519)\n";
        let e = parse_extra(out);
        assert_eq!(e.cpu_model, "13th Gen Intel(R) Core(TM) i9-13900H");
        assert_eq!(e.drivers["en05"], "thunderbolt-net");
        assert_eq!(e.drivers["lo"], "");
        assert_eq!(e.disks["nvme0n1"], (false, "Samsung SSD 980".to_string()));
        assert_eq!(e.disks["sda"], (true, "ST4000".to_string()));
        assert_eq!(e.corosync_name.as_deref(), Some("homelab"));
        assert_eq!(
            stable_path(&e.by_id["nvme0n1"]).as_deref(),
            Some("/dev/disk/by-id/nvme-Samsung_SSD_980_S64")
        );
        assert_eq!(stable_path(&["wwn-0x5000".to_string()]), None);
        assert_eq!(e.corosync_members, vec!["pve1", "pve2"]);
        assert_eq!(e.host_keys.len(), 1);
    }

    #[test]
    fn a_node_without_corosync_or_ceph_reads_as_none() {
        let e = parse_extra(
            "@@init cpumodel\n@@init corosync-name\n@@init corosync-members\n@@init ceph\n",
        );
        assert_eq!(e.corosync_name, None);
        assert!(e.corosync_members.is_empty());
    }

    #[test]
    fn reads_ports_neighbours_and_what_was_put_back() {
        let out = "@@init port en05\ncarrier 1\nlinklocal\nwas-down\nneigh AA:BB:CC:00:00:01\nneigh aa:bb:cc:00:00:01\n\
@@init port en06\ncarrier 0\n@@init port gone\nabsent\n@@init lldp\n@@init restore\nrestored en05 down\n";
        let s = parse_cabling(out);
        assert_eq!(s.ports.len(), 3);
        assert!(s.ports[0].carrier && s.ports[0].link_local && s.ports[0].was_down);
        assert_eq!(s.ports[0].neighbours, vec!["aa:bb:cc:00:00:01"]);
        assert!(!s.ports[1].carrier && s.ports[1].neighbours.is_empty());
        assert!(!s.ports[2].exists);
        assert_eq!(s.restored, vec!["en05 down"]);
    }

    // The shapes lldpd 1.0's `lldpcli -f json show neighbors` writes: one
    // neighbour (interface is an object) and two (a list of objects).
    #[test]
    fn reads_lldp_neighbours_in_both_shapes() {
        let one = r#"{"lldp": {"interface": {"en05": {"via": "LLDP", "rid": "1",
          "chassis": {"pve2": {"id": {"type": "mac", "value": "02:00:00:00:00:aa"}}},
          "port": {"id": {"type": "mac", "value": "02:00:00:00:02:05"}, "descr": "en05"}}}}}"#;
        let m = parse_lldp(one);
        assert_eq!(m["en05"], vec!["02:00:00:00:02:05"]);
        let two = r#"{"lldp": {"interface": [
          {"en05": {"chassis": {"id": {"type": "local", "value": "x"}}, "port": {"id": {"type": "mac", "value": "02:00:00:00:03:05"}}}},
          {"en06": {"chassis": {"id": {"type": "mac", "value": "02:00:00:00:00:bb"}}, "port": {"id": {"type": "ifname", "value": "en05"}}}}]}}"#;
        let m = parse_lldp(two);
        assert_eq!(m["en05"], vec!["02:00:00:00:03:05"]);
        // A port id that is not a MAC identifies nothing here.
        assert!(m["en06"].is_empty());
        assert!(parse_lldp("").is_empty());
    }

    #[test]
    fn the_scripts_are_valid_bash_and_quote_port_names() {
        let s = cabling_script(&["en05".into(), "we ird".into()], 5);
        assert!(s.contains("ports=(en05 'we ird')"));
        for script in [s, read_script()] {
            let out = std::process::Command::new("bash")
                .args(["-n", "-c", &script])
                .output()
                .expect("bash");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}
