//! The test guest's `gpuanim` mode (the virtio-gpu benchmark's guest, tests/guest/README.md
//! "virtio-gpu animation"): fullanim's frames drawn from ring 3 into a virtio-gpu resource and
//! shown with a transfer + flush per frame; a serial byte paints the latency marker; a host
//! resize makes the ring-3 driver switch to a resource at the new size.

use crate::display::{display_spec, pattern, shot};
use crate::harness::*;
use serde_json::json;
use std::time::{Duration, Instant};

/// Every pixel is its pattern colour XOR one byte repeated in R, G and B (a screenshot may
/// catch a frame between transfers of different frames only row-wise, never inside a pixel).
fn check_frame(img: &image::RgbImage, skip_marker: bool) {
    let (w, h) = img.dimensions();
    for (x, y, p) in img.enumerate_pixels() {
        if skip_marker && x < 32 && y < 32 {
            continue;
        }
        let want = pattern(x, y, w, h);
        let d = [p.0[0] ^ want[0], p.0[1] ^ want[1], p.0[2] ^ want[2]];
        assert!(
            d[0] == d[1] && d[1] == d[2],
            "pixel ({x}, {y}) = {:?} is not pattern {want:?} ^ k*0x010101",
            p.0
        );
    }
}

#[test]
fn gpuanim_shows_every_frame_through_virtio_gpu_with_marker_and_resize() {
    if !kvm_or_skip("gpuanim_shows_every_frame_through_virtio_gpu_with_marker_and_resize") {
        return;
    }
    let (w, h) = (640u32, 480u32);
    let mut spec = display_spec("gpuanim vmdesk.fps=60", w, h);
    spec.extra_toml = "kind = \"virtio-gpu\"\n".into();
    let mut vm = Vm::start("gpuanim", &spec);
    let log = vm.wait_serial("FRAME 64 present_us=", BOOT_TIMEOUT);
    assert!(log.contains(&format!("GPU display {w}x{h}")), "{log}");
    assert!(log.contains("GPUANIM fps=60 "), "{log}");
    let mut api = vm.api();
    let a = shot(&vm, &mut api, "a.png");
    assert_eq!(a.dimensions(), (w, h));
    check_frame(&a, false);
    let n = vm.serial_log().matches("FRAME").count();
    vm.wait_serial(&format!("FRAME {} ", n * 64), BOOT_TIMEOUT);
    let b = shot(&vm, &mut api, "b.png");
    check_frame(&b, false);
    assert_ne!(a, b, "the screen changes");

    // The latency probe: byte 'g' (0x67) → marker 0xff6767.
    let want = [0xff, 0x67, 0x67];
    assert_eq!(api.type_text("g")["ok"], true);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let img = shot(&vm, &mut api, "m.png");
        if (0..32).all(|y| (0..32).all(|x| img.get_pixel(x, y).0 == want)) {
            check_frame(&img, true);
            assert_ne!(img.get_pixel(32, 0).0, want, "the marker is 32 pixels wide");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no marker; top-left pixel {:?}",
            img.get_pixel(0, 0).0
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // A host resize: the ring-3 driver sets the new mode and keeps animating at that size.
    let r = api.call(json!({"cmd": "set-display-size", "width": 800, "height": 600}));
    assert_eq!(r["ok"], true, "{r}");
    vm.wait_serial("GPU mode shown 800x600", Duration::from_secs(30));
    let c = shot(&vm, &mut api, "c.png");
    assert_eq!(c.dimensions(), (800, 600));
    check_frame(&c, true);
    assert_eq!(
        c.get_pixel(0, 0).0,
        want,
        "the marker stays after the resize"
    );
    api.cmd("kill");
}
