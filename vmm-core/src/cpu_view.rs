//! A vCPU as the inspector shows it: registers read from KVM, the processor mode they mean,
//! and the instruction bytes at CS:RIP found through the guest's own page tables.
//!
//! The walker is hand-written: it is a few table look-ups over guest memory we already hold,
//! and `KVM_TRANSLATE` is not implemented by every KVM flavour (nor does it say which level
//! failed); no crate walks x86 page tables over a `GuestMemory`.

use crate::api::{CpuMode, Registers, SegmentView, VcpuView};
use kvm_bindings::{kvm_regs, kvm_segment, kvm_sregs, KVM_MP_STATE_HALTED};
use kvm_ioctls::VcpuFd;
use vm_memory::{Bytes, GuestAddress, GuestMemoryMmap};

const CR0_PE: u64 = 1;
const CR0_PG: u64 = 1 << 31;
const CR4_PSE: u64 = 1 << 4;
const CR4_PAE: u64 = 1 << 5;
const CR4_LA57: u64 = 1 << 12;
const EFER_LMA: u64 = 1 << 10;
const RFLAGS_VM: u64 = 1 << 17;

/// The mode `cr0`, `efer`, `rflags` and CS's L bit put the CPU in.
pub fn mode(cr0: u64, efer: u64, rflags: u64, cs_l: bool) -> CpuMode {
    if cr0 & CR0_PE == 0 {
        CpuMode::Real
    } else if efer & EFER_LMA != 0 {
        if cs_l {
            CpuMode::Long
        } else {
            CpuMode::Compatibility
        }
    } else if rflags & RFLAGS_VM != 0 {
        CpuMode::Virtual8086
    } else {
        CpuMode::Protected
    }
}

/// The privilege level: SS.DPL in protected modes (what KVM itself uses), 0 in real mode, 3
/// in virtual-8086 mode.
pub fn cpl(mode: CpuMode, ss_dpl: u8) -> u8 {
    match mode {
        CpuMode::Real => 0,
        CpuMode::Virtual8086 => 3,
        _ => ss_dpl & 3,
    }
}

/// The linear address of CS:RIP: in 64-bit mode the CS base does not count; elsewhere it
/// does, and addresses wrap at 32 bits (at 1 MiB + 64 KiB in real mode, A20 on).
pub fn code_address(mode: CpuMode, cs_base: u64, rip: u64) -> u64 {
    match mode {
        CpuMode::Long => rip,
        CpuMode::Real | CpuMode::Virtual8086 => cs_base.wrapping_add(rip & 0xffff) & 0x1f_ffff,
        _ => cs_base.wrapping_add(rip) & 0xffff_ffff,
    }
}

/// How the guest's page tables are laid out, from its control registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paging {
    Off,
    /// 32-bit paging: two levels of 4-byte entries, 4 MiB pages with CR4.PSE.
    Bits32 {
        pse: bool,
    },
    /// PAE: four PDPTEs, then two levels of 8-byte entries.
    Pae,
    /// 4-level (or 5-level with LA57) long-mode paging.
    Long {
        levels: u8,
    },
}

impl Paging {
    pub fn of(cr0: u64, cr4: u64, efer: u64) -> Paging {
        if cr0 & CR0_PG == 0 {
            Paging::Off
        } else if efer & EFER_LMA != 0 {
            Paging::Long {
                levels: if cr4 & CR4_LA57 != 0 { 5 } else { 4 },
            }
        } else if cr4 & CR4_PAE != 0 {
            Paging::Pae
        } else {
            Paging::Bits32 {
                pse: cr4 & CR4_PSE != 0,
            }
        }
    }
}

const PRESENT: u64 = 1;
const PAGE_SIZE_BIT: u64 = 1 << 7;
/// Physical-address bits of a 64-bit entry (bits 12–51).
const ADDR_MASK: u64 = 0x000f_ffff_ffff_f000;

/// Translates linear address `la` to guest-physical through the tables at `cr3`, reading
/// entries with `read` (guest-physical address, entry size 4 or 8 → the entry, or `None`
/// outside RAM). `None`: not mapped (a page fault on the guest's side).
pub fn translate(
    paging: Paging,
    cr3: u64,
    la: u64,
    read: impl Fn(u64, usize) -> Option<u64>,
) -> Option<u64> {
    match paging {
        Paging::Off => Some(la),
        Paging::Bits32 { pse } => {
            let la = la & 0xffff_ffff;
            let pde = read((cr3 & 0xffff_f000) + ((la >> 22) & 0x3ff) * 4, 4)?;
            if pde & PRESENT == 0 {
                return None;
            }
            if pse && pde & PAGE_SIZE_BIT != 0 {
                // PSE-36: bits 13–20 of the entry are physical bits 32–39.
                let base = (pde & 0xffc0_0000) | (((pde >> 13) & 0xff) << 32);
                return Some(base | (la & 0x3f_ffff));
            }
            let pte = read((pde & 0xffff_f000) + ((la >> 12) & 0x3ff) * 4, 4)?;
            (pte & PRESENT != 0).then_some((pte & 0xffff_f000) | (la & 0xfff))
        }
        Paging::Pae => {
            let la = la & 0xffff_ffff;
            let pdpte = read((cr3 & 0xffff_ffe0) + ((la >> 30) & 3) * 8, 8)?;
            if pdpte & PRESENT == 0 {
                return None;
            }
            walk(pdpte & ADDR_MASK, la, 2, &read)
        }
        Paging::Long { levels } => walk(cr3 & ADDR_MASK, la, levels, &read),
    }
}

