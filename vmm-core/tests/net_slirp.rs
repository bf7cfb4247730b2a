//! Networking with libslirp, the second user-mode backend: DHCP, ARP, UDP and TCP from the guest
//! to services this test starts on the host's loopback (through the gateway), an inbound TCP
//! forward to a guest listener both ways (what Debian 12's passt cannot do), the virtio-net device
//! on it, and vmdesk-vmm choosing it when passt is missing.
//!
//! Traffic only ever goes to services the tests start on 127.0.0.1. Without libslirp the tests
//! print "skipped: … libslirp not installed (apt-get install libslirp0)", and fail instead when
//! `VMDESK_REQUIRE_TOOLS=1`.

mod common;
mod net_support;

use common::{GUEST, VMM};
use net_support::*;
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use vmdesk_test_support::{kvm_or_skip, stderr_of};
use vmm_core::config::{NetBackend, NicConfig, PortForward, Protocol};
use vmm_core::net::slirp::{self, SlirpNet, SlirpOptions};

fn slirp_or_skip(test: &str) -> bool {
    if slirp::available().is_ok() {
        return true;
    }
    let msg = format!("skipped: {test}: libslirp not installed (apt-get install libslirp0)");
    if std::env::var_os("VMDESK_REQUIRE_TOOLS").is_some_and(|v| v == "1") {
        panic!("{msg} (VMDESK_REQUIRE_TOOLS=1)");
    }
    eprintln!("{msg}");
    false
}

fn spawn(forwards: Vec<PortForward>) -> (SlirpNet, RawLink) {
    let opts = SlirpOptions {
        forwards,
        mtu: 1500,
    };
    let (net, stream) = SlirpNet::spawn(&opts, "nics[0]").unwrap();
    (net, RawLink(stream))
}

/// The guest's side of one TCP connection, over a [`Link`], by hand.
struct GuestTcp {
    me: SocketAddr,
    peer: SocketAddr,
    peer_mac: [u8; 6],
    /// Next sequence number we send.
    snd: u32,
    /// Next sequence number we expect.
    rcv: u32,
}

impl GuestTcp {
    fn send(&mut self, link: &mut impl Link, flags: u8, data: &[u8]) {
        let ip = |a: SocketAddr| match a.ip() {
            std::net::IpAddr::V4(v) => v,
            _ => unreachable!("IPv4 only"),
        };
        link.send(&ethernet(
            self.peer_mac,
            0x0800,
            &ipv4_tcp(
                ip(self.me),
                ip(self.peer),
                self.me.port(),
                self.peer.port(),
                self.snd,
                self.rcv,
                flags,
                data,
            ),
        ));
        self.snd = self
            .snd
            .wrapping_add(data.len() as u32 + u32::from(flags & TCP_SYN != 0));
    }

    /// The next in-order segment of this connection that carries data (ACKed at once); out of
    /// order ones are answered with a duplicate ACK. A RST fails the test.
    fn recv_data(&mut self, link: &mut impl Link) -> Vec<u8> {
        loop {
            let (me, peer) = (self.me, self.peer);
            let s = link.expect("a TCP segment with data", |f| {
                parse_tcp(f).filter(|s| s.src == peer && s.dst == me)
            });
            assert_eq!(s.flags & TCP_RST, 0, "the peer reset the connection: {s:?}");
            if s.data.is_empty() {
                continue;
            }
            if s.seq != self.rcv {
                self.send(link, TCP_ACK, &[]);
                continue;
            }
            self.rcv = self.rcv.wrapping_add(s.data.len() as u32);
            self.send(link, TCP_ACK, &[]);
            return s.data;
        }
    }
}

#[test]
fn dhcp_arp_udp_and_tcp_through_slirp_reach_loopback_services() {
    if !slirp_or_skip("slirp_gateway") {
        return;
    }
    let (_net, mut link) = spawn(vec![]);
    // DHCP hands out what passt does here: 192.0.2.2 via 192.0.2.1.
    let (addr, router, router_mac) = bring_up(&mut link);
    assert_eq!((addr, router), (slirp::GUEST, slirp::GATEWAY));
    udp_echo_through_the_gateway(&mut link);

    // TCP: the guest connects to the gateway's port = a listener on the host's 127.0.0.1.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (s, from) = listener.accept().unwrap();
        s.set_read_timeout(Some(TIMEOUT)).unwrap();
        let mut line = String::new();
        BufReader::new(&s).read_line(&mut line).unwrap();
        (&s).write_all(b"pong from the host\n").unwrap();
        (line, from)
    });
    let mut c = GuestTcp {
        me: (addr, 40001).into(),
        peer: (router, port).into(),
        peer_mac: router_mac,
        snd: 1000,
        rcv: 0,
    };
    c.send(&mut link, TCP_SYN, &[]);
    let (me, peer) = (c.me, c.peer);
    let synack = link.expect("SYN-ACK", |f| {
        parse_tcp(f).filter(|s| s.src == peer && s.dst == me && s.flags & TCP_SYN != 0)
    });
    assert_eq!(synack.flags & TCP_ACK, TCP_ACK);
    assert_eq!(synack.ack, 1001);
    c.rcv = synack.seq.wrapping_add(1);
    c.send(&mut link, TCP_ACK | TCP_PSH, b"ping from the guest\n");
    assert_eq!(c.recv_data(&mut link), b"pong from the host\n");
    let (line, from) = server.join().unwrap();
    assert_eq!(line, "ping from the guest\n");
    assert!(from.ip().is_loopback(), "the host service saw {from}");
}

