// Over 800 lines: about half is the unit tests, kept next to the device like the other devices' tests (port, DMA and garbage cases share helpers).
//! QEMU's firmware configuration interface (fw_cfg), the x86 port-I/O flavour SeaBIOS and OVMF
//! probe for: a selector at 0x510, a byte-wide data port at 0x511 and a DMA address register at
//! 0x514 (contract: QEMU `docs/specs/fw_cfg.rst`, `hw/nvram/fw_cfg.c`).
//!
//! Items are blobs keyed by a 16-bit selector; named items ("files") get keys from 0x0020 up and
//! are listed in the file directory (key 0x0019). The VMM builds the items before the guest
//! starts; the guest only reads them, except items added writable (DMA writes land in their
//! buffer, bounded by its size).

use super::{BusDevice, Persist};
use std::collections::BTreeMap;
use vm_memory::{Bytes, GuestAddress, GuestMemoryBackend, GuestMemoryMmap};

/// First port of the device (the selector); register it with [`PORT_LEN`].
pub const PORT_BASE: u64 = 0x510;
/// 0x510 selector (2 bytes), 0x511 data, 0x514–0x51b DMA address.
pub const PORT_LEN: u64 = 0x0c;

/// Offsets from [`PORT_BASE`].
const SELECTOR: u64 = 0;
const DATA: u64 = 1;
const DMA_HIGH: u64 = 4;
const DMA_LOW: u64 = 8;

/// Reading the DMA register gives this, so a driver can tell the register exists.
const DMA_SIGNATURE: [u8; 8] = *b"QEMU CFG";

/// Well-known selector keys (QEMU `include/standard-headers/linux/qemu_fw_cfg.h`).
pub mod keys {
    pub const SIGNATURE: u16 = 0x0000;
    pub const ID: u16 = 0x0001;
    pub const RAM_SIZE: u16 = 0x0003;
    pub const NOGRAPHIC: u16 = 0x0004;
    pub const NB_CPUS: u16 = 0x0005;
    pub const BOOT_MENU: u16 = 0x000e;
    pub const MAX_CPUS: u16 = 0x000f;
    pub const FILE_DIR: u16 = 0x0019;
    pub const FILE_FIRST: u16 = 0x0020;
    /// x86-specific keys start here (e.g. 0x8003, the legacy e820 reservations table).
    pub const ARCH_LOCAL: u16 = 0x8000;
}

/// Bit 14 of a selector once meant "open for writing"; QEMU ignores it when looking items up.
const WRITE_CHANNEL: u16 = 0x4000;
/// The index part of a key; bit 15 picks the arch-local table.
const ENTRY_MASK: u16 = 0x3fff;

/// `ID` item bits: the byte-wide data port, and the DMA interface.
const ID_TRADITIONAL: u32 = 1 << 0;
const ID_DMA: u32 = 1 << 1;

/// `FWCfgDmaAccess.control` bits.
const DMA_ERROR: u32 = 1 << 0;
const DMA_READ: u32 = 1 << 1;
const DMA_SKIP: u32 = 1 << 2;
const DMA_SELECT: u32 = 1 << 3;
const DMA_WRITE: u32 = 1 << 4;

/// A file name has 56 bytes in the directory, NUL-terminated.
const FILE_NAME_LEN: usize = 56;
/// Size of `FWCfgDmaAccess`: be32 control, be32 length, be64 address.
const DMA_ACCESS_LEN: usize = 16;

/// Why an item could not be added. These are mistakes of the VMM's configuration, not of the
/// guest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FwCfgError {
    #[error("fw_cfg file name {0:?} is empty, longer than 55 bytes or contains NUL")]
    BadName(String),
    #[error("fw_cfg file {0:?} already exists")]
    Duplicate(String),
    #[error("fw_cfg has no free file key left")]
    TooManyFiles,
    #[error("fw_cfg key {0:#06x} is reserved for the file directory or files")]
    ReservedKey(u16),
    #[error("fw_cfg item of {0} bytes does not fit the 32-bit size field")]
    TooLarge(usize),
}

struct Item {
    data: Vec<u8>,
    writable: bool,
}

