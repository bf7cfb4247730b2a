//! `[[cdroms]]` and `[boot] order`.

use super::super::tests::{cfg, fake_bzimage, HOST};
use super::tests::fields;
use super::*;

/// A file with "CD001" where an ISO 9660 image has it.
pub(crate) fn fake_iso(path: &Path) {
    let mut img = vec![0u8; 0x8800];
    img[0x8001..0x8006].copy_from_slice(b"CD001");
    std::fs::write(path, img).unwrap();
}

#[test]
fn cdroms_need_an_iso_and_a_firmware_machine() {
    let dir = tempfile::tempdir().unwrap();
    let iso = dir.path().join("a.iso");
    fake_iso(&iso);
    let junk = dir.path().join("junk.iso");
    std::fs::write(&junk, vec![0u8; 0x9000]).unwrap();
    let short = dir.path().join("short.iso");
    std::fs::write(&short, b"CD001").unwrap();
    let cd = |p: &Path| CdromConfig {
        path: Some(p.to_path_buf()),
    };
    let k = fake_bzimage(dir.path());
    let mut c = cfg(&k);
    c.cdroms = vec![cd(&iso)];
    assert_eq!(fields(c.validate(&HOST)), ["cdroms"], "a Linux machine");
    c.boot = BootSource::Bios {
        firmware: Some(std::path::PathBuf::from("/nonexistent/fw")),
        order: vec![],
        vga_rom: None,
    };
    let errs = validate_cdroms(
        true,
        &[cd(&iso), CdromConfig::default(), cd(&junk), cd(&short)],
    );
    let got: Vec<_> = errs
        .iter()
        .map(|e| (e.field.as_str(), e.to_string()))
        .collect();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].0, "cdroms[2].path");
    assert!(
        got[0].1.contains("junk.iso") && got[0].1.contains("ISO 9660"),
        "{got:?}"
    );
    assert_eq!(got[1].0, "cdroms[3].path");
    let e = validate_cdrom(0, &cd(&dir.path().join("gone.iso"))).unwrap_err();
    assert!(matches!(e.kind, ConfigErrorKind::NotFound { .. }), "{e}");
    let e = validate_cdrom(0, &cd(dir.path())).unwrap_err();
    assert!(
        matches!(e.kind, ConfigErrorKind::NotRegularFile { .. }),
        "{e}"
    );
    let five = vec![CdromConfig::default(); MAX_CDROMS + 1];
    assert_eq!(validate_cdroms(true, &five)[0].field, "cdroms");
}

#[test]
fn the_boot_order_names_each_device_once_and_defaults_to_a_medium_first() {
    use BootDevice::*;
    validate_boot_order(&[Disk, Cdrom]).unwrap();
    let e = validate_boot_order(&[Cdrom, Disk, Cdrom]).unwrap_err();
    assert_eq!(e.field, "boot.order");
    let dir = tempfile::tempdir().unwrap();
    let mut c = cfg(&fake_bzimage(dir.path()));
    c.boot = BootSource::Bios {
        firmware: None,
        order: vec![],
        vga_rom: None,
    };
    assert_eq!(c.boot_order(), [Disk, Cdrom]);
    c.cdroms = vec![CdromConfig {
        path: Some("x.iso".into()),
    }];
    assert_eq!(c.boot_order(), [Cdrom, Disk]);
    c.boot = BootSource::Bios {
        firmware: None,
        order: vec![Disk],
        vga_rom: None,
    };
    assert_eq!(c.boot_order(), [Disk]);
    let t = "id='a'\nname='A'\nvcpus=1\nmemory_mib=64\n[boot]\nkind='bios'\norder=['disk','cdrom']\n[[cdroms]]\n[[cdroms]]\npath='b.iso'\n";
    let c = VmConfig::from_toml(t).unwrap();
    assert_eq!(c.boot_order(), [Disk, Cdrom]);
    assert_eq!(c.cdroms.len(), 2);
    assert!(VmConfig::from_toml(&t.replace("'disk'", "'floppy'")).is_err());
}