#[test]
fn a_tcp_forward_reaches_a_guest_listener_both_ways() {
    if !slirp_or_skip("slirp_tcp_forward") {
        return;
    }
    let host_port = free_port();
    let (_net, mut link) = spawn(vec![PortForward {
        proto: Protocol::Tcp,
        host_port,
        guest_port: 8000,
    }]);
    let (addr, _, router_mac) = bring_up(&mut link);

    // Bound on loopback only.
    let listeners = std::fs::read_to_string("/proc/net/tcp").unwrap();
    assert!(listeners.contains(&format!("0100007F:{host_port:04X}")));
    assert!(!listeners.contains(&format!("00000000:{host_port:04X}")));

    const BULK: usize = 4 << 20;
    let client = std::thread::spawn(move || {
        let t0 = Instant::now();
        let mut s =
            TcpStream::connect_timeout(&SocketAddr::from(([127, 0, 0, 1], host_port)), TIMEOUT)
                .unwrap();
        s.set_read_timeout(Some(TIMEOUT)).unwrap();
        s.write_all(b"hello guest\n").unwrap();
        let mut line = String::new();
        BufReader::new(&s).read_line(&mut line).unwrap();
        let round_trip = t0.elapsed();
        // Then bulk data host → guest, for a throughput figure (closing still delivers it).
        s.write_all(&vec![0x5a; BULK]).unwrap();
        s.shutdown(Shutdown::Write).unwrap();
        (line, round_trip)
    });

    // The host's connection arrives as a SYN to the guest's port 8000.
    let syn = link.expect("SYN to port 8000", |f| {
        parse_tcp(f).filter(|s| s.dst == SocketAddr::from((addr, 8000)) && s.flags & TCP_SYN != 0)
    });
    let mut c = GuestTcp {
        me: syn.dst,
        peer: syn.src,
        peer_mac: router_mac,
        snd: 5000,
        rcv: syn.seq.wrapping_add(1),
    };
    c.send(&mut link, TCP_SYN | TCP_ACK, &[]);
    // The step Debian 12's passt never takes: ACK our SYN-ACK and pass the data on.
    assert_eq!(c.recv_data(&mut link), b"hello guest\n");
    c.send(&mut link, TCP_ACK | TCP_PSH, b"hello host\n");
    let t1 = Instant::now();
    let mut got = 0;
    while got < BULK {
        let d = c.recv_data(&mut link);
        assert!(d.iter().all(|&b| b == 0x5a));
        got += d.len();
    }
    let secs = t1.elapsed().as_secs_f64();
    let (line, round_trip) = client.join().unwrap();
    assert_eq!(line, "hello host\n");
    assert_eq!(got, BULK);
    eprintln!(
        "slirp forward: connect + line + reply {:.1} ms; {} MiB host → guest (raw frames, an ACK \
         per segment) at {:.1} MiB/s",
        round_trip.as_secs_f64() * 1e3,
        BULK >> 20,
        (BULK >> 20) as f64 / secs
    );
}

#[test]
fn a_backend_blocked_on_a_device_that_stopped_reading_still_stops() {
    if !slirp_or_skip("slirp_stop_blocked") {
        return;
    }
    let (net, RawLink(dev)) = spawn(vec![]);
    // DHCP discovers until libslirp's offers fill the socket and it stops reading ours.
    let mut framed = Vec::new();
    vmm_core::net::frame::encode_into(&dhcp_discover(), &mut framed).unwrap();
    dev.set_nonblocking(true).unwrap();
    let deadline = Instant::now() + TIMEOUT;
    let mut full_since: Option<Instant> = None;
    while full_since.is_none_or(|t| t.elapsed() < Duration::from_millis(500)) {
        assert!(Instant::now() < deadline, "the socket never filled");
        match (&dev).write(&framed) {
            Ok(_) => full_since = None,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                full_since.get_or_insert_with(Instant::now);
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("{e}"),
        }
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        drop(net);
        let _ = tx.send(());
    });
    assert!(
        rx.recv_timeout(Duration::from_secs(5)).is_ok(),
        "dropping the backend hangs while its loop waits to send"
    );
}

