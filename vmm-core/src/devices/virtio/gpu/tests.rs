use super::edid::{checksum, edid};
use super::protocol::*;
use super::state::*;
use super::{Gpu, GpuDisplay};
use crate::devices::virtio::{VirtioDevice, VirtioInterrupt, INT_CONFIG, VIRTIO_F_VERSION_1};
use crate::display::{FrameSource, Rect};
use std::sync::{Arc, Mutex};
use virtio_queue::{Queue, QueueT};
use vm_memory::{Bytes, GuestAddress, GuestMemoryMmap};
use vmm_sys_util::eventfd::EventFd;

const RAM: usize = 1 << 20;

fn mem() -> GuestMemoryMmap {
    GuestMemoryMmap::<()>::from_ranges(&[(GuestAddress(0), RAM)]).unwrap()
}

fn req(kind: u32, body: &[u32]) -> Vec<u8> {
    let mut r = kind.to_le_bytes().to_vec();
    r.resize(HDR_LEN, 0);
    r.extend(body.iter().flat_map(|w| w.to_le_bytes()));
    r
}

fn code(resp: &[u8]) -> u32 {
    u32::from_le_bytes(resp[0..4].try_into().unwrap())
}

fn run(s: &mut GpuState, m: &GuestMemoryMmap, kind: u32, body: &[u32]) -> u32 {
    code(&s.handle(&req(kind, body), m))
}

/// A resource `id` of `w` x `h` in `format`, backed by guest memory at 0x10000 in two entries
/// (split mid-row, so a transfer has to cross from one to the other).
fn backed(s: &mut GpuState, m: &GuestMemoryMmap, id: u32, format: u32, w: u32, h: u32) {
    assert_eq!(
        run(s, m, CMD_RESOURCE_CREATE_2D, &[id, format, w, h]),
        RESP_OK_NODATA
    );
    let len = w * h * 4;
    let first = len / 2 + 4;
    let body = [
        id,
        2,
        0x10000,
        0,
        first,
        0,
        0x10000 + first,
        0,
        len - first,
        0,
    ];
    assert_eq!(
        run(s, m, CMD_RESOURCE_ATTACH_BACKING, &body),
        RESP_OK_NODATA
    );
}

#[test]
fn display_info_and_edid_report_the_requested_size() {
    let (mut s, m) = (GpuState::new(1280, 720), mem());
    let r = s.handle(&req(CMD_GET_DISPLAY_INFO, &[]), &m);
    assert_eq!(code(&r), RESP_OK_DISPLAY_INFO);
    assert_eq!(r.len(), HDR_LEN + MAX_SCANOUTS * 24);
    let w = |o: usize| u32::from_le_bytes(r[o..o + 4].try_into().unwrap());
    assert_eq!((w(24 + 8), w(24 + 12), w(24 + 16)), (1280, 720, 1));
    assert_eq!(w(48 + 16), 0, "only scanout 0 is enabled");

    let r = s.handle(&req(CMD_GET_EDID, &[0, 0]), &m);
    assert_eq!(code(&r), RESP_OK_EDID);
    assert_eq!(u32::from_le_bytes(r[24..28].try_into().unwrap()), 128);
    let e = &r[32..160];
    assert_eq!(e, &edid(1280, 720)[..]);
    assert_eq!(
        run(&mut s, &m, CMD_GET_EDID, &[1, 0]),
        RESP_ERR_INVALID_SCANOUT_ID
    );
}

#[test]
fn edid_is_valid_with_the_preferred_mode_first() {
    for (w, h) in [(1024, 768), (1920, 1080), (800, 600), (4095, 4095), (1, 1)] {
        let e = edid(w, h);
        assert_eq!(&e[..8], &[0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0]);
        assert_eq!(e.iter().fold(0u8, |a, b| a.wrapping_add(*b)), 0, "{w}x{h}");
        assert_eq!(checksum(&e[..127]), e[127]);
        assert_eq!((e[18], e[19]), (1, 4), "EDID 1.4");
        // The first detailed timing: active pixels in bytes 2/4 and 5/7.
        let d = &e[54..72];
        assert_ne!(
            u16::from_le_bytes([d[0], d[1]]),
            0,
            "a timing, not a descriptor"
        );
        let hact = u32::from(d[2]) | (u32::from(d[4] >> 4) << 8);
        let vact = u32::from(d[5]) | (u32::from(d[7] >> 4) << 8);
        assert_eq!((hact, vact), (w, h));
    }
    // Standard timings: 1024x768 is 4:3 ((1024 / 8) - 31 = 97).
    let e = edid(1024, 768);
    assert!(e[38..54].chunks(2).any(|c| c == [97, 0b01 << 6]));
}

