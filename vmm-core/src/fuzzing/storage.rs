//! Harnesses for the storage path: the AHCI controller and its ATAPI drive as a guest
//! programs them, and disk images as a user might be handed them (opened through our own
//! open path, backing chain rules included).

use super::guest_memory;
use crate::devices::ahci::ata::{AtaDisk, SataDisk};
use crate::devices::ahci::atapi::{Atapi, Medium, Outcome, BLOCK, MAX_REPLY};
use crate::devices::ahci::{Ahci, ABAR_SIZE};
use crate::devices::BusDevice;
use crate::storage::{Disk, ImageFormat};
use std::path::PathBuf;
use std::sync::OnceLock;

/// Blocks of the CD image the drives hold.
const CD_BLOCKS: u64 = 16;

/// One small ISO for every run of this process.
fn cd_image() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let p = super::scratch().join("cd.iso");
        std::fs::write(&p, vec![0xa5; (CD_BLOCKS * BLOCK) as usize]).expect("writing the ISO");
        p
    })
}

/// The AHCI controller: the input's head is guest memory (command lists, tables with their
/// FISes, packets and PRDTs, FIS receive areas; see [`super::split_head`]), the rest ABAR
/// register accesses. A CD-ROM
/// with a small image on port 0, an empty drive on port 1, a writable SATA disk on port 2.
pub fn ahci_commands(data: &[u8]) {
    let (head, ops) = super::split_head(data, 0x2000);
    let mem = guest_memory(head);
    let sata = Disk::open(
        &super::virtio::disk_images().0,
        Some(ImageFormat::Raw),
        false,
    )
    .ok()
    .map(|d| AtaDisk::new(SataDisk::new(d), "FUZZ"));
    let cds = vec![Medium::open(cd_image()).ok(), None];
    let Ok(mut dev) = Ahci::with_disks(mem, cds, sata.into_iter().collect()) else {
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
}

/// The ATAPI packet interpreter: each 12 bytes are a command packet to a drive with a small
/// image (or, if the first byte is odd, an empty one that gets a medium half-way); replies
/// stay bounded and reads in range.
pub fn atapi_packets(data: &[u8]) {
    let Some((&mode, packets)) = data.split_first() else {
        return;
    };
    let medium = || Medium::open(cd_image()).ok();
    let mut drive = Atapi::new(if mode & 1 == 0 { medium() } else { None });
    let mut buf = vec![0u8; BLOCK as usize];
    let n = packets.len() / 12;
    for (i, chunk) in packets.chunks_exact(12).enumerate() {
        if i == n / 2 && mode & 2 != 0 {
            if let Some(m) = medium() {
                let _ = drive.insert(m);
            }
        }
        if i == n / 2 && mode & 4 != 0 {
            let _ = drive.eject();
        }
        let cdb: [u8; 12] = chunk.try_into().expect("12 bytes");
        match drive.packet(&cdb) {
            Outcome::Data(d) => assert!(d.len() <= MAX_REPLY),
            Outcome::Read { lba, blocks } => {
                assert!(lba + u64::from(blocks) <= CD_BLOCKS);
                if blocks > 0 {
                    let _ = drive.read(lba, &mut buf);
                }
            }
            Outcome::Error(_) => {}
        }
    }
}

/// Largest image the target writes (the fuzzer's input is the image itself).
const MAX_IMAGE: usize = 1 << 20;

/// A disk image opened through `Disk::open` as the VMM opens a VM's disk: probed and as qcow2,
/// read-only and writable. Next to it lies a raw `base.img` it may name as its backing file;
/// whatever the header names, an opened chain stays in the image's folder. An image that opens
/// must read (and, writable, write) at its start and end without panicking.
pub fn qcow2_open(data: &[u8]) {
    let dir = super::fresh_path("qcow2");
    if std::fs::create_dir(&dir).is_err() {
        return;
    }
    let image = dir.join("image.qcow2");
    let base = dir.join("base.img");
    let n = data.len().min(MAX_IMAGE);
    if std::fs::write(&image, &data[..n]).is_err()
        || std::fs::write(&base, vec![0x11u8; 0x1_0000]).is_err()
    {
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    let canon_dir = std::fs::canonicalize(&dir).unwrap_or_else(|_| dir.clone());
    for (format, read_only) in [
        (None, true),
        (Some(ImageFormat::Qcow2), true),
        (Some(ImageFormat::Qcow2), false),
    ] {
        let Ok(disk) = Disk::open(&image, format, read_only) else {
            continue;
        };
        for b in disk.backing_chain() {
            let c = std::fs::canonicalize(b).unwrap_or_else(|_| b.clone());
            assert!(
                c.starts_with(&canon_dir),
                "backing file {} outside the image's folder",
                c.display()
            );
        }
        let size = disk.size();
        let mut buf = [0u8; 4096];
        for offset in [0, size.saturating_sub(4096) & !511] {
            let len = (size - offset).min(4096) as usize;
            if disk.check_range(offset, len as u64).is_ok() {
                let _ = disk.read(&mut buf[..len], offset);
                if !read_only {
                    let _ = disk.write(&buf[..len], offset);
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
