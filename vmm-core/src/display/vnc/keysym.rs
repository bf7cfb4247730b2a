//! X11 keysyms (what RFB KeyEvents carry) to evdev key codes (what the guest's virtio-input
//! keyboard reports), for a US layout.
//!
//! A keysym names a symbol, not a key, so the symbols on a key's shifted level map to that
//! key: `!` presses KEY_1, `A` presses KEY_A. The client sends its own Shift press around
//! them, so the guest sees Shift+1 and produces `!`. Symbols that aren't on a US keyboard
//! have no key and are ignored.

/// linux/input-event-codes.h, the ones we produce.
pub mod code {
    pub const KEY_ESC: u16 = 1;
    pub const KEY_1: u16 = 2;
    pub const KEY_0: u16 = 11;
    pub const KEY_MINUS: u16 = 12;
    pub const KEY_EQUAL: u16 = 13;
    pub const KEY_BACKSPACE: u16 = 14;
    pub const KEY_TAB: u16 = 15;
    pub const KEY_LEFTBRACE: u16 = 26;
    pub const KEY_RIGHTBRACE: u16 = 27;
    pub const KEY_ENTER: u16 = 28;
    pub const KEY_LEFTCTRL: u16 = 29;
    pub const KEY_SEMICOLON: u16 = 39;
    pub const KEY_APOSTROPHE: u16 = 40;
    pub const KEY_GRAVE: u16 = 41;
    pub const KEY_LEFTSHIFT: u16 = 42;
    pub const KEY_BACKSLASH: u16 = 43;
    pub const KEY_COMMA: u16 = 51;
    pub const KEY_DOT: u16 = 52;
    pub const KEY_SLASH: u16 = 53;
    pub const KEY_RIGHTSHIFT: u16 = 54;
    pub const KEY_KPASTERISK: u16 = 55;
    pub const KEY_LEFTALT: u16 = 56;
    pub const KEY_SPACE: u16 = 57;
    pub const KEY_CAPSLOCK: u16 = 58;
    pub const KEY_F1: u16 = 59;
    pub const KEY_F10: u16 = 68;
    pub const KEY_NUMLOCK: u16 = 69;
    pub const KEY_SCROLLLOCK: u16 = 70;
    pub const KEY_KP7: u16 = 71;
    pub const KEY_KP8: u16 = 72;
    pub const KEY_KP9: u16 = 73;
    pub const KEY_KPMINUS: u16 = 74;
    pub const KEY_KP4: u16 = 75;
    pub const KEY_KP5: u16 = 76;
    pub const KEY_KP6: u16 = 77;
    pub const KEY_KPPLUS: u16 = 78;
    pub const KEY_KP1: u16 = 79;
    pub const KEY_KP2: u16 = 80;
    pub const KEY_KP3: u16 = 81;
    pub const KEY_KP0: u16 = 82;
    pub const KEY_KPDOT: u16 = 83;
    pub const KEY_F11: u16 = 87;
    pub const KEY_F12: u16 = 88;
    pub const KEY_KPENTER: u16 = 96;
    pub const KEY_RIGHTCTRL: u16 = 97;
    pub const KEY_KPSLASH: u16 = 98;
    pub const KEY_SYSRQ: u16 = 99;
    pub const KEY_RIGHTALT: u16 = 100;
    pub const KEY_HOME: u16 = 102;
    pub const KEY_UP: u16 = 103;
    pub const KEY_PAGEUP: u16 = 104;
    pub const KEY_LEFT: u16 = 105;
    pub const KEY_RIGHT: u16 = 106;
    pub const KEY_END: u16 = 107;
    pub const KEY_DOWN: u16 = 108;
    pub const KEY_PAGEDOWN: u16 = 109;
    pub const KEY_INSERT: u16 = 110;
    pub const KEY_DELETE: u16 = 111;
    pub const KEY_KPEQUAL: u16 = 117;
    pub const KEY_PAUSE: u16 = 119;
    pub const KEY_KPCOMMA: u16 = 121;
    pub const KEY_LEFTMETA: u16 = 125;
    pub const KEY_RIGHTMETA: u16 = 126;
    /// The PC "Menu" (application) key.
    pub const KEY_COMPOSE: u16 = 127;
    pub const KEY_F13: u16 = 183;
}

use code::*;

/// evdev codes of the letters a..z.
const LETTERS: [u16; 26] = [
    30, 48, 46, 32, 18, 33, 34, 35, 23, 36, 37, 38, 50, 49, 24, 25, 16, 19, 31, 20, 22, 47, 17, 45,
    21, 44,
];

