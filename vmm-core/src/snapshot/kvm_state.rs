//! vCPU and VM (irqchip, PIT, clock) state, read from and written back to KVM.
//!
//! Restore order follows what KVM requires (and Firecracker does): CPUID before MSRs, sregs
//! before LAPIC, vCPU events last.

use kvm_bindings::{
    kvm_clock_data, kvm_cpuid_entry2, kvm_debugregs, kvm_irqchip, kvm_lapic_state, kvm_mp_state,
    kvm_msr_entry, kvm_pit_state2, kvm_regs, kvm_sregs, kvm_vcpu_events, kvm_xcrs, kvm_xsave,
    CpuId, Msrs, KVM_IRQCHIP_IOAPIC, KVM_IRQCHIP_PIC_MASTER, KVM_IRQCHIP_PIC_SLAVE,
    KVM_MAX_CPUID_ENTRIES,
};
use kvm_ioctls::{Kvm, VcpuFd, VmFd};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct VcpuState {
    pub cpuid: Vec<kvm_cpuid_entry2>,
    pub mp_state: kvm_mp_state,
    pub regs: kvm_regs,
    pub sregs: kvm_sregs,
    pub xsave: kvm_xsave,
    pub xcrs: kvm_xcrs,
    pub debug_regs: kvm_debugregs,
    pub lapic: kvm_lapic_state,
    pub msrs: Vec<kvm_msr_entry>,
    pub events: kvm_vcpu_events,
}

#[derive(Serialize, Deserialize)]
pub struct VmState {
    pub pit: kvm_pit_state2,
    pub clock: kvm_clock_data,
    pub pic_master: kvm_irqchip,
    pub pic_slave: kvm_irqchip,
    pub ioapic: kvm_irqchip,
}

fn e(what: &str, err: kvm_ioctls::Error) -> String {
    format!("{what}: {err}")
}

/// MSRs KVM can save and restore on this host. IA32_ARCH_CAPABILITIES (0x10a) is left out:
/// software KVMs such as kvm_pvm refuse to set it.
pub fn saveable_msrs(kvm: &Kvm, vcpu: &VcpuFd) -> Result<Vec<u32>, String> {
    let list = kvm
        .get_msr_index_list()
        .map_err(|x| e("KVM_GET_MSR_INDEX_LIST", x))?;
    let mut idx: Vec<u32> = list
        .as_slice()
        .iter()
        .copied()
        .filter(|&m| m != 0x10a)
        .collect();
    // KVM_GET_MSRS stops at the first MSR it cannot read: drop those one by one.
    loop {
        let entries: Vec<kvm_msr_entry> = idx
            .iter()
            .map(|&index| kvm_msr_entry {
                index,
                ..Default::default()
            })
            .collect();
        let mut msrs = Msrs::from_entries(&entries).map_err(|x| format!("MSR list: {x:?}"))?;
        let n = vcpu.get_msrs(&mut msrs).map_err(|x| e("KVM_GET_MSRS", x))?;
        if n >= idx.len() {
            return Ok(idx);
        }
        idx.remove(n);
    }
}

pub fn save_vcpu(v: &VcpuFd, msr_index: &[u32]) -> Result<VcpuState, String> {
    let entries: Vec<kvm_msr_entry> = msr_index
        .iter()
        .map(|&index| kvm_msr_entry {
            index,
            ..Default::default()
        })
        .collect();
    let mut msrs = Msrs::from_entries(&entries).map_err(|x| format!("MSR list: {x:?}"))?;
    let n = v.get_msrs(&mut msrs).map_err(|x| e("KVM_GET_MSRS", x))?;
    if n != entries.len() {
        return Err(format!(
            "KVM_GET_MSRS read {n} of {} MSRs (stopped at {:#x})",
            entries.len(),
            msr_index[n]
        ));
    }
    Ok(VcpuState {
        cpuid: v
            .get_cpuid2(KVM_MAX_CPUID_ENTRIES)
            .map_err(|x| e("KVM_GET_CPUID2", x))?
            .as_slice()
            .to_vec(),
        mp_state: v.get_mp_state().map_err(|x| e("KVM_GET_MP_STATE", x))?,
        regs: v.get_regs().map_err(|x| e("KVM_GET_REGS", x))?,
        sregs: v.get_sregs().map_err(|x| e("KVM_GET_SREGS", x))?,
        xsave: v.get_xsave().map_err(|x| e("KVM_GET_XSAVE", x))?,
        xcrs: v.get_xcrs().map_err(|x| e("KVM_GET_XCRS", x))?,
        debug_regs: v.get_debug_regs().map_err(|x| e("KVM_GET_DEBUGREGS", x))?,
        lapic: v.get_lapic().map_err(|x| e("KVM_GET_LAPIC", x))?,
        msrs: msrs.as_slice().to_vec(),
        events: v
            .get_vcpu_events()
            .map_err(|x| e("KVM_GET_VCPU_EVENTS", x))?,
    })
}

