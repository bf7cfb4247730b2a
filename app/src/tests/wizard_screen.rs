//! The wizard: what it writes, what it refuses, and the disks it makes.

use super::*;
use crate::ui::screen::wizard::{Kind, Message as Wm};

#[test]
fn the_wizard_writes_a_vm_config_on_disk() {
    let mut h = Harness::new(&[]);
    assert!(h.shows("No virtual machines yet"));
    h.ui(|ui| {
        ui.click("New VM").unwrap();
    });
    assert!(matches!(h.app.screen, Screen::Wizard(_)));
    // Installing from a file is offered first; the kernel is the other way.
    assert!(h.shows("Install from an ISO or disk image"));
    h.ui(|ui| {
        ui.click("Boot a Linux kernel").unwrap();
    });
    let kernel = testing::fake_kernel(h._root.path());
    h.ui(|ui| {
        ui.click(iced::widget::Id::new(Field::Name.id())).unwrap();
        ui.typewrite("Test VM");
    });
    h.ui(|ui| {
        ui.click(iced::widget::Id::new(Field::Kernel.id())).unwrap();
        ui.typewrite(&kernel.display().to_string());
    });
    assert!(h.shows("Folder and socket name: test-vm"));
    h.ui(|ui| {
        ui.click("Create").unwrap();
    });
    assert!(matches!(h.app.screen, Screen::Library));
    let cfg = VmConfig::load(&h.paths.vm_config("test-vm")).unwrap();
    assert_eq!(cfg.name, "Test VM");
    assert_eq!((cfg.vcpus, cfg.memory_mib), (2, 1024), "host defaults");
    cfg.validate(&HOST.limits()).unwrap();
    assert!(h.shows("Test VM"));
    assert!(h.shows("“Test VM” was created."));
}

#[test]
fn invalid_wizard_input_shows_its_reason_and_creates_nothing() {
    let mut h = Harness::new(&[]);
    h.send(Message::Shortcut(Shortcut::New));
    linux(&mut h);
    h.ui(|ui| {
        ui.click(iced::widget::Id::new(Field::Vcpus.id())).unwrap();
        ui.typewrite("x");
    });
    assert!(h.shows("Enter a whole number."));
    // Untouched fields stay quiet until Create.
    assert!(!h.shows("Give the VM a name."));
    h.ui(|ui| {
        ui.click(iced::widget::Id::new(Field::Kernel.id())).unwrap();
        ui.typewrite("/nonexistent/vmlinuz");
    });
    assert!(h.shows("There is no file at this path."));
    h.ui(|ui| {
        ui.click("Create").unwrap();
    });
    assert!(h.shows("Give the VM a name."));
    assert!(h.shows("Fix the 3 fields marked in red."));
    assert!(matches!(h.app.screen, Screen::Wizard(_)));
    assert!(
        !h.paths.vms_dir().exists() || std::fs::read_dir(h.paths.vms_dir()).unwrap().count() == 0
    );
}

/// The wizard's direct-kernel page.
fn linux(h: &mut Harness) {
    h.send(wiz(Wm::Kind(Kind::Linux)));
}

fn wiz(m: Wm) -> Message {
    Message::Wizard(m)
}

fn hw(m: crate::ui::hardware::Message) -> Message {
    Message::Wizard(crate::ui::screen::wizard::Message::Hw(m))
}

