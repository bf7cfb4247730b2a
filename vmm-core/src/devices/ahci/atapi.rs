//! An ATAPI CD-ROM drive: the SCSI MMC commands firmware (SeaBIOS `cdrom.c`/`blockcmd.c`,
//! edk2's `AtaAtapiPassThru`) and inbox drivers (Linux `sr`, the BSDs, Windows) send in ATA
//! PACKET commands, as QEMU's `hw/ide/atapi.c` answers them. The medium is an ISO read with
//! `pread` from a file opened read-only; a read that fails (the file was truncated or its disk
//! went away) is a MEDIUM ERROR for the guest, never a panic.
//!
//! Pure command logic: a packet in, an [`Outcome`] out. The HBA moves the bytes.

use serde::{Deserialize, Serialize};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

pub const BLOCK: u64 = 2048;
/// Largest reply built in memory (mode pages, TOC …): the allocation length a guest names is
/// cut to this. Reads stream block by block instead.
pub const MAX_REPLY: usize = 4096;
/// A disc bigger than this reports the DVD-ROM profile, else CD-ROM.
const CD_MAX_BYTES: u64 = 800 << 20;

// Sense keys and additional sense codes.
pub const NO_SENSE: u8 = 0x00;
pub const NOT_READY: u8 = 0x02;
pub const MEDIUM_ERROR: u8 = 0x03;
pub const ILLEGAL_REQUEST: u8 = 0x05;
pub const UNIT_ATTENTION: u8 = 0x06;
const ASC_INVALID_OPCODE: u8 = 0x20;
const ASC_LBA_OUT_OF_RANGE: u8 = 0x21;
const ASC_INVALID_FIELD: u8 = 0x24;
const ASC_MEDIUM_MAY_HAVE_CHANGED: u8 = 0x28;
const ASC_SAVING_NOT_SUPPORTED: u8 = 0x39;
const ASC_MEDIUM_NOT_PRESENT: u8 = 0x3a;
const ASC_UNRECOVERED_READ_ERROR: u8 = 0x11;
const ASC_REMOVAL_PREVENTED: u8 = 0x53;

/// The sense data of the last command that failed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sense {
    pub key: u8,
    pub asc: u8,
    pub ascq: u8,
}

impl Sense {
    const fn new(key: u8, asc: u8, ascq: u8) -> Sense {
        Sense { key, asc, ascq }
    }
}

/// An opened ISO image.
pub struct Medium {
    file: File,
    path: PathBuf,
    /// Whole 2048-byte blocks (a partial last block is not visible).
    blocks: u64,
}

impl Medium {
    /// Opens `path` read-only. The error names the file.
    pub fn open(path: &Path) -> Result<Medium, String> {
        let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let m = file
            .metadata()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if !m.is_file() {
            return Err(format!("{}: not a regular file", path.display()));
        }
        Ok(Medium {
            file,
            path: path.to_path_buf(),
            blocks: m.len() / BLOCK,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn blocks(&self) -> u64 {
        self.blocks
    }
}

/// Puts `text` into IDENTIFY words as ATA strings are stored: space-padded, two characters per
/// word, the first in the high byte.
pub(crate) fn ata_string(words: &mut [u16], text: &str) {
    let mut bytes = text.bytes().chain(std::iter::repeat(b' '));
    for w in words {
        let hi = bytes.next().unwrap_or(b' ');
        let lo = bytes.next().unwrap_or(b' ');
        *w = u16::from_be_bytes([hi, lo]);
    }
}

/// IDENTIFY PACKET DEVICE data of a CD-ROM drive (QEMU's `ide_atapi_identify`): ATAPI,
/// CD-ROM, removable, 12-byte packets, LBA and DMA, UDMA 0–5.
pub fn identify_packet(serial: &str) -> [u8; 512] {
    let mut w = [0u16; 256];
    w[0] = (2 << 14) | (5 << 8) | (1 << 7) | (2 << 5);
    ata_string(&mut w[10..20], serial);
    ata_string(&mut w[23..27], "1.0");
    ata_string(&mut w[27..47], "VMDESK DVD-ROM");
    w[48] = 1;
    w[49] = (1 << 9) | (1 << 8);
    w[53] = 7;
    w[62] = 7;
    w[63] = 7;
    w[64] = 3;
    w[65] = 0xb4;
    w[66] = 0xb4;
    w[67] = 0x12c;
    w[68] = 0xb4;
    w[71] = 30;
    w[72] = 30;
    w[76] = 1 << 1; // SATA gen 1
    w[80] = 0x1e; // ATA/ATAPI-1 to 4
    w[88] = 0x3f | (1 << 13); // UDMA 0-5, 5 selected
    let mut out = [0u8; 512];
    for (o, v) in out.chunks_exact_mut(2).zip(w) {
        o.copy_from_slice(&v.to_le_bytes());
    }
    out
}

/// What a packet comes to.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Success, with these bytes for the host (maybe none).
    Data(Vec<u8>),
    /// Success: `blocks` blocks from `lba`, which the HBA fetches with [`Atapi::read`].
    Read { lba: u64, blocks: u32 },
    /// CHECK CONDITION: the sense is set.
    Error(Sense),
}

/// Media events for GET EVENT STATUS NOTIFICATION.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum MediaEvent {
    #[default]
    None,
    NewMedia,
    MediaRemoval,
}

/// A drive with or without a medium.
pub struct Atapi {
    medium: Option<Medium>,
    sense: Sense,
    /// The guest has not yet been told the medium changed.
    unit_attention: bool,
    /// PREVENT MEDIUM REMOVAL.
    locked: bool,
    /// The guest ejected (START STOP UNIT); the medium stays in the opened tray.
    tray_open: bool,
    event: MediaEvent,
}

/// A drive's state in a snapshot (the medium by its path).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AtapiState {
    pub medium: Option<PathBuf>,
    pub sense: Sense,
    pub unit_attention: bool,
    pub locked: bool,
    pub tray_open: bool,
    pub event: MediaEvent,
}

