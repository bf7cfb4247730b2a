//! The PC's display adapter: QEMU's std-vga (PCI 1234:1111, class 0x030000) with Bochs VBE.
//!
//! - BAR0: 16 MiB of VRAM, host memory that KVM maps at the BAR's address as its own memslot
//!   (dirty-logged) while the BAR is placed and memory decode is on, so guest drawing never
//!   exits. The first 256 KiB also hold the four VGA planes, interleaved as QEMU keeps them.
//! - BAR2: 4 KiB of MMIO in QEMU's layout: 0x000 EDID (none: zeros), 0x400 the VGA ports
//!   0x3c0–0x3df, 0x500 the DISPI registers (16 bits each), 0x600 QEMU's extension block.
//! - Fixed: the VGA ports 0x3b0–0x3df, DISPI at 0x1ce (index) / 0x1cf (data), and the legacy
//!   window: 0xa0000–0xb7fff emulated per the sequencer and graphics controller (the VGA BIOS
//!   loads its font into plane 2 there), 0xb8000–0xbffff (the text buffer) backed by memory
//!   in its own dirty-logged memslot, so text output does not exit either. (A guest that
//!   writes text cells through the planar window, or maps 128 KiB at 0xa0000 and draws above
//!   0xb8000, is not shown faithfully; no firmware or OS we know does.)
//!
//! What the screen shows (`render`) is redrawn only when the dirty logs or a register write
//! say something changed; the display thread (`spawn_display_thread`) polls at 60 Hz while a
//! VNC client watches, and sleeps otherwise.

pub mod regs;
pub mod render;

use crate::devices::pci::{Bar, BarWindows, PciConfig, PciDevice, PciId};
use crate::devices::{BusDevice, Persist};
use crate::display::{DamageBus, FrameSource, Rect};
use crate::util::lock;
use kvm_bindings::{kvm_userspace_memory_region, KVM_MEM_LOG_DIRTY_PAGES};
use kvm_ioctls::VmFd;
use regs::{VgaRegs, VRAM_SIZE};
use render::{Frame, TEXT_SIZE};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use vm_memory::{Bytes, MmapRegion, VolatileMemory};

/// Where the text buffer's memslot sits.
pub const TEXT_BASE: u64 = 0xb8000;
/// The emulated part of the legacy window: 0xa0000 up to the text buffer.
pub const LEGACY_BASE: u64 = 0xa0000;
pub const LEGACY_LEN: u64 = TEXT_BASE - LEGACY_BASE;
/// VGA ports 0x3b0..0x3e0, and DISPI's index/data pair.
pub const PORTS_BASE: u16 = 0x3b0;
pub const PORTS_LEN: u64 = 0x30;
pub const DISPI_PORT: u16 = 0x1ce;
pub const DISPI_LEN: u64 = 2;
/// BAR2's size.
pub const MMIO_BAR_SIZE: u32 = 0x1000;
/// The fw_cfg file SeaBIOS looks for a PCI device's option ROM under (`optionroms.c`).
pub const ROM_FILE: &str = "pci1234,1111.rom";
/// The same for virtio-vga (whose VGA half is a std-vga; `vgabios-stdvga.bin` drives it).
pub const VIRTIO_VGA_ROM_FILE: &str = "pci1af4,1050.rom";

const PAGE: usize = 4096;
/// A frame older than this is redrawn when read outside the display thread (screenshots).
const STALE: Duration = Duration::from_millis(100);

/// The adapter's memory, registers and current picture, shared by its bus devices, its PCI
/// function, the display thread and the VNC server.
pub struct Vga {
    regs: Mutex<VgaRegs>,
    vram: MmapRegion<()>,
    text: MmapRegion<()>,
    vm: Option<Arc<VmFd>>,
    vram_slot: u32,
    text_slot: u32,
    /// Where the VRAM memslot is mapped now.
    vram_at: Mutex<Option<u64>>,
    /// Bumped by every guest write that may change the picture without touching memory
    /// KVM logs (registers, the planar window).
    generation: AtomicU64,
    picture: Mutex<Picture>,
}

