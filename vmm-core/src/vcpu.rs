//! vCPU threads: one per vCPU, each looping on `KVM_RUN` and dispatching exits to devices.
//!
//! Pausing: the controller sets a flag and sends each vCPU thread a signal whose handler sets
//! `immediate_exit` in that thread's `kvm_run`, so a vCPU about to enter the guest leaves at
//! once instead of missing the kick.
//!
//! The inspector: a parked vCPU is read directly; a running one answers a [`VcpuProbe`] at its
//! next exit (one relaxed load per exit when nobody asks), and `step` runs one instruction on
//! a parked vCPU from its own thread. Exits go to the [`ExitLog`] only while it is read.

use crate::api::VcpuView;
use crate::devices::Bus;
use crate::exit::{ExitReason, ExitSender};
use crate::exit_log::{ExitLog, Seen};
use crate::util::lock;
use kvm_bindings::{kvm_guest_debug, kvm_run, KVM_GUESTDBG_ENABLE, KVM_GUESTDBG_SINGLESTEP};
use kvm_ioctls::{VcpuExit, VcpuFd};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};
use vm_memory::GuestMemoryMmap;

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
    /// A `step` asked of the parked vCPU with this index.
    step: Option<usize>,
    /// Its answer, taken by the asker.
    stepped: Option<Result<StepOutcome, String>>,
}

/// One instruction run by `step`.
#[derive(Debug, Clone)]
pub struct StepOutcome {
    pub before: VcpuView,
    pub after: VcpuView,
    /// `"debug"` (the single-step trap) or the exit the instruction took first.
    pub stopped_by: &'static str,
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

