//! The PC machine's 8042 keyboard controller (ports 0x60 data, 0x64 status/command) with a
//! PS/2 keyboard and mouse, after QEMU's `hw/input/pckbd.c` and what SeaBIOS's `ps2port.c`
//! and Linux's `i8042.c` expect. The Linux machine keeps `legacy::I8042` (reset line only).
//!
//! One output buffer: the controller's own replies first, then the keyboard's bytes (set 2,
//! translated to set 1 when the command byte says so) unless its port is disabled, then the
//! mouse's. Filling the buffer pulses IRQ 1 (keyboard) or 12 (mouse) when the command byte
//! enables it.

pub mod keyboard;
pub mod mouse;
pub mod sink;

use super::pci::intx::IrqLevels;
use super::{BusDevice, Persist};
use crate::exit::{ExitReason, ExitSender};
use keyboard::{Keyboard, KeyboardState};
use mouse::{Mouse, MouseState};
use std::collections::VecDeque;
use std::sync::Arc;

/// Ports 0x60..0x65 (0x61 inside belongs to KVM's PIT speaker emulation).
pub const PORT_BASE: u16 = 0x60;
pub const PORT_LEN: u64 = 5;
pub const KBD_IRQ: u32 = 1;
pub const AUX_IRQ: u32 = 12;

const STAT_OBF: u8 = 0x01;
const STAT_SYSFLAG: u8 = 0x04;
const STAT_CMD: u8 = 0x08;
const STAT_UNLOCKED: u8 = 0x10;
const STAT_AUX: u8 = 0x20;

pub const CTR_KBDINT: u8 = 0x01;
pub const CTR_AUXINT: u8 = 0x02;
pub const CTR_SYSFLAG: u8 = 0x04;
pub const CTR_KBDDIS: u8 = 0x10;
pub const CTR_AUXDIS: u8 = 0x20;
pub const CTR_XLATE: u8 = 0x40;

/// Output port: bit 0 is the CPU's reset line (0 = in reset), bit 1 the A20 gate.
const OUT_RESET: u8 = 0x01;
const OUT_A20: u8 = 0x02;

/// The controller's own replies waiting for the output buffer (it answers one command at a
/// time; this only has to outlast a guest that writes commands without reading).
const CTL_QUEUE_MAX: usize = 16;

/// Appends `bytes` to a device's output queue of at most `max` bytes; when full, the oldest
/// byte goes (counted in `dropped`) — a guest that never reads cannot make it grow.
fn push_bounded(
    queue: &mut std::collections::VecDeque<u8>,
    max: usize,
    dropped: &mut u64,
    bytes: &[u8],
) {
    for &b in bytes {
        if queue.len() >= max {
            queue.pop_front();
            *dropped += 1;
        }
        queue.push_back(b);
    }
}

pub struct I8042Controller {
    ctr: u8,
    outport: u8,
    /// The last write went to 0x64 (status bit 3).
    last_was_cmd: bool,
    /// A command waiting for its data byte on 0x60 (0x60, 0xd1–0xd4).
    pending: Option<u8>,
    /// The output buffer: a byte and whether it came from the mouse.
    out: Option<(u8, bool)>,
    /// The last byte read from 0x60 (read again while the buffer is empty).
    last_read: u8,
    ctl_queue: VecDeque<(u8, bool)>,
    /// Translation saw a break prefix (0xf0) and owes bit 7 to the next byte.
    xlate_break: bool,
    /// While the VM is paused, host input waits in the devices' queues: no interrupt may
    /// change the irqchip under a snapshot.
    paused: bool,
    kbd: Keyboard,
    mouse: Mouse,
    irq: Arc<dyn IrqLevels>,
    exit: ExitSender,
}

/// The controller, both devices and every queue, in a snapshot.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct I8042State {
    pub ctr: u8,
    pub outport: u8,
    pub last_was_cmd: bool,
    pub pending: Option<u8>,
    pub out: Option<(u8, bool)>,
    pub last_read: u8,
    pub ctl_queue: Vec<(u8, bool)>,
    pub xlate_break: bool,
    pub keyboard: KeyboardState,
    pub mouse: MouseState,
}

