//! virtio-net's data path: the state the device shares with its I/O threads ([`Shared`]), the
//! RX and TX threads' loops, and copying frames into and out of descriptor chains.

use super::{NetStats, MIN_FRAME_LEN, NET_HDR_LEN, TX_BATCH};
use crate::devices::virtio::{VirtioInterrupt, INT_CONFIG};
use crate::net::frame::{self, FrameReader, ReadFrame, MAX_FRAME_LEN};
use crate::util::lock;
use std::io::Write;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};
use virtio_queue::{DescriptorChain, Queue, QueueOwnedT, QueueT};
use vm_memory::{Address, Bytes, GuestAddress, GuestMemoryMmap};
use vmm_sys_util::eventfd::EventFd;

pub(super) fn inc(c: &AtomicU64, by: u64) {
    c.fetch_add(by, Ordering::Relaxed);
}

/// One activated queue and what it needs to be used.
pub(super) struct QueueCtx {
    pub(super) mem: GuestMemoryMmap,
    pub(super) q: Queue,
    pub(super) irq: Arc<VirtioInterrupt>,
    /// Which queue this is (its own MSI-X vector on virtio-pci).
    pub(super) index: u16,
}

impl QueueCtx {
    pub(super) fn interrupt(&mut self) {
        if self.q.needs_notification(&self.mem).unwrap_or(true) {
            self.irq.signal_queue(self.index);
        }
    }
}

/// State the device shares with its I/O threads.
pub(super) struct Shared {
    pub(super) label: String,
    pub(super) mtu: u16,
    pub(super) rx: Mutex<Option<QueueCtx>>,
    /// Signalled when the guest posts RX buffers (or the device stops).
    pub(super) rx_posted: Condvar,
    pub(super) tx: Mutex<Option<QueueCtx>>,
    pub(super) tx_kick: EventFd,
    /// For the config-change interrupt when the link goes down.
    pub(super) irq: Mutex<Option<Arc<VirtioInterrupt>>>,
    pub(super) acked_mtu: AtomicBool,
    /// [`RX_BUFFER_WAIT`] unless changed (tests).
    pub(super) rx_wait_us: AtomicU64,
    pub(super) stop: AtomicBool,
    /// While set (VM paused, e.g. for a snapshot) the I/O threads leave the queues alone:
    /// received frames wait in the socket, TX chains in the ring.
    pub(super) paused: AtomicBool,
    /// The guest's MAC, for [`announce_frame`].
    pub(super) mac: [u8; 6],
    /// Set by a restore: the TX thread sends [`announce_frame`] before the guest's next frames.
    pub(super) announce: AtomicBool,
    pub(super) stats: Arc<NetStats>,
    /// `VMDESK_NET_PCAP=<file>`: every frame both ways, for debugging a guest's network.
    pub(super) pcap: Option<Mutex<std::fs::File>>,
}

/// Opens `$VMDESK_NET_PCAP` (suffixed with the NIC's label) as a pcap file, if set. Written by
/// hand (a 24-byte header and a 16-byte one per frame) rather than with a pcap crate: that is
/// all of the format this needs.
pub(super) fn open_pcap(label: &str) -> Option<Mutex<std::fs::File>> {
    open_pcap_at(std::env::var_os("VMDESK_NET_PCAP")?, label)
}

pub(super) fn open_pcap_at(base: std::ffi::OsString, label: &str) -> Option<Mutex<std::fs::File>> {
    let path = format!("{}.{label}", base.to_string_lossy());
    let mut f = std::fs::File::create(&path)
        .map_err(|e| crate::log_line!("vmdesk-vmm: VMDESK_NET_PCAP: {path}: {e}"))
        .ok()?;
    // Classic pcap, microsecond stamps, Ethernet.
    // (magic, version 2.4 as two u16s, zone, sigfigs, snaplen, link type)
    let mut h = Vec::with_capacity(24);
    h.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    h.extend_from_slice(&2u16.to_le_bytes());
    h.extend_from_slice(&4u16.to_le_bytes());
    for v in [0u32, 0, 65535, 1] {
        h.extend_from_slice(&v.to_le_bytes());
    }
    let _ = f.write_all(&h);
    Some(Mutex::new(f))
}

