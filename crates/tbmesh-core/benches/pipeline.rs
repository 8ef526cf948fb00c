//! The pure pipeline's cost: parse + validate + render for the examples and
//! generated 8- and 64-node rings (64: the node limit), and the routes with
//! each link cut that `tbmesh validate` shows for the 64-node ring.
//! `cargo bench -p tbmesh-core` prints medians.

use std::time::{Duration, Instant};
use tbmesh_core::render::{render, RenderOptions};
use tbmesh_core::Source;

fn ring(n: usize) -> String {
    let mut s = String::from("[cluster]\nname = \"bench\"\n[fabric]\nname = \"tb4\"\nmode = \"frr\"\nprefix = \"10.100.0.0/24\"\nhello_interval = 1\nhello_multiplier = 3\ncsnp_interval = 5\nlinks = [\n");
    for i in 0..n {
        s.push_str(&format!("  \"b{i}:en06 -- b{}:en05\",\n", (i + 1) % n));
    }
    s.push_str("]\n[ceph]\n[ceph.pool]\nname = \"p\"\n");
    for i in 0..n {
        s.push_str(&format!("[[node]]\nname = \"b{i}\"\nhost = \"192.0.2.{}\"\nports = {{ en05 = \"0000:00:0d.2\", en06 = \"0000:00:0d.3\" }}\nosd_devices = [\"/dev/nvme1n1\"]\n", i + 1));
    }
    s
}

fn median(mut f: impl FnMut(), iters: usize) -> Duration {
    let mut times: Vec<Duration> = (0..iters)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[iters / 2]
}

fn main() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/");
    let mut cases: Vec<(String, String)> =
        ["ms01-3node.toml", "ring-5node.toml", "static-3node.toml"]
            .iter()
            .map(|n| {
                (
                    n.to_string(),
                    std::fs::read_to_string(format!("{root}{n}")).unwrap_or_default(),
                )
            })
            .collect();
    cases.push(("generated ring-8".into(), ring(8)));
    cases.push(("generated ring-64".into(), ring(64)));
    println!("{:<20} {:>14} {:>14}", "spec", "validate", "+ render");
    for (name, text) in cases {
        let src = Source::new(name.clone(), text);
        let v = median(
            || {
                let _ = std::hint::black_box(tbmesh_core::spec::load(&src));
            },
            200,
        );
        let r = median(
            || {
                if let Ok((c, _)) = tbmesh_core::spec::load(&src) {
                    std::hint::black_box(render(&c, &RenderOptions::default()));
                }
            },
            200,
        );
        println!(
            "{name:<20} {:>11.1} µs {:>11.1} µs",
            v.as_secs_f64() * 1e6,
            r.as_secs_f64() * 1e6
        );
    }
    // validate's failover table: all routes with each link cut in turn.
    if let Ok((c, _)) = tbmesh_core::spec::load(&Source::new("ring-64", ring(64))) {
        let t = median(
            || {
                for l in 0..c.topology.links.len() {
                    let r = c.topology.routes_without(&[l]);
                    std::hint::black_box(r.max_hops());
                }
            },
            50,
        );
        println!(
            "{:<20} {:>11.1} µs  (routes with each of the 64 links cut)",
            "ring-64 failover",
            t.as_secs_f64() * 1e6
        );
    }
}
