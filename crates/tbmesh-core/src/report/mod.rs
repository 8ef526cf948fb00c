//! `tbmesh report`: one self-contained HTML page (no scripts, fonts or
//! images from elsewhere) from the saved results of verify, bench and
//! failover-test. Pure: the command reads the files and hands the documents
//! here; every document is read defensively (a missing or odd field shows
//! as "-", never as a failure to render).

mod bars;
mod html;
mod states;

pub use html::render;
pub use states::states;

use serde_json::Value;

/// One saved result: when it was made, from which file, and the document.
#[derive(Debug, Clone)]
pub struct Saved {
    pub time: String,
    pub file: String,
    pub doc: Value,
}

/// Everything the page shows besides the cluster itself.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub verify: Option<Saved>,
    pub bench: Option<Saved>,
    pub failover: Option<Saved>,
    /// tbmesh's version, the spec's digest, and when the page was made.
    pub version: String,
    pub spec_digest: String,
    pub generated: String,
}

/// FNV-1a, 64 bits, of the spec's text: enough to tell two specs apart on
/// the page (not a security measure).
pub fn spec_digest(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("fnv1a64:{h:016x}")
}

/// A string field or "".
fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// The array at `key`, or none.
fn arr<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map_or(&[], |a| a.as_slice())
}

#[cfg(test)]
mod tests;
