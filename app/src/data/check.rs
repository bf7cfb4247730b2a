//! The first-run check: can this user run VMs here? Gathering the facts only asks the system
//! (`access(2)` on /dev/kvm, files on `$PATH`, /proc/meminfo); judging them is pure, so tests
//! feed made-up facts. The app never opens /dev/kvm.

use std::ffi::CString;
use std::path::{Path, PathBuf};

/// Less free memory than this gets a warning (a small guest plus the VMM's own needs).
pub const LOW_MEMORY_MIB: u64 = 512;

/// What the system looks like, as far as running VMs goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub kvm_exists: bool,
    /// This user may open /dev/kvm for reading and writing.
    pub kvm_access: bool,
    /// Where `vmdesk-vmm` is, or why it was not found.
    pub vmm: Result<PathBuf, String>,
    /// passt, or libslirp's file name when only it is there (either gives VMs a network).
    pub passt: Option<PathBuf>,
    /// `MemAvailable` from /proc/meminfo.
    pub available_mib: Option<u64>,
    /// The module of a KVM without hardware virtualization (e.g. `kvm_pvm`), if that is the one.
    pub software_kvm: Option<String>,
}

/// One problem found, with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// No /dev/kvm: no KVM module, or virtualization disabled in the firmware.
    KvmMissing,
    /// /dev/kvm exists but this user may not use it.
    KvmNoAccess,
    /// vmdesk-vmm is not installed next to vmdesk or on `$PATH`.
    VmmMissing(String),
    /// Neither passt nor libslirp: VMs run without networking (the code stays "passt-missing":
    /// settings remember it).
    PasstMissing,
    /// Little free memory.
    LowMemory(u64),
    /// KVM works but without hardware virtualization (the module named): guests crawl.
    SoftwareKvm(String),
}

impl Finding {
    /// Problems that stop every VM from starting (the rest are warnings).
    pub fn is_blocking(&self) -> bool {
        matches!(
            self,
            Finding::KvmMissing | Finding::KvmNoAccess | Finding::VmmMissing(_)
        )
    }

    /// A short stable name (remembered when the user continues past a warning).
    pub fn code(&self) -> &'static str {
        match self {
            Finding::KvmMissing => "kvm-missing",
            Finding::KvmNoAccess => "kvm-access",
            Finding::VmmMissing(_) => "vmm-missing",
            Finding::PasstMissing => "passt-missing",
            Finding::LowMemory(_) => "low-memory",
            Finding::SoftwareKvm(_) => "software-kvm",
        }
    }
}

/// Judges the facts: every problem, blocking ones first.
pub fn findings(f: &Facts) -> Vec<Finding> {
    let mut out = Vec::new();
    if !f.kvm_exists {
        out.push(Finding::KvmMissing);
    } else if !f.kvm_access {
        out.push(Finding::KvmNoAccess);
    }
    if let Err(e) = &f.vmm {
        out.push(Finding::VmmMissing(e.clone()));
    }
    if f.passt.is_none() {
        out.push(Finding::PasstMissing);
    }
    if let Some(m) = f.available_mib {
        if m < LOW_MEMORY_MIB {
            out.push(Finding::LowMemory(m));
        }
    }
    if let (true, Some(m)) = (f.kvm_exists, &f.software_kvm) {
        out.push(Finding::SoftwareKvm(m.clone()));
    }
    out
}

/// Whether the check screen should show: a blocking problem, or a warning not yet accepted.
pub fn needs_attention(found: &[Finding], accepted: &[String]) -> bool {
    found
        .iter()
        .any(|f| f.is_blocking() || !accepted.iter().any(|a| a == f.code()))
}

/// `access(2)` with read and write: asks the kernel without opening the device.
pub fn can_read_write(path: &Path) -> bool {
    let Ok(c) = CString::new(path.as_os_str().as_encoded_bytes()) else {
        return false;
    };
    // SAFETY: a valid NUL-terminated path; access only reads it.
    unsafe { libc::access(c.as_ptr(), libc::R_OK | libc::W_OK) == 0 }
}

/// `MemAvailable` from a /proc/meminfo text, in MiB.
pub fn parse_mem_available(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

/// Looks at this system.
pub fn gather() -> Facts {
    let kvm = Path::new("/dev/kvm");
    Facts {
        kvm_exists: kvm.exists(),
        kvm_access: can_read_write(kvm),
        vmm: crate::data::client::find_vmm(),
        passt: vmm_core::net::passt::find_passt().or_else(|| {
            vmm_core::net::slirp::available()
                .is_ok()
                .then(|| vmm_core::net::slirp::ffi::LIBRARY.into())
        }),
        available_mib: std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|t| parse_mem_available(&t)),
        software_kvm: match vmm_core::host::KvmFlavor::detect() {
            vmm_core::host::KvmFlavor::Software(m) => Some(m.to_string()),
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> Facts {
        Facts {
            kvm_exists: true,
            kvm_access: true,
            vmm: Ok("/usr/bin/vmdesk-vmm".into()),
            passt: Some("/usr/bin/passt".into()),
            available_mib: Some(8000),
            software_kvm: None,
        }
    }

    #[test]
    fn a_good_host_has_nothing_to_say() {
        assert!(findings(&good()).is_empty());
        assert!(!needs_attention(&[], &[]));
    }

    #[test]
    fn each_problem_is_found_and_blocking_ones_come_first() {
        let f = Facts {
            kvm_exists: true,
            kvm_access: false,
            vmm: Err("not found".into()),
            passt: None,
            available_mib: Some(300),
            software_kvm: None,
        };
        let found = findings(&f);
        assert_eq!(
            found,
            [
                Finding::KvmNoAccess,
                Finding::VmmMissing("not found".into()),
                Finding::PasstMissing,
                Finding::LowMemory(300)
            ]
        );
        assert_eq!(
            found.iter().filter(|f| f.is_blocking()).count(),
            2,
            "passt and memory only warn"
        );
        let no_kvm = Facts {
            kvm_exists: false,
            kvm_access: false,
            ..good()
        };
        assert_eq!(findings(&no_kvm), [Finding::KvmMissing]);
        // Issue 15: a KVM without hardware virtualization was only in vmm.log; now it is said
        // once (a warning the user continues past is remembered).
        let pvm = Facts {
            software_kvm: Some("kvm_pvm".into()),
            ..good()
        };
        let found = findings(&pvm);
        assert_eq!(found, [Finding::SoftwareKvm("kvm_pvm".into())]);
        assert!(!found[0].is_blocking());
        assert!(needs_attention(&found, &[]));
        assert!(!needs_attention(&found, &["software-kvm".into()]));
    }

    #[test]
    fn accepted_warnings_stay_quiet_but_blocking_problems_never_do() {
        let warn = [Finding::PasstMissing];
        assert!(needs_attention(&warn, &[]));
        assert!(!needs_attention(&warn, &["passt-missing".into()]));
        let block = [Finding::KvmMissing];
        assert!(needs_attention(&block, &["kvm-missing".into()]));
    }

    #[test]
    fn meminfo_and_access_are_read_without_opening_devices() {
        let text = "MemTotal:       24000000 kB\nMemFree:  100 kB\nMemAvailable:    1048576 kB\n";
        assert_eq!(parse_mem_available(text), Some(1024));
        assert_eq!(parse_mem_available("MemTotal: 1 kB\n"), None);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, "x").unwrap();
        assert!(can_read_write(&p));
        assert!(!can_read_write(&dir.path().join("missing")));
        // Real facts can be gathered on any machine.
        let _ = gather();
    }
}
