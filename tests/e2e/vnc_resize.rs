//! A VNC client asks the guest for a size (ExtendedDesktopSize + SetDesktopSize) and draws the
//! guest's pointer (Cursor pseudo-encoding): the test guest's `gpu` mode follows display
//! events with a new mode and sets a known pointer image; the framebuffer cannot follow.

use crate::display::{display_spec, pattern};
use crate::harness::*;
use crate::rfb::{Client, DesktopSize};
use std::time::{Duration, Instant};
use vmm_core::display::vnc::proto::{
    PixelFormat, Screen, ENCODING_CURSOR, ENCODING_EXTENDED_DESKTOP_SIZE, ENCODING_RAW,
};

fn client(vm: &Vm, encodings: &[i32]) -> Client {
    let mut c = Client::unix(&vm.dir.path().join("run/vnc.sock")).unwrap();
    c.set_pixel_format(PixelFormat::XRGB8888);
    c.set_encodings(encodings);
    c
}

fn gpu_vm(id: &str, w: u32, h: u32) -> Vm {
    let mut spec = display_spec("gpu", w, h);
    spec.extra_toml = "kind = \"virtio-gpu\"\n".into();
    let mut vm = Vm::start(id, &spec);
    vm.wait_serial("GPU cursor set", BOOT_TIMEOUT);
    vm
}

fn screen(w: u16, h: u16) -> Screen {
    Screen {
        id: 0,
        x: 0,
        y: 0,
        w,
        h,
        flags: 0,
    }
}

/// One update that must hold ExtendedDesktopSize rectangles only: (reason, status, w, h) each.
fn read_desktop(c: &mut Client) -> Vec<(u16, u16, u32, u32)> {
    let before = c.desktop.len();
    let rects = c.read_update().unwrap();
    assert!(
        rects
            .iter()
            .all(|(_, e)| *e == ENCODING_EXTENDED_DESKTOP_SIZE),
        "{rects:?}"
    );
    c.desktop[before..]
        .iter()
        .map(|d: &DesktopSize| (d.reason, d.status, d.w, d.h))
        .collect()
}

/// Pixels of the client's picture that differ from the guest's pattern at its size.
fn mismatches(c: &Client) -> usize {
    c.fb.iter()
        .enumerate()
        .filter(|(i, px)| {
            let [r, g, b] = pattern(*i as u32 % c.w, *i as u32 / c.w, c.w, c.h);
            **px & 0xff_ffff != u32::from(r) << 16 | u32::from(g) << 8 | u32::from(b)
        })
        .count()
}

