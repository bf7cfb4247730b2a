//! The HBA on a fake guest memory: registers, commands through command lists, FISes and PRDTs,
//! and what a hostile guest can put in them.

use super::atapi::{tests::iso, Medium, BLOCK};
use super::*;
use crate::devices::pci::bars::COMMAND_MEMORY;
use crate::devices::pci::BAR0;
use crate::devices::Persist;

const MEM: usize = 0x20_0000;
const CLB: u64 = 0x1000;
const FB: u64 = 0x2000;
const CT: u64 = 0x3000;
const BUF: u64 = 0x10_0000;

fn mem() -> GuestMemoryMmap {
    GuestMemoryMmap::<()>::from_ranges(&[(GuestAddress(0), MEM)]).unwrap()
}

fn port_reg(p: usize, r: u64) -> u64 {
    PORT_BASE + PORT_LEN * p as u64 + r
}

fn rd(a: &mut Ahci, off: u64) -> u32 {
    let mut b = [0u8; 4];
    a.read(off, &mut b);
    u32::from_le_bytes(b)
}

fn wr(a: &mut Ahci, off: u64, v: u32) {
    a.write(off, &v.to_le_bytes());
}

/// A controller as firmware leaves it: port 0 has its lists, FIS receive and engine on.
fn started(cdroms: Vec<Option<Medium>>) -> Ahci {
    let mut a = Ahci::new(mem(), cdroms).unwrap();
    wr(&mut a, GHC, GHC_IE);
    wr(&mut a, port_reg(0, P_CLB), CLB as u32);
    wr(&mut a, port_reg(0, P_FB), FB as u32);
    wr(&mut a, port_reg(0, P_IE), u32::MAX);
    wr(&mut a, port_reg(0, P_CMD), CMD_FRE | CMD_ST);
    a
}

/// Puts a command in slot 0: an H2D FIS with `command`, the packet, one PRD per (addr, len).
fn issue(a: &mut Ahci, command: u8, cdb: &[u8], prds: &[(u64, u32)]) {
    let mut hdr = [0u8; 32];
    let dw0 = 5 | (u32::from(command == 0xa0) << 5) | ((prds.len() as u32) << 16);
    hdr[0..4].copy_from_slice(&dw0.to_le_bytes());
    hdr[8..16].copy_from_slice(&CT.to_le_bytes());
    a.mem.write_slice(&hdr, GuestAddress(CLB)).unwrap();
    let mut ct = vec![0u8; 0x80 + 16 * prds.len()];
    ct[0] = FIS_H2D;
    ct[1] = 0x80;
    ct[2] = command;
    ct[0x40..0x40 + cdb.len()].copy_from_slice(cdb);
    for (i, &(addr, len)) in prds.iter().enumerate() {
        let e = &mut ct[0x80 + 16 * i..0x90 + 16 * i];
        e[0..8].copy_from_slice(&addr.to_le_bytes());
        e[12..16].copy_from_slice(&(len - 1).to_le_bytes());
    }
    a.mem.write_slice(&ct, GuestAddress(CT)).unwrap();
    wr(a, port_reg(0, P_CI), 1);
}

fn prdbc(a: &Ahci) -> u32 {
    a.mem.read_obj(GuestAddress(CLB + 4)).unwrap()
}

#[test]
fn the_header_and_registers_read_as_an_ich9_ahci_with_a_cdrom_on_port_0() {
    let mut a = Ahci::new(mem(), vec![None]).unwrap();
    assert_eq!(a.config().u32_at(0), 0x2922_8086);
    assert_eq!(a.config().u32_at(8) >> 8, 0x01_0601);
    // ABAR: a 4 KiB memory BAR 5 that maps where the guest puts it.
    a.write_config(BAR0 + 20, &u32::MAX.to_le_bytes());
    assert_eq!(a.config().u32_at(BAR0 + 20), 0xffff_f000);
    a.write_config(BAR0 + 20, &0xfebf_0000u32.to_le_bytes());
    a.write_config(COMMAND, &COMMAND_MEMORY.to_le_bytes());
    assert_eq!(a.bars().mapped(ABAR_INDEX), Some(0xfebf_0000));
    assert_eq!(rd(&mut a, PI), 0x3f);
    assert_eq!(rd(&mut a, CAP) & 0x1f, 5);
    assert_ne!(rd(&mut a, GHC) & GHC_AE, 0);
    assert_eq!(rd(&mut a, port_reg(0, P_SIG)), SIG_ATAPI);
    assert_eq!(rd(&mut a, port_reg(0, P_SSTS)) & 0xf, 3);
    assert_eq!(rd(&mut a, port_reg(1, P_SSTS)), 0);
    // The HBA reset completes at once and keeps AHCI mode.
    wr(&mut a, GHC, GHC_HR);
    assert_eq!(rd(&mut a, GHC), GHC_AE);
    // Byte reads take the dword's bytes.
    let mut b = [0u8; 1];
    a.read(port_reg(0, P_SIG) + 3, &mut b);
    assert_eq!(b[0], 0xeb);
}

