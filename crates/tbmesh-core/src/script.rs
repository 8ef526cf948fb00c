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

/// One marker per armed commit-confirm (`ID-PHASE`, holding the apply id),
/// removed when the phase is confirmed or rolled back. A marker left at boot
/// is an apply nobody confirmed: the boot unit rolls it back.
pub const PENDING: &str = "/var/lib/tbmesh/pending";
/// The boot unit that rolls back unconfirmed applies, and its script.
pub const BOOT_UNIT: &str = "tbmesh-unconfirmed.service";
pub const BOOT_SCRIPT: &str = "/var/lib/tbmesh/rollback-unconfirmed.sh";

/// Output markers the engine reads back from a phase script.
pub const MARK_FILE: &str = "@@tbmesh-file ";
pub const MARK_STEP: &str = "@@tbmesh-step ";
pub const MARK_DONE: &str = "@@tbmesh-done";

/// Seconds a commit-confirm timer adds, while its phase runs, for the
/// phase's steps; once they are done it is armed again for the confirm
/// timeout alone.
pub const STEPS_ALLOWANCE: u32 = 600;

/// The command that arms `unit`: `rollback.sh` of the apply in `$b` after `secs`.
fn arm_timer(unit: &str, secs: u32) -> String {
    format!("systemd-run --quiet --unit {unit} --on-active={secs}s --timer-property=AccuracySec=1s /bin/bash \"$b/rollback.sh\" </dev/null")
}

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
# With `boot` (run early in boot, before networking and FRR start) it only
# restores files and reloads systemd: what starts later reads them.
set -u
mode=${{1:-now}}
dir={BACKUPS}/{id}
[ -f "$dir/manifest" ] || {{ rm -f {PENDING}/{id}-*; echo "tbmesh: apply {id} changed nothing here"; exit 0; }}
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
if [ "$mode" = boot ]; then
    echo "rolled back at boot $(date -u +%Y-%m-%dT%H:%M:%SZ)" >> "$dir/journal"
else
    echo "rolled back $(date -u +%Y-%m-%dT%H:%M:%SZ)" >> "$dir/journal"
fi
touch "$dir/rolled-back"
rm -f {PENDING}/{id}-*
sync "$dir/journal" {PENDING} 2>/dev/null
systemctl daemon-reload
if [ -S /run/udev/control ]; then udevadm control --reload; fi
# Renamed ports come from .link files, which the initramfs also carries:
# restore it too, or the rename comes back at the next boot.
if grep -q ' /etc/systemd/network/.*\.link$' "$dir/manifest" && command -v update-initramfs >/dev/null; then
    update-initramfs -u || failed=1
