//! The BIOS machine's VGA: SeaBIOS's VGA BIOS (vgabios-stdvga.bin) drives our std-vga, its
//! text screen must be legible in a screenshot (glyph for glyph the font the VGA BIOS loaded),
//! and a VBE mode a guest sets must change the screen's size for screenshots and VNC clients.

use crate::harness::*;
use crate::rfb;
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};
use vmm_core::display::vnc::proto::{ENCODING_DESKTOP_SIZE, ENCODING_RAW};

const SEABIOS: &str = "/usr/share/seabios/bios-256k.bin";
const VGA_BIOS: &str = "/usr/share/seabios/vgabios-stdvga.bin";
pub(crate) const FIRMWARE_TIMEOUT: Duration = Duration::from_secs(180);
/// GRUB in real mode is emulated instruction by instruction on a software KVM: about 55 s to
/// its menu alone, and once over 180 s beside another VM-heavy test and three fuzzers (a hang
/// guard, like grub.rs's, not a speed check).
const GRUB_TIMEOUT: Duration = Duration::from_secs(300);

pub(crate) fn seabios_or_skip(test: &str) -> bool {
    if Path::new(SEABIOS).is_file() && Path::new(VGA_BIOS).is_file() {
        return true;
    }
    let msg = format!("skipped: {test}: {SEABIOS} or {VGA_BIOS} missing (apt-get install seabios)");
    if std::env::var_os("VMDESK_REQUIRE_TOOLS").is_some() {
        panic!("{msg} (VMDESK_REQUIRE_TOOLS is set)");
    }
    eprintln!("{msg}");
    false
}

/// A BIOS VM with a display (so a VGA), and what `extra` adds for its folder.
pub(crate) fn start_vga_vm(id: &str, extra: impl FnOnce(&Path) -> String) -> Vm {
    let dir = tempfile::tempdir().unwrap();
    let more = extra(dir.path());
    let toml = format!(
        "id = \"{id}\"\nname = \"VGA {id}\"\nvcpus = 1\nmemory_mib = 128\nvirtio_rng = false\n\n\
         [boot]\nkind = \"bios\"\n\n[display]\nwidth = 800\nheight = 600\n{more}"
    );
    std::fs::write(dir.path().join("vm.toml"), toml).unwrap();
    let child = Vm::spawn_in(dir.path());
    Vm { dir, child }
}

fn shot(vm: &Vm, api: &mut Api, name: &str) -> image::RgbImage {
    let path = vm.dir.path().join(name);
    let r = api.call(json!({"cmd": "screenshot", "path": path.to_str().unwrap()}));
    assert_eq!(r["ok"], true, "{r}");
    image::open(&path).expect("a PNG").to_rgb8()
}

/// The 8×16 font inside the VGA BIOS, found by its 'A' (the IBM VGA glyph).
fn vga_font() -> Vec<[u8; 16]> {
    const A: [u8; 16] = [
        0x00, 0x00, 0x10, 0x38, 0x6c, 0xc6, 0xc6, 0xfe, 0xc6, 0xc6, 0xc6, 0xc6, 0x00, 0x00, 0x00,
        0x00,
    ];
    let rom = std::fs::read(VGA_BIOS).unwrap();
    let at = rom
        .windows(16)
        .position(|w| w == A)
        .expect("the VGA BIOS holds an 8x16 font")
        - 0x41 * 16;
    rom[at..at + 256 * 16]
        .chunks(16)
        .map(|c| c.try_into().unwrap())
        .collect()
}

/// Reads a 720×400 text screen back: each 9×16 cell's foreground pixels (its first 8 columns) must
/// be exactly a glyph of `font`, or a glyph under the cursor (lines 13–14 lit, SeaBIOS's
/// cursor shape); printable ASCII wins among equal glyphs. `?` for a cell that matches no
/// glyph (so an illegible screen reads as noise, not as text).
fn read_screen(img: &image::RgbImage, font: &[[u8; 16]]) -> Vec<String> {
    // A cell's background is its 9th column's colour on its first line (blank in every
    // glyph), so reverse video (a highlighted menu entry) reads as well.
    let lit = |x: u32, y: u32| {
        let (col, row) = (x / 9, y / 16);
        img.get_pixel(x, y) != img.get_pixel(col * 9 + 8, row * 16)
    };
    let order: Vec<usize> = (0x20..0x7f).chain(0..0x20).chain(0x7f..0x100).collect();
    (0..25)
        .map(|row| {
            (0..80)
                .map(|col| {
                    let cell: Vec<u8> = (0..16)
                        .map(|line| {
                            (0..8).fold(0u8, |b, x| {
                                b | (u8::from(lit(col * 9 + x, row * 16 + line)) << (7 - x))
                            })
                        })
                        .collect();
                    let under_cursor = |g: &[u8; 16]| {
                        let mut g = *g;
                        g[13] = 0xff;
                        g[14] = 0xff;
                        g
                    };
                    order
                        .iter()
                        .find(|&&c| font[c][..] == cell[..])
                        .or_else(|| {
                            order
                                .iter()
                                .find(|&&c| under_cursor(&font[c])[..] == cell[..])
                        })
                        .map_or('?', |&c| c as u8 as char)
                })
                .collect()
        })
        .collect()
}

