//! Facts about a node: what it has now. Gathered in one round trip by the
//! script [`gather_script`] writes; parsed from its output by pure functions
//! tested on captured real output.

use crate::net::Ipv4Net;
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Separates the sections of the gather output.
const MARK: &str = "@@tbmesh ";

/// The script that prints everything [`parse`] reads. `paths` are the files
/// whose content, mode and owner are wanted.
pub fn gather_script(paths: &[String]) -> String {
    // Every program start costs a few ms on the node (this runs on every
    // node for every command): what the shell can read itself, it reads.
    let mut s = String::from(
        r#"export LC_ALL=C
section() { echo "@@tbmesh $*"; }
section hostname; echo "$HOSTNAME"
section kernel; read -r x </proc/sys/kernel/osrelease; echo "$x"
section os; while IFS= read -r x || [ -n "$x" ]; do echo "$x"; done </etc/os-release 2>/dev/null
section meminfo; while IFS= read -r x; do case "$x" in MemTotal:*|MemAvailable:*) echo "$x";; esac; done </proc/meminfo
section cpus; while IFS= read -r x; do case "$x" in Cpus_allowed_list:*) echo "list ${x#*:}";; esac; done </proc/self/status
section cpu-core; x=; read -r x </sys/devices/cpu_core/cpus 2>/dev/null && echo "$x"
section cpu-atom; x=; read -r x </sys/devices/cpu_atom/cpus 2>/dev/null && echo "$x"
section addrs; ip -j -d addr show 2>/dev/null
section lsblk; lsblk -J -b -o NAME,PATH,TYPE,SIZE,FSTYPE,MOUNTPOINT,SERIAL,PKNAME 2>/dev/null
section packages; dpkg-query -W -f '${Package} ${Version} ${db:Status-Abbrev}\n' frr frr-pythontools ifupdown2 ceph-mon ceph-osd ceph-mgr ceph-volume ceph-common pve-manager libpve-network-perl systemd lldpd iperf3 2>/dev/null
section udev; if [ -S /run/udev/control ]; then echo yes; else echo no; fi
section virt; x=; read -r x </run/systemd/container 2>/dev/null; if [ -n "$x" ]; then echo "$x"; else systemd-detect-virt 2>/dev/null || true; fi
section pci; for x in /sys/bus/pci/devices/*; do [ -e "$x" ] && echo "${x##*/}"; done
section netdev; set -- /sys/class/net/*; i=0; while IFS= read -r x; do i=$((i + 1)); echo "${!i##*/} $x"; done < <(readlink -m "${@/%//device}" 2>/dev/null)
section ssh; echo "${SSH_CONNECTION:-}"
section ssh-route; set -- ${SSH_CONNECTION:-}; if [ -n "${1:-}" ]; then ip -o route get "$1" 2>/dev/null; fi
"#,
    );
    if !paths.is_empty() {
        // The managed files: which exist, then all of them in one tar
        // (mode, owner, group and content; links followed) instead of two
        // programs per file.
        let list: Vec<String> = paths.iter().map(|p| crate::shell::shell_quote(p)).collect();
        s.push_str(&format!(
            "section files; tbf=(); for x in {}; do if [ -f \"$x\" ]; then tbf+=(\"$x\"); echo \"present $x\"; else echo \"absent $x\"; fi; done\n\
             section files-tar; if [ ${{#tbf[@]}} -gt 0 ]; then tar -c -h -P --hard-dereference --format=gnu -f - -- \"${{tbf[@]}}\" 2>/dev/null | base64 -w0; fi; echo\n",
            list.join(" ")
        ));
    }
    s
}

