//! SATA disks on the BIOS machine beyond booting (see `grub.rs` for that): the disk's port in
//! snapshots, its image switched to an overlay by a live snapshot and back by a revert, its
//! counters in the API.

use crate::firmware::{
    boot_sector, seabios_or_skip, snap, start_bios_vm_with, MbrEnd, FIRMWARE_TIMEOUT, MBR_MARKER,
};
use crate::harness::*;
use serde_json::json;

#[test]
fn a_sata_disk_boots_counts_its_reads_and_moves_onto_overlays_with_snapshots() {
    let name = "a_sata_disk_boots_counts_its_reads_and_moves_onto_overlays_with_snapshots";
    if !kvm_or_skip(name) || !seabios_or_skip(name) {
        return;
    }
    // A writable MBR disk that prints its marker and resets the machine, again and again.
    let mut vm = start_bios_vm_with("bios-sata", 1, |dir| {
        let mut image = boot_sector(MBR_MARKER, MbrEnd::Reset);
        image.resize(1 << 20, 0);
        std::fs::write(dir.join("boot.img"), image).unwrap();
        "\n[[disks]]\npath = \"boot.img\"\nformat = \"raw\"\nbus = \"sata\"\n".into()
    });
    vm.wait_serial(MBR_MARKER, FIRMWARE_TIMEOUT);
    let log = crate::firmware::firmware_log(&vm);
    assert!(log.contains("AHCI/0: vmdesk SATA disk"), "{log}");
    let mut api = vm.api();
    let c = api.cmd("counters")["result"].clone();
    assert_eq!(c["disks"].as_array().unwrap().len(), 1, "{c}");
    assert!(c["disks"][0]["read_requests"].as_u64().unwrap() >= 1, "{c}");
    assert_eq!(c["disks"][0]["io_errors"], 0, "{c}");
    // A live snapshot keeps the port (an ATA disk on port 0) and freezes the image: the disk
    // goes on in an overlay under disks/.
    let (id, state) = snap(&vm, &mut api, "sata");
    let port = &state.ahci.as_ref().unwrap().ports[0];
    assert!(port.cdrom.is_none(), "{port:?}");
    assert_eq!(port.disk.as_ref().map(|d| d.sectors), Some(2048));
    let current = std::fs::read_to_string(vm.dir.path().join("disks/current.json")).unwrap();
    assert!(current.contains(&id), "{current}");
    // A revert gives it a fresh overlay on that image; the guest boots on from it.
    let r = api.call(json!({"cmd": "snapshot-revert", "snapshot": id}));
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(api.cmd("status")["result"]["state"], "running");
    let before = vm.serial_log().matches(MBR_MARKER).count();
    let deadline = std::time::Instant::now() + FIRMWARE_TIMEOUT;
    while vm.serial_log().matches(MBR_MARKER).count() <= before {
        assert!(std::time::Instant::now() < deadline, "no boot after revert");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let current = std::fs::read_to_string(vm.dir.path().join("disks/current.json")).unwrap();
    assert!(current.contains(&format!("{id}.r")), "{current}");
}
