//! The guest's screen: the test guest draws a known pattern into the framebuffer handed over in
//! screen_info; the screenshot API must return it pixel for pixel, and a snapshot must bring
//! back the screen of its instant.

use crate::harness::*;
use serde_json::json;

/// The guest's test pattern (tests/guest/README.md): 8×6 blocks, XRGB.
pub(crate) fn pattern(x: u32, y: u32, w: u32, h: u32) -> [u8; 3] {
    let (bw, bh) = (w / 8, h / 6);
    let c = x.checked_div(bw).map_or(7, |c| c.min(7));
    let r = y.checked_div(bh).map_or(5, |r| r.min(5));
    [
        (c * 32 + 16) as u8,
        (r * 40 + 20) as u8,
        ((c ^ r) * 16 + 8) as u8,
    ]
}

pub(crate) fn display_spec(mode: &str, w: u32, h: u32) -> GuestSpec {
    let mut s = GuestSpec::test(mode);
    s.display = Some((w, h));
    s
}

pub(crate) fn shot(vm: &Vm, api: &mut Api, name: &str) -> image::RgbImage {
    let path = vm.dir.path().join(name);
    let r = api.call(json!({"cmd": "screenshot", "path": path.to_str().unwrap()}));
    assert_eq!(r["ok"], true, "{r}");
    image::open(&path).expect("a PNG").to_rgb8()
}

pub(crate) fn mismatches(img: &image::RgbImage) -> usize {
    let (w, h) = img.dimensions();
    img.enumerate_pixels()
        .filter(|(x, y, p)| p.0 != pattern(*x, *y, w, h))
        .count()
}

#[test]
fn screenshot_equals_the_guest_pattern_pixel_for_pixel() {
    if !kvm_or_skip("screenshot_equals_the_guest_pattern_pixel_for_pixel") {
        return;
    }
    for (w, h) in [(1024, 768), (643, 481)] {
        let mut vm = Vm::start("fb", &display_spec("halt", w, h));
        let log = vm.wait_serial("ACTION halt", BOOT_TIMEOUT);
        assert!(
            log.contains(&format!("FB {w}x{h} stride={} base=0xe0000000", w * 4)),
            "{log}"
        );
        assert!(log.contains("FB pattern drawn"), "{log}");
        // The screen's keyboard and tablet are virtio-input devices next to the rng.
        assert!(
            log.contains("VIRTIO 1 id=18") && log.contains("VIRTIO 2 id=18"),
            "{log}"
        );
        let mut api = vm.api();
        let img = shot(&vm, &mut api, "shot.png");
        assert_eq!(img.dimensions(), (w, h));
        assert_eq!(
            mismatches(&img),
            0,
            "{w}x{h}: pixels differ from the pattern"
        );
        // The thumbnail is that screen, area-averaged to fit 128x96 with its aspect kept.
        let thumb = vm.dir.path().join("thumb.png");
        let r = api.call(json!({"cmd": "thumbnail", "path": thumb.to_str().unwrap(),
                                "max_width": 128, "max_height": 96}));
        assert_eq!(r["ok"], true, "{r}");
        let small = image::open(&thumb).expect("a PNG").to_rgb8();
        let want_h = h * 128 / w;
        assert_eq!(small.dimensions(), (128, want_h), "{r}");
        assert_eq!(
            (
                r["result"]["width"].as_u64(),
                r["result"]["height"].as_u64()
            ),
            (Some(128), Some(u64::from(want_h)))
        );
        assert!(
            small == image::imageops::thumbnail(&img, 128, want_h),
            "{w}x{h}: the thumbnail is not the scaled screen"
        );
        api.cmd("kill");
    }
}

#[test]
fn screenshot_without_a_display_is_a_clear_error() {
    if !kvm_or_skip("screenshot_without_a_display_is_a_clear_error") {
        return;
    }
    let mut vm = Vm::start("nofb", &GuestSpec::test("halt"));
    vm.wait_serial("ACTION halt", BOOT_TIMEOUT);
    let mut api = vm.api();
    let never = vm.dir.path().join("never.png");
    let never = never.to_str().unwrap();
    let r = api.call(json!({"cmd": "screenshot", "path": never}));
    assert_eq!(r["ok"], false);
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no display"),
        "{r}"
    );
    let r = api.call(json!({"cmd": "screenshot", "path": "relative.png"}));
    assert_eq!(r["ok"], false);
    let r = api.call(json!({"cmd": "thumbnail", "path": never,
                            "max_width": 128, "max_height": 96}));
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no display"),
        "{r}"
    );
    let r = api.call(json!({"cmd": "thumbnail", "path": never,
                            "max_width": 0, "max_height": 96}));
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("max_width"),
        "{r}"
    );
    assert!(!std::path::Path::new("/tmp/never.png").exists());
    api.cmd("kill");
}

