//! The PS/2 keyboard behind the i8042's first port: its command set (after QEMU's
//! `hw/input/ps2.c` and what Linux's atkbd and SeaBIOS send) and scancodes from evdev key
//! codes. It speaks set 2 natively; the controller translates to set 1 when its command
//! byte says so, as real hardware does.

use std::collections::VecDeque;

/// Bytes waiting for the controller. Key sequences are dropped when they would not fit in
/// `QUEUE_MAX - RESERVED`, so command replies (at most 3 bytes) always have room.
pub const QUEUE_MAX: usize = 256;
const RESERVED: usize = 8;

pub const ACK: u8 = 0xfa;
pub const RESEND: u8 = 0xfe;
pub const BAT_OK: u8 = 0xaa;

pub struct Keyboard {
    queue: VecDeque<u8>,
    scanning: bool,
    /// Scancode set the guest chose (1, 2 or 3; 3 is sent as set 2).
    set: u8,
    leds: u8,
    typematic: u8,
    /// A command waiting for its parameter byte (0xed, 0xf0, 0xf3).
    expect: Option<u8>,
    /// The last byte sent, for 0xfe (resend).
    last: u8,
    pub dropped: u64,
}

/// The keyboard in a snapshot.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct KeyboardState {
    pub queue: Vec<u8>,
    pub scanning: bool,
    pub set: u8,
    pub leds: u8,
    pub typematic: u8,
    pub expect: Option<u8>,
    pub last: u8,
}

impl Default for Keyboard {
    fn default() -> Self {
        Keyboard {
            queue: VecDeque::new(),
            scanning: true,
            set: 2,
            leds: 0,
            typematic: 0x2b,
            expect: None,
            last: 0,
            dropped: 0,
        }
    }
}

impl Keyboard {
    pub fn pop(&mut self) -> Option<u8> {
        self.queue.pop_front()
    }

    pub fn leds(&self) -> u8 {
        self.leds
    }

    fn reply(&mut self, bytes: &[u8]) {
        super::push_bounded(&mut self.queue, QUEUE_MAX, &mut self.dropped, bytes);
        if let Some(&b) = bytes.last() {
            self.last = b;
        }
    }

    fn defaults(&mut self) {
        self.set = 2;
        self.leds = 0;
        self.typematic = 0x2b;
        self.expect = None;
    }

    /// A byte from the host (the guest's write to port 0x60).
    pub fn write(&mut self, v: u8) {
        if let Some(cmd) = self.expect.take() {
            match cmd {
                0xed => self.leds = v & 7,
                0xf3 => self.typematic = v & 0x7f,
                // 0xf0: 0 asks which set, 1–3 choose one.
                _ if v == 0 => {
                    let set = self.set;
                    self.reply(&[ACK, set]);
                    return;
                }
                _ if (1..=3).contains(&v) => self.set = v,
                _ => {
                    self.reply(&[RESEND]);
                    return;
                }
            }
            self.reply(&[ACK]);
            return;
        }
        match v {
            0xff => {
                self.defaults();
                self.scanning = true;
                self.queue.clear();
                self.reply(&[ACK, BAT_OK]);
            }
            0xfe => {
                let last = self.last;
                self.reply(&[last]);
            }
            0xf6 => {
                self.defaults();
                self.scanning = true;
                self.reply(&[ACK]);
            }
            0xf5 => {
                self.defaults();
                self.scanning = false;
                self.reply(&[ACK]);
            }
            0xf4 => {
                self.scanning = true;
                self.reply(&[ACK]);
            }
            0xed | 0xf0 | 0xf3 => {
                self.expect = Some(v);
                self.reply(&[ACK]);
            }
            0xf2 => self.reply(&[ACK, 0xab, 0x83]),
            0xee => self.reply(&[0xee]),
            _ => self.reply(&[RESEND]),
        }
    }

