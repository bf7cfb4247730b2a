//! virtio-input (virtio spec 5.8): a keyboard and an absolute-pointer tablet, so the guest's
//! pointer follows the host's without any grab.
//!
//! Events come from the display front end (VNC) through [`InputHandle`]; they wait in a bounded
//! queue until the guest has posted buffers on the event queue.

use super::{
    device_type, Attachment, DeviceState, QueueState, VirtioDevice, VirtioInterrupt,
    VIRTIO_F_VERSION_1,
};
use crate::devices::Persist;
use crate::util::lock;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use virtio_queue::{Queue, QueueT};
use vm_memory::{Bytes, GuestMemoryMmap};

pub const EV_SYN: u16 = 0;
pub const EV_KEY: u16 = 1;
pub const EV_REL: u16 = 2;
pub const EV_ABS: u16 = 3;
pub const SYN_REPORT: u16 = 0;
pub const BTN_LEFT: u16 = 0x110;
pub const BTN_RIGHT: u16 = 0x111;
pub const BTN_MIDDLE: u16 = 0x112;
pub const ABS_X: u16 = 0;
pub const ABS_Y: u16 = 1;
pub const REL_WHEEL: u16 = 8;
/// The tablet reports positions in 0..=ABS_MAX on both axes.
pub const ABS_MAX: u32 = 32767;

const CFG_ID_NAME: u8 = 1;
const CFG_ID_SERIAL: u8 = 2;
const CFG_ID_DEVIDS: u8 = 3;
const CFG_EV_BITS: u8 = 0x11;
const CFG_ABS_INFO: u8 = 0x12;

/// Events waiting for guest buffers; beyond this the oldest are dropped (a guest that never
/// reads input must not make us grow without bound).
const MAX_PENDING: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Keyboard,
    Tablet,
}

#[derive(Default)]
struct Shared {
    /// While the VM is paused, events wait here instead of entering guest memory.
    paused: bool,
    pending: VecDeque<[u8; 8]>,
    active: Option<(GuestMemoryMmap, Queue, Arc<VirtioInterrupt>)>,
    dropped: u64,
    malformed: u64,
}

impl Shared {
    /// Moves pending events into guest buffers while there are some.
    fn flush(&mut self) {
        if self.paused {
            return;
        }
        let Some((mem, q, irq)) = &mut self.active else {
            return;
        };
        let mut used = false;
        while !self.pending.is_empty() {
            let Some(chain) = q.pop_descriptor_chain(&*mem) else {
                break;
            };
            let head = chain.head_index();
            let desc = chain.into_iter().next();
            let len = match desc {
                Some(d) if d.is_write_only() && d.len() >= 8 => {
                    let ev = self.pending.pop_front().expect("checked non-empty");
                    if mem.write_slice(&ev, d.addr()).is_ok() {
                        8
                    } else {
                        self.malformed += 1;
                        0
                    }
                }
                _ => {
                    self.malformed += 1;
                    0
                }
            };
            if q.add_used(&*mem, head, len).is_err() {
                self.malformed += 1;
            }
            used = true;
        }
        if used && q.needs_notification(&*mem).unwrap_or(true) {
            irq.signal_queue(0);
        }
    }
}

/// Sends events into one virtio-input device from any thread.
#[derive(Clone)]
pub struct InputHandle(Arc<Mutex<Shared>>);

impl InputHandle {
    /// Whether the guest's driver set the device up (DRIVER_OK) and has not reset it.
    pub fn is_active(&self) -> bool {
        lock(&self.0).active.is_some()
    }

    /// Queues events (type, code, value) followed by a SYN_REPORT, and delivers what fits.
    pub fn send(&self, events: &[(u16, u16, i32)]) {
        let mut s = lock(&self.0);
        for &(t, c, v) in events.iter().chain(&[(EV_SYN, SYN_REPORT, 0)]) {
            if s.pending.len() >= MAX_PENDING {
                s.pending.pop_front();
                s.dropped += 1;
            }
            let mut e = [0u8; 8];
            e[0..2].copy_from_slice(&t.to_le_bytes());
            e[2..4].copy_from_slice(&c.to_le_bytes());
            e[4..8].copy_from_slice(&v.to_le_bytes());
            s.pending.push_back(e);
        }
        s.flush();
    }
}

