//! The guest's screen over VNC: a vnc-rs client on the VM's Unix socket
//! (`$XDG_RUNTIME_DIR/vmdesk/<id>/vnc.sock`, RFB 3.8, no authentication there), run in an iced
//! subscription.
//!
//! Pixels never touch the UI thread: the subscription keeps the framebuffer and applies the
//! rectangles as they come. The screen is cut into [`TILE`]-sized tiles; when an update from the
//! server is complete, the UI gets new image handles for the tiles that changed only. The
//! renderer converts and caches each handle once, and redraws only where handles changed, so a
//! small change costs a small redraw. Input goes the other way through a channel the
//! subscription hands out when it connects; one task owns the client and selects between the
//! two (vnc-rs's `recv_event` holds a lock `input` needs).

use iced::futures::{SinkExt, Stream};
use iced::keyboard::key::Named;
use iced::keyboard::{Key, Location};
use iced::widget::image;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Side of the square tiles, in pixels. The renderer redraws a changed tile's neighbours too
/// (its damage is one pixel larger), so small tiles keep a small change cheap; a full-screen
/// change goes as one image instead (see [`Frame::full`]).
pub const TILE: u32 = 64;
/// The server sends an update as one burst of rectangles; this long without one ends it.
const SETTLE: Duration = Duration::from_millis(2);
/// A burst that goes on this long (updates back to back, e.g. while the app is starved of CPU)
/// is shown anyway, so the screen keeps moving.
const MAX_BURST: Duration = Duration::from_millis(50);
/// An incremental update request is sent at least this often, even on a quiet screen.
const IDLE_REFRESH: Duration = Duration::from_millis(500);

/// What the UI sends to the guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// X11 keysym, down or up.
    Key(u32, bool),
    /// Absolute position in framebuffer pixels and the RFB button mask.
    Pointer(u16, u16, u8),
}

/// The size the console shows the screen at, in pixels: the console sets it as it lays the
/// screen out, the session scales to it, so the renderer only ever copies pixels 1:1 (scaling
/// in tiny-skia costs tens of milliseconds per frame on the UI thread).
#[derive(Debug, Default)]
pub struct View {
    size: AtomicU64,
    changed: tokio::sync::Notify,
}

impl View {
    pub fn want(&self, width: u32, height: u32) {
        let v = (u64::from(width) << 32) | u64::from(height);
        if self.size.swap(v, Ordering::Relaxed) != v {
            self.changed.notify_one();
        }
    }

    fn wanted(&self) -> (u32, u32) {
        let v = self.size.load(Ordering::Relaxed);
        ((v >> 32) as u32, v as u32)
    }
}

/// The tiles that changed, ready to draw.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The guest's screen size.
    pub width: u32,
    pub height: u32,
    /// The size the tiles make up (the screen scaled for the console).
    pub shown: (u32, u32),
    /// The whole screen, when most of it changed (then `tiles` is empty): one image is drawn
    /// in one pass, where many tiles make the renderer split its damage and draw edges twice.
    pub full: Option<image::Handle>,
    /// Tile index (row-major, [`TILE`]-sized over `shown`, the last row and column cut) and
    /// its pixels, drawn over the last whole screen.
    pub tiles: Vec<(usize, image::Handle)>,
    /// Counts frames from 1 in a session (for the frame trace).
    pub seq: u64,
    pub view: Arc<View>,
    /// Held while the frame waits in the channel: the session sends the next one only when the
    /// UI has taken this one, so frames never queue up behind a busy UI (changes merge instead).
    _pending: Arc<()>,
}

#[cfg(test)]
impl Frame {
    /// A whole black frame (tests).
    pub fn blank(width: u32, height: u32) -> Frame {
        let mut fb = Framebuffer::default();
        fb.resize(width, height);
        fb.frame((width, height), Arc::default())
    }
}

/// What the console draws: the latest handle of every tile.
#[derive(Debug, Clone, Default)]
pub struct Screen {
    pub width: u32,
    pub height: u32,
    pub shown: (u32, u32),
    /// The last whole screen, and the tiles changed since, drawn over it.
    pub full: Option<image::Handle>,
    pub tiles: Vec<Option<image::Handle>>,
    pub seq: u64,
    pub view: Arc<View>,
}

impl Screen {
    pub fn apply(&mut self, f: Frame) {
        if (f.width, f.height, f.shown) != (self.width, self.height, self.shown) || f.full.is_some()
        {
            self.width = f.width;
            self.height = f.height;
            self.shown = f.shown;
            let (c, r) = grid(f.shown.0, f.shown.1);
            self.tiles = vec![None; c * r];
            self.full = f.full;
        }
        for (i, h) in f.tiles {
            if let Some(t) = self.tiles.get_mut(i) {
                *t = Some(h);
            }
        }
        // Tiles cover it all: the whole image under them would only be drawn (and redrawn
        // around every changed tile) for nothing.
        if self.tiles.iter().all(Option::is_some) {
            self.full = None;
        }
        self.seq = f.seq;
        self.view = f.view;
    }

