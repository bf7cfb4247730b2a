//! `vmdesk inspect VM [--exits]`: the machine as the hypervisor sees it — per vCPU its mode
//! and registers, the memory map, the devices, the VMM's threads — or, with `--exits`, the
//! exits the vCPUs took just now. `--json` prints the VMM's reply as is.

use super::Ctx;
use crate::data::client::VmmClientExt;
use crate::data::stats::human_bytes;
use crate::data::store::VmEntry;
use crate::t;
use std::time::Duration;
use vmm_core::api::{
    CpuMode, DeviceKind, DeviceView, ExitLog, GetExitLog, Inspect, Inspection, RegionKind, VcpuView,
};

/// How long `--exits` records when nobody was recording before.
const EXITS_WINDOW: Duration = Duration::from_secs(1);

pub(super) fn inspect(ctx: &Ctx, e: &VmEntry, exits: bool) -> i32 {
    if exits {
        return exit_log(ctx, e);
    }
    match ctx.client().call(&e.id, Inspect {}) {
        Ok(i) => ctx.out.done(
            serde_json::to_value(&i).unwrap_or_default(),
            inspection_text(&i),
        ),
        Err(err) => ctx.client_error(e, err),
    }
}

/// The exit log: the VMM records only while someone reads it, so the first read turns it on
/// and, if it held nothing yet, a second one a moment later gets what came meanwhile.
fn exit_log(ctx: &Ctx, e: &VmEntry) -> i32 {
    let first = match ctx.client().call(&e.id, GetExitLog { after: 0 }) {
        Ok(l) => l,
        Err(err) => return ctx.client_error(e, err),
    };
    let log = if first.entries.is_empty() {
        std::thread::sleep(EXITS_WINDOW);
        match ctx.client().call(&e.id, GetExitLog { after: 0 }) {
            Ok(l) => l,
            Err(err) => return ctx.client_error(e, err),
        }
    } else {
        first
    };
    ctx.out.done(
        serde_json::to_value(&log).unwrap_or_default(),
        exit_log_text(&log),
    )
}