#[test]
fn create_refuses_bad_ids_formats_and_sizes() {
    let (mut s, m) = (GpuState::new(640, 480), mem());
    let c = CMD_RESOURCE_CREATE_2D;
    assert_eq!(
        run(&mut s, &m, c, &[0, FORMAT_B8G8R8X8, 4, 4]),
        RESP_ERR_INVALID_RESOURCE_ID
    );
    assert_eq!(
        run(&mut s, &m, c, &[1, FORMAT_B8G8R8X8, 4, 4]),
        RESP_OK_NODATA
    );
    assert_eq!(
        run(&mut s, &m, c, &[1, FORMAT_B8G8R8X8, 4, 4]),
        RESP_ERR_INVALID_RESOURCE_ID
    );
    assert_eq!(
        run(&mut s, &m, c, &[2, 999, 4, 4]),
        RESP_ERR_INVALID_PARAMETER
    );
    assert_eq!(
        run(&mut s, &m, c, &[2, FORMAT_B8G8R8X8, 0, 4]),
        RESP_ERR_INVALID_PARAMETER
    );
    assert_eq!(
        run(&mut s, &m, c, &[2, FORMAT_B8G8R8X8, u32::MAX, u32::MAX]),
        RESP_ERR_OUT_OF_MEMORY
    );
    assert_eq!(
        run(&mut s, &m, c, &[2, FORMAT_B8G8R8X8]),
        RESP_ERR_UNSPEC,
        "short body"
    );
    // The cap counts all resources together: 8192 x 8192 x 4 is 256 MiB, one 4x4 too many.
    assert_eq!(
        run(&mut s, &m, c, &[3, FORMAT_B8G8R8X8, 8192, 8192]),
        RESP_ERR_OUT_OF_MEMORY
    );
    assert_eq!(s.host_bytes(), 64);
    assert_eq!(
        run(&mut s, &m, c, &[3, FORMAT_B8G8R8X8, 8192, 8191]),
        RESP_OK_NODATA
    );
    assert_eq!(
        run(&mut s, &m, c, &[4, FORMAT_B8G8R8X8, 128, 128]),
        RESP_ERR_OUT_OF_MEMORY
    );
    // Unref gives the memory back.
    assert_eq!(run(&mut s, &m, CMD_RESOURCE_UNREF, &[3, 0]), RESP_OK_NODATA);
    assert_eq!(s.host_bytes(), 64);
    assert_eq!(
        run(&mut s, &m, CMD_RESOURCE_UNREF, &[3, 0]),
        RESP_ERR_INVALID_RESOURCE_ID
    );
    assert!(s.refused >= 9);
}

