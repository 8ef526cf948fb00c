//! ceph.conf as the cluster holds it, in the layout Proxmox VE writes
//! (FORMATS.md, "pveceph"): sections global, client, client.*, mds*, mon*,
//! osd*, mgr*, others; keys sorted; `\tkey = value`; a blank line after each
//! section. Plain Ceph nodes get the same file, with their keyring path.

use super::Backend;
use crate::Cluster;
use std::collections::BTreeMap;

/// One `[section]` of ceph.conf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub name: String,
    pub keys: BTreeMap<String, String>,
}

/// Where a section goes: global, client, client.*, mds*, mon*, osd*, mgr*, others.
fn rank(name: &str) -> u8 {
    match name {
        "global" => 0,
        "client" => 1,
        n if n.starts_with("client.") => 2,
        n if n.starts_with("mds") => 3,
        n if n.starts_with("mon") => 4,
        n if n.starts_with("osd") => 5,
        n if n.starts_with("mgr") => 6,
        _ => 7,
    }
}

/// Write sections in Proxmox VE's order and layout.
pub fn write(sections: &[Section]) -> String {
    let mut sorted: Vec<&Section> = sections.iter().collect();
    sorted.sort_by(|a, b| (rank(&a.name), &a.name).cmp(&(rank(&b.name), &b.name)));
    let mut s = String::new();
    for sec in sorted {
        s.push_str(&format!("[{}]\n", sec.name));
        for (k, v) in &sec.keys {
            s.push_str(&format!("\t{k} = {v}\n"));
        }
        s.push('\n');
    }
    s
}

/// Read `key = value` pairs of one section (for the fsid of an existing file).
pub fn read_key(conf: &str, section: &str, key: &str) -> Option<String> {
    let mut cur = String::new();
    for l in conf.lines() {
        let l = l.trim();
        if let Some(name) = l.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            cur = name.trim().to_string();
        } else if cur == section {
            if let Some((k, v)) = l.split_once('=') {
                // Ceph treats `a b`, `a_b` and `a-b` alike.
                if k.trim().replace([' ', '-'], "_") == key {
                    return Some(v.trim().to_string());
                }
            }
        }
    }
    None
}

/// An address as ceph.conf takes it: IPv6 in brackets (`[fd00:100::1]`), as
/// Ceph's address parser wants it wherever a port may follow.
pub fn ceph_addr_text(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

/// The path of the cluster's ceph.conf for a backend.
pub fn path(backend: Backend) -> &'static str {
    match backend {
        // /etc/ceph/ceph.conf is a link to it, made by pveceph init.
        Backend::Pveceph => "/etc/pve/ceph.conf",
        Backend::Plain => "/etc/ceph/ceph.conf",
    }
}

/// The ceph.conf the cluster will hold.
pub fn ceph_conf(c: &Cluster, fsid: &str, backend: Backend) -> String {
    let ceph = c.spec.ceph.as_ref();
    let fabric = &c.spec.fabric;
    let public = ceph.map_or(fabric.main_prefix(), |s| s.public_network.resolve(fabric));
    let cluster = ceph.map_or(fabric.main_prefix(), |s| s.cluster_network.resolve(fabric));
    let v6 = c.ceph_ipv6();
    let pool = ceph.and_then(|s| s.pool.as_ref());
    let mut global = BTreeMap::new();
    let mut kv = |k: &str, v: String| {
        global.insert(k.to_string(), v);
    };
    kv("auth_client_required", "cephx".into());
    kv("auth_cluster_required", "cephx".into());
    kv("auth_service_required", "cephx".into());
    kv("cluster_network", cluster.to_string());
    kv("fsid", fsid.to_string());
    kv("mon_allow_pool_delete", "true".into());
    kv(
        "mon_host",
        (0..c.nodes().len())
            .map(|i| ceph_addr_text(c.ceph_addr(i)))
            .collect::<Vec<_>>()
            .join(" "),
    );
    // Ceph's networks are one IP version (validate): bind that one only, and
    // say so, so that no daemon tries an address of the other (PITFALLS 9).
    kv("ms_bind_ipv4", (!v6).to_string());
    kv("ms_bind_ipv6", v6.to_string());
    kv(
        "osd_pool_default_min_size",
        pool.map_or(2, |p| p.min_size.value).to_string(),
    );
    kv(
        "osd_pool_default_size",
        pool.map_or(3, |p| p.size.value).to_string(),
    );
    kv("public_network", public.to_string());
    let mut sections = vec![
        Section {
            name: "global".into(),
            keys: global,
        },
        Section {
            name: "client".into(),
            keys: BTreeMap::from([(
                "keyring".to_string(),
                match backend {
                    Backend::Pveceph => "/etc/pve/priv/$cluster.$name.keyring".to_string(),
                    Backend::Plain => "/etc/ceph/$cluster.$name.keyring".to_string(),
                },
            )]),
        },
    ];
    for (i, n) in c.nodes().iter().enumerate() {
        // Monitors bind to the router /32, which survives any one cable (PITFALLS 8).
        sections.push(Section {
            name: format!("mon.{}", n.name.value),
            keys: BTreeMap::from([("public_addr".to_string(), ceph_addr_text(c.ceph_addr(i)))]),
        });
    }
    write(&sections)
}

