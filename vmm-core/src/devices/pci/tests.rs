use super::i440fx::*;
use super::*;
use crate::devices::{Bus, IoWindow};
use crate::exit::{ExitReason, ExitSender};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const DATA: u64 = 4;

fn i440fx() -> I440fx {
    PciRoot::i440fx(ExitSender::new(mpsc::channel().0))
}

fn addr(device: u32, function: u32, reg: u32) -> u32 {
    ENABLE | device << 11 | function << 8 | reg
}

fn latch(root: &mut PciRoot, a: u32) {
    root.write(0, &a.to_le_bytes());
}

fn read32(root: &mut PciRoot, device: u32, function: u32, reg: u32) -> u32 {
    latch(root, addr(device, function, reg));
    let mut d = [0; 4];
    root.read(DATA, &mut d);
    u32::from_le_bytes(d)
}

fn write32(root: &mut PciRoot, device: u32, function: u32, reg: u32, v: u32) {
    latch(root, addr(device, function, reg));
    root.write(DATA, &v.to_le_bytes());
}

fn read8(root: &mut PciRoot, device: u32, function: u32, reg: u32) -> u8 {
    latch(root, addr(device, function, reg & !3));
    let mut d = [0; 1];
    root.read(DATA + u64::from(reg & 3), &mut d);
    d[0]
}

fn write8(root: &mut PciRoot, device: u32, function: u32, reg: u32, v: u8) {
    latch(root, addr(device, function, reg & !3));
    root.write(DATA + u64::from(reg & 3), &[v]);
}

const FUNCTIONS: [(u32, u32, u16); 3] = [
    (0, 0, DEVICE_I440FX),
    (1, 0, DEVICE_PIIX3_ISA),
    (1, 3, DEVICE_PIIX4_PM),
];

#[test]
fn ids_read_with_32_16_and_8_bit_accesses() {
    let mut root = i440fx().root;
    for (d, f, id) in FUNCTIONS {
        let want = u32::from(id) << 16 | u32::from(VENDOR_INTEL);
        assert_eq!(read32(&mut root, d, f, 0), want, "00:{d:02x}.{f}");

        latch(&mut root, addr(d, f, 0));
        let mut w = [0; 2];
        root.read(DATA, &mut w);
        assert_eq!(u16::from_le_bytes(w), VENDOR_INTEL);
        root.read(DATA + 2, &mut w);
        assert_eq!(u16::from_le_bytes(w), id);

        let bytes: Vec<u8> = (0..4).map(|r| read8(&mut root, d, f, r)).collect();
        assert_eq!(bytes, want.to_le_bytes());
    }
}

#[test]
fn class_header_and_subsystem_are_those_of_qemu_pc() {
    let mut root = i440fx().root;
    // (class << 8 | prog-if) in the top 24 bits of 0x08.
    assert_eq!(read32(&mut root, 0, 0, 8) >> 8, 0x06_00_00);
    assert_eq!(read32(&mut root, 1, 0, 8) >> 8, 0x06_01_00);
    assert_eq!(read32(&mut root, 1, 3, 8) >> 8, 0x06_80_00);
    assert_eq!(read8(&mut root, 0, 0, 0x0e), 0);
    assert_eq!(read8(&mut root, 1, 0, 0x0e), HEADER_MULTIFUNCTION);
    assert_eq!(read8(&mut root, 1, 3, 0x0e), 0);
    for (d, f, _) in FUNCTIONS {
        assert_eq!(read32(&mut root, d, f, 0x2c), 0x1100_1af4);
    }
    assert_eq!(read8(&mut root, 1, 3, 0x3d), 1, "PM interrupt pin A");
}

#[test]
fn absent_functions_and_other_buses_read_all_ones() {
    let mut root = i440fx().root;
    for (d, f) in [(0, 1), (1, 1), (1, 2), (2, 0), (31, 7)] {
        assert_eq!(read32(&mut root, d, f, 0), 0xffff_ffff, "00:{d:02x}.{f}");
        // Writes to nothing go nowhere.
        write32(&mut root, d, f, 0x10, 0);
    }
    latch(&mut root, ENABLE | 1 << 16);
    let mut d = [0; 4];
    root.read(DATA, &mut d);
    assert_eq!(d, [0xff; 4], "bus 1");
}

