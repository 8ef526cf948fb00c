//! `tbmesh maintenance NODE on|off`: Ceph's `noout` flag for one host's
//! OSDs only (`ceph osd set-group noout <host>` / `unset-group`), so a node
//! that is down for a reboot does not have its OSDs marked out (and its data
//! copied elsewhere) while the rest of the cluster keeps its usual timers.
//! One script reads the flags, changes them, and reads them again.

use super::state::parse_osds;
use crate::shell::shell_quote;
use serde::Serialize;
use serde_json::Value;

const MARK: &str = "@@maint ";
/// Each `ceph` call is bounded: a cluster without quorum must not hang us.
const CEPH_TIMEOUT_SECS: u32 = 30;

/// The script, run on a node with the admin keyring. `want`: `Some(true)`
/// sets the flag, `Some(false)` clears it, `None` only reads.
pub fn script(host: &str, want: Option<bool>) -> String {
    let t = CEPH_TIMEOUT_SECS;
    let mut s = format!(
        "export LC_ALL=C\n\
         if ! [ -r /etc/ceph/ceph.conf ] || ! [ -r /etc/ceph/ceph.client.admin.keyring ]; then echo '{MARK}none'; exit 0; fi\n\
         echo '{MARK}before'; timeout {t} ceph osd dump -f json 2>&1\n"
    );
    if let Some(on) = want {
        let verb = if on { "set-group" } else { "unset-group" };
        s.push_str(&format!(
            "echo '{MARK}change'; timeout {t} ceph osd {verb} noout {} 2>&1; echo \"@@rc $?\"\n\
             echo '{MARK}after'; timeout {t} ceph osd dump -f json 2>&1\n",
            shell_quote(host)
        ));
    }
    s.push_str(&format!(
        "echo '{MARK}tree'; timeout {t} ceph osd tree -f json 2>&1\n"
    ));
    s
}

/// One host's maintenance state, as Ceph reports it after the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Maintenance {
    pub node: String,
    /// `noout` is set on the host's CRUSH bucket.
    pub noout: bool,
    /// Whether this run changed it (false: it already was so).
    pub changed: bool,
    /// The host's OSDs (the ones the flag covers).
    pub osds: Vec<u32>,
    /// Of those, the ones up.
    pub osds_up: Vec<u32>,
    /// `noout` set cluster-wide (`ceph osd set noout`): every OSD is
    /// covered, whatever this host's flag says.
    pub cluster_noout: bool,
}

/// The hosts with `noout` set on their CRUSH bucket (`crush_node_flags` of
/// `ceph osd dump -f json`), and whether it is set cluster-wide.
pub fn noout_hosts(dump: &str) -> Result<(Vec<String>, bool), String> {
    let v: Value = serde_json::from_str(dump.trim())
        .map_err(|_| format!("`ceph osd dump` did not print JSON: {}", first(dump)))?;
    let hosts = v["crush_node_flags"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, f)| f.as_array().is_some_and(|a| a.iter().any(|x| x == "noout")))
        .map(|(h, _)| h.clone())
        .collect();
    let global = v["flags"]
        .as_str()
        .is_some_and(|f| f.split(',').any(|x| x == "noout"));
    Ok((hosts, global))
}

fn first(s: &str) -> &str {
    s.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("(nothing)")
        .trim()
}

