//! `tbmesh verify` on the lab: a verified mesh, a cut cable, a deaf port.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tbmesh_lab::lab::{LinkAction, Power};

use crate::shared::{self, Level};
use crate::support::{log, text};

/// Run the tbmesh binary against `spec`.
/// These tests are about the mesh: apply only its phases and verify only it
/// (Ceph has its own tests in ceph.rs).
fn tbmesh(spec: &Path, args: &[&str]) -> Output {
    let extra: &[&str] = match args.first() {
        Some(&"apply") => &crate::apply::MESH,
        Some(&"verify") => &["--mesh"],
        _ => &[],
    };
    Command::new(env!("CARGO_BIN_EXE_tbmesh"))
        .arg("-f")
        .arg(spec)
        .args(args)
        .args(extra)
        .stdin(Stdio::null())
        .output()
        .expect("running tbmesh")
}

fn apply(spec: &Path) {
    let started = Instant::now();
    let out = tbmesh(spec, &["apply"]);
    assert_eq!(out.status.code(), Some(0), "apply failed:\n{}", text(&out));
    log(&format!(
        "apply took {:.1} s",
        started.elapsed().as_secs_f64()
    ));
}

/// `tbmesh verify --json`: exit code, the document, and the time it took.
fn verify_json(spec: &Path) -> (Option<i32>, Value, Duration) {
    let started = Instant::now();
    let out = tbmesh(spec, &["verify", "--json"]);
    let took = started.elapsed();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "verify --json is not one JSON document ({e}):\n{}",
            text(&out)
        )
    });
    (out.status.code(), doc, took)
}

/// Checks of one kind on one node and subject.
fn checks<'a>(doc: &'a Value, name: &str, node: &str, subject: &str) -> Vec<&'a Value> {
    doc["checks"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|c| c["name"] == name && c["node"] == node && c["subject"] == subject)
                .collect()
        })
        .unwrap_or_default()
}

fn one<'a>(doc: &'a Value, name: &str, node: &str, subject: &str) -> &'a Value {
    let found = checks(doc, name, node, subject);
    assert_eq!(
        found.len(),
        1,
        "expected one {name} check on {node} {subject}:\n{doc:#}"
    );
    found[0]
}

