//! virtio-blk (virtio spec 5.2): a disk backed by a raw or qcow2 image ([`crate::storage`]).
//!
//! # Guest-visible contract
//!
//! - One request queue of [`QUEUE_SIZE`] entries.
//! - Features offered: `VIRTIO_F_VERSION_1`, `VIRTIO_RING_F_INDIRECT_DESC`, `SIZE_MAX`,
//!   `SEG_MAX`, `FLUSH`; `RO` for read-only disks; `DISCARD` and `WRITE_ZEROES` for writable
//!   raw and qcow2 v3 images.
//! - Config space: `capacity` (512-byte sectors), `size_max` = [`SIZE_MAX`], `seg_max` =
//!   [`SEG_MAX`], `num_queues` = 1; with DISCARD/WRITE_ZEROES: `max_discard_sectors`,
//!   `max_write_zeroes_sectors` = [`MAX_DISCARD_SECTORS`], one segment each,
//!   `discard_sector_alignment` (qcow2 cluster or filesystem block, in sectors),
//!   `write_zeroes_may_unmap` = 1. Everything else reads as zero.
//! - A request moves at most [`MAX_REQUEST_BYTES`] (= seg_max × size_max) of data and uses at
//!   most seg_max + 2 descriptors; larger ones complete with `IOERR`.
//! - Requests: `IN`, `OUT`, `FLUSH`, `GET_ID` (the disk's serial, 20 bytes, NUL-padded),
//!   `DISCARD`, `WRITE_ZEROES`; others complete with `UNSUPP`.
//! - Write caching: if the driver acks `FLUSH`, writes complete once in the host's page cache
//!   and a flush puts everything on stable storage (imago flush + fsync) before its used entry
//!   is published. Without `FLUSH` every write is flushed before it completes (write-through).
//! - Errors: a write, discard or write-zeroes to a read-only disk, a request beyond the disk's
//!   end, and an I/O error complete with `IOERR`; a host I/O error (ENOSPC, EIO) also leaves
//!   a line in vmm.log naming the disk and the error, at most one per 10 s
//!   ([`super::io_error_log`]). Malformed chains (descriptors in the wrong direction, a short
//!   header, data not a multiple of 512 bytes, out-of-range sectors, oversized requests,
//!   memory outside guest RAM) complete with `IOERR` when the chain has a status byte (else
//!   with a zero-length used entry) and are counted in [`VirtioDevice::malformed_chains`].
//!   Nothing a guest sends can panic the VMM.
//!
//! # Threads
//!
//! `queue_notify` runs on a vCPU thread and only writes an eventfd. The disk's I/O thread
//! (started on activation) pops chains, does the I/O through imago straight from/into guest
//! memory (zero-copy), adds used entries and raises the interrupt; while it works, the driver's
//! kicks are suppressed (`VRING_USED_F_NO_NOTIFY`). Reset and pause stop it and wait for the
//! request in flight; pause keeps the queue for `resume`.
//!
//! # Snapshots
//!
//! [`BlockState`] keeps the queue and the acked features; the disk's contents at that instant
//! are kept by freezing its image: while the VM is paused, [`crate::snapshot`] puts a new
//! qcow2 overlay on the image a writable disk was writing and switches the device to it
//! ([`Block::replace_disk`]); the frozen image is never written again. A revert switches the
//! device to a fresh overlay on the snapshot's frozen image. Read-only disks stay as they are.
//! The features offered and the config space are fixed when the device is made: an overlay
//! supports everything its writable base did (qcow2 v3 discards and zeroes, at its own
//! cluster alignment — only a hint to the guest).

