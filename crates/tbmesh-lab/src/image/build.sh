#!/bin/bash
# Builds the lab's Debian 13 (trixie) root filesystem.
#
# This file is the image recipe: its hash names the cached image, so any
# change here rebuilds it. Run by `tbmesh lab` as root with
#   ROOTFS=<empty dir to fill>  MIRROR=<debian mirror url>
# The same tree serves both backends: nspawn boots it through an overlay,
# the VM backend packs it into an ext4 disk and boots its kernel directly.
set -euo pipefail

: "${ROOTFS:?ROOTFS must be set}"
: "${MIRROR:=http://deb.debian.org/debian}"
SUITE=trixie

# python3-cffi-backend: debootstrap cannot resolve the virtual package that
# python3-cryptography (pulled in by ceph-mgr) depends on; naming it fixes it.
PACKAGES=(
  systemd-sysv udev dbus kmod procps netbase
  linux-image-amd64 initramfs-tools
  openssh-server
  ifupdown2 iproute2 iputils-ping ethtool tcpdump
  frr frr-pythontools
  iperf3 lldpd chrony
  lvm2 ceph-mon ceph-mgr ceph-osd ceph-volume python3-cffi-backend
)

include=$(IFS=,; echo "${PACKAGES[*]}")
debootstrap --variant=minbase --include="$include" \
  --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
  "$SUITE" "$ROOTFS" "$MIRROR"

in_root() { chroot "$ROOTFS" "$@"; }

# Host keys are made per node when a lab is created, and recorded in the
# lab's known_hosts; the image must not carry any.
rm -f "$ROOTFS"/etc/ssh/ssh_host_*

# Per node: hostname, machine-id, interfaces, authorized_keys are written
# at creation. Leave them empty in the image.
: > "$ROOTFS/etc/machine-id"
echo lab > "$ROOTFS/etc/hostname"

# Management is configured in /etc/network/interfaces itself (as PVE does
# with vmbr0), so `ifreload -a` keeps it; tbmesh writes interfaces.d/*.
cat > "$ROOTFS/etc/network/interfaces" <<'IFACES'
auto lo
iface lo inet loopback

source /etc/network/interfaces.d/*
IFACES
mkdir -p "$ROOTFS/etc/network/interfaces.d"

# Fails in a container (no nvme-fabrics); useless in the lab anyway.
in_root systemctl mask nvmf-autoconnect.service >/dev/null 2>&1 || true
# Root logs in with the lab's key only.
in_root passwd -l root >/dev/null
mkdir -p "$ROOTFS/root/.ssh"
chmod 700 "$ROOTFS/root/.ssh"

# The VM backend boots with root=/dev/vda; containers ignore this file.
echo '/dev/vda / ext4 defaults,errors=remount-ro 0 1' > "$ROOTFS/etc/fstab"

# Smaller image: no package lists or downloaded .debs.
in_root apt-get clean
rm -rf "$ROOTFS"/var/lib/apt/lists/*
