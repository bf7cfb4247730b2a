//! The VM library on disk: one folder per VM under `<data>/vms/<id>/`, holding `vm.toml`,
//! `serial.log` (written by vmdesk-vmm) and `vmm.log` (vmdesk-vmm's own output).
//!
//! A `vm.toml` that does not parse (damaged, or written by a newer vmdesk) is listed as broken
//! with the parser's message and is never written by the app.

use crate::data::paths::Paths;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use vmm_core::config::{BootSource, VmConfig};

#[derive(Debug, Clone, PartialEq)]
pub struct VmEntry {
    /// The folder name (and, for a good config, its `id`).
    pub id: String,
    pub dir: PathBuf,
    /// The parsed config, or why it could not be read.
    pub config: Result<VmConfig, String>,
}

impl VmEntry {
    pub fn name(&self) -> &str {
        match &self.config {
            Ok(c) => &c.name,
            Err(_) => &self.id,
        }
    }

    pub fn is_broken(&self) -> bool {
        self.config.is_err()
    }
}

/// Every VM folder, sorted by name. Folders without a `vm.toml` are skipped.
pub fn list(paths: &Paths) -> Vec<VmEntry> {
    let Ok(rd) = std::fs::read_dir(paths.vms_dir()) else {
        return Vec::new();
    };
    let mut out: Vec<VmEntry> = rd
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("vm.toml").is_file())
        .map(|e| {
            let id = e.file_name().to_string_lossy().into_owned();
            load_entry(&id, &e.path())
        })
        .collect();
    out.sort_by(|a, b| {
        a.name()
            .to_lowercase()
            .cmp(&b.name().to_lowercase())
            .then(a.id.cmp(&b.id))
    });
    out
}

fn load_entry(id: &str, dir: &Path) -> VmEntry {
    let file = dir.join("vm.toml");
    let config = match VmConfig::load(&file) {
        Ok(c) if c.id != id => Err(format!(
            "id: {:?} does not match its folder name {:?}",
            c.id, id
        )),
        Ok(c) => Ok(c),
        Err(e) => Err(e.reason()),
    };
    VmEntry {
        id: id.to_string(),
        dir: dir.to_path_buf(),
        config,
    }
}

/// An id for a new VM: the name in lowercase with runs of other characters turned into '-',
/// made unique among `taken` with a numeric suffix.
pub fn derive_id(name: &str, taken: &[String]) -> String {
    let mut base = String::new();
    for c in name.trim().chars().flat_map(|c| c.to_lowercase()) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            base.push(c);
        } else if !base.ends_with('-') && !base.is_empty() {
            base.push('-');
        }
    }
    let mut base = base.trim_end_matches('-').to_string();
    base.truncate(48);
    let base = if base.is_empty() {
        "vm".to_string()
    } else {
        base.trim_end_matches('-').to_string()
    };
    if !taken.contains(&base) {
        return base;
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|c| !taken.iter().any(|t| t == c))
        .unwrap_or(base)
}

/// Writes a new VM's folder and config; fails if the folder exists.
/// The smallest config that parses: the base a new VM's form fills in.
pub fn blank_config() -> VmConfig {
    VmConfig::from_toml(
        "id = \"vm\"\nname = \"VM\"\nvcpus = 1\nmemory_mib = 64\n[boot]\nkind = \"linux\"\nkernel = \"\"\n",
    )
    .expect("the minimal config parses")
}

#[cfg(test)]
pub fn create(paths: &Paths, cfg: &VmConfig) -> std::io::Result<()> {
    let dir = create_dir(paths, &cfg.id)?;
    cfg.save(&dir.join("vm.toml"))
        .map_err(std::io::Error::other)
}

/// Makes a new VM's (empty) folder, mode 0700 (it will hold the VM's disks and RAM
/// snapshots); fails if it exists.
pub fn create_dir(paths: &Paths, id: &str) -> std::io::Result<PathBuf> {
    vmm_core::util::create_private_dir_all(&paths.vms_dir())?;
    let dir = paths.vm_dir(id);
    vmm_core::util::create_private_dir(&dir)?;
    Ok(dir)
}

/// Saves a changed config over an existing, readable one (never over a broken one).
pub fn save(paths: &Paths, cfg: &VmConfig) -> std::io::Result<()> {
    let file = paths.vm_config(&cfg.id);
    if VmConfig::load(&file).is_err() {
        return Err(std::io::Error::other(format!(
            "{} cannot be read; it is left as it is",
            file.display()
        )));
    }
    cfg.save(&file).map_err(std::io::Error::other)
}

/// Removes a VM's folder.
pub fn delete(paths: &Paths, id: &str) -> std::io::Result<()> {
    if id.is_empty() || id.contains('/') || id == "." || id == ".." {
        return Err(std::io::Error::other("bad VM id"));
    }
    std::fs::remove_dir_all(paths.vm_dir(id))
}

/// The serial log file of a VM.
pub fn serial_log(paths: &Paths, id: &str, cfg: Option<&VmConfig>) -> PathBuf {
    let dir = paths.vm_dir(id);
    match cfg.and_then(|c| c.serial.log_file.clone()) {
        Some(p) if p.is_absolute() => p,
        Some(p) => dir.join(p),
        None => dir.join("serial.log"),
    }
}

/// The last `n` lines of a text file (reads at most the last 64 KiB).
pub fn tail(path: &Path, n: usize) -> Vec<String> {
    let text = tail_text(path, 64 * 1024);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|l| l.trim_end_matches('\r').to_string())
        .collect()
}

