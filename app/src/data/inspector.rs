//! What the inspector panel shows, in words a student reads: the CPU mode, what each register
//! and region kind is for, which registers a refresh or a step changed, and the tail of the
//! exit log kept between polls. No iced (the panel in `ui::screen::console::inspector` draws it).

use crate::t;
use std::collections::VecDeque;
use vmm_core::api::{
    CpuMode, DeviceKind, ExitLog, ExitRecord, Inspection, RegionKind, Registers, VcpuView,
};

/// How many exits the panel keeps (newest first on screen).
pub const LOG_KEEP: usize = 200;

/// The vCPU's mode in words: "64-bit long mode, paging on, kernel (ring 0)".
pub fn mode_words(v: &VcpuView) -> String {
    let mode = match v.mode {
        CpuMode::Real => t!("insp-mode-real"),
        CpuMode::Virtual8086 => t!("insp-mode-v86"),
        CpuMode::Protected => t!("insp-mode-protected"),
        CpuMode::Compatibility => t!("insp-mode-compat"),
        CpuMode::Long => t!("insp-mode-long"),
    };
    let paging = if v.paging {
        t!("insp-paging-on")
    } else {
        t!("insp-paging-off")
    };
    let ring = match v.cpl {
        0 => t!("insp-ring-kernel"),
        3 => t!("insp-ring-user"),
        n => t!("insp-ring-other", ring = n),
    };
    format!("{mode}, {paging}, {ring}")
}

/// One line on what the mode means.
pub fn explain_mode(m: CpuMode) -> String {
    match m {
        CpuMode::Real => t!("insp-mode-real-tip"),
        CpuMode::Virtual8086 => t!("insp-mode-v86-tip"),
        CpuMode::Protected => t!("insp-mode-protected-tip"),
        CpuMode::Compatibility => t!("insp-mode-compat-tip"),
        CpuMode::Long => t!("insp-mode-long-tip"),
    }
}

/// The registers the panel shows, in its order: name and value.
pub fn shown_registers(r: &Registers) -> [(&'static str, u64); 11] {
    [
        ("RIP", r.rip),
        ("RSP", r.rsp),
        ("RFLAGS", r.rflags),
        ("RAX", r.rax),
        ("RBX", r.rbx),
        ("RCX", r.rcx),
        ("RDX", r.rdx),
        ("CR0", r.cr0),
        ("CR3", r.cr3),
        ("CR4", r.cr4),
        ("EFER", r.efer),
    ]
}

/// What a register is for, in one line.
pub fn explain_register(name: &str) -> String {
    match name {
        "RIP" => t!("insp-reg-rip"),
        "RSP" => t!("insp-reg-rsp"),
        "RFLAGS" => t!("insp-reg-rflags"),
        "CR0" => t!("insp-reg-cr0"),
        "CR3" => t!("insp-reg-cr3"),
        "CR4" => t!("insp-reg-cr4"),
        "EFER" => t!("insp-reg-efer"),
        _ => t!("insp-reg-general"),
    }
}

/// The shown registers whose values differ between `a` and `b`.
pub fn changed(a: &Registers, b: &Registers) -> Vec<&'static str> {
    shown_registers(a)
        .iter()
        .zip(shown_registers(b).iter())
        .filter(|(x, y)| x.1 != y.1)
        .map(|(x, _)| x.0)
        .collect()
}

/// A region kind's name and one line on it.
pub fn region_kind(k: RegionKind) -> (String, String) {
    match k {
        RegionKind::Ram => (t!("insp-kind-ram"), t!("insp-kind-ram-tip")),
        RegionKind::Rom => (t!("insp-kind-rom"), t!("insp-kind-rom-tip")),
        RegionKind::Flash => (t!("insp-kind-flash"), t!("insp-kind-flash-tip")),
        RegionKind::Framebuffer => (t!("insp-kind-fb"), t!("insp-kind-fb-tip")),
        RegionKind::Mmio => (t!("insp-kind-mmio"), t!("insp-kind-mmio-tip")),
        RegionKind::Reserved => (t!("insp-kind-reserved"), t!("insp-kind-reserved-tip")),
    }
}

/// A device kind's badge and one line on it.
pub fn device_kind(k: DeviceKind) -> (String, String) {
    match k {
        DeviceKind::Emulated => (t!("insp-dev-emulated"), t!("insp-dev-emulated-tip")),
        DeviceKind::Paravirtual => (t!("insp-dev-paravirtual"), t!("insp-dev-paravirtual-tip")),
        DeviceKind::InKernel => (t!("insp-dev-in-kernel"), t!("insp-dev-in-kernel-tip")),
    }
}

