//! Fuzzes the VGA's guest-facing registers: the VGA ports, Bochs DISPI (ports and BAR2), and
//! the planar legacy window, in any order and size, then renders what the registers describe.
//! Nothing may panic, and the frame must stay as large as its pixels.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vmm_core::devices::vga::{
    DispiPorts, LegacyWindow, MmioBar, Vga, VgaPorts, LEGACY_LEN, MMIO_BAR_SIZE, PORTS_LEN,
};
use vmm_core::devices::BusDevice;
use vmm_core::display::{FrameSource, Rect};

fuzz_target!(|data: &[u8]| {
    let Ok(vga) = Vga::new(None, 0, 1) else {
        return;
    };
    let mut ports = VgaPorts(vga.clone());
    let mut dispi = DispiPorts(vga.clone());
    let mut window = LegacyWindow(vga.clone());
    let mut bar = MmioBar(vga.clone());
    // Each access: kind/direction byte, 2 offset bytes, size byte, 4 value bytes.
    for op in data.chunks(8) {
        let [kind, o0, o1, size, value @ ..] = op else {
            break;
        };
        let off = u64::from(u16::from_le_bytes([*o0, *o1]));
        let n = [1usize, 2, 4][usize::from(size % 3)].min(value.len());
        let (dev, off): (&mut dyn BusDevice, u64) = match kind % 4 {
            0 => (&mut ports, off % PORTS_LEN),
            1 => (&mut dispi, off % 2),
            2 => (&mut window, off % LEGACY_LEN),
            _ => (&mut bar, off % u64::from(MMIO_BAR_SIZE)),
        };
        if kind & 0x80 == 0 {
            dev.write(off, &value[..n]);
        } else {
            let mut buf = [0u8; 4];
            dev.read(off, &mut buf[..n]);
        }
    }
    let (w, h) = (vga.width(), vga.height());
    let mut px = Vec::new();
    vga.read_rect(Rect { x: 0, y: 0, w, h }, &mut px);
    assert!(px.len() <= (w as usize) * (h as usize) * 4);
});