fi
if [ "$mode" = boot ]; then echo "tbmesh: apply {id} rolled back at boot"; exit "$failed"; fi
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
    /// unless tbmesh confirms (links, network and fabric phases).
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
    let confirm = run.confirm_secs.zip(run.phase);
    if let Some((secs, ph)) = confirm {
        let unit = confirm_unit(id, ph);
        s.push_str(&arm_boot_rollback(id, ph));
        // While the phase runs, the timer also covers its steps (a slow
        // `update-initramfs` under emulation takes minutes); it is armed
        // again for `secs` once they are done (below).
        let _ = write!(
            s,
            "systemctl stop {unit}.timer {unit}.service >/dev/null 2>&1\nsystemctl reset-failed {unit}.timer {unit}.service >/dev/null 2>&1\n{arm} || {{ echo 'tbmesh: could not arm the commit-confirm timer' >&2; exit 1; }}\necho \"@@tbmesh-armed {unit}\"\n",
            arm = arm_timer(&unit, secs + STEPS_ALLOWANCE),
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
    if let Some((secs, ph)) = confirm {
        // The confirm window starts when the change is complete: the timer
        // armed again for `secs`, unless it already fired (then the phase
        // failed: its files are restored). Not armed again → roll back now.
        let unit = confirm_unit(id, ph);
        let _ = write!(
            s,
            "systemctl stop {unit}.timer >/dev/null 2>&1\nif [ -e \"$b/rolled-back\" ] || systemctl is-active --quiet {unit}.service; then echo 'tbmesh: the commit-confirm timer fired before the phase was done (its steps took longer than the confirm timeout + {STEPS_ALLOWANCE} s)' >&2; exit 1; fi\nsystemctl reset-failed {unit}.timer {unit}.service >/dev/null 2>&1\n{arm} || {{ echo 'tbmesh: could not arm the commit-confirm timer again; rolling back' >&2; /bin/bash \"$b/rollback.sh\" </dev/null; exit 1; }}\n",
            arm = arm_timer(&unit, secs),
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

/// The unit that rolls back, early in every boot, the applies whose
/// commit-confirm was still pending when the node went down (the timer is
/// transient and dies with the boot; the marker does not).
pub fn boot_unit() -> String {
    format!(
        r#"# {MANAGED}
[Unit]
Description=tbmesh: roll back an apply left unconfirmed when the node went down
DefaultDependencies=no
After=local-fs.target
Before=sysinit.target network-pre.target networking.service tbmesh-links.service frr.service ceph.target shutdown.target
Wants=network-pre.target
Conflicts=shutdown.target
ConditionDirectoryNotEmpty={PENDING}

[Service]
Type=oneshot
ExecStart=/bin/bash {BOOT_SCRIPT}

[Install]
WantedBy=sysinit.target
"#
    )
}

/// What the boot unit runs: each pending apply is rolled back (files only;
/// networking and FRR start after it), its marker removed.
pub fn boot_rollback_script() -> String {
    format!(
        r#"#!/bin/bash
# {MANAGED}
set -u
failed=0
for m in {PENDING}/*; do
    [ -f "$m" ] || continue
    id=$(cat "$m")
    case "$id" in *[!A-Za-z0-9-]*|'') rm -f "$m"; continue;; esac
    if [ -x {BACKUPS}/"$id"/rollback.sh ] && [ ! -e {BACKUPS}/"$id"/rolled-back ]; then
        echo "tbmesh: apply $id was not confirmed before the node went down; rolling it back"
        {BACKUPS}/"$id"/rollback.sh boot </dev/null || failed=1
    fi
    rm -f "$m"
done
sync {PENDING}
exit "$failed"
"#
    )
}

/// Part of a confirmed phase, before anything is written: install (once)
/// and enable the boot unit, then leave the phase's pending marker, synced.
fn arm_boot_rollback(id: &str, phase: Phase) -> String {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s.as_bytes());
    let unit_path = format!("/etc/systemd/system/{BOOT_UNIT}");
    format!(
        r#"install_if_changed() {{
    local p=$1 mode=$2 tmp
    tmp=$(mktemp "$p.tbmesh.XXXXXX") || return 1
    base64 -d > "$tmp" || {{ rm -f "$tmp"; return 1; }}
    if cmp -s "$tmp" "$p"; then rm -f "$tmp"; return 0; fi
    chmod "$mode" "$tmp" && sync "$tmp" && mv -f "$tmp" "$p" && sync "$(dirname "$p")"
}}
install_if_changed {BOOT_SCRIPT} 700 <<'TBMESH_EOF' || {{ echo 'tbmesh: could not install {BOOT_SCRIPT}' >&2; exit 1; }}
{script}
TBMESH_EOF
install_if_changed {unit_path} 644 <<'TBMESH_EOF' || {{ echo 'tbmesh: could not install {unit_path}' >&2; exit 1; }}
{unit}
TBMESH_EOF
if ! systemctl is-enabled -q {BOOT_UNIT} 2>/dev/null; then
    systemctl enable --no-reload -q {BOOT_UNIT} || {{ echo 'tbmesh: could not enable {BOOT_UNIT}' >&2; exit 1; }}
fi
mkdir -p {PENDING} && echo {id} > {PENDING}/{id}-{phase}.tmp && sync {PENDING}/{id}-{phase}.tmp && mv -f {PENDING}/{id}-{phase}.tmp {PENDING}/{id}-{phase} && sync {PENDING} || {{ echo 'tbmesh: could not record the pending confirm' >&2; exit 1; }}
"#,
        script = b64(&boot_rollback_script()),
        unit = b64(&boot_unit()),
    )
}

/// Roll back every apply whose commit-confirm is still pending (an apply
/// that was interrupted: its timer still runs, or only its marker is left):
/// an unconfirmed change is never kept.
pub fn recover_script() -> String {
    format!(
        r#"set -u
for m in {PENDING}/*; do
    [ -f "$m" ] || continue
    id=$(cat "$m")
    case "$id" in *[!A-Za-z0-9-]*|'') rm -f "$m"; continue;; esac
    for t in $(systemctl list-units --all --plain --no-legend "tbmesh-confirm-$id-*" | awk '{{print $1}}'); do systemctl stop "$t" >/dev/null 2>&1; done
    if [ -x {BACKUPS}/"$id"/rollback.sh ] && [ ! -e {BACKUPS}/"$id"/rolled-back ]; then
        echo "recovered $id"
        {BACKUPS}/"$id"/rollback.sh </dev/null >/dev/null 2>&1 || echo "recover-failed $id"
    fi
    rm -f "$m"
done
# Confirm timers are transient units (systemd-run): without one of their
# files, no timer is active and systemctl (~10 ms) need not be asked.
timers=
for t in /run/systemd/transient/tbmesh-confirm-*.timer; do [ -e "$t" ] && timers=1; done
[ -n "$timers" ] && for t in $(systemctl list-units --plain --no-legend --state=active 'tbmesh-confirm-*.timer' | awk '{{print $1}}'); do
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
        "set -u\nif [ -e {BACKUPS}/{id}/rolled-back ]; then echo rolled-back; exit 1; fi\nsystemctl stop {unit}.timer\nsystemctl reset-failed {unit}.timer {unit}.service >/dev/null 2>&1\nrm -f {PENDING}/{id}-{phase} && sync {PENDING}\necho \"phase {phase} confirmed $(date -u +%Y-%m-%dT%H:%M:%SZ)\" >> {BACKUPS}/{id}/journal\necho confirmed\n"
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Action;

    fn links_phase(confirm: Option<u32>) -> String {
        let file = FileChange {
            phase: Phase::Links,
            path: "/etc/systemd/network/00-tbmesh-en05.link".into(),
            action: Action::Create,
            mode: 0o644,
            owned: true,
            content: "[Match]\n".into(),
            diff: String::new(),
        };
        let step = PlannedStep {
            phase: Phase::Links,
            command: "update-initramfs -u -k all".into(),
            argv: vec![],
            certain: true,
            why: String::new(),
        };
        let run = PhaseRun {
            id: "20261202T000000Z",
            phase: Some(Phase::Links),
            confirm_secs: confirm,
            fault: None,
        };
        phase_script(&run, &[&file], &[&step])
    }

    /// The confirm window counts from the end of the phase: a step that
    /// takes minutes (update-initramfs on a slow node) must not let the
    /// timer roll the phase back before tbmesh can confirm it.
    #[test]
    fn the_confirm_timer_covers_the_steps_and_is_armed_again_after_them() {
        let s = links_phase(Some(120));
        let unit = "tbmesh-confirm-20261202T000000Z-links";
        let first = s
            .find(&format!(
                "--unit {unit} --on-active={}s",
                120 + STEPS_ALLOWANCE
            ))
            .expect("armed with the steps' allowance");
        let write = s.find("put /etc/systemd/network/").expect("the write");
        let step = s.find("out=$(update-initramfs").expect("the step");
        let again = s
            .find(&format!("--unit {unit} --on-active=120s"))
            .expect("armed again for the confirm timeout");
        let done = s.find(&format!("echo {MARK_DONE}")).expect("done marker");
        assert!(
            first < write && write < step && step < again && again < done,
            "{s}"
        );
        // Not armed again when the timer already fired during the steps.
        let fired = s.find("if [ -e \"$b/rolled-back\" ] || systemctl is-active --quiet");
        assert!(fired.is_some_and(|f| step < f && f < again), "{s}");
        let syntax = std::process::Command::new("bash")
            .args(["-n", "-c", &s])
            .output()
            .expect("bash");
        assert!(
            syntax.status.success(),
            "{}",
            String::from_utf8_lossy(&syntax.stderr)
        );
    }

    #[test]
    fn a_phase_without_commit_confirm_arms_nothing() {
        let s = links_phase(None);
        assert!(!s.contains("systemd-run"), "{s}");
        assert!(!s.contains("tbmesh-confirm-"), "{s}");
    }
}
