//! The inspector (`inspect`, `step`): the machine as the hypervisor sees it, read on request.
//!
//! Nothing here runs unless a client asks: a paused VM's vCPUs are read directly, a running
//! one's answer a probe at their next exit (see [`crate::vcpu::VcpuProbe`]).

pub mod host;

use crate::api::{
    DeviceKind, DeviceView, HostView, Inspection, MemoryRegionView, RegionKind, RunState, Stepped,
    VcpuView,
};
use crate::arch::layout;
use crate::devices::BusEntry;
use crate::util::lock;
use crate::vcpu::EXIT_NAMES;
use crate::vmm::VmHandle;
use std::time::Duration;
use vm_memory::{GuestMemoryBackend, GuestMemoryRegion};

/// How long a running vCPU has to answer before its last values are shown instead.
const PROBE_DEADLINE: Duration = Duration::from_millis(50);

/// Everything `inspect` replies.
pub fn inspect(vm: &VmHandle) -> Inspection {
    let state = vm.state();
    let vcpus = (0..vm.machine.vcpus.len())
        .map(|i| vcpu(vm, i, state))
        .collect();
    Inspection {
        state: serde_json::to_value(state)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        vcpus,
        memory: memory_map(vm),
        devices: devices(vm),
        host: HostView {
            pid: std::process::id(),
            rss_bytes: crate::usage::rss_bytes(),
            threads: host::threads(),
        },
    }
}

/// vCPU `i` now: read directly while paused, else through its probe.
fn vcpu(vm: &VmHandle, i: usize, state: RunState) -> VcpuView {
    let probe = &vm.probes[i];
    let view = if state == RunState::Paused {
        // Parked vCPUs hold no lock on their fd.
        let v = crate::cpu_view::read(&lock(&vm.machine.vcpus[i]), i as u32, &vm.machine.mem);
        if let Ok(v) = &v {
            probe.remember(v);
        }
        v.ok()
    } else {
        probe.request(|| vm.kick(i), PROBE_DEADLINE)
    };
    let mut view = view.unwrap_or_else(|| VcpuView {
        index: i as u32,
        fresh: false,
        ..Default::default()
    });
    decorate(vm, i, &mut view);
    view
}

/// Adds what KVM does not know: the thread and the exit counts.
fn decorate(vm: &VmHandle, i: usize, view: &mut VcpuView) {
    let tid = vm.probes[i].tid.load(std::sync::atomic::Ordering::Relaxed);
    if tid != 0 {
        view.thread = host::thread(tid).unwrap_or_default();
    }
    view.exits = EXIT_NAMES
        .iter()
        .zip(vm.counters[i].snapshot())
        .map(|(n, c)| (n.to_string(), c))
        .collect();
}

/// `step`: one instruction on paused vCPU `index`.
pub fn step(vm: &VmHandle, index: usize) -> Result<Stepped, String> {
    let o = vm
        .control
        .step(index, Duration::from_secs(2))
        .inspect_err(|_| {
            // Should it still be in the guest, bring it back to its parking place.
            vm.kick(index)
        })?;
    let (mut before, mut after) = (o.before, o.after);
    decorate(vm, index, &mut before);
    decorate(vm, index, &mut after);
    Ok(Stepped {
        before: Box::new(before),
        after: Box::new(after),
        stopped_by: o.stopped_by.to_string(),
    })
}

fn region(start: u64, size: u64, kind: RegionKind, name: impl Into<String>) -> MemoryRegionView {
    MemoryRegionView {
        start,
        size,
        kind,
        name: name.into(),
        touched_bytes: None,
        huge_page_bytes: None,
    }
}

