//! Cache leaves: Intel's leaf 4, AMD's 0x80000005/6 and 0x8000001D. The host's descriptions are
//! kept where KVM gives them (sizes are the host's truth) and only the sharing counts are
//! rewritten for the VM; where KVM gives none, QEMU's "legacy" caches (`target/i386/cpu.c`).

use super::cpuid::{Table, Topo, Vendor};

/// One cache, as leaf 4 and 0x8000001D describe it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Cache {
    /// 1 data, 2 instruction, 3 unified.
    kind: u32,
    level: u32,
    line: u32,
    ways: u32,
    sets: u32,
    inclusive: bool,
}

impl Cache {
    const fn new(kind: u32, level: u32, ways: u32, sets: u32, inclusive: bool) -> Cache {
        Cache {
            kind,
            level,
            line: 64,
            ways,
            sets,
            inclusive,
        }
    }

    fn size_kib(&self) -> u32 {
        self.line * self.ways * self.sets / 1024
    }
}

/// QEMU's legacy Intel caches: 32 KiB 8-way L1d/L1i, 4 MiB 16-way L2, 16 MiB 16-way L3.
const INTEL: [Cache; 4] = [
    Cache::new(1, 1, 8, 64, false),
    Cache::new(2, 1, 8, 64, false),
    Cache::new(3, 2, 16, 4096, false),
    Cache::new(3, 3, 16, 16384, true),
];

/// QEMU's legacy AMD caches: 64 KiB 2-way L1d/L1i, 512 KiB 16-way L2, 16 MiB 16-way L3.
const AMD: [Cache; 4] = [
    Cache::new(1, 1, 2, 512, false),
    Cache::new(2, 1, 2, 512, false),
    Cache::new(3, 2, 16, 512, false),
    Cache::new(3, 3, 16, 16384, true),
];

/// Logical processors sharing a cache of `level`, minus one: a core's own L1 and L2 (one thread
/// per core), the package's L3 and beyond.
fn sharing_minus_one(level: u32, topo: &Topo) -> u32 {
    if level >= 3 {
        topo.pkg_ids() - 1
    } else {
        0
    }
}

/// EAX/EBX/ECX/EDX of a leaf 4 or 0x8000001D subleaf (same layout; leaf 4 adds the cores).
fn encode(c: &Cache, topo: &Topo, leaf4: bool) -> [u32; 4] {
    let mut eax = c.kind | (c.level << 5) | (1 << 8) | (sharing_minus_one(c.level, topo) << 14);
    if leaf4 {
        eax |= (topo.pkg_ids() - 1) << 26;
    }
    let ebx = (c.line - 1) | ((c.ways - 1) << 22);
    [eax, ebx, c.sets - 1, u32::from(c.inclusive) << 1]
}

/// Rewrites the sharing fields (and for leaf 4 the cores) of the host's subleaves of `leaf`;
/// false when KVM gave no cache there.
fn rewrite_host(t: &mut Table, leaf: u32, topo: &Topo) -> bool {
    if t.get(leaf, 0).is_none_or(|e| e.eax & 0x1f == 0) {
        return false;
    }
    for e in t.0.iter_mut().filter(|e| e.function == leaf) {
        if e.eax & 0x1f == 0 {
            continue; // the terminating subleaf
        }
        let level = (e.eax >> 5) & 7;
        e.eax = (e.eax & !(0xfff << 14)) | (sharing_minus_one(level, topo) << 14);
        if leaf == 4 {
            e.eax = (e.eax & 0x03ff_ffff) | ((topo.pkg_ids() - 1) << 26);
        }
    }
    true
}

/// Replaces `leaf` with `caches` and a terminating null subleaf.
fn write_all(t: &mut Table, leaf: u32, caches: &[Cache], topo: &Topo) {
    t.remove(leaf);
    for (i, c) in caches.iter().enumerate() {
        t.set(leaf, i as u32, encode(c, topo, leaf == 4), true);
    }
    t.set(leaf, caches.len() as u32, [0; 4], true);
}

/// AMD's associativity code in 0x80000006 (L2/L3).
fn amd_assoc(ways: u32) -> u32 {
    match ways {
        1 => 1,
        2 => 2,
        4 => 4,
        8 => 6,
        16 => 8,
        32 => 0xa,
        48 => 0xb,
        64 => 0xc,
        96 => 0xd,
        128 => 0xe,
        _ => 0xf, // fully associative: the closest honest answer for an odd count
    }
}

/// 0x80000005 ECX/EDX (L1d/L1i) and 0x80000006 ECX/EDX (L2/L3) for `caches`; the TLB fields
/// (EAX/EBX) stay as KVM gave them.
fn write_amd_legacy(t: &mut Table, caches: &[Cache; 4]) {
    let l1 = |c: &Cache| (c.size_kib() << 24) | (c.ways << 16) | (1 << 8) | c.line;
    let [l1d, l1i, l2, l3] = caches;
    if let Some(e) = t.get_mut(0x8000_0005, 0) {
        e.ecx = l1(l1d);
        e.edx = l1(l1i);
    }
    if let Some(e) = t.get_mut(0x8000_0006, 0) {
        e.ecx = (l2.size_kib() << 16) | (amd_assoc(l2.ways) << 12) | (1 << 8) | l2.line;
        e.edx = ((l3.size_kib() / 512) << 18) | (amd_assoc(l3.ways) << 12) | (1 << 8) | l3.line;
    }
}

pub(super) fn set_caches(t: &mut Table, topo: &Topo, vendor: Vendor) {
    match vendor {
        Vendor::Intel => {
            if t.in_range(4) && !rewrite_host(t, 4, topo) {
                write_all(t, 4, &INTEL, topo);
                // Leaf 2 descriptor 0xFF: "no descriptors, read leaf 4".
                if t.get(2, 0).is_none_or(|e| e.eax == 0) {
                    t.set(2, 0, [0xff01, 0, 0, 0], false);
                }
                if let Some(e) = t.get_mut(0x8000_0006, 0) {
                    let l2 = &INTEL[2];
                    e.ecx = (l2.size_kib() << 16) | (amd_assoc(l2.ways) << 12) | l2.line;
                }
            }
        }
        Vendor::Amd => {
            let topoext = t
                .get(0x8000_0001, 0)
                .is_some_and(|e| e.ecx & (1 << 22) != 0);
            let legacy = |t: &Table| {
                t.get(0x8000_0005, 0).is_some_and(|e| e.ecx != 0)
                    && t.get(0x8000_0006, 0).is_some_and(|e| e.ecx != 0)
            };
            let host_legacy = legacy(t);
            let host_topo =
                topoext && t.in_range(0x8000_001d) && rewrite_host(t, 0x8000_001d, topo);
            // Both from the host, or both ours: never a mix that disagrees.
            if !host_legacy || (topoext && t.in_range(0x8000_001d) && !host_topo) {
                write_amd_legacy(t, &AMD);
                if topoext && t.in_range(0x8000_001d) {
                    write_all(t, 0x8000_001d, &AMD, topo);
                }
            }
        }
        Vendor::Other => {}
    }
}
