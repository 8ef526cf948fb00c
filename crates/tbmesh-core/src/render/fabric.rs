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
            // /etc/frr/daemons belongs to the frr package: tbmesh owns lines of it.
            r.edits.push(LineEdit {
                phase: Phase::Fabric,
                path: "/etc/frr/daemons".into(),
                prefix: "fabricd=".into(),
                line: "fabricd=yes".into(),
            });
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
        for p in &c.nodes()[i].ports {
            v.push((
                format!("interface {}", p.name),
                vec![" openfabric bfd".to_string()],
            ));
        }
    }
    v
}

/// /etc/frr/frr.conf.local (`pve-sdn` mode): tbmesh's blocks, which Proxmox
/// merges into the frr.conf it generates.
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

pub fn render_cluster(c: &Cluster) -> Vec<ManagedFile> {
    if c.spec.fabric.mode.value != FabricMode::PveSdn {
        return vec![];
    }
    vec![
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
    ]
}

/// The fabric part of frr.conf: from the first `!` to `ip protocol ...`,
/// in Proxmox VE 9.2's layout (`!` before each block).
pub fn frr_fabric_part(c: &Cluster, i: usize) -> String {
    let f = &c.spec.fabric;
    let name = &f.name.value;
    let router = c.router_ips[i];
    let mut s = String::new();
    let _ = write!(s, "!\nrouter openfabric {name}\n net {}\nexit\n", c.net(i));
    let _ = write!(
        s,
        "!\ninterface {}\n ip router openfabric {name}\n openfabric passive\nexit\n",
        f.router_ifname()
    );
    for p in &c.nodes()[i].ports {
        let _ = write!(s, "!\ninterface {}\n ip router openfabric {name}\n", p.name);
        if let Some(v) = &f.hello_interval {
            let _ = writeln!(s, " openfabric hello-interval {}", v.value);
        }
        if let Some(v) = &f.hello_multiplier {
            let _ = writeln!(s, " openfabric hello-multiplier {}", v.value);
        }
        if let Some(v) = &f.csnp_interval {
            let _ = writeln!(s, " openfabric csnp-interval {}", v.value);
        }
        s.push_str("exit\n");
    }
    let _ = write!(
        s,
        "!\naccess-list pve_openfabric_{name}_ips permit {}\n!\nroute-map pve_openfabric permit 100\n match ip address pve_openfabric_{name}_ips\n set src {router}\nexit\n!\nip protocol openfabric route-map pve_openfabric\n",
        f.prefix.value.trunc()
    );
    s
}

/// The whole /etc/frr/frr.conf for node `i` (`frr` mode).
pub fn frr_conf(c: &Cluster, i: usize, opts: &RenderOptions) -> String {
    format!(
        "! {MANAGED}\nfrr version {}\nfrr defaults datacenter\nhostname {}\nlog syslog informational\nservice integrated-vtysh-config\n{}!\nline vty\n",
        opts.frr_version,
        c.node_name(i),
        merge_blocks(&frr_fabric_part(c, i), &local_blocks(c, i))
    )
}

/// `interfaces` property strings of a fabric node, in port order.
fn interface_props(c: &Cluster, i: usize) -> Vec<String> {
    let mult = c.spec.fabric.hello_multiplier.as_ref().map(|m| m.value);
    c.nodes()[i]
        .ports
        .iter()
        .map(|p| match mult {
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
    fabric.push(format!("ip_prefix {}", f.prefix.value.trunc()));
    sections.push((format!("openfabric_fabric: {}", f.name), fabric));
    let mut order: Vec<usize> = (0..c.nodes().len()).collect();
    order.sort_by(|&a, &b| c.node_name(a).cmp(c.node_name(b)));
    for i in order {
        let mut keys: Vec<String> = interface_props(c, i)
            .into_iter()
            .map(|p| format!("interfaces {p}"))
            .collect();
        keys.push(format!("ip {}", c.router_ips[i]));
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
        "pvesh create /cluster/sdn/fabrics/fabric --id {} --protocol openfabric --ip_prefix {}",
        f.name,
        f.prefix.value.trunc()
    );
    if let Some(v) = &f.hello_interval {
        let _ = write!(s, " --hello_interval {}", v.value);
    }
    if let Some(v) = &f.csnp_interval {
        let _ = write!(s, " --csnp_interval {}", v.value);
    }
    s.push('\n');
    for i in 0..c.nodes().len() {
        let _ = write!(
            s,
            "pvesh create /cluster/sdn/fabrics/node/{} --node_id {} --protocol openfabric --ip {}",
            f.name,
            c.node_name(i),
            c.router_ips[i]
        );
        for p in interface_props(c, i) {
            let _ = write!(s, " --interfaces {p}");
        }
        s.push('\n');
    }
    s.push_str("pvesh set /cluster/sdn\n");
    s
}
