//! Guest memory in a snapshot: a sparse file holding only the pages the guest touched, and a
//! lazy restore that maps that file copy-on-write over guest RAM, so reverting costs the same
//! whatever the memory size.

use super::SnapshotError;
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::Path;
use vm_memory::{GuestMemoryBackend, GuestMemoryMmap, GuestMemoryRegion};

const PAGE: usize = 4096;

/// Which pages of each region the memory file holds (bit set = page stored).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct MemoryIndex {
    /// Per region: guest-physical start, length, bitmap of stored pages.
    pub regions: Vec<(u64, u64, Vec<u64>)>,
    pub stored_pages: u64,
    /// CRC32 over the stored pages, in order.
    pub crc: u32,
}

fn bit(b: &[u64], i: usize) -> bool {
    b.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
}

/// Pages of `[ptr, ptr+len)` the process has touched (present or swapped), from
/// /proc/self/pagemap — unlike mincore, this also counts swapped-out pages.
fn touched_pages(ptr: usize, len: usize) -> Result<Vec<u64>, String> {
    let pages = len / PAGE;
    let mut f = File::open("/proc/self/pagemap").map_err(|e| format!("pagemap: {e}"))?;
    f.seek(SeekFrom::Start((ptr / PAGE * 8) as u64))
        .map_err(|e| format!("pagemap: {e}"))?;
    let mut raw = vec![0u8; pages * 8];
    f.read_exact(&mut raw)
        .map_err(|e| format!("pagemap: {e}"))?;
    let mut bits = vec![0u64; pages.div_ceil(64)];
    for (i, e) in raw.chunks_exact(8).enumerate() {
        let v = u64::from_le_bytes(e.try_into().expect("8 bytes"));
        if v & (3 << 62) != 0 {
            bits[i / 64] |= 1 << (i % 64);
        }
    }
    Ok(bits)
}

/// Touched, non-zero pages copied out of guest RAM, waiting to be written.
pub struct Captured {
    /// Per region: guest-physical start, length, bitmap of captured pages.
    regions: Vec<(u64, u64, Vec<u64>)>,
    /// Runs of consecutive pages: (offset in the memory file, bytes).
    runs: Vec<(u64, Vec<u8>)>,
    pages: u64,
    file_len: u64,
}

/// Copies touched, non-zero pages out of guest RAM: the only part of a save that needs the
/// vCPUs paused (a memcpy, not file I/O). `base` is the index of the file the memory was last
/// restored from: its pages count as touched even if not faulted in yet.
pub fn capture(mem: &GuestMemoryMmap, base: Option<&MemoryIndex>) -> Result<Captured, String> {
    let mut c = Captured {
        regions: Vec::new(),
        runs: Vec::new(),
        pages: 0,
        file_len: 0,
    };
    let zero = [0u8; PAGE];
    for (ri, region) in mem.iter().enumerate() {
        let ptr = region.as_ptr() as usize;
        let len = region.len() as usize;
        let mut touched = touched_pages(ptr, len)?;
        if let Some((_, _, b)) = base.and_then(|b| b.regions.get(ri)) {
            for (t, x) in touched.iter_mut().zip(b) {
                *t |= x;
            }
        }
        let mut stored = vec![0u64; touched.len()];
        let mut run: Option<usize> = None;
        let file_off = c.file_len;
        let flush = |start: usize, end: usize, runs: &mut Vec<(u64, Vec<u8>)>| {
            // SAFETY: pages start..end lie inside the region's live mapping; vCPUs are paused.
            let bytes = unsafe {
                std::slice::from_raw_parts((ptr + start * PAGE) as *const u8, (end - start) * PAGE)
            };
            runs.push((file_off + (start * PAGE) as u64, bytes.to_vec()));
        };
        for p in 0..len / PAGE {
            let keep = bit(&touched, p) && {
                // SAFETY: as above.
                let page =
                    unsafe { std::slice::from_raw_parts((ptr + p * PAGE) as *const u8, PAGE) };
                page != zero
            };
            if keep {
                stored[p / 64] |= 1 << (p % 64);
                c.pages += 1;
                run.get_or_insert(p);
            } else if let Some(start) = run.take() {
                flush(start, p, &mut c.runs);
            }
        }
        if let Some(start) = run.take() {
            flush(start, len / PAGE, &mut c.runs);
        }
        c.regions.push((region.start_addr().0, len as u64, stored));
        c.file_len += len as u64;
    }
    Ok(c)
}

