//! Checks of what only a PC (firmware) machine has: CD-ROM drives, SATA disks, the boot order.

use super::*;

/// `cdroms[i].path`: a readable regular file with an ISO 9660 volume descriptor. (No path =
/// an empty drive, always fine.)
pub fn validate_cdrom(i: usize, c: &CdromConfig) -> Result<(), ConfigError> {
    let Some(file) = &c.path else {
        return Ok(());
    };
    let field = format!("cdroms[{i}].path");
    let path = || file.to_path_buf();
    let m = metadata_of(file, &field, |path, reason| ConfigErrorKind::NotFound {
        path,
        reason,
    })?;
    check(m.is_file(), &field, || ConfigErrorKind::NotRegularFile {
        path: path(),
    })?;
    let mut magic = [0u8; 5];
    let read = crate::util::open_regular(file).and_then(|f| {
        use std::os::unix::fs::FileExt;
        f.read_exact_at(&mut magic, ISO_MAGIC_OFFSET)
    });
    match read {
        Ok(()) => check(&magic == b"CD001", &field, || ConfigErrorKind::NotAnIso {
            path: path(),
        }),
        // Too short to hold a volume descriptor.
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Err(ConfigError::new(
            &field,
            ConfigErrorKind::NotAnIso { path: path() },
        )),
        Err(e) => Err(ConfigError::new(
            &field,
            ConfigErrorKind::CannotRead {
                path: path(),
                reason: e.to_string(),
            },
        )),
    }
}

/// `cdroms`: only on a firmware machine, at most [`MAX_CDROMS`], each medium an ISO.
pub fn validate_cdroms(firmware: bool, cdroms: &[CdromConfig]) -> Vec<ConfigError> {
    let mut errs = Vec::new();
    if cdroms.is_empty() {
        return errs;
    }
    if !firmware {
        errs.push(ConfigError::new(
            "cdroms",
            ConfigErrorKind::CdromsNeedFirmware,
        ));
    }
    if cdroms.len() > MAX_CDROMS {
        errs.push(ConfigError::new(
            "cdroms",
            ConfigErrorKind::TooManyCdroms {
                count: cdroms.len(),
                max: MAX_CDROMS,
            },
        ));
    }
    for (i, c) in cdroms.iter().enumerate() {
        errs.extend(validate_cdrom(i, c).err());
    }
    errs
}

/// SATA disks (`disks[i].bus = "sata"`): only on a firmware machine (the error names the first
/// such `disks[i].bus`), and no more than the AHCI ports the CD-ROM drives leave.
pub fn validate_sata_disks(
    firmware: bool,
    disks: &[DiskConfig],
    cdroms: usize,
) -> Vec<ConfigError> {
    let mut errs = Vec::new();
    let sata: Vec<usize> = (0..disks.len()).filter(|&i| disks[i].is_sata()).collect();
    let Some(&first) = sata.first() else {
        return errs;
    };
    if !firmware {
        errs.push(ConfigError::new(
            format!("disks[{first}].bus"),
            ConfigErrorKind::SataNeedsFirmware,
        ));
    }
    let max = crate::devices::ahci::NUM_PORTS.saturating_sub(cdroms.min(MAX_CDROMS));
    if sata.len() > max {
        errs.push(ConfigError::new(
            "disks",
            ConfigErrorKind::TooManySataDisks {
                count: sata.len(),
                max,
            },
        ));
    }
    errs
}

/// `boot.order`: each kind of device at most once.
pub fn validate_boot_order(order: &[BootDevice]) -> Result<(), ConfigError> {
    for (i, d) in order.iter().enumerate() {
        if order[..i].contains(d) {
            return Err(ConfigError::new(
                "boot.order",
                ConfigErrorKind::BootOrderDuplicate { device: *d },
            ));
        }
    }
    Ok(())
}

/// `display.kind`: one of the machine's kinds ([`DisplayKind::allowed`]); a PC (`firmware`)
/// also takes `framebuffer`, meaning its VGA, as config files before `std-vga` have it.
pub fn validate_display_kind(firmware: bool, kind: DisplayKind) -> Result<(), ConfigError> {
    let ok = DisplayKind::allowed(firmware).contains(&kind)
        || (firmware && kind == DisplayKind::Framebuffer);
    check(ok, "display.kind", || {
        ConfigErrorKind::DisplayKindUnavailable {
            kind: kind.name().into(),
            allowed: DisplayKind::allowed(firmware)
                .iter()
                .map(|k| k.name())
                .collect(),
        }
    })
}

#[cfg(test)]
mod display_kind_tests {
    use super::*;

    #[test]
    fn each_machine_takes_its_display_kinds_and_names_the_others() {
        use DisplayKind::*;
        for k in [StdVga, VirtioGpu, Framebuffer] {
            assert!(validate_display_kind(true, k).is_ok(), "PC: {k:?}");
        }
        for k in [Framebuffer, VirtioGpu] {
            assert!(validate_display_kind(false, k).is_ok(), "kernel: {k:?}");
        }
        let e = validate_display_kind(false, StdVga).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("display.kind"), "{text}");
        assert!(text.contains("std-vga"), "{text}");
        assert!(text.contains("framebuffer, virtio-gpu"), "{text}");
    }
}
