//! `tbmesh support-bundle`, pure: what each node is asked for (one script,
//! one section per file) and the filter every collected text passes before
//! it is written: secrets left out.

use crate::shell::shell_quote;

const MARK: &str = "@@bundle ";
/// Journal lines kept per unit.
pub const JOURNAL_LINES: u32 = 300;

/// (file name in the bundle, command), run on every node. Ceph's own view
/// is asked of every node: the one that has the admin keyring answers.
pub fn node_commands() -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = [
        ("ip-d-link.txt", "ip -d link"),
        ("ip-addr.txt", "ip addr"),
        ("ip-route.txt", "ip route"),
        ("ip-6-route.txt", "ip -6 route"),
        (
            "openfabric-neighbor.json",
            "vtysh -c 'show openfabric neighbor json'",
        ),
        (
            "openfabric-topology.json",
            "vtysh -c 'show openfabric topology json'",
        ),
        (
            "openfabric-route.json",
            "vtysh -c 'show openfabric route json'",
        ),
        ("bfd-peers.json", "vtysh -c 'show bfd peers json'"),
        ("ceph-status.txt", "timeout 20 ceph status"),
        ("ceph-health-detail.txt", "timeout 20 ceph health detail"),
        ("ceph-osd-tree.txt", "timeout 20 ceph osd tree"),
    ]
    .iter()
    .map(|(f, c)| (f.to_string(), c.to_string()))
    .collect();
    for (file, unit) in [
        ("journal-frr.txt", "frr"),
        ("journal-networking.txt", "networking"),
    ] {
        v.push((
            file.to_string(),
            format!(
                "journalctl -u {} -n {JOURNAL_LINES} --no-pager -o short-iso",
                shell_quote(unit)
            ),
        ));
    }
    v
}

/// The script: every command, its output (stdout and stderr) in a section.
pub fn script() -> String {
    let mut s = String::from("export LC_ALL=C\n");
    for (file, cmd) in node_commands() {
        s.push_str(&format!("echo '{MARK}{file}'; {cmd} 2>&1\n"));
    }
    s
}

/// [`script`]'s output by file name.
pub fn split(out: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = vec![];
    for line in out.split_inclusive('\n') {
        if let Some(f) = line.trim_end().strip_prefix(MARK) {
            v.push((f.to_string(), String::new()));
        } else if let Some((_, body)) = v.last_mut() {
            body.push_str(line);
        }
    }
    v
}

/// `text` with secrets left out: any line that sets a key (`key = ...`,
/// `key: ...`, as in a Ceph keyring or a config), any line holding what
/// looks like a Ceph secret (base64 `AQ...==` of 40 characters), and PEM
/// private key blocks, each replaced by a line saying so.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_pem = false;
    for line in text.split_inclusive('\n') {
        let l = line.trim();
        if l.contains("PRIVATE KEY") {
            // BEGIN and END lines, and everything in between.
            in_pem = l.contains("BEGIN") || !l.contains("END");
            if l.contains("BEGIN") {
                out.push_str("[private key left out by tbmesh support-bundle]\n");
            }
            continue;
        }
        if in_pem {
            continue;
        }
        if sets_a_key(l) || has_ceph_secret(l) {
            out.push_str("[line left out by tbmesh support-bundle: it may hold a secret]\n");
            continue;
        }
        out.push_str(line);
    }
    out
}

/// `key = x`, `key=x`, `"key": "x"`, `secret = x`, case-insensitive.
fn sets_a_key(l: &str) -> bool {
    let lower = l.to_ascii_lowercase();
    ["key", "secret", "password"].iter().any(|w| {
        lower.match_indices(w).any(|(i, _)| {
            let rest = lower[i + w.len()..].trim_start_matches('"');
            let rest = rest.trim_start();
            rest.starts_with('=') || rest.starts_with(':')
        })
    })
}

/// A Ceph secret: base64 of 28 bytes starting `AQ`, 40 characters with `==`.
fn has_ceph_secret(l: &str) -> bool {
    l.split(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '='))
        .any(|w| w.len() == 40 && w.starts_with("AQ") && w.ends_with("=="))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_secrets_and_private_keys_are_left_out_and_the_rest_kept() {
        let text = "[client.admin]\n\tkey = AQBx5UpnAAAAABAAq1Yc0Lk3bVqk0x7S9O2x9A==\n\tcaps mon = \"allow *\"\n\
                    -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n\
                    mon_host = 10.100.0.12\nauth: got AQBx5UpnAAAAABAAq1Yc0Lk3bVqk0x7S9O2x9A== from somewhere\n\
                    {\"key\": \"x\"}\nSecret=abc\nkeyring = /etc/ceph/ceph.client.admin.keyring\nmonkey business\n";
        let r = redact(text);
        assert!(!r.contains("AQBx5U"), "{r}");
        assert!(
            !r.contains("b3BlbnNz") && !r.contains("PRIVATE KEY-----"),
            "{r}"
        );
        assert!(!r.to_ascii_lowercase().contains("key =") && !r.contains("Secret=abc"));
        assert!(!r.contains("\"key\": \"x\""));
        // A keyring's path is not a secret.
        for kept in [
            "keyring = /etc/ceph/ceph.client.admin.keyring",
            "[client.admin]",
            "caps mon = \"allow *\"",
            "mon_host = 10.100.0.12",
            "monkey business",
        ] {
            assert!(r.contains(kept), "{kept} lost: {r}");
        }
        assert_eq!(r.matches("[private key left out").count(), 1);
    }

    #[test]
    fn sections_come_back_by_file_name() {
        let out =
            "@@bundle ip-route.txt\ndefault via 10.11.11.1 dev eth0\n@@bundle bfd-peers.json\n[]\n";
        assert_eq!(
            split(out),
            vec![
                (
                    "ip-route.txt".to_string(),
                    "default via 10.11.11.1 dev eth0\n".to_string()
                ),
                ("bfd-peers.json".to_string(), "[]\n".to_string())
            ]
        );
        let s = script();
        for (f, _) in node_commands() {
            assert!(s.contains(&format!("echo '@@bundle {f}'")));
        }
        assert!(
            s.contains("journalctl -u frr -n 300") && s.contains("journalctl -u networking -n 300")
        );
    }
}
