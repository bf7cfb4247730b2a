//! Image locks: one VM writes an image, or any number of VMs read it — never both.
//!
//! We speak QEMU's lock protocol (its `file-posix` driver), so vmdesk VMs, QEMU and `qemu-img`
//! all see each other: open file description (OFD) locks, always shared (`F_RDLCK`), on single
//! bytes of the image file:
//!
//! - byte `100 + p` is held by everyone who *uses* permission `p`,
//! - byte `200 + p` is held by everyone who *refuses to share* permission `p`,
//!
//! with `p` = 0 consistent read, 1 write, 2 write-unchanged, 3 resize. After taking its bytes a
//! user tests (`F_OFD_GETLK` with `F_WRLCK`) the bytes of the other side: "does anyone refuse
//! what I use" and "does anyone use what I refuse". Taking first and testing second means two
//! users racing each other may both fail, but never both succeed.
//!
//! - A writable disk ([`LockMode::Exclusive`]) uses read + write and refuses write and resize:
//!   a second writer, or anyone reading it (a read-only disk, a backing file user, `qemu-img
//!   info` without `-U`), conflicts.
//! - A read-only disk or a backing file ([`LockMode::Shared`]) uses read and refuses write and
//!   resize: any number of readers coexist; a writer conflicts.
//!
//! OFD locks belong to the open file description, not the process: two disks of the same VM
//! conflict just like two VMs do, and closing another descriptor of the same file (imago keeps
//! its own) does not drop them. They vanish when the process dies, so a crashed VM never leaves
//! a stale lock behind.

use std::fs::File;
use std::io;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

const PERM_BASE: i64 = 100;
const SHARED_BASE: i64 = 200;
const PERM_CONSISTENT_READ: i64 = 0;
const PERM_WRITE: i64 = 1;
const PERM_WRITE_UNCHANGED: i64 = 2;
const PERM_RESIZE: i64 = 3;

/// How an image is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockMode {
    /// Read-only disks and backing files: other readers welcome, writers refused.
    Shared,
    /// Writable disks: nobody else may read or write the image.
    Exclusive,
}

impl LockMode {
    /// Permissions used (their bytes are held at PERM_BASE + p).
    fn uses(self) -> &'static [i64] {
        match self {
            LockMode::Shared => &[PERM_CONSISTENT_READ],
            LockMode::Exclusive => &[PERM_CONSISTENT_READ, PERM_WRITE, PERM_WRITE_UNCHANGED],
        }
    }
    /// Permissions refused to others (their bytes are held at SHARED_BASE + p).
    fn refuses(self) -> &'static [i64] {
        &[PERM_WRITE, PERM_RESIZE]
    }
}

/// A held lock; released when dropped.
#[derive(Debug)]
pub struct ImageLock {
    file: File,
    pub path: PathBuf,
    pub mode: LockMode,
}

impl Drop for ImageLock {
    fn drop(&mut self) {
        // Unlock explicitly rather than only closing: a child forked by another thread at this
        // moment holds the open file description (until its exec), and with it our locks.
        // SAFETY: an all-zero flock is valid; l_len 0 means "to the end of the file".
        let mut fl: libc::flock = unsafe { std::mem::zeroed() };
        fl.l_type = libc::F_UNLCK as libc::c_short;
        fl.l_whence = libc::SEEK_SET as libc::c_short;
        // SAFETY: the descriptor is open; fl is a valid flock.
        unsafe { libc::fcntl(self.file.as_raw_fd(), libc::F_OFD_SETLK, &mut fl) };
    }
}

