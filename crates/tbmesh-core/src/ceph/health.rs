//! The Ceph part of verify: health, quorum at the router addresses, OSDs
//! up/in with cluster addresses in the cluster network, PGs active+clean.

use super::state::CephState;
use crate::Cluster;
use serde::Serialize;

/// The health check Debian 13's Ceph 18 managers raise for every Python
/// module built with PyO3: a packaging limitation, not a cluster problem.
pub const PYO3_CHECK: &str = "MGR_MODULE_DEPENDENCY";
const PYO3_TEXT: &str = "PyO3 modules do not yet support subinterpreters";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CephCheck {
    /// `ceph.health`, `ceph.quorum`, `ceph.osds`, `ceph.pgs`, `ceph.pool`.
    pub name: String,
    pub ok: bool,
    /// A known limitation: reported, but not a failure.
    pub known_limitation: bool,
    pub detail: String,
}

fn check(name: &str, ok: bool, detail: String) -> CephCheck {
    CephCheck {
        name: name.to_string(),
        ok,
        known_limitation: false,
        detail,
    }
}

/// Whether a health check is the PyO3 subinterpreter limitation, and only that.
pub fn is_pyo3_limitation(c: &super::state::HealthCheck) -> bool {
    c.code == PYO3_CHECK
        && (c.summary.contains(PYO3_TEXT) || c.detail.iter().any(|d| d.contains(PYO3_TEXT)))
        && c.detail.iter().all(|d| d.contains(PYO3_TEXT))
}

