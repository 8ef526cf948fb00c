//! The scripts apply and rollback run on a node. Generated here, purely,
//! so what runs on a host can be read and tested without one.
//!
//! On the node, an apply `ID` keeps everything under
//! `/var/lib/tbmesh/backups/ID/`: `manifest` (one line per path, in the
//! order they were first touched: `existed PATH` or `absent PATH`), `files/`
//! (the originals, with modes and owners), `rollback.sh`, `journal`.

use crate::plan::{FileChange, PlannedStep, OWNER};
use crate::render::{Phase, MANAGED};
use crate::shell::shell_quote;
use base64::Engine;
use std::fmt::Write;

pub const BACKUPS: &str = "/var/lib/tbmesh/backups";

/// Output markers the engine reads back from a phase script.
pub const MARK_FILE: &str = "@@tbmesh-file ";
pub const MARK_STEP: &str = "@@tbmesh-step ";
pub const MARK_DONE: &str = "@@tbmesh-done";

/// The systemd unit of a phase's commit-confirm timer.
pub fn confirm_unit(id: &str, phase: Phase) -> String {
    format!("tbmesh-confirm-{id}-{phase}")
}

/// Restores every file of an apply, newest change first, then reloads what
/// those files feed. Run by `tbmesh rollback` or by a confirm timer.
pub fn rollback_script(id: &str) -> String {
    format!(
        r#"#!/bin/bash
# {MANAGED}
# Restores the files apply {id} changed, then reloads what they feed.
set -u
dir={BACKUPS}/{id}
[ -f "$dir/manifest" ] || {{ echo "tbmesh: apply {id} changed nothing here"; exit 0; }}
failed=0
while read -r state path; do
    case "$state" in
        existed)
            tmp="$path.tbmesh-rollback"
            if cp -a "$dir/files$path" "$tmp" && mv -f "$tmp" "$path"; then
                echo "tbmesh: restored $path"
            else
                echo "tbmesh: could not restore $path" >&2
                failed=1
            fi
            ;;
        absent)
            rm -f "$path" && echo "tbmesh: removed $path"
            ;;
    esac
done < <(tac "$dir/manifest")
sync
echo "rolled back $(date -u +%Y-%m-%dT%H:%M:%SZ)" >> "$dir/journal"
touch "$dir/rolled-back"
systemctl daemon-reload
if [ -S /run/udev/control ]; then udevadm control --reload; fi
if grep -q ' /etc/network/' "$dir/manifest"; then ifreload -a; fi
if grep -q ' /etc/frr/' "$dir/manifest" && systemctl is-enabled -q frr.service 2>/dev/null; then
    systemctl reset-failed frr.service
    systemctl restart frr.service
fi
echo "tbmesh: apply {id} rolled back"
exit "$failed"
"#
    )
}

/// Options of one phase run.
#[derive(Debug, Clone, Default)]
pub struct PhaseRun<'a> {
    pub id: &'a str,
    pub phase: Option<Phase>,
    /// Arm a timer that rolls the apply back after this many seconds
    /// unless tbmesh confirms (network and fabric phases).
    pub confirm_secs: Option<u32>,
    /// Test-only fault injection: an extra command run after the writes.
    pub fault: Option<String>,
}

