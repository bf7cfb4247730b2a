//! The seccomp allow lists, one per [`ThreadKind`], and the SIGSYS reporter.
//!
//! The lists were found by running the e2e, net, storage, vnc and disk_snapshot tests with
//! `--seccomp log` and reading the kernel's log (`dmesg`: `comm` is the thread's name, `syscall`
//! the number), starting from what Rust's std and glibc need on any thread.

use super::{ioctls, SeccompMode, ThreadKind};
use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};
use std::collections::BTreeMap;

/// A syscall, allowed always or only with one of some argument patterns.
enum Allow {
    Any(i64),
    /// The syscall with argument `arg` equal to one of the values.
    ArgIn(i64, u8, Vec<u64>),
}

use Allow::{Any, ArgIn};

/// What every thread needs: Rust's std, glibc, the allocator, locks, time, its own end, and
/// confining its own children further (seccomp, Landlock only ever narrow).
fn base() -> Vec<Allow> {
    vec![
        Any(libc::SYS_read),
        Any(libc::SYS_write),
        Any(libc::SYS_readv),
        Any(libc::SYS_writev),
        Any(libc::SYS_close),
        Any(libc::SYS_futex),
        Any(libc::SYS_mmap),
        Any(libc::SYS_munmap),
        Any(libc::SYS_mprotect),
        Any(libc::SYS_madvise),
        Any(libc::SYS_mremap),
        Any(libc::SYS_brk),
        Any(libc::SYS_rt_sigprocmask),
        Any(libc::SYS_rt_sigreturn),
        Any(libc::SYS_sigaltstack),
        Any(libc::SYS_exit),
        Any(libc::SYS_exit_group),
        Any(libc::SYS_sched_yield),
        Any(libc::SYS_clock_gettime),
        Any(libc::SYS_clock_nanosleep),
        Any(libc::SYS_nanosleep),
        Any(libc::SYS_gettid),
        Any(libc::SYS_getpid),
        // Who owns a file (private modes), CPU time (counters): read-only questions.
        Any(libc::SYS_getuid),
        Any(libc::SYS_geteuid),
        Any(libc::SYS_getrusage),
        Any(libc::SYS_getrandom),
        Any(libc::SYS_restart_syscall),
        Any(libc::SYS_fstat),
        Any(libc::SYS_newfstatat),
        Any(libc::SYS_statx),
        Any(libc::SYS_lseek),
        Any(libc::SYS_fcntl),
        Any(libc::SYS_seccomp),
        Any(libc::SYS_landlock_restrict_self),
        // glibc's malloc reads /sys/devices/system/cpu/online when a thread makes its arena,
        // on any thread. Threads that open no files get EACCES for it from a second filter
        // ([`deny_files`]); the others are bounded by Landlock.
        Any(libc::SYS_openat),
        // Thread names (std names its threads; the SIGSYS reporter reads them) and the
        // "already confined?" question.
        ArgIn(
            libc::SYS_prctl,
            0,
            vec![
                libc::PR_SET_NAME as u64,
                libc::PR_GET_NAME as u64,
                libc::PR_GET_SECCOMP as u64,
                libc::PR_SET_NO_NEW_PRIVS as u64,
            ],
        ),
    ]
}

/// What a thread needs to start another one.
fn spawn() -> Vec<Allow> {
    vec![
        Any(libc::SYS_clone),
        Any(libc::SYS_clone3),
        Any(libc::SYS_set_robust_list),
        Any(libc::SYS_rseq),
        Any(libc::SYS_sched_getaffinity),
    ]
}

/// Sockets already connected or listening: accept, send, receive, options, non-blocking.
fn sockets() -> Vec<Allow> {
    vec![
        Any(libc::SYS_accept4),
        Any(libc::SYS_recvfrom),
        Any(libc::SYS_recvmsg),
        Any(libc::SYS_sendto),
        Any(libc::SYS_sendmsg),
        Any(libc::SYS_shutdown),
        Any(libc::SYS_setsockopt),
        Any(libc::SYS_getsockopt),
        Any(libc::SYS_getsockname),
        Any(libc::SYS_getpeername),
        Any(libc::SYS_poll),
        Any(libc::SYS_ppoll),
        ArgIn(libc::SYS_ioctl, 1, vec![libc::FIONBIO]),
    ]
}

