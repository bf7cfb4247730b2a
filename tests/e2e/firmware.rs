//! The BIOS machine (`[boot] kind = "bios"`): stock SeaBIOS runs from the reset vector, finds
//! the PC it expects (i440FX, CMOS, fw_cfg), prints its banner on COM1 and finds nothing to
//! boot; given a disk, it finds it through our ACPI tables and runs its boot sector.

use crate::harness::*;
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};
use vmm_core::snapshot::firmware::FirmwareState;

pub(crate) const SEABIOS: &str = "/usr/share/seabios/bios-256k.bin";
/// Real mode is emulated on software KVMs: SeaBIOS takes a while there.
pub(crate) const FIRMWARE_TIMEOUT: Duration = Duration::from_secs(180);

/// Whether Debian's SeaBIOS is installed; skips (or fails under `VMDESK_REQUIRE_TOOLS`).
pub(crate) fn seabios_or_skip(test: &str) -> bool {
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
    start_bios_vm_with(id, vcpus, |_| String::new())
}

/// A BIOS VM whose config ends with what `extra` returns for the VM's folder (e.g. disks).
pub(crate) fn start_bios_vm_with(id: &str, vcpus: u32, extra: impl FnOnce(&Path) -> String) -> Vm {
    let dir = tempfile::tempdir().unwrap();
    let more = extra(dir.path());
    let toml = format!(
        "id = \"{id}\"\nname = \"BIOS {id}\"\nvcpus = {vcpus}\nmemory_mib = 128\nvirtio_rng = false\n\n[boot]\nkind = \"bios\"\n{more}"
    );
    std::fs::write(dir.path().join("vm.toml"), toml).unwrap();
    let child = Vm::spawn_in(dir.path());
    Vm { dir, child }
}

