//! The PIIX4 PM I/O block: the PM1a event registers (status +0, enable +2), the PM1a control
//! register (+4) whose sleep-enable with the `\_S5` sleep type powers the VM off, and the ACPI
//! PM timer, a free-running 24-bit counter at 3.579545 MHz, read at +8. Firmware calibrates its delays on it (SeaBIOS `pmtimer_setup`, OVMF's
//! AcpiTimerLib). The block sits wherever the guest programs the PIIX4's PM base; the machine
//! registers this device on the `IoWindow` the `Piix4Pm` function moves.

use super::intx::IrqLevels;
use crate::devices::{BusDevice, Persist};
use crate::exit::{ExitReason, ExitSender};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The timer's rate in Hz.
pub const PM_TIMER_HZ: u128 = 3_579_545;
/// Offset of PM_TMR in the PM I/O block.
pub const PM_TIMER_OFFSET: u64 = 8;
const COUNTER_MASK: u32 = 0x00ff_ffff;
/// Offsets of PM1a_STS, PM1a_EN and PM1a_CNT (16 bits each).
const PM1_STS: u64 = 0;
const PM1_EN: u64 = 2;
const PM1_CNT: u64 = 4;
/// PM1_CNT: SLP_EN (write-only: it starts the sleep) and SLP_TYP (bits 10–12).
const SLP_EN: u16 = 1 << 13;
const SLP_TYP_SHIFT: u16 = 10;
/// The sleep type our `\_S5` names.
pub const S5_SLEEP_TYPE: u16 = crate::arch::pc_acpi::S5_SLEEP_TYPE as u16;
/// PM1 status/enable bit of the fixed-feature power button (the FADT declares no control
/// method button, so this is the one ACPI guests use).
pub const PWRBTN: u16 = 1 << 8;
/// The SCI's ISA IRQ (the FADT's `SCI_INT`).
const SCI_IRQ: u32 = crate::arch::pc_acpi::SCI_IRQ as u32;

/// The PIIX4's own soft-off type on QEMU's pc machine, which OVMF writes to power off whatever
/// the DSDT says (edk2 `OvmfPkg/Library/ResetSystemLib/DxeResetShutdown.c`).
pub const PIIX4_SOFT_OFF_TYPE: u16 = 0;

/// The PM I/O block as far as it is modelled: PM1 status/enable/control and the timer. GPE
/// registers are not part of it (they read 0). The power button is the one event: its status
/// bit, when enabled, holds the SCI (IRQ 9, level) high until the guest clears it.
pub struct AcpiPmTimer {
    start: Instant,
    /// Added to the ticks since `start`, so a restored timer continues from its saved value.
    offset: u32,
    pm1_sts: u16,
    pm1_en: u16,
    /// PM1_CNT without SLP_EN (SCI_EN and the last sleep type written).
    pm1_cnt: u16,
    /// Where sleeping in S5 reports a power-off; none in unit tests of the timer alone.
    exit: Option<ExitSender>,
    /// Where the SCI goes; none in unit tests of the timer alone.
    sci: Option<Arc<dyn IrqLevels>>,
    sci_level: bool,
    /// Set when the guest clears the power button's status: it took the press.
    pwrbtn_taken: Arc<AtomicBool>,
}

fn ticks(elapsed: Duration) -> u32 {
    // u128: no overflow for any uptime; the counter wraps at 24 bits anyway.
    (elapsed.as_nanos() * PM_TIMER_HZ / 1_000_000_000) as u32
}

