//! Harnesses for the port-I/O devices: each input is a sequence of guest accesses (any
//! offset, width and value, reads and writes mixed); nothing may panic, and state that a
//! snapshot keeps must survive a save and restore.

use super::{guest_memory, no_exit, NoIrq, MEM};
use crate::devices::fw_cfg::{FwCfg, PORT_LEN as FW_CFG_PORT_LEN};
use crate::devices::i8042::{I8042Controller, PORT_LEN as I8042_PORT_LEN};
use crate::devices::legacy::AcpiPm;
use crate::devices::pci::pm_timer::{AcpiPmTimer, PM_TIMER_OFFSET};
use crate::devices::pci::{IntxRouter, PciRoot, PCI_CONFIG_ADDRESS};
use crate::devices::pflash::FlashDevice;
use crate::devices::serial::{SerialDevice, SerialOutput};
use crate::devices::vga::{
    DispiPorts, LegacyWindow, MmioBar, Vga, VgaPorts, LEGACY_LEN, MMIO_BAR_SIZE, PORTS_LEN,
};
use crate::devices::{Bus, BusDevice, Persist};
use crate::display::{FrameSource, Rect};
use std::sync::Arc;
use vmm_sys_util::eventfd::EventFd;

/// fw_cfg's ports: the input's head is guest memory (DMA descriptors and their targets, see
/// [`super::split_head`]), the rest port accesses.
pub fn fw_cfg_ports(data: &[u8]) {
    let (head, ops) = super::split_head(data, 0x1000);
    let mem = guest_memory(head);
    let e820 = [(0, MEM as u64, 1)];
    let Ok(mut dev) = FwCfg::for_pc(mem, 1, MEM as u64, &e820) else {
        return;
    };
    let _ = dev.add_writable_file("rw", vec![0; 64]);
    // Each access: offset/direction byte, size byte, then up to 8 value bytes.
    for op in ops.chunks(10) {
        let [kind, size, value @ ..] = op else { break };
        let offset = u64::from(kind & 0x7f) % (FW_CFG_PORT_LEN + 2);
        let size = [1usize, 2, 4, 8][usize::from(size % 4)].min(value.len());
        if kind & 0x80 == 0 {
            dev.write(offset, &value[..size]);
        } else {
            let mut buf = [0u8; 8];
            dev.read(offset, &mut buf[..size]);
        }
    }
}

/// The i8042's ports and the host input beside them (keys, mouse motion); the state that
/// results must survive a snapshot round trip.
pub fn i8042_ports(data: &[u8]) {
    let mut dev = I8042Controller::new(Arc::new(NoIrq), no_exit());
    // Each op: kind byte, value byte, size byte.
    for op in data.chunks(3) {
        let [kind, value, size] = *op else { break };
        let offset = u64::from(kind & 0x0f) % (I8042_PORT_LEN + 2);
        let size = usize::from(size % 5);
        match kind >> 4 {
            0..=6 => dev.write(offset, &[value, value, value, value][..size]),
            7..=13 => {
                let mut buf = [0u8; 4];
                dev.read(offset, &mut buf[..size]);
            }
            14 => dev.key(u16::from(value) | u16::from(size as u8) << 8, kind & 1 != 0),
            _ => dev.mouse_motion(
                i32::from(value as i8) * 300,
                i32::from(size as i8),
                i32::from(kind & 3),
                value,
            ),
        }
    }
    let s = dev.save().expect("saving the i8042");
    dev.restore(&s, ()).expect("restoring what was saved");
}

/// The PC's configuration space as a guest reaches it: the 0xcf8 latch, the 0xcfc window, the
/// PIIX reset control at 0xcf9, and ports anywhere (where the guest may have put the PM block).
pub fn pci_config(data: &[u8]) {
    let intx = IntxRouter::new(Arc::new(NoIrq));
    let mut pio = Bus::default();
    let chipset = PciRoot::i440fx_with_intx(no_exit(), Some(intx)).register(&mut pio);
    // Each op: kind, 4 value bytes, size, port byte.
    for op in data.chunks(7) {
        let [kind, a, b, c, d, size, port] = *op else {
            break;
        };
        let size = [1usize, 2, 4, 3][usize::from(size & 3)];
        let value = [a, b, c, d];
        let addr = match kind & 3 {
            0 => u64::from(PCI_CONFIG_ADDRESS),
            1 => u64::from(PCI_CONFIG_ADDRESS) + 4 + u64::from(port & 3),
            2 => u64::from(PCI_CONFIG_ADDRESS) + 1,
            _ => u64::from(u16::from_le_bytes([port, a])),
        };
        if kind & 4 == 0 {
            pio.write(addr, &value[..size]);
        } else {
            let mut buf = [0u8; 4];
            pio.read(addr, &mut buf[..size]);
        }
    }
    let mut root = crate::util::lock(&chipset.root);
    let s = root.save().expect("saving the chipset");
    root.restore(&s, ()).expect("restoring what was saved");
}

