//! RFB wire format: the pixel format, the client-to-server messages and their parser.
//!
//! The parser works on a byte buffer, not a socket, so the session can feed it whatever
//! arrived and the fuzz target (`vmm-core/fuzz`) can feed it arbitrary bytes.

use std::fmt;

/// Message types a client sends (RFC 6143 §7.5).
pub const MSG_SET_PIXEL_FORMAT: u8 = 0;
pub const MSG_SET_ENCODINGS: u8 = 2;
pub const MSG_FRAMEBUFFER_UPDATE_REQUEST: u8 = 3;
pub const MSG_KEY_EVENT: u8 = 4;
pub const MSG_POINTER_EVENT: u8 = 5;
pub const MSG_CLIENT_CUT_TEXT: u8 = 6;
/// SetDesktopSize (community RFB spec, rfbproto): the client asks for a framebuffer size.
pub const MSG_SET_DESKTOP_SIZE: u8 = 251;

/// Encodings and pseudo-encodings (RFC 6143 §7.7, §7.8).
pub const ENCODING_RAW: i32 = 0;
pub const ENCODING_COPY_RECT: i32 = 1;
pub const ENCODING_ZRLE: i32 = 16;
pub const ENCODING_DESKTOP_SIZE: i32 = -223;
/// The Cursor pseudo-encoding: the client draws the pointer (image + bitmask + hot spot).
pub const ENCODING_CURSOR: i32 = -239;
/// The ExtendedDesktopSize pseudo-encoding (rfbproto): size changes with a reason and a
/// status, and the client may ask for sizes with SetDesktopSize.
pub const ENCODING_EXTENDED_DESKTOP_SIZE: i32 = -308;

/// SetEncodings lists longer than this are refused. Real clients send a few dozen.
pub const MAX_ENCODINGS: usize = 1024;
/// ClientCutText longer than this is refused (we read and discard the text anyway).
pub const MAX_CUT_TEXT: usize = 1 << 20;
/// The largest message [`parse_client_message`] accepts, so the largest buffer a session
/// needs to hold.
pub const MAX_MESSAGE_LEN: usize = 8 + MAX_CUT_TEXT;
/// Screens of a SetDesktopSize kept by the parser; the rest are only counted (the message
/// itself is at most 8 + 255 * 16 bytes, read and skipped whole).
pub const MAX_SCREENS: usize = 16;

/// A screen of a SetDesktopSize or ExtendedDesktopSize layout (rfbproto `SCREEN`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Screen {
    pub id: u32,
    pub x: u16,
    pub y: u16,
    pub w: u16,
    pub h: u16,
    pub flags: u32,
}

impl Screen {
    pub const LEN: usize = 16;

    pub fn to_bytes(&self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[0..4].copy_from_slice(&self.id.to_be_bytes());
        b[4..6].copy_from_slice(&self.x.to_be_bytes());
        b[6..8].copy_from_slice(&self.y.to_be_bytes());
        b[8..10].copy_from_slice(&self.w.to_be_bytes());
        b[10..12].copy_from_slice(&self.h.to_be_bytes());
        b[12..16].copy_from_slice(&self.flags.to_be_bytes());
        b
    }

    fn parse(b: &[u8]) -> Screen {
        Screen {
            id: be32(&b[0..]),
            x: be16(&b[4..]),
            y: be16(&b[6..]),
            w: be16(&b[8..]),
            h: be16(&b[10..]),
            flags: be32(&b[12..]),
        }
    }
}

/// RFC 6143 §7.4: how a pixel is laid out on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PixelFormat {
    pub bits_per_pixel: u8,
    pub depth: u8,
    pub big_endian: bool,
    pub true_colour: bool,
    pub red_max: u16,
    pub green_max: u16,
    pub blue_max: u16,
    pub red_shift: u8,
    pub green_shift: u8,
    pub blue_shift: u8,
}