impl AcpiPmTimer {
    pub fn new() -> Self {
        AcpiPmTimer {
            start: Instant::now(),
            offset: 0,
            pm1_sts: 0,
            pm1_en: 0,
            pm1_cnt: 0,
            exit: None,
            sci: None,
            sci_level: false,
            pwrbtn_taken: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Raises the SCI through `sci`.
    pub fn set_sci(&mut self, sci: Arc<dyn IrqLevels>) {
        self.sci = Some(sci);
        self.update_sci();
    }

    /// Presses the power button: its status bit is set (and the SCI raised if the guest
    /// enabled the event). The flag returned turns true when the guest clears the status, i.e.
    /// its ACPI driver handled the press.
    pub fn press_power_button(&mut self) -> Arc<AtomicBool> {
        self.pwrbtn_taken.store(false, Ordering::SeqCst);
        self.pm1_sts |= PWRBTN;
        self.update_sci();
        self.pwrbtn_taken.clone()
    }

    fn update_sci(&mut self) {
        let level = self.pm1_sts & self.pm1_en & PWRBTN != 0;
        if level != self.sci_level {
            self.sci_level = level;
            if let Some(sci) = &self.sci {
                sci.set_level(SCI_IRQ, level);
            }
        }
    }

    /// The block of a machine: the guest's ACPI power-off (S5) ends the VM through `exit`.
    pub fn with_power_off(exit: ExitSender) -> Self {
        AcpiPmTimer {
            exit: Some(exit),
            ..Self::new()
        }
    }

    fn register16(&self, offset: u64) -> Option<u16> {
        match offset {
            PM1_STS => Some(self.pm1_sts),
            PM1_EN => Some(self.pm1_en),
            PM1_CNT => Some(self.pm1_cnt),
            _ => None,
        }
    }

    /// The counter now (24 bits).
    pub fn counter(&self) -> u32 {
        ticks(self.start.elapsed()).wrapping_add(self.offset) & COUNTER_MASK
    }
}

impl Default for AcpiPmTimer {
    fn default() -> Self {
        Self::new()
    }
}

impl BusDevice for AcpiPmTimer {
    fn read(&mut self, offset: u64, data: &mut [u8]) {
        data.fill(0);
        if offset < PM_TIMER_OFFSET {
            // PM1 registers: 16 bits each; a byte read sees its half.
            let base = offset & !1;
            if let Some(v) = self.register16(base) {
                let bytes = v.to_le_bytes();
                for (i, b) in data.iter_mut().enumerate() {
                    *b = bytes
                        .get((offset - base) as usize + i)
                        .copied()
                        .unwrap_or(0);
                }
            }
            return;
        }
        // Byte or word reads inside the 32-bit register see their lanes of it.
        let Some(lane) = offset.checked_sub(PM_TIMER_OFFSET) else {
            return;
        };
        if lane >= 4 {
            return;
        }
        let v = self.counter().to_le_bytes();
        for (i, b) in data.iter_mut().enumerate() {
            if let Some(&x) = v.get(lane as usize + i) {
                *b = x;
            }
        }
    }

    /// PM1 status bits are write-1-to-clear; enable and control store what is written. The
    /// timer is read-only. Only aligned 16-bit (or wider, taking the low half) writes count.
    fn write(&mut self, offset: u64, data: &[u8]) {
        if data.len() < 2 || !offset.is_multiple_of(2) {
            return;
        }
        let v = u16::from_le_bytes([data[0], data[1]]);
        match offset {
            PM1_STS => {
                if v & self.pm1_sts & PWRBTN != 0 {
                    self.pwrbtn_taken.store(true, Ordering::SeqCst);
                }
                self.pm1_sts &= !v;
                self.update_sci();
            }
            PM1_EN => {
                self.pm1_en = v;
                self.update_sci();
            }
            PM1_CNT => {
                self.pm1_cnt = v & !SLP_EN;
                let sleep_type = (v >> SLP_TYP_SHIFT) & 7;
                let off = sleep_type == S5_SLEEP_TYPE || sleep_type == PIIX4_SOFT_OFF_TYPE;
                if v & SLP_EN != 0 && off {
                    if let Some(exit) = &self.exit {
                        exit.send(ExitReason::PowerOff);
                    }
                }
            }
            _ => {}
        }
    }
}

/// The timer in a snapshot: its value when saved, so the guest sees it continue rather than
/// jump by however long the VM was stopped or the host's clock differs.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AcpiPmTimerState {
    pub counter: u32,
    pub pm1_sts: u16,
    pub pm1_en: u16,
    pub pm1_cnt: u16,
}

impl Persist for AcpiPmTimer {
    type State = AcpiPmTimerState;
    type Args = ();

    fn save(&self) -> Result<AcpiPmTimerState, String> {
        Ok(AcpiPmTimerState {
            counter: self.counter(),
            pm1_sts: self.pm1_sts,
            pm1_en: self.pm1_en,
            pm1_cnt: self.pm1_cnt,
        })
    }

    fn restore(&mut self, s: &AcpiPmTimerState, _: ()) -> Result<(), String> {
        self.start = Instant::now();
        self.offset = s.counter & COUNTER_MASK;
        self.pm1_sts = s.pm1_sts;
        self.pm1_en = s.pm1_en;
        self.pm1_cnt = s.pm1_cnt & !SLP_EN;
        self.update_sci();
        Ok(())
    }
}
