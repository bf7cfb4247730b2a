//! The PIIX4 PM I/O block's ACPI PM timer: a free-running 24-bit counter at 3.579545 MHz,
//! read at +8. Firmware calibrates its delays on it (SeaBIOS `pmtimer_setup`, OVMF's
//! AcpiTimerLib). The block sits wherever the guest programs the PIIX4's PM base; the machine
//! registers this device on the `IoWindow` the `Piix4Pm` function moves.

use crate::devices::{BusDevice, Persist};
use std::time::{Duration, Instant};

/// The timer's rate in Hz.
pub const PM_TIMER_HZ: u128 = 3_579_545;
/// Offset of PM_TMR in the PM I/O block.
pub const PM_TIMER_OFFSET: u64 = 8;
const COUNTER_MASK: u32 = 0x00ff_ffff;

/// The PM I/O block as far as it is modelled: the timer at +8; the other registers (PM1
/// event/control, GPE) read 0 and ignore writes.
pub struct AcpiPmTimer {
    start: Instant,
    /// Added to the ticks since `start`, so a restored timer continues from its saved value.
    offset: u32,
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

    /// The timer is read-only; the other registers are not modelled.
    fn write(&mut self, _offset: u64, _data: &[u8]) {}
}

/// The timer in a snapshot: its value when saved, so the guest sees it continue rather than
/// jump by however long the VM was stopped or the host's clock differs.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AcpiPmTimerState {
    pub counter: u32,
}

impl Persist for AcpiPmTimer {
    type State = AcpiPmTimerState;
    type Args = ();

    fn save(&self) -> Result<AcpiPmTimerState, String> {
        Ok(AcpiPmTimerState {
            counter: self.counter(),
        })
    }

    fn restore(&mut self, s: &AcpiPmTimerState, _: ()) -> Result<(), String> {
        self.start = Instant::now();
        self.offset = s.counter & COUNTER_MASK;
        Ok(())
    }
}