/// [`script`]'s output. `Ok(None)`: no admin keyring on that node (ask another).
pub fn parse(host: &str, out: &str) -> Result<Option<Maintenance>, String> {
    let mut parts: std::collections::BTreeMap<&str, String> = Default::default();
    let mut cur = None;
    for l in out.lines() {
        if let Some(h) = l.strip_prefix(MARK) {
            if h == "none" {
                return Ok(None);
            }
            cur = Some(h);
            parts.insert(h, String::new());
        } else if let Some(b) = cur.and_then(|c| parts.get_mut(c)) {
            b.push_str(l);
            b.push('\n');
        }
    }
    let get = |k: &str| parts.get(k).map_or("", String::as_str);
    if let Some(change) = parts.get("change") {
        let rc = change
            .lines()
            .find_map(|l| l.strip_prefix("@@rc "))
            .unwrap_or("")
            .trim();
        if rc != "0" {
            let msg: Vec<&str> = change.lines().filter(|l| !l.starts_with("@@rc ")).collect();
            return Err(format!(
                "`ceph osd set-group/unset-group noout {host}` failed ({}): {}",
                if rc.is_empty() { "no status" } else { rc },
                msg.join(" ").trim()
            ));
        }
    }
    let (before, _) = noout_hosts(get("before"))?;
    let now = if parts.contains_key("after") {
        get("after")
    } else {
        get("before")
    };
    let (after, cluster_noout) = noout_hosts(now)?;
    let osds: Vec<_> = parse_osds(now, get("tree"))?
        .into_iter()
        .filter(|o| o.host.as_deref() == Some(host))
        .collect();
    let noout = after.iter().any(|h| h == host);
    Ok(Some(Maintenance {
        node: host.to_string(),
        noout,
        changed: noout != before.iter().any(|h| h == host),
        osds: osds.iter().map(|o| o.id).collect(),
        osds_up: osds.iter().filter(|o| o.up).map(|o| o.id).collect(),
        cluster_noout,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Trimmed from `ceph osd dump -f json` / `ceph osd tree -f json` (Ceph 18)
    // after `ceph osd set-group noout n3`.
    const DUMP_N3: &str = r#"{"epoch":41,"flags":"sortbitwise,recovery_deletes,purged_snapdirs,pglog_hardlimit","crush_node_flags":{"n3":["noout"]},"device_class_flags":{},"osds":[{"osd":0,"up":1,"in":1},{"osd":1,"up":1,"in":1},{"osd":2,"up":0,"in":1},{"osd":3,"up":0,"in":1}]}"#;
    const DUMP_NONE: &str = r#"{"epoch":40,"flags":"sortbitwise,recovery_deletes","crush_node_flags":{},"osds":[{"osd":0,"up":1,"in":1},{"osd":1,"up":1,"in":1},{"osd":2,"up":1,"in":1},{"osd":3,"up":1,"in":1}]}"#;
    const TREE: &str = r#"{"nodes":[{"id":-1,"name":"default","type":"root","children":[-3,-5]},{"id":-3,"name":"n2","type":"host","children":[1,0]},{"id":-5,"name":"n3","type":"host","children":[3,2]},{"id":0,"name":"osd.0","type":"osd"}],"stray":[]}"#;

    fn out(before: &str, change: Option<(&str, i32)>, after: &str) -> String {
        let mut s = format!("{MARK}before\n{before}\n");
        if let Some((msg, rc)) = change {
            s.push_str(&format!(
                "{MARK}change\n{msg}\n@@rc {rc}\n{MARK}after\n{after}\n"
            ));
        }
        s.push_str(&format!("{MARK}tree\n{TREE}\n"));
        s
    }

    #[test]
    fn setting_the_flag_covers_only_that_hosts_osds_and_says_it_changed() {
        let m = parse("n3", &out(DUMP_NONE, Some(("", 0)), DUMP_N3))
            .expect("parses")
            .expect("a cluster");
        assert!(m.noout && m.changed && !m.cluster_noout);
        assert_eq!(m.osds, vec![2, 3]);
        assert!(m.osds_up.is_empty());
        // Set again: nothing changed.
        let again = parse("n3", &out(DUMP_N3, Some(("", 0)), DUMP_N3))
            .unwrap()
            .unwrap();
        assert!(again.noout && !again.changed);
        // The other host is not covered.
        let n2 = parse("n2", &out(DUMP_N3, None, "")).unwrap().unwrap();
        assert!(!n2.noout && !n2.changed);
        assert_eq!(n2.osds_up, vec![0, 1]);
    }

    #[test]
    fn a_failed_ceph_call_and_a_node_without_keyring_are_told_apart() {
        let e = parse(
            "n3",
            &out(
                DUMP_NONE,
                Some(("Error ENOENT: unknown host", 2)),
                DUMP_NONE,
            ),
        )
        .unwrap_err();
        assert!(
            e.contains("failed (2)") && e.contains("unknown host"),
            "{e}"
        );
        assert_eq!(parse("n3", "@@maint none\n"), Ok(None));
        assert!(parse("n3", &format!("{MARK}before\nError: timed out\n")).is_err());
    }

    #[test]
    fn cluster_wide_noout_is_reported() {
        let d = DUMP_NONE.replace("recovery_deletes", "noout,recovery_deletes");
        let (hosts, global) = noout_hosts(&d).unwrap();
        assert!(hosts.is_empty() && global);
    }

    #[test]
    fn the_script_quotes_the_host_and_only_reads_without_a_change() {
        let s = script("n3", Some(true));
        assert!(s.contains("ceph osd set-group noout n3 "), "{s}");
        assert!(script("n3", Some(false)).contains("ceph osd unset-group noout n3 "));
        assert!(!script("n3", None).contains("-group"));
    }
}