#[test]
fn identify_packet_test_unit_ready_and_read_go_through_the_prdt() {
    let dir = tempfile::tempdir().unwrap();
    let m = Medium::open(&iso(dir.path(), 40)).unwrap();
    let mut a = started(vec![Some(m)]);
    issue(&mut a, 0xa1, &[], &[(BUF, 512)]);
    assert_eq!(rd(&mut a, port_reg(0, P_CI)), 0);
    let is = rd(&mut a, port_reg(0, P_IS));
    assert_eq!(is & (IS_PSS | IS_DHRS), IS_PSS | IS_DHRS, "{is:#x}");
    assert!(a.irq_level());
    assert_eq!(rd(&mut a, IS), 1);
    let w0: u16 = a.mem.read_obj(GuestAddress(BUF)).unwrap();
    assert_eq!((w0 >> 8) & 0x1f, 5, "a CD-ROM");
    let ps: [u8; 20] = a.mem.read_obj(GuestAddress(FB + RX_PIO_SETUP)).unwrap();
    assert_eq!((ps[0], ps[2] & 0xc9, ps[15]), (FIS_PIO_SETUP, 0x48, 0x50));
    assert_eq!(prdbc(&a), 512);
    // Clearing PxIS then HBA IS drops the line.
    wr(&mut a, port_reg(0, P_IS), is);
    wr(&mut a, IS, 1);
    assert!(!a.irq_level());

    issue(&mut a, 0xa0, &[0x00], &[]);
    assert_eq!(rd(&mut a, port_reg(0, P_TFD)) & 0xff, 0x50);
    // READ(10) of blocks 3..6 into two PRDs of 4 KiB + 2 KiB.
    issue(
        &mut a,
        0xa0,
        &[0x28, 0, 0, 0, 0, 3, 0, 0, 3],
        &[(BUF, 4096), (BUF + 0x8000, 2048)],
    );
    assert_eq!(prdbc(&a), 3 * BLOCK as u32);
    let first: u8 = a.mem.read_obj(GuestAddress(BUF)).unwrap();
    let second: u8 = a.mem.read_obj(GuestAddress(BUF + 2048)).unwrap();
    let third: u8 = a.mem.read_obj(GuestAddress(BUF + 0x8000)).unwrap();
    assert_eq!((first, second, third), (3, 4, 5));
    let d2h: [u8; 20] = a.mem.read_obj(GuestAddress(FB + RX_D2H)).unwrap();
    assert_eq!((d2h[0], d2h[2], d2h[12]), (FIS_D2H, 0x50, 3));
}

#[test]
fn a_failing_packet_sets_tfes_with_the_sense_key_and_request_sense_explains() {
    let mut a = started(vec![None]);
    wr(&mut a, port_reg(0, P_IS), u32::MAX);
    issue(&mut a, 0xa0, &[0x00], &[]);
    let tfd = rd(&mut a, port_reg(0, P_TFD));
    assert_eq!(tfd & 0xff, 0x41);
    assert_eq!(tfd >> 12, u32::from(atapi::NOT_READY));
    assert_ne!(rd(&mut a, port_reg(0, P_IS)) & IS_TFES, 0);
    assert_eq!(rd(&mut a, port_reg(0, P_CI)), 0);
    issue(&mut a, 0xa0, &[0x03, 0, 0, 0, 18], &[(BUF, 18)]);
    let sense: [u8; 14] = a.mem.read_obj(GuestAddress(BUF)).unwrap();
    assert_eq!((sense[2], sense[12]), (atapi::NOT_READY, 0x3a));
    // IDENTIFY DEVICE is aborted with the ATAPI signature, as SeaBIOS and Linux expect.
    issue(&mut a, 0xec, &[], &[(BUF, 512)]);
    let d2h: [u8; 20] = a.mem.read_obj(GuestAddress(FB + RX_D2H)).unwrap();
    assert_eq!((d2h[2], d2h[3], d2h[5], d2h[6]), (0x41, 0x04, 0x14, 0xeb));
}

