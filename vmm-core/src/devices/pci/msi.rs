//! Message-signalled interrupts through KVM: each MSI-X vector a device uses gets a GSI of
//! its own, an irqfd on it, and a route (address, data) in KVM's GSI routing table.
//!
//! `KVM_SET_GSI_ROUTING` replaces the whole table, so every table set here carries the
//! in-kernel irqchip's own routes too (the PICs' pins and the IOAPIC's 24), as QEMU's
//! `kvm_pc_setup_irq_routing` does: interrupt lines keep working once MSI routes exist.

use crate::util::lock;
use kvm_bindings::{
    kvm_irq_routing_entry, KvmIrqRouting, KVM_IRQCHIP_IOAPIC, KVM_IRQCHIP_PIC_MASTER,
    KVM_IRQCHIP_PIC_SLAVE, KVM_IRQ_ROUTING_IRQCHIP, KVM_IRQ_ROUTING_MSI,
};
use kvm_ioctls::VmFd;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use vmm_sys_util::eventfd::EventFd;

/// GSIs below this are the irqchip's pins; MSI routes get the ones from here.
pub const MSI_GSI_BASE: u32 = 24;
/// How many MSI routes one VM may have (KVM allows 4096 entries in all).
pub const MSI_GSI_COUNT: u32 = 1024;

/// An MSI message: where the device writes and what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsiMessage {
    pub address: u64,
    pub data: u32,
}

/// Where a function's MSI-X vectors go: a trigger per vector and the message it carries.
/// KVM's routing table in the VMM; a recorder in tests.
pub trait MsiVectors: Send + Sync {
    /// Number of vectors.
    fn count(&self) -> usize;
    /// Sends vector `index` (its route must have been set).
    fn trigger(&self, index: usize);
    /// Sets (or with `None` removes) the message vector `index` sends.
    fn set_route(&self, index: usize, msg: Option<MsiMessage>) -> Result<(), String>;
}

/// The VM's GSI routing table: the irqchip's pins plus the MSI routes set so far.
pub struct GsiRouting {
    vm: Arc<VmFd>,
    state: Mutex<RoutingState>,
}

#[derive(Default)]
struct RoutingState {
    next: u32,
    msi: BTreeMap<u32, MsiMessage>,
}

impl GsiRouting {
    pub fn new(vm: Arc<VmFd>) -> Arc<Self> {
        Arc::new(GsiRouting {
            vm,
            state: Mutex::new(RoutingState::default()),
        })
    }

    /// `count` vectors, each with a fresh GSI and its irqfd. Errors when the VM's MSI GSIs
    /// run out (a machine-model limit the builder reports) or KVM refuses the irqfd.
    pub fn vectors(self: &Arc<Self>, count: usize) -> Result<KvmMsiVectors, String> {
        let mut gsis = Vec::with_capacity(count);
        let mut fds = Vec::with_capacity(count);
        for _ in 0..count {
            let gsi = {
                let mut s = lock(&self.state);
                if s.next >= MSI_GSI_COUNT {
                    return Err(format!("more than {MSI_GSI_COUNT} MSI vectors"));
                }
                s.next += 1;
                MSI_GSI_BASE + s.next - 1
            };
            let evt = EventFd::new(libc::EFD_NONBLOCK).map_err(|e| format!("eventfd: {e}"))?;
            self.vm
                .register_irqfd(&evt, gsi)
                .map_err(|e| format!("KVM_IRQFD for MSI GSI {gsi}: {e}"))?;
            gsis.push(gsi);
            fds.push(evt);
        }
        Ok(KvmMsiVectors {
            routing: self.clone(),
            gsis,
            fds,
        })
    }

    fn set(&self, gsi: u32, msg: Option<MsiMessage>) -> Result<(), String> {
        let mut s = lock(&self.state);
        let changed = match msg {
            Some(m) => s.msi.insert(gsi, m) != Some(m),
            None => s.msi.remove(&gsi).is_some(),
        };
        if !changed {
            return Ok(());
        }
        let table = routing_table(&s.msi)?;
        self.vm
            .set_gsi_routing(&table)
            .map_err(|e| format!("KVM_SET_GSI_ROUTING: {e}"))
    }
}

/// The whole table: the irqchip's defaults, then one MSI entry per route.
fn routing_table(msi: &BTreeMap<u32, MsiMessage>) -> Result<KvmIrqRouting, String> {
    let mut entries = default_routes();
    for (&gsi, m) in msi {
        let mut e = kvm_irq_routing_entry {
            gsi,
            type_: KVM_IRQ_ROUTING_MSI,
            ..Default::default()
        };
        e.u.msi.address_lo = m.address as u32;
        e.u.msi.address_hi = (m.address >> 32) as u32;
        e.u.msi.data = m.data;
        entries.push(e);
    }
    KvmIrqRouting::from_entries(&entries).map_err(|e| format!("GSI routing table: {e:?}"))
}

