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
