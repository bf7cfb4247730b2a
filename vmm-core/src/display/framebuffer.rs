//! The linear framebuffer: its own memslot outside RAM, handed to the guest through
//! `boot_params.screen_info`, and watched with KVM dirty logging.

use super::{DamageBus, FrameSource, Rect};
use kvm_bindings::{kvm_userspace_memory_region, KVM_MEM_LOG_DIRTY_PAGES};
use kvm_ioctls::VmFd;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use vm_memory::volatile_memory::VolatileSlice;
use vm_memory::{MmapRegion, VolatileMemory};

const PAGE: usize = 4096;

/// Copies guest pixels into `dst` (as many bytes as both hold) with aligned 8- and 4-byte
/// loads, so no pixel is ever split. The guest draws while we read, and vm-memory's copy is a
/// plain memcpy for anything longer than a word: it may take two bytes of a pixel before the
/// guest's store and two after, a colour that was never on the screen (seen in screenshots).
fn copy_pixels(src: &VolatileSlice<'_, ()>, dst: &mut [u8]) {
    let n = src.len().min(dst.len());
    let guard = src.ptr_guard();
    let base = guard.as_ptr();
    let aligned = |i: usize, size: usize| (base as usize + i).is_multiple_of(size);
    // One aligned load of `size` (1, 4 or 8) bytes at `i` into `dst`.
    let mut load = |i: usize, size: usize| {
        debug_assert!(i + size <= n && aligned(i, size));
        // SAFETY: `base + i .. base + i + size` lies in the slice (callers keep
        // `i + size <= n <= src.len()`), which stays mapped while `guard` lives; the load is
        // aligned to its size and of a plain integer, valid for any bits.
        unsafe {
            let p = base.add(i);
            match size {
                8 => dst[i..i + 8]
                    .copy_from_slice(&std::ptr::read_volatile(p as *const u64).to_ne_bytes()),
                4 => dst[i..i + 4]
                    .copy_from_slice(&std::ptr::read_volatile(p as *const u32).to_ne_bytes()),
                _ => dst[i] = std::ptr::read_volatile(p),
            }
        }
    };
    let mut i = 0;
    while i < n && !aligned(i, 8) {
        let size = if aligned(i, 4) && i + 4 <= n { 4 } else { 1 };
        load(i, size);
        i += size;
    }
    while i + 8 <= n {
        load(i, 8);
        i += 8;
    }
    if i + 4 <= n {
        load(i, 4);
        i += 4;
    }
    while i < n {
        load(i, 1);
        i += 1;
    }
}

pub struct Framebuffer {
    region: MmapRegion<()>,
    pub width: u32,
    pub height: u32,
    pub stride: u32,
    /// Guest-physical address.
    pub gpa: u64,
    pub slot: u32,
    /// The frame as clients were last told about it. Dirty logging works in pages (a page is
    /// a full row or more), so a small change dirties whole rows; comparing the dirty rows
    /// with this copy narrows the damage to the pixels that really changed, which is what
    /// clients then encode and send. (3 MB at 1024x768; touched only once a client watches.)
    shadow: Mutex<Vec<u8>>,
}

/// Unchanged rows inside one damage rectangle before it is split in two: a few rows more to
/// send beat another rectangle header and another encode call.
const MAX_ROW_GAP: u32 = 8;

impl Framebuffer {
    /// Allocates the framebuffer and maps it into the guest at `gpa` as memslot `slot`, with
    /// dirty-page logging on.
    pub fn new(
        vm: &VmFd,
        slot: u32,
        gpa: u64,
        width: u32,
        height: u32,
    ) -> Result<Self, FramebufferError> {
        let stride = width * 4;
        let size = (stride as usize * height as usize).div_ceil(PAGE) * PAGE;
        let region = MmapRegion::<()>::new(size).map_err(FramebufferError::Memory)?;
        let r = kvm_userspace_memory_region {
            slot,
            flags: KVM_MEM_LOG_DIRTY_PAGES,
            guest_phys_addr: gpa,
            memory_size: size as u64,
            userspace_addr: region.as_ptr() as u64,
        };
        // SAFETY: `region` is a live mapping owned by the Framebuffer, which the VMM keeps for
        // the life of the VM.
        unsafe { vm.set_user_memory_region(r) }.map_err(FramebufferError::Memslot)?;
        Ok(Framebuffer {
            region,
            width,
            height,
            stride,
            gpa,
            slot,
            shadow: Mutex::new(vec![0; size]),
        })
    }