/// A network interface and its IPv4 addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Interface {
    pub name: String,
    pub mtu: u32,
    /// The kernel reports carrier (`LOWER_UP`).
    pub carrier: bool,
    /// Administratively up (`UP`).
    pub up: bool,
    pub mac: Option<String>,
    /// `veth`, `dummy`, ... (none for physical NICs).
    pub kind: Option<String>,
    pub addrs: Vec<Ipv4Net>,
    /// The bridge or bond it is a member of.
    pub master: Option<String>,
    /// The interface it sits on (a VLAN's parent).
    pub link: Option<String>,
    /// The PCI address of its device (the nearest PCI device in its sysfs
    /// path; a Thunderbolt port's is its controller's).
    pub pci: Option<String>,
}

/// A block device from lsblk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlockDevice {
    pub name: String,
    pub path: String,
    pub kind: String,
    pub size: u64,
    pub fstype: Option<String>,
    pub mountpoint: Option<String>,
    pub serial: Option<String>,
    pub children: Vec<BlockDevice>,
}

/// A file tbmesh manages, as the node has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum FileState {
    Absent,
    Present {
        mode: u32,
        owner: String,
        group: String,
        content: String,
    },
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Facts {
    pub hostname: String,
    pub kernel: String,
    pub os_id: String,
    pub os_version: String,
    pub os_pretty: String,
    pub mem_total_bytes: u64,
    pub cpus: u32,
    /// Performance cores on a hybrid Intel CPU (empty when not hybrid).
    pub p_cores: Vec<u32>,
    pub e_cores: Vec<u32>,
    pub interfaces: Vec<Interface>,
    pub block_devices: Vec<BlockDevice>,
    /// Installed packages and their versions.
    pub packages: BTreeMap<String, String>,
    /// udevd runs (not in a container).
    pub udev: bool,
    /// `systemd-detect-virt`: none, kvm, systemd-nspawn, ...
    pub virt: String,
    pub pci_devices: Vec<String>,
    pub files: BTreeMap<String, FileState>,
    /// How tbmesh reached the node: the node's address of the ssh
    /// connection (`SSH_CONNECTION`) and the interface of its route back
    /// to tbmesh (`ip route get CLIENT`).
    pub connected_to: Option<String>,
    pub route_back: Option<String>,
}

impl Facts {
    pub fn interface(&self, name: &str) -> Option<&Interface> {
        self.interfaces.iter().find(|i| i.name == name)
    }

    /// The interface carrying `addr` (e.g. the management address).
    pub fn interface_with(&self, addr: std::net::Ipv4Addr) -> Option<&Interface> {
        self.interfaces
            .iter()
            .find(|i| i.addrs.iter().any(|a| a.addr == addr))
    }

    /// The management interfaces: the one carrying the address tbmesh
    /// connected to, the one routing back to tbmesh, the one carrying
    /// `host` (the spec's address), and what they sit on (bridge and bond
    /// members, VLAN parents) — the NICs whose loss cuts tbmesh off.
    pub fn management_interfaces(&self, host: Option<std::net::IpAddr>) -> Vec<&Interface> {
        let v4 = |a: std::net::IpAddr| match a {
            std::net::IpAddr::V4(a) => Some(a),
            std::net::IpAddr::V6(a) => a.to_ipv4_mapped(),
        };
        let mut names: Vec<&str> = vec![];
        let carrying = [
            self.connected_to.as_deref().and_then(|a| a.parse().ok()),
            host,
        ]
        .into_iter()
        .flatten()
        .filter_map(v4)
        .filter_map(|a| self.interface_with(a));
        names.extend(carrying.map(|i| i.name.as_str()));
        names.extend(self.route_back.as_deref());
        // Through loopback (a tunnel ending on the node) says nothing.
        names.retain(|n| *n != "lo");
        let mut i = 0;
        while i < names.len() {
            let n = names[i];
            for f in &self.interfaces {
                let below = f.master.as_deref() == Some(n)
                    || self.interface(n).and_then(|i| i.link.as_deref()) == Some(&f.name);
                if below && !names.contains(&f.name.as_str()) {
                    names.push(&f.name);
                }
            }
            i += 1;
        }
        self.interfaces
            .iter()
            .filter(|f| names.contains(&f.name.as_str()))
            .collect()
    }

