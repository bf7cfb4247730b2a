use super::super::transport::{ACKNOWLEDGE, DRIVER, DRIVER_OK, FEATURES_OK};
use super::super::{DeviceState, INT_CONFIG, INT_USED_RING, VIRTIO_F_VERSION_1};
use super::*;
use crate::devices::pci::intx::IrqLevels;
use crate::devices::pci::msi::MsiMessage;
use crate::devices::pci::IntxRouter;
use virtio_queue::Queue;
use vm_memory::GuestAddress;

/// A device with two queues that records what the transport asks of it.
#[derive(Default)]
struct Fake {
    notified: Vec<u16>,
    activated: Option<(usize, u64)>,
    resets: u32,
    irq: Option<Arc<VirtioInterrupt>>,
}

impl VirtioDevice for Fake {
    fn device_type(&self) -> u32 {
        device_type::BLOCK
    }
    fn queue_max_sizes(&self) -> &[u16] {
        &[16, 8]
    }
    fn features(&self) -> u64 {
        VIRTIO_F_VERSION_1 | 1 << 6
    }
    fn read_config(&self, offset: u64, data: &mut [u8]) {
        for (i, b) in data.iter_mut().enumerate() {
            *b = (offset as u8).wrapping_add(i as u8) ^ 0x5a;
        }
    }
    fn activate(
        &mut self,
        _mem: GuestMemoryMmap,
        queues: Vec<Queue>,
        acked: u64,
        irq: Arc<VirtioInterrupt>,
    ) -> Result<(), String> {
        self.activated = Some((queues.len(), acked));
        self.irq = Some(irq);
        Ok(())
    }
    fn queue_notify(&mut self, index: u16) {
        self.notified.push(index);
    }
    fn reset(&mut self) {
        self.resets += 1;
        self.activated = None;
    }
    fn save_state(&self) -> Result<DeviceState, String> {
        Ok(DeviceState::Rng(super::super::rng::RngState {
            queue: None,
        }))
    }
    fn restore_state(
        &mut self,
        _: &DeviceState,
        _: GuestMemoryMmap,
        _: Arc<VirtioInterrupt>,
    ) -> Result<(), String> {
        Ok(())
    }
}

/// MSI vectors that record routes and triggers.
#[derive(Default)]
struct Vectors {
    routes: Mutex<Vec<Option<MsiMessage>>>,
    fired: Mutex<Vec<usize>>,
}

impl MsiVectors for Arc<Vectors> {
    fn count(&self) -> usize {
        3
    }
    fn trigger(&self, index: usize) {
        self.fired.lock().unwrap().push(index);
    }
    fn set_route(&self, index: usize, msg: Option<MsiMessage>) -> Result<(), String> {
        let mut r = self.routes.lock().unwrap();
        if r.len() < 3 {
            r.resize(3, None);
        }
        r[index] = msg;
        Ok(())
    }
}

#[derive(Default)]
struct Levels(Mutex<Vec<(u32, bool)>>);
impl IrqLevels for Levels {
    fn set_level(&self, gsi: u32, high: bool) {
        self.0.lock().unwrap().push((gsi, high));
    }
}

struct Rig {
    t: PciTransport,
    dev: Arc<Mutex<Fake>>,
    vectors: Arc<Vectors>,
    levels: Arc<Levels>,
}

fn rig() -> Rig {
    let mem = GuestMemoryMmap::<()>::from_ranges(&[(GuestAddress(0), 1 << 20)]).unwrap();
    let dev = Arc::new(Mutex::new(Fake::default()));
    let vectors = Arc::new(Vectors::default());
    let levels = Arc::new(Levels::default());
    let router = IntxRouter::new(levels.clone());
    let pin = router.pin(4, 1).unwrap();
    let t = PciTransport::new(dev.clone(), mem, Box::new(vectors.clone()), Some(pin)).unwrap();
    Rig {
        t,
        dev,
        vectors,
        levels,
    }
}

fn cfg_read(t: &mut PciTransport, off: usize, len: usize) -> u32 {
    let mut b = [0u8; 4];
    t.read_config(off, &mut b[..len]);
    u32::from_le_bytes(b)
}

fn cfg_write(t: &mut PciTransport, off: usize, len: usize, v: u32) {
    t.write_config(off, &v.to_le_bytes()[..len]);
}