    /// Where the framebuffer is mapped in this process (for the inspector's page counts).
    pub fn host_address(&self) -> usize {
        self.region.as_ptr() as usize
    }

    pub fn size(&self) -> usize {
        self.region.size()
    }

    /// A copy of every byte (for snapshots).
    pub fn contents(&self) -> Vec<u8> {
        let mut v = vec![0u8; self.size()];
        copy_pixels(&self.region.as_volatile_slice(), &mut v);
        v
    }

    /// Writes back what `contents` returned (shorter input fills the start). The writer must
    /// tell clients the whole screen changed: host writes leave no trace in the dirty log.
    pub fn set_contents(&self, data: &[u8]) {
        let n = data.len().min(self.size());
        if let Ok(dst) = self.region.as_volatile_slice().get_slice(0, n) {
            dst.copy_from(&data[..n]);
        }
        self.sync_shadow();
    }

    /// Takes the current frame as what clients know (a new client reads it whole).
    pub fn sync_shadow(&self) {
        let mut shadow = crate::util::lock(&self.shadow);
        copy_pixels(&self.region.as_volatile_slice(), &mut shadow);
    }

    /// What changed since the last call, from KVM's dirty-page bitmap: the dirty row bands,
    /// narrowed to the pixels that differ from the shadow copy (which then takes them).
    pub fn changed_rects(&self, bitmap: &[u64]) -> Vec<Rect> {
        let bands = self.damage_from_bitmap(bitmap);
        let mut shadow = crate::util::lock(&self.shadow);
        let (stride, row_bytes) = (self.stride as usize, self.width as usize * 4);
        let vs = self.region.as_volatile_slice();
        // Most of the screen dirty (a full redraw, scrolling): comparing would cost a second
        // pass over megabytes and narrow little, so the bands go as they are and the shadow
        // just takes the rows.
        if bands.iter().map(|b| b.h).sum::<u32>() * 2 > self.height {
            for b in &bands {
                let (start, len) = (b.y as usize * stride, b.h as usize * stride);
                let len = len.min(shadow.len() - start);
                if let Ok(src) = vs.get_slice(start, len) {
                    copy_pixels(&src, &mut shadow[start..start + len]);
                }
            }
            return bands;
        }
        let mut row = vec![0u8; row_bytes];
        let mut out = Vec::new();
        // The open rectangle: x0, x1, y0, y1 (exclusive), and unchanged rows since y1.
        let mut open: Option<(u32, u32, u32, u32)> = None;
        let mut gap = 0;
        let close = |open: &mut Option<(u32, u32, u32, u32)>, out: &mut Vec<Rect>| {
            if let Some((x0, x1, y0, y1)) = open.take() {
                out.push(Rect {
                    x: x0,
                    y: y0,
                    w: x1 - x0,
                    h: y1 - y0,
                });
            }
        };
        for band in &bands {
            for y in band.y..band.y + band.h {
                let off = y as usize * stride;
                // The guest writes concurrently: a volatile copy, then plain compares. A write
                // after the copy is in the next bitmap, so it is never lost.
                let Ok(src) = vs.get_slice(off, row_bytes) else {
                    continue;
                };
                copy_pixels(&src, &mut row);
                let old = &mut shadow[off..off + row_bytes];
                if old == &row[..] {
                    gap += 1;
                    if gap > MAX_ROW_GAP {
                        close(&mut open, &mut out);
                    }
                    continue;
                }
                let (x0, x1) = {
                    let differs = |x: &u32| {
                        let i = *x as usize * 4;
                        row[i..i + 4] != old[i..i + 4]
                    };
                    let x0 = (0..self.width).find(differs).unwrap_or(0);
                    let x1 = (0..self.width).rfind(differs).map_or(self.width, |x| x + 1);
                    (x0, x1)
                };
                old.copy_from_slice(&row);
                gap = 0;
                open = Some(match open {
                    Some((a0, a1, ay0, _)) => (a0.min(x0), a1.max(x1), ay0, y + 1),
                    None => (x0, x1, y, y + 1),
                });
            }
            // Bands are far apart (else they would have merged): a rectangle ends with its band.
            close(&mut open, &mut out);
            gap = 0;
        }
        out
    }

