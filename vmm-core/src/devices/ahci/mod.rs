//! An AHCI SATA controller as QEMU's ICH9 AHCI (8086:2922, class 01.06.01): ABAR is BAR 5, a
//! 4 KiB MMIO block with the generic host registers and six ports; interrupts are INTx (level,
//! from the HBA's IS and GHC.IE). Ports hold ATAPI CD-ROM drives (`atapi`) and, after them,
//! ATA disks (`ata`): `[[cdroms]]` take ports `0..n` in config order, the SATA disks the ports
//! after.
//!
//! Commands run synchronously when the guest sets PxCI with PxCMD.ST on: the command header in
//! the command list, the command FIS and ATAPI packet in the command table, the data through
//! the PRDT, the result as D2H (and PIO setup) FISes in the FIS receive area, as AHCI 1.3 and
//! QEMU's `hw/ide/ahci.c` say. Every address and length comes from the guest and is checked:
//! guest memory accesses that miss RAM fail the command (host bus data error), PRDT entries are
//! at most 65535 of at most 4 MiB, a transfer stops where the PRDT ends, and replies are built
//! in bounded buffers.

pub mod ata;
pub mod atapi;

use super::pci::bars::COMMAND_INTX_DISABLE;
use super::pci::{Bar, BarWindows, IntxPin, PciConfig, PciDevice, PciId, COMMAND};
use super::BusDevice;
use ata::AtaDisk;
use atapi::{Atapi, Medium, Outcome};
use prdt::Prdt;
use serde::{Deserialize, Serialize};
use vm_memory::{Bytes, GuestAddress, GuestMemoryMmap};

pub const NUM_PORTS: usize = 6;
/// ABAR's size and BAR index.
pub const ABAR_SIZE: u32 = 0x1000;
pub const ABAR_INDEX: usize = 5;

// Generic host control.
const CAP: u64 = 0x00;
const GHC: u64 = 0x04;
const IS: u64 = 0x08;
const PI: u64 = 0x0c;
const VS: u64 = 0x10;
const GHC_HR: u32 = 1 << 0;
const GHC_IE: u32 = 1 << 1;
const GHC_AE: u32 = 1 << 31;
/// 64-bit addressing, AHCI only, gen 1 speed, 32 command slots, six ports. No NCQ.
const CAP_VALUE: u32 = (1 << 31) | (1 << 18) | (1 << 20) | (31 << 8) | (NUM_PORTS as u32 - 1);

const PORT_BASE: u64 = 0x100;
const PORT_LEN: u64 = 0x80;

// Port registers.
const P_CLB: u64 = 0x00;
const P_CLBU: u64 = 0x04;
const P_FB: u64 = 0x08;
const P_FBU: u64 = 0x0c;
const P_IS: u64 = 0x10;
const P_IE: u64 = 0x14;
const P_CMD: u64 = 0x18;
const P_TFD: u64 = 0x20;
const P_SIG: u64 = 0x24;
const P_SSTS: u64 = 0x28;
const P_SCTL: u64 = 0x2c;
const P_SERR: u64 = 0x30;
const P_CI: u64 = 0x38;

const CMD_ST: u32 = 1 << 0;
const CMD_CLO: u32 = 1 << 3;
const CMD_FRE: u32 = 1 << 4;
const CMD_FR: u32 = 1 << 14;
const CMD_CR: u32 = 1 << 15;
const CMD_CCS: u32 = 0x1f << 8;
/// Spin-up and power-on, as after reset.
const CMD_RESET: u32 = (1 << 1) | (1 << 2);
const CMD_RO: u32 = CMD_FR | CMD_CR | CMD_CCS;

// Port interrupt status bits.
const IS_DHRS: u32 = 1 << 0;
const IS_PSS: u32 = 1 << 1;
const IS_HBDS: u32 = 1 << 28;
const IS_TFES: u32 = 1 << 30;
const IE_MASK: u32 = 0xfdc0_00ff;

