//! What the network test crates (`net.rs` for passt, `net_slirp.rs` for libslirp) share: packets
//! as a guest's network stack would build and parse them, and two ways to be the guest —
//! straight on the backend's socket ([`RawLink`]) or through the virtio-net device
//! ([`VirtioLink`]). `mod net_support;` in each; each uses only some of it.
#![allow(dead_code)]

use std::io::Read;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::{Duration, Instant};
use virtio_queue::{Queue, QueueT};
use vm_memory::{Address, Bytes, GuestAddress, GuestMemoryMmap};
use vmm_core::devices::virtio::net::{NET_HDR_LEN, RX_QUEUE, TX_QUEUE};
use vmm_core::devices::virtio::{VirtioDevice, VirtioInterrupt};
use vmm_core::net::frame;
use vmm_sys_util::eventfd::EventFd;

pub const GUEST_MAC: [u8; 6] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
pub const TIMEOUT: Duration = Duration::from_secs(10);

// ---- Packets ----

pub fn checksum(data: &[u8], start: u32) -> u16 {
    let mut sum = start;
    for c in data.chunks(2) {
        sum += u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

pub fn ethernet(dst: [u8; 6], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = dst.to_vec();
    f.extend_from_slice(&GUEST_MAC);
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

pub fn ipv4_udp(src: Ipv4Addr, dst: Ipv4Addr, sport: u16, dport: u16, data: &[u8]) -> Vec<u8> {
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
pub fn parse_ipv4(f: &[u8]) -> Option<(u8, Ipv4Addr, Ipv4Addr, &[u8])> {
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
pub fn parse_udp(f: &[u8]) -> Option<(SocketAddr, SocketAddr, &[u8])> {
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

pub fn dhcp_discover() -> Vec<u8> {
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
pub fn parse_dhcp_offer(f: &[u8]) -> Option<(Ipv4Addr, Ipv4Addr)> {
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

pub const TCP_SYN: u8 = 0x02;
pub const TCP_RST: u8 = 0x04;
pub const TCP_PSH: u8 = 0x08;
pub const TCP_ACK: u8 = 0x10;

/// An IPv4 TCP segment (20-byte header, no options, window 64 KiB - 1).
#[allow(clippy::too_many_arguments)]
pub fn ipv4_tcp(
    src: Ipv4Addr,
    dst: Ipv4Addr,
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    data: &[u8],
) -> Vec<u8> {
    let mut tcp = Vec::new();
    tcp.extend_from_slice(&sport.to_be_bytes());
    tcp.extend_from_slice(&dport.to_be_bytes());
    tcp.extend_from_slice(&seq.to_be_bytes());
    tcp.extend_from_slice(&ack.to_be_bytes());
    tcp.extend_from_slice(&[5 << 4, flags, 0xff, 0xff, 0, 0, 0, 0]);
    tcp.extend_from_slice(data);
    let mut pseudo = src.octets().to_vec();
    pseudo.extend_from_slice(&dst.octets());
    pseudo.extend_from_slice(&[0, 6]);
    pseudo.extend_from_slice(&(tcp.len() as u16).to_be_bytes());
    pseudo.extend_from_slice(&tcp);
    let c = checksum(&pseudo, 0);
    tcp[16..18].copy_from_slice(&c.to_be_bytes());
    let mut ip = vec![0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, 6, 0, 0];
    ip[2..4].copy_from_slice(&((20 + tcp.len()) as u16).to_be_bytes());
    ip.extend_from_slice(&src.octets());
    ip.extend_from_slice(&dst.octets());
    let c = checksum(&ip, 0);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    ip.extend_from_slice(&tcp);
    ip
}

/// A TCP segment as the guest received it.
#[derive(Debug, Clone)]
pub struct Segment {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub data: Vec<u8>,
}

pub fn parse_tcp(f: &[u8]) -> Option<Segment> {
    let (proto, src, dst, l4) = parse_ipv4(f)?;
    if proto != 6 || l4.len() < 20 {
        return None;
    }
    let off = usize::from(l4[12] >> 4) * 4;
    let u16_at = |o: usize| u16::from_be_bytes([l4[o], l4[o + 1]]);
    let u32_at = |o: usize| u32::from_be_bytes([l4[o], l4[o + 1], l4[o + 2], l4[o + 3]]);
    Some(Segment {
        src: (src, u16_at(0)).into(),
        dst: (dst, u16_at(2)).into(),
        seq: u32_at(4),
        ack: u32_at(8),
        flags: l4[13],
        data: l4.get(off..)?.to_vec(),
    })
}

pub fn arp_request(sender: Ipv4Addr, target: Ipv4Addr) -> Vec<u8> {
    let mut a = vec![0, 1, 8, 0, 6, 4, 0, 1];
    a.extend_from_slice(&GUEST_MAC);
    a.extend_from_slice(&sender.octets());
    a.extend_from_slice(&[0; 6]);
    a.extend_from_slice(&target.octets());
    ethernet([0xff; 6], 0x0806, &a)
}

/// From an ARP reply: (sender MAC, sender address).
pub fn parse_arp_reply(f: &[u8]) -> Option<([u8; 6], Ipv4Addr)> {
    if f.len() < 42 || f[12..14] != [0x08, 0x06] || f[20..22] != [0, 2] {
        return None;
    }
    let mac: [u8; 6] = f[22..28].try_into().ok()?;
    Some((mac, Ipv4Addr::new(f[28], f[29], f[30], f[31])))
}

// ---- Two ways to be the guest: straight on the backend's socket, or through virtio-net ----

pub trait Link {
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

/// The guest end of the backend's socket itself.
pub struct RawLink(pub UnixStream);

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
pub fn bring_up(link: &mut impl Link) -> (Ipv4Addr, Ipv4Addr, [u8; 6]) {
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
pub fn udp_echo_through_the_gateway(link: &mut impl Link) {
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
    let payload = b"vmdesk says hello through the gateway";
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

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn process_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        // A zombie waiting for a reaper is gone too.
        Ok(s) => s
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z')),
    }
}

pub fn wait_until(what: &str, timeout: Duration, f: impl Fn() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---- The virtio-net device, driven like a guest driver would ----

pub const DESC: [u64; 2] = [0x1000, 0x4000];
pub const AVAIL: [u64; 2] = [0x2000, 0x5000];
pub const USED: [u64; 2] = [0x3000, 0x6000];
pub const QSIZE: u16 = 64;
pub const RX_BUF: u64 = 0x100000;
pub const RX_BUF_LEN: u32 = 1526;
pub const TX_BUF: u64 = 0x200000;

pub struct VirtioLink {
    pub mem: GuestMemoryMmap,
    dev: Box<dyn VirtioDevice>,
    next_desc: [u16; 2],
    avail_idx: [u16; 2],
    used_seen: [u16; 2],
}

impl VirtioLink {
    pub fn new(mut dev: Box<dyn VirtioDevice>) -> Self {
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
