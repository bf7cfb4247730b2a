//! Bad input gets a clear error naming the file and field, exit status 2, never a panic.

use crate::harness::*;
use std::process::Command;

fn check(toml: &str, files: &[(&str, &[u8])]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    for (name, data) in files {
        std::fs::write(dir.path().join(name), data).unwrap();
    }
    let cfg = dir.path().join("vm.toml");
    std::fs::write(&cfg, toml).unwrap();
    let out = Command::new(VMM)
        .arg("--check")
        .arg("--config")
        .arg(&cfg)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!stderr.contains("panicked"), "panic on bad input: {stderr}");
    (out.status.code(), stderr)
}

fn base(extra: &str) -> String {
    format!("id = \"t\"\nname = \"T\"\nvcpus = 1\nmemory_mib = 64\n{extra}\n[boot]\nkind = \"linux\"\nkernel = \"{GUEST}\"\n")
}

#[test]
fn valid_config_passes_check() {
    if !kvm_or_skip("valid_config_passes_check") {
        return;
    }
    let (code, err) = check(&base(""), &[]);
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn bad_fields_are_named() {
    if !kvm_or_skip("bad_fields_are_named") {
        return;
    }
    let cases: Vec<(String, &str, &str)> = vec![
        (
            base("").replace("vcpus = 1", "vcpus = 0"),
            "vcpus",
            "at least 1",
        ),
        (
            base("").replace("vcpus = 1", "vcpus = 100000"),
            "vcpus",
            "more than this host",
        ),
        (
            base("").replace("memory_mib = 64", "memory_mib = 99999999"),
            "memory_mib",
            "more than this host",
        ),
        (
            base("").replace("memory_mib = 64", "memory_mib = 1"),
            "memory_mib",
            "too small",
        ),
        (
            base("").replace("id = \"t\"", "id = \"../evil\""),
            "id",
            "lowercase",
        ),
        (
            base("").replace(GUEST, "/nonexistent/vmlinuz"),
            "boot.kernel",
            "/nonexistent/vmlinuz",
        ),
        (
            base("").replace(GUEST, "notakernel.txt"),
            "boot.kernel",
            "not a Linux kernel",
        ),
        (
            base("") + "initrd = \"missing.img\"\n",
            "boot.initrd",
            "missing.img",
        ),
        (base("colour = \"red\""), "colour", "unknown field"),
        (
            base("") + &format!("cmdline = \"{}\"\n", "x".repeat(3000)),
            "boot.cmdline",
            "longer than",
        ),
        ("id = \"t\"\nvcpus = ".to_string(), "", "TOML"),
    ];
    for (toml, field, reason) in cases {
        let (code, err) = check(&toml, &[("notakernel.txt", b"hello, I am text\n")]);
        assert_eq!(code, Some(2), "expected exit 2 for {field}: {err}");
        assert!(err.contains("vm.toml"), "error must name the file: {err}");
        assert!(err.contains(field), "error must name {field:?}: {err}");
        assert!(
            err.to_lowercase().contains(&reason.to_lowercase()),
            "error for {field} must say {reason:?}: {err}"
        );
    }
}

#[test]
fn missing_config_file_is_named() {
    let out = Command::new(VMM)
        .args(["--config", "/nonexistent/vm.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/vm.toml"), "{err}");
}

#[test]
fn help_documents_every_flag() {
    let out = Command::new(VMM).arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--config",
        "--runtime-dir",
        "--console",
        "--check",
        "Exit status",
    ] {
        assert!(text.contains(flag), "--help lacks {flag}:\n{text}");
    }
}

#[test]
fn a_missing_firmware_is_refused_naming_the_package() {
    if !kvm_or_skip("a_missing_firmware_is_refused_naming_the_package") {
        return;
    }
    let toml = "id = \"t\"\nname = \"T\"\nvcpus = 1\nmemory_mib = 64\n[boot]\nkind = \"bios\"\nfirmware = \"/nonexistent/bios-256k.bin\"\n";
    let (code, err) = check(toml, &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("boot.firmware"), "{err}");
    assert!(err.contains("apt-get install seabios"), "{err}");
    // A file of no ROM size is refused with the size found.
    let toml = toml.replace("/nonexistent/bios-256k.bin", "bios.bin");
    let (code, err) = check(&toml, &[("bios.bin", &[0u8; 1000])]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("boot.firmware") && err.contains("1000 bytes"),
        "{err}"
    );
}

