//! The details screen: settings, the serial console, snapshots and activity.

use super::*;

#[test]
fn details_edit_settings_when_stopped_and_talk_to_the_console_when_running() {
    let mut h = Harness::new(&[("web", "Web")]);
    // Raw guest output, as a guest writes it (CR LF).
    std::fs::write(h.paths.vm_dir("web").join("serial.log"), "old line\r\n").unwrap();
    h.ui(|ui| {
        ui.click("Details").unwrap();
    });
    assert!(matches!(h.app.screen, Screen::Details(_)));
    assert_eq!(
        serial_text(&h),
        "old line\n",
        "scrollback comes from serial.log"
    );
    h.ui(|ui| {
        ui.click(iced::widget::Id::new(Field::Memory.id())).unwrap();
        ui.typewrite("0");
    });
    assert!(h.shows("More than this host has (4096 MiB)."));
    h.ui(|ui| {
        ui.click("Save").unwrap();
    });
    assert!(!h.shows("Saved."));
    assert_eq!(
        VmConfig::load(&h.paths.vm_config("web"))
            .unwrap()
            .memory_mib,
        1024
    );
    h.ui(|ui| {
        ui.click("Undo changes").unwrap();
    });
    h.ui(|ui| {
        ui.click(iced::widget::Id::new(Field::Name.id())).unwrap();
        ui.typewrite(" 2");
    });
    h.ui(|ui| {
        ui.click("Save").unwrap();
    });
    assert!(h.shows("Saved."));
    let cfg = VmConfig::load(&h.paths.vm_config("web")).unwrap();
    assert_eq!((cfg.name.as_str(), cfg.memory_mib), ("Web 2", 1024));

    h.ui(|ui| {
        ui.click("Start").unwrap();
    });
    assert!(h.shows("The VM is running: its settings are read-only until it stops."));
    h.send(Message::Guest(
        "web".into(),
        vmm_core::api::Event::Serial {
            data: base64::Engine::encode(&crate::data::client::B64, "TICK 1\r\n"),
        },
    ));
    assert_eq!(serial_text(&h), "old line\nTICK 1\n");
    h.ui(|ui| {
        ui.click(iced::widget::Id::new(details::serial::TERMINAL_ID))
            .unwrap();
    });
    h.ui(|ui| {
        ui.typewrite("hello");
        ui.tap_key(iced::keyboard::key::Named::Enter);
    });
    // A key at a time, in order, as a terminal types; Enter is a carriage return.
    let typed: Vec<Command> = ["h", "e", "l", "l", "o", "\r"]
        .iter()
        .map(|k| crate::data::client::serial_input(k).into())
        .collect();
    assert_eq!(cmds(&h), typed);
    // Counters polled every second feed the activity tab, with explanations.
    h.poll();
    h.poll();
    assert!(!h.shows("io-out"), "the serial console tab is shown");
    h.ui(|ui| {
        ui.click("Activity").unwrap();
    });
    assert!(h.shows("io-out"));
    assert!(h.shows("the guest wrote to an I/O port; the VMM emulated the device."));
    h.ui(|ui| {
        ui.click("‹ Library").unwrap();
    });
    assert!(matches!(h.app.screen, Screen::Library));
}

