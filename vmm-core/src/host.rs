//! Facts about the host that decide what a VM may ask for and how fast it will run.

use crate::config::HostLimits;
use kvm_ioctls::Kvm;

/// How `/dev/kvm` is provided on this host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KvmFlavor {
    /// Intel VT-x (`kvm_intel`).
    Intel,
    /// AMD-V (`kvm_amd`).
    Amd,
    /// A software KVM without hardware virtualization (e.g. `kvm_pvm`): the API works, but guest
    /// kernel code is emulated instruction by instruction.
    Software(&'static str),
    Unknown,
}

impl KvmFlavor {
    pub fn detect() -> KvmFlavor {
        let loaded = |m: &str| std::path::Path::new("/sys/module").join(m).exists();
        if loaded("kvm_intel") {
            KvmFlavor::Intel
        } else if loaded("kvm_amd") {
            KvmFlavor::Amd
        } else if loaded("kvm_pvm") {
            KvmFlavor::Software("kvm_pvm")
        } else {
            KvmFlavor::Unknown
        }
    }

    pub fn is_hardware(self) -> bool {
        matches!(self, KvmFlavor::Intel | KvmFlavor::Amd)
    }

    /// A warning to show at start, if this KVM cannot run stock guests at speed.
    pub fn warning(self) -> Option<String> {
        match self {
            KvmFlavor::Software(m) => Some(format!(
                "/dev/kvm is provided by {m}, a KVM without hardware virtualization: guest \
                 kernel code is emulated and runs about 1000x slower; stock kernels and \
                 firmware will crawl or fail. Small test guests work."
            )),
            KvmFlavor::Unknown => Some(
                "could not tell whether /dev/kvm uses hardware virtualization \
                 (no kvm_intel or kvm_amd module found)"
                    .to_string(),
            ),
            _ => None,
        }
    }
}

/// Host RAM in MiB from /proc/meminfo (MemTotal); None if unreadable.
pub fn host_memory_mib() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

/// The limits a config is validated against.
pub fn host_limits(kvm: &Kvm) -> HostLimits {
    HostLimits {
        max_vcpus: kvm.get_max_vcpus() as u32,
        memory_mib: host_memory_mib().unwrap_or(u64::MAX),
    }
}
