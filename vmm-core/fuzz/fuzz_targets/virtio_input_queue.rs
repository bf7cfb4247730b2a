//! Fuzzes virtio-input's queue handling through the virtio-mmio transport: the input bytes
//! become the guest's memory (descriptor table, rings, buffers) and register writes; the
//! device must never panic whatever the guest put there.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::Arc;
use vm_memory::{Bytes, GuestAddress, GuestMemoryMmap};
use vmm_core::devices::virtio::input::{Input, InputKind, EV_KEY};
use vmm_core::devices::virtio::mmio::MmioTransport;
use vmm_core::devices::virtio::VirtioInterrupt;
use vmm_core::devices::BusDevice;
use vmm_sys_util::eventfd::EventFd;

const MEM: usize = 0x10000;

fuzz_target!(|data: &[u8]| {
    if data.len() < 16 {
        return;
    }
    let mem = GuestMemoryMmap::<()>::from_ranges(&[(GuestAddress(0), MEM)]).unwrap();
    let n = data.len().min(MEM);
    mem.write_slice(&data[..n], GuestAddress(0)).unwrap();
    let irq = Arc::new(VirtioInterrupt::new(EventFd::new(libc_nonblock()).unwrap()));
    let (dev, handle) = Input::new(InputKind::Keyboard);
    let mut t = MmioTransport::new(Arc::new(std::sync::Mutex::new(dev)), mem, irq);
    let w = |t: &mut MmioTransport, off: u64, v: u32| t.write(off, &v.to_le_bytes());
    // A driver's set-up, with queue size and addresses taken from the fuzz input.
    let word = |i: usize| u32::from_le_bytes(data[i * 4..i * 4 + 4].try_into().unwrap());
    w(&mut t, 0x70, 1 | 2);
    w(&mut t, 0x24, 1);
    w(&mut t, 0x20, 1);
    w(&mut t, 0x70, 1 | 2 | 8);
    for q in 0..2u32 {
        w(&mut t, 0x30, q);
        w(&mut t, 0x38, word(0) & 0x7f);
        w(&mut t, 0x80, word(1) % MEM as u32);
        w(&mut t, 0x90, word(2) % MEM as u32);
        w(&mut t, 0xa0, word(3) % MEM as u32);
        w(&mut t, 0x44, 1);
    }
    w(&mut t, 0x70, 1 | 2 | 8 | 4);
    for (i, b) in data.iter().take(64).enumerate() {
        handle.send(&[(EV_KEY, u16::from(*b), (i % 2) as i32)]);
        w(&mut t, 0x50, u32::from(*b % 3));
    }
});

fn libc_nonblock() -> i32 {
    0o4000 // EFD_NONBLOCK
}
