//! Bilinear scaling of the guest's screen to the console's size, for the mild scales "fit"
//! shows it at (a 1024x768 guest in the default window: 93 %).
//!
//! Why not `fast_image_resize` here (it still does the strong shrinks, see `frame.rs`): its
//! general two-pass convolution costs 1.1 ms per 1024x768 → 954x715 frame on this machine, a
//! quarter of the app's CPU at 60 frames/s. Two taps per axis are all bilinear needs down to
//! 80 %, and with the weights fixed per column and row that is one 8-byte load, one byte
//! shuffle and one multiply-add (SSSE3 `pmaddubsw`) per output pixel: 0.3 ms.
//!
//! Each output pixel is computed from its own position alone, so any rectangle of the output
//! comes out exactly as the same pixels of the whole (tiles have no seams). Weights are in
//! 64ths (1/64 of a pixel in position: on noise at most 4 levels from exact bilinear, 0.5 on
//! average).
//! The SIMD and plain paths compute the same integers. The output is opaque whatever the
//! source's X bytes hold (the framebuffer keeps them as the server sent them).

/// Fixed-point one: the two weights of a pixel's taps add up to this.
const ONE: u16 = 64;

/// The taps of one output coordinate along one axis: source index `i` and the weight of
/// `i + 1` (out of [`ONE`]); `i + 1` is always inside the source (see [`taps`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tap {
    i: u32,
    w: u8,
}

/// Taps for `dst` output coordinates over `src` source ones, pixel centres aligned (the
/// usual bilinear mapping). A source of 1 gets `i = 0, w = 0` throughout (nothing to blend).
fn taps(src: u32, dst: u32) -> Vec<Tap> {
    let scale = f64::from(src) / f64::from(dst);
    (0..dst)
        .map(|o| {
            if src < 2 {
                return Tap { i: 0, w: 0 };
            }
            let at = ((f64::from(o) + 0.5) * scale - 0.5).max(0.0);
            let mut i = at.floor() as u32;
            let mut w = ((at - f64::from(i)) * f64::from(ONE)).round() as u16;
            if w == ONE {
                (i, w) = (i + 1, 0);
            }
            // The last source pixel: blend towards it fully from its left neighbour, so both
            // taps stay inside the row.
            if i >= src - 1 {
                (i, w) = (src - 2, ONE);
            }
            Tap { i, w: w as u8 }
        })
        .collect()
}

/// A scale from one size to another, its taps computed once.
#[derive(Debug, Clone)]
pub struct Bilinear {
    src: (u32, u32),
    dst: (u32, u32),
    /// Per output column: byte offset of its left tap in a source row.
    cols: Vec<u32>,
    /// Per output column: the weights as `pmaddubsw` takes them, (left, right) × 4 channels.
    col_weights: Vec<[u8; 8]>,
    rows: Vec<Tap>,
    /// One source-wide row blended between two source rows.
    row: Vec<u8>,
    simd: bool,
}

impl Bilinear {
    /// Whether two taps per axis are enough for this scale: any enlargement, and shrinks down
    /// to 80 % (below that, skipping source pixels would alias).
    pub fn suits(src: (u32, u32), dst: (u32, u32)) -> bool {
        let fits = |s: u32, d: u32| d > 0 && u64::from(s) * 4 <= u64::from(d) * 5;
        src.0 >= 1 && src.1 >= 1 && fits(src.0, dst.0) && fits(src.1, dst.1)
    }

    pub fn new(src: (u32, u32), dst: (u32, u32)) -> Bilinear {
        let xs = taps(src.0, dst.0);
        Bilinear {
            src,
            dst,
            cols: xs.iter().map(|t| t.i * 4).collect(),
            col_weights: xs
                .iter()
                .map(|t| {
                    let (l, r) = (ONE as u8 - t.w, t.w);
                    [l, r, l, r, l, r, l, r]
                })
                .collect(),
            rows: taps(src.1, dst.1),
            row: Vec::new(),
            simd: simd_available(),
        }
    }

    pub fn sizes(&self) -> ((u32, u32), (u32, u32)) {
        (self.src, self.dst)
    }

