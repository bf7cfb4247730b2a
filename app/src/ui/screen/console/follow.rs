//! "Resize guest with window": the console asks the guest's display for the size of the
//! console area, in physical pixels, once the area has stopped changing for [`DEBOUNCE`].
//!
//! Only a display that can be told a size (`display.kind = "virtio-gpu"` in the VM's config)
//! is asked; a VMM that refuses (`failed`) turns the asking off for this console, and a guest
//! whose driver never switches mode simply keeps its size: the screen is then scaled, as it is
//! with the choice off, and nothing is asked again until the area changes. The logic is pure
//! (sizes in, a request or none out) so it is tested without a window or a VM.

use super::{Action, Console, Link};
use crate::t;
use crate::ui::style;
use iced::widget::{container, text, toggler, tooltip};
use iced::Element;
use std::time::{Duration, Instant};
use vmm_core::config::validate::{DISPLAY_HEIGHT, DISPLAY_WIDTH};

/// How long the area must stay the same size before the guest is asked: dragging a window
/// edge sends no storm of requests, only the size where it stopped.
pub const DEBOUNCE: Duration = Duration::from_millis(300);

/// While a round is pending, the console looks this often whether it has settled (so a
/// request goes 300 to 400 ms after the last change; each tick is an update of the UI, so not
/// more often).
pub const TICK: Duration = Duration::from_millis(100);

/// What the console asks of the app.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// Ask VM `id`'s display for `width`×`height` (API `set-display-size`).
    Size { id: String, width: u32, height: u32 },
    /// Save the user's choice for VM `id`.
    Save { id: String, on: bool },
}

/// The console's state for following the window.
#[derive(Debug, Clone)]
pub struct Follow {
    /// The user's choice (saved per VM).
    pub on: bool,
    /// The display can be told a size: virtio-gpu in the VM's config, and the VMM has not
    /// refused.
    pub supported: bool,
    /// The console area as last laid out, in logical pixels.
    area: Option<(f32, f32)>,
    /// The window's scale factor (HiDPI), as the window system reports it.
    pub hidpi: f32,
    /// The app's own UI scale (projector mode).
    pub ui_scale: f32,
    /// When the area (or anything else the request depends on) last changed, while a request
    /// may be due: the debounce.
    changed_at: Option<Instant>,
    /// The size last asked for (not asked again).
    sent: Option<(u32, u32)>,
    /// No frame came since (re)connecting: the first one starts a round (the guest's size is
    /// known then).
    awaiting_frame: bool,
}

impl Follow {
    pub fn new(supported: bool, on: bool) -> Follow {
        Follow {
            on,
            supported,
            area: None,
            hidpi: 1.0,
            ui_scale: 1.0,
            changed_at: None,
            sent: None,
            awaiting_frame: true,
        }
    }

    /// Following now: chosen and possible.
    pub fn active(&self) -> bool {
        self.on && self.supported
    }

    /// A change waits for the debounce (the console ticks while it does).
    pub fn pending(&self) -> bool {
        self.changed_at.is_some()
    }

    /// Logical to physical pixels.
    pub fn scale(&self) -> f32 {
        let s = self.hidpi * self.ui_scale;
        if s.is_finite() && s > 0.0 {
            s
        } else {
            1.0
        }
    }

    /// The console area changed (logical pixels) at `now`.
    pub fn area_changed(&mut self, width: f32, height: f32, now: Instant) {
        if self.area != Some((width, height)) {
            self.area = Some((width, height));
            self.touch(now);
        }
    }

    /// Something else that changes the request (scale, a first frame, the choice) at `now`:
    /// the debounce starts again, if following.
    pub fn touch(&mut self, now: Instant) {
        self.changed_at = self.active().then_some(now);
    }

    /// A tick at `now`: the size to ask for, once nothing changed for [`DEBOUNCE`] (and it is
    /// remembered as asked). `current` is the guest's screen size now (None: no screen yet).
    pub fn settle(&mut self, now: Instant, current: Option<(u32, u32)>) -> Option<(u32, u32)> {
        let at = self.changed_at?;
        if !self.active() {
            self.changed_at = None;
            return None;
        }
        if now.saturating_duration_since(at) < DEBOUNCE {
            return None;
        }
        self.changed_at = None;
        let (w, h) = self.area?;
        let want = request(w, h, self.scale(), current?, self.sent)?;
        self.sent = Some(want);
        Some(want)
    }

    /// A new connection (the VMM started again): its display starts at its configured size,
    /// so what was asked before counts no more.
    pub fn reconnected(&mut self) {
        self.sent = None;
        self.awaiting_frame = true;
    }

