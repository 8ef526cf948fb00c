#!/bin/bash
# Managed by tbmesh: changes here are overwritten; edit tbmesh.toml instead.
# Creates SDN fabric tb4 through the Proxmox VE API and applies it. Run on one
# node of the PVE cluster; every fabric node must be a cluster member.
set -euo pipefail

pvesh create /cluster/sdn/fabrics/fabric --id tb4 --protocol openfabric --hello_interval 1 --csnp_interval 5 --ip6_prefix fd00:100::/64
pvesh create /cluster/sdn/fabrics/node/tb4 --node_id n2 --protocol openfabric --ip6 fd00:100::12 --interfaces name=en05,hello_multiplier=3 --interfaces name=en06,hello_multiplier=3
pvesh create /cluster/sdn/fabrics/node/tb4 --node_id n3 --protocol openfabric --ip6 fd00:100::13 --interfaces name=en05,hello_multiplier=3 --interfaces name=en06,hello_multiplier=3
pvesh create /cluster/sdn/fabrics/node/tb4 --node_id n4 --protocol openfabric --ip6 fd00:100::14 --interfaces name=en05,hello_multiplier=3 --interfaces name=en06,hello_multiplier=3
pvesh set /cluster/sdn