    /// Each tile's handle and its rectangle (x, y, w, h) in the `shown` pixels.
    pub fn tiles(&self) -> impl Iterator<Item = (&image::Handle, [u32; 4])> {
        let (sw, sh) = self.shown;
        let cols = grid(sw, sh).0.max(1);
        self.tiles.iter().enumerate().filter_map(move |(i, t)| {
            let [x, y, w, h] = tile_rect(i, cols, sw, sh);
            t.as_ref().map(|t| (t, [x, y, w, h]))
        })
    }
}

/// Columns and rows of tiles.
fn grid(width: u32, height: u32) -> (usize, usize) {
    (
        width.div_ceil(TILE) as usize,
        height.div_ceil(TILE) as usize,
    )
}

/// Tile `i`'s rectangle in a `cols`-wide grid over `width`×`height`.
fn tile_rect(i: usize, cols: usize, width: u32, height: u32) -> [u32; 4] {
    let (x, y) = ((i % cols) as u32 * TILE, (i / cols) as u32 * TILE);
    [x, y, TILE.min(width - x), TILE.min(height - y)]
}

/// What the subscription tells the UI.
#[derive(Debug, Clone)]
pub enum Event {
    /// Connected; input goes through this channel.
    Connected(tokio::sync::mpsc::Sender<Input>),
    Frame(Frame),
    /// The connection failed or ended (the subscription tries again).
    Disconnected(String),
}

/// The framebuffer as RGBA bytes, with the vnc-rs events applied.
#[derive(Debug, Default, Clone)]
pub struct Framebuffer {
    pub width: u32,
    pub height: u32,
    pub px: Vec<u8>,
    /// Changed since the last frame handed out.
    pub dirty: bool,
    /// Per tile of the guest's screen: changed since the last frame.
    dirty_tiles: Vec<bool>,
    seq: u64,
    /// The size the last frame was made for, and the screen scaled to it.
    shown: (u32, u32),
    /// The last frame was the whole screen in one image.
    sent_full: bool,
    scaled: Vec<u8>,
    resizer: fast_image_resize::Resizer,
}

impl Framebuffer {
    pub fn resize(&mut self, width: u32, height: u32) {
        if (width, height) != (self.width, self.height) {
            self.width = width;
            self.height = height;
            self.px = vec![0; width as usize * height as usize * 4];
            let (c, r) = grid(width, height);
            self.dirty_tiles = vec![true; c * r];
            self.shown = (0, 0);
            self.dirty = true;
        }
    }

    /// Marks the tiles under a rectangle (already clipped to the framebuffer) changed.
    fn touch(&mut self, x: u32, y: u32, w: u32, h: u32) {
        if w == 0 || h == 0 {
            return;
        }
        let cols = grid(self.width, self.height).0;
        for ty in y / TILE..=(y + h - 1) / TILE {
            for tx in x / TILE..=(x + w - 1) / TILE {
                self.dirty_tiles[ty as usize * cols + tx as usize] = true;
            }
        }
        self.dirty = true;
    }

    /// Copies a rectangle of R,G,B,X pixels in (clipped to the framebuffer), alpha set opaque.
    pub fn put(&mut self, x: u32, y: u32, w: u32, h: u32, data: &[u8]) {
        if x >= self.width || y >= self.height {
            return;
        }
        let cw = w.min(self.width - x) as usize;
        let ch = h.min(self.height - y) as usize;
        let (fw, w) = (self.width as usize, w as usize);
        let mut rows = 0;
        for row in 0..ch {
            let src = row * w * 4;
            if src + cw * 4 > data.len() {
                break;
            }
            let dst = ((y as usize + row) * fw + x as usize) * 4;
            let out = &mut self.px[dst..dst + cw * 4];
            out.copy_from_slice(&data[src..src + cw * 4]);
            for p in out.chunks_exact_mut(4) {
                p[3] = 255;
            }
            rows += 1;
        }
        self.touch(x, y, cw as u32, rows);
    }

    /// CopyRect: the rectangle at (sx, sy) moves to (dx, dy).
    pub fn copy(&mut self, dx: u32, dy: u32, sx: u32, sy: u32, w: u32, h: u32) {
        let fits = |x: u32, y: u32| x + w <= self.width && y + h <= self.height;
        if !fits(dx, dy) || !fits(sx, sy) {
            return;
        }
        let fw = self.width as usize;
        let rows: Vec<usize> = if dy > sy {
            (0..h as usize).rev().collect()
        } else {
            (0..h as usize).collect()
        };
        for r in rows {
            let s = ((sy as usize + r) * fw + sx as usize) * 4;
            let d = ((dy as usize + r) * fw + dx as usize) * 4;
            self.px.copy_within(s..s + w as usize * 4, d);
        }
        self.touch(dx, dy, w, h);
    }

