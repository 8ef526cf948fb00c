//! The apply engine on the VM backend: a real kernel and udev, ports that
//! boot with kernel names. tbmesh's links phase must rename them (live, and
//! by .link files at the next boot), and the boot unit must bring the mesh
//! up before FRR starts.

use std::time::Duration;

use tbmesh_lab::lab::Power;
use tbmesh_lab::state::Backend;

use crate::apply::{mesh_reachable, run_ok, spec_of, MESH};
use crate::support::TestLab;

/// The name the guest gives the NIC at a PCI address.
fn nic_at(lab: &TestLab, node: &str, pci: &str) -> String {
    lab.sh(node, &format!("ls /sys/bus/pci/devices/{pci}/virtio*/net/"))
        .trim()
        .to_string()
}

/// A systemd property of a unit, as a number.
fn prop(lab: &TestLab, node: &str, unit: &str, p: &str) -> u64 {
    lab.sh(node, &format!("systemctl show {unit} -p {p} --value"))
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("{node}: {unit} {p} is not a number"))
}

#[test]
fn vm_apply_renames_ports_and_the_mesh_survives_a_reboot_in_order() {
    let lab = TestLab::up("tvmapply", Backend::Vm, 2);
    let spec = spec_of(&lab);
    for node in ["n2", "n3"] {
        assert!(
            !nic_at(&lab, node, "0000:00:0d.0").starts_with("en0"),
            "{node}: renamed before tbmesh ran"
        );
    }
    let mut args = vec!["apply"];
    args.extend(MESH);
    run_ok(&spec, &args, 0);
    for node in ["n2", "n3"] {
        // Renamed live by the links phase, no reboot needed.
        assert_eq!(nic_at(&lab, node, "0000:00:0d.0"), "en05");
        assert_eq!(nic_at(&lab, node, "0000:00:0e.0"), "en06");
        assert!(lab
            .sh(node, "cat /etc/systemd/network/00-tbmesh-en05.link")
            .contains("Path=pci-0000:00:0d.0"));
    }
    mesh_reachable(&lab, 65520, Duration::from_secs(30));

    let boot = lab.boot_id("n3");
    lab.power("n3", Power::Reboot { hard: false });
    lab.wait_new_boot("n3", &boot);
    // Named by the .link files (from the initramfs) at boot.
    assert_eq!(nic_at(&lab, "n3", "0000:00:0d.0"), "en05");
    assert_eq!(nic_at(&lab, "n3", "0000:00:0e.0"), "en06");
    // The boot unit ran, and finished before FRR started (PITFALLS 2).
    assert_eq!(
        lab.sh("n3", "systemctl is-active tbmesh-links.service")
            .trim(),
        "active"
    );
    let links_done = prop(
        &lab,
        "n3",
        "tbmesh-links.service",
        "ActiveEnterTimestampMonotonic",
    );
    let frr_start = prop(&lab, "n3", "frr.service", "InactiveExitTimestampMonotonic");
    assert!(
        links_done > 0 && links_done <= frr_start,
        "tbmesh-links active at {links_done}, frr started at {frr_start}"
    );
    mesh_reachable(&lab, 65520, Duration::from_secs(120));
    let out = run_ok(
        &spec,
        &[
            "plan", "--json", "--phase", "links", "--phase", "network", "--phase", "fabric",
        ],
        0,
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        v["changes"], 0,
        "a reboot must not undo anything tbmesh wrote"
    );
}
