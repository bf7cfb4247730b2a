use super::*;
use std::collections::HashMap;

#[test]
fn modes_from_control_registers() {
    assert_eq!(mode(0x10, 0, 2, false), CpuMode::Real);
    // PE without LMA: protected; with RFLAGS.VM: virtual-8086.
    assert_eq!(mode(0x11, 0, 2, false), CpuMode::Protected);
    assert_eq!(mode(0x11, 0, 2 | RFLAGS_VM, false), CpuMode::Virtual8086);
    // LMA: CS.L tells long mode from compatibility mode.
    let (cr0, efer) = (0x8000_0011, 0x500);
    assert_eq!(mode(cr0, efer, 2, true), CpuMode::Long);
    assert_eq!(mode(cr0, efer, 2, false), CpuMode::Compatibility);
    assert_eq!(cpl(CpuMode::Real, 3), 0);
    assert_eq!(cpl(CpuMode::Virtual8086, 0), 3);
    assert_eq!(cpl(CpuMode::Long, 3), 3);
    assert_eq!(cpl(CpuMode::Protected, 0), 0);
}

#[test]
fn paging_kind_from_registers() {
    assert_eq!(Paging::of(0x11, 0, 0), Paging::Off);
    assert_eq!(Paging::of(CR0_PG | 1, 0, 0), Paging::Bits32 { pse: false });
    assert_eq!(
        Paging::of(CR0_PG | 1, CR4_PSE, 0),
        Paging::Bits32 { pse: true }
    );
    assert_eq!(Paging::of(CR0_PG | 1, CR4_PAE, 0), Paging::Pae);
    assert_eq!(
        Paging::of(CR0_PG | 1, CR4_PAE, EFER_LMA),
        Paging::Long { levels: 4 }
    );
    assert_eq!(
        Paging::of(CR0_PG | 1, CR4_PAE | CR4_LA57, EFER_LMA),
        Paging::Long { levels: 5 }
    );
}

#[test]
fn code_addresses_per_mode() {
    assert_eq!(code_address(CpuMode::Real, 0xf0000, 0xfff0), 0xffff0);
    assert_eq!(
        code_address(CpuMode::Long, 0x1234, 0xffff_8000_0000_0000),
        0xffff_8000_0000_0000
    );
    assert_eq!(code_address(CpuMode::Protected, 0x1000, 0xffff_f000), 0);
}

/// Guest memory as entries at addresses.
struct Tables(HashMap<u64, u64>);

impl Tables {
    fn read(&self) -> impl Fn(u64, usize) -> Option<u64> + '_ {
        |a, size| {
            let v = *self.0.get(&a).unwrap_or(&0);
            Some(if size == 4 { v & 0xffff_ffff } else { v })
        }
    }
}

#[test]
fn four_level_walk_with_4k_2m_and_1g_pages() {
    // PML4 at 0x1000, PDPT 0x2000, PD 0x3000, PT 0x4000.
    let la: u64 = 0x0000_7f12_3456_7abc;
    let (i4, i3, i2, i1) = (
        (la >> 39) & 511,
        (la >> 30) & 511,
        (la >> 21) & 511,
        (la >> 12) & 511,
    );
    let mut t = Tables(HashMap::new());
    t.0.insert(0x1000 + i4 * 8, 0x2003);
    t.0.insert(0x2000 + i3 * 8, 0x3003);
    t.0.insert(0x3000 + i2 * 8, 0x4003);
    // The NX bit (63) is not part of the address.
    t.0.insert(0x4000 + i1 * 8, (1 << 63) | 0x0012_3456_7000 | 3);
    let walk = Paging::Long { levels: 4 };
    assert_eq!(
        translate(walk, 0x1000, la, t.read()),
        Some(0x0012_3456_7abc)
    );
    // CR3's low bits (PCID, flags) are ignored.
    assert_eq!(
        translate(walk, 0x1018, la, t.read()),
        Some(0x0012_3456_7abc)
    );
    // A 2 MiB page at the PD.
    t.0.insert(0x3000 + i2 * 8, 0x4060_0000 | 0x83);
    assert_eq!(
        translate(walk, 0x1000, la, t.read()),
        Some(0x4060_0000 | (la & 0x1f_ffff))
    );
    // A 1 GiB page at the PDPT.
    t.0.insert(0x2000 + i3 * 8, 0x8000_0000 | 0x83);
    assert_eq!(
        translate(walk, 0x1000, la, t.read()),
        Some(0x8000_0000 | (la & 0x3fff_ffff))
    );
    // Not present anywhere on the way: no translation.
    t.0.insert(0x2000 + i3 * 8, 0x8000_0000 | 0x82);
    assert_eq!(translate(walk, 0x1000, la, t.read()), None);
    t.0.insert(0x1000 + i4 * 8, 0x2002);
    assert_eq!(translate(walk, 0x1000, la, t.read()), None);
}

