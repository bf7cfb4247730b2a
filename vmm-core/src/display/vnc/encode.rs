//! Rectangle encodings: pixel-format conversion, Raw and ZRLE (RFC 6143 §7.7.1, §7.7.6).
//!
//! Input is always the framebuffer's XRGB8888 (little-endian `u32`s, 4 bytes a pixel, rows
//! packed), as [`FrameSource::read_rect`](crate::display::FrameSource::read_rect) returns it.

use std::io;

use flate2::{Compress, Compression, FlushCompress};

use super::proto::PixelFormat;

/// How a ZRLE "CPIXEL" is cut from a pixel (RFC 6143 §7.7.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CPixel {
    /// Same as the pixel.
    Full,
    /// 32 bpp whose colour bits all sit in the low three bytes: those three.
    Low3,
    /// 32 bpp whose colour bits all sit in the high three bytes: those three.
    High3,
}

/// Converts XRGB8888 pixels to a client's pixel format.
pub struct PixelConverter {
    identity: bool,
    bytes_per_pixel: usize,
    big_endian: bool,
    cpixel: CPixel,
    red: [u32; 256],
    green: [u32; 256],
    blue: [u32; 256],
}

fn channel_lut(max: u16, shift: u8) -> [u32; 256] {
    let mut lut = [0u32; 256];
    for (c, v) in lut.iter_mut().enumerate() {
        let scaled = (c as u32 * u32::from(max) + 127) / 255;
        *v = scaled.checked_shl(u32::from(shift)).unwrap_or(0);
    }
    lut
}

impl PixelConverter {
    /// `pf` must have passed [`PixelFormat::check_supported`].
    pub fn new(pf: &PixelFormat) -> PixelConverter {
        let red = channel_lut(pf.red_max, pf.red_shift);
        let green = channel_lut(pf.green_max, pf.green_shift);
        let blue = channel_lut(pf.blue_max, pf.blue_shift);
        let used = red[255] | green[255] | blue[255];
        let cpixel = if pf.bits_per_pixel == 32 && pf.depth <= 24 {
            if used & 0xff00_0000 == 0 {
                CPixel::Low3
            } else if used & 0xff == 0 {
                CPixel::High3
            } else {
                CPixel::Full
            }
        } else {
            CPixel::Full
        };
        PixelConverter {
            identity: *pf == PixelFormat::XRGB8888,
            bytes_per_pixel: pf.bytes_per_pixel().max(1),
            big_endian: pf.big_endian,
            cpixel,
            red,
            green,
            blue,
        }
    }

    /// The client's pixel value for an XRGB8888 pixel.
    #[inline]
    pub fn value(&self, xrgb: u32) -> u32 {
        self.red[((xrgb >> 16) & 0xff) as usize]
            | self.green[((xrgb >> 8) & 0xff) as usize]
            | self.blue[(xrgb & 0xff) as usize]
    }

    pub fn bytes_per_pixel(&self) -> usize {
        self.bytes_per_pixel
    }

    pub fn cpixel_len(&self) -> usize {
        match self.cpixel {
            CPixel::Full => self.bytes_per_pixel,
            CPixel::Low3 | CPixel::High3 => 3,
        }
    }

    /// Appends a pixel value as the client's PIXEL.
    #[inline]
    pub fn put_pixel(&self, v: u32, out: &mut Vec<u8>) {
        match (self.bytes_per_pixel, self.big_endian) {
            (1, _) => out.push(v as u8),
            (2, false) => out.extend_from_slice(&(v as u16).to_le_bytes()),
            (2, true) => out.extend_from_slice(&(v as u16).to_be_bytes()),
            (_, false) => out.extend_from_slice(&v.to_le_bytes()),
            (_, true) => out.extend_from_slice(&v.to_be_bytes()),
        }
    }

    /// Appends a pixel value as the client's ZRLE CPIXEL.
    #[inline]
    pub fn put_cpixel(&self, v: u32, out: &mut Vec<u8>) {
        let (le, be) = (v.to_le_bytes(), v.to_be_bytes());
        match (self.cpixel, self.big_endian) {
            (CPixel::Full, _) => self.put_pixel(v, out),
            (CPixel::Low3, false) => out.extend_from_slice(&le[..3]),
            (CPixel::Low3, true) => out.extend_from_slice(&be[1..]),
            (CPixel::High3, false) => out.extend_from_slice(&le[1..]),
            (CPixel::High3, true) => out.extend_from_slice(&be[..3]),
        }
    }
}