    /// Scales the part `[x, y, w, h]` of the output: `px` is the whole source (B, G, R, X
    /// rows, `src` big), `out` the whole output (`dst` big); the rest of `out` is untouched.
    /// Sizes that do not match do nothing (callers make them by construction).
    pub fn scale(&mut self, px: &[u8], out: &mut [u8], [x, y, w, h]: [u32; 4]) {
        let (sw, sh) = (self.src.0 as usize, self.src.1 as usize);
        let (dw, dh) = (self.dst.0 as usize, self.dst.1 as usize);
        let (x, y, w, h) = (x as usize, y as usize, w as usize, h as usize);
        if px.len() < sw * sh * 4 || out.len() < dw * dh * 4 || x + w > dw || y + h > dh {
            return;
        }
        let stride = sw * 4;
        self.row.resize(stride, 0);
        for oy in y..y + h {
            let Tap { i, w: wy } = self.rows[oy];
            let top = i as usize * stride;
            let src_row: &[u8] = match wy as u16 {
                0 => &px[top..top + stride],
                ONE => &px[top + stride..top + 2 * stride],
                _ => {
                    let (a, b) = (&px[top..top + stride], &px[top + stride..top + 2 * stride]);
                    blend_rows(self.simd, a, b, wy, &mut self.row);
                    &self.row
                }
            };
            let at = (oy * dw + x) * 4;
            let dst = &mut out[at..at + w * 4];
            let (cols, weights) = (&self.cols[x..x + w], &self.col_weights[x..x + w]);
            if sw < 2 {
                // One source column: every output pixel is it.
                dst.chunks_exact_mut(4).for_each(|p| {
                    p.copy_from_slice(&src_row[..4]);
                    p[3] = 255;
                });
            } else {
                blend_cols(self.simd, src_row, cols, weights, dst);
            }
        }
    }
}

/// Scales the screen to the console's size: [`Bilinear`] where it suits, else
/// `fast_image_resize`'s convolution (strong shrinks, which need the filter widened).
#[derive(Debug, Default, Clone)]
pub struct Scaler {
    bilinear: Option<Bilinear>,
    resizer: fast_image_resize::Resizer,
    /// A run of tiles scaled by `fast_image_resize`, before it is copied into place.
    run: Vec<u8>,
}

impl Scaler {
    /// The bilinear plan for these sizes, if bilinear suits them.
    fn bilinear(&mut self, src: (u32, u32), dst: (u32, u32)) -> Option<&mut Bilinear> {
        if !Bilinear::suits(src, dst) {
            return None;
        }
        let plan = self
            .bilinear
            .take()
            .filter(|b| b.sizes() == (src, dst))
            .unwrap_or_else(|| Bilinear::new(src, dst));
        Some(self.bilinear.insert(plan))
    }

    /// `px` (`src` big) scaled into `out` (`dst` big).
    pub fn whole(&mut self, src: (u32, u32), px: &[u8], dst: (u32, u32), out: &mut [u8]) {
        self.part(src, px, dst, out, [0, 0, dst.0, dst.1]);
    }

