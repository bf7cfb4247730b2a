//! vCPU threads: one per vCPU, each looping on `KVM_RUN` and dispatching exits to devices.
//!
//! Pausing: the controller sets a flag and sends each vCPU thread a signal whose handler sets
//! `immediate_exit` in that thread's `kvm_run`, so a vCPU about to enter the guest leaves at
//! once instead of missing the kick.

use crate::devices::Bus;
use crate::exit::{ExitReason, ExitSender};
use crate::util::lock;
use kvm_bindings::kvm_run;
use kvm_ioctls::{VcpuExit, VcpuFd};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// Exit reasons we count, in the order the API reports them.
pub const EXIT_NAMES: [&str; 11] = [
    "io-in",
    "io-out",
    "io-unhandled",
    "mmio-read",
    "mmio-write",
    "hlt",
    "shutdown",
    "interrupted",
    "internal-error",
    "fail-entry",
    "other",
];

#[derive(Clone, Copy)]
enum Exit {
    IoIn = 0,
    IoOut,
    IoUnhandled,
    MmioRead,
    MmioWrite,
    Hlt,
    Shutdown,
    Interrupted,
    InternalError,
    FailEntry,
    Other,
}

#[derive(Default)]
pub struct ExitCounters([AtomicU64; EXIT_NAMES.len()]);

impl ExitCounters {
    fn bump(&self, e: Exit) {
        self.0[e as usize].fetch_add(1, Ordering::Relaxed);
    }
    pub fn snapshot(&self) -> [u64; EXIT_NAMES.len()] {
        std::array::from_fn(|i| self.0[i].load(Ordering::Relaxed))
    }
}

/// Shared pause/stop control for all vCPU threads.
pub struct RunControl {
    pause_requested: AtomicBool,
    state: Mutex<CtlState>,
    cv: Condvar,
}

#[derive(Default)]
struct CtlState {
    paused: bool,
    parked: usize,
}

impl Default for RunControl {
    fn default() -> Self {
        RunControl {
            pause_requested: AtomicBool::new(false),
            state: Mutex::new(CtlState::default()),
            cv: Condvar::new(),
        }
    }
}

impl RunControl {
    /// Asks all vCPUs to stop; returns once `n` are parked, or false after `timeout`.
    pub fn pause(&self, n: usize, kick: impl Fn(), timeout: Duration) -> bool {
        self.pause_requested.store(true, Ordering::SeqCst);
        lock(&self.state).paused = true;
        let deadline = std::time::Instant::now() + timeout;
        loop {
            kick();
            let st = lock(&self.state);
            let (st, _) = self
                .cv
                .wait_timeout(st, Duration::from_millis(10))
                .unwrap_or_else(|e| e.into_inner());
            if st.parked >= n {
                return true;
            }
            if std::time::Instant::now() > deadline {
                return false;
            }
        }
    }

    pub fn resume(&self) {
        let mut st = lock(&self.state);
        st.paused = false;
        self.pause_requested.store(false, Ordering::SeqCst);
        self.cv.notify_all();
    }

    /// Called by a vCPU thread: blocks while paused.
    fn park(&self) {
        let mut st = lock(&self.state);
        if !st.paused {
            return;
        }
        st.parked += 1;
        self.cv.notify_all();
        while st.paused {
            st = self.cv.wait(st).unwrap_or_else(|e| e.into_inner());
        }
        st.parked -= 1;
    }
}

thread_local! {
    static KVM_RUN_PTR: Cell<*mut kvm_run> = const { Cell::new(std::ptr::null_mut()) };
}

/// Handler for the kick signal: makes this thread's next (or current) KVM_RUN return at once.
pub extern "C" fn kick_handler(_: libc::c_int, _: *mut libc::siginfo_t, _: *mut libc::c_void) {
    let p = KVM_RUN_PTR.with(|c| c.get());
    if !p.is_null() {
        // SAFETY: the pointer is this thread's own mmapped kvm_run, alive while the thread runs.
        unsafe { std::ptr::write_volatile(&mut (*p).immediate_exit, 1) };
    }
}

pub struct VcpuContext {
    pub index: usize,
    pub pio: Arc<Bus>,
    pub mmio: Arc<Bus>,
    pub control: Arc<RunControl>,
    pub counters: Arc<ExitCounters>,
    pub exit: ExitSender,
}