#[derive(Default)]
struct Picture {
    frame: Frame,
    /// When `frame` was last known current.
    drawn: Option<Instant>,
    generation: u64,
    /// Damage of a redraw outside the display thread (a late tick), for its next publish.
    pending: Vec<Rect>,
}

/// More pending rectangles than this merge into their bounding box.
const MAX_PENDING: usize = 64;

impl Vga {
    /// Allocates VRAM and the text buffer; with `vm`, maps the text buffer at 0xb8000 as
    /// memslot `text_slot` (VRAM goes to `vram_slot` once the guest places BAR0).
    pub fn new(vm: Option<Arc<VmFd>>, vram_slot: u32, text_slot: u32) -> Result<Arc<Vga>, String> {
        let vram = MmapRegion::<()>::new(VRAM_SIZE).map_err(|e| format!("VGA memory: {e}"))?;
        let text = MmapRegion::<()>::new(TEXT_SIZE).map_err(|e| format!("VGA memory: {e}"))?;
        let vga = Arc::new(Vga {
            regs: Mutex::new(VgaRegs::default()),
            vram,
            text,
            vm,
            vram_slot,
            text_slot,
            vram_at: Mutex::new(None),
            generation: AtomicU64::new(1),
            picture: Mutex::new(Picture::default()),
        });
        if let Some(vm) = &vga.vm {
            let r = kvm_userspace_memory_region {
                slot: text_slot,
                flags: KVM_MEM_LOG_DIRTY_PAGES,
                guest_phys_addr: TEXT_BASE,
                memory_size: TEXT_SIZE as u64,
                userspace_addr: vga.text.as_ptr() as u64,
            };
            // SAFETY: `text` is a live mapping owned by the Vga, which the VM handle keeps for
            // the life of the VM.
            unsafe { vm.set_user_memory_region(r) }
                .map_err(|e| format!("VGA text memslot at {TEXT_BASE:#x}: {e}"))?;
        }
        Ok(vga)
    }

    fn changed(&self) {
        self.generation.fetch_add(1, Ordering::Relaxed);
    }

    /// Maps VRAM at `at` (BAR0 placed and decoded) or unmaps it (`None`). A place KVM refuses
    /// (over RAM or another slot) leaves VRAM unmapped: the guest's mistake, not ours.
    pub(crate) fn map_vram(&self, at: Option<u64>) {
        let mut now = lock(&self.vram_at);
        if *now == at {
            return;
        }
        let Some(vm) = &self.vm else {
            *now = at;
            return;
        };
        let region = |gpa: u64, size: u64| kvm_userspace_memory_region {
            slot: self.vram_slot,
            flags: KVM_MEM_LOG_DIRTY_PAGES,
            guest_phys_addr: gpa,
            memory_size: size,
            userspace_addr: self.vram.as_ptr() as u64,
        };
        if let Some(old) = now.take() {
            // SAFETY: size 0 deletes the slot; no memory is handed to KVM.
            if let Err(e) = unsafe { vm.set_user_memory_region(region(old, 0)) } {
                crate::log_line!("vmdesk-vmm: VGA: unmapping VRAM at {old:#x}: {e}");
            }
        }
        if let Some(gpa) = at {
            // SAFETY: `vram` is a live mapping owned by the Vga, which outlives the VM's use
            // of it (the VM handle keeps it).
            match unsafe { vm.set_user_memory_region(region(gpa, VRAM_SIZE as u64)) } {
                Ok(()) => *now = Some(gpa),
                Err(e) => crate::log_line!("vmdesk-vmm: VGA: cannot map VRAM at {gpa:#x}: {e}"),
            }
        }
        self.changed();
    }

    /// Where VRAM is mapped now.
    pub fn vram_address(&self) -> Option<u64> {
        *lock(&self.vram_at)
    }

    /// The text buffer's bytes (what 0xb8000 shows the guest).
    pub fn text_bytes(&self) -> Vec<u8> {
        let mut v = vec![0; TEXT_SIZE];
        self.text.as_volatile_slice().copy_to(&mut v[..]);
        v
    }

