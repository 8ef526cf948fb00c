//! The files the lab writes: the tbmesh spec, the ssh config and
//! known_hosts for the admin side, and each node's own configuration.
//! Pure: text in, text out.

use std::fmt::Write as _;
use std::path::Path;

use crate::topology::{NodePlan, Topology, FABRIC_MTU, FABRIC_PREFIX, MGMT_PREFIX_LEN};

/// How the spec names a node's fabric port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortIdentity {
    /// The port already carries its final name (container veths).
    Named,
    /// The port appears with a kernel name; tbmesh renames it by PCI path.
    Pci(String),
}

/// What the spec says about one node besides its plan.
#[derive(Debug, Clone)]
pub struct NodeSpec<'a> {
    pub plan: &'a NodePlan,
    pub ports: Vec<(String, PortIdentity)>,
    pub osd_devices: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct SpecInput<'a> {
    pub backend_name: &'a str,
    pub topology: &'a Topology,
    /// Where the router /32 lives: "lo" (containers: the host kernel has no
    /// dummy interfaces) or "dummy".
    pub router_interface: &'a str,
    /// Driver matched by tbmesh's .link files, when ports are renamed.
    pub port_driver: Option<&'a str>,
    pub nodes: Vec<NodeSpec<'a>>,
}

fn quote(s: &str) -> String {
    // Values we write are names, paths and addresses; escape anyway.
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub fn tbmesh_spec(input: &SpecInput<'_>) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Written by `tbmesh lab up` ({} backend): this lab, exactly.\n\
         # Nodes are reached through ssh_config, from inside the lab's network namespace.\n",
        input.backend_name
    );
    s.push_str("[cluster]\nname = \"lab\"\n\n");
    s.push_str("[ssh]\nuser = \"root\"\nconfig = \"ssh_config\"\n\n");
    s.push_str("[fabric]\nname = \"tb4\"\nmode = \"frr\"\n");
    let _ = writeln!(s, "prefix = {}", quote(FABRIC_PREFIX));
    let _ = writeln!(s, "mtu = {FABRIC_MTU}");
    s.push_str("hello_interval = 1\nhello_multiplier = 3\ncsnp_interval = 5\n");
    if input.backend_name == "vm" {
        // TCG emulates the VMs' CPU 10-50x slower than hardware: BFD's
        // default 100 ms x 3 would flap whenever the host is busy.
        s.push_str(
            "# TCG-emulated CPUs: FRR's BFD default, not tbmesh's 100 ms\nbfd_interval = 300\n",
        );
    }
    let _ = writeln!(s, "router_interface = {}", quote(input.router_interface));
    if let Some(driver) = input.port_driver {
        let _ = writeln!(s, "port_driver = {}", quote(driver));
    }
    s.push_str("links = [\n");
    for cable in &input.topology.cables {
        let _ = writeln!(s, "  {},", quote(&cable.to_string()));
    }
    s.push_str("]\n\n");
    s.push_str(
        "[ceph]\npublic_network = \"fabric\"\ncluster_network = \"fabric\"\nosds_per_device = 2\n\n",
    );
    s.push_str("[ceph.pool]\nname = \"cephtb4\"\nsize = 3\nmin_size = 2\npve_storage = false\n");
    for node in &input.nodes {
        s.push_str("\n[[node]]\n");
        let _ = writeln!(s, "name = {}", quote(&node.plan.name));
        let _ = writeln!(s, "host = {}", quote(&node.plan.mgmt_ip.to_string()));
        let _ = writeln!(s, "router_ip = {}", quote(&node.plan.router_ip.to_string()));
        let ports: Vec<String> = node
            .ports
            .iter()
            .map(|(name, id)| match id {
                PortIdentity::Named => format!("{name} = {{}}"),
                PortIdentity::Pci(pci) => format!("{name} = {}", quote(pci)),
            })
            .collect();
        let _ = writeln!(s, "ports = {{ {} }}", ports.join(", "));
        let devs: Vec<String> = node.osd_devices.iter().map(|d| quote(d)).collect();
        let _ = writeln!(s, "osd_devices = [{}]", devs.join(", "));
    }
    s
}

