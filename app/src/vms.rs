//! What the app knows about each VM: its folder entry plus what the VMM said last.

use crate::client::ExitInfo;
use crate::store::VmEntry;
use std::collections::HashMap;
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