/// The key for a printable ASCII keysym (they equal their ASCII codes), US layout.
fn ascii_key(c: u8) -> Option<u16> {
    Some(match c {
        b'a'..=b'z' => LETTERS[usize::from(c - b'a')],
        b'A'..=b'Z' => LETTERS[usize::from(c - b'A')],
        b'1'..=b'9' => KEY_1 + u16::from(c - b'1'),
        b'0' => KEY_0,
        b' ' => KEY_SPACE,
        // The shifted number row: ! @ # $ % ^ & * ( )
        b'!' => KEY_1,
        b'@' => KEY_1 + 1,
        b'#' => KEY_1 + 2,
        b'$' => KEY_1 + 3,
        b'%' => KEY_1 + 4,
        b'^' => KEY_1 + 5,
        b'&' => KEY_1 + 6,
        b'*' => KEY_1 + 7,
        b'(' => KEY_1 + 8,
        b')' => KEY_0,
        b'-' | b'_' => KEY_MINUS,
        b'=' | b'+' => KEY_EQUAL,
        b'[' | b'{' => KEY_LEFTBRACE,
        b']' | b'}' => KEY_RIGHTBRACE,
        b';' | b':' => KEY_SEMICOLON,
        b'\'' | b'"' => KEY_APOSTROPHE,
        b'`' | b'~' => KEY_GRAVE,
        b'\\' | b'|' => KEY_BACKSLASH,
        b',' | b'<' => KEY_COMMA,
        b'.' | b'>' => KEY_DOT,
        b'/' | b'?' => KEY_SLASH,
        _ => return None,
    })
}

