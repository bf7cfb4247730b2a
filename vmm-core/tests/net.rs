// Over 800 lines: one test crate for networking, sharing the packet builders and the passt/VMM set-up between its sections.
//! Networking with a real passt: DHCP, ARP and a UDP exchange with an echo server this test
//! starts on the host's loopback (reached through passt's gateway address), host→guest port
//! forwards, the virtio-net device end to end, and passt's lifetime around vmdesk-vmm.
//!
//! Traffic only ever goes to services the tests start on 127.0.0.1. Tests that need passt print
//! "skipped: passt not installed (apt-get install passt)" without it, and fail instead when
//! `VMDESK_REQUIRE_TOOLS=1`.

mod common;

use common::{GUEST, VMM};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use virtio_queue::{Queue, QueueT};
use vm_memory::{Address, Bytes, GuestAddress, GuestMemoryMmap};
use vmdesk_test_support::{kvm_or_skip, stderr_of};
use vmm_core::config::{
    BootSource, ConfigError, HostLimits, NicConfig, PortForward, Protocol, SerialConfig, VmConfig,
};
use vmm_core::devices::virtio::net::{NET_HDR_LEN, RX_QUEUE, TX_QUEUE};
use vmm_core::devices::virtio::{VirtioDevice, VirtioInterrupt};
use vmm_core::net::frame;
use vmm_core::net::passt::{find_passt, Passt, PasstOptions};
use vmm_sys_util::eventfd::EventFd;

const GUEST_MAC: [u8; 6] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
const TIMEOUT: Duration = Duration::from_secs(10);

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

// ---- Packets, as a guest's network stack would build and parse them ----

