//! CFI parallel flash (Intel command set) as QEMU's `pflash_cfi01` offers it to OVMF on a PC:
//! one device for the firmware code (read-only) and one for the UEFI variables (writable, kept
//! in the VM's own file).
//!
//! In read-array mode the contents are guest memory (a KVM memslot, read-only when KVM can
//! enforce it): reads never exit, writes exit as MMIO and reach [`FlashDevice::write`], which
//! runs the command state machine. Any other mode (status, device ID, CFI query) must answer
//! reads itself, so the device takes its memslot away ([`ArrayWindow`]) until the guest goes
//! back to read-array. OVMF's `QemuFlashFvbServicesRuntimeDxe` probes the device with clear
//! status / read status / program, writes variables one byte at a time (0x10, byte) ending with
//! read-array (0xff), and erases 4 KiB blocks (0x20, 0xd0).
//!
//! Everything the guest writes is bounded by the device's size; a program or erase of the
//! writable device goes to its file at once (`pwrite`), and the file is synced when a burst
//! ends (back to read-array, or an erase) and when the device is dropped.

use super::{BusDevice, Persist};
use crate::arch::firmware::{self, FirmwareError, RomIdentity};
use kvm_bindings::{kvm_userspace_memory_region, KVM_MEM_READONLY};
use kvm_ioctls::VmFd;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;
use vm_memory::{Bytes, MmapRegion, VolatileMemory};

/// Erase block size (QEMU's PC flash and OVMF's `PcdOvmfFirmwareBlockSize` agree).
pub const BLOCK: u64 = crate::arch::firmware::FLASH_BLOCK;

/// Status register bits.
pub mod status {
    /// Write state machine ready.
    pub const READY: u8 = 0x80;
    /// An erase failed (the device is read-only).
    pub const ERASE_ERROR: u8 = 0x20;
    /// A program failed (the device is read-only, or its file could not be written).
    pub const PROGRAM_ERROR: u8 = 0x10;
}

/// Commands (the first write of a sequence; QEMU's names).
mod cmd {
    pub const READ_ARRAY: u8 = 0x00;
    pub const PROGRAM: u8 = 0x10;
    pub const ERASE: u8 = 0x20;
    pub const PROGRAM_ALT: u8 = 0x40;
    pub const CLEAR_STATUS: u8 = 0x50;
    pub const LOCK: u8 = 0x60;
    pub const READ_STATUS: u8 = 0x70;
    pub const READ_ID: u8 = 0x90;
    pub const QUERY: u8 = 0x98;
    pub const CONFIRM: u8 = 0xd0;
    pub const AMD_PROBE: u8 = 0xf0;
    pub const RESET: u8 = 0xff;
}

/// Manufacturer and device ID (Intel, 28F128J3-like); OVMF does not read them.
const IDENT: [u8; 2] = [0x89, 0x18];

/// Makes a device's contents guest memory (read-array mode) or takes them away (every read
/// then exits to [`FlashDevice::read`]).
pub trait ArrayWindow: Send {
    fn set_mapped(&mut self, mapped: bool) -> Result<(), String>;
}

/// A KVM memslot over a [`FlashDevice`]'s contents.
pub struct KvmSlot {
    vm: Arc<VmFd>,
    slot: u32,
    gpa: u64,
    size: u64,
    host: u64,
    read_only: bool,
}

impl KvmSlot {
    /// `read_only` asks KVM to make guest writes exit (needs `KVM_CAP_READONLY_MEM`).
    pub fn new(vm: Arc<VmFd>, slot: u32, gpa: u64, dev: &FlashDevice, read_only: bool) -> Self {
        KvmSlot {
            vm,
            slot,
            gpa,
            size: dev.size(),
            host: dev.contents.as_ptr() as u64,
            read_only,
        }
    }
}

