//! The UEFI machine (`[boot] kind = "uefi"`): two CFI flash devices at the top of 4 GiB, code
//! and variables, the variables in the VM's own file. OVMF cannot run on this machine's
//! software KVM (emulation failure on `fwait; fninit`; it runs in tests/lab), so the flash is
//! proven here with a small "code" image of our own that drives the variables device from the
//! reset vector, and OVMF itself only as far as the VMM's part goes.

use crate::harness::*;
use std::path::Path;
use std::time::Duration;

const OVMF_CODE: &str = "/usr/share/OVMF/OVMF_CODE_4M.fd";
const OVMF_VARS: &str = "/usr/share/OVMF/OVMF_VARS_4M.fd";
const TIMEOUT: Duration = Duration::from_secs(120);

/// `firmware_uefi_guest.S` (assembled by vmm-core/build.rs; 4 KiB, mapped at 0xfffff000 with
/// the vars block right below): real mode from the reset vector; prints the 8 bytes at vars
/// offset 0x100, `|`, the CFI query's "QRY", `|`; erases the vars block, checks the status is
/// 0x80 (else prints `!`), programs "saved-ok" at 0x100 a byte at a time (0x10, byte) and ends
/// with read-array; prints the 8 bytes again and a newline, then resets through 0xcf9 — unless
/// the run found "saved-ok" already there, which halts (no later erase races the test's kill).
fn code_image() -> Vec<u8> {
    include_bytes!(env!("VMDESK_UEFI_FLASH_GUEST")).to_vec()
}

/// A UEFI VM's folder with `vm.toml` (`boot` lines given) and nothing started yet.
fn uefi_dir(id: &str, boot: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let toml = format!(
        "id = \"{id}\"\nname = \"UEFI {id}\"\nvcpus = 1\nmemory_mib = 128\nvirtio_rng = false\n\n[boot]\nkind = \"uefi\"\n{boot}"
    );
    std::fs::write(dir.path().join("vm.toml"), toml).unwrap();
    dir
}

fn start(dir: tempfile::TempDir) -> Vm {
    let child = Vm::spawn_in(dir.path());
    Vm { dir, child }
}

#[test]
fn the_guest_programs_and_erases_the_vars_flash_and_finds_its_bytes_after_a_reset_and_a_restart() {
    let name = "the_guest_programs_and_erases_the_vars_flash_and_finds_its_bytes_after_a_reset_and_a_restart";
    if !kvm_or_skip(name) {
        return;
    }
    let dir = uefi_dir("uefi-flash", "firmware = \"code.fd\"\nvars = \"vars.fd\"\n");
    std::fs::write(dir.path().join("code.fd"), code_image()).unwrap();
    // The store before the first run: "fresh-01" where the guest writes, a marker its erase
    // must clear.
    let mut vars = vec![0xffu8; 4096];
    vars[0x100..0x108].copy_from_slice(b"fresh-01");
    vars[0x800..0x806].copy_from_slice(b"marker");
    let vars_path = dir.path().join("vars.fd");
    std::fs::write(&vars_path, &vars).unwrap();
    let mut vm = start(dir);
    let serial = vm.wait_serial("\n", TIMEOUT);
    assert!(serial.starts_with("fresh-01|QRY|saved-ok\n"), "{serial}");
    // The guest then resets the machine, which starts again in this process with the
    // variables as the guest left them (a reset keeps them): its next run reads its message.
    let serial = vm.wait_serial("saved-ok|QRY|saved-ok\n", TIMEOUT);
    assert!(serial.starts_with("fresh-01|QRY|saved-ok\n"), "{serial}");
    vm.api().cmd("kill");
    vm.wait_exit(TIMEOUT);
    // Erase and programs reached the file: the block is all ones but for the message.
    let after = std::fs::read(&vars_path).unwrap();
    let mut want = vec![0xffu8; 4096];
    want[0x100..0x108].copy_from_slice(b"saved-ok");
    assert!(
        after == want,
        "vars file after the run: {:?}",
        &after[0xf8..0x110]
    );
    // A new VMM process on the same folder: the guest reads back what it wrote.
    vm.restart();
    let serial = vm.wait_serial("\n", TIMEOUT);
    assert!(serial.starts_with("saved-ok|QRY|saved-ok\n"), "{serial}");
    vm.api().cmd("kill");
    vm.wait_exit(TIMEOUT);
}

#[test]
fn a_vars_file_that_does_not_go_with_the_code_is_refused_naming_both() {
    let name = "a_vars_file_that_does_not_go_with_the_code_is_refused_naming_both";
    if !kvm_or_skip(name) {
        return;
    }
    let dir = uefi_dir("uefi-bad", "firmware = \"code.fd\"\nvars = \"vars.fd\"\n");
    std::fs::write(dir.path().join("code.fd"), code_image()).unwrap();
    // 4 KiB + 8 KiB is no flash size OVMF is built for.
    std::fs::write(dir.path().join("vars.fd"), vec![0xffu8; 8192]).unwrap();
    let mut vm = start(dir);
    let (st, _, stderr) = vm.wait_exit(TIMEOUT);
    assert_ne!(st.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("boot.vars") && stderr.contains("vars.fd") && stderr.contains("code.fd"),
        "{stderr}"
    );
    // Nothing was written to the store.
    assert_eq!(
        std::fs::read(vm.dir.path().join("vars.fd")).unwrap(),
        vec![0xffu8; 8192]
    );
}