fn checksum(data: &[u8], start: u32) -> u16 {
    let mut sum = start;
    for c in data.chunks(2) {
        sum += u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn ethernet(dst: [u8; 6], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = dst.to_vec();
    f.extend_from_slice(&GUEST_MAC);
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

fn ipv4_udp(src: Ipv4Addr, dst: Ipv4Addr, sport: u16, dport: u16, data: &[u8]) -> Vec<u8> {
    let ulen = 8 + data.len();
    let mut udp = Vec::new();
    udp.extend_from_slice(&sport.to_be_bytes());
    udp.extend_from_slice(&dport.to_be_bytes());
    udp.extend_from_slice(&(ulen as u16).to_be_bytes());
    udp.extend_from_slice(&[0, 0]);
    udp.extend_from_slice(data);
    let mut pseudo = src.octets().to_vec();
    pseudo.extend_from_slice(&dst.octets());
    pseudo.extend_from_slice(&[0, 17]);
    pseudo.extend_from_slice(&(ulen as u16).to_be_bytes());
    pseudo.extend_from_slice(&udp);
    let c = checksum(&pseudo, 0);
    udp[6..8].copy_from_slice(&(if c == 0 { 0xffff } else { c }).to_be_bytes());
    let mut ip = vec![0x45, 0, 0, 0, 0, 1, 0, 0, 64, 17, 0, 0];
    ip[2..4].copy_from_slice(&((20 + ulen) as u16).to_be_bytes());
    ip.extend_from_slice(&src.octets());
    ip.extend_from_slice(&dst.octets());
    let c = checksum(&ip, 0);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    ip.extend_from_slice(&udp);
    ip
}

/// An IPv4 packet in an Ethernet frame: (protocol, src, dst, L4 bytes).
fn parse_ipv4(f: &[u8]) -> Option<(u8, Ipv4Addr, Ipv4Addr, &[u8])> {
    if f.len() < 34 || f[12..14] != [0x08, 0x00] {
        return None;
    }
    let ip = &f[14..];
    let ihl = usize::from(ip[0] & 0xf) * 4;
    let total = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
    if ip[0] >> 4 != 4 || total > ip.len() || ihl > total {
        return None;
    }
    let a = |o: usize| Ipv4Addr::new(ip[o], ip[o + 1], ip[o + 2], ip[o + 3]);
    Some((ip[9], a(12), a(16), &ip[ihl..total]))
}

/// A UDP datagram in an Ethernet frame: (src, dst, payload).
fn parse_udp(f: &[u8]) -> Option<(SocketAddr, SocketAddr, &[u8])> {
    let (proto, src, dst, l4) = parse_ipv4(f)?;
    if proto != 17 || l4.len() < 8 {
        return None;
    }
    let port = |o: usize| u16::from_be_bytes([l4[o], l4[o + 1]]);
    Some((
        (src, port(0)).into(),
        (dst, port(2)).into(),
        &l4[8..usize::from(port(4)).clamp(8, l4.len())],
    ))
}

fn dhcp_discover() -> Vec<u8> {
    let mut b = vec![0u8; 240];
    b[0] = 1; // BOOTREQUEST
    b[1] = 1; // Ethernet
    b[2] = 6;
    b[4..8].copy_from_slice(&0x7664_6b31u32.to_be_bytes()); // xid "vdk1"
    b[10] = 0x80; // broadcast reply
    b[28..34].copy_from_slice(&GUEST_MAC);
    b[236..240].copy_from_slice(&[99, 130, 83, 99]);
    b.extend_from_slice(&[53, 1, 1, 255]); // DHCPDISCOVER
    b.resize(300, 0);
    ethernet(
        [0xff; 6],
        0x0800,
        &ipv4_udp(Ipv4Addr::UNSPECIFIED, Ipv4Addr::BROADCAST, 68, 67, &b),
    )
}

/// From a DHCPOFFER: (offered address, router).
fn parse_dhcp_offer(f: &[u8]) -> Option<(Ipv4Addr, Ipv4Addr)> {
    let (src, dst, b) = parse_udp(f)?;
    if src.port() != 67 || dst.port() != 68 || b.len() < 240 || b[0] != 2 {
        return None;
    }
    let yiaddr = Ipv4Addr::new(b[16], b[17], b[18], b[19]);
    let mut o = &b[240..];
    while o.len() >= 2 && o[0] != 255 {
        if o[0] == 0 {
            o = &o[1..];
            continue;
        }
        let len = usize::from(o[1]);
        if o[0] == 3 && len >= 4 && o.len() >= 6 {
            return Some((yiaddr, Ipv4Addr::new(o[2], o[3], o[4], o[5])));
        }
        o = o.get(2 + len..)?;
    }
    None
}

fn arp_request(sender: Ipv4Addr, target: Ipv4Addr) -> Vec<u8> {
    let mut a = vec![0, 1, 8, 0, 6, 4, 0, 1];
    a.extend_from_slice(&GUEST_MAC);
    a.extend_from_slice(&sender.octets());
    a.extend_from_slice(&[0; 6]);
    a.extend_from_slice(&target.octets());
    ethernet([0xff; 6], 0x0806, &a)
}

/// From an ARP reply: (sender MAC, sender address).
fn parse_arp_reply(f: &[u8]) -> Option<([u8; 6], Ipv4Addr)> {
    if f.len() < 42 || f[12..14] != [0x08, 0x06] || f[20..22] != [0, 2] {
        return None;
    }
    let mac: [u8; 6] = f[22..28].try_into().ok()?;
    Some((mac, Ipv4Addr::new(f[28], f[29], f[30], f[31])))
}

// ---- Two ways to be the guest: straight on passt's socket, or through virtio-net ----

trait Link {
    fn send(&mut self, frame: &[u8]);
    /// The next frame, or None after `timeout`.
    fn recv(&mut self, timeout: Duration) -> Option<Vec<u8>>;

    /// Waits for a frame `want` accepts, skipping others.
    fn expect<T>(&mut self, what: &str, want: impl Fn(&[u8]) -> Option<T>) -> T {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let f = self
                .recv(left)
                .unwrap_or_else(|| panic!("no {what} within {TIMEOUT:?}"));
            if let Some(v) = want(&f) {
                return v;
            }
        }
    }
}

/// The guest end of passt's socket itself.
struct RawLink(UnixStream);

impl Link for RawLink {
    fn send(&mut self, f: &[u8]) {
        frame::write_frame(&mut self.0, f).unwrap();
    }
    fn recv(&mut self, timeout: Duration) -> Option<Vec<u8>> {
        self.0
            .set_read_timeout(Some(timeout.max(Duration::from_millis(1))))
            .unwrap();
        let mut len = [0u8; 4];
        self.0.read_exact(&mut len).ok()?;
        let mut f = vec![0; u32::from_be_bytes(len) as usize];
        self.0.read_exact(&mut f).unwrap();
        Some(f)
    }
}

/// DHCP then ARP for the router, as a guest does first. Returns (guest address, router,
/// router MAC).
fn bring_up(link: &mut impl Link) -> (Ipv4Addr, Ipv4Addr, [u8; 6]) {
    link.send(&dhcp_discover());
    let (addr, router) = link.expect("DHCPOFFER", parse_dhcp_offer);
    link.send(&arp_request(addr, router));
    let router_mac = link.expect("ARP reply", |f| {
        parse_arp_reply(f).filter(|r| r.1 == router).map(|r| r.0)
    });
    (addr, router, router_mac)
}

/// Sends a datagram to the router's `port` (= a UDP echo server on the host's 127.0.0.1)
/// and waits for the echo.
fn udp_echo_through_the_gateway(link: &mut impl Link) {
    let echo = UdpSocket::bind("127.0.0.1:0").unwrap();
    echo.set_read_timeout(Some(TIMEOUT)).unwrap();
    let port = echo.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let mut b = [0u8; 2048];
        let (n, from) = echo.recv_from(&mut b).expect("echo server got nothing");
        echo.send_to(&b[..n], from).unwrap();
        (b[..n].to_vec(), from)
    });
    let (addr, router, router_mac) = bring_up(link);
    let payload = b"vmdesk says hello through passt";
    link.send(&ethernet(
        router_mac,
        0x0800,
        &ipv4_udp(addr, router, 40000, port, payload),
    ));
    let (got, from) = server.join().unwrap();
    assert_eq!(got, payload);
    assert!(from.ip().is_loopback(), "the echo server saw {from}");
    let (src, dst, data) = link.expect("UDP echo", |f| {
        parse_udp(f)
            .filter(|u| u.0.port() == port)
            .map(|(s, d, p)| (s, d, p.to_vec()))
    });
    assert_eq!(data, payload);
    assert_eq!(src, SocketAddr::from((router, port)));
    assert_eq!(dst, SocketAddr::from((addr, 40000)));
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn process_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        // A zombie waiting for a reaper is gone too.
        Ok(s) => s
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z')),
    }
}