// ATA status bits.
const ST_ERR: u8 = 0x01;
const ST_DRQ: u8 = 0x08;
const ST_DSC: u8 = 0x10;
const ST_DRDY: u8 = 0x40;
const ST_BSY: u8 = 0x80;
const ERR_ABRT: u8 = 0x04;

const SIG_ATAPI: u32 = 0xeb14_0101;
const SIG_ATA: u32 = 0x0000_0101;
/// SStatus with a device: present and communicating, gen 1, active.
const SSTS_PRESENT: u32 = 0x113;

// FIS types and where they land in the receive area.
const FIS_H2D: u8 = 0x27;
const FIS_D2H: u8 = 0x34;
const FIS_PIO_SETUP: u8 = 0x5f;
const RX_PIO_SETUP: u64 = 0x20;
const RX_D2H: u64 = 0x40;

/// Command table: the command FIS, the ATAPI packet, the PRDT.
const CT_ACMD: usize = 0x40;
const CT_PRDT: u64 = 0x80;
const PRD_LEN: u64 = 16;
/// Blocks read from the image at a time.
const READ_CHUNK_BLOCKS: usize = 16;
/// ATA sectors moved between the image and guest memory at a time.
const ATA_CHUNK_SECTORS: u64 = 128;

/// One port's registers (also its snapshot state).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortRegs {
    pub clb: u64,
    pub fb: u64,
    pub is: u32,
    pub ie: u32,
    pub cmd: u32,
    pub tfd: u32,
    pub sig: u32,
    pub ssts: u32,
    pub sctl: u32,
    pub serr: u32,
    pub ci: u32,
}

/// What is on a port.
enum Drive {
    Cdrom(Atapi),
    Disk(AtaDisk),
}

impl Drive {
    /// The signature the device shows after a reset (task file count, LBA low/mid/high).
    fn signature(&self) -> (u32, [u8; 3]) {
        match self {
            Drive::Cdrom(_) => (SIG_ATAPI, [1, 0x14, 0xeb]),
            Drive::Disk(_) => (SIG_ATA, [1, 0, 0]),
        }
    }
}

struct Port {
    regs: PortRegs,
    drive: Option<Drive>,
}

/// What a command left in the task file.
struct Done {
    status: u8,
    error: u8,
    /// Sector count register (ATAPI: interrupt reason).
    count: u8,
    /// LBA mid/high (a signature).
    lba: [u8; 3],
    /// Bytes moved (PRDBC).
    bytes: u32,
    /// A PIO data-in command: a PIO setup FIS goes first.
    pio: bool,
    /// The PRDT or a table reached outside guest memory.
    bus_error: bool,
}

impl Done {
    fn ok(bytes: u32) -> Done {
        Done {
            status: ST_DRDY | ST_DSC,
            error: 0,
            count: 0,
            lba: [0; 3],
            bytes,
            pio: false,
            bus_error: false,
        }
    }

    fn abort() -> Done {
        Done {
            status: ST_DRDY | ST_ERR,
            error: ERR_ABRT,
            ..Done::ok(0)
        }
    }

    fn bus_error() -> Done {
        Done {
            bus_error: true,
            ..Done::abort()
        }
    }
}

/// Why a read stopped: the image failed (MEDIUM ERROR sense), or the PRDT reached outside
/// guest memory (a host bus data error).
enum ReadFail {
    Medium(atapi::Sense),
    Bus,
}

pub struct Ahci {
    config: PciConfig,
    bars: BarWindows,
    mem: GuestMemoryMmap,
    irq: Option<IntxPin>,
    ghc: u32,
    is: u32,
    ports: Vec<Port>,
}

impl Ahci {
    /// A controller with a CD-ROM drive on port `i` for each `cdroms[i]` (a medium or empty).
    /// Its ABAR is `bars`' BAR 5 (register it with `bars().register_one`).
    pub fn new(mem: GuestMemoryMmap, cdroms: Vec<Option<Medium>>) -> Result<Ahci, String> {
        Ahci::with_disks(mem, cdroms, Vec::new())
    }

