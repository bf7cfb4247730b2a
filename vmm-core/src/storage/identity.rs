//! The file a checked name was, so that later opens get that file and no other.
//!
//! A chain is checked by name ([`super::BackingPolicy::check`]: real path, place, file type)
//! and then opened. Whoever can write the image's folder could swap a checked backing file for
//! a symlink to `/etc/shadow` between the two (a TOCTOU race). So the check records the file's
//! device and inode, every open that follows is verified against them on the open fd, and imago
//! is handed those fds ([`imago::file::File::from_open_file`]), never a name to open again.

use super::{ErrorKind, StorageError};
use std::fs::{File, Metadata, OpenOptions};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

/// A file's device and inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FileId {
    dev: u64,
    ino: u64,
}

impl FileId {
    pub(super) fn of(m: &Metadata) -> FileId {
        FileId {
            dev: m.dev(),
            ino: m.ino(),
        }
    }
}

/// The error for a name that no longer is the file that was checked.
pub(super) fn swapped(path: &Path, ctx: &dyn Fn(String) -> String) -> StorageError {
    StorageError::new(
        ErrorKind::BackingRefused,
        path,
        ctx(
            "was replaced by another file between its check and its opening; not using it \
             (if nobody is changing the folder, try again)"
                .into(),
        ),
    )
}

/// Opens `path` (never waiting: a FIFO swapped in does not block us) and makes sure it is the
/// file `id` (when given) and a regular file or block device, judged on the fd.
pub(super) fn open_checked(
    path: &Path,
    writable: bool,
    id: Option<FileId>,
    ctx: &dyn Fn(String) -> String,
) -> Result<(File, Metadata), StorageError> {
    let f = OpenOptions::new()
        .read(true)
        .write(writable)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| {
            if writable && e.kind() == std::io::ErrorKind::PermissionDenied {
                StorageError::new(
                    ErrorKind::Invalid,
                    path,
                    format!("is not writable ({e}); make it writable or set read_only = true"),
                )
            } else {
                StorageError::io(path, &ctx("cannot open".into()), e)
            }
        })?;
    let meta = f
        .metadata()
        .map_err(|e| StorageError::io(path, &ctx("cannot access".into()), e))?;
    if id.is_some_and(|id| id != FileId::of(&meta)) {
        return Err(swapped(path, ctx));
    }
    use std::os::unix::fs::FileTypeExt;
    if !meta.is_file() && !meta.file_type().is_block_device() {
        return Err(StorageError::new(
            ErrorKind::Invalid,
            path,
            ctx("is neither a regular file nor a block device".into()),
        ));
    }
    Ok((f, meta))
}

/// Moments between a check and an open, where tests swap files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stage {
    /// A backing file's name was checked; nothing has opened it yet.
    Checked,
    /// The whole chain was walked; imago has not been given it yet.
    Walked,
}

#[cfg(test)]
type Hook = Box<dyn FnMut(Stage, &Path)>;

#[cfg(test)]
thread_local! {
    static HOOK: std::cell::RefCell<Option<Hook>> = std::cell::RefCell::new(None);
}

/// Runs the test hook (a no-op outside tests).
pub(super) fn hook(_stage: Stage, _path: &Path) {
    #[cfg(test)]
    HOOK.with(|h| {
        if let Some(f) = h.borrow_mut().as_mut() {
            f(_stage, _path)
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{create_linked_clone, BackingPolicy, Disk, ImageFormat};

    fn set_hook(f: impl FnMut(Stage, &Path) + 'static) {
        HOOK.with(|h| *h.borrow_mut() = Some(Box::new(f)));
    }

    fn clear_hook() {
        HOOK.with(|h| *h.borrow_mut() = None);
    }

    /// A qcow2 overlay `top.qcow2` of the raw `base.raw` in `vms/`, and a secret file
    /// elsewhere that no backing chain may reach.
    fn chain() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let vms = dir.path().join("vms");
        std::fs::create_dir(&vms).unwrap();
        std::fs::write(vms.join("base.raw"), vec![0u8; 1 << 20]).unwrap();
        std::fs::write(dir.path().join("secret"), vec![b'S'; 1 << 20]).unwrap();
        let top = vms.join("top.qcow2");
        create_linked_clone(&top, &vms.join("base.raw")).unwrap();
        (dir, top, vms.join("base.raw"))
    }

    /// Replaces `base` by a symlink to the secret (as an attacker writing the folder would).
    fn swap(base: &Path) {
        let secret = base.parent().unwrap().parent().unwrap().join("secret");
        std::fs::remove_file(base).unwrap();
        std::os::unix::fs::symlink(secret, base).unwrap();
    }

    fn open_swapping_at(stage: Stage) -> Result<Disk, StorageError> {
        let (_dir, top, base) = chain();
        let mut done = false;
        let b = base.clone();
        set_hook(move |s, _| {
            if s == stage && !done {
                done = true;
                swap(&b);
            }
        });
        let r = Disk::open_with(
            &top,
            Some(ImageFormat::Qcow2),
            true,
            &BackingPolicy::for_image(&top),
        );
        clear_hook();
        r
    }

    #[test]
    fn the_chain_opens_when_nothing_is_swapped() {
        let (_dir, top, _) = chain();
        set_hook(|_, _| {});
        let d = Disk::open_with(&top, None, true, &BackingPolicy::for_image(&top)).unwrap();
        clear_hook();
        assert_eq!(d.size(), 1 << 20);
        let mut buf = vec![1u8; 512];
        d.read(&mut buf, 0).unwrap();
        assert_eq!(buf, vec![0u8; 512]);
    }

    #[test]
    fn a_backing_file_swapped_after_its_check_is_refused() {
        let e = open_swapping_at(Stage::Checked).unwrap_err();
        assert_eq!(e.kind, ErrorKind::BackingRefused, "{e}");
        assert!(e.to_string().contains("replaced"), "{e}");
    }

    #[test]
    fn a_backing_file_swapped_before_imago_opens_it_is_refused() {
        let e = open_swapping_at(Stage::Walked).unwrap_err();
        assert_eq!(e.kind, ErrorKind::BackingRefused, "{e}");
        assert!(e.to_string().contains("replaced"), "{e}");
    }

    #[test]
    fn without_a_swap_the_secret_is_refused_by_the_check_itself() {
        let (_dir, top, base) = chain();
        swap(&base);
        let e = Disk::open_with(&top, None, true, &BackingPolicy::for_image(&top)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::BackingRefused, "{e}");
    }
}
