//! The private directory that holds ssh's control sockets for one run.
//!
//! OpenSSH's mux client trusts whatever socket sits at ControlPath: a
//! directory another local user can write to (or made beforehand for us to
//! reuse) would let them read and answer every script, the Ceph keyring
//! transfer included. So the directory is always created fresh, like
//! mkdtemp(3): a new random name, mode 0700, never one that already exists;
//! it is checked after creation (a real directory, ours, 0700) and removed
//! when the run ends.

use anyhow::{bail, Context, Result};
use std::fs;
use std::io::ErrorKind;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

pub struct ControlDir {
    path: PathBuf,
}

impl ControlDir {
    /// Under `$XDG_RUNTIME_DIR` when it is set and private to us (the
    /// per-user runtime directory systemd makes), else under the temp
    /// directory (`$TMPDIR`, else /tmp).
    pub fn create() -> Result<ControlDir> {
        let runtime = std::env::var_os("XDG_RUNTIME_DIR")
            .map(PathBuf::from)
            .filter(|d| d.is_absolute() && is_private_to_us(d));
        ControlDir::create_in(&runtime.unwrap_or_else(std::env::temp_dir))
    }

    /// A new directory `tbmesh-XXXXXXXX` in `base`.
    pub fn create_in(base: &Path) -> Result<ControlDir> {
        let mut builder = fs::DirBuilder::new();
        builder.mode(0o700);
        let mut seed = seed();
        for _ in 0..100 {
            seed = next(seed);
            let path = base.join(format!("tbmesh-{:08x}", seed as u32));
            match builder.create(&path) {
                Ok(()) => {
                    let dir = ControlDir { path };
                    // The umask may have taken bits away, never added them;
                    // set exactly 0700 and check what is there now.
                    fs::set_permissions(&dir.path, fs::Permissions::from_mode(0o700))
                        .with_context(|| format!("setting the mode of {}", dir.path.display()))?;
                    check_ours(&dir.path)?;
                    return Ok(dir);
                }
                // Someone's (maybe a trap): never used, try another name.
                Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    return Err(e).with_context(|| {
                        format!("creating the ssh control directory {}", path.display())
                    })
                }
            }
        }
        bail!(
            "could not create a new ssh control directory in {}: 100 names were taken",
            base.display()
        )
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ControlDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// A directory (not a link to one) owned by us, writable by nobody else.
fn is_private_to_us(dir: &Path) -> bool {
    fs::symlink_metadata(dir).is_ok_and(|m| {
        m.is_dir() && m.uid() == rustix::process::geteuid().as_raw() && m.mode() & 0o022 == 0
    })
}

fn check_ours(dir: &Path) -> Result<()> {
    let m = fs::symlink_metadata(dir).with_context(|| format!("reading {}", dir.display()))?;
    let uid = rustix::process::geteuid().as_raw();
    if !m.is_dir() || m.uid() != uid || m.mode() & 0o777 != 0o700 {
        bail!(
            "the ssh control directory {} is not a private directory of ours (owner {}, mode {:o}); refusing to use it",
            dir.display(),
            m.uid(),
            m.mode() & 0o7777
        );
    }
    Ok(())
}

/// Not secret: the name only has to be hard to guess in advance and new;
/// creating it exclusively is what makes it ours.
fn seed() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    nanos ^ (u64::from(std::process::id()) << 32) ^ (&nanos as *const u64 as u64)
}

/// splitmix64.
fn next(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item6_control_dir_is_new_private_and_removed() {
        let base = tempfile::tempdir().expect("temp dir");
        let a = ControlDir::create_in(base.path()).expect("created");
        let b = ControlDir::create_in(base.path()).expect("created");
        assert_ne!(a.path(), b.path(), "every run gets its own directory");
        let m = fs::metadata(a.path()).expect("exists");
        assert_eq!(m.mode() & 0o7777, 0o700);
        let p = a.path().to_path_buf();
        drop(a);
        assert!(!p.exists(), "removed when the run ends");
    }

    #[test]
    fn item6_a_runtime_dir_others_can_write_is_not_private() {
        let base = tempfile::tempdir().expect("temp dir");
        fs::set_permissions(base.path(), fs::Permissions::from_mode(0o777)).expect("chmod");
        assert!(!is_private_to_us(base.path()));
        fs::set_permissions(base.path(), fs::Permissions::from_mode(0o700)).expect("chmod");
        assert!(is_private_to_us(base.path()));
    }

    #[test]
    fn item6_a_directory_with_another_mode_is_refused() {
        let base = tempfile::tempdir().expect("temp dir");
        let d = base.path().join("tbmesh-trap");
        fs::create_dir(&d).expect("mkdir");
        fs::set_permissions(&d, fs::Permissions::from_mode(0o777)).expect("chmod");
        let e = check_ours(&d).expect_err("refused");
        assert!(format!("{e}").contains("not a private directory"), "{e}");
    }
}
