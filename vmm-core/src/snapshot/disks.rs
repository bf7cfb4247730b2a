//! Disks in snapshots: a writable disk's contents are kept by freezing the image it was
//! writing at the snapshot's instant.
//!
//! - **Create** (VM paused, disk I/O threads stopped after their request in flight): each
//!   writable disk's image is flushed to stable storage, its exclusive lock becomes a shared
//!   one in place, and the device switches to a new qcow2 overlay on it,
//!   `<vm dir>/disks/<label>.<snapshot id>.qcow2` ([`detach`]). The snapshot's `disks.json`
//!   ([`SnapshotDisks`]) names the frozen image per disk. From then on nothing writes it.
//! - **Revert** to S (VM paused): each writable disk gets a fresh overlay on S's frozen image,
//!   `<label>.<S>.r<time>.qcow2` ([`prepare`], before anything else changes, so a failure leaves
//!   the VM as it was), and the device switches to it ([`switch`]): S's image stays untouched,
//!   reusable for later reverts and other branches. The overlay the VM used before is deleted
//!   unless a snapshot's chain needs it ([`collect_garbage`]).
//! - **Delete**: the snapshot's frozen images stay as long as any chain (the running disks',
//!   another snapshot's) has them as backing file; an overlay nothing needs any more is
//!   deleted. Frozen images are never merged into their overlays: imago cannot commit or
//!   stream, and an image another snapshot names must not change anyway.
//! - `disks/current.json` names the image each disk writes now; it is written before the guest
//!   runs again after any switch, and `vmdesk-vmm` opens those images at start
//!   ([`crate::storage::open_disks`]), so a restarted VM goes on where it was and
//!   `--restore <id>` starts from the snapshot's images like a revert.
//!
//! Read-only disks are shared, never written, and not part of this: a snapshot records them as
//! they are and a revert leaves them alone.

use super::{snapshots_dir, SnapshotError};
use crate::config::DiskConfig;
use crate::devices::ahci::ata::SataDisk;
use crate::devices::virtio::block::Block;
use crate::storage::overlay::{self, CurrentDisks};
use crate::storage::{config_path, BackingPolicy, Disk, ImageFormat};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A disk's device, virtio-blk or SATA: what snapshots need of it.
pub trait DiskDevice {
    /// Whether the guest may write it.
    fn writable(&self) -> bool;
    /// The image chain it reads and writes.
    fn disk(&self) -> std::sync::MutexGuard<'_, Disk>;
    /// Switches it to another image chain of the same size and writability (VM paused);
    /// returns the one it used.
    fn replace_disk(&mut self, new: Disk) -> Result<Disk, String>;
}

impl DiskDevice for Block {
    fn writable(&self) -> bool {
        Block::writable(self)
    }
    fn disk(&self) -> std::sync::MutexGuard<'_, Disk> {
        Block::disk(self)
    }
    fn replace_disk(&mut self, new: Disk) -> Result<Disk, String> {
        Block::replace_disk(self, new)
    }
}

impl DiskDevice for SataDisk {
    fn writable(&self) -> bool {
        SataDisk::writable(self)
    }
    fn disk(&self) -> std::sync::MutexGuard<'_, Disk> {
        SataDisk::disk(self)
    }
    fn replace_disk(&mut self, new: Disk) -> Result<Disk, String> {
        SataDisk::replace_disk(self, new)
    }
}

/// The file in a snapshot's folder that names its disks' images.
pub const FILE: &str = "disks.json";

/// A snapshot's `disks.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotDisks {
    pub disks: Vec<SnapshotDisk>,
}

/// One disk at a snapshot's instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotDisk {
    /// The disk's index in the config's `[[disks]]`.
    pub index: usize,
    /// The image the config named (stored form: relative to the VM folder when inside it).
    pub config_path: String,
    pub read_only: bool,
    /// For a writable disk: the image it was writing at the snapshot's instant, frozen since
    /// (stored form), and its format. None for a read-only disk.
    pub image: Option<String>,
    pub format: Option<ImageFormat>,
}

