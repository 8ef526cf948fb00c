#!/bin/sh
# Managed by tbmesh: changes here are overwritten; edit tbmesh.toml instead.
# The Ceph phase, step by step, for a cluster that does not exist yet
# and empty OSD devices (apply leaves existing daemons, OSDs and pools
# alone and refuses non-empty disks). fsid 655ba9e1-b497-460f-b1a1-b04089e72c4e is a stand-in:
# apply makes a new one (or keeps the cluster's).
# Nothing runs before the mesh verifies (full-MTU DF pings between all
# router addresses).
exit 0  # a listing to read, not to run

### Backend pveceph: Proxmox VE nodes (pve-manager installed)
# ceph.conf: etc/pve/ceph.conf

# on n2: write [global] with both networks before any monitor exists [init]
pveceph init --network 10.100.0.0/24 --cluster-network 10.100.0.0/24

# on n2: monitor on the router /32, which survives any one cable (PITFALLS 8) [mon]
pveceph mon create --mon-address 10.100.0.12

# on n3: monitor on the router /32, which survives any one cable (PITFALLS 8) [mon]
pveceph mon create --mon-address 10.100.0.13

# on n4: monitor on the router /32, which survives any one cable (PITFALLS 8) [mon]
pveceph mon create --mon-address 10.100.0.14

# on n3: a standby manager on every node [mgr]
pveceph mgr create

# on n4: a standby manager on every node [mgr]
pveceph mgr create

# on n2: 2 OSD(s) on an empty device (runs ceph-volume lvm batch) [osd]
pveceph osd create /dev/nvme1n1 --osds-per-device 2

# on n3: 2 OSD(s) on an empty device (runs ceph-volume lvm batch) [osd]
pveceph osd create /dev/nvme1n1 --osds-per-device 2

# on n4: 2 OSD(s) on an empty device (runs ceph-volume lvm batch) [osd]
pveceph osd create /dev/nvme1n1 --osds-per-device 2

# on n2: replicated RBD pool, added as Proxmox VE storage [pool]
pveceph pool create cephtb4 --size 3 --min_size 2 --pg_autoscale_mode on --application rbd --add_storages 1

### Backend plain: Debian nodes without Proxmox VE (the lab)
# ceph.conf: etc/ceph/ceph.conf. Keyrings are made on the first node and
# carried to the others inside tbmesh's ssh sessions; never printed.
# OSDs: `ceph-volume lvm batch` on hardware; in containers (no LVM) raw
# OSDs on partitions, as shown for a containerised node in docs/ceph.md.

# on n2: new cluster 655ba9e1-b497-460f-b1a1-b04089e72c4e: keyrings (made on the node, never shown) and a monmap of every router address [init]
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
monmaptool --create --fsid 655ba9e1-b497-460f-b1a1-b04089e72c4e --addv n2 '[v2:10.100.0.12:3300,v1:10.100.0.12:6789]' --addv n3 '[v2:10.100.0.13:3300,v1:10.100.0.13:6789]' --addv n4 '[v2:10.100.0.14:3300,v1:10.100.0.14:6789]' "$BS/monmap" >/dev/null
chown -R ceph:ceph "$BS"

# on n2: the cluster's config [conf]
write /etc/ceph/ceph.conf (cluster/etc/ceph/ceph.conf of the render)

# on n3: the cluster's config [conf]
write /etc/ceph/ceph.conf (cluster/etc/ceph/ceph.conf of the render)

# on n4: the cluster's config [conf]
write /etc/ceph/ceph.conf (cluster/etc/ceph/ceph.conf of the render)

