//! Which OS an installer ISO or disk image holds, and what a VM for it should get: Debian's
//! osinfo-db (the database GNOME Boxes and virt-install use) matched against the ISO's
//! volume labels, with Boxes-like fallbacks when the OS or the database is unknown.
//!
//! API shared by the wizard, the details view and the CLI (`vmdesk detect`, `create --iso`).
//!
//! Nothing is read at start-up: the database is loaded on the first detection (from a cached
//! index when the database has not changed, see [`db`]) and kept for the process; callers on
//! a UI thread may warm it up in a task with [`load`]`(&`[`db_dir`]`())`. Matching follows
//! libosinfo ([`matcher`]); Debian, Ubuntu and Fedora releases newer than the installed
//! database are named from their label (`newer`). `$VMDESK_OSINFO_DIR` points at another
//! database (tests, a newer one unpacked by hand).

pub mod db;
pub mod logo;
pub mod matcher;
mod newer;
#[cfg(test)]
mod tests;

pub use db::Db;
pub use logo::logo_for;

use crate::data::media::{self, MediaError, MediaKind};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use vmm_core::config::{BootDevice, BootSource, GuestOs};

/// Where Debian's `osinfo-db` package puts the database.
pub const SYSTEM_DB: &str = "/usr/share/osinfo";

/// Points vmdesk at another osinfo-db folder (tests, a newer database unpacked by hand).
pub const DB_DIR_ENV: &str = "VMDESK_OSINFO_DIR";

/// Generic defaults when nothing better is known (GNOME Boxes uses the same).
pub const GENERIC_MEMORY_MIB: u64 = 1024;
pub const GENERIC_DISK_GIB: u64 = 20;
/// vCPUs when osinfo-db recommends none (capped by the host's).
pub const GENERIC_VCPUS: u32 = 2;

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

/// Looks at the file and recognises the OS on it (through the system's osinfo-db, or the one
/// `$VMDESK_OSINFO_DIR` names).
pub fn detect(path: &Path, host_vcpus: u32) -> Result<Detection, MediaError> {
    detect_in(&db_dir(), path, host_vcpus)
}

/// The osinfo-db folder used: `$VMDESK_OSINFO_DIR`, else Debian's.
pub fn db_dir() -> PathBuf {
    std::env::var_os(DB_DIR_ENV)
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from(SYSTEM_DB), PathBuf::from)
}

/// [`detect`] against the database at `db_dir` (loaded once per process, see [`load`]).
pub fn detect_in(db_dir: &Path, path: &Path, host_vcpus: u32) -> Result<Detection, MediaError> {
    let media = media::sniff(path)?;
    if !matches!(media, MediaKind::Iso(_)) {
        // A disk image is not looked up: osinfo-db only knows installer media.
        return Ok(resolve(None, path, media, host_vcpus));
    }
    let db = load(db_dir);
    Ok(resolve(Some(db.as_deref()), path, media, host_vcpus))
}

/// [`detect`] against an already loaded database (tests and the timing test).
#[cfg(test)]
pub fn detect_with(db: &Db, path: &Path, host_vcpus: u32) -> Result<Detection, MediaError> {
    let media = media::sniff(path)?;
    Ok(resolve(Some(Ok(db)), path, media, host_vcpus))
}

/// The database at `dir`, parsed once per process; across runs from the cached index in the
/// XDG cache folder. A missing database is not remembered (installing it helps at once).
pub fn load(dir: &Path) -> Result<Arc<Db>, String> {
    static LOADED: OnceLock<Mutex<HashMap<PathBuf, Arc<Db>>>> = OnceLock::new();
    let loaded = LOADED.get_or_init(Default::default);
    if let Some(db) = loaded.lock().unwrap_or_else(|e| e.into_inner()).get(dir) {
        return Ok(db.clone());
    }
    let cache = cache_file(dir);
    let db = Arc::new(Db::load(dir, cache.as_deref()).map_err(|e| e.0)?);
    loaded
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(dir.to_path_buf(), db.clone());
    Ok(db)
}