    /// Turns KVM's dirty-page bitmap into full-width row bands.
    pub fn damage_from_bitmap(&self, bitmap: &[u64]) -> Vec<Rect> {
        let mut rects: Vec<Rect> = Vec::new();
        let stride = self.stride as usize;
        for (w, bits) in bitmap.iter().enumerate() {
            let mut b = *bits;
            while b != 0 {
                let page = w * 64 + b.trailing_zeros() as usize;
                b &= b - 1;
                let y0 = (page * PAGE / stride) as u32;
                let y1 = (((page + 1) * PAGE - 1) / stride + 1).min(self.height as usize) as u32;
                if y0 >= y1 {
                    continue;
                }
                match rects.last_mut() {
                    Some(r) if r.y + r.h >= y0 => r.h = r.h.max(y1 - r.y),
                    _ => rects.push(Rect {
                        x: 0,
                        y: y0,
                        w: self.width,
                        h: y1 - y0,
                    }),
                }
            }
        }
        rects
    }
}

impl FrameSource for Framebuffer {
    fn width(&self) -> u32 {
        self.width
    }
    fn height(&self) -> u32 {
        self.height
    }
    fn read_rect(&self, r: Rect, out: &mut Vec<u8>) {
        out.clear();
        let x1 = (r.x + r.w).min(self.width);
        let y1 = (r.y + r.h).min(self.height);
        if r.x >= x1 || r.y >= y1 {
            return;
        }
        let row_bytes = (x1 - r.x) as usize * 4;
        out.resize(row_bytes * (y1 - r.y) as usize, 0);
        let vs = self.region.as_volatile_slice();
        for (i, y) in (r.y..y1).enumerate() {
            let off = y as usize * self.stride as usize + r.x as usize * 4;
            // The guest writes concurrently: rows may come from different frames, pixels never
            // mix two.
            if let Ok(src) = vs.get_slice(off, row_bytes) {
                copy_pixels(&src, &mut out[i * row_bytes..(i + 1) * row_bytes]);
            }
        }
    }
}

/// Polls the dirty log while anyone watches, and publishes what changed. An idle guest
/// produces no damage, so clients get no updates; with no client the thread sleeps.
pub fn spawn_damage_thread(vm: Arc<VmFd>, fb: Arc<Framebuffer>, bus: Arc<DamageBus>) {
    {
        // The first client reads the whole frame right after subscribing; without this, the
        // first harvest would also hand it everything drawn since boot, the frame again.
        let (vm, fb) = (vm.clone(), fb.clone());
        bus.on_first_subscriber(move || {
            let _ = vm.get_dirty_log(fb.slot, fb.size());
            fb.sync_shadow();
        });
    }
    let _ = std::thread::Builder::new()
        .name("display".into())
        .spawn(move || {
            crate::sandbox::confine(crate::sandbox::ThreadKind::Display);
            // A fixed 60 Hz schedule: sleeping 16 ms after each harvest drifted to ~55 Hz.
            let mut next = Instant::now();
            loop {
                // Nobody watching: sleep until someone subscribes instead of waking 60 times a
                // second for nothing.
                if bus.client_count() == 0 {
                    bus.wait_for_client();
                    next = Instant::now();
                }
                next += FRAME_INTERVAL;
                match next.checked_duration_since(Instant::now()) {
                    Some(d) => std::thread::sleep(d),
                    // Late (host busy): carry on from now rather than harvest in a burst.
                    None => next = Instant::now(),
                }
                match vm.get_dirty_log(fb.slot, fb.size()) {
                    Ok(bitmap) => bus.publish(&fb.changed_rects(&bitmap)),
                    Err(e) => {
                        crate::log_line!("vmdesk-vmm: display: KVM_GET_DIRTY_LOG failed: {e}; damage tracking off, sending full frames");
                        bus.publish(&[Rect {
                            x: 0,
                            y: 0,
                            w: fb.width,
                            h: fb.height,
                        }]);
                        std::thread::sleep(Duration::from_millis(100));
                    }
                }
            }
        });
}

