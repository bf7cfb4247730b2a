//! An ATA disk behind an AHCI port, for guests without virtio drivers (Windows and BSD
//! installers): IDENTIFY DEVICE, READ/WRITE DMA (28-bit and EXT), READ/WRITE SECTORS (PIO, same
//! data path), READ VERIFY, FLUSH CACHE (EXT), SET FEATURES (write cache on/off, transfer
//! mode), the power commands as no-ops; everything else ABORTs, as QEMU's `hw/ide/core.c` does
//! for what it does not know. No NCQ (IDENTIFY says so: SeaBIOS and Linux then use the DMA
//! commands) and no TRIM.
//!
//! Pure command logic: the task file in, a [`Transfer`] or a status out; the HBA moves the
//! bytes with [`AtaDisk::read`]/[`AtaDisk::write`]. Every LBA and count comes from the guest and
//! is checked against the disk (IDNF past its end); an image error is the guest's problem
//! (UNC/ABRT in the task file), never the VMM's.

use super::atapi::ata_string;
use crate::devices::virtio::block::BlockStats;
use crate::storage::Disk;
use crate::util::lock;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

pub const SECTOR: u64 = 512;
/// The legacy geometry IDENTIFY reports: 16 heads, 63 sectors a track.
const HEADS: u64 = 16;
const SPT: u64 = 63;
/// The model string IDENTIFY reports.
pub const MODEL: &str = "vmdesk SATA disk";

// ATA error register bits.
pub const ERR_ABRT: u8 = 0x04;
pub const ERR_IDNF: u8 = 0x10;
pub const ERR_UNC: u8 = 0x40;

/// The task-file registers of a command FIS (H2D, C bit set).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TaskFile {
    pub command: u8,
    /// Features 7:0 (SET FEATURES' subcommand).
    pub features: u8,
    /// LBA 47:0 (28-bit commands use bits 27:0: 23:0 from the FIS, 27:24 from the device byte).
    pub lba: u64,
    /// Sector count 15:0 as written (0 means 256 or 65536, by command).
    pub count: u16,
}

impl TaskFile {
    /// The registers of a 20-byte H2D register FIS.
    pub fn from_fis(f: &[u8]) -> TaskFile {
        let at = |i: usize| f.get(i).copied().unwrap_or(0);
        let lba48 = u64::from_le_bytes([at(4), at(5), at(6), at(8), at(9), at(10), 0, 0]);
        TaskFile {
            command: at(2),
            features: at(3),
            lba: lba48,
            count: u16::from_le_bytes([at(12), at(13)]),
        }
    }

    /// LBA and sector count of a 28-bit command: LBA 27:24 in the device byte's low nibble
    /// when its LBA bit (6) is set, else a CHS address in the geometry IDENTIFY reports
    /// (sectors count from 1 to 63: others are `None`).
    fn range28(&self, device: u8) -> Option<(u64, u64)> {
        let lba = if device & 0x40 != 0 {
            (self.lba & 0xff_ffff) | (u64::from(device & 0x0f) << 24)
        } else {
            let sector = self.lba & 0xff;
            let cyl = (self.lba >> 8) & 0xffff;
            let head = u64::from(device & 0x0f);
            if !(1..=SPT).contains(&sector) {
                return None;
            }
            (cyl * HEADS + head) * SPT + sector - 1
        };
        let n = match self.count & 0xff {
            0 => 256,
            n => u64::from(n),
        };
        Some((lba, n))
    }

    fn range48(&self) -> (u64, u64) {
        let n = match self.count {
            0 => 65536,
            n => u64::from(n),
        };
        (self.lba, n)
    }
}

/// What a command asks of the HBA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done; no data.
    Done,
    /// Done, with the count register set (CHECK POWER MODE).
    Count(u8),
    /// IDENTIFY DEVICE: these 512 bytes to the host, PIO.
    Identify,
    /// `sectors` from `lba` to the host (`pio`: announced by a PIO setup FIS).
    Read { lba: u64, sectors: u64, pio: bool },
    /// `sectors` from the host to `lba`.
    Write { lba: u64, sectors: u64, pio: bool },
    /// Failed: ERR in the status, this in the error register.
    Error(u8),
}

/// The disk's snapshot state: its size (the same image must be there) and the guest's
/// write-cache setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AtaState {
    pub sectors: u64,
    pub write_cache: bool,
}

/// The image a SATA disk reads and writes, shared with the snapshot code, which switches it to
/// a new overlay while the VM is paused (see [`crate::snapshot::disks`]).
#[derive(Clone)]
pub struct SataDisk {
    disk: Arc<Mutex<Disk>>,
    writable: bool,
    stats: Arc<BlockStats>,
}

impl SataDisk {
    pub fn new(disk: Disk) -> SataDisk {
        SataDisk {
            writable: !disk.read_only(),
            disk: Arc::new(Mutex::new(disk)),
            stats: Arc::new(BlockStats::default()),
        }
    }

