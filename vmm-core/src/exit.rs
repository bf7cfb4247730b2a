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

impl ExitReason {
    /// A reset, from the guest or the API.
    pub fn is_reset(&self) -> bool {
        matches!(self, ExitReason::Reset(_) | ExitReason::ResetRequested)
    }
}

/// Where devices and the API report that the VM must end. Cheap to clone; never blocks.
///
/// A machine that resets in place (a firmware machine: the firmware simply starts again)
/// treats a reset differently: the process goes on, and until the machine is back in its
/// power-on state the vCPUs stop running the guest (`reset_pending`).
#[derive(Clone)]
pub struct ExitSender {
    tx: Sender<ExitReason>,
    ending: Arc<AtomicBool>,
    in_place: Arc<AtomicBool>,
    reset_pending: Arc<AtomicBool>,
}

impl ExitSender {
    pub fn new(tx: Sender<ExitReason>) -> Self {
        ExitSender {
            tx,
            ending: Arc::new(AtomicBool::new(false)),
            in_place: Arc::new(AtomicBool::new(false)),
            reset_pending: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Reports why the VM must end. From then on vCPUs stop running the guest (it asked to
    /// power off or reset: it must not run on while the process winds down). A reset of a
    /// machine that resets in place only holds the vCPUs until `reset_done`.
    pub fn send(&self, r: ExitReason) {
        if r.is_reset() && self.resets_in_place() {
            self.reset_pending.store(true, Ordering::SeqCst);
        } else {
            self.ending.store(true, Ordering::SeqCst);
        }
        let _ = self.tx.send(r);
    }

    pub fn is_ending(&self) -> bool {
        self.ending.load(Ordering::SeqCst)
    }

    /// From now on a reset restarts the machine in this process instead of ending it.
    pub fn set_resets_in_place(&self) {
        self.in_place.store(true, Ordering::SeqCst);
    }

    pub fn resets_in_place(&self) -> bool {
        self.in_place.load(Ordering::SeqCst)
    }

    /// A reset was asked for and the machine is not back in its power-on state yet.
    pub fn reset_pending(&self) -> bool {
        self.reset_pending.load(Ordering::SeqCst)
    }

    /// The machine is in its power-on state again: the vCPUs may run.
    pub fn reset_done(&self) {
        self.reset_pending.store(false, Ordering::SeqCst);
    }
}
