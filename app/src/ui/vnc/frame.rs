//! The guest's screen as the session keeps it (the framebuffer with the server's rectangles
//! applied, scaled to the size the console shows) and as the UI draws it (tiles of image
//! handles, only the changed ones sent).
//!
//! Pixels are kept in the renderer's own format, B, G, R, A in memory (the VNC server is asked
//! for it), and every handle is marked so (`iced_tiny_skia::mark_native_opaque`): the renderer
//! draws the guest's screen from the bytes made here, with no conversion or copy of its own.

use super::scale::Scaler;
use iced::widget::image;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Side of the square tiles, in pixels. The renderer redraws a changed tile's neighbours too
/// (its damage is one pixel larger), so small tiles keep a small change cheap; a full-screen
/// change goes as one image instead (see [`Frame::full`]).
pub const TILE: u32 = 64;

/// The size the console shows the screen at, in pixels: the console sets it as it lays the
/// screen out, the session scales to it, so the renderer only ever copies pixels 1:1 (scaling
/// in tiny-skia costs tens of milliseconds per frame on the UI thread).
#[derive(Debug, Default)]
pub struct View {
    size: AtomicU64,
    pub(super) changed: tokio::sync::Notify,
}

impl View {
    pub fn want(&self, width: u32, height: u32) {
        let v = (u64::from(width) << 32) | u64::from(height);
        if self.size.swap(v, Ordering::Relaxed) != v {
            self.changed.notify_one();
        }
    }

    pub(super) fn wanted(&self) -> (u32, u32) {
        let v = self.size.load(Ordering::Relaxed);
        ((v >> 32) as u32, v as u32)
    }
}

/// The tiles that changed, ready to draw.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The guest's screen size.
    pub width: u32,
    pub height: u32,
    /// The size the tiles make up (the screen scaled for the console).
    pub shown: (u32, u32),
    /// The whole screen, when most of it changed (then `tiles` is empty): one image is drawn
    /// in one pass, where many tiles make the renderer split its damage and draw edges twice.
    pub full: Option<image::Handle>,
    /// Tile index (row-major, [`TILE`]-sized over `shown`, the last row and column cut) and
    /// its pixels, drawn over the last whole screen.
    pub tiles: Vec<(usize, image::Handle)>,
    /// Counts frames from 1 in a session (for the frame trace).
    pub seq: u64,
    pub view: Arc<View>,
    /// Held while the frame waits in the channel: the session sends the next one only when the
    /// UI has taken this one, so frames never queue up behind a busy UI (changes merge instead).
    pub(super) _pending: Arc<()>,
}

#[cfg(test)]
impl Frame {
    /// A whole black frame (tests).
    pub fn blank(width: u32, height: u32) -> Frame {
        let mut fb = Framebuffer::default();
        fb.resize(width, height);
        fb.frame((width, height), Arc::default())
    }
}

/// What the console draws: the latest handle of every tile.
#[derive(Debug, Clone, Default)]
pub struct Screen {
    pub width: u32,
    pub height: u32,
    pub shown: (u32, u32),
    /// The last whole screen, and the tiles changed since, drawn over it.
    pub full: Option<image::Handle>,
    pub tiles: Vec<Option<image::Handle>>,
    pub seq: u64,
    pub view: Arc<View>,
}

impl Screen {
    pub fn apply(&mut self, f: Frame) {
        if (f.width, f.height, f.shown) != (self.width, self.height, self.shown) || f.full.is_some()
        {
            self.width = f.width;
            self.height = f.height;
            self.shown = f.shown;
            let (c, r) = grid(f.shown.0, f.shown.1);
            self.tiles = vec![None; c * r];
            self.full = f.full;
        }
        for (i, h) in f.tiles {
            if let Some(t) = self.tiles.get_mut(i) {
                *t = Some(h);
            }
        }
        // Tiles cover it all: the whole image under them would only be drawn (and redrawn
        // around every changed tile) for nothing.
        if self.tiles.iter().all(Option::is_some) {
            self.full = None;
        }
        self.seq = f.seq;
        self.view = f.view;
    }

