use super::*;

#[test]
fn forwards_parse_and_bad_ones_name_the_item() {
    crate::testing::english();
    let f = parse_forwards("tcp 2222:22, udp 5353:53,8080:80").unwrap();
    assert_eq!(f.len(), 3);
    assert_eq!(
        (f[1].proto, f[1].host_port, f[1].guest_port),
        (Protocol::Udp, 5353, 53)
    );
    assert_eq!(f[2].proto, Protocol::Tcp);
    assert_eq!(parse_forwards(&format_forwards(&f)).unwrap(), f);
    let e = parse_forwards("tcp 2222:22, sctp 1:2").unwrap_err();
    assert!(e.contains("sctp 1:2"), "{e}");
    assert!(parse_forwards("tcp 0:22").is_err());
    assert!(parse_forwards("2222:22, tcp 2222:23")
        .unwrap_err()
        .contains("2222"));
    assert!(parse_forwards("").unwrap().is_empty());
}

#[test]
fn saving_keeps_what_the_form_does_not_show() {
    let mut cfg = crate::data::store::blank_config();
    let nic = |mac: &str| NicConfig {
        mac: Some(mac.into()),
        forwards: Vec::new(),
        backend: vmm_core::config::NetBackend::Slirp,
    };
    cfg.nics = vec![nic("52:54:00:00:00:01"), nic("52:54:00:00:00:02")];
    cfg.display = Some(DisplayConfig {
        vnc_port: Some(5901),
        vnc_password: Some("pw".into()),
        ..Default::default()
    });
    let mut hw = Hardware::from_config(&cfg);
    hw.forwards = "tcp 8080:80".into();
    hw.display = Some((800, 600));
    let mut out = cfg.clone();
    hw.apply(&mut out);
    assert_eq!(out.nics.len(), 2);
    assert_eq!(out.nics[0].mac, cfg.nics[0].mac);
    assert_eq!(out.nics[0].backend, vmm_core::config::NetBackend::Slirp);
    assert_eq!(out.nics[0].forwards[0].guest_port, 80);
    let d = out.display.clone().unwrap();
    assert_eq!((d.width, d.height, d.vnc_port), (800, 600, Some(5901)));
    assert_eq!(d.vnc_password.as_deref(), Some("pw"));
    // A VNC port needs a password of at most 8 characters.
    crate::testing::english();
    hw.vnc_password = String::new();
    assert_eq!(hw.problems()[0].0, HwField::VncPassword);
    hw.vnc_password = "123456789".into();
    assert_eq!(hw.problems()[0].0, HwField::VncPassword);
    hw.vnc_port = "0".into();
    assert_eq!(hw.problems()[0].0, HwField::VncPort);
    hw.vnc_port = String::new();
    hw.vnc_password = String::new();
    assert!(hw.problems().is_empty());
    hw.network = false;
    hw.apply(&mut out);
    assert!(out.nics.is_empty());
}

#[test]
fn a_disk_row_lists_the_files_its_image_is_based_on() {
    crate::testing::english();
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.qcow2");
    vmm_core::storage::create_qcow2(&base, 1 << 20).unwrap();
    let clone = dir.path().join("clone.qcow2");
    vmm_core::storage::create_linked_clone(&clone, &base).unwrap();
    assert_eq!(attached::note(&clone), "qcow2 · 1.0 MiB");
    let d = DiskConfig {
        path: clone,
        ..Default::default()
    };
    let c = attached::chain(&d, None).unwrap();
    assert_eq!(c.files().len(), 1);
    assert_eq!(c.files()[0].path, base);
    assert!(c.folders().is_empty(), "next to the image: no question");
    let base_alone = DiskConfig {
        path: base,
        ..Default::default()
    };
    assert!(attached::chain(&base_alone, None)
        .unwrap()
        .files()
        .is_empty());
}

/// A backend that is not installed says so and what to do; Automatic only when neither is.
#[test]
fn a_backend_that_is_not_installed_says_what_to_install() {
    crate::testing::english();
    let have = |passt, slirp| NetHave { passt, slirp };
    assert_eq!(have(true, true).missing(NetBackend::Slirp), None);
    assert_eq!(have(false, true).missing(NetBackend::Auto), None);
    let m = have(false, true).missing(NetBackend::Passt).unwrap();
    assert!(m.contains("apt install passt"), "{m}");
    let m = have(true, false).missing(NetBackend::Slirp).unwrap();
    assert!(m.contains("libslirp0"), "{m}");
    let m = have(false, false).missing(NetBackend::Auto).unwrap();
    assert!(m.contains("passt") && m.contains("libslirp"), "{m}");
    // The form shows the line for the chosen backend only when the NIC is on.
    let mut hw = Hardware {
        network: true,
        net_have: have(true, false),
        ..Hardware::default()
    };
    let _ = hw.update(Message::NetBackend(NetBackend::Slirp));
    assert_eq!(hw.net_backend, NetBackend::Slirp);
    let mut cfg = crate::data::store::blank_config();
    hw.apply(&mut cfg);
    assert_eq!(cfg.nics[0].backend, NetBackend::Slirp);
}

#[test]
fn the_screen_device_follows_the_machine_and_os_until_chosen() {
    use vmm_core::config::{DisplayKind, GuestOs};
    let dir = tempfile::tempdir().unwrap();
    let mut hw = Hardware::for_new_vm(dir.path());
    let debian = GuestOs {
        id: "http://debian.org/debian/12".into(),
        name: "Debian 12".into(),
    };
    let win = GuestOs {
        id: "http://microsoft.com/win/11".into(),
        name: "Windows 11".into(),
    };
    hw.set_machine(false, None);
    assert_eq!(hw.display_kind, DisplayKind::Framebuffer);
    hw.set_machine(true, Some(debian.clone()));
    assert_eq!(hw.display_kind, DisplayKind::VirtioGpu);
    hw.set_machine(true, Some(win));
    assert_eq!(hw.display_kind, DisplayKind::StdVga);
    // Chosen: kept while the machine has it, the default again when it does not.
    let _ = hw.update(Message::DisplayKind(screen::KindChoice(
        DisplayKind::VirtioGpu,
    )));
    hw.set_machine(true, None);
    assert_eq!(hw.display_kind, DisplayKind::VirtioGpu);
    let _ = hw.update(Message::DisplayKind(screen::KindChoice(
        DisplayKind::StdVga,
    )));
    hw.set_machine(false, Some(debian));
    assert_eq!(hw.display_kind, DisplayKind::Framebuffer);
    let mut cfg = crate::data::store::blank_config();
    hw.apply(&mut cfg);
    assert_eq!(cfg.display.unwrap().kind, DisplayKind::Framebuffer);
}
