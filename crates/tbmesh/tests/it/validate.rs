//! `tbmesh validate`: every rule of the spec, each with a test that checks the
//! exit status and the `file:line:col` of the offending value.

use crate::{example, Test};

fn reference() -> String {
    example("ms01-3node.toml")
}

/// `text` with `from` replaced by `to` (once), failing loudly if `from` is absent.
fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "the base spec has no {from:?}");
    text.replacen(from, to, 1)
}

/// `file:line:col` of the `nth` (0-based) occurrence of `needle` in `text`;
/// a `|` in the needle marks the exact column within it.
fn location(text: &str, needle: &str, nth: usize) -> String {
    let (lead, rest) = needle.split_once('|').unwrap_or(("", needle));
    let needle = format!("{lead}{rest}");
    let offset = text
        .match_indices(&needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("{needle:?} occurs fewer than {} times", nth + 1))
        .0
        + lead.len();
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    format!("tbmesh.toml:{line}:{col}")
}

/// The spec must be refused (status 2) with `message` reported at the
/// `nth` occurrence of `needle`.
#[track_caller]
fn refused(text: &str, needle: &str, nth: usize, message: &str) {
    let out = Test::new().spec(text).args(["validate"]).run();
    out.status(2);
    let loc = location(text, needle, nth);
    let line = out
        .stderr
        .lines()
        .find(|l| l.starts_with("error:") && l.contains(message))
        .unwrap_or_else(|| panic!("no error containing {message:?}:\n{}", out.stderr));
    assert!(
        line.contains(&format!("error: {loc}: ")),
        "error {line:?} is not located at {loc}\n{}",
        out.stderr
    );
    assert!(out.stderr.contains("hint:"), "no hint:\n{}", out.stderr);
    assert!(out.stderr.contains("nothing was contacted"));
    assert!(
        out.stdout.is_empty(),
        "stdout should be empty: {}",
        out.stdout
    );
}

/// The spec is valid but warns about `message`.
#[track_caller]
fn warns(text: &str, message: &str) {
    let out = Test::new().spec(text).args(["validate"]).run();
    out.status(0);
    assert!(
        out.stderr
            .lines()
            .any(|l| l.starts_with("warning: tbmesh.toml:") && l.contains(message)),
        "no warning {message:?}:\n{}",
        out.stderr
    );
}

#[test]
fn examples_are_valid() {
    for name in ["ms01-3node.toml", "ring-5node.toml", "static-3node.toml"] {
        let out = Test::new().spec(example(name)).args(["validate"]).run();
        out.status(0).stdout_has("is valid");
    }
}

#[test]
fn reference_prints_tables() {
    let out = Test::new().spec(reference()).args(["validate"]).run();
    out.status(0)
        .stdout_has("n2    10.11.11.12  10.100.0.12  49.0001.0101.0000.0012.00")
        .stdout_has("n2:en05  pci 0000:00:0d.2 (thunderbolt-net)  n3:en05")
        .stdout_has("HOPS  n2  n3  n4")
        .stdout_has("n2:en05 -- n3:en05    2 hops: n2 > n4 > n3");
    assert!(out.stderr.is_empty(), "{}", out.stderr);
}

#[test]
fn json_output_parses_and_matches() {
    let out = Test::new()
        .spec(reference())
        .args(["validate", "--json"])
        .run();
    out.status(0);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("valid JSON");
    assert_eq!(v["valid"], true);
    assert_eq!(v["nodes"][0]["net"], "49.0001.0101.0000.0012.00");
    assert_eq!(v["nodes"][0]["ports"][1]["peer"], "n4:en06");
    assert_eq!(v["nodes"][1]["hops"]["n4"], 1);
    assert_eq!(v["links"][0]["max_hops_when_down"], 2);
    assert_eq!(v["fabric"]["router_interface"], "dummy_tb4");
}

#[test]
fn json_output_on_error() {
    let text = edit(&reference(), "mtu = 65520", "mtu = 70000");
    let out = Test::new().spec(&text).args(["validate", "--json"]).run();
    out.status(2);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("valid JSON");
    assert_eq!(v["valid"], false);
    assert_eq!(v["diagnostics"][0]["location"], location(&text, "70000", 0));
}

#[test]
fn spec_file_missing() {
    let out = Test::new().args(["validate"]).run();
    out.status(2)
        .stderr_has("reading spec tbmesh.toml")
        .stderr_has("hint:");
    Test::new()
        .args(["validate", "-f", "nope.toml"])
        .run()
        .status(2)
        .stderr_has("nope.toml");
}

#[test]
fn toml_syntax_error() {
    let text = edit(&reference(), "mtu = 65520", "mtu = = 65520");
    let out = Test::new().spec(&text).args(["validate"]).run();
    out.status(2)
        .stderr_has("invalid TOML")
        .stderr_has("tbmesh.toml:");
}

#[test]
fn unknown_key_did_you_mean() {
    let text = edit(&reference(), "mtu = 65520", "mtuu = 65520");
    refused(&text, "mtuu", 0, "unknown key `fabric.mtuu`");
    let out = Test::new().spec(&text).args(["validate"]).run();
    out.stderr_has("did you mean `mtu`?");
}

#[test]
fn unknown_top_level_and_node_keys() {
    let text = edit(&reference(), "[ssh]", "[shh]");
    refused(&text, "shh", 0, "unknown key `shh`");
    let text = edit(
        &reference(),
        "router_ip = \"10.100.0.13\"",
        "routerip = \"10.100.0.13\"",
    );
    refused(&text, "routerip", 0, "unknown key `node[1].routerip`");
}

#[test]
fn duplicate_node_names() {
    let text = edit(&reference(), "name = \"n3\"", "name = \"n2\"");
    refused(&text, "\"n2\"", 1, "duplicate node name");
}

#[test]
fn duplicate_hosts() {
    let text = edit(
        &reference(),
        "host = \"10.11.11.13\"",
        "host = \"10.11.11.12\"",
    );
    refused(&text, "\"10.11.11.12\"", 1, "is also the host of node n2");
}

