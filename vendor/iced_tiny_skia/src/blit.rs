//! vmdesk: a fast path for drawing opaque images 1:1 (see vendor/README.md). Not behind the
//! `image` feature, so that `cargo test -p iced_tiny_skia` checks it.
#![cfg_attr(not(feature = "image"), allow(dead_code))]

use crate::core::Rectangle;

/// vmdesk: whether `image` drawn at `bounds` is 1:1 on whole pixels (what `blit_opaque` copies).
pub fn one_to_one(image: tiny_skia::PixmapRef<'_>, bounds: Rectangle) -> bool {
    let whole = |v: f32| v.fract() == 0.0 && v.abs() < (1 << 24) as f32;
    bounds.width == image.width() as f32
        && bounds.height == image.height() as f32
        && whole(bounds.x)
        && whole(bounds.y)
}

/// vmdesk: copies `image` (opaque, premultiplied like the target) into `pixels` at `bounds`,
/// inside `clip` if given. Returns false, drawing nothing, when that would not be exactly
/// what tiny-skia draws: a size other than the image's, or an edge off the pixel grid.
pub fn blit_opaque(
    image: tiny_skia::PixmapRef<'_>,
    bounds: Rectangle,
    pixels: &mut tiny_skia::PixmapMut<'_>,
    clip: Option<Rectangle>,
) -> bool {
    let whole = |v: f32| v.fract() == 0.0 && v.abs() < (1 << 24) as f32;
    if !one_to_one(image, bounds) {
        return false;
    }
    let (pw, ph) = (pixels.width() as i64, pixels.height() as i64);
    // The area drawn: the image and the clip rectangle (whose mask holds exactly its whole
    // pixels when its edges are whole). An image that sticks out of the target is left to
    // tiny-skia, which then paints a column past the image's edge (a quirk not worth copying).
    let (mut x0, mut y0) = (bounds.x as i64, bounds.y as i64);
    let (mut x1, mut y1) = (x0 + image.width() as i64, y0 + image.height() as i64);
    if x0 < 0 || y0 < 0 || x1 > pw || y1 > ph {
        return false;
    }
    if let Some(c) = clip {
        if !(whole(c.x) && whole(c.y) && whole(c.width) && whole(c.height)) {
            return false;
        }
        x0 = x0.max(c.x as i64);
        y0 = y0.max(c.y as i64);
        x1 = x1.min((c.x + c.width) as i64);
        y1 = y1.min((c.y + c.height) as i64);
    }
    if x0 >= x1 || y0 >= y1 {
        return true;
    }
    let (ix, iy) = (bounds.x as i64, bounds.y as i64);
    let src = image.data();
    let src_stride = image.width() as usize * 4;
    let dst_stride = pw as usize * 4;
    let dst = pixels.data_mut();
    let n = (x1 - x0) as usize * 4;
    for y in y0..y1 {
        let s = (y - iy) as usize * src_stride + (x0 - ix) as usize * 4;
        let d = y as usize * dst_stride + x0 as usize * 4;
        dst[d..d + n].copy_from_slice(&src[s..s + n]);
    }
    true
}

/// vmdesk: RGBA bytes to the renderer's pixels (premultiplied, in memory b, g, r, a), and
/// whether all are opaque: whole words at a time, premultiplying only when some pixel is not
/// opaque. A new guest frame is a new image every time, so this runs for every frame the
/// console shows. `buffer` is storage to reuse (an older frame's of the same size: no fresh
/// pages to fault in and zero, ~7 % of the console's CPU); its contents do not matter.
pub fn to_pixmap_pixels(raw: &[u8], mut buffer: Vec<u32>) -> (Vec<u32>, bool) {
    let n = raw.len() / 4;
    // Every element is written below; only new ones need a value first.
    buffer.resize(n, 0);
    let mut alpha = 0xffu32;
    // R and B change places. Plain indexed loops over equal-length slices vectorize; pushing
    // through an iterator did not (~1.3 ms for a 954x715 frame).
    let swap = |v: u32| (v & 0xff00_ff00) | ((v >> 16) & 0xff) | ((v & 0xff) << 16);
    match bytemuck::try_cast_slice::<u8, u32>(&raw[..n * 4]) {
        Ok(words) => {
            for (out, &v) in buffer.iter_mut().zip(words) {
                let v = u32::from_le(v);
                alpha &= v >> 24;
                *out = u32::from_le(swap(v));
            }
        }
        Err(_) => {
            for (out, px) in buffer.iter_mut().zip(raw.chunks_exact(4)) {
                let v = u32::from_le_bytes([px[0], px[1], px[2], px[3]]);
                alpha &= v >> 24;
                *out = u32::from_le(swap(v));
            }
        }
    }
    let opaque = alpha == 0xff;
    if !opaque {
        for out in buffer.iter_mut() {
            let [b, g, r, a] = out.to_le_bytes();
            *out = bytemuck::cast(tiny_skia::ColorU8::from_rgba(b, g, r, a).premultiply());
        }
    }
    (buffer, opaque)
}

