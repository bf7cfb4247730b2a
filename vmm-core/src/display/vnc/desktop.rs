//! Desktop size and pointer shape on the wire: SetDesktopSize's answer, ExtendedDesktopSize
//! pseudo-rectangles (rfbproto) and Cursor pseudo-rectangles (RFC 6143 §7.8.1).
//!
//! # Size requests
//!
//! A client that lists ExtendedDesktopSize gets one (reason 0, the current size, one screen
//! with id 0) before the pixels of every non-incremental update, as the spec asks, and then
//! may send SetDesktopSize. We have one monitor, so a valid layout is exactly one screen
//! covering the requested framebuffer. The answer, in its own update right away, is reason 1
//! with status:
//!
//! - 1 (prohibited) when the display cannot be told a size (framebuffer, VGA);
//! - 3 (invalid) for another layout, or a size below the display's minimum;
//! - 2 (out of resources) for a size beyond the display's maximum;
//! - 0 (no error) when the frame already has that size (the display is still told, so an
//!   earlier request the guest has not acted on yet is replaced);
//! - 4 (request forwarded) otherwise: the guest's driver is told (virtio-gpu's display
//!   event), as QEMU does. When the guest then sets the mode, every client gets the new size as
//!   reason 0 (ExtendedDesktopSize, or DesktopSize for clients without it), like any change
//!   the guest makes on its own, followed by the whole frame.

use super::encode::{encode_raw, PixelConverter};
use super::proto::{Screen, ENCODING_CURSOR, ENCODING_EXTENDED_DESKTOP_SIZE};
use crate::display::{CursorShape, DisplayResize, Rect, ResizeError};

/// ExtendedDesktopSize reasons (the rectangle's x).
pub const REASON_SERVER: u16 = 0;
pub const REASON_CLIENT: u16 = 1;
/// ExtendedDesktopSize status codes (the rectangle's y).
pub const STATUS_OK: u16 = 0;
pub const STATUS_PROHIBITED: u16 = 1;
pub const STATUS_OUT_OF_RESOURCES: u16 = 2;
pub const STATUS_INVALID: u16 = 3;
pub const STATUS_FORWARDED: u16 = 4;

/// The one screen we have, covering a `w` x `h` framebuffer.
pub fn our_screen(w: u32, h: u32) -> Screen {
    Screen {
        id: 0,
        x: 0,
        y: 0,
        w: w as u16,
        h: h as u16,
        flags: 0,
    }
}

/// Whether a SetDesktopSize layout is one we can have: one screen, at 0,0, the requested
/// size, not empty. `count` is the number of screens the client sent, `screens` those kept.
pub fn check_layout(width: u16, height: u16, count: u8, screens: &[Screen]) -> Result<(), u16> {
    if width == 0 || height == 0 || count != 1 {
        return Err(STATUS_INVALID);
    }
    match screens {
        [s] if s.x == 0 && s.y == 0 && s.w == width && s.h == height => Ok(()),
        _ => Err(STATUS_INVALID),
    }
}

/// The status a SetDesktopSize gets: the layout is checked, then the display asked (through
/// `resize`, None for a display that cannot change size). `current` is the frame's size now.
pub fn answer_request(
    resize: Option<&dyn DisplayResize>,
    current: (u32, u32),
    width: u16,
    height: u16,
    count: u8,
    screens: &[Screen],
) -> u16 {
    let Some(resize) = resize else {
        return STATUS_PROHIBITED;
    };
    if let Err(status) = check_layout(width, height, count, screens) {
        return status;
    }
    let (w, h) = (u32::from(width), u32::from(height));
    // Asked even for the current size: it replaces any request the guest has not acted on.
    match resize.request_size(w, h) {
        Ok(()) if (w, h) == current => STATUS_OK,
        Ok(()) => STATUS_FORWARDED,
        Err(ResizeError::Invalid(_)) => STATUS_INVALID,
        Err(ResizeError::TooLarge(_)) => STATUS_OUT_OF_RESOURCES,
    }
}

