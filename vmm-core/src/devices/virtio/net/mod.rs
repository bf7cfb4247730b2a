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
    device_type, Attachment, DeviceState, QueueState, VirtioDevice, VirtioInterrupt,
    VIRTIO_F_VERSION_1,
};
use crate::devices::Persist;
use crate::util::lock;

use std::net::Shutdown;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;
use virtio_queue::Queue;
use vm_memory::GuestMemoryMmap;
use vmm_sys_util::eventfd::EventFd;

mod datapath;

use datapath::{open_pcap, rx_loop, tx_loop, QueueCtx, Shared};

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
pub use crate::net::DEFAULT_MTU;
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
            mac,
            announce: AtomicBool::new(false),
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
                .spawn(move || {
                    crate::sandbox::confine(crate::sandbox::ThreadKind::Net);
                    rx_loop(s, rx_stream)
                })?,
        );
        net.threads.push(
            std::thread::Builder::new()
                .name(format!("{label}-tx"))
                .spawn(move || {
                    crate::sandbox::confine(crate::sandbox::ThreadKind::Net);
                    tx_loop(shared, stream)
                })?,
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
            index: TX_QUEUE,
        });
        *lock(&self.shared.rx) = Some(QueueCtx {
            mem,
            q: rx,
            irq,
            index: RX_QUEUE,
        });
        // Chains posted before activation (or before a snapshot) get handled now.
        self.queue_notify(RX_QUEUE);
        self.queue_notify(TX_QUEUE);
    }
}

/// The fuzz harness's way into the data path without threads or a socket: takes every TX
/// chain (returning the frames as they would go to the backend, framed), then delivers the
/// frames of `backend` (a backend's byte stream) into the RX queue, waiting for no buffer.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn serve_now(
    mem: GuestMemoryMmap,
    rx: Queue,
    tx: Queue,
    acked_mtu: bool,
    irq: Arc<VirtioInterrupt>,
    backend: &[u8],
) -> (Vec<u8>, Arc<NetStats>) {
    use crate::net::frame::{FrameReader, ReadFrame, MAX_FRAME_LEN};
    let stats = Arc::new(NetStats::default());
    stats.link_up.store(true, Ordering::SeqCst);
    let ctx = |q, index| QueueCtx {
        mem: mem.clone(),
        q,
        irq: irq.clone(),
        index,
    };
    let shared = Shared {
        label: "fuzz".into(),
        mtu: DEFAULT_MTU,
        rx: Mutex::new(Some(ctx(rx, RX_QUEUE))),
        rx_posted: Condvar::new(),
        tx: Mutex::new(Some(ctx(tx, TX_QUEUE))),
        tx_kick: EventFd::new(libc::EFD_NONBLOCK).expect("an eventfd"),
        irq: Mutex::new(Some(irq.clone())),
        acked_mtu: AtomicBool::new(acked_mtu),
        rx_wait_us: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        paused: AtomicBool::new(false),
        mac: [0x52, 0x54, 0, 0x12, 0x34, 0x56],
        announce: AtomicBool::new(false),
        stats: stats.clone(),
        pcap: None,
    };
    let (mut out, mut scratch) = (Vec::new(), Vec::new());
    // A ring holds at most 2^15 chains; a driver that keeps the avail index ahead cannot
    // make this loop forever either (each pass takes chains or ends it).
    for _ in 0..1024 {
        if shared.collect_tx(&mut out, &mut scratch).0 == 0 {
            break;
        }
    }
    let mut reader = FrameReader::new(backend);
    let mut packet = Vec::with_capacity(NET_HDR_LEN + MAX_FRAME_LEN);
    loop {
        match reader.read_frame(&mut packet, NET_HDR_LEN) {
            Ok(ReadFrame::Frame(_)) => shared.deliver(&mut packet),
            Ok(ReadFrame::Skipped(_)) => {}
            Ok(ReadFrame::Eof) | Err(_) => break,
        }
    }
    (out, stats)
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
    fn save_state(&self) -> Result<DeviceState, String> {
        self.save().map(DeviceState::Net)
    }
    fn restore_state(
        &mut self,
        state: &DeviceState,
        mem: GuestMemoryMmap,
        irq: Arc<VirtioInterrupt>,
    ) -> Result<(), String> {
        match state {
            DeviceState::Net(s) => self.restore(s, Attachment { mem, irq }),
            other => Err(other.mismatch("virtio-net")),
        }
    }
}

/// virtio-net in a snapshot: its queues if the driver activated the device, and whether it
/// acked the MTU feature. Frames in flight stay in passt's socket.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NetState {
    pub queues: Option<NetQueues>,
    pub acked_mtu: bool,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NetQueues {
    pub rx: QueueState,
    pub tx: QueueState,
}

impl Persist for Net {
    type State = NetState;
    type Args = Attachment;

    fn save(&self) -> Result<NetState, String> {
        let rx = lock(&self.shared.rx).as_ref().map(|c| QueueState::of(&c.q));
        let tx = lock(&self.shared.tx).as_ref().map(|c| QueueState::of(&c.q));
        Ok(NetState {
            queues: rx.zip(tx).map(|(rx, tx)| NetQueues { rx, tx }),
            acked_mtu: self.shared.acked_mtu.load(Ordering::SeqCst),
        })
    }

    fn restore(&mut self, s: &NetState, a: Attachment) -> Result<(), String> {
        self.reset();
        if let Some(q) = &s.queues {
            self.shared.acked_mtu.store(s.acked_mtu, Ordering::SeqCst);
            // A driver that was using the NIC: the backend (new after `--restore`) must learn
            // the guest's MAC before the guest sends again (`announce_frame`). install's TX
            // kick, or the resume's, sends it.
            self.shared.announce.store(true, Ordering::SeqCst);
            self.install(q.rx.to_queue()?, q.tx.to_queue()?, a.mem, a.irq);
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
mod tests;
