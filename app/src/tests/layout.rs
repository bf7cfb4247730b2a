//! Layouts at the smallest window (800×600) and a large one, in every language: each screen's
//! actions are on one line, inside the window, and overlap nothing else named; and the
//! notices (toasts) neither move the screen nor cover the guest's screen.

use super::*;
use crate::ui::app::INFO_SECS;
use iced::{Rectangle, Size};
use iced_test::selector::Candidate;

const SMALL: Size = Size::new(800.0, 600.0);
const LARGE: Size = Size::new(1920.0, 1080.0);
const LANGS: [&str; 4] = ["en", "de", "es", "fr"];

/// Every text that reads `label`, with its layout and visible bounds.
fn texts(ui: &mut iced_test::Simulator<'_, Message>, label: &str) -> Vec<(Rectangle, Rectangle)> {
    let want = label.to_string();
    let found = Arc::new(std::sync::Mutex::new(Vec::new()));
    let out = found.clone();
    // Never "finds" one, so the search visits every text; the matches are collected aside.
    let _ = ui.find(move |c: Candidate<'_>| -> Option<()> {
        if let Candidate::Text {
            content,
            bounds,
            visible_bounds,
            ..
        } = c
        {
            if content == want {
                out.lock()
                    .unwrap()
                    .push((bounds, visible_bounds.unwrap_or_default()));
            }
        }
        None
    });
    let v = found.lock().unwrap().clone();
    v
}

/// How wide `label` is on one line at `px` (regular weight: bold is wider).
fn natural_width(label: &str, px: f32) -> f32 {
    let el: iced::Element<'_, Message> = iced::widget::text(label.to_string()).size(px).into();
    let mut ui = iced_test::Simulator::with_size(Default::default(), Size::new(4000.0, 200.0), el);
    texts(&mut ui, label)[0].0.width
}

/// Draws the app at `size` and checks that each of `labels` shows once or more, each time on
/// one line (no wrapped button labels), wholly inside the window (not cut off), and overlapping
/// none of the others (not drawn over a neighbour). `what` names the screen in failures.
pub(super) fn assert_reachable(app: &App, size: Size, labels: &[String], what: &str) {
    let mut ui = iced_test::Simulator::with_size(Default::default(), size, app.view());
    let window = Rectangle::with_size(size);
    save_png(&mut ui, size, what);
    let mut seen: Vec<(String, Rectangle)> = Vec::new();
    for label in labels {
        let found = texts(&mut ui, label);
        assert!(
            !found.is_empty(),
            "{what} at {size:?}: {label:?} is not shown"
        );
        // The first is the one that counts: a header's, before a body's heading of that name.
        if let Some(&(bounds, visible)) = found.first() {
            // A line of text at the sizes used (12–17 px) is under 24 px high; two are over 30.
            assert!(
                bounds.height < 26.0,
                "{what} at {size:?}: {label:?} wraps ({bounds:?})"
            );
            // A label squeezed narrower than its text overflows onto its neighbours.
            let natural = natural_width(label, (bounds.height / 1.3).round());
            assert!(
                bounds.width >= natural * 0.9,
                "{what} at {size:?}: {label:?} is squeezed to {} of {natural} px",
                bounds.width
            );
            let inside = bounds.x >= -0.5
                && bounds.y >= -0.5
                && bounds.x + bounds.width <= window.width + 0.5
                && bounds.y + bounds.height <= window.height + 0.5;
            assert!(
                inside && (visible.width - bounds.width).abs() < 0.5,
                "{what} at {size:?}: {label:?} is cut off ({bounds:?}, visible {visible:?})"
            );
            for (other, b) in &seen {
                if other != label {
                    assert!(
                        b.intersection(&bounds)
                            .is_none_or(|i| i.width < 0.5 || i.height < 0.5),
                        "{what} at {size:?}: {label:?} {bounds:?} overlaps {other:?} {b:?}"
                    );
                }
            }
            seen.push((label.clone(), bounds));
        }
    }
}

/// Runs `check` in each language, at both sizes.
pub(super) fn each(check: impl Fn(Size)) {
    for lang in LANGS {
        crate::i18n::with_language(lang, || {
            LANG.set(lang);
            for size in [SMALL, LARGE] {
                check(size);
            }
        });
    }
}