#[test]
fn the_activity_tab_shows_live_values_from_the_counters() {
    use vmm_core::api::{Counters, DiskCounters};
    let mut h = Harness::new(&[("web", "Web")]);
    // Two samples a second apart: 60 % CPU (45 % in the vCPU thread), 2 MiB/s read and
    // 1 MiB/s written, 3000 exits/s of port writes; 24 MiB resident of 64 MiB guest RAM.
    let sample = |ms: u64, cpu: u64, vcpu: u64, read: u64, written: u64, io_out: u64| Counters {
        uptime_ms: ms,
        exits: vec![("io-out".into(), io_out), ("hlt".into(), 2)],
        per_vcpu: vec![vec![("io-out".into(), io_out), ("hlt".into(), 2)]],
        process_user_us: 0,
        process_system_us: cpu,
        vcpu_cpu_us: vec![vcpu],
        rss_bytes: 24 << 20,
        guest_memory_bytes: 64 << 20,
        disks: vec![DiskCounters {
            read_bytes: read,
            write_bytes: written,
            read_requests: 3,
            write_requests: 2,
            flushes: 1,
            ..Default::default()
        }],
        ..Default::default()
    };
    h.fake.queue_counters(
        "web",
        vec![
            sample(5000, 1_000_000, 800_000, 0, 0, 10_000),
            sample(6000, 1_600_000, 1_250_000, 2 << 20, 1 << 20, 13_000),
        ],
    );
    h.ui(|ui| {
        ui.click("Details").unwrap();
    });
    h.ui(|ui| {
        ui.click("Start").unwrap();
    });
    h.ui(|ui| {
        ui.click("Activity").unwrap();
    });
    h.poll();
    h.poll();
    for s in [
        "Live activity",
        "60 %",
        "guest vCPUs 45 %",
        "VMM overhead 15 %",
        "24.0 MiB",
        "guest RAM 64.0 MiB",
        "read 2.0 MiB/s",
        "written 1.0 MiB/s",
        "This VM has no network interface.",
        "3000/s",
        // The teachers' line stays next to each reason.
        "the guest wrote to an I/O port; the VMM emulated the device.",
        "disk0: read 2.0 MiB in 3 requests · wrote 1.0 MiB in 2 · 1 flushes",
        // The vCPU thread's own share.
        "45 % CPU",
        // What the VMM's status says confines it.
        "Confinement: seccomp filters on (14) · Landlock file limits on (ABI 7)",
    ] {
        assert!(h.shows(s), "the activity tab shows {s:?}");
    }
}

#[test]
fn the_snapshot_tree_shows_and_each_button_sends_its_request() {
    let mut h = Harness::new(&[("web", "Web")]);
    h.fake.set_running("web", RunState::Running);
    h.fake
        .set_snapshots(crate::data::snapshots::tests::sample());
    h.poll();
    h.send(Message::Library(library::Message::Open("web".into())));
    h.ui(|ui| {
        ui.click("Snapshots (5)").unwrap();
    });
    for name in [
        "Fresh boot",
        "Before update",
        "After update",
        "Installed tools",
        "Orphan",
    ] {
        assert!(h.shows(name), "{name}");
    }
    assert!(h.shows("Current"));
    assert!(h.shows("Incomplete"));
    assert!(h.shows("Not usable: interrupted while being saved. Delete it to tidy up."));
    let when = crate::data::snapshots::local_time(2000);
    assert!(
        h.shows(&format!("{when} · about Before update")),
        "descriptions show"
    );

    // Take: name and description go into the request.
    h.ui(|ui| {
        ui.click(iced::widget::Id::new(details::snapshots::SNAP_NAME_ID))
            .unwrap();
        ui.typewrite("Base");
        ui.click(iced::widget::Id::new(details::snapshots::SNAP_DESC_ID))
            .unwrap();
        ui.typewrite("clean install");
    });
    h.ui(|ui| {
        ui.click("Take snapshot").unwrap();
    });
    assert!(h.shows("Snapshot taken in 120 ms; the guest was paused for 35 ms."));

    // Revert asks first; the question's button comes before the rows' ones.
    h.ui(|ui| {
        ui.click("Revert").unwrap();
    });
    assert!(h.shows("Go back to “Fresh boot”?"));
    h.ui(|ui| {
        ui.click("Cancel").unwrap();
    });
    assert!(!h.shows("Go back to “Fresh boot”?"));
    h.ui(|ui| {
        ui.click("Revert").unwrap();
    });
    h.ui(|ui| {
        ui.click("Revert").unwrap();
    });
    assert!(h.shows("“Web” went back to the snapshot."));

    // Delete asks first and says the later snapshots stay valid.
    h.ui(|ui| {
        ui.click("Delete").unwrap();
    });
    assert!(h.shows("Delete the snapshot “Fresh boot”?"));
    assert!(h.shows(
        "Its files are removed. The 2 snapshots taken after it stay valid (every snapshot is saved whole) and move up to this one's parent."
    ));
    h.ui(|ui| {
        ui.click("Delete").unwrap();
    });

    // Rename edits in place; Enter saves.
    h.ui(|ui| {
        ui.click("Rename").unwrap();
    });
    h.ui(|ui| {
        ui.click(iced::widget::Id::new(details::snapshots::SNAP_RENAME_ID))
            .unwrap();
        ui.tap_key(iced::keyboard::key::Named::End);
        ui.typewrite(" (clean)");
        ui.tap_key(iced::keyboard::key::Named::Enter);
    });

    let a = || "a".to_string();
    let list = || Command::SnapshotList(api::ListSnapshots {});
    assert_eq!(
        cmds(&h),
        [
            list(),
            list(),
            Command::SnapshotCreate(api::SnapshotCreate {
                name: "Base".into(),
                description: "clean install".into()
            }),
            list(),
            Command::SnapshotRevert(api::SnapshotRevert { snapshot: a() }),
            list(),
            Command::SnapshotDelete(api::SnapshotDelete { snapshot: a() }),
            list(),
            Command::SnapshotRename(api::SnapshotRename {
                snapshot: a(),
                name: "Fresh boot (clean)".into()
            }),
            list(),
        ]
    );
}

