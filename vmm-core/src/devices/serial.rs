//! COM1: a 16550 UART from vm-superio. Output goes to the VM's serial log, the API's
//! subscribers and, with `--console`, the terminal.

use super::{BusDevice, Persist};
use crate::hub::Hub;
use std::fs::File;
use std::io::{self, Write};
use std::sync::Arc;
use vm_superio::{Serial, Trigger};
use vmm_sys_util::eventfd::EventFd;

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
}

impl Write for SerialOutput {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // A failing log (disk full) must not stop the guest; drop the log and carry on.
        if let Some(log) = &mut self.log {
            if log.write_all(buf).is_err() {
                self.log = None;
            }
        }
        if self.console {
            let mut out = io::stdout().lock();
            let _ = out.write_all(buf);
            let _ = out.flush();
        }
        if self.hub.has_subscribers() {
            self.hub.publish(buf.to_vec());
        }
        Ok(buf.len())
    }

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
}

impl SerialDevice {
    pub fn new(irq: EventFd, out: SerialOutput) -> Self {
        SerialDevice {
            uart: Serial::new(IrqTrigger(irq), out),
            pending_input: Default::default(),
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
        data.fill(0);
        if let (Some(b), Ok(off)) = (data.first_mut(), u8::try_from(offset)) {
            *b = self.uart.read(off);
        }
        // Reading RBR may have made room for queued input.
        if offset == 0 && self.has_pending_input() {
            self.pump_input();
        }
    }

    fn write(&mut self, offset: u64, data: &[u8]) {
        if let (Some(&v), Ok(off)) = (data.first(), u8::try_from(offset)) {
            let _ = self.uart.write(off, v);
        }
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

    /// Rebuilds the UART from a snapshot, keeping this device's interrupt and output.
    fn restore(&mut self, s: &SerialState, _: ()) -> Result<(), String> {
        self.restore_uart(s).map_err(|e| e.to_string())
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
            SerialOutput {
                log: None,
                hub: self.uart.writer().hub.clone(),
                console: false,
            },
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
