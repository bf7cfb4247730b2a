//! Where an image's backing files may be ([`BackingPolicy`]).
//!
//! A qcow2 image names its backing file, and whoever made the image chose that name: an image
//! downloaded or handed over could name `/etc/shadow`, `../../.ssh/id_rsa`,
//! `/proc/self/root/…`, a device node or a FIFO, and the guest would read it as its disk. So a
//! backing file must be a regular file whose real path (symlinks and `..` resolved) lies in a
//! place the user chose: the configured image's own folder or a folder the user confirmed
//! (`allow_backing` in vm.toml) — files directly in them, not in subfolders (an image in `~`
//! must not reach `~/.ssh`) — or the VM's folder with its subfolders (snapshots' overlays). The configured image itself is the
//! user's choice and is not checked here.

use super::identity::FileId;
use super::{ErrorKind, StorageError};
use crate::config::DiskConfig;
use std::path::{Path, PathBuf};

/// Places backing files are never taken from, whatever the config allows: what is there is not
/// a disk image but the host's devices and kernel state.
const NEVER: [&str; 3] = ["/proc", "/sys", "/dev"];

/// The places an image chain's backing files may be.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackingPolicy {
    /// Folders whose files (not subfolders) may be backing files.
    folders: Vec<PathBuf>,
    /// Folders whose whole tree may hold backing files.
    trees: Vec<PathBuf>,
    /// Any place (but still only regular files outside [`NEVER`]): for looking at an image
    /// without handing it to a guest (image info, making a clone of a checked chain).
    anywhere: bool,
}

fn canon(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

fn folder_of(p: &Path) -> PathBuf {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

impl BackingPolicy {
    /// Backing files may be next to `image` (the default for an image opened on its own).
    pub fn for_image(image: &Path) -> Self {
        BackingPolicy {
            folders: vec![canon(&folder_of(image))],
            ..Self::default()
        }
    }

    /// A VM's disk: next to its configured image, anywhere in the VM's folder, and in the
    /// folders its `allow_backing` lists (files directly in them; relative ones taken from the
    /// VM's folder). Without
    /// the VM's folder (a config checked on its own), paths are taken as they are.
    pub fn for_disk(d: &DiskConfig, vm_dir: Option<&Path>) -> Self {
        let here = Path::new("");
        let image = super::config_path(d, vm_dir.unwrap_or(here));
        let mut p = Self::for_image(&image);
        p.trees.extend(vm_dir.map(canon));
        p.folders.extend(
            d.allow_backing
                .iter()
                .map(|a| canon(&vm_dir.unwrap_or(here).join(a))),
        );
        p
    }

    /// Only file types are checked, not places: for reading an image's metadata, never for
    /// giving its content to a guest.
    pub fn anywhere() -> Self {
        BackingPolicy {
            anywhere: true,
            ..Self::default()
        }
    }

    /// Whether the file at `path` (symlinks and `..` resolved) is in a place this policy allows
    /// (not whether it is a regular file): for the app, which shows a chain's files and asks
    /// about the ones outside before the VMM would refuse them.
    pub fn allows_place(&self, path: &Path) -> bool {
        let real = canon(path);
        !NEVER.iter().any(|n| real.starts_with(n)) && self.allows(&real)
    }

    fn allows(&self, real: &Path) -> bool {
        self.anywhere
            || self.folders.iter().any(|f| real.parent() == Some(f))
            || self.trees.iter().any(|t| real.starts_with(t))
    }

    fn places(&self) -> String {
        let mut v: Vec<String> = self
            .folders
            .iter()
            .map(|f| f.display().to_string())
            .collect();
        v.extend(self.trees.iter().map(|t| format!("{}/…", t.display())));
        v.join(", ")
    }

    /// Checks backing file `path` (named by `backing_of`) before anything opens it; returns its
    /// real path and which file it is (what opening it later must find).
    pub(super) fn check(
        &self,
        path: &Path,
        backing_of: &Path,
    ) -> Result<(PathBuf, FileId), StorageError> {
        let ctx = |r: String| format!("(the backing file of {}) {r}", backing_of.display());
        let real = std::fs::canonicalize(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                StorageError::new(ErrorKind::NotFound, path, ctx("does not exist".into()))
            } else {
                StorageError::io(path, &ctx("cannot access".into()), e)
            }
        })?;
        let refuse = |r: String| StorageError::new(ErrorKind::BackingRefused, path, ctx(r));
        if NEVER.iter().any(|n| real.starts_with(n)) {
            return Err(refuse(format!(
                "is {}, a host device or kernel file, never a disk image",
                real.display()
            )));
        }
        // Metadata of the resolved path without following anything further: a FIFO or device
        // node must be refused before it is opened (opening a FIFO blocks).
        let meta = std::fs::symlink_metadata(&real)
            .map_err(|e| StorageError::io(path, &ctx("cannot access".into()), e))?;
        if !meta.is_file() {
            return Err(refuse(
                "is not a regular file (a device node, FIFO or socket is never a backing file)"
                    .into(),
            ));
        }
        if !self.allows(&real) {
            return Err(refuse(format!(
                "is {}, outside the places a backing file may be ({}); if you trust it, allow \
                 its folder: add allow_backing = [\"{}\"] to this disk in vm.toml",
                real.display(),
                self.places(),
                folder_of(&real).display()
            )));
        }
        Ok((real, FileId::of(&meta)))
    }
}
