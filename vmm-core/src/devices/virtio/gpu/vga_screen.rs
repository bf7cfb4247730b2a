//! virtio-vga's screen: the std-vga's picture until the guest's virtio-gpu driver puts a
//! resource on the scanout, the GPU's from then on, and the VGA's again after the driver
//! resets the device or turns the scanout off (as QEMU's `virtio-vga` switches between its
//! two halves). Clients notice the switch by the frame's new size and the damage each side
//! publishes (the GPU's on set-scanout and reset, the VGA's display thread when it is shown
//! again).

use super::GpuDisplay;
use crate::devices::vga::Vga;
use crate::display::{FrameSource, Rect};
use std::sync::Arc;

pub struct VgaGpuScreen {
    pub vga: Arc<Vga>,
    pub gpu: GpuDisplay,
}

impl VgaGpuScreen {
    fn front(&self) -> &dyn FrameSource {
        if self.gpu.scanning_out() {
            &self.gpu
        } else {
            &*self.vga
        }
    }
}

impl FrameSource for VgaGpuScreen {
    fn width(&self) -> u32 {
        self.front().width()
    }
    fn height(&self) -> u32 {
        self.front().height()
    }
    fn read_rect(&self, r: Rect, out: &mut Vec<u8>) {
        self.front().read_rect(r, out);
    }
}
