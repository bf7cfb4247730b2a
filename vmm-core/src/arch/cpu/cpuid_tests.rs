//! The tables `vcpu_cpuid` makes from synthetic Intel-like and AMD-like bases.

use super::*;

fn e(function: u32, index: u32, r: [u32; 4]) -> kvm_cpuid_entry2 {
    kvm_cpuid_entry2 {
        function,
        index,
        flags: if matches!(function, 4 | 0xb | 0xd | 0x8000_001d) {
            KVM_CPUID_FLAG_SIGNIFCANT_INDEX
        } else {
            0
        },
        eax: r[0],
        ebx: r[1],
        ecx: r[2],
        edx: r[3],
        ..Default::default()
    }
}

/// What KVM_GET_SUPPORTED_CPUID gives on this project's AMD EPYC / kvm_pvm hosts (measured,
/// the leaves that matter): no brand string, host caches in 0x80000005/6/1D, 2 cores in 1 and
/// 0x80000008, 0x8000001E empty.
fn amd_base() -> Vec<kvm_cpuid_entry2> {
    vec![
        e(0, 0, [0xd, 0x6874_7541, 0x444d_4163, 0x6974_6e65]),
        e(1, 0, [0x00a0_0f11, 0x0102_0800, 0x8120_2000, 0x078b_fbff]),
        e(4, 0, [0; 4]),
        e(0xb, 0, [0, 0, 0, 1]),
        e(
            0x8000_0000,
            0,
            [0x8000_0021, 0x6874_7541, 0x444d_4163, 0x6974_6e65],
        ),
        e(
            0x8000_0001,
            0,
            [0x00a0_0f11, 0x4000_0000, 0x0040_0393, 0x23d3_fbff],
        ),
        e(0x8000_0002, 0, [0; 4]),
        e(0x8000_0003, 0, [0; 4]),
        e(0x8000_0004, 0, [0; 4]),
        e(
            0x8000_0005,
            0,
            [0xff40_ff40, 0xff40_ff40, 0x2008_0140, 0x2008_0140],
        ),
        e(
            0x8000_0006,
            0,
            [0x4800_2200, 0x6800_4200, 0x0200_6140, 0x0800_9140],
        ),
        e(0x8000_0008, 0, [0x3030, 0x1000_0005, 0x7001, 0]),
        e(0x8000_001d, 0, [0x121, 0x01c0_003f, 0x3f, 0]),
        e(0x8000_001d, 1, [0x122, 0x01c0_003f, 0x3f, 0]),
        e(0x8000_001d, 2, [0x143, 0x01c0_003f, 0x3ff, 2]),
        e(0x8000_001d, 3, [0x4163, 0x03c0_003f, 0x7fff, 1]),
        e(0x8000_001d, 4, [0; 4]),
        e(0x8000_001e, 0, [0; 4]),
    ]
}

/// An Intel host with hyper-threading: leaf 4 says 2 threads share L1/L2, 16 share L3, 8 cores.
fn intel_base() -> Vec<kvm_cpuid_entry2> {
    let brand = brand_bytes("Intel(R) Xeon(R) Test CPU @ 2.00GHz");
    let r = |i: usize| u32::from_le_bytes(brand[i * 4..][..4].try_into().unwrap());
    vec![
        e(0, 0, [0x1f, 0x756e_6547, 0x6c65_746e, 0x4965_6e69]),
        e(1, 0, [0x0005_0657, 0x0110_0800, 0x7ffa_3203, 0x1f8b_fbff]),
        e(2, 0, [0x0000_0001, 0, 0x004d_0000, 0]),
        e(4, 0, [0x1c00_4121, 0x01c0_003f, 0x3f, 0]),
        e(4, 1, [0x1c00_4122, 0x01c0_003f, 0x3f, 0]),
        e(4, 2, [0x1c00_4143, 0x03c0_003f, 0x3ff, 0]),
        e(4, 3, [0x1c03_c163, 0x03c0_003f, 0x6fff, 6]),
        e(4, 4, [0; 4]),
        e(0xb, 0, [1, 2, 0x100, 5]),
        e(0xb, 1, [4, 16, 0x201, 5]),
        e(0x1f, 0, [1, 2, 0x100, 5]),
        e(0x8000_0000, 0, [0x8000_0008, 0, 0, 0]),
        e(0x8000_0001, 0, [0, 0, 0x121, 0x2c10_0800]),
        e(0x8000_0002, 0, [r(0), r(1), r(2), r(3)]),
        e(0x8000_0003, 0, [r(4), r(5), r(6), r(7)]),
        e(0x8000_0004, 0, [r(8), r(9), r(10), r(11)]),
        e(0x8000_0006, 0, [0, 0, 0x0400_6040, 0]),
        e(0x8000_0008, 0, [0x3027, 0, 0, 0]),
    ]
}

