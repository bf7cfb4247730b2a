//! The comparison as the textbook table: one row per claim, with what the textbook says and what
//! was measured on each side, in the user's language. The CLI prints it; a screen can draw it.

use super::{Comparison, ContainerReport};
use crate::t;

/// One row: `label` and its one-line `help`, the textbook's claim, and the two measurements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub label: String,
    pub help: String,
    pub textbook: String,
    pub container: String,
    pub vm: String,
}

/// `n` bytes as KiB/MiB/GiB, one decimal.
pub fn bytes(n: u64) -> String {
    let (v, unit) = match n {
        n if n >= 1 << 30 => (n as f64 / (1u64 << 30) as f64, "GiB"),
        n if n >= 1 << 20 => (n as f64 / (1u64 << 20) as f64, "MiB"),
        n => (n as f64 / 1024.0, "KiB"),
    };
    format!("{v:.1} {unit}")
}

fn ms(v: f64) -> String {
    format!("{v:.0} ms")
}

fn list(names: impl Iterator<Item = String>) -> String {
    let v: Vec<String> = names.collect();
    if v.is_empty() {
        "—".into()
    } else {
        v.join(", ")
    }
}

fn cpu(c: &ContainerReport) -> String {
    match c.cgroup.cpu_quota_us {
        Some(q) if c.cgroup.cpu_period_us > 0 => {
            format!("{:.0} %", q as f64 * 100.0 / c.cgroup.cpu_period_us as f64)
        }
        _ => t!("compare-unlimited"),
    }
}