#[test]
fn revert_brings_back_the_screen_of_its_instant() {
    if !kvm_or_skip("revert_brings_back_the_screen_of_its_instant") {
        return;
    }
    let mut vm = Vm::start("fbsnap", &display_spec("animate", 320, 240));
    vm.wait_serial("FRAME 32", BOOT_TIMEOUT);
    let mut api = vm.api();
    // Paused with the moving white square on screen: when it wraps to the left edge the guest
    // erases it before drawing it again (tens of ms with ring 0 emulated here), so a pause can
    // land on a screen without it; then let it run a little and pause again.
    let mut at_snapshot = None;
    for _ in 0..20 {
        assert_eq!(api.cmd("pause")["ok"], true);
        let img = shot(&vm, &mut api, "a.png");
        if mismatches(&img) > 0 {
            at_snapshot = Some(img);
            break;
        }
        assert_eq!(api.cmd("resume")["ok"], true);
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let at_snapshot = at_snapshot.expect("the square on screen in one of 20 pauses");
    let r = api.call(json!({"cmd": "snapshot-create", "name": "screen"}));
    assert_eq!(r["ok"], true, "{r}");
    let id = r["result"]["id"].as_str().unwrap().to_string();
    let list = api.cmd("snapshot-list");
    assert_eq!(list["result"]["snapshots"][0]["meta"]["has_screen"], true);
    assert!(vm
        .dir
        .path()
        .join("snapshots")
        .join(&id)
        .join("screen.png")
        .exists());
    assert_eq!(api.cmd("resume")["ok"], true);
    let n = vm.serial_log().matches("FRAME").count();
    while vm.serial_log().matches("FRAME").count() < n + 2 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(api.cmd("pause")["ok"], true);
    let later = shot(&vm, &mut api, "b.png");
    assert_ne!(later, at_snapshot, "the square moved");
    // A VNC client (the app's console) watches the paused screen, an update request pending.
    use vmm_core::display::vnc::proto::ENCODING_RAW;
    let mut c = vnc_client(&vm, &[ENCODING_RAW]);
    c.request(false);
    c.read_update().unwrap();
    assert!(
        same_screen(&c.fb, &later),
        "the client shows the screen before the revert"
    );
    c.request(true);
    let r = api.call(json!({"cmd": "snapshot-revert", "snapshot": id}));
    assert_eq!(r["ok"], true, "{r}");
    let reverted = shot(&vm, &mut api, "c.png");
    assert!(
        reverted == at_snapshot,
        "the screen is the snapshot's, exactly"
    );
    // The client is told: the VM is still paused, so only the revert can have sent this.
    c.s.set_timeout(Some(std::time::Duration::from_secs(5)));
    c.read_update()
        .expect("an update after the revert (the client would show the old screen)");
    assert!(
        same_screen(&c.fb, &at_snapshot),
        "the client shows the snapshot's screen"
    );
    api.cmd("kill");
}

/// A raw RFB client on the VM's VNC socket, XRGB8888 pixels, these encodings.
fn vnc_client(vm: &Vm, encodings: &[i32]) -> crate::rfb::Client {
    let mut c = crate::rfb::Client::unix(&vm.dir.path().join("run/vnc.sock")).unwrap();
    c.set_pixel_format(vmm_core::display::vnc::proto::PixelFormat::XRGB8888);
    c.set_encodings(encodings);
    c
}

/// Whether a VNC client's XRGB pixels are the picture's.
fn same_screen(fb: &[u32], img: &image::RgbImage) -> bool {
    fb.len() == img.pixels().len()
        && fb.iter().zip(img.pixels()).all(|(px, p)| {
            *px & 0xff_ffff == u32::from(p[0]) << 16 | u32::from(p[1]) << 8 | u32::from(p[2])
        })
}

/// A VNC client no one here wrote (vncdotool), or None with a visible skip notice (a failure
/// when VMDESK_REQUIRE_TOOLS is set).
fn vncdo() -> Option<String> {
    tool_or_skip("vncdo", "vncdotool", "pip install vncdotool").then(|| "vncdo".to_string())
}

#[test]
fn vnc_client_sees_the_guest_screen_and_its_keys_and_clicks_reach_the_guest() {
    if !kvm_or_skip("vnc_client_sees_the_guest_screen_and_its_keys_and_clicks_reach_the_guest") {
        return;
    }
    let Some(vncdo) = vncdo() else { return };
    let (w, h) = (640, 480);
    let mut vm = Vm::start("vnc", &display_spec("input", w, h));
    vm.wait_serial("INPUT ready", BOOT_TIMEOUT);
    let sock = vm.dir.path().join("run/vnc.sock");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&sock).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    let png = vm.dir.path().join("vnc.png");
    let out = std::process::Command::new(&vncdo)
        .arg("-s")
        .arg(&sock)
        .arg("capture")
        .arg(&png)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let img = image::open(&png).unwrap().to_rgb8();
    assert_eq!(img.dimensions(), (w, h));
    assert_eq!(
        mismatches(&img),
        0,
        "the VNC capture must equal the guest's pattern"
    );

    // Keys: 'a' (KEY_A = 30) down and up; Return (28). A click at (320, 240): the tablet's
    // absolute range 0..32767 maps to 0..639, 0..479.
    let out = std::process::Command::new(&vncdo)
        .arg("-s")
        .arg(&sock)
        .args([
            "key", "a", "key", "enter", "move", "320", "240", "click", "1",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let x = (320u64 * 32767 / 639).to_string();
    let y = (240u64 * 32767 / 479).to_string();
    for line in [
        "type=1 code=30 value=1".to_string(),
        "type=1 code=30 value=0".to_string(),
        "type=1 code=28 value=1".to_string(),
        format!("type=3 code=0 value={x}"),
        format!("type=3 code=1 value={y}"),
        "type=1 code=272 value=1".to_string(),
        "type=1 code=272 value=0".to_string(),
    ] {
        vm.wait_serial(&line, std::time::Duration::from_secs(60));
    }
    vm.api().cmd("kill");
}

/// `fullanim` (tests/guest/README.md): frame n is the pattern XOR (n mod 256) × 0x010101 on
/// every pixel, drawn from ring 3; a byte b on the serial line turns the top-left 32×32 pixels
/// into 0xff_bb_bb until the next byte.
#[test]
fn fullanim_changes_every_pixel_and_a_serial_byte_shows_the_marker() {
    if !kvm_or_skip("fullanim_changes_every_pixel_and_a_serial_byte_shows_the_marker") {
        return;
    }
    let (w, h) = (640u32, 480u32);
    let mut vm = Vm::start("fullanim", &display_spec("fullanim vmdesk.fps=60", w, h));
    let log = vm.wait_serial("FRAME 64", BOOT_TIMEOUT);
    let hz: u64 = field(&log, "FULLANIM", "tsc_hz").parse().unwrap();
    assert!(hz > 100_000_000, "calibrated TSC {hz} Hz");
    assert!(log.contains("FULLANIM fps=60 "), "{log}");
    let mut api = vm.api();
    // Each pixel is its pattern colour XORed with one byte repeated in R, G and B (a screenshot
    // may catch a frame half drawn, so the byte may differ between rows, never inside a pixel).
    let check_frame = |img: &image::RgbImage, skip_marker: bool| {
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
    };
    let a = shot(&vm, &mut api, "a.png");
    check_frame(&a, false);
    let n = vm.serial_log().matches("FRAME").count();
    vm.wait_serial(&format!("FRAME {}", n * 64), BOOT_TIMEOUT);
    let b = shot(&vm, &mut api, "b.png");
    check_frame(&b, false);
    assert_ne!(a, b, "the screen changes");

    // The latency probe: byte 'A' (0x41) → marker 0xff4141, then 'z' → 0xff7a7a.
    for (byte, want) in [(b'A', [0xff, 0x41, 0x41]), (b'z', [0xff, 0x7a, 0x7a])] {
        assert_eq!(api.type_text(&(byte as char).to_string())["ok"], true);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let img = shot(&vm, &mut api, "m.png");
            let marker = (0..32).all(|y| (0..32).all(|x| img.get_pixel(x, y).0 == want));
            if marker {
                check_frame(&img, true);
                assert_ne!(img.get_pixel(32, 0).0, want, "the marker is 32 pixels wide");
                assert_ne!(img.get_pixel(0, 32).0, want, "the marker is 32 pixels high");
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no marker {want:?} for byte {byte:#x}; top-left pixel {:?}",
                img.get_pixel(0, 0).0
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
    api.cmd("kill");
}

/// The same guest under QEMU (microvm + qboot, `-device isa-vga`): with `vmdesk.dispi=WxH` and no
/// framebuffer in screen_info it sets the mode through the Bochs DISPI registers and draws the
/// pattern on the VGA's linear framebuffer; QEMU's own VNC server must show it exactly. This is
/// what lets `cargo bench --bench vnc` compare both VNC servers on one guest.
#[test]
fn qemu_isa_vga_shows_the_pattern_through_dispi() {
    if !kvm_or_skip("qemu_isa_vga_shows_the_pattern_through_dispi")
        || !tool_or_skip(
            "qemu-system-x86_64",
            "qemu-system-x86_64",
            "apt-get install qemu-system-x86",
        )
    {
        return;
    }
    let Some(vncdo) = vncdo() else { return };
    let (w, h) = (640u32, 480u32);
    let dir = tempfile::tempdir().unwrap();
    let (serial, sock) = (dir.path().join("serial.txt"), dir.path().join("vnc.sock"));
    /// Kills QEMU however the test ends.
    struct Qemu(std::process::Child);
    impl Drop for Qemu {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut qemu = Qemu(
        std::process::Command::new("qemu-system-x86_64")
            .args(crate::qemu::microvm_args(
                "/usr/share/qemu/qboot.rom",
                64,
                &format!("file:{}", serial.display()),
                GUEST,
                &format!("console=ttyS0 vmdesk.test=halt vmdesk.dispi={w}x{h}"),
            ))
            .args(["-device", "isa-vga"])
            .arg("-vnc")
            .arg(format!("unix:{}", sock.display()))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn qemu-system-x86_64"),
    );
    let deadline = std::time::Instant::now() + BOOT_TIMEOUT;
    let log = loop {
        let log = std::fs::read_to_string(&serial).unwrap_or_default();
        if log.contains("ACTION halt") {
            break log;
        }
        if let Ok(Some(st)) = qemu.0.try_wait() {
            panic!("QEMU exited ({st}); serial:\n{log}");
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out; serial:\n{log}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(log.contains("FB vga dispi id=0xb0c"), "{log}");
    assert!(
        log.contains(&format!("FB {w}x{h} stride={} base=0xe0000000", w * 4)),
        "{log}"
    );
    let png = dir.path().join("qemu.png");
    let out = std::process::Command::new(&vncdo)
        .arg("-s")
        .arg(&sock)
        .arg("capture")
        .arg(&png)
        .output()
        .unwrap();
    drop(qemu);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let img = image::open(&png).unwrap().to_rgb8();
    assert_eq!(img.dimensions(), (w, h));
    assert_eq!(mismatches(&img), 0, "QEMU's VNC capture is the pattern");
}

/// A guest that drew its screen before anyone watched and then stays still: the first client
/// gets the frame once, then nothing, even right after the drawing. (The dirty log used to
/// hold everything drawn since boot until a client came, so the first client's first
/// incremental update repeated the whole screen.)
#[test]
fn first_vnc_client_of_an_idle_guest_gets_the_screen_once() {
    if !kvm_or_skip("first_vnc_client_of_an_idle_guest_gets_the_screen_once") {
        return;
    }
    use vmm_core::display::vnc::proto::{ENCODING_DESKTOP_SIZE, ENCODING_RAW};
    let (w, h) = (320u32, 240u32);
    let mut vm = Vm::start("vncidle", &display_spec("halt", w, h));
    vm.wait_serial("ACTION halt", BOOT_TIMEOUT);
    let mut c = vnc_client(&vm, &[ENCODING_RAW, ENCODING_DESKTOP_SIZE]);
    c.request(false);
    let rects = c.read_update().unwrap();
    assert_eq!(rects.len(), 1, "{rects:?}");
    for (i, px) in c.fb.iter().enumerate() {
        let [r, g, b] = pattern(i as u32 % w, i as u32 / w, w, h);
        assert_eq!(
            *px & 0xff_ffff,
            u32::from(r) << 16 | u32::from(g) << 8 | u32::from(b),
            "pixel {i}"
        );
    }
    c.request(true);
    let mut buf = [0u8; 4096];
    c.s.set_timeout(Some(std::time::Duration::from_secs(2)));
    match std::io::Read::read(&mut c.s, &mut buf) {
        Ok(n) => panic!("{n} bytes arrived from an idle guest's screen"),
        Err(e) => assert!(
            matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
            "{e}"
        ),
    }
    vm.api().cmd("kill");
}

/// Context switches of the VMM's display thread so far (each wake-up from a sleep is one).
fn display_thread_wakeups(pid: u32) -> u64 {
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        let task = task.unwrap().path();
        if std::fs::read_to_string(task.join("comm"))
            .unwrap_or_default()
            .trim()
            != "display"
        {
            continue;
        }
        let status = std::fs::read_to_string(task.join("status")).unwrap();
        return status
            .lines()
            .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no voluntary_ctxt_switches in {status}"));
    }
    panic!("vmdesk-vmm {pid} has no thread named display");
}

/// With no VNC client the display thread sleeps (it used to wake 60 times a second to find
/// nobody there); a client wakes it to harvest at 60 Hz; when the client leaves it sleeps again.
#[test]
fn display_thread_sleeps_while_no_client_watches() {
    if !kvm_or_skip("display_thread_sleeps_while_no_client_watches") {
        return;
    }
    use vmm_core::display::vnc::proto::ENCODING_RAW;
    let mut vm = Vm::start("vncsleep", &display_spec("halt", 320, 240));
    vm.wait_serial("ACTION halt", BOOT_TIMEOUT);
    let pid = vm.child.id();
    let wakeups_over_a_second = || {
        let before = display_thread_wakeups(pid);
        std::thread::sleep(std::time::Duration::from_secs(1));
        display_thread_wakeups(pid) - before
    };
    let idle = wakeups_over_a_second();
    assert!(
        idle <= 2,
        "display thread woke {idle} times in 1 s with no client"
    );

    let mut c = vnc_client(&vm, &[ENCODING_RAW]);
    c.request(false);
    c.read_update().unwrap();
    let watched = wakeups_over_a_second();
    assert!(
        watched >= 30,
        "display thread woke only {watched} times in 1 s with a client (expected ~60)"
    );

    drop(c);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let after = wakeups_over_a_second();
    assert!(
        after <= 2,
        "display thread woke {after} times in 1 s after the client left"
    );
    vm.api().cmd("kill");
}

/// The dirty log marks whole rows (a page is a row at 1024 px); the VMM narrows that to the
/// pixels that changed. The test guest's 64-px square moving 8 px a frame must arrive as
/// rectangles about its own size, not full-width bands, and nothing may be lost on the way:
/// once the VM is paused, the client's picture equals a screenshot.
#[test]
fn vnc_damage_is_narrowed_to_the_moving_square_and_loses_nothing() {
    if !kvm_or_skip("vnc_damage_is_narrowed_to_the_moving_square_and_loses_nothing") {
        return;
    }
    use vmm_core::display::vnc::proto::ENCODING_RAW;
    let (w, h) = (1024u32, 768u32);
    let mut vm = Vm::start("vncnarrow", &display_spec("animate", w, h));
    vm.wait_serial("ACTION animate", BOOT_TIMEOUT);
    let mut c = vnc_client(&vm, &[ENCODING_RAW]);
    c.request(false);
    c.read_update().unwrap();
    let mut rects = Vec::new();
    for _ in 0..40 {
        c.request(true);
        rects.extend(c.read_update().unwrap().into_iter().map(|(r, _)| r));
    }
    // Each frame changes an 8x64 strip on either side of the square (72 px across); a wrap
    // to x = 0 spans the row, and frames the client missed add up.
    let small = rects.iter().filter(|r| r.w <= 3 * 72).count();
    assert!(
        small * 10 >= rects.len() * 8,
        "only {small} of {} rectangles were narrowed: {rects:?}",
        rects.len()
    );
    assert!(
        rects.iter().all(|r| r.y >= 100 && r.y + r.h <= 164),
        "damage outside the square's rows: {rects:?}"
    );
    let mut api = vm.api();
    assert_eq!(api.cmd("pause")["ok"], true);
    // Drain what was harvested before the pause.
    c.s.set_timeout(Some(std::time::Duration::from_millis(500)));
    loop {
        c.request(true);
        if c.read_update().is_err() {
            break;
        }
    }
    let still = shot(&vm, &mut api, "still.png");
    assert!(
        same_screen(&c.fb, &still),
        "the client's picture differs from the paused screen"
    );
    api.cmd("kill");
}
