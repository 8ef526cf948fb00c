//! The page: header, topology, verify, throughput, latency, Ceph,
//! failover-test; one function per section.

use super::bars::bars;
use super::states::states;
use super::{arr, s, Inputs, Saved};
use crate::diagram::{svg_with_states, xml};
use crate::Cluster;
use serde_json::Value;
use std::fmt::Write as _;

const CSS: &str = include_str!("report.css");

/// The whole page.
pub fn render(c: &Cluster, inputs: &Inputs) -> String {
    let name = &c.spec.cluster.name.value;
    let lab = inputs
        .bench
        .as_ref()
        .is_some_and(|b| b.doc.get("lab").and_then(Value::as_bool) == Some(true));
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"color-scheme\" content=\"light dark\">\n<title>tbmesh report: {}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n",
        xml(name)
    );
    header(&mut o, c, inputs, lab);
    topology(&mut o, c, inputs);
    throughput(&mut o, inputs.bench.as_ref(), lab);
    latency(&mut o, inputs.bench.as_ref(), lab);
    verify(&mut o, inputs.verify.as_ref());
    ceph(&mut o, inputs.verify.as_ref());
    ceph_bench(&mut o, inputs.bench.as_ref(), lab);
    failover(&mut o, inputs.failover.as_ref());
    let _ = write!(
        o,
        "<footer>tbmesh {} · spec {} · generated {}</footer>\n</body>\n</html>\n",
        xml(&inputs.version),
        xml(&inputs.spec_digest),
        xml(&inputs.generated)
    );
    o
}

/// When a result was made and from which file.
fn when(saved: &Saved) -> String {
    format!(
        "<p class=\"when\">result of {} (<code>{}</code>)</p>\n",
        xml(&saved.time),
        xml(&saved.file)
    )
}

fn missing(o: &mut String, what: &str, how: &str) {
    let _ = writeln!(
        o,
        "<p class=\"missing\">No {what} saved yet: run <code>{how}</code>.</p>"
    );
}

fn header(o: &mut String, c: &Cluster, inputs: &Inputs, lab: bool) {
    let f = &c.spec.fabric;
    let _ = writeln!(
        o,
        "<header><h1>tbmesh report: cluster {}</h1>\n<p>{} nodes, {} cables; fabric {} (mode {}), prefix {}, MTU {}</p>",
        xml(&c.spec.cluster.name),
        c.nodes().len(),
        f.links.len(),
        xml(&f.name),
        f.mode,
        f.prefix_text(),
        f.mtu
    );
    let _ = writeln!(
        o,
        "<p class=\"meta\">tbmesh {} · spec digest <code>{}</code> · generated {}</p>",
        xml(&inputs.version),
        xml(&inputs.spec_digest),
        xml(&inputs.generated)
    );
    if lab {
        o.push_str("<p class=\"lab\">Lab figures: measured on tbmesh's local lab (containers on one machine, veth cables), not on Thunderbolt hardware.</p>\n");
    }
    o.push_str("</header>\n");
}

fn topology(o: &mut String, c: &Cluster, inputs: &Inputs) {
    let st = states(c, inputs);
    o.push_str("<section id=\"topology\"><h2>Topology</h2>\n<p>Nodes and cables coloured by the latest verify, bench and failover-test results; hover for the findings.</p>\n<div class=\"diagram\">\n");
    o.push_str(&svg_with_states(c, &st));
    o.push_str("</div>\n<ul class=\"states\">\n");
    for (l, m) in &st.cables {
        if let Some(link) = c.spec.fabric.links.get(*l) {
            let _ = writeln!(
                o,
                "<li class=\"cable-state\"><span class=\"st {w}\">{w}</span> cable {}</li>",
                xml(&link.to_string()),
                w = m.state.word()
            );
        }
    }
    for (n, m) in &st.nodes {
        let _ = writeln!(
            o,
            "<li class=\"node-state\"><span class=\"st {w}\">{w}</span> node {}</li>",
            xml(n),
            w = m.state.word()
        );
    }
    o.push_str("</ul>\n</section>\n");
}

