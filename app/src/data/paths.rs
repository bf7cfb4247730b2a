//! Where vmdesk keeps its files (XDG base directories).
//!
//! - settings: `$XDG_CONFIG_HOME/vmdesk/settings.toml`
//! - VMs: `$XDG_DATA_HOME/vmdesk/vms/<id>/vm.toml` (+ `serial.log`, `vmm.log`)
//! - control sockets: `$XDG_RUNTIME_DIR/vmdesk/<id>/control.sock` (decided by vmdesk-vmm), and
//!   the screen's `vnc.sock` beside it
//!
//! Everything takes a [`Paths`], so tests point it at a temporary folder and never touch the
//! real home.

use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
    /// Base of the per-VM runtime folders; `None` means vmdesk-vmm's default
    /// (`$XDG_RUNTIME_DIR/vmdesk`), which the app then does not pass on the command line.
    pub runtime_base: Option<PathBuf>,
}

impl Paths {
    /// The user's XDG folders, or everything under `$VMDESK_HOME` when set (portable use,
    /// e.g. a classroom USB stick).
    pub fn from_env() -> Result<Paths, String> {
        if let Some(home) = std::env::var_os("VMDESK_HOME").filter(|h| !h.is_empty()) {
            return Ok(Paths::under(Path::new(&home)));
        }
        let dirs = directories::ProjectDirs::from("", "", "vmdesk")
            .ok_or_else(|| "no home folder found (is $HOME set?)".to_string())?;
        Ok(Paths {
            config_dir: dirs.config_dir().to_path_buf(),
            data_dir: dirs.data_dir().to_path_buf(),
            runtime_base: None,
        })
    }

    /// Everything under one folder (tests, portable use).
    pub fn under(root: &Path) -> Paths {
        Paths {
            config_dir: root.join("config"),
            data_dir: root.join("data"),
            runtime_base: Some(root.join("run")),
        }
    }

    pub fn settings_file(&self) -> PathBuf {
        self.config_dir.join("settings.toml")
    }

    pub fn vms_dir(&self) -> PathBuf {
        self.data_dir.join("vms")
    }

    pub fn vm_dir(&self, id: &str) -> PathBuf {
        self.vms_dir().join(id)
    }

    pub fn vm_config(&self, id: &str) -> PathBuf {
        self.vm_dir(id).join("vm.toml")
    }

    /// Where vmdesk-vmm's own stdout/stderr go.
    pub fn vmm_log(&self, id: &str) -> PathBuf {
        self.vm_dir(id).join("vmm.log")
    }

    pub fn runtime_dir(&self, id: &str) -> PathBuf {
        match &self.runtime_base {
            Some(base) => base.join(id),
            None => vmm_core::api_server::default_runtime_dir(id),
        }
    }

    /// The VM's VNC server (VMs with a `[display]`).
    pub fn vnc_socket(&self, id: &str) -> PathBuf {
        self.runtime_dir(id).join("vnc.sock")
    }

    pub fn socket(&self, id: &str) -> PathBuf {
        vmm_core::api_server::socket_path(&self.runtime_dir(id))
    }
}

/// vmdesk's cache folder (`$XDG_CACHE_HOME/vmdesk`, or `$VMDESK_HOME/cache`): things that can
/// be rebuilt at any time, such as the osinfo-db index. None without a home folder.
pub fn cache_dir() -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("VMDESK_HOME").filter(|h| !h.is_empty()) {
        return Some(Path::new(&home).join("cache"));
    }
    directories::ProjectDirs::from("", "", "vmdesk").map(|d| d.cache_dir().to_path_buf())
}

/// The folder screenshots go to: the desktop's Pictures folder, else `~/Pictures` (made when
/// missing). Never a VM's folder: a screenshot must outlive the VM it shows.
#[cfg(not(test))]
pub fn screenshot_dir() -> Result<PathBuf, String> {
    let dirs = directories::UserDirs::new()
        .ok_or_else(|| "no home folder found (is $HOME set?)".to_string())?;
    let dir = dirs
        .picture_dir()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| dirs.home_dir().join("Pictures"));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}

/// Tests never write into the real home.
#[cfg(test)]
pub fn screenshot_dir() -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join("vmdesk-test-pictures");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}

/// A new file for a screenshot of VM `id` taken at `unix_ms`, in `dir`: named to the second,
/// and never one that exists (two in the same second get `-2`, `-3` …).
pub fn screenshot_file(dir: &Path, id: &str, unix_ms: u64) -> PathBuf {
    let stem = format!(
        "vmdesk-{id}-{}",
        crate::data::snapshots::local_stamp(unix_ms)
    );
    let mut p = dir.join(format!("{stem}.png"));
    let mut n = 2;
    while p.exists() {
        p = dir.join(format!("{stem}-{n}.png"));
        n += 1;
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 15: two screenshots in one minute (or one second) must not overwrite each other.
    #[test]
    fn screenshot_files_are_named_to_the_second_and_never_reused() {
        let dir = tempfile::tempdir().unwrap();
        let t = 1_796_573_674_463;
        let a = screenshot_file(dir.path(), "web", t);
        let name = a.file_name().unwrap().to_str().unwrap().to_string();
        assert!(
            name.starts_with("vmdesk-web-") && name.ends_with(".png"),
            "{name}"
        );
        assert_ne!(
            a,
            screenshot_file(dir.path(), "web", t + 1000),
            "a second later"
        );
        std::fs::write(&a, b"png").unwrap();
        let b = screenshot_file(dir.path(), "web", t);
        assert_eq!(b, a.with_file_name(name.replace(".png", "-2.png")));
        std::fs::write(&b, b"png").unwrap();
        let c = screenshot_file(dir.path(), "web", t);
        assert_eq!(c, a.with_file_name(name.replace(".png", "-3.png")));
    }
}
