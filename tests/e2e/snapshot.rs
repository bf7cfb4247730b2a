//! Snapshots of the test guest in `tick` mode: its counter (in registers and memory) tells
//! exactly which instant a revert went back to.

use crate::harness::*;
use serde_json::json;
use std::time::{Duration, Instant};

/// Ticks on complete lines only: a pause can fall in the middle of a line.
fn ticks(log: &str) -> Vec<u64> {
    log.split_inclusive('\n')
        .filter_map(|l| l.strip_suffix('\n'))
        .filter_map(|l| l.strip_prefix("TICK "))
        .filter_map(|n| n.trim().parse().ok())
        .collect()
}

/// Pauses, takes a snapshot, resumes; returns (snapshot id, last tick before it).
fn snap(vm: &Vm, api: &mut Api, name: &str) -> (String, u64) {
    assert_eq!(api.cmd("pause")["ok"], true);
    let at = *ticks(&vm.serial_log()).last().expect("some ticks");
    let r = api.call(json!({"cmd": "snapshot-create", "name": name}));
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(api.cmd("resume")["ok"], true);
    (r["result"]["id"].as_str().unwrap().to_string(), at)
}

/// Reverts and returns the tick the guest prints right after the one it was printing at the
/// snapshot (the line in progress at a pause may be mixed with the pre-revert output, so it is
/// skipped): with the last complete tick before the snapshot `t`, this is `t + 2`.
fn revert_and_next_tick(vm: &mut Vm, api: &mut Api, id: &str) -> u64 {
    assert_eq!(api.cmd("pause")["ok"], true);
    let before = vm.serial_log().len();
    let r = api.call(json!({"cmd": "snapshot-revert", "snapshot": id}));
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(
        api.cmd("status")["result"]["state"],
        "paused",
        "a paused VM stays paused"
    );
    assert_eq!(api.cmd("resume")["ok"], true);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let log = vm.serial_log();
        // The first line after `before` may be a mix of two instants; take the next one.
        let rest = &log[before..];
        if let Some(nl) = rest.find('\n') {
            if let Some(t) = ticks(&rest[nl + 1..]).first() {
                return *t;
            }
        }
        assert!(Instant::now() < deadline, "no tick after revert:\n{log}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn wait_tick(vm: &mut Vm, n: u64) {
    vm.wait_serial(&format!("TICK {n}\n"), BOOT_TIMEOUT);
}

#[test]
fn revert_goes_back_to_the_exact_instant_old_and_new() {
    if !kvm_or_skip("revert_goes_back_to_the_exact_instant_old_and_new") {
        return;
    }
    let mut spec = GuestSpec::test("tick");
    spec.vcpus = 2;
    let mut vm = Vm::start("snap", &spec);
    let mut api = vm.api();
    wait_tick(&mut vm, 3);
    let (a, at_a) = snap(&vm, &mut api, "A");
    wait_tick(&mut vm, at_a + 10);
    let (b, at_b) = snap(&vm, &mut api, "B");
    assert!(at_b >= at_a + 10);
    wait_tick(&mut vm, at_b + 10);

    assert_eq!(revert_and_next_tick(&mut vm, &mut api, &a), at_a + 2);
    assert_eq!(revert_and_next_tick(&mut vm, &mut api, &b), at_b + 2);
    // The guest really runs on from there.
    wait_tick(&mut vm, at_b + 5);

    let list = api.cmd("snapshot-list");
    let snaps = list["result"]["snapshots"].as_array().unwrap();
    assert_eq!(snaps.len(), 2);
    assert_eq!(list["result"]["current"], b.as_str());
    assert_eq!(snaps[1]["meta"]["parent"], a.as_str(), "B descends from A");
    assert_eq!(snaps[0]["meta"]["name"], "A");

    // Deleting the inner snapshot A leaves B whole, re-parented, and revertable.
    let r = api.call(json!({"cmd": "snapshot-delete", "snapshot": a}));
    assert_eq!(r["ok"], true, "{r}");
    let list = api.cmd("snapshot-list");
    let snaps = list["result"]["snapshots"].as_array().unwrap();
    assert_eq!(snaps.len(), 1);
    assert!(snaps[0]["meta"]["parent"].is_null());
    assert_eq!(revert_and_next_tick(&mut vm, &mut api, &b), at_b + 2);
    let r = api.call(json!({"cmd": "snapshot-rename", "snapshot": b, "name": "lesson 2"}));
    assert_eq!(r["ok"], true);
    assert_eq!(
        api.cmd("snapshot-list")["result"]["snapshots"][0]["meta"]["name"],
        "lesson 2"
    );
    api.cmd("kill");
}

#[test]
fn restore_in_a_new_process_after_kill_9() {
    if !kvm_or_skip("restore_in_a_new_process_after_kill_9") {
        return;
    }
    let mut vm = Vm::start("snapnew", &GuestSpec::test("tick"));
    let mut api = vm.api();
    wait_tick(&mut vm, 3);
    let (id, at) = snap(&vm, &mut api, "keep");
    wait_tick(&mut vm, at + 5);
    vm.child.kill().unwrap();
    vm.child.wait().unwrap();
    drop(api);
    vm.restore(&id);
    let log = vm.wait_serial(&format!("TICK {}\n", at + 2), BOOT_TIMEOUT);
    assert!(
        !log.contains("VMDESK-GUEST"),
        "it must not boot again:\n{log}"
    );
    // The new log starts with the line that was in progress at the snapshot: either the
    // whole next tick, or the rest of it (then the first whole line is the one after).
    let first_line = log.lines().next().unwrap_or_default();
    let expect_first = if first_line.starts_with("TICK ") {
        at + 1
    } else {
        at + 2
    };
    assert_eq!(ticks(&log)[0], expect_first, "{log}");
    vm.api().cmd("kill");
}

#[test]
fn serial_input_right_after_a_restore_reaches_the_guest() {
    if !kvm_or_skip("serial_input_right_after_a_restore_reaches_the_guest") {
        return;
    }
    let mut vm = Vm::start("snapecho", &GuestSpec::test("echo"));
    vm.wait_serial("ACTION echo", BOOT_TIMEOUT);
    let mut api = vm.api();
    let r = api.call(json!({"cmd": "snapshot-create", "name": "echo"}));
    assert_eq!(r["ok"], true, "{r}");
    let id = r["result"]["id"].as_str().unwrap().to_string();
    vm.child.kill().unwrap();
    vm.child.wait().unwrap();
    drop(api);
    vm.restore(&id);
    // At once: the API answers only once the restore is done, so this input cannot be
    // overwritten by the UART state the restore loads.
    let mut api = Api::connect(&vm.socket(), BOOT_TIMEOUT);
    let r = api.type_text("typed-after-restore\n");
    assert_eq!(r["ok"], true, "{r}");
    vm.wait_serial("ECHO typed-after-restore", BOOT_TIMEOUT);
    api.cmd("kill");
}

#[test]
fn broken_snapshots_are_refused_by_name() {
    if !kvm_or_skip("broken_snapshots_are_refused_by_name") {
        return;
    }
    let mut vm = Vm::start("snapbad", &GuestSpec::test("tick"));
    let mut api = vm.api();
    wait_tick(&mut vm, 2);
    let (id, _) = snap(&vm, &mut api, "good");
    let snaps = vm.dir.path().join("snapshots");
    // An interrupted save (as after kill -9 mid-save) is listed as incomplete, not used.
    std::fs::create_dir(snaps.join("1-000.partial")).unwrap();
    let list = api.cmd("snapshot-list");
    let entries = list["result"]["snapshots"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{list}");
    let partial = entries.iter().find(|e| e["id"] == "1-000").unwrap();
    assert_eq!(partial["complete"], false);
    let r = api.call(json!({"cmd": "snapshot-revert", "snapshot": "1-000"}));
    assert_eq!(r["ok"], false);

    let state = snaps.join(&id).join("state.bin");
    let good = std::fs::read(&state).unwrap();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (good[..good.len() / 2].to_vec(), "truncated"),
        (
            {
                let mut b = good.clone();
                let n = b.len() - 10;
                b[n] ^= 0xff;
                b
            },
            "checksum",
        ),
        (
            {
                let mut b = good.clone();
                b[8] = 99;
                b
            },
            "version 99",
        ),
    ];
    for (bytes, why) in cases {
        std::fs::write(&state, bytes).unwrap();
        let r = api.call(json!({"cmd": "snapshot-revert", "snapshot": id}));
        assert_eq!(r["ok"], false, "{why}: {r}");
        let msg = r["error"]["message"].as_str().unwrap();
        assert!(
            msg.contains("state.bin") && msg.contains(why),
            "{why}: {msg}"
        );
        // The VM is untouched and still running.
        assert_eq!(api.cmd("status")["result"]["state"], "running");
    }
    std::fs::write(&state, &good).unwrap();

    // memory.bin: a flipped byte in a stored page, all zeros, another size. Each is refused
    // before the VM is paused: it keeps running and ticking.
    let memory = snaps.join(&id).join("memory.bin");
    let good_mem = std::fs::read(&memory).unwrap();
    let stored = good_mem
        .chunks(4096)
        .position(|p| p.iter().any(|&b| b != 0))
        .expect("a stored page");
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            {
                let mut b = good_mem.clone();
                b[stored * 4096 + 100] ^= 0x10;
                b
            },
            "checksum",
        ),
        (vec![0u8; good_mem.len()], "checksum"),
        (good_mem[..good_mem.len() - 4096].to_vec(), "memory.bin"),
    ];
    for (bytes, why) in cases {
        std::fs::write(&memory, bytes).unwrap();
        let ticks = vm.serial_log().matches("TICK").count();
        let r = api.call(json!({"cmd": "snapshot-revert", "snapshot": id}));
        assert_eq!(r["ok"], false, "{why}: {r}");
        let msg = r["error"]["message"].as_str().unwrap();
        assert!(
            msg.contains("memory.bin") && msg.contains(why),
            "{why}: {msg}"
        );
        assert_eq!(api.cmd("status")["result"]["state"], "running", "{why}");
        wait_tick(&mut vm, ticks as u64 + 2);
    }
    // The intact file still reverts.
    std::fs::write(&memory, &good_mem).unwrap();
    let r = api.call(json!({"cmd": "snapshot-revert", "snapshot": id}));
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(api.cmd("status")["result"]["state"], "running");
    api.cmd("kill");
}

