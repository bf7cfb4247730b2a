//! Landlock: the VMM may open only its VM's files (see [`super::Policy`]).
//!
//! Landlock restricts the thread that asks and the threads it spawns afterwards (this kernel
//! has no "all threads" flag before ABI 8), so every thread restricts itself in
//! [`super::confine`] with a copy of one ruleset made here. Files opened before (/dev/kvm, the
//! disks, passt's socket) stay usable: Landlock checks at open time.

use super::Policy;
use landlock::{
    Access, AccessFs, BitFlags, PathBeneath, PathFd, Ruleset as LlRuleset, RulesetAttr,
    RulesetCreated, RulesetCreatedAttr, ABI,
};
use std::path::Path;

/// The ABI whose rights we ask for; newer kernels add rights we do not need, older ones get
/// what they have (the crate's best effort).
const WANTED: ABI = ABI::V5;

pub(super) struct Ruleset {
    created: RulesetCreated,
    /// The kernel's Landlock ABI version.
    pub abi: i32,
}

/// The kernel's Landlock ABI version; `None` without Landlock (not built in, or disabled).
pub(super) fn kernel_abi() -> Option<i32> {
    // SAFETY: the documented version query: no ruleset, size 0, flag VERSION.
    let v = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<u8>(),
            0usize,
            1u32,
        )
    };
    (v > 0).then_some(v as i32)
}

impl Ruleset {
    /// The ruleset for `policy`; `None` when the kernel has no Landlock. A path that does not
    /// exist (an optional file) is skipped: nothing can be opened there anyway.
    pub(super) fn new(policy: &Policy) -> Result<Option<Ruleset>, String> {
        let Some(abi) = kernel_abi() else {
            return Ok(None);
        };
        let err = |e: &dyn std::fmt::Display| format!("landlock: {e}");
        let all = AccessFs::from_all(WANTED);
        let read_file: BitFlags<AccessFs> = AccessFs::ReadFile.into();
        let read_dir = AccessFs::from_read(WANTED);
        let rw_file = AccessFs::from_file(WANTED);
        let mut rules: Vec<(&Path, BitFlags<AccessFs>)> = Vec::new();
        rules.extend(policy.rw_dirs.iter().map(|d| (d.as_path(), all)));
        rules.extend(policy.rw_files.iter().map(|f| (f.as_path(), rw_file)));
        rules.extend(policy.ro_files.iter().map(|f| (f.as_path(), read_file)));
        rules.extend(policy.ro_dirs.iter().map(|d| (d.as_path(), read_dir)));
        let mut created = LlRuleset::default()
            .handle_access(all)
            .map_err(|e| err(&e))?
            .create()
            .map_err(|e| err(&e))?;
        for (path, access) in rules {
            let fd = match PathFd::new(path) {
                Ok(fd) => fd,
                Err(_) if !path.exists() => continue,
                Err(e) => return Err(format!("landlock: {}: {e}", path.display())),
            };
            // A file's rule may carry only file rights.
            let access = if path.is_dir() {
                access
            } else {
                access & rw_file
            };
            created = created
                .add_rule(PathBeneath::new(fd, access))
                .map_err(|e| format!("landlock: {}: {e}", path.display()))?;
        }
        Ok(Some(Ruleset { created, abi }))
    }

    /// Restricts the calling thread (and the threads it spawns from now on).
    pub(super) fn restrict_self(&self) -> Result<(), String> {
        let r = self
            .created
            .try_clone()
            .map_err(|e| format!("landlock: {e}"))?;
        r.restrict_self().map_err(|e| format!("landlock: {e}"))?;
        Ok(())
    }
}
