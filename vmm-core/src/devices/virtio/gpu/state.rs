//! The virtio-gpu command engine: 2D resources with their host copies and guest backing, the
//! scanout, the cursor and the display's size. It takes one request's bytes and returns the
//! response bytes, so tests and the fuzzer drive it without queues. Every size a guest names
//! is checked before anything is allocated; host memory for resources is capped.

use super::edid::edid;
use super::protocol::*;
use crate::display::Rect;
use vm_memory::{Bytes, GuestAddress, GuestMemory, GuestMemoryMmap};

/// Most host memory all resources together may take (their host copies).
pub const MAX_HOST_BYTES: u64 = 256 << 20;
/// Most entries one ATTACH_BACKING may name (Linux uses one per page of a resource: 16384
/// covers a 64 MiB resource in 4 KiB pages, well beyond the largest scanout).
pub const MAX_BACKING_ENTRIES: u32 = 16384;
/// Most resources alive at once (each costs a map entry even when tiny).
pub const MAX_RESOURCES: usize = 4096;
/// Largest request read from a chain: an ATTACH_BACKING with the most entries.
pub const MAX_REQUEST: usize = HDR_LEN + 8 + MAX_BACKING_ENTRIES as usize * 16;
/// Cursor images are at most this wide and high (Linux uses 64 x 64).
pub const MAX_CURSOR: u32 = 256;
/// Number of scanouts (monitors) this device has.
pub const NUM_SCANOUTS: u32 = 1;
/// Largest side a host resize may ask for. The API checks the config's narrower limits
/// first (`validate_display_size`); this only keeps the device itself sane. (EDID's detailed
/// timing stops at 4095 and is clamped there; display info has the full size.)
pub const MAX_DISPLAY: u32 = 16384;

/// One guest-memory range backing a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BackingEntry {
    pub addr: u64,
    pub len: u32,
}

/// A 2D resource: its format and size, the host copy of its pixels (format as created,
/// `width * 4` bytes a row) and the guest memory backing it, if attached.
pub struct Resource {
    pub format: u32,
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
    pub backing: Option<Vec<BackingEntry>>,
}

/// What scanout 0 shows: a rectangle of a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Scanout {
    pub resource_id: u32,
    pub rect: GpuRect,
}

/// The pointer as the guest last set it: shape (XRGB8888 with alpha, `w * h * 4` bytes),
/// hotspot and position in scanout pixels. `image` is empty while hidden.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cursor {
    pub image: Vec<u8>,
    pub w: u32,
    pub h: u32,
    pub hot_x: u32,
    pub hot_y: u32,
    pub x: u32,
    pub y: u32,
    /// Bumped at every shape or position change, for a consumer that polls.
    pub serial: u64,
    /// Bumped at every shape change only (UPDATE_CURSOR, reset, restore); 0 until the
    /// guest sets one. Front ends send the shape again when it changes.
    pub shape_serial: u64,
}

/// Where a flushed rectangle of the screen goes.
pub type DamageSink = Box<dyn Fn(&[Rect]) + Send>;

/// A command's failure: the response code it gets.
type Refusal = u32;

pub struct GpuState {
    /// The size offered in display info and EDID (the host's wish).
    pub display: (u32, u32),
    pub resources: std::collections::BTreeMap<u32, Resource>,
    host_bytes: u64,
    pub scanout: Option<Scanout>,
    pub cursor: Cursor,
    /// `events_read` in config space.
    pub events: u32,
    /// Commands refused so far (for counters and tests).
    pub refused: u64,
    /// Where flushed rectangles of the scanout go (the display's damage), in scanout pixels.
    pub on_damage: Option<DamageSink>,
}

impl GpuState {
    pub fn new(width: u32, height: u32) -> Self {
        GpuState {
            display: (width, height),
            resources: Default::default(),
            host_bytes: 0,
            scanout: None,
            cursor: Cursor::default(),
            events: 0,
            refused: 0,
            on_damage: None,
        }
    }

    pub fn host_bytes(&self) -> u64 {
        self.host_bytes
    }