use super::io_error_log::IoErrorLog;
use super::{
    device_type, Attachment, DeviceState, QueueState, VirtioDevice, VirtioInterrupt, INT_USED_RING,
    VIRTIO_F_VERSION_1,
};
use crate::devices::Persist;
use crate::storage::{Disk, SERIAL_LEN};
use crate::util::lock;
use imago::io_buffers::{IoVector, IoVectorMut};
use std::io;
use std::os::unix::io::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;
use virtio_queue::desc::split::Descriptor;
use virtio_queue::{Queue, QueueOwnedT, QueueT};
use vm_memory::{Bytes, GuestAddress, GuestMemoryBackend, GuestMemoryMmap, VolatileSlice};
use vmm_sys_util::eventfd::EventFd;

pub const VIRTIO_BLK_F_SIZE_MAX: u64 = 1 << 1;
pub const VIRTIO_BLK_F_SEG_MAX: u64 = 1 << 2;
pub const VIRTIO_BLK_F_RO: u64 = 1 << 5;
pub const VIRTIO_BLK_F_FLUSH: u64 = 1 << 9;
pub const VIRTIO_BLK_F_DISCARD: u64 = 1 << 13;
pub const VIRTIO_BLK_F_WRITE_ZEROES: u64 = 1 << 14;
pub const VIRTIO_RING_F_INDIRECT_DESC: u64 = 1 << 28;

pub const VIRTIO_BLK_T_IN: u32 = 0;
pub const VIRTIO_BLK_T_OUT: u32 = 1;
pub const VIRTIO_BLK_T_FLUSH: u32 = 4;
pub const VIRTIO_BLK_T_GET_ID: u32 = 8;
pub const VIRTIO_BLK_T_DISCARD: u32 = 11;
pub const VIRTIO_BLK_T_WRITE_ZEROES: u32 = 13;

pub const VIRTIO_BLK_S_OK: u8 = 0;
pub const VIRTIO_BLK_S_IOERR: u8 = 1;
pub const VIRTIO_BLK_S_UNSUPP: u8 = 2;

/// Flag of a write-zeroes segment: the device may free the space.
pub const VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP: u32 = 1;

pub const SECTOR_SIZE: u64 = 512;
pub const QUEUE_SIZE: u16 = 256;
/// Largest data segment (one descriptor's worth of data).
pub const SIZE_MAX: u32 = 128 << 10;
/// Most data segments per request.
pub const SEG_MAX: u32 = 128;
/// Most data one request moves.
pub const MAX_REQUEST_BYTES: u64 = SEG_MAX as u64 * SIZE_MAX as u64;
/// Most sectors one discard or write-zeroes segment covers (2 GiB - 512: QEMU's limit too, so
/// one request never holds the disk for long).
pub const MAX_DISCARD_SECTORS: u32 = (1 << 22) - 1;
/// Segments per discard / write-zeroes request.
pub const MAX_DISCARD_SEG: u32 = 1;

const HEADER_LEN: u64 = 16;
const DISCARD_SEGMENT_LEN: u64 = 16;
/// Length of the config space we fill (up to write_zeroes_may_unmap and its padding).
const CONFIG_LEN: usize = 60;

/// Per-disk counters (shared with the I/O thread).
#[derive(Debug, Default)]
pub struct BlockStats {
    pub malformed: AtomicU64,
    pub reads: AtomicU64,
    pub writes: AtomicU64,
    pub flushes: AtomicU64,
    pub discards: AtomicU64,
    pub write_zeroes: AtomicU64,
    pub bytes_read: AtomicU64,
    pub bytes_written: AtomicU64,
    /// Requests completed with IOERR for reasons other than malformed chains (host I/O errors,
    /// writes to a read-only disk).
    pub io_errors: AtomicU64,
}

impl BlockStats {
    /// A copy for the control API.
    pub fn snapshot(&self) -> crate::api::DiskCounters {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        crate::api::DiskCounters {
            read_requests: g(&self.reads),
            read_bytes: g(&self.bytes_read),
            write_requests: g(&self.writes),
            write_bytes: g(&self.bytes_written),
            flushes: g(&self.flushes),
            discards: g(&self.discards),
            write_zeroes: g(&self.write_zeroes),
            io_errors: g(&self.io_errors),
        }
    }
}