#[test]
fn duplicate_router_ips() {
    let text = edit(
        &reference(),
        "router_ip = \"10.100.0.14\"",
        "router_ip = \"10.100.0.12\"",
    );
    refused(
        &text,
        "\"10.100.0.12\"",
        1,
        "router_ip 10.100.0.12 is also used by node n2",
    );
}

#[test]
fn duplicate_osd_device_on_a_node() {
    let text = edit(
        &reference(),
        "osd_devices = [\"/dev/nvme1n1\"]",
        "osd_devices = [\"/dev/nvme1n1\", \"/dev/nvme1n1\"]",
    );
    refused(&text, "\"/dev/nvme1n1\"", 1, "listed twice for node n2");
}

#[test]
fn router_ip_outside_prefix() {
    let text = edit(&reference(), "\"10.100.0.13\"", "\"10.200.0.13\"");
    refused(&text, "\"10.200.0.13\"", 0, "outside fabric.prefix");
}

#[test]
fn router_ip_network_or_broadcast() {
    let text = edit(&reference(), "\"10.100.0.13\"", "\"10.100.0.0\"");
    refused(&text, "\"10.100.0.0\"", 0, "network or broadcast");
    let text = edit(&reference(), "\"10.100.0.13\"", "\"10.100.0.255\"");
    refused(&text, "\"10.100.0.255\"", 0, "network or broadcast");
}

#[test]
fn prefix_too_small_for_the_nodes() {
    let text = reference()
        .lines()
        .filter(|l| !l.starts_with("router_ip"))
        .collect::<Vec<_>>()
        .join("\n");
    let text = edit(
        &text,
        "prefix = \"10.100.0.0/24\"",
        "prefix = \"10.100.0.0/31\"",
    );
    refused(
        &text,
        "\"10.100.0.0/31\"",
        0,
        "has room for 2 router addresses",
    );
}

#[test]
fn fabric_name_shape() {
    for bad in ["\"toolong12\"", "\"t\"", "\"-tb\"", "\"tb_4\""] {
        let text = edit(&reference(), "name = \"tb4\"", &format!("name = {bad}"));
        refused(&text, bad, 0, "is not 2 to 8 letters");
    }
}

#[test]
fn mtu_range() {
    for bad in ["1279", "65521"] {
        let text = edit(&reference(), "mtu = 65520", &format!("mtu = {bad}"));
        refused(&text, bad, 0, "`fabric.mtu`");
    }
}

#[test]
fn hello_and_csnp_interval_range() {
    for (key, bad) in [
        ("hello_interval = 1", "hello_interval = 0"),
        ("hello_interval = 1", "hello_interval = 601"),
        ("csnp_interval = 5", "csnp_interval = 0"),
        ("csnp_interval = 5", "csnp_interval = 601"),
    ] {
        let text = edit(&reference(), key, bad);
        refused(&text, &bad.replace("= ", "= |"), 0, "is out of range");
    }
}

#[test]
fn hello_multiplier_range() {
    for bad in ["1", "101"] {
        let text = edit(
            &reference(),
            "hello_multiplier = 3",
            &format!("hello_multiplier = {bad}"),
        );
        refused(
            &text,
            &format!("hello_multiplier = |{bad}"),
            0,
            "`fabric.hello_multiplier` = ",
        );
    }
}

#[test]
fn bfd_timer_ranges_and_timers_without_bfd() {
    for bad in [
        "bfd_interval = 9",
        "bfd_interval = 60001",
        "bfd_multiplier = 1",
        "bfd_multiplier = 256",
    ] {
        let text = edit(
            &reference(),
            "csnp_interval = 5",
            &format!("csnp_interval = 5\n{bad}"),
        );
        refused(&text, &bad.replace("= ", "= |"), 0, "is out of range");
    }
    let text = edit(
        &reference(),
        "csnp_interval = 5",
        "csnp_interval = 5\nbfd_interval = 100\nbfd_multiplier = 3",
    );
    let out = Test::new().spec(&text).args(["validate"]).run();
    out.status(0);
    assert!(!out.stderr.contains("bfd_"), "{}", out.stderr);
    let off = edit(&text, "csnp_interval = 5", "csnp_interval = 5\nbfd = false");
    warns(&off, "bfd_interval has no effect: bfd = false");
    warns(&off, "bfd_multiplier has no effect: bfd = false");
}

#[test]
fn malformed_pci_address() {
    let text = edit(&reference(), "\"0000:00:0d.3\"", "\"00:0d.3\"");
    refused(&text, "\"00:0d.3\"", 0, "is not a PCI address");
}

#[test]
fn unsafe_node_name() {
    let text = edit(&reference(), "name = \"n4\"", "name = \"n4;reboot\"");
    refused(&text, "\"n4;reboot\"", 0, "is not a safe name");
}

#[test]
fn unsafe_or_long_port_name() {
    let text = edit(&reference(), "ports = { en05", "ports = { \"en 05\"");
    refused(&text, "\"en 05\"", 0, "port name \"en 05\"");
    let text = edit(
        &reference(),
        "ports = { en05",
        "ports = { en0123456789abcde",
    );
    refused(&text, "en0123456789abcde", 0, "must be 1 to 15 characters");
}

#[test]
fn unsafe_host() {
    let text = edit(
        &reference(),
        "host = \"10.11.11.13\"",
        "host = \"-oProxyCommand=x\"",
    );
    refused(&text, "\"-oProxyCommand=x\"", 0, "is not a host name");
}

#[test]
fn host_with_port_is_accepted() {
    let text = edit(
        &reference(),
        "host = \"10.11.11.13\"",
        "host = \"10.11.11.13:2222\"",
    );
    let out = Test::new().spec(&text).args(["validate", "--json"]).run();
    out.status(0);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(v["nodes"][1]["host"], "10.11.11.13:2222");
}

#[test]
fn link_to_unknown_node() {
    let text = edit(
        &reference(),
        "\"n3:en06 -- n4:en05\"",
        "\"n3:en06 -- n9:en05\"",
    );
    refused(&text, "\"n3:en06 -- n9:en05\"", 0, "unknown node \"n9\"");
}

