//! Harnesses for what arrives as bytes from outside the guest: VNC clients' messages, control
//! API lines, `vm.toml` files, snapshot folders.

use crate::api::{Event, Hello, Request};
use crate::config::{HostLimits, VmConfig};
use crate::display::vnc::desktop;
use crate::display::vnc::encode::{encode_raw, PixelConverter, ZrleEncoder};
use crate::display::vnc::keysym::keysym_to_evdev;
use crate::display::vnc::proto::{
    parse_client_message, ClientMessage, EncodingPrefs, PixelFormat, Screen, MAX_MESSAGE_LEN,
    MAX_SCREENS,
};
use crate::display::{DisplayResize, ResizeError};
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;

/// A VNC client's message stream: the parser consumes at least one byte per message and no
/// more than it was given, and what it accepts is safe to act on (pixel formats encode, any
/// rectangle encodes in any accepted format, keysyms map or are refused).
pub fn rfb_client_messages(data: &[u8]) {
    let mut rest = data;
    let mut conv = PixelConverter::new(&PixelFormat::XRGB8888);
    let mut zrle = ZrleEncoder::new();
    let mut out = Vec::new();
    while let Ok(Some((msg, n))) = parse_client_message(rest) {
        assert!(n > 0 && n <= rest.len() && n <= MAX_MESSAGE_LEN);
        // Feeding the same message in two pieces must give the same answer.
        if n > 1 {
            assert_eq!(parse_client_message(&rest[..n - 1]), Ok(None));
        }
        rest = &rest[n..];
        match msg {
            ClientMessage::SetPixelFormat(pf) => {
                if pf.check_supported().is_ok() {
                    conv = PixelConverter::new(&pf);
                }
            }
            ClientMessage::SetEncodings(list) => {
                let _ = EncodingPrefs::from_list(&list);
            }
            ClientMessage::FramebufferUpdateRequest { x, y, w, h, .. } => {
                // A small rectangle whose pixels come from the input itself.
                let (w, h) = (usize::from(w % 70) + 1, usize::from(h % 70) + 1);
                let seed = u32::from(x) << 16 | u32::from(y);
                let src: Vec<u8> = (0..w * h)
                    .flat_map(|i| {
                        let v = if i % 7 == 0 { seed ^ i as u32 } else { seed };
                        v.to_le_bytes()
                    })
                    .collect();
                out.clear();
                encode_raw(&conv, &src, &mut out);
                assert_eq!(out.len(), w * h * conv.bytes_per_pixel());
                out.clear();
                zrle.encode(&conv, &src, w, h, &mut out).expect("zrle");
                let len = u32::from_be_bytes([out[0], out[1], out[2], out[3]]) as usize;
                assert_eq!(len + 4, out.len());
            }
            ClientMessage::KeyEvent { keysym, .. } => {
                if let Some(code) = keysym_to_evdev(keysym) {
                    assert!(code > 0 && code < 0x2ff);
                }
            }
            ClientMessage::PointerEvent { .. } | ClientMessage::ClientCutText { .. } => {}
            ClientMessage::SetDesktopSize {
                width,
                height,
                count,
                screens,
            } => set_desktop_size(width, height, count, &screens, &conv),
        }
    }
}

/// A SetDesktopSize as the session answers it: the kept screens are bounded, the answer is
/// one of the spec's status codes and only a valid layout reaches the display, and the
/// answer (and a cursor of the requested size) encodes to exactly its length.
fn set_desktop_size(width: u16, height: u16, count: u8, screens: &[Screen], conv: &PixelConverter) {
    assert_eq!(screens.len(), usize::from(count).min(MAX_SCREENS));
    struct Display(std::sync::Mutex<Option<(u32, u32)>>);
    impl DisplayResize for Display {
        fn request_size(&self, w: u32, h: u32) -> Result<(), ResizeError> {
            *self.0.lock().unwrap() = Some((w, h));
            match w {
                0..64 => Err(ResizeError::Invalid("small".into())),
                7681.. => Err(ResizeError::TooLarge("large".into())),
                _ => Ok(()),
            }
        }
    }
    let display = Display(std::sync::Mutex::new(None));
    let status = desktop::answer_request(Some(&display), (640, 480), width, height, count, screens);
    assert!(status <= desktop::STATUS_FORWARDED);
    let asked = *display.0.lock().unwrap();
    let valid = desktop::check_layout(width, height, count, screens).is_ok();
    assert_eq!(asked.is_some(), valid);
    if let Some(asked) = asked {
        assert_eq!(asked, (u32::from(width), u32::from(height)));
    }
    assert_eq!(
        desktop::answer_request(None, (640, 480), width, height, count, screens),
        desktop::STATUS_PROHIBITED
    );
    let screen = screens
        .first()
        .copied()
        .unwrap_or(desktop::our_screen(640, 480));
    let mut out = Vec::new();
    desktop::extended_desktop_size_update(
        &mut out,
        &[(desktop::REASON_CLIENT, status, (640, 480), screen)],
    );
    assert_eq!(out.len(), 4 + 12 + 4 + 16);
    // A cursor as large as the request (bounded), its alpha from the screen ids.
    let (w, h) = (u32::from(width % 80), u32::from(height % 80));
    let pixels: Vec<u8> = (0..w * h)
        .flat_map(|i| (screen.id ^ i.wrapping_mul(0x9e37_79b9)).to_le_bytes())
        .collect();
    let shape = crate::display::CursorShape {
        w,
        h,
        hot_x: screen.x.into(),
        hot_y: screen.y.into(),
        pixels,
    };
    out.clear();
    desktop::put_cursor(&mut out, conv, &shape);
    let (w, h) = (w as usize, h as usize);
    let data = if w > 0 && h > 0 {
        w * h * conv.bytes_per_pixel() + w.div_ceil(8) * h
    } else {
        0
    };
    assert_eq!(out.len(), 12 + data);
}

