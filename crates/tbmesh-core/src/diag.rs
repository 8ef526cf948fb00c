//! Diagnostics: errors and warnings about a spec, pointing at `file:line:col`.

use serde::Serialize;
use std::fmt;
use std::ops::Range;

/// A byte range in the spec's text.
pub type Span = Range<usize>;

/// The text of a spec file and the name it is shown under in messages.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub text: String,
    /// Byte offset of the start of each line, so that locating a diagnostic
    /// is a binary search, not a walk over the file (issue 14 item 10).
    line_starts: Vec<usize>,
}

impl Source {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Source {
            name: name.into(),
            text,
            line_starts,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let start = self.line_starts[line - 1];
        let col = self.text[start..offset].chars().count() + 1;
        (line, col)
    }

    fn line_text(&self, line: usize) -> &str {
        let Some(&start) = self.line_starts.get(line - 1) else {
            return "";
        };
        let end = self
            .line_starts
            .get(line)
            .map_or(self.text.len(), |&e| e - 1);
        self.text[start..end].trim_end_matches('\r')
    }
}

/// `s` safe to print on a terminal: control characters (escape sequences
/// that would set a title or clear the screen) shown as visible symbols,
/// one character each so that columns still line up (issue 14 item 11).
pub fn visible(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\t' => ' ',
            '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + c as u32).unwrap_or('?'),
            '\u{7f}' => '\u{2421}',
            '\u{80}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => '\u{fffd}',
            c => c,
        })
        .collect()
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One finding about a spec: what is wrong, where, and what would be right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub span: Option<Span>,
    pub message: String,
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(span: impl Into<Option<Span>>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            span: span.into(),
            message: message.into(),
            hint: None,
        }
    }

    pub fn warning(span: impl Into<Option<Span>>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            span: span.into(),
            message: message.into(),
            hint: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Attach the source so it can be displayed with its location.
    pub fn located<'a>(&'a self, source: &'a Source) -> Located<'a> {
        Located { diag: self, source }
    }

    /// The `file:line:col` location, for JSON output and tests.
    pub fn location(&self, source: &Source) -> String {
        match &self.span {
            Some(span) => {
                let (line, col) = source.line_col(span.start);
                format!("{}:{}:{}", source.name, line, col)
            }
            None => source.name.clone(),
        }
    }
}

/// A diagnostic ready to print:
///
/// ```text
/// error: tbmesh.toml:12:14: router_ip 10.200.0.12 is outside fabric.prefix 10.100.0.0/24
///    |
/// 12 | router_ip = "10.200.0.12"
///    |             ^^^^^^^^^^^^^
/// hint: use an address inside 10.100.0.0/24, or remove router_ip to have one allocated
/// ```
pub struct Located<'a> {
    diag: &'a Diagnostic,
    source: &'a Source,
}

impl fmt::Display for Located<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.diag;
        let kind = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        writeln!(
            f,
            "{kind}: {}: {}",
            visible(&d.location(self.source)),
            visible(&d.message)
        )?;
        if let Some(span) = &d.span {
            let (line, col) = self.source.line_col(span.start);
            let text = visible(self.source.line_text(line));
            let gutter = line.to_string().len();
            let avail = text.chars().count().saturating_sub(col - 1).max(1);
            let width = self.source.text[span.clone()]
                .lines()
                .next()
                .map_or(1, |l| l.chars().count())
                .clamp(1, avail);
            writeln!(f, "{:gutter$} |", "")?;
            writeln!(f, "{line} | {text}")?;
            writeln!(
                f,
                "{:gutter$} | {}{}",
                "",
                " ".repeat(col - 1),
                "^".repeat(width)
            )?;
        }
        if let Some(hint) = &d.hint {
            writeln!(f, "hint: {}", visible(hint))?;
        }
        Ok(())
    }
}

/// The closest of `candidates` to `word`, when it is close enough to be a likely typo.
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(word, c), *c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one_in_characters() {
        let src = Source::new("t.toml", "a = 1\nbé = \"x\"\n");
        assert_eq!(src.line_col(0), (1, 1));
        assert_eq!(src.line_col(6), (2, 1));
        // 'é' is two bytes but one column
        assert_eq!(
            src.line_col(src.text.rfind('=').map_or(0, |i| i + 3)),
            (2, 7)
        );
    }

    #[test]
    fn line_col_past_the_last_newline_and_crlf() {
        let src = Source::new("t.toml", "a\r\nb\n");
        assert_eq!(src.line_col(3), (2, 1));
        assert_eq!(src.line_col(99), (3, 1));
        assert_eq!(src.line_text(1), "a");
        assert_eq!(src.line_text(3), "");
    }

    #[test]
    fn control_characters_are_shown_not_sent() {
        let v = visible("a\u{1b}]0;title\u{7}b\u{9b}c");
        assert!(!v.chars().any(char::is_control), "{v:?}");
        assert_eq!(
            v.chars().count(),
            "a\u{1b}]0;title\u{7}b\u{9b}c".chars().count()
        );
    }

    #[test]
    fn did_you_mean_finds_typos_only() {
        assert_eq!(did_you_mean("prefx", &["prefix", "mtu"]), Some("prefix"));
        assert_eq!(did_you_mean("zzz", &["prefix", "mtu"]), None);
    }
}