fn bar_read(t: &mut PciTransport, off: u64, len: usize) -> u64 {
    let mut b = [0u8; 8];
    t.read_bar(off, &mut b[..len]);
    u64::from_le_bytes(b)
}

fn bar_write(t: &mut PciTransport, off: u64, len: usize, v: u64) {
    t.write_bar(off, &v.to_le_bytes()[..len]);
}

/// Negotiates VERSION_1, sets up both queues in guest RAM and sets DRIVER_OK.
fn bring_up(t: &mut PciTransport) {
    bar_write(t, 0x14, 1, u64::from(ACKNOWLEDGE | DRIVER));
    bar_write(t, 0x08, 4, 1);
    bar_write(t, 0x0c, 4, 1);
    bar_write(t, 0x14, 1, u64::from(ACKNOWLEDGE | DRIVER | FEATURES_OK));
    for q in 0..2u64 {
        bar_write(t, 0x16, 2, q);
        bar_write(t, 0x18, 2, 8);
        bar_write(t, 0x20, 8, 0x1000 + q * 0x1000);
        bar_write(t, 0x28, 4, 0x1800 + q * 0x1000);
        bar_write(t, 0x30, 4, 0x1c00 + q * 0x1000);
        bar_write(t, 0x34, 4, 0);
        bar_write(t, 0x1c, 2, 1);
    }
    bar_write(
        t,
        0x14,
        1,
        u64::from(ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK),
    );
}

#[test]
fn identifies_as_a_modern_virtio_pci_function() {
    let mut r = rig();
    assert_eq!(cfg_read(&mut r.t, 0, 2), 0x1af4);
    assert_eq!(cfg_read(&mut r.t, 2, 2), 0x1042, "0x1040 + virtio-blk");
    assert_eq!(cfg_read(&mut r.t, 8, 1), 1, "revision 1: modern only");
    assert_eq!(cfg_read(&mut r.t, 0x0a, 2), 0x0100, "mass storage, SCSI");
    assert_eq!(cfg_read(&mut r.t, 0x3d, 1), 1, "INTA");
    assert!(cfg_read(&mut r.t, 0x2e, 2) >= 0x40, "subsystem ID");
    // BAR4 is 64-bit prefetchable memory, BAR1 32-bit memory.
    assert_eq!(cfg_read(&mut r.t, 0x20, 4) & 0xf, 0xc);
    assert_eq!(cfg_read(&mut r.t, 0x14, 4) & 0xf, 0x0);
    cfg_write(&mut r.t, 0x20, 4, u32::MAX);
    assert_eq!(cfg_read(&mut r.t, 0x20, 4), 0xffff_c00c, "16 KiB");
}

#[test]
fn the_capability_list_is_what_a_driver_walks() {
    let mut r = rig();
    assert_ne!(cfg_read(&mut r.t, 0x06, 2) & 0x10, 0, "capability list bit");
    let mut at = cfg_read(&mut r.t, 0x34, 1) as usize;
    let mut seen = Vec::new();
    while at != 0 {
        assert!((0x40..0x100).contains(&at) && seen.len() < 10, "{at:#x}");
        let id = cfg_read(&mut r.t, at, 1);
        if id == 0x09 {
            let ty = cfg_read(&mut r.t, at + 3, 1);
            let bar = cfg_read(&mut r.t, at + 4, 1);
            let off = cfg_read(&mut r.t, at + 8, 4);
            seen.push((ty, bar, off));
            if ty == 2 {
                assert_eq!(cfg_read(&mut r.t, at + 2, 1), 20);
                assert_eq!(cfg_read(&mut r.t, at + 16, 4), NOTIFY_OFF_MULTIPLIER);
            }
        } else {
            assert_eq!(id, 0x11, "MSI-X");
            let control = cfg_read(&mut r.t, at + 2, 2);
            assert_eq!(control & 0x7ff, 2, "3 vectors: two queues and config");
            assert_eq!(cfg_read(&mut r.t, at + 4, 4), 1, "table at BAR1 + 0");
            assert_eq!(cfg_read(&mut r.t, at + 8, 4), 0x801, "PBA at BAR1 + 0x800");
            seen.push((0x11, 1, 0));
        }
        at = cfg_read(&mut r.t, at + 1, 1) as usize;
    }
    assert_eq!(
        seen,
        vec![
            (1, 4, 0x0000),
            (3, 4, 0x1000),
            (4, 4, 0x2000),
            (2, 4, 0x3000),
            (5, 0, 0),
            (0x11, 1, 0)
        ]
    );
}

