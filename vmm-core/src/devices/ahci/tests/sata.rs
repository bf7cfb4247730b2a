//! SATA disks on the HBA: IDENTIFY, data through PRDTs both ways, the ranges a guest names
//! checked against the disk, read-only disks, and the port in snapshots.

use super::super::ata::{self, AtaDisk, SataDisk, SECTOR};
use super::*;
use crate::storage::{Disk, ImageFormat};
use std::path::Path;

const SECTORS: u64 = 2048; // 1 MiB

/// A raw image whose sector `i` starts with the byte `i`.
fn image(dir: &Path) -> std::path::PathBuf {
    let p = dir.join("disk.img");
    let mut img = vec![0u8; (SECTORS * SECTOR) as usize];
    for (i, s) in img.chunks_mut(SECTOR as usize).enumerate() {
        s[0] = i as u8;
    }
    std::fs::write(&p, img).unwrap();
    p
}

fn drive(path: &Path, read_only: bool) -> AtaDisk {
    let disk = Disk::open(path, Some(ImageFormat::Raw), read_only).unwrap();
    AtaDisk::new(SataDisk::new(disk), "SATA-SERIAL-1")
}

/// A controller with one CD-ROM drive (port 0) and the disk on port 1, engines on.
fn with_disk(d: AtaDisk) -> Ahci {
    let mut a = Ahci::with_disks(mem(), vec![None], vec![d]).unwrap();
    wr(&mut a, GHC, GHC_IE);
    wr(&mut a, port_reg(1, P_CLB), CLB as u32);
    wr(&mut a, port_reg(1, P_FB), FB as u32);
    wr(&mut a, port_reg(1, P_IE), u32::MAX);
    wr(&mut a, port_reg(1, P_CMD), CMD_FRE | CMD_ST);
    a
}

/// Issues an ATA command in slot 0 of port 1 (`device`: the device byte; LBA bits 27:24 of a
/// 28-bit command) and returns the task file (error << 8 | status).
fn ata(a: &mut Ahci, command: u8, lba: u64, count: u16, device: u8, prds: &[(u64, u32)]) -> u32 {
    let mut hdr = [0u8; 32];
    let write = matches!(command, 0x35 | 0xca | 0x34 | 0x30);
    let dw0 = 5 | (u32::from(write) << 6) | ((prds.len() as u32) << 16);
    hdr[0..4].copy_from_slice(&dw0.to_le_bytes());
    hdr[8..16].copy_from_slice(&CT.to_le_bytes());
    a.mem.write_slice(&hdr, GuestAddress(CLB)).unwrap();
    let mut ct = vec![0u8; 0x80 + 16 * prds.len()];
    let l = lba.to_le_bytes();
    ct[..14].copy_from_slice(&[
        FIS_H2D, 0x80, command, 0, l[0], l[1], l[2], device, l[3], l[4], l[5], 0, 0, 0,
    ]);
    ct[12..14].copy_from_slice(&count.to_le_bytes());
    for (i, &(addr, len)) in prds.iter().enumerate() {
        let e = &mut ct[0x80 + 16 * i..0x90 + 16 * i];
        e[0..8].copy_from_slice(&addr.to_le_bytes());
        e[12..16].copy_from_slice(&(len - 1).to_le_bytes());
    }
    a.mem.write_slice(&ct, GuestAddress(CT)).unwrap();
    wr(a, port_reg(1, P_IS), u32::MAX);
    wr(a, port_reg(1, P_CI), 1);
    assert_eq!(rd(a, port_reg(1, P_CI)), 0);
    rd(a, port_reg(1, P_TFD))
}

fn words(a: &Ahci) -> Vec<u16> {
    let mut b = [0u8; 512];
    a.mem.read_slice(&mut b, GuestAddress(BUF)).unwrap();
    b.chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect()
}

fn ata_text(w: &[u16]) -> String {
    let b: Vec<u8> = w.iter().flat_map(|w| w.to_be_bytes()).collect();
    String::from_utf8(b).unwrap().trim_end().to_string()
}

