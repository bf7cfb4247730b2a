//! One client: the handshake, the message reader (this thread) and the update writer (a
//! second thread).

use std::collections::BTreeSet;
use std::io::{self, Read, Write};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::desktop::{self, REASON_CLIENT, REASON_SERVER, STATUS_OK};
use super::encode::{encode_raw, PixelConverter, ZrleEncoder};
use super::handshake::{handshake, protocol_error, ByDeadline};
use super::keysym::keysym_to_evdev;
use super::proto::{
    parse_client_message, ClientMessage, EncodingPrefs, PixelFormat, Screen, ENCODING_DESKTOP_SIZE,
    ENCODING_ZRLE, MAX_MESSAGE_LEN,
};
use super::rects::{coalesce, contains, intersect};
use super::server::{Inner, Stream};
use super::wire::{put_rect_header, read_padded, write_all_by};
use crate::display::{bounding_box, ClientDamage, FrameSource, Rect};
use crate::util::lock;

/// How long the writer waits for damage before it looks at the frame size again.
const DAMAGE_WAIT: Duration = Duration::from_millis(500);
/// How long the writer sleeps between checks when the client has no request outstanding
/// (the reader wakes it as soon as one arrives).
const IDLE_WAIT: Duration = Duration::from_secs(1);
/// Unknown keysyms (and SetDesktopSize requests) are logged this many times per client, then
/// only counted (answered).
const MAX_KEYSYM_LOGS: u32 = 8;
/// Damage rectangles kept back for later requests beyond this many are merged.
const MAX_CARRY: usize = 64;
/// SetDesktopSize answers not yet sent; a client with more outstanding is closed (each
/// must be answered on its own, so they can't be merged).
const MAX_SIZE_REPLIES: usize = 64;

/// Runs one client until it disconnects or misbehaves; logs why it ended (through the gate's
/// bounded log while it has not authenticated: floods of refusals must not flood the log).
pub(super) fn run(inner: &Arc<Inner>, stream: Stream, id: u64, peer: &str) {
    let mut admitted = false;
    let outcome = session(inner, stream, id, peer, &mut admitted);
    let line = match &outcome {
        Ok(()) => format!("vnc: {peer}: disconnected"),
        Err(e) => {
            if e.kind() == io::ErrorKind::InvalidData {
                inner.protocol_errors.fetch_add(1, Ordering::Relaxed);
            }
            format!("vnc: {peer}: closed: {e}")
        }
    };
    if admitted {
        crate::log_line!("{line}");
    } else {
        inner.gate.log(|| line);
    }
}

