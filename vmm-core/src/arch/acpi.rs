//! ACPI tables: RSDP → XSDT → FADT (hardware-reduced) + MADT; FADT → DSDT.
//!
//! Debian's cloud kernel has no MP-table parser, so without a MADT it would see one CPU and no
//! IOAPIC. The DSDT describes the power button (through a Generic Event Device) and `\_S5`, so
//! `poweroff` inside the guest reaches our sleep-control register.

use super::layout::{self, ports};
use acpi_tables::aml;
use acpi_tables::fadt::{FADTBuilder, Flags};
use acpi_tables::gas::{AccessSize, AddressSpace, GAS};
use acpi_tables::rsdp::Rsdp;
use acpi_tables::sdt::Sdt;
use acpi_tables::xsdt::XSDT;
use acpi_tables::Aml;
use vm_memory::{Bytes, GuestAddress, GuestMemoryMmap};

pub(super) const OEM_ID: [u8; 6] = *b"VMDESK";
pub(super) const OEM_TABLE: [u8; 8] = *b"VMDESKVM";

/// GSI of the Generic Event Device that carries the power button.
pub const GED_IRQ: u32 = 5;
/// I/O port of the GED's event register: the guest's `_EVT` reads which events are pending.
pub const GED_PORT: u16 = 0x603;
/// Bit in the GED register for "power button pressed".
pub const GED_POWER_BUTTON: u8 = 1;

/// Builds the tables and writes them at `ACPI_START`. Returns the RSDP's address.
/// A virtio-mmio device as the DSDT describes it.
#[derive(Debug, Clone, Copy)]
pub struct MmioDeviceInfo {
    pub base: u64,
    pub len: u64,
    pub gsi: u32,
}

pub fn write_tables(
    mem: &GuestMemoryMmap,
    vcpus: u8,
    virtio: &[MmioDeviceInfo],
) -> Result<u64, String> {
    let mut next = layout::ACPI_START;
    let mut place = |bytes: &[u8]| -> Result<u64, String> {
        let at = next;
        if at + bytes.len() as u64 > layout::ACPI_END {
            return Err("ACPI tables do not fit below 1 MiB".into());
        }
        mem.write_slice(bytes, GuestAddress(at))
            .map_err(|e| format!("writing ACPI tables: {e}"))?;
        next = (at + bytes.len() as u64 + 15) & !15;
        Ok(at)
    };

    // The RSDP goes first, at a 16-byte boundary in 0xE0000.., where guests without the
    // boot_params pointer scan for it; its XSDT pointer is filled in once we know it.
    let rsdp_at = place(&[0u8; 36])?;
    let dsdt_at = place(dsdt(virtio).as_slice())?;
    let fadt_at = place(&fadt(dsdt_at))?;
    let madt_at = place(madt(vcpus).as_slice())?;
    let mut xsdt = XSDT::new(OEM_ID, OEM_TABLE, 1);
    xsdt.add_entry(fadt_at);
    xsdt.add_entry(madt_at);
    let mut xsdt_bytes = Vec::new();
    xsdt.to_aml_bytes(&mut xsdt_bytes);
    let xsdt_at = place(&xsdt_bytes)?;
    let mut rsdp = Vec::new();
    Rsdp::new(OEM_ID, xsdt_at).to_aml_bytes(&mut rsdp);
    mem.write_slice(&rsdp, GuestAddress(rsdp_at))
        .map_err(|e| format!("writing RSDP: {e}"))?;
    Ok(rsdp_at)
}

fn io_gas(port: u16) -> GAS {
    GAS::new(
        AddressSpace::SystemIo,
        8,
        0,
        AccessSize::ByteAccess,
        u64::from(port),
    )
}

fn fadt(dsdt_at: u64) -> Vec<u8> {
    let mut b = FADTBuilder::new(OEM_ID, OEM_TABLE, 1)
        .dsdt_64(dsdt_at)
        .flag(Flags::HwReducedAcpi)
        .flag(Flags::ResetRegSup)
        .flag(Flags::PwrButton); // set = the power button is NOT a fixed feature (it is in the DSDT)
    b.reset_reg = io_gas(ports::ACPI_RESET);
    b.reset_value = ports::ACPI_RESET_VALUE;
    b.sleep_control_reg = io_gas(ports::ACPI_SLEEP_CONTROL);
    b.sleep_status_reg = io_gas(ports::ACPI_SLEEP_STATUS);
    b.hypervisor_vendor_identity = u64::from_le_bytes(*b"VMDESK\0\0").into();
    // IAPC_BOOT_ARCH bit 5: no CMOS RTC. Without it Linux's rtc_cmos probes ports 0x70/0x71,
    // reads 0xff ("update in progress" forever) and loses ~3 s to timeouts.
    b.iapc_boot_arch = (1u16 << 5).into();
    let mut out = Vec::new();
    b.finalize().to_aml_bytes(&mut out);
    out
}

