//! The serial pump: a thread that sends what no later guest access would, the tail of a line
//! (a shell prompt) and the last transmit writes KVM queued.
//!
//! While the guest uses the UART the pump looks every [`BATCH`]; after [`QUIET_ROUNDS`] empty
//! looks it goes idle and waits for the device's next access to [`Pump::kick`] it, looking
//! every [`IDLE_POLL`] meanwhile in case a guest writes without ever reading again.

use super::SerialDevice;
use crate::util::lock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, Weak};
use std::time::Duration;

/// How long output may wait while the guest is busy with the UART.
pub const BATCH: Duration = Duration::from_millis(5);
/// Empty looks before the pump goes idle (~100 ms of quiet).
pub const QUIET_ROUNDS: u32 = 20;
/// How often an idle pump still looks.
pub const IDLE_POLL: Duration = Duration::from_millis(250);

/// The pump's two waits: [`BATCH`] and [`IDLE_POLL`], except in debug builds with
/// `VMDESK_TEST_SERIAL_PUMP_MS` set, which stretches both, so that an e2e test can see what
/// would otherwise wait for the pump.
fn waits() -> (Duration, Duration) {
    static WAITS: std::sync::OnceLock<(Duration, Duration)> = std::sync::OnceLock::new();
    *WAITS.get_or_init(|| {
        #[cfg(debug_assertions)]
        if let Some(ms) = std::env::var("VMDESK_TEST_SERIAL_PUMP_MS")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            let d = Duration::from_millis(ms);
            return (d, d);
        }
        (BATCH, IDLE_POLL)
    })
}

#[derive(Default)]
pub struct Pump {
    /// The pump will look within [`BATCH`]: the device need not wake it.
    armed: AtomicBool,
    kicked: Mutex<bool>,
    cv: Condvar,
}

impl Pump {
    /// The device was used: make sure the pump looks soon. One atomic load while it is armed.
    pub fn kick(&self) {
        if self.armed.load(Ordering::SeqCst) {
            return;
        }
        self.armed.store(true, Ordering::SeqCst);
        *lock(&self.kicked) = true;
        self.cv.notify_one();
    }

    /// Waits for a kick, at most `timeout`.
    fn wait(&self, timeout: Duration) {
        let mut k = lock(&self.kicked);
        if !*k {
            k = self
                .cv
                .wait_timeout(k, timeout)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        *k = false;
    }

    /// One pass of the pump's loop over `dev`: `quiet` counts the empty looks in a row.
    /// Returns false once the device is gone.
    pub fn run_once(&self, dev: &Weak<Mutex<SerialDevice>>, quiet: &mut u32) -> bool {
        let (batch, idle_poll) = waits();
        if self.armed.load(Ordering::SeqCst) {
            std::thread::sleep(batch);
        } else {
            self.wait(idle_poll);
        }
        let Some(dev) = dev.upgrade() else {
            return false;
        };
        if lock(&dev).sync() {
            *quiet = 0;
            self.armed.store(true, Ordering::SeqCst);
            return true;
        }
        *quiet += 1;
        if *quiet >= QUIET_ROUNDS && self.armed.load(Ordering::SeqCst) {
            self.armed.store(false, Ordering::SeqCst);
            // An access between our look and going idle saw `armed` set and did not kick:
            // look once more now that it would.
            if lock(&dev).sync() {
                *quiet = 0;
                self.armed.store(true, Ordering::SeqCst);
            }
        }
        true
    }

    #[cfg(test)]
    fn is_armed(&self) -> bool {
        self.armed.load(Ordering::SeqCst)
    }
}

/// Starts the pump of `dev`; it ends when the device is dropped.
pub fn spawn_pump(dev: &std::sync::Arc<Mutex<SerialDevice>>) {
    let pump = lock(dev).pump();
    let weak = std::sync::Arc::downgrade(dev);
    let r = std::thread::Builder::new()
        .name("serial-pump".into())
        .spawn(move || {
            crate::sandbox::confine(crate::sandbox::ThreadKind::SerialPump);
            let mut quiet = 0;
            while pump.run_once(&weak, &mut quiet) {}
        });
    if let Err(e) = r {
        crate::log_line!("vmdesk-vmm: serial: no pump thread ({e}); output waits for newlines");
    }
}

#[cfg(test)]
mod tests {
    use super::super::ring::Coalescer;
    use super::super::{SerialDevice, SerialOutput};
    use super::*;
    use crate::devices::BusDevice;
    use std::collections::VecDeque;
    use std::sync::Arc;
    use vmm_sys_util::eventfd::EventFd;

