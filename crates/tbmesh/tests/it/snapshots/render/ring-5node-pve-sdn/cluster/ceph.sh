#!/bin/sh
# Managed by tbmesh: changes here are overwritten; edit tbmesh.toml instead.
# The Ceph phase, step by step, for a cluster that does not exist yet
# and empty OSD devices (apply leaves existing daemons, OSDs and pools
# alone and refuses non-empty disks). fsid 63ea14e0-b0c7-49ee-9c98-46c8a7f80356 is a stand-in:
# apply makes a new one (or keeps the cluster's).
# Nothing runs before the mesh verifies (full-MTU DF pings between all
# router addresses).
exit 0  # a listing to read, not to run

### Backend pveceph: Proxmox VE nodes (pve-manager installed)
# ceph.conf: etc/pve/ceph.conf

# on pve1: write [global] with both networks before any monitor exists [init]
pveceph init --network 10.100.0.0/24 --cluster-network 10.100.0.0/24

# on pve1: monitor on the router /32, which survives any one cable (PITFALLS 8) [mon]
pveceph mon create --mon-address 10.100.0.1

# on pve2: monitor on the router /32, which survives any one cable (PITFALLS 8) [mon]
pveceph mon create --mon-address 10.100.0.2

# on pve3: monitor on the router /32, which survives any one cable (PITFALLS 8) [mon]
pveceph mon create --mon-address 10.100.0.3

# on pve4: monitor on the router /32, which survives any one cable (PITFALLS 8) [mon]
pveceph mon create --mon-address 10.100.0.4

# on pve5: monitor on the router /32, which survives any one cable (PITFALLS 8) [mon]
pveceph mon create --mon-address 10.100.0.5

# on pve2: a standby manager on every node [mgr]
pveceph mgr create

# on pve3: a standby manager on every node [mgr]
pveceph mgr create

# on pve4: a standby manager on every node [mgr]
pveceph mgr create

# on pve5: a standby manager on every node [mgr]
pveceph mgr create

# on pve1: 2 OSD(s) on an empty device (runs ceph-volume lvm batch) [osd]
pveceph osd create /dev/nvme1n1 --osds-per-device 2

# on pve2: 2 OSD(s) on an empty device (runs ceph-volume lvm batch) [osd]
pveceph osd create /dev/nvme1n1 --osds-per-device 2

# on pve3: 2 OSD(s) on an empty device (runs ceph-volume lvm batch) [osd]
pveceph osd create /dev/nvme1n1 --osds-per-device 2

# on pve4: 2 OSD(s) on an empty device (runs ceph-volume lvm batch) [osd]
pveceph osd create /dev/nvme1n1 --osds-per-device 2

# on pve5: 2 OSD(s) on an empty device (runs ceph-volume lvm batch) [osd]
pveceph osd create /dev/nvme1n1 --osds-per-device 2

# on pve1: replicated RBD pool, added as Proxmox VE storage [pool]
pveceph pool create rbd-tb4 --size 3 --min_size 2 --pg_autoscale_mode on --application rbd --add_storages 1

### Backend plain: Debian nodes without Proxmox VE (the lab)
# ceph.conf: etc/ceph/ceph.conf. Keyrings are made on the first node and
# carried to the others inside tbmesh's ssh sessions; never printed.
# OSDs: `ceph-volume lvm batch` on hardware; in containers (no LVM) raw
# OSDs on partitions, as shown for a containerised node in docs/ceph.md.

