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
static ZERO_PAGE: [u8; PAGE] = [0; PAGE];

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
    /// Pages copied again by [`Captured::recopy`], by offset in the memory file; `None`: the
    /// page is zero now. They replace what `runs` holds at that offset.
    fresh: std::collections::BTreeMap<u64, Option<Vec<u8>>>,
    pages: u64,
    file_len: u64,
}

/// The memory file guest RAM was last restored from (mapped copy-on-write over it), kept open:
/// its pages count as touched in the next save even if the guest never faulted them in, and
/// those are read from the file rather than through the mapping (a read through the mapping
/// would fault each one in, and a live save's write watch would count that as a write).
#[derive(Clone)]
pub struct Base {
    pub index: MemoryIndex,
    pub file: std::sync::Arc<File>,
}

/// Copies touched, non-zero pages out of guest RAM (and pages of `base` not faulted in yet,
/// out of its file). `resident`: per region, the pages that are there (present or swapped);
/// `None`: read from /proc/self/pagemap (not under a write watch, which it misreports).
///
/// With the vCPUs paused, this is the instant's memory. With them running (a live save's
/// pre-copy), a page may change while it is read: every page written meanwhile must then be
/// copied again, paused, by [`Captured::recopy`].
pub fn capture(
    mem: &GuestMemoryMmap,
    base: Option<&Base>,
    resident: Option<&[Vec<u64>]>,
) -> Result<Captured, String> {
    let mut c = Captured {
        regions: Vec::new(),
        runs: Vec::new(),
        fresh: Default::default(),
        pages: 0,
        file_len: 0,
    };
    let mut buf = vec![0u8; PAGE];
    for (ri, region) in mem.iter().enumerate() {
        let ptr = region.as_ptr() as usize;
        let len = region.len() as usize;
        let resident = match resident.and_then(|r| r.get(ri)) {
            Some(r) => r.clone(),
            None => touched_pages(ptr, len)?,
        };
        let from_base = base.and_then(|b| b.index.regions.get(ri).map(|(_, _, bits)| (b, bits)));
        let mut stored = vec![0u64; resident.len()];
        let mut run: Option<(u64, Vec<u8>)> = None;
        for p in 0..len / PAGE {
            let page = if bit(&resident, p) {
                // SAFETY: page p lies inside the region's live mapping (never unmapped). If
                // the guest runs, the bytes may be torn: such pages are copied again (above).
                Some(unsafe { std::slice::from_raw_parts((ptr + p * PAGE) as *const u8, PAGE) })
            } else if let Some((b, _)) = from_base.filter(|(_, bits)| bit(bits, p)) {
                // Not faulted in since the restore: the same bytes as in the file.
                b.file
                    .read_exact_at(&mut buf, c.file_len + (p * PAGE) as u64)
                    .map_err(|e| format!("reading the restored memory file: {e}"))?;
                Some(&buf[..])
            } else {
                None
            };
            match page.filter(|b| *b != &ZERO_PAGE[..]) {
                Some(bytes) => {
                    stored[p / 64] |= 1 << (p % 64);
                    c.pages += 1;
                    run.get_or_insert_with(|| (c.file_len + (p * PAGE) as u64, Vec::new()))
                        .1
                        .extend_from_slice(bytes);
                }
                None => c.runs.extend(run.take()),
            }
        }
        c.runs.extend(run.take());
        c.regions.push((region.start_addr().0, len as u64, stored));
        c.file_len += len as u64;
    }
    Ok(c)
}

/// The page at `ptr` if it is not all zeros.
///
/// # Safety
/// `ptr..ptr + PAGE` must lie inside a live guest RAM mapping.
unsafe fn nonzero_page(ptr: usize) -> Option<Vec<u8>> {
    // SAFETY: the caller's promise; the vCPUs are paused while this is used.
    let page = unsafe { std::slice::from_raw_parts(ptr as *const u8, PAGE) };
    (page != &ZERO_PAGE[..]).then(|| page.to_vec())
}