/// vmdesk: images whose bytes are already the renderer's pixels (premultiplied; in memory b, g,
/// r, a) and opaque, by id: the cache uses their bytes as they are, with no conversion and no
/// copy. The console makes its guest screen in that format (it asks the VNC server for it), a
/// new image (or up to a few thousand tiles) every frame. Ids wait here until the image is
/// first drawn; an image dropped unseen leaves its id, so only the newest [`NATIVE_WAITING`]
/// are kept.
#[derive(Default)]
struct Native {
    ids: rustc_hash::FxHashSet<crate::core::image::Id>,
    /// The same ids, oldest first, to drop the oldest when full (an id already taken is
    /// dropped from here only then).
    order: std::collections::VecDeque<crate::core::image::Id>,
}

static NATIVE: std::sync::LazyLock<std::sync::Mutex<Native>> =
    std::sync::LazyLock::new(Default::default);

/// How many marked ids wait at most: more than a frame's tiles at 4K (2,040 of 64x64).
const NATIVE_WAITING: usize = 8192;

/// vmdesk: says that `handle` (an RGBA handle) holds the renderer's own pixel format, every
/// pixel opaque. Anything else drawn from it would show red and blue swapped.
pub fn mark_native_opaque(handle: &crate::core::image::Handle) {
    let mut n = NATIVE.lock().unwrap_or_else(|e| e.into_inner());
    if n.order.len() >= NATIVE_WAITING
        && let Some(old) = n.order.pop_front()
    {
        let _ = n.ids.remove(&old);
    }
    let _ = n.ids.insert(handle.id());
    n.order.push_back(handle.id());
}

/// vmdesk: whether `handle` is marked and not drawn yet (for the app's tests).
pub fn is_marked_native(handle: &crate::core::image::Handle) -> bool {
    NATIVE
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .ids
        .contains(&handle.id())
}

/// vmdesk: whether `id` was marked (and forgets it).
pub fn take_native(id: crate::core::image::Id) -> bool {
    NATIVE
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .ids
        .remove(&id)
}

/// vmdesk: pixel storage of images the cache dropped, for new ones: a changing guest screen is
/// a new image every frame, and fresh storage for it is page faults and zeroing.
#[derive(Debug, Default)]
pub struct Spare {
    bufs: Vec<Vec<u32>>,
}

impl Spare {
    /// How many buffers stay after [`Spare::settle`].
    pub const KEEP: usize = 4;

    /// The smallest buffer that holds `n` pixels without growing, else a new empty one.
    pub fn take(&mut self, n: usize) -> Vec<u32> {
        let best = self
            .bufs
            .iter()
            .enumerate()
            .filter(|(_, v)| v.capacity() >= n)
            .min_by_key(|(_, v)| v.capacity())
            .map(|(i, _)| i);
        best.map(|i| self.bufs.swap_remove(i)).unwrap_or_default()
    }

    pub fn give(&mut self, buf: Vec<u32>) {
        self.bufs.push(buf);
    }

    /// Keeps the [`Spare::KEEP`] largest: small ones (tiles) would hold the places and never
    /// fit a whole screen.
    pub fn settle(&mut self) {
        self.bufs
            .sort_unstable_by_key(|v| std::cmp::Reverse(v.capacity()));
        self.bufs.truncate(Self::KEEP);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A whole frame's worth of marked tiles (a 4K screen's) all stay marked until drawn.
    #[test]
    fn every_tile_of_a_frame_stays_marked() {
        let handles: Vec<_> = (0..2100)
            .map(|_| crate::core::image::Handle::from_rgba(1, 1, vec![0u8; 4]))
            .collect();
        handles.iter().for_each(mark_native_opaque);
        assert!(handles.iter().all(|h| take_native(h.id())));
        // Taken once: a second look finds nothing.
        assert!(!take_native(handles[0].id()));
    }

    /// A dropped frame's storage goes to the next frame of its size, even after many tiles.
    #[test]
    fn spare_storage_goes_to_the_image_it_fits() {
        let mut spare = Spare::default();
        let frame = vec![0u32; 1000];
        let at = frame.as_ptr();
        spare.give(frame);
        for _ in 0..10 {
            spare.give(vec![0u32; 16]);
        }
        spare.settle();
        assert_eq!(spare.bufs.len(), Spare::KEEP);
        // A tile takes a tile's storage, the frame takes the frame's.
        assert_eq!(spare.take(16).capacity(), 16);
        let frame = spare.take(900);
        assert_eq!(frame.as_ptr(), at);
        // Nothing big enough left: a new buffer.
        assert_eq!(spare.take(900).capacity(), 0);
    }

