//! The VGA's registers as the guest sees them: the legacy VGA ports (0x3b0–0x3df: misc output,
//! sequencer, graphics controller, attribute controller, CRTC, DAC, input status), the Bochs
//! VBE "DISPI" registers, and the planar memory behind the legacy window at 0xa0000, after
//! QEMU's `hw/display/vga.c` (which SeaBIOS's `vgasrc/stdvga*.c` and `bochsvga.c` program).
//! Every value the guest writes is masked or clamped here, so what the renderer reads is always
//! inside VRAM.

use vm_memory::{Bytes, VolatileSlice};

/// Bochs VBE DISPI register indices (QEMU `vga_int.h`).
pub mod dispi {
    pub const ID: usize = 0;
    pub const XRES: usize = 1;
    pub const YRES: usize = 2;
    pub const BPP: usize = 3;
    pub const ENABLE: usize = 4;
    pub const BANK: usize = 5;
    pub const VIRT_WIDTH: usize = 6;
    pub const VIRT_HEIGHT: usize = 7;
    pub const X_OFFSET: usize = 8;
    pub const Y_OFFSET: usize = 9;
    /// Registers 0..COUNT are stored; VIDEO_MEMORY_64K is computed.
    pub const COUNT: usize = 10;
    pub const VIDEO_MEMORY_64K: usize = 0xa;

    pub const ID0: u16 = 0xb0c0;
    pub const ID5: u16 = 0xb0c5;

    pub const ENABLED: u16 = 0x01;
    pub const GETCAPS: u16 = 0x02;
    pub const DAC_8BIT: u16 = 0x20;
    pub const LFB_ENABLED: u16 = 0x40;
    pub const NOCLEARMEM: u16 = 0x80;

    pub const MAX_XRES: u16 = 16000;
    pub const MAX_YRES: u16 = 12000;
    pub const MAX_BPP: u16 = 32;
}

/// VRAM size: BAR0, 16 MiB as QEMU's default `vgamem_mb`.
pub const VRAM_SIZE: usize = 16 << 20;

// Sequencer, graphics controller and attribute controller write masks (QEMU `sr_mask`,
// `gr_mask`): bits that do not exist read back as zero.
const SR_MASK: [u8; 8] = [0x03, 0x3d, 0x0f, 0x3f, 0x0e, 0x00, 0x00, 0xff];
const GR_MASK: [u8; 16] = [
    0x0f, 0x0f, 0x0f, 0x1f, 0x03, 0x7b, 0x0f, 0x0f, 0xff, 0, 0, 0, 0, 0, 0, 0,
];

/// Input status 1 (0x3da): display enable and vertical retrace, toggled on each read so a
/// guest waiting for retrace makes progress.
const ST01_DISP_ENABLE: u8 = 0x01;
const ST01_V_RETRACE: u8 = 0x08;

/// Every register of the adapter. Plain data: `save`/`restore` copy it whole.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct VgaRegs {
    pub misc_output: u8,
    pub sr_index: u8,
    pub sr: [u8; 8],
    pub gr_index: u8,
    pub gr: [u8; 16],
    /// Attribute index with the palette address source bit (0x20).
    pub ar_index: u8,
    pub ar: [u8; 21],
    /// Attribute controller flip-flop: false = next 0x3c0 write is the index.
    pub ar_flip_flop: bool,
    pub cr_index: u8,
    /// 256 entries (indices past 0x18 read back zero).
    pub cr: Vec<u8>,
    pub st00: u8,
    pub st01: u8,
    pub feature_control: u8,
    pub dac_state: u8,
    pub dac_sub_index: u8,
    pub dac_read_index: u8,
    pub dac_write_index: u8,
    pub dac_cache: [u8; 3],
    pub pel_mask: u8,
    /// 256 entries × RGB, 6 bits each (8 with the 8-bit DAC).
    pub palette: Vec<u8>,
    pub latch: u32,
    pub vbe_index: u16,
    pub vbe: [u16; dispi::COUNT],
    /// Byte offset of the 64 KiB bank the legacy window shows in VBE banked modes.
    pub bank_offset: u32,
    /// Bytes per scan line of the VBE mode, and where it starts in VRAM.
    pub vbe_line_offset: u32,
    pub vbe_start: u32,
}

