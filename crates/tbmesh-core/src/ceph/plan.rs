//! The Ceph phase as an ordered list of steps, from what the cluster has:
//! install, init/bootstrap, ceph.conf, keyrings, monitors, managers, OSDs
//! (after disk safety), pool. What exists is left alone, so a second apply
//! has no steps. Both backends share the order and the checks.

use super::conf::{self, ceph_addr_text, ceph_conf};
use super::disks::{verdict, DiskFacts, Verdict};
use super::state::CephState;
use super::Backend;
use crate::shell::shell_quote;
use crate::Cluster;
use serde::Serialize;

/// Where the plain bootstrap keeps the initial monmap and mon. keyring.
pub const BOOTSTRAP_DIR: &str = "/var/lib/ceph/tbmesh-bootstrap";
/// Keyrings every plain node needs (copied from a node that has them).
pub const NODE_KEYRINGS: [&str; 2] = [
    "/etc/ceph/ceph.client.admin.keyring",
    "/var/lib/ceph/bootstrap-osd/ceph.keyring",
];
/// Packages the plain backend needs.
pub const PLAIN_PACKAGES: [&str; 5] = [
    "ceph-mon",
    "ceph-mgr",
    "ceph-osd",
    "ceph-volume",
    "ceph-common",
];
/// PGs of the pool on the plain backend, where Debian 13's managers can't
/// run the autoscaler (MGR_MODULE_DEPENDENCY).
pub const PLAIN_PG_NUM: u32 = 32;

/// What one node has, as far as the plan cares.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NodeCeph {
    /// /etc/ceph/ceph.conf (plain) or /etc/pve/ceph.conf (pveceph) today.
    pub conf: Option<String>,
    /// Admin and bootstrap-osd keyrings are present.
    pub has_keys: bool,
    /// The initial monmap and mon. keyring of a bootstrap are present.
    pub has_bootstrap: bool,
    /// /var/lib/ceph/mon/ceph-<node> exists.
    pub mon_data: bool,
    /// /var/lib/ceph/mgr/ceph-<node>/keyring exists.
    pub mgr_data: bool,
    pub missing_packages: Vec<String>,
    /// Runs in a container: no LVM, so OSDs go on the device raw.
    pub container: bool,
    /// One entry per spec'd OSD device, in spec order.
    pub disks: Vec<DiskFacts>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepKind {
    Install,
    Init,
    Conf,
    Keys,
    Mon,
    Mgr,
    Osd,
    Pool,
}

impl StepKind {
    /// Steps of this kind may run on all their nodes at once.
    pub fn parallel(self, backend: Backend) -> bool {
        match self {
            StepKind::Install | StepKind::Conf | StepKind::Keys | StepKind::Osd => true,
            StepKind::Mgr => backend == Backend::Plain,
            // The first monitor must exist before others join it.
            StepKind::Mon => false,
            StepKind::Init | StepKind::Pool => false,
        }
    }
}

