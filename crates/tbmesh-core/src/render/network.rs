//! Phase `network`: tbmesh's own interfaces.d file (per routing mode), the
//! hotplug rule and script, the boot unit and its ordering drop-ins, sysctls.

use super::{hash_header, ManagedFile, NodeRender, Phase};
use crate::spec::{FabricMode, RouterInterface};
use crate::Cluster;
use std::fmt::Write;
use std::net::Ipv4Addr;

pub const INTERFACES: &str = "/etc/network/interfaces.d/tbmesh";
const IFUP_SCRIPT: &str = "/usr/local/lib/tbmesh/ifup-port";
pub(crate) const WAIT_SCRIPT: &str = "/usr/local/lib/tbmesh/wait-links";
/// How long the boot unit waits for every port and its addresses.
pub const BOOT_WAIT_SECS: u32 = 120;
/// How long `wait-links --present` (run by apply after `ifreload -a`)
/// waits for the interfaces that exist to carry their addresses.
pub const APPLY_WAIT_SECS: u32 = 30;

pub fn render(c: &Cluster, i: usize, r: &mut NodeRender) {
    let expected = expected_addresses(c, i);
    r.files.push(ManagedFile {
        phase: Phase::Network,
        path: INTERFACES.into(),
        mode: 0o644,
        content: interfaces(c, i),
    });
    let node = &c.nodes()[i];
    let mut rules = hash_header();
    rules.push_str("# A mesh port that appears (cable plugged, module loaded late) is brought up\n# with its addresses by ifup, not just set up (PITFALLS 1).\n");
    for p in &node.ports {
        let _ = writeln!(
            rules,
            "ACTION==\"add|move\", SUBSYSTEM==\"net\", KERNEL==\"{0}\", TAG+=\"systemd\", ENV{{SYSTEMD_WANTS}}+=\"tbmesh-ifup@{0}.service\"",
            p.name
        );
    }
    r.files.push(ManagedFile {
        phase: Phase::Network,
        path: "/etc/udev/rules.d/71-tbmesh-hotplug.rules".into(),
        mode: 0o644,
        content: rules,
    });
    r.files.push(ManagedFile {
        phase: Phase::Network,
        path: "/etc/systemd/system/tbmesh-ifup@.service".into(),
        mode: 0o644,
        content: format!(
            "{}[Unit]\nDescription=tbmesh: bring mesh port %i up with its addresses\nAfter=networking.service\n\n[Service]\nType=oneshot\nExecStart={IFUP_SCRIPT} %i\nTimeoutStartSec=90\n",
            hash_header()
        ),
    });
    r.files.push(ManagedFile {
        phase: Phase::Network,
        path: IFUP_SCRIPT.into(),
        mode: 0o755,
        content: ifup_script(&expected),
    });
    r.files.push(ManagedFile {
        phase: Phase::Network,
        path: WAIT_SCRIPT.into(),
        mode: 0o755,
        content: wait_script(
            &waited_interfaces(c, i, &expected),
            c.spec.fabric.mode.value == FabricMode::PveSdn,
        ),
    });
    r.files.push(ManagedFile {
        phase: Phase::Network,
        path: "/etc/systemd/system/tbmesh-links.service".into(),
        mode: 0o644,
        content: format!(
            "{}[Unit]\nDescription=tbmesh: wait for the mesh ports and their addresses\nAfter=networking.service systemd-udev-settle.service\nWants=networking.service\nBefore=frr.service ceph.target network-online.target\n\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart={WAIT_SCRIPT}\nTimeoutStartSec={}\n\n[Install]\nWantedBy=multi-user.target network-online.target\n",
            hash_header(),
            BOOT_WAIT_SECS + 30
        ),
    });
    // Ordering through drop-ins, never by editing vendor units (PITFALLS 2).
    // ceph.target alone would not order the daemons: each template gets one.
    let mut dropins = vec!["frr.service"];
    if c.spec.ceph.is_some() {
        dropins.extend([
            "ceph-mon@.service",
            "ceph-mgr@.service",
            "ceph-osd@.service",
        ]);
    }
    for unit in dropins {
        r.files.push(ManagedFile {
            phase: Phase::Network,
            path: format!("/etc/systemd/system/{unit}.d/tbmesh.conf"),
            mode: 0o644,
            content: format!(
                "{}[Unit]\nWants=tbmesh-links.service\nAfter=tbmesh-links.service\n",
                hash_header()
            ),
        });
    }
    r.files.push(ManagedFile {
        phase: Phase::Network,
        path: "/etc/sysctl.d/90-tbmesh.conf".into(),
        mode: 0o644,
        content: format!(
            "{}# Routers forward between mesh ports (a pair two hops apart goes through one).\nnet.ipv4.ip_forward = 1\n{}# Socket buffers sized for ~26 Gbit/s per Thunderbolt link.\nnet.core.rmem_max = 134217728\nnet.core.wmem_max = 134217728\nnet.ipv4.tcp_rmem = 4096 87380 134217728\nnet.ipv4.tcp_wmem = 4096 65536 134217728\n",
            hash_header(),
            if c.spec.fabric.prefix6.is_some() {
                "net.ipv6.conf.all.forwarding = 1\n"
            } else {
                ""
            }
        ),
    });
}