#[test]
fn common_config_negotiates_sets_up_queues_and_resets() {
    let mut r = rig();
    assert_eq!(bar_read(&mut r.t, 0x12, 2), 2, "num_queues");
    // Feature windows: word 0 has bit 6, word 1 VERSION_1.
    assert_eq!(bar_read(&mut r.t, 0x04, 4), 1 << 6);
    bar_write(&mut r.t, 0x00, 4, 1);
    assert_eq!(bar_read(&mut r.t, 0x04, 4), 1);
    bar_write(&mut r.t, 0x00, 4, 7);
    assert_eq!(bar_read(&mut r.t, 0x04, 4), 0, "no such window");
    // FEATURES_OK is refused without VERSION_1; unoffered bits are dropped.
    bar_write(&mut r.t, 0x14, 1, u64::from(ACKNOWLEDGE | DRIVER));
    bar_write(&mut r.t, 0x0c, 4, 0xffff_ffff);
    assert_eq!(bar_read(&mut r.t, 0x0c, 4), 1 << 6);
    bar_write(
        &mut r.t,
        0x14,
        1,
        u64::from(ACKNOWLEDGE | DRIVER | FEATURES_OK),
    );
    assert_eq!(bar_read(&mut r.t, 0x14, 1) as u32 & FEATURES_OK, 0);
    bar_write(&mut r.t, 0x14, 1, 0);
    bring_up(&mut r.t);
    assert_eq!(
        r.dev.lock().unwrap().activated,
        Some((2, VIRTIO_F_VERSION_1))
    );
    bar_write(&mut r.t, 0x16, 2, 1);
    assert_eq!(bar_read(&mut r.t, 0x1c, 2), 1, "queue_enable");
    assert_eq!(bar_read(&mut r.t, 0x1e, 2), 1, "queue_notify_off");
    // Running: queue registers are frozen.
    bar_write(&mut r.t, 0x18, 2, 4);
    bar_write(&mut r.t, 0x16, 2, 9);
    assert_eq!(bar_read(&mut r.t, 0x18, 2), 0, "no queue 9");
    // Reset: the device is told, queues and vectors forgotten.
    bar_write(&mut r.t, 0x10, 2, 0);
    bar_write(&mut r.t, 0x14, 1, 0);
    assert_eq!(r.dev.lock().unwrap().resets, 1);
    assert_eq!(bar_read(&mut r.t, 0x14, 1), 0);
    assert_eq!(bar_read(&mut r.t, 0x10, 2), u64::from(NO_VECTOR));
    bar_write(&mut r.t, 0x16, 2, 0);
    assert_eq!(bar_read(&mut r.t, 0x1c, 2), 0);
    assert_eq!(bar_read(&mut r.t, 0x18, 2), 16, "back to the maximum");
}

#[test]
fn notifications_reach_the_queue_whose_offset_was_written() {
    let mut r = rig();
    bar_write(&mut r.t, NOTIFY_CFG, 2, 0);
    assert!(r.dev.lock().unwrap().notified.is_empty(), "not yet running");
    bring_up(&mut r.t);
    bar_write(&mut r.t, NOTIFY_CFG + 4, 2, 1);
    bar_write(&mut r.t, NOTIFY_CFG, 2, 0);
    bar_write(&mut r.t, NOTIFY_CFG + 4 * 7, 2, 7);
    assert_eq!(r.dev.lock().unwrap().notified, vec![1, 0]);
    // Device config is the device's.
    assert_eq!(bar_read(&mut r.t, DEVICE_CFG + 2, 1), 2 ^ 0x5a);
}