impl Captured {
    /// Writes the captured pages to `path` (sparse) and returns the index with their CRC.
    /// Not fsynced: the caller syncs before publishing the snapshot.
    pub fn write(self, path: &Path) -> Result<MemoryIndex, SnapshotError> {
        // Guest RAM: nobody else's to read.
        let f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)
            .map_err(SnapshotError::io(path))?;
        let mut hasher = crc32fast::Hasher::new();
        for (off, bytes) in &self.runs {
            f.write_all_at(bytes, *off)
                .map_err(SnapshotError::io(path))?;
            hasher.update(bytes);
        }
        f.set_len(self.file_len).map_err(SnapshotError::io(path))?;
        Ok(MemoryIndex {
            regions: self.regions,
            stored_pages: self.pages,
            crc: hasher.finalize(),
        })
    }
}

/// Captures and writes in one go (for callers that do not split the pause).
pub fn save(
    mem: &GuestMemoryMmap,
    path: &Path,
    base: Option<&MemoryIndex>,
) -> Result<MemoryIndex, SnapshotError> {
    let captured = capture(mem, base).map_err(|msg| SnapshotError::Capture { msg })?;
    captured.write(path)
}

/// Whether `file` is the size of guest RAM and `index` has its regions.
fn check_size(
    mem: &GuestMemoryMmap,
    f: &File,
    path: &Path,
    index: &MemoryIndex,
) -> Result<(), SnapshotError> {
    let want: u64 = mem.iter().map(|r| r.len()).sum();
    let have = f.metadata().map_err(SnapshotError::io(path))?.len();
    let sizes_match = index.regions.len() == mem.num_regions()
        && index
            .regions
            .iter()
            .zip(mem.iter())
            .all(|((_, len, _), r)| *len == r.len());
    if have != want || !sizes_match {
        return Err(SnapshotError::MemorySize {
            path: path.to_path_buf(),
            have,
            want,
        });
    }
    Ok(())
}

/// Everything `restore` needs, checked without touching the VM: the file's size against guest
/// RAM and the stored pages' CRC. A live revert calls it before pausing, so a damaged memory
/// file leaves the running VM as it was.
pub fn check(mem: &GuestMemoryMmap, path: &Path, index: &MemoryIndex) -> Result<(), SnapshotError> {
    let f = File::open(path).map_err(SnapshotError::io(path))?;
    check_size(mem, &f, path, index)?;
    verify(path, index)
}

