//! The VNC server's size requests and pointer shapes, with a raw RFB client
//! (`vmdesk_test_support::rfb`): ExtendedDesktopSize and SetDesktopSize against a fake display
//! that changes size when asked (as a guest's driver does, a little later), DesktopSize for
//! clients without the extension, and Cursor pseudo-rectangles from a fake pointer source.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use vmdesk_test_support::rfb::{Client, DesktopSize};
use vmm_core::display::vnc::proto::{
    PixelFormat, Screen, ENCODING_CURSOR, ENCODING_DESKTOP_SIZE, ENCODING_EXTENDED_DESKTOP_SIZE,
    ENCODING_RAW,
};
use vmm_core::display::vnc::{serve_unix, VncOptions, VncServer};
use vmm_core::display::{
    CursorShape, CursorSource, DamageBus, DisplayHandle, DisplayResize, FrameSource, InputSink,
    Rect, ResizeError,
};

/// The picture at any size: every pixel says where it is and how large the frame is.
fn pixel(x: u32, y: u32, w: u32) -> u32 {
    (x * 7 + y * 13 + w) & 0xff_ffff
}

struct Frame(Mutex<(u32, u32)>);

impl FrameSource for Frame {
    fn width(&self) -> u32 {
        self.0.lock().unwrap().0
    }
    fn height(&self) -> u32 {
        self.0.lock().unwrap().1
    }
    fn read_rect(&self, r: Rect, out: &mut Vec<u8>) {
        out.clear();
        let (w, h) = *self.0.lock().unwrap();
        for y in r.y..(r.y + r.h).min(h) {
            for x in r.x..(r.x + r.w).min(w) {
                out.extend_from_slice(&pixel(x, y, w).to_le_bytes());
            }
        }
    }
}

struct NoInput;
impl InputSink for NoInput {
    fn key(&self, _: u16, _: bool) {}
    fn pointer(&self, _: u32, _: u32, _: u8) {}
}

/// Changes the frame's size 50 ms after it is asked, from another thread (like a guest).
struct Resizer {
    frame: Arc<Frame>,
    damage: Arc<DamageBus>,
    asked: Mutex<Vec<(u32, u32)>>,
}

impl DisplayResize for Resizer {
    fn request_size(&self, w: u32, h: u32) -> Result<(), ResizeError> {
        if w > 2000 || h > 2000 {
            return Err(ResizeError::TooLarge(format!("{w}x{h}")));
        }
        if w < 16 || h < 16 {
            return Err(ResizeError::Invalid(format!("{w}x{h}")));
        }
        self.asked.lock().unwrap().push((w, h));
        if (self.frame.width(), self.frame.height()) == (w, h) {
            return Ok(());
        }
        let (frame, damage) = (self.frame.clone(), self.damage.clone());
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            *frame.0.lock().unwrap() = (w, h);
            damage.publish(&[Rect { x: 0, y: 0, w, h }]);
        });
        Ok(())
    }
}

#[derive(Default)]
struct Pointer {
    shape: Mutex<CursorShape>,
    serial: AtomicU64,
}

impl CursorSource for Pointer {
    fn shape_serial(&self) -> u64 {
        self.serial.load(Ordering::SeqCst)
    }
    fn shape(&self) -> (CursorShape, u64) {
        let s = self.shape.lock().unwrap();
        (s.clone(), self.serial.load(Ordering::SeqCst))
    }
}

struct Rig {
    frame: Arc<Frame>,
    damage: Arc<DamageBus>,
    resizer: Arc<Resizer>,
    pointer: Arc<Pointer>,
    server: VncServer,
    _dir: tempfile::TempDir,
}

fn rig(resizable: bool) -> Rig {
    let frame = Arc::new(Frame(Mutex::new((64, 48))));
    let damage = Arc::new(DamageBus::default());
    let resizer = Arc::new(Resizer {
        frame: frame.clone(),
        damage: damage.clone(),
        asked: Mutex::new(Vec::new()),
    });
    let pointer = Arc::new(Pointer::default());
    let display = DisplayHandle {
        frame: frame.clone(),
        input: Arc::new(NoInput),
        damage: damage.clone(),
        resize: resizable.then(|| resizer.clone() as Arc<dyn DisplayResize>),
        cursor: Some(pointer.clone()),
    };
    let dir = tempfile::tempdir().unwrap();
    let server = serve_unix(&dir.path().join("vnc.sock"), display, VncOptions::default()).unwrap();
    Rig {
        frame,
        damage,
        resizer,
        pointer,
        server,
        _dir: dir,
    }
}

impl Rig {
    fn client(&self, encodings: &[i32]) -> Client {
        let mut c = Client::unix(self.server.socket_path().unwrap()).unwrap();
        c.set_pixel_format(PixelFormat::XRGB8888);
        c.set_encodings(encodings);
        c
    }
}

fn one_screen(w: u16, h: u16) -> Screen {
    Screen {
        id: 0,
        x: 0,
        y: 0,
        w,
        h,
        flags: 0,
    }
}

