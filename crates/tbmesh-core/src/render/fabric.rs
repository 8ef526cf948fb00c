//! Phase `fabric`: OpenFabric routing. In `frr` mode tbmesh writes frr.conf
//! in the exact shape Proxmox VE generates; in `pve-sdn` mode it produces the
//! API calls that make PVE generate it, and the fabrics.cfg PVE will hold.

use super::{LineEdit, ManagedFile, NodeRender, Phase, RenderOptions, MANAGED};
use crate::spec::FabricMode;
use crate::Cluster;
use std::fmt::Write;

pub fn render_node(c: &Cluster, i: usize, opts: &RenderOptions, r: &mut NodeRender) {
    match c.spec.fabric.mode.value {
        FabricMode::Static => return,
        FabricMode::Frr => {
            r.files.push(ManagedFile {
                phase: Phase::Fabric,
                path: "/etc/frr/frr.conf".into(),
                mode: 0o640,
                content: frr_conf(c, i, opts),
            });
            // /etc/frr/daemons belongs to the frr package: tbmesh owns the lines
            // Proxmox sets for an OpenFabric fabric (and bfdd= below), and no other.
            for (prefix, line) in [("fabricd=", "fabricd=yes"), ("ospfd=", "ospfd=no")] {
                r.edits.push(LineEdit {
                    phase: Phase::Fabric,
                    path: "/etc/frr/daemons".into(),
                    prefix: prefix.into(),
                    line: line.into(),
                });
            }
        }
        // Proxmox rewrites frr.conf on every SDN apply and merges the
        // `router`/`interface` blocks of frr.conf.local into it: tbmesh's
        // additions live there. Proxmox sets fabricd=yes itself.
        FabricMode::PveSdn => r.files.push(ManagedFile {
            phase: Phase::Fabric,
            path: "/etc/frr/frr.conf.local".into(),
            mode: 0o640,
            content: frr_conf_local(c, i),
        }),
    }
    if c.spec.fabric.bfd {
        r.edits.push(LineEdit {
            phase: Phase::Fabric,
            path: "/etc/frr/daemons".into(),
            prefix: "bfdd=".into(),
            line: "bfdd=yes".into(),
        });
    }
}

/// Node `i`'s port names, sorted (as Proxmox orders its interface blocks).
fn sorted_ports(c: &Cluster, i: usize) -> Vec<&str> {
    let mut ports: Vec<&str> = c.nodes()[i]
        .ports
        .iter()
        .map(|p| p.name.value.as_str())
        .collect();
    ports.sort_unstable();
    ports
}

/// What tbmesh adds to the config Proxmox VE generates, per block (`router
/// openfabric <f>` or `interface <port>`), in block order:
/// - `lsp-gen-interval 1`: fabricd's default (30 s) holds back a node's
///   own LSP after its first one, and a node's SPF only uses neighbours in
///   its own LSP, so routes appeared ~30 s after FRR started and a restored
///   cable took up to 30 s to carry traffic (docs/performance.md).
/// - `openfabric bfd` on each port (`[fabric] bfd`): an adjacency goes down
///   when BFD loses its peer (~0.9 s), also when only one direction fails,
///   which hellos alone never notice on the side that still hears its peer.
pub fn local_blocks(c: &Cluster, i: usize) -> Vec<(String, Vec<String>)> {
    let f = &c.spec.fabric;
    let mut v = vec![(
        format!("router openfabric {}", f.name.value),
        vec![" lsp-gen-interval 1".to_string()],
    )];
    if f.bfd {
        for p in sorted_ports(c, i) {
            v.push((
                format!("interface {p}"),
                vec![" openfabric bfd".to_string()],
            ));
        }
    }
    v
}