    /// A controller with the CD-ROM drives on ports `0..cdroms.len()` and the SATA disks on
    /// the ports after them, in order.
    pub fn with_disks(
        mem: GuestMemoryMmap,
        cdroms: Vec<Option<Medium>>,
        disks: Vec<AtaDisk>,
    ) -> Result<Ahci, String> {
        if cdroms.len() + disks.len() > NUM_PORTS {
            return Err(format!(
                "{} CD-ROM drives and {} SATA disks, at most {NUM_PORTS} together",
                cdroms.len(),
                disks.len()
            ));
        }
        let mut config = PciConfig::new(PciId {
            vendor: 0x8086,
            device: 0x2922,
            revision: 2,
            class: [0x01, 0x06, 0x01],
            header_type: 0,
            interrupt_pin: 1,
        });
        let mut bars = BarWindows::new();
        bars.declare(
            &mut config,
            ABAR_INDEX,
            Bar::Mem32 {
                size: ABAR_SIZE,
                prefetchable: false,
            },
        )?;
        let mut drives = cdroms
            .into_iter()
            .map(|m| Drive::Cdrom(Atapi::new(m)))
            .chain(disks.into_iter().map(Drive::Disk));
        let ports = (0..NUM_PORTS)
            .map(|_| Port {
                regs: PortRegs::default(),
                drive: drives.next(),
            })
            .collect();
        let mut a = Ahci {
            config,
            bars,
            mem,
            irq: None,
            ghc: GHC_AE,
            is: 0,
            ports,
        };
        a.reset();
        Ok(a)
    }

    pub fn set_irq(&mut self, pin: IntxPin) {
        self.irq = Some(pin);
    }

    pub fn bars(&self) -> &BarWindows {
        &self.bars
    }

    /// The drive of `[[cdroms]]` entry `i` (on port `i`).
    pub fn cdrom(&mut self, i: usize) -> Option<&mut Atapi> {
        match self.ports.get_mut(i)?.drive.as_mut()? {
            Drive::Cdrom(c) => Some(c),
            Drive::Disk(_) => None,
        }
    }

    /// How many CD-ROM drives it has.
    pub fn cdroms(&self) -> usize {
        self.ports
            .iter()
            .filter(|p| matches!(p.drive, Some(Drive::Cdrom(_))))
            .count()
    }

    /// The SATA disk on port `p`.
    pub fn disk(&self, p: usize) -> Option<&AtaDisk> {
        match self.ports.get(p)?.drive.as_ref()? {
            Drive::Disk(d) => Some(d),
            Drive::Cdrom(_) => None,
        }
    }

    fn reset(&mut self) {
        self.ghc = GHC_AE;
        self.is = 0;
        for p in 0..NUM_PORTS {
            let r = &mut self.ports[p].regs;
            r.is = 0;
            r.ie = 0;
            r.sctl = 0;
            r.cmd = CMD_RESET;
            self.reset_port(p);
        }
        self.update_irq();
    }

    /// COMRESET: the link comes back up and the device shows its signature.
    fn reset_port(&mut self, p: usize) {
        let port = &mut self.ports[p];
        let r = &mut port.regs;
        r.serr = 0;
        r.ci = 0;
        if let Some(d) = &port.drive {
            r.ssts = SSTS_PRESENT;
            r.sig = d.signature().0;
            r.tfd = (1 << 8) | u32::from(ST_DRDY | ST_DSC);
        } else {
            r.ssts = 0;
            r.sig = u32::MAX;
            r.tfd = 0x7f;
        }
    }

    /// The INTx line: high while GHC.IE, some port's interrupt pending, and INTx enabled.
    fn update_irq(&mut self) {
        for (i, p) in self.ports.iter().enumerate() {
            if p.regs.is & p.regs.ie != 0 {
                self.is |= 1 << i;
            }
        }
        let disabled = self.config.u16_at(COMMAND) & COMMAND_INTX_DISABLE != 0;
        let high = self.ghc & GHC_IE != 0 && self.is != 0 && !disabled;
        if let Some(pin) = &self.irq {
            pin.set(high);
        }
    }

