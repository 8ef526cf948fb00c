//! One round trip, several scripts: the scripts a command needs from a node
//! (recovery check, facts, Ceph's own facts and state) joined into one, each
//! in a subshell of its own (so one's `exit` or `set -e` does not end the
//! others), and the output split back by part. Over ssh a round trip costs
//! far more than running a few more lines on the node; and the parts that
//! only read run at the same time, each into a file of its own.

use std::collections::BTreeMap;

const MARK: &str = "@@tbmesh-part ";

/// One script of named parts: `first` in the order given, then every part
/// of `together` at the same time; outputs in that order.
pub fn join(first: &[(String, String)], together: &[(String, String)]) -> String {
    let mut s = String::new();
    for (name, body) in first {
        s.push_str(&format!("echo '{MARK}{name}'\n(\n{body}\n)\necho\n"));
    }
    if together.is_empty() {
        return s;
    }
    s.push_str("tbmesh_trip=$(mktemp -d)\n");
    for (k, (_, body)) in together.iter().enumerate() {
        s.push_str(&format!("(\n{body}\n) > \"$tbmesh_trip/{k}\" &\n"));
    }
    s.push_str("wait\n");
    for (k, (name, _)) in together.iter().enumerate() {
        s.push_str(&format!(
            "echo '{MARK}{name}'; cat \"$tbmesh_trip/{k}\"; echo\n"
        ));
    }
    s.push_str("rm -rf \"$tbmesh_trip\"\n");
    s
}

/// The output of [`join`]'s script, by part name. A part that did not
/// start (the script was cut off) is missing.
pub fn split(out: &str) -> BTreeMap<String, String> {
    let mut parts: BTreeMap<String, String> = BTreeMap::new();
    let mut cur: Option<String> = None;
    for l in out.split_inclusive('\n') {
        if let Some(name) = l.trim_end_matches('\n').strip_prefix(MARK) {
            cur = Some(name.to_string());
            parts.insert(name.to_string(), String::new());
        } else if let Some(b) = cur.as_ref().and_then(|c| parts.get_mut(c)) {
            b.push_str(l);
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_come_back_by_name_and_an_exit_ends_only_its_own_part() {
        let s = join(
            &[("a".into(), "echo one\nexit 3".into())],
            &[
                ("b".into(), "echo two".into()),
                ("c".into(), "echo three".into()),
            ],
        );
        assert!(s.contains("(\necho one\nexit 3\n)"));
        assert!(s
            .find("&\nwait")
            .is_some_and(|w| w > s.find("echo three").unwrap_or(usize::MAX)));
        let out = "@@tbmesh-part a\none\n\n@@tbmesh-part b\ntwo\n\n";
        let p = split(out);
        assert_eq!(p["a"], "one\n\n");
        assert_eq!(p["b"], "two\n\n");
        assert!(!split("@@tbmesh-part a\nx\n").contains_key("b"));
    }
}