pub(crate) fn firmware_log(vm: &Vm) -> String {
    let bytes = std::fs::read(vm.dir.path().join("firmware.log")).unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Waits until `firmware.log` holds `needle`; panics with the log on timeout or exit.
pub(crate) fn wait_firmware(vm: &mut Vm, needle: &str, timeout: Duration) -> String {
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
    // The reset button (the control API's `reset`) restarts the firmware in this process:
    // the banner again, the client still connected (SeaBIOS's own reboot through 0xcf9 is
    // `seabios_boots_an_mbr_from_a_virtio_mmio_disk`'s).
    let mut api = vm.api();
    let reply = api.cmd("reset");
    assert!(reply["error"].is_null(), "{reply}");
    wait_serial_count(&mut vm, "SeaBIOS (version", 2, FIRMWARE_TIMEOUT);
    let status = api.cmd("status");
    assert_eq!(status["result"]["state"], "running", "{status}");
    api.cmd("kill");
    let (_, _, stderr) = vm.wait_exit(FIRMWARE_TIMEOUT);
    assert!(
        stderr.contains("reset through the control API: the firmware starts again"),
        "{stderr}"
    );
}

/// Waits until `needle` is in the serial log `n` times; returns the log.
pub(crate) fn wait_serial_count(vm: &mut Vm, needle: &str, n: usize, timeout: Duration) -> String {
    let deadline = Instant::now() + timeout;
    loop {
        let log = vm.wait_serial(needle, timeout);
        if log.matches(needle).count() >= n {
            return log;
        }
        if Instant::now() > deadline {
            panic!("timed out waiting for {needle:?} {n} times; serial:\n{log}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The firmware part of snapshot `id`'s state file.
fn firmware_state(vm: &Vm, id: &str) -> FirmwareState {
    let dir = vm.dir.path().join("snapshots").join(id);
    vmm_core::snapshot::read_firmware_state(&dir)
        .unwrap()
        .expect("a BIOS machine's snapshot has a firmware section")
}

/// Takes a live snapshot; returns its id and the state file's firmware section.
pub(crate) fn snap(vm: &Vm, api: &mut Api, name: &str) -> (String, FirmwareState) {
    let t = Instant::now();
    let r = api.call(json!({"cmd": "snapshot-create", "name": name}));
    assert_eq!(r["ok"], true, "{r}");
    let res = &r["result"];
    eprintln!(
        "BIOS snapshot {name:?}: {:.0} ms round trip, {:.1} ms total, {:.1} ms paused, {} pages",
        t.elapsed().as_secs_f64() * 1000.0,
        res["total_ms"].as_f64().unwrap(),
        res["paused_ms"].as_f64().unwrap(),
        res["memory_pages"]
    );
    assert_eq!(
        api.cmd("status")["result"]["state"],
        "running",
        "live: it runs on"
    );
    let id = r["result"]["id"].as_str().unwrap().to_string();
    let fw = firmware_state(vm, &id);
    (id, fw)
}

/// What must be the same in two snapshots of one instant's devices: the chipset's config
/// space (the PM base), the CMOS RAM past the clock registers and the clock's offset, fw_cfg's
/// registers, the ROM. (The PM timer runs on.)
fn assert_same_devices(a: &FirmwareState, b: &FirmwareState, what: &str) {
    assert_eq!(a.rom, b.rom, "{what}: ROM");
    assert_eq!(a.pci, b.pci, "{what}: PCI configuration");
    assert_eq!(
        a.cmos.nvram[0x0e..],
        b.cmos.nvram[0x0e..],
        "{what}: CMOS RAM"
    );
    assert_eq!(
        a.cmos.clock_offset_secs, b.cmos.clock_offset_secs,
        "{what}: CMOS clock offset"
    );
    assert_eq!(a.fw_cfg, b.fw_cfg, "{what}: fw_cfg");
}

#[test]
fn a_bios_vm_is_snapshotted_live_reverted_and_restored_in_a_new_process() {
    let test = "a_bios_vm_is_snapshotted_live_reverted_and_restored_in_a_new_process";
    if !kvm_or_skip(test) || !seabios_or_skip(test) {
        return;
    }
    // A blank disk: SeaBIOS drives its virtio-pci function (queue set up, DRIVER_OK), finds
    // nothing to boot on it, and the snapshot has an active virtio-pci transport in it.
    let mut vm = start_bios_vm_with("bios-snap", 1, |dir| {
        let path = dir.join("blank.img");
        std::fs::write(&path, vec![0u8; 1 << 20]).unwrap();
        format!(
            "\n[[disks]]\npath = \"{}\"\nformat = \"raw\"\n",
            path.display()
        )
    });
    // Connected once the firmware is there: a connection silent for 30 s before its first
    // request is closed (api_server's IDLE), and on a loaded host SeaBIOS can take longer.
    wait_firmware(&mut vm, "No bootable device", FIRMWARE_TIMEOUT);
    let mut api = vm.api();
    // SeaBIOS now waits 60 s (counting PIT ticks in its BIOS data area), then reboots.
    let waiting = Instant::now();
    let (id, fw) = snap(&vm, &mut api, "no boot");
    let at = waiting.elapsed();
    // What SeaBIOS programmed is in it: the PIIX4's PM block enabled where our FADT says it is
    // (SeaBIOS uses 0x600 when it is given a table loader, else its own 0xb000), and the ROM
    // named, not stored.
    let pm = fw
        .pci
        .functions
        .iter()
        .find(|f| (f.device, f.function) == (1, 3))
        .expect("00:01.3 saved");
    assert_eq!(
        u16::from_le_bytes([pm.config[0x40], pm.config[0x41]]) & 0xffc0,
        vmm_core::arch::pc_acpi::PM_BASE
    );
    assert_eq!(pm.config[0x80] & 1, 1, "PM I/O enabled");
    // The disk's virtio-pci function with the BAR4 SeaBIOS placed and memory decode on.
    let blk = fw
        .pci
        .functions
        .iter()
        .find(|f| (f.device, f.function) == (4, 0))
        .expect("00:04.0 saved");
    assert_eq!(blk.config[..4], [0xf4, 0x1a, 0x42, 0x10]);
    let bar4 = u32::from_le_bytes(blk.config[0x20..0x24].try_into().unwrap());
    assert_ne!(bar4 & !0xf, 0, "BAR4 placed");
    assert_ne!(blk.config[4] & 2, 0, "memory decode enabled");
    assert_eq!(fw.rom.path, Path::new(SEABIOS));
    assert_eq!(fw.rom.size, 256 << 10);
    let snap_dir = vm.dir.path().join("snapshots").join(&id);
    assert!(
        !snap_dir.join("rom.bin").exists()
            && std::fs::metadata(snap_dir.join("state.bin")).unwrap().len() < 64 << 10,
        "the ROM is not in the snapshot"
    );

    // A revert while running puts the same device states back.
    std::thread::sleep(Duration::from_secs(1));
    let r = api.call(json!({"cmd": "snapshot-revert", "snapshot": id}));
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(api.cmd("status")["result"]["state"], "running");
    let (_, after_revert) = snap(&vm, &mut api, "after revert");
    assert_same_devices(&fw, &after_revert, "after a revert");

    // A fresh process from the first snapshot continues where it was.
    vm.child.kill().unwrap();
    vm.child.wait().unwrap();
    drop(api);
    let restored = Instant::now();
    vm.restore(&id);
    let mut api = Api::connect(&vm.socket(), FIRMWARE_TIMEOUT);
    let (_, in_new_process) = snap(&vm, &mut api, "restored");
    assert_same_devices(&fw, &in_new_process, "restored in a new process");
    // SeaBIOS's wait runs out and it reboots through the PIIX reset control, which needs the
    // restored PIT, interrupt controller, memory and chipset. It continues, it does not start
    // over: the new process's firmware.log begins with its reboot, and only then (the machine
    // reset in place) does the firmware start again.
    let log = wait_firmware(&mut vm, "SeaBIOS (version", FIRMWARE_TIMEOUT);
    eprintln!(
        "restored BIOS VM rebooted {:.1} s after the restore (snapshot {:.1} s into SeaBIOS's \
         60 s wait)",
        restored.elapsed().as_secs_f64(),
        at.as_secs_f64(),
    );
    let reboot_at = log
        .find("Attempting a hard reboot")
        .unwrap_or_else(|| panic!("no reboot in firmware.log:\n{log}"));
    assert!(reboot_at < log.find("SeaBIOS (version").unwrap(), "{log}");
    assert!(
        restored.elapsed() < Duration::from_secs(90),
        "the reboot should come within SeaBIOS's remaining wait"
    );
    api.cmd("kill");
    let (_, _, stderr) = vm.wait_exit(FIRMWARE_TIMEOUT);
    assert!(
        stderr.contains("PCI reset control): the firmware starts again"),
        "{stderr}"
    );

    // The ROM is not in the snapshot: another firmware file (here one changed byte) is refused
    // by name before anything runs.
    let other = vm.dir.path().join("other-bios.bin");
    let mut image = std::fs::read(SEABIOS).unwrap();
    image[0] ^= 0xff;
    std::fs::write(&other, &image).unwrap();
    let toml_path = vm.dir.path().join("vm.toml");
    let toml = std::fs::read_to_string(&toml_path).unwrap().replace(
        "kind = \"bios\"\n",
        &format!("kind = \"bios\"\nfirmware = \"{}\"\n", other.display()),
    );
    std::fs::write(&toml_path, toml).unwrap();
    vm.restore(&id);
    let (st, _, stderr) = vm.wait_exit(FIRMWARE_TIMEOUT);
    assert_eq!(st.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&other.display().to_string())
            && stderr.contains(SEABIOS)
            && stderr.contains("same firmware file"),
        "{stderr}"
    );

    // Nor does a Linux machine of the same size take a BIOS machine's snapshot.
    let mut linux = GuestSpec::test("tick");
    linux.memory_mib = 128;
    write_config(vm.dir.path(), "bios-snap", &linux);
    vm.restore(&id);
    let (st, _, stderr) = vm.wait_exit(FIRMWARE_TIMEOUT);
    assert_eq!(st.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "snapshot {id} is of a BIOS machine; this VM is a Linux machine"
        )),
        "{stderr}"
    );
}

/// What the boot sector prints on COM1 once the firmware has run it.
pub(crate) const MBR_MARKER: &str = "VMDESK-MBR-OK";

/// How the boot sector ends the VM once it has printed its marker.
#[derive(Clone, Copy)]
pub(crate) enum MbrEnd {
    /// The PIIX reset control (0xcf9 ← 6): the machine resets in place.
    Reset,
    /// ACPI S5: SLP_TYP 5 with SLP_EN written to PM1a_CNT, where the FADT puts it (PM base
    /// 0x600 + 4, the base SeaBIOS programs): the VMM ends with status 0.
    PowerOff,
}

/// A 512-byte MBR boot sector (16-bit real mode, loaded at 0000:7c00) that prints
/// [`MBR_MARKER`] on COM1, polling the LSR's "transmitter empty" bit, then ends the VM as
/// `end` says.
fn mbr_boot_sector(end: MbrEnd) -> Vec<u8> {
    boot_sector(MBR_MARKER, end)
}

/// The same program printing `marker` (it runs wherever linear 0x7c00 is its first byte, so
/// also as an El Torito no-emulation image loaded at 07c0:0000).
pub(crate) fn boot_sector(marker: &str, end: MbrEnd) -> Vec<u8> {
    const MSG_AT: u16 = 0x7c00 + 42;
    #[rustfmt::skip]
    let print: [u8; 32] = [
        0xfa,                   // 0x00 cli
        0xfc,                   // 0x01 cld
        0x31, 0xc0,             // 0x02 xor ax, ax
        0x8e, 0xd8,             // 0x04 mov ds, ax
        0xbe, MSG_AT as u8, (MSG_AT >> 8) as u8, // 0x06 mov si, msg
        0xac,                   // 0x09 next: lodsb
        0x84, 0xc0,             // 0x0a test al, al
        0x74, 0x12,             // 0x0c jz done (0x20)
        0x88, 0xc4,             // 0x0e mov ah, al
        0xba, 0xfd, 0x03,       // 0x10 mov dx, 0x3fd (LSR)
        0xec,                   // 0x13 wait: in al, dx
        0xa8, 0x20,             // 0x14 test al, 0x20 (THR empty)
        0x74, 0xfb,             // 0x16 jz wait
        0xba, 0xf8, 0x03,       // 0x18 mov dx, 0x3f8 (THR)
        0x88, 0xe0,             // 0x1b mov al, ah
        0xee,                   // 0x1d out dx, al
        0xeb, 0xe9,             // 0x1e jmp next
    ];
    #[rustfmt::skip]
    let done: [u8; 7] = match end {
        MbrEnd::Reset => [
            0xba, 0xf9, 0x0c,   // 0x20 done: mov dx, 0xcf9
            0xb0, 0x06,         // 0x23 mov al, 6 (hard reset)
            0xee,               // 0x25 out dx, al
            0x90,               // 0x26 nop (both endings are 7 bytes)
        ],
        MbrEnd::PowerOff => [
            0xba, 0x04, 0x06,   // 0x20 done: mov dx, 0x604 (PM1a_CNT)
            0xb8, 0x00, 0x34,   // 0x23 mov ax, 0x3400 (SLP_EN | SLP_TYP 5 << 10)
            0xef,               // 0x26 out dx, ax
        ],
    };
    #[rustfmt::skip]
    let hang: [u8; 3] = [
        0xf4,                   // 0x27 hang: hlt
        0xeb, 0xfd,             // 0x28 jmp hang
    ];
    let code = [&print[..], &done[..], &hang[..]].concat();
    assert_eq!(code.len() as u16, MSG_AT - 0x7c00);
    let mut sector = vec![0u8; 512];
    sector[..code.len()].copy_from_slice(&code);
    let msg = format!("{marker}\r\n\0");
    sector[code.len()..code.len() + msg.len()].copy_from_slice(msg.as_bytes());
    sector[510] = 0x55;
    sector[511] = 0xaa;
    sector
}

/// Starts a BIOS VM whose only disk is a 1 MiB raw image holding the boot sector.
fn start_mbr_vm(id: &str, end: MbrEnd) -> Vm {
    start_bios_vm_with(id, 1, |dir| {
        let mut image = mbr_boot_sector(end);
        image.resize(1 << 20, 0);
        let path = dir.join("boot.img");
        std::fs::write(&path, image).unwrap();
        format!(
            "\n[[disks]]\npath = \"{}\"\nformat = \"raw\"\n",
            path.display()
        )
    })
}

#[test]
fn a_guest_on_the_bios_machine_powers_off_through_acpi_s5() {
    let name = "a_guest_on_the_bios_machine_powers_off_through_acpi_s5";
    if !kvm_or_skip(name) || !seabios_or_skip(name) {
        return;
    }
    let mut vm = start_mbr_vm("bios-s5", MbrEnd::PowerOff);
    vm.wait_serial(MBR_MARKER, FIRMWARE_TIMEOUT);
    let (st, _, stderr) = vm.wait_exit(FIRMWARE_TIMEOUT);
    assert_eq!(st.code(), Some(0), "{stderr}");
}

#[test]
fn seabios_boots_an_mbr_from_a_virtio_pci_disk() {
    let name = "seabios_boots_an_mbr_from_a_virtio_pci_disk";
    if !kvm_or_skip(name) || !seabios_or_skip(name) {
        return;
    }
    let t0 = Instant::now();
    let mut vm = start_mbr_vm("bios-mbr", MbrEnd::Reset);
    let serial = vm.wait_serial(MBR_MARKER, FIRMWARE_TIMEOUT);
    let booted = t0.elapsed();
    // SeaBIOS chose the disk and jumped to its boot sector, and only then did the marker come.
    let boot_at = serial
        .find("Booting from Hard Disk")
        .unwrap_or_else(|| panic!("no 'Booting from Hard Disk' before the marker:\n{serial}"));
    assert!(boot_at < serial.find(MBR_MARKER).unwrap(), "{serial}");
    assert!(!serial.contains("No bootable device"), "{serial}");
    // The boot sector resets the machine through the PIIX reset control: the firmware starts
    // again in the same process (power-on state back, the disk's transport reset) and boots
    // the same disk a second time.
    let serial = wait_serial_count(&mut vm, MBR_MARKER, 2, FIRMWARE_TIMEOUT);
    let rebooted = t0.elapsed();
    assert_eq!(serial.matches("SeaBIOS (version").count(), 2, "{serial}");
    vm.api().cmd("kill");
    let (_, _, stderr) = vm.wait_exit(FIRMWARE_TIMEOUT);
    assert!(
        stderr.contains("PCI reset control): the firmware starts again"),
        "{stderr}"
    );
    eprintln!(
        "SeaBIOS rebooted in place and booted the MBR again after {:.1} s",
        rebooted.as_secs_f64()
    );
    eprintln!(
        "SeaBIOS booted the MBR from virtio-pci after {:.1} s",
        booted.as_secs_f64()
    );
    // The firmware ran our table loader: it found the RSDP it installed (SeaBIOS prints no
    // RSDP address at its debug level 1; it looks the FADT, "FACP" = 0x50434146, up from the
    // RSDP through the XSDT) and parsed the DSDT; it found the disk on the PCI bus (slot 4,
    // `pci::slots::VIRTIO_FIRST`) as a modern virtio-pci function and drove it.
    let log = firmware_log(&vm);
    assert!(!log.contains("virtio-mmio"), "{log}");
    for line in [
        "table(50434146)=",
        " (via xsdt)",
        "ACPI: parse DSDT at",
        "PCI: init bdf=00:04.0 id=1af4:1042",
        "found virtio-blk at 00:04.0",
        "pci dev 00:04.0 virtio cap at 0x40 type 1 bar 4",
        "pci dev 00:04.0 virtio cap at 0x70 type 2 bar 4",
        "pci dev 00:04.0 virtio cap at 0x84 type 5 [pci cfg access]",
        "pci dev 00:04.0 using modern (1.0) virtio mode",
        "LCHS=2/16/63 s=2048",
    ] {
        assert!(log.contains(line), "no {line:?} in firmware.log:\n{log}");
    }
}