#[test]
fn the_wizard_creates_a_vm_with_a_new_disk() {
    use crate::ui::hardware::{DisplayChoice, HwField, Message as Hw};
    let mut h = Harness::new(&[]);
    h.send(Message::Shortcut(Shortcut::New));
    linux(&mut h);
    let kernel = testing::fake_kernel(h._root.path());
    h.ui(|ui| {
        ui.click(iced::widget::Id::new(Field::Name.id())).unwrap();
        ui.typewrite("Disk VM");
    });
    h.ui(|ui| {
        ui.click(iced::widget::Id::new(Field::Kernel.id())).unwrap();
        ui.typewrite(&kernel.display().to_string());
    });
    assert!(h.shows("The guest boots from its kernel and initrd alone."));
    h.ui(|ui| {
        ui.click("New disk").unwrap();
    });
    // The default size is offered; a bad one shows its reason.
    h.ui(|ui| {
        ui.click(iced::widget::Id::new(HwField::DiskSize.id()))
            .unwrap();
        ui.typewrite("x");
    });
    assert!(h.shows("Enter a whole number."));
    h.send(hw(Hw::Edit(HwField::DiskSize, "99999999".into())));
    assert!(h.shows("At most 65536 GiB."));
    h.ui(|ui| {
        ui.click("Create").unwrap();
    });
    let Screen::Wizard(w) = &h.app.screen else {
        panic!("the wizard stays")
    };
    assert_eq!(w.hw_problems.len(), 1);
    assert!(h.shows("Fix the field marked in red."));
    assert!(!h.paths.vm_dir("disk-vm").exists());
    h.send(hw(Hw::Edit(HwField::DiskSize, "1".into())));
    h.send(hw(Hw::Display(DisplayChoice(Some((800, 600))))));
    // The disk is made by a task: until it reports, the wizard says so and takes no second
    // Create or Cancel.
    let task = h
        .app
        .update(Message::Wizard(crate::ui::screen::wizard::Message::Create));
    assert!(h.shows("Creating the VM and its disk…"));
    assert!(h.shows("Creating…"));
    h.send(Message::Wizard(crate::ui::screen::wizard::Message::Cancel));
    assert!(matches!(h.app.screen, Screen::Wizard(_)));
    let done: Vec<_> = iced::futures::executor::block_on(iced::futures::StreamExt::collect(
        iced_runtime::task::into_stream(task).unwrap(),
    ));
    for a in done {
        if let iced_runtime::Action::Output(m) = a {
            h.send(m);
        }
    }
    assert!(matches!(h.app.screen, Screen::Library));
    assert!(h.shows("“Disk VM” was created."));
    let cfg = VmConfig::load(&h.paths.vm_config("disk-vm")).unwrap();
    assert_eq!(cfg.disks.len(), 1);
    let disk = &cfg.disks[0];
    assert_eq!(
        disk.path,
        h.paths.vm_dir("disk-vm").join("disks/disk.qcow2")
    );
    let info = vmm_core::storage::image_info(&disk.path).unwrap();
    assert_eq!(info.format, vmm_core::storage::ImageFormat::Qcow2);
    assert_eq!(info.virtual_size, 1 << 30);
    assert!(!disk.read_only);
    let d = cfg.display.as_ref().unwrap();
    assert_eq!((d.width, d.height), (800, 600));
    let passt = vmm_core::net::user_network_available();
    assert_eq!(
        cfg.nics.len(),
        usize::from(passt),
        "network on when passt or libslirp is there"
    );
    cfg.validate(&HOST.limits()).unwrap();
}

#[test]
fn the_wizard_uses_an_existing_image_through_a_linked_clone_and_explains_bad_paths() {
    use crate::ui::hardware::{HwField, Message as Hw};
    let mut h = Harness::new(&[]);
    h.send(Message::Shortcut(Shortcut::New));
    linux(&mut h);
    let kernel = testing::fake_kernel(h._root.path());
    h.ui(|ui| {
        ui.click(iced::widget::Id::new(Field::Name.id())).unwrap();
        ui.typewrite("Img");
    });
    h.ui(|ui| {
        ui.click(iced::widget::Id::new(Field::Kernel.id())).unwrap();
        ui.typewrite(&kernel.display().to_string());
    });
    h.ui(|ui| {
        ui.click("Existing image").unwrap();
    });
    h.ui(|ui| {
        ui.click(iced::widget::Id::new(HwField::DiskPath.id()))
            .unwrap();
        ui.typewrite("/nonexistent/base.qcow2");
    });
    assert!(h.shows("There is no file at this path."));
    let bad = h._root.path().join("bad.qcow2");
    std::fs::write(&bad, b"QFI\xfb").unwrap();
    h.send(hw(Hw::Edit(HwField::DiskPath, bad.display().to_string())));
    let Screen::Wizard(w) = &h.app.screen else {
        panic!()
    };
    let reason = &w.hw_problems[0].1;
    assert!(reason.contains("bad.qcow2"), "the file is named: {reason}");
    assert!(h.shows(reason));
    let base = h._root.path().join("base.img");
    std::fs::write(&base, vec![1u8; 2 << 20]).unwrap();
    h.send(hw(Hw::Edit(HwField::DiskPath, base.display().to_string())));
    assert!(h.shows("raw image, 2.0 MiB."));
    h.ui(|ui| {
        ui.click("Create").unwrap();
    });
    let cfg = VmConfig::load(&h.paths.vm_config("img")).unwrap();
    let info = vmm_core::storage::image_info(&cfg.disks[0].path).unwrap();
    assert_eq!(
        info.backing_chain,
        std::slice::from_ref(&base),
        "a linked clone by default"
    );
    assert!(cfg.disks[0].path.starts_with(h.paths.vm_dir("img")));
}

