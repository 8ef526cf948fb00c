//! The apply engine on the lab: converge, idempotency, reboot, rollback.
