//! An OS image as users have one: an ISO that `grub-mkrescue` builds around the test guest (as
//! a distribution's installer ISO is built around its kernel). SeaBIOS boots it, GRUB shows
//! its menu and loads the guest through the 32-bit boot protocol, and the guest's checks run
//! on the PC machine: e820 from the firmware, ACPI tables the firmware installed, power-off
//! through the PIIX4's PM1a control port.

use crate::firmware::{firmware_log, seabios_or_skip, start_bios_vm_with, FIRMWARE_TIMEOUT};
use crate::harness::*;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use vmdesk_test_support::media;

/// GRUB runs emulated on software KVMs (its menu takes ~30 s there).
const GRUB_TIMEOUT: Duration = Duration::from_secs(300);

/// Whether grub-mkrescue can build a BIOS-bootable ISO here; skips (or fails under
/// `VMDESK_REQUIRE_TOOLS`) when not.
pub(crate) fn grub_or_skip(test: &str) -> bool {
    let Some((tool, package)) = media::missing_grub_tool() else {
        return true;
    };
    let msg = format!("skipped: {test}: {tool} missing (apt-get install {package})");
    if std::env::var_os("VMDESK_REQUIRE_TOOLS").is_some() {
        panic!("{msg} (VMDESK_REQUIRE_TOOLS is set)");
    }
    eprintln!("{msg}");
    false
}

/// `<dir>/guest.iso` around the test guest (see `media::grub_iso`).
pub(crate) fn make_grub_iso(dir: &Path, timeout: u32, entries: &[(&str, &str)]) -> PathBuf {
    media::grub_iso(dir, Path::new(GUEST), timeout, entries).unwrap()
}

