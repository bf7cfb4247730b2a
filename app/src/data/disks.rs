//! Disk images for the app and the CLI: new disks and linked clones for a new VM, cloning a
//! whole VM (linked or full), and what happens to disk images when a VM is deleted.
//!
//! Disks vmdesk makes live in the VM's `disks/` folder (next to the snapshot overlays, see
//! [`vmm_core::storage::overlay`]). Images elsewhere are the user's: never moved or deleted.

use crate::data::error::at;
use crate::data::paths::Paths;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use vmm_core::config::{DiskConfig, VmConfig};
use vmm_core::storage::{self, overlay, Disk, ImageFormat};

const GIB: u64 = 1 << 30;

/// The disk a new VM gets.
#[derive(Debug, Clone, PartialEq)]
pub enum DiskPlan {
    /// An empty qcow2 of this many bytes in the VM's `disks/` folder.
    New { size_bytes: u64 },
    /// An existing raw or qcow2 image: used directly, or through a qcow2 overlay in the VM's
    /// folder (a linked clone: the image itself is never written).
    Existing {
        path: PathBuf,
        linked: bool,
        read_only: bool,
        /// Folders outside the usual places the image's backing files are in, which the user
        /// allowed (see [`crate::data::backing`]): recorded in the disk's `allow_backing`.
        allow: Vec<PathBuf>,
    },
    /// A standalone qcow2 copy of an existing image (with its backing chain) in the VM's
    /// `disks/` folder: the image itself is left as it is. `allow` as for `Existing` (the
    /// copy reads the chain).
    Copy { path: PathBuf, allow: Vec<PathBuf> },
}

impl DiskPlan {
    /// The existing image this plan uses, if any.
    pub fn image(&self) -> Option<&Path> {
        match self {
            DiskPlan::New { .. } => None,
            DiskPlan::Existing { path, .. } | DiskPlan::Copy { path, .. } => Some(path),
        }
    }

    /// Records folders the user allowed backing files in (no-op for a new disk).
    pub fn allow(&mut self, folders: &[PathBuf]) {
        if let DiskPlan::Existing { allow, .. } | DiskPlan::Copy { allow, .. } = self {
            for f in folders {
                if !allow.contains(f) {
                    allow.push(f.clone());
                }
            }
        }
    }
}

/// Bytes free for unprivileged users on the filesystem holding `path` (or its nearest existing
/// parent).
pub fn free_space(path: &Path) -> Option<u64> {
    let mut p = path;
    while !p.exists() {
        p = p.parent()?;
    }
    let c = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).ok()?;
    // SAFETY: statvfs is a plain C struct; all zeroes is a valid value.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid NUL-terminated path and `st` a properly sized out-parameter.
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return None;
    }
    Some(st.f_bavail as u64 * st.f_frsize as u64)
}

/// Why a disk size (in GiB, as typed) cannot be used, if it cannot. The free space does not
/// limit it: a new disk is a qcow2 that takes only what the guest writes (a Windows 11 VM's
/// recommended 128 GiB would otherwise be refused on most laptops); [`over_free`] warns.
pub fn check_size_gib(value: &str) -> Result<u64, String> {
    let gib: u64 = match value.trim().parse() {
        Ok(n) => n,
        Err(_) => return Err(crate::t!("error-not-a-number")),
    };
    if gib == 0 {
        return Err(crate::t!("error-disk-size-zero"));
    }
    // qcow2's L1 table limits images to a few PiB; 64 TiB is far beyond any desktop disk.
    if gib > 65536 {
        return Err(crate::t!("error-disk-size-huge", max = "65536"));
    }
    Ok(gib * GIB)
}

/// A warning when a new disk of `bytes` could outgrow the `free` space where it will be: the
/// guest would see write errors once the host's filesystem is full.
pub fn over_free(bytes: u64, free: Option<u64>) -> Option<String> {
    let f = free?;
    (bytes > f).then(|| crate::t!("warn-disk-size-free", free = (f / GIB).to_string()))
}