    /// A key from the host's input; dropped while scanning is off or the queue is full.
    pub fn key(&mut self, evdev: u16, down: bool) {
        if !self.scanning {
            return;
        }
        let Some(mut seq) = set2_sequence(evdev, down) else {
            return;
        };
        if self.set == 1 {
            let mut brk = false;
            seq = seq.iter().filter_map(|&b| translate(b, &mut brk)).collect();
        }
        if self.queue.len() + seq.len() > QUEUE_MAX - RESERVED {
            self.dropped += 1;
            return;
        }
        self.queue.extend(&seq);
        if let Some(&b) = seq.last() {
            self.last = b;
        }
    }

    pub fn save(&self) -> KeyboardState {
        KeyboardState {
            queue: self.queue.iter().copied().collect(),
            scanning: self.scanning,
            set: self.set,
            leds: self.leds,
            typematic: self.typematic,
            expect: self.expect,
            last: self.last,
        }
    }

    pub fn restore(&mut self, s: &KeyboardState) -> Result<(), String> {
        if s.queue.len() > QUEUE_MAX {
            return Err(format!(
                "PS/2 keyboard: queue of {} bytes (at most {QUEUE_MAX})",
                s.queue.len()
            ));
        }
        if !(1..=3).contains(&s.set) {
            return Err(format!("PS/2 keyboard: scancode set {}", s.set));
        }
        self.queue = s.queue.iter().copied().collect();
        self.scanning = s.scanning;
        self.set = s.set;
        self.leds = s.leds;
        self.typematic = s.typematic;
        self.expect = s.expect;
        self.last = s.last;
        Ok(())
    }
}

/// The i8042's set 2 → set 1 translation for bytes below 0x80 (bytes above pass through,
/// but for 0x83 (F7) and 0x84 (SysRq)); 0xf0 (break prefix) sets bit 7 of the next byte.
const XLATE: [u8; 128] = [
    0xff, 0x43, 0x41, 0x3f, 0x3d, 0x3b, 0x3c, 0x58, 0x64, 0x44, 0x42, 0x40, 0x3e, 0x0f, 0x29, 0x59,
    0x65, 0x38, 0x2a, 0x70, 0x1d, 0x10, 0x02, 0x5a, 0x66, 0x71, 0x2c, 0x1f, 0x1e, 0x11, 0x03, 0x5b,
    0x67, 0x2e, 0x2d, 0x20, 0x12, 0x05, 0x04, 0x5c, 0x68, 0x39, 0x2f, 0x21, 0x14, 0x13, 0x06, 0x5d,
    0x69, 0x31, 0x30, 0x23, 0x22, 0x15, 0x07, 0x5e, 0x6a, 0x72, 0x32, 0x24, 0x16, 0x08, 0x09, 0x5f,
    0x6b, 0x33, 0x25, 0x17, 0x18, 0x0b, 0x0a, 0x60, 0x6c, 0x34, 0x35, 0x26, 0x27, 0x19, 0x0c, 0x61,
    0x6d, 0x73, 0x28, 0x74, 0x1a, 0x0d, 0x62, 0x6e, 0x3a, 0x36, 0x1c, 0x1b, 0x75, 0x2b, 0x63, 0x76,
    0x55, 0x56, 0x77, 0x78, 0x79, 0x7a, 0x0e, 0x7b, 0x7c, 0x4f, 0x7d, 0x4b, 0x47, 0x7e, 0x7f, 0x6f,
    0x52, 0x53, 0x50, 0x4c, 0x4d, 0x48, 0x01, 0x45, 0x57, 0x4e, 0x51, 0x4a, 0x37, 0x49, 0x46, 0x54,
];

/// Translates one set 2 byte to set 1; `None` for the break prefix, which it remembers in
/// `brk` for the next byte.
pub fn translate(b: u8, brk: &mut bool) -> Option<u8> {
    if b == 0xf0 {
        *brk = true;
        return None;
    }
    let t = match b {
        0..=0x7f => XLATE[usize::from(b)],
        0x83 => 0x41,
        0x84 => 0x54,
        _ => b,
    };
    Some(if std::mem::take(brk) { t | 0x80 } else { t })
}

