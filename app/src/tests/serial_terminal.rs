//! The serial console as a terminal: escape sequences drawn as a screen, keys sent as a
//! terminal sends them, copy and paste.

use super::*;
use crate::ui::widget::terminal::{self, Terminal};
use iced::keyboard::{key::Named, Key, Modifiers};

/// A running VM's details, on the serial console tab.
fn running() -> Harness {
    let mut h = Harness::new(&[("web", "Web")]);
    h.ui(|ui| {
        ui.click("Details").unwrap();
    });
    h.ui(|ui| {
        ui.click("Start").unwrap();
    });
    h
}

fn guest(h: &mut Harness, bytes: &[u8]) {
    h.send(Message::Guest(
        "web".into(),
        api::Event::Serial {
            data: crate::data::client::encode_serial(bytes),
        },
    ));
}

fn term(h: &Harness) -> &Terminal {
    match &h.app.screen {
        Screen::Details(d) => &d.serial.term,
        _ => panic!("not on the details"),
    }
}

fn press(key: Key, modifiers: Modifiers, text: Option<&str>) -> iced::Event {
    iced::Event::Keyboard(iced::keyboard::Event::KeyPressed {
        modified_key: key.clone(),
        key,
        physical_key: iced::keyboard::key::Physical::Unidentified(
            iced::keyboard::key::NativeCode::Unidentified,
        ),
        location: iced::keyboard::Location::Standard,
        modifiers,
        repeat: false,
        text: text.map(Into::into),
    })
}

fn chr(c: &str) -> Key {
    Key::Character(c.into())
}

/// The bytes of each serial-input request sent, in order.
fn typed(h: &Harness) -> Vec<Vec<u8>> {
    cmds(h)
        .into_iter()
        .filter_map(|c| match c {
            Command::SerialInput(r) => Some(crate::data::client::decode_serial(&r.data)),
            _ => None,
        })
        .collect()
}

/// What was typed after the first `n` requests.
fn typed_after(h: &Harness, n: usize) -> Vec<Vec<u8>> {
    typed(h).split_off(n)
}

fn click_terminal(h: &mut Harness) {
    h.ui(|ui| {
        ui.click(iced::widget::Id::new(details::serial::TERMINAL_ID))
            .unwrap();
    });
}

#[test]
fn grub_output_is_a_screen_without_escape_sequences_with_colours_in_its_cells() {
    let mut h = running();
    // What GRUB writes to COM1: clear, cursor addressing, black on white, inverse.
    guest(
        &mut h,
        b"\x1b[2J\x1b[01;01H\x1b[0;30;47mWelcome to GRUB!\x1b[0m\x1b[03;05H\x1b[7m*Debian GNU/Linux\x1b[m",
    );
    // Split inside an escape sequence, as serial chunks are.
    guest(&mut h, b"\x1b[05;01H\x1b[1;3");
    guest(&mut h, b"1mbold red\x1b[0m\x1b[07;01H");
    assert_eq!(
        serial_text(&h),
        "Welcome to GRUB!\n\n    *Debian GNU/Linux\n\nbold red\n"
    );
    let screen = term(&h).screen();
    let cell = |r, c| screen.cell(r, c).unwrap();
    assert_eq!(cell(0, 0).contents(), "W");
    assert_eq!(cell(0, 0).fgcolor(), vt100::Color::Idx(0));
    assert_eq!(cell(0, 0).bgcolor(), vt100::Color::Idx(7));
    assert_eq!(cell(2, 4).contents(), "*");
    assert!(cell(2, 4).inverse() && !cell(0, 0).inverse());
    assert!(cell(4, 0).bold());
    assert_eq!(cell(4, 0).fgcolor(), vt100::Color::Idx(1));
    assert_eq!(screen.cursor_position(), (6, 0));
    // Bold brightens a palette colour, as in xterm; 256 colours and RGB map as they say.
    assert_eq!(
        terminal::rgb(vt100::Color::Idx(196), iced::Color::BLACK),
        iced::Color::from_rgb8(255, 0, 0)
    );
    assert_eq!(
        terminal::rgb(vt100::Color::Rgb(1, 2, 3), iced::Color::BLACK),
        iced::Color::from_rgb8(1, 2, 3)
    );
    // The view draws it (the canvas paints every cell kind without a panic).
    let mut ui = simulator(h.app.view());
    ui.snapshot(&crate::ui::style::theme()).unwrap();
}

#[test]
fn keys_typed_in_the_focused_terminal_reach_the_guest_as_a_terminal_sends_them() {
    let mut h = running();
    h.ui(|ui| {
        ui.typewrite("x");
    });
    assert!(typed(&h).is_empty(), "the terminal has no focus yet");
    click_terminal(&mut h);
    assert!(term(&h).focused);
    h.ui(|ui| {
        ui.simulate([press(chr("c"), Modifiers::CTRL, Some("\u{3}"))]);
        ui.tap_key(Named::ArrowUp);
        ui.tap_key(Named::Tab);
        ui.tap_key(Named::Backspace);
        ui.tap_key(Named::Enter);
        ui.tap_key(Named::F1);
        ui.tap_key(Named::PageDown);
        ui.typewrite("lsé");
        ui.simulate([press(chr("["), Modifiers::CTRL, None)]);
        ui.simulate([press(Key::Named(Named::ArrowLeft), Modifiers::CTRL, None)]);
    });
    let want: Vec<&[u8]> = vec![
        &[0x03],
        b"\x1b[A",
        b"\t",
        &[0x7f],
        b"\r",
        b"\x1bOP",
        b"\x1b[6~",
        b"l",
        b"s",
        "é".as_bytes(),
        &[0x1b],
        b"\x1b[1;5D",
    ];
    assert_eq!(typed(&h), want);
    // A full-screen program switches the cursor keys to application mode.
    let n = want.len();
    guest(&mut h, b"\x1b[?1h");
    h.ui(|ui| {
        ui.tap_key(Named::ArrowUp);
        ui.tap_key(Named::Home);
    });
    assert_eq!(typed_after(&h, n), [b"\x1bOA".to_vec(), b"\x1bOH".to_vec()]);
    // Esc gives the keyboard back: keys are the app's again.
    h.ui(|ui| {
        ui.tap_key(Named::Escape);
    });
    assert!(!term(&h).focused);
    h.ui(|ui| {
        ui.typewrite("y");
    });
    assert_eq!(typed(&h).len(), n + 2);
    // So does a click elsewhere (which does what it does, too).
    click_terminal(&mut h);
    assert!(term(&h).focused);
    h.ui(|ui| {
        ui.click("Activity").unwrap();
    });
    match &h.app.screen {
        Screen::Details(d) => {
            assert!(!d.serial.term.focused);
            assert_eq!(d.tab, details::Tab::Activity);
        }
        _ => panic!("left the details"),
    }
}

