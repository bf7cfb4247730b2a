//! What the app knows about each VM: its folder entry plus what the VMM said last.

use crate::client::ExitInfo;
use crate::store::VmEntry;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use vmm_core::api::{exit_code, RunState, Status};

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
    /// Each VM's screen in small (see `thumbs`).
    pub thumbs: HashMap<String, iced::widget::image::Handle>,
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

#[cfg(test)]
mod tests {
    use super::*;

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
