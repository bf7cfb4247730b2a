//! The virtio-pci transport, modern only (virtio 1.x, 4.1): a PCI function with vendor
//! 0x1af4, device 0x1040 + the virtio device ID, revision 1, whose vendor capabilities point
//! into BAR4 (64-bit, prefetchable, as QEMU lays it out): common config at 0x0000, ISR at
//! 0x1000, device config at 0x2000, notifications at 0x3000 (4 bytes per queue). BAR1 holds
//! the MSI-X table (0x000) and pending bits (0x800). While MSI-X is off the function
//! interrupts on INTA (`msix::PciInterrupts`). Queue notifications are trapped writes, as on
//! virtio-mmio. The device side is the same [`VirtioCore`] the MMIO transport uses.
//!
//! virtio-vga ([`PciTransport::new_vga`], as QEMU's `virtio-vga`): a virtio-gpu function with
//! class VGA (1af4:1050, class 0x030000) that is also the std-vga: BAR0 its VRAM, BAR2 its
//! MMIO block (QEMU's std-vga layout), the legacy ports and window on the fixed buses
//! (`builder`). Firmware and boot loaders see a std-vga; the guest's virtio-gpu driver takes
//! over the screen when it sets a scanout (see `gpu::vga_screen`).

pub mod msix;
#[cfg(test)]
mod tests;

use super::transport::TransportState;
use super::transport::{VirtioCore, VirtioTransport, FAILED};
use super::{device_type, VirtioDevice, VirtioInterrupt};
use crate::devices::pci::bars::COMMAND_INTX_DISABLE;
use crate::devices::pci::msi::MsiVectors;
use crate::devices::pci::{Bar, BarWindows, IntxPin, PciConfig, PciDevice, PciId, COMMAND};
use crate::devices::vga::{self, Vga};
use crate::devices::{Bus, BusDevice};
use crate::util::lock;
use msix::{MsixState, PciInterrupts, MSIX_ENABLE, MSIX_FUNCTION_MASK, NO_VECTOR};
use std::sync::{Arc, Mutex};
use virtio_queue::QueueT;
use vm_memory::GuestMemoryMmap;

pub const VENDOR: u16 = 0x1af4;
pub const DEVICE_BASE: u16 = 0x1040;

/// BAR4's regions, each one page.
pub const BAR4_SIZE: u64 = 0x4000;
pub const COMMON_CFG: u64 = 0x0000;
pub const ISR_CFG: u64 = 0x1000;
pub const DEVICE_CFG: u64 = 0x2000;
pub const NOTIFY_CFG: u64 = 0x3000;
pub const REGION_SIZE: u64 = 0x1000;
pub const NOTIFY_OFF_MULTIPLIER: u32 = 4;
/// BAR1: MSI-X table and PBA.
pub const MSIX_BAR_SIZE: u32 = 0x1000;
pub const PBA_OFFSET: u64 = 0x800;
const MSIX_BAR: u8 = 1;
const CFG_BAR: u8 = 4;

// Capability list in config space.
const STATUS: usize = 0x06;
const STATUS_CAP_LIST: u8 = 1 << 4;
const CAP_POINTER: usize = 0x34;
const CAP_VENDOR: u8 = 0x09;
const CAP_MSIX: u8 = 0x11;
pub const CAP_COMMON: usize = 0x40;
pub const CAP_ISR: usize = 0x50;
pub const CAP_DEVICE: usize = 0x60;
pub const CAP_NOTIFY: usize = 0x70;
pub const CAP_PCI_CFG: usize = 0x84;
pub const CAP_MSIX_AT: usize = 0x98;
const PCI_CFG_DATA: usize = CAP_PCI_CFG + 16;
const MSIX_CONTROL: usize = CAP_MSIX_AT + 2;
// virtio_pci_cap cfg_type.
const TYPE_COMMON: u8 = 1;
const TYPE_NOTIFY: u8 = 2;
const TYPE_ISR: u8 = 3;
const TYPE_DEVICE: u8 = 4;
const TYPE_PCI_CFG: u8 = 5;

/// Largest number of MSI-X vectors (table entries) a function has: its queues plus config.
pub const MAX_VECTORS: usize = 64;

/// What a virtio-pci function keeps in a snapshot besides the core's state (its config
/// bytes are the PCI root's).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PciTransportState {
    pub msix: MsixState,
}