/// The device: items plus the guest-visible registers. Build it with the items, then put it
/// on the port-I/O bus: `pio.insert(fw_cfg::PORT_BASE, fw_cfg::PORT_LEN, Arc::new(Mutex::new(cfg)))`.
pub struct FwCfg {
    mem: GuestMemoryMmap,
    /// By key, with the write-channel bit cleared (see [`canonical`]).
    items: BTreeMap<u16, Item>,
    /// File name → key; keys go up from `FILE_FIRST` in the order files were added.
    files: BTreeMap<String, u16>,
    /// Files were added since the directory item was last built; it is rebuilt when the guest
    /// next selects (so adding many files stays linear).
    dir_stale: bool,
    /// The selector as the guest last wrote it.
    selector: u16,
    /// Read position within the selected item.
    offset: u32,
    dma_high: u32,
    dma_low: u32,
}

/// The key an item is stored under: QEMU ignores the write-channel bit on lookup.
fn canonical(key: u16) -> u16 {
    key & !WRITE_CHANNEL
}

fn size32(len: usize) -> Result<u32, FwCfgError> {
    u32::try_from(len).map_err(|_| FwCfgError::TooLarge(len))
}

impl FwCfg {
    /// An fw_cfg with the signature, the ID (port and DMA interfaces) and an empty file
    /// directory. `mem` is where DMA transfers read descriptors and move data.
    pub fn new(mem: GuestMemoryMmap) -> Self {
        let mut cfg = FwCfg {
            mem,
            items: BTreeMap::new(),
            files: BTreeMap::new(),
            dir_stale: false,
            selector: 0,
            offset: 0,
            dma_high: 0,
            dma_low: 0,
        };
        cfg.put(keys::SIGNATURE, b"QEMU".to_vec(), false);
        cfg.put(
            keys::ID,
            (ID_TRADITIONAL | ID_DMA).to_le_bytes().to_vec(),
            false,
        );
        cfg.rebuild_dir();
        cfg
    }

    /// What SeaBIOS needs to reach its banner on COM1: CPU counts, RAM size, `etc/e820`
    /// (`(address, length, type)` entries) and `etc/sercon-port` (it then mirrors its text
    /// screen to port 0x3f8); no graphics, no boot menu.
    ///
    /// SeaBIOS takes the top of low RAM from the `etc/e820` RAM entries below 4 GiB and adds
    /// its own reservations (EBDA, BIOS area), so give it what QEMU does: RAM entries for the
    /// guest's RAM and reserved ones only for what the VMM itself keeps.
    pub fn for_pc(
        mem: GuestMemoryMmap,
        vcpus: u16,
        ram_bytes: u64,
        e820: &[(u64, u64, u32)],
    ) -> Result<Self, FwCfgError> {
        let mut cfg = FwCfg::new(mem);
        cfg.add_item(keys::NB_CPUS, vcpus.to_le_bytes().to_vec())?;
        cfg.add_item(keys::MAX_CPUS, vcpus.to_le_bytes().to_vec())?;
        cfg.add_item(keys::RAM_SIZE, ram_bytes.to_le_bytes().to_vec())?;
        cfg.add_item(keys::NOGRAPHIC, 1u16.to_le_bytes().to_vec())?;
        cfg.add_item(keys::BOOT_MENU, 0u16.to_le_bytes().to_vec())?;
        let mut table = Vec::with_capacity(e820.len() * 20);
        for &(addr, len, kind) in e820 {
            table.extend_from_slice(&addr.to_le_bytes());
            table.extend_from_slice(&len.to_le_bytes());
            table.extend_from_slice(&kind.to_le_bytes());
        }
        cfg.add_file("etc/e820", table)?;
        cfg.add_file("etc/sercon-port", 0x3f8u16.to_le_bytes().to_vec())?;
        Ok(cfg)
    }

    /// Sets a numbered item (replacing one with that key). Keys of the file directory and the
    /// file range are refused: files go through [`FwCfg::add_file`].
    pub fn add_item(&mut self, key: u16, bytes: Vec<u8>) -> Result<(), FwCfgError> {
        let key = canonical(key);
        let index = key & ENTRY_MASK;
        if key & keys::ARCH_LOCAL == 0 && (index == keys::FILE_DIR || index >= keys::FILE_FIRST) {
            return Err(FwCfgError::ReservedKey(key));
        }
        size32(bytes.len())?;
        self.put(key, bytes, false);
        Ok(())
    }

    /// Adds a read-only file; its key is the next free one from 0x0020.
    pub fn add_file(&mut self, name: &str, bytes: Vec<u8>) -> Result<(), FwCfgError> {
        self.insert_file(name, bytes, false)
    }

