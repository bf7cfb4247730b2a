//! Overlays for snapshots: the files a VM's disks grow into when snapshots freeze the images
//! they were writing.
//!
//! - `<vm dir>/disks/<label>.<tag>.qcow2`: qcow2 overlays vmdesk creates (label from the
//!   configured image's name, tag from the snapshot). Each names its backing file relative to
//!   its own folder when that file lies inside the VM folder (the folder can be moved), else by
//!   absolute path, and records the backing format, so it is never probed.
//! - `<vm dir>/disks/current.json` ([`CurrentDisks`], written atomically): per disk, the image
//!   the VM writes now (the top of its chain), and the list of overlays vmdesk created there.
//!   `vm.toml` keeps naming the user's original image; `vmdesk-vmm` opens the recorded top
//!   instead at start ([`super::open_disks`]).
//!
//! An image that has an overlay on it is never written again: the VM only writes the top of
//! each chain. [`gc`] deletes the overlays vmdesk created that no chain needs any more; it
//! never touches any other file.

use super::{create_file, ErrorKind, ImageFormat, StorageError};
use imago::file::File as ImagoFile;
use imago::qcow2::Qcow2;
use imago::{FormatCreateBuilder, Storage, StorageOpenOptions};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The overlays' folder, inside the VM folder.
pub const DISKS_DIR: &str = "disks";
const CURRENT_FILE: &str = "current.json";
const CURRENT_VERSION: u32 = 1;

pub fn disks_dir(vm_dir: &Path) -> PathBuf {
    vm_dir.join(DISKS_DIR)
}

pub fn current_file(vm_dir: &Path) -> PathBuf {
    disks_dir(vm_dir).join(CURRENT_FILE)
}

/// A problem with `current.json` or the overlays it lists; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum OverlayError {
    #[error("{}: {source}", file.display())]
    Io {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {source}", file.display())]
    Json {
        file: PathBuf,
        source: serde_json::Error,
    },
    #[error("{}: version {found}; this vmdesk reads version {CURRENT_VERSION}", file.display())]
    Version { file: PathBuf, found: u32 },
    #[error("{}: vmdesk needs UTF-8 image paths", path.display())]
    NotUtf8 { path: PathBuf },
    /// An image of a chain `gc` must keep cannot be read.
    #[error(transparent)]
    Image(#[from] StorageError),
}

fn io_at(file: &Path) -> impl FnOnce(std::io::Error) -> OverlayError + '_ {
    move |source| OverlayError::Io {
        file: file.to_path_buf(),
        source,
    }
}

/// A path as vmdesk's own files store it: relative to the VM folder when inside it (so the
/// folder can move), else absolute.
pub fn to_stored(vm_dir: &Path, p: &Path) -> Result<String, OverlayError> {
    let inside = p
        .strip_prefix(vm_dir)
        .ok()
        .filter(|r| !r.as_os_str().is_empty() && r.is_relative())
        .map(Path::to_path_buf)
        .or_else(|| {
            let v = std::fs::canonicalize(vm_dir).ok()?;
            let c = std::fs::canonicalize(p).ok()?;
            c.strip_prefix(&v)
                .ok()
                .filter(|r| !r.as_os_str().is_empty())
                .map(Path::to_path_buf)
        });
    let out = match inside {
        Some(r) => r,
        None => std::fs::canonicalize(p).unwrap_or_else(|_| {
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                std::env::current_dir().unwrap_or_default().join(p)
            }
        }),
    };
    out.to_str()
        .map(str::to_string)
        .ok_or_else(|| OverlayError::NotUtf8 {
            path: p.to_path_buf(),
        })
}

/// The path a stored one stands for.
pub fn from_stored(vm_dir: &Path, s: &str) -> PathBuf {
    let p = Path::new(s);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        vm_dir.join(p)
    }
}

/// Whether two paths name the same file (compared canonically when both exist).
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// Where one disk is now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentDisk {
    /// The disk's index in the config's `[[disks]]`.
    pub index: usize,
    /// The image the config names (stored form): the chain's base, for checking that the
    /// config still means the same disk.
    pub config_path: String,
    /// The image the VM writes (stored form).
    pub top: String,
}

/// `disks/current.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentDisks {
    pub version: u32,
    pub disks: Vec<CurrentDisk>,
    /// Overlays vmdesk created in `disks/` (file names): the only files [`gc`] may delete.
    #[serde(default)]
    pub overlays: Vec<String>,
}

impl Default for CurrentDisks {
    fn default() -> Self {
        CurrentDisks {
            version: CURRENT_VERSION,
            disks: Vec::new(),
            overlays: Vec::new(),
        }
    }
}