    pub fn file(&self, path: &str) -> &FileState {
        self.files.get(path).unwrap_or(&FileState::Absent)
    }

    /// The node is a container (what `systemd-detect-virt` names one).
    pub fn in_container(&self) -> bool {
        const CONTAINERS: [&str; 11] = [
            "systemd-nspawn",
            "lxc",
            "lxc-libvirt",
            "docker",
            "podman",
            "openvz",
            "rkt",
            "wsl",
            "proot",
            "pouch",
            "container-other",
        ];
        CONTAINERS.contains(&self.virt.as_str())
    }

    pub fn package(&self, name: &str) -> Option<&str> {
        self.packages.get(name).map(String::as_str)
    }

    /// FRR's upstream version (`10.3` of `10.3-1`), for frr.conf's header.
    pub fn frr_version(&self) -> Option<String> {
        let v = self.package("frr")?;
        let v = v.split_once(':').map_or(v, |(_, r)| r);
        let upstream = v.split('-').next()?;
        Some(upstream.to_string())
    }
}

/// Split gather output into `(section header, body)`.
fn sections(out: &str) -> Vec<(&str, String)> {
    let mut v: Vec<(&str, String)> = vec![];
    for line in out.lines() {
        if let Some(h) = line.strip_prefix(MARK) {
            v.push((h, String::new()));
        } else if let Some((_, body)) = v.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    v
}

/// Parse the output of [`gather_script`].
pub fn parse(out: &str) -> Result<Facts, String> {
    let mut f = Facts::default();
    let mut netdevs = BTreeMap::new();
    // The files that exist, and the tar of them all (base64).
    let mut present: Vec<String> = vec![];
    let mut archive: Option<String> = None;
    for (head, body) in sections(out) {
        let text = body.trim();
        match head {
            "hostname" => f.hostname = text.to_string(),
            "kernel" => f.kernel = text.to_string(),
            "os" => {
                let os = parse_os_release(text);
                f.os_id = os.get("ID").cloned().unwrap_or_default();
                f.os_version = os.get("VERSION_ID").cloned().unwrap_or_default();
                f.os_pretty = os.get("PRETTY_NAME").cloned().unwrap_or_default();
            }
            "meminfo" => f.mem_total_bytes = parse_meminfo(text),
            // The CPUs this shell may run on (what nproc counts), or a count.
            "cpus" => {
                f.cpus = match text.strip_prefix("list ") {
                    Some(l) => parse_cpu_list(l).len() as u32,
                    None => text.parse().unwrap_or(0),
                }
            }
            "cpu-core" => f.p_cores = parse_cpu_list(text),
            "cpu-atom" => f.e_cores = parse_cpu_list(text),
            "addrs" => f.interfaces = parse_ip_addr(text)?,
            "lsblk" => f.block_devices = parse_lsblk(text)?,
            "packages" => f.packages = parse_packages(text),
            "udev" => f.udev = text == "yes",
            "virt" => f.virt = text.to_string(),
            "pci" => f.pci_devices = text.split_whitespace().map(str::to_string).collect(),
            "netdev" => netdevs = parse_netdev(text),
            "ssh" => f.connected_to = text.split_whitespace().nth(2).map(str::to_string),
            "ssh-route" => f.route_back = parse_route_dev(text),
            h if h.starts_with("file ") => {
                let path = h["file ".len()..].to_string();
                f.files.insert(path.clone(), parse_file(&path, &body)?);
            }
            "files" => {
                for l in body.lines() {
                    match l.split_once(' ') {
                        Some(("absent", p)) => {
                            f.files.insert(p.to_string(), FileState::Absent);
                        }
                        Some(("present", p)) => present.push(p.to_string()),
                        _ => {}
                    }
                }
            }
            "files-tar" => archive = Some(text.to_string()),
            _ => {}
        }
    }
    for i in &mut f.interfaces {
        i.pci = netdevs.remove(&i.name);
    }
    if !present.is_empty() {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(archive.unwrap_or_default().trim())
            .map_err(|e| format!("the managed files' archive is not base64: {e}"))?;
        let mut entries = untar(&bytes)?;
        for path in present {
            let state = entries.remove(&path).ok_or_else(|| {
                format!("{path}: the node has it, but it is not in the archive of the managed files (unreadable?)")
            })?;
            f.files.insert(path, state);
        }
    }
    if f.hostname.is_empty() {
        return Err(
            "the node's answer has no hostname section: not the output of tbmesh's gather script"
                .into(),
        );
    }
    Ok(f)
}

fn parse_file(path: &str, body: &str) -> Result<FileState, String> {
    let mut lines = body.lines();
    let first = lines.next().unwrap_or("absent");
    if first == "absent" {
        return Ok(FileState::Absent);
    }
    let mut parts = first.split_whitespace();
    let mode = parts
        .next()
        .and_then(|m| u32::from_str_radix(m, 8).ok())
        .ok_or_else(|| format!("{path}: unreadable mode line {first:?}"))?;
    let owner = parts.next().unwrap_or("").to_string();
    let group = parts.next().unwrap_or("").to_string();
    let b64 = lines.next().unwrap_or("");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|e| format!("{path}: content is not base64: {e}"))?;
    let content =
        String::from_utf8(bytes).map_err(|_| format!("{path}: content is not UTF-8 text"))?;
    Ok(FileState::Present {
        mode,
        owner,
        group,
        content,
    })
}

