//! Small helpers shared across the crate.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

/// Writes `data` to `path` atomically: a temp file in the same folder, fsync, rename, fsync dir.
/// A crash leaves either the old file or the new one, never a torn one.
pub fn write_atomic(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other(format!("{} has no file name", path.display())))?;
    write_atomic_with(dir, name, data, |tmp| fs::rename(tmp, path))
}

/// Writes `data` to a new temp file in `dir` (mode 0600: VM files are nobody else's business)
/// and hands it to `place`; removes it if anything fails.
fn write_atomic_with(
    dir: &Path,
    name: &std::ffi::OsStr,
    data: &[u8],
    place: impl FnOnce(&Path) -> io::Result<()>,
) -> io::Result<()> {
    // A new file (O_EXCL never follows a symlink someone planted under the temp name).
    let mut attempt = 0u32;
    let (tmp, mut f) = loop {
        let tmp = dir.join(format!(
            ".{}.tmp-{}-{attempt}",
            name.to_string_lossy(),
            std::process::id()
        ));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
        {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 16 => attempt += 1,
            Err(e) => return Err(e),
        }
    };
    let res = (|| {
        f.write_all(data)?;
        f.sync_all()?;
        place(&tmp)?;
        File::open(dir)?.sync_all()
    })();
    if res.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    res
}

/// [`write_atomic`] for a path a client names (a screenshot): writes a new file, or replaces
/// a regular file of ours in a folder of ours, and nothing else. Renaming over a device node,
/// a FIFO, a symlink or another user's file would destroy it (`/dev/null` was replaced once).
pub fn write_atomic_new_or_own(path: &Path, data: &[u8]) -> io::Result<()> {
    let refuse = |why: String| io::Error::new(io::ErrorKind::AlreadyExists, why);
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::other(format!("{} has no file name", path.display())))?;
    // SAFETY: geteuid cannot fail.
    let me = unsafe { libc::geteuid() };
    let existing = match fs::symlink_metadata(path) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let Some(m) = existing else {
        // Only where nothing is: a file that appeared meanwhile stays.
        return write_atomic_with(dir, name, data, |tmp| rename_noreplace(tmp, path));
    };
    let kind = file_kind(&m.file_type());
    if !m.file_type().is_file() {
        return Err(refuse(format!(
            "{} exists and is a {kind}: not replaced",
            path.display()
        )));
    }
    let dir_owner = fs::metadata(dir)?.uid();
    if m.uid() != me || dir_owner != me || m.nlink() != 1 {
        return Err(refuse(format!(
            "{} exists and is not a file of this user in a folder of this user: not replaced",
            path.display()
        )));
    }
    write_atomic_with(dir, name, data, |tmp| fs::rename(tmp, path))
}

/// `rename(from, to)` that fails with `AlreadyExists` instead of replacing `to`.
fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        std::ffi::CString::new(p.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path has a NUL byte"))
    };
    let (from, to) = (c(from)?, c(to)?);
    // SAFETY: two valid NUL-terminated paths; renameat2 only reads them.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            from.as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            libc::RENAME_NOREPLACE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// A file type in words, for errors ("a FIFO", "a directory").
pub fn file_kind(t: &fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_file() {
        "regular file"
    } else if t.is_dir() {
        "directory"
    } else if t.is_symlink() {
        "symbolic link"
    } else if t.is_fifo() {
        "FIFO"
    } else if t.is_socket() {
        "socket"
    } else if t.is_char_device() {
        "character device"
    } else if t.is_block_device() {
        "block device"
    } else {
        "special file"
    }
}

/// Creates folder `path` and any missing parents, mode 0700 whatever the umask (a VM's folder
/// holds its RAM and disks). An existing `path` of ours is made 0700 too; parents that existed
/// are left as they are.
pub fn create_private_dir_all(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)?;
    make_private(path, 0o700)
}

/// Creates folder `path` (not its parents), mode 0700; fails if it exists.
pub fn create_private_dir(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new().mode(0o700).create(path)?;
    make_private(path, 0o700)
}

/// Sets `mode` on `path` if it is ours and others have any access (umask-proof).
pub fn make_private(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let m = fs::metadata(path)?;
    // SAFETY: geteuid cannot fail.
    if m.uid() == unsafe { libc::geteuid() } && m.mode() & 0o7777 != mode {
        fs::set_permissions(path, fs::Permissions::from_mode(mode))?;
    }
    Ok(())
}

/// `fs::write` with mode 0600 for a new file (files inside a folder being made, published
/// later by renaming the folder).
pub fn write_private(path: &Path, data: &[u8]) -> io::Result<()> {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?
        .write_all(data)
}

/// Creates (or truncates) the log file at `path`, mode 0600, and opens it for writing; refuses
/// anything but a regular file without waiting (a FIFO's open would block until a reader
/// comes). An existing log of ours that others could read becomes 0600 too.
pub fn create_private_file(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::PermissionsExt;
    let not_regular = |t: &fs::FileType| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("is a {}, not a regular file", file_kind(t)),
        )
    };
    // Checked before the open: O_TRUNC must reach nothing but a regular file.
    match fs::metadata(path) {
        Ok(m) if !m.is_file() => return Err(not_regular(&m.file_type())),
        _ => {}
    }
    let f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    let m = f.metadata()?;
    if !m.is_file() {
        return Err(not_regular(&m.file_type()));
    }
    // SAFETY: geteuid cannot fail.
    if m.uid() == unsafe { libc::geteuid() } && m.mode() & 0o077 != 0 {
        f.set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    Ok(f)
}

