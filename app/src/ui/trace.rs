//! `VMDESK_TRACE_FRAMES=<file>`: the app appends one line per event worth timing, for the
//! benchmark (`tests/app-bench.sh`) and the end-to-end test:
//!
//! - `frame <ns> <seq>`: the window redrew and presented a frame; `<ns>` is the wall-clock time
//!   (`CLOCK_REALTIME`, comparable with `date +%s%N` in a script) at which iced started that
//!   redraw. iced draws and presents right after it on the same thread, so the first line is
//!   the first frame on screen, minus the time to rasterize and present it.
//!   A third field is the guest frame the console showed (0: none; the same number again: the
//!   redraw did not show a new guest frame).
//! - `vnc-update <ns> 0`: the console received a whole screen update from the guest.
//!
//! Off (one relaxed load per event) unless the variable is set.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// The guest frame (its [`crate::ui::vnc::Frame::seq`]) the console shows now.
static SHOWING: AtomicU64 = AtomicU64::new(0);

/// The console took frame `seq`: the next redraw presents it.
pub fn showing(seq: u64) {
    SHOWING.store(seq, Ordering::Relaxed);
}

static FILE: OnceLock<Option<Mutex<std::fs::File>>> = OnceLock::new();

fn file() -> Option<&'static Mutex<std::fs::File>> {
    FILE.get_or_init(|| {
        let path = std::env::var_os("VMDESK_TRACE_FRAMES").filter(|p| !p.is_empty())?;
        match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
        {
            Ok(f) => Some(Mutex::new(f)),
            Err(e) => {
                eprintln!(
                    "vmdesk: VMDESK_TRACE_FRAMES={}: {e}",
                    path.to_string_lossy()
                );
                None
            }
        }
    })
    .as_ref()
}

pub fn enabled() -> bool {
    file().is_some()
}

/// Logs `kind` at `at` (an [`Instant`] in the past, or now).
pub fn log(kind: &str, at: Instant) {
    log_with(kind, at, 0);
}

fn log_with(kind: &str, at: Instant, seq: u64) {
    let Some(f) = file() else { return };
    let ago = at.elapsed();
    let ns = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .saturating_sub(ago)
        .as_nanos();
    // One unbuffered write per line: the benchmark reads the file while the app runs, and a
    // killed app loses nothing.
    if let Ok(mut f) = f.lock() {
        let _ = f.write_all(format!("{kind} {ns} {seq}\n").as_bytes());
    }
}

/// Logs every redraw. A raw listener sees `RedrawRequested`, which iced broadcasts once per
/// redraw, just before it presents; it produces no message, so tracing causes no redraws.
pub fn frames<M: Send + 'static>() -> iced::Subscription<M> {
    fn on_event<M>(e: iced::Event, _: iced::event::Status, _: iced::window::Id) -> Option<M> {
        if let iced::Event::Window(iced::window::Event::RedrawRequested(at)) = e {
            log_with("frame", at, SHOWING.load(Ordering::Relaxed));
        }
        None
    }
    iced::event::listen_raw(on_event::<M>)
}
