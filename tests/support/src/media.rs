//! Boot media made at test time from Debian's tools, so nothing binary is committed: an ISO
//! that `grub-mkrescue` builds around a kernel (the test guest), as distributions build their
//! installer ISOs.

use std::path::{Path, PathBuf};
use std::process::Command;

/// What grub-mkrescue needs for a BIOS-bootable ISO, as `(command or path, Debian package)`.
pub const GRUB_TOOLS: [(&str, &str); 4] = [
    ("grub-mkrescue", "grub-common"),
    ("xorriso", "xorriso"),
    ("mformat", "mtools"),
    ("/usr/lib/grub/i386-pc", "grub-pc-bin"),
];

/// The first GRUB tool missing here, with its package; `None` when an ISO can be made.
pub fn missing_grub_tool() -> Option<(&'static str, &'static str)> {
    GRUB_TOOLS.into_iter().find(|(tool, _)| {
        if tool.starts_with('/') {
            !Path::new(tool).is_dir()
        } else {
            Command::new(tool).arg("--version").output().is_err()
        }
    })
}

/// Builds `<dir>/guest.iso`: `kernel` as `/boot/vmdesk-guest` and a GRUB menu with one entry
/// per `(title, command line)`, the first the default after `timeout` seconds. grub-mkrescue's
/// ISO is hybrid: El Torito for CD-ROMs, and an MBR that boots it from a disk.
pub fn grub_iso(
    dir: &Path,
    kernel: &Path,
    timeout: u32,
    entries: &[(&str, &str)],
) -> Result<PathBuf, String> {
    let root = dir.join("iso-root");
    let io = |what: &str, e: std::io::Error| format!("{what}: {e}");
    std::fs::create_dir_all(root.join("boot/grub")).map_err(|e| io("iso-root", e))?;
    std::fs::copy(kernel, root.join("boot/vmdesk-guest"))
        .map_err(|e| io(&kernel.display().to_string(), e))?;
    let mut cfg = format!("set timeout={timeout}\nset default=0\n");
    for (title, cmdline) in entries {
        cfg += &format!("menuentry \"{title}\" {{\n  linux /boot/vmdesk-guest {cmdline}\n}}\n");
    }
    std::fs::write(root.join("boot/grub/grub.cfg"), cfg).map_err(|e| io("grub.cfg", e))?;
    let iso = dir.join("guest.iso");
    let out = Command::new("grub-mkrescue")
        .arg("-o")
        .arg(&iso)
        .arg(&root)
        .output()
        .map_err(|e| io("grub-mkrescue", e))?;
    if !out.status.success() {
        return Err(format!(
            "grub-mkrescue failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(iso)
}
