//! The CPUID table each vCPU sees: KVM's supported CPUID, the host's vendor, with a brand string,
//! cache leaves and a topology that describe this VM rather than the host.
//!
//! Topology: N vCPUs are N cores of one thread each in one socket (one die, one node), so the
//! APIC ID of vCPU i is i and the core field of the APIC ID is `core_bits` = ceil(log2 N) wide.
//! Counts that describe the APIC ID space (leaf 4 EAX[31:26], cache sharing) are powers of two
//! of that width, as the SDM defines them; for 1, 2, 4, 8 … vCPUs they equal N.

use kvm_bindings::{kvm_cpuid_entry2, CpuId, KVM_CPUID_FLAG_SIGNIFCANT_INDEX};

/// Shown when KVM passes no brand string (kvm_pvm passes zeros) and the host's own CPUID has
/// none either. It names the VMM, as QEMU's "QEMU Virtual CPU" does, so nobody takes it for a
/// real part with a real part's caches and clocks.
pub const FALLBACK_BRAND: &str = "vmdesk Virtual CPU";

const TOPOEXT: u32 = 1 << 22; // 0x80000001 ECX: leaves 0x8000001D/0x8000001E are valid
const CMP_LEGACY: u32 = 1 << 1; // 0x80000001 ECX: more than one core per package

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vendor {
    Intel,
    /// AMD and Hygon: the AMD extended leaves describe caches and topology.
    Amd,
    Other,
}

/// The vendor in leaf 0 (EBX, EDX, ECX spell it).
pub fn vendor(entries: &[kvm_cpuid_entry2]) -> Vendor {
    let Some(e) = entries.iter().find(|e| e.function == 0) else {
        return Vendor::Other;
    };
    let mut id = [0u8; 12];
    id[..4].copy_from_slice(&e.ebx.to_le_bytes());
    id[4..8].copy_from_slice(&e.edx.to_le_bytes());
    id[8..].copy_from_slice(&e.ecx.to_le_bytes());
    match &id {
        b"GenuineIntel" => Vendor::Intel,
        b"AuthenticAMD" | b"HygonGenuine" => Vendor::Amd,
        _ => Vendor::Other,
    }
}

/// Patches the supported CPUID for vCPU `index` of `count`: APIC ID, topology, caches, brand
/// string and the hypervisor bit (without it Linux does not look for kvm-clock and its TSC
/// calibration fails under nesting).
pub fn vcpu_cpuid(base: &CpuId, index: u8, count: u8) -> CpuId {
    vcpu_cpuid_with(base, index, count, host_brand().as_ref())
}

/// `vcpu_cpuid` with the brand to use when KVM passes none (`None`: [`FALLBACK_BRAND`]).
pub fn vcpu_cpuid_with(base: &CpuId, index: u8, count: u8, host: Option<&[u8; 48]>) -> CpuId {
    let count = u32::from(count.max(1));
    let topo = Topo {
        index: u32::from(index),
        count,
        core_bits: count.next_power_of_two().trailing_zeros(),
    };
    let mut t = Table(base.as_slice().to_vec());
    let vendor = vendor(&t.0);
    set_brand(&mut t, host);
    set_topology(&mut t, &topo, vendor);
    super::cpuid_cache::set_caches(&mut t, &topo, vendor);
    // The base came from KVM (at most KVM_MAX_CPUID_ENTRIES, ~60 on real hosts) and we add a
    // handful of subleaves; should that not fit, KVM's table unpatched still boots.
    CpuId::from_entries(&t.0).unwrap_or_else(|_| {
        crate::log_line!(
            "vmdesk-vmm: warning: CPUID table too long; vCPU {index} keeps KVM's as is"
        );
        base.clone()
    })
}

pub(super) struct Topo {
    pub index: u32,
    pub count: u32,
    /// Width of the core field of the APIC ID.
    pub core_bits: u32,
}

impl Topo {
    /// Logical processors in the package's APIC ID space.
    pub fn pkg_ids(&self) -> u32 {
        1 << self.core_bits
    }
}

/// The entries, with the look-ups the patches need.
pub(super) struct Table(pub Vec<kvm_cpuid_entry2>);

impl Table {
    pub fn get(&self, function: u32, index: u32) -> Option<&kvm_cpuid_entry2> {
        self.0
            .iter()
            .find(|e| e.function == function && e.index == index)
    }

    pub fn get_mut(&mut self, function: u32, index: u32) -> Option<&mut kvm_cpuid_entry2> {
        self.0
            .iter_mut()
            .find(|e| e.function == function && e.index == index)
    }

    /// Whether the guest reads `function`: it is at most the maximum leaf of its range.
    pub fn in_range(&self, function: u32) -> bool {
        let range = function & 0xffff_0000;
        self.get(range, 0).is_some_and(|e| function <= e.eax)
    }

    /// Sets a leaf's registers, adding the entry when KVM gave none.
    pub fn set(&mut self, function: u32, index: u32, regs: [u32; 4], indexed: bool) {
        let flags = if indexed {
            KVM_CPUID_FLAG_SIGNIFCANT_INDEX
        } else {
            0
        };
        let e = match self.get_mut(function, index) {
            Some(e) => e,
            None => {
                self.0.push(kvm_cpuid_entry2 {
                    function,
                    index,
                    flags,
                    ..Default::default()
                });
                self.0.last_mut().expect("just pushed")
            }
        };
        [e.eax, e.ebx, e.ecx, e.edx] = regs;
    }

