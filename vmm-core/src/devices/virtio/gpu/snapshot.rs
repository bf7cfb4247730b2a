//! virtio-gpu in a snapshot. Resources live in guest memory (their backing), which the
//! snapshot already holds, so only their metadata is saved; a restore re-reads each host copy
//! from its backing, as a full TRANSFER_TO_HOST_2D would. (A guest that drew without
//! transferring yet sees that drawing one transfer early, which its next transfer would
//! show anyway.) The cursor image is small (at most 256 x 256) and saved as is.

use super::state::{BackingEntry, Cursor, GpuState, Resource, Scanout, MAX_CURSOR};
use super::Gpu;
use crate::devices::virtio::{Attachment, QueueState};
use crate::devices::Persist;
use crate::util::lock;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ResourceState {
    pub id: u32,
    pub format: u32,
    pub width: u32,
    pub height: u32,
    pub backing: Option<Vec<BackingEntry>>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CursorState {
    pub image: Vec<u8>,
    pub w: u32,
    pub h: u32,
    pub hot_x: u32,
    pub hot_y: u32,
    pub x: u32,
    pub y: u32,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GpuSnapshot {
    pub width: u32,
    pub height: u32,
    pub events: u32,
    pub resources: Vec<ResourceState>,
    pub scanout: Option<Scanout>,
    pub cursor: CursorState,
    /// The control and cursor queues, if the driver activated the device.
    pub queues: Option<Vec<QueueState>>,
}

impl Persist for Gpu {
    type State = GpuSnapshot;
    type Args = Attachment;

    fn save(&self) -> Result<GpuSnapshot, String> {
        let sh = lock(&self.shared);
        let s = &sh.state;
        let c = &s.cursor;
        Ok(GpuSnapshot {
            width: s.display.0,
            height: s.display.1,
            events: s.events,
            resources: s
                .resources
                .iter()
                .map(|(&id, r)| ResourceState {
                    id,
                    format: r.format,
                    width: r.width,
                    height: r.height,
                    backing: r.backing.clone(),
                })
                .collect(),
            scanout: s.scanout,
            cursor: CursorState {
                image: c.image.clone(),
                w: c.w,
                h: c.h,
                hot_x: c.hot_x,
                hot_y: c.hot_y,
                x: c.x,
                y: c.y,
            },
            queues: self.queue_states(),
        })
    }

    fn restore(&mut self, s: &GpuSnapshot, a: Attachment) -> Result<(), String> {
        let mut st = GpuState::new(s.width, s.height);
        st.set_display_size(s.width, s.height)
            .map_err(|e| format!("virtio-gpu: {e}"))?;
        st.events = s.events;
        for r in &s.resources {
            st.restore_resource(r.id, r.format, r.width, r.height)
                .map_err(|code| format!("virtio-gpu: resource {}: refused ({code:#x})", r.id))?;
            if let Some(b) = &r.backing {
                st.restore_backing(r.id, b, &a.mem)
                    .map_err(|code| format!("virtio-gpu: resource {} backing ({code:#x})", r.id))?;
            }
        }
        if let Some(sc) = s.scanout {
            let ok = st
                .resources
                .get(&sc.resource_id)
                .is_some_and(|r: &Resource| {
                    !sc.rect.is_empty() && sc.rect.inside(r.width, r.height)
                });
            if !ok {
                return Err("virtio-gpu: the scanout names no resource of its size".into());
            }
        }
        st.scanout = s.scanout;
        let c = &s.cursor;
        if c.w > MAX_CURSOR || c.h > MAX_CURSOR || c.image.len() != (c.w * c.h * 4) as usize {
            return Err("virtio-gpu: the cursor image does not match its size".into());
        }
        st.cursor = Cursor {
            image: c.image.clone(),
            w: c.w,
            h: c.h,
            hot_x: c.hot_x,
            hot_y: c.hot_y,
            x: c.x,
            y: c.y,
            serial: 1,
            shape_serial: 1,
        };
        self.active = match &s.queues {
            Some(qs) => {
                let queues = qs
                    .iter()
                    .map(|q| q.to_queue())
                    .collect::<Result<Vec<_>, _>>()?;
                if queues.len() != 2 {
                    return Err("virtio-gpu: snapshot has the wrong number of queues".into());
                }
                Some((a.mem, queues, a.irq.clone()))
            }
            None => None,
        };
        let mut sh = lock(&self.shared);
        // The display's damage consumer stays; everything else is the snapshot's.
        st.on_damage = sh.state.on_damage.take();
        sh.state = st;
        sh.irq = self.active.as_ref().map(|_| a.irq);
        // Clients showed the screen before the restore: all of it changed.
        sh.state.damage_all();
        Ok(())
    }
}

impl Gpu {
    fn queue_states(&self) -> Option<Vec<QueueState>> {
        self.active
            .as_ref()
            .map(|(_, qs, _)| qs.iter().map(QueueState::of).collect())
    }
}
