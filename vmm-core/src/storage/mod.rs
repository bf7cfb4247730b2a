//! Disk images: create, inspect and open raw and qcow2 images for the VM's virtio-blk disks.
//!
//! The image formats are [imago]'s (Hanna Czenczek's disk-image library; qcow2 v2/v3 with
//! backing chains). We use its **synchronous** build (`features = ["sync"]`): each disk has one
//! I/O thread that serves its queue request after request (see
//! [`crate::devices::virtio::block`]), and the VMM has no async runtime. imago's async API would
//! need tokio (its locks) and a runtime per disk or a shared one, to gain parallelism within one
//! disk that a desktop VM's single queue seldom needs; its `sync-wrappers` build a tokio runtime
//! anyway and are to be deprecated.
//!
//! What is ours rather than imago's, and why:
//! - locking ([`lock`]): imago takes no locks; we speak QEMU's OFD lock protocol;
//! - truncation/corruption checks before use ([`probe`]'s module docs say why);
//! - the backing chain is walked, checked, locked and then opened by us, layer by layer, and
//!   handed to imago explicitly (imago's implicit opening would take no locks, could open any
//!   file an image names, and would probe formats without our checks);
//! - `allocated_size` is the file's allocated blocks (`st_blocks`), a filesystem fact imago does
//!   not track — the same number `qemu-img info` calls `actual-size`.
//!
//! qemu-img is never used at run time (tests use it as a cross-check only).

mod backing;
mod disk;
mod identity;
pub mod lock;
pub mod overlay;
mod probe;

pub use backing::BackingPolicy;
pub use disk::{check_replacement, Disk};
use identity::FileId;

pub use crate::config::ImageFormat;

use crate::config::DiskConfig;
use imago::file::File as ImagoFile;
use imago::qcow2::Qcow2;
use imago::raw::Raw;
use imago::{
    DenyImplicitOpenGate, FormatAccess, FormatCreateBuilder, FormatDriverBuilder, Storage,
    StorageCreateOptions, StorageOpenOptions,
};
use lock::{ImageLock, LockError, LockMode};
use probe::Probed;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

/// Backing chains deeper than this are refused (and loops are caught long before). Every
/// snapshot of a running VM adds one overlay to each writable disk's chain (nothing merges
/// them: imago cannot commit), so this bounds how many snapshots deep a line of history goes.
pub const MAX_CHAIN_DEPTH: usize = 64;

/// What went wrong, for callers that react differently (the config check maps `Format` to the
/// `format` field, everything else to `path`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The file (or a backing file) does not exist.
    NotFound,
    /// Another VM or process uses the image in a conflicting way.
    InUse,
    /// Not what the config says, or a format we cannot use.
    Format,
    /// Truncated, corrupt, or using qcow2 features we cannot read.
    Corrupt,
    /// A request we refuse (bad size, file exists, not writable, ...).
    Invalid,
    /// Any other I/O error.
    Io,
    /// A backing file outside the places allowed for it, or not a regular file.
    BackingRefused,
}

/// A storage error; its text names the file at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {reason}", path.display())]
pub struct StorageError {
    pub kind: ErrorKind,
    /// The file at fault (for a broken backing chain: the backing file).
    pub path: PathBuf,
    pub reason: String,
}

impl StorageError {
    fn new(kind: ErrorKind, path: &Path, reason: impl Into<String>) -> Self {
        StorageError {
            kind,
            path: path.to_path_buf(),
            reason: reason.into(),
        }
    }
    fn io(path: &Path, what: &str, e: std::io::Error) -> Self {
        let kind = match e.kind() {
            std::io::ErrorKind::NotFound => ErrorKind::NotFound,
            std::io::ErrorKind::PermissionDenied => ErrorKind::Invalid,
            _ => ErrorKind::Io,
        };
        StorageError::new(kind, path, format!("{what}: {e}"))
    }
}

/// What `image_info` reports (the fields `qemu-img info` calls format, virtual-size,
/// actual-size and the backing chain).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageInfo {
    pub format: ImageFormat,
    /// Size of the disk the guest sees, in bytes.
    pub virtual_size: u64,
    /// Bytes the image file occupies on the host's disk (allocated blocks, not its length).
    pub allocated_size: u64,
    /// Backing files, nearest first, as absolute-or-joined paths (like qemu-img's
    /// `full-backing-filename`). Empty for a standalone image.
    pub backing_chain: Vec<PathBuf>,
}

