//! Emulated devices and the buses (port I/O, MMIO) the vCPU threads dispatch to.
//!
//! Each device owns its state behind a `Mutex`; a vCPU thread locks only the device it touches,
//! so devices never block each other. Anything a guest writes is accepted: unknown offsets are
//! ignored, never a panic.

pub mod ahci;
pub mod cmos;
pub mod debugcon;
pub mod fw_cfg;
pub mod i8042;
pub mod legacy;
pub mod pci;
pub mod pflash;
pub mod serial;
pub mod vga;
pub mod virtio;

use crate::util::lock;
use serde::{de::DeserializeOwned, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A device whose state a snapshot keeps, after Firecracker's `Persist`, but restoring in
/// place: the device is already built on its backends (disk, passt, eventfds) and only its
/// state comes from the snapshot. `State` is a named struct next to the device.
pub trait Persist {
    type State: Serialize + DeserializeOwned;
    /// What a restore needs besides the state (for virtio devices: guest memory and interrupt).
    type Args;
    /// Taken while the VM is paused.
    fn save(&self) -> Result<Self::State, String>;
    fn restore(&mut self, state: &Self::State, args: Self::Args) -> Result<(), String>;
}

/// A device on a bus (port I/O or MMIO). `offset` is relative to the device's base address.
pub trait BusDevice: Send {
    fn read(&mut self, offset: u64, data: &mut [u8]);
    fn write(&mut self, offset: u64, data: &[u8]);
}

struct Range {
    base: u64,
    len: u64,
    dev: Arc<Mutex<dyn BusDevice>>,
}

/// Where a guest-placed range currently sits: a device's register block whose base the guest
/// programs (the PIIX4's PM I/O block through its PCI config space; later, PCI BARs). The owner moves it, the bus
/// consults it on each access; one atomic word, so a vCPU never sees half a move.
#[derive(Debug)]
pub struct IoWindow {
    len: u64,
    /// Bit 63 set = mapped; the low bits are the base.
    state: AtomicU64,
}

const WINDOW_MAPPED: u64 = 1 << 63;

impl IoWindow {
    /// An unmapped window of `len` bytes.
    pub fn new(len: u64) -> Self {
        IoWindow {
            len,
            state: AtomicU64::new(0),
        }
    }

    /// Maps the window at `base` (below 2^63), or unmaps it with `None`.
    pub fn set(&self, base: Option<u64>) {
        let v = base.map_or(0, |b| WINDOW_MAPPED | (b & !WINDOW_MAPPED));
        self.state.store(v, Ordering::Release);
    }

    /// The current base, if mapped.
    pub fn base(&self) -> Option<u64> {
        let v = self.state.load(Ordering::Acquire);
        (v & WINDOW_MAPPED != 0).then_some(v & !WINDOW_MAPPED)
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

struct MovableRange {
    window: Arc<IoWindow>,
    dev: Arc<Mutex<dyn BusDevice>>,
}

/// Address ranges → devices. Built once before the vCPUs start, then shared read-only; used
/// for both the port-I/O space and the MMIO space. Fixed ranges win over movable windows, so a
/// guest cannot hide a fixed device by placing a window over it.
#[derive(Default)]
pub struct Bus {
    ranges: Vec<Range>,
    movable: Vec<MovableRange>,
}

impl Bus {
    /// Adds a device; panics on overlap because that is a bug in the machine model, not input.
    pub fn insert(&mut self, base: u64, len: u64, dev: Arc<Mutex<dyn BusDevice>>) {
        for r in &self.ranges {
            assert!(
                base + len <= r.base || base >= r.base + r.len,
                "bus range {base:#x}+{len:#x} overlaps {:#x}+{:#x}",
                r.base,
                r.len
            );
        }
        self.ranges.push(Range { base, len, dev });
    }

    /// Adds a device whose place the guest decides, through `window` (shared with whoever
    /// moves it).
    pub fn insert_movable(&mut self, window: Arc<IoWindow>, dev: Arc<Mutex<dyn BusDevice>>) {
        self.movable.push(MovableRange { window, dev });
    }

    fn find(&self, addr: u64) -> Option<(&Arc<Mutex<dyn BusDevice>>, u64)> {
        if let Some(r) = self
            .ranges
            .iter()
            .find(|r| addr >= r.base && addr - r.base < r.len)
        {
            return Some((&r.dev, addr - r.base));
        }
        self.movable.iter().find_map(|m| {
            let base = m.window.base()?;
            (addr >= base && addr - base < m.window.len()).then(|| (&m.dev, addr - base))
        })
    }

    /// Returns false when no device claims the address (the read then yields all-ones, like an
    /// empty bus).
    pub fn read(&self, addr: u64, data: &mut [u8]) -> bool {
        match self.find(addr) {
            Some((dev, off)) => {
                lock(dev).read(off, data);
                true
            }
            None => {
                data.fill(0xff);
                false
            }
        }
    }

    pub fn write(&self, addr: u64, data: &[u8]) -> bool {
        match self.find(addr) {
            Some((dev, off)) => {
                lock(dev).write(off, data);
                true
            }
            None => false,
        }
    }
}