/// Control API lines both ways. As the server reads them: each `\n`-terminated line (at most
/// 1 MiB) is a request or a parse error, never a panic; a request survives its own JSON round
/// trip unchanged, and the error reply to a bad line serializes. As the app reads the
/// server's: the line after a request is parsed as that request's reply, and any line as the
/// hello (then checked) and as an event.
///
/// The server's dispatcher acts on a live `VmHandle` (KVM's VM and vCPU fds), which no fuzzer
/// can build per input; what it does with a request is covered by the API's tests and e2e.
pub fn control_api_requests(data: &[u8]) {
    let mut last: Option<Request> = None;
    for line in data.split(|&b| b == b'\n').take(64) {
        if line.len() > 1 << 20 || line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if let (Some(req), Ok(text)) = (&last, std::str::from_utf8(line)) {
            if let Ok(reply) = req.command.parse_reply(text) {
                let json = serde_json::to_string(&reply).expect("a parsed reply serializes");
                assert!(req.command.parse_reply(&json).is_ok(), "{json}");
            }
        }
        if let Ok(hello) = serde_json::from_slice::<Hello>(line) {
            let _ = hello.check();
        }
        let _ = serde_json::from_slice::<Event>(line);
        match serde_json::from_slice::<Request>(line) {
            Ok(req) => {
                let json = serde_json::to_vec(&req).expect("a parsed request serializes");
                let back: Request =
                    serde_json::from_slice(&json).expect("a request's own JSON parses");
                assert_eq!(back, req, "{}", String::from_utf8_lossy(&json));
                last = Some(req);
            }
            Err(e) => {
                let reply = crate::api::Reply::<crate::api::Response>::new(
                    None,
                    Err(crate::api::ApiError::new(
                        crate::api::ErrorCode::BadRequest,
                        format!("cannot parse request: {e}"),
                    )),
                );
                serde_json::to_vec(&reply).expect("an error reply serializes");
                last = None;
            }
        }
    }
}

/// The files a fuzzed `vm.toml` may name: every path in it is mapped onto one of these (by
/// its last component's length), so validation opens real files of every kind but nothing
/// of the host's (a fuzzer that wrote `/dev/watchdog` must not open it).
fn config_fixtures() -> &'static [PathBuf] {
    static FILES: OnceLock<Vec<PathBuf>> = OnceLock::new();
    FILES.get_or_init(|| {
        let d = super::scratch().join("config-files");
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("folder")).expect("fixture folder");
        let p = |n: &str| d.join(n);
        std::fs::write(p("raw.img"), vec![0u8; 0x1_0000]).expect("fixture");
        crate::storage::create_qcow2(&p("disk.qcow2"), 0x1_0000).expect("fixture");
        std::fs::write(p("kernel"), b"not a kernel").expect("fixture");
        std::fs::write(p("empty"), b"").expect("fixture");
        std::fs::write(p("cd.iso"), vec![0u8; 0x8000]).expect("fixture");
        let fifo =
            std::ffi::CString::new(p("fifo").to_str().expect("UTF-8").as_bytes()).expect("no NUL");
        // SAFETY: a valid NUL-terminated path; mkfifo only creates a node.
        unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) };
        [
            "raw.img",
            "disk.qcow2",
            "kernel",
            "empty",
            "cd.iso",
            "fifo",
            "folder",
            "missing",
        ]
        .iter()
        .map(|n| p(n))
        .collect()
    })
}

