//! Networking with a real passt: DHCP, ARP and a UDP exchange with an echo server this test
//! starts on the host's loopback (reached through passt's gateway address), host→guest port
//! forwards, the virtio-net device end to end, passt's lifetime around vmdesk-vmm, and the NIC
//! config. libslirp, the other backend, is tested in `net_slirp.rs`.
//!
//! Traffic only ever goes to services the tests start on 127.0.0.1. Tests that need passt print
//! "skipped: passt not installed (apt-get install passt)" without it, and fail instead when
//! `VMDESK_REQUIRE_TOOLS=1`.

mod common;
mod net_support;

use common::{GUEST, VMM};
use net_support::*;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use vmdesk_test_support::{kvm_or_skip, stderr_of};
use vmm_core::config::{
    BootSource, ConfigError, HostLimits, NetBackend, NicConfig, PortForward, Protocol,
    SerialConfig, VmConfig,
};
use vmm_core::devices::virtio::VirtioDevice;
use vmm_core::net::frame;
use vmm_core::net::passt::{find_passt, Passt, PasstOptions};

fn passt_or_skip(test: &str) -> Option<PathBuf> {
    if let Some(p) = find_passt() {
        return Some(p);
    }
    let msg = format!("skipped: {test}: passt not installed (apt-get install passt)");
    if std::env::var_os("VMDESK_REQUIRE_TOOLS").is_some_and(|v| v == "1") {
        panic!("{msg} (VMDESK_REQUIRE_TOOLS=1)");
    }
    eprintln!("{msg}");
    None
}

#[test]
fn dhcp_arp_and_udp_through_passt_reach_a_loopback_echo_server() {
    let Some(bin) = passt_or_skip("passt_udp_echo") else {
        return;
    };
    let opts = PasstOptions {
        forwards: vec![],
        mtu: 1500,
    };
    let (passt, stream) = Passt::spawn(&bin, &opts, "nics[0]").unwrap();
    let pid = passt.pid();
    let mut link = RawLink(stream);
    udp_echo_through_the_gateway(&mut link);
    drop(passt);
    assert!(
        process_gone(pid),
        "passt still runs after its handle was dropped"
    );
}

#[test]
fn forwarded_host_ports_arrive_as_frames_for_the_guest() {
    let Some(bin) = passt_or_skip("passt_forwards") else {
        return;
    };
    let (tcp_port, udp_port) = (free_port(), free_port());
    let opts = PasstOptions {
        forwards: vec![
            PortForward {
                proto: Protocol::Tcp,
                host_port: tcp_port,
                guest_port: 80,
            },
            PortForward {
                proto: Protocol::Udp,
                host_port: udp_port,
                guest_port: 5353,
            },
        ],
        mtu: 1500,
    };
    let (_passt, stream) = Passt::spawn(&bin, &opts, "nics[0]").unwrap();
    let mut link = RawLink(stream);
    let (addr, _, _) = bring_up(&mut link);

    // Bound on loopback only.
    let tcp_listeners = std::fs::read_to_string("/proc/net/tcp").unwrap();
    let local = format!("0100007F:{tcp_port:04X}");
    assert!(
        tcp_listeners.contains(&local),
        "no listener on 127.0.0.1:{tcp_port}"
    );
    assert!(!tcp_listeners.contains(&format!("00000000:{tcp_port:04X}")));

    // A connection to the host port becomes a SYN to the guest's port 80.
    let _client = std::thread::spawn(move || {
        TcpStream::connect_timeout(&SocketAddr::from(([127, 0, 0, 1], tcp_port)), TIMEOUT)
    });
    let (dst, sport, flags) = link.expect("TCP SYN", |f| {
        let (proto, _, dst, l4) = parse_ipv4(f)?;
        if proto != 6 || l4.len() < 20 || u16::from_be_bytes([l4[2], l4[3]]) != 80 {
            return None;
        }
        Some((dst, u16::from_be_bytes([l4[0], l4[1]]), l4[13]))
    });
    assert_eq!(dst, addr);
    assert_ne!(sport, 0);
    assert_eq!(flags & 0x12, 0x02, "SYN without ACK");

    // A datagram to the host port becomes a datagram to the guest's port 5353.
    let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
    sender.send_to(b"ping", ("127.0.0.1", udp_port)).unwrap();
    let (dst, data) = link.expect("forwarded datagram", |f| {
        parse_udp(f)
            .filter(|u| u.1.port() == 5353)
            .map(|(_, d, p)| (d, p.to_vec()))
    });
    assert_eq!(dst, SocketAddr::from((addr, 5353)));
    assert_eq!(data, b"ping");
}

