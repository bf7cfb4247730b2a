//! The AHCI CD-ROM on the BIOS machine: SeaBIOS finds the ATAPI drive on the ICH9 AHCI
//! controller, boots an El Torito no-emulation image from an ISO made at test time, and
//! honours `[boot] order` (fw_cfg `bootorder`) between that CD and an MBR disk.

use crate::firmware::{
    boot_sector, firmware_log, seabios_or_skip, snap, start_bios_vm_with, MbrEnd, FIRMWARE_TIMEOUT,
    MBR_MARKER,
};
use crate::harness::*;
use serde_json::json;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const CD_MARKER: &str = "VMDESK-CD-OK";

/// An ISO 9660 image in `dir` whose El Torito no-emulation boot image prints [`CD_MARKER`]
/// and resets the VM. `None` (after saying `skipped: …`) without xorriso.
fn boot_iso(test: &str, dir: &Path) -> Option<std::path::PathBuf> {
    if !tool_or_skip(
        "xorriso",
        &format!("{test}: xorriso"),
        "apt-get install xorriso",
    ) {
        return None;
    }
    let root = dir.join("iso-root");
    std::fs::create_dir_all(&root).unwrap();
    let mut image = boot_sector(CD_MARKER, MbrEnd::Reset);
    image.resize(2048, 0);
    std::fs::write(root.join("boot.bin"), image).unwrap();
    std::fs::write(root.join("README.TXT"), "vmdesk test disc\n").unwrap();
    let iso = dir.join("disc.iso");
    let out = Command::new("xorriso")
        .args(["-as", "mkisofs", "-quiet", "-o"])
        .arg(&iso)
        .args(["-b", "boot.bin", "-no-emul-boot", "-boot-load-size", "4"])
        .arg(&root)
        .output()
        .expect("run xorriso");
    assert!(
        out.status.success(),
        "xorriso: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(iso)
}

/// An MBR disk image in `dir` printing [`MBR_MARKER`].
fn mbr_disk(dir: &Path) -> std::path::PathBuf {
    let mut image = boot_sector(MBR_MARKER, MbrEnd::Reset);
    image.resize(1 << 20, 0);
    let path = dir.join("boot.img");
    std::fs::write(&path, image).unwrap();
    path
}

#[test]
fn seabios_boots_an_el_torito_image_from_the_ahci_cdrom() {
    let name = "seabios_boots_an_el_torito_image_from_the_ahci_cdrom";
    if !kvm_or_skip(name) || !seabios_or_skip(name) {
        return;
    }
    let media = tempfile::tempdir().unwrap();
    let Some(iso) = boot_iso(name, media.path()) else {
        return;
    };
    let t0 = Instant::now();
    let mut vm = start_bios_vm_with("bios-cd", 1, |_| {
        format!("\n[[cdroms]]\npath = \"{}\"\n", iso.display())
    });
    let serial = vm.wait_serial(CD_MARKER, FIRMWARE_TIMEOUT);
    let booted = t0.elapsed();
    let boot_at = serial
        .find("Booting from DVD/CD")
        .unwrap_or_else(|| panic!("no 'Booting from DVD/CD' before the marker:\n{serial}"));
    assert!(boot_at < serial.find(CD_MARKER).unwrap(), "{serial}");
    // The boot sector resets the machine, which starts again in place: enough seen.
    vm.api().cmd("kill");
    vm.wait_exit(FIRMWARE_TIMEOUT);
    eprintln!("SeaBIOS booted the CD after {:.1} s", booted.as_secs_f64());
    let log = firmware_log(&vm);
    for line in [
        "AHCI controller at 00:03.0",
        "AHCI/0: registering: \"DVD/CD [AHCI/0: VMDESK DVD-ROM ATAPI-4 DVD/CD]\"",
    ] {
        assert!(log.contains(line), "no {line:?} in firmware.log:\n{log}");
    }
}

/// A VM with the MBR disk and the CD; `order` is its `[boot] order` line (or none).
fn boot_with_order(id: &str, iso: &Path, order: &str) -> String {
    let mut vm = start_bios_vm_with(id, 1, |dir| {
        format!(
            "{order}\n[[disks]]\npath = \"{}\"\nformat = \"raw\"\n\n[[cdroms]]\npath = \"{}\"\n",
            mbr_disk(dir).display(),
            iso.display()
        )
    });
    // Whichever boot sector runs first prints its marker, then resets the machine (which
    // starts again in place).
    let deadline = Instant::now() + FIRMWARE_TIMEOUT;
    let serial = loop {
        let log = vm.serial_log();
        if log.contains(CD_MARKER) || log.contains(MBR_MARKER) {
            break log;
        }
        assert!(Instant::now() < deadline, "no boot marker:\n{log}");
        std::thread::sleep(Duration::from_millis(50));
    };
    vm.api().cmd("kill");
    vm.wait_exit(FIRMWARE_TIMEOUT);
    serial
}

#[test]
fn the_boot_order_decides_between_the_cdrom_and_the_disk() {
    let name = "the_boot_order_decides_between_the_cdrom_and_the_disk";
    if !kvm_or_skip(name) || !seabios_or_skip(name) {
        return;
    }
    let media = tempfile::tempdir().unwrap();
    let Some(iso) = boot_iso(name, media.path()) else {
        return;
    };
    let t0 = Instant::now();
    // Disk first: the disk's boot sector runs (and resets before the CD is tried).
    let serial = boot_with_order("bios-order-disk", &iso, "order = [\"disk\", \"cdrom\"]\n");
    assert!(
        serial.contains(MBR_MARKER) && !serial.contains(CD_MARKER),
        "{serial}"
    );
    // The default with a medium in the drive: the CD first.
    let serial = boot_with_order("bios-order-cd", &iso, "");
    assert!(
        serial.contains(CD_MARKER) && !serial.contains(MBR_MARKER),
        "{serial}"
    );
    eprintln!("two boots in {:.1} s", t0.elapsed().as_secs_f64());
}

#[test]
fn media_go_in_and_out_at_run_time_through_the_api_and_into_snapshots() {
    let name = "media_go_in_and_out_at_run_time_through_the_api_and_into_snapshots";
    if !kvm_or_skip(name) || !seabios_or_skip(name) {
        return;
    }
    // The discs go in the VM's folder: Landlock lets the VMM read discs inserted at run time
    // only there (or in a configured disc's folder).
    let mut made = None;
    // An empty drive: SeaBIOS asks it (TEST UNIT READY, REQUEST SENSE) and hears "no medium".
    let mut vm = start_bios_vm_with("bios-cd-api", 1, |dir| {
        made = boot_iso(name, dir);
        "\n[[cdroms]]\n".into()
    });
    let Some(iso) = made else {
        return;
    };
    let not_iso = vm.dir.path().join("notes.txt");
    std::fs::write(&not_iso, vec![b'x'; 0x9000]).unwrap();
    let log = crate::firmware::wait_firmware(&mut vm, "MEDIUM NOT PRESENT", FIRMWARE_TIMEOUT);
    assert!(log.contains("AHCI/0: registering"), "{log}");
    let mut api = vm.api();
    let call = |api: &mut Api, req: serde_json::Value| api.call(req);
    let r = call(
        &mut api,
        json!({"cmd": "cdrom-insert", "drive": 0, "path": not_iso}),
    );
    assert_eq!(r["ok"], false, "{r}");
    let msg = r["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("notes.txt") && msg.contains("ISO 9660"),
        "{msg}"
    );
    let r = call(
        &mut api,
        json!({"cmd": "cdrom-insert", "drive": 0, "path": "rel.iso"}),
    );
    assert_eq!(r["error"]["code"], "bad-request", "{r}");
    let r = call(&mut api, json!({"cmd": "cdrom-eject", "drive": 3}));
    assert_eq!(r["error"]["code"], "bad-request", "{r}");
    // A disc from elsewhere: refused with where discs may come from, not "Permission denied".
    if vmm_core::sandbox::landlock_available() {
        let media = tempfile::tempdir().unwrap();
        let outside = media.path().join("elsewhere.iso");
        std::fs::copy(&iso, &outside).unwrap();
        let r = call(
            &mut api,
            json!({"cmd": "cdrom-insert", "drive": 0, "path": outside}),
        );
        assert_eq!(r["error"]["code"], "bad-request", "{r}");
        let msg = r["error"]["message"].as_str().unwrap();
        assert!(
            msg.contains("outside the folders this VM may read"),
            "{msg}"
        );
    }
    let (_, before) = snap(&vm, &mut api, "empty");
    let cd = |s: &vmm_core::snapshot::firmware::FirmwareState| {
        s.ahci.as_ref().unwrap().ports[0].cdrom.clone().unwrap()
    };
    assert_eq!(cd(&before).medium, None);
    let r = call(
        &mut api,
        json!({"cmd": "cdrom-insert", "drive": 0, "path": iso}),
    );
    assert_eq!(r["ok"], true, "{r}");
    let (with_disc, after) = snap(&vm, &mut api, "with disc");
    assert_eq!(cd(&after).medium.as_deref(), Some(iso.as_path()));
    assert!(cd(&after).unit_attention, "the guest is told of the change");
    let r = call(&mut api, json!({"cmd": "cdrom-eject", "drive": 0}));
    assert_eq!(r["ok"], true, "{r}");
    // A revert puts the disc back in (the VMM opens it again).
    let r = call(
        &mut api,
        json!({"cmd": "snapshot-revert", "snapshot": with_disc}),
    );
    assert_eq!(r["ok"], true, "{r}");
    let (_, reverted) = snap(&vm, &mut api, "reverted");
    assert_eq!(cd(&reverted).medium.as_deref(), Some(iso.as_path()));
    // The disc's file gone, a new process cannot restore it, and says which file.
    vm.child.kill().unwrap();
    vm.child.wait().unwrap();
    std::fs::remove_file(&iso).unwrap();
    vm.restore(&with_disc);
    let (st, _, stderr) = vm.wait_exit(FIRMWARE_TIMEOUT);
    assert_ne!(st.code(), Some(0), "{stderr}");
    assert!(stderr.contains("disc.iso"), "{stderr}");
}

#[test]
fn a_file_that_is_not_an_iso_is_refused_at_start_naming_the_field_and_file() {
    let name = "a_file_that_is_not_an_iso_is_refused_at_start_naming_the_field_and_file";
    if !kvm_or_skip(name) {
        return;
    }
    let mut vm = start_bios_vm_with("bios-cd-bad", 1, |dir| {
        let junk = dir.join("photo.iso");
        std::fs::write(&junk, vec![0xffu8; 0x9000]).unwrap();
        format!(
            "\n[[cdroms]]\n\n[[cdroms]]\npath = \"{}\"\n",
            junk.display()
        )
    });
    let (st, _, stderr) = vm.wait_exit(FIRMWARE_TIMEOUT);
    assert_eq!(st.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cdroms[1].path")
            && stderr.contains("photo.iso")
            && !stderr.contains("panicked"),
        "{stderr}"
    );
}
