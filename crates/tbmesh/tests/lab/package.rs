//! The Debian package (`cargo deb -p tbmesh`) installs with apt on a
//! Debian 13 node that has no network, and what it installs works there:
//! `tbmesh --version`, the man pages, bash completion through
//! bash-completion's loader, the shipped example specs.
//!
//! The .deb is `TBMESH_TEST_DEB` when set (.ci/run packages the debug
//! binary it built, `cargo deb -p tbmesh --profile dev --no-build --fast`);
//! otherwise this test runs `cargo deb -p tbmesh --profile dev --fast`
//! itself (the debug build the tests use, so seconds, not the release
//! build's minutes). It goes on the shared lab's first node and is purged
//! after, leaving the node's package list as it was.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tbmesh_core::shell::shell_quote;

use crate::shared::{self, Level};
use crate::support::{log, TestLab};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The .deb under test: the one CI built, or a fresh `cargo deb`.
fn deb() -> PathBuf {
    if let Some(path) = std::env::var_os("TBMESH_TEST_DEB") {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "TBMESH_TEST_DEB={} is not a file",
            path.display()
        );
        return path;
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let start = std::time::Instant::now();
    log("building the .deb: cargo deb -p tbmesh --profile dev --fast");
    let out = Command::new(&cargo)
        .args(["deb", "-p", "tbmesh", "--profile", "dev", "--fast"])
        .current_dir(repo())
        .stderr(Stdio::inherit())
        .output()
        .expect("running cargo deb");
    assert!(
        out.status.success(),
        "cargo deb -p tbmesh --profile dev --fast failed ({}); is cargo-deb installed? `cargo install --locked cargo-deb` (.ci/run does it)",
        out.status
    );
    // cargo-deb prints the path of the package it wrote as its last line.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let path = PathBuf::from(stdout.lines().last().unwrap_or("").trim());
    assert!(
        path.is_file(),
        "cargo deb printed no package path: {stdout}"
    );
    log(&format!(
        "built {} in {:.0} s",
        path.display(),
        start.elapsed().as_secs_f64()
    ));
    path
}

