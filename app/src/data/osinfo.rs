//! Which OS an installer ISO or disk image holds, and what a VM for it should get: Debian's
//! osinfo-db (the database GNOME Boxes and virt-install use) matched against the ISO's
//! volume labels, with Boxes-like fallbacks when the OS or the database is unknown.
//!
//! API shared by the wizard, the details view and the CLI (`vmdesk detect`, `create --iso`).

// Used by the wizard, details view and CLI landing next (issue 14); remove this then.
#![allow(dead_code)]

use crate::data::media::{self, MediaError, MediaKind};
use std::path::{Path, PathBuf};
use vmm_core::config::{BootDevice, BootSource, GuestOs};

/// Where Debian's `osinfo-db` package puts the database.
pub const SYSTEM_DB: &str = "/usr/share/osinfo";

/// Generic defaults when nothing better is known (GNOME Boxes uses the same).
pub const GENERIC_MEMORY_MIB: u64 = 1024;
pub const GENERIC_DISK_GIB: u64 = 20;

/// The firmware a VM boots with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Firmware {
    Uefi,
    Bios,
}

impl Firmware {
    /// The boot source for a VM with this firmware and boot order (default files).
    pub fn boot_source(self, order: Vec<BootDevice>) -> BootSource {
        match self {
            Firmware::Uefi => BootSource::Uefi {
                firmware: None,
                vars: None,
                order,
            },
            Firmware::Bios => BootSource::Bios {
                firmware: None,
                order,
                vga_rom: None,
            },
        }
    }

    pub fn of(boot: &BootSource) -> Option<Firmware> {
        match boot {
            BootSource::Uefi { .. } => Some(Firmware::Uefi),
            BootSource::Bios { .. } => Some(Firmware::Bios),
            BootSource::Linux { .. } => None,
        }
    }
}

/// An OS osinfo-db knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsInfo {
    /// e.g. `http://debian.org/debian/12`.
    pub id: String,
    /// e.g. `debian12`.
    pub short_id: String,
    /// e.g. `Debian 12`.
    pub name: String,
    pub version: Option<String>,
    /// A logo for the library card, when osinfo-db or the icon theme has one.
    pub logo: Option<PathBuf>,
}

impl OsInfo {
    pub fn guest_os(&self) -> GuestOs {
        GuestOs {
            id: self.id.clone(),
            name: self.name.clone(),
        }
    }
}

/// What a VM for the medium should get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resources {
    pub memory_mib: u64,
    pub disk_gib: u64,
    pub vcpus: u32,
}

/// Something the person should be told beside the result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// osinfo-db does not know this medium: generic defaults.
    UnknownOs,
    /// osinfo-db is not installed (or unreadable): generic defaults, and how to install it.
    NoDatabase { reason: String },
}

/// The result of [`detect`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    pub path: PathBuf,
    pub media: MediaKind,
    pub os: Option<OsInfo>,
    pub firmware: Firmware,
    pub resources: Resources,
    pub notice: Option<Notice>,
}

/// Looks at the file and recognises the OS on it (through the system's osinfo-db).
pub fn detect(path: &Path, host_vcpus: u32) -> Result<Detection, MediaError> {
    let media = media::sniff(path)?;
    // Until the database lands: every medium is unknown (generic defaults, said so).
    Ok(Detection {
        path: path.to_path_buf(),
        media,
        os: None,
        firmware: Firmware::Uefi,
        resources: Resources {
            memory_mib: GENERIC_MEMORY_MIB,
            disk_gib: GENERIC_DISK_GIB,
            vcpus: host_vcpus.clamp(1, 2),
        },
        notice: Some(Notice::UnknownOs),
    })
}