#[test]
fn a_stopped_vm_lists_snapshots_from_its_folder_and_starts_from_one() {
    let mut h = Harness::new(&[("web", "Web")]);
    let cfg = VmConfig::load(&h.paths.vm_config("web")).unwrap();
    let dir = h.paths.vm_dir("web").join("snapshots");
    for (id, name, parent) in [("s1", "Base", None), ("s2", "Later", Some("s1"))] {
        std::fs::create_dir_all(dir.join(id)).unwrap();
        let meta = serde_json::json!({
            "id": id, "name": name, "description": "", "created_unix_ms": 1000,
            "parent": parent, "config": cfg, "memory_pages": 1, "has_screen": false,
        });
        std::fs::write(dir.join(id).join("meta.json"), meta.to_string()).unwrap();
    }
    std::fs::write(dir.join("current"), "s2").unwrap();
    h.send(Message::Library(library::Message::Open("web".into())));
    h.ui(|ui| {
        ui.click("Snapshots (2)").unwrap();
    });
    assert!(
        h.shows("Start the VM to take a snapshot. A stopped VM can start from any snapshot below.")
    );
    // Rename and delete work on the folder.
    h.send(Message::Details(details::Message::Snap(
        SnapMessage::Rename("s1".into()),
    )));
    h.send(Message::Details(details::Message::Snap(
        SnapMessage::RenameInput("Base 2".into()),
    )));
    h.send(Message::Details(details::Message::Snap(
        SnapMessage::RenameSave,
    )));
    assert!(h.shows("Base 2"));
    h.ui(|ui| {
        ui.click("Start here").unwrap();
    });
    assert!(h.shows("Start the VM from “Base 2”?"));
    h.ui(|ui| {
        ui.click("Start here").unwrap();
    });
    assert_eq!(h.fake.restored(), [("web".to_string(), "s1".to_string())]);
    assert!(cmds(&h).is_empty(), "no API requests for a stopped VM");
    h.fake.crash("web", 0);
    h.poll();
    h.send(Message::Details(details::Message::Snap(
        SnapMessage::AskDelete("s1".into()),
    )));
    h.send(Message::Details(details::Message::Snap(
        SnapMessage::Confirm,
    )));
    assert!(!dir.join("s1").exists());
    assert!(!h.shows("Base 2"));
    assert!(h.shows("Later"));
}