/// Whether Debian's OVMF is installed; skips (or fails under `VMDESK_REQUIRE_TOOLS`).
fn ovmf_or_skip(test: &str) -> bool {
    if Path::new(OVMF_CODE).is_file() && Path::new(OVMF_VARS).is_file() {
        return true;
    }
    let msg = format!("skipped: {test}: {OVMF_CODE} missing (apt-get install ovmf)");
    if std::env::var_os("VMDESK_REQUIRE_TOOLS").is_some() {
        panic!("{msg} (VMDESK_REQUIRE_TOOLS is set)");
    }
    eprintln!("{msg}");
    false
}

#[test]
fn an_ovmf_vm_gets_its_own_copy_of_the_vars_template_and_starts_the_firmware() {
    let name = "an_ovmf_vm_gets_its_own_copy_of_the_vars_template_and_starts_the_firmware";
    if !kvm_or_skip(name) || !ovmf_or_skip(name) {
        return;
    }
    let dir = uefi_dir("uefi-ovmf", "");
    let vars = dir.path().join("OVMF_VARS.fd");
    let mut vm = start(dir);
    // The VMM made the store before the first instruction ran.
    let deadline = std::time::Instant::now() + TIMEOUT;
    while !vars.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "no {}",
            vars.display()
        );
        if let Ok(Some(st)) = vm.child.try_wait() {
            let (_, _, stderr) = vm.wait_exit(TIMEOUT);
            panic!("vmdesk-vmm ended ({st}) without making its vars file:\n{stderr}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        std::fs::read(&vars).unwrap(),
        std::fs::read(OVMF_VARS).unwrap()
    );
    // Give the firmware a few seconds. Under a KVM that runs OVMF the VMM is still running;
    // this machine's software KVM stops it with an emulation failure in OVMF's first
    // instructions, which is the guest's end, not a VMM error (the nested lab proves the rest).
    std::thread::sleep(Duration::from_secs(5));
    match vm.child.try_wait().unwrap() {
        None => eprintln!("{name}: OVMF is running after 5 s"),
        Some(_) => {
            let (st, _, stderr) = vm.wait_exit(TIMEOUT);
            assert!(
                st.code() == Some(4) && stderr.contains("emulation failure"),
                "not the known emulation failure: {st}\n{stderr}"
            );
            eprintln!("{name}: OVMF cannot run on this KVM, as known: the guest crashed ({st})");
        }
    }
    // That a later start keeps the store it finds is the first test's restart (and
    // `create_vars`'s unit test).
}

#[test]
fn a_uefi_snapshot_brings_the_variables_back_and_needs_the_same_code() {
    let name = "a_uefi_snapshot_brings_the_variables_back_and_needs_the_same_code";
    if !kvm_or_skip(name) {
        return;
    }
    let dir = uefi_dir("uefi-snap", "firmware = \"code.fd\"\nvars = \"vars.fd\"\n");
    // The guest spins where it would reset (`jmp $` at `reset:`), so it can be snapshotted.
    let mut code = code_image();
    // `reset:` starts with `mov $0xcf9, %dx`.
    let reset = code
        .windows(3)
        .position(|w| w == [0xba, 0xf9, 0x0c])
        .expect("the guest's reset: mov $0xcf9, %dx");
    code[reset..reset + 2].copy_from_slice(&[0xeb, 0xfe]);
    let code_path = dir.path().join("code.fd");
    std::fs::write(&code_path, &code).unwrap();
    let vars_path = dir.path().join("vars.fd");
    // Printable where the guest prints from (the harness reads serial.log as UTF-8).
    let mut vars = vec![0xffu8; 4096];
    vars[0x100..0x108].copy_from_slice(b"fresh-02");
    std::fs::write(&vars_path, &vars).unwrap();
    let mut vm = start(dir);
    vm.wait_serial("saved-ok\n", TIMEOUT);
    let mut api = vm.api();
    let r = api.call(serde_json::json!({"cmd": "snapshot-create", "name": "vars"}));
    assert_eq!(r["ok"], true, "{r}");
    let id = r["result"]["id"].as_str().unwrap().to_string();
    let snap_dir = vm.dir.path().join("snapshots").join(&id);
    let fw = vmm_core::snapshot::read_firmware_state(&snap_dir)
        .unwrap()
        .expect("a firmware section");
    let flash = fw.flash.expect("a UEFI machine's snapshot has its flash");
    assert_eq!(&flash.vars.contents[0x100..0x108], b"saved-ok");
    assert_eq!((flash.vars.cmd, flash.vars.wcycle), (0, 0), "read-array");
    assert!(
        flash.code.contents.is_empty(),
        "the code comes from its file"
    );
    vm.child.kill().unwrap();
    let _ = vm.child.wait();
    // After the snapshot the store changed (the guest went on writing): a restore puts the
    // snapshot's variables back in the file, as in the guest's memory.
    let mut later = vec![0xffu8; 4096];
    later[0x100..0x108].copy_from_slice(b"later-99");
    std::fs::write(&vars_path, &later).unwrap();
    vm.restore(&id);
    let deadline = std::time::Instant::now() + TIMEOUT;
    while std::fs::read(&vars_path).unwrap()[0x100..0x108] != *b"saved-ok" {
        assert!(
            std::time::Instant::now() < deadline,
            "the restore did not write the variables back"
        );
        if let Ok(Some(_)) = vm.child.try_wait() {
            let (st, _, stderr) = vm.wait_exit(TIMEOUT);
            panic!("the restore ended ({st}):\n{stderr}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    vm.child.kill().unwrap();
    let _ = vm.child.wait();
    // Other code (one byte changed) does not fit the snapshot: refused, naming the file.
    code[0x800] ^= 1;
    std::fs::write(&code_path, &code).unwrap();
    vm.restore(&id);
    let (st, _, stderr) = vm.wait_exit(TIMEOUT);
    assert_ne!(st.code(), Some(0), "{stderr}");
    assert!(stderr.contains("code.fd"), "{stderr}");
}
