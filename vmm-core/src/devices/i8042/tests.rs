use super::*;
use std::sync::mpsc::{channel, Receiver};
use std::sync::Mutex;

#[derive(Default)]
struct Lines(Mutex<Vec<(u32, bool)>>);

impl IrqLevels for Lines {
    fn set_level(&self, gsi: u32, high: bool) {
        self.0.lock().unwrap().push((gsi, high));
    }
}

impl Lines {
    /// Interrupts (rising edges) per line since the last call.
    fn take(&self) -> Vec<u32> {
        std::mem::take(&mut *self.0.lock().unwrap())
            .into_iter()
            .filter(|&(_, high)| high)
            .map(|(g, _)| g)
            .collect()
    }
}

fn ctl() -> (I8042Controller, Arc<Lines>, Receiver<ExitReason>) {
    let lines = Arc::new(Lines::default());
    let (tx, rx) = channel();
    let c = I8042Controller::new(lines.clone(), ExitSender::new(tx));
    (c, lines, rx)
}

fn cmd(c: &mut I8042Controller, v: u8) {
    c.write(4, &[v]);
}
fn data(c: &mut I8042Controller, v: u8) {
    c.write(0, &[v]);
}
fn status(c: &mut I8042Controller) -> u8 {
    let mut b = [0];
    c.read(4, &mut b);
    b[0]
}
/// Everything in the output buffer, with each byte's AUX bit.
fn drain(c: &mut I8042Controller) -> Vec<(u8, bool)> {
    let mut out = Vec::new();
    while status(c) & STAT_OBF != 0 {
        let aux = status(c) & STAT_AUX != 0;
        let mut b = [0];
        c.read(0, &mut b);
        out.push((b[0], aux));
        assert!(out.len() < 10_000);
    }
    out
}
fn bytes(c: &mut I8042Controller) -> Vec<u8> {
    drain(c).into_iter().map(|(b, _)| b).collect()
}

#[test]
fn controller_commands_answer_as_seabios_and_linux_expect() {
    let (mut c, _, _) = ctl();
    assert_eq!(status(&mut c) & STAT_OBF, 0);
    cmd(&mut c, 0xaa);
    assert_eq!(bytes(&mut c), [0x55]);
    assert_ne!(
        status(&mut c) & STAT_SYSFLAG,
        0,
        "self-test sets the system flag"
    );
    cmd(&mut c, 0xab);
    assert_eq!(bytes(&mut c), [0]);
    cmd(&mut c, 0xa9);
    assert_eq!(bytes(&mut c), [0]);
    cmd(&mut c, 0x60);
    data(&mut c, 0x41);
    cmd(&mut c, 0x20);
    assert_eq!(bytes(&mut c), [0x41]);
    cmd(&mut c, 0xa7);
    cmd(&mut c, 0xad);
    cmd(&mut c, 0x20);
    assert_eq!(bytes(&mut c), [0x41 | CTR_AUXDIS | CTR_KBDDIS]);
    cmd(&mut c, 0xa8);
    cmd(&mut c, 0xae);
    cmd(&mut c, 0x20);
    assert_eq!(bytes(&mut c), [0x41]);
    // 0xd2/0xd3 echo as keyboard and as mouse data (Linux's loopback probe).
    cmd(&mut c, 0xd2);
    data(&mut c, 0x5a);
    assert_eq!(drain(&mut c), [(0x5a, false)]);
    cmd(&mut c, 0xd3);
    data(&mut c, 0xa5);
    assert_eq!(drain(&mut c), [(0xa5, true)]);
    assert_eq!(status(&mut c) & STAT_CMD, 0, "the last write was data");
    cmd(&mut c, 0x20);
    assert_ne!(status(&mut c) & STAT_CMD, 0, "the last write was a command");
    drain(&mut c);
}

#[test]
fn reset_by_pulse_and_by_output_port_a20_alone_does_not() {
    let (mut c, _, rx) = ctl();
    cmd(&mut c, 0xd1);
    data(&mut c, OUT_RESET); // A20 off, reset line high: no reset.
    cmd(&mut c, 0xd0);
    assert_eq!(bytes(&mut c), [OUT_RESET]);
    cmd(&mut c, 0xdf);
    assert!(rx.try_recv().is_err());
    cmd(&mut c, 0xd1);
    data(&mut c, OUT_A20);
    assert!(matches!(rx.try_recv(), Ok(ExitReason::Reset(_))));
    cmd(&mut c, 0xff); // bit 0 set: pulses nothing.
    assert!(rx.try_recv().is_err());
    cmd(&mut c, 0xfe);
    assert!(matches!(
        rx.try_recv(),
        Ok(ExitReason::Reset("i8042 reset"))
    ));
}