fn table(base: &[kvm_cpuid_entry2], index: u8, count: u8) -> Table {
    let base = CpuId::from_entries(base).unwrap();
    Table(
        vcpu_cpuid_with(&base, index, count, None)
            .as_slice()
            .to_vec(),
    )
}

fn regs(t: &Table, f: u32, i: u32) -> [u32; 4] {
    let e = t.get(f, i).unwrap_or_else(|| panic!("no leaf {f:#x}.{i}"));
    [e.eax, e.ebx, e.ecx, e.edx]
}

fn brand(t: &Table) -> String {
    let b: Vec<u8> = (0x8000_0002..=0x8000_0004)
        .flat_map(|f| regs(t, f, 0))
        .flat_map(u32::to_le_bytes)
        .collect();
    assert_eq!(b[47], 0, "the brand string is NUL terminated");
    String::from_utf8(b.split(|&c| c == 0).next().unwrap().to_vec()).unwrap()
}

/// Subleaves of a cache leaf: (level, sharing threads, leaf-4 cores or 0).
fn caches(t: &Table, f: u32) -> Vec<(u32, u32, u32)> {
    (0..)
        .map(|i| regs(t, f, i)[0])
        .take_while(|eax| eax & 0x1f != 0)
        .map(|eax| ((eax >> 5) & 7, ((eax >> 14) & 0xfff) + 1, (eax >> 26) + 1))
        .collect()
}

#[test]
fn vendors_are_read_from_leaf_0() {
    assert_eq!(vendor(&amd_base()), Vendor::Amd);
    assert_eq!(vendor(&intel_base()), Vendor::Intel);
    assert_eq!(vendor(&[]), Vendor::Other);
}

#[test]
fn brand_string_kept_else_host_else_ours() {
    assert_eq!(
        brand(&table(&intel_base(), 0, 1)),
        "Intel(R) Xeon(R) Test CPU @ 2.00GHz"
    );
    assert_eq!(brand(&table(&amd_base(), 0, 1)), FALLBACK_BRAND);
    let base = CpuId::from_entries(&amd_base()).unwrap();
    let host = brand_bytes("AMD EPYC");
    let t = Table(
        vcpu_cpuid_with(&base, 0, 1, Some(&host))
            .as_slice()
            .to_vec(),
    );
    assert_eq!(brand(&t), "AMD EPYC");
    // Too long a name is cut to 47 bytes, keeping the NUL.
    assert_eq!(brand_bytes(&"x".repeat(60))[46..], [b'x', 0]);
}

#[test]
fn topology_matches_the_vcpu_count_on_both_vendors() {
    for base in [amd_base(), intel_base()] {
        for n in [1u8, 2, 8] {
            let mut apic_ids = Vec::new();
            for i in 0..n {
                let t = table(&base, i, n);
                let [_, ebx, ecx, edx] = regs(&t, 1, 0);
                assert_eq!((ebx >> 16) & 0xff, u32::from(n), "leaf 1 logical count");
                assert_eq!(edx & (1 << 28) != 0, n > 1, "HTT");
                assert_ne!(ecx & (1 << 31), 0, "hypervisor bit");
                let apic = ebx >> 24;
                // x2APIC topology: 1 thread per core, n cores; the same APIC ID everywhere.
                assert_eq!(regs(&t, 0xb, 0), [0, 1, 0x100, apic]);
                assert_eq!(regs(&t, 0xb, 1)[1..], [u32::from(n), 0x201, apic]);
                assert_eq!(regs(&t, 0xb, 2)[2..], [2, apic]);
                let shift = regs(&t, 0xb, 1)[0];
                assert!(
                    1 << shift >= u32::from(n) && apic >> shift == 0,
                    "one package"
                );
                apic_ids.push(apic);
                if vendor(&base) == Vendor::Amd {
                    assert_eq!(regs(&t, 0x8000_0008, 0)[2] & 0xff, u32::from(n) - 1, "NC");
                    assert_eq!(
                        regs(&t, 0x8000_001e, 0)[..2],
                        [apic, apic],
                        "ext APIC/core id"
                    );
                    let cmp_legacy = regs(&t, 0x8000_0001, 0)[2] & 2 != 0;
                    assert_eq!(cmp_legacy, n > 1);
                } else {
                    assert_eq!(regs(&t, 0x1f, 1)[1], u32::from(n));
                }
            }
            apic_ids.sort_unstable();
            apic_ids.dedup();
            assert_eq!(apic_ids.len(), usize::from(n), "APIC ids unique");
        }
    }
}