use crate::data::osinfo::{self, Detection, Firmware, Notice};
use crate::ui::screen::wizard::install::FILE_ID;
use vmm_core::config::{BootDevice, BootSource};

/// Types `path` into the install page's file field (detection runs as the tasks settle).
fn choose_file(h: &mut Harness, path: &Path) {
    h.ui(|ui| {
        ui.click(iced::widget::Id::new(FILE_ID)).unwrap();
        ui.typewrite(&path.display().to_string());
    });
}

fn wizard(h: &Harness) -> &crate::ui::screen::wizard::Wizard {
    match &h.app.screen {
        Screen::Wizard(w) => w,
        _ => panic!("the wizard does not show"),
    }
}

/// The boot order of a firmware VM.
fn order(boot: &BootSource) -> &[BootDevice] {
    match boot {
        BootSource::Uefi { order, .. } | BootSource::Bios { order, .. } => order,
        BootSource::Linux { .. } => panic!("a firmware VM was expected"),
    }
}

/// A small ISO with these labels, or `None` (skipped) without xorriso.
fn iso(dir: &Path, file: &str, volume_id: &str) -> Option<std::path::PathBuf> {
    let spec = testing::IsoSpec {
        volume_id,
        system_id: "LINUX",
        publisher: "",
        application: "",
    };
    match testing::xorriso_iso(dir, file, spec) {
        Ok(p) => Some(p),
        Err(e) => {
            testing::skip_or_fail(&e);
            None
        }
    }
}

/// The name the wizard gives a VM for this detection (before it is made unique).
fn base_name(d: &Detection) -> String {
    match &d.os {
        Some(os) => os.name.clone(),
        None => d.path.file_stem().unwrap().to_string_lossy().into_owned(),
    }
}

