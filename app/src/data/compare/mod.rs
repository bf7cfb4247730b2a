//! "Containers vs VMs", measured: the busybox root filesystem of the Linux test guest run as a
//! container by a real OCI runtime (crun) and, beside it, what a running VM shows. Every number
//! is read from the running thing (/proc, cgroup files, the VMM's counters), never taken from
//! the settings we asked for — a limit is shown as what the cgroup file says.
//!
//! [`container::run`] does the container side (bundle, overlay, crun, measurements, clean-up);
//! [`vm`] the VM side; [`rootfs`] unpacks the shared root filesystem.

pub mod container;
pub mod oci;
pub mod procfs;
pub mod rootfs;
pub mod table;
pub mod vm;

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// What the container is limited to (set through the OCI spec, read back from its cgroup).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    pub memory_bytes: u64,
    pub cpu_quota_us: u64,
    pub cpu_period_us: u64,
}

impl Default for Limits {
    /// 64 MiB and half a CPU: small enough that a class sees the limit, big enough for busybox.
    fn default() -> Self {
        Limits {
            memory_bytes: 64 << 20,
            cpu_quota_us: 50_000,
            cpu_period_us: 100_000,
        }
    }
}

/// One namespace of the container's PID 1 next to the host's (this process's) own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Namespace {
    /// `pid`, `net`, … as /proc/<pid>/ns names them.
    pub kind: String,
    /// `pid:[4026532178]`: the namespace's inode.
    pub inside: String,
    pub host: String,
}

impl Namespace {
    /// A namespace of its own: the container sees its own copy of this part of the system.
    pub fn isolated(&self) -> bool {
        self.inside != self.host
    }
}

/// The container's cgroup as its files say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CgroupReport {
    /// 1 or 2: which cgroup hierarchy the limits are in.
    pub version: u8,
    /// The cgroup's path inside the hierarchy.
    pub path: String,
    /// None: unlimited.
    pub memory_max: Option<u64>,
    /// Memory charged to the container now (v2 memory.current, v1 memory.usage_in_bytes).
    pub memory_current: u64,
    /// None: unlimited.
    pub cpu_quota_us: Option<u64>,
    pub cpu_period_us: u64,
    /// The files these were read from.
    pub files: Vec<PathBuf>,
}

/// The overlay the container's root is, from its mountinfo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverlayLayers {
    pub lower: Vec<PathBuf>,
    pub upper: PathBuf,
    pub work: PathBuf,
}

/// The container column of the table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContainerReport {
    /// `crun --version`'s first line.
    pub runtime: String,
    pub id: String,
    /// PID 1 of the container as the host numbers it.
    pub host_pid: u32,
    /// The same process's pid inside the container (1 when it is the container's init).
    pub pid_inside: u32,
    /// PID 1's command line.
    pub pid1_cmdline: String,
    /// From starting `crun run` to a shell in the container answering `echo`, in ms.
    pub start_ms: f64,
    /// `uname -r` run inside.
    pub kernel_inside: String,
    pub kernel_host: String,
    /// `ps` run inside, one line per process (header first).
    pub processes: Vec<String>,
    pub namespaces: Vec<Namespace>,
    pub cgroup: CgroupReport,
    /// None when overlayfs was refused (see `notes`).
    pub overlay: Option<OverlayLayers>,
    /// The unpacked root filesystem (the lower layer) on disk, in bytes.
    pub rootfs_bytes: u64,
    /// What the container wrote (the upper layer), in bytes.
    pub upper_bytes: u64,
    /// How this run differed from the plain case, and why (translated).
    pub notes: Vec<String>,
}

impl ContainerReport {
    pub fn isolated(&self) -> impl Iterator<Item = &Namespace> {
        self.namespaces.iter().filter(|n| n.isolated())
    }

    pub fn shared(&self) -> impl Iterator<Item = &Namespace> {
        self.namespaces.iter().filter(|n| !n.isolated())
    }
}

/// Both columns; the VM's when a VM was named.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub container: ContainerReport,
    pub vm: Option<vm::VmReport>,
    /// Why the VM named could not be measured.
    pub vm_error: Option<String>,
}

#[cfg(test)]
mod tests;
