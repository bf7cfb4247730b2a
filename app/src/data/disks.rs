// Over 800 lines: about half is the tests of the clone, keep and delete flows, which share one set of fixtures.
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
    },
    /// A standalone qcow2 copy of an existing image (with its backing chain) in the VM's
    /// `disks/` folder: the image itself is left as it is.
    Copy { path: PathBuf },
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
    std::fs::create_dir_all(&dir).map_err(at(&dir))?;
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
        } => {
            let out = free_name(&dir, &stem_of(path));
            storage::create_linked_clone(&out, path).map_err(|e| e.to_string())?;
            Ok(disk(out, ImageFormat::Qcow2, *read_only))
        }
        DiskPlan::Existing {
            path,
            linked: false,
            read_only,
        } => {
            let info = storage::image_info(path).map_err(|e| e.to_string())?;
            Ok(disk(path.clone(), info.format, *read_only))
        }
        DiskPlan::Copy { path } => {
            let out = free_name(&dir, &stem_of(path));
            copy_image(path, &out, &Progress::default())?;
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
            disk.bus = Some(crate::data::osinfo::disk_bus_for(cfg));
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
pub fn copy_image(src: &Path, dst: &Path, progress: &Progress) -> Result<(), String> {
    const CHUNK: usize = 1 << 20;
    let from = Disk::open(src, None, true).map_err(|e| e.to_string())?;
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
    let src_dir = paths.vm_dir(&src.id);
    let tops = tops(&src_dir, src)?;
    let mut total = 0;
    if !linked {
        for t in &tops {
            total += storage::image_info(t)
                .map_err(|e| e.to_string())?
                .virtual_size;
        }
    }
    progress.total.store(total, Ordering::Relaxed);
    let mut cfg = src.clone();
    cfg.id = id.to_string();
    cfg.name = name.trim().to_string();
    // Two VMs with the same MAC on one network confuse it; the default is derived from the id.
    for n in &mut cfg.nics {
        n.mac = None;
    }
    let mut source_changed = None;
    in_new_vm_dir(paths, id, |dir| {
        let ddir = overlay::disks_dir(dir);
        std::fs::create_dir_all(&ddir).map_err(at(&ddir))?;
        let paths_in_config: Vec<PathBuf> = src
            .disks
            .iter()
            .map(|d| storage::config_path(d, &src_dir))
            .collect();
        for (i, d) in src.disks.iter().enumerate() {
            let top = &tops[i];
            let label = overlay::disk_label(&paths_in_config, i);
            let out = free_name(&ddir, &label);
            if !linked {
                copy_image(top, &out, progress)?;
                cfg.disks[i] = DiskConfig {
                    path: out,
                    format: Some(ImageFormat::Qcow2),
                    serial: None,
                    ..d.clone()
                };
            } else if d.read_only {
                cfg.disks[i].path = top.clone();
                cfg.disks[i].format = None;
                cfg.disks[i].serial = None;
            } else {
                let cur = source_changed.get_or_insert(
                    overlay::CurrentDisks::load(&src_dir)
                        .map_err(|e| e.to_string())?
                        .unwrap_or_default(),
                );
                freeze_for_clone(&src_dir, cur, i, &paths_in_config[i], top, &label, id)?;
                storage::create_linked_clone(&out, top).map_err(|e| e.to_string())?;
                cfg.disks[i] = DiskConfig {
                    path: out,
                    format: Some(ImageFormat::Qcow2),
                    serial: None,
                    ..d.clone()
                };
            }
        }
        copy_boot_files(&src_dir, dir, &mut cfg)?;
        if let Some(cur) = &source_changed {
            cur.save(&src_dir).map_err(|e| e.to_string())?;
        }
        cfg.save(&dir.join("vm.toml")).map_err(|e| e.to_string())
    })?;
    Ok(cfg)
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
            std::fs::create_dir_all(parent).map_err(at(parent))?;
        }
        std::fs::copy(&*p, &to).map_err(at(p))?;
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

/// Moves disk `index` of the source VM onto a new overlay of `top`, so `top` is never written
/// again and can back the clone. `top` is dropped from the overlays the source's garbage
/// collection may delete: the clone needs it whatever the source's snapshots do.
fn freeze_for_clone(
    src_dir: &Path,
    cur: &mut overlay::CurrentDisks,
    index: usize,
    config_path: &Path,
    top: &Path,
    label: &str,
    clone_id: &str,
) -> Result<(), String> {
    let info = storage::image_info(top).map_err(|e| e.to_string())?;
    let ov = overlay::new_overlay_path(src_dir, label, &format!("clone-{clone_id}"));
    overlay::create_overlay(src_dir, &ov, top, info.format, info.virtual_size)
        .map_err(|e| e.to_string())?;
    if let Some(name) = top.file_name().and_then(|n| n.to_str()) {
        cur.overlays.retain(|o| o != name);
    }
    cur.register(&ov);
    cur.set_top(src_dir, index, config_path, &ov)
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
                std::fs::create_dir_all(&base).map_err(at(&base))?;
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
    for top in tops(&dir, &cfg)? {
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
        copy_image(&top, &tmp, &Progress::default())?;
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
mod tests {
    use super::*;
    use crate::testing;
    use vmm_core::storage::image_info;

    const DATA: &[u8] = b"the source's data";

    #[test]
    fn sizes_are_checked_against_free_space() {
        testing::english();
        assert_eq!(check_size_gib("2"), Ok(2 * GIB));
        // Thin disks may be larger than the free space: allowed, with a warning.
        assert_eq!(check_size_gib("4"), Ok(4 * GIB));
        assert_eq!(over_free(2 * GIB, Some(3 * GIB)), None);
        assert!(over_free(4 * GIB, Some(3 * GIB))
            .unwrap()
            .contains("3 GiB free there now"));
        assert!(check_size_gib("0").is_err());
        assert!(check_size_gib("2.5").is_err());
        let dir = tempfile::tempdir().unwrap();
        // The nearest existing folder counts for one not made yet.
        assert!(free_space(&dir.path().join("a/b")).unwrap() > 0);
    }

    #[test]
    fn existing_images_are_named_in_errors_and_linked_clones_leave_them_alone() {
        testing::english();
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.qcow2");
        std::fs::write(&junk, b"QFI\xfbnot really").unwrap();
        let e = check_existing(&junk.display().to_string()).unwrap_err();
        assert!(e.contains("junk.qcow2"), "{e}");
        assert!(check_existing("rel/x.img").is_err());
        // Issue 15: an installer ISO is not taken for a raw data disk without a word.
        let iso = dir.path().join("debian.iso");
        std::fs::write(&iso, crate::data::media::tests::tiny_iso("DEBIAN", "LINUX")).unwrap();
        let e = check_existing(&iso.display().to_string()).unwrap_err();
        assert!(
            e.contains("installer image (ISO)") && e.contains("debian.iso"),
            "{e}"
        );
        let raw = dir.path().join("base.img");
        std::fs::write(&raw, vec![7u8; 1 << 20]).unwrap();
        let info = check_existing(&raw.display().to_string()).unwrap();
        assert_eq!(info.format, ImageFormat::Raw);
        let vm = dir.path().join("vm");
        std::fs::create_dir(&vm).unwrap();
        let plan = DiskPlan::Existing {
            path: raw.clone(),
            linked: true,
            read_only: false,
        };
        let d = provision(&vm, &plan).unwrap();
        assert!(d.path.starts_with(vm.join("disks")));
        let i = image_info(&d.path).unwrap();
        assert_eq!(i.backing_chain, std::slice::from_ref(&raw));
        assert_eq!(i.virtual_size, 1 << 20);
        let direct = DiskPlan::Existing {
            path: raw.clone(),
            linked: false,
            read_only: true,
        };
        let d = provision(&vm, &direct).unwrap();
        assert_eq!(
            (d.path, d.format, d.read_only),
            (raw, Some(ImageFormat::Raw), true)
        );
    }

    #[test]
    fn linked_clones_read_the_source_and_both_then_write_their_own_overlays() {
        testing::english();
        let root = tempfile::tempdir().unwrap();
        let paths = Paths::under(root.path());
        let mut src = testing::add_vm_with_disk(&paths, "src", "Source", 4, DATA);
        let base = src.disks[0].path.clone();
        // A kernel kept in the VM's folder goes with the clone.
        let kernel = testing::fake_kernel(&paths.vm_dir("src"));
        let vmm_core::config::BootSource::Linux { kernel: k, .. } = &mut src.boot else {
            panic!("not a kernel boot");
        };
        *k = kernel;
        crate::data::store::save(&paths, &src).unwrap();
        let p = Progress::default();
        let c = clone_vm(&paths, &src, "copy", "Copy", true, &p).unwrap();
        assert_eq!(c.name, "Copy");
        let vmm_core::config::BootSource::Linux { kernel: ck, .. } = &c.boot else {
            panic!("not a kernel boot");
        };
        assert_eq!(*ck, paths.vm_dir("copy").join("vmlinuz"));
        assert!(ck.is_file());
        // The clone's overlay is backed by the source's image, and reads its data.
        let info = image_info(&c.disks[0].path).unwrap();
        assert_eq!(info.backing_chain, std::slice::from_ref(&base));
        assert_eq!(
            testing::read_disk(&paths, "copy", 0, 1 << 20, DATA.len()),
            DATA
        );
        // The source went onto an overlay of its own: writing it does not reach the clone.
        let cur = overlay::CurrentDisks::load(&paths.vm_dir("src"))
            .unwrap()
            .unwrap();
        let top = cur.tops(&paths.vm_dir("src"))[0].clone();
        assert_ne!(top, base);
        {
            let d = Disk::open(&top, None, false).unwrap();
            d.write(b"later", 1 << 20).unwrap();
            d.flush().unwrap();
        }
        assert_eq!(testing::read_disk(&paths, "src", 0, 1 << 20, 5), b"later");
        assert_eq!(
            testing::read_disk(&paths, "copy", 0, 1 << 20, DATA.len()),
            DATA
        );
        // The saved config is the one returned, and valid.
        let saved = VmConfig::load(&paths.vm_config("copy")).unwrap();
        assert_eq!(saved, c);
        // The source cannot go while its clone needs it.
        let e = delete_vm(&paths, "src", DiskDisposal::Keep).unwrap_err();
        assert!(e.contains("Copy"), "{e}");
        assert!(paths.vm_dir("src").exists());
    }

    /// Issue 15: a running linked clone must not keep its source from starting. The clone's VMM
    /// holds its chain's locks (the frozen image shared); the source's start-up check and
    /// open then see the source's own overlay writable and the frozen image shared.
    #[test]
    fn a_running_linked_clone_leaves_its_source_free_to_start() {
        testing::english();
        let root = tempfile::tempdir().unwrap();
        let paths = Paths::under(root.path());
        let mut src = testing::add_vm_with_disk(&paths, "src", "Source", 4, DATA);
        let vmm_core::config::BootSource::Linux { kernel, .. } = &mut src.boot else {
            panic!("not a kernel boot");
        };
        *kernel = testing::fake_kernel(&paths.vm_dir("src"));
        crate::data::store::save(&paths, &src).unwrap();
        let c = clone_vm(&paths, &src, "copy", "Copy", true, &Progress::default()).unwrap();
        let host = vmm_core::config::HostLimits {
            max_vcpus: 8,
            memory_mib: 8192,
        };
        // The clone runs: its VMM opened its disks as the real one does.
        let clone_disks = storage::open_disks(&c.disks, &paths.vm_dir("copy")).unwrap();
        let dir = paths.vm_dir("src");
        let disk_errors = |r: Result<(), Vec<vmm_core::config::ConfigError>>| -> Vec<String> {
            r.err()
                .unwrap_or_default()
                .into_iter()
                .filter(|e| e.field.starts_with("disks"))
                .map(|e| e.to_string())
                .collect()
        };
        // Checking the configured image as the writable one is what refused the start.
        assert_eq!(disk_errors(src.validate(&host)).len(), 1);
        let none: Vec<String> = Vec::new();
        assert_eq!(disk_errors(src.validate_in(&host, &dir)), none);
        let src_disks = storage::open_disks(&src.disks, &dir).unwrap();
        let mut buf = vec![0; DATA.len()];
        src_disks[0].disk.read(&mut buf, 1 << 20).unwrap();
        assert_eq!(buf, DATA);
        drop((clone_disks, src_disks));
    }

    /// Issue 15: a kept linked clone's disk must not read through into its source's folder.
    #[test]
    fn a_kept_linked_clone_disk_outlives_its_source() {
        testing::english();
        let root = tempfile::tempdir().unwrap();
        let paths = Paths::under(root.path());
        let src = testing::add_vm_with_disk(&paths, "src", "Source", 4, DATA);
        let c = clone_vm(&paths, &src, "copy", "Copy", true, &Progress::default()).unwrap();
        let name = c.disks[0].path.file_name().unwrap().to_owned();
        let kept = delete_vm(&paths, "copy", DiskDisposal::Keep)
            .unwrap()
            .unwrap();
        let image = kept.join(name);
        assert!(image_info(&image).unwrap().backing_chain.is_empty());
        // The source goes too: its disks move away from where the clone's overlay pointed.
        delete_vm(&paths, "src", DiskDisposal::Keep).unwrap();
        assert!(!paths.vm_dir("src").exists());
        let d = Disk::open(&image, None, true).unwrap();
        let mut buf = vec![0; DATA.len()];
        d.read(&mut buf, 1 << 20).unwrap();
        assert_eq!(buf, DATA);
    }

    #[test]
    fn full_clones_copy_every_disk_sparsely_and_stand_alone() {
        testing::english();
        let root = tempfile::tempdir().unwrap();
        let paths = Paths::under(root.path());
        let src = testing::add_vm_with_disk(&paths, "src", "Source", 64, DATA);
        let p = Progress::default();
        let c = clone_vm(&paths, &src, "full", "Full", false, &p).unwrap();
        assert_eq!(p.percent(), 100);
        let info = image_info(&c.disks[0].path).unwrap();
        assert!(info.backing_chain.is_empty());
        assert_eq!(info.virtual_size, 64 << 20);
        // Only the one written MiB is copied (plus qcow2 metadata).
        assert!(info.allocated_size < 4 << 20, "{}", info.allocated_size);
        assert_eq!(
            testing::read_disk(&paths, "full", 0, 1 << 20, DATA.len()),
            DATA
        );
        // Holes are known without reading them (what makes copying empty disks fast).
        let d = Disk::open(&c.disks[0].path, None, true).unwrap();
        assert_eq!(d.zero_extent(0, 1 << 20).unwrap(), Some(1 << 20));
        assert_eq!(d.zero_extent(1 << 20, 4096).unwrap(), None);
        assert_eq!(d.zero_extent(2 << 20, 62 << 20).unwrap(), Some(62 << 20));
        drop(d);
        // The source did not move, and can be deleted without harm to the copy.
        assert!(overlay::CurrentDisks::load(&paths.vm_dir("src"))
            .unwrap()
            .is_none());
        delete_vm(&paths, "src", DiskDisposal::Keep).unwrap();
        assert_eq!(
            testing::read_disk(&paths, "full", 0, 1 << 20, DATA.len()),
            DATA
        );
    }

    #[test]
    fn removing_a_disk_keeps_the_others_on_their_overlays() {
        testing::english();
        let root = tempfile::tempdir().unwrap();
        let paths = Paths::under(root.path());
        let mut src = testing::add_vm_with_disk(&paths, "src", "Source", 4, DATA);
        let dir = paths.vm_dir("src");
        let second = provision(
            &dir,
            &DiskPlan::New {
                size_bytes: 4 << 20,
            },
        )
        .unwrap();
        src.disks.push(second);
        crate::data::store::save(&paths, &src).unwrap();
        // A linked clone puts both disks of the source onto overlays; write to the second's.
        clone_vm(&paths, &src, "copy", "Copy", true, &Progress::default()).unwrap();
        let top = overlay::CurrentDisks::load(&dir)
            .unwrap()
            .unwrap()
            .tops(&dir)[1]
            .clone();
        {
            let d = Disk::open(&top, None, false).unwrap();
            d.write(b"second", 0).unwrap();
            d.flush().unwrap();
        }
        let mut cfg = VmConfig::load(&paths.vm_config("src")).unwrap();
        cfg.disks.remove(0);
        reindex_current(&dir, &cfg).unwrap();
        crate::data::store::save(&paths, &cfg).unwrap();
        assert_eq!(testing::read_disk(&paths, "src", 0, 0, 6), b"second");
        let cur = overlay::CurrentDisks::load(&dir).unwrap().unwrap();
        assert_eq!(cur.disks.len(), 1);
        assert_eq!(cur.disks[0].index, 0);
    }

    #[test]
    fn deleting_keeps_the_disks_or_puts_them_in_the_trash() {
        testing::english();
        let trash = testing::test_trash();
        let root = tempfile::tempdir().unwrap();
        let paths = Paths::under(root.path());
        let outside = root.path().join("mine.img");
        std::fs::write(&outside, vec![0u8; 1 << 20]).unwrap();
        let mut a = testing::add_vm_with_disk(&paths, "keep-me", "A", 4, DATA);
        a.disks.push(
            provision(
                &paths.vm_dir("keep-me"),
                &DiskPlan::Existing {
                    path: outside.clone(),
                    linked: false,
                    read_only: true,
                },
            )
            .unwrap(),
        );
        crate::data::store::save(&paths, &a).unwrap();
        let kept = delete_vm(&paths, "keep-me", DiskDisposal::Keep)
            .unwrap()
            .unwrap();
        assert!(!paths.vm_dir("keep-me").exists());
        assert!(kept.join("disk.qcow2").is_file());
        assert!(outside.is_file(), "images elsewhere are never touched");
        let b = testing::add_vm_with_disk(&paths, "trash-me", "B", 4, DATA);
        let disk = b.disks[0].path.clone();
        assert_eq!(
            delete_vm(&paths, "trash-me", DiskDisposal::Trash).unwrap(),
            None
        );
        assert!(!paths.vm_dir("trash-me").exists());
        assert!(!disk.exists());
        let trashed: Vec<_> = std::fs::read_dir(&trash)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.path().join("disk.qcow2").is_file())
            .collect();
        assert!(
            !trashed.is_empty(),
            "the disks folder is in {}",
            trash.display()
        );
    }
}