#[test]
fn virtio_net_carries_dhcp_arp_and_udp_between_guest_memory_and_passt() {
    if passt_or_skip("virtio_net_on_passt").is_none() {
        return;
    }
    let nics = vec![NicConfig {
        mac: Some("52:54:00:12:34:56".into()),
        backend: NetBackend::Passt,
        ..Default::default()
    }];
    let mut opened = vmm_core::builder::open_nics("net-test", &nics).unwrap();
    assert!(opened.warnings.is_empty(), "{:?}", opened.warnings);
    assert_eq!(opened.devices.len(), 1);
    let dev = opened.devices.pop().unwrap();
    let stats = opened.stats[0].1.clone();
    let mut cfg = [0u8; 6];
    dev.read_config(0, &mut cfg);
    assert_eq!(cfg, GUEST_MAC);
    let mut link = VirtioLink::new(Box::new(dev));
    udp_echo_through_the_gateway(&mut link);
    // The TX thread counts a frame after writing it, and the echo can beat the count.
    wait_until("three frames counted", Duration::from_secs(2), || {
        stats.snapshot().tx_frames >= 3
    });
    let s = stats.snapshot();
    assert!(s.link_up);
    assert_eq!(s.tx_frames, 3, "DHCP, ARP, UDP: {s:?}");
    assert!(s.rx_frames >= 3, "{s:?}");
    assert_eq!(s.malformed_chains, 0);
}

// ---- vmdesk-vmm with a NIC ----

fn start_vmm(dir: &Path, mode: &str, nics_toml: &str, path_env: Option<&Path>) -> Child {
    std::fs::write(
        dir.join("vm.toml"),
        format!(
            "id = \"net-e2e\"\nname = \"Net\"\nvcpus = 1\nmemory_mib = 64\n\n[boot]\nkind = \"linux\"\n\
             kernel = \"{GUEST}\"\ncmdline = \"console=ttyS0 vmdesk.test={mode}\"\n\n{nics_toml}"
        ),
    )
    .unwrap();
    let mut cmd = Command::new(VMM);
    cmd.arg("--config")
        .arg(dir.join("vm.toml"))
        .arg("--runtime-dir")
        .arg(dir.join("run"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(p) = path_env {
        cmd.env("PATH", p);
    }
    cmd.spawn().unwrap()
}

/// passt processes whose parent is `pid`.
fn passt_children(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(p) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) else {
            continue;
        };
        let Some((head, rest)) = stat.rsplit_once(") ") else {
            continue;
        };
        let ppid = rest.split(' ').nth(1).and_then(|x| x.parse::<u32>().ok());
        if head.contains("(passt") && ppid == Some(pid) {
            out.push(p);
        }
    }
    out
}

#[test]
fn passt_ends_when_vmdesk_vmm_is_killed() {
    if passt_or_skip("passt_dies_with_vmm").is_none() || !kvm_or_skip("passt_dies_with_vmm") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut vmm = start_vmm(
        dir.path(),
        "halt",
        &format!(
            "[[nics]]\nbackend = \"passt\"\nforwards = [{{ proto = \"tcp\", host_port = {port}, guest_port = 80 }}]\n"
        ),
        None,
    );
    let serial = dir.path().join("serial.log");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let log = std::fs::read_to_string(&serial).unwrap_or_default();
        if log.contains("ACTION halt") {
            assert!(
                !log.contains("FAIL"),
                "the test guest failed with a NIC:\n{log}"
            );
            assert!(
                log.contains(" id=1 ver=2"),
                "no virtio-net device seen:\n{log}"
            );
            break;
        }
        if let Ok(Some(st)) = vmm.try_wait() {
            panic!(
                "vmdesk-vmm exited ({st}):\n{}\nserial:\n{log}",
                stderr_of(&mut vmm)
            );
        }
        assert!(Instant::now() < deadline, "guest did not halt:\n{log}");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_ok(),
        "passt does not forward 127.0.0.1:{port}"
    );
    let passts = passt_children(vmm.id());
    assert_eq!(passts.len(), 1, "one passt per NIC");
    // Started as root, passt runs as nobody; as a user, as that user.
    let status = std::fs::read_to_string(format!("/proc/{}/status", passts[0])).unwrap();
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().next()?.parse::<u32>().ok())
        .unwrap();
    let me = std::fs::metadata("/proc/self").unwrap();
    use std::os::unix::fs::MetadataExt;
    if me.uid() == 0 {
        assert_ne!(uid, 0, "passt kept root");
    } else {
        assert_eq!(uid, me.uid());
    }

    vmm.kill().unwrap(); // SIGKILL: no destructor runs
    vmm.wait().unwrap();
    wait_until("passt to end", Duration::from_secs(10), || {
        process_gone(passts[0])
    });
    wait_until(
        "the forwarded port to close",
        Duration::from_secs(10),
        || TcpStream::connect(("127.0.0.1", port)).is_err(),
    );
}