#[test]
fn enable_bit_clear_reads_all_ones_and_writes_nothing() {
    let mut root = i440fx().root;
    latch(&mut root, addr(1, 0, PIIX3_PIRQ_ROUTE as u32) & !ENABLE);
    let mut d = [0; 4];
    root.read(DATA, &mut d);
    assert_eq!(d, [0xff; 4]);
    root.write(DATA, &[0x0a; 4]);
    assert_eq!(read32(&mut root, 1, 0, 0x60), 0x8080_8080);
}

#[test]
fn read_only_fields_ignore_writes() {
    let mut root = i440fx().root;
    for (d, f, _) in FUNCTIONS {
        let before: Vec<u32> = [0, 8, 0x0c, 0x2c]
            .iter()
            .map(|&r| read32(&mut root, d, f, r))
            .collect();
        for r in [0, 8, 0x2c] {
            write32(&mut root, d, f, r, 0);
        }
        write8(&mut root, d, f, 0x0e, 0x7f);
        write8(&mut root, d, f, 0x00, 0x12);
        let after: Vec<u32> = [0, 8, 0x0c, 0x2c]
            .iter()
            .map(|&r| read32(&mut root, d, f, r))
            .collect();
        // Cache line size and latency timer (0x0c–0x0d) are writable, the rest not.
        assert_eq!(before[0], after[0]);
        assert_eq!(before[1], after[1]);
        assert_eq!(before[2] >> 16, after[2] >> 16);
        assert_eq!(before[3], after[3]);
    }
}

#[test]
fn pam_and_smram_read_back() {
    let mut root = i440fx().root;
    // SeaBIOS rewrites the PAM registers as the dwords at 0x58 and 0x5c.
    let d58 = read32(&mut root, 0, 0, 0x58);
    write32(&mut root, 0, 0, 0x58, d58 & 0xff | 0x3333_3300);
    write32(&mut root, 0, 0, 0x5c, 0x3333_3333);
    assert_eq!(read32(&mut root, 0, 0, 0x58), d58 & 0xff | 0x3333_3300);
    assert_eq!(read32(&mut root, 0, 0, 0x5c), 0x3333_3333);
    write8(&mut root, 0, 0, I440FX_PAM0 as u32, 0x10);
    assert_eq!(read8(&mut root, 0, 0, I440FX_PAM0 as u32), 0x10);

    assert_eq!(read8(&mut root, 0, 0, I440FX_SMRAM as u32), 0x02);
    write8(&mut root, 0, 0, I440FX_SMRAM as u32, 0x4a);
    assert_eq!(read8(&mut root, 0, 0, I440FX_SMRAM as u32), 0x4a);
    // C_BASE_SEG is fixed.
    write8(&mut root, 0, 0, I440FX_SMRAM as u32, 0x00);
    assert_eq!(read8(&mut root, 0, 0, I440FX_SMRAM as u32), 0x02);
}

#[test]
fn pirq_routes_default_disabled_and_read_back() {
    let pc = i440fx();
    let mut root = pc.root;
    assert_eq!(read32(&mut root, 1, 0, 0x60), 0x8080_8080);
    // As SeaBIOS's piix_isa_bridge_setup: one byte per PIRQ.
    for (i, irq) in [10u8, 10, 11, 11].into_iter().enumerate() {
        write8(&mut root, 1, 0, 0x60 + i as u32, irq);
    }
    assert_eq!(read32(&mut root, 1, 0, 0x60), 0x0b0b_0a0a);
    let isa = Piix3Isa::new();
    assert_eq!(isa.pirq_routes(), [None; 4]);
}

#[test]
fn data_port_byte_lanes() {
    let mut root = i440fx().root;
    latch(&mut root, addr(1, 3, 0));
    let mut b = [0; 1];
    root.read(DATA + 1, &mut b);
    assert_eq!(b[0], 0x80, "0xcfd: high byte of the vendor ID");
    let mut w = [0; 2];
    root.read(DATA + 2, &mut w);
    assert_eq!(u16::from_le_bytes(w), DEVICE_PIIX4_PM, "0xcfe: device ID");

    // 16-bit write at 0xcfe lands in 0x62–0x63 only.
    latch(&mut root, addr(1, 0, 0x60));
    root.write(DATA + 2, &[0x05, 0x06]);
    assert_eq!(read32(&mut root, 1, 0, 0x60), 0x0605_8080);
    // A byte at 0xcfd lands in 0x61.
    latch(&mut root, addr(1, 0, 0x60));
    root.write(DATA + 1, &[0x09]);
    assert_eq!(read32(&mut root, 1, 0, 0x60), 0x0605_0980);

    // An access crossing the dword reads all-ones and writes nothing.
    latch(&mut root, addr(1, 0, 0x60));
    let mut d = [0; 4];
    root.read(DATA + 2, &mut d);
    assert_eq!(d, [0xff; 4]);
    root.write(DATA + 1, &[0; 4]);
    assert_eq!(read32(&mut root, 1, 0, 0x60), 0x0605_0980);
}