impl Default for VgaRegs {
    fn default() -> Self {
        let mut r = VgaRegs {
            misc_output: 0,
            sr_index: 0,
            sr: [0; 8],
            gr_index: 0,
            gr: [0; 16],
            ar_index: 0,
            ar: [0; 21],
            ar_flip_flop: false,
            cr_index: 0,
            cr: vec![0; 256],
            st00: 0,
            st01: 0,
            feature_control: 0,
            dac_state: 0,
            dac_sub_index: 0,
            dac_read_index: 0,
            dac_write_index: 0,
            dac_cache: [0; 3],
            pel_mask: 0xff,
            palette: vec![0; 768],
            latch: 0,
            vbe_index: 0,
            vbe: [0; dispi::COUNT],
            bank_offset: 0,
            vbe_line_offset: 0,
            vbe_start: 0,
        };
        r.vbe[dispi::ID] = dispi::ID5;
        r.vbe[dispi::BPP] = 8;
        r
    }
}

/// One byte of each set bit's plane: `mask16(0b0101) == 0x00ff_00ff`.
fn mask16(v: u8) -> u32 {
    (0..4).fold(0, |m, i| {
        if v & (1 << i) != 0 {
            m | (0xff << (8 * i))
        } else {
            m
        }
    })
}

fn rd(vram: &VolatileSlice, i: usize) -> u8 {
    vram.read_obj::<u8>(i).unwrap_or(0xff)
}

fn wr(vram: &VolatileSlice, i: usize, v: u8) {
    let _ = vram.write_obj(v, i);
}

/// Zeroes the first `n` bytes of `vram`.
pub fn zero(vram: &VolatileSlice, n: usize) {
    const CHUNK: [u8; 4096] = [0; 4096];
    let n = n.min(vram.len());
    for off in (0..n).step_by(CHUNK.len()) {
        let _ = vram.write_slice(&CHUNK[..(n - off).min(CHUNK.len())], off);
    }
}

fn rd32(vram: &VolatileSlice, i: usize) -> u32 {
    vram.read_obj::<u32>(i.saturating_mul(4))
        .unwrap_or(u32::MAX)
}

impl VgaRegs {
    pub fn vbe_enabled(&self) -> bool {
        self.vbe[dispi::ENABLE] & dispi::ENABLED != 0
    }

    pub fn dac_8bit(&self) -> bool {
        self.vbe[dispi::ENABLE] & dispi::DAC_8BIT != 0
    }

    /// Recomputes what is derived from the registers (after a restore: a state file is
    /// input like any other).
    pub fn revalidate(&mut self) {
        let bank = self.vbe[dispi::BANK] & ((VRAM_SIZE >> 16) as u16 - 1);
        self.vbe[dispi::BANK] = bank;
        self.bank_offset = u32::from(bank) << 16;
        if self.vbe_enabled() {
            self.vbe_fixup();
        } else {
            self.vbe_line_offset = 0;
            self.vbe_start = 0;
        }
        self.dac_sub_index = self.dac_sub_index.min(2);
        self.cr.resize(256, 0);
        self.palette.resize(768, 0);
    }

