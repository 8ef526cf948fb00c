//! Property tests: the allocator and the parser on generated specs.

use crate::addressing::allocate_router_ips;
use crate::diag::Source;
use crate::net::Ipv4Net;
use proptest::prelude::*;
use std::collections::HashSet;
use std::net::Ipv4Addr;

/// A valid spec text: `n` nodes in a ring, some with explicit router ips.
fn ring_spec(n: usize, explicit: &[bool], mode: &str) -> String {
    let mut s = format!(
        "[cluster]\nname = \"prop\"\n[fabric]\nname = \"tb4\"\nmode = \"{mode}\"\nprefix = \"10.100.0.0/24\"\n"
    );
    if mode == "static" {
        s.push_str("link_prefix = \"10.100.1.0/24\"\n");
    }
    s.push_str("links = [\n");
    if n == 2 {
        s.push_str("  \"x0:en06 -- x1:en05\",\n  \"x1:en06 -- x0:en05\",\n");
    } else {
        for i in 0..n {
            s.push_str(&format!("  \"x{i}:en06 -- x{}:en05\",\n", (i + 1) % n));
        }
    }
    s.push_str("]\n");
    for i in 0..n {
        s.push_str(&format!(
            "[[node]]\nname = \"x{i}\"\nhost = \"192.0.2.{}\"\nports = {{ en05 = \"0000:00:0d.2\", en06 = {{}} }}\n",
            i + 1
        ));
        if explicit.get(i).copied().unwrap_or(false) {
            s.push_str(&format!("router_ip = \"10.100.0.{}\"\n", 200 + i));
        }
    }
    s
}

proptest! {
    #[test]
    fn allocation_never_collides(explicit in proptest::collection::vec(proptest::option::of(1u8..=254), 0..60)) {
        let prefix: Ipv4Net = "10.100.0.0/24".parse().expect("valid");
        // Explicit addresses must themselves be unique (validation enforces it).
        let mut seen = HashSet::new();
        let explicit: Vec<Option<Ipv4Addr>> = explicit
            .into_iter()
            .map(|o| o.map(|h| Ipv4Addr::new(10, 100, 0, h)).filter(|ip| seen.insert(*ip)))
            .collect();
        let ips = allocate_router_ips(prefix, &explicit).expect("room for 60 in a /24");
        let unique: HashSet<_> = ips.iter().collect();
        prop_assert_eq!(unique.len(), ips.len());
        for (ip, want) in ips.iter().zip(&explicit) {
            prop_assert!(prefix.contains(*ip) && !prefix.is_reserved(*ip));
            if let Some(w) = want {
                prop_assert_eq!(ip, w);
            }
        }
    }

    #[test]
    fn allocation_is_stable_when_nodes_are_appended(
        explicit in proptest::collection::vec(proptest::option::of(1u8..=254), 0..40),
        extra in 1usize..10,
    ) {
        let prefix: Ipv4Net = "10.100.0.0/24".parse().expect("valid");
        let mut seen = HashSet::new();
        let explicit: Vec<Option<Ipv4Addr>> = explicit
            .into_iter()
            .map(|o| o.map(|h| Ipv4Addr::new(10, 100, 0, h)).filter(|ip| seen.insert(*ip)))
            .collect();
        let before = allocate_router_ips(prefix, &explicit).expect("room");
        let mut more = explicit.clone();
        more.extend(std::iter::repeat_n(None, extra));
        let after = allocate_router_ips(prefix, &more).expect("room");
        prop_assert_eq!(&after[..before.len()], &before[..]);
    }

    #[test]
    fn generated_valid_specs_validate(
        n in 2usize..9,
        explicit in proptest::collection::vec(any::<bool>(), 9),
        mode in prop_oneof![Just("pve-sdn"), Just("frr"), Just("static")],
    ) {
        let text = ring_spec(n, &explicit, mode);
        let src = Source::new("prop.toml", text.clone());
        let result = crate::spec::load(&src);
        prop_assert!(result.is_ok(), "{:?}\n{}", result.err(), text);
        let (cluster, _) = result.expect("checked");
        prop_assert_eq!(cluster.router_ips.len(), n);
        prop_assert!(cluster.topology.routes().all_reachable());
    }

    #[test]
    fn mutated_specs_never_panic(
        cut in 0usize..2000,
        len in 0usize..20,
        insert in "[ -~\n]{0,12}",
    ) {
        let text = ring_spec(4, &[true, false, true, false], "frr");
        let cut = cut.min(text.len());
        let end = (cut + len).min(text.len());
        if text.is_char_boundary(cut) && text.is_char_boundary(end) {
            let mutated = format!("{}{}{}", &text[..cut], insert, &text[end..]);
            let src = Source::new("m.toml", mutated);
            // Ok or Err are both fine; every diagnostic must be displayable.
            if let Err(diags) = crate::spec::load(&src) {
                prop_assert!(!diags.is_empty());
                for d in &diags {
                    let shown = d.located(&src).to_string();
                    prop_assert!(shown.contains("m.toml"));
                }
            }
        }
    }
}