fn failed(doc: &Value) -> Vec<String> {
    doc["checks"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|c| c["ok"] == false)
                .map(|c| {
                    format!(
                        "{} {} {}: {}",
                        c["name"], c["node"], c["subject"], c["detail"]
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Verify until it passes (FRR re-converging after a change), up to `bound`.
fn verify_until_ok(spec: &Path, bound: Duration) -> (Value, Duration) {
    let started = Instant::now();
    loop {
        let (code, doc, took) = verify_json(spec);
        if code == Some(0) {
            assert_eq!(doc["ok"], true);
            return (doc, took);
        }
        assert_eq!(code, Some(1), "verify: {doc:#}");
        if started.elapsed() > bound {
            panic!(
                "verify still fails after {:.0} s:\n{}",
                bound.as_secs_f64(),
                failed(&doc).join("\n")
            );
        }
        std::thread::sleep(Duration::from_secs(2));
    }
}

#[test]
fn verify_passes_on_a_fresh_applied_mesh() {
    let lab = shared::lab(Level::Mesh);
    let spec = lab.spec.clone();
    // Right after apply the fabric is confirmed; give it the same bound as
    // a re-convergence in case a route is still being installed.
    let (doc, took) = verify_until_ok(&spec, Duration::from_secs(60));
    log(&format!("verify took {:.2} s", took.as_secs_f64()));
    let all = doc["checks"].as_array().expect("checks is an array");
    // 3 nodes: 2 ports x (port, mtu, address) + router address + 2 peers
    // + 2 adjacencies + 2 BFD sessions + 2 pings + 2 hops + 2 units + files.
    assert_eq!(
        all.len(),
        3 * (2 * 3 + 1 + 2 + 2 + 2 + 2 + 2 + 2 + 1),
        "{doc:#}"
    );
    assert_eq!(doc["failed"], 0);
    let peer = one(&doc, "peer", "n2", "en05");
    assert_eq!(peer["found"], "n3:en05", "{peer:#}");
    let hops = one(&doc, "hops", "n2", "n3 10.100.0.13");
    assert_eq!(hops["found"], "1 hop", "{hops:#}");
    let adj = one(&doc, "adjacency", "n4", "en06");
    assert_eq!(adj["found"], "n2 Up", "{adj:#}");

    // The table for people: one line per check and the summary.
    let out = tbmesh(&spec, &["verify"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("CHECK"), "{stdout}");
    assert!(
        stdout.contains(&format!("{} checks, 0 failed", all.len())),
        "{stdout}"
    );

    // A router address lost (the VM lab saw ifupdown2 create the dummy and
    // miss its address): verify names it, and wait-links --present, which
    // apply runs after `ifreload -a`, puts it back with ifup.
    let router_if = all
        .iter()
        .find(|c| {
            c["name"] == "address"
                && c["node"] == "n3"
                && !c["subject"].as_str().is_some_and(|s| s.starts_with("en0"))
        })
        .and_then(|c| c["subject"].as_str())
        .expect("the router interface's address check")
        .to_string();
    lab.sh("n3", &format!("ip addr del 10.100.0.13/32 dev {router_if}"));
    let (code, doc, _) = verify_json(&spec);
    assert_eq!(code, Some(1), "{doc:#}");
    let addr = one(&doc, "address", "n3", &router_if);
    assert_eq!(addr["detail"], "missing 10.100.0.13/32", "{addr:#}");
    lab.sh("n3", "/usr/local/lib/tbmesh/wait-links --present");
    assert!(lab
        .sh("n3", &format!("ip -o -4 addr show dev {router_if}"))
        .contains(" 10.100.0.13/32 "));
    verify_until_ok(&spec, Duration::from_secs(60));

    // A node that can't be reached: exit 3, naming it.
    lab.power("n4", Power::Off { graceful: false });
    let out = tbmesh(&spec, &["verify"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot reach node n4"),
        "{}",
        text(&out)
    );
}

#[test]
fn verify_reports_a_cut_cable_and_the_detour_then_passes_when_restored() {
    let lab = shared::lab(Level::Mesh);
    let spec = lab.spec.clone();
    verify_until_ok(&spec, Duration::from_secs(60));

    lab.link("n2:en05", LinkAction::Down);
    // FRR reroutes within a second in containers (LAB.md); allow a few.
    let started = Instant::now();
    let doc = loop {
        let (code, doc, took) = verify_json(&spec);
        assert_eq!(code, Some(1), "verify must fail with a cable cut: {doc:#}");
        let detour = one(&doc, "hops", "n2", "n3 10.100.0.13")["ok"] == true;
        if detour || started.elapsed() > Duration::from_secs(30) {
            log(&format!(
                "verify (cable cut) took {:.2} s",
                took.as_secs_f64()
            ));
            break doc;
        }
        std::thread::sleep(Duration::from_secs(1));
    };
    assert_eq!(doc["ok"], false);
    // The cut: no carrier and no BFD session on both ends, and nothing
    // else on the list.
    let mut fails = failed(&doc);
    fails.sort();
    assert_eq!(fails.len(), 4, "{fails:#?}");
    for (node, subject) in [("n2", "en05"), ("n3", "en05")] {
        assert_eq!(one(&doc, "bfd", node, subject)["ok"], false);
        let port = one(&doc, "port", node, subject);
        assert_eq!(port["ok"], false);
        assert_eq!(port["found"], "up, no carrier", "{port:#}");
        let detail = port["detail"].as_str().unwrap_or("");
        assert!(detail.contains("n2:en05 -- n3:en05"), "{detail}");
    }
    // Both directions of the pair go around through n4, and that is fine.
    for (node, subject) in [("n2", "n3 10.100.0.13"), ("n3", "n2 10.100.0.12")] {
        let hops = one(&doc, "hops", node, subject);
        assert_eq!(hops["ok"], true, "{hops:#}");
        assert_eq!(hops["found"], "2 hops via n4", "{hops:#}");
        let detail = hops["detail"].as_str().unwrap_or("");
        assert!(
            detail.contains("planned 1: link n2:en05 -- n3:en05 is down"),
            "{detail}"
        );
        let ping = one(&doc, "ping", node, subject);
        assert_eq!(
            ping["ok"], true,
            "full-MTU DF ping around the cut: {ping:#}"
        );
    }

    // The human table says it too.
    let out = tbmesh(&spec, &["verify", "--failed"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("no carrier"), "{stdout}");
    assert!(stdout.contains(", 4 failed"), "{stdout}");

    lab.link("n2:en05", LinkAction::Up);
    let (doc, _) = verify_until_ok(&spec, Duration::from_secs(60));
    assert_eq!(one(&doc, "hops", "n2", "n3 10.100.0.13")["found"], "1 hop");
}

#[test]
fn verify_names_both_ends_of_a_port_cabled_elsewhere_than_declared() {
    let lab = shared::lab(Level::Mesh);
    let real = lab.spec.clone();
    // The lab is cabled n2:en05 -- n3:en05, n3:en06 -- n4:en05,
    // n4:en06 -- n2:en06. This spec swaps n2's ports: it claims n2:en05 goes
    // to n4 and n2:en06 to n3. Same directory, so `ssh_config` resolves.
    let text_spec = std::fs::read_to_string(&real).expect("reading the lab's spec");
    let links = "  \"n2:en05 -- n3:en05\",\n  \"n3:en06 -- n4:en05\",\n  \"n4:en06 -- n2:en06\",\n";
    assert!(
        text_spec.contains(links),
        "the lab's cabling changed:\n{text_spec}"
    );
    let swapped = text_spec.replace(
        links,
        "  \"n2:en06 -- n3:en05\",\n  \"n3:en06 -- n4:en05\",\n  \"n4:en06 -- n2:en05\",\n",
    );
    let spec = lab.dir.dir.join("miscabled.toml");
    std::fs::write(&spec, swapped).expect("writing the mis-cabled spec");
    // Routing does not care which port a neighbour is on: apply succeeds.
    apply(&spec);

    let (code, doc, _) = verify_json(&spec);
    assert_eq!(code, Some(1), "{doc:#}");
    let peer = one(&doc, "peer", "n2", "en05");
    assert_eq!(peer["ok"], false);
    assert_eq!(peer["expected"], "n4:en06", "{peer:#}");
    assert_eq!(peer["found"], "n3:en05", "{peer:#}");
    assert_eq!(
        peer["detail"],
        "n2:en05 is cabled to n3:en05, but the spec says n4:en06"
    );
    let peer = one(&doc, "peer", "n3", "en05");
    assert_eq!(peer["found"], "n2:en05", "{peer:#}");
    assert_eq!(peer["expected"], "n2:en06", "{peer:#}");
    // OpenFabric sees the real neighbour on each port.
    let adj = one(&doc, "adjacency", "n2", "en05");
    assert_eq!(adj["ok"], false);
    assert_eq!(adj["found"], "n3 Up", "{adj:#}");
    // Every pair is still one hop apart: only the cabling is wrong.
    for c in doc["checks"].as_array().expect("checks") {
        if c["name"] == "hops" || c["name"] == "ping" {
            assert_eq!(c["ok"], true, "{c:#}");
        }
    }
    // The real spec, applied back (frr.conf's BFD peers follow the declared
    // cabling, so the mis-cabled spec wrote other `peer` lines), verifies.
    apply(&real);
    verify_until_ok(&real, Duration::from_secs(60));
}

/// Write `text` beside the lab's spec as `name`, apply it, wait until it
/// verifies, and check the DF ping6 matrix: router_ip6 allocated in node
/// order (n2 ::1, n3 ::2, n4 ::3), every pair answered at full size and
/// refused one byte over. Returns the spec's path and the verify document.
fn apply_and_verify_ping6(lab_spec: &Path, name: &str, text: &str) -> (PathBuf, Value) {
    let spec = lab_spec.with_file_name(name);
    std::fs::write(&spec, text).expect("write the IPv6 spec");
    apply(&spec);
    let (doc, took) = verify_until_ok(&spec, Duration::from_secs(60));
    log(&format!("{name}: verify took {:.2} s", took.as_secs_f64()));
    let ip6 = [
        ("n2", "fd00:100::1"),
        ("n3", "fd00:100::2"),
        ("n4", "fd00:100::3"),
    ];
    for (node, _) in ip6 {
        for (other, addr) in ip6.iter().filter(|(o, _)| *o != node) {
            let c = one(&doc, "ping", node, &format!("{other} {addr}"));
            assert_eq!(c["ok"], true, "{c:#}");
            assert_eq!(c["found"], "65472 B answered, 65473 B refused", "{c:#}");
        }
    }
    (spec, doc)
}

/// Issue 11 item 2: a dual-stack mesh on the shared lab. The lab's spec
/// with `prefix6` is applied (frr mode: `ipv6 router openfabric`, the /128
/// on lo) and verified, with a DF ping per pair of IPv6 router addresses;
/// then the lab's own spec is applied back (as every test taking the lab
/// would do anyway).
#[test]
fn dual_stack_mesh_applies_and_verifies_with_ping6() {
    let lab = shared::lab(Level::Mesh);
    let text = std::fs::read_to_string(&lab.spec).expect("the lab's spec");
    let line = "prefix = \"10.100.0.0/24\"\n";
    assert!(text.contains(line), "{text}");
    let dual = text.replacen(line, &format!("{line}prefix6 = \"fd00:100::/64\"\n"), 1);
    apply_and_verify_ping6(&lab.spec, "tbmesh-dual.toml", &dual);
    // On the node: the /128 on lo, and a route to another router's IPv6
    // address learned from OpenFabric.
    assert!(lab
        .sh("n2", "ip -6 -o addr show dev lo")
        .contains("fd00:100::1/128"));
    let route = lab.sh("n2", "ip -6 route show fd00:100::2");
    assert!(route.contains("proto openfabric"), "{route}");
    // Back to the lab's IPv4-only spec.
    apply(&lab.spec);
    let (doc, _) = verify_until_ok(&lab.spec, Duration::from_secs(60));
    assert!(checks(&doc, "ping", "n2", "n3 fd00:100::2").is_empty());
}

/// Issue 11: an IPv6-only mesh (prefix6, no prefix, no router_ip) applied on
/// the shared lab and verified by its DF ping6 matrix alone; then the lab's
/// spec applied back (its IPv4 addresses return, the IPv6 ones go).
#[test]
fn ipv6_only_mesh_applies_and_verifies_with_ping6_only() {
    let lab = shared::lab(Level::Mesh);
    let text = std::fs::read_to_string(&lab.spec).expect("the lab's spec");
    let line = "prefix = \"10.100.0.0/24\"\n";
    assert!(text.contains(line), "{text}");
    let mut v6 = text.replacen(line, "prefix6 = \"fd00:100::/64\"\n", 1);
    for n in 12..=14 {
        let ip = format!("router_ip = \"10.100.0.{n}\"\n");
        assert!(v6.contains(&ip), "{text}");
        v6 = v6.replacen(&ip, "", 1);
    }
    let (_spec, doc) = apply_and_verify_ping6(&lab.spec, "tbmesh-v6only.toml", &v6);
    // Nothing IPv4 was probed: every ping check is an IPv6 pair, no hop check.
    let all = doc["checks"].as_array().expect("checks");
    let pings: Vec<&Value> = all.iter().filter(|c| c["name"] == "ping").collect();
    assert_eq!(pings.len(), 6, "{doc:#}");
    assert!(pings.iter().all(|c| c["subject"]
        .as_str()
        .is_some_and(|s| s.contains("fd00:100::"))));
    assert!(!all.iter().any(|c| c["name"] == "hops"), "{doc:#}");
    // On the node: the /128 on lo and no IPv4 router address left; the route
    // to another router learned from OpenFabric over IPv6; FRR runs the
    // fabric with `ipv6 router openfabric` only.
    let lo = lab.sh("n2", "ip -o addr show dev lo");
    assert!(lo.contains("fd00:100::1/128"), "{lo}");
    assert!(!lo.contains("10.100.0."), "{lo}");
    let route = lab.sh("n2", "ip -6 route show fd00:100::3");
    assert!(route.contains("proto openfabric"), "{route}");
    let run = lab.sh("n2", "vtysh -c 'show running-config'");
    assert!(run.contains(" ipv6 router openfabric tb4"), "{run}");
    assert!(!run.contains(" ip router openfabric tb4"), "{run}");
    // Back to the lab's IPv4-only spec.
    apply(&lab.spec);
    let (doc, _) = verify_until_ok(&lab.spec, Duration::from_secs(60));
    assert!(checks(&doc, "ping", "n2", "n3 fd00:100::2").is_empty());
    let lo = lab.sh("n2", "ip -o addr show dev lo");
    assert!(
        lo.contains("10.100.0.12/32") && !lo.contains("fd00:100::"),
        "{lo}"
    );
}