pub(super) fn madt(vcpus: u8) -> Sdt {
    let mut madt = Sdt::new(*b"APIC", 44, 5, OEM_ID, OEM_TABLE, 1);
    madt.write_u32(36, layout::LAPIC_ADDR as u32);
    madt.write_u32(40, 1); // PCAT_COMPAT: there is a (KVM in-kernel) 8259 pair too
    for i in 0..vcpus {
        // Processor Local APIC: type 0, length 8, UID, APIC ID, flags = enabled.
        madt.append_slice(&[0, 8, i, i, 1, 0, 0, 0]);
    }
    // I/O APIC: type 1, length 12, id, reserved, address, GSI base 0.
    let mut ioapic = vec![1, 12, vcpus, 0];
    ioapic.extend_from_slice(&(layout::IOAPIC_ADDR as u32).to_le_bytes());
    ioapic.extend_from_slice(&0u32.to_le_bytes());
    madt.append_slice(&ioapic);
    // Interrupt source override: ISA IRQ 0 (the PIT) arrives on IOAPIC pin 2, as on every PC.
    madt.append_slice(&[2, 10, 0, 0, 2, 0, 0, 0, 0, 0]);
    madt
}

fn dsdt(virtio: &[MmioDeviceInfo]) -> Sdt {
    let mut dsdt = Sdt::new(*b"DSDT", 36, 6, OEM_ID, OEM_TABLE, 1);
    let mut body = Vec::new();
    // \_S5: sleep type 5 → the guest writes (5 << 2) | SLP_EN to the sleep-control register.
    aml::Name::new("_S5_".into(), &aml::Package::new(vec![&5u8, &0u8])).to_aml_bytes(&mut body);

    let zero = aml::ZERO;
    let pwrb_hid_v = aml::EISAName::new("PNP0C0C");
    let pwrb_hid = aml::Name::new("_HID".into(), &pwrb_hid_v);
    let uid = aml::Name::new("_UID".into(), &zero);
    aml::Device::new("_SB_.PWRB".into(), vec![&pwrb_hid, &uid]).to_aml_bytes(&mut body);

    // The Generic Event Device: on its interrupt the guest runs _EVT, which reads our event
    // register and notifies the power button.
    let irq = aml::Interrupt::new(true, true, false, false, GED_IRQ);
    let crs_v = aml::ResourceTemplate::new(vec![&irq]);
    let crs = aml::Name::new("_CRS".into(), &crs_v);
    let ged_hid = aml::Name::new("_HID".into(), &"ACPI0013");
    let port = GED_PORT as usize;
    let one = 1usize;
    let region = aml::OpRegion::new("GDST".into(), aml::OpRegionSpace::SystemIO, &port, &one);
    let field = aml::Field::new(
        "GDST".into(),
        aml::FieldAccessType::Byte,
        aml::FieldLockRule::NoLock,
        aml::FieldUpdateRule::WriteAsZeroes,
        vec![aml::FieldEntry::Named(*b"GDAT", 8)],
    );
    let gdat = aml::Path::new("GDAT");
    let read = aml::Store::new(&aml::Local(0), &gdat);
    let masked = aml::And::new(&aml::Local(1), &aml::Local(0), &GED_POWER_BUTTON);
    let pwrb = aml::Path::new("\\_SB_.PWRB");
    let notify = aml::Notify::new(&pwrb, &0x80u8);
    let on_button = aml::If::new(&aml::Local(1), vec![&notify]);
    let evt = aml::Method::new("_EVT".into(), 1, true, vec![&read, &masked, &on_button]);
    aml::Device::new(
        "_SB_.GED_".into(),
        vec![&ged_hid, &uid, &crs, &region, &field, &evt],
    )
    .to_aml_bytes(&mut body);

    com1(&mut body);
    virtio_mmio(&mut body, virtio);
    dsdt.append_slice(&body);
    dsdt
}