#[test]
fn intx_is_a_level_the_isr_read_clears() {
    let mut r = rig();
    bring_up(&mut r.t);
    let irq = r.dev.lock().unwrap().irq.clone().unwrap();
    irq.signal(INT_USED_RING);
    irq.signal(INT_CONFIG);
    // Slot 4 INTA is PIRQD: IOAPIC 19 (no ISA route programmed).
    assert_eq!(*r.levels.0.lock().unwrap(), vec![(19, true)]);
    assert_eq!(bar_read(&mut r.t, ISR_CFG, 1), 3);
    assert_eq!(r.levels.0.lock().unwrap().last(), Some(&(19, false)));
    assert_eq!(bar_read(&mut r.t, ISR_CFG, 1), 0, "read clears");
    // Interrupt disable in the command register keeps the line low.
    cfg_write(&mut r.t, COMMAND, 2, u32::from(COMMAND_INTX_DISABLE));
    r.levels.0.lock().unwrap().clear();
    irq.signal(INT_USED_RING);
    assert!(!r.levels.0.lock().unwrap().contains(&(19, true)));
    cfg_write(&mut r.t, COMMAND, 2, 0);
    assert_eq!(r.levels.0.lock().unwrap().last(), Some(&(19, true)));
    // MSI-X on: INTx drops; off again with the ISR still set: it is raised again.
    enable_msix(&mut r.t, MSIX_ENABLE);
    assert_eq!(r.levels.0.lock().unwrap().last(), Some(&(19, false)));
    enable_msix(&mut r.t, 0);
    assert_eq!(r.levels.0.lock().unwrap().last(), Some(&(19, true)));
}

fn enable_msix(t: &mut PciTransport, control: u16) {
    cfg_write(t, MSIX_CONTROL, 2, u32::from(control));
}

#[test]
fn msix_vectors_follow_the_table_mask_and_pending_bits() {
    let mut r = rig();
    let irqs = r.t.interrupts().clone();
    // Out-of-range vectors read back as NO_VECTOR.
    bar_write(&mut r.t, 0x10, 2, 3);
    assert_eq!(bar_read(&mut r.t, 0x10, 2), u64::from(NO_VECTOR));
    bar_write(&mut r.t, 0x10, 2, 0);
    bring_up(&mut r.t);
    bar_write(&mut r.t, 0x16, 2, 0);
    bar_write(&mut r.t, 0x1a, 2, 1);
    bar_write(&mut r.t, 0x16, 2, 1);
    bar_write(&mut r.t, 0x1a, 2, 1);
    assert_eq!(bar_read(&mut r.t, 0x1a, 2), 1);
    enable_msix(&mut r.t, MSIX_ENABLE | MSIX_FUNCTION_MASK);
    for v in 0..3u64 {
        irqs.write_table(v * 16, &0xfee0_0000u32.to_le_bytes());
        irqs.write_table(v * 16 + 8, &(0x40 + v as u32).to_le_bytes());
    }
    assert_eq!(
        r.vectors.routes.lock().unwrap()[1],
        Some(MsiMessage {
            address: 0xfee0_0000,
            data: 0x41
        })
    );
    let irq = r.dev.lock().unwrap().irq.clone().unwrap();
    // Entries start masked: pending bits, no message, no INTx.
    irq.signal(INT_USED_RING);
    irq.signal(INT_CONFIG);
    let mut pba = [0u8; 1];
    irqs.read_pba(0, &mut pba);
    assert_eq!(pba[0], 0b011);
    assert!(r.vectors.fired.lock().unwrap().is_empty());
    assert!(r.levels.0.lock().unwrap().is_empty());
    // Unmasking entry 1 while the function is masked: still pending.
    irqs.write_table(16 + 12, &0u32.to_le_bytes());
    assert!(r.vectors.fired.lock().unwrap().is_empty());
    // Function unmasked: entry 1's pending message goes, entry 0 stays pending.
    enable_msix(&mut r.t, MSIX_ENABLE);
    assert_eq!(*r.vectors.fired.lock().unwrap(), vec![1]);
    irqs.read_pba(0, &mut pba);
    assert_eq!(pba[0], 0b001);
    irqs.write_table(12, &0u32.to_le_bytes());
    assert_eq!(*r.vectors.fired.lock().unwrap(), vec![1, 0]);
    // Both queues share vector 1: one message.
    irq.signal(INT_USED_RING);
    assert_eq!(*r.vectors.fired.lock().unwrap(), vec![1, 0, 1]);
    // A device that names the queue sends only that queue's vector.
    bar_write(&mut r.t, 0x16, 2, 1);
    bar_write(&mut r.t, 0x1a, 2, 2);
    irqs.write_table(2 * 16 + 12, &0u32.to_le_bytes());
    r.vectors.fired.lock().unwrap().clear();
    irq.signal_queue(1);
    irq.signal_queue(0);
    assert_eq!(*r.vectors.fired.lock().unwrap(), vec![2, 1]);
    // The inspector sees what the driver programmed: config on entry 0, queue 0 on 1, queue 1
    // on 2, each with its IDT vector and destination APIC; all unmasked now.
    let view = r.t.msix_view();
    let got: Vec<_> = view
        .iter()
        .map(|m| (m.entry, m.used_by.join(","), m.vector, m.apic_id, m.masked))
        .collect();
    assert_eq!(
        got,
        [
            (0, "config".to_string(), 0x40, 0, false),
            (1, "queue 0".to_string(), 0x41, 0, false),
            (2, "queue 1".to_string(), 0x42, 0, false),
        ]
    );
    // Disabling MSI-X removes the routes.
    enable_msix(&mut r.t, 0);
    assert!(
        r.t.msix_view().is_empty(),
        "no MSI-X vectors while it is off"
    );
    assert!(r.vectors.routes.lock().unwrap().iter().all(Option::is_none));
    // Table reads are dwords; others read zero.
    let mut b = [0u8; 2];
    irqs.read_table(8, &mut b);
    assert_eq!(b, [0, 0]);
}

