//! Guest serial output as plain text: the bytes go through the VT100/xterm emulator the serial
//! terminal uses (`vt100`), so cursor-addressed screens (SeaBIOS, GRUB, full-screen programs)
//! come out as the lines they draw, not as escape sequences.

use std::num::NonZeroU16;

/// The text of a screen and its scrollback, a line per row (rows the guest wrapped joined),
/// without trailing blanks; empty or ending in a newline.
pub fn screen_text(screen: &vt100::Screen) -> String {
    let mut screen = screen.clone();
    let (rows, cols) = screen.size();
    let (rows, cols) = (rows.get() as usize, cols.get());
    let mut lines: Vec<(String, bool)> = Vec::new();
    let mut back = screen.scrollback_len();
    // Scrolled back by `back` rows, the screen's first row is the scrollback's `len - back`th:
    // walk it a screenful at a time, then the live screen.
    while back > 0 {
        screen.set_scrollback(back);
        let take = back.min(rows);
        for (i, row) in screen.rows(0, cols).take(take).enumerate() {
            lines.push((row, screen.row_wrapped(i as u16)));
        }
        back -= take;
    }
    screen.set_scrollback(0);
    for (i, row) in screen.rows(0, cols).enumerate() {
        lines.push((row, screen.row_wrapped(i as u16)));
    }
    let mut out = String::new();
    for (row, wrapped) in lines {
        out.push_str(if wrapped { &row } else { row.trim_end() });
        if !wrapped {
            out.push('\n');
        }
    }
    let end = out.trim_end().len();
    out.truncate(end);
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// The last `n` lines with text in raw serial output, as an 80×24 terminal shows them. A bare
/// line feed counts as a new line here (some logs and test guests write no carriage return).
pub fn last_lines(bytes: &[u8], n: usize) -> Vec<String> {
    let size = |v| NonZeroU16::new(v).unwrap_or(NonZeroU16::MIN);
    let mut parser = vt100::Parser::new(size(24), size(80), 1000);
    let mut crlf = Vec::with_capacity(bytes.len() + bytes.len() / 32);
    let mut prev = 0;
    for &b in bytes {
        if b == b'\n' && prev != b'\r' {
            crlf.push(b'\r');
        }
        crlf.push(b);
        prev = b;
    }
    parser.process(&crlf);
    let text = screen_text(parser.screen());
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|l| l.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_addressed_output_comes_out_as_the_lines_it_draws() {
        let grub = b"Booting from DVD/CD...\r\n\x1b[2J\x1b[01;01H\x1b[0;30;47mWelcome to GRUB!\x1b[0m\x1b[03;05H*Debian\x1b[04;05H Advanced\r\n";
        assert_eq!(
            last_lines(grub, 6),
            ["Welcome to GRUB!", "    *Debian", "     Advanced"]
        );
        assert_eq!(last_lines(b"a\r\nb\r\n\r\nc\r\n", 2), ["b", "c"]);
        assert_eq!(last_lines(b"booting\npanic\n", 6), ["booting", "panic"]);
        assert!(last_lines(b"", 3).is_empty());
    }
}