/// `<cache dir>/osinfo-<hash of the db folder>.json`: one index per database folder, so tests
/// with their own database do not evict the system one's.
pub fn cache_file(dir: &Path) -> Option<PathBuf> {
    // Tests never write into the real home's cache (they test the cache with their own path).
    if cfg!(test) {
        return None;
    }
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    dir.hash(&mut h);
    crate::data::paths::cache_dir().map(|c| c.join(format!("osinfo-{:016x}.json", h.finish())))
}

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

fn generic(host_vcpus: u32) -> Resources {
    Resources {
        memory_mib: GENERIC_MEMORY_MIB,
        disk_gib: GENERIC_DISK_GIB,
        vcpus: GENERIC_VCPUS.clamp(1, host_vcpus.max(1)),
    }
}

/// Fills a [`Detection`]. `db`: None for disk images (not looked up), `Err` when the database
/// could not be read.
fn resolve(
    db: Option<Result<&Db, &String>>,
    path: &Path,
    media: MediaKind,
    host_vcpus: u32,
) -> Detection {
    let mut d = Detection {
        path: path.to_path_buf(),
        media,
        os: None,
        firmware: Firmware::Uefi,
        resources: generic(host_vcpus),
        notice: Some(Notice::UnknownOs),
    };
    match (&d.media, db) {
        (MediaKind::DiskImage { virtual_size, .. }, _) => {
            // The image is the disk: its size, at least 1 GiB in the form.
            d.resources.disk_gib = virtual_size.div_ceil(GIB).max(1);
        }
        (MediaKind::Iso(_), Some(Err(reason))) => {
            d.notice = Some(Notice::NoDatabase {
                reason: reason.clone(),
            });
        }
        (MediaKind::Iso(labels), Some(Ok(db))) => {
            let found = matcher::best_match(db, labels);
            // A release newer than the database (see `newer`): named from its label, with the
            // settings of the newest release the database knows. Also when the database only
            // knows the distribution ("Fedora", version "unknown").
            let newer = newer::from_label(labels).and_then(|n| {
                let generic_match = found.is_some_and(|(oi, _)| {
                    let o = &db.oses[oi];
                    o.version.as_deref() == Some("unknown") && o.distro.as_deref() == Some(n.distro)
                });
                (found.is_none() || generic_match)
                    .then(|| newer::base(db, &n).map(|b| (b, n)))
                    .flatten()
            });
            if let Some((base, n)) = newer {
                let (id, short_id, name) = newer::renamed(base, &n);
                d.os = Some(OsInfo {
                    logo: logo_for(&id),
                    id,
                    short_id,
                    name,
                    version: Some(n.version.clone()),
                });
                d.resources = resources(db, base, "x86_64", host_vcpus);
                d.firmware = firmware(db, base, "x86_64");
                d.notice = None;
            } else if let Some((oi, mi)) = found {
                let os = &db.oses[oi];
                // Resources and firmware are the x86_64 ones when the medium is arch-neutral.
                let arch = match os.media[mi].arch.as_str() {
                    "all" => "x86_64",
                    a => a,
                };
                d.os = Some(OsInfo {
                    id: os.id.clone(),
                    short_id: os.short_id.clone(),
                    name: if os.name.is_empty() {
                        os.short_id.clone()
                    } else {
                        os.name.clone()
                    },
                    // "unknown" (Fedora's catch-all) is no version to show.
                    version: os.version.clone().filter(|v| v != "unknown"),
                    logo: logo_for(&os.id),
                });
                d.resources = resources(db, os, arch, host_vcpus);
                d.firmware = firmware(db, os, arch);
                d.notice = None;
            }
        }
        (MediaKind::Iso(_), None) => {}
    }
    d
}

