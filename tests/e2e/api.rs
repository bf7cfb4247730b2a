//! The control API against a running test guest.

use crate::harness::*;
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

fn ticks(log: &str) -> usize {
    log.lines().filter(|l| l.starts_with("TICK ")).count()
}

#[test]
fn status_pause_resume_counters_kill() {
    if !kvm_or_skip("status_pause_resume_counters_kill") {
        return;
    }
    let mut spec = GuestSpec::test("tick");
    spec.vcpus = 2;
    let mut vm = Vm::start("api", &spec);
    let mut api = vm.api();
    assert_eq!(api.hello["protocol"], "vmdesk-control");
    assert_eq!(api.hello["version"], vmm_core::api::VERSION);
    assert_eq!(api.hello["vm_id"], "api");
    let mode = std::fs::metadata(vm.socket()).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "socket mode {mode:o}");

    let st = api.cmd("status");
    assert_eq!(st["ok"], true, "{st}");
    assert_eq!(st["result"]["state"], "running");
    assert_eq!(st["result"]["vcpus"], 2);
    assert_eq!(st["result"]["memory_mib"], 64);

    api.call(json!({"cmd": "subscribe", "topics": ["events"]}));
    vm.wait_serial("TICK 2", BOOT_TIMEOUT);

    let r = api.cmd("pause");
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(r["result"]["state"], "paused");
    assert_eq!(
        api.next_event(),
        json!({"event": "state", "state": "paused"})
    );
    let frozen = ticks(&vm.serial_log());
    let exits_before = api.cmd("counters")["result"]["exits"].clone();
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(ticks(&vm.serial_log()), frozen, "guest ran while paused");
    assert_eq!(
        api.cmd("counters")["result"]["exits"],
        exits_before,
        "exits while paused"
    );
    let again = api.cmd("pause");
    assert_eq!(again["ok"], false);
    assert_eq!(again["error"]["code"], "invalid-state");

    let r = api.cmd("resume");
    assert_eq!(r["result"]["state"], "running", "{r}");
    assert_eq!(
        api.next_event(),
        json!({"event": "state", "state": "running"})
    );
    vm.wait_serial(&format!("TICK {}", frozen + 2), BOOT_TIMEOUT);

    let c = api.cmd("counters");
    let exits: Vec<(String, u64)> = serde_json::from_value(c["result"]["exits"].clone()).unwrap();
    let get = |n: &str| exits.iter().find(|e| e.0 == n).unwrap().1;
    // Every TICK line is ~2000 port-0x80 writes plus the serial bytes.
    assert!(get("io-out") > 2000 * 2, "io-out {exits:?}");
    assert!(
        get("io-in") > 0,
        "the guest polls the UART status: {exits:?}"
    );
    assert_eq!(c["result"]["per_vcpu"].as_array().unwrap().len(), 2);
    assert!(c["result"]["uptime_ms"].as_u64().unwrap() > 0);

    let r = api.cmd("kill");
    assert_eq!(r["ok"], true);
    let (st, _, stderr) = vm.wait_exit(Duration::from_secs(10));
    assert_eq!(st.code(), Some(5), "{stderr}");
    assert!(!vm.socket().exists(), "socket must be removed on exit");
}

#[test]
fn serial_input_and_stream_round_trip() {
    if !kvm_or_skip("serial_input_and_stream_round_trip") {
        return;
    }
    let mut vm = Vm::start("echo", &GuestSpec::test("echo"));
    let mut api = vm.api();
    api.call(json!({"cmd": "subscribe", "topics": ["serial"]}));
    vm.wait_serial("ACTION echo", BOOT_TIMEOUT);
    let r = api.type_text("hello vmdesk\n");
    assert_eq!(r["result"]["queued"], 13, "{r}");
    vm.wait_serial("ECHO hello vmdesk", Duration::from_secs(60));
    // The same bytes arrive on the API's serial stream.
    let mut streamed = Vec::new();
    while !String::from_utf8_lossy(&streamed).contains("ECHO hello vmdesk") {
        let ev = api.next_event();
        assert_eq!(ev["event"], "serial", "{ev}");
        use base64::Engine as _;
        streamed.extend(
            base64::engine::general_purpose::STANDARD
                .decode(ev["data"].as_str().unwrap())
                .unwrap(),
        );
    }
    // A line longer than the UART's 64-byte FIFO still arrives whole.
    let long = "x".repeat(150);
    api.type_text(&format!("{long}\n"));
    vm.wait_serial(&format!("ECHO {long}"), Duration::from_secs(60));
    api.type_text("poweroff\n");
    let (st, _, _) = vm.wait_exit(Duration::from_secs(60));
    assert_eq!(st.code(), Some(0));
}

