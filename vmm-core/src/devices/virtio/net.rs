//! virtio-net (virtio spec 5.1) on a stream-framed backend: passt's Unix socket (see
//! [`crate::net`]), or any connected stream that speaks the same framing.
//!
//! Guest-visible contract:
//! - features: `VIRTIO_F_VERSION_1`, `VIRTIO_NET_F_MAC`, `VIRTIO_NET_F_STATUS`,
//!   `VIRTIO_NET_F_MTU`; no offloads, no mergeable RX buffers, one queue pair.
//! - config space: `mac[6]` at 0, `status` (u16 LE, bit 0 = link up) at 6,
//!   `max_virtqueue_pairs` = 1 at 8, `mtu` (u16 LE) at 10.
//! - queue 0 receives, queue 1 transmits; every buffer starts with the 12-byte
//!   `virtio_net_hdr_v1`. On RX it is all zero except `num_buffers` = 1; on TX it is skipped.
//! - RX: each frame goes whole into one descriptor chain of device-writable descriptors; a
//!   frame that does not fit the next chain is dropped and the chain stays for the next frame.
//!   When the guest posts no buffers the frame waits up to [`RX_BUFFER_WAIT`] and is dropped.
//! - TX: chains of device-readable descriptors, header + frame, at most 12 + 65535 bytes.
//!   Anything else is counted as malformed, put in the used ring with length 0, and not sent.
//!
//! Threads: a vCPU's queue notify only wakes the device's two I/O threads; the TX thread writes
//! frames to the backend, the RX thread reads them and fills RX buffers. If the backend goes
//! away (passt exited) the link goes down and the guest gets a config-change interrupt.

use super::{
    decode, device_type, encode, QueueSnap, VirtioDevice, VirtioInterrupt, INT_CONFIG,
    INT_USED_RING, VIRTIO_F_VERSION_1,
};
use crate::devices::lock;
use crate::net::frame::{self, FrameReader, ReadFrame, MAX_FRAME_LEN};
use std::io::Write;
use std::net::Shutdown;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use virtio_queue::{DescriptorChain, Queue, QueueOwnedT, QueueT};
use vm_memory::{Address, Bytes, GuestAddress, GuestMemoryMmap};
use vmm_sys_util::eventfd::EventFd;

pub const VIRTIO_NET_F_MTU: u64 = 1 << 3;
pub const VIRTIO_NET_F_MAC: u64 = 1 << 5;
pub const VIRTIO_NET_F_STATUS: u64 = 1 << 16;
pub const VIRTIO_NET_S_LINK_UP: u16 = 1;
/// `virtio_net_hdr_v1`: flags, gso_type, hdr_len, gso_size, csum_start, csum_offset,
/// num_buffers.
pub const NET_HDR_LEN: usize = 12;
pub const RX_QUEUE: u16 = 0;
pub const TX_QUEUE: u16 = 1;
pub const QUEUE_SIZE: u16 = 256;
/// The MTU announced in config space (and handed to passt for its DHCP answers).
pub const DEFAULT_MTU: u16 = 1500;
/// Shorter than an Ethernet header: nothing anyone could use.
const MIN_FRAME_LEN: usize = 14;
/// How long a received frame waits for the guest to post an RX buffer before it is dropped.
pub const RX_BUFFER_WAIT: Duration = Duration::from_millis(20);
/// TX chains taken from the ring per lock; their frames then go out in one write.
const TX_BATCH: usize = 64;

/// Traffic and error counters of one NIC, readable from any thread.
#[derive(Debug, Default)]
pub struct NetStats {
    pub tx_frames: AtomicU64,
    pub tx_bytes: AtomicU64,
    /// Frames the guest sent while the backend was gone.
    pub tx_dropped: AtomicU64,
    pub rx_frames: AtomicU64,
    pub rx_bytes: AtomicU64,
    /// Frames dropped because the guest had posted no RX buffer in time.
    pub rx_dropped_no_buffer: AtomicU64,
    /// Frames dropped because they did not fit the guest's buffer, exceeded the MTU or the
    /// framing's maximum.
    pub rx_dropped_too_big: AtomicU64,
    /// Frames that arrived while the driver had not (or no longer) activated the device.
    pub rx_dropped_inactive: AtomicU64,
    /// Descriptor chains refused as malformed (both queues).
    pub malformed_chains: AtomicU64,
    pub link_up: AtomicBool,
}

