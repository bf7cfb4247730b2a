//! The PS/2 mouse behind the i8042's second (AUX) port: its command set (QEMU's
//! `hw/input/ps2.c`, Linux's psmouse probe) and 3-byte packets, or 4-byte IntelliMouse
//! packets with the wheel once the guest knocked with sample rates 200, 100, 80.

use super::keyboard::{ACK, BAT_OK, RESEND};
use std::collections::VecDeque;

/// Bytes waiting for the controller; packets that would not fit in `QUEUE_MAX - RESERVED`
/// are dropped, so command replies always have room.
pub const QUEUE_MAX: usize = 256;
const RESERVED: usize = 8;
/// The most a packet moves on one axis (9-bit two's complement).
pub const MAX_STEP: i32 = 255;

pub struct Mouse {
    queue: VecDeque<u8>,
    reporting: bool,
    remote: bool,
    /// Wrap (echo) mode: every byte but 0xec and 0xff comes back.
    wrap: bool,
    rate: u8,
    resolution: u8,
    scaling_2to1: bool,
    /// 0, or 3 once the IntelliMouse knock was seen.
    id: u8,
    /// The last three sample rates the guest set, oldest first.
    knock: [u8; 3],
    expect: Option<u8>,
    /// Buttons in PS/2 order: bit 0 left, bit 1 right, bit 2 middle.
    buttons: u8,
    pub dropped: u64,
}

/// The mouse in a snapshot.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MouseState {
    pub queue: Vec<u8>,
    pub reporting: bool,
    pub remote: bool,
    pub wrap: bool,
    pub rate: u8,
    pub resolution: u8,
    pub scaling_2to1: bool,
    pub id: u8,
    pub knock: [u8; 3],
    pub expect: Option<u8>,
    pub buttons: u8,
}

impl Default for Mouse {
    fn default() -> Self {
        Mouse {
            queue: VecDeque::new(),
            reporting: false,
            remote: false,
            wrap: false,
            rate: 100,
            resolution: 2,
            scaling_2to1: false,
            id: 0,
            knock: [0; 3],
            expect: None,
            buttons: 0,
            dropped: 0,
        }
    }
}

impl Mouse {
    pub fn pop(&mut self) -> Option<u8> {
        self.queue.pop_front()
    }

    pub fn id(&self) -> u8 {
        self.id
    }

    fn reply(&mut self, bytes: &[u8]) {
        super::push_bounded(&mut self.queue, QUEUE_MAX, &mut self.dropped, bytes);
    }

    fn defaults(&mut self) {
        self.reporting = false;
        self.remote = false;
        self.rate = 100;
        self.resolution = 2;
        self.scaling_2to1 = false;
        self.expect = None;
    }

    /// A byte the guest sent through the controller's 0xd4.
    pub fn write(&mut self, v: u8) {
        if self.wrap && v != 0xec && v != 0xff {
            self.reply(&[v]);
            return;
        }
        if let Some(cmd) = self.expect.take() {
            if cmd == 0xf3 {
                self.rate = v;
                self.knock = [self.knock[1], self.knock[2], v];
                if self.knock == [200, 100, 80] {
                    self.id = 3;
                }
            } else {
                self.resolution = v & 3;
            }
            self.reply(&[ACK]);
            return;
        }
        match v {
            0xff => {
                self.defaults();
                self.wrap = false;
                self.id = 0;
                self.knock = [0; 3];
                self.queue.clear();
                self.reply(&[ACK, BAT_OK, 0]);
            }
            0xf6 => {
                self.defaults();
                self.reply(&[ACK]);
            }
            0xf5 => {
                self.reporting = false;
                self.reply(&[ACK]);
            }
            0xf4 => {
                self.reporting = true;
                self.reply(&[ACK]);
            }
            0xf3 | 0xe8 => {
                self.expect = Some(v);
                self.reply(&[ACK]);
            }
            0xf2 => {
                let id = self.id;
                self.reply(&[ACK, id]);
            }
            0xf0 => {
                self.remote = true;
                self.reply(&[ACK]);
            }
            0xee | 0xec => {
                self.wrap = v == 0xee;
                self.reply(&[ACK]);
            }
            0xea => {
                self.remote = false;
                self.reply(&[ACK]);
            }
            0xe9 => {
                // Status: remote, enabled, scaling, then left/middle/right at bits 2/1/0.
                let b = self.buttons;
                let status = u8::from(self.remote) << 6
                    | u8::from(self.reporting) << 5
                    | u8::from(self.scaling_2to1) << 4
                    | (b & 1) << 2
                    | (b & 4) >> 1
                    | (b & 2) >> 1;
                let (res, rate) = (self.resolution, self.rate);
                self.reply(&[ACK, status, res, rate]);
            }
            0xeb => {
                // Read data (remote mode): a packet with no motion.
                self.reply(&[ACK]);
                let p = self.packet(0, 0, 0);
                self.reply(&p[..self.packet_len()]);
            }
            0xe6 => {
                self.scaling_2to1 = false;
                self.reply(&[ACK]);
            }
            0xe7 => {
                self.scaling_2to1 = true;
                self.reply(&[ACK]);
            }
            _ => self.reply(&[RESEND]),
        }
    }