fn session(
    inner: &Arc<Inner>,
    mut stream: Stream,
    id: u64,
    peer: &str,
    admitted: &mut bool,
) -> io::Result<()> {
    stream.set_write_timeout(Some(inner.opts.write_timeout))?;
    let mut shared_flag = [0u8; 1];
    {
        // Everything up to ClientInit within one deadline.
        let mut hs = ByDeadline {
            stream: &mut stream,
            deadline: Instant::now() + inner.opts.handshake_timeout,
        };
        handshake(inner, &mut hs, peer)?;
        hs.read_exact(&mut shared_flag)?;
    }
    inner.admit(id, &stream)?;
    *admitted = true;

    // ClientInit's shared flag is ignored: every client shares the display (the app's
    // viewer and a user's own viewer must not kick each other off).

    let frame = inner.display.frame.clone();
    let (w, h) = (frame.width(), frame.height());
    let (w16, h16) = match (u16::try_from(w), u16::try_from(h)) {
        (Ok(a), Ok(b)) => (a, b),
        _ => {
            return Err(io::Error::other(format!(
                "framebuffer {w}x{h} too large for RFB"
            )))
        }
    };
    // Subscribing starts with the whole screen pending, before the client can ask.
    let damage = inner.display.damage.subscribe(w, h);
    let name = format!("vmdesk: {}", inner.opts.vm_name);
    let mut init = Vec::with_capacity(24 + name.len());
    init.extend_from_slice(&w16.to_be_bytes());
    init.extend_from_slice(&h16.to_be_bytes());
    init.extend_from_slice(&PixelFormat::XRGB8888.to_bytes());
    init.extend_from_slice(&(name.len() as u32).to_be_bytes());
    init.extend_from_slice(name.as_bytes());
    stream.write_all(&init)?;
    stream.set_read_timeout(None)?;
    crate::log_line!("vnc: {peer}: connected");

    let shared = Arc::new(Shared {
        st: Mutex::new(ClientState::default()),
        cv: Condvar::new(),
        damage,
    });
    let writer = {
        let shared = shared.clone();
        let inner = inner.clone();
        let out = stream.try_clone()?;
        let wake_reader = stream.try_clone()?;
        thread::Builder::new()
            .name(String::from("vnc-writer"))
            .spawn(move || {
                crate::sandbox::confine(crate::sandbox::ThreadKind::VncWriter);
                if let Err(e) = Writer::new(&inner, &shared, out, (w, h)).run() {
                    let mut st = lock(&shared.st);
                    // After the reader ended the session, a failed write is just its echo.
                    if !st.closed {
                        st.writer_error = Some(e);
                    }
                    st.closed = true;
                }
                // Ends the connection, which wakes the reader if it is blocked reading.
                wake_reader.shutdown();
            })?
    };

    let mut reader = Reader {
        inner,
        shared: &shared,
        peer,
        pressed: BTreeSet::new(),
        buttons: 0,
        pointer: (0, 0),
        keysym_logs: 0,
        size_logs: 0,
    };
    let read_result = reader.run(&mut stream);
    reader.release_all();

    {
        let mut st = lock(&shared.st);
        st.closed = true;
        shared.cv.notify_all();
    }
    shared.poke();
    stream.shutdown();
    let _ = writer.join();
    let writer_error = lock(&shared.st).writer_error.take();
    match (read_result, writer_error) {
        (Err(e), _) => Err(e),
        (Ok(()), Some(e)) => Err(e),
        (Ok(()), None) => Ok(()),
    }
}

/// What the reader tells the writer.
struct ClientState {
    pf: PixelFormat,
    prefs: EncodingPrefs,
    /// The area of the outstanding incremental FramebufferUpdateRequest(s).
    incremental: Option<Rect>,
    /// Bumped by every FramebufferUpdateRequest, so the writer only clears `incremental`
    /// when no new request arrived while it was sending.
    req_seq: u64,
    /// Outstanding non-incremental requests: send these areas now.
    full: Vec<Rect>,
    /// SetDesktopSize answers to send as soon as possible: status, and the screen to echo
    /// (the client's on success, ours otherwise).
    size_replies: Vec<(u16, Screen)>,
    closed: bool,
    writer_error: Option<io::Error>,
}

impl Default for ClientState {
    fn default() -> Self {
        ClientState {
            pf: PixelFormat::XRGB8888,
            prefs: EncodingPrefs::default(),
            incremental: None,
            req_seq: 0,
            full: Vec::new(),
            size_replies: Vec::new(),
            closed: false,
            writer_error: None,
        }
    }
}

struct Shared {
    st: Mutex<ClientState>,
    cv: Condvar,
    damage: Arc<ClientDamage>,
}

impl Shared {
    /// Wakes the writer if it is waiting for damage: an empty rectangle is pending damage
    /// that covers nothing.
    fn poke(&self) {
        self.damage.add_full(0, 0);
    }
}

struct Reader<'a> {
    inner: &'a Inner,
    shared: &'a Shared,
    peer: &'a str,
    pressed: BTreeSet<u16>,
    buttons: u8,
    pointer: (u32, u32),
    keysym_logs: u32,
    size_logs: u32,
}