fn bump(c: &AtomicU64, by: u64) {
    c.fetch_add(by, Ordering::Relaxed);
}

/// Where the I/O thread is.
enum Io {
    /// Not activated (or reset): no queue.
    Idle,
    /// Serving the queue; the thread hands its state back when stopped.
    Running {
        stop: Arc<AtomicBool>,
        thread: JoinHandle<IoThread>,
    },
    /// Activated but paused (VM paused, e.g. for a snapshot): the queue waits here.
    Parked(Box<IoThread>),
}

/// The virtio-blk device.
pub struct Block {
    disk: Arc<Mutex<Disk>>,
    features: u64,
    config: [u8; CONFIG_LEN],
    serial: [u8; SERIAL_LEN],
    stats: Arc<BlockStats>,
    kick: Arc<EventFd>,
    io: Io,
    /// The VM is paused: activation and restore park the queue instead of serving it.
    paused: bool,
}

impl Block {
    /// A device for `disk`; `serial` (at most 20 bytes; longer is cut) answers GET_ID.
    pub fn new(disk: Disk, serial: &str) -> io::Result<Block> {
        let mut features = VIRTIO_F_VERSION_1
            | VIRTIO_RING_F_INDIRECT_DESC
            | VIRTIO_BLK_F_SIZE_MAX
            | VIRTIO_BLK_F_SEG_MAX
            | VIRTIO_BLK_F_FLUSH;
        if disk.read_only() {
            features |= VIRTIO_BLK_F_RO;
        }
        let mut config = [0u8; CONFIG_LEN];
        config[0..8].copy_from_slice(&(disk.size() / SECTOR_SIZE).to_le_bytes());
        config[8..12].copy_from_slice(&SIZE_MAX.to_le_bytes());
        config[12..16].copy_from_slice(&SEG_MAX.to_le_bytes());
        config[34..36].copy_from_slice(&1u16.to_le_bytes());
        if let Some(align) = disk.discard_alignment() {
            features |= VIRTIO_BLK_F_DISCARD | VIRTIO_BLK_F_WRITE_ZEROES;
            let align_sectors = (align / SECTOR_SIZE).clamp(1, u64::from(u32::MAX)) as u32;
            config[36..40].copy_from_slice(&MAX_DISCARD_SECTORS.to_le_bytes());
            config[40..44].copy_from_slice(&MAX_DISCARD_SEG.to_le_bytes());
            config[44..48].copy_from_slice(&align_sectors.to_le_bytes());
            config[48..52].copy_from_slice(&MAX_DISCARD_SECTORS.to_le_bytes());
            config[52..56].copy_from_slice(&MAX_DISCARD_SEG.to_le_bytes());
            config[56] = 1;
        }
        let mut s = [0u8; SERIAL_LEN];
        let n = serial.len().min(SERIAL_LEN);
        s[..n].copy_from_slice(&serial.as_bytes()[..n]);
        Ok(Block {
            disk: Arc::new(Mutex::new(disk)),
            features,
            config,
            serial: s,
            stats: Arc::new(BlockStats::default()),
            kick: Arc::new(EventFd::new(libc::EFD_NONBLOCK)?),
            io: Io::Idle,
            paused: false,
        })
    }

    /// The device's counters.
    pub fn stats(&self) -> Arc<BlockStats> {
        self.stats.clone()
    }

    /// Stops the I/O thread, waiting for the request in flight (after a reset or a pause the
    /// device must not touch the queue or guest memory any more); returns its state.
    fn stop_thread(&mut self) -> Option<Box<IoThread>> {
        match std::mem::replace(&mut self.io, Io::Idle) {
            Io::Idle => None,
            Io::Parked(t) => Some(t),
            Io::Running { stop, thread } => {
                stop.store(true, Ordering::SeqCst);
                let _ = self.kick.write(1);
                thread.join().ok().map(Box::new)
            }
        }
    }