    /// The changed tiles for the UI, scaled to `want` (copies: the subscription keeps drawing
    /// into its own framebuffer). `want` of 0×0 (not laid out yet) means 1:1; it is capped
    /// at 4× the screen.
    pub fn frame(&mut self, want: (u32, u32), view: Arc<View>) -> Frame {
        let (w, h) = (self.width, self.height);
        let shown = match want {
            (0, _) | (_, 0) => (w, h),
            (dw, dh) => (dw.min(w * 4), dh.min(h * 4)),
        };
        let (cols, rows) = grid(shown.0, shown.1);
        let mut dirty = vec![shown != self.shown; cols * rows];
        let was_full = std::mem::take(&mut self.sent_full);
        if shown == self.shown {
            // Each changed source tile, scaled, with a pixel around it for the filter.
            let (sx, sy) = (shown.0 as f32 / w as f32, shown.1 as f32 / h as f32);
            let m = u32::from(shown != (w, h));
            let src_cols = grid(w, h).0;
            for (i, _) in self.dirty_tiles.iter().enumerate().filter(|(_, d)| **d) {
                let [x, y, tw, th] = tile_rect(i, src_cols, w, h);
                let x0 = ((x as f32 * sx).floor() as u32).saturating_sub(m);
                let y0 = ((y as f32 * sy).floor() as u32).saturating_sub(m);
                let x1 = (((x + tw) as f32 * sx).ceil() as u32 + m).min(shown.0);
                let y1 = (((y + th) as f32 * sy).ceil() as u32 + m).min(shown.1);
                for ty in y0 / TILE..y1.div_ceil(TILE) {
                    for tx in x0 / TILE..x1.div_ceil(TILE) {
                        dirty[ty as usize * cols + tx as usize] = true;
                    }
                }
            }
        }
        self.dirty_tiles.iter_mut().for_each(|d| *d = false);
        self.dirty = false;
        self.shown = shown;
        self.seq += 1;
        let changed = dirty.iter().filter(|d| **d).count();
        let px = if shown == (w, h) {
            &self.px
        } else {
            // `self.scaled` still holds the last frame at this size unless the size changed
            // (then every tile is dirty): rescale only the tiles that changed.
            if changed * 2 > dirty.len() {
                self.scale(shown);
            } else {
                self.scale_tiles(shown, &dirty);
            }
            &self.scaled
        };
        let stride = shown.0 as usize * 4;
        if changed * 2 > dirty.len() {
            self.sent_full = true;
            return Frame {
                width: w,
                height: h,
                shown,
                full: Some(image::Handle::from_rgba(
                    shown.0,
                    shown.1,
                    px[..stride * shown.1 as usize].to_vec(),
                )),
                tiles: Vec::new(),
                seq: self.seq,
                view,
                _pending: Arc::new(()),
            };
        }
        if was_full && changed > 0 {
            // Back to tiles after whole images: every tile once, then the UI drops the image.
            dirty.iter_mut().for_each(|d| *d = true);
        }
        let tiles = dirty
            .iter()
            .enumerate()
            .filter(|(_, d)| **d)
            .map(|(i, _)| {
                let [x, y, tw, th] = tile_rect(i, cols, shown.0, shown.1);
                let mut out = Vec::with_capacity(tw as usize * th as usize * 4);
                for row in y as usize..(y + th) as usize {
                    let at = row * stride + x as usize * 4;
                    out.extend_from_slice(&px[at..at + tw as usize * 4]);
                }
                (i, image::Handle::from_rgba(tw, th, out))
            })
            .collect();
        Frame {
            width: w,
            height: h,
            shown,
            full: None,
            tiles,
            seq: self.seq,
            view,
            _pending: Arc::new(()),
        }
    }