# on pve1: new cluster 63ea14e0-b0c7-49ee-9c98-46c8a7f80356: keyrings (made on the node, never shown) and a monmap of every router address [init]
set -eu
umask 077
BS=/var/lib/ceph/tbmesh-bootstrap
install -d -m 700 "$BS"
install -d -m 755 /etc/ceph /var/lib/ceph/bootstrap-osd
ceph-authtool --create-keyring "$BS/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-authtool --create-keyring /etc/ceph/ceph.client.admin.keyring --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' --cap mds 'allow *' --cap mgr 'allow *' >/dev/null
ceph-authtool --create-keyring /var/lib/ceph/bootstrap-osd/ceph.keyring --gen-key -n client.bootstrap-osd --cap mon 'profile bootstrap-osd' --cap mgr 'allow r' >/dev/null
ceph-authtool "$BS/mon.keyring" --import-keyring /etc/ceph/ceph.client.admin.keyring >/dev/null
ceph-authtool "$BS/mon.keyring" --import-keyring /var/lib/ceph/bootstrap-osd/ceph.keyring >/dev/null
chmod 600 "$BS/mon.keyring"
monmaptool --create --fsid 63ea14e0-b0c7-49ee-9c98-46c8a7f80356 --addv pve1 '[v2:10.100.0.1:3300,v1:10.100.0.1:6789]' --addv pve2 '[v2:10.100.0.2:3300,v1:10.100.0.2:6789]' --addv pve3 '[v2:10.100.0.3:3300,v1:10.100.0.3:6789]' --addv pve4 '[v2:10.100.0.4:3300,v1:10.100.0.4:6789]' --addv pve5 '[v2:10.100.0.5:3300,v1:10.100.0.5:6789]' "$BS/monmap" >/dev/null
chown -R ceph:ceph "$BS"

# on pve1: the cluster's config [conf]
write /etc/ceph/ceph.conf (cluster/etc/ceph/ceph.conf of the render)

# on pve2: the cluster's config [conf]
write /etc/ceph/ceph.conf (cluster/etc/ceph/ceph.conf of the render)

# on pve3: the cluster's config [conf]
write /etc/ceph/ceph.conf (cluster/etc/ceph/ceph.conf of the render)

# on pve4: the cluster's config [conf]
write /etc/ceph/ceph.conf (cluster/etc/ceph/ceph.conf of the render)

# on pve5: the cluster's config [conf]
write /etc/ceph/ceph.conf (cluster/etc/ceph/ceph.conf of the render)