/// One file of an image's chain, checked but not yet opened by imago.
#[derive(Debug)]
struct Layer {
    path: PathBuf,
    format: ImageFormat,
    size: u64,
    /// qcow2 v3 (efficient zeroing and discard) — `None` for raw.
    qcow2_version: Option<u32>,
    backing: Option<(PathBuf, Option<ImageFormat>)>,
    /// The file that was checked: opening it for imago must find this one.
    id: FileId,
}

/// What to do about locks while walking a chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Locking {
    /// Take them (opening for a VM): top `Exclusive` if writable, the rest `Shared`.
    Take { writable: bool },
    /// Only test whether taking them would fail (config check).
    Test { writable: bool },
    /// Ignore them (image info).
    Ignore,
}

fn in_use(path: &Path, mode: LockMode, backing_of: Option<&Path>) -> StorageError {
    let what = match (mode, backing_of) {
        (LockMode::Exclusive, _) => {
            "is in use by another VM or program (a writable disk must not be used by anyone \
             else; close the other user, or give this VM a linked clone)"
                .to_string()
        }
        (LockMode::Shared, None) => {
            "is being written by another VM or program (a read-only disk can be shared only \
             with other readers)"
                .to_string()
        }
        (LockMode::Shared, Some(top)) => format!(
            "(the backing file of {}) is being written by another VM or program; a backing \
             file must not change under its overlays",
            top.display()
        ),
    };
    StorageError::new(ErrorKind::InUse, path, what)
}

/// Checks one file: exists, is a file or block device, its format, the qcow2 sanity checks;
/// reads its size and backing reference through imago.
fn inspect(
    path: &Path,
    format: Option<ImageFormat>,
    backing_of: Option<&Path>,
    checked: Option<FileId>,
) -> Result<Layer, StorageError> {
    let ctx = |reason: String| match backing_of {
        Some(top) => format!("(the backing file of {}) {reason}", top.display()),
        None => reason,
    };
    let meta = std::fs::metadata(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            StorageError::new(ErrorKind::NotFound, path, ctx("does not exist".into()))
        } else {
            StorageError::io(path, &ctx("cannot access".into()), e)
        }
    })?;
    // Refused before opening: opening a device node can have effects (a watchdog's).
    if !meta.is_file() && !meta.file_type().is_block_device() {
        return Err(StorageError::new(
            ErrorKind::Invalid,
            path,
            ctx("is neither a regular file nor a block device".into()),
        ));
    }
    // Type and identity are judged on the open fd, which is what imago reads.
    let (f, meta) = identity::open_checked(path, false, checked, &ctx)?;
    let probed =
        probe::probe(&f).map_err(|e| StorageError::io(path, &ctx("cannot read".into()), e))?;
    let format = match (format, probed) {
        (Some(ImageFormat::Raw), _) => ImageFormat::Raw,
        (Some(ImageFormat::Qcow2), Probed::Image(ImageFormat::Qcow2)) => ImageFormat::Qcow2,
        (Some(ImageFormat::Qcow2), other) => {
            let is = match other {
                Probed::Unsupported(name) => format!("a {name} image"),
                _ => "raw data".into(),
            };
            return Err(StorageError::new(
                ErrorKind::Format,
                path,
                ctx(format!(
                    "is not a qcow2 image (its content looks like {is})"
                )),
            ));
        }
        (None, Probed::Image(f)) => f,
        (None, Probed::Unsupported(name)) => {
            return Err(StorageError::new(
                ErrorKind::Format,
                path,
                ctx(format!(
                    "is a {name} image, which vmdesk cannot use; convert it to qcow2 \
                     (qemu-img convert -O qcow2 ...)"
                )),
            ))
        }
    };
    let id = FileId::of(&meta);
    let opts = StorageOpenOptions::new().filename(path).write(false);
    let imago_file = f
        .try_clone()
        .and_then(|f| ImagoFile::from_open_file(f, opts))
        .map_err(|e| StorageError::io(path, &ctx("cannot open".into()), e))?;
    match format {
        ImageFormat::Raw => {
            let raw = Raw::open_image(imago_file, false)
                .map_err(|e| StorageError::io(path, &ctx("cannot open".into()), e))?;
            Ok(Layer {
                path: path.to_path_buf(),
                format,
                size: FormatAccess::new(raw).size(),
                qcow2_version: None,
                backing: None,
                id,
            })
        }
        ImageFormat::Qcow2 => {
            let len = meta.len();
            let corrupt = |r: String| StorageError::new(ErrorKind::Corrupt, path, ctx(r));
            let header = probe::read_header(&f, len).map_err(|e| corrupt(e.to_string()))?;
            probe::check_tables(&f, &header, len).map_err(|e| corrupt(e.to_string()))?;
            let q = Qcow2::<ImagoFile>::open_image(imago_file, false)
                .map_err(|e| corrupt(format!("cannot be opened as qcow2: {e}")))?;
            let backing = match q.implicit_backing_file() {
                None => None,
                Some(name) => {
                    let name = Path::new(name);
                    // Relative names are relative to the image's folder (qcow2 semantics).
                    let bpath = if name.is_absolute() {
                        name.to_path_buf()
                    } else {
                        path.parent().unwrap_or(Path::new(".")).join(name)
                    };
                    let bfmt = match q.implicit_backing_format().map(String::as_str) {
                        None => None,
                        Some("qcow2") => Some(ImageFormat::Qcow2),
                        Some("raw") | Some("file") => Some(ImageFormat::Raw),
                        Some(other) => {
                            return Err(corrupt(format!(
                                "names a backing file of format {other:?}, which vmdesk cannot use"
                            )))
                        }
                    };
                    Some((bpath, bfmt))
                }
            };
            let size = FormatAccess::new(q).size();
            Ok(Layer {
                path: path.to_path_buf(),
                format,
                size,
                qcow2_version: Some(header.version),
                backing,
                id,
            })
        }
    }
}

