//! The screen device (`display.kind`) in the details screen's hardware settings.

use super::*;

#[test]
fn the_screen_device_is_offered_per_machine_and_an_old_pc_config_keeps_its_spelling() {
    use crate::ui::hardware::{screen::KindChoice, DisplayChoice, Message as Hw};
    use vmm_core::config::{BootDevice, BootSource, DisplayConfig, DisplayKind};
    let dh = |m: Hw| Message::Details(details::Message::Hw(m));
    // What the settings show: the "Device" row, and the pick list's choices and current
    // value (a pick list's text is not a text widget the simulator finds).
    let shown = |h: &mut Harness| {
        let mut row = false;
        tall(h, |ui| row = ui.find("Device").is_ok());
        assert!(row, "the screen's device row is shown");
        let Screen::Details(d) = &h.app.screen else {
            panic!("not the details screen");
        };
        let offered: Vec<String> = crate::ui::hardware::screen::choices(d.hw.pc)
            .iter()
            .map(|c| c.to_string())
            .collect();
        (KindChoice(d.hw.display_kind).to_string(), offered)
    };
    // The kernel machine with a screen: its framebuffer.
    let mut h = Harness::new(&[("web", "Web")]);
    let mut cfg = VmConfig::load(&h.paths.vm_config("web")).unwrap();
    cfg.display = Some(DisplayConfig::default());
    crate::data::store::save(&h.paths, &cfg).unwrap();
    h.app.vms.entries = crate::data::store::list(&h.paths);
    h.ui(|ui| {
        ui.click("Details").unwrap();
    });
    let (current, offered) = shown(&mut h);
    assert_eq!(current, "Framebuffer");
    assert_eq!(
        offered,
        ["Framebuffer", "virtio-gpu (resizes with the window)"]
    );
    // A BIOS machine whose vm.toml predates `std-vga`: its VGA is `framebuffer`.
    let mut h = Harness::new(&[("pc", "PC")]);
    let mut cfg = VmConfig::load(&h.paths.vm_config("pc")).unwrap();
    cfg.boot = BootSource::Bios {
        firmware: None,
        order: vec![BootDevice::Disk],
        vga_rom: None,
    };
    cfg.display = Some(DisplayConfig::default());
    crate::data::store::save(&h.paths, &cfg).unwrap();
    h.app.vms.entries = crate::data::store::list(&h.paths);
    h.ui(|ui| {
        ui.click("Details").unwrap();
    });
    let (current, offered) = shown(&mut h);
    assert_eq!(current, "Standard VGA", "a PC's framebuffer is its VGA");
    assert_eq!(
        offered,
        ["Standard VGA", "virtio-gpu (resizes with the window)"]
    );
    // Saving other settings keeps `framebuffer` in the file.
    h.send(dh(Hw::Display(DisplayChoice(Some((1280, 800))))));
    h.send(Message::Details(details::Message::Save));
    let d = VmConfig::load(&h.paths.vm_config("pc"))
        .unwrap()
        .display
        .unwrap();
    assert_eq!((d.width, d.kind), (1280, DisplayKind::Framebuffer));
    // virtio-gpu chosen: shown, saved, and valid for the VMM.
    h.send(dh(Hw::DisplayKind(KindChoice(DisplayKind::VirtioGpu))));
    assert_eq!(shown(&mut h).0, "virtio-gpu (resizes with the window)");
    h.send(Message::Details(details::Message::Save));
    let saved = VmConfig::load(&h.paths.vm_config("pc")).unwrap();
    assert_eq!(saved.display.as_ref().unwrap().kind, DisplayKind::VirtioGpu);
    let kind = saved.display.as_ref().unwrap().kind;
    assert!(vmm_core::config::validate::validate_display_kind(true, kind).is_ok());
}
