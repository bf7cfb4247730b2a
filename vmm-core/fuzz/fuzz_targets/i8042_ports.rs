//! Fuzzes the i8042's ports and the host input beside them: each access writes or reads the
//! data or command port (or another offset), or injects a key or mouse motion; the device
//! must never panic, and its queues stay bounded (its own tests check the bounds).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::Arc;
use vmm_core::devices::i8042::{I8042Controller, PORT_LEN};
use vmm_core::devices::pci::intx::IrqLevels;
use vmm_core::devices::{BusDevice, Persist};
use vmm_core::exit::ExitSender;

struct NoIrq;
impl IrqLevels for NoIrq {
    fn set_level(&self, _: u32, _: bool) {}
}

fuzz_target!(|data: &[u8]| {
    let (tx, _rx) = std::sync::mpsc::channel();
    let mut dev = I8042Controller::new(Arc::new(NoIrq), ExitSender::new(tx));
    // Each op: kind byte, value byte, size byte.
    for op in data.chunks(3) {
        let [kind, value, size] = *op else { break };
        let offset = u64::from(kind & 0x0f) % (PORT_LEN + 2);
        let size = usize::from(size % 5);
        match kind >> 4 {
            0..=6 => dev.write(offset, &[value, value, value, value][..size]),
            7..=13 => {
                let mut buf = [0u8; 4];
                dev.read(offset, &mut buf[..size]);
            }
            14 => dev.key(u16::from(value) | u16::from(size as u8) << 8, kind & 1 != 0),
            _ => dev.mouse_motion(
                i32::from(value as i8) * 300,
                i32::from(size as i8),
                i32::from(kind & 3),
                value,
            ),
        }
    }
    // A snapshot of whatever state that left restores.
    let s = dev.save().unwrap();
    dev.restore(&s, ()).unwrap();
});
