//! Fuzzes the AHCI controller: the input's head becomes guest memory (command lists, command
//! tables with their FISes, packets and PRDTs, FIS receive areas), the rest a sequence of
//! ABAR register writes and reads (setting PxCLB/PxFB/PxCMD/PxCI makes it run commands from
//! that memory). A CD-ROM drive with a small image is on port 0, an empty one on port 1, a
//! writable SATA disk (a small raw image) on port 2: ATA commands with any LBA, count and
//! PRDT. The controller must never panic, whatever the guest programs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use vm_memory::{Bytes, GuestAddress, GuestMemoryMmap};
use vmm_core::devices::ahci::ata::{AtaDisk, SataDisk};
use vmm_core::devices::ahci::atapi::{Medium, BLOCK};
use vmm_core::devices::ahci::{Ahci, ABAR_SIZE};
use vmm_core::devices::BusDevice;
use vmm_core::storage::{Disk, ImageFormat};

const MEM: usize = 0x10000;

fn image() -> &'static std::path::Path {
    static PATH: OnceLock<std::path::PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let p = std::env::temp_dir().join(format!("ahci-fuzz-{}.iso", std::process::id()));
        std::fs::write(&p, vec![0xa5; (16 * BLOCK) as usize]).unwrap();
        p
    })
}

/// A 64 KiB raw image; what the fuzzer writes stays in it (any content is fine).
fn disk_image() -> &'static std::path::Path {
    static PATH: OnceLock<std::path::PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let p = std::env::temp_dir().join(format!("ahci-fuzz-{}.img", std::process::id()));
        std::fs::write(&p, vec![0x5a; 0x1_0000]).unwrap();
        p
    })
}

fn sata_disk() -> Option<AtaDisk> {
    let d = Disk::open(disk_image(), Some(ImageFormat::Raw), false).ok()?;
    Some(AtaDisk::new(SataDisk::new(d), "FUZZ"))
}

fuzz_target!(|data: &[u8]| {
    let mem = GuestMemoryMmap::<()>::from_ranges(&[(GuestAddress(0), MEM)]).unwrap();
    let (head, ops) = data.split_at(data.len().min(0x2000));
    mem.write_slice(head, GuestAddress(0)).unwrap();
    let disks = sata_disk().into_iter().collect();
    let Ok(mut dev) = Ahci::with_disks(mem, vec![Medium::open(image()).ok(), None], disks) else {
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