#[test]
fn link_to_unknown_port() {
    let text = edit(
        &reference(),
        "\"n3:en06 -- n4:en05\"",
        "\"n3:en07 -- n4:en05\"",
    );
    refused(
        &text,
        "\"n3:en07 -- n4:en05\"",
        0,
        "which node n3 does not declare",
    );
}

#[test]
fn port_used_by_two_links() {
    let text = edit(
        &reference(),
        "\"n4:en06 -- n2:en06\"",
        "\"n4:en06 -- n2:en05\"",
    );
    refused(
        &text,
        "\"n4:en06 -- n2:en05\"",
        0,
        "port n2:en05 is already cabled",
    );
}

#[test]
fn node_linked_to_itself() {
    let text = edit(
        &reference(),
        "\"n4:en06 -- n2:en06\"",
        "\"n4:en06 -- n4:en05\"",
    );
    refused(
        &text,
        "\"n4:en06 -- n4:en05\"",
        0,
        "connects node n4 to itself",
    );
}

#[test]
fn same_cable_twice() {
    let text = edit(
        &reference(),
        "\"n4:en06 -- n2:en06\",",
        "\"n4:en06 -- n2:en06\",\n  \"n2:en06 -- n4:en06\",",
    );
    refused(&text, "\"n2:en06 -- n4:en06\"", 0, "is listed twice");
}

#[test]
fn malformed_link_string() {
    let text = edit(
        &reference(),
        "\"n3:en06 -- n4:en05\"",
        "\"n3:en06 n4:en05\"",
    );
    refused(&text, "\"n3:en06 n4:en05\"", 0, "has no `--`");
    let text = edit(&reference(), "\"n3:en06 -- n4:en05\"", "\"n3:en06 -- n4\"");
    refused(&text, "\"n3:en06 -- n4\"", 0, "is not `node:port`");
}

#[test]
fn topology_not_connected() {
    let extra = "\n[[node]]\nname = \"n5\"\nhost = \"10.11.11.15\"\nports = { en05 = \"0000:00:0d.2\" }\n\n[[node]]\nname = \"n6\"\nhost = \"10.11.11.16\"\nports = { en05 = \"0000:00:0d.2\" }\n";
    let text = edit(
        &reference(),
        "\"n4:en06 -- n2:en06\",",
        "\"n4:en06 -- n2:en06\",\n  \"n5:en05 -- n6:en05\",",
    ) + extra;
    refused(
        &text,
        "[\n  \"n2:en05",
        0,
        "the mesh is not connected: n5, n6 cannot be reached from n2",
    );
}

#[test]
fn malformed_cidrs() {
    let text = edit(&reference(), "\"10.100.0.0/24\"", "\"10.100.0.0/33\"");
    refused(&text, "\"10.100.0.0/33\"", 0, "prefix length");
    let text = edit(&reference(), "\"10.100.0.0/24\"", "\"10.100.0.0\"");
    refused(&text, "\"10.100.0.0\"", 0, "has no prefix length");
}

#[test]
fn ceph_network_neither_fabric_nor_cidr() {
    let text = edit(
        &reference(),
        "public_network = \"fabric\"",
        "public_network = \"fabrik\"",
    );
    refused(&text, "\"fabrik\"", 0, "`ceph.public_network`");
}

#[test]
fn pool_min_size_above_size() {
    let text = edit(&reference(), "min_size = 2", "min_size = 4");
    refused(
        &text,
        "4\npve_storage",
        0,
        "min_size 4 is larger than size 3",
    );
}

#[test]
fn pool_size_below_one() {
    let text = edit(&reference(), "size = 3", "size = 0");
    refused(
        &text,
        "0\nmin_size",
        0,
        "`ceph.pool.size` = 0 is out of range",
    );
}

#[test]
fn osd_device_not_a_dev_path() {
    let text = edit(&reference(), "[\"/dev/nvme1n1\"]", "[\"nvme1n1\"]");
    refused(&text, "\"nvme1n1\"", 0, "is not an absolute /dev/... path");
}

#[test]
fn static_mode_needs_link_prefix() {
    let text = edit(
        &example("static-3node.toml"),
        "link_prefix = \"10.100.1.0/24\"\n",
        "",
    );
    refused(
        &text,
        "\"static\"",
        0,
        "static mode needs fabric.link_prefix",
    );
}

#[test]
fn static_link_prefix_overlapping_prefix() {
    let text = edit(
        &example("static-3node.toml"),
        "\"10.100.1.0/24\"",
        "\"10.100.0.128/25\"",
    );
    refused(&text, "\"10.100.0.128/25\"", 0, "overlaps fabric.prefix");
}

#[test]
fn pve_sdn_with_lo_router_interface() {
    let text = edit(
        &reference(),
        "mtu = 65520",
        "mtu = 65520\nrouter_interface = \"lo\"",
    );
    refused(
        &text,
        "\"lo\"",
        0,
        "always puts the router address on dummy_<fabric>",
    );
}

#[test]
fn at_least_two_nodes() {
    let text = reference();
    let cut = text.find("[[node]]\nname = \"n3\"").expect("n3");
    let text = text[..cut].replace(
        "links = [\n  \"n2:en05 -- n3:en05\",\n  \"n3:en06 -- n4:en05\",\n  \"n4:en06 -- n2:en06\",\n]",
        "links = []",
    );
    refused(&text, "[[node]]", 0, "a mesh needs at least 2 nodes");
}

#[test]
fn warns_on_a_bridge_link() {
    let text = edit(&reference(), "  \"n4:en06 -- n2:en06\",\n", "");
    warns(&text, "losing link n2:en05 -- n3:en05 splits the mesh");
    warns(&text, "port n2:en06 is declared but no link uses it");
}

