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

#[test]
fn keys_typed_over_vnc_reach_a_boot_sector_through_seabios_ps2_keyboard() {
    let name = "keys_typed_over_vnc_reach_a_boot_sector_through_seabios_ps2_keyboard";
    if !kvm_or_skip(name) || !seabios_or_skip(name) {
        return;
    }
    let mut vm = start_bios_vm_with("bios-ps2", 1, |dir| {
        let mut image = echo_boot_sector();
        image.resize(1 << 20, 0);
        let path = dir.join("boot.img");
        std::fs::write(&path, image).unwrap();
        format!(
            "\n[display]\nwidth = 640\nheight = 480\n\n[[disks]]\npath = \"{}\"\nformat = \"raw\"\n",
            path.display()
        )
    });
    // SeaBIOS has set the keyboard up (it found PNP0303 in our DSDT) and run the sector.
    let log = wait_firmware(&mut vm, "PS2 keyboard initialized", FIRMWARE_TIMEOUT);
    assert!(!log.contains("i8042 self test failed"), "{log}");
    let serial = vm.wait_serial("Booting from Hard Disk", FIRMWARE_TIMEOUT);
    let before = serial.len();
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
