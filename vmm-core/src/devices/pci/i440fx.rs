//! The PCI functions of an i440FX PC as QEMU's `-M pc` shows them, which SeaBIOS and OVMF look
//! for: the host bridge (00:00.0), the PIIX3 ISA bridge (00:01.0) and the PIIX4 power
//! management function (00:01.3). Only configuration space: the chipset registers are stored so
//! firmware reads back what it wrote, and the PM function places the PM I/O block.

use super::intx::IntxRouter;
use super::{
    AcpiPmTimer, PciConfig, PciDevice, PciId, PciRoot, HEADER_MULTIFUNCTION, PCI_CONFIG_ADDRESS,
    PCI_CONFIG_LEN,
};
use crate::devices::{Bus, IoWindow};
use crate::exit::ExitSender;
use std::sync::{Arc, Mutex};

pub const VENDOR_INTEL: u16 = 0x8086;
pub const DEVICE_I440FX: u16 = 0x1237;
pub const DEVICE_PIIX3_ISA: u16 = 0x7000;
pub const DEVICE_PIIX4_PM: u16 = 0x7113;

/// Host bridge: the PAM registers (shadowing of 0xc0000–0xfffff) and SMRAM control.
pub const I440FX_PAM0: usize = 0x59;
pub const I440FX_PAM_COUNT: usize = 7;
pub const I440FX_SMRAM: usize = 0x72;

/// PIIX3: PCI interrupt routing for PIRQA–D; bit 7 set = not routed.
pub const PIIX3_PIRQ_ROUTE: usize = 0x60;
pub const PIRQ_DISABLED: u8 = 0x80;

/// PIIX4 PM: I/O base of the PM block (bits 15:6, bit 0 reads 1 = I/O space), and its enable
/// (bit 0 of PMREGMISC).
pub const PIIX4_PMBASE: usize = 0x40;
pub const PIIX4_PMREGMISC: usize = 0x80;
/// Device activity B; bit 25 (APMC_EN) says SMI on APM command writes is set up.
pub const PIIX4_DEVACTB: usize = 0x58;
pub const PIIX4_SMBHSTBASE: usize = 0x90;
pub const PIIX4_SMBHSTCFG: usize = 0xd2;
/// The PM I/O block's length: 64 ports (PM1 registers, the timer at +8, GPE …).
pub const PM_BLOCK_LEN: u64 = 64;

/// 00:00.0, Intel 82441FX.
pub struct HostBridge {
    config: PciConfig,
}

impl HostBridge {
    pub fn new() -> Self {
        let mut config = PciConfig::new(PciId {
            vendor: VENDOR_INTEL,
            device: DEVICE_I440FX,
            revision: 0x02,
            class: [0x06, 0x00, 0x00],
            header_type: 0,
            interrupt_pin: 0,
        });
        // Our BIOS area is always RAM, so PAM changes nothing but must read back: SeaBIOS
        // reads them to decide whether it already made the BIOS writable.
        config.set_wmask(I440FX_PAM0, &[0xff; I440FX_PAM_COUNT]);
        // SMRAM: C_BASE_SEG reads 010 (the A/B segments), the open/close/lock/enable bits store.
        config.set(I440FX_SMRAM, &[0x02]);
        config.set_wmask(I440FX_SMRAM, &[0x78]);
        HostBridge { config }
    }
}

impl Default for HostBridge {
    fn default() -> Self {
        Self::new()
    }
}

impl PciDevice for HostBridge {
    fn config(&self) -> &PciConfig {
        &self.config
    }
    fn config_mut(&mut self) -> &mut PciConfig {
        &mut self.config
    }
}

/// 00:01.0, Intel 82371SB function 0 (PCI-to-ISA bridge). Function 0 of a multifunction
/// device, so firmware goes on to probe 00:01.1–7.
pub struct Piix3Isa {
    config: PciConfig,
    /// Where PCI interrupts go; told of every routing change.
    intx: Option<Arc<IntxRouter>>,
}

