//! KVM's coalesced-I/O ring for the UART's transmit register.
//!
//! With a port registered as a coalesced zone, KVM queues the guest's writes to it in a ring
//! page shared with us instead of leaving KVM_RUN for each: a kernel printing to its serial
//! console makes two exits per character (poll LSR, write THR), and this takes the second one
//! out of userspace. Reads still exit, and every access to the UART that does exit drains the
//! ring first, so the device sees the writes in the order the guest made them.
//!
//! Written here rather than taken from kvm-ioctls: its ring reader is private to a `VcpuFd`
//! and borrows it mutably, while ours is read by whichever thread holds the UART's lock (a
//! vCPU, or the serial pump when the guest has gone quiet).

use kvm_bindings::{kvm_coalesced_mmio, kvm_coalesced_mmio_ring, KVM_COALESCED_MMIO_PAGE_OFFSET};
use kvm_ioctls::{IoEventAddress, VmFd};
use std::io;
use std::os::fd::AsRawFd;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// What the UART needs from a coalescing mechanism; the KVM one is [`CoalescedPort`], tests
/// use a fake.
pub trait Coalescer: Send {
    /// The next value the guest wrote to the port, oldest first.
    fn pop(&mut self) -> Option<u8>;
    /// Starts (`true`) or stops queueing the guest's writes.
    fn set_queueing(&mut self, on: bool) -> io::Result<()>;
}

/// One port's writes queued by KVM.
pub struct CoalescedPort {
    ring: Ring,
    vm: Arc<VmFd>,
    port: u16,
    registered: bool,
}

impl CoalescedPort {
    /// Maps the VM's ring through a vCPU's file (every vCPU's maps the same page).
    pub fn new(vm: Arc<VmFd>, vcpu: &impl AsRawFd, port: u16) -> io::Result<Self> {
        Ok(CoalescedPort {
            ring: Ring::map(vcpu)?,
            vm,
            port,
            registered: false,
        })
    }
}

impl Coalescer for CoalescedPort {
    fn pop(&mut self) -> Option<u8> {
        loop {
            let e = self.ring.pop()?;
            // Only this port is registered; anything else would be a KVM bug: skip it.
            // SAFETY: `pio` is the union's only member KVM writes; any bit pattern is a u32.
            let pio = unsafe { e.__bindgen_anon_1.pio };
            if pio == 1 && e.phys_addr == u64::from(self.port) && e.len >= 1 {
                return Some(e.data[0]);
            }
        }
    }

    fn set_queueing(&mut self, on: bool) -> io::Result<()> {
        if on == self.registered {
            return Ok(());
        }
        let addr = IoEventAddress::Pio(self.port.into());
        let r = if on {
            self.vm.register_coalesced_mmio(addr, 1)
        } else {
            self.vm.unregister_coalesced_mmio(addr, 1)
        };
        r.map_err(|e| io::Error::from_raw_os_error(e.errno()))?;
        self.registered = on;
        Ok(())
    }
}

impl Drop for CoalescedPort {
    fn drop(&mut self) {
        let _ = self.set_queueing(false);
    }
}

/// The mapped ring page: `first` is ours to advance, `last` KVM's.
struct Ring {
    page: NonNull<kvm_coalesced_mmio_ring>,
    len: usize,
    /// Entries the page holds.
    max: u32,
}

// SAFETY: the page is plain shared memory; every access goes through `&mut self` (the owner
// holds the UART's lock) with atomic loads and stores of the two indexes.
unsafe impl Send for Ring {}

impl Ring {
    fn map(vcpu: &impl AsRawFd) -> io::Result<Ring> {
        // SAFETY: sysconf has no memory effects.
        let len = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        let len = usize::try_from(len).map_err(|_| io::Error::other("no page size"))?;
        let offset = libc::off_t::from(KVM_COALESCED_MMIO_PAGE_OFFSET) * len as libc::off_t;
        // SAFETY: a fresh shared mapping of the vCPU file's ring page; KVM keeps the page for as
        // long as it is mapped, and we unmap it only in Drop.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                vcpu.as_raw_fd(),
                offset,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let header = std::mem::size_of::<kvm_coalesced_mmio_ring>();
        let max = ((len - header) / std::mem::size_of::<kvm_coalesced_mmio>()) as u32;
        let page = NonNull::new(p.cast()).ok_or_else(|| io::Error::other("mmap gave null"))?;
        Ok(Ring { page, len, max })
    }

