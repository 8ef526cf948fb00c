#!/bin/bash
# Managed by tbmesh: changes here are overwritten; edit tbmesh.toml instead.
# Creates SDN fabric tb4 through the Proxmox VE API and applies it. Run on one
# node of the PVE cluster; every fabric node must be a cluster member.
set -euo pipefail

pvesh create /cluster/sdn/fabrics/fabric --id tb4 --protocol openfabric --ip_prefix 10.100.0.0/24 --hello_interval 1 --csnp_interval 5
pvesh create /cluster/sdn/fabrics/node/tb4 --node_id pve1 --protocol openfabric --ip 10.100.0.1 --interfaces name=en05,hello_multiplier=3 --interfaces name=en06,hello_multiplier=3
pvesh create /cluster/sdn/fabrics/node/tb4 --node_id pve2 --protocol openfabric --ip 10.100.0.2 --interfaces name=en05,hello_multiplier=3 --interfaces name=en06,hello_multiplier=3
pvesh create /cluster/sdn/fabrics/node/tb4 --node_id pve3 --protocol openfabric --ip 10.100.0.3 --interfaces name=en05,hello_multiplier=3 --interfaces name=en06,hello_multiplier=3
pvesh create /cluster/sdn/fabrics/node/tb4 --node_id pve4 --protocol openfabric --ip 10.100.0.4 --interfaces name=en05,hello_multiplier=3 --interfaces name=en06,hello_multiplier=3
pvesh create /cluster/sdn/fabrics/node/tb4 --node_id pve5 --protocol openfabric --ip 10.100.0.5 --interfaces name=en05,hello_multiplier=3 --interfaces name=en06,hello_multiplier=3
pvesh set /cluster/sdn