    /// Reads legacy VGA port `port` (0x3b0..0x3e0).
    pub fn port_read(&mut self, port: u16) -> u8 {
        // Colour (0x3dx) or mono (0x3bx) CRTC decoding, by misc output bit 0.
        let colour = self.misc_output & 1 != 0;
        if (colour && (0x3b0..0x3c0).contains(&port)) || (!colour && (0x3d0..0x3e0).contains(&port))
        {
            return 0xff;
        }
        match port {
            0x3c0 if !self.ar_flip_flop => self.ar_index,
            0x3c0 => 0,
            0x3c1 => self
                .ar
                .get(usize::from(self.ar_index & 0x1f))
                .copied()
                .unwrap_or(0),
            0x3c2 => self.st00,
            0x3c4 => self.sr_index,
            0x3c5 => self.sr[usize::from(self.sr_index & 7)],
            0x3c6 => self.pel_mask,
            0x3c7 => self.dac_state,
            0x3c8 => self.dac_write_index,
            0x3c9 => {
                let i = usize::from(self.dac_read_index) * 3 + usize::from(self.dac_sub_index);
                let v = self.palette.get(i).copied().unwrap_or(0);
                self.dac_sub_index += 1;
                if self.dac_sub_index == 3 {
                    self.dac_sub_index = 0;
                    self.dac_read_index = self.dac_read_index.wrapping_add(1);
                }
                v
            }
            0x3ca => self.feature_control,
            0x3cc => self.misc_output,
            0x3ce => self.gr_index,
            0x3cf => self.gr[usize::from(self.gr_index & 0x0f)],
            0x3b4 | 0x3d4 => self.cr_index,
            0x3b5 | 0x3d5 => self.cr[usize::from(self.cr_index)],
            0x3ba | 0x3da => {
                // Reading input status 1 resets the attribute flip-flop to "index".
                self.ar_flip_flop = false;
                self.st01 ^= ST01_V_RETRACE | ST01_DISP_ENABLE;
                self.st01
            }
            _ => 0xff,
        }
    }

    /// Writes legacy VGA port `port` (0x3b0..0x3e0).
    pub fn port_write(&mut self, port: u16, v: u8) {
        let colour = self.misc_output & 1 != 0;
        if (colour && (0x3b0..0x3c0).contains(&port)) || (!colour && (0x3d0..0x3e0).contains(&port))
        {
            return;
        }
        match port {
            0x3c0 | 0x3c1 => {
                if !self.ar_flip_flop {
                    self.ar_index = v & 0x3f;
                } else {
                    let i = usize::from(self.ar_index & 0x1f);
                    let v = match i {
                        0..=0x0f | 0x12 => Some(v & 0x3f),
                        0x10 => Some(v & !0x10),
                        0x11 => Some(v),
                        0x13 | 0x14 => Some(v & 0x0f),
                        _ => None,
                    };
                    if let Some(v) = v {
                        self.ar[i] = v;
                    }
                }
                self.ar_flip_flop = !self.ar_flip_flop;
            }
            0x3c2 => self.misc_output = v & !0x10,
            0x3c4 => self.sr_index = v & 7,
            0x3c5 => {
                let i = usize::from(self.sr_index & 7);
                self.sr[i] = v & SR_MASK[i];
            }
            0x3c6 => self.pel_mask = v,
            0x3c7 => {
                self.dac_read_index = v;
                self.dac_sub_index = 0;
                self.dac_state = 3;
            }
            0x3c8 => {
                self.dac_write_index = v;
                self.dac_sub_index = 0;
                self.dac_state = 0;
            }
            0x3c9 => {
                let sub = usize::from(self.dac_sub_index.min(2));
                self.dac_cache[sub] = v;
                self.dac_sub_index += 1;
                if self.dac_sub_index >= 3 {
                    let i = usize::from(self.dac_write_index) * 3;
                    self.palette[i..i + 3].copy_from_slice(&self.dac_cache);
                    self.dac_sub_index = 0;
                    self.dac_write_index = self.dac_write_index.wrapping_add(1);
                }
            }
            0x3ce => self.gr_index = v & 0x0f,
            0x3cf => {
                let i = usize::from(self.gr_index & 0x0f);
                self.gr[i] = v & GR_MASK[i];
            }
            0x3b4 | 0x3d4 => self.cr_index = v,
            0x3b5 | 0x3d5 => {
                let i = usize::from(self.cr_index);
                // CRTC registers 0–7 are write-protected by 0x11 bit 7, except 7's bit 4.
                if self.cr[0x11] & 0x80 != 0 && i <= 7 {
                    if i == 7 {
                        self.cr[7] = (self.cr[7] & !0x10) | (v & 0x10);
                    }
                    return;
                }
                if i <= 0x18 {
                    self.cr[i] = v;
                }
            }
            0x3ba | 0x3da => self.feature_control = v & 0x10,
            _ => {}
        }
    }