#[test]
fn pae_walk() {
    let la: u64 = 0xc012_3456;
    let mut t = Tables(HashMap::new());
    // CR3 points at the 32-byte PDPT (at 0x5020: only 32-byte alignment is needed).
    t.0.insert(0x5020 + 3 * 8, 0x6001);
    t.0.insert(0x6000 + ((la >> 21) & 511) * 8, 0x7003);
    t.0.insert(0x7000 + ((la >> 12) & 511) * 8, 0xabc_d000 | 1);
    assert_eq!(
        translate(Paging::Pae, 0x5020, la, t.read()),
        Some(0xabc_d456)
    );
    t.0.insert(0x6000 + ((la >> 21) & 511) * 8, 0x20_0000 | 0x81);
    assert_eq!(
        translate(Paging::Pae, 0x5020, la, t.read()),
        Some(0x20_0000 | (la & 0x1f_ffff))
    );
}

#[test]
fn bits32_walk_with_and_without_pse() {
    let la: u64 = 0x8040_1234;
    let mut t = Tables(HashMap::new());
    t.0.insert(0x9000 + (la >> 22) * 4, 0xa003);
    t.0.insert(0xa000 + ((la >> 12) & 0x3ff) * 4, 0x0055_5001);
    let no_pse = Paging::Bits32 { pse: false };
    assert_eq!(translate(no_pse, 0x9000, la, t.read()), Some(0x0055_5234));
    // A 4 MiB page counts only with CR4.PSE; PSE-36 adds physical bits 32+.
    t.0.insert(0x9000 + (la >> 22) * 4, 0x0140_0000 | (1 << 13) | 0x83);
    let pse = Paging::Bits32 { pse: true };
    assert_eq!(
        translate(pse, 0x9000, la, t.read()),
        Some(0x1_0140_0000 | (la & 0x3f_ffff))
    );
    t.0.insert(0x9000 + (la >> 22) * 4, 0);
    assert_eq!(translate(pse, 0x9000, la, t.read()), None);
}

#[test]
fn code_bytes_cross_a_page_and_stop_outside_ram() {
    use vm_memory::GuestMemoryMmap;
    let mem = GuestMemoryMmap::<()>::from_ranges(&[(GuestAddress(0), 0x10000)]).unwrap();
    // Identity-mapped long-mode tables: PML4 0x1000 → PDPT 0x2000 → PD 0x3000 (2 MiB page 0).
    mem.write_obj(0x2003u64, GuestAddress(0x1000)).unwrap();
    mem.write_obj(0x3003u64, GuestAddress(0x2000)).unwrap();
    mem.write_obj(0x83u64, GuestAddress(0x3000)).unwrap();
    let code: Vec<u8> = (1..=16).collect();
    mem.write_slice(&code, GuestAddress(0x4ff8)).unwrap();
    let regs = Registers {
        cr0: CR0_PG | 1,
        cr4: CR4_PAE,
        efer: EFER_LMA,
        cr3: 0x1000,
        ..Default::default()
    };
    assert_eq!(code_bytes(&mem, &regs, CpuMode::Long, 0x4ff8), code);
    // The last RAM bytes: only those.
    assert_eq!(code_bytes(&mem, &regs, CpuMode::Long, 0xfffc).len(), 4);
}
