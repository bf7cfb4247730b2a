//! COM1: a 16550 UART from vm-superio. Output goes to the VM's serial log, the API's
//! subscribers and, with `--console`, the terminal.
//!
//! Two things keep a chatty guest cheap: KVM queues the guest's writes to the transmit
//! register while it polls rather than uses the transmit interrupt ([`ring`]), and output goes
//! out a line (or 4 KiB) at a time rather than a byte at a time, the rest within a few
//! milliseconds by the [`pump`] thread.

mod pump;
pub mod ring;

use super::{BusDevice, Persist};
use crate::hub::Hub;
pub use pump::{spawn_pump, Pump};
use ring::Coalescer;
use std::fs::File;
use std::io::{self, Write};
use std::sync::Arc;
use vm_superio::{Serial, Trigger};
use vmm_sys_util::eventfd::EventFd;

/// Output is sent at a newline or once this much is waiting.
const SEND_AT: usize = 4096;
/// IER: transmit-holding-register-empty interrupt enabled.
const IER_THRI: u8 = 0x02;
/// MCR: loopback mode (what is sent comes back as input at once).
const MCR_LOOP: u8 = 0x10;

/// Raises the UART's interrupt through an irqfd registered with KVM.
pub struct IrqTrigger(pub EventFd);

impl Trigger for IrqTrigger {
    type E = io::Error;
    fn trigger(&self) -> io::Result<()> {
        self.0.write(1)
    }
}

/// Where guest output goes.
pub struct SerialOutput {
    pub log: Option<File>,
    pub hub: Arc<Hub<Vec<u8>>>,
    pub console: bool,
    /// Bytes not sent yet (see [`SerialOutput::send`]).
    pending: Vec<u8>,
}

impl SerialOutput {
    pub fn new(log: Option<File>, hub: Arc<Hub<Vec<u8>>>, console: bool) -> Self {
        SerialOutput {
            log,
            hub,
            console,
            pending: Vec::new(),
        }
    }

    /// Writes what is waiting to the log, the terminal and the subscribers; whether there was
    /// anything.
    pub fn send(&mut self) -> bool {
        if self.pending.is_empty() {
            return false;
        }
        let buf = &self.pending;
        // A failing log (disk full) must not stop the guest; drop the log and carry on.
        if let Some(log) = &mut self.log {
            if let Err(e) = log.write_all(buf) {
                crate::log_line!("vmdesk-vmm: serial log: {e}; no more serial output is logged");
                self.log = None;
            }
        }
        if self.console {
            let mut out = io::stdout().lock();
            let _ = out.write_all(buf);
            let _ = out.flush();
        }
        if self.hub.has_subscribers() {
            self.hub.publish(buf.clone());
        }
        self.pending.clear();
        true
    }

    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }
}

impl Write for SerialOutput {
    /// Keeps the bytes; a newline or a full buffer sends them (one write for a whole line,
    /// where the UART gets one byte per exit).
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        if buf.contains(&b'\n') || self.pending.len() >= SEND_AT {
            self.send();
        }
        Ok(buf.len())
    }

    /// The UART flushes after every byte; sending is ours to time (see `write`).
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Most typed-ahead input kept for a guest that is not reading its serial port.
pub const MAX_PENDING_INPUT: usize = 1 << 20;

pub struct SerialDevice {
    pub uart: Serial<IrqTrigger, vm_superio::serial::NoEvents, SerialOutput>,
    /// Input waiting for room in the UART's 64-byte FIFO.
    pending_input: std::collections::VecDeque<u8>,
    /// The transmit register's writes queued by KVM, when it can.
    coalescer: Option<Box<dyn Coalescer>>,
    /// Sends what no later access would (the tail of a line, the last queued writes).
    pump: Arc<Pump>,
}

impl SerialDevice {
    pub fn new(irq: EventFd, out: SerialOutput) -> Self {
        SerialDevice {
            uart: Serial::new(IrqTrigger(irq), out),
            pending_input: Default::default(),
            coalescer: None,
            pump: Arc::default(),
        }
    }

    pub fn pump(&self) -> Arc<Pump> {
        self.pump.clone()
    }

    /// Lets KVM queue the transmit register's writes (see [`ring`]).
    pub fn set_coalescer(&mut self, c: Box<dyn Coalescer>) {
        self.coalescer = Some(c);
        self.update_queueing();
    }

    /// Moves the writes KVM queued into the UART, oldest first; whether there were any.
    fn drain(&mut self) -> bool {
        let Some(c) = self.coalescer.as_mut() else {
            return false;
        };
        let mut any = false;
        while let Some(b) = c.pop() {
            // Offset 0 is the transmit register (the divisor's low byte while DLAB is set:
            // replayed in order, the UART tells the two apart as the guest's writes did).
            let _ = self.uart.write(0, b);
            any = true;
        }
        any
    }

    /// Drains the queue and sends waiting output: what the pump does, and what must happen
    /// before the UART's state is saved or replaced and before the process ends.
    pub fn sync(&mut self) -> bool {
        let drained = self.drain();
        self.uart.writer_mut().send() || drained
    }