#[test]
fn disks_network_and_screen_settings_persist_and_are_locked_while_running() {
    use crate::ui::hardware::{DisplayChoice, HwField, Message as Hw};
    let mut h = Harness::new(&[("web", "Web")]);
    h.ui(|ui| {
        ui.click("Details").unwrap();
    });
    let dh = |m: Hw| Message::Details(details::Message::Hw(m));
    // The hardware is below the fold of the simulator's window: its messages are sent.
    h.send(dh(Hw::Storage(crate::ui::hardware::StorageKind::New)));
    h.send(dh(Hw::Edit(HwField::DiskSize, "1".into())));
    h.send(dh(Hw::Display(DisplayChoice(Some((1280, 800))))));
    h.send(dh(Hw::Network(true)));
    h.send(dh(Hw::Edit(HwField::Forwards, "tcp 2222:22, bogus".into())));
    assert!(h.shows("“bogus” is not a port forward; write e.g. tcp 8080:80."));
    h.send(dh(Hw::Edit(HwField::Forwards, "tcp 2222:22".into())));
    h.ui(|ui| {
        ui.click("Save").unwrap();
    });
    assert!(h.shows("Saved."));
    let cfg = VmConfig::load(&h.paths.vm_config("web")).unwrap();
    assert_eq!(cfg.disks.len(), 1);
    assert_eq!(
        vmm_core::storage::image_info(&cfg.disks[0].path)
            .unwrap()
            .virtual_size,
        1 << 30
    );
    let d = cfg.display.as_ref().unwrap();
    assert_eq!((d.width, d.height), (1280, 800));
    assert_eq!(cfg.nics.len(), 1);
    assert_eq!(cfg.nics[0].forwards[0].host_port, 2222);
    // The new disk is listed; make it read-only, then remove it (its file stays).
    assert!(h.shows("vda · disk.qcow2"));
    h.send(dh(Hw::DiskReadOnly(0, true)));
    h.ui(|ui| {
        ui.click("Save").unwrap();
    });
    assert!(VmConfig::load(&h.paths.vm_config("web")).unwrap().disks[0].read_only);
    h.send(dh(Hw::RemoveDisk(0)));
    h.send(dh(Hw::Network(false)));
    h.send(dh(Hw::Display(DisplayChoice(None))));
    h.ui(|ui| {
        ui.click("Save").unwrap();
    });
    let cfg2 = VmConfig::load(&h.paths.vm_config("web")).unwrap();
    assert!(cfg2.disks.is_empty() && cfg2.nics.is_empty() && cfg2.display.is_none());
    assert!(cfg.disks[0].path.is_file());
    // While it runs nothing changes, and the screen says why.
    h.ui(|ui| {
        ui.click("Start").unwrap();
    });
    assert!(h.shows("Disks, network and screen can't change while the VM runs."));
    h.send(dh(Hw::Network(true)));
    h.send(Message::Details(details::Message::Save));
    assert!(VmConfig::load(&h.paths.vm_config("web"))
        .unwrap()
        .nics
        .is_empty());
}

#[test]
fn restart_from_the_details_view_resets_and_starts_again() {
    let mut h = Harness::new(&[("web", "Web")]);
    h.ui(|ui| {
        ui.click("Start").unwrap();
    });
    h.send(Message::Library(library::Message::Open("web".into())));
    assert!(!h.shows("Restart"), "Restart is behind ⋯");
    h.ui(|ui| {
        ui.click("⋯").unwrap();
    });
    h.ui(|ui| {
        ui.click("Restart").unwrap();
    });
    // Opening the details lists the snapshots first.
    assert_eq!(
        cmds(&h),
        [
            Command::SnapshotList(api::ListSnapshots {}),
            Command::Reset(api::Reset {})
        ]
    );
    h.poll();
    assert_eq!(h.fake.started(), ["web", "web"]);
    assert!(
        matches!(h.app.screen, Screen::Details(_)),
        "still on the details"
    );
}

/// Makes VM `pc` a BIOS PC with one CD/DVD drive holding `iso` (or none), and the app read it.
fn firmware_pc(h: &mut Harness, iso: Option<&Path>) {
    use vmm_core::config::{BootSource, CdromConfig};
    let mut cfg = VmConfig::load(&h.paths.vm_config("pc")).unwrap();
    cfg.boot = BootSource::Bios {
        firmware: None,
        order: vec![],
        vga_rom: None,
    };
    cfg.cdroms = vec![CdromConfig {
        path: iso.map(Path::to_path_buf),
    }];
    crate::data::store::save(&h.paths, &cfg).unwrap();
    h.app.vms.entries = crate::data::store::list(&h.paths);
}

/// The disc requests the fake VMM got.
fn cd_cmds(h: &Harness) -> Vec<Command> {
    cmds(h)
        .into_iter()
        .filter(|c| matches!(c, Command::CdromEject(_) | Command::CdromInsert(_)))
        .collect()
}

fn medium(h: &Harness) -> Option<std::path::PathBuf> {
    VmConfig::load(&h.paths.vm_config("pc")).unwrap().cdroms[0]
        .path
        .clone()
}

fn media(m: details::media::Message) -> Message {
    Message::Details(details::Message::Media(m))
}