/// Walks an image's chain from the top: checks each file and (per `locking`) locks it before
/// looking inside. Returns the layers, top first, and the locks held.
fn walk_chain(
    path: &Path,
    format: Option<ImageFormat>,
    locking: Locking,
    policy: &BackingPolicy,
) -> Result<(Vec<Layer>, Vec<ImageLock>), StorageError> {
    let mut layers: Vec<Layer> = Vec::new();
    let mut locks = Vec::new();
    let mut seen = HashSet::new();
    let mut next = Some((path.to_path_buf(), format));
    while let Some((p, fmt)) = next.take() {
        let top = layers.is_empty();
        let backing_of = layers.last().map(|l| l.path.clone());
        if layers.len() > MAX_CHAIN_DEPTH {
            return Err(StorageError::new(
                ErrorKind::Corrupt,
                path,
                format!("its backing chain is deeper than {MAX_CHAIN_DEPTH} images"),
            ));
        }
        // A backing file is checked before anything opens or locks it.
        let mut checked = None;
        if let Some(of) = &backing_of {
            checked = Some(policy.check(&p, of)?.1);
            identity::hook(identity::Stage::Checked, &p);
        } else if std::fs::metadata(&p)
            .is_ok_and(|m| !m.is_file() && !m.file_type().is_block_device())
        {
            // Locking opens the file, which for a FIFO would block.
            return Err(StorageError::new(
                ErrorKind::Invalid,
                &p,
                "is neither a regular file nor a block device",
            ));
        }
        // A missing file is reported by inspect(), with its context.
        if let Ok(canon) = std::fs::canonicalize(&p) {
            if !seen.insert(canon) {
                return Err(StorageError::new(
                    ErrorKind::Corrupt,
                    path,
                    format!("its backing chain loops back to {}", p.display()),
                ));
            }
        }
        let mode = |writable: bool| {
            if top && writable {
                LockMode::Exclusive
            } else {
                LockMode::Shared
            }
        };
        match locking {
            Locking::Take { writable } if p.exists() => {
                let mode = mode(writable);
                match lock::lock(&p, mode) {
                    Ok(l) => locks.push(l),
                    Err(LockError::InUse) => return Err(in_use(&p, mode, backing_of.as_deref())),
                    Err(LockError::Io(e)) => return Err(StorageError::io(&p, "cannot lock", e)),
                }
            }
            Locking::Test { writable } if p.exists() => {
                let mode = mode(writable);
                // Never waits: a FIFO is refused by `inspect` below.
                let f = crate::util::open_no_wait(&p)
                    .map_err(|e| StorageError::io(&p, "cannot open", e))?;
                match lock::conflicts(&f, mode) {
                    Ok(false) => {}
                    Ok(true) => return Err(in_use(&p, mode, backing_of.as_deref())),
                    Err(e) => return Err(StorageError::io(&p, "cannot test its lock", e)),
                }
            }
            _ => {}
        }
        let locked = locks.len();
        let layer = inspect(&p, fmt, backing_of.as_deref(), checked)?;
        // The lock was taken by name too: it must be on the file that was inspected.
        if let (true, Some(l)) = (locked > layers.len(), locks.last()) {
            if l.file().metadata().map(|m| FileId::of(&m)).ok() != Some(layer.id) {
                return Err(identity::swapped(&p, &|r: String| r));
            }
        }
        next = layer.backing.clone();
        layers.push(layer);
    }
    Ok((layers, locks))
}

