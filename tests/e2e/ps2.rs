//! The PC machine's PS/2 keyboard: keys typed over VNC reach a boot sector through SeaBIOS's
//! keyboard driver (i8042, IRQ 1, `int 16h`), the path GRUB's menu and DOS-era software use.

use crate::firmware::{
    firmware_log, seabios_or_skip, start_bios_vm_with, wait_firmware, FIRMWARE_TIMEOUT,
};
use crate::harness::*;
use std::time::Instant;

/// A boot sector that reads keys with `int 16h` (AH=0), echoes each ASCII byte on COM1, and
/// after Enter powers off through ACPI S5 (PM1a_CNT at 0x604, as `firmware.rs`'s sector).
fn echo_boot_sector() -> Vec<u8> {
    #[rustfmt::skip]
    let code: [u8; 0x28] = [
        0xfb,                   // 0x00 sti (SeaBIOS's keyboard needs IRQ 1)
        0xfc,                   // 0x01 cld
        0x31, 0xc0,             // 0x02 xor ax, ax
        0x8e, 0xd8,             // 0x04 mov ds, ax
        0xb4, 0x00,             // 0x06 next: mov ah, 0
        0xcd, 0x16,             // 0x08 int 16h: AL = ASCII of the next key
        0x88, 0xc4,             // 0x0a mov ah, al
        0xba, 0xfd, 0x03,       // 0x0c mov dx, 0x3fd (LSR)
        0xec,                   // 0x0f wait: in al, dx
        0xa8, 0x20,             // 0x10 test al, 0x20 (THR empty)
        0x74, 0xfb,             // 0x12 jz wait
        0xba, 0xf8, 0x03,       // 0x14 mov dx, 0x3f8 (THR)
        0x88, 0xe0,             // 0x17 mov al, ah
        0xee,                   // 0x19 out dx, al
        0x3c, 0x0d,             // 0x1a cmp al, 13 (Enter)
        0x75, 0xe8,             // 0x1c jne next
        0xba, 0x04, 0x06,       // 0x1e mov dx, 0x604 (PM1a_CNT)
        0xb8, 0x00, 0x34,       // 0x21 mov ax, 0x3400 (SLP_EN | SLP_TYP 5 << 10)
        0xef,                   // 0x24 out dx, ax
        0xf4,                   // 0x25 hang: hlt
        0xeb, 0xfd,             // 0x26 jmp hang
    ];
    let mut sector = vec![0u8; 512];
    sector[..code.len()].copy_from_slice(&code);
    sector[510] = 0x55;
    sector[511] = 0xaa;
    sector
}

/// A BIOS VM with a display whose only disk (1 MiB, raw) starts with boot sector `sector`.
fn start_sector_vm(id: &str, sector: Vec<u8>) -> Vm {
    start_bios_vm_with(id, 1, |dir| {
        let mut image = sector;
        image.resize(1 << 20, 0);
        let path = dir.join("boot.img");
        std::fs::write(&path, image).unwrap();
        format!(
            "\n[display]\nwidth = 640\nheight = 480\n\n[[disks]]\npath = \"{}\"\nformat = \"raw\"\n",
            path.display()
        )
    })
}