/// bfdd's `bfd` block when `[fabric] bfd` is on: a profile with the timers
/// (`bfd_interval`, default [`DEFAULT_BFD_INTERVAL`] ms; `bfd_multiplier`,
/// default 3) and one `peer` per port with the key fabricd registers its
/// session under (peer router address, own router address, port), so the
/// session fabricd asks for takes the profile's timers (fabricd itself has
/// no `bfd profile` command, and FRR's own default is 300 ms x 3). Ends
/// with its `!`.
pub fn bfd_block(c: &Cluster, i: usize) -> Option<String> {
    let f = &c.spec.fabric;
    if !f.bfd {
        return None;
    }
    let interval = f
        .bfd_interval
        .as_ref()
        .map_or(DEFAULT_BFD_INTERVAL, |v| v.value);
    let mult = f
        .bfd_multiplier
        .as_ref()
        .map_or(DEFAULT_BFD_MULTIPLIER, |v| v.value);
    let mut s = format!(
        "bfd\n profile {BFD_PROFILE}\n  detect-multiplier {mult}\n  receive-interval {interval}\n  transmit-interval {interval}\n exit\n !\n"
    );
    let own = c.router_ips[i];
    for p in sorted_ports(c, i) {
        let Some(peer) = c.peer(i, p) else { continue };
        let _ = write!(
            s,
            " peer {} local-address {own} interface {p}\n  profile {BFD_PROFILE}\n exit\n !\n",
            c.router_ips[peer.node]
        );
    }
    s.push_str("exit\n!\n");
    Some(s)
}

/// BFD interval (ms) when the spec gives none: detection in 0.3 s, so a
/// one-sided failure reroutes within ~0.6 s and a pulled cable within
/// ~0.3 s on the lab (docs/performance.md); FRR's own default is 300.
pub const DEFAULT_BFD_INTERVAL: u32 = 100;
pub const DEFAULT_BFD_MULTIPLIER: u32 = 3;

/// The bfdd profile of [`bfd_block`].
pub const BFD_PROFILE: &str = "tbmesh";

/// /etc/frr/frr.conf.local (`pve-sdn` mode): tbmesh's blocks, which Proxmox
/// merges into the frr.conf it generates (the `bfd` block it appends).
pub fn frr_conf_local(c: &Cluster, i: usize) -> String {
    let mut s = format!("! {MANAGED}\n");
    for (head, lines) in local_blocks(c, i) {
        let _ = write!(s, "!\n{head}\n");
        for l in lines {
            let _ = writeln!(s, "{l}");
        }
        s.push_str("exit\n");
    }
    s.push_str("!\n");
    if let Some(b) = bfd_block(c, i) {
        s.push_str(&b);
    }
    s
}

/// `conf` with each block's extra lines added before the block's `exit`,
/// the way Proxmox merges frr.conf.local.
fn merge_blocks(conf: &str, blocks: &[(String, Vec<String>)]) -> String {
    let mut out = String::new();
    let mut open: Option<&Vec<String>> = None;
    for line in conf.lines() {
        if line == "exit" {
            for l in open.take().into_iter().flatten() {
                let _ = writeln!(out, "{l}");
            }
        } else if let Some((_, lines)) = blocks.iter().find(|(h, _)| h == line) {
            open = Some(lines);
        }
        let _ = writeln!(out, "{line}");
    }
    out
}

/// `pve-sdn` mode: fabrics.cfg, the API calls, and per node a preview of
/// what Proxmox VE (`opts.pve`) will write (`preview/<node>/etc/...`).
pub fn render_cluster(c: &Cluster, opts: &RenderOptions) -> Vec<ManagedFile> {
    if c.spec.fabric.mode.value != FabricMode::PveSdn {
        return vec![];
    }
    let mut previews = vec![];
    for i in 0..c.nodes().len() {
        let node = c.node_name(i);
        previews.push(ManagedFile {
            phase: Phase::Fabric,
            path: format!("preview/{node}/etc/frr/frr.conf"),
            mode: 0o640,
            content: super::pve::frr_conf(c, i, &opts.pve),
        });
        previews.push(ManagedFile {
            phase: Phase::Fabric,
            path: format!("preview/{node}/etc/network/interfaces.d/sdn"),
            mode: 0o644,
            content: super::pve::interfaces_sdn(c, i, &opts.pve),
        });
    }
    let mut files = vec![
        ManagedFile {
            phase: Phase::Fabric,
            path: "etc/pve/sdn/fabrics.cfg".into(),
            mode: 0o640,
            content: fabrics_cfg(c),
        },
        ManagedFile {
            phase: Phase::Fabric,
            path: "pvesh.sh".into(),
            mode: 0o755,
            content: pvesh_script(c),
        },
    ];
    files.extend(previews);
    files
}

