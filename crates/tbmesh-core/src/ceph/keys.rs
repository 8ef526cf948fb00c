//! The keyring copy between nodes: packed as a tar on the node that has the
//! keyrings, unpacked as root on the node that needs them. The archive is
//! another machine's output, so the unpacking side trusts nothing in it:
//! every member must be one of the expected paths (or inside an expected
//! directory), a regular file or directory, and only those paths are
//! extracted, without the archive's owners.

use crate::shell::shell_quote;

/// The script that prints the archive of `paths` (absolute) as base64.
pub fn pack_script(paths: &[String]) -> String {
    format!(
        "set -o pipefail; tar -C / -czf - -- {} | base64 -w0",
        members(paths).join(" ")
    )
}

/// The script that checks the base64 archive `archive` and unpacks the
/// expected `paths` under `root` ("/" on a node).
pub fn unpack_script(archive: &str, paths: &[String], root: &str) -> String {
    let allowed: Vec<String> = paths
        .iter()
        .flat_map(|p| {
            let m = p.trim_start_matches('/').trim_end_matches('/');
            // A directory's own entry and what is in it (tar lists
            // directories with a trailing slash).
            [
                shell_quote(m),
                shell_quote(&format!("{m}/")),
                format!("{}/*", shell_quote(m)),
            ]
        })
        .collect();
    format!(
        r#"set -euo pipefail
umask 077
a=$(mktemp)
trap 'rm -f "$a"' EXIT
echo '{archive}' | base64 -d > "$a"
# Only the expected keyrings: regular files and directories, no links or
# devices, no other path, no '..'.
tar -tvzf "$a" | while read -r mode rest; do
  case "$mode" in -*|d*) ;; *) echo "keyring archive: refusing member of type ${{mode:0:1}}: $rest" >&2; exit 1;; esac
done
tar -tzf "$a" | while IFS= read -r m; do
  case "$m" in *..*) echo "keyring archive: refusing member $m" >&2; exit 1;; esac
  case "$m" in {allowed}) ;; *) echo "keyring archive: refusing unexpected member $m" >&2; exit 1;; esac
done
tar -C {root} -xzf "$a" --no-same-owner --no-overwrite-dir -- {members}
"#,
        allowed = allowed.join("|"),
        root = shell_quote(root),
        members = members(paths).join(" "),
    )
}

/// Paths as tar members: relative to /, quoted.
fn members(paths: &[String]) -> Vec<String> {
    paths
        .iter()
        .map(|p| shell_quote(p.trim_start_matches('/').trim_end_matches('/')))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::process::Command;

    fn sh(script: &str, dir: &Path) -> std::process::Output {
        Command::new("bash")
            .args(["-c", script])
            .current_dir(dir)
            .output()
            .expect("bash runs")
    }

    /// A base64 tar.gz of what is under `src` (relative members).
    fn archive(src: &Path, members: &str) -> String {
        let out = sh(
            &format!("set -o pipefail; tar -czf - {members} | base64 -w0"),
            src,
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("base64 is text")
    }

    fn expected() -> Vec<String> {
        vec![
            "/etc/ceph/ceph.client.admin.keyring".into(),
            "/var/lib/ceph/bootstrap-osd/ceph.keyring".into(),
            "/var/lib/ceph/tbmesh-bootstrap".into(),
        ]
    }

    fn source() -> tempfile::TempDir {
        let src = tempfile::tempdir().expect("temp dir");
        let p = src.path();
        for (f, text) in [
            ("etc/ceph/ceph.client.admin.keyring", "admin"),
            ("var/lib/ceph/bootstrap-osd/ceph.keyring", "osd"),
            ("var/lib/ceph/tbmesh-bootstrap/monmap", "monmap"),
            ("root/.ssh/authorized_keys", "ssh-ed25519 EVIL"),
        ] {
            std::fs::create_dir_all(p.join(f).parent().expect("parent")).expect("mkdir");
            std::fs::write(p.join(f), text).expect("write");
        }
        src
    }

    const GOOD: &str = "etc/ceph/ceph.client.admin.keyring var/lib/ceph/bootstrap-osd/ceph.keyring var/lib/ceph/tbmesh-bootstrap";

    #[test]
    fn the_expected_keyrings_are_unpacked() {
        let src = source();
        let dst = tempfile::tempdir().expect("temp dir");
        let script = unpack_script(
            &archive(src.path(), GOOD),
            &expected(),
            &dst.path().display().to_string(),
        );
        let out = sh(&script, dst.path());
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let read = |f: &str| std::fs::read_to_string(dst.path().join(f)).expect(f);
        assert_eq!(read("etc/ceph/ceph.client.admin.keyring"), "admin");
        assert_eq!(read("var/lib/ceph/tbmesh-bootstrap/monmap"), "monmap");
    }

    #[track_caller]
    fn refused(src: &Path, members: &str, why: &str) {
        let dst = tempfile::tempdir().expect("temp dir");
        let script = unpack_script(
            &archive(src, members),
            &expected(),
            &dst.path().display().to_string(),
        );
        let out = sh(&script, dst.path());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{members}: unpacked");
        assert!(err.contains(why), "{err}");
        assert!(!dst.path().join("root").exists());
        assert!(
            !dst.path().join("etc").exists(),
            "nothing unpacked when one member is wrong"
        );
    }

    /// Issue 14 item 14: the keyring copy unpacked whatever tar the source
    /// node sent, as root, at /: any path (an authorized_keys), links.
    #[test]
    fn item14_an_archive_with_other_paths_or_links_is_refused() {
        let src = source();
        refused(
            src.path(),
            &format!("{GOOD} root/.ssh/authorized_keys"),
            "refusing unexpected member root/.ssh/authorized_keys",
        );
        std::os::unix::fs::symlink(
            "/root/.ssh/authorized_keys",
            src.path().join("var/lib/ceph/tbmesh-bootstrap/mon.keyring"),
        )
        .expect("symlink");
        refused(src.path(), GOOD, "refusing member of type l");
    }

    #[test]
    fn the_scripts_quote_and_strip_the_leading_slash() {
        let s = pack_script(&expected());
        assert!(
            s.contains("tar -C / -czf - -- etc/ceph/ceph.client.admin.keyring "),
            "{s}"
        );
        let s = unpack_script("QUJD", &expected(), "/");
        assert!(s.contains("--no-same-owner"), "{s}");
        assert!(s.contains("tar -C / -xzf"), "{s}");
    }
}
