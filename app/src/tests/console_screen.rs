//! The VM's screen (console).

use super::*;

/// "web" running with a display, its details open and the Screen clicked.
fn console_of_a_running_vm_with_a_display() -> Harness {
    let mut h = Harness::new(&[("web", "Web")]);
    let mut cfg = VmConfig::load(&h.paths.vm_config("web")).unwrap();
    cfg.display = Some(vmm_core::config::DisplayConfig::default());
    cfg.save(&h.paths.vm_config("web")).unwrap();
    h.fake.set_running("web", RunState::Running);
    h.poll();
    h.send(Message::Library(library::Message::Open("web".into())));
    h.ui(|ui| {
        ui.click("Screen").unwrap();
    });
    h
}

#[test]
fn the_screen_opens_for_vms_with_a_display_and_sends_input() {
    let mut h = console_of_a_running_vm_with_a_display();
    assert!(matches!(h.app.screen, Screen::Console(..)));
    assert!(h.shows("Connecting to the VM's screen…"));
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    h.send(Message::Console(console::Message::Vnc(
        crate::ui::vnc::Event::Connected(tx),
    )));
    h.send(Message::Console(console::Message::Vnc(
        crate::ui::vnc::Event::Frame(crate::ui::vnc::Frame::blank(64, 48)),
    )));
    assert!(!h.shows("Connecting to the VM's screen…"));
    h.ui(|ui| {
        ui.click("Send key").unwrap();
    });
    h.ui(|ui| {
        ui.click("Ctrl+Alt+Del").unwrap();
    });
    let mut got = Vec::new();
    while let Ok(i) = rx.try_recv() {
        got.push(i);
    }
    assert_eq!(got, crate::ui::vnc::combo(&[0xffe3, 0xffe9, 0xffff]));
    assert!(!h.shows("Screenshot"), "the less used actions are behind ⋯");
    h.ui(|ui| {
        ui.click("⋯").unwrap();
    });
    h.ui(|ui| {
        ui.click("Screenshot").unwrap();
    });
    let c = cmds(&h);
    let Some(Command::Screenshot(api::Screenshot { path })) = c.last() else {
        panic!("{c:?}");
    };
    assert!(path.starts_with('/') && path.ends_with(".png"), "{path}");
    assert!(path.contains("vmdesk-web-"), "{path}");
    assert!(h.shows(&format!("Screenshot saved: {path}")));
    // The subscription for the screen is keyed to this VMM and its socket.
    let _ = h.app.subscription();
    h.ui(|ui| {
        ui.click("‹ Details").unwrap();
    });
    assert!(matches!(h.app.screen, Screen::Details(_)));
}

/// Issue 15: fullscreen hides the toolbar; the pointer at the top edge brings a bar with a
/// visible way out ("Leave fullscreen" and its key), which goes again when the pointer leaves.
#[test]
fn fullscreen_has_a_bar_at_the_top_edge_to_leave_it() {
    let mut h = console_of_a_running_vm_with_a_display();
    h.send(Message::Console(console::Message::Vnc(
        crate::ui::vnc::Event::Frame(crate::ui::vnc::Frame::blank(640, 480)),
    )));
    // Fullscreen sits behind "⋯" (F11 is the quick way).
    h.ui(|ui| {
        ui.click("⋯").unwrap();
    });
    h.ui(|ui| {
        ui.click("Fullscreen").unwrap();
    });
    let fullscreen = |h: &Harness| match &h.app.screen {
        Screen::Console(c, _) => c.fullscreen,
        _ => panic!("not the console"),
    };
    assert!(fullscreen(&h));
    assert!(
        !h.shows("Fullscreen") && !h.shows("‹ Details"),
        "the toolbar and its bars are gone"
    );
    assert!(
        !h.shows("Leave fullscreen"),
        "hidden until the pointer comes"
    );
    let move_to = |h: &mut Harness, x: f32, y: f32| {
        h.ui(|ui| {
            ui.point_at(iced::Point::new(x, y));
            let _ = ui.simulate([iced::Event::Mouse(iced::mouse::Event::CursorMoved {
                position: iced::Point::new(x, y),
            })]);
        });
    };
    // In the middle of the guest's screen nothing comes.
    move_to(&mut h, 500.0, 300.0);
    assert!(!h.shows("Leave fullscreen"));
    move_to(&mut h, 500.0, 1.0);
    assert!(h.shows("Leave fullscreen") && h.shows("F11"));
    // Down into the guest's screen again: the bar goes.
    move_to(&mut h, 500.0, 300.0);
    assert!(!h.shows("Leave fullscreen"));
    move_to(&mut h, 500.0, 1.0);
    h.ui(|ui| {
        ui.click("Leave fullscreen").unwrap();
    });
    assert!(!fullscreen(&h));
    assert!(h.shows("‹ Details"), "the toolbar is back");
}

