//! Rules that span several values of a spec, and the derivation of the
//! topology and addresses. Each rule reports at the value to change.

use super::model::*;
use super::parse::parse;
use crate::addressing::{allocate_router_ip6s, allocate_router_ips, link_capacity, link_net};
use crate::cluster::Cluster;
use crate::diag::{Diagnostic, Source};
use crate::net::IpNet;
use crate::topology::{Link, Topology};
use std::collections::HashMap;

/// The outcome of checking a spec: the cluster and its warnings, or every
/// error found (warnings included, so they are not lost).
pub type Checked = Result<(Cluster, Vec<Diagnostic>), Vec<Diagnostic>>;

/// Parse and validate a spec's text.
pub fn load(source: &Source) -> Checked {
    validate(parse(source)?)
}

/// Check the cross-value rules of a parsed spec and derive the cluster.
pub fn validate(spec: Spec) -> Checked {
    let mut v = Validator { diags: vec![] };
    v.nodes(&spec);
    v.port_names(&spec);
    v.diags.extend(super::pve_names::check(&spec));
    let links = v.links(&spec);
    let router_ips = v.router_ips(&spec);
    let router_ip6s = v.router_ip6s(&spec);
    v.ceph(&spec);
    v.management_outside_mesh(&spec);
    let link_nets = v.static_mode(&spec);
    let (Some(links), Some(router_ips), Some(router_ip6s), Some(link_nets)) =
        (links, router_ips, router_ip6s, link_nets)
    else {
        return Err(v.diags);
    };
    if v.diags.iter().any(Diagnostic::is_error) {
        return Err(v.diags);
    }
    let topology = Topology::new(spec.nodes.len(), links);
    v.topology(&spec, &topology);
    if v.diags.iter().any(Diagnostic::is_error) {
        return Err(v.diags);
    }
    Ok((
        Cluster {
            spec,
            topology,
            router_ips,
            router_ip6s,
            link_nets,
        },
        v.diags,
    ))
}

struct Validator {
    diags: Vec<Diagnostic>,
}