/// COM1 in a DSDT. A hardware-reduced FADT means Linux creates no legacy ISA IRQs: only
/// interrupts described here get mapped, and without this the 8250 cannot request IRQ 4, so
/// every user-space write to the console fails with EIO (found in the nested lab).
pub(super) fn com1(body: &mut Vec<u8>) {
    let com_hid_v = aml::EISAName::new("PNP0501");
    let com_hid = aml::Name::new("_HID".into(), &com_hid_v);
    let com_uid_v = 1u32;
    let com_uid = aml::Name::new("_UID".into(), &com_uid_v);
    let com_io = aml::IO::new(layout::ports::COM1, layout::ports::COM1, 1, 8);
    let com_irq = aml::Interrupt::new(true, true, false, false, layout::ports::COM1_IRQ);
    let com_crs_v = aml::ResourceTemplate::new(vec![&com_io, &com_irq]);
    let com_crs = aml::Name::new("_CRS".into(), &com_crs_v);
    aml::Device::new("_SB_.COM1".into(), vec![&com_hid, &com_uid, &com_crs]).to_aml_bytes(body);
}

/// The virtio-mmio devices in a DSDT, as QEMU's microvm describes them: Linux's virtio_mmio
/// driver binds to LNRO0005 (the cloud kernel ignores virtio_mmio.device= on the command
/// line), and SeaBIOS finds disks by scanning for it.
pub(super) fn virtio_mmio(body: &mut Vec<u8>, virtio: &[MmioDeviceInfo]) {
    for (i, d) in virtio.iter().enumerate() {
        let hid = aml::Name::new("_HID".into(), &"LNRO0005");
        let uid_v = i as u32;
        let uid = aml::Name::new("_UID".into(), &uid_v);
        let mem32 = aml::Memory32Fixed::new(true, d.base as u32, d.len as u32);
        let irq = aml::Interrupt::new(true, true, false, false, d.gsi);
        let crs_v = aml::ResourceTemplate::new(vec![&mem32, &irq]);
        let crs = aml::Name::new("_CRS".into(), &crs_v);
        let path = format!("_SB_.V{i:03X}");
        aml::Device::new(path.as_str().into(), vec![&hid, &uid, &crs]).to_aml_bytes(body);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(b: &[u8]) -> u8 {
        b.iter().fold(0u8, |a, x| a.wrapping_add(*x))
    }

    #[test]
    fn tables_have_valid_checksums_and_cpu_count() {
        let mem = GuestMemoryMmap::<()>::from_ranges(&[(GuestAddress(0), 2 << 20)]).unwrap();
        let rsdp = write_tables(&mem, 3, &[]).unwrap();
        let mut r = [0u8; 36];
        mem.read_slice(&mut r, GuestAddress(rsdp)).unwrap();
        assert_eq!(&r[..8], b"RSD PTR ");
        assert_eq!(sum(&r[..20]), 0);
        assert_eq!(sum(&r), 0);
        let xsdt = u64::from_le_bytes(r[24..32].try_into().unwrap());
        let read_table = |at: u64| {
            let mut h = [0u8; 8];
            mem.read_slice(&mut h, GuestAddress(at)).unwrap();
            let len = u32::from_le_bytes(h[4..8].try_into().unwrap()) as usize;
            let mut t = vec![0u8; len];
            mem.read_slice(&mut t, GuestAddress(at)).unwrap();
            assert_eq!(
                sum(&t),
                0,
                "checksum of {}",
                String::from_utf8_lossy(&t[..4])
            );
            t
        };
        let x = read_table(xsdt);
        let mut cpus = 0;
        let mut dsdt_seen = false;
        for e in x[36..].chunks(8) {
            let t = read_table(u64::from_le_bytes(e.try_into().unwrap()));
            match &t[..4] {
                b"APIC" => {
                    let mut i = 44;
                    while i < t.len() {
                        if t[i] == 0 && t[i + 4] & 1 == 1 {
                            cpus += 1;
                        }
                        i += t[i + 1] as usize;
                    }
                }
                b"FACP" => {
                    let d = u64::from_le_bytes(t[140..148].try_into().unwrap());
                    let dsdt = read_table(d);
                    assert_eq!(&dsdt[..4], b"DSDT");
                    dsdt_seen = true;
                }
                _ => {}
            }
        }
        assert_eq!(cpus, 3);
        assert!(dsdt_seen);
    }
}
