//! Why a VM ends ([`ExitReason`]) and how devices, vCPUs and the API report it
//! ([`ExitSender`]). Its own module so that devices and vCPUs need not import the VMM.

use crate::api::exit_code;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Arc;

/// Why the VM ended.
#[derive(Debug, Clone, PartialEq)]
pub enum ExitReason {
    PowerOff,
    /// The guest asked for a reset (how).
    Reset(&'static str),
    /// The control API's `reset` (the reset button).
    ResetRequested,
    Crash(String),
    Killed,
    Error(String),
}

impl ExitReason {
    pub fn code(&self) -> i32 {
        match self {
            ExitReason::PowerOff => exit_code::POWER_OFF,
            ExitReason::Reset(_) | ExitReason::ResetRequested => exit_code::RESET,
            ExitReason::Crash(_) => exit_code::GUEST_CRASH,
            ExitReason::Killed => exit_code::KILLED,
            ExitReason::Error(_) => exit_code::VMM_ERROR,
        }
    }

    /// Short machine-readable name for the API.
    pub fn name(&self) -> &'static str {
        match self {
            ExitReason::PowerOff => "power-off",
            ExitReason::Reset(_) | ExitReason::ResetRequested => "reset",
            ExitReason::Crash(_) => "guest-crash",
            ExitReason::Killed => "killed",
            ExitReason::Error(_) => "vmm-error",
        }
    }
}

impl std::fmt::Display for ExitReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExitReason::PowerOff => write!(f, "the guest powered off"),
            ExitReason::Reset(how) => write!(f, "the guest asked for a reset ({how})"),
            ExitReason::Crash(what) => write!(f, "the guest crashed: {what}"),
            ExitReason::ResetRequested => write!(f, "reset through the control API"),
            ExitReason::Killed => write!(f, "killed through the control API"),
            ExitReason::Error(what) => write!(f, "VMM error: {what}"),
        }
    }
}

/// Where devices and the API report that the VM must end. Cheap to clone; never blocks.
#[derive(Clone)]
pub struct ExitSender(Sender<ExitReason>, Arc<AtomicBool>);

impl ExitSender {
    pub fn new(tx: Sender<ExitReason>) -> Self {
        ExitSender(tx, Arc::new(AtomicBool::new(false)))
    }

    /// Reports why the VM must end. From then on vCPUs stop running the guest (it asked to
    /// power off or reset: it must not run on while the process winds down).
    pub fn send(&self, r: ExitReason) {
        self.1.store(true, Ordering::SeqCst);
        let _ = self.0.send(r);
    }

    pub fn is_ending(&self) -> bool {
        self.1.load(Ordering::SeqCst)
    }
}
