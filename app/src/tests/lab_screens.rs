//! Lab mode's screens: student copies and resets from a template's details, the throwaway
//! switch, and projector mode (scale, high contrast, large console font) from the library.

use super::layout::{assert_reachable, each, keys};
use super::*;
use crate::data::lab;
use crate::ui::screen::details::lab::Message as LabMessage;
use crate::ui::screen::projector::{self, Scale};
use iced::Size;

/// A stopped template VM with a 64 MiB qcow2 disk, its details open.
fn template() -> Harness {
    let mut h = Harness::new(&[]);
    testing::add_vm_with_disk(&h.paths, "tpl", "Template", 64, b"lesson");
    h.poll();
    h.send(Message::Library(library::Message::Open("tpl".into())));
    assert!(matches!(h.app.screen, Screen::Details(_)));
    h
}

/// Like `Harness::ui`, in a window tall enough to show the whole details column (the lab
/// section is below the settings; a user scrolls to it).
fn tall(h: &mut Harness, f: impl FnOnce(&mut iced_test::Simulator<'_, Message>)) {
    let messages: Vec<Message> = {
        let size = Size::new(1280.0, 2600.0);
        let mut ui = iced_test::Simulator::with_size(Default::default(), size, h.app.view());
        f(&mut ui);
        ui.into_messages().collect()
    };
    for m in messages {
        h.send(m);
    }
}

impl Harness {
    fn shows_tall(&self, s: &str) -> bool {
        let size = Size::new(1280.0, 2600.0);
        iced_test::Simulator::with_size(Default::default(), size, self.app.view())
            .find(s)
            .is_ok()
    }
}

fn lab_msg(m: LabMessage) -> Message {
    Message::Details(details::Message::Lab(m))
}

#[test]
fn student_copies_are_made_from_the_details_then_listed_and_reset_after_asking() {
    let mut h = template();
    assert!(h.shows("Student copies are linked clones of this VM: each student gets their own, and one click puts it back."));
    tall(&mut h, |ui| {
        ui.click("Make student copies…").unwrap();
    });
    assert!(h.shows("How many"));
    h.send(lab_msg(LabMessage::Count("0".into())));
    tall(&mut h, |ui| {
        ui.click("Make copies").unwrap();
    });
    assert!(h.shows("The number of student copies must be a whole number from 1 to 99."));
    h.send(lab_msg(LabMessage::Count("3".into())));
    h.send(lab_msg(LabMessage::Prefix("Desk".into())));
    tall(&mut h, |ui| {
        ui.click("Make copies").unwrap();
    });
    assert!(h.shows("3 student copies of Template made: Desk 01, Desk 02, Desk 03"));
    assert!(h.shows("3 student copies"));
    assert!(h.shows("Desk 02"));
    assert_eq!(lab::students(&h.paths, "tpl").len(), 3);
    // The library lists them too.
    assert_eq!(h.app.vms.entries.len(), 4);

    // A student wrote something; Reset all asks first, saying what goes.
    let write = |h: &Harness| {
        let cfg = VmConfig::load(&h.paths.vm_config("desk-01")).unwrap();
        let policy = vmm_core::storage::BackingPolicy::for_disk(
            &cfg.disks[0],
            Some(&h.paths.vm_dir("desk-01")),
        );
        let d =
            vmm_core::storage::Disk::open_with(&cfg.disks[0].path, None, false, &policy).unwrap();
        d.write(b"homework", 1 << 20).unwrap();
        d.flush().unwrap();
    };
    write(&h);
    h.fake.set_running("desk-03", RunState::Running);
    h.poll();
    tall(&mut h, |ui| {
        ui.click("Reset all").unwrap();
    });
    assert!(h.shows("Reset all 3 student copies to the template?"));
    assert!(h.shows("What was written since is lost, and 0 snapshots with it. Running copies are left as they are."));
    tall(&mut h, |ui| {
        ui.click("Reset").unwrap();
    });
    // Desk 03 runs: refused with the reason; the others are back.
    assert!(h.shows("Desk 03 is running: shut it down first, then reset it."));
    assert_eq!(
        testing::read_disk(&h.paths, "desk-01", 0, 1 << 20, 6),
        b"lesson"
    );
    // One student: asked by name.
    h.send(lab_msg(LabMessage::Reset("desk-02".into())));
    assert!(h.shows("Reset Desk 02 to the template?"));
    h.send(lab_msg(LabMessage::CancelConfirm));
    assert!(!h.shows("Reset Desk 02 to the template?"));

    // A student's details say whose it is, and offer no copies of it.
    h.send(Message::Details(details::Message::Back));
    h.send(Message::Library(library::Message::Open("desk-01".into())));
    assert!(h.shows("A student copy of Template."));
    assert!(!h.shows("Make student copies…"));
}

#[test]
fn the_throwaway_switch_is_saved_and_a_run_with_it_leaves_nothing_behind() {
    let mut h = template();
    // A toggler's label is no text the simulator finds: its message, as a click sends it.
    assert!(h.shows_tall("Each run starts on a temporary overlay: whatever the VM writes is discarded when it is off."));
    h.send(lab_msg(LabMessage::Throwaway(true)));
    let s = crate::data::settings::Settings::load(&h.paths.settings_file());
    assert_eq!(s.throwaway, ["tpl"]);
    h.ui(|ui| {
        ui.click("Start").unwrap();
    });
    assert_eq!(h.fake.started(), ["tpl"]);
    assert!(lab::throwaway::active(&h.paths, "tpl"));
    // The guest powers off: the app discards the run.
    h.fake.crash("tpl", vmm_core::api::exit_code::POWER_OFF);
    h.poll();
    assert!(!lab::throwaway::active(&h.paths, "tpl"));
    let dir = h.paths.vm_dir("tpl");
    assert!(vmm_core::storage::overlay::CurrentDisks::load(&dir)
        .unwrap()
        .is_none());
    // Off again: the next start is an ordinary one.
    h.send(lab_msg(LabMessage::Throwaway(false)));
    h.ui(|ui| {
        ui.click("Start").unwrap();
    });
    assert!(!lab::throwaway::active(&h.paths, "tpl"));
}

#[test]
fn projector_mode_applies_at_once_and_is_saved() {
    let mut h = Harness::new(&[("web", "Web")]);
    h.ui(|ui| {
        ui.click("Projector").unwrap();
    });
    assert!(h.shows("Projector mode"));
    h.send(Message::Projector(projector::Message::Scale(Scale(1.5))));
    // A 1280×800 window keeps 800×600 logical pixels: 1.33×, and says so.
    assert!((h.app.scale_factor() - 1.3333).abs() < 0.001);
    assert!(h.shows(
        "This window is too small for more: drawn at 133 % now. Enlarge it or go full screen."
    ));
    h.send(Message::Resized(Size::new(
        1440.0 / 1.3333,
        1080.0 / 1.3333,
    )));
    assert_eq!(h.app.scale_factor(), 1.5);
    assert!(!h.shows(
        "This window is too small for more: drawn at 133 % now. Enlarge it or go full screen."
    ));
    let (_, before) = crate::ui::widget::terminal::cell_size();
    assert!(h.shows("Black on white with strong borders, for washed-out projectors."));
    h.send(Message::Projector(projector::Message::HighContrast(true)));
    h.send(Message::Projector(projector::Message::LargeFont(true)));
    assert!(crate::ui::style::high_contrast());
    assert_eq!(crate::ui::style::theme().palette().text, iced::Color::BLACK);
    assert!(crate::ui::widget::terminal::cell_size().1 > before);
    let saved = crate::data::settings::Settings::load(&h.paths.settings_file()).projector;
    assert_eq!(
        (saved.scale, saved.high_contrast, saved.large_console_font),
        (1.5, true, true)
    );
    // A new start applies what was saved.
    let app = App::new(h.paths.clone(), h.fake.clone(), HOST);
    assert_eq!(app.settings.projector, saved);
    h.ui(|ui| {
        ui.click("Close").unwrap();
    });
    assert!(!h.shows("Projector mode"));
    crate::ui::style::set_high_contrast(false);
    crate::ui::widget::terminal::set_large_font(false);
}

#[test]
fn the_projector_panel_and_its_button_fit_in_every_language() {
    let mut h = Harness::new(&[("web", "Web server")]);
    h.send(Message::Library(library::Message::Projector));
    each(|size| {
        let labels = keys(&[
            "library-new",
            "projector-button",
            "projector-title",
            "projector-scale",
            "projector-close",
        ]);
        assert_reachable(&h.app, size, &labels, "projector");
    });
}