    /// Adds a file the guest may overwrite with DMA writes (never grow: writes past its size
    /// are refused). Read it back with [`FwCfg::file`].
    pub fn add_writable_file(&mut self, name: &str, bytes: Vec<u8>) -> Result<(), FwCfgError> {
        self.insert_file(name, bytes, true)
    }

    /// A file's key, as the directory lists it.
    pub fn file_key(&self, name: &str) -> Option<u16> {
        self.files.get(name).copied()
    }

    /// A file's current content (for writable files: what the guest wrote).
    pub fn file(&self, name: &str) -> Option<&[u8]> {
        let key = self.file_key(name)?;
        self.items.get(&key).map(|i| i.data.as_slice())
    }

    fn insert_file(
        &mut self,
        name: &str,
        bytes: Vec<u8>,
        writable: bool,
    ) -> Result<(), FwCfgError> {
        if name.is_empty() || name.len() >= FILE_NAME_LEN || name.contains('\0') {
            return Err(FwCfgError::BadName(name.to_string()));
        }
        if self.files.contains_key(name) {
            return Err(FwCfgError::Duplicate(name.to_string()));
        }
        size32(bytes.len())?;
        // Keys stop at the index mask; beyond it they would alias the arch-local table.
        let key = u16::try_from(self.files.len())
            .ok()
            .and_then(|i| keys::FILE_FIRST.checked_add(i))
            .filter(|&k| k <= ENTRY_MASK)
            .ok_or(FwCfgError::TooManyFiles)?;
        self.files.insert(name.to_string(), key);
        self.put(key, bytes, writable);
        self.dir_stale = true;
        Ok(())
    }

    fn put(&mut self, key: u16, data: Vec<u8>, writable: bool) {
        self.items.insert(key, Item { data, writable });
    }

    /// The directory: be32 count, then per file (sorted by name) be32 size, be16 key,
    /// be16 reserved, 56 bytes of NUL-padded name.
    fn rebuild_dir(&mut self) {
        let mut dir = Vec::with_capacity(4 + self.files.len() * 64);
        // At most 0x3fe0 files (insert_file), sizes checked to fit 32 bits.
        dir.extend_from_slice(&(self.files.len() as u32).to_be_bytes());
        for (name, &key) in &self.files {
            let size = self.items.get(&key).map_or(0, |it| it.data.len() as u32);
            dir.extend_from_slice(&size.to_be_bytes());
            dir.extend_from_slice(&key.to_be_bytes());
            dir.extend_from_slice(&0u16.to_be_bytes());
            let mut field = [0u8; FILE_NAME_LEN];
            field[..name.len()].copy_from_slice(name.as_bytes());
            dir.extend_from_slice(&field);
        }
        self.put(keys::FILE_DIR, dir, false);
        self.dir_stale = false;
    }

    fn select(&mut self, key: u16) {
        if self.dir_stale {
            self.rebuild_dir();
        }
        self.selector = key;
        self.offset = 0;
    }

    fn current(&self) -> Option<&Item> {
        self.items.get(&canonical(self.selector))
    }

    /// One byte through the data port: past the end (or with no such item) reads give 0 and
    /// the position stays.
    fn read_byte(&mut self) -> u8 {
        let offset = self.offset as usize;
        match self.current().and_then(|it| it.data.get(offset)).copied() {
            Some(b) => {
                self.offset += 1;
                b
            }
            None => 0,
        }
    }

    /// Runs the transfer whose descriptor is at `desc`, then writes its status back into the
    /// descriptor's control field (0, or the error bit). A descriptor outside guest memory
    /// cannot be answered and is dropped.
    fn dma(&mut self, desc: u64) {
        let mut raw = [0u8; DMA_ACCESS_LEN];
        if self.mem.read_slice(&mut raw, GuestAddress(desc)).is_err() {
            return;
        }
        let word = |i: usize| u32::from_be_bytes([raw[i], raw[i + 1], raw[i + 2], raw[i + 3]]);
        let control = word(0);
        let length = word(4);
        let address = (u64::from(word(8)) << 32) | u64::from(word(12));
        let status = self.transfer(control, length, address);
        // The descriptor was readable, so its first four bytes are writable guest RAM.
        let _ = self
            .mem
            .write_slice(&status.to_be_bytes(), GuestAddress(desc));
    }

