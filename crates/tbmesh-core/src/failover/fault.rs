//! The scripts that put a fault in place on a node and take it away.
//!
//! Before the fault, the inject script arms a transient systemd timer
//! (`systemd-run --on-active=`) on the node that removes it after the
//! longest allowed time, so a fault never outlives tbmesh, its ssh
//! connection or the management network. It refuses (exit 3, nothing done)
//! when the port carries tbmesh's own management connection, when the port
//! does not exist, or when an earlier fault is still in place.

use super::{Fault, FaultKind};
use crate::shell::shell_quote;

/// The nftables table of a silent fault (one fault at a time, so one name).
pub const NFT_TABLE: &str = "tbmesh_failover";
/// Transient units (timer + service) are named `<prefix><run id>-<n>`.
pub const UNIT_PREFIX: &str = "tbmesh-failover-";

/// Exit status of a script that refused before changing anything.
pub const REFUSED: i32 = 3;

/// The transient unit of the `n`th fault of run `run_id`.
pub fn unit_name(run_id: &str, n: usize) -> String {
    format!("{UNIT_PREFIX}{run_id}-{n}")
}

/// The command that puts `f` in place (on the node of [`Fault::at`]).
fn apply_command(f: &Fault) -> String {
    let port = f.at().1;
    match f.kind {
        FaultKind::Down => format!("ip link set dev {} down", shell_quote(port)),
        // On the peer: drops every frame it sends through the port (IS-IS
        // hellos from packet sockets, BFD, ARP, IP), so the faulted end
        // receives nothing; carrier stays up.
        FaultKind::Silent => format!(
            "printf '%s\\n' 'table netdev {NFT_TABLE} {{' \
             '  chain drop_egress {{' \
             '    type filter hook egress device \"{port}\" priority -500; policy drop;' \
             '  }}' '}}' | nft -f -"
        ),
    }
}

/// The command that removes `f` (what the timer runs, through /bin/sh).
fn remove_command(f: &Fault) -> String {
    match f.kind {
        FaultKind::Down => format!("ip link set dev {} up", shell_quote(f.at().1)),
        FaultKind::Silent => format!("nft delete table netdev {NFT_TABLE}"),
    }
}

/// Whether `f` is still in place: a shell test.
fn in_place_test(f: &Fault) -> String {
    match f.kind {
        FaultKind::Down => format!(
            "! ip -o link show dev {} | grep -q '[<,]UP[,>]'",
            shell_quote(f.at().1)
        ),
        FaultKind::Silent => format!("nft list table netdev {NFT_TABLE} >/dev/null 2>&1"),
    }
}

/// `mgmt_uses PORT`: prints why PORT carries tbmesh's management
/// connection (the route back to the ssh client leaves through it, or it
/// holds the address tbmesh connected to, or it is in the bridge that
/// does) and succeeds; fails when it does not.
const MGMT_USES: &str = r#"mgmt_uses() {
  p=$1
  set -- ${SSH_CONNECTION:-}
  [ $# -ge 3 ] || return 1
  client=$1 server=$3
  dev=$(ip -o route get "$client" 2>/dev/null | sed -n 's/.* dev \([^ ]*\).*/\1/p' | head -n 1)
  if [ "$dev" = "$p" ]; then
    echo "management traffic to $client (tbmesh's ssh connection) leaves through $p"; return 0
  fi
  if [ -n "$dev" ] && [ -e "/sys/class/net/$dev/brif/$p" ]; then
    echo "$p is in bridge $dev, which carries management traffic to $client"; return 0
  fi
  if ip -o addr show dev "$p" 2>/dev/null | grep -qF " $server/"; then
    echo "$p holds $server, the address tbmesh connected to"; return 0
  fi
  return 1
}
"#;

/// Checks, without changing anything, that none of `ports` carries
/// management: prints `@@mgmt <port> <why>` per port that does.
pub fn mgmt_check_script(ports: &[&str]) -> String {
    let mut s = format!("export LC_ALL=C\n{MGMT_USES}");
    for p in ports {
        let q = shell_quote(p);
        s.push_str(&format!(
            "if why=$(mgmt_uses {q}); then echo \"@@mgmt {p} $why\"; fi\n"
        ));
    }
    s
}

/// Puts `f` in place on its node, after arming `unit` to remove it after
/// `max_secs`. Prints `@@at <time>` once the fault is in place;
/// `@@refused <why>` and exit [`REFUSED`] if it changed nothing.
pub fn inject_script(f: &Fault, unit: &str, max_secs: u32) -> String {
    let port = shell_quote(f.at().1);
    let undo = remove_command(f);
    format!(
        r#"export LC_ALL=C
{MGMT_USES}refuse() {{ echo "@@refused $*"; exit {REFUSED}; }}
[ -e /sys/class/net/{port} ] || refuse "no port {port} on this node"
if why=$(mgmt_uses {port}); then refuse "$why"; fi
left=$(systemctl list-units --all --plain --no-legend '{UNIT_PREFIX}*' 2>/dev/null | awk '{{print $1}}' | tr '\n' ' ')
[ -z "$left" ] || refuse "an earlier failover-test fault is still armed ($left); it removes itself within its --max-fault-secs"
if nft list table netdev {NFT_TABLE} >/dev/null 2>&1; then refuse "nftables table netdev {NFT_TABLE} of an earlier failover-test is still in place"; fi
command -v systemd-run >/dev/null || refuse "systemd-run is missing: no way to arm the safety timer"
systemd-run --quiet --unit={unit} --on-active={max_secs}s --timer-property=AccuracySec=100ms \
  --description='tbmesh failover-test: remove the fault on {port}' /bin/sh -c {undo_q} \
  || refuse "systemd-run could not arm the safety timer"
if ! {apply}; then
  systemctl stop {unit}.timer >/dev/null 2>&1
  /bin/sh -c {undo_q} >/dev/null 2>&1
  echo "@@failed could not put the fault in place"; exit 1
fi
echo "@@at $(date +%s.%N)"
"#,
        unit = shell_quote(unit),
        undo_q = shell_quote(&undo),
        apply = apply_command(f),
    )
}