#[test]
fn every_format_reads_back_as_xrgb() {
    // One pixel red = 0x11, green = 0x22, blue = 0x33 in each format's byte order.
    let cases = [
        (FORMAT_B8G8R8X8, [0x33, 0x22, 0x11, 0xff]),
        (FORMAT_B8G8R8A8, [0x33, 0x22, 0x11, 0xff]),
        (FORMAT_X8R8G8B8, [0xff, 0x11, 0x22, 0x33]),
        (FORMAT_A8R8G8B8, [0xff, 0x11, 0x22, 0x33]),
        (FORMAT_R8G8B8X8, [0x11, 0x22, 0x33, 0xff]),
        (FORMAT_R8G8B8A8, [0x11, 0x22, 0x33, 0xff]),
        (FORMAT_X8B8G8R8, [0xff, 0x33, 0x22, 0x11]),
        (FORMAT_A8B8G8R8, [0xff, 0x33, 0x22, 0x11]),
    ];
    for (format, px) in cases {
        let (mut s, m) = (GpuState::new(640, 480), mem());
        m.write_slice(&px.repeat(4), GuestAddress(0x10000)).unwrap();
        backed(&mut s, &m, 1, format, 2, 2);
        assert_eq!(
            run(
                &mut s,
                &m,
                CMD_TRANSFER_TO_HOST_2D,
                &[0, 0, 2, 2, 0, 0, 1, 0]
            ),
            RESP_OK_NODATA
        );
        assert_eq!(
            run(&mut s, &m, CMD_SET_SCANOUT, &[0, 0, 2, 2, 0, 1]),
            RESP_OK_NODATA
        );
        let mut out = Vec::new();
        s.read_rect(
            Rect {
                x: 1,
                y: 1,
                w: 1,
                h: 1,
            },
            &mut out,
        );
        assert_eq!(out, [0x33, 0x22, 0x11, 0], "format {format}");
    }
}

#[test]
fn attach_backing_checks_every_entry_against_guest_ram() {
    let (mut s, m) = (GpuState::new(640, 480), mem());
    let a = CMD_RESOURCE_ATTACH_BACKING;
    assert_eq!(
        run(&mut s, &m, a, &[1, 1, 0x1000, 0, 64, 0]),
        RESP_ERR_INVALID_RESOURCE_ID
    );
    assert_eq!(
        run(
            &mut s,
            &m,
            CMD_RESOURCE_CREATE_2D,
            &[1, FORMAT_B8G8R8X8, 4, 4]
        ),
        RESP_OK_NODATA
    );
    let ram = RAM as u32;
    // Outside RAM, straddling its end, wrapping the address space, empty.
    assert_eq!(
        run(&mut s, &m, a, &[1, 1, ram, 0, 64, 0]),
        RESP_ERR_INVALID_PARAMETER
    );
    assert_eq!(
        run(&mut s, &m, a, &[1, 1, ram - 32, 0, 64, 0]),
        RESP_ERR_INVALID_PARAMETER
    );
    assert_eq!(
        run(&mut s, &m, a, &[1, 1, 0xffff_fff0, 0xffff_ffff, 64, 0]),
        RESP_ERR_INVALID_PARAMETER
    );
    assert_eq!(
        run(&mut s, &m, a, &[1, 1, 0x1000, 0, 0, 0]),
        RESP_ERR_INVALID_PARAMETER
    );
    // No entries, too many, fewer in the request than it claims.
    assert_eq!(run(&mut s, &m, a, &[1, 0]), RESP_ERR_INVALID_PARAMETER);
    assert_eq!(
        run(&mut s, &m, a, &[1, MAX_BACKING_ENTRIES + 1]),
        RESP_ERR_INVALID_PARAMETER
    );
    assert_eq!(
        run(&mut s, &m, a, &[1, 2, 0x1000, 0, 32, 0]),
        RESP_ERR_UNSPEC
    );
    // Overlapping entries.
    let overlap = [1, 2, 0x1000, 0, 64, 0, 0x1020, 0, 64, 0];
    assert_eq!(run(&mut s, &m, a, &overlap), RESP_ERR_INVALID_PARAMETER);
    assert!(
        s.resources[&1].backing.is_none(),
        "nothing attached by a refusal"
    );
    // A good one, then a second attach and detach twice.
    assert_eq!(
        run(&mut s, &m, a, &[1, 1, 0x1000, 0, 64, 0]),
        RESP_OK_NODATA
    );
    assert_eq!(
        run(&mut s, &m, a, &[1, 1, 0x2000, 0, 64, 0]),
        RESP_ERR_UNSPEC
    );
    assert_eq!(
        run(&mut s, &m, CMD_RESOURCE_DETACH_BACKING, &[1, 0]),
        RESP_OK_NODATA
    );
    assert_eq!(
        run(&mut s, &m, CMD_RESOURCE_DETACH_BACKING, &[1, 0]),
        RESP_ERR_UNSPEC
    );
    assert_eq!(
        run(&mut s, &m, CMD_RESOURCE_DETACH_BACKING, &[9, 0]),
        RESP_ERR_INVALID_RESOURCE_ID
    );
}

