use super::*;
use crate::Source;
use serde_json::json;

fn ms01() -> Cluster {
    let text = include_str!("../../../../examples/ms01-3node.toml");
    match crate::spec::load(&Source::new("ms01-3node.toml", text)) {
        Ok((c, _)) => c,
        Err(d) => panic!("{d:?}"),
    }
}

use crate::Cluster;

fn bench_doc() -> Value {
    let row = |cable: &str, from: &str, fp: &str, to: &str, tp: &str, gbps: f64, flags: Value| {
        json!({"cable": cable, "from": from, "from_port": fp, "to": to, "to_port": tp,
               "streams": 1, "line_rate": {"kind": "known", "gbps": 40.0, "source": "x"},
               "result": {"gbps": gbps, "retransmits": 3, "cpu_sender": 10.0, "cpu_receiver": 20.0},
               "error": null, "flags": flags})
    };
    json!({"kind": "bench", "lab": true, "test_seconds": 10,
        "links": [
            row("n2:en05 -- n3:en05", "n2", "en05", "n3", "en05", 26.1, json!([])),
            row("n3:en06 -- n4:en05", "n3", "en06", "n4", "en05", 12.0,
                json!([{"short": "slow (median 26.0)", "text": "slow: 12.0 Gbit/s <median>"}])),
        ],
        "latency": [{"from": "n2", "to": "n3", "hops": 1, "bytes": 56, "error": null,
            "result": {"sent": 50, "received": 50, "min": 0.04, "avg": 0.09, "p99": 0.6, "max": 0.6}}]})
}

fn inputs(verify: Option<Value>, bench: Option<Value>) -> Inputs {
    let saved = |doc| Saved {
        time: "20261201T230000Z".into(),
        file: "x.json".into(),
        doc,
    };
    Inputs {
        verify: verify.map(saved),
        bench: bench.map(saved),
        failover: None,
        version: "0.1.0".into(),
        spec_digest: spec_digest("x"),
        generated: "20261201T231000Z".into(),
    }
}

#[test]
fn the_page_is_self_contained_and_shows_every_node_and_cable() {
    let c = ms01();
    let verify = json!({"ok": false, "checks": [
        {"name": "port", "node": "n4", "subject": "en06", "ok": false, "detail": "up, no carrier"},
        {"name": "ceph", "node": "n2", "subject": "health", "ok": true, "detail": "HEALTH_OK"}]});
    let page = render(&c, &inputs(Some(verify), Some(bench_doc())));
    for banned in ["<script", " src=", "url(", "@import", "<link", "https://"] {
        assert!(!page.contains(banned), "{banned} in the page");
    }
    assert_eq!(
        page.matches("http://").count(),
        page.matches("xmlns=\"http://www.w3.org/2000/svg\"").count()
    );
    for n in ["n2", "n3", "n4"] {
        assert!(page.contains(&format!(">{n}</text>")), "{n}");
    }
    for l in &c.spec.fabric.links {
        assert!(page.contains(&format!("cable {l}</li>")), "{l}");
    }
    assert!(page.contains("Lab figures"));
    assert!(page.contains("(lab figures)"));
    assert!(page.contains("<line class=\"cable fail\""), "the cut cable");
    assert!(
        page.contains("<line class=\"cable warn\""),
        "the slow cable"
    );
    assert!(page.contains("<line class=\"cable ok\""), "the fast cable");
    assert!(page.contains("HEALTH_OK"));
    assert!(page.contains("prefers-color-scheme: dark"));
    assert!(page.contains("@media print"));
}

#[test]
fn missing_results_say_how_to_make_them() {
    let page = render(&ms01(), &inputs(None, None));
    assert!(page.contains("tbmesh verify --save"));
    assert!(page.contains("tbmesh bench"));
    assert!(!page.contains("Lab figures"));
    assert!(
        !page.contains("class=\"legend\""),
        "nothing known: plain drawing"
    );
}

#[test]
fn odd_documents_render() {
    let page = render(
        &ms01(),
        &inputs(
            Some(json!({"checks": [1, "x", {}]})),
            Some(json!({"links": {"a": 1}})),
        ),
    );
    assert!(page.contains("3 checks, 3 failed"));
}

#[test]
fn ceph_bench_figures_are_shown_per_phase() {
    let mut b = bench_doc();
    b["ceph"] = json!({"pool": "tbmesh-bench-20261201t230000z", "size": 3, "test_seconds": 10,
        "object_bytes": 4194304, "threads": 16, "cleanup": {"pool_deleted": true, "error": null},
        "phases": [
            {"phase": "write", "error": null, "result": {"mb_per_s": 123.4, "iops": 30.9,
                "avg_latency_ms": 517.2, "max_latency_ms": 1201.5}},
            {"phase": "seq", "error": null, "result": {"mb_per_s": 456.7, "iops": 114.2,
                "avg_latency_ms": 139.0, "max_latency_ms": 402.0}},
            {"phase": "rand", "error": "rados bench failed: timeout"}]});
    let page = render(&ms01(), &inputs(None, Some(b)));
    assert!(page.contains("<h2>Ceph bench (lab figures)</h2>"));
    assert!(page.contains("tbmesh-bench-20261201t230000z (size 3), deleted after: yes"));
    assert!(page.contains("<td>write</td><td class=\"n\">123.4</td><td class=\"n\">30.9</td><td class=\"n\">517.2</td><td class=\"n\">1201.5</td>"));
    assert!(page.contains("<td>seq</td><td class=\"n\">456.7</td>"));
    assert!(page.contains("<td>rand</td><td class=\"n\">failed: rados bench failed: timeout</td>"));

    let page = render(&ms01(), &inputs(None, Some(bench_doc())));
    assert!(
        page.contains("tbmesh bench --ceph"),
        "a bench without --ceph"
    );
}