impl Validator {
    fn err(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn nodes(&mut self, spec: &Spec) {
        if spec.nodes.len() < 2 {
            let span = spec.nodes.first().map_or(0..0, |n| n.span.clone());
            self.err(
                Diagnostic::error(span, "a mesh needs at least 2 nodes")
                    .hint("add a [[node]] table for every node that is cabled into the mesh"),
            );
        }
        let mut names: HashMap<&str, &NodeSpec> = HashMap::new();
        let mut hosts: HashMap<(String, u16), &NodeSpec> = HashMap::new();
        for n in &spec.nodes {
            if let Some(first) = names.insert(&n.name.value, n) {
                self.err(
                    Diagnostic::error(
                        n.name.span.clone(),
                        format!("duplicate node name {:?}", n.name.value),
                    )
                    .hint(format!(
                        "node names must be unique; the first {:?} is declared earlier",
                        first.name.value
                    )),
                );
            }
            if let Some(first) = hosts.insert(n.host.normalized(), n) {
                self.err(
                    Diagnostic::error(
                        n.host.span.clone(),
                        format!(
                            "host {} is also the host of node {} ({})",
                            n.host, first.name, first.host
                        ),
                    )
                    .hint("every node needs its own management address (hosts are compared without case, a trailing dot or the default port 22)"),
                );
            }
            // Compared as the kernel resolves them: `/dev//nvme1n1` and
            // `/dev/./nvme1n1` are `/dev/nvme1n1` (with --wipe-disk the
            // second listing would wipe the first's OSDs).
            let mut devs: HashMap<String, &Sp<String>> = HashMap::new();
            for d in &n.osd_devices {
                if let Some(first) = devs.insert(device_path(&d.value), d) {
                    let same = if first.value == d.value {
                        String::new()
                    } else {
                        format!(" (as {})", first.value)
                    };
                    self.err(
                        Diagnostic::error(d.span.clone(), format!("OSD device {} is listed twice for node {}{same}", d.value, n.name))
                            .hint("list each device once; use [ceph] osds_per_device for several OSDs per device"),
                    );
                }
            }
        }
    }

    /// Port names that are not interfaces of their own (`lo`, the sysctl
    /// trees `all` and `default`, the router interface tbmesh creates) and
    /// two ports of one node on the same controller.
    fn port_names(&mut self, spec: &Spec) {
        let router = spec.fabric.router_ifname();
        for n in &spec.nodes {
            let mut pcis: HashMap<&str, &PortSpec> = HashMap::new();
            for p in &n.ports {
                let name = p.name.value.as_str();
                let why = match name {
                    "lo" => Some("the loopback interface".to_string()),
                    "all" | "default" => Some(format!(
                        "a name the kernel keeps for settings (/proc/sys/net/ipv4/conf/{name} is not an interface)"
                    )),
                    "bonding_masters" => Some("a control file in /sys/class/net".into()),
                    _ if name == router => Some(format!(
                        "the router interface tbmesh creates for the fabric ({router})"
                    )),
                    _ => None,
                };
                if let Some(why) = why {
                    self.err(
                        Diagnostic::error(
                            p.name.span.clone(),
                            format!("port name {name:?} of node {} is {why}", n.name),
                        )
                        .hint("name the Thunderbolt port itself, like en05 (see `ip link` on the node)"),
                    );
                }
                let Some(pci) = &p.pci else { continue };
                if let Some(first) = pcis.insert(pci.as_str(), p) {
                    self.err(
                        Diagnostic::error(
                            p.name.span.clone(),
                            format!(
                                "port {} of node {} has PCI address {pci}, as port {} has",
                                name, n.name, first.name.value
                            ),
                        )
                        .hint("each port is its own controller function: check `lspci -D` on the node (TB4 ports are usually .2 and .3)"),
                    );
                }
            }
        }
    }

    /// The mesh prefixes must not hold a management address known from the
    /// spec (hosts written as IPv4 addresses): a router /32 or a link /31
    /// equal to one would be advertised over the fabric and take the
    /// node's ssh traffic, the one way back in.
    fn management_outside_mesh(&mut self, spec: &Spec) {
        let f = &spec.fabric;
        let prefixes = f
            .prefix
            .iter()
            .map(|p| ("fabric.prefix", p))
            .chain(f.link_prefix.iter().map(|lp| ("fabric.link_prefix", lp)));
        for (key, prefix) in prefixes {
            let inside: Vec<String> = spec
                .nodes
                .iter()
                .filter_map(|n| {
                    let ip = n.host.ipv4()?;
                    prefix
                        .value
                        .contains(ip)
                        .then(|| format!("{} (node {})", ip, n.name))
                })
                .collect();
            if inside.is_empty() {
                continue;
            }
            self.err(
                Diagnostic::error(
                    prefix.span.clone(),
                    format!(
                        "{key} {} holds management address{} {}: mesh routes would take over the way tbmesh reaches the node{}",
                        prefix.value,
                        if inside.len() == 1 { "" } else { "es" },
                        inside.join(", "),
                        if inside.len() == 1 { "" } else { "s" },
                    ),
                )
                .hint("give the mesh a prefix of its own, outside the management network (such as 10.100.0.0/24 beside a 10.11.11.0/24 management network)"),
            );
        }
    }

    fn router_ips(&mut self, spec: &Spec) -> Option<Vec<std::net::Ipv4Addr>> {
        let Some(prefix_sp) = &spec.fabric.prefix else {
            // IPv6-only: no IPv4 router addresses.
            for n in &spec.nodes {
                if let Some(ip) = &n.router_ip {
                    self.err(
                        Diagnostic::error(
                            ip.span.clone(),
                            "router_ip is set but the fabric is IPv6-only (no fabric.prefix)",
                        )
                        .hint("add prefix = \"10.100.0.0/24\" (a prefix holding this address) to [fabric] for a dual-stack fabric, or remove router_ip (router_ip6 is the IPv6 address)"),
                    );
                }
            }
            return Some(vec![]);
        };
        let prefix = prefix_sp.value;
        let mut ok = true;
        let mut seen: HashMap<std::net::Ipv4Addr, &str> = HashMap::new();
        for n in &spec.nodes {
            let Some(ip) = &n.router_ip else { continue };
            if !prefix.contains(ip.value) {
                self.err(
                    Diagnostic::error(
                        ip.span.clone(),
                        format!("router_ip {} is outside fabric.prefix {}", ip.value, prefix),
                    )
                    .hint(format!(
                        "use an address inside {}, or remove router_ip to have one allocated",
                        prefix.trunc()
                    )),
                );
                ok = false;
            } else if prefix.is_reserved(ip.value) {
                self.err(
                    Diagnostic::error(
                        ip.span.clone(),
                        format!(
                            "router_ip {} is the network or broadcast address of {}",
                            ip.value,
                            prefix.trunc()
                        ),
                    )
                    .hint("pick a host address of the prefix"),
                );
                ok = false;
            }
            if let Some(other) = seen.insert(ip.value, &n.name.value) {
                self.err(
                    Diagnostic::error(
                        ip.span.clone(),
                        format!("router_ip {} is also used by node {other}", ip.value),
                    )
                    .hint("every node needs its own router address"),
                );
                ok = false;
            }
        }
        let hosts = prefix.host_count();
        if hosts < spec.nodes.len() as u64 {
            self.err(
                Diagnostic::error(
                    prefix_sp.span.clone(),
                    format!("fabric.prefix {} has room for {hosts} router addresses, the spec has {} nodes", prefix, spec.nodes.len()),
                )
                .hint("use a larger prefix, such as a /24"),
            );
            return None;
        }
        if !ok {
            return None;
        }
        let explicit: Vec<_> = spec
            .nodes
            .iter()
            .map(|n| n.router_ip.as_ref().map(|s| s.value))
            .collect();
        let ips = allocate_router_ips(prefix, &explicit);
        if ips.is_none() {
            self.err(
                Diagnostic::error(
                    prefix_sp.span.clone(),
                    format!("fabric.prefix {prefix} has no free address left for every node"),
                )
                .hint("use a larger prefix, or give the nodes router_ip values"),
            );
        }
        ips
    }

    /// IPv6 router addresses (dual stack), allocated like the IPv4 ones;
    /// empty without `fabric.prefix6`.
    fn router_ip6s(&mut self, spec: &Spec) -> Option<Vec<std::net::Ipv6Addr>> {
        let Some(prefix) = &spec.fabric.prefix6 else {
            for n in &spec.nodes {
                if let Some(ip) = &n.router_ip6 {
                    self.err(
                        Diagnostic::error(
                            ip.span.clone(),
                            "router_ip6 is set but the fabric has no IPv6 prefix",
                        )
                        .hint("add `prefix6 = \"fd00:100::/64\"` (a prefix holding this address) to [fabric], or remove router_ip6"),
                    );
                }
            }
            return Some(vec![]);
        };
        if spec.fabric.mode.value == FabricMode::Static {
            self.err(
                Diagnostic::error(
                    prefix.span.clone(),
                    "static mode has no IPv6: its routes and /31 link addresses are IPv4 only",
                )
                .hint(if spec.fabric.ipv6_only() {
                    "use mode \"frr\" or \"pve-sdn\" for an IPv6-only fabric, or give static mode an IPv4 prefix = \"10.100.0.0/24\" instead of prefix6"
                } else {
                    "use mode \"frr\" or \"pve-sdn\" for a dual-stack fabric, or remove prefix6"
                }),
            );
            return None;
        }
        let mut ok = true;
        let mut seen: HashMap<std::net::Ipv6Addr, &str> = HashMap::new();
        for n in &spec.nodes {
            if let Ok(host) = n.host.addr.parse::<std::net::Ipv6Addr>() {
                if prefix.value.contains(host) {
                    self.err(
                        Diagnostic::error(
                            prefix.span.clone(),
                            format!("fabric.prefix6 {} holds management address {host} (node {}): mesh routes would take over the way tbmesh reaches the node", prefix.value, n.name),
                        )
                        .hint("give the mesh an IPv6 prefix of its own, outside the management network (such as fd00:100::/64)"),
                    );
                    ok = false;
                }
            }
            let Some(ip) = &n.router_ip6 else { continue };
            if !prefix.value.contains(ip.value) {
                self.err(
                    Diagnostic::error(
                        ip.span.clone(),
                        format!(
                            "router_ip6 {} is outside fabric.prefix6 {}",
                            ip.value, prefix.value
                        ),
                    )
                    .hint(format!(
                        "use an address inside {}, or remove router_ip6 to have one allocated",
                        prefix.value.trunc()
                    )),
                );
                ok = false;
            } else if ip.value == prefix.value.network() {
                self.err(
                    Diagnostic::error(
                        ip.span.clone(),
                        format!(
                            "router_ip6 {} is the subnet-router anycast address of {}",
                            ip.value,
                            prefix.value.trunc()
                        ),
                    )
                    .hint("pick another address of the prefix"),
                );
                ok = false;
            }
            if let Some(other) = seen.insert(ip.value, &n.name.value) {
                self.err(
                    Diagnostic::error(
                        ip.span.clone(),
                        format!("router_ip6 {} is also used by node {other}", ip.value),
                    )
                    .hint("every node needs its own router address"),
                );
                ok = false;
            }
        }
        if !ok {
            return None;
        }
        let explicit: Vec<_> = spec
            .nodes
            .iter()
            .map(|n| n.router_ip6.as_ref().map(|s| s.value))
            .collect();
        let ips = allocate_router_ip6s(prefix.value, &explicit);
        if ips.is_none() {
            self.err(
                Diagnostic::error(
                    prefix.span.clone(),
                    format!(
                        "fabric.prefix6 {} has no free address left for every node",
                        prefix.value
                    ),
                )
                .hint("use a larger prefix (a /64), or give the nodes router_ip6 values"),
            );
        }
        ips
    }

    fn links(&mut self, spec: &Spec) -> Option<Vec<Link>> {
        let index: HashMap<&str, usize> = spec
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.name.value.as_str(), i))
            .collect();
        let mut used: HashMap<PortRef, &LinkSpec> = HashMap::new();
        let mut cables: HashMap<(PortRef, PortRef), &LinkSpec> = HashMap::new();
        let mut links = vec![];
        let mut ok = true;
        for l in &spec.fabric.links {
            let end = |r: &PortRef, v: &mut Self| -> Option<usize> {
                let Some(&i) = index.get(r.node.as_str()) else {
                    let names: Vec<&str> =
                        spec.nodes.iter().map(|n| n.name.value.as_str()).collect();
                    let mut d = Diagnostic::error(
                        l.span.clone(),
                        format!("link {l} names unknown node {:?}", r.node),
                    );
                    d = match crate::diag::did_you_mean(&r.node, &names) {
                        Some(c) => d.hint(format!("did you mean {c:?}?")),
                        None => d.hint(format!("declared nodes: {}", names.join(", "))),
                    };
                    v.err(d);
                    return None;
                };
                let node = &spec.nodes[i];
                if node.port(&r.port).is_none() {
                    let ports: Vec<&str> =
                        node.ports.iter().map(|p| p.name.value.as_str()).collect();
                    v.err(
                        Diagnostic::error(
                            l.span.clone(),
                            format!(
                                "link {l} names port {:?}, which node {} does not declare",
                                r.port, r.node
                            ),
                        )
                        .hint(format!(
                            "ports of {}: {} (add it to the node's ports)",
                            r.node,
                            ports.join(", ")
                        )),
                    );
                    return None;
                }
                Some(i)
            };
            let a = end(&l.a, self);
            let b = end(&l.b, self);
            let (Some(a), Some(b)) = (a, b) else {
                ok = false;
                continue;
            };
            if a == b {
                self.err(
                    Diagnostic::error(
                        l.span.clone(),
                        format!("link {l} connects node {} to itself", l.a.node),
                    )
                    .hint("a cable joins two different nodes"),
                );
                ok = false;
                continue;
            }
            let key = if l.a <= l.b {
                (l.a.clone(), l.b.clone())
            } else {
                (l.b.clone(), l.a.clone())
            };
            if cables.insert(key, l).is_some() {
                self.err(
                    Diagnostic::error(l.span.clone(), format!("link {l} is listed twice"))
                        .hint("list each cable once"),
                );
                ok = false;
                continue;
            }
            for r in [&l.a, &l.b] {
                if let Some(first) = used.insert(r.clone(), l) {
                    self.err(
                        Diagnostic::error(
                            l.span.clone(),
                            format!("port {r} is already cabled by link {first}"),
                        )
                        .hint("a port takes one cable; use another port of the node"),
                    );
                    ok = false;
                }
            }
            links.push(Link {
                a: (a, l.a.port.clone()),
                b: (b, l.b.port.clone()),
            });
        }
        if spec.fabric.links.is_empty() {
            self.err(
                Diagnostic::error(
                    spec.fabric.links_span.clone(),
                    "fabric.links lists no cables",
                )
                .hint("list one \"node:port -- node:port\" string per cable"),
            );
            ok = false;
        }
        if ok {
            for n in &spec.nodes {
                for p in &n.ports {
                    let r = PortRef {
                        node: n.name.value.clone(),
                        port: p.name.value.clone(),
                    };
                    if !used.contains_key(&r) {
                        self.diags.push(
                            Diagnostic::warning(
                                p.name.span.clone(),
                                format!("port {r} is declared but no link uses it"),
                            )
                            .hint("add its cable to fabric.links, or remove the port"),
                        );
                    }
                }
            }
        }
        ok.then_some(links)
    }

    fn ceph(&mut self, spec: &Spec) {
        let Some(ceph) = &spec.ceph else { return };
        if let Some(pool) = &ceph.pool {
            if pool.min_size.value > pool.size.value {
                self.err(
                    Diagnostic::error(
                        pool.min_size.span.clone(),
                        format!(
                            "pool min_size {} is larger than size {}",
                            pool.min_size.value, pool.size.value
                        ),
                    )
                    .hint("min_size must be at most size (usual: size = 3, min_size = 2)"),
                );
            } else if pool.size.value <= 2 || pool.min_size.value <= 1 {
                self.diags.push(
                    Diagnostic::warning(pool.size.span.clone(), format!("pool size {} / min_size {} risks data loss", pool.size.value, pool.min_size.value))
                        .hint("use size = 3 and min_size = 2 unless you accept losing data when one disk fails"),
                );
            }
            if pool.size.value as usize > spec.nodes.len() {
                self.diags.push(
                    Diagnostic::warning(pool.size.span.clone(), format!("pool size {} is more than the {} nodes: with host failure domains the pool can never be clean", pool.size.value, spec.nodes.len()))
                        .hint("use a size of at most the number of nodes"),
                );
            }
        }
        let prefix = spec.fabric.main_prefix();
        let public = ceph.public_network.resolve(&spec.fabric);
        let cluster = ceph.cluster_network.resolve(&spec.fabric);
        if public.is_ipv6() != cluster.is_ipv6() {
            self.err(
                Diagnostic::error(
                    ceph.cluster_network.span.clone(),
                    format!("Ceph's public network {public} and cluster network {cluster} are of different IP versions: Ceph daemons bind one family (ms_bind_ipv4 or ms_bind_ipv6)"),
                )
                .hint("use IPv4 networks for both or IPv6 networks for both (\"fabric\" is the fabric's IPv4 prefix, or its prefix6 when the fabric is IPv6-only)"),
            );
            return;
        }
        for (key, net) in [
            ("public_network", &ceph.public_network),
            ("cluster_network", &ceph.cluster_network),
        ] {
            let v6 = net.resolve(&spec.fabric).is_ipv6();
            let missing = if v6 {
                spec.fabric.prefix6.is_none()
            } else {
                spec.fabric.prefix.is_none()
            };
            if missing {
                self.err(
                    Diagnostic::error(
                        net.span.clone(),
                        format!("ceph.{key} is {}, but the fabric has no {} router addresses for Ceph to bind", net.resolve(&spec.fabric), if v6 { "IPv6" } else { "IPv4" }),
                    )
                    .hint(if v6 { "add prefix6 = \"fd00:100::/64\" to [fabric], or use \"fabric\"" } else { "use \"fabric\" (the fabric's IPv6 prefix) or an IPv6 CIDR, or add an IPv4 prefix to [fabric]" }),
                );
                return;
            }
        }
        let prefix6 = spec
            .fabric
            .prefix6
            .as_ref()
            .map(|p| IpNet::V6(p.value.trunc()));
        if public != prefix && Some(public) != prefix6 {
            self.diags.push(
                Diagnostic::warning(ceph.public_network.span.clone(), "Ceph's public network is not on the fabric: client I/O will use the slower network")
                    .hint("set public_network = \"fabric\" unless clients outside the mesh need it"),
            );
        }
        let cluster_net = cluster;
        if let CephNetwork::Cidr(net) = ceph.cluster_network.value {
            let on_fabric = net.overlaps(&prefix) || prefix6.is_some_and(|p6| net.overlaps(&p6));
            if !on_fabric {
                self.diags.push(
                    Diagnostic::warning(ceph.cluster_network.span.clone(), format!("Ceph's cluster network {cluster_net} is not the fabric {prefix}: replication will not use the mesh"))
                        .hint("set cluster_network = \"fabric\""),
                );
            }
        }
    }

    /// Static mode needs a link prefix with a /31 for every cable.
    fn static_mode(
        &mut self,
        spec: &Spec,
    ) -> Option<Vec<(crate::net::Ipv4Net, crate::net::Ipv4Net)>> {
        let f = &spec.fabric;
        if !f.bfd || f.mode.value == FabricMode::Static {
            let why = if f.bfd {
                "static mode runs no BFD"
            } else {
                "bfd = false"
            };
            for (key, v) in [
                ("bfd_interval", &f.bfd_interval),
                ("bfd_multiplier", &f.bfd_multiplier),
            ] {
                if let Some(v) = v {
                    self.diags.push(
                        Diagnostic::warning(v.span.clone(), format!("{key} has no effect: {why}"))
                            .hint(format!("remove {key}")),
                    );
                }
            }
        }
        if f.mode.value == FabricMode::PveSdn && f.router_interface.value == RouterInterface::Lo {
            self.err(
                Diagnostic::error(
                    f.router_interface.span.clone(),
                    "mode \"pve-sdn\" always puts the router address on dummy_<fabric>",
                )
                .hint("remove router_interface, or use mode = \"frr\" to have the address on lo"),
            );
        }
        if f.mode.value != FabricMode::Static {
            if let Some(lp) = &f.link_prefix {
                self.diags.push(
                    Diagnostic::warning(lp.span.clone(), format!("link_prefix is only used in static mode; mode {} leaves links unnumbered", f.mode.value))
                        .hint("remove link_prefix"),
                );
            }
            return Some(vec![]);
        }
        self.diags.push(
            Diagnostic::warning(f.mode.span.clone(), "static routes have no failover: a cut cable leaves its two nodes unable to reach each other")
                .hint("use mode \"frr\" or \"pve-sdn\" for OpenFabric routing that reroutes around a failed link"),
        );
        let Some(lp) = &f.link_prefix else {
            self.err(
                Diagnostic::error(f.mode.span.clone(), "static mode needs fabric.link_prefix: one /31 per link is taken from it")
                    .hint("add link_prefix = \"10.100.1.0/24\" (a prefix that does not overlap fabric.prefix)"),
            );
            return None;
        };
        let Some(prefix) = &f.prefix else {
            // IPv6-only in static mode: refused where prefix6 is checked.
            return None;
        };
        if lp.value.overlaps(&prefix.value) {
            self.err(
                Diagnostic::error(
                    lp.span.clone(),
                    format!(
                        "link_prefix {} overlaps fabric.prefix {}",
                        lp.value, prefix.value
                    ),
                )
                .hint(
                    "link addresses must not collide with router addresses: use a separate prefix",
                ),
            );
            return None;
        }
        if link_capacity(lp.value) < f.links.len() as u64 {
            self.err(
                Diagnostic::error(
                    lp.span.clone(),
                    format!(
                        "link_prefix {} has room for {} /31s, the spec has {} links",
                        lp.value,
                        link_capacity(lp.value),
                        f.links.len()
                    ),
                )
                .hint("use a larger link_prefix"),
            );
            return None;
        }
        (0..f.links.len()).map(|i| link_net(lp.value, i)).collect()
    }

    fn topology(&mut self, spec: &Spec, topo: &Topology) {
        let missing = topo.unreachable_from_first();
        if !missing.is_empty() {
            let names: Vec<&str> = missing
                .iter()
                .map(|&i| spec.nodes[i].name.value.as_str())
                .collect();
            self.err(
                Diagnostic::error(
                    spec.fabric.links_span.clone(),
                    format!(
                        "the mesh is not connected: {} cannot be reached from {}",
                        names.join(", "),
                        spec.nodes[0].name
                    ),
                )
                .hint("add cables to fabric.links so every node has a path to every other"),
            );
            return;
        }
        for l in topo.bridges() {
            let ls = &spec.fabric.links[l];
            self.diags.push(
                Diagnostic::warning(ls.span.clone(), format!("losing link {ls} splits the mesh"))
                    .hint("close the ring (or add a cable) so every link has an alternative path"),
            );
        }
        let routes = topo.routes();
        let n = spec.nodes.len();
        let far: Vec<String> = (0..n)
            .flat_map(|a| (a + 1..n).map(move |b| (a, b)))
            .filter(|&(a, b)| routes.hops(a, b).is_some_and(|h| h > 2))
            .map(|(a, b)| format!("{}-{}", spec.nodes[a].name, spec.nodes[b].name))
            .collect();
        if !far.is_empty() {
            self.diags.push(
                Diagnostic::warning(
                    spec.fabric.links_span.clone(),
                    format!("pairs more than 2 hops apart: {}", far.join(", ")),
                )
                .hint("each extra hop adds latency and forwarding load; consider more cables"),
            );
        }
    }
}

/// A /dev path as the kernel resolves it, for comparing: empty and `.`
/// components dropped (`..` and a trailing `/` are refused by the parser).
fn device_path(s: &str) -> String {
    let parts: Vec<&str> = s
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    format!("/{}", parts.join("/"))
}
