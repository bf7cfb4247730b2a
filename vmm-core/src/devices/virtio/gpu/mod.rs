//! virtio-gpu 2D (virtio 1.2, 5.7): the guest draws into resources in its memory and tells
//! us to copy them (TRANSFER_TO_HOST_2D) and show them (SET_SCANOUT, RESOURCE_FLUSH). The
//! scanout's host copy is what VNC, screenshots and thumbnails read ([`GpuDisplay`]), with
//! damage only from flushes: nothing is copied while the guest draws nothing. Commands are
//! served synchronously on the vCPU thread that notified (each is a bounded copy), so a
//! fence is complete by the time its response is used.

#[cfg(test)]
mod copy_tests;
pub mod edid;
mod front_end;
pub mod protocol;
mod snapshot;
pub mod state;
#[cfg(test)]
mod tests;
pub mod vga_screen;

use super::{device_type, DeviceState, VirtioDevice, VirtioInterrupt, INT_CONFIG};
use crate::display::{DamageBus, FrameSource, Rect};
use crate::util::lock;
use protocol::{EVENT_DISPLAY, VIRTIO_GPU_F_EDID};
use state::{GpuState, MAX_REQUEST, NUM_SCANOUTS};
use std::sync::{Arc, Mutex};
use virtio_queue::{Queue, QueueT};
use vm_memory::{Bytes, GuestMemoryMmap};

pub use front_end::GpuResize;
pub use snapshot::GpuSnapshot;

const CONTROL_QUEUE: u16 = 0;
const CURSOR_QUEUE: u16 = 1;

/// What the device, the display front end and the API share.
pub(crate) struct Shared {
    pub(crate) state: GpuState,
    /// The interrupt of the activated device, to raise a config change on a resize.
    irq: Option<Arc<VirtioInterrupt>>,
}

pub struct Gpu {
    shared: Arc<Mutex<Shared>>,
    active: Option<(GuestMemoryMmap, Vec<Queue>, Arc<VirtioInterrupt>)>,
    malformed: u64,
}

/// The display's side of the device: the picture (a [`FrameSource`]) and host resizes.
#[derive(Clone)]
pub struct GpuDisplay(Arc<Mutex<Shared>>);

impl Gpu {
    /// A device whose one monitor prefers `width` x `height`.
    pub fn new(width: u32, height: u32) -> (Self, GpuDisplay) {
        let shared = Arc::new(Mutex::new(Shared {
            state: GpuState::new(width, height),
            irq: None,
        }));
        (
            Gpu {
                shared: shared.clone(),
                active: None,
                malformed: 0,
            },
            GpuDisplay(shared),
        )
    }

    /// Serves one request without a queue (the fuzz harness's way in).
    #[cfg(any(test, feature = "fuzzing"))]
    pub(crate) fn handle_request(&mut self, req: &[u8], mem: &GuestMemoryMmap) -> Vec<u8> {
        lock(&self.shared).state.handle(req, mem)
    }

    /// A look at the command engine's state (for checks in tests and the fuzz harness).
    #[cfg(any(test, feature = "fuzzing"))]
    pub(crate) fn with_state<R>(&self, f: impl FnOnce(&GpuState) -> R) -> R {
        f(&lock(&self.shared).state)
    }

    fn serve(&mut self, index: u16) {
        let Some((mem, queues, irq)) = &mut self.active else {
            return;
        };
        let Some(q) = queues.get_mut(usize::from(index)) else {
            return;
        };
        let mut used = false;
        let mut req = Vec::new();
        while let Some(chain) = q.pop_descriptor_chain(&*mem) {
            let head = chain.head_index();
            req.clear();
            let mut writable = Vec::new();
            let mut bad = false;
            for d in chain {
                if d.is_write_only() {
                    writable.push((d.addr(), d.len()));
                } else if !writable.is_empty() {
                    // Readable after writable breaks the spec's ordering.
                    bad = true;
                } else {
                    // Beyond MAX_REQUEST nothing is read: no command needs more.
                    let n = (d.len() as usize).min(MAX_REQUEST - req.len());
                    let at = req.len();
                    req.resize(at + n, 0);
                    if mem.read_slice(&mut req[at..], d.addr()).is_err() {
                        bad = true;
                    }
                }
            }
            let resp = if bad {
                self.malformed += 1;
                protocol::Header::default()
                    .response(protocol::RESP_ERR_UNSPEC)
                    .to_vec()
            } else {
                lock(&self.shared).state.handle(&req, mem)
            };
            // The response goes into the writable buffers in order; the cursor queue has
            // none (its commands need no answer).
            let mut written = 0usize;
            for (addr, len) in writable {
                let n = (len as usize).min(resp.len() - written);
                if n == 0 {
                    break;
                }
                if mem.write_slice(&resp[written..written + n], addr).is_err() {
                    self.malformed += 1;
                    break;
                }
                written += n;
            }
            if q.add_used(&*mem, head, written as u32).is_err() {
                self.malformed += 1;
            }
            used = true;
        }
        if used && q.needs_notification(&*mem).unwrap_or(true) {
            irq.signal_queue(index);
        }
    }
}