/// Checks an existing image a user chose; returns its format and size, or why it cannot be
/// used (the message names the file).
pub fn check_existing(value: &str) -> Result<storage::ImageInfo, String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(crate::t!("error-path-empty"));
    }
    let p = Path::new(v);
    if !p.is_absolute() {
        return Err(crate::t!("error-path-relative"));
    }
    if !p.exists() {
        return Err(crate::t!("error-file-missing"));
    }
    // An ISO reads as a raw disk, but the guest would see an installer as a blank data disk.
    if let Ok(crate::data::media::MediaKind::Iso(_)) = crate::data::media::sniff(p) {
        return Err(crate::t!("error-image-is-iso", file = v));
    }
    storage::image_info(p).map_err(|e| crate::t!("error-image", detail = e.to_string()))
}

/// A file name in `dir` not taken yet: `<stem>.qcow2`, `<stem>-2.qcow2`, ...
fn free_name(dir: &Path, stem: &str) -> PathBuf {
    let mut p = dir.join(format!("{stem}.qcow2"));
    let mut n = 2;
    while p.exists() {
        p = dir.join(format!("{stem}-{n}.qcow2"));
        n += 1;
    }
    p
}

/// A file stem from an image's name (`[A-Za-z0-9_-]`), for the files made from it.
fn stem_of(p: &Path) -> String {
    overlay::disk_label(&[p.to_path_buf()], 0)
}

/// Makes the disk `plan` asks for in the (existing) VM folder `vm_dir`; returns its config.
pub fn provision(vm_dir: &Path, plan: &DiskPlan) -> Result<DiskConfig, String> {
    let dir = overlay::disks_dir(vm_dir);
    vmm_core::util::create_private_dir_all(&dir).map_err(at(&dir))?;
    match plan {
        DiskPlan::New { size_bytes } => {
            let path = free_name(&dir, "disk");
            storage::create_qcow2(&path, *size_bytes).map_err(|e| e.to_string())?;
            Ok(disk(path, ImageFormat::Qcow2, false))
        }
        DiskPlan::Existing {
            path,
            linked: true,
            read_only,
            allow,
        } => {
            let out = free_name(&dir, &stem_of(path));
            storage::create_linked_clone(&out, path).map_err(|e| e.to_string())?;
            let mut d = disk(out, ImageFormat::Qcow2, *read_only);
            // The user chose the image: its folder is where this overlay's chain goes on.
            allow_places(&mut d, path.parent());
            allow_folders(&mut d, allow);
            Ok(d)
        }
        DiskPlan::Existing {
            path,
            linked: false,
            read_only,
            allow,
        } => {
            let info = storage::image_info(path).map_err(|e| e.to_string())?;
            let mut d = disk(path.clone(), info.format, *read_only);
            allow_folders(&mut d, allow);
            Ok(d)
        }
        DiskPlan::Copy { path, allow } => {
            let out = free_name(&dir, &stem_of(path));
            let mut src = disk(path.clone(), ImageFormat::Raw, true);
            allow_folders(&mut src, allow);
            let policy = storage::BackingPolicy::for_disk(&src, None);
            copy_image(path, &out, &policy, &Progress::default())?;
            Ok(disk(out, ImageFormat::Qcow2, false))
        }
    }
}

fn disk(path: PathBuf, format: ImageFormat, read_only: bool) -> DiskConfig {
    DiskConfig {
        path,
        read_only,
        format: Some(format),
        serial: None,
        bus: None,
        allow_backing: Vec::new(),
    }
}