#[test]
fn virtio_net_carries_dhcp_arp_and_udp_between_guest_memory_and_slirp() {
    if !slirp_or_skip("virtio_net_on_slirp") {
        return;
    }
    let nics = vec![NicConfig {
        mac: Some("52:54:00:12:34:56".into()),
        backend: NetBackend::Slirp,
        ..Default::default()
    }];
    let mut opened = vmm_core::builder::open_nics("net-test", &nics).unwrap();
    assert!(opened.warnings.is_empty(), "{:?}", opened.warnings);
    let dev = opened.devices.pop().unwrap();
    let stats = opened.stats[0].1.clone();
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
}

#[test]
fn a_slirp_forward_on_a_busy_port_fails_the_start_naming_the_nic() {
    if !slirp_or_skip("slirp_busy_forward") {
        return;
    }
    let busy = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let nics = vec![NicConfig {
        forwards: vec![PortForward {
            proto: Protocol::Tcp,
            host_port: port,
            guest_port: 22,
        }],
        ..Default::default()
    }];
    let e = vmm_core::builder::open_nics("busy", &nics).err().unwrap();
    assert!(e.starts_with("nics[0]: slirp: cannot forward"), "{e}");
    assert!(e.contains(&format!("127.0.0.1:{port} (tcp)")), "{e}");
}

/// vmdesk-vmm without passt on PATH: "auto" takes libslirp and says so; the test guest's `net`
/// mode gets ARP and a UDP ping through the gateway, and a UDP forward reaches its echo port.
#[test]
fn without_passt_vmdesk_vmm_takes_slirp_and_the_guest_talks_both_ways() {
    if !slirp_or_skip("vmm_on_slirp") || !kvm_or_skip("vmm_on_slirp") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty-path");
    std::fs::create_dir(&empty).unwrap();
    let echo = UdpSocket::bind("127.0.0.1:0").unwrap();
    echo.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let ping_port = echo.local_addr().unwrap().port();
    let fwd_port = free_port();
    std::fs::write(
        dir.path().join("vm.toml"),
        format!(
            "id = \"slirp-e2e\"\nname = \"Net\"\nvcpus = 1\nmemory_mib = 64\n\n[boot]\nkind = \"linux\"\n\
             kernel = \"{GUEST}\"\ncmdline = \"console=ttyS0 vmdesk.test=net vmdesk.udp_port={ping_port}\"\n\n\
             [[nics]]\nforwards = [{{ proto = \"udp\", host_port = {fwd_port}, guest_port = 7 }}]\n"
        ),
    )
    .unwrap();
    let mut vmm = Command::new(VMM)
        .arg("--config")
        .arg(dir.path().join("vm.toml"))
        .arg("--runtime-dir")
        .arg(dir.path().join("run"))
        .env("PATH", &empty)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let serial = dir.path().join("serial.log");
    let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
    sender
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut echoed = None;
    let mut buf = [0u8; 2048];
    loop {
        // Answer the guest's ping (our echo server on the host's loopback).
        if let Ok((n, from)) = echo.recv_from(&mut buf) {
            echo.send_to(&buf[..n], from).unwrap();
        }
        let log = std::fs::read_to_string(&serial).unwrap_or_default();
        assert!(!log.contains("FAIL"), "the test guest failed:\n{log}");
        if log.contains("NET listen udp port=7") && echoed.is_none() {
            sender
                .send_to(b"through the forward", ("127.0.0.1", fwd_port))
                .unwrap();
            if let Ok((n, _)) = sender.recv_from(&mut buf) {
                echoed = Some(buf[..n].to_vec());
            }
        }
        if echoed.is_some() && log.contains("NET udp in \"through the forward\"") {
            assert!(log.contains("NET arp ok"), "{log}");
            assert!(log.contains("NET udp reply \"vmdesk-ping"), "{log}");
            break;
        }
        if let Ok(Some(st)) = vmm.try_wait() {
            panic!(
                "vmdesk-vmm exited ({st}):\n{}\nserial:\n{log}",
                stderr_of(&mut vmm)
            );
        }
        assert!(
            Instant::now() < deadline,
            "the guest did not get through:\n{log}"
        );
    }
    assert_eq!(echoed.as_deref(), Some(&b"through the forward"[..]));
    vmm.kill().unwrap();
    vmm.wait().unwrap();
    let err = stderr_of(&mut vmm);
    assert!(
        err.contains("network: nics[0]: slirp (auto: passt is not installed; libslirp 4."),
        "vmdesk-vmm does not say which backend the NIC got and why:\n{err}"
    );
}
