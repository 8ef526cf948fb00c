//! `tbmesh init`: the spec it writes from the lab's nodes describes the
//! lab's real cabling (the lab's own spec says what it is) and validates.
//! The container case runs on the shared lab (init only reads, and puts
//! back the ports it brings up); `vm_case` runs inside the VM test (the
//! lead's vm.rs) before tbmesh's first apply, ports still at their kernel
//! names.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use tbmesh_core::{Cluster, Source};
use tbmesh_lab::lab::LinkAction;

use crate::apply::{spec_of, tbmesh};
use crate::shared::{self, Level};
use crate::support::{text, TestLab};

fn load(path: &Path) -> Cluster {
    let src = Source::new(
        path.display().to_string(),
        std::fs::read_to_string(path).expect("reading a spec"),
    );
    tbmesh_core::spec::load(&src)
        .unwrap_or_else(|d| panic!("{} does not load: {d:?}", path.display()))
        .0
}

/// The cables of a spec as sets of two `node:identity` ends, where a port's
/// identity is its PCI address when it has one (names may differ between
/// two specs), else its name.
fn cables(c: &Cluster) -> BTreeSet<BTreeSet<String>> {
    let id = |node: &str, port: &str| {
        let n = c
            .nodes()
            .iter()
            .find(|n| n.name.value == node)
            .unwrap_or_else(|| panic!("no node {node}"));
        let p = n
            .ports
            .iter()
            .find(|p| p.name.value == port)
            .unwrap_or_else(|| panic!("no port {node}:{port}"));
        match &p.pci {
            Some(pci) => format!("{node}:{}", pci.as_str().to_ascii_lowercase()),
            None => format!("{node}:{port}"),
        }
    };
    c.spec
        .fabric
        .links
        .iter()
        .map(|l| {
            [id(&l.a.node, &l.a.port), id(&l.b.node, &l.b.port)]
                .into_iter()
                .collect()
        })
        .collect()
}

/// `tbmesh init HOSTS... --ssh-config LAB --json ARGS`.
fn init(lab: &TestLab, out: &Path, args: &[&str]) -> (Output, serde_json::Value) {
    let cfg = lab.ssh_config();
    let hosts: Vec<String> = lab
        .report
        .nodes
        .iter()
        .map(|n| n.mgmt_ip.to_string())
        .collect();
    let mut all: Vec<&str> = vec![
        "init",
        "--json",
        "--ssh-config",
        cfg.to_str().expect("utf-8"),
        "-o",
        out.to_str().expect("utf-8"),
    ];
    all.extend_from_slice(args);
    all.extend(hosts.iter().map(String::as_str));
    let o = tbmesh(&all, &[]);
    // Bad input (status 2) is refused before any JSON is made.
    let v = if o.status.code() == Some(2) {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("init --json is not JSON ({e}): {}", text(&o)))
    };
    (o, v)
}

#[test]
fn init_on_the_container_lab_finds_its_cabling_and_writes_a_spec_that_validates() {
    let lab = shared::lab(Level::Mesh);
    let lab_spec = load(&spec_of(&lab));
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("tbmesh.toml");
    // A port that is down: init must bring it up for the probe (its
    // neighbour found by IPv6 neighbour discovery: LLDP has not seen it)
    // and put it back down.
    lab.sh("n2", "ip link set dev en05 down");
    let (o, v) = init(&lab, &out, &["--driver", "veth"]);
    let (up, _, _) = lab.port("n2", "en05");
    lab.sh("n2", "ip link set dev en05 up");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(!up, "init left n2:en05 up; it was down before");
    let n2 = v["nodes"]
        .as_array()
        .and_then(|a| a.iter().find(|n| n["name"] == "n2"))
        .expect("n2 in the report");
    assert_eq!(n2["restored"], serde_json::json!(["en05 down"]), "{v:#}");
    assert_eq!(v["valid"], true);
    assert_eq!(v["written"], out.to_str().expect("utf-8"));

    let found = load(&out);
    assert_eq!(cables(&found), cables(&lab_spec), "{}", v["spec"]);
    let names = |c: &Cluster| -> Vec<(String, String)> {
        c.nodes()
            .iter()
            .map(|n| (n.name.value.clone(), n.host.to_string()))
            .collect()
    };
    assert_eq!(names(&found), names(&lab_spec));
    // Only the mesh veths: the management veth is never a port.
    for n in found.nodes() {
        let ports: Vec<&str> = n.ports.iter().map(|p| p.name.value.as_str()).collect();
        assert_eq!(ports, vec!["en05", "en06"], "{}", n.name.value);
    }
    for p in v["ports"].as_array().expect("ports") {
        assert_ne!(p["via"], "none", "{p}");
    }
    let via: BTreeSet<&str> = v["ports"]
        .as_array()
        .expect("ports")
        .iter()
        .filter_map(|p| p["via"].as_str())
        .collect();
    eprintln!("neighbours found by: {via:?}");
    assert!(
        v["problems"].as_array().is_some_and(|p| p.is_empty()),
        "{v:#}"
    );
    let val = tbmesh(&["-f", out.to_str().expect("utf-8"), "validate"], &[]);
    assert_eq!(val.status.code(), Some(0), "{}", text(&val));

    // Never over an existing file without --force; nothing is contacted.
    let before = std::fs::read(&out).expect("read");
    let (again, v2) = init(&lab, &out, &["--driver", "veth"]);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
    assert!(v2.is_null());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists; nothing was contacted"));
    assert_eq!(std::fs::read(&out).expect("read"), before);

    // An unplugged cable: both its ends are reported, the spec has the
    // other two cables (still a connected line) and validates.
    lab.link("n2:en05", LinkAction::Down);
    let (o, v) = init(&lab, &out, &["--driver", "veth", "--force"]);
    lab.link("n2:en05", LinkAction::Up);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let found = load(&out);
    let mut expect = cables(&lab_spec);
    expect.retain(|c| !c.contains("n2:en05"));
    assert_eq!(cables(&found), expect);
    let problems: Vec<String> = v["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| {
            format!(
                "{}:{} {}",
                p["node"].as_str().unwrap_or(""),
                p["port"].as_str().unwrap_or(""),
                p["message"]
            )
        })
        .collect();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems.iter().all(|p| p.contains("no carrier")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.starts_with("n2:en05 ")),
        "{problems:?}"
    );
    let spec_text = std::fs::read_to_string(&out).expect("read");
    assert!(
        spec_text.contains("# port en05 (en05) left out: no link (no carrier)"),
        "{spec_text}"
    );
}

