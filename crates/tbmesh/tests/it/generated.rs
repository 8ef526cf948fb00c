//! The completion scripts and man pages committed under `dist/` (what the
//! .deb installs) are exactly what the CLI definition generates now. After a
//! change to the CLI, refresh them with
//! `TBMESH_UPDATE_GENERATED=1 cargo nextest run -p tbmesh --test it generated`
//! and commit the result.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::{repo, Test};
use tbmesh::cli_docs;
use tbmesh::Shell;

const SHELLS: [(Shell, &str); 3] = [
    (Shell::Bash, "bash"),
    (Shell::Zsh, "zsh"),
    (Shell::Fish, "fish"),
];

fn update() -> bool {
    std::env::var_os("TBMESH_UPDATE_GENERATED").is_some()
}

/// Compares (or, when updating, writes) every file of `dir` against
/// `wanted`; files in `dir` that are not wanted are stale too.
fn check_dir(dir: &Path, wanted: &BTreeMap<String, String>) {
    let present: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    if update() {
        std::fs::create_dir_all(dir).expect("creating dist/");
        for name in present.iter().filter(|n| !wanted.contains_key(*n)) {
            std::fs::remove_file(dir.join(name)).expect("removing a stale file");
        }
        for (name, text) in wanted {
            std::fs::write(dir.join(name), text).expect("writing a generated file");
        }
        return;
    }
    let mut stale = Vec::new();
    for name in present.iter().filter(|n| !wanted.contains_key(*n)) {
        stale.push(format!("{name}: no longer generated"));
    }
    for (name, text) in wanted {
        match std::fs::read_to_string(dir.join(name)) {
            Ok(old) if &old == text => {}
            Ok(_) => stale.push(format!("{name}: differs from what the CLI generates")),
            Err(_) => stale.push(format!("{name}: missing")),
        }
    }
    assert!(
        stale.is_empty(),
        "{} is stale:\n  {}\nrefresh it with: TBMESH_UPDATE_GENERATED=1 cargo nextest run -p tbmesh --test it generated",
        dir.display(),
        stale.join("\n  ")
    );
}

#[test]
fn committed_completions_are_what_tbmesh_completions_prints() {
    let mut wanted = BTreeMap::new();
    for (shell, arg) in SHELLS {
        let out = Test::new().args(["completions", arg]).run();
        out.status(0);
        assert!(!out.stdout.is_empty(), "{arg}: empty script");
        wanted.insert(
            cli_docs::completion_file(shell).to_string(),
            out.stdout.clone(),
        );
    }
    check_dir(&repo().join("dist/completions"), &wanted);
}

#[test]
fn committed_man_pages_are_what_the_cli_generates() {
    let pages: BTreeMap<String, String> = cli_docs::man_pages().into_iter().collect();
    // One page per command and subcommand, nested ones included.
    for name in [
        "tbmesh.1",
        "tbmesh-apply.1",
        "tbmesh-completions.1",
        "tbmesh-lab.1",
        "tbmesh-lab-up.1",
    ] {
        assert!(
            pages.contains_key(name),
            "no {name} among {:?}",
            pages.keys()
        );
    }
    let top = &pages["tbmesh.1"];
    assert!(top.contains(".SH \"EXIT STATUS\""), "{top}");
    assert!(
        top.contains("tbmesh\\-apply"),
        "tbmesh.1 does not list apply:\n{top}"
    );
    // No commit in the pages: they change with a release, not every commit.
    assert!(top.contains(&format!("tbmesh {}", env!("CARGO_PKG_VERSION"))));
    assert!(!top.contains("commit"), "{top}");
    check_dir(&repo().join("dist/man"), &pages);
}

#[test]
fn every_subcommand_is_in_every_completion_script() {
    let help = Test::new().args(["--help"]).run();
    help.status(0);
    let subcommands: Vec<&str> = help
        .stdout
        .split("Commands:")
        .nth(1)
        .expect("--help lists commands")
        .lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .collect();
    assert!(subcommands.contains(&"completions"), "{subcommands:?}");
    for (shell, _) in SHELLS {
        let script = cli_docs::completion(shell);
        for sub in &subcommands {
            assert!(script.contains(sub), "{shell:?} completion lacks {sub}");
        }
    }
}

#[test]
fn bash_completes_ap_to_apply() {
    // The script alone (no bash-completion package needed), called the way
    // bash calls it for `tbmesh ap<TAB>`.
    let script = repo().join("dist/completions/tbmesh.bash");
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source '{}' && COMP_WORDS=(tbmesh ap) COMP_CWORD=1 && _tbmesh tbmesh ap tbmesh && printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display()
        ))
        .output()
        .expect("running bash");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "apply\n");
}

#[test]
fn completions_json_and_bad_shell() {
    let out = Test::new().args(["completions", "fish", "--json"]).run();
    out.status(0);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(v["shell"], "fish");
    assert_eq!(
        v["script"].as_str(),
        Some(cli_docs::completion(Shell::Fish).as_str())
    );

    Test::new()
        .args(["completions", "tcsh"])
        .run()
        .status(2)
        .stderr_has("possible values: bash, zsh, fish");
}

#[test]
fn version_names_the_commit() {
    let out = Test::new().args(["--version"]).run();
    out.status(0);
    let line = out.stdout.trim();
    let commit = line
        .strip_prefix(&format!("tbmesh {} (commit ", env!("CARGO_PKG_VERSION")))
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or_else(|| panic!("unexpected --version: {line}"));
    // Built from this checkout: the commit is its HEAD (the build script
    // reruns when HEAD moves), unless a packager set TBMESH_GIT_COMMIT.
    let head = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(repo())
        .output();
    match head {
        Ok(h) if h.status.success() && std::env::var_os("TBMESH_GIT_COMMIT").is_none() => {
            assert_eq!(commit, String::from_utf8_lossy(&h.stdout).trim());
        }
        _ => assert!(!commit.is_empty()),
    }
}