/// Files: opening (Landlock decides where), writing atomically, snapshots' folders.
fn files() -> Vec<Allow> {
    vec![
        Any(libc::SYS_openat),
        Any(libc::SYS_pread64),
        Any(libc::SYS_pwrite64),
        Any(libc::SYS_fsync),
        Any(libc::SYS_fdatasync),
        Any(libc::SYS_ftruncate),
        Any(libc::SYS_fallocate),
        Any(libc::SYS_unlink),
        Any(libc::SYS_unlinkat),
        Any(libc::SYS_rename),
        Any(libc::SYS_renameat),
        Any(libc::SYS_renameat2),
        Any(libc::SYS_mkdir),
        Any(libc::SYS_mkdirat),
        Any(libc::SYS_rmdir),
        Any(libc::SYS_getdents64),
        Any(libc::SYS_readlink),
        Any(libc::SYS_readlinkat),
        Any(libc::SYS_fchmod),
        Any(libc::SYS_flock),
        Any(libc::SYS_getcwd),
        // Snapshots: private modes (chmod), whether the folder's filesystem is sparse-capable
        // (fstatfs), access checks.
        Any(libc::SYS_chmod),
        Any(libc::SYS_fchmodat),
        Any(libc::SYS_fstatfs),
        Any(libc::SYS_statfs),
        Any(libc::SYS_access),
        Any(libc::SYS_faccessat),
        Any(libc::SYS_faccessat2),
    ]
}

/// Disk I/O on open images (imago's sync backend): positioned and vectored, flush, discard,
/// write-zeroes.
fn block_io() -> Vec<Allow> {
    vec![
        Any(libc::SYS_pread64),
        Any(libc::SYS_pwrite64),
        Any(libc::SYS_preadv),
        Any(libc::SYS_pwritev),
        Any(libc::SYS_preadv2),
        Any(libc::SYS_pwritev2),
        Any(libc::SYS_fsync),
        Any(libc::SYS_fdatasync),
        Any(libc::SYS_fallocate),
        Any(libc::SYS_ftruncate),
        // Image locks (OFD locks through fcntl are in the base).
        Any(libc::SYS_flock),
    ]
}

/// `ioctl` with its request (argument 1) one of `requests`.
fn ioctl_in(requests: Vec<u64>) -> Allow {
    ArgIn(libc::SYS_ioctl, 1, requests)
}

/// Raising a guest interrupt from a device's thread (virtio-pci INTx or MSI, the i8042's),
/// and nothing else of KVM; FIONBIO for its sockets.
fn irq() -> Vec<Allow> {
    let mut r = ioctls::interrupts();
    r.push(libc::FIONBIO);
    vec![ioctl_in(r)]
}

/// KVM on a built VM: `requests` (never one that creates a VM, vCPU or device), kicking
/// vCPUs out of KVM_RUN with a signal, eventfds.
fn kvm(pid: u64, requests: Vec<u64>) -> Vec<Allow> {
    vec![
        ioctl_in(requests),
        // Only to threads of this process.
        ArgIn(libc::SYS_tgkill, 0, vec![pid]),
        Any(libc::SYS_eventfd2),
    ]
}