thread_local! {
    static LANG: std::cell::Cell<&'static str> = const { std::cell::Cell::new("en") };
}

/// With VMDESK_LAYOUT_PNG=DIR, what was checked is also drawn to DIR (to look at).
fn save_png(ui: &mut iced_test::Simulator<'_, Message>, size: Size, what: &str) {
    let Some(dir) = std::env::var_os("VMDESK_LAYOUT_PNG") else {
        return;
    };
    let name = format!("{what}-{}-{}", LANG.get(), size.width).replace([' ', '(', ')'], "");
    let path = std::path::Path::new(&dir).join(name);
    let _ = std::fs::remove_file(path.with_extension("png"));
    let shot = ui.snapshot(&crate::ui::style::theme()).unwrap();
    shot.matches_image(&path).unwrap();
}

pub(super) fn keys(keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| crate::i18n::loader().get(k)).collect()
}

/// A VM with a display, running, with its details open.
fn running_details() -> Harness {
    let mut h = Harness::new(&[("web", "Web server")]);
    let mut cfg = VmConfig::load(&h.paths.vm_config("web")).unwrap();
    cfg.display = Some(vmm_core::config::DisplayConfig::default());
    cfg.save(&h.paths.vm_config("web")).unwrap();
    h.fake.set_running("web", RunState::Running);
    h.poll();
    h.send(Message::Library(library::Message::Open("web".into())));
    h
}

#[test]
fn the_library_card_fits_with_its_state_badge() {
    let mut h = Harness::new(&[("web", "Web server"), ("db", "Database")]);
    h.fake.set_running("web", RunState::Running);
    h.poll();
    each(|size| {
        let mut labels = keys(&[
            "library-new",
            "library-title",
            "state-running",
            "button-pause",
            "button-power-off",
            "button-restart",
            "button-force-off",
            "button-start",
            "button-clone",
            "button-delete",
            "button-details",
        ]);
        labels.push("Web server".into());
        labels.push("Database".into());
        assert_reachable(&h.app, size, &labels, "library");
    });
}

#[test]
fn the_details_header_fits_running_and_stopped() {
    let mut h = running_details();
    h.send(Message::Details(details::Message::More));
    let header = [
        "details-back",
        "state-running",
        "button-screen",
        "button-pause",
        "button-power-off",
        "button-restart",
        "button-force-off",
    ];
    each(|size| {
        let mut labels = keys(&header);
        labels.extend(["Web server".to_string(), "⋯".to_string()]);
        assert_reachable(&h.app, size, &labels, "details (running)")
    });
    h.fake.vanish("web");
    h.poll();
    each(|size| {
        assert_reachable(
            &h.app,
            size,
            &keys(&["details-back", "button-start", "state-stopped"]),
            "details (stopped)",
        )
    });
}

#[test]
fn the_console_header_and_send_key_bar_fit() {
    let mut h = running_details();
    h.send(Message::Details(details::Message::OpenScreen));
    assert!(matches!(h.app.screen, Screen::Console(..)));
    let (tx, _rx) = tokio::sync::mpsc::channel(64);
    h.send(Message::Console(console::Message::Vnc(
        crate::ui::vnc::Event::Connected(tx),
    )));
    h.send(Message::Console(console::Message::Vnc(
        crate::ui::vnc::Event::Frame(crate::ui::vnc::Frame::blank(1024, 768)),
    )));
    h.send(Message::Console(console::Message::Menu));
    h.send(Message::Console(console::Message::More));
    each(|size| {
        let mut labels = keys(&[
            "screen-back",
            "screen-capture",
            "screen-send-key",
            "screen-fullscreen",
            "state-running",
            "screen-actual-size",
            "screen-screenshot",
        ]);
        labels.extend(["⋯", "Ctrl+Alt+Del", "Ctrl+Alt+Backspace", "Ctrl+Alt+"].map(String::from));
        labels.extend((1..=12).map(|n| format!("F{n}")));
        assert_reachable(&h.app, size, &labels, "console");
    });
}

/// The bounds of the first text reading `label` in the app drawn at `size`.
fn bounds_of(app: &App, size: Size, label: &str) -> Option<Rectangle> {
    let mut ui = iced_test::Simulator::with_size(Default::default(), size, app.view());
    texts(&mut ui, label).first().map(|t| t.0)
}

