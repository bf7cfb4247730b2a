//! The ioctl numbers the filters allow, per group of use. KVM's numbers come from the same
//! macros and `kvm_bindings` types kvm-ioctls uses (it keeps its own private), so a size
//! change in the bindings moves both together.
//!
//! None of these groups holds an ioctl that makes something: KVM_CREATE_VM / _VCPU /
//! _IRQCHIP / _PIT2, KVM_SET_TSS_ADDR, KVM_ENABLE_CAP, the supported-CPUID and extension
//! questions on /dev/kvm all happen while the VM is built, before any thread is confined.

use kvm_bindings::*;
use vmm_sys_util::{ioctl_io_nr, ioctl_ior_nr, ioctl_iow_nr, ioctl_iowr_nr};

ioctl_io_nr!(KVM_CREATE_VM, KVMIO, 0x01);
ioctl_io_nr!(KVM_CREATE_VCPU, KVMIO, 0x41);
ioctl_iow_nr!(KVM_GET_DIRTY_LOG, KVMIO, 0x42, kvm_dirty_log);
ioctl_iow_nr!(
    KVM_SET_USER_MEMORY_REGION,
    KVMIO,
    0x46,
    kvm_userspace_memory_region
);
ioctl_iow_nr!(KVM_IRQ_LINE, KVMIO, 0x61, kvm_irq_level);
ioctl_iowr_nr!(KVM_IRQ_LINE_STATUS, KVMIO, 0x67, kvm_irq_level);
ioctl_iowr_nr!(KVM_GET_IRQCHIP, KVMIO, 0x62, kvm_irqchip);
ioctl_ior_nr!(KVM_SET_IRQCHIP, KVMIO, 0x63, kvm_irqchip);
ioctl_iow_nr!(KVM_SET_GSI_ROUTING, KVMIO, 0x6a, kvm_irq_routing);
ioctl_iow_nr!(KVM_IRQFD, KVMIO, 0x76, kvm_irqfd);
ioctl_iow_nr!(KVM_IOEVENTFD, KVMIO, 0x79, kvm_ioeventfd);
ioctl_iow_nr!(
    KVM_REGISTER_COALESCED_MMIO,
    KVMIO,
    0x67,
    kvm_coalesced_mmio_zone
);
ioctl_iow_nr!(
    KVM_UNREGISTER_COALESCED_MMIO,
    KVMIO,
    0x68,
    kvm_coalesced_mmio_zone
);
ioctl_iow_nr!(KVM_SET_CLOCK, KVMIO, 0x7b, kvm_clock_data);
ioctl_ior_nr!(KVM_GET_CLOCK, KVMIO, 0x7c, kvm_clock_data);
ioctl_ior_nr!(KVM_GET_PIT2, KVMIO, 0x9f, kvm_pit_state2);
ioctl_iow_nr!(KVM_SET_PIT2, KVMIO, 0xa0, kvm_pit_state2);
ioctl_iow_nr!(KVM_SIGNAL_MSI, KVMIO, 0xa5, kvm_msi);
ioctl_io_nr!(KVM_RUN, KVMIO, 0x80);
ioctl_ior_nr!(KVM_GET_REGS, KVMIO, 0x81, kvm_regs);
ioctl_iow_nr!(KVM_SET_REGS, KVMIO, 0x82, kvm_regs);
ioctl_ior_nr!(KVM_GET_SREGS, KVMIO, 0x83, kvm_sregs);
ioctl_iow_nr!(KVM_SET_SREGS, KVMIO, 0x84, kvm_sregs);
ioctl_iowr_nr!(KVM_GET_MSRS, KVMIO, 0x88, kvm_msrs);
ioctl_iow_nr!(KVM_SET_MSRS, KVMIO, 0x89, kvm_msrs);
ioctl_ior_nr!(KVM_GET_FPU, KVMIO, 0x8c, kvm_fpu);
ioctl_iow_nr!(KVM_SET_FPU, KVMIO, 0x8d, kvm_fpu);
ioctl_ior_nr!(KVM_GET_LAPIC, KVMIO, 0x8e, kvm_lapic_state);
ioctl_iow_nr!(KVM_SET_LAPIC, KVMIO, 0x8f, kvm_lapic_state);
ioctl_iow_nr!(KVM_SET_CPUID2, KVMIO, 0x90, kvm_cpuid2);
ioctl_iowr_nr!(KVM_GET_CPUID2, KVMIO, 0x91, kvm_cpuid2);
ioctl_ior_nr!(KVM_GET_MP_STATE, KVMIO, 0x98, kvm_mp_state);
ioctl_iow_nr!(KVM_SET_MP_STATE, KVMIO, 0x99, kvm_mp_state);
ioctl_iow_nr!(KVM_SET_GUEST_DEBUG, KVMIO, 0x9b, kvm_guest_debug);
ioctl_ior_nr!(KVM_GET_VCPU_EVENTS, KVMIO, 0x9f, kvm_vcpu_events);
ioctl_iow_nr!(KVM_SET_VCPU_EVENTS, KVMIO, 0xa0, kvm_vcpu_events);
ioctl_ior_nr!(KVM_GET_DEBUGREGS, KVMIO, 0xa1, kvm_debugregs);
ioctl_iow_nr!(KVM_SET_DEBUGREGS, KVMIO, 0xa2, kvm_debugregs);
ioctl_ior_nr!(KVM_GET_XSAVE, KVMIO, 0xa4, kvm_xsave);
ioctl_iow_nr!(KVM_SET_XSAVE, KVMIO, 0xa5, kvm_xsave);
ioctl_ior_nr!(KVM_GET_XCRS, KVMIO, 0xa6, kvm_xcrs);
ioctl_iow_nr!(KVM_SET_XCRS, KVMIO, 0xa7, kvm_xcrs);
// Block devices as disk images (imago asks their size and sector size when it opens one).
ioctl_io_nr!(BLKSSZGET, 0x12, 104);
ioctl_ior_nr!(BLKGETSIZE64, 0x12, 114, u64);

