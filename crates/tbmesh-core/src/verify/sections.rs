//! The framing of a probe script's output: one section per probe.

/// Starts a probe's section in the script's output.
pub(crate) const MARK: &str = "@@verify ";
/// Ends a probe's section: its exit status.
pub(crate) const RC: &str = "@@rc ";
pub(crate) struct Section<'a> {
    pub(crate) head: &'a str,
    pub(crate) body: String,
    pub(crate) status: i32,
}

pub(crate) fn sections(out: &str) -> Vec<Section<'_>> {
    let mut v: Vec<Section> = vec![];
    for line in out.lines() {
        if let Some(h) = line.strip_prefix(MARK) {
            v.push(Section {
                head: h.trim(),
                body: String::new(),
                status: -1,
            });
        } else if let Some(s) = v.last_mut() {
            match line.strip_prefix(RC) {
                Some(rc) => s.status = rc.trim().parse().unwrap_or(-1),
                None => {
                    s.body.push_str(line);
                    s.body.push('\n');
                }
            }
        }
    }
    v
}

pub(crate) fn first_line(s: &str) -> &str {
    s.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
}