#[test]
fn warns_on_pairs_more_than_two_hops_apart() {
    let mut text = String::from("[cluster]\nname = \"ring6\"\n[fabric]\nname = \"tb4\"\nmode = \"frr\"\nprefix = \"10.100.0.0/24\"\nlinks = [\n");
    for i in 0..6 {
        text.push_str(&format!("  \"m{i}:en06 -- m{}:en05\",\n", (i + 1) % 6));
    }
    text.push_str("]\n");
    for i in 0..6 {
        text.push_str(&format!("[[node]]\nname = \"m{i}\"\nhost = \"h{i}\"\nports = {{ en05 = \"0000:00:0d.2\", en06 = \"0000:00:0d.3\" }}\n"));
    }
    warns(&text, "pairs more than 2 hops apart: m0-m3, m1-m4, m2-m5");
}

#[test]
fn warns_on_pool_size_two() {
    let text = edit(
        &edit(&reference(), "size = 3", "size = 2"),
        "min_size = 2",
        "min_size = 1",
    );
    warns(&text, "pool size 2 / min_size 1 risks data loss");
}

#[test]
fn warns_on_public_network_off_the_fabric() {
    let text = edit(
        &reference(),
        "public_network = \"fabric\"",
        "public_network = \"10.11.11.0/24\"",
    );
    warns(&text, "public network is not on the fabric");
}

#[test]
fn warns_that_static_mode_has_no_failover() {
    warns(
        &example("static-3node.toml"),
        "static routes have no failover",
    );
}

#[test]
fn ports_already_named_and_driver_override() {
    let text = edit(
        &reference(),
        "ports = { en05 = \"0000:00:0d.2\", en06 = \"0000:00:0d.3\" }",
        "ports = { en05 = {}, en06 = { pci = \"0000:00:0d.3\", driver = \"virtio_net\" } }",
    );
    let out = Test::new().spec(&text).args(["validate", "--json"]).run();
    out.status(0);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(v["nodes"][0]["ports"][0]["pci"], serde_json::Value::Null);
    assert_eq!(v["nodes"][0]["ports"][1]["driver"], "virtio_net");
    assert_eq!(v["nodes"][1]["ports"][0]["driver"], "thunderbolt-net");
}

#[test]
fn allocated_router_ips() {
    let text: String = reference()
        .lines()
        .filter(|l| !l.starts_with("router_ip = \"10.100.0.13\""))
        .map(|l| format!("{l}\n"))
        .collect();
    let out = Test::new().spec(&text).args(["validate", "--json"]).run();
    out.status(0);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(v["nodes"][1]["router_ip"], "10.100.0.1");
    assert_eq!(v["nodes"][1]["router_ip_allocated"], true);
}

#[test]
fn every_error_is_reported_at_once() {
    let text = edit(
        &edit(&reference(), "mtu = 65520", "mtu = 1"),
        "\"0000:00:0d.3\"",
        "\"bad\"",
    );
    let out = Test::new().spec(&text).args(["validate"]).run();
    out.status(2).stderr_has("has 2 errors");
}

/// Issue 14 item 2: a fabric prefix over the management network was accepted
/// (router /32s equal to management addresses, advertised by OpenFabric).
#[test]
fn item2_fabric_prefix_overlapping_management_is_refused() {
    // The red team's input: prefix 10.11.11.0/24 beside hosts 10.11.11.12-14.
    let text = edit(
        &edit(
            &reference(),
            "prefix = \"10.100.0.0/24\"",
            "prefix = \"10.11.11.0/24\"",
        ),
        "router_ip = \"10.100.0.12\"\n",
        "",
    )
    .replace("router_ip = \"10.100.0.13\"\n", "")
    .replace("router_ip = \"10.100.0.14\"\n", "");
    refused(
        &text,
        "\"10.11.11.0/24\"",
        0,
        "holds management addresses 10.11.11.12 (node n2), 10.11.11.13 (node n3), 10.11.11.14 (node n4)",
    );
    // Static mode's link prefix too.
    let text = edit(
        &example("static-3node.toml"),
        "link_prefix = \"10.100.1.0/24\"",
        "link_prefix = \"10.11.11.0/28\"",
    );
    refused(
        &text,
        "\"10.11.11.0/28\"",
        0,
        "fabric.link_prefix 10.11.11.0/28 holds management address",
    );
}

/// Issue 14 item 2: 0.0.0.0/0, 127.0.0.0/24 and 224.0.0.0/24 were accepted.
#[test]
fn item2_non_unicast_prefixes_are_refused() {
    for (prefix, what) in [
        ("0.0.0.0/0", "\"this network\""),
        ("127.0.0.0/24", "loopback"),
        ("224.0.0.0/24", "multicast"),
        ("169.254.0.0/24", "link-local"),
        ("240.0.0.0/24", "reserved and broadcast"),
        ("0.0.0.0/8", "\"this network\""),
    ] {
        let text = edit(
            &reference(),
            "prefix = \"10.100.0.0/24\"",
            &format!("prefix = \"{prefix}\""),
        );
        refused(
            &text,
            &format!("\"{prefix}\""),
            0,
            &format!("overlaps the {what}"),
        );
    }
}

/// Issue 14 item 4: hosts that ssh reads as another address were accepted.
#[test]
fn item4_hosts_in_other_address_forms_are_refused() {
    for (host, message) in [
        ("192.168.001.021", "ssh would read it as 192.168.1.17"),
        ("010.011.011.012", "ssh would read it as 8.9.9.10"),
        ("10.11.12", "ssh would read it as 10.11.0.12"),
        ("167971596", "ssh would read it as 10.3.11.12"),
        ("0x0a.0x0b.0x0b.0x0c", "ssh would read it as 10.11.11.12"),
        ("10.11.11.256", "is not an IPv4 address"),
        ("fd00::13", "IPv6 address without brackets"),
    ] {
        let text = edit(
            &reference(),
            "host = \"10.11.11.13\"",
            &format!("host = \"{host}\""),
        );
        refused(&text, &format!("\"{host}\""), 0, message);
    }
}

