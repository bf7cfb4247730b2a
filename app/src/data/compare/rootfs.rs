//! The busybox root filesystem of the Linux test guest (`tests/linux/build-guest.sh` makes
//! `initramfs-<flavour>.cpio.gz`), unpacked into a folder: the container's overlay lower layer,
//! so the container runs the very files the VM boots from.
//!
//! The archive is input we did not write: every name stays inside `dest` (no `..`, no absolute
//! names, nothing written through a symlink an earlier entry made), and device nodes are skipped
//! (the container gets its own /dev).

use crate::data::error::at;
use flate2::read::GzDecoder;
use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::{self, BufRead, BufReader, Read};
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Component, Path, PathBuf};

/// What [`unpack`] wrote.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Unpacked {
    pub files: u64,
    pub dirs: u64,
    pub symlinks: u64,
    /// Device nodes, FIFOs and sockets the archive held (not made: see the module doc).
    pub skipped: u64,
}

/// The longest symlink target read from an archive (PATH_MAX).
const MAX_LINK: u32 = 4096;

/// Unpacks the gzip-compressed newc cpio `archive` (one or more archives back to back, as the
/// kernel accepts them) into the existing empty folder `dest`.
pub fn unpack(archive: &Path, dest: &Path) -> Result<Unpacked, String> {
    let file = fs::File::open(archive).map_err(at(archive))?;
    let mut input = BufReader::new(GzDecoder::new(file));
    let mut done = Unpacked::default();
    let mut links: HashSet<PathBuf> = HashSet::new();
    // newc keeps a hard-linked file's data with its last name; the earlier names wait here.
    let mut pending_hardlinks: HashMap<(u32, u32, u32), Vec<PathBuf>> = HashMap::new();
    loop {
        // Archives are padded with NULs to a block between each other and at the end.
        if !skip_nuls(&mut input).map_err(at(archive))? {
            break;
        }
        let mut entry = cpio::newc::Reader::new(input).map_err(at(archive))?;
        let e = entry.entry().clone();
        if e.is_trailer() {
            input = entry.finish().map_err(at(archive))?;
            continue;
        }
        let rel = safe_name(e.name(), &links)
            .ok_or_else(|| format!("{}: unsafe entry name {:?}", archive.display(), e.name()))?;
        let path = dest.join(&rel);
        match e.mode() & 0o170000 {
            0o040000 => {
                if !path.is_dir() {
                    fs::create_dir(&path).map_err(at(&path))?;
                }
                fs::set_permissions(&path, fs::Permissions::from_mode(e.mode() & 0o7777))
                    .map_err(at(&path))?;
                done.dirs += 1;
            }
            0o120000 => {
                if e.file_size() > MAX_LINK {
                    return Err(format!("{}: symlink target too long", path.display()));
                }
                let mut target = String::new();
                entry.read_to_string(&mut target).map_err(at(archive))?;
                symlink(&target, &path).map_err(at(&path))?;
                links.insert(rel);
                done.symlinks += 1;
            }
            0o100000 => {
                let key = (e.dev_major(), e.dev_minor(), e.ino());
                if e.nlink() > 1 && e.file_size() == 0 {
                    pending_hardlinks.entry(key).or_default().push(path);
                    input = entry.finish().map_err(at(archive))?;
                    continue;
                }
                // create_new: never through an existing file or symlink.
                let mut out = fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&path)
                    .map_err(at(&path))?;
                io::copy(&mut entry, &mut out).map_err(at(&path))?;
                fs::set_permissions(&path, fs::Permissions::from_mode(e.mode() & 0o7777))
                    .map_err(at(&path))?;
                for other in pending_hardlinks.remove(&key).unwrap_or_default() {
                    fs::hard_link(&path, &other).map_err(at(&other))?;
                    done.files += 1;
                }
                done.files += 1;
            }
            _ => done.skipped += 1,
        }
        input = entry.finish().map_err(at(archive))?;
    }
    if done.files == 0 {
        return Err(format!("{}: no files in the archive", archive.display()));
    }
    Ok(done)
}

/// Skips NUL padding; false at the end of the input.
fn skip_nuls(input: &mut impl BufRead) -> io::Result<bool> {
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            return Ok(false);
        }
        let n = buf.iter().take_while(|b| **b == 0).count();
        let more = n == buf.len();
        input.consume(n);
        if !more {
            return Ok(true);
        }
    }
}

/// `name` as a relative path inside the destination, or None when it would leave it or go
/// through a symlink the archive made.
fn safe_name(name: &str, links: &HashSet<PathBuf>) -> Option<PathBuf> {
    let mut rel = PathBuf::new();
    for c in Path::new(name).components() {
        match c {
            Component::Normal(part) => {
                if links.contains(&rel) && !rel.as_os_str().is_empty() {
                    return None;
                }
                rel.push(part);
            }
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!rel.as_os_str().is_empty()).then_some(rel)
}

/// Bytes the files under `dir` take on disk (allocated blocks; hard links counted once).
pub fn disk_usage(dir: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let mut seen = HashSet::new();
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = fs::read_dir(&d) else { continue };
        for entry in rd.flatten() {
            let Ok(m) = entry.path().symlink_metadata() else {
                continue;
            };
            if m.is_dir() {
                stack.push(entry.path());
            }
            if seen.insert((m.dev(), m.ino())) {
                total += m.blocks() * 512;
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn archive(entries: &[(&str, u32, &[u8])]) -> Vec<u8> {
        let mut raw = Vec::new();
        for (i, (name, mode, data)) in entries.iter().enumerate() {
            let mut w = cpio::newc::Builder::new(name)
                .mode(*mode)
                .ino(i as u32 + 1)
                .nlink(1)
                .write(&mut raw, data.len() as u32);
            w.write_all(data).unwrap();
            w.finish().unwrap();
        }
        cpio::newc::trailer(&mut raw).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&raw).unwrap();
        gz.finish().unwrap()
    }

    #[test]
    fn unpacks_files_dirs_and_symlinks_and_refuses_escapes() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.cpio.gz");
        fs::write(
            &a,
            archive(&[
                ("bin", 0o040755, b""),
                ("bin/busybox", 0o100755, b"\x7fELF"),
                ("bin/sh", 0o120777, b"busybox"),
                ("dev/console", 0o020600, b""),
            ]),
        )
        .unwrap();
        let out = dir.path().join("root");
        fs::create_dir(&out).unwrap();
        let u = unpack(&a, &out).unwrap();
        assert_eq!((u.files, u.dirs, u.symlinks, u.skipped), (1, 1, 1, 1));
        assert_eq!(fs::read(out.join("bin/busybox")).unwrap(), b"\x7fELF");
        assert_eq!(
            fs::read_link(out.join("bin/sh")).unwrap(),
            Path::new("busybox")
        );

        for evil in ["../x", "/etc/x", "l/x"] {
            let b = dir.path().join("b.cpio.gz");
            fs::write(
                &b,
                archive(&[("l", 0o120777, b"/tmp"), (evil, 0o100644, b"x")]),
            )
            .unwrap();
            let out = tempfile::tempdir().unwrap();
            let e = unpack(&b, out.path()).unwrap_err();
            assert!(e.contains("unsafe entry name"), "{evil}: {e}");
        }
    }
}