    /// Each tile's handle and its rectangle (x, y, w, h) in the `shown` pixels.
    pub fn tiles(&self) -> impl Iterator<Item = (&image::Handle, [u32; 4])> {
        let (sw, sh) = self.shown;
        let cols = grid(sw, sh).0.max(1);
        self.tiles.iter().enumerate().filter_map(move |(i, t)| {
            let [x, y, w, h] = tile_rect(i, cols, sw, sh);
            t.as_ref().map(|t| (t, [x, y, w, h]))
        })
    }
}

/// Columns and rows of tiles.
fn grid(width: u32, height: u32) -> (usize, usize) {
    (
        width.div_ceil(TILE) as usize,
        height.div_ceil(TILE) as usize,
    )
}

/// Tile `i`'s rectangle in a `cols`-wide grid over `width`×`height`.
fn tile_rect(i: usize, cols: usize, width: u32, height: u32) -> [u32; 4] {
    let (x, y) = ((i % cols) as u32 * TILE, (i / cols) as u32 * TILE);
    [x, y, TILE.min(width - x), TILE.min(height - y)]
}

/// The framebuffer as B, G, R, X bytes (X as the server sent it), with the vnc-rs events
/// applied.
#[derive(Debug, Default, Clone)]
pub struct Framebuffer {
    pub width: u32,
    pub height: u32,
    pub px: Vec<u8>,
    /// Changed since the last frame handed out.
    pub dirty: bool,
    /// Per tile of the guest's screen: changed since the last frame.
    dirty_tiles: Vec<bool>,
    seq: u64,
    /// The size the last frame was made for, and the screen scaled to it.
    pub(super) shown: (u32, u32),
    /// The last frame was the whole screen in one image.
    sent_full: bool,
    /// The screen at `shown` (the last frame), for rescaling only changed tiles. Empty while
    /// that frame lives only in `handed`.
    scaled: Vec<u8>,
    scaler: Scaler,
    /// Storage of whole scaled frames handed to the UI: the newest is the last frame; the
    /// others come back for new frames once the UI has dropped them (no fresh pages to fault
    /// in and zero each frame, and no copy into the handle).
    handed: Vec<bytes::Bytes>,
}

/// How many whole frames' storage the framebuffer keeps around.
const HANDED: usize = 4;

/// An image handle on pixels in the renderer's format (see the module's note).
fn handle(width: u32, height: u32, pixels: impl Into<bytes::Bytes>) -> image::Handle {
    let h = image::Handle::from_rgba(width, height, pixels);
    iced_tiny_skia::mark_native_opaque(&h);
    h
}

/// Copies B, G, R, X pixels to `out` with X made opaque: whole words (vectorized), bytes if
/// either side is not word-aligned.
fn copy_opaque(out: &mut [u8], data: &[u8]) {
    match (
        bytemuck::try_cast_slice_mut::<u8, u32>(out),
        bytemuck::try_cast_slice::<u8, u32>(data),
    ) {
        (Ok(o), Ok(d)) => {
            for (o, d) in o.iter_mut().zip(d) {
                *o = *d | u32::from_le(0xff00_0000);
            }
        }
        _ => {
            out.copy_from_slice(&data[..out.len()]);
            make_opaque(out);
        }
    }
}

/// Sets every pixel's X (alpha) byte opaque, whole words if aligned.
pub(super) fn make_opaque(px: &mut [u8]) {
    match bytemuck::try_cast_slice_mut::<u8, u32>(px) {
        Ok(words) => words
            .iter_mut()
            .for_each(|p| *p |= u32::from_le(0xff00_0000)),
        Err(_) => px.chunks_exact_mut(4).for_each(|p| p[3] = 255),
    }
}

impl Framebuffer {
    pub fn resize(&mut self, width: u32, height: u32) {
        if (width, height) != (self.width, self.height) {
            self.width = width;
            self.height = height;
            self.px = vec![0; width as usize * height as usize * 4];
            let (c, r) = grid(width, height);
            self.dirty_tiles = vec![true; c * r];
            self.shown = (0, 0);
            self.dirty = true;
        }
    }

