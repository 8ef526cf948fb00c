//! The name formats of Proxmox VE's fabric API (FORMATS.md, "API name
//! formats"; shared/pve/fabrics-api.json): a name the API would refuse is an
//! error in `pve-sdn` mode (the apply would fail half-way) and a warning in
//! the other modes (moving to `pve-sdn` later would need a rename).

use super::model::{FabricMode, Spec};
use crate::diag::Diagnostic;

/// `pve-node`: a host name label — letters, digits and inner `-`, no `_`.
pub fn is_pve_node(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// `pve-iface`: `^[a-zA-Z][a-zA-Z0-9_]{1,20}([:.]\d+)?$`.
pub fn is_pve_iface(s: &str) -> bool {
    let (base, suffix) = match s.find([':', '.']) {
        Some(at) => (&s[..at], Some(&s[at + 1..])),
        None => (s, None),
    };
    let b = base.as_bytes();
    (2..=21).contains(&b.len())
        && b[0].is_ascii_alphabetic()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
        && suffix.is_none_or(|d| !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit()))
}

/// One diagnostic per node name or port name the API refuses. (Fabric ids
/// are checked by the parser in every mode, stricter than
/// `pve-sdn-fabric-id`: 2-8 characters, so `dummy_<fabric>` fits.)
pub fn check(spec: &Spec) -> Vec<Diagnostic> {
    let pve = spec.fabric.mode.value == FabricMode::PveSdn;
    let diag = |span: crate::diag::Span, msg: String, hint: &str| {
        if pve {
            Diagnostic::error(span, msg).hint(hint)
        } else {
            let mode = spec.fabric.mode.value;
            Diagnostic::warning(
                span,
                format!("{msg}: fine in mode {mode}, refused in pve-sdn"),
            )
            .hint(hint)
        }
    };
    let mut out = vec![];
    for n in &spec.nodes {
        if !is_pve_node(&n.name) {
            out.push(diag(
                n.name.span.clone(),
                format!(
                    "node name {:?} is not a Proxmox node name (pve-node)",
                    n.name.value
                ),
                "a fabric node id is the node's PVE name: letters, digits and inner '-', no '_'",
            ));
        }
        for p in &n.ports {
            if !is_pve_iface(&p.name) {
                out.push(diag(
                    p.name.span.clone(),
                    format!("port name {:?} is not a Proxmox interface name (pve-iface)", p.name.value),
                    "start with a letter, then 1 to 20 letters, digits or '_' (no '-'), optionally .N or :N; rename the port (ports = { en05 = \"<pci>\" })",
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        for ok in ["en05", "ab0", "enp1s0f0", "en05.10", "vmbr0:1", "t_b"] {
            assert!(is_pve_iface(ok), "{ok}");
        }
        for bad in [
            "tb-0",
            "1p",
            "e",
            "en05.",
            "en05.x",
            "a23456789012345678901x",
        ] {
            assert!(!is_pve_iface(bad), "{bad}");
        }
        assert!(is_pve_node("n2") && is_pve_node("pve-1"));
        assert!(!is_pve_node("n_2") && !is_pve_node("-n") && !is_pve_node(""));
    }
}
