//! Arbitrary bytes as a VNC client's message stream: the parser must never panic, must
//! consume at least one byte per message and never more than it was given, and what it
//! parses must be safe to act on (pixel formats it accepts must encode, any rectangle must
//! encode in any accepted format, any keysym must map or be refused).
#![no_main]

use libfuzzer_sys::fuzz_target;
use vmm_core::display::vnc::encode::{encode_raw, PixelConverter, ZrleEncoder};
use vmm_core::display::vnc::keysym::keysym_to_evdev;
use vmm_core::display::vnc::proto::{
    parse_client_message, ClientMessage, EncodingPrefs, PixelFormat, MAX_MESSAGE_LEN,
};

fuzz_target!(|data: &[u8]| {
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
        }
    }
});