/// qcow2 images made by qemu-img in a folder of their own: one whose backing file is a host
/// file outside it, one whose L2 entry points at its refcount table (a guest write there would
/// overwrite refcounts). `--check` and starting refuse both, naming the disk and what to do.
#[test]
fn hostile_disk_images_are_refused_by_check_and_at_start() {
    if !kvm_or_skip("hostile_disk_images_are_refused_by_check_and_at_start")
        || !tool_or_skip("qemu-img", "qemu-img", "apt-get install qemu-utils")
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let host = dir.path().join("host.qcow2");
    let st = Command::new("qemu-img")
        .args([
            "create",
            "-q",
            "-f",
            "qcow2",
            "-u",
            "-b",
            "/etc/passwd",
            "-F",
            "raw",
        ])
        .arg(&host)
        .arg("8M")
        .status()
        .unwrap();
    assert!(st.success());
    let meta = dir.path().join("meta.qcow2");
    let st = Command::new("qemu-img")
        .args(["create", "-q", "-f", "qcow2"])
        .arg(&meta)
        .arg("8M")
        .status()
        .unwrap();
    assert!(st.success());
    let st = Command::new("qemu-io")
        .args(["-f", "qcow2", "-c", "write -P 0x5a 0 64k"])
        .arg(&meta)
        .output()
        .unwrap();
    assert!(st.status.success());
    {
        use std::os::unix::fs::FileExt;
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&meta)
            .unwrap();
        let rd = |off: u64| {
            let mut b = [0u8; 8];
            f.read_exact_at(&mut b, off).unwrap();
            u64::from_be_bytes(b)
        };
        let reftable = rd(48);
        let l2 = rd(rd(40)) & 0x00ff_ffff_ffff_fe00;
        let e = rd(l2);
        f.write_all_at(&((e & !0x00ff_ffff_ffff_fe00) | reftable).to_be_bytes(), l2)
            .unwrap();
    }
    for (img, says) in [(&host, "allow_backing"), (&meta, "refcount table")] {
        let vm = tempfile::tempdir().unwrap();
        let toml = base(&format!("[[disks]]\npath = \"{}\"\n", img.display()));
        std::fs::write(vm.path().join("vm.toml"), &toml).unwrap();
        let out = Command::new(VMM)
            .arg("--check")
            .arg("--config")
            .arg(vm.path().join("vm.toml"))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("disks[0].path") && err.contains(says), "{err}");
        let mut vmp = Vm::spawn_in(vm.path());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let st = loop {
            if let Some(st) = vmp.try_wait().unwrap() {
                break st;
            }
            assert!(std::time::Instant::now() < deadline, "it started");
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        assert!(!st.success());
    }
}

#[test]
fn check_names_display_kind_and_the_kinds_each_machine_has() {
    if !kvm_or_skip("check_names_display_kind_and_the_kinds_each_machine_has") {
        return;
    }
    // The kernel machine has no std-vga.
    let (code, err) = check(
        &format!("{}\n[display]\nkind = \"std-vga\"\n", base("")),
        &[],
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("display.kind"), "{err}");
    assert!(err.contains("framebuffer, virtio-gpu"), "{err}");
    // The PC takes std-vga, virtio-gpu and (older files) framebuffer.
    if !std::path::Path::new("/usr/share/seabios/bios-256k.bin").is_file() {
        eprintln!("skipped: the PC half: no SeaBIOS (apt-get install seabios)");
        return;
    }
    for kind in ["std-vga", "virtio-gpu", "framebuffer"] {
        let toml = format!(
            "id = \"t\"\nname = \"T\"\nvcpus = 1\nmemory_mib = 64\n[boot]\nkind = \"bios\"\n\n[display]\nkind = \"{kind}\"\n"
        );
        let (code, err) = check(&toml, &[]);
        assert_eq!(code, Some(0), "{kind}: {err}");
    }
}
