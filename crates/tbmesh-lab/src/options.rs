//! What `lab up` is asked for, and the log callback every lab step takes:
//! shared by lab.rs and the backends (so no backend imports lab.rs).

use crate::state::Backend;

pub type Log<'a> = &'a mut dyn FnMut(&str);

#[derive(Debug, Clone)]
pub struct UpOptions {
    pub backend: Backend,
    pub nodes: usize,
    pub osd_disks: usize,
    pub osd_size_gib: u64,
    /// VM backend: guest memory.
    pub vm_memory_mib: u64,
    /// VM backend: vCPUs per VM.
    pub vm_cpus: u32,
    /// VM backend: "auto" (probe KVM, else TCG), "kvm" or "tcg".
    pub accel: String,
    /// Seconds to wait for sshd on every node.
    pub ssh_timeout: Option<u64>,
}
