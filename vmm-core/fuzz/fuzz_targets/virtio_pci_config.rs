//! Fuzzes a virtio-pci function (virtio-rng behind it) as a guest reaches it: config space
//! (capabilities, the PCI_CFG window, MSI-X control, BARs), BAR4 (common config, ISR, device
//! config, notify) and BAR1 (MSI-X table, PBA). The input's head is guest memory (where the
//! queues the driver sets up point); the transport must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, Mutex};
use vm_memory::{Bytes, GuestAddress, GuestMemoryMmap};
use vmm_core::devices::pci::msi::{MsiMessage, MsiVectors};
use vmm_core::devices::pci::PciDevice;
use vmm_core::devices::virtio::pci::PciTransport;
use vmm_core::devices::virtio::rng::Rng;

const MEM: usize = 0x10000;

struct NoVectors;
impl MsiVectors for NoVectors {
    fn count(&self) -> usize {
        2
    }
    fn trigger(&self, _: usize) {}
    fn set_route(&self, _: usize, _: Option<MsiMessage>) -> Result<(), String> {
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let mem = GuestMemoryMmap::<()>::from_ranges(&[(GuestAddress(0), MEM)]).unwrap();
    let (head, ops) = data.split_at(data.len().min(0x1000));
    mem.write_slice(head, GuestAddress(0)).unwrap();
    let Ok(mut t) = PciTransport::new(
        Arc::new(Mutex::new(Rng::default())),
        mem,
        Box::new(NoVectors),
        None,
    ) else {
        return;
    };
    let irqs = t.interrupts().clone();
    // Each access: target/direction byte, offset (2 bytes), size byte, up to 8 value bytes.
    for op in ops.chunks(12) {
        let [kind, lo, hi, size, value @ ..] = op else {
            break;
        };
        let offset = u64::from(u16::from_le_bytes([*lo, *hi]));
        let size = [1usize, 2, 4, 8][usize::from(size % 4)].min(value.len());
        let write = kind & 0x80 == 0;
        let mut buf = [0u8; 8];
        match kind & 3 {
            0 => {
                let size = size.min(4);
                let off = (offset as usize % 256).min(256 - size);
                if write {
                    t.write_config(off, &value[..size]);
                } else {
                    t.read_config(off, &mut buf[..size]);
                }
            }
            1 | 2 if write => t.write_bar(offset % 0x4100, &value[..size]),
            1 | 2 => t.read_bar(offset % 0x4100, &mut buf[..size]),
            _ if write => irqs.write_table(offset % 0x1000, &value[..size]),
            _ if offset % 0x1000 < 0x800 => irqs.read_table(offset % 0x800, &mut buf[..size]),
            _ => irqs.read_pba(offset % 0x800, &mut buf[..size]),
        }
    }
});
