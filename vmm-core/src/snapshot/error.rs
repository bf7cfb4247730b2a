//! [`SnapshotError`]: what the snapshot operations return. Each variant names the file or the
//! snapshot it is about; the API server sends its text as the reply's message.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// A BIOS machine's snapshot restored on a Linux machine, or the other way round.
    #[error("snapshot {id} is of a {snapshot} machine; this VM is a {vm} machine")]
    MachineKind {
        id: String,
        snapshot: &'static str,
        vm: &'static str,
    },
    /// The ROM is not saved: a restore needs the firmware image the snapshot was taken with.
    #[error(
        "snapshot {id} was taken with firmware {} ({} bytes, CRC {:08x}); this VM runs {} ({} \
         bytes, CRC {:08x}): restoring needs the same firmware file",
        was.path.display(), was.size, was.crc, now.path.display(), now.size, now.crc
    )]
    FirmwareChanged {
        id: String,
        was: crate::arch::firmware::RomIdentity,
        now: crate::arch::firmware::RomIdentity,
    },
    #[error("{id:?} is not a snapshot id")]
    InvalidId { id: String },
    #[error("the VM is stopping")]
    Stopping,
    /// The VM could not be paused (e.g. its vCPUs did not stop in time).
    #[error("{0}")]
    Pause(String),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{}: not a vmdesk snapshot (bad magic)", path.display())]
    BadMagic { path: PathBuf },
    #[error(
        "{}: snapshot format version {found}; this vmdesk reads version {expected}",
        path.display()
    )]
    Version {
        path: PathBuf,
        found: u32,
        expected: u32,
    },
    #[error("{}: truncated: {got} of {want} payload bytes", path.display())]
    Truncated { path: PathBuf, got: u64, want: u64 },
    #[error("{}: checksum mismatch (corrupted)", path.display())]
    Checksum { path: PathBuf },
    /// A file whose recorded length or checksum does not match (e.g. `framebuffer.bin`).
    #[error("{}: truncated or corrupted", path.display())]
    Corrupted { path: PathBuf },
    /// A memory file shorter than its index says.
    #[error("{}: truncated: {source}", path.display())]
    ShortRead {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: holds {have} bytes of memory, the VM has {want}", path.display())]
    MemorySize { path: PathBuf, have: u64, want: u64 },
    #[error("mapping {}: {source}", path.display())]
    Map {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Copying guest memory out (reading which pages the guest touched).
    #[error("capturing guest memory: {msg}")]
    Capture { msg: String },
    #[error("{}: cannot decode: {source}", path.display())]
    Decode {
        path: PathBuf,
        source: bincode::Error,
    },
    #[error("{}: encoding snapshot: {source}", path.display())]
    Encode {
        path: PathBuf,
        source: bincode::Error,
    },
    #[error(
        "snapshot {id} has {snap_vcpus} vCPUs and {snap_mib} MiB; this VM has {vm_vcpus} and \
         {vm_mib}"
    )]
    MachineSize {
        id: String,
        snap_vcpus: u32,
        snap_mib: u64,
        vm_vcpus: u32,
        vm_mib: u64,
    },
    #[error("{}: made for a different machine (vCPUs or devices differ)", dir.display())]
    DifferentMachine { dir: PathBuf },
    /// The disks' records in `disks/current.json` or an overlay (messages from
    /// [`crate::storage::overlay`], which name the file).
    #[error("{0}")]
    Overlays(crate::storage::overlay::OverlayError),
    #[error("{configured} disks configured but {devices} virtio-blk devices")]
    DiskCount { configured: usize, devices: usize },
    /// One disk could not be frozen, switched or checked.
    #[error("disks[{index}]: {msg}")]
    Disk { index: usize, msg: String },
    #[error(
        "snapshot {id} holds no disk contents (made by an older vmdesk, when only VMs with \
         read-only disks could be snapshotted) but disks[{index}] is writable"
    )]
    NoDiskContents { id: String, index: usize },
    #[error("snapshot {id} has {snapshot} disks; this VM has {vm}")]
    DiskCountDiffers {
        id: String,
        snapshot: usize,
        vm: usize,
    },
    #[error("snapshot {id}: {file} lacks disks[{index}]")]
    DiskMissing {
        id: String,
        file: &'static str,
        index: usize,
    },
    #[error("disks[{index}] was {was} in snapshot {id}; the config now names {}", now.display())]
    DiskPathChanged {
        id: String,
        index: usize,
        was: String,
        now: PathBuf,
    },
    #[error(
        "disks[{index}] was {} in snapshot {id} and is {} now",
        mode(*was_read_only),
        mode(!*was_read_only)
    )]
    DiskModeChanged {
        id: String,
        index: usize,
        was_read_only: bool,
    },
    #[error("snapshot {id}: {file} names no image for writable disks[{index}]")]
    NoImage {
        id: String,
        file: &'static str,
        index: usize,
    },
    /// A writable disk's frozen image (or its chain) is missing or unsound.
    #[error("disks[{index}]: {msg} (the disk's contents at snapshot {id})")]
    FrozenImage {
        id: String,
        index: usize,
        msg: String,
    },
    /// Saving or restoring one part of the machine (vCPUs, irqchip, a device, memory, disks).
    #[error("snapshot {id}: {part}: {msg}")]
    Part {
        id: String,
        part: &'static str,
        msg: String,
    },
    /// A revert that failed after it had begun changing the VM, which was then stopped.
    #[error("revert to {id} failed midway (the VM was stopped): {source}")]
    Midway {
        id: String,
        source: Box<SnapshotError>,
    },
}

fn mode(read_only: bool) -> &'static str {
    if read_only {
        "read-only"
    } else {
        "writable"
    }
}

impl SnapshotError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> SnapshotError {
        let path = path.into();
        move |source| SnapshotError::Io { path, source }
    }

    pub(crate) fn json(
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(serde_json::Error) -> SnapshotError {
        let path = path.into();
        move |source| SnapshotError::Json { path, source }
    }

    /// Wraps a part's error (`String`) with the snapshot and the part.
    pub(crate) fn part(id: &str, part: &'static str) -> impl FnOnce(String) -> SnapshotError {
        let id = id.to_string();
        move |msg| SnapshotError::Part { id, part, msg }
    }
}