/// One virtio device as a PCI function.
pub struct PciTransport {
    core: VirtioCore,
    config: PciConfig,
    bars: BarWindows,
    irqs: Arc<PciInterrupts>,
    /// virtio-vga: the VGA whose VRAM (BAR0) and MMIO block (BAR2) this function carries.
    vga: Option<Arc<Vga>>,
}

/// virtio-vga's BARs for the VGA part: VRAM and the std-vga MMIO block.
const VGA_VRAM_BAR: usize = 0;
const VGA_MMIO_BAR: usize = 2;
/// QEMU's virtio-vga device ID (0x1040 + 16 is virtio-gpu-pci's).
pub const VIRTIO_VGA_DEVICE: u16 = 0x1050;

/// The class code a driver or firmware expects for each device type, as QEMU gives them.
fn class_of(device_type: u32) -> [u8; 3] {
    match device_type {
        device_type::NET => [0x02, 0x00, 0x00],
        device_type::BLOCK => [0x01, 0x00, 0x00],
        device_type::INPUT => [0x09, 0x80, 0x00],
        device_type::GPU => [0x03, 0x80, 0x00],
        _ => [0xff, 0x00, 0x00],
    }
}

impl PciTransport {
    /// The function for `dev`, interrupting through `vectors` (one per queue plus one for
    /// config changes) or `intx`. Register its BARs with [`PciTransport::register`].
    pub fn new(
        dev: Arc<Mutex<dyn VirtioDevice>>,
        mem: GuestMemoryMmap,
        vectors: Box<dyn MsiVectors>,
        intx: Option<IntxPin>,
    ) -> Result<Self, String> {
        Self::build(dev, mem, vectors, intx, None)
    }

    /// virtio-vga: `dev` (a virtio-gpu) as a VGA-class function that also carries `vga`'s
    /// VRAM (BAR0) and MMIO block (BAR2). Register its BARs with [`PciTransport::register`].
    pub fn new_vga(
        dev: Arc<Mutex<dyn VirtioDevice>>,
        mem: GuestMemoryMmap,
        vectors: Box<dyn MsiVectors>,
        intx: Option<IntxPin>,
        vga: Arc<Vga>,
    ) -> Result<Self, String> {
        if lock(&dev).device_type() != device_type::GPU {
            return Err("virtio-vga needs a virtio-gpu device".into());
        }
        Self::build(dev, mem, vectors, intx, Some(vga))
    }

    fn build(
        dev: Arc<Mutex<dyn VirtioDevice>>,
        mem: GuestMemoryMmap,
        vectors: Box<dyn MsiVectors>,
        intx: Option<IntxPin>,
        vga: Option<Arc<Vga>>,
    ) -> Result<Self, String> {
        let (ty, queues) = {
            let d = lock(&dev);
            (d.device_type(), d.queue_max_sizes().len())
        };
        if vectors.count() != queues + 1 || vectors.count() > MAX_VECTORS {
            return Err(format!(
                "virtio-pci device type {ty}: {} MSI-X vectors for {queues} queues",
                vectors.count()
            ));
        }
        let device = u16::try_from(ty)
            .ok()
            .and_then(|t| DEVICE_BASE.checked_add(t))
            .ok_or_else(|| format!("virtio device type {ty} has no PCI device ID"))?;
        let irqs = Arc::new(PciInterrupts::new(vectors, queues, intx));
        let irq = Arc::new(VirtioInterrupt::with_line(irqs.clone()));
        let (device, class) = match vga {
            Some(_) => (VIRTIO_VGA_DEVICE, [0x03, 0x00, 0x00]),
            None => (device, class_of(ty)),
        };
        let mut config = PciConfig::new(PciId {
            vendor: VENDOR,
            device,
            revision: 1,
            class,
            header_type: 0,
            interrupt_pin: 1,
        });
        let mut bars = BarWindows::new();
        if vga.is_some() {
            bars.declare(
                &mut config,
                VGA_VRAM_BAR,
                Bar::Mem32 {
                    size: vga::regs::VRAM_SIZE as u32,
                    prefetchable: true,
                },
            )?;
            bars.declare(
                &mut config,
                VGA_MMIO_BAR,
                Bar::Mem32 {
                    size: vga::MMIO_BAR_SIZE,
                    prefetchable: false,
                },
            )?;
        }
        bars.declare(
            &mut config,
            usize::from(MSIX_BAR),
            Bar::Mem32 {
                size: MSIX_BAR_SIZE,
                prefetchable: false,
            },
        )?;
        bars.declare(
            &mut config,
            usize::from(CFG_BAR),
            Bar::Mem64 {
                size: BAR4_SIZE,
                prefetchable: true,
            },
        )?;
        write_capabilities(&mut config, queues + 1);
        Ok(PciTransport {
            core: VirtioCore::new(dev, mem, irq),
            config,
            bars,
            irqs,
            vga,
        })
    }