    /// Serves the queue of `t` (or parks it while the VM is paused).
    fn start_thread(&mut self, mut t: Box<IoThread>) -> Result<(), String> {
        if self.paused {
            self.io = Io::Parked(t);
            return Ok(());
        }
        let stop = Arc::new(AtomicBool::new(false));
        t.stop = stop.clone();
        // Requests queued before (and kicks that came while no thread ran) are picked up by
        // the first pass.
        let _ = self.kick.write(1);
        let thread = std::thread::Builder::new()
            .name("virtio-blk".into())
            .spawn(move || {
                crate::sandbox::confine(crate::sandbox::ThreadKind::Block);
                t.run();
                *t
            })
            .map_err(|e| format!("spawning the virtio-blk I/O thread: {e}"))?;
        self.io = Io::Running { stop, thread };
        Ok(())
    }

    fn io_thread(
        &self,
        mem: GuestMemoryMmap,
        queue: Queue,
        acked: u64,
        irq: Arc<VirtioInterrupt>,
    ) -> Box<IoThread> {
        Box::new(IoThread {
            mem,
            queue,
            irq,
            disk: self.disk.clone(),
            kick: self.kick.clone(),
            stop: Arc::new(AtomicBool::new(false)),
            stats: self.stats.clone(),
            serial: self.serial,
            size: lock(&self.disk).size(),
            acked,
            errors: Mutex::default(),
        })
    }

    /// Whether the guest may write this disk (RO not offered).
    pub fn writable(&self) -> bool {
        self.features & VIRTIO_BLK_F_RO == 0
    }

    /// The disk (image chain) the device reads and writes.
    pub fn disk(&self) -> std::sync::MutexGuard<'_, Disk> {
        lock(&self.disk)
    }

    /// Switches the device to another image chain of the same size and writability (a
    /// snapshot's new overlay); returns the one it used. Only while no I/O thread runs (the VM
    /// is paused, or the device is not active): requests never see two images.
    pub fn replace_disk(&mut self, new: Disk) -> Result<Disk, String> {
        if matches!(self.io, Io::Running { .. }) {
            return Err("virtio-blk: pause the device before switching its disk".into());
        }
        let mut cur = lock(&self.disk);
        crate::storage::check_replacement(&cur, &new, self.writable())?;
        Ok(std::mem::replace(&mut *cur, new))
    }
}

/// The fuzz harness's way in: serves the chains `queue` holds on the calling thread, as the
/// I/O thread would, and gives the queue back (deterministic, no thread per input).
#[cfg(any(test, feature = "fuzzing"))]
impl Block {
    pub(crate) fn serve_now(
        &self,
        mem: GuestMemoryMmap,
        queue: Queue,
        acked: u64,
        irq: Arc<VirtioInterrupt>,
    ) -> Queue {
        let mut t = self.io_thread(mem, queue, acked, irq);
        t.process_queue();
        t.queue
    }
}

impl Drop for Block {
    fn drop(&mut self) {
        self.stop_thread();
    }
}

/// What a snapshot keeps of a disk's device: its queue and the acked features (the disk's
/// contents are kept by [`crate::snapshot`], which freezes its image).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BlockState {
    /// The queue and the features the driver acked, if it activated the device.
    pub active: Option<BlockQueue>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BlockQueue {
    pub queue: QueueState,
    pub acked_features: u64,
}