/// The last `n` lines of a serial log as a terminal shows them (escape sequences applied).
pub fn serial_tail(path: &Path, n: usize) -> Vec<String> {
    crate::data::vt::last_lines(tail_text(path, 64 * 1024).as_bytes(), n)
}

/// The last `max` bytes of a file, as text (lossy). Only a regular file: a FIFO or a device
/// named as a serial log would stall or flood the UI.
pub fn tail_text(path: &Path, max: u64) -> String {
    let Ok(mut f) = vmm_core::util::open_regular(path) else {
        return String::new();
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    if len > max {
        let _ = f.seek(SeekFrom::Start(len - max));
    }
    let mut buf = Vec::new();
    // A log that grows while read: still no more than `max`.
    let _ = f.take(max).read_to_end(&mut buf);
    let mut text = String::from_utf8_lossy(&buf).into_owned();
    if len > max {
        // Drop the partial first line.
        if let Some(i) = text.find('\n') {
            text.drain(..=i);
        }
    }
    text
}

/// One line about how the VM boots, e.g. `Linux · vmlinuz + initrd.img`.
pub fn boot_summary(cfg: &VmConfig) -> String {
    let file = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| p.display().to_string())
    };
    match &cfg.boot {
        BootSource::Bios { .. } => match cfg.boot.firmware() {
            Some(fw) => format!("{} · {}", crate::t!("boot-bios"), file(&fw)),
            None => crate::t!("boot-bios"),
        },
        BootSource::Uefi { .. } => match cfg.boot.firmware() {
            Some(fw) => format!("{} · {}", crate::t!("boot-uefi"), file(&fw)),
            None => crate::t!("boot-uefi"),
        },
        BootSource::Linux { kernel, initrd, .. } => match initrd {
            Some(i) => format!("{} + {}", file(kernel), file(i)),
            None => file(kernel),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn sample(id: &str, name: &str) -> VmConfig {
        let mut c = blank_config();
        c.id = id.into();
        c.name = name.into();
        c.boot = BootSource::Linux {
            kernel: "/boot/vmlinuz".into(),
            initrd: None,
            cmdline: "console=ttyS0".into(),
        };
        c
    }

    #[test]
    fn a_bios_vm_is_summed_up_by_its_firmware() {
        crate::testing::english();
        let mut c = sample("pc", "PC");
        c.boot = BootSource::Bios {
            firmware: None,
            order: vec![],
            vga_rom: None,
        };
        assert_eq!(boot_summary(&c), "BIOS firmware · bios-256k.bin");
        c.boot = BootSource::Uefi {
            firmware: None,
            vars: None,
            order: vec![],
        };
        assert_eq!(boot_summary(&c), "UEFI firmware · OVMF_CODE_4M.fd");
    }

    #[test]
    fn ids_are_derived_from_names_and_made_unique() {
        assert_eq!(derive_id("Debian 12 (test)", &[]), "debian-12-test");
        assert_eq!(derive_id("  ", &[]), "vm");
        assert_eq!(derive_id("Über VM", &[]), "ber-vm");
        let taken = vec!["web".to_string(), "web-2".to_string()];
        assert_eq!(derive_id("Web", &taken), "web-3");
        let long = "x".repeat(100);
        assert_eq!(derive_id(&long, &[]).len(), 48);
    }

    #[test]
    fn broken_configs_are_listed_with_their_error_and_never_overwritten() {
        let root = tempfile::tempdir().unwrap();
        let paths = Paths::under(root.path());
        create(&paths, &sample("good", "Good")).unwrap();
        std::fs::create_dir_all(paths.vm_dir("newer")).unwrap();
        let newer = "id='newer'\nname='N'\nvcpus=1\nmemory_mib=64\ntpm=true\n[boot]\nkind='linux'\nkernel='k'\n";
        std::fs::write(paths.vm_config("newer"), newer).unwrap();
        std::fs::create_dir_all(paths.vms_dir().join("empty")).unwrap();
        let list = list(&paths);
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].name(), "Good");
        let broken = &list[1];
        assert!(broken.is_broken());
        assert!(broken.config.as_ref().unwrap_err().contains("tpm"));
        let mut c = sample("newer", "N");
        c.vcpus = 2;
        assert!(save(&paths, &c).is_err());
        assert_eq!(
            std::fs::read_to_string(paths.vm_config("newer")).unwrap(),
            newer
        );
        assert!(create(&paths, &sample("good", "Again")).is_err());
    }

    #[test]
    fn a_log_that_is_a_fifo_or_a_device_reads_as_empty_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("serial.log");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert_eq!(tail_text(&fifo, 1024), "");
        assert_eq!(tail_text(Path::new("/dev/zero"), 1024), "");
    }

    #[test]
    fn vm_folders_and_configs_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let paths = Paths::under(root.path());
        create(&paths, &sample("mine", "Mine")).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&paths.vms_dir()), 0o700);
        assert_eq!(mode(&paths.vm_dir("mine")), 0o700);
        assert_eq!(mode(&paths.vm_config("mine")), 0o600);
    }

    #[test]
    fn tail_returns_the_last_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("serial.log");
        let text: String = (0..1000).map(|i| format!("line {i}\r\n")).collect();
        std::fs::write(&p, text).unwrap();
        assert_eq!(tail(&p, 2), ["line 998", "line 999"]);
        assert!(tail(&dir.path().join("missing"), 3).is_empty());
    }
}