/// The bus a new disk of this VM goes on: SATA for Windows on a firmware machine (its
/// installers have no virtio driver, so they would find no disk to install onto), else
/// virtio-blk, the fast one every Linux and BSD has.
pub fn disk_bus_for(cfg: &VmConfig) -> vmm_core::config::DiskBus {
    use vmm_core::config::{BootSource, DiskBus};
    let windows = cfg
        .os
        .as_ref()
        .is_some_and(|os| os.id.starts_with("http://microsoft.com/win"));
    if windows && !matches!(cfg.boot, BootSource::Linux { .. }) {
        DiskBus::Sata
    } else {
        DiskBus::Virtio
    }
}

/// Creates a VM folder and its disk (which may take a while: run it off the UI thread), then
/// writes `vm.toml` listing the disk. On failure nothing is left behind.
pub fn create_vm(
    paths: &Paths,
    cfg: &VmConfig,
    plan: Option<&DiskPlan>,
) -> Result<VmConfig, String> {
    let mut out = cfg.clone();
    in_new_vm_dir(paths, &cfg.id, |dir| {
        if let Some(p) = plan {
            let mut disk = provision(dir, p)?;
            disk.bus = Some(disk_bus_for(cfg));
            out.disks.push(disk);
        }
        out.save(&dir.join("vm.toml")).map_err(|e| e.to_string())
    })?;
    Ok(out)
}

/// Creates VM `id`'s folder and runs `fill` on it; if that fails the folder goes again, so a
/// half-made VM never shows up in the library.
fn in_new_vm_dir(
    paths: &Paths,
    id: &str,
    fill: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<(), String> {
    let dir = crate::data::store::create_dir(paths, id).map_err(at(&paths.vm_dir(id)))?;
    let res = fill(&dir);
    if res.is_err() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    res
}

/// How far a long copy is: bytes done of bytes in all.
#[derive(Debug, Default)]
pub struct Progress {
    pub done: AtomicU64,
    pub total: AtomicU64,
}

impl Progress {
    /// Whole percent done (0 before the total is known).
    pub fn percent(&self) -> u64 {
        let t = self.total.load(Ordering::Relaxed);
        (self.done.load(Ordering::Relaxed) * 100)
            .checked_div(t)
            .unwrap_or(0)
    }
}

/// Copies what a guest sees of `src` (with its backing chain) into a new, standalone qcow2 at
/// `dst`. Holes are skipped without reading them and all-zero stretches are not written, so the
/// copy stays sparse.
/// `src`'s backing files must be where `policy` allows: the copy gives their content to a guest.
pub fn copy_image(
    src: &Path,
    dst: &Path,
    policy: &storage::BackingPolicy,
    progress: &Progress,
) -> Result<(), String> {
    const CHUNK: usize = 1 << 20;
    let from = Disk::open_with(src, None, true, policy).map_err(|e| e.to_string())?;
    let size = from.size();
    // qcow2 sizes are multiples of 512; a raw image of another length is rounded up.
    storage::create_qcow2(dst, size.div_ceil(512) * 512).map_err(|e| e.to_string())?;
    let res = (|| {
        let to = Disk::open(dst, Some(ImageFormat::Qcow2), false).map_err(|e| e.to_string())?;
        let mut buf = vec![0u8; CHUNK];
        let mut off = 0;
        while off < size {
            let n = CHUNK.min((size - off) as usize);
            if let Some(z) = from
                .zero_extent(off, n as u64)
                .map_err(at(src))?
                .filter(|z| *z > 0)
            {
                // A hole: the new image reads as zeroes there already.
                off += z;
                progress.done.fetch_add(z, Ordering::Relaxed);
                continue;
            }
            from.read(&mut buf[..n], off).map_err(at(src))?;
            if buf[..n].iter().any(|&b| b != 0) {
                to.write(&buf[..n], off).map_err(at(dst))?;
            }
            off += n as u64;
            progress.done.fetch_add(n as u64, Ordering::Relaxed);
        }
        Ok(to.flush().map_err(at(dst))?)
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(dst);
    }
    res
}

/// The image each disk of a VM writes now: the configured one, or the overlay snapshots moved
/// it onto.
fn tops(vm_dir: &Path, cfg: &VmConfig) -> Result<Vec<PathBuf>, String> {
    let current = overlay::CurrentDisks::load(vm_dir).map_err(|e| e.to_string())?;
    Ok(cfg
        .disks
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let p = storage::config_path(d, vm_dir);
            current
                .as_ref()
                .and_then(|c| c.top(vm_dir, i, &p))
                .unwrap_or(p)
        })
        .collect())
}