impl CurrentDisks {
    /// Reads `current.json`; `None` if there is none (the VM never had a snapshot of a
    /// writable disk).
    pub fn load(vm_dir: &Path) -> Result<Option<CurrentDisks>, OverlayError> {
        let p = current_file(vm_dir);
        let text = match std::fs::read(&p) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_at(&p)(e)),
        };
        let c: CurrentDisks =
            serde_json::from_slice(&text).map_err(|source| OverlayError::Json {
                file: p.clone(),
                source,
            })?;
        if c.version != CURRENT_VERSION {
            return Err(OverlayError::Version {
                file: p,
                found: c.version,
            });
        }
        Ok(Some(c))
    }

    /// Writes `current.json` atomically (on stable storage when this returns).
    pub fn save(&self, vm_dir: &Path) -> Result<(), OverlayError> {
        let dir = disks_dir(vm_dir);
        crate::util::create_private_dir_all(&dir).map_err(io_at(&dir))?;
        let p = current_file(vm_dir);
        let json = serde_json::to_vec_pretty(self).map_err(|source| OverlayError::Json {
            file: p.clone(),
            source,
        })?;
        crate::util::write_atomic(&p, &json).map_err(io_at(&p))
    }

    /// Records that disk `index` (configured as `config_path`) now writes `top`.
    pub fn set_top(
        &mut self,
        vm_dir: &Path,
        index: usize,
        config_path: &Path,
        top: &Path,
    ) -> Result<(), OverlayError> {
        let entry = CurrentDisk {
            index,
            config_path: to_stored(vm_dir, config_path)?,
            top: to_stored(vm_dir, top)?,
        };
        self.disks.retain(|d| d.index != index);
        self.disks.push(entry);
        self.disks.sort_by_key(|d| d.index);
        Ok(())
    }

    /// Adds an overlay vmdesk created (a path in `disks/`) to the list [`gc`] may delete from.
    pub fn register(&mut self, overlay: &Path) {
        if let Some(name) = overlay.file_name().and_then(|n| n.to_str()) {
            if !self.overlays.iter().any(|o| o == name) {
                self.overlays.push(name.to_string());
            }
        }
    }

    /// The image disk `index` writes now, if it is not the configured one. An entry made for
    /// another image than the config names now (the config was edited) is ignored, with a
    /// warning: that disk starts afresh on the configured image.
    pub fn top(&self, vm_dir: &Path, index: usize, config_path: &Path) -> Option<PathBuf> {
        let e = self.disks.iter().find(|d| d.index == index)?;
        if !same_file(&from_stored(vm_dir, &e.config_path), config_path) {
            crate::log_line!(
                "vmdesk-vmm: warning: disks[{index}]: {} recorded {} as this disk's image but \
                 the config now names {}; using the configured image (its snapshots' disk \
                 states stay in {})",
                current_file(vm_dir).display(),
                e.config_path,
                config_path.display(),
                disks_dir(vm_dir).display()
            );
            return None;
        }
        Some(from_stored(vm_dir, &e.top))
    }

    /// Marks a frozen overlay read-only on the host too (a guard against tools writing it; root
    /// ignores it). Only overlays vmdesk made (registered here): the user's own images, wherever
    /// they are, are left as they are.
    pub fn protect(&self, vm_dir: &Path, image: &Path) {
        let ours = image.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
            self.overlays.iter().any(|o| o == n) && same_file(&disks_dir(vm_dir).join(n), image)
        });
        if ours {
            let _ = std::fs::set_permissions(image, std::fs::Permissions::from_mode(0o444));
        }
    }

    /// The tops of every recorded disk.
    pub fn tops(&self, vm_dir: &Path) -> Vec<PathBuf> {
        self.disks
            .iter()
            .map(|d| from_stored(vm_dir, &d.top))
            .collect()
    }
}

/// A name for disk `index`'s overlays: the configured image's file stem (made of
/// `[A-Za-z0-9_-]`), with the index added when two disks' stems are the same.
pub fn disk_label(config_paths: &[PathBuf], index: usize) -> String {
    let stem = |p: &Path| -> String {
        let s: String = p
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .take(40)
            .collect();
        if s.is_empty() {
            "disk".into()
        } else {
            s
        }
    };
    let mine = stem(&config_paths[index]);
    let clash = config_paths
        .iter()
        .enumerate()
        .any(|(j, p)| j != index && stem(p) == mine);
    if clash {
        format!("{mine}-{index}")
    } else {
        mine
    }
}

/// A new overlay's path, `disks/<label>.<tag>.qcow2` (a number added if that exists).
pub fn new_overlay_path(vm_dir: &Path, label: &str, tag: &str) -> PathBuf {
    let dir = disks_dir(vm_dir);
    let mut p = dir.join(format!("{label}.{tag}.qcow2"));
    let mut n = 2;
    while p.exists() {
        p = dir.join(format!("{label}.{tag}-{n}.qcow2"));
        n += 1;
    }
    p
}

