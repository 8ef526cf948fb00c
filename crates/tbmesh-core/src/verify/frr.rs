//! Parsers of FRR's vtysh JSON.

use super::sections::first_line;
use serde::{Deserialize, Serialize};

/// One OpenFabric adjacency (`show openfabric neighbor json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Adjacency {
    /// The neighbour's hostname (or system id when it sent none).
    pub system: String,
    pub interface: String,
    pub state: String,
}

#[derive(Deserialize)]
struct NeighborJson {
    #[serde(default)]
    areas: Vec<AreaJson>,
}

#[derive(Deserialize)]
struct AreaJson {
    #[serde(default)]
    circuits: Vec<CircuitJson>,
}

#[derive(Deserialize)]
struct CircuitJson {
    #[serde(default)]
    adj: Option<String>,
    #[serde(default)]
    interface: Option<String>,
    #[serde(default)]
    state: Option<String>,
}

/// `vtysh -c 'show openfabric neighbor json'` (FRR 10.3). Circuits without
/// an adjacency are listed as `{"circuit":0}` and skipped.
pub fn parse_openfabric_neighbors(text: &str) -> Result<Vec<Adjacency>, String> {
    let text = text.trim();
    let raw: NeighborJson = serde_json::from_str(text).map_err(|_| {
        // vtysh prints its errors as text (`% Unknown command`, no daemon).
        if text.is_empty() {
            "vtysh printed nothing".to_string()
        } else {
            first_line(text).to_string()
        }
    })?;
    Ok(raw
        .areas
        .into_iter()
        .flat_map(|a| a.circuits)
        .filter_map(|c| {
            Some(Adjacency {
                system: c.adj?,
                interface: c.interface?,
                state: c.state.unwrap_or_default(),
            })
        })
        .collect())
}

/// One BFD session (`show bfd peers json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BfdPeer {
    pub peer: String,
    #[serde(default)]
    pub interface: Option<String>,
    pub status: String,
}

/// `vtysh -c 'show bfd peers json'` (FRR 10.3): an array of sessions.
pub fn parse_bfd_peers(text: &str) -> Result<Vec<BfdPeer>, String> {
    let text = text.trim();
    serde_json::from_str(text).map_err(|_| {
        if text.is_empty() {
            "vtysh printed nothing".to_string()
        } else {
            first_line(text).to_string()
        }
    })
}
