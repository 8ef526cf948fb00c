//! Progress of work on several nodes at once: one live line per node on a
//! terminal, plain lines in a log, a stream of JSON events with `--json`.

use crate::printer::Printer;
use serde_json::{json, Value};
use std::io::{IsTerminal, Write};
use std::sync::Mutex;

enum Mode {
    Json,
    Live,
    Plain,
}

pub struct Progress {
    mode: Mode,
    names: Vec<String>,
    lines: Mutex<(Vec<String>, bool)>,
}

impl Progress {
    pub fn new(printer: &Printer, names: &[String]) -> Progress {
        let mode = if printer.json {
            Mode::Json
        } else if std::io::stderr().is_terminal()
            && std::env::var_os("TERM").is_some_and(|t| t != "dumb")
        {
            Mode::Live
        } else {
            Mode::Plain
        };
        Progress {
            mode,
            names: names.to_vec(),
            lines: Mutex::new((vec![String::new(); names.len()], false)),
        }
    }

    /// Report `msg` for `node`, with `event` as its JSON form.
    pub fn report(&self, node: &str, msg: &str, event: Value) {
        match self.mode {
            Mode::Json => {
                let mut ev = event;
                ev["node"] = json!(node);
                let line = format!("{ev}\n");
                let mut o = std::io::stdout().lock();
                let _ = o.write_all(line.as_bytes()).and_then(|()| o.flush());
            }
            Mode::Plain => {
                let mut e = std::io::stderr().lock();
                let _ = writeln!(e, "{node}: {msg}");
            }
            Mode::Live => {
                let Ok(mut g) = self.lines.lock() else { return };
                if let Some(i) = self.names.iter().position(|n| n == node) {
                    g.0[i] = msg.to_string();
                }
                let (lines, drawn) = &mut *g;
                let width = self.names.iter().map(String::len).max().unwrap_or(0);
                let mut e = std::io::stderr().lock();
                if *drawn {
                    let _ = write!(e, "\x1b[{}A", lines.len());
                }
                for (n, l) in self.names.iter().zip(lines.iter()) {
                    let _ = writeln!(e, "\x1b[2K{n:<width$}  {l}");
                }
                *drawn = true;
            }
        }
    }

    /// A message that is not about one node (printed above live lines).
    pub fn note(&self, msg: &str, event: Value) {
        match self.mode {
            Mode::Json => {
                let line = format!("{event}\n");
                let mut o = std::io::stdout().lock();
                let _ = o.write_all(line.as_bytes()).and_then(|()| o.flush());
            }
            Mode::Plain => {
                let mut e = std::io::stderr().lock();
                let _ = writeln!(e, "{msg}");
            }
            Mode::Live => {
                let Ok(mut g) = self.lines.lock() else { return };
                let mut e = std::io::stderr().lock();
                if g.1 {
                    let _ = write!(e, "\x1b[{}A\x1b[J", g.0.len());
                    g.1 = false;
                }
                let _ = writeln!(e, "{msg}");
            }
        }
    }
}