impl PixelFormat {
    /// The framebuffer's own format: 32-bit little-endian XRGB8888.
    pub const XRGB8888: PixelFormat = PixelFormat {
        bits_per_pixel: 32,
        depth: 24,
        big_endian: false,
        true_colour: true,
        red_max: 255,
        green_max: 255,
        blue_max: 255,
        red_shift: 16,
        green_shift: 8,
        blue_shift: 0,
    };

    pub fn to_bytes(&self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[0] = self.bits_per_pixel;
        b[1] = self.depth;
        b[2] = self.big_endian as u8;
        b[3] = self.true_colour as u8;
        b[4..6].copy_from_slice(&self.red_max.to_be_bytes());
        b[6..8].copy_from_slice(&self.green_max.to_be_bytes());
        b[8..10].copy_from_slice(&self.blue_max.to_be_bytes());
        b[10] = self.red_shift;
        b[11] = self.green_shift;
        b[12] = self.blue_shift;
        b
    }

    pub fn from_bytes(b: &[u8; 16]) -> PixelFormat {
        PixelFormat {
            bits_per_pixel: b[0],
            depth: b[1],
            big_endian: b[2] != 0,
            true_colour: b[3] != 0,
            red_max: u16::from_be_bytes([b[4], b[5]]),
            green_max: u16::from_be_bytes([b[6], b[7]]),
            blue_max: u16::from_be_bytes([b[8], b[9]]),
            red_shift: b[10],
            green_shift: b[11],
            blue_shift: b[12],
        }
    }

    /// Whether we can produce pixels in this format: true colour at 8, 16 or 32 bits per
    /// pixel, with every channel inside the pixel. Colour-map formats are refused: the
    /// guest's framebuffer is true colour and we keep no palette.
    pub fn check_supported(&self) -> Result<(), PixelFormatError> {
        if !self.true_colour {
            return Err(PixelFormatError::ColourMap {
                bpp: self.bits_per_pixel,
                depth: self.depth,
            });
        }
        if !matches!(self.bits_per_pixel, 8 | 16 | 32) {
            return Err(PixelFormatError::Bpp(self.bits_per_pixel));
        }
        let bpp = u32::from(self.bits_per_pixel);
        for (name, max, shift) in [
            ("red", self.red_max, self.red_shift),
            ("green", self.green_max, self.green_shift),
            ("blue", self.blue_max, self.blue_shift),
        ] {
            let bits = 16 - max.leading_zeros();
            if u32::from(shift) + bits > bpp {
                return Err(PixelFormatError::ChannelOutside {
                    channel: name,
                    max,
                    shift,
                    bpp,
                });
            }
        }
        Ok(())
    }

    pub fn bytes_per_pixel(&self) -> usize {
        usize::from(self.bits_per_pixel / 8)
    }
}

/// A pixel format a client asked for that we cannot produce.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PixelFormatError {
    #[error("colour-map pixel formats are not supported ({bpp} bpp, depth {depth})")]
    ColourMap { bpp: u8, depth: u8 },
    #[error("{0} bits per pixel is not supported (8, 16 or 32)")]
    Bpp(u8),
    #[error("{channel} channel (max {max}, shift {shift}) does not fit in {bpp} bits")]
    ChannelOutside {
        channel: &'static str,
        max: u16,
        shift: u8,
        bpp: u32,
    },
}

/// A client-to-server message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientMessage {
    SetPixelFormat(PixelFormat),
    /// Encodings in the client's order of preference.
    SetEncodings(Vec<i32>),
    FramebufferUpdateRequest {
        incremental: bool,
        x: u16,
        y: u16,
        w: u16,
        h: u16,
    },
    KeyEvent {
        down: bool,
        keysym: u32,
    },
    PointerEvent {
        buttons: u8,
        x: u16,
        y: u16,
    },
    /// The clipboard text is discarded; only its length is kept.
    ClientCutText {
        len: usize,
    },
    /// A request for a framebuffer of `width` x `height` with this screen layout. `screens`
    /// holds the first [`MAX_SCREENS`] of the `count` screens the client sent.
    SetDesktopSize {
        width: u16,
        height: u16,
        count: u8,
        screens: Vec<Screen>,
    },
}

