//! Container backend: nodes, ssh, ports, cables, power, teardown.

use std::fs;
use std::time::Instant;

use tbmesh_lab::lab::{self, LinkAction, Power};
use tbmesh_lab::state::Backend;

use crate::support::{log, ssh_with, traces, TestLab};

#[test]
fn container_nodes_answer_ssh_with_strict_host_keys() {
    let lab = TestLab::up("tssh", Backend::Container, 3);
    // Time to sshd is measured (and printed by TestLab), not asserted: on
    // a host shared with other jobs it ranges from 5 s to a minute.
    let config = fs::read_to_string(lab.ssh_config()).expect("reading ssh_config");
    assert!(config.contains("StrictHostKeyChecking yes"));
    for node in &lab.report.nodes {
        // By name and by management address, both through ssh_config.
        assert_eq!(lab.sh(&node.name, "hostname").trim(), node.name);
        assert_eq!(lab.sh(&node.mgmt_ip, "hostname").trim(), node.name);
        let state = lab.ssh(&node.name, "systemctl is-system-running --wait");
        assert_eq!(
            String::from_utf8_lossy(&state.stdout).trim(),
            "running",
            "{}: failed units: {}",
            node.name,
            lab.sh(&node.name, "systemctl --failed --no-legend")
        );
    }

    // A host key that does not match is refused, never accepted.
    let other = lab.dir.dir.join("wrong_known_hosts");
    let known = fs::read_to_string(lab.dir.known_hosts()).expect("reading known_hosts");
    let lines: Vec<&str> = known.lines().collect();
    let n2_key = lines[0].split_once(' ').map(|(_, k)| k).unwrap_or("");
    // n3's entry carrying n2's key.
    let wrong = lines[1].split_once(' ').map(|(h, _)| h).unwrap_or("");
    fs::write(&other, format!("{wrong} {n2_key}\n")).expect("writing known_hosts");
    let wrong_config = lab.dir.dir.join("wrong_ssh_config");
    fs::write(
        &wrong_config,
        config.replace(
            &lab.dir.known_hosts().display().to_string(),
            &other.display().to_string(),
        ),
    )
    .expect("writing ssh_config");
    let out = ssh_with(&wrong_config, "n3", "true");
    assert!(!out.status.success(), "ssh accepted a wrong host key");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Host key verification failed"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Issue 14 item 8: a container opens its own loop devices and nothing
    // else of the host's, even through a device node it makes itself.
    let n2 = &lab.report.nodes[0];
    let own = &n2.osd_devices[0];
    assert_eq!(
        lab.sh("n2", &format!("head -c 512 {own} | wc -c")).trim(),
        "512"
    );
    let devno = |name: &str| -> String {
        let text = fs::read_to_string(format!("/sys/class/block/{name}/dev")).expect("its dev");
        text.trim().replace(':', " ")
    };
    let host_disk = fs::read_dir("/sys/block")
        .expect("/sys/block")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        // Not major 259 (NVMe): allowed whole, see docs/lab.md.
        .find(|n| !n.starts_with("loop") && !n.starts_with("ram") && !devno(n).starts_with("259 "))
        .expect("a host disk that is not NVMe");
    let other = lab.report.nodes[1].osd_devices[0].trim_start_matches("/dev/");
    for (what, dev) in [
        (format!("host disk {host_disk}"), devno(&host_disk)),
        (format!("n3's {other}"), devno(other)),
    ] {
        let out = lab.ssh(
            "n2",
            &format!("rm -f /tmp/dev && mknod /tmp/dev b {dev} && head -c 512 /tmp/dev"),
        );
        assert!(
            !out.status.success()
                && String::from_utf8_lossy(&out.stderr).contains("Permission denied"),
            "n2 could open the {what}: {out:?}"
        );
    }

    // What tbmesh's network phase runs must not cut management.
    for node in lab.node_names() {
        lab.sh(&node, "ifreload -a");
        assert!(lab
            .sh(&node, "ip -br addr show mgmt0")
            .contains("10.11.11."));
    }

    // The lab namespace has no way out: only the management network.
    let routes = tbmesh_lab::host::ip_in(&lab.dir.lab_netns())
        .args(["-4", "route", "show"])
        .run()
        .expect("ip route in the lab namespace");
    assert_eq!(
        routes.trim(),
        "10.11.11.0/24 dev mgmt proto kernel scope link src 10.11.11.1"
    );
}