impl Shared {
    pub(super) fn pcap(&self, frame: &[u8]) {
        if let Some(f) = &self.pcap {
            pcap_write(f, frame);
        }
    }
}

pub(super) fn pcap_write(f: &Mutex<std::fs::File>, frame: &[u8]) {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let mut rec = Vec::with_capacity(16 + frame.len());
    for v in [
        t.as_secs() as u32,
        t.subsec_micros(),
        frame.len() as u32,
        frame.len() as u32,
    ] {
        rec.extend_from_slice(&v.to_le_bytes());
    }
    rec.extend_from_slice(frame);
    let _ = lock(f).write_all(&rec);
}

impl Shared {
    /// The backend is gone: link down, tell the guest, say why once.
    pub(super) fn backend_gone(&self, why: &str) {
        if self.stop.load(Ordering::SeqCst) {
            return;
        }
        if self.stats.link_up.swap(false, Ordering::SeqCst) {
            crate::log_line!(
                "vmdesk-vmm: warning: {}: network backend gone ({why}); link down",
                self.label
            );
            if let Some(irq) = lock(&self.irq).as_ref() {
                irq.signal(INT_CONFIG);
            }
        }
    }

    /// Puts one received frame (`packet` = room for the header + the frame) into the guest.
    pub(super) fn deliver(&self, packet: &mut [u8]) {
        let frame_len = packet.len() - NET_HDR_LEN;
        let max = if self.acked_mtu.load(Ordering::Relaxed) {
            usize::from(self.mtu) + MIN_FRAME_LEN
        } else {
            MAX_FRAME_LEN
        };
        if frame_len > max {
            inc(&self.stats.rx_dropped_too_big, 1);
            return;
        }
        if frame_len < MIN_FRAME_LEN {
            return;
        }
        self.pcap(&packet[NET_HDR_LEN..]);
        packet[..NET_HDR_LEN].fill(0);
        packet[NET_HDR_LEN - 2..NET_HDR_LEN].copy_from_slice(&1u16.to_le_bytes());

        let wait = Duration::from_micros(self.rx_wait_us.load(Ordering::Relaxed));
        let mut deadline = Instant::now() + wait;
        let mut g = lock(&self.rx);
        loop {
            if self.paused.load(Ordering::SeqCst) && !self.stop.load(Ordering::SeqCst) {
                g = self.rx_posted.wait(g).unwrap_or_else(|e| e.into_inner());
                deadline = Instant::now() + wait;
                continue;
            }
            let Some(ctx) = g.as_mut() else {
                inc(&self.stats.rx_dropped_inactive, 1);
                return;
            };
            let Some(chain) = ctx.q.pop_descriptor_chain(&ctx.mem) else {
                let now = Instant::now();
                if now >= deadline || self.stop.load(Ordering::SeqCst) {
                    inc(&self.stats.rx_dropped_no_buffer, 1);
                    return;
                }
                g = self
                    .rx_posted
                    .wait_timeout(g, deadline - now)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
                continue;
            };
            let head = chain.head_index();
            match write_rx_chain(&ctx.mem, chain, packet) {
                Ok(()) => {
                    if ctx.q.add_used(&ctx.mem, head, packet.len() as u32).is_err() {
                        inc(&self.stats.malformed_chains, 1);
                    }
                    inc(&self.stats.rx_frames, 1);
                    inc(&self.stats.rx_bytes, frame_len as u64);
                    ctx.interrupt();
                    return;
                }
                Err(ChainError::TooSmall) => {
                    // Keep the buffer for a frame that fits.
                    ctx.q.go_to_previous_position();
                    inc(&self.stats.rx_dropped_too_big, 1);
                    return;
                }
                Err(ChainError::Malformed) => {
                    // Give the chain back empty and try the next one.
                    inc(&self.stats.malformed_chains, 1);
                    if ctx.q.add_used(&ctx.mem, head, 0).is_err() {
                        inc(&self.stats.malformed_chains, 1);
                    }
                    ctx.interrupt();
                }
            }
        }
    }

