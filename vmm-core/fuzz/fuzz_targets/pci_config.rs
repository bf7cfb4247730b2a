//! Fuzzes the PC's configuration space as a guest reaches it: the 0xcf8 address latch and the
//! 0xcfc data window (any width, any offset, any function of bus 0 and beyond), the PIIX
//! reset control at 0xcf9, and the PM block wherever the guest's PIIX4 writes put it. The
//! chipset must never panic, and its state must survive a snapshot round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::Arc;
use vmm_core::devices::pci::intx::IrqLevels;
use vmm_core::devices::pci::{IntxRouter, PciRoot, PCI_CONFIG_ADDRESS};
use vmm_core::devices::{Bus, Persist};
use vmm_core::exit::ExitSender;

struct NoIrq;
impl IrqLevels for NoIrq {
    fn set_level(&self, _: u32, _: bool) {}
}

fuzz_target!(|data: &[u8]| {
    let (tx, _rx) = std::sync::mpsc::channel();
    let intx = IntxRouter::new(Arc::new(NoIrq));
    let mut pio = Bus::default();
    let chipset = PciRoot::i440fx_with_intx(ExitSender::new(tx), Some(intx)).register(&mut pio);
    // Each op: kind, 4 value bytes, size. Addresses: the latch, the data window, 0xcf9, or a
    // port anywhere (where the PM block may have gone).
    for op in data.chunks(7) {
        let [kind, a, b, c, d, size, port] = *op else { break };
        let size = [1usize, 2, 4, 3][usize::from(size & 3)];
        let value = [a, b, c, d];
        let addr = match kind & 3 {
            0 => u64::from(PCI_CONFIG_ADDRESS),
            1 => u64::from(PCI_CONFIG_ADDRESS) + 4 + u64::from(port & 3),
            2 => u64::from(PCI_CONFIG_ADDRESS) + 1,
            _ => u64::from(u16::from_le_bytes([port, a])),
        };
        if kind & 4 == 0 {
            pio.write(addr, &value[..size]);
        } else {
            let mut buf = [0u8; 4];
            pio.read(addr, &mut buf[..size]);
        }
    }
    let mut root = chipset.root.lock().unwrap();
    let s = root.save().unwrap();
    root.restore(&s, ()).unwrap();
});