/// Issue 14 item 4: bracketed IPv6 (with a port) and names are accepted.
#[test]
fn item4_bracketed_ipv6_and_names_are_accepted() {
    let text = edit(
        &edit(
            &reference(),
            "host = \"10.11.11.13\"",
            "host = \"[fd00::13]:2222\"",
        ),
        "host = \"10.11.11.14\"",
        "host = \"N4.Lan.\"",
    );
    let out = Test::new().spec(&text).args(["--json", "validate"]).run();
    out.status(0);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(v["nodes"][1]["host"], "[fd00::13]:2222");
    assert_eq!(v["nodes"][2]["host"], "n4.lan.");
}

/// Issue 14 item 4: `n1.lan.` and `n1.lan:22` beside `n1.lan` were not
/// seen as the same host.
#[test]
fn item4_duplicate_hosts_are_found_after_normalising() {
    for (first, second) in [
        ("n2.lan", "n2.lan."),
        ("n2.lan", "N2.LAN:22"),
        ("[fd00::12]", "[fd00:0::12]:22"),
        ("10.11.11.12:22", "10.11.11.12"),
    ] {
        let text = edit(
            &edit(
                &reference(),
                "host = \"10.11.11.12\"",
                &format!("host = \"{first}\""),
            ),
            "host = \"10.11.11.13\"",
            &format!("host = \"{second}\""),
        );
        refused(
            &text,
            &format!("\"{second}\""),
            0,
            "is also the host of node n2",
        );
    }
    // Another port is another sshd.
    let text = edit(
        &edit(
            &reference(),
            "host = \"10.11.11.12\"",
            "host = \"h.lan:2201\"",
        ),
        "host = \"10.11.11.13\"",
        "host = \"h.lan:2202\"",
    );
    Test::new().spec(text).args(["validate"]).run().status(0);
}

/// The reference spec with `n2` renamed to `to` everywhere (its table and links).
fn rename_node(text: &str, to: &str) -> String {
    text.replace("\"n2\"", &format!("\"{to}\""))
        .replace("n2:", &format!("{to}:"))
}

/// The reference spec with n2's `en05` renamed to `to` (its table and link).
fn rename_port(text: &str, to: &str) -> String {
    let at = text.find("name = \"n2\"").expect("n2");
    let (head, tail) = text.split_at(at);
    let tail = tail.replacen("ports = { en05", &format!("ports = {{ {to}"), 1);
    format!("{head}{tail}").replacen("n2:en05", &format!("n2:{to}"), 1)
}

#[test]
fn pve_sdn_refuses_node_names_the_api_refuses() {
    let text = rename_node(&reference(), "n_2");
    refused(
        &text,
        "\"n_2\"",
        0,
        "node name \"n_2\" is not a Proxmox node name (pve-node)",
    );
}

#[test]
fn pve_sdn_refuses_port_names_the_api_refuses() {
    for bad in ["tb-0", "e", "1p"] {
        let text = rename_port(&reference(), bad);
        refused(
            &text,
            &format!("{{ |{bad} ="),
            0,
            &format!("port name \"{bad}\" is not a Proxmox interface name (pve-iface)"),
        );
    }
}

#[test]
fn other_modes_warn_about_names_pve_sdn_refuses() {
    let frr = edit(&reference(), "mode = \"pve-sdn\"", "mode = \"frr\"");
    warns(
        &rename_node(&frr, "n_2"),
        "node name \"n_2\" is not a Proxmox node name (pve-node): fine in mode frr, refused in pve-sdn",
    );
    warns(
        &rename_port(&frr, "tb-0"),
        "port name \"tb-0\" is not a Proxmox interface name (pve-iface): fine in mode frr",
    );
}

#[test]
fn per_port_hello_multiplier_range_is_checked() {
    let text = edit(
        &reference(),
        "ports = { en05 = \"0000:00:0d.2\"",
        "ports = { en05 = { pci = \"0000:00:0d.2\", hello_multiplier = 1 }",
    );
    refused(
        &text,
        "hello_multiplier = |1 }",
        0,
        "hello_multiplier` = 1 is out of range",
    );
}

/// A node table with `osd_devices` of `n` entries, appended to the reference.
fn with_devices(n: usize) -> String {
    let devs: Vec<String> = (0..n).map(|i| format!("\"/dev/disk{i}\"")).collect();
    edit(
        &reference(),
        "osd_devices = [\"/dev/nvme1n1\"]",
        &format!("osd_devices = [{}]", devs.join(", ")),
    )
}

/// `n` nodes cabled as a ring (`m0:en06 -- m1:en05`, ...).
pub fn ring(n: usize) -> String {
    let mut text = String::from("[cluster]\nname = \"ring\"\n[fabric]\nname = \"tb4\"\nmode = \"frr\"\nprefix = \"10.100.0.0/24\"\nlinks = [\n");
    for i in 0..n {
        text.push_str(&format!("  \"m{i}:en06 -- m{}:en05\",\n", (i + 1) % n));
    }
    text.push_str("]\n");
    for i in 0..n {
        text.push_str(&format!("[[node]]\nname = \"m{i}\"\nhost = \"h{i}.lan\"\nports = {{ en05 = \"0000:00:0d.2\", en06 = \"0000:00:0d.3\" }}\nosd_devices = [\"/dev/nvme1n1\"]\n"));
    }
    text
}

/// Issue 14 item 7: 2500 osd_devices made validate panic (exit 101); sizes
/// are capped with an error at the first entry past the limit.
#[test]
fn item7_sizes_are_capped_with_clear_errors() {
    let text = with_devices(2500);
    refused(
        &text,
        "\"/dev/disk32\"",
        0,
        "more than tbmesh's limit of 32",
    );
    let out = Test::new().spec(ring(65)).args(["validate"]).run();
    out.status(2)
        .stderr_has("the spec declares 65 nodes, more than tbmesh's limit of 64")
        .stderr_has("hint:");
    let ports: Vec<String> = (0..17).map(|i| format!("p{i} = {{}}")).collect();
    let text = edit(
        &reference(),
        "ports = { en05 = \"0000:00:0d.2\", en06 = \"0000:00:0d.3\" }",
        &format!("ports = {{ {} }}", ports.join(", ")),
    );
    refused(
        &text,
        "{ p0",
        0,
        "declares 17 ports, more than tbmesh's limit of 16",
    );
}

