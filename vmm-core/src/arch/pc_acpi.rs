//! ACPI tables of the BIOS machine (`kind = "bios"`), handed to the firmware through fw_cfg as
//! QEMU does: the blobs `etc/acpi/tables` (FACS, DSDT, FADT, MADT, XSDT) and `etc/acpi/rsdp`,
//! linked by `etc/table-loader` commands ([`super::table_loader`]). Pointers inside the blobs
//! are offsets into `etc/acpi/tables` until the firmware adds where it put that file; every
//! checksum is left zero and computed by the firmware after the pointers are patched.
//!
//! Unlike the Linux machine's tables ([`super::acpi`]) this is a PIIX4 PC, not hardware-reduced:
//! the PM1a event/control blocks and the PM timer sit at the PM base SeaBIOS programs when it
//! sees a table loader (0x600, `src/fw/paravirt.c`), the SCI on IRQ 9. SeaBIOS itself reads
//! the DSDT; this machine's virtio devices are PCI functions (virtio-pci), which firmware and
//! guests find by scanning the bus, so the DSDT lists no virtio-mmio (`LNRO0005`) devices.

use super::acpi::{self, OEM_ID, OEM_TABLE};
use super::layout::{self, pirq_of, PIRQ_GSI_BASE};
use super::table_loader::{TableLoader, Zone};
use acpi_tables::aml;
use acpi_tables::fadt::{FADTBuilder, Flags};
use acpi_tables::gas::{AccessSize, AddressSpace, GAS};
use acpi_tables::rsdp::Rsdp;
use acpi_tables::sdt::Sdt;
use acpi_tables::Aml;

/// fw_cfg file names (QEMU's).
pub const TABLES_FILE: &str = "etc/acpi/tables";
pub const RSDP_FILE: &str = "etc/acpi/rsdp";
pub const LOADER_FILE: &str = "etc/table-loader";

/// The PIIX4 PM I/O block where SeaBIOS puts it once a table loader exists.
pub const PM_BASE: u16 = 0x600;
/// PM1a event (status + enable, 4 bytes), PM1a control (2 bytes), PM timer (4 bytes).
const PM1A_EVT: u16 = PM_BASE;
const PM1A_CNT: u16 = PM_BASE + 4;
const PM_TMR: u16 = PM_BASE + 8;
/// The sleep type `\_S5` names: the PM block powers off when the guest sleeps with it (the
/// Linux machine's tables use 5 as well).
pub const S5_SLEEP_TYPE: u8 = 5;
/// The PIIX4's SCI, as on QEMU's pc machine (ISA IRQ 9, level-triggered, active high).
pub const SCI_IRQ: u8 = 9;
/// PIIX reset control: writing 6 is a hard reset (see `devices::pci`).
const RESET_PORT: u16 = 0xcf9;
const RESET_VALUE: u8 = 0x6;

/// FADT offsets (ACPI 6.x, table 5.9): FIRMWARE_CTRL, DSDT, X_DSDT.
const FADT_FIRMWARE_CTRL: usize = 36;
const FADT_DSDT: usize = 40;
const FADT_X_DSDT: usize = 140;
/// Header checksum offset of every SDT.
const SDT_CHECKSUM: usize = 9;

/// The three fw_cfg files.
pub struct PcTables {
    pub tables: Vec<u8>,
    pub rsdp: Vec<u8>,
    pub loader: Vec<u8>,
}

fn io_gas(port: u16, bits: u8) -> GAS {
    let size = match bits {
        8 => AccessSize::ByteAccess,
        16 => AccessSize::WordAccess,
        _ => AccessSize::DwordAccess,
    };
    GAS::new(AddressSpace::SystemIo, bits, 0, size, u64::from(port))
}

/// FACS: 64 bytes, 64-byte aligned, no checksum; the firmware waking vector stays 0 (no S3).
fn facs() -> Vec<u8> {
    let mut f = vec![0u8; 64];
    f[0..4].copy_from_slice(b"FACS");
    f[4..8].copy_from_slice(&64u32.to_le_bytes());
    f[32] = 2; // version
    f
}