/// Maps `path` copy-on-write over guest RAM: pages load on first touch.
pub fn restore(
    mem: &GuestMemoryMmap,
    path: &Path,
    index: &MemoryIndex,
) -> Result<(), SnapshotError> {
    let f = File::open(path).map_err(SnapshotError::io(path))?;
    check_size(mem, &f, path, index)?;
    let mut file_off = 0i64;
    for region in mem.iter() {
        // SAFETY: replaces the pages of a mapping this process owns, at the same address and
        // length, with a private file mapping; KVM's MMU notifier drops stale guest mappings.
        let p = unsafe {
            libc::mmap(
                region.as_ptr().cast(),
                region.len() as usize,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_FIXED | libc::MAP_NORESERVE,
                f.as_raw_fd(),
                file_off,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(SnapshotError::Map {
                path: path.to_path_buf(),
                source: std::io::Error::last_os_error(),
            });
        }
        file_off += region.len() as i64;
    }
    Ok(())
}

/// Reads back the stored pages and checks their CRC (for a snapshot started in a new process).
pub fn verify(path: &Path, index: &MemoryIndex) -> Result<(), SnapshotError> {
    let f = File::open(path).map_err(SnapshotError::io(path))?;
    let mut hasher = crc32fast::Hasher::new();
    let mut page = vec![0u8; PAGE];
    let mut file_off = 0u64;
    for (_, len, bits) in &index.regions {
        for p in 0..(*len as usize / PAGE) {
            if bit(bits, p) {
                f.read_exact_at(&mut page, file_off + (p * PAGE) as u64)
                    .map_err(|source| SnapshotError::ShortRead {
                        path: path.to_path_buf(),
                        source,
                    })?;
                hasher.update(&page);
            }
        }
        file_off += len;
    }
    if hasher.finalize() != index.crc {
        return Err(SnapshotError::Checksum {
            path: path.to_path_buf(),
        });
    }
    // The whole file is mapped over guest RAM, so the pages it does not store must read as
    // zeroes too: the CRC covers only the stored ones.
    if !unstored_pages_are_zero(&f, index).map_err(SnapshotError::io(path))? {
        return Err(SnapshotError::Checksum {
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

/// Whether every page `index` does not store is zero in `f`. Only the file's data extents
/// (SEEK_DATA / SEEK_HOLE) are read: a sparse file's holes are zero by definition, so this
/// costs nothing for a file as we write it, and reads only what a copy made dense.
fn unstored_pages_are_zero(f: &File, index: &MemoryIndex) -> std::io::Result<bool> {
    let fd = f.as_raw_fd();
    let total: u64 = index.regions.iter().map(|(_, len, _)| *len).sum();
    let stored = |off: u64| {
        let mut base = 0u64;
        for (_, len, bits) in &index.regions {
            if off < base + len {
                return bit(bits, ((off - base) / PAGE as u64) as usize);
            }
            base += len;
        }
        false
    };
    let mut page = vec![0u8; PAGE];
    let mut off = 0u64;
    while off < total {
        // SAFETY: lseek on an fd we own; no memory is passed.
        let data = unsafe { libc::lseek(fd, off as i64, libc::SEEK_DATA) };
        if data < 0 {
            let e = std::io::Error::last_os_error();
            // ENXIO: no data past `off`.
            return if e.raw_os_error() == Some(libc::ENXIO) {
                Ok(true)
            } else {
                Err(e)
            };
        }
        // SAFETY: as above.
        let hole = unsafe { libc::lseek(fd, data, libc::SEEK_HOLE) };
        if hole < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let (data, hole) = (data as u64, (hole as u64).min(total));
        let mut p = data / PAGE as u64 * PAGE as u64;
        while p < hole {
            if !stored(p) {
                f.read_exact_at(&mut page, p)?;
                if page.iter().any(|&b| b != 0) {
                    return Ok(false);
                }
            }
            p += PAGE as u64;
        }
        off = hole.max(data + 1);
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use vm_memory::{Bytes, GuestAddress};

    #[test]
    fn sparse_save_then_lazy_restore_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let mem = GuestMemoryMmap::<()>::from_ranges(&[(GuestAddress(0), 4 << 20)]).unwrap();
        mem.write_obj(0xdead_beefu32, GuestAddress(0x1000)).unwrap();
        mem.write_obj(0x1234u16, GuestAddress(0x30_0000)).unwrap();
        mem.write_obj(0u8, GuestAddress(0x20_0000)).unwrap(); // touched but zero: not stored
        let path = dir.path().join("memory.bin");
        let idx = save(&mem, &path, None).unwrap();
        assert_eq!(idx.stored_pages, 2);
        verify(&path, &idx).unwrap();
        let used = std::fs::metadata(&path).unwrap();
        assert_eq!(used.len(), 4 << 20);

        mem.write_obj(0u32, GuestAddress(0x1000)).unwrap();
        mem.write_obj(7u8, GuestAddress(0x10_0000)).unwrap();
        restore(&mem, &path, &idx).unwrap();
        assert_eq!(
            mem.read_obj::<u32>(GuestAddress(0x1000)).unwrap(),
            0xdead_beef
        );
        assert_eq!(mem.read_obj::<u8>(GuestAddress(0x10_0000)).unwrap(), 0);
        assert_eq!(
            mem.read_obj::<u16>(GuestAddress(0x30_0000)).unwrap(),
            0x1234
        );

        // A second save after a restore keeps pages that were never faulted back in.
        let path2 = dir.path().join("memory2.bin");
        let idx2 = save(&mem, &path2, Some(&idx)).unwrap();
        assert_eq!(idx2.stored_pages, 2);
        let mut corrupt = std::fs::read(&path).unwrap();
        corrupt[0x1000] ^= 1;
        std::fs::write(&path, corrupt).unwrap();
        assert!(verify(&path, &idx)
            .unwrap_err()
            .to_string()
            .contains("checksum"));
    }

    /// The CRC covers the stored pages; the file is mapped whole, so a byte written into a page
    /// it does not store (a hole) would reach the guest: that is refused too. A copy that made
    /// the holes dense (zeroes as data) still verifies.
    #[test]
    fn bytes_in_pages_not_stored_are_refused_and_dense_zeroes_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let mem = GuestMemoryMmap::<()>::from_ranges(&[(GuestAddress(0), 4 << 20)]).unwrap();
        mem.write_obj(0xdead_beefu32, GuestAddress(0x1000)).unwrap();
        let path = dir.path().join("memory.bin");
        let idx = save(&mem, &path, None).unwrap();
        let good = std::fs::read(&path).unwrap();
        // A copy with every hole written out as zeroes.
        std::fs::write(&path, &good).unwrap();
        verify(&path, &idx).unwrap();
        for at in [0usize, 0x2000, 0x20_0123, (4 << 20) - 1] {
            let mut bad = good.clone();
            bad[at] ^= 0x10;
            let p = dir.path().join(format!("bad-{at}.bin"));
            std::fs::write(&p, &bad).unwrap();
            let e = verify(&p, &idx).unwrap_err().to_string();
            assert!(e.contains("checksum"), "byte {at:#x}: {e}");
        }
    }
}
