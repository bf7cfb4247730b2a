//! What this host offers new VMs, learned without opening /dev/kvm (the app never uses KVM).

use vmm_core::config::HostLimits;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostInfo {
    /// Logical CPUs available to us.
    pub cpus: u32,
    /// Total RAM in MiB (`/proc/meminfo`).
    pub memory_mib: u64,
}

impl HostInfo {
    pub fn detect() -> HostInfo {
        HostInfo {
            cpus: std::thread::available_parallelism()
                .map(|n| n.get() as u32)
                .unwrap_or(1),
            memory_mib: vmm_core::host::host_memory_mib().unwrap_or(1024),
        }
    }

    /// The most vCPUs the app offers (one per host CPU; vmdesk-vmm's xAPIC limit is 254).
    pub fn max_vcpus(&self) -> u32 {
        self.cpus.clamp(1, 254)
    }

    pub fn limits(&self) -> HostLimits {
        HostLimits {
            max_vcpus: self.max_vcpus(),
            memory_mib: self.memory_mib,
        }
    }

    /// Defaults for a new VM: 2 vCPUs or fewer, 1 GiB or less (at most half the host's RAM).
    pub fn default_vcpus(&self) -> u32 {
        self.max_vcpus().min(2)
    }

    pub fn default_memory_mib(&self) -> u64 {
        (self.memory_mib / 2).clamp(vmm_core::config::MIN_MEMORY_MIB, 1024)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fit_small_and_large_hosts() {
        let small = HostInfo {
            cpus: 1,
            memory_mib: 512,
        };
        assert_eq!(
            (small.default_vcpus(), small.default_memory_mib()),
            (1, 256)
        );
        let big = HostInfo {
            cpus: 64,
            memory_mib: 65536,
        };
        assert_eq!((big.default_vcpus(), big.default_memory_mib()), (2, 1024));
        assert!(HostInfo::detect().cpus >= 1);
    }
}
