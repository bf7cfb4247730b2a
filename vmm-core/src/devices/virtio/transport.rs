//! What the virtio-mmio and virtio-pci transports share: feature negotiation, the device
//! status state machine, the queues the driver sets up, activation and reset. Each transport
//! maps its own registers onto a [`VirtioCore`].

use super::{DeviceState, QueueState, VirtioDevice, VirtioInterrupt, VIRTIO_F_VERSION_1};
use crate::util::lock;
use std::sync::{Arc, Mutex, MutexGuard};
use virtio_queue::{Queue, QueueT};
use vm_memory::GuestMemoryMmap;

// Device status bits (virtio 1.x, 2.1).
pub const ACKNOWLEDGE: u32 = 1;
pub const DRIVER: u32 = 2;
pub const DRIVER_OK: u32 = 4;
pub const FEATURES_OK: u32 = 8;
pub const DEVICE_NEEDS_RESET: u32 = 0x40;
pub const FAILED: u32 = 0x80;

/// The transport-independent half of a virtio device's interface.
pub struct VirtioCore {
    pub(super) dev: Arc<Mutex<dyn VirtioDevice>>,
    pub(super) mem: GuestMemoryMmap,
    pub(super) irq: Arc<VirtioInterrupt>,
    pub(super) queues: Vec<Queue>,
    pub(super) queue_sel: u32,
    pub(super) device_features_sel: u32,
    pub(super) driver_features_sel: u32,
    pub(super) driver_features: u64,
    pub(super) status: u32,
    pub(super) config_generation: u32,
    pub(super) activated: bool,
    /// The queues the device got at activation: size and used ring address, for the
    /// inspector (the device owns the queues themselves).
    handed: Vec<(u16, Option<u64>)>,
}

impl VirtioCore {
    pub fn new(
        dev: Arc<Mutex<dyn VirtioDevice>>,
        mem: GuestMemoryMmap,
        irq: Arc<VirtioInterrupt>,
    ) -> Self {
        let queues = fresh_queues(&*lock(&dev));
        VirtioCore {
            dev,
            mem,
            irq,
            queues,
            queue_sel: 0,
            device_features_sel: 0,
            driver_features_sel: 0,
            driver_features: 0,
            status: 0,
            config_generation: 0,
            activated: false,
            handed: Vec::new(),
        }
    }

    pub fn device(&self) -> MutexGuard<'_, dyn VirtioDevice + 'static> {
        lock(&self.dev)
    }

    pub fn irq(&self) -> &Arc<VirtioInterrupt> {
        &self.irq
    }

    pub fn status(&self) -> u32 {
        self.status
    }

    pub fn activated(&self) -> bool {
        self.activated
    }

    pub fn num_queues(&self) -> usize {
        self.queues.len()
    }

    /// Each queue's size and the descriptor chains the device has completed on it (the used
    /// ring's index in guest memory, which wraps at 65536), for the inspector.
    pub fn queue_views(&self) -> Vec<crate::api::QueueView> {
        use virtio_queue::QueueT;
        use vm_memory::{Bytes, GuestAddress};
        let queues: Vec<(u16, Option<u64>)> = if self.activated {
            self.handed.clone()
        } else {
            let used = |q: &Queue| q.ready().then(|| q.used_ring());
            self.queues.iter().map(|q| (q.size(), used(q))).collect()
        };
        queues
            .into_iter()
            .enumerate()
            .map(|(i, (size, used))| crate::api::QueueView {
                index: i as u16,
                size,
                served: used.map_or(0, |u| {
                    self.mem
                        .read_obj::<u16>(GuestAddress(u + 2))
                        .map_or(0, u64::from)
                }),
            })
            .collect()
    }

    /// The selected queue, if the selector names one.
    pub fn queue(&mut self) -> Option<&mut Queue> {
        self.queues.get_mut(self.queue_sel as usize)
    }

    pub fn queue_ref(&self) -> Option<&Queue> {
        self.queues.get(self.queue_sel as usize)
    }

    /// Queue registers may only change while the driver is setting up, not once running.
    pub fn queue_setup_allowed(&self) -> bool {
        self.status & (FEATURES_OK | DRIVER_OK | FAILED) == FEATURES_OK
    }

    /// The 32 feature bits the device-features selector shows.
    pub fn device_features_window(&self) -> u32 {
        match self.device_features_sel {
            0 => self.device().features() as u32,
            1 => (self.device().features() >> 32) as u32,
            _ => 0,
        }
    }

    /// The 32 driver feature bits the driver-features selector shows.
    pub fn driver_features_window(&self) -> u32 {
        match self.driver_features_sel {
            0 => self.driver_features as u32,
            1 => (self.driver_features >> 32) as u32,
            _ => 0,
        }
    }

    /// The driver writes its half of the features: only what was offered is kept, and only
    /// before FEATURES_OK.
    pub fn write_driver_features(&mut self, v: u32) {
        if self.status & (FEATURES_OK | DRIVER_OK) != 0 || self.driver_features_sel > 1 {
            return;
        }
        let high = self.driver_features_sel == 1;
        let features = self.device().features();
        let offered = if high {
            (features >> 32) as u32
        } else {
            features as u32
        };
        set_half(&mut self.driver_features, high, v & offered);
    }

    /// The driver notified queue `index`; ignored before activation or for a queue that does
    /// not exist.
    pub fn notify(&mut self, index: u32) {
        if self.activated && (index as usize) < self.queues.len() {
            self.device().queue_notify(index as u16);
        }
    }

