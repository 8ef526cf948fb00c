//! The script `tbmesh status` runs on a node: one section per subject,
//! `@@status <subject>`, each a few reads (no probe waits on the network).

use crate::shell::shell_quote;
use crate::spec::FabricMode;
use crate::topology::NodeIdx;
use crate::Cluster;
use std::fmt::Write;

pub(super) const MARK: &str = "@@status ";

/// The sysfs files read per port, `key=value` each (key = the file's name).
pub(super) const PORT_FILES: [&str; 9] = [
    "operstate",
    "carrier",
    "speed",
    "mtu",
    "carrier_changes",
    "statistics/rx_errors",
    "statistics/tx_errors",
    "statistics/rx_dropped",
    "statistics/tx_dropped",
];

/// Node `i`'s script: its ports, FRR's view (unless static) and its routes
/// to every other router.
pub fn script(c: &Cluster, i: NodeIdx) -> String {
    let mut s = String::from("export LC_ALL=C\n");
    let files = PORT_FILES.join(" ");
    for p in &c.nodes()[i].ports {
        let port = shell_quote(&p.name.value);
        let _ = writeln!(
            s,
            "echo '{MARK}port '{port}\nif [ -d /sys/class/net/{port} ]; then for f in {files}; do printf '%s=%s\\n' \"$f\" \"$(cat /sys/class/net/{port}/$f 2>/dev/null)\"; done; else echo absent; fi"
        );
    }
    if c.spec.fabric.mode.value != FabricMode::Static {
        let _ = writeln!(
            s,
            "echo '{MARK}openfabric'; vtysh -c 'show openfabric neighbor json' 2>&1"
        );
        if c.spec.fabric.bfd {
            let _ = writeln!(s, "echo '{MARK}bfd'; vtysh -c 'show bfd peers json' 2>&1");
        }
    }
    for (j, ip) in c.router_addrs().iter().enumerate() {
        if j != i {
            let (family, len) = if ip.is_ipv6() {
                ("-6", 128)
            } else {
                ("-4", 32)
            };
            let _ = writeln!(
                s,
                "echo '{MARK}route {ip}'; ip -j {family} route show {ip}/{len} 2>&1"
            );
        }
    }
    s
}