pub struct Input {
    kind: InputKind,
    shared: Arc<Mutex<Shared>>,
    select: u8,
    subsel: u8,
    status_queue: Option<Queue>,
}

impl Input {
    pub fn new(kind: InputKind) -> (Self, InputHandle) {
        let shared = Arc::new(Mutex::new(Shared::default()));
        (
            Input {
                kind,
                shared: shared.clone(),
                select: 0,
                subsel: 0,
                status_queue: None,
            },
            InputHandle(shared),
        )
    }

    /// The config-space payload for the current select/subsel (empty = not supported).
    fn cfg_data(&self) -> Vec<u8> {
        let bits = |codes: &[u16]| {
            let mut b = vec![0u8; 128];
            for &c in codes {
                b[c as usize / 8] |= 1 << (c % 8);
            }
            while b.last() == Some(&0) {
                b.pop();
            }
            b
        };
        match (self.select, self.kind) {
            (CFG_ID_NAME, InputKind::Keyboard) => b"vmdesk keyboard".to_vec(),
            (CFG_ID_NAME, InputKind::Tablet) => b"vmdesk tablet".to_vec(),
            (CFG_ID_SERIAL, _) => b"vmdesk-0".to_vec(),
            (CFG_ID_DEVIDS, kind) => {
                // bustype BUS_VIRTUAL, vendor, product, version
                let product: u16 = if kind == InputKind::Keyboard { 1 } else { 2 };
                [0x06u16, 0x1af4, product, 1]
                    .iter()
                    .flat_map(|v| v.to_le_bytes())
                    .collect()
            }
            (CFG_EV_BITS, InputKind::Keyboard) => match u16::from(self.subsel) {
                EV_KEY => bits(&(1..=248).collect::<Vec<u16>>()),
                _ => vec![],
            },
            (CFG_EV_BITS, InputKind::Tablet) => match u16::from(self.subsel) {
                EV_KEY => bits(&[BTN_LEFT, BTN_RIGHT, BTN_MIDDLE]),
                EV_ABS => bits(&[ABS_X, ABS_Y]),
                EV_REL => bits(&[REL_WHEEL]),
                _ => vec![],
            },
            (CFG_ABS_INFO, InputKind::Tablet)
                if matches!(u16::from(self.subsel), ABS_X | ABS_Y) =>
            {
                [0u32, ABS_MAX, 0, 0, 0]
                    .iter()
                    .flat_map(|v| v.to_le_bytes())
                    .collect()
            }
            _ => vec![],
        }
    }
}

/// virtio-input in a snapshot: the config-space selection, the queues if the driver activated
/// the device, and the events not yet delivered.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct InputState {
    pub select: u8,
    pub subsel: u8,
    pub queues: Option<InputQueues>,
    pub pending: Vec<[u8; 8]>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct InputQueues {
    pub event: QueueState,
    pub status: QueueState,
}

