//! [`SnapshotError`]: what the snapshot operations return. Each variant names the file or the
//! snapshot it is about; the API server sends its text as the reply's message.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
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