fn eds(reason: u16, status: u16, w: u32, h: u32) -> DesktopSize {
    DesktopSize {
        reason,
        status,
        w,
        h,
        screens: vec![one_screen(w as u16, h as u16)],
    }
}

/// Reads one update that must carry only ExtendedDesktopSize rectangles; returns them.
fn read_desktop(c: &mut Client) -> Vec<DesktopSize> {
    let before = c.desktop.len();
    let rects = c.read_update().unwrap();
    assert!(
        rects
            .iter()
            .all(|(_, e)| *e == ENCODING_EXTENDED_DESKTOP_SIZE),
        "an ExtendedDesktopSize update carries nothing else: {rects:?}"
    );
    c.desktop[before..].to_vec()
}

fn is_the_picture(c: &Client) -> bool {
    c.fb.len() == (c.w * c.h) as usize
        && (0..c.h).all(|y| (0..c.w).all(|x| c.fb[(y * c.w + x) as usize] == pixel(x, y, c.w)))
}

#[test]
fn set_desktop_size_is_forwarded_and_every_client_follows_the_new_size() {
    let rig = rig(true);
    let mut a = rig.client(&[
        ENCODING_RAW,
        ENCODING_EXTENDED_DESKTOP_SIZE,
        ENCODING_DESKTOP_SIZE,
    ]);
    let mut b = rig.client(&[ENCODING_RAW, ENCODING_DESKTOP_SIZE]);
    let mut old = rig.client(&[ENCODING_RAW]);

    // A non-incremental request: the layout first, in an update of its own, then the pixels.
    a.request(false);
    assert_eq!(read_desktop(&mut a), [eds(0, 0, 64, 48)]);
    a.read_update().unwrap();
    assert!(is_the_picture(&a));
    for c in [&mut b, &mut old] {
        c.request(false);
        c.read_update().unwrap();
        assert!(is_the_picture(c));
    }

    // Bad layouts and sizes: refused, nothing asked of the display.
    a.set_desktop_size(100, 80, &[one_screen(50, 80), one_screen(50, 80)]);
    a.set_desktop_size(100, 80, &[one_screen(90, 80)]);
    a.set_desktop_size(100, 80, &[]);
    a.set_desktop_size(8, 8, &[one_screen(8, 8)]);
    a.set_desktop_size(4000, 80, &[one_screen(4000, 80)]);
    let mut got = Vec::new();
    while got.len() < 5 {
        got.extend(
            read_desktop(&mut a)
                .into_iter()
                .map(|d| (d.reason, d.status)),
        );
    }
    assert_eq!(got, [(1, 3), (1, 3), (1, 3), (1, 3), (1, 2)]);
    assert!(rig.resizer.asked.lock().unwrap().is_empty());
    // The size it has already: done, the client's screen echoed.
    let mine = Screen {
        id: 5,
        flags: 1 << 20,
        ..one_screen(64, 48)
    };
    a.set_desktop_size(64, 48, &[mine]);
    let d = read_desktop(&mut a);
    assert_eq!(
        (d[0].reason, d[0].status, d[0].screens.clone()),
        (1, 0, vec![mine])
    );

    // A good one: forwarded (4), at the old size; the new size follows as a server change.
    a.set_desktop_size(100, 80, &[one_screen(100, 80)]);
    assert_eq!(read_desktop(&mut a), [eds(1, 4, 64, 48)]);
    assert_eq!(*rig.resizer.asked.lock().unwrap(), [(64, 48), (100, 80)]);
    a.request(true);
    assert_eq!(read_desktop(&mut a), [eds(0, 0, 100, 80)]);
    assert_eq!((a.w, a.h), (100, 80));
    // Then the whole new frame, for the next (incremental) request.
    a.request(true);
    let rects = a.read_update().unwrap();
    assert_eq!(
        rects,
        [(
            Rect {
                x: 0,
                y: 0,
                w: 100,
                h: 80
            },
            ENCODING_RAW
        )]
    );
    assert!(is_the_picture(&a));

    // A DesktopSize client gets the size with the pixels; an old client keeps its size.
    b.request(true);
    let rects = b.read_update().unwrap();
    assert_eq!(rects[0].1, ENCODING_DESKTOP_SIZE);
    assert_eq!((b.w, b.h), (100, 80));
    assert!(is_the_picture(&b));
    assert!(b.desktop.is_empty());
    old.request(true);
    old.read_update().unwrap();
    assert_eq!((old.w, old.h), (64, 48));

    // A size the guest sets on its own reaches the client the same way.
    *rig.frame.0.lock().unwrap() = (40, 30);
    rig.damage.publish(&[Rect {
        x: 0,
        y: 0,
        w: 40,
        h: 30,
    }]);
    a.request(true);
    assert_eq!(read_desktop(&mut a), [eds(0, 0, 40, 30)]);
    a.request(true);
    a.read_update().unwrap();
    assert!(is_the_picture(&a));
}

