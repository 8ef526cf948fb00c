//! `tbmesh report` from saved results (fixtures captured on the container
//! lab), opened in headless Chromium: the page renders, and its DOM holds
//! every node and cable. Chromium is required (CI installs it).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::repo;

const CLUSTER: &str = "homelab";

/// A state directory holding the lab's saved verify and bench documents as
/// results of the example cluster (same node and port names).
fn state_with_results(dir: &Path) {
    let d = dir.join("tbmesh").join(CLUSTER);
    std::fs::create_dir_all(&d).expect("state dir");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/fixtures");
    for (kind, file) in [("verify", "verify-lab.json"), ("bench", "bench-lab.json")] {
        std::fs::copy(
            fixtures.join(file),
            d.join(format!("{kind}-20261201T234016Z.json")),
        )
        .expect("copy fixture");
    }
}

fn report(state: &Path, out: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tbmesh"))
        .arg("-f")
        .arg(repo().join("examples/ms01-3node.toml"))
        .args(["report", "--out"])
        .arg(out)
        .env("XDG_STATE_HOME", state)
        .stdin(Stdio::null())
        .output()
        .expect("running tbmesh")
}

fn chromium(profile: &Path, args: &[&str], page: &Path) -> std::process::Output {
    let bin = ["chromium", "chromium-browser"]
        .into_iter()
        .find(|b| {
            Command::new("sh")
                .args(["-c", &format!("command -v {b}")])
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .unwrap_or_else(|| {
            panic!("chromium is not installed: `apt-get install -y chromium` (.ci/run does)")
        });
    Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .output()
        .expect("running chromium")
}

#[test]
fn report_renders_saved_results_in_chromium_with_every_node_and_cable() {
    let tmp = tempfile::tempdir().expect("temp dir");
    state_with_results(tmp.path());
    let page: PathBuf = tmp.path().join("report.html");
    let out = report(tmp.path(), &page);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("verify of 20261201T234016Z, bench of 20261201T234016Z"),
        "{stdout}"
    );

    // The DOM as Chromium built it.
    let dom = chromium(&tmp.path().join("p1"), &["--dump-dom"], &page);
    let dom_text = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom_text.contains("<svg"),
        "no DOM from chromium: {}",
        String::from_utf8_lossy(&dom.stderr)
    );
    for node in ["n2", "n3", "n4"] {
        assert!(dom_text.contains(&format!(">{node}</text>")), "node {node}");
        assert!(
            dom_text.contains(&format!("node {node}</li>")),
            "node {node}"
        );
    }
    for cable in [
        "n2:en05 -- n3:en05",
        "n3:en06 -- n4:en05",
        "n4:en06 -- n2:en06",
    ] {
        assert!(dom_text.contains(&format!("cable {cable}</li>")), "{cable}");
        assert!(dom_text.contains(&format!(">{cable}</text>")), "{cable}");
    }
    assert!(dom_text.contains("Lab figures"));

    // A screenshot (TBMESH_REPORT_SCREENSHOT=path keeps a copy to look at).
    let shot = tmp.path().join("report.png");
    let out = chromium(
        &tmp.path().join("p2"),
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1200,1800",
            "--hide-scrollbars",
        ],
        &page,
    );
    let png = std::fs::read(&shot).unwrap_or_else(|e| {
        panic!(
            "no screenshot ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(png.len() > 20_000, "a blank page? {} bytes", png.len());
    if let Some(keep) = std::env::var_os("TBMESH_REPORT_SCREENSHOT") {
        std::fs::copy(&shot, keep).expect("copy screenshot");
    }
}