#[test]
fn container_ports_carry_full_mtu_frames_across_every_cable() {
    let lab = TestLab::up("tmtu", Backend::Container, 3);
    let status = lab::status(&lab.dir).expect("lab status");
    for (i, cable) in status.cables.iter().enumerate() {
        let (a_node, a_port) = cable.a.split_once(':').expect("NODE:PORT");
        let (b_node, b_port) = cable.b.split_once(':').expect("NODE:PORT");
        assert_eq!(lab.port(a_node, a_port), (true, true, 65520));
        assert_eq!(lab.port(b_node, b_port), (true, true, 65520));
        let a_ip = format!("169.254.{i}.1");
        let b_ip = format!("169.254.{i}.2");
        lab.sh(a_node, &format!("ip addr add {a_ip}/30 dev {a_port}"));
        lab.sh(b_node, &format!("ip addr add {b_ip}/30 dev {b_port}"));
        // 65492 bytes of payload + 8 ICMP + 20 IP = 65520, not fragmented.
        let out = lab.sh(
            a_node,
            &format!("ping -c 3 -i 0.2 -W 2 -M do -s 65492 {b_ip}"),
        );
        assert!(out.contains(" 0% packet loss"), "{}: {out}", cable.a);
        // One byte more does not fit the MTU.
        let big = lab.ssh(a_node, &format!("ping -c 1 -W 1 -M do -s 65493 {b_ip}"));
        assert!(
            !big.status.success(),
            "a 65521-byte packet crossed {}",
            cable.a
        );
    }
}

#[test]
fn container_cables_can_be_pulled_silenced_and_powered_off() {
    let lab = TestLab::up("tlink", Backend::Container, 3);

    lab.link("n2:en05", LinkAction::Down);
    // Both ends see NO-CARRIER while staying administratively up.
    assert_eq!(lab.port("n3", "en05"), (true, false, 65520));
    assert_eq!(lab.port("n2", "en05"), (true, false, 65520));
    assert_eq!(lab.port("n2", "en06"), (true, true, 65520));
    let status = lab::status(&lab.dir).expect("lab status");
    assert!(!status.cables[0].plugged);
    lab.link("n2:en05", LinkAction::Up);
    assert_eq!(lab.port("n3", "en05"), (true, true, 65520));

    // Silent: n2:en05 receives nothing, carrier stays up, n3 still
    // receives what n2 sends.
    lab.sh("n2", "ip addr add 169.254.9.1/30 dev en05");
    lab.sh("n3", "ip addr add 169.254.9.2/30 dev en05");
    lab.sh("n2", "ping -c 1 -W 2 169.254.9.2");
    lab.link("n2:en05", LinkAction::Silent);
    let rx = |node: &str| -> u64 {
        lab.sh(node, "cat /sys/class/net/en05/statistics/rx_packets")
            .trim()
            .parse()
            .expect("a counter")
    };
    let (n2_before, n3_before) = (rx("n2"), rx("n3"));
    let lost = lab.ssh("n2", "ping -c 3 -i 0.2 -W 1 169.254.9.2");
    assert!(!lost.status.success(), "ping crossed a silent port");
    assert_eq!(rx("n2"), n2_before, "n2:en05 received while silent");
    assert!(rx("n3") >= n3_before + 3, "n3 did not receive n2's pings");
    assert_eq!(lab.port("n2", "en05"), (true, true, 65520));
    let status = lab::status(&lab.dir).expect("lab status");
    assert_eq!(status.cables[0].silent, vec!["n2:en05".to_string()]);
    lab.link("n2:en05", LinkAction::Heal);
    lab.sh("n2", "ping -c 1 -W 2 169.254.9.2");

    // A node without power: its neighbours lose carrier.
    lab.power("n4", Power::Off { graceful: false });
    assert!(!lab.port("n3", "en06").1);
    assert!(!lab.port("n2", "en06").1);
    assert!(!lab.ssh("n4", "true").status.success());
    lab.power("n4", Power::On);
    assert_eq!(lab.port("n3", "en06"), (true, true, 65520));
    assert_eq!(lab.port("n4", "en05"), (true, true, 65520));
}