impl I8042Controller {
    pub fn new(irq: Arc<dyn IrqLevels>, exit: ExitSender) -> Self {
        I8042Controller {
            // As QEMU at power-on: both interrupts on, both ports on, no translation yet.
            ctr: CTR_KBDINT | CTR_AUXINT,
            outport: OUT_RESET | OUT_A20,
            last_was_cmd: false,
            pending: None,
            out: None,
            last_read: 0,
            ctl_queue: VecDeque::new(),
            xlate_break: false,
            paused: false,
            kbd: Keyboard::default(),
            mouse: Mouse::default(),
            irq,
            exit,
        }
    }

    /// A key from the host (evdev code).
    pub fn key(&mut self, evdev: u16, down: bool) {
        self.kbd.key(evdev, down);
        if !self.paused {
            self.refill();
        }
    }

    /// Relative motion from the host (`dy` positive up, `dz` positive down) and the PS/2
    /// buttons (bit 0 left, 1 right, 2 middle).
    pub fn mouse_motion(&mut self, dx: i32, dy: i32, dz: i32, buttons: u8) {
        self.mouse.motion(dx, dy, dz, buttons);
        if !self.paused {
            self.refill();
        }
    }

    pub fn pause(&mut self) {
        self.paused = true;
    }

    /// Delivers what arrived while paused.
    pub fn resume(&mut self) {
        self.paused = false;
        self.refill();
    }

    fn status(&self) -> u8 {
        let mut s = STAT_UNLOCKED;
        if let Some((_, aux)) = self.out {
            s |= STAT_OBF;
            if aux {
                s |= STAT_AUX;
            }
        }
        if self.ctr & CTR_SYSFLAG != 0 {
            s |= STAT_SYSFLAG;
        }
        if self.last_was_cmd {
            s |= STAT_CMD;
        }
        s
    }

    fn reply(&mut self, b: u8, aux: bool) {
        if self.ctl_queue.len() >= CTL_QUEUE_MAX {
            self.ctl_queue.pop_front();
        }
        self.ctl_queue.push_back((b, aux));
    }

    fn pulse(&self, aux: bool) {
        let (bit, gsi) = if aux {
            (CTR_AUXINT, AUX_IRQ)
        } else {
            (CTR_KBDINT, KBD_IRQ)
        };
        if self.ctr & bit != 0 {
            // Edge-triggered ISA lines: high then low latches one interrupt.
            self.irq.set_level(gsi, true);
            self.irq.set_level(gsi, false);
        }
    }

    /// Loads the next byte into an empty output buffer and raises its interrupt. Each turn
    /// of the loop takes a byte from a bounded queue, so it ends.
    fn refill(&mut self) {
        while self.out.is_none() {
            let next = if let Some(x) = self.ctl_queue.pop_front() {
                Some(x)
            } else if self.ctr & CTR_KBDDIS == 0 {
                match self.kbd.pop() {
                    Some(b) if self.ctr & CTR_XLATE != 0 => {
                        match keyboard::translate(b, &mut self.xlate_break) {
                            Some(t) => Some((t, false)),
                            None => continue,
                        }
                    }
                    Some(b) => Some((b, false)),
                    None => None,
                }
            } else {
                None
            };
            let next = next.or_else(|| {
                (self.ctr & CTR_AUXDIS == 0)
                    .then(|| self.mouse.pop().map(|b| (b, true)))
                    .flatten()
            });
            let Some((b, aux)) = next else { return };
            self.out = Some((b, aux));
            self.pulse(aux);
        }
    }