#[test]
fn a_running_vms_disc_changes_through_its_vmm_and_stays_in_vm_toml() {
    use vmm_core::api::{CdromEject, CdromInsert, ErrorCode};
    let mut h = Harness::new(&[("pc", "PC")]);
    let dir = h.paths.data_dir.clone();
    let isos = ["debian.iso", "tools.iso"].map(|f| {
        let spec = testing::IsoSpec {
            volume_id: "Debian 12.5.0 amd64 n",
            ..Default::default()
        };
        testing::xorriso_iso(&dir, f, spec)
    });
    let [Ok(debian), Ok(tools)] = isos else {
        return testing::skip_or_fail("xorriso (Debian package xorriso) cannot make test ISOs");
    };
    firmware_pc(&mut h, Some(&debian));
    h.fake.set_running("pc", RunState::Running);
    h.poll();
    h.send(Message::Library(library::Message::Open("pc".into())));
    assert!(h.shows("CD/DVD"));
    assert!(h.shows("debian.iso"), "the medium's name");
    assert!(h.shows(&debian.display().to_string()), "and its full path");
    assert!(h.shows("Firmware and boot order can change while the VM is stopped."));

    // Eject: the VMM is told, vm.toml's drive is empty.
    tall(&mut h, |ui| {
        ui.click("Eject").unwrap();
    });
    assert_eq!(cd_cmds(&h), [Command::from(CdromEject { drive: 0 })]);
    assert_eq!(medium(&h), None);
    assert!(h.shows("Empty"));

    // A text file is refused with the reason; nothing is sent.
    let notes = dir.join("notes.txt");
    std::fs::write(&notes, "not a disc\n").unwrap();
    tall(&mut h, |ui| {
        ui.click("Insert ISO…").unwrap();
    });
    tall(&mut h, |ui| {
        ui.click(iced::widget::Id::new(details::media::ISO_PATH_ID))
            .unwrap();
        ui.typewrite(&notes.display().to_string());
    });
    tall(&mut h, |ui| {
        ui.click("Insert").unwrap();
    });
    assert!(h.shows(&format!(
        "{} is neither an ISO image nor a disk image: no ISO 9660 volume descriptor, no qcow2 header and no partition table or boot sector",
        notes.display()
    )));
    assert_eq!(cd_cmds(&h).len(), 1, "nothing sent for a text file");
    assert_eq!(medium(&h), None);

    // An ISO goes in, by its absolute path.
    h.send(media(details::media::Message::PathEdit(
        tools.display().to_string(),
    )));
    tall(&mut h, |ui| {
        ui.click("Insert").unwrap();
    });
    assert_eq!(
        cd_cmds(&h)[1],
        Command::from(CdromInsert {
            drive: 0,
            path: tools.display().to_string()
        })
    );
    assert_eq!(medium(&h), Some(tools.clone()));
    assert!(h.shows("tools.iso"));

    // The guest locks the tray: the refusal shows, vm.toml keeps the disc.
    h.fake
        .refuse_next(ErrorCode::InvalidState, "the guest has locked the tray");
    tall(&mut h, |ui| {
        ui.click("Eject").unwrap();
    });
    assert!(h.shows("The VM refused: the guest has locked the tray"));
    assert_eq!(medium(&h), Some(tools.clone()));

    // A disc whose file went away is pointed out (the VM would not start with it).
    std::fs::remove_file(&tools).unwrap();
    h.send(Message::Library(library::Message::Open("pc".into())));
    assert!(h.shows(
        "This file is not there any more: eject it or insert another ISO, or the VM cannot start."
    ));
}