    /// Marks the tiles under a rectangle (already clipped to the framebuffer) changed.
    fn touch(&mut self, x: u32, y: u32, w: u32, h: u32) {
        if w == 0 || h == 0 {
            return;
        }
        let cols = grid(self.width, self.height).0;
        for ty in y / TILE..=(y + h - 1) / TILE {
            for tx in x / TILE..=(x + w - 1) / TILE {
                self.dirty_tiles[ty as usize * cols + tx as usize] = true;
            }
        }
        self.dirty = true;
    }

    /// Copies a rectangle of B,G,R,X pixels in (clipped to the framebuffer). X stays as sent:
    /// every image made from the framebuffer is made opaque on the way out (the scale does it
    /// for free), so a whole-screen rectangle is not walked once more just for that.
    pub fn put(&mut self, x: u32, y: u32, w: u32, h: u32, data: &[u8]) {
        if x >= self.width || y >= self.height {
            return;
        }
        let cw = w.min(self.width - x) as usize;
        let ch = h.min(self.height - y) as usize;
        let (fw, w) = (self.width as usize, w as usize);
        let mut rows = 0;
        for row in 0..ch {
            let src = row * w * 4;
            if src + cw * 4 > data.len() {
                break;
            }
            let dst = ((y as usize + row) * fw + x as usize) * 4;
            self.px[dst..dst + cw * 4].copy_from_slice(&data[src..src + cw * 4]);
            rows += 1;
        }
        self.touch(x, y, cw as u32, rows);
    }

    /// [`Framebuffer::put`] for a rectangle the caller gives up: one that is the whole screen
    /// becomes the framebuffer rather than being copied in. The storage
    /// left over goes back to the VNC client for a later rectangle (no fresh pages to fault in
    /// and zero for each screen-sized one).
    pub fn put_owned(&mut self, x: u32, y: u32, w: u32, h: u32, data: Vec<u8>) {
        if (x, y, w, h) != (0, 0, self.width, self.height) || data.len() != self.px.len() {
            // Not given back: the client keeps two buffers, and they should be screen-sized.
            return self.put(x, y, w, h, &data);
        }
        let old = std::mem::replace(&mut self.px, data);
        self.touch(0, 0, w, h);
        vnc::give_back(old);
    }

    /// Storage for a whole frame of `len` bytes: a handed-out one the UI has dropped, or new.
    fn frame_storage(&mut self, len: usize) -> Vec<u8> {
        // The newest (last) is the frame on screen; look at the older ones.
        let mut i = 0;
        while i + 1 < self.handed.len() {
            match self.handed.remove(i).try_into_mut() {
                Ok(m) if m.capacity() >= len => {
                    let mut v = Vec::from(m);
                    v.resize(len, 0);
                    return v;
                }
                // Too small (the screen grew): dropped, the next moved into place `i`.
                Ok(_) => {}
                Err(b) => {
                    self.handed.insert(i, b);
                    i += 1;
                }
            }
        }
        vec![0; len]
    }

    /// CopyRect: the rectangle at (sx, sy) moves to (dx, dy).
    pub fn copy(&mut self, dx: u32, dy: u32, sx: u32, sy: u32, w: u32, h: u32) {
        let fits = |x: u32, y: u32| x + w <= self.width && y + h <= self.height;
        if !fits(dx, dy) || !fits(sx, sy) {
            return;
        }
        let fw = self.width as usize;
        let rows: Vec<usize> = if dy > sy {
            (0..h as usize).rev().collect()
        } else {
            (0..h as usize).collect()
        };
        for r in rows {
            let s = ((sy as usize + r) * fw + sx as usize) * 4;
            let d = ((dy as usize + r) * fw + dx as usize) * 4;
            self.px.copy_within(s..s + w as usize * 4, d);
        }
        self.touch(dx, dy, w, h);
    }