fn xrgb_pixels(src: &[u8]) -> impl Iterator<Item = u32> + '_ {
    src.chunks_exact(4)
        .map(|p| u32::from_le_bytes([p[0], p[1], p[2], p[3]]))
}

/// Raw encoding: the pixels in the client's format, row by row.
pub fn encode_raw(conv: &PixelConverter, src: &[u8], out: &mut Vec<u8>) {
    if conv.identity {
        // Our own format: copy, but clear the unused X byte (some clients treat it as
        // alpha, and guests leave anything in it).
        let start = out.len();
        out.extend_from_slice(src);
        for px in out[start..].chunks_exact_mut(4) {
            px[3] = 0;
        }
        return;
    }
    out.reserve(src.len() / 4 * conv.bytes_per_pixel);
    for px in xrgb_pixels(src) {
        conv.put_pixel(conv.value(px), out);
    }
}

const TILE: usize = 64;
/// ZRLE palettes hold at most 127 colours (palette RLE); packed palettes at most 16.
const MAX_PALETTE: usize = 127;

/// ZRLE for one connection: the zlib stream lives as long as the connection, so every
/// rectangle must be encoded and sent in order.
pub struct ZrleEncoder {
    z: Compress,
    tile: Vec<u32>,
    palette: Vec<u32>,
    plain: Vec<u8>,
}

impl Default for ZrleEncoder {
    fn default() -> Self {
        ZrleEncoder::new()
    }
}

/// Bytes to write a ZRLE run length (`len` >= 1): 255s, then the remainder.
fn run_len_bytes(len: usize) -> usize {
    (len - 1) / 255 + 1
}

fn put_run_len(len: usize, out: &mut Vec<u8>) {
    let mut rest = len - 1;
    while rest >= 255 {
        out.push(255);
        rest -= 255;
    }
    out.push(rest as u8);
}

impl ZrleEncoder {
    pub fn new() -> ZrleEncoder {
        ZrleEncoder {
            // Level 1: this is a local display, latency matters more than bytes, and the
            // RLE/palette subencodings already do most of the work on desktop content.
            z: Compress::new(Compression::fast(), true),
            tile: Vec::with_capacity(TILE * TILE),
            palette: Vec::with_capacity(MAX_PALETTE),
            plain: Vec::new(),
        }
    }

    /// Appends a ZRLE rectangle body (u32 length, zlib data) for `w` x `h` XRGB8888 pixels
    /// in `src` (`w * h * 4` bytes).
    pub fn encode(
        &mut self,
        conv: &PixelConverter,
        src: &[u8],
        w: usize,
        h: usize,
        out: &mut Vec<u8>,
    ) -> io::Result<()> {
        debug_assert_eq!(src.len(), w * h * 4);
        let mut plain = std::mem::take(&mut self.plain);
        plain.clear();
        for ty in (0..h).step_by(TILE) {
            let th = TILE.min(h - ty);
            for tx in (0..w).step_by(TILE) {
                let tw = TILE.min(w - tx);
                self.tile.clear();
                for row in ty..ty + th {
                    let start = (row * w + tx) * 4;
                    let px = xrgb_pixels(&src[start..start + tw * 4]);
                    if conv.identity {
                        // Our own format: no lookups, just the unused byte cleared.
                        self.tile.extend(px.map(|p| p & 0x00ff_ffff));
                    } else {
                        self.tile.extend(px.map(|p| conv.value(p)));
                    }
                }
                self.encode_tile(conv, tw, th, &mut plain);
            }
        }
        let r = self.deflate(&plain, out);
        self.plain = plain;
        r
    }