#[test]
fn address_latch_reads_back_and_takes_dword_writes_only() {
    let mut root = i440fx().root;
    // SeaBIOS's pci_probe_host.
    latch(&mut root, 0x8000_0000);
    let mut d = [0; 4];
    root.read(0, &mut d);
    assert_eq!(u32::from_le_bytes(d), 0x8000_0000);
    // Linux's type-1 check writes a byte to 0xcfb first; it must not reach the latch.
    root.write(3, &[0x01]);
    root.write(0, &[0x12]);
    root.read(0, &mut d);
    assert_eq!(u32::from_le_bytes(d), 0x8000_0000);
    let mut b = [0; 1];
    root.read(2, &mut b);
    assert_eq!(b, [0xff]);
    let mut w = [0; 2];
    root.read(0, &mut w);
    assert_eq!(w, [0xff; 2], "only dword reads see the latch");
}

/// A function with BARs, as later devices (virtio-pci, VGA) declare them.
struct BarDevice {
    config: PciConfig,
}

impl PciDevice for BarDevice {
    fn config(&self) -> &PciConfig {
        &self.config
    }
    fn config_mut(&mut self) -> &mut PciConfig {
        &mut self.config
    }
}

#[test]
fn declared_bars_answer_size_probes() {
    let mut config = PciConfig::new(PciId {
        vendor: 0x1af4,
        device: 0x1000,
        revision: 0,
        class: [0x02, 0x00, 0x00],
        header_type: 0,
        interrupt_pin: 1,
    });
    assert!(config.declare_bar(0, Bar::Io { size: 0x20 }));
    assert!(config.declare_bar(
        1,
        Bar::Mem32 {
            size: 0x1000,
            prefetchable: false
        }
    ));
    assert!(config.declare_bar(
        2,
        Bar::Mem64 {
            size: 0x4000,
            prefetchable: true
        }
    ));
    assert!(!config.declare_bar(
        5,
        Bar::Mem64 {
            size: 16,
            prefetchable: false
        }
    ));
    assert!(!config.declare_bar(6, Bar::Io { size: 4 }));

    let mut root = PciRoot::default();
    root.add(3, 0, Arc::new(Mutex::new(BarDevice { config })))
        .unwrap();
    assert!(root
        .add(3, 0, Arc::new(Mutex::new(HostBridge::new())))
        .is_err());
    assert!(root
        .add(32, 0, Arc::new(Mutex::new(HostBridge::new())))
        .is_err());

    for r in 0..6 {
        write32(&mut root, 3, 0, 0x10 + 4 * r, 0xffff_ffff);
    }
    assert_eq!(read32(&mut root, 3, 0, 0x10), 0xffff_ffe1);
    assert_eq!(read32(&mut root, 3, 0, 0x14), 0xffff_f000);
    assert_eq!(read32(&mut root, 3, 0, 0x18), 0xffff_c00c);
    assert_eq!(read32(&mut root, 3, 0, 0x1c), 0xffff_ffff);
    // Undeclared BARs read 0: the probe finds nothing there.
    assert_eq!(read32(&mut root, 3, 0, 0x20), 0);
    assert_eq!(read32(&mut root, 3, 0, 0x24), 0);

    write32(&mut root, 3, 0, 0x10, 0xc040);
    write32(&mut root, 3, 0, 0x14, 0xfebf_1000);
    write32(&mut root, 3, 0, 0x18, 0x0000_8000);
    write32(&mut root, 3, 0, 0x1c, 0x0000_0001);
    let slot = root.find(3, 0).unwrap();
    let dev = lock(&slot.dev);
    assert_eq!(dev.config().bar_address(0), Some(0xc040));
    assert_eq!(dev.config().bar_address(1), Some(0xfebf_1000));
    assert_eq!(dev.config().bar_address(2), Some(0x1_0000_8000));
    assert_eq!(dev.config().bar_address(3), None, "upper half of BAR 2");
    assert_eq!(dev.config().bar_address(4), None);
}