impl Piix3Isa {
    pub fn new() -> Self {
        let mut config = PciConfig::new(PciId {
            vendor: VENDOR_INTEL,
            device: DEVICE_PIIX3_ISA,
            revision: 0,
            class: [0x06, 0x01, 0x00],
            header_type: HEADER_MULTIFUNCTION,
            interrupt_pin: 0,
        });
        // Reset values as QEMU's piix3 has them (82371SB datasheet defaults).
        config.set_u16(super::COMMAND, 0x0007);
        config.set_u16(0x06, 0x0200);
        config.set(0x4c, &[0x4d]);
        config.set(0x4e, &[0x03]);
        config.set(PIIX3_PIRQ_ROUTE, &[PIRQ_DISABLED; 4]);
        config.set(0x69, &[0x02]);
        config.set(0x70, &[0x80]);
        config.set(0x76, &[0x0c, 0x0c, 0x02]);
        config.set(0xa0, &[0x08]);
        config.set(0xa8, &[0x0f]);
        // Route bits 3:0 (the ISA IRQ) and bit 7 (disabled) store; 6:4 are reserved.
        config.set_wmask(PIIX3_PIRQ_ROUTE, &[0x8f; 4]);
        Piix3Isa { config, intx: None }
    }

    /// Routes PCI interrupts through `intx` by this function's PIRQ registers.
    pub fn with_intx(mut self, intx: Arc<IntxRouter>) -> Self {
        intx.set_routes(self.pirq_routes());
        self.intx = Some(intx);
        self
    }

    fn routes_changed(&self) {
        if let Some(intx) = &self.intx {
            intx.set_routes(self.pirq_routes());
        }
    }

    /// Where PIRQA–D go: the ISA IRQ, or `None` when disabled.
    pub fn pirq_routes(&self) -> [Option<u8>; 4] {
        std::array::from_fn(|i| {
            let v = self.config.u8_at(PIIX3_PIRQ_ROUTE + i);
            (v & PIRQ_DISABLED == 0).then_some(v & 0x0f)
        })
    }
}

impl Default for Piix3Isa {
    fn default() -> Self {
        Self::new()
    }
}

impl PciDevice for Piix3Isa {
    fn config(&self) -> &PciConfig {
        &self.config
    }
    fn config_mut(&mut self) -> &mut PciConfig {
        &mut self.config
    }

    fn write_config(&mut self, offset: usize, data: &[u8]) {
        self.config.write(offset, data);
        if offset < PIIX3_PIRQ_ROUTE + 4 && offset + data.len() > PIIX3_PIRQ_ROUTE {
            self.routes_changed();
        }
    }

    fn restored(&mut self) {
        self.routes_changed();
    }
}

/// 00:01.3, Intel 82371AB function 3 (power management). Its PM base and enable place the PM
/// I/O block, which the machine serves through `pm_window` (see `AcpiPmTimer`).
pub struct Piix4Pm {
    config: PciConfig,
    pm_window: Arc<IoWindow>,
}

impl Piix4Pm {
    /// `pm_window` is moved whenever the guest changes the PM base or its enable bit.
    pub fn new(pm_window: Arc<IoWindow>) -> Self {
        let mut config = PciConfig::new(PciId {
            vendor: VENDOR_INTEL,
            device: DEVICE_PIIX4_PM,
            revision: 0x03,
            class: [0x06, 0x80, 0x00],
            header_type: 0,
            interrupt_pin: 1,
        });
        // Fast back-to-back capable, medium DEVSEL timing, as QEMU sets.
        config.set_u16(0x06, 0x0280);
        config.set_u32(PIIX4_PMBASE, 0x1);
        config.set_wmask(PIIX4_PMBASE, &[0xc0, 0xff]);
        config.set_wmask(PIIX4_PMREGMISC, &[0x01]);
        // We have no SMM: APMC_EN reads set (and stays so), which tells SeaBIOS that SMM is
        // already initialised; otherwise it raises an SMI and waits forever for its handler.
        // QEMU does the same when SMM is off.
        config.set_u32(PIIX4_DEVACTB, 1 << 25);
        config.set_u32(PIIX4_SMBHSTBASE, 0x1);
        config.set_wmask(PIIX4_SMBHSTBASE, &[0xf0, 0xff]);
        config.set_wmask(PIIX4_SMBHSTCFG, &[0x0f]);
        let pm = Piix4Pm { config, pm_window };
        pm.update_window();
        pm
    }

