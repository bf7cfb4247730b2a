//! The fake VMM's inspector answers for the GUI's tests: a two-vCPU machine whose registers
//! and counts are a function of how often it was polled (`ticks`), so a test sees the panel
//! refresh while the VM runs, freeze while it is paused, and change by one step on `step`.

use vmm_core::api::{
    CpuMode, DeviceKind, DeviceView, ExitLog, ExitRecord, HostView, Inspection, MemoryRegionView,
    QueueView, RegionKind, Registers, SegmentView, Stepped, ThreadView, VcpuView,
};

/// How many exits the fake's ring holds: older ones are "dropped".
const RING: u64 = 64;
/// Exits the fake records per tick of vCPU 0.
const EXITS_PER_TICK: u64 = 5;

/// vCPU `index` after `tick` instructions/polls. vCPU 0 runs a kernel loop writing to the
/// serial port; vCPU 1 is a user program in a loop (it halts every other tick).
pub fn gui_vcpu(index: u32, tick: u64) -> VcpuView {
    let kernel = index == 0;
    let code_seg = SegmentView {
        selector: if kernel { 0x10 } else { 0x33 },
        base: 0,
        limit: 0xffff_ffff,
        db: false,
        l: true,
        dpl: if kernel { 0 } else { 3 },
    };
    let regs = Registers {
        rax: 0x41 + tick % 26,
        rbx: 0x2000 + tick * 8,
        rcx: 1000u64.saturating_sub(tick),
        rdx: 0x3f8,
        rsp: if kernel { 0x8_ff00 } else { 0x7fff_ffff_e000 } - (tick % 4) * 8,
        rip: if kernel { 0x10_0000 } else { 0x40_1000 } + (tick % 16) * 3,
        rflags: 0x202 | ((tick & 1) << 6),
        cr0: 0x8000_0011,
        cr3: 0x9000 + if tick >= 8 { 0x1000 } else { 0 },
        cr4: 0x20,
        efer: 0x500,
        cs: code_seg.clone(),
        ss: SegmentView {
            l: false,
            ..code_seg
        },
        ..Default::default()
    };
    VcpuView {
        index,
        mode: CpuMode::Long,
        paging: true,
        cpl: if kernel { 0 } else { 3 },
        halted: !kernel && tick % 2 == 1,
        fresh: true,
        regs,
        code: if kernel {
            "ee48ffc0ebfa".into()
        } else {
            "f4ebfd".into()
        },
        thread: ThreadView {
            tid: 4243 + index,
            name: format!("vcpu{index}"),
            cpu_us: 1_500_000 + tick * 40_000 + u64::from(index) * 7_000,
            last_cpu: (tick as u32 + index) % 2,
        },
        exits: vec![
            ("io-out".into(), 100 + tick * EXITS_PER_TICK),
            ("hlt".into(), 3 + tick),
        ],
    }
}

