#!/bin/bash
# Installs everything `tbmesh lab` and its test suite need on a Debian 12
# (bookworm) host, as root. Safe to run again: it only adds what is missing.
#
#   container backend: debootstrap (the node image), systemd-nspawn,
#                      iproute2, nftables, socat, ssh, util-linux
#   VM backend:        QEMU >= 10 from bookworm-backports (netdev stream
#                      reconnect-ms), e2fsprogs (mkfs.ext4 -d)
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

if [ "$(id -u)" -ne 0 ]; then
  echo "lab-deps.sh: run as root, e.g. after su - (it installs packages)" >&2
  exit 1
fi

# shellcheck source=/dev/null
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")

# bookworm's QEMU is 7.2: too old for the VM backend, and installing it
# would downgrade a qemu-utils that already came from backports.
if [ "$codename" = bookworm ] &&
  ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  cat >/etc/apt/sources.list.d/tbmesh-lab-backports.sources <<'SOURCES'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
fi

apt-get update -q

# The test suite itself: shellcheck (rendered scripts), chromium (the HTML
# report opened headless).
apt-get install -y -q --no-install-recommends shellcheck chromium

apt-get install -y -q --no-install-recommends \
  debootstrap debian-archive-keyring \
  systemd-container \
  iproute2 nftables socat netcat-openbsd \
  openssh-client \
  util-linux procps e2fsprogs

if [ "$codename" = bookworm ]; then
  apt-get install -y -q --no-install-recommends -t bookworm-backports \
    qemu-system-x86 qemu-utils
else
  apt-get install -y -q --no-install-recommends qemu-system-x86 qemu-utils
fi

qemu-system-x86_64 --version | head -n 1
