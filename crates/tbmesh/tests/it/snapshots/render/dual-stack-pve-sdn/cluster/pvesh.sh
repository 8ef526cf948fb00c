#!/bin/bash
# Managed by tbmesh: changes here are overwritten; edit tbmesh.toml instead.
# Creates SDN fabric tb4 through the Proxmox VE API and applies it. Run on one
# node of the PVE cluster; every fabric node must be a cluster member.
set -euo pipefail

pvesh create /cluster/sdn/fabrics/fabric --id tb4 --protocol openfabric --ip_prefix 10.100.0.0/24 --hello_interval 1 --csnp_interval 5 --ip6_prefix fd00:100::/64
pvesh create /cluster/sdn/fabrics/node/tb4 --node_id n2 --protocol openfabric --ip 10.100.0.12 --ip6 fd00:100::1 --interfaces name=en05,hello_multiplier=3 --interfaces name=en06,hello_multiplier=3
pvesh create /cluster/sdn/fabrics/node/tb4 --node_id n3 --protocol openfabric --ip 10.100.0.13 --ip6 fd00:100::2 --interfaces name=en05,hello_multiplier=3 --interfaces name=en06,hello_multiplier=3
pvesh create /cluster/sdn/fabrics/node/tb4 --node_id n4 --protocol openfabric --ip 10.100.0.14 --ip6 fd00:100::3 --interfaces name=en05,hello_multiplier=3 --interfaces name=en06,hello_multiplier=3
pvesh set /cluster/sdn