    /// Forgets every resource, the scanout and the cursor (device reset).
    pub fn reset(&mut self) {
        self.resources.clear();
        self.host_bytes = 0;
        self.scanout = None;
        self.cursor = Cursor {
            serial: self.cursor.serial + 1,
            shape_serial: self.cursor.shape_serial + 1,
            ..Default::default()
        };
        self.events = 0;
        // The picture is now black at the display size, which clients may not see as a resize.
        self.damage_all();
    }

    /// The host wants another display size: display info changes and the driver is told
    /// through `events_read` (the caller raises the config interrupt).
    pub fn set_display_size(&mut self, width: u32, height: u32) -> Result<(), String> {
        if !(1..=MAX_DISPLAY).contains(&width) || !(1..=MAX_DISPLAY).contains(&height) {
            return Err(format!(
                "display size {width}x{height}: each side must be 1 to {MAX_DISPLAY} pixels"
            ));
        }
        self.display = (width, height);
        self.events |= EVENT_DISPLAY;
        Ok(())
    }

    /// Serves one control- or cursor-queue request; returns the response bytes.
    pub fn handle(&mut self, req: &[u8], mem: &GuestMemoryMmap) -> Vec<u8> {
        let Some(hdr) = Header::parse(req) else {
            self.refused += 1;
            return Header::default().response(RESP_ERR_UNSPEC).to_vec();
        };
        let body = &req[HDR_LEN.min(req.len())..];
        let res = match hdr.kind {
            CMD_GET_DISPLAY_INFO => Ok(self.display_info(&hdr)),
            CMD_GET_EDID => self.get_edid(&hdr, body),
            CMD_RESOURCE_CREATE_2D => self.create_2d(body).map(|_| ok(&hdr)),
            CMD_RESOURCE_UNREF => self.unref(body).map(|_| ok(&hdr)),
            CMD_RESOURCE_ATTACH_BACKING => self.attach(body, mem).map(|_| ok(&hdr)),
            CMD_RESOURCE_DETACH_BACKING => self.detach(body).map(|_| ok(&hdr)),
            CMD_SET_SCANOUT => self.set_scanout(body).map(|_| ok(&hdr)),
            CMD_TRANSFER_TO_HOST_2D => self.transfer(body, mem).map(|_| ok(&hdr)),
            CMD_RESOURCE_FLUSH => self.flush(body).map(|_| ok(&hdr)),
            CMD_UPDATE_CURSOR | CMD_MOVE_CURSOR => {
                self.cursor_cmd(hdr.kind, body).map(|_| ok(&hdr))
            }
            _ => Err(RESP_ERR_UNSPEC),
        };
        res.unwrap_or_else(|code| {
            self.refused += 1;
            hdr.response(code).to_vec()
        })
    }

    fn display_info(&self, hdr: &Header) -> Vec<u8> {
        let mut out = hdr.response(RESP_OK_DISPLAY_INFO).to_vec();
        for i in 0..MAX_SCANOUTS {
            let mut pmode = [0u8; 24];
            if i < NUM_SCANOUTS as usize {
                pmode[8..12].copy_from_slice(&self.display.0.to_le_bytes());
                pmode[12..16].copy_from_slice(&self.display.1.to_le_bytes());
                pmode[16..20].copy_from_slice(&1u32.to_le_bytes()); // enabled
            }
            out.extend_from_slice(&pmode);
        }
        out
    }

