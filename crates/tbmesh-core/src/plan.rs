//! Desired state (rendered) + facts → the plan: per node and phase, which
//! files change (with diffs), which lines of vendor files change, and which
//! commands run. Pure; `tbmesh plan` prints it and `apply` executes it.

use crate::facts::{Facts, FileState};
use crate::render::{NodeRender, Phase, Step, When};
use serde::Serialize;
use std::collections::BTreeSet;

/// What happens to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Update,
    /// Only the mode (or owner) differs.
    Chmod,
    Unchanged,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileChange {
    pub phase: Phase,
    pub path: String,
    pub action: Action,
    pub mode: u32,
    /// A file tbmesh owns (false: a line edit in a vendor's file).
    pub owned: bool,
    /// The whole desired content (what apply writes).
    #[serde(skip)]
    pub content: String,
    /// Unified diff from the node's content (empty when unchanged).
    pub diff: String,
}

impl FileChange {
    pub fn changes(&self) -> bool {
        self.action != Action::Unchanged
    }
}

/// A command in the plan, with why it runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedStep {
    pub phase: Phase,
    pub command: String,
    pub argv: Vec<String>,
    /// `true`: it runs because a file it depends on changes. `false`: it
    /// runs every apply and its effect can't be known in advance.
    pub certain: bool,
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodePlan {
    pub node: String,
    pub files: Vec<FileChange>,
    pub steps: Vec<PlannedStep>,
}

impl NodePlan {
    pub fn changed_files(&self, phase: Phase) -> impl Iterator<Item = &FileChange> {
        self.files
            .iter()
            .filter(move |f| f.phase == phase && f.changes())
    }

    pub fn steps_in(&self, phase: Phase) -> impl Iterator<Item = &PlannedStep> {
        self.steps.iter().filter(move |s| s.phase == phase)
    }

    /// Number of changes (files and commands) in `phase`.
    pub fn change_count(&self, phase: Phase) -> usize {
        self.changed_files(phase).count() + self.steps_in(phase).count()
    }

    pub fn total_changes(&self) -> usize {
        Phase::ALL.iter().map(|&p| self.change_count(p)).sum()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub nodes: Vec<NodePlan>,
}

impl Plan {
    pub fn total_changes(&self) -> usize {
        self.nodes.iter().map(NodePlan::total_changes).sum()
    }

    /// Restrict the plan to some phases (empty: all).
    pub fn only(mut self, phases: &[Phase]) -> Plan {
        if phases.is_empty() {
            return self;
        }
        for n in &mut self.nodes {
            n.files.retain(|f| phases.contains(&f.phase));
            n.steps.retain(|s| phases.contains(&s.phase));
        }
        self
    }
}

/// Owner and group of every file tbmesh writes, except where a vendor's
/// file keeps its own (line edits keep the file's owner).
pub const OWNER: &str = "root";

/// Compare one node's desired state with its facts.
pub fn plan_node(node: &str, desired: &NodeRender, facts: &Facts) -> NodePlan {
    let mut files = vec![];
    for f in &desired.files {
        files.push(compare(
            f.phase,
            &f.path,
            f.mode,
            &f.content,
            facts.file(&f.path),
            true,
        ));
    }
    // Several edits of one file (fabricd=, ospfd=, bfdd= in
    // /etc/frr/daemons) make one write with all of them: written one by
    // one, each from the file as it was, the last would undo the others.
    let mut edited: Vec<(&str, Phase)> = vec![];
    for e in &desired.edits {
        if !edited.iter().any(|(p, _)| *p == e.path) {
            edited.push((&e.path, e.phase));
        }
    }
    for (path, phase) in edited {
        // A line edit keeps the vendor file's mode and owner.
        let current = facts.file(path);
        let (mode, before) = match current {
            FileState::Present { mode, content, .. } => (*mode, content.as_str()),
            FileState::Absent => (0o644, ""),
        };
        let content = desired
            .edits
            .iter()
            .filter(|e| e.path == path)
            .fold(before.to_string(), |text, e| e.apply(&text));
        files.push(compare(phase, path, mode, &content, current, false));
    }
    let changed: BTreeSet<&str> = files
        .iter()
        .filter(|f| f.changes())
        .map(|f| f.path.as_str())
        .collect();
    let steps = desired
        .steps
        .iter()
        .filter_map(|s| planned(s, &changed))
        .collect();
    NodePlan {
        node: node.to_string(),
        files,
        steps,
    }
}

fn planned(s: &Step, changed: &BTreeSet<&str>) -> Option<PlannedStep> {
    let certain = match &s.when {
        When::Always => false,
        When::Changed(paths) => {
            if !paths.iter().any(|p| changed.contains(p.as_str())) {
                return None;
            }
            true
        }
    };
    Some(PlannedStep {
        phase: s.phase,
        command: s.command_line(),
        argv: s.argv.clone(),
        certain,
        why: s.why.clone(),
    })
}

fn compare(
    phase: Phase,
    path: &str,
    mode: u32,
    content: &str,
    current: &FileState,
    owned: bool,
) -> FileChange {
    let (action, diff) = match current {
        FileState::Absent => (Action::Create, unified_diff(path, "", content)),
        FileState::Present {
            mode: m,
            owner,
            group,
            content: c,
        } => {
            let owner_differs = owned && (owner != OWNER || group != OWNER);
            if c != content {
                (Action::Update, unified_diff(path, c, content))
            } else if *m != mode || owner_differs {
                (
                    Action::Chmod,
                    format!(
                        "mode {m:o} {owner}:{group} -> {mode:o}{}\n",
                        if owned { " root:root" } else { "" }
                    ),
                )
            } else {
                (Action::Unchanged, String::new())
            }
        }
    };
    FileChange {
        phase,
        path: path.to_string(),
        action,
        mode,
        owned,
        content: content.to_string(),
        diff,
    }
}

/// A unified diff with 3 lines of context, `a/` and `b/` headers.
pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a{path}"), &format!("b{path}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::{LineEdit, ManagedFile};