#[test]
fn an_iso_fills_the_form_from_its_detection_and_the_vm_boots_its_cd_after_its_disk() {
    let media = tempfile::tempdir().unwrap();
    // osinfo-db's pattern for Debian 11 (the db here has no Debian 12).
    let Some(iso) = iso(
        media.path(),
        "debian-11.7.0-amd64-netinst.iso",
        "Debian 11.7.0 amd64 n",
    ) else {
        return;
    };
    let want = osinfo::detect(&iso, HOST.cpus).unwrap();
    // A VM of that name exists: the new one's name is made unique.
    let base = base_name(&want);
    let mut h = Harness::new(&[(&crate::data::store::derive_id(&base, &[]), &base)]);
    h.send(Message::Shortcut(Shortcut::New));
    assert!(h.shows(
        "An installer ISO goes into the VM's CD drive; a disk image becomes its boot disk."
    ));
    choose_file(&mut h, &iso);
    let w = wizard(&h);
    assert_eq!(w.install.detection(), Some(&want));
    assert_eq!(w.form.name, format!("{base} (2)"));
    assert_eq!(
        w.form.memory,
        want.resources.memory_mib.min(HOST.memory_mib).to_string()
    );
    assert_eq!(w.form.vcpus, want.resources.vcpus.to_string());
    assert_eq!(w.hw.disk_size, want.resources.disk_gib.to_string());
    assert_eq!(w.install.firmware(), want.firmware);
    assert_eq!(w.hw.storage, crate::ui::hardware::StorageKind::New);
    match &want.os {
        Some(_) => {
            let title = crate::ui::screen::wizard::install::os_title(&want).unwrap();
            assert!(h.shows(&title), "the OS shows: {title}");
        }
        None => assert!(h.shows("Unknown OS — generic settings")),
    }
    assert!(h.shows("Installer medium (ISO): it goes into the VM's CD drive."));
    h.ui(|ui| {
        ui.click("Create").unwrap();
    });
    assert!(matches!(h.app.screen, Screen::Library), "created");
    let id = crate::data::store::derive_id(&format!("{base} (2)"), &[]);
    let toml = std::fs::read_to_string(h.paths.vm_config(&id)).unwrap();
    // As written: what the VMM reads.
    let raw: toml::Value = toml::from_str(&toml).unwrap();
    assert_eq!(raw["boot"]["order"].to_string(), r#"["disk", "cdrom"]"#);
    assert_eq!(
        raw["cdroms"][0]["path"].as_str(),
        Some(iso.to_str().unwrap()),
        "{toml}"
    );
    let cfg = VmConfig::load(&h.paths.vm_config(&id)).unwrap();
    assert_eq!(cfg.cdroms.len(), 1);
    assert_eq!(cfg.cdroms[0].path.as_deref(), Some(iso.as_path()));
    assert_eq!(Firmware::of(&cfg.boot), Some(want.firmware));
    assert_eq!(order(&cfg.boot), [BootDevice::Disk, BootDevice::Cdrom]);
    assert_eq!(cfg.os, want.os.as_ref().map(|o| o.guest_os()));
    assert_eq!(
        cfg.memory_mib,
        want.resources.memory_mib.min(HOST.memory_mib)
    );
    assert_eq!(cfg.disks.len(), 1, "a new disk to install onto");
    let info = vmm_core::storage::image_info(&cfg.disks[0].path).unwrap();
    assert_eq!(info.virtual_size, want.resources.disk_gib << 30);
    assert!(cfg.display.is_some(), "the installer needs a screen");
    let passt = vmm_core::net::user_network_available();
    assert_eq!(cfg.nics.len(), usize::from(passt));
    cfg.validate(&HOST.limits()).unwrap();
}

#[test]
fn an_unknown_iso_gets_generic_settings_with_a_notice_and_the_firmware_can_be_changed() {
    let mut h = Harness::new(&[]);
    let Some(iso) = iso(h._root.path(), "homebrew.iso", "VMDESK HOMEBREW 1") else {
        return;
    };
    let want = osinfo::detect(&iso, HOST.cpus).unwrap();
    assert!(want.os.is_none() && want.notice.is_some());
    h.send(Message::Shortcut(Shortcut::New));
    choose_file(&mut h, &iso);
    assert!(h.shows("Unknown OS — generic settings"));
    match want.notice {
        Some(Notice::UnknownOs) => assert!(h.shows(
            "The OS database does not know this medium, so the settings below are generic ones. Give the VM more if its OS needs it."
        )),
        Some(Notice::NoDatabase { reason }) => assert!(h.shows(&format!(
            "The OS database (osinfo-db) cannot be read ({reason}), so the OS is not recognised and the settings below are generic ones. To install it: sudo apt install osinfo-db"
        ))),
        None => unreachable!(),
    }
    let w = wizard(&h);
    assert_eq!(w.form.name, "homebrew", "named after the file");
    assert_eq!(w.form.memory, osinfo::GENERIC_MEMORY_MIB.to_string());
    assert_eq!(w.hw.disk_size, osinfo::GENERIC_DISK_GIB.to_string());
    // Everything stays editable: BIOS instead, and a smaller disk.
    h.ui(|ui| {
        ui.click("BIOS (legacy)").unwrap();
    });
    assert_eq!(wizard(&h).install.firmware(), Firmware::Bios);
    h.send(hw(crate::ui::hardware::Message::Edit(
        crate::ui::hardware::HwField::DiskSize,
        "2".into(),
    )));
    h.ui(|ui| {
        ui.click("Create").unwrap();
    });
    let cfg = VmConfig::load(&h.paths.vm_config("homebrew")).unwrap();
    assert!(
        matches!(cfg.boot, BootSource::Bios { .. }),
        "{:?}",
        cfg.boot
    );
    assert_eq!(order(&cfg.boot), [BootDevice::Disk, BootDevice::Cdrom]);
    assert_eq!(cfg.os, None);
    assert_eq!(cfg.cdroms[0].path.as_deref(), Some(iso.as_path()));
    let info = vmm_core::storage::image_info(&cfg.disks[0].path).unwrap();
    assert_eq!(info.virtual_size, 2 << 30);
}

#[test]
fn a_file_that_is_neither_an_iso_nor_a_disk_image_is_refused_with_the_reason() {
    let mut h = Harness::new(&[]);
    h.send(Message::Shortcut(Shortcut::New));
    let Screen::Wizard(w) = &h.app.screen else {
        panic!()
    };
    assert_eq!(w.kind, Kind::Install, "installing is the first choice");
    let txt = h._root.path().join("notes.txt");
    std::fs::write(&txt, "hello").unwrap();
    choose_file(&mut h, &txt);
    assert!(h.shows(
        "notes.txt is neither an ISO image nor a disk image (no ISO 9660 volume descriptor, no qcow2 header and no partition table or boot sector)."
    ));
    // Create is off: pressing it does nothing, and nothing is made.
    h.ui(|ui| {
        ui.click("Create").unwrap();
    });
    assert!(matches!(h.app.screen, Screen::Wizard(_)));
    assert!(
        !h.paths.vms_dir().exists() || std::fs::read_dir(h.paths.vms_dir()).unwrap().count() == 0
    );
    // A path with nothing there says so; a cleared field asks for a file.
    h.send(wiz(Wm::Install(
        crate::ui::screen::wizard::install::Message::Edit("/nonexistent/x.iso".into()),
    )));
    assert!(h.shows("There is no file at this path."));
    h.send(wiz(Wm::Install(
        crate::ui::screen::wizard::install::Message::Edit(String::new()),
    )));
    assert!(h.shows("Choose an ISO image or a disk image."));
}

#[test]
fn a_disk_image_becomes_the_boot_disk_through_a_linked_clone_on_uefi_without_a_cd() {
    let mut h = Harness::new(&[]);
    let img = h._root.path().join("cloud.img");
    let mut mbr = vec![0u8; 2 << 20];
    mbr[510] = 0x55;
    mbr[511] = 0xaa;
    std::fs::write(&img, &mbr).unwrap();
    let want = osinfo::detect(&img, HOST.cpus).unwrap();
    h.send(Message::Shortcut(Shortcut::New));
    choose_file(&mut h, &img);
    assert!(h.shows("Disk image (raw, 2.0 MiB): it becomes the VM's boot disk."));
    if want.notice == Some(Notice::UnknownOs) {
        assert!(h.shows("The system inside a disk image is not recognised, so the settings below are generic ones. Give the VM more if its OS needs it."));
    }
    let w = wizard(&h);
    assert_eq!(w.hw.storage, crate::ui::hardware::StorageKind::Existing);
    assert_eq!(w.hw.disk_path, img.display().to_string());
    assert_eq!(w.install.firmware(), want.firmware);
    h.ui(|ui| {
        ui.click("Create").unwrap();
    });
    let cfg = VmConfig::load(&h.paths.vm_config("cloud")).unwrap();
    assert!(cfg.cdroms.is_empty(), "no CD-ROM drive");
    assert_eq!(Firmware::of(&cfg.boot), Some(want.firmware));
    assert_eq!(order(&cfg.boot), [BootDevice::Disk]);
    let info = vmm_core::storage::image_info(&cfg.disks[0].path).unwrap();
    assert_eq!(
        info.backing_chain,
        std::slice::from_ref(&img),
        "a linked clone"
    );
    cfg.validate(&HOST.limits()).unwrap();
}

#[test]
fn opening_a_file_shows_the_wizard_with_it_detected() {
    let mut h = Harness::new(&[]);
    let img = h._root.path().join("disk.img");
    let mut mbr = vec![0u8; 1 << 20];
    mbr[510] = 0x55;
    mbr[511] = 0xaa;
    std::fs::write(&img, &mbr).unwrap();
    let task = h.app.open_file(&img);
    let w = wizard(&h);
    assert!(w.install.detecting, "detection runs off the UI thread");
    assert_eq!(w.install.file, img.display().to_string());
    let done: Vec<_> = iced::futures::executor::block_on(iced::futures::StreamExt::collect(
        iced_runtime::task::into_stream(task).unwrap(),
    ));
    for a in done {
        if let iced_runtime::Action::Output(m) = a {
            h.send(m);
        }
    }
    let w = wizard(&h);
    assert_eq!(
        w.install.detection(),
        Some(&osinfo::detect(&img, HOST.cpus).unwrap())
    );
    assert_eq!(w.form.name, "disk");

    // While the first-run check shows, the file waits for it to pass.
    let mut h = Harness::new(&[]);
    h.app.checked(vec![Finding::KvmNoAccess]);
    let _ = h.app.open_file(&img);
    assert!(matches!(h.app.screen, Screen::Check(_)));
    h.send(Message::Checked(Vec::new()));
    assert_eq!(wizard(&h).install.file, img.display().to_string());
    assert!(wizard(&h).install.detection().is_some(), "and is looked at");
}

#[test]
fn without_osinfo_db_the_wizard_says_how_to_install_it() {
    let mut h = Harness::new(&[]);
    h.send(Message::Shortcut(Shortcut::New));
    let img = h._root.path().join("x.img");
    let mut mbr = vec![0u8; 1 << 20];
    mbr[510] = 0x55;
    mbr[511] = 0xaa;
    std::fs::write(&img, &mbr).unwrap();
    // What detect() answers when /usr/share/osinfo is missing.
    let without_db = Detection {
        os: None,
        notice: Some(Notice::NoDatabase {
            reason: "/usr/share/osinfo: No such file or directory".into(),
        }),
        ..osinfo::detect(&img, HOST.cpus).unwrap()
    };
    let Screen::Wizard(w) = &mut h.app.screen else {
        panic!()
    };
    w.install.file = img.display().to_string();
    w.install.result = Some(Ok(without_db));
    assert!(h.shows("Unknown OS — generic settings"));
    assert!(h.shows(
        "The OS database (osinfo-db) cannot be read (/usr/share/osinfo: No such file or directory), so the OS is not recognised and the settings below are generic ones. To install it: sudo apt install osinfo-db"
    ));
    assert!(h.shows("UEFI suits current systems; older ones may need BIOS."));
}

/// The Done-when of issue 14, with the values osinfo-db (Debian's 0.20221130) gives, written out
/// rather than computed: each ISO fills name, OS, memory, disk and firmware, and the VM written
/// has the CD drive, the disk → CD order, the firmware, and the disk bus the OS has drivers for.
#[test]
fn debian_ubuntu_fedora_and_windows_isos_fill_the_wizard_from_osinfo_db() {
    if !std::path::Path::new(crate::data::osinfo::SYSTEM_DB).is_dir() {
        return testing::skip_or_fail("osinfo-db is not installed (apt-get install osinfo-db)");
    }
    struct Case {
        volume_id: &'static str,
        publisher: &'static str,
        name: &'static str,
        memory: u64,
        disk_gib: u64,
        bus: vmm_core::config::DiskBus,
    }
    use vmm_core::config::DiskBus::{Sata, Virtio};
    let cases = [
        Case {
            volume_id: "Debian 11.7.0 amd64 n",
            publisher: "",
            name: "Debian 11",
            memory: 1024,
            disk_gib: 20,
            bus: Virtio,
        },
        Case {
            volume_id: "Ubuntu 22.04.1 LTS amd64",
            publisher: "",
            name: "Ubuntu 22.04 LTS",
            memory: 4096,
            disk_gib: 25,
            bus: Virtio,
        },
        Case {
            volume_id: "Fedora-WS-Live-37-1-7",
            publisher: "",
            name: "Fedora Linux 37",
            memory: 2048,
            disk_gib: 20,
            bus: Virtio,
        },
        // Windows 11: UEFI (it refuses BIOS), 4 GiB, 128 GiB, and a SATA disk (no virtio driver
        // on its installer).
        Case {
            volume_id: "CCCOMA_X64FRE_EN-US_DV9",
            publisher: "Microsoft Corporation",
            name: "Microsoft Windows 11",
            memory: 4096,
            disk_gib: 128,
            bus: Sata,
        },
    ];
    for c in cases {
        let mut h = Harness::new(&[]);
        let spec = testing::IsoSpec {
            volume_id: c.volume_id,
            publisher: c.publisher,
            ..Default::default()
        };
        let iso = match testing::xorriso_iso(h._root.path(), "medium.iso", spec) {
            Ok(p) => p,
            Err(e) => return testing::skip_or_fail(&e),
        };
        h.send(Message::Shortcut(Shortcut::New));
        choose_file(&mut h, &iso);
        let w = wizard(&h);
        assert_eq!(w.form.name, c.name, "{}", c.volume_id);
        assert_eq!(w.form.memory, c.memory.to_string(), "{}", c.name);
        assert_eq!(w.form.vcpus, "2", "{}", c.name);
        assert_eq!(w.hw.disk_size, c.disk_gib.to_string(), "{}", c.name);
        assert_eq!(w.install.firmware(), Firmware::Uefi, "{}", c.name);
        assert!(h.shows(c.name), "the OS name shows: {}", c.name);
        h.ui(|ui| {
            ui.click("Create").unwrap();
        });
        assert!(
            matches!(h.app.screen, Screen::Library),
            "{} created",
            c.name
        );
        let id = crate::data::store::derive_id(c.name, &[]);
        let cfg = VmConfig::load(&h.paths.vm_config(&id)).unwrap();
        assert_eq!(cfg.os.as_ref().map(|o| o.name.as_str()), Some(c.name));
        assert_eq!(cfg.cdroms[0].path.as_deref(), Some(iso.as_path()));
        assert!(matches!(cfg.boot, BootSource::Uefi { .. }), "{}", c.name);
        assert_eq!(order(&cfg.boot), [BootDevice::Disk, BootDevice::Cdrom]);
        assert_eq!(cfg.disks[0].bus.unwrap_or_default(), c.bus, "{}", c.name);
        cfg.validate(&HOST.limits()).unwrap();
    }
}
