//! Small PC devices: the i8042 reset line, the ACPI sleep/reset registers, the GED event
//! register, and the POST port.

use super::{BusDevice, Persist};
use crate::arch::acpi::GED_POWER_BUTTON;
use crate::arch::layout::ports;
use crate::exit::{ExitReason, ExitSender};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Just enough of an i8042 for guests to find "no keyboard" quickly and to reset the machine
/// with command 0xFE (pulse the reset line), which is how `reboot=k` reboots.
pub struct I8042 {
    exit: ExitSender,
}

impl I8042 {
    pub fn new(exit: ExitSender) -> Self {
        I8042 { exit }
    }
}

impl BusDevice for I8042 {
    fn read(&mut self, _offset: u64, data: &mut [u8]) {
        // Status 0: output buffer empty, input buffer empty; data 0.
        data.fill(0);
    }

    fn write(&mut self, offset: u64, data: &[u8]) {
        // offset 4 is port 0x64 (base 0x60).
        if offset == u64::from(ports::I8042_CMD - ports::I8042_DATA) && data.first() == Some(&0xfe)
        {
            self.exit.send(ExitReason::Reset("i8042 reset"));
        }
    }
}

/// The hardware-reduced ACPI registers the FADT points at (base `ACPI_SLEEP_CONTROL`):
/// +0 sleep control, +1 sleep status, +2 reset, +3 GED event register.
pub struct AcpiPm {
    exit: ExitSender,
    /// Pending GED events; the guest's `_EVT` reads (and so clears) them.
    ged_pending: u8,
    /// Set when the guest read the GED register: its OS runs an ACPI interpreter that got the
    /// event, so it "listens" to the power button.
    pub ged_acked: Arc<AtomicBool>,
}

impl AcpiPm {
    pub fn new(exit: ExitSender) -> Self {
        AcpiPm {
            exit,
            ged_pending: 0,
            ged_acked: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Latches a power-button press; the caller then pulses the GED interrupt.
    pub fn press_power_button(&mut self) {
        self.ged_pending |= GED_POWER_BUTTON;
        self.ged_acked.store(false, Ordering::SeqCst);
    }
}

/// The ACPI registers in a snapshot: a power-button press the guest has not read yet.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AcpiPmState {
    pub ged_pending: u8,
}

impl Persist for AcpiPm {
    type State = AcpiPmState;
    type Args = ();

    fn save(&self) -> Result<AcpiPmState, String> {
        Ok(AcpiPmState {
            ged_pending: self.ged_pending,
        })
    }

    fn restore(&mut self, s: &AcpiPmState, _: ()) -> Result<(), String> {
        self.ged_pending = s.ged_pending;
        Ok(())
    }
}

const SLP_EN: u8 = 1 << 5;
const SLP_TYP_S5: u8 = 5;

impl BusDevice for AcpiPm {
    fn read(&mut self, offset: u64, data: &mut [u8]) {
        data.fill(0);
        if offset == 3 {
            if let Some(b) = data.first_mut() {
                *b = self.ged_pending;
            }
            self.ged_pending = 0;
            self.ged_acked.store(true, Ordering::SeqCst);
        }
    }

    fn write(&mut self, offset: u64, data: &[u8]) {
        let Some(&v) = data.first() else { return };
        match offset {
            0 if v & SLP_EN != 0 && (v >> 2) & 7 == SLP_TYP_S5 => {
                self.exit.send(ExitReason::PowerOff);
            }
            2 if v == ports::ACPI_RESET_VALUE => self.exit.send(ExitReason::Reset("ACPI reset")),
            _ => {}
        }
    }
}

/// Port 0x80: guests write progress codes or use it as an I/O delay. Swallowed.
pub struct PostPort;

impl BusDevice for PostPort {
    fn read(&mut self, _offset: u64, data: &mut [u8]) {
        data.fill(0);
    }
    fn write(&mut self, _offset: u64, _data: &[u8]) {}
}
