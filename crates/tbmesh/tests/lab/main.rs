//! The lab suite: real Debian 13 hosts on this machine. Needs root; nextest
//! runs it serially (test group `lab` in .config/nextest.toml). The first
//! test to run builds the node image if it is missing (minutes, once).

mod apply;
mod bench;
mod ceph;
mod container;
mod failover;
mod failover_more;
mod init;
mod ops;
mod package;
mod pve_sdn;
mod resilience;
mod safety;
mod shared;
mod support;
mod verify;
mod vm;
mod zz_teardown;