# on n3: keyrings the node's daemons and ceph-volume need [keys]
copy /etc/ceph/ceph.client.admin.keyring /var/lib/ceph/bootstrap-osd/ceph.keyring /var/lib/ceph/tbmesh-bootstrap from n2 (through tbmesh's ssh connections; contents never shown)

# on n4: keyrings the node's daemons and ceph-volume need [keys]
copy /etc/ceph/ceph.client.admin.keyring /var/lib/ceph/bootstrap-osd/ceph.keyring /var/lib/ceph/tbmesh-bootstrap from n2 (through tbmesh's ssh connections; contents never shown)

# on n2: monitor n2 bound to its router address 10.100.0.12 (public_addr in [mon.n2]) [mon]
set -eu
if [ ! -f /var/lib/ceph/mon/ceph-n2/keyring ]; then
rm -rf /var/lib/ceph/mon/ceph-n2
install -d -o ceph -g ceph /var/lib/ceph/mon/ceph-n2
chown -R ceph:ceph /var/lib/ceph/tbmesh-bootstrap
ceph-mon --cluster ceph --mkfs -i n2 --monmap /var/lib/ceph/tbmesh-bootstrap/monmap --keyring /var/lib/ceph/tbmesh-bootstrap/mon.keyring --setuser ceph --setgroup ceph
fi
systemctl enable ceph-mon.target ceph.target >/dev/null 2>&1 || true
systemctl enable --now ceph-mon@n2

# on n3: monitor n3 bound to its router address 10.100.0.13 (public_addr in [mon.n3]) [mon]
set -eu
if [ ! -f /var/lib/ceph/mon/ceph-n3/keyring ]; then
rm -rf /var/lib/ceph/mon/ceph-n3
install -d -o ceph -g ceph /var/lib/ceph/mon/ceph-n3
chown -R ceph:ceph /var/lib/ceph/tbmesh-bootstrap
ceph-mon --cluster ceph --mkfs -i n3 --monmap /var/lib/ceph/tbmesh-bootstrap/monmap --keyring /var/lib/ceph/tbmesh-bootstrap/mon.keyring --setuser ceph --setgroup ceph
fi
systemctl enable ceph-mon.target ceph.target >/dev/null 2>&1 || true
systemctl enable --now ceph-mon@n3

# on n4: monitor n4 bound to its router address 10.100.0.14 (public_addr in [mon.n4]) [mon]
set -eu
if [ ! -f /var/lib/ceph/mon/ceph-n4/keyring ]; then
rm -rf /var/lib/ceph/mon/ceph-n4
install -d -o ceph -g ceph /var/lib/ceph/mon/ceph-n4
chown -R ceph:ceph /var/lib/ceph/tbmesh-bootstrap
ceph-mon --cluster ceph --mkfs -i n4 --monmap /var/lib/ceph/tbmesh-bootstrap/monmap --keyring /var/lib/ceph/tbmesh-bootstrap/mon.keyring --setuser ceph --setgroup ceph
fi
systemctl enable ceph-mon.target ceph.target >/dev/null 2>&1 || true
systemctl enable --now ceph-mon@n4

# on n2: a manager on every node (one active, the others standby) [mgr]
set -eu
for i in $(seq 60); do timeout 10 ceph -s >/dev/null 2>&1 && break; sleep 2; done
install -d -o ceph -g ceph /var/lib/ceph/mgr/ceph-n2
ceph auth get-or-create mgr.n2 mon 'allow profile mgr' osd 'allow *' mds 'allow *' -o /var/lib/ceph/mgr/ceph-n2/keyring
chown ceph:ceph /var/lib/ceph/mgr/ceph-n2/keyring
chmod 600 /var/lib/ceph/mgr/ceph-n2/keyring
systemctl enable ceph-mgr.target >/dev/null 2>&1 || true
systemctl enable --now ceph-mgr@n2

# on n3: a manager on every node (one active, the others standby) [mgr]
set -eu
for i in $(seq 60); do timeout 10 ceph -s >/dev/null 2>&1 && break; sleep 2; done
install -d -o ceph -g ceph /var/lib/ceph/mgr/ceph-n3
ceph auth get-or-create mgr.n3 mon 'allow profile mgr' osd 'allow *' mds 'allow *' -o /var/lib/ceph/mgr/ceph-n3/keyring
chown ceph:ceph /var/lib/ceph/mgr/ceph-n3/keyring
chmod 600 /var/lib/ceph/mgr/ceph-n3/keyring
systemctl enable ceph-mgr.target >/dev/null 2>&1 || true
systemctl enable --now ceph-mgr@n3

# on n4: a manager on every node (one active, the others standby) [mgr]
set -eu
for i in $(seq 60); do timeout 10 ceph -s >/dev/null 2>&1 && break; sleep 2; done
install -d -o ceph -g ceph /var/lib/ceph/mgr/ceph-n4
ceph auth get-or-create mgr.n4 mon 'allow profile mgr' osd 'allow *' mds 'allow *' -o /var/lib/ceph/mgr/ceph-n4/keyring
chown ceph:ceph /var/lib/ceph/mgr/ceph-n4/keyring
chmod 600 /var/lib/ceph/mgr/ceph-n4/keyring
systemctl enable ceph-mgr.target >/dev/null 2>&1 || true
systemctl enable --now ceph-mgr@n4

# on n2: 2 OSD(s) on an empty device [osd]
ceph-volume lvm batch --osds-per-device 2 --yes --no-auto /dev/nvme1n1

# on n3: 2 OSD(s) on an empty device [osd]
ceph-volume lvm batch --osds-per-device 2 --yes --no-auto /dev/nvme1n1

# on n4: 2 OSD(s) on an empty device [osd]
ceph-volume lvm batch --osds-per-device 2 --yes --no-auto /dev/nvme1n1

# on n2: replicated RBD pool [pool]
set -eu
for i in $(seq 60); do timeout 10 ceph -s >/dev/null 2>&1 && break; sleep 2; done
ceph osd pool create cephtb4 32 32 replicated
ceph osd pool set cephtb4 size 3
ceph osd pool set cephtb4 min_size 2
ceph osd pool set cephtb4 pg_autoscale_mode on
ceph osd pool application enable cephtb4 rbd
ceph config set mon auth_allow_insecure_global_id_reclaim false