    /// A queue standing in for KVM's ring; `log` records what the device asked of it.
    #[derive(Clone, Default)]
    struct FakeRing {
        queued: Arc<Mutex<VecDeque<u8>>>,
        on: Arc<Mutex<Vec<bool>>>,
    }

    impl Coalescer for FakeRing {
        fn pop(&mut self) -> Option<u8> {
            lock(&self.queued).pop_front()
        }
        fn set_queueing(&mut self, on: bool) -> std::io::Result<()> {
            let mut v = lock(&self.on);
            if v.last() != Some(&on) {
                v.push(on);
            }
            Ok(())
        }
    }

    type Hub = crate::hub::Hub<Vec<u8>>;

    fn device() -> (Arc<Mutex<SerialDevice>>, Arc<Hub>, FakeRing) {
        let hub = Arc::new(crate::hub::Hub::new(64));
        let out = SerialOutput::new(None, hub.clone(), false);
        let mut dev = SerialDevice::new(EventFd::new(libc::EFD_NONBLOCK).unwrap(), out);
        let ring = FakeRing::default();
        dev.set_coalescer(Box::new(ring.clone()));
        (Arc::new(Mutex::new(dev)), hub, ring)
    }

    fn received(rx: &std::sync::mpsc::Receiver<Vec<u8>>) -> Vec<u8> {
        rx.try_iter().flatten().collect()
    }

    /// Queued writes come out before the access that follows them, a line at a time; the tail
    /// of a line waits for the pump, which then goes idle.
    #[test]
    fn queued_writes_keep_their_order_and_the_pump_sends_the_tail() {
        let (dev, hub, ring) = device();
        let rx = hub.subscribe();
        // Polling guest (IER 0): queueing is on from the start.
        assert_eq!(*lock(&ring.on), vec![true]);
        lock(&ring.queued).extend(b"ok\nlog");
        let mut lsr = [0u8];
        lock(&dev).read(5, &mut lsr);
        assert_eq!(received(&rx), b"ok\n", "the line went out at its newline");
        lock(&ring.queued).extend(b"in: ");
        // The device's access kicked the pump: its next look sends the rest.
        let pump = lock(&dev).pump();
        assert!(pump.is_armed());
        let weak = Arc::downgrade(&dev);
        let mut quiet = 0;
        assert!(pump.run_once(&weak, &mut quiet));
        assert_eq!(received(&rx), b"login: ");
        // Quiet from here: after QUIET_ROUNDS empty looks the pump is idle, and a new access
        // arms it again.
        for _ in 0..QUIET_ROUNDS {
            assert!(pump.run_once(&weak, &mut quiet));
        }
        assert!(!pump.is_armed());
        lock(&dev).read(5, &mut lsr);
        assert!(pump.is_armed());
        drop(dev);
        assert!(
            !pump.run_once(&weak, &mut quiet),
            "the pump ends with its device"
        );
    }

    /// The transmit interrupt and loopback mode turn queueing off (after draining), turning
    /// them off again turns it back on; the divisor latch replays through the UART.
    #[test]
    fn queueing_follows_the_transmit_interrupt_and_loopback() {
        let (dev, hub, ring) = device();
        let rx = hub.subscribe();
        lock(&ring.queued).extend(b"a");
        lock(&dev).write(1, &[IER_THRI_TEST]);
        assert_eq!(*lock(&ring.on), vec![true, false]);
        lock(&dev).write(1, &[0x01]);
        assert_eq!(*lock(&ring.on), vec![true, false, true]);
        lock(&dev).write(4, &[0x10]);
        assert_eq!(*lock(&ring.on), vec![true, false, true, false]);
        lock(&dev).write(4, &[0x00]);
        assert_eq!(*lock(&ring.on), vec![true, false, true, false, true]);
        lock(&dev).sync();
        assert_eq!(
            received(&rx),
            b"a",
            "the write queued before IER changed was sent"
        );
        // DLAB set: a queued write to offset 0 is the divisor's low byte, not output.
        lock(&dev).write(3, &[0x80]);
        lock(&ring.queued).push_back(0x0c);
        lock(&dev).write(3, &[0x03]);
        lock(&dev).sync();
        assert_eq!(received(&rx), b"");
        assert_eq!(lock(&dev).uart.state().baud_divisor_low, 0x0c);
    }

    const IER_THRI_TEST: u8 = super::super::IER_THRI;
}
