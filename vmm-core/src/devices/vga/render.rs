//! What the VGA shows, as XRGB8888: text mode drawn from the character/attribute cells, the
//! font in plane 2, the attribute controller's palette and the DAC (with the cursor, steady),
//! the legacy graphics modes (16-colour planar, 256 colours), or a Bochs VBE mode read from
//! VRAM (8/15/16/24/32 bpp). The inputs are clamped by `VgaRegs`; this file bounds everything
//! again by what it reads, so no register value can make it read outside the memory it is
//! given or allocate more than VRAM holds in pixels.

use super::regs::{dispi, VgaRegs};
use crate::display::Rect;
use vm_memory::{VolatileMemory, VolatileSlice};

/// The text window's memory (0xb8000, 32 KiB of character/attribute pairs).
pub const TEXT_SIZE: usize = 0x8000;
/// The part of VRAM holding the four 64 KiB planes (interleaved, as QEMU keeps them).
pub const PLANES_SIZE: usize = 0x40000;
/// More pixels than this are not drawn: 16 MiB at 8 bpp is the largest mode VRAM holds.
const MAX_PIXELS: u64 = 16 << 20;

/// A text screen smaller than this is taken as not yet programmed.
const MIN_TEXT_SIZE: (u32, u32) = (160, 100);

/// One rendered screen: `width × height` pixels, 0x00RRGGBB each.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Frame {
    pub width: u32,
    pub height: u32,
    pub px: Vec<u32>,
}

impl Frame {
    fn reset(&mut self, width: u32, height: u32) {
        self.width = width;
        self.height = height;
        self.px.clear();
        self.px.resize(width as usize * height as usize, 0);
    }
}

/// A DAC entry as 0x00RRGGBB.
fn dac(regs: &VgaRegs, index: u8) -> u32 {
    let i = usize::from(index & regs.pel_mask) * 3;
    let c = |k: usize| {
        let v = u32::from(regs.palette.get(i + k).copied().unwrap_or(0));
        if regs.dac_8bit() {
            v & 0xff
        } else {
            let v = v & 0x3f;
            (v << 2) | (v >> 4)
        }
    };
    (c(0) << 16) | (c(1) << 8) | c(2)
}

/// A text attribute colour (0–15) through the attribute controller to the DAC.
fn attr_colour(regs: &VgaRegs, colour: u8) -> u32 {
    let p = regs.ar[usize::from(colour & 0x0f)];
    let index = if regs.ar[0x10] & 0x80 != 0 {
        ((regs.ar[0x14] & 0x0f) << 4) | (p & 0x0f)
    } else {
        ((regs.ar[0x14] & 0x0c) << 4) | (p & 0x3f)
    };
    dac(regs, index)
}

/// The text geometry the CRTC describes: columns, rows, character width (in screen pixels:
/// doubled at half dot clock, the 40-column modes) and height.
pub fn text_geometry(regs: &VgaRegs) -> (u32, u32, u32, u32) {
    let cols = (u32::from(regs.cr[1]) + 1).min(160);
    let cheight = u32::from(regs.cr[9] & 0x1f) + 1;
    let rows = (scan_lines(regs) / cheight).clamp(1, 100);
    let cwidth = if regs.sr[1] & 1 != 0 { 8 } else { 9 };
    let dup = if regs.sr[1] & 0x08 != 0 { 2 } else { 1 };
    (cols, rows, cwidth * dup, cheight)
}

/// Renders the current screen into `out` (resized as the mode requires). `vram` is BAR0's
/// memory, `text` the text window's.
pub fn render(regs: &VgaRegs, vram: &VolatileSlice, text: &VolatileSlice, out: &mut Frame) {
    if regs.vbe_enabled() {
        render_vbe(regs, vram, out);
    } else if regs.gr[6] & 1 == 0 {
        render_text(regs, vram, text, out);
    } else {
        render_graphics(regs, vram, out);
    }
}

/// Vertical display end + 1: the visible scan lines.
fn scan_lines(regs: &VgaRegs) -> u32 {
    let vde = u32::from(regs.cr[0x12])
        | (u32::from(regs.cr[7] & 0x02) << 7)
        | (u32::from(regs.cr[7] & 0x40) << 3);
    vde + 1
}

