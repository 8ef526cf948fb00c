#!/usr/bin/env bash
# tbmesh's main job on the built-in lab: build tbmesh, start three Debian 13
# nodes (systemd-nspawn containers, a ring of 65520-MTU links, management in
# a namespace with no route out), then validate, apply, verify, and apply
# again to show nothing is left to change. Needs root. Leaves the lab
# running: `target/release/tbmesh lab down` removes it.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
  echo "demo.sh: run as root, e.g. after su - (the lab creates network namespaces and containers)" >&2
  exit 1
fi
bash scripts/lab-deps.sh >/dev/null
cargo build --release --quiet
tbmesh=target/release/tbmesh
spec=/var/lib/tbmesh-lab/default/tbmesh.toml

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
step "$tbmesh" lab up
step "$tbmesh" -f "$spec" validate
step "$tbmesh" -f "$spec" diagram
step "$tbmesh" -f "$spec" apply
step "$tbmesh" -f "$spec" verify
step "$tbmesh" -f "$spec" apply