/// The evdev key code for an X11 keysym, or `None` for keysyms with no key on a US
/// keyboard (the caller ignores and counts them).
pub fn keysym_to_evdev(keysym: u32) -> Option<u16> {
    if (0x20..0x7f).contains(&keysym) {
        return ascii_key(keysym as u8);
    }
    Some(match keysym {
        0xff08 => KEY_BACKSPACE,
        0xff09 | 0xfe20 => KEY_TAB,   // Tab, ISO_Left_Tab (Shift+Tab)
        0xff0a | 0xff0d => KEY_ENTER, // Linefeed, Return
        0xff13 | 0xff6b => KEY_PAUSE, // Pause, Break
        0xff14 => KEY_SCROLLLOCK,
        0xff15 | 0xff61 => KEY_SYSRQ, // Sys_Req, Print
        0xff1b => KEY_ESC,
        0xffff => KEY_DELETE,
        0xff50 => KEY_HOME,
        0xff51 => KEY_LEFT,
        0xff52 => KEY_UP,
        0xff53 => KEY_RIGHT,
        0xff54 => KEY_DOWN,
        0xff55 => KEY_PAGEUP,   // Prior
        0xff56 => KEY_PAGEDOWN, // Next
        0xff57 => KEY_END,
        0xff63 => KEY_INSERT,
        0xff67 => KEY_COMPOSE, // Menu
        0xff7f => KEY_NUMLOCK,
        // Keypad. The navigation keysyms are what the keypad sends with Num Lock off.
        0xff89 => KEY_TAB,        // KP_Tab
        0xff8d => KEY_KPENTER,    // KP_Enter
        0xff95 => KEY_KP7,        // KP_Home
        0xff96 => KEY_KP4,        // KP_Left
        0xff97 => KEY_KP8,        // KP_Up
        0xff98 => KEY_KP6,        // KP_Right
        0xff99 => KEY_KP2,        // KP_Down
        0xff9a => KEY_KP9,        // KP_Prior
        0xff9b => KEY_KP3,        // KP_Next
        0xff9c => KEY_KP1,        // KP_End
        0xff9d => KEY_KP5,        // KP_Begin
        0xff9e => KEY_KP0,        // KP_Insert
        0xff9f => KEY_KPDOT,      // KP_Delete
        0xffaa => KEY_KPASTERISK, // KP_Multiply
        0xffab => KEY_KPPLUS,     // KP_Add
        0xffac => KEY_KPCOMMA,    // KP_Separator
        0xffad => KEY_KPMINUS,    // KP_Subtract
        0xffae => KEY_KPDOT,      // KP_Decimal
        0xffaf => KEY_KPSLASH,    // KP_Divide
        0xffb0 => KEY_KP0,
        0xffb1 => KEY_KP1,
        0xffb2 => KEY_KP2,
        0xffb3 => KEY_KP3,
        0xffb4 => KEY_KP4,
        0xffb5 => KEY_KP5,
        0xffb6 => KEY_KP6,
        0xffb7 => KEY_KP7,
        0xffb8 => KEY_KP8,
        0xffb9 => KEY_KP9,
        0xffbd => KEY_KPEQUAL,
        // F1..F10, F11, F12, F13..F24
        0xffbe..=0xffc7 => KEY_F1 + (keysym - 0xffbe) as u16,
        0xffc8 => KEY_F11,
        0xffc9 => KEY_F12,
        0xffca..=0xffd5 => KEY_F13 + (keysym - 0xffca) as u16,
        0xffe1 => KEY_LEFTSHIFT,
        0xffe2 => KEY_RIGHTSHIFT,
        0xffe3 => KEY_LEFTCTRL,
        0xffe4 => KEY_RIGHTCTRL,
        0xffe5 => KEY_CAPSLOCK,
        0xffe7 | 0xffeb => KEY_LEFTMETA,  // Meta_L, Super_L
        0xffe8 | 0xffec => KEY_RIGHTMETA, // Meta_R, Super_R
        0xffe9 => KEY_LEFTALT,
        0xffea | 0xfe03 => KEY_RIGHTALT, // Alt_R, ISO_Level3_Shift (AltGr)
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_digits_and_shifted_symbols() {
        assert_eq!(keysym_to_evdev(b'a' as u32), Some(30));
        assert_eq!(keysym_to_evdev(b'A' as u32), Some(30));
        assert_eq!(keysym_to_evdev(b'q' as u32), Some(16));
        assert_eq!(keysym_to_evdev(b'M' as u32), Some(50));
        assert_eq!(keysym_to_evdev(b'1' as u32), Some(2));
        assert_eq!(keysym_to_evdev(b'0' as u32), Some(11));
        assert_eq!(keysym_to_evdev(b'!' as u32), Some(2));
        assert_eq!(keysym_to_evdev(b'@' as u32), Some(3));
        assert_eq!(keysym_to_evdev(b')' as u32), Some(11));
        assert_eq!(keysym_to_evdev(b'~' as u32), Some(KEY_GRAVE));
        assert_eq!(keysym_to_evdev(b'?' as u32), Some(KEY_SLASH));
        assert_eq!(keysym_to_evdev(b'"' as u32), Some(KEY_APOSTROPHE));
        // Every printable ASCII character has a key on a US keyboard.
        for c in 0x20u32..0x7f {
            assert!(keysym_to_evdev(c).is_some(), "{c:#x}");
        }
    }

    #[test]
    fn function_navigation_modifier_and_keypad_keys() {
        assert_eq!(keysym_to_evdev(0xffbe), Some(59)); // F1
        assert_eq!(keysym_to_evdev(0xffc2), Some(63)); // F5
        assert_eq!(keysym_to_evdev(0xffc7), Some(68)); // F10
        assert_eq!(keysym_to_evdev(0xffc8), Some(87)); // F11
        assert_eq!(keysym_to_evdev(0xffc9), Some(88)); // F12
        assert_eq!(keysym_to_evdev(0xffca), Some(183)); // F13
        assert_eq!(keysym_to_evdev(0xffd5), Some(194)); // F24
        assert_eq!(keysym_to_evdev(0xffd6), None); // F25
        assert_eq!(keysym_to_evdev(0xff8d), Some(KEY_KPENTER));
        assert_eq!(keysym_to_evdev(0xffb5), Some(KEY_KP5));
        assert_eq!(keysym_to_evdev(0xffe3), Some(KEY_LEFTCTRL));
        assert_eq!(keysym_to_evdev(0xffe9), Some(KEY_LEFTALT));
        assert_eq!(keysym_to_evdev(0xffff), Some(KEY_DELETE));
        assert_eq!(keysym_to_evdev(0xffeb), Some(KEY_LEFTMETA));
        assert_eq!(keysym_to_evdev(0xff61), Some(KEY_SYSRQ));
        assert_eq!(keysym_to_evdev(0xff67), Some(KEY_COMPOSE));
        assert_eq!(keysym_to_evdev(0x00e9), None); // eacute: not on a US keyboard
        assert_eq!(keysym_to_evdev(0x0100_20ac), None); // a Unicode keysym
    }
}