impl ArrayWindow for KvmSlot {
    fn set_mapped(&mut self, mapped: bool) -> Result<(), String> {
        let r = kvm_userspace_memory_region {
            slot: self.slot,
            flags: if self.read_only { KVM_MEM_READONLY } else { 0 },
            guest_phys_addr: self.gpa,
            memory_size: if mapped { self.size } else { 0 },
            userspace_addr: self.host,
        };
        // SAFETY: `host` is the mapping of the FlashDevice that owns this window; the device
        // unmaps the slot (size 0) before its mapping goes away (`Drop for FlashDevice`).
        unsafe { self.vm.set_user_memory_region(r) }
            .map_err(|e| format!("flash memslot {}: {e}", self.slot))
    }
}

/// One CFI flash device.
pub struct FlashDevice {
    name: &'static str,
    /// Declared before `contents` so that it is dropped (and unmapped) first.
    window: Option<Box<dyn ArrayWindow>>,
    mapped: bool,
    contents: MmapRegion<()>,
    /// Where programs and erases of a writable device go, at the same offsets.
    file: Option<File>,
    read_only: bool,
    cmd: u8,
    wcycle: u8,
    status: u8,
    /// Written since the file was last synced.
    dirty: bool,
    /// Whether a failed file write was reported (once).
    warned: bool,
}

/// What a snapshot keeps of a flash device: its mode, and the contents of a writable one (the
/// variables), which a restore writes back to memory and to the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlashState {
    pub cmd: u8,
    pub wcycle: u8,
    pub status: u8,
    /// The whole contents of a writable device; empty for a read-only one.
    pub contents: Vec<u8>,
}

impl FlashDevice {
    /// A device holding `image` (whole [`BLOCK`]s, not empty). A writable device
    /// (`read_only` false) writes through to `file`, which holds the same bytes.
    pub fn new(
        name: &'static str,
        image: &[u8],
        file: Option<File>,
        read_only: bool,
    ) -> Result<Self, String> {
        if image.is_empty() || !(image.len() as u64).is_multiple_of(BLOCK) {
            return Err(format!(
                "{name} flash: {} bytes is not whole {BLOCK}-byte blocks",
                image.len()
            ));
        }
        let contents =
            MmapRegion::<()>::new(image.len()).map_err(|e| format!("{name} flash memory: {e}"))?;
        contents
            .as_volatile_slice()
            .write_slice(image, 0)
            .map_err(|e| format!("{name} flash memory: {e}"))?;
        Ok(FlashDevice {
            name,
            window: None,
            mapped: false,
            contents,
            file: if read_only { None } else { file },
            read_only,
            cmd: cmd::READ_ARRAY,
            wcycle: 0,
            status: status::READY,
            dirty: false,
            warned: false,
        })
    }

    pub fn size(&self) -> u64 {
        self.contents.size() as u64
    }

    /// Lets `window` show the contents while the device is in read-array mode (maps it now if
    /// it is). Without a window every access exits to the device.
    pub fn attach_window(&mut self, window: Box<dyn ArrayWindow>) -> Result<(), String> {
        self.window = Some(window);
        self.mapped = false;
        self.update_window()
    }

    /// Whether reads are served from memory (read-array mode with a window).
    pub fn is_mapped(&self) -> bool {
        self.mapped
    }

    /// The current contents.
    pub fn contents(&self) -> Vec<u8> {
        let mut v = vec![0u8; self.contents.size()];
        // Same size as the region: cannot fail.
        let _ = self.contents.as_volatile_slice().read_slice(&mut v, 0);
        v
    }

    /// Syncs the file if anything was written since the last sync.
    pub fn flush(&mut self) -> std::io::Result<()> {
        if let (true, Some(f)) = (self.dirty, &self.file) {
            f.sync_data()?;
        }
        self.dirty = false;
        Ok(())
    }

    fn in_array_mode(&self) -> bool {
        self.cmd == cmd::READ_ARRAY && self.wcycle == 0
    }

    /// Maps or unmaps the window to match the mode. A failure leaves the slot unmapped where
    /// possible: reads then still reach the device, which answers for every mode.
    fn update_window(&mut self) -> Result<(), String> {
        let want = self.in_array_mode();
        let Some(w) = self.window.as_mut() else {
            return Ok(());
        };
        if want == self.mapped {
            return Ok(());
        }
        w.set_mapped(want)?;
        self.mapped = want;
        Ok(())
    }

