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
    /// What the inspector calls it (`"serial COM1"`, `"virtio-blk 0"`); shared, so the exit
    /// log keeps it without copying the text.
    name: Arc<str>,
    /// Accesses dispatched to it: one relaxed add per exit, for the inspector.
    exits: AtomicU64,
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
    name: Arc<str>,
    exits: AtomicU64,
}

/// A bus look-up's answer: the device, the offset into it, its name and its exit counter.
type Found<'a> = (
    &'a Arc<Mutex<dyn BusDevice>>,
    u64,
    &'a Arc<str>,
    &'a AtomicU64,
);

/// One range of a bus as the inspector lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusEntry {
    pub name: String,
    /// `None`: a guest-placed window the guest has not mapped (yet).
    pub base: Option<u64>,
    pub len: u64,
    /// Whether the guest places it (a PCI BAR, the PIIX4's PM block).
    pub movable: bool,
    pub exits: u64,
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
    /// Adds a device named `name` (for the inspector); panics on overlap because that is a bug
    /// in the machine model, not input.
    pub fn insert(
        &mut self,
        name: impl Into<Arc<str>>,
        base: u64,
        len: u64,
        dev: Arc<Mutex<dyn BusDevice>>,
    ) {
        for r in &self.ranges {
            assert!(
                base + len <= r.base || base >= r.base + r.len,
                "bus range {base:#x}+{len:#x} overlaps {:#x}+{:#x}",
                r.base,
                r.len
            );
        }
        self.ranges.push(Range {
            base,
            len,
            dev,
            name: name.into(),
            exits: AtomicU64::new(0),
        });
    }

    /// Adds a device whose place the guest decides, through `window` (shared with whoever
    /// moves it).
    pub fn insert_movable(
        &mut self,
        name: impl Into<Arc<str>>,
        window: Arc<IoWindow>,
        dev: Arc<Mutex<dyn BusDevice>>,
    ) {
        self.movable.push(MovableRange {
            window,
            dev,
            name: name.into(),
            exits: AtomicU64::new(0),
        });
    }

    /// The device at `addr`, the offset into it, its name and its exit counter.
    fn find(&self, addr: u64) -> Option<Found<'_>> {
        if let Some(r) = self
            .ranges
            .iter()
            .find(|r| addr >= r.base && addr - r.base < r.len)
        {
            return Some((&r.dev, addr - r.base, &r.name, &r.exits));
        }
        self.movable.iter().find_map(|m| {
            let base = m.window.base()?;
            (addr >= base && addr - base < m.window.len())
                .then(|| (&m.dev, addr - base, &m.name, &m.exits))
        })
    }

    /// Returns false when no device claims the address (the read then yields all-ones, like an
    /// empty bus).
    pub fn read(&self, addr: u64, data: &mut [u8]) -> bool {
        self.read_named(addr, data).is_some()
    }

    pub fn write(&self, addr: u64, data: &[u8]) -> bool {
        self.write_named(addr, data).is_some()
    }

    /// `read`, returning the name of the device that answered.
    pub fn read_named(&self, addr: u64, data: &mut [u8]) -> Option<&Arc<str>> {
        match self.find(addr) {
            Some((dev, off, name, exits)) => {
                exits.fetch_add(1, Ordering::Relaxed);
                lock(dev).read(off, data);
                Some(name)
            }
            None => {
                data.fill(0xff);
                None
            }
        }
    }

    /// `write`, returning the name of the device that took it.
    pub fn write_named(&self, addr: u64, data: &[u8]) -> Option<&Arc<str>> {
        let (dev, off, name, exits) = self.find(addr)?;
        exits.fetch_add(1, Ordering::Relaxed);
        lock(dev).write(off, data);
        Some(name)
    }

    /// Every range, fixed ones first, with the exits each has taken.
    pub fn entries(&self) -> Vec<BusEntry> {
        let fixed = self.ranges.iter().map(|r| BusEntry {
            name: r.name.to_string(),
            base: Some(r.base),
            len: r.len,
            movable: false,
            exits: r.exits.load(Ordering::Relaxed),
        });
        let movable = self.movable.iter().map(|m| BusEntry {
            name: m.name.to_string(),
            base: m.window.base(),
            len: m.window.len(),
            movable: true,
            exits: m.exits.load(Ordering::Relaxed),
        });
        fixed.chain(movable).collect()
    }
}
