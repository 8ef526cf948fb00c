//! `tbmesh diagram`: every format for every example, run through the real
//! binary; the committed docs/diagram.svg is what the tool draws today.

use crate::{example, repo, Test};

const EXAMPLES: [&str; 3] = ["ms01-3node", "ring-5node", "static-3node"];

/// What every drawing of an example must mention: node names, router and
/// management addresses, and each cable as written in fabric.links.
fn facts(name: &str) -> Vec<&'static str> {
    match name {
        "ms01-3node" => vec![
            "homelab",
            "pve-sdn",
            "10.100.0.0/24",
            "65520",
            "n2",
            "n3",
            "n4",
            "10.100.0.12",
            "10.100.0.13",
            "10.100.0.14",
            "10.11.11.12",
            "10.11.11.13",
            "10.11.11.14",
            "0000:00:0d.2",
            "0000:00:0d.3",
            "n2:en05 -- n3:en05",
            "n3:en06 -- n4:en05",
            "n4:en06 -- n2:en06",
        ],
        "ring-5node" => vec![
            "ring5",
            "frr",
            "pve1",
            "pve2",
            "pve3",
            "pve4",
            "pve5",
            "10.100.0.1",
            "10.100.0.5",
            "192.168.1.21",
            "192.168.1.25",
            "pve1:en06 -- pve2:en05",
            "pve3:en06 -- pve4:en05",
            "pve5:en06 -- pve1:en05",
            "longest path 2 hops",
        ],
        "static-3node" => vec![
            "static3",
            "static",
            "no failover",
            "10.100.1.0/24",
            "10.100.1.0/31",
            "10.100.1.1/31",
            "10.100.1.4/31",
            "10.100.1.5/31",
            "n4:en06 -- n2:en06",
        ],
        other => panic!("no facts for {other}"),
    }
}

fn diagram(name: &str, format: &str) -> crate::Output {
    let out = Test::new()
        .spec(example(&format!("{name}.toml")))
        .args(["diagram", "--format", format])
        .run();
    out.status(0);
    for fact in facts(name) {
        out.stdout_has(fact);
    }
    out
}

#[test]
fn ascii_for_every_example() {
    for name in EXAMPLES {
        let out = diagram(name, "ascii");
        out.stdout_has("cables (fabric.links):").stdout_has("<->");
        for line in out.stdout.lines() {
            assert!(
                line.len() <= 80,
                "{name}: {line:?} is wider than 80 columns"
            );
        }
    }
}

#[test]
fn ascii_is_the_default_format() {
    let out = Test::new()
        .spec(example("ms01-3node.toml"))
        .args(["diagram"])
        .run();
    out.status(0);
    assert_eq!(out.stdout, diagram("ms01-3node", "ascii").stdout);
}

#[test]
fn dot_for_every_example() {
    for name in EXAMPLES {
        let out = diagram(name, "dot");
        assert!(
            out.stdout.starts_with("// tbmesh diagram"),
            "{}",
            out.stdout
        );
        assert!(out.stdout.trim_end().ends_with('}'), "{}", out.stdout);
        out.stdout_has("graph \"").stdout_has("\":\"p_en06\" -- \"");
    }
    diagram("static-3node", "dot").stdout_has("taillabel=\"10.100.1.0/31\"");
}

#[test]
fn svg_for_every_example() {
    for name in EXAMPLES {
        let out = diagram(name, "svg");
        assert!(
            out.stdout
                .starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
            "{name}"
        );
        assert!(out.stdout.ends_with("</svg>\n"), "{name}");
        let lines = out.stdout.matches("<line class=\"cable\"").count();
        let cables = facts(name).iter().filter(|f| f.contains(" -- ")).count();
        assert!(lines >= cables, "{name}: {lines} cable lines");
    }
}

#[test]
fn spec_given_with_f_and_json_output() {
    let path = repo().join("examples/ring-5node.toml");
    let out = Test::new()
        .args(["--json", "diagram", "--format", "dot", "-f"])
        .args([path.to_string_lossy().into_owned()])
        .run();
    out.status(0);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", out.stdout));
    assert_eq!(doc["format"], "dot");
    let text = doc["diagram"].as_str().unwrap_or_default();
    assert!(
        text.contains("\"pve1\":\"p_en06\" -- \"pve2\":\"p_en05\""),
        "{text}"
    );
}

#[test]
fn same_spec_same_bytes() {
    for format in ["ascii", "dot", "svg"] {
        let a = diagram("ring-5node", format);
        let b = diagram("ring-5node", format);
        assert_eq!(a.stdout, b.stdout, "{format}");
    }
}

#[test]
fn an_invalid_spec_draws_nothing() {
    let text = example("ms01-3node.toml").replacen("n3:en06 -- n4:en05", "n3:en06 -- n9:en05", 1);
    let out = Test::new()
        .spec(text)
        .args(["diagram", "--format", "svg"])
        .run();
    out.status(2);
    out.stderr_has("unknown node");
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

#[test]
fn an_unknown_format_is_refused() {
    let out = Test::new()
        .spec(example("ms01-3node.toml"))
        .args(["diagram", "--format", "png"])
        .run();
    out.status(2);
    out.stderr_has("possible values: ascii, dot, svg");
}

/// The README embeds docs/diagram.svg: it must be what the tool draws.
#[test]
fn docs_diagram_svg_is_current() {
    let committed = std::fs::read_to_string(repo().join("docs/diagram.svg"))
        .unwrap_or_else(|e| panic!("reading docs/diagram.svg: {e}"));
    let drawn = diagram("ms01-3node", "svg").stdout.clone();
    assert!(
        committed == drawn,
        "docs/diagram.svg is stale; regenerate it with\n  cargo run -q -- diagram --format svg -f examples/ms01-3node.toml > docs/diagram.svg"
    );
}