#[test]
fn copy_copies_the_text_and_ctrl_shift_v_types_the_clipboard() {
    let mut h = running();
    guest(&mut h, b"\x1b[1;32mroot@web\x1b[0m:~# ls\r\nbin  etc\r\n");
    h.ui(|ui| {
        ui.click("Copy").unwrap();
    });
    assert_eq!(h.clipboard.as_deref(), Some("root@web:~# ls\nbin  etc\n"));

    h.clipboard = Some("echo hi\nuname\n".into());
    click_terminal(&mut h);
    let paste = press(chr("V"), Modifiers::CTRL | Modifiers::SHIFT, None);
    h.ui(|ui| {
        ui.simulate([paste.clone()]);
    });
    // Line ends as Enter sends them.
    assert_eq!(typed(&h), [b"echo hi\runame\r".to_vec()]);
    // A guest that asked for bracketed paste gets it marked.
    guest(&mut h, b"\x1b[?2004h");
    h.ui(|ui| {
        ui.simulate([paste]);
    });
    assert_eq!(
        typed_after(&h, 1),
        [b"\x1b[200~echo hi\runame\r\x1b[201~".to_vec()]
    );

    h.ui(|ui| {
        ui.click("Clear").unwrap();
    });
    assert_eq!(serial_text(&h), "");
    assert!(term(&h).is_empty());
}

#[test]
fn the_terminal_is_80x24_and_grows_with_a_larger_panel() {
    let mut h = running();
    assert_eq!(term(&h).size(), (24, 80));
    // How a guest learns the size (`resize`): the cursor as far as it goes, and where is it?
    guest(&mut h, b"\x1b7\x1b[r\x1b[999;999H\x1b[6n\x1b8");
    assert_eq!(typed(&h), [b"\x1b[24;80R".to_vec()]);
    let redraw = iced::Event::Window(iced::window::Event::RedrawRequested(
        std::time::Instant::now(),
    ));
    // A small window: the grid stays 80×24 (it shows the rows down to the cursor's). (Below
    // 1100 px the terminal has the body's whole width, so "small" is smaller than that.)
    let small: Vec<Message> = {
        let mut ui = iced_test::Simulator::with_size(
            iced::Settings::default(),
            (640.0, 480.0),
            h.app.view(),
        );
        ui.simulate([redraw.clone()]);
        ui.into_messages().collect()
    };
    for m in small {
        h.send(m);
    }
    assert_eq!(term(&h).size(), (24, 80));
    let big: Vec<Message> = {
        let mut ui = iced_test::Simulator::with_size(
            iced::Settings::default(),
            (2400.0, 1600.0),
            h.app.view(),
        );
        ui.simulate([redraw]);
        ui.into_messages().collect()
    };
    for m in big {
        h.send(m);
    }
    let (rows, cols) = term(&h).size();
    assert!(rows > 24 && cols > 80, "{rows}×{cols}");
    guest(&mut h, b"\x1b[18t");
    assert_eq!(
        typed(&h)[1..],
        [format!("\x1b[8;{rows};{cols}t").into_bytes()]
    );
    assert!(h.shows(&format!("{cols}×{rows}")), "the size is shown");
}

/// Projector mode's large font at 1280 × 800 scaled 1.5 (853 logical pixels wide): the grid
/// is drawn smaller until 80 columns fit the panel, so nothing scrolls sideways; where there
/// is room it keeps the large font.
#[test]
fn the_large_font_shrinks_to_fit_eighty_columns_instead_of_scrolling() {
    terminal::set_large_font(false);
    let normal = terminal::font_size_for(2000.0, 80);
    terminal::set_large_font(true);
    let large = terminal::font_size_for(2000.0, 80);
    assert!(large > normal, "{large} > {normal}");
    let grid =
        |font: f32, cols: u16| f32::from(cols) * terminal::cell_size_at(font).0 + terminal::PAD;
    // The console's panel at 853 px (window padding taken off), and narrower ones.
    for width in [853.0 - 32.0, 760.0, grid(normal, 80) + 1.0] {
        let cols = terminal::fit(iced::Size::new(width, 500.0)).1;
        let font = terminal::font_size_for(width, cols);
        assert!(font < large, "at {width}: {font}");
        assert!(font >= normal);
        assert!(
            grid(font, cols) <= width + 0.5,
            "at {width}: {font} needs {}",
            grid(font, cols)
        );
    }
    let wide = 1800.0;
    let cols = terminal::fit(iced::Size::new(wide, 500.0)).1;
    assert_eq!(terminal::font_size_for(wide, cols), large);
    assert!(grid(large, cols) <= wide + 0.5);
    terminal::set_large_font(false);
}
