use super::super::tests::{cfg, fake_bzimage, HOST};
use super::*;

pub(super) fn fields(r: Result<(), Vec<ConfigError>>) -> Vec<String> {
    r.err()
        .unwrap_or_default()
        .into_iter()
        .map(|e| e.field)
        .collect()
}

#[test]
fn each_bad_field_is_reported_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let k = fake_bzimage(dir.path());
    let mut c = cfg(&k);
    c.vcpus = 0;
    c.memory_mib = 8192;
    c.id = "Bad Id".into();
    assert_eq!(fields(c.validate(&HOST)), ["id", "vcpus", "memory_mib"]);
    let mut c = cfg(&k);
    c.vcpus = 9;
    assert_eq!(fields(c.validate(&HOST)), ["vcpus"]);
}

#[test]
fn firmware_must_exist_and_have_a_rom_size() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("bios.bin");
    let e = validate_firmware(&missing).unwrap_err();
    assert_eq!(e.field, "boot.firmware");
    assert!(e.to_string().contains("apt-get install seabios"), "{e}");
    for (size, ok) in [
        (128 << 10, true),
        (256 << 10, true),
        (4 << 20, true),
        (100_000, false),
        (0, false),
        (32 << 20, false),
    ] {
        std::fs::write(&missing, vec![0u8; size]).unwrap();
        let r = validate_firmware(&missing);
        assert_eq!(r.is_ok(), ok, "{size}: {r:?}");
        if let Err(e) = r {
            assert!(e.to_string().contains(&format!("{size} bytes")), "{e}");
        }
    }
    let mut c = cfg(&missing);
    c.boot = BootSource::Bios {
        firmware: Some(dir.path().join("none.bin")),
        order: vec![],
        vga_rom: None,
    };
    assert_eq!(fields(c.validate(&HOST)), ["boot.firmware"]);
}

#[test]
fn uefi_files_must_be_flash_sized_and_go_together() {
    let dir = tempfile::tempdir().unwrap();
    let code = dir.path().join("code.fd");
    let vars = dir.path().join("vars.fd");
    // Nothing there: the code names the package.
    let e = validate_uefi(&code, Some(&vars)).unwrap_err();
    assert_eq!(e[0].field, "boot.firmware");
    assert!(
        e[0].to_string().contains("apt-get install ovmf"),
        "{}",
        e[0]
    );
    std::fs::write(&code, vec![0u8; 3_653_632]).unwrap();
    std::fs::write(&vars, vec![0u8; 540_672]).unwrap();
    validate_uefi(&code, Some(&vars)).unwrap();
    // A 2M-build store with 4M-build code.
    std::fs::write(&vars, vec![0u8; 131_072]).unwrap();
    let e = validate_uefi(&code, Some(&vars)).unwrap_err();
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].field, "boot.vars");
    let text = e[0].to_string();
    assert!(
        text.contains("vars.fd") && text.contains("131072") && text.contains("code.fd"),
        "{text}"
    );
    // Not whole blocks, too big, empty: each names its field and size.
    for (size, field) in [
        (4097, "boot.firmware"),
        (32 << 20, "boot.firmware"),
        (0, "boot.firmware"),
    ] {
        std::fs::write(&code, vec![0u8; size]).unwrap();
        let e = validate_uefi(&code, Some(&vars)).unwrap_err();
        assert_eq!(e[0].field, field);
        assert!(
            e[0].to_string().contains(&format!("{size} bytes")),
            "{}",
            e[0]
        );
    }
    // Through VmConfig::validate.
    let mut c = cfg(&code);
    c.boot = BootSource::Uefi {
        firmware: Some(dir.path().join("none.fd")),
        vars: Some(vars.clone()),
        order: vec![],
    };
    assert_eq!(fields(c.validate(&HOST)), ["boot.firmware"]);
}

#[test]
fn the_cmdline_limit_counts_what_the_vmm_adds() {
    let mut c = "x".repeat(MAX_CMDLINE_LEN);
    let e = validate_cmdline(&c).unwrap_err();
    assert_eq!(e.field, "boot.cmdline");
    assert_eq!(
        e.kind,
        ConfigErrorKind::CmdlineTooLong {
            len: MAX_CMDLINE_LEN + " pci=off".len(),
            max: MAX_CMDLINE_LEN
        }
    );
    c.truncate(MAX_CMDLINE_LEN - " pci=off".len());
    validate_cmdline(&c).unwrap();
}

#[test]
fn kinds_read_as_vmdesk_vmm_has_always_printed_them() {
    let e = ConfigError {
        file: Some("/vms/a/vm.toml".into()),
        ..ConfigError::new("vcpus", ConfigErrorKind::TooFewVcpus { value: 0, min: 1 })
    };
    assert_eq!(e.to_string(), "/vms/a/vm.toml: vcpus: must be at least 1");
    let e = validate_memory(8192, &HOST).unwrap_err();
    assert_eq!(
        e.to_string(),
        "memory_mib: 8192 MiB is more than this host has (4096 MiB)"
    );
    let e = validate_nics(&[NicConfig {
        mac: Some("01:00:5e:00:00:01".into()),
        ..Default::default()
    }]);
    assert_eq!(e[0].field, "nics[0].mac");
    assert!(e[0].to_string().contains("multicast"), "{}", e[0]);
}

#[test]
fn names_and_vnc_passwords_with_control_characters_are_refused() {
    for bad in ["web\u{1b}[2J", "a\u{0}b", "tab\there", "line\nbreak"] {
        let e = validate_name(bad).unwrap_err();
        assert_eq!(e.field, "name");
        assert!(matches!(e.kind, ConfigErrorKind::NameControl), "{bad:?}");
    }
    validate_name("Web server (Debian 12) — ünïcode ok").unwrap();
    for bad in ["pw\u{1b}", "a\u{0}b", "tab\t", "é"] {
        let e = validate_vnc(Some(5900), Some(bad)).unwrap_err();
        assert_eq!(e.field, "display.vnc_password", "{bad:?}");
    }
    validate_vnc(Some(5900), Some("s3 cr~t!")).unwrap();
}

#[test]
fn too_many_nics_is_said_of_the_nics_not_of_the_disks() {
    let dir = tempfile::tempdir().unwrap();
    let k = fake_bzimage(dir.path());
    let disk = dir.path().join("d.img");
    std::fs::write(&disk, vec![0u8; 1 << 20]).unwrap();
    let mut c = cfg(&k);
    c.display = Some(crate::config::DisplayConfig::default());
    c.disks = vec![DiskConfig {
        path: disk,
        read_only: false,
        format: None,
        serial: None,
        bus: None,
        allow_backing: vec![],
    }];
    c.nics = vec![NicConfig::default(); 5];
    assert_eq!(fields(c.validate(&HOST)), ["nics"]);
    // With the NICs within bounds, a disk past the slots is the disks' error.
    c.nics.truncate(4);
    c.disks = vec![c.disks[0].clone(); 2];
    let errs = c.validate(&HOST).unwrap_err();
    let e = errs.iter().find(|e| e.field == "disks").expect("disks");
    assert!(e.to_string().contains("do not fit"), "{e}");
}
