//! Virtio devices (virtio 1.x) on the virtio-mmio or virtio-pci transport.
//!
//! A device implements [`VirtioDevice`]; [`mmio::MmioTransport`] (the Linux machine) or
//! [`pci::PciTransport`] (the PC machine) gives it the register interface, queues
//! (virtio-queue) and its interrupt, both over one [`transport::VirtioCore`].

pub mod block;
pub mod gpu;
pub mod input;
pub mod io_error_log;
pub mod mmio;
pub mod net;
pub mod pci;
pub mod rng;
pub mod transport;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use virtio_queue::Queue;
use vm_memory::GuestMemoryMmap;
use vmm_sys_util::eventfd::EventFd;

/// Feature bit every device offers: the modern (1.x) interface.
pub const VIRTIO_F_VERSION_1: u64 = 1 << 32;

/// Device IDs (virtio spec 5).
pub mod device_type {
    pub const NET: u32 = 1;
    pub const BLOCK: u32 = 2;
    pub const RNG: u32 = 4;
    pub const GPU: u32 = 16;
    pub const INPUT: u32 = 18;
}

/// A device's interrupt: the transport's InterruptStatus (ISR) bits plus the line that tells
/// the guest: an irqfd into KVM (virtio-mmio), or the virtio-pci function's INTx pin or
/// MSI-X vectors.
pub struct VirtioInterrupt {
    status: AtomicU32,
    line: Line,
}

enum Line {
    Irqfd(EventFd),
    Custom(Arc<dyn InterruptLine>),
}

/// A transport's own way of raising a device's interrupt.
pub trait InterruptLine: Send + Sync {
    /// `why` (INT_USED_RING, INT_CONFIG) was just added to `irq`'s status.
    fn raise(&self, irq: &VirtioInterrupt, why: u32);
    /// Queue `index`'s used ring changed (INT_USED_RING was just added to the status).
    fn raise_queue(&self, irq: &VirtioInterrupt, _index: u16) {
        self.raise(irq, INT_USED_RING);
    }
}

pub const INT_USED_RING: u32 = 1;
pub const INT_CONFIG: u32 = 2;

impl VirtioInterrupt {
    pub fn new(evt: EventFd) -> Self {
        VirtioInterrupt {
            status: AtomicU32::new(0),
            line: Line::Irqfd(evt),
        }
    }

    pub fn with_line(line: Arc<dyn InterruptLine>) -> Self {
        VirtioInterrupt {
            status: AtomicU32::new(0),
            line: Line::Custom(line),
        }
    }

    pub fn signal(&self, why: u32) {
        self.status.fetch_or(why, Ordering::SeqCst);
        match &self.line {
            // A full eventfd counter still means "interrupt pending": nothing is lost.
            Line::Irqfd(evt) => {
                let _ = evt.write(1);
            }
            Line::Custom(line) => line.raise(self, why),
        }
    }

    /// Queue `index` has new used buffers: like `signal(INT_USED_RING)`, but a transport with
    /// a vector per queue (virtio-pci with MSI-X) sends only that queue's.
    pub fn signal_queue(&self, index: u16) {
        self.status.fetch_or(INT_USED_RING, Ordering::SeqCst);
        match &self.line {
            Line::Irqfd(evt) => {
                let _ = evt.write(1);
            }
            Line::Custom(line) => line.raise_queue(self, index),
        }
    }

    /// Reads and clears the status in one step (virtio-pci's ISR register).
    pub fn take(&self) -> u32 {
        self.status.swap(0, Ordering::SeqCst)
    }

    pub fn status(&self) -> u32 {
        self.status.load(Ordering::SeqCst)
    }

    pub fn ack(&self, bits: u32) {
        self.status.fetch_and(!bits, Ordering::SeqCst);
    }
}

/// A virtio device type's name (`"virtio-blk"`), for the inspector.
pub fn type_name(device_type: u32) -> &'static str {
    match device_type {
        1 => "virtio-net",
        2 => "virtio-blk",
        4 => "virtio-rng",
        16 => "virtio-gpu",
        18 => "virtio-input",
        _ => "virtio",
    }
}

/// Each device's name for the inspector, numbered within its type (`"virtio-blk 1"`).
pub fn numbered_names(devices: &[Arc<std::sync::Mutex<dyn VirtioDevice>>]) -> Vec<String> {
    let mut seen: Vec<&str> = Vec::new();
    devices
        .iter()
        .map(|d| {
            let t = type_name(crate::util::lock(d).device_type());
            let n = seen.iter().filter(|s| **s == t).count();
            seen.push(t);
            format!("{t} {n}")
        })
        .collect()
}

