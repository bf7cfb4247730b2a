//! The console's key handling and state, without a window.

use super::*;

fn console_with_input() -> (Console, tokio::sync::mpsc::Receiver<Input>) {
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    let mut c = Console::new("web");
    let _ = c.update(Message::Vnc(vnc::Event::Connected(tx)));
    let _ = c.update(Message::Vnc(vnc::Event::Frame(vnc::Frame::blank(640, 480))));
    (c, rx)
}

fn drain(rx: &mut tokio::sync::mpsc::Receiver<Input>) -> Vec<Input> {
    let mut v = Vec::new();
    while let Ok(i) = rx.try_recv() {
        v.push(i);
    }
    v
}

fn key(c: &mut Console, k: Key, down: bool) -> Action {
    c.update(Message::Key {
        key: k,
        location: Location::Left,
        down,
    })
    .1
}

#[test]
fn keys_reach_the_guest_only_while_captured_and_ctrl_alt_toggles() {
    let (mut c, mut rx) = console_with_input();
    let a = Key::Character("a".into());
    key(&mut c, a.clone(), true);
    assert!(drain(&mut rx).is_empty(), "not captured yet");
    // Ctrl+Alt captures; the pair itself is not typed.
    key(&mut c, Key::Named(Named::Control), true);
    key(&mut c, Key::Named(Named::Alt), true);
    key(&mut c, Key::Named(Named::Alt), false);
    key(&mut c, Key::Named(Named::Control), false);
    assert!(c.grabbed);
    assert!(drain(&mut rx).is_empty());
    key(&mut c, a.clone(), true);
    key(&mut c, a.clone(), false);
    assert_eq!(
        drain(&mut rx),
        [Input::Key(0x61, true), Input::Key(0x61, false)]
    );
    // Ctrl+C reaches the guest, Ctrl first.
    key(&mut c, Key::Named(Named::Control), true);
    key(&mut c, Key::Character("c".into()), true);
    key(&mut c, Key::Character("c".into()), false);
    key(&mut c, Key::Named(Named::Control), false);
    assert_eq!(
        drain(&mut rx),
        [
            Input::Key(0xffe3, true),
            Input::Key(0x63, true),
            Input::Key(0x63, false),
            Input::Key(0xffe3, false)
        ]
    );
    // A key still down when Ctrl+Alt releases the keyboard is let go in the guest, and
    // (issue 15) the guest sees no stray Ctrl from the pair.
    key(&mut c, a.clone(), true);
    key(&mut c, Key::Named(Named::Control), true);
    key(&mut c, Key::Named(Named::Alt), true);
    assert!(!c.grabbed);
    assert_eq!(
        drain(&mut rx),
        [Input::Key(0x61, true), Input::Key(0x61, false)]
    );
    // F11 is fullscreen while the keyboard is not captured.
    key(&mut c, Key::Named(Named::Alt), false);
    key(&mut c, Key::Named(Named::Control), false);
    assert_eq!(
        key(&mut c, Key::Named(Named::F11), true),
        Action::Fullscreen(true)
    );
}

/// Issue 15: F11 is the window's even while the keyboard is captured (fullscreen always has a
/// way out), and Esc alone still reaches the guest.
#[test]
fn f11_toggles_fullscreen_while_captured_and_esc_reaches_the_guest() {
    let (mut c, mut rx) = console_with_input();
    let _ = c.update(Message::Grab(true));
    assert_eq!(
        key(&mut c, Key::Named(Named::F11), true),
        Action::Fullscreen(true)
    );
    key(&mut c, Key::Named(Named::F11), false);
    key(&mut c, Key::Named(Named::Escape), true);
    key(&mut c, Key::Named(Named::Escape), false);
    assert_eq!(
        drain(&mut rx),
        [Input::Key(0xff1b, true), Input::Key(0xff1b, false)],
        "the guest sees Esc, never F11"
    );
    assert!(c.fullscreen && c.grabbed);
    assert_eq!(
        key(&mut c, Key::Named(Named::F11), true),
        Action::Fullscreen(false)
    );
    assert!(drain(&mut rx).is_empty());
    // A held F11's repeats are not presses (they would flip fullscreen on and off).
    let repeat = iced::Event::Keyboard(iced::keyboard::Event::KeyPressed {
        key: Key::Named(Named::F11),
        modified_key: Key::Named(Named::F11),
        physical_key: iced::keyboard::key::Physical::Code(iced::keyboard::key::Code::F11),
        location: Location::Standard,
        modifiers: Default::default(),
        text: None,
        repeat: true,
    });
    assert!(keys(
        repeat,
        iced::event::Status::Ignored,
        iced::window::Id::unique()
    )
    .is_none());
}

#[test]
fn the_pointer_is_scaled_back_and_clicks_capture() {
    let (mut c, mut rx) = console_with_input();
    // Shown at half size: (100, 50) on screen is (200, 100) in the frame.
    let scale = fit_scale(640.0, 480.0, 320.0, 400.0);
    assert!((scale - 0.5).abs() < 1e-6);
    let _ = c.update(Message::Pointer(100.0 / scale, 50.0 / scale));
    let _ = c.update(Message::Button(1, true));
    let _ = c.update(Message::Button(1, false));
    let _ = c.update(Message::Wheel(false));
    let _ = c.update(Message::Pointer(9999.0, -5.0));
    assert_eq!(
        drain(&mut rx),
        [
            Input::Pointer(200, 100, 0),
            Input::Pointer(200, 100, 1),
            Input::Pointer(200, 100, 0),
            Input::Pointer(200, 100, 16),
            Input::Pointer(200, 100, 0),
            Input::Pointer(639, 0, 0),
        ]
    );
    assert!(c.grabbed, "a click captures the keyboard");
}

#[test]
fn scaled_tiles_meet_without_gaps() {
    let o = iced::Point::new(12.3, 40.6);
    for scale in [0.9375, 0.5, 1.0, 1.37] {
        let a = tile_bounds(o, scale, [0, 0, 128, 128]);
        let right = tile_bounds(o, scale, [128, 0, 128, 128]);
        let below = tile_bounds(o, scale, [0, 128, 128, 128]);
        assert_eq!(a.x + a.width, right.x, "scale {scale}");
        assert_eq!(a.y + a.height, below.y, "scale {scale}");
        assert_eq!(a.x.fract(), 0.0);
        // 8 tiles of 128 cover 1024 source pixels: the width is within a pixel of 1024 * scale.
        let last = tile_bounds(o, scale, [896, 0, 128, 128]);
        assert!((last.x + last.width - a.x - 1024.0 * scale).abs() <= 1.0);
    }
}

#[test]
fn send_key_presses_the_whole_combination() {
    let (mut c, mut rx) = console_with_input();
    let (label, keys) = send_keys().into_iter().nth(2).unwrap();
    assert_eq!(label, "Ctrl+Alt+F1");
    let _ = c.update(Message::SendKeys(keys));
    let got = drain(&mut rx);
    assert_eq!(got.len(), 6);
    assert_eq!(got[2], Input::Key(0xffbe, true));
    assert_eq!(got[5], Input::Key(0xffe3, false));
}
