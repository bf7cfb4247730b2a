//! `disks[i].bus = "sata"`.

use super::super::tests::{cfg, fake_bzimage, HOST};
use super::tests::fields;
use super::*;
use crate::config::DiskBus;

#[test]
fn the_bus_is_virtio_unless_it_says_sata_and_is_written_only_when_sata() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = cfg(&fake_bzimage(dir.path()));
    c.disks = vec![
        DiskConfig {
            path: "a.img".into(),
            ..DiskConfig::default()
        },
        DiskConfig {
            path: "b.img".into(),
            bus: Some(DiskBus::Sata),
            ..DiskConfig::default()
        },
        DiskConfig {
            path: "c.img".into(),
            bus: Some(DiskBus::Virtio),
            ..DiskConfig::default()
        },
    ];
    let text = toml::to_string(&c).unwrap();
    assert_eq!(text.matches("bus = ").count(), 1, "{text}");
    assert!(text.contains("bus = \"sata\""), "{text}");
    let back = VmConfig::from_toml(&text).unwrap();
    let buses: Vec<_> = back.disks.iter().map(DiskConfig::bus).collect();
    assert_eq!(buses, [DiskBus::Virtio, DiskBus::Sata, DiskBus::Virtio]);
    let bad = text.replace("bus = \"sata\"", "bus = \"scsi\"");
    let e = VmConfig::from_toml(&bad).unwrap_err().to_string();
    assert!(e.contains("scsi"), "{e}");
}

#[test]
fn sata_disks_need_a_firmware_machine_and_a_free_ahci_port() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("d.img");
    std::fs::write(&img, vec![0u8; 1 << 20]).unwrap();
    let sata = |p: &Path| DiskConfig {
        path: p.to_path_buf(),
        format: Some(crate::config::ImageFormat::Raw),
        bus: Some(DiskBus::Sata),
        ..DiskConfig::default()
    };
    let mut c = cfg(&fake_bzimage(dir.path()));
    c.disks = vec![
        DiskConfig {
            path: dir.path().join("v.img"),
            ..DiskConfig::default()
        },
        sata(&img),
    ];
    std::fs::write(&c.disks[0].path, vec![0u8; 1 << 20]).unwrap();
    let errs = c.validate(&HOST).unwrap_err();
    assert_eq!(
        fields(Err(errs.clone())),
        ["disks[1].bus"],
        "a Linux machine"
    );
    assert!(errs[0].to_string().contains("firmware"), "{}", errs[0]);
    // On a firmware machine: up to the ports the CD-ROM drives leave.
    let disks: Vec<DiskConfig> = (0..3).map(|_| sata(&img)).collect();
    assert!(validate_sata_disks(true, &disks, 3).is_empty());
    let e = validate_sata_disks(true, &disks, 4);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].field, "disks");
    assert!(
        matches!(
            e[0].kind,
            ConfigErrorKind::TooManySataDisks { count: 3, max: 2 }
        ),
        "{}",
        e[0]
    );
    // On a firmware machine the same disks are fine, and SATA disks take no virtio slot.
    c.boot = BootSource::Bios {
        firmware: Some(c.disks[0].path.clone()),
        order: vec![],
        vga_rom: None,
    };
    let got = fields(c.validate(&HOST));
    assert!(!got.iter().any(|f| f.starts_with("disks")), "{got:?}");
}
