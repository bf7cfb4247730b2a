//! The virtio-mmio transport (virtio 1.x, "version 2" register layout, spec 4.2.2).
//!
//! Written here because no maintained rust-vmm crate provides an MMIO transport usable with
//! virtio-queue 0.18 (Firecracker and Cloud Hypervisor each keep their own in-tree).

use super::{DeviceState, QueueState, VirtioDevice, VirtioInterrupt, VIRTIO_F_VERSION_1};
use crate::devices::{BusDevice, Persist};
use crate::util::lock;
use std::sync::{Arc, Mutex, MutexGuard};
use virtio_queue::{Queue, QueueT};
use vm_memory::GuestMemoryMmap;

const MAGIC: u32 = 0x7472_6976; // "virt"
const VENDOR: u32 = 0x4b44_4d56; // "VMDK"

// Device status bits.
#[cfg(test)]
const ACKNOWLEDGE: u32 = 1;
#[cfg(test)]
const DRIVER: u32 = 2;
const DRIVER_OK: u32 = 4;
const FEATURES_OK: u32 = 8;
const DEVICE_NEEDS_RESET: u32 = 0x40;
const FAILED: u32 = 0x80;

/// Size of one device's register window.
pub const MMIO_WINDOW: u64 = 0x1000;

/// The device is shared (`Arc<Mutex<..>>`) so that whoever made it can keep a typed handle
/// to it (the builder keeps its disks' for snapshots); the transport locks it per access.
pub struct MmioTransport {
    dev: Arc<Mutex<dyn VirtioDevice>>,
    mem: GuestMemoryMmap,
    irq: Arc<VirtioInterrupt>,
    queues: Vec<Queue>,
    queue_sel: u32,
    device_features_sel: u32,
    driver_features_sel: u32,
    driver_features: u64,
    status: u32,
    config_generation: u32,
    activated: bool,
}

impl MmioTransport {
    pub fn new(
        dev: Arc<Mutex<dyn VirtioDevice>>,
        mem: GuestMemoryMmap,
        irq: Arc<VirtioInterrupt>,
    ) -> Self {
        let queues = fresh_queues(&*lock(&dev));
        MmioTransport {
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
        }
    }

    fn fresh_queues(&self) -> Vec<Queue> {
        fresh_queues(&*self.device())
    }

    pub fn device(&self) -> MutexGuard<'_, dyn VirtioDevice + 'static> {
        lock(&self.dev)
    }

    pub fn pause(&mut self) {
        self.device().pause();
    }

    pub fn resume(&mut self) {
        self.device().resume();
    }

    fn queue(&mut self) -> Option<&mut Queue> {
        self.queues.get_mut(self.queue_sel as usize)
    }

    /// Queue registers may only change while the driver is setting up, not once running.
    fn queue_setup_allowed(&self) -> bool {
        self.status & (FEATURES_OK | DRIVER_OK | FAILED) == FEATURES_OK
    }

    fn reset(&mut self) {
        if self.activated {
            self.device().reset();
        }
        self.activated = false;
        self.queues = self.fresh_queues();
        self.queue_sel = 0;
        self.driver_features = 0;
        self.status = 0;
        self.irq.ack(u32::MAX);
    }

    fn set_status(&mut self, v: u32) {
        if v == 0 {
            self.reset();
            return;
        }
        // FEATURES_OK is refused (left clear) if the driver did not accept VERSION_1: this
        // transport only speaks the modern interface.
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
                let fresh = self.fresh_queues();
                let queues = std::mem::replace(&mut self.queues, fresh);
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

/// A virtio-mmio transport in a snapshot: its registers, its queues (as the driver set them
/// up, before activation hands them to the device) and the device's own state.
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
}

impl Persist for MmioTransport {
    type State = TransportState;
    type Args = ();