/// The regular files of a GNU tar archive (what `tar -c -h -P
/// --hard-dereference --format=gnu` writes), by name: mode, owner, group
/// and UTF-8 content.
fn untar(data: &[u8]) -> Result<BTreeMap<String, FileState>, String> {
    fn field(h: &[u8], range: std::ops::Range<usize>) -> String {
        let f = &h[range];
        let end = f.iter().position(|&b| b == 0).unwrap_or(f.len());
        String::from_utf8_lossy(&f[..end]).into_owned()
    }
    fn octal(h: &[u8], range: std::ops::Range<usize>, what: &str) -> Result<u64, String> {
        let t = field(h, range);
        u64::from_str_radix(t.trim_matches(|c: char| c == ' ' || c == '\0'), 8)
            .map_err(|_| format!("the managed files' archive has an unreadable {what} {t:?}"))
    }
    let mut files = BTreeMap::new();
    let mut long_name: Option<String> = None;
    let mut at = 0;
    while at + 512 <= data.len() {
        let h = &data[at..at + 512];
        if h.iter().all(|&b| b == 0) {
            break;
        }
        let size = usize::try_from(octal(h, 124..136, "size")?)
            .map_err(|_| "the managed files' archive has a size too large".to_string())?;
        let body_at = at + 512;
        let body = data
            .get(body_at..body_at + size)
            .ok_or("the managed files' archive is cut short")?;
        let name = match long_name.take() {
            Some(n) => n,
            None => {
                let prefix = field(h, 345..500);
                let name = field(h, 0..100);
                if prefix.is_empty() {
                    name
                } else {
                    format!("{prefix}/{name}")
                }
            }
        };
        match h[156] {
            b'L' => {
                let end = body.iter().position(|&b| b == 0).unwrap_or(body.len());
                long_name = Some(String::from_utf8_lossy(&body[..end]).into_owned());
            }
            b'0' | 0 => {
                let content = String::from_utf8(body.to_vec())
                    .map_err(|_| format!("{name}: content is not UTF-8 text"))?;
                let id = |r: std::ops::Range<usize>, num: std::ops::Range<usize>| {
                    let n = field(h, r);
                    if n.is_empty() {
                        octal(h, num, "owner")
                            .map(|v| v.to_string())
                            .unwrap_or_default()
                    } else {
                        n
                    }
                };
                files.insert(
                    name,
                    FileState::Present {
                        mode: (octal(h, 100..108, "mode")? & 0o7777) as u32,
                        owner: id(265..297, 108..116),
                        group: id(297..329, 116..124),
                        content,
                    },
                );
            }
            t => {
                return Err(format!(
                    "{name}: the managed files' archive holds it as type {:?}, not a regular file",
                    t as char
                ))
            }
        }
        at = body_at + size.div_ceil(512) * 512;
    }
    Ok(files)
}