    /// A copy of the registers (tests, diagnostics).
    pub fn regs(&self) -> VgaRegs {
        lock(&self.regs).clone()
    }

    fn draw(&self) -> Frame {
        let regs = lock(&self.regs).clone();
        let mut f = Frame::default();
        render::render(
            &regs,
            &self.vram.as_volatile_slice(),
            &self.text.as_volatile_slice(),
            &mut f,
        );
        f
    }

    /// Redraws if the frame is older than `STALE` (a read outside the display thread).
    fn fresh(&self) -> std::sync::MutexGuard<'_, Picture> {
        let stale = lock(&self.picture)
            .drawn
            .is_none_or(|t| t.elapsed() > STALE);
        if stale {
            let generation = self.generation.load(Ordering::Relaxed);
            let f = self.draw();
            let mut p = lock(&self.picture);
            // Clients were not told about this change yet: the display thread will.
            let mut rects = render::diff(&p.frame, &f);
            p.pending.append(&mut rects);
            if p.pending.len() > MAX_PENDING {
                let b = crate::display::bounding_box(&p.pending);
                p.pending = vec![b];
            }
            p.frame = f;
            p.drawn = Some(Instant::now());
            p.generation = generation;
            return p;
        }
        lock(&self.picture)
    }

    /// One display tick: whether memory KVM logs or a register changed since the last, and if
    /// so, the redrawn frame's damage against the last one.
    fn tick(&self, vm: &VmFd) -> Vec<Rect> {
        let mut dirty = false;
        let logs = [
            Some((self.text_slot, TEXT_SIZE)),
            self.vram_address().map(|_| (self.vram_slot, VRAM_SIZE)),
        ];
        for (slot, size) in logs.into_iter().flatten() {
            match vm.get_dirty_log(slot, size) {
                Ok(bitmap) => dirty |= bitmap.iter().any(|w| *w != 0),
                // Moved under us: redraw to be safe.
                Err(_) => dirty = true,
            }
        }
        let generation = self.generation.load(Ordering::Relaxed);
        {
            let mut p = lock(&self.picture);
            if !dirty && p.generation == generation {
                // Nothing changed: the frame is current.
                p.drawn = Some(Instant::now());
                return std::mem::take(&mut p.pending);
            }
        }
        let f = self.draw();
        let mut p = lock(&self.picture);
        let mut rects = std::mem::take(&mut p.pending);
        rects.extend(render::diff(&p.frame, &f));
        p.frame = f;
        p.drawn = Some(Instant::now());
        p.generation = generation;
        rects
    }

    /// Sparse VRAM pages and the text buffer for a snapshot.
    fn save_memory(&self) -> (Vec<(u32, Vec<u8>)>, Vec<u8>) {
        let vs = self.vram.as_volatile_slice();
        let mut pages = Vec::new();
        let mut buf = vec![0u8; PAGE];
        for off in (0..VRAM_SIZE).step_by(PAGE) {
            if let Ok(s) = vs.get_slice(off, PAGE) {
                s.copy_to(&mut buf[..]);
                if buf.iter().any(|b| *b != 0) {
                    pages.push((off as u32, buf.clone()));
                }
            }
        }
        (pages, self.text_bytes())
    }
}

impl FrameSource for Vga {
    fn width(&self) -> u32 {
        self.fresh().frame.width
    }
    fn height(&self) -> u32 {
        self.fresh().frame.height
    }
    fn read_rect(&self, r: Rect, out: &mut Vec<u8>) {
        out.clear();
        let p = self.fresh();
        let f = &p.frame;
        let x1 = r.x.saturating_add(r.w).min(f.width);
        let y1 = r.y.saturating_add(r.h).min(f.height);
        for y in r.y..y1 {
            let row = y as usize * f.width as usize;
            for x in r.x..x1 {
                out.extend_from_slice(&f.px[row + x as usize].to_le_bytes());
            }
        }
    }
}