    /// Puts the function's BARs on the MMIO bus (unmapped until the guest places them).
    pub fn register(
        t: &Arc<Mutex<PciTransport>>,
        name: &str,
        pio: &mut Bus,
        mmio: &mut Bus,
    ) -> Result<(), String> {
        let irqs = lock(t).irqs.clone();
        let guard = lock(t);
        if let Some(v) = &guard.vga {
            guard.bars.register_one(
                VGA_MMIO_BAR,
                name,
                pio,
                mmio,
                Arc::new(Mutex::new(vga::MmioBar(v.clone()))),
            )?;
        }
        guard.bars.register_one(
            usize::from(CFG_BAR),
            name,
            pio,
            mmio,
            Arc::new(Mutex::new(CfgBar(t.clone()))),
        )?;
        guard.bars.register_one(
            usize::from(MSIX_BAR),
            name,
            pio,
            mmio,
            Arc::new(Mutex::new(MsixBar(irqs))),
        )
    }

    pub fn interrupts(&self) -> &Arc<PciInterrupts> {
        &self.irqs
    }

    /// Reads BAR4 at `offset`.
    pub fn read_bar(&mut self, offset: u64, data: &mut [u8]) {
        data.fill(0);
        match offset {
            o if o < ISR_CFG => self.read_common(o, data),
            ISR_CFG => {
                if let Some(b) = data.first_mut() {
                    *b = self.irqs.read_isr(self.core.irq()) as u8;
                }
            }
            o if (DEVICE_CFG..NOTIFY_CFG).contains(&o) => {
                self.core.device().read_config(o - DEVICE_CFG, data)
            }
            _ => {}
        }
    }

    /// Writes BAR4 at `offset`.
    pub fn write_bar(&mut self, offset: u64, data: &[u8]) {
        match offset {
            o if o < ISR_CFG => self.write_common(o, data),
            o if (DEVICE_CFG..NOTIFY_CFG).contains(&o) && self.core.status() & FAILED == 0 => {
                self.core.device().write_config(o - DEVICE_CFG, data);
            }
            o if (DEVICE_CFG..NOTIFY_CFG).contains(&o) => {}
            o if (NOTIFY_CFG..BAR4_SIZE).contains(&o) => {
                // The queue is the one whose notify offset was written; the value (its
                // index, or more with NOTIFICATION_DATA, which is not offered) is not needed.
                let q = (o - NOTIFY_CFG) / u64::from(NOTIFY_OFF_MULTIPLIER);
                self.core.notify(q as u32);
            }
            _ => {}
        }
    }

    fn read_common(&mut self, offset: u64, data: &mut [u8]) {
        let c = &mut self.core;
        let sel = c.queue_sel as usize;
        let q = c.queue_ref();
        let v: u64 = match (offset, data.len()) {
            (0x00, 4) => u64::from(c.device_features_sel),
            (0x04, 4) => u64::from(c.device_features_window()),
            (0x08, 4) => u64::from(c.driver_features_sel),
            (0x0c, 4) => u64::from(c.driver_features_window()),
            (0x10, 2) => u64::from(self.irqs.config_vector()),
            (0x12, 2) => c.num_queues() as u64,
            (0x14, 1) => u64::from(c.status() as u8),
            (0x15, 1) => u64::from(c.config_generation as u8),
            (0x16, 2) => u64::from(c.queue_sel as u16),
            (0x18, 2) => q.map_or(0, |q| u64::from(q.size())),
            (0x1a, 2) if q.is_some() => u64::from(self.irqs.queue_vector(sel)),
            (0x1a, 2) => u64::from(NO_VECTOR),
            (0x1c, 2) if c.activated() && q.is_some() => 1,
            (0x1c, 2) => q.map_or(0, |q| u64::from(q.ready())),
            (0x1e, 2) if q.is_some() => sel as u64,
            (0x20..=0x37, 4 | 8) if offset.is_multiple_of(4) => {
                let Some(q) = q else { return };
                let addr = match offset & !7 {
                    0x20 => q.desc_table(),
                    0x28 => q.avail_ring(),
                    _ => q.used_ring(),
                };
                if offset & 4 != 0 {
                    addr >> 32
                } else {
                    addr
                }
            }
            _ => 0,
        };
        let n = data.len().min(8);
        data[..n].copy_from_slice(&v.to_le_bytes()[..n]);
    }