    fn encode_tile(&mut self, conv: &PixelConverter, tw: usize, th: usize, out: &mut Vec<u8>) {
        let cp = conv.cpixel_len();
        let n = self.tile.len();
        // A single colour (common: backgrounds, the test pattern) needs no run scan.
        if let Some(&first) = self.tile.first() {
            if self.tile.iter().all(|&v| v == first) {
                out.push(1);
                conv.put_cpixel(first, out);
                return;
            }
        }
        // One pass: the palette (until it overflows) and the cost of both RLE flavours.
        self.palette.clear();
        let mut palette_ok = true;
        let mut plain_rle = 0usize;
        let mut palette_rle = 0usize;
        let mut i = 0;
        while i < n {
            let v = self.tile[i];
            let mut j = i + 1;
            while j < n && self.tile[j] == v {
                j += 1;
            }
            let len = j - i;
            plain_rle += cp + run_len_bytes(len);
            palette_rle += if len == 1 { 1 } else { 1 + run_len_bytes(len) };
            if palette_ok && !self.palette.contains(&v) {
                if self.palette.len() == MAX_PALETTE {
                    palette_ok = false;
                } else {
                    self.palette.push(v);
                }
            }
            i = j;
        }

        if palette_ok && self.palette.len() == 1 {
            out.push(1);
            conv.put_cpixel(self.palette[0], out);
            return;
        }

        let p = self.palette.len();
        let packed_bits = match p {
            2 => 1,
            3..=4 => 2,
            5..=16 => 4,
            _ => 0,
        };
        // (cost, subencoding)
        let mut best = (n * cp, 0u8);
        if palette_ok && packed_bits > 0 {
            let cost = p * cp + th * (tw * packed_bits).div_ceil(8);
            if cost < best.0 {
                best = (cost, p as u8);
            }
        }
        if plain_rle < best.0 {
            best = (plain_rle, 128);
        }
        if palette_ok && p * cp + palette_rle < best.0 {
            best = (p * cp + palette_rle, 128 + p as u8);
        }

        let sub = best.1;
        out.push(sub);
        match sub {
            0 => {
                for &v in &self.tile {
                    conv.put_cpixel(v, out);
                }
            }
            2..=16 => {
                for &c in &self.palette {
                    conv.put_cpixel(c, out);
                }
                for row in self.tile.chunks_exact(tw) {
                    let mut byte = 0u8;
                    let mut nbits = 0;
                    for v in row {
                        let idx = self.palette.iter().position(|c| c == v).unwrap_or(0) as u8;
                        byte |= idx << (8 - packed_bits - nbits);
                        nbits += packed_bits;
                        if nbits == 8 {
                            out.push(byte);
                            byte = 0;
                            nbits = 0;
                        }
                    }
                    if nbits > 0 {
                        out.push(byte);
                    }
                }
            }
            128 => {
                let mut i = 0;
                while i < n {
                    let v = self.tile[i];
                    let mut j = i + 1;
                    while j < n && self.tile[j] == v {
                        j += 1;
                    }
                    conv.put_cpixel(v, out);
                    put_run_len(j - i, out);
                    i = j;
                }
            }
            _ => {
                for &c in &self.palette {
                    conv.put_cpixel(c, out);
                }
                let mut i = 0;
                while i < n {
                    let v = self.tile[i];
                    let mut j = i + 1;
                    while j < n && self.tile[j] == v {
                        j += 1;
                    }
                    let idx = self.palette.iter().position(|c| *c == v).unwrap_or(0) as u8;
                    if j - i == 1 {
                        out.push(idx);
                    } else {
                        out.push(idx | 128);
                        put_run_len(j - i, out);
                    }
                    i = j;
                }
            }
        }
    }