/// The legacy graphics modes as QEMU draws them (`vga_draw_graphic`): 16-colour planar
/// (mode 0x12, ...) with pixel doubling when the dot clock is halved, and 256 colours
/// (mode 0x13, each byte two pixels wide); scan lines repeat per the CRTC's maximum scan
/// line and double scan. CGA's 4-colour modes are not drawn.
fn render_graphics(regs: &VgaRegs, vram: &VolatileSlice, out: &mut Frame) {
    let (w, h) = ((u32::from(regs.cr[1]) + 1) * 8, scan_lines(regs));
    if w < MIN_TEXT_SIZE.0 || h < MIN_TEXT_SIZE.1 {
        out.reset(640, 480);
        return;
    }
    out.reset(w, h);
    if regs.ar_index & 0x20 == 0 || regs.sr[1] & 0x20 != 0 {
        return;
    }
    let mut planes = vec![0u8; PLANES_SIZE];
    copy(vram, 0, &mut planes);
    let byte = |a: usize| planes[a % PLANES_SIZE];
    let shift = (regs.gr[5] >> 5) & 3;
    let repeat = ((usize::from(regs.cr[9] & 0x1f) + 1) << (regs.cr[9] >> 7)).max(1);
    let line_offset = usize::from(regs.cr[0x13]) << 3;
    let start = ((usize::from(regs.cr[0x0c]) << 8) | usize::from(regs.cr[0x0d])) * 4;
    let halved = regs.sr[1] & 0x08 != 0;
    let plane_enable = regs.ar[0x12] & 0x0f;
    let pal16: Vec<u32> = (0..16u8).map(|i| attr_colour(regs, i)).collect();
    let pal256: Vec<u32> = (0..=255u8).map(|i| dac(regs, i)).collect();
    let w = w as usize;
    for (y, row) in out.px.chunks_mut(w).enumerate() {
        let addr = start + (y / repeat) * line_offset;
        for (x, p) in row.iter_mut().enumerate() {
            *p = match shift {
                0 => {
                    let sx = if halved { x / 2 } else { x };
                    let a = addr + (sx / 8) * 4;
                    let bit = 7 - (sx % 8);
                    let index = (0..4).fold(0u8, |c, plane| {
                        c | (((byte(a + plane) >> bit) & 1) << plane)
                    });
                    pal16[usize::from(index & plane_enable)]
                }
                1 => 0,
                _ => pal256[usize::from(byte(addr + x / 2))],
            };
        }
    }
}

fn copy(src: &VolatileSlice, off: usize, dst: &mut [u8]) {
    match src.get_slice(off, dst.len()) {
        Ok(s) => {
            s.copy_to(dst);
        }
        Err(_) => dst.fill(0),
    }
}

fn render_text(regs: &VgaRegs, vram: &VolatileSlice, text: &VolatileSlice, out: &mut Frame) {
    let (cols, rows, cwidth, cheight) = text_geometry(regs);
    if cols * cwidth < MIN_TEXT_SIZE.0 || rows * cheight < MIN_TEXT_SIZE.1 {
        // The CRTC is not programmed yet (before the VGA BIOS ran): a blank 640×480 rather
        // than a screen a few pixels wide.
        out.reset(640, 480);
        return;
    }
    out.reset(cols * cwidth, rows * cheight);
    // Attribute controller off (palette address source clear) or screen off: blank.
    if regs.ar_index & 0x20 == 0 || regs.sr[1] & 0x20 != 0 {
        return;
    }
    let mut cells = vec![0u8; TEXT_SIZE];
    copy(text, 0, &mut cells);
    let mut planes = vec![0u8; PLANES_SIZE];
    copy(vram, 0, &mut planes);
    let v = regs.sr[3];
    let font_base = [
        (usize::from((v >> 4) & 1) | usize::from((v << 1) & 6)) * 8192,
        (usize::from((v >> 5) & 1) | usize::from((v >> 1) & 6)) * 8192,
    ];
    let line_chars = (u32::from(regs.cr[0x13]) * 2).max(cols) as usize;
    let start = (usize::from(regs.cr[0x0c]) << 8) | usize::from(regs.cr[0x0d]);
    let cursor = (usize::from(regs.cr[0x0e]) << 8) | usize::from(regs.cr[0x0f]);
    let cursor_on = regs.cr[0x0a] & 0x20 == 0;
    let cursor_first = u32::from(regs.cr[0x0a] & 0x1f);
    let cursor_last = u32::from(regs.cr[0x0b] & 0x1f).min(cheight - 1);
    let line_graphics = regs.ar[0x10] & 0x04 != 0;
    let blink_bit = regs.ar[0x10] & 0x08 != 0;
    let width = out.width as usize;
    let dup = if regs.sr[1] & 0x08 != 0 { 2 } else { 1 };
    for row in 0..rows as usize {
        for col in 0..cols as usize {
            let cell = start + row * line_chars + col;
            let i = (cell * 2) % TEXT_SIZE;
            let (ch, attr) = (cells[i], cells[i + 1]);
            let fg = attr_colour(regs, attr & 0x0f);
            let bg_index = if blink_bit {
                (attr >> 4) & 7
            } else {
                attr >> 4
            };
            let bg = attr_colour(regs, bg_index);
            let font = font_base[usize::from((attr >> 3) & 1)] + usize::from(ch) * 32;
            let is_cursor = cursor_on && cell == cursor;
            for line in 0..cheight {
                let glyph = planes
                    .get((font + line as usize) * 4 + 2)
                    .copied()
                    .unwrap_or(0);
                let solid = is_cursor && line >= cursor_first && line <= cursor_last;
                let y = row * cheight as usize + line as usize;
                let base = y * width + col * cwidth as usize;
                for px in 0..cwidth as usize {
                    let x = px / dup;
                    let on = if x < 8 {
                        glyph & (0x80 >> x) != 0
                    } else {
                        line_graphics && (0xc0..=0xdf).contains(&ch) && glyph & 1 != 0
                    };
                    out.px[base + px] = if on || solid { fg } else { bg };
                }
            }
        }
    }
}

