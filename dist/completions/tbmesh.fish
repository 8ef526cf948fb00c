# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_tbmesh_global_optspecs
    string join \n f/spec= json accept-new-host-keys h/help V/version
end

function __fish_tbmesh_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_tbmesh_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_tbmesh_using_subcommand
    set -l cmd (__fish_tbmesh_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c tbmesh -n "__fish_tbmesh_needs_command" -s f -l spec -d 'The cluster spec [default: ./tbmesh.toml]' -r -F
complete -c tbmesh -n "__fish_tbmesh_needs_command" -l json -d 'Print one JSON document (or a stream of JSON events) for programs'
complete -c tbmesh -n "__fish_tbmesh_needs_command" -l accept-new-host-keys -d 'Accept the host key of a node never connected to before (its fingerprint is printed); a changed key is always refused'
complete -c tbmesh -n "__fish_tbmesh_needs_command" -s h -l help -d 'Print help'
complete -c tbmesh -n "__fish_tbmesh_needs_command" -s V -l version -d 'Print version'
complete -c tbmesh -n "__fish_tbmesh_needs_command" -f -a "init" -d 'Write a first tbmesh.toml from the hardware: reads each node (versions, CPU, RAM, disks, management, mesh ports with MAC and PCI path) and finds the cabling by IPv6 neighbour discovery or LLDP (reads hosts; brings down ports up for the probe and back down)'
complete -c tbmesh -n "__fish_tbmesh_needs_command" -f -a "discover" -d 'Write a first tbmesh.toml from the hardware: reads each node (versions, CPU, RAM, disks, management, mesh ports with MAC and PCI path) and finds the cabling by IPv6 neighbour discovery or LLDP (reads hosts; brings down ports up for the probe and back down)'
complete -c tbmesh -n "__fish_tbmesh_needs_command" -f -a "validate" -d 'Check the spec and print the derived topology and addresses (touches no host)'
complete -c tbmesh -n "__fish_tbmesh_needs_command" -f -a "render" -d 'Write every file tbmesh would install, per node and cluster-wide (touches no host)'
complete -c tbmesh -n "__fish_tbmesh_needs_command" -f -a "diagram" -d 'Draw the topology: ports, cables, router addresses (touches no host)'
complete -c tbmesh -n "__fish_tbmesh_needs_command" -f -a "preflight" -d 'Is every node ready? A pass/warn/fail table per node: OS and kernel, Thunderbolt modules, IOMMU, corosync, time sync, FRR and Ceph, ports, disks, memory, management (reads hosts; exit 1 on a fail)'
complete -c tbmesh -n "__fish_tbmesh_needs_command" -f -a "status" -d 'The live state in one screen: per port carrier, speed, MTU, errors, drops and carrier changes, adjacencies, BFD, routes\' next hops, Ceph health/OSDs/PGs (reads hosts; one round trip per node)'
complete -c tbmesh -n "__fish_tbmesh_needs_command" -f -a "support-bundle" -d 'Write one tar.gz for a helper: spec, rendered files, facts, verify and status JSON, per node links, routes, FRR JSON, FRR and networking journal excerpts, Ceph status, health and OSD tree; secrets left out (reads hosts)'
complete -c tbmesh -n "__fish_tbmesh_needs_command" -f -a "maintenance" -d 'Put a node\'s OSDs in maintenance: Ceph\'s noout for that host only (`ceph osd set-group noout NODE`), or take them out of it (writes the cluster\'s OSD map)'
complete -c tbmesh -n "__fish_tbmesh_needs_command" -f -a "reboot" -d 'Reboot nodes one at a time: maintenance on, reboot, wait for the node, the mesh (verify) and active+clean PGs, maintenance off; stops at the first failure (writes hosts)'
complete -c tbmesh -n "__fish_tbmesh_needs_command" -f -a "plan" -d 'Gather facts and show what apply would change: diffs and commands (reads hosts)'
complete -c tbmesh -n "__fish_tbmesh_needs_command" -f -a "apply" -d 'Converge the cluster to the spec (writes hosts)'
complete -c tbmesh -n "__fish_tbmesh_needs_command" -f -a "verify" -d 'Check the cluster against the spec: ports, peers, MTU, routes, hops, adjacencies, boot persistence (reads hosts)'
complete -c tbmesh -n "__fish_tbmesh_needs_command" -f -a "report" -d 'Write one self-contained HTML page from the saved verify, bench and failover-test results (touches no host)'
complete -c tbmesh -n "__fish_tbmesh_needs_command" -f -a "bench" -d 'Measure every cable (iperf3, both directions) and every pair (DF pings) against line rate (reads hosts; nothing survives the run)'
complete -c tbmesh -n "__fish_tbmesh_needs_command" -f -a "failover-test" -d 'Inject one fault at a time on the fabric\'s cables (down, one-sided silent) or reboot one node (--reboot), measure the longest gap per pair (and with --ceph a client write\'s longest stall), restore, verify (temporary changes)'
complete -c tbmesh -n "__fish_tbmesh_needs_command" -f -a "rollback" -d 'Restore the files an apply changed [default: the newest apply]'
complete -c tbmesh -n "__fish_tbmesh_needs_command" -f -a "lab" -d 'The local lab: real Debian 13 test hosts on this machine (needs root)'
complete -c tbmesh -n "__fish_tbmesh_needs_command" -f -a "completions" -d 'Print the shell completion script for SHELL (touches no host)'
complete -c tbmesh -n "__fish_tbmesh_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand init" -l user -d 'The login user on every node' -r
complete -c tbmesh -n "__fish_tbmesh_using_subcommand init" -l ssh-config -d 'An ssh_config file for ssh (`-F`), also written into the spec\'s [ssh] config' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand init" -l driver -d 'Mesh port driver (repeatable): thunderbolt-net, or virtio_net, veth, ... [default: thunderbolt-net]' -r
complete -c tbmesh -n "__fish_tbmesh_using_subcommand init" -l name -d 'The cluster\'s name [default: corosync\'s cluster name, else "mesh"]' -r
complete -c tbmesh -n "__fish_tbmesh_using_subcommand init" -l probe-wait -d 'Seconds the cabling probe waits on each node for carrier, IPv6 link-local addresses and answers (ports without a cable cost this long)' -r
complete -c tbmesh -n "__fish_tbmesh_using_subcommand init" -s o -l output -d 'The spec file to write' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand init" -s f -l spec -d 'The cluster spec [default: ./tbmesh.toml]' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand init" -l force -d 'Replace the output file if it exists'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand init" -l print -d 'Write the spec to stdout instead of a file'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand init" -l json -d 'Print one JSON document (or a stream of JSON events) for programs'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand init" -l accept-new-host-keys -d 'Accept the host key of a node never connected to before (its fingerprint is printed); a changed key is always refused'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand init" -s h -l help -d 'Print help'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand discover" -l user -d 'The login user on every node' -r
complete -c tbmesh -n "__fish_tbmesh_using_subcommand discover" -l ssh-config -d 'An ssh_config file for ssh (`-F`), also written into the spec\'s [ssh] config' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand discover" -l driver -d 'Mesh port driver (repeatable): thunderbolt-net, or virtio_net, veth, ... [default: thunderbolt-net]' -r
complete -c tbmesh -n "__fish_tbmesh_using_subcommand discover" -l name -d 'The cluster\'s name [default: corosync\'s cluster name, else "mesh"]' -r
complete -c tbmesh -n "__fish_tbmesh_using_subcommand discover" -l probe-wait -d 'Seconds the cabling probe waits on each node for carrier, IPv6 link-local addresses and answers (ports without a cable cost this long)' -r
complete -c tbmesh -n "__fish_tbmesh_using_subcommand discover" -s o -l output -d 'The spec file to write' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand discover" -s f -l spec -d 'The cluster spec [default: ./tbmesh.toml]' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand discover" -l force -d 'Replace the output file if it exists'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand discover" -l print -d 'Write the spec to stdout instead of a file'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand discover" -l json -d 'Print one JSON document (or a stream of JSON events) for programs'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand discover" -l accept-new-host-keys -d 'Accept the host key of a node never connected to before (its fingerprint is printed); a changed key is always refused'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand discover" -s h -l help -d 'Print help'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand validate" -s f -l spec -d 'The cluster spec [default: ./tbmesh.toml]' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand validate" -l json -d 'Print one JSON document (or a stream of JSON events) for programs'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand validate" -l accept-new-host-keys -d 'Accept the host key of a node never connected to before (its fingerprint is printed); a changed key is always refused'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand validate" -s h -l help -d 'Print help'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand render" -l out -d 'Directory to write into (created; must be new, empty or an earlier render: only the files the earlier render listed are replaced)' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand render" -l pve-version -d 'Proxmox VE whose own files are previewed in pve-sdn mode (cluster/preview/): 9.0, 9.1 (= 9.1.0-9.1.1), or network:X.Y.Z (a libpve-network-perl version)' -r
complete -c tbmesh -n "__fish_tbmesh_using_subcommand render" -s f -l spec -d 'The cluster spec [default: ./tbmesh.toml]' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand render" -l json -d 'Print one JSON document (or a stream of JSON events) for programs'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand render" -l accept-new-host-keys -d 'Accept the host key of a node never connected to before (its fingerprint is printed); a changed key is always refused'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand render" -s h -l help -d 'Print help'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand diagram" -l format -r -f -a "ascii\t''
dot\t''
svg\t''"
complete -c tbmesh -n "__fish_tbmesh_using_subcommand diagram" -s f -l spec -d 'The cluster spec [default: ./tbmesh.toml]' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand diagram" -l json -d 'Print one JSON document (or a stream of JSON events) for programs'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand diagram" -l accept-new-host-keys -d 'Accept the host key of a node never connected to before (its fingerprint is printed); a changed key is always refused'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand diagram" -s h -l help -d 'Print help'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand preflight" -s f -l spec -d 'The cluster spec [default: ./tbmesh.toml]' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand preflight" -l json -d 'Print one JSON document (or a stream of JSON events) for programs'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand preflight" -l accept-new-host-keys -d 'Accept the host key of a node never connected to before (its fingerprint is printed); a changed key is always refused'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand preflight" -s h -l help -d 'Print help'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand status" -l watch -d 'Refresh every SECS seconds until interrupted (drawn in place on a terminal)' -r
complete -c tbmesh -n "__fish_tbmesh_using_subcommand status" -s f -l spec -d 'The cluster spec [default: ./tbmesh.toml]' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand status" -l json -d 'Print one JSON document (or a stream of JSON events) for programs'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand status" -l accept-new-host-keys -d 'Accept the host key of a node never connected to before (its fingerprint is printed); a changed key is always refused'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand status" -s h -l help -d 'Print help'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand support-bundle" -l out -d 'The file to write (must not exist) [default: ./tbmesh-support-CLUSTER-UNIXTIME.tar.gz]' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand support-bundle" -s f -l spec -d 'The cluster spec [default: ./tbmesh.toml]' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand support-bundle" -l json -d 'Print one JSON document (or a stream of JSON events) for programs'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand support-bundle" -l accept-new-host-keys -d 'Accept the host key of a node never connected to before (its fingerprint is printed); a changed key is always refused'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand support-bundle" -s h -l help -d 'Print help'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand maintenance" -s f -l spec -d 'The cluster spec [default: ./tbmesh.toml]' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand maintenance" -l json -d 'Print one JSON document (or a stream of JSON events) for programs'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand maintenance" -l accept-new-host-keys -d 'Accept the host key of a node never connected to before (its fingerprint is printed); a changed key is always refused'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand maintenance" -s h -l help -d 'Print help'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand reboot" -l timeout -d 'Seconds each wait (node back, mesh verified, PGs clean) may take' -r
complete -c tbmesh -n "__fish_tbmesh_using_subcommand reboot" -s f -l spec -d 'The cluster spec [default: ./tbmesh.toml]' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand reboot" -l rolling -d 'One node at a time (required: the only mode)'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand reboot" -l json -d 'Print one JSON document (or a stream of JSON events) for programs'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand reboot" -l accept-new-host-keys -d 'Accept the host key of a node never connected to before (its fingerprint is printed); a changed key is always refused'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand reboot" -s h -l help -d 'Print help'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand plan" -l phase -d 'Only these phases (repeatable) [default: links, network, fabric; ceph, tune with [ceph]]' -r -f -a "links\t''
network\t''
fabric\t''
ceph\t''
tune\t''"
complete -c tbmesh -n "__fish_tbmesh_using_subcommand plan" -s f -l spec -d 'The cluster spec [default: ./tbmesh.toml]' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand plan" -l json -d 'Print one JSON document (or a stream of JSON events) for programs'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand plan" -l accept-new-host-keys -d 'Accept the host key of a node never connected to before (its fingerprint is printed); a changed key is always refused'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand plan" -s h -l help -d 'Print help'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand apply" -l phase -d 'Only these phases (repeatable) [default: links, network, fabric; ceph, tune with [ceph]]' -r -f -a "links\t''
network\t''
fabric\t''
ceph\t''
tune\t''"
complete -c tbmesh -n "__fish_tbmesh_using_subcommand apply" -l wipe-disk -d 'Wipe this OSD disk before making OSDs of it, though it is not empty: its serial (its path if it has none). Repeatable. Destroys its data' -r
complete -c tbmesh -n "__fish_tbmesh_using_subcommand apply" -l confirm-timeout -d 'Seconds a node waits for tbmesh to confirm a network or fabric change before it rolls the change back by itself' -r
complete -c tbmesh -n "__fish_tbmesh_using_subcommand apply" -s f -l spec -d 'The cluster spec [default: ./tbmesh.toml]' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand apply" -s v -l verbose -d 'Also print what tune skips (and why) when nothing changes'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand apply" -l json -d 'Print one JSON document (or a stream of JSON events) for programs'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand apply" -l accept-new-host-keys -d 'Accept the host key of a node never connected to before (its fingerprint is printed); a changed key is always refused'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand apply" -s h -l help -d 'Print help'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand verify" -s f -l spec -d 'The cluster spec [default: ./tbmesh.toml]' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand verify" -l failed -d 'Print only the checks that failed (the summary line still counts all)'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand verify" -l mesh -d 'Check only the mesh, not Ceph (which is checked when the spec has [ceph])'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand verify" -l save -d 'Also keep the result for `tbmesh report` (under $XDG_STATE_HOME/tbmesh/<cluster>/)'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand verify" -l json -d 'Print one JSON document (or a stream of JSON events) for programs'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand verify" -l accept-new-host-keys -d 'Accept the host key of a node never connected to before (its fingerprint is printed); a changed key is always refused'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand verify" -s h -l help -d 'Print help'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand report" -l out -d 'The HTML file to write' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand report" -s f -l spec -d 'The cluster spec [default: ./tbmesh.toml]' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand report" -l json -d 'Print one JSON document (or a stream of JSON events) for programs'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand report" -l accept-new-host-keys -d 'Accept the host key of a node never connected to before (its fingerprint is printed); a changed key is always refused'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand report" -s h -l help -d 'Print help'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand bench" -l seconds -d 'Seconds of each iperf3 run (and of each rados bench phase)' -r
complete -c tbmesh -n "__fish_tbmesh_using_subcommand bench" -s f -l spec -d 'The cluster spec [default: ./tbmesh.toml]' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand bench" -l force -d 'Benchmark even when verify finds failures'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand bench" -l ceph -d 'Also rados bench write, seq and rand (4 MiB objects, 16 threads, --seconds each) on a temporary pool deleted after'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand bench" -l json -d 'Print one JSON document (or a stream of JSON events) for programs'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand bench" -l accept-new-host-keys -d 'Accept the host key of a node never connected to before (its fingerprint is printed); a changed key is always refused'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand bench" -s h -l help -d 'Print help'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand failover-test" -l link -d 'Only this cable, named by one of its ends (down is injected there)' -r
complete -c tbmesh -n "__fish_tbmesh_using_subcommand failover-test" -l kind -d 'Only these fault kinds (repeatable) [default: down and silent]' -r -f -a "down\t''
silent\t''"
complete -c tbmesh -n "__fish_tbmesh_using_subcommand failover-test" -l fault-secs -d 'Seconds each fault stays in place [default: 10, at most max-fault-secs - 5]' -r
complete -c tbmesh -n "__fish_tbmesh_using_subcommand failover-test" -l max-fault-secs -d 'The node removes a fault by itself after this many seconds, even if tbmesh or the management network is gone' -r
complete -c tbmesh -n "__fish_tbmesh_using_subcommand failover-test" -l after-secs -d 'Seconds of probing after each restore (to see the cable back in use)' -r
complete -c tbmesh -n "__fish_tbmesh_using_subcommand failover-test" -l reboot -d 'Instead of cable faults: reboot NODE (a clean `systemctl reboot`) while the other nodes probe; wait until it is back and verified' -r
complete -c tbmesh -n "__fish_tbmesh_using_subcommand failover-test" -l boot-timeout -d 'With --reboot: seconds the node may take to answer ssh again, and then verify (and PGs active+clean) to pass' -r
complete -c tbmesh -n "__fish_tbmesh_using_subcommand failover-test" -s f -l spec -d 'The cluster spec [default: ./tbmesh.toml]' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand failover-test" -l mesh -d 'Gate on the mesh only, not Ceph\'s health and PGs (which are checked before and after each fault when the spec has [ceph])'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand failover-test" -l ceph -d 'Also a Ceph client load during each case (rados bench writes of 4 KiB on a temporary pool, from a node that is not faulted): the longest stall per case'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand failover-test" -l json -d 'Print one JSON document (or a stream of JSON events) for programs'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand failover-test" -l accept-new-host-keys -d 'Accept the host key of a node never connected to before (its fingerprint is printed); a changed key is always refused'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand failover-test" -s h -l help -d 'Print help'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand rollback" -s f -l spec -d 'The cluster spec [default: ./tbmesh.toml]' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand rollback" -l json -d 'Print one JSON document (or a stream of JSON events) for programs'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand rollback" -l accept-new-host-keys -d 'Accept the host key of a node never connected to before (its fingerprint is printed); a changed key is always refused'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand rollback" -s h -l help -d 'Print help'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and not __fish_seen_subcommand_from up down status ssh link reboot poweroff poweron image help" -s f -l spec -d 'The cluster spec [default: ./tbmesh.toml]' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and not __fish_seen_subcommand_from up down status ssh link reboot poweroff poweron image help" -l json -d 'Print one JSON document (or a stream of JSON events) for programs'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and not __fish_seen_subcommand_from up down status ssh link reboot poweroff poweron image help" -l accept-new-host-keys -d 'Accept the host key of a node never connected to before (its fingerprint is printed); a changed key is always refused'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and not __fish_seen_subcommand_from up down status ssh link reboot poweroff poweron image help" -s h -l help -d 'Print help'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and not __fish_seen_subcommand_from up down status ssh link reboot poweroff poweron image help" -f -a "up" -d 'Create the lab\'s hosts and write tbmesh.toml, ssh_config, keys'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and not __fish_seen_subcommand_from up down status ssh link reboot poweroff poweron image help" -f -a "down" -d 'Remove the lab: processes, namespaces, links, mounts, loop devices, files. Safe to run twice'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and not __fish_seen_subcommand_from up down status ssh link reboot poweroff poweron image help" -f -a "status" -d 'Nodes (running, ssh, memory, ports) and cables'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and not __fish_seen_subcommand_from up down status ssh link reboot poweroff poweron image help" -f -a "ssh" -d 'ssh to a node through the lab\'s ssh_config (exit code is ssh\'s)'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and not __fish_seen_subcommand_from up down status ssh link reboot poweroff poweron image help" -f -a "link" -d 'Pull/plug a cable, or make one port deaf (one-sided loss)'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and not __fish_seen_subcommand_from up down status ssh link reboot poweroff poweron image help" -f -a "reboot" -d 'Reboot a node (clean reboot; --hard resets it) and wait for ssh'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and not __fish_seen_subcommand_from up down status ssh link reboot poweroff poweron image help" -f -a "poweroff" -d 'Pull a node\'s power (--graceful: a clean shutdown)'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and not __fish_seen_subcommand_from up down status ssh link reboot poweroff poweron image help" -f -a "poweron" -d 'Power a node on and wait for ssh'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and not __fish_seen_subcommand_from up down status ssh link reboot poweroff poweron image help" -f -a "image" -d 'Build the node image if its recipe changed; print where it is'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and not __fish_seen_subcommand_from up down status ssh link reboot poweroff poweron image help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from up" -l name -d 'Lab name: 1-8 lowercase letters/digits; names its network namespaces (tbl-NAME, tbl-NAME-NODE) and its default state directory' -r
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from up" -l state-dir -d 'State directory (spec, ssh config, keys, node data). Default /var/lib/tbmesh-lab/NAME, or $TBMESH_LAB_DIR' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from up" -l backend -d 'container: systemd-nspawn, seconds to start. vm: QEMU, own kernel and udev (ports renamed by .link files), about a minute' -r -f -a "container\t'systemd-nspawn containers: seconds to start, the host\'s kernel'
vm\t'QEMU VMs: own kernel and udev, about a minute to boot under TCG'"
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from up" -l nodes -d 'Number of nodes (2-8), cabled as a ring' -r
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from up" -l osd-disks -d 'OSD disks per node' -r
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from up" -l osd-size -d 'Size of each (sparse) OSD disk in GiB' -r
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from up" -l memory -d 'VM backend: memory per VM in MiB' -r
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from up" -l cpus -d 'VM backend: vCPUs per VM. One by default: under TCG on a busy host, a second vCPU mostly spins waiting for the first' -r
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from up" -l accel -d 'VM backend: auto (KVM if a probe boot works, else TCG), kvm, tcg' -r -f -a "auto\t''
kvm\t''
tcg\t''"
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from up" -l ssh-timeout -d 'Seconds to wait for ssh on every node (default 90 containers, 600 VMs)' -r
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from up" -s f -l spec -d 'The cluster spec [default: ./tbmesh.toml]' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from up" -l json -d 'Print one JSON document (or a stream of JSON events) for programs'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from up" -l accept-new-host-keys -d 'Accept the host key of a node never connected to before (its fingerprint is printed); a changed key is always refused'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from up" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from down" -l name -d 'Lab name: 1-8 lowercase letters/digits; names its network namespaces (tbl-NAME, tbl-NAME-NODE) and its default state directory' -r
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from down" -l state-dir -d 'State directory (spec, ssh config, keys, node data). Default /var/lib/tbmesh-lab/NAME, or $TBMESH_LAB_DIR' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from down" -s f -l spec -d 'The cluster spec [default: ./tbmesh.toml]' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from down" -l json -d 'Print one JSON document (or a stream of JSON events) for programs'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from down" -l accept-new-host-keys -d 'Accept the host key of a node never connected to before (its fingerprint is printed); a changed key is always refused'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from down" -s h -l help -d 'Print help'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from status" -l name -d 'Lab name: 1-8 lowercase letters/digits; names its network namespaces (tbl-NAME, tbl-NAME-NODE) and its default state directory' -r
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from status" -l state-dir -d 'State directory (spec, ssh config, keys, node data). Default /var/lib/tbmesh-lab/NAME, or $TBMESH_LAB_DIR' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from status" -s f -l spec -d 'The cluster spec [default: ./tbmesh.toml]' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from status" -l json -d 'Print one JSON document (or a stream of JSON events) for programs'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from status" -l accept-new-host-keys -d 'Accept the host key of a node never connected to before (its fingerprint is printed); a changed key is always refused'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from ssh" -l name -d 'Lab name: 1-8 lowercase letters/digits; names its network namespaces (tbl-NAME, tbl-NAME-NODE) and its default state directory' -r
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from ssh" -l state-dir -d 'State directory (spec, ssh config, keys, node data). Default /var/lib/tbmesh-lab/NAME, or $TBMESH_LAB_DIR' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from ssh" -s f -l spec -d 'The cluster spec [default: ./tbmesh.toml]' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from ssh" -l json -d 'Print one JSON document (or a stream of JSON events) for programs'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from ssh" -l accept-new-host-keys -d 'Accept the host key of a node never connected to before (its fingerprint is printed); a changed key is always refused'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from ssh" -s h -l help -d 'Print help'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from link" -l name -d 'Lab name: 1-8 lowercase letters/digits; names its network namespaces (tbl-NAME, tbl-NAME-NODE) and its default state directory' -r
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from link" -l state-dir -d 'State directory (spec, ssh config, keys, node data). Default /var/lib/tbmesh-lab/NAME, or $TBMESH_LAB_DIR' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from link" -s f -l spec -d 'The cluster spec [default: ./tbmesh.toml]' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from link" -l json -d 'Print one JSON document (or a stream of JSON events) for programs'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from link" -l accept-new-host-keys -d 'Accept the host key of a node never connected to before (its fingerprint is printed); a changed key is always refused'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from link" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from reboot" -l name -d 'Lab name: 1-8 lowercase letters/digits; names its network namespaces (tbl-NAME, tbl-NAME-NODE) and its default state directory' -r
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from reboot" -l state-dir -d 'State directory (spec, ssh config, keys, node data). Default /var/lib/tbmesh-lab/NAME, or $TBMESH_LAB_DIR' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from reboot" -s f -l spec -d 'The cluster spec [default: ./tbmesh.toml]' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from reboot" -l hard
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from reboot" -l no-wait -d 'Return without waiting for ssh'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from reboot" -l json -d 'Print one JSON document (or a stream of JSON events) for programs'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from reboot" -l accept-new-host-keys -d 'Accept the host key of a node never connected to before (its fingerprint is printed); a changed key is always refused'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from reboot" -s h -l help -d 'Print help'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from poweroff" -l name -d 'Lab name: 1-8 lowercase letters/digits; names its network namespaces (tbl-NAME, tbl-NAME-NODE) and its default state directory' -r
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from poweroff" -l state-dir -d 'State directory (spec, ssh config, keys, node data). Default /var/lib/tbmesh-lab/NAME, or $TBMESH_LAB_DIR' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from poweroff" -s f -l spec -d 'The cluster spec [default: ./tbmesh.toml]' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from poweroff" -l graceful
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from poweroff" -l json -d 'Print one JSON document (or a stream of JSON events) for programs'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from poweroff" -l accept-new-host-keys -d 'Accept the host key of a node never connected to before (its fingerprint is printed); a changed key is always refused'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from poweroff" -s h -l help -d 'Print help'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from poweron" -l name -d 'Lab name: 1-8 lowercase letters/digits; names its network namespaces (tbl-NAME, tbl-NAME-NODE) and its default state directory' -r
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from poweron" -l state-dir -d 'State directory (spec, ssh config, keys, node data). Default /var/lib/tbmesh-lab/NAME, or $TBMESH_LAB_DIR' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from poweron" -s f -l spec -d 'The cluster spec [default: ./tbmesh.toml]' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from poweron" -l no-wait
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from poweron" -l json -d 'Print one JSON document (or a stream of JSON events) for programs'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from poweron" -l accept-new-host-keys -d 'Accept the host key of a node never connected to before (its fingerprint is printed); a changed key is always refused'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from poweron" -s h -l help -d 'Print help'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from image" -s f -l spec -d 'The cluster spec [default: ./tbmesh.toml]' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from image" -l json -d 'Print one JSON document (or a stream of JSON events) for programs'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from image" -l accept-new-host-keys -d 'Accept the host key of a node never connected to before (its fingerprint is printed); a changed key is always refused'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from image" -s h -l help -d 'Print help'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from help" -f -a "up" -d 'Create the lab\'s hosts and write tbmesh.toml, ssh_config, keys'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from help" -f -a "down" -d 'Remove the lab: processes, namespaces, links, mounts, loop devices, files. Safe to run twice'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from help" -f -a "status" -d 'Nodes (running, ssh, memory, ports) and cables'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from help" -f -a "ssh" -d 'ssh to a node through the lab\'s ssh_config (exit code is ssh\'s)'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from help" -f -a "link" -d 'Pull/plug a cable, or make one port deaf (one-sided loss)'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from help" -f -a "reboot" -d 'Reboot a node (clean reboot; --hard resets it) and wait for ssh'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from help" -f -a "poweroff" -d 'Pull a node\'s power (--graceful: a clean shutdown)'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from help" -f -a "poweron" -d 'Power a node on and wait for ssh'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from help" -f -a "image" -d 'Build the node image if its recipe changed; print where it is'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand lab; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand completions" -s f -l spec -d 'The cluster spec [default: ./tbmesh.toml]' -r -F
complete -c tbmesh -n "__fish_tbmesh_using_subcommand completions" -l json -d 'Print one JSON document (or a stream of JSON events) for programs'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand completions" -l accept-new-host-keys -d 'Accept the host key of a node never connected to before (its fingerprint is printed); a changed key is always refused'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand completions" -s h -l help -d 'Print help'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand help; and not __fish_seen_subcommand_from init validate render diagram preflight status support-bundle maintenance reboot plan apply verify report bench failover-test rollback lab completions help" -f -a "init" -d 'Write a first tbmesh.toml from the hardware: reads each node (versions, CPU, RAM, disks, management, mesh ports with MAC and PCI path) and finds the cabling by IPv6 neighbour discovery or LLDP (reads hosts; brings down ports up for the probe and back down)'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand help; and not __fish_seen_subcommand_from init validate render diagram preflight status support-bundle maintenance reboot plan apply verify report bench failover-test rollback lab completions help" -f -a "validate" -d 'Check the spec and print the derived topology and addresses (touches no host)'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand help; and not __fish_seen_subcommand_from init validate render diagram preflight status support-bundle maintenance reboot plan apply verify report bench failover-test rollback lab completions help" -f -a "render" -d 'Write every file tbmesh would install, per node and cluster-wide (touches no host)'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand help; and not __fish_seen_subcommand_from init validate render diagram preflight status support-bundle maintenance reboot plan apply verify report bench failover-test rollback lab completions help" -f -a "diagram" -d 'Draw the topology: ports, cables, router addresses (touches no host)'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand help; and not __fish_seen_subcommand_from init validate render diagram preflight status support-bundle maintenance reboot plan apply verify report bench failover-test rollback lab completions help" -f -a "preflight" -d 'Is every node ready? A pass/warn/fail table per node: OS and kernel, Thunderbolt modules, IOMMU, corosync, time sync, FRR and Ceph, ports, disks, memory, management (reads hosts; exit 1 on a fail)'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand help; and not __fish_seen_subcommand_from init validate render diagram preflight status support-bundle maintenance reboot plan apply verify report bench failover-test rollback lab completions help" -f -a "status" -d 'The live state in one screen: per port carrier, speed, MTU, errors, drops and carrier changes, adjacencies, BFD, routes\' next hops, Ceph health/OSDs/PGs (reads hosts; one round trip per node)'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand help; and not __fish_seen_subcommand_from init validate render diagram preflight status support-bundle maintenance reboot plan apply verify report bench failover-test rollback lab completions help" -f -a "support-bundle" -d 'Write one tar.gz for a helper: spec, rendered files, facts, verify and status JSON, per node links, routes, FRR JSON, FRR and networking journal excerpts, Ceph status, health and OSD tree; secrets left out (reads hosts)'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand help; and not __fish_seen_subcommand_from init validate render diagram preflight status support-bundle maintenance reboot plan apply verify report bench failover-test rollback lab completions help" -f -a "maintenance" -d 'Put a node\'s OSDs in maintenance: Ceph\'s noout for that host only (`ceph osd set-group noout NODE`), or take them out of it (writes the cluster\'s OSD map)'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand help; and not __fish_seen_subcommand_from init validate render diagram preflight status support-bundle maintenance reboot plan apply verify report bench failover-test rollback lab completions help" -f -a "reboot" -d 'Reboot nodes one at a time: maintenance on, reboot, wait for the node, the mesh (verify) and active+clean PGs, maintenance off; stops at the first failure (writes hosts)'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand help; and not __fish_seen_subcommand_from init validate render diagram preflight status support-bundle maintenance reboot plan apply verify report bench failover-test rollback lab completions help" -f -a "plan" -d 'Gather facts and show what apply would change: diffs and commands (reads hosts)'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand help; and not __fish_seen_subcommand_from init validate render diagram preflight status support-bundle maintenance reboot plan apply verify report bench failover-test rollback lab completions help" -f -a "apply" -d 'Converge the cluster to the spec (writes hosts)'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand help; and not __fish_seen_subcommand_from init validate render diagram preflight status support-bundle maintenance reboot plan apply verify report bench failover-test rollback lab completions help" -f -a "verify" -d 'Check the cluster against the spec: ports, peers, MTU, routes, hops, adjacencies, boot persistence (reads hosts)'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand help; and not __fish_seen_subcommand_from init validate render diagram preflight status support-bundle maintenance reboot plan apply verify report bench failover-test rollback lab completions help" -f -a "report" -d 'Write one self-contained HTML page from the saved verify, bench and failover-test results (touches no host)'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand help; and not __fish_seen_subcommand_from init validate render diagram preflight status support-bundle maintenance reboot plan apply verify report bench failover-test rollback lab completions help" -f -a "bench" -d 'Measure every cable (iperf3, both directions) and every pair (DF pings) against line rate (reads hosts; nothing survives the run)'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand help; and not __fish_seen_subcommand_from init validate render diagram preflight status support-bundle maintenance reboot plan apply verify report bench failover-test rollback lab completions help" -f -a "failover-test" -d 'Inject one fault at a time on the fabric\'s cables (down, one-sided silent) or reboot one node (--reboot), measure the longest gap per pair (and with --ceph a client write\'s longest stall), restore, verify (temporary changes)'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand help; and not __fish_seen_subcommand_from init validate render diagram preflight status support-bundle maintenance reboot plan apply verify report bench failover-test rollback lab completions help" -f -a "rollback" -d 'Restore the files an apply changed [default: the newest apply]'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand help; and not __fish_seen_subcommand_from init validate render diagram preflight status support-bundle maintenance reboot plan apply verify report bench failover-test rollback lab completions help" -f -a "lab" -d 'The local lab: real Debian 13 test hosts on this machine (needs root)'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand help; and not __fish_seen_subcommand_from init validate render diagram preflight status support-bundle maintenance reboot plan apply verify report bench failover-test rollback lab completions help" -f -a "completions" -d 'Print the shell completion script for SHELL (touches no host)'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand help; and not __fish_seen_subcommand_from init validate render diagram preflight status support-bundle maintenance reboot plan apply verify report bench failover-test rollback lab completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand help; and __fish_seen_subcommand_from lab" -f -a "up" -d 'Create the lab\'s hosts and write tbmesh.toml, ssh_config, keys'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand help; and __fish_seen_subcommand_from lab" -f -a "down" -d 'Remove the lab: processes, namespaces, links, mounts, loop devices, files. Safe to run twice'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand help; and __fish_seen_subcommand_from lab" -f -a "status" -d 'Nodes (running, ssh, memory, ports) and cables'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand help; and __fish_seen_subcommand_from lab" -f -a "ssh" -d 'ssh to a node through the lab\'s ssh_config (exit code is ssh\'s)'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand help; and __fish_seen_subcommand_from lab" -f -a "link" -d 'Pull/plug a cable, or make one port deaf (one-sided loss)'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand help; and __fish_seen_subcommand_from lab" -f -a "reboot" -d 'Reboot a node (clean reboot; --hard resets it) and wait for ssh'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand help; and __fish_seen_subcommand_from lab" -f -a "poweroff" -d 'Pull a node\'s power (--graceful: a clean shutdown)'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand help; and __fish_seen_subcommand_from lab" -f -a "poweron" -d 'Power a node on and wait for ssh'
complete -c tbmesh -n "__fish_tbmesh_using_subcommand help; and __fish_seen_subcommand_from lab" -f -a "image" -d 'Build the node image if its recipe changed; print where it is'