/// Every region the VMM set up, in address order; the MMIO hole's unused parts as reserved.
pub fn memory_map(vm: &VmHandle) -> Vec<MemoryRegionView> {
    let smaps = host::smaps();
    let mut out = Vec::new();
    let mapped = |start, size, kind, name: String, host: usize| {
        let mut r = region(start, size, kind, name);
        r.touched_bytes = host::resident_bytes(host, size as usize);
        r.huge_page_bytes = Some(host::huge_page_bytes(&smaps, host, size as usize));
        r
    };
    for r in vm.machine.mem.iter() {
        let start = r.start_addr().0;
        let name = if start >= layout::MMIO_HOLE_END {
            "RAM above 4 GiB"
        } else {
            "RAM below 4 GiB"
        };
        out.push(mapped(
            start,
            r.len(),
            RegionKind::Ram,
            name.into(),
            r.as_ptr() as usize,
        ));
    }
    if let Some(fb) = &vm.framebuffer {
        out.push(mapped(
            fb.gpa,
            fb.size() as u64,
            RegionKind::Framebuffer,
            "framebuffer".into(),
            fb.host_address(),
        ));
    }
    let firmware = vm.machine.firmware.as_ref();
    if let Some(fw) = firmware.filter(|f| f.flash.is_none()) {
        out.push(region(
            layout::MMIO_HOLE_END - fw.rom.size,
            fw.rom.size,
            RegionKind::Rom,
            "firmware ROM",
        ));
    }
    for e in vm.mmio.entries() {
        let Some(base) = e.base else { continue };
        let kind = if e.name.starts_with("flash") {
            RegionKind::Flash
        } else {
            RegionKind::Mmio
        };
        out.push(region(base, e.len, kind, format!("{} (MMIO)", e.name)));
    }
    out.push(region(
        layout::IOAPIC_ADDR,
        0x1000,
        RegionKind::Mmio,
        "IOAPIC (in KVM)",
    ));
    out.push(region(
        layout::LAPIC_ADDR,
        0x1000,
        RegionKind::Mmio,
        "LAPIC (in KVM)",
    ));
    let (tss, ident) = if firmware.is_some() {
        (layout::FIRMWARE_KVM_TSS, layout::FIRMWARE_KVM_IDENTITY_MAP)
    } else {
        (layout::KVM_TSS, layout::KVM_IDENTITY_MAP)
    };
    out.push(region(
        ident,
        0x1000,
        RegionKind::Reserved,
        "KVM identity map",
    ));
    out.push(region(
        tss,
        0x3000,
        RegionKind::Reserved,
        "KVM real-mode TSS",
    ));
    out.sort_by_key(|r| r.start);
    with_gaps(out, layout::MMIO_HOLE_START, layout::MMIO_HOLE_END)
}

/// `regions` (sorted) with what they leave free of `[lo, hi)` as reserved regions.
pub fn with_gaps(regions: Vec<MemoryRegionView>, lo: u64, hi: u64) -> Vec<MemoryRegionView> {
    let mut out = Vec::with_capacity(regions.len() * 2);
    let mut at = lo;
    for r in regions {
        let end = r.start.saturating_add(r.size);
        if r.start > at && r.start <= hi && end > lo {
            out.push(region(
                at,
                r.start - at,
                RegionKind::Reserved,
                "MMIO hole (unused)",
            ));
        }
        if end > lo {
            at = at.max(end.min(hi));
        }
        out.push(r);
    }
    if at < hi {
        out.push(region(
            at,
            hi - at,
            RegionKind::Reserved,
            "MMIO hole (unused)",
        ));
    }
    out.sort_by_key(|r| r.start);
    out
}

/// Every device: the buses' (grouped by name) and KVM's own.
pub fn devices(vm: &VmHandle) -> Vec<DeviceView> {
    let pc = vm.machine.firmware.is_some();
    let mut out: Vec<DeviceView> = Vec::new();
    let mut add = |e: BusEntry, pio: bool| {
        let i = match out.iter().position(|d| d.name == e.name) {
            Some(i) => i,
            None => {
                out.push(new_device(&e, pio, pc));
                out.len() - 1
            }
        };
        let d = &mut out[i];
        d.exits += e.exits;
        match (e.base, pio) {
            (Some(b), true) => d.ports.push((b as u16, (b + e.len - 1) as u16)),
            (Some(b), false) => d.mmio.push((b, e.len)),
            (None, _) => {}
        }
    };
    for e in vm.pio.entries() {
        add(e, true);
    }
    for e in vm.mmio.entries() {
        add(e, false);
    }
    // The virtio devices are on the bus in transport order.
    let mut virtio = out.iter_mut().filter(|d| d.kind == DeviceKind::Paravirtual);
    for (i, t) in vm.machine.transports.iter().enumerate() {
        if let Some(d) = virtio.next() {
            let t = lock(t);
            d.queues = t.core().queue_views();
            d.msix = t.msix_view();
            if !pc {
                d.irqs = layout::VIRTIO_GSIS.get(i).copied().into_iter().collect();
            }
        }
    }
    out.extend(in_kernel());
    out
}