    fn get_edid(&self, hdr: &Header, body: &[u8]) -> Result<Vec<u8>, Refusal> {
        let scanout = Reader(body).u32().ok_or(RESP_ERR_UNSPEC)?;
        if scanout >= NUM_SCANOUTS {
            return Err(RESP_ERR_INVALID_SCANOUT_ID);
        }
        let mut out = hdr.response(RESP_OK_EDID).to_vec();
        out.extend_from_slice(&128u32.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        let mut block = [0u8; 1024];
        block[..128].copy_from_slice(&edid(self.display.0, self.display.1));
        out.extend_from_slice(&block);
        Ok(out)
    }

    fn create_2d(&mut self, body: &[u8]) -> Result<(), Refusal> {
        let mut r = Reader(body);
        let (id, format, width, height) =
            (|| Some((r.u32()?, r.u32()?, r.u32()?, r.u32()?)))().ok_or(RESP_ERR_UNSPEC)?;
        if id == 0 || self.resources.contains_key(&id) {
            return Err(RESP_ERR_INVALID_RESOURCE_ID);
        }
        if channel_offsets(format).is_none() || width == 0 || height == 0 {
            return Err(RESP_ERR_INVALID_PARAMETER);
        }
        // u32 x u32 x 4 can overflow u64: checked.
        let bytes = u64::from(width)
            .checked_mul(u64::from(height))
            .and_then(|b| b.checked_mul(4))
            .unwrap_or(u64::MAX);
        if bytes > MAX_HOST_BYTES - self.host_bytes || self.resources.len() >= MAX_RESOURCES {
            return Err(RESP_ERR_OUT_OF_MEMORY);
        }
        let pixels = zeroed(bytes as usize).ok_or(RESP_ERR_OUT_OF_MEMORY)?;
        self.host_bytes += bytes;
        self.resources.insert(
            id,
            Resource {
                format,
                width,
                height,
                pixels,
                backing: None,
            },
        );
        Ok(())
    }

    fn resource_id(body: &[u8]) -> Result<u32, Refusal> {
        Reader(body).u32().ok_or(RESP_ERR_UNSPEC)
    }

    fn unref(&mut self, body: &[u8]) -> Result<(), Refusal> {
        let id = Self::resource_id(body)?;
        let res = self
            .resources
            .remove(&id)
            .ok_or(RESP_ERR_INVALID_RESOURCE_ID)?;
        self.host_bytes -= res.pixels.len() as u64;
        if self.scanout.is_some_and(|s| s.resource_id == id) {
            self.scanout = None;
            self.damage_all();
        }
        Ok(())
    }

    fn attach(&mut self, body: &[u8], mem: &GuestMemoryMmap) -> Result<(), Refusal> {
        let mut r = Reader(body);
        let id = r.u32().ok_or(RESP_ERR_UNSPEC)?;
        let n = r.u32().ok_or(RESP_ERR_UNSPEC)?;
        let res = self
            .resources
            .get_mut(&id)
            .ok_or(RESP_ERR_INVALID_RESOURCE_ID)?;
        if res.backing.is_some() {
            return Err(RESP_ERR_UNSPEC);
        }
        if n == 0 || n > MAX_BACKING_ENTRIES {
            return Err(RESP_ERR_INVALID_PARAMETER);
        }
        let mut entries = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let (addr, len) = (|| {
                let e = (r.u64()?, r.u32()?);
                r.u32()?;
                Some(e)
            })()
            .ok_or(RESP_ERR_UNSPEC)?;
            let inside = len > 0
                && addr.checked_add(u64::from(len)).is_some()
                && mem.check_range(
                    GuestAddress(addr),
                    len as usize,
                    vm_memory::Permissions::Read,
                );
            if !inside {
                return Err(RESP_ERR_INVALID_PARAMETER);
            }
            entries.push(BackingEntry { addr, len });
        }
        // Two entries over the same guest bytes would alias one part of the resource to
        // another; no driver does that, so it is refused.
        let mut sorted = entries.clone();
        sorted.sort_by_key(|e| e.addr);
        if sorted
            .windows(2)
            .any(|w| w[0].addr + u64::from(w[0].len) > w[1].addr)
        {
            return Err(RESP_ERR_INVALID_PARAMETER);
        }
        res.backing = Some(entries);
        Ok(())
    }

    fn detach(&mut self, body: &[u8]) -> Result<(), Refusal> {
        let id = Self::resource_id(body)?;
        let res = self
            .resources
            .get_mut(&id)
            .ok_or(RESP_ERR_INVALID_RESOURCE_ID)?;
        res.backing.take().map(|_| ()).ok_or(RESP_ERR_UNSPEC)
    }