    /// The changed tiles for the UI, scaled to `want` (copies: the subscription keeps drawing
    /// into its own framebuffer). `want` of 0×0 (not laid out yet) means 1:1; it is capped
    /// at 4× the screen.
    pub fn frame(&mut self, want: (u32, u32), view: Arc<View>) -> Frame {
        let (w, h) = (self.width, self.height);
        let shown = match want {
            (0, _) | (_, 0) => (w, h),
            (dw, dh) => (dw.min(w * 4), dh.min(h * 4)),
        };
        let (cols, rows) = grid(shown.0, shown.1);
        let mut dirty = vec![shown != self.shown; cols * rows];
        let was_full = std::mem::take(&mut self.sent_full);
        if shown == self.shown {
            // Each changed source tile, scaled, with what the filter reaches around it: a
            // source pixel weighs in up to half a source pixel (plus one shown pixel) beyond
            // its scaled edge, more than one shown pixel once enlarged over 2x.
            let (sx, sy) = (shown.0 as f32 / w as f32, shown.1 as f32 / h as f32);
            let reach = |s: f32| {
                if shown == (w, h) {
                    0
                } else {
                    ((s / 2.0 + 0.5).ceil() as u32).max(1)
                }
            };
            let (mx, my) = (reach(sx), reach(sy));
            let src_cols = grid(w, h).0;
            for (i, _) in self.dirty_tiles.iter().enumerate().filter(|(_, d)| **d) {
                let [x, y, tw, th] = tile_rect(i, src_cols, w, h);
                let x0 = ((x as f32 * sx).floor() as u32).saturating_sub(mx);
                let y0 = ((y as f32 * sy).floor() as u32).saturating_sub(my);
                let x1 = (((x + tw) as f32 * sx).ceil() as u32 + mx).min(shown.0);
                let y1 = (((y + th) as f32 * sy).ceil() as u32 + my).min(shown.1);
                for ty in y0 / TILE..y1.div_ceil(TILE) {
                    for tx in x0 / TILE..x1.div_ceil(TILE) {
                        dirty[ty as usize * cols + tx as usize] = true;
                    }
                }
            }
        }
        self.dirty_tiles.iter_mut().for_each(|d| *d = false);
        self.dirty = false;
        self.shown = shown;
        self.seq += 1;
        let changed = dirty.iter().filter(|d| **d).count();
        let stride = shown.0 as usize * 4;
        let len = stride * shown.1 as usize;
        if changed * 2 > dirty.len() {
            self.sent_full = true;
            let mut out = self.frame_storage(len);
            if shown == (w, h) {
                copy_opaque(&mut out, &self.px[..len]);
            } else {
                self.scaler.whole((w, h), &self.px, shown, &mut out);
                // The last frame lives in `handed` now; tiles fetch it back if they need it.
                self.scaled = Vec::new();
            }
            let pixels = bytes::Bytes::from(out);
            self.handed.push(pixels.clone());
            if self.handed.len() > HANDED {
                self.handed.remove(0);
            }
            return Frame {
                width: w,
                height: h,
                shown,
                full: Some(handle(shown.0, shown.1, pixels)),
                tiles: Vec::new(),
                seq: self.seq,
                view,
                _pending: Arc::new(()),
            };
        }
        let px = if shown == (w, h) {
            &self.px
        } else {
            // The last frame at this size (a size change makes every tile dirty, so a whole
            // frame): rescale only the tiles that changed.
            if self.scaled.len() != len {
                self.scaled = match self.handed.last() {
                    Some(b) if b.len() == len => b.to_vec(),
                    _ => {
                        let mut v = vec![0; len];
                        self.scaler.whole((w, h), &self.px, shown, &mut v);
                        v
                    }
                };
            }
            self.scale_tiles(shown, &dirty);
            &self.scaled
        };
        if was_full && changed > 0 {
            // Back to tiles after whole images: every tile once, then the UI drops the image.
            dirty.iter_mut().for_each(|d| *d = true);
        }
        let tiles = dirty
            .iter()
            .enumerate()
            .filter(|(_, d)| **d)
            .map(|(i, _)| {
                let [x, y, tw, th] = tile_rect(i, cols, shown.0, shown.1);
                let row_bytes = tw as usize * 4;
                let mut out = vec![0; row_bytes * th as usize];
                for (i, line) in out.chunks_exact_mut(row_bytes).enumerate() {
                    let at = (y as usize + i) * stride + x as usize * 4;
                    copy_opaque(line, &px[at..at + row_bytes]);
                }
                (i, handle(tw, th, out))
            })
            .collect();
        Frame {
            width: w,
            height: h,
            shown,
            full: None,
            tiles,
            seq: self.seq,
            view,
            _pending: Arc::new(()),
        }
    }