/// One step on one node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CephStep {
    pub node: String,
    #[serde(skip)]
    pub node_idx: usize,
    pub kind: StepKind,
    /// What runs, for people (plan, render). Never holds a secret.
    pub command: String,
    /// What runs, for bash on the node. Never holds a secret either:
    /// keyrings are copied by the engine ([`StepKind::Keys`], `from`).
    #[serde(skip)]
    pub script: String,
    /// Keys: the node to copy the keyrings from.
    pub from: Option<usize>,
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiskReport {
    pub node: String,
    pub path: String,
    pub serial: Option<String>,
    #[serde(flatten)]
    pub verdict: Verdict,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CephPlan {
    pub backend: Backend,
    pub fsid: String,
    /// The fsid is new: this apply creates the cluster.
    pub new_cluster: bool,
    pub steps: Vec<CephStep>,
    pub disks: Vec<DiskReport>,
    /// Why the phase must stop before it changes anything.
    pub refusals: Vec<String>,
}

impl CephPlan {
    pub fn changes(&self) -> usize {
        self.steps.len()
    }
}

fn q(s: &str) -> String {
    shell_quote(s)
}

/// Plan the Ceph phase. `state`: what the running cluster reports (None:
/// no cluster answered). `new_fsid`: used only when a cluster is created.
pub fn plan(
    c: &Cluster,
    backend: Backend,
    nodes: &[NodeCeph],
    state: Option<&CephState>,
    new_fsid: &str,
    wipe: &[String],
) -> CephPlan {
    let mut refusals = vec![];
    let known_fsid = state.and_then(|s| s.fsid.clone()).or_else(|| {
        nodes
            .iter()
            .filter_map(|n| n.conf.as_deref())
            .find_map(|t| conf::read_key(t, "global", "fsid"))
    });
    // An earlier apply of ours that stopped during the bootstrap: resume it.
    let resume = state.is_none() && nodes.iter().any(|n| n.has_bootstrap);
    if state.is_none() && !resume {
        // A config or monitor data without a cluster that answers: a
        // leftover (PITFALLS 16) or a cluster that is down. Never bootstrap over it.
        for (i, n) in nodes.iter().enumerate() {
            let name = c.node_name(i);
            if n.mon_data {
                refusals.push(format!("{name}: /var/lib/ceph/mon/ceph-{name} exists but no Ceph cluster answers: a leftover of an earlier cluster or a cluster that is down; remove the leftovers (see docs/ceph.md) or start its monitors"));
            } else if n
                .conf
                .as_deref()
                .and_then(|t| conf::read_key(t, "global", "fsid"))
                .is_some()
                && backend == Backend::Plain
            {
                refusals.push(format!("{name}: {} names a cluster (fsid) but no Ceph cluster answers; remove it if it is a leftover, or start the cluster's monitors", conf::path(backend)));
            }
        }
    }
    let new_cluster = state.is_none() && known_fsid.is_none();
    let fsid = known_fsid.unwrap_or_else(|| new_fsid.to_string());
    let spec = c.spec.ceph.as_ref();
    let per_dev = spec.map_or(1, |s| s.osds_per_device.value);
    let fabric = &c.spec.fabric;
    let public = spec.map_or(fabric.main_prefix(), |s| s.public_network.resolve(fabric));
    let cnet = spec.map_or(fabric.main_prefix(), |s| s.cluster_network.resolve(fabric));

    // Disk safety first: every device of every node, before any step.
    let mut disks = vec![];
    for (i, n) in nodes.iter().enumerate() {
        for d in &n.disks {
            let v = verdict(d, state.and_then(|s| s.fsid.as_deref()), wipe);
            if let Verdict::Refused { found } = &v {
                refusals.push(format!(
                    "{}: {} is not empty: {}",
                    c.node_name(i),
                    d.path,
                    found.join("; ")
                ));
            }
            disks.push(DiskReport {
                node: c.node_name(i).to_string(),
                path: d.path.clone(),
                serial: d.serial.clone(),
                verdict: v,
            });
        }
    }

    let mut steps = vec![];
    let add = |steps: &mut Vec<CephStep>,
               i: usize,
               kind: StepKind,
               command: String,
               script: String,
               why: String| {
        steps.push(CephStep {
            node: c.node_name(i).to_string(),
            node_idx: i,
            kind,
            command,
            script,
            from: None,
            why,
        });
    };
    let n = nodes.len();
    let mon_exists =
        |i: usize| state.and_then(|s| s.mon(c.node_name(i))).is_some() && nodes[i].mon_data;
    let mgr_exists = |i: usize| {
        state.is_some_and(|s| s.mgrs.iter().any(|m| m == c.node_name(i))) || nodes[i].mgr_data
    };

    // 1. Install.
    for (i, nd) in nodes.iter().enumerate() {
        if nd.missing_packages.is_empty() {
            continue;
        }
        let cmd = match backend {
            Backend::Pveceph => {
                "pveceph install --repository no-subscription --version squid".to_string()
            }
            Backend::Plain => format!(
                "DEBIAN_FRONTEND=noninteractive apt-get install -y {}",
                nd.missing_packages
                    .iter()
                    .map(|p| q(p))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        };
        add(
            &mut steps,
            i,
            StepKind::Install,
            cmd.clone(),
            cmd,
            format!("Ceph packages missing: {}", nd.missing_packages.join(", ")),
        );
    }

    match backend {
        Backend::Pveceph => {
            // 2. init before any monitor (PITFALLS 8): networks in [global].
            if nodes.iter().all(|nd| nd.conf.is_none()) && state.is_none() {
                let cmd = format!("pveceph init --network {public} --cluster-network {cnet}");
                add(
                    &mut steps,
                    0,
                    StepKind::Init,
                    cmd.clone(),
                    cmd,
                    "write [global] with both networks before any monitor exists".into(),
                );
            }
            let mut first = state.is_none_or(|s| s.mons.is_empty());
            for i in 0..n {
                if !mon_exists(i) {
                    let cmd = format!("pveceph mon create --mon-address {}", c.ceph_addr(i));
                    add(
                        &mut steps,
                        i,
                        StepKind::Mon,
                        cmd.clone(),
                        cmd,
                        "monitor on the router /32, which survives any one cable (PITFALLS 8)"
                            .into(),
                    );
                }
            }
            for i in 0..n {
                // The first monitor also creates its node's manager.
                let made_by_first_mon = first && !mon_exists(i);
                first = false;
                if !mgr_exists(i) && !made_by_first_mon {
                    add(
                        &mut steps,
                        i,
                        StepKind::Mgr,
                        "pveceph mgr create".into(),
                        "pveceph mgr create".into(),
                        "a standby manager on every node".into(),
                    );
                }
            }
        }
        Backend::Plain => {
            let bootstrap = new_cluster && refusals.is_empty();
            let initial = bootstrap || resume;
            if bootstrap {
                let mut s = format!("set -eu\numask 077\nBS={BOOTSTRAP_DIR}\ninstall -d -m 700 \"$BS\"\ninstall -d -m 755 /etc/ceph /var/lib/ceph/bootstrap-osd\n");
                s.push_str("ceph-authtool --create-keyring \"$BS/mon.keyring\" --gen-key -n mon. --cap mon 'allow *' >/dev/null\n");
                s.push_str("ceph-authtool --create-keyring /etc/ceph/ceph.client.admin.keyring --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' --cap mds 'allow *' --cap mgr 'allow *' >/dev/null\n");
                s.push_str("ceph-authtool --create-keyring /var/lib/ceph/bootstrap-osd/ceph.keyring --gen-key -n client.bootstrap-osd --cap mon 'profile bootstrap-osd' --cap mgr 'allow r' >/dev/null\n");
                s.push_str("ceph-authtool \"$BS/mon.keyring\" --import-keyring /etc/ceph/ceph.client.admin.keyring >/dev/null\n");
                s.push_str("ceph-authtool \"$BS/mon.keyring\" --import-keyring /var/lib/ceph/bootstrap-osd/ceph.keyring >/dev/null\n");
                s.push_str("chmod 600 \"$BS/mon.keyring\"\n");
                let mut mm = format!("monmaptool --create --fsid {fsid}");
                for i in 0..n {
                    let ip = ceph_addr_text(c.ceph_addr(i));
                    mm.push_str(&format!(
                        " --addv {} '[v2:{ip}:3300,v1:{ip}:6789]'",
                        q(c.node_name(i))
                    ));
                }
                mm.push_str(" \"$BS/monmap\" >/dev/null\n");
                s.push_str(&mm);
                // ceph-mon --mkfs runs as ceph (--setuser) and must read them.
                s.push_str("chown -R ceph:ceph \"$BS\"\n");
                add(&mut steps, 0, StepKind::Init, s.clone(), s, format!("new cluster {fsid}: keyrings (made on the node, never shown) and a monmap of every router address"));
            }
            // 3. ceph.conf everywhere.
            let want = ceph_conf(c, &fsid, backend);
            for (i, nd) in nodes.iter().enumerate() {
                if nd.conf.as_deref() != Some(want.as_str()) {
                    let script = format!(
                        "set -eu\ninstall -d -m 755 /etc/ceph\ncat > /etc/ceph/ceph.conf.tbmesh-new <<'TBMESH_EOF'\n{want}TBMESH_EOF\nchmod 644 /etc/ceph/ceph.conf.tbmesh-new\nmv -f /etc/ceph/ceph.conf.tbmesh-new /etc/ceph/ceph.conf\n"
                    );
                    add(
                        &mut steps,
                        i,
                        StepKind::Conf,
                        "write /etc/ceph/ceph.conf (cluster/etc/ceph/ceph.conf of the render)"
                            .into(),
                        script,
                        if nd.conf.is_none() {
                            "the cluster's config".into()
                        } else {
                            "config differs from the spec".into()
                        },
                    );
                }
            }
            // 4. Keyrings from a node that has them (node 0 after a bootstrap).
            let source = if bootstrap {
                Some(0)
            } else if resume {
                nodes.iter().position(|nd| nd.has_keys && nd.has_bootstrap)
            } else {
                nodes.iter().position(|nd| nd.has_keys)
            };
            if let Some(src) = source {
                for (i, nd) in nodes.iter().enumerate() {
                    let needs_bootstrap = initial && !mon_exists(i);
                    if i != src && (!nd.has_keys || (needs_bootstrap && !nd.has_bootstrap)) {
                        let mut paths: Vec<&str> = NODE_KEYRINGS.to_vec();
                        if needs_bootstrap {
                            paths.push(BOOTSTRAP_DIR);
                        }
                        steps_push_keys(&mut steps, c, i, src, &paths);
                    }
                }
            }
            // 5. Monitors: from the bootstrap monmap, or joining the running cluster.
            for i in 0..n {
                if mon_exists(i) {
                    continue;
                }
                let name = c.node_name(i);
                let ip = ceph_addr_text(c.ceph_addr(i));
                let dir = format!("/var/lib/ceph/mon/ceph-{name}");
                // A data dir with a keyring is a made monitor: only start it.
                let mut s = format!("set -eu\nif [ ! -f {dir}/keyring ]; then\nrm -rf {dir}\ninstall -d -o ceph -g ceph {dir}\n");
                if initial {
                    s.push_str(&format!("chown -R ceph:ceph {BOOTSTRAP_DIR}\n"));
                    s.push_str(&format!("ceph-mon --cluster ceph --mkfs -i {} --monmap {BOOTSTRAP_DIR}/monmap --keyring {BOOTSTRAP_DIR}/mon.keyring --setuser ceph --setgroup ceph\n", q(name)));
                } else {
                    if state.and_then(|st| st.mon(name)).is_none() {
                        s.push_str(&format!("ceph mon add {} {ip}\n", q(name)));
                    }
                    s.push_str(&format!("t=$(mktemp -d)\ntrap 'rm -rf \"$t\"' EXIT\nceph mon getmap -o \"$t/monmap\" 2>/dev/null\nceph auth get mon. -o \"$t/keyring\" 2>/dev/null\nchmod 644 \"$t/keyring\" \"$t/monmap\"\nceph-mon --cluster ceph --mkfs -i {} --monmap \"$t/monmap\" --keyring \"$t/keyring\" --setuser ceph --setgroup ceph\n", q(name)));
                }
                s.push_str("fi\n");
                s.push_str(&format!("systemctl enable ceph-mon.target ceph.target >/dev/null 2>&1 || true\nsystemctl enable --now ceph-mon@{}\n", q(name)));
                add(&mut steps, i, StepKind::Mon, s.clone(), s, format!("monitor {name} bound to its router address {ip} (public_addr in [mon.{name}])"));
            }
            // 6. Managers, once the monitors have quorum.
            for i in 0..n {
                if mgr_exists(i) {
                    continue;
                }
                let name = c.node_name(i);
                let dir = format!("/var/lib/ceph/mgr/ceph-{name}");
                let s = format!("set -eu\n{}install -d -o ceph -g ceph {dir}\nceph auth get-or-create mgr.{} mon 'allow profile mgr' osd 'allow *' mds 'allow *' -o {dir}/keyring\nchown ceph:ceph {dir}/keyring\nchmod 600 {dir}/keyring\nsystemctl enable ceph-mgr.target >/dev/null 2>&1 || true\nsystemctl enable --now ceph-mgr@{}\n", wait_quorum(), q(name), q(name));
                add(
                    &mut steps,
                    i,
                    StepKind::Mgr,
                    s.clone(),
                    s,
                    "a manager on every node (one active, the others standby)".into(),
                );
            }
        }
    }

    // 7. OSDs: only on empty devices (or devices named to be wiped).
    if refusals.is_empty() {
        for (i, nd) in nodes.iter().enumerate() {
            for d in &nd.disks {
                let v = verdict(d, state.and_then(|s| s.fsid.as_deref()), wipe);
                let wipe_it = matches!(v, Verdict::Wipe { .. });
                if !(matches!(v, Verdict::Empty) || wipe_it) {
                    continue;
                }
                let dev = q(&d.path);
                let mut s = String::from("set -eu\n");
                if wipe_it {
                    s.push_str(&format!("wipefs -a {dev}\ndd if=/dev/zero of={dev} bs=1M count=64 oflag=direct status=none\n"));
                }
                let why = match backend {
                    Backend::Pveceph => {
                        s.push_str(&format!(
                            "pveceph osd create {dev} --osds-per-device {per_dev}\n"
                        ));
                        format!("{per_dev} OSD(s) on an empty device (runs ceph-volume lvm batch)")
                    }
                    Backend::Plain if nd.container => {
                        s.push_str(&wait_quorum());
                        let all: Vec<String> = nd.disks.iter().map(|x| x.path.clone()).collect();
                        s.push_str(&raw_osds_script(&d.path, per_dev, &all));
                        format!("{per_dev} OSD(s) in raw mode on partitions (no LVM in a container; see docs/ceph.md)")
                    }
                    Backend::Plain => {
                        s.push_str(&wait_quorum());
                        s.push_str(&format!("ceph-volume lvm batch --osds-per-device {per_dev} --yes --no-auto {dev}\n"));
                        format!("{per_dev} OSD(s) on an empty device")
                    }
                };
                let shown = if wipe_it {
                    format!(
                        "WIPE {} (named with --wipe-disk), then: {}",
                        d.path,
                        s.lines().last().unwrap_or("")
                    )
                } else {
                    s.lines()
                        .filter(|l| !l.starts_with("set -") && !l.contains("ceph -s"))
                        .collect::<Vec<_>>()
                        .join("\n")
                };
                add(&mut steps, i, StepKind::Osd, shown, s, why);
            }
        }
    }

    // 8. Pool.
    if let Some(p) = spec.and_then(|s| s.pool.as_ref()) {
        let name = q(&p.name.value);
        match state.and_then(|s| s.pool(&p.name.value)) {
            None => {
                let s = match backend {
                    Backend::Pveceph => format!(
                        "pveceph pool create {name} --size {} --min_size {} --pg_autoscale_mode on --application rbd --add_storages {}",
                        p.size.value, p.min_size.value, u8::from(p.pve_storage)
                    ),
                    Backend::Plain => format!(
                        "set -eu\n{}ceph osd pool create {name} {PLAIN_PG_NUM} {PLAIN_PG_NUM} replicated\nceph osd pool set {name} size {}\nceph osd pool set {name} min_size {}\nceph osd pool set {name} pg_autoscale_mode on\nceph osd pool application enable {name} rbd\nceph config set mon auth_allow_insecure_global_id_reclaim false\n",
                        wait_quorum(), p.size.value, p.min_size.value
                    ),
                };
                let why = if backend == Backend::Pveceph && p.pve_storage {
                    "replicated RBD pool, added as Proxmox VE storage"
                } else {
                    "replicated RBD pool"
                };
                add(&mut steps, 0, StepKind::Pool, s.clone(), s, why.into());
            }
            Some(got) if got.size != p.size.value || got.min_size != p.min_size.value => {
                let s = format!(
                    "ceph osd pool set {name} size {}\nceph osd pool set {name} min_size {}\n",
                    p.size.value, p.min_size.value
                );
                add(
                    &mut steps,
                    0,
                    StepKind::Pool,
                    s.clone(),
                    s,
                    format!(
                        "pool has size {}/{}, the spec says {}/{}",
                        got.size, got.min_size, p.size.value, p.min_size.value
                    ),
                );
            }
            Some(_) => {}
        }
    }
    if !refusals.is_empty() {
        // Stop before anything: no step of the phase runs.
        steps.clear();
    }
    CephPlan {
        backend,
        fsid,
        new_cluster,
        steps,
        disks,
        refusals,
    }
}

fn steps_push_keys(steps: &mut Vec<CephStep>, c: &Cluster, to: usize, from: usize, paths: &[&str]) {
    steps.push(CephStep {
        node: c.node_name(to).to_string(),
        node_idx: to,
        kind: StepKind::Keys,
        command: format!(
            "copy {} from {} (through tbmesh's ssh connections; contents never shown)",
            paths.join(" "),
            c.node_name(from)
        ),
        script: paths.join("\n"),
        from: Some(from),
        why: "keyrings the node's daemons and ceph-volume need".into(),
    });
}

/// Wait up to two minutes for the monitors to answer.
fn wait_quorum() -> String {
    "for i in $(seq 60); do timeout 10 ceph -s >/dev/null 2>&1 && break; sleep 2; done\n".into()
}

/// The boot-time helper of raw OSDs in containers: partition device nodes
/// (a container's /dev has only the whole device), then activate and start
/// every raw OSD. Installed by the OSD step, run by a unit at every boot.
pub const RAW_HELPER: &str = "/usr/local/lib/tbmesh/ceph-raw-osds";
/// The unit that runs [`RAW_HELPER`] at boot.
pub const RAW_UNIT: &str = "/etc/systemd/system/tbmesh-ceph-raw-osds.service";
/// A drop-in ordering every `ceph-osd@` after [`RAW_UNIT`]: a raw OSD's
/// data directory is a tmpfs that only exists once it is activated.
pub const RAW_OSD_DROPIN: &str = "/etc/systemd/system/ceph-osd@.service.d/tbmesh-raw-osds.conf";

const RAW_HELPER_SH: &str = r#"#!/bin/sh
# @MANAGED@
# Raw OSDs on partitions of devices in a container: make the partition
# device nodes, then activate and start the OSDs (`nodes`: only make the
# nodes). Run at boot by tbmesh-ceph-raw-osds.service; every ceph-osd@ is
# ordered after it (its data directory is a tmpfs that activation mounts).
rc=0
for dev in @DEVS@; do
  k=$(basename "$(readlink -f "$dev")")
  partx -u "$dev" 2>/dev/null || true
  for p in /sys/class/block/$k/${k}p*; do
    [ -e "$p/dev" ] || continue
    n=/dev/${p##*/}; mm=$(cat "$p/dev")
    # Partition minors are global and change when a table is re-read: a node
    # must match sysfs, or it points at another container's partition.
    if [ "$(stat -c %t:%T "$n" 2>/dev/null)" != "$(printf %x:%x ${mm%:*} ${mm#*:})" ]; then rm -f "$n"; mknod "$n" b ${mm%:*} ${mm#*:}; fi
    chown ceph:ceph "$n"; chmod 660 "$n"
  done
  [ "${1:-}" = nodes ] && continue
  for n in /dev/${k}p*; do
    [ -b "$n" ] || continue
    if ! out=$(ceph-volume raw activate --device "$n" --no-systemd 2>&1); then
      echo "ceph-volume raw activate --device $n failed:" >&2
      printf '%s\n' "$out" | tail -5 >&2
      rc=1
    fi
  done
done
[ "${1:-}" = nodes ] && exit 0
for d in /var/lib/ceph/osd/ceph-*; do
  [ -e "$d/whoami" ] && [ -e "$d/keyring" ] || continue
  id=$(cat "$d/whoami")
  systemctl enable ceph-osd@"$id" >/dev/null 2>&1
  # A start before activation (by hand, or an older boot order) may have hit
  # the unit's start limit; it must not keep the OSD down.
  systemctl reset-failed ceph-osd@"$id" 2>/dev/null || true
  # --no-block: ceph-osd@ is ordered after this unit, which is still running.
  systemctl start --no-block ceph-osd@"$id" || rc=1
done
exit $rc
"#;

const RAW_UNIT_TEXT: &str = "# @MANAGED@
[Unit]
Description=Activate raw Ceph OSDs on partitions (tbmesh, containers)
After=local-fs.target network-online.target tbmesh-links.service
Wants=network-online.target
Before=ceph-osd.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=@HELPER@

[Install]
WantedBy=multi-user.target ceph.target
";

const RAW_OSD_DROPIN_TEXT: &str = "# @MANAGED@
# Raw OSDs in a container: the data directory (a tmpfs) exists only once
# tbmesh-ceph-raw-osds.service activated it. Started before, ceph-osd fails
# (no keyring) and hits its start limit.
[Unit]
After=tbmesh-ceph-raw-osds.service
";

/// The helper's content, its unit and the `ceph-osd@` drop-in, for the
/// devices of one node.
pub fn raw_helper_files(devices: &[String]) -> (String, String, String) {
    let devs = devices.iter().map(|d| q(d)).collect::<Vec<_>>().join(" ");
    let m = crate::render::MANAGED;
    let helper = RAW_HELPER_SH
        .replace("@MANAGED@", m)
        .replace("@DEVS@", &devs);
    let unit = RAW_UNIT_TEXT
        .replace("@MANAGED@", m)
        .replace("@HELPER@", RAW_HELPER);
    let dropin = RAW_OSD_DROPIN_TEXT.replace("@MANAGED@", m);
    (helper, unit, dropin)
}

/// `per` OSDs in raw mode on one device: a GPT with `per` equal partitions
/// (raw mode takes one OSD per block device), each prepared, then the boot
/// unit activates and starts them (now and at every boot).
pub fn raw_osds_script(dev: &str, per: u32, all_devices: &[String]) -> String {
    let d = q(dev);
    let (helper, unit, dropin) = raw_helper_files(all_devices);
    let mut s = format!("install -d /usr/local/lib/tbmesh /etc/systemd/system/ceph-osd@.service.d\ncat > {RAW_HELPER} <<'TBMESH_EOF'\n{helper}TBMESH_EOF\nchmod 755 {RAW_HELPER}\ncat > {RAW_UNIT} <<'TBMESH_EOF'\n{unit}TBMESH_EOF\ncat > {RAW_OSD_DROPIN} <<'TBMESH_EOF'\n{dropin}TBMESH_EOF\nsystemctl daemon-reload\nsystemctl enable tbmesh-ceph-raw-osds.service >/dev/null 2>&1\n");
    let per = per.max(1);
    s.push_str(&format!(
        "sgdisk --zap-all {d} >/dev/null 2>&1 || true\nsize=$(blockdev --getsize64 {d})\n"
    ));
    for k in 1..=per {
        let end = if k == per {
            "0".to_string()
        } else {
            format!("+$((size / {per} / 1048576))M")
        };
        s.push_str(&format!(
            "sgdisk -n {k}:0:{end} -c {k}:ceph-osd-{k} {d} >/dev/null\n"
        ));
    }
    s.push_str(&format!("{RAW_HELPER} nodes\n"));
    for k in 1..=per {
        s.push_str(&format!(
            "ceph-volume raw prepare --bluestore --data {d}p{k}\n"
        ));
    }
    // Through the unit, so systemd knows it ran (and a second device's
    // step runs it again).
    s.push_str("systemctl restart tbmesh-ceph-raw-osds.service\n");
    s
}

/// The render's view: every step for a cluster that does not exist yet,
/// with every disk empty, as a readable script.
pub fn render_script(c: &Cluster, backend: Backend) -> String {
    let nodes: Vec<NodeCeph> = c
        .nodes()
        .iter()
        .map(|n| NodeCeph {
            disks: n
                .osd_devices
                .iter()
                .map(|d| DiskFacts {
                    path: d.value.clone(),
                    exists: true,
                    ..DiskFacts::default()
                })
                .collect(),
            ..NodeCeph::default()
        })
        .collect();
    let fsid = conf::render_fsid(c);
    let p = plan(c, backend, &nodes, None, &fsid, &[]);
    let mut s = String::new();
    for st in &p.steps {
        s.push_str(&format!(
            "\n# on {}: {} [{}]\n",
            st.node,
            st.why,
            serde_json::to_value(st.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        ));
        for l in st.command.lines() {
            s.push_str(l);
            s.push('\n');
        }
    }
    s
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ceph::state::{Mon, Pool};
    use crate::diag::Source;

    pub(crate) const LAB: &str = r#"[cluster]
name = "lab"
[fabric]
name = "tb4"
mode = "frr"
prefix = "10.100.0.0/24"
router_interface = "lo"
links = ["n1:en05 -- n2:en06", "n2:en05 -- n3:en06", "n3:en05 -- n1:en06"]
[ceph]
public_network = "fabric"
cluster_network = "fabric"
osds_per_device = 2
[ceph.pool]
name = "cephtb4"
size = 3
min_size = 2
pve_storage = true
[[node]]
name = "n1"
host = "10.11.11.11"
ports = { en05 = "0000:00:0d.2", en06 = "0000:00:0d.3" }
osd_devices = ["/dev/loop0"]
[[node]]
name = "n2"
host = "10.11.11.12"
ports = { en05 = "0000:00:0d.2", en06 = "0000:00:0d.3" }
osd_devices = ["/dev/loop1"]
[[node]]
name = "n3"
host = "10.11.11.13"
ports = { en05 = "0000:00:0d.2", en06 = "0000:00:0d.3" }
osd_devices = ["/dev/loop2"]
"#;

    pub(crate) fn lab_cluster() -> Cluster {
        match crate::spec::load(&Source::new("lab.toml", LAB)) {
            Ok((c, _)) => c,
            Err(d) => panic!("{d:#?}"),
        }
    }

    const FSID: &str = "5c3f0c4e-0d5b-4a52-9f43-2f8a0e4f9a11";

    fn fresh(c: &Cluster, container: bool) -> Vec<NodeCeph> {
        c.nodes()
            .iter()
            .map(|n| NodeCeph {
                container,
                disks: vec![DiskFacts {
                    path: n.osd_devices[0].value.clone(),
                    exists: true,
                    kname: "loop".into(),
                    ..DiskFacts::default()
                }],
                ..NodeCeph::default()
            })
            .collect()
    }

    fn kinds(p: &CephPlan) -> Vec<(String, StepKind)> {
        p.steps.iter().map(|s| (s.node.clone(), s.kind)).collect()
    }

    #[test]
    fn pveceph_sequence_is_init_first_then_mons_on_router_ips() {
        let c = lab_cluster();
        let p = plan(&c, Backend::Pveceph, &fresh(&c, false), None, FSID, &[]);
        let cmds: Vec<String> = p
            .steps
            .iter()
            .map(|s| format!("{}: {}", s.node, s.command))
            .collect();
        assert_eq!(
            cmds,
            vec![
                "n1: pveceph init --network 10.100.0.0/24 --cluster-network 10.100.0.0/24",
                "n1: pveceph mon create --mon-address 10.100.0.1",
                "n2: pveceph mon create --mon-address 10.100.0.2",
                "n3: pveceph mon create --mon-address 10.100.0.3",
                // n1's manager comes with its first monitor.
                "n2: pveceph mgr create",
                "n3: pveceph mgr create",
                "n1: pveceph osd create /dev/loop0 --osds-per-device 2",
                "n2: pveceph osd create /dev/loop1 --osds-per-device 2",
                "n3: pveceph osd create /dev/loop2 --osds-per-device 2",
                "n1: pveceph pool create cephtb4 --size 3 --min_size 2 --pg_autoscale_mode on --application rbd --add_storages 1",
            ]
        );
    }

    #[test]
    fn plain_bootstrap_order_and_no_secret_in_any_command() {
        let c = lab_cluster();
        let p = plan(&c, Backend::Plain, &fresh(&c, true), None, FSID, &[]);
        assert!(p.new_cluster);
        assert_eq!(
            kinds(&p),
            [
                ("n1", StepKind::Init),
                ("n1", StepKind::Conf),
                ("n2", StepKind::Conf),
                ("n3", StepKind::Conf),
                ("n2", StepKind::Keys),
                ("n3", StepKind::Keys),
                ("n1", StepKind::Mon),
                ("n2", StepKind::Mon),
                ("n3", StepKind::Mon),
                ("n1", StepKind::Mgr),
                ("n2", StepKind::Mgr),
                ("n3", StepKind::Mgr),
                ("n1", StepKind::Osd),
                ("n2", StepKind::Osd),
                ("n3", StepKind::Osd),
                ("n1", StepKind::Pool),
            ]
            .map(|(n, k)| (n.to_string(), k))
        );
        let init = &p.steps[0].script;
        assert!(init.contains(&format!(
            "monmaptool --create --fsid {FSID} --addv n1 '[v2:10.100.0.1:3300,v1:10.100.0.1:6789]'"
        )));
        assert!(p.steps[6]
            .script
            .contains("--monmap /var/lib/ceph/tbmesh-bootstrap/monmap"));
        assert!(p.steps[12]
            .script
            .contains("ceph-volume raw prepare --bluestore --data /dev/loop0p2"));
        assert_eq!(p.steps[4].from, Some(0));
        for s in &p.steps {
            assert!(!s.script.contains("key = "), "{}", s.script);
            assert!(!s.command.contains("key = "), "{}", s.command);
        }
    }

    #[test]
    fn raw_osds_start_only_after_the_boot_unit_activated_them() {
        let (helper, unit, dropin) = raw_helper_files(&["/dev/loop3".to_string()]);
        // Every ceph-osd@ waits for the activation (its tmpfs data dir);
        // before it, ceph-osd fails without a keyring and hits its start
        // limit (what a reboot of a lab node did).
        assert!(dropin.contains("[Unit]\nAfter=tbmesh-ceph-raw-osds.service\n"));
        assert!(unit.contains("Before=ceph-osd.target"));
        assert!(unit.contains(&format!("ExecStart={RAW_HELPER}\n")));
        assert!(helper.contains("for dev in /dev/loop3; do"));
        // Started without waiting (it is ordered after the running unit),
        // after clearing a start limit an earlier attempt may have hit.
        let reset = helper.find("systemctl reset-failed ceph-osd@").unwrap();
        let start = helper
            .find("systemctl start --no-block ceph-osd@\"$id\"")
            .unwrap();
        assert!(reset < start);
        // Only activated OSDs are started; failures are not swallowed.
        assert!(helper.contains("[ -e \"$d/keyring\" ]"));
        assert!(helper.contains("exit $rc"));
        let sh = std::process::Command::new("sh")
            .args(["-n", "-c", &helper])
            .status()
            .unwrap();
        assert!(sh.success(), "{helper}");

        let s = raw_osds_script("/dev/loop3", 2, &["/dev/loop3".to_string()]);
        assert!(s.contains(&format!("cat > {RAW_OSD_DROPIN} <<'TBMESH_EOF'\n")));
        assert!(s.contains(&format!("cat > {RAW_UNIT} <<'TBMESH_EOF'\n")));
        // The nodes first, the prepares, then activation through the unit.
        let nodes = s.find(&format!("{RAW_HELPER} nodes\n")).unwrap();
        let prep = s
            .find("ceph-volume raw prepare --bluestore --data /dev/loop3p2")
            .unwrap();
        let act = s
            .find("systemctl restart tbmesh-ceph-raw-osds.service\n")
            .unwrap();
        assert!(nodes < prep && prep < act);
        assert!(s.ends_with("systemctl restart tbmesh-ceph-raw-osds.service\n"));
    }

    #[test]
    fn plain_on_hardware_uses_lvm_batch() {
        let c = lab_cluster();
        let p = plan(&c, Backend::Plain, &fresh(&c, false), None, FSID, &[]);
        let osd = p.steps.iter().find(|s| s.kind == StepKind::Osd).unwrap();
        assert!(osd
            .script
            .contains("ceph-volume lvm batch --osds-per-device 2 --yes --no-auto /dev/loop0"));
    }

    fn built(c: &Cluster) -> (Vec<NodeCeph>, CephState) {
        let conf = ceph_conf(c, FSID, Backend::Plain);
        let nodes = c
            .nodes()
            .iter()
            .enumerate()
            .map(|(i, n)| NodeCeph {
                conf: Some(conf.clone()),
                has_keys: true,
                mon_data: true,
                mgr_data: true,
                container: true,
                disks: vec![DiskFacts {
                    path: n.osd_devices[0].value.clone(),
                    exists: true,
                    osds: vec![(2 * i as u32, FSID.into()), (2 * i as u32 + 1, FSID.into())],
                    ..DiskFacts::default()
                }],
                ..NodeCeph::default()
            })
            .collect();
        let state = CephState {
            fsid: Some(FSID.into()),
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
            pools: vec![Pool {
                name: "cephtb4".into(),
                size: 3,
                min_size: 2,
                autoscale: "on".into(),
                applications: vec!["rbd".into()],
            }],
            ..CephState::default()
        };
        (nodes, state)
    }

    #[test]
    fn a_built_cluster_plans_zero_steps() {
        let c = lab_cluster();
        let (nodes, state) = built(&c);
        for b in [Backend::Plain, Backend::Pveceph] {
            let p = plan(
                &c,
                b,
                &nodes,
                Some(&state),
                "00000000-0000-4000-8000-000000000000",
                &[],
            );
            assert_eq!(p.fsid, FSID);
            assert!(p.steps.is_empty(), "{b:?}: {:#?}", p.steps);
            assert!(p.refusals.is_empty());
        }
    }

    #[test]
    fn a_new_node_joins_the_running_cluster() {
        let c = lab_cluster();
        let (mut nodes, mut state) = built(&c);
        nodes[2] = NodeCeph {
            container: true,
            disks: vec![DiskFacts {
                path: "/dev/loop2".into(),
                exists: true,
                ..DiskFacts::default()
            }],
            ..NodeCeph::default()
        };
        state.mons.pop();
        state.mgrs.pop();
        let p = plan(&c, Backend::Plain, &nodes, Some(&state), "x", &[]);
        assert!(!p.new_cluster);
        assert_eq!(
            kinds(&p),
            [
                ("n3", StepKind::Conf),
                ("n3", StepKind::Keys),
                ("n3", StepKind::Mon),
                ("n3", StepKind::Mgr),
                ("n3", StepKind::Osd)
            ]
            .map(|(n, k)| (n.to_string(), k))
        );
        assert!(p.steps[2].script.contains("ceph mon add n3 10.100.0.3"));
    }

    #[test]
    fn a_disk_with_a_filesystem_stops_the_whole_phase() {
        let c = lab_cluster();
        let mut nodes = fresh(&c, true);
        nodes[1].disks[0].signatures = vec!["ext4".into()];
        let p = plan(&c, Backend::Plain, &nodes, None, FSID, &[]);
        assert!(p.steps.is_empty());
        assert_eq!(
            p.refusals,
            vec!["n2: /dev/loop1 is not empty: a ext4 signature".to_string()]
        );
        // Named to be wiped: it is wiped, then used.
        let p = plan(
            &c,
            Backend::Plain,
            &nodes,
            None,
            FSID,
            &["/dev/loop1".into()],
        );
        assert!(p.refusals.is_empty());
        let osd = p
            .steps
            .iter()
            .find(|s| s.kind == StepKind::Osd && s.node == "n2")
            .unwrap();
        assert!(osd.script.starts_with("set -eu\nwipefs -a /dev/loop1\n"));
        assert!(osd.command.starts_with("WIPE /dev/loop1"));
    }

    #[test]
    fn leftovers_without_a_cluster_are_refused() {
        let c = lab_cluster();
        let mut nodes = fresh(&c, true);
        nodes[0].mon_data = true;
        let p = plan(&c, Backend::Plain, &nodes, None, FSID, &[]);
        assert!(p.steps.is_empty());
        assert!(p.refusals[0].contains("leftover"), "{:?}", p.refusals);
    }

    #[test]
    fn a_pool_of_the_wrong_size_is_resized() {
        let c = lab_cluster();
        let (nodes, mut state) = built(&c);
        state.pools[0].size = 2;
        let p = plan(&c, Backend::Plain, &nodes, Some(&state), "x", &[]);
        assert_eq!(p.steps.len(), 1);
        assert!(p.steps[0]
            .script
            .contains("ceph osd pool set cephtb4 size 3"));
    }

    #[test]
    fn render_script_labels_every_step_with_its_node() {
        let c = lab_cluster();
        let s = render_script(&c, Backend::Pveceph);
        assert!(
            s.starts_with("\n# on n1: write [global] with both networks"),
            "{s}"
        );
    }
}