/// What a VMM thread does, by its name.
pub fn explain_thread(name: &str) -> String {
    let n = name.trim_end_matches(|c: char| c.is_ascii_digit());
    match n {
        "vcpu" => t!("insp-thread-vcpu"),
        "display" => t!("insp-thread-display"),
        _ if n.starts_with("vnc") => t!("insp-thread-vnc"),
        _ if n.starts_with("api") => t!("insp-thread-api"),
        _ if n.starts_with("virtio-blk") || n.ends_with("-rx") || n.ends_with("-tx") => {
            t!("insp-thread-io")
        }
        "vmdesk-vmm" | "main" => t!("insp-thread-main"),
        _ => t!("insp-thread-other"),
    }
}

/// `cpu_us` as seconds for people: "1.54 s".
pub fn cpu_time(cpu_us: u64) -> String {
    format!("{:.2} s", cpu_us as f64 / 1e6)
}

/// An address or port as the panel prints it: ports 4 hex digits, addresses 8 or 16.
pub fn hex(v: u64) -> String {
    if v > u64::from(u32::MAX) {
        format!("{v:#018x}")
    } else {
        format!("{v:#010x}")
    }
}

/// The exits read so far: the newest [`LOG_KEEP`], and how many the VMM's ring dropped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExitTail {
    pub entries: VecDeque<ExitRecord>,
    /// The `next` of the last reply (0: none yet).
    pub next: u64,
    /// Exits the VMM dropped before the panel read them, in all.
    pub dropped: u64,
}

impl ExitTail {
    /// What to ask `exit-log` for next. One before `next`: if a VMM reports the last
    /// sequence number given rather than the next, that one exit repeats and [`apply`]
    /// drops it, where asking `after = next` could skip one.
    ///
    /// [`apply`]: ExitTail::apply
    pub fn after(&self) -> u64 {
        self.next.saturating_sub(1)
    }

    pub fn apply(&mut self, log: ExitLog) {
        let last = self.entries.back().map_or(0, |e| e.seq);
        self.dropped += log.dropped;
        self.next = log.next;
        self.entries
            .extend(log.entries.into_iter().filter(|e| e.seq > last));
        while self.entries.len() > LOG_KEEP {
            self.entries.pop_front();
        }
    }

    /// The reasons in the kept exits, each once, most frequent first.
    pub fn reasons(&self) -> Vec<(String, usize)> {
        let mut v: Vec<(String, usize)> = Vec::new();
        for e in &self.entries {
            match v.iter_mut().find(|(r, _)| *r == e.reason) {
                Some(r) => r.1 += 1,
                None => v.push((e.reason.clone(), 1)),
            }
        }
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }
}

/// The registers of vCPU `index` in an earlier inspection, if it had one.
pub fn previous(before: Option<&Inspection>, index: u32) -> Option<&Registers> {
    before?
        .vcpus
        .iter()
        .find(|v| v.index == index)
        .map(|v| &v.regs)
}

/// The instruction bytes at RIP as the VMM sends them (hex, no spaces) with a space between
/// bytes, as disassemblers show them.
pub fn code_bytes(code: &str) -> String {
    code.as_bytes()
        .chunks(2)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(seq: u64) -> ExitRecord {
        ExitRecord {
            seq,
            reason: if seq.is_multiple_of(2) {
                "hlt"
            } else {
                "io-out"
            }
            .into(),
            ..Default::default()
        }
    }

    #[test]
    fn the_exit_tail_keeps_order_drops_repeats_and_counts_dropped() {
        crate::testing::english();
        let mut t = ExitTail::default();
        assert_eq!(t.after(), 0);
        t.apply(ExitLog {
            next: 4,
            dropped: 0,
            entries: (1..=3).map(rec).collect(),
        });
        assert_eq!(t.after(), 3);
        // A VMM whose `next` is the last given repeats exit 3: it is kept once.
        t.apply(ExitLog {
            next: 300,
            dropped: 40,
            entries: (3..300).map(rec).collect(),
        });
        assert_eq!(t.entries.len(), LOG_KEEP);
        assert_eq!(t.entries.back().unwrap().seq, 299);
        assert_eq!(t.entries.front().unwrap().seq, 100);
        assert_eq!(t.dropped, 40);
        // 100 each of the 200 kept; equal counts in name order.
        assert_eq!(
            t.reasons(),
            vec![("hlt".to_string(), 100), ("io-out".to_string(), 100)]
        );
    }

    #[test]
    fn modes_read_as_words_and_changes_are_named() {
        crate::testing::english();
        let mut v = VcpuView {
            mode: CpuMode::Long,
            paging: true,
            cpl: 0,
            ..Default::default()
        };
        assert_eq!(
            mode_words(&v),
            "64-bit long mode, paging on, kernel (ring 0)"
        );
        v.mode = CpuMode::Real;
        v.paging = false;
        v.cpl = 3;
        assert_eq!(
            mode_words(&v),
            "16-bit real mode, paging off, user program (ring 3)"
        );
        let a = Registers::default();
        let b = Registers {
            rip: 3,
            cr3: 0x1000,
            ..Default::default()
        };
        assert_eq!(changed(&a, &b), vec!["RIP", "CR3"]);
    }
}
