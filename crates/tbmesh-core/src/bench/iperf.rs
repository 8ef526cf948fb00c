//! iperf3 `--json` output of a client run: throughput, retransmits, CPU.

use serde::Serialize;
use serde_json::Value;

/// One iperf3 TCP run, as the client reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Throughput {
    /// Received by the server, Gbit/s (what the link carried).
    pub gbps: f64,
    /// TCP retransmits of the sender.
    pub retransmits: u64,
    /// Bytes the sender sent.
    pub bytes: u64,
    /// Seconds the test ran.
    pub seconds: f64,
    /// CPU use of the sending and the receiving host, percent of one host.
    pub cpu_sender: f64,
    pub cpu_receiver: f64,
}

/// Reads the document `iperf3 -c ... --json` prints. iperf3 reports a
/// failure inside the document (`error`), which becomes the error here.
pub fn parse_iperf(text: &str) -> Result<Throughput, String> {
    let doc: Value =
        serde_json::from_str(text).map_err(|e| format!("iperf3 output is not JSON: {e}"))?;
    if let Some(err) = doc.get("error").and_then(Value::as_str) {
        return Err(format!("iperf3: {err}"));
    }
    let end = doc.get("end").ok_or("iperf3 output has no `end` section")?;
    let num = |v: &Value, key: &str| -> Result<f64, String> {
        v.get(key)
            .and_then(Value::as_f64)
            .ok_or_else(|| format!("iperf3 output lacks {key}"))
    };
    let sent = end
        .get("sum_sent")
        .ok_or("iperf3 output lacks end.sum_sent")?;
    let received = end
        .get("sum_received")
        .ok_or("iperf3 output lacks end.sum_received")?;
    let cpu = end
        .get("cpu_utilization_percent")
        .ok_or("iperf3 output lacks end.cpu_utilization_percent")?;
    Ok(Throughput {
        gbps: num(received, "bits_per_second")? / 1e9,
        retransmits: sent.get("retransmits").and_then(Value::as_u64).unwrap_or(0),
        bytes: sent.get("bytes").and_then(Value::as_u64).unwrap_or(0),
        seconds: num(sent, "seconds")?,
        cpu_sender: num(cpu, "host_total")?,
        cpu_receiver: num(cpu, "remote_total")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_captured_run_is_read() {
        // iperf3 3.12 on loopback, `-P 2 -t 1 -J`.
        let t = parse_iperf(include_str!("testdata/iperf3-3.12-loopback-P2.json")).expect("parse");
        assert!((t.gbps - 1.475_302_648_525_104_3).abs() < 1e-9, "{t:?}");
        assert_eq!(t.retransmits, 30);
        assert_eq!(t.bytes, 197_918_720);
        assert!((t.cpu_sender - 5.030_327_364_917_809).abs() < 1e-9);
        assert!((t.cpu_receiver - 7.326_833_857_220_577).abs() < 1e-9);
    }

    #[test]
    fn an_iperf3_error_is_an_error() {
        let e = parse_iperf(r#"{"start":{},"intervals":[],"end":{},"error":"unable to connect to server: Connection refused"}"#)
            .expect_err("error");
        assert_eq!(e, "iperf3: unable to connect to server: Connection refused");
        assert!(parse_iperf("iperf3: error").is_err());
    }
}