/// The 8-byte-entry levels: `levels` of them from the table at `table` (level 2 is the page
/// directory, whose large entries are 2 MiB; level 3's are 1 GiB).
fn walk(
    mut table: u64,
    la: u64,
    levels: u8,
    read: &impl Fn(u64, usize) -> Option<u64>,
) -> Option<u64> {
    for level in (1..=levels).rev() {
        let shift = 12 + 9 * u32::from(level - 1);
        let entry = read(table + ((la >> shift) & 0x1ff) * 8, 8)?;
        if entry & PRESENT == 0 {
            return None;
        }
        let page = 1u64 << shift;
        if level == 1 || ((level == 2 || level == 3) && entry & PAGE_SIZE_BIT != 0) {
            return Some((entry & ADDR_MASK & !(page - 1)) | (la & (page - 1)));
        }
        table = entry & ADDR_MASK;
    }
    None
}

fn segment(s: &kvm_segment) -> SegmentView {
    SegmentView {
        selector: s.selector,
        base: s.base,
        limit: s.limit,
        db: s.db != 0,
        l: s.l != 0,
        dpl: s.dpl,
    }
}

pub fn registers(r: &kvm_regs, s: &kvm_sregs) -> Registers {
    Registers {
        rax: r.rax,
        rbx: r.rbx,
        rcx: r.rcx,
        rdx: r.rdx,
        rsi: r.rsi,
        rdi: r.rdi,
        rbp: r.rbp,
        rsp: r.rsp,
        r8: r.r8,
        r9: r.r9,
        r10: r.r10,
        r11: r.r11,
        r12: r.r12,
        r13: r.r13,
        r14: r.r14,
        r15: r.r15,
        rip: r.rip,
        rflags: r.rflags,
        cr0: s.cr0,
        cr2: s.cr2,
        cr3: s.cr3,
        cr4: s.cr4,
        efer: s.efer,
        cs: segment(&s.cs),
        ss: segment(&s.ss),
    }
}

/// Up to 16 bytes of guest code at linear address `la`, stopping where the tables map nothing
/// or the address is not RAM.
pub fn code_bytes(mem: &GuestMemoryMmap, regs: &Registers, mode: CpuMode, la: u64) -> Vec<u8> {
    let paging = Paging::of(regs.cr0, regs.cr4, regs.efer);
    let read = |gpa: u64, size: usize| -> Option<u64> {
        match size {
            4 => mem.read_obj::<u32>(GuestAddress(gpa)).ok().map(u64::from),
            _ => mem.read_obj::<u64>(GuestAddress(gpa)).ok(),
        }
    };
    let mut out = Vec::with_capacity(16);
    while out.len() < 16 {
        let at = la.wrapping_add(out.len() as u64);
        let at = if mode == CpuMode::Long {
            at
        } else {
            at & 0xffff_ffff
        };
        let Some(gpa) = translate(paging, regs.cr3, at, read) else {
            break;
        };
        // The rest of this page, at most what is still wanted.
        let n = (0x1000 - (at & 0xfff)).min(16 - out.len() as u64) as usize;
        let mut buf = vec![0u8; n];
        if mem.read_slice(&mut buf, GuestAddress(gpa)).is_err() {
            break;
        }
        out.extend_from_slice(&buf);
    }
    out
}

/// Reads vCPU `index` from KVM. It must not be inside `KVM_RUN` (parked, or its own thread
/// between exits). `thread` and `exits` are the caller's to fill.
pub fn read(vcpu: &VcpuFd, index: u32, mem: &GuestMemoryMmap) -> Result<VcpuView, String> {
    let r = vcpu.get_regs().map_err(|e| format!("KVM_GET_REGS: {e}"))?;
    let s = vcpu
        .get_sregs()
        .map_err(|e| format!("KVM_GET_SREGS: {e}"))?;
    let halted = vcpu
        .get_mp_state()
        .map(|m| m.mp_state == KVM_MP_STATE_HALTED)
        .unwrap_or(false);
    let regs = registers(&r, &s);
    let mode = mode(s.cr0, s.efer, r.rflags, s.cs.l != 0);
    let la = code_address(mode, s.cs.base, r.rip);
    let code = code_bytes(mem, &regs, mode, la);
    Ok(VcpuView {
        index,
        mode,
        paging: s.cr0 & CR0_PG != 0,
        cpl: cpl(mode, s.ss.dpl),
        halted,
        fresh: true,
        code: code.iter().map(|b| format!("{b:02x}")).collect(),
        regs,
        ..Default::default()
    })
}

#[cfg(test)]
mod tests;