    /// Whether the INTx line is asserted (for tests).
    pub fn irq_level(&self) -> bool {
        let disabled = self.config.u16_at(COMMAND) & COMMAND_INTX_DISABLE != 0;
        self.ghc & GHC_IE != 0 && self.is != 0 && !disabled
    }

    fn read_reg(&self, off: u64) -> u32 {
        match off {
            CAP => CAP_VALUE,
            GHC => self.ghc,
            IS => self.is,
            PI => (1 << NUM_PORTS) - 1,
            VS => 0x0001_0000,
            o if (PORT_BASE..PORT_BASE + PORT_LEN * NUM_PORTS as u64).contains(&o) => {
                let p = ((o - PORT_BASE) / PORT_LEN) as usize;
                let r = &self.ports[p].regs;
                match (o - PORT_BASE) % PORT_LEN {
                    P_CLB => r.clb as u32,
                    P_CLBU => (r.clb >> 32) as u32,
                    P_FB => r.fb as u32,
                    P_FBU => (r.fb >> 32) as u32,
                    P_IS => r.is,
                    P_IE => r.ie,
                    P_CMD => r.cmd,
                    P_TFD => r.tfd,
                    P_SIG => r.sig,
                    P_SSTS => r.ssts,
                    P_SCTL => r.sctl,
                    P_SERR => r.serr,
                    P_CI => r.ci,
                    _ => 0,
                }
            }
            _ => 0,
        }
    }

    fn write_reg(&mut self, off: u64, v: u32) {
        match off {
            GHC => {
                if v & GHC_HR != 0 {
                    self.reset();
                } else {
                    self.ghc = GHC_AE | (v & GHC_IE);
                }
            }
            IS => self.is &= !v,
            o if (PORT_BASE..PORT_BASE + PORT_LEN * NUM_PORTS as u64).contains(&o) => {
                let p = ((o - PORT_BASE) / PORT_LEN) as usize;
                self.write_port(p, (o - PORT_BASE) % PORT_LEN, v);
            }
            _ => {}
        }
        self.update_irq();
    }

    fn write_port(&mut self, p: usize, reg: u64, v: u32) {
        let r = &mut self.ports[p].regs;
        let v64 = u64::from(v);
        match reg {
            P_CLB => r.clb = (r.clb & !0xffff_ffff) | (v64 & !0x3ff),
            P_CLBU => r.clb = (r.clb & 0xffff_ffff) | (v64 << 32),
            P_FB => r.fb = (r.fb & !0xffff_ffff) | (v64 & !0xff),
            P_FBU => r.fb = (r.fb & 0xffff_ffff) | (v64 << 32),
            P_IS => r.is &= !v,
            P_IE => r.ie = v & IE_MASK,
            P_CMD => {
                let mut cmd = (r.cmd & CMD_RO) | (v & !CMD_RO & !(0xf << 28) & !CMD_CLO);
                cmd = if cmd & CMD_FRE != 0 {
                    cmd | CMD_FR
                } else {
                    cmd & !CMD_FR
                };
                if cmd & CMD_ST != 0 {
                    cmd |= CMD_CR;
                } else {
                    // Stopping the engine drops the issued commands.
                    cmd &= !(CMD_CR | CMD_CCS);
                    r.ci = 0;
                }
                if v & CMD_CLO != 0 {
                    r.tfd &= !u32::from(ST_BSY | ST_DRQ);
                }
                r.cmd = cmd;
                self.run_commands(p);
            }
            P_SCTL => {
                let was = r.sctl & 0xf;
                r.sctl = v & 0xfff;
                if was == 1 && v & 0xf == 0 {
                    self.reset_port(p);
                    self.signature_fis(p);
                }
            }
            P_SERR => r.serr &= !v,
            P_CI if r.cmd & CMD_ST != 0 => {
                r.ci |= v;
                self.run_commands(p);
            }
            _ => {}
        }
    }