    /// Has parked vCPU `index` run one instruction (`step` in its thread) and returns what it
    /// did; an error unless the vCPUs are paused, or when it does not answer by `timeout`.
    pub fn step(&self, index: usize, timeout: Duration) -> Result<StepOutcome, String> {
        let mut st = lock(&self.state);
        if !st.paused {
            return Err("the VM is not paused".into());
        }
        if st.step.is_some() {
            return Err("another step is under way".into());
        }
        st.stepped = None;
        st.step = Some(index);
        self.cv.notify_all();
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(r) = st.stepped.take() {
                return r;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                st.step = None;
                return Err(format!("vCPU {index} did not step within {timeout:?}"));
            }
            st = self
                .cv
                .wait_timeout(st, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Called by vCPU thread `index`: blocks while paused, running `step` when asked to.
    fn park(&self, index: usize, mut step: impl FnMut() -> Result<StepOutcome, String>) {
        let mut st = lock(&self.state);
        if !st.paused {
            return;
        }
        st.parked += 1;
        self.cv.notify_all();
        while st.paused {
            if st.step == Some(index) {
                drop(st);
                let r = step();
                st = lock(&self.state);
                st.step = None;
                st.stepped = Some(r);
                self.cv.notify_all();
                continue;
            }
            st = self.cv.wait(st).unwrap_or_else(|e| e.into_inner());
        }
        st.parked -= 1;
    }
}

/// How the API reads a running vCPU: it raises `wanted` and kicks the thread, which answers
/// after its next exit, outside `KVM_RUN`.
#[derive(Default)]
pub struct VcpuProbe {
    wanted: AtomicBool,
    /// The vCPU thread's Linux thread id (0 until it runs).
    pub tid: AtomicU32,
    answer: Mutex<Probed>,
    answered: Condvar,
}

#[derive(Default)]
struct Probed {
    generation: u64,
    last: Option<VcpuView>,
}

impl VcpuProbe {
    /// Asks for fresh registers, calling `kick` to bring the vCPU out of the guest; waits up to
    /// `deadline`. Without an answer: the last values read, marked not fresh.
    pub fn request(&self, kick: impl Fn(), deadline: Duration) -> Option<VcpuView> {
        let mut a = lock(&self.answer);
        let seen = a.generation;
        self.wanted.store(true, Ordering::SeqCst);
        kick();
        let until = Instant::now() + deadline;
        while a.generation == seen {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return a.last.clone().map(|mut v| {
                    v.fresh = false;
                    v
                });
            }
            a = self
                .answered
                .wait_timeout(a, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        a.last.clone()
    }

    /// Keeps `view` as the last values read (the API read a parked vCPU itself).
    pub fn remember(&self, view: &VcpuView) {
        lock(&self.answer).last = Some(view.clone());
    }

    /// The vCPU thread, between exits: answers a pending request.
    #[inline]
    fn serve(&self, vcpu: &VcpuFd, index: usize, mem: &GuestMemoryMmap) {
        if !self.wanted.load(Ordering::Relaxed) {
            return;
        }
        self.wanted.store(false, Ordering::SeqCst);
        let view = crate::cpu_view::read(vcpu, index as u32, mem).ok();
        let mut a = lock(&self.answer);
        if view.is_some() {
            a.last = view;
        }
        a.generation += 1;
        self.answered.notify_all();
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
    pub mem: GuestMemoryMmap,
    pub probe: Arc<VcpuProbe>,
    pub log: Arc<ExitLog>,
}

/// Runs a vCPU until the guest (or the VMM) ends the VM; never returns normally.
///
/// The vCPU fd is shared so the VMM can read and write its state while the vCPU is parked
/// (snapshots); this thread holds the lock only around KVM_RUN and exit handling.
pub fn run(vcpu: Arc<Mutex<VcpuFd>>, ctx: VcpuContext) {
    KVM_RUN_PTR.with(|c| c.set(lock(&vcpu).get_kvm_run() as *mut kvm_run));
    // SAFETY: gettid has no preconditions.
    ctx.probe
        .tid
        .store(unsafe { libc::gettid() } as u32, Ordering::Relaxed);
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
                ctx.control.park(ctx.index, || step(&vcpu, &ctx));
            }
            if ctx.exit.reset_pending() {
                // The machine is resetting in place: the main thread pauses every vCPU and
                // puts the machine back to its power-on state; meanwhile the guest must not
                // run on.
                std::thread::sleep(Duration::from_millis(1));
                continue;
            }
        }
        let mut v = lock(&vcpu);
        if hold && !settled {
            v.set_kvm_immediate_exit(1);
        }
        let (name, outcome) = run_once(&mut v, &ctx);
        settled = name == "interrupted";
        ctx.probe.serve(&v, ctx.index, &ctx.mem);
        drop(v);
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

/// Runs one instruction of a parked vCPU with KVM's single-step and handles the exits it takes
/// as always (an OUT still reaches its device); guest debug is off again afterwards.
fn step(vcpu: &Mutex<VcpuFd>, ctx: &VcpuContext) -> Result<StepOutcome, String> {
    let mut v = lock(vcpu);
    // A vCPU that waits in KVM (HLT, or an AP before its start-up IPI) would not come back
    // from a single step until an interrupt came: there is nothing to step.
    let mp = v
        .get_mp_state()
        .map_err(|e| format!("KVM_GET_MP_STATE: {e}"))?;
    if mp.mp_state != kvm_bindings::KVM_MP_STATE_RUNNABLE {
        return Err(format!(
            "vCPU {} runs no code now (halted, or not started by the guest yet): nothing to step",
            ctx.index
        ));
    }
    // Nothing is pending here: a vCPU parks only once settled (see `run`).
    let before = crate::cpu_view::read(&v, ctx.index as u32, &ctx.mem)?;
    let on = kvm_guest_debug {
        control: KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP,
        ..Default::default()
    };
    v.set_guest_debug(&on)
        .map_err(|e| format!("KVM_SET_GUEST_DEBUG: {e}"))?;
    // A kick that came after the pause's own may still be pending.
    v.set_kvm_immediate_exit(0);
    let mut stopped_by = "interrupted";
    let mut end = None;
    // A kick may still interrupt the first entries; a few tries.
    for _ in 0..4 {
        let (name, outcome) = run_once(&mut v, ctx);
        stopped_by = name;
        match name {
            "interrupted" => continue,
            "io-in" | "io-out" | "io-unhandled" | "mmio-read" | "mmio-write" => {
                // The exit came before the instruction completed (an IN's value reaches
                // the register on the next entry); complete it without running on, since
                // not every KVM traps right after such a completion.
                complete_pending_io(&mut v);
                break;
            }
            _ => {
                end = outcome;
                break;
            }
        }
    }
    let off = v.set_guest_debug(&kvm_guest_debug::default());
    let after = crate::cpu_view::read(&v, ctx.index as u32, &ctx.mem);
    drop(v);
    if let Some(reason) = end {
        ctx.exit.send(reason);
    }
    off.map_err(|e| format!("turning guest debug off: {e}"))?;
    Ok(StepOutcome {
        before,
        after: after?,
        stopped_by,
    })
}

/// Finishes an I/O or MMIO instruction the last exit left pending, without entering the
/// guest: `KVM_RUN` with `immediate_exit` set completes it, then returns `EINTR`.
fn complete_pending_io(v: &mut VcpuFd) {
    v.set_kvm_immediate_exit(1);
    let _ = v.run();
    v.set_kvm_immediate_exit(0);
}

/// One `KVM_RUN` and its exit, handled: the exit's name (as in [`EXIT_NAMES`], or `"debug"`)
/// and, when the VM must end, why.
fn run_once(vcpu: &mut VcpuFd, ctx: &VcpuContext) -> (&'static str, Option<ExitReason>) {
    let c = &ctx.counters;
    let log = ctx.log.enabled().then_some(&*ctx.log);
    let seen = |reason, addr: u64, data: &[u8], device: Option<&Arc<str>>| {
        if let Some(log) = log {
            log.record(Seen {
                vcpu: ctx.index as u32,
                reason,
                addr,
                data,
                has_value: true,
                device,
            });
        }
    };
    match vcpu.run() {
        Ok(VcpuExit::IoOut(port, data)) => {
            c.bump(Exit::IoOut);
            let dev = ctx.pio.write_named(port.into(), data);
            if dev.is_none() {
                c.bump(Exit::IoUnhandled);
            }
            seen("io-out", port.into(), data, dev);
            ("io-out", None)
        }
        Ok(VcpuExit::IoIn(port, data)) => {
            c.bump(Exit::IoIn);
            let dev = ctx.pio.read_named(port.into(), data);
            if dev.is_none() {
                c.bump(Exit::IoUnhandled);
            }
            seen("io-in", port.into(), data, dev);
            ("io-in", None)
        }
        Ok(VcpuExit::MmioRead(addr, data)) => {
            c.bump(Exit::MmioRead);
            let dev = ctx.mmio.read_named(addr, data);
            seen("mmio-read", addr, data, dev);
            ("mmio-read", None)
        }
        Ok(VcpuExit::MmioWrite(addr, data)) => {
            c.bump(Exit::MmioWrite);
            let dev = ctx.mmio.write_named(addr, data);
            seen("mmio-write", addr, data, dev);
            ("mmio-write", None)
        }
        Ok(VcpuExit::Debug(_)) => ("debug", None),
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
            let msg = format!("vCPU {}: KVM {what} (suberror {sub})", ctx.index);
            ("internal-error", Some(ExitReason::Crash(msg)))
        }
        Ok(other) => {
            let (name, end) = other_exit(other, ctx.index, c);
            if name == "shutdown" {
                log_triple_fault(ctx.index, vcpu);
            }
            if let Some(log) = log {
                log.record(Seen {
                    vcpu: ctx.index as u32,
                    reason: name,
                    addr: 0,
                    data: &[],
                    has_value: false,
                    device: None,
                });
            }
            (name, end)
        }
        Err(e) if e.errno() == libc::EINTR || e.errno() == libc::EAGAIN => {
            c.bump(Exit::Interrupted);
            vcpu.set_kvm_immediate_exit(0);
            ("interrupted", None)
        }
        Err(e) => (
            "other",
            Some(ExitReason::Crash(format!(
                "vCPU {}: KVM_RUN failed: {e}",
                ctx.index
            ))),
        ),
    }
}

/// The exits that move no data: counted, named, and whether they end the VM.
fn other_exit(
    exit: VcpuExit<'_>,
    index: usize,
    c: &ExitCounters,
) -> (&'static str, Option<ExitReason>) {
    match exit {
        VcpuExit::Hlt => {
            // With the in-kernel LAPIC, HLT is handled by KVM; seeing it means interrupts
            // are off for good: the guest has stopped itself. Do not spin on it.
            c.bump(Exit::Hlt);
            std::thread::sleep(Duration::from_millis(10));
            ("hlt", None)
        }
        VcpuExit::Shutdown => {
            c.bump(Exit::Shutdown);
            ("shutdown", Some(ExitReason::Reset("triple fault")))
        }
        VcpuExit::FailEntry(reason, cpu) => {
            c.bump(Exit::FailEntry);
            (
                "fail-entry",
                Some(ExitReason::Crash(format!(
                    "vCPU {index} failed to enter the guest (hardware reason {reason:#x}, cpu {cpu})"
                ))),
            )
        }
        VcpuExit::SystemEvent(kind, _) => {
            c.bump(Exit::Other);
            let end = match kind {
                kvm_bindings::KVM_SYSTEM_EVENT_SHUTDOWN => ExitReason::PowerOff,
                kvm_bindings::KVM_SYSTEM_EVENT_RESET => ExitReason::Reset("system event"),
                _ => ExitReason::Crash(format!("system event {kind}")),
            };
            ("other", Some(end))
        }
        _ => {
            c.bump(Exit::Other);
            ("other", None)
        }
    }
}

/// Writes where a vCPU was when the guest triple-faulted to the VMM's log (vmm.log): the one
/// trace a reset leaves of an early-boot crash.
fn log_triple_fault(index: usize, vcpu: &VcpuFd) {
    let (Ok(r), Ok(s)) = (vcpu.get_regs(), vcpu.get_sregs()) else {
        return;
    };
    crate::log_line!(
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