fn pio_bus(pc: I440fx) -> (Bus, Arc<IoWindow>) {
    let mut bus = Bus::default();
    let window = pc.pm_window.clone();
    pc.register(&mut bus);
    (bus, window)
}

fn bus_cfg_write(bus: &Bus, device: u32, function: u32, reg: u32, data: &[u8]) {
    bus.write(0xcf8, &addr(device, function, reg & !3).to_le_bytes());
    bus.write(0xcfc + u64::from(reg & 3), data);
}

fn read_timer(bus: &Bus, port: u64) -> Option<u32> {
    let mut d = [0; 4];
    bus.read(port, &mut d).then(|| u32::from_le_bytes(d))
}

#[test]
fn pm_base_programming_moves_the_pm_timer() {
    let (bus, window) = pio_bus(i440fx());
    assert_eq!(window.base(), None);
    // As SeaBIOS's piix4_pm_config_setup: base first, then the enable.
    bus_cfg_write(&bus, 1, 3, 0x40, &0xb001u32.to_le_bytes());
    assert_eq!(read_timer(&bus, 0xb008), None, "not enabled yet");
    bus_cfg_write(&bus, 1, 3, 0x80, &[0x01]);
    assert_eq!(window.base(), Some(0xb000));
    let a = read_timer(&bus, 0xb008).unwrap();
    assert!(a <= 0x00ff_ffff);
    // Other registers of the block read 0.
    assert_eq!(read_timer(&bus, 0xb000), Some(0));

    // Base bits below 6 are not writable; bit 0 reads 1.
    bus_cfg_write(&bus, 1, 3, 0x40, &0x063fu32.to_le_bytes());
    assert_eq!(window.base(), Some(0x600));
    assert_eq!(read_timer(&bus, 0xb008), None);
    assert!(read_timer(&bus, 0x608).is_some());
    let mut d = [0; 4];
    bus.write(0xcf8, &addr(1, 3, 0x40).to_le_bytes());
    bus.read(0xcfc, &mut d);
    assert_eq!(u32::from_le_bytes(d), 0x601);

    bus_cfg_write(&bus, 1, 3, 0x80, &[0x00]);
    assert_eq!(read_timer(&bus, 0x608), None, "disabled");
}

#[test]
fn fixed_ranges_win_over_a_pm_block_placed_on_them() {
    let (bus, window) = pio_bus(i440fx());
    // PM block at 0xcc0..0xd00 covers 0xcf8: the config ports must stay reachable.
    bus_cfg_write(&bus, 1, 3, 0x40, &0x0cc1u32.to_le_bytes());
    bus_cfg_write(&bus, 1, 3, 0x80, &[0x01]);
    assert_eq!(window.base(), Some(0xcc0));
    bus.write(0xcf8, &addr(0, 0, 0).to_le_bytes());
    let mut d = [0; 4];
    bus.read(0xcfc, &mut d);
    assert_eq!(u32::from_le_bytes(d), 0x1237_8086);
}

#[test]
fn pm_timer_counts_at_3_58_mhz() {
    let timer = AcpiPmTimer::new();
    let t0 = Instant::now();
    let c0 = timer.counter();
    std::thread::sleep(Duration::from_millis(30));
    let c1 = timer.counter();
    let spent = t0.elapsed();
    let delta = u128::from(c1.wrapping_sub(c0) & 0x00ff_ffff);
    let least = 30_000_000 * pm_timer::PM_TIMER_HZ / 1_000_000_000;
    let most = spent.as_nanos() * pm_timer::PM_TIMER_HZ / 1_000_000_000 + 1;
    assert!(
        (least.saturating_sub(1)..=most).contains(&delta),
        "{delta} ticks in {spent:?}"
    );
}

#[test]
fn pm_timer_byte_and_word_reads_see_their_lanes() {
    let mut timer = AcpiPmTimer::new();
    let mut d = [0; 1];
    timer.read(pm_timer::PM_TIMER_OFFSET + 3, &mut d);
    assert_eq!(d, [0], "bits 31:24 are 0");
    let mut w = [0xaa; 2];
    timer.read(pm_timer::PM_TIMER_OFFSET + 3, &mut w);
    assert_eq!(w, [0, 0], "past the register reads 0");
    timer.read(u64::MAX, &mut w);
    assert_eq!(w, [0, 0]);
}