/// Opens the checked chain in imago, base first; the top is writable unless `read_only`.
fn open_chain(layers: &[Layer], read_only: bool) -> Result<FormatAccess<ImagoFile>, StorageError> {
    identity::hook(identity::Stage::Walked, &layers[0].path);
    let mut lower: Option<FormatAccess<ImagoFile>> = None;
    for (i, layer) in layers.iter().enumerate().rev() {
        let writable = i == 0 && !read_only;
        let p = &layer.path;
        let ctx = |r: String| match i {
            0 => r,
            _ => format!("(the backing file of {}) {r}", layers[i - 1].path.display()),
        };
        // Opened by us and verified to be the file walk_chain checked; imago gets the fd.
        let (file, _) = identity::open_checked(p, writable, Some(layer.id), &ctx)?;
        let opts = StorageOpenOptions::new().filename(p).write(writable);
        let file = ImagoFile::from_open_file(file, opts)
            .map_err(|e| StorageError::io(p, "cannot open", e))?;
        let fail = |e: std::io::Error| {
            StorageError::new(
                ErrorKind::Corrupt,
                p,
                format!("cannot be opened as {}: {e}", layer.format),
            )
        };
        let access = match layer.format {
            ImageFormat::Raw => FormatAccess::new(
                Raw::builder(file)
                    .write(writable)
                    .open(DenyImplicitOpenGate::default())
                    .map_err(fail)?,
            ),
            ImageFormat::Qcow2 => FormatAccess::new(
                Qcow2::<ImagoFile>::builder(file)
                    .write(writable)
                    .backing(lower.take())
                    .data_file(None)
                    .open(DenyImplicitOpenGate::default())
                    .map_err(fail)?,
            ),
        };
        lower = Some(access);
    }
    lower.ok_or_else(|| StorageError::new(ErrorKind::Invalid, Path::new(""), "empty image chain"))
}

fn allocated_size(path: &Path) -> Result<u64, StorageError> {
    let m = std::fs::metadata(path).map_err(|e| StorageError::io(path, "cannot stat", e))?;
    Ok(m.blocks() * 512)
}

/// Format, sizes and backing chain of an image. Takes no locks (like `qemu-img info -U`), so it
/// works on images in use; it runs the same checks as opening, so a broken image or chain is an
/// error naming the file at fault.
pub fn image_info(path: &Path) -> Result<ImageInfo, StorageError> {
    let (layers, _) = walk_chain(path, None, Locking::Ignore, &BackingPolicy::anywhere())?;
    let top = &layers[0];
    Ok(ImageInfo {
        format: top.format,
        virtual_size: top.size,
        allocated_size: allocated_size(path)?,
        backing_chain: layers[1..].iter().map(|l| l.path.clone()).collect(),
    })
}

/// Checks an image and its chain as opening it would (format as given, the qcow2 checks,
/// every backing file there) and that nobody writes it (a shared lock would be granted);
/// returns its size. Takes no locks.
pub fn check_image(
    path: &Path,
    format: ImageFormat,
    policy: &BackingPolicy,
) -> Result<u64, StorageError> {
    let (layers, _) = walk_chain(
        path,
        Some(format),
        Locking::Test { writable: false },
        policy,
    )?;
    Ok(layers[0].size)
}

