//! Issue 17: every thread of a running `vmdesk-vmm` is under a seccomp filter with
//! `no_new_privs`, vmm.log says what confinement is in force, and the VM runs, snapshots,
//! reverts and takes screenshots so; a vCPU thread of the running VMM that makes a forbidden
//! syscall ends it, and its main thread cannot open a file outside the VM's places (debug
//! builds' trespass hooks; each rule in detail: `vmm_core::sandbox`'s unit tests; screenshots
//! and discs elsewhere: `hardening` and `cdrom`).

use crate::harness::*;
use serde_json::json;
use std::time::{Duration, Instant};

/// (thread name, `Seccomp:` mode, `NoNewPrivs:`) of each thread of `pid`.
fn threads(pid: u32) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for t in std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .flatten()
    {
        let status = std::fs::read_to_string(t.path().join("status")).unwrap_or_default();
        let field = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .map(|v| v.trim().to_string())
                .unwrap_or_default()
        };
        out.push((field("Name:"), field("Seccomp:"), field("NoNewPrivs:")));
    }
    out
}

#[test]
fn every_thread_of_a_running_vm_is_confined_and_the_vm_snapshots_and_reverts() {
    let name = "every_thread_of_a_running_vm_is_confined_and_the_vm_snapshots_and_reverts";
    if !kvm_or_skip(name) {
        return;
    }
    let mut spec = GuestSpec::test("halt");
    spec.vcpus = 2;
    spec.display = Some((320, 240));
    let mut vm = Vm::start("confined", &spec);
    vm.wait_serial("ACTION halt", BOOT_TIMEOUT);
    let pid = vm.child.id();
    let mut api = vm.api();
    // A subscription (api-stream) and a VNC client (vnc-client-N, vnc-writer): every kind
    // of thread this machine has.
    assert_eq!(
        api.call(json!({"cmd": "subscribe", "topics": ["events"]}))["ok"],
        true
    );
    let _vnc = match crate::rfb::Client::unix(&vm.dir.path().join("run/vnc.sock")) {
        Ok(c) => c,
        Err(e) => {
            let _ = vm.child.kill();
            let (st, _, stderr) = vm.wait_exit(Duration::from_secs(10));
            panic!("VNC: {e}; vmdesk-vmm {st}:\n{stderr}");
        }
    };
    let want = [
        "vmdesk-vmm",
        "vcpu0",
        "vcpu1",
        "api",
        "api-client",
        "api-stream",
        "vnc-accept",
        "vnc-client-1",
        "vnc-writer",
        "display",
    ];
    let deadline = Instant::now() + Duration::from_secs(10);
    let seen = loop {
        let seen = threads(pid);
        if want.iter().all(|w| seen.iter().any(|(n, ..)| n == w)) || Instant::now() > deadline {
            break seen;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    for w in want {
        assert!(seen.iter().any(|(n, ..)| n == w), "no thread {w}: {seen:?}");
    }
    for (n, mode, nnp) in &seen {
        assert_eq!(
            mode, "2",
            "thread {n} runs without a seccomp filter: {seen:?}"
        );
        assert_eq!(nnp, "1", "thread {n} lacks no_new_privs");
    }
    // The status says so (the app's Activity tab and `vmdesk status` show it).
    let st = api.cmd("status");
    let c = &st["result"]["confinement"];
    assert_eq!(c["seccomp"], "on", "{st}");
    assert_eq!(
        c["filters"],
        vmm_core::sandbox::ThreadKind::ALL.len(),
        "{st}"
    );
    let landlock = c["landlock"].as_str().unwrap_or_default();
    if vmm_core::sandbox::landlock_available() {
        assert!(landlock.starts_with("abi v"), "{st}");
    } else {
        assert!(landlock.starts_with("unavailable"), "{st}");
    }
    // The VM works so: a snapshot, a revert, a screenshot in its folder.
    let r = api.call(json!({"cmd": "snapshot-create", "name": "confined"}));
    assert_eq!(r["ok"], true, "{r}");
    let id = r["result"]["id"].as_str().unwrap().to_string();
    let r = api.call(json!({"cmd": "snapshot-revert", "snapshot": id}));
    assert_eq!(r["ok"], true, "{r}");
    let shot = vm.dir.path().join("confined.png");
    let r = api.call(json!({"cmd": "screenshot", "path": shot}));
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(api.cmd("inspect")["ok"], true);
    assert_eq!(api.cmd("counters")["ok"], true);
    api.cmd("kill");
    let (st, _, stderr) = vm.wait_exit(Duration::from_secs(10));
    assert_eq!(
        st.code(),
        Some(vmm_core::api::exit_code::KILLED),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "confinement: no_new_privs; seccomp: {} filters",
            vmm_core::sandbox::ThreadKind::ALL.len()
        )),
        "{stderr}"
    );
    if vmm_core::sandbox::landlock_available() {
        assert!(stderr.contains("landlock: abi v"), "{stderr}");
    }
    assert!(!stderr.contains("seccomp: thread"), "{stderr}");
}