fn render_vbe(regs: &VgaRegs, vram: &VolatileSlice, out: &mut Frame) {
    let bpp = regs.vbe[dispi::BPP];
    let (w, h) = (
        u32::from(regs.vbe[dispi::XRES]),
        u32::from(regs.vbe[dispi::YRES]),
    );
    if u64::from(w) * u64::from(h) > MAX_PIXELS || w == 0 || h == 0 {
        out.reset(640, 480);
        return;
    }
    out.reset(w, h);
    let bytes = match bpp {
        8 => 1,
        15 | 16 => 2,
        24 => 3,
        32 => 4,
        // 4 bpp is planar VGA memory: not drawn.
        _ => return,
    };
    let line = regs.vbe_line_offset as usize;
    let mut row = vec![0u8; w as usize * bytes];
    let pal: Vec<u32> = (0..=255u8).map(|i| dac(regs, i)).collect();
    for y in 0..h as usize {
        copy(vram, regs.vbe_start as usize + y * line, &mut row);
        let dst = &mut out.px[y * w as usize..(y + 1) * w as usize];
        for (x, p) in dst.iter_mut().enumerate() {
            let s = &row[x * bytes..(x + 1) * bytes];
            *p = match bpp {
                8 => pal[usize::from(s[0])],
                15 | 16 => {
                    let v = u32::from(u16::from_le_bytes([s[0], s[1]]));
                    let (r, g, b) = if bpp == 15 {
                        ((v >> 10) & 31, (v >> 5) & 31, v & 31)
                    } else {
                        ((v >> 11) & 31, (v >> 5) & 63, v & 31)
                    };
                    let g = if bpp == 15 {
                        (g << 3) | (g >> 2)
                    } else {
                        (g << 2) | (g >> 4)
                    };
                    (((r << 3) | (r >> 2)) << 16) | (g << 8) | ((b << 3) | (b >> 2))
                }
                _ => (u32::from(s[2]) << 16) | (u32::from(s[1]) << 8) | u32::from(s[0]),
            };
        }
    }
}

