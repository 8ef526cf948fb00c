//! Advisory file locks, so two `tbmesh lab` runs (or two test processes)
//! never build the image or change the same lab at once.

use std::fs::{File, OpenOptions};
use std::path::Path;

use anyhow::{Context, Result};
use rustix::fs::{flock, FlockOperation};

/// Held until dropped (closing the file releases the lock).
pub struct Lock {
    _file: File,
}

impl Lock {
    pub fn exclusive(path: &Path, what: &str, log: &mut dyn FnMut(&str)) -> Result<Self> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .with_context(|| format!("opening the lock file {}", path.display()))?;
        if flock(&file, FlockOperation::NonBlockingLockExclusive).is_err() {
            log(&format!(
                "waiting for another tbmesh lab process using {what} ({})",
                path.display()
            ));
            flock(&file, FlockOperation::LockExclusive)
                .with_context(|| format!("locking {}", path.display()))?;
        }
        Ok(Self { _file: file })
    }
}