impl Reader<'_> {
    fn run(&mut self, stream: &mut Stream) -> io::Result<()> {
        let mut buf: Vec<u8> = Vec::with_capacity(4096);
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            let mut used = 0;
            loop {
                match parse_client_message(&buf[used..]) {
                    Ok(Some((msg, n))) => {
                        used += n;
                        self.handle(msg)?;
                    }
                    Ok(None) => break,
                    Err(e) => return Err(protocol_error(e.to_string())),
                }
            }
            buf.drain(..used);
            debug_assert!(buf.len() < MAX_MESSAGE_LEN);
            let n = match stream.read(&mut chunk) {
                Ok(0) => {
                    if buf.is_empty() {
                        return Ok(());
                    }
                    return Err(protocol_error(format!(
                        "connection closed in the middle of a message ({} bytes of it)",
                        buf.len()
                    )));
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    if lock(&self.shared.st).closed {
                        // The writer ended the connection; it has the reason.
                        return Ok(());
                    }
                    return Err(e);
                }
            };
            buf.extend_from_slice(&chunk[..n]);
        }
    }

    fn handle(&mut self, msg: ClientMessage) -> io::Result<()> {
        match msg {
            ClientMessage::SetPixelFormat(pf) => {
                pf.check_supported()
                    .map_err(|why| protocol_error(format!("SetPixelFormat refused: {why}")))?;
                lock(&self.shared.st).pf = pf;
            }
            ClientMessage::SetEncodings(list) => {
                let prefs = EncodingPrefs::from_list(&list);
                let mut st = lock(&self.shared.st);
                if st.prefs != prefs {
                    crate::log_line!(
                        "vnc: {}: using {}{}{}",
                        self.peer,
                        if prefs.encoding == ENCODING_ZRLE {
                            "ZRLE"
                        } else {
                            "Raw"
                        },
                        if prefs.extended_desktop_size {
                            " + ExtendedDesktopSize"
                        } else if prefs.desktop_size {
                            " + DesktopSize"
                        } else {
                            ""
                        },
                        if prefs.cursor { " + Cursor" } else { "" }
                    );
                }
                st.prefs = prefs;
            }
            ClientMessage::FramebufferUpdateRequest {
                incremental,
                x,
                y,
                w,
                h,
            } => {
                let r = Rect {
                    x: x.into(),
                    y: y.into(),
                    w: w.into(),
                    h: h.into(),
                };
                let mut st = lock(&self.shared.st);
                st.req_seq += 1;
                if incremental {
                    st.incremental = Some(match st.incremental {
                        Some(prev) => bounding_box(&[prev, r]),
                        None => r,
                    });
                } else {
                    st.full.push(r);
                    if st.full.len() > 16 {
                        let b = bounding_box(&st.full);
                        st.full = vec![b];
                    }
                }
                self.shared.cv.notify_all();
                drop(st);
                if !incremental {
                    self.shared.poke();
                }
            }
            ClientMessage::KeyEvent { down, keysym } => match keysym_to_evdev(keysym) {
                Some(code) => {
                    if down {
                        self.pressed.insert(code);
                    } else {
                        self.pressed.remove(&code);
                    }
                    self.inner.display.input.key(code, down);
                }
                None => {
                    self.inner.unknown_keysyms.fetch_add(1, Ordering::Relaxed);
                    if self.keysym_logs < MAX_KEYSYM_LOGS {
                        self.keysym_logs += 1;
                        crate::log_line!(
                            "vnc: {}: ignoring keysym {keysym:#x} (no key on a US keyboard)",
                            self.peer
                        );
                    }
                }
            },
            ClientMessage::PointerEvent { buttons, x, y } => {
                let frame = &self.inner.display.frame;
                let x = u32::from(x).min(frame.width().saturating_sub(1));
                let y = u32::from(y).min(frame.height().saturating_sub(1));
                self.buttons = buttons;
                self.pointer = (x, y);
                self.inner.display.input.pointer(x, y, buttons);
            }
            ClientMessage::ClientCutText { .. } => {
                // Read and dropped: there is no guest clipboard channel.
            }
            ClientMessage::SetDesktopSize {
                width,
                height,
                count,
                screens,
            } => self.set_desktop_size(width, height, count, &screens)?,
        }
        Ok(())
    }

    /// Asks the display for the size (see [`desktop`]) and queues the answer for the writer.
    fn set_desktop_size(
        &mut self,
        width: u16,
        height: u16,
        count: u8,
        screens: &[Screen],
    ) -> io::Result<()> {
        let display = &self.inner.display;
        let current = (display.frame.width(), display.frame.height());
        let status = desktop::answer_request(
            display.resize.as_deref(),
            current,
            width,
            height,
            count,
            screens,
        );
        if self.size_logs < MAX_KEYSYM_LOGS {
            self.size_logs += 1;
            crate::log_line!(
                "vnc: {}: SetDesktopSize {width}x{height} ({count} screen(s)): status {status}",
                self.peer
            );
        }
        let screen = match screens {
            [s] if status == STATUS_OK => *s,
            _ => desktop::our_screen(current.0, current.1),
        };
        let mut st = lock(&self.shared.st);
        if st.size_replies.len() >= MAX_SIZE_REPLIES {
            return Err(protocol_error(format!(
                "{MAX_SIZE_REPLIES} SetDesktopSize messages not yet answered"
            )));
        }
        st.size_replies.push((status, screen));
        self.shared.cv.notify_all();
        drop(st);
        self.shared.poke();
        Ok(())
    }

    /// A client that goes away must not leave keys or buttons held down in the guest.
    fn release_all(&mut self) {
        let input = &self.inner.display.input;
        for &code in &self.pressed {
            input.key(code, false);
        }
        self.pressed.clear();
        if self.buttons != 0 {
            input.pointer(self.pointer.0, self.pointer.1, 0);
            self.buttons = 0;
        }
    }
}