#[test]
fn bad_requests_get_errors_not_disconnects() {
    if !kvm_or_skip("bad_requests_get_errors_not_disconnects") {
        return;
    }
    let vm = Vm::start("badreq", &GuestSpec::test("halt"));
    let mut api = vm.api();
    for bad in [
        "not json",
        "{}",
        r#"{"cmd":"explode"}"#,
        r#"{"cmd":"serial-input","data":"!!"}"#,
        r#"{"cmd":"resume"}"#,
    ] {
        let r = api.raw(bad);
        assert_eq!(r["ok"], false, "{bad} -> {r}");
        assert!(r["error"]["message"].as_str().unwrap().len() > 5, "{r}");
    }
    assert_eq!(api.cmd("status")["ok"], true);
}

#[test]
fn power_off_reports_a_guest_that_does_not_listen() {
    if !kvm_or_skip("power_off_reports_a_guest_that_does_not_listen") {
        return;
    }
    let mut vm = Vm::start("pwr", &GuestSpec::test("halt"));
    vm.wait_serial("ACTION halt", BOOT_TIMEOUT);
    let mut api = vm.api();
    let r = api.cmd("power-off");
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(r["result"]["method"], "acpi-power-button");
    // The test guest has no ACPI interpreter: it never reads the GED register.
    assert_eq!(r["result"]["guest_acknowledged"], false);
    assert!(
        vm.child.try_wait().unwrap().is_none(),
        "VM must keep running"
    );
}

#[test]
fn two_vms_side_by_side_and_kill_9_of_one() {
    if !kvm_or_skip("two_vms_side_by_side_and_kill_9_of_one") {
        return;
    }
    let mut a = Vm::start("side-a", &GuestSpec::test("tick"));
    let mut b = Vm::start("side-b", &GuestSpec::test("tick"));
    a.wait_serial("TICK 1", BOOT_TIMEOUT);
    b.wait_serial("TICK 1", BOOT_TIMEOUT);
    // SIGKILL a: no clean-up runs in it at all.
    a.child.kill().unwrap();
    a.child.wait().unwrap();
    let n = ticks(&b.serial_log());
    b.wait_serial(&format!("TICK {}", n + 1), BOOT_TIMEOUT);
    let mut api = b.api();
    assert_eq!(api.cmd("status")["result"]["state"], "running");
    // a's stale socket does not stop the VM from starting again in the same place...
    assert!(a.socket().exists());
    a.restart();
    a.wait_serial("TICK 1", BOOT_TIMEOUT);
    // ...but a second live process for the same VM is refused.
    let mut dup = Vm {
        dir: tempfile::tempdir().unwrap(),
        child: std::process::Command::new(VMM)
            .arg("--config")
            .arg(a.dir.path().join("vm.toml"))
            .arg("--runtime-dir")
            .arg(a.dir.path().join("run"))
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    };
    let (st, _, stderr) = dup.wait_exit(Duration::from_secs(10));
    assert_eq!(st.code(), Some(1), "{stderr}");
    assert!(stderr.contains("already running"), "{stderr}");
    a.api().cmd("kill");
    api.cmd("kill");
}

#[test]
fn reset_request_ends_with_reset_status_and_starts_again() {
    if !kvm_or_skip("reset_request_ends_with_reset_status_and_starts_again") {
        return;
    }
    let mut vm = Vm::start("reset", &GuestSpec::test("tick"));
    vm.wait_serial("TICK 1", BOOT_TIMEOUT);
    let r = vm.api().cmd("reset");
    assert_eq!(r["ok"], true, "{r}");
    let (st, _, stderr) = vm.wait_exit(Duration::from_secs(10));
    assert_eq!(st.code(), Some(3), "{stderr}");
    let last: serde_json::Value = serde_json::from_slice(
        &std::fs::read(vm.dir.path().join("last-exit.json")).expect("last-exit.json"),
    )
    .unwrap();
    assert_eq!(last["reason"], "reset", "{last}");
    assert!(
        last["message"].as_str().unwrap().contains("control API"),
        "{last}"
    );
    // The same folder boots again (the lock and socket of the first run are gone).
    vm.restart();
    vm.wait_serial("TICK 1", BOOT_TIMEOUT);
    vm.api().cmd("kill");
    vm.wait_exit(Duration::from_secs(10));
}
