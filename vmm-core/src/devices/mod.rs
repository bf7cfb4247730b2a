//! Emulated devices and the buses (port I/O, MMIO) the vCPU threads dispatch to.
//!
//! Each device owns its state behind a `Mutex`; a vCPU thread locks only the device it touches,
//! so devices never block each other. Anything a guest writes is accepted: unknown offsets are
//! ignored, never a panic.

pub mod fw_cfg;
pub mod legacy;
pub mod serial;
pub mod virtio;

use crate::util::lock;
use serde::{de::DeserializeOwned, Serialize};
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

/// Address ranges → devices. Built once before the vCPUs start, then shared read-only; used
/// for both the port-I/O space and the MMIO space.
#[derive(Default)]
pub struct Bus {
    ranges: Vec<Range>,
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

    fn find(&self, addr: u64) -> Option<(&Range, u64)> {
        self.ranges
            .iter()
            .find(|r| addr >= r.base && addr - r.base < r.len)
            .map(|r| (r, addr - r.base))
    }

    /// Returns false when no device claims the address (the read then yields all-ones, like an
    /// empty bus).
    pub fn read(&self, addr: u64, data: &mut [u8]) -> bool {
        match self.find(addr) {
            Some((r, off)) => {
                lock(&r.dev).read(off, data);
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
            Some((r, off)) => {
                lock(&r.dev).write(off, data);
                true
            }
            None => false,
        }
    }
}