/// Builds and sends FramebufferUpdate messages for one client.
struct Writer<'a> {
    inner: &'a Inner,
    shared: &'a Shared,
    out: Stream,
    frame: Arc<dyn FrameSource>,
    /// The frame size the client knows.
    size: (u32, u32),
    /// The frame size last seen (a client without DesktopSize keeps `size` when it changes).
    seen: (u32, u32),
    /// Damage outside the area of the request it arrived during, for later requests.
    carry: Vec<Rect>,
    /// The shape serial of the pointer last sent (0: none yet).
    cursor_sent: u64,
    conv_pf: PixelFormat,
    conv: PixelConverter,
    zrle: ZrleEncoder,
    pixels: Vec<u8>,
    msg: Vec<u8>,
}

impl<'a> Writer<'a> {
    fn new(inner: &'a Inner, shared: &'a Shared, out: Stream, size: (u32, u32)) -> Self {
        Writer {
            inner,
            shared,
            out,
            frame: inner.display.frame.clone(),
            size,
            seen: size,
            carry: Vec::new(),
            cursor_sent: 0,
            conv_pf: PixelFormat::XRGB8888,
            conv: PixelConverter::new(&PixelFormat::XRGB8888),
            zrle: ZrleEncoder::new(),
            pixels: Vec::new(),
            msg: Vec::new(),
        }
    }

    /// Damage pending now (or after waiting up to `wait`), without the wake-up pokes.
    fn take_damage(&self, wait: Duration) -> Vec<Rect> {
        let mut d = self.shared.damage.take(wait);
        d.retain(|r| r.w > 0 && r.h > 0);
        d
    }

