//! A disk image's backing chain as the user sees it before a VM first uses it (issue 17 #1).
//!
//! The VMM opens a backing file only where [`storage::BackingPolicy`] allows: next to the
//! configured image, inside the VM's folder, or in a folder the disk's `allow_backing` lists.
//! An image whose chain reaches elsewhere would be refused at start; here the app finds that
//! out when the disk is added, shows every file of the chain, and asks. Allowing records the
//! folders in `allow_backing` (vm.toml); device nodes, FIFOs and `/proc`, `/sys`, `/dev` are
//! never allowed (the VMM refuses them whatever vm.toml says), so they are no question.

use std::path::{Path, PathBuf};
use vmm_core::config::DiskConfig;
use vmm_core::storage::{self, ErrorKind, ImageFormat};

/// One backing file of a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainFile {
    /// As the image above it names it (joined to that image's folder when relative).
    pub path: PathBuf,
    pub format: ImageFormat,
    /// What the guest sees of it, in bytes.
    pub virtual_size: u64,
    /// Whether it is in a place the VMM takes backing files from without asking.
    pub allowed: bool,
}

impl ChainFile {
    /// The folder the file really is in (symlinks resolved): what allowing it records.
    pub fn folder(&self) -> PathBuf {
        let real = std::fs::canonicalize(&self.path).unwrap_or_else(|_| self.path.clone());
        real.parent().map(Path::to_path_buf).unwrap_or(real)
    }
}

/// What a disk's backing chain means for using it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chain {
    /// The image stands alone, or all its backing files (nearest first) are where the VMM
    /// takes them from.
    Fine(Vec<ChainFile>),
    /// Some backing files are elsewhere: the disk can be used once the user allows `folders`.
    Ask {
        files: Vec<ChainFile>,
        folders: Vec<PathBuf>,
    },
    /// A backing file that is never a disk (a device node, FIFO or socket, or in /proc, /sys,
    /// /dev): `file` and why; nothing can allow it.
    Refused { file: PathBuf, reason: String },
}

impl Chain {
    /// The backing files, nearest first (none for a refused chain).
    pub fn files(&self) -> &[ChainFile] {
        match self {
            Chain::Fine(f) | Chain::Ask { files: f, .. } => f,
            Chain::Refused { .. } => &[],
        }
    }

    /// The folders to record in `allow_backing` for the disk to open (none if it needs none).
    pub fn folders(&self) -> &[PathBuf] {
        match self {
            Chain::Ask { folders, .. } => folders,
            _ => &[],
        }
    }
}

/// The backing chain of `image` used as a disk of the VM in `vm_dir` (None for a VM not made
/// yet) whose disk already allows `allowed`. `Err` when the image cannot be read at all (the
/// text names the file).
pub fn check(image: &Path, vm_dir: Option<&Path>, allowed: &[PathBuf]) -> Result<Chain, String> {
    let info = match storage::image_info(image) {
        Ok(i) => i,
        Err(e) if e.kind == ErrorKind::BackingRefused => {
            return Ok(Chain::Refused {
                file: e.path,
                reason: e.reason,
            })
        }
        Err(e) => return Err(e.to_string()),
    };
    let d = DiskConfig {
        path: image.to_path_buf(),
        allow_backing: allowed.to_vec(),
        ..DiskConfig::default()
    };
    let policy = storage::BackingPolicy::for_disk(&d, vm_dir);
    let mut files = Vec::new();
    let mut folders: Vec<PathBuf> = Vec::new();
    for b in &info.backing_chain {
        // Each file on its own (its own chain is the rest of this one, already read).
        let i = storage::image_info(b).map_err(|e| e.to_string())?;
        let f = ChainFile {
            path: b.clone(),
            format: i.format,
            virtual_size: i.virtual_size,
            allowed: policy.allows_place(b),
        };
        if !f.allowed && !folders.contains(&f.folder()) {
            folders.push(f.folder());
        }
        files.push(f);
    }
    Ok(if folders.is_empty() {
        Chain::Fine(files)
    } else {
        Chain::Ask { files, folders }
    })
}

/// A chain as lines of text (for the CLI): each file with its format, size and folder, and
/// whether the VMM takes it without asking.
pub fn describe(image: &Path, chain: &Chain) -> String {
    let mut lines = vec![image.display().to_string()];
    match chain {
        Chain::Refused { file, reason } => {
            lines.push(format!("  ← {}: {reason}", file.display()));
        }
        _ => {
            for f in chain.files() {
                let name = f
                    .path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let mut line = crate::t!(
                    "backing-file-line",
                    file = name,
                    format = f.format.to_string(),
                    size = crate::data::stats::human_bytes(f.virtual_size),
                    folder = f.folder().display().to_string()
                );
                if !f.allowed {
                    line = format!("{line} — {}", crate::t!("backing-outside"));
                }
                lines.push(format!("  ← {line}"));
            }
        }
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests;