    /// Rescales into `self.scaled` (already `shown` big) only the tiles of the `shown` grid
    /// marked in `dirty`, one resize per run of neighbouring tiles in a row. Each run samples
    /// the source through a crop box at the same scale as the whole-screen resize, and the
    /// filter reaches outside the box into the full image, so a run comes out as the whole
    /// resize would have drawn it (within rounding): no seams at tile edges.
    fn scale_tiles(&mut self, shown: (u32, u32), dirty: &[bool]) {
        use fast_image_resize::{images, PixelType};
        let (cols, _) = grid(shown.0, shown.1);
        let (fx, fy) = (
            f64::from(self.width) / f64::from(shown.0),
            f64::from(self.height) / f64::from(shown.1),
        );
        let Ok(src) = images::ImageRef::new(self.width, self.height, &self.px, PixelType::U8x4)
        else {
            return;
        };
        let stride = shown.0 as usize * 4;
        let mut run = Vec::new();
        for (r, row) in dirty.chunks(cols).enumerate() {
            let mut c = 0;
            while c < cols {
                if !row[c] {
                    c += 1;
                    continue;
                }
                let start = c;
                while c < cols && row[c] {
                    c += 1;
                }
                let [x, y, _, th] = tile_rect(r * cols + start, cols, shown.0, shown.1);
                let [lx, _, lw, _] = tile_rect(r * cols + c - 1, cols, shown.0, shown.1);
                let tw = lx + lw - x;
                run.resize(tw as usize * th as usize * 4, 0);
                let Ok(mut dst) = images::Image::from_slice_u8(tw, th, &mut run, PixelType::U8x4)
                else {
                    continue;
                };
                // Clamped: rounding must not push the box past the image's edge.
                let left = f64::from(x) * fx;
                let top = f64::from(y) * fy;
                let opts = scale_options().crop(
                    left,
                    top,
                    (f64::from(tw) * fx).min(f64::from(self.width) - left),
                    (f64::from(th) * fy).min(f64::from(self.height) - top),
                );
                if self.resizer.resize(&src, &mut dst, &opts).is_err() {
                    continue;
                }
                let row_bytes = tw as usize * 4;
                for (i, line) in run.chunks_exact(row_bytes).enumerate() {
                    let at = (y as usize + i) * stride + x as usize * 4;
                    self.scaled[at..at + row_bytes].copy_from_slice(line);
                }
            }
        }
    }

    /// Scales the whole screen into `self.scaled` (bilinear; alpha is always opaque).
    fn scale(&mut self, (dw, dh): (u32, u32)) {
        use fast_image_resize::{images, PixelType};
        self.scaled.resize(dw as usize * dh as usize * 4, 0);
        let src = images::ImageRef::new(self.width, self.height, &self.px, PixelType::U8x4);
        let dst = images::Image::from_slice_u8(dw, dh, &mut self.scaled, PixelType::U8x4);
        let (Ok(src), Ok(mut dst)) = (src, dst) else {
            return; // sizes match the buffers by construction; U8x4 needs no alignment
        };
        let _ = self.resizer.resize(&src, &mut dst, &scale_options());
    }
}

/// How the screen is scaled, whole or tile by tile (the same filter, so tiles match the whole).
fn scale_options() -> fast_image_resize::ResizeOptions {
    use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions};
    ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::Bilinear))
        .use_alpha(false)
}

/// Identifies one VM's screen connection: a new VMM (new pid) gets a new one.
pub struct ScreenKey {
    pub vm: String,
    pub pid: u32,
    pub socket: PathBuf,
}

impl Hash for ScreenKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        "vnc".hash(state);
        self.vm.hash(state);
        self.pid.hash(state);
        self.socket.hash(state);
    }
}

/// The subscription's stream: connects, and after a failure waits and connects again.
pub fn connect(key: &ScreenKey) -> impl Stream<Item = Event> + use<> {
    let socket = key.socket.clone();
    iced::stream::channel(16, async move |mut out| loop {
        let why = match session(&socket, &mut out).await {
            Ok(()) => String::from("closed"),
            Err(e) => e,
        };
        if out.send(Event::Disconnected(why)).await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    })
}

type Out = iced::futures::channel::mpsc::Sender<Event>;

