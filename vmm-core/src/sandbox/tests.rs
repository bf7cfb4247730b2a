//! The filters and Landlock proven on this kernel. Each check runs in a child process (this
//! test binary again, running one `child_*` test with `VMDESK_SANDBOX_CHILD` set): confinement
//! is for good, and a filter's kill must end that child, not the test run.

use super::*;
use std::process::{Command, Output};

const CHILD: &str = "VMDESK_SANDBOX_CHILD";

/// Runs the `child_*` test `name` in a new process with `CHILD` = `arg`.
fn run_child(name: &str, arg: &str) -> Output {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", &format!("sandbox::tests::{name}"), "--nocapture"])
        .args(["--test-threads", "1"])
        .env(CHILD, arg)
        .output()
        .unwrap()
}

fn child_arg() -> Option<String> {
    std::env::var(CHILD).ok()
}

fn policy(seccomp: SeccompMode, landlock: bool, rw: &Path) -> Policy {
    Policy {
        seccomp,
        landlock,
        rw_dirs: vec![rw.join("vm"), rw.join("run")],
        rw_files: Vec::new(),
        ro_files: Vec::new(),
        ro_dirs: Vec::new(),
        exit_record: Some(rw.join("last-exit.json")),
    }
}

/// `socket` is not in a VNC writer's list (it only writes to a connected one): under "on" the
/// process ends with VMM_ERROR and a line naming the thread and the syscall; under "log" the
/// call goes through.
#[test]
fn child_forbidden_syscall() {
    let Some(arg) = child_arg() else { return };
    let (mode, dir) = arg.split_once(':').unwrap();
    let mode: SeccompMode = mode.parse().unwrap();
    init(&policy(mode, false, Path::new(dir))).unwrap();
    confine(ThreadKind::VncWriter);
    eprintln!("confined");
    // Allowed: the thread goes on writing and reading the clock.
    let _ = std::time::Instant::now();
    // SAFETY: a plain socket(2); the fd is left to the process's end.
    let fd = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_STREAM, 0) };
    eprintln!("socket: {}", fd >= 0);
    std::process::exit(0);
}

/// ... and leaves the reason in `last-exit.json` for the app, over a longer record of an
/// earlier run (the file is written in place: the thread may not rename).
#[test]
fn a_forbidden_syscall_stops_the_vmm_and_names_the_thread_and_syscall() {
    let tmp = tempfile::tempdir().unwrap();
    let record = tmp.path().join("last-exit.json");
    let earlier = serde_json::json!({"code": 0, "reason": "power-off", "message": "x".repeat(600)});
    std::fs::write(&record, earlier.to_string()).unwrap();
    let out = run_child(
        "child_forbidden_syscall",
        &format!("on:{}", tmp.path().display()),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    let text = std::fs::read_to_string(&record).unwrap();
    let rec: serde_json::Value = serde_json::from_str(&text).expect(&text);
    assert_eq!(rec["code"], EXIT_STATUS, "{text}");
    assert_eq!(rec["reason"], "seccomp", "{text}");
    assert_eq!(rec["syscall"], libc::SYS_socket, "{text}");
    assert!(
        rec["thread"]
            .as_str()
            .unwrap()
            .starts_with("sandbox::tests"),
        "{text}"
    );
    assert!(
        rec["message"]
            .as_str()
            .unwrap()
            .contains("which its filter forbids"),
        "{text}"
    );
    assert!(
        rec["ended_unix_ms"].as_u64().unwrap() > 1_600_000_000_000,
        "{text}"
    );
    assert!(err.contains("confined"), "allowed calls still work: {err}");
    assert_eq!(out.status.code(), Some(EXIT_STATUS), "{err}");
    assert!(
        err.contains(&format!("made syscall {}", libc::SYS_socket))
            && err.contains("which its filter forbids")
            && !err.contains("socket:"),
        "{err}"
    );
}

#[test]
fn log_mode_lets_a_forbidden_syscall_through() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run_child(
        "child_forbidden_syscall",
        &format!("log:{}", tmp.path().display()),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("socket: true"), "{err}");
    // Nothing was killed: no record (the file is there, empty, which readers take for none).
    let rec = std::fs::read_to_string(tmp.path().join("last-exit.json")).unwrap();
    assert_eq!(rec, "");
}

/// The threads that use KVM may issue only the ioctls of a built VM: an allowed one
/// (KVM_GET_REGS on a bad fd) fails with EBADF and the thread goes on; one that creates (a
/// VM, a vCPU), or KVM_RUN on a thread that runs no vCPU, stops the process naming ioctl,
/// whatever fd it is aimed at.
#[test]
fn child_kvm_ioctl() {
    let Some(arg) = child_arg() else { return };
    let (kind, request) = arg.split_once(':').unwrap();
    let kind = match kind {
        "main" => ThreadKind::Main,
        "vcpu" => ThreadKind::Vcpu,
        _ => ThreadKind::ApiClient,
    };
    let request = match request {
        "create_vm" => ioctls::KVM_CREATE_VM(),
        "run" => ioctls::KVM_RUN(),
        _ => ioctls::KVM_CREATE_VCPU(),
    };
    let tmp = tempfile::tempdir().unwrap();
    init(&policy(SeccompMode::On, false, tmp.path())).unwrap();
    confine(kind);
    // SAFETY: ioctls on an fd that does not exist touch no memory.
    let regs = unsafe { libc::ioctl(-1, ioctls::KVM_GET_REGS() as _, 0) };
    let errno = std::io::Error::last_os_error().raw_os_error();
    eprintln!("get regs: {regs} {errno:?}");
    // SAFETY: as above.
    let r = unsafe { libc::ioctl(-1, request as _, 0) };
    eprintln!("create went through: {r}");
    std::process::exit(0);
}