#[test]
fn set_scanout_checks_scanout_resource_and_rect() {
    let (mut s, m) = (GpuState::new(640, 480), mem());
    backed(&mut s, &m, 1, FORMAT_B8G8R8X8, 16, 8);
    let sc = CMD_SET_SCANOUT;
    assert_eq!(
        run(&mut s, &m, sc, &[0, 0, 16, 8, 1, 1]),
        RESP_ERR_INVALID_SCANOUT_ID
    );
    assert_eq!(
        run(&mut s, &m, sc, &[0, 0, 16, 8, 0, 7]),
        RESP_ERR_INVALID_RESOURCE_ID
    );
    assert_eq!(
        run(&mut s, &m, sc, &[0, 0, 17, 8, 0, 1]),
        RESP_ERR_INVALID_PARAMETER
    );
    assert_eq!(
        run(&mut s, &m, sc, &[8, 0, 9, 8, 0, 1]),
        RESP_ERR_INVALID_PARAMETER
    );
    assert_eq!(
        run(&mut s, &m, sc, &[u32::MAX, 0, 2, 8, 0, 1]),
        RESP_ERR_INVALID_PARAMETER
    );
    assert_eq!(
        run(&mut s, &m, sc, &[0, 0, 0, 8, 0, 1]),
        RESP_ERR_INVALID_PARAMETER
    );
    assert_eq!(s.scanout, None);
    assert_eq!(
        s.frame_size(),
        (640, 480),
        "no scanout: the display size, black"
    );
    assert_eq!(run(&mut s, &m, sc, &[4, 2, 12, 6, 0, 1]), RESP_OK_NODATA);
    assert_eq!(s.frame_size(), (12, 6));
    // Unref of the scanned-out resource turns the scanout off; so does resource 0.
    assert_eq!(run(&mut s, &m, CMD_RESOURCE_UNREF, &[1, 0]), RESP_OK_NODATA);
    assert_eq!(s.scanout, None);
    backed(&mut s, &m, 2, FORMAT_B8G8R8X8, 16, 8);
    assert_eq!(run(&mut s, &m, sc, &[0, 0, 16, 8, 0, 2]), RESP_OK_NODATA);
    assert_eq!(run(&mut s, &m, sc, &[0, 0, 0, 0, 0, 0]), RESP_OK_NODATA);
    assert_eq!(s.scanout, None);
}