/// The CFI flash state machine on an 8 KiB writable device backed by a file: the device must
/// never panic, nor grow its file.
pub fn pflash_ops(data: &[u8]) {
    const SIZE: u64 = 8192;
    let path = super::fresh_path("pflash");
    let file = std::fs::write(&path, vec![0xffu8; SIZE as usize]).and_then(|()| {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
    });
    let Ok(file) = file else { return };
    if let Ok(mut dev) = FlashDevice::new("fuzz", &[0xff; SIZE as usize], Some(file), false) {
        // Each access: direction + size byte, two offset bytes, then up to 8 value bytes.
        for op in data.chunks(11) {
            let [kind, lo, hi, value @ ..] = op else {
                break;
            };
            let offset = u64::from(u16::from_le_bytes([*lo, *hi])) % (SIZE + 16);
            let size = [1usize, 2, 4, 8][usize::from(kind % 4)].min(value.len());
            if kind & 0x80 == 0 {
                dev.write(offset, &value[..size]);
            } else {
                let mut buf = [0u8; 8];
                dev.read(offset, &mut buf[..size]);
            }
        }
    }
    let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let _ = std::fs::remove_file(&path);
    assert!(len <= SIZE, "the flash grew its file to {len} bytes");
}

/// The VGA's registers (VGA ports, Bochs DISPI ports and BAR2, the planar legacy window), then
/// a render of what they describe: the frame must stay as large as its pixels.
pub fn vga_ports(data: &[u8]) {
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
}

/// The 16550 UART (COM1): register accesses at any offset and width mixed with host input
/// (the API's serial-input); its state must survive a snapshot round trip unchanged, and the
/// input it holds stays bounded.
pub fn serial_ports(data: &[u8]) {
    let Ok(evt) = EventFd::new(libc::EFD_NONBLOCK) else {
        return;
    };
    let out = SerialOutput::new(None, Arc::new(crate::hub::Hub::new(4)), false);
    let mut dev = SerialDevice::new(evt, out);
    // Each op: kind byte (offset, direction, width), value byte.
    for op in data.chunks(2) {
        let [kind, value] = *op else { break };
        let offset = u64::from(kind & 0x0f);
        let size = [1usize, 1, 2, 4][usize::from(kind >> 4 & 3)];
        match kind >> 6 {
            0 | 1 => dev.write(offset, &[value; 4][..size]),
            2 => {
                let mut buf = [0u8; 4];
                dev.read(offset, &mut buf[..size]);
            }
            _ => {
                let n = usize::from(value) * 64;
                let dropped = dev.queue_input(&vec![value; n]);
                assert!(dropped <= n);
            }
        }
    }
    let s = dev.save().expect("saving the UART");
    assert!(s.pending_input.len() <= crate::devices::serial::MAX_PENDING_INPUT);
    dev.restore(&s, ()).expect("restoring what was saved");
    assert_eq!(dev.save().expect("saving again"), s);
}

/// The ACPI register blocks: the Linux machine's PM/GED registers and the PIIX4 PM block
/// (PM1 status/enable/control and the timer) of the PC, with power-button presses between
/// accesses; states round-trip through a snapshot.
pub fn acpi_registers(data: &[u8]) {
    let mut pm = AcpiPm::new(no_exit());
    let mut timer = AcpiPmTimer::with_power_off(no_exit());
    timer.set_sci(Arc::new(NoIrq));
    // Each op: kind byte (device, direction, width), offset byte, 2 value bytes.
    for op in data.chunks(4) {
        let [kind, offset, a, b] = *op else { break };
        let size = [1usize, 2, 4, 3][usize::from(kind >> 2 & 3)];
        let value = [a, b, a, b];
        let dev: &mut dyn BusDevice = if kind & 1 == 0 { &mut pm } else { &mut timer };
        let offset = u64::from(offset) % (PM_TIMER_OFFSET + 8);
        match kind >> 4 {
            0..=6 => dev.write(offset, &value[..size]),
            7..=13 => {
                let mut buf = [0u8; 4];
                dev.read(offset, &mut buf[..size]);
            }
            14 => pm.press_power_button(),
            _ => {
                let _ = timer.press_power_button();
            }
        }
    }
    let s = pm.save().expect("saving the PM block");
    pm.restore(&s, ()).expect("restoring what was saved");
    assert_eq!(pm.save().expect("saving again"), s);
    let t = timer.save().expect("saving the PM timer");
    timer.restore(&t, ()).expect("restoring what was saved");
    let again = timer.save().expect("saving again");
    assert_eq!(
        (again.pm1_sts, again.pm1_en, again.pm1_cnt),
        (t.pm1_sts, t.pm1_en, t.pm1_cnt)
    );
}