/// The whole machine, vCPU `i` at `ticks[i]`.
pub fn gui_inspection(state: &str, ticks: &[u64]) -> Inspection {
    let t = ticks.first().copied().unwrap_or(0);
    let mib = 1u64 << 20;
    let region =
        |start, size, kind, name: &str, touched: Option<u64>, huge: Option<u64>| MemoryRegionView {
            start,
            size,
            kind,
            name: name.into(),
            touched_bytes: touched,
            huge_page_bytes: huge,
        };
    let thread = |tid, name: &str, cpu_us| ThreadView {
        tid,
        name: name.into(),
        cpu_us,
        last_cpu: (tid % 2),
    };
    let mut threads = vec![thread(4242, "vmdesk-vmm", 80_000)];
    threads.extend(
        ticks
            .iter()
            .enumerate()
            .map(|(i, &t)| gui_vcpu(i as u32, t).thread),
    );
    threads.extend([
        thread(4250, "virtio-blk0", 12_000 + t * 500),
        thread(4251, "display", 30_000 + t * 2_000),
        thread(4252, "vnc-accept", 200),
        thread(4253, "api", 9_000 + t * 300),
    ]);
    Inspection {
        state: state.into(),
        vcpus: ticks
            .iter()
            .enumerate()
            .map(|(i, &t)| gui_vcpu(i as u32, t))
            .collect(),
        memory: vec![
            region(
                0,
                64 * mib,
                RegionKind::Ram,
                "RAM",
                Some((8 + t) * mib),
                Some(4 * mib),
            ),
            region(
                0xc000_0000,
                16 * mib,
                RegionKind::Framebuffer,
                "framebuffer",
                Some(3 * mib),
                Some(0),
            ),
            region(
                0xd000_0000,
                0x1000,
                RegionKind::Mmio,
                "virtio-blk 0 (MMIO)",
                None,
                None,
            ),
            region(
                0xd000_1000,
                0x1000,
                RegionKind::Mmio,
                "virtio-input 0 (MMIO)",
                None,
                None,
            ),
            region(
                0xfec0_0000,
                0x10_0000,
                RegionKind::Reserved,
                "IOAPIC / LAPIC",
                None,
                None,
            ),
            region(
                0xfffc_0000,
                0x4_0000,
                RegionKind::Rom,
                "firmware",
                Some(0x4_0000),
                Some(0),
            ),
        ],
        devices: vec![
            DeviceView {
                name: "serial (16550A) COM1".into(),
                kind: DeviceKind::Emulated,
                transport: "isa-pio".into(),
                ports: vec![(0x3f8, 0x3ff)],
                irqs: vec![4],
                exits: 100 + t * EXITS_PER_TICK,
                ..Default::default()
            },
            DeviceView {
                name: "virtio-blk 0".into(),
                kind: DeviceKind::Paravirtual,
                transport: "virtio-mmio".into(),
                mmio: vec![(0xd000_0000, 0x1000)],
                irqs: vec![5],
                queues: vec![QueueView {
                    index: 0,
                    size: 256,
                    served: 40 + t,
                }],
                exits: 12 + t,
                ..Default::default()
            },
            DeviceView {
                name: "IOAPIC + PIT".into(),
                kind: DeviceKind::InKernel,
                transport: "platform".into(),
                mmio: vec![(0xfec0_0000, 0x1000)],
                ports: vec![(0x40, 0x43)],
                ..Default::default()
            },
        ],
        host: HostView {
            pid: 4242,
            rss_bytes: (90 + t) * mib,
            threads,
        },
    }
}

/// One step of vCPU `vcpu` from `tick`.
pub fn gui_step(vcpu: u32, tick: u64) -> Stepped {
    Stepped {
        before: Box::new(gui_vcpu(vcpu, tick)),
        after: Box::new(gui_vcpu(vcpu, tick + 1)),
        stopped_by: "debug".into(),
    }
}

/// The exits after `after` when vCPU 0 is at `tick`: sequence numbers 1..=tick*5, of which
/// the ring keeps the last 64.
pub fn gui_exit_log(after: u64, tick: u64) -> ExitLog {
    let last = tick * EXITS_PER_TICK;
    let oldest = last.saturating_sub(RING) + 1;
    let from = (after + 1).max(oldest);
    let entries = (from..=last)
        .map(|seq| {
            let out = seq % 5 != 0;
            ExitRecord {
                seq,
                vcpu: (seq % 7 == 0) as u32,
                at_us: 1_000_000 + seq * 1_250,
                reason: if out { "io-out" } else { "mmio-write" }.into(),
                addr: if out { 0x3f8 } else { 0xd000_0050 },
                size: if out { 1 } else { 4 },
                value: Some(if out { 0x41 + seq % 26 } else { 1 }),
                device: Some(
                    if out {
                        "serial (16550A) COM1"
                    } else {
                        "virtio-blk 0"
                    }
                    .into(),
                ),
            }
        })
        .collect();
    ExitLog {
        next: last + 1,
        dropped: from.saturating_sub(after + 1),
        entries,
    }
}