/// Clones the stopped VM `src` as a new VM `id` named `name`. Linked: each writable disk's
/// current image is frozen and both VMs continue on qcow2 overlays of it (so neither sees the
/// other's writes); full: each disk is copied. Read-only disks are shared in a linked clone.
/// Snapshots are not cloned. On failure the new VM's folder is removed.
pub fn clone_vm(
    paths: &Paths,
    src: &VmConfig,
    id: &str,
    name: &str,
    linked: bool,
    progress: &Progress,
) -> Result<VmConfig, String> {
    if linked {
        let new = [(id.to_string(), name.to_string())];
        let mut made = linked_clones(paths, src, &new, &format!("clone-{id}"), |_| Ok(()))?;
        return made.pop().ok_or_else(|| "no clone made".to_string());
    }
    let src_dir = paths.vm_dir(&src.id);
    let tops = tops(&src_dir, src)?;
    let mut total = 0;
    for t in &tops {
        total += storage::image_info(t)
            .map_err(|e| e.to_string())?
            .virtual_size;
    }
    progress.total.store(total, Ordering::Relaxed);
    let mut cfg = new_identity(src, id, name);
    in_new_vm_dir(paths, id, |dir| {
        let ddir = overlay::disks_dir(dir);
        vmm_core::util::create_private_dir_all(&ddir).map_err(at(&ddir))?;
        let paths_in_config = config_paths(src, &src_dir);
        for (i, d) in src.disks.iter().enumerate() {
            let out = free_name(&ddir, &overlay::disk_label(&paths_in_config, i));
            let policy = storage::BackingPolicy::for_disk(d, Some(&src_dir));
            copy_image(&tops[i], &out, &policy, progress)?;
            cfg.disks[i] = DiskConfig {
                path: out,
                format: Some(ImageFormat::Qcow2),
                serial: None,
                ..d.clone()
            };
        }
        copy_boot_files(&src_dir, dir, &mut cfg)?;
        cfg.save(&dir.join("vm.toml")).map_err(|e| e.to_string())
    })?;
    Ok(cfg)
}

/// `src`'s config under a new id and name.
fn new_identity(src: &VmConfig, id: &str, name: &str) -> VmConfig {
    let mut cfg = src.clone();
    cfg.id = id.to_string();
    cfg.name = name.trim().to_string();
    // Two VMs with the same MAC on one network confuse it; the default is derived from the id.
    for n in &mut cfg.nics {
        n.mac = None;
    }
    cfg
}

fn config_paths(cfg: &VmConfig, dir: &Path) -> Vec<PathBuf> {
    cfg.disks
        .iter()
        .map(|d| storage::config_path(d, dir))
        .collect()
}

