//! All output goes through here: tables and lines for people, JSON for
//! programs. Data goes to stdout; diagnostics and progress to stderr.

use std::io::{self, Write};

#[derive(Debug, Clone, Copy)]
pub struct Printer {
    pub json: bool,
}

impl Printer {
    /// Print a line of human output (nothing in JSON mode).
    pub fn line(&self, s: impl AsRef<str>) {
        if !self.json {
            out(&format!("{}\n", s.as_ref()));
        }
    }

    /// Print raw human text as is (nothing in JSON mode).
    pub fn text(&self, s: impl AsRef<str>) {
        if !self.json {
            out(s.as_ref());
        }
    }

    /// Print a JSON document (JSON mode only).
    pub fn json(&self, value: &serde_json::Value) {
        if self.json {
            let s = serde_json::to_string_pretty(value)
                .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
            out(&format!("{s}\n"));
        }
    }

    /// A message about the run (progress, warnings) on stderr, in both modes.
    pub fn note(&self, s: impl AsRef<str>) {
        let mut err = io::stderr().lock();
        let _ = writeln!(err, "{}", s.as_ref());
    }
}

/// Write to stdout; a closed pipe (`tbmesh validate | head`) is not an error.
fn out(s: &str) {
    let mut o = io::stdout().lock();
    if let Err(e) = o.write_all(s.as_bytes()).and_then(|()| o.flush()) {
        if e.kind() == io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
    }
}

/// A plain-text table with aligned columns.
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(header: I) -> Self {
        Table {
            header: header.into_iter().map(Into::into).collect(),
            rows: vec![],
        }
    }

    pub fn row<I: IntoIterator<Item = S>, S: Into<String>>(&mut self, row: I) {
        self.rows.push(row.into_iter().map(Into::into).collect());
    }

    pub fn render(&self) -> String {
        let cols = self.header.len();
        let mut width = vec![0; cols];
        for r in std::iter::once(&self.header).chain(&self.rows) {
            for (i, c) in r.iter().enumerate().take(cols) {
                width[i] = width[i].max(c.chars().count());
            }
        }
        let mut s = String::new();
        for r in std::iter::once(&self.header).chain(&self.rows) {
            let line: Vec<String> = r
                .iter()
                .enumerate()
                // Padded by hand: a format width over 65535 panics (issue 14 item 7).
                .map(|(i, c)| {
                    let pad = width[i].saturating_sub(c.chars().count());
                    format!("{c}{}", " ".repeat(pad))
                })
                .collect();
            s.push_str(line.join("  ").trim_end());
            s.push('\n');
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 14 item 7: a column wider than 65535 made `format!` panic.
    #[test]
    fn item7_tables_with_huge_cells_do_not_panic() {
        let mut t = Table::new(["A", "B"]);
        let wide = "x".repeat(70_000);
        t.row([wide.as_str(), "b"]);
        t.row(["a", "b"]);
        let s = t.render();
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines[0].len(), 70_000 + 2 + 1);
        assert_eq!(lines[2], format!("a{}  b", " ".repeat(69_999)));
    }
}