/// Polls the text buffer's and VRAM's dirty logs (and the register generation) while anyone
/// watches and publishes what changed on screen; sleeps while nobody does. An idle screen
/// costs one pair of dirty-log ioctls a frame and no redraw. While `covered` says so
/// (virtio-vga's GPU has the screen) nothing is published, and the whole VGA picture when it
/// comes back.
pub fn spawn_display_thread(
    vm: Arc<VmFd>,
    vga: Arc<Vga>,
    bus: Arc<DamageBus>,
    covered: Option<Box<dyn Fn() -> bool + Send>>,
) {
    {
        let (vm, vga) = (vm.clone(), vga.clone());
        bus.on_first_subscriber(move || {
            // The new client reads the whole frame: start the damage from it.
            let _ = vga.tick(&vm);
        });
    }
    let _ = std::thread::Builder::new()
        .name("display".into())
        .spawn(move || {
            crate::sandbox::confine(crate::sandbox::ThreadKind::Display);
            let mut next = Instant::now();
            let mut was_hidden = false;
            loop {
                if bus.client_count() == 0 {
                    bus.wait_for_client();
                    next = Instant::now();
                }
                next += FRAME_INTERVAL;
                match next.checked_duration_since(Instant::now()) {
                    Some(d) => std::thread::sleep(d),
                    None => next = Instant::now(),
                }
                let rects = vga.tick(&vm);
                let now_covered = covered.as_ref().is_some_and(|c| c());
                if now_covered {
                    was_hidden = true;
                    continue;
                }
                if std::mem::take(&mut was_hidden) {
                    let (w, h) = (vga.width(), vga.height());
                    bus.publish(&[Rect { x: 0, y: 0, w, h }]);
                }
                bus.publish(&rects);
            }
        });
}

const FRAME_INTERVAL: Duration = Duration::from_nanos(16_666_667);

/// The VGA ports 0x3b0–0x3df; a word access is two byte accesses to consecutive ports, as on
/// the ISA bus.
pub struct VgaPorts(pub Arc<Vga>);

impl BusDevice for VgaPorts {
    fn read(&mut self, offset: u64, data: &mut [u8]) {
        let mut regs = lock(&self.0.regs);
        for (i, b) in data.iter_mut().enumerate() {
            *b = regs.port_read(PORTS_BASE + (offset as u16).wrapping_add(i as u16));
        }
    }
    fn write(&mut self, offset: u64, data: &[u8]) {
        let mut regs = lock(&self.0.regs);
        for (i, b) in data.iter().enumerate() {
            regs.port_write(PORTS_BASE + (offset as u16).wrapping_add(i as u16), *b);
        }
        drop(regs);
        self.0.changed();
    }
}

/// Bochs VBE at 0x1ce (index) and 0x1cf (data), 16 bits each.
pub struct DispiPorts(pub Arc<Vga>);

impl BusDevice for DispiPorts {
    fn read(&mut self, offset: u64, data: &mut [u8]) {
        let regs = lock(&self.0.regs);
        let v = match offset {
            0 => regs.vbe_index,
            _ => regs.dispi_read(usize::from(regs.vbe_index)),
        };
        for (i, b) in data.iter_mut().enumerate() {
            *b = v.to_le_bytes().get(i).copied().unwrap_or(0);
        }
    }
    fn write(&mut self, offset: u64, data: &[u8]) {
        let v = match data {
            [lo] => u16::from(*lo),
            [lo, hi, ..] => u16::from_le_bytes([*lo, *hi]),
            [] => return,
        };
        let mut regs = lock(&self.0.regs);
        match offset {
            0 => regs.vbe_index = v,
            _ => {
                let i = usize::from(regs.vbe_index);
                regs.dispi_write(i, v, &self.0.vram.as_volatile_slice());
            }
        }
        drop(regs);
        self.0.changed();
    }
}

/// The legacy window below the text buffer (0xa0000–0xb7fff), byte by byte.
pub struct LegacyWindow(pub Arc<Vga>);