#[test]
fn keys_typed_over_vnc_reach_a_boot_sector_through_seabios_ps2_keyboard() {
    let name = "keys_typed_over_vnc_reach_a_boot_sector_through_seabios_ps2_keyboard";
    if !kvm_or_skip(name) || !seabios_or_skip(name) {
        return;
    }
    let mut vm = start_sector_vm("bios-ps2", echo_boot_sector());
    // SeaBIOS has set the keyboard up (it found PNP0303 in our DSDT) and run the sector.
    let log = wait_firmware(&mut vm, "PS2 keyboard initialized", FIRMWARE_TIMEOUT);
    assert!(!log.contains("i8042 self test failed"), "{log}");
    let serial = vm.wait_serial("Booting from Hard Disk", FIRMWARE_TIMEOUT);
    let before = serial.len();
    // A snapshot keeps what SeaBIOS programmed: keyboard interrupt and set 1 translation on,
    // the mouse port off, the keyboard in set 2 and scanning.
    let mut api = vm.api();
    let r = api.call(serde_json::json!({"cmd": "snapshot-create", "name": "ps2"}));
    assert_eq!(r["ok"], true, "{r}");
    let id = r["result"]["id"].as_str().unwrap();
    let fw = vmm_core::snapshot::read_firmware_state(&vm.dir.path().join("snapshots").join(id))
        .unwrap()
        .expect("a BIOS machine's snapshot has a firmware section");
    use vmm_core::devices::i8042::{CTR_AUXDIS, CTR_KBDINT, CTR_XLATE};
    assert_eq!(
        fw.ps2.ctr & (CTR_KBDINT | CTR_XLATE | CTR_AUXDIS),
        CTR_KBDINT | CTR_XLATE | CTR_AUXDIS,
        "{:?}",
        fw.ps2
    );
    assert!(
        fw.ps2.keyboard.scanning && fw.ps2.keyboard.set == 2,
        "{:?}",
        fw.ps2
    );
    let mut c = crate::rfb::Client::unix(&vm.dir.path().join("run/vnc.sock")).unwrap();
    let t = Instant::now();
    // 'v', 'm', Return (X keysyms), each pressed and released.
    for keysym in [0x76u32, 0x6d, 0xff0d] {
        c.key(keysym, true);
        c.key(keysym, false);
    }
    let serial = vm.wait_serial("vm\r", FIRMWARE_TIMEOUT);
    eprintln!(
        "PS/2: three keys echoed by the boot sector {:.2} s after typing",
        t.elapsed().as_secs_f64()
    );
    assert!(serial[before..].contains("vm\r"), "{serial}");
    // The sector powers off after Enter: the VMM ends with status 0.
    let (st, _, stderr) = vm.wait_exit(FIRMWARE_TIMEOUT);
    assert_eq!(st.code(), Some(0), "{stderr}");
    let log = firmware_log(&vm);
    assert!(!log.contains("Discarding ps2 data"), "{log}");
}

/// A boot sector that sets up SeaBIOS's PS/2 mouse services (`int 15h` C205 init with
/// 3-byte packets, C207 handler, C200 enable), prints the enable's status in hex and `R`,
/// then waits; its handler prints each packet as `[SSXXYY]` (status, X, Y in hex) on COM1.
/// Assembled from this source with GNU as (`.code16`, loaded at 0x7c00):
/// start: sti; cld; xor ax,ax; mov ds,ax; mov es,ax; mov ax,0xc205; mov bh,3; int 15h;
/// mov ax,0xc207; mov bx,handler; int 15h; mov ax,0xc200; mov bh,1; int 15h; mov al,ah;
/// call puthex; mov al,'R'; call putc; hang: hlt; jmp hang.
/// handler: push bp; mov bp,sp; '[' ; status [bp+12], X [bp+10], Y [bp+8] via puthex; ']';
/// pop bp; retf. puthex: AL's two hex digits; putc: AL to COM1 once the THR is empty.
fn mouse_boot_sector() -> Vec<u8> {
    #[rustfmt::skip]
    let code: [u8; 0x71] = [
        0xfb, 0xfc, 0x31, 0xc0, 0x8e, 0xd8, 0x8e, 0xc0,             // 0x00 sti; cld; ds = es = 0
        0xb8, 0x05, 0xc2, 0xb7, 0x03, 0xcd, 0x15,                   // 0x08 C205: init, 3 bytes
        0xb8, 0x07, 0xc2, 0xbb, 0x2b, 0x7c, 0xcd, 0x15,             // 0x0f C207: handler 0:7c2b
        0xb8, 0x00, 0xc2, 0xb7, 0x01, 0xcd, 0x15,                   // 0x17 C200: enable
        0x88, 0xe0, 0xe8, 0x29, 0x00,                               // 0x1e puthex(AH)
        0xb0, 0x52, 0xe8, 0x36, 0x00,                               // 0x23 putc('R')
        0xf4, 0xeb, 0xfd,                                           // 0x28 hang: hlt; jmp hang
        0x55, 0x89, 0xe5, 0xb0, 0x5b, 0xe8, 0x2b, 0x00,             // 0x2b handler: '['
        0x8a, 0x46, 0x0c, 0xe8, 0x13, 0x00,                         // 0x33 status
        0x8a, 0x46, 0x0a, 0xe8, 0x0d, 0x00,                         // 0x39 X
        0x8a, 0x46, 0x08, 0xe8, 0x07, 0x00,                         // 0x3f Y
        0xb0, 0x5d, 0xe8, 0x14, 0x00, 0x5d, 0xcb,                   // 0x45 ']'; pop bp; retf
        0x50, 0xc0, 0xe8, 0x04, 0xe8, 0x03, 0x00, 0x58, 0x24, 0x0f, // 0x4c puthex
        0x04, 0x30, 0x3c, 0x39, 0x76, 0x02, 0x04, 0x07,             // 0x56 nib → ASCII
        0x52, 0x88, 0xc4, 0xba, 0xfd, 0x03, 0xec, 0xa8, 0x20,       // 0x5e putc: wait THR
        0x74, 0xfb, 0xba, 0xf8, 0x03, 0x88, 0xe0, 0xee, 0x5a, 0xc3, // 0x67 out; ret
    ];
    let mut sector = vec![0u8; 512];
    sector[..code.len()].copy_from_slice(&code);
    sector[510] = 0x55;
    sector[511] = 0xaa;
    sector
}