    /// Runs the issued commands of port `p`, lowest slot first (at most 32).
    fn run_commands(&mut self, p: usize) {
        while self.ports[p].regs.cmd & CMD_ST != 0 {
            let ci = self.ports[p].regs.ci;
            if ci == 0 {
                break;
            }
            let slot = ci.trailing_zeros();
            self.ports[p].regs.cmd = (self.ports[p].regs.cmd & !CMD_CCS) | (slot << 8);
            self.execute(p, slot);
            self.ports[p].regs.ci &= !(1 << slot);
        }
    }

    fn read_mem(&self, addr: u64, buf: &mut [u8]) -> bool {
        self.mem.read_slice(buf, GuestAddress(addr)).is_ok()
    }

    fn write_mem(&self, addr: u64, buf: &[u8]) -> bool {
        self.mem.write_slice(buf, GuestAddress(addr)).is_ok()
    }

    /// Reads the PRDT of a command table (`prdtl` entries from `ctba + 0x80`).
    fn prdt(&self, ctba: u64, prdtl: u16) -> Option<Prdt> {
        let mut entries = Vec::with_capacity(usize::from(prdtl).min(256));
        for i in 0..u64::from(prdtl) {
            let mut e = [0u8; 16];
            let at = ctba.checked_add(CT_PRDT + i * PRD_LEN)?;
            if !self.read_mem(at, &mut e) {
                return None;
            }
            let dba = u64::from_le_bytes(e[0..8].try_into().ok()?) & !1;
            let dbc = (u32::from_le_bytes(e[12..16].try_into().ok()?) & 0x3f_ffff) + 1;
            entries.push((dba, dbc));
        }
        Some(Prdt { entries })
    }

    /// Copies `data` into the PRDT from byte `at` on; returns false on a memory error. What
    /// does not fit is dropped.
    fn to_prdt(&self, prdt: &Prdt, at: u64, data: &[u8]) -> bool {
        prdt.segments(at, data.len())
            .all(|piece| piece.is_some_and(|(gpa, r)| self.write_mem(gpa, &data[r])))
    }

