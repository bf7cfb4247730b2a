//! Builds the end-to-end test guest (tests/guest) into a minimal bzImage and
//! exports its path as `VMDESK_TEST_GUEST`. The guest is freestanding C +
//! assembly built with the system gcc, so no extra Rust target is needed.

use std::env;
use std::fs;
use std::path::PathBuf;
use std::process::Command;

/// Compiled and linked in this order; `entry.S` must come first (it holds the entry).
const SOURCES: &[&str] = &["entry.S", "guest.c", "acpi.c"];
/// Real-mode setup code (the bzImage setup sectors), linked on its own at 0.
const SETUP_SOURCE: &str = "setup.S";
const OTHER_INPUTS: &[&str] = &[
    "guest.h",
    "guest.ld",
    SETUP_SOURCE,
    "virtio.c",
    "virtio_pci.c",
    "fb.c",
    "gpu.c",
    "gpuanim.c",
    "blk.c",
    "net.c",
    "mem.c",
    "inspect.c",
];

const CFLAGS: &[&str] = &[
    "-m64",
    "-std=gnu11",
    "-ffreestanding",
    "-fno-pic",
    "-fno-pie",
    "-no-pie",
    "-nostdlib",
    "-static",
    "-mno-red-zone",
    "-mgeneral-regs-only",
    "-fno-stack-protector",
    "-fno-asynchronous-unwind-tables",
    // Loops must not turn into calls to memset/memcpy, which don't exist here.
    "-fno-tree-loop-distribute-patterns",
    // Guest-physical address 0 is valid memory, not a null pointer.
    "-fno-delete-null-pointer-checks",
    "-fcf-protection=none",
    "-O2",
    "-Wall",
    "-Werror",
    "-Wl,--build-id=none",
];

/// Protected-mode load address (bzImage `code32_start`); guest.ld links there.
const LOAD_ADDR: u32 = 0x10_0000;
/// Setup sectors after the boot sector; the setup area is (1 + this) * 512 bytes.
const SETUP_SECTS: u8 = 1;
/// Memory the guest needs from LOAD_ADDR, including .bss; guest.ld asserts it fits.
const INIT_SIZE: u32 = 0x4_0000;
/// The setup header build.rs writes: 0x1f1 up to the end of the protocol 2.15 header
/// (0x26c), rounded up. setup.S leaves it empty, apart from the jump at 0x200.
const HEADER: std::ops::Range<usize> = 0x1f1..0x270;

fn main() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap());
    let src = manifest.parent().unwrap().join("tests").join("guest");
    let out = PathBuf::from(env::var_os("OUT_DIR").unwrap());

    println!("cargo:rerun-if-changed=build.rs");
    for f in SOURCES.iter().chain(OTHER_INPUTS) {
        println!("cargo:rerun-if-changed={}", src.join(f).display());
    }

    let elf = out.join("test-guest.elf");
    let bin = out.join("test-guest.bin");
    let mut gcc = Command::new("gcc");
    gcc.args(CFLAGS)
        .arg(format!("-Wl,-T,{}", src.join("guest.ld").display()))
        .arg("-o")
        .arg(&elf)
        .args(SOURCES.iter().map(|f| src.join(f)));
    run(&mut gcc);
    run(Command::new("objcopy")
        .args(["-O", "binary"])
        .arg(&elf)
        .arg(&bin));

    // The setup code: linked at 0, so its labels are offsets in the setup area.
    let setup_elf = out.join("test-guest-setup.elf");
    let setup_bin = out.join("test-guest-setup.bin");
    run(Command::new("gcc")
        .args([
            "-m64",
            "-nostdlib",
            "-static",
            "-no-pie",
            "-Wl,--build-id=none",
        ])
        .args(["-Wl,-Ttext=0", "-Wl,-e,0"])
        .arg("-o")
        .arg(&setup_elf)
        .arg(src.join(SETUP_SOURCE)));
    run(Command::new("objcopy")
        .args(["-O", "binary", "-j", ".text"])
        .arg(&setup_elf)
        .arg(&setup_bin));
    let setup_code =
        fs::read(&setup_bin).unwrap_or_else(|e| panic!("read {}: {e}", setup_bin.display()));

    let kernel = fs::read(&bin).unwrap_or_else(|e| panic!("read {}: {e}", bin.display()));
    assert!(
        kernel.len() > 0x200 && kernel.len() <= INIT_SIZE as usize,
        "test guest is {} bytes; expected 0x200..={INIT_SIZE:#x}",
        kernel.len()
    );
    let mut image = setup_area(&setup_code, kernel.len());
    image.extend_from_slice(&kernel);

    let path = out.join("test-guest.bzImage");
    // A new file renamed over the old one, never written in place: a target dir copied with
    // hard links (cp -al) must not have its image changed by another copy's build.
    let tmp = out.join("test-guest.bzImage.tmp");
    fs::write(&tmp, &image).unwrap_or_else(|e| panic!("write {}: {e}", tmp.display()));
    fs::rename(&tmp, &path).unwrap_or_else(|e| panic!("rename to {}: {e}", path.display()));
    println!("cargo:rustc-env=VMDESK_TEST_GUEST={}", path.display());

    uefi_flash_guest(&manifest, &out);
}