/// The FADT with its FACS/DSDT pointers as offsets into the tables blob.
fn fadt(facs_at: u32, dsdt_at: u32) -> Vec<u8> {
    let mut b = FADTBuilder::new(OEM_ID, OEM_TABLE, 1)
        .flag(Flags::Wbinvd)
        .flag(Flags::ProcC1)
        .flag(Flags::SlpButton) // no sleep button
        .flag(Flags::ResetRegSup);
    b.sci_int = u16::from(SCI_IRQ).into();
    b.pm1a_evt_blk = u32::from(PM1A_EVT).into();
    b.pm1a_cnt_blk = u32::from(PM1A_CNT).into();
    b.pm_tmr_blk = u32::from(PM_TMR).into();
    b.pm1_evt_len = 4;
    b.pm1_cnt_len = 2;
    b.pm_tmr_len = 4;
    b.x_pm1a_evt_blk = io_gas(PM1A_EVT, 32);
    b.x_pm1a_cnt_blk = io_gas(PM1A_CNT, 16);
    b.x_pm_tmr_blk = io_gas(PM_TMR, 32);
    b.reset_reg = io_gas(RESET_PORT, 8);
    b.reset_value = RESET_VALUE;
    // IAPC_BOOT_ARCH: legacy ISA devices and an 8042 (a PC, unlike the Linux machine).
    b.iapc_boot_arch = 0x3u16.into();
    b.hypervisor_vendor_identity = u64::from_le_bytes(*b"VMDESK\0\0").into();
    let mut out = Vec::new();
    b.finalize().to_aml_bytes(&mut out);
    // The pointers are offsets for the loader to relocate. SeaBIOS reads the 32-bit DSDT;
    // ACPI 2+ guests read X_DSDT. The FACS only through the 32-bit field (ACPI: one of them).
    out[FADT_FIRMWARE_CTRL..FADT_FIRMWARE_CTRL + 4].copy_from_slice(&facs_at.to_le_bytes());
    out[FADT_DSDT..FADT_DSDT + 4].copy_from_slice(&dsdt_at.to_le_bytes());
    out[FADT_X_DSDT..FADT_X_DSDT + 8].copy_from_slice(&u64::from(dsdt_at).to_le_bytes());
    out
}

/// The MADT of the Linux machine plus the PC's level-triggered ISA IRQs: the SCI (9) and the
/// PCI interrupt lines SeaBIOS routes the PIIX's PIRQs to (5, 10, 11), as QEMU's pc does.
fn madt(vcpus: u8) -> Sdt {
    let mut madt = acpi::madt(vcpus);
    for irq in [5u8, 9, 10, 11] {
        // Interrupt source override: bus 0 (ISA), source = GSI = irq, flags 0xd = active
        // high, level-triggered.
        madt.append_slice(&[2, 10, 0, irq, irq, 0, 0, 0, 0xd, 0]);
    }
    madt
}

/// COM1, the PS/2 keyboard and mouse, and the PCI root: what a PC guest cannot probe. With a
/// DSDT, SeaBIOS skips PS/2 unless it lists a PNP0303 keyboard; Linux's i8042 driver finds
/// both ports through PNP0303 and PNP0F13.
fn dsdt() -> Sdt {
    let mut dsdt = Sdt::new(*b"DSDT", 36, 2, OEM_ID, OEM_TABLE, 1);
    let mut body = Vec::new();
    // \_S5: the guest powers off by writing this sleep type with SLP_EN to PM1a_CNT, which the
    // PM block (`devices::pci::pm_timer`) turns into a power-off.
    aml::Name::new(
        "_S5_".into(),
        &aml::Package::new(vec![&S5_SLEEP_TYPE, &0u8]),
    )
    .to_aml_bytes(&mut body);
    acpi::com1(&mut body);
    ps2(&mut body);
    pci_root(&mut body);
    dsdt.append_slice(&body);
    dsdt
}

