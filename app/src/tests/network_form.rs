//! The NIC form: its user-mode backend (Automatic, passt, libslirp) is offered with a line
//! each, clicked like a person would, and saved to vm.toml as `backend`.

use super::*;
use vmm_core::config::{NetBackend, VmConfig};

#[test]
fn the_nic_backend_is_chosen_with_a_line_each_and_saved_to_vm_toml() {
    let mut h = Harness::new(&[("web", "Web")]);
    h.ui(|ui| {
        ui.click("Details").unwrap();
    });
    // No NIC yet: no backend to choose.
    assert!(!h.shows("libslirp"));
    // The switch's label is not a widget the simulator finds: its message is sent.
    assert!(h.shows("The guest gets an address by DHCP and reaches the outside through the host; nothing reaches it unless forwarded."));
    h.send(Message::Details(details::Message::Hw(
        crate::ui::hardware::Message::Network(true),
    )));
    for s in [
        "Automatic",
        "libslirp when a TCP port is forwarded (Debian 12's passt cannot carry those in), \
         else passt; whichever is installed.",
        "passt",
        "A separate, sandboxed process (package passt).",
        "libslirp",
        "Inside the VM's own confined process (package libslirp0); carries forwarded TCP ports in.",
    ] {
        assert!(h.shows(s), "the NIC form shows {s:?}");
    }
    tall(&mut h, |ui| {
        ui.click("libslirp").unwrap();
    });
    h.ui(|ui| {
        ui.click("Save").unwrap();
    });
    assert!(h.shows("Saved."));
    let toml = std::fs::read_to_string(h.paths.vm_config("web")).unwrap();
    let raw: toml::Value = toml::from_str(&toml).unwrap();
    assert_eq!(raw["nics"][0]["backend"].as_str(), Some("slirp"), "{toml}");
    // Read back: the form shows what vm.toml says; passt, then Automatic (the default, which
    // vm.toml leaves out).
    h.send(Message::Shortcut(Shortcut::Search));
    assert!(matches!(h.app.screen, Screen::Library));
    h.ui(|ui| {
        ui.click("Details").unwrap();
    });
    tall(&mut h, |ui| {
        ui.click("passt").unwrap();
    });
    h.ui(|ui| {
        ui.click("Save").unwrap();
    });
    let cfg = VmConfig::load(&h.paths.vm_config("web")).unwrap();
    assert_eq!(cfg.nics[0].backend, NetBackend::Passt);
    tall(&mut h, |ui| {
        ui.click("Automatic").unwrap();
    });
    h.ui(|ui| {
        ui.click("Save").unwrap();
    });
    let toml = std::fs::read_to_string(h.paths.vm_config("web")).unwrap();
    assert!(!toml.contains("backend"), "{toml}");
    assert_eq!(
        VmConfig::load(&h.paths.vm_config("web")).unwrap().nics[0].backend,
        NetBackend::Auto
    );
}