#[test]
fn a_stopped_vms_firmware_boot_order_and_drives_are_edited_in_vm_toml() {
    use vmm_core::config::{BootDevice, BootSource};
    let mut h = Harness::new(&[("pc", "PC"), ("kernel", "Kernel")]);
    // A Linux-kernel VM has no CD/DVD section (it boots its kernel, no firmware).
    h.send(Message::Library(library::Message::Open("kernel".into())));
    assert!(!h.shows("CD/DVD"));
    assert!(!h.shows("Boot order"));

    // A BIOS PC without a drive can get one while stopped.
    firmware_pc(&mut h, None);
    let mut cfg = VmConfig::load(&h.paths.vm_config("pc")).unwrap();
    cfg.cdroms.clear();
    crate::data::store::save(&h.paths, &cfg).unwrap();
    h.app.vms.entries = crate::data::store::list(&h.paths);
    h.send(Message::Library(library::Message::Open("pc".into())));
    assert!(h.shows("No CD/DVD drive."));
    tall(&mut h, |ui| {
        ui.click("Add CD/DVD drive").unwrap();
    });
    assert_eq!(
        VmConfig::load(&h.paths.vm_config("pc"))
            .unwrap()
            .cdroms
            .len(),
        1
    );
    assert!(h.shows("Empty"));

    // Stopped: a disc goes into vm.toml only.
    let spec = testing::IsoSpec {
        volume_id: "Fedora-WS-Live-40-1-14",
        ..Default::default()
    };
    let iso = match testing::xorriso_iso(&h.paths.data_dir, "fedora.iso", spec) {
        Ok(p) => Some(p),
        Err(e) => {
            testing::skip_or_fail(&e);
            None
        }
    };
    if let Some(iso) = &iso {
        tall(&mut h, |ui| {
            ui.click("Insert ISO…").unwrap();
        });
        tall(&mut h, |ui| {
            ui.click(iced::widget::Id::new(details::media::ISO_PATH_ID))
                .unwrap();
            ui.typewrite(&iso.display().to_string());
            ui.tap_key(iced::keyboard::key::Named::Enter);
        });
        assert_eq!(medium(&h).as_ref(), Some(iso));
        assert!(h.shows("fedora.iso"));
        assert!(cd_cmds(&h).is_empty(), "a stopped VM's VMM is not asked");
    }

    // Firmware and boot order: saved with the other settings.
    h.send(media(details::media::Message::Firmware(
        details::media::FirmwareChoice(crate::data::osinfo::Firmware::Uefi),
    )));
    h.send(media(details::media::Message::Order(
        details::media::Order::DiskFirst,
    )));
    tall(&mut h, |ui| {
        ui.click("Save").unwrap();
    });
    assert!(h.shows("Saved."));
    let cfg = VmConfig::load(&h.paths.vm_config("pc")).unwrap();
    assert_eq!(
        cfg.boot,
        BootSource::Uefi {
            firmware: None,
            vars: None,
            order: vec![BootDevice::Disk, BootDevice::Cdrom],
        }
    );
    assert_eq!(cfg.cdroms[0].path, iso, "saving keeps the disc");

    // Back to BIOS: the UEFI variables stay (said so), the order is kept.
    let vars = h.paths.vm_dir("pc").join("OVMF_VARS.fd");
    std::fs::write(&vars, b"boot entries").unwrap();
    h.send(media(details::media::Message::Firmware(
        details::media::FirmwareChoice(crate::data::osinfo::Firmware::Bios),
    )));
    assert!(h.shows("The UEFI variables (OVMF_VARS.fd) stay in the VM's folder."));
    h.send(media(details::media::Message::Order(
        details::media::Order::Auto,
    )));
    tall(&mut h, |ui| {
        ui.click("Save").unwrap();
    });
    let cfg = VmConfig::load(&h.paths.vm_config("pc")).unwrap();
    assert_eq!(
        cfg.boot,
        BootSource::Bios {
            firmware: None,
            order: vec![],
            vga_rom: None,
        }
    );
    assert!(vars.is_file());
    // Automatic: the CD/DVD first while it holds the installer.
    if iso.is_some() {
        assert_eq!(cfg.boot_order(), [BootDevice::Cdrom, BootDevice::Disk]);
    }

    // Running: firmware and order are read-only (edits are ignored), discs still change.
    tall(&mut h, |ui| {
        ui.click("Start").unwrap();
    });
    h.send(media(details::media::Message::Firmware(
        details::media::FirmwareChoice(crate::data::osinfo::Firmware::Uefi),
    )));
    assert!(h.shows("Firmware and boot order can change while the VM is stopped."));
    assert!(!h.shows("The UEFI variables (OVMF_VARS.fd) stay in the VM's folder."));
}

/// Writes snapshot `id` of VM `vm` into its folder, taken with `cfg`.
fn snapshot_on_disk(h: &Harness, vm: &str, id: &str, name: &str, cfg: &VmConfig) {
    let dir = h.paths.vm_dir(vm).join("snapshots").join(id);
    std::fs::create_dir_all(&dir).unwrap();
    let meta = serde_json::json!({
        "id": id, "name": name, "description": "", "created_unix_ms": 1000,
        "parent": null, "config": cfg, "memory_pages": 1, "has_screen": false,
    });
    std::fs::write(dir.join("meta.json"), meta.to_string()).unwrap();
}

