//! Issue 17: neither a client of the control socket nor a file named in a config reaches
//! the host (names only, bounded connections, no file replaced or waited on, private modes).

use crate::harness::*;
use serde_json::json;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

/// The threads of process `pid` named `name`.
fn threads_named(pid: u32, name: &str) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|d| {
            d.flatten()
                .filter(|t| {
                    std::fs::read_to_string(t.path().join("comm"))
                        .is_ok_and(|c| c.trim_end() == name)
                })
                .count()
        })
        .unwrap_or(0)
}

/// User + system CPU time of process `pid`, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = after.split(' ').collect();
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

#[test]
fn commands_by_number_are_refused_and_the_vm_runs_on() {
    if !kvm_or_skip("commands_by_number_are_refused_and_the_vm_runs_on") {
        return;
    }
    let mut vm = Vm::start("cmdnum", &GuestSpec::test("halt"));
    let mut api = vm.api();
    // 5 was `kill`, 6 `reset` (serde's variant indexes).
    for bad in [
        r#"{"cmd":5}"#,
        r#"{"cmd":6}"#,
        r#"{"cmd":"subscribe","topics":[0]}"#,
    ] {
        let r = api.raw(bad);
        assert_eq!(r["ok"], false, "{bad} -> {r}");
        assert_eq!(r["error"]["code"], "bad-request", "{r}");
    }
    std::thread::sleep(Duration::from_millis(300));
    assert!(vm.child.try_wait().unwrap().is_none(), "the VM must run on");
    assert_eq!(api.cmd("status")["result"]["state"], "running");
}

#[test]
fn idle_connections_do_not_lock_out_the_app() {
    if !kvm_or_skip("idle_connections_do_not_lock_out_the_app") {
        return;
    }
    let vm = Vm::start("idle", &GuestSpec::test("halt"));
    drop(vm.api());
    let pid = vm.child.id();
    // Few fds, so that idle connections alone would exhaust them without a cap.
    let limit = libc::rlimit {
        rlim_cur: 128,
        rlim_max: 128,
    };
    // SAFETY: prlimit on our own child with a valid rlimit; the old value is not asked for.
    let rc = unsafe {
        libc::prlimit(
            pid as libc::pid_t,
            libc::RLIMIT_NOFILE,
            &limit,
            std::ptr::null_mut(),
        )
    };
    assert_eq!(rc, 0, "prlimit: {}", std::io::Error::last_os_error());
    let idle: Vec<UnixStream> = (0..200)
        .map(|_| UnixStream::connect(vm.socket()).unwrap())
        .collect();
    // Let the VMM take them all in.
    std::thread::sleep(Duration::from_millis(500));
    let before = cpu_ticks(pid);
    let t = Instant::now();
    let mut api = Api::connect(&vm.socket(), Duration::from_secs(5));
    let st = api.cmd("status");
    assert_eq!(st["ok"], true, "{st}");
    assert!(
        t.elapsed() < Duration::from_secs(1),
        "status took {:?}",
        t.elapsed()
    );
    // Idle and refused connections cost nothing: the accept loop does not spin.
    std::thread::sleep(Duration::from_secs(1));
    let used = cpu_ticks(pid) - before;
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
    assert!(
        used * 10 < hz * 3,
        "{used} ticks of CPU in ~1.5 s (hz {hz})"
    );
    // The oldest ones were closed for the newer ones.
    let mut first = &idle[0];
    first
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut all = Vec::new();
    let _ = std::io::Read::read_to_end(&mut first, &mut all);
    assert!(all.ends_with(b"\n"), "hello then end of file: {all:?}");
    assert!(threads_named(pid, "api-client") <= 64 + 1);
}