/// On the VM lab before tbmesh's first apply (the lead's vm.rs calls it
/// first thing after the lab is up): the ports still carry kernel names at
/// their PCI addresses, driver virtio_net. The spec init writes has the
/// lab's PCI addresses on every node and its cabling, and validates.
pub fn vm_case(lab: &TestLab) {
    let lab_spec = load(&spec_of(lab));
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("tbmesh.toml");
    // TCG-emulated nodes are slow to bring ports up and answer.
    let (o, v) = init(lab, &out, &["--driver", "virtio_net", "--probe-wait", "60"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let found = load(&out);
    // The lab's OSD disks (/dev/disk/by-id/virtio-SERIAL) are proposed,
    // found empty by their serial; the boot disk is not.
    for (n, lab_node) in found.nodes().iter().zip(lab_spec.nodes()) {
        let report = v["nodes"]
            .as_array()
            .and_then(|a| a.iter().find(|x| x["name"] == n.name.value.as_str()))
            .expect("the node in the report");
        let proposed: BTreeSet<String> = n.osd_devices.iter().map(|d| d.value.clone()).collect();
        let mut want = BTreeSet::new();
        for d in &lab_node.osd_devices {
            let serial = d.value.rsplit("virtio-").next().expect("a by-id path");
            let disk = report["disks"]
                .as_array()
                .and_then(|a| a.iter().find(|x| x["serial"] == serial))
                .unwrap_or_else(|| {
                    panic!("{}: no disk with serial {serial}: {report:#}", n.name.value)
                });
            assert_eq!(disk["empty"], true, "{disk}");
            want.insert(disk["path"].as_str().expect("path").to_string());
        }
        assert_eq!(proposed, want, "{}", n.name.value);
    }
    let pcis = |c: &Cluster| -> Vec<(String, BTreeSet<String>)> {
        c.nodes()
            .iter()
            .map(|n| {
                (
                    n.name.value.clone(),
                    n.ports
                        .iter()
                        .map(|p| {
                            p.pci
                                .as_ref()
                                .map(|x| x.as_str().to_ascii_lowercase())
                                .unwrap_or_else(|| {
                                    panic!("{}:{} has no PCI address", n.name.value, p.name.value)
                                })
                        })
                        .collect(),
                )
            })
            .collect()
    };
    assert_eq!(pcis(&found), pcis(&lab_spec), "{}", v["spec"]);
    assert_eq!(cables(&found), cables(&lab_spec), "{}", v["spec"]);
    for n in found.nodes() {
        for p in &n.ports {
            assert_eq!(
                p.driver.as_str(),
                "virtio_net",
                "{}:{}",
                n.name.value,
                p.name.value
            );
        }
    }
    let val = tbmesh(&["-f", out.to_str().expect("utf-8"), "validate"], &[]);
    assert_eq!(val.status.code(), Some(0), "{}", text(&val));
}