    /// Rescales into `self.scaled` (already `shown` big) only the tiles of the `shown` grid
    /// marked in `dirty`, one scale per run of neighbouring tiles in a row, each exactly as
    /// the whole-screen scale draws those pixels (see [`Scaler::part`]): no seams at tile edges.
    fn scale_tiles(&mut self, shown: (u32, u32), dirty: &[bool]) {
        let (cols, _) = grid(shown.0, shown.1);
        let src = (self.width, self.height);
        for (r, row) in dirty.chunks(cols).enumerate() {
            let mut c = 0;
            while c < cols {
                if !row[c] {
                    c += 1;
                    continue;
                }
                let start = c;
                while c < cols && row[c] {
                    c += 1;
                }
                let [x, y, _, th] = tile_rect(r * cols + start, cols, shown.0, shown.1);
                let [lx, _, lw, _] = tile_rect(r * cols + c - 1, cols, shown.0, shown.1);
                let rect = [x, y, lx + lw - x, th];
                self.scaler
                    .part(src, &self.px, shown, &mut self.scaled, rect);
            }
        }
    }

    /// Scales the whole screen into `self.scaled`.
    #[cfg(test)]
    fn scale(&mut self, (dw, dh): (u32, u32)) {
        self.scaled.resize(dw as usize * dh as usize * 4, 0);
        let (w, h) = (self.width, self.height);
        self.scaler
            .whole((w, h), &self.px, (dw, dh), &mut self.scaled);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rectangles_and_copies_land_where_they_belong() {
        let mut fb = Framebuffer::default();
        fb.resize(4, 3);
        assert_eq!(fb.px.len(), 48);
        // A 2x2 rectangle at (1,1), pixels numbered, X as sent (images come out opaque).
        let data: Vec<u8> = (0..4).flat_map(|i| [i, i, i, 0]).collect();
        fb.put(1, 1, 2, 2, &data);
        let at = |fb: &Framebuffer, x: usize, y: usize| fb.px[(y * 4 + x) * 4];
        assert_eq!((at(&fb, 1, 1), at(&fb, 2, 1), at(&fb, 1, 2)), (0, 1, 2));
        assert_eq!(fb.px[(5 * 4) + 3], 0);
        // Clipped at the right edge: no panic, the visible part lands.
        fb.put(3, 0, 2, 1, &[9, 9, 9, 0, 8, 8, 8, 0]);
        assert_eq!(at(&fb, 3, 0), 9);
        // CopyRect moves the block one pixel left.
        fb.copy(0, 1, 1, 1, 2, 2);
        assert_eq!((at(&fb, 0, 1), at(&fb, 1, 1), at(&fb, 0, 2)), (0, 1, 2));
        let f = fb.frame((0, 0), Arc::default());
        assert_eq!((f.width, f.height), (4, 3));
        assert!(!fb.dirty);
        // Out-of-range copies are ignored.
        fb.copy(3, 2, 0, 0, 2, 2);
        assert!(!fb.dirty);
    }

    #[test]
    fn only_changed_tiles_go_to_the_ui_and_the_screen_keeps_the_rest() {
        assert_eq!(TILE, 64, "the numbers below assume 64-px tiles");
        // 300x200: 5x4 tiles, the last column 44 px and the last row 8 px wide.
        assert_eq!(tile_rect(4, 5, 300, 200), [256, 0, 44, 64]);
        assert_eq!(tile_rect(19, 5, 300, 200), [256, 192, 44, 8]);
        let ids = |f: &Frame| f.tiles.iter().map(|(i, _)| *i).collect::<Vec<_>>();
        let mut fb = Framebuffer::default();
        fb.resize(300, 200);
        let first = fb.frame((0, 0), Arc::default());
        assert!(
            first.tiles.is_empty(),
            "after a resize the whole screen goes"
        );
        let mut screen = Screen::default();
        screen.apply(first);
        assert!(screen.full.is_some());
        assert_eq!(screen.tiles().count(), 0);
        // The first small change after a whole image: every tile once, and the image goes.
        fb.put(0, 0, 1, 1, &[5; 4]);
        let f = fb.frame((0, 0), Arc::default());
        assert_eq!(f.tiles.len(), 20);
        screen.apply(f);
        assert!(screen.full.is_none());
        let before: Vec<u64> = screen.tiles().map(|(h, _)| id(h)).collect();
        // A rectangle across the border of tiles 0 and 1 (x 60..80), rows 10..12.
        fb.put(60, 10, 20, 2, &[7; 20 * 2 * 4]);
        let f = fb.frame((0, 0), Arc::default());
        assert!(f.full.is_none());
        assert_eq!(ids(&f), [0, 1]);
        // The new tile 1 holds the rectangle's right part at its own (0, 10).
        let image::Handle::Rgba {
            width, ref pixels, ..
        } = f.tiles[1].1
        else {
            panic!("an RGBA handle")
        };
        assert_eq!(width, 64);
        let at = (10 * 64) * 4;
        assert_eq!(&pixels[at..at + 4], &[7, 7, 7, 255]);
        screen.apply(f);
        let after: Vec<u64> = screen.tiles().map(|(h, _)| id(h)).collect();
        assert!(after[0] != before[0] && after[1] != before[1]);
        assert_eq!(after[2..], before[2..]);
        // Nothing changed: no frame is due; a copy dirties its destination only.
        assert!(!fb.dirty);
        fb.copy(260, 150, 0, 0, 10, 10);
        assert_eq!(ids(&fb.frame((0, 0), Arc::default())), [14]);
        // Most of the screen changed: the whole screen again, and the tiles over it go.
        fb.put(0, 0, 300, 150, &[1; 300 * 150 * 4]);
        let f = fb.frame((0, 0), Arc::default());
        assert!(f.full.is_some() && f.tiles.is_empty());
        screen.apply(f);
        assert_eq!(screen.tiles().count(), 0);

        // Shown at half size (a 3x2 grid over 150x100): the whole screen first, then a change
        // in the screen's top-left corner is the shown top-left tile only, scaled.
        let half = || (150, 100);
        let f = fb.frame(half(), Arc::default());
        assert_eq!((f.shown, f.full.is_some()), ((150, 100), true));
        fb.put(0, 0, 32, 32, &[200; 32 * 32 * 4]);
        assert_eq!(fb.frame(half(), Arc::default()).tiles.len(), 6);
        fb.put(0, 0, 32, 32, &[200; 32 * 32 * 4]);
        let f = fb.frame(half(), Arc::default());
        assert_eq!(ids(&f), [0]);
        let image::Handle::Rgba {
            width,
            height,
            ref pixels,
            ..
        } = f.tiles[0].1
        else {
            panic!("an RGBA handle")
        };
        assert_eq!((width, height), (64, 64));
        assert_eq!(&pixels[..4], &[200, 200, 200, 255], "scaled, not copied");
    }

    #[test]
    fn rescaling_changed_tiles_matches_rescaling_the_whole_screen() {
        // An odd size and scales, so tile edges fall between source pixels: enlarged (bilinear,
        // exact) and shrunk to 45 % (convolution through crop boxes, within rounding).
        let (w, h) = (333u32, 251u32);
        // Enlarged 3.98x too: the filter then reaches 2.5 shown pixels past a tile's edge, and
        // source column 63 (tile 0's last) weighs in shown column 256 (the next shown tile's).
        for (shown, tolerance) in [((517u32, 389u32), 0), ((1325, 980), 0), ((150, 113), 1)] {
            let noise = |seed| noise(w, h, seed);
            let mut fb = Framebuffer::default();
            fb.resize(w, h);
            fb.put(0, 0, w, h, &noise(1));
            fb.frame(shown, Arc::default());
            // Small changes in two places: only their tiles are rescaled.
            let (a, b) = (noise(7), noise(9));
            fb.put(10, 20, 30, 15, &a[..30 * 15 * 4]);
            fb.put(250, 200, 83, 51, &b[..83 * 51 * 4]);
            fb.put(63, 30, 1, 10, &b[..10 * 4]);
            let f = fb.frame(shown, Arc::default());
            assert!(f.full.is_none() && !f.tiles.is_empty());
            let partial = fb.scaled.clone();
            let worst = worst_against_whole(&fb, shown);
            assert!(
                worst <= tolerance,
                "{shown:?}: tiles differ from the whole resize by up to {worst}"
            );
            assert_ne!(
                partial,
                {
                    let mut stale = Framebuffer::default();
                    stale.resize(w, h);
                    stale.put(0, 0, w, h, &noise(1));
                    stale.scale(shown);
                    stale.scaled
                },
                "{shown:?}: the changes were scaled in"
            );
        }
    }

    /// Pixel noise for a `w`×`h` screen.
    fn noise(w: u32, h: u32, seed: u32) -> Vec<u8> {
        (0..w * h * 4)
            .map(|i| (i.wrapping_mul(2_654_435_761).wrapping_add(seed) >> 13) as u8)
            .collect()
    }

    /// The largest difference between `fb`'s scaled screen and its framebuffer scaled whole.
    fn worst_against_whole(fb: &Framebuffer, shown: (u32, u32)) -> u8 {
        let mut whole = Framebuffer::default();
        whole.resize(fb.width, fb.height);
        whole.px = fb.px.clone();
        whole.scale(shown);
        fb.scaled
            .iter()
            .zip(&whole.scaled)
            .map(|(p, q)| p.abs_diff(*q))
            .max()
            .unwrap()
    }

    fn pixels(h: &image::Handle) -> &bytes::Bytes {
        let image::Handle::Rgba { pixels, .. } = h else {
            panic!("an RGBA handle")
        };
        pixels
    }

    /// Every handle goes out marked as the renderer's own format, also when a small change
    /// after a whole frame sends every tile of the screen at once (unmarked, a tile would show
    /// red and blue swapped).
    #[test]
    fn every_handle_is_marked_as_the_renderers_format() {
        let (w, h) = (1024u32, 768u32);
        let mut fb = Framebuffer::default();
        fb.resize(w, h);
        fb.put_owned(0, 0, w, h, noise(w, h, 3));
        let f = fb.frame((954, 715), Arc::default());
        assert!(iced_tiny_skia::is_marked_native(f.full.as_ref().unwrap()));
        fb.put(100, 100, 8, 8, &[1; 8 * 8 * 4]);
        let f = fb.frame((954, 715), Arc::default());
        assert_eq!(
            f.tiles.len(),
            15 * 12,
            "every tile once after a whole frame"
        );
        for (i, t) in &f.tiles {
            assert!(iced_tiny_skia::is_marked_native(t), "tile {i} not marked");
        }
    }

    /// A whole-screen rectangle becomes the framebuffer without a copy; any other is copied in.
    #[test]
    fn a_whole_screen_rectangle_is_taken_not_copied() {
        let mut fb = Framebuffer::default();
        fb.resize(4, 2);
        let data: Vec<u8> = (0..32).collect();
        let at = data.as_ptr();
        fb.put_owned(0, 0, 4, 2, data);
        assert_eq!(fb.px.as_ptr(), at);
        assert_eq!(&fb.px[..8], &[0, 1, 2, 3, 4, 5, 6, 7]);
        let part: Vec<u8> = vec![9; 8];
        let at = part.as_ptr();
        fb.put_owned(1, 1, 2, 1, part);
        assert_ne!(fb.px.as_ptr(), at);
        assert_eq!(&fb.px[20..28], &[9; 8]);
    }

    /// Whatever X bytes the server sends, every image the UI gets is opaque (the renderer
    /// draws them as opaque): at 1:1 and scaled (bilinear and convolution), whole and tiles.
    #[test]
    fn every_image_is_opaque_whatever_the_server_sent() {
        let (w, h) = (300u32, 200u32);
        for shown in [(0, 0), (280, 190), (330, 220), (100, 70)] {
            let mut fb = Framebuffer::default();
            fb.resize(w, h);
            let mut screen = noise(w, h, 4);
            screen.chunks_exact_mut(4).for_each(|p| p[3] = 0);
            fb.put_owned(0, 0, w, h, screen);
            let whole = fb.frame(shown, Arc::default());
            fb.put(5, 5, 3, 3, &[7, 7, 7, 0].repeat(9));
            let tiles = fb.frame(shown, Arc::default());
            assert!(whole.full.is_some() && !tiles.tiles.is_empty());
            let images = whole.full.iter().chain(tiles.tiles.iter().map(|(_, t)| t));
            for image in images {
                let px = pixels(image);
                assert!(px.chunks(4).all(|p| p[3] == 255), "{shown:?}: not opaque");
            }
        }
    }

    /// Whole scaled frames go to the UI without a copy, in storage of frames the UI dropped;
    /// tiles after them still rescale from the last frame.
    #[test]
    fn whole_frames_reuse_dropped_storage_and_tiles_start_from_the_last_one() {
        let (w, h) = (200u32, 150u32);
        let shown = (180u32, 135u32);
        let noise = |seed| noise(w, h, seed);
        let mut fb = Framebuffer::default();
        fb.resize(w, h);
        let mut seen = Vec::new();
        for seed in 0..4 {
            fb.put_owned(0, 0, w, h, noise(seed));
            let f = fb.frame(shown, Arc::default());
            let full = f.full.as_ref().expect("a whole frame");
            seen.push(pixels(full).as_ptr());
            // The UI keeps the newest frame only.
        }
        // The first frame was dropped by the UI: its storage came back for a later one.
        assert!(
            seen[1..].contains(&seen[0]) || seen[2..].contains(&seen[1]),
            "no storage reused: {seen:?}"
        );
        // While the UI holds a frame, its storage is not reused: what it shows stays.
        fb.put_owned(0, 0, w, h, noise(8));
        let held = fb.frame(shown, Arc::default());
        let shows = pixels(held.full.as_ref().expect("a whole frame")).to_vec();
        for seed in 9..12 {
            fb.put_owned(0, 0, w, h, noise(seed));
            let f = fb.frame(shown, Arc::default());
            assert_ne!(
                pixels(f.full.as_ref().unwrap()).as_ptr(),
                pixels(held.full.as_ref().unwrap()).as_ptr()
            );
        }
        assert_eq!(pixels(held.full.as_ref().unwrap())[..], shows[..]);
        // A small change after a whole frame: tiles, scaled from the last whole frame.
        fb.put(10, 10, 5, 5, &[3; 5 * 5 * 4]);
        let f = fb.frame(shown, Arc::default());
        assert!(f.full.is_none() && !f.tiles.is_empty());
        let worst = worst_against_whole(&fb, shown);
        assert!(
            worst <= 1,
            "tiles differ from the whole resize by up to {worst}"
        );
        drop(held);
    }

    fn id(h: &image::Handle) -> u64 {
        use std::hash::{DefaultHasher, Hash, Hasher};
        let mut s = DefaultHasher::new();
        h.id().hash(&mut s);
        s.finish()
    }
}