#[test]
fn keyboard_and_mouse_through_the_controller_with_irqs() {
    let (mut c, lines, _) = ctl();
    data(&mut c, 0xff);
    assert_eq!(drain(&mut c), [(0xfa, false), (0xaa, false)]);
    assert_eq!(lines.take(), [KBD_IRQ, KBD_IRQ]);
    cmd(&mut c, 0xd4);
    data(&mut c, 0xff);
    assert_eq!(drain(&mut c), [(0xfa, true), (0xaa, true), (0, true)]);
    assert_eq!(lines.take(), [AUX_IRQ; 3]);
    cmd(&mut c, 0xd4);
    data(&mut c, 0xf4);
    drain(&mut c);
    c.mouse_motion(3, 0, 0, 1);
    assert_eq!(drain(&mut c), [(0x09, true), (3, true), (0, true)]);
    // With interrupts off in the command byte, bytes still come, silently (polling).
    cmd(&mut c, 0x60);
    data(&mut c, 0);
    lines.take();
    c.key(30, true);
    assert_eq!(drain(&mut c), [(0x1c, false)]);
    assert!(lines.take().is_empty());
    // Enabling the interrupt while a byte waits raises it.
    c.key(30, false);
    cmd(&mut c, 0x60);
    data(&mut c, CTR_KBDINT);
    assert_eq!(lines.take(), [KBD_IRQ]);
    assert_eq!(bytes(&mut c), [0xf0, 0x1c]);
}

#[test]
fn translation_and_disabled_ports() {
    let (mut c, _, _) = ctl();
    cmd(&mut c, 0x60);
    data(&mut c, CTR_KBDINT | CTR_XLATE);
    data(&mut c, 0xf2);
    assert_eq!(
        bytes(&mut c),
        [0xfa, 0xab, 0x41],
        "ID as seen through translation"
    );
    c.key(103, true);
    c.key(103, false);
    c.key(30, true);
    c.key(30, false);
    assert_eq!(bytes(&mut c), [0xe0, 0x48, 0xe0, 0xc8, 0x1e, 0x9e]);
    // A disabled keyboard port holds its bytes until enabled.
    cmd(&mut c, 0xad);
    c.key(30, true);
    assert!(bytes(&mut c).is_empty());
    cmd(&mut c, 0xae);
    assert_eq!(bytes(&mut c), [0x1e]);
    // Same for the mouse port; its bytes wait behind a disabled AUX.
    cmd(&mut c, 0xa7);
    c.mouse.write(0xf2);
    assert!(bytes(&mut c).is_empty());
    cmd(&mut c, 0xa8);
    assert_eq!(drain(&mut c), [(0xfa, true), (0, true)]);
}

#[test]
fn snapshot_round_trip_keeps_queues_and_mode() {
    let (mut c, _, _) = ctl();
    cmd(&mut c, 0x60);
    data(&mut c, CTR_XLATE | CTR_KBDINT);
    c.key(30, true);
    c.key(31, true);
    let s = c.save().unwrap();
    let (mut d, _, _) = ctl();
    d.restore(&s, ()).unwrap();
    assert_eq!(d.save().unwrap(), s);
    assert_eq!(bytes(&mut d), [0x1e, 0x1f]);
    let mut bad = s.clone();
    bad.keyboard.queue = vec![0; 100_000];
    assert!(d.restore(&bad, ()).unwrap_err().contains("keyboard"));
    let mut bad = s;
    bad.pending = Some(0x99);
    assert!(d.restore(&bad, ()).unwrap_err().contains("pending"));
}

#[test]
fn garbage_from_the_guest_never_panics_and_stays_bounded() {
    let (mut c, _, _) = ctl();
    let mut x: u32 = 12345;
    for _ in 0..200_000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let v = (x >> 16) as u8;
        let off = u64::from((x >> 8) as u8 % 8);
        if x & 1 == 0 {
            c.write(off, &[v]);
        } else {
            let mut b = [0u8; 4];
            c.read(off, &mut b[..(x as usize >> 4) % 5]);
        }
        c.write(off, &[]);
        if x.is_multiple_of(7) {
            c.key((x >> 3) as u16, x & 8 != 0);
            c.mouse_motion(x as i32, -(x as i32), 5, 7);
        }
    }
    let s = c.save().unwrap();
    assert!(s.ctl_queue.len() <= CTL_QUEUE_MAX);
    assert!(s.keyboard.queue.len() <= keyboard::QUEUE_MAX);
    assert!(s.mouse.queue.len() <= mouse::QUEUE_MAX);
}