    /// Whether the guest may write it.
    pub fn writable(&self) -> bool {
        self.writable
    }

    pub fn disk(&self) -> MutexGuard<'_, Disk> {
        lock(&self.disk)
    }

    /// The counters the control API reports for it.
    pub fn stats(&self) -> Arc<BlockStats> {
        self.stats.clone()
    }

    /// Switches to another image chain of the same size and writability (a snapshot's new
    /// overlay); returns the one it used. Commands run on vCPU threads, so with the VM paused
    /// none sees two images.
    pub fn replace_disk(&self, new: Disk) -> Result<Disk, String> {
        let mut cur = lock(&self.disk);
        crate::storage::check_replacement(&cur, &new, self.writable)?;
        Ok(std::mem::replace(&mut *cur, new))
    }
}

fn bump(c: &AtomicU64, by: u64) {
    c.fetch_add(by, Ordering::Relaxed);
}

/// The drive on a port.
pub struct AtaDisk {
    disk: SataDisk,
    serial: String,
    /// Whole 512-byte sectors (a partial last sector is not visible).
    sectors: u64,
    /// The guest's SET FEATURES setting; off means every write is flushed before it completes.
    write_cache: bool,
}

impl AtaDisk {
    /// `serial`: at most 20 characters are shown.
    pub fn new(disk: SataDisk, serial: &str) -> AtaDisk {
        let sectors = disk.disk().size() / SECTOR;
        AtaDisk {
            disk,
            serial: serial.chars().take(20).collect(),
            sectors,
            write_cache: true,
        }
    }

    pub fn sectors(&self) -> u64 {
        self.sectors
    }

    pub fn handle(&self) -> &SataDisk {
        &self.disk
    }

    /// IDENTIFY DEVICE data (as QEMU's `ide_identify`, SATA, no NCQ): fixed disk, LBA48 with
    /// the sector count, CHS for old callers, multiword DMA 0–2 and UDMA 0–5, write cache
    /// (supported, and on as set), FLUSH CACHE (EXT); with the integrity word.
    pub fn identify(&self) -> [u8; 512] {
        let mut w = [0u16; 256];
        let s = self.sectors;
        let cyls = (s / (HEADS * SPT)).min(16383) as u16;
        w[0] = 0x0040;
        w[1] = cyls;
        w[3] = HEADS as u16;
        w[6] = SPT as u16;
        ata_string(&mut w[10..20], &self.serial);
        ata_string(&mut w[23..27], "1.0");
        ata_string(&mut w[27..47], MODEL);
        w[47] = 0x8000;
        w[49] = (1 << 11) | (1 << 9) | (1 << 8); // IORDY, LBA, DMA
        w[50] = 0x4000;
        w[51] = 0x200;
        w[52] = 0x200;
        w[53] = 7;
        w[54] = cyls;
        w[55] = HEADS as u16;
        w[56] = SPT as u16;
        let chs = u32::from(cyls) * (HEADS * SPT) as u32;
        w[57] = chs as u16;
        w[58] = (chs >> 16) as u16;
        let lba28 = s.min(0x0fff_ffff) as u32;
        w[60] = lba28 as u16;
        w[61] = (lba28 >> 16) as u16;
        w[63] = 0x07; // multiword DMA 0-2
        w[64] = 0x03; // PIO 3-4
        w[65] = 120;
        w[66] = 120;
        w[67] = 120;
        w[68] = 120;
        w[76] = 1 << 1; // SATA gen 1, no NCQ
        w[80] = 0xf0; // ATA/ATAPI-4 to 7
        w[81] = 0x16;
        w[82] = 1 << 5; // write cache
        w[83] = (1 << 14) | (1 << 13) | (1 << 12) | (1 << 10); // FLUSH CACHE (EXT), LBA48
        w[84] = 1 << 14;
        w[85] = u16::from(self.write_cache) << 5;
        w[86] = (1 << 13) | (1 << 12) | (1 << 10);
        w[87] = 1 << 14;
        w[88] = 0x3f | (1 << 13); // UDMA 0-5, 5 selected
        w[93] = 1 | (1 << 14) | 0x2000;
        w[100] = s as u16;
        w[101] = (s >> 16) as u16;
        w[102] = (s >> 32) as u16;
        w[103] = (s >> 48) as u16;
        w[106] = 1 << 14; // one logical sector a physical one
        let mut out = [0u8; 512];
        for (o, v) in out.chunks_exact_mut(2).zip(w) {
            o.copy_from_slice(&v.to_le_bytes());
        }
        // Integrity word: signature 0xa5, then the byte making the sum of all 512 zero.
        out[510] = 0xa5;
        let sum = out[..511].iter().fold(0u8, |a, &b| a.wrapping_add(b));
        out[511] = sum.wrapping_neg();
        out
    }