    fn reset_to_array(&mut self) {
        self.cmd = cmd::READ_ARRAY;
        self.wcycle = 0;
    }

    /// Writes `data` at `offset` into memory and the file. `offset + data.len()` is within
    /// the device (checked by the caller).
    fn store(&mut self, offset: u64, data: &[u8]) {
        let _ = self
            .contents
            .as_volatile_slice()
            .write_slice(data, offset as usize);
        if let Some(f) = &self.file {
            if let Err(e) = f.write_at(data, offset) {
                self.status |= status::PROGRAM_ERROR;
                if !self.warned {
                    self.warned = true;
                    crate::log_line!("vmdesk-vmm: {} flash: writing its file: {e}", self.name);
                }
            }
            self.dirty = true;
        }
    }

    fn program(&mut self, offset: u64, data: &[u8]) {
        if self.read_only {
            self.status |= status::PROGRAM_ERROR;
        } else {
            self.store(offset, data);
        }
        self.status |= status::READY;
    }

    fn erase(&mut self, offset: u64) {
        if self.read_only {
            self.status |= status::ERASE_ERROR;
        } else {
            let start = offset & !(BLOCK - 1);
            self.store(start, &[0xff; BLOCK as usize]);
            self.sync();
        }
        self.status |= status::READY;
    }

    fn sync(&mut self) {
        if let Err(e) = self.flush() {
            if !self.warned {
                self.warned = true;
                crate::log_line!("vmdesk-vmm: {} flash: syncing its file: {e}", self.name);
            }
        }
    }

    /// One write of the command state machine (QEMU's `pflash_write`, without write-to-buffer).
    fn command(&mut self, offset: u64, data: &[u8]) {
        let value = data[0];
        match self.wcycle {
            0 => match value {
                cmd::PROGRAM | cmd::PROGRAM_ALT | cmd::ERASE | cmd::LOCK | cmd::QUERY => {
                    self.cmd = value;
                    self.wcycle = 1;
                }
                cmd::CLEAR_STATUS => {
                    self.status = 0;
                    self.reset_to_array();
                }
                cmd::READ_STATUS | cmd::READ_ID => self.cmd = value,
                cmd::READ_ARRAY | cmd::AMD_PROBE | cmd::RESET => {
                    self.reset_to_array();
                    // The end of a burst of programs: make it durable.
                    self.sync();
                }
                // Write-to-buffer (0xe8) and anything else: not offered; back to read-array
                // as QEMU does for commands it does not know.
                _ => self.reset_to_array(),
            },
            _ => match self.cmd {
                cmd::PROGRAM | cmd::PROGRAM_ALT => {
                    self.program(offset, data);
                    // Reads return the status until the guest asks for read-array.
                    self.wcycle = 0;
                }
                cmd::ERASE if value == cmd::CONFIRM => {
                    self.erase(offset);
                    self.wcycle = 0;
                }
                cmd::LOCK if value == cmd::CONFIRM || value == 0x01 => {
                    // Block (un)lock: nothing is locked here.
                    self.status |= status::READY;
                    self.wcycle = 0;
                }
                // Query mode stays until read-array.
                cmd::QUERY if value != cmd::RESET => {}
                _ => self.reset_to_array(),
            },
        }
    }