fn wait_until(what: &str, timeout: Duration, f: impl Fn() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
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

// ---- The virtio-net device on passt, driven like a guest driver would ----

const DESC: [u64; 2] = [0x1000, 0x4000];
const AVAIL: [u64; 2] = [0x2000, 0x5000];
const USED: [u64; 2] = [0x3000, 0x6000];
const QSIZE: u16 = 64;
const RX_BUF: u64 = 0x100000;
const RX_BUF_LEN: u32 = 1526;
const TX_BUF: u64 = 0x200000;

struct VirtioLink {
    mem: GuestMemoryMmap,
    dev: Box<dyn VirtioDevice>,
    next_desc: [u16; 2],
    avail_idx: [u16; 2],
    used_seen: [u16; 2],
}

impl VirtioLink {
    fn new(mut dev: Box<dyn VirtioDevice>) -> Self {
        let mem = GuestMemoryMmap::<()>::from_ranges(&[(GuestAddress(0), 8 << 20)]).unwrap();
        let queues: Vec<Queue> = (0..2)
            .map(|i| {
                let mut q = Queue::new(dev.queue_max_sizes()[i]).unwrap();
                q.set_size(QSIZE);
                q.set_desc_table_address(Some(DESC[i] as u32), Some(0));
                q.set_avail_ring_address(Some(AVAIL[i] as u32), Some(0));
                q.set_used_ring_address(Some(USED[i] as u32), Some(0));
                q.set_ready(true);
                q
            })
            .collect();
        let irq = Arc::new(VirtioInterrupt::new(EventFd::new(0).unwrap()));
        let features = dev.features();
        dev.activate(mem.clone(), queues, features, irq).unwrap();
        let mut l = VirtioLink {
            mem,
            dev,
            next_desc: [0; 2],
            avail_idx: [0; 2],
            used_seen: [0; 2],
        };
        for i in 0..16u64 {
            l.post(RX_QUEUE, RX_BUF + i * 0x1000, RX_BUF_LEN, true);
        }
        l.dev.queue_notify(RX_QUEUE);
        l
    }

    fn post(&mut self, q: u16, addr: u64, len: u32, writable: bool) {
        let qi = usize::from(q);
        let idx = self.next_desc[qi];
        self.next_desc[qi] = (idx + 1) % QSIZE;
        let d = GuestAddress(DESC[qi] + 16 * u64::from(idx));
        self.mem.write_obj(addr, d).unwrap();
        self.mem.write_obj(len, d.unchecked_add(8)).unwrap();
        self.mem
            .write_obj(if writable { 2u16 } else { 0 }, d.unchecked_add(12))
            .unwrap();
        let slot = u64::from(self.avail_idx[qi] % QSIZE);
        self.mem
            .write_obj(idx, GuestAddress(AVAIL[qi] + 4 + 2 * slot))
            .unwrap();
        self.avail_idx[qi] = self.avail_idx[qi].wrapping_add(1);
        self.mem
            .write_obj(self.avail_idx[qi], GuestAddress(AVAIL[qi] + 2))
            .unwrap();
    }

    fn next_used(&mut self, q: u16) -> Option<(u32, u32)> {
        let qi = usize::from(q);
        let idx: u16 = self.mem.read_obj(GuestAddress(USED[qi] + 2)).unwrap();
        if idx == self.used_seen[qi] {
            return None;
        }
        let e = GuestAddress(USED[qi] + 4 + 8 * u64::from(self.used_seen[qi] % QSIZE));
        self.used_seen[qi] = self.used_seen[qi].wrapping_add(1);
        Some((
            self.mem.read_obj(e).unwrap(),
            self.mem.read_obj(e.unchecked_add(4)).unwrap(),
        ))
    }
}

impl Link for VirtioLink {
    fn send(&mut self, f: &[u8]) {
        // One descriptor: header (zero, no offloads) + frame.
        let mut buf = vec![0u8; NET_HDR_LEN];
        buf.extend_from_slice(f);
        self.mem.write_slice(&buf, GuestAddress(TX_BUF)).unwrap();
        self.post(TX_QUEUE, TX_BUF, buf.len() as u32, false);
        self.dev.queue_notify(TX_QUEUE);
        let deadline = Instant::now() + TIMEOUT;
        while self.next_used(TX_QUEUE).is_none() {
            assert!(Instant::now() < deadline, "TX chain never used");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    fn recv(&mut self, timeout: Duration) -> Option<Vec<u8>> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some((head, len)) = self.next_used(RX_QUEUE) {
                let d = GuestAddress(DESC[0] + 16 * u64::from(head));
                let addr: u64 = self.mem.read_obj(d).unwrap();
                let mut buf = vec![0u8; len as usize];
                self.mem.read_slice(&mut buf, GuestAddress(addr)).unwrap();
                assert_eq!(buf[..NET_HDR_LEN], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
                // Give the buffer back, as a driver refills its ring.
                self.post(RX_QUEUE, addr, RX_BUF_LEN, true);
                self.dev.queue_notify(RX_QUEUE);
                return Some(buf[NET_HDR_LEN..].to_vec());
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

#[test]
fn virtio_net_carries_dhcp_arp_and_udp_between_guest_memory_and_passt() {
    if passt_or_skip("virtio_net_on_passt").is_none() {
        return;
    }
    let nics = vec![NicConfig {
        mac: Some("52:54:00:12:34:56".into()),
        forwards: vec![],
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
            "[[nics]]\nforwards = [{{ proto = \"tcp\", host_port = {port}, guest_port = 80 }}]\n"
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
    let mut vmm = start_vmm(dir.path(), "poweroff", "[[nics]]\n", Some(&empty));
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
    let nics = vec![NicConfig {
        mac: None,
        forwards: vec![PortForward {
            proto: Protocol::Tcp,
            host_port: port,
            guest_port: 22,
        }],
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
        + "\n[[nics]]\nmac = \"52:54:00:12:34:56\"\nforwards = [\n  { proto = \"tcp\", host_port = 8080, guest_port = 80 },\n  { proto = \"udp\", host_port = 8080, guest_port = 53 },\n]\n\n[[nics]]\n";
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
        },
        NicConfig::default(),
    ];
    assert_eq!(parsed, c);
    assert_eq!(errors(&c), []);
    let e = VmConfig::from_toml(
        &(head + "[[nics]]\nforwards = [{ proto = \"sctp\", host_port = 1, guest_port = 1 }]\n"),
    )
    .unwrap_err();
    assert!(e.to_string().contains("sctp"), "{e}");
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
            },
            NicConfig {
                mac: Some("52:54:00:zz:00:01".into()),
                forwards: vec![fwd(Protocol::Tcp, 2222, 22), fwd(Protocol::Udp, 2222, 22)],
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
