//! The BIOS machine (`[boot] kind = "bios"`): stock SeaBIOS runs from the reset vector, finds
//! the PC it expects (i440FX, CMOS, fw_cfg), prints its banner on COM1 and finds nothing to
//! boot.

use crate::harness::*;
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};

const SEABIOS: &str = "/usr/share/seabios/bios-256k.bin";
/// Real mode is emulated on software KVMs: SeaBIOS takes a while there.
const FIRMWARE_TIMEOUT: Duration = Duration::from_secs(180);

/// Whether Debian's SeaBIOS is installed; skips (or fails under `VMDESK_REQUIRE_TOOLS`).
fn seabios_or_skip(test: &str) -> bool {
    if Path::new(SEABIOS).is_file() {
        return true;
    }
    let msg = format!("skipped: {test}: {SEABIOS} missing (apt-get install seabios)");
    if std::env::var_os("VMDESK_REQUIRE_TOOLS").is_some() {
        panic!("{msg} (VMDESK_REQUIRE_TOOLS is set)");
    }
    eprintln!("{msg}");
    false
}

fn start_bios_vm(id: &str, vcpus: u32) -> Vm {
    let dir = tempfile::tempdir().unwrap();
    let toml = format!(
        "id = \"{id}\"\nname = \"BIOS {id}\"\nvcpus = {vcpus}\nmemory_mib = 128\nvirtio_rng = false\n\n[boot]\nkind = \"bios\"\n"
    );
    std::fs::write(dir.path().join("vm.toml"), toml).unwrap();
    let child = Vm::spawn_in(dir.path());
    Vm { dir, child }
}

fn firmware_log(vm: &Vm) -> String {
    let bytes = std::fs::read(vm.dir.path().join("firmware.log")).unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Waits until `firmware.log` holds `needle`; panics with the log on timeout or exit.
fn wait_firmware(vm: &mut Vm, needle: &str, timeout: Duration) -> String {
    let deadline = Instant::now() + timeout;
    loop {
        let log = firmware_log(vm);
        if log.contains(needle) {
            return log;
        }
        if let Ok(Some(st)) = vm.child.try_wait() {
            panic!("vmdesk-vmm exited ({st}) before the firmware printed {needle:?}; firmware.log:\n{log}");
        }
        if Instant::now() > deadline {
            panic!("timed out waiting for {needle:?}; firmware.log:\n{log}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn seabios_prints_its_banner_finds_nothing_to_boot_and_reboots() {
    if !kvm_or_skip("seabios_prints_its_banner_finds_nothing_to_boot_and_reboots")
        || !seabios_or_skip("seabios_prints_its_banner_finds_nothing_to_boot_and_reboots")
    {
        return;
    }
    let t0 = Instant::now();
    let mut vm = start_bios_vm("bios-banner", 2);
    // SeaBIOS's text screen goes to COM1 (fw_cfg `etc/sercon-port`), so the serial log shows it.
    vm.wait_serial("SeaBIOS (version", FIRMWARE_TIMEOUT);
    let banner = t0.elapsed();
    let serial = vm.wait_serial("No bootable device", FIRMWARE_TIMEOUT);
    eprintln!(
        "SeaBIOS: banner after {:.1} s, 'No bootable device' after {:.1} s",
        banner.as_secs_f64(),
        t0.elapsed().as_secs_f64()
    );
    assert!(serial.contains("Booting from Hard Disk"), "{serial}");
    // Its debug lines are in firmware.log: it found the chipset, took RAM from fw_cfg's e820,
    // woke the second vCPU (INIT/SIPI) and used COM1 as its console.
    let log = wait_firmware(&mut vm, "No bootable device", FIRMWARE_TIMEOUT);
    for line in [
        "SeaBIOS (version",
        "Running on QEMU (i440fx)",
        "qemu/e820: addr 0x0000000000000000 len 0x0000000008000000 [RAM]",
        "Found 3 PCI devices",
        "Found 2 cpu(s) max supported 2 cpu(s)",
        "sercon: using ioport 0x3f8",
    ] {
        assert!(log.contains(line), "no {line:?} in firmware.log:\n{log}");
    }
    // 60 s later SeaBIOS reboots through the PIIX reset control (0xcf9): a guest reset ends
    // the VMM with status 3, as on the Linux machine.
    let (st, _, stderr) = vm.wait_exit(FIRMWARE_TIMEOUT);
    assert_eq!(st.code(), Some(3), "{stderr}");
    assert!(stderr.contains("PCI reset control"), "{stderr}");
}

#[test]
fn snapshots_of_a_bios_machine_are_refused() {
    if !kvm_or_skip("snapshots_of_a_bios_machine_are_refused")
        || !seabios_or_skip("snapshots_of_a_bios_machine_are_refused")
    {
        return;
    }
    let vm = start_bios_vm("bios-snap", 1);
    let mut api = vm.api();
    let r = api.call(json!({"cmd": "snapshot-create", "name": "no"}));
    assert_eq!(r["ok"], false, "{r}");
    let msg = r["error"]["message"].as_str().unwrap_or_default();
    assert!(
        msg.contains("snapshots of firmware machines are not supported yet"),
        "{r}"
    );
    let snaps = vm.dir.path().join("snapshots");
    let none_written = std::fs::read_dir(&snaps).map_or(true, |mut d| d.next().is_none());
    assert!(
        none_written,
        "a snapshot was written in {}",
        snaps.display()
    );
    // The VM goes on running.
    assert_eq!(api.cmd("status")["ok"], true);
}