fn create_file(path: &Path) -> Result<ImagoFile, StorageError> {
    let file = ImagoFile::create_open(StorageCreateOptions::new().filename(path)).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            StorageError::new(
                ErrorKind::Invalid,
                path,
                "already exists; not overwriting it",
            )
        } else {
            StorageError::io(path, "cannot create", e)
        }
    })?;
    // A disk is the VM's data: nobody else's to read (imago creates it by the umask).
    crate::util::make_private(path, 0o600)
        .map_err(|e| StorageError::io(path, "cannot make private", e))?;
    Ok(file)
}

fn check_new_size(path: &Path, size: u64) -> Result<(), StorageError> {
    if size == 0 || !size.is_multiple_of(512) {
        return Err(StorageError::new(
            ErrorKind::Invalid,
            path,
            format!("disk size {size} must be a positive multiple of 512 bytes"),
        ));
    }
    Ok(())
}

/// Creates an empty qcow2 (v3, 64 KiB clusters) image of `size_bytes`; refuses to overwrite.
pub fn create_qcow2(path: &Path, size_bytes: u64) -> Result<(), StorageError> {
    check_new_size(path, size_bytes)?;
    let file = create_file(path)?;
    Qcow2::<ImagoFile>::create_builder(file)
        .size(size_bytes)
        .create()
        .map_err(|e| {
            let _ = std::fs::remove_file(path);
            StorageError::io(path, "cannot create the qcow2 image", e)
        })
}

/// Creates a linked clone: a qcow2 overlay of `backing_path` (raw or qcow2, itself possibly an
/// overlay) with the same size. The overlay records `backing_path` as given — a relative path is
/// taken from the overlay's folder, as qcow2 defines — and the backing file's format, so it is
/// never probed again. The backing file is not modified; it must not be written while clones
/// use it (opening a clone takes a shared lock on it).
pub fn create_linked_clone(path: &Path, backing_path: &Path) -> Result<(), StorageError> {
    let resolved = if backing_path.is_absolute() {
        backing_path.to_path_buf()
    } else {
        path.parent().unwrap_or(Path::new(".")).join(backing_path)
    };
    // The clone is opened for a guest later, under its VM's policy; here only file types count.
    let anywhere = BackingPolicy::anywhere();
    let (layers, _) = walk_chain(
        &resolved,
        None,
        Locking::Test { writable: false },
        &anywhere,
    )?;
    let base = &layers[0];
    let name = backing_path.to_str().ok_or_else(|| {
        StorageError::new(
            ErrorKind::Invalid,
            backing_path,
            "a backing path must be UTF-8",
        )
    })?;
    if path.exists() {
        return Err(StorageError::new(
            ErrorKind::Invalid,
            path,
            "already exists; not overwriting it",
        ));
    }
    let file = create_file(path)?;
    Qcow2::<ImagoFile>::create_builder(file)
        .size(base.size)
        .backing(name.to_string(), base.format.to_string())
        .create()
        .map_err(|e| {
            let _ = std::fs::remove_file(path);
            StorageError::io(path, "cannot create the qcow2 overlay", e)
        })?;
    // The new chain must open; if not, do not leave a broken clone behind.
    if let Err(e) = walk_chain(path, Some(ImageFormat::Qcow2), Locking::Ignore, &anywhere) {
        let _ = std::fs::remove_file(path);
        return Err(e);
    }
    Ok(())
}

/// The serial number a disk reports when its config gives none: stable for a given image path
/// (FNV-1a of the canonical path), 20 characters like the field it fills.
pub fn default_serial(path: &Path) -> String {
    let canon = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in canon.as_os_str().as_encoded_bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("vmdesk{:014x}", h >> 8)
}

/// Largest serial number the guest can see (virtio-blk GET_ID returns 20 bytes).
pub const SERIAL_LEN: usize = 20;

/// Why a disk serial number is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SerialError {
    #[error("must be {min} to {max} characters long")]
    BadLength { len: usize, min: usize, max: usize },
    #[error("may only hold printable ASCII characters")]
    NotPrintable,
}

/// Checks a serial number from a config.
pub fn check_serial(s: &str) -> Result<(), SerialError> {
    if s.is_empty() || s.len() > SERIAL_LEN {
        return Err(SerialError::BadLength {
            len: s.len(),
            min: 1,
            max: SERIAL_LEN,
        });
    }
    if !s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err(SerialError::NotPrintable);
    }
    Ok(())
}