impl BusDevice for LegacyWindow {
    fn read(&mut self, offset: u64, data: &mut [u8]) {
        let vram = self.0.vram.as_volatile_slice();
        let mut regs = lock(&self.0.regs);
        for (i, b) in data.iter_mut().enumerate() {
            *b = regs.mem_read(offset + i as u64, &vram);
        }
    }
    fn write(&mut self, offset: u64, data: &[u8]) {
        let vram = self.0.vram.as_volatile_slice();
        let mut regs = lock(&self.0.regs);
        let mut changed = false;
        for (i, b) in data.iter().enumerate() {
            changed |= regs.mem_write(offset + i as u64, *b, &vram);
        }
        drop(regs);
        // Plane 2 holds the font; other planes only matter to modes drawn from VRAM, whose
        // pages KVM logs only when written through the BAR: count every write.
        let _ = changed;
        self.0.changed();
    }
}

/// BAR2: QEMU's std-vga MMIO block.
pub struct MmioBar(pub Arc<Vga>);

const QEXT_SIZE: u32 = 8;
/// QEMU's "framebuffer is little-endian" marker (`PCI_VGA_QEXT_LITTLE_ENDIAN`).
const QEXT_LITTLE_ENDIAN: u32 = 0x1e1e_1e1e;

impl BusDevice for MmioBar {
    fn read(&mut self, offset: u64, data: &mut [u8]) {
        data.fill(0);
        match offset {
            0x400..=0x41f => {
                let mut regs = lock(&self.0.regs);
                for (i, b) in data.iter_mut().enumerate() {
                    *b = regs.port_read(0x3c0 + (offset - 0x400) as u16 + i as u16);
                }
            }
            0x500..=0x515 => {
                let v = lock(&self.0.regs).dispi_read(((offset - 0x500) / 2) as usize);
                for (i, b) in data.iter_mut().enumerate() {
                    *b = v.to_le_bytes().get(i).copied().unwrap_or(0);
                }
            }
            0x600..=0x607 => {
                let v = if offset < 0x604 {
                    QEXT_SIZE
                } else {
                    QEXT_LITTLE_ENDIAN
                };
                let shift = (offset & 3) * 8;
                for (i, b) in data.iter_mut().enumerate() {
                    *b = (v.checked_shr((shift + 8 * i as u64) as u32).unwrap_or(0)) as u8;
                }
            }
            _ => {}
        }
    }
    fn write(&mut self, offset: u64, data: &[u8]) {
        match offset {
            0x400..=0x41f => {
                let mut regs = lock(&self.0.regs);
                for (i, b) in data.iter().enumerate() {
                    regs.port_write(0x3c0 + (offset - 0x400) as u16 + i as u16, *b);
                }
            }
            0x500..=0x515 => {
                let v = match data {
                    [lo] => u16::from(*lo),
                    [lo, hi, ..] => u16::from_le_bytes([*lo, *hi]),
                    [] => return,
                };
                lock(&self.0.regs).dispi_write(
                    ((offset - 0x500) / 2) as usize,
                    v,
                    &self.0.vram.as_volatile_slice(),
                );
            }
            _ => return,
        }
        self.0.changed();
    }
}

/// The PCI function: its header, and BAR0 (VRAM) and BAR2 (MMIO) following the guest.
pub struct VgaPci {
    config: PciConfig,
    bars: BarWindows,
    vga: Arc<Vga>,
}

impl VgaPci {
    /// The function with its two BARs declared (nothing mapped until the guest places them).
    pub fn new(vga: Arc<Vga>) -> Result<VgaPci, String> {
        let mut config = PciConfig::new(PciId {
            vendor: 0x1234,
            device: 0x1111,
            revision: 2,
            class: [0x03, 0x00, 0x00],
            header_type: 0,
            interrupt_pin: 0,
        });
        let mut bars = BarWindows::new();
        bars.declare(
            &mut config,
            0,
            Bar::Mem32 {
                size: VRAM_SIZE as u32,
                prefetchable: true,
            },
        )?;
        bars.declare(
            &mut config,
            2,
            Bar::Mem32 {
                size: MMIO_BAR_SIZE,
                prefetchable: false,
            },
        )?;
        Ok(VgaPci { config, bars, vga })
    }