/// `\_SB.KBD_` (PNP0303: ports 0x60 and 0x64, IRQ 1) and `\_SB.MOU_` (PNP0F13: IRQ 12), the
/// two ports of the i8042 (`devices::i8042`).
fn ps2(body: &mut Vec<u8>) {
    let kbd_hid_v = aml::EISAName::new("PNP0303");
    let kbd_hid = aml::Name::new("_HID".into(), &kbd_hid_v);
    let data = aml::IO::new(0x60, 0x60, 1, 1);
    let cmd = aml::IO::new(0x64, 0x64, 1, 1);
    let kbd_irq = aml::Interrupt::new(true, true, false, false, 1);
    let kbd_crs_v = aml::ResourceTemplate::new(vec![&data, &cmd, &kbd_irq]);
    let kbd_crs = aml::Name::new("_CRS".into(), &kbd_crs_v);
    aml::Device::new("_SB_.KBD_".into(), vec![&kbd_hid, &kbd_crs]).to_aml_bytes(body);
    let mou_hid_v = aml::EISAName::new("PNP0F13");
    let mou_hid = aml::Name::new("_HID".into(), &mou_hid_v);
    let mou_irq = aml::Interrupt::new(true, true, false, false, 12);
    let mou_crs_v = aml::ResourceTemplate::new(vec![&mou_irq]);
    let mou_crs = aml::Name::new("_CRS".into(), &mou_crs_v);
    aml::Device::new("_SB_.MOU_".into(), vec![&mou_hid, &mou_crs]).to_aml_bytes(body);
}

/// Where the PC's 32-bit PCI BARs may go, as the DSDT tells the guest: above the RAM below
/// 4 GiB (which ends at `MMIO_HOLE_START` at most) up to the IOAPIC. Both firmwares place
/// their BARs inside it (SeaBIOS packs down from the IOAPIC, OVMF's window ends at 0xfc000000).
pub const PCI_MMIO_START: u64 = layout::MMIO_HOLE_START;
pub const PCI_MMIO_END: u64 = layout::IOAPIC_ADDR;

/// The PCI root bridge `\_SB.PCI0`: bus 0, the configuration ports, the I/O and memory windows
/// BARs live in, and `_PRT`, the routing of every slot's INTA–D to IOAPIC inputs 16–19 (the
/// PIIX swizzle; `devices::pci::intx` drives both those inputs and the PIIX3's PIRQ routes).
fn pci_root(body: &mut Vec<u8>) {
    let hid_v = aml::EISAName::new("PNP0A03");
    let hid = aml::Name::new("_HID".into(), &hid_v);
    let adr = aml::Name::new("_ADR".into(), &aml::ZERO);
    let uid = aml::Name::new("_UID".into(), &aml::ZERO);
    let bbn = aml::Name::new("_BBN".into(), &aml::ZERO);
    let bus = aml::AddressSpace::<u16>::new_bus_number(0, 0xff);
    let cfg_io = aml::IO::new(0xcf8, 0xcf8, 1, 8);
    let io_low = aml::AddressSpace::<u16>::new_io(0, 0xcf7, None);
    let io_high = aml::AddressSpace::<u16>::new_io(0xd00, 0xffff, None);
    let vga = aml::AddressSpace::<u32>::new_memory(
        aml::AddressSpaceCacheable::Cacheable,
        true,
        0xa_0000,
        0xb_ffff,
        None,
    );
    let mmio = aml::AddressSpace::<u32>::new_memory(
        aml::AddressSpaceCacheable::NotCacheable,
        true,
        PCI_MMIO_START as u32,
        (PCI_MMIO_END - 1) as u32,
        None,
    );
    let crs_v = aml::ResourceTemplate::new(vec![&bus, &cfg_io, &io_low, &io_high, &vga, &mmio]);
    let crs = aml::Name::new("_CRS".into(), &crs_v);

    // One entry per slot and pin: (slot << 16 | 0xffff, pin 0–3, 0 = a GSI not a link, GSI).
    let entries: Vec<(u32, u8, u32)> = (1u8..32)
        .flat_map(|slot| {
            (0u8..4).map(move |pin| {
                let gsi = PIRQ_GSI_BASE + pirq_of(slot, pin + 1) as u32;
                ((u32::from(slot) << 16) | 0xffff, pin, gsi)
            })
        })
        .collect();
    let zero = 0u8;
    let packages: Vec<aml::Package> = entries
        .iter()
        .map(|(adr, pin, gsi)| aml::Package::new(vec![adr, pin, &zero, gsi]))
        .collect();
    let prt_v = aml::Package::new(packages.iter().map(|p| p as &dyn Aml).collect());
    let prt = aml::Name::new("_PRT".into(), &prt_v);
    aml::Device::new("_SB_.PCI0".into(), vec![&hid, &adr, &uid, &bbn, &crs, &prt])
        .to_aml_bytes(body);
}