/// `set_cpuid`: only for a vCPU that has not run yet. KVM (since Linux 5.16) refuses
/// KVM_SET_CPUID2 after KVM_RUN unless the table is identical, and the saved table is not: KVM
/// fills in run-time bits (APIC ID, OSXSAVE, XSAVE sizes). A live revert keeps the vCPU's table,
/// which is the one this VM was created with.
pub fn restore_vcpu(v: &VcpuFd, s: &VcpuState, set_cpuid: bool) -> Result<(), String> {
    if set_cpuid {
        let cpuid = CpuId::from_entries(&s.cpuid).map_err(|x| format!("CPUID list: {x:?}"))?;
        v.set_cpuid2(&cpuid).map_err(|x| e("KVM_SET_CPUID2", x))?;
    }
    v.set_mp_state(s.mp_state)
        .map_err(|x| e("KVM_SET_MP_STATE", x))?;
    v.set_regs(&s.regs).map_err(|x| e("KVM_SET_REGS", x))?;
    v.set_sregs(&s.sregs).map_err(|x| e("KVM_SET_SREGS", x))?;
    // SAFETY: the xsave buffer came from KVM_GET_XSAVE on a vCPU with the same CPUID.
    unsafe { v.set_xsave(&s.xsave) }.map_err(|x| e("KVM_SET_XSAVE", x))?;
    v.set_xcrs(&s.xcrs).map_err(|x| e("KVM_SET_XCRS", x))?;
    v.set_debug_regs(&s.debug_regs)
        .map_err(|x| e("KVM_SET_DEBUGREGS", x))?;
    v.set_lapic(&s.lapic).map_err(|x| e("KVM_SET_LAPIC", x))?;
    let msrs = Msrs::from_entries(&s.msrs).map_err(|x| format!("MSR list: {x:?}"))?;
    let n = v.set_msrs(&msrs).map_err(|x| e("KVM_SET_MSRS", x))?;
    if n != s.msrs.len() {
        return Err(format!(
            "KVM_SET_MSRS set {n} of {} MSRs (refused {:#x})",
            s.msrs.len(),
            s.msrs[n].index
        ));
    }
    v.set_vcpu_events(&s.events)
        .map_err(|x| e("KVM_SET_VCPU_EVENTS", x))?;
    Ok(())
}

fn irqchip(vm: &VmFd, id: u32) -> Result<kvm_irqchip, String> {
    let mut c = kvm_irqchip {
        chip_id: id,
        ..Default::default()
    };
    vm.get_irqchip(&mut c)
        .map_err(|x| e("KVM_GET_IRQCHIP", x))?;
    Ok(c)
}

pub fn save_vm(vm: &VmFd) -> Result<VmState, String> {
    Ok(VmState {
        pit: vm.get_pit2().map_err(|x| e("KVM_GET_PIT2", x))?,
        clock: vm.get_clock().map_err(|x| e("KVM_GET_CLOCK", x))?,
        pic_master: irqchip(vm, KVM_IRQCHIP_PIC_MASTER)?,
        pic_slave: irqchip(vm, KVM_IRQCHIP_PIC_SLAVE)?,
        ioapic: irqchip(vm, KVM_IRQCHIP_IOAPIC)?,
    })
}

pub fn restore_vm(vm: &VmFd, s: &VmState) -> Result<(), String> {
    vm.set_pit2(&s.pit).map_err(|x| e("KVM_SET_PIT2", x))?;
    // Only the clock value is restored; flags describe the host's clock source at save time.
    let clock = kvm_clock_data {
        clock: s.clock.clock,
        ..Default::default()
    };
    vm.set_clock(&clock).map_err(|x| e("KVM_SET_CLOCK", x))?;
    for c in [&s.pic_master, &s.pic_slave, &s.ioapic] {
        vm.set_irqchip(c).map_err(|x| e("KVM_SET_IRQCHIP", x))?;
    }
    Ok(())
}