/// What a virtio device does; the transport does the rest.
pub trait VirtioDevice: Send {
    fn device_type(&self) -> u32;
    /// Maximum size of each queue; the length is the number of queues.
    fn queue_max_sizes(&self) -> &[u16];
    /// Feature bits offered (include [`VIRTIO_F_VERSION_1`]).
    fn features(&self) -> u64;
    /// Reads the device-specific config space (bounds are the device's concern: out of range
    /// reads must yield zeros).
    fn read_config(&self, offset: u64, data: &mut [u8]);
    fn write_config(&mut self, _offset: u64, _data: &[u8]) {}
    /// The driver set DRIVER_OK: the device may start using the queues.
    fn activate(
        &mut self,
        mem: GuestMemoryMmap,
        queues: Vec<Queue>,
        acked_features: u64,
        irq: Arc<VirtioInterrupt>,
    ) -> Result<(), String>;
    /// The driver notified queue `index` (a vCPU thread calls this; keep it short).
    fn queue_notify(&mut self, index: u16);
    /// The driver reset the device: stop using the queues.
    fn reset(&mut self);
    /// Descriptor chains refused as malformed since start (shown in counters).
    fn malformed_chains(&self) -> u64 {
        0
    }
    /// The VM is pausing: stop touching guest memory and queues from device threads (queue
    /// work resumes, with nothing lost, on `resume`). Devices that only act on the vCPU
    /// thread need nothing here.
    fn pause(&mut self) {}
    fn resume(&mut self) {}
    /// The device's state for a snapshot (its queues included), taken while vCPUs are paused;
    /// devices implement it through [`crate::devices::Persist`].
    fn save_state(&self) -> Result<DeviceState, String> {
        Err(format!(
            "virtio device type {} cannot be snapshotted yet",
            self.device_type()
        ))
    }
    /// Puts back what `save_state` returned; `mem`/`irq` are what the device uses from now on
    /// if the driver had activated it.
    fn restore_state(
        &mut self,
        _state: &DeviceState,
        _mem: GuestMemoryMmap,
        _irq: Arc<VirtioInterrupt>,
    ) -> Result<(), String> {
        Err(format!(
            "virtio device type {} cannot be restored from a snapshot yet",
            self.device_type()
        ))
    }
}

/// What a virtio device's [`crate::devices::Persist::restore`] needs: the guest memory and
/// interrupt it uses from then on.
pub struct Attachment {
    pub mem: GuestMemoryMmap,
    pub irq: Arc<VirtioInterrupt>,
}

/// A virtio device's saved state, by kind of device.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum DeviceState {
    Rng(rng::RngState),
    Block(block::BlockState),
    Net(net::NetState),
    Input(input::InputState),
    Gpu(Box<gpu::GpuSnapshot>),
}

impl DeviceState {
    fn kind(&self) -> &'static str {
        match self {
            DeviceState::Rng(_) => "virtio-rng",
            DeviceState::Block(_) => "virtio-blk",
            DeviceState::Net(_) => "virtio-net",
            DeviceState::Input(_) => "virtio-input",
            DeviceState::Gpu(_) => "virtio-gpu",
        }
    }

    /// The error when a device of kind `device` is given this (another kind's) state.
    pub fn mismatch(&self, device: &str) -> String {
        format!(
            "snapshot has {} state for this {device} device",
            self.kind()
        )
    }
}

/// A queue's state in a snapshot (virtio-queue's `QueueState` has no serde).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct QueueState {
    pub max_size: u16,
    pub next_avail: u16,
    pub next_used: u16,
    pub event_idx_enabled: bool,
    pub size: u16,
    pub ready: bool,
    pub desc_table: u64,
    pub avail_ring: u64,
    pub used_ring: u64,
}

impl QueueState {
    pub fn of(q: &Queue) -> Self {
        let s = q.state();
        QueueState {
            max_size: s.max_size,
            next_avail: s.next_avail,
            next_used: s.next_used,
            event_idx_enabled: s.event_idx_enabled,
            size: s.size,
            ready: s.ready,
            desc_table: s.desc_table,
            avail_ring: s.avail_ring,
            used_ring: s.used_ring,
        }
    }

    pub fn to_queue(self) -> Result<Queue, String> {
        Queue::try_from(virtio_queue::QueueState {
            max_size: self.max_size,
            next_avail: self.next_avail,
            next_used: self.next_used,
            event_idx_enabled: self.event_idx_enabled,
            size: self.size,
            ready: self.ready,
            desc_table: self.desc_table,
            avail_ring: self.avail_ring,
            used_ring: self.used_ring,
        })
        .map_err(|e| format!("queue state: {e:?}"))
    }
}