impl Captured {
    /// Copies again the pages `written` marks (per region, in region order: a bitmap of pages
    /// written since before this capture began), with the vCPUs and devices paused: afterwards
    /// the capture holds every page as it is now. Returns how many pages were copied again.
    pub fn recopy(&mut self, mem: &GuestMemoryMmap, written: &[Vec<u64>]) -> u64 {
        let mut copied = 0;
        let mut file_off = 0u64;
        for ((region, (_, len, stored)), bits) in
            mem.iter().zip(self.regions.iter_mut()).zip(written)
        {
            let ptr = region.as_ptr() as usize;
            for p in 0..(*len as usize / PAGE) {
                if !bit(bits, p) {
                    continue;
                }
                // SAFETY: page p lies inside the region's live mapping.
                let page = unsafe { nonzero_page(ptr + p * PAGE) };
                let was = bit(stored, p);
                match (&page, was) {
                    (Some(_), false) => {
                        stored[p / 64] |= 1 << (p % 64);
                        self.pages += 1;
                    }
                    (None, true) => {
                        stored[p / 64] &= !(1 << (p % 64));
                        self.pages -= 1;
                    }
                    _ => {}
                }
                // A page neither stored before nor now needs nothing in the file (zero).
                if page.is_some() || was {
                    self.fresh.insert(file_off + (p * PAGE) as u64, page);
                }
                copied += 1;
            }
            file_off += *len;
        }
        copied
    }

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
        for (off, bytes) in &self.runs {
            f.write_all_at(bytes, *off)
                .map_err(SnapshotError::io(path))?;
        }
        // Pages copied again overwrite the pre-copy's; a page that became zero is written as
        // zeros (a restore maps the whole file: a page not stored must read as zero).
        for (off, page) in &self.fresh {
            f.write_all_at(page.as_deref().unwrap_or(&ZERO_PAGE), *off)
                .map_err(SnapshotError::io(path))?;
        }
        f.set_len(self.file_len).map_err(SnapshotError::io(path))?;
        // The CRC covers the stored pages in file order, each from where its last copy is.
        let mut hasher = crc32fast::Hasher::new();
        let mut fresh = self.fresh.iter().peekable();
        for (off, bytes) in &self.runs {
            for (i, page) in bytes.chunks(PAGE).enumerate() {
                let at = off + (i * PAGE) as u64;
                while let Some((_, p)) = fresh.next_if(|(o, _)| **o < at) {
                    if let Some(p) = p {
                        hasher.update(p);
                    }
                }
                match fresh.next_if(|(o, _)| **o == at) {
                    Some((_, Some(p))) => hasher.update(p),
                    Some((_, None)) => {}
                    None => hasher.update(page),
                }
            }
        }
        for (_, p) in fresh {
            if let Some(p) = p {
                hasher.update(p);
            }
        }
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
    base: Option<&Base>,
) -> Result<MemoryIndex, SnapshotError> {
    let captured = capture(mem, base, None).map_err(|msg| SnapshotError::Capture { msg })?;
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

/// Maps `path` copy-on-write over guest RAM: pages load on first touch. Returns what the next
/// save needs of it.
pub fn restore(
    mem: &GuestMemoryMmap,
    path: &Path,
    index: &MemoryIndex,
) -> Result<Base, SnapshotError> {
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
    Ok(Base {
        index: index.clone(),
        file: std::sync::Arc::new(f),
    })
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
        let base = restore(&mem, &path, &idx).unwrap();
        // A save right after a restore keeps the pages never faulted back in (read from the
        // file, not through the mapping): the same file again.
        let path2 = dir.path().join("memory2.bin");
        let idx2 = save(&mem, &path2, Some(&base)).unwrap();
        assert_eq!(idx2, idx);
        assert_eq!(
            std::fs::read(&path2).unwrap(),
            std::fs::read(&path).unwrap()
        );
        assert_eq!(
            mem.read_obj::<u32>(GuestAddress(0x1000)).unwrap(),
            0xdead_beef
        );
        assert_eq!(mem.read_obj::<u8>(GuestAddress(0x10_0000)).unwrap(), 0);
        assert_eq!(
            mem.read_obj::<u16>(GuestAddress(0x30_0000)).unwrap(),
            0x1234
        );
        // And one after the guest changed a restored page.
        mem.write_obj(0x77u8, GuestAddress(0x30_0002)).unwrap();
        let path3 = dir.path().join("memory3.bin");
        let idx3 = save(&mem, &path3, Some(&base)).unwrap();
        assert_eq!(idx3.stored_pages, 2);
        let f3 = std::fs::read(&path3).unwrap();
        assert_eq!(&f3[0x1000..0x1004], &0xdead_beefu32.to_le_bytes());
        assert_eq!(&f3[0x30_0000..0x30_0003], &[0x34, 0x12, 0x77]);
        let mut corrupt = std::fs::read(&path).unwrap();
        corrupt[0x1000] ^= 1;
        std::fs::write(&path, corrupt).unwrap();
        assert!(verify(&path, &idx)
            .unwrap_err()
            .to_string()
            .contains("checksum"));
    }

    /// The pause's pass over a pre-copy: pages that changed, became zero, became non-zero, or
    /// were first touched since are taken as they are now; the rest keep the first copy. The
    /// file then restores exactly the memory at the pass, and its CRC checks.
    #[test]
    fn recopy_merges_the_written_pages_into_the_pre_copy() {
        let dir = tempfile::tempdir().unwrap();
        let mem = GuestMemoryMmap::<()>::from_ranges(&[
            (GuestAddress(0), 1 << 20),
            (GuestAddress(1 << 32), 1 << 20),
        ])
        .unwrap();
        let page = |r: u64, p: u64| GuestAddress(r * (1 << 32) + p * PAGE as u64);
        for p in 0..8 {
            mem.write_obj(0x100 + p, page(0, p)).unwrap(); // one run of 8 pages
        }
        mem.write_obj(0u8, page(0, 20)).unwrap(); // touched, zero
        mem.write_obj(9u8, page(1, 3)).unwrap();
        let mut c = capture(&mem, None, None).unwrap();
        assert_eq!(c.pages, 9);

        let mut written = vec![vec![0u64; 4], vec![0u64; 4]];
        let mut mark = |r: usize, p: usize| written[r][p / 64] |= 1 << (p % 64);
        mem.write_obj(0xaaaa_u64, page(0, 2)).unwrap(); // changed inside the run
        mark(0, 2);
        mem.write_obj(0u64, page(0, 5)).unwrap(); // became zero
        mark(0, 5);
        mem.write_obj(7u8, page(0, 20)).unwrap(); // zero, now not
        mark(0, 20);
        mem.write_obj(8u8, page(0, 200)).unwrap(); // first touched
        mark(0, 200);
        mem.write_obj(0u8, page(1, 9)).unwrap(); // written, still zero
        mark(1, 9);
        mem.write_obj(0u8, page(1, 3)).unwrap(); // the other region's only page, now zero
        mark(1, 3);
        // A change the pass is not told of stays as first copied (the watch's job).
        mem.write_obj(0xbbbb_u64, page(0, 6)).unwrap();
        assert_eq!(c.recopy(&mem, &written), 6);
        mem.write_obj(0x106_u64, page(0, 6)).unwrap();
        assert_eq!(c.pages, 9);

        let path = dir.path().join("memory.bin");
        let idx = c.write(&path).unwrap();
        assert_eq!(idx.stored_pages, 9);
        verify(&path, &idx).unwrap();
        let want: Vec<u8> = (0..2)
            .flat_map(|r| {
                let mut b = vec![0u8; 1 << 20];
                mem.read_slice(&mut b, page(r, 0)).unwrap();
                b
            })
            .collect();
        assert_eq!(std::fs::read(&path).unwrap(), want);
        let stored: Vec<(usize, usize)> = idx
            .regions
            .iter()
            .enumerate()
            .flat_map(|(r, (_, len, b))| {
                (0..*len as usize / PAGE)
                    .filter(|&p| bit(b, p))
                    .map(move |p| (r, p))
            })
            .collect();
        assert_eq!(
            stored,
            vec![
                (0, 0),
                (0, 1),
                (0, 2),
                (0, 3),
                (0, 4),
                (0, 6),
                (0, 7),
                (0, 20),
                (0, 200)
            ]
        );
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