    /// The CFI query table (QEMU's for a x8 device, one bank): byte `i` answers a read of
    /// offset `i` in query mode.
    fn cfi(&self, i: u64) -> u8 {
        let blocks = self.size() / BLOCK - 1;
        match i {
            0x10 => b'Q',
            0x11 => b'R',
            0x12 => b'Y',
            0x13 => 0x01, // Intel command set
            0x15 => 0x31, // primary extended table at 0x31
            0x1b => 0x45, // Vcc min
            0x1c => 0x55, // Vcc max
            0x1f => 0x07, // typical single-byte program timeout 2^7 µs
            0x20 => 0x07,
            0x21 => 0x0a, // typical block erase timeout 2^10 ms
            0x23 => 0x04,
            0x24 => 0x04,
            0x25 => 0x04,
            // Device size 2^n bytes (rounded up for sizes that are not a power of two).
            0x27 => self.size().next_power_of_two().trailing_zeros() as u8,
            0x28 => 0x02, // x8/x16 interface
            0x2a => 0x08, // 256-byte write buffer
            0x2c => 0x01, // one erase block region …
            0x2d => blocks as u8,
            0x2e => (blocks >> 8) as u8,
            0x2f => (BLOCK >> 8) as u8, // … of 4 KiB blocks
            0x30 => (BLOCK >> 16) as u8,
            0x31 => b'P',
            0x32 => b'R',
            0x33 => b'I',
            0x34 => b'1',
            0x35 => b'0',
            0x3f => 0x01, // protection fields
            _ => 0,
        }
    }
}

impl BusDevice for FlashDevice {
    fn read(&mut self, offset: u64, data: &mut [u8]) {
        let len = data.len() as u64;
        if data.is_empty() || offset.checked_add(len).is_none_or(|end| end > self.size()) {
            data.fill(0xff);
            return;
        }
        data.fill(0);
        match self.cmd {
            cmd::READ_ARRAY => {
                let _ = self
                    .contents
                    .as_volatile_slice()
                    .read_slice(data, offset as usize);
            }
            cmd::READ_ID => data[0] = IDENT.get(offset as usize & 0xff).copied().unwrap_or(0),
            cmd::QUERY => data[0] = self.cfi(offset & 0xff),
            // Program, erase, lock, status: the status register, in each byte lane QEMU fills
            // for a bank without a device width (byte 0, and byte 2 of wider reads).
            _ => {
                data[0] = self.status;
                if data.len() > 2 {
                    data[2] = self.status;
                }
            }
        }
    }

    fn write(&mut self, offset: u64, data: &[u8]) {
        let len = data.len() as u64;
        if data.is_empty() || offset.checked_add(len).is_none_or(|end| end > self.size()) {
            return;
        }
        self.command(offset, data);
        if let Err(e) = self.update_window() {
            if !self.warned {
                self.warned = true;
                crate::log_line!("vmdesk-vmm: {} flash: {e}", self.name);
            }
        }
    }
}

impl Persist for FlashDevice {
    type State = FlashState;
    type Args = ();

    fn save(&self) -> Result<FlashState, String> {
        Ok(FlashState {
            cmd: self.cmd,
            wcycle: self.wcycle,
            status: self.status,
            contents: if self.read_only {
                Vec::new()
            } else {
                self.contents()
            },
        })
    }

    fn restore(&mut self, s: &FlashState, _: ()) -> Result<(), String> {
        let known = [
            cmd::READ_ARRAY,
            cmd::PROGRAM,
            cmd::PROGRAM_ALT,
            cmd::ERASE,
            cmd::LOCK,
            cmd::READ_STATUS,
            cmd::READ_ID,
            cmd::QUERY,
        ];
        if !known.contains(&s.cmd) || s.wcycle > 1 {
            return Err(format!(
                "{} flash: mode {:#x}/{} is not one this device has",
                self.name, s.cmd, s.wcycle
            ));
        }
        if !self.read_only {
            if s.contents.len() as u64 != self.size() {
                return Err(format!(
                    "{} flash: the snapshot holds {} bytes, the device has {}",
                    self.name,
                    s.contents.len(),
                    self.size()
                ));
            }
            self.status = 0;
            self.store(0, &s.contents);
            if self.status & status::PROGRAM_ERROR != 0 {
                return Err(format!("{} flash: cannot write its file", self.name));
            }
            self.flush()
                .map_err(|e| format!("{} flash: syncing its file: {e}", self.name))?;
        }
        self.cmd = s.cmd;
        self.wcycle = s.wcycle;
        self.status = s.status;
        self.update_window()
    }
}

impl Drop for FlashDevice {
    fn drop(&mut self) {
        self.sync();
        if let (true, Some(w)) = (self.mapped, self.window.as_mut()) {
            let _ = w.set_mapped(false);
        }
    }
}

