//! The commands bench runs on a node. Every value comes from the validated
//! spec (addresses, port names) or from numbers, and is quoted.

use crate::shell::shell_quote as q;
use std::net::Ipv4Addr;

/// The TCP port of the run's iperf3 servers.
pub const IPERF_PORT: u16 = 5201;

/// The transient unit holding a node's iperf3 server for one run.
pub fn server_unit(run_id: &str) -> String {
    format!("tbmesh-bench-{run_id}")
}

/// Starts the iperf3 server bound to the router address as a transient
/// systemd unit that systemd stops after `max_secs` whatever happens to
/// tbmesh (Ctrl-C, a lost connection).
pub fn start_server(unit: &str, bind: Ipv4Addr, max_secs: u64) -> String {
    format!(
        "systemd-run --quiet --collect --unit={} --property=RuntimeMaxSec={max_secs} iperf3 --server --bind {} --port {IPERF_PORT}\n\
         for i in $(seq 50); do ss -Hltn 'sport = :{IPERF_PORT}' | grep -q . && exit 0; sleep 0.1; done\n\
         echo 'iperf3 server did not start' >&2; systemctl status {} >&2; exit 1\n",
        q(unit),
        bind,
        q(unit)
    )
}

/// Stops the run's server (nothing if it is gone already).
pub fn stop_server(unit: &str) -> String {
    format!(
        "systemctl stop {u} 2>/dev/null; systemctl reset-failed {u} 2>/dev/null; true\n",
        u = q(unit)
    )
}

/// One iperf3 TCP client run from `from` out of `port` to `to`, as JSON.
/// Bound to the port so the run measures that cable even where routing
/// would choose another path.
pub fn client(from: Ipv4Addr, port: &str, to: Ipv4Addr, secs: u32, streams: u32) -> String {
    format!(
        "iperf3 --client {to} --bind {from} --bind-dev {} --port {IPERF_PORT} --time {secs} --parallel {streams} --json\n",
        q(port)
    )
}

/// `count` pings of `size` bytes of payload with DF set, from the router
/// address; exits 0 even when replies are lost (the parser counts them).
pub fn ping(from: Ipv4Addr, to: Ipv4Addr, size: u32, count: u32) -> String {
    format!("ping -n -c {count} -i 0.02 -W 2 -M do -s {size} -I {from} {to}; true\n")
}

/// For each port: its name, driver (`ethtool -i`) and speed in Mb/s.
pub fn port_info(ports: &[String]) -> String {
    let list: Vec<String> = ports.iter().map(|p| q(p)).collect();
    format!(
        "for p in {}; do d=$(ethtool -i \"$p\" 2>/dev/null | sed -n 's/^driver: //p'); s=$(cat /sys/class/net/\"$p\"/speed 2>/dev/null); echo \"$p ${{d:--}} ${{s:--}}\"; done\n",
        list.join(" ")
    )
}

/// Reads `port_info` output: (port, driver, speed in Mb/s if reported).
pub fn parse_port_info(text: &str) -> Vec<(String, String, Option<i64>)> {
    text.lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let port = w.next()?.to_string();
            let driver = w.next().unwrap_or("-").to_string();
            let speed = w.next().and_then(|s| s.parse().ok());
            Some((port, driver, speed))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_quoted_and_bounded() {
        let s = start_server("tbmesh-bench-x", Ipv4Addr::new(10, 100, 0, 12), 300);
        assert!(s.starts_with("systemd-run --quiet --collect --unit=tbmesh-bench-x --property=RuntimeMaxSec=300 iperf3 --server --bind 10.100.0.12 --port 5201\n"), "{s}");
        let c = client(
            Ipv4Addr::new(10, 100, 0, 12),
            "en05",
            Ipv4Addr::new(10, 100, 0, 13),
            10,
            4,
        );
        assert_eq!(c, "iperf3 --client 10.100.0.13 --bind 10.100.0.12 --bind-dev en05 --port 5201 --time 10 --parallel 4 --json\n");
        assert_eq!(
            parse_port_info("en05 veth 10000\nen06 thunderbolt-net -1\nen07 - -\n"),
            vec![
                ("en05".into(), "veth".into(), Some(10000)),
                ("en06".into(), "thunderbolt-net".into(), Some(-1)),
                ("en07".into(), "-".into(), None),
            ]
        );
    }
}
