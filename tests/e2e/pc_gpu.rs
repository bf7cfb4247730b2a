//! virtio-gpu on the PC machine (`[boot] kind = "bios"`, `display.kind = "virtio-gpu"`): one
//! PCI function, virtio-vga, that SeaBIOS's VGA BIOS drives as a std-vga and the test guest's
//! `gpu` mode (over its virtio-pci transport, `vmdesk.virtio=pci`) as a virtio-gpu. SeaBIOS
//! boots a GRUB ISO around the guest from the CD-ROM; the screen must be the VGA's text screen
//! until the guest's driver scans out, then the pattern (also after a host resize), and the
//! VGA's again after the driver resets the device; a snapshot restored in a new process keeps
//! the scanout and the driver.

use crate::display::{mismatches, shot};
use crate::firmware::{seabios_or_skip, start_bios_vm_with};
use crate::grub::{grub_or_skip, make_grub_iso};
use crate::harness::*;
use serde_json::json;
use std::time::{Duration, Instant};

/// SeaBIOS and GRUB run emulated on software KVMs (~380 s to the guest on a busy kvm_pvm host).
const PC_TIMEOUT: Duration = Duration::from_secs(900);

/// Whether the picture has more than one colour (a text screen with something on it).
fn has_content(img: &image::RgbImage) -> bool {
    let first = img.get_pixel(0, 0);
    img.pixels().any(|p| p != first)
}

#[test]
fn virtio_vga_shows_the_vga_until_the_driver_scans_out_and_follows_a_resize() {
    let test = "virtio_vga_shows_the_vga_until_the_driver_scans_out_and_follows_a_resize";
    if !kvm_or_skip(test) || !seabios_or_skip(test) || !grub_or_skip(test) {
        return;
    }
    let (w, h) = (640, 480);
    let t0 = Instant::now();
    let mut vm = start_bios_vm_with("pcgpu", 1, |dir| {
        let iso = make_grub_iso(
            dir,
            1,
            &[("gpu", "vmdesk.test=gpu vmdesk.virtio=pci vmdesk.gpu=wait")],
        );
        format!(
            "\n[[cdroms]]\npath = \"{}\"\n\n[display]\nwidth = {w}\nheight = {h}\nkind = \"virtio-gpu\"\n",
            iso.display()
        )
    });
    let log = vm.wait_serial("GPU waiting", PC_TIMEOUT);
    let booted = t0.elapsed();
    // The function is virtio-vga: SeaBIOS ran the VGA BIOS on it (pci1af4,1050.rom).
    let mut api = vm.api();
    let vga = shot(&vm, &mut api, "vga.png");
    assert_eq!(
        vga.dimensions(),
        (720, 400),
        "the VGA's text mode before the driver"
    );
    assert!(has_content(&vga), "the text screen shows GRUB's output");

    api.type_text("start\n");
    let log2 = vm.wait_serial("GPU pattern shown", Duration::from_secs(60));
    let lines = &log2[log.len().min(log2.len())..];
    assert!(!log2.contains("FAIL"), "{log2}");
    assert!(
        log2.contains(" id=16 pci"),
        "the GPU as a virtio-pci function:\n{lines}"
    );
    assert!(log2.contains(&format!("GPU display {w}x{h}")), "{log2}");
    assert!(
        log2.contains(&format!("GPU edid ok preferred={w}x{h}")),
        "{log2}"
    );
    let img = shot(&vm, &mut api, "gpu.png");
    assert_eq!(img.dimensions(), (w, h));
    assert_eq!(mismatches(&img), 0, "the scanout differs from the pattern");

    let t1 = Instant::now();
    let r = api.call(json!({"cmd": "set-display-size", "width": 800, "height": 600}));
    assert_eq!(r["ok"], true, "{r}");
    vm.wait_serial("GPU mode shown 800x600", Duration::from_secs(60));
    let resized = t1.elapsed();
    let img = shot(&vm, &mut api, "gpu2.png");
    assert_eq!(img.dimensions(), (800, 600));
    assert_eq!(
        mismatches(&img),
        0,
        "the new scanout differs from the pattern"
    );

    // A snapshot keeps both halves: restored in a new process, the screen is the scanout,
    // and the restored driver still gets resizes.
    let r = api.call(json!({"cmd": "snapshot-create", "name": "pcgpu"}));
    assert_eq!(r["ok"], true, "{r}");
    let id = r["result"]["id"].as_str().unwrap().to_string();
    api.cmd("kill");
    vm.wait_exit(Duration::from_secs(60));
    vm.restore(&id);
    let mut api = vm.api();
    let img = shot(&vm, &mut api, "restored.png");
    assert_eq!(img.dimensions(), (800, 600));
    assert_eq!(mismatches(&img), 0, "the restored scanout is the pattern");
    let r = api.call(json!({"cmd": "set-display-size", "width": w, "height": h}));
    assert_eq!(r["ok"], true, "{r}");
    vm.wait_serial(&format!("GPU mode shown {w}x{h}"), Duration::from_secs(60));
    let img = shot(&vm, &mut api, "restored2.png");
    assert_eq!(img.dimensions(), (w, h));
    assert_eq!(
        mismatches(&img),
        0,
        "the restored driver's new mode is the pattern"
    );

    // A device reset gives the screen back to the VGA (still in GRUB's text mode).
    api.type_text("reset\n");
    vm.wait_serial("GPU reset", Duration::from_secs(60));
    let back = shot(&vm, &mut api, "vga2.png");
    assert_eq!(
        back.dimensions(),
        (720, 400),
        "the VGA again after the reset"
    );
    assert!(has_content(&back));
    let serial = vm.serial_log();
    assert!(!serial.contains("FAIL"), "{serial}");
    api.type_text("poweroff\n");
    let (st, _, stderr) = vm.wait_exit(Duration::from_secs(60));
    assert_eq!(st.code(), Some(0), "{stderr}");
    eprintln!(
        "virtio-vga on the PC machine: guest waiting after {:.1} s; resize to first new-mode line {:.2} s",
        booted.as_secs_f64(),
        resized.as_secs_f64()
    );
}