/// The name an overlay in `disks/` records for its backing file: relative to `disks/` when
/// the file is inside the VM folder, else absolute.
fn backing_name(vm_dir: &Path, backing: &Path) -> Result<String, StorageError> {
    let stored = to_stored(vm_dir, backing)
        .map_err(|e| StorageError::new(ErrorKind::Invalid, backing, e.to_string()))?;
    let sp = Path::new(&stored);
    let name = if sp.is_absolute() {
        sp.to_path_buf()
    } else if let Ok(r) = sp.strip_prefix(DISKS_DIR) {
        r.to_path_buf()
    } else {
        Path::new("..").join(sp)
    };
    Ok(name.to_string_lossy().into_owned())
}

/// Creates `overlay` (in `<vm dir>/disks/`): an empty qcow2 v3 image of `size` bytes on top of
/// `backing` (of format `backing_format`), on stable storage when this returns. Takes no
/// locks and does not open `backing`: the caller holds it (a snapshot freezes the image its VM
/// was writing) or has checked it.
pub fn create_overlay(
    vm_dir: &Path,
    overlay: &Path,
    backing: &Path,
    backing_format: ImageFormat,
    size: u64,
) -> Result<(), StorageError> {
    let name = backing_name(vm_dir, backing)?;
    let dir = overlay.parent().unwrap_or(Path::new("."));
    crate::util::create_private_dir_all(dir)
        .map_err(|e| StorageError::io(dir, "cannot create", e))?;
    let file = create_file(overlay)?;
    let res = Qcow2::<ImagoFile>::create_builder(file)
        .size(size)
        .backing(name, backing_format.to_string())
        .create()
        .map_err(|e| StorageError::io(overlay, "cannot create the qcow2 overlay", e))
        .and_then(|()| {
            std::fs::File::open(overlay)
                .and_then(|f| f.sync_all())
                .and_then(|()| std::fs::File::open(dir).and_then(|d| d.sync_all()))
                .map_err(|e| StorageError::io(overlay, "cannot sync", e))
        });
    if res.is_err() {
        let _ = std::fs::remove_file(overlay);
    }
    res
}

/// The files of an image's chain, top first, from the headers only (no checks, no locks):
/// safe to run on chains a VM is writing.
fn chain_files(path: &Path, format: Option<ImageFormat>) -> Result<Vec<PathBuf>, StorageError> {
    let mut out: Vec<PathBuf> = Vec::new();
    let mut next = Some((path.to_path_buf(), format));
    while let Some((p, fmt)) = next.take() {
        if out.len() > super::MAX_CHAIN_DEPTH {
            return Err(StorageError::new(
                ErrorKind::Corrupt,
                path,
                "its backing chain is too deep or loops",
            ));
        }
        let fmt = match fmt {
            Some(f) => f,
            None => {
                let f = crate::util::open_no_wait(&p)
                    .map_err(|e| StorageError::io(&p, "cannot open", e))?;
                match super::probe::probe(&f).map_err(|e| StorageError::io(&p, "cannot read", e))? {
                    super::probe::Probed::Image(f) => f,
                    super::probe::Probed::Unsupported(_) => ImageFormat::Raw,
                }
            }
        };
        if fmt == ImageFormat::Qcow2 {
            let opts = StorageOpenOptions::new().filename(&p).write(false);
            let file = ImagoFile::open(opts).map_err(|e| StorageError::io(&p, "cannot open", e))?;
            let q = Qcow2::<ImagoFile>::open_image(file, false)
                .map_err(|e| StorageError::io(&p, "cannot read its qcow2 header", e))?;
            next = q.implicit_backing_file().map(|name| {
                let n = Path::new(name);
                let bp = if n.is_absolute() {
                    n.to_path_buf()
                } else {
                    p.parent().unwrap_or(Path::new(".")).join(n)
                };
                let bf = match q.implicit_backing_format().map(String::as_str) {
                    Some("qcow2") => Some(ImageFormat::Qcow2),
                    Some("raw") | Some("file") => Some(ImageFormat::Raw),
                    _ => None,
                };
                (bp, bf)
            });
        }
        out.push(p);
    }
    Ok(out)
}

