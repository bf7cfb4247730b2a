//! The wizard: what it writes, what it refuses, and the disks it makes.

use super::*;

#[test]
fn the_wizard_writes_a_vm_config_on_disk() {
    let mut h = Harness::new(&[]);
    assert!(h.shows("No virtual machines yet"));
    h.ui(|ui| {
        ui.click("New VM").unwrap();
    });
    assert!(matches!(h.app.screen, Screen::Wizard(_)));
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

fn hw(m: crate::ui::hardware::Message) -> Message {
    Message::Wizard(crate::ui::screen::wizard::Message::Hw(m))
}

#[test]
fn the_wizard_creates_a_vm_with_a_new_disk() {
    use crate::ui::hardware::{DisplayChoice, HwField, Message as Hw};
    let mut h = Harness::new(&[]);
    h.send(Message::Shortcut(Shortcut::New));
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
    let passt = vmm_core::net::passt::find_passt().is_some();
    assert_eq!(
        cfg.nics.len(),
        usize::from(passt),
        "network on when passt is there"
    );
    cfg.validate(&HOST.limits()).unwrap();
}

#[test]
fn the_wizard_uses_an_existing_image_through_a_linked_clone_and_explains_bad_paths() {
    use crate::ui::hardware::{HwField, Message as Hw};
    let mut h = Harness::new(&[]);
    h.send(Message::Shortcut(Shortcut::New));
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
