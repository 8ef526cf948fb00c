//! The lab's network namespace: the management bridge (10.11.11.1/24, no
//! route out, no link to the host's namespace) and, for containers, the
//! ring cables.
//!
//! A container cable is two veth pairs joined by a bridge in the lab
//! namespace: `n2:en05 <-> n2-en05 | cableN | n3-en05 <-> n3:en05`.
//! Setting both middle ends down is a pulled cable: each node's port stays
//! administratively up and loses carrier (NO-CARRIER), as on hardware. A
//! node's namespace is made anew at every power-on (fresh addresses,
//! routes and sysctls, as after a real boot), its ports with it.
//! One-sided silent loss is an nftables netdev ingress drop on the middle
//! end of the far side, out of the nodes' reach.

use anyhow::{Context, Result};

use crate::host::{in_netns, ip_in, Cmd};
use crate::topology::{Cable, PortRef, FABRIC_MTU, MGMT_GATEWAY, MGMT_PREFIX_LEN};

pub const MGMT_BRIDGE: &str = "mgmt";
const NFT_TABLE: &str = "tbmesh_lab";

pub fn create_lab_netns(ns: &str) -> Result<()> {
    Cmd::new("ip").args(["netns", "add", ns]).run()?;
    ip_in(ns).args(["link", "set", "lo", "up"]).run()?;
    // No IPv6 chatter (router solicitations, MLD) from the lab's own
    // bridges into the nodes' ports.
    in_netns(ns, "sysctl")
        .args([
            "-q",
            "-w",
            "net.ipv6.conf.all.disable_ipv6=1",
            "net.ipv6.conf.default.disable_ipv6=1",
            "net.ipv4.ip_forward=0",
        ])
        .run()?;
    ip_in(ns)
        .args(["link", "add", MGMT_BRIDGE, "type", "bridge"])
        .run()?;
    ip_in(ns)
        .args([
            "addr",
            "add",
            &format!("{MGMT_GATEWAY}/{MGMT_PREFIX_LEN}"),
            "dev",
            MGMT_BRIDGE,
        ])
        .run()?;
    ip_in(ns).args(["link", "set", MGMT_BRIDGE, "up"]).run()?;
    Ok(())
}

pub fn create_node_netns(ns: &str) -> Result<()> {
    Cmd::new("ip").args(["netns", "add", ns]).run()?;
    ip_in(ns).args(["link", "set", "lo", "up"]).run()?;
    Ok(())
}

/// A veth `mgmt_if` in the node's namespace, its peer `node` on the lab
/// bridge. The address is set here so sshd answers as soon as it starts;
/// the node's /etc/network/interfaces declares the same address.
pub fn connect_mgmt(
    lab_ns: &str,
    node_ns: &str,
    node: &str,
    mgmt_if: &str,
    ip: &str,
) -> Result<()> {
    ip_in(node_ns)
        .args([
            "link", "add", mgmt_if, "type", "veth", "peer", "name", node, "netns", lab_ns,
        ])
        .run()?;
    ip_in(lab_ns)
        .args(["link", "set", node, "master", MGMT_BRIDGE, "up"])
        .run()?;
    ip_in(node_ns)
        .args([
            "addr",
            "add",
            &format!("{ip}/{MGMT_PREFIX_LEN}"),
            "dev",
            mgmt_if,
        ])
        .run()?;
    ip_in(node_ns).args(["link", "set", mgmt_if, "up"]).run()?;
    Ok(())
}

/// Deletes lab-namespace ends (`names`) left by a node's previous boot:
/// after a power cut the kernel frees the old node namespace, and with it
/// the peers of its veths, some time after `ip netns delete`; a new veth of
/// the same name fails with "File exists" until then. Deleting one end of a
/// veth deletes both.
pub fn remove_stale_ends(lab_ns: &str, names: &[String]) {
    for name in names {
        if ip_in(lab_ns).args(["link", "show", "dev", name]).succeeds() {
            // It may vanish by itself meanwhile: only its absence matters.
            let _ = ip_in(lab_ns).args(["link", "del", "dev", name]).succeeds();
        }
    }
}

/// The lab-namespace end of a node's port.
pub fn middle_end(end: &PortRef) -> String {
    format!("{}-{}", end.node, end.port)
}

pub fn cable_bridge(index: usize) -> String {
    format!("cable{index}")
}

/// The bridge that is cable `index`, in the lab namespace.
pub fn create_cable(lab_ns: &str, index: usize) -> Result<()> {
    let bridge = cable_bridge(index);
    let mtu = FABRIC_MTU.to_string();
    // group_fwd_mask bit 14: forward LLDP (01:80:c2:00:00:0e) like a
    // cable would; a bridge drops it by default.
    ip_in(lab_ns)
        .args([
            "link",
            "add",
            &bridge,
            "mtu",
            &mtu,
            "type",
            "bridge",
            "group_fwd_mask",
            "0x4000",
            "mcast_snooping",
            "0",
        ])
        .run()?;
    ip_in(lab_ns).args(["link", "set", &bridge, "up"]).run()?;
    Ok(())
}