    fn set_scanout(&mut self, body: &[u8]) -> Result<(), Refusal> {
        let mut r = Reader(body);
        let (rect, scanout, id) =
            (|| Some((r.rect()?, r.u32()?, r.u32()?)))().ok_or(RESP_ERR_UNSPEC)?;
        if scanout >= NUM_SCANOUTS {
            return Err(RESP_ERR_INVALID_SCANOUT_ID);
        }
        if id == 0 {
            // Resource 0 turns the scanout off.
            self.scanout = None;
            self.damage_all();
            return Ok(());
        }
        let res = self
            .resources
            .get(&id)
            .ok_or(RESP_ERR_INVALID_RESOURCE_ID)?;
        if rect.is_empty() || !rect.inside(res.width, res.height) {
            return Err(RESP_ERR_INVALID_PARAMETER);
        }
        self.scanout = Some(Scanout {
            resource_id: id,
            rect,
        });
        self.damage_all();
        Ok(())
    }

    fn transfer(&mut self, body: &[u8], mem: &GuestMemoryMmap) -> Result<(), Refusal> {
        let mut r = Reader(body);
        let (rect, offset, id) =
            (|| Some((r.rect()?, r.u64()?, r.u32()?)))().ok_or(RESP_ERR_UNSPEC)?;
        let res = self
            .resources
            .get_mut(&id)
            .ok_or(RESP_ERR_INVALID_RESOURCE_ID)?;
        let backing = res.backing.as_ref().ok_or(RESP_ERR_UNSPEC)?;
        if !rect.inside(res.width, res.height) {
            return Err(RESP_ERR_INVALID_PARAMETER);
        }
        if rect.is_empty() {
            return Ok(());
        }
        let stride = u64::from(res.width) * 4;
        let row = u64::from(rect.w) * 4;
        // The last byte read is offset + (h - 1) * stride + w * 4; all within the backing.
        let total: u64 = backing.iter().map(|e| u64::from(e.len)).sum();
        let end = offset
            .checked_add(u64::from(rect.h - 1) * stride + row)
            .ok_or(RESP_ERR_INVALID_PARAMETER)?;
        if end > total {
            return Err(RESP_ERR_INVALID_PARAMETER);
        }
        if row == stride {
            // Whole rows (what drivers send for a full-screen update): one block in both the
            // backing and the host copy, so one walk of the backing list for all of it.
            let dst = u64::from(rect.y) * stride;
            let out = &mut res.pixels[dst as usize..(dst + u64::from(rect.h) * stride) as usize];
            return read_backing(backing, mem, offset, out).map_err(|_| RESP_ERR_UNSPEC);
        }
        for y in 0..u64::from(rect.h) {
            let src = offset + y * stride;
            let dst = (u64::from(rect.y) + y) * stride + u64::from(rect.x) * 4;
            let out = &mut res.pixels[dst as usize..(dst + row) as usize];
            read_backing(backing, mem, src, out).map_err(|_| RESP_ERR_UNSPEC)?;
        }
        Ok(())
    }

    fn flush(&mut self, body: &[u8]) -> Result<(), Refusal> {
        let mut r = Reader(body);
        let (rect, id) = (|| Some((r.rect()?, r.u32()?)))().ok_or(RESP_ERR_UNSPEC)?;
        let res = self
            .resources
            .get(&id)
            .ok_or(RESP_ERR_INVALID_RESOURCE_ID)?;
        if !rect.inside(res.width, res.height) {
            return Err(RESP_ERR_INVALID_PARAMETER);
        }
        let Some(s) = self.scanout.filter(|s| s.resource_id == id) else {
            return Ok(());
        };
        // The flushed part of the scanout's rectangle, in scanout (screen) pixels.
        let x0 = rect.x.max(s.rect.x);
        let y0 = rect.y.max(s.rect.y);
        let x1 = (rect.x + rect.w).min(s.rect.x + s.rect.w);
        let y1 = (rect.y + rect.h).min(s.rect.y + s.rect.h);
        if x0 < x1 && y0 < y1 {
            self.damage(&[Rect {
                x: x0 - s.rect.x,
                y: y0 - s.rect.y,
                w: x1 - x0,
                h: y1 - y0,
            }]);
        }
        Ok(())
    }

