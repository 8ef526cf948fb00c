//! `tbmesh bench`: iperf3 per cable and direction (1 and 4 streams) and
//! DF pings per node pair, judged against the line rate of each port's kind
//! (tbmesh_core::bench). Changes nothing that survives the run: the iperf3
//! servers are transient systemd units with a time limit, stopped at the end
//! and stopped by systemd if tbmesh is interrupted or loses its connection.
//! With `--ceph`, rados bench on a temporary pool (ceph.rs).

pub(crate) mod ceph;

use crate::commands::verify;
use crate::exit::{CmdResult, ExitStatus, Fail};
use crate::printer::{Printer, Table};
use crate::results;
use crate::session::{HostOptions, Session};
use crate::specfile;
use anyhow::anyhow;
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Instant, SystemTime};
use tbmesh_core::bench::{
    self, eval::Measured, line_rate, parse_iperf, parse_ping, script, Thresholds,
};
use tbmesh_core::topology::NodeIdx;

/// Stream counts of each direction.
const STREAMS: [u32; 2] = [1, 4];
/// Pings per pair and size.
const PINGS: u32 = 50;

pub struct Options {
    pub seconds: u32,
    pub force: bool,
    /// Also rados bench on a temporary pool.
    pub ceph: bool,
}

pub fn run(
    spec: Option<&Path>,
    opts: &Options,
    host: &HostOptions,
    printer: &Printer,
) -> CmdResult {
    let started = Instant::now();
    let at = SystemTime::now();
    let loaded = specfile::load(spec, printer)?;
    if loaded.cluster.ipv6_only() {
        return Err(Fail::bad_input(anyhow!(
            "{}: bench measures between IPv4 router addresses, and this fabric is IPv6-only (prefix6 without prefix); bench does not support IPv6-only fabrics yet",
            loaded.path.display()
        ))
        .hint("add an IPv4 prefix = \"10.100.0.0/24\" to [fabric] (dual stack) to benchmark the mesh; `tbmesh verify` checks an IPv6-only mesh"));
    }
    if opts.ceph && loaded.cluster.spec.ceph.is_none() {
        return Err(Fail::bad_input(anyhow!(
            "--ceph: {} has no [ceph] section, so there is no Ceph cluster to benchmark",
            loaded.path.display()
        ))
        .hint("drop --ceph, or add [ceph] and run `tbmesh apply`"));
    }
    let session = Session::open(loaded, host)?;
    let report = verify::check(&session, true, printer)?;
    if !report.ok() {
        if !opts.force {
            printer.text(verify::report_text(&report, true));
            return Err(Fail::failure(anyhow!(
                "verify found {} failure(s): a broken mesh gives meaningless numbers; nothing was benchmarked",
                report.failed().count()
            ))
            .hint("fix what verify reports, or pass --force to benchmark anyway"));
        }
        printer.note(format!(
            "warning: verify found {} failure(s); benchmarking anyway (--force)",
            report.failed().count()
        ));
    }
    let c = &session.loaded.cluster;
    let kinds = port_kinds(&session, printer)?;
    let latency = latency(&session, printer);
    let links = throughput(
        &session,
        &results::timestamp(at),
        opts.seconds,
        &kinds,
        printer,
    )?;
    let ceph = if opts.ceph {
        Some(ceph::run(
            &session,
            &results::timestamp(at),
            opts.seconds,
            printer,
        )?)
    } else {
        None
    };
    let lab = kinds
        .iter()
        .flatten()
        .all(|(_, d, _)| d == "veth" || d == "virtio_net");
    let doc = json!({
        "kind": "bench",
        "cluster": c.spec.cluster.name.value,
        "tbmesh_version": env!("CARGO_PKG_VERSION"),
        "time": results::timestamp(at),
        "lab": lab,
        "verify_ok": report.ok(),
        "forced": !report.ok(),
        "test_seconds": opts.seconds,
        "thresholds": Thresholds::default(),
        "links": links,
        "latency": latency,
        "ceph": ceph,
        "seconds": started.elapsed().as_secs_f64(),
    });
    let saved = results::save(&c.spec.cluster.name, "bench", &doc)
        .map_err(|e| Fail::failure(e.context("saving the results")))?;
    if printer.json {
        printer.json(&doc);
    } else {
        printer.text(text(&doc));
        printer.line(format!(
            "bench finished in {:.1} s; saved {}",
            started.elapsed().as_secs_f64(),
            saved.display()
        ));
    }
    let failed = links.iter().chain(&latency).any(|r| !r["error"].is_null())
        || ceph.as_ref().is_some_and(ceph::failed);
    Ok(if failed {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// Per node and port: (port, driver, speed in Mb/s).
type Kinds = Vec<Vec<(String, String, Option<i64>)>>;

fn port_kinds(session: &Session, printer: &Printer) -> Result<Kinds, Fail> {
    let c = &session.loaded.cluster;
    session.on_all(printer, |i, t| {
        let ports: Vec<String> = c.nodes()[i]
            .ports
            .iter()
            .map(|p| p.name.value.clone())
            .collect();
        let out = t.run(&script::port_info(&ports))?;
        Ok(script::parse_port_info(&out.stdout))
    })
}

fn kind_of<'a>(kinds: &'a Kinds, node: NodeIdx, port: &str) -> (&'a str, Option<i64>) {
    kinds[node]
        .iter()
        .find(|(p, _, _)| p == port)
        .map_or(("-", None), |(_, d, s)| (d.as_str(), *s))
}

/// Small and full-MTU DF pings from every node to every later node, router
/// address to router address (multi-hop pairs included).
fn latency(session: &Session, printer: &Printer) -> Vec<Value> {
    let c = &session.loaded.cluster;
    let routes = c.topology.routes();
    let n = c.nodes().len();
    let mut rows = vec![];
    for a in 0..n {
        for b in a + 1..n {
            for (label, size) in [("small", 56), ("mtu", c.spec.fabric.mtu.value - 28)] {
                let from = c.router_ips[a];
                let to = c.router_ips[b];
                let cmd = script::ping(from, to, size, PINGS);
                let res = session.nodes[a]
                    .run(&cmd)
                    .map_err(|e| format!("{e:#}"))
                    .and_then(|o| parse_ping(&o.stdout));
                let mut row = json!({
                    "from": c.node_name(a), "to": c.node_name(b),
                    "hops": routes.hops(a, b), "size": label, "bytes": size,
                });
                match res {
                    Ok(l) => {
                        row["result"] = json!(l);
                        row["error"] = Value::Null;
                    }
                    Err(e) => {
                        printer.note(format!(
                            "{} > {} {label}: {e}",
                            c.node_name(a),
                            c.node_name(b)
                        ));
                        row["error"] = json!(e);
                    }
                }
                rows.push(row);
            }
        }
    }
    rows
}

/// Stops the run's iperf3 servers when dropped (the time limit of their
/// units stops them if tbmesh never gets here).
struct Servers<'a> {
    session: &'a Session,
    unit: String,
}

impl Drop for Servers<'_> {
    fn drop(&mut self) {
        let stop = script::stop_server(&self.unit);
        self.session
            .each(&self.session.all(), |_, t| t.run(&stop).ok());
    }
}

