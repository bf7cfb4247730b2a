//! A new VM for an OS to install or boot: what [`osinfo::detect`] found, made into a `VmConfig`
//! and the disk it needs. The CLI's `create --iso` / `create --boot-disk` use it whole; the
//! wizard builds its VM from its form and takes the medium's part ([`boot_order`], [`cdroms`])
//! from here, so both make the same machine for the same file.
//!
//! - An installer ISO goes into a CD-ROM drive, with a new blank disk (or one given), boot order
//!   disk then CD-ROM: the blank disk has nothing to boot, so the firmware falls through to the
//!   CD; once the installer has written the disk, it boots from there without anyone touching
//!   the order.
//! - A disk image (an installed system or a cloud image) becomes disk 0: used in place, through
//!   a linked clone, or copied; UEFI unless asked otherwise (cloud images boot that way).

use crate::data::disks::DiskPlan;
use crate::data::host::HostInfo;
use crate::data::media::MediaKind;
use crate::data::osinfo::{Detection, Firmware};
use std::path::PathBuf;
use vmm_core::config::{BootDevice, CdromConfig, DisplayConfig, VmConfig, MIN_MEMORY_MIB};

const GIB: u64 = 1 << 30;

/// How a disk image chosen to boot from becomes the VM's disk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BootDiskUse {
    /// The image itself (the VM writes it).
    #[default]
    InPlace,
    /// A qcow2 overlay in the VM's folder: the image is never written.
    Linked,
    /// A standalone qcow2 copy in the VM's folder.
    Copy,
}

/// What the person chose over the detected defaults; `None` keeps the default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    pub vcpus: Option<u32>,
    pub memory_mib: Option<u64>,
    /// Size of the new disk an ISO install gets.
    pub disk_gib: Option<u64>,
    /// An existing disk to install onto instead of a new one (ISO only).
    pub disk: Option<DiskPlan>,
    pub firmware: Option<Firmware>,
    /// `Some(None)`: no screen (a serial-console install). Default: a screen, which installers
    /// and firmware menus need.
    pub display: Option<Option<DisplayConfig>>,
    /// One NIC (passt).
    pub network: bool,
    pub boot_disk: BootDiskUse,
}

/// The VM `id`/`name` for `d`'s medium, and the disk to make for it (`disks` is left empty:
/// [`crate::data::disks::create_vm`] adds the disk it makes from the plan). The detected memory
/// is capped at half the host's RAM and the vCPUs at the host's, so defaults always validate.
pub fn install_config(
    id: &str,
    name: &str,
    d: &Detection,
    o: &Overrides,
    host: &HostInfo,
) -> (VmConfig, DiskPlan) {
    let plan = match &d.media {
        MediaKind::Iso(_) => o.disk.clone().unwrap_or(DiskPlan::New {
            size_bytes: o.disk_gib.unwrap_or(d.resources.disk_gib) * GIB,
        }),
        MediaKind::DiskImage { .. } => boot_disk_plan(d.path.clone(), o.boot_disk),
    };
    let mut cfg = VmConfig::new_linux(id, name.trim(), PathBuf::new());
    cfg.boot = o
        .firmware
        .unwrap_or(default_firmware(d))
        .boot_source(boot_order(&d.media));
    cfg.cdroms = cdroms(d);
    cfg.vcpus = o
        .vcpus
        .unwrap_or_else(|| d.resources.vcpus.clamp(1, host.max_vcpus()));
    cfg.memory_mib = o.memory_mib.unwrap_or_else(|| {
        d.resources
            .memory_mib
            .min(host.memory_mib / 2)
            .max(MIN_MEMORY_MIB)
    });
    cfg.display = o.display.clone().unwrap_or(Some(DisplayConfig::default()));
    if o.network {
        cfg.nics = vec![Default::default()];
    }
    cfg.os = d.os.as_ref().map(|os| os.guest_os());
    (cfg, plan)
}

/// The boot order of a VM made for `media`. An ISO: the (new, blank) disk first — it is not
/// bootable, so the firmware falls through to the installer CD; once the OS is installed the
/// disk boots and the CD is never reached, without anyone touching the order. A disk image:
/// the disk.
pub fn boot_order(media: &MediaKind) -> Vec<BootDevice> {
    match media {
        MediaKind::Iso(_) => vec![BootDevice::Disk, BootDevice::Cdrom],
        MediaKind::DiskImage { .. } => vec![BootDevice::Disk],
    }
}

/// The CD/DVD drives of a VM made for `d`'s medium: the ISO in one; none for a disk image.
pub fn cdroms(d: &Detection) -> Vec<CdromConfig> {
    match d.media {
        MediaKind::Iso(_) => vec![CdromConfig {
            path: Some(d.path.clone()),
        }],
        MediaKind::DiskImage { .. } => vec![],
    }
}