    /// Runs the command in `slot` of port `p` and reports it.
    fn execute(&mut self, p: usize, slot: u32) {
        let clb = self.ports[p].regs.clb;
        let hdr_at = clb.checked_add(u64::from(slot) * 32);
        let mut hdr = [0u8; 32];
        let done = match hdr_at {
            Some(at) if self.read_mem(at, &mut hdr) => {
                let dw0 = u32::from_le_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]);
                let ctba = u64::from_le_bytes(hdr[8..16].try_into().unwrap_or_default()) & !0x7f;
                let done = self.command(p, ctba, (dw0 >> 16) as u16);
                let prdbc = done.bytes.to_le_bytes();
                if !self.write_mem(at + 4, &prdbc) {
                    Done::bus_error()
                } else {
                    done
                }
            }
            _ => Done::bus_error(),
        };
        self.complete(p, &done);
    }

    /// Reads the command FIS and packet, runs them; the data goes to the PRDT.
    fn command(&mut self, p: usize, ctba: u64, prdtl: u16) -> Done {
        let mut cfis = [0u8; 0x50];
        if !self.read_mem(ctba, &mut cfis) {
            return Done::bus_error();
        }
        if cfis[0] != FIS_H2D {
            return Done::abort();
        }
        let Some(drive) = &self.ports[p].drive else {
            return Done::abort();
        };
        let (_, sig) = drive.signature();
        let is_disk = matches!(drive, Drive::Disk(_));
        if cfis[1] & 0x80 == 0 {
            // A control FIS: software reset. Once SRST drops, the device shows its signature.
            if cfis[15] & 0x04 == 0 {
                return Done {
                    count: 1,
                    lba: sig,
                    ..Done::ok(0)
                };
            }
            return Done::ok(0);
        }
        let Some(prdt) = self.prdt(ctba, prdtl) else {
            return Done::bus_error();
        };
        if is_disk {
            return self.ata_command(p, &cfis, &prdt);
        }
        match cfis[2] {
            // IDENTIFY PACKET DEVICE.
            0xa1 => {
                let id = atapi::identify_packet(&format!("VMDESK-CD{p}"));
                if !self.to_prdt(&prdt, 0, &id) {
                    return Done::bus_error();
                }
                let n = prdt.capacity().min(512) as u32;
                Done {
                    pio: true,
                    ..Done::ok(n)
                }
            }
            // IDENTIFY DEVICE: an ATAPI device aborts it and shows its signature.
            0xec => Done {
                count: 1,
                lba: [1, 0x14, 0xeb],
                ..Done::abort()
            },
            // DEVICE RESET.
            0x08 => Done {
                count: 1,
                lba: [1, 0x14, 0xeb],
                ..Done::ok(0)
            },
            // PACKET.
            0xa0 => {
                let mut cdb = [0u8; 12];
                cdb.copy_from_slice(&cfis[CT_ACMD..CT_ACMD + 12]);
                self.packet(p, &cdb, &prdt)
            }
            // CHECK POWER MODE: active.
            0xe5 => Done {
                count: 0xff,
                ..Done::ok(0)
            },
            // SET FEATURES, power management, FLUSH CACHE, SECURITY FREEZE LOCK, NOP-ish.
            0xef | 0xe0..=0xe3 | 0xe6 | 0xe7 | 0xf5 | 0x91 => Done::ok(0),
            _ => Done::abort(),
        }
    }

    fn packet(&mut self, p: usize, cdb: &[u8; 12], prdt: &Prdt) -> Done {
        let Some(Drive::Cdrom(drive)) = self.ports[p].drive.as_mut() else {
            return Done::abort();
        };
        let outcome = drive.packet(cdb);
        let result = match outcome {
            Outcome::Data(d) => {
                if !self.to_prdt(prdt, 0, &d) {
                    return Done::bus_error();
                }
                Ok(prdt.capacity().min(d.len() as u64) as u32)
            }
            Outcome::Read { lba, blocks } => match self.read_blocks(p, lba, blocks, prdt) {
                Ok(n) => Ok(n),
                Err(ReadFail::Medium(s)) => Err(s),
                Err(ReadFail::Bus) => return Done::bus_error(),
            },
            Outcome::Error(s) => Err(s),
        };
        match result {
            Ok(bytes) => Done {
                count: 3, // command complete, to host
                ..Done::ok(bytes)
            },
            Err(s) => Done {
                status: ST_DRDY | ST_ERR,
                error: s.key << 4,
                count: 3,
                ..Done::ok(0)
            },
        }
    }

    /// Streams `blocks` from `lba` into the PRDT, as far as it reaches.
    fn read_blocks(
        &mut self,
        p: usize,
        lba: u64,
        blocks: u32,
        prdt: &Prdt,
    ) -> Result<u32, ReadFail> {
        let cap_blocks = prdt.capacity().div_ceil(atapi::BLOCK);
        let total = u64::from(blocks).min(cap_blocks);
        let mut buf = vec![0u8; READ_CHUNK_BLOCKS * atapi::BLOCK as usize];
        let mut done = 0u64;
        while done < total {
            let n = (total - done).min(READ_CHUNK_BLOCKS as u64);
            let chunk = &mut buf[..(n * atapi::BLOCK) as usize];
            let Some(Drive::Cdrom(drive)) = self.ports[p].drive.as_mut() else {
                return Err(ReadFail::Bus);
            };
            drive.read(lba + done, chunk).map_err(ReadFail::Medium)?;
            if !self.to_prdt(prdt, done * atapi::BLOCK, chunk) {
                return Err(ReadFail::Bus);
            }
            done += n;
        }
        Ok(prdt.capacity().min(done * atapi::BLOCK) as u32)
    }

    /// Writes the result FISes (if FIS receive is on), the task file, and the interrupt.
    fn complete(&mut self, p: usize, d: &Done) {
        let r = &self.ports[p].regs;
        let (fb, fre) = (r.fb, r.cmd & CMD_FRE != 0);
        let mut fis = [0u8; 20];
        fis[1] = 0x40;
        fis[2] = d.status;
        fis[3] = d.error;
        fis[5] = d.lba[1];
        fis[6] = d.lba[2];
        fis[4] = d.lba[0];
        fis[12] = d.count;
        let mut is = IS_DHRS;
        if fre {
            if d.pio {
                let mut pio = fis;
                pio[0] = FIS_PIO_SETUP;
                pio[1] = 0x60;
                pio[2] = d.status | ST_DRQ;
                pio[15] = d.status;
                pio[16..18].copy_from_slice(&(d.bytes.min(0xffff) as u16).to_le_bytes());
                let _ = self.write_mem(fb + RX_PIO_SETUP, &pio);
                is |= IS_PSS;
            }
            fis[0] = FIS_D2H;
            let _ = fb.checked_add(RX_D2H).map(|a| self.write_mem(a, &fis));
        }
        let r = &mut self.ports[p].regs;
        r.tfd = (u32::from(d.error) << 8) | u32::from(d.status);
        if d.status & ST_ERR != 0 {
            is |= IS_TFES;
        }
        if d.bus_error {
            is |= IS_HBDS;
        }
        r.is |= is;
    }

    /// After a COMRESET: the device's signature FIS in the receive area.
    fn signature_fis(&mut self, p: usize) {
        let r = &self.ports[p].regs;
        let Some(drive) = &self.ports[p].drive else {
            return;
        };
        if r.cmd & CMD_FRE == 0 {
            return;
        }
        let (_, sig) = drive.signature();
        let mut fis = [0u8; 20];
        fis[0] = FIS_D2H;
        fis[2] = ST_DRDY | ST_DSC;
        fis[3] = 1;
        fis[4] = sig[0];
        fis[5] = sig[1];
        fis[6] = sig[2];
        fis[12] = 1;
        if let Some(a) = r.fb.checked_add(RX_D2H) {
            let _ = self.write_mem(a, &fis);
        }
    }
}