fn flock(fd: i32, cmd: libc::c_int, ltype: libc::c_int, byte: i64) -> io::Result<libc::flock> {
    // SAFETY: an all-zero flock is a valid value; l_pid must be 0 for OFD locks.
    let mut fl: libc::flock = unsafe { std::mem::zeroed() };
    fl.l_type = ltype as libc::c_short;
    fl.l_whence = libc::SEEK_SET as libc::c_short;
    fl.l_start = byte;
    fl.l_len = 1;
    loop {
        // SAFETY: fd is an open descriptor and fl a valid flock the kernel may write back.
        let r = unsafe { libc::fcntl(fd, cmd, &mut fl) };
        if r == 0 {
            return Ok(fl);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// Whether another open file description holds a lock on `byte`.
fn taken_by_other(fd: i32, byte: i64) -> io::Result<bool> {
    let fl = flock(fd, libc::F_OFD_GETLK, libc::F_WRLCK, byte)?;
    Ok(fl.l_type != libc::F_UNLCK as libc::c_short)
}

/// Why a lock could not be had.
#[derive(Debug)]
pub enum LockError {
    /// Someone else uses the image in a way that conflicts with `mode`.
    InUse,
    Io(io::Error),
}

/// The filesystem cannot lock (some network filesystems): like QEMU, we go on without.
fn unsupported(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::ENOLCK) | Some(libc::EOPNOTSUPP) | Some(libc::ENOSYS)
    )
}

/// Tells whether taking `mode` on `file` would conflict with a current user.
pub fn conflicts(file: &File, mode: LockMode) -> Result<bool, io::Error> {
    let fd = file.as_raw_fd();
    let mut refused_by_others = Vec::new();
    for &p in mode.uses() {
        refused_by_others.push(SHARED_BASE + p);
    }
    for &p in mode.refuses() {
        refused_by_others.push(PERM_BASE + p);
    }
    for byte in refused_by_others {
        match taken_by_other(fd, byte) {
            Ok(true) => return Ok(true),
            Ok(false) => {}
            Err(e) if unsupported(&e) => return Ok(false),
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}

impl ImageLock {
    /// The file the lock is on (to verify it is the file that was checked).
    pub(super) fn file(&self) -> &File {
        &self.file
    }

    /// Turns an `Exclusive` lock into a `Shared` one in place, by releasing only the bytes of
    /// the write permissions: the image is never unlocked in between, so nobody can start
    /// writing it. Used when a snapshot freezes the image a VM was writing (it becomes the
    /// read-only backing file of a new overlay).
    pub fn downgrade(&mut self) -> io::Result<()> {
        if self.mode == LockMode::Shared {
            return Ok(());
        }
        let fd = self.file.as_raw_fd();
        for p in [PERM_WRITE, PERM_WRITE_UNCHANGED] {
            match flock(fd, libc::F_OFD_SETLK, libc::F_UNLCK, PERM_BASE + p) {
                Ok(_) => {}
                Err(e) if unsupported(&e) => {}
                Err(e) => return Err(e),
            }
        }
        self.mode = LockMode::Shared;
        Ok(())
    }

    /// Undoes [`ImageLock::downgrade`] (a snapshot that could not switch to its new overlay
    /// goes on writing the old image). Fails if someone started reading the image meanwhile.
    pub fn upgrade(&mut self) -> Result<(), LockError> {
        if self.mode == LockMode::Exclusive {
            return Ok(());
        }
        let fd = self.file.as_raw_fd();
        for p in [PERM_WRITE, PERM_WRITE_UNCHANGED] {
            match flock(fd, libc::F_OFD_SETLK, libc::F_RDLCK, PERM_BASE + p) {
                Ok(_) => {}
                Err(e) if unsupported(&e) => {}
                Err(e) if matches!(e.raw_os_error(), Some(libc::EAGAIN) | Some(libc::EACCES)) => {
                    return Err(LockError::InUse)
                }
                Err(e) => return Err(LockError::Io(e)),
            }
        }
        self.mode = LockMode::Exclusive;
        let res = match conflicts(&self.file, LockMode::Exclusive) {
            Ok(false) => return Ok(()),
            Ok(true) => Err(LockError::InUse),
            Err(e) => Err(LockError::Io(e)),
        };
        let _ = self.downgrade();
        res
    }
}

/// Takes the lock bytes for `mode` on `path` (opened read-only: the lock needs only that), then
/// checks nobody conflicts.
pub fn lock(path: &Path, mode: LockMode) -> Result<ImageLock, LockError> {
    let held = ImageLock {
        // Never waits: a FIFO is refused by the checks that follow the lock.
        file: crate::util::open_no_wait(path).map_err(LockError::Io)?,
        path: path.to_path_buf(),
        mode,
    };
    // From here on, dropping `held` (on any error) releases what was taken.
    let fd = held.file.as_raw_fd();
    let bytes = mode
        .uses()
        .iter()
        .map(|p| PERM_BASE + p)
        .chain(mode.refuses().iter().map(|p| SHARED_BASE + p));
    for byte in bytes {
        match flock(fd, libc::F_OFD_SETLK, libc::F_RDLCK, byte) {
            Ok(_) => {}
            // Someone holds an exclusive lock on the byte: not QEMU's protocol, but still a user.
            Err(e) if matches!(e.raw_os_error(), Some(libc::EAGAIN) | Some(libc::EACCES)) => {
                return Err(LockError::InUse)
            }
            Err(e) if unsupported(&e) => {
                crate::log_line!(
                    "vmdesk-vmm: warning: {}: the filesystem cannot lock files ({e}); \
                     nothing stops another VM from using this image at the same time",
                    path.display()
                );
                return Ok(held);
            }
            Err(e) => return Err(LockError::Io(e)),
        }
    }
    match conflicts(&held.file, mode) {
        Ok(true) => Err(LockError::InUse),
        Ok(false) => Ok(held),
        Err(e) => Err(LockError::Io(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_share_writers_exclude() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("img");
        std::fs::write(&p, vec![0u8; 4096]).unwrap();
        let r1 = lock(&p, LockMode::Shared).unwrap();
        let r2 = lock(&p, LockMode::Shared).unwrap();
        assert!(matches!(
            lock(&p, LockMode::Exclusive),
            Err(LockError::InUse)
        ));
        drop((r1, r2));
        let w = lock(&p, LockMode::Exclusive).unwrap();
        assert!(matches!(lock(&p, LockMode::Shared), Err(LockError::InUse)));
        assert!(matches!(
            lock(&p, LockMode::Exclusive),
            Err(LockError::InUse)
        ));
        assert!(conflicts(&File::open(&p).unwrap(), LockMode::Shared).unwrap());
        drop(w);
        assert!(!conflicts(&File::open(&p).unwrap(), LockMode::Exclusive).unwrap());
        lock(&p, LockMode::Exclusive).unwrap();
    }

    #[test]
    fn downgrade_lets_readers_in_and_upgrade_takes_the_image_back() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("img");
        std::fs::write(&p, vec![0u8; 4096]).unwrap();
        let mut w = lock(&p, LockMode::Exclusive).unwrap();
        assert!(matches!(lock(&p, LockMode::Shared), Err(LockError::InUse)));
        w.downgrade().unwrap();
        assert_eq!(w.mode, LockMode::Shared);
        // Still refuses writers: the image is frozen, not free.
        assert!(matches!(
            lock(&p, LockMode::Exclusive),
            Err(LockError::InUse)
        ));
        let r = lock(&p, LockMode::Shared).unwrap();
        assert!(w.upgrade().is_err(), "a reader came in meanwhile");
        drop(r);
        w.upgrade().unwrap();
        assert!(matches!(lock(&p, LockMode::Shared), Err(LockError::InUse)));
    }
}