impl VirtioDevice for Block {
    fn device_type(&self) -> u32 {
        device_type::BLOCK
    }
    fn queue_max_sizes(&self) -> &[u16] {
        &[QUEUE_SIZE]
    }
    fn features(&self) -> u64 {
        self.features
    }
    fn read_config(&self, offset: u64, data: &mut [u8]) {
        for (i, b) in data.iter_mut().enumerate() {
            *b = offset
                .checked_add(i as u64)
                .and_then(|o| usize::try_from(o).ok())
                .and_then(|o| self.config.get(o))
                .copied()
                .unwrap_or(0);
        }
    }
    fn activate(
        &mut self,
        mem: GuestMemoryMmap,
        mut queues: Vec<Queue>,
        acked_features: u64,
        irq: Arc<VirtioInterrupt>,
    ) -> Result<(), String> {
        let queue = queues.pop().ok_or("virtio-blk needs one queue")?;
        self.stop_thread();
        let t = self.io_thread(mem, queue, acked_features, irq);
        self.start_thread(t)
    }
    fn queue_notify(&mut self, _index: u16) {
        // Only wake the I/O thread: the vCPU goes straight back to the guest.
        let _ = self.kick.write(1);
    }
    fn reset(&mut self) {
        self.stop_thread();
    }
    fn malformed_chains(&self) -> u64 {
        self.stats.malformed.load(Ordering::Relaxed)
    }
    fn pause(&mut self) {
        self.paused = true;
        if let Some(t) = self.stop_thread() {
            self.io = Io::Parked(t);
        }
    }
    fn resume(&mut self) {
        self.paused = false;
        if let Some(t) = self.stop_thread() {
            // Fails only when the host is out of threads: the disk then stops answering (the
            // guest sees I/O time out), the VMM goes on.
            if let Err(e) = self.start_thread(t) {
                crate::log_line!("vmdesk-vmm: virtio-blk: {e}");
            }
        }
    }
    fn save_state(&self) -> Result<DeviceState, String> {
        self.save().map(DeviceState::Block)
    }
    fn restore_state(
        &mut self,
        state: &DeviceState,
        mem: GuestMemoryMmap,
        irq: Arc<VirtioInterrupt>,
    ) -> Result<(), String> {
        match state {
            DeviceState::Block(s) => self.restore(s, Attachment { mem, irq }),
            other => Err(other.mismatch("virtio-blk")),
        }
    }
}

impl Persist for Block {
    type State = BlockState;
    type Args = Attachment;

    fn save(&self) -> Result<BlockState, String> {
        let active = match &self.io {
            Io::Idle => None,
            Io::Parked(t) => Some(BlockQueue {
                queue: QueueState::of(&t.queue),
                acked_features: t.acked,
            }),
            Io::Running { .. } => return Err("virtio-blk: pause the device first".into()),
        };
        Ok(BlockState { active })
    }

    fn restore(&mut self, s: &BlockState, a: Attachment) -> Result<(), String> {
        self.stop_thread();
        if let Some(q) = &s.active {
            let t = self.io_thread(a.mem, q.queue.to_queue()?, q.acked_features, a.irq);
            self.start_thread(t)?;
        }
        Ok(())
    }
}

/// The I/O thread's state: everything it needs, owned (the queue) or shared.
struct IoThread {
    mem: GuestMemoryMmap,
    queue: Queue,
    irq: Arc<VirtioInterrupt>,
    disk: Arc<Mutex<Disk>>,
    kick: Arc<EventFd>,
    stop: Arc<AtomicBool>,
    stats: Arc<BlockStats>,
    serial: [u8; SERIAL_LEN],
    /// The disk's size in bytes (fixed while the VM runs).
    size: u64,
    /// Features the driver acked.
    acked: u64,
    /// Host I/O errors go to vmm.log, rate-limited.
    errors: Mutex<IoErrorLog>,
}

/// A guest buffer: address and length.
type Seg = (GuestAddress, u64);