fn sdt_bytes(t: &Sdt) -> Vec<u8> {
    let mut out = Vec::new();
    t.to_aml_bytes(&mut out);
    out
}

/// Appends `table` to `blob` at an `align`-byte boundary with a zeroed checksum; returns its
/// offset.
fn append(blob: &mut Vec<u8>, mut table: Vec<u8>, align: usize, sdt: bool) -> Result<u32, String> {
    blob.resize(blob.len().next_multiple_of(align), 0);
    let at = u32::try_from(blob.len()).map_err(|_| "ACPI tables too large".to_string())?;
    if sdt {
        table[SDT_CHECKSUM] = 0;
    }
    blob.extend_from_slice(&table);
    Ok(at)
}

/// Builds the BIOS machine's tables and the loader commands that link them.
pub fn pc_tables(vcpus: u8) -> Result<PcTables, String> {
    let mut blob = Vec::new();
    let mut l = TableLoader::default();
    // The FACS wants 64-byte alignment: first in a 64-byte-aligned allocation.
    l.allocate(TABLES_FILE, 64, Zone::High)?;
    let facs_at = append(&mut blob, facs(), 64, false)?;
    let dsdt_at = append(&mut blob, sdt_bytes(&dsdt()), 8, true)?;
    let fadt_bytes = fadt(facs_at, dsdt_at);
    let fadt_len = fadt_bytes.len() as u32;
    let fadt_at = append(&mut blob, fadt_bytes, 8, true)?;
    let madt_at = append(&mut blob, sdt_bytes(&madt(vcpus)), 8, true)?;
    // XSDT: header + one 64-bit entry per table (offsets, relocated below).
    let mut xsdt = Sdt::new(*b"XSDT", 36, 1, OEM_ID, OEM_TABLE, 1);
    for t in [fadt_at, madt_at] {
        xsdt.append_slice(&u64::from(t).to_le_bytes());
    }
    let xsdt_at = append(&mut blob, sdt_bytes(&xsdt), 8, true)?;

    let sdt_len = |at: u32| -> u32 {
        let a = at as usize;
        u32::from_le_bytes(blob[a + 4..a + 8].try_into().unwrap_or_default())
    };
    l.add_checksum(TABLES_FILE, dsdt_at + 9, dsdt_at, sdt_len(dsdt_at))?;
    for off in [FADT_FIRMWARE_CTRL, FADT_DSDT] {
        l.add_pointer(TABLES_FILE, TABLES_FILE, fadt_at + off as u32, 4)?;
    }
    l.add_pointer(TABLES_FILE, TABLES_FILE, fadt_at + FADT_X_DSDT as u32, 8)?;
    l.add_checksum(TABLES_FILE, fadt_at + 9, fadt_at, fadt_len)?;
    l.add_checksum(TABLES_FILE, madt_at + 9, madt_at, sdt_len(madt_at))?;
    for i in 0..2u32 {
        l.add_pointer(TABLES_FILE, TABLES_FILE, xsdt_at + 36 + 8 * i, 8)?;
    }
    l.add_checksum(TABLES_FILE, xsdt_at + 9, xsdt_at, sdt_len(xsdt_at))?;

    // The RSDP (revision 2) in the F segment, where SeaBIOS and guests look for it.
    let mut rsdp = Vec::new();
    Rsdp::new(OEM_ID, u64::from(xsdt_at)).to_aml_bytes(&mut rsdp);
    rsdp[8] = 0;
    rsdp[32] = 0;
    l.allocate(RSDP_FILE, 16, Zone::FSeg)?;
    l.add_pointer(RSDP_FILE, TABLES_FILE, 24, 8)?;
    l.add_checksum(RSDP_FILE, 8, 0, 20)?;
    l.add_checksum(RSDP_FILE, 32, 0, rsdp.len() as u32)?;
    Ok(PcTables {
        tables: blob,
        rsdp,
        loader: l.bytes(),
    })
}