    fn command(&mut self, cmd: u8) {
        match cmd {
            0x20 => self.reply(self.ctr, false),
            0x21..=0x3f => self.reply(0, false),
            0x60..=0x7f => self.pending = Some(0x60),
            0xa7 => self.ctr |= CTR_AUXDIS,
            0xa8 => self.ctr &= !CTR_AUXDIS,
            0xa9 => self.reply(0, false),
            0xaa => {
                self.ctr |= CTR_SYSFLAG;
                self.reply(0x55, false);
            }
            0xab => self.reply(0, false),
            0xad => self.ctr |= CTR_KBDDIS,
            0xae => self.ctr &= !CTR_KBDDIS,
            0xc0 => self.reply(0, false),
            0xd0 => {
                let mut v = self.outport;
                if let Some((_, aux)) = self.out {
                    v |= if aux { 0x20 } else { 0x10 };
                }
                self.reply(v, false);
            }
            0xd1..=0xd4 => self.pending = Some(cmd),
            0xdd => self.outport &= !OUT_A20,
            0xdf => self.outport |= OUT_A20,
            // Pulse output lines: a 0 in bit 0 pulses the reset line.
            0xf0..=0xff if cmd & 1 == 0 => self.exit.send(ExitReason::Reset("i8042 reset")),
            _ => {}
        }
    }

    fn data(&mut self, v: u8) {
        match self.pending.take() {
            Some(0x60) => {
                let was = self.ctr;
                self.ctr = v;
                // An interrupt enabled while a byte waits is due now.
                if let Some((_, aux)) = self.out {
                    let bit = if aux { CTR_AUXINT } else { CTR_KBDINT };
                    if was & bit == 0 && v & bit != 0 {
                        self.pulse(aux);
                    }
                }
            }
            Some(0xd1) => {
                // A20 is only remembered (the machine never masks it).
                self.outport = v;
                if v & OUT_RESET == 0 {
                    self.exit.send(ExitReason::Reset("i8042 reset"));
                }
            }
            Some(0xd2) => self.reply(v, false),
            Some(0xd3) => self.reply(v, true),
            Some(_) => {
                // 0xd4: talking to the mouse enables its port.
                self.ctr &= !CTR_AUXDIS;
                self.mouse.write(v);
            }
            None => {
                self.ctr &= !CTR_KBDDIS;
                self.kbd.write(v);
            }
        }
    }
}

impl BusDevice for I8042Controller {
    fn read(&mut self, offset: u64, data: &mut [u8]) {
        data.fill(0);
        let Some(b) = data.first_mut() else { return };
        match offset {
            0 => {
                if let Some((v, _)) = self.out.take() {
                    self.last_read = v;
                }
                *b = self.last_read;
                self.refill();
            }
            4 => *b = self.status(),
            _ => {}
        }
    }

    fn write(&mut self, offset: u64, data: &[u8]) {
        let Some(&v) = data.first() else { return };
        match offset {
            0 => {
                self.last_was_cmd = false;
                self.data(v);
            }
            4 => {
                self.last_was_cmd = true;
                self.pending = None;
                self.command(v);
            }
            _ => return,
        }
        self.refill();
    }
}

impl Persist for I8042Controller {
    type State = I8042State;
    type Args = ();

    fn save(&self) -> Result<I8042State, String> {
        Ok(I8042State {
            ctr: self.ctr,
            outport: self.outport,
            last_was_cmd: self.last_was_cmd,
            pending: self.pending,
            out: self.out,
            last_read: self.last_read,
            ctl_queue: self.ctl_queue.iter().copied().collect(),
            xlate_break: self.xlate_break,
            keyboard: self.kbd.save(),
            mouse: self.mouse.save(),
        })
    }

    fn restore(&mut self, s: &I8042State, _: ()) -> Result<(), String> {
        if s.ctl_queue.len() > CTL_QUEUE_MAX {
            return Err(format!(
                "i8042: {} controller replies queued (at most {CTL_QUEUE_MAX})",
                s.ctl_queue.len()
            ));
        }
        if let Some(p) = s.pending {
            if p != 0x60 && !(0xd1..=0xd4).contains(&p) {
                return Err(format!("i8042: pending command {p:#x}"));
            }
        }
        self.kbd.restore(&s.keyboard)?;
        self.mouse.restore(&s.mouse)?;
        self.ctr = s.ctr;
        self.outport = s.outport;
        self.last_was_cmd = s.last_was_cmd;
        self.pending = s.pending;
        self.out = s.out;
        self.last_read = s.last_read;
        self.ctl_queue = s.ctl_queue.iter().copied().collect();
        self.xlate_break = s.xlate_break;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