    /// The PM block's base when the guest enabled it.
    pub fn pm_base(&self) -> Option<u16> {
        let enabled = self.config.u8_at(PIIX4_PMREGMISC) & 1 != 0;
        enabled.then(|| self.config.u16_at(PIIX4_PMBASE) & 0xffc0)
    }

    pub fn pm_window(&self) -> &Arc<IoWindow> {
        &self.pm_window
    }

    fn update_window(&self) {
        self.pm_window.set(self.pm_base().map(u64::from));
    }
}

impl PciDevice for Piix4Pm {
    fn config(&self) -> &PciConfig {
        &self.config
    }
    fn config_mut(&mut self) -> &mut PciConfig {
        &mut self.config
    }

    fn write_config(&mut self, offset: usize, data: &[u8]) {
        self.config.write(offset, data);
        self.update_window();
    }

    fn restored(&mut self) {
        self.update_window();
    }
}

/// An i440FX PC's configuration space and the window the PIIX4 moves.
pub struct I440fx {
    /// Register on the port-I/O bus at `PCI_CONFIG_ADDRESS`, length `PCI_CONFIG_LEN`.
    pub root: PciRoot,
    /// Where the guest put the PM I/O block: register an `AcpiPmTimer` with
    /// `Bus::insert_movable(pm_window, …)`.
    pub pm_window: Arc<IoWindow>,
    /// Where the PM block's sleep control reports a power-off (ACPI S5).
    exit: ExitSender,
}

impl PciRoot {
    /// The three functions of QEMU's `-M pc`: 00:00.0 host bridge, 00:01.0 PIIX3 ISA bridge,
    /// 00:01.3 PIIX4 PM; the PIIX3's reset control at 0xcf9 reports to `exit`.
    pub fn i440fx(exit: ExitSender) -> I440fx {
        Self::i440fx_with_intx(exit, None)
    }

    /// The same, with PCI interrupts routed through `intx` by the PIIX3's PIRQ registers.
    pub fn i440fx_with_intx(exit: ExitSender, intx: Option<Arc<IntxRouter>>) -> I440fx {
        let mut isa = Piix3Isa::new();
        if let Some(intx) = intx {
            isa = isa.with_intx(intx);
        }
        let pm_window = Arc::new(IoWindow::new(PM_BLOCK_LEN));
        let mut root = PciRoot::default();
        root.set_reset_line(exit.clone());
        // Fixed, distinct, in-range slots: `add` cannot fail here.
        let _ = root.add(0, 0, Arc::new(Mutex::new(HostBridge::new())));
        let _ = root.add(1, 0, Arc::new(Mutex::new(isa)));
        let _ = root.add(1, 3, Arc::new(Mutex::new(Piix4Pm::new(pm_window.clone()))));
        I440fx {
            root,
            pm_window,
            exit,
        }
    }
}

/// What the machine keeps once the chipset is on its port-I/O bus: the devices whose state a
/// snapshot saves (`Persist` on both).
pub struct I440fxHandles {
    pub root: Arc<Mutex<PciRoot>>,
    pub pm_timer: Arc<Mutex<AcpiPmTimer>>,
}

impl I440fx {
    /// Puts the configuration ports at 0xcf8–0xcff (which must be free: `Bus::insert` panics
    /// on overlap) and the PM block wherever the guest will program it.
    pub fn register(self, pio: &mut Bus) -> I440fxHandles {
        let root = Arc::new(Mutex::new(self.root));
        let pm_timer = Arc::new(Mutex::new(AcpiPmTimer::with_power_off(self.exit)));
        pio.insert(
            "PCI host bridge (i440FX)",
            u64::from(PCI_CONFIG_ADDRESS),
            PCI_CONFIG_LEN,
            root.clone(),
        );
        pio.insert_movable("ACPI PM (PIIX4)", self.pm_window, pm_timer.clone());
        I440fxHandles { root, pm_timer }
    }
}