/// The blocks of frr.conf's fabric part, each without its `!` separator:
/// the router, the `interface` blocks sorted by interface name (the router
/// interface included, as Proxmox keeps them in a sorted map), the
/// access-list, the route-map and the `ip protocol` line.
pub fn frr_fabric_blocks(c: &Cluster, i: usize) -> Vec<String> {
    let f = &c.spec.fabric;
    let name = &f.name.value;
    let mut blocks = vec![format!(
        "router openfabric {name}\n net {}\nexit\n",
        c.net(i)
    )];
    // `ip router` with an IPv4 prefix, `ipv6 router` with an IPv6 one.
    let v4 = match c.router_ips.get(i) {
        Some(_) => format!(" ip router openfabric {name}\n"),
        None => String::new(),
    };
    let v6 = match c.router_ip6s.get(i) {
        Some(_) => format!(" ipv6 router openfabric {name}\n"),
        None => String::new(),
    };
    let mut ifaces: Vec<(String, String)> = vec![(
        f.router_ifname(),
        format!(
            "interface {}\n{v4}{v6} openfabric passive\nexit\n",
            f.router_ifname()
        ),
    )];
    for p in &c.nodes()[i].ports {
        let mut b = format!("interface {}\n{v4}{v6}", p.name);
        if let Some(v) = &f.hello_interval {
            let _ = writeln!(b, " openfabric hello-interval {}", v.value);
        }
        if let Some(m) = f.multiplier_of(p) {
            let _ = writeln!(b, " openfabric hello-multiplier {m}");
        }
        if let Some(v) = &f.csnp_interval {
            let _ = writeln!(b, " openfabric csnp-interval {}", v.value);
        }
        b.push_str("exit\n");
        ifaces.push((p.name.value.clone(), b));
    }
    ifaces.sort_by(|a, b| a.0.cmp(&b.0));
    blocks.extend(ifaces.into_iter().map(|(_, b)| b));
    let v4 = f.prefix.as_ref().zip(c.router_ips.get(i));
    let v6 = f.prefix6.as_ref().zip(c.router_ip6s.get(i));
    if let Some((p, _)) = v4 {
        blocks.push(format!(
            "access-list pve_openfabric_{name}_ips permit {}\n",
            p.value.trunc()
        ));
    }
    if let Some((p6, _)) = v6 {
        blocks.push(format!(
            "ipv6 access-list pve_openfabric_{name}_ip6s permit {}\n",
            p6.value.trunc()
        ));
    }
    if let Some((_, router)) = v4 {
        blocks.push(format!(
            "route-map pve_openfabric permit 100\n match ip address pve_openfabric_{name}_ips\n set src {router}\nexit\n"
        ));
    }
    if let Some((_, ip6)) = v6 {
        blocks.push(format!(
            "route-map pve_openfabric6 permit 100\n match ipv6 address pve_openfabric_{name}_ip6s\n set src {ip6}\nexit\n"
        ));
    }
    if v4.is_some() {
        blocks.push("ip protocol openfabric route-map pve_openfabric\n".to_string());
    }
    if v6.is_some() {
        blocks.push("ipv6 protocol openfabric route-map pve_openfabric6\n".to_string());
    }
    blocks
}

/// The fabric part of frr.conf: from the first `!` to `ip protocol ...`,
/// in Proxmox VE 9.2's layout (`!` before each block).
pub fn frr_fabric_part(c: &Cluster, i: usize) -> String {
    frr_fabric_blocks(c, i)
        .iter()
        .map(|b| format!("!\n{b}"))
        .collect()
}

/// The whole /etc/frr/frr.conf for node `i` (`frr` mode).
pub fn frr_conf(c: &Cluster, i: usize, opts: &RenderOptions) -> String {
    format!(
        "! {MANAGED}\nfrr version {}\nfrr defaults datacenter\nhostname {}\nlog syslog informational\nservice integrated-vtysh-config\n{}!\n{}line vty\n",
        opts.frr_version,
        c.node_name(i),
        merge_blocks(&frr_fabric_part(c, i), &local_blocks(c, i)),
        bfd_block(c, i).unwrap_or_default()
    )
}