    /// Decides a command (`device`: the FIS's device byte, LBA 27:24 of 28-bit commands).
    pub fn command(&mut self, tf: &TaskFile, device: u8) -> Outcome {
        let r28 = || tf.range28(device);
        let r48 = || Some(tf.range48());
        let (range, read, pio) = match tf.command {
            0xec => return Outcome::Identify,
            0x25 => (r48(), true, false),  // READ DMA EXT
            0x35 => (r48(), false, false), // WRITE DMA EXT
            0xc8 => (r28(), true, false),  // READ DMA
            0xca => (r28(), false, false), // WRITE DMA
            0x24 => (r48(), true, true),   // READ SECTORS EXT
            0x34 => (r48(), false, true),  // WRITE SECTORS EXT
            0x20 => (r28(), true, true),   // READ SECTORS
            0x30 => (r28(), false, true),  // WRITE SECTORS
            // READ VERIFY SECTORS (EXT): nothing moves; only the range is checked.
            0x40 => return self.verify(r28()),
            0x42 => return self.verify(r48()),
            // FLUSH CACHE (EXT).
            0xe7 | 0xea => return self.flush(),
            0xef => return self.set_features(tf.features),
            // CHECK POWER MODE: active.
            0xe5 => return Outcome::Count(0xff),
            // Standby, idle, sleep, INITIALIZE DEVICE PARAMETERS, RECALIBRATE: nothing to do
            // for an image.
            0xe0..=0xe3 | 0xe6 | 0x91 | 0x10..=0x1f => return Outcome::Done,
            _ => return Outcome::Error(ERR_ABRT),
        };
        let Some((lba, sectors)) = range.filter(|&(l, n)| self.in_range(l, n)) else {
            return Outcome::Error(ERR_IDNF);
        };
        if read {
            Outcome::Read { lba, sectors, pio }
        } else if !self.disk.writable {
            Outcome::Error(ERR_ABRT)
        } else {
            Outcome::Write { lba, sectors, pio }
        }
    }

    fn in_range(&self, lba: u64, sectors: u64) -> bool {
        lba.checked_add(sectors)
            .is_some_and(|end| end <= self.sectors)
    }

    fn verify(&self, range: Option<(u64, u64)>) -> Outcome {
        if range.is_some_and(|(lba, sectors)| self.in_range(lba, sectors)) {
            Outcome::Done
        } else {
            Outcome::Error(ERR_IDNF)
        }
    }

    fn flush(&self) -> Outcome {
        bump(&self.disk.stats.flushes, 1);
        if !self.disk.writable {
            return Outcome::Done;
        }
        match self.disk.disk().flush() {
            Ok(()) => Outcome::Done,
            Err(_) => {
                bump(&self.disk.stats.io_errors, 1);
                Outcome::Error(ERR_ABRT)
            }
        }
    }

    fn set_features(&mut self, sub: u8) -> Outcome {
        match sub {
            0x02 => self.write_cache = true,
            0x82 => {
                self.write_cache = false;
                return self.flush();
            }
            // Transfer mode, and the look-ahead and reverting-defaults switches: accepted.
            0x03 | 0x55 | 0xaa | 0x66 | 0xcc => {}
            _ => return Outcome::Error(ERR_ABRT),
        }
        Outcome::Done
    }

    /// Reads `buf.len()` bytes at sector `lba` (checked by [`AtaDisk::command`], and again here);
    /// Err is the error register's value.
    pub fn read(&self, lba: u64, buf: &mut [u8]) -> Result<(), u8> {
        let off = lba.checked_mul(SECTOR).ok_or(ERR_IDNF)?;
        let res = self.disk.disk().read(buf, off);
        bump(&self.disk.stats.reads, 1);
        match res {
            Ok(()) => {
                bump(&self.disk.stats.bytes_read, buf.len() as u64);
                Ok(())
            }
            Err(_) => {
                bump(&self.disk.stats.io_errors, 1);
                Err(ERR_UNC)
            }
        }
    }

    /// Writes `buf` at sector `lba`; with the write cache off, also to stable storage.
    pub fn write(&self, lba: u64, buf: &[u8]) -> Result<(), u8> {
        let off = lba.checked_mul(SECTOR).ok_or(ERR_IDNF)?;
        let res = {
            let d = self.disk.disk();
            d.write(buf, off)
                .and_then(|()| if self.write_cache { Ok(()) } else { d.flush() })
        };
        bump(&self.disk.stats.writes, 1);
        match res {
            Ok(()) => {
                bump(&self.disk.stats.bytes_written, buf.len() as u64);
                Ok(())
            }
            Err(_) => {
                bump(&self.disk.stats.io_errors, 1);
                Err(ERR_ABRT)
            }
        }
    }

    pub fn save(&self) -> AtaState {
        AtaState {
            sectors: self.sectors,
            write_cache: self.write_cache,
        }
    }

    /// The image must have the size it had.
    pub fn restore(&mut self, s: &AtaState) -> Result<(), String> {
        if s.sectors != self.sectors {
            return Err(format!(
                "the SATA disk has {} sectors; the snapshot's had {}",
                self.sectors, s.sectors
            ));
        }
        self.write_cache = s.write_cache;
        Ok(())
    }
}