#[cfg(test)]
mod tests {
    use super::super::table_loader::execute;
    use super::*;
    use std::collections::BTreeMap;

    const TABLES_AT: u64 = 0x7ffe_0000;
    const RSDP_AT: u64 = 0xf_5a00;

    fn sum(b: &[u8]) -> u8 {
        b.iter().fold(0u8, |a, x| a.wrapping_add(*x))
    }

    /// Runs the loader as SeaBIOS would, then walks the tables from the RSDP by address.
    fn loaded(vcpus: u8) -> (Vec<u8>, Vec<u8>) {
        let t = pc_tables(vcpus).unwrap();
        let mut files = BTreeMap::new();
        files.insert(TABLES_FILE.to_string(), (TABLES_AT, t.tables));
        files.insert(RSDP_FILE.to_string(), (RSDP_AT, t.rsdp));
        execute(&t.loader, &mut files).unwrap();
        (files[RSDP_FILE].1.clone(), files[TABLES_FILE].1.clone())
    }

    fn table(blob: &[u8], addr: u64) -> &[u8] {
        let at = (addr - TABLES_AT) as usize;
        let len = u32::from_le_bytes(blob[at + 4..at + 8].try_into().unwrap()) as usize;
        let t = &blob[at..at + len];
        if &t[..4] != b"FACS" {
            assert_eq!(
                sum(t),
                0,
                "checksum of {}",
                String::from_utf8_lossy(&t[..4])
            );
        }
        t
    }