/// Why a request failed: `Malformed` ones are counted as such.
enum Fail {
    Malformed,
    /// Refused (a write to a read-only disk) or, with the operation and error, failed on the
    /// host (logged, rate-limited).
    Io(Option<(&'static str, io::Error)>),
    Unsupported,
}

fn host(op: &'static str) -> impl FnOnce(io::Error) -> Fail {
    move |e| Fail::Io(Some((op, e)))
}

impl IoThread {
    fn run(&mut self) {
        loop {
            let mut pfd = libc::pollfd {
                fd: self.kick.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd; the eventfd outlives this thread (we hold an Arc).
            let r = unsafe { libc::poll(&mut pfd, 1, -1) };
            if r < 0 && io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
                return;
            }
            let _ = self.kick.read();
            if self.stop.load(Ordering::SeqCst) {
                return;
            }
            self.process_queue();
        }
    }

    /// Whether the driver acked FLUSH: then writes may sit in the page cache until a flush.
    fn writeback(&self) -> bool {
        self.acked & VIRTIO_BLK_F_FLUSH != 0
    }

    /// Serves every available chain; suppresses guest kicks meanwhile, and re-checks for chains
    /// that raced with re-enabling them.
    fn process_queue(&mut self) {
        let mut used_any = false;
        loop {
            let _ = self.queue.disable_notification(&self.mem);
            while let Some(chain) = self.queue.pop_descriptor_chain(&self.mem) {
                let head = chain.head_index();
                let descs: Vec<Descriptor> = chain.collect();
                let len = self.handle(&descs);
                if self.queue.add_used(&self.mem, head, len).is_err() {
                    bump(&self.stats.malformed, 1);
                }
                used_any = true;
                if self.stop.load(Ordering::SeqCst) {
                    break;
                }
            }
            if used_any && self.queue.needs_notification(&self.mem).unwrap_or(true) {
                self.irq.signal(INT_USED_RING);
                used_any = false;
            }
            if self.stop.load(Ordering::SeqCst) {
                return;
            }
            // No chain popped although the ring says there are some: the driver wrote an avail
            // index too far ahead. Count it and wait for the next kick instead of spinning.
            if self.queue.iter(&self.mem).is_err() {
                bump(&self.stats.malformed, 1);
                return;
            }
            match self.queue.enable_notification(&self.mem) {
                Ok(true) => continue,
                _ => return,
            }
        }
    }

    /// Serves one chain; returns the number of bytes written into guest buffers (the used
    /// length).
    fn handle(&self, descs: &[Descriptor]) -> u32 {
        // The status byte is the last byte of the last descriptor, which must be device-writable.
        let Some(last) = descs.last().filter(|d| d.is_write_only() && d.len() > 0) else {
            bump(&self.stats.malformed, 1);
            return 0;
        };
        let status_addr = GuestAddress(last.addr().0.wrapping_add(u64::from(last.len()) - 1));
        let (status, written) = match self.serve(descs) {
            Ok(n) => (VIRTIO_BLK_S_OK, n),
            Err(Fail::Malformed) => {
                bump(&self.stats.malformed, 1);
                (VIRTIO_BLK_S_IOERR, 0)
            }
            Err(Fail::Io(err)) => {
                bump(&self.stats.io_errors, 1);
                if let Some((op, e)) = err {
                    let path = lock(&self.disk).path().to_path_buf();
                    let line = lock(&self.errors).report(Instant::now(), &path, op, &e);
                    if let Some(line) = line {
                        crate::log_line!("{line}");
                    }
                }
                (VIRTIO_BLK_S_IOERR, 0)
            }
            Err(Fail::Unsupported) => (VIRTIO_BLK_S_UNSUPP, 0),
        };
        if self.mem.write_obj(status, status_addr).is_err() {
            bump(&self.stats.malformed, 1);
            return 0;
        }
        written.saturating_add(1)
    }

    /// Parses and executes a request; returns the data bytes written into guest buffers.
    fn serve(&self, descs: &[Descriptor]) -> Result<u32, Fail> {
        if descs.len() > SEG_MAX as usize + 2 {
            return Err(Fail::Malformed);
        }
        // Device-readable descriptors first, then device-writable ones (spec 2.7.4.2).
        let first_writable = descs
            .iter()
            .position(|d| d.is_write_only())
            .unwrap_or(descs.len());
        if descs[first_writable..].iter().any(|d| !d.is_write_only()) {
            return Err(Fail::Malformed);
        }
        let mut readable: Vec<Seg> = descs[..first_writable]
            .iter()
            .map(|d| (d.addr(), u64::from(d.len())))
            .collect();
        let mut writable: Vec<Seg> = descs[first_writable..]
            .iter()
            .map(|d| (d.addr(), u64::from(d.len())))
            .collect();
        // The status byte is not data.
        if let Some(l) = writable.last_mut() {
            l.1 -= 1;
        }
        let header = take_bytes(&self.mem, &mut readable, HEADER_LEN)?;
        let req_type = u32::from_le_bytes(header[0..4].try_into().expect("4 bytes"));
        let sector = u64::from_le_bytes(header[8..16].try_into().expect("8 bytes"));
        let in_len = total(&readable);
        let out_len = total(&writable);

        match req_type {
            VIRTIO_BLK_T_IN => {
                if in_len != 0 {
                    return Err(Fail::Malformed);
                }
                let offset = self.data_range(sector, out_len)?;
                let disk = lock(&self.disk);
                let r = with_slices(&self.mem, &writable, |slices| {
                    let (v, _guard) = IoVectorMut::from_volatile_slice(slices);
                    disk.readv(v, offset)
                })?;
                r.map_err(host("read"))?;
                bump(&self.stats.reads, 1);
                bump(&self.stats.bytes_read, out_len);
                Ok(out_len as u32)
            }
            VIRTIO_BLK_T_OUT => {
                if out_len != 0 {
                    return Err(Fail::Malformed);
                }
                let offset = self.data_range(sector, in_len)?;
                let disk = lock(&self.disk);
                if disk.read_only() {
                    return Err(Fail::Io(None));
                }
                let r = with_slices(&self.mem, &readable, |slices| {
                    let (v, _guard) = IoVector::from_volatile_slice(slices);
                    disk.writev(v, offset)
                })?;
                r.map_err(host("write"))?;
                if !self.writeback() {
                    disk.flush().map_err(host("flush"))?;
                }
                bump(&self.stats.writes, 1);
                bump(&self.stats.bytes_written, in_len);
                Ok(0)
            }
            VIRTIO_BLK_T_FLUSH => {
                lock(&self.disk).flush().map_err(host("flush"))?;
                bump(&self.stats.flushes, 1);
                Ok(0)
            }
            VIRTIO_BLK_T_GET_ID => {
                let n = out_len.min(SERIAL_LEN as u64) as usize;
                put_bytes(&self.mem, &writable, &self.serial[..n])?;
                Ok(n as u32)
            }
            VIRTIO_BLK_T_DISCARD | VIRTIO_BLK_T_WRITE_ZEROES => {
                let is_discard = req_type == VIRTIO_BLK_T_DISCARD;
                if (is_discard && self.acked & VIRTIO_BLK_F_DISCARD == 0)
                    || (!is_discard && self.acked & VIRTIO_BLK_F_WRITE_ZEROES == 0)
                {
                    return Err(Fail::Unsupported);
                }
                if out_len != 0
                    || in_len == 0
                    || !in_len.is_multiple_of(DISCARD_SEGMENT_LEN)
                    || in_len / DISCARD_SEGMENT_LEN > u64::from(MAX_DISCARD_SEG)
                {
                    return Err(Fail::Malformed);
                }
                let mut segs = Vec::new();
                while total(&readable) > 0 {
                    let b = take_bytes(&self.mem, &mut readable, DISCARD_SEGMENT_LEN)?;
                    let sector = u64::from_le_bytes(b[0..8].try_into().expect("8 bytes"));
                    let count = u32::from_le_bytes(b[8..12].try_into().expect("4 bytes"));
                    let flags = u32::from_le_bytes(b[12..16].try_into().expect("4 bytes"));
                    // Spec 5.2.6.2: unknown flags, or unmap on a discard, are UNSUPP.
                    let allowed = if is_discard {
                        0
                    } else {
                        VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP
                    };
                    if flags & !allowed != 0 {
                        return Err(Fail::Unsupported);
                    }
                    if count > MAX_DISCARD_SECTORS {
                        return Err(Fail::Malformed);
                    }
                    let len = u64::from(count) * SECTOR_SIZE;
                    let offset = self.data_range(sector, len)?;
                    segs.push((offset, len, flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP != 0));
                }
                let mut disk = lock(&self.disk);
                if disk.read_only() {
                    return Err(Fail::Io(None));
                }
                for (offset, len, unmap) in segs {
                    let r = if is_discard {
                        disk.discard(offset, len)
                    } else {
                        disk.write_zeroes(offset, len, unmap)
                    };
                    r.map_err(host(if is_discard {
                        "discard"
                    } else {
                        "write-zeroes"
                    }))?;
                }
                if !self.writeback() {
                    disk.flush().map_err(host("flush"))?;
                }
                bump(
                    if is_discard {
                        &self.stats.discards
                    } else {
                        &self.stats.write_zeroes
                    },
                    1,
                );
                Ok(0)
            }
            _ => Err(Fail::Unsupported),
        }
    }

    /// Checks a data transfer of `len` bytes at `sector`; returns its byte offset.
    fn data_range(&self, sector: u64, len: u64) -> Result<u64, Fail> {
        if !len.is_multiple_of(SECTOR_SIZE) || len > MAX_REQUEST_BYTES {
            return Err(Fail::Malformed);
        }
        let offset = sector.checked_mul(SECTOR_SIZE).ok_or(Fail::Malformed)?;
        match offset.checked_add(len) {
            Some(end) if end <= self.size => Ok(offset),
            _ => Err(Fail::Malformed),
        }
    }
}

fn total(segs: &[Seg]) -> u64 {
    segs.iter().map(|s| s.1).sum()
}

/// Reads `n` bytes from the front of `segs` (consuming them).
fn take_bytes(mem: &GuestMemoryMmap, segs: &mut Vec<Seg>, n: u64) -> Result<Vec<u8>, Fail> {
    if total(segs) < n {
        return Err(Fail::Malformed);
    }
    let mut out = vec![0u8; n as usize];
    let mut done = 0usize;
    let mut i = 0;
    while done < out.len() {
        let (addr, len) = segs[i];
        let k = len.min((out.len() - done) as u64);
        mem.read_slice(&mut out[done..done + k as usize], addr)
            .map_err(|_| Fail::Malformed)?;
        done += k as usize;
        segs[i] = (GuestAddress(addr.0.wrapping_add(k)), len - k);
        if segs[i].1 == 0 {
            i += 1;
        }
    }
    segs.retain(|s| s.1 > 0);
    Ok(out)
}

/// Writes `data` across the front of `segs`, zero-filling nothing else.
fn put_bytes(mem: &GuestMemoryMmap, segs: &[Seg], data: &[u8]) -> Result<(), Fail> {
    let mut done = 0usize;
    for &(addr, len) in segs {
        if done == data.len() {
            break;
        }
        let k = (len as usize).min(data.len() - done);
        mem.write_slice(&data[done..done + k], addr)
            .map_err(|_| Fail::Malformed)?;
        done += k;
    }
    Ok(())
}

/// Calls `f` with the guest memory behind `segs` as volatile slices (zero-copy I/O).
fn with_slices<R>(
    mem: &GuestMemoryMmap,
    segs: &[Seg],
    f: impl FnOnce(&Vec<VolatileSlice<'_, ()>>) -> R,
) -> Result<R, Fail> {
    let mut slices = Vec::with_capacity(segs.len());
    for &(addr, len) in segs {
        if len == 0 {
            continue;
        }
        let len = usize::try_from(len).map_err(|_| Fail::Malformed)?;
        for s in mem.get_slices(addr, len) {
            slices.push(s.map_err(|_| Fail::Malformed)?);
        }
    }
    Ok(f(&slices))
}