/// Checks a disk as `vmdesk-vmm --check` should: the image and its chain exist and are sound,
/// the format matches, a writable image is writable, and (without taking them) that the locks
/// the VM will need are free. Returns the field at fault (`path` or `format`) and why.
pub fn check_disk(d: &DiskConfig) -> Result<(), (&'static str, StorageError)> {
    let (layers, _) = walk_chain(
        &d.path,
        d.format,
        Locking::Test {
            writable: !d.read_only,
        },
        &BackingPolicy::for_disk(d, None),
    )
    .map_err(|e| {
        let field = if e.kind == ErrorKind::Format && e.path == d.path {
            "format"
        } else {
            "path"
        };
        (field, e)
    })?;
    if !d.read_only {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&layers[0].path)
            .map_err(|e| {
                (
                    "path",
                    StorageError::new(
                        ErrorKind::Invalid,
                        &d.path,
                        format!("is not writable ({e}); make it writable or set read_only = true"),
                    ),
                )
            })?;
    }
    Ok(())
}

/// A configured disk's image path (relative paths are taken from the VM folder).
pub fn config_path(d: &DiskConfig, vm_dir: &Path) -> PathBuf {
    if d.path.is_relative() {
        vm_dir.join(&d.path)
    } else {
        d.path.clone()
    }
}

/// Why a VM's disks cannot be opened; each names the disk (`disks[N]`) and the file.
#[derive(Debug, thiserror::Error)]
pub enum OpenDisksError {
    /// `<vm dir>/disks/current.json` cannot be read.
    #[error(transparent)]
    Current(#[from] overlay::OverlayError),
    #[error("disks[{index}]: {source}")]
    Image { index: usize, source: StorageError },
    /// The overlay a snapshot moved the disk onto cannot be opened.
    #[error(
        "disks[{index}]: {source} (the overlay this disk continues in since its last \
         snapshot, recorded in {})",
        current.display()
    )]
    Overlay {
        index: usize,
        source: StorageError,
        current: PathBuf,
    },
    #[error("disks[{index}].serial: {source}")]
    Serial { index: usize, source: SerialError },
}

/// A VM's disk, opened for its virtio-blk device.
pub struct OpenedDisk {
    pub disk: Disk,
    /// The serial the guest sees.
    pub serial: String,
    /// The configured image (relative paths taken from the VM folder), for messages.
    pub path: PathBuf,
}

/// Opens every disk image of a VM (at start-up, before any vCPU runs): all checks, locks and
/// errors happen here, never mid-run. Relative paths are taken from `vm_dir`. A disk that
/// snapshots moved onto an overlay opens that overlay (the top recorded in
/// `<vm dir>/disks/current.json`, see [`overlay`]), not the configured image under it.
/// Errors name the disk (`disks[N]`) and the file.
pub fn open_disks(disks: &[DiskConfig], vm_dir: &Path) -> Result<Vec<OpenedDisk>, OpenDisksError> {
    let current = overlay::CurrentDisks::load(vm_dir)?;
    let mut out = Vec::new();
    for (i, d) in disks.iter().enumerate() {
        let path = config_path(d, vm_dir);
        let top = current.as_ref().and_then(|c| c.top(vm_dir, i, &path));
        let policy = BackingPolicy::for_disk(d, Some(vm_dir));
        let disk = match &top {
            Some(top) => Disk::open_with(top, Some(ImageFormat::Qcow2), d.read_only, &policy)
                .map_err(|e| OpenDisksError::Overlay {
                    index: i,
                    source: e,
                    current: overlay::current_file(vm_dir),
                })?,
            None => Disk::open_with(&path, d.format, d.read_only, &policy).map_err(|e| {
                OpenDisksError::Image {
                    index: i,
                    source: e,
                }
            })?,
        };
        let serial = match &d.serial {
            Some(s) => {
                check_serial(s).map_err(|e| OpenDisksError::Serial {
                    index: i,
                    source: e,
                })?;
                s.clone()
            }
            None => default_serial(&path),
        };
        out.push(OpenedDisk { disk, serial, path });
    }
    Ok(out)
}
