//! Export (the details' ⋯ menu) and import (the library's header) through the file chooser.

use super::*;
use crate::ui::chooser::{self, Chosen};

#[test]
fn import_in_the_library_adds_the_vm_and_says_what_was_left_out() {
    let mut h = Harness::new(&[("web", "Web")]);
    let kernel = testing::fake_kernel(&h.paths.data_dir);
    let xml = h.paths.data_dir.join("guest.xml");
    std::fs::write(
        &xml,
        format!(
            "<domain type='kvm'><name>guest</name><title>Imported guest</title>\
             <memory unit='MiB'>128</memory><os><type arch='x86_64' machine='pc'>hvm</type>\
             <kernel>{}</kernel></os><devices><sound model='ich9'/></devices></domain>",
            kernel.display()
        ),
    )
    .unwrap();
    chooser::answer_next(Chosen::File(xml.clone()));
    h.ui(|ui| {
        ui.click("Import…").unwrap();
    });
    let req = chooser::last_request().expect("a chooser was opened");
    assert!(req.save_as.is_none(), "a file to open");
    assert!(req.filters[0].1.contains(&"xml"), "{:?}", req.filters);
    assert!(h.shows("Imported guest"), "the VM is in the library");
    assert!(h.paths.vm_config("guest").is_file());
    let n = h.app.notices.last().expect("a notice").text.clone();
    assert!(n.contains("imported as Imported guest"), "{n}");
    assert!(
        n.contains("<sound model='ich9'>: not supported, left out"),
        "{n}"
    );
    // A bad file: the reason, and nothing new in the library.
    std::fs::write(&xml, "<domain><name>x</name>").unwrap();
    chooser::answer_next(Chosen::File(xml));
    h.ui(|ui| {
        ui.click("Import…").unwrap();
    });
    let n = h.app.notices.last().unwrap();
    assert!(
        n.error && n.text.contains("not a well-formed XML document"),
        "{}",
        n.text
    );
    assert_eq!(h.app.vms.ids().len(), 2);
}

#[test]
fn export_in_the_vm_menu_writes_the_chosen_file() {
    let mut h = Harness::new(&[("web", "Web")]);
    h.send(Message::Library(library::Message::Open("web".into())));
    assert!(!h.shows("Export to libvirt…"), "behind ⋯");
    h.ui(|ui| {
        ui.click("⋯").unwrap();
    });
    let file = h.paths.data_dir.join("out").join("web.xml");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    chooser::answer_next(Chosen::File(file.clone()));
    h.ui(|ui| {
        ui.click("Export to libvirt…").unwrap();
    });
    assert_eq!(
        chooser::last_request().unwrap().save_as.as_deref(),
        Some("web.xml")
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("<domain type='kvm'>") && text.contains("<name>web</name>"));
    let n = h.app.notices.last().unwrap();
    assert!(!n.error && n.text.contains("Web exported to"), "{}", n.text);
    assert!(
        n.text.contains("virtio-pci"),
        "the notes are in the notice: {}",
        n.text
    );
    // KubeVirt, and a chooser that could not open.
    h.ui(|ui| {
        ui.click("⋯").unwrap();
    });
    let json = file.with_file_name("web-kubevirt.json");
    chooser::answer_next(Chosen::File(json.clone()));
    h.ui(|ui| {
        ui.click("Export to KubeVirt…").unwrap();
    });
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["kind"], "VirtualMachine");
    h.ui(|ui| {
        ui.click("⋯").unwrap();
    });
    h.ui(|ui| {
        ui.click("Export to KubeVirt…").unwrap();
    });
    assert!(h
        .app
        .notices
        .last()
        .unwrap()
        .text
        .contains("No file chooser could open"));
}