/// Plugs a node's port into cable `index`: a veth pair, the port in the
/// node's namespace (up, MTU 65520), its middle end on the cable's bridge
/// (left down; [`sync_cables`] decides).
pub fn plug_port(lab_ns: &str, node_ns: &str, end: &PortRef, index: usize) -> Result<()> {
    let mtu = FABRIC_MTU.to_string();
    let middle = middle_end(end);
    ip_in(node_ns)
        .args([
            "link", "add", &end.port, "mtu", &mtu, "type", "veth", "peer", "name", &middle, "mtu",
            &mtu, "netns", lab_ns,
        ])
        .run()?;
    ip_in(lab_ns)
        .args(["link", "set", &middle, "master", &cable_bridge(index)])
        .run()?;
    ip_in(node_ns)
        .args(["link", "set", &end.port, "up"])
        .run()?;
    Ok(())
}

fn link_exists(ns: &str, dev: &str) -> bool {
    ip_in(ns).args(["link", "show", "dev", dev]).succeeds()
}

/// Gives each cable carrier exactly when it is plugged and both its nodes
/// are on (a powered-off node's neighbour sees NO-CARRIER, as with TB4),
/// and re-applies silent ports (a rebooted node's middle end is new).
pub fn sync_cables(
    lab_ns: &str,
    cables: &[Cable],
    pulled: &[usize],
    silent: &[PortRef],
    on: &dyn Fn(&str) -> bool,
) -> Result<()> {
    for (i, cable) in cables.iter().enumerate() {
        let live = !pulled.contains(&i) && on(&cable.a.node) && on(&cable.b.node);
        let state = if live { "up" } else { "down" };
        for end in [&cable.a, &cable.b] {
            let middle = middle_end(end);
            if link_exists(lab_ns, &middle) {
                ip_in(lab_ns)
                    .args(["link", "set", &middle, state])
                    .run()
                    .with_context(|| format!("setting the cable at {end} {state}"))?;
            }
        }
        for (end, peer) in [(&cable.a, &cable.b), (&cable.b, &cable.a)] {
            unsilence(lab_ns, end)?;
            if silent.contains(end) && link_exists(lab_ns, &middle_end(peer)) {
                silence(lab_ns, end, peer)?;
            }
        }
    }
    Ok(())
}

fn silent_chain(end: &PortRef) -> String {
    format!("silent_{}_{}", end.node, end.port)
}

/// Drops everything that would arrive at `end`, carrier staying up.
fn silence(lab_ns: &str, end: &PortRef, peer: &PortRef) -> Result<()> {
    in_netns(lab_ns, "nft")
        .args(["add", "table", "netdev", NFT_TABLE])
        .run()?;
    let rule = format!(
        "add chain netdev {NFT_TABLE} {} {{ type filter hook ingress device \"{}\" priority -500 ; policy drop ; }}",
        silent_chain(end),
        middle_end(peer)
    );
    in_netns(lab_ns, "nft").arg(rule).run()?;
    Ok(())
}

fn unsilence(lab_ns: &str, end: &PortRef) -> Result<()> {
    if !is_silenced(lab_ns, end) {
        return Ok(());
    }
    in_netns(lab_ns, "nft")
        .args(["delete", "chain", "netdev", NFT_TABLE, &silent_chain(end)])
        .run()?;
    Ok(())
}

pub fn is_silenced(lab_ns: &str, end: &PortRef) -> bool {
    in_netns(lab_ns, "nft")
        .args(["list", "chain", "netdev", NFT_TABLE, &silent_chain(end)])
        .succeeds()
}

/// One interface as `ip -j link` reports it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PortStatus {
    pub name: String,
    pub mtu: u32,
    pub admin_up: bool,
    pub carrier: bool,
    pub operstate: String,
}

/// The ports named `names` inside a namespace.
pub fn port_status(ns: &str, names: &[&str]) -> Result<Vec<PortStatus>> {
    let out = ip_in(ns).args(["-j", "link", "show"]).run()?;
    let links: Vec<serde_json::Value> =
        serde_json::from_str(&out).context("parsing `ip -j link show`")?;
    let mut ports = Vec::new();
    for link in links {
        let name = link["ifname"].as_str().unwrap_or_default();
        if !names.contains(&name) {
            continue;
        }
        let flags: Vec<&str> = link["flags"]
            .as_array()
            .map(|f| f.iter().filter_map(|x| x.as_str()).collect())
            .unwrap_or_default();
        ports.push(PortStatus {
            name: name.to_string(),
            mtu: link["mtu"].as_u64().unwrap_or(0) as u32,
            admin_up: flags.contains(&"UP"),
            carrier: flags.contains(&"LOWER_UP"),
            operstate: link["operstate"].as_str().unwrap_or("?").to_string(),
        });
    }
    Ok(ports)
}