/// A kind's own list, without its children's.
fn own(kind: ThreadKind, pid: u64) -> Vec<Allow> {
    use ThreadKind::*;
    let mut v = base();
    match kind {
        Main => {
            v.extend(spawn());
            v.extend(files());
            v.extend(sockets());
            // Reset in place: every vCPU's and the VM's power-on state written back.
            v.extend(kvm(
                pid,
                [
                    ioctls::vcpu_state(),
                    ioctls::vm_state(),
                    ioctls::vm_devices(),
                    ioctls::terminal(),
                ]
                .concat(),
            ));
            // The vCPU kick signal's handler; the terminal's mode (--console).
            v.push(Any(libc::SYS_rt_sigaction));
            v.push(ArgIn(libc::SYS_wait4, 2, vec![0, libc::WNOHANG as u64]));
            v.push(Any(libc::SYS_kill));
        }
        Vcpu => {
            v.extend(spawn());
            // Its own run and state (the inspector reads it, snapshots and reset write it
            // while the vCPU is parked), what the guest's device programming changes, discs.
            v.extend(kvm(
                pid,
                [
                    ioctls::vcpu_run(),
                    ioctls::vcpu_state(),
                    ioctls::vm_devices(),
                    ioctls::block_device(),
                ]
                .concat(),
            ));
            v.extend(block_io());
            // A disc insert/eject and the UEFI variables' write-through touch files.
            v.extend(files());
            v.extend(sockets());
        }
        Api => {
            v.extend(spawn());
            v.extend(sockets());
        }
        ApiClient => {
            v.extend(spawn());
            v.extend(sockets());
            v.extend(files());
            // Snapshots (save, revert), screenshots (the dirty log), the inspector, a disc or
            // disk reopened on revert.
            v.extend(kvm(
                pid,
                [
                    ioctls::vcpu_state(),
                    ioctls::vm_state(),
                    ioctls::vm_devices(),
                    ioctls::block_device(),
                    ioctls::write_watch(),
                ]
                .concat(),
            ));
            v.extend(block_io());
            v.push(Any(libc::SYS_mincore));
            // A live save's write watch over guest RAM (snapshot::write_watch).
            v.push(Any(libc::SYS_userfaultfd));
        }
        ApiStream => v.extend(sockets()),
        VncAccept => {
            v.extend(spawn());
            v.extend(sockets());
        }
        // Keys and the pointer reach the guest as interrupts; a new client's first picture
        // harvests the dirty log.
        VncClient => {
            v.extend(spawn());
            v.extend(sockets());
            v.extend(irq());
            v.push(ioctl_in(ioctls::dirty_log()));
        }
        VncWriter => v.extend(sockets()),
        // The framebuffer's dirty log.
        Display => v.push(ioctl_in(ioctls::dirty_log())),
        // Waits on its queue's eventfd (poll), completes requests with an interrupt.
        Block => {
            v.extend(block_io());
            v.extend(irq());
            v.push(Any(libc::SYS_poll));
            v.push(Any(libc::SYS_ppoll));
        }
        Net => {
            v.extend(sockets());
            v.extend(irq());
        }
        // The guest's TCP/UDP/ICMP as host sockets it opens and connects, forwards it listens
        // on; frames to the device over the socketpair. (It may not open files: its
        // /etc/resolv.conf read fails with EACCES and it relays DNS to its default.)
        Slirp => {
            v.extend(sockets());
            v.extend([
                Any(libc::SYS_socket),
                Any(libc::SYS_connect),
                Any(libc::SYS_bind),
                Any(libc::SYS_listen),
                Any(libc::SYS_accept),
                ArgIn(libc::SYS_ioctl, 1, vec![libc::FIONREAD]),
            ]);
        }
        PasstLog => {}
        ConsoleIn => {}
        // Writes (log, terminal), the UART's interrupt eventfd: all in the base list.
        SerialPump => {}
    }
    v
}

/// `kind`'s list with everything its children (and theirs) need.
fn allowed(kind: ThreadKind, pid: u64) -> Vec<Allow> {
    let mut v = own(kind, pid);
    for &c in kind.children() {
        v.extend(allowed(c, pid));
    }
    v
}

/// The syscalls `kind` may make (numbers, for the test).
#[cfg(test)]
pub(super) fn syscalls(kind: ThreadKind) -> std::collections::BTreeSet<i64> {
    allowed(kind, 0)
        .iter()
        .map(|a| match a {
            Any(n) | ArgIn(n, ..) => *n,
        })
        .collect()
}

/// The ioctl requests `kind` may make, or None when any is allowed (for the test).
#[cfg(test)]
pub(super) fn ioctl_requests(kind: ThreadKind) -> Option<std::collections::BTreeSet<u64>> {
    let mut out = std::collections::BTreeSet::new();
    for a in allowed(kind, 0) {
        match a {
            Any(libc::SYS_ioctl) => return None,
            ArgIn(libc::SYS_ioctl, 1, v) => out.extend(v),
            _ => {}
        }
    }
    Some(out)
}

/// Whether `kind` or a thread it spawns opens files (snapshots, screenshots, discs, the UEFI
/// variables, /proc for the inspector). The others get [`deny_files`] on top of their filter.
pub(super) fn opens_files(kind: ThreadKind) -> bool {
    use ThreadKind::*;
    matches!(kind, Main | Vcpu | Api | ApiClient)
}

