//! TOML text → [`Spec`], with a diagnostic for every key or value that is
//! unknown, of the wrong type or out of range. Rules that need several
//! values at once live in `validate.rs`.

use super::model::*;
use crate::diag::{did_you_mean, Diagnostic, Source, Span};
use crate::net::{IpNet, Ipv4Net, Ipv6Net, PciAddr};
use std::net::{Ipv4Addr, Ipv6Addr};
use toml_edit::{ImDocument, Item, TableLike, Value};

pub const MTU_RANGE: (u32, u32) = (1280, 65520);
pub const INTERVAL_RANGE: (u32, u32) = (1, 600);
pub const MULTIPLIER_RANGE: (u32, u32) = (2, 100);
/// bfdd's ranges: `receive-interval`/`transmit-interval` (ms), `detect-multiplier`.
pub const BFD_INTERVAL_RANGE: (u32, u32) = (10, 60000);
pub const BFD_MULTIPLIER_RANGE: (u32, u32) = (2, 255);
pub const DEFAULT_MTU: u32 = 65520;
pub const DEFAULT_PORT_DRIVER: &str = "thunderbolt-net";
/// Longest interface name Linux accepts.
pub const IFNAME_MAX: usize = 15;
/// Size limits (docs/spec.md, "Limits"): far above any Thunderbolt mesh,
/// low enough that no spec makes validate slow or its output huge.
pub const MAX_NODES: usize = 64;
pub const MAX_PORTS_PER_NODE: usize = 16;
pub const MAX_OSD_DEVICES_PER_NODE: usize = 32;
pub const MAX_LINKS: usize = MAX_NODES * MAX_PORTS_PER_NODE / 2;

/// Parse a spec. On failure, every problem found is returned, not just the first.
pub fn parse(source: &Source) -> Result<Spec, Vec<Diagnostic>> {
    let doc = match ImDocument::parse(source.text.as_str()) {
        Ok(doc) => doc,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            let msg = e.message().trim().to_string();
            return Err(vec![Diagnostic::error(
                span,
                format!("invalid TOML: {msg}"),
            )
            .hint("fix the TOML syntax at this place")]);
        }
    };
    let mut p = Parser { errors: vec![] };
    let spec = p.spec(doc.as_table());
    match spec {
        Some(spec) if p.errors.is_empty() => Ok(spec),
        _ => {
            if p.errors.is_empty() {
                p.errors.push(
                    Diagnostic::error(0..0, "the spec could not be read")
                        .hint("start from examples/ms01-3node.toml; see docs/spec.md"),
                );
            }
            Err(p.errors)
        }
    }
}

/// A table (or inline table) of the spec with its name, for messages.
struct Tbl<'a> {
    t: &'a dyn TableLike,
    /// Where to point when a required key is missing.
    span: Span,
    /// `fabric`, `node[2]`, … as the user would say it.
    path: String,
}

impl<'a> Tbl<'a> {
    fn get(&self, key: &str) -> Option<(&'a Item, Span)> {
        let (_, item) = self.t.get_key_value(key)?;
        Some((item, item.span().unwrap_or_else(|| self.key_span(key))))
    }

    fn key_span(&self, key: &str) -> Span {
        self.t
            .get_key_value(key)
            .and_then(|(k, _)| k.span())
            .unwrap_or_else(|| self.span.clone())
    }

    fn qualified(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{}", self.path, key)
        }
    }
}

struct Parser {
    errors: Vec<Diagnostic>,
}

impl Parser {
    fn err(&mut self, d: Diagnostic) {
        self.errors.push(d);
    }

    /// Report keys that are not in `allowed`, with a "did you mean".
    fn known_keys(&mut self, t: &Tbl, allowed: &[&str]) {
        for (key, _) in t.t.iter() {
            if allowed.contains(&key) {
                continue;
            }
            let span = t.key_span(key);
            let mut d = Diagnostic::error(span, format!("unknown key `{}`", t.qualified(key)));
            d = match did_you_mean(key, allowed) {
                Some(close) => d.hint(format!("did you mean `{close}`?")),
                None => d.hint(format!(
                    "keys allowed in {}: {}",
                    if t.path.is_empty() {
                        "the top level"
                    } else {
                        &t.path
                    },
                    allowed.join(", ")
                )),
            };
            self.err(d);
        }
    }