#[test]
fn a_closed_subscription_ends_its_threads_at_once() {
    if !kvm_or_skip("a_closed_subscription_ends_its_threads_at_once") {
        return;
    }
    let mut vm = Vm::start("unsub", &GuestSpec::test("halt"));
    vm.wait_serial("ACTION halt", BOOT_TIMEOUT);
    let pid = vm.child.id();
    let mut api = vm.api();
    let r = api.call(json!({"cmd": "subscribe", "topics": ["serial", "events"]}));
    assert_eq!(r["ok"], true, "{r}");
    // A thread names itself once it runs: wait for both.
    let deadline = Instant::now() + Duration::from_secs(2);
    while threads_named(pid, "api-stream") < 2 {
        assert!(Instant::now() < deadline, "no stream threads");
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(api);
    // The halted guest sends nothing: the threads must not wait for its next event.
    let deadline = Instant::now() + Duration::from_secs(2);
    while threads_named(pid, "api-stream") > 0 || threads_named(pid, "api-client") > 0 {
        assert!(
            Instant::now() < deadline,
            "stream threads outlived their connection"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn mkfifo(p: &Path) {
    let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

#[test]
fn screenshots_never_replace_links_devices_or_fifos() {
    if !kvm_or_skip("screenshots_never_replace_links_devices_or_fifos") {
        return;
    }
    let mut spec = GuestSpec::test("halt");
    spec.display = Some((320, 240));
    let vm = Vm::start("shotpath", &spec);
    let mut api = vm.api();
    // In the VM's folder: Landlock lets the VMM write nowhere else (see below).
    let d = tempfile::tempdir_in(vm.dir.path()).unwrap();
    let target = d.path().join("precious");
    std::fs::write(&target, b"keep").unwrap();
    let link = d.path().join("link.png");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let fifo = d.path().join("fifo.png");
    mkfifo(&fifo);
    let mut refused = vec![link.clone(), fifo.clone()];
    let null = d.path().join("null");
    let c = std::ffi::CString::new(null.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path; a char device 1:3 like /dev/null (root only).
    if unsafe { libc::mknod(c.as_ptr(), libc::S_IFCHR | 0o666, libc::makedev(1, 3)) } == 0 {
        refused.push(null.clone());
    }
    for p in &refused {
        for cmd in [
            json!({"cmd": "screenshot", "path": p}),
            json!({"cmd": "thumbnail", "path": p, "max_width": 64, "max_height": 48}),
        ] {
            let r = api.call(cmd);
            assert_eq!(r["ok"], false, "{} -> {r}", p.display());
            let msg = r["error"]["message"].as_str().unwrap();
            assert!(msg.contains("not replaced"), "{msg}");
        }
    }
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
    assert_eq!(std::fs::read(&target).unwrap(), b"keep");
    if refused.contains(&null) {
        assert!(std::fs::symlink_metadata(&null)
            .unwrap()
            .file_type()
            .is_char_device());
    }
    // A new file, and then the same file of ours again, are fine.
    let shot = d.path().join("shot.png");
    for _ in 0..2 {
        let r = api.call(json!({"cmd": "screenshot", "path": shot}));
        assert_eq!(r["ok"], true, "{r}");
    }
    assert!(std::fs::read(&shot).unwrap().starts_with(b"\x89PNG"));
    // Outside the VM's folders (even as root, even in /etc): refused, saying where it may
    // write, and nothing is written.
    if vmm_core::sandbox::landlock_available() {
        let outside = tempfile::tempdir().unwrap();
        for p in [
            outside.path().join("shot.png"),
            Path::new("/etc/vmdesk-landlock.png").to_path_buf(),
        ] {
            let r = api.call(json!({"cmd": "screenshot", "path": p}));
            assert_eq!(r["error"]["code"], "bad-request", "{r}");
            let msg = r["error"]["message"].as_str().unwrap();
            assert!(
                msg.contains("outside the folders this VM may write"),
                "{msg}"
            );
            assert!(!p.exists(), "{}", p.display());
        }
    }
}

/// `vmdesk-vmm --check --config cfg`: its status and stderr; fails if it takes over 10 s (a
/// FIFO used to hang it for good).
fn check_fast(cfg: &Path) -> (Option<i32>, String) {
    use std::process::{Command, Stdio};
    let mut child = Command::new(VMM)
        .arg("--check")
        .arg("--config")
        .arg(cfg)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("--check --config {} hangs", cfg.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(!err.contains("panicked"), "{err}");
    (status.code(), err)
}

#[test]
fn files_that_never_end_or_never_open_fail_fast_and_named() {
    if !kvm_or_skip("files_that_never_end_or_never_open_fail_fast_and_named") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fifo = d.join("pipe");
    mkfifo(&fifo);
    let top = d.join("disks/top.qcow2");
    vmm_core::storage::overlay::create_overlay(
        d,
        &top,
        &fifo,
        vmm_core::config::ImageFormat::Raw,
        1 << 20,
    )
    .unwrap();
    let base = |extra: &str, kernel: &str, boot_extra: &str| {
        format!(
            "id = \"t\"\nname = \"T\"\nvcpus = 1\nmemory_mib = 64\n{extra}\n[boot]\nkind = \
             \"linux\"\nkernel = \"{kernel}\"\n{boot_extra}"
        )
    };
    let f = fifo.display().to_string();
    let disk = |p: &Path| format!("\n[[disks]]\npath = \"{}\"\n", p.display());
    let cases = [
        (base("", &f, ""), "boot.kernel"),
        (
            base("", GUEST, &format!("initrd = \"{f}\"\n")),
            "boot.initrd",
        ),
        (base("", GUEST, "") + &disk(&fifo), "disks[0]"),
        (base("", GUEST, "") + &disk(&top), "disks[0]"),
        (
            base("", GUEST, "") + &format!("\n[serial]\nlog_file = \"{f}\"\n"),
            "serial.log_file",
        ),
        (
            base("", GUEST, "") + "\n[serial]\nlog_file = \"pipe\"\n",
            "serial.log_file",
        ),
    ];
    let cfg = d.join("vm.toml");
    for (toml, field) in cases {
        std::fs::write(&cfg, &toml).unwrap();
        let (code, err) = check_fast(&cfg);
        assert_eq!(code, Some(2), "{toml}\n{err}");
        // The backing file is named as the overlay stores it (disks/../pipe).
        assert!(
            err.contains(field) && err.contains("pipe"),
            "{field}: {err}"
        );
        assert!(
            err.contains("not a regular file") || err.contains("neither"),
            "{err}"
        );
    }
    // The config itself: a FIFO, an endless device, a huge file.
    let big = d.join("big.toml");
    std::fs::write(&big, vec![b'#'; 2 << 20]).unwrap();
    for (cfg, says) in [
        (fifo.as_path(), "FIFO"),
        (Path::new("/dev/zero"), "character device"),
        (big.as_path(), "more than"),
    ] {
        let (code, err) = check_fast(cfg);
        assert_eq!(code, Some(2), "{err}");
        assert!(
            err.contains(&cfg.display().to_string()) && err.contains(says),
            "{err}"
        );
    }
}

/// Every file and folder under `dir` (but `skip`) with its mode, where others have any access.
fn not_private(dir: &Path, skip: &[&str], out: &mut Vec<String>) {
    use std::os::unix::fs::PermissionsExt;
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if skip.iter().any(|s| p.ends_with(s)) {
            continue;
        }
        let m = std::fs::symlink_metadata(&p).unwrap();
        if m.permissions().mode() & 0o077 != 0 {
            out.push(format!(
                "{} {:o}",
                p.display(),
                m.permissions().mode() & 0o7777
            ));
        }
        if m.is_dir() {
            not_private(&p, skip, out);
        }
    }
}

#[test]
fn what_a_vm_run_creates_is_private_whatever_the_umask() {
    if !kvm_or_skip("what_a_vm_run_creates_is_private_whatever_the_umask") {
        return;
    }
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("disk.img"), vec![0u8; 1 << 20]).unwrap();
    let mut spec = GuestSpec::test("halt");
    spec.extra_toml = "\n[[disks]]\npath = \"disk.img\"\nformat = \"raw\"\n".into();
    spec.display = Some((320, 240));
    write_config(d, "private", &spec);
    let mut cmd = std::process::Command::new(VMM);
    cmd.arg("--config")
        .arg(d.join("vm.toml"))
        .arg("--runtime-dir")
        .arg(d.join("run"))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    // SAFETY: umask is async-signal-safe and touches nothing but the child's own mask.
    unsafe {
        cmd.pre_exec(|| {
            libc::umask(0);
            Ok(())
        });
    }
    let child = cmd.spawn().unwrap();
    let mut vm = Vm { dir, child };
    vm.wait_serial("ACTION halt", BOOT_TIMEOUT);
    let mut api = vm.api();
    let r = api.call(json!({"cmd": "snapshot-create", "name": "modes"}));
    assert_eq!(r["ok"], true, "{r}");
    let r = api.call(json!({"cmd": "screenshot", "path": vm.dir.path().join("s.png")}));
    assert_eq!(r["ok"], true, "{r}");
    let mut open = Vec::new();
    // What the test made itself is as the test made it.
    not_private(vm.dir.path(), &["vm.toml", "disk.img"], &mut open);
    assert!(open.is_empty(), "readable by others: {open:#?}");
    let files: Vec<_> = walk(vm.dir.path());
    for want in [
        "serial.log",
        "memory.bin",
        "state.bin",
        "framebuffer.bin",
        "screen.png",
        "s.png",
        ".qcow2",
        "control.sock",
        "vnc.sock",
    ] {
        assert!(
            files.iter().any(|f| f.ends_with(want)),
            "{want} not among {files:#?}"
        );
    }
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        out.push(e.path().display().to_string());
        if e.file_type().unwrap().is_dir() {
            out.extend(walk(&e.path()));
        }
    }
    out
}

#[test]
fn a_runtime_folder_of_another_user_is_refused() {
    if !kvm_or_skip("a_runtime_folder_of_another_user_is_refused") {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    write_config(&d, "theirs", &GuestSpec::test("halt"));
    // As `/tmp/vmdesk-0` made by someone else: theirs, and open to all.
    let xdg = d.join("xdg");
    std::fs::create_dir(&xdg).unwrap();
    std::fs::set_permissions(&xdg, std::fs::Permissions::from_mode(0o777)).unwrap();
    let c = std::ffi::CString::new(xdg.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    if unsafe { libc::chown(c.as_ptr(), 65534, 65534) } != 0 {
        let msg = "skipped: another user's runtime folder (needs root to chown)";
        assert!(std::env::var_os("VMDESK_REQUIRE_TOOLS").is_none(), "{msg}");
        eprintln!("{msg}");
        return;
    }
    let child = std::process::Command::new(VMM)
        .arg("--config")
        .arg(d.join("vm.toml"))
        .env("XDG_RUNTIME_DIR", &xdg)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // A VMM that took the folder would run the guest on: kill it after a while.
    let mut vm = Vm { dir, child };
    let (st, _, err) = vm.wait_exit(Duration::from_secs(20));
    assert_eq!(st.code(), Some(1), "{err}");
    assert!(
        err.contains(xdg.to_str().unwrap()) && err.contains("uid 65534"),
        "{err}"
    );
    assert!(!xdg.join("vmdesk/theirs/control.sock").exists());
}

/// vmm.log lives in the VM's folder, on the filesystem a guest may fill. With every write to it
/// failing (stderr on /dev/full: ENOSPC), the lines a VNC client's arrival and misbehaviour
/// log must not take the VM down (`eprintln!` panicked on a failed write).
#[test]
fn a_vmm_log_that_cannot_be_written_does_not_end_the_vm() {
    if !kvm_or_skip("a_vmm_log_that_cannot_be_written_does_not_end_the_vm") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut spec = GuestSpec::test("halt");
    spec.display = Some((320, 200));
    write_config(dir.path(), "fullog", &spec);
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let mut child = std::process::Command::new(VMM)
        .arg("--config")
        .arg(dir.path().join("vm.toml"))
        .arg("--runtime-dir")
        .arg(dir.path().join("run"))
        .stdin(std::process::Stdio::null())
        .stdout(full.try_clone().unwrap())
        .stderr(full)
        .spawn()
        .unwrap();
    let mut api = Api::connect(&dir.path().join("run/control.sock"), BOOT_TIMEOUT);
    // The control socket is bound before the VM is built, the VNC socket after: on a loaded
    // machine the second can still be missing here.
    let vnc = dir.path().join("run/vnc.sock");
    let deadline = std::time::Instant::now() + BOOT_TIMEOUT;
    while !vnc.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    for _ in 0..3 {
        // Each logs "connected" and, for the garbage, why it was dropped.
        let c = crate::rfb::Client::unix(&dir.path().join("run/vnc.sock"))
            .expect("a VNC client is served");
        drop(c);
        let mut s = UnixStream::connect(dir.path().join("run/vnc.sock")).unwrap();
        use std::io::Write;
        let _ = s.write_all(b"RFB 999.999\n\xff\xff");
    }
    std::thread::sleep(Duration::from_millis(300));
    assert!(child.try_wait().unwrap().is_none(), "the VMM ended");
    assert_eq!(api.cmd("status")["result"]["state"], "running");
    crate::rfb::Client::unix(&dir.path().join("run/vnc.sock")).expect("VNC still served");
    api.cmd("kill");
    let st = child.wait().unwrap();
    assert_eq!(st.code(), Some(5), "{st}");
}