#[test]
fn kill_9_in_the_middle_of_a_save_leaves_earlier_snapshots_intact() {
    if !kvm_or_skip("kill_9_in_the_middle_of_a_save_leaves_earlier_snapshots_intact") {
        return;
    }
    let mut spec = GuestSpec::test("tick");
    spec.display = Some((640, 480)); // more to save: framebuffer and thumbnail
    let mut vm = Vm::start("snapkill", &spec);
    let mut api = vm.api();
    wait_tick(&mut vm, 2);
    let (keep, _) = snap(&vm, &mut api, "keep");
    // Ask for a second snapshot and kill the VMM at different moments of the save.
    for delay_ms in [0u64, 5, 20, 60] {
        let sock = vm.socket();
        let req = std::thread::spawn(move || {
            let mut a = Api::connect(&sock, Duration::from_secs(5));
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                a.call(json!({"cmd": "snapshot-create", "name": "doomed"}))
            }));
        });
        std::thread::sleep(Duration::from_millis(delay_ms));
        vm.child.kill().unwrap();
        vm.child.wait().unwrap();
        let _ = req.join();
        let list = vmm_core::snapshot::list(vm.dir.path());
        let kept = list
            .iter()
            .find(|e| e.id == keep)
            .expect("earlier snapshot listed");
        assert!(kept.complete, "{list:?}");
        for e in &list {
            if e.id != keep {
                // Either whole (the save finished) or marked incomplete: never half and "whole".
                if e.complete {
                    let m = e.meta.as_ref().unwrap();
                    assert_eq!(m.name, "doomed");
                } else {
                    assert!(e.problem.is_some());
                }
            }
        }
        // The earlier snapshot still restores in a new process.
        vm.restore(&keep);
        vm.wait_serial("TICK ", BOOT_TIMEOUT);
        api = vm.api();
        assert_eq!(api.cmd("status")["result"]["state"], "running");
    }
    api.cmd("kill");
}

