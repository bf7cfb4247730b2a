use super::*;
use crate::{PixelFormat, Rect, VncError, VncEvent};
use std::sync::Mutex;

#[tokio::test]
async fn tight_fill_copy_and_palette_modes_preserve_pixels() {
    let rect = Rect {
        x: 0,
        y: 0,
        width: 2,
        height: 1,
    };
    for (bytes, expected) in [
        (vec![0x80, 1, 2, 3], vec![1, 2, 3, 255, 1, 2, 3, 255]),
        (vec![0, 1, 2, 3, 4, 5, 6], vec![1, 2, 3, 255, 4, 5, 6, 255]),
        (
            vec![0x40, 1, 1, 1, 2, 3, 4, 5, 6, 0x40],
            vec![1, 2, 3, 255, 4, 5, 6, 255],
        ),
        (
            vec![0x40, 1, 2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 2],
            vec![1, 2, 3, 255, 7, 8, 9, 255],
        ),
    ] {
        let output = Mutex::new(Vec::new());
        TightDecoder::new()
            .decode(
                &PixelFormat::rgba(),
                &rect,
                &mut bytes.as_slice(),
                &|event| {
                    output.lock().unwrap().push(event);
                    async { Ok(()) }
                },
            )
            .await
            .unwrap();
        assert!(
            matches!(&output.into_inner().unwrap()[0], VncEvent::RawImage(_, pixels) if pixels == &expected)
        );
    }
}

#[tokio::test]
async fn tight_rejects_invalid_palette_indexes_and_unsupported_formats() {
    let rect = Rect {
        x: 0,
        y: 0,
        width: 2,
        height: 1,
    };
    for bytes in [
        vec![0x40, 1, 0], // a single color must use Fill
        vec![0x40, 1, 2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 3, 0],
    ] {
        let result = TightDecoder::new()
            .decode(
                &PixelFormat::rgba(),
                &rect,
                &mut bytes.as_slice(),
                &|_| async { Ok(()) },
            )
            .await;
        assert!(matches!(result, Err(VncError::InvalidImageData)));
    }
    let mut format = PixelFormat::rgba();
    format.true_color_flag = 0;
    format.red_shift = 255; // ignored for indexed color, must never be shifted
    let result = TightDecoder::new()
        .decode(&format, &rect, &mut &[][..], &|_| async { Ok(()) })
        .await;
    assert!(matches!(result, Err(VncError::WrongPixelFormat)));
}

#[tokio::test]
async fn cursor_preserves_alpha_mask_and_accepts_empty_shapes() {
    for (width, bytes, expected) in [
        (1, vec![1, 2, 3, 0, 0x80], vec![1, 2, 3, 255]),
        (1, vec![1, 2, 3, 255, 0], vec![1, 2, 3, 0]),
        (0, vec![], vec![]),
    ] {
        let output = Mutex::new(Vec::new());
        CursorDecoder::new()
            .decode(
                &PixelFormat::rgba(),
                &Rect {
                    x: 0,
                    y: 0,
                    width,
                    height: 1,
                },
                &mut bytes.as_slice(),
                &|event| {
                    output.lock().unwrap().push(event);
                    async { Ok(()) }
                },
            )
            .await
            .unwrap();
        assert!(
            matches!(&output.into_inner().unwrap()[0], VncEvent::SetCursor(_, pixels) if pixels == &expected)
        );
    }
}

#[tokio::test]
async fn tight_rejects_component_widths_its_filters_cannot_decode() {
    let mut format = PixelFormat::rgba();
    format.red_max = 65535;
    format.red_shift = 0;
    format.green_max = 127;
    format.green_shift = 16;
    format.blue_max = 1;
    format.blue_shift = 23;
    assert!(format.validate().is_ok());
    let result = TightDecoder::new()
        .decode(
            &format,
            &Rect {
                x: 0,
                y: 0,
                width: 1,
                height: 1,
            },
            &mut &[0x40, 2, 255, 255, 255][..],
            &|_| async { Ok(()) },
        )
        .await;
    assert!(matches!(result, Err(VncError::WrongPixelFormat)));
}

// vmdesk: a Raw rectangle is read into a given-back buffer (no new allocation) and holds
// exactly the server's bytes, whatever the buffer held before; smaller ones stay new.
#[tokio::test]
async fn raw_reads_into_given_back_storage() {
    async fn raw(width: u16, height: u16, bytes: &[u8]) -> Vec<u8> {
        let rect = Rect {
            x: 0,
            y: 0,
            width,
            height,
        };
        let output = Mutex::new(Vec::new());
        RawDecoder::new()
            .decode(
                &PixelFormat::rgba(),
                &rect,
                &mut &bytes[..],
                &|event| {
                    output.lock().unwrap().push(event);
                    async { Ok(()) }
                },
            )
            .await
            .unwrap();
        let Some(VncEvent::RawImage(_, pixels)) = output.into_inner().unwrap().pop() else {
            panic!("no RawImage");
        };
        pixels
    }
    let (w, h) = (256u16, 128u16);
    let len = w as usize * h as usize * 4;
    let sent: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
    // Larger and stale: what it held must not show through.
    let stale = vec![0xee; len + 4096];
    let at = stale.as_ptr();
    give_back(stale);
    let got = raw(w, h, &sent).await;
    assert_eq!(got.as_ptr(), at, "the given-back buffer was not used");
    assert_eq!(got, sent);
    // Shorter than the rectangle (its length, not its capacity): the rest comes from the read.
    let mut short = Vec::with_capacity(len);
    short.resize(len / 2, 0xdd);
    give_back(short);
    assert_eq!(raw(w, h, &sent).await, sent);
    // A small rectangle never takes one, and tiny buffers are not kept.
    give_back(vec![1; 16]);
    assert_eq!(raw(2, 1, &sent[..8]).await, sent[..8]);
    // The smallest that fits is taken.
    release_spare();
    let (big, small) = (vec![0; len * 4], vec![0; len]);
    let small_at = small.as_ptr();
    give_back(big);
    give_back(small);
    assert_eq!(raw(w, h, &sent).await.as_ptr(), small_at);
    // At most two wait, and released they are gone.
    for _ in 0..4 {
        give_back(vec![0; len]);
    }
    assert_eq!(SPARE.lock().unwrap().len(), 2);
    release_spare();
    assert!(SPARE.lock().unwrap().is_empty());
}