/// Why a client's byte stream is not a valid message. The session closes the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    UnknownMessageType(u8),
    TooManyEncodings(usize),
    CutTextTooLong(u32),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::UnknownMessageType(t) => write!(f, "unknown client message type {t}"),
            ParseError::TooManyEncodings(n) => {
                write!(
                    f,
                    "SetEncodings with {n} encodings (at most {MAX_ENCODINGS})"
                )
            }
            ParseError::CutTextTooLong(n) => {
                write!(f, "ClientCutText of {n} bytes (at most {MAX_CUT_TEXT})")
            }
        }
    }
}

impl std::error::Error for ParseError {}

fn be16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// Parses the first message in `buf`.
///
/// Returns `Ok(None)` when `buf` holds only part of a message (read more and call again),
/// `Ok(Some((message, bytes consumed)))`, or an error for a stream that can't be valid
/// (unknown message type, oversized length): the client must be disconnected.
/// Never needs more than [`MAX_MESSAGE_LEN`] bytes.
pub fn parse_client_message(buf: &[u8]) -> Result<Option<(ClientMessage, usize)>, ParseError> {
    let Some(&ty) = buf.first() else {
        return Ok(None);
    };
    let need = |n: usize| buf.len() >= n;
    let msg = match ty {
        MSG_SET_PIXEL_FORMAT => {
            // type, 3 padding, 16 pixel format
            if !need(20) {
                return Ok(None);
            }
            let mut pf = [0u8; 16];
            pf.copy_from_slice(&buf[4..20]);
            (
                ClientMessage::SetPixelFormat(PixelFormat::from_bytes(&pf)),
                20,
            )
        }
        MSG_SET_ENCODINGS => {
            // type, padding, count u16, count * i32
            if !need(4) {
                return Ok(None);
            }
            let n = usize::from(be16(&buf[2..4]));
            if n > MAX_ENCODINGS {
                return Err(ParseError::TooManyEncodings(n));
            }
            let len = 4 + 4 * n;
            if !need(len) {
                return Ok(None);
            }
            let list = buf[4..len]
                .chunks_exact(4)
                .map(|c| be32(c) as i32)
                .collect();
            (ClientMessage::SetEncodings(list), len)
        }
        MSG_FRAMEBUFFER_UPDATE_REQUEST => {
            if !need(10) {
                return Ok(None);
            }
            (
                ClientMessage::FramebufferUpdateRequest {
                    incremental: buf[1] != 0,
                    x: be16(&buf[2..]),
                    y: be16(&buf[4..]),
                    w: be16(&buf[6..]),
                    h: be16(&buf[8..]),
                },
                10,
            )
        }
        MSG_KEY_EVENT => {
            // type, down, 2 padding, keysym u32
            if !need(8) {
                return Ok(None);
            }
            (
                ClientMessage::KeyEvent {
                    down: buf[1] != 0,
                    keysym: be32(&buf[4..]),
                },
                8,
            )
        }
        MSG_POINTER_EVENT => {
            if !need(6) {
                return Ok(None);
            }
            (
                ClientMessage::PointerEvent {
                    buttons: buf[1],
                    x: be16(&buf[2..]),
                    y: be16(&buf[4..]),
                },
                6,
            )
        }
        MSG_CLIENT_CUT_TEXT => {
            // type, 3 padding, length u32, text
            if !need(8) {
                return Ok(None);
            }
            let n = be32(&buf[4..8]);
            if n as usize > MAX_CUT_TEXT {
                return Err(ParseError::CutTextTooLong(n));
            }
            let len = 8 + n as usize;
            if !need(len) {
                return Ok(None);
            }
            (ClientMessage::ClientCutText { len: n as usize }, len)
        }
        MSG_SET_DESKTOP_SIZE => {
            // type, padding, width u16, height u16, number-of-screens u8, padding, screens
            if !need(8) {
                return Ok(None);
            }
            let count = buf[6];
            let len = 8 + Screen::LEN * usize::from(count);
            if !need(len) {
                return Ok(None);
            }
            // The count is the client's: what is kept is bounded by MAX_SCREENS.
            let screens = buf[8..len]
                .chunks_exact(Screen::LEN)
                .take(MAX_SCREENS)
                .map(Screen::parse)
                .collect();
            (
                ClientMessage::SetDesktopSize {
                    width: be16(&buf[2..]),
                    height: be16(&buf[4..]),
                    count,
                    screens,
                },
                len,
            )
        }
        other => return Err(ParseError::UnknownMessageType(other)),
    };
    Ok(Some(msg))
}

