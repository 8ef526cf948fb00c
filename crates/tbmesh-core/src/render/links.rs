//! Phase `links`: Thunderbolt modules loaded early, `.link` files that name
//! ports by PCI path, runtime power management off, live renaming.

use super::{hash_header, ManagedFile, NodeRender, Phase};
use crate::Cluster;

pub const TB_DRIVER: &str = "thunderbolt-net";

pub fn render(c: &Cluster, i: usize, r: &mut NodeRender) {
    let node = &c.nodes()[i];
    // Only ports named by PCI path are known to be Thunderbolt controllers;
    // a port declared `{}` (already named: a NIC, a veth) gets none of this.
    let thunderbolt = node
        .ports
        .iter()
        .any(|p| p.pci.is_some() && p.driver == TB_DRIVER);
    if thunderbolt {
        // Listed for early load, so a cold boot of every node at once brings
        // the ports up without waiting for a cable event (PITFALLS 3).
        r.files.push(ManagedFile {
            phase: Phase::Links,
            path: "/etc/modules-load.d/tbmesh.conf".into(),
            mode: 0o644,
            content: format!("{}thunderbolt\nthunderbolt_net\n", hash_header()),
        });
        // Runtime power management makes TB links flap (PITFALLS 12).
        r.files.push(ManagedFile {
            phase: Phase::Links,
            path: "/etc/udev/rules.d/70-tbmesh-thunderbolt-power.rules".into(),
            mode: 0o644,
            content: format!(
                "{}ACTION==\"add\", SUBSYSTEM==\"thunderbolt\", ATTR{{power/control}}=\"on\"\n",
                hash_header()
            ),
        });
    }
    let renamed: Vec<_> = node.ports.iter().filter(|p| p.pci.is_some()).collect();
    for p in &renamed {
        let Some(pci) = &p.pci else { continue };
        // 00- sorts before Proxmox's MAC-based 50-pve-*/50-pmx-* pins;
        // thunderbolt-net MACs change on every plug-in, the path does not.
        r.files.push(ManagedFile {
            phase: Phase::Links,
            path: format!("/etc/systemd/network/00-tbmesh-{}.link", p.name),
            mode: 0o644,
            content: format!(
                "{}[Match]\nPath=pci-{pci}\nDriver={}\n\n[Link]\nMACAddressPolicy=none\nName={}\n",
                hash_header(),
                p.driver,
                p.name
            ),
        });
    }
    if !renamed.is_empty() {
        r.files.push(ManagedFile {
            phase: Phase::Links,
            path: "/usr/local/lib/tbmesh/rename-ports".into(),
            mode: 0o755,
            content: rename_script(renamed.iter().filter_map(|p| {
                p.pci
                    .as_ref()
                    .map(|pci| (p.name.as_str(), pci.as_str(), p.driver.as_str()))
            })),
        });
    }
}

/// A script that renames, without a reboot, ports that still carry another
/// name: it finds each interface whose udev ID_PATH and driver match.
fn rename_script<'a>(ports: impl Iterator<Item = (&'a str, &'a str, &'a str)>) -> String {
    let mut table = String::new();
    for (name, pci, driver) in ports {
        table.push_str(&format!("rename_port {name} pci-{pci} {driver}\n"));
    }
    format!(
        r#"#!/bin/bash
# {managed}
# Renames mesh ports that still carry a kernel name (thunderbolt0, ens13, ...)
# to the names their .link files give them, matching udev's ID_PATH.
set -u
failed=0

rename_port() {{
    local want=$1 path=$2 driver=$3 dev id_path dev_driver
    if [ -e "/sys/class/net/$want" ]; then
        return 0
    fi
    for dev in /sys/class/net/*; do
        dev=${{dev##*/}}
        id_path=$(udevadm info -q property -p "/sys/class/net/$dev" 2>/dev/null | sed -n 's/^ID_PATH=//p')
        dev_driver=$(basename "$(readlink -f "/sys/class/net/$dev/device/driver" 2>/dev/null)" 2>/dev/null)
        local driver_alt=${{driver//-/_}}
        if [ "$id_path" = "$path" ] && {{ [ "$dev_driver" = "$driver" ] || [ "$dev_driver" = "$driver_alt" ]; }}; then
            echo "tbmesh: renaming $dev to $want ($path)"
            if ! {{ ip link set dev "$dev" down &&
                ip link set dev "$dev" name "$want" &&
                ip link set dev "$want" up; }}; then
                echo "tbmesh: renaming $dev to $want failed" >&2
                failed=1
            fi
            return 0
        fi
    done
    echo "tbmesh: no interface found at $path for $want (cable or module missing?)" >&2
}}

{table}exit "$failed"
"#,
        managed = super::MANAGED,
    )
}
