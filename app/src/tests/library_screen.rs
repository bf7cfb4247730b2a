//! The library: listing, buttons, deleting, cloning, exits and thumbnails.

use super::*;

#[test]
fn the_library_lists_vms_and_shows_broken_ones() {
    let mut h = Harness::new(&[("web", "Web server"), ("db", "Database")]);
    std::fs::create_dir_all(h.paths.vm_dir("future")).unwrap();
    std::fs::write(
        h.paths.vm_config("future"),
        "id='future'\nname='F'\nvcpus=1\nmemory_mib=64\nsnapshots=[]\n[boot]\nkind='linux'\nkernel='k'\n",
    )
    .unwrap();
    h.poll();
    assert!(h.shows("Web server"));
    assert!(h.shows("Database"));
    assert!(h.shows("future"));
    assert!(h.shows("Broken"));
    let broken = h.app.vms.get("future").unwrap().config.clone().unwrap_err();
    assert!(broken.contains("snapshots"), "{broken}");
    let reason = broken.lines().last().unwrap();
    assert!(h.shows(&format!(
        "This VM's settings cannot be read, so it is left untouched: {reason}"
    )));
    // Search filters by name.
    h.ui(|ui| {
        ui.click(iced::widget::Id::new(library::SEARCH_ID)).unwrap();
        ui.typewrite("data");
    });
    assert!(h.shows("Database"));
    assert!(!h.shows("Web server"));
}

#[test]
fn library_buttons_send_the_right_requests() {
    let mut h = Harness::new(&[("web", "Web")]);
    h.ui(|ui| {
        ui.click("Start").unwrap();
    });
    assert_eq!(h.fake.started(), ["web"]);
    assert!(h.shows("Running"));
    h.ui(|ui| {
        ui.click("Pause").unwrap();
    });
    assert!(h.shows("Paused"));
    h.ui(|ui| {
        ui.click("Resume").unwrap();
    });
    h.fake.set_acpi_ack(false);
    h.ui(|ui| {
        ui.click("Power off").unwrap();
    });
    assert!(h.shows("The guest in “Web” did not respond to the power button. Force it off?"));
    // The notice's own "Force off" comes first on the page.
    h.ui(|ui| {
        ui.click("Force off").unwrap();
    });
    let web = |c| ("web".to_string(), c);
    assert_eq!(
        h.fake.commands(),
        [
            web(Command::Pause(api::Pause {})),
            web(Command::Resume(api::Resume {})),
            web(Command::PowerOff(api::PowerOff {})),
            web(Command::Kill(api::Kill {}))
        ]
    );
    assert!(h.shows("Stopped"));
}

#[test]
fn deleting_asks_first_and_is_refused_while_running() {
    let mut h = Harness::new(&[("web", "Web")]);
    h.fake.set_running("web", RunState::Running);
    h.poll();
    h.send(Message::Library(library::Message::AskDelete("web".into())));
    assert!(h.shows("“Web” is running: power it off before deleting it."));
    assert!(h.paths.vm_config("web").exists());

    h.fake.crash("web", 0);
    h.poll();
    h.ui(|ui| {
        ui.click("Delete").unwrap();
    });
    assert!(h.shows("Delete “Web”?"));
    assert!(h.paths.vm_config("web").exists());
    // The confirmation's button is the first "Delete" on the page.
    h.ui(|ui| {
        ui.click("Delete").unwrap();
    });
    assert!(!h.paths.vm_dir("web").exists());
    assert!(h.shows("“Web” was deleted."));
}

#[test]
fn a_vmm_that_dies_shows_what_its_exit_status_means_and_the_last_serial_lines() {
    let mut h = Harness::new(&[("web", "Web")]);
    h.send(Message::Library(library::Message::Start("web".into())));
    std::fs::write(
        h.paths.vm_dir("web").join("serial.log"),
        "booting\nKernel panic - not syncing\n",
    )
    .unwrap();
    h.fake.crash("web", vmm_core::api::exit_code::GUEST_CRASH);
    h.poll();
    assert!(h.shows("Stopped"));
    assert!(h.shows("Last run: the guest crashed (exit status 4)."));
    assert!(h.shows("booting\nKernel panic - not syncing"));
    h.ui(|ui| {
        ui.click("Dismiss").unwrap();
    });
    assert!(!h.shows("Last run: the guest crashed (exit status 4)."));
}

