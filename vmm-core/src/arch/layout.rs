//! The guest-physical memory map. One place, so boot code, ACPI and e820 agree.

/// GDT for the 64-bit entry (Linux boot protocol: flat code/data segments).
pub const BOOT_GDT: u64 = 0x500;
/// An empty IDT: the guest installs its own before enabling interrupts.
pub const BOOT_IDT: u64 = 0x520;
/// PVH boot: `hvm_start_info`, its module list (the initrd) and its memory map.
pub const PVH_START_INFO: u64 = 0x6000;
pub const PVH_MODLIST: u64 = 0x6040;
pub const PVH_MEMMAP: u64 = 0x6080;
/// `struct boot_params` (the "zero page").
pub const ZERO_PAGE: u64 = 0x7000;
/// Initial stack; grows down below the page tables.
pub const BOOT_STACK: u64 = 0x8ff0;
/// Identity-mapping page tables for the first 4 GiB: PML4, PDPT, then four PDs of 2 MiB pages.
pub const PML4: u64 = 0x9000;
pub const PDPT: u64 = 0xa000;
pub const PD: u64 = 0xb000;
/// Kernel command line.
pub const CMDLINE: u64 = 0x20000;
pub const CMDLINE_MAX: usize = 0x1000;
/// End of usable low memory; above it the EBDA and the legacy VGA/BIOS area.
pub const EBDA_START: u64 = 0x9fc00;
/// ACPI tables live in the old BIOS area, where guests also scan for the RSDP.
pub const ACPI_START: u64 = 0xe0000;
pub const ACPI_END: u64 = 0x100000;
/// End of the legacy BIOS area, where a firmware's top 128 KiB is copied (see
/// [`super::firmware`]).
pub const BIOS_AREA_END: u64 = 0x100000;
/// Largest firmware ROM: mapped from `4 GiB - size`, it must stay above the KVM pages of a
/// firmware machine ([`FIRMWARE_KVM_TSS`]) and the IOAPIC/LAPIC.
pub const FIRMWARE_MAX_SIZE: u64 = 16 << 20;
/// Where a firmware machine puts KVM's real-mode TSS (three pages) and identity map: under a
/// 16 MiB ROM and above the PCI window SeaBIOS allocates BARs in (it ends at the IOAPIC), the
/// addresses QEMU uses. The Linux machine keeps [`KVM_TSS`], which sits where a ROM goes.
pub const FIRMWARE_KVM_TSS: u64 = 0xfeff_d000;
pub const FIRMWARE_KVM_IDENTITY_MAP: u64 = 0xfeff_c000;
// KVM's pages sit under the largest ROM, above the LAPIC page (SeaBIOS puts 32-bit BARs below
// the IOAPIC, so they are out of its PCI window too).
const _: () = assert!(FIRMWARE_KVM_TSS + 3 * 4096 <= (1 << 32) - FIRMWARE_MAX_SIZE);
const _: () = assert!(FIRMWARE_KVM_IDENTITY_MAP + 4096 <= FIRMWARE_KVM_TSS);
const _: () = assert!(FIRMWARE_KVM_IDENTITY_MAP >= LAPIC_ADDR + 4096);
/// Where the kernel's protected-mode part goes (bzImage `code32_start` default).
pub const HIMEM_START: u64 = 0x100000;
/// The 32-bit MMIO hole: no RAM between 3 GiB and 4 GiB.
pub const MMIO_HOLE_START: u64 = 0xc000_0000;
pub const MMIO_HOLE_END: u64 = 0x1_0000_0000;
/// KVM needs three pages for the real-mode TSS and one for the identity map, inside the hole.
pub const KVM_TSS: u64 = 0xfffb_d000;
pub const KVM_IDENTITY_MAP: u64 = 0xfffb_c000;
pub const IOAPIC_ADDR: u64 = 0xfec0_0000;
/// virtio-mmio devices: one 4 KiB window each from here, described in the DSDT. On a firmware
/// machine this and the framebuffer lie inside SeaBIOS's 32-bit PCI window (top of RAM or
/// 2 GiB up to the IOAPIC); it packs BARs down from the window's top, so they meet only past
/// ~470 MiB of BARs. Moving them out of that window is left for when PCI devices come.
pub const VIRTIO_MMIO_BASE: u64 = 0xd000_0000;
/// The linear framebuffer's guest-physical address (in the MMIO hole, reserved in e820).
pub const FRAMEBUFFER_BASE: u64 = 0xe000_0000;
/// IOAPIC pins for virtio-mmio devices, in order (16-23 are free of ISA devices).
pub const VIRTIO_GSIS: [u32; 8] = [16, 17, 18, 19, 20, 21, 22, 23];
pub const LAPIC_ADDR: u64 = 0xfee0_0000;

/// The PC machine's PCI interrupts: PIRQA–D reach IOAPIC inputs 16–19 (as its DSDT's `_PRT`
/// says) besides the ISA IRQ the PIIX3 routes each to.
pub const PIRQ_GSI_BASE: u32 = 16;

/// The PIRQ line (0 = A) that interrupt pin `pin` (1 = INTA … 4 = INTD) of a function in bus-0
/// `slot` is wired to: the swizzle QEMU's i440FX and SeaBIOS share, `(slot - 1 + pin - 1) & 3`.
pub fn pirq_of(slot: u8, pin: u8) -> usize {
    usize::from((slot.wrapping_sub(1).wrapping_add(pin.wrapping_sub(1))) & 3)
}