impl SnapshotDisks {
    /// Reads `disks.json` from a snapshot folder; a snapshot made before disks were kept has
    /// none (`Ok(None)`).
    pub fn load(snap_dir: &Path) -> Result<Option<SnapshotDisks>, SnapshotError> {
        let p = snap_dir.join(FILE);
        match std::fs::read(&p) {
            Ok(t) => serde_json::from_slice(&t)
                .map(Some)
                .map_err(SnapshotError::json(&p)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(SnapshotError::Io { path: p, source: e }),
        }
    }

    /// Writes `disks.json` into a snapshot folder being made (synced with the rest of it).
    pub fn write_unsynced(&self, snap_dir: &Path) -> Result<(), SnapshotError> {
        let p = snap_dir.join(FILE);
        let json = serde_json::to_vec_pretty(self).map_err(SnapshotError::json(&p))?;
        crate::util::write_private(&p, &json).map_err(SnapshotError::io(&p))
    }
}

fn config_paths(vm_dir: &Path, configs: &[DiskConfig]) -> Vec<PathBuf> {
    configs.iter().map(|d| config_path(d, vm_dir)).collect()
}

/// Checks that the devices are the config's disks, in order.
fn check_count(
    configs: &[DiskConfig],
    blocks: &[&mut dyn DiskDevice],
) -> Result<(), SnapshotError> {
    if configs.len() != blocks.len() {
        return Err(SnapshotError::DiskCount {
            configured: configs.len(),
            devices: blocks.len(),
        });
    }
    Ok(())
}

/// What each disk is on now (while the VM is paused): the snapshot's `disks.json`.
pub fn record(
    vm_dir: &Path,
    configs: &[DiskConfig],
    blocks: &[&mut dyn DiskDevice],
) -> Result<SnapshotDisks, SnapshotError> {
    check_count(configs, blocks)?;
    let paths = config_paths(vm_dir, configs);
    let mut out = Vec::new();
    for (i, b) in blocks.iter().enumerate() {
        let writable = b.writable();
        let (image, format) = if writable {
            let d = b.disk();
            (
                Some(overlay::to_stored(vm_dir, d.path()).map_err(SnapshotError::Overlays)?),
                Some(d.format()),
            )
        } else {
            (None, None)
        };
        out.push(SnapshotDisk {
            index: i,
            config_path: overlay::to_stored(vm_dir, &paths[i]).map_err(SnapshotError::Overlays)?,
            read_only: !writable,
            image,
            format,
        });
    }
    Ok(SnapshotDisks { disks: out })
}

/// Moves every writable disk onto a new overlay, `disks/<label>.<tag>.qcow2`, on the image it
/// was writing, which is frozen from then on; then records the new tops in `current.json`.
/// Runs while the VM is paused, after its state was saved. If a disk cannot switch, it goes on
/// writing its image (nothing was frozen), the disks switched before it stay on their new
/// overlays (recorded: harmless), and the error names the disk.
pub fn detach(
    vm_dir: &Path,
    configs: &[DiskConfig],
    blocks: &mut [&mut dyn DiskDevice],
    tag: &str,
) -> Result<(), SnapshotError> {
    check_count(configs, blocks)?;
    let paths = config_paths(vm_dir, configs);
    let mut cur = CurrentDisks::load(vm_dir)
        .map_err(SnapshotError::Overlays)?
        .unwrap_or_default();
    let mut res = Ok(());
    for (i, b) in blocks.iter_mut().enumerate() {
        if !b.writable() {
            continue;
        }
        let label = overlay::disk_label(&paths, i);
        let policy = BackingPolicy::for_disk(&configs[i], Some(vm_dir));
        match detach_one(vm_dir, &mut **b, &label, tag, &policy) {
            Ok((frozen, top)) => {
                cur.set_top(vm_dir, i, &paths[i], &top)
                    .map_err(SnapshotError::Overlays)?;
                cur.register(&top);
                cur.protect(vm_dir, &frozen);
            }
            Err(msg) => {
                res = Err(SnapshotError::Disk { index: i, msg });
                break;
            }
        }
    }
    cur.save(vm_dir).map_err(SnapshotError::Overlays)?;
    res
}

/// Freezes one disk's image and switches it to a new overlay; returns (frozen, new top).
fn detach_one(
    vm_dir: &Path,
    b: &mut dyn DiskDevice,
    label: &str,
    tag: &str,
    policy: &BackingPolicy,
) -> Result<(PathBuf, PathBuf), String> {
    let (frozen, format, size) = {
        let d = b.disk();
        (d.path().to_path_buf(), d.format(), d.size())
    };
    let top = overlay::new_overlay_path(vm_dir, label, tag);
    overlay::create_overlay(vm_dir, &top, &frozen, format, size).map_err(|e| e.to_string())?;
    let opened = {
        let mut d = b.disk();
        match d.freeze() {
            Err(e) => Err(format!("{}: cannot flush it: {e}", frozen.display())),
            Ok(()) => Disk::open_with(&top, Some(ImageFormat::Qcow2), false, policy).map_err(|e| {
                let thawed = d.thaw();
                match thawed {
                    Ok(()) => e.to_string(),
                    Err(t) => format!("{e}; and the disk stays read-only: {t}"),
                }
            }),
        }
    };
    let new = match opened {
        Ok(n) => n,
        Err(e) => {
            let _ = std::fs::remove_file(&top);
            return Err(e);
        }
    };
    // Same size and writability by construction, and the VM is paused: cannot fail.
    let old = b.replace_disk(new)?;
    drop(old);
    Ok((frozen, top))
}

/// A writable disk's image in a snapshot, checked.
#[derive(Debug, Clone)]
pub struct Frozen {
    pub path: PathBuf,
    pub format: ImageFormat,
    pub size: u64,
}

/// Checks, before anything changes, that a snapshot can give every disk back its state: the
/// config has the same disks (count, image, read-only), and each writable disk's frozen image
/// and its chain are there, sound, and written by nobody. Returns per disk its frozen image
/// (None for read-only disks).
pub fn check(
    vm_dir: &Path,
    configs: &[DiskConfig],
    id: &str,
    snap: Option<&SnapshotDisks>,
) -> Result<Vec<Option<Frozen>>, SnapshotError> {
    let paths = config_paths(vm_dir, configs);
    let id = id.to_string();
    let Some(snap) = snap else {
        // Made before disks were kept: fine as long as no disk can have changed.
        if let Some(index) = configs.iter().position(|d| !d.read_only) {
            return Err(SnapshotError::NoDiskContents { id, index });
        }
        return Ok(vec![None; configs.len()]);
    };
    if snap.disks.len() != configs.len() {
        return Err(SnapshotError::DiskCountDiffers {
            id,
            snapshot: snap.disks.len(),
            vm: configs.len(),
        });
    }
    let mut out = Vec::new();
    for (i, d) in configs.iter().enumerate() {
        let Some(s) = snap.disks.iter().find(|s| s.index == i) else {
            return Err(SnapshotError::DiskMissing {
                id,
                file: FILE,
                index: i,
            });
        };
        if !overlay::same_file(&overlay::from_stored(vm_dir, &s.config_path), &paths[i]) {
            return Err(SnapshotError::DiskPathChanged {
                id,
                index: i,
                was: s.config_path.clone(),
                now: paths[i].clone(),
            });
        }
        if s.read_only != d.read_only {
            return Err(SnapshotError::DiskModeChanged {
                id,
                index: i,
                was_read_only: s.read_only,
            });
        }
        if d.read_only {
            out.push(None);
            continue;
        }
        let (Some(image), Some(format)) = (&s.image, s.format) else {
            return Err(SnapshotError::NoImage {
                id,
                file: FILE,
                index: i,
            });
        };
        let path = overlay::from_stored(vm_dir, image);
        let policy = BackingPolicy::for_disk(d, Some(vm_dir));
        let size = crate::storage::check_image(&path, format, &policy).map_err(|e| {
            SnapshotError::FrozenImage {
                id: id.clone(),
                index: i,
                msg: e.to_string(),
            }
        })?;
        out.push(Some(Frozen { path, format, size }));
    }
    Ok(out)
}

/// New overlays for a revert, opened and locked, not yet in use.
pub struct Prepared {
    disks: Vec<(usize, Disk, PathBuf)>,
}

impl Prepared {
    /// Gives them up (the revert did not happen): closes and deletes the new overlays.
    pub fn abandon(self) {
        for (_, disk, path) in self.disks {
            drop(disk);
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Makes and opens a new overlay on each writable disk's frozen image (VM paused): exclusive
/// lock on the overlay, shared on the frozen chain. On error nothing is left behind.
pub fn prepare(
    vm_dir: &Path,
    configs: &[DiskConfig],
    blocks: &[&mut dyn DiskDevice],
    frozen: &[Option<Frozen>],
    tag: &str,
) -> Result<Prepared, SnapshotError> {
    check_count(configs, blocks)?;
    let paths = config_paths(vm_dir, configs);
    let mut p = Prepared { disks: Vec::new() };
    for (i, f) in frozen.iter().enumerate() {
        let Some(f) = f else { continue };
        let res = (|| {
            if !blocks[i].writable() {
                return Err("is read-only now".to_string());
            }
            let size = blocks[i].disk().size();
            if f.size != size {
                return Err(format!(
                    "{}: {} bytes where the disk has {}",
                    f.path.display(),
                    f.size,
                    size
                ));
            }
            if overlay::same_file(blocks[i].disk().path(), &f.path) {
                return Err(format!(
                    "the VM writes {} itself, which the snapshot needs unchanged ({} was \
                     changed by hand?)",
                    f.path.display(),
                    overlay::current_file(vm_dir).display()
                ));
            }
            let label = overlay::disk_label(&paths, i);
            let top = overlay::new_overlay_path(vm_dir, &label, tag);
            overlay::create_overlay(vm_dir, &top, &f.path, f.format, f.size)
                .map_err(|e| e.to_string())?;
            let policy = BackingPolicy::for_disk(&configs[i], Some(vm_dir));
            match Disk::open_with(&top, Some(ImageFormat::Qcow2), false, &policy) {
                Ok(d) => Ok((d, top)),
                Err(e) => {
                    let _ = std::fs::remove_file(&top);
                    Err(e.to_string())
                }
            }
        })();
        match res {
            Ok((d, top)) => p.disks.push((i, d, top)),
            Err(msg) => {
                p.abandon();
                return Err(SnapshotError::Disk { index: i, msg });
            }
        }
    }
    Ok(p)
}

/// Switches the devices to the prepared overlays (VM paused) and records them in
/// `current.json`. The images they used are closed; [`collect_garbage`] deletes them unless
/// a snapshot needs them.
pub fn switch(
    vm_dir: &Path,
    configs: &[DiskConfig],
    blocks: &mut [&mut dyn DiskDevice],
    prepared: Prepared,
) -> Result<(), SnapshotError> {
    check_count(configs, blocks)?;
    let paths = config_paths(vm_dir, configs);
    let mut cur = CurrentDisks::load(vm_dir)
        .map_err(SnapshotError::Overlays)?
        .unwrap_or_default();
    let mut res = Ok(());
    for (i, disk, top) in prepared.disks {
        match blocks[i].replace_disk(disk) {
            Ok(old) => drop(old),
            Err(msg) => {
                let _ = std::fs::remove_file(&top);
                res = Err(SnapshotError::Disk { index: i, msg });
                continue;
            }
        }
        cur.set_top(vm_dir, i, &paths[i], &top)
            .map_err(SnapshotError::Overlays)?;
        cur.register(&top);
    }
    cur.save(vm_dir).map_err(SnapshotError::Overlays)?;
    res
}

/// Deletes the overlays vmdesk made that no chain needs any more: not the disks' current
/// chains, not the chain of any image a snapshot keeps (complete or not: a snapshot being
/// written counts). Only overlays vmdesk created are ever deleted, never the user's images.
/// Returns the files deleted; any doubt (a `disks.json` or a chain that cannot be read)
/// deletes nothing.
pub fn collect_garbage(vm_dir: &Path) -> Result<Vec<PathBuf>, SnapshotError> {
    let mut roots = Vec::new();
    let dir = snapshots_dir(vm_dir);
    if let Ok(rd) = std::fs::read_dir(&dir) {
        for e in rd {
            let e = e.map_err(SnapshotError::io(&dir))?;
            if !e.path().is_dir() {
                continue;
            }
            if let Some(sd) = SnapshotDisks::load(&e.path())? {
                for d in sd.disks {
                    if let Some(img) = d.image {
                        roots.push((overlay::from_stored(vm_dir, &img), d.format));
                    }
                }
            }
        }
    }
    overlay::gc(vm_dir, &roots).map_err(SnapshotError::Overlays)
}