fn exits(api: &mut Api) -> (u64, u64, u64) {
    let c = api.cmd("counters")["result"].clone();
    let get = |name: &str| {
        c["exits"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e[0] == name)
            .map_or(0, |e| e[1].as_u64().unwrap())
    };
    (
        get("io-in") + get("io-out"),
        get("mmio-read") + get("mmio-write"),
        c["uptime_ms"].as_u64().unwrap(),
    )
}

#[test]
fn seabios_text_screen_is_legible_on_the_vga() {
    let name = "seabios_text_screen_is_legible_on_the_vga";
    if !kvm_or_skip(name) || !seabios_or_skip(name) {
        return;
    }
    let t0 = Instant::now();
    let mut vm = start_vga_vm("vga-text", |_| String::new());
    vm.wait_serial("No bootable device", FIRMWARE_TIMEOUT);
    let mut api = vm.api();
    let font = vga_font();
    // COM1 may show the line before the screen has all of it: look again for a while.
    let deadline = Instant::now() + Duration::from_secs(20);
    let (img, screen) = loop {
        let img = shot(&vm, &mut api, "seabios.png");
        assert_eq!(img.dimensions(), (720, 400), "mode 3 with 9-dot characters");
        let screen = read_screen(&img, &font);
        if screen.iter().any(|l| l.contains("seconds.")) || Instant::now() > deadline {
            break (img, screen);
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let _ = img;
    let text = screen.join("\n");
    eprintln!(
        "the VGA after {:.1} s (saved as {}):\n{text}",
        t0.elapsed().as_secs_f64(),
        vm.dir.path().join("seabios.png").display()
    );
    assert!(screen[0].starts_with("SeaBIOS (version "), "{text}");
    assert!(
        screen
            .iter()
            .any(|l| l.starts_with("No bootable device.  Retrying in 60 seconds.")),
        "{text}"
    );
    assert!(
        !text.contains('?'),
        "cells that are no glyph of the font:\n{text}"
    );
    // The idle text screen (SeaBIOS waiting to retry) costs no MMIO exits: the text buffer
    // and VRAM are memory. Its port exits are SeaBIOS's own idle loop.
    let (io0, mmio0, t0) = exits(&mut api);
    std::thread::sleep(Duration::from_secs(3));
    let (io1, mmio1, t1) = exits(&mut api);
    let secs = (t1 - t0) as f64 / 1000.0;
    eprintln!(
        "idle text screen: {:.0} port exits/s, {:.1} MMIO exits/s",
        (io1 - io0) as f64 / secs,
        (mmio1 - mmio0) as f64 / secs
    );
    assert_eq!(mmio1, mmio0, "MMIO exits on an idle text screen");
}

/// A boot sector that asks the VGA BIOS for VBE mode 0x118 (1024×768, 24 bpp, linear frame
/// buffer), puts one red pixel at 0,0 through the banked window at 0xa0000, and halts.
pub(crate) fn vbe_boot_sector() -> Vec<u8> {
    #[rustfmt::skip]
    let code: [u8; 30] = [
        0xb8, 0x02, 0x4f,       // mov ax, 0x4f02 (VBE set mode)
        0xbb, 0x18, 0x41,       // mov bx, 0x4118 (0x118 | linear frame buffer)
        0xcd, 0x10,             // int 0x10
        0xb8, 0x00, 0xa0,       // mov ax, 0xa000
        0x8e, 0xc0,             // mov es, ax
        0x26, 0xc7, 0x06, 0x00, 0x00, 0x00, 0x00, // mov word [es:0], 0 (blue, green)
        0x26, 0xc6, 0x06, 0x02, 0x00, 0xff,       // mov byte [es:2], 0xff (red)
        0xfa,                   // cli
        0xf4,                   // hang: hlt
        0xeb, 0xfd,             // jmp hang
    ];
    let mut sector = vec![0u8; 512];
    sector[..code.len()].copy_from_slice(&code);
    sector[510] = 0x55;
    sector[511] = 0xaa;
    sector
}

fn vnc_client(vm: &Vm, desktop_size: bool) -> rfb::Client {
    let path = vm.dir.path().join("run/vnc.sock");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !path.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut c = rfb::Client::unix(&path).expect("VNC connects");
    let mut encs = vec![ENCODING_RAW];
    if desktop_size {
        encs.push(ENCODING_DESKTOP_SIZE);
    }
    c.set_encodings(&encs);
    c.request(false);
    // The first (whole-screen) answer, so later reads see only what came after.
    c.read_update().expect("the first update");
    c
}

#[test]
fn a_vbe_mode_the_guest_sets_resizes_the_screen_for_screenshots_and_vnc() {
    let name = "a_vbe_mode_the_guest_sets_resizes_the_screen_for_screenshots_and_vnc";
    if !kvm_or_skip(name) || !seabios_or_skip(name) {
        return;
    }
    let vm = start_vga_vm("vga-vbe", |dir| {
        let mut image = vbe_boot_sector();
        image.resize(1 << 20, 0);
        let path = dir.join("boot.img");
        std::fs::write(&path, image).unwrap();
        format!(
            "\n[[disks]]\npath = \"{}\"\nformat = \"raw\"\n",
            path.display()
        )
    });
    // Both clients connect while the screen is still text (or not yet programmed).
    let mut resizing = vnc_client(&vm, true);
    let mut fixed = vnc_client(&vm, false);
    let old = (fixed.w, fixed.h);
    assert_ne!(old, (1024, 768));
    resizing.request(true);
    let deadline = Instant::now() + FIRMWARE_TIMEOUT;
    loop {
        assert!(Instant::now() < deadline, "no DesktopSize 1024x768 came");
        let Ok(rects) = resizing.read_update() else {
            resizing.request(true);
            continue;
        };
        resizing.request(true);
        if rects
            .iter()
            .any(|(r, enc)| *enc == ENCODING_DESKTOP_SIZE && (r.w, r.h) == (1024, 768))
        {
            break;
        }
    }
    let mut api = vm.api();
    let img = shot(&vm, &mut api, "vbe.png");
    assert_eq!(img.dimensions(), (1024, 768));
    // The pixel written through the bank window, read back from VRAM as 24 bpp.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut img = img;
    while img.get_pixel(0, 0).0 != [0xff, 0, 0] && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
        img = shot(&vm, &mut api, "vbe.png");
    }
    assert_eq!(img.get_pixel(0, 0).0, [0xff, 0, 0]);
    assert_eq!(img.get_pixel(1, 0).0, [0, 0, 0]);
    // The client without DesktopSize keeps its size and is still served (clipped).
    fixed.request(false);
    let rects = fixed
        .read_update()
        .expect("the fixed-size client is still served");
    assert!(
        rects
            .iter()
            .all(|(r, _)| r.x + r.w <= old.0 && r.y + r.h <= old.1),
        "{rects:?} outside {old:?}"
    );
    assert_eq!((fixed.w, fixed.h), old);
}

#[test]
fn the_vga_screen_survives_a_snapshot_restored_in_a_new_process() {
    let name = "the_vga_screen_survives_a_snapshot_restored_in_a_new_process";
    if !kvm_or_skip(name) || !seabios_or_skip(name) {
        return;
    }
    let mut vm = start_vga_vm("vga-snap", |_| String::new());
    vm.wait_serial("No bootable device", FIRMWARE_TIMEOUT);
    let mut api = vm.api();
    // SeaBIOS now idles for 60 s: the screen holds still.
    std::thread::sleep(Duration::from_secs(1));
    let before = shot(&vm, &mut api, "before.png");
    let r = api.call(json!({"cmd": "snapshot-create", "name": "text screen"}));
    assert_eq!(r["ok"], true, "{r}");
    let id = r["result"]["id"].as_str().unwrap().to_string();
    let dir = vm.dir.path().join("snapshots").join(&id);
    let fw = vmm_core::snapshot::read_firmware_state(&dir)
        .unwrap()
        .expect("a firmware section");
    let vga = fw.vga.expect("the VGA's state is saved");
    let text: String = vga.text.iter().step_by(2).map(|&b| b as char).collect();
    assert!(text.starts_with("SeaBIOS (version"), "{}", &text[..80]);
    assert!(
        !vga.vram_pages.is_empty() && vga.vram_pages.len() < 64,
        "sparse VRAM: the font's pages, {} saved",
        vga.vram_pages.len()
    );
    assert!(
        dir.join("screen.png").is_file(),
        "a thumbnail of the VGA screen"
    );

    vm.child.kill().unwrap();
    vm.child.wait().unwrap();
    drop(api);
    vm.restore(&id);
    let mut api = Api::connect(&vm.socket(), FIRMWARE_TIMEOUT);
    let after = shot(&vm, &mut api, "after.png");
    assert_eq!(after.dimensions(), before.dimensions());
    let differ = before
        .pixels()
        .zip(after.pixels())
        .filter(|(a, b)| a != b)
        .count();
    assert_eq!(differ, 0, "pixels that differ after the restore");
}

#[test]
fn a_missing_vga_bios_is_refused_naming_the_file_and_package() {
    let name = "a_missing_vga_bios_is_refused_naming_the_file_and_package";
    if !kvm_or_skip(name) || !seabios_or_skip(name) {
        return;
    }
    let mut vm = start_vga_vm("vga-norom", |_| String::new());
    // The [boot] section comes before [display]: name the ROM there.
    let path = vm.dir.path().join("vm.toml");
    let toml = std::fs::read_to_string(&path).unwrap().replace(
        "kind = \"bios\"\n",
        "kind = \"bios\"\nvga_rom = \"missing-vga.bin\"\n",
    );
    let _ = vm.child.kill();
    let _ = vm.child.wait();
    std::fs::write(&path, toml).unwrap();
    vm.restart();
    let (st, _, stderr) = vm.wait_exit(Duration::from_secs(60));
    assert_ne!(st.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("boot.vga_rom")
            && stderr.contains("missing-vga.bin")
            && stderr.contains("seabios"),
        "{stderr}"
    );
}

#[test]
fn grubs_menu_is_legible_on_the_vga() {
    let name = "grubs_menu_is_legible_on_the_vga";
    if !kvm_or_skip(name)
        || !seabios_or_skip(name)
        || !tool_or_skip(
            "grub-mkrescue",
            name,
            "apt-get install grub-common grub-pc-bin xorriso mtools",
        )
    {
        return;
    }
    let t0 = Instant::now();
    let mut vm = start_vga_vm("vga-grub", |dir| {
        // A hybrid ISO (it boots as a disk through its MBR) with a menu and no timeout.
        let root = dir.join("iso");
        std::fs::create_dir_all(root.join("boot/grub")).unwrap();
        std::fs::write(
            root.join("boot/grub/grub.cfg"),
            "set timeout=-1\nmenuentry \"vmdesk VGA test entry\" {\n  echo hello\n}\n",
        )
        .unwrap();
        let iso = dir.join("grub.iso");
        let out = std::process::Command::new("grub-mkrescue")
            .arg("-o")
            .arg(&iso)
            .arg(&root)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        format!(
            "\n[[disks]]\npath = \"{}\"\nformat = \"raw\"\n",
            iso.display()
        )
    });
    // GRUB's serial terminal may move the cursor in the middle of the words.
    vm.wait_serial_text("Welcome to GRUB", GRUB_TIMEOUT);
    let mut api = vm.api();
    let font = vga_font();
    // GRUB loads its modules, then draws the menu (about 30 s here on a software KVM).
    let deadline = Instant::now() + GRUB_TIMEOUT;
    let screen = loop {
        let img = shot(&vm, &mut api, "grub.png");
        assert_eq!(img.dimensions(), (720, 400));
        let screen = read_screen(&img, &font);
        if screen.iter().any(|l| l.contains("vmdesk VGA test entry")) {
            break screen;
        }
        assert!(
            Instant::now() < deadline,
            "no menu on the screen:\n{}",
            screen.join("\n")
        );
        std::thread::sleep(Duration::from_secs(1));
    };
    let text = screen.join("\n");
    eprintln!(
        "GRUB's menu after {:.1} s (saved as {}):\n{text}",
        t0.elapsed().as_secs_f64(),
        vm.dir.path().join("grub.png").display()
    );
    assert!(text.contains("GNU GRUB  version "), "{text}");
    assert!(
        text.contains("Press enter to boot the selected OS"),
        "{text}"
    );
    let (io0, mmio0, t0) = exits(&mut api);
    std::thread::sleep(Duration::from_secs(3));
    let (io1, mmio1, t1) = exits(&mut api);
    let secs = (t1 - t0) as f64 / 1000.0;
    eprintln!(
        "idle GRUB menu: {:.0} port exits/s, {:.1} MMIO exits/s",
        (io1 - io0) as f64 / secs,
        (mmio1 - mmio0) as f64 / secs
    );
    assert_eq!(mmio1, mmio0, "MMIO exits on GRUB's idle menu");
}
