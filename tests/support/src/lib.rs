//! Helpers shared by vmdesk's tests and benchmarks (vmm-core's `tests/`, `benches/` and the
//! workspace's `tests/e2e`): when a test must skip or fail for want of KVM or a tool, QEMU
//! started the same way everywhere, a raw RFB client, boot media made at test time, and the
//! benchmarks' summaries.

pub mod media;
pub mod qemu;
pub mod rfb;
pub mod stats;

use std::io::Read;
use std::process::Child;

/// Whether KVM tests can run here. Without /dev/kvm they print "skipped: …" — and fail when
/// `VMDESK_REQUIRE_KVM=1` (CI sets it), so a machine without KVM never passes silently.
pub fn kvm_or_skip(test: &str) -> bool {
    match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
    {
        Ok(_) => true,
        Err(e) => {
            let msg = format!("skipped: {test}: cannot open /dev/kvm: {e}");
            if std::env::var_os("VMDESK_REQUIRE_KVM").is_some() {
                panic!("{msg} (VMDESK_REQUIRE_KVM is set)");
            }
            eprintln!("{msg}");
            false
        }
    }
}

/// What the child wrote to its (piped) stderr; empty if already taken.
pub fn stderr_of(child: &mut Child) -> String {
    let mut s = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut s);
    }
    s
}

/// What a terminal would show of `s`, as far as matching words goes: ANSI escape sequences
/// removed (CSI `ESC [ … final`, and two-byte `ESC x`). Firmware consoles (SeaBIOS's serial
/// console mirroring GRUB's screen) position the cursor between words, so "GNU GRUB" arrives as
/// "GNU ␛[02;27H␛[02;28HGRUB"; tests and benches match on this instead.
pub fn plain_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        // CSI: parameters and intermediates up to a final byte in @..~; any other escape
        // is one more character, dropped by the `next` itself.
        if chars.next() == Some('[') {
            for p in chars.by_ref() {
                if ('@'..='~').contains(&p) {
                    break;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn plain_text_drops_cursor_moves_between_words() {
        let s = "\u{1b}c\u{1b}[?7l\u{1b}[2J[02;24HGNU \u{1b}[02;27H\u{1b}[02;28HGRUB  vers";
        assert_eq!(super::plain_text(s), "[02;24HGNU GRUB  vers");
        assert_eq!(super::plain_text("a\u{1b}[0;30;47mb"), "ab");
    }
}