/// A second filter for threads that open no files: `openat` fails with EACCES (glibc's
/// malloc then falls back to a default CPU count) and everything else is left to the first
/// filter. Stacked filters take the strictest answer, so this errno wins over its allow.
pub(super) fn deny_files() -> Result<BpfProgram, String> {
    let rules = BTreeMap::from([(libc::SYS_openat, Vec::new())]);
    let f = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EACCES as u32),
        TargetArch::x86_64,
    )
    .map_err(|e| format!("seccomp: {e}"))?;
    f.try_into()
        .map_err(|e: seccompiler::BackendError| format!("seccomp: {e}"))
}

/// Compiles `kind`'s filter.
pub(super) fn filter(kind: ThreadKind, mode: SeccompMode) -> Result<BpfProgram, String> {
    // SAFETY: getpid has no preconditions.
    let pid = unsafe { libc::getpid() } as u64;
    // An unconditional allow wins over argument rules for the same syscall; the argument
    // values of a kind and its children are merged (and duplicates dropped).
    let mut any = std::collections::BTreeSet::new();
    let mut values: BTreeMap<(i64, u8), std::collections::BTreeSet<u64>> = BTreeMap::new();
    for a in allowed(kind, pid) {
        match a {
            Any(n) => {
                any.insert(n);
            }
            ArgIn(n, arg, v) => values.entry((n, arg)).or_default().extend(v),
        }
    }
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> = any.iter().map(|&n| (n, Vec::new())).collect();
    for ((n, arg), vs) in values {
        if any.contains(&n) {
            continue;
        }
        let entry = rules.entry(n).or_default();
        for value in vs {
            let cond = SeccompCondition::new(arg, SeccompCmpArgLen::Qword, SeccompCmpOp::Eq, value)
                .map_err(|e| format!("seccomp rule for syscall {n}: {e}"))?;
            let rule = SeccompRule::new(vec![cond])
                .map_err(|e| format!("seccomp rule for syscall {n}: {e}"))?;
            entry.push(rule);
        }
    }
    let mismatch = match mode {
        SeccompMode::Log => SeccompAction::Log,
        _ => SeccompAction::Trap,
    };
    let f = SeccompFilter::new(rules, mismatch, SeccompAction::Allow, TargetArch::x86_64)
        .map_err(|e| format!("seccomp filter for {kind:?}: {e}"))?;
    f.try_into()
        .map_err(|e: seccompiler::BackendError| format!("seccomp filter for {kind:?}: {e}"))
}

/// `last-exit.json`, opened by [`open_exit_record`] while files could still be opened; -1 when
/// there is none.
static EXIT_FD: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(-1);

/// A fixed buffer a signal handler can format into (no allocation).
struct Buf<const N: usize> {
    b: [u8; N],
    len: usize,
}

impl<const N: usize> Buf<N> {
    fn new() -> Self {
        Buf { b: [0; N], len: 0 }
    }
    fn put(&mut self, bytes: &[u8]) {
        for &c in bytes {
            if self.len < N {
                self.b[self.len] = c;
                self.len += 1;
            }
        }
    }
    fn num(&mut self, mut n: u64) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.put(&digits[i..]);
    }
    fn bytes(&self) -> &[u8] {
        &self.b[..self.len]
    }
}

/// Keeps `path` (the VM's `last-exit.json`) open for the SIGSYS reporter: a thread killed by
/// its filter may be one that can no longer open or rename files, but every thread may
/// write to an open file. The file is opened as it is (created empty if missing, which
/// readers take for "no record"), not truncated: the record the VMM leaves at a normal end
/// replaces it by rename, and the previous one stays readable until then.
pub(super) fn open_exit_record(path: &std::path::Path) -> Result<(), String> {
    use std::os::unix::fs::OpenOptionsExt;
    use std::os::unix::io::IntoRawFd;
    let f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    EXIT_FD.store(f.into_raw_fd(), std::sync::atomic::Ordering::Relaxed);
    Ok(())
}

