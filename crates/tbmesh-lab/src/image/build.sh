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
  iperf3 lldpd chrony nftables
  man-db bash-completion
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

# The VM backend's root disk carries this label; containers get an fstab
# of their own.
echo 'LABEL=tbmeshroot / ext4 defaults,errors=remount-ro 0 1' > "$ROOTFS/etc/fstab"

# VM backend: QEMU hands each VM its own files (host key, authorized key,
# hosts, management address) as fw_cfg opt/tbmesh/seed, a tar; this unit
# unpacks it at every boot, before networking and sshd start.
cat > "$ROOTFS/usr/local/sbin/tbmesh-lab-seed" <<'SEED'
#!/bin/sh
# tbmesh lab (VM backend): apply this VM's seed.
set -eu
modprobe qemu_fw_cfg 2>/dev/null || true
seed=/sys/firmware/qemu_fw_cfg/by_name/opt/tbmesh/seed/raw
if [ ! -r "$seed" ]; then
  echo "tbmesh-lab-seed: no seed at $seed" >&2
  exit 0
fi
tar -xf "$seed" -C / --no-overwrite-dir
# The management NIC is known by its MAC; its name is the one udev gives
# it: wait until udev has processed it (not `udevadm settle`, which waits
# for every device and takes a minute under TCG).
read -r mac address < /etc/tbmesh-lab/mgmt
name=
tries=0
while [ -z "$name" ] && [ "$tries" -lt 600 ]; do
  for dev in /sys/class/net/*; do
    [ "$(cat "$dev/address" 2>/dev/null)" = "$mac" ] || continue
    if udevadm info --query=property --path="$dev" 2>/dev/null | grep -q '^USEC_INITIALIZED='; then
      name=${dev##*/}
    fi
  done
  [ -n "$name" ] || sleep 0.1
  tries=$((tries + 1))
done
if [ -z "$name" ]; then
  echo "tbmesh-lab-seed: no interface with MAC $mac after 60 s" >&2
  exit 1
fi
echo "tbmesh-lab-seed: management is $name, $address"
cat > /etc/network/interfaces <<IFACES
# Written by tbmesh lab. Management lives here so that \`ifreload -a\`
# keeps it; tbmesh writes its own stanzas to interfaces.d/.
auto lo
iface lo inet loopback

auto $name
iface $name inet static
    address $address

source /etc/network/interfaces.d/*
IFACES
SEED
chmod 755 "$ROOTFS/usr/local/sbin/tbmesh-lab-seed"
cat > "$ROOTFS/etc/systemd/system/tbmesh-lab-seed.service" <<'UNIT'
[Unit]
Description=tbmesh lab: apply this VM's seed (host key, authorized key, management address)
DefaultDependencies=no
After=local-fs.target systemd-udev-trigger.service
Before=sysinit.target networking.service ssh.service network-pre.target
Wants=network-pre.target
ConditionVirtualization=vm

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/tbmesh-lab-seed

[Install]
WantedBy=sysinit.target
UNIT
in_root systemctl enable tbmesh-lab-seed.service >/dev/null 2>&1

# Mark /etc and /var as up to date with /usr, so the first boot does not
# run ldconfig.service and systemd-update-done.service.
in_root /usr/lib/systemd/systemd-update-done

# Smaller image: no package lists or downloaded .debs.
in_root apt-get clean
rm -rf "$ROOTFS"/var/lib/apt/lists/*