    /// Compresses `input` onto the connection's zlib stream, ending on a sync flush, and
    /// appends it to `out` with its u32 length in front.
    fn deflate(&mut self, input: &[u8], out: &mut Vec<u8>) -> io::Result<()> {
        let len_at = out.len();
        out.extend_from_slice(&[0; 4]);
        let start = out.len();
        let mut pos = 0;
        loop {
            if out.capacity() - out.len() < 64 {
                out.reserve((input.len() - pos).max(4096));
            }
            let before = self.z.total_in();
            self.z
                .compress_vec(&input[pos..], out, FlushCompress::Sync)
                .map_err(|e| io::Error::other(format!("zlib: {e}")))?;
            pos += (self.z.total_in() - before) as usize;
            // The flush is complete once all input is in and deflate left output space.
            if pos == input.len() && out.len() < out.capacity() {
                break;
            }
        }
        let len = u32::try_from(out.len() - start)
            .map_err(|_| io::Error::other("ZRLE rectangle over 4 GiB"))?;
        out[len_at..start].copy_from_slice(&len.to_be_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_to_16_and_8_bpp_and_big_endian() {
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
        let c = PixelConverter::new(&rgb565);
        assert_eq!(c.value(0x00ff_0000), 0xf800);
        assert_eq!(c.value(0x0000_ff00), 0x07e0);
        assert_eq!(c.value(0x0000_00ff), 0x001f);
        let mut out = vec![];
        encode_raw(&c, &[0xff, 0, 0, 0], &mut out); // blue, XRGB little-endian
        assert_eq!(out, [0x1f, 0x00]);

        let be = PixelFormat {
            big_endian: true,
            ..PixelFormat::XRGB8888
        };
        let c = PixelConverter::new(&be);
        let mut out = vec![];
        encode_raw(&c, &[3, 2, 1, 0xaa], &mut out);
        assert_eq!(out, [0, 1, 2, 3]);
        assert_eq!(c.cpixel_len(), 3);
        out.clear();
        c.put_cpixel(0x0001_0203, &mut out);
        assert_eq!(out, [1, 2, 3]);

        let bgr233 = PixelFormat {
            bits_per_pixel: 8,
            depth: 8,
            big_endian: false,
            true_colour: true,
            red_max: 7,
            green_max: 7,
            blue_max: 3,
            red_shift: 0,
            green_shift: 3,
            blue_shift: 6,
        };
        let c = PixelConverter::new(&bgr233);
        let mut out = vec![];
        encode_raw(&c, &[0xff, 0xff, 0xff, 0, 0, 0, 0xff, 0], &mut out);
        assert_eq!(out, [0xff, 0x07]);
    }

    #[test]
    fn identity_raw_is_a_copy() {
        let c = PixelConverter::new(&PixelFormat::XRGB8888);
        let src: Vec<u8> = (0..64).collect();
        let mut out = vec![];
        encode_raw(&c, &src, &mut out);
        let want: Vec<u8> = (0..64).map(|i| if i % 4 == 3 { 0 } else { i }).collect();
        assert_eq!(out, want);
        assert_eq!(c.cpixel_len(), 3);
    }

    #[test]
    fn run_lengths() {
        let mut v = vec![];
        put_run_len(1, &mut v);
        put_run_len(255, &mut v);
        put_run_len(256, &mut v);
        put_run_len(600, &mut v);
        assert_eq!(v, [0, 254, 255, 0, 255, 255, 89]);
        assert_eq!(run_len_bytes(256), 2);
    }
}

#[cfg(test)]
mod speed {
    use super::*;

    /// `cargo test --release -p vmm-core --lib zrle_speed -- --ignored --nocapture`: ZRLE time
    /// for a 1024x768 frame of the test guest's solid blocks and of noise.
    #[test]
    #[ignore]
    fn zrle_speed() {
        let (w, h) = (1024usize, 768usize);
        let blocks: Vec<u8> = (0..w * h)
            .flat_map(|i| {
                let (x, y) = (i % w, i / w);
                ((x / 128 * 31 + y / 128 * 57) as u32 | 0x5500_0000).to_le_bytes()
            })
            .collect();
        let noise: Vec<u8> = (0..w * h * 4)
            .map(|i| ((i as u32).wrapping_mul(2_654_435_761) >> 11) as u8)
            .collect();
        let conv = PixelConverter::new(&PixelFormat::XRGB8888);
        for (name, src) in [("blocks", &blocks), ("noise", &noise)] {
            let mut enc = ZrleEncoder::new();
            let mut out = Vec::new();
            let t = std::time::Instant::now();
            for _ in 0..20 {
                out.clear();
                enc.encode(&conv, src, w, h, &mut out).unwrap();
            }
            println!(
                "{name}: {:.2} ms per frame, {} bytes",
                t.elapsed().as_secs_f64() * 50.0,
                out.len()
            );
        }
    }
}
