//! The guest's screen over VNC: a vnc-rs client on the VM's Unix socket
//! (`$XDG_RUNTIME_DIR/vmdesk/<id>/vnc.sock`, RFB 3.8, no authentication there), run in an iced
//! subscription.
//!
//! Pixels never touch the UI thread: the subscription keeps the framebuffer and applies the
//! rectangles as they come. The screen is cut into [`TILE`](frame::TILE)-sized tiles; when an
//! update from the server is complete, the UI gets new image handles for the tiles that changed
//! only. The renderer converts and caches each handle once, and redraws only where handles
//! changed, so a small change costs a small redraw. Input goes the other way through a channel
//! the subscription hands out when it connects; one task owns the client and selects between
//! the two (vnc-rs's `recv_event` holds a lock `input` needs).
//!
//! `frame` keeps the framebuffer and its tiles; `scale` scales them to the console's size;
//! `keys` maps iced's keys to the X11 keysyms RFB carries; this module is the session itself.
//! vnc-rs is vendored with a small patch (`vendor/README.md`): the framebuffer gives used pixel
//! storage back to it ([`vnc::give_back`]) for the next screen-sized rectangle.

mod frame;
mod keys;
mod scale;

pub use frame::{Frame, Screen, View};
pub use keys::{combo, keysym, sym};

use frame::Framebuffer;
use iced::futures::{SinkExt, Stream};
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

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

/// What the subscription tells the UI.
#[derive(Debug, Clone)]
pub enum Event {
    /// Connected; input goes through this channel.
    Connected(tokio::sync::mpsc::Sender<Input>),
    Frame(Frame),
    /// The connection failed or ended (the subscription tries again).
    Disconnected(String),
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
        .map_err(crate::data::error::at(socket))?;
    let client = VncConnector::new(stream)
        // Only asked for if the server wants a password (not on the Unix socket).
        .set_auth_method(std::future::ready(Ok(String::new())))
        // A local socket: Raw costs the least CPU on both sides.
        .add_encoding(VncEncoding::Raw)
        .add_encoding(VncEncoding::CopyRect)
        .add_encoding(VncEncoding::Zrle)
        .add_encoding(VncEncoding::DesktopSizePseudo)
        .allow_shared(true)
        // The renderer's own pixel order (see frame.rs), which is also our server's.
        .set_pixel_format(PixelFormat::bgra())
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
                        fb.put_owned(r.x.into(), r.y.into(), r.width.into(), r.height.into(), data);
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
    // The screen-sized buffers the framebuffer gave back are not needed without a session.
    drop(fb);
    vnc::release_spare();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

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