#[test]
fn running_vms_with_a_screen_get_a_thumbnail_kept_in_their_folder() {
    let mut h = Harness::new(&[("web", "Web"), ("db", "Database")]);
    let mut cfg = VmConfig::load(&h.paths.vm_config("web")).unwrap();
    cfg.display = Some(vmm_core::config::DisplayConfig::default());
    cfg.save(&h.paths.vm_config("web")).unwrap();
    h.fake.set_running("web", RunState::Running);
    h.fake.set_running("db", RunState::Running);
    h.poll();
    // Only the VM with a screen was asked, for a file in its own folder.
    let shots: Vec<(String, Command)> = h.fake.commands();
    assert_eq!(shots.len(), 1, "{shots:?}");
    let (
        id,
        Command::Thumbnail(api::Thumbnail {
            path,
            max_width,
            max_height,
        }),
    ) = &shots[0]
    else {
        panic!("{shots:?}")
    };
    assert_eq!(id, "web");
    assert_eq!(
        Path::new(path),
        crate::data::thumbs::path(&h.paths.vm_dir("web")),
        "written by the VMM straight into the VM's folder"
    );
    assert_eq!(
        (*max_width, *max_height),
        (crate::data::thumbs::MAX_W, crate::data::thumbs::MAX_H)
    );
    let t = crate::data::thumbs::load(&h.paths.vm_dir("web")).expect("thumbnail.png");
    assert_eq!(
        (t.width, t.height),
        (crate::data::thumbs::MAX_W, crate::data::thumbs::MAX_H)
    );
    assert!(h.app.library.thumbs.contains_key("web"));
    assert!(!h.app.library.thumbs.contains_key("db"));
    // Issue 15: clicking a running VM's screen opens its console, as in GNOME Boxes.
    h.ui(|ui| {
        ui.click(library::thumb_id("web")).unwrap();
    });
    assert!(
        matches!(h.app.screen, Screen::Console(..)),
        "the console opens"
    );
    h.ui(|ui| {
        ui.click("‹ Details").unwrap();
    });
    h.ui(|ui| {
        ui.click("‹ Library").unwrap();
    });
    assert!(matches!(h.app.screen, Screen::Library));

    // Next start of the app: the stored thumbnail is shown for the stopped VM.
    h.fake.vanish("web");
    let (app, task) = App::boot(h.paths.clone(), h.fake.clone());
    h.app = app;
    if let Some(stream) = iced_runtime::task::into_stream(task) {
        for a in
            iced::futures::executor::block_on(iced::futures::StreamExt::collect::<Vec<_>>(stream))
        {
            if let iced_runtime::Action::Output(m) = a {
                h.send(m);
            }
        }
    }
    assert!(h.app.library.thumbs.contains_key("web"));
}

#[test]
fn the_library_clones_linked_and_full_and_deletes_keeping_or_trashing_disks() {
    let trash = testing::test_trash();
    let mut h = Harness::new(&[]);
    let data = b"cloned bytes";
    testing::add_vm_with_disk(&h.paths, "src", "Source", 8, data);
    h.app.vms.entries = crate::data::store::list(&h.paths);
    h.ui(|ui| {
        ui.click("Clone").unwrap();
    });
    assert!(h.shows("Clone “Source”"));
    // The dialog's button is the first "Clone" on the page; linked is the default.
    h.ui(|ui| {
        ui.click("Clone").unwrap();
    });
    assert!(h.shows("“Source (clone)” was created as a clone."));
    let linked = VmConfig::load(&h.paths.vm_config("source-clone")).unwrap();
    let info = vmm_core::storage::image_info(&linked.disks[0].path).unwrap();
    let src = VmConfig::load(&h.paths.vm_config("src")).unwrap();
    assert_eq!(info.backing_chain, [src.disks[0].path.clone()]);
    assert_eq!(
        testing::read_disk(&h.paths, "source-clone", 0, 1 << 20, data.len()),
        data
    );

    // A full copy: name typed, linked switched off.
    h.send(Message::Library(library::Message::AskClone("src".into())));
    h.send(Message::Library(library::Message::CloneLinked(false)));
    assert!(h.shows("Every disk is copied: slower, but the clone stands alone."));
    h.ui(|ui| {
        ui.click(iced::widget::Id::new(library::CLONE_NAME_ID))
            .unwrap();
        ui.typewrite(" full");
        ui.tap_key(iced::keyboard::key::Named::Enter);
    });
    let full = VmConfig::load(&h.paths.vm_config("source-clone-full")).unwrap();
    let info = vmm_core::storage::image_info(&full.disks[0].path).unwrap();
    assert!(info.backing_chain.is_empty());
    assert_eq!(
        testing::read_disk(&h.paths, "source-clone-full", 0, 1 << 20, data.len()),
        data
    );

    // The source backs the linked clone: deleting it is refused with the reason.
    h.send(Message::Library(library::Message::AskDelete("src".into())));
    h.ui(|ui| {
        ui.click("Delete").unwrap();
    });
    assert!(h.paths.vm_dir("src").exists());
    assert!(h.shows("Could not delete “Source”: its disks back the linked clones Source (clone); delete those first."));

    // Linked clone: disks kept on request.
    h.send(Message::Library(library::Message::AskDelete(
        "source-clone".into(),
    )));
    h.send(Message::Library(library::Message::KeepDisks(true)));
    h.ui(|ui| {
        ui.click("Delete").unwrap();
    });
    assert!(!h.paths.vm_dir("source-clone").exists());
    let kept = h.paths.data_dir.join("kept-disks/source-clone/disk.qcow2");
    assert!(kept.is_file());
    // Full copy: to the trash (the default).
    h.send(Message::Library(library::Message::KeepDisks(false)));
    h.send(Message::Library(library::Message::AskDelete(
        "source-clone-full".into(),
    )));
    h.ui(|ui| {
        ui.click("Delete").unwrap();
    });
    assert!(!h.paths.vm_dir("source-clone-full").exists());
    assert!(!full.disks[0].path.exists());
    assert!(std::fs::read_dir(&trash).unwrap().count() > 0);
}

#[test]
fn the_library_card_shows_the_os_the_vm_was_made_for() {
    let mut h = Harness::new(&[("deb", "Bookworm"), ("plain", "Plain")]);
    let mut cfg = VmConfig::load(&h.paths.vm_config("deb")).unwrap();
    cfg.os = Some(vmm_core::config::GuestOs {
        id: "http://debian.org/debian/12".into(),
        name: "Debian 12".into(),
    });
    crate::data::store::save(&h.paths, &cfg).unwrap();
    h.app.vms.entries = crate::data::store::list(&h.paths);
    assert!(h.shows("Bookworm"));
    assert!(h.shows("Debian 12"), "the OS name under the VM's name");
    assert!(h.shows("Plain"));
}