#[test]
fn cache_sharing_and_cores_match_the_vm() {
    for n in [1u8, 2, 8] {
        let n32 = u32::from(n);
        // Intel: the host's four caches kept, sharing rewritten, cores per package = n.
        let intel = caches(&table(&intel_base(), 0, n), 4);
        assert_eq!(
            intel,
            [(1, 1, n32), (1, 1, n32), (2, 1, n32), (3, n32, n32)]
        );
        // AMD: the host's 0x8000001D kept, sharing rewritten (L3 by the package).
        let t = table(&amd_base(), n - 1, n);
        let amd: Vec<_> = caches(&t, 0x8000_001d).iter().map(|c| (c.0, c.1)).collect();
        assert_eq!(amd, [(1, 1), (1, 1), (2, 1), (3, n32)]);
        // … with the host's sizes, which 0x80000005 and 0x80000006 repeat.
        assert_eq!(regs(&t, 0x8000_001d, 3)[1..3], [0x03c0_003f, 0x7fff]);
        assert_eq!(regs(&t, 0x8000_0005, 0)[2], 0x2008_0140);
    }
}

#[test]
fn caches_default_to_qemus_legacy_ones_when_kvm_gives_none() {
    let size_kib = |r: [u32; 4]| {
        ((r[1] & 0xfff) + 1) * (((r[1] >> 12) & 0x3ff) + 1) * ((r[1] >> 22) + 1) * (r[2] + 1) / 1024
    };
    // Intel with an empty leaf 4.
    let mut base = intel_base();
    base.retain(|e| e.function != 4);
    base.push(e(4, 0, [0; 4]));
    let t = table(&base, 1, 2);
    assert_eq!(caches(&t, 4), [(1, 1, 2), (1, 1, 2), (2, 1, 2), (3, 2, 2)]);
    let sizes: Vec<u32> = (0..4).map(|i| size_kib(regs(&t, 4, i))).collect();
    assert_eq!(sizes, [32, 32, 4096, 16384]);
    assert_eq!(regs(&t, 4, 4), [0; 4], "terminating subleaf");
    // AMD with no cache leaves at all: 0x8000001D and 0x80000005/6 agree.
    let mut base = amd_base();
    base.retain(|e| !matches!(e.function, 0x8000_0005 | 0x8000_0006 | 0x8000_001d));
    base.push(e(0x8000_0005, 0, [0; 4]));
    base.push(e(0x8000_0006, 0, [0; 4]));
    let t = table(&base, 0, 8);
    let sizes: Vec<u32> = (0..4).map(|i| size_kib(regs(&t, 0x8000_001d, i))).collect();
    assert_eq!(sizes, [64, 64, 512, 16384]);
    assert_eq!(regs(&t, 0x8000_0005, 0)[2] >> 24, 64, "L1d KiB");
    assert_eq!(regs(&t, 0x8000_0005, 0)[3] >> 24, 64, "L1i KiB");
    assert_eq!(regs(&t, 0x8000_0006, 0)[2] >> 16, 512, "L2 KiB");
    assert_eq!((regs(&t, 0x8000_0006, 0)[3] >> 18) * 512, 16384, "L3 KiB");
    assert_eq!(caches(&t, 0x8000_001d)[3].1, 8, "L3 shared by 8");
}

#[test]
fn a_hostile_count_does_not_panic() {
    // Index past the count and a zero count: the builder never passes them, but no panic.
    let t = table(&amd_base(), 200, 0);
    assert_eq!((regs(&t, 1, 0)[1] >> 16) & 0xff, 1);
    let _ = table(&intel_base(), 255, 255);
}