impl VirtioDevice for Input {
    fn device_type(&self) -> u32 {
        device_type::INPUT
    }
    fn queue_max_sizes(&self) -> &[u16] {
        &[64, 64]
    }
    fn features(&self) -> u64 {
        VIRTIO_F_VERSION_1
    }
    fn read_config(&self, offset: u64, data: &mut [u8]) {
        // Layout: select u8, subsel u8, size u8, reserved[5], data[128].
        let mut cfg = [0u8; 136];
        cfg[0] = self.select;
        cfg[1] = self.subsel;
        let d = self.cfg_data();
        cfg[2] = d.len() as u8;
        cfg[8..8 + d.len()].copy_from_slice(&d);
        for (i, b) in data.iter_mut().enumerate() {
            *b = cfg.get(offset as usize + i).copied().unwrap_or(0);
        }
    }
    fn write_config(&mut self, offset: u64, data: &[u8]) {
        for (i, &b) in data.iter().enumerate() {
            match offset + i as u64 {
                0 => self.select = b,
                1 => self.subsel = b,
                _ => {}
            }
        }
    }
    fn activate(
        &mut self,
        mem: GuestMemoryMmap,
        mut queues: Vec<Queue>,
        _features: u64,
        irq: Arc<VirtioInterrupt>,
    ) -> Result<(), String> {
        if queues.len() != 2 {
            return Err("virtio-input needs two queues".into());
        }
        self.status_queue = queues.pop();
        let eventq = queues.pop().expect("two queues");
        let mut s = lock(&self.shared);
        s.active = Some((mem, eventq, irq));
        s.flush();
        Ok(())
    }
    fn queue_notify(&mut self, index: u16) {
        let mut s = lock(&self.shared);
        if index == 0 {
            s.flush();
            return;
        }
        // Status queue: LED changes etc. from the guest; consumed and returned.
        let (Some(q), Some((mem, _, irq))) = (&mut self.status_queue, &s.active) else {
            return;
        };
        let (mem, irq) = (mem.clone(), irq.clone());
        let mut used = false;
        while let Some(chain) = q.pop_descriptor_chain(&mem) {
            let head = chain.head_index();
            let _ = q.add_used(&mem, head, 0);
            used = true;
        }
        if used {
            irq.signal_queue(1);
        }
        drop(s);
    }
    fn reset(&mut self) {
        let mut s = lock(&self.shared);
        s.active = None;
        s.pending.clear();
        self.status_queue = None;
    }
    fn malformed_chains(&self) -> u64 {
        lock(&self.shared).malformed
    }
    fn pause(&mut self) {
        lock(&self.shared).paused = true;
    }
    fn resume(&mut self) {
        let mut s = lock(&self.shared);
        s.paused = false;
        s.flush();
    }
    fn save_state(&self) -> Result<DeviceState, String> {
        self.save().map(DeviceState::Input)
    }
    fn restore_state(
        &mut self,
        state: &DeviceState,
        mem: GuestMemoryMmap,
        irq: Arc<VirtioInterrupt>,
    ) -> Result<(), String> {
        match state {
            DeviceState::Input(s) => self.restore(s, Attachment { mem, irq }),
            other => Err(other.mismatch("virtio-input")),
        }
    }
}

impl Persist for Input {
    type State = InputState;
    type Args = Attachment;

    fn save(&self) -> Result<InputState, String> {
        let s = lock(&self.shared);
        let queues = match (&s.active, &self.status_queue) {
            (Some((_, ev, _)), Some(st)) => Some(InputQueues {
                event: QueueState::of(ev),
                status: QueueState::of(st),
            }),
            _ => None,
        };
        Ok(InputState {
            select: self.select,
            subsel: self.subsel,
            queues,
            pending: s.pending.iter().copied().collect(),
        })
    }

    fn restore(&mut self, saved: &InputState, a: Attachment) -> Result<(), String> {
        self.select = saved.select;
        self.subsel = saved.subsel;
        let mut s = lock(&self.shared);
        s.pending = saved.pending.iter().copied().collect();
        match &saved.queues {
            Some(q) => {
                s.active = Some((a.mem, q.event.to_queue()?, a.irq));
                self.status_queue = Some(q.status.to_queue()?);
            }
            None => {
                s.active = None;
                self.status_queue = None;
            }
        }
        Ok(())
    }
}

/// The display front ends' input, delivered to the virtio keyboard and tablet.
pub struct VirtioInputSink {
    pub keyboard: InputHandle,
    pub tablet: InputHandle,
    pub width: u32,
    pub height: u32,
    /// A screen whose size changes (the BIOS machine's VGA): pointer positions scale by its
    /// size at the time, not `width` × `height`.
    frame: Option<Arc<dyn crate::display::FrameSource>>,
    buttons: Mutex<u8>,
}