impl NetStats {
    /// A copy for the control API.
    pub fn snapshot(&self) -> crate::api::NicCounters {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        crate::api::NicCounters {
            tx_frames: g(&self.tx_frames),
            tx_bytes: g(&self.tx_bytes),
            tx_dropped: g(&self.tx_dropped),
            rx_frames: g(&self.rx_frames),
            rx_bytes: g(&self.rx_bytes),
            rx_dropped_no_buffer: g(&self.rx_dropped_no_buffer),
            rx_dropped_too_big: g(&self.rx_dropped_too_big),
            rx_dropped_inactive: g(&self.rx_dropped_inactive),
            malformed_chains: g(&self.malformed_chains),
            link_up: self.link_up.load(Ordering::Relaxed),
        }
    }
}

fn inc(c: &AtomicU64, by: u64) {
    c.fetch_add(by, Ordering::Relaxed);
}

/// One activated queue and what it needs to be used.
struct QueueCtx {
    mem: GuestMemoryMmap,
    q: Queue,
    irq: Arc<VirtioInterrupt>,
}

impl QueueCtx {
    fn interrupt(&mut self) {
        if self.q.needs_notification(&self.mem).unwrap_or(true) {
            self.irq.signal(INT_USED_RING);
        }
    }
}

/// State the device shares with its I/O threads.
struct Shared {
    label: String,
    mtu: u16,
    rx: Mutex<Option<QueueCtx>>,
    /// Signalled when the guest posts RX buffers (or the device stops).
    rx_posted: Condvar,
    tx: Mutex<Option<QueueCtx>>,
    tx_kick: EventFd,
    /// For the config-change interrupt when the link goes down.
    irq: Mutex<Option<Arc<VirtioInterrupt>>>,
    acked_mtu: AtomicBool,
    /// [`RX_BUFFER_WAIT`] unless changed (tests).
    rx_wait_us: AtomicU64,
    stop: AtomicBool,
    /// While set (VM paused, e.g. for a snapshot) the I/O threads leave the queues alone:
    /// received frames wait in the socket, TX chains in the ring.
    paused: AtomicBool,
    stats: Arc<NetStats>,
    /// `VMDESK_NET_PCAP=<file>`: every frame both ways, for debugging a guest's network.
    pcap: Option<Mutex<std::fs::File>>,
}

/// Opens `$VMDESK_NET_PCAP` (suffixed with the NIC's label) as a pcap file, if set. Written by
/// hand (a 24-byte header and a 16-byte one per frame) rather than with a pcap crate: that is
/// all of the format this needs.
fn open_pcap(label: &str) -> Option<Mutex<std::fs::File>> {
    open_pcap_at(std::env::var_os("VMDESK_NET_PCAP")?, label)
}

fn open_pcap_at(base: std::ffi::OsString, label: &str) -> Option<Mutex<std::fs::File>> {
    let path = format!("{}.{label}", base.to_string_lossy());
    let mut f = std::fs::File::create(&path)
        .map_err(|e| eprintln!("vmdesk-vmm: VMDESK_NET_PCAP: {path}: {e}"))
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
    fn pcap(&self, frame: &[u8]) {
        if let Some(f) = &self.pcap {
            pcap_write(f, frame);
        }
    }
}