    #[test]
    fn loaded_tables_link_up_with_valid_checksums() {
        let (rsdp, blob) = loaded(2);
        assert_eq!(&rsdp[..8], b"RSD PTR ");
        assert_eq!(sum(&rsdp[..20]), 0);
        assert_eq!(sum(&rsdp), 0);
        let xsdt = table(&blob, u64::from_le_bytes(rsdp[24..32].try_into().unwrap()));
        assert_eq!(&xsdt[..4], b"XSDT");
        let entries: Vec<u64> = xsdt[36..]
            .chunks(8)
            .map(|e| u64::from_le_bytes(e.try_into().unwrap()))
            .collect();
        let fadt = table(&blob, entries[0]);
        let madt = table(&blob, entries[1]);
        assert_eq!(&fadt[..4], b"FACP");
        assert_eq!(&madt[..4], b"APIC");
        // Not hardware-reduced; the PIIX4 PM block at 0x600, SCI 9.
        let flags = u32::from_le_bytes(fadt[112..116].try_into().unwrap());
        assert_eq!(flags & (1 << 20), 0);
        assert_eq!(u16::from_le_bytes(fadt[46..48].try_into().unwrap()), 9);
        let u32_at = |o: usize| u32::from_le_bytes(fadt[o..o + 4].try_into().unwrap());
        assert_eq!((u32_at(56), u32_at(64), u32_at(76)), (0x600, 0x604, 0x608));
        let dsdt_addr = u64::from(u32_at(FADT_DSDT));
        assert_eq!(
            u64::from_le_bytes(fadt[140..148].try_into().unwrap()),
            dsdt_addr
        );
        let facs = table(&blob, u64::from(u32_at(FADT_FIRMWARE_CTRL)));
        assert_eq!(&facs[..4], b"FACS");
        assert_eq!(u32_at(FADT_FIRMWARE_CTRL) % 64, 0);
        let dsdt = table(&blob, dsdt_addr);
        assert_eq!(&dsdt[..4], b"DSDT");
        let has = |hay: &[u8], n: &[u8]| hay.windows(n.len()).any(|w| w == n);
        // Virtio devices are PCI functions here, not ACPI-listed virtio-mmio windows.
        assert!(!has(dsdt, b"LNRO0005"));
        // \_S5 with our sleep type (a Package of two ByteConsts: 0x0a 5, then Zero).
        assert!(has(dsdt, b"_S5_"));
        assert!(has(dsdt, &[0x0a, 5, 0x00]));
        // The PCI root with its routing: slot 2 (the VGA's) INTA is PIRQB → GSI 17, as
        // `devices::pci::intx` drives it: Package(4) { DWord 0x2ffff, Zero, Zero, Byte 17 }.
        assert!(has(dsdt, b"PCI0"));
        assert!(has(dsdt, b"_PRT"));
        assert!(has(
            dsdt,
            &[0x12, 0x0b, 0x04, 0x0c, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x0a, 17]
        ));
        // Two CPUs and the SCI override (ISA 9 → GSI 9, level, active high).
        let mut cpus = 0;
        let mut sci = false;
        let mut i = 44;
        while i < madt.len() {
            match madt[i] {
                0 if madt[i + 4] & 1 == 1 => cpus += 1,
                2 if madt[i + 3] == 9 => sci = madt[i + 8] == 0xd,
                _ => {}
            }
            i += madt[i + 1] as usize;
        }
        assert_eq!(cpus, 2);
        assert!(sci);
    }

    #[test]
    fn the_dsdt_lists_the_ps2_keyboard_and_mouse() {
        let d = sdt_bytes(&dsdt());
        let has = |needle: &[u8]| d.windows(needle.len()).any(|w| w == needle);
        // EISAID("PNP0303") and ("PNP0F13") as AML DWords, which SeaBIOS and Linux look for.
        assert!(has(&[0x0c, 0x41, 0xd0, 0x03, 0x03]), "PNP0303");
        assert!(has(&[0x0c, 0x41, 0xd0, 0x0f, 0x13]), "PNP0F13");
        assert!(has(b"KBD_") && has(b"MOU_"));
        // The keyboard's I/O ports: IO descriptors (0x47) at 0x60 and 0x64.
        assert!(has(&[0x47, 0x01, 0x60, 0x00, 0x60, 0x00, 0x01, 0x01]));
        assert!(has(&[0x47, 0x01, 0x64, 0x00, 0x64, 0x00, 0x01, 0x01]));
    }

    #[test]
    fn the_loader_names_only_our_two_files_each_allocated_once() {
        let t = pc_tables(1).unwrap();
        assert_eq!(t.loader.len() % 128, 0);
        let name = |f: &[u8]| {
            let end = f.iter().position(|&b| b == 0).unwrap();
            String::from_utf8(f[..end].to_vec()).unwrap()
        };
        let mut allocated = Vec::new();
        for e in t.loader.chunks(128) {
            let names = match e[0] {
                1 => {
                    allocated.push(name(&e[4..60]));
                    vec![name(&e[4..60])]
                }
                2 => vec![name(&e[4..60]), name(&e[60..116])],
                _ => vec![name(&e[4..60])],
            };
            for n in names {
                assert!(n == TABLES_FILE || n == RSDP_FILE, "{n}");
            }
        }
        assert_eq!(allocated, [TABLES_FILE, RSDP_FILE]);
        // The RSDP is the 36-byte revision-2 one; the FACS opens the 64-byte-aligned blob.
        assert_eq!((t.rsdp.len(), t.rsdp[15]), (36, 2));
        assert_eq!(&t.tables[..4], b"FACS");
    }
}