    /// Queueing is only right while the guest polls: with the transmit interrupt on it waits
    /// for that interrupt after each burst, and in loopback mode for the byte to come back.
    fn update_queueing(&mut self) {
        let s = self.uart.state();
        let want = s.interrupt_enable & IER_THRI == 0 && s.modem_control & MCR_LOOP == 0;
        let Some(c) = self.coalescer.as_mut() else {
            return;
        };
        if let Err(e) = c.set_queueing(want) {
            crate::log_line!(
                "vmdesk-vmm: serial: KVM coalesced I/O {}: {e}; every write exits from now on",
                if want { "on" } else { "off" }
            );
            let _ = c.set_queueing(false);
            self.drain();
            self.coalescer = None;
            return;
        }
        // Writes the guest made while the zone went away are in the ring.
        if !want {
            self.drain();
        }
    }

    /// Queues bytes typed for the guest; they enter the FIFO as the guest drains it. A guest
    /// that never reads cannot make us buffer without bound: past `MAX_PENDING_INPUT` bytes the
    /// excess is dropped and the count returned.
    pub fn queue_input(&mut self, bytes: &[u8]) -> usize {
        let room = MAX_PENDING_INPUT.saturating_sub(self.pending_input.len());
        let take = bytes.len().min(room);
        self.pending_input.extend(&bytes[..take]);
        self.pump_input();
        bytes.len() - take
    }

    fn pump_input(&mut self) {
        while !self.pending_input.is_empty() {
            let (a, _) = self.pending_input.as_slices();
            match self.uart.enqueue_raw_bytes(a) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    self.pending_input.drain(..n);
                }
            }
        }
    }

    pub fn has_pending_input(&self) -> bool {
        !self.pending_input.is_empty()
    }
}

impl BusDevice for SerialDevice {
    fn read(&mut self, offset: u64, data: &mut [u8]) {
        // The guest's queued writes happened before this read.
        self.drain();
        data.fill(0);
        if let (Some(b), Ok(off)) = (data.first_mut(), u8::try_from(offset)) {
            *b = self.uart.read(off);
        }
        // Reading RBR may have made room for queued input.
        if offset == 0 && self.has_pending_input() {
            self.pump_input();
        }
        self.pump.kick();
    }

    fn write(&mut self, offset: u64, data: &[u8]) {
        self.drain();
        if let (Some(&v), Ok(off)) = (data.first(), u8::try_from(offset)) {
            let _ = self.uart.write(off, v);
        }
        // IER (or, with DLAB, the divisor: harmless) and MCR decide about queueing.
        if offset == 1 || offset == 4 {
            self.update_queueing();
        }
        self.pump.kick();
    }
}

/// The UART's registers in a snapshot (vm-superio's `SerialState` has no serde).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SerialState {
    pub baud_divisor_low: u8,
    pub baud_divisor_high: u8,
    pub interrupt_enable: u8,
    pub interrupt_identification: u8,
    pub line_control: u8,
    pub line_status: u8,
    pub modem_control: u8,
    pub modem_status: u8,
    pub scratch: u8,
    pub in_buffer: Vec<u8>,
    pub pending_input: Vec<u8>,
}

impl Persist for SerialDevice {
    type State = SerialState;
    type Args = ();

    fn save(&self) -> Result<SerialState, String> {
        let s = self.uart.state();
        Ok(SerialState {
            baud_divisor_low: s.baud_divisor_low,
            baud_divisor_high: s.baud_divisor_high,
            interrupt_enable: s.interrupt_enable,
            interrupt_identification: s.interrupt_identification,
            line_control: s.line_control,
            line_status: s.line_status,
            modem_control: s.modem_control,
            modem_status: s.modem_status,
            scratch: s.scratch,
            in_buffer: s.in_buffer.clone(),
            pending_input: self.pending_input.iter().copied().collect(),
        })
    }

    /// Rebuilds the UART from a snapshot, keeping this device's interrupt and output. What
    /// the guest had written before goes out first.
    fn restore(&mut self, s: &SerialState, _: ()) -> Result<(), String> {
        self.sync();
        self.restore_uart(s).map_err(|e| e.to_string())?;
        self.update_queueing();
        Ok(())
    }
}

impl SerialDevice {
    fn restore_uart(&mut self, s: &SerialState) -> io::Result<()> {
        let state = vm_superio::serial::SerialState {
            baud_divisor_low: s.baud_divisor_low,
            baud_divisor_high: s.baud_divisor_high,
            interrupt_enable: s.interrupt_enable,
            interrupt_identification: s.interrupt_identification,
            line_control: s.line_control,
            line_status: s.line_status,
            modem_control: s.modem_control,
            modem_status: s.modem_status,
            scratch: s.scratch,
            in_buffer: s.in_buffer.clone(),
        };
        // Serial::from_state consumes the trigger and writer: swap in placeholders briefly.
        let placeholder = Serial::new(
            IrqTrigger(EventFd::new(0)?),
            SerialOutput::new(None, self.uart.writer().hub.clone(), false),
        );
        let old = std::mem::replace(&mut self.uart, placeholder);
        let trigger = IrqTrigger(old.interrupt_evt().0.try_clone()?);
        let out = old.into_writer();
        self.uart = Serial::from_state(&state, trigger, vm_superio::serial::NoEvents, out)
            .map_err(|e| io::Error::other(format!("serial state: {e:?}")))?;
        self.pending_input = s.pending_input.iter().copied().collect();
        Ok(())
    }
}