/// `interfaces` property strings of a fabric node, in port order; each
/// port's multiplier is its own or the fabric's.
pub fn interface_props(c: &Cluster, i: usize) -> Vec<String> {
    let f = &c.spec.fabric;
    c.nodes()[i]
        .ports
        .iter()
        .map(|p| match f.multiplier_of(p) {
            Some(m) => format!("name={},hello_multiplier={m}", p.name),
            None => format!("name={}", p.name),
        })
        .collect()
}

/// /etc/pve/sdn/fabrics.cfg as Proxmox VE writes it: sections sorted, keys
/// alphabetical, TAB-indented, one empty line between sections, none at the end.
pub fn fabrics_cfg(c: &Cluster) -> String {
    let f = &c.spec.fabric;
    let mut sections = vec![];
    let mut fabric = vec![];
    if let Some(v) = &f.csnp_interval {
        fabric.push(format!("csnp_interval {}", v.value));
    }
    if let Some(v) = &f.hello_interval {
        fabric.push(format!("hello_interval {}", v.value));
    }
    // Alphabetical: `ip6_prefix` sorts before `ip_prefix`.
    if let Some(p6) = &f.prefix6 {
        fabric.push(format!("ip6_prefix {}", p6.value.trunc()));
    }
    if let Some(p) = &f.prefix {
        fabric.push(format!("ip_prefix {}", p.value.trunc()));
    }
    sections.push((format!("openfabric_fabric: {}", f.name), fabric));
    let mut order: Vec<usize> = (0..c.nodes().len()).collect();
    order.sort_by(|&a, &b| c.node_name(a).cmp(c.node_name(b)));
    for i in order {
        let mut keys: Vec<String> = interface_props(c, i)
            .into_iter()
            .map(|p| format!("interfaces {p}"))
            .collect();
        if let Some(ip) = c.router_ips.get(i) {
            keys.push(format!("ip {ip}"));
        }
        if let Some(ip6) = c.router_ip6s.get(i) {
            keys.push(format!("ip6 {ip6}"));
        }
        sections.push((
            format!("openfabric_node: {}_{}", f.name, c.node_name(i)),
            keys,
        ));
    }
    sections
        .iter()
        .map(|(head, keys)| {
            let mut s = format!("{head}\n");
            for k in keys {
                let _ = writeln!(s, "\t{k}");
            }
            s
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The API calls that create the spec's fabric on an empty SDN config, then apply it.
pub fn pvesh_script(c: &Cluster) -> String {
    let f = &c.spec.fabric;
    let mut s = format!(
        "#!/bin/bash\n# {MANAGED}\n# Creates SDN fabric {0} through the Proxmox VE API and applies it. Run on one\n# node of the PVE cluster; every fabric node must be a cluster member.\nset -euo pipefail\n\n",
        f.name
    );
    let _ = write!(
        s,
        "pvesh create /cluster/sdn/fabrics/fabric --id {} --protocol openfabric",
        f.name
    );
    if let Some(p) = &f.prefix {
        let _ = write!(s, " --ip_prefix {}", p.value.trunc());
    }
    if let Some(v) = &f.hello_interval {
        let _ = write!(s, " --hello_interval {}", v.value);
    }
    if let Some(v) = &f.csnp_interval {
        let _ = write!(s, " --csnp_interval {}", v.value);
    }
    if let Some(p6) = &f.prefix6 {
        let _ = write!(s, " --ip6_prefix {}", p6.value.trunc());
    }
    s.push('\n');
    for i in 0..c.nodes().len() {
        let _ = write!(
            s,
            "pvesh create /cluster/sdn/fabrics/node/{} --node_id {} --protocol openfabric",
            f.name,
            c.node_name(i),
        );
        if let Some(ip) = c.router_ips.get(i) {
            let _ = write!(s, " --ip {ip}");
        }
        if let Some(ip6) = c.router_ip6s.get(i) {
            let _ = write!(s, " --ip6 {ip6}");
        }
        for p in interface_props(c, i) {
            let _ = write!(s, " --interfaces {p}");
        }
        s.push('\n');
    }
    s.push_str("pvesh set /cluster/sdn\n");
    s
}