/// The script that applies one phase of a node's plan: back up, write
/// atomically, run the commands; markers report progress.
pub fn phase_script(run: &PhaseRun, files: &[&FileChange], steps: &[&PlannedStep]) -> String {
    let id = run.id;
    let phase = run.phase.map_or("all", Phase::as_str);
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s.as_bytes());
    let mut s = format!(
        r#"set -u
# A lost connection must not stop the script halfway: finish, and let the
# commit-confirm timer undo what tbmesh can no longer confirm.
trap '' HUP PIPE
umask 022
b={BACKUPS}/{id}
mkdir -p "$b/files" && chmod 700 {BACKUPS} "$b" || exit 1
echo "phase {phase} started $(date -u +%Y-%m-%dT%H:%M:%SZ)" >> "$b/journal"
if [ ! -f "$b/rollback.sh" ]; then
    base64 -d > "$b/rollback.sh.tmp" <<'TBMESH_EOF'
{rollback}
TBMESH_EOF
    chmod 700 "$b/rollback.sh.tmp" && mv -f "$b/rollback.sh.tmp" "$b/rollback.sh"
fi
backup() {{
    local p=$1
    if grep -qxF -e "existed $p" -e "absent $p" "$b/manifest" 2>/dev/null; then return 0; fi
    if [ -e "$p" ]; then
        mkdir -p "$b/files$(dirname "$p")" && cp -a "$p" "$b/files$p" || return 1
        echo "existed $p" >> "$b/manifest"
    else
        echo "absent $p" >> "$b/manifest"
    fi
    sync "$b/manifest"
}}
put() {{
    local p=$1 mode=$2 owner=$3 tmp
    mkdir -p "$(dirname "$p")" || return 1
    rm -f "$p".tbmesh.??????
    tmp=$(mktemp "$p.tbmesh.XXXXXX") || return 1
    base64 -d > "$tmp" || {{ rm -f "$tmp"; return 1; }}
    chmod "$mode" "$tmp" || return 1
    if [ -n "$owner" ]; then chown "$owner" "$tmp" || return 1; fi
    sync "$tmp" && mv -f "$tmp" "$p" && sync "$(dirname "$p")"
}}
"#,
        rollback = b64(&rollback_script(id)),
    );
    if let (Some(secs), Some(ph)) = (run.confirm_secs, run.phase) {
        let unit = confirm_unit(id, ph);
        let _ = write!(
            s,
            "systemctl stop {unit}.timer {unit}.service >/dev/null 2>&1\nsystemctl reset-failed {unit}.timer {unit}.service >/dev/null 2>&1\nsystemd-run --quiet --unit {unit} --on-active={secs}s --timer-property=AccuracySec=1s /bin/bash \"$b/rollback.sh\" </dev/null || {{ echo 'tbmesh: could not arm the commit-confirm timer' >&2; exit 1; }}\necho \"@@tbmesh-armed {unit}\"\n"
        );
    }
    for f in files {
        let p = shell_quote(&f.path);
        // Files tbmesh owns are root's; a line edit keeps the vendor's owner.
        let owner = if f.owned {
            format!("{OWNER}:{OWNER}")
        } else {
            String::new()
        };
        let _ = write!(
            s,
            "backup {p} || {{ echo 'tbmesh: backing up {path} failed' >&2; exit 1; }}\nput {p} {mode:o} '{owner}' <<'TBMESH_EOF' || {{ echo 'tbmesh: writing {path} failed' >&2; exit 1; }}\n{content}\nTBMESH_EOF\necho \"{MARK_FILE}{path}\"\n",
            path = f.path,
            mode = f.mode,
            content = b64(&f.content),
        );
    }
    if let Some(fault) = &run.fault {
        let _ = writeln!(s, "{fault} </dev/null");
    }
    // Every step is an idempotent handler (reload, restart, enable, ...):
    // a failure is tried once more, 3 s later, before the phase fails —
    // a daemon slow to start on a busy node is not a broken config.
    for (n, st) in steps.iter().enumerate() {
        let _ = write!(
            s,
            "out=$({cmd} </dev/null 2>&1); rc=$?\nif [ \"$rc\" -ne 0 ]; then sleep 3; out=\"$out\n(retried)\n$({cmd} </dev/null 2>&1)\"; rc=$?; fi\nif [ -n \"$out\" ]; then printf '%s\\n' \"$out\" | sed 's/^/    /'; fi\necho \"{MARK_STEP}{n} $rc\"\necho \"step {n} rc=$rc: \"{qcmd} >> \"$b/journal\"\nif [ \"$rc\" -ne 0 ]; then exit 1; fi\n",
            cmd = st.command,
            qcmd = shell_quote(&st.command),
        );
    }
    let _ = writeln!(
        s,
        "echo \"phase {phase} done\" >> \"$b/journal\"\necho {MARK_DONE}"
    );
    // bash reads a function whole before running it: a script cut short in
    // transit is a syntax error and runs nothing, never half a file.
    format!("tbmesh_phase() {{\n{s}}}\ntbmesh_phase\n")
}

/// Roll back every apply whose commit-confirm timer is still pending (an
/// apply that was interrupted): an unconfirmed change is never kept.
pub fn recover_script() -> String {
    format!(
        r#"set -u
for t in $(systemctl list-units --plain --no-legend --state=active 'tbmesh-confirm-*.timer' | awk '{{print $1}}'); do
    id=${{t#tbmesh-confirm-}}; id=${{id%-*.timer}}
    systemctl stop "$t" >/dev/null 2>&1
    if [ -x {BACKUPS}/"$id"/rollback.sh ] && [ ! -e {BACKUPS}/"$id"/rolled-back ]; then
        echo "recovered $id"
        {BACKUPS}/"$id"/rollback.sh </dev/null >/dev/null 2>&1 || echo "recover-failed $id"
    fi
done
exit 0
"#
    )
}

/// Confirm a phase: stop its rollback timer.
pub fn confirm_script(id: &str, phase: Phase) -> String {
    let unit = confirm_unit(id, phase);
    format!(
        "set -u\nif [ -e {BACKUPS}/{id}/rolled-back ]; then echo rolled-back; exit 1; fi\nsystemctl stop {unit}.timer\nsystemctl reset-failed {unit}.timer {unit}.service >/dev/null 2>&1\necho \"phase {phase} confirmed $(date -u +%Y-%m-%dT%H:%M:%SZ)\" >> {BACKUPS}/{id}/journal\necho confirmed\n"
    )
}

/// Roll an apply back now (and disarm its timers).
pub fn rollback_now_script(id: &str) -> String {
    format!(
        "set -u\nfor t in $(systemctl list-units --all --plain --no-legend 'tbmesh-confirm-{id}-*' | awk '{{print $1}}'); do systemctl stop \"$t\" >/dev/null 2>&1; done\nif [ ! -x {BACKUPS}/{id}/rollback.sh ]; then echo 'tbmesh: no apply {id} on this node' >&2; exit 3; fi\n{BACKUPS}/{id}/rollback.sh </dev/null\n"
    )
}

/// Applies on the node, newest last, with whether each was rolled back.
pub fn list_applies_script() -> String {
    format!(
        "for d in $(ls -1 {BACKUPS} 2>/dev/null | sort); do if [ -e {BACKUPS}/$d/rolled-back ]; then echo \"$d rolled-back\"; else echo \"$d applied\"; fi; done\n"
    )
}