/// The e2e UEFI flash test's "firmware" (tests/e2e/firmware_uefi_guest.S): a 4 KiB real-mode
/// image linked at 0xf000, exported as `VMDESK_UEFI_FLASH_GUEST`. Built here so the test runs
/// what the source says (a byte array in the test went stale once).
fn uefi_flash_guest(manifest: &std::path::Path, out: &std::path::Path) {
    let src = manifest
        .parent()
        .unwrap()
        .join("tests/e2e/firmware_uefi_guest.S");
    println!("cargo:rerun-if-changed={}", src.display());
    let elf = out.join("uefi-flash-guest.elf");
    let bin = out.join("uefi-flash-guest.bin");
    run(Command::new("gcc")
        .args(["-m32", "-nostdlib", "-static", "-no-pie"])
        .args(["-Wl,--build-id=none", "-Wl,-Ttext=0xf000", "-Wl,-e,0xf000"])
        .arg("-o")
        .arg(&elf)
        .arg(&src));
    run(Command::new("objcopy")
        .args(["-O", "binary", "-j", ".text"])
        .arg(&elf)
        .arg(&bin));
    let image = fs::read(&bin).unwrap_or_else(|e| panic!("read {}: {e}", bin.display()));
    assert_eq!(
        image.len(),
        4096,
        "{} must assemble to exactly 4 KiB",
        src.display()
    );
    println!("cargo:rustc-env=VMDESK_UEFI_FLASH_GUEST={}", bin.display());
}

/// Runs a tool, panicking with the command line and its stderr if it fails.
fn run(cmd: &mut Command) {
    let output = cmd
        .output()
        .unwrap_or_else(|e| panic!("building the test guest: cannot run {cmd:?}: {e}"));
    if !output.status.success() {
        panic!(
            "building the test guest: {cmd:?} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// The real-mode part of a bzImage: a boot sector plus setup sectors holding the setup
/// header (Documentation/arch/x86/boot.rst) and setup.S's code. vmdesk-vmm reads the
/// header and enters the protected-mode part in 64-bit mode; BIOS-side loaders (QEMU's
/// qboot, SeaBIOS's linuxboot ROM) run the real-mode code, which enters the 32-bit entry.
fn setup_area(code: &[u8], kernel_len: usize) -> Vec<u8> {
    let mut s = vec![0u8; (1 + SETUP_SECTS as usize) * 512];
    assert!(
        code.len() <= s.len(),
        "setup.S is {} bytes; the setup area holds {}",
        code.len(),
        s.len()
    );
    s[..code.len()].copy_from_slice(code);
    assert!(
        HEADER
            .filter(|off| !(0x200..0x202).contains(off))
            .all(|off| s[off] == 0),
        "setup.S puts bytes into the setup header (0x1f1..0x270) other than the jump at 0x200"
    );
    let mut put = |off: usize, bytes: &[u8]| s[off..off + bytes.len()].copy_from_slice(bytes);

    put(0x1f1, &[SETUP_SECTS]);
    put(0x1f4, &(kernel_len.div_ceil(16) as u32).to_le_bytes()); // syssize, 16-byte units
    put(0x1fa, &0xffffu16.to_le_bytes()); // vid_mode: "normal"
    put(0x1fe, &0xaa55u16.to_le_bytes()); // boot_flag
                                          // 0x200 jump: setup.S's jump to its real-mode code.
    put(0x202, b"HdrS");
    put(0x206, &0x020fu16.to_le_bytes()); // boot protocol 2.15
    put(0x211, &[0x01]); // loadflags: LOADED_HIGH
    put(0x214, &LOAD_ADDR.to_le_bytes()); // code32_start
    put(0x22c, &0x7fff_ffffu32.to_le_bytes()); // initrd_addr_max
    put(0x230, &0x20_0000u32.to_le_bytes()); // kernel_alignment
    put(0x234, &[0]); // relocatable_kernel: no, guest.ld fixes the address
    put(0x236, &0x0001u16.to_le_bytes()); // xloadflags: XLF_KERNEL_64 (entry at +0x200)
    put(0x238, &2047u32.to_le_bytes()); // cmdline_size
    put(0x258, &u64::from(LOAD_ADDR).to_le_bytes()); // pref_address
    put(0x260, &INIT_SIZE.to_le_bytes()); // init_size
    s
}