#[test]
fn hostile_command_lists_and_prdts_fail_the_command_not_the_vmm() {
    let dir = tempfile::tempdir().unwrap();
    let m = Medium::open(&iso(dir.path(), 40)).unwrap();
    let mut a = started(vec![Some(m)]);
    // A PRD beyond guest memory, a PRD that wraps the address space, a PRD table that runs
    // off the end of memory (65535 entries at the very top), and a huge read.
    for prds in [vec![(MEM as u64 - 100, 4096)], vec![(u64::MAX - 10, 4096)]] {
        wr(&mut a, port_reg(0, P_IS), u32::MAX);
        issue(&mut a, 0xa0, &[0x28, 0, 0, 0, 0, 0, 0, 0, 2], &prds);
        assert_ne!(rd(&mut a, port_reg(0, P_TFD)) & 1, 0, "{prds:?}");
        assert_ne!(rd(&mut a, port_reg(0, P_IS)) & IS_HBDS, 0, "{prds:?}");
        assert_eq!(rd(&mut a, port_reg(0, P_CI)), 0);
    }
    let mut hdr = [0u8; 32];
    hdr[0..4].copy_from_slice(&(5u32 | (0xffff << 16)).to_le_bytes());
    hdr[8..16].copy_from_slice(&(MEM as u64 - 0x100).to_le_bytes());
    a.mem.write_slice(&hdr, GuestAddress(CLB)).unwrap();
    a.mem
        .write_slice(&[FIS_H2D, 0x80, 0xa0], GuestAddress(MEM as u64 - 0x100))
        .unwrap();
    wr(&mut a, port_reg(0, P_CI), 1);
    assert_ne!(rd(&mut a, port_reg(0, P_IS)) & IS_HBDS, 0);
    // A command list outside guest memory, all 32 slots issued.
    wr(&mut a, port_reg(0, P_CLB), 0xffff_fc00);
    wr(&mut a, port_reg(0, P_CLBU), 0xffff_ffff);
    wr(&mut a, port_reg(0, P_CI), u32::MAX);
    assert_eq!(rd(&mut a, port_reg(0, P_CI)), 0);
    // Registers of ports without a drive, and past the ports, take anything.
    for off in (0..ABAR_SIZE as u64).step_by(4) {
        wr(&mut a, off, u32::MAX);
        rd(&mut a, off);
    }
}

#[test]
fn stopping_the_engine_drops_issued_commands_and_state_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let path = iso(dir.path(), 4);
    let mut a = started(vec![Some(Medium::open(&path).unwrap()), None]);
    wr(&mut a, port_reg(0, P_CMD), CMD_FRE);
    assert_eq!(rd(&mut a, port_reg(0, P_CMD)) & CMD_CR, 0);
    wr(&mut a, port_reg(0, P_CI), 1);
    assert_eq!(rd(&mut a, port_reg(0, P_CI)), 0, "not started: not issued");
    a.cdrom(1)
        .unwrap()
        .insert(Medium::open(&path).unwrap())
        .unwrap();
    let s = a.save().unwrap();
    let mut b = Ahci::new(mem(), vec![None, None]).unwrap();
    b.restore(&s, ()).unwrap();
    assert_eq!(b.save().unwrap(), s);
    assert_eq!(b.cdrom(1).unwrap().medium().unwrap().path(), path);
    let mut c = Ahci::new(mem(), vec![None]).unwrap();
    assert!(c.restore(&s, ()).unwrap_err().contains("port 1"));
}

mod sata;
