//! What display front ends (the VNC server) get from the virtio-gpu besides the picture:
//! size requests forwarded to the guest's driver, and the pointer's shape.

use super::GpuDisplay;
use crate::config::validate::{DISPLAY_HEIGHT, DISPLAY_WIDTH};
use crate::display::{CursorShape, CursorSource, DisplayResize, ResizeError};
use crate::util::lock;

impl DisplayResize for GpuDisplay {
    /// Within the config's limits for `display.width` and `display.height` (the same as the
    /// API's `set-display-size`): smaller is an invalid size, larger one we won't provide.
    fn request_size(&self, width: u32, height: u32) -> Result<(), ResizeError> {
        let (w, h) = (DISPLAY_WIDTH, DISPLAY_HEIGHT);
        if width > *w.end() || height > *h.end() {
            return Err(ResizeError::TooLarge(format!(
                "{width}x{height} is larger than {}x{}",
                w.end(),
                h.end()
            )));
        }
        if width < *w.start() || height < *h.start() {
            return Err(ResizeError::Invalid(format!(
                "{width}x{height} is smaller than {}x{}",
                w.start(),
                h.start()
            )));
        }
        self.set_size(width, height).map_err(ResizeError::Invalid)
    }
}

impl CursorSource for GpuDisplay {
    fn shape_serial(&self) -> u64 {
        lock(&self.0).state.cursor.shape_serial
    }

    fn shape(&self) -> (CursorShape, u64) {
        let s = lock(&self.0);
        let c = &s.state.cursor;
        let shape = if c.image.is_empty() || c.w == 0 || c.h == 0 {
            CursorShape::default()
        } else {
            CursorShape {
                w: c.w,
                h: c.h,
                // The device keeps hot spots up to the size inclusive; a front end needs
                // one inside the image.
                hot_x: c.hot_x.min(c.w - 1),
                hot_y: c.hot_y.min(c.h - 1),
                pixels: c.image.clone(),
            }
        };
        (shape, c.shape_serial)
    }
}