    fn table<'a>(&mut self, parent: &Tbl<'a>, key: &str, required: bool) -> Option<Tbl<'a>> {
        match parent.get(key) {
            None => {
                if required {
                    self.err(
                        Diagnostic::error(
                            parent.span.clone(),
                            format!("missing section [{}]", parent.qualified(key)),
                        )
                        .hint(format!(
                            "add a [{}] table; see docs/spec.md",
                            parent.qualified(key)
                        )),
                    );
                }
                None
            }
            Some((item, span)) => match item.as_table_like() {
                Some(t) => Some(Tbl {
                    t,
                    span,
                    path: parent.qualified(key),
                }),
                None => {
                    self.err(
                        Diagnostic::error(
                            span,
                            format!("`{}` must be a table", parent.qualified(key)),
                        )
                        .hint(format!(
                            "write it as [{}] followed by its keys",
                            parent.qualified(key)
                        )),
                    );
                    None
                }
            },
        }
    }

    fn value<'a>(&mut self, t: &Tbl<'a>, key: &str, required: bool) -> Option<(&'a Value, Span)> {
        match t.get(key) {
            None => {
                if required {
                    self.err(
                        Diagnostic::error(
                            t.span.clone(),
                            format!("missing key `{}`", t.qualified(key)),
                        )
                        .hint(format!("add `{key} = ...` to [{}]", t.path)),
                    );
                }
                None
            }
            Some((item, span)) => match item.as_value() {
                Some(v) => Some((v, span)),
                None => {
                    self.err(
                        Diagnostic::error(
                            span,
                            format!("`{}` must be a value, not a table", t.qualified(key)),
                        )
                        .hint(format!("write it as `{key} = ...` inside [{}]", t.path)),
                    );
                    None
                }
            },
        }
    }

    fn string(&mut self, t: &Tbl, key: &str, required: bool) -> Option<Sp<String>> {
        let (v, span) = self.value(t, key, required)?;
        match v.as_str() {
            Some(s) => Some(Sp::new(s.to_string(), span)),
            None => {
                self.err(
                    Diagnostic::error(span, format!("`{}` must be a string", t.qualified(key)))
                        .hint("put the value in double quotes"),
                );
                None
            }
        }
    }

    fn int(&mut self, t: &Tbl, key: &str, range: (u32, u32)) -> Option<Sp<u32>> {
        let (v, span) = self.value(t, key, false)?;
        let Some(i) = v.as_integer() else {
            self.err(
                Diagnostic::error(
                    span,
                    format!("`{}` must be a whole number", t.qualified(key)),
                )
                .hint(format!(
                    "write a number from {} to {} without quotes",
                    range.0, range.1
                )),
            );
            return None;
        };
        if i < i64::from(range.0) || i > i64::from(range.1) {
            self.err(
                Diagnostic::error(
                    span,
                    format!("`{}` = {i} is out of range", t.qualified(key)),
                )
                .hint(format!("use a value from {} to {}", range.0, range.1)),
            );
            return None;
        }
        u32::try_from(i).ok().map(|i| Sp::new(i, span))
    }

    fn boolean(&mut self, t: &Tbl, key: &str) -> Option<bool> {
        let (v, span) = self.value(t, key, false)?;
        let b = v.as_bool();
        if b.is_none() {
            self.err(
                Diagnostic::error(
                    span,
                    format!("`{}` must be true or false", t.qualified(key)),
                )
                .hint("write true or false without quotes"),
            );
        }
        b
    }

    /// A string checked by `check`, which returns the parsed value or a
    /// message and a hint.
    fn parsed<T>(
        &mut self,
        t: &Tbl,
        key: &str,
        required: bool,
        check: impl Fn(&str) -> Result<T, (String, String)>,
    ) -> Option<Sp<T>> {
        let s = self.string(t, key, required)?;
        match check(&s.value) {
            Ok(v) => Some(Sp::new(v, s.span)),
            Err((msg, hint)) => {
                self.err(
                    Diagnostic::error(s.span, format!("`{}`: {msg}", t.qualified(key))).hint(hint),
                );
                None
            }
        }
    }

    fn string_array(&mut self, t: &Tbl, key: &str) -> (Vec<Sp<String>>, Span) {
        let Some((v, span)) = self.value(t, key, false) else {
            return (vec![], t.key_span(key));
        };
        let Some(arr) = v.as_array() else {
            self.err(
                Diagnostic::error(
                    span.clone(),
                    format!("`{}` must be an array of strings", t.qualified(key)),
                )
                .hint(format!("write {key} = [\"...\", \"...\"]")),
            );
            return (vec![], span);
        };
        let mut out = vec![];
        for el in arr.iter() {
            let el_span = el.span().unwrap_or_else(|| span.clone());
            match el.as_str() {
                Some(s) => out.push(Sp::new(s.to_string(), el_span)),
                None => self.err(
                    Diagnostic::error(
                        el_span,
                        format!("every element of `{}` must be a string", t.qualified(key)),
                    )
                    .hint("put each element in double quotes"),
                ),
            }
        }
        (out, span)
    }

    fn spec(&mut self, root: &toml_edit::Table) -> Option<Spec> {
        let root = Tbl {
            t: root,
            span: 0..0,
            path: String::new(),
        };
        self.known_keys(&root, &["cluster", "ssh", "fabric", "ceph", "node"]);
        let cluster = self.cluster(&root);
        let ssh = self.ssh(&root);
        let fabric = self.fabric(&root);
        let ceph = self.ceph(&root);
        let nodes = self.nodes(&root, fabric.as_ref());
        Some(Spec {
            cluster: cluster?,
            ssh,
            fabric: fabric?,
            ceph,
            nodes: nodes?,
        })
    }

    fn cluster(&mut self, root: &Tbl) -> Option<ClusterSection> {
        let t = self.table(root, "cluster", true)?;
        self.known_keys(&t, &["name"]);
        let name = self.parsed(&t, "name", true, |s| identifier(s, 63))?;
        Some(ClusterSection { name })
    }

    fn ssh(&mut self, root: &Tbl) -> SshSection {
        let Some(t) = self.table(root, "ssh", false) else {
            return SshSection::default();
        };
        self.known_keys(&t, &["user", "config"]);
        let user = self.parsed(&t, "user", false, |s| identifier(s, 32));
        let config = self.parsed(&t, "config", false, |s| {
            if s.is_empty() || s.contains(['\n', '\0']) {
                Err((
                    "is not a file path".into(),
                    "give the path of an ssh_config file".into(),
                ))
            } else {
                Ok(s.to_string())
            }
        });
        SshSection {
            user: user.map(|u| u.value),
            config: config.map(|c| c.value),
        }
    }

    fn fabric(&mut self, root: &Tbl) -> Option<FabricSection> {
        let t = self.table(root, "fabric", true)?;
        self.known_keys(
            &t,
            &[
                "name",
                "mode",
                "prefix",
                "prefix6",
                "ip6_prefix",
                "mtu",
                "hello_interval",
                "hello_multiplier",
                "csnp_interval",
                "bfd",
                "bfd_interval",
                "bfd_multiplier",
                "link_prefix",
                "router_interface",
                "port_driver",
                "links",
            ],
        );
        let name = self.parsed(&t, "name", true, fabric_name);
        let mode = match self.parsed(&t, "mode", false, |s| match s {
            "pve-sdn" => Ok(FabricMode::PveSdn),
            "frr" => Ok(FabricMode::Frr),
            "static" => Ok(FabricMode::Static),
            other => Err((
                format!("unknown mode {other:?}"),
                match did_you_mean(other, &FabricMode::NAMES) {
                    Some(c) => format!("did you mean \"{c}\"?"),
                    None => "use one of \"pve-sdn\", \"frr\", \"static\"".into(),
                },
            )),
        }) {
            Some(m) => Some(m),
            None if t.get("mode").is_none() => Some(Sp::new(FabricMode::PveSdn, t.span.clone())),
            None => None,
        };
        let prefix = self.parsed(&t, "prefix", false, mesh_prefix);
        let prefix6 = match (t.get("prefix6"), t.get("ip6_prefix")) {
            (Some(_), Some(_)) => {
                self.err(
                    Diagnostic::error(
                        t.key_span("ip6_prefix"),
                        "fabric.prefix6 and fabric.ip6_prefix are the same setting, given twice",
                    )
                    .hint("keep one of them (ip6_prefix is Proxmox's name for prefix6)"),
                );
                None
            }
            (_, Some(_)) => self.parsed(&t, "ip6_prefix", false, mesh_prefix6),
            _ => self.parsed(&t, "prefix6", false, mesh_prefix6),
        };
        let no_prefix = t.get("prefix").is_none()
            && t.get("prefix6").is_none()
            && t.get("ip6_prefix").is_none();
        if no_prefix {
            self.err(
                Diagnostic::error(t.span.clone(), "missing key `fabric.prefix`: the fabric needs an IPv4 prefix, an IPv6 prefix, or both")
                    .hint("add prefix = \"10.100.0.0/24\" (IPv4), prefix6 = \"fd00:100::/64\" (IPv6), or both (dual stack)"),
            );
            return None;
        }
        // A prefix given but not valid was reported by `parsed`.
        if t.get("prefix").is_some() && prefix.is_none()
            || (t.get("prefix6").is_some() || t.get("ip6_prefix").is_some()) && prefix6.is_none()
        {
            return None;
        }
        let mtu = match t.get("mtu") {
            None => Some(Sp::new(DEFAULT_MTU, t.span.clone())),
            Some(_) => self.int(&t, "mtu", MTU_RANGE),
        };
        let hello_interval = self.int(&t, "hello_interval", INTERVAL_RANGE);
        let hello_multiplier = self.int(&t, "hello_multiplier", MULTIPLIER_RANGE);
        let csnp_interval = self.int(&t, "csnp_interval", INTERVAL_RANGE);
        // IPv6-only fabrics run without BFD: fabricd's IPv6 sessions go to
        // the neighbours' link-local addresses, which tbmesh cannot know
        // offline to give them the profile's timers (render/fabric.rs).
        let ipv6_only = t.get("prefix").is_none();
        let bfd = match self.boolean(&t, "bfd") {
            Some(true) if ipv6_only && t.get("bfd").is_some() => {
                self.err(
                    Diagnostic::error(t.key_span("bfd"), "bfd = true is not supported on an IPv6-only fabric (prefix6 without prefix): fabricd's IPv6 BFD sessions run over link-local addresses tbmesh cannot configure")
                        .hint("remove bfd (IPv6-only fabrics default to bfd = false), or add an IPv4 prefix = \"10.100.0.0/24\" for a dual-stack fabric with BFD"),
                );
                false
            }
            Some(b) => b,
            None => !ipv6_only,
        };
        let bfd_interval = self.int(&t, "bfd_interval", BFD_INTERVAL_RANGE);
        let bfd_multiplier = self.int(&t, "bfd_multiplier", BFD_MULTIPLIER_RANGE);
        let link_prefix = self.parsed(&t, "link_prefix", false, mesh_prefix);
        let router_interface = match self.parsed(&t, "router_interface", false, |s| match s {
            "dummy" => Ok(RouterInterface::Dummy),
            "lo" => Ok(RouterInterface::Lo),
            other => Err((
                format!("unknown router_interface {other:?}"),
                "use \"dummy\" (dummy_<fabric>, as Proxmox VE does) or \"lo\"".into(),
            )),
        }) {
            Some(r) => Some(r),
            None if t.get("router_interface").is_none() => {
                Some(Sp::new(RouterInterface::Dummy, t.span.clone()))
            }
            None => None,
        };
        let port_driver = match t.get("port_driver") {
            None => Some(Sp::new(DEFAULT_PORT_DRIVER.to_string(), t.span.clone())),
            Some(_) => self.parsed(&t, "port_driver", false, driver),
        };
        let (raw_links, links_span) = self.string_array(&t, "links");
        if t.get("links").is_none() {
            self.err(
                Diagnostic::error(t.span.clone(), "missing key `fabric.links`")
                    .hint("list one \"node:port -- node:port\" string per cable"),
            );
        }
        if raw_links.len() > MAX_LINKS {
            self.err(
                Diagnostic::error(
                    raw_links[MAX_LINKS].span.clone(),
                    format!(
                        "fabric.links lists {} cables, more than tbmesh's limit of {MAX_LINKS}",
                        raw_links.len()
                    ),
                )
                .hint("list one string per physical cable; see docs/spec.md, \"Limits\""),
            );
            return None;
        }
        let mut links = vec![];
        for raw in raw_links {
            match link(&raw.value) {
                Ok((a, b)) => links.push(LinkSpec {
                    a,
                    b,
                    span: raw.span,
                }),
                Err((msg, hint)) => self.err(Diagnostic::error(raw.span, msg).hint(hint)),
            }
        }
        Some(FabricSection {
            name: name?,
            mode: mode?,
            prefix,
            prefix6,
            mtu: mtu?,
            hello_interval,
            hello_multiplier,
            csnp_interval,
            bfd,
            bfd_interval,
            bfd_multiplier,
            link_prefix,
            router_interface: router_interface?,
            port_driver: port_driver?,
            links,
            links_span,
        })
    }

    fn ceph(&mut self, root: &Tbl) -> Option<CephSection> {
        let t = self.table(root, "ceph", false)?;
        self.known_keys(
            &t,
            &[
                "public_network",
                "cluster_network",
                "osds_per_device",
                "pool",
            ],
        );
        let network = |p: &mut Self, key: &str| {
            match t.get(key) {
            None => Some(Sp::new(CephNetwork::Fabric, t.span.clone())),
            Some(_) => p.parsed(&t, key, false, |s| {
                if s == "fabric" {
                    Ok(CephNetwork::Fabric)
                } else {
                    s.parse::<IpNet>().map(CephNetwork::Cidr).map_err(|m| {
                        (
                            m,
                            "use \"fabric\" (the fabric's prefix) or a CIDR like \"10.100.0.0/24\" or \"fd00:100::/64\""
                                .into(),
                        )
                    })
                }
            }),
        }
        };
        let public_network = network(self, "public_network");
        let cluster_network = network(self, "cluster_network");
        let osds_per_device = match t.get("osds_per_device") {
            None => Some(Sp::new(1, t.span.clone())),
            Some(_) => self.int(&t, "osds_per_device", (1, 8)),
        };
        let pool = match self.table(&t, "pool", false) {
            None => None,
            Some(pt) => {
                self.known_keys(&pt, &["name", "size", "min_size", "pve_storage"]);
                let name = self.parsed(&pt, "name", true, |s| identifier(s, 63));
                let size = match pt.get("size") {
                    None => Some(Sp::new(3, pt.span.clone())),
                    Some(_) => self.int(&pt, "size", (1, 10)),
                };
                let min_size = match pt.get("min_size") {
                    None => Some(Sp::new(2, pt.span.clone())),
                    Some(_) => self.int(&pt, "min_size", (1, 10)),
                };
                let pve_storage = self.boolean(&pt, "pve_storage").unwrap_or(true);
                Some(PoolSpec {
                    name: name?,
                    size: size?,
                    min_size: min_size?,
                    pve_storage,
                })
            }
        };
        Some(CephSection {
            public_network: public_network?,
            cluster_network: cluster_network?,
            osds_per_device: osds_per_device?,
            pool,
        })
    }

    fn nodes(&mut self, root: &Tbl, fabric: Option<&FabricSection>) -> Option<Vec<NodeSpec>> {
        let Some((item, span)) = root.get("node") else {
            self.err(
                Diagnostic::error(0..0, "no [[node]] tables: the spec declares no nodes")
                    .hint("add one [[node]] table per node (name, host, ports)"),
            );
            return None;
        };
        let tables: Vec<(&dyn TableLike, Span)> = if let Some(aot) = item.as_array_of_tables() {
            aot.iter()
                .map(|t| {
                    (
                        t as &dyn TableLike,
                        t.span().unwrap_or_else(|| span.clone()),
                    )
                })
                .collect()
        } else if let Some(arr) = item.as_array() {
            let mut v = vec![];
            for el in arr.iter() {
                match el.as_inline_table() {
                    Some(t) => v.push((
                        t as &dyn TableLike,
                        el.span().unwrap_or_else(|| span.clone()),
                    )),
                    None => self.err(
                        Diagnostic::error(
                            el.span().unwrap_or_else(|| span.clone()),
                            "every node must be a table",
                        )
                        .hint("write each node as a [[node]] table"),
                    ),
                }
            }
            v
        } else {
            self.err(
                Diagnostic::error(span, "`node` must be an array of tables")
                    .hint("write each node as a [[node]] table"),
            );
            return None;
        };
        if tables.len() > MAX_NODES {
            self.err(
                Diagnostic::error(
                    tables[MAX_NODES].1.clone(),
                    format!(
                        "the spec declares {} nodes, more than tbmesh's limit of {MAX_NODES}",
                        tables.len()
                    ),
                )
                .hint("split the nodes into several meshes; see docs/spec.md, \"Limits\""),
            );
            return None;
        }
        let default_driver = fabric.map_or(DEFAULT_PORT_DRIVER, |f| f.port_driver.value.as_str());
        let mut nodes = vec![];
        let mut ok = true;
        for (i, (t, span)) in tables.into_iter().enumerate() {
            let tbl = Tbl {
                t,
                span,
                path: format!("node[{i}]"),
            };
            match self.node(&tbl, default_driver) {
                Some(n) => nodes.push(n),
                None => ok = false,
            }
        }
        ok.then_some(nodes)
    }

    fn node(&mut self, t: &Tbl, default_driver: &str) -> Option<NodeSpec> {
        self.known_keys(
            t,
            &[
                "name",
                "host",
                "router_ip",
                "router_ip6",
                "ports",
                "osd_devices",
            ],
        );
        let name = self.parsed(t, "name", true, |s| identifier(s, 63));
        let host = self.parsed(t, "host", true, host);
        let router_ip = self.parsed(t, "router_ip", false, |s| {
            s.parse::<Ipv4Addr>().map_err(|_| {
                (
                    format!("{s:?} is not an IPv4 address"),
                    "write it like \"10.100.0.12\" (no prefix length), or remove it to have one allocated".into(),
                )
            })
        });
        let router_ip6 = self.parsed(t, "router_ip6", false, |s| {
            s.parse::<Ipv6Addr>().map_err(|_| {
                (
                    format!("{s:?} is not an IPv6 address"),
                    "write it like \"fd00:100::12\" (no prefix length), or remove it to have one allocated".into(),
                )
            })
        });
        let ports = self.ports(t, default_driver);
        let (devs, _) = self.string_array(t, "osd_devices");
        if devs.len() > MAX_OSD_DEVICES_PER_NODE {
            self.err(
                Diagnostic::error(
                    devs[MAX_OSD_DEVICES_PER_NODE].span.clone(),
                    format!(
                        "`{}` lists {} devices, more than tbmesh's limit of {MAX_OSD_DEVICES_PER_NODE}",
                        t.qualified("osd_devices"),
                        devs.len()
                    ),
                )
                .hint("list the node's whole disks once each; see docs/spec.md, \"Limits\""),
            );
            return None;
        }
        let mut osd_devices = vec![];
        for d in devs {
            match device(&d.value) {
                Ok(()) => osd_devices.push(d),
                Err((m, h)) => self.err(
                    Diagnostic::error(d.span, format!("`{}`: {m}", t.qualified("osd_devices")))
                        .hint(h),
                ),
            }
        }
        let router_ip = match (t.get("router_ip"), router_ip) {
            (Some(_), None) => return None,
            (_, ip) => ip,
        };
        let router_ip6 = match (t.get("router_ip6"), router_ip6) {
            (Some(_), None) => return None,
            (_, ip) => ip,
        };
        Some(NodeSpec {
            name: name?,
            host: host?,
            router_ip,
            router_ip6,
            ports: ports?,
            osd_devices,
            span: t.span.clone(),
        })
    }

    fn ports(&mut self, node: &Tbl, default_driver: &str) -> Option<Vec<PortSpec>> {
        let t = self.table(node, "ports", true)?;
        if t.t.len() > MAX_PORTS_PER_NODE {
            self.err(
                Diagnostic::error(
                    t.span.clone(),
                    format!(
                        "`{}` declares {} ports, more than tbmesh's limit of {MAX_PORTS_PER_NODE}",
                        t.path,
                        t.t.len()
                    ),
                )
                .hint("declare only the node's mesh ports; see docs/spec.md, \"Limits\""),
            );
            return None;
        }
        let mut ports = vec![];
        let mut ok = true;
        for (key, item) in t.t.iter() {
            let key_span = t.key_span(key);
            if let Err((m, h)) = port_name(key) {
                self.err(
                    Diagnostic::error(key_span.clone(), format!("port name {key:?}: {m}")).hint(h),
                );
                ok = false;
                continue;
            }
            let name = Sp::new(key.to_string(), key_span.clone());
            let vspan = item.span().unwrap_or(key_span);
            if let Some(s) = item.as_str() {
                match s.parse::<PciAddr>() {
                    Ok(pci) => ports.push(PortSpec {
                        name,
                        pci: Some(pci),
                        driver: default_driver.to_string(),
                        hello_multiplier: None,
                    }),
                    Err(m) => {
                        self.err(Diagnostic::error(vspan, format!("`{}.{key}`: {m}", t.path)).hint(
                            "give the controller's full PCI address (see `lspci -D`), or {} if the port already has this name",
                        ));
                        ok = false;
                    }
                }
            } else if let Some(pt) = item.as_table_like() {
                let pt = Tbl {
                    t: pt,
                    span: vspan,
                    path: format!("{}.{key}", t.path),
                };
                self.known_keys(&pt, &["pci", "driver", "hello_multiplier"]);
                let pci = self.parsed(&pt, "pci", false, |s| {
                    s.parse::<PciAddr>().map_err(|m| {
                        (
                            m,
                            "give the controller's full PCI address, as `lspci -D` prints it"
                                .into(),
                        )
                    })
                });
                let drv = self.parsed(&pt, "driver", false, driver);
                let mult = self.int(&pt, "hello_multiplier", MULTIPLIER_RANGE);
                if (pt.get("pci").is_some() && pci.is_none())
                    || (pt.get("driver").is_some() && drv.is_none())
                    || (pt.get("hello_multiplier").is_some() && mult.is_none())
                {
                    ok = false;
                    continue;
                }
                if pci.is_none() && drv.is_some() {
                    self.err(
                        Diagnostic::error(pt.key_span("driver"), format!("`{}.driver` without `pci`", pt.path))
                            .hint("the driver is only matched when the port is renamed by PCI path: add pci = \"...\" or drop driver"),
                    );
                    ok = false;
                    continue;
                }
                ports.push(PortSpec {
                    name,
                    pci: pci.map(|p| p.value),
                    driver: drv.map_or_else(|| default_driver.to_string(), |d| d.value),
                    hello_multiplier: mult,
                });
            } else {
                self.err(
                    Diagnostic::error(vspan, format!("`{}.{key}` must be a PCI address or a table", t.path))
                        .hint("write en05 = \"0000:00:0d.2\", or en05 = {} for a port that already has its name"),
                );
                ok = false;
            }
        }
        if ports.is_empty() && ok {
            self.err(
                Diagnostic::error(t.span.clone(), format!("`{}` declares no ports", t.path))
                    .hint("name each mesh port: ports = { en05 = \"0000:00:0d.2\", en06 = \"0000:00:0d.3\" }"),
            );
            return None;
        }
        ok.then_some(ports)
    }
}