#[test]
fn a_sata_disk_shows_the_ata_signature_and_identify_describes_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = with_disk(drive(&image(dir.path()), false));
    assert_eq!(rd(&mut a, port_reg(0, P_SIG)), SIG_ATAPI);
    assert_eq!(rd(&mut a, port_reg(1, P_SIG)), 0x101);
    assert_eq!(rd(&mut a, port_reg(1, P_SSTS)) & 0xf, 3);
    assert_eq!(a.cdroms(), 1);
    assert!(a.cdrom(1).is_none() && a.disk(1).is_some());
    // SeaBIOS tries IDENTIFY PACKET DEVICE first: an ATA disk aborts it with its signature.
    let tfd = ata(&mut a, 0xa1, 0, 0, 0, &[(BUF, 512)]);
    assert_eq!(tfd, 0x0451);
    let tfd = ata(&mut a, 0xec, 0, 0, 0, &[(BUF, 512)]);
    assert_eq!(tfd & 0xff, 0x50);
    assert_ne!(rd(&mut a, port_reg(1, P_IS)) & IS_PSS, 0, "PIO data-in");
    assert_eq!(prdbc(&a), 512);
    let w = words(&a);
    assert_eq!(w[0] & 0x80, 0, "not removable");
    assert_eq!(ata_text(&w[27..47]), ata::MODEL);
    assert_eq!(ata_text(&w[10..20]), "SATA-SERIAL-1");
    assert_ne!(w[49] & (1 << 9), 0, "LBA");
    assert_ne!(w[49] & (1 << 8), 0, "DMA");
    assert_ne!(w[83] & (1 << 10), 0, "LBA48");
    assert_ne!(w[83] & (1 << 13), 0, "FLUSH CACHE EXT");
    assert_ne!(w[82] & (1 << 5), 0, "write cache supported");
    assert_ne!(w[85] & (1 << 5), 0, "write cache on");
    assert_eq!(w[76] & (1 << 8), 0, "no NCQ");
    assert_eq!(w[169] & 1, 0, "no TRIM");
    assert_eq!(w[88] & 0x3f, 0x3f, "UDMA 0-5");
    let lba48 = (0..4).fold(0u64, |n, i| n | u64::from(w[100 + i]) << (16 * i));
    assert_eq!(lba48, SECTORS);
    assert_eq!(u32::from(w[60]) | u32::from(w[61]) << 16, SECTORS as u32);
    let mut b = [0u8; 512];
    a.mem.read_slice(&mut b, GuestAddress(BUF)).unwrap();
    assert_eq!(b[510], 0xa5);
    assert_eq!(b.iter().fold(0u8, |s, &x| s.wrapping_add(x)), 0, "checksum");
    // SET FEATURES: an unknown subcommand aborts; the write cache can be turned off (and
    // that shows).
    assert_eq!(ata(&mut a, 0xef, 0, 0, 0, &[]), 0x0451);
    let mut cfis = [0u8; 20];
    a.mem.read_slice(&mut cfis, GuestAddress(CT)).unwrap();
    cfis[3] = 0x82;
    a.mem.write_slice(&cfis, GuestAddress(CT)).unwrap();
    wr(&mut a, port_reg(1, P_CI), 1);
    assert_eq!(rd(&mut a, port_reg(1, P_TFD)) & 0xff, 0x50);
    ata(&mut a, 0xec, 0, 0, 0, &[(BUF, 512)]);
    assert_eq!(words(&a)[85] & (1 << 5), 0, "write cache off");
}

