//! What display front ends (the VNC server) get from the virtio-gpu besides the picture:
//! size requests forwarded to the guest's driver, and the pointer's shape.

use super::GpuDisplay;
use crate::display::{CursorShape, CursorSource, DisplayResize, ResizeError};
use crate::util::lock;
use std::ops::RangeInclusive;

/// Size requests to the guest within limits (the config's for `display.width` and
/// `display.height`, the same as the API's `set-display-size`, which the builder passes in):
/// smaller is an invalid size, larger is one we won't provide.
pub struct GpuResize {
    pub display: GpuDisplay,
    pub width: RangeInclusive<u32>,
    pub height: RangeInclusive<u32>,
}

impl DisplayResize for GpuResize {
    fn request_size(&self, width: u32, height: u32) -> Result<(), ResizeError> {
        let (w, h) = (&self.width, &self.height);
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
        // Already the size asked for (the driver has it, or will read it at the pending
        // event): no second interrupt, so a client that repeats itself doesn't flood the guest.
        if self.display.requested_size() == (width, height) {
            return Ok(());
        }
        self.display
            .set_size(width, height)
            .map_err(ResizeError::Invalid)
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

#[cfg(test)]
mod tests {
    use super::super::protocol::*;
    use super::super::Gpu;
    use super::*;
    use crate::display::{DamageBus, Rect};
    use std::sync::Arc;
    use vm_memory::{Bytes, GuestAddress, GuestMemoryMmap};

    fn req(kind: u32, body: &[u32]) -> Vec<u8> {
        let mut r = kind.to_le_bytes().to_vec();
        r.resize(HDR_LEN, 0);
        r.extend(body.iter().flat_map(|w| w.to_le_bytes()));
        r
    }

    fn ok(gpu: &mut Gpu, m: &GuestMemoryMmap, kind: u32, body: &[u32]) {
        let resp = gpu.handle_request(&req(kind, body), m);
        assert_eq!(resp[..4], RESP_OK_NODATA.to_le_bytes(), "command {kind:#x}");
    }

    #[test]
    fn requests_within_the_limits_reach_the_device() {
        let (_gpu, display) = Gpu::new(640, 480);
        let r = GpuResize {
            display: display.clone(),
            width: 64..=7680,
            height: 64..=4320,
        };
        assert!(matches!(
            r.request_size(7681, 600),
            Err(ResizeError::TooLarge(_))
        ));
        assert!(matches!(
            r.request_size(1024, 63),
            Err(ResizeError::Invalid(_))
        ));
        assert_eq!(display.requested_size(), (640, 480));
        // Already the size asked for: nothing to tell the driver.
        r.request_size(640, 480).unwrap();
        assert!(!display.event_pending());
        r.request_size(1024, 600).unwrap();
        assert_eq!(display.requested_size(), (1024, 600));
        assert!(display.event_pending());
    }

    #[test]
    fn the_shape_serial_follows_shape_changes_only_and_wakes_clients() {
        let m = GuestMemoryMmap::<()>::from_ranges(&[(GuestAddress(0), 1 << 20)]).unwrap();
        let (mut gpu, display) = Gpu::new(640, 480);
        let bus = Arc::new(DamageBus::default());
        display.publish_damage_to(bus.clone());
        let client = bus.subscribe(0, 0);
        let _ = client.take(std::time::Duration::ZERO);
        assert_eq!(display.shape_serial(), 0);
        assert_eq!(display.shape(), (CursorShape::default(), 0));

        // A 2 x 2 cursor: opaque red, transparent, transparent, opaque blue (B, G, R, A).
        let px = [0, 0, 255, 255, 9, 9, 9, 0, 9, 9, 9, 0, 255, 0, 0, 255];
        m.write_slice(&px, GuestAddress(0x8000)).unwrap();
        ok(
            &mut gpu,
            &m,
            CMD_RESOURCE_CREATE_2D,
            &[7, FORMAT_B8G8R8A8, 2, 2],
        );
        ok(
            &mut gpu,
            &m,
            CMD_RESOURCE_ATTACH_BACKING,
            &[7, 1, 0x8000, 0, 16, 0],
        );
        ok(
            &mut gpu,
            &m,
            CMD_TRANSFER_TO_HOST_2D,
            &[0, 0, 2, 2, 0, 0, 7, 0],
        );
        ok(&mut gpu, &m, CMD_UPDATE_CURSOR, &[0, 10, 10, 0, 7, 1, 5, 0]);
        let (shape, serial) = display.shape();
        assert_eq!(serial, 1);
        assert_eq!((shape.w, shape.h, shape.hot_x, shape.hot_y), (2, 2, 1, 1));
        assert_eq!(shape.pixels, px);
        // The update woke the client without damaging anything.
        let woke = client.take(std::time::Duration::ZERO);
        assert_eq!(
            woke,
            [Rect {
                x: 0,
                y: 0,
                w: 0,
                h: 0
            }]
        );
        ok(&mut gpu, &m, CMD_MOVE_CURSOR, &[0, 20, 30, 0, 0, 0, 0, 0]);
        assert_eq!(display.shape_serial(), 1, "a move is not a new shape");
        assert!(client.take(std::time::Duration::ZERO).is_empty());
        ok(&mut gpu, &m, CMD_UPDATE_CURSOR, &[0, 20, 30, 0, 0, 0, 0, 0]);
        assert_eq!(display.shape(), (CursorShape::default(), 2), "hidden");
    }
}