    fn cursor_cmd(&mut self, kind: u32, body: &[u8]) -> Result<(), Refusal> {
        let mut r = Reader(body);
        let (scanout, x, y, _pad, id, hot_x, hot_y) = (|| {
            Some((
                r.u32()?,
                r.u32()?,
                r.u32()?,
                r.u32()?,
                r.u32()?,
                r.u32()?,
                r.u32()?,
            ))
        })()
        .ok_or(RESP_ERR_UNSPEC)?;
        if scanout >= NUM_SCANOUTS {
            return Err(RESP_ERR_INVALID_SCANOUT_ID);
        }
        let c = &mut self.cursor;
        if kind == CMD_UPDATE_CURSOR {
            if id == 0 {
                c.image.clear();
                (c.w, c.h) = (0, 0);
            } else {
                let res = self
                    .resources
                    .get(&id)
                    .ok_or(RESP_ERR_INVALID_RESOURCE_ID)?;
                if res.width > MAX_CURSOR || res.height > MAX_CURSOR {
                    return Err(RESP_ERR_INVALID_PARAMETER);
                }
                c.image.clear();
                push_bgra(res.format, &res.pixels, &mut c.image, true);
                (c.w, c.h) = (res.width, res.height);
                (c.hot_x, c.hot_y) = (hot_x.min(res.width), hot_y.min(res.height));
            }
        }
        (c.x, c.y) = (x, y);
        c.serial += 1;
        if kind == CMD_UPDATE_CURSOR {
            c.shape_serial += 1;
            // An empty rectangle changes no pixel but wakes the front ends, which look at
            // the cursor's shape serial.
            self.damage(&[Rect {
                x: 0,
                y: 0,
                w: 0,
                h: 0,
            }]);
        }
        Ok(())
    }

    pub(super) fn damage_all(&self) {
        let (w, h) = self.frame_size();
        self.damage(&[Rect { x: 0, y: 0, w, h }]);
    }

    fn damage(&self, rects: &[Rect]) {
        if let Some(f) = &self.on_damage {
            f(rects);
        }
    }

    /// The size of the picture clients see: the scanout's rectangle, or the display size
    /// (black) while nothing is scanned out.
    pub fn frame_size(&self) -> (u32, u32) {
        match self.scanout {
            Some(s) => (s.rect.w, s.rect.h),
            None => self.display,
        }
    }

    /// Copies a rectangle of the visible picture as XRGB8888 (B, G, R, X bytes) into `out`,
    /// clipped to the frame: from the scanout resource's host copy, black without one.
    pub fn read_rect(&self, r: Rect, out: &mut Vec<u8>) {
        out.clear();
        let (fw, fh) = self.frame_size();
        let x1 = r.x.saturating_add(r.w).min(fw);
        let y1 = r.y.saturating_add(r.h).min(fh);
        if r.x >= x1 || r.y >= y1 {
            return;
        }
        let row = (x1 - r.x) as usize * 4;
        let scan = self
            .scanout
            .and_then(|s| Some((s, self.resources.get(&s.resource_id)?)));
        let Some((s, res)) = scan else {
            out.resize(row * (y1 - r.y) as usize, 0);
            return;
        };
        let stride = res.width as usize * 4;
        for y in r.y..y1 {
            let start = (s.rect.y + y) as usize * stride + (s.rect.x + r.x) as usize * 4;
            push_bgra(res.format, &res.pixels[start..start + row], out, false);
        }
    }
}

/// Ways back in for a snapshot's restore: the same checks as the guest's commands.
impl GpuState {
    pub(super) fn restore_resource(
        &mut self,
        id: u32,
        format: u32,
        width: u32,
        height: u32,
    ) -> Result<(), Refusal> {
        self.create_2d(&words(&[id, format, width, height]))
    }