/// Issue 14 item 10: a 64-node ring (the limit) validates; its time is in
/// docs/performance.md (no wall-clock assertion here).
#[test]
fn item10_a_ring_of_64_nodes_validates() {
    let out = Test::new().spec(ring(64)).args(["validate"]).run();
    out.status(0).stdout_has("64 nodes, 64 links");
}

/// Issue 14 item 10: every diagnostic reprinted its source line, unbounded
/// (a 150 KB spec printed 11 GB). The first 50 are shown, the rest counted.
#[test]
fn item10_diagnostics_are_capped() {
    let keys: String = (0..400).map(|i| format!("bogus{i} = 1\n")).collect();
    let text = edit(
        &reference(),
        "name = \"homelab\"\n",
        &format!("name = \"homelab\"\n{keys}"),
    );
    let out = Test::new().spec(&text).args(["validate"]).run();
    out.status(2)
        .stderr_has("... and 350 more")
        .stderr_has("has 400 errors");
    assert_eq!(out.stderr.matches("unknown key").count(), 50);
    // --json still lists them all.
    let out = Test::new().spec(&text).args(["--json", "validate"]).run();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(v["diagnostics"].as_array().map(Vec::len), Some(400));
}

/// Issue 14 item 11: raw escape bytes from the spec were echoed to the
/// terminal (title set, screen cleared).
#[test]
fn item11_control_characters_are_escaped() {
    for evil in [
        "name = \"homelab\" # \u{1b}]0;pwned\u{7}\u{1b}[2J\n",
        "name = \"homelab\"\n\"\u{1b}[2J\" = 1\n",
    ] {
        let text = edit(&reference(), "name = \"homelab\"\n", evil);
        let out = Test::new().spec(&text).args(["validate"]).run();
        out.status(2);
        assert!(
            !out.stderr.contains('\u{1b}') && !out.stderr.contains('\u{7}'),
            "{:?}",
            out.stderr
        );
        assert!(out.stderr.contains('\u{241b}'), "{:?}", out.stderr);
    }
}

/// Issue 14 item 12: errors that had no hint now each say what to write.
#[test]
fn item12_every_error_has_a_hint() {
    for (from, to, needle, message) in [
        (
            "mtu = 65520",
            "mtu = \"65520\"",
            "\"65520\"",
            "must be a whole number",
        ),
        (
            "pve_storage = true",
            "pve_storage = \"yes\"",
            "\"yes\"",
            "must be true or false",
        ),
        (
            "osd_devices = [\"/dev/nvme1n1\"]",
            "osd_devices = [1]",
            "1]",
            "every element of",
        ),
        (
            "mtu = 65520\n",
            "[fabric.mtu]\n",
            "[fabric.mtu]",
            "must be a value, not a table",
        ),
    ] {
        let text = edit(&reference(), from, to);
        let out = Test::new().spec(&text).args(["validate"]).run();
        out.status(2);
        let lines: Vec<&str> = out.stderr.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.contains(message))
            .unwrap_or_else(|| panic!("no {message:?}:\n{}", out.stderr));
        assert!(
            lines[at + 1..]
                .iter()
                .take(5)
                .any(|l| l.starts_with("hint: ")),
            "{message:?} has no hint:\n{}",
            out.stderr
        );
        let _ = needle;
    }
    let text = reference().replace("[[node]]", "[[nodex]]");
    let text = format!("node = [1, 2]\n{text}");
    let out = Test::new().spec(&text).args(["validate"]).run();
    out.status(2).stderr_has("every node must be a table");
}

/// Issue 14 item 12: a spec that is not UTF-8 got no line:col.
#[test]
fn item12_non_utf8_spec_gets_line_and_column() {
    let t = Test::new();
    let mut bytes = reference().into_bytes();
    let at = bytes
        .windows(7)
        .position(|w| w == b"homelab")
        .expect("name");
    bytes[at + 2] = 0xff;
    std::fs::write(t.path().join("tbmesh.toml"), &bytes).expect("write");
    let out = t.args(["validate"]).run();
    out.status(2)
        .stderr_has("tbmesh.toml:4:11: the spec is not UTF-8 text (byte 0xff)")
        .stderr_has("hint: save the file as UTF-8");
}

/// Without a spec, every command that needs one says how to get a first
/// one: `tbmesh init` from the hardware, or an example edited by hand.
#[test]
fn no_spec_hints_at_tbmesh_init_and_the_examples() {
    for args in [
        vec!["validate"],
        vec!["plan"],
        vec!["verify"],
        vec!["status"],
        vec!["-f", "nowhere.toml", "validate"],
    ] {
        let out = Test::new().args(args.clone()).run();
        out.status(2)
            .stderr_has("reading spec")
            .stderr_has("hint:")
            .stderr_has("examples/")
            .stderr_has("ms01-3node.toml")
            .stderr_has("run `tbmesh init HOST1 HOST2 HOST3`");
        assert!(!out.stderr.contains("planned"), "{args:?}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{args:?}: {}", out.stdout);
    }
    // A spec that exists but cannot be read is not "missing": no examples hint.
    let t = Test::new();
    std::fs::create_dir(t.path().join("tbmesh.toml")).expect("a directory named tbmesh.toml");
    let out = t.args(["validate"]).run();
    out.status(2).stderr_has("reading spec");
    assert!(!out.stderr.contains("examples/"), "{}", out.stderr);
}

/// Issue 11 item 2: the reference cluster, dual stack.
fn dual_stack() -> String {
    edit(
        &reference(),
        "prefix = \"10.100.0.0/24\"",
        "prefix = \"10.100.0.0/24\"\nprefix6 = \"fd00:100::/64\"",
    )
}

