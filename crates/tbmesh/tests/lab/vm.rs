//! The VM backend: a real kernel and udev, ports that boot with kernel
//! names at fixed PCI paths, as on TB4 hardware. One VM lab for every VM
//! check (under TCG a VM lab costs minutes): tbmesh's links phase renames
//! the ports live and by .link files at the next boot, the boot unit brings
//! the mesh up before FRR starts, a reboot undoes nothing, and cables can
//! be pulled (QMP set_link) and silenced.

use std::time::Duration;

use tbmesh_lab::lab::{LinkAction, Power};
use tbmesh_lab::state::Backend;

use crate::apply::{mesh_reachable, run_ok, spec_of, MESH};
use crate::support::TestLab;

/// The name the guest gives the NIC at a PCI address (virtio-net: the
/// netdev hangs off the virtio device below the PCI one).
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

fn rx_packets(lab: &TestLab, node: &str, port: &str) -> u64 {
    lab.sh(
        node,
        &format!("cat /sys/class/net/{port}/statistics/rx_packets"),
    )
    .trim()
    .parse()
    .expect("a counter")
}

#[test]
fn vm_apply_renames_ports_live_and_at_boot_the_mesh_survives_a_reboot_and_cables_can_be_cut() {
    let lab = TestLab::up("tvm", Backend::Vm, 2);
    eprintln!(
        "VMs up ({}) in {:.0} s",
        lab.report.accel.as_deref().unwrap_or("?"),
        lab.report.up_seconds
    );
    let spec = spec_of(&lab);
    for node in ["n2", "n3"] {
        // Kernel names before tbmesh runs; MTU from QEMU's host_mtu.
        for pci in ["0000:00:0d.0", "0000:00:0e.0"] {
            let name = nic_at(&lab, node, pci);
            assert!(!name.starts_with("en0"), "{node} {pci} is already {name}");
            assert_eq!(
                lab.sh(node, &format!("cat /sys/class/net/{name}/mtu"))
                    .trim(),
                "65520"
            );
        }
        // The OSD disk the spec names, by serial.
        lab.sh(node, &format!("test -b /dev/disk/by-id/virtio-{node}-osd0"));
    }

    // tbmesh init on the fresh VMs: PCI paths, cabling and OSD disks found
    // as the lab made them (tests/lab/init.rs).
    crate::init::vm_case(&lab);

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
    // 65492-byte DF pings between the routers: full MTU across the cables.
    mesh_reachable(&lab, 65520, Duration::from_secs(60));

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

    // Pulling a cable (QMP set_link): carrier goes on both ends, and the
    // routers still reach each other over the other cable.
    lab.link("n2:en05", LinkAction::Down);
    assert_eq!(lab.port("n3", "en05"), (true, false, 65520));
    assert_eq!(lab.port("n2", "en05"), (true, false, 65520));
    mesh_reachable(&lab, 65520, Duration::from_secs(60));
    lab.link("n2:en05", LinkAction::Up);
    assert_eq!(lab.port("n3", "en05"), (true, true, 65520));
    assert_eq!(lab.port("n2", "en05"), (true, true, 65520));

    // A deaf port: n2 hears nothing on en05, while n3 still hears n2's
    // hellos there (sent every second).
    lab.link("n2:en05", LinkAction::Silent);
    let (n2_before, n3_before) = (
        rx_packets(&lab, "n2", "en05"),
        rx_packets(&lab, "n3", "en05"),
    );
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(
        rx_packets(&lab, "n2", "en05"),
        n2_before,
        "n2:en05 received while silent"
    );
    assert!(
        rx_packets(&lab, "n3", "en05") >= n3_before + 2,
        "n3 did not receive n2's hellos"
    );
    assert!(lab.port("n2", "en05").1, "a silent port keeps its carrier");
    lab.link("n2:en05", LinkAction::Heal);
    mesh_reachable(&lab, 65520, Duration::from_secs(60));

    // tbmesh failover-test on the VMs: down and silent on n2:en05.
    crate::failover::vm_case(&lab, &spec);
}