/// I/O ports of our devices.
pub mod ports {
    pub const COM1: u16 = 0x3f8;
    pub const COM1_IRQ: u32 = 4;
    pub const I8042_DATA: u16 = 0x60;
    pub const I8042_CMD: u16 = 0x64;
    /// POST/debug port: guests write here as a delay or a progress code.
    pub const DEBUG: u16 = 0x80;
    /// ACPI hardware-reduced sleep control / status and reset registers (see FADT).
    pub const ACPI_SLEEP_CONTROL: u16 = 0x600;
    pub const ACPI_SLEEP_STATUS: u16 = 0x601;
    pub const ACPI_RESET: u16 = 0x602;
    pub const ACPI_RESET_VALUE: u8 = 0x1;
    /// Firmware debug console (SeaBIOS's and OVMF's debug output, QEMU's "debugcon").
    pub const FIRMWARE_DEBUG: u16 = 0x402;
}

/// Guest RAM ranges `(start, size)` for a VM of `mem` bytes, skipping the MMIO hole.
pub fn ram_ranges(mem: u64) -> Vec<(u64, u64)> {
    if mem <= MMIO_HOLE_START {
        vec![(0, mem)]
    } else {
        vec![(0, MMIO_HOLE_START), (MMIO_HOLE_END, mem - MMIO_HOLE_START)]
    }
}

/// The parts of `(start, size)` outside `hole` (`(start, size)` too).
pub fn split_around(start: u64, size: u64, hole: (u64, u64)) -> Vec<(u64, u64)> {
    let (end, hole_end) = (start + size, hole.0 + hole.1);
    if hole_end <= start || hole.0 >= end {
        return vec![(start, size)];
    }
    let mut out = Vec::new();
    if hole.0 > start {
        out.push((start, hole.0 - start));
    }
    if end > hole_end {
        out.push((hole_end, end - hole_end));
    }
    out
}

/// e820 type: usable RAM.
pub const E820_RAM: u32 = 1;
/// e820 type: reserved.
pub const E820_RESERVED: u32 = 2;

/// The e820 map handed to the guest: `(start, size, type)`; `framebuffer` is `(base, size)`.
pub fn e820_map(mem: u64, framebuffer: Option<(u64, u64)>) -> Vec<(u64, u64, u32)> {
    let mut map = vec![
        (0, EBDA_START, E820_RAM),
        (EBDA_START, 0xa0000 - EBDA_START, E820_RESERVED),
        (ACPI_START, ACPI_END - ACPI_START, E820_RESERVED),
    ];
    let low_end = mem.min(MMIO_HOLE_START);
    map.push((HIMEM_START, low_end - HIMEM_START, E820_RAM));
    if let Some((base, size)) = framebuffer {
        map.push((base, size, E820_RESERVED));
    }
    if mem > MMIO_HOLE_START {
        map.push((MMIO_HOLE_END, mem - MMIO_HOLE_START, E820_RAM));
    }
    map
}

/// The e820 map a firmware gets (fw_cfg `etc/e820`): the RAM, and reserved what the guest must
/// not use: KVM's pages and the framebuffer. The firmware itself reserves its own areas (EBDA,
/// BIOS, ACPI) in the map it hands on.
pub fn firmware_e820(mem: u64, framebuffer: Option<(u64, u64)>) -> Vec<(u64, u64, u32)> {
    let mut map: Vec<_> = ram_ranges(mem)
        .into_iter()
        .map(|(a, s)| (a, s, E820_RAM))
        .collect();
    map.push((FIRMWARE_KVM_IDENTITY_MAP, 0x4000, E820_RESERVED));
    if let Some((base, size)) = framebuffer {
        map.push((base, size, E820_RESERVED));
    }
    map.sort();
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ram_skips_the_hole() {
        assert_eq!(ram_ranges(256 << 20), vec![(0, 256 << 20)]);
        let big = 5u64 << 30;
        let r = ram_ranges(big);
        assert_eq!(r, vec![(0, 3 << 30), (4 << 30, 2 << 30)]);
        assert_eq!(r.iter().map(|x| x.1).sum::<u64>(), big);
    }

    #[test]
    fn e820_ram_is_below_mem_and_disjoint() {
        for mem in [32u64 << 20, 3 << 30, 6 << 30] {
            let mut m = e820_map(mem, Some((FRAMEBUFFER_BASE, 3 << 20)));
            m.sort();
            for w in m.windows(2) {
                assert!(w[0].0 + w[0].1 <= w[1].0, "{:x?} overlaps", w);
            }
            let ram: u64 = m.iter().filter(|e| e.2 == E820_RAM).map(|e| e.1).sum();
            assert!(ram <= mem && ram > mem - (1 << 20));
        }
    }

    #[test]
    fn the_firmware_map_keeps_clear_of_the_rom_and_the_pci_window() {
        let rom_lowest = (1u64 << 32) - FIRMWARE_MAX_SIZE;
        for mem in [64u64 << 20, 3 << 30, 5 << 30] {
            let m = firmware_e820(mem, Some((FRAMEBUFFER_BASE, 3 << 20)));
            for w in m.windows(2) {
                assert!(w[0].0 + w[0].1 <= w[1].0, "{:x?} overlaps", w);
            }
            let ram: u64 = m.iter().filter(|e| e.2 == E820_RAM).map(|e| e.1).sum();
            assert_eq!(ram, mem);
            assert!(m.iter().all(|e| e.0 + e.1 <= rom_lowest || e.0 >= 1 << 32));
        }
    }
}