#[test]
fn kvm_threads_cannot_create_vms_or_vcpus() {
    let cases = [
        ("main", &["create_vm", "create_vcpu"][..]),
        ("vcpu", &["create_vm", "create_vcpu"]),
        ("api-client", &["create_vm", "create_vcpu", "run"]),
    ];
    for (kind, requests) in cases {
        for req in requests {
            let out = run_child("child_kvm_ioctl", &format!("{kind}:{req}"));
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                err.contains(&format!("get regs: -1 Some({})", libc::EBADF)),
                "{kind}: KVM_GET_REGS is allowed: {err}"
            );
            assert_eq!(out.status.code(), Some(EXIT_STATUS), "{kind} {req}: {err}");
            assert!(
                err.contains(&format!("made syscall {}", libc::SYS_ioctl))
                    && !err.contains("create went through"),
                "{kind} {req}: {err}"
            );
        }
    }
}

/// Landlock through `init` + `confine`, as the VMM does: /etc is out of bounds (even for
/// root), the VM's folder is not, and the API's check says so before the kernel does.
#[test]
fn child_landlock() {
    if child_arg().is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    for d in ["vm", "run"] {
        std::fs::create_dir(tmp.path().join(d)).unwrap();
    }
    let status = init(&policy(SeccompMode::On, true, tmp.path())).unwrap();
    if status.landlock.is_err() {
        println!("SKIP: {status}");
        std::process::exit(0);
    }
    confine(ThreadKind::ApiClient);
    let etc = std::fs::File::open("/etc/passwd").map_err(|e| e.kind());
    println!("etc: {etc:?}");
    let etc_write = std::fs::File::create("/etc/vmdesk-landlock-test.png").map_err(|e| e.kind());
    println!("etc write: {etc_write:?}");
    let shot = tmp.path().join("vm").join("shot.png");
    println!("vm write: {}", std::fs::write(&shot, b"png").is_ok());
    println!(
        "refused: {:?} / {:?}",
        write_refused(Path::new("/etc/shot.png")).is_some(),
        write_refused(&shot).is_some()
    );
    println!(
        "read refused: {:?}",
        read_refused(Path::new("/etc/passwd")).is_some()
    );
    std::process::exit(0);
}

#[test]
fn landlock_keeps_the_vmm_out_of_paths_outside_its_folders() {
    let out = run_child("child_landlock", "1");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    if let Some(skip) = text.lines().find(|l| l.starts_with("SKIP")) {
        assert!(
            std::env::var_os("VMDESK_REQUIRE_KVM").is_none(),
            "Landlock is required here: {skip}"
        );
        println!("{skip}");
        return;
    }
    assert!(text.contains("etc: Err(PermissionDenied)"), "{text}");
    assert!(text.contains("etc write: Err(PermissionDenied)"), "{text}");
    assert!(text.contains("vm write: true"), "{text}");
    assert!(text.contains("refused: true / false"), "{text}");
    assert!(text.contains("read refused: true"), "{text}");
}

/// Every list covers its children's: a thread spawned by a confined thread inherits the
/// parent's filter, so the parent's list must hold all the child needs.
#[test]
fn a_spawners_list_covers_its_childrens() {
    for kind in ThreadKind::ALL {
        // No thread may issue any ioctl at all, and a spawner's requests cover its children's.
        let requests = seccomp::ioctl_requests(kind);
        assert!(requests.is_some(), "{kind:?} allows every ioctl");
        for &c in kind.children() {
            let theirs = seccomp::ioctl_requests(c).unwrap_or_default();
            let missing: Vec<_> = theirs
                .difference(requests.as_ref().unwrap())
                .map(|r| format!("{r:#x}"))
                .collect();
            assert!(
                missing.is_empty(),
                "{kind:?} lacks {c:?}'s ioctls {missing:?}"
            );
        }
        let mine = seccomp::syscalls(kind);
        for &c in kind.children() {
            let theirs = seccomp::syscalls(c);
            let missing: Vec<_> = theirs.difference(&mine).collect();
            assert!(missing.is_empty(), "{kind:?} lacks {c:?}'s {missing:?}");
        }
        if !kind.children().is_empty() {
            assert!(mine.contains(&libc::SYS_clone3), "{kind:?} spawns threads");
        }
    }
    // Threads said to open no files (they get openat → EACCES) have no file syscalls, and
    // none spawns a thread that does.
    for kind in ThreadKind::ALL {
        let files = seccomp::syscalls(kind).contains(&libc::SYS_renameat2);
        assert_eq!(files, seccomp::opens_files(kind), "{kind:?}");
        for &c in kind.children() {
            assert!(
                seccomp::opens_files(kind) || !seccomp::opens_files(c),
                "{kind:?}"
            );
        }
    }
}

/// A thread that opens no files cannot open one, even where Landlock would allow it; the
/// call fails (EACCES) rather than killing: glibc's malloc tries it on any thread.
#[test]
fn child_no_files() {
    if child_arg().is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("vm")).unwrap();
    std::fs::write(tmp.path().join("vm/f"), b"x").unwrap();
    init(&policy(SeccompMode::On, false, tmp.path())).unwrap();
    confine(ThreadKind::Net);
    let r = std::fs::File::open(tmp.path().join("vm/f")).map_err(|e| e.kind());
    println!("net open: {r:?}");
    std::process::exit(0);
}

#[test]
fn threads_that_open_no_files_get_eacces() {
    let out = run_child("child_no_files", "1");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("net open: Err(PermissionDenied)"), "{text}");
}
