//! `tbmesh bench`: the commands it runs on the nodes, the parsers of their
//! output (iperf3 `--json`, ping), and the evaluation of the figures
//! against the line rate of each port's kind. Pure: the command in the
//! binary runs the scripts and hands the output here.

pub mod eval;
pub mod iperf;
pub mod ping;
pub mod rados;
pub mod script;

pub use eval::{evaluate, line_rate, Flag, LineRate, Thresholds};
pub use iperf::{parse_iperf, Throughput};
pub use ping::{parse_ping, Latency};
pub use rados::{parse_rados, RadosFigures};