    /// A frame came at `now`: the first since (re)connecting starts a round.
    pub fn frame_arrived(&mut self, now: Instant) {
        if std::mem::take(&mut self.awaiting_frame) {
            self.touch(now);
        }
    }

    /// The VMM's answer to a request: a refusal means this display cannot follow.
    pub fn answered(&mut self, refused: bool) {
        if refused {
            self.supported = false;
            self.changed_at = None;
        }
    }

    /// Whether the screen shows 1:1: following, and the guest's screen is the size of the area.
    pub fn one_to_one(&self, frame: (u32, u32)) -> bool {
        let Some((w, h)) = self.area else {
            return false;
        };
        self.active() && clamp(physical(w, h, self.scale())) == frame
    }
}

/// A logical size in physical pixels (whole pixels that fit: rounded down, with a little slack
/// for float error).
pub fn physical(width: f32, height: f32, scale: f32) -> (u32, u32) {
    let px = |v: f32| {
        let p = (v * scale + 0.01).floor();
        if p.is_finite() && p > 0.0 {
            p as u32
        } else {
            0
        }
    };
    (px(width), px(height))
}

/// Within the sizes the VMM accepts (`display.width`, `display.height`).
pub fn clamp((w, h): (u32, u32)) -> (u32, u32) {
    (
        w.clamp(*DISPLAY_WIDTH.start(), *DISPLAY_WIDTH.end()),
        h.clamp(*DISPLAY_HEIGHT.start(), *DISPLAY_HEIGHT.end()),
    )
}

/// The size to ask for, for a console area of `width`×`height` logical pixels at `scale`
/// physical pixels each, while the guest shows `current` and `sent` was asked last; none when
/// the guest already has it or was already asked for it.
pub fn request(
    width: f32,
    height: f32,
    scale: f32,
    current: (u32, u32),
    sent: Option<(u32, u32)>,
) -> Option<(u32, u32)> {
    let want = clamp(physical(width, height, scale));
    (want != current && Some(want) != sent).then_some(want)
}

/// The console's messages for following the window.
#[derive(Debug, Clone)]
pub enum Message {
    /// The console area was laid out at this size (logical pixels).
    Area(f32, f32),
    /// The debounce's clock, while a change is pending.
    Tick(Instant),
    /// The window's scale factor (HiDPI).
    Scale(f32),
    /// The user's choice.
    Toggle(bool),
    /// The VMM answered a request; `refused`: this display cannot change size.
    Answered { refused: bool },
}

impl Console {
    pub(super) fn follow_update(&mut self, m: Message) -> Action {
        let now = Instant::now();
        match m {
            Message::Area(w, h) => self.follow.area_changed(w, h, now),
            Message::Scale(s) => {
                if s != self.follow.hidpi {
                    self.follow.hidpi = s;
                    self.follow.touch(now);
                }
            }
            Message::Tick(now) => {
                let current = self.frame.as_ref().map(|f| (f.width, f.height));
                let connected = self.link == Link::Connected;
                if let Some((width, height)) =
                    self.follow.settle(now, current.filter(|_| connected))
                {
                    return Action::Follow(Request::Size {
                        id: self.id.clone(),
                        width,
                        height,
                    });
                }
            }
            Message::Toggle(on) => {
                self.follow.on = on;
                // Asked again when turned back on (the guest may have changed meanwhile).
                self.follow.reconnected();
                self.follow.touch(now);
                return Action::Follow(Request::Save {
                    id: self.id.clone(),
                    on,
                });
            }
            Message::Answered { refused } => self.follow.answered(refused),
        }
        Action::None
    }

    /// The debounce's clock while a change is pending (nothing otherwise).
    pub(super) fn follow_ticks(&self) -> Option<iced::Subscription<super::Message>> {
        self.follow
            .pending()
            .then(|| iced::time::every(TICK).map(|t| super::Message::Follow(Message::Tick(t))))
    }