type Check<T> = Result<T, (String, String)>;

/// Names that end up in file names, commands and config: letters, digits, `-`, `_`.
pub fn identifier(s: &str, max: usize) -> Check<String> {
    let hint =
        || format!("use 1 to {max} letters, digits, '-' or '_', starting with a letter or digit");
    if s.is_empty() || s.len() > max {
        return Err((format!("{s:?} must be 1 to {max} characters long"), hint()));
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        || !s.starts_with(|c: char| c.is_ascii_alphanumeric())
    {
        return Err((format!("{s:?} is not a safe name"), hint()));
    }
    Ok(s.to_string())
}

fn port_name(s: &str) -> Check<String> {
    identifier(s, IFNAME_MAX).map_err(|(m, _)| {
        (
            m,
            format!("interface names are 1 to {IFNAME_MAX} letters, digits, '-' or '_'"),
        )
    })
}

/// PVE SDN fabric ids: 2-8 characters, so that `dummy_<fabric>` fits in 15.
fn fabric_name(s: &str) -> Check<String> {
    let chars: Vec<char> = s.chars().collect();
    let ok = (2..=8).contains(&chars.len())
        && chars.iter().all(|c| c.is_ascii_alphanumeric() || *c == '-')
        && chars[0].is_ascii_alphanumeric()
        && chars[chars.len() - 1].is_ascii_alphanumeric();
    if ok {
        Ok(s.to_string())
    } else {
        Err((
            format!("fabric name {s:?} is not 2 to 8 letters, digits or inner '-'"),
            "use a short id like \"tb4\": Proxmox names the interface dummy_<fabric>, at most 15 characters".into(),
        ))
    }
}

fn cidr(s: &str) -> Check<Ipv4Net> {
    s.parse::<Ipv4Net>()
        .map_err(|m| (m, "write an IPv4 prefix like \"10.100.0.0/24\"".into()))
}

/// Blocks no mesh address may come from: routing a /32 of these over the
/// fabric breaks the node itself (loopback, "this network", link-local) or
/// is not unicast at all (multicast, reserved, broadcast).
const SPECIAL_BLOCKS: [(&str, [u8; 4], u8); 5] = [
    ("\"this network\" (0.0.0.0/8)", [0, 0, 0, 0], 8),
    ("loopback (127.0.0.0/8)", [127, 0, 0, 0], 8),
    ("link-local (169.254.0.0/16)", [169, 254, 0, 0], 16),
    ("multicast (224.0.0.0/4)", [224, 0, 0, 0], 4),
    ("reserved and broadcast (240.0.0.0/4)", [240, 0, 0, 0], 4),
];

/// A prefix mesh addresses are taken from: unicast, not loopback or link-local.
fn mesh_prefix(s: &str) -> Check<Ipv4Net> {
    let net = cidr(s)?;
    for (what, addr, len) in SPECIAL_BLOCKS {
        let block = Ipv4Net {
            addr: Ipv4Addr::from(addr),
            len,
        };
        if net.overlaps(&block) {
            return Err((
                format!("{net} overlaps the {what} addresses"),
                "use a private unicast prefix of its own for the mesh, like \"10.100.0.0/24\""
                    .into(),
            ));
        }
    }
    Ok(net)
}

/// An IPv6 prefix mesh addresses are taken from: global unicast
/// (2000::/3) or unique local (fc00::/7), with room for a router address.
fn mesh_prefix6(s: &str) -> Check<Ipv6Net> {
    let net = s
        .parse::<Ipv6Net>()
        .map_err(|m| (m, "write an IPv6 prefix like \"fd00:100::/64\"".into()))?;
    let bits = |a: &str, len: u8| Ipv6Net {
        addr: a.parse().expect("constant"),
        len,
    };
    let what = [
        ("link-local (fe80::/10)", bits("fe80::", 10)),
        ("multicast (ff00::/8)", bits("ff00::", 8)),
        ("loopback (::1)", bits("::1", 128)),
        ("unspecified (::)", bits("::", 128)),
    ]
    .into_iter()
    .find(|(_, b)| net.overlaps(b))
    .map(|(w, _)| w);
    let unicast = net.len >= 3 && bits("2000::", 3).contains(net.addr)
        || net.len >= 7 && bits("fc00::", 7).contains(net.addr);
    if what.is_some() || !unicast {
        return Err((
            match what {
                Some(w) => format!("{net} overlaps the {w} addresses"),
                None => format!(
                    "{net} is not a global unicast (2000::/3) or unique local (fc00::/7) prefix"
                ),
            },
            "use a unique local prefix of its own for the mesh, like \"fd00:100::/64\"".into(),
        ));
    }
    if net.len > 120 {
        return Err((
            format!("{net} is too small for a mesh"),
            "use a /64 (or at least a /120)".into(),
        ));
    }
    Ok(net)
}

fn driver(s: &str) -> Check<String> {
    identifier(s, 32).map_err(|(m, _)| (m, "a kernel driver name, like \"thunderbolt-net\"".into()))
}

fn host(s: &str) -> Check<Host> {
    crate::spec::host::parse_host(s)
}

fn device(s: &str) -> Check<()> {
    let ok = s.starts_with("/dev/")
        && s.len() > 5
        && !s.contains("..")
        && !s.ends_with('/')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_-.:".contains(c));
    if ok {
        Ok(())
    } else {
        Err((
            format!("{s:?} is not an absolute /dev/... path"),
            "name the whole disk, like \"/dev/nvme1n1\" or \"/dev/disk/by-id/nvme-...\"".into(),
        ))
    }
}

/// `"n2:en05 -- n3:en05"` → the two ends.
fn link(s: &str) -> Check<(PortRef, PortRef)> {
    let hint =
        || "write a cable as \"node:port -- node:port\", like \"n2:en05 -- n3:en05\"".to_string();
    let Some((a, b)) = s.split_once("--") else {
        return Err((
            format!("link {s:?} has no `--` between its two ends"),
            hint(),
        ));
    };
    let end = |e: &str| -> Check<PortRef> {
        let e = e.trim();
        let Some((node, port)) = e.split_once(':') else {
            return Err((format!("link end {e:?} is not `node:port`"), hint()));
        };
        identifier(node, 63).map_err(|(m, _)| (format!("link end {e:?}: {m}"), hint()))?;
        port_name(port).map_err(|(m, _)| (format!("link end {e:?}: {m}"), hint()))?;
        Ok(PortRef {
            node: node.to_string(),
            port: port.to_string(),
        })
    };
    Ok((end(a)?, end(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_strings() {
        let (a, b) = link("n2:en05 -- n3:en06").expect("valid");
        assert_eq!(a.to_string(), "n2:en05");
        assert_eq!(b.to_string(), "n3:en06");
        assert!(link("n2:en05 n3:en06").is_err());
        assert!(link("n2 -- n3:en06").is_err());
        assert!(link("n2:en05 -- n3:en;06").is_err());
    }

    #[test]
    fn hosts() {
        assert_eq!(host("10.11.11.12").expect("valid").port, None);
        assert_eq!(host("n2.lan:2222").expect("valid").port, Some(2222));
        assert!(host("-oProxyCommand=x").is_err());
        assert!(host("a b").is_err());
        assert!(host("h:0").is_err());
    }

    #[test]
    fn fabric_names() {
        assert!(fabric_name("tb4").is_ok());
        assert!(fabric_name("a-b12345").is_ok());
        assert!(fabric_name("a").is_err());
        assert!(fabric_name("abcdefghi").is_err());
        assert!(fabric_name("-ab").is_err());
        assert!(fabric_name("ab-").is_err());
        assert!(fabric_name("a_b").is_err());
    }

    #[test]
    fn devices() {
        assert!(device("/dev/nvme1n1").is_ok());
        assert!(device("/dev/disk/by-id/nvme-Samsung_990_S123").is_ok());
        assert!(device("nvme1n1").is_err());
        assert!(device("/dev/../etc/passwd").is_err());
        assert!(device("/dev/sda;rm").is_err());
    }
}