    fn run(mut self) -> io::Result<()> {
        loop {
            let (prefs, full, incremental, seq, replies) = {
                let mut st = lock(&self.shared.st);
                loop {
                    if st.closed {
                        return Ok(());
                    }
                    if !st.full.is_empty()
                        || st.incremental.is_some()
                        || !st.size_replies.is_empty()
                    {
                        break;
                    }
                    st = self
                        .shared
                        .cv
                        .wait_timeout(st, IDLE_WAIT)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
                (
                    st.prefs,
                    std::mem::take(&mut st.full),
                    st.incremental,
                    st.req_seq,
                    std::mem::take(&mut st.size_replies),
                )
            };
            if !replies.is_empty() {
                // Answers to SetDesktopSize go out at once, requested or not (rfbproto).
                self.send_size_replies(&replies)?;
            }

            let now = (self.frame.width(), self.frame.height());
            if now != self.seen {
                self.seen = now;
                self.resize(now, prefs)?;
                self.answered(seq);
                continue;
            }
            let screen = Rect {
                x: 0,
                y: 0,
                w: self.size.0,
                h: self.size.1,
            };

            if !full.is_empty() {
                // Non-incremental: send the requested areas now, with any damage we owe
                // the incremental request; damage inside the areas goes out with them.
                // A client with ExtendedDesktopSize learns the layout first (rfbproto).
                if prefs.extended_desktop_size {
                    self.send_layout(REASON_SERVER, STATUS_OK)?;
                }
                let sent: Vec<Rect> = full.iter().filter_map(|r| intersect(*r, screen)).collect();
                let mut rects = sent.clone();
                let mut pending = self.take_damage(Duration::ZERO);
                pending.append(&mut self.carry);
                for d in pending {
                    let Some(d) = intersect(d, screen) else {
                        continue;
                    };
                    if sent.iter().any(|s| contains(*s, d)) {
                        continue;
                    }
                    match incremental.and_then(|a| intersect(a, screen)) {
                        Some(area) => {
                            if let Some(i) = intersect(d, area) {
                                rects.push(i);
                            }
                            if !contains(area, d) {
                                self.carry.push(d);
                            }
                        }
                        None => self.carry.push(d),
                    }
                }
                self.trim_carry();
                let rects = coalesce(rects);
                self.send(&rects, None)?;
                if incremental.is_some() {
                    self.answered(seq);
                }
                continue;
            }

            let Some(area) = incremental.and_then(|a| intersect(a, screen)) else {
                // A request for nothing on screen: there will never be anything to send.
                self.answered(seq);
                continue;
            };
            let carry_due = self.carry.iter().any(|c| intersect(*c, area).is_some());
            let mut damage = self.take_damage(if carry_due {
                Duration::ZERO
            } else {
                DAMAGE_WAIT
            });
            if (self.frame.width(), self.frame.height()) != self.seen {
                // Resized while we waited: the resize sends the whole new frame.
                continue;
            }
            damage.append(&mut self.carry);
            let mut rects = Vec::new();
            for d in damage {
                let Some(d) = intersect(d, screen) else {
                    continue;
                };
                if let Some(i) = intersect(d, area) {
                    rects.push(i);
                }
                if !contains(area, d) {
                    self.carry.push(d);
                }
            }
            self.trim_carry();
            if rects.is_empty() && !self.cursor_due(prefs) {
                // Woken by a poke or a timeout: look at the requests and the size again.
                continue;
            }
            let rects = coalesce(rects);
            self.send(&rects, None)?;
            self.answered(seq);
        }
    }

    /// The outstanding incremental request was answered, unless a newer one came in since.
    fn answered(&self, seq: u64) {
        let mut st = lock(&self.shared.st);
        if st.req_seq == seq {
            st.incremental = None;
        }
    }

    fn trim_carry(&mut self) {
        if self.carry.len() > MAX_CARRY {
            let b = bounding_box(&self.carry);
            self.carry = vec![b];
        }
    }

    fn resize(&mut self, now: (u32, u32), prefs: EncodingPrefs) -> io::Result<()> {
        if prefs.extended_desktop_size
            && u16::try_from(now.0).is_ok()
            && u16::try_from(now.1).is_ok()
        {
            // The new size in an update of its own; the whole new frame is owed to the
            // next request.
            self.size = now;
            let _ = self.take_damage(Duration::ZERO);
            self.carry.clear();
            if now.0 > 0 && now.1 > 0 {
                self.carry.push(Rect {
                    x: 0,
                    y: 0,
                    w: now.0,
                    h: now.1,
                });
            }
            return self.send_layout(REASON_SERVER, STATUS_OK);
        }
        if !prefs.desktop_size && !prefs.extended_desktop_size {
            // The client keeps its size: the new frame is clipped to it, or padded with black.
            let _ = self.take_damage(Duration::ZERO);
            self.carry.clear();
            let (w, h) = self.size;
            let rects = if w > 0 && h > 0 {
                vec![Rect { x: 0, y: 0, w, h }]
            } else {
                vec![]
            };
            return self.send(&rects, None);
        }
        if u16::try_from(now.0).is_err() || u16::try_from(now.1).is_err() {
            return Err(io::Error::other(format!(
                "the display changed to {}x{}, too large for RFB",
                now.0, now.1
            )));
        }
        self.size = now;
        // Everything is sent again; what was pending is covered.
        let _ = self.take_damage(Duration::ZERO);
        self.carry.clear();
        let screen = Rect {
            x: 0,
            y: 0,
            w: now.0,
            h: now.1,
        };
        let rects: Vec<Rect> = if screen.w > 0 && screen.h > 0 {
            vec![screen]
        } else {
            vec![]
        };
        self.send(&rects, Some(now))
    }

    /// Sends the answers to SetDesktopSize messages, in one update of their own.
    fn send_size_replies(&mut self, replies: &[(u16, Screen)]) -> io::Result<()> {
        let size = self.size;
        let rects: Vec<_> = replies
            .iter()
            .map(|&(status, screen)| (REASON_CLIENT, status, size, screen))
            .collect();
        self.send_desktop_update(&rects)
    }

    /// Sends the size the client knows and our one screen, in an update of its own.
    fn send_layout(&mut self, reason: u16, status: u16) -> io::Result<()> {
        let (w, h) = self.size;
        self.send_desktop_update(&[(reason, status, (w, h), desktop::our_screen(w, h))])
    }

    fn send_desktop_update(&mut self, rects: &[(u16, u16, (u32, u32), Screen)]) -> io::Result<()> {
        let mut msg = std::mem::take(&mut self.msg);
        msg.clear();
        desktop::extended_desktop_size_update(&mut msg, rects);
        let r = write_all_by(&mut self.out, &msg, self.inner.opts.write_timeout);
        self.msg = msg;
        r?;
        self.inner.updates_sent.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Whether the client draws the pointer and has not seen its current shape.
    fn cursor_due(&mut self, prefs: EncodingPrefs) -> bool {
        let Some(source) = self.inner.display.cursor.as_ref() else {
            return false;
        };
        if !prefs.cursor {
            // Sent again if the client asks for cursors again.
            self.cursor_sent = 0;
            return false;
        }
        source.shape_serial() != self.cursor_sent
    }

    fn cursor_shape(&self) -> (crate::display::CursorShape, u64) {
        match self.inner.display.cursor.as_ref() {
            Some(source) => source.shape(),
            None => Default::default(),
        }
    }

    /// Sends one FramebufferUpdate: an optional DesktopSize pseudo-rectangle, the pointer's
    /// shape if it changed (and the client draws it), then `rects`.
    fn send(&mut self, rects: &[Rect], new_size: Option<(u32, u32)>) -> io::Result<()> {
        // The pixel format and encoding as of now: a request the client sent after a
        // SetPixelFormat (which we handled first) must be answered in the new format.
        let (pf, encoding, prefs) = {
            let st = lock(&self.shared.st);
            (st.pf, st.prefs.encoding, st.prefs)
        };
        if pf != self.conv_pf {
            self.conv = PixelConverter::new(&pf);
            self.conv_pf = pf;
        }
        let mut msg = std::mem::take(&mut self.msg);
        msg.clear();
        let cursor = self.cursor_due(prefs).then(|| self.cursor_shape());
        let count = rects.len() + new_size.is_some() as usize + cursor.is_some() as usize;
        msg.extend_from_slice(&[0, 0]);
        msg.extend_from_slice(&(count as u16).to_be_bytes());
        if let Some((w, h)) = new_size {
            put_rect_header(&mut msg, Rect { x: 0, y: 0, w, h }, ENCODING_DESKTOP_SIZE);
        }
        if let Some((shape, serial)) = cursor {
            desktop::put_cursor(&mut msg, &self.conv, &shape);
            self.cursor_sent = serial;
        }
        for &r in rects {
            put_rect_header(&mut msg, r, encoding);
            read_padded(&*self.frame, r, &mut self.pixels);
            if encoding == ENCODING_ZRLE {
                self.zrle.encode(
                    &self.conv,
                    &self.pixels,
                    r.w as usize,
                    r.h as usize,
                    &mut msg,
                )?;
            } else {
                encode_raw(&self.conv, &self.pixels, &mut msg);
            }
        }
        let r = write_all_by(&mut self.out, &msg, self.inner.opts.write_timeout);
        self.msg = msg;
        r?;
        self.inner.updates_sent.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}
