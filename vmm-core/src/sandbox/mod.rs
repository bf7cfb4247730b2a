//! Confinement of `vmdesk-vmm` (issue 17): `no_new_privs`, a seccomp filter per thread kind and
//! Landlock limiting file access to the VM's own files.
//!
//! The binary calls [`init`] once, after the config is checked and before anything is built.
//! Every thread then calls [`confine`] with its kind as its first act; without [`init`] (unit
//! tests, benches) `confine` does nothing. A thread spawned by a confined thread inherits its
//! parent's filter and Landlock domain (the kernel stacks filters; a child can only narrow),
//! so a spawner's allow list includes what its children need ([`ThreadKind::children`]).
//!
//! A syscall outside a thread's list raises SIGSYS (`SECCOMP_RET_TRAP`); the handler names
//! the thread and the syscall on stderr (vmm.log) and ends the process with
//! [`EXIT_STATUS`]. In `log` mode the kernel logs it instead
//! (`SECCOMP_RET_LOG`, visible in `dmesg` with the thread's name) and the call goes on: the way
//! to find a missing syscall.

#[cfg(target_arch = "x86_64")]
mod fs;
#[cfg(target_arch = "x86_64")]
mod ioctls;
#[cfg(target_arch = "x86_64")]
mod seccomp;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The exit status after a forbidden syscall, or when a thread cannot be confined: the
/// VMM-error status (`api::exit_code::VMM_ERROR`, which the binary checks at compile time;
/// this module sits below `api` and does not import it).
pub const EXIT_STATUS: i32 = 1;

/// What seccomp does with a syscall outside a thread's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeccompMode {
    /// SIGSYS: the process ends with a line naming the thread and syscall.
    On,
    /// The kernel logs it (dmesg, audit) and lets it through.
    Log,
    /// No filters.
    Off,
}

impl std::str::FromStr for SeccompMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "on" => Ok(SeccompMode::On),
            "log" => Ok(SeccompMode::Log),
            "off" => Ok(SeccompMode::Off),
            _ => Err(format!("'{s}' is not one of on, log, off")),
        }
    }
}

/// The kinds of threads `vmdesk-vmm` runs, each with its own allow list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ThreadKind {
    /// Builds the VM, spawns the vCPUs, waits for the end, writes last-exit.json.
    Main,
    /// `vcpuN`: KVM_RUN and the devices it traps into (starts virtio-blk's I/O thread).
    Vcpu,
    /// `api`: accepts control connections.
    Api,
    /// `api-client`: one control connection (snapshots, screenshots, discs, the inspector).
    ApiClient,
    /// `api-stream`: a subscription's events to a client.
    ApiStream,
    /// `vnc-accept`: accepts VNC connections.
    VncAccept,
    /// `vnc-client-N`: one VNC connection's reader (keys, pointer).
    VncClient,
    /// `vnc-writer`: one VNC connection's updates.
    VncWriter,
    /// `display`: harvests the framebuffer's dirty log.
    Display,
    /// `virtio-blk`: a disk's I/O.
    Block,
    /// `<nic>-rx` / `<nic>-tx`: frames between a virtio-net queue and passt's socket.
    Net,
    /// `<nic>-slirp`: libslirp's loop (a NIC's user-mode network inside the VMM): host sockets
    /// for the guest's connections and the forwards, frames to and from the device.
    Slirp,
    /// `<nic>-passt-log`: passt's stderr into vmm.log.
    PasstLog,
    /// `console-in`: the terminal's keys to the serial port (`--console`).
    ConsoleIn,
    /// `serial-pump`: sends the serial port's waiting output (log, terminal, subscribers).
    SerialPump,
}

impl ThreadKind {
    pub const ALL: [ThreadKind; 15] = [
        ThreadKind::Main,
        ThreadKind::Vcpu,
        ThreadKind::Api,
        ThreadKind::ApiClient,
        ThreadKind::ApiStream,
        ThreadKind::VncAccept,
        ThreadKind::VncClient,
        ThreadKind::VncWriter,
        ThreadKind::Display,
        ThreadKind::Block,
        ThreadKind::Net,
        ThreadKind::Slirp,
        ThreadKind::PasstLog,
        ThreadKind::ConsoleIn,
        ThreadKind::SerialPump,
    ];

    /// The kinds of threads this kind spawns (after it is confined).
    pub fn children(self) -> &'static [ThreadKind] {
        use ThreadKind::*;
        match self {
            // The vCPUs (again on an in-place reset), the display's dirty-log harvester.
            Main => &[Vcpu, Display, SerialPump],
            // A disk's I/O thread starts when the guest's driver sets DRIVER_OK.
            Vcpu => &[Block],
            Api => &[ApiClient],
            // Subscriptions; a snapshot revert restarts the disks' I/O threads.
            ApiClient => &[ApiStream, Block],
            VncAccept => &[VncClient],
            VncClient => &[VncWriter],
            _ => &[],
        }
    }
}