#[test]
fn transfer_copies_from_backing_and_checks_bounds() {
    let (mut s, m) = (GpuState::new(640, 480), mem());
    let pattern: Vec<u8> = (0..16 * 8 * 4).map(|i| (i % 251) as u8).collect();
    m.write_slice(&pattern, GuestAddress(0x10000)).unwrap();
    let t = CMD_TRANSFER_TO_HOST_2D;
    assert_eq!(
        run(&mut s, &m, t, &[0, 0, 1, 1, 0, 0, 1, 0]),
        RESP_ERR_INVALID_RESOURCE_ID
    );
    assert_eq!(
        run(
            &mut s,
            &m,
            CMD_RESOURCE_CREATE_2D,
            &[1, FORMAT_B8G8R8X8, 16, 8]
        ),
        RESP_OK_NODATA
    );
    assert_eq!(
        run(&mut s, &m, t, &[0, 0, 1, 1, 0, 0, 1, 0]),
        RESP_ERR_UNSPEC,
        "no backing"
    );
    assert_eq!(run(&mut s, &m, CMD_RESOURCE_UNREF, &[1, 0]), RESP_OK_NODATA);
    backed(&mut s, &m, 1, FORMAT_B8G8R8X8, 16, 8);
    assert_eq!(
        run(&mut s, &m, t, &[0, 0, 17, 1, 0, 0, 1, 0]),
        RESP_ERR_INVALID_PARAMETER
    );
    assert_eq!(
        run(&mut s, &m, t, &[u32::MAX, 0, 2, 1, 0, 0, 1, 0]),
        RESP_ERR_INVALID_PARAMETER
    );
    assert_eq!(
        run(&mut s, &m, t, &[0, u32::MAX, 1, 2, 0, 0, 1, 0]),
        RESP_ERR_INVALID_PARAMETER
    );
    // An offset past the backing, and one that overflows.
    assert_eq!(
        run(&mut s, &m, t, &[0, 0, 16, 8, 4, 0, 1, 0]),
        RESP_ERR_INVALID_PARAMETER
    );
    assert_eq!(
        run(&mut s, &m, t, &[0, 0, 1, 1, u32::MAX, u32::MAX, 1, 0]),
        RESP_ERR_INVALID_PARAMETER
    );
    assert!(
        s.resources[&1].pixels.iter().all(|&b| b == 0),
        "refusals copy nothing"
    );
    // A partial transfer copies only its rectangle (the offset names the rect's first byte).
    let off = 2 * 16 * 4 + 3 * 4;
    assert_eq!(
        run(&mut s, &m, t, &[3, 2, 5, 4, off, 0, 1, 0]),
        RESP_OK_NODATA
    );
    let px = &s.resources[&1].pixels;
    for y in 0..8usize {
        for x in 0..16usize {
            let i = (y * 16 + x) * 4;
            let inside = (3..8).contains(&x) && (2..6).contains(&y);
            let want = if inside {
                &pattern[i..i + 4]
            } else {
                &[0u8; 4][..]
            };
            assert_eq!(&px[i..i + 4], want, "pixel {x},{y}");
        }
    }
    assert_eq!(
        run(&mut s, &m, t, &[0, 0, 16, 8, 0, 0, 1, 0]),
        RESP_OK_NODATA
    );
    assert_eq!(s.resources[&1].pixels, pattern);
}

fn damage_log(s: &mut GpuState) -> Arc<Mutex<Vec<Rect>>> {
    let log = Arc::new(Mutex::new(Vec::new()));
    let l = log.clone();
    s.on_damage = Some(Box::new(move |r: &[Rect]| {
        l.lock().unwrap().extend_from_slice(r)
    }));
    log
}

#[test]
fn flush_damages_only_the_scanned_out_part() {
    let (mut s, m) = (GpuState::new(640, 480), mem());
    backed(&mut s, &m, 1, FORMAT_B8G8R8X8, 16, 8);
    backed(&mut s, &m, 2, FORMAT_B8G8R8X8, 4, 4);
    let log = damage_log(&mut s);
    let f = CMD_RESOURCE_FLUSH;
    assert_eq!(run(&mut s, &m, f, &[0, 0, 4, 4, 1, 0]), RESP_OK_NODATA);
    assert!(log.lock().unwrap().is_empty(), "no scanout, no damage");
    assert_eq!(
        run(&mut s, &m, CMD_SET_SCANOUT, &[4, 2, 8, 4, 0, 1]),
        RESP_OK_NODATA
    );
    assert_eq!(
        log.lock().unwrap().drain(..).collect::<Vec<_>>(),
        [Rect {
            x: 0,
            y: 0,
            w: 8,
            h: 4
        }]
    );
    // Flushed (2,0)-(8,4) meets the scanout (4,2)-(12,6) in (4,2)-(8,4): screen (0,0) 4x2.
    assert_eq!(run(&mut s, &m, f, &[2, 0, 6, 4, 1, 0]), RESP_OK_NODATA);
    assert_eq!(
        log.lock().unwrap().drain(..).collect::<Vec<_>>(),
        [Rect {
            x: 0,
            y: 0,
            w: 4,
            h: 2
        }]
    );
    assert_eq!(run(&mut s, &m, f, &[0, 0, 2, 2, 1, 0]), RESP_OK_NODATA);
    assert_eq!(run(&mut s, &m, f, &[0, 0, 4, 4, 2, 0]), RESP_OK_NODATA);
    assert!(
        log.lock().unwrap().is_empty(),
        "outside the scanout or another resource"
    );
    assert_eq!(
        run(&mut s, &m, f, &[0, 0, 17, 1, 1, 0]),
        RESP_ERR_INVALID_PARAMETER
    );
    assert_eq!(
        run(&mut s, &m, f, &[0, 0, 1, 1, 3, 0]),
        RESP_ERR_INVALID_RESOURCE_ID
    );
    // A device reset blanks the screen: all of it is damaged.
    s.reset();
    let full = Rect {
        x: 0,
        y: 0,
        w: 640,
        h: 480,
    };
    assert_eq!(log.lock().unwrap().drain(..).collect::<Vec<_>>(), [full]);
}