#[test]
fn an_information_toast_goes_after_five_seconds_an_error_stays() {
    let mut h = Harness::new(&[("web", "Web")]);
    h.app.notice("Saved.".into(), false, None);
    h.app.notice("It broke.".into(), true, None);
    for _ in 0..4 {
        h.poll();
    }
    assert!(h.shows("Saved.") && h.shows("It broke."));
    h.poll();
    assert!(!h.shows("Saved."), "an information toast goes by itself");
    for _ in 0..10 {
        h.poll();
    }
    assert!(h.shows("It broke."), "an error stays until dismissed");
    h.ui(|ui| {
        ui.click("Dismiss").unwrap();
    });
    assert!(!h.shows("It broke."));
}

#[test]
fn toasts_move_nothing_and_at_most_three_show() {
    let mut h = Harness::new(&[("web", "Web"), ("db", "DB")]);
    for size in [SMALL, LARGE] {
        let before: Vec<_> = ["New VM", "Start", "Details", "DB"]
            .map(|l| bounds_of(&h.app, size, l))
            .to_vec();
        for n in 0..4 {
            h.app.notice(format!("Notice {n}"), n == 0, None);
        }
        let after: Vec<_> = ["New VM", "Start", "Details", "DB"]
            .map(|l| bounds_of(&h.app, size, l))
            .to_vec();
        assert_eq!(before, after, "toasts moved the screen at {size:?}");
        for n in 0..3 {
            let b = bounds_of(&h.app, size, &format!("Notice {n}")).unwrap();
            assert!(b.y + b.height <= size.height, "{b:?}");
        }
        assert!(!h.shows("Notice 3"), "the fourth waits its turn");
        // The information ones go; the waiting one shows then; the error stays.
        for _ in 0..INFO_SECS * 2 {
            h.poll();
        }
        assert!(h.shows("Notice 0") && !h.shows("Notice 2") && !h.shows("Notice 3"));
        h.ui(|ui| {
            ui.click("Dismiss").unwrap();
        });
        assert!(h.app.notices.is_empty());
    }
}

#[test]
fn toasts_on_the_console_sit_on_its_status_bar_and_wait_in_fullscreen() {
    let mut h = running_details();
    h.send(Message::Details(details::Message::OpenScreen));
    let (tx, _rx) = tokio::sync::mpsc::channel(64);
    h.send(Message::Console(console::Message::Vnc(
        crate::ui::vnc::Event::Connected(tx),
    )));
    h.send(Message::Console(console::Message::Vnc(
        crate::ui::vnc::Event::Frame(crate::ui::vnc::Frame::blank(1024, 768)),
    )));
    h.app
        .notice("Screenshot saved: /tmp/x.png".into(), false, None);
    for size in [SMALL, LARGE] {
        let b = bounds_of(&h.app, size, "Screenshot saved: /tmp/x.png").unwrap();
        assert!(
            b.y >= size.height - console::STATUS_BAR && b.y + b.height <= size.height,
            "the toast {b:?} is off the status bar at {size:?}"
        );
    }
    // (As Fullscreen does; its window task needs a real window.)
    let fullscreen = |h: &mut Harness, on: bool| {
        if let Screen::Console(c, _) = &mut h.app.screen {
            c.fullscreen = on;
        }
    };
    fullscreen(&mut h, true);
    assert!(!h.shows("Screenshot saved: /tmp/x.png"));
    for _ in 0..INFO_SECS * 2 {
        h.poll();
    }
    fullscreen(&mut h, false);
    assert!(
        h.shows("Screenshot saved: /tmp/x.png"),
        "it waited while the guest had the whole screen"
    );
}

#[test]
fn the_wizard_header_fits_on_both_pages() {
    let mut h = Harness::new(&[]);
    h.send(Message::Shortcut(Shortcut::New));
    let labels = ["button-cancel", "wizard-title", "wizard-create"];
    each(|size| assert_reachable(&h.app, size, &keys(&labels), "wizard (install)"));
    h.send(Message::Wizard(crate::ui::screen::wizard::Message::Kind(
        crate::ui::screen::wizard::Kind::Linux,
    )));
    each(|size| assert_reachable(&h.app, size, &keys(&labels), "wizard (kernel)"));
}
