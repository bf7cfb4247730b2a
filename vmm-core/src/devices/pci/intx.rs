//! Legacy PCI interrupts (INTx) on the i440FX PC. A function's pin goes to one of the PIIX3's
//! four PIRQ lines (the swizzle QEMU and SeaBIOS share: `(slot - 1 + pin) & 3`); each PIRQ
//! drives two interrupt controller inputs at once:
//! - the ISA IRQ the PIIX3 routing register names (0x60–0x63), which is what firmware and a
//!   guest in PIC mode program and use;
//! - IOAPIC input 16 + PIRQ, which the DSDT's `_PRT` gives an ACPI guest (Linux, Windows), so
//!   it needs no link devices to evaluate.
//!
//! A guest uses one of the two and masks the other. Lines are level-triggered and shared: a
//! line is high while any function on it asserts.

use std::sync::{Arc, Mutex};

/// Something that sets the level of a GSI: KVM's in-kernel irqchip, or a recorder in tests.
pub trait IrqLevels: Send + Sync {
    fn set_level(&self, gsi: u32, high: bool);
}

impl IrqLevels for kvm_ioctls::VmFd {
    fn set_level(&self, gsi: u32, high: bool) {
        // Fails only on a GSI the irqchip lacks, which the machine never names.
        let _ = self.set_irq_line(gsi, high);
    }
}

pub use crate::arch::layout::{pirq_of, PIRQ_GSI_BASE};

#[derive(Default)]
struct RouterState {
    /// The PIIX3's routing registers: the ISA IRQ of each PIRQ, `None` = disabled.
    routes: [Option<u8>; 4],
    /// Per PIRQ, a bit per source (pin) that asserts it.
    asserted: [u64; 4],
    sources: u32,
    /// The levels driven so far, by GSI (0..24), so only changes reach the irqchip.
    driven: [bool; 24],
}

pub struct IntxRouter {
    sink: Arc<dyn IrqLevels>,
    state: Mutex<RouterState>,
}

impl IntxRouter {
    pub fn new(sink: Arc<dyn IrqLevels>) -> Arc<Self> {
        Arc::new(IntxRouter {
            sink,
            state: Mutex::new(RouterState::default()),
        })
    }

    /// The line of interrupt pin `pin` (1..=4) of the function in `slot`. At most 64 pins per
    /// router; more is a machine-model bug the builder reports.
    pub fn pin(self: &Arc<Self>, slot: u8, pin: u8) -> Result<IntxPin, String> {
        if !(1..=4).contains(&pin) {
            return Err(format!("no INTx pin {pin}"));
        }
        let mut s = crate::util::lock(&self.state);
        if s.sources >= 64 {
            return Err("more than 64 PCI interrupt pins".into());
        }
        let bit = 1u64 << s.sources;
        s.sources += 1;
        Ok(IntxPin {
            router: self.clone(),
            pirq: pirq_of(slot, pin),
            bit,
        })
    }

    /// The PIIX3's routing registers changed: lines asserted now follow the new routes.
    pub fn set_routes(&self, routes: [Option<u8>; 4]) {
        let mut s = crate::util::lock(&self.state);
        s.routes = routes;
        self.drive(&mut s);
    }

    fn drive(&self, s: &mut RouterState) {
        let mut want = [false; 24];
        for pirq in 0..4 {
            if s.asserted[pirq] == 0 {
                continue;
            }
            want[PIRQ_GSI_BASE as usize + pirq] = true;
            // IRQs 0–2 and 8 are the timer, keyboard, cascade and RTC: a route there is
            // refused by the PIIX, as QEMU does.
            if let Some(irq) = s.routes[pirq].filter(|&i| !matches!(i, 0..=2 | 8 | 13)) {
                want[usize::from(irq)] = true;
            }
        }
        for (gsi, (&w, d)) in want.iter().zip(s.driven.iter_mut()).enumerate() {
            if w != *d {
                *d = w;
                self.sink.set_level(gsi as u32, w);
            }
        }
    }

    fn set(&self, pirq: usize, bit: u64, high: bool) {
        let mut s = crate::util::lock(&self.state);
        let before = s.asserted[pirq];
        if high {
            s.asserted[pirq] |= bit;
        } else {
            s.asserted[pirq] &= !bit;
        }
        if (before == 0) != (s.asserted[pirq] == 0) {
            self.drive(&mut s);
        }
    }
}

/// One function's interrupt pin. Not part of snapshots: a device re-asserts its level after a
/// restore from its own state.
pub struct IntxPin {
    router: Arc<IntxRouter>,
    pirq: usize,
    bit: u64,
}

impl IntxPin {
    pub fn set(&self, high: bool) {
        self.router.set(self.pirq, self.bit, high);
    }

    /// The PIRQ (0 = A) this pin is wired to.
    pub fn pirq(&self) -> usize {
        self.pirq
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Recorder(Mutex<Vec<(u32, bool)>>);
    impl IrqLevels for Recorder {
        fn set_level(&self, gsi: u32, high: bool) {
            self.0.lock().unwrap().push((gsi, high));
        }
    }

    #[test]
    fn swizzle_matches_qemu_and_seabios() {
        // Slot 1 INTA is PIRQA; each slot shifts by one; each pin too.
        assert_eq!(pirq_of(1, 1), 0);
        assert_eq!(pirq_of(2, 1), 1);
        assert_eq!(pirq_of(3, 1), 2);
        assert_eq!(pirq_of(4, 2), 0);
        assert_eq!(pirq_of(0, 1), 3);
    }

    #[test]
    fn a_shared_line_stays_high_until_every_source_drops_and_follows_routes() {
        let rec = Arc::new(Recorder::default());
        let router = IntxRouter::new(rec.clone());
        router.set_routes([Some(10), Some(10), Some(11), Some(11)]);
        // Slot 2 INTA and slot 3 INTD share PIRQB.
        let a = router.pin(2, 1).unwrap();
        let b = router.pin(3, 4).unwrap();
        assert_eq!((a.pirq(), b.pirq()), (1, 1));
        a.set(true);
        b.set(true);
        a.set(false);
        assert_eq!(*rec.0.lock().unwrap(), vec![(10, true), (17, true)]);
        b.set(false);
        assert_eq!(rec.0.lock().unwrap()[2..], [(10, false), (17, false)]);
        // Rerouting while asserted moves the ISA line; the IOAPIC input stays.
        rec.0.lock().unwrap().clear();
        a.set(true);
        router.set_routes([Some(10), Some(5), Some(11), Some(11)]);
        assert_eq!(
            *rec.0.lock().unwrap(),
            vec![(10, true), (17, true), (5, true), (10, false)]
        );
        // A disabled route or one onto the timer's IRQ drives only the IOAPIC input.
        rec.0.lock().unwrap().clear();
        router.set_routes([None, Some(0), None, None]);
        assert_eq!(*rec.0.lock().unwrap(), vec![(5, false)]);
    }

    #[test]
    fn bad_pins_are_refused() {
        let router = IntxRouter::new(Arc::new(Recorder::default()));
        assert!(router.pin(3, 0).is_err());
        assert!(router.pin(3, 5).is_err());
    }
}
