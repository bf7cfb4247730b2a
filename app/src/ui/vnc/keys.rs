//! Keys for the guest: iced's keys as X11 keysyms (what RFB KeyEvents carry), and key
//! combinations as presses and releases.

use super::Input;
use iced::keyboard::key::Named;
use iced::keyboard::{Key, Location};

/// The X11 keysym of a key (what RFB KeyEvents carry).
pub fn keysym(key: &Key, location: Location) -> Option<u32> {
    let left = !matches!(location, Location::Right);
    let sym = match key {
        Key::Named(n) => match n {
            Named::Enter if location == Location::Numpad => 0xff8d,
            Named::Enter => 0xff0d,
            Named::Tab => 0xff09,
            Named::Backspace => 0xff08,
            Named::Escape => 0xff1b,
            Named::Delete => 0xffff,
            Named::Insert => 0xff63,
            Named::Home => 0xff50,
            Named::End => 0xff57,
            Named::PageUp => 0xff55,
            Named::PageDown => 0xff56,
            Named::ArrowLeft => 0xff51,
            Named::ArrowUp => 0xff52,
            Named::ArrowRight => 0xff53,
            Named::ArrowDown => 0xff54,
            Named::Space => 0x20,
            Named::Shift => {
                if left {
                    0xffe1
                } else {
                    0xffe2
                }
            }
            Named::Control => {
                if left {
                    0xffe3
                } else {
                    0xffe4
                }
            }
            Named::Alt => {
                if left {
                    0xffe9
                } else {
                    0xffea
                }
            }
            Named::AltGraph => 0xfe03,
            Named::Super | Named::Meta => {
                if left {
                    0xffeb
                } else {
                    0xffec
                }
            }
            Named::CapsLock => 0xffe5,
            Named::NumLock => 0xff7f,
            Named::ScrollLock => 0xff14,
            Named::PrintScreen => 0xff61,
            Named::Pause => 0xff13,
            Named::ContextMenu => 0xff67,
            Named::F1 => 0xffbe,
            Named::F2 => 0xffbf,
            Named::F3 => 0xffc0,
            Named::F4 => 0xffc1,
            Named::F5 => 0xffc2,
            Named::F6 => 0xffc3,
            Named::F7 => 0xffc4,
            Named::F8 => 0xffc5,
            Named::F9 => 0xffc6,
            Named::F10 => 0xffc7,
            Named::F11 => 0xffc8,
            Named::F12 => 0xffc9,
            _ => return None,
        },
        Key::Character(s) => {
            let mut chars = s.chars();
            let c = chars.next()?;
            if chars.next().is_some() {
                return None;
            }
            if location == Location::Numpad {
                match c {
                    '0'..='9' => return Some(0xffb0 + (c as u32 - '0' as u32)),
                    '.' | ',' => return Some(0xffae),
                    '+' => return Some(0xffab),
                    '-' => return Some(0xffad),
                    '*' => return Some(0xffaa),
                    '/' => return Some(0xffaf),
                    _ => {}
                }
            }
            let u = c as u32;
            if (0x20..=0x7e).contains(&u) || (0xa0..=0xff).contains(&u) {
                u
            } else if u >= 0x100 {
                0x0100_0000 + u
            } else {
                return None;
            }
        }
        Key::Unidentified => return None,
    };
    Some(sym)
}

pub mod sym {
    pub const CONTROL_L: u32 = 0xffe3;
    pub const ALT_L: u32 = 0xffe9;
    pub const DELETE: u32 = 0xffff;
    pub const BACKSPACE: u32 = 0xff08;
    /// F1; F2..F12 follow.
    pub const F1: u32 = 0xffbe;
}

/// The key presses of a combination: modifiers down, key down, then all up in reverse.
pub fn combo(keys: &[u32]) -> Vec<Input> {
    keys.iter()
        .map(|k| Input::Key(*k, true))
        .chain(keys.iter().rev().map(|k| Input::Key(*k, false)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_x11_keysyms() {
        let c = |s: &str| Key::Character(s.into());
        assert_eq!(keysym(&c("a"), Location::Standard), Some(0x61));
        assert_eq!(keysym(&c("A"), Location::Standard), Some(0x41));
        assert_eq!(keysym(&c("é"), Location::Standard), Some(0xe9));
        assert_eq!(keysym(&c("€"), Location::Standard), Some(0x0100_20ac));
        assert_eq!(keysym(&c("7"), Location::Numpad), Some(0xffb7));
        assert_eq!(
            keysym(&Key::Named(Named::Enter), Location::Standard),
            Some(0xff0d)
        );
        assert_eq!(
            keysym(&Key::Named(Named::Control), Location::Right),
            Some(0xffe4)
        );
        assert_eq!(
            keysym(&Key::Named(Named::F12), Location::Standard),
            Some(0xffc9)
        );
        assert_eq!(keysym(&Key::Unidentified, Location::Standard), None);
    }

    #[test]
    fn combos_press_in_order_and_release_in_reverse() {
        assert_eq!(
            combo(&[sym::CONTROL_L, sym::ALT_L, sym::DELETE]),
            [
                Input::Key(0xffe3, true),
                Input::Key(0xffe9, true),
                Input::Key(0xffff, true),
                Input::Key(0xffff, false),
                Input::Key(0xffe9, false),
                Input::Key(0xffe3, false),
            ]
        );
    }
}
