//! The transfer and read-out fast paths (whole rows; B8G8R8 byte order) against the general
//! ones: the same bytes either way.

use super::protocol::*;
use super::state::GpuState;
use crate::display::Rect;
use vm_memory::{Bytes, GuestAddress, GuestMemoryMmap};

fn run(s: &mut GpuState, m: &GuestMemoryMmap, kind: u32, body: &[u32]) -> u32 {
    let mut r = kind.to_le_bytes().to_vec();
    r.resize(HDR_LEN, 0);
    r.extend(body.iter().flat_map(|w| w.to_le_bytes()));
    u32::from_le_bytes(s.handle(&r, m)[0..4].try_into().unwrap())
}

/// Resource 1, `format`, 16 x 8, backed at 0x10000 in three entries of odd lengths.
fn setup(format: u32) -> (GpuState, GuestMemoryMmap, Vec<u8>) {
    let m = GuestMemoryMmap::<()>::from_ranges(&[(GuestAddress(0), 1 << 20)]).unwrap();
    let mut s = GpuState::new(640, 480);
    let pattern: Vec<u8> = (0..16 * 8 * 4).map(|i| (i * 7 % 253) as u8).collect();
    m.write_slice(&pattern, GuestAddress(0x10000)).unwrap();
    assert_eq!(
        run(&mut s, &m, CMD_RESOURCE_CREATE_2D, &[1, format, 16, 8]),
        RESP_OK_NODATA
    );
    let (a, b) = (100u32, 230u32);
    let c = 16 * 8 * 4 - a - b;
    let body = [
        1,
        3,
        0x10000,
        0,
        a,
        0,
        0x10000 + a,
        0,
        b,
        0,
        0x10000 + a + b,
        0,
        c,
        0,
    ];
    assert_eq!(
        run(&mut s, &m, CMD_RESOURCE_ATTACH_BACKING, &body),
        RESP_OK_NODATA
    );
    (s, m, pattern)
}

#[test]
fn a_band_of_whole_rows_is_copied_across_backing_entries_and_nothing_else() {
    let (mut s, m, pattern) = setup(FORMAT_B8G8R8X8);
    let stride = 16 * 4;
    // Rows 2..7 (crossing both entry boundaries), offset at row 2.
    assert_eq!(
        run(
            &mut s,
            &m,
            CMD_TRANSFER_TO_HOST_2D,
            &[0, 2, 16, 5, 2 * stride, 0, 1, 0]
        ),
        RESP_OK_NODATA
    );
    let px = &s.resources[&1].pixels;
    let band = 2 * stride as usize..7 * stride as usize;
    assert_eq!(&px[band.clone()], &pattern[band.clone()]);
    assert!(px[..band.start].iter().all(|&b| b == 0), "rows above");
    assert!(px[band.end..].iter().all(|&b| b == 0), "rows below");
    // Whole rows whose offset runs past the backing are refused, copying nothing more.
    assert_eq!(
        run(
            &mut s,
            &m,
            CMD_TRANSFER_TO_HOST_2D,
            &[0, 0, 16, 2, 7 * stride, 0, 1, 0]
        ),
        RESP_ERR_INVALID_PARAMETER
    );
    assert!(s.resources[&1].pixels[..band.start].iter().all(|&b| b == 0));
}

#[test]
fn read_out_clears_the_fourth_byte_in_every_byte_order() {
    for format in [
        FORMAT_B8G8R8X8,
        FORMAT_B8G8R8A8,
        FORMAT_X8R8G8B8,
        FORMAT_R8G8B8A8,
    ] {
        let (mut s, m, pattern) = setup(format);
        assert_eq!(
            run(
                &mut s,
                &m,
                CMD_TRANSFER_TO_HOST_2D,
                &[0, 0, 16, 8, 0, 0, 1, 0]
            ),
            RESP_OK_NODATA
        );
        assert_eq!(
            run(&mut s, &m, CMD_SET_SCANOUT, &[0, 0, 16, 8, 0, 1]),
            RESP_OK_NODATA
        );
        let mut out = Vec::new();
        let r = Rect {
            x: 3,
            y: 1,
            w: 9,
            h: 6,
        };
        s.read_rect(r, &mut out);
        let [b, g, rr] = channel_offsets(format).unwrap();
        let mut want = Vec::new();
        for y in r.y..r.y + r.h {
            for x in r.x..r.x + r.w {
                let p = &pattern[((y * 16 + x) * 4) as usize..][..4];
                want.extend_from_slice(&[p[b], p[g], p[rr], 0]);
            }
        }
        assert_eq!(out, want, "format {format}");
    }
}