    /// Reads DISPI register `index` (through port 0x1cf, or BAR2 at 0x500).
    pub fn dispi_read(&self, index: usize) -> u16 {
        match index {
            i if i < dispi::COUNT => {
                if self.vbe[dispi::ENABLE] & dispi::GETCAPS != 0 {
                    match i {
                        dispi::XRES => return dispi::MAX_XRES,
                        dispi::YRES => return dispi::MAX_YRES,
                        dispi::BPP => return dispi::MAX_BPP,
                        _ => {}
                    }
                }
                self.vbe[i]
            }
            dispi::VIDEO_MEMORY_64K => (VRAM_SIZE >> 16) as u16,
            _ => 0,
        }
    }

    /// Writes DISPI register `index`; `vram` is cleared on a mode set without NOCLEARMEM.
    pub fn dispi_write(&mut self, index: usize, v: u16, vram: &VolatileSlice) {
        match index {
            dispi::ID if (dispi::ID0..=dispi::ID5).contains(&v) => self.vbe[dispi::ID] = v,
            dispi::XRES
            | dispi::YRES
            | dispi::BPP
            | dispi::VIRT_WIDTH
            | dispi::X_OFFSET
            | dispi::Y_OFFSET => {
                self.vbe[index] = v;
                if self.vbe_enabled() {
                    self.vbe_fixup();
                }
            }
            dispi::BANK => {
                let v = v & ((VRAM_SIZE >> 16) as u16 - 1);
                self.vbe[dispi::BANK] = v;
                self.bank_offset = u32::from(v) << 16;
            }
            dispi::ENABLE => {
                if v & dispi::ENABLED != 0 && !self.vbe_enabled() {
                    self.vbe[dispi::VIRT_WIDTH] = 0;
                    self.vbe[dispi::X_OFFSET] = 0;
                    self.vbe[dispi::Y_OFFSET] = 0;
                    self.vbe[dispi::ENABLE] |= dispi::ENABLED;
                    self.vbe_fixup();
                    if v & dispi::NOCLEARMEM == 0 {
                        let n = (u64::from(self.vbe[dispi::YRES]) * u64::from(self.vbe_line_offset))
                            .min(VRAM_SIZE as u64) as usize;
                        zero(vram, n);
                    }
                } else if v & dispi::ENABLED == 0 {
                    self.bank_offset = 0;
                }
                self.vbe[dispi::ENABLE] = v;
            }
            _ => {}
        }
    }