#[test]
fn without_passt_the_vm_starts_without_its_nic_and_says_how_to_install_it() {
    if !kvm_or_skip("vm_without_passt") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty-path");
    std::fs::create_dir(&empty).unwrap();
    // passt by name: "auto" would take libslirp (net_slirp.rs tests that).
    let mut vmm = start_vmm(
        dir.path(),
        "poweroff",
        "[[nics]]\nbackend = \"passt\"\n",
        Some(&empty),
    );
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(st) = vmm.try_wait().unwrap() {
            break st;
        }
        if Instant::now() > deadline {
            let _ = vmm.kill();
            panic!("vmdesk-vmm did not finish");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let err = stderr_of(&mut vmm);
    assert!(status.success(), "{status}: {err}");
    assert!(
        err.contains("passt is not installed") && err.contains("apt-get install passt"),
        "{err}"
    );
    let serial = std::fs::read_to_string(dir.path().join("serial.log")).unwrap();
    assert!(serial.contains("CHECKS DONE"), "{serial}");
    assert!(
        !serial.contains("id=1 "),
        "no virtio-net device without passt:\n{serial}"
    );
}

#[test]
fn a_forward_on_a_busy_port_fails_the_start_naming_the_nic() {
    if passt_or_skip("busy_forward").is_none() {
        return;
    }
    let busy = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    // passt by name: "auto" gives a NIC with TCP forwards libslirp (see net_slirp.rs).
    let nics = vec![NicConfig {
        forwards: vec![PortForward {
            proto: Protocol::Tcp,
            host_port: port,
            guest_port: 22,
        }],
        backend: NetBackend::Passt,
        ..Default::default()
    }];
    let e = vmm_core::builder::open_nics("busy", &nics).err().unwrap();
    assert!(e.starts_with("nics[0]: passt exited at start"), "{e}");
    assert!(e.contains(&port.to_string()), "{e}");
}

// ---- Config ----

fn config_with(dir: &Path, nics: Vec<NicConfig>) -> VmConfig {
    // Five 512-byte sectors: the boot sector and the 4 setup sectors that setup_sects = 0
    // means, so the image is as long as its header says.
    let mut img = vec![0u8; 0xa00];
    img[0x1fe] = 0x55;
    img[0x1ff] = 0xaa;
    img[0x202..0x206].copy_from_slice(b"HdrS");
    let k = dir.join("vmlinuz");
    std::fs::write(&k, img).unwrap();
    VmConfig {
        id: "vm".into(),
        name: "VM".into(),
        vcpus: 1,
        memory_mib: 64,
        boot: BootSource::Linux {
            kernel: k,
            initrd: None,
            cmdline: String::new(),
        },
        serial: SerialConfig::default(),
        disks: vec![],
        nics,
        display: None,
        virtio_rng: true,
        cdroms: vec![],
        os: None,
    }
}

const HOST: HostLimits = HostLimits {
    max_vcpus: 8,
    memory_mib: 4096,
};

fn errors(c: &VmConfig) -> Vec<(String, String)> {
    c.validate(&HOST)
        .err()
        .unwrap_or_default()
        .into_iter()
        .map(|e: ConfigError| (e.field, e.kind.to_string()))
        .collect()
}

#[test]
fn nic_config_reads_from_toml_and_validates() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config_with(dir.path(), vec![]);
    let head = format!(
        "id = \"vm\"\nname = \"VM\"\nvcpus = 1\nmemory_mib = 64\n[boot]\nkind = \"linux\"\nkernel = {:?}\n",
        dir.path().join("vmlinuz")
    );
    let toml_text = head.clone()
        + "\n[[nics]]\nmac = \"52:54:00:12:34:56\"\nbackend = \"slirp\"\nforwards = [\n  { proto = \"tcp\", host_port = 8080, guest_port = 80 },\n  { proto = \"udp\", host_port = 8080, guest_port = 53 },\n]\n\n[[nics]]\n";
    let parsed = VmConfig::from_toml(&toml_text).unwrap();
    c.nics = vec![
        NicConfig {
            mac: Some("52:54:00:12:34:56".into()),
            forwards: vec![
                PortForward {
                    proto: Protocol::Tcp,
                    host_port: 8080,
                    guest_port: 80,
                },
                PortForward {
                    proto: Protocol::Udp,
                    host_port: 8080,
                    guest_port: 53,
                },
            ],
            backend: NetBackend::Slirp,
        },
        NicConfig::default(),
    ];
    assert_eq!(parsed, c);
    assert_eq!(errors(&c), []);
    let e = VmConfig::from_toml(
        &(head.clone()
            + "[[nics]]\nforwards = [{ proto = \"sctp\", host_port = 1, guest_port = 1 }]\n"),
    )
    .unwrap_err();
    assert!(e.to_string().contains("sctp"), "{e}");
    // A backend that does not exist: the message shows the key and the choices.
    let e = VmConfig::from_toml(&(head + "[[nics]]\nbackend = \"tap\"\n")).unwrap_err();
    let e = e.to_string();
    assert!(e.contains("backend") && e.contains("tap"), "{e}");
    assert!(
        e.contains("auto") && e.contains("passt") && e.contains("slirp"),
        "{e}"
    );
    // "auto" is not written out: configs written before backends existed stay as they were.
    let written = toml::to_string(&config_with(dir.path(), vec![NicConfig::default()])).unwrap();
    assert!(!written.contains("backend"), "{written}");
}