/// libosinfo's resources of one kind (minimum or recommended) for `arch`, as the caller picks
/// them (GNOME Boxes): the OS's own `<resources>` for that arch, else its `arch="all"` ones.
/// Nothing is inherited unless the entry says `inherit="true"`; then each missing value comes
/// from the nearest OS it derives from or clones with an entry of the same arch
/// (`osinfo_os_get_resources_internal`). An OS without entries has none (generic defaults).
fn amounts(
    db: &Db,
    os: &db::Os,
    arch: &str,
    kind: fn(&db::ResourceSet) -> Option<db::Amounts>,
) -> Option<db::Amounts> {
    let own = os
        .resources
        .iter()
        .find(|r| r.arch == arch)
        .or_else(|| os.resources.iter().find(|r| r.arch == "all"))?;
    let mut a = match (kind(own), own.inherit) {
        (Some(a), _) => a,
        (None, true) => db::Amounts::default(),
        (None, false) => return None,
    };
    if own.inherit {
        for parent in db.lineage(os).into_iter().skip(1) {
            for p in parent.resources.iter().filter(|r| r.arch == own.arch) {
                if let Some(p) = kind(p) {
                    a.ram = a.ram.or(p.ram);
                    a.storage = a.storage.or(p.storage);
                    a.n_cpus = a.n_cpus.or(p.n_cpus);
                }
            }
        }
    }
    Some(a)
}

/// What a VM for `os` gets: the recommended values; where none, GNOME Boxes' fallbacks from
/// the minimum (RAM max(min, 1 GiB), disk max(2 × min, 20 GiB), vCPUs max(min, 2)); never
/// below the minimum; vCPUs at most the host's.
fn resources(db: &Db, os: &db::Os, arch: &str, host_vcpus: u32) -> Resources {
    let min = amounts(db, os, arch, |r| r.minimum).unwrap_or_default();
    let rec = amounts(db, os, arch, |r| r.recommended).unwrap_or_default();

    let min_ram = min.ram.unwrap_or(0);
    let memory = rec
        .ram
        .unwrap_or(min_ram.max(GENERIC_MEMORY_MIB * MIB))
        .max(min_ram);
    let min_disk = min.storage.unwrap_or(0);
    let disk = rec
        .storage
        .unwrap_or((min_disk.saturating_mul(2)).max(GENERIC_DISK_GIB * GIB))
        .max(min_disk);
    let min_cpus = min.n_cpus.unwrap_or(1);
    let want = rec
        .n_cpus
        .unwrap_or(min_cpus.max(GENERIC_VCPUS))
        .max(min_cpus);
    Resources {
        memory_mib: memory.div_ceil(MIB).max(1),
        disk_gib: disk.div_ceil(GIB).max(1),
        vcpus: want.clamp(1, host_vcpus.max(1)),
    }
}

/// libosinfo's complete firmware list for `arch` (the OS's own `<firmware>` entries override
/// inherited ones of the same type), read as: EFI supported → UEFI; BIOS unsupported (Windows
/// 11) → UEFI; otherwise BIOS. osinfo-db lists EFI for the OSes that boot with it (Debian 7+,
/// Fedora 19+, Ubuntu 11.10+, RHEL 7+, Windows 11 …); an OS it knows without EFI (DOS,
/// Windows XP, old Linux) may not boot on UEFI, while BIOS boots them all.
fn firmware(db: &Db, os: &db::Os, arch: &str) -> Firmware {
    let mut supported: HashMap<&str, bool> = HashMap::new();
    for o in db.lineage(os) {
        for f in o
            .firmware
            .iter()
            .filter(|f| f.arch == arch || f.arch == "all")
        {
            supported.entry(f.kind.as_str()).or_insert(f.supported);
        }
    }
    match (supported.get("efi"), supported.get("bios")) {
        (Some(true), _) | (_, Some(false)) => Firmware::Uefi,
        _ => Firmware::Bios,
    }
}