/// Makes linked clones of the stopped VM `src`, one per `(id, name)` in `new`, all built on
/// one freeze of its writable disks (so twenty clones cost one overlay in the source, not a
/// chain of twenty); `tag` names the source's new overlay. `made(k)` is called after the k-th
/// clone is complete; an error from it stops the work. All or nothing: on any failure the
/// clones made so far and the source's new overlays go, and its `current.json` is untouched.
pub fn linked_clones(
    paths: &Paths,
    src: &VmConfig,
    new: &[(String, String)],
    tag: &str,
    mut made: impl FnMut(usize) -> Result<(), String>,
) -> Result<Vec<VmConfig>, String> {
    let src_dir = paths.vm_dir(&src.id);
    let tops = tops(&src_dir, src)?;
    let paths_in_config = config_paths(src, &src_dir);
    let mut cur = overlay::CurrentDisks::load(&src_dir)
        .map_err(|e| e.to_string())?
        .unwrap_or_default();
    let mut frozen = Vec::new();
    let mut done: Vec<&str> = Vec::new();
    let res = (|| {
        for (i, d) in src.disks.iter().enumerate() {
            if !d.read_only {
                let label = overlay::disk_label(&paths_in_config, i);
                let ov = overlay::new_overlay_path(&src_dir, &label, tag);
                frozen.push(ov.clone());
                freeze_for_clone(&src_dir, &mut cur, i, &paths_in_config[i], &tops[i], &ov)?;
            }
        }
        let mut out = Vec::with_capacity(new.len());
        for (k, (id, name)) in new.iter().enumerate() {
            let mut cfg = new_identity(src, id, name);
            in_new_vm_dir(paths, id, |dir| {
                let ddir = overlay::disks_dir(dir);
                vmm_core::util::create_private_dir_all(&ddir).map_err(at(&ddir))?;
                for (i, d) in src.disks.iter().enumerate() {
                    let top = &tops[i];
                    cfg.disks[i].serial = None;
                    if d.read_only {
                        cfg.disks[i].path = top.clone();
                        cfg.disks[i].format = None;
                    } else {
                        let out = free_name(&ddir, &overlay::disk_label(&paths_in_config, i));
                        storage::create_linked_clone(&out, top).map_err(|e| e.to_string())?;
                        cfg.disks[i].path = out;
                        cfg.disks[i].format = Some(ImageFormat::Qcow2);
                    }
                    allow_source_places(&mut cfg.disks[i], &src_dir, &paths_in_config[i]);
                }
                copy_boot_files(&src_dir, dir, &mut cfg)?;
                cfg.save(&dir.join("vm.toml")).map_err(|e| e.to_string())
            })?;
            done.push(id);
            out.push(cfg);
            made(k + 1)?;
        }
        if !frozen.is_empty() {
            cur.save(&src_dir).map_err(|e| e.to_string())?;
        }
        Ok(out)
    })();
    if res.is_err() {
        for id in done {
            let _ = crate::data::store::delete(paths, id);
        }
        for ov in &frozen {
            let _ = std::fs::remove_file(ov);
        }
    }
    res
}

/// A linked clone's chain goes on in the source VM (its folder, its configured image's folder,
/// the places it allows): the clone records them, as the user chose them for the source.
fn allow_source_places(d: &mut DiskConfig, src_dir: &Path, src_image: &Path) {
    allow_places(d, Some(src_dir));
    allow_places(d, Some(&overlay::disks_dir(src_dir)));
    allow_places(d, src_image.parent());
}

/// Adds the folders the user allowed backing files in (see [`crate::data::backing`]) to a
/// disk's `allow_backing` (each once, as real paths).
pub fn allow_folders(d: &mut DiskConfig, folders: &[PathBuf]) {
    for f in folders {
        allow_places(d, Some(f));
    }
}

/// Adds a folder to a disk's `allow_backing` (once).
fn allow_places(d: &mut DiskConfig, folder: Option<&Path>) {
    if let Some(p) = folder.filter(|p| !p.as_os_str().is_empty()) {
        let p = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        if !d.allow_backing.contains(&p) {
            d.allow_backing.push(p);
        }
    }
}