/// Rows that differ between two same-sized frames, as rectangles narrowed to the changed
/// columns (consecutive changed rows merge).
pub fn diff(old: &Frame, new: &Frame) -> Vec<Rect> {
    let full = Rect {
        x: 0,
        y: 0,
        w: new.width,
        h: new.height,
    };
    if (old.width, old.height) != (new.width, new.height) {
        return vec![full];
    }
    let w = new.width as usize;
    let mut out: Vec<Rect> = Vec::new();
    if w == 0 {
        return out;
    }
    for (y, (a, b)) in old.px.chunks(w).zip(new.px.chunks(w)).enumerate() {
        let Some(x0) = (0..w).find(|&x| a[x] != b[x]) else {
            continue;
        };
        let x1 = (0..w).rfind(|&x| a[x] != b[x]).map_or(w, |x| x + 1);
        let (x0, x1, y) = (x0 as u32, x1 as u32, y as u32);
        match out.last_mut() {
            Some(r) if r.y + r.h == y => {
                let (l, rt) = (r.x.min(x0), (r.x + r.w).max(x1));
                r.x = l;
                r.w = rt - l;
                r.h += 1;
            }
            _ => out.push(Rect {
                x: x0,
                y,
                w: x1 - x0,
                h: 1,
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::regs::VRAM_SIZE;
    use super::*;
    use vm_memory::{Bytes, MmapRegion};

    /// Mode 3 as SeaBIOS's VGA BIOS leaves it (the registers rendering reads).
    pub fn mode3() -> VgaRegs {
        let mut r = VgaRegs {
            misc_output: 0x67,
            ..Default::default()
        };
        r.sr[3] = 0;
        r.cr[1] = 79;
        r.cr[7] = 0x1f;
        r.cr[9] = 0x4f;
        r.cr[0x0a] = 0x0d;
        r.cr[0x0b] = 0x0e;
        r.cr[0x12] = 0x8f;
        r.cr[0x13] = 40;
        r.gr[6] = 0x0e;
        for i in 0..16u8 {
            r.ar[usize::from(i)] = i;
        }
        r.ar[0x10] = 0x0c;
        r.ar_index = 0x20;
        // DAC 7 = light grey, 1 = blue.
        r.palette[7 * 3..7 * 3 + 3].copy_from_slice(&[0x2a, 0x2a, 0x2a]);
        r.palette[3..6].copy_from_slice(&[0, 0, 0x2a]);
        r
    }

    fn px2(f: &Frame, x: usize, y: usize) -> u32 {
        f.px[y * f.width as usize + x]
    }

    #[test]
    fn a_text_cell_is_drawn_with_its_font_colours_and_cursor() {
        let vram = MmapRegion::<()>::new(VRAM_SIZE).unwrap();
        let text = MmapRegion::<()>::new(TEXT_SIZE).unwrap();
        let (v, t) = (vram.as_volatile_slice(), text.as_volatile_slice());
        let mut r = mode3();
        // 'A' at row 1, column 2: grey on blue; its glyph line 5 is 0b1000_0001.
        let cell = 80 + 2;
        t.write_slice(&[b'A', 0x17], cell * 2).unwrap();
        v.write_obj(0x81u8, (usize::from(b'A') * 32 + 5) * 4 + 2)
            .unwrap();
        r.cr[0x0e] = 0;
        r.cr[0x0f] = 0; // cursor at 0,0
        let mut f = Frame::default();
        render(&r, &v, &t, &mut f);
        assert_eq!((f.width, f.height), (720, 400));
        let grey = 0xaaaaaa;
        let blue = 0x0000aa;
        let px = |x: usize, y: usize| f.px[y * 720 + x];
        let (x0, y0) = (2 * 9, 16 + 5);
        assert_eq!(px(x0, y0), grey);
        assert_eq!(px(x0 + 1, y0), blue);
        assert_eq!(px(x0 + 7, y0), grey);
        assert_eq!(px(x0 + 8, y0), blue, "9th column is background for letters");
        assert_eq!(px(x0, y0 + 1), blue);
        // Cursor lines 13–14 of cell 0,0: foreground (attr 0 → black on black there, so
        // compare with the DAC of colour 0); a visible cursor on a coloured cell instead.
        t.write_slice(&[b' ', 0x17], 0).unwrap();
        render(&r, &v, &t, &mut f);
        assert_eq!(f.px[13 * 720], grey);
        assert_eq!(f.px[12 * 720], blue);
        // 40 columns (half dot clock): each glyph pixel twice as wide.
        r.sr[1] = 0x08;
        r.cr[1] = 39;
        render(&r, &v, &t, &mut f);
        assert_eq!((f.width, f.height), (720, 400));
        let (x0, y0) = (2 * 18, 16 + 5);
        assert_eq!([px2(&f, x0, y0), px2(&f, x0 + 1, y0)], [grey, grey]);
        assert_eq!(px2(&f, x0 + 2, y0), blue);
        assert_eq!(px2(&f, x0 + 14, y0), grey);
        r.sr[1] = 0;
        r.cr[1] = 79;
        // Attribute controller off: blank.
        r.ar_index = 0;
        render(&r, &v, &t, &mut f);
        assert!(f.px.iter().all(|&p| p == 0));
    }

    #[test]
    fn vbe_modes_convert_to_xrgb() {
        let vram = MmapRegion::<()>::new(VRAM_SIZE).unwrap();
        let text = MmapRegion::<()>::new(TEXT_SIZE).unwrap();
        let (v, t) = (vram.as_volatile_slice(), text.as_volatile_slice());
        let mut r = VgaRegs::default();
        r.dispi_write(dispi::XRES, 640, &v);
        r.dispi_write(dispi::YRES, 480, &v);
        r.dispi_write(dispi::BPP, 16, &v);
        r.dispi_write(dispi::ENABLE, dispi::ENABLED, &v);
        v.write_obj(0xf800u16, 2 * 3).unwrap(); // pixel 3: pure red
        let mut f = Frame::default();
        render(&r, &v, &t, &mut f);
        assert_eq!((f.width, f.height), (640, 480));
        assert_eq!(f.px[3], 0xff0000);
        r.dispi_write(dispi::BPP, 24, &v);
        v.write_slice(&[1, 2, 3], 0).unwrap();
        render(&r, &v, &t, &mut f);
        assert_eq!(f.px[0], 0x030201);
        let old = f.clone();
        v.write_slice(&[9], 3 * 10 + 640 * 3 * 7).unwrap();
        render(&r, &v, &t, &mut f);
        assert_eq!(
            diff(&old, &f),
            vec![Rect {
                x: 10,
                y: 7,
                w: 1,
                h: 1
            }]
        );
    }

    #[test]
    fn legacy_graphics_modes_are_drawn() {
        let vram = MmapRegion::<()>::new(VRAM_SIZE).unwrap();
        let text = MmapRegion::<()>::new(TEXT_SIZE).unwrap();
        let (v, t) = (vram.as_volatile_slice(), text.as_volatile_slice());
        // Mode 0x13: 320×200, 256 colours, shown 640×400.
        let mut r = mode3();
        r.gr[5] = 0x40;
        r.gr[6] = 0x05;
        r.cr[9] = 0x41;
        r.cr[0x13] = 0x28;
        r.palette[5 * 3..5 * 3 + 3].copy_from_slice(&[0x3f, 0, 0x3f]);
        v.write_obj(5u8, 320 * 10 + 7).unwrap();
        let mut f = Frame::default();
        render(&r, &v, &t, &mut f);
        assert_eq!((f.width, f.height), (640, 400));
        for (x, y) in [(14, 20), (15, 21)] {
            assert_eq!(f.px[y * 640 + x], 0xff00ff);
        }
        assert_eq!(f.px[20 * 640 + 16], 0);
        // Mode 0x12: 640×480, 16 colours in four planes.
        r.gr[5] = 0;
        r.cr[7] = 0x02;
        r.cr[9] = 0x40;
        r.cr[0x12] = 0xdf;
        r.ar[0x12] = 0x0f;
        // Pixel (9, 2): planes 0 and 2 → colour 5.
        v.write_obj(0x40u8, 2 * 320 + 4).unwrap();
        v.write_obj(0x40u8, 2 * 320 + 4 + 2).unwrap();
        render(&r, &v, &t, &mut f);
        assert_eq!((f.width, f.height), (640, 480));
        assert_eq!(f.px[2 * 640 + 9], 0xff00ff);
        assert_eq!(f.px[2 * 640 + 8], 0);
    }

    #[test]
    fn hostile_crtc_values_render_bounded() {
        let vram = MmapRegion::<()>::new(VRAM_SIZE).unwrap();
        let text = MmapRegion::<()>::new(TEXT_SIZE).unwrap();
        let (v, t) = (vram.as_volatile_slice(), text.as_volatile_slice());
        let mut r = mode3();
        for i in [1usize, 7, 9, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x12, 0x13] {
            r.cr[i] = 0xff;
        }
        r.sr[3] = 0xff;
        r.ar[0x14] = 0xff;
        r.pel_mask = 0xff;
        let mut f = Frame::default();
        render(&r, &v, &t, &mut f);
        assert!(f.width <= 160 * 9 && f.height <= 100 * 32);
        // The same in graphics mode, 16 and 256 colours.
        for gr5 in [0, 0x40] {
            r.gr[6] = 1;
            r.gr[5] = gr5;
            render(&r, &v, &t, &mut f);
            assert!(f.width <= 256 * 8 && f.height <= 1024);
        }
    }
}
