//! App-wide behaviour: the first-run check, shortcuts, reattaching, resets, the window.

use super::*;

#[test]
fn running_vms_are_found_again_at_start() {
    let mut h = Harness::new(&[("web", "Web"), ("db", "DB")]);
    h.fake.set_running("db", RunState::Paused);
    let client: Arc<dyn VmmClient> = h.fake.clone();
    let (app, task) = App::boot(h.paths.clone(), client);
    h.app = app;
    if let Some(s) = iced_runtime::task::into_stream(task) {
        for a in iced::futures::executor::block_on(iced::futures::StreamExt::collect::<Vec<_>>(s)) {
            if let iced_runtime::Action::Output(m) = a {
                h.send(m);
            }
        }
    }
    assert_eq!(h.app.vms.state("db"), crate::data::vms::VmState::Paused);
    assert_eq!(h.app.vms.state("web"), crate::data::vms::VmState::Stopped);
    testing::english();
}

#[test]
fn keyboard_shortcuts_and_language_setting() {
    use iced::keyboard::{Event, Key, Location, Modifiers};
    let key = |c: &str, m: Modifiers| {
        iced::Event::Keyboard(Event::KeyPressed {
            key: Key::Character(c.into()),
            modified_key: Key::Character(c.into()),
            physical_key: iced::keyboard::key::Physical::Unidentified(
                iced::keyboard::key::NativeCode::Unidentified,
            ),
            location: Location::Standard,
            modifiers: m,
            text: None,
            repeat: false,
        })
    };
    for (c, want) in [
        ("n", Shortcut::New),
        ("f", Shortcut::Search),
        ("q", Shortcut::Quit),
    ] {
        let m = crate::ui::app::shortcut(
            key(c, Modifiers::CTRL),
            iced::event::Status::Ignored,
            iced::window::Id::unique(),
        );
        assert!(matches!(m, Some(Message::Shortcut(s)) if s == want));
    }
    assert!(crate::ui::app::shortcut(
        key("n", Modifiers::empty()),
        iced::event::Status::Ignored,
        iced::window::Id::unique()
    )
    .is_none());

    let mut h = Harness::new(&[]);
    h.send(Message::Shortcut(Shortcut::New));
    assert!(matches!(h.app.screen, Screen::Wizard(_)));
    h.send(Message::Shortcut(Shortcut::Search));
    assert!(matches!(h.app.screen, Screen::Library));
    h.send(Message::Library(library::Message::Language(
        library::LanguageChoice(Some("en".into())),
    )));
    assert_eq!(
        crate::data::settings::Settings::load(&h.paths.settings_file()).language,
        Some("en".into())
    );
}

#[test]
fn the_first_run_check_explains_and_checks_again() {
    let mut h = Harness::new(&[]);
    h.app
        .checked(vec![Finding::KvmNoAccess, Finding::PasstMissing]);
    assert!(matches!(h.app.screen, Screen::Check(_)));
    assert!(h.shows("You may not use /dev/kvm"));
    assert!(h.shows("Add yourself to the kvm group, then log out and back in."));
    assert!(h.shows("sudo adduser $USER kvm"));
    assert!(h.shows("sudo apt install passt   # or libslirp0"));
    assert!(
        !h.shows("Continue anyway"),
        "a blocking problem cannot be skipped"
    );
    assert_eq!(h.app.title(), "vmdesk");
    // Fixed: the library shows.
    h.send(Message::Checked(vec![Finding::PasstMissing]));
    assert!(h.shows("Continue anyway"));
    h.ui(|ui| {
        ui.click("Continue anyway").unwrap();
    });
    assert!(matches!(h.app.screen, Screen::Library));
    assert_eq!(
        crate::data::settings::Settings::load(&h.paths.settings_file()).accepted_warnings,
        ["passt-missing"]
    );
    // An accepted warning stays quiet; a new problem does not.
    h.app.checked(vec![Finding::PasstMissing]);
    assert!(matches!(h.app.screen, Screen::Library));
    h.app.checked(vec![Finding::VmmMissing("nowhere".into())]);
    assert!(h.shows("vmdesk-vmm was not found"));
    h.send(Message::Checked(vec![]));
    assert!(matches!(h.app.screen, Screen::Library));
}

#[test]
fn a_reattached_vm_that_ends_is_explained_from_last_exit_json() {
    let mut h = Harness::new(&[("web", "Web")]);
    h.fake.set_running("web", RunState::Running);
    h.poll();
    std::fs::write(
        h.paths.vm_dir("web").join("last-exit.json"),
        r#"{"code":4,"reason":"guest-crash","message":"the guest crashed","ended_unix_ms":5}"#,
    )
    .unwrap();
    h.fake.vanish("web");
    h.poll();
    assert!(h.shows("Last run: the guest crashed (exit status 4)."));
}

#[test]
fn the_window_has_the_app_id() {
    let w = crate::ui::app::window_settings();
    assert_eq!(
        w.platform_specific.application_id,
        "io.github.vmdesk.Vmdesk"
    );
    // The smallest size tests/layout.rs checks every screen at.
    assert_eq!(w.min_size, Some(iced::Size::new(800.0, 600.0)));
}

#[test]
fn restart_and_guest_resets_start_the_vm_again_but_a_reset_loop_stops() {
    use vmm_core::api::exit_code::RESET;
    let mut h = Harness::new(&[("web", "Web")]);
    h.ui(|ui| {
        ui.click("Start").unwrap();
    });
    h.ui(|ui| {
        ui.click("Restart").unwrap();
    });
    assert_eq!(cmds(&h), [Command::Reset(api::Reset {})]);
    h.poll();
    assert_eq!(
        h.fake.started(),
        ["web", "web"],
        "started again after the reset"
    );
    assert!(h.shows("Running"));
    assert!(!h.shows("Last run: the guest asked for a reset (exit status 3)."));

    // The guest reboots itself: started again each time, up to a limit within a minute.
    for _ in 1..crate::data::vms::MAX_RESETS {
        h.fake.crash("web", RESET);
        h.poll();
    }
    assert_eq!(h.fake.started().len(), 1 + crate::data::vms::MAX_RESETS);
    h.fake.crash("web", RESET);
    h.poll();
    assert_eq!(
        h.fake.started().len(),
        1 + crate::data::vms::MAX_RESETS,
        "a reset loop is left stopped"
    );
    assert!(h.shows("Stopped"));
    assert!(h.shows("“Web” reset itself 6 times within a minute and was left stopped."));
}