/// The addresses each port must carry once up: `(port, [cidr])`.
pub fn expected_addresses(c: &Cluster, i: usize) -> Vec<(String, Vec<String>)> {
    let router = c.router_ips.get(i);
    c.nodes()[i]
        .ports
        .iter()
        .map(|p| {
            let addrs = match c.spec.fabric.mode.value {
                // PVE >= 9.1 puts the router /32 on every fabric port; an
                // IPv6-only fabric leaves ports with link-local addresses only.
                FabricMode::PveSdn | FabricMode::Frr => {
                    router.map(|r| format!("{r}/32")).into_iter().collect()
                }
                FabricMode::Static => c
                    .link_addr(i, &p.name)
                    .map(|a| a.to_string())
                    .into_iter()
                    .collect(),
            };
            (p.name.value.clone(), addrs)
        })
        .collect()
}

/// What wait-links waits for: every port with its addresses and, where
/// tbmesh writes its stanza (not in `pve-sdn` mode: there the dummy is
/// Proxmox's and exists only once the fabric is applied through the API),
/// the router interface with the router address (ifupdown2 has been seen
/// to create the dummy and miss its address, under load: the VM lab).
fn waited_interfaces(
    c: &Cluster,
    i: usize,
    ports: &[(String, Vec<String>)],
) -> Vec<(String, Vec<String>)> {
    if c.spec.fabric.mode.value == FabricMode::PveSdn {
        return ports.to_vec();
    }
    // IPv4 only (the scripts check `ip -4`): an IPv6-only fabric's router
    // interface is waited for to exist.
    let router = (
        c.spec.fabric.router_ifname(),
        c.router_ips
            .get(i)
            .map(|r| format!("{r}/32"))
            .into_iter()
            .collect(),
    );
    std::iter::once(router)
        .chain(ports.iter().cloned())
        .collect()
}