    fn write_common(&mut self, offset: u64, data: &[u8]) {
        let mut b = [0u8; 8];
        let n = data.len().min(8);
        b[..n].copy_from_slice(&data[..n]);
        let v = u64::from_le_bytes(b);
        let c = &mut self.core;
        let setup = c.queue_setup_allowed();
        let sel = c.queue_sel as usize;
        match (offset, data.len()) {
            (0x00, 4) => c.device_features_sel = v as u32,
            (0x08, 4) => c.driver_features_sel = v as u32,
            (0x0c, 4) => c.write_driver_features(v as u32),
            (0x10, 2) => self.irqs.set_config_vector(v as u16),
            (0x14, 1) => {
                c.set_status(v as u32);
                if v == 0 {
                    self.irqs.reset_vectors();
                    // The ISR is clear after a reset: the INTx line drops.
                    self.irqs.read_isr(self.core.irq());
                }
            }
            (0x16, 2) => c.queue_sel = v as u32,
            (0x18, 2) if setup => {
                if let Some(q) = c.queue() {
                    q.set_size(v as u16);
                }
            }
            (0x1a, 2) if c.queue_ref().is_some() => self.irqs.set_queue_vector(sel, v as u16),
            (0x1c, 2) if setup && v == 1 => {
                if let Some(q) = c.queue() {
                    q.set_ready(true);
                }
            }
            (0x20..=0x37, 4 | 8) if setup && offset.is_multiple_of(4) => {
                let Some(q) = c.queue() else { return };
                let (lo, hi) = match (data.len(), offset & 4 != 0) {
                    (8, _) => (Some(v as u32), Some((v >> 32) as u32)),
                    (_, true) => (None, Some(v as u32)),
                    (_, false) => (Some(v as u32), None),
                };
                match offset & !7 {
                    0x20 => q.set_desc_table_address(lo, hi),
                    0x28 => q.set_avail_ring_address(lo, hi),
                    _ => q.set_used_ring_address(lo, hi),
                }
            }
            _ => {}
        }
    }

    /// The PCI_CFG capability's window: `Some((offset, length))` in BAR4 when the driver
    /// set up a usable access (BAR4, length 1/2/4, aligned, inside the BAR).
    fn pci_cfg_window(&self) -> Option<(u64, usize)> {
        let bar = self.config.u8_at(CAP_PCI_CFG + 4);
        let offset = u64::from(self.config.u32_at(CAP_PCI_CFG + 8));
        let len = self.config.u32_at(CAP_PCI_CFG + 12) as usize;
        let ok = bar == CFG_BAR
            && matches!(len, 1 | 2 | 4)
            && offset.is_multiple_of(len as u64)
            && offset + len as u64 <= BAR4_SIZE;
        ok.then_some((offset, len))
    }

    /// Re-derives what config writes control: BAR windows, INTx disable, MSI-X enable/mask.
    fn config_changed(&mut self, force: bool) {
        self.bars.update(&self.config);
        if let Some(v) = &self.vga {
            v.map_vram(self.bars.mapped(VGA_VRAM_BAR));
        }
        let command = self.config.u16_at(COMMAND);
        self.irqs
            .set_control(self.config.u16_at(MSIX_CONTROL), force);
        // After MSI-X: the INTx level depends on it (off again with the ISR set: high again).
        self.irqs
            .set_intx_disabled(self.core.irq(), command & COMMAND_INTX_DISABLE != 0);
    }
}