    pub fn reset(&mut self) {
        if self.activated {
            self.device().reset();
        }
        self.activated = false;
        let fresh = fresh_queues(&*self.device());
        self.queues = fresh;
        self.queue_sel = 0;
        self.driver_features = 0;
        self.status = 0;
        self.irq.ack(u32::MAX);
    }

    pub fn set_status(&mut self, v: u32) {
        if v == 0 {
            self.reset();
            return;
        }
        // FEATURES_OK is refused (left clear) if the driver did not accept VERSION_1: these
        // transports only speak the modern interface.
        let mut v = v;
        if v & FEATURES_OK != 0
            && self.status & FEATURES_OK == 0
            && self.driver_features & VIRTIO_F_VERSION_1 == 0
        {
            v &= !FEATURES_OK;
        }
        let newly_ok = v & DRIVER_OK != 0 && self.status & DRIVER_OK == 0;
        self.status = v;
        if newly_ok && !self.activated {
            let all_ready = self
                .queues
                .iter()
                .all(|q| !q.ready() || q.is_valid(&self.mem));
            let res = if all_ready {
                // The device owns the queues from here on; a reset hands out fresh ones.
                let fresh = fresh_queues(&*self.device());
                let queues = std::mem::replace(&mut self.queues, fresh);
                self.handed = queues
                    .iter()
                    .map(|q| (q.size(), q.ready().then(|| q.used_ring())))
                    .collect();
                self.device().activate(
                    self.mem.clone(),
                    queues,
                    self.driver_features,
                    self.irq.clone(),
                )
            } else {
                Err("a ready queue has invalid addresses or size".into())
            };
            match res {
                Ok(()) => self.activated = true,
                Err(_) => self.status |= DEVICE_NEEDS_RESET,
            }
        }
    }
}

pub(super) fn fresh_queues(dev: &dyn VirtioDevice) -> Vec<Queue> {
    dev.queue_max_sizes()
        .iter()
        .map(|&m| Queue::new(m).expect("queue max sizes are powers of two"))
        .collect()
}

pub(super) fn set_half(v: &mut u64, high: bool, x: u32) {
    if high {
        *v = (*v & 0xffff_ffff) | (u64::from(x) << 32);
    } else {
        *v = (*v & !0xffff_ffff) | u64::from(x);
    }
}

/// A virtio device behind either transport, as the VM handle keeps it: pause/resume, counters
/// and snapshots go through here.
pub trait VirtioTransport: Send {
    fn core(&self) -> &VirtioCore;
    fn save_state(&self) -> Result<TransportState, String>;
    /// Puts back what `save_state` returned; refuses another transport's or device's state.
    fn restore_state(&mut self, s: &TransportState) -> Result<(), String>;

    fn device(&self) -> MutexGuard<'_, dyn VirtioDevice + 'static> {
        self.core().device()
    }
    /// The MSI-X vectors in use, for the inspector (none for transports without MSI-X).
    fn msix_view(&self) -> Vec<crate::api::MsixVectorView> {
        Vec::new()
    }
    fn pause(&mut self) {
        self.device().pause();
    }
    fn resume(&mut self) {
        self.device().resume();
    }
}

/// A virtio transport in a snapshot: its registers, its queues (as the driver set them up,
/// before activation hands them to the device), the device's own state, and for virtio-pci
/// that transport's own registers (MSI-X table, vectors).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TransportState {
    pub device_type: u32,
    pub queue_sel: u32,
    pub device_features_sel: u32,
    pub driver_features_sel: u32,
    pub driver_features: u64,
    pub status: u32,
    pub config_generation: u32,
    pub activated: bool,
    pub irq_status: u32,
    pub queues: Vec<QueueState>,
    pub device: DeviceState,
    pub pci: Option<super::pci::PciTransportState>,
}

impl VirtioCore {
    pub fn save(
        &self,
        pci: Option<super::pci::PciTransportState>,
    ) -> Result<TransportState, String> {
        // One guard for both uses: the device's mutex is not reentrant.
        let dev = self.device();
        Ok(TransportState {
            device_type: dev.device_type(),
            queue_sel: self.queue_sel,
            device_features_sel: self.device_features_sel,
            driver_features_sel: self.driver_features_sel,
            driver_features: self.driver_features,
            status: self.status,
            config_generation: self.config_generation,
            activated: self.activated,
            irq_status: self.irq.status(),
            queues: self.queues.iter().map(QueueState::of).collect(),
            device: dev.save_state()?,
            pci,
        })
    }

    pub fn restore(&mut self, s: &TransportState) -> Result<(), String> {
        let device_type = self.device().device_type();
        if s.device_type != device_type {
            return Err(format!(
                "snapshot has virtio device type {} where this VM has {device_type}",
                s.device_type
            ));
        }
        if s.queues.len() != self.queues.len() {
            return Err(format!(
                "snapshot has {} queues for a device with {}",
                s.queues.len(),
                self.queues.len()
            ));
        }
        self.queues = s
            .queues
            .iter()
            .map(|q| q.to_queue())
            .collect::<Result<_, _>>()?;
        self.queue_sel = s.queue_sel;
        self.device_features_sel = s.device_features_sel;
        self.driver_features_sel = s.driver_features_sel;
        self.driver_features = s.driver_features;
        self.status = s.status;
        self.config_generation = s.config_generation;
        self.activated = s.activated;
        self.irq.ack(u32::MAX);
        if s.irq_status != 0 {
            self.irq.signal(s.irq_status);
        }
        self.device()
            .restore_state(&s.device, self.mem.clone(), self.irq.clone())
    }
}
