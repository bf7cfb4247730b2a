//! virtio-net's tests: a fake driver on two split virtqueues and a socket pair for the backend.

use super::datapath::*;
use super::*;
use crate::devices::virtio::{INT_CONFIG, INT_USED_RING};
use crate::net::frame;
use std::io::{Read, Write};
use std::time::Instant;
use virtio_queue::QueueT;
use vm_memory::{Address, Bytes, GuestAddress};

// Guest layout of the fake driver: rings per queue, then data buffers.
const DESC: [u64; 2] = [0x1000, 0x4000];
const AVAIL: [u64; 2] = [0x2000, 0x5000];
const USED: [u64; 2] = [0x3000, 0x6000];
const SIZE: u16 = 16;
const F_NEXT: u16 = 1;
const F_WRITE: u16 = 2;

/// The driver side of two split virtqueues in fake guest memory, as a guest driver would
/// lay them out.
struct Driver {
    mem: GuestMemoryMmap,
    next_desc: [u16; 2],
    avail_idx: [u16; 2],
    used_seen: [u16; 2],
}

impl Driver {
    fn new() -> Self {
        let mem = GuestMemoryMmap::<()>::from_ranges(&[(GuestAddress(0), 4 << 20)]).unwrap();
        Driver {
            mem,
            next_desc: [0; 2],
            avail_idx: [0; 2],
            used_seen: [0; 2],
        }
    }

    fn queues(&self) -> Vec<Queue> {
        (0..2)
            .map(|i| {
                let mut q = Queue::new(QUEUE_SIZE).unwrap();
                q.set_size(SIZE);
                q.set_desc_table_address(Some(DESC[i] as u32), Some(0));
                q.set_avail_ring_address(Some(AVAIL[i] as u32), Some(0));
                q.set_used_ring_address(Some(USED[i] as u32), Some(0));
                q.set_ready(true);
                assert!(q.is_valid(&self.mem));
                q
            })
            .collect()
    }

    /// Adds a chain of (addr, len, device-writable) descriptors; returns its head.
    fn post(&mut self, q: usize, bufs: &[(u64, u32, bool)]) -> u16 {
        let head = self.next_desc[q];
        for (i, &(addr, len, write)) in bufs.iter().enumerate() {
            let idx = (head + i as u16) % SIZE;
            let mut flags = if write { F_WRITE } else { 0 };
            if i + 1 < bufs.len() {
                flags |= F_NEXT;
            }
            let d = GuestAddress(DESC[q] + 16 * u64::from(idx));
            self.mem.write_obj(addr, d).unwrap();
            self.mem.write_obj(len, d.unchecked_add(8)).unwrap();
            self.mem.write_obj(flags, d.unchecked_add(12)).unwrap();
            self.mem
                .write_obj((idx + 1) % SIZE, d.unchecked_add(14))
                .unwrap();
        }
        self.next_desc[q] = (head + bufs.len() as u16) % SIZE;
        let slot = u64::from(self.avail_idx[q] % SIZE);
        self.mem
            .write_obj(head, GuestAddress(AVAIL[q] + 4 + 2 * slot))
            .unwrap();
        self.avail_idx[q] = self.avail_idx[q].wrapping_add(1);
        self.mem
            .write_obj(self.avail_idx[q], GuestAddress(AVAIL[q] + 2))
            .unwrap();
        head
    }

    /// Used elements (head, len) not seen yet.
    fn used(&mut self, q: usize) -> Vec<(u16, u32)> {
        let idx: u16 = self.mem.read_obj(GuestAddress(USED[q] + 2)).unwrap();
        let mut out = Vec::new();
        while self.used_seen[q] != idx {
            let slot = u64::from(self.used_seen[q] % SIZE);
            let e = GuestAddress(USED[q] + 4 + 8 * slot);
            let id: u32 = self.mem.read_obj(e).unwrap();
            let len: u32 = self.mem.read_obj(e.unchecked_add(4)).unwrap();
            out.push((id as u16, len));
            self.used_seen[q] = self.used_seen[q].wrapping_add(1);
        }
        out
    }