/// Opens `path` for reading without waiting: opening a FIFO blocks until a writer comes (for a
/// hostile path, forever). `O_NONBLOCK` changes nothing for regular files and block devices,
/// so callers check the type (`metadata()`) before they read anything else.
pub fn open_no_wait(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
}

/// Opens `path` for reading if it is a regular file; anything else (a FIFO, a device, a
/// folder) is an `InvalidInput` error saying what it is.
pub fn open_regular(path: &Path) -> io::Result<File> {
    let f = open_no_wait(path)?;
    let t = f.metadata()?.file_type();
    if !t.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("is a {}, not a regular file", file_kind(&t)),
        ));
    }
    Ok(f)
}

/// Reads the regular file at `path` whole if it has at most `max` bytes (a file that grows
/// while read is cut off there and refused too): `/dev/zero` or a huge file never fills memory.
pub fn read_regular(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    let f = open_regular(path)?;
    let too_big = |len: u64| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("is {len} bytes, more than the {max} allowed"),
        )
    };
    let len = f.metadata()?.len();
    if len > max {
        return Err(too_big(len));
    }
    let mut data = Vec::with_capacity(len as usize);
    f.take(max + 1).read_to_end(&mut data)?;
    if data.len() as u64 > max {
        return Err(too_big(data.len() as u64));
    }
    Ok(data)
}

/// Locks a mutex even if another thread panicked while holding it: device state stays usable,
/// and one crashed thread must not take the whole VM down with a second panic.
pub fn lock<T: ?Sized>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mkfifo(p: &Path) {
        let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    }

    #[test]
    fn atomic_writes_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        write_atomic(&p, b"x").unwrap();
        let mode = fs::metadata(&p).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        // A symlink planted under a temp name is not followed.
        let victim = dir.path().join("victim");
        fs::write(&victim, b"keep").unwrap();
        let tmp = dir.path().join(format!(".f.tmp-{}-0", std::process::id()));
        std::os::unix::fs::symlink(&victim, &tmp).unwrap();
        write_atomic(&p, b"y").unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"keep");
        assert_eq!(fs::read(&p).unwrap(), b"y");
    }

    #[test]
    fn client_named_files_replace_only_our_regular_files() {
        let dir = tempfile::tempdir().unwrap();
        let new = dir.path().join("new.png");
        write_atomic_new_or_own(&new, b"1").unwrap();
        write_atomic_new_or_own(&new, b"2").unwrap();
        assert_eq!(fs::read(&new).unwrap(), b"2");

        let target = dir.path().join("target");
        fs::write(&target, b"keep").unwrap();
        let link = dir.path().join("link.png");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let fifo = dir.path().join("fifo.png");
        mkfifo(&fifo);
        let sub = dir.path().join("sub.png");
        fs::create_dir(&sub).unwrap();
        let hard = dir.path().join("hard.png");
        fs::hard_link(&target, &hard).unwrap();
        for p in [&link, &fifo, &sub, &hard] {
            let e = write_atomic_new_or_own(p, b"x").expect_err(&p.display().to_string());
            assert!(e.to_string().contains("not replaced"), "{e}");
        }
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert!(fs::symlink_metadata(&sub).unwrap().is_dir());
        assert_eq!(fs::read(&target).unwrap(), b"keep");
        // Nothing left behind.
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 6, "{names:?}");
    }

    #[test]
    fn a_device_node_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let null = dir.path().join("null");
        let c = std::ffi::CString::new(null.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path; makes a char device 1:3 like /dev/null.
        if unsafe { libc::mknod(c.as_ptr(), libc::S_IFCHR | 0o666, libc::makedev(1, 3)) } != 0 {
            eprintln!("skipped: cannot mknod here (not root)");
            return;
        }
        let e = write_atomic_new_or_own(&null, b"png").unwrap_err();
        assert!(e.to_string().contains("character device"), "{e}");
        use std::os::unix::fs::FileTypeExt;
        assert!(fs::symlink_metadata(&null)
            .unwrap()
            .file_type()
            .is_char_device());
    }

    #[test]
    fn logs_are_private_regular_files_and_never_wait() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("serial.log");
        fs::write(&log, b"old").unwrap();
        fs::set_permissions(&log, fs::Permissions::from_mode(0o644)).unwrap();
        create_private_file(&log)
            .unwrap()
            .write_all(b"new")
            .unwrap();
        assert_eq!(fs::read(&log).unwrap(), b"new");
        let mode = fs::metadata(&log).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        let fifo = dir.path().join("fifo");
        mkfifo(&fifo);
        let e = create_private_file(&fifo).unwrap_err();
        assert!(e.to_string().contains("FIFO"), "{e}");
        let e = create_private_file(Path::new("/dev/null")).unwrap_err();
        assert!(e.to_string().contains("character device"), "{e}");
        let sub = dir.path().join("a/b");
        create_private_dir_all(&sub).unwrap();
        for p in [&sub, &dir.path().join("a")] {
            let mode = fs::metadata(p).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700, "{} {mode:o}", p.display());
        }
    }

    #[test]
    fn fifos_and_endless_files_are_refused_without_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        mkfifo(&fifo);
        // Returns (a blocking open would hang here with no writer).
        let e = open_regular(&fifo).unwrap_err();
        assert!(e.to_string().contains("FIFO"), "{e}");
        let e = read_regular(Path::new("/dev/zero"), 1 << 20).unwrap_err();
        assert!(e.to_string().contains("character device"), "{e}");
        let big = dir.path().join("big");
        fs::write(&big, vec![0u8; 100]).unwrap();
        let e = read_regular(&big, 99).unwrap_err();
        assert!(e.to_string().contains("more than the 99 allowed"), "{e}");
        assert_eq!(read_regular(&big, 100).unwrap().len(), 100);
    }
}