pub fn parse_os_release(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().trim_matches('"').to_string()))
        .collect()
}

fn parse_meminfo(text: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// `0-3,8,10-11` → [0,1,2,3,8,10,11].
pub fn parse_cpu_list(text: &str) -> Vec<u32> {
    let mut v = vec![];
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.parse::<u32>(), b.parse::<u32>()) {
                    v.extend(a..=b);
                }
            }
            None => v.extend(part.parse::<u32>().ok()),
        }
    }
    v
}

/// `NAME SYSFS-DEVICE-PATH` lines → the PCI address of each interface's
/// device (the last PCI address in the path: the nearest PCI ancestor).
pub fn parse_netdev(text: &str) -> BTreeMap<String, String> {
    let is_pci = |c: &str| {
        let b = c.as_bytes();
        b.len() == 12
            && b[4] == b':'
            && b[7] == b':'
            && b[10] == b'.'
            && c.chars()
                .enumerate()
                .all(|(n, ch)| matches!(n, 4 | 7 | 10) || ch.is_ascii_hexdigit())
    };
    text.lines()
        .filter_map(|l| {
            let (name, path) = l.split_once(' ')?;
            let pci = path.split('/').rev().find(|c| is_pci(c))?;
            Some((name.to_string(), pci.to_ascii_lowercase()))
        })
        .collect()
}

/// The `dev` of `ip -o route get ADDR`.
pub fn parse_route_dev(text: &str) -> Option<String> {
    let mut words = text.split_whitespace();
    words.find(|w| *w == "dev")?;
    words.next().map(str::to_string)
}

#[derive(Deserialize)]
struct IpAddrJson {
    ifname: String,
    #[serde(default)]
    mtu: u32,
    #[serde(default)]
    flags: Vec<String>,
    #[serde(default)]
    address: Option<String>,
    #[serde(default)]
    linkinfo: Option<LinkInfo>,
    #[serde(default)]
    addr_info: Vec<AddrInfo>,
    #[serde(default)]
    master: Option<String>,
    #[serde(default)]
    link: Option<String>,
}

#[derive(Deserialize)]
struct LinkInfo {
    #[serde(default)]
    info_kind: Option<String>,
}

#[derive(Deserialize)]
struct AddrInfo {
    #[serde(default)]
    family: String,
    #[serde(default)]
    local: String,
    #[serde(default)]
    prefixlen: u8,
}

/// `ip -j -d addr show`.
pub fn parse_ip_addr(text: &str) -> Result<Vec<Interface>, String> {
    if text.is_empty() {
        return Ok(vec![]);
    }
    let raw: Vec<IpAddrJson> =
        serde_json::from_str(text).map_err(|e| format!("ip -j addr: {e}"))?;
    Ok(raw
        .into_iter()
        .map(|r| {
            let kind = r.linkinfo.and_then(|l| l.info_kind);
            Interface {
                carrier: r.flags.iter().any(|f| f == "LOWER_UP"),
                up: r.flags.iter().any(|f| f == "UP"),
                name: r.ifname,
                mtu: r.mtu,
                mac: r.address,
                kind: kind.clone(),
                addrs: r
                    .addr_info
                    .iter()
                    .filter(|a| a.family == "inet")
                    .filter_map(|a| Ipv4Net::new(a.local.parse().ok()?, a.prefixlen))
                    .collect(),
                master: r.master,
                // A VLAN's (or macvlan's) parent; a veth's `link` is its peer.
                link: r
                    .link
                    .filter(|_| matches!(kind.as_deref(), Some("vlan" | "macvlan" | "ipvlan"))),
                pci: None,
            }
        })
        .collect())
}

