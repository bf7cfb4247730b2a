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
    use crate::devices::virtio::input::{Input, InputKind};
    use crate::devices::virtio::{VirtioDevice, VirtioInterrupt};
    use crate::devices::{BusDevice, Persist};
    use virtio_queue::{Queue, QueueT};
    use vm_memory::{GuestAddress, GuestMemoryMmap};
    use vmm_sys_util::eventfd::EventFd;

    struct NoIrq;
    impl crate::devices::pci::intx::IrqLevels for NoIrq {
        fn set_level(&self, _: u32, _: bool) {}
    }

    /// Everything the guest could read from the controller now.
    fn ps2_bytes(c: &Mutex<I8042Controller>) -> Vec<u8> {
        let mut c = lock(c);
        let mut out = Vec::new();
        loop {
            let mut st = [0];
            c.read(4, &mut st);
            if st[0] & 1 == 0 {
                return out;
            }
            let mut b = [0];
            c.read(0, &mut b);
            out.push(b[0]);
        }
    }

    #[test]
    fn keys_go_to_ps2_only_and_the_pointer_to_the_tablet_once_it_has_a_driver() {
        let (tx, _rx) = std::sync::mpsc::channel();
        let ps2 = Arc::new(Mutex::new(I8042Controller::new(
            Arc::new(NoIrq),
            crate::exit::ExitSender::new(tx),
        )));
        let (kbd, kbd_h) = Input::new(InputKind::Keyboard);
        let (mut tablet, tablet_h) = Input::new(InputKind::Tablet);
        let virtio = Arc::new(VirtioInputSink::new(kbd_h, tablet_h, 640, 480));
        let sink = PcInputSink::new(ps2.clone(), virtio);
        // The mouse reports once enabled (0xd4 0xf4), as a guest driver would.
        lock(&ps2).write(4, &[0xd4]);
        lock(&ps2).write(0, &[0xf4]);
        assert_eq!(ps2_bytes(&ps2), [0xfa]);

        sink.key(30, true);
        assert_eq!(ps2_bytes(&ps2), [0x1c]);
        assert!(kbd.save().unwrap().pending.is_empty(), "no double keys");

        sink.pointer(10, 10, 0);
        sink.pointer(12, 10, 1);
        assert_eq!(ps2_bytes(&ps2), [0x09, 2, 0]);
        assert!(tablet.save().unwrap().pending.is_empty());

        // The tablet's driver is up (DRIVER_OK): absolute positions go there, PS/2 rests.
        let mem = GuestMemoryMmap::<()>::from_ranges(&[(GuestAddress(0), 0x10000)]).unwrap();
        let irq = Arc::new(VirtioInterrupt::new(EventFd::new(0).unwrap()));
        let queues = vec![Queue::new(64).unwrap(), Queue::new(64).unwrap()];
        tablet.activate(mem, queues, 0, irq).unwrap();
        sink.pointer(300, 200, 0);
        assert!(ps2_bytes(&ps2).is_empty());
        assert!(!tablet.save().unwrap().pending.is_empty());
    }

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
