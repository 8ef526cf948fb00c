//! Fuzzing on the stable toolchain: a seeded mutation driver over every
//! parser of untrusted text — the spec (parse, validate and, when valid,
//! render), the facts, readiness, disk, verify, Ceph, bench, failover and
//! pve-sdn parsers of node output. Seeds are the examples and captured
//! node output (fuzz-corpus/, the verify lab captures, bench testdata).
//! An input that panics is written to target/fuzz-failures/ and fails the
//! run; fixed ones are kept as regression tests below.
//!
//! Quick run (fixed seed, every target): part of `cargo nextest run -p
//! tbmesh-core`. Long run (docs/security.md, "Fuzzing"):
//! `TBMESH_FUZZ_ITERATIONS=1000000 cargo test --release -p tbmesh-core fuzz_long -- --ignored --nocapture`
//! (`TBMESH_FUZZ_TARGET=spec` for one target, `TBMESH_FUZZ_SEED=N`).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// xorshift64*: deterministic for a seed, no dependency.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Tokens that reach the parsers' edges: numbers at and past type limits,
/// separators of the formats they read, control and multi-byte characters.
const TOKENS: &[&str] = &[
    "0",
    "-1",
    "255",
    "256",
    "65535",
    "65536",
    "4294967295",
    "4294967296",
    "18446744073709551616",
    "99999999999999999999999",
    "1e309",
    "-0",
    "nan",
    "\"",
    "'",
    "=",
    "[",
    "]",
    "{",
    "}",
    "[[node]]",
    "[fabric]",
    "[ceph]",
    ",",
    ":",
    "::",
    "/",
    "//",
    "/./",
    "../",
    "--",
    " -- ",
    "\n",
    "\r\n",
    "\t",
    " ",
    "\0",
    "\u{1b}[2J",
    "é",
    "\u{202e}",
    "𝕏",
    "null",
    "true",
    "[]",
    "{}",
    "@@tbmesh ",
    "@@ready ",
    "@@verify ",
    "@@rc ",
    "@@ceph ",
    "@@disk ",
    "@@lvm ",
    "lsblk NAME=\"",
    "\\x20",
    "@@tbmesh files\npresent /a\n@@tbmesh files-tar\n",
    "dXN0YXI=",
    "@@probe ",
    "@@start ",
    "@@end ",
    "zstatus ",
    "holder ",
    "label ",
    "10.100.0.300",
    "0.0.0.0/0",
    "/32",
    "/33",
    "0000:00:0d.2",
    "en05",
    "lo",
];

/// One mutation of `input`, now and then spliced with another seed.
fn mutate(rng: &mut Rng, input: &[u8], seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..=rng.below(4) {
        let len = v.len();
        match rng.below(9) {
            0 if len > 0 => {
                let i = rng.below(len);
                v[i] ^= 1 << rng.below(8);
            }
            1 => {
                let i = rng.below(len + 1);
                v.insert(i, rng.next() as u8);
            }
            2 if len > 0 => {
                let i = rng.below(len);
                let n = rng.below((len - i).min(64)) + 1;
                v.drain(i..i + n);
            }
            3 | 4 => {
                let i = rng.below(len + 1);
                let t = TOKENS[rng.below(TOKENS.len())].as_bytes();
                v.splice(i..i, t.iter().copied());
            }
            5 if len > 0 => {
                // Repeat a piece: long lines, many sections.
                let i = rng.below(len);
                let n = rng.below((len - i).min(256)) + 1;
                let piece: Vec<u8> = v[i..i + n].to_vec();
                for _ in 0..=rng.below(8) {
                    let at = rng.below(v.len() + 1);
                    v.splice(at..at, piece.iter().copied());
                }
            }
            6 if !seeds.is_empty() => {
                // Splice a piece of another seed.
                let other = &seeds[rng.below(seeds.len())];
                if !other.is_empty() {
                    let i = rng.below(other.len());
                    let n = rng.below((other.len() - i).min(512)) + 1;
                    let at = rng.below(len + 1);
                    v.splice(at..at, other[i..i + n].iter().copied());
                }
            }
            7 if len > 0 => {
                // Replace a run of digits with a token (numbers at limits).
                let i = rng.below(len);
                if let Some(s) = (i..len).find(|&k| v[k].is_ascii_digit()) {
                    let e = (s..len).find(|&k| !v[k].is_ascii_digit()).unwrap_or(len);
                    let t = TOKENS[rng.below(14)].as_bytes();
                    v.splice(s..e, t.iter().copied());
                }
            }
            8 if len > 0 => v.truncate(rng.below(len)),
            _ => {}
        }
    }
    v.truncate(1 << 20);
    v
}

pub struct Target {
    pub name: &'static str,
    /// Seed files (relative to the crate) and directories of them.
    seeds: &'static [&'static str],
    run: fn(&str),
}

fn spec(text: &str) {
    let src = crate::Source::new("tbmesh.toml", text);
    if let Ok((c, _)) = crate::spec::load(&src) {
        let _ = crate::render::render(&c, &crate::render::RenderOptions::default());
        let _ = c.topology.routes().max_hops();
    }
}

fn facts(text: &str) {
    let _ = crate::facts::parse(text);
    let _ = crate::facts::parse_ip_addr(text);
    let _ = crate::facts::parse_lsblk(text);
    let _ = crate::facts::parse_os_release(text);
    let _ = crate::facts::parse_cpu_list(text);
    let _ = crate::facts::parse_netdev(text);
    let _ = crate::facts::parse_route_dev(text);
}