    /// Returns the control value to report. A target range that is not all guest RAM fails
    /// before anything changes (no select, no move, no memory write).
    fn transfer(&mut self, control: u32, length: u32, address: u64) -> u32 {
        // QEMU's precedence: read, then write, then skip; none of them means "select only".
        let length = if control & (DMA_READ | DMA_WRITE | DMA_SKIP) == 0 {
            0
        } else {
            length
        };
        let moves_memory = control & (DMA_READ | DMA_WRITE) != 0;
        if moves_memory && length > 0 && !self.in_ram(address, length) {
            return DMA_ERROR;
        }
        if control & DMA_SELECT != 0 {
            self.select((control >> 16) as u16);
        }
        if length == 0 {
            return 0;
        }
        if control & DMA_READ != 0 {
            self.dma_read(length, address)
        } else if control & DMA_WRITE != 0 {
            self.dma_write(length, address)
        } else {
            let left = self.remaining();
            self.offset += length.min(left);
            0
        }
    }

    fn in_ram(&self, address: u64, length: u32) -> bool {
        address.checked_add(u64::from(length)).is_some()
            && self.mem.check_range(GuestAddress(address), length as usize)
    }

    /// Bytes left in the selected item from the current position.
    fn remaining(&self) -> u32 {
        let len = self.current().map_or(0, |it| it.data.len() as u32);
        len.saturating_sub(self.offset)
    }

    /// Copies what is left of the item (up to `length`), then zeros for the rest, as QEMU does.
    fn dma_read(&mut self, length: u32, address: u64) -> u32 {
        let n = length.min(self.remaining());
        let start = self.offset as usize;
        let copied = match self.current() {
            Some(it) if n > 0 => self
                .mem
                .write_slice(&it.data[start..start + n as usize], GuestAddress(address))
                .is_ok(),
            _ => true,
        };
        if !copied {
            return DMA_ERROR;
        }
        self.offset += n;
        const ZEROS: [u8; 4096] = [0; 4096];
        let mut at = address + u64::from(n);
        let mut left = length - n;
        while left > 0 {
            let chunk = left.min(ZEROS.len() as u32);
            if self
                .mem
                .write_slice(&ZEROS[..chunk as usize], GuestAddress(at))
                .is_err()
            {
                return DMA_ERROR;
            }
            at += u64::from(chunk);
            left -= chunk;
        }
        0
    }

    /// Only into a writable item, and only wholly within its current size.
    fn dma_write(&mut self, length: u32, address: u64) -> u32 {
        if self.remaining() < length {
            return DMA_ERROR;
        }
        let start = self.offset as usize;
        let key = canonical(self.selector);
        let Some(item) = self.items.get_mut(&key).filter(|it| it.writable) else {
            return DMA_ERROR;
        };
        let target = &mut item.data[start..start + length as usize];
        if self.mem.read_slice(target, GuestAddress(address)).is_err() {
            return DMA_ERROR;
        }
        self.offset += length;
        0
    }
}

impl BusDevice for FwCfg {
    fn read(&mut self, offset: u64, data: &mut [u8]) {
        match offset {
            // Wider reads of the data port stream consecutive bytes, as QEMU's MMIO flavour.
            DATA => {
                for b in data.iter_mut() {
                    *b = self.read_byte();
                }
            }
            DMA_HIGH..=0x0b => {
                let start = (offset - DMA_HIGH) as usize;
                for (i, b) in data.iter_mut().enumerate() {
                    *b = DMA_SIGNATURE.get(start + i).copied().unwrap_or(0);
                }
            }
            _ => data.fill(0),
        }
    }

    fn write(&mut self, offset: u64, data: &[u8]) {
        match (offset, data) {
            // Only a 16-bit (or wider) write selects; QEMU treats a byte write there as data.
            (SELECTOR, [lo, hi, ..]) => self.select(u16::from_le_bytes([*lo, *hi])),
            // The DMA address is big-endian; the low half starts the transfer.
            (DMA_HIGH, &[a, b, c, d]) => self.dma_high = u32::from_be_bytes([a, b, c, d]),
            (DMA_LOW, &[a, b, c, d]) => {
                self.dma_low = u32::from_be_bytes([a, b, c, d]);
                self.start_dma();
            }
            (DMA_HIGH, &[a, b, c, d, e, f, g, h]) => {
                self.dma_high = u32::from_be_bytes([a, b, c, d]);
                self.dma_low = u32::from_be_bytes([e, f, g, h]);
                self.start_dma();
            }
            // Data-port writes are obsolete (QEMU ignores them since 2.4); anything else too.
            _ => {}
        }
    }
}