/// "web" as above, its display a virtio-gpu (or not), connected and showing 640×480.
fn console_following(virtio_gpu: bool) -> Harness {
    let mut h = Harness::new(&[("web", "Web")]);
    let mut cfg = VmConfig::load(&h.paths.vm_config("web")).unwrap();
    let mut display = vmm_core::config::DisplayConfig::default();
    if virtio_gpu {
        display.kind = vmm_core::config::DisplayKind::VirtioGpu;
    }
    cfg.display = Some(display);
    cfg.save(&h.paths.vm_config("web")).unwrap();
    h.fake.set_running("web", RunState::Running);
    h.poll();
    h.send(Message::Library(library::Message::Open("web".into())));
    h.ui(|ui| {
        ui.click("Screen").unwrap();
    });
    let (tx, _rx) = tokio::sync::mpsc::channel(64);
    for e in [
        crate::ui::vnc::Event::Connected(tx),
        crate::ui::vnc::Event::Frame(crate::ui::vnc::Frame::blank(640, 480)),
    ] {
        h.send(Message::Console(console::Message::Vnc(e)));
    }
    h
}

/// Lays the view out and redraws it once (the console area reports its size), then lets the
/// debounce run out: what the console asked the VMM for.
fn settle_sizes(h: &mut Harness) -> Vec<(u32, u32)> {
    h.ui(|ui| {
        let now = iced::time::Instant::now();
        let _ = ui.simulate([iced::Event::Window(iced::window::Event::RedrawRequested(
            now,
        ))]);
    });
    let later = iced::time::Instant::now() + console::follow::DEBOUNCE;
    let tick = console::follow::Message::Tick(later);
    h.send(Message::Console(console::Message::Follow(tick)));
    cmds(h)
        .into_iter()
        .filter_map(|c| match c {
            Command::SetDisplaySize(s) => Some((s.width, s.height)),
            _ => None,
        })
        .collect()
}

/// Issue 18: a virtio-gpu guest is asked for the console area's size (once), the choice is a
/// toggle behind "⋯" saved per VM, and a display that cannot change size is never asked.
#[test]
fn resize_guest_with_window_asks_for_the_area_and_is_saved_per_vm() {
    let mut h = console_following(true);
    let asked = settle_sizes(&mut h);
    assert_eq!(asked.len(), 1, "{asked:?}");
    let (w, h_px) = asked[0];
    // The whole width of the 1280×800 window; its height less the toolbar and status bar.
    assert_eq!(w, 1280);
    assert!((600..800).contains(&h_px), "{h_px}");
    assert_eq!(
        settle_sizes(&mut h).len(),
        1,
        "the same size is not asked twice"
    );
    // Off (a toggler's label is no text the simulator finds: its message, as a click sends
    // it): saved for this VM, and nothing more is asked.
    let off = console::follow::Message::Toggle(false);
    h.send(Message::Console(console::Message::Follow(off)));
    let saved = crate::data::settings::Settings::load(&h.paths.settings_file());
    assert_eq!(saved.fixed_size, ["web"]);
    assert_eq!(settle_sizes(&mut h).len(), 1);
    // Restored when the console opens again.
    h.ui(|ui| {
        ui.click("‹ Details").unwrap();
    });
    h.ui(|ui| {
        ui.click("Screen").unwrap();
    });
    let Screen::Console(c, _) = &h.app.screen else {
        panic!("not the console")
    };
    assert!(!c.follow.on && c.follow.supported);

    // The framebuffer cannot change size: never asked, the toggle is off.
    let mut h = console_following(false);
    assert!(settle_sizes(&mut h).is_empty());
    let Screen::Console(c, _) = &h.app.screen else {
        panic!("not the console")
    };
    assert!(!c.follow.supported);
}
