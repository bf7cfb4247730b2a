//! The virtio-gpu wire format (virtio 1.2, 5.7.6): command and response codes, formats and
//! the little-endian structs we read, written from the spec rather than bound from C.

pub const CMD_GET_DISPLAY_INFO: u32 = 0x0100;
pub const CMD_RESOURCE_CREATE_2D: u32 = 0x0101;
pub const CMD_RESOURCE_UNREF: u32 = 0x0102;
pub const CMD_SET_SCANOUT: u32 = 0x0103;
pub const CMD_RESOURCE_FLUSH: u32 = 0x0104;
pub const CMD_TRANSFER_TO_HOST_2D: u32 = 0x0105;
pub const CMD_RESOURCE_ATTACH_BACKING: u32 = 0x0106;
pub const CMD_RESOURCE_DETACH_BACKING: u32 = 0x0107;
pub const CMD_GET_EDID: u32 = 0x010a;
pub const CMD_UPDATE_CURSOR: u32 = 0x0300;
pub const CMD_MOVE_CURSOR: u32 = 0x0301;

pub const RESP_OK_NODATA: u32 = 0x1100;
pub const RESP_OK_DISPLAY_INFO: u32 = 0x1101;
pub const RESP_OK_EDID: u32 = 0x1104;
pub const RESP_ERR_UNSPEC: u32 = 0x1200;
pub const RESP_ERR_OUT_OF_MEMORY: u32 = 0x1201;
pub const RESP_ERR_INVALID_SCANOUT_ID: u32 = 0x1202;
pub const RESP_ERR_INVALID_RESOURCE_ID: u32 = 0x1203;
pub const RESP_ERR_INVALID_PARAMETER: u32 = 0x1205;

/// `flags` bit: the driver wants the fence id echoed (we complete synchronously).
pub const FLAG_FENCE: u32 = 1;

/// Feature bit: the device answers GET_EDID.
pub const VIRTIO_GPU_F_EDID: u64 = 1 << 1;
/// `events_read` bit: the display configuration changed; the driver re-reads display info.
pub const EVENT_DISPLAY: u32 = 1;
/// The spec's fixed number of display-info entries.
pub const MAX_SCANOUTS: usize = 16;

pub const HDR_LEN: usize = 24;

/// Pixel formats (`enum virtio_gpu_formats`).
pub const FORMAT_B8G8R8A8: u32 = 1;
pub const FORMAT_B8G8R8X8: u32 = 2;
pub const FORMAT_A8R8G8B8: u32 = 3;
pub const FORMAT_X8R8G8B8: u32 = 4;
pub const FORMAT_R8G8B8A8: u32 = 67;
pub const FORMAT_X8B8G8R8: u32 = 68;
pub const FORMAT_A8B8G8R8: u32 = 121;
pub const FORMAT_R8G8B8X8: u32 = 134;

/// Where blue, green and red sit in one 4-byte pixel of `format`, or None if we do not know
/// the format. (Every format virtio-gpu 2D names is 32 bits per pixel.)
pub fn channel_offsets(format: u32) -> Option<[usize; 3]> {
    match format {
        FORMAT_B8G8R8A8 | FORMAT_B8G8R8X8 => Some([0, 1, 2]),
        FORMAT_A8R8G8B8 | FORMAT_X8R8G8B8 => Some([3, 2, 1]),
        FORMAT_R8G8B8A8 | FORMAT_R8G8B8X8 => Some([2, 1, 0]),
        FORMAT_A8B8G8R8 | FORMAT_X8B8G8R8 => Some([1, 2, 3]),
        _ => None,
    }
}

/// `struct virtio_gpu_ctrl_hdr`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Header {
    pub kind: u32,
    pub flags: u32,
    pub fence_id: u64,
    pub ctx_id: u32,
    pub ring_idx: u8,
}

impl Header {
    pub fn parse(b: &[u8]) -> Option<Header> {
        let mut r = Reader(b);
        Some(Header {
            kind: r.u32()?,
            flags: r.u32()?,
            fence_id: r.u64()?,
            ctx_id: r.u32()?,
            ring_idx: r.u8()?,
        })
    }

    /// The response header to request `self`: its fence echoed if it asked for one.
    pub fn response(&self, kind: u32) -> [u8; HDR_LEN] {
        let mut out = [0u8; HDR_LEN];
        out[0..4].copy_from_slice(&kind.to_le_bytes());
        if self.flags & FLAG_FENCE != 0 {
            out[4..8].copy_from_slice(&FLAG_FENCE.to_le_bytes());
            out[8..16].copy_from_slice(&self.fence_id.to_le_bytes());
            out[16..20].copy_from_slice(&self.ctx_id.to_le_bytes());
            out[20] = self.ring_idx;
        }
        out
    }
}

/// `struct virtio_gpu_rect`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GpuRect {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

impl GpuRect {
    /// Whether the rectangle lies inside a `width` x `height` area (no overflow).
    pub fn inside(&self, width: u32, height: u32) -> bool {
        self.x.checked_add(self.w).is_some_and(|x1| x1 <= width)
            && self.y.checked_add(self.h).is_some_and(|y1| y1 <= height)
    }
    pub fn is_empty(&self) -> bool {
        self.w == 0 || self.h == 0
    }
}

/// Little-endian fields in order, None past the end.
pub struct Reader<'a>(pub &'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*head)
    }
    pub fn u8(&mut self) -> Option<u8> {
        self.take::<1>().map(|b| b[0])
    }
    pub fn u32(&mut self) -> Option<u32> {
        self.take().map(u32::from_le_bytes)
    }
    pub fn u64(&mut self) -> Option<u64> {
        self.take().map(u64::from_le_bytes)
    }
    pub fn rect(&mut self) -> Option<GpuRect> {
        Some(GpuRect {
            x: self.u32()?,
            y: self.u32()?,
            w: self.u32()?,
            h: self.u32()?,
        })
    }
}
