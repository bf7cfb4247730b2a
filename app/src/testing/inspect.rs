//! The fake VMM's inspector answers (`vmdesk inspect`'s tests): a small, fixed machine.

use vmm_core::api::{
    CpuMode, DeviceKind, DeviceView, ExitLog, ExitRecord, HostView, Inspection, MemoryRegionView,
    QueueView, RegionKind, Registers, SegmentView, ThreadView, VcpuView,
};

/// One vCPU in long mode at a known RIP, RAM and a virtio window, two devices, two threads.
pub fn fake_inspection() -> Inspection {
    let thread = ThreadView {
        tid: 4242,
        name: "vcpu0".into(),
        cpu_us: 1_500_000,
        last_cpu: 1,
    };
    Inspection {
        state: "running".into(),
        vcpus: vec![VcpuView {
            index: 0,
            mode: CpuMode::Long,
            paging: true,
            cpl: 0,
            halted: false,
            fresh: true,
            regs: Registers {
                rax: 0x1111_1111_1111_1112,
                rip: 0x10_0567,
                rsp: 0x10_8ff0,
                cr0: 0x8000_0011,
                cr3: 0x9000,
                cr4: 0x20,
                efer: 0x500,
                cs: SegmentView {
                    selector: 0x10,
                    l: true,
                    ..Default::default()
                },
                ..Default::default()
            },
            code: "48ffc0e680ebf9".into(),
            thread: thread.clone(),
            exits: vec![("io-out".into(), 1234), ("hlt".into(), 0)],
        }],
        memory: vec![
            MemoryRegionView {
                start: 0,
                size: 128 << 20,
                kind: RegionKind::Ram,
                name: "RAM below 4 GiB".into(),
                touched_bytes: Some(12 << 20),
                huge_page_bytes: Some(4 << 20),
            },
            MemoryRegionView {
                start: 0xd000_0000,
                size: 0x1000,
                kind: RegionKind::Mmio,
                name: "virtio-rng 0 (MMIO)".into(),
                touched_bytes: None,
                huge_page_bytes: None,
            },
        ],
        devices: vec![
            DeviceView {
                name: "serial (16550A) COM1".into(),
                kind: DeviceKind::Emulated,
                transport: "isa-pio".into(),
                ports: vec![(0x3f8, 0x3ff)],
                irqs: vec![4],
                exits: 77,
                ..Default::default()
            },
            DeviceView {
                name: "virtio-rng 0".into(),
                kind: DeviceKind::Paravirtual,
                transport: "virtio-mmio".into(),
                mmio: vec![(0xd000_0000, 0x1000)],
                irqs: vec![16],
                queues: vec![QueueView {
                    index: 0,
                    size: 256,
                    served: 3,
                }],
                exits: 9,
                ..Default::default()
            },
        ],
        host: HostView {
            pid: 999,
            rss_bytes: 40 << 20,
            threads: vec![
                thread,
                ThreadView {
                    tid: 4243,
                    name: "api".into(),
                    cpu_us: 2_000,
                    last_cpu: 0,
                },
            ],
        },
    }
}

/// Two OUTs to the POST port and an HLT.
pub fn fake_exit_log() -> ExitLog {
    let out = |seq, value| ExitRecord {
        seq,
        vcpu: 0,
        at_us: 1000 + seq,
        reason: "io-out".into(),
        addr: 0x80,
        size: 1,
        value: Some(value),
        device: Some("POST port".into()),
    };
    ExitLog {
        next: 4,
        dropped: 0,
        entries: vec![
            out(1, 0x12),
            out(2, 0x13),
            ExitRecord {
                seq: 3,
                reason: "hlt".into(),
                ..Default::default()
            },
        ],
    }
}