/// Confinement turned down on the command line is said as such in the status (and vmm.log),
/// and the VM runs.
#[test]
fn confinement_turned_down_is_said_in_the_status() {
    let name = "confinement_turned_down_is_said_in_the_status";
    if !kvm_or_skip(name) {
        return;
    }
    let spec = GuestSpec::test("halt");
    let mut vm = Vm::start_with("loose", &spec, &["--seccomp", "log", "--no-landlock"]);
    vm.wait_serial("ACTION halt", BOOT_TIMEOUT);
    let mut api = vm.api();
    let st = api.cmd("status");
    let c = &st["result"]["confinement"];
    assert_eq!(c["seccomp"], "log", "{st}");
    assert_eq!(
        c["filters"],
        vmm_core::sandbox::ThreadKind::ALL.len(),
        "{st}"
    );
    assert_eq!(c["landlock"], "off", "{st}");
    api.cmd("kill");
    let (_, _, stderr) = vm.wait_exit(Duration::from_secs(10));
    assert!(stderr.contains("log only; landlock: off"), "{stderr}");
}

/// The real VMM running a guest, not a test process: a vCPU thread that makes a syscall
/// outside its list (debug builds' `VMDESK_TEST_FORBIDDEN_SYSCALL`, see
/// `vmm_core::sandbox::confine`) ends the process with the sandbox's status, a line naming the
/// thread and the syscall, and the same in last-exit.json for the app.
#[test]
fn a_vcpu_thread_that_makes_a_forbidden_syscall_ends_the_vmm_and_says_so() {
    let name = "a_vcpu_thread_that_makes_a_forbidden_syscall_ends_the_vmm_and_says_so";
    if !kvm_or_skip(name) {
        return;
    }
    let spec = GuestSpec::test("halt");
    let mut vm = Vm::start_with_env(
        "trespass",
        &spec,
        &[("VMDESK_TEST_FORBIDDEN_SYSCALL", "Vcpu")],
    );
    let (st, _, stderr) = vm.wait_exit(Duration::from_secs(30));
    assert_eq!(st.code(), Some(vmm_core::sandbox::EXIT_STATUS), "{stderr}");
    assert!(stderr.contains("thread Vcpu calls ptrace"), "{stderr}");
    assert!(
        stderr.contains(&format!("made syscall {}", libc::SYS_ptrace))
            && stderr.contains("which its filter forbids")
            && stderr.contains("vcpu0"),
        "{stderr}"
    );
    let text = std::fs::read_to_string(vm.dir.path().join("last-exit.json")).unwrap();
    let rec: serde_json::Value = serde_json::from_str(&text).expect(&text);
    assert_eq!(rec["reason"], "seccomp", "{text}");
    assert_eq!(rec["syscall"], libc::SYS_ptrace, "{text}");
    assert_eq!(rec["thread"], "vcpu0", "{text}");
}

/// ... and its main thread, confined, opens its own files but not one outside the VM's
/// places (debug builds' `VMDESK_TEST_OPEN`), while the guest runs on.
#[test]
fn the_running_vmm_opens_its_own_files_but_no_other() {
    let name = "the_running_vmm_opens_its_own_files_but_no_other";
    if !kvm_or_skip(name) {
        return;
    }
    if !vmm_core::sandbox::landlock_available() {
        eprintln!("{name}: skipped: this kernel has no Landlock");
        return;
    }
    let elsewhere = tempfile::tempdir().unwrap();
    let secret = elsewhere.path().join("secret");
    std::fs::write(&secret, "not for the VM").unwrap();
    let spec = GuestSpec::test("halt");
    for (inside, want) in [(false, "Permission denied"), (true, "opened")] {
        let dir = tempfile::tempdir().unwrap();
        write_config(dir.path(), "trespass", &spec);
        // The VM's own vm.toml: the hook does open what is allowed.
        let path = if inside {
            dir.path().join("vm.toml")
        } else {
            secret.clone()
        };
        let mut cmd = Vm::command(dir.path(), &[]);
        cmd.env("VMDESK_TEST_OPEN", &path);
        let child = cmd.spawn().expect("spawn vmdesk-vmm");
        let mut vm = Vm { dir, child };
        vm.wait_serial("ACTION halt", BOOT_TIMEOUT);
        vm.api().cmd("kill");
        let (_, _, stderr) = vm.wait_exit(Duration::from_secs(10));
        let line = format!("test: open {}: {want}", path.display());
        assert!(stderr.contains(&line), "no {line:?} in:\n{stderr}");
    }
}