    /// The part `[x, y, w, h]` of `px` scaled to `dst`, into that part of `out` (`dst` big),
    /// opaque, the same pixels the whole scale gives there (bilinear: exactly; convolution: within
    /// rounding, through a crop box at the whole's scale that the filter reads beyond).
    pub fn part(
        &mut self,
        src: (u32, u32),
        px: &[u8],
        dst: (u32, u32),
        out: &mut [u8],
        rect: [u32; 4],
    ) {
        use fast_image_resize::{images, PixelType};
        if let Some(b) = self.bilinear(src, dst) {
            return b.scale(px, out, rect);
        }
        let [x, y, w, h] = rect;
        if w == 0 || h == 0 || x + w > dst.0 || y + h > dst.1 {
            return;
        }
        let Ok(image) = images::ImageRef::new(src.0, src.1, px, PixelType::U8x4) else {
            return; // sizes match the buffers by construction; U8x4 needs no alignment
        };
        let (fx, fy) = (
            f64::from(src.0) / f64::from(dst.0),
            f64::from(src.1) / f64::from(dst.1),
        );
        let whole = rect == [0, 0, dst.0, dst.1];
        let (buf, stride) = if whole {
            (&mut out[..], 0)
        } else {
            self.run.resize(w as usize * h as usize * 4, 0);
            (&mut self.run[..], dst.0 as usize * 4)
        };
        let Ok(mut part) = images::Image::from_slice_u8(w, h, buf, PixelType::U8x4) else {
            return;
        };
        // Clamped: rounding must not push the box past the image's edge.
        let (left, top) = (f64::from(x) * fx, f64::from(y) * fy);
        let opts = convolution().crop(
            left,
            top,
            (f64::from(w) * fx).min(f64::from(src.0) - left),
            (f64::from(h) * fy).min(f64::from(src.1) - top),
        );
        if self.resizer.resize(&image, &mut part, &opts).is_err() {
            return;
        }
        if whole {
            return super::frame::make_opaque(out);
        }
        super::frame::make_opaque(&mut self.run);
        let row_bytes = w as usize * 4;
        for (i, line) in self.run.chunks_exact(row_bytes).enumerate() {
            let at = (y as usize + i) * stride + x as usize * 4;
            if let Some(dst) = out.get_mut(at..at + row_bytes) {
                dst.copy_from_slice(line);
            }
        }
    }
}

/// Bilinear widened to the shrink (what shrinks below 80 % need not to alias).
fn convolution() -> fast_image_resize::ResizeOptions {
    use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions};
    ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::Bilinear))
        .use_alpha(false)
}

fn simd_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("ssse3")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// `out = a·(1 − w) + b·w` byte by byte, `w` in 64ths.
fn blend_rows(simd: bool, a: &[u8], b: &[u8], w: u8, out: &mut [u8]) {
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if simd {
        // SAFETY: `simd` is true only where the CPU has SSSE3 (`simd_available`).
        done = unsafe { x86::blend_rows(a, b, w, out) };
    }
    let _ = simd;
    let (l, r) = (u16::from(ONE as u8 - w), u16::from(w));
    for ((o, &a), &b) in out[done..].iter_mut().zip(&a[done..]).zip(&b[done..]) {
        *o = ((u16::from(a) * l + u16::from(b) * r + ONE / 2) / ONE) as u8;
    }
}

