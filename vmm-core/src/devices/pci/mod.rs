//! PCI configuration space: the `PciDevice` trait, each function's 256-byte header with its
//! write mask (`PciConfig`), and the configuration mechanism #1 ports at 0xcf8/0xcfc (`PciRoot`).
//! Bus 0 only, no bridges. `i440fx` has the functions of QEMU's `-M pc` that firmware expects,
//! `pm_timer` the ACPI PM timer the PIIX4 function maps.

pub mod bars;
pub mod i440fx;
pub mod intx;
pub mod msi;
pub mod pm_timer;

use super::{BusDevice, Persist};
use crate::exit::{ExitReason, ExitSender};
use crate::util::lock;
use std::sync::{Arc, Mutex};

pub use bars::BarWindows;
pub use i440fx::{I440fx, I440fxHandles};
pub use intx::{IntxPin, IntxRouter};

/// Where the PC machine puts its PCI functions (device numbers on bus 0), as QEMU's `-M pc`
/// does where it has the same device: 0 host bridge, 1 PIIX3/PIIX4, 2 the VGA adapter.
pub mod slots {
    pub const VGA: u8 = 2;
    pub const AHCI: u8 = 3;
    /// virtio-pci functions, one slot each from here in the machine's device order.
    pub const VIRTIO_FIRST: u8 = 4;
    pub const LAST: u8 = 31;
}
pub use pm_timer::AcpiPmTimer;

/// Size of a (conventional) function's configuration space.
pub const CONFIG_SIZE: usize = 256;

// Standard header offsets.
pub const VENDOR_ID: usize = 0x00;
pub const DEVICE_ID: usize = 0x02;
pub const COMMAND: usize = 0x04;
pub const REVISION_ID: usize = 0x08;
pub const CLASS_PROG: usize = 0x09;
pub const CACHE_LINE_SIZE: usize = 0x0c;
pub const LATENCY_TIMER: usize = 0x0d;
pub const HEADER_TYPE: usize = 0x0e;
pub const BAR0: usize = 0x10;
pub const SUBSYSTEM_VENDOR_ID: usize = 0x2c;
pub const SUBSYSTEM_ID: usize = 0x2e;
pub const INTERRUPT_LINE: usize = 0x3c;
pub const INTERRUPT_PIN: usize = 0x3d;

/// Header type bit 7: the device has functions besides 0 (set on function 0 only matters).
pub const HEADER_MULTIFUNCTION: u8 = 0x80;

/// What QEMU puts in every function's subsystem IDs (Red Hat / Qumranet, 0x1100); guests and
/// firmware see the same values as under `-M pc`.
pub const SUBSYSTEM_VENDOR_QEMU: u16 = 0x1af4;
pub const SUBSYSTEM_QEMU: u16 = 0x1100;

/// A base address register a device declares. Sizes are powers of two (the bus rounds up);
/// the guest's size probe (write all-ones, read back) then sees the size mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bar {
    /// I/O space, at least 4 bytes, at most 64 KiB.
    Io { size: u32 },
    /// 32-bit memory space, at least 16 bytes.
    Mem32 { size: u32, prefetchable: bool },
    /// 64-bit memory space: takes this BAR slot and the next.
    Mem64 { size: u64, prefetchable: bool },
}

/// The identity of a function: the read-only fields of its type-0 header.
#[derive(Debug, Clone, Copy)]
pub struct PciId {
    pub vendor: u16,
    pub device: u16,
    pub revision: u8,
    /// Base class, subclass, programming interface.
    pub class: [u8; 3],
    pub header_type: u8,
    pub interrupt_pin: u8,
}

/// One function's configuration bytes and which bits of them the guest may change. Everything
/// outside the mask (IDs, class, header type, undeclared BARs, unknown registers) reads back as
/// the device set it and ignores writes.
#[derive(Clone)]
pub struct PciConfig {
    bytes: [u8; CONFIG_SIZE],
    wmask: [u8; CONFIG_SIZE],
}

