//! What the report knows about each node and cable (verify, bench,
//! failover-test), for colouring the drawing.

use std::collections::BTreeMap;

/// The state of one node or cable; the worst finding wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum State {
    Ok,
    Unknown,
    Warn,
    Fail,
}

impl State {
    /// The CSS class (and the word shown in legends).
    pub fn word(self) -> &'static str {
        match self {
            State::Ok => "ok",
            State::Warn => "warn",
            State::Fail => "fail",
            State::Unknown => "unknown",
        }
    }

    /// The more serious of two states (fail > warn > unknown > ok).
    pub fn worst(self, other: State) -> State {
        self.max(other)
    }
}

/// A state and the findings behind it, shown as the element's tooltip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    pub state: State,
    pub notes: Vec<String>,
}

impl Mark {
    pub fn new(state: State) -> Self {
        Mark {
            state,
            notes: vec![],
        }
    }

    /// Adds a finding; the mark takes the worse of the two states.
    pub fn add(&mut self, state: State, note: impl Into<String>) {
        self.state = self.state.worst(state);
        self.notes.push(note.into());
    }
}

/// Marks per node (by name) and per cable (by its index in fabric.links).
/// Nodes and cables without a mark are drawn as `diagram` draws them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct States {
    pub nodes: BTreeMap<String, Mark>,
    pub cables: BTreeMap<usize, Mark>,
}

impl States {
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty() && self.cables.is_empty()
    }

    /// Records a finding about a node.
    pub fn node(&mut self, name: &str, state: State, note: impl Into<String>) {
        self.nodes
            .entry(name.to_string())
            .or_insert_with(|| Mark::new(State::Ok))
            .add(state, note);
    }

    /// Records a finding about a cable (its index in fabric.links).
    pub fn cable(&mut self, index: usize, state: State, note: impl Into<String>) {
        self.cables
            .entry(index)
            .or_insert_with(|| Mark::new(State::Ok))
            .add(state, note);
    }
}