fn be16(b: &[u8]) -> usize {
    usize::from(u16::from_be_bytes([b[0], b[1]]))
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// An LBA as minutes/seconds/frames (75 frames a second, 150 frames of lead-in).
fn msf(lba: u64) -> [u8; 4] {
    let f = lba + 150;
    [
        0,
        u8::try_from(f / (75 * 60)).unwrap_or(0xff),
        ((f / 75) % 60) as u8,
        (f % 75) as u8,
    ]
}

impl Atapi {
    pub fn new(medium: Option<Medium>) -> Atapi {
        Atapi {
            medium,
            sense: Sense::default(),
            unit_attention: false,
            locked: false,
            tray_open: false,
            event: MediaEvent::None,
        }
    }

    pub fn medium(&self) -> Option<&Medium> {
        self.medium.as_ref()
    }

    pub fn locked(&self) -> bool {
        self.locked
    }

    /// A medium the guest can read: present, tray closed.
    fn ready(&self) -> Option<&Medium> {
        self.medium.as_ref().filter(|_| !self.tray_open)
    }

    /// The host takes the medium out (the control API). Refused while the guest locks it.
    pub fn eject(&mut self) -> Result<(), String> {
        if self.locked {
            return Err("the guest has locked the drive (PREVENT MEDIUM REMOVAL)".into());
        }
        if self.medium.take().is_some() {
            self.changed(MediaEvent::MediaRemoval);
        }
        self.tray_open = false;
        Ok(())
    }

    /// The host puts `medium` in (closing the tray). Refused while the guest locks it.
    pub fn insert(&mut self, medium: Medium) -> Result<(), String> {
        if self.locked {
            return Err("the guest has locked the drive (PREVENT MEDIUM REMOVAL)".into());
        }
        self.medium = Some(medium);
        self.tray_open = false;
        self.changed(MediaEvent::NewMedia);
        Ok(())
    }

    fn changed(&mut self, event: MediaEvent) {
        self.unit_attention = true;
        self.event = event;
    }

    fn fail(&mut self, key: u8, asc: u8, ascq: u8) -> Outcome {
        self.sense = Sense::new(key, asc, ascq);
        Outcome::Error(self.sense)
    }

    fn not_ready(&mut self) -> Outcome {
        // ASCQ 2: tray open; 1: tray closed.
        let ascq = if self.tray_open { 2 } else { 1 };
        self.fail(NOT_READY, ASC_MEDIUM_NOT_PRESENT, ascq)
    }

    fn invalid_field(&mut self) -> Outcome {
        self.fail(ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0)
    }

    /// Success: `data` cut to the allocation length `alloc`.
    fn reply(&mut self, mut data: Vec<u8>, alloc: usize) -> Outcome {
        self.sense = Sense::default();
        data.truncate(alloc.min(MAX_REPLY));
        Outcome::Data(data)
    }

    /// Runs one 12-byte command packet.
    pub fn packet(&mut self, cdb: &[u8; 12]) -> Outcome {
        let op = cdb[0];
        // A pending unit attention fails everything but these (MMC: INQUIRY, REQUEST SENSE,
        // GET EVENT STATUS NOTIFICATION), once.
        if self.unit_attention && !matches!(op, 0x12 | 0x03 | 0x4a) {
            self.unit_attention = false;
            return self.fail(UNIT_ATTENTION, ASC_MEDIUM_MAY_HAVE_CHANGED, 0);
        }
        match op {
            0x00 => match self.ready() {
                Some(_) => self.reply(Vec::new(), 0),
                None => self.not_ready(),
            },
            0x03 => self.request_sense(usize::from(cdb[4])),
            0x12 => self.inquiry(cdb),
            0x1b => self.start_stop(cdb[4]),
            0x1e => {
                self.locked = cdb[4] & 1 != 0;
                self.reply(Vec::new(), 0)
            }
            0x25 => match self.ready() {
                Some(m) => {
                    let last = u32::try_from(m.blocks.saturating_sub(1)).unwrap_or(u32::MAX);
                    let mut d = last.to_be_bytes().to_vec();
                    d.extend_from_slice(&(BLOCK as u32).to_be_bytes());
                    self.reply(d, 8)
                }
                None => self.not_ready(),
            },
            0x28 => self.read_cmd(u64::from(be32(&cdb[2..6])), be16(&cdb[7..9]) as u32),
            0xa8 => self.read_cmd(u64::from(be32(&cdb[2..6])), be32(&cdb[6..10])),
            0x2b | 0xbb => self.reply(Vec::new(), 0), // SEEK, SET CD SPEED
            0x43 => self.read_toc(cdb),
            0x46 => self.get_configuration(cdb),
            0x4a => self.event_status(cdb),
            0x51 => self.disc_information(cdb),
            0xad => self.dvd_structure(cdb),
            0x5a => self.mode_sense(cdb),
            0xbd => {
                // Idle mechanism, no changer, current LBA 0, no slots.
                let d = vec![0, 0, 0, 0, 0, 0, 0, 0];
                self.reply(d, be16(&cdb[8..10]))
            }
            _ => self.fail(ILLEGAL_REQUEST, ASC_INVALID_OPCODE, 0),
        }
    }

    fn request_sense(&mut self, alloc: usize) -> Outcome {
        let s = std::mem::take(&mut self.sense);
        let mut d = vec![0u8; 18];
        d[0] = 0x70;
        d[2] = s.key;
        d[7] = 10;
        d[12] = s.asc;
        d[13] = s.ascq;
        d.truncate(alloc.min(MAX_REPLY));
        Outcome::Data(d)
    }

    fn inquiry(&mut self, cdb: &[u8; 12]) -> Outcome {
        if cdb[1] & 1 != 0 {
            // No vital product data pages.
            return self.invalid_field();
        }
        let mut d = vec![0u8; 36];
        d[0] = 0x05; // CD/DVD device
        d[1] = 0x80; // removable
        d[3] = 0x21; // ATAPI, response format 1
        d[4] = 31;
        d[8..16].copy_from_slice(b"VMDESK  ");
        d[16..32].copy_from_slice(b"VMDESK DVD-ROM  ");
        d[32..36].copy_from_slice(b"1.0 ");
        self.reply(d, be16(&cdb[3..5]))
    }

    fn start_stop(&mut self, flags: u8) -> Outcome {
        let (load_eject, start) = (flags & 2 != 0, flags & 1 != 0);
        if !load_eject {
            return self.reply(Vec::new(), 0);
        }
        if start {
            if self.tray_open {
                self.tray_open = false;
                if self.medium.is_some() {
                    self.changed(MediaEvent::NewMedia);
                }
            }
        } else if self.locked {
            return self.fail(NOT_READY, ASC_REMOVAL_PREVENTED, 2);
        } else if !self.tray_open {
            self.tray_open = true;
            self.event = MediaEvent::MediaRemoval;
        }
        self.reply(Vec::new(), 0)
    }

    fn read_cmd(&mut self, lba: u64, blocks: u32) -> Outcome {
        let Some(m) = self.ready() else {
            return self.not_ready();
        };
        if lba.saturating_add(u64::from(blocks)) > m.blocks {
            return self.fail(ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE, 0);
        }
        self.sense = Sense::default();
        Outcome::Read { lba, blocks }
    }

    /// Reads whole blocks from `lba` into `buf` (a multiple of [`BLOCK`] long). A failure sets
    /// MEDIUM ERROR and returns its sense.
    pub fn read(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), Sense> {
        let r = match self.ready() {
            Some(m) => lba
                .checked_mul(BLOCK)
                .ok_or(())
                .and_then(|off| m.file.read_exact_at(buf, off).map_err(|_| ())),
            None => Err(()),
        };
        r.map_err(|()| {
            self.sense = Sense::new(MEDIUM_ERROR, ASC_UNRECOVERED_READ_ERROR, 0);
            self.sense
        })
    }

    fn read_toc(&mut self, cdb: &[u8; 12]) -> Outcome {
        let Some(blocks) = self.ready().map(|m| m.blocks) else {
            return self.not_ready();
        };
        let msf_form = cdb[1] & 2 != 0;
        let format = match cdb[2] & 0xf {
            0 => cdb[9] >> 6, // the old place of the format (SFF-8020)
            f => f,
        };
        let addr = |lba: u64| {
            if msf_form {
                msf(lba)
            } else {
                u32::try_from(lba).unwrap_or(u32::MAX).to_be_bytes()
            }
        };
        let alloc = be16(&cdb[7..9]);
        let mut d = vec![0, 0, 1, 1];
        match format {
            0 => {
                let start = cdb[6];
                if start > 1 && start != 0xaa {
                    return self.invalid_field();
                }
                if start <= 1 {
                    d.extend_from_slice(&[0, 0x14, 1, 0]);
                    d.extend_from_slice(&addr(0));
                }
                d.extend_from_slice(&[0, 0x14, 0xaa, 0]);
                d.extend_from_slice(&addr(blocks));
            }
            1 => {
                // One complete session starting at track 1, LBA 0.
                d.extend_from_slice(&[0, 0x14, 1, 0]);
                d.extend_from_slice(&addr(0));
            }
            _ => return self.invalid_field(),
        }
        let len = (d.len() - 2) as u16;
        d[..2].copy_from_slice(&len.to_be_bytes());
        self.reply(d, alloc)
    }

    /// The profile the current medium is: DVD-ROM, CD-ROM, or none.
    fn profile(&self) -> u16 {
        match self.ready() {
            Some(m) if m.blocks * BLOCK > CD_MAX_BYTES => 0x0010,
            Some(_) => 0x0008,
            None => 0,
        }
    }

    fn get_configuration(&mut self, cdb: &[u8; 12]) -> Outcome {
        let rt = cdb[1] & 3;
        if rt == 3 {
            return self.invalid_field();
        }
        let start = u16::from_be_bytes([cdb[2], cdb[3]]);
        let current = self.profile();
        let cur = |p: u16| u8::from(p == current);
        let features: [(u16, Vec<u8>); 3] = [
            (
                0x0000, // profile list
                vec![0x00, 0x10, cur(0x10), 0, 0x00, 0x08, cur(0x08), 0],
            ),
            (0x0001, vec![0, 0, 0, 2, 0x01, 0, 0, 0]), // core: ATAPI, DBE
            (
                0x0003, // removable medium: tray, eject, lock
                vec![0x29 | if self.locked { 2 } else { 0 }, 0, 0, 0],
            ),
        ];
        let mut d = vec![0u8; 8];
        d[6..8].copy_from_slice(&current.to_be_bytes());
        for (code, body) in features {
            let wanted = match rt {
                2 => code == start,
                _ => code >= start,
            };
            if !wanted {
                continue;
            }
            let version = if code == 0x0001 { 1 << 2 } else { 0 };
            d.extend_from_slice(&code.to_be_bytes());
            d.push(version | 0x03); // persistent, current
            d.push(body.len() as u8);
            d.extend_from_slice(&body);
        }
        let len = (d.len() - 4) as u32;
        d[..4].copy_from_slice(&len.to_be_bytes());
        self.reply(d, be16(&cdb[7..9]))
    }

    fn event_status(&mut self, cdb: &[u8; 12]) -> Outcome {
        // Only polled operation.
        if cdb[1] & 1 == 0 {
            return self.invalid_field();
        }
        let alloc = be16(&cdb[7..9]);
        if cdb[4] & 0x10 == 0 {
            // No class we support was asked for: "no event available".
            return self.reply(vec![0, 2, 0x80, 0x10], alloc);
        }
        let code = match std::mem::take(&mut self.event) {
            MediaEvent::None => 0,
            MediaEvent::NewMedia => 2,
            MediaEvent::MediaRemoval => 3,
        };
        let status = u8::from(self.tray_open) | (u8::from(self.medium.is_some()) << 1);
        let d = vec![0, 6, 0x04, 0x10, code, status, 0, 0];
        // This must not clear a pending unit attention's sense (it is not a failure).
        let sense = self.sense;
        let r = self.reply(d, alloc);
        self.sense = sense;
        r
    }

    fn disc_information(&mut self, cdb: &[u8; 12]) -> Outcome {
        if cdb[1] & 7 != 0 {
            return self.invalid_field();
        }
        if self.ready().is_none() {
            return self.not_ready();
        }
        let mut d = vec![0u8; 34];
        d[1] = 32;
        d[2] = 0x0e; // complete disc, last session complete
        d[3] = 1; // first track
        d[4] = 1; // sessions
        d[5] = 1; // first track of the last session
        d[6] = 1; // last track of the last session
        d[7] = 0x20; // unrestricted use
        self.reply(d, be16(&cdb[7..9]))
    }

    /// READ DVD STRUCTURE, formats 0 (physical format) and 1 (copyright: none), on a DVD.
    fn dvd_structure(&mut self, cdb: &[u8; 12]) -> Outcome {
        let Some(blocks) = self.ready().map(|m| m.blocks) else {
            return self.not_ready();
        };
        if self.profile() != 0x0010 {
            // MMC: "cannot read medium, incompatible format" for a CD.
            return self.fail(ILLEGAL_REQUEST, 0x30, 2);
        }
        let alloc = be16(&cdb[8..10]);
        let mut d = vec![0u8; 4];
        match cdb[7] {
            0x00 => {
                let mut body = [0u8; 16];
                body[0] = 0x01; // DVD-ROM, version 1
                body[1] = 0x0f; // 120 mm, max rate not specified
                body[2] = 0x01; // one layer, embossed
                body[3] = 0x00; // density
                body[5..8].copy_from_slice(&0x030000u32.to_be_bytes()[1..]); // first data sector
                let end = 0x030000 + u32::try_from(blocks).unwrap_or(u32::MAX).saturating_sub(1);
                body[9..12].copy_from_slice(&end.to_be_bytes()[1..]);
                d.extend_from_slice(&body);
            }
            0x01 => d.extend_from_slice(&[0, 0, 0, 0]), // no copy protection, all regions
            _ => return self.invalid_field(),
        }
        let len = (d.len() - 2) as u16;
        d[..2].copy_from_slice(&len.to_be_bytes());
        self.reply(d, alloc)
    }

    fn mode_sense(&mut self, cdb: &[u8; 12]) -> Outcome {
        let (control, page) = (cdb[2] >> 6, cdb[2] & 0x3f);
        if control == 3 {
            return self.fail(ILLEGAL_REQUEST, ASC_SAVING_NOT_SUPPORTED, 0);
        }
        let error_recovery = [0x01, 0x06, 0x00, 0x05, 0, 0, 0, 0];
        let mut caps = [0u8; 28];
        caps[0] = 0x2a;
        caps[1] = 0x1a;
        caps[2] = 0x3b; // reads CD-R/RW, DVD-ROM/R/RAM
        caps[4] = 0x71; // audio play, composite, multisession
        caps[5] = 3 << 5; // ISRC, UPC
        caps[6] = 0x29 | if self.locked { 2 } else { 0 }; // lock, eject, tray
        caps[8..10].copy_from_slice(&704u16.to_be_bytes()); // 4x
        caps[10..12].copy_from_slice(&2u16.to_be_bytes()); // volume levels
        caps[12..14].copy_from_slice(&512u16.to_be_bytes()); // buffer KiB
        caps[14..16].copy_from_slice(&704u16.to_be_bytes());
        let mut d = vec![0u8; 8];
        match page {
            0x01 => d.extend_from_slice(&error_recovery),
            0x2a => d.extend_from_slice(&caps),
            0x3f => {
                d.extend_from_slice(&error_recovery);
                d.extend_from_slice(&caps);
            }
            _ => return self.invalid_field(),
        }
        let len = (d.len() - 2) as u16;
        d[..2].copy_from_slice(&len.to_be_bytes());
        self.reply(d, be16(&cdb[7..9]))
    }

    pub fn save(&self) -> AtapiState {
        AtapiState {
            medium: self.medium.as_ref().map(|m| m.path.clone()),
            sense: self.sense,
            unit_attention: self.unit_attention,
            locked: self.locked,
            tray_open: self.tray_open,
            event: self.event,
        }
    }

    /// Takes a saved state; a medium other than the one in the drive now is opened from its
    /// path (an error names it).
    pub fn restore(&mut self, s: &AtapiState) -> Result<(), String> {
        let same = self.medium.as_ref().map(|m| m.path.as_path()) == s.medium.as_deref();
        if !same {
            self.medium = match &s.medium {
                Some(p) => Some(Medium::open(p).map_err(|e| format!("CD-ROM medium {e}"))?),
                None => None,
            };
        }
        self.sense = s.sense;
        self.unit_attention = s.unit_attention;
        self.locked = s.locked;
        self.tray_open = s.tray_open;
        self.event = s.event;
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests;