/// The firmware a VM for `d`'s medium gets unless told otherwise: what osinfo-db says for an
/// ISO; UEFI for a disk image (cloud images and today's installed systems boot that way).
pub fn default_firmware(d: &Detection) -> Firmware {
    match d.media {
        MediaKind::Iso(_) => d.firmware,
        MediaKind::DiskImage { .. } => Firmware::Uefi,
    }
}

fn boot_disk_plan(path: PathBuf, how: BootDiskUse) -> DiskPlan {
    match how {
        BootDiskUse::InPlace => DiskPlan::Existing {
            path,
            linked: false,
            read_only: false,
            allow: Vec::new(),
        },
        BootDiskUse::Linked => DiskPlan::Existing {
            path,
            linked: true,
            read_only: false,
            allow: Vec::new(),
        },
        BootDiskUse::Copy => DiskPlan::Copy {
            path,
            allow: Vec::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::media::IsoLabels;
    use crate::data::osinfo::{Notice, OsInfo, Resources};
    use vmm_core::config::{BootSource, GuestOs, ImageFormat};

    fn detection(media: MediaKind, os: Option<OsInfo>, firmware: Firmware) -> Detection {
        Detection {
            path: "/m/x".into(),
            media,
            os,
            firmware,
            resources: Resources {
                memory_mib: 4096,
                disk_gib: 25,
                vcpus: 4,
            },
            notice: Some(Notice::UnknownOs),
        }
    }

    const HOST: HostInfo = HostInfo {
        cpus: 2,
        memory_mib: 6000,
    };

    #[test]
    fn an_iso_gets_a_cdrom_a_blank_disk_and_boots_the_disk_first() {
        let os = OsInfo {
            id: "http://debian.org/debian/12".into(),
            short_id: "debian12".into(),
            name: "Debian 12".into(),
            version: Some("12".into()),
            logo: None,
        };
        let d = detection(
            MediaKind::Iso(IsoLabels::default()),
            Some(os),
            Firmware::Bios,
        );
        let (cfg, plan) = install_config("deb", " Deb ", &d, &Overrides::default(), &HOST);
        assert_eq!(cfg.name, "Deb");
        assert_eq!(
            cfg.boot,
            BootSource::Bios {
                firmware: None,
                order: vec![BootDevice::Disk, BootDevice::Cdrom],
                vga_rom: None
            }
        );
        assert_eq!(cfg.cdroms[0].path.as_deref(), Some("/m/x".as_ref()));
        // Capped to what the host has: 2 CPUs, half of 6000 MiB.
        assert_eq!((cfg.vcpus, cfg.memory_mib), (2, 3000));
        assert_eq!(
            plan,
            DiskPlan::New {
                size_bytes: 25 * GIB
            }
        );
        assert!(cfg.display.is_some() && cfg.nics.is_empty());
        assert_eq!(
            cfg.os,
            Some(GuestOs {
                id: "http://debian.org/debian/12".into(),
                name: "Debian 12".into()
            })
        );
        let o = Overrides {
            vcpus: Some(1),
            memory_mib: Some(512),
            disk_gib: Some(3),
            firmware: Some(Firmware::Uefi),
            display: Some(None),
            network: true,
            ..Default::default()
        };
        let (cfg, plan) = install_config("deb", "Deb", &d, &o, &HOST);
        assert!(matches!(cfg.boot, BootSource::Uefi { .. }));
        assert_eq!((cfg.vcpus, cfg.memory_mib), (1, 512));
        assert_eq!(
            plan,
            DiskPlan::New {
                size_bytes: 3 * GIB
            }
        );
        assert!(cfg.display.is_none() && cfg.nics.len() == 1);
    }

    #[test]
    fn a_disk_image_is_the_boot_disk_with_uefi() {
        let d = detection(
            MediaKind::DiskImage {
                format: ImageFormat::Qcow2,
                virtual_size: GIB,
            },
            None,
            Firmware::Bios,
        );
        for (how, want) in [
            (
                BootDiskUse::InPlace,
                DiskPlan::Existing {
                    path: "/m/x".into(),
                    linked: false,
                    read_only: false,
                    allow: Vec::new(),
                },
            ),
            (
                BootDiskUse::Linked,
                DiskPlan::Existing {
                    path: "/m/x".into(),
                    linked: true,
                    read_only: false,
                    allow: Vec::new(),
                },
            ),
            (
                BootDiskUse::Copy,
                DiskPlan::Copy {
                    path: "/m/x".into(),
                    allow: Vec::new(),
                },
            ),
        ] {
            let o = Overrides {
                boot_disk: how,
                ..Default::default()
            };
            let (cfg, plan) = install_config("c", "C", &d, &o, &HOST);
            assert_eq!(plan, want);
            assert!(cfg.cdroms.is_empty() && cfg.os.is_none());
            assert!(
                matches!(cfg.boot, BootSource::Uefi { ref order, .. } if *order == [BootDevice::Disk]),
                "{:?}",
                cfg.boot
            );
        }
    }
}