    /// Puts BAR2's window on the MMIO bus.
    pub fn register(
        &self,
        pio: &mut crate::devices::Bus,
        mmio: &mut crate::devices::Bus,
    ) -> Result<(), String> {
        self.bars.register_one(
            2,
            "VGA (std-vga)",
            pio,
            mmio,
            Arc::new(Mutex::new(MmioBar(self.vga.clone()))),
        )
    }

    fn update(&mut self) {
        self.bars.update(&self.config);
        self.vga.map_vram(self.bars.mapped(0));
    }
}

impl PciDevice for VgaPci {
    fn config(&self) -> &PciConfig {
        &self.config
    }
    fn config_mut(&mut self) -> &mut PciConfig {
        &mut self.config
    }
    fn write_config(&mut self, offset: usize, data: &[u8]) {
        self.config.write(offset, data);
        self.update();
    }
    fn restored(&mut self) {
        self.update();
    }
}

/// The adapter in a snapshot: registers, the text buffer, and VRAM's non-zero pages.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct VgaState {
    pub regs: VgaRegs,
    pub text: Vec<u8>,
    /// (offset, 4 KiB) pairs.
    pub vram_pages: Vec<(u32, Vec<u8>)>,
}

impl Persist for Vga {
    type State = VgaState;
    type Args = ();

    fn save(&self) -> Result<VgaState, String> {
        let (vram_pages, text) = self.save_memory();
        Ok(VgaState {
            regs: self.regs(),
            text,
            vram_pages,
        })
    }

    fn restore(&mut self, s: &VgaState, _: ()) -> Result<(), String> {
        restore_into(self, s)
    }
}