# on pve2: keyrings the node's daemons and ceph-volume need [keys]
copy /etc/ceph/ceph.client.admin.keyring /var/lib/ceph/bootstrap-osd/ceph.keyring /var/lib/ceph/tbmesh-bootstrap from pve1 (through tbmesh's ssh connections; contents never shown)

# on pve3: keyrings the node's daemons and ceph-volume need [keys]
copy /etc/ceph/ceph.client.admin.keyring /var/lib/ceph/bootstrap-osd/ceph.keyring /var/lib/ceph/tbmesh-bootstrap from pve1 (through tbmesh's ssh connections; contents never shown)

# on pve4: keyrings the node's daemons and ceph-volume need [keys]
copy /etc/ceph/ceph.client.admin.keyring /var/lib/ceph/bootstrap-osd/ceph.keyring /var/lib/ceph/tbmesh-bootstrap from pve1 (through tbmesh's ssh connections; contents never shown)

# on pve5: keyrings the node's daemons and ceph-volume need [keys]
copy /etc/ceph/ceph.client.admin.keyring /var/lib/ceph/bootstrap-osd/ceph.keyring /var/lib/ceph/tbmesh-bootstrap from pve1 (through tbmesh's ssh connections; contents never shown)

# on pve1: monitor pve1 bound to its router address 10.100.0.1 (public_addr in [mon.pve1]) [mon]
set -eu
if [ ! -f /var/lib/ceph/mon/ceph-pve1/keyring ]; then
rm -rf /var/lib/ceph/mon/ceph-pve1
install -d -o ceph -g ceph /var/lib/ceph/mon/ceph-pve1
chown -R ceph:ceph /var/lib/ceph/tbmesh-bootstrap
ceph-mon --cluster ceph --mkfs -i pve1 --monmap /var/lib/ceph/tbmesh-bootstrap/monmap --keyring /var/lib/ceph/tbmesh-bootstrap/mon.keyring --setuser ceph --setgroup ceph
fi
systemctl enable ceph-mon.target ceph.target >/dev/null 2>&1 || true
systemctl enable --now ceph-mon@pve1

# on pve2: monitor pve2 bound to its router address 10.100.0.2 (public_addr in [mon.pve2]) [mon]
set -eu
if [ ! -f /var/lib/ceph/mon/ceph-pve2/keyring ]; then
rm -rf /var/lib/ceph/mon/ceph-pve2
install -d -o ceph -g ceph /var/lib/ceph/mon/ceph-pve2
chown -R ceph:ceph /var/lib/ceph/tbmesh-bootstrap
ceph-mon --cluster ceph --mkfs -i pve2 --monmap /var/lib/ceph/tbmesh-bootstrap/monmap --keyring /var/lib/ceph/tbmesh-bootstrap/mon.keyring --setuser ceph --setgroup ceph
fi
systemctl enable ceph-mon.target ceph.target >/dev/null 2>&1 || true
systemctl enable --now ceph-mon@pve2

# on pve3: monitor pve3 bound to its router address 10.100.0.3 (public_addr in [mon.pve3]) [mon]
set -eu
if [ ! -f /var/lib/ceph/mon/ceph-pve3/keyring ]; then
rm -rf /var/lib/ceph/mon/ceph-pve3
install -d -o ceph -g ceph /var/lib/ceph/mon/ceph-pve3
chown -R ceph:ceph /var/lib/ceph/tbmesh-bootstrap
ceph-mon --cluster ceph --mkfs -i pve3 --monmap /var/lib/ceph/tbmesh-bootstrap/monmap --keyring /var/lib/ceph/tbmesh-bootstrap/mon.keyring --setuser ceph --setgroup ceph
fi
systemctl enable ceph-mon.target ceph.target >/dev/null 2>&1 || true
systemctl enable --now ceph-mon@pve3

# on pve4: monitor pve4 bound to its router address 10.100.0.4 (public_addr in [mon.pve4]) [mon]
set -eu
if [ ! -f /var/lib/ceph/mon/ceph-pve4/keyring ]; then
rm -rf /var/lib/ceph/mon/ceph-pve4
install -d -o ceph -g ceph /var/lib/ceph/mon/ceph-pve4
chown -R ceph:ceph /var/lib/ceph/tbmesh-bootstrap
ceph-mon --cluster ceph --mkfs -i pve4 --monmap /var/lib/ceph/tbmesh-bootstrap/monmap --keyring /var/lib/ceph/tbmesh-bootstrap/mon.keyring --setuser ceph --setgroup ceph
fi
systemctl enable ceph-mon.target ceph.target >/dev/null 2>&1 || true
systemctl enable --now ceph-mon@pve4

# on pve5: monitor pve5 bound to its router address 10.100.0.5 (public_addr in [mon.pve5]) [mon]
set -eu
if [ ! -f /var/lib/ceph/mon/ceph-pve5/keyring ]; then
rm -rf /var/lib/ceph/mon/ceph-pve5
install -d -o ceph -g ceph /var/lib/ceph/mon/ceph-pve5
chown -R ceph:ceph /var/lib/ceph/tbmesh-bootstrap
ceph-mon --cluster ceph --mkfs -i pve5 --monmap /var/lib/ceph/tbmesh-bootstrap/monmap --keyring /var/lib/ceph/tbmesh-bootstrap/mon.keyring --setuser ceph --setgroup ceph
fi
systemctl enable ceph-mon.target ceph.target >/dev/null 2>&1 || true
systemctl enable --now ceph-mon@pve5

# on pve1: a manager on every node (one active, the others standby) [mgr]
set -eu
for i in $(seq 60); do timeout 10 ceph -s >/dev/null 2>&1 && break; sleep 2; done
install -d -o ceph -g ceph /var/lib/ceph/mgr/ceph-pve1
ceph auth get-or-create mgr.pve1 mon 'allow profile mgr' osd 'allow *' mds 'allow *' -o /var/lib/ceph/mgr/ceph-pve1/keyring
chown ceph:ceph /var/lib/ceph/mgr/ceph-pve1/keyring
chmod 600 /var/lib/ceph/mgr/ceph-pve1/keyring
systemctl enable ceph-mgr.target >/dev/null 2>&1 || true
systemctl enable --now ceph-mgr@pve1

# on pve2: a manager on every node (one active, the others standby) [mgr]
set -eu
for i in $(seq 60); do timeout 10 ceph -s >/dev/null 2>&1 && break; sleep 2; done
install -d -o ceph -g ceph /var/lib/ceph/mgr/ceph-pve2
ceph auth get-or-create mgr.pve2 mon 'allow profile mgr' osd 'allow *' mds 'allow *' -o /var/lib/ceph/mgr/ceph-pve2/keyring
chown ceph:ceph /var/lib/ceph/mgr/ceph-pve2/keyring
chmod 600 /var/lib/ceph/mgr/ceph-pve2/keyring
systemctl enable ceph-mgr.target >/dev/null 2>&1 || true
systemctl enable --now ceph-mgr@pve2

# on pve3: a manager on every node (one active, the others standby) [mgr]
set -eu
for i in $(seq 60); do timeout 10 ceph -s >/dev/null 2>&1 && break; sleep 2; done
install -d -o ceph -g ceph /var/lib/ceph/mgr/ceph-pve3
ceph auth get-or-create mgr.pve3 mon 'allow profile mgr' osd 'allow *' mds 'allow *' -o /var/lib/ceph/mgr/ceph-pve3/keyring
chown ceph:ceph /var/lib/ceph/mgr/ceph-pve3/keyring
chmod 600 /var/lib/ceph/mgr/ceph-pve3/keyring
systemctl enable ceph-mgr.target >/dev/null 2>&1 || true
systemctl enable --now ceph-mgr@pve3

# on pve4: a manager on every node (one active, the others standby) [mgr]
set -eu
for i in $(seq 60); do timeout 10 ceph -s >/dev/null 2>&1 && break; sleep 2; done
install -d -o ceph -g ceph /var/lib/ceph/mgr/ceph-pve4
ceph auth get-or-create mgr.pve4 mon 'allow profile mgr' osd 'allow *' mds 'allow *' -o /var/lib/ceph/mgr/ceph-pve4/keyring
chown ceph:ceph /var/lib/ceph/mgr/ceph-pve4/keyring
chmod 600 /var/lib/ceph/mgr/ceph-pve4/keyring
systemctl enable ceph-mgr.target >/dev/null 2>&1 || true
systemctl enable --now ceph-mgr@pve4

# on pve5: a manager on every node (one active, the others standby) [mgr]
set -eu
for i in $(seq 60); do timeout 10 ceph -s >/dev/null 2>&1 && break; sleep 2; done
install -d -o ceph -g ceph /var/lib/ceph/mgr/ceph-pve5
ceph auth get-or-create mgr.pve5 mon 'allow profile mgr' osd 'allow *' mds 'allow *' -o /var/lib/ceph/mgr/ceph-pve5/keyring
chown ceph:ceph /var/lib/ceph/mgr/ceph-pve5/keyring
chmod 600 /var/lib/ceph/mgr/ceph-pve5/keyring
systemctl enable ceph-mgr.target >/dev/null 2>&1 || true
systemctl enable --now ceph-mgr@pve5

# on pve1: 2 OSD(s) on an empty device [osd]
ceph-volume lvm batch --osds-per-device 2 --yes --no-auto /dev/nvme1n1

# on pve2: 2 OSD(s) on an empty device [osd]
ceph-volume lvm batch --osds-per-device 2 --yes --no-auto /dev/nvme1n1

# on pve3: 2 OSD(s) on an empty device [osd]
ceph-volume lvm batch --osds-per-device 2 --yes --no-auto /dev/nvme1n1

# on pve4: 2 OSD(s) on an empty device [osd]
ceph-volume lvm batch --osds-per-device 2 --yes --no-auto /dev/nvme1n1

# on pve5: 2 OSD(s) on an empty device [osd]
ceph-volume lvm batch --osds-per-device 2 --yes --no-auto /dev/nvme1n1

# on pve1: replicated RBD pool [pool]
set -eu
for i in $(seq 60); do timeout 10 ceph -s >/dev/null 2>&1 && break; sleep 2; done
ceph osd pool create rbd-tb4 32 32 replicated
ceph osd pool set rbd-tb4 size 3
ceph osd pool set rbd-tb4 min_size 2
ceph osd pool set rbd-tb4 pg_autoscale_mode on
ceph osd pool application enable rbd-tb4 rbd
ceph config set mon auth_allow_insecure_global_id_reclaim false
