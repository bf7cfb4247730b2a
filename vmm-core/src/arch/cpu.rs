//! vCPU set-up for the Linux 64-bit boot protocol: CPUID (`cpuid`), MSRs, LAPIC, segments, paging.

use super::layout::*;
use kvm_bindings::{
    kvm_fpu, kvm_lapic_state, kvm_msr_entry, kvm_regs, kvm_segment, CpuId, Msrs,
    KVM_MAX_CPUID_ENTRIES,
};
use kvm_ioctls::{Kvm, VcpuFd};
use vm_memory::{Bytes, GuestAddress, GuestMemoryMmap};

pub mod cpuid;
mod cpuid_cache;

pub use cpuid::vcpu_cpuid;

#[derive(Debug, thiserror::Error)]
pub enum CpuError {
    #[error("KVM_GET_SUPPORTED_CPUID: {0}")]
    SupportedCpuid(kvm_ioctls::Error),
    #[error("KVM_SET_CPUID2: {0}")]
    SetCpuid(kvm_ioctls::Error),
    #[error("KVM_SET_MSRS: {0}")]
    SetMsrs(kvm_ioctls::Error),
    #[error("KVM_SET_MSRS set only {set} of {wanted} boot MSRs")]
    PartialMsrs { set: usize, wanted: usize },
    #[error("{0}: {1}")]
    Ioctl(&'static str, kvm_ioctls::Error),
    #[error("writing boot structures to guest memory: {0}")]
    Memory(vm_memory::GuestMemoryError),
}

/// The CPUID KVM supports, as the base every vCPU's table is patched from.
pub fn supported_cpuid(kvm: &Kvm) -> Result<CpuId, CpuError> {
    let mut c = kvm
        .get_supported_cpuid(KVM_MAX_CPUID_ENTRIES)
        .map_err(CpuError::SupportedCpuid)?;
    // KVM emulates the LAPIC's TSC-deadline mode with the in-kernel irqchip (always ours) but
    // leaves the bit out of the supported table: userspace adds it, as QEMU's `-cpu host` does.
    // Linux then arms its timer with one MSR write instead of two APIC register writes.
    if kvm.check_extension(kvm_ioctls::Cap::TscDeadlineTimer) {
        set_tsc_deadline(&mut c);
    }
    Ok(c)
}

/// Leaf 1 ECX bit 24: TSC-deadline timer.
const TSC_DEADLINE_TIMER: u32 = 1 << 24;

fn set_tsc_deadline(c: &mut CpuId) {
    for e in c.as_mut_slice().iter_mut().filter(|e| e.function == 1) {
        e.ecx |= TSC_DEADLINE_TIMER;
    }
}

/// MSRs a booting Linux expects in a known state (the same set Firecracker sets).
fn boot_msrs() -> Vec<kvm_msr_entry> {
    let e = |index: u32, data: u64| kvm_msr_entry {
        index,
        data,
        ..Default::default()
    };
    vec![
        e(0x174, 0),             // IA32_SYSENTER_CS
        e(0x175, 0),             // IA32_SYSENTER_ESP
        e(0x176, 0),             // IA32_SYSENTER_EIP
        e(0xc000_0081, 0),       // STAR
        e(0xc000_0083, 0),       // CSTAR
        e(0xc000_0102, 0),       // KERNEL_GS_BASE
        e(0xc000_0084, 0),       // SYSCALL_MASK
        e(0xc000_0082, 0),       // LSTAR
        e(0x10, 0),              // TSC
        e(0x1a0, 1),             // MISC_ENABLE: fast strings
        e(0x2ff, (1 << 11) | 6), // MTRRdefType: enabled, write-back
    ]
}

/// Sets CPUID, MSRs, FPU and LAPIC LINT pins on any vCPU (BSP and APs alike).
pub fn setup_common(vcpu: &VcpuFd, cpuid: &CpuId) -> Result<(), CpuError> {
    vcpu.set_cpuid2(cpuid).map_err(CpuError::SetCpuid)?;
    let entries = boot_msrs();
    let msrs = Msrs::from_entries(&entries).expect("boot MSR list fits");
    let set = vcpu.set_msrs(&msrs).map_err(CpuError::SetMsrs)?;
    if set != entries.len() {
        return Err(CpuError::PartialMsrs {
            set,
            wanted: entries.len(),
        });
    }
    let fpu = kvm_fpu {
        fcw: 0x37f,
        mxcsr: 0x1f80,
        ..Default::default()
    };
    vcpu.set_fpu(&fpu)
        .map_err(|e| CpuError::Ioctl("KVM_SET_FPU", e))?;
    let mut lapic = vcpu
        .get_lapic()
        .map_err(|e| CpuError::Ioctl("KVM_GET_LAPIC", e))?;
    set_lint(&mut lapic);
    vcpu.set_lapic(&lapic)
        .map_err(|e| CpuError::Ioctl("KVM_SET_LAPIC", e))?;
    Ok(())
}

/// LINT0 as ExtINT (the PIC's output) and LINT1 as NMI, as a PC BIOS leaves them.
fn set_lint(lapic: &mut kvm_lapic_state) {
    const LVT0: usize = 0x350;
    const LVT1: usize = 0x360;
    let get = |l: &kvm_lapic_state, off: usize| {
        let b: [u8; 4] = std::array::from_fn(|i| l.regs[off + i] as u8);
        u32::from_le_bytes(b)
    };
    let set = |l: &mut kvm_lapic_state, off: usize, v: u32| {
        for (i, b) in v.to_le_bytes().iter().enumerate() {
            l.regs[off + i] = *b as _;
        }
    };
    let mode = |v: u32, m: u32| (v & !0x700) | (m << 8);
    let v0 = get(lapic, LVT0);
    set(lapic, LVT0, mode(v0, 7)); // ExtINT
    let v1 = get(lapic, LVT1);
    set(lapic, LVT1, mode(v1, 4)); // NMI
}

fn gdt_entry(flags: u16, base: u32, limit: u32) -> u64 {
    ((u64::from(base) & 0xff00_0000) << (56 - 24))
        | ((u64::from(flags) & 0xf0ff) << 40)
        | ((u64::from(limit) & 0x000f_0000) << (48 - 16))
        | ((u64::from(base) & 0x00ff_ffff) << 16)
        | (u64::from(limit) & 0x0000_ffff)
}

fn segment(entry: u64, index: u16) -> kvm_segment {
    let g = |shift: u32, mask: u64| ((entry >> shift) & mask) as u8;
    let base = ((entry >> 16) & 0xff_ffff) | (((entry >> 56) & 0xff) << 24);
    let limit = ((entry & 0xffff) | (((entry >> 48) & 0xf) << 16)) as u32;
    let granular = g(55, 1);
    kvm_segment {
        base,
        limit: if granular == 1 {
            (limit << 12) | 0xfff
        } else {
            limit
        },
        selector: index * 8,
        type_: g(40, 0xf),
        present: g(47, 1),
        dpl: g(45, 3),
        db: g(54, 1),
        s: g(44, 1),
        l: g(53, 1),
        g: granular,
        avl: g(52, 1),
        unusable: u8::from(g(47, 1) == 0),
        padding: 0,
    }
}

/// Writes the GDT, an empty IDT and 4 GiB of identity-mapped 2 MiB pages into guest memory.
pub fn write_boot_tables(mem: &GuestMemoryMmap) -> Result<(), CpuError> {
    let gdt = [
        gdt_entry(0, 0, 0),
        gdt_entry(0xa09b, 0, 0xfffff), // 64-bit code
        gdt_entry(0xc093, 0, 0xfffff), // data
        gdt_entry(0x808b, 0, 0xfffff), // TSS
    ];
    for (i, e) in gdt.iter().enumerate() {
        mem.write_obj(*e, GuestAddress(BOOT_GDT + i as u64 * 8))
            .map_err(CpuError::Memory)?;
    }
    mem.write_obj(0u64, GuestAddress(BOOT_IDT))
        .map_err(CpuError::Memory)?;
    mem.write_obj(PDPT | 0x3, GuestAddress(PML4))
        .map_err(CpuError::Memory)?;
    for pd in 0..4u64 {
        let pd_addr = PD + pd * 0x1000;
        mem.write_obj(pd_addr | 0x3, GuestAddress(PDPT + pd * 8))
            .map_err(CpuError::Memory)?;
        for i in 0..512u64 {
            let page = (pd << 30) | (i << 21);
            mem.write_obj(page | 0x83, GuestAddress(pd_addr + i * 8))
                .map_err(CpuError::Memory)?;
        }
    }
    Ok(())
}

/// Puts the boot vCPU where the kernel's entry expects it.
pub fn setup_boot_vcpu(
    vcpu: &VcpuFd,
    entry: u64,
    mode: super::boot::EntryMode,
) -> Result<(), CpuError> {
    match mode {
        super::boot::EntryMode::Linux64 => setup_long_mode(vcpu, entry),
        super::boot::EntryMode::Pvh => setup_pvh(vcpu, entry),
    }
}

/// PVH entry: 32-bit flat protected mode, paging off, `rbx` = `hvm_start_info`.
fn setup_pvh(vcpu: &VcpuFd, entry: u64) -> Result<(), CpuError> {
    let mut sregs = vcpu
        .get_sregs()
        .map_err(|e| CpuError::Ioctl("KVM_GET_SREGS", e))?;
    let code = segment(gdt_entry(0xc09b, 0, 0xfffff), 1);
    let data = segment(gdt_entry(0xc093, 0, 0xfffff), 2);
    let mut tss = segment(gdt_entry(0x008b, 0, 0x67), 3);
    tss.limit = 0x67;
    sregs.gdt.base = BOOT_GDT;
    sregs.gdt.limit = 4 * 8 - 1;
    sregs.cs = code;
    sregs.ds = data;
    sregs.es = data;
    sregs.fs = data;
    sregs.gs = data;
    sregs.ss = data;
    sregs.tr = tss;
    sregs.cr0 = 0x11; // PE | ET
    sregs.cr4 = 0;
    sregs.efer = 0;
    vcpu.set_sregs(&sregs)
        .map_err(|e| CpuError::Ioctl("KVM_SET_SREGS", e))?;
    let regs = kvm_regs {
        rflags: 0x2,
        rip: entry,
        rbx: PVH_START_INFO,
        ..Default::default()
    };
    vcpu.set_regs(&regs)
        .map_err(|e| CpuError::Ioctl("KVM_SET_REGS", e))
}

/// Linux 64-bit boot protocol: long mode at `entry` with `rsi` = zero page.
fn setup_long_mode(vcpu: &VcpuFd, entry: u64) -> Result<(), CpuError> {
    let mut sregs = vcpu
        .get_sregs()
        .map_err(|e| CpuError::Ioctl("KVM_GET_SREGS", e))?;
    let code = segment(gdt_entry(0xa09b, 0, 0xfffff), 1);
    let data = segment(gdt_entry(0xc093, 0, 0xfffff), 2);
    let tss = segment(gdt_entry(0x808b, 0, 0xfffff), 3);
    sregs.gdt.base = BOOT_GDT;
    sregs.gdt.limit = 4 * 8 - 1;
    sregs.idt.base = BOOT_IDT;
    sregs.idt.limit = 7;
    sregs.cs = code;
    sregs.ds = data;
    sregs.es = data;
    sregs.fs = data;
    sregs.gs = data;
    sregs.ss = data;
    sregs.tr = tss;
    sregs.cr3 = PML4;
    sregs.cr4 |= 1 << 5; // PAE
    sregs.cr0 |= 1 | (1 << 31); // PE | PG
    sregs.efer |= (1 << 8) | (1 << 10); // LME | LMA
    vcpu.set_sregs(&sregs)
        .map_err(|e| CpuError::Ioctl("KVM_SET_SREGS", e))?;
    let regs = kvm_regs {
        rflags: 0x2,
        rip: entry,
        rsp: BOOT_STACK,
        rbp: BOOT_STACK,
        rsi: ZERO_PAGE,
        ..Default::default()
    };
    vcpu.set_regs(&regs)
        .map_err(|e| CpuError::Ioctl("KVM_SET_REGS", e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsc_deadline_is_set_in_leaf_1_only() {
        let e = |function: u32| kvm_bindings::kvm_cpuid_entry2 {
            function,
            ..Default::default()
        };
        let mut c = CpuId::from_entries(&[e(0), e(1), e(7)]).unwrap();
        set_tsc_deadline(&mut c);
        let ecx: Vec<u32> = c.as_slice().iter().map(|e| e.ecx).collect();
        assert_eq!(ecx, [0, TSC_DEADLINE_TIMER, 0]);
    }

    #[test]
    fn code_segment_is_64_bit() {
        let s = segment(gdt_entry(0xa09b, 0, 0xfffff), 1);
        assert_eq!(
            (s.l, s.db, s.present, s.type_, s.selector),
            (1, 0, 1, 0xb, 8)
        );
        assert_eq!(s.limit, 0xffff_ffff);
        let d = segment(gdt_entry(0xc093, 0, 0xfffff), 2);
        assert_eq!((d.l, d.db, d.type_), (0, 1, 0x3));
    }
}