    /// The toggle in the "⋯" bar: disabled, with the reason, where the display cannot follow.
    pub(super) fn follow_toggle(&self) -> Element<'_, super::Message> {
        let t = toggler(self.follow.on && self.follow.supported)
            .label(t!("screen-follow-window"))
            .size(16)
            .text_size(13)
            .on_toggle_maybe(
                self.follow
                    .supported
                    .then_some(|on| super::Message::Follow(Message::Toggle(on))),
            );
        let tip = if self.follow.supported {
            t!("screen-follow-window-tip")
        } else {
            t!("screen-follow-window-unsupported")
        };
        tooltip(
            t,
            container(text(tip).size(13))
                .padding([4, 8])
                .max_width(360)
                .style(style::card),
            tooltip::Position::Bottom,
        )
        .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_is_the_area_in_physical_pixels_clamped_and_never_repeated() {
        // 1:1 at scale 1; HiDPI doubles; fractional areas round down.
        assert_eq!(
            request(1280.0, 689.0, 1.0, (640, 480), None),
            Some((1280, 689))
        );
        assert_eq!(
            request(640.0, 344.5, 2.0, (640, 480), None),
            Some((1280, 689))
        );
        assert_eq!(
            request(853.4, 459.9, 1.5, (640, 480), None),
            Some((1280, 689))
        );
        // Already that size, or already asked: nothing.
        assert_eq!(request(1280.0, 689.0, 1.0, (1280, 689), None), None);
        assert_eq!(
            request(1280.0, 689.0, 1.0, (640, 480), Some((1280, 689))),
            None
        );
        // Within the VMM's limits (64..=7680 × 64..=4320).
        assert_eq!(request(20.0, 10.0, 1.0, (640, 480), None), Some((64, 64)));
        assert_eq!(
            request(5000.0, 3000.0, 2.0, (640, 480), None),
            Some((7680, 4320))
        );
        assert_eq!(physical(f32::NAN, -3.0, 1.0), (0, 0));
    }

    fn ms(t0: Instant, n: u64) -> Instant {
        t0 + Duration::from_millis(n)
    }

    #[test]
    fn only_the_size_where_a_drag_stopped_is_asked_and_only_once() {
        let mut f = Follow::new(true, true);
        let t0 = Instant::now();
        let current = Some((640, 480));
        // A drag: a new size every 16 ms for a second; ticks in between ask nothing.
        for i in 0..60u64 {
            f.area_changed(800.0 + i as f32 * 10.0, 600.0, ms(t0, i * 16));
            assert_eq!(f.settle(ms(t0, i * 16 + 8), current), None);
        }
        let last = ms(t0, 59 * 16);
        assert!(f.pending());
        assert_eq!(
            f.settle(last + DEBOUNCE - Duration::from_millis(1), current),
            None
        );
        assert_eq!(f.settle(last + DEBOUNCE, current), Some((1390, 600)));
        assert!(!f.pending(), "settled: no more ticks");
        // The same size laid out again is no change.
        f.area_changed(1390.0, 600.0, ms(t0, 5000));
        assert!(!f.pending());
        // A guest that does not follow keeps 640×480: another round for the same area asks
        // nothing again (no storm), a new area does.
        f.touch(ms(t0, 6000));
        assert_eq!(f.settle(ms(t0, 7000), current), None);
        f.area_changed(1000.0, 700.0, ms(t0, 8000));
        assert_eq!(f.settle(ms(t0, 9000), current), Some((1000, 700)));
        // After a reconnection (the VM started again at its configured size) the same size
        // is asked again, once the first frame came.
        f.reconnected();
        assert!(!f.pending());
        f.frame_arrived(ms(t0, 10000));
        // Later frames start no round (else the debounce would never run out).
        f.frame_arrived(ms(t0, 10100));
        assert_eq!(f.settle(ms(t0, 10300), current), Some((1000, 700)));
        // No screen yet: nothing to compare with, nothing asked.
        f.area_changed(1100.0, 700.0, ms(t0, 12000));
        assert_eq!(f.settle(ms(t0, 13000), None), None);
    }

    #[test]
    fn off_unsupported_or_refused_never_asks_and_shows_scaled() {
        let t0 = Instant::now();
        let mut off = Follow::new(true, false);
        off.area_changed(800.0, 600.0, t0);
        assert!(!off.pending());
        assert!(!off.one_to_one((800, 600)));
        let mut fb = Follow::new(false, true);
        fb.area_changed(800.0, 600.0, t0);
        assert!(!fb.pending());
        let mut f = Follow::new(true, true);
        f.area_changed(800.0, 600.0, t0);
        assert_eq!(f.settle(ms(t0, 300), Some((640, 480))), Some((800, 600)));
        assert!(f.one_to_one((800, 600)) && !f.one_to_one((640, 480)));
        f.answered(true);
        assert!(!f.active());
        f.area_changed(900.0, 600.0, ms(t0, 400));
        assert!(!f.pending());
        assert!(!f.one_to_one((800, 600)));
    }

    #[test]
    fn hidpi_and_the_ui_scale_multiply() {
        let mut f = Follow::new(true, true);
        f.hidpi = 2.0;
        f.ui_scale = 1.25;
        let t0 = Instant::now();
        f.area_changed(512.0, 300.0, t0);
        assert_eq!(f.settle(ms(t0, 300), Some((640, 480))), Some((1280, 750)));
        assert!(f.one_to_one((1280, 750)));
        f.hidpi = f32::NAN;
        assert_eq!(f.scale(), 1.0);
    }
}