impl PciConfig {
    /// A type-0 header with `id`, QEMU's subsystem IDs, and the usual writable fields: command
    /// (I/O, memory, bus master, parity, SERR, interrupt disable), cache line size, latency
    /// timer, interrupt line.
    pub fn new(id: PciId) -> Self {
        let mut c = PciConfig {
            bytes: [0; CONFIG_SIZE],
            wmask: [0; CONFIG_SIZE],
        };
        c.set_u16(VENDOR_ID, id.vendor);
        c.set_u16(DEVICE_ID, id.device);
        c.bytes[REVISION_ID] = id.revision;
        c.bytes[CLASS_PROG] = id.class[2];
        c.bytes[CLASS_PROG + 1] = id.class[1];
        c.bytes[CLASS_PROG + 2] = id.class[0];
        c.bytes[HEADER_TYPE] = id.header_type;
        c.set_u16(SUBSYSTEM_VENDOR_ID, SUBSYSTEM_VENDOR_QEMU);
        c.set_u16(SUBSYSTEM_ID, SUBSYSTEM_QEMU);
        c.bytes[INTERRUPT_PIN] = id.interrupt_pin;
        c.set_wmask(COMMAND, &[0x47, 0x05]);
        c.set_wmask(CACHE_LINE_SIZE, &[0xff, 0xff]);
        c.set_wmask(INTERRUPT_LINE, &[0xff]);
        c
    }

    /// Sets bytes the device itself owns (initial values), whatever the mask.
    pub fn set(&mut self, offset: usize, values: &[u8]) {
        if let Some(dst) = self.bytes.get_mut(offset..offset + values.len()) {
            dst.copy_from_slice(values);
        }
    }

    pub fn set_u16(&mut self, offset: usize, v: u16) {
        self.set(offset, &v.to_le_bytes());
    }

    pub fn set_u32(&mut self, offset: usize, v: u32) {
        self.set(offset, &v.to_le_bytes());
    }

    /// Makes bits writable by the guest, one mask byte per config byte from `offset`.
    pub fn set_wmask(&mut self, offset: usize, mask: &[u8]) {
        if let Some(dst) = self.wmask.get_mut(offset..offset + mask.len()) {
            dst.copy_from_slice(mask);
        }
    }

    /// Declares BAR `index` (0..6). Its write mask is the size mask, so a probe reads the size
    /// back; the low type bits stay as set here. Returns false (and declares nothing) for an
    /// index out of range or a 64-bit BAR in the last slot: a machine-model error the caller
    /// reports.
    pub fn declare_bar(&mut self, index: usize, bar: Bar) -> bool {
        let off = BAR0 + 4 * index;
        match bar {
            Bar::Io { size } if index < 6 => {
                let size = size.clamp(4, 1 << 16).next_power_of_two();
                self.set_u32(off, 0x1);
                self.set_wmask(off, &(!(size - 1) & 0xffff_fffc).to_le_bytes());
            }
            Bar::Mem32 { size, prefetchable } if index < 6 => {
                let size = size.clamp(16, 1 << 31).next_power_of_two();
                self.set_u32(off, if prefetchable { 0x8 } else { 0 });
                self.set_wmask(off, &(!(size - 1) & 0xffff_fff0).to_le_bytes());
            }
            Bar::Mem64 { size, prefetchable } if index < 5 => {
                let size = size.clamp(16, 1 << 63).next_power_of_two();
                let mask = !(size - 1) & !0xf;
                self.set_u32(off, 0x4 | if prefetchable { 0x8 } else { 0 });
                self.set_u32(off + 4, 0);
                self.set_wmask(off, &(mask as u32).to_le_bytes());
                self.set_wmask(off + 4, &((mask >> 32) as u32).to_le_bytes());
            }
            _ => return false,
        }
        true
    }

    /// Where the guest placed BAR `index` (the address bits only), if it is declared.
    pub fn bar_address(&self, index: usize) -> Option<u64> {
        let off = BAR0 + 4 * index;
        if index >= 6 || self.u32_at_mask(off) == 0 || self.is_upper_half(index) {
            return None;
        }
        let low = self.u32_at(off);
        if low & 1 == 1 {
            return Some(u64::from(low & 0xffff_fffc));
        }
        let high = if low & 0x6 == 0x4 && index < 5 {
            u64::from(self.u32_at(off + 4)) << 32
        } else {
            0
        };
        Some(high | u64::from(low & 0xffff_fff0))
    }

    /// Whether BAR `index` is the high dword of a 64-bit BAR in the slot before.
    fn is_upper_half(&self, index: usize) -> bool {
        let Some(prev) = index.checked_sub(1) else {
            return false;
        };
        let off = BAR0 + 4 * prev;
        self.u32_at_mask(off) != 0 && self.u32_at(off) & 0x7 == 0x4
    }

    pub fn u8_at(&self, offset: usize) -> u8 {
        self.bytes.get(offset).copied().unwrap_or(0)
    }

    pub fn u16_at(&self, offset: usize) -> u16 {
        u16::from_le_bytes([self.u8_at(offset), self.u8_at(offset + 1)])
    }

