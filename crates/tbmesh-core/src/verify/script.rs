//! The probe script a node runs.

use super::expect::{boot_units, full_size, full_size6, max_ttl};
use crate::shell::shell_quote;
use crate::spec::FabricMode;
use crate::topology::NodeIdx;
use crate::Cluster;
use std::fmt::Write;

/// How long one ping probe lasts at most, seconds. It sends every
/// [`PING_INTERVAL`] s until the first answer or ICMP error, so a lost
/// packet (or an ARP retry, 1 s apart) does not pass for "no answer".
/// Every probe runs in parallel: this bounds the probe script's time.
const PING_DEADLINE_SECS: u32 = 2;
const PING_INTERVAL: &str = "0.2";

/// The script node `i` runs: every probe in parallel, each printing a
/// section `@@verify <probe>` … `@@rc <status>`, in a fixed order.
pub fn probe_script(c: &Cluster, i: NodeIdx) -> String {
    // IPv6-only: no IPv4 router address, and no IPv4 probes below.
    let own = c
        .router_ips
        .get(i)
        .map(|ip| ip.to_string())
        .unwrap_or_default();
    let size = full_size(c.spec.fabric.mtu.value);
    let deadline = PING_DEADLINE_SECS.to_string();
    // `ping -n [extra] -c 1 -i 0.2 -w 2 -I <from> <ip>`
    let ping_from = |from: &str, extra: &[&str], ip: &str| -> Vec<String> {
        let mut v = vec!["ping", "-n"];
        v.extend_from_slice(extra);
        v.extend([
            "-c",
            "1",
            "-i",
            PING_INTERVAL,
            "-w",
            &deadline,
            "-I",
            from,
            ip,
        ]);
        v.into_iter().map(str::to_string).collect()
    };
    let ping = |extra: &[&str], ip: &str| ping_from(&own, extra, ip);
    let mut s = String::from(
        r#"export LC_ALL=C
d=$(mktemp -d) || exit 1
trap 'rm -rf "$d"' EXIT
# run FILE HEADER CMD...: one probe's section, written to its own file.
run() {
  f=$1 h=$2; shift 2
  o=$("$@" 2>&1); r=$?
  printf '@@verify %s\n%s\n@@rc %s\n' "$h" "$o" "$r" >"$d/$f"
}
# nd FILE PORT: who answers the all-nodes multicast on PORT (not us: -L),
# then ping each answer by unicast so the neighbour table holds its MAC.
# A port without carrier is not asked (it would only wait for the deadline).
nd() {
  f=$1 p=$2
  if [ "$(cat "/sys/class/net/$p/carrier" 2>/dev/null)" = 1 ]; then
    o=$(ping -6 -L -n -c 1 -i 0.2 -w 2 "ff02::1%$p" 2>&1); r=$?
  else
    o="ping: no carrier"; r=1
  fi
  for a in $(printf '%s\n' "$o" | sed -n 's/^[0-9]* bytes from \(fe80:[0-9a-f:]*\)%.*/\1/p'); do
    ping -6 -n -c 1 -W 1 "$a%$p" >/dev/null 2>&1
  done
  n=$(ip -j -6 neigh show dev "$p" 2>&1); nr=$?
  printf '@@verify nd %s\n%s\n@@rc %s\n@@verify neigh %s\n%s\n@@rc %s\n' "$p" "$o" "$r" "$p" "$n" "$nr" >"$d/$f"
}
"#,
    );
    // (shell function, its arguments after the output file), in output order.
    let mut jobs: Vec<(&str, String)> = vec![];
    let run = |jobs: &mut Vec<(&str, String)>, head: String, argv: &[&str]| {
        let cmd: Vec<String> = argv.iter().map(|a| shell_quote(a)).collect();
        jobs.push(("run", format!("{} {}", shell_quote(&head), cmd.join(" "))));
    };
    for p in &c.nodes()[i].ports {
        jobs.push(("nd", shell_quote(&p.name)));
    }
    for (j, ip) in c.router_ips.iter().enumerate() {
        if j == i {
            continue;
        }
        let ip = ip.to_string();
        for (head, sz) in [("mtu", size), ("over", size + 1)] {
            let argv = ping(&["-M", "do", "-s", &sz.to_string()], &ip);
            run(&mut jobs, format!("{head} {ip}"), &refs(&argv));
        }
        run(
            &mut jobs,
            format!("route {ip}"),
            &["ip", "-j", "route", "get", &ip, "from", &own],
        );
        for t in 1..=max_ttl(c) {
            let argv = ping(&["-t", &t.to_string()], &ip);
            run(&mut jobs, format!("ttl {ip} {t}"), &refs(&argv));
        }
    }
    // Dual stack: DF pings between the IPv6 router addresses.
    if let Some(own6) = c.router_ip6s.get(i) {
        let (own6, size6) = (own6.to_string(), full_size6(c.spec.fabric.mtu.value));
        for (j, ip6) in c.router_ip6s.iter().enumerate() {
            if j == i {
                continue;
            }
            let ip6 = ip6.to_string();
            for (head, sz) in [("mtu6", size6), ("over6", size6 + 1)] {
                let argv = ping_from(&own6, &["-6", "-M", "do", "-s", &sz.to_string()], &ip6);
                run(&mut jobs, format!("{head} {ip6}"), &refs(&argv));
            }
        }
    }
    if c.spec.fabric.mode.value != FabricMode::Static {
        run(
            &mut jobs,
            "openfabric".into(),
            &["vtysh", "-c", "show openfabric neighbor json"],
        );
        if c.spec.fabric.bfd {
            run(
                &mut jobs,
                "bfd".into(),
                &["vtysh", "-c", "show bfd peers json"],
            );
        }
    }
    for u in boot_units(c) {
        run(
            &mut jobs,
            format!("unit {u}"),
            &[
                "systemctl",
                "show",
                "-p",
                "LoadState",
                "-p",
                "ActiveState",
                "-p",
                "UnitFileState",
                u,
            ],
        );
    }
    for (n, (func, args)) in jobs.iter().enumerate() {
        let _ = writeln!(s, "{func} {n:04} {args} &");
    }
    s.push_str("wait\ncat \"$d\"/*\n");
    s
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}