/// Appends one ExtendedDesktopSize pseudo-rectangle with one screen.
pub fn put_extended_desktop_size(
    msg: &mut Vec<u8>,
    reason: u16,
    status: u16,
    (w, h): (u32, u32),
    screen: Screen,
) {
    for v in [reason, status, w as u16, h as u16] {
        msg.extend_from_slice(&v.to_be_bytes());
    }
    msg.extend_from_slice(&ENCODING_EXTENDED_DESKTOP_SIZE.to_be_bytes());
    msg.extend_from_slice(&[1, 0, 0, 0]);
    msg.extend_from_slice(&screen.to_bytes());
}

/// A whole FramebufferUpdate of ExtendedDesktopSize rectangles only (the spec allows no
/// pixel data in an update that has one): `(reason, status, size, screen)` each.
pub fn extended_desktop_size_update(msg: &mut Vec<u8>, rects: &[(u16, u16, (u32, u32), Screen)]) {
    msg.extend_from_slice(&[0, 0]);
    msg.extend_from_slice(&(rects.len() as u16).to_be_bytes());
    for &(reason, status, size, screen) in rects {
        put_extended_desktop_size(msg, reason, status, size, screen);
    }
}

/// Appends a Cursor pseudo-rectangle: the hot spot as x, y; the pixels in the client's format;
/// then the bitmask (rows of whole bytes, most significant bit leftmost), set where alpha is
/// at least half. A hidden pointer is a 0 x 0 cursor with no data.
pub fn put_cursor(msg: &mut Vec<u8>, conv: &PixelConverter, shape: &CursorShape) {
    let (w, h) = (shape.w as usize, shape.h as usize);
    let whole = w > 0 && h > 0 && shape.pixels.len() == w * h * 4 && w <= 0xffff && h <= 0xffff;
    let r = if whole {
        Rect {
            x: shape.hot_x.min(shape.w - 1),
            y: shape.hot_y.min(shape.h - 1),
            w: shape.w,
            h: shape.h,
        }
    } else {
        Rect {
            x: 0,
            y: 0,
            w: 0,
            h: 0,
        }
    };
    for v in [r.x, r.y, r.w, r.h] {
        msg.extend_from_slice(&(v as u16).to_be_bytes());
    }
    msg.extend_from_slice(&ENCODING_CURSOR.to_be_bytes());
    if !whole {
        return;
    }
    encode_raw(conv, &shape.pixels, msg);
    let row = w.div_ceil(8);
    for y in 0..h {
        let at = msg.len();
        msg.resize(at + row, 0);
        for x in 0..w {
            if shape.pixels[(y * w + x) * 4 + 3] >= 0x80 {
                msg[at + x / 8] |= 0x80 >> (x % 8);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::proto::PixelFormat;
    use super::*;
    use std::sync::Mutex;

    fn screen(w: u16, h: u16) -> Screen {
        Screen {
            id: 7,
            x: 0,
            y: 0,
            w,
            h,
            flags: 0,
        }
    }

    #[test]
    fn only_one_screen_covering_the_framebuffer_is_a_valid_layout() {
        assert_eq!(check_layout(1024, 600, 1, &[screen(1024, 600)]), Ok(()));
        let bad: Vec<(u16, u16, u8, Vec<Screen>)> = vec![
            (0, 600, 1, vec![screen(0, 600)]),
            (1024, 600, 0, vec![]),
            (1024, 600, 2, vec![screen(512, 600), screen(512, 600)]),
            (1024, 600, 1, vec![screen(1000, 600)]),
            (
                1024,
                600,
                1,
                vec![Screen {
                    x: 1,
                    ..screen(1024, 600)
                }],
            ),
            // A count that does not match what was kept (more than MAX_SCREENS sent).
            (1024, 600, 200, vec![screen(1024, 600)]),
        ];
        for (w, h, n, s) in bad {
            assert_eq!(
                check_layout(w, h, n, &s),
                Err(STATUS_INVALID),
                "{w}x{h} {s:?}"
            );
        }
    }

    struct Fake(Mutex<Vec<(u32, u32)>>);
    impl DisplayResize for Fake {
        fn request_size(&self, w: u32, h: u32) -> Result<(), ResizeError> {
            if w > 4000 {
                return Err(ResizeError::TooLarge("big".into()));
            }
            if w < 64 {
                return Err(ResizeError::Invalid("small".into()));
            }
            self.0.lock().unwrap().push((w, h));
            Ok(())
        }
    }

    #[test]
    fn answers_follow_the_display() {
        let fake = Fake(Mutex::new(vec![]));
        let ask = |d: Option<&dyn DisplayResize>, w: u16, h: u16| {
            answer_request(d, (640, 480), w, h, 1, &[screen(w, h)])
        };
        assert_eq!(ask(None, 800, 600), STATUS_PROHIBITED);
        assert_eq!(ask(Some(&fake), 800, 600), STATUS_FORWARDED);
        assert_eq!(ask(Some(&fake), 640, 480), STATUS_OK);
        assert_eq!(ask(Some(&fake), 5000, 600), STATUS_OUT_OF_RESOURCES);
        assert_eq!(ask(Some(&fake), 32, 600), STATUS_INVALID);
        assert_eq!(
            answer_request(Some(&fake), (640, 480), 800, 600, 1, &[screen(80, 60)]),
            STATUS_INVALID
        );
        // Only valid layouts reached the display.
        assert_eq!(*fake.0.lock().unwrap(), vec![(800, 600), (640, 480)]);
    }

    #[test]
    fn extended_desktop_size_bytes() {
        let mut m = Vec::new();
        extended_desktop_size_update(
            &mut m,
            &[(
                REASON_CLIENT,
                STATUS_FORWARDED,
                (640, 480),
                our_screen(640, 480),
            )],
        );
        assert_eq!(
            m,
            [
                &[0u8, 0, 0, 1][..],
                &[0, 1, 0, 4, 2, 128, 1, 224],
                &(-308i32).to_be_bytes(),
                &[1, 0, 0, 0],
                &[0, 0, 0, 0, 0, 0, 0, 0, 2, 128, 1, 224, 0, 0, 0, 0],
            ]
            .concat()
        );
    }

    #[test]
    fn cursor_has_pixels_then_a_mask_from_alpha() {
        // 9 x 2: the mask rows take two bytes each. Opaque where x == y or x == 8.
        let (w, h) = (9u32, 2u32);
        let mut pixels = Vec::new();
        for y in 0..h {
            for x in 0..w {
                let a = if x == y || x == 8 { 0xff } else { 0x10 };
                pixels.extend_from_slice(&[x as u8, y as u8, 0x33, a]);
            }
        }
        let shape = CursorShape {
            w,
            h,
            hot_x: 3,
            hot_y: 9,
            pixels,
        };
        let conv = PixelConverter::new(&PixelFormat::XRGB8888);
        let mut m = Vec::new();
        put_cursor(&mut m, &conv, &shape);
        // Hot spot clamped into the image.
        assert_eq!(&m[..8], &[0, 3, 0, 1, 0, 9, 0, 2]);
        assert_eq!(&m[8..12], &(-239i32).to_be_bytes());
        let px = &m[12..12 + 18 * 4];
        assert_eq!(&px[4..8], &[1, 0, 0x33, 0]);
        assert_eq!(&px[(9 + 2) * 4..(9 + 3) * 4], &[2, 1, 0x33, 0]);
        assert_eq!(
            &m[12 + 72..],
            &[0b1000_0000, 0b1000_0000, 0b0100_0000, 0b1000_0000]
        );

        let mut m = Vec::new();
        put_cursor(&mut m, &conv, &CursorShape::default());
        assert_eq!(m.len(), 12, "a hidden cursor has no data");
        assert_eq!(&m[4..8], &[0, 0, 0, 0]);
    }
}