impl BusDevice for Ahci {
    fn read(&mut self, offset: u64, data: &mut [u8]) {
        data.fill(0);
        // Registers are dwords; a smaller read takes its bytes of the dword, an 8-byte read
        // two dwords.
        for (i, b) in data.iter_mut().enumerate() {
            let o = offset + i as u64;
            *b = self.read_reg(o & !3).to_le_bytes()[(o & 3) as usize];
        }
    }

    fn write(&mut self, offset: u64, data: &[u8]) {
        if offset & 3 != 0 {
            return;
        }
        match data.len() {
            4 => self.write_reg(
                offset,
                u32::from_le_bytes([data[0], data[1], data[2], data[3]]),
            ),
            8 => {
                for (i, d) in data.chunks_exact(4).enumerate() {
                    self.write_reg(
                        offset + 4 * i as u64,
                        u32::from_le_bytes([d[0], d[1], d[2], d[3]]),
                    );
                }
            }
            // Byte and word writes to these registers have no use; ignored.
            _ => {}
        }
    }
}

impl PciDevice for Ahci {
    fn config(&self) -> &PciConfig {
        &self.config
    }

    fn config_mut(&mut self) -> &mut PciConfig {
        &mut self.config
    }

    fn write_config(&mut self, offset: usize, data: &[u8]) {
        self.config.write(offset, data);
        self.bars.update(&self.config);
        self.update_irq();
    }

    fn restored(&mut self) {
        self.bars.update(&self.config);
        self.update_irq();
    }
}

mod disk_io;
mod persist;
mod prdt;
pub use persist::{AhciPortState, AhciState};

#[cfg(test)]
mod tests;