    fn packet_len(&self) -> usize {
        if self.id == 3 {
            4
        } else {
            3
        }
    }

    /// One packet; `dx`, `dy` (positive up) already within ±MAX_STEP, `dz` within -8..=7.
    fn packet(&self, dx: i32, dy: i32, dz: i32) -> [u8; 4] {
        let b0 = 0x08 | (self.buttons & 7) | u8::from(dx < 0) << 4 | u8::from(dy < 0) << 5;
        [b0, dx as u8, dy as u8, dz as u8]
    }

    /// Motion from the host: `dy` positive is up (PS/2's sense), `dz` positive scrolls down.
    /// Large moves are split into packets of at most ±255; nothing is sent unless reporting
    /// is on in stream mode.
    pub fn motion(&mut self, dx: i32, dy: i32, dz: i32, buttons: u8) {
        let changed = buttons & 7 != self.buttons;
        self.buttons = buttons & 7;
        if !self.reporting || self.remote || self.wrap {
            return;
        }
        let (mut dx, mut dy, mut dz) = (
            dx.clamp(-65536, 65536),
            dy.clamp(-65536, 65536),
            dz.clamp(-64, 64),
        );
        let mut first = true;
        while first || dx != 0 || dy != 0 || dz != 0 {
            first = false;
            let sx = dx.clamp(-MAX_STEP, MAX_STEP);
            let sy = dy.clamp(-MAX_STEP, MAX_STEP);
            let sz = if self.id == 3 { dz.clamp(-8, 7) } else { 0 };
            (dx, dy, dz) = (dx - sx, dy - sy, if self.id == 3 { dz - sz } else { 0 });
            if sx == 0 && sy == 0 && sz == 0 && !changed {
                break;
            }
            let n = self.packet_len();
            if self.queue.len() + n > QUEUE_MAX - RESERVED {
                self.dropped += 1;
                return;
            }
            let p = self.packet(sx, sy, sz);
            self.queue.extend(&p[..n]);
        }
    }

    pub fn save(&self) -> MouseState {
        MouseState {
            queue: self.queue.iter().copied().collect(),
            reporting: self.reporting,
            remote: self.remote,
            wrap: self.wrap,
            rate: self.rate,
            resolution: self.resolution,
            scaling_2to1: self.scaling_2to1,
            id: self.id,
            knock: self.knock,
            expect: self.expect,
            buttons: self.buttons,
        }
    }