fn fixture_for(p: &Path) -> PathBuf {
    let files = config_fixtures();
    let n = p.components().count() + p.as_os_str().len();
    files[n % files.len()].clone()
}

/// Puts every path of `cfg` on a fixture (see [`config_fixtures`]).
fn confine(cfg: &mut VmConfig) {
    use crate::config::BootSource;
    let fix = |p: &mut PathBuf| *p = fixture_for(p);
    match &mut cfg.boot {
        BootSource::Linux { kernel, initrd, .. } => {
            fix(kernel);
            initrd.iter_mut().for_each(fix);
        }
        BootSource::Bios {
            firmware, vga_rom, ..
        } => {
            firmware.iter_mut().for_each(fix);
            vga_rom.iter_mut().for_each(fix);
        }
        BootSource::Uefi { firmware, vars, .. } => {
            firmware.iter_mut().for_each(fix);
            vars.iter_mut().for_each(fix);
        }
    }
    for d in &mut cfg.disks {
        fix(&mut d.path);
        d.allow_backing.iter_mut().for_each(fix);
    }
    for c in &mut cfg.cdroms {
        c.path.iter_mut().for_each(fix);
    }
    cfg.serial.log_file.iter_mut().for_each(fix);
}

/// `vm.toml` as the VMM and the app read it: parse, then validate (with every path put on a
/// fixture file first, see [`config_fixtures`]). A config that parses must serialize and parse
/// back unchanged; one that validates has an id that is a single plain path component (it
/// names folders and sockets).
pub fn vmconfig_toml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(mut cfg) = VmConfig::from_toml(text) else {
        return;
    };
    let again = toml::to_string_pretty(&cfg).expect("a parsed config serializes");
    let back = VmConfig::from_toml(&again)
        .unwrap_or_else(|e| panic!("a config's own TOML fails to parse: {e}\n{again}"));
    assert_eq!(back, cfg, "{again}");
    confine(&mut cfg);
    let host = HostLimits {
        max_vcpus: 8,
        memory_mib: 4096,
    };
    let vm_dir = super::scratch().join("vm");
    let _ = std::fs::create_dir_all(&vm_dir);
    if cfg.validate_in(&host, &vm_dir).is_ok() {
        let id = Path::new(&cfg.id);
        assert!(
            matches!(
                id.components().collect::<Vec<_>>()[..],
                [Component::Normal(_)]
            ),
            "id {:?} is not one plain path component",
            cfg.id
        );
        let _ = cfg.boot_order();
        let _ = cfg.disk_slots();
    }
}

/// A snapshot folder as a revert reads it: `meta.json`, `disks.json` and `state.bin` from
/// the input, `memory.bin` the size of a 64 KiB guest. Input: a flags byte (bit 0: the state
/// file is the input as it is; else the input is its payload, under a valid header), two
/// bytes of `meta.json` length and the file, two of `disks.json` and the file, then the state.
/// Everything a revert checks before touching the VM runs, then the device states are put on
/// fresh devices (serial, ACPI, virtio transports, whose restored queues are then served):
/// errors name a file or part, nothing panics.
pub fn snapshot_state(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let take = |rest: &mut &[u8]| -> Vec<u8> {
        let [a, b, tail @ ..] = *rest else {
            *rest = &[];
            return Vec::new();
        };
        let n = usize::from(u16::from_le_bytes([*a, *b])).min(tail.len());
        let (part, tail) = tail.split_at(n);
        *rest = tail;
        part.to_vec()
    };
    let mut rest = rest;
    let meta = take(&mut rest);
    let disks = take(&mut rest);
    let dir = super::fresh_path("snapshot");
    if std::fs::create_dir(&dir).is_err() {
        return;
    }
    let state = if flags & 1 != 0 {
        rest.to_vec()
    } else {
        crate::snapshot::file::encode_payload(rest)
    };
    let written = std::fs::write(dir.join("meta.json"), meta)
        .and_then(|()| {
            if disks.is_empty() {
                Ok(())
            } else {
                std::fs::write(dir.join("disks.json"), disks)
            }
        })
        .and_then(|()| std::fs::write(dir.join("state.bin"), state))
        .and_then(|()| std::fs::write(dir.join("memory.bin"), vec![0u8; super::MEM]));
    if written.is_ok() {
        let mem = super::guest_memory(&[]);
        if let Err(e) = crate::snapshot::check_offline(&dir, &mem) {
            // Every error names what it is about.
            assert!(!e.to_string().is_empty());
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