/// A stand-in fsid for the offline render, stable for a cluster name and
/// prefix: the real one is made on the first apply (or read from the
/// cluster) and never changes afterwards.
pub fn render_fsid(c: &Cluster) -> String {
    // FNV-1a over the name and prefix, spread to 128 bits; shaped as a UUID v4.
    let seed = format!(
        "{}/{}",
        c.spec.cluster.name.value,
        c.spec.fabric.prefix_text()
    );
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut out = [0u8; 16];
    for (round, chunk) in out.chunks_mut(8).enumerate() {
        for b in seed.bytes().chain([round as u8]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        chunk.copy_from_slice(&h.to_be_bytes());
    }
    out[6] = (out[6] & 0x0f) | 0x40;
    out[8] = (out[8] & 0x3f) | 0x80;
    let hex: String = out.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Whether `s` looks like a UUID (an fsid read from a host).
pub fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ceph::plan::tests::lab_cluster;

    /// FORMATS.md's example, byte for byte (reference cluster n2-n4 → lab n1-n3).
    #[test]
    fn ceph_conf_matches_the_pve_layout_byte_for_byte() {
        let c = lab_cluster();
        let got = ceph_conf(&c, "5c3f0c4e-0d5b-4a52-9f43-2f8a0e4f9a11", Backend::Pveceph);
        let want = "[global]\n\tauth_client_required = cephx\n\tauth_cluster_required = cephx\n\tauth_service_required = cephx\n\tcluster_network = 10.100.0.0/24\n\tfsid = 5c3f0c4e-0d5b-4a52-9f43-2f8a0e4f9a11\n\tmon_allow_pool_delete = true\n\tmon_host = 10.100.0.1 10.100.0.2 10.100.0.3\n\tms_bind_ipv4 = true\n\tms_bind_ipv6 = false\n\tosd_pool_default_min_size = 2\n\tosd_pool_default_size = 3\n\tpublic_network = 10.100.0.0/24\n\n[client]\n\tkeyring = /etc/pve/priv/$cluster.$name.keyring\n\n[mon.n1]\n\tpublic_addr = 10.100.0.1\n\n[mon.n2]\n\tpublic_addr = 10.100.0.2\n\n[mon.n3]\n\tpublic_addr = 10.100.0.3\n\n";
        assert_eq!(got, want);
        let plain = ceph_conf(&c, "5c3f0c4e-0d5b-4a52-9f43-2f8a0e4f9a11", Backend::Plain);
        assert!(plain.contains("[client]\n\tkeyring = /etc/ceph/$cluster.$name.keyring\n\n"));
    }

    #[test]
    fn sections_go_in_pve_order_whatever_order_they_come_in() {
        let s = |n: &str| Section {
            name: n.into(),
            keys: BTreeMap::from([
                ("b".to_string(), "2".to_string()),
                ("a".to_string(), "1".to_string()),
            ]),
        };
        let out = write(&[
            s("zz"),
            s("mgr.n1"),
            s("osd.0"),
            s("mon.n1"),
            s("mds.a"),
            s("client.rgw"),
            s("client"),
            s("global"),
        ]);
        let order: Vec<&str> = out.lines().filter(|l| l.starts_with('[')).collect();
        assert_eq!(
            order,
            [
                "[global]",
                "[client]",
                "[client.rgw]",
                "[mds.a]",
                "[mon.n1]",
                "[osd.0]",
                "[mgr.n1]",
                "[zz]"
            ]
        );
        assert!(out.starts_with("[global]\n\ta = 1\n\tb = 2\n\n[client]"));
    }

    #[test]
    fn reads_the_fsid_of_an_existing_file_and_makes_a_stable_render_fsid() {
        let c = lab_cluster();
        let t = ceph_conf(&c, "5c3f0c4e-0d5b-4a52-9f43-2f8a0e4f9a11", Backend::Plain);
        assert_eq!(
            read_key(&t, "global", "fsid").as_deref(),
            Some("5c3f0c4e-0d5b-4a52-9f43-2f8a0e4f9a11")
        );
        assert_eq!(
            read_key("[global]\nmon host = 1.2.3.4\n", "global", "mon_host").as_deref(),
            Some("1.2.3.4")
        );
        let f = render_fsid(&c);
        assert!(is_uuid(&f), "{f}");
        assert_eq!(f, render_fsid(&c));
    }
}