/// How often the damage thread harvests the dirty log while a client is connected.
const FRAME_INTERVAL: Duration = Duration::from_nanos(16_666_667);

/// Why the framebuffer cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum FramebufferError {
    #[error("framebuffer memory: {0}")]
    Memory(vm_memory::mmap::MmapRegionError),
    #[error("framebuffer memslot: {0}")]
    Memslot(kvm_ioctls::Error),
}

/// Why a screen image (screenshot, thumbnail) cannot be written; names the file.
#[derive(Debug, thiserror::Error)]
pub enum PngError {
    #[error("the frame is smaller than its size")]
    FrameSize,
    #[error("thumbnail size")]
    ThumbnailSize,
    #[error("encoding PNG: {0}")]
    Encode(image::ImageError),
    #[error("{}: {source}", path.display())]
    Write {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

/// Writes the current frame to `path` as PNG, atomically.
pub fn screenshot(fb: &dyn FrameSource, path: &std::path::Path) -> Result<(), PngError> {
    write_png(&frame_rgb(fb)?, path)
}

/// The whole current frame as an RGB image.
fn frame_rgb(fb: &dyn FrameSource) -> Result<image::RgbImage, PngError> {
    let (w, h) = (fb.width(), fb.height());
    let mut px = Vec::new();
    fb.read_rect(Rect { x: 0, y: 0, w, h }, &mut px);
    let mut rgb = Vec::with_capacity(px.len() / 4 * 3);
    for p in px.chunks_exact(4) {
        rgb.extend_from_slice(&[p[2], p[1], p[0]]);
    }
    image::RgbImage::from_raw(w, h, rgb).ok_or(PngError::FrameSize)
}

/// Encodes `img` as PNG and writes it to `path` atomically.
fn write_png(img: &image::RgbImage, path: &std::path::Path) -> Result<(), PngError> {
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .map_err(PngError::Encode)?;
    // The path comes from an API client: never replace what is not a file of ours.
    crate::util::write_atomic_new_or_own(path, &png).map_err(|source| PngError::Write {
        path: path.to_path_buf(),
        source,
    })
}

use image::ImageEncoder as _;

/// Writes the current frame scaled down to fit `max_w` × `max_h` (aspect kept, never enlarged)
/// as PNG, atomically; returns the size written. Area averaging (image's `thumbnail`) keeps thin
/// lines and text visible as shades, where sampling every n-th pixel would drop them.
pub fn thumbnail(
    fb: &dyn FrameSource,
    max_w: u32,
    max_h: u32,
    path: &std::path::Path,
) -> Result<(u32, u32), PngError> {
    let full = frame_rgb(fb)?;
    let (tw, th) = fit(full.width(), full.height(), max_w, max_h);
    write_png(&image::imageops::thumbnail(&full, tw, th), path)?;
    Ok((tw, th))
}

/// The largest size with `w`:`h`'s aspect inside `max_w` × `max_h`, at least 1×1, never larger
/// than `w` × `h`.
fn fit(w: u32, h: u32, max_w: u32, max_h: u32) -> (u32, u32) {
    let (max_w, max_h) = (max_w.min(w), max_h.min(h));
    // Compare w/h with max_w/max_h without floats: which side limits?
    if u64::from(w) * u64::from(max_h) >= u64::from(h) * u64::from(max_w) {
        let th = (u64::from(h) * u64::from(max_w) / u64::from(w)) as u32;
        (max_w.max(1), th.max(1))
    } else {
        let tw = (u64::from(w) * u64::from(max_h) / u64::from(h)) as u32;
        (tw.max(1), max_h.max(1))
    }
}

/// Writes a small (at most 320 px wide) PNG of an XRGB8888 frame, for snapshot thumbnails.
pub fn write_thumbnail(
    px: &[u8],
    width: u32,
    height: u32,
    stride: u32,
    path: &std::path::Path,
) -> Result<(), PngError> {
    let step = width.div_ceil(320).max(1);
    let (tw, th) = (width / step, height / step);
    let mut rgb = Vec::with_capacity((tw * th * 3) as usize);
    for ty in 0..th {
        for tx in 0..tw {
            let off = (ty * step * stride + tx * step * 4) as usize;
            let p = px.get(off..off + 4).unwrap_or(&[0; 4]);
            rgb.extend_from_slice(&[p[2], p[1], p[0]]);
        }
    }
    let img = image::RgbImage::from_raw(tw, th, rgb).ok_or(PngError::ThumbnailSize)?;
    write_png(&img, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fb_geometry(width: u32, height: u32) -> Framebuffer {
        Framebuffer {
            region: MmapRegion::new((width * height * 4) as usize).unwrap(),
            width,
            height,
            stride: width * 4,
            gpa: 0,
            slot: 0,
            shadow: Mutex::new(vec![0; (width * height * 4) as usize]),
        }
    }

    #[test]
    fn pixel_copies_are_exact_at_any_offset_and_length() {
        let region = MmapRegion::<()>::new(4096).unwrap();
        let vs = region.as_volatile_slice();
        let bytes: Vec<u8> = (0..4096u32).map(|i| (i * 7 + 3) as u8).collect();
        vs.copy_from(&bytes[..]);
        for start in [0usize, 1, 2, 3, 4, 5, 8, 12, 100] {
            for len in [0usize, 1, 3, 4, 7, 8, 9, 12, 13, 64, 1001] {
                let src = vs.get_slice(start, len).unwrap();
                let mut dst = vec![0u8; len];
                copy_pixels(&src, &mut dst);
                assert_eq!(dst, bytes[start..start + len], "at {start}, {len} bytes");
            }
        }
        // A shorter destination takes what fits.
        let mut short = vec![0u8; 10];
        copy_pixels(&vs.get_slice(4, 100).unwrap(), &mut short);
        assert_eq!(short, bytes[4..14]);
    }

    #[test]
    fn a_screen_read_while_the_guest_draws_never_mixes_two_colours_in_a_pixel() {
        // A "guest" thread repaints every pixel with whole 4-byte stores, alternating two
        // colours that differ in every byte; every row read meanwhile must hold only those.
        let fb = Arc::new(fb_geometry(640, 64));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (fb2, stop2) = (fb.clone(), stop.clone());
        let painter = std::thread::spawn(move || {
            let vs = fb2.region.as_volatile_slice();
            let mut colour = 0x0012_3456u32;
            while !stop2.load(std::sync::atomic::Ordering::Relaxed) {
                colour ^= 0x00ff_ffff;
                for i in (0..vs.len()).step_by(4) {
                    vs.get_ref::<u32>(i).unwrap().store(colour);
                }
            }
        });
        let mut out = Vec::new();
        let deadline = Instant::now() + Duration::from_millis(300);
        let mut reads = 0;
        while Instant::now() < deadline {
            fb.read_rect(
                Rect {
                    x: 1,
                    y: 0,
                    w: 639,
                    h: 64,
                },
                &mut out,
            );
            for p in out.chunks(4) {
                let v = u32::from_le_bytes(p.try_into().unwrap());
                assert!(
                    v == 0x0012_3456 || v == 0x00ed_cba9 || v == 0,
                    "pixel {v:#010x} mixes two colours"
                );
            }
            reads += 1;
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        painter.join().unwrap();
        assert!(reads > 0);
    }

    #[test]
    fn dirty_pages_become_merged_row_bands() {
        let fb = fb_geometry(1024, 768); // 4096-byte rows: one page per row
        let mut bm = vec![0u64; 768 / 64];
        for p in [3usize, 4, 5, 100] {
            bm[p / 64] |= 1 << (p % 64);
        }
        let r = fb.damage_from_bitmap(&bm);
        assert_eq!(
            r,
            vec![
                Rect {
                    x: 0,
                    y: 3,
                    w: 1024,
                    h: 3
                },
                Rect {
                    x: 0,
                    y: 100,
                    w: 1024,
                    h: 1
                }
            ]
        );
        assert!(fb.damage_from_bitmap(&[0; 12]).is_empty());
    }

    #[test]
    fn read_rect_clips_and_copies() {
        let fb = fb_geometry(64, 64);
        let vs = fb.region.as_volatile_slice();
        vs.get_slice(64 * 4 * 2 + 8, 4)
            .unwrap()
            .copy_from(&[1u8, 2, 3, 4]);
        let mut out = Vec::new();
        fb.read_rect(
            Rect {
                x: 2,
                y: 2,
                w: 1,
                h: 1,
            },
            &mut out,
        );
        assert_eq!(out, [1, 2, 3, 4]);
        fb.read_rect(
            Rect {
                x: 60,
                y: 60,
                w: 100,
                h: 100,
            },
            &mut out,
        );
        assert_eq!(out.len(), 4 * 4 * 4);
        fb.read_rect(
            Rect {
                x: 70,
                y: 0,
                w: 1,
                h: 1,
            },
            &mut out,
        );
        assert!(out.is_empty());
    }

    #[test]
    fn thumbnails_fit_the_box_keep_the_aspect_and_never_grow() {
        assert_eq!(fit(1024, 768, 128, 96), (128, 96));
        assert_eq!(fit(1920, 1080, 128, 96), (128, 72));
        assert_eq!(fit(768, 1024, 128, 96), (72, 96));
        assert_eq!(fit(64, 48, 128, 96), (64, 48), "never enlarged");
        assert_eq!(fit(4000, 1, 128, 96), (128, 1), "at least one row");
    }

    #[test]
    fn a_thumbnail_averages_areas_so_thin_lines_survive() {
        let (w, h) = (640u32, 480u32);
        let fb = fb_geometry(w, h);
        // Left half red, right half blue (XRGB in memory: B, G, R, X), and a 1-px white
        // line across row 240, which sampling every 5th row would have missed or kept whole.
        let mut px = vec![0u8; (w * h * 4) as usize];
        for y in 0..h {
            for x in 0..w {
                let i = ((y * w + x) * 4) as usize;
                px[i..i + 4].copy_from_slice(match (y, x < w / 2) {
                    (240, _) => &[255, 255, 255, 0],
                    (_, true) => &[0, 0, 255, 0],
                    (_, false) => &[255, 0, 0, 0],
                });
            }
        }
        fb.set_contents(&px);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.png");
        assert_eq!(thumbnail(&fb, 128, 96, &path).unwrap(), (128, 96));
        let img = image::open(&path).unwrap().to_rgb8();
        assert_eq!(img.dimensions(), (128, 96));
        assert_eq!(img.get_pixel(10, 10).0, [255, 0, 0]);
        assert_eq!(img.get_pixel(118, 10).0, [0, 0, 255]);
        // Row 48 of the thumbnail covers rows 240..245: one white row in five.
        let [r, g, b] = img.get_pixel(10, 48).0;
        assert!(
            r == 255 && (40..=62).contains(&g) && g == b,
            "{:?}",
            [r, g, b]
        );
    }

    /// A guest write: straight into the memory, as the vCPU would (no shadow update).
    fn guest_fill(fb: &Framebuffer, r: Rect, bgrx: [u8; 4]) {
        let vs = fb.region.as_volatile_slice();
        for y in r.y..r.y + r.h {
            for x in r.x..r.x + r.w {
                let off = (y * fb.stride + x * 4) as usize;
                vs.get_slice(off, 4).unwrap().copy_from(&bgrx);
            }
        }
    }

    /// The dirty bitmap KVM would report for the rows of `rects`.
    fn bitmap_for(fb: &Framebuffer, rects: &[Rect]) -> Vec<u64> {
        let mut bm = vec![0u64; fb.size().div_ceil(PAGE).div_ceil(64)];
        for r in rects {
            let (a, b) = (
                (r.y * fb.stride) as usize,
                ((r.y + r.h) * fb.stride) as usize,
            );
            for page in a / PAGE..b.div_ceil(PAGE) {
                bm[page / 64] |= 1 << (page % 64);
            }
        }
        bm
    }

    #[test]
    fn damage_is_narrowed_to_the_pixels_that_changed() {
        let fb = fb_geometry(1024, 768);
        let sq = |x, y, w, h| Rect { x, y, w, h };
        // A 16x16 square: its rows are dirty pages, but only its pixels are damage.
        let a = sq(500, 300, 16, 16);
        guest_fill(&fb, a, [255, 255, 255, 0]);
        assert_eq!(fb.changed_rects(&bitmap_for(&fb, &[a])), vec![a]);
        // Rewriting the same pixels (a guest redrawing a still screen): no damage at all.
        guest_fill(&fb, a, [255, 255, 255, 0]);
        assert_eq!(fb.changed_rects(&bitmap_for(&fb, &[a])), vec![]);
        // Two changes in one band's rows, far apart sideways: one rectangle spanning both.
        let (b, c) = (sq(10, 100, 4, 2), sq(1000, 101, 8, 3));
        guest_fill(&fb, b, [1, 2, 3, 0]);
        guest_fill(&fb, c, [1, 2, 3, 0]);
        assert_eq!(
            fb.changed_rects(&bitmap_for(&fb, &[b, c])),
            vec![sq(10, 100, 998, 4)]
        );
        // Two changes in one dirty band but many unchanged rows apart: two rectangles.
        let (d, e) = (sq(0, 400, 3, 1), sq(0, 420, 3, 1));
        guest_fill(&fb, d, [9, 9, 9, 0]);
        guest_fill(&fb, e, [9, 9, 9, 0]);
        assert_eq!(
            fb.changed_rects(&bitmap_for(&fb, &[sq(0, 400, 1024, 21)])),
            vec![d, e]
        );
        // Most of the screen dirty: the bands go unnarrowed, and the shadow takes the rows
        // (a later small change is still narrowed against them).
        let big = sq(0, 0, 1024, 500);
        guest_fill(&fb, sq(5, 5, 2, 2), [4, 4, 4, 0]);
        assert_eq!(fb.changed_rects(&bitmap_for(&fb, &[big])), vec![big]);
        guest_fill(&fb, sq(5, 5, 1, 1), [5, 5, 5, 0]);
        assert_eq!(
            fb.changed_rects(&bitmap_for(&fb, &[sq(5, 5, 1, 1)])),
            vec![sq(5, 5, 1, 1)]
        );
        // A host write (a snapshot's screen) is taken as known: no damage from it later.
        let mut px = fb.contents();
        px[..4].copy_from_slice(&[7, 7, 7, 0]);
        fb.set_contents(&px);
        assert_eq!(
            fb.changed_rects(&bitmap_for(&fb, &[sq(0, 0, 1, 1)])),
            vec![]
        );
    }
}