    /// Attaches `backing` and reads the whole resource from it, where it is large enough.
    pub(super) fn restore_backing(
        &mut self,
        id: u32,
        backing: &[BackingEntry],
        mem: &GuestMemoryMmap,
    ) -> Result<(), Refusal> {
        let n = u32::try_from(backing.len()).map_err(|_| RESP_ERR_INVALID_PARAMETER)?;
        let mut body = words(&[id, n]);
        for e in backing {
            body.extend_from_slice(&e.addr.to_le_bytes());
            body.extend_from_slice(&words(&[e.len, 0]));
        }
        self.attach(&body, mem)?;
        let (w, h) = self
            .resources
            .get(&id)
            .map_or((0, 0), |r| (r.width, r.height));
        let mut t = words(&[0, 0, w, h]);
        t.extend_from_slice(&0u64.to_le_bytes());
        t.extend_from_slice(&words(&[id, 0]));
        // A backing smaller than the resource (allowed) keeps the host copy black.
        let _ = self.transfer(&t, mem);
        Ok(())
    }
}

/// Little-endian u32s laid end to end, as a request body.
pub(super) fn words(w: &[u32]) -> Vec<u8> {
    w.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn ok(hdr: &Header) -> Vec<u8> {
    hdr.response(RESP_OK_NODATA).to_vec()
}

/// `n` zero bytes, or None if the allocator refuses. `alloc_zeroed` (calloc) gets large
/// blocks as fresh pages the kernel zeroes on first touch, so a resource costs host memory only
/// where the guest transfers into it; `try_reserve` + `resize` would write every byte up front.
/// (`Vec::try_with_capacity` of zeroed memory has no stable safe form.)
fn zeroed(n: usize) -> Option<Vec<u8>> {
    if n == 0 {
        return Some(Vec::new());
    }
    let layout = std::alloc::Layout::array::<u8>(n).ok()?;
    // SAFETY: `layout` has a non-zero size. A non-null block from the global allocator with
    // this layout (align 1, size n) holds n initialized (zero) bytes, which is what
    // `Vec::<u8>::from_raw_parts` with length and capacity n requires to own and free it.
    unsafe {
        let p = std::alloc::alloc_zeroed(layout);
        (!p.is_null()).then(|| Vec::from_raw_parts(p, n, n))
    }
}

/// Appends pixels of `format` to `out` as B, G, R, A bytes; with `alpha` false the fourth
/// byte is 0 (what X or alpha means nothing on screen). Written into `out` directly: this runs
/// for every rectangle a VNC client or screenshot reads.
fn push_bgra(format: u32, px: &[u8], out: &mut Vec<u8>, alpha: bool) {
    let [b, g, r] = channel_offsets(format).unwrap_or([0, 1, 2]);
    // The alpha (or X) byte is the one that is none of the colours.
    let a = 6 - b - g - r;
    out.reserve(px.len());
    if [b, g, r] == [0, 1, 2] {
        // Already B, G, R, A (B8G8R8X8/A8, what Linux and the test guest use): one copy, and
        // the fourth bytes cleared in a loop the compiler vectorizes, instead of a push per
        // pixel (~2 ms per 1920x1080 frame read by VNC).
        let start = out.len();
        out.extend_from_slice(&px[..px.len() / 4 * 4]);
        if !alpha {
            for p in out[start..].chunks_exact_mut(4) {
                p[3] = 0;
            }
        }
        return;
    }
    for p in px.chunks_exact(4) {
        out.extend_from_slice(&[p[b], p[g], p[r], if alpha { p[a] } else { 0 }]);
    }
}

/// Reads `out.len()` bytes at `offset` of the resource's backing (its entries laid end to end).
fn read_backing(
    backing: &[BackingEntry],
    mem: &GuestMemoryMmap,
    mut offset: u64,
    mut out: &mut [u8],
) -> Result<(), ()> {
    for e in backing {
        if out.is_empty() {
            break;
        }
        let len = u64::from(e.len);
        if offset >= len {
            offset -= len;
            continue;
        }
        let n = ((len - offset) as usize).min(out.len());
        let (now, rest) = out.split_at_mut(n);
        mem.read_slice(now, GuestAddress(e.addr + offset))
            .map_err(|_| ())?;
        out = rest;
        offset = 0;
    }
    if out.is_empty() {
        Ok(())
    } else {
        Err(())
    }
}
