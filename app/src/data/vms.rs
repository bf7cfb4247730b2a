//! What the app knows about each VM: its folder entry plus what the VMM said last.

use crate::data::client::ExitInfo;
use crate::data::paths::Paths;
use crate::data::store::{self, VmEntry};
use crate::t;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use vmm_core::api::{exit_code, Confinement, RunState, SeccompMode, Status};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VmState {
    Stopped,
    Starting,
    Running,
    Paused,
    Stopping,
    Broken,
}

/// How a VMM ended, with what the guest and the VMM printed last.
#[derive(Debug, Clone, PartialEq)]
pub struct ExitRecord {
    pub info: ExitInfo,
    pub serial_tail: Vec<String>,
    pub log_tail: Vec<String>,
}

impl ExitRecord {
    /// A normal power-off is not worth a banner.
    pub fn is_clean(&self) -> bool {
        matches!(
            self.info.code,
            Some(exit_code::POWER_OFF) | Some(exit_code::KILLED)
        )
    }

    /// Why the VMM gave up, in its own words: its last error line in `vmm.log` (warnings are
    /// not the reason), without the program's name; a seccomp kill said for people. None
    /// when it printed none.
    pub fn reason(&self) -> Option<String> {
        let line = self.last_error()?;
        Some(match seccomp_kill(&line) {
            Some((thread, nr)) => t!("exit-seccomp", thread = thread, syscall = nr),
            None => line,
        })
    }

    /// What the end means: [`exit_meaning`], or the seccomp kill the log names (its exit
    /// status alone only says "the VMM failed").
    pub fn meaning(&self) -> String {
        match self.last_error().as_deref().and_then(seccomp_kill) {
            Some((thread, nr)) => t!("exit-seccomp", thread = thread, syscall = nr),
            None => exit_meaning(&self.info),
        }
    }

    fn last_error(&self) -> Option<String> {
        if self.is_clean() {
            return None;
        }
        self.log_tail
            .iter()
            .rev()
            .filter_map(|l| l.trim().strip_prefix("vmdesk-vmm: "))
            .find(|l| !l.starts_with("warning:"))
            .map(str::to_string)
    }
}

/// A seccomp kill as the VMM logs it (`seccomp: thread 'vcpu0' made syscall 41, which its
/// filter forbids; …`): the thread and the syscall's number.
pub fn seccomp_kill(line: &str) -> Option<(String, String)> {
    let rest = line.strip_prefix("seccomp: thread '")?;
    let (thread, rest) = rest.split_once("' made syscall ")?;
    let nr: String = rest.chars().take_while(char::is_ascii_digit).collect();
    (!nr.is_empty()).then(|| (thread.to_string(), nr))
}