/// `/etc/network/interfaces.d/tbmesh` for node `i`.
pub fn interfaces(c: &Cluster, i: usize) -> String {
    let f = &c.spec.fabric;
    let node = &c.nodes()[i];
    let router = c.router_ips.get(i);
    let mtu = f.mtu.value;
    let mut s = hash_header();
    // The IPv4 router /32 and (dual stack, IPv6-only) the IPv6 /128.
    let mut addrs = String::new();
    if let Some(r) = router {
        let _ = writeln!(addrs, "\taddress {r}/32");
    }
    if let Some(ip6) = c.router_ip6s.get(i) {
        let _ = writeln!(addrs, "\taddress {ip6}/128");
    }
    let forward = super::pve::forward_lines(c, i);
    let router_stanza = |s: &mut String| match f.router_interface.value {
        RouterInterface::Dummy => {
            let _ = write!(
                s,
                "\nauto {0}\niface {0} inet static\n{addrs}\tlink-type dummy\n{forward}",
                f.router_ifname()
            );
        }
        RouterInterface::Lo => {
            let _ = write!(s, "\nauto lo\niface lo inet loopback\n{addrs}");
        }
    };
    match f.mode.value {
        FabricMode::PveSdn => {
            s.push_str("# Proxmox VE SDN fabrics write the addresses (interfaces.d/sdn);\n# the MTU is tbmesh's part (ifupdown2 merges the stanzas).\n");
            for p in &node.ports {
                let _ = write!(
                    s,
                    "\nauto {0}\niface {0} inet static\n\tmtu {mtu}\n",
                    p.name
                );
            }
        }
        FabricMode::Frr => {
            s.push_str("# What Proxmox VE >= 9.1 SDN fabrics generate, plus the MTU.\n");
            router_stanza(&mut s);
            for p in &node.ports {
                match router {
                    Some(router) => {
                        let _ = write!(
                            s,
                            "\nauto {0}\niface {0} inet static\n\taddress {router}/32\n\tip-forward 1\n\tmtu {mtu}\n",
                            p.name
                        );
                    }
                    // IPv6-only: the ports run on their link-local addresses.
                    None => {
                        let _ = write!(
                            s,
                            "\nauto {0}\niface {0}\n\tip6-forward 1\n\tmtu {mtu}\n",
                            p.name
                        );
                    }
                }
            }
        }
        FabricMode::Static => {
            s.push_str("# Static routing: a /31 per cable, host routes to the other routers.\n");
            router_stanza(&mut s);
            let router = router.expect("validate refuses static mode without an IPv4 prefix");
            let routes = static_routes(c, i);
            for p in &node.ports {
                let _ = write!(s, "\nauto {0}\niface {0} inet static\n", p.name);
                if let Some(a) = c.link_addr(i, &p.name) {
                    let _ = writeln!(s, "\taddress {a}");
                }
                let _ = writeln!(s, "\tmtu {mtu}");
                for (dst, via, dev) in &routes {
                    if dev == &p.name.value {
                        let _ = writeln!(
                            s,
                            "\tpost-up ip route replace {dst}/32 via {via} dev {dev} src {router}"
                        );
                    }
                }
            }
        }
    }
    s
}

/// Static mode: for every other router, the next hop (peer's /31 address)
/// and the local port, following the planned shortest path.
pub fn static_routes(c: &Cluster, i: usize) -> Vec<(Ipv4Addr, Ipv4Addr, String)> {
    let routes = c.topology.routes();
    let mut out = vec![];
    for (j, dst) in c.router_ips.iter().enumerate() {
        if j == i {
            continue;
        }
        let Some(path) = routes.path(i, j) else {
            continue;
        };
        let next = path[1];
        // The lowest-numbered cable between this node and the next hop.
        let Some((li, link)) = c
            .topology
            .links_of(i)
            .find(|(_, l)| (l.a.0 == i && l.b.0 == next) || (l.b.0 == i && l.a.0 == next))
        else {
            continue;
        };
        let (local_port, peer_port) = if link.a.0 == i {
            (&link.a.1, &link.b.1)
        } else {
            (&link.b.1, &link.a.1)
        };
        let _ = li;
        if let Some(via) = c.link_addr(next, peer_port) {
            out.push((*dst, via.addr, local_port.clone()));
        }
    }
    out
}

fn port_table(expected: &[(String, Vec<String>)]) -> String {
    let mut s = String::new();
    for (port, addrs) in expected {
        let _ = writeln!(s, "    {port}) echo \"{}\" ;;", addrs.join(" "));
    }
    s
}