impl VirtioInputSink {
    pub fn new(keyboard: InputHandle, tablet: InputHandle, width: u32, height: u32) -> Self {
        VirtioInputSink {
            keyboard,
            tablet,
            width,
            height,
            frame: None,
            buttons: Mutex::new(0),
        }
    }

    /// Scales pointer positions by `frame`'s current size.
    pub fn following(mut self, frame: Arc<dyn crate::display::FrameSource>) -> Self {
        self.frame = Some(frame);
        self
    }
}

/// Scales a pixel coordinate in 0..size to the tablet's 0..=ABS_MAX.
pub fn scale_to_abs(p: u32, size: u32) -> i32 {
    let max_px = size.saturating_sub(1).max(1);
    (u64::from(p.min(max_px)) * u64::from(ABS_MAX) / u64::from(max_px)) as i32
}

impl crate::display::InputSink for VirtioInputSink {
    fn key(&self, evdev_code: u16, down: bool) {
        self.keyboard.send(&[(EV_KEY, evdev_code, i32::from(down))]);
    }

    fn pointer(&self, x: u32, y: u32, buttons: u8) {
        let (w, h) = match &self.frame {
            Some(f) => (f.width(), f.height()),
            None => (self.width, self.height),
        };
        let mut ev = vec![
            (EV_ABS, ABS_X, scale_to_abs(x, w)),
            (EV_ABS, ABS_Y, scale_to_abs(y, h)),
        ];
        let mut prev = lock(&self.buttons);
        for (bit, code) in [(0, BTN_LEFT), (1, BTN_MIDDLE), (2, BTN_RIGHT)] {
            let (was, is) = (*prev & (1 << bit) != 0, buttons & (1 << bit) != 0);
            if was != is {
                ev.push((EV_KEY, code, i32::from(is)));
            }
        }
        // RFB sends wheel steps as button 4/5 presses.
        if buttons & 8 != 0 && *prev & 8 == 0 {
            ev.push((EV_REL, REL_WHEEL, 1));
        }
        if buttons & 16 != 0 && *prev & 16 == 0 {
            ev.push((EV_REL, REL_WHEEL, -1));
        }
        *prev = buttons;
        drop(prev);
        self.tablet.send(&ev);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(dev: &mut Input, select: u8, subsel: u8) -> Vec<u8> {
        dev.write_config(0, &[select, subsel]);
        let mut size = [0u8];
        dev.read_config(2, &mut size);
        let mut d = vec![0u8; size[0] as usize];
        dev.read_config(8, &mut d);
        d
    }

    #[test]
    fn config_space_describes_keyboard_and_tablet() {
        let (mut k, _) = Input::new(InputKind::Keyboard);
        assert_eq!(cfg(&mut k, CFG_ID_NAME, 0), b"vmdesk keyboard");
        let keys = cfg(&mut k, CFG_EV_BITS, EV_KEY as u8);
        assert!(keys[30 / 8] & (1 << (30 % 8)) != 0, "KEY_A offered");
        assert!(cfg(&mut k, CFG_EV_BITS, EV_ABS as u8).is_empty());
        let (mut t, _) = Input::new(InputKind::Tablet);
        let abs = cfg(&mut t, CFG_ABS_INFO, ABS_X as u8);
        assert_eq!(u32::from_le_bytes(abs[4..8].try_into().unwrap()), ABS_MAX);
        assert_eq!(cfg(&mut t, CFG_EV_BITS, EV_ABS as u8), vec![0b11]);
        // Reads past the end are zeros, never a panic.
        let mut far = [0xffu8; 16];
        t.read_config(500, &mut far);
        assert_eq!(far, [0; 16]);
    }

    #[test]
    fn events_wait_for_buffers_and_are_bounded() {
        let (_, h) = Input::new(InputKind::Keyboard);
        for _ in 0..MAX_PENDING {
            h.send(&[(EV_KEY, 30, 1)]);
        }
        let s = lock(&h.0);
        assert_eq!(s.pending.len(), MAX_PENDING);
        assert!(s.dropped > 0);
    }
}