    /// Takes up to [`TX_BATCH`] chains off the TX ring and appends their frames, framed, to
    /// `out`. Returns how many chains it took (0: the ring is empty or inactive).
    pub(super) fn collect_tx(&self, out: &mut Vec<u8>, scratch: &mut Vec<u8>) -> (usize, u64) {
        let mut g = lock(&self.tx);
        if self.paused.load(Ordering::SeqCst) {
            return (0, 0);
        }
        let Some(ctx) = g.as_mut() else {
            return (0, 0);
        };
        let mut taken = 0;
        let mut frames = 0;
        while taken < TX_BATCH {
            let Some(chain) = ctx.q.pop_descriptor_chain(&ctx.mem) else {
                break;
            };
            let head = chain.head_index();
            match read_tx_chain(&ctx.mem, chain, scratch) {
                Ok(()) if scratch.len() >= MIN_FRAME_LEN => {
                    self.pcap(scratch);
                    frame::encode_into(scratch, out).expect("length checked by read_tx_chain");
                    frames += 1;
                }
                _ => inc(&self.stats.malformed_chains, 1),
            }
            if ctx.q.add_used(&ctx.mem, head, 0).is_err() {
                inc(&self.stats.malformed_chains, 1);
            }
            taken += 1;
        }
        if taken > 0 {
            ctx.interrupt();
        }
        (taken, frames)
    }
}

#[derive(Debug, PartialEq, Eq)]
pub(super) enum ChainError {
    TooSmall,
    Malformed,
}

/// Writes `packet` across the chain's buffers; all must be device-writable.
pub(super) fn write_rx_chain(
    mem: &GuestMemoryMmap,
    chain: DescriptorChain<&GuestMemoryMmap>,
    packet: &[u8],
) -> Result<(), ChainError> {
    let mut bufs: Vec<(GuestAddress, usize)> = Vec::new();
    let mut room = 0usize;
    for d in chain {
        if !d.is_write_only() {
            return Err(ChainError::Malformed);
        }
        bufs.push((d.addr(), d.len() as usize));
        room = room.saturating_add(d.len() as usize);
    }
    if room < packet.len() {
        return Err(ChainError::TooSmall);
    }
    let mut rest = packet;
    for (addr, len) in bufs {
        if rest.is_empty() {
            break;
        }
        let n = len.min(rest.len());
        mem.write_slice(&rest[..n], addr)
            .map_err(|_| ChainError::Malformed)?;
        rest = &rest[n..];
    }
    Ok(())
}

/// Reads the frame of a TX chain into `out`, without the virtio-net header.
pub(super) fn read_tx_chain(
    mem: &GuestMemoryMmap,
    chain: DescriptorChain<&GuestMemoryMmap>,
    out: &mut Vec<u8>,
) -> Result<(), ChainError> {
    out.clear();
    let mut total = 0usize;
    let mut skip = NET_HDR_LEN;
    for d in chain {
        if d.is_write_only() {
            return Err(ChainError::Malformed);
        }
        let len = d.len() as usize;
        total += len;
        if total > NET_HDR_LEN + MAX_FRAME_LEN {
            return Err(ChainError::Malformed);
        }
        if skip >= len {
            skip -= len;
            continue;
        }
        let addr = d
            .addr()
            .checked_add(skip as u64)
            .ok_or(ChainError::Malformed)?;
        let at = out.len();
        out.resize(at + len - skip, 0);
        mem.read_slice(&mut out[at..], addr)
            .map_err(|_| ChainError::Malformed)?;
        skip = 0;
    }
    if total < NET_HDR_LEN {
        return Err(ChainError::Malformed);
    }
    Ok(())
}

