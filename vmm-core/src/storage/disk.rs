//! [`Disk`]: an opened, checked and locked image chain with the request-level operations the
//! virtio-blk device needs (bounds-checked; read-only enforced).

use super::lock::{ImageLock, LockError};
use super::ErrorKind;
use super::{open_chain, walk_chain, BackingPolicy, ImageFormat, Locking, StorageError};
use imago::file::File as ImagoFile;
use imago::io_buffers::{IoVector, IoVectorMut};
use imago::FormatAccess;
use std::io;
use std::path::{Path, PathBuf};

/// An image opened for a VM. Holds its locks (and those of its backing files) until dropped.
pub struct Disk {
    image: FormatAccess<ImagoFile>,
    path: PathBuf,
    format: ImageFormat,
    read_only: bool,
    size: u64,
    /// Alignment (bytes) at which discards free space; `None` if the image cannot discard or
    /// write zeroes efficiently (read-only, or qcow2 v2).
    discard_alignment: Option<u64>,
    backing_chain: Vec<PathBuf>,
    /// Top first (only files that exist are locked).
    locks: Vec<ImageLock>,
    /// [`Disk::freeze`] made a writable disk read-only.
    frozen: bool,
}

impl std::fmt::Debug for Disk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Disk")
            .field("path", &self.path)
            .field("format", &self.format)
            .field("read_only", &self.read_only)
            .field("size", &self.size)
            .finish()
    }
}

fn read_only_error() -> io::Error {
    io::Error::new(io::ErrorKind::PermissionDenied, "the disk is read-only")
}

impl Disk {
    /// Opens an image for a VM: walks and checks its backing chain, takes the locks (exclusive
    /// on a writable image, shared on read-only ones and on backing files), then opens it in
    /// imago. `format: None` probes it. Its backing files must be next to it
    /// ([`BackingPolicy::for_image`]).
    pub fn open(
        path: &Path,
        format: Option<ImageFormat>,
        read_only: bool,
    ) -> Result<Disk, StorageError> {
        Self::open_with(path, format, read_only, &BackingPolicy::for_image(path))
    }

    /// [`Disk::open`] with backing files allowed where `policy` says (a VM's disk:
    /// [`BackingPolicy::for_disk`]).
    pub fn open_with(
        path: &Path,
        format: Option<ImageFormat>,
        read_only: bool,
        policy: &BackingPolicy,
    ) -> Result<Disk, StorageError> {
        let (layers, locks) = walk_chain(
            path,
            format,
            Locking::Take {
                writable: !read_only,
            },
            policy,
        )?;
        let image = open_chain(&layers, read_only)?;
        let top = &layers[0];
        let discard_alignment = match (read_only, top.format, top.qcow2_version) {
            (true, _, _) => None,
            (false, ImageFormat::Raw, _) => {
                let deps = image.inner().collect_storage_dependencies();
                Some(
                    deps.last()
                        .map_or(4096, |f| imago::Storage::discard_align(*f))
                        as u64,
                )
            }
            (false, ImageFormat::Qcow2, Some(3)) => image.inner().zero_granularity(),
            (false, ImageFormat::Qcow2, _) => None,
        };
        Ok(Disk {
            size: image.size(),
            image,
            path: path.to_path_buf(),
            format: top.format,
            read_only,
            discard_alignment,
            backing_chain: layers[1..].iter().map(|l| l.path.clone()).collect(),
            locks,
            frozen: false,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
    pub fn format(&self) -> ImageFormat {
        self.format
    }
    pub fn read_only(&self) -> bool {
        self.read_only
    }
    /// The disk's size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }
    pub fn backing_chain(&self) -> &[PathBuf] {
        &self.backing_chain
    }
    /// Whether discard and efficient write-zeroes are available (writable raw or qcow2 v3).
    pub fn supports_discard(&self) -> bool {
        self.discard_alignment.is_some()
    }
    pub fn discard_alignment(&self) -> Option<u64> {
        self.discard_alignment
    }

    /// Freezes a writable disk for a snapshot: everything written so far reaches stable
    /// storage, the image's exclusive lock becomes a shared one in place (no moment unlocked)
    /// and the disk refuses writes from now on. The image can then become the read-only
    /// backing file of a new overlay, opened while this disk is still held. A read-only disk
    /// is left as it is.
    pub fn freeze(&mut self) -> io::Result<()> {
        if self.read_only {
            return Ok(());
        }
        self.flush()?;
        if let Some(l) = self.locks.first_mut() {
            l.downgrade()?;
        }
        self.read_only = true;
        self.frozen = true;
        Ok(())
    }

    /// Undoes [`Disk::freeze`] (the overlay could not be opened: the VM goes on writing this
    /// image). Fails if another program started reading the image meanwhile.
    pub fn thaw(&mut self) -> Result<(), StorageError> {
        if !self.frozen {
            return Ok(());
        }
        if let Some(l) = self.locks.first_mut() {
            l.upgrade().map_err(|e| match e {
                LockError::InUse => StorageError::new(
                    ErrorKind::InUse,
                    &self.path,
                    "was opened by another program while frozen for a snapshot",
                ),
                LockError::Io(e) => StorageError::io(&self.path, "cannot lock", e),
            })?;
        }
        self.read_only = false;
        self.frozen = false;
        Ok(())
    }

    /// Checks that `len` bytes at `offset` lie within the disk.
    pub fn check_range(&self, offset: u64, len: u64) -> io::Result<()> {
        match offset.checked_add(len) {
            Some(end) if end <= self.size => Ok(()),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{len} bytes at {offset} lie beyond the end of the disk ({} bytes)",
                    self.size
                ),
            )),
        }
    }