    /// Brings the VBE geometry inside VRAM and the DISPI limits (QEMU `vbe_fixup_regs`), and
    /// derives the line length, virtual height and start address.
    fn vbe_fixup(&mut self) {
        let r = &mut self.vbe;
        if !matches!(r[dispi::BPP], 4 | 8 | 15 | 16 | 24 | 32) {
            r[dispi::BPP] = 8;
        }
        let bits = u32::from(r[dispi::BPP]).div_ceil(8) * 8;
        r[dispi::XRES] = (r[dispi::XRES] & !7).clamp(8, dispi::MAX_XRES);
        r[dispi::VIRT_WIDTH] = (r[dispi::VIRT_WIDTH] & !7)
            .min(dispi::MAX_XRES)
            .max(r[dispi::XRES]);
        r[dispi::YRES] = r[dispi::YRES].clamp(1, dispi::MAX_YRES);
        let vram = VRAM_SIZE as u32;
        let mut line = u32::from(r[dispi::VIRT_WIDTH]) * bits / 8;
        let mut maxy = vram / line;
        if u32::from(r[dispi::YRES]) > maxy {
            // Not even one screen fits this wide: fall back to no panning.
            r[dispi::VIRT_WIDTH] = r[dispi::XRES];
            line = u32::from(r[dispi::XRES]) * bits / 8;
            maxy = vram / line;
            if u32::from(r[dispi::YRES]) > maxy {
                // Still too big (16000 × 12000 × 32 bpp): a height that fits.
                r[dispi::YRES] = maxy as u16;
            }
        }
        r[dispi::X_OFFSET] = r[dispi::X_OFFSET].min(dispi::MAX_XRES);
        r[dispi::Y_OFFSET] = r[dispi::Y_OFFSET].min(dispi::MAX_YRES);
        let mut start =
            u32::from(r[dispi::X_OFFSET]) * bits / 8 + u32::from(r[dispi::Y_OFFSET]) * line;
        if u64::from(start) + u64::from(r[dispi::YRES]) * u64::from(line) > u64::from(vram) {
            r[dispi::X_OFFSET] = 0;
            r[dispi::Y_OFFSET] = 0;
            start = 0;
        }
        r[dispi::VIRT_HEIGHT] = maxy.min(u32::from(u16::MAX)) as u16;
        self.vbe_line_offset = line;
        self.vbe_start = start;
    }

    /// Where legacy window offset `off` (0..0x20000 from 0xa0000) lands, per the graphics
    /// controller's memory map; `None` outside the mapped range.
    fn map_window(&self, off: u64) -> Option<usize> {
        let off = (off & 0x1ffff) as usize;
        match (self.gr[6] >> 2) & 3 {
            0 => Some(off),
            1 => (off < 0x10000).then_some(off + self.bank_offset as usize),
            2 => off.checked_sub(0x10000).filter(|a| *a < 0x8000),
            _ => off.checked_sub(0x18000).filter(|a| *a < 0x8000),
        }
    }

    /// A guest read of the legacy window (QEMU `vga_mem_readb`).
    pub fn mem_read(&mut self, off: u64, vram: &VolatileSlice) -> u8 {
        let Some(addr) = self.map_window(off) else {
            return 0xff;
        };
        if self.sr[4] & 0x08 != 0 {
            // Chain 4: bytes straight through.
            rd(vram, addr)
        } else if self.gr[5] & 0x10 != 0 {
            // Odd/even.
            let plane = usize::from(self.gr[4] & 2) | (addr & 1);
            rd(vram, ((addr & !1) << 1) | plane)
        } else {
            self.latch = rd32(vram, addr);
            if self.gr[5] & 0x08 == 0 {
                (self.latch >> (8 * u32::from(self.gr[4] & 3))) as u8
            } else {
                // Read mode 1: colour compare.
                let mut r = (self.latch ^ mask16(self.gr[2])) & mask16(self.gr[7]);
                r |= r >> 16;
                r |= r >> 8;
                !(r as u8)
            }
        }
    }