/// `dpkg-deb --field DEB FIELD` on this host.
fn field(deb: &Path, name: &str) -> String {
    let out = Command::new("dpkg-deb")
        .arg("--field")
        .arg(deb)
        .arg(name)
        .output()
        .expect("running dpkg-deb");
    assert!(out.status.success(), "dpkg-deb --field {name}");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Package names of a Depends-style field (versions and alternatives dropped).
fn names(field: &str) -> Vec<String> {
    field
        .split([',', '|'])
        .filter_map(|d| d.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// The installed packages of a node, one `name status` a line.
const PACKAGES: &str = "dpkg-query -W -f='${Package} ${db:Status-Abbrev}\\n' | sort";

/// Purges the package and the copied file when the test ends, passed or
/// not, so the shared lab is left as it was found.
struct Installed<'a> {
    lab: &'a TestLab,
    node: String,
    file: String,
}

impl Drop for Installed<'_> {
    fn drop(&mut self) {
        let out = self.lab.ssh(
            &self.node,
            &format!(
                "DEBIAN_FRONTEND=noninteractive apt-get purge -y tbmesh 2>&1; rm -f /tmp/{}",
                shell_quote(&self.file)
            ),
        );
        log(&String::from_utf8_lossy(&out.stdout));
    }
}

#[test]
fn deb_installs_offline_on_debian_13_with_man_pages_and_bash_completion() {
    let deb = deb();

    // Depends: only what tbmesh runs where it runs (ssh) and the C library
    // the binary links; the lab's tools are Suggests, never Depends.
    let depends = names(&field(&deb, "Depends"));
    assert!(
        depends.contains(&"openssh-client".to_string()),
        "{depends:?}"
    );
    for d in &depends {
        assert!(
            ["openssh-client", "libc6", "libgcc-s1"].contains(&d.as_str()),
            "unexpected dependency {d} in {depends:?}"
        );
    }
    assert!(field(&deb, "Recommends").is_empty());
    assert!(
        field(&deb, "Maintainer").starts_with("tbmesh developers <"),
        "no person is named"
    );
    assert!(names(&field(&deb, "Suggests")).contains(&"systemd-container".to_string()));

    // The shared lab: the package goes on its first node, and is purged.
    let shared = shared::lab(Level::Mesh);
    let lab: &TestLab = &shared;
    let node = lab.node_names()[0].clone();
    let before = lab.sh(&node, PACKAGES);
    assert!(
        !before.lines().any(|l| l.starts_with("tbmesh ")),
        "tbmesh is installed on {node} already: {before}"
    );

    // Copy it over the lab's ssh (no scp/sftp needed on the node).
    let file = deb
        .file_name()
        .expect("a file name")
        .to_string_lossy()
        .into_owned();
    let status = Command::new("ssh")
        .arg("-F")
        .arg(lab.ssh_config())
        .args([
            "-o",
            "BatchMode=yes",
            &node,
            "--",
            &format!("cat > /tmp/{file}"),
        ])
        .stdin(std::fs::File::open(&deb).expect("opening the .deb"))
        .status()
        .expect("running ssh");
    let installed = Installed {
        lab,
        node: node.clone(),
        file: file.clone(),
    };
    assert!(status.success(), "copying the .deb to {node}");

    // As the README says (`apt install ./FILE.deb`). The node has no route
    // out, so apt fails if the package needs anything not in the image.
    // (apt 3.0's --no-download refuses local files: "Pathname to install
    // is not absolute".)
    let install = lab.sh(
        &node,
        &format!("cd /tmp && DEBIAN_FRONTEND=noninteractive apt install -y ./{file} 2>&1"),
    );
    log(&install);

    let version = lab.sh(&node, "tbmesh --version");
    assert_eq!(
        version.trim(),
        format!(
            "tbmesh {} (commit {})",
            env!("CARGO_PKG_VERSION"),
            env!("TBMESH_GIT_COMMIT")
        ),
        "the packaged binary is not this checkout's"
    );

    // Man pages: found by man, rendered, one per subcommand too.
    assert_eq!(
        lab.sh(&node, "man -w tbmesh").trim(),
        "/usr/share/man/man1/tbmesh.1.gz"
    );
    assert_eq!(
        lab.sh(&node, "man -w tbmesh-lab-up").trim(),
        "/usr/share/man/man1/tbmesh-lab-up.1.gz"
    );
    let page = lab.sh(&node, "MANPAGER=cat MANWIDTH=80 man tbmesh 2>/dev/null");
    assert!(
        page.contains("EXIT STATUS") && page.contains("tbmesh-apply(1)"),
        "{page}"
    );

    // Bash: bash-completion loads /usr/share/bash-completion/completions/tbmesh
    // on first use, as it does for `tbmesh <TAB>` in a shell; then the
    // function `complete -p` names is called the way bash calls it for
    // `tbmesh ap<TAB>`.
    let script = r#"
source /usr/share/bash-completion/bash_completion
complete -p tbmesh >/dev/null 2>&1 || _comp_load tbmesh 2>/dev/null || __load_completion tbmesh
spec=$(complete -p tbmesh) || exit 1
echo "$spec"
fn=$(sed -E 's/.*-F ([^ ]+) .*/\1/' <<<"$spec")
COMP_WORDS=(tbmesh ap); COMP_CWORD=1; COMP_LINE="tbmesh ap"; COMP_POINT=${#COMP_LINE}
"$fn" tbmesh ap tbmesh
printf '%s\n' "${COMPREPLY[@]}"
"#;
    let out = lab.sh(&node, &format!("bash -c {}", shell_quote(script)));
    let mut lines = out.lines();
    let spec = lines.next().unwrap_or("");
    assert!(
        spec.starts_with("complete ") && spec.contains(" -F ") && spec.ends_with(" tbmesh"),
        "{out}"
    );
    assert_eq!(lines.collect::<Vec<_>>(), ["apply"], "{out}");

    // zsh and fish find theirs in their vendor directories; docs and the
    // example specs are shipped, and the binary checks one offline.
    lab.sh(
        &node,
        "test -s /usr/share/zsh/vendor-completions/_tbmesh \
         && test -s /usr/share/fish/vendor_completions.d/tbmesh.fish \
         && test -s /usr/share/doc/tbmesh/docs/apply.md \
         && test -s /usr/share/doc/tbmesh/README.md",
    );
    let validate = lab.sh(
        &node,
        "tbmesh -f /usr/share/doc/tbmesh/examples/ms01-3node.toml validate",
    );
    assert!(validate.contains("is valid"), "{validate}");

    // Purged: the node's packages as they were, no tbmesh files left.
    drop(installed);
    assert_eq!(lab.sh(&node, PACKAGES), before);
    assert_eq!(
        lab.sh(
            &node,
            "ls /usr/bin/tbmesh /usr/share/man/man1/tbmesh.1.gz /usr/share/doc/tbmesh /tmp/tbmesh_* 2>/dev/null; true"
        )
        .trim(),
        ""
    );
}