/// The last `MEM ... gen=<g>` generation the memtick guest printed on a complete line.
fn last_gen(log: &str) -> u64 {
    log.split_inclusive('\n')
        .filter(|l| l.ends_with('\n') && l.starts_with("MEM "))
        .filter_map(|l| l.split_whitespace().find_map(|w| w.strip_prefix("gen=")))
        .filter_map(|g| g.parse().ok())
        .next_back()
        .expect("a MEM line")
}

#[test]
fn revert_restores_guest_memory_exactly() {
    if !kvm_or_skip("revert_restores_guest_memory_exactly") {
        return;
    }
    let mut spec = GuestSpec::test("memtick");
    spec.cmdline.push_str(" vmdesk.touch_mib=4");
    let mut vm = Vm::start("snapmem", &spec);
    vm.wait_serial("MEM filled", BOOT_TIMEOUT);
    vm.wait_serial("TICK 1\n", BOOT_TIMEOUT);
    let mut api = vm.api();
    assert_eq!(api.cmd("pause")["ok"], true);
    let gen_a = last_gen(&vm.serial_log());
    let r = api.call(json!({"cmd": "snapshot-create", "name": "mem"}));
    assert_eq!(r["ok"], true, "{r}");
    let id = r["result"]["id"].as_str().unwrap().to_string();
    assert_eq!(api.cmd("resume")["ok"], true);
    // The guest rewrites part of its memory with a new generation every 16 ticks.
    let deadline = std::time::Instant::now() + BOOT_TIMEOUT;
    while last_gen(&vm.serial_log()) <= gen_a + 1 {
        assert!(std::time::Instant::now() < deadline, "memory never changed");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(api.cmd("pause")["ok"], true);
    let r = api.call(json!({"cmd": "snapshot-revert", "snapshot": id}));
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(api.cmd("resume")["ok"], true);
    let before = vm.serial_log().len();
    api.type_text("check-full\n");
    let line = loop {
        let log = vm.serial_log();
        if let Some(l) = log[before..]
            .lines()
            .find(|l| l.starts_with("MEM check-full"))
        {
            if log[before..].contains(&format!("{l}\n")) {
                break l.to_string();
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no check-full answer:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    // Same generation as at the snapshot, and every page matches it word for word.
    assert_eq!(
        line,
        format!("MEM check-full gen={gen_a} bad_pages=0"),
        "{line}"
    );
    api.cmd("kill");
}

/// Sends `check-full` and returns its answer line (`MEM check-full gen=<G> bad_pages=<k>`).
fn check_full(vm: &mut Vm, api: &mut Api) -> String {
    let before = vm.serial_log().len();
    api.type_text("check-full\n");
    let deadline = Instant::now() + BOOT_TIMEOUT;
    loop {
        let log = vm.serial_log();
        let tail = log.get(before..).unwrap_or("");
        if let Some(l) = tail
            .split_inclusive('\n')
            .find(|l| l.starts_with("MEM check-full") && l.ends_with('\n'))
        {
            return l.trim_end().to_string();
        }
        assert!(Instant::now() < deadline, "no check-full answer:\n{log}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Many live reverts in a row, to snapshots taken along the way (each saved on top of the
/// reverted-to memory, so later saves keep pages never faulted back in): after every one the
/// guest checks all its memory word for word. `VMDESK_REVERTS` sets the count (default 500).
#[test]
fn reverting_many_times_in_a_row_never_shows_a_bad_page() {
    if !kvm_or_skip("reverting_many_times_in_a_row_never_shows_a_bad_page") {
        return;
    }
    let rounds: usize = std::env::var("VMDESK_REVERTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let mut spec = GuestSpec::test("memtick");
    // 1 MiB: the check runs as emulated ring-0 code under kvm_pvm (~0.2 s per MiB).
    spec.cmdline.push_str(" vmdesk.touch_mib=1");
    let mut vm = Vm::start("snaprevs", &spec);
    vm.wait_serial("MEM filled", BOOT_TIMEOUT);
    vm.wait_serial("TICK 1\n", BOOT_TIMEOUT);
    let mut api = vm.api();
    let mut snaps = vec![snap(&vm, &mut api, "r0").0];
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    for i in 0..rounds {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let id = snaps[rng as usize % snaps.len()].clone();
        let r = api.call(json!({"cmd": "snapshot-revert", "snapshot": id}));
        assert_eq!(r["ok"], true, "revert {i} to {id}: {r}");
        let line = check_full(&mut vm, &mut api);
        assert!(line.ends_with(" bad_pages=0"), "revert {i} to {id}: {line}");
        if i % 25 == 24 && snaps.len() < 8 {
            snaps.push(snap(&vm, &mut api, &format!("r{}", i + 1)).0);
        }
    }
    api.cmd("kill");
}

/// The memtick guest's head generation once it has printed `TICK t` (and done what follows it
/// in that round): a new generation after every 16th tick.
fn gen_after_tick(t: u64) -> u64 {
    1 + (t + 1) / 16
}

/// Complete lines of `log` after its first line break (the line in progress at a revert may
/// mix two instants).
fn lines_after_first(log: &str) -> Vec<&str> {
    let rest = log.find('\n').map_or("", |nl| &log[nl + 1..]);
    rest.split_inclusive('\n')
        .filter_map(|l| l.strip_suffix('\n'))
        .collect()
}

/// Reverts the running VM to `id`, lets it tick twice, and asks it to check all its memory.
/// Returns (the last tick before the answer, the answer line).
fn revert_and_check(vm: &mut Vm, api: &mut Api, id: &str) -> (u64, String) {
    let before = vm.serial_log().len();
    let r = api.call(json!({"cmd": "snapshot-revert", "snapshot": id}));
    assert_eq!(r["ok"], true, "{r}");
    let deadline = Instant::now() + BOOT_TIMEOUT;
    while ticks(&lines_after_first(&vm.serial_log()[before..]).join("\n")).len() < 2 {
        assert!(Instant::now() < deadline, "no ticks after the revert");
        std::thread::sleep(Duration::from_millis(20));
    }
    let line = check_full(vm, api);
    let log = vm.serial_log();
    let lines = lines_after_first(&log[before..]);
    let at = lines.iter().position(|l| *l == line).expect("answer line");
    let tick = lines[..at]
        .iter()
        .filter_map(|l| l.strip_prefix("TICK "))
        .filter_map(|n| n.trim().parse().ok())
        .next_back()
        .expect("a tick before the answer");
    (tick, line)
}

/// A live save (the guest never paused by the test) copies memory while the guest runs; here
/// that copy is held open for 3 s (a test knob of vmdesk-vmm), starting 2 ticks before the
/// guest rewrites part of its memory (about 0.3 s here). The pause then copies the written pages again: a
/// revert must give memory of the pause's instant, consistent with the registers and the
/// serial port saved then. The guest's own check proves both: every page word for word
/// against its generation, and that generation against the tick counter (a register), which
/// stale memory from the first copy would not match. Once more after a revert, where guest
/// RAM is the snapshot's file mapped copy-on-write.
#[test]
fn a_live_save_keeps_the_instant_of_its_pause_while_the_guest_writes() {
    if !kvm_or_skip("a_live_save_keeps_the_instant_of_its_pause_while_the_guest_writes") {
        return;
    }
    let mut spec = GuestSpec::test("memtick");
    spec.cmdline.push_str(" vmdesk.touch_mib=4");
    let env = [("VMDESK_TEST_PRECOPY_HOLD_MS", "3000")];
    let mut vm = Vm::start_with_env("snaplive", &spec, &env);
    vm.wait_serial("MEM filled", BOOT_TIMEOUT);
    vm.wait_serial("TICK 1\n", BOOT_TIMEOUT);
    let mut api = vm.api();
    for round in 0..2 {
        // Two ticks before the next rewrite (after every 16th tick).
        let t = *ticks(&vm.serial_log()).last().unwrap();
        wait_tick(&mut vm, (t + 3) / 16 * 16 + 13);
        let gen_before = last_gen(&vm.serial_log());
        let r = api.call(json!({"cmd": "snapshot-create", "name": format!("live{round}")}));
        assert_eq!(r["ok"], true, "{r}");
        let res = &r["result"];
        let gen_after = last_gen(&vm.serial_log());
        assert!(res["precopy_ms"].as_f64().unwrap() >= 2000.0, "{res}");
        // The guest rewrote its head (16 pages) while the first copy was held open.
        assert!(
            gen_after > gen_before,
            "the guest wrote no new generation in 3 s: {res}"
        );
        let recopied = res["recopied_pages"].as_u64().unwrap();
        assert!(recopied >= 16, "{res}");
        let id = res["id"].as_str().unwrap().to_string();
        // Let the memory move on, then go back.
        let deadline = Instant::now() + BOOT_TIMEOUT;
        while last_gen(&vm.serial_log()) <= gen_after {
            assert!(Instant::now() < deadline, "memory never changed");
            std::thread::sleep(Duration::from_millis(50));
        }
        let (tick, line) = revert_and_check(&mut vm, &mut api, &id);
        assert_eq!(
            line,
            format!("MEM check-full gen={} bad_pages=0", gen_after_tick(tick)),
            "round {round}: after TICK {tick}"
        );
    }
    api.cmd("kill");
}
