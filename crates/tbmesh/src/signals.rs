//! Commands that leave something temporary on the hosts (a fault, a pool)
//! catch SIGINT, SIGTERM and SIGHUP instead of dying, so they can remove it
//! before they exit.

use crate::exit::Fail;
use anyhow::anyhow;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// A flag set by the first of those signals.
pub fn stop_flag() -> Result<Arc<AtomicBool>, Fail> {
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ] {
        signal_hook::flag::register(sig, Arc::clone(&stop))
            .map_err(|e| Fail::failure(anyhow!("installing a signal handler: {e}")))?;
    }
    Ok(stop)
}