/// The capability chain a driver walks from 0x34: five virtio capabilities, then MSI-X.
fn write_capabilities(c: &mut PciConfig, vectors: usize) {
    c.set(STATUS, &[STATUS_CAP_LIST]);
    c.set(CAP_POINTER, &[CAP_COMMON as u8]);
    let vendor_cap =
        |c: &mut PciConfig, at: usize, next: usize, ty: u8, len: u8, off: u64, size: u64| {
            c.set(at, &[CAP_VENDOR, next as u8, len, ty, CFG_BAR, 0, 0, 0]);
            c.set_u32(at + 8, off as u32);
            c.set_u32(at + 12, size as u32);
        };
    vendor_cap(
        c,
        CAP_COMMON,
        CAP_ISR,
        TYPE_COMMON,
        16,
        COMMON_CFG,
        REGION_SIZE,
    );
    vendor_cap(c, CAP_ISR, CAP_DEVICE, TYPE_ISR, 16, ISR_CFG, REGION_SIZE);
    vendor_cap(
        c,
        CAP_DEVICE,
        CAP_NOTIFY,
        TYPE_DEVICE,
        16,
        DEVICE_CFG,
        REGION_SIZE,
    );
    vendor_cap(
        c,
        CAP_NOTIFY,
        CAP_PCI_CFG,
        TYPE_NOTIFY,
        20,
        NOTIFY_CFG,
        REGION_SIZE,
    );
    c.set_u32(CAP_NOTIFY + 16, NOTIFY_OFF_MULTIPLIER);
    // PCI_CFG: the driver picks bar, offset and length, then goes through the data dword.
    vendor_cap(c, CAP_PCI_CFG, CAP_MSIX_AT, TYPE_PCI_CFG, 20, 0, 0);
    c.set(CAP_PCI_CFG + 4, &[0]);
    c.set_wmask(CAP_PCI_CFG + 4, &[0xff]);
    c.set_wmask(CAP_PCI_CFG + 8, &[0xff; 8]);
    // MSI-X: table size - 1, enable and function mask writable; table and PBA in BAR1.
    c.set(CAP_MSIX_AT, &[CAP_MSIX, 0]);
    c.set_u16(MSIX_CONTROL, (vectors - 1) as u16);
    c.set_wmask(
        MSIX_CONTROL,
        &(MSIX_ENABLE | MSIX_FUNCTION_MASK).to_le_bytes(),
    );
    c.set_u32(CAP_MSIX_AT + 4, u32::from(MSIX_BAR));
    c.set_u32(CAP_MSIX_AT + 8, PBA_OFFSET as u32 | u32::from(MSIX_BAR));
}

impl PciDevice for PciTransport {
    fn config(&self) -> &PciConfig {
        &self.config
    }

    fn config_mut(&mut self) -> &mut PciConfig {
        &mut self.config
    }

    fn read_config(&mut self, offset: usize, data: &mut [u8]) {
        if offset == PCI_CFG_DATA {
            data.fill(0);
            if let Some((off, len)) = self.pci_cfg_window() {
                if data.len() >= len {
                    self.read_bar(off, &mut data[..len]);
                }
            }
            return;
        }
        self.config.read(offset, data);
    }

    fn write_config(&mut self, offset: usize, data: &[u8]) {
        if offset == PCI_CFG_DATA {
            if let Some((off, len)) = self.pci_cfg_window() {
                if data.len() >= len {
                    self.write_bar(off, &data[..len]);
                }
            }
            return;
        }
        self.config.write(offset, data);
        self.config_changed(false);
    }

    fn restored(&mut self) {
        self.config_changed(true);
    }
}

impl VirtioTransport for PciTransport {
    fn core(&self) -> &VirtioCore {
        &self.core
    }

    fn msix_view(&self) -> Vec<crate::api::MsixVectorView> {
        self.irqs.view()
    }

    fn save_state(&self) -> Result<TransportState, String> {
        self.core.save(Some(PciTransportState {
            msix: self.irqs.save(),
        }))
    }

    fn restore_state(&mut self, s: &TransportState) -> Result<(), String> {
        let Some(pci) = &s.pci else {
            return Err("snapshot has a virtio-mmio device where this VM has virtio-pci".into());
        };
        self.irqs
            .restore(&pci.msix, self.config.u16_at(MSIX_CONTROL))?;
        self.core.restore(s)
    }
}

/// BAR4 on the MMIO bus.
struct CfgBar(Arc<Mutex<PciTransport>>);

impl BusDevice for CfgBar {
    fn read(&mut self, offset: u64, data: &mut [u8]) {
        lock(&self.0).read_bar(offset, data);
    }

    fn write(&mut self, offset: u64, data: &[u8]) {
        lock(&self.0).write_bar(offset, data);
    }
}

/// BAR1 (MSI-X table and PBA) on the MMIO bus; needs only the interrupts, not the device.
struct MsixBar(Arc<PciInterrupts>);

impl BusDevice for MsixBar {
    fn read(&mut self, offset: u64, data: &mut [u8]) {
        if offset < PBA_OFFSET {
            self.0.read_table(offset, data);
        } else {
            self.0.read_pba(offset - PBA_OFFSET, data);
        }
    }

    fn write(&mut self, offset: u64, data: &[u8]) {
        // The PBA is read-only.
        if offset < PBA_OFFSET {
            self.0.write_table(offset, data);
        }
    }
}