fn pcap_write(f: &Mutex<std::fs::File>, frame: &[u8]) {
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
    fn backend_gone(&self, why: &str) {
        if self.stop.load(Ordering::SeqCst) {
            return;
        }
        if self.stats.link_up.swap(false, Ordering::SeqCst) {
            eprintln!(
                "vmdesk-vmm: warning: {}: network backend gone ({why}); link down",
                self.label
            );
            if let Some(irq) = lock(&self.irq).as_ref() {
                irq.signal(INT_CONFIG);
            }
        }
    }

    /// Puts one received frame (`packet` = room for the header + the frame) into the guest.
    fn deliver(&self, packet: &mut [u8]) {
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
    fn collect_tx(&self, out: &mut Vec<u8>, scratch: &mut Vec<u8>) -> (usize, u64) {
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
enum ChainError {
    TooSmall,
    Malformed,
}

/// Writes `packet` across the chain's buffers; all must be device-writable.
fn write_rx_chain(
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
fn read_tx_chain(
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

/// Something the device keeps alive with it (the passt process).
pub type BackendGuard = Box<dyn Send>;

/// A virtio-net device on a connected stream socket.
pub struct Net {
    mac: [u8; 6],
    shared: Arc<Shared>,
    stream: UnixStream,
    threads: Vec<JoinHandle<()>>,
    guard: Option<BackendGuard>,
}

impl Net {
    /// Starts the device's I/O threads on `stream` (framed as in [`crate::net::frame`]);
    /// `guard` is dropped after them (e.g. the passt process, killed on drop). `label` names the
    /// NIC in warnings (`nics[0]`).
    pub fn new(
        mac: [u8; 6],
        mtu: u16,
        stream: UnixStream,
        guard: Option<BackendGuard>,
        label: &str,
    ) -> std::io::Result<Net> {
        let stats = Arc::new(NetStats::default());
        stats.link_up.store(true, Ordering::SeqCst);
        let shared = Arc::new(Shared {
            label: label.to_string(),
            mtu,
            rx: Mutex::new(None),
            rx_posted: Condvar::new(),
            tx: Mutex::new(None),
            tx_kick: EventFd::new(0)?,
            irq: Mutex::new(None),
            acked_mtu: AtomicBool::new(false),
            rx_wait_us: AtomicU64::new(RX_BUFFER_WAIT.as_micros() as u64),
            stop: AtomicBool::new(false),
            paused: AtomicBool::new(false),
            stats,
            pcap: open_pcap(label),
        });
        let mut net = Net {
            mac,
            shared: shared.clone(),
            stream: stream.try_clone()?,
            threads: Vec::new(),
            guard,
        };
        let rx_stream = stream.try_clone()?;
        let s = shared.clone();
        net.threads.push(
            std::thread::Builder::new()
                .name(format!("{label}-rx"))
                .spawn(move || rx_loop(s, rx_stream))?,
        );
        net.threads.push(
            std::thread::Builder::new()
                .name(format!("{label}-tx"))
                .spawn(move || tx_loop(shared, stream))?,
        );
        Ok(net)
    }

    pub fn mac(&self) -> [u8; 6] {
        self.mac
    }

    pub fn stats(&self) -> Arc<NetStats> {
        self.shared.stats.clone()
    }

    /// Stops (true) or restarts (false) all queue processing. Once this returns with true, the
    /// I/O threads no longer touch guest memory or the queues, so the device state and guest
    /// memory can be saved consistently; nothing is lost meanwhile (frames wait in the socket,
    /// chains in the TX ring).
    pub fn set_paused(&self, paused: bool) {
        let sh = &self.shared;
        sh.paused.store(paused, Ordering::SeqCst);
        // Taking each lock waits out an operation in progress.
        drop(lock(&sh.tx));
        {
            let _g = lock(&sh.rx);
            sh.rx_posted.notify_all();
        }
        if !paused {
            let _ = sh.tx_kick.write(1);
        }
    }

    /// How long a received frame waits for an RX buffer (default [`RX_BUFFER_WAIT`]).
    pub fn set_rx_buffer_wait(&self, wait: Duration) {
        self.shared
            .rx_wait_us
            .store(wait.as_micros() as u64, Ordering::Relaxed);
    }

    fn config_space(&self) -> [u8; 12] {
        let mut c = [0u8; 12];
        c[..6].copy_from_slice(&self.mac);
        let status = if self.shared.stats.link_up.load(Ordering::SeqCst) {
            VIRTIO_NET_S_LINK_UP
        } else {
            0
        };
        c[6..8].copy_from_slice(&status.to_le_bytes());
        c[8..10].copy_from_slice(&1u16.to_le_bytes());
        c[10..12].copy_from_slice(&self.shared.mtu.to_le_bytes());
        c
    }

    fn install(&mut self, rx: Queue, tx: Queue, mem: GuestMemoryMmap, irq: Arc<VirtioInterrupt>) {
        *lock(&self.shared.irq) = Some(irq.clone());
        *lock(&self.shared.tx) = Some(QueueCtx {
            mem: mem.clone(),
            q: tx,
            irq: irq.clone(),
        });
        *lock(&self.shared.rx) = Some(QueueCtx { mem, q: rx, irq });
        // Chains posted before activation (or before a snapshot) get handled now.
        self.queue_notify(RX_QUEUE);
        self.queue_notify(TX_QUEUE);
    }
}

fn rx_loop(shared: Arc<Shared>, stream: UnixStream) {
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

fn tx_loop(shared: Arc<Shared>, mut stream: UnixStream) {
    let mut out = Vec::new();
    let mut scratch = Vec::with_capacity(MAX_FRAME_LEN);
    loop {
        // A failed read cannot happen on a valid eventfd; stop rather than spin.
        if shared.tx_kick.read().is_err() || shared.stop.load(Ordering::SeqCst) {
            return;
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

impl VirtioDevice for Net {
    fn device_type(&self) -> u32 {
        device_type::NET
    }
    fn queue_max_sizes(&self) -> &[u16] {
        &[QUEUE_SIZE, QUEUE_SIZE]
    }
    fn features(&self) -> u64 {
        VIRTIO_F_VERSION_1 | VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS | VIRTIO_NET_F_MTU
    }
    fn read_config(&self, offset: u64, data: &mut [u8]) {
        let c = self.config_space();
        for (i, b) in data.iter_mut().enumerate() {
            *b = usize::try_from(offset)
                .ok()
                .and_then(|o| o.checked_add(i))
                .and_then(|o| c.get(o).copied())
                .unwrap_or(0);
        }
    }
    fn activate(
        &mut self,
        mem: GuestMemoryMmap,
        queues: Vec<Queue>,
        acked_features: u64,
        irq: Arc<VirtioInterrupt>,
    ) -> Result<(), String> {
        let [rx, tx]: [Queue; 2] = queues
            .try_into()
            .map_err(|_| "virtio-net needs two queues".to_string())?;
        self.shared
            .acked_mtu
            .store(acked_features & VIRTIO_NET_F_MTU != 0, Ordering::SeqCst);
        self.install(rx, tx, mem, irq);
        Ok(())
    }
    fn queue_notify(&mut self, index: u16) {
        match index {
            RX_QUEUE => {
                // Taking the lock orders this with the RX thread's check-then-wait.
                let _g = lock(&self.shared.rx);
                self.shared.rx_posted.notify_all();
            }
            TX_QUEUE => {
                let _ = self.shared.tx_kick.write(1);
            }
            _ => {}
        }
    }
    fn reset(&mut self) {
        *lock(&self.shared.rx) = None;
        *lock(&self.shared.tx) = None;
        *lock(&self.shared.irq) = None;
        self.shared.acked_mtu.store(false, Ordering::SeqCst);
    }
    fn malformed_chains(&self) -> u64 {
        self.shared.stats.malformed_chains.load(Ordering::Relaxed)
    }
    fn pause(&mut self) {
        self.set_paused(true);
    }
    fn resume(&mut self) {
        self.set_paused(false);
    }
    fn save_state(&self) -> Result<Vec<u8>, String> {
        let rx = lock(&self.shared.rx).as_ref().map(|c| QueueSnap::of(&c.q));
        let tx = lock(&self.shared.tx).as_ref().map(|c| QueueSnap::of(&c.q));
        let queues = rx.zip(tx);
        encode(&(queues, self.shared.acked_mtu.load(Ordering::SeqCst)))
    }
    fn restore_state(
        &mut self,
        state: &[u8],
        mem: GuestMemoryMmap,
        irq: Arc<VirtioInterrupt>,
    ) -> Result<(), String> {
        let (queues, acked_mtu): (Option<(QueueSnap, QueueSnap)>, bool) = decode(state)?;
        self.reset();
        if let Some((rx, tx)) = queues {
            self.shared.acked_mtu.store(acked_mtu, Ordering::SeqCst);
            self.install(rx.to_queue()?, tx.to_queue()?, mem, irq);
        }
        Ok(())
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        let _ = self.stream.shutdown(Shutdown::Both);
        let _ = self.shared.tx_kick.write(1);
        {
            let _g = lock(&self.shared.rx);
            self.shared.rx_posted.notify_all();
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        drop(self.guard.take());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use vm_memory::GuestAddress;

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
        assert!(!state.is_empty());
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
        net2.restore_state(&state, r.drv.mem.clone(), irq).unwrap();
        let h = r.drv.post(1, &[(0x10000, 72, false)]);
        net2.queue_notify(TX_QUEUE);
        assert_eq!(read_frame(&mut peer), eth_frame(60, 8));
        assert_eq!(r.drv.wait_used(1, 1), [(h, 0)]);
        assert!(net2
            .restore_state(b"junk", r.drv.mem.clone(), r.irq.clone())
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
}