/// The rows, VM column empty (with a reason) when no VM was measured.
pub fn rows(cmp: &Comparison) -> Vec<Row> {
    let c = &cmp.container;
    let none = || match &cmp.vm_error {
        Some(e) => e.clone(),
        None => t!("compare-vm-none"),
    };
    let vm = cmp.vm.as_ref();
    let unknown = || t!("compare-not-measured");
    let row = |[label, help, textbook]: [String; 3], container: String, vm: String| Row {
        label,
        help,
        textbook,
        container,
        vm,
    };
    vec![
        row(
            [
                t!("compare-row-start"),
                t!("compare-row-start-help"),
                t!("compare-row-start-textbook"),
            ],
            ms(c.start_ms),
            vm.map_or_else(none, |v| v.start_ms.map_or_else(unknown, ms)),
        ),
        row(
            [
                t!("compare-row-memory"),
                t!("compare-row-memory-help"),
                t!("compare-row-memory-textbook"),
            ],
            t!(
                "compare-memory-container",
                used = bytes(c.cgroup.memory_current)
            ),
            vm.map_or_else(none, |v| {
                t!(
                    "compare-memory-vm",
                    used = bytes(v.rss_bytes),
                    ram = bytes(v.guest_memory_bytes)
                )
            }),
        ),
        row(
            [
                t!("compare-row-disk"),
                t!("compare-row-disk-help"),
                t!("compare-row-disk-textbook"),
            ],
            t!(
                "compare-disk-container",
                root = bytes(c.rootfs_bytes),
                upper = bytes(c.upper_bytes)
            ),
            vm.map_or_else(none, |v| bytes(v.disk_bytes)),
        ),
        row(
            [
                t!("compare-row-kernel"),
                t!("compare-row-kernel-help"),
                t!("compare-row-kernel-textbook"),
            ],
            t!(
                "compare-kernel",
                inside = c.kernel_inside.as_str(),
                host = c.kernel_host.as_str()
            ),
            vm.map_or_else(none, |v| {
                v.kernel_inside.as_deref().map_or_else(unknown, |k| {
                    t!("compare-kernel", inside = k, host = c.kernel_host.as_str())
                })
            }),
        ),
        row(
            [
                t!("compare-row-pid1"),
                t!("compare-row-pid1-help"),
                t!("compare-row-pid1-textbook"),
            ],
            t!(
                "compare-pid1-container",
                cmdline = c.pid1_cmdline.as_str(),
                inside = c.pid_inside,
                host = c.host_pid
            ),
            vm.map_or_else(none, |v| t!("compare-pid1-vm", host = v.host_pid)),
        ),
        row(
            [
                t!("compare-row-processes"),
                t!("compare-row-processes-help"),
                t!("compare-row-processes-textbook"),
            ],
            c.processes
                .iter()
                .skip(1)
                .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
                .collect::<Vec<_>>()
                .join("; "),
            vm.map_or_else(none, |v| t!("compare-processes-vm", host = v.host_pid)),
        ),
        row(
            [
                t!("compare-row-isolated"),
                t!("compare-row-isolated-help"),
                t!("compare-row-isolated-textbook"),
            ],
            list(c.isolated().map(|n| n.kind.clone())),
            vm.map_or_else(none, |v| {
                let own = list(
                    v.namespaces
                        .iter()
                        .filter(|n| n.isolated())
                        .map(|n| n.kind.clone()),
                );
                t!("compare-isolated-vm", namespaces = own)
            }),
        ),
        row(
            [
                t!("compare-row-shared"),
                t!("compare-row-shared-help"),
                t!("compare-row-shared-textbook"),
            ],
            t!(
                "compare-shared-container",
                namespaces = list(c.shared().map(|n| n.kind.clone()))
            ),
            vm.map_or_else(none, |v| {
                let shared = list(
                    v.namespaces
                        .iter()
                        .filter(|n| !n.isolated())
                        .map(|n| n.kind.clone()),
                );
                t!("compare-shared-vm", namespaces = shared)
            }),
        ),
        row(
            [
                t!("compare-row-limits"),
                t!("compare-row-limits-help"),
                t!("compare-row-limits-textbook"),
            ],
            t!(
                "compare-limits-container",
                memory = c
                    .cgroup
                    .memory_max
                    .map_or_else(|| t!("compare-unlimited"), bytes),
                cpu = cpu(c),
                version = c.cgroup.version
            ),
            vm.map_or_else(none, |v| {
                t!("compare-limits-vm", ram = bytes(v.guest_memory_bytes))
            }),
        ),
        row(
            [
                t!("compare-row-layers"),
                t!("compare-row-layers-help"),
                t!("compare-row-layers-textbook"),
            ],
            c.overlay.as_ref().map_or_else(
                || t!("compare-no-overlay"),
                |o| {
                    t!(
                        "compare-layers-container",
                        lower = list(o.lower.iter().map(|p| p.display().to_string())),
                        upper = o.upper.display().to_string()
                    )
                },
            ),
            vm.map_or_else(none, |_| t!("compare-layers-vm")),
        ),
    ]
}

/// The table as text for a terminal: the rows, then the notes of both sides and a legend.
pub fn text(cmp: &Comparison) -> String {
    let rows = rows(cmp);
    let mut out = String::new();
    let vm_title = cmp.vm.as_ref().map_or_else(
        || t!("compare-col-vm"),
        |v| format!("{} ({})", t!("compare-col-vm"), v.name),
    );
    out.push_str(&format!(
        "{}\n\n",
        t!("compare-title", runtime = cmp.container.runtime.as_str())
    ));
    for r in &rows {
        out.push_str(&format!("{}\n", r.label));
        out.push_str(&format!(
            "  {:<12} {}\n",
            t!("compare-col-textbook"),
            r.textbook
        ));
        out.push_str(&format!(
            "  {:<12} {}\n",
            t!("compare-col-container"),
            r.container
        ));
        out.push_str(&format!("  {:<12} {}\n", vm_title, r.vm));
        out.push_str(&format!("  ({})\n", r.help));
    }
    let notes: Vec<&String> = cmp
        .container
        .notes
        .iter()
        .chain(cmp.vm.iter().flat_map(|v| v.notes.iter()))
        .collect();
    if !notes.is_empty() {
        out.push('\n');
        for n in notes {
            out.push_str(&format!("* {n}\n"));
        }
    }
    out.trim_end().to_string()
}