#[test]
fn dual_stack_allocates_router_ip6_in_node_order_and_keeps_given_ones() {
    let text = edit(
        &dual_stack(),
        "router_ip = \"10.100.0.13\"",
        "router_ip = \"10.100.0.13\"\nrouter_ip6 = \"fd00:100::1\"",
    );
    let out = Test::new().spec(&text).args(["validate", "--json"]).run();
    out.status(0);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("valid JSON");
    // n3 keeps ::1; n2 and n4 get the lowest free ones, in node order.
    let ip6: Vec<&str> = (0..3)
        .map(|i| v["nodes"][i]["router_ip6"].as_str().expect("router_ip6"))
        .collect();
    assert_eq!(ip6, ["fd00:100::2", "fd00:100::1", "fd00:100::3"]);
    // Proxmox's name for the key is accepted too.
    let text = edit(&dual_stack(), "prefix6 =", "ip6_prefix =");
    let out = Test::new().spec(&text).args(["validate", "--json"]).run();
    out.status(0);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("valid JSON");
    assert_eq!(v["nodes"][0]["router_ip6"], "fd00:100::1");
}

#[test]
fn prefix6_must_be_global_unicast_or_ula() {
    for (bad, message) in [
        ("fe80::/64", "overlaps the link-local (fe80::/10) addresses"),
        ("ff02::/64", "overlaps the multicast (ff00::/8) addresses"),
        ("::1/128", "overlaps the loopback (::1) addresses"),
        (
            "100::/64",
            "is not a global unicast (2000::/3) or unique local (fc00::/7) prefix",
        ),
        ("fd00:100::/124", "is too small for a mesh"),
        ("fd00:100::", "has no prefix length"),
        ("10.100.0.0/24", "is not an IPv6 address"),
    ] {
        let text = edit(&dual_stack(), "fd00:100::/64", bad);
        // 10.100.0.0/24 is fabric.prefix's value too: the second one.
        let nth = usize::from(bad == "10.100.0.0/24");
        refused(&text, &format!("\"{bad}\""), nth, message);
    }
}

#[test]
fn prefix6_and_ip6_prefix_together_are_refused() {
    let text = edit(
        &dual_stack(),
        "prefix6 = \"fd00:100::/64\"",
        "prefix6 = \"fd00:100::/64\"\nip6_prefix = \"fd00:100::/64\"",
    );
    refused(&text, "ip6_prefix", 0, "the same setting, given twice");
}

#[test]
fn router_ip6_rules() {
    let with = |ip6: &str| {
        edit(
            &dual_stack(),
            "router_ip = \"10.100.0.13\"",
            &format!("router_ip = \"10.100.0.13\"\nrouter_ip6 = \"{ip6}\""),
        )
    };
    refused(
        &with("fd00:200::1"),
        "\"fd00:200::1\"",
        0,
        "is outside fabric.prefix6",
    );
    refused(
        &with("fd00:100::"),
        "\"fd00:100::\"",
        0,
        "subnet-router anycast",
    );
    refused(
        &with("10.100.0.13"),
        "\"10.100.0.13\"",
        1,
        "is not an IPv6 address",
    );
    // Without prefix6 a router_ip6 has nothing to belong to.
    let text = edit(
        &reference(),
        "router_ip = \"10.100.0.13\"",
        "router_ip = \"10.100.0.13\"\nrouter_ip6 = \"fd00:100::1\"",
    );
    refused(&text, "\"fd00:100::1\"", 0, "the fabric has no IPv6 prefix");
    // Two nodes with one address.
    let text = edit(
        &edit(
            &dual_stack(),
            "router_ip = \"10.100.0.13\"",
            "router_ip = \"10.100.0.13\"\nrouter_ip6 = \"fd00:100::7\"",
        ),
        "router_ip = \"10.100.0.14\"",
        "router_ip = \"10.100.0.14\"\nrouter_ip6 = \"fd00:100::7\"",
    );
    refused(&text, "\"fd00:100::7\"", 1, "is also used by node n3");
}

#[test]
fn prefix6_holding_a_management_address_and_static_mode_are_refused() {
    let text = edit(
        &dual_stack(),
        "host = \"10.11.11.12\"",
        "host = \"[fd00:100::12]\"",
    );
    refused(
        &text,
        "\"fd00:100::/64\"",
        0,
        "holds management address fd00:100::12",
    );
    let text = in_static_mode(&dual_stack(), "prefix = \"10.100.0.0/24\"");
    refused(&text, "\"fd00:100::/64\"", 0, "static mode has no IPv6");
}

/// Issue 14 item 9: `lo`, `all`, `default` and the router interface itself
/// (`dummy_tb4`: two stanzas, one passive FRR block and one not) were
/// accepted as ports.
#[test]
fn item9_special_interface_names_are_refused_as_ports() {
    for (name, message) in [
        ("lo", "is the loopback interface"),
        ("all", "a name the kernel keeps for settings"),
        ("default", "a name the kernel keeps for settings"),
        (
            "dummy_tb4",
            "the router interface tbmesh creates for the fabric (dummy_tb4)",
        ),
    ] {
        let text = reference().replace("en06", name);
        refused(&text, &format!("{name} = \"0000"), 0, message);
    }
    // Names the kernel refuses never got this far: too long, '/', '.', blanks.
    for name in ["en05-very-long-x", "en/05", "..", "en 05"] {
        let text = edit(&reference(), "en06 = ", &format!("\"{name}\" = "));
        refused(&text, &format!("\"{name}\" = "), 0, "port name");
    }
}

/// Issue 14 item 9: two ports of one node with the same PCI address were
/// accepted.
#[test]
fn item9_two_ports_on_one_pci_address_are_refused() {
    let text = edit(
        &reference(),
        "en06 = \"0000:00:0d.3\"",
        "en06 = \"0000:00:0D.2\"",
    );
    refused(
        &text,
        "en06 = \"0000:00:0D.2\"",
        0,
        "port en06 of node n2 has PCI address 0000:00:0d.2, as port en05 has",
    );
}