#[test]
fn container_reboot_returns_the_node() {
    let lab = TestLab::up("tboot", Backend::Container, 3);
    let boot_id = |lab: &TestLab| lab.sh("n3", "cat /proc/sys/kernel/random/boot_id");
    let first = boot_id(&lab);
    lab.sh(
        "n3",
        "ip addr add 169.254.7.1/30 dev en05 && touch /root/survives",
    );

    let start = Instant::now();
    lab.power("n3", Power::Reboot { hard: false });
    eprintln!("clean reboot: {:.1} s", start.elapsed().as_secs_f64());
    let second = boot_id(&lab);
    assert_ne!(first, second, "n3 did not reboot");
    assert_eq!(
        lab.sh("n3", "systemctl is-system-running --wait").trim(),
        "running"
    );
    lab.sh("n3", "test -e /root/survives");

    let start = Instant::now();
    lab.power("n3", Power::Reboot { hard: true });
    eprintln!("hard reset: {:.1} s", start.elapsed().as_secs_f64());
    assert_ne!(boot_id(&lab), second, "n3 was not reset");
    // A power cycle starts from a clean network state, like real hardware,
    // while the disk (overlay) keeps its files.
    assert!(!lab
        .sh("n3", "ip -br addr show en05")
        .contains("169.254.7.1"));
    lab.sh("n3", "test -e /root/survives");
    assert_eq!(lab.port("n3", "en05"), (true, true, 65520));
    assert_eq!(lab.port("n2", "en05"), (true, true, 65520));
}

#[test]
fn container_down_leaves_nothing_behind_and_up_cleans_a_crashed_lab() {
    let lab = TestLab::up("tdown", Backend::Container, 2);
    let dir = lab.dir.clone();
    let name = dir.name.clone();
    let outside = |what: &str| traces(&name, &dir.dir.join(what));
    let before_links = outside("").root_links.clone();

    // A crash: every node process killed, the state file lost.
    for node in &lab.report.nodes {
        let ns = dir.node_netns(&node.name);
        for pid in tbmesh_lab::host::netns_pids(&ns).expect("pids") {
            tbmesh_lab::host::kill_hard(pid);
        }
    }
    fs::remove_file(dir.state_file()).expect("removing lab.json");
    let opts = lab::UpOptions {
        backend: Backend::Container,
        nodes: 2,
        osd_disks: 2,
        osd_size_gib: 4,
        vm_memory_mib: 1024,
        vm_cpus: 1,
        accel: "auto".into(),
        ssh_timeout: None,
    };
    let again = lab::up(&dir, &opts, &mut log).expect("up over a crashed lab");
    assert_eq!(again.nodes[1].osd_devices.len(), 2);
    assert!(lab.ssh("n3", "true").status.success());

    // A test killed before its cleanup, then run again: same name, a new
    // state directory. The old lab's namespaces, loop devices and files go.
    for node in &lab.report.nodes {
        for pid in tbmesh_lab::host::netns_pids(&dir.node_netns(&node.name)).expect("pids") {
            tbmesh_lab::host::kill_hard(pid);
        }
    }
    let elsewhere = tempfile::Builder::new()
        .prefix("tbmesh-lab-test-")
        .tempdir()
        .expect("a temporary directory");
    let twin = tbmesh_lab::state::LabDir {
        name: name.clone(),
        dir: elsewhere.path().join("lab"),
    };
    lab::up(&twin, &opts, &mut log).expect("up of the same name elsewhere");
    assert_eq!(outside("").loops, Vec::<String>::new());
    assert!(!dir.state_file().exists());
    assert!(lab::down(&twin, &mut log).expect("down"));
    let twin_left = traces(&name, &twin.dir);
    assert_eq!(twin_left.loops, Vec::<String>::new());
    assert_eq!(twin_left.mounts, Vec::<String>::new());
    assert_eq!(twin_left.processes, Vec::<String>::new());

    let after = outside("");
    assert_eq!(after.netns, Vec::<String>::new());
    assert_eq!(after.loops, Vec::<String>::new());
    assert_eq!(after.mounts, Vec::<String>::new());
    assert_eq!(after.processes, Vec::<String>::new());
    assert_eq!(after.cgroups, Vec::<String>::new());
    assert_eq!(after.root_links, before_links);
    assert!(!dir.dir.exists(), "{} is still there", dir.dir.display());
    assert!(!twin.dir.exists(), "{} is still there", twin.dir.display());
    // Twice is fine.
    assert!(!lab::down(&dir, &mut log).expect("second down"));
}
