//! `tbmesh status --watch N`: refresh every N seconds until interrupted. On
//! a terminal each frame is drawn over the last (cursor home, each line
//! cleared to its end, the rest of the screen cleared) so nothing flickers;
//! in a pipe or log, frames follow each other as plain text (JSON: one
//! compact document per line).

use crate::exit::CmdResult;
use crate::printer::Printer;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};
use tbmesh_core::status::Status;

pub fn run(secs: u32, printer: &Printer, mut next: impl FnMut() -> (Status, f64)) -> CmdResult {
    let tty = !printer.json && std::io::stdout().is_terminal();
    let mut first = true;
    loop {
        let started = Instant::now();
        let (s, took) = next();
        let out = if printer.json {
            format!("{}\n", super::to_json(&s, took))
        } else {
            let text = format!(
                "every {secs} s (Ctrl-C to stop)\n{}",
                super::render(&s, took)
            );
            frame(&text, tty, first)
        };
        let mut o = std::io::stdout().lock();
        if o.write_all(out.as_bytes())
            .and_then(|()| o.flush())
            .is_err()
        {
            // The reader went away (`| head`): done.
            return Ok(crate::exit::ExitStatus::Success);
        }
        first = false;
        let wait = Duration::from_secs(u64::from(secs)).saturating_sub(started.elapsed());
        std::thread::sleep(wait);
    }
}

/// One frame as written: over the previous one on a terminal, after it
/// (blank line between) otherwise.
pub fn frame(text: &str, tty: bool, first: bool) -> String {
    if !tty {
        return if first {
            text.to_string()
        } else {
            format!("\n{text}")
        };
    }
    let mut s = String::from(if first { "\x1b[H\x1b[2J" } else { "\x1b[H" });
    for line in text.lines() {
        s.push_str(line);
        s.push_str("\x1b[K\n");
    }
    s.push_str("\x1b[J");
    s
}

#[cfg(test)]
mod tests {
    use super::frame;

    #[test]
    fn a_terminal_frame_redraws_in_place_and_a_pipe_frame_follows() {
        let t = "a\nbb\n";
        assert_eq!(
            frame(t, true, true),
            "\x1b[H\x1b[2Ja\x1b[K\nbb\x1b[K\n\x1b[J"
        );
        // Later frames never clear the whole screen (that is the flicker).
        let later = frame(t, true, false);
        assert!(later.starts_with("\x1b[H") && !later.contains("\x1b[2J"));
        assert_eq!(frame(t, false, true), t);
        assert_eq!(frame(t, false, false), "\na\nbb\n");
        assert!(!frame(t, false, false).contains('\x1b'));
    }
}