    fn wait_used(&mut self, q: usize, n: usize) -> Vec<(u16, u32)> {
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut got = Vec::new();
        while got.len() < n {
            got.extend(self.used(q));
            assert!(Instant::now() < deadline, "only {got:?} of {n} used");
            std::thread::sleep(Duration::from_millis(1));
        }
        got
    }

    fn read(&self, addr: u64, len: usize) -> Vec<u8> {
        let mut v = vec![0; len];
        self.mem.read_slice(&mut v, GuestAddress(addr)).unwrap();
        v
    }
}

struct Rig {
    drv: Driver,
    net: Net,
    peer: UnixStream,
    irq: Arc<VirtioInterrupt>,
}

fn rig() -> Rig {
    let (ours, peer) = UnixStream::pair().unwrap();
    peer.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut net = Net::new([0x02, 0, 0, 0, 0, 1], DEFAULT_MTU, ours, None, "nics[0]").unwrap();
    let drv = Driver::new();
    let irq = Arc::new(VirtioInterrupt::new(EventFd::new(0).unwrap()));
    net.activate(drv.mem.clone(), drv.queues(), net.features(), irq.clone())
        .unwrap();
    Rig {
        drv,
        net,
        peer,
        irq,
    }
}

fn eth_frame(len: usize, fill: u8) -> Vec<u8> {
    let mut f = vec![fill; len];
    f[..6].copy_from_slice(&[0x02, 0, 0, 0, 0, 1]);
    f[12..14].copy_from_slice(&[0x08, 0x00]);
    f
}

fn read_frame(peer: &mut UnixStream) -> Vec<u8> {
    let mut len = [0u8; 4];
    peer.read_exact(&mut len).unwrap();
    let mut f = vec![0; u32::from_be_bytes(len) as usize];
    peer.read_exact(&mut f).unwrap();
    f
}

#[test]
fn config_space_has_mac_link_up_and_mtu() {
    let r = rig();
    let mut c = [0u8; 12];
    r.net.read_config(0, &mut c);
    assert_eq!(&c[..6], &[0x02, 0, 0, 0, 0, 1]);
    assert_eq!(u16::from_le_bytes([c[6], c[7]]), VIRTIO_NET_S_LINK_UP);
    assert_eq!(u16::from_le_bytes([c[10], c[11]]), 1500);
    let mut b = [0xffu8; 4];
    r.net.read_config(10, &mut b);
    assert_eq!(b, [0xdc, 0x05, 0, 0], "reads past the end are zero");
    r.net.read_config(u64::MAX, &mut b);
    assert_eq!(b, [0; 4]);
    assert_eq!(
        r.net.features(),
        VIRTIO_F_VERSION_1 | (1 << 5) | (1 << 16) | (1 << 3)
    );
}

#[test]
fn tx_strips_the_header_and_frames_for_the_backend() {
    let mut r = rig();
    let frame = eth_frame(60, 0x5a);
    // Header in its own descriptor, frame split over two more.
    r.drv
        .mem
        .write_slice(&[0xee; 12], GuestAddress(0x10000))
        .unwrap();
    r.drv
        .mem
        .write_slice(&frame[..20], GuestAddress(0x11000))
        .unwrap();
    r.drv
        .mem
        .write_slice(&frame[20..], GuestAddress(0x12000))
        .unwrap();
    let h1 = r.drv.post(
        1,
        &[
            (0x10000, 12, false),
            (0x11000, 20, false),
            (0x12000, 40, false),
        ],
    );
    // Header and frame in one descriptor.
    r.drv
        .mem
        .write_slice(&[0; 12], GuestAddress(0x13000))
        .unwrap();
    r.drv
        .mem
        .write_slice(&frame, GuestAddress(0x1300c))
        .unwrap();
    let h2 = r.drv.post(1, &[(0x13000, 72, false)]);
    r.net.queue_notify(TX_QUEUE);
    assert_eq!(read_frame(&mut r.peer), frame);
    assert_eq!(read_frame(&mut r.peer), frame);
    assert_eq!(r.drv.wait_used(1, 2), [(h1, 0), (h2, 0)]);
    assert_ne!(r.irq.status() & INT_USED_RING, 0);
    let s = r.net.stats().snapshot();
    assert_eq!((s.tx_frames, s.tx_bytes, s.malformed_chains), (2, 120, 0));
}

