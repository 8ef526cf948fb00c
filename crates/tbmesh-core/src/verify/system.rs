//! Parsers of iproute2 and systemd output: neighbours, routes, units.

use super::sections::first_line;
use serde::{Deserialize, Serialize};

/// An IPv6 neighbour table entry (`ip -j -6 neigh show dev PORT`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Neighbour {
    pub dst: String,
    #[serde(default)]
    pub lladdr: Option<String>,
    #[serde(default)]
    pub state: Vec<String>,
}

pub fn parse_neigh(text: &str) -> Result<Vec<Neighbour>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(vec![]);
    }
    serde_json::from_str(text).map_err(|e| format!("ip -j neigh: {e}: {}", first_line(text)))
}

/// A unit's state (`systemctl show -p LoadState -p ActiveState -p UnitFileState`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UnitState {
    pub load: String,
    pub active: String,
    pub file: String,
}

impl UnitState {
    /// Started at boot.
    pub fn enabled(&self) -> bool {
        self.file == "enabled"
    }
}

pub fn parse_unit_show(text: &str) -> UnitState {
    let mut u = UnitState::default();
    for (k, v) in text.lines().filter_map(|l| l.split_once('=')) {
        let v = v.trim().to_string();
        match k.trim() {
            "LoadState" => u.load = v,
            "ActiveState" => u.active = v,
            "UnitFileState" => u.file = v,
            _ => {}
        }
    }
    u
}

/// The route a node would use (`ip -j route get DST from SRC`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    #[serde(default)]
    pub gateway: Option<String>,
    #[serde(default)]
    pub dev: String,
}

/// `ip -j route get`: the route, or ip's complaint (`Network is unreachable`).
pub fn parse_route_get(text: &str) -> Result<Route, String> {
    let text = text.trim();
    let routes: Vec<Route> = serde_json::from_str(text).map_err(|_| {
        first_line(text)
            .trim_start_matches("RTNETLINK answers: ")
            .to_string()
    })?;
    routes
        .into_iter()
        .next()
        .ok_or_else(|| "no route".to_string())
}
