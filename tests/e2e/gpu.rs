//! virtio-gpu (`display.kind = "virtio-gpu"`): the test guest's `gpu` mode draws the pattern
//! into a resource and scans it out; the screenshot must be that pattern, and a host resize
//! (`set-display-size`) must reach the guest's driver as a display event.

use crate::display::{display_spec, mismatches, shot};
use crate::harness::*;
use serde_json::json;
use std::time::Duration;

#[test]
fn virtio_gpu_scanout_is_the_screenshot_and_a_resize_reaches_the_guest() {
    if !kvm_or_skip("virtio_gpu_scanout_is_the_screenshot_and_a_resize_reaches_the_guest") {
        return;
    }
    let (w, h) = (640, 480);
    let mut spec = display_spec("gpu", w, h);
    spec.extra_toml = "kind = \"virtio-gpu\"\n".into();
    let mut vm = Vm::start("gpu", &spec);
    let log = vm.wait_serial("GPU pattern shown", BOOT_TIMEOUT);
    assert!(log.contains(&format!("GPU display {w}x{h}")), "{log}");
    assert!(
        log.contains(&format!("GPU edid ok preferred={w}x{h}")),
        "{log}"
    );
    // No linear framebuffer is handed over: the screen is the virtio-gpu's.
    assert!(log.contains("FB none"), "{log}");
    let mut api = vm.api();
    let img = shot(&vm, &mut api, "gpu.png");
    assert_eq!(img.dimensions(), (w, h));
    assert_eq!(mismatches(&img), 0, "the scanout differs from the pattern");

    let r = api.call(json!({"cmd": "set-display-size", "width": 1280, "height": 720}));
    assert_eq!(r["ok"], true, "{r}");
    vm.wait_serial("GPU event display 1280x720", Duration::from_secs(20));
    // The guest sets the new mode as a real driver does: the screen is the pattern at that size.
    vm.wait_serial("GPU mode shown 1280x720", Duration::from_secs(20));
    let img = shot(&vm, &mut api, "gpu2.png");
    assert_eq!(img.dimensions(), (1280, 720));
    assert_eq!(
        mismatches(&img),
        0,
        "the new scanout differs from the pattern"
    );
    // Back down: the first resource is reused.
    let r = api.call(json!({"cmd": "set-display-size", "width": 800, "height": 600}));
    assert_eq!(r["ok"], true, "{r}");
    vm.wait_serial("GPU mode shown 800x600", Duration::from_secs(20));
    let img = shot(&vm, &mut api, "gpu3.png");
    assert_eq!(img.dimensions(), (800, 600));
    assert_eq!(
        mismatches(&img),
        0,
        "the third scanout differs from the pattern"
    );
    // Out of the config's limits: refused, naming the field.
    let r = api.call(json!({"cmd": "set-display-size", "width": 10, "height": 720}));
    assert_eq!(r["ok"], false, "{r}");
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("display.width"),
        "{r}"
    );
    api.cmd("kill");
}

#[test]
fn the_framebuffer_cannot_change_size() {
    if !kvm_or_skip("the_framebuffer_cannot_change_size") {
        return;
    }
    let mut vm = Vm::start("fbsize", &display_spec("halt", 320, 200));
    vm.wait_serial("ACTION halt", BOOT_TIMEOUT);
    let mut api = vm.api();
    let r = api.call(json!({"cmd": "set-display-size", "width": 640, "height": 480}));
    assert_eq!(r["ok"], false, "{r}");
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cannot change size"),
        "{r}"
    );
    api.cmd("kill");
}

#[test]
fn a_virtio_gpu_screen_survives_a_snapshot_restore_in_a_new_process() {
    if !kvm_or_skip("a_virtio_gpu_screen_survives_a_snapshot_restore_in_a_new_process") {
        return;
    }
    let mut spec = display_spec("gpu", 320, 240);
    spec.extra_toml = "kind = \"virtio-gpu\"\n".into();
    let mut vm = Vm::start("gpusnap", &spec);
    vm.wait_serial("GPU pattern shown", BOOT_TIMEOUT);
    let mut api = vm.api();
    let r = api.call(json!({"cmd": "snapshot-create", "name": "gpu"}));
    assert_eq!(r["ok"], true, "{r}");
    let id = r["result"]["id"].as_str().unwrap().to_string();
    api.cmd("kill");
    vm.wait_exit(Duration::from_secs(20));
    vm.restore(&id);
    let mut api = vm.api();
    let img = shot(&vm, &mut api, "restored.png");
    assert_eq!(img.dimensions(), (320, 240));
    assert_eq!(mismatches(&img), 0, "the restored scanout is the pattern");
    // The restored driver still has its queues and interrupt: a resize reaches it.
    let r = api.call(json!({"cmd": "set-display-size", "width": 800, "height": 600}));
    assert_eq!(r["ok"], true, "{r}");
    vm.wait_serial("GPU mode shown 800x600", Duration::from_secs(20));
    let img = shot(&vm, &mut api, "restored2.png");
    assert_eq!(img.dimensions(), (800, 600));
    assert_eq!(
        mismatches(&img),
        0,
        "the restored driver's new mode is the pattern"
    );
    api.cmd("kill");
}