#[test]
fn the_pci_cfg_window_reaches_bar4() {
    let mut r = rig();
    let w = |t: &mut PciTransport, bar: u32, off: u32, len: u32| {
        cfg_write(t, CAP_PCI_CFG + 4, 1, bar);
        cfg_write(t, CAP_PCI_CFG + 8, 4, off);
        cfg_write(t, CAP_PCI_CFG + 12, 4, len);
    };
    w(&mut r.t, 4, 0x14, 1);
    cfg_write(&mut r.t, PCI_CFG_DATA, 1, ACKNOWLEDGE);
    assert_eq!(bar_read(&mut r.t, 0x14, 1), u64::from(ACKNOWLEDGE));
    w(&mut r.t, 4, 0x12, 2);
    assert_eq!(cfg_read(&mut r.t, PCI_CFG_DATA, 4), 2, "num_queues");
    // Another BAR, a misaligned offset, a bad length or past the end: nothing happens.
    for (bar, off, len) in [(1, 0x12, 2), (4, 0x13, 2), (4, 0x12, 3), (4, 0x3ffe, 4)] {
        w(&mut r.t, bar, off, len);
        assert_eq!(cfg_read(&mut r.t, PCI_CFG_DATA, 4), 0);
        cfg_write(&mut r.t, PCI_CFG_DATA, 4, 0);
    }
    assert_eq!(bar_read(&mut r.t, 0x14, 1), u64::from(ACKNOWLEDGE));
}

#[test]
fn state_round_trips_and_restore_reinstalls_routes() {
    let mut r = rig();
    bring_up(&mut r.t);
    bar_write(&mut r.t, 0x10, 2, 2);
    enable_msix(&mut r.t, MSIX_ENABLE);
    let irqs = r.t.interrupts().clone();
    irqs.write_table(2 * 16, &0xfee0_1000u32.to_le_bytes());
    irqs.write_table(2 * 16 + 8, &0x99u32.to_le_bytes());
    let s = r.t.save_state().unwrap();
    let config = r.t.config().save();
    let mut fresh = rig();
    fresh.t.restore_state(&s).unwrap();
    fresh.t.config_mut().restore(&config).unwrap();
    fresh.t.restored();
    assert_eq!(bar_read(&mut fresh.t, 0x10, 2), 2);
    assert_eq!(
        fresh.vectors.routes.lock().unwrap()[2],
        Some(MsiMessage {
            address: 0xfee0_1000,
            data: 0x99
        })
    );
    assert_eq!(fresh.t.save_state().unwrap().pci, s.pci);
    // A virtio-mmio transport's state does not fit.
    let mut mmio_state = s.clone();
    mmio_state.pci = None;
    assert!(fresh.t.restore_state(&mmio_state).is_err());
    let mut bad = s.pci.clone().unwrap();
    bad.msix.table.pop();
    mmio_state.pci = Some(bad);
    assert!(fresh.t.restore_state(&mmio_state).is_err());
}