/// The in-kernel irqchip's routes: GSIs 0–15 on the two PICs (not 2, the cascade), 0–23 on
/// the IOAPIC.
pub fn default_routes() -> Vec<kvm_irq_routing_entry> {
    let chip = |gsi: u32, irqchip: u32, pin: u32| {
        let mut e = kvm_irq_routing_entry {
            gsi,
            type_: KVM_IRQ_ROUTING_IRQCHIP,
            ..Default::default()
        };
        e.u.irqchip.irqchip = irqchip;
        e.u.irqchip.pin = pin;
        e
    };
    let mut v = Vec::new();
    for gsi in 0..16u32 {
        if gsi == 2 {
            continue;
        }
        let pic = if gsi < 8 {
            KVM_IRQCHIP_PIC_MASTER
        } else {
            KVM_IRQCHIP_PIC_SLAVE
        };
        v.push(chip(gsi, pic, gsi % 8));
    }
    for gsi in 0..24u32 {
        v.push(chip(gsi, KVM_IRQCHIP_IOAPIC, gsi));
    }
    v
}

/// One function's vectors in KVM: irqfds on GSIs whose routes follow its MSI-X table.
pub struct KvmMsiVectors {
    routing: Arc<GsiRouting>,
    gsis: Vec<u32>,
    fds: Vec<EventFd>,
}

impl MsiVectors for KvmMsiVectors {
    fn count(&self) -> usize {
        self.gsis.len()
    }

    fn trigger(&self, index: usize) {
        if let Some(fd) = self.fds.get(index) {
            // A full counter still means "pending": nothing is lost.
            let _ = fd.write(1);
        }
    }

    fn set_route(&self, index: usize, msg: Option<MsiMessage>) -> Result<(), String> {
        match self.gsis.get(index) {
            Some(&gsi) => self.routing.set(gsi, msg),
            None => Err(format!("no MSI vector {index}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_keeps_the_irqchip_pins() {
        let d = default_routes();
        // 15 PIC pins (no cascade) + 24 IOAPIC pins.
        assert_eq!(d.len(), 39);
        let mut msi = BTreeMap::new();
        msi.insert(
            MSI_GSI_BASE,
            MsiMessage {
                address: 0xfee0_0000,
                data: 0x41,
            },
        );
        let t = routing_table(&msi).unwrap();
        let e = t.as_slice();
        assert_eq!(e.len(), 40);
        assert_eq!(
            e[..39].iter().map(|x| x.gsi).collect::<Vec<_>>(),
            d.iter().map(|x| x.gsi).collect::<Vec<_>>()
        );
        assert_eq!(e[39].type_, KVM_IRQ_ROUTING_MSI);
        // SAFETY: the entry was written as an MSI route just above.
        let m = unsafe { e[39].u.msi };
        assert_eq!((m.address_lo, m.address_hi, m.data), (0xfee0_0000, 0, 0x41));
    }

    /// The real thing: routes KVM accepts, an MSI that lands in the LAPIC's IRR, and an
    /// irqchip pin that still reaches the IOAPIC and PIC once MSI routes replaced the table.
    #[test]
    fn kvm_delivers_an_msi_route_and_keeps_the_pins() {
        let test = "kvm_delivers_an_msi_route_and_keeps_the_pins";
        if !vmdesk_test_support::kvm_or_skip(test) {
            return;
        }
        let kvm = kvm_ioctls::Kvm::new().unwrap();
        let vm = Arc::new(kvm.create_vm().unwrap());
        vm.create_irq_chip().unwrap();
        let vcpu = vm.create_vcpu(0).unwrap();
        // The LAPIC accepts fixed interrupts only when software-enabled (SVR bit 8).
        let mut lapic = vcpu.get_lapic().unwrap();
        let svr = 0xf0;
        lapic.regs[svr + 1] |= 1;
        vcpu.set_lapic(&lapic).unwrap();
        let routing = GsiRouting::new(vm.clone());
        let vectors = routing.vectors(2).unwrap();
        assert_eq!(vectors.count(), 2);
        let msg = MsiMessage {
            address: 0xfee0_0000,
            data: 0x41,
        };
        let irr = |v: usize| {
            let l = vcpu.get_lapic().unwrap();
            let b = l.regs[0x200 + (v / 32) * 0x10 + (v % 32) / 8] as u8;
            b & (1 << (v % 8)) != 0
        };
        // Without a route the irqfd goes nowhere.
        vectors.trigger(1);
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(!irr(0x41));
        vectors.set_route(1, Some(msg)).unwrap();
        vectors.trigger(1);
        let t = std::time::Instant::now();
        while !irr(0x41) && t.elapsed() < std::time::Duration::from_secs(2) {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(irr(0x41), "MSI vector 0x41 pending in the LAPIC");
        // GSI 5 is still the IOAPIC's and the master PIC's pin 5.
        vm.set_irq_line(5, true).unwrap();
        let mut chip = kvm_bindings::kvm_irqchip {
            chip_id: KVM_IRQCHIP_IOAPIC,
            ..Default::default()
        };
        vm.get_irqchip(&mut chip).unwrap();
        // SAFETY: the kernel filled the IOAPIC member for this chip id.
        let ioapic_irr = unsafe { chip.chip.ioapic.irr };
        assert_ne!(ioapic_irr & (1 << 5), 0, "IOAPIC pin 5");
        let mut chip = kvm_bindings::kvm_irqchip {
            chip_id: KVM_IRQCHIP_PIC_MASTER,
            ..Default::default()
        };
        vm.get_irqchip(&mut chip).unwrap();
        // SAFETY: the kernel filled the PIC member for this chip id.
        let pic_irr = unsafe { chip.chip.pic.irr };
        assert_ne!(pic_irr & (1 << 5), 0, "PIC pin 5");
        // Removing the route is another whole table, also accepted.
        vectors.set_route(1, None).unwrap();
    }
}