/// Hotplug: bring a port up with ifup (bounded retries), logged to the journal.
fn ifup_script(expected: &[(String, Vec<String>)]) -> String {
    format!(
        r#"#!/bin/bash
# {managed}
# Brings a mesh port up with its addresses when it appears. Setting the link
# up is not enough: ifup applies the addresses (PITFALLS 1). Bounded retries.
set -u
port=${{1:?usage: ifup-port PORT}}

expected() {{
    case "$1" in
{table}    *) echo "" ;;
    esac
}}

has_addresses() {{
    local a
    for a in $(expected "$port"); do
        ip -o -4 addr show dev "$port" | grep -qF " $a " || return 1
    done
}}

for attempt in 1 2 3 4 5 6 7 8 9 10; do
    if [ -e "/sys/class/net/$port" ]; then
        ifup "$port" >/dev/null 2>&1 || ifreload -a >/dev/null 2>&1 || true
        if has_addresses; then
            echo "tbmesh: $port is up with $(expected "$port") (attempt $attempt)"
            exit 0
        fi
    fi
    sleep 2
done
echo "tbmesh: $port did not come up with $(expected "$port") after 10 attempts" >&2
exit 1
"#,
        managed = super::MANAGED,
        table = port_table(expected),
    )
}

/// Boot: wait, with a bound, until every port is up with its addresses.
/// In `pve-sdn` mode a port's addresses come from Proxmox's
/// interfaces.d/sdn: until the fabric is applied through the API (and on
/// PVE 9.0, which puts no address on ports) there are none to wait for, and
/// waiting would hold FRR's (re)start for the whole bound.
fn wait_script(expected: &[(String, Vec<String>)], pve_sdn: bool) -> String {
    let ports: Vec<&str> = expected.iter().map(|(p, _)| p.as_str()).collect();
    let pve_check = if pve_sdn {
        concat!(
            "    # pve-sdn: addresses only once Proxmox's interfaces.d/sdn gives the port some.\n",
            "    grep -qsx \"iface $1 inet static\" /etc/network/interfaces.d/sdn || return 0\n",
        )
    } else {
        ""
    };
    format!(
        r#"#!/bin/bash
# {managed}
# Waits at boot until the router interface and every mesh port exist and
# carry their addresses, so FRR and Ceph start on a ready mesh (PITFALLS
# 1-4). Interfaces that appear late or lack an address get an ifup of their
# own. Bounded: {secs} s. `--present` (apply, after ifreload -a): only the
# interfaces that exist (a port whose cable is out is not waited for),
# bounded {apply_secs} s.
set -u
ports=({ports})
bound={secs}
present_only=""
if [ "${{1:-}}" = --present ]; then
    present_only=1
    bound={apply_secs}
fi

expected() {{
    case "$1" in
{table}    *) echo "" ;;
    esac
}}

ready() {{
    local a
    [ -e "/sys/class/net/$1" ] || return 1
{pve_check}    for a in $(expected "$1"); do
        ip -o -4 addr show dev "$1" | grep -qF " $a " || return 1
    done
}}

deadline=$((SECONDS + bound))
while :; do
    missing=""
    for p in "${{ports[@]}}"; do
        [ -n "$present_only" ] && [ ! -e "/sys/class/net/$p" ] && continue
        if ! ready "$p"; then
            missing="$missing $p"
            [ -e "/sys/class/net/$p" ] && ifup "$p" >/dev/null 2>&1
        fi
    done
    if [ -z "$missing" ]; then
        echo "tbmesh: mesh ports ready: ${{ports[*]}}"
        exit 0
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
        echo "tbmesh: after $bound s still not ready:$missing" >&2
        exit 1
    fi
    sleep 1
done
"#,
        managed = super::MANAGED,
        secs = BOOT_WAIT_SECS,
        apply_secs = APPLY_WAIT_SECS,
        ports = ports.join(" "),
        table = port_table(expected),
    )
}