#[test]
fn cursor_shape_hotspot_and_position_are_kept() {
    let (mut s, m) = (GpuState::new(640, 480), mem());
    m.write_slice(
        &[0x10, 0x20, 0x30, 0x80].repeat(64 * 64),
        GuestAddress(0x10000),
    )
    .unwrap();
    backed(&mut s, &m, 5, FORMAT_B8G8R8A8, 64, 64);
    assert_eq!(
        run(
            &mut s,
            &m,
            CMD_TRANSFER_TO_HOST_2D,
            &[0, 0, 64, 64, 0, 0, 5, 0]
        ),
        RESP_OK_NODATA
    );
    let u = CMD_UPDATE_CURSOR;
    assert_eq!(
        run(&mut s, &m, u, &[0, 100, 50, 0, 5, 3, 4, 0]),
        RESP_OK_NODATA
    );
    let c = s.cursor.clone();
    assert_eq!(
        (c.w, c.h, c.hot_x, c.hot_y, c.x, c.y),
        (64, 64, 3, 4, 100, 50)
    );
    assert_eq!(&c.image[..4], &[0x10, 0x20, 0x30, 0x80]);
    assert_eq!(
        run(&mut s, &m, CMD_MOVE_CURSOR, &[0, 7, 9, 0, 0, 0, 0, 0]),
        RESP_OK_NODATA
    );
    assert_eq!(
        (s.cursor.x, s.cursor.y, s.cursor.w),
        (7, 9, 64),
        "a move keeps the shape"
    );
    assert!(s.cursor.serial > c.serial);
    assert_eq!(
        run(&mut s, &m, u, &[1, 0, 0, 0, 5, 0, 0, 0]),
        RESP_ERR_INVALID_SCANOUT_ID
    );
    assert_eq!(
        run(&mut s, &m, u, &[0, 0, 0, 0, 6, 0, 0, 0]),
        RESP_ERR_INVALID_RESOURCE_ID
    );
    backed(&mut s, &m, 6, FORMAT_B8G8R8A8, MAX_CURSOR + 1, 1);
    assert_eq!(
        run(&mut s, &m, u, &[0, 0, 0, 0, 6, 0, 0, 0]),
        RESP_ERR_INVALID_PARAMETER
    );
    assert_eq!(
        run(&mut s, &m, u, &[0, 0, 0, 0, 0, 0, 0, 0]),
        RESP_OK_NODATA
    );
    assert!(s.cursor.image.is_empty(), "resource 0 hides the cursor");
}

#[test]
fn fences_are_echoed_and_unknown_commands_refused() {
    let (mut s, m) = (GpuState::new(640, 480), mem());
    let mut r = req(CMD_GET_DISPLAY_INFO, &[]);
    r[4..8].copy_from_slice(&FLAG_FENCE.to_le_bytes());
    r[8..16].copy_from_slice(&0x1234_5678_9abc_u64.to_le_bytes());
    r[16..20].copy_from_slice(&7u32.to_le_bytes());
    let resp = s.handle(&r, &m);
    assert_eq!(
        Header::parse(&resp).unwrap(),
        Header {
            kind: RESP_OK_DISPLAY_INFO,
            flags: FLAG_FENCE,
            fence_id: 0x1234_5678_9abc,
            ctx_id: 7,
            ring_idx: 0,
        }
    );
    // Without the flag, no fence in the response.
    let resp = s.handle(&req(CMD_GET_DISPLAY_INFO, &[]), &m);
    assert_eq!(Header::parse(&resp).unwrap().flags, 0);
    for kind in [0, 0x0108, 0x0200, 0x0302, u32::MAX] {
        assert_eq!(run(&mut s, &m, kind, &[0; 8]), RESP_ERR_UNSPEC, "{kind:#x}");
    }
    assert_eq!(
        code(&s.handle(&[1, 1, 0], &m)),
        RESP_ERR_UNSPEC,
        "short header"
    );
}