#[test]
fn the_vnc_pointer_reaches_seabios_mouse_services_as_ps2_packets() {
    let name = "the_vnc_pointer_reaches_seabios_mouse_services_as_ps2_packets";
    if !kvm_or_skip(name) || !seabios_or_skip(name) {
        return;
    }
    let mut vm = start_sector_vm("bios-ps2-mouse", mouse_boot_sector());
    // C200 answered 0 (success): SeaBIOS reset, identified and enabled our mouse.
    vm.wait_serial("00R", FIRMWARE_TIMEOUT);
    let mut c = crate::rfb::Client::unix(&vm.dir.path().join("run/vnc.sock")).unwrap();
    let mut pointer = |x: u16, y: u16, buttons: u8| {
        use std::io::Write;
        let [xh, xl] = x.to_be_bytes();
        let [yh, yl] = y.to_be_bytes();
        c.s.write_all(&[5, buttons, xh, xl, yh, yl]).unwrap();
    };
    // The first position only anchors; then 5 right and 2 up with the left button, then
    // the release where it is. (The virtio tablet has no driver here: SeaBIOS has none.)
    pointer(100, 100, 0);
    pointer(105, 98, 1);
    pointer(105, 98, 0);
    // PS/2 status: bit 3 always set, bit 0 left; X +5, Y +2 (PS/2 counts up).
    let serial = vm.wait_serial("[080000]", FIRMWARE_TIMEOUT);
    let r = serial.find("00R").unwrap();
    assert_eq!(&serial[r + 3..], "[090502][080000]", "{serial}");
    let log = firmware_log(&vm);
    assert!(!log.contains("ps2 mouse irq but no mouse data"), "{log}");
}

/// GRUB's BIOS boot image, from Debian's grub-pc-bin.
const GRUB_BOOT_IMG: &str = "/usr/lib/grub/i386-pc/boot.img";
/// GRUB runs in protected mode, which a software KVM emulates: its menu takes minutes there.
const GRUB_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(420);