/// Runs a vCPU until the guest (or the VMM) ends the VM; never returns normally.
///
/// The vCPU fd is shared so the VMM can read and write its state while the vCPU is parked
/// (snapshots); this thread holds the lock only around KVM_RUN and exit handling.
pub fn run(vcpu: Arc<Mutex<VcpuFd>>, ctx: VcpuContext) {
    KVM_RUN_PTR.with(|c| c.set(lock(&vcpu).get_kvm_run() as *mut kvm_run));
    let c = &ctx.counters;
    // Whether KVM has nothing left to finish for the last exit. After an I/O or MMIO exit,
    // KVM completes the instruction (an IN's data into RAX, an emulated instruction's
    // write-back and RIP) only when KVM_RUN is entered again; until then the registers are
    // mid-instruction, and state written meanwhile (a snapshot revert) would be overwritten
    // by that completion — the guest resumed at the old instant's next instruction. So a vCPU
    // stops only once settled: it re-enters with `immediate_exit` set, which completes the
    // exit and returns at once without running the guest (KVM API, "immediate_exit").
    let mut settled = true;
    loop {
        let hold = ctx.control.pause_requested.load(Ordering::SeqCst) || ctx.exit.reset_pending();
        if hold && settled {
            if ctx.control.pause_requested.load(Ordering::SeqCst) {
                ctx.control.park();
            }
            if ctx.exit.reset_pending() {
                // The machine is resetting in place: the main thread pauses every vCPU and
                // puts the machine back to its power-on state; meanwhile the guest must not
                // run on.
                std::thread::sleep(Duration::from_millis(1));
                continue;
            }
        }
        let mut vcpu = lock(&vcpu);
        if hold && !settled {
            vcpu.set_kvm_immediate_exit(1);
        }
        let result = vcpu.run();
        settled =
            matches!(&result, Err(e) if e.errno() == libc::EINTR || e.errno() == libc::EAGAIN);
        let outcome = match result {
            Ok(VcpuExit::IoOut(port, data)) => {
                c.bump(Exit::IoOut);
                if !ctx.pio.write(port.into(), data) {
                    c.bump(Exit::IoUnhandled);
                }
                None
            }
            Ok(VcpuExit::IoIn(port, data)) => {
                c.bump(Exit::IoIn);
                if !ctx.pio.read(port.into(), data) {
                    c.bump(Exit::IoUnhandled);
                }
                None
            }
            Ok(VcpuExit::MmioRead(addr, data)) => {
                c.bump(Exit::MmioRead);
                ctx.mmio.read(addr, data);
                None
            }
            Ok(VcpuExit::MmioWrite(addr, data)) => {
                c.bump(Exit::MmioWrite);
                ctx.mmio.write(addr, data);
                None
            }
            Ok(VcpuExit::Hlt) => {
                // With the in-kernel LAPIC, HLT is handled by KVM; seeing it means interrupts
                // are off for good: the guest has stopped itself. Do not spin on it.
                c.bump(Exit::Hlt);
                std::thread::sleep(Duration::from_millis(10));
                None
            }
            Ok(VcpuExit::Shutdown) => {
                c.bump(Exit::Shutdown);
                log_triple_fault(ctx.index, &vcpu);
                Some(ExitReason::Reset("triple fault"))
            }
            Ok(VcpuExit::FailEntry(reason, cpu)) => {
                c.bump(Exit::FailEntry);
                Some(ExitReason::Crash(format!(
                    "vCPU {} failed to enter the guest (hardware reason {reason:#x}, cpu {cpu})",
                    ctx.index
                )))
            }
            Ok(VcpuExit::InternalError) => {
                c.bump(Exit::InternalError);
                // SAFETY: on KVM_EXIT_INTERNAL_ERROR the `internal` union member is valid.
                let sub = unsafe { vcpu.get_kvm_run().__bindgen_anon_1.internal.suberror };
                let what = match sub {
                    1 => "emulation failure",
                    2 => "simultaneous exceptions",
                    3 => "unexpected exit while delivering an event",
                    _ => "internal error",
                };
                Some(ExitReason::Crash(format!(
                    "vCPU {}: KVM {what} (suberror {sub})",
                    ctx.index
                )))
            }
            Ok(VcpuExit::SystemEvent(kind, _)) => {
                c.bump(Exit::Other);
                match kind {
                    kvm_bindings::KVM_SYSTEM_EVENT_SHUTDOWN => Some(ExitReason::PowerOff),
                    kvm_bindings::KVM_SYSTEM_EVENT_RESET => Some(ExitReason::Reset("system event")),
                    _ => Some(ExitReason::Crash(format!("system event {kind}"))),
                }
            }
            Ok(_) => {
                c.bump(Exit::Other);
                None
            }
            Err(e) if e.errno() == libc::EINTR || e.errno() == libc::EAGAIN => {
                c.bump(Exit::Interrupted);
                vcpu.set_kvm_immediate_exit(0);
                None
            }
            Err(e) => Some(ExitReason::Crash(format!(
                "vCPU {}: KVM_RUN failed: {e}",
                ctx.index
            ))),
        };
        drop(vcpu);
        if let Some(reason) = outcome {
            ctx.exit.send(reason);
        }
        if ctx.exit.is_ending() {
            // The main thread ends the process; this vCPU must not run the guest any further.
            loop {
                std::thread::park();
            }
        }
    }
}

/// Writes where a vCPU was when the guest triple-faulted to the VMM's log (vmm.log): the one
/// trace a reset leaves of an early-boot crash.
fn log_triple_fault(index: usize, vcpu: &VcpuFd) {
    let (Ok(r), Ok(s)) = (vcpu.get_regs(), vcpu.get_sregs()) else {
        return;
    };
    eprintln!(
        "vmdesk-vmm: vCPU {index} triple fault at cs={:#x}:rip={:#x} rsp={:#x} rflags={:#x} \
         cr0={:#x} cr2={:#x} cr3={:#x} cr4={:#x} efer={:#x} idt={:#x}/{:#x} rax={:#x} rcx={:#x} \
         rdx={:#x}",
        s.cs.selector,
        r.rip,
        r.rsp,
        r.rflags,
        s.cr0,
        s.cr2,
        s.cr3,
        s.cr4,
        s.efer,
        s.idt.base,
        s.idt.limit,
        r.rax,
        r.rcx,
        r.rdx
    );
}