fn new_device(e: &BusEntry, pio: bool, pc: bool) -> DeviceView {
    let virtio = e.name.starts_with("virtio");
    let transport = match (virtio, pc, e.movable, pio) {
        (true, true, _, _) => "virtio-pci",
        (true, false, _, _) => "virtio-mmio",
        (false, _, true, _) => "pci",
        (false, _, false, true) => "isa-pio",
        (false, _, false, false) => "platform",
    };
    let irqs = match e.name.as_str() {
        n if n.starts_with("serial") => vec![layout::ports::COM1_IRQ],
        n if n.starts_with("i8042 (PS/2)") => vec![1, 12],
        "CMOS/RTC" => vec![8],
        _ => Vec::new(),
    };
    DeviceView {
        name: e.name.clone(),
        kind: if virtio {
            DeviceKind::Paravirtual
        } else {
            DeviceKind::Emulated
        },
        transport: transport.into(),
        irqs,
        ..Default::default()
    }
}

/// What KVM emulates itself (`KVM_CREATE_IRQCHIP`, `KVM_CREATE_PIT2`): its accesses never
/// reach the VMM, so they count no exits here.
fn in_kernel() -> Vec<DeviceView> {
    let dev =
        |name: &str, ports: Vec<(u16, u16)>, mmio: Vec<(u64, u64)>, irqs: Vec<u32>| DeviceView {
            name: name.into(),
            kind: DeviceKind::InKernel,
            transport: if mmio.is_empty() {
                "isa-pio"
            } else {
                "platform"
            }
            .into(),
            ports,
            mmio,
            irqs,
            ..Default::default()
        };
    vec![
        dev(
            "PIC (8259A pair)",
            vec![(0x20, 0x21), (0xa0, 0xa1)],
            vec![],
            vec![],
        ),
        dev("PIT (8254 timer)", vec![(0x40, 0x43)], vec![], vec![0]),
        dev(
            "IOAPIC",
            vec![],
            vec![(layout::IOAPIC_ADDR, 0x1000)],
            vec![],
        ),
        dev("LAPIC", vec![], vec![(layout::LAPIC_ADDR, 0x1000)], vec![]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_fill_the_hole_around_what_is_in_it() {
        let rs = vec![
            region(0, 0x1000_0000, RegionKind::Ram, "ram"),
            region(0xd000_0000, 0x1000, RegionKind::Mmio, "virtio"),
            region(0xfee0_0000, 0x1000, RegionKind::Mmio, "lapic"),
        ];
        let out = with_gaps(rs, 0xc000_0000, 0x1_0000_0000);
        let spans: Vec<_> = out.iter().map(|r| (r.start, r.size, r.kind)).collect();
        assert_eq!(
            spans,
            [
                (0, 0x1000_0000, RegionKind::Ram),
                (0xc000_0000, 0x1000_0000, RegionKind::Reserved),
                (0xd000_0000, 0x1000, RegionKind::Mmio),
                (0xd000_1000, 0xfee0_0000 - 0xd000_1000, RegionKind::Reserved),
                (0xfee0_0000, 0x1000, RegionKind::Mmio),
                (
                    0xfee0_1000,
                    0x1_0000_0000 - 0xfee0_1000,
                    RegionKind::Reserved
                ),
            ]
        );
    }
}