#[derive(Deserialize)]
struct LsblkJson {
    blockdevices: Vec<LsblkDev>,
}

#[derive(Deserialize)]
struct LsblkDev {
    name: String,
    #[serde(default)]
    path: Option<String>,
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    size: Option<serde_json::Value>,
    #[serde(default)]
    fstype: Option<String>,
    #[serde(default)]
    mountpoint: Option<String>,
    #[serde(default)]
    serial: Option<String>,
    #[serde(default)]
    children: Vec<LsblkDev>,
}

fn convert_dev(d: LsblkDev) -> BlockDevice {
    // lsblk prints sizes as numbers (newer) or strings (older) with -b.
    let size = match &d.size {
        Some(serde_json::Value::Number(n)) => n.as_u64().unwrap_or(0),
        Some(serde_json::Value::String(s)) => s.parse().unwrap_or(0),
        _ => 0,
    };
    BlockDevice {
        path: d.path.clone().unwrap_or_else(|| format!("/dev/{}", d.name)),
        name: d.name,
        kind: d.kind,
        size,
        fstype: d.fstype,
        mountpoint: d.mountpoint,
        serial: d.serial.map(|s| s.trim().to_string()),
        children: d.children.into_iter().map(convert_dev).collect(),
    }
}

/// `lsblk -J -b -o NAME,PATH,TYPE,SIZE,FSTYPE,MOUNTPOINT,SERIAL,PKNAME`.
pub fn parse_lsblk(text: &str) -> Result<Vec<BlockDevice>, String> {
    if text.is_empty() {
        return Ok(vec![]);
    }
    let raw: LsblkJson = serde_json::from_str(text).map_err(|e| format!("lsblk -J: {e}"))?;
    Ok(raw.blockdevices.into_iter().map(convert_dev).collect())
}