impl VirtioDevice for Gpu {
    fn device_type(&self) -> u32 {
        device_type::GPU
    }
    fn queue_max_sizes(&self) -> &[u16] {
        &[256, 16]
    }
    fn features(&self) -> u64 {
        super::VIRTIO_F_VERSION_1 | VIRTIO_GPU_F_EDID
    }
    /// `struct virtio_gpu_config`: events_read, events_clear, num_scanouts, num_capsets.
    fn read_config(&self, offset: u64, data: &mut [u8]) {
        let mut cfg = [0u8; 16];
        cfg[0..4].copy_from_slice(&lock(&self.shared).state.events.to_le_bytes());
        cfg[8..12].copy_from_slice(&NUM_SCANOUTS.to_le_bytes());
        data.fill(0);
        if let Some(src) = usize::try_from(offset).ok().and_then(|o| cfg.get(o..)) {
            let n = src.len().min(data.len());
            data[..n].copy_from_slice(&src[..n]);
        }
    }
    fn write_config(&mut self, offset: u64, data: &[u8]) {
        // Only events_clear is writable: its set bits clear events_read.
        if offset == 4 && data.len() == 4 {
            let v = u32::from_le_bytes([data[0], data[1], data[2], data[3]]);
            lock(&self.shared).state.events &= !v;
        }
    }
    fn activate(
        &mut self,
        mem: GuestMemoryMmap,
        queues: Vec<Queue>,
        _features: u64,
        irq: Arc<VirtioInterrupt>,
    ) -> Result<(), String> {
        if queues.len() != 2 {
            return Err("virtio-gpu needs a control and a cursor queue".into());
        }
        lock(&self.shared).irq = Some(irq.clone());
        self.active = Some((mem, queues, irq));
        Ok(())
    }
    fn queue_notify(&mut self, index: u16) {
        if index == CONTROL_QUEUE || index == CURSOR_QUEUE {
            self.serve(index);
        }
    }
    fn reset(&mut self) {
        self.active = None;
        let mut s = lock(&self.shared);
        s.irq = None;
        s.state.reset();
    }
    fn malformed_chains(&self) -> u64 {
        self.malformed
    }
    fn save_state(&self) -> Result<DeviceState, String> {
        use crate::devices::Persist;
        self.save().map(|s| DeviceState::Gpu(Box::new(s)))
    }
    fn restore_state(
        &mut self,
        state: &DeviceState,
        mem: GuestMemoryMmap,
        irq: Arc<VirtioInterrupt>,
    ) -> Result<(), String> {
        use crate::devices::Persist;
        match state {
            DeviceState::Gpu(s) => self.restore(s, super::Attachment { mem, irq }),
            other => Err(other.mismatch("virtio-gpu")),
        }
    }
}

impl GpuDisplay {
    /// The host asks for another display size: display info and EDID change, and an active
    /// driver gets a config-change interrupt with VIRTIO_GPU_EVENT_DISPLAY set, so it
    /// re-reads display info and may set a new mode.
    pub fn set_size(&self, width: u32, height: u32) -> Result<(), String> {
        let mut s = lock(&self.0);
        s.state.set_display_size(width, height)?;
        if let Some(irq) = &s.irq {
            irq.signal(INT_CONFIG);
        }
        Ok(())
    }

    /// The size the host last asked for.
    pub fn requested_size(&self) -> (u32, u32) {
        lock(&self.0).state.display
    }

    /// Whether the driver has seen the last display change (events_read is clear).
    pub fn event_pending(&self) -> bool {
        lock(&self.0).state.events & EVENT_DISPLAY != 0
    }

    /// Flushed rectangles of the scanout (and scanout changes) go to `bus`.
    pub fn publish_damage_to(&self, bus: Arc<DamageBus>) {
        lock(&self.0).state.on_damage = Some(Box::new(move |r: &[Rect]| bus.publish(r)));
    }

    /// Whether the driver shows a resource on the scanout (virtio-vga shows its VGA otherwise).
    pub fn scanning_out(&self) -> bool {
        lock(&self.0).state.scanout.is_some()
    }

    /// The pointer's shape and position as the guest last set them.
    pub fn cursor(&self) -> state::Cursor {
        lock(&self.0).state.cursor.clone()
    }
}

impl FrameSource for GpuDisplay {
    fn width(&self) -> u32 {
        lock(&self.0).state.frame_size().0
    }
    fn height(&self) -> u32 {
        lock(&self.0).state.frame_size().1
    }
    fn read_rect(&self, r: Rect, out: &mut Vec<u8>) {
        lock(&self.0).state.read_rect(r, out);
    }
}