/// Removes `f` and disarms its timer (whether or not the timer already
/// removed it). Prints `@@at <time>` (taken just before the removal, as
/// the inject script's is just after the fault) and `@@gone yes|no`.
pub fn restore_script(f: &Fault, unit: &str) -> String {
    let test = in_place_test(f);
    format!(
        r#"export LC_ALL=C
systemctl stop {unit}.timer >/dev/null 2>&1
echo "@@at $(date +%s.%N)"
if {test}; then {undo}; fi
if {test}; then echo "@@gone no"; exit 1; else echo "@@gone yes"; fi
"#,
        unit = shell_quote(unit),
        undo = remove_command(f),
    )
}

/// Whether the fault of `f` is in place now (`@@in-place yes|no`) and its
/// timer armed (`@@armed yes|no`); for tests and Ctrl-C.
pub fn state_script(f: &Fault, unit: &str) -> String {
    format!(
        "export LC_ALL=C\nif {}; then echo '@@in-place yes'; else echo '@@in-place no'; fi\n\
         if systemctl is-active --quiet {}.timer; then echo '@@armed yes'; else echo '@@armed no'; fi\n",
        in_place_test(f),
        shell_quote(unit)
    )
}

/// What a fault script said.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Said {
    pub at: Option<f64>,
    pub refused: Option<String>,
    pub failed: Option<String>,
    pub gone: Option<bool>,
    /// `(port, why)` from [`mgmt_check_script`].
    pub mgmt: Vec<(String, String)>,
}

pub fn parse_said(out: &str) -> Said {
    let mut s = Said::default();
    for line in out.lines().map(str::trim) {
        if let Some(t) = line.strip_prefix("@@at ") {
            s.at = t.trim().parse().ok();
        } else if let Some(r) = line.strip_prefix("@@refused ") {
            s.refused = Some(r.to_string());
        } else if let Some(r) = line.strip_prefix("@@failed ") {
            s.failed = Some(r.to_string());
        } else if let Some(g) = line.strip_prefix("@@gone ") {
            s.gone = Some(g.trim() == "yes");
        } else if let Some(m) = line.strip_prefix("@@mgmt ") {
            let (p, why) = m.split_once(' ').unwrap_or((m, ""));
            s.mgmt.push((p.to_string(), why.to_string()));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failover::{faults, tests::lab3};

    fn fault(kind: FaultKind) -> Fault {
        let c = lab3();
        faults(&c, Some(("n2", "en05")), &[kind]).expect("faults")[0].clone()
    }

    #[test]
    fn the_timer_is_armed_before_the_fault() {
        let s = inject_script(&fault(FaultKind::Down), "tbmesh-failover-x-0", 30);
        let armed = s.find("systemd-run --quiet --unit=tbmesh-failover-x-0 --on-active=30s");
        let applied = s.find("if ! ip link set dev en05 down; then");
        assert!(
            armed.is_some() && applied.is_some() && armed < applied,
            "{s}"
        );
        assert!(s.contains("/bin/sh -c 'ip link set dev en05 up'"), "{s}");
        assert!(s.find("mgmt_uses en05") < armed, "{s}");
    }

    #[test]
    fn silent_is_an_egress_drop_on_the_peer_removed_as_a_table() {
        // n2:en05 silent: n3 (the other end) stops sending on its en05.
        let f = fault(FaultKind::Silent);
        assert_eq!((f.node, f.port.as_str()), (0, "en05"));
        assert_eq!(f.at(), (1, "en05"));
        let s = inject_script(&f, "u", 20);
        assert!(
            s.contains("'    type filter hook egress device \"en05\" priority -500; policy drop;'")
        );
        assert!(!s.contains("hook ingress"), "{s}");
        assert!(s.contains("/bin/sh -c 'nft delete table netdev tbmesh_failover'"));
        let r = restore_script(&f, "u");
        assert!(
            r.starts_with("export LC_ALL=C\nsystemctl stop u.timer"),
            "{r}"
        );
        assert!(r.contains(
            "if nft list table netdev tbmesh_failover >/dev/null 2>&1; then nft delete table"
        ));
        // Down stays on the faulted end itself.
        let d = fault(FaultKind::Down);
        assert_eq!(d.at(), (0, "en05"));
    }

    #[test]
    fn what_the_scripts_print_is_read() {
        let s = parse_said(
            "@@at 1764632000.5\n@@gone yes\n@@mgmt en05 en05 holds 10.0.0.1, the address\n",
        );
        assert_eq!(s.at, Some(1764632000.5));
        assert_eq!(s.gone, Some(true));
        assert_eq!(
            s.mgmt,
            [(
                "en05".to_string(),
                "en05 holds 10.0.0.1, the address".to_string()
            )]
        );
        let s = parse_said("@@refused no port en09 on this node\n");
        assert_eq!(s.refused.as_deref(), Some("no port en09 on this node"));
        assert!(mgmt_check_script(&["en05", "en06"])
            .contains("if why=$(mgmt_uses en06); then echo \"@@mgmt en06 $why\"; fi"));
    }
}