/// Issue 15: a start from a snapshot that the VMM refuses says why where the user acted (the
/// notice and the details), not only on the library card and in vmm.log.
#[test]
fn a_refused_start_from_a_snapshot_says_why_in_the_details() {
    let mut h = Harness::new(&[("web", "Web")]);
    let cfg = VmConfig::load(&h.paths.vm_config("web")).unwrap();
    snapshot_on_disk(&h, "web", "s1", "Base", &cfg);
    let why = "restoring snapshot s1: snapshot s1 has 1 vCPUs and 128 MiB; this VM has 1 and 256";
    std::fs::write(
        h.paths.vmm_log("web"),
        format!("vmdesk-vmm: warning: KVM is slow here\nvmdesk-vmm: {why}\n"),
    )
    .unwrap();
    h.send(Message::Library(library::Message::Open("web".into())));
    h.ui(|ui| {
        ui.click("Snapshots (1)").unwrap();
    });
    h.fake.fail_next_start(vmm_core::api::exit_code::VMM_ERROR);
    h.ui(|ui| {
        ui.click("Start here").unwrap();
    });
    h.ui(|ui| {
        ui.click("Start here").unwrap();
    });
    assert_eq!(h.fake.restored(), [("web".to_string(), "s1".to_string())]);
    assert!(h.shows(&format!("“Web” did not start: {why}")));
    assert!(
        h.shows(&format!(
            "vmdesk-vmm: warning: KVM is slow here\nvmdesk-vmm: {why}"
        )),
        "the details show the VMM's last words"
    );
}

/// Issue 15: saving hardware a snapshot was not taken with asks first.
#[test]
fn saving_a_change_that_strands_snapshots_asks_first() {
    let mut h = Harness::new(&[("web", "Web")]);
    let cfg = VmConfig::load(&h.paths.vm_config("web")).unwrap();
    snapshot_on_disk(&h, "web", "s1", "Base", &cfg);
    h.send(Message::Library(library::Message::Open("web".into())));
    let memory = |h: &Harness| {
        VmConfig::load(&h.paths.vm_config("web"))
            .unwrap()
            .memory_mib
    };
    let set_memory = |h: &mut Harness| {
        h.send(Message::Details(details::Message::Form(
            crate::ui::form::Message::Edit(Field::Memory, "2048".into()),
        )));
        h.ui(|ui| {
            ui.click("Save").unwrap();
        });
    };
    set_memory(&mut h);
    let warning = "The snapshot “Base” was taken with other hardware (vCPUs, memory or disks): \
                   after this change the VM cannot be started from it.";
    assert!(h.shows(warning));
    assert_eq!(memory(&h), 1024, "nothing saved yet");
    h.ui(|ui| {
        ui.click("Keep the snapshots usable").unwrap();
    });
    assert!(!h.shows(warning));
    assert_eq!(memory(&h), 1024);
    h.ui(|ui| {
        ui.click("Save").unwrap();
    });
    h.ui(|ui| {
        ui.click("Save anyway").unwrap();
    });
    assert_eq!(memory(&h), 2048);
    assert!(h.shows("Saved."));
}

/// Issue 15: every Browse… says so when no file chooser can open (the test build has none),
/// instead of doing nothing.
#[test]
fn browse_without_a_file_chooser_says_why() {
    let mut h = Harness::new(&[("web", "Web")]);
    h.send(Message::Library(library::Message::Open("web".into())));
    let none = "No file chooser could open (it needs xdg-desktop-portal, zenity or kdialog): \
                type the file's full path instead.";
    assert!(!h.shows(none));
    // The kernel's Browse…, the first on the page.
    h.ui(|ui| {
        ui.click("Browse…").unwrap();
    });
    assert!(h.shows(none));
    h.send(Message::Details(details::Message::Hw(
        crate::ui::hardware::Message::Browse,
    )));
    let Screen::Details(d) = &h.app.screen else {
        panic!("not the details");
    };
    assert!(d.hw.no_chooser);
}