/// A UEFI machine's two flash devices at the top of 4 GiB: the code at `4 GiB - code size`, the
/// variables right below it (where OVMF looks for them).
pub struct UefiFlash {
    pub code: Arc<std::sync::Mutex<FlashDevice>>,
    pub vars: Arc<std::sync::Mutex<FlashDevice>>,
    /// The variables' file, for messages.
    pub vars_path: std::path::PathBuf,
}

impl UefiFlash {
    /// Makes both devices: the code from `code_path`, the variables from `vars_path` (created
    /// from `template` first if missing), checked to go together, with KVM memslots `slot` (code)
    /// and `slot + 1` (variables). `read_only` says whether KVM has `KVM_CAP_READONLY_MEM`;
    /// without it, writes to a memslot would not exit, so the variables get no memslot (every
    /// access is an MMIO exit) and the code is writable guest memory. OVMF needs nothing below
    /// 1 MiB: its reset vector goes to 32-bit mode from the top page. Also returns the code's
    /// identity, which snapshots keep.
    pub fn open(
        vm: &Arc<VmFd>,
        slot: u32,
        read_only: bool,
        code_path: &Path,
        vars_path: &Path,
        template: &Path,
    ) -> Result<(UefiFlash, RomIdentity), FirmwareError> {
        let code = firmware::read_flash_image(code_path)?;
        let code_size = code.len() as u64;
        let mismatch = |vars: &Path, vars_size| FirmwareError::VarsMismatch {
            vars: vars.to_path_buf(),
            vars_size,
            code: code_path.to_path_buf(),
            code_size,
        };
        // A template that does not go with the code is refused before it is copied.
        if !vars_path.exists() {
            if let Ok(m) = std::fs::metadata(template) {
                if !firmware::flash_pair_ok(code_size, m.len()) {
                    return Err(mismatch(template, m.len()));
                }
            }
        }
        if firmware::create_vars(vars_path, template)? {
            crate::log_line!(
                "vmdesk-vmm: created UEFI variables {} from {}",
                vars_path.display(),
                template.display()
            );
        }
        let vars = firmware::read_flash_image(vars_path)?;
        let vars_size = vars.len() as u64;
        if !firmware::flash_pair_ok(code_size, vars_size) {
            return Err(mismatch(vars_path, vars_size));
        }
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(vars_path)
            .map_err(|source| FirmwareError::Read {
                path: vars_path.to_path_buf(),
                source,
            })?;
        let mut code_dev =
            FlashDevice::new("code", &code, None, true).map_err(FirmwareError::Flash)?;
        let mut vars_dev =
            FlashDevice::new("vars", &vars, Some(file), false).map_err(FirmwareError::Flash)?;
        let (code_gpa, vars_gpa) = UefiFlash::layout(code_size, vars_size);
        let window = KvmSlot::new(vm.clone(), slot, code_gpa, &code_dev, read_only);
        code_dev
            .attach_window(Box::new(window))
            .map_err(FirmwareError::Flash)?;
        if read_only {
            let window = KvmSlot::new(vm.clone(), slot + 1, vars_gpa, &vars_dev, true);
            vars_dev
                .attach_window(Box::new(window))
                .map_err(FirmwareError::Flash)?;
        } else {
            crate::log_line!(
                "vmdesk-vmm: warning: KVM cannot map read-only memory; the UEFI code flash is \
                 writable and every access to the variables is an MMIO exit"
            );
        }
        Ok((
            UefiFlash {
                code: Arc::new(std::sync::Mutex::new(code_dev)),
                vars: Arc::new(std::sync::Mutex::new(vars_dev)),
                vars_path: vars_path.to_path_buf(),
            },
            RomIdentity::of(code_path, &code),
        ))
    }

    /// Guest-physical addresses of the code and the variables.
    pub fn layout(code_size: u64, vars_size: u64) -> (u64, u64) {
        let code = (1u64 << 32) - code_size;
        (code, code - vars_size)
    }
}

#[cfg(test)]
mod tests;