    pub fn u32_at(&self, offset: usize) -> u32 {
        u32::from_le_bytes(std::array::from_fn(|i| self.u8_at(offset + i)))
    }

    fn u32_at_mask(&self, offset: usize) -> u32 {
        u32::from_le_bytes(std::array::from_fn(|i| {
            self.wmask.get(offset + i).copied().unwrap_or(0)
        }))
    }

    /// Reads `data.len()` bytes at `offset`; bytes past the end read all-ones.
    pub fn read(&self, offset: usize, data: &mut [u8]) {
        for (i, b) in data.iter_mut().enumerate() {
            *b = self.bytes.get(offset + i).copied().unwrap_or(0xff);
        }
    }

    /// Writes through the mask; bytes past the end are dropped.
    pub fn write(&mut self, offset: usize, data: &[u8]) {
        for (i, &v) in data.iter().enumerate() {
            let o = offset + i;
            if let (Some(b), Some(&m)) = (self.bytes.get_mut(o), self.wmask.get(o)) {
                *b = (*b & !m) | (v & m);
            }
        }
    }

    /// The bytes for a snapshot.
    pub fn save(&self) -> Vec<u8> {
        self.bytes.to_vec()
    }

    /// Takes the writable bits of saved bytes; read-only fields keep this build's values, so a
    /// state file cannot change a function's identity.
    pub fn restore(&mut self, saved: &[u8]) -> Result<(), String> {
        if saved.len() != CONFIG_SIZE {
            return Err(format!(
                "PCI config of {} bytes, expected {CONFIG_SIZE}",
                saved.len()
            ));
        }
        self.write(0, saved);
        Ok(())
    }
}

/// A PCI function as the configuration mechanism sees it. The defaults read and write the
/// function's `PciConfig`; a device with side effects (a base register that moves something)
/// overrides `write_config` and `restored`.
pub trait PciDevice: Send {
    fn config(&self) -> &PciConfig;
    fn config_mut(&mut self) -> &mut PciConfig;

    /// `offset + data.len()` is within the 256 bytes and does not cross a dword.
    fn read_config(&mut self, offset: usize, data: &mut [u8]) {
        self.config().read(offset, data);
    }

    fn write_config(&mut self, offset: usize, data: &[u8]) {
        self.config_mut().write(offset, data);
    }

    /// Called after a snapshot's config bytes were restored, to redo what writes would have
    /// done.
    fn restored(&mut self) {}
}

/// A function on bus 0. Its mutex is taken while the root's is held, so a function must never
/// reach back into the root (lock order: root, then function).
struct Slot {
    device: u8,
    function: u8,
    dev: Arc<Mutex<dyn PciDevice>>,
}

/// Configuration mechanism #1 (base 0xcf8, length 8): the address latch at +0 (32-bit
/// accesses only) and the data window at +4..+8. Bus 0 only. With a reset line, the byte at +1
/// (0xcf9) is the PIIX reset control register, which SeaBIOS and Linux (`reboot=pci`) use.
#[derive(Default)]
pub struct PciRoot {
    address: u32,
    slots: Vec<Slot>,
    reset: Option<ExitSender>,
    /// Reset control: only the "hard reset" type bit (1) is kept, as on the PIIX.
    reset_control: u8,
}

/// Port of the address latch; the root is registered there with `PCI_CONFIG_LEN`.
pub const PCI_CONFIG_ADDRESS: u16 = 0xcf8;
pub const PCI_CONFIG_LEN: u64 = 8;

const ENABLE: u32 = 1 << 31;
/// Reset control (0xcf9): bit 1 chooses a hard reset, bit 2 performs the reset.
const RCR_SYS_RST: u8 = 1 << 1;
const RCR_RST_CPU: u8 = 1 << 2;

impl PciRoot {
    /// Makes 0xcf9 the reset control register, reporting resets to `exit`.
    pub fn set_reset_line(&mut self, exit: ExitSender) {
        self.reset = Some(exit);
    }

    /// Adds a function at 00:`device`.`function`. Errors (a machine-model bug) on a place out
    /// of range or taken.
    pub fn add(
        &mut self,
        device: u8,
        function: u8,
        dev: Arc<Mutex<dyn PciDevice>>,
    ) -> Result<(), String> {
        if device >= 32 || function >= 8 {
            return Err(format!("no PCI slot 00:{device:02x}.{function}"));
        }
        if self.find(device, function).is_some() {
            return Err(format!("PCI slot 00:{device:02x}.{function} taken"));
        }
        self.slots.push(Slot {
            device,
            function,
            dev,
        });
        Ok(())
    }

