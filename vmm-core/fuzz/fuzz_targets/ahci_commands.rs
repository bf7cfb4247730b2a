//! Fuzzes the AHCI controller: the input's head becomes guest memory (command lists, command
//! tables with their FISes, packets and PRDTs, FIS receive areas), the rest a sequence of
//! ABAR register writes and reads (setting PxCLB/PxFB/PxCMD/PxCI makes it run commands from
//! that memory). A CD-ROM drive with a small image is on port 0, an empty one on port 1. The
//! controller must never panic, whatever the guest programs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use vm_memory::{Bytes, GuestAddress, GuestMemoryMmap};
use vmm_core::devices::ahci::atapi::{Medium, BLOCK};
use vmm_core::devices::ahci::{Ahci, ABAR_SIZE};
use vmm_core::devices::BusDevice;

const MEM: usize = 0x10000;

fn image() -> &'static std::path::Path {
    static PATH: OnceLock<std::path::PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let p = std::env::temp_dir().join(format!("ahci-fuzz-{}.iso", std::process::id()));
        std::fs::write(&p, vec![0xa5; (16 * BLOCK) as usize]).unwrap();
        p
    })
}

fuzz_target!(|data: &[u8]| {
    let mem = GuestMemoryMmap::<()>::from_ranges(&[(GuestAddress(0), MEM)]).unwrap();
    let (head, ops) = data.split_at(data.len().min(0x2000));
    mem.write_slice(head, GuestAddress(0)).unwrap();
    let Ok(mut dev) = Ahci::new(mem, vec![Medium::open(image()).ok(), None]) else {
        return;
    };
    // Each access: two offset bytes (the top bit chooses read), then four value bytes.
    for op in ops.chunks_exact(6) {
        let raw = u16::from_le_bytes([op[0], op[1]]);
        let offset = u64::from(raw & 0x7fff) % u64::from(ABAR_SIZE);
        if raw & 0x8000 == 0 {
            dev.write(offset & !3, &op[2..6]);
        } else {
            let mut buf = [0u8; 4];
            dev.read(offset, &mut buf);
        }
    }
});
