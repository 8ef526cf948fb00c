//! The VM backend (not written yet).

use anyhow::{bail, Result};

use crate::lab::{Log, UpOptions};
use crate::net::PortStatus;
use crate::state::{LabDir, LabState, NodeState};
use crate::topology::NodePlan;

/// PCI address of ring port `i` (en05, en06, ...): slots 0x0d, 0x0e, ...
pub fn ring_pci_address(i: usize) -> String {
    format!("0000:00:{:02x}.0", 0x0d + i)
}

pub fn prepare(
    _lab: &LabDir,
    _state: &mut LabState,
    _opts: &UpOptions,
    _admin_pub: &str,
    _log: Log<'_>,
) -> Result<Vec<(NodePlan, String)>> {
    bail!("the VM backend is not implemented yet")
}

pub fn start(_lab: &LabDir, _state: &LabState, _node: &str) -> Result<u32> {
    bail!("the VM backend is not implemented yet")
}

pub fn kill(_lab: &LabDir, _node: &NodeState) -> Result<()> {
    Ok(())
}

pub fn running(_lab: &LabDir, _node: &NodeState) -> bool {
    false
}

pub fn poweroff_graceful(_lab: &LabDir, _node: &NodeState) -> Result<()> {
    bail!("the VM backend is not implemented yet")
}

pub fn reboot(_lab: &LabDir, _node: &NodeState, _hard: bool) -> Result<()> {
    bail!("the VM backend is not implemented yet")
}

pub fn port_status(_lab: &LabDir, _state: &LabState, _node: &NodeState) -> Vec<PortStatus> {
    Vec::new()
}

pub fn sync_cables(_lab: &LabDir, _state: &LabState, _on: &dyn Fn(&str) -> bool) -> Result<()> {
    Ok(())
}

pub fn console_log(lab: &LabDir, node: &str) -> std::path::PathBuf {
    lab.node_dir(node).join("console.log")
}

pub fn stray_pids(_lab: &LabDir) -> Vec<u32> {
    Vec::new()
}
