use crate::core::image as raster;
use crate::core::{Rectangle, Size};
use crate::graphics;

use rustc_hash::{FxHashMap, FxHashSet};
use std::cell::RefCell;
use std::collections::hash_map;

#[derive(Debug)]
pub struct Pipeline {
    cache: RefCell<Cache>,
}

impl Pipeline {
    pub fn new() -> Self {
        Self {
            cache: RefCell::new(Cache::default()),
        }
    }

    pub fn load(
        &self,
        handle: &raster::Handle,
    ) -> Result<raster::Allocation, raster::Error> {
        let mut cache = self.cache.borrow_mut();
        let (image, _) = cache.allocate(handle)?;

        #[allow(unsafe_code)]
        Ok(unsafe {
            raster::allocate(handle, Size::new(image.width(), image.height()))
        })
    }

    pub fn dimensions(&self, handle: &raster::Handle) -> Option<Size<u32>> {
        let mut cache = self.cache.borrow_mut();
        let (image, _) = cache.allocate(handle).ok()?;

        Some(Size::new(image.width(), image.height()))
    }

    #[allow(clippy::too_many_arguments)]
    pub fn draw(
        &mut self,
        handle: &raster::Handle,
        filter_method: raster::FilterMethod,
        bounds: Rectangle,
        opacity: f32,
        pixels: &mut tiny_skia::PixmapMut<'_>,
        transform: tiny_skia::Transform,
        clip_mask: Option<&mut tiny_skia::Mask>,
        clip_bounds: Rectangle,
    ) {
        let mut cache = self.cache.borrow_mut();

        let Ok((image, opaque)) = cache.allocate(handle) else {
            return;
        };

        // vmdesk: an opaque image drawn 1:1 at whole pixels is a copy of rows. tiny-skia
        // would run its general pattern pipeline (gather + source-over in f32 lanes) for
        // every pixel: ~10 ms for a 954x715 guest screen, most of the console's CPU.
        if opaque
            && opacity >= 1.0
            && transform.is_identity()
            && crate::blit::blit_opaque(
                image,
                bounds,
                pixels,
                clip_mask.as_ref().map(|_| clip_bounds),
            )
        {
            return;
        }
        let clip_mask = clip_mask.map(|m| {
            crate::engine::adjust_clip_mask(m, clip_bounds);
            &*m
        });

        let width_scale = bounds.width / image.width() as f32;
        let height_scale = bounds.height / image.height() as f32;

        let transform = transform.pre_scale(width_scale, height_scale);

        let quality = match filter_method {
            raster::FilterMethod::Linear => tiny_skia::FilterQuality::Bilinear,
            raster::FilterMethod::Nearest => tiny_skia::FilterQuality::Nearest,
        };

        pixels.draw_pixmap(
            (bounds.x / width_scale) as i32,
            (bounds.y / height_scale) as i32,
            image,
            &tiny_skia::PixmapPaint {
                quality,
                opacity,
                ..Default::default()
            },
            transform,
            clip_mask,
        );
    }

    /// vmdesk: whether `handle` drawn at `bounds` (physical pixels, no transform) is 1:1, on
    /// whole pixels and opaque.
    pub fn is_opaque_at(
        &self,
        handle: &raster::Handle,
        bounds: Rectangle,
    ) -> bool {
        let mut cache = self.cache.borrow_mut();
        let Ok((image, opaque)) = cache.allocate(handle) else {
            return false;
        };
        opaque && crate::blit::one_to_one(image, bounds)
    }

    pub fn trim_cache(&mut self) {
        self.cache.borrow_mut().trim();
    }
}

#[derive(Debug, Default)]
struct Cache {
    entries: FxHashMap<raster::Id, Option<Entry>>,
    hits: FxHashSet<raster::Id>,
    /// vmdesk: pixel storage of images dropped at the last trims, for the next new ones.
    spare: crate::blit::Spare,
}

impl Cache {
    /// The image as a pixmap, and whether every pixel of it is opaque.
    pub fn allocate(
        &mut self,
        handle: &raster::Handle,
    ) -> Result<(tiny_skia::PixmapRef<'_>, bool), raster::Error> {
        let id = handle.id();

        if let hash_map::Entry::Vacant(entry) = self.entries.entry(id) {
            // vmdesk: bytes already in the renderer's format are used as they are.
            if let raster::Handle::Rgba {
                width,
                height,
                pixels,
                ..
            } = handle
                && crate::blit::take_native(id)
                && *width > 0
                && *height > 0
                && pixels.len() == *width as usize * *height as usize * 4
            {
                let _ = entry.insert(Some(Entry {
                    width: *width,
                    height: *height,
                    pixels: Pixels::Native(pixels.clone()),
                    opaque: true,
                }));
                let _ = self.hits.insert(id);
                return Ok(self.entries[&id].as_ref().unwrap().pixmap());
            }
            let image = match graphics::image::load(handle) {
                Ok(image) => image,
                Err(error) => {
                    let _ = entry.insert(None);

                    return Err(error);
                }
            };

            if image.width() == 0 || image.height() == 0 {
                return Err(raster::Error::Empty);
            }

            // vmdesk: see crate::blit::to_pixmap_pixels.
            let (buffer, opaque) = crate::blit::to_pixmap_pixels(
                image.as_raw(),
                self.spare
                    .take(image.width() as usize * image.height() as usize),
            );

            let _ = entry.insert(Some(Entry {
                width: image.width(),
                height: image.height(),
                pixels: Pixels::Converted(buffer),
                opaque,
            }));
        }

        let _ = self.hits.insert(id);

        Ok(self
            .entries
            .get(&id)
            .unwrap()
            .as_ref()
            .map(Entry::pixmap)
            .expect("Image should be allocated"))
    }

    fn trim(&mut self) {
        let spare = &mut self.spare;
        self.entries.retain(|key, entry| {
            let keep = self.hits.contains(key);
            if !keep
                && let Some(Entry {
                    pixels: Pixels::Converted(buf),
                    ..
                }) = entry.take()
            {
                spare.give(buf);
            }
            keep
        });
        spare.settle();
        self.hits.clear();
    }
}

#[derive(Debug)]
struct Entry {
    width: u32,
    height: u32,
    pixels: Pixels,
    opaque: bool,
}

/// vmdesk: an image's pixels in the renderer's format.
#[derive(Debug)]
enum Pixels {
    /// Converted from RGBA.
    Converted(Vec<u32>),
    /// The handle's own bytes (see `crate::blit::mark_native_opaque`).
    Native(bytes::Bytes),
}

impl Entry {
    fn pixmap(&self) -> (tiny_skia::PixmapRef<'_>, bool) {
        let bytes: &[u8] = match &self.pixels {
            Pixels::Converted(v) => bytemuck::cast_slice(v),
            Pixels::Native(b) => b,
        };
        (
            tiny_skia::PixmapRef::from_bytes(bytes, self.width, self.height)
                .expect("Build pixmap from image bytes"),
            self.opaque,
        )
    }
}