/// Deletes the overlays vmdesk created (listed in `current.json`) that no chain uses: not
/// the disks' current tops, not `roots` (the images snapshots keep, with their formats), not
/// any of their backing files. Returns the files deleted. Any doubt (a chain that cannot be
/// read) deletes nothing.
pub fn gc(
    vm_dir: &Path,
    roots: &[(PathBuf, Option<ImageFormat>)],
) -> Result<Vec<PathBuf>, OverlayError> {
    let Some(mut cur) = CurrentDisks::load(vm_dir)? else {
        return Ok(Vec::new());
    };
    let mut live = HashSet::new();
    let tops: Vec<(PathBuf, Option<ImageFormat>)> =
        cur.tops(vm_dir).into_iter().map(|t| (t, None)).collect();
    for (p, fmt) in tops.iter().chain(roots) {
        for f in chain_files(p, *fmt)? {
            live.insert(std::fs::canonicalize(&f).unwrap_or(f));
        }
    }
    let dir = disks_dir(vm_dir);
    let mut removed = Vec::new();
    let mut kept = Vec::new();
    for name in std::mem::take(&mut cur.overlays) {
        let p = dir.join(&name);
        let Ok(canon) = std::fs::canonicalize(&p) else {
            continue; // gone already
        };
        if live.contains(&canon) {
            kept.push(name);
        } else {
            match std::fs::remove_file(&p) {
                Ok(()) => removed.push(p),
                Err(_) => kept.push(name),
            }
        }
    }
    cur.overlays = kept;
    cur.save(vm_dir)?;
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_paths_are_relative_inside_the_vm_folder_and_absolute_outside() {
        let vm = tempfile::tempdir().unwrap();
        let out = tempfile::tempdir().unwrap();
        let inside = vm.path().join("disk.img");
        let outside = out.path().join("base.img");
        std::fs::write(&inside, b"x").unwrap();
        std::fs::write(&outside, b"x").unwrap();
        assert_eq!(to_stored(vm.path(), &inside).unwrap(), "disk.img");
        let abs = to_stored(vm.path(), &outside).unwrap();
        assert!(Path::new(&abs).is_absolute());
        assert!(same_file(&from_stored(vm.path(), &abs), &outside));
        assert_eq!(from_stored(vm.path(), "disk.img"), inside);
        // Backing names, as an overlay in disks/ records them.
        assert_eq!(
            backing_name(vm.path(), &disks_dir(vm.path()).join("a.1.qcow2")).unwrap(),
            "a.1.qcow2"
        );
        assert_eq!(backing_name(vm.path(), &inside).unwrap(), "../disk.img");
        assert_eq!(backing_name(vm.path(), &outside).unwrap(), abs);
    }

    #[test]
    fn labels_come_from_the_image_names() {
        let p = |s: &str| PathBuf::from(s);
        let one = [p("/x/Debian 12.qcow2")];
        assert_eq!(disk_label(&one, 0), "Debian_12");
        let two = [p("/a/disk.img"), p("/b/disk.qcow2"), p("/c/data.raw")];
        assert_eq!(disk_label(&two, 0), "disk-0");
        assert_eq!(disk_label(&two, 1), "disk-1");
        assert_eq!(disk_label(&two, 2), "data");
        assert_eq!(disk_label(&[p("/")], 0), "disk");
    }

    #[test]
    fn gc_deletes_only_unused_overlays_it_made() {
        let vm = tempfile::tempdir().unwrap();
        let v = vm.path();
        let base = v.join("base.img");
        std::fs::write(&base, vec![0u8; 1 << 20]).unwrap();
        let mk = |name: &str, backing: &Path, fmt| {
            let p = disks_dir(v).join(name);
            create_overlay(v, &p, backing, fmt, 1 << 20).unwrap();
            p
        };
        let frozen = mk("base.s1.qcow2", &base, ImageFormat::Raw);
        let top = mk("base.s2.qcow2", &frozen, ImageFormat::Qcow2);
        let orphan = mk("base.s1.r1.qcow2", &frozen, ImageFormat::Qcow2);
        let kept_by_snapshot = mk("base.s3.qcow2", &base, ImageFormat::Raw);
        // A file vmdesk did not make (the user's) is never deleted, used or not.
        let users = disks_dir(v).join("users.qcow2");
        std::fs::copy(&orphan, &users).unwrap();
        let mut cur = CurrentDisks::default();
        cur.set_top(v, 0, &base, &top).unwrap();
        for p in [&frozen, &top, &orphan, &kept_by_snapshot] {
            cur.register(p);
        }
        cur.save(v).unwrap();
        // No current.json entries are lost on the way through the file.
        assert_eq!(CurrentDisks::load(v).unwrap().unwrap(), cur);
        let removed = gc(v, &[(kept_by_snapshot.clone(), Some(ImageFormat::Qcow2))]).unwrap();
        assert_eq!(removed, vec![orphan.clone()]);
        assert!(frozen.exists() && top.exists() && kept_by_snapshot.exists() && users.exists());
        let after = CurrentDisks::load(v).unwrap().unwrap();
        assert_eq!(after.overlays.len(), 3);
        assert_eq!(after.top(v, 0, &base), Some(top.clone()));
        // Once the snapshot is gone, its image goes too.
        assert_eq!(gc(v, &[]).unwrap(), vec![kept_by_snapshot]);
        // An entry for another image than the config names is ignored.
        assert_eq!(after.top(v, 0, &v.join("other.img")), None);
    }
}