    fn indexes(&self) -> (&AtomicU32, &AtomicU32) {
        let ring = self.page.as_ptr();
        // SAFETY: `first` and `last` are aligned u32s in the mapped page, which outlives
        // `self`; KVM writes `last` concurrently, hence atomics.
        unsafe {
            (
                AtomicU32::from_ptr(std::ptr::addr_of_mut!((*ring).first)),
                AtomicU32::from_ptr(std::ptr::addr_of_mut!((*ring).last)),
            )
        }
    }

    /// The oldest entry, as the KVM API describes: read `last`, then the entry, then publish
    /// the new `first`.
    fn pop(&mut self) -> Option<kvm_coalesced_mmio> {
        let (first, last) = self.indexes();
        let f = first.load(Ordering::Relaxed);
        let l = last.load(Ordering::Acquire);
        if f == l || f >= self.max || l >= self.max {
            return None;
        }
        // SAFETY: `f < max`, so the entry lies inside the mapped page after the header.
        let e = unsafe {
            let entries = std::ptr::addr_of!((*self.page.as_ptr()).coalesced_mmio)
                .cast::<kvm_coalesced_mmio>();
            std::ptr::read_volatile(entries.add(f as usize))
        };
        first.store((f + 1) % self.max, Ordering::Release);
        Some(e)
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `map`, unmapped once.
        unsafe { libc::munmap(self.page.as_ptr().cast(), self.len) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kvm_bindings::kvm_userspace_memory_region;
    use kvm_ioctls::{Cap, Kvm, VcpuExit};

    /// Real KVM: writes to a queued port do not leave KVM_RUN and come out of the ring in order;
    /// a read still exits; once queueing stops, a write exits again.
    #[test]
    fn queued_writes_stay_in_kvm_and_come_out_in_order() {
        let test = "queued_writes_stay_in_kvm_and_come_out_in_order";
        if !vmdesk_test_support::kvm_or_skip(test) {
            return;
        }
        let kvm = Kvm::new().unwrap();
        if !kvm.check_extension(Cap::CoalescedPio) {
            println!("{test}: skipped: this KVM has no KVM_CAP_COALESCED_PIO");
            return;
        }
        let vm = Arc::new(kvm.create_vm().unwrap());
        // mov dx,0x3f8; mov al,'A'; out dx,al; mov al,'B'; out dx,al; in al,dx;
        // mov al,'C'; out dx,al; hlt
        let code: &[u8] = &[
            0xba, 0xf8, 0x03, 0xb0, b'A', 0xee, 0xb0, b'B', 0xee, 0xec, 0xb0, b'C', 0xee, 0xf4,
        ];
        let mem =
            vm_memory::GuestMemoryMmap::<()>::from_ranges(&[(vm_memory::GuestAddress(0), 0x2000)])
                .unwrap();
        use vm_memory::{Bytes, GuestMemoryBackend};
        mem.write_slice(code, vm_memory::GuestAddress(0x1000))
            .unwrap();
        let host = mem.get_host_address(vm_memory::GuestAddress(0)).unwrap();
        // SAFETY: `mem` outlives the VM in this test.
        unsafe {
            vm.set_user_memory_region(kvm_userspace_memory_region {
                slot: 0,
                guest_phys_addr: 0,
                memory_size: 0x2000,
                userspace_addr: host as u64,
                flags: 0,
            })
            .unwrap();
        }
        let mut vcpu = vm.create_vcpu(0).unwrap();
        let mut sregs = vcpu.get_sregs().unwrap();
        sregs.cs.base = 0;
        sregs.cs.selector = 0;
        vcpu.set_sregs(&sregs).unwrap();
        let mut regs = vcpu.get_regs().unwrap();
        regs.rip = 0x1000;
        regs.rflags = 2;
        vcpu.set_regs(&regs).unwrap();

        let mut port = CoalescedPort::new(vm.clone(), &vcpu, 0x3f8).unwrap();
        port.set_queueing(true).unwrap();
        // The two writes are queued: the first exit is the read.
        match vcpu.run().unwrap() {
            VcpuExit::IoIn(0x3f8, _) => {}
            other => panic!("expected the IN at 0x3f8 first, got {other:?}"),
        }
        assert_eq!(port.pop(), Some(b'A'));
        assert_eq!(port.pop(), Some(b'B'));
        assert_eq!(port.pop(), None);
        // Not queued any more: the third write exits.
        port.set_queueing(false).unwrap();
        match vcpu.run().unwrap() {
            VcpuExit::IoOut(0x3f8, d) => assert_eq!(d, b"C"),
            other => panic!("expected the OUT of 'C', got {other:?}"),
        }
        assert_eq!(port.pop(), None);
    }
}