/// Issue 14 item 9: `/dev//nvme1n1` and `/dev/./nvme1n1` passed the
/// duplicate check beside `/dev/nvme1n1` (with --wipe-disk the second step
/// wipes the first's OSDs).
#[test]
fn item9_disk_paths_are_compared_as_the_kernel_resolves_them() {
    for other in ["/dev//nvme1n1", "/dev/./nvme1n1", "/dev/.//nvme1n1"] {
        let text = edit(
            &reference(),
            "osd_devices = [\"/dev/nvme1n1\"]",
            &format!("osd_devices = [\"/dev/nvme1n1\", \"{other}\"]"),
        );
        refused(&text, &format!("\"{other}\""), 0, "OSD device /dev/");
    }
    // A trailing slash is not a disk.
    let text = edit(&reference(), "\"/dev/nvme1n1\"", "\"/dev/nvme1n1/\"");
    refused(
        &text,
        "\"/dev/nvme1n1/\"",
        0,
        "is not an absolute /dev/... path",
    );
}

/// `text` in static mode, with a link_prefix after its line `prefix_line`.
fn in_static_mode(text: &str, prefix_line: &str) -> String {
    edit(
        &edit(text, "mode = \"pve-sdn\"", "mode = \"static\""),
        prefix_line,
        &format!("{prefix_line}\nlink_prefix = \"10.100.1.0/24\""),
    )
}

/// Issue 11: the reference cluster, IPv6-only (`prefix6`, no `prefix`, no
/// `router_ip`).
fn ipv6_only() -> String {
    let mut text = edit(
        &reference(),
        "prefix = \"10.100.0.0/24\"",
        "prefix6 = \"fd00:100::/64\"",
    );
    for n in 12..=14 {
        text = edit(
            &text,
            &format!("router_ip = \"10.100.0.{n}\"\n"),
            &format!("router_ip6 = \"fd00:100::{n}\"\n"),
        );
    }
    text
}

#[test]
fn ipv6_only_fabric_is_valid_with_ipv6_router_addresses_and_ceph_on_ipv6() {
    let out = Test::new()
        .spec(ipv6_only())
        .args(["validate", "--json"])
        .run();
    out.status(0);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("valid JSON");
    assert_eq!(v["fabric"]["prefix"], serde_json::Value::Null);
    assert_eq!(v["fabric"]["prefix6"], "fd00:100::/64");
    assert_eq!(v["nodes"][1]["router_ip"], serde_json::Value::Null);
    assert_eq!(v["nodes"][1]["router_ip6"], "fd00:100::13");
    // The NET from the IPv6 address's last three groups (FORMATS.md).
    assert_eq!(v["nodes"][1]["net"], "49.0001.0000.0000.0013.00");
    let out = Test::new().spec(ipv6_only()).args(["validate"]).run();
    out.status(0);
    assert!(
        out.stdout
            .contains("prefix none (IPv6-only), prefix6 fd00:100::/64"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_fabric_without_any_prefix_is_refused() {
    let text = edit(&reference(), "prefix = \"10.100.0.0/24\"\n", "");
    refused(
        &text,
        "[fabric]",
        0,
        "the fabric needs an IPv4 prefix, an IPv6 prefix, or both",
    );
}

#[test]
fn ipv6_only_refuses_router_ip_static_mode_and_bfd() {
    // An IPv4 router address has no prefix to come from.
    let text = edit(
        &ipv6_only(),
        "router_ip6 = \"fd00:100::13\"",
        "router_ip6 = \"fd00:100::13\"\nrouter_ip = \"10.100.0.13\"",
    );
    refused(
        &text,
        "\"10.100.0.13\"",
        0,
        "router_ip is set but the fabric is IPv6-only",
    );
    // Static mode routes IPv4 only.
    let text = in_static_mode(&ipv6_only(), "prefix6 = \"fd00:100::/64\"");
    refused(&text, "\"fd00:100::/64\"", 0, "static mode has no IPv6");
    let out = Test::new().spec(&text).args(["validate"]).run();
    assert!(
        out.stderr.contains("for an IPv6-only fabric"),
        "{}",
        out.stderr
    );
    // BFD sessions would run on link-local addresses tbmesh cannot configure.
    let text = edit(
        &ipv6_only(),
        "csnp_interval = 5",
        "csnp_interval = 5\nbfd = true",
    );
    refused(
        &text,
        "bfd = true",
        0,
        "bfd = true is not supported on an IPv6-only fabric",
    );
    // bfd = false is what it defaults to, and accepted.
    let text = edit(
        &ipv6_only(),
        "csnp_interval = 5",
        "csnp_interval = 5\nbfd = false",
    );
    Test::new().spec(&text).args(["validate"]).run().status(0);
}

#[test]
fn ceph_networks_must_be_one_ip_version_with_router_addresses_of_it() {
    // Public on IPv6, cluster on IPv4: Ceph binds one family.
    let text = edit(
        &edit(
            &reference(),
            "prefix = \"10.100.0.0/24\"",
            "prefix = \"10.100.0.0/24\"\nprefix6 = \"fd00:100::/64\"",
        ),
        "public_network = \"fabric\"",
        "public_network = \"fd00:100::/64\"",
    );
    refused(
        &text,
        "cluster_network = |\"fabric\"",
        0,
        "are of different IP versions",
    );
    // An IPv4 network on an IPv6-only fabric: no IPv4 address to bind.
    let text = edit(
        &edit(
            &ipv6_only(),
            "public_network = \"fabric\"",
            "public_network = \"10.100.0.0/24\"",
        ),
        "cluster_network = \"fabric\"",
        "cluster_network = \"10.100.0.0/24\"",
    );
    refused(
        &text,
        "public_network = |\"10.100.0.0/24\"",
        0,
        "the fabric has no IPv4 router addresses",
    );
    // Explicit IPv6 networks on a dual-stack fabric are fine.
    let text = edit(
        &edit(
            &reference(),
            "prefix = \"10.100.0.0/24\"",
            "prefix = \"10.100.0.0/24\"\nprefix6 = \"fd00:100::/64\"",
        ),
        "public_network = \"fabric\"",
        "public_network = \"fd00:100::/64\"",
    );
    let text = edit(
        &text,
        "cluster_network = \"fabric\"",
        "cluster_network = \"fd00:100::/64\"",
    );
    let out = Test::new().spec(&text).args(["validate"]).run();
    out.status(0);
    assert!(!out.stderr.contains("not on the fabric"), "{}", out.stderr);
}