/// iperf3 per cable, both directions, 1 and 4 streams, one run at a time.
fn throughput(
    session: &Session,
    run_id: &str,
    secs: u32,
    kinds: &Kinds,
    printer: &Printer,
) -> Result<Vec<Value>, Fail> {
    let c = &session.loaded.cluster;
    let runs_total = c.topology.links.len() * 2 * STREAMS.len();
    let max_secs = runs_total as u64 * (u64::from(secs) + 10) + 120;
    let unit = script::server_unit(&run_id.to_lowercase());
    let servers = Servers {
        session,
        unit: unit.clone(),
    };
    session.on_all(printer, |i, t| {
        let out = t.run(&script::start_server(&unit, c.router_ips[i], max_secs))?;
        if out.ok() {
            Ok(())
        } else {
            Err(anyhow!("starting iperf3: {}", out.stderr.trim()))
        }
    })?;
    let mut rows = vec![];
    let mut measured = vec![];
    for (l, link) in c.topology.links.iter().enumerate() {
        let cable = c.spec.fabric.links[l].to_string();
        for ((fa, fp), (ta, tp)) in [(&link.a, &link.b), (&link.b, &link.a)] {
            for streams in STREAMS {
                let (driver, speed) = kind_of(kinds, *fa, fp);
                let rate = line_rate(driver, speed);
                let cmd = script::client(c.router_ips[*fa], fp, c.router_ips[*ta], secs, streams);
                let res = session.nodes[*fa]
                    .run(&cmd)
                    .map_err(|e| format!("{e:#}"))
                    .and_then(|o| parse_iperf(&o.stdout));
                let mut row = json!({
                    "cable": cable, "index": l,
                    "from": c.node_name(*fa), "from_port": fp,
                    "to": c.node_name(*ta), "to_port": tp,
                    "streams": streams, "driver": driver, "line_rate": rate,
                    "flags": [],
                });
                let what = format!(
                    "{}:{fp} > {}:{tp}, {streams} stream(s)",
                    c.node_name(*fa),
                    c.node_name(*ta)
                );
                match res {
                    Ok(t) => {
                        printer.note(format!("{what}: {:.2} Gbit/s", t.gbps));
                        row["ratio"] = json!(rate.gbps().map(|g| t.gbps / g));
                        row["error"] = Value::Null;
                        measured.push((
                            rows.len(),
                            Measured {
                                kind: driver.to_string(),
                                streams,
                                gbps: t.gbps,
                                retransmits: t.retransmits,
                                bytes: t.bytes,
                            },
                        ));
                        row["result"] = json!(t);
                    }
                    Err(e) => {
                        printer.note(format!("{what}: {e}"));
                        row["error"] = json!(e);
                    }
                }
                rows.push(row);
            }
        }
    }
    drop(servers);
    let only: Vec<Measured> = measured.iter().map(|(_, m)| m.clone()).collect();
    for ((k, _), flags) in measured
        .iter()
        .zip(bench::evaluate(&only, &Thresholds::default()))
    {
        let texts: Vec<Value> = flags
            .iter()
            .map(|f| json!({"short": f.short(), "text": f.text(), "flag": f}))
            .collect();
        rows[*k]["flags"] = json!(texts);
    }
    Ok(rows)
}