#[test]
fn malformed_tx_chains_are_counted_and_returned_not_sent() {
    let mut r = rig();
    let frame = eth_frame(60, 1);
    r.drv
        .mem
        .write_slice(&[0; 12], GuestAddress(0x10000))
        .unwrap();
    r.drv
        .mem
        .write_slice(&frame, GuestAddress(0x1000c))
        .unwrap();
    let bad = [
        r.drv.post(1, &[(0x10000, 72, true)]), // device-writable
        r.drv.post(1, &[(0x10000, 8, false)]), // shorter than the header
        r.drv.post(1, &[(0x10000, 12 + 65536, false)]), // frame > 65535
        r.drv.post(
            1,
            &[
                (0x10000, 12, false),
                (0x10000, 65535, false),
                (0x10000, 1, false),
            ],
        ),
        r.drv.post(1, &[(0xffff_ff00_0000, 72, false)]), // outside guest memory
        r.drv.post(1, &[(0x10000, 12 + 5, false)]),      // runt frame
    ];
    let good = r.drv.post(1, &[(0x10000, 72, false)]);
    r.net.queue_notify(TX_QUEUE);
    assert_eq!(
        read_frame(&mut r.peer),
        frame,
        "only the good chain is sent"
    );
    let used = r.drv.wait_used(1, bad.len() + 1);
    let heads: Vec<u16> = used.iter().map(|u| u.0).collect();
    assert_eq!(heads[..bad.len()], bad);
    assert_eq!(heads[bad.len()], good);
    assert_eq!(r.net.malformed_chains(), bad.len() as u64);
}