fn irq() -> (Arc<VirtioInterrupt>, EventFd) {
    let evt = EventFd::new(libc::EFD_NONBLOCK).unwrap();
    (
        Arc::new(VirtioInterrupt::new(evt.try_clone().unwrap())),
        evt,
    )
}

/// Queue `i` with its rings at `0x1000 * (i + 1)` in `m`.
fn queue(m: &GuestMemoryMmap, i: u64) -> Queue {
    let base = 0x1000 * (i + 1);
    let mut q = Queue::new(16).unwrap();
    q.set_size(16);
    q.set_desc_table_address(Some(base as u32), Some(0));
    q.set_avail_ring_address(Some(base as u32 + 0x100), Some(0));
    q.set_used_ring_address(Some(base as u32 + 0x200), Some(0));
    q.set_ready(true);
    assert!(q.is_valid(m));
    q
}

/// Posts a chain (request at 0x8000, response buffer of `resp_len` at 0x9000) as
/// available entry `n` of the control queue.
fn post(m: &GuestMemoryMmap, n: u16, request: &[u8], resp_len: u32) {
    let d = 0x1000u64 + u64::from(n) * 32;
    let desc = |at: u64, addr: u64, len: u32, flags: u16, next: u16| {
        m.write_obj(addr, GuestAddress(at)).unwrap();
        m.write_obj(len, GuestAddress(at + 8)).unwrap();
        m.write_obj(flags, GuestAddress(at + 12)).unwrap();
        m.write_obj(next, GuestAddress(at + 14)).unwrap();
    };
    m.write_slice(request, GuestAddress(0x8000)).unwrap();
    desc(d, 0x8000, request.len() as u32, 1, n * 2 + 1); // NEXT
    desc(d + 16, 0x9000, resp_len, 2, 0); // WRITE
    m.write_obj(n * 2, GuestAddress(0x1100 + 4 + 2 * u64::from(n)))
        .unwrap();
    m.write_obj(n + 1, GuestAddress(0x1102)).unwrap();
}

fn active_gpu(m: &GuestMemoryMmap) -> (Gpu, GpuDisplay, Arc<VirtioInterrupt>, EventFd) {
    let (mut gpu, display) = Gpu::new(800, 600);
    let (irq, evt) = irq();
    gpu.activate(
        m.clone(),
        vec![queue(m, 0), queue(m, 1)],
        VIRTIO_F_VERSION_1,
        irq.clone(),
    )
    .unwrap();
    (gpu, display, irq, evt)
}

#[test]
fn the_control_queue_serves_requests_and_writes_responses() {
    let m = mem();
    let (mut gpu, _display, _irq, evt) = active_gpu(&m);
    post(&m, 0, &req(CMD_GET_DISPLAY_INFO, &[]), 4096);
    gpu.queue_notify(0);
    let used_idx: u16 = m.read_obj(GuestAddress(0x1202)).unwrap();
    let used_len: u32 = m.read_obj(GuestAddress(0x1204 + 4)).unwrap();
    assert_eq!(
        (used_idx, used_len as usize),
        (1, HDR_LEN + MAX_SCANOUTS * 24)
    );
    assert_eq!(
        m.read_obj::<u32>(GuestAddress(0x9000)).unwrap(),
        RESP_OK_DISPLAY_INFO
    );
    assert_eq!(
        m.read_obj::<u32>(GuestAddress(0x9000 + 24 + 8)).unwrap(),
        800
    );
    assert_eq!(evt.read().unwrap(), 1, "used-ring interrupt");
    // A response buffer too short gets what fits, and the used length says so.
    post(&m, 1, &req(CMD_GET_DISPLAY_INFO, &[]), 10);
    gpu.queue_notify(0);
    assert_eq!(m.read_obj::<u32>(GuestAddress(0x120c + 4)).unwrap(), 10);
}

