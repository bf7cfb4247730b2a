//! The virtio-mmio transport (virtio 1.x, "version 2" register layout, spec 4.2.2).
//!
//! Written here because no maintained rust-vmm crate provides an MMIO transport usable with
//! virtio-queue 0.18 (Firecracker and Cloud Hypervisor each keep their own in-tree).

use super::transport::{VirtioCore, VirtioTransport, FAILED};
use super::{VirtioDevice, VirtioInterrupt};
use crate::devices::BusDevice;
use std::sync::{Arc, Mutex};
use virtio_queue::QueueT;
use vm_memory::GuestMemoryMmap;

pub use super::transport::TransportState;

const MAGIC: u32 = 0x7472_6976; // "virt"
const VENDOR: u32 = 0x4b44_4d56; // "VMDK"

/// Size of one device's register window.
pub const MMIO_WINDOW: u64 = 0x1000;

/// The device is shared (`Arc<Mutex<..>>`) so that whoever made it can keep a typed handle
/// to it (the builder keeps its disks' for snapshots); the transport locks it per access.
pub struct MmioTransport {
    core: VirtioCore,
}

impl MmioTransport {
    pub fn new(
        dev: Arc<Mutex<dyn VirtioDevice>>,
        mem: GuestMemoryMmap,
        irq: Arc<VirtioInterrupt>,
    ) -> Self {
        MmioTransport {
            core: VirtioCore::new(dev, mem, irq),
        }
    }
}

impl VirtioTransport for MmioTransport {
    fn core(&self) -> &VirtioCore {
        &self.core
    }

    fn save_state(&self) -> Result<TransportState, String> {
        self.core.save(None)
    }

    fn restore_state(&mut self, s: &TransportState) -> Result<(), String> {
        if s.pci.is_some() {
            return Err("snapshot has a virtio-pci device where this VM has virtio-mmio".into());
        }
        self.core.restore(s)
    }
}

impl BusDevice for MmioTransport {
    fn read(&mut self, offset: u64, data: &mut [u8]) {
        let c = &mut self.core;
        if offset >= 0x100 {
            c.device().read_config(offset - 0x100, data);
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
            0x008 => c.device().device_type(),
            0x00c => VENDOR,
            0x010 => c.device_features_window(),
            0x034 => c.queue_ref().map_or(0, |q| u32::from(q.max_size())),
            0x044 if c.activated => 1,
            0x044 => c.queue_ref().map_or(0, |q| u32::from(q.ready())),
            0x060 => c.irq.status(),
            0x070 => c.status,
            // SHMLen and SHMBase of the region SHMSel names: no device here has shared memory
            // regions, and the spec's answer for "no such region" is all ones. 0 would be a
            // region of length 0 at address 0, which Linux's virtio_gpu (6.1) then fails to
            // reserve ("Could not reserve host visible region", probe -EBUSY).
            0x0b0 | 0x0b4 | 0x0b8 | 0x0bc => u32::MAX,
            0x0fc => c.config_generation,
            _ => 0,
        };
        data.copy_from_slice(&v.to_le_bytes());
    }

    fn write(&mut self, offset: u64, data: &[u8]) {
        let c = &mut self.core;
        if offset >= 0x100 {
            if c.status & FAILED == 0 {
                c.device().write_config(offset - 0x100, data);
            }
            return;
        }
        let Ok(bytes) = <[u8; 4]>::try_from(data) else {
            return; // not a 32-bit access: ignored
        };
        let v = u32::from_le_bytes(bytes);
        let setup = c.queue_setup_allowed();
        match offset {
            0x014 => c.device_features_sel = v,
            0x024 => c.driver_features_sel = v,
            0x020 => c.write_driver_features(v),
            0x030 => c.queue_sel = v,
            0x038 if setup => {
                if let Some(q) = c.queue() {
                    q.set_size(v as u16);
                }
            }
            0x044 if setup => {
                if let Some(q) = c.queue() {
                    q.set_ready(v == 1);
                }
            }
            0x050 => c.notify(v),
            0x064 => c.irq.ack(v),
            0x070 => c.set_status(v),
            0x080 | 0x084 | 0x090 | 0x094 | 0x0a0 | 0x0a4 if setup => {
                let high = offset & 4 != 0;
                if let Some(q) = c.queue() {
                    set_queue_address(q, offset & !4, high, v);
                }
            }
            _ => {}
        }
    }
}

/// Sets half of a queue address: `which` is the low register of the descriptor table (0x80),
/// available ring (0x90) or used ring (0xa0), as virtio-mmio numbers them.
fn set_queue_address(q: &mut virtio_queue::Queue, which: u64, high: bool, v: u32) {
    let (lo, hi) = if high {
        (None, Some(v))
    } else {
        (Some(v), None)
    };
    match which {
        0x080 => q.set_desc_table_address(lo, hi),
        0x090 => q.set_avail_ring_address(lo, hi),
        _ => q.set_used_ring_address(lo, hi),
    }
}

#[cfg(test)]
mod tests {
    use super::super::rng::{Rng, RngState};
    use super::super::transport::{ACKNOWLEDGE, DRIVER, FEATURES_OK};
    use super::super::DeviceState;
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
        let s = t.save_state().unwrap();
        assert_eq!(s.device, DeviceState::Rng(RngState { queue: None }));
        let mut t2 = transport();
        t2.restore_state(&s).unwrap();
        assert_eq!(rd(&mut t2, 0x70), ACKNOWLEDGE | DRIVER);
        assert_eq!(rd(&mut t2, 0x10), 1, "feature selector restored");
        assert_eq!(t2.save_state().unwrap().queues, s.queues);
    }

    #[test]
    fn no_shared_memory_region_reads_as_all_ones() {
        let mut t = transport();
        for id in [0u32, 1, 255] {
            wr(&mut t, 0xac, id);
            for off in [0xb0, 0xb4, 0xb8, 0xbc] {
                assert_eq!(rd(&mut t, off), u32::MAX, "SHMSel {id}, register {off:#x}");
            }
        }
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