/// The client's encoding choices that matter to us, from its SetEncodings list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodingPrefs {
    /// The first encoding in the client's list that we implement (Raw if none).
    pub encoding: i32,
    /// The client understands the DesktopSize pseudo-encoding.
    pub desktop_size: bool,
    /// The client understands ExtendedDesktopSize (and may send SetDesktopSize); it gets
    /// that instead of DesktopSize.
    pub extended_desktop_size: bool,
    /// The client draws the pointer from Cursor pseudo-rectangles.
    pub cursor: bool,
}

impl Default for EncodingPrefs {
    fn default() -> Self {
        EncodingPrefs {
            encoding: ENCODING_RAW,
            desktop_size: false,
            extended_desktop_size: false,
            cursor: false,
        }
    }
}

impl EncodingPrefs {
    pub fn from_list(list: &[i32]) -> EncodingPrefs {
        EncodingPrefs {
            encoding: list
                .iter()
                .copied()
                .find(|e| matches!(*e, ENCODING_RAW | ENCODING_ZRLE))
                .unwrap_or(ENCODING_RAW),
            desktop_size: list.contains(&ENCODING_DESKTOP_SIZE),
            extended_desktop_size: list.contains(&ENCODING_EXTENDED_DESKTOP_SIZE),
            cursor: list.contains(&ENCODING_CURSOR),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixel_format_round_trip() {
        let b = PixelFormat::XRGB8888.to_bytes();
        assert_eq!(PixelFormat::from_bytes(&b), PixelFormat::XRGB8888);
        assert!(PixelFormat::XRGB8888.check_supported().is_ok());
        let rgb565 = PixelFormat {
            bits_per_pixel: 16,
            depth: 16,
            big_endian: false,
            true_colour: true,
            red_max: 31,
            green_max: 63,
            blue_max: 31,
            red_shift: 11,
            green_shift: 5,
            blue_shift: 0,
        };
        assert!(rgb565.check_supported().is_ok());
        let bad = PixelFormat {
            red_shift: 12,
            ..rgb565
        };
        assert!(bad.check_supported().is_err());
        let cmap = PixelFormat {
            bits_per_pixel: 8,
            depth: 8,
            true_colour: false,
            ..rgb565
        };
        assert!(cmap
            .check_supported()
            .unwrap_err()
            .to_string()
            .contains("colour-map"));
    }

    #[test]
    fn parses_each_message_and_waits_for_more() {
        let msgs: Vec<(Vec<u8>, ClientMessage)> = vec![
            (
                {
                    let mut v = vec![0, 0, 0, 0];
                    v.extend_from_slice(&PixelFormat::XRGB8888.to_bytes());
                    v
                },
                ClientMessage::SetPixelFormat(PixelFormat::XRGB8888),
            ),
            (
                vec![2, 0, 0, 2, 0, 0, 0, 16, 0xff, 0xff, 0xff, 0x21],
                ClientMessage::SetEncodings(vec![16, -223]),
            ),
            (
                vec![3, 1, 0, 1, 0, 2, 0, 3, 0, 4],
                ClientMessage::FramebufferUpdateRequest {
                    incremental: true,
                    x: 1,
                    y: 2,
                    w: 3,
                    h: 4,
                },
            ),
            (
                vec![4, 1, 0, 0, 0, 0, 0xff, 0x0d],
                ClientMessage::KeyEvent {
                    down: true,
                    keysym: 0xff0d,
                },
            ),
            (
                vec![5, 5, 1, 0, 0, 9],
                ClientMessage::PointerEvent {
                    buttons: 5,
                    x: 256,
                    y: 9,
                },
            ),
            (
                vec![6, 0, 0, 0, 0, 0, 0, 3, b'a', b'b', b'c'],
                ClientMessage::ClientCutText { len: 3 },
            ),
            (
                vec![
                    251, 0, 4, 0, 2, 88, 1, 0, // 1024 x 600, one screen
                    0, 0, 0, 9, 0, 1, 0, 2, 4, 0, 2, 88, 0, 0, 1, 0,
                ],
                ClientMessage::SetDesktopSize {
                    width: 1024,
                    height: 600,
                    count: 1,
                    screens: vec![Screen {
                        id: 9,
                        x: 1,
                        y: 2,
                        w: 1024,
                        h: 600,
                        flags: 256,
                    }],
                },
            ),
        ];
        for (bytes, want) in msgs {
            for cut in 0..bytes.len() {
                assert_eq!(parse_client_message(&bytes[..cut]), Ok(None), "{want:?}");
            }
            let mut more = bytes.clone();
            more.push(4);
            assert_eq!(parse_client_message(&more), Ok(Some((want, bytes.len()))));
        }
    }

    #[test]
    fn set_desktop_size_keeps_a_bounded_number_of_screens() {
        let screen = Screen {
            id: 1,
            x: 0,
            y: 0,
            w: 8,
            h: 8,
            flags: 0,
        };
        let mut m = vec![251, 0, 0, 8, 0, 8, 255, 0];
        for i in 0..255u32 {
            m.extend_from_slice(&Screen { id: i, ..screen }.to_bytes());
        }
        assert_eq!(m.len(), 8 + 255 * 16);
        assert_eq!(parse_client_message(&m[..m.len() - 1]), Ok(None));
        let Ok(Some((ClientMessage::SetDesktopSize { count, screens, .. }, n))) =
            parse_client_message(&m)
        else {
            panic!("not parsed");
        };
        assert_eq!((count, n, screens.len()), (255, m.len(), MAX_SCREENS));
        assert_eq!(screens[15].id, 15);
        // No screens at all is a (bad) message of 8 bytes.
        let m = [251, 0, 0, 8, 0, 8, 0, 0, 3];
        assert!(matches!(
            parse_client_message(&m),
            Ok(Some((ClientMessage::SetDesktopSize { count: 0, .. }, 8)))
        ));
    }

    #[test]
    fn refuses_bad_streams() {
        assert_eq!(
            parse_client_message(&[7]),
            Err(ParseError::UnknownMessageType(7))
        );
        assert_eq!(
            parse_client_message(&[2, 0, 0xff, 0xff]),
            Err(ParseError::TooManyEncodings(65535))
        );
        assert_eq!(
            parse_client_message(&[6, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]),
            Err(ParseError::CutTextTooLong(u32::MAX))
        );
    }

    #[test]
    fn encoding_preference_follows_client_order() {
        let p = EncodingPrefs::from_list(&[5, 16, 0, -223]);
        assert_eq!(p.encoding, ENCODING_ZRLE);
        assert!(p.desktop_size);
        assert!(!p.extended_desktop_size && !p.cursor);
        let p = EncodingPrefs::from_list(&[7, 0, 16]);
        assert_eq!(p.encoding, ENCODING_RAW);
        assert!(!p.desktop_size);
        let p = EncodingPrefs::from_list(&[-308, -239, 16]);
        assert!(p.extended_desktop_size && p.cursor && !p.desktop_size);
        assert_eq!(EncodingPrefs::from_list(&[7]).encoding, ENCODING_RAW);
    }
}
