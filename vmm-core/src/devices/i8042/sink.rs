//! The PC machine's input: keys from the display front end (VNC) go to the PS/2 keyboard
//! only; the pointer goes to the virtio tablet once its driver is up (an absolute pointer),
//! else to the PS/2 mouse as relative motion, which firmware, boot loaders and OSes without
//! virtio drivers understand.

use super::I8042Controller;
use crate::devices::virtio::input::VirtioInputSink;
use crate::display::InputSink;
use crate::util::lock;
use std::sync::{Arc, Mutex};

pub struct PcInputSink {
    ps2: Arc<Mutex<I8042Controller>>,
    virtio: Arc<VirtioInputSink>,
    /// The last pointer position and RFB button mask.
    last: Mutex<Option<(u32, u32, u8)>>,
}

impl PcInputSink {
    pub fn new(ps2: Arc<Mutex<I8042Controller>>, virtio: Arc<VirtioInputSink>) -> Self {
        PcInputSink {
            ps2,
            virtio,
            last: Mutex::new(None),
        }
    }
}

/// RFB's button mask (bit 0 left, 1 middle, 2 right) in PS/2 order (0 left, 1 right, 2 middle).
pub fn ps2_buttons(rfb: u8) -> u8 {
    (rfb & 1) | (rfb & 2) << 1 | (rfb & 4) >> 1
}

/// What one pointer event means to a relative mouse: the move from `last` (screen y grows
/// down, PS/2 y grows up), the wheel (RFB presses button 4 for up, 5 for down; PS/2 counts
/// down as positive) and the PS/2 buttons.
pub fn relative(last: Option<(u32, u32, u8)>, x: u32, y: u32, buttons: u8) -> (i32, i32, i32, u8) {
    let (lx, ly, lb) = last.unwrap_or((x, y, 0));
    let dx = i64::from(x) - i64::from(lx);
    let dy = i64::from(ly) - i64::from(y);
    let rising = buttons & !lb;
    let dz = i32::from(rising & 16 != 0) - i32::from(rising & 8 != 0);
    (
        dx.clamp(-65536, 65536) as i32,
        dy.clamp(-65536, 65536) as i32,
        dz,
        ps2_buttons(buttons),
    )
}

impl InputSink for PcInputSink {
    fn key(&self, evdev_code: u16, down: bool) {
        lock(&self.ps2).key(evdev_code, down);
    }

    fn pointer(&self, x: u32, y: u32, buttons: u8) {
        let prev = lock(&self.last).replace((x, y, buttons));
        if self.virtio.tablet.is_active() {
            self.virtio.pointer(x, y, buttons);
            return;
        }
        let (dx, dy, dz, b) = relative(prev, x, y, buttons);
        lock(&self.ps2).mouse_motion(dx, dy, dz, b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_positions_become_ps2_motion() {
        assert_eq!(
            relative(None, 10, 10, 0),
            (0, 0, 0, 0),
            "first event: no move"
        );
        assert_eq!(relative(Some((10, 10, 0)), 15, 4, 1), (5, 6, 0, 1));
        assert_eq!(relative(Some((10, 10, 0)), 0, 20, 4), (-10, -10, 0, 2));
        assert_eq!(
            relative(Some((0, 0, 0)), 0, 0, 8),
            (0, 0, -1, 0),
            "wheel up"
        );
        assert_eq!(
            relative(Some((0, 0, 8)), 0, 0, 8),
            (0, 0, 0, 0),
            "held: once"
        );
        assert_eq!(
            relative(Some((0, 0, 0)), 0, 0, 16),
            (0, 0, 1, 0),
            "wheel down"
        );
        assert_eq!(ps2_buttons(0b010), 0b100, "middle");
        assert_eq!(relative(Some((0, 0, 0)), u32::MAX, 0, 0).0, 65536);
    }
}