    fn desired() -> NodeRender {
        NodeRender {
            files: vec![ManagedFile {
                phase: Phase::Network,
                path: "/etc/x".into(),
                mode: 0o644,
                content: "a\nb\n".into(),
            }],
            edits: vec![LineEdit {
                phase: Phase::Fabric,
                path: "/etc/frr/daemons".into(),
                prefix: "fabricd=".into(),
                line: "fabricd=yes".into(),
            }],
            steps: vec![
                Step {
                    phase: Phase::Network,
                    argv: vec!["ifreload".into(), "-a".into()],
                    when: When::Changed(vec!["/etc/x".into()]),
                    why: "w".into(),
                },
                Step {
                    phase: Phase::Fabric,
                    argv: vec!["systemctl".into(), "restart".into(), "frr".into()],
                    when: When::Changed(vec!["/etc/frr/daemons".into()]),
                    why: "w".into(),
                },
            ],
        }
    }

    fn present(mode: u32, content: &str) -> FileState {
        FileState::Present {
            mode,
            owner: "root".into(),
            group: "root".into(),
            content: content.into(),
        }
    }

    #[test]
    fn fresh_node_creates_and_runs_handlers() {
        let mut facts = Facts::default();
        facts.files.insert(
            "/etc/frr/daemons".into(),
            present(0o640, "bgpd=no\nfabricd=no\n"),
        );
        let p = plan_node("n2", &desired(), &facts);
        assert_eq!(p.files[0].action, Action::Create);
        assert_eq!(p.files[1].action, Action::Update);
        assert_eq!(p.files[1].content, "bgpd=no\nfabricd=yes\n");
        assert_eq!(
            p.files[1].mode, 0o640,
            "a line edit keeps the vendor's mode"
        );
        assert!(p.files[1].diff.contains("-fabricd=no\n+fabricd=yes"));
        assert_eq!(p.steps.len(), 2);
        assert!(p.steps.iter().all(|s| s.certain));
    }

    #[test]
    fn several_edits_of_one_file_are_one_write_with_all_of_them() {
        // fabricd=, ospfd= and bfdd= in /etc/frr/daemons: written one by
        // one from the file as it was, the last write undid fabricd=yes
        // and FRR came up without fabricd (found by the lab suite).
        let mut d = desired();
        for (prefix, line) in [("ospfd=", "ospfd=no"), ("bfdd=", "bfdd=yes")] {
            d.edits.push(LineEdit {
                phase: Phase::Fabric,
                path: "/etc/frr/daemons".into(),
                prefix: prefix.into(),
                line: line.into(),
            });
        }
        let mut facts = Facts::default();
        facts.files.insert(
            "/etc/frr/daemons".into(),
            present(0o640, "fabricd=no\nospfd=no\nbfdd=no\n"),
        );
        let p = plan_node("n2", &d, &facts);
        let daemons: Vec<&FileChange> = p
            .files
            .iter()
            .filter(|f| f.path == "/etc/frr/daemons")
            .collect();
        assert_eq!(daemons.len(), 1, "{daemons:?}");
        assert_eq!(daemons[0].content, "fabricd=yes\nospfd=no\nbfdd=yes\n");
        facts.files.insert(
            "/etc/frr/daemons".into(),
            present(0o640, "fabricd=yes\nospfd=no\nbfdd=yes\n"),
        );
        facts
            .files
            .insert("/etc/x".into(), present(0o644, "a\nb\n"));
        assert_eq!(plan_node("n2", &d, &facts).total_changes(), 0);
    }

    #[test]
    fn converged_node_has_zero_changes() {
        let mut facts = Facts::default();
        facts
            .files
            .insert("/etc/x".into(), present(0o644, "a\nb\n"));
        facts.files.insert(
            "/etc/frr/daemons".into(),
            present(0o640, "bgpd=no\nfabricd=yes\n"),
        );
        let p = plan_node("n2", &desired(), &facts);
        assert_eq!(p.total_changes(), 0, "{p:?}");
    }

    #[test]
    fn mode_only_change_is_a_chmod_and_triggers_handlers() {
        let mut facts = Facts::default();
        facts
            .files
            .insert("/etc/x".into(), present(0o600, "a\nb\n"));
        facts
            .files
            .insert("/etc/frr/daemons".into(), present(0o640, "fabricd=yes\n"));
        let p = plan_node("n2", &desired(), &facts);
        assert_eq!(p.files[0].action, Action::Chmod);
        assert_eq!(p.change_count(Phase::Network), 2);
        assert_eq!(p.change_count(Phase::Fabric), 0);
    }

    #[test]
    fn only_keeps_the_named_phases() {
        let p = Plan {
            nodes: vec![plan_node("n2", &desired(), &Facts::default())],
        }
        .only(&[Phase::Fabric]);
        assert!(p.nodes[0].files.iter().all(|f| f.phase == Phase::Fabric));
        assert!(p.nodes[0].steps.iter().all(|s| s.phase == Phase::Fabric));
    }
}