/// Each output pixel from its two source pixels in `row` (left one at byte `cols[i]`).
fn blend_cols(simd: bool, row: &[u8], cols: &[u32], weights: &[[u8; 8]], out: &mut [u8]) {
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if simd {
        // SAFETY: as in `blend_rows`; `taps` keeps every `cols[i] + 8` inside `row`.
        done = unsafe { x86::blend_cols(row, cols, weights, out) };
    }
    let _ = simd;
    for (i, o) in out.chunks_exact_mut(4).enumerate().skip(done) {
        let at = cols[i] as usize;
        let (l, r) = (u16::from(weights[i][0]), u16::from(weights[i][1]));
        for c in 0..3 {
            let (p, q) = (u16::from(row[at + c]), u16::from(row[at + 4 + c]));
            o[c] = ((p * l + q * r + ONE / 2) / ONE) as u8;
        }
        o[3] = 255;
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    /// [`super::blend_rows`] 16 bytes at a time; returns how many bytes it did.
    ///
    /// # Safety
    /// The CPU must have SSSE3.
    #[target_feature(enable = "ssse3")]
    pub unsafe fn blend_rows(a: &[u8], b: &[u8], w: u8, out: &mut [u8]) -> usize {
        let n = out.len().min(a.len()).min(b.len()) / 16 * 16;
        let l = (super::ONE as u8 - w) as i8;
        let weights = _mm_set_epi8(
            w as i8, l, w as i8, l, w as i8, l, w as i8, l, w as i8, l, w as i8, l, w as i8, l,
            w as i8, l,
        );
        let half = _mm_set1_epi16(super::ONE as i16 / 2);
        let mut i = 0;
        while i < n {
            // SAFETY: i + 16 <= n <= each slice's length.
            unsafe {
                let pa = _mm_loadu_si128(a.as_ptr().add(i).cast());
                let pb = _mm_loadu_si128(b.as_ptr().add(i).cast());
                // (a, b) byte pairs, each times (1 − w, w) and summed: at most 255·64.
                let lo = _mm_maddubs_epi16(_mm_unpacklo_epi8(pa, pb), weights);
                let hi = _mm_maddubs_epi16(_mm_unpackhi_epi8(pa, pb), weights);
                let lo = _mm_srli_epi16(_mm_add_epi16(lo, half), 6);
                let hi = _mm_srli_epi16(_mm_add_epi16(hi, half), 6);
                _mm_storeu_si128(out.as_mut_ptr().add(i).cast(), _mm_packus_epi16(lo, hi));
            }
            i += 16;
        }
        n
    }

    /// [`super::blend_cols`] four output pixels at a time; returns how many pixels it did.
    ///
    /// # Safety
    /// The CPU must have SSSE3, and every `cols[i] + 8 <= row.len()`.
    #[target_feature(enable = "ssse3")]
    pub unsafe fn blend_cols(
        row: &[u8],
        cols: &[u32],
        weights: &[[u8; 8]],
        out: &mut [u8],
    ) -> usize {
        let n = (out.len() / 4).min(cols.len()).min(weights.len()) / 4 * 4;
        let opaque = _mm_set1_epi32(0xff00_0000_u32 as i32);
        // (p0, p1) of one output pixel as channel pairs: B0 B1 G0 G1 R0 R1 X0 X1, twice.
        let mut i = 0;
        while i < n {
            // SAFETY: the caller's promise covers the loads; i + 4 <= n <= out.len() / 4.
            unsafe {
                let four =
                    _mm_packus_epi16(two(row, cols, weights, i), two(row, cols, weights, i + 2));
                let four = _mm_or_si128(four, opaque);
                _mm_storeu_si128(out.as_mut_ptr().add(i * 4).cast(), four);
            }
            i += 4;
        }
        n
    }

    /// Output pixels `i` and `i + 1`: their taps side by side, times their weights, summed per
    /// channel, as 8 × u16.
    ///
    /// # Safety
    /// SSSE3, and `row[cols[j]..cols[j] + 8]` in bounds for both.
    #[target_feature(enable = "ssse3")]
    unsafe fn two(row: &[u8], cols: &[u32], weights: &[[u8; 8]], i: usize) -> __m128i {
        // (p0, p1) of one output pixel as channel pairs: B0 B1 G0 G1 R0 R1 X0 X1, twice.
        let pairs = _mm_setr_epi8(0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15);
        let half = _mm_set1_epi16(super::ONE as i16 / 2);
        // SAFETY: the caller's promise.
        unsafe {
            let p = _mm_loadl_epi64(row.as_ptr().add(cols[i] as usize).cast());
            let q = _mm_loadl_epi64(row.as_ptr().add(cols[i + 1] as usize).cast());
            let taps = _mm_shuffle_epi8(_mm_unpacklo_epi64(p, q), pairs);
            let w = _mm_loadu_si128(weights.as_ptr().add(i).cast());
            _mm_srli_epi16(_mm_add_epi16(_mm_maddubs_epi16(taps, w), half), 6)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(len: usize, seed: u32) -> Vec<u8> {
        (0..len as u32)
            .map(|i| (i.wrapping_mul(2_654_435_761).wrapping_add(seed) >> 13) as u8)
            .collect()
    }

    /// Exact bilinear (floating point, pixel centres aligned, edges clamped), for comparison.
    fn exact(px: &[u8], (sw, sh): (u32, u32), (dw, dh): (u32, u32)) -> Vec<u8> {
        let at = |o: u32, s: u32, d: u32| {
            let v = ((f64::from(o) + 0.5) * f64::from(s) / f64::from(d) - 0.5).max(0.0);
            let i = (v.floor() as u32).min(s - 1);
            (i, (i + 1).min(s - 1), v - f64::from(i))
        };
        let mut out = Vec::new();
        for oy in 0..dh {
            let (y0, y1, fy) = at(oy, sh, dh);
            for ox in 0..dw {
                let (x0, x1, fx) = at(ox, sw, dw);
                for c in 0..3 {
                    let p = |x: u32, y: u32| f64::from(px[((y * sw + x) * 4) as usize + c]);
                    let top = p(x0, y0) * (1.0 - fx) + p(x1, y0) * fx;
                    let bottom = p(x0, y1) * (1.0 - fx) + p(x1, y1) * fx;
                    out.push((top * (1.0 - fy) + bottom * fy).round() as u8);
                }
                out.push(255);
            }
        }
        out
    }

    fn scaled(src: (u32, u32), dst: (u32, u32), px: &[u8], simd: bool) -> Vec<u8> {
        let mut b = Bilinear::new(src, dst);
        b.simd &= simd;
        let mut out = vec![0; (dst.0 * dst.1 * 4) as usize];
        b.scale(px, &mut out, [0, 0, dst.0, dst.1]);
        out
    }

    /// Fit's shrink, a mild enlargement and odd sizes: within 4 levels of exact bilinear on
    /// noise (the worst case for the 64ths: neighbours up to 255 apart), and the SIMD path
    /// gives the very same bytes as the plain one.
    #[test]
    fn scales_like_exact_bilinear_and_simd_matches_plain() {
        for (src, dst) in [
            ((1024, 768), (954, 715)),
            ((333, 251), (517, 389)),
            ((37, 23), (30, 19)),
            ((2, 2), (7, 5)),
        ] {
            let px = noise((src.0 * src.1 * 4) as usize, 5);
            let plain = scaled(src, dst, &px, false);
            let worst = plain
                .iter()
                .zip(exact(&px, src, dst))
                .map(|(a, b)| a.abs_diff(b))
                .max()
                .unwrap();
            assert!(worst <= 4, "{src:?} → {dst:?}: {worst} levels from exact");
            assert_eq!(
                plain,
                scaled(src, dst, &px, true),
                "{src:?} → {dst:?}: SIMD"
            );
        }
    }

    /// A part of the output is exactly that part of the whole, and nothing else is written.
    #[test]
    fn a_rectangle_is_the_same_pixels_as_the_whole() {
        let (src, dst) = ((333, 251), (300, 230));
        let px = noise((src.0 * src.1 * 4) as usize, 9);
        let whole = scaled(src, dst, &px, true);
        let mut b = Bilinear::new(src, dst);
        let mut out = vec![7; whole.len()];
        let rect = [13u32, 21, 101, 77];
        b.scale(&px, &mut out, rect);
        for y in 0..dst.1 {
            for x in 0..dst.0 {
                let i = ((y * dst.0 + x) * 4) as usize;
                let inside = (rect[0]..rect[0] + rect[2]).contains(&x)
                    && (rect[1]..rect[1] + rect[3]).contains(&y);
                let want = if inside {
                    &whole[i..i + 4]
                } else {
                    &[7; 4][..]
                };
                assert_eq!(&out[i..i + 4], want, "pixel ({x}, {y})");
            }
        }
    }

    /// Flat colours stay exactly themselves, the edges included, and come out opaque whatever
    /// X held; 1-pixel sources neither panic nor read outside.
    #[test]
    fn flat_colour_and_tiny_sources() {
        for (src, dst) in [
            ((1024, 768), (954, 715)),
            ((1, 1), (3, 2)),
            ((1, 5), (4, 4)),
        ] {
            let px = [12, 200, 77, 3].repeat((src.0 * src.1) as usize);
            for simd in [false, true] {
                let out = scaled(src, dst, &px, simd);
                assert!(out.chunks(4).all(|p| p == [12, 200, 77, 255]), "{src:?}");
            }
        }
        assert!(Bilinear::suits((1024, 768), (954, 715)));
        assert!(Bilinear::suits((640, 480), (1920, 1080)));
        assert!(!Bilinear::suits((1024, 768), (800, 600)));
        assert!(!Bilinear::suits((1024, 768), (0, 600)));
        // Wrong buffer sizes: nothing happens.
        let mut b = Bilinear::new((4, 4), (3, 3));
        let mut out = vec![1; 36];
        b.scale(&[0; 10], &mut out, [0, 0, 3, 3]);
        b.scale(&[0; 64], &mut out, [2, 2, 2, 2]);
        assert_eq!(out, vec![1; 36]);
    }
}
