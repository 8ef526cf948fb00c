//! VM backend: a real kernel and udev, so tbmesh-style .link files rename
//! the ring ports by PCI path, as on TB4 hardware. Slow under TCG.

use tbmesh_lab::lab::{LinkAction, Power};
use tbmesh_lab::state::Backend;

use crate::support::TestLab;

/// The ring NIC at a PCI address, as the guest names it.
fn nic_at(lab: &TestLab, node: &str, pci: &str) -> String {
    lab.sh(
        node,
        // virtio-net: the netdev hangs off the virtio device below the PCI one.
        &format!("ls /sys/bus/pci/devices/{pci}/virtio*/net/"),
    )
    .trim()
    .to_string()
}

#[test]
fn vm_ports_are_renamed_by_link_files_and_cables_can_be_cut() {
    let lab = TestLab::up("tvm", Backend::Vm, 2);
    eprintln!(
        "VMs up ({}) in {:.0} s",
        lab.report.accel.as_deref().unwrap_or("?"),
        lab.report.up_seconds
    );
    let prepare = |node: &str| {
        // Kernel names first, MTU from host_mtu.
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
        // What tbmesh's links phase writes: match by PCI path, rename;
        // the initramfs names NICs too, so it gets the files as well.
        for (port, pci) in [("en05", "0000:00:0d.0"), ("en06", "0000:00:0e.0")] {
            lab.sh(
                node,
                &format!(
                    "printf '[Match]\\nPath=pci-{pci}\\nDriver=virtio_net\\n\\n[Link]\\nName={port}\\n' > /etc/systemd/network/00-tbmesh-{port}.link"
                ),
            );
        }
        lab.sh(node, "update-initramfs -u");
        lab.boot_id(node)
    };
    // Both nodes at once: under TCG each step takes a while.
    let boots: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = ["n2", "n3"]
            .into_iter()
            .map(|n| s.spawn(move || prepare(n)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("prepare a node"))
            .collect()
    });
    for node in ["n2", "n3"] {
        lab.power_nowait(node, Power::Reboot { hard: false });
    }
    for (node, old) in ["n2", "n3"].into_iter().zip(boots) {
        lab.wait_new_boot(node, &old);
        assert_eq!(nic_at(&lab, node, "0000:00:0d.0"), "en05");
        assert_eq!(nic_at(&lab, node, "0000:00:0e.0"), "en06");
        // Nothing configures them yet (tbmesh's network phase would).
        lab.sh(node, "ip link set en05 up && ip link set en06 up");
        assert_eq!(lab.port(node, "en05"), (true, true, 65520));
    }

    // A full-size DF frame crosses the cable.
    lab.sh("n2", "ip addr add 169.254.5.1/30 dev en05");
    lab.sh("n3", "ip addr add 169.254.5.2/30 dev en05");
    lab.sh("n2", "ping -c 2 -W 5 -M do -s 65492 169.254.5.2");

    // Pulling the cable: carrier goes on both ends.
    lab.link("n2:en05", LinkAction::Down);
    assert_eq!(lab.port("n3", "en05"), (true, false, 65520));
    assert_eq!(lab.port("n2", "en05"), (true, false, 65520));
    lab.link("n2:en05", LinkAction::Up);
    assert_eq!(lab.port("n3", "en05"), (true, true, 65520));
    lab.sh("n2", "ping -c 1 -W 5 169.254.5.2");

    // Deaf port: n2 hears nothing on en05, n3 still hears n2.
    lab.link("n2:en05", LinkAction::Silent);
    let rx = |node: &str| -> u64 {
        lab.sh(node, "cat /sys/class/net/en05/statistics/rx_packets")
            .trim()
            .parse()
            .expect("a counter")
    };
    let (n2_before, n3_before) = (rx("n2"), rx("n3"));
    assert!(!lab
        .ssh("n2", "ping -c 3 -i 0.3 -W 2 169.254.5.2")
        .status
        .success());
    assert_eq!(rx("n2"), n2_before, "n2:en05 received while silent");
    assert!(rx("n3") >= n3_before + 3, "n3 did not receive n2's pings");
    lab.link("n2:en05", LinkAction::Heal);
    lab.sh("n2", "ping -c 1 -W 5 169.254.5.2");
}