fn node_state(text: &str) {
    let _ = crate::readiness::probe::parse(text);
    for d in crate::ceph::disks::parse_disks(text) {
        let _ = crate::ceph::disks::verdict(&d, Some("f"), std::slice::from_ref(&d.path));
    }
}

fn verify(text: &str) {
    let _ = crate::verify::parse_probes(text);
    let _ = crate::verify::parse_openfabric_neighbors(text);
    let _ = crate::verify::parse_bfd_peers(text);
    let _ = crate::verify::parse_ping(text);
    let _ = crate::verify::parse_neigh(text);
    let _ = crate::verify::parse_unit_show(text);
    let _ = crate::verify::parse_route_get(text);
}

fn ceph(text: &str) {
    let _ = crate::ceph::state::parse_state(text);
    let _ = crate::ceph::state::parse_mon_dump(text);
    let _ = crate::ceph::state::parse_health(text);
    let _ = crate::ceph::state::parse_pg_stat(text);
    let _ = crate::pve_sdn::parse_all(text);
}

fn bench(text: &str) {
    let _ = crate::bench::ping::parse_ping(text);
    let _ = crate::bench::iperf::parse_iperf(text);
    let _ = crate::bench::script::parse_port_info(text);
    let _ = crate::failover::probe::parse_probes(text);
    let _ = crate::failover::fault::parse_said(text);
}

pub const TARGETS: &[Target] = &[
    Target {
        name: "spec",
        seeds: &["../../examples", "src/verify/lab/tbmesh.toml"],
        run: spec,
    },
    Target {
        name: "facts",
        seeds: &[
            "fuzz-corpus/facts",
            "src/verify/lab/ok",
            "src/verify/lab/cut",
        ],
        run: facts,
    },
    Target {
        name: "node-state",
        seeds: &["fuzz-corpus/readiness", "fuzz-corpus/disks"],
        run: node_state,
    },
    Target {
        name: "verify",
        seeds: &[
            "src/verify/lab/ok",
            "src/verify/lab/cut",
            "src/verify/lab/silent",
        ],
        run: verify,
    },
    Target {
        name: "ceph",
        seeds: &["fuzz-corpus/ceph", "fuzz-corpus/pve_sdn"],
        run: ceph,
    },
    Target {
        name: "bench",
        seeds: &["src/bench/testdata"],
        run: bench,
    },
];

fn seeds(t: &Target) -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = vec![];
    for s in t.seeds {
        let p = root.join(s);
        match std::fs::read_dir(&p) {
            Ok(rd) => files.extend(rd.flatten().map(|e| e.path()).filter(|p| p.is_file())),
            Err(_) => files.push(p),
        }
    }
    files.sort();
    let out: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(f).unwrap_or_else(|e| panic!("seed {}: {e}", f.display())))
        .collect();
    assert!(!out.is_empty(), "no seeds for {}", t.name);
    out
}

pub struct Stats {
    pub inputs: u64,
    pub elapsed: Duration,
    pub slowest: Duration,
}

/// Run `iterations` mutated inputs through `t`; a panic saves the input
/// and returns its path.
pub fn run(t: &Target, iterations: u64, seed: u64) -> Result<Stats, String> {
    let corpus = seeds(t);
    let mut rng = Rng::new(seed);
    let start = Instant::now();
    let mut slowest = Duration::ZERO;
    // Every seed as it is first, then mutations of seeds and of recent inputs.
    let mut last: Vec<u8> = vec![];
    for i in 0..iterations {
        let input = if (i as usize) < corpus.len() {
            corpus[i as usize].clone()
        } else {
            let base = if rng.below(4) == 0 && !last.is_empty() {
                &last
            } else {
                &corpus[rng.below(corpus.len())]
            };
            mutate(&mut rng, base, &corpus)
        };
        let text = String::from_utf8_lossy(&input).into_owned();
        let t0 = Instant::now();
        if catch_unwind(AssertUnwindSafe(|| (t.run)(&text))).is_err() {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/fuzz-failures");
            let _ = std::fs::create_dir_all(&dir);
            let f = dir.join(format!("{}-seed{seed}-{i}.txt", t.name));
            let _ = std::fs::write(&f, text.as_bytes());
            return Err(format!(
                "{}: input {i} panicked, saved in {}",
                t.name,
                f.display()
            ));
        }
        slowest = slowest.max(t0.elapsed());
        last = input;
    }
    Ok(Stats {
        inputs: iterations,
        elapsed: start.elapsed(),
        slowest,
    })
}

#[test]
fn fuzz_quick_every_target() {
    for t in TARGETS {
        if let Err(e) = run(t, 400, 14) {
            panic!("{e}");
        }
    }
}

#[test]
#[ignore = "long run (10^6 inputs per target by default): see docs/security.md, \"Fuzzing\""]
fn fuzz_long() {
    let env = |k: &str| std::env::var(k).ok();
    let iterations = env("TBMESH_FUZZ_ITERATIONS")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let seed = env("TBMESH_FUZZ_SEED")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let only = env("TBMESH_FUZZ_TARGET");
    let mut failures = vec![];
    for t in TARGETS
        .iter()
        .filter(|t| only.as_deref().is_none_or(|o| o == t.name))
    {
        match run(t, iterations, seed) {
            Ok(s) => println!(
                "fuzz {:<10} {} inputs in {:.1} s ({:.0}/s), slowest input {:.1} ms, no panic",
                t.name,
                s.inputs,
                s.elapsed.as_secs_f64(),
                s.inputs as f64 / s.elapsed.as_secs_f64(),
                s.slowest.as_secs_f64() * 1e3
            ),
            Err(e) => {
                println!("fuzz {e}");
                failures.push(e);
            }
        }
    }
    assert!(failures.is_empty(), "{failures:?}");
}