#[test]
fn set_desktop_size_over_vnc_resizes_a_virtio_gpu_guest() {
    if !kvm_or_skip("set_desktop_size_over_vnc_resizes_a_virtio_gpu_guest") {
        return;
    }
    let mut vm = gpu_vm("vncresize", 640, 480);
    let mut c = client(&vm, &[ENCODING_RAW, ENCODING_EXTENDED_DESKTOP_SIZE]);
    c.request(false);
    assert_eq!(read_desktop(&mut c), [(0, 0, 640, 480)]);
    assert_eq!(c.desktop[0].screens, [screen(640, 480)]);
    c.read_update().unwrap();
    assert_eq!(mismatches(&c), 0, "the first picture is the pattern");

    // Bad layouts (3) and a size beyond the display's limits (2): answered, nothing changes.
    c.set_desktop_size(1024, 600, &[screen(512, 600), screen(512, 600)]);
    assert_eq!(read_desktop(&mut c), [(1, 3, 640, 480)]);
    c.set_desktop_size(1024, 600, &[screen(1000, 600)]);
    assert_eq!(read_desktop(&mut c), [(1, 3, 640, 480)]);
    c.set_desktop_size(10, 10, &[screen(10, 10)]);
    assert_eq!(read_desktop(&mut c), [(1, 3, 640, 480)]);
    c.set_desktop_size(8000, 600, &[screen(8000, 600)]);
    assert_eq!(read_desktop(&mut c), [(1, 2, 640, 480)]);
    assert_eq!((c.w, c.h), (640, 480));

    // 1024 x 600: forwarded to the guest (4); its new mode comes as a server change (0).
    let asked = Instant::now();
    c.set_desktop_size(1024, 600, &[screen(1024, 600)]);
    assert_eq!(read_desktop(&mut c), [(1, 4, 640, 480)]);
    vm.wait_serial("GPU event display 1024x600", Duration::from_secs(20));
    c.request(true);
    assert_eq!(read_desktop(&mut c), [(0, 0, 1024, 600)]);
    let new_size = asked.elapsed();
    assert_eq!((c.w, c.h), (1024, 600));
    // The next update is the whole frame at the new size; the guest may still be drawing it,
    // so updates follow until the picture is the pattern at 1024 x 600.
    c.request(true);
    let rects = c.read_update().unwrap();
    assert!(
        rects
            .iter()
            .any(|(r, _)| (r.x, r.y, r.w, r.h) == (0, 0, 1024, 600)),
        "{rects:?}"
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while mismatches(&c) != 0 {
        assert!(
            Instant::now() < deadline,
            "{} pixels still differ from the pattern at 1024x600",
            mismatches(&c)
        );
        c.request(true);
        c.read_update().unwrap();
    }
    let log = vm.wait_serial("GPU mode shown 1024x600", Duration::from_secs(20));
    assert!(!log.contains("FAIL"), "{log}");
    eprintln!(
        "SetDesktopSize 1024x600 -> ExtendedDesktopSize at the new size: {} ms",
        new_size.as_millis()
    );
    vm.api().cmd("kill");
}

#[test]
fn set_desktop_size_on_a_framebuffer_is_prohibited() {
    if !kvm_or_skip("set_desktop_size_on_a_framebuffer_is_prohibited") {
        return;
    }
    let mut vm = Vm::start("vncfbsize", &display_spec("halt", 320, 200));
    vm.wait_serial("ACTION halt", BOOT_TIMEOUT);
    let mut c = client(&vm, &[ENCODING_RAW, ENCODING_EXTENDED_DESKTOP_SIZE]);
    c.request(false);
    assert_eq!(read_desktop(&mut c), [(0, 0, 320, 200)]);
    c.read_update().unwrap();
    c.set_desktop_size(640, 480, &[screen(640, 480)]);
    assert_eq!(read_desktop(&mut c), [(1, 1, 320, 200)]);
    // The size stays.
    c.request(false);
    assert_eq!(read_desktop(&mut c), [(0, 0, 320, 200)]);
    c.read_update().unwrap();
    assert_eq!((c.w, c.h), (320, 200));
    assert_eq!(mismatches(&c), 0);
    vm.api().cmd("kill");
}

#[test]
fn the_guests_pointer_image_reaches_a_vnc_client_as_a_cursor() {
    if !kvm_or_skip("the_guests_pointer_image_reaches_a_vnc_client_as_a_cursor") {
        return;
    }
    let vm = gpu_vm("vnccursor", 320, 240);
    let mut c = client(&vm, &[ENCODING_RAW, ENCODING_CURSOR]);
    c.request(false);
    let rects = c.read_update().unwrap();
    assert_eq!(rects[0].1, ENCODING_CURSOR, "{rects:?}");
    let cur = c.cursor.clone().unwrap();
    assert_eq!((cur.w, cur.h, cur.hot_x, cur.hot_y), (64, 64, 3, 5));
    // The shape gpu.c draws: opaque where x <= y and x + y < 96, B = 4x, G = 4y, R = 0xc0.
    for y in 0..64 {
        for x in 0..64 {
            let opaque = x <= y && x + y < 96;
            assert_eq!(cur.opaque(x, y), opaque, "mask at {x},{y}");
            if opaque {
                assert_eq!(
                    cur.pixels[(y * 64 + x) as usize] & 0xff_ffff,
                    0xc0 << 16 | (4 * y) << 8 | (4 * x),
                    "pixel {x},{y}"
                );
            }
        }
    }
    assert_eq!(
        mismatches(&c),
        0,
        "the screen is the pattern under the pointer"
    );
    // Sent on change only: an idle guest sends nothing more, not the cursor again.
    c.request(true);
    assert_eq!(c.bytes_within(Duration::from_secs(1)), 0);
    // A client that does not draw the pointer never gets it.
    let mut plain = client(&vm, &[ENCODING_RAW]);
    plain.request(false);
    let rects = plain.read_update().unwrap();
    assert!(rects.iter().all(|(_, e)| *e == ENCODING_RAW), "{rects:?}");
    vm.api().cmd("kill");
}

#[test]
fn a_vbe_mode_the_guest_sets_reaches_an_extended_desktop_size_client() {
    use crate::vga::{seabios_or_skip, start_vga_vm, vbe_boot_sector, FIRMWARE_TIMEOUT};
    let name = "a_vbe_mode_the_guest_sets_reaches_an_extended_desktop_size_client";
    if !kvm_or_skip(name) || !seabios_or_skip(name) {
        return;
    }
    let vm = start_vga_vm("vga-eds", |dir| {
        let mut image = vbe_boot_sector();
        image.resize(1 << 20, 0);
        let path = dir.join("boot.img");
        std::fs::write(&path, image).unwrap();
        format!(
            "\n[[disks]]\npath = \"{}\"\nformat = \"raw\"\n",
            path.display()
        )
    });
    let path = vm.dir.path().join("run/vnc.sock");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !path.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut c = client(&vm, &[ENCODING_RAW, ENCODING_EXTENDED_DESKTOP_SIZE]);
    c.request(false);
    let first = read_desktop(&mut c);
    assert_eq!(first[0].0, 0, "{first:?}");
    c.read_update().unwrap();
    // The VGA cannot be told a size.
    c.set_desktop_size(1024, 768, &[screen(1024, 768)]);
    // (Pixel updates may come first; the answer comes as soon as it is due.)
    let deadline = Instant::now() + FIRMWARE_TIMEOUT;
    let mut answered = false;
    let mut resized = false;
    c.request(true);
    while !(answered && resized) {
        assert!(
            Instant::now() < deadline,
            "answered {answered}, resized {resized}: {:?}",
            c.desktop
        );
        let before = c.desktop.len();
        if c.read_update().is_err() {
            c.request(true);
            continue;
        }
        for d in &c.desktop[before..] {
            match (d.reason, d.status, d.w, d.h) {
                (1, 1, ..) => answered = true,
                // Text mode (720x400) and the like on the way.
                (0, 0, w, h) => resized = (w, h) == (1024, 768),
                other => panic!("unexpected ExtendedDesktopSize {other:?}"),
            }
        }
        c.request(true);
    }
    assert_eq!((c.w, c.h), (1024, 768));
}