/// A 1 MiB raw disk that boots GRUB (boot.img in the MBR, core.img from sector 1, which is
/// where boot.img and diskboot look without grub-bios-setup) with its config in a memdisk:
/// a menu of two entries that each print a marker on COM1, keyboard input from the BIOS
/// (`int 16h`, i.e. PS/2 here), output on the serial port. `None` when grub-mkimage fails.
fn grub_disk(dir: &std::path::Path) -> Option<Vec<u8>> {
    let md = dir.join("memdisk");
    std::fs::create_dir_all(&md).unwrap();
    std::fs::write(
        md.join("grub.cfg"),
        "set timeout=-1\n\
         menuentry \"vmdesk first\" { echo VMDESK-GRUB-FIRST }\n\
         menuentry \"vmdesk second\" { echo VMDESK-GRUB-SECOND }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("early.cfg"),
        "serial --unit=0 --speed=115200\nterminal_input console\nterminal_output serial\n\
         set root=(memdisk)\nset prefix=(memdisk)\n",
    )
    .unwrap();
    let tar = dir.join("memdisk.tar");
    let ok = std::process::Command::new("tar")
        .args([
            "cf",
            tar.to_str().unwrap(),
            "-C",
            md.to_str().unwrap(),
            "grub.cfg",
        ])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "tar of GRUB's memdisk");
    let core = dir.join("core.img");
    let out = std::process::Command::new("grub-mkimage")
        .args(["-O", "i386-pc", "-p", "(memdisk)", "-o"])
        .arg(&core)
        .arg("-c")
        .arg(dir.join("early.cfg"))
        .arg("-m")
        .arg(&tar)
        .args([
            "memdisk",
            "tar",
            "normal",
            "configfile",
            "echo",
            "serial",
            "terminal",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "grub-mkimage: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let boot = std::fs::read(GRUB_BOOT_IMG).ok()?;
    let core = std::fs::read(core).unwrap();
    let mut disk = vec![0u8; 1 << 20];
    disk[..512].copy_from_slice(&boot[..512]);
    disk[512..512 + core.len()].copy_from_slice(&core);
    Some(disk)
}

#[test]
fn keys_typed_over_vnc_choose_a_grub_menu_entry() {
    let name = "keys_typed_over_vnc_choose_a_grub_menu_entry";
    if !kvm_or_skip(name)
        || !seabios_or_skip(name)
        || !tool_or_skip(
            "grub-mkimage",
            "GRUB for BIOS",
            "apt-get install grub-pc-bin",
        )
    {
        return;
    }
    if !std::path::Path::new(GRUB_BOOT_IMG).is_file() {
        let msg = format!("skipped: {name}: {GRUB_BOOT_IMG} missing (apt-get install grub-pc-bin)");
        assert!(std::env::var_os("VMDESK_REQUIRE_TOOLS").is_none(), "{msg}");
        eprintln!("{msg}");
        return;
    }
    let t0 = Instant::now();
    let mut vm = start_bios_vm_with("bios-grub", 1, |dir| {
        let image = grub_disk(dir).unwrap();
        let path = dir.join("grub.img");
        std::fs::write(&path, image).unwrap();
        format!(
            "\n[display]\nwidth = 640\nheight = 480\n\n[[disks]]\npath = \"{}\"\nformat = \"raw\"\n",
            path.display()
        )
    });
    vm.wait_serial("vmdesk second", GRUB_TIMEOUT);
    let menu = t0.elapsed();
    // Down, then Enter: SeaBIOS buffers both (E0 50 → int 16h AH=0x50), GRUB reads them.
    let mut c = crate::rfb::Client::unix(&vm.dir.path().join("run/vnc.sock")).unwrap();
    for keysym in [0xff54u32, 0xff0d] {
        c.key(keysym, true);
        c.key(keysym, false);
    }
    let serial = vm.wait_serial("VMDESK-GRUB-SECOND", GRUB_TIMEOUT);
    eprintln!(
        "GRUB: menu after {:.0} s, the second entry ran {:.0} s after Down + Enter",
        menu.as_secs_f64(),
        (t0.elapsed() - menu).as_secs_f64()
    );
    assert!(!serial.contains("VMDESK-GRUB-FIRST"), "{serial}");
}