/// The VMM's confinement in one line, for people (Activity, `vmdesk status`).
pub fn confinement_line(c: &Confinement) -> String {
    let filters = c.filters.to_string();
    let seccomp = match c.seccomp {
        SeccompMode::On => t!("confinement-seccomp-on", filters = filters),
        SeccompMode::Log => t!("confinement-seccomp-log", filters = filters),
        SeccompMode::Off => t!("confinement-seccomp-off"),
    };
    let landlock = match c.landlock.strip_prefix("abi v") {
        Some(abi) => t!("confinement-landlock-on", abi = abi),
        None if c.landlock == "off" => t!("confinement-landlock-off"),
        None => t!(
            "confinement-landlock-unavailable",
            why = c.landlock.as_str()
        ),
    };
    t!("stats-confinement", seccomp = seccomp, landlock = landlock)
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Runtime {
    pub status: Option<Status>,
    pub starting: bool,
    pub last_exit: Option<ExitRecord>,
    /// When the guest (or the Restart button) reset this VM lately: a guest that resets over
    /// and over is left stopped instead of being started again forever.
    pub resets: Vec<Instant>,
}

/// At most this many automatic restarts after resets within [`RESET_WINDOW`].
pub const MAX_RESETS: usize = 5;
pub const RESET_WINDOW: Duration = Duration::from_secs(60);

impl Runtime {
    /// Records a reset at `now`; whether the VM should be started again.
    pub fn reset_allows_restart(&mut self, now: Instant) -> bool {
        self.resets
            .retain(|t| now.saturating_duration_since(*t) < RESET_WINDOW);
        self.resets.push(now);
        self.resets.len() <= MAX_RESETS
    }
}

#[derive(Debug, Clone, Default)]
pub struct Vms {
    pub entries: Vec<VmEntry>,
    pub runtime: HashMap<String, Runtime>,
}

impl Vms {
    pub fn get(&self, id: &str) -> Option<&VmEntry> {
        self.entries.iter().find(|e| e.id == id)
    }

    pub fn runtime(&self, id: &str) -> Option<&Runtime> {
        self.runtime.get(id)
    }

    pub fn state(&self, id: &str) -> VmState {
        if self.get(id).is_some_and(VmEntry::is_broken) {
            return VmState::Broken;
        }
        match self.runtime.get(id) {
            Some(Runtime {
                status: Some(s), ..
            }) => match s.state {
                RunState::Running => VmState::Running,
                RunState::Paused => VmState::Paused,
                RunState::Stopping => VmState::Stopping,
            },
            Some(Runtime { starting: true, .. }) => VmState::Starting,
            _ => VmState::Stopped,
        }
    }

    /// Whether a VMM process is (or may be) up for this VM.
    pub fn is_active(&self, id: &str) -> bool {
        !matches!(self.state(id), VmState::Stopped | VmState::Broken)
    }

    pub fn ids(&self) -> Vec<String> {
        self.entries.iter().map(|e| e.id.clone()).collect()
    }
}

/// The exit record of a VM whose VMM just ended, with the last lines it and the guest wrote.
pub fn exit_record(
    paths: &Paths,
    entry: Option<&VmEntry>,
    id: &str,
    info: Option<ExitInfo>,
) -> ExitRecord {
    let cfg = entry.and_then(|e| e.config.as_ref().ok());
    let log_tail = store::tail(&paths.vmm_log(id), 4);
    let info = info.unwrap_or(ExitInfo {
        code: None,
        signal: None,
    });
    ExitRecord {
        info,
        serial_tail: store::serial_tail(&store::serial_log(paths, id, cfg), 6),
        log_tail,
    }
}

/// What an exit status means, for people.
pub fn exit_meaning(info: &ExitInfo) -> String {
    match (info.code, info.signal) {
        (Some(exit_code::POWER_OFF), _) => t!("exit-power-off"),
        (Some(exit_code::VMM_ERROR), _) => t!("exit-vmm-error"),
        (Some(exit_code::BAD_CONFIG), _) => t!("exit-bad-config"),
        (Some(exit_code::RESET), _) => t!("exit-reset"),
        (Some(exit_code::GUEST_CRASH), _) => t!("exit-guest-crash"),
        (Some(exit_code::KILLED), _) => t!("exit-killed"),
        (Some(c), _) => t!("exit-other", code = c.to_string()),
        (None, Some(s)) => t!("exit-signal", signal = s.to_string()),
        (None, None) => t!("exit-unknown"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reason_is_the_vmms_last_error_not_a_warning() {
        let rec = |code, lines: &[&str]| ExitRecord {
            info: ExitInfo {
                code: Some(code),
                signal: None,
            },
            serial_tail: Vec::new(),
            log_tail: lines.iter().map(|s| s.to_string()).collect(),
        };
        let r = rec(
            exit_code::VMM_ERROR,
            &[
                "vmdesk-vmm: restoring snapshot s1: snapshot s1 has 1 vCPUs and 128 MiB",
                "vmdesk-vmm: warning: KVM is software-emulated",
            ],
        );
        assert_eq!(
            r.reason().as_deref(),
            Some("restoring snapshot s1: snapshot s1 has 1 vCPUs and 128 MiB")
        );
        assert_eq!(rec(exit_code::VMM_ERROR, &["booting"]).reason(), None);
        assert_eq!(rec(exit_code::POWER_OFF, &["vmdesk-vmm: x"]).reason(), None);
    }

    /// A seccomp kill reads as one, in the notice and as the last run's meaning, with the
    /// thread and syscall; other failures keep the exit status's meaning.
    #[test]
    fn a_seccomp_kill_is_named_with_its_thread_and_syscall() {
        let rec = |lines: &[&str]| ExitRecord {
            info: ExitInfo {
                code: Some(exit_code::VMM_ERROR),
                signal: None,
            },
            serial_tail: Vec::new(),
            log_tail: lines.iter().map(|s| s.to_string()).collect(),
        };
        let r = rec(&[
            "vmdesk-vmm: confinement: no_new_privs; seccomp: 14 filters; landlock: abi v7",
            "vmdesk-vmm: seccomp: thread 'net0-rx' made syscall 41, which its filter forbids; \
             the VMM stops (run with --seccomp log to find more)",
        ]);
        for text in [r.meaning(), r.reason().unwrap()] {
            assert!(
                text.contains("net0-rx") && text.contains("41") && !text.contains("made syscall"),
                "{text}"
            );
        }
        assert_ne!(r.meaning(), exit_meaning(&r.info));
        let other = rec(&["vmdesk-vmm: restoring snapshot s1: gone"]);
        assert_eq!(other.meaning(), exit_meaning(&other.info));
        assert_eq!(seccomp_kill("seccomp: thread 'x' made syscall "), None);
    }

    #[test]
    fn confinement_reads_as_one_line() {
        let c = |seccomp, landlock: &str| Confinement {
            seccomp,
            filters: 14,
            landlock: landlock.into(),
        };
        let on = confinement_line(&c(SeccompMode::On, "abi v7"));
        assert!(on.contains("14") && on.contains('7'), "{on}");
        let off = confinement_line(&c(SeccompMode::Off, "off"));
        assert!(!off.contains("14"), "{off}");
        assert_ne!(on, off);
        let log = confinement_line(&c(SeccompMode::Log, "unavailable (kernel without it)"));
        assert!(log.contains("kernel without it"), "{log}");
        assert_ne!(log, on);
    }

    #[test]
    fn a_reset_loop_stops_restarting_and_old_resets_are_forgotten() {
        let mut rt = Runtime::default();
        let t0 = Instant::now();
        for i in 0..MAX_RESETS {
            assert!(rt.reset_allows_restart(t0 + Duration::from_secs(i as u64)));
        }
        assert!(!rt.reset_allows_restart(t0 + Duration::from_secs(10)));
        // A minute later the old ones no longer count.
        assert!(rt.reset_allows_restart(t0 + RESET_WINDOW + Duration::from_secs(11)));
        assert_eq!(rt.resets.len(), 1);
    }
}
