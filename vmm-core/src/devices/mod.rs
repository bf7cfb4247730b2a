//! Emulated devices and the port-I/O bus the vCPU threads dispatch to.
//!
//! Each device owns its state behind a `Mutex`; a vCPU thread locks only the device it touches,
//! so devices never block each other. Anything a guest writes is accepted: unknown offsets are
//! ignored, never a panic.

pub mod legacy;
pub mod serial;

use std::sync::{Arc, Mutex};

/// A device on the port-I/O bus. `offset` is relative to the device's base port.
pub trait PioDevice: Send {
    fn read(&mut self, offset: u16, data: &mut [u8]);
    fn write(&mut self, offset: u16, data: &[u8]);
}

struct Range {
    base: u16,
    len: u16,
    dev: Arc<Mutex<dyn PioDevice>>,
}

/// Port ranges → devices. Built once before the vCPUs start, then shared read-only.
#[derive(Default)]
pub struct PioBus {
    ranges: Vec<Range>,
}

impl PioBus {
    /// Adds a device; panics on overlap because that is a bug in the machine model, not input.
    pub fn insert(&mut self, base: u16, len: u16, dev: Arc<Mutex<dyn PioDevice>>) {
        let end = u32::from(base) + u32::from(len);
        for r in &self.ranges {
            let r_end = u32::from(r.base) + u32::from(r.len);
            assert!(
                end <= u32::from(r.base) || u32::from(base) >= r_end,
                "port range {base:#x}+{len} overlaps {:#x}+{}",
                r.base,
                r.len
            );
        }
        self.ranges.push(Range { base, len, dev });
    }

    fn find(&self, port: u16) -> Option<(&Range, u16)> {
        self.ranges
            .iter()
            .find(|r| port >= r.base && u32::from(port) < u32::from(r.base) + u32::from(r.len))
            .map(|r| (r, port - r.base))
    }

    /// Returns false when no device claims the port (the read then yields all-ones, like an
    /// empty ISA bus).
    pub fn read(&self, port: u16, data: &mut [u8]) -> bool {
        match self.find(port) {
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

    pub fn write(&self, port: u16, data: &[u8]) -> bool {
        match self.find(port) {
            Some((r, off)) => {
                lock(&r.dev).write(off, data);
                true
            }
            None => false,
        }
    }
}

/// Locks a mutex even if another thread panicked while holding it: device state stays usable,
/// and one crashed thread must not take the whole VM down with a second panic.
pub fn lock<T: ?Sized>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