    /// The conversion gives what iced's per-pixel loop gave, opaque or not.
    #[test]
    fn pixels_convert_as_before() {
        let opaque: Vec<u8> = (0..64u32)
            .flat_map(|i| [i as u8, (i * 3) as u8, (i * 7) as u8, 255])
            .collect();
        let mut mixed = opaque.clone();
        mixed[7] = 128;
        mixed[11] = 0;
        for (raw, want_opaque) in [(&opaque, true), (&mixed, false)] {
            let old: Vec<u32> = raw
                .chunks_exact(4)
                .map(|p| {
                    bytemuck::cast(
                        tiny_skia::ColorU8::from_rgba(p[2], p[1], p[0], p[3]).premultiply(),
                    )
                })
                .collect();
            assert_eq!(
                to_pixmap_pixels(raw, Vec::new()),
                (old.clone(), want_opaque)
            );
            // Reused storage: its old contents, longer or shorter, do not show.
            for junk in [vec![7u32; 100], vec![9u32; 3]] {
                assert_eq!(to_pixmap_pixels(raw, junk), (old.clone(), want_opaque));
            }
            // The same bytes one byte off a word boundary take the byte-wise path.
            let mut shifted = vec![0u8];
            shifted.extend_from_slice(raw);
            assert_eq!(
                to_pixmap_pixels(&shifted[1..], Vec::new()),
                (old, want_opaque)
            );
        }
    }

    /// vmdesk: the row copy draws exactly what tiny-skia's own path draws, for opaque images
    /// at whole-pixel positions partly off the target, with and without a clip rectangle.
    #[test]
    fn blit_opaque_matches_tiny_skias_drawing() {
        let mut seed = 0x2545_f491_u32;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        let mut image = tiny_skia::Pixmap::new(37, 23).unwrap();
        for px in image.data_mut().chunks_exact_mut(4) {
            let v = next().to_le_bytes();
            px.copy_from_slice(&[v[0], v[1], v[2], 255]);
        }
        let mut base = tiny_skia::Pixmap::new(64, 48).unwrap();
        for px in base.data_mut().chunks_exact_mut(4) {
            let v = next().to_le_bytes();
            px.copy_from_slice(&[v[0], v[1], v[2], 255]);
        }
        let places = [(0.0, 0.0), (13.0, 7.0), (27.0, 25.0), (5.0, 20.0)];
        let clips = [
            None,
            Some(Rectangle::new(
                crate::core::Point::new(10.0, 5.0),
                crate::core::Size::new(20.0, 30.0),
            )),
            Some(Rectangle::new(
                crate::core::Point::new(0.0, 0.0),
                crate::core::Size::new(64.0, 48.0),
            )),
        ];
        for (x, y) in places {
            for clip in clips {
                let bounds = Rectangle::new(
                    crate::core::Point::new(x, y),
                    crate::core::Size::new(37.0, 23.0),
                );
                let mut ours = base.clone();
                assert!(blit_opaque(
                    image.as_ref(),
                    bounds,
                    &mut ours.as_mut(),
                    clip
                ));
                let mut theirs = base.clone();
                let mask = clip.map(|c| {
                    let mut m = tiny_skia::Mask::new(64, 48).unwrap();
                    crate::engine::forget_clip_mask();
                    crate::engine::adjust_clip_mask(&mut m, c);
                    m
                });
                theirs.draw_pixmap(
                    x as i32,
                    y as i32,
                    image.as_ref(),
                    &tiny_skia::PixmapPaint::default(),
                    tiny_skia::Transform::identity(),
                    mask.as_ref(),
                );
                let diff: Vec<_> = ours
                    .data()
                    .chunks(4)
                    .zip(theirs.data().chunks(4))
                    .enumerate()
                    .filter(|(_, (a, b))| a != b)
                    .map(|(i, (a, b))| (i % 64, i / 64, a.to_vec(), b.to_vec()))
                    .take(5)
                    .collect();
                assert!(diff.is_empty(), "at ({x}, {y}) clip {clip:?}: {diff:?}");
            }
        }
        // Sticking out of the target, off the pixel grid or scaled: not ours to draw.
        for (x, y) in [(-5.0, -3.0), (40.0, 30.0), (70.0, 2.0)] {
            let out = Rectangle::new(
                crate::core::Point::new(x, y),
                crate::core::Size::new(37.0, 23.0),
            );
            assert!(!blit_opaque(image.as_ref(), out, &mut base.as_mut(), None));
        }
        let half = Rectangle::new(
            crate::core::Point::new(0.5, 0.0),
            crate::core::Size::new(37.0, 23.0),
        );
        assert!(!blit_opaque(image.as_ref(), half, &mut base.as_mut(), None));
        let scaled = Rectangle::new(
            crate::core::Point::new(0.0, 0.0),
            crate::core::Size::new(74.0, 46.0),
        );
        assert!(!blit_opaque(
            image.as_ref(),
            scaled,
            &mut base.as_mut(),
            None
        ));
    }
}