#[test]
fn writes_and_reads_go_through_the_prdt_to_the_image() {
    let dir = tempfile::tempdir().unwrap();
    let path = image(dir.path());
    let mut a = with_disk(drive(&path, false));
    // WRITE DMA EXT of sectors 1000..1003 from two PRDs (1 KiB + 512 bytes, odd split).
    let data: Vec<u8> = (0..3 * SECTOR as usize).map(|i| (i * 7) as u8).collect();
    a.mem.write_slice(&data[..1024], GuestAddress(BUF)).unwrap();
    a.mem
        .write_slice(&data[1024..], GuestAddress(BUF + 0x8000))
        .unwrap();
    let tfd = ata(
        &mut a,
        0x35,
        1000,
        3,
        0x40,
        &[(BUF, 1024), (BUF + 0x8000, 512)],
    );
    assert_eq!(tfd & 0xff, 0x50);
    assert_eq!(prdbc(&a), 3 * SECTOR as u32);
    assert_eq!(
        ata(&mut a, 0xea, 0, 0, 0x40, &[]) & 0xff,
        0x50,
        "FLUSH CACHE EXT"
    );
    let img = std::fs::read(&path).unwrap();
    assert_eq!(&img[1000 * 512..1003 * 512], &data[..]);
    assert_eq!(
        img[1003 * 512],
        1003u16 as u8,
        "the next sector is untouched"
    );
    // READ DMA EXT of sectors 999..1001 into one PRD.
    let tfd = ata(&mut a, 0x25, 999, 2, 0x40, &[(BUF + 0x1_0000, 1024)]);
    assert_eq!(tfd & 0xff, 0x50);
    let mut got = [0u8; 1024];
    a.mem
        .read_slice(&mut got, GuestAddress(BUF + 0x1_0000))
        .unwrap();
    assert_eq!(got[0], 999u16 as u8);
    assert_eq!(&got[512..], &data[..512]);
    // READ DMA (28-bit): LBA 27:24 come from the device byte; count 0 means 256 sectors.
    let tfd = ata(&mut a, 0xc8, 0x0400, 0, 0x40, &[(BUF, 256 * 512)]);
    assert_eq!(tfd & 0xff, 0x50);
    let first: u8 = a.mem.read_obj(GuestAddress(BUF)).unwrap();
    assert_eq!(first, 0);
    assert_eq!(
        ata(&mut a, 0xc8, 0, 1, 0x41, &[(BUF, 512)]) >> 8,
        0x10,
        "LBA 2^24 is past the end"
    );
    // Without the LBA bit, a 28-bit address is CHS (16 heads, 63 sectors a track, sectors
    // from 1): cylinder 1, head 2, sector 3 is LBA (16 + 2) * 63 + 2 = 1136; sector 0 is none.
    let chs = (1 << 8) | 3;
    assert_eq!(ata(&mut a, 0xc8, chs, 1, 0x02, &[(BUF, 512)]) & 0xff, 0x50);
    let s1136: u8 = a.mem.read_obj(GuestAddress(BUF)).unwrap();
    assert_eq!(s1136, 1136u16 as u8);
    assert_eq!(ata(&mut a, 0xc8, 1 << 8, 1, 0x02, &[(BUF, 512)]) >> 8, 0x10);
    // PIO READ SECTORS uses the same path and announces itself with a PIO setup FIS.
    assert_eq!(ata(&mut a, 0x20, 5, 1, 0x40, &[(BUF, 512)]) & 0xff, 0x50);
    assert_ne!(rd(&mut a, port_reg(1, P_IS)) & IS_PSS, 0);
    let s5: u8 = a.mem.read_obj(GuestAddress(BUF)).unwrap();
    assert_eq!(s5, 5);
    let stats = a.disk(1).unwrap().handle().stats().snapshot();
    assert_eq!((stats.write_requests, stats.write_bytes), (1, 3 * 512));
    assert_eq!(stats.flushes, 1);
}

#[test]
fn ranges_past_the_end_prdts_too_small_and_unknown_commands_are_errors_in_the_task_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = image(dir.path());
    let before = std::fs::read(&path).unwrap();
    let mut a = with_disk(drive(&path, false));
    let big = &[(BUF, 0x10_0000)];
    for (cmd, lba, count) in [
        (0x25, SECTORS - 1, 2),
        (0x35, SECTORS, 1),
        (0x25, (1 << 48) - 1, 0xffff),
        (0x25, 0, 0), // 65536 sectors: more than the disk
        (0x42, SECTORS, 1),
    ] {
        let tfd = ata(&mut a, cmd, lba, count, 0x40, big);
        assert_eq!(tfd, 0x1051, "{cmd:#x} {lba} {count}: IDNF");
        assert_ne!(rd(&mut a, port_reg(1, P_IS)) & IS_TFES, 0);
        assert_eq!(prdbc(&a), 0);
    }
    // The last sector itself is fine.
    assert_eq!(ata(&mut a, 0x25, SECTORS - 1, 1, 0x40, big) & 0xff, 0x50);
    // A PRDT shorter than the transfer: ABRT, nothing written.
    assert_eq!(ata(&mut a, 0x35, 0, 4, 0x40, &[(BUF, 1024)]), 0x0451);
    // A PRDT outside guest memory: a host bus data error.
    ata(&mut a, 0x35, 0, 1, 0x40, &[(MEM as u64 - 100, 512)]);
    assert_ne!(rd(&mut a, port_reg(1, P_IS)) & IS_HBDS, 0);
    ata(&mut a, 0x25, 0, 1, 0x40, &[(u64::MAX - 10, 512)]);
    assert_ne!(rd(&mut a, port_reg(1, P_IS)) & IS_HBDS, 0);
    // Commands it does not do: ABRT (NCQ, DSM/TRIM, DEVICE RESET, SMART, READ LOG EXT).
    for cmd in [0x60, 0x61, 0x06, 0x08, 0xb0, 0x2f, 0xf8, 0x00] {
        assert_eq!(ata(&mut a, cmd, 0, 1, 0x40, big), 0x0451, "{cmd:#x}");
    }
    assert_eq!(
        ata(&mut a, 0xe5, 0, 0, 0, &[]) & 0xff,
        0x50,
        "CHECK POWER MODE"
    );
    let d2h: [u8; 20] = a.mem.read_obj(GuestAddress(FB + RX_D2H)).unwrap();
    assert_eq!(d2h[12], 0xff, "active");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn a_read_only_disk_refuses_writes_and_reads() {
    let dir = tempfile::tempdir().unwrap();
    let path = image(dir.path());
    let before = std::fs::read(&path).unwrap();
    let mut a = with_disk(drive(&path, true));
    a.mem.write_slice(&[0xee; 512], GuestAddress(BUF)).unwrap();
    for cmd in [0x35, 0xca, 0x34, 0x30] {
        assert_eq!(
            ata(&mut a, cmd, 3, 1, 0x40, &[(BUF, 512)]),
            0x0451,
            "{cmd:#x}"
        );
    }
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(ata(&mut a, 0x25, 3, 1, 0x40, &[(BUF, 512)]) & 0xff, 0x50);
    let s3: u8 = a.mem.read_obj(GuestAddress(BUF)).unwrap();
    assert_eq!(s3, 3);
    assert_eq!(
        ata(&mut a, 0xe7, 0, 0, 0, &[]) & 0xff,
        0x50,
        "FLUSH: nothing to do"
    );
}