fn verify(o: &mut String, v: Option<&Saved>) {
    o.push_str("<section id=\"verify\"><h2>Verify</h2>\n");
    let Some(v) = v else {
        missing(o, "verify result", "tbmesh verify --save");
        o.push_str("</section>\n");
        return;
    };
    o.push_str(&when(v));
    let checks = arr(&v.doc, "checks");
    let failed = checks
        .iter()
        .filter(|c| c.get("ok").and_then(Value::as_bool) != Some(true))
        .count();
    let _ = writeln!(
        o,
        "<p><strong>{} checks, {failed} failed</strong></p>",
        checks.len()
    );
    o.push_str("<table><thead><tr><th>check</th><th>node</th><th>subject</th><th>result</th><th>detail</th></tr></thead><tbody>\n");
    for ch in checks {
        let ok = ch.get("ok").and_then(Value::as_bool) == Some(true);
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td><span class=\"st {}\">{}</span></td><td>{}</td></tr>",
            xml(s(ch, "name")),
            xml(s(ch, "node")),
            xml(s(ch, "subject")),
            if ok { "ok" } else { "fail" },
            if ok { "ok" } else { "FAILED" },
            xml(s(ch, "detail"))
        );
    }
    o.push_str("</tbody></table>\n</section>\n");
}

fn throughput(o: &mut String, b: Option<&Saved>, lab: bool) {
    let _ = writeln!(
        o,
        "<section id=\"throughput\"><h2>Throughput per cable{}</h2>",
        if lab { " (lab figures)" } else { "" }
    );
    let Some(b) = b else {
        missing(o, "bench result", "tbmesh bench");
        o.push_str("</section>\n");
        return;
    };
    o.push_str(&when(b));
    let _ = writeln!(
        o,
        "<p>iperf3 TCP, {} s per run, each cable in both directions with 1 and 4 streams; the mark is the line rate of the port's kind where it is known.</p>",
        b.doc.get("test_seconds").and_then(Value::as_u64).unwrap_or(0)
    );
    o.push_str(&bars(&b.doc));
    o.push_str("<table><thead><tr><th>cable</th><th>from &gt; to</th><th>streams</th><th>Gbit/s</th><th>retransmits</th><th>CPU snd/rcv %</th><th>line rate</th><th>flags</th></tr></thead><tbody>\n");
    for r in arr(&b.doc, "links") {
        let res = r.get("result").unwrap_or(&Value::Null);
        let num = |k: &str, d: usize| {
            res.get(k)
                .and_then(Value::as_f64)
                .map_or("-".to_string(), |x| format!("{x:.d$}"))
        };
        let line = r
            .pointer("/line_rate/gbps")
            .and_then(Value::as_f64)
            .map_or_else(
                || {
                    format!(
                        "unknown ({})",
                        s(r.get("line_rate").unwrap_or(&Value::Null), "why")
                    )
                },
                |g| format!("{g:.0} Gbit/s"),
            );
        let mut flags: Vec<String> = arr(r, "flags")
            .iter()
            .map(|f| s(f, "text").to_string())
            .collect();
        if let Some(e) = r.get("error").and_then(Value::as_str) {
            flags.push(format!("failed: {e}"));
        }
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td>{}:{} &gt; {}:{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}/{}</td><td>{}</td><td>{}</td></tr>",
            xml(s(r, "cable")),
            xml(s(r, "from")),
            xml(s(r, "from_port")),
            xml(s(r, "to")),
            xml(s(r, "to_port")),
            r.get("streams").and_then(Value::as_u64).unwrap_or(0),
            num("gbps", 2),
            res.get("retransmits").and_then(Value::as_u64).map_or("-".into(), |v| v.to_string()),
            num("cpu_sender", 0),
            num("cpu_receiver", 0),
            xml(&line),
            xml(&flags.join("; "))
        );
    }
    o.push_str("</tbody></table>\n</section>\n");
}

fn latency(o: &mut String, b: Option<&Saved>, lab: bool) {
    let _ = writeln!(
        o,
        "<section id=\"latency\"><h2>Latency per node pair{}</h2>",
        if lab { " (lab figures)" } else { "" }
    );
    let Some(b) = b else {
        missing(o, "bench result", "tbmesh bench");
        o.push_str("</section>\n");
        return;
    };
    o.push_str(&when(b));
    o.push_str("<p>DF pings router address to router address, small and filling the MTU; milliseconds.</p>\n<table><thead><tr><th>from &gt; to</th><th>hops</th><th>bytes</th><th>min</th><th>avg</th><th>p99</th><th>max</th><th>lost</th></tr></thead><tbody>\n");
    for r in arr(&b.doc, "latency") {
        let res = r.get("result").unwrap_or(&Value::Null);
        let num = |k: &str| {
            res.get(k)
                .and_then(Value::as_f64)
                .map_or("-".to_string(), |x| format!("{x:.3}"))
        };
        let lost = match (
            res.get("sent").and_then(Value::as_u64),
            res.get("received").and_then(Value::as_u64),
        ) {
            (Some(a), Some(b)) => (a.saturating_sub(b)).to_string(),
            _ => r
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("-")
                .to_string(),
        };
        let _ = writeln!(
            o,
            "<tr><td>{} &gt; {}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            xml(s(r, "from")),
            xml(s(r, "to")),
            r.get("hops").and_then(Value::as_u64).map_or("-".into(), |h| h.to_string()),
            r.get("bytes").and_then(Value::as_u64).unwrap_or(0),
            num("min"),
            num("avg"),
            num("p99"),
            num("max"),
            xml(&lost)
        );
    }
    o.push_str("</tbody></table>\n</section>\n");
}