    pub fn restore(&mut self, s: &MouseState) -> Result<(), String> {
        if s.queue.len() > QUEUE_MAX {
            return Err(format!(
                "PS/2 mouse: queue of {} bytes (at most {QUEUE_MAX})",
                s.queue.len()
            ));
        }
        if s.id != 0 && s.id != 3 {
            return Err(format!("PS/2 mouse: device id {}", s.id));
        }
        self.queue = s.queue.iter().copied().collect();
        self.reporting = s.reporting;
        self.remote = s.remote;
        self.wrap = s.wrap;
        self.rate = s.rate;
        self.resolution = s.resolution & 3;
        self.scaling_2to1 = s.scaling_2to1;
        self.id = s.id;
        self.knock = s.knock;
        self.expect = s.expect.filter(|&c| c == 0xf3 || c == 0xe8);
        self.buttons = s.buttons & 7;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(m: &mut Mouse) -> Vec<u8> {
        std::iter::from_fn(|| m.pop()).collect()
    }

    #[test]
    fn reset_identify_and_the_intellimouse_knock() {
        let mut m = Mouse::default();
        m.write(0xff);
        assert_eq!(drain(&mut m), [ACK, BAT_OK, 0]);
        m.write(0xf2);
        assert_eq!(drain(&mut m), [ACK, 0]);
        for r in [200, 100, 80] {
            m.write(0xf3);
            m.write(r);
        }
        assert_eq!(drain(&mut m).len(), 6, "an ACK for each byte");
        m.write(0xf2);
        assert_eq!(drain(&mut m), [ACK, 3]);
        m.write(0xe8);
        m.write(3);
        m.write(0xe7);
        m.write(0xf4);
        drain(&mut m);
        m.write(0xe9);
        assert_eq!(drain(&mut m), [ACK, 0x30, 3, 80]);
        m.write(0x42);
        assert_eq!(drain(&mut m), [RESEND]);
        // Wrap mode echoes until 0xec.
        m.write(0xee);
        m.write(0x42);
        m.write(0xf2);
        m.write(0xec);
        m.write(0x42);
        assert_eq!(drain(&mut m), [ACK, 0x42, 0xf2, ACK, RESEND]);
        m.write(0xff);
        m.write(0xf2);
        assert_eq!(
            drain(&mut m),
            [ACK, BAT_OK, 0, ACK, 0],
            "reset forgets the wheel"
        );
    }

    #[test]
    fn packets_encode_sign_buttons_and_wheel() {
        let mut m = Mouse::default();
        m.motion(5, 5, 0, 1);
        assert!(drain(&mut m).is_empty(), "nothing before 0xf4");
        m.write(0xf4);
        drain(&mut m);
        m.motion(5, -3, 0, 1 | 4);
        assert_eq!(drain(&mut m), [0x08 | 1 | 4 | 0x20, 5, 0xfd]);
        m.motion(-1, 0, 0, 0);
        assert_eq!(drain(&mut m), [0x08 | 0x10, 0xff, 0]);
        // A button change alone is a packet; no change and no motion is none.
        m.motion(0, 0, 0, 2);
        assert_eq!(drain(&mut m), [0x08 | 2, 0, 0]);
        m.motion(0, 0, 0, 2);
        assert!(drain(&mut m).is_empty());
        // 600 right: 255 + 255 + 90.
        m.motion(600, 0, 0, 2);
        let p = drain(&mut m);
        assert_eq!(p.len(), 9);
        assert_eq!([p[1], p[4], p[7]], [255, 255, 90]);
        // Wheel only with id 3.
        m.motion(0, 0, 1, 2);
        assert!(drain(&mut m).is_empty());
        for r in [200, 100, 80] {
            m.write(0xf3);
            m.write(r);
        }
        drain(&mut m);
        m.motion(0, 0, -1, 0);
        assert_eq!(drain(&mut m), [0x08, 0, 0, 0xff]);
    }

    #[test]
    fn huge_moves_and_a_guest_that_never_reads_stay_bounded() {
        let mut m = Mouse::default();
        m.write(0xf4);
        for _ in 0..1000 {
            m.motion(i32::MAX, i32::MIN, i32::MAX, 7);
        }
        assert!(m.queue.len() <= QUEUE_MAX - RESERVED);
        assert!(m.dropped > 0);
        m.write(0xf2);
        assert_eq!(m.queue.back(), Some(&0));
    }
}