pub(super) fn rx_loop(shared: Arc<Shared>, stream: UnixStream) {
    let mut reader = FrameReader::new(stream);
    let mut packet = Vec::with_capacity(NET_HDR_LEN + MAX_FRAME_LEN);
    loop {
        match reader.read_frame(&mut packet, NET_HDR_LEN) {
            Ok(ReadFrame::Frame(_)) => shared.deliver(&mut packet),
            Ok(ReadFrame::Skipped(_)) => inc(&shared.stats.rx_dropped_too_big, 1),
            Ok(ReadFrame::Eof) => return shared.backend_gone("it closed the connection"),
            Err(e) => return shared.backend_gone(&e.to_string()),
        }
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
    }
}

/// What QEMU sends for a NIC after a migration or a loadvm (`qemu_announce_self`): a broadcast
/// RARP request from and about the guest's MAC, padded to Ethernet's 60-byte minimum. A backend
/// started for a restored VM has not seen the guest's MAC yet, and the restored guest may not
/// send a frame for a long time (a server only listens): Debian 12's passt then addresses
/// what it forwards to the guest to 00:00:00:00:00:00, which the guest drops. This frame
/// teaches it (passt learns the MAC from any frame's source); libslirp ignores it.
pub(super) fn announce_frame(mac: [u8; 6]) -> [u8; 60] {
    let mut f = [0u8; 60];
    f[..6].copy_from_slice(&[0xff; 6]);
    f[6..12].copy_from_slice(&mac);
    f[12..14].copy_from_slice(&0x8035u16.to_be_bytes()); // RARP
    f[14..16].copy_from_slice(&1u16.to_be_bytes()); // hardware: Ethernet
    f[16..18].copy_from_slice(&0x0800u16.to_be_bytes()); // protocol: IPv4
    f[18] = 6;
    f[19] = 4;
    f[20..22].copy_from_slice(&3u16.to_be_bytes()); // reverse request
    f[22..28].copy_from_slice(&mac); // sender MAC (its IP, 0, follows)
    f[32..38].copy_from_slice(&mac); // target MAC (its IP, 0, follows)
    f
}

pub(super) fn tx_loop(shared: Arc<Shared>, mut stream: UnixStream) {
    let mut out = Vec::new();
    let mut scratch = Vec::with_capacity(MAX_FRAME_LEN);
    loop {
        // A failed read cannot happen on a valid eventfd; stop rather than spin.
        if shared.tx_kick.read().is_err() || shared.stop.load(Ordering::SeqCst) {
            return;
        }
        // Sent from this thread, the only writer of the stream, so frames never interleave.
        if !shared.paused.load(Ordering::SeqCst)
            && shared.stats.link_up.load(Ordering::SeqCst)
            && shared.announce.swap(false, Ordering::SeqCst)
        {
            let f = announce_frame(shared.mac);
            if let Some(p) = &shared.pcap {
                pcap_write(p, &f);
            }
            if let Err(e) = frame::write_frame(&mut stream, &f) {
                shared.backend_gone(&e.to_string());
            }
        }
        loop {
            out.clear();
            let (taken, frames) = shared.collect_tx(&mut out, &mut scratch);
            if taken == 0 {
                break;
            }
            if frames == 0 {
                continue;
            }
            if !shared.stats.link_up.load(Ordering::SeqCst) {
                inc(&shared.stats.tx_dropped, frames);
                continue;
            }
            match stream.write_all(&out) {
                Ok(()) => {
                    inc(&shared.stats.tx_frames, frames);
                    inc(&shared.stats.tx_bytes, out.len() as u64 - 4 * frames);
                }
                Err(e) => {
                    inc(&shared.stats.tx_dropped, frames);
                    shared.backend_gone(&e.to_string());
                }
            }
            if shared.stop.load(Ordering::SeqCst) {
                return;
            }
        }
    }
}