/// `dpkg-query -W -f '${Package} ${Version} ${db:Status-Abbrev}'`: installed ones.
fn parse_packages(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| {
            let mut p = l.split_whitespace();
            let (name, version, status) = (p.next()?, p.next()?, p.next()?);
            status
                .starts_with("ii")
                .then(|| (name.to_string(), version.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // The shape of `ip -j -d addr` on a Debian 13 lab node (trimmed).
    const IP_ADDR: &str = r#"[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,"qdisc":"noqueue","operstate":"UNKNOWN","group":"default","txqlen":1000,"link_type":"loopback","address":"00:00:00:00:00:00","broadcast":"00:00:00:00:00:00","promiscuity":0,"allmulti":0,"min_mtu":0,"max_mtu":0,"num_tx_queues":1,"num_rx_queues":1,"gso_max_size":65536,"gso_max_segs":65535,"tso_max_size":524280,"tso_max_segs":65535,"gro_max_size":65536,"addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host","label":"lo","valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet","local":"10.100.0.12","prefixlen":32,"scope":"global","label":"lo","valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet6","local":"::1","prefixlen":128,"scope":"host","noprefixroute":true,"valid_life_time":4294967295,"preferred_life_time":4294967295}]},{"ifindex":2,"link_index":3,"ifname":"en05","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":65520,"qdisc":"noqueue","operstate":"UP","group":"default","txqlen":1000,"link_type":"ether","address":"2a:5c:1f:0e:88:01","broadcast":"ff:ff:ff:ff:ff:ff","link_netnsid":1,"promiscuity":0,"allmulti":0,"min_mtu":68,"max_mtu":65535,"linkinfo":{"info_kind":"veth"},"addr_info":[{"family":"inet","local":"10.100.0.12","prefixlen":32,"scope":"global","label":"en05","valid_life_time":4294967295,"preferred_life_time":4294967295}]},{"ifindex":4,"ifname":"en06","flags":["NO-CARRIER","BROADCAST","MULTICAST","UP"],"mtu":65520,"operstate":"DOWN","address":"2a:5c:1f:0e:88:02","linkinfo":{"info_kind":"veth"},"addr_info":[]}]"#;

    #[test]
    fn ip_addr_json() {
        let ifs = parse_ip_addr(IP_ADDR).expect("parses");
        assert_eq!(ifs.len(), 3);
        assert_eq!(ifs[0].addrs.len(), 2);
        assert_eq!(ifs[1].name, "en05");
        assert!(ifs[1].carrier && ifs[1].up);
        assert_eq!(ifs[1].kind.as_deref(), Some("veth"));
        assert_eq!(ifs[1].addrs[0].to_string(), "10.100.0.12/32");
        assert!(!ifs[2].carrier && ifs[2].up);
        assert_eq!(ifs[2].mtu, 65520);
    }

    const LSBLK: &str = r#"{
   "blockdevices": [
      {"name":"loop3", "path":"/dev/loop3", "type":"loop", "size":10737418240, "fstype":null, "mountpoint":null, "serial":null, "pkname":null},
      {"name":"vda", "path":"/dev/vda", "type":"disk", "size":"21474836480", "fstype":null, "mountpoint":null, "serial":"osd-n2-0", "pkname":null,
         "children": [
            {"name":"vda1", "path":"/dev/vda1", "type":"part", "size":21473787904, "fstype":"ext4", "mountpoint":"/", "serial":null, "pkname":"vda"}
         ]
      }
   ]
}"#;

    #[test]
    fn lsblk_json_with_children_and_string_sizes() {
        let devs = parse_lsblk(LSBLK).expect("parses");
        assert_eq!(devs.len(), 2);
        assert_eq!(devs[0].size, 10737418240);
        assert_eq!(devs[1].size, 21474836480);
        assert_eq!(devs[1].serial.as_deref(), Some("osd-n2-0"));
        assert_eq!(devs[1].children[0].mountpoint.as_deref(), Some("/"));
    }

    #[test]
    fn whole_gather_output() {
        let out = format!(
            "@@tbmesh hostname\nn2\n@@tbmesh kernel\n6.12.48+deb13-amd64\n@@tbmesh os\nPRETTY_NAME=\"Debian GNU/Linux 13 (trixie)\"\nID=debian\nVERSION_ID=\"13\"\n@@tbmesh meminfo\nMemTotal:       65536000 kB\n@@tbmesh cpus\n20\n@@tbmesh cpu-core\n0-11\n@@tbmesh cpu-atom\n12-19\n@@tbmesh addrs\n{IP_ADDR}\n@@tbmesh packages\nfrr 10.3-1 ii \nceph-mon 18.2.7+ds-1 ii \npve-manager 9.0.3 un \n@@tbmesh udev\nno\n@@tbmesh file /etc/frr/daemons\n640 frr frr\nZmFicmljZD1ubwo=\n@@tbmesh file /etc/it's\nabsent\n"
        );
        let f = parse(&out).expect("parses");
        assert_eq!(f.hostname, "n2");
        assert_eq!(f.os_version, "13");
        assert_eq!(f.mem_total_bytes, 65536000 * 1024);
        assert_eq!(f.p_cores, (0..12).collect::<Vec<_>>());
        assert_eq!(f.e_cores.len(), 8);
        assert_eq!(f.frr_version().as_deref(), Some("10.3"));
        assert!(f.package("pve-manager").is_none(), "not installed (un)");
        assert!(!f.udev);
        assert_eq!(
            f.file("/etc/frr/daemons"),
            &FileState::Present {
                mode: 0o640,
                owner: "frr".into(),
                group: "frr".into(),
                content: "fabricd=no\n".into()
            }
        );
        assert_eq!(f.file("/etc/it's"), &FileState::Absent);
        assert_eq!(
            f.interface_with("10.100.0.12".parse().expect("ip"))
                .map(|i| i.name.as_str()),
            Some("lo")
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(parse("hello\n").is_err());
        assert!(parse("@@tbmesh hostname\nx\n@@tbmesh addrs\n[{]\n").is_err());
    }

    #[test]
    fn gather_script_quotes_paths() {
        let s = gather_script(&["/etc/a b".to_string(), "/etc/it's".to_string()]);
        assert!(s.contains("for x in '/etc/a b' '/etc/it'\\''s'; do"), "{s}");
    }

    /// The managed files come back through one GNU tar: the real script run
    /// with bash on this machine's own files (absent, a 0640 file, a link
    /// followed, two hard links, a name over tar's 100 bytes, a space).
    #[test]
    fn managed_files_come_back_through_one_tar_with_mode_owner_and_content() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        let long = d.join(format!("{}/frr.conf", "x".repeat(120)));
        std::fs::create_dir_all(long.parent().expect("parent")).expect("mkdir");
        let files = [
            (d.join("daemons"), "fabricd=yes\nbfdd=yes\n", 0o640),
            (d.join("with space"), "a b\n", 0o600),
            (long.clone(), "! long\n", 0o644),
            (d.join("empty"), "", 0o644),
        ];
        for (p, text, mode) in &files {
            std::fs::write(p, text).expect("write");
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(*mode)).expect("chmod");
        }
        std::os::unix::fs::symlink(d.join("daemons"), d.join("link")).expect("symlink");
        std::fs::hard_link(d.join("daemons"), d.join("hard")).expect("link");
        let path = |p: &std::path::Path| p.to_string_lossy().into_owned();
        let mut asked: Vec<String> = files.iter().map(|(p, _, _)| path(p)).collect();
        asked.extend([
            path(&d.join("link")),
            path(&d.join("hard")),
            path(&d.join("absent")),
        ]);
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg(gather_script(&asked))
            .output()
            .expect("bash runs");
        let f = parse(&String::from_utf8_lossy(&out.stdout)).expect("parses");
        let me = String::from_utf8_lossy(
            &std::process::Command::new("id")
                .arg("-un")
                .output()
                .expect("id")
                .stdout,
        )
        .trim()
        .to_string();
        for (p, text, mode) in &files {
            match f.file(&path(p)) {
                FileState::Present {
                    mode: m,
                    owner,
                    content,
                    ..
                } => {
                    assert_eq!((*m, content.as_str()), (*mode, *text), "{}", p.display());
                    assert_eq!(owner, &me);
                }
                other => panic!("{}: {other:?}", p.display()),
            }
        }
        for p in ["link", "hard"] {
            assert!(
                matches!(f.file(&path(&d.join(p))), FileState::Present { mode: 0o640, content, .. } if content == "fabricd=yes\nbfdd=yes\n"),
                "{p}: {:?}",
                f.file(&path(&d.join(p)))
            );
        }
        assert_eq!(
            f.files.get(&path(&d.join("absent"))),
            Some(&FileState::Absent)
        );
    }

    #[test]
    fn a_file_the_node_has_but_the_archive_lacks_is_an_error() {
        let out = "@@tbmesh hostname\nn2\n@@tbmesh files\npresent /etc/frr/daemons\n@@tbmesh files-tar\n\n";
        let e = parse(out).expect_err("missing from the archive");
        assert!(
            e.contains("/etc/frr/daemons") && e.contains("not in the archive"),
            "{e}"
        );
        assert!(parse(
            "@@tbmesh hostname\nn2\n@@tbmesh files\npresent /a\n@@tbmesh files-tar\n!!\n"
        )
        .is_err());
    }

    #[test]
    fn cpus_are_counted_from_the_allowed_list() {
        let f =
            parse("@@tbmesh hostname\nn2\n@@tbmesh cpus\nlist \t0-3,8,10-11\n").expect("parses");
        assert_eq!(f.cpus, 7);
    }
}