/// A kernel or initrd kept in the source VM's folder is copied into the clone's (else deleting
/// the source would leave the clone unbootable); files elsewhere are shared.
fn copy_boot_files(src_dir: &Path, dir: &Path, cfg: &mut VmConfig) -> Result<(), String> {
    let files: Vec<&mut PathBuf> = match &mut cfg.boot {
        vmm_core::config::BootSource::Linux { kernel, initrd, .. } => {
            std::iter::once(kernel).chain(initrd.as_mut()).collect()
        }
        // Firmware files named in the VM's folder go with the clone too.
        vmm_core::config::BootSource::Bios {
            firmware, vga_rom, ..
        } => firmware.iter_mut().chain(vga_rom.iter_mut()).collect(),
        // So does a UEFI machine's variable store (a relative one is already resolved).
        vmm_core::config::BootSource::Uefi { firmware, vars, .. } => {
            firmware.iter_mut().chain(vars.iter_mut()).collect()
        }
    };
    for p in files {
        let Ok(rel) = p.strip_prefix(src_dir).map(Path::to_path_buf) else {
            continue;
        };
        let to = dir.join(&rel);
        if let Some(parent) = to.parent() {
            vmm_core::util::create_private_dir_all(parent).map_err(at(parent))?;
        }
        std::fs::copy(&*p, &to).map_err(at(p))?;
        // A copy keeps the source's mode; the clone's disk is private like any VM's.
        vmm_core::util::make_private(&to, 0o600).map_err(at(&to))?;
        *p = to;
    }
    // A UEFI machine's default variable store (boot entries, settings) is in the folder too.
    if let vmm_core::config::BootSource::Uefi { vars: None, .. } = &cfg.boot {
        let from = src_dir.join(vmm_core::config::DEFAULT_UEFI_VARS);
        if from.exists() {
            std::fs::copy(&from, dir.join(vmm_core::config::DEFAULT_UEFI_VARS))
                .map_err(at(&from))?;
        }
    }
    Ok(())
}

/// Moves disk `index` of the source VM onto a new overlay `ov` of `top`, so `top` is never
/// written again and can back the clone. `top` is dropped from the overlays the source's garbage
/// collection may delete: the clone needs it whatever the source's snapshots do.
fn freeze_for_clone(
    src_dir: &Path,
    cur: &mut overlay::CurrentDisks,
    index: usize,
    config_path: &Path,
    top: &Path,
    ov: &Path,
) -> Result<(), String> {
    let info = storage::image_info(top).map_err(|e| e.to_string())?;
    overlay::create_overlay(src_dir, ov, top, info.format, info.virtual_size)
        .map_err(|e| e.to_string())?;
    if let Some(name) = top.file_name().and_then(|n| n.to_str()) {
        cur.overlays.retain(|o| o != name);
    }
    cur.register(ov);
    cur.set_top(src_dir, index, config_path, ov)
        .map_err(|e| e.to_string())
}