/// On SIGSYS (a syscall outside the thread's list): one line on stderr naming the thread and
/// the syscall, the same in `last-exit.json` (reason "seccomp"), then the process ends with
/// VMM_ERROR. Only async-signal-safe calls, all in every thread's list (prctl PR_GET_NAME,
/// write, fstat, lseek, clock_gettime, exit_group).
extern "C" fn on_sigsys(_sig: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    // siginfo_t's `_sigsys` member on x86_64: `_call_addr` (8 bytes at offset 16), then
    // `_syscall` (int at offset 24). libc exposes no accessor for it.
    // SAFETY: the kernel passes a valid siginfo_t for a SA_SIGINFO handler.
    let nr = unsafe { (info as *const u8).add(24).cast::<i32>().read_unaligned() };
    let mut name = [0u8; 17];
    // SAFETY: PR_GET_NAME writes at most 16 bytes and a NUL into the buffer.
    unsafe { libc::prctl(libc::PR_GET_NAME, name.as_mut_ptr(), 0, 0, 0) };
    // Thread names are ours, but one holds a NIC's name: nothing that would break the JSON.
    let len = name.iter().position(|&c| c == 0).unwrap_or(16);
    for c in &mut name[..len] {
        if !c.is_ascii_graphic() || *c == b'"' || *c == b'\\' {
            *c = b'_';
        }
    }
    let name = &name[..len];
    let mut what = Buf::<96>::new();
    what.put(b"seccomp: thread '");
    what.put(name);
    what.put(b"' made syscall ");
    what.num(nr.unsigned_abs() as u64);
    what.put(b", which its filter forbids");
    let mut line = Buf::<160>::new();
    line.put(b"vmdesk-vmm: ");
    line.put(what.bytes());
    line.put(b"; the VMM stops (run with --seccomp log to find more)\n");
    // SAFETY: write on stderr from our buffer.
    unsafe { libc::write(2, line.bytes().as_ptr().cast(), line.len) };
    let fd = EXIT_FD.load(std::sync::atomic::Ordering::Relaxed);
    if fd >= 0 {
        // SAFETY: clock_gettime into a local.
        let ms = unsafe {
            let mut ts: libc::timespec = std::mem::zeroed();
            libc::clock_gettime(libc::CLOCK_REALTIME, &mut ts);
            ts.tv_sec as u64 * 1000 + ts.tv_nsec as u64 / 1_000_000
        };
        let mut rec = Buf::<4096>::new();
        rec.put(b"{\"code\":");
        rec.num(super::EXIT_STATUS as u64);
        rec.put(b",\"reason\":\"seccomp\",\"message\":\"");
        rec.put(what.bytes());
        rec.put(b"\",\"thread\":\"");
        rec.put(name);
        rec.put(b"\",\"syscall\":");
        rec.num(nr.unsigned_abs() as u64);
        rec.put(b",\"ended_unix_ms\":");
        rec.num(ms);
        rec.put(b"}");
        // The file is written in place: spaces (JSON whitespace) cover what a longer previous
        // record left past the end of this one.
        // SAFETY: fstat into a local; lseek and write on our fd from our buffer.
        unsafe {
            let mut st: libc::stat = std::mem::zeroed();
            let old = if libc::fstat(fd, &mut st) == 0 {
                st.st_size.max(0) as usize
            } else {
                0
            };
            while rec.len < old.min(4095) {
                rec.put(b" ");
            }
            rec.put(b"\n");
            libc::lseek(fd, 0, libc::SEEK_SET);
            libc::write(fd, rec.bytes().as_ptr().cast(), rec.len);
        }
    }
    // SAFETY: _exit is async-signal-safe.
    unsafe { libc::_exit(super::EXIT_STATUS) };
}

pub(super) fn install_sigsys_reporter() -> Result<(), String> {
    // SAFETY: a zeroed sigaction filled with a valid SA_SIGINFO handler.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_sigsys as *const () as usize;
        sa.sa_flags = libc::SA_SIGINFO;
        libc::sigemptyset(&mut sa.sa_mask);
        if libc::sigaction(libc::SIGSYS, &sa, std::ptr::null_mut()) != 0 {
            return Err(format!(
                "SIGSYS handler: {}",
                std::io::Error::last_os_error()
            ));
        }
    }
    Ok(())
}