fn ceph(o: &mut String, v: Option<&Saved>) {
    o.push_str("<section id=\"ceph\"><h2>Ceph</h2>\n");
    let rows: Vec<&Value> = v
        .map(|v| arr(&v.doc, "checks"))
        .unwrap_or(&[])
        .iter()
        .filter(|c| s(c, "name") == "ceph")
        .collect();
    if rows.is_empty() {
        o.push_str("<p class=\"missing\">No Ceph status in the saved verify result (a spec without [ceph], <code>verify --mesh</code>, or no verify saved).</p>\n");
    } else {
        o.push_str("<table><thead><tr><th>subject</th><th>result</th><th>detail</th></tr></thead><tbody>\n");
        for ch in rows {
            let ok = ch.get("ok").and_then(Value::as_bool) == Some(true);
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td><span class=\"st {}\">{}</span></td><td>{}</td></tr>",
                xml(s(ch, "subject")),
                if ok { "ok" } else { "fail" },
                if ok { "ok" } else { "FAILED" },
                xml(s(ch, "detail"))
            );
        }
        o.push_str("</tbody></table>\n");
    }
    o.push_str("</section>\n");
}

/// rados bench figures of the newest bench, when it ran with `--ceph`.
fn ceph_bench(o: &mut String, b: Option<&Saved>, lab: bool) {
    let _ = writeln!(
        o,
        "<section id=\"ceph-bench\"><h2>Ceph bench{}</h2>",
        if lab { " (lab figures)" } else { "" }
    );
    let Some(ceph) = b.and_then(|b| b.doc.get("ceph")).filter(|c| !c.is_null()) else {
        missing(o, "bench result with Ceph figures", "tbmesh bench --ceph");
        o.push_str("</section>\n");
        return;
    };
    if let Some(b) = b {
        o.push_str(&when(b));
    }
    let num = |v: Option<&Value>| {
        v.and_then(Value::as_u64)
            .map_or("-".to_string(), |x| x.to_string())
    };
    let _ = writeln!(
        o,
        "<p>rados bench, {} s per phase, {} MiB objects, {} threads, on the temporary pool {} (size {}), deleted after: {}.</p>",
        num(ceph.get("test_seconds")),
        ceph.get("object_bytes").and_then(Value::as_u64).unwrap_or(0) / (1024 * 1024),
        num(ceph.get("threads")),
        xml(s(ceph, "pool")),
        num(ceph.get("size")),
        if ceph.get("cleanup").and_then(|c| c.get("pool_deleted")).and_then(Value::as_bool) == Some(true) { "yes" } else { "NO" }
    );
    o.push_str("<table><thead><tr><th>phase</th><th>MB/s</th><th>IOPS</th><th>avg latency ms</th><th>max latency ms</th></tr></thead><tbody>\n");
    for p in arr(ceph, "phases") {
        let res = p.get("result").unwrap_or(&Value::Null);
        let f = |k: &str| {
            res.get(k)
                .and_then(Value::as_f64)
                .map_or("-".to_string(), |x| format!("{x:.1}"))
        };
        let first = match p.get("error").and_then(Value::as_str) {
            Some(e) => format!("failed: {}", xml(e)),
            None => f("mb_per_s"),
        };
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td class=\"n\">{first}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            xml(s(p, "phase")),
            f("iops"),
            f("avg_latency_ms"),
            f("max_latency_ms")
        );
    }
    o.push_str("</tbody></table>\n</section>\n");
}

fn failover(o: &mut String, f: Option<&Saved>) {
    o.push_str("<section id=\"failover\"><h2>Failover test</h2>\n");
    match f {
        None => missing(o, "failover-test result", "tbmesh failover-test"),
        Some(f) => {
            o.push_str(&when(f));
            let summary = ["summary", "result", "ok"]
                .iter()
                .find_map(|k| f.doc.get(*k))
                .map(|v| match v {
                    Value::String(t) => t.clone(),
                    other => other.to_string(),
                })
                .unwrap_or_else(|| "see the saved file".into());
            let _ = writeln!(o, "<p>{}</p>", xml(&summary));
        }
    }
    o.push_str("</section>\n");
}