pub struct SshConfigInput<'a> {
    pub topology: &'a Topology,
    pub state_dir: &'a Path,
    /// The command that connects stdin/stdout to `%h:%p` from inside the
    /// lab namespace.
    pub proxy_command: String,
    pub lab_netns: &'a str,
}

pub fn ssh_config(input: &SshConfigInput<'_>) -> String {
    let dir = input.state_dir.display();
    let mut s = format!(
        "# Written by `tbmesh lab up`. Use with `ssh -F {dir}/ssh_config NODE`.\n\
         # Connections are made from inside the lab's network namespace\n\
         # ({}); no traffic leaves it.\n",
        input.lab_netns
    );
    let mut all = Vec::new();
    for node in &input.topology.nodes {
        let _ = write!(
            s,
            "\nHost {name} {ip}\n    HostName {ip}\n",
            name = node.name,
            ip = node.mgmt_ip
        );
        all.push(node.name.clone());
        all.push(node.mgmt_ip.to_string());
    }
    let _ = write!(
        s,
        "\nHost {all}\n    User root\n    IdentityFile {dir}/id_ed25519\n    IdentitiesOnly yes\n    \
         UserKnownHostsFile {dir}/known_hosts\n    GlobalKnownHostsFile /dev/null\n    \
         StrictHostKeyChecking yes\n    CheckHostIP no\n    ProxyCommand {proxy}\n    \
         ConnectTimeout 10\n    ServerAliveInterval 5\n    ServerAliveCountMax 3\n    LogLevel ERROR\n",
        all = all.join(" "),
        proxy = input.proxy_command,
    );
    s
}

/// One known_hosts line per node, for its name and its address.
pub fn known_hosts(entries: &[(&NodePlan, String)]) -> String {
    let mut s = String::new();
    for (node, pubkey) in entries {
        let _ = writeln!(s, "{},{} {}", node.name, node.mgmt_ip, pubkey.trim());
    }
    s
}

/// /etc/network/interfaces of a node. Management is declared here (as PVE
/// declares vmbr0), not in interfaces.d, so `ifreload -a` keeps it.
pub fn interfaces(mgmt_if: &str, node: &NodePlan) -> String {
    format!(
        "# Written by tbmesh lab. Management lives here so that `ifreload -a`\n\
         # keeps it; tbmesh writes its own stanzas to interfaces.d/.\n\
         auto lo\niface lo inet loopback\n\n\
         auto {mgmt_if}\niface {mgmt_if} inet static\n    address {ip}/{len}\n\n\
         source /etc/network/interfaces.d/*\n",
        ip = node.mgmt_ip,
        len = MGMT_PREFIX_LEN,
    )
}

/// /etc/hosts of a node: every lab node by name, as on a PVE cluster.
pub fn hosts(topology: &Topology, this: &NodePlan) -> String {
    let mut s = format!(
        "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n\n# lab nodes ({} is this one)\n",
        this.name
    );
    for node in &topology.nodes {
        let _ = writeln!(s, "{}\t{}", node.mgmt_ip, node.name);
    }
    s
}

pub const SSHD_DROP_IN: &str =
    "# Written by tbmesh lab: only the host key made for this node, keys only.\n\
HostKey /etc/ssh/ssh_host_ed25519_key\n\
PermitRootLogin prohibit-password\n\
PasswordAuthentication no\n\
UseDNS no\n";

#[cfg(test)]
mod tests {
    use super::*;