/// The set 2 make (or break) sequence of an evdev key code, `None` for keys a PS/2 keyboard
/// does not have.
pub fn set2_sequence(evdev: u16, down: bool) -> Option<Vec<u8>> {
    match evdev {
        // PrintScreen: a fake shift around E0 7C.
        99 => {
            return Some(if down {
                vec![0xe0, 0x12, 0xe0, 0x7c]
            } else {
                vec![0xe0, 0xf0, 0x7c, 0xe0, 0xf0, 0x12]
            })
        }
        // Pause: one sequence on press, nothing on release.
        119 => {
            return Some(if down {
                vec![0xe1, 0x14, 0x77, 0xe1, 0xf0, 0x14, 0xf0, 0x77]
            } else {
                Vec::new()
            })
        }
        _ => {}
    }
    let code = set2_code(evdev)?;
    let (e0, c) = ((code >> 8) == 0xe0, code as u8);
    let mut seq = Vec::with_capacity(3);
    if e0 {
        seq.push(0xe0);
    }
    if !down {
        seq.push(0xf0);
    }
    seq.push(c);
    Some(seq)
}

/// evdev code → set 2 code (0xe0xx for E0-prefixed keys).
fn set2_code(evdev: u16) -> Option<u16> {
    // evdev 1..=88, in order (0 = none).
    const MAIN: [u8; 88] = [
        0x76, 0x16, 0x1e, 0x26, 0x25, 0x2e, 0x36, 0x3d, 0x3e, 0x46, 0x45, 0x4e, 0x55,
        0x66, // 1–14
        0x0d, 0x15, 0x1d, 0x24, 0x2d, 0x2c, 0x35, 0x3c, 0x43, 0x44, 0x4d, 0x54, 0x5b,
        0x5a, // 15–28
        0x14, 0x1c, 0x1b, 0x23, 0x2b, 0x34, 0x33, 0x3b, 0x42, 0x4b, 0x4c, 0x52, 0x0e,
        0x12, // 29–42
        0x5d, 0x1a, 0x22, 0x21, 0x2a, 0x32, 0x31, 0x3a, 0x41, 0x49, 0x4a, 0x59, 0x7c,
        0x11, // 43–56
        0x29, 0x58, 0x05, 0x06, 0x04, 0x0c, 0x03, 0x0b, 0x83, 0x0a, 0x01, 0x09, 0x77,
        0x7e, // 57–70
        0x6c, 0x75, 0x7d, 0x7b, 0x6b, 0x73, 0x74, 0x79, 0x69, 0x72, 0x7a, 0x70,
        0x71, // 71–83
        0, 0, 0x61, 0x78, 0x07, // 84–88
    ];
    let code = match evdev {
        1..=88 => match MAIN[usize::from(evdev - 1)] {
            0 => return None,
            c => u16::from(c),
        },
        89 => 0x51,    // KEY_RO
        96 => 0xe05a,  // KP Enter
        97 => 0xe014,  // right Ctrl
        98 => 0xe04a,  // KP /
        100 => 0xe011, // right Alt
        102 => 0xe06c, // Home
        103 => 0xe075, // Up
        104 => 0xe07d, // PageUp
        105 => 0xe06b, // Left
        106 => 0xe074, // Right
        107 => 0xe069, // End
        108 => 0xe072, // Down
        109 => 0xe07a, // PageDown
        110 => 0xe070, // Insert
        111 => 0xe071, // Delete
        113 => 0xe023, // Mute
        114 => 0xe021, // Volume down
        115 => 0xe032, // Volume up
        116 => 0xe037, // Power
        117 => 0x0f,   // KP =
        121 => 0x6d,   // KP ,
        124 => 0x6a,   // Yen
        125 => 0xe01f, // left Meta
        126 => 0xe027, // right Meta
        127 => 0xe02f, // Menu
        142 => 0xe03f, // Sleep
        143 => 0xe05e, // Wake
        _ => return None,
    };
    Some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(k: &mut Keyboard) -> Vec<u8> {
        std::iter::from_fn(|| k.pop()).collect()
    }

    #[test]
    fn commands_answer_as_a_ps2_keyboard() {
        let mut k = Keyboard::default();
        k.write(0xff);
        assert_eq!(drain(&mut k), [ACK, BAT_OK]);
        k.write(0xf2);
        assert_eq!(drain(&mut k), [ACK, 0xab, 0x83]);
        k.write(0xee);
        assert_eq!(drain(&mut k), [0xee]);
        k.write(0xf0);
        k.write(0);
        assert_eq!(drain(&mut k), [ACK, ACK, 2]);
        k.write(0xf0);
        k.write(9);
        assert_eq!(drain(&mut k), [ACK, RESEND], "set 9 refused");
        k.write(0xed);
        k.write(0xff);
        assert_eq!(drain(&mut k), [ACK, ACK]);
        assert_eq!(k.leds(), 7);
        k.write(0x42);
        assert_eq!(drain(&mut k), [RESEND], "unknown command");
        k.write(0xfe);
        assert_eq!(drain(&mut k), [RESEND], "resend repeats the last byte");
        k.write(0xf5);
        drain(&mut k);
        k.key(30, true);
        assert!(drain(&mut k).is_empty(), "no keys while disabled");
        k.write(0xf4);
        drain(&mut k);
        k.key(30, true);
        assert_eq!(drain(&mut k), [0x1c]);
    }

    #[test]
    fn set2_sequences_cover_plain_e0_pause_and_printscreen() {
        assert_eq!(set2_sequence(30, true).unwrap(), [0x1c]);
        assert_eq!(set2_sequence(30, false).unwrap(), [0xf0, 0x1c]);
        assert_eq!(set2_sequence(28, true).unwrap(), [0x5a]);
        assert_eq!(set2_sequence(103, true).unwrap(), [0xe0, 0x75]);
        assert_eq!(set2_sequence(103, false).unwrap(), [0xe0, 0xf0, 0x75]);
        assert_eq!(set2_sequence(65, true).unwrap(), [0x83], "F7");
        assert_eq!(set2_sequence(119, false).unwrap(), Vec::<u8>::new());
        assert_eq!(set2_sequence(99, true).unwrap(), [0xe0, 0x12, 0xe0, 0x7c]);
        assert!(set2_sequence(84, true).is_none());
        assert!(set2_sequence(0xffff, true).is_none());
        // Every main-block key has a distinct code.
        let mut seen = std::collections::HashSet::new();
        for k in (1..=88).chain(96..=127) {
            if let Some(c) = set2_code(k) {
                assert!(seen.insert(c), "evdev {k}: code {c:#x} twice");
            }
        }
    }

    #[test]
    fn translation_gives_set1() {
        let set1 = |seq: &[u8]| {
            let mut brk = false;
            seq.iter()
                .filter_map(|&b| translate(b, &mut brk))
                .collect::<Vec<_>>()
        };
        // A, Esc, Enter, B make and break.
        assert_eq!(set1(&[0x1c, 0xf0, 0x1c]), [0x1e, 0x9e]);
        assert_eq!(set1(&[0x76]), [0x01]);
        assert_eq!(set1(&[0x5a]), [0x1c]);
        assert_eq!(set1(&[0x32]), [0x30]);
        assert_eq!(set1(&[0xe0, 0xf0, 0x75]), [0xe0, 0xc8], "Up break");
        assert_eq!(
            set1(&set2_sequence(119, true).unwrap()),
            [0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5]
        );
        assert_eq!(
            set1(&[0xfa, 0xab, 0x83]),
            [0xfa, 0xab, 0x41],
            "the ID as translated"
        );
    }

    #[test]
    fn set1_keyboard_sends_set1_itself() {
        let mut k = Keyboard::default();
        k.write(0xf0);
        k.write(1);
        drain(&mut k);
        k.key(30, false);
        assert_eq!(drain(&mut k), [0x9e]);
    }

    #[test]
    fn a_guest_that_never_reads_cannot_grow_the_queue() {
        let mut k = Keyboard::default();
        for _ in 0..10_000 {
            k.key(103, true);
        }
        assert!(k.queue.len() <= QUEUE_MAX - RESERVED);
        assert!(k.dropped > 0);
        // Replies still fit.
        k.write(0xee);
        assert_eq!(k.queue.back(), Some(&0xee));
        for _ in 0..10_000 {
            k.write(0xf2);
        }
        assert!(k.queue.len() <= QUEUE_MAX);
    }
}