    /// A guest write to the legacy window (QEMU `vga_mem_writeb`). Returns true when plane 2
    /// (the font) may have changed.
    pub fn mem_write(&mut self, off: u64, val: u8, vram: &VolatileSlice) -> bool {
        let Some(addr) = self.map_window(off) else {
            return false;
        };
        if self.sr[4] & 0x08 != 0 {
            let plane = addr & 3;
            if self.sr[2] & (1 << plane) != 0 {
                wr(vram, addr, val);
            }
            return plane == 2;
        }
        if self.sr[4] & 0x04 == 0 {
            // Odd/even (sequencer odd/even addressing on).
            let plane = usize::from(self.gr[4] & 2) | (addr & 1);
            if self.sr[2] & (1 << plane) != 0 {
                wr(vram, ((addr & !1) << 1) | plane, val);
            }
            return plane == 2;
        }
        // Planar, with the latches.
        let rotate = u32::from(self.gr[3] & 7);
        let v8 = u32::from(val);
        let (mut v, mut bit_mask) = match self.gr[5] & 3 {
            0 => {
                let r = ((v8 >> rotate) | (v8 << (8 - rotate))) & 0xff;
                let r = r * 0x0101_0101;
                let set = mask16(self.gr[1]);
                (
                    (r & !set) | (mask16(self.gr[0]) & set),
                    u32::from(self.gr[8]),
                )
            }
            1 => (self.latch, 0xff),
            2 => (mask16(val & 0x0f), u32::from(self.gr[8])),
            _ => {
                let r = ((v8 >> rotate) | (v8 << (8 - rotate))) & 0xff;
                (mask16(self.gr[0]), u32::from(self.gr[8]) & r)
            }
        };
        if self.gr[5] & 3 != 1 {
            v = match self.gr[3] >> 3 {
                1 => v & self.latch,
                2 => v | self.latch,
                3 => v ^ self.latch,
                _ => v,
            };
            bit_mask *= 0x0101_0101;
            v = (v & bit_mask) | (self.latch & !bit_mask);
        }
        let write_mask = mask16(self.sr[2]);
        let Some(byte) = addr.checked_mul(4) else {
            return false;
        };
        if let Ok(old) = vram.read_obj::<u32>(byte) {
            let _ = vram.write_obj((old & !write_mask) | (v & write_mask), byte);
        }
        self.sr[2] & 4 != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vm_memory::{MmapRegion, VolatileMemory};

    fn vram() -> MmapRegion<()> {
        MmapRegion::new(VRAM_SIZE).unwrap()
    }

    #[test]
    fn dispi_id_bank_and_caps() {
        let m = vram();
        let v = m.as_volatile_slice();
        let mut r = VgaRegs::default();
        r.dispi_write(dispi::ID, dispi::ID0, &v);
        assert_eq!(r.dispi_read(dispi::ID), dispi::ID0);
        r.dispi_write(dispi::ID, 0x1234, &v);
        assert_eq!(
            r.dispi_read(dispi::ID),
            dispi::ID0,
            "unknown IDs are ignored"
        );
        assert_eq!(r.dispi_read(dispi::VIDEO_MEMORY_64K), 256);
        r.dispi_write(dispi::ENABLE, dispi::GETCAPS, &v);
        assert_eq!(r.dispi_read(dispi::XRES), dispi::MAX_XRES);
        assert_eq!(r.dispi_read(dispi::BPP), 32);
        // A bank beyond VRAM wraps inside it.
        r.dispi_write(dispi::BANK, 0xffff, &v);
        assert_eq!(r.bank_offset, 255 << 16);
    }

    #[test]
    fn mode_set_fixes_geometry_and_clears() {
        let m = vram();
        let v = m.as_volatile_slice();
        v.write_obj(0xaau8, 100).unwrap();
        let mut r = VgaRegs::default();
        r.dispi_write(dispi::XRES, 1024, &v);
        r.dispi_write(dispi::YRES, 768, &v);
        r.dispi_write(dispi::BPP, 32, &v);
        r.dispi_write(dispi::ENABLE, dispi::ENABLED | dispi::LFB_ENABLED, &v);
        assert_eq!(r.vbe_line_offset, 4096);
        assert_eq!(r.dispi_read(dispi::VIRT_HEIGHT), 4096);
        assert_eq!(
            v.read_obj::<u8>(100).unwrap(),
            0,
            "cleared without NOCLEARMEM"
        );
        r.dispi_write(dispi::Y_OFFSET, 100, &v);
        assert_eq!(r.vbe_start, 100 * 4096);
    }

    #[test]
    fn hostile_dispi_values_stay_inside_vram() {
        let m = vram();
        let v = m.as_volatile_slice();
        let mut r = VgaRegs::default();
        r.dispi_write(dispi::ENABLE, dispi::ENABLED | dispi::NOCLEARMEM, &v);
        for (i, val) in [
            (dispi::XRES, 0xffff),
            (dispi::YRES, 0xffff),
            (dispi::BPP, 0xffff),
            (dispi::BPP, 32),
            (dispi::VIRT_WIDTH, 0xffff),
            (dispi::X_OFFSET, 0xffff),
            (dispi::Y_OFFSET, 0xffff),
            (0x7fff, 0xffff),
        ] {
            r.dispi_write(i, val, &v);
            let end = u64::from(r.vbe_start)
                + u64::from(r.vbe[dispi::YRES]) * u64::from(r.vbe_line_offset);
            assert!(
                end <= VRAM_SIZE as u64,
                "{i}={val:#x}: frame ends at {end:#x}"
            );
            assert!(r.vbe[dispi::XRES] <= dispi::MAX_XRES);
        }
    }

    #[test]
    fn attribute_flip_flop_resets_on_status_read() {
        let mut r = VgaRegs {
            misc_output: 1,
            ..Default::default()
        };
        r.port_write(0x3c0, 0x01);
        r.port_write(0x3c0, 0x3f);
        assert_eq!(r.ar[1], 0x3f);
        r.port_write(0x3c0, 0x02); // index
        let _ = r.port_read(0x3da); // back to index
        r.port_write(0x3c0, 0x20 | 0x03);
        assert_eq!(r.ar_index, 0x23);
        r.port_write(0x3c0, 0xff);
        assert_eq!(r.ar[3], 0x3f);
        // Retrace toggles so polling loops end.
        assert_ne!(r.port_read(0x3da) & 8, r.port_read(0x3da) & 8);
    }

    #[test]
    fn dac_and_crtc() {
        let mut r = VgaRegs {
            misc_output: 1,
            ..Default::default()
        };
        r.port_write(0x3c8, 7);
        for c in [1, 2, 3, 4, 5, 6] {
            r.port_write(0x3c9, c);
        }
        r.port_write(0x3c7, 7);
        let got: Vec<u8> = (0..6).map(|_| r.port_read(0x3c9)).collect();
        assert_eq!(got, [1, 2, 3, 4, 5, 6]);
        r.port_write(0x3d4, 0x0e);
        r.port_write(0x3d5, 0x12);
        assert_eq!(r.cr[0x0e], 0x12);
        // Mono ports are off while the colour ones decode.
        assert_eq!(r.port_read(0x3b5), 0xff);
        // Write protect.
        r.port_write(0x3d4, 0x11);
        r.port_write(0x3d5, 0x80);
        r.port_write(0x3d4, 0x01);
        r.port_write(0x3d5, 0x55);
        assert_eq!(r.cr[1], 0);
    }

    #[test]
    fn font_reaches_plane_2_through_planar_writes() {
        let m = vram();
        let v = m.as_volatile_slice();
        let mut r = VgaRegs::default();
        // What SeaBIOS's stdvga_planar4_plane(2) programs.
        r.sr[2] = 4;
        r.sr[4] = 0x06;
        r.gr[4] = 2;
        r.gr[5] = 0;
        r.gr[6] = 0x04;
        r.gr[8] = 0xff;
        assert!(r.mem_write(0x41 * 32 + 3, 0x7e, &v));
        assert_eq!(v.read_obj::<u8>((0x41 * 32 + 3) * 4 + 2).unwrap(), 0x7e);
        assert_eq!(v.read_obj::<u8>((0x41 * 32 + 3) * 4).unwrap(), 0);
        assert_eq!(r.mem_read(0x41 * 32 + 3, &v), 0x7e);
        // Text map (b8000) is not this window's business.
        r.gr[6] = 0x0c;
        assert!(!r.mem_write(0, 1, &v));
        // Banked VBE: chain 4 through the bank.
        r.gr[6] = 0x04;
        r.sr[4] = 0x08;
        r.sr[2] = 0x0f;
        r.bank_offset = 255 << 16;
        r.mem_write(0xffff, 9, &v);
        assert_eq!(v.read_obj::<u8>(VRAM_SIZE - 1).unwrap(), 9);
    }
}