impl FwCfg {
    fn start_dma(&mut self) {
        let desc = (u64::from(self.dma_high) << 32) | u64::from(self.dma_low);
        // Cleared like QEMU: SeaBIOS writes only the low half and relies on a zero high half.
        self.dma_high = 0;
        self.dma_low = 0;
        self.dma(desc);
    }
}

/// The registers in a snapshot; the items are rebuilt from the VM's configuration.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FwCfgState {
    pub selector: u16,
    pub offset: u32,
    /// A snapshot may fall between the guest's two DMA address writes.
    pub dma_high: u32,
    pub dma_low: u32,
}

impl Persist for FwCfg {
    type State = FwCfgState;
    type Args = ();

    fn save(&self) -> Result<FwCfgState, String> {
        Ok(FwCfgState {
            selector: self.selector,
            offset: self.offset,
            dma_high: self.dma_high,
            dma_low: self.dma_low,
        })
    }

    fn restore(&mut self, s: &FwCfgState, _: ()) -> Result<(), String> {
        // Any values are safe: reads past an item's end give zeros.
        self.selector = s.selector;
        self.offset = s.offset;
        self.dma_high = s.dma_high;
        self.dma_low = s.dma_low;
        if self.dir_stale {
            self.rebuild_dir();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MEM: usize = 1 << 20;

    fn mem() -> GuestMemoryMmap {
        GuestMemoryMmap::<()>::from_ranges(&[(GuestAddress(0), MEM)]).unwrap()
    }

    fn select(dev: &mut FwCfg, key: u16) {
        dev.write(SELECTOR, &key.to_le_bytes());
    }

    fn read_data(dev: &mut FwCfg, n: usize) -> Vec<u8> {
        (0..n)
            .map(|_| {
                let mut b = [0xaa];
                dev.read(DATA, &mut b);
                b[0]
            })
            .collect()
    }

    /// Puts a descriptor at `desc`, starts it the way SeaBIOS does (high half, then low half)
    /// and returns the control word the device wrote back.
    fn dma(dev: &mut FwCfg, desc: u64, control: u32, length: u32, address: u64) -> u32 {
        let mut raw = Vec::new();
        raw.extend_from_slice(&control.to_be_bytes());
        raw.extend_from_slice(&length.to_be_bytes());
        raw.extend_from_slice(&address.to_be_bytes());
        dev.mem.write_slice(&raw, GuestAddress(desc)).unwrap();
        dev.write(DMA_HIGH, &((desc >> 32) as u32).to_be_bytes());
        dev.write(DMA_LOW, &(desc as u32).to_be_bytes());
        let mut back = [0u8; 4];
        dev.mem.read_slice(&mut back, GuestAddress(desc)).unwrap();
        u32::from_be_bytes(back)
    }

    fn guest(dev: &FwCfg, at: u64, n: usize) -> Vec<u8> {
        let mut v = vec![0u8; n];
        dev.mem.read_slice(&mut v, GuestAddress(at)).unwrap();
        v
    }

    const E820: [(u64, u64, u32); 2] = [(0, 0x9fc00, 1), (0x100000, 0x3ff00000, 1)];

    fn pc() -> FwCfg {
        FwCfg::for_pc(mem(), 2, 1 << 30, &E820).unwrap()
    }

    #[test]
    fn signature_and_id_read_through_the_data_port() {
        let mut dev = pc();
        select(&mut dev, keys::SIGNATURE);
        assert_eq!(read_data(&mut dev, 4), b"QEMU");
        select(&mut dev, keys::ID);
        assert_eq!(read_data(&mut dev, 4), 3u32.to_le_bytes());
        select(&mut dev, keys::NB_CPUS);
        assert_eq!(read_data(&mut dev, 2), 2u16.to_le_bytes());
        select(&mut dev, keys::RAM_SIZE);
        assert_eq!(read_data(&mut dev, 8), (1u64 << 30).to_le_bytes());
        // The write-channel bit is ignored on lookup.
        select(&mut dev, keys::SIGNATURE | WRITE_CHANNEL);
        assert_eq!(read_data(&mut dev, 4), b"QEMU");
        // The DMA register reads as its signature.
        let mut sig = [0u8; 8];
        dev.read(DMA_HIGH, &mut sig[..4]);
        dev.read(DMA_LOW, &mut sig[4..]);
        assert_eq!(&sig, b"QEMU CFG");
    }

    #[test]
    fn file_directory_lists_files_sorted_with_keys_and_sizes() {
        let mut dev = FwCfg::new(mem());
        dev.add_file("zeta", vec![1; 3]).unwrap();
        dev.add_file("alpha", vec![2; 70]).unwrap();
        dev.add_file("etc/mid", Vec::new()).unwrap();
        select(&mut dev, keys::FILE_DIR);
        let dir = read_data(&mut dev, 4 + 3 * 64);
        assert_eq!(dir[..4], 3u32.to_be_bytes());
        let entry = |i: usize| {
            let e = &dir[4 + i * 64..4 + (i + 1) * 64];
            let size = u32::from_be_bytes(e[0..4].try_into().unwrap());
            let key = u16::from_be_bytes(e[4..6].try_into().unwrap());
            let name = e[8..].split(|&b| b == 0).next().unwrap().to_vec();
            (String::from_utf8(name).unwrap(), key, size)
        };
        assert_eq!(entry(0), ("alpha".into(), 0x21, 70));
        assert_eq!(entry(1), ("etc/mid".into(), 0x22, 0));
        assert_eq!(entry(2), ("zeta".into(), 0x20, 3));
        // Nothing follows the last entry.
        assert_eq!(read_data(&mut dev, 4), [0; 4]);
        select(&mut dev, 0x21);
        assert_eq!(read_data(&mut dev, 2), [2, 2]);
    }

    #[test]
    fn dma_read_of_e820_lands_in_guest_memory_and_clears_control() {
        let mut dev = pc();
        let key = dev.file_key("etc/e820").unwrap();
        let control = (u32::from(key) << 16) | DMA_SELECT | DMA_READ;
        assert_eq!(dma(&mut dev, 0x1000, control, 40, 0x2000), 0);
        let got = guest(&dev, 0x2000, 40);
        assert_eq!(got[..8], 0u64.to_le_bytes());
        assert_eq!(got[8..16], 0x9fc00u64.to_le_bytes());
        assert_eq!(got[16..20], 1u32.to_le_bytes());
        assert_eq!(got[20..28], 0x100000u64.to_le_bytes());
        assert_eq!(got[28..36], 0x3ff00000u64.to_le_bytes());
        assert_eq!(got[36..40], 1u32.to_le_bytes());
        // The high half was cleared by the transfer: a low-only start (SeaBIOS) works again.
        dev.write(DMA_HIGH, &0xffff_ffffu32.to_be_bytes());
        dev.write(DMA_LOW, &0x3000u32.to_be_bytes());
        let mut raw = [0u8; 16];
        raw[..4].copy_from_slice(
            &((u32::from(keys::SIGNATURE) << 16) | DMA_SELECT | DMA_READ).to_be_bytes(),
        );
        raw[4..8].copy_from_slice(&4u32.to_be_bytes());
        raw[8..].copy_from_slice(&0x3100u64.to_be_bytes());
        dev.mem.write_slice(&raw, GuestAddress(0x3000)).unwrap();
        dev.write(DMA_LOW, &0x3000u32.to_be_bytes());
        assert_eq!(guest(&dev, 0x3000, 4), [0; 4]);
        assert_eq!(guest(&dev, 0x3100, 4), b"QEMU");
    }

    #[test]
    fn select_skip_then_read() {
        let mut dev = FwCfg::new(mem());
        dev.add_file("blob", (0u8..32).collect()).unwrap();
        let key = u32::from(dev.file_key("blob").unwrap());
        assert_eq!(
            dma(&mut dev, 0x1000, (key << 16) | DMA_SELECT | DMA_SKIP, 8, 0),
            0
        );
        assert_eq!(dma(&mut dev, 0x1000, DMA_READ, 4, 0x2000), 0);
        assert_eq!(guest(&dev, 0x2000, 4), [8, 9, 10, 11]);
        // The port continues where DMA left off.
        assert_eq!(read_data(&mut dev, 2), [12, 13]);
        // A skip past the end stops at the end.
        assert_eq!(dma(&mut dev, 0x1000, DMA_SKIP, 1000, 0), 0);
        assert_eq!(read_data(&mut dev, 1), [0]);
        // Select alone (no operation bit) moves nothing.
        assert_eq!(
            dma(&mut dev, 0x1000, (key << 16) | DMA_SELECT, 4, 0x2000),
            0
        );
        assert_eq!(read_data(&mut dev, 1), [0]);
    }

    #[test]
    fn dma_outside_guest_ram_sets_error_and_changes_nothing() {
        let mut dev = pc();
        let key = u32::from(dev.file_key("etc/e820").unwrap());
        select(&mut dev, keys::SIGNATURE);
        read_data(&mut dev, 1);
        let before = dev.save().unwrap();
        let read_e820 = (key << 16) | DMA_SELECT | DMA_READ;
        // Target beyond RAM, straddling its end, and wrapping around the address space.
        for target in [MEM as u64 + 0x1000, MEM as u64 - 8, u64::MAX - 3] {
            assert_eq!(dma(&mut dev, 0x1000, read_e820, 40, target), DMA_ERROR);
            assert_eq!(dev.save().unwrap(), before);
        }
        assert_eq!(guest(&dev, MEM as u64 - 8, 8), [0; 8]);
        // A descriptor outside RAM cannot even be read: dropped, state unchanged.
        dev.write(DMA_HIGH, &1u32.to_be_bytes());
        dev.write(DMA_LOW, &0u32.to_be_bytes());
        dev.write(DMA_LOW, &(MEM as u32 - 4).to_be_bytes());
        let after = dev.save().unwrap();
        assert_eq!(
            (after.selector, after.offset),
            (before.selector, before.offset)
        );
        // The signature read continues at its second byte.
        assert_eq!(read_data(&mut dev, 3), b"EMU");
    }

    #[test]
    fn dma_writes_only_into_writable_items_within_their_size() {
        let mut dev = pc();
        dev.add_writable_file("etc/ramfb", vec![0; 8]).unwrap();
        dev.mem.write_slice(&[7; 16], GuestAddress(0x2000)).unwrap();
        let ro = u32::from(dev.file_key("etc/e820").unwrap());
        let before = dev.file("etc/e820").unwrap().to_vec();
        assert_eq!(
            dma(
                &mut dev,
                0x1000,
                (ro << 16) | DMA_SELECT | DMA_WRITE,
                4,
                0x2000
            ),
            DMA_ERROR
        );
        assert_eq!(dev.file("etc/e820").unwrap(), before);
        // A numbered item is read-only too.
        let sig = u32::from(keys::SIGNATURE);
        assert_eq!(
            dma(
                &mut dev,
                0x1000,
                (sig << 16) | DMA_SELECT | DMA_WRITE,
                4,
                0x2000
            ),
            DMA_ERROR
        );
        select(&mut dev, keys::SIGNATURE);
        assert_eq!(read_data(&mut dev, 4), b"QEMU");

        let rw = u32::from(dev.file_key("etc/ramfb").unwrap());
        // Past the end is refused whole.
        assert_eq!(
            dma(
                &mut dev,
                0x1000,
                (rw << 16) | DMA_SELECT | DMA_WRITE,
                9,
                0x2000
            ),
            DMA_ERROR
        );
        assert_eq!(dev.file("etc/ramfb").unwrap(), [0; 8]);
        assert_eq!(
            dma(
                &mut dev,
                0x1000,
                (rw << 16) | DMA_SELECT | DMA_WRITE,
                8,
                0x2000
            ),
            0
        );
        assert_eq!(dev.file("etc/ramfb").unwrap(), [7; 8]);
    }

    #[test]
    fn reads_past_an_items_end_give_zeros() {
        let mut dev = pc();
        select(&mut dev, keys::SIGNATURE);
        assert_eq!(read_data(&mut dev, 6), [b'Q', b'E', b'M', b'U', 0, 0]);
        // A missing item reads as zeros, through the port and through DMA.
        select(&mut dev, 0x0002);
        assert_eq!(read_data(&mut dev, 2), [0, 0]);
        dev.mem
            .write_slice(&[0xff; 16], GuestAddress(0x2000))
            .unwrap();
        let sig = u32::from(keys::SIGNATURE);
        assert_eq!(
            dma(
                &mut dev,
                0x1000,
                (sig << 16) | DMA_SELECT | DMA_READ,
                10,
                0x2000
            ),
            0
        );
        assert_eq!(
            guest(&dev, 0x2000, 12),
            [b'Q', b'E', b'M', b'U', 0, 0, 0, 0, 0, 0, 0xff, 0xff]
        );
        // A wide read of the data port streams bytes.
        select(&mut dev, keys::SIGNATURE);
        let mut w = [0u8; 4];
        dev.read(DATA, &mut w);
        assert_eq!(&w, b"QEMU");
    }

    #[test]
    fn bad_items_are_refused() {
        let mut dev = FwCfg::new(mem());
        let long = "x".repeat(56);
        assert_eq!(
            dev.add_file(&long, vec![]),
            Err(FwCfgError::BadName(long.clone()))
        );
        assert!(dev.add_file(&long[..55], vec![]).is_ok());
        assert!(dev.add_file("", vec![]).is_err());
        assert!(dev.add_file("a\0b", vec![]).is_err());
        dev.add_file("a", vec![]).unwrap();
        assert_eq!(
            dev.add_file("a", vec![]),
            Err(FwCfgError::Duplicate("a".into()))
        );
        assert_eq!(
            dev.add_item(keys::FILE_DIR, vec![]),
            Err(FwCfgError::ReservedKey(0x19))
        );
        assert!(dev.add_item(0x20, vec![]).is_err());
        assert!(dev.add_item(0x4020, vec![]).is_err());
        assert!(dev.add_item(0x8003, vec![0; 4]).is_ok());
        for i in 0..(ENTRY_MASK - keys::FILE_FIRST - 1) {
            dev.add_file(&format!("f{i}"), vec![]).unwrap();
        }
        assert_eq!(
            dev.add_file("one-too-many", vec![]),
            Err(FwCfgError::TooManyFiles)
        );
    }

    #[test]
    fn saved_state_round_trips() {
        let mut dev = pc();
        select(&mut dev, keys::SIGNATURE);
        read_data(&mut dev, 2);
        dev.write(DMA_HIGH, &5u32.to_be_bytes());
        let state = dev.save().unwrap();
        let mut other = pc();
        other.restore(&state, ()).unwrap();
        assert_eq!(other.save().unwrap(), state);
        assert_eq!(read_data(&mut other, 2), b"MU");
        // Any restored values are harmless.
        other
            .restore(
                &FwCfgState {
                    selector: 0xffff,
                    offset: u32::MAX,
                    dma_high: u32::MAX,
                    dma_low: 0,
                },
                (),
            )
            .unwrap();
        assert_eq!(read_data(&mut other, 1), [0]);
    }

    #[test]
    fn garbage_on_every_port_never_panics() {
        let mut dev = FwCfg::for_pc(
            GuestMemoryMmap::<()>::from_ranges(&[(GuestAddress(0), 0x10000)]).unwrap(),
            1,
            0x10000,
            &E820,
        )
        .unwrap();
        dev.add_writable_file("rw", vec![0; 64]).unwrap();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..20_000 {
            let r = next();
            // Now and then plant a random descriptor where a DMA start may find it.
            if r % 8 == 0 {
                let at = next() % 0x10000;
                let _ = dev.mem.write_slice(&next().to_le_bytes(), GuestAddress(at));
            }
            // And often a plausible one (small length and address, random control) started.
            if r % 4 == 1 {
                let desc = next() % 0x10010;
                let mut raw = [0u8; 16];
                raw[..4].copy_from_slice(&(next() as u32).to_be_bytes());
                raw[4..8].copy_from_slice(&((next() % 0x20000) as u32).to_be_bytes());
                raw[8..].copy_from_slice(&(next() % 0x20000).to_be_bytes());
                let _ = dev.mem.write_slice(&raw, GuestAddress(desc));
                dev.write(DMA_LOW, &(desc as u32).to_be_bytes());
                continue;
            }
            let offset = next() % (PORT_LEN + 2);
            let size = [1usize, 2, 4, 8][(r >> 8) as usize % 4];
            let bytes = next().to_le_bytes();
            if r & 1 == 0 {
                dev.write(offset, &bytes[..size]);
            } else {
                let mut buf = [0u8; 8];
                dev.read(offset, &mut buf[..size]);
            }
        }
    }
}