/// Raising a guest interrupt: a line (INTx, the i8042, the serial port's), an MSI.
pub fn interrupts() -> Vec<u64> {
    vec![KVM_IRQ_LINE(), KVM_IRQ_LINE_STATUS(), KVM_SIGNAL_MSI()]
}

/// The framebuffer's dirty log.
pub fn dirty_log() -> Vec<u64> {
    vec![KVM_GET_DIRTY_LOG()]
}

/// What a running VM's devices change in KVM: the guest programming its MSI-X vectors (GSI
/// routes, irqfds), flash and VGA switching a memory slot between ROM and RAM, the
/// eventfds devices are kicked and complete through, and the serial port's coalesced zone
/// (on and off with its transmit interrupt).
pub fn vm_devices() -> Vec<u64> {
    let mut v = interrupts();
    v.extend(dirty_log());
    v.extend([
        KVM_SET_GSI_ROUTING(),
        KVM_IRQFD(),
        KVM_IOEVENTFD(),
        KVM_SET_USER_MEMORY_REGION(),
        KVM_REGISTER_COALESCED_MMIO(),
        KVM_UNREGISTER_COALESCED_MMIO(),
    ]);
    v
}

/// A vCPU's whole state, read and written: the inspector, snapshots, reset in place.
pub fn vcpu_state() -> Vec<u64> {
    vec![
        KVM_GET_REGS(),
        KVM_SET_REGS(),
        KVM_GET_SREGS(),
        KVM_SET_SREGS(),
        KVM_GET_MSRS(),
        KVM_SET_MSRS(),
        KVM_GET_FPU(),
        KVM_SET_FPU(),
        KVM_GET_LAPIC(),
        KVM_SET_LAPIC(),
        KVM_GET_CPUID2(),
        KVM_SET_CPUID2(),
        KVM_GET_MP_STATE(),
        KVM_SET_MP_STATE(),
        KVM_GET_VCPU_EVENTS(),
        KVM_SET_VCPU_EVENTS(),
        KVM_GET_DEBUGREGS(),
        KVM_SET_DEBUGREGS(),
        KVM_GET_XSAVE(),
        KVM_SET_XSAVE(),
        KVM_GET_XCRS(),
        KVM_SET_XCRS(),
    ]
}

/// The VM-wide state snapshots and reset in place save and restore: interrupt controllers,
/// the PIT, the clock.
pub fn vm_state() -> Vec<u64> {
    vec![
        KVM_GET_IRQCHIP(),
        KVM_SET_IRQCHIP(),
        KVM_GET_PIT2(),
        KVM_SET_PIT2(),
        KVM_GET_CLOCK(),
        KVM_SET_CLOCK(),
    ]
}

/// Running a vCPU, single-stepping it (the inspector's step).
pub fn vcpu_run() -> Vec<u64> {
    vec![KVM_RUN(), KVM_SET_GUEST_DEBUG()]
}

/// Opening a disk image that is a block device.
pub fn block_device() -> Vec<u64> {
    vec![BLKSSZGET(), BLKGETSIZE64()]
}

/// A live snapshot's write watch (`snapshot::write_watch`): the userfaultfd set-up and the
/// pagemap scan that lists (and re-protects) the pages written during the pre-copy.
pub fn write_watch() -> Vec<u64> {
    crate::snapshot::write_watch::IOCTLS.to_vec()
}

/// The terminal's mode (`--console`): read at start, restored at the end.
pub fn terminal() -> Vec<u64> {
    vec![libc::TCGETS, libc::TCSETS]
}