    fn container_spec(t: &Topology) -> String {
        let nodes = t
            .nodes
            .iter()
            .enumerate()
            .map(|(i, plan)| NodeSpec {
                plan,
                ports: vec![
                    ("en05".into(), PortIdentity::Named),
                    ("en06".into(), PortIdentity::Named),
                ],
                osd_devices: vec![format!("/dev/loop{i}")],
            })
            .collect();
        tbmesh_spec(&SpecInput {
            backend_name: "container",
            topology: t,
            router_interface: "lo",
            port_driver: None,
            nodes,
        })
    }

    #[test]
    fn container_spec_matches_the_contract() {
        let t = Topology::ring(3).expect("3 nodes");
        let spec = container_spec(&t);
        assert!(spec.contains("router_interface = \"lo\"\n"));
        assert!(spec.contains(
            "links = [\n  \"n2:en05 -- n3:en05\",\n  \"n3:en06 -- n4:en05\",\n  \"n4:en06 -- n2:en06\",\n]"
        ));
        assert!(spec.contains(
            "[[node]]\nname = \"n4\"\nhost = \"10.11.11.14\"\nrouter_ip = \"10.100.0.14\"\n\
             ports = { en05 = {}, en06 = {} }\nosd_devices = [\"/dev/loop2\"]\n"
        ));
        assert!(!spec.contains("port_driver"));
    }

    #[test]
    fn vm_ports_are_pci_addresses() {
        let t = Topology::ring(2).expect("2 nodes");
        let nodes = t
            .nodes
            .iter()
            .map(|plan| NodeSpec {
                plan,
                ports: vec![
                    ("en05".into(), PortIdentity::Pci("0000:00:0d.0".into())),
                    ("en06".into(), PortIdentity::Pci("0000:00:0e.0".into())),
                ],
                osd_devices: vec!["/dev/disk/by-id/virtio-n2-osd0".into()],
            })
            .collect();
        let spec = tbmesh_spec(&SpecInput {
            backend_name: "vm",
            topology: &t,
            router_interface: "dummy",
            port_driver: Some("virtio_net"),
            nodes,
        });
        assert!(spec.contains("ports = { en05 = \"0000:00:0d.0\", en06 = \"0000:00:0e.0\" }"));
        assert!(spec.contains("port_driver = \"virtio_net\"\n"));
    }

    #[test]
    fn ssh_config_names_every_node_and_address_and_checks_keys() {
        let t = Topology::ring(3).expect("3 nodes");
        let cfg = ssh_config(&SshConfigInput {
            topology: &t,
            state_dir: Path::new("/var/lib/tbmesh-lab/default"),
            proxy_command: "/usr/sbin/ip netns exec tbl-default /usr/bin/socat STDIO TCP:%h:%p"
                .into(),
            lab_netns: "tbl-default",
        });
        assert!(cfg.contains("\nHost n3 10.11.11.13\n    HostName 10.11.11.13\n"));
        assert!(cfg.contains("\nHost n2 10.11.11.12 n3 10.11.11.13 n4 10.11.11.14\n"));
        assert!(cfg.contains("StrictHostKeyChecking yes\n"));
        assert!(cfg.contains("UserKnownHostsFile /var/lib/tbmesh-lab/default/known_hosts\n"));
        assert!(cfg.contains("IdentityFile /var/lib/tbmesh-lab/default/id_ed25519\n"));
    }

    #[test]
    fn known_hosts_records_name_and_address() {
        let t = Topology::ring(2).expect("2 nodes");
        let kh = known_hosts(&[(&t.nodes[0], "ssh-ed25519 AAAA root@n2\n".into())]);
        assert_eq!(kh, "n2,10.11.11.12 ssh-ed25519 AAAA root@n2\n");
    }

    #[test]
    fn management_is_declared_in_the_main_interfaces_file() {
        let t = Topology::ring(2).expect("2 nodes");
        let text = interfaces("mgmt0", &t.nodes[1]);
        assert!(text.contains("auto mgmt0\niface mgmt0 inet static\n    address 10.11.11.13/24\n"));
        assert!(text.ends_with("source /etc/network/interfaces.d/*\n"));
    }
}