#[test]
fn the_port_with_its_disk_round_trips_through_a_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let path = image(dir.path());
    let mut a = with_disk(drive(&path, true));
    let mut cfis = [0u8; 20];
    ata(&mut a, 0xef, 0, 0, 0, &[]);
    a.mem.read_slice(&mut cfis, GuestAddress(CT)).unwrap();
    cfis[3] = 0x82;
    a.mem.write_slice(&cfis, GuestAddress(CT)).unwrap();
    wr(&mut a, port_reg(1, P_CI), 1);
    let s = a.save().unwrap();
    assert_eq!(s.ports[1].disk.as_ref().map(|d| d.write_cache), Some(false));
    let json = serde_json::to_string(&s).unwrap();
    let back: AhciState = serde_json::from_str(&json).unwrap();
    let mut b = Ahci::with_disks(mem(), vec![None], vec![drive(&path, true)]).unwrap();
    b.restore(&back, ()).unwrap();
    assert_eq!(b.save().unwrap(), s);
    assert_eq!(rd(&mut b, port_reg(1, P_SIG)), 0x101);
    // A VM with a CD-ROM drive where the disk was, or none, or a disk of another size: refused.
    let mut c = Ahci::new(mem(), vec![None, None]).unwrap();
    assert!(c.restore(&s, ()).unwrap_err().contains("port 1"));
    let mut d = Ahci::new(mem(), vec![None]).unwrap();
    assert!(d.restore(&s, ()).unwrap_err().contains("SATA disk"));
    let small = dir.path().join("small.img");
    std::fs::write(&small, vec![0u8; 4096]).unwrap();
    let mut e = Ahci::with_disks(mem(), vec![None], vec![drive(&small, true)]).unwrap();
    assert!(e.restore(&s, ()).unwrap_err().contains("sectors"));
    // More drives than ports.
    let many: Vec<AtaDisk> = (0..6).map(|_| drive(&path, true)).collect();
    assert!(Ahci::with_disks(mem(), vec![None], many).is_err());
}

#[test]
fn any_command_with_any_lba_count_and_prdt_leaves_the_vmm_and_the_image_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = image(dir.path());
    let len = std::fs::metadata(&path).unwrap().len();
    let mut a = with_disk(drive(&path, false));
    // xorshift64: the same hostile sequence every run.
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..3000 {
        let command = next() as u8;
        let lba = match next() % 4 {
            0 => next() % SECTORS,
            1 => SECTORS - (next() % 4),
            2 => next() & ((1 << 48) - 1),
            _ => next() & 0xff_ffff,
        };
        let count = match next() % 3 {
            0 => 0,
            1 => (next() % 8) as u16,
            _ => next() as u16,
        };
        let prds: Vec<(u64, u32)> = (0..next() % 4)
            .map(|_| {
                let addr = match next() % 3 {
                    0 => BUF + (next() % 0x8_0000),
                    1 => MEM as u64 - (next() % 0x1000),
                    _ => next(),
                };
                (addr, (next() % 0x40_0000) as u32 + 1)
            })
            .collect();
        let tfd = ata(&mut a, command, lba, count, next() as u8, &prds);
        assert_eq!(tfd & 0x88, 0, "never left busy: {command:#x} {tfd:#x}");
    }
    assert_eq!(std::fs::metadata(&path).unwrap().len(), len);
    // Still answering.
    assert_eq!(ata(&mut a, 0x25, 1, 1, 0x40, &[(BUF, 512)]) & 0xff, 0x50);
}