    fn save(&self) -> Result<TransportState, String> {
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
        })
    }

    fn restore(&mut self, s: &TransportState, _: ()) -> Result<(), String> {
        let device_type = self.device().device_type();
        if s.device_type != device_type {
            return Err(format!(
                "snapshot has virtio device type {} where this VM has {device_type}",
                s.device_type
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

fn fresh_queues(dev: &dyn VirtioDevice) -> Vec<Queue> {
    dev.queue_max_sizes()
        .iter()
        .map(|&m| Queue::new(m).expect("queue max sizes are powers of two"))
        .collect()
}

fn set_half(v: &mut u64, high: bool, x: u32) {
    if high {
        *v = (*v & 0xffff_ffff) | (u64::from(x) << 32);
    } else {
        *v = (*v & !0xffff_ffff) | u64::from(x);
    }
}

impl BusDevice for MmioTransport {
    fn read(&mut self, offset: u64, data: &mut [u8]) {
        if offset >= 0x100 {
            self.device().read_config(offset - 0x100, data);
            return;
        }
        // Registers are 32 bits wide and must be read whole.
        if data.len() != 4 {
            data.fill(0);
            return;
        }
        let v: u32 = match offset {
            0x000 => MAGIC,
            0x004 => 2,
            0x008 => self.device().device_type(),
            0x00c => VENDOR,
            0x010 => match self.device_features_sel {
                0 => self.device().features() as u32,
                1 => (self.device().features() >> 32) as u32,
                _ => 0,
            },
            0x034 => self.queue().map_or(0, |q| u32::from(q.max_size())),
            0x044 if self.activated => 1,
            0x044 => self.queue().map_or(0, |q| u32::from(q.ready())),
            0x060 => self.irq.status(),
            0x070 => self.status,
            0x0fc => self.config_generation,
            _ => 0,
        };
        data.copy_from_slice(&v.to_le_bytes());
    }

    fn write(&mut self, offset: u64, data: &[u8]) {
        if offset >= 0x100 {
            if self.status & FAILED == 0 {
                self.device().write_config(offset - 0x100, data);
            }
            return;
        }
        let Ok(bytes) = <[u8; 4]>::try_from(data) else {
            return; // not a 32-bit access: ignored
        };
        let v = u32::from_le_bytes(bytes);
        let setup = self.queue_setup_allowed();
        match offset {
            0x014 => self.device_features_sel = v,
            0x024 => self.driver_features_sel = v,
            0x020 if self.status & (FEATURES_OK | DRIVER_OK) == 0 => {
                // Accept only what we offered.
                let offered = match self.driver_features_sel {
                    0 => self.device().features() as u32,
                    1 => (self.device().features() >> 32) as u32,
                    _ => 0,
                };
                let high = self.driver_features_sel == 1;
                if self.driver_features_sel <= 1 {
                    set_half(&mut self.driver_features, high, v & offered);
                }
            }
            0x030 => self.queue_sel = v,
            0x038 if setup => {
                if let Some(q) = self.queue() {
                    q.set_size(v as u16);
                }
            }
            0x044 if setup => {
                if let Some(q) = self.queue() {
                    q.set_ready(v == 1);
                }
            }
            0x050 if self.activated && (v as usize) < self.queues.len() => {
                self.device().queue_notify(v as u16);
            }
            0x064 => self.irq.ack(v),
            0x070 => self.set_status(v),
            0x080 | 0x084 | 0x090 | 0x094 | 0x0a0 | 0x0a4 if setup => {
                let high = offset & 4 != 0;
                let (lo, hi) = if high {
                    (None, Some(v))
                } else {
                    (Some(v), None)
                };
                if let Some(q) = self.queue() {
                    match offset & !4 {
                        0x080 => q.set_desc_table_address(lo, hi),
                        0x090 => q.set_avail_ring_address(lo, hi),
                        _ => q.set_used_ring_address(lo, hi),
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::rng::{Rng, RngState};
    use super::*;
    use vm_memory::GuestAddress;
    use vmm_sys_util::eventfd::EventFd;

    fn transport() -> MmioTransport {
        let mem = GuestMemoryMmap::<()>::from_ranges(&[(GuestAddress(0), 1 << 20)]).unwrap();
        let irq = Arc::new(VirtioInterrupt::new(EventFd::new(0).unwrap()));
        MmioTransport::new(Arc::new(Mutex::new(Rng::default())), mem, irq)
    }

    fn rd(t: &mut MmioTransport, off: u64) -> u32 {
        let mut b = [0u8; 4];
        t.read(off, &mut b);
        u32::from_le_bytes(b)
    }

    fn wr(t: &mut MmioTransport, off: u64, v: u32) {
        t.write(off, &v.to_le_bytes());
    }

    #[test]
    fn identifies_as_a_modern_virtio_device() {
        let mut t = transport();
        assert_eq!(rd(&mut t, 0), MAGIC);
        assert_eq!(rd(&mut t, 4), 2);
        assert_eq!(rd(&mut t, 8), 4);
        wr(&mut t, 0x14, 1);
        assert_eq!(rd(&mut t, 0x10), 1, "VERSION_1 offered");
    }

    #[test]
    fn features_ok_needs_version_1() {
        let mut t = transport();
        wr(&mut t, 0x70, ACKNOWLEDGE | DRIVER);
        wr(&mut t, 0x70, ACKNOWLEDGE | DRIVER | FEATURES_OK);
        assert_eq!(rd(&mut t, 0x70) & FEATURES_OK, 0, "legacy driver refused");
        wr(&mut t, 0x24, 1);
        wr(&mut t, 0x20, 1);
        wr(&mut t, 0x70, ACKNOWLEDGE | DRIVER | FEATURES_OK);
        assert_ne!(rd(&mut t, 0x70) & FEATURES_OK, 0);
    }

    #[test]
    fn state_round_trips_through_save_and_restore() {
        let mut t = transport();
        wr(&mut t, 0x70, ACKNOWLEDGE | DRIVER);
        wr(&mut t, 0x14, 1);
        let s = t.save().unwrap();
        assert_eq!(s.device, DeviceState::Rng(RngState { queue: None }));
        let mut t2 = transport();
        t2.restore(&s, ()).unwrap();
        assert_eq!(rd(&mut t2, 0x70), ACKNOWLEDGE | DRIVER);
        assert_eq!(rd(&mut t2, 0x10), 1, "feature selector restored");
        assert_eq!(t2.save().unwrap().queues, s.queues);
    }

    #[test]
    fn garbage_writes_never_panic() {
        let mut t = transport();
        let mut x = 0x1234_5678u32;
        for i in 0..20000u32 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let off = u64::from(x % 0x120) & !3;
            if off == 0x70 && i % 7 != 0 {
                continue;
            }
            wr(&mut t, off, x.rotate_left(i % 32));
            let mut odd = [0u8; 3];
            t.read(u64::from(x % 0x200), &mut odd);
            t.write(u64::from(x % 0x200), &odd);
        }
    }
}