/// Restores `s` into `vga` (shared: the VM's buses hold it). Checks everything first.
pub fn restore_into(vga: &Vga, s: &VgaState) -> Result<(), String> {
    if s.text.len() != TEXT_SIZE {
        return Err(format!(
            "VGA text buffer of {} bytes, expected {TEXT_SIZE}",
            s.text.len()
        ));
    }
    for (off, page) in &s.vram_pages {
        let off = *off as usize;
        if page.len() != PAGE || !off.is_multiple_of(PAGE) || off + PAGE > VRAM_SIZE {
            return Err(format!("VGA memory page at {off:#x} does not fit VRAM"));
        }
    }
    let vram = vga.vram.as_volatile_slice();
    regs::zero(&vram, VRAM_SIZE);
    for (off, page) in &s.vram_pages {
        let _ = vram.write_slice(page, *off as usize);
    }
    let _ = vga.text.as_volatile_slice().write_slice(&s.text, 0);
    let mut regs = s.regs.clone();
    // Derived geometry is recomputed from the registers, never trusted from the file.
    regs.revalidate();
    *lock(&vga.regs) = regs;
    vga.changed();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::pci::bars::COMMAND_MEMORY;
    use crate::devices::pci::{BAR0, COMMAND};
    use crate::devices::Bus;

    fn vga() -> Arc<Vga> {
        Vga::new(None, 0, 1).unwrap()
    }

    #[test]
    fn vram_follows_bar0_and_memory_decode() {
        let v = vga();
        let mut f = VgaPci::new(v.clone()).unwrap();
        // The size probe: 16 MiB, prefetchable memory.
        f.write_config(BAR0, &u32::MAX.to_le_bytes());
        let mut b = [0u8; 4];
        f.read_config(BAR0, &mut b);
        assert_eq!(u32::from_le_bytes(b), 0xff00_0008);
        f.write_config(BAR0, &0xfd00_0000u32.to_le_bytes());
        assert_eq!(v.vram_address(), None, "memory decode is off");
        f.write_config(COMMAND, &COMMAND_MEMORY.to_le_bytes());
        assert_eq!(v.vram_address(), Some(0xfd00_0000));
        f.write_config(BAR0, &0xe000_0000u32.to_le_bytes());
        assert_eq!(v.vram_address(), Some(0xe000_0000));
        f.write_config(COMMAND, &0u16.to_le_bytes());
        assert_eq!(v.vram_address(), None);
    }

    #[test]
    fn dispi_through_ports_and_bar2_and_qemu_ext() {
        let v = vga();
        let (mut pio, mut mmio) = (Bus::default(), Bus::default());
        let mut f = VgaPci::new(v.clone()).unwrap();
        f.register(&mut pio, &mut mmio).unwrap();
        f.write_config(BAR0 + 8, &0xfebf_0000u32.to_le_bytes());
        f.write_config(COMMAND, &COMMAND_MEMORY.to_le_bytes());
        pio.insert(
            "VGA",
            DISPI_PORT.into(),
            DISPI_LEN,
            Arc::new(Mutex::new(DispiPorts(v.clone()))),
        );
        pio.write(0x1ce, &(regs::dispi::ID as u16).to_le_bytes());
        pio.write(0x1cf, &regs::dispi::ID0.to_le_bytes());
        let mut w = [0u8; 2];
        pio.read(0x1cf, &mut w);
        assert_eq!(u16::from_le_bytes(w), regs::dispi::ID0);
        // The same register at BAR2 + 0x500 + 2 × index.
        assert!(mmio.read(0xfebf_0500, &mut w));
        assert_eq!(u16::from_le_bytes(w), regs::dispi::ID0);
        mmio.write(0xfebf_0502, &800u16.to_le_bytes());
        assert_eq!(v.regs().vbe[regs::dispi::XRES], 800);
        let mut d = [0u8; 4];
        mmio.read(0xfebf_0604, &mut d);
        assert_eq!(u32::from_le_bytes(d), QEXT_LITTLE_ENDIAN);
        // VGA ports at BAR2 + 0x400: the DAC write index.
        mmio.write(0xfebf_0408, &[0x21]);
        assert_eq!(v.regs().dac_write_index, 0x21);
    }

    #[test]
    fn hostile_register_writes_never_panic_and_the_frame_stays_bounded() {
        let v = vga();
        let mut ports = VgaPorts(v.clone());
        let mut dispi = DispiPorts(v.clone());
        let mut window = LegacyWindow(v.clone());
        let mut bar = MmioBar(v.clone());
        let mut seed = 0x1234_5678u32;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        for _ in 0..20_000 {
            let r = next();
            let val = next().to_le_bytes();
            let len = [1, 2, 4][(r % 3) as usize];
            let off = u64::from(r >> 8);
            match (r >> 2) % 4 {
                0 => ports.write(off % PORTS_LEN, &val[..len]),
                1 => dispi.write(off % 2, &val[..len]),
                2 => window.write(off % LEGACY_LEN, &val[..len]),
                _ => bar.write(off % u64::from(MMIO_BAR_SIZE), &val[..len]),
            }
            let mut b = [0u8; 4];
            ports.read(off % PORTS_LEN, &mut b[..len]);
            window.read(off % LEGACY_LEN, &mut b[..len]);
        }
        let f = v.draw();
        assert!(f.px.len() as u64 <= 16 << 20);
        assert_eq!(f.px.len(), f.width as usize * f.height as usize);
    }

    #[test]
    fn state_round_trips_and_hostile_state_is_refused() {
        let v = vga();
        DispiPorts(v.clone()).write(0, &(regs::dispi::BANK as u16).to_le_bytes());
        DispiPorts(v.clone()).write(1, &3u16.to_le_bytes());
        let _ = v.text.as_volatile_slice().write_slice(b"Hi", 0);
        let _ = v.vram.as_volatile_slice().write_slice(&[7; 9], 0x12345);
        let s = v.save().unwrap();
        assert_eq!(s.vram_pages.len(), 1, "sparse: only the page written");
        let w = vga();
        restore_into(&w, &s).unwrap();
        assert_eq!(w.save().unwrap(), s);
        assert_eq!(w.regs().bank_offset, 3 << 16);
        let mut bad = s.clone();
        bad.vram_pages[0].0 = VRAM_SIZE as u32;
        assert!(restore_into(&w, &bad).unwrap_err().contains("does not fit"));
        let mut bad = s;
        bad.text.truncate(10);
        assert!(restore_into(&w, &bad).is_err());
    }
}
