//! A disk whose backing chain leaves the allowed places (issue 17 #1): the wizard and the
//! details show the chain and ask before the VM first uses it; a chain with a FIFO is refused
//! with no Allow button.

use super::*;
use crate::ui::hardware::{HwField, Message as Hw};
use crate::ui::screen::wizard::{Kind, Message as Wm};
use std::path::PathBuf;

/// `images/top.qcow2` over `elsewhere/base.qcow2` under `root`; returns the top and the real
/// `elsewhere` folder.
fn chain_across(root: &Path) -> (PathBuf, PathBuf) {
    let (top, base) = testing::chain_across(root, "elsewhere");
    (top, std::fs::canonicalize(base.parent().unwrap()).unwrap())
}

fn hw(m: Hw) -> Message {
    Message::Wizard(Wm::Hw(m))
}

/// The wizard on a direct-kernel VM "Img" with `image` typed as an existing disk.
fn wizard_with_image(h: &mut Harness, image: &Path) {
    h.send(Message::Shortcut(Shortcut::New));
    h.send(Message::Wizard(Wm::Kind(Kind::Linux)));
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
    h.send(hw(Hw::Edit(HwField::DiskPath, image.display().to_string())));
}

#[test]
fn the_wizard_shows_a_chain_leaving_the_folder_and_records_the_folder_when_allowed() {
    let mut h = Harness::new(&[]);
    let (top, elsewhere) = chain_across(h._root.path());
    wizard_with_image(&mut h, &top);
    let at = elsewhere.display().to_string();
    assert!(h.shows(&format!(
        "This disk reads from files in {at}. Allow vmdesk to use them?"
    )));
    assert!(h.shows(&format!("← base.qcow2 · qcow2 · 1.0 MiB · in {at}")));
    assert!(h.shows("outside the allowed places"));
    // Not answered: nothing is made.
    h.ui(|ui| {
        ui.click("Create").unwrap();
    });
    assert!(!h.paths.vm_config("img").exists());
    assert!(h.shows(
        "This disk reads from files outside its folder: allow them, or choose another image."
    ));
    // The answers are below the fold of the 1280 × 800 window: pressed as their messages.
    assert!(h.shows("Allow"));
    h.send(hw(Hw::AllowBacking));
    assert!(h.shows(&format!("Allowed: files in {at} (recorded in vm.toml).")));
    h.ui(|ui| {
        ui.click("Create").unwrap();
    });
    let cfg = VmConfig::load(&h.paths.vm_config("img")).unwrap();
    assert!(
        cfg.disks[0].allow_backing.contains(&elsewhere),
        "{:?}",
        cfg.disks[0].allow_backing
    );
    // The VMM opens the disk with what vm.toml records.
    vmm_core::storage::open_disks(&cfg.disks, &h.paths.vm_dir("img")).unwrap();
}

#[test]
fn cancelling_the_question_leaves_the_disk_unattached() {
    let mut h = Harness::new(&[]);
    let (top, _) = chain_across(h._root.path());
    wizard_with_image(&mut h, &top);
    assert!(h.shows("Don't use this disk"));
    h.send(hw(Hw::CancelBacking));
    assert!(!h.shows("Allow"));
    h.ui(|ui| {
        ui.click("Create").unwrap();
    });
    let cfg = VmConfig::load(&h.paths.vm_config("img")).unwrap();
    assert!(cfg.disks.is_empty(), "{:?}", cfg.disks);
}

#[test]
fn a_fifo_in_the_chain_is_refused_with_the_reason_and_no_allow_button() {
    let mut h = Harness::new(&[]);
    let (top, elsewhere) = chain_across(h._root.path());
    let base = elsewhere.join("base.qcow2");
    testing::replace_by_fifo(&base);
    wizard_with_image(&mut h, &top);
    assert!(h.shows("vmdesk will not use this disk"));
    assert!(!h.shows("Allow"), "nothing can allow a FIFO");
    let Screen::Wizard(w) = &h.app.screen else {
        panic!("not the wizard")
    };
    assert!(w.hw_problems[0].1.contains("FIFO"), "{:?}", w.hw_problems);
    h.ui(|ui| {
        ui.click("Create").unwrap();
    });
    assert!(!h.paths.vm_config("img").exists());
}

#[test]
fn the_details_show_a_disks_chain_and_allowing_it_is_saved_in_vm_toml() {
    let mut h = Harness::new(&[("web", "Web")]);
    let (top, elsewhere) = chain_across(h._root.path());
    let mut cfg = VmConfig::load(&h.paths.vm_config("web")).unwrap();
    cfg.disks.push(vmm_core::config::DiskConfig {
        path: top,
        ..Default::default()
    });
    crate::data::store::save(&h.paths, &cfg).unwrap();
    let client: Arc<dyn VmmClient> = h.fake.clone();
    h.app = App::new(h.paths.clone(), client, HOST);
    h.ui(|ui| {
        ui.click("Details").unwrap();
    });
    let at = elsewhere.display().to_string();
    assert!(h.shows(&format!("← base.qcow2 · qcow2 · 1.0 MiB · in {at}")));
    assert!(h.shows(&format!(
        "Reads from files in {at}, which this VM may not use: it will not start until you \
         allow them and save."
    )));
    assert!(h.shows("Allow"));
    h.send(Message::Details(details::Message::Hw(
        Hw::AllowDiskBacking(0),
    )));
    assert!(!h.shows("outside the allowed places"));
    h.ui(|ui| {
        ui.click("Save").unwrap();
    });
    let cfg = VmConfig::load(&h.paths.vm_config("web")).unwrap();
    assert_eq!(cfg.disks[0].allow_backing, [elsewhere]);
}
