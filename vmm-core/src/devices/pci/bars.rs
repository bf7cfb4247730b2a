//! Where a function's base address registers put its register blocks. A device declares its
//! BARs through `BarWindows::declare`, registers each window on the port-I/O or MMIO bus
//! (`register`), and calls `update` after every config write (and after a restore): the
//! windows then follow the addresses the guest programmed and the command register's decode
//! enables, so a guest that moves or disables a BAR moves or unmaps the device with it.
//!
//! Memory BARs backed by guest memory (a framebuffer) are the device's own business: it reads
//! `PciConfig::bar_address` and moves its memslot itself.

use super::{Bar, PciConfig, COMMAND};
use crate::devices::{Bus, BusDevice, IoWindow};
use std::sync::{Arc, Mutex};

/// Command register decode enables.
pub const COMMAND_IO: u16 = 1 << 0;
pub const COMMAND_MEMORY: u16 = 1 << 1;
pub const COMMAND_BUS_MASTER: u16 = 1 << 2;
pub const COMMAND_INTX_DISABLE: u16 = 1 << 10;

/// The address spaces a BAR decodes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarSpace {
    Io,
    Memory,
}

struct Declared {
    index: usize,
    space: BarSpace,
    size: u64,
    window: Arc<IoWindow>,
}

/// The BARs of one function that the buses route by.
#[derive(Default)]
pub struct BarWindows {
    bars: Vec<Declared>,
}

impl BarWindows {
    pub fn new() -> Self {
        Self::default()
    }

    /// Declares BAR `index` in `config` and makes its (unmapped) window. Errors on a slot the
    /// config refuses or declared twice: a machine-model bug the builder reports.
    pub fn declare(
        &mut self,
        config: &mut PciConfig,
        index: usize,
        bar: Bar,
    ) -> Result<Arc<IoWindow>, String> {
        if self.bars.iter().any(|b| b.index == index) {
            return Err(format!("BAR {index} declared twice"));
        }
        if !config.declare_bar(index, bar) {
            return Err(format!("BAR {index} ({bar:?}) does not fit the header"));
        }
        let (space, size) = match bar {
            Bar::Io { size } => (
                BarSpace::Io,
                u64::from(size.clamp(4, 1 << 16)).next_power_of_two(),
            ),
            Bar::Mem32 { size, .. } => (
                BarSpace::Memory,
                u64::from(size.clamp(16, 1 << 31)).next_power_of_two(),
            ),
            Bar::Mem64 { size, .. } => (
                BarSpace::Memory,
                size.clamp(16, 1 << 63).next_power_of_two(),
            ),
        };
        let window = Arc::new(IoWindow::new(size));
        self.bars.push(Declared {
            index,
            space,
            size,
            window: window.clone(),
        });
        Ok(window)
    }

    /// Puts every declared window on the bus of its space, all served by `dev` (which sees
    /// offsets within the BAR; a device with several BARs tells them apart by giving each its
    /// own `BusDevice`, see `register_one`).
    pub fn register_one(
        &self,
        index: usize,
        name: &str,
        pio: &mut Bus,
        mmio: &mut Bus,
        dev: Arc<Mutex<dyn BusDevice>>,
    ) -> Result<(), String> {
        let b = self
            .bars
            .iter()
            .find(|b| b.index == index)
            .ok_or_else(|| format!("BAR {index} is not declared"))?;
        match b.space {
            BarSpace::Io => pio.insert_movable(name, b.window.clone(), dev),
            BarSpace::Memory => mmio.insert_movable(name, b.window.clone(), dev),
        }
        Ok(())
    }

    /// Maps each window where the guest put its BAR, if the command register enables its
    /// space and the address is usable; unmaps it otherwise. A BAR at 0, one reaching past
    /// the end of its space (I/O above 64 KiB, or the all-ones of a size probe left behind)
    /// stays unmapped: a guest cannot make a device answer where it does not fit.
    pub fn update(&self, config: &PciConfig) {
        let command = config.u16_at(COMMAND);
        for b in &self.bars {
            let enabled = match b.space {
                BarSpace::Io => command & COMMAND_IO != 0,
                BarSpace::Memory => command & COMMAND_MEMORY != 0,
            };
            let limit: u64 = match b.space {
                BarSpace::Io => 1 << 16,
                BarSpace::Memory => 1 << 52,
            };
            let place = config.bar_address(b.index).filter(|&a| {
                enabled && a != 0 && a.checked_add(b.size).is_some_and(|end| end <= limit)
            });
            b.window.set(place);
        }
    }

    /// Where BAR `index` is mapped now.
    pub fn mapped(&self, index: usize) -> Option<u64> {
        self.bars
            .iter()
            .find(|b| b.index == index)
            .and_then(|b| b.window.base())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::pci::{PciId, BAR0};

    fn config() -> PciConfig {
        PciConfig::new(PciId {
            vendor: 0x1234,
            device: 0x5678,
            revision: 0,
            class: [0xff, 0, 0],
            header_type: 0,
            interrupt_pin: 1,
        })
    }

    #[test]
    fn windows_follow_the_bars_and_the_decode_enables() {
        let mut c = config();
        let mut bars = BarWindows::new();
        let io = bars.declare(&mut c, 0, Bar::Io { size: 32 }).unwrap();
        let mem = bars
            .declare(
                &mut c,
                1,
                Bar::Mem64 {
                    size: 0x4000,
                    prefetchable: false,
                },
            )
            .unwrap();
        assert!(bars.declare(&mut c, 1, Bar::Io { size: 4 }).is_err());
        c.write(BAR0, &0xc040u32.to_le_bytes());
        c.write(BAR0 + 4, &0xfe00_4000u32.to_le_bytes());
        c.write(BAR0 + 8, &0u32.to_le_bytes());
        bars.update(&c);
        // Programmed but not enabled: nothing answers yet.
        assert_eq!((io.base(), mem.base()), (None, None));
        c.write(COMMAND, &(COMMAND_IO | COMMAND_MEMORY).to_le_bytes());
        bars.update(&c);
        assert_eq!((io.base(), mem.base()), (Some(0xc040), Some(0xfe00_4000)));
        assert_eq!(bars.mapped(1), Some(0xfe00_4000));
        // Memory decode off: the memory BAR goes, the I/O one stays.
        c.write(COMMAND, &COMMAND_IO.to_le_bytes());
        bars.update(&c);
        assert_eq!((io.base(), mem.base()), (Some(0xc040), None));
        // A size probe left behind (all-ones) does not fit the I/O space: unmapped.
        c.write(BAR0, &u32::MAX.to_le_bytes());
        bars.update(&c);
        assert_eq!(io.base(), None);
        assert_eq!(c.u32_at(BAR0), 0xffff_ffe1, "the probe reads the size back");
    }
}