#[test]
fn a_host_resize_raises_the_display_event() {
    let m = mem();
    let (mut gpu, display, irq, evt) = active_gpu(&m);
    let events = |gpu: &Gpu| {
        let mut b = [0u8; 4];
        gpu.read_config(0, &mut b);
        u32::from_le_bytes(b)
    };
    assert_eq!(events(&gpu), 0);
    let mut n = [0u8; 4];
    gpu.read_config(8, &mut n);
    assert_eq!(u32::from_le_bytes(n), 1, "num_scanouts");
    display.set_size(1920, 1080).unwrap();
    assert_eq!(events(&gpu), EVENT_DISPLAY);
    assert_eq!(irq.status() & INT_CONFIG, INT_CONFIG);
    assert_eq!(evt.read().unwrap(), 1);
    assert_eq!(display.requested_size(), (1920, 1080));
    // The driver re-reads display info and clears the event.
    post(&m, 0, &req(CMD_GET_DISPLAY_INFO, &[]), 4096);
    gpu.queue_notify(0);
    assert_eq!(
        m.read_obj::<u32>(GuestAddress(0x9000 + 24 + 8)).unwrap(),
        1920
    );
    gpu.write_config(4, &EVENT_DISPLAY.to_le_bytes());
    assert_eq!(events(&gpu), 0);
    assert!(display.set_size(0, 480).is_err());
    assert!(display.set_size(640, MAX_DISPLAY + 1).is_err());
    assert_eq!(display.requested_size(), (1920, 1080));
}

#[test]
fn the_display_shows_the_scanout_and_survives_a_snapshot() {
    let m = mem();
    let (mut gpu, display, irq, _evt) = active_gpu(&m);
    let pattern: Vec<u8> = (0..8 * 4 * 4).map(|i| (i * 7 % 256) as u8).collect();
    m.write_slice(&pattern, GuestAddress(0x10000)).unwrap();
    {
        let mut sh = gpu.shared.lock().unwrap();
        let s = &mut sh.state;
        backed(s, &m, 1, FORMAT_B8G8R8X8, 8, 4);
        assert_eq!(
            run(s, &m, CMD_TRANSFER_TO_HOST_2D, &[0, 0, 8, 4, 0, 0, 1, 0]),
            RESP_OK_NODATA
        );
        assert_eq!(
            run(s, &m, CMD_SET_SCANOUT, &[0, 0, 8, 4, 0, 1]),
            RESP_OK_NODATA
        );
    }
    let frame = |d: &GpuDisplay| {
        let mut out = Vec::new();
        d.read_rect(
            Rect {
                x: 0,
                y: 0,
                w: 100,
                h: 100,
            },
            &mut out,
        );
        out
    };
    let want: Vec<u8> = pattern
        .chunks(4)
        .flat_map(|p| [p[0], p[1], p[2], 0])
        .collect();
    assert_eq!((display.width(), display.height()), (8, 4));
    assert_eq!(frame(&display), want);

    let saved = gpu.save_state().unwrap();
    let (mut again, display2) = Gpu::new(640, 480);
    again.restore_state(&saved, m.clone(), irq.clone()).unwrap();
    assert_eq!(again.save_state().unwrap(), saved);
    assert_eq!(
        frame(&display2),
        want,
        "the host copy is read again from the backing"
    );

    // A state whose scanout names a missing resource is refused, not trusted.
    let crate::devices::virtio::DeviceState::Gpu(mut bad) = saved.clone() else {
        panic!("not a gpu state")
    };
    bad.resources.clear();
    let bad = crate::devices::virtio::DeviceState::Gpu(bad);
    assert!(Gpu::new(1, 1)
        .0
        .restore_state(&bad, m.clone(), irq.clone())
        .is_err());
    // Reset forgets everything.
    gpu.reset();
    assert_eq!((display.width(), display.height()), (800, 600));
    assert!(frame(&display).iter().all(|&b| b == 0));
}