    /// Removes every subleaf of `function`.
    pub fn remove(&mut self, function: u32) {
        self.0.retain(|e| e.function != function);
    }
}

/// The 48 bytes of leaves 0x80000002–4, if any is non-zero.
fn brand_of(t: &Table) -> Option<[u8; 48]> {
    let mut b = [0u8; 48];
    for (i, f) in (0x8000_0002..=0x8000_0004u32).enumerate() {
        let e = t.get(f, 0)?;
        for (j, r) in [e.eax, e.ebx, e.ecx, e.edx].iter().enumerate() {
            b[i * 16 + j * 4..][..4].copy_from_slice(&r.to_le_bytes());
        }
    }
    b.iter().any(|&c| c != 0).then_some(b)
}

/// The host's own brand string: what QEMU's `-cpu host` shows too, since it is a name and no
/// feature (kvm_pvm passes none through KVM_GET_SUPPORTED_CPUID).
fn host_brand() -> Option<[u8; 48]> {
    use std::arch::x86_64::__cpuid;
    if __cpuid(0x8000_0000).eax < 0x8000_0004 {
        return None;
    }
    let mut b = [0u8; 48];
    for (i, f) in (0x8000_0002..=0x8000_0004u32).enumerate() {
        let r = __cpuid(f);
        for (j, v) in [r.eax, r.ebx, r.ecx, r.edx].iter().enumerate() {
            b[i * 16 + j * 4..][..4].copy_from_slice(&v.to_le_bytes());
        }
    }
    // Only a printable, non-blank name: anything else is no name.
    let name = b.split(|&c| c == 0).next().unwrap_or_default();
    (name.iter().all(|c| c.is_ascii_graphic() || *c == b' ')
        && name.iter().any(u8::is_ascii_graphic))
    .then_some(b)
}

/// A name as leaves 0x80000002–4 hold it: at most 47 bytes and a NUL, NUL padded (AMD's and
/// QEMU's layout; Linux and SeaBIOS read up to the first NUL).
pub fn brand_bytes(name: &str) -> [u8; 48] {
    let mut b = [0u8; 48];
    let n = name.len().min(47);
    b[..n].copy_from_slice(&name.as_bytes()[..n]);
    b
}

/// KVM's brand string if it passes one, else the host's, else [`FALLBACK_BRAND`].
fn set_brand(t: &mut Table, host: Option<&[u8; 48]>) {
    if !t.in_range(0x8000_0004) {
        return; // a base without the brand leaves: not one KVM gives on x86_64
    }
    let b = brand_of(t)
        .or(host.copied())
        .unwrap_or_else(|| brand_bytes(FALLBACK_BRAND));
    for (i, f) in (0x8000_0002..=0x8000_0004u32).enumerate() {
        let r = |j: usize| u32::from_le_bytes(b[i * 16 + j * 4..][..4].try_into().expect("4"));
        t.set(f, 0, [r(0), r(1), r(2), r(3)], false);
    }
}

fn set_topology(t: &mut Table, topo: &Topo, vendor: Vendor) {
    if let Some(e) = t.get_mut(1, 0) {
        e.ecx |= 1 << 31; // hypervisor present
        e.ebx = (e.ebx & 0x0000_ffff) | (topo.count << 16) | (topo.index << 24);
        if topo.count > 1 {
            e.edx |= 1 << 28; // HTT: the count in EBX[23:16] is valid
        } else {
            e.edx &= !(1 << 28);
        }
    }
    // Extended topology (0xB, and 0x1F where KVM has it): SMT level of 1 thread, core level of
    // `count` cores; the x2APIC ID in EDX of every subleaf.
    for f in [0xb, 0x1f] {
        if !t.in_range(f) || (f == 0x1f && t.get(f, 0).is_none()) {
            continue;
        }
        t.remove(f);
        let id = topo.index;
        t.set(f, 0, [0, 1, 1 << 8, id], true);
        t.set(f, 1, [topo.core_bits, topo.count, (2 << 8) | 1, id], true);
        t.set(f, 2, [0, 0, 2, id], true);
    }
    if vendor != Vendor::Amd {
        return;
    }
    let topoext = match t.get_mut(0x8000_0001, 0) {
        Some(e) => {
            if topo.count > 1 {
                e.ecx |= CMP_LEGACY;
            } else {
                e.ecx &= !CMP_LEGACY;
            }
            e.ecx & TOPOEXT != 0
        }
        None => false,
    };
    if let Some(e) = t.get_mut(0x8000_0008, 0) {
        // NC (cores - 1) and ApicIdSize (the core field's width); PerfTscSize kept.
        e.ecx = (e.ecx & !0xf0ff) | (topo.core_bits << 12) | (topo.count - 1);
    }
    if topoext && t.in_range(0x8000_001e) {
        // Extended APIC ID; compute unit (core) ID with 1 thread; node 0 of 1.
        t.set(0x8000_001e, 0, [topo.index, topo.index & 0xff, 0, 0], false);
    }
}

#[cfg(test)]
#[path = "cpuid_tests.rs"]
mod tests;