/// A table: the translated header (`a|b|c`) and rows, columns padded to the widest cell.
fn table(header: &str, rows: Vec<Vec<String>>) -> String {
    let head: Vec<String> = header.split('|').map(|h| h.trim().to_uppercase()).collect();
    let all: Vec<&Vec<String>> = std::iter::once(&head).chain(rows.iter()).collect();
    let widths: Vec<usize> = (0..head.len())
        .map(|c| {
            all.iter()
                .map(|r| r.get(c).map_or(0, |s| s.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    all.iter()
        .map(|r| {
            let cells: Vec<String> = r
                .iter()
                .zip(&widths)
                .map(|(s, w)| format!("{s:<w$}"))
                .collect();
            format!("  {}", cells.join("  ").trim_end())
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn mode_name(m: CpuMode) -> String {
    match m {
        CpuMode::Real => t!("cli-inspect-mode-real"),
        CpuMode::Virtual8086 => t!("cli-inspect-mode-v8086"),
        CpuMode::Protected => t!("cli-inspect-mode-protected"),
        CpuMode::Compatibility => t!("cli-inspect-mode-compatibility"),
        CpuMode::Long => t!("cli-inspect-mode-long"),
    }
}

fn region_kind(k: RegionKind) -> String {
    match k {
        RegionKind::Ram => t!("cli-inspect-kind-ram"),
        RegionKind::Rom => t!("cli-inspect-kind-rom"),
        RegionKind::Flash => t!("cli-inspect-kind-flash"),
        RegionKind::Framebuffer => t!("cli-inspect-kind-framebuffer"),
        RegionKind::Mmio => t!("cli-inspect-kind-mmio"),
        RegionKind::Reserved => t!("cli-inspect-kind-reserved"),
    }
}

fn device_kind(k: DeviceKind) -> String {
    match k {
        DeviceKind::Emulated => t!("cli-inspect-device-emulated"),
        DeviceKind::Paravirtual => t!("cli-inspect-device-paravirtual"),
        DeviceKind::InKernel => t!("cli-inspect-device-in-kernel"),
    }
}

fn vcpu_text(v: &VcpuView) -> String {
    let mut what = vec![
        mode_name(v.mode),
        if v.paging {
            t!("cli-inspect-paging-on")
        } else {
            t!("cli-inspect-paging-off")
        },
        format!("CPL {}", v.cpl),
    ];
    if v.halted {
        what.push(t!("cli-inspect-halted"));
    }
    if !v.fresh {
        what.push(t!("cli-inspect-stale"));
    }
    let r = &v.regs;
    let mut lines = vec![
        format!("vCPU {}: {}", v.index, what.join(", ")),
        format!(
            "  RIP {:#018x}  RSP {:#018x}  RFLAGS {:#x}",
            r.rip, r.rsp, r.rflags
        ),
        format!(
            "  RAX {:#018x}  RBX {:#018x}  RCX {:#018x}  RDX {:#018x}",
            r.rax, r.rbx, r.rcx, r.rdx
        ),
        format!(
            "  CR0 {:#x}  CR3 {:#x}  CR4 {:#x}  EFER {:#x}  CS {:#06x}",
            r.cr0, r.cr3, r.cr4, r.efer, r.cs.selector
        ),
        format!(
            "  {}",
            t!(
                "cli-inspect-code",
                bytes = crate::data::inspector::code_bytes(&v.code)
            )
        ),
    ];
    if v.thread.tid != 0 {
        lines.push(format!(
            "  {}",
            t!(
                "cli-inspect-vcpu-thread",
                tid = v.thread.tid.to_string(),
                cpu = v.thread.last_cpu.to_string(),
                ms = (v.thread.cpu_us / 1000).to_string()
            )
        ));
    }
    let busy: Vec<String> = v
        .exits
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(r, n)| format!("{r} {n}"))
        .collect();
    if !busy.is_empty() {
        lines.push(format!(
            "  {}",
            t!("cli-inspect-vcpu-exits", exits = busy.join(", "))
        ));
    }
    lines.join("\n")
}

fn ranges(d: &DeviceView) -> (String, String) {
    let ports = d
        .ports
        .iter()
        .map(|(a, b)| format!("{a:#x}-{b:#x}"))
        .collect::<Vec<_>>()
        .join(",");
    let mmio = d
        .mmio
        .iter()
        .map(|(a, n)| format!("{a:#x}+{n:#x}"))
        .collect::<Vec<_>>()
        .join(",");
    (ports, mmio)
}

pub fn inspection_text(i: &Inspection) -> String {
    let mut out: Vec<String> = i.vcpus.iter().map(vcpu_text).collect();
    let opt = |b: Option<u64>| b.map_or_else(|| "-".to_string(), human_bytes);
    out.push(t!("cli-inspect-memory"));
    out.push(table(
        &t!("cli-inspect-memory-columns"),
        i.memory
            .iter()
            .map(|r| {
                vec![
                    format!("{:#012x}", r.start),
                    human_bytes(r.size),
                    region_kind(r.kind),
                    opt(r.touched_bytes),
                    opt(r.huge_page_bytes),
                    r.name.clone(),
                ]
            })
            .collect(),
    ));
    out.push(t!("cli-inspect-devices"));
    out.push(table(
        &t!("cli-inspect-device-columns"),
        i.devices
            .iter()
            .map(|d| {
                let (ports, mmio) = ranges(d);
                // MSI-X entries as the guest's vector and its APIC: `msix:0x41@0`.
                let irqs: Vec<String> = d
                    .irqs
                    .iter()
                    .map(u32::to_string)
                    .chain(
                        d.msix
                            .iter()
                            .map(|m| format!("msix:{:#04x}@{}", m.vector, m.apic_id)),
                    )
                    .collect();
                let queues: Vec<String> = d
                    .queues
                    .iter()
                    .map(|q| format!("{}:{}/{}", q.index, q.served, q.size))
                    .collect();
                vec![
                    d.name.clone(),
                    device_kind(d.kind),
                    d.transport.clone(),
                    ports,
                    mmio,
                    irqs.join(","),
                    d.exits.to_string(),
                    queues.join(" "),
                ]
            })
            .collect(),
    ));
    out.push(t!(
        "cli-inspect-host",
        pid = i.host.pid.to_string(),
        rss = human_bytes(i.host.rss_bytes)
    ));
    out.push(table(
        &t!("cli-inspect-thread-columns"),
        i.host
            .threads
            .iter()
            .map(|t| {
                vec![
                    t.tid.to_string(),
                    t.name.clone(),
                    format!("{:.1}", t.cpu_us as f64 / 1e6),
                    t.last_cpu.to_string(),
                ]
            })
            .collect(),
    ));
    out.join("\n")
}

pub fn exit_log_text(l: &ExitLog) -> String {
    if l.entries.is_empty() {
        return t!("cli-inspect-no-exits");
    }
    let mut out = vec![table(
        &t!("cli-inspect-exit-columns"),
        l.entries
            .iter()
            .map(|e| {
                let moved = e.size > 0;
                vec![
                    e.seq.to_string(),
                    e.vcpu.to_string(),
                    e.at_us.to_string(),
                    e.reason.clone(),
                    if moved {
                        format!("{:#x}", e.addr)
                    } else {
                        "-".into()
                    },
                    if moved {
                        e.size.to_string()
                    } else {
                        "-".into()
                    },
                    e.value.map_or_else(|| "-".into(), |v| format!("{v:#x}")),
                    e.device.clone().unwrap_or_else(|| "-".into()),
                ]
            })
            .collect(),
    )];
    if l.dropped > 0 {
        out.push(t!("cli-inspect-exits-dropped", n = l.dropped.to_string()));
    }
    out.join("\n")
}

#[cfg(test)]
mod tests;
