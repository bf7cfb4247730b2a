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
    }
}

/// `socket` is not in a VNC writer's list (it only writes to a connected one): under "on" the
/// process ends with VMM_ERROR and a line naming the thread and the syscall; under "log" the
/// call goes through.
#[test]
fn child_forbidden_syscall() {
    let Some(mode) = child_arg() else { return };
    let mode: SeccompMode = mode.parse().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    init(&policy(mode, false, tmp.path())).unwrap();
    confine(ThreadKind::VncWriter);
    eprintln!("confined");
    // Allowed: the thread goes on writing and reading the clock.
    let _ = std::time::Instant::now();
    // SAFETY: a plain socket(2); the fd is left to the process's end.
    let fd = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_STREAM, 0) };
    eprintln!("socket: {}", fd >= 0);
    std::process::exit(0);
}

#[test]
fn a_forbidden_syscall_stops_the_vmm_and_names_the_thread_and_syscall() {
    let out = run_child("child_forbidden_syscall", "on");
    let err = String::from_utf8_lossy(&out.stderr);
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
    let out = run_child("child_forbidden_syscall", "log");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("socket: true"), "{err}");
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