/// What [`init`] needs to know.
#[derive(Debug, Clone)]
pub struct Policy {
    pub seccomp: SeccompMode,
    pub landlock: bool,
    /// Folders the VMM may read and write in: the VM's folder, the runtime folder.
    pub rw_dirs: Vec<PathBuf>,
    /// Files it may read and write: the disks' images.
    pub rw_files: Vec<PathBuf>,
    /// Files it may only read: backing files, kernel, initrd, firmware, discs.
    pub ro_files: Vec<PathBuf>,
    /// Folders it may only read: the folders of the configured discs (a disc changed at run
    /// time must be in one of them), /proc/self (the inspector, usage).
    pub ro_dirs: Vec<PathBuf>,
    /// Where a seccomp kill is recorded (the VM's `last-exit.json`), if anywhere.
    pub exit_record: Option<PathBuf>,
}

/// Whether this kernel has Landlock (so a default `vmdesk-vmm` confines file access).
pub fn landlock_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    return fs::kernel_abi().is_some();
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// What confinement is in force, for vmm.log and the `status` API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub seccomp: SeccompMode,
    /// The number of distinct filters (one per thread kind).
    pub filters: usize,
    /// Landlock's ABI version, or why it is not in force.
    pub landlock: Result<i32, String>,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.seccomp {
            SeccompMode::On => write!(f, "seccomp: {} filters", self.filters)?,
            SeccompMode::Log => write!(f, "seccomp: {} filters, log only", self.filters)?,
            SeccompMode::Off => write!(f, "seccomp: off")?,
        }
        match &self.landlock {
            Ok(v) => write!(f, "; landlock: abi v{v}"),
            Err(why) => write!(f, "; landlock: {why}"),
        }
    }
}

#[cfg(target_arch = "x86_64")]
struct State {
    filters: std::collections::BTreeMap<ThreadKind, seccompiler::BpfProgram>,
    /// `openat` → EACCES, for threads that open no files.
    deny_files: Option<seccompiler::BpfProgram>,
    landlock: Option<fs::Ruleset>,
    /// The policy with its paths made canonical, for [`write_refused`] / [`read_refused`].
    policy: Policy,
    /// What [`init`] reported, for the `status` API.
    status: Status,
}

/// `p` with symbolic links resolved; a file that does not exist yet by its folder's.
fn real(p: &Path) -> PathBuf {
    if let Ok(r) = p.canonicalize() {
        return r;
    }
    match (
        p.parent().and_then(|d| d.canonicalize().ok()),
        p.file_name(),
    ) {
        (Some(d), Some(f)) => d.join(f),
        _ => p.to_path_buf(),
    }
}

/// Why an API caller's file at `path` cannot be written (a screenshot), when Landlock is in
/// force and `path` is outside the VM's folder and runtime folder. The kernel would refuse
/// with a bare "Permission denied"; this says where writing is allowed.
pub fn write_refused(path: &Path) -> Option<String> {
    #[cfg(target_arch = "x86_64")]
    if let Some(st) = STATE.get().filter(|st| st.landlock.is_some()) {
        let p = real(path);
        if !st.policy.rw_dirs.iter().any(|d| p.starts_with(d)) {
            let dirs: Vec<String> = st
                .policy
                .rw_dirs
                .iter()
                .map(|d| d.display().to_string())
                .collect();
            return Some(format!(
                "path: {} is outside the folders this VM may write (Landlock confines it to \
                 its folder, its runtime folder and the screenshot folder it was started with: \
                 {})",
                path.display(),
                dirs.join(", ")
            ));
        }
    }
    let _ = path;
    None
}

/// Why a file at `path` cannot be read (a disc inserted at run time), when Landlock is in
/// force and `path` is outside what the VM may read.
pub fn read_refused(path: &Path) -> Option<String> {
    #[cfg(target_arch = "x86_64")]
    if let Some(st) = STATE.get().filter(|st| st.landlock.is_some()) {
        let p = real(path);
        let pol = &st.policy;
        let ok = pol
            .rw_dirs
            .iter()
            .chain(&pol.ro_dirs)
            .any(|d| p.starts_with(d))
            || pol.rw_files.iter().chain(&pol.ro_files).any(|f| *f == p);
        if !ok {
            return Some(format!(
                "path: {} is outside the folders this VM may read (Landlock confines it to its \
                 folder, its runtime folder and the folders of its configured discs); put the \
                 disc there, or change the disc in the VM's settings and restart it",
                path.display()
            ));
        }
    }
    let _ = path;
    None
}

#[cfg(target_arch = "x86_64")]
static STATE: OnceLock<State> = OnceLock::new();

