//! The tbmesh lab: real Debian 13 hosts on one machine, as systemd-nspawn
//! containers (default, seconds to start) or QEMU VMs (own kernel and
//! udev), cabled as a ring, reachable only from inside the lab's network
//! namespace. `tbmesh lab up` writes a tbmesh spec, an ssh config, a key
//! and known_hosts, so tbmesh reaches the lab through its normal code path.

pub mod cli;
pub mod host;
pub mod image;
pub mod lab;
pub mod lock;
pub mod net;
pub mod options;
pub mod render;
pub mod ssh;
pub mod state;
pub mod topology;

mod container;
mod vm;

pub(crate) fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}
