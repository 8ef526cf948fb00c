//! The ssh side of a session, offline: an `[ssh] config` whose ProxyCommand
//! looks at the control directory and then fails, so no host is contacted.

use crate::example;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

/// Hosts nobody can reach (`.test` is reserved); the ProxyCommand stands in
/// for the connection anyway.
fn spec_with_config() -> String {
    example("ms01-3node.toml")
        .replace(
            "user = \"root\"",
            "user = \"root\"\nconfig = \"ssh_config\"",
        )
        .replace("10.11.11.12", "n1.test")
        .replace("10.11.11.13", "n2.test")
        .replace("10.11.11.14", "n3.test")
}

#[test]
fn item6_control_sockets_live_in_a_new_private_directory() {
    let work = tempfile::tempdir().expect("temp dir");
    let tmp = work.path().join("tmp");
    let runtime = work.path().join("runtime");
    let seen = work.path().join("seen");
    for d in [&tmp, &runtime, &seen] {
        std::fs::create_dir(d).expect("mkdir");
    }
    // A directory others can write to is no place for sockets: neither the
    // runtime directory nor a `tbmesh-` directory made beforehand is used.
    std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let trap = tmp.join(format!("tbmesh-{}", std::process::id() + 1));
    std::fs::create_dir(&trap).expect("mkdir");
    std::fs::set_permissions(&trap, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    std::fs::write(work.path().join("tbmesh.toml"), spec_with_config()).expect("spec");
    std::fs::write(
        work.path().join("ssh_config"),
        format!(
            "Host *\n  ProxyCommand sh -c 'ls -ld {tmp}/tbmesh-* > {seen}/%n; ls -A {runtime} > {seen}/%n.runtime; exit 1'\n",
            tmp = tmp.display(),
            runtime = runtime.display(),
            seen = seen.display(),
        ),
    )
    .expect("ssh config");
    let out = Command::new(env!("CARGO_BIN_EXE_tbmesh"))
        .args(["plan"])
        .current_dir(work.path())
        .env("NO_COLOR", "1")
        .env("TMPDIR", &tmp)
        .env("XDG_RUNTIME_DIR", &runtime)
        .output()
        .expect("run tbmesh");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "unreachable: {stderr}");
    // What the ProxyCommand saw while ssh ran: the trap and one new
    // directory, mode 0700.
    let listing = std::fs::read_to_string(seen.join("n1.test")).expect("ProxyCommand ran");
    let ours: Vec<&str> = listing
        .lines()
        .filter(|l| l.contains("/tbmesh-") && !l.ends_with(&*trap.to_string_lossy()))
        .collect();
    assert_eq!(ours.len(), 1, "{listing}");
    assert!(ours[0].starts_with("drwx------ "), "{listing}");
    let in_runtime = std::fs::read_to_string(seen.join("n1.test.runtime")).expect("listed");
    assert_eq!(in_runtime, "", "nothing in a runtime dir others can write");
    // The trap was left as it was, and ours is gone.
    let left: Vec<_> = std::fs::read_dir(&tmp)
        .expect("read tmp")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(left, vec![trap.clone()]);
    assert_eq!(std::fs::read_dir(&trap).expect("trap").count(), 0);
}