#[test]
fn hostile_accesses_never_panic() {
    let mut r = rig();
    let irqs = r.t.interrupts().clone();
    let mut x = 0x9e37_79b9u32;
    for i in 0..40000u32 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let len = [1usize, 2, 3, 4, 8][(x % 5) as usize];
        let v = u64::from(x.rotate_left(i % 32)) << ((i % 3) * 16);
        let mut buf = [0u8; 8];
        match i % 5 {
            0 => {
                let off = (x >> 8) as usize % 0x110;
                let l = len.min(4);
                r.t.write_config(off.min(0x100 - l), &v.to_le_bytes()[..l]);
            }
            1 => bar_write(&mut r.t, u64::from(x >> 4) % (BAR4_SIZE + 16), len, v),
            2 => {
                r.t.read_bar(u64::from(x >> 4) % (BAR4_SIZE + 16), &mut buf[..len])
            }
            3 => irqs.write_table(u64::from(x >> 4) % 0x900, &v.to_le_bytes()[..len]),
            _ => {
                irqs.read_pba(u64::from(x >> 4), &mut buf[..len]);
                if let Some(irq) = r.dev.lock().unwrap().irq.clone() {
                    irq.signal(x & 3);
                }
            }
        }
    }
}

#[test]
fn virtio_vga_is_a_vga_class_function_carrying_the_std_vga_bars() {
    use crate::devices::pci::bars::COMMAND_MEMORY;
    use crate::devices::pci::{BAR0, COMMAND};
    use crate::devices::virtio::gpu::Gpu;
    let mem = GuestMemoryMmap::<()>::from_ranges(&[(GuestAddress(0), 1 << 20)]).unwrap();
    let vga = Vga::new(None, 0, 1).unwrap();
    // Only a virtio-gpu can be virtio-vga.
    let fake = Arc::new(Mutex::new(Fake::default()));
    let vectors = Arc::new(Vectors::default());
    assert!(
        PciTransport::new_vga(fake, mem.clone(), Box::new(vectors), None, vga.clone()).is_err()
    );
    let (gpu, _display) = Gpu::new(640, 480);
    let vectors = Arc::new(Vectors::default());
    let t = PciTransport::new_vga(
        Arc::new(Mutex::new(gpu)),
        mem,
        Box::new(vectors),
        None,
        vga.clone(),
    )
    .unwrap();
    let t = Arc::new(Mutex::new(t));
    let (mut pio, mut mmio) = (Bus::default(), Bus::default());
    PciTransport::register(&t, "virtio-vga", &mut pio, &mut mmio).unwrap();
    let mut f = lock(&t);
    assert_eq!(cfg_read(&mut f, 0, 4), 0x1050_1af4);
    // Class code 0x030000 (VGA), as firmware and Linux's vgaarb look for.
    assert_eq!(cfg_read(&mut f, 0x08, 4) >> 8, 0x03_0000);
    // BAR0 is the 16 MiB prefetchable VRAM, which follows the BAR and memory decode.
    cfg_write(&mut f, BAR0, 4, u32::MAX);
    assert_eq!(cfg_read(&mut f, BAR0, 4), 0xff00_0008);
    cfg_write(&mut f, BAR0, 4, 0xe000_0000);
    cfg_write(&mut f, BAR0 + 8, 4, 0xfebf_0000);
    assert_eq!(vga.vram_address(), None, "memory decode is off");
    cfg_write(&mut f, COMMAND, 2, u32::from(COMMAND_MEMORY));
    assert_eq!(vga.vram_address(), Some(0xe000_0000));
    drop(f);
    // BAR2 is std-vga's MMIO block: the DISPI ID register at 0x500.
    let mut w = [0u8; 2];
    assert!(mmio.read(0xfebf_0500, &mut w));
    assert_eq!(
        u16::from_le_bytes(w) & 0xfff0,
        crate::devices::vga::regs::dispi::ID0 & 0xfff0
    );
    // The virtio capabilities are there as on any virtio-pci function (BAR4).
    let mut f = lock(&t);
    assert_eq!(cfg_read(&mut f, CAP_COMMON + 3, 1), u32::from(TYPE_COMMON));
    assert_eq!(cfg_read(&mut f, CAP_COMMON + 4, 1), u32::from(CFG_BAR));
    // Memory decode off again: VRAM is unmapped.
    cfg_write(&mut f, COMMAND, 2, 0);
    assert_eq!(vga.vram_address(), None);
}