/// Keeps `disks/current.json` right when the settings change the disk list: each recorded disk
/// follows its image to its new place in `[[disks]]` (the file is keyed by index), and entries
/// of removed disks go. Without this, removing `disks[0]` would make `disks[1]` start afresh on
/// its base image, without what it wrote since its last snapshot or linked clone.
pub fn reindex_current(vm_dir: &Path, new: &VmConfig) -> Result<(), String> {
    let Some(mut cur) = overlay::CurrentDisks::load(vm_dir).map_err(|e| e.to_string())? else {
        return Ok(());
    };
    let paths: Vec<PathBuf> = new
        .disks
        .iter()
        .map(|d| storage::config_path(d, vm_dir))
        .collect();
    let mut moved = Vec::new();
    for e in &cur.disks {
        let base = overlay::from_stored(vm_dir, &e.config_path);
        if let Some(i) = paths.iter().position(|p| overlay::same_file(p, &base)) {
            moved.push(overlay::CurrentDisk {
                index: i,
                ..e.clone()
            });
        }
    }
    moved.sort_by_key(|d| d.index);
    if moved != cur.disks {
        cur.disks = moved;
        cur.save(vm_dir).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// What happens to the disk images in a deleted VM's folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiskDisposal {
    /// Moved out to `<data>/kept-disks/<id>/` first.
    Keep,
    /// To the desktop's trash (freedesktop.org trash).
    Trash,
}

/// Other VMs whose disks are built on images in VM `id`'s folder (their linked clones): deleting
/// it would break them.
pub fn dependents(paths: &Paths, id: &str) -> Vec<String> {
    let dir = paths.vm_dir(id);
    let Ok(canon_dir) = std::fs::canonicalize(&dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in crate::data::store::list(paths) {
        let Ok(cfg) = &e.config else { continue };
        if e.id == id {
            continue;
        }
        let Ok(t) = tops(&e.dir, cfg) else { continue };
        let uses = t.iter().any(|top| {
            storage::image_info(top).is_ok_and(|info| {
                info.backing_chain
                    .iter()
                    .chain([top])
                    .any(|f| std::fs::canonicalize(f).is_ok_and(|c| c.starts_with(&canon_dir)))
            })
        });
        if uses {
            out.push(e.name().to_string());
        }
    }
    out
}

/// Deletes VM `id`'s folder; the disk images in it (its `disks/` folder) are kept or go to the
/// trash first. Images outside the folder are left alone. Returns where kept images went.
pub fn delete_vm(
    paths: &Paths,
    id: &str,
    disposal: DiskDisposal,
) -> Result<Option<PathBuf>, String> {
    let others = dependents(paths, id);
    if !others.is_empty() {
        return Err(crate::t!("error-delete-clones", names = others.join(", ")));
    }
    let ddir = overlay::disks_dir(&paths.vm_dir(id));
    let mut kept = None;
    if ddir.is_dir() {
        match disposal {
            DiskDisposal::Trash => trash::delete(&ddir).map_err(at(&ddir))?,
            DiskDisposal::Keep => {
                standalone_tops(paths, id)?;
                let base = paths.vms_dir().with_file_name("kept-disks");
                vmm_core::util::create_private_dir_all(&base).map_err(at(&base))?;
                let mut to = base.join(id);
                let mut n = 2;
                while to.exists() {
                    to = base.join(format!("{id}-{n}"));
                    n += 1;
                }
                std::fs::rename(&ddir, &to).map_err(at(&to))?;
                kept = Some(to);
            }
        }
    }
    crate::data::store::delete(paths, id).map_err(|e| e.to_string())?;
    Ok(kept)
}

/// Makes each disk image VM `id` writes stand alone before its folder is kept: a linked
/// clone's image reads through to its source's folder, and a kept image that breaks when the
/// source moves or goes is no image kept. Each top whose chain leaves the folder is copied
/// whole (sparsely) and the copy replaces it atomically.
fn standalone_tops(paths: &Paths, id: &str) -> Result<(), String> {
    let dir = paths.vm_dir(id);
    let cfg = VmConfig::load(&paths.vm_config(id)).map_err(|e| e.to_string())?;
    let canon_dir = std::fs::canonicalize(&dir).map_err(at(&dir))?;
    for (d, top) in cfg.disks.iter().zip(tops(&dir, &cfg)?) {
        let Ok(canon) = std::fs::canonicalize(&top) else {
            continue;
        };
        // Images outside the folder stay where they are, untouched.
        if !canon.starts_with(&canon_dir) {
            continue;
        }
        let info = storage::image_info(&top).map_err(|e| e.to_string())?;
        let outside = info
            .backing_chain
            .iter()
            .any(|b| std::fs::canonicalize(b).map_or(true, |c| !c.starts_with(&canon_dir)));
        if !outside {
            continue;
        }
        let tmp = top.with_extension("standalone.tmp");
        // Its chain reaches into the source's folder, which the clone recorded as allowed.
        let policy = storage::BackingPolicy::for_disk(d, Some(&dir));
        copy_image(&top, &tmp, &policy, &Progress::default())?;
        std::fs::rename(&tmp, &top).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!("{}: {e}", top.display())
        })?;
    }
    Ok(())
}

/// Shares `Progress` with a worker thread.
pub type SharedProgress = Arc<Progress>;

#[cfg(test)]
mod tests;