#[test]
fn rx_fills_a_buffer_with_zeroed_header_and_num_buffers_1() {
    let mut r = rig();
    r.drv
        .mem
        .write_slice(&[0xcc; 2048], GuestAddress(0x20000))
        .unwrap();
    // Header and start of the frame in one buffer, the rest in a second.
    let head = r
        .drv
        .post(0, &[(0x20000, 100, true), (0x21000, 1500, true)]);
    r.net.queue_notify(RX_QUEUE);
    let frame = eth_frame(1000, 0x77);
    frame::write_frame(&mut r.peer, &frame).unwrap();
    assert_eq!(r.drv.wait_used(0, 1), [(head, 1012)]);
    let hdr = r.drv.read(0x20000, 12);
    assert_eq!(hdr, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
    let mut got = r.drv.read(0x20000 + 12, 88);
    got.extend(r.drv.read(0x21000, 912));
    assert_eq!(got, frame);
    assert_ne!(r.irq.status() & INT_USED_RING, 0);
    let s = r.net.stats().snapshot();
    assert_eq!((s.rx_frames, s.rx_bytes), (1, 1000));
}

fn wait_for(what: &str, f: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn rx_without_buffers_drops_and_counts_then_recovers() {
    let mut r = rig();
    r.net.set_rx_buffer_wait(Duration::from_millis(1));
    for _ in 0..3 {
        frame::write_frame(&mut r.peer, &eth_frame(60, 1)).unwrap();
    }
    let stats = r.net.stats();
    wait_for("3 drops", || {
        stats.rx_dropped_no_buffer.load(Ordering::Relaxed) == 3
    });
    let head = r.drv.post(0, &[(0x20000, 1526, true)]);
    r.net.queue_notify(RX_QUEUE);
    frame::write_frame(&mut r.peer, &eth_frame(60, 2)).unwrap();
    assert_eq!(r.drv.wait_used(0, 1), [(head, 72)]);
    assert_eq!(r.drv.read(0x20000 + 12 + 14, 1), [2]);
}

#[test]
fn rx_waits_for_the_guest_to_post_a_buffer() {
    let mut r = rig();
    r.net.set_rx_buffer_wait(Duration::from_secs(10));
    frame::write_frame(&mut r.peer, &eth_frame(60, 3)).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    let head = r.drv.post(0, &[(0x20000, 1526, true)]);
    r.net.queue_notify(RX_QUEUE);
    assert_eq!(r.drv.wait_used(0, 1), [(head, 72)]);
    assert_eq!(r.net.stats().snapshot().rx_dropped_no_buffer, 0);
}

#[test]
fn rx_frames_too_big_for_the_buffer_or_mtu_are_dropped_and_the_buffer_kept() {
    let mut r = rig();
    let small = r.drv.post(0, &[(0x20000, 200, true)]);
    let bad_then_big = [
        r.drv.post(0, &[(0x30000, 1526, false)]), // not device-writable
    ];
    r.net.queue_notify(RX_QUEUE);
    // Too big for the 200-byte buffer: dropped, buffer stays first in line.
    frame::write_frame(&mut r.peer, &eth_frame(500, 4)).unwrap();
    // Over the MTU the driver acked: dropped whatever the buffers.
    frame::write_frame(&mut r.peer, &eth_frame(1515, 4)).unwrap();
    // Over the framing maximum: skipped in the stream.
    r.peer.write_all(&70000u32.to_be_bytes()).unwrap();
    r.peer.write_all(&vec![0; 70000]).unwrap();
    // Fits.
    frame::write_frame(&mut r.peer, &eth_frame(100, 5)).unwrap();
    assert_eq!(r.drv.wait_used(0, 1), [(small, 112)]);
    assert_eq!(r.drv.read(0x20000 + 12 + 14, 1), [5]);
    let s = r.net.stats().snapshot();
    assert_eq!(s.rx_dropped_too_big, 3);
    // The next frame finds the read-only chain: returned empty, counted.
    frame::write_frame(&mut r.peer, &eth_frame(100, 6)).unwrap();
    assert_eq!(r.drv.wait_used(0, 1), [(bad_then_big[0], 0)]);
    let stats = r.net.stats();
    wait_for("malformed count", || {
        stats.malformed_chains.load(Ordering::Relaxed) == 1
    });
}

#[test]
fn frames_before_activation_or_after_reset_are_dropped() {
    let (ours, mut peer) = UnixStream::pair().unwrap();
    let mut net = Net::new([2, 0, 0, 0, 0, 9], DEFAULT_MTU, ours, None, "nics[1]").unwrap();
    let stats = net.stats();
    frame::write_frame(&mut peer, &eth_frame(60, 1)).unwrap();
    wait_for("inactive drop", || {
        stats.rx_dropped_inactive.load(Ordering::Relaxed) == 1
    });
    // Notifies before activation are harmless.
    net.queue_notify(RX_QUEUE);
    net.queue_notify(TX_QUEUE);
    net.queue_notify(7);
    let mut drv = Driver::new();
    let irq = Arc::new(VirtioInterrupt::new(EventFd::new(0).unwrap()));
    // A TX chain posted before DRIVER_OK is sent on activation.
    drv.mem
        .write_slice(&eth_frame(60, 8), GuestAddress(0x1000c))
        .unwrap();
    drv.post(1, &[(0x10000, 72, false)]);
    net.activate(drv.mem.clone(), drv.queues(), net.features(), irq)
        .unwrap();
    peer.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(read_frame(&mut peer), eth_frame(60, 8));
    net.reset();
    frame::write_frame(&mut peer, &eth_frame(60, 1)).unwrap();
    wait_for("inactive drop after reset", || {
        stats.rx_dropped_inactive.load(Ordering::Relaxed) == 2
    });
    assert!(net
        .activate(
            drv.mem.clone(),
            Vec::new(),
            0,
            Arc::new(VirtioInterrupt::new(EventFd::new(0).unwrap()))
        )
        .is_err());
}

#[test]
fn paused_devices_leave_the_queues_alone_and_lose_nothing() {
    let mut r = rig();
    r.net.set_rx_buffer_wait(Duration::from_millis(1));
    r.net.set_paused(true);
    let rx = r.drv.post(0, &[(0x20000, 1526, true)]);
    r.net.queue_notify(RX_QUEUE);
    frame::write_frame(&mut r.peer, &eth_frame(60, 9)).unwrap();
    r.drv
        .mem
        .write_slice(&eth_frame(60, 8), GuestAddress(0x1000c))
        .unwrap();
    let tx = r.drv.post(1, &[(0x10000, 72, false)]);
    r.net.queue_notify(TX_QUEUE);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(r.drv.used(0), []);
    assert_eq!(r.drv.used(1), []);
    let state = r.net.save_state().unwrap();
    r.net.set_paused(false);
    assert_eq!(r.drv.wait_used(0, 1), [(rx, 72)]);
    assert_eq!(r.drv.wait_used(1, 1), [(tx, 0)]);
    assert_eq!(read_frame(&mut r.peer), eth_frame(60, 8));
    let s = r.net.stats().snapshot();
    assert_eq!((s.rx_frames, s.rx_dropped_no_buffer), (1, 0));
    assert!(
        matches!(
            &state,
            DeviceState::Net(NetState {
                queues: Some(_),
                ..
            })
        ),
        "{state:?}"
    );
}

#[test]
fn backend_gone_takes_the_link_down_with_a_config_interrupt() {
    let mut r = rig();
    drop(r.peer);
    let stats = r.net.stats();
    wait_for("link down", || !stats.link_up.load(Ordering::SeqCst));
    assert_ne!(r.irq.status() & INT_CONFIG, 0);
    let mut c = [0u8; 2];
    r.net.read_config(6, &mut c);
    assert_eq!(c, [0, 0]);
    // TX still completes chains (the guest gets its buffers back); frames are dropped.
    r.drv
        .mem
        .write_slice(&eth_frame(60, 8), GuestAddress(0x1000c))
        .unwrap();
    let h = r.drv.post(1, &[(0x10000, 72, false)]);
    r.net.queue_notify(TX_QUEUE);
    assert_eq!(r.drv.wait_used(1, 1), [(h, 0)]);
    wait_for("tx drop", || stats.tx_dropped.load(Ordering::Relaxed) == 1);
}

#[test]
fn queue_state_survives_save_and_restore() {
    let mut r = rig();
    r.drv
        .mem
        .write_slice(&eth_frame(60, 8), GuestAddress(0x1000c))
        .unwrap();
    r.drv.post(1, &[(0x10000, 72, false)]);
    r.net.queue_notify(TX_QUEUE);
    read_frame(&mut r.peer);
    r.drv.wait_used(1, 1);
    let state = r.net.save_state().unwrap();

    let (ours, mut peer) = UnixStream::pair().unwrap();
    peer.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut net2 = Net::new([2, 0, 0, 0, 0, 1], DEFAULT_MTU, ours, None, "nics[0]").unwrap();
    let irq = Arc::new(VirtioInterrupt::new(EventFd::new(0).unwrap()));
    // As in a live revert: restored while paused, it sends nothing until it runs again.
    net2.set_paused(true);
    net2.restore_state(&state, r.drv.mem.clone(), irq).unwrap();
    peer.set_nonblocking(true).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        peer.read(&mut [0u8; 4]).map_err(|e| e.kind()),
        Err(std::io::ErrorKind::WouldBlock),
        "a paused device wrote to the backend"
    );
    peer.set_nonblocking(false).unwrap();
    net2.set_paused(false);
    // The new backend first learns the guest's MAC (a RARP broadcast from it, as QEMU sends),
    // then gets the guest's frames.
    let announce = read_frame(&mut peer);
    assert_eq!(announce.len(), 60);
    assert_eq!(&announce[..6], &[0xff; 6]);
    assert_eq!(&announce[6..12], &[2, 0, 0, 0, 0, 1]);
    assert_eq!(&announce[12..14], &[0x80, 0x35]);
    assert_eq!(&announce[22..28], &[2, 0, 0, 0, 0, 1]);
    let h = r.drv.post(1, &[(0x10000, 72, false)]);
    net2.queue_notify(TX_QUEUE);
    assert_eq!(read_frame(&mut peer), eth_frame(60, 8));
    assert_eq!(r.drv.wait_used(1, 1), [(h, 0)]);
    // Once only, and the guest's frames are not counted with it.
    assert_eq!(net2.stats().snapshot().tx_frames, 1);
    // Another device's state is refused.
    let junk = DeviceState::Rng(super::super::rng::RngState { queue: None });
    assert!(net2
        .restore_state(&junk, r.drv.mem.clone(), r.irq.clone())
        .is_err());
}

#[test]
fn pcap_files_have_a_header_and_one_record_per_frame() {
    let dir = tempfile::tempdir().unwrap();
    let f = open_pcap_at(dir.path().join("t").into_os_string(), "nics[0]").unwrap();
    pcap_write(&f, &eth_frame(60, 7));
    drop(f);
    let d = std::fs::read(dir.path().join("t.nics[0]")).unwrap();
    assert_eq!(d.len(), 24 + 16 + 60);
    assert_eq!(
        &d[..8],
        &[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0],
        "magic, version 2.4"
    );
    assert_eq!(&d[20..24], &1u32.to_le_bytes(), "Ethernet");
    assert_eq!(
        &d[32..40],
        &[60, 0, 0, 0, 60, 0, 0, 0],
        "captured and wire length"
    );
    assert_eq!(&d[40..], &eth_frame(60, 7)[..]);
}

#[test]
fn random_chains_never_panic() {
    let mut r = rig();
    r.net.set_rx_buffer_wait(Duration::from_millis(1));
    // The backend reads (and forgets) whatever gets sent.
    let mut sink = r.peer.try_clone().unwrap();
    std::thread::spawn(move || std::io::copy(&mut sink, &mut std::io::sink()));
    let stats = r.net.stats();
    let outcomes = || {
        let s = stats.snapshot();
        s.rx_frames + s.rx_dropped_no_buffer + s.rx_dropped_too_big
    };
    let mut x = 0x9e37_79b9u32;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x
    };
    for round in 0..100 {
        // Descriptors anywhere above the rings, some beyond guest memory, any direction.
        let chain = |next: &mut dyn FnMut() -> u32| -> Vec<(u64, u32, bool)> {
            let n = 1 + next() as usize % 3;
            (0..n)
                .map(|_| {
                    let addr = 0x10000 + u64::from(next() % (5 << 20));
                    (addr, next() % 70000, next().is_multiple_of(2))
                })
                .collect()
        };
        let bufs = chain(&mut next);
        r.drv.post(TX_QUEUE as usize, &bufs);
        r.net.queue_notify(TX_QUEUE);
        r.drv.wait_used(1, 1);
        if round % 4 == 0 {
            let bufs = chain(&mut next);
            r.drv.post(RX_QUEUE as usize, &bufs);
            r.net.queue_notify(RX_QUEUE);
            let before = outcomes();
            frame::write_frame(&mut r.peer, &eth_frame(64 + round, 1)).unwrap();
            wait_for("an outcome for the frame", || outcomes() > before);
        }
    }
    // Whatever happened, the device is still alive and answers.
    let mut c = [0u8; 6];
    r.net.read_config(0, &mut c);
    assert_eq!(c, [2, 0, 0, 0, 0, 1]);
    assert!(r.net.malformed_chains() > 0);
}