/// Waits until the serial log, escape sequences removed, shows `needle` (GRUB's screen comes
/// through SeaBIOS's serial console with cursor moves between its words); returns that text.
fn wait_plain(vm: &mut Vm, needle: &str, timeout: Duration) -> String {
    let deadline = Instant::now() + timeout;
    loop {
        let text = vmdesk_test_support::plain_text(&vm.serial_log());
        if text.contains(needle) {
            return text;
        }
        if let Ok(Some(st)) = vm.child.try_wait() {
            panic!("vmdesk-vmm exited ({st}) before showing {needle:?}; serial:\n{text}");
        }
        if Instant::now() > deadline {
            panic!("timed out waiting for {needle:?}; serial:\n{text}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The lines the guest printed from its banner on, which must hold no failure.
fn guest_lines(serial: &str) -> &str {
    let at = serial
        .find("VMDESK-GUEST v1")
        .unwrap_or_else(|| panic!("the guest never started:\n{serial}"));
    &serial[at..]
}

/// How long each stage took, from launch.
struct GrubBoot {
    menu: Duration,
    guest: Duration,
    /// The guest's lines, from its banner on.
    lines: String,
    /// SeaBIOS's debug log (`firmware.log`).
    firmware: String,
}

/// Boots a BIOS VM on the GRUB ISO around the test guest, which `media` turns into the VM's
/// TOML (a disk or a CD-ROM); SeaBIOS must say `booting` before GRUB's menu. The guest's
/// checks must pass, its command line must carry `vmdesk.from=<from>`, and it must power off
/// through the PM1a control port with \_S5's type (the VMM ends with 0).
fn boot_grub_iso(
    id: &str,
    from: &str,
    booting: &str,
    media: impl FnOnce(&Path) -> String,
) -> GrubBoot {
    let t0 = Instant::now();
    let cmdline = format!("vmdesk.test=poweroff vmdesk.from={from}");
    let mut vm = start_bios_vm_with(id, 1, |dir| {
        let iso = make_grub_iso(dir, 1, &[("vmdesk test guest", &cmdline)]);
        media(&iso)
    });
    let serial = wait_plain(&mut vm, "GNU GRUB", FIRMWARE_TIMEOUT.max(GRUB_TIMEOUT));
    let menu = t0.elapsed();
    assert!(serial.contains(booting), "{serial}");
    let serial = vm.wait_serial("CHECKS DONE", GRUB_TIMEOUT);
    let guest = t0.elapsed();
    let lines = guest_lines(&serial).to_string();
    assert!(
        !lines.contains("FAIL"),
        "the guest's checks failed:\n{lines}"
    );
    assert!(lines.contains(&format!("vmdesk.from={from}")), "{lines}");
    let firmware = firmware_log(&vm);
    let (st, serial, stderr) = vm.wait_exit(GRUB_TIMEOUT);
    assert!(serial.contains("ACTION poweroff"), "{serial}");
    assert_eq!(st.code(), Some(0), "{stderr}");
    GrubBoot {
        menu,
        guest,
        lines,
        firmware,
    }
}

#[test]
fn seabios_boots_a_grub_iso_from_a_virtio_disk_and_grub_starts_the_test_guest() {
    let test = "seabios_boots_a_grub_iso_from_a_virtio_disk_and_grub_starts_the_test_guest";
    if !kvm_or_skip(test) || !seabios_or_skip(test) || !grub_or_skip(test) {
        return;
    }
    // grub-mkrescue's ISO is hybrid: its MBR boots it from a disk, as from a USB stick.
    let b = boot_grub_iso("grub-disk", "grub", "Booting from Hard Disk", |iso| {
        format!(
            "\n[[disks]]\npath = \"{}\"\nformat = \"raw\"\nread_only = true\n",
            iso.display()
        )
    });
    // What GRUB and the firmware handed over: SeaBIOS's ACPI tables (found by the legacy
    // scan: GRUB passes no RSDP pointer) with the one vCPU, the PC's FADT.
    for want in [
        "ACPI rsdp=",
        "MADT cpus=1",
        "DSDT ok",
        "FADT pm1a_cnt=0x604",
    ] {
        assert!(b.lines.contains(want), "no {want:?} in:\n{}", b.lines);
    }
    eprintln!(
        "grub ISO on virtio-blk: GRUB menu after {:.1} s, guest checks done after {:.1} s",
        b.menu.as_secs_f64(),
        b.guest.as_secs_f64()
    );
}

#[test]
fn seabios_boots_the_grub_iso_from_the_ahci_cdrom_and_grub_starts_the_test_guest() {
    let test = "seabios_boots_the_grub_iso_from_the_ahci_cdrom_and_grub_starts_the_test_guest";
    if !kvm_or_skip(test) || !seabios_or_skip(test) || !grub_or_skip(test) {
        return;
    }
    // The installer's way: the ISO in the CD-ROM drive (El Torito), no disk.
    let b = boot_grub_iso("grub-cd", "cdrom", "Booting from DVD/CD", |iso| {
        format!("\n[[cdroms]]\npath = \"{}\"\n", iso.display())
    });
    eprintln!(
        "grub ISO on the AHCI CD-ROM: GRUB menu after {:.1} s, guest checks done after {:.1} s",
        b.menu.as_secs_f64(),
        b.guest.as_secs_f64()
    );
}

#[test]
fn seabios_boots_the_grub_iso_from_a_sata_disk_and_grub_starts_the_test_guest() {
    let test = "seabios_boots_the_grub_iso_from_a_sata_disk_and_grub_starts_the_test_guest";
    if !kvm_or_skip(test) || !seabios_or_skip(test) || !grub_or_skip(test) {
        return;
    }
    // What an installer without virtio drivers needs: the disk on the AHCI controller. An
    // empty CD-ROM drive takes port 0, so the (writable) disk is on port 1; with no medium in
    // the drive the default boot order puts the disks first.
    let b = boot_grub_iso("grub-sata", "sata", "Booting from Hard Disk", |iso| {
        format!(
            "\n[[cdroms]]\n\n[[disks]]\npath = \"{}\"\nformat = \"raw\"\nbus = \"sata\"\n",
            iso.display()
        )
    });
    // SeaBIOS found an ATA disk (not an ATAPI drive) on port 1 from IDENTIFY DEVICE, and
    // took it from the bootorder file's path for port 1.
    for want in ["AHCI/1: vmdesk SATA disk", "Hard-Disk"] {
        assert!(
            b.firmware.contains(want),
            "no {want:?} in firmware.log:\n{}",
            b.firmware
        );
    }
    assert!(
        b.firmware
            .contains("/pci@i0cf8/pci8086,2922@3/drive@1/disk@0"),
        "{}",
        b.firmware
    );
    eprintln!(
        "grub ISO on a SATA disk: GRUB menu after {:.1} s, guest checks done after {:.1} s",
        b.menu.as_secs_f64(),
        b.guest.as_secs_f64()
    );
}