/// Sets `no_new_privs` (inherited by every thread and child process from here on), compiles
/// the filters, prepares the Landlock ruleset and installs the SIGSYS reporter. Call once,
/// before any thread is spawned.
#[cfg(target_arch = "x86_64")]
pub fn init(policy: &Policy) -> Result<Status, String> {
    // SAFETY: prctl with constant arguments.
    if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } != 0 {
        return Err(format!("no_new_privs: {}", std::io::Error::last_os_error()));
    }
    let mut filters = std::collections::BTreeMap::new();
    if policy.seccomp != SeccompMode::Off {
        for kind in ThreadKind::ALL {
            filters.insert(kind, seccomp::filter(kind, policy.seccomp)?);
        }
        if let Some(path) = &policy.exit_record {
            seccomp::open_exit_record(path)?;
        }
        seccomp::install_sigsys_reporter()?;
    }
    let deny_files = match policy.seccomp {
        SeccompMode::Off => None,
        _ => Some(seccomp::deny_files()?),
    };
    let (landlock, landlock_status) = if policy.landlock {
        match fs::Ruleset::new(policy)? {
            Some(r) => {
                let abi = r.abi;
                (Some(r), Ok(abi))
            }
            None => (None, Err("unavailable (kernel without it)".to_string())),
        }
    } else {
        (None, Err("off".to_string()))
    };
    let status = Status {
        seccomp: policy.seccomp,
        filters: filters.len(),
        landlock: landlock_status,
    };
    let canonical = |v: &[PathBuf]| v.iter().map(|p| real(p)).collect::<Vec<_>>();
    let policy = Policy {
        rw_dirs: canonical(&policy.rw_dirs),
        rw_files: canonical(&policy.rw_files),
        ro_files: canonical(&policy.ro_files),
        ro_dirs: canonical(&policy.ro_dirs),
        ..policy.clone()
    };
    STATE
        .set(State {
            filters,
            deny_files,
            landlock,
            policy,
            status: status.clone(),
        })
        .map_err(|_| "sandbox: init called twice".to_string())?;
    Ok(status)
}

#[cfg(not(target_arch = "x86_64"))]
pub fn init(policy: &Policy) -> Result<Status, String> {
    Ok(Status {
        seccomp: SeccompMode::Off,
        filters: 0,
        landlock: Err("not on this architecture".into()),
    })
}

/// The confinement [`init`] put in force; None before it (unit tests, benches).
pub fn current() -> Option<Status> {
    #[cfg(target_arch = "x86_64")]
    return STATE.get().map(|st| st.status.clone());
    #[cfg(not(target_arch = "x86_64"))]
    None
}

/// Confines the calling thread as `kind`: Landlock (unless inherited from a confined parent),
/// then its seccomp filter. Does nothing before [`init`]. A failure here ends the process: a
/// thread that runs unconfined when confinement was asked for is worse than no VM.
pub fn confine(kind: ThreadKind) {
    #[cfg(target_arch = "x86_64")]
    if let Some(st) = STATE.get() {
        if let Err(e) = confine_with(st, kind) {
            crate::log_line!("vmdesk-vmm: confining thread {kind:?}: {e}");
            std::process::exit(EXIT_STATUS);
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = kind;
    #[cfg(debug_assertions)]
    test_trespass(kind);
}

/// Debug builds only (the e2e tests run them; release builds have no such door): a real thread
/// of the real VMM, just confined, does what its confinement forbids, so that an e2e test sees
/// the filter and Landlock act on the process as it runs a guest.
/// - `VMDESK_TEST_FORBIDDEN_SYSCALL=<kind>` (e.g. `Vcpu`, `Main`): that kind of thread calls
///   ptrace(2), on no thread's list;
/// - `VMDESK_TEST_OPEN=<path>`: the main thread opens the file and logs what happened.
#[cfg(debug_assertions)]
fn test_trespass(kind: ThreadKind) {
    if std::env::var("VMDESK_TEST_FORBIDDEN_SYSCALL").is_ok_and(|k| k == format!("{kind:?}")) {
        crate::log_line!("vmdesk-vmm: test: thread {kind:?} calls ptrace");
        // SAFETY: PTRACE_TRACEME takes no pointers; the filter stops the call anyway.
        unsafe { libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0) };
    }
    if kind != ThreadKind::Main {
        return;
    }
    if let Ok(path) = std::env::var("VMDESK_TEST_OPEN") {
        let r = std::fs::File::open(&path).map(|_| "opened".to_string());
        crate::log_line!(
            "vmdesk-vmm: test: open {path}: {}",
            r.unwrap_or_else(|e| e.to_string())
        );
    }
}

#[cfg(target_arch = "x86_64")]
fn confine_with(st: &State, kind: ThreadKind) -> Result<(), String> {
    // A thread made by a confined thread already has its Landlock domain; stacking the same
    // one again would only use up layers (the kernel allows 16).
    // SAFETY: prctl with constant arguments.
    let inherited = unsafe { libc::prctl(libc::PR_GET_SECCOMP, 0, 0, 0, 0) } == 2;
    if let Some(r) = &st.landlock {
        if !inherited || st.filters.is_empty() {
            r.restrict_self()?;
        }
    }
    if let Some(f) = st.filters.get(&kind) {
        seccompiler::apply_filter(f).map_err(|e| format!("seccomp: {e}"))?;
    }
    if let Some(f) = st
        .deny_files
        .as_ref()
        .filter(|_| !seccomp::opens_files(kind))
    {
        seccompiler::apply_filter(f).map_err(|e| format!("seccomp: {e}"))?;
    }
    Ok(())
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests;