#[test]
fn bad_nic_fields_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let fwd = |proto, host_port, guest_port| PortForward {
        proto,
        host_port,
        guest_port,
    };
    let c = config_with(
        dir.path(),
        vec![
            NicConfig {
                mac: Some("01:00:5e:00:00:01".into()),
                forwards: vec![fwd(Protocol::Tcp, 0, 80), fwd(Protocol::Tcp, 2222, 0)],
                ..Default::default()
            },
            NicConfig {
                mac: Some("52:54:00:zz:00:01".into()),
                forwards: vec![fwd(Protocol::Tcp, 2222, 22), fwd(Protocol::Udp, 2222, 22)],
                ..Default::default()
            },
        ],
    );
    let errs = errors(&c);
    let fields: Vec<&str> = errs.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(
        fields,
        [
            "nics[0].mac",
            "nics[0].forwards[0].host_port",
            "nics[0].forwards[1].guest_port",
            "nics[1].mac",
            "nics[1].forwards[0].host_port",
        ],
        "{errs:?}"
    );
    assert!(errs[0].1.contains("multicast"), "{errs:?}");
    assert!(
        errs[4]
            .1
            .contains("already forwarded by nics[0].forwards[1]"),
        "{errs:?}"
    );

    let too_many = config_with(dir.path(), vec![NicConfig::default(); 5]);
    assert_eq!(errors(&too_many)[0].0, "nics");
}

#[test]
fn framing_matches_what_passt_sends() {
    // The same bytes QEMU's "-netdev stream" and passt put on the socket: a big-endian u32
    // length, then the frame.
    let (mut a, b) = UnixStream::pair().unwrap();
    let f = ethernet([0xff; 6], 0x0806, &[0; 28]);
    frame::write_frame(&mut a, &f).unwrap();
    a.flush().unwrap();
    let mut raw = vec![0u8; 4 + f.len()];
    (&b).read_exact(&mut raw).unwrap();
    assert_eq!(raw[..4], (f.len() as u32).to_be_bytes());
    assert_eq!(raw[4..], f[..]);
}