    fn find(&self, device: u8, function: u8) -> Option<&Slot> {
        self.slots
            .iter()
            .find(|s| s.device == device && s.function == function)
    }

    /// The function the latch selects and the config offset of data port byte `lane`; `None`
    /// when disabled, on another bus, or absent.
    fn selected(&self, lane: usize) -> Option<(&Slot, usize)> {
        let a = self.address;
        if a & ENABLE == 0 || (a >> 16) & 0xff != 0 {
            return None;
        }
        let device = ((a >> 11) & 0x1f) as u8;
        let function = ((a >> 8) & 0x7) as u8;
        let reg = (a & 0xfc) as usize;
        self.find(device, function).map(|s| (s, reg + lane))
    }
}

impl BusDevice for PciRoot {
    fn read(&mut self, offset: u64, data: &mut [u8]) {
        data.fill(0xff);
        match offset {
            0 if data.len() == 4 => data.copy_from_slice(&self.address.to_le_bytes()),
            1 if data.len() == 1 && self.reset.is_some() => data[0] = self.reset_control,
            4..=7 => {
                let lane = (offset - 4) as usize;
                // An access crossing the dword has no defined meaning: all-ones.
                if lane + data.len() > 4 {
                    return;
                }
                if let Some((slot, off)) = self.selected(lane) {
                    lock(&slot.dev).read_config(off, data);
                }
            }
            _ => {}
        }
    }

    fn write(&mut self, offset: u64, data: &[u8]) {
        match offset {
            0 => {
                // Only dword writes reach the latch; byte writes to 0xcf8–0xcfb belong to
                // other registers on real chipsets (0xcf9 is the PIIX reset control).
                if let Ok(v) = <[u8; 4]>::try_from(data) {
                    self.address = u32::from_le_bytes(v);
                }
            }
            1 if data.len() == 1 => {
                if let Some(exit) = &self.reset {
                    if data[0] & RCR_RST_CPU != 0 {
                        exit.send(ExitReason::Reset("PCI reset control"));
                    } else {
                        self.reset_control = data[0] & RCR_SYS_RST;
                    }
                }
            }
            4..=7 => {
                let lane = (offset - 4) as usize;
                if lane + data.len() > 4 {
                    return;
                }
                if let Some((slot, off)) = self.selected(lane) {
                    lock(&slot.dev).write_config(off, data);
                }
            }
            _ => {}
        }
    }
}

/// One function's config bytes in a snapshot.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PciFunctionState {
    pub device: u8,
    pub function: u8,
    pub config: Vec<u8>,
}

/// The configuration mechanism in a snapshot: the address latch, the reset control byte and
/// every function's bytes. A PIIX4 PM base lives in its function's bytes (0x40, enable at
/// 0x80) and is re-derived on restore.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PciRootState {
    pub address: u32,
    pub reset_control: u8,
    pub functions: Vec<PciFunctionState>,
}

impl Persist for PciRoot {
    type State = PciRootState;
    type Args = ();

    fn save(&self) -> Result<PciRootState, String> {
        Ok(PciRootState {
            address: self.address,
            reset_control: self.reset_control,
            functions: self
                .slots
                .iter()
                .map(|s| PciFunctionState {
                    device: s.device,
                    function: s.function,
                    config: lock(&s.dev).config().save(),
                })
                .collect(),
        })
    }

    /// The saved functions must be exactly this machine's.
    fn restore(&mut self, state: &PciRootState, _: ()) -> Result<(), String> {
        if state.functions.len() != self.slots.len() {
            return Err(format!(
                "snapshot has {} PCI functions, this VM {}",
                state.functions.len(),
                self.slots.len()
            ));
        }
        for f in &state.functions {
            if self.find(f.device, f.function).is_none() {
                return Err(format!(
                    "snapshot has PCI function 00:{:02x}.{} this VM lacks",
                    f.device, f.function
                ));
            }
            if f.config.len() != CONFIG_SIZE {
                return Err(format!(
                    "PCI function 00:{:02x}.{}: {} config bytes, expected {CONFIG_SIZE}",
                    f.device,
                    f.function,
                    f.config.len()
                ));
            }
        }
        for f in &state.functions {
            if let Some(slot) = self.find(f.device, f.function) {
                let mut dev = lock(&slot.dev);
                dev.config_mut().restore(&f.config)?;
                dev.restored();
            }
        }
        self.address = state.address;
        self.reset_control = state.reset_control & RCR_SYS_RST;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