/// Every Ceph check of verify, from the state one node reports.
pub fn ceph_checks(c: &Cluster, s: Option<&CephState>) -> Vec<CephCheck> {
    let Some(s) = s else {
        return vec![check(
            "ceph.health",
            false,
            "no Ceph cluster answered (no ceph.conf and admin keyring, or no monitor quorum)"
                .into(),
        )];
    };
    let mut v = vec![];
    // Health: OK, or WARN only because of the known lab-package limitation.
    let (known, other): (Vec<_>, Vec<_>) = s.checks.iter().partition(|c| is_pyo3_limitation(c));
    let ok = s.health == "HEALTH_OK" || (s.health == "HEALTH_WARN" && other.is_empty());
    let mut detail = if other.is_empty() {
        s.health.clone()
    } else {
        format!(
            "{}: {}",
            s.health,
            other
                .iter()
                .map(|c| format!("{} ({})", c.code, c.summary))
                .collect::<Vec<_>>()
                .join("; ")
        )
    };
    if !known.is_empty() {
        detail.push_str("; known limitation: Ceph 18 managers of Debian 13 cannot load PyO3 modules (MGR_MODULE_DEPENDENCY), so no pg_autoscaler or dashboard");
    }
    v.push(CephCheck {
        known_limitation: !known.is_empty(),
        ..check("ceph.health", ok, detail)
    });
    // Quorum: every node's monitor, at its router address, in quorum.
    let mut missing = vec![];
    for (i, n) in c.nodes().iter().enumerate() {
        let ip = c.ceph_addr(i);
        match s.mon(&n.name.value) {
            None => missing.push(format!("{}: no monitor", n.name.value)),
            Some(m) if !m.addrs.iter().all(|a| *a == ip) || m.addrs.is_empty() => {
                missing.push(format!(
                    "{}: monitor at {} instead of {ip}",
                    n.name.value,
                    m.addrs
                        .iter()
                        .map(|a| a.to_string())
                        .collect::<Vec<_>>()
                        .join(",")
                ))
            }
            Some(m) if !m.in_quorum => missing.push(format!("{}: out of quorum", n.name.value)),
            Some(_) => {}
        }
    }
    v.push(check(
        "ceph.quorum",
        missing.is_empty(),
        if missing.is_empty() {
            format!(
                "{} monitors in quorum at the router addresses",
                c.nodes().len()
            )
        } else {
            missing.join("; ")
        },
    ));
    // OSDs: the expected number, all up and in, cluster addresses in the cluster network.
    let ceph = c.spec.ceph.as_ref();
    let cnet = ceph.map_or(c.spec.fabric.main_prefix(), |x| {
        x.cluster_network.resolve(&c.spec.fabric)
    });
    let per = ceph.map_or(1, |x| x.osds_per_device.value) as usize;
    let expected: usize = c.nodes().iter().map(|n| n.osd_devices.len() * per).sum();
    let mut bad = vec![];
    for o in &s.osds {
        if !o.up || !o.r#in {
            bad.push(format!(
                "osd.{} is {}/{}",
                o.id,
                if o.up { "up" } else { "down" },
                if o.r#in { "in" } else { "out" }
            ));
        }
        match o.cluster_addr {
            Some(a) if cnet.contains(a) => {}
            Some(a) => bad.push(format!(
                "osd.{} cluster address {a} is outside {cnet}",
                o.id
            )),
            None if o.up => bad.push(format!("osd.{} has no cluster address", o.id)),
            None => {}
        }
    }
    if s.osds.len() != expected {
        bad.insert(0, format!("{} OSDs, expected {expected}", s.osds.len()));
    }
    v.push(check(
        "ceph.osds",
        bad.is_empty(),
        if bad.is_empty() {
            format!("{expected} OSDs up and in, cluster addresses in {cnet}")
        } else {
            bad.join("; ")
        },
    ));
    // PGs: HEALTH_OK alone is not enough right after creation (PGs `unknown`).
    v.push(check(
        "ceph.pgs",
        s.all_pgs_clean(),
        format!(
            "{} PGs: {}",
            s.num_pgs,
            s.pg_states
                .iter()
                .map(|(st, n)| format!("{n} {st}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    ));
    if let Some(p) = ceph.and_then(|x| x.pool.as_ref()) {
        let detail = match s.pool(&p.name.value) {
            None => Err(format!("pool {} does not exist", p.name.value)),
            Some(got) if got.size != p.size.value || got.min_size != p.min_size.value => {
                Err(format!(
                    "pool {} has size {}/{}, the spec says {}/{}",
                    p.name.value, got.size, got.min_size, p.size.value, p.min_size.value
                ))
            }
            Some(got) => Ok(format!(
                "pool {} size {}/{}, autoscale {}",
                got.name, got.size, got.min_size, got.autoscale
            )),
        };
        v.push(match detail {
            Ok(d) => check("ceph.pool", true, d),
            Err(d) => check("ceph.pool", false, d),
        });
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ceph::plan::tests::lab_cluster;
    use crate::ceph::state::{HealthCheck, Mon, Osd, Pool};

    fn pyo3() -> HealthCheck {
        HealthCheck {
            code: PYO3_CHECK.into(),
            severity: "HEALTH_WARN".into(),
            summary: "Module 'restful' has failed dependency: PyO3 modules do not yet support subinterpreters, see https://github.com/PyO3/pyo3/issues/576".into(),
            detail: vec!["Module 'restful' has failed dependency: PyO3 modules do not yet support subinterpreters, see https://github.com/PyO3/pyo3/issues/576".into()],
        }
    }

    fn healthy(c: &Cluster) -> CephState {
        let mut osds = vec![];
        for (i, n) in c.nodes().iter().enumerate() {
            for k in 0..2 {
                osds.push(Osd {
                    id: (i * 2 + k) as u32,
                    host: Some(n.name.value.clone()),
                    up: true,
                    r#in: true,
                    public_addr: Some(c.ceph_addr(i)),
                    cluster_addr: Some(c.ceph_addr(i)),
                });
            }
        }
        CephState {
            fsid: Some("5c3f0c4e-0d5b-4a52-9f43-2f8a0e4f9a11".into()),
            mons: c
                .nodes()
                .iter()
                .enumerate()
                .map(|(i, n)| Mon {
                    name: n.name.value.clone(),
                    addrs: vec![c.ceph_addr(i)],
                    in_quorum: true,
                })
                .collect(),
            mgrs: vec!["n1".into(), "n2".into(), "n3".into()],
            osds,
            pools: vec![Pool {
                name: "cephtb4".into(),
                size: 3,
                min_size: 2,
                autoscale: "on".into(),
                applications: vec!["rbd".into()],
            }],
            health: "HEALTH_WARN".into(),
            checks: vec![pyo3()],
            pg_states: vec![("active+clean".into(), 33)],
            num_pgs: 33,
            config: vec![],
        }
    }

    #[test]
    fn a_healthy_lab_cluster_passes_with_the_known_limitation_reported() {
        let c = lab_cluster();
        let checks = ceph_checks(&c, Some(&healthy(&c)));
        assert!(checks.iter().all(|k| k.ok), "{checks:#?}");
        assert!(checks[0].known_limitation);
        assert!(checks[0].detail.contains("known limitation"));
    }

    #[test]
    fn the_known_limitation_does_not_hide_other_problems() {
        let c = lab_cluster();
        let mut s = healthy(&c);
        s.checks.push(HealthCheck {
            code: "OSD_DOWN".into(),
            severity: "HEALTH_WARN".into(),
            summary: "1 osds down".into(),
            detail: vec![],
        });
        let checks = ceph_checks(&c, Some(&s));
        assert!(!checks[0].ok);
        assert!(checks[0].detail.contains("OSD_DOWN"));
        // A MGR_MODULE_DEPENDENCY for another reason is a real problem.
        let mut s = healthy(&c);
        s.checks[0]
            .detail
            .push("Module 'foo' has failed dependency: No module named 'bar'".into());
        assert!(!ceph_checks(&c, Some(&s))[0].ok);
    }

    #[test]
    fn monitors_off_the_router_addresses_or_out_of_quorum_fail() {
        let c = lab_cluster();
        let mut s = healthy(&c);
        s.mons[1].addrs = vec!["10.11.11.13".parse().unwrap()];
        s.mons[2].in_quorum = false;
        let q = &ceph_checks(&c, Some(&s))[1];
        assert!(!q.ok);
        assert!(q.detail.contains("instead of"), "{}", q.detail);
        assert!(q.detail.contains("out of quorum"), "{}", q.detail);
    }

    #[test]
    fn osds_down_or_outside_the_cluster_network_fail() {
        let c = lab_cluster();
        let mut s = healthy(&c);
        s.osds[0].up = false;
        s.osds[1].cluster_addr = Some("192.168.1.5".parse().unwrap());
        let o = &ceph_checks(&c, Some(&s))[2];
        assert!(!o.ok);
        assert!(o.detail.contains("osd.0 is down/in"));
        assert!(o.detail.contains("outside"));
        let mut s = healthy(&c);
        s.osds.pop();
        assert!(!ceph_checks(&c, Some(&s))[2].ok);
    }

    #[test]
    fn health_ok_with_unknown_pgs_is_not_enough() {
        let c = lab_cluster();
        let mut s = healthy(&c);
        s.health = "HEALTH_OK".into();
        s.checks.clear();
        s.pg_states = vec![("active+clean".into(), 1), ("unknown".into(), 32)];
        let checks = ceph_checks(&c, Some(&s));
        assert!(checks[0].ok);
        assert!(!checks[3].ok);
    }

    #[test]
    fn no_cluster_is_one_failed_check() {
        let c = lab_cluster();
        let checks = ceph_checks(&c, None);
        assert_eq!(checks.len(), 1);
        assert!(!checks[0].ok);
    }
}
