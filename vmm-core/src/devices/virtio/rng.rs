//! virtio-rng: entropy for the guest from the host's getrandom(2).

use super::{
    device_type, Attachment, DeviceState, QueueState, VirtioDevice, VirtioInterrupt, INT_USED_RING,
    VIRTIO_F_VERSION_1,
};
use crate::devices::Persist;
use std::sync::Arc;
use virtio_queue::{Queue, QueueT};
use vm_memory::{Bytes, GuestMemoryMmap};

/// Most bytes one request gets, however many descriptors it chains (the used length says how
/// many; a driver must accept fewer than it asked for). A chain may hold 65536 descriptors of
/// 4 GiB each: without a per-request cap one notify could keep the vCPU thread making random
/// bytes for hours, and a pause waiting for it (found by the `virtio_rng_queue` fuzz target).
pub const MAX_CHUNK: usize = 64 * 1024;

/// virtio-rng in a snapshot: its queue, if the driver activated it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RngState {
    pub queue: Option<QueueState>,
}

#[derive(Default)]
pub struct Rng {
    active: Option<(GuestMemoryMmap, Queue, Arc<VirtioInterrupt>)>,
    malformed: u64,
    pub bytes_served: u64,
}

impl VirtioDevice for Rng {
    fn device_type(&self) -> u32 {
        device_type::RNG
    }
    fn queue_max_sizes(&self) -> &[u16] {
        &[256]
    }
    fn features(&self) -> u64 {
        VIRTIO_F_VERSION_1
    }
    fn read_config(&self, _offset: u64, data: &mut [u8]) {
        data.fill(0);
    }
    fn activate(
        &mut self,
        mem: GuestMemoryMmap,
        mut queues: Vec<Queue>,
        _features: u64,
        irq: Arc<VirtioInterrupt>,
    ) -> Result<(), String> {
        let q = queues.pop().ok_or("virtio-rng needs one queue")?;
        self.active = Some((mem, q, irq));
        Ok(())
    }
    fn queue_notify(&mut self, _index: u16) {
        let Some((mem, q, irq)) = &mut self.active else {
            return;
        };
        let mut used_any = false;
        let mut chunk = vec![0u8; 0];
        while let Some(chain) = q.pop_descriptor_chain(&*mem) {
            let head = chain.head_index();
            let mut written = 0u32;
            let mut bad = false;
            for d in chain {
                if !d.is_write_only() {
                    bad = true;
                    break;
                }
                let len = (d.len() as usize).min(MAX_CHUNK - written as usize);
                if len == 0 {
                    break;
                }
                chunk.resize(len, 0);
                if getrandom(&mut chunk).is_err() || mem.write_slice(&chunk, d.addr()).is_err() {
                    bad = true;
                    break;
                }
                written += len as u32;
            }
            if bad {
                self.malformed += 1;
            }
            self.bytes_served += u64::from(written);
            if q.add_used(&*mem, head, written).is_err() {
                self.malformed += 1;
            }
            used_any = true;
        }
        if used_any && q.needs_notification(&*mem).unwrap_or(true) {
            irq.signal(INT_USED_RING);
        }
    }
    fn reset(&mut self) {
        self.active = None;
    }
    fn malformed_chains(&self) -> u64 {
        self.malformed
    }
    fn save_state(&self) -> Result<DeviceState, String> {
        self.save().map(DeviceState::Rng)
    }
    fn restore_state(
        &mut self,
        state: &DeviceState,
        mem: GuestMemoryMmap,
        irq: Arc<VirtioInterrupt>,
    ) -> Result<(), String> {
        match state {
            DeviceState::Rng(s) => self.restore(s, Attachment { mem, irq }),
            other => Err(other.mismatch("virtio-rng")),
        }
    }
}

impl Persist for Rng {
    type State = RngState;
    type Args = Attachment;

    fn save(&self) -> Result<RngState, String> {
        Ok(RngState {
            queue: self.active.as_ref().map(|(_, q, _)| QueueState::of(q)),
        })
    }

    fn restore(&mut self, s: &RngState, a: Attachment) -> Result<(), String> {
        self.active = match s.queue {
            Some(q) => Some((a.mem, q.to_queue()?, a.irq)),
            None => None,
        };
        Ok(())
    }
}

fn getrandom(buf: &mut [u8]) -> std::io::Result<()> {
    let mut filled = 0;
    while filled < buf.len() {
        // SAFETY: writes at most buf.len() - filled bytes into buf.
        let n =
            unsafe { libc::getrandom(buf[filled..].as_mut_ptr().cast(), buf.len() - filled, 0) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(e);
            }
        } else {
            filled += n as usize;
        }
    }
    Ok(())
}