#[test]
fn pm_timer_restore_continues_from_saved_value() {
    let mut timer = AcpiPmTimer::new();
    timer
        .restore(
            &pm_timer::AcpiPmTimerState {
                counter: 0x00ff_fff0,
                ..Default::default()
            },
            (),
        )
        .unwrap();
    let c = timer.counter();
    // Within a second of the saved value, wrapping at 24 bits.
    assert!(
        c.wrapping_sub(0x00ff_fff0) & 0x00ff_ffff < 3_579_545,
        "{c:#x}"
    );
    assert!(timer.save().unwrap().counter <= 0x00ff_ffff);
}

#[test]
fn snapshot_keeps_latch_writable_bytes_and_pm_base() {
    let pc = i440fx();
    let mut root = pc.root;
    write32(&mut root, 1, 3, 0x40, 0xb001);
    write8(&mut root, 1, 3, 0x80, 1);
    write8(&mut root, 1, 0, 0x60, 11);
    write32(&mut root, 0, 0, 0x5c, 0x3030_3030);
    latch(&mut root, addr(1, 0, 0x60));
    let state = root.save().unwrap();

    let fresh = i440fx();
    let mut restored = fresh.root;
    restored.restore(&state, ()).unwrap();
    assert_eq!(fresh.pm_window.base(), Some(0xb000));
    assert_eq!(restored.address, addr(1, 0, 0x60));
    assert_eq!(read32(&mut restored, 1, 0, 0x60), 0x8080_800b);
    assert_eq!(read32(&mut restored, 0, 0, 0x5c), 0x3030_3030);

    // A state file cannot change identities.
    let mut forged = state.clone();
    forged.functions[0].config[0] = 0x34;
    restored.restore(&forged, ()).unwrap();
    assert_eq!(read32(&mut restored, 0, 0, 0), 0x1237_8086);

    // Wrong shapes are refused before anything changes.
    let kept = restored.address;
    let mut short = state.clone();
    short.functions[2].config.truncate(10);
    short.address = 0;
    assert!(restored.restore(&short, ()).is_err());
    assert_eq!(restored.address, kept);
    let mut missing = state.clone();
    missing.functions.pop();
    assert!(restored.restore(&missing, ()).is_err());
    let mut moved = state;
    moved.functions[1].device = 5;
    assert!(restored.restore(&moved, ()).is_err());
}

/// xorshift64: reproducible garbage without a dependency.
fn next(s: &mut u64) -> u64 {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    *s
}

#[test]
fn garbage_on_the_ports_never_panics() {
    let (bus, _) = pio_bus(i440fx());
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..200_000 {
        let r = next(&mut s);
        let len = [1, 2, 4][(r % 3) as usize];
        // Mostly the config ports, sometimes anywhere the PM block may have gone.
        let port = if r & 0x30 == 0 {
            (r >> 8) & 0xffff
        } else {
            0xcf8 + ((r >> 8) % 8)
        };
        let v = next(&mut s);
        // Bias the latch towards enabled, bus 0, our devices, so writes reach config space.
        let v = if port == 0xcf8 && r & 0x40 != 0 {
            (v & 0x0000_0ffc) | u64::from(ENABLE)
        } else {
            v
        };
        let data = v.to_le_bytes();
        if r & 0x80 != 0 {
            bus.write(port, &data[..len]);
        } else {
            let mut d = [0; 4];
            bus.read(port, &mut d[..len]);
        }
    }
    // Whatever happened, the identities survived.
    bus.write(0xcf8, &addr(1, 3, 0).to_le_bytes());
    let mut d = [0; 4];
    bus.read(0xcfc, &mut d);
    assert_eq!(u32::from_le_bytes(d), 0x7113_8086);
}

#[test]
fn reset_control_at_0xcf9_resets_on_rst_cpu() {
    let (tx, rx) = mpsc::channel();
    let mut root = PciRoot::i440fx(ExitSender::new(tx)).root;
    // As SeaBIOS's pci_reboot: read, request a hard reset, then do it.
    let mut b = [0xaa; 1];
    root.read(1, &mut b);
    assert_eq!(b, [0]);
    root.write(1, &[0x02]);
    root.read(1, &mut b);
    assert_eq!(b, [0x02]);
    assert!(rx.try_recv().is_err());
    root.write(1, &[0x06]);
    assert_eq!(rx.try_recv(), Ok(ExitReason::Reset("PCI reset control")));
    // A dword write at 0xcf8 with bit 10 set is the latch, not a reset.
    latch(&mut root, addr(0, 4, 0));
    assert!(rx.try_recv().is_err());

    // Without a reset line 0xcf9 is nothing.
    let mut bare = PciRoot::default();
    bare.write(1, &[0x06]);
    bare.read(1, &mut b);
    assert_eq!(b, [0xff]);
}