#[test]
fn a_display_that_cannot_change_size_prohibits_requests() {
    let rig = rig(false);
    let mut a = rig.client(&[ENCODING_RAW, ENCODING_EXTENDED_DESKTOP_SIZE]);
    a.request(false);
    assert_eq!(read_desktop(&mut a), [eds(0, 0, 64, 48)]);
    a.read_update().unwrap();
    a.set_desktop_size(100, 80, &[one_screen(100, 80)]);
    assert_eq!(read_desktop(&mut a), [eds(1, 1, 64, 48)]);
    assert_eq!((a.w, a.h), (64, 48));
    assert_eq!(rig.frame.width(), 64);
}

fn arrow(w: u32, h: u32) -> CursorShape {
    let mut pixels = Vec::new();
    for y in 0..h {
        for x in 0..w {
            let a = if x <= y { 0xff } else { 0 };
            pixels.extend_from_slice(&[x as u8, y as u8, 0x80, a]);
        }
    }
    CursorShape {
        w,
        h,
        hot_x: 1,
        hot_y: 2,
        pixels,
    }
}

#[test]
fn the_pointer_shape_goes_to_clients_that_draw_it_once_per_change() {
    let rig = rig(true);
    *rig.pointer.shape.lock().unwrap() = arrow(12, 10);
    rig.pointer.serial.store(1, Ordering::SeqCst);
    let mut a = rig.client(&[ENCODING_RAW, ENCODING_CURSOR]);
    let mut plain = rig.client(&[ENCODING_RAW]);

    a.request(false);
    let rects = a.read_update().unwrap();
    assert_eq!(rects[0].1, ENCODING_CURSOR);
    assert_eq!(rects.len(), 2, "the cursor, then the pixels");
    let c = a.cursor.clone().unwrap();
    assert_eq!((c.hot_x, c.hot_y, c.w, c.h), (1, 2, 12, 10));
    for y in 0..10 {
        for x in 0..12 {
            assert_eq!(c.opaque(x, y), x <= y, "mask at {x},{y}");
            assert_eq!(c.pixels[(y * 12 + x) as usize], 0x80 << 16 | y << 8 | x);
        }
    }
    plain.request(false);
    let rects = plain.read_update().unwrap();
    assert!(rects.iter().all(|(_, e)| *e == ENCODING_RAW));

    // Nothing changed: nothing is sent, not even the cursor again.
    a.request(true);
    assert_eq!(a.bytes_within(Duration::from_millis(300)), 0);
    // A new shape: an update with just the cursor (the guest's wake-up is an empty rect).
    *rig.pointer.shape.lock().unwrap() = CursorShape::default();
    rig.pointer.serial.store(2, Ordering::SeqCst);
    rig.damage.publish(&[Rect {
        x: 0,
        y: 0,
        w: 0,
        h: 0,
    }]);
    let rects = a.read_update().unwrap();
    assert_eq!(
        rects,
        [(
            Rect {
                x: 0,
                y: 0,
                w: 0,
                h: 0
            },
            ENCODING_CURSOR
        )],
        "a hidden pointer is an empty cursor"
    );
    plain.request(true);
    assert_eq!(plain.bytes_within(Duration::from_millis(300)), 0);
}

/// vncdotool, a client we didn't write, draws the pointer itself with `--localcursor`: its
/// capture is the picture with our Cursor image (pixels where the bitmask is set) at the
/// pointer's position less the hot spot.
#[test]
fn vncdotool_draws_the_pointer_image_it_gets() {
    let works = std::process::Command::new("vncdo")
        .arg("--help")
        .output()
        .is_ok_and(|o| o.status.success());
    if !works {
        eprintln!("skipped: vncdotool not installed (pip install vncdotool)");
        assert!(
            std::env::var_os("VMDESK_REQUIRE_TOOLS").is_none(),
            "vncdotool missing and VMDESK_REQUIRE_TOOLS is set"
        );
        return;
    }
    let rig = rig(true);
    *rig.pointer.shape.lock().unwrap() = arrow(12, 10);
    rig.pointer.serial.store(1, Ordering::SeqCst);
    let png = rig._dir.path().join("vncdo.png");
    let out = std::process::Command::new("vncdo")
        .args(["-t", "30", "--localcursor", "-s"])
        .arg(rig.server.socket_path().unwrap())
        .args(["move", "20", "20", "capture"])
        .arg(&png)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let img = image::open(&png).unwrap().to_rgb8();
    assert_eq!(img.dimensions(), (64, 48));
    // The arrow (hot spot 1,2) drawn at 20,20: its top left is at 19,18.
    let mut drawn = 0;
    for (x, y, p) in img.enumerate_pixels() {
        let got = u32::from(p[0]) << 16 | u32::from(p[1]) << 8 | u32::from(p[2]);
        let (cx, cy) = (x.wrapping_sub(19), y.wrapping_sub(18));
        let want = if cx < 12 && cy < 10 && cx <= cy {
            drawn += 1;
            0x80 << 16 | cy << 8 | cx
        } else {
            pixel(x, y, 64)
        };
        assert_eq!(got, want, "pixel {x},{y}");
    }
    assert_eq!(drawn, (1..=10).sum::<u32>());
}
