//! Fuzzes fw_cfg's ports: the input's head becomes guest memory (where DMA descriptors and
//! targets are found), the rest a sequence of port accesses; the device must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vm_memory::{Bytes, GuestAddress, GuestMemoryMmap};
use vmm_core::devices::fw_cfg::{FwCfg, PORT_LEN};
use vmm_core::devices::BusDevice;

const MEM: usize = 0x10000;

fuzz_target!(|data: &[u8]| {
    let mem = GuestMemoryMmap::<()>::from_ranges(&[(GuestAddress(0), MEM)]).unwrap();
    let (head, ops) = data.split_at(data.len().min(0x1000));
    mem.write_slice(head, GuestAddress(0)).unwrap();
    let e820 = [(0, MEM as u64, 1)];
    let Ok(mut dev) = FwCfg::for_pc(mem, 1, MEM as u64, &e820) else {
        return;
    };
    let _ = dev.add_writable_file("rw", vec![0; 64]);
    // Each access: offset/direction byte, size byte, then up to 8 value bytes.
    for op in ops.chunks(10) {
        let [kind, size, value @ ..] = op else { break };
        let offset = u64::from(kind & 0x7f) % (PORT_LEN + 2);
        let size = [1usize, 2, 4, 8][usize::from(size % 4)].min(value.len());
        if kind & 0x80 == 0 {
            dev.write(offset, &value[..size]);
        } else {
            let mut buf = [0u8; 8];
            dev.read(offset, &mut buf[..size]);
        }
    }
});