/// The tables for people.
fn text(doc: &Value) -> String {
    let f = |v: &Value, d: usize| v.as_f64().map_or("-".to_string(), |x| format!("{x:.d$}"));
    let lab = if doc["lab"] == true {
        " (lab figures)"
    } else {
        ""
    };
    let mut out = format!(
        "THROUGHPUT{lab}, iperf3 TCP {} s per run\n",
        doc["test_seconds"]
    );
    let mut notes: Vec<String> = vec![];
    let mut t = Table::new([
        "CABLE",
        "FROM > TO",
        "STREAMS",
        "GBIT/S",
        "RETR",
        "CPU SND/RCV %",
        "LINE",
        "RATIO",
        "FLAGS",
    ]);
    for r in doc["links"].as_array().into_iter().flatten() {
        let res = &r["result"];
        let line = match r["line_rate"]["gbps"].as_f64() {
            Some(g) => format!("{g:.0} Gbit/s"),
            None => "unknown".into(),
        };
        let flags: Vec<&str> = r["flags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f["short"].as_str())
            .collect();
        for f in r["flags"].as_array().into_iter().flatten() {
            let note = format!("{}: {}", s(&r["cable"]), s(&f["text"]));
            if !notes.contains(&note) {
                notes.push(note);
            }
        }
        t.row([
            r["cable"].as_str().unwrap_or("").to_string(),
            format!(
                "{}:{} > {}:{}",
                s(&r["from"]),
                s(&r["from_port"]),
                s(&r["to"]),
                s(&r["to_port"])
            ),
            r["streams"].to_string(),
            if r["error"].is_null() {
                f(&res["gbps"], 2)
            } else {
                "FAILED".into()
            },
            res["retransmits"]
                .as_u64()
                .map_or("-".into(), |v| v.to_string()),
            format!(
                "{}/{}",
                f(&res["cpu_sender"], 0),
                f(&res["cpu_receiver"], 0)
            ),
            line,
            r["ratio"]
                .as_f64()
                .map_or("-".into(), |x| format!("{:.0}%", x * 100.0)),
            if r["error"].is_null() {
                flags.join("; ")
            } else {
                s(&r["error"]).to_string()
            },
        ]);
    }
    out.push_str(&t.render());
    for n in &notes {
        out.push_str(&format!("flag: {n}\n"));
    }
    out.push_str(&format!("\nLATENCY{lab}, {PINGS} DF pings per row, ms\n"));
    let mut t = Table::new([
        "FROM > TO",
        "HOPS",
        "SIZE",
        "MIN",
        "AVG",
        "P99",
        "MAX",
        "LOST",
    ]);
    for r in doc["latency"].as_array().into_iter().flatten() {
        let res = &r["result"];
        let lost = match (res["sent"].as_u64(), res["received"].as_u64()) {
            (Some(a), Some(b)) => (a - b.min(a)).to_string(),
            _ => "-".into(),
        };
        t.row([
            format!("{} > {}", s(&r["from"]), s(&r["to"])),
            r["hops"].as_u64().map_or("-".into(), |h| h.to_string()),
            format!("{} B", r["bytes"]),
            f(&res["min"], 3),
            f(&res["avg"], 3),
            f(&res["p99"], 3),
            f(&res["max"], 3),
            if r["error"].is_null() {
                lost
            } else {
                s(&r["error"]).to_string()
            },
        ]);
    }
    out.push_str(&t.render());
    if !doc["ceph"].is_null() {
        out.push_str(&ceph::text(&doc["ceph"], lab));
    }
    out
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}