#[test]
fn sleeping_in_s5_powers_off_and_pm1_registers_behave() {
    let (tx, rx) = std::sync::mpsc::channel();
    let mut pm = AcpiPmTimer::with_power_off(crate::exit::ExitSender::new(tx));
    // Enable and control keep what is written (without SLP_EN); status is write-1-to-clear.
    pm.write(2, &0x0121u16.to_le_bytes());
    pm.write(4, &0x0001u16.to_le_bytes());
    let mut w = [0u8; 2];
    pm.read(2, &mut w);
    assert_eq!(u16::from_le_bytes(w), 0x0121);
    pm.read(4, &mut w);
    assert_eq!(u16::from_le_bytes(w), 0x0001);
    // Another sleep type, or S5 without SLP_EN, does nothing.
    pm.write(4, &((1u16 << 10) | (1 << 13)).to_le_bytes());
    pm.write(4, &(pm_timer::S5_SLEEP_TYPE << 10).to_le_bytes());
    assert!(rx.try_recv().is_err());
    // Odd or byte writes are ignored rather than half-applied.
    pm.write(5, &[0x20]);
    pm.write(4, &[0xff]);
    assert!(rx.try_recv().is_err());
    // SLP_TYP = S5 with SLP_EN: the VM powers off; SLP_EN itself never reads back.
    pm.write(
        4,
        &((pm_timer::S5_SLEEP_TYPE << 10) | (1 << 13) | 1).to_le_bytes(),
    );
    assert_eq!(rx.try_recv(), Ok(crate::exit::ExitReason::PowerOff));
    pm.read(4, &mut w);
    assert_eq!(u16::from_le_bytes(w) & (1 << 13), 0);
    // The PM1 registers survive a snapshot.
    let saved = pm.save().unwrap();
    let mut other = AcpiPmTimer::new();
    other.restore(&saved, ()).unwrap();
    other.read(2, &mut w);
    assert_eq!(u16::from_le_bytes(w), 0x0121);
}

#[test]
fn ovmf_powers_off_with_the_piix4_soft_off_type() {
    let (tx, rx) = std::sync::mpsc::channel();
    let mut pm = AcpiPmTimer::with_power_off(crate::exit::ExitSender::new(tx));
    // OVMF's ResetShutdown: clear SLP_TYP and SLP_EN, then set SLP_EN (type 0).
    pm.write(4, &0x0001u16.to_le_bytes());
    assert!(rx.try_recv().is_err());
    pm.write(4, &(0x0001u16 | (1 << 13)).to_le_bytes());
    assert_eq!(rx.try_recv(), Ok(crate::exit::ExitReason::PowerOff));
}

#[test]
fn the_power_button_raises_the_sci_while_enabled_and_pending_and_the_guest_takes_it() {
    use crate::devices::pci::intx::IrqLevels;
    #[derive(Default)]
    struct Levels(Mutex<Vec<(u32, bool)>>);
    impl IrqLevels for Levels {
        fn set_level(&self, gsi: u32, high: bool) {
            self.0.lock().unwrap().push((gsi, high));
        }
    }
    let levels = Arc::new(Levels::default());
    let mut pm = AcpiPmTimer::new();
    pm.set_sci(levels.clone());
    // Pressed before the guest enabled the event: pending, no interrupt yet.
    let taken = pm.press_power_button();
    assert!(levels.0.lock().unwrap().is_empty());
    let mut sts = [0u8; 2];
    pm.read(0, &mut sts);
    assert_eq!(u16::from_le_bytes(sts) & 0x100, 0x100);
    // Enabling it raises IRQ 9; clearing another status bit keeps it up.
    pm.write(2, &0x0100u16.to_le_bytes());
    assert_eq!(*levels.0.lock().unwrap(), [(9, true)]);
    pm.write(0, &0x0001u16.to_le_bytes());
    assert!(!taken.load(std::sync::atomic::Ordering::SeqCst));
    // The guest's driver clears the status: the line drops and the press counts as taken.
    pm.write(0, &0x0100u16.to_le_bytes());
    assert_eq!(*levels.0.lock().unwrap(), [(9, true), (9, false)]);
    assert!(taken.load(std::sync::atomic::Ordering::SeqCst));
}