    fn check_write(&self, offset: u64, len: u64) -> io::Result<()> {
        if self.read_only {
            return Err(read_only_error());
        }
        self.check_range(offset, len)
    }

    /// qcow2 metadata (L2 tables, refcounts) sits in imago's write-back caches: after anything
    /// that may have changed it, write it to the file (not to stable storage — that is
    /// [`Disk::flush`]). The VMM process can then end at any moment, without a shutdown hook,
    /// and leave a consistent image with every completed write in it.
    fn settle_metadata(&self) -> io::Result<()> {
        if self.format == ImageFormat::Qcow2 {
            self.image.flush()?;
        }
        Ok(())
    }

    /// If the disk reads as zeroes from `offset` with no data stored for it anywhere in the
    /// chain (unallocated or zero clusters), how far that goes (at most `max` bytes); `None` when
    /// data comes first. Lets copies skip holes instead of reading them (raw images report no
    /// holes).
    pub fn zero_extent(&self, offset: u64, max: u64) -> io::Result<Option<u64>> {
        self.check_range(offset, max)?;
        let (mapping, len) = self.image.get_mapping(offset, max)?;
        Ok(matches!(mapping, imago::Mapping::Zero { .. }).then_some(len))
    }

    pub fn read(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        self.check_range(offset, buf.len() as u64)?;
        self.image.read(buf, offset)
    }

    /// Reads into a scatter list (e.g. guest memory, zero-copy).
    pub fn readv(&self, bufv: IoVectorMut<'_>, offset: u64) -> io::Result<()> {
        self.check_range(offset, bufv.len())?;
        self.image.readv(bufv, offset)
    }

    pub fn write(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        self.check_write(offset, buf.len() as u64)?;
        self.image.write(buf, offset)?;
        self.settle_metadata()
    }

    pub fn writev(&self, bufv: IoVector<'_>, offset: u64) -> io::Result<()> {
        self.check_write(offset, bufv.len())?;
        self.image.writev(bufv, offset)?;
        self.settle_metadata()
    }

    /// Everything written so far reaches stable storage: imago's caches are written out, then
    /// the image file is fsync'ed. Only when this returns Ok may a guest's flush complete.
    pub fn flush(&self) -> io::Result<()> {
        if self.read_only {
            return Ok(());
        }
        self.image.flush()?;
        self.image.sync()
    }

    /// Lets the host free the range; what it reads afterwards is unspecified (zeroes or the
    /// old data; for qcow2: zeroes). A hint: filesystems that cannot punch holes ignore it.
    pub fn discard(&mut self, offset: u64, len: u64) -> io::Result<()> {
        self.check_write(offset, len)?;
        if self.discard_alignment.is_none() {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "this image cannot discard",
            ));
        }
        match self.image.discard_to_any(offset, len) {
            Err(e) if e.kind() == io::ErrorKind::Unsupported => {}
            r => r?,
        }
        self.settle_metadata()
    }

    /// Makes the range read as zeroes; with `may_unmap` the space may be freed as well.
    pub fn write_zeroes(&mut self, offset: u64, len: u64, may_unmap: bool) -> io::Result<()> {
        self.check_write(offset, len)?;
        if self.discard_alignment.is_none() {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "this image cannot write zeroes efficiently",
            ));
        }
        if may_unmap {
            self.image.discard_to_zero(offset, len)?;
        } else {
            self.image.write_zeroes(offset, len)?;
        }
        self.settle_metadata()
    }
}

/// Whether `new` may take `cur`'s place under a running device (a snapshot's new overlay):
/// the same size, opened as writable as the device is. The error names `new`'s file.
pub fn check_replacement(cur: &Disk, new: &Disk, writable: bool) -> Result<(), String> {
    let how = |w: bool| if w { "writable" } else { "read-only" };
    if new.size() != cur.size() {
        return Err(format!(
            "{}: {} bytes where the disk has {}",
            new.path().display(),
            new.size(),
            cur.size()
        ));
    }
    if new.read_only() == writable {
        return Err(format!(
            "{}: opened {} for a {} disk",
            new.path().display(),
            how(!new.read_only()),
            how(writable)
        ));
    }
    Ok(())
}
