//! A 128-byte EDID 1.4 base block (VESA E-EDID) for the virtio-gpu's one monitor: its
//! preferred (first detailed) timing is the requested size, and a few standard timings
//! follow so a guest can pick the usual modes too.

/// Standard modes offered besides the preferred one: (width, height), all at 60 Hz with
/// 4:3, 16:10 or 16:9 aspect ratios that the standard-timing encoding can express.
const STANDARD: [(u32, u32); 6] = [
    (640, 480),
    (800, 600),
    (1024, 768),
    (1280, 800),
    (1280, 1024),
    (1920, 1080),
];

/// The EDID block for a monitor whose preferred mode is `width` x `height` at 60 Hz.
pub fn edid(width: u32, height: u32) -> [u8; 128] {
    let mut e = [0u8; 128];
    e[0..8].copy_from_slice(&[0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00]);
    // Manufacturer "VMD" (three 5-bit letters, big-endian), product 1, serial 0.
    let id =
        (u16::from(b'V' - b'@') << 10) | (u16::from(b'M' - b'@') << 5) | u16::from(b'D' - b'@');
    e[8..10].copy_from_slice(&id.to_be_bytes());
    e[10] = 1;
    e[16] = 1; // week 1
    e[17] = 36; // year of manufacture 2026 (years since 1990)
    e[18] = 1; // EDID 1.4
    e[19] = 4;
    e[20] = 0xa5; // digital input, 8 bits per colour, DisplayPort
                  // Physical size in cm: 0/0 would mean "projector"; say a ~96 dpi screen.
    e[21] = ((width * 254 / 960 / 100).clamp(1, 255)) as u8;
    e[22] = ((height * 254 / 960 / 100).clamp(1, 255)) as u8;
    e[23] = 120; // gamma 2.2
    e[24] = 0x06; // RGB 4:4:4, sRGB default, preferred timing is native (1.4: always set)
                  // Chromaticity of sRGB.
    e[25..35].copy_from_slice(&[0xee, 0x91, 0xa3, 0x54, 0x4c, 0x99, 0x26, 0x0f, 0x50, 0x54]);
    // No established timings; standard timings (8 slots, 0x0101 = unused).
    for i in 0..8 {
        let slot = match STANDARD.get(i) {
            Some(&(w, h)) => standard_timing(w, h),
            None => [1, 1],
        };
        e[38 + 2 * i..40 + 2 * i].copy_from_slice(&slot);
    }
    e[54..72].copy_from_slice(&detailed_timing(width, height));
    e[72..90].copy_from_slice(&descriptor(0xfd, &range_limits()));
    e[90..108].copy_from_slice(&descriptor(0xfc, &text(b"vmdesk")));
    e[108..126].copy_from_slice(&descriptor(0x10, &[0; 13]));
    e[126] = 0; // no extension blocks
    e[127] = checksum(&e[..127]);
    e
}

/// The byte that makes the block's bytes sum to 0 modulo 256.
pub fn checksum(bytes: &[u8]) -> u8 {
    0u8.wrapping_sub(bytes.iter().fold(0u8, |a, b| a.wrapping_add(*b)))
}

fn standard_timing(w: u32, h: u32) -> [u8; 2] {
    let aspect = match (w * 16 / h, w * 10 / h) {
        (25, _) => 0b00, // 16:10
        (_, 13) => 0b01, // 4:3
        (20, _) => 0b10, // 5:4
        _ => 0b11,       // 16:9
    };
    [(w / 8 - 31) as u8, aspect << 6] // low 6 bits: refresh - 60 = 0
}

/// An 18-byte detailed timing for `w` x `h` at ~60 Hz with CVT-RB-like blanking. Sizes are
/// limited by the encoding (12 bits each); larger sizes are clamped.
fn detailed_timing(w: u32, h: u32) -> [u8; 18] {
    let (w, h) = (w.min(4095), h.min(4095));
    let (hblank, vblank) = (160u32, 35u32);
    let (hfront, hsync, vfront, vsync) = (48u32, 32u32, 3u32, 6u32);
    let clock_10khz = ((w + hblank) * (h + vblank) * 60)
        .div_ceil(10_000)
        .min(0xffff);
    let mut d = [0u8; 18];
    d[0..2].copy_from_slice(&(clock_10khz as u16).to_le_bytes());
    d[2] = w as u8;
    d[3] = hblank as u8;
    d[4] = (((w >> 8) & 0xf) << 4 | ((hblank >> 8) & 0xf)) as u8;
    d[5] = h as u8;
    d[6] = vblank as u8;
    d[7] = (((h >> 8) & 0xf) << 4 | ((vblank >> 8) & 0xf)) as u8;
    d[8] = hfront as u8;
    d[9] = hsync as u8;
    d[10] = ((vfront & 0xf) << 4 | (vsync & 0xf)) as u8;
    d[11] = 0;
    // Image size in mm at ~96 dpi.
    let (wmm, hmm) = ((w * 254 / 960).min(4095), (h * 254 / 960).min(4095));
    d[12] = wmm as u8;
    d[13] = hmm as u8;
    d[14] = (((wmm >> 8) & 0xf) << 4 | ((hmm >> 8) & 0xf)) as u8;
    d[17] = 0x1e; // digital separate sync, +hsync -vsync (as CVT-RB)
    d
}

fn descriptor(tag: u8, payload: &[u8; 13]) -> [u8; 18] {
    let mut d = [0u8; 18];
    d[3] = tag;
    d[5..18].copy_from_slice(payload);
    d
}

/// Display range limits: 50–75 Hz vertical, 30–160 kHz horizontal, 600 MHz pixel clock.
fn range_limits() -> [u8; 13] {
    [
        50, 75, 30, 160, 60, 0x00, 0x0a, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    ]
}

fn text(s: &[u8]) -> [u8; 13] {
    let mut t = [0x20u8; 13];
    t[..s.len()].copy_from_slice(s);
    t[s.len()] = 0x0a;
    t
}