async fn session(socket: &std::path::Path, out: &mut Out) -> Result<(), String> {
    use vnc::{PixelFormat, VncConnector, VncEncoding, VncEvent, X11Event};
    let stream = tokio::net::UnixStream::connect(socket)
        .await
        .map_err(|e| format!("{}: {e}", socket.display()))?;
    let client = VncConnector::new(stream)
        // Only asked for if the server wants a password (not on the Unix socket).
        .set_auth_method(std::future::ready(Ok(String::new())))
        // A local socket: Raw costs the least CPU on both sides.
        .add_encoding(VncEncoding::Raw)
        .add_encoding(VncEncoding::CopyRect)
        .add_encoding(VncEncoding::Zrle)
        .add_encoding(VncEncoding::DesktopSizePseudo)
        .allow_shared(true)
        .set_pixel_format(PixelFormat::rgba())
        .build()
        .map_err(|e| e.to_string())?
        .try_start()
        .await
        .map_err(|e| e.to_string())?
        .finish()
        .map_err(|e| e.to_string())?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Input>(256);
    out.send(Event::Connected(tx))
        .await
        .map_err(|e| e.to_string())?;
    let mut fb = Framebuffer::default();
    let view = Arc::new(View::default());
    // The last frame sent, while the UI has not taken it yet.
    let mut in_flight: Option<Arc<()>> = None;
    // When the current burst of rectangles counts as ended (None: no burst going on).
    let mut settle: Option<tokio::time::Instant> = None;
    // When the current burst started.
    let mut burst: Option<tokio::time::Instant> = None;
    let mut idle = tokio::time::interval(IDLE_REFRESH);
    idle.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_request = Instant::now();
    let result = loop {
        let settled = async {
            match settle {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            ev = client.recv_event() => {
                let ev = match ev {
                    Ok(ev) => ev,
                    Err(e) => break Err(e.to_string()),
                };
                let pixels = match ev {
                    VncEvent::SetResolution(s) => {
                        fb.resize(s.width.into(), s.height.into());
                        false
                    }
                    VncEvent::RawImage(r, data) => {
                        fb.put(r.x.into(), r.y.into(), r.width.into(), r.height.into(), &data);
                        true
                    }
                    VncEvent::Copy(d, s) => {
                        fb.copy(d.x.into(), d.y.into(), s.x.into(), s.y.into(), d.width.into(), d.height.into());
                        true
                    }
                    VncEvent::Error(e) => break Err(e),
                    _ => false,
                };
                if pixels {
                    let now = tokio::time::Instant::now();
                    if burst.is_none() {
                        burst = Some(now);
                        // Ask for the next update as this one starts arriving: the server
                        // prepares it while we draw, so the guest's frame rate, not the round
                        // trip, sets the pace.
                        last_request = Instant::now();
                        if let Err(e) = client.input(X11Event::Refresh).await {
                            break Err(e.to_string());
                        }
                    }
                    let started = *burst.get_or_insert(now);
                    settle = Some((now + SETTLE).min(started + MAX_BURST));
                }
            }
            input = rx.recv() => {
                let Some(input) = input else { break Ok(()) };
                let ev = match input {
                    Input::Key(sym, down) => X11Event::KeyEvent((sym, down).into()),
                    Input::Pointer(x, y, b) => X11Event::PointerEvent((x, y, b).into()),
                };
                if let Err(e) = client.input(ev).await {
                    break Err(e.to_string());
                }
            }
            () = view.changed.notified() => {
                // Shown at a new size: every tile again, at the new size.
                if fb.width > 0 && view.wanted() != fb.shown {
                    fb.dirty = true;
                    settle.get_or_insert_with(tokio::time::Instant::now);
                }
            }
            _ = settled => {
                if burst.take().is_some() {
                    crate::ui::trace::log("vnc-update", Instant::now());
                }
                settle = None;
                if !fb.dirty {
                    continue;
                }
                if in_flight.as_ref().is_some_and(|p| Arc::strong_count(p) > 1) {
                    // The UI has not taken the last frame yet: look again shortly; what
                    // changes meanwhile goes out with this one.
                    settle = Some(tokio::time::Instant::now() + SETTLE);
                    continue;
                }
                let f = fb.frame(view.wanted(), view.clone());
                in_flight = Some(f._pending.clone());
                if out.send(Event::Frame(f)).await.is_err() {
                    break Ok(());
                }
            }
            _ = idle.tick() => {
                if last_request.elapsed() >= IDLE_REFRESH {
                    last_request = Instant::now();
                    if let Err(e) = client.input(X11Event::Refresh).await {
                        break Err(e.to_string());
                    }
                }
            }
        }
    };
    let _ = client.close().await;
    result
}

/// The X11 keysym of a key (what RFB KeyEvents carry).
pub fn keysym(key: &Key, location: Location) -> Option<u32> {
    let left = !matches!(location, Location::Right);
    let sym = match key {
        Key::Named(n) => match n {
            Named::Enter if location == Location::Numpad => 0xff8d,
            Named::Enter => 0xff0d,
            Named::Tab => 0xff09,
            Named::Backspace => 0xff08,
            Named::Escape => 0xff1b,
            Named::Delete => 0xffff,
            Named::Insert => 0xff63,
            Named::Home => 0xff50,
            Named::End => 0xff57,
            Named::PageUp => 0xff55,
            Named::PageDown => 0xff56,
            Named::ArrowLeft => 0xff51,
            Named::ArrowUp => 0xff52,
            Named::ArrowRight => 0xff53,
            Named::ArrowDown => 0xff54,
            Named::Space => 0x20,
            Named::Shift => {
                if left {
                    0xffe1
                } else {
                    0xffe2
                }
            }
            Named::Control => {
                if left {
                    0xffe3
                } else {
                    0xffe4
                }
            }
            Named::Alt => {
                if left {
                    0xffe9
                } else {
                    0xffea
                }
            }
            Named::AltGraph => 0xfe03,
            Named::Super | Named::Meta => {
                if left {
                    0xffeb
                } else {
                    0xffec
                }
            }
            Named::CapsLock => 0xffe5,
            Named::NumLock => 0xff7f,
            Named::ScrollLock => 0xff14,
            Named::PrintScreen => 0xff61,
            Named::Pause => 0xff13,
            Named::ContextMenu => 0xff67,
            Named::F1 => 0xffbe,
            Named::F2 => 0xffbf,
            Named::F3 => 0xffc0,
            Named::F4 => 0xffc1,
            Named::F5 => 0xffc2,
            Named::F6 => 0xffc3,
            Named::F7 => 0xffc4,
            Named::F8 => 0xffc5,
            Named::F9 => 0xffc6,
            Named::F10 => 0xffc7,
            Named::F11 => 0xffc8,
            Named::F12 => 0xffc9,
            _ => return None,
        },
        Key::Character(s) => {
            let mut chars = s.chars();
            let c = chars.next()?;
            if chars.next().is_some() {
                return None;
            }
            if location == Location::Numpad {
                match c {
                    '0'..='9' => return Some(0xffb0 + (c as u32 - '0' as u32)),
                    '.' | ',' => return Some(0xffae),
                    '+' => return Some(0xffab),
                    '-' => return Some(0xffad),
                    '*' => return Some(0xffaa),
                    '/' => return Some(0xffaf),
                    _ => {}
                }
            }
            let u = c as u32;
            if (0x20..=0x7e).contains(&u) || (0xa0..=0xff).contains(&u) {
                u
            } else if u >= 0x100 {
                0x0100_0000 + u
            } else {
                return None;
            }
        }
        Key::Unidentified => return None,
    };
    Some(sym)
}

pub mod sym {
    pub const CONTROL_L: u32 = 0xffe3;
    pub const ALT_L: u32 = 0xffe9;
    pub const DELETE: u32 = 0xffff;
    pub const BACKSPACE: u32 = 0xff08;
    /// F1; F2..F12 follow.
    pub const F1: u32 = 0xffbe;
}

/// The key presses of a combination: modifiers down, key down, then all up in reverse.
pub fn combo(keys: &[u32]) -> Vec<Input> {
    keys.iter()
        .map(|k| Input::Key(*k, true))
        .chain(keys.iter().rev().map(|k| Input::Key(*k, false)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_x11_keysyms() {
        let c = |s: &str| Key::Character(s.into());
        assert_eq!(keysym(&c("a"), Location::Standard), Some(0x61));
        assert_eq!(keysym(&c("A"), Location::Standard), Some(0x41));
        assert_eq!(keysym(&c("é"), Location::Standard), Some(0xe9));
        assert_eq!(keysym(&c("€"), Location::Standard), Some(0x0100_20ac));
        assert_eq!(keysym(&c("7"), Location::Numpad), Some(0xffb7));
        assert_eq!(
            keysym(&Key::Named(Named::Enter), Location::Standard),
            Some(0xff0d)
        );
        assert_eq!(
            keysym(&Key::Named(Named::Control), Location::Right),
            Some(0xffe4)
        );
        assert_eq!(
            keysym(&Key::Named(Named::F12), Location::Standard),
            Some(0xffc9)
        );
        assert_eq!(keysym(&Key::Unidentified, Location::Standard), None);
    }

    #[test]
    fn combos_press_in_order_and_release_in_reverse() {
        assert_eq!(
            combo(&[sym::CONTROL_L, sym::ALT_L, sym::DELETE]),
            [
                Input::Key(0xffe3, true),
                Input::Key(0xffe9, true),
                Input::Key(0xffff, true),
                Input::Key(0xffff, false),
                Input::Key(0xffe9, false),
                Input::Key(0xffe3, false),
            ]
        );
    }

    #[test]
    fn rectangles_and_copies_land_where_they_belong() {
        let mut fb = Framebuffer::default();
        fb.resize(4, 3);
        assert_eq!(fb.px.len(), 48);
        // A 2x2 rectangle at (1,1), pixels numbered; alpha comes out opaque.
        let data: Vec<u8> = (0..4).flat_map(|i| [i, i, i, 0]).collect();
        fb.put(1, 1, 2, 2, &data);
        let at = |fb: &Framebuffer, x: usize, y: usize| fb.px[(y * 4 + x) * 4];
        assert_eq!((at(&fb, 1, 1), at(&fb, 2, 1), at(&fb, 1, 2)), (0, 1, 2));
        assert_eq!(fb.px[(5 * 4) + 3], 255);
        // Clipped at the right edge: no panic, the visible part lands.
        fb.put(3, 0, 2, 1, &[9, 9, 9, 0, 8, 8, 8, 0]);
        assert_eq!(at(&fb, 3, 0), 9);
        // CopyRect moves the block one pixel left.
        fb.copy(0, 1, 1, 1, 2, 2);
        assert_eq!((at(&fb, 0, 1), at(&fb, 1, 1), at(&fb, 0, 2)), (0, 1, 2));
        let f = fb.frame((0, 0), Arc::default());
        assert_eq!((f.width, f.height), (4, 3));
        assert!(!fb.dirty);
        // Out-of-range copies are ignored.
        fb.copy(3, 2, 0, 0, 2, 2);
        assert!(!fb.dirty);
    }

    #[test]
    fn only_changed_tiles_go_to_the_ui_and_the_screen_keeps_the_rest() {
        assert_eq!(TILE, 64, "the numbers below assume 64-px tiles");
        // 300x200: 5x4 tiles, the last column 44 px and the last row 8 px wide.
        assert_eq!(tile_rect(4, 5, 300, 200), [256, 0, 44, 64]);
        assert_eq!(tile_rect(19, 5, 300, 200), [256, 192, 44, 8]);
        let ids = |f: &Frame| f.tiles.iter().map(|(i, _)| *i).collect::<Vec<_>>();
        let mut fb = Framebuffer::default();
        fb.resize(300, 200);
        let first = fb.frame((0, 0), Arc::default());
        assert!(
            first.tiles.is_empty(),
            "after a resize the whole screen goes"
        );
        let mut screen = Screen::default();
        screen.apply(first);
        assert!(screen.full.is_some());
        assert_eq!(screen.tiles().count(), 0);
        // The first small change after a whole image: every tile once, and the image goes.
        fb.put(0, 0, 1, 1, &[5; 4]);
        let f = fb.frame((0, 0), Arc::default());
        assert_eq!(f.tiles.len(), 20);
        screen.apply(f);
        assert!(screen.full.is_none());
        let before: Vec<u64> = screen.tiles().map(|(h, _)| id(h)).collect();
        // A rectangle across the border of tiles 0 and 1 (x 60..80), rows 10..12.
        fb.put(60, 10, 20, 2, &[7; 20 * 2 * 4]);
        let f = fb.frame((0, 0), Arc::default());
        assert!(f.full.is_none());
        assert_eq!(ids(&f), [0, 1]);
        // The new tile 1 holds the rectangle's right part at its own (0, 10).
        let image::Handle::Rgba {
            width, ref pixels, ..
        } = f.tiles[1].1
        else {
            panic!("an RGBA handle")
        };
        assert_eq!(width, 64);
        let at = (10 * 64) * 4;
        assert_eq!(&pixels[at..at + 4], &[7, 7, 7, 255]);
        screen.apply(f);
        let after: Vec<u64> = screen.tiles().map(|(h, _)| id(h)).collect();
        assert!(after[0] != before[0] && after[1] != before[1]);
        assert_eq!(after[2..], before[2..]);
        // Nothing changed: no frame is due; a copy dirties its destination only.
        assert!(!fb.dirty);
        fb.copy(260, 150, 0, 0, 10, 10);
        assert_eq!(ids(&fb.frame((0, 0), Arc::default())), [14]);
        // Most of the screen changed: the whole screen again, and the tiles over it go.
        fb.put(0, 0, 300, 150, &[1; 300 * 150 * 4]);
        let f = fb.frame((0, 0), Arc::default());
        assert!(f.full.is_some() && f.tiles.is_empty());
        screen.apply(f);
        assert_eq!(screen.tiles().count(), 0);

        // Shown at half size (a 3x2 grid over 150x100): the whole screen first, then a change
        // in the screen's top-left corner is the shown top-left tile only, scaled.
        let half = || (150, 100);
        let f = fb.frame(half(), Arc::default());
        assert_eq!((f.shown, f.full.is_some()), ((150, 100), true));
        fb.put(0, 0, 32, 32, &[200; 32 * 32 * 4]);
        assert_eq!(fb.frame(half(), Arc::default()).tiles.len(), 6);
        fb.put(0, 0, 32, 32, &[200; 32 * 32 * 4]);
        let f = fb.frame(half(), Arc::default());
        assert_eq!(ids(&f), [0]);
        let image::Handle::Rgba {
            width,
            height,
            ref pixels,
            ..
        } = f.tiles[0].1
        else {
            panic!("an RGBA handle")
        };
        assert_eq!((width, height), (64, 64));
        assert_eq!(&pixels[..4], &[200, 200, 200, 255], "scaled, not copied");
    }

    #[test]
    fn rescaling_changed_tiles_matches_rescaling_the_whole_screen() {
        // An odd size and scale, so tile edges fall between source pixels.
        let (w, h) = (333u32, 251u32);
        let shown = (517u32, 389u32);
        let noise = |seed: u32| -> Vec<u8> {
            (0..w * h * 4)
                .map(|i| (i.wrapping_mul(2_654_435_761).wrapping_add(seed) >> 13) as u8)
                .collect()
        };
        let mut fb = Framebuffer::default();
        fb.resize(w, h);
        fb.put(0, 0, w, h, &noise(1));
        fb.frame(shown, Arc::default());
        // Small changes in two places: only their tiles are rescaled.
        let (a, b) = (noise(7), noise(9));
        fb.put(10, 20, 30, 15, &a[..30 * 15 * 4]);
        fb.put(250, 200, 83, 51, &b[..83 * 51 * 4]);
        let f = fb.frame(shown, Arc::default());
        assert!(f.full.is_none() && !f.tiles.is_empty());
        let partial = fb.scaled.clone();
        let mut whole = Framebuffer::default();
        whole.resize(w, h);
        whole.px = fb.px.clone();
        whole.scale(shown);
        let worst = partial
            .iter()
            .zip(&whole.scaled)
            .map(|(p, q)| p.abs_diff(*q))
            .max()
            .unwrap();
        assert!(
            worst <= 1,
            "tiles differ from the whole resize by up to {worst}"
        );
        assert_ne!(
            partial,
            {
                let mut stale = Framebuffer::default();
                stale.resize(w, h);
                stale.put(0, 0, w, h, &noise(1));
                stale.scale(shown);
                stale.scaled
            },
            "the changes were scaled in"
        );
    }

    fn id(h: &image::Handle) -> u64 {
        use std::hash::{DefaultHasher, Hash, Hasher};
        let mut s = DefaultHasher::new();
        h.id().hash(&mut s);
        s.finish()
    }

    /// The whole client path (connect, frames, input) against TigerVNC's Xvnc on a Unix socket,
    /// when Xvnc is installed (`apt-get install tigervnc-standalone-server`); skipped otherwise.
    #[test]
    fn a_real_vnc_server_on_a_unix_socket_gives_frames_and_takes_input() {
        use iced::futures::StreamExt;
        let Some(xvnc) = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
            .map(|d| d.join("Xvnc"))
            .find(|p| p.is_file())
        else {
            let msg = "skipped: Xvnc is not installed (apt-get install tigervnc-standalone-server)";
            assert!(
                std::env::var_os("VMDESK_REQUIRE_TOOLS").is_none(),
                "{msg} (VMDESK_REQUIRE_TOOLS is set)"
            );
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "{msg}");
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("vnc.sock");
        // A free display number of our own (X servers hold /tmp/.X<n>-lock); no TCP listener.
        let start = 200 + std::process::id() % 100;
        let n = (start..start + 100)
            .find(|n| !std::path::Path::new(&format!("/tmp/.X{n}-lock")).exists())
            .unwrap();
        let display = format!(":{n}");
        let mut server = std::process::Command::new(xvnc)
            .args([
                display.as_str(),
                "-geometry",
                "320x200",
                "-depth",
                "24",
                "-SecurityTypes",
                "None",
                "-rfbport",
                "-1",
                "-nolisten",
                "tcp",
                "-rfbunixpath",
            ])
            .arg(&sock)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let rt = tokio::runtime::Runtime::new().unwrap();
        let result = rt.block_on(async {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
            while !sock.exists() && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let key = ScreenKey {
                vm: "x".into(),
                pid: 1,
                socket: sock.clone(),
            };
            let mut stream = Box::pin(connect(&key));
            let mut input = None;
            let mut frame = None;
            while frame.is_none() {
                let ev = tokio::time::timeout_at(deadline, stream.next())
                    .await
                    .map_err(|_| "no frame within 20 s".to_string())?;
                match ev {
                    Some(Event::Connected(tx)) => input = Some(tx),
                    Some(Event::Frame(f)) => frame = Some(f),
                    Some(Event::Disconnected(why)) if input.is_some() => return Err(why),
                    Some(Event::Disconnected(_)) => {} // not listening yet: it retries
                    None => return Err("stream ended".into()),
                }
            }
            let tx = input.ok_or("no input channel")?;
            tx.send(Input::Pointer(10, 10, 0))
                .await
                .map_err(|e| e.to_string())?;
            tx.send(Input::Key(0x61, true))
                .await
                .map_err(|e| e.to_string())?;
            tx.send(Input::Key(0x61, false))
                .await
                .map_err(|e| e.to_string())?;
            // The session is still up after input: no Disconnected within a moment.
            match tokio::time::timeout(Duration::from_millis(300), stream.next()).await {
                Ok(Some(Event::Disconnected(why))) => Err(why),
                _ => Ok(frame.unwrap()),
            }
        });
        let _ = server.kill();
        let _ = server.wait();
        let f = result.unwrap();
        assert_eq!((f.width, f.height), (320, 200));
    }
}
