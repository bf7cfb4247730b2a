//! `VmConfig`: what a VM is, as the app writes it (TOML on disk) and `vmdesk-vmm` reads it.
//!
//! The types here are plain data and depend on no device or runtime module (storage, net and
//! the boot code depend on them, not the other way round). Parsing rejects unknown fields;
//! [`validate`] holds every check that can be made before touching `/dev/kvm`, field by field
//! for forms and whole for `vmdesk-vmm --check`, each error naming its field.

mod boot_de;
pub mod validate;

pub use validate::{ConfigError, ConfigErrorKind};

use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};

/// Largest command line our loader hands over (Linux's `cmdline_size` default for x86 is 2047).
pub const MAX_CMDLINE_LEN: usize = 2047;
/// Guests smaller than this cannot hold the boot structures plus any kernel.
pub const MIN_MEMORY_MIB: u64 = 16;

/// A VM's configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VmConfig {
    /// Stable identifier: used in folder and socket names, so `[a-z0-9_-]`, 1..=64 chars.
    pub id: String,
    /// Human-readable name shown by the app.
    pub name: String,
    /// Number of virtual CPUs.
    pub vcpus: u32,
    /// Guest RAM in MiB.
    pub memory_mib: u64,
    /// How the guest starts.
    pub boot: BootSource,
    #[serde(default)]
    pub serial: SerialConfig,
    /// Disk images (attached by a later device; kept here so configs written now stay valid).
    #[serde(default)]
    pub disks: Vec<DiskConfig>,
    /// Network interfaces: virtio-net devices, each backed by its own passt process.
    #[serde(default)]
    pub nics: Vec<NicConfig>,
    /// The guest's screen, if any.
    #[serde(default)]
    pub display: Option<DisplayConfig>,
    /// A virtio-rng device feeding the guest entropy from the host.
    #[serde(default = "yes")]
    pub virtio_rng: bool,
    /// CD-ROM drives (ATAPI on the AHCI controller), firmware machines only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cdroms: Vec<CdromConfig>,
    /// The operating system the VM was made for, as the app recognised it (osinfo-db): shown
    /// in the library and kept for exports. The VMM does not read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<GuestOs>,
}

/// An operating system as osinfo-db names it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestOs {
    /// osinfo-db's id, e.g. `http://debian.org/debian/12`.
    pub id: String,
    /// What people call it, e.g. `Debian 12`.
    pub name: String,
}

/// A CD-ROM drive: an ISO 9660 image the guest reads, never writes; no `path` = an empty drive.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CdromConfig {
    /// The ISO image; relative paths are taken from the VM's folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
}

/// A kind of boot device, in `[boot] order`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BootDevice {
    Cdrom,
    Disk,
}

/// How the guest starts. Read through [`boot_de`] so that errors name their key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "kebab-case",
    deny_unknown_fields,
    try_from = "boot_de::BootRaw"
)]
pub enum BootSource {
    /// Direct Linux boot: a bzImage or an ELF vmlinux, optional initrd and command line.
    Linux {
        kernel: PathBuf,
        #[serde(default)]
        initrd: Option<PathBuf>,
        #[serde(default)]
        cmdline: String,
    },
    /// A PC that starts its firmware from the reset vector (SeaBIOS), which then looks for
    /// something to boot.
    Bios {
        /// The firmware image; [`DEFAULT_BIOS`] when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        firmware: Option<PathBuf>,
        /// Which kinds of device the firmware tries first; empty = [`default_boot_order`].
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        order: Vec<BootDevice>,
        /// The VGA's option ROM, when the VM has a display; [`DEFAULT_VGA_ROM`] when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        vga_rom: Option<PathBuf>,
    },
    /// The same PC with UEFI firmware (OVMF) in two CFI flash devices below 4 GiB: the code
    /// read-only, the variables writable and kept in a per-VM file.
    Uefi {
        /// The firmware's code; [`DEFAULT_UEFI_CODE`] when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        firmware: Option<PathBuf>,
        /// The VM's variable store; [`DEFAULT_UEFI_VARS`] in the VM's folder when absent. When
        /// the file is not there, the VMM creates it from [`UEFI_VARS_TEMPLATE`].
        #[serde(default, skip_serializing_if = "Option::is_none")]
        vars: Option<PathBuf>,
        /// Which kinds of device the firmware tries first; empty = [`default_boot_order`].
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        order: Vec<BootDevice>,
    },
}

/// Debian's OVMF (package `ovmf`): the code of `kind = "uefi"` unless one is named.
pub const DEFAULT_UEFI_CODE: &str = "/usr/share/OVMF/OVMF_CODE_4M.fd";
/// The empty variable store that goes with [`DEFAULT_UEFI_CODE`]; each VM gets a copy.
pub const UEFI_VARS_TEMPLATE: &str = "/usr/share/OVMF/OVMF_VARS_4M.fd";
/// A UEFI VM's variable store in its folder, unless `vars` names another file.
pub const DEFAULT_UEFI_VARS: &str = "OVMF_VARS.fd";

/// Debian's SeaBIOS (package `seabios`), the firmware of `kind = "bios"` unless one is named.
pub const DEFAULT_BIOS: &str = "/usr/share/seabios/bios-256k.bin";

/// Debian's VGA BIOS for the std-vga (package `seabios`), which a BIOS machine with a display
/// hands SeaBIOS as its VGA's option ROM.
pub const DEFAULT_VGA_ROM: &str = "/usr/share/seabios/vgabios-stdvga.bin";

impl BootSource {
    /// The firmware file of a BIOS machine or the code of a UEFI machine (the default one
    /// when none is named); `None` for direct kernel boot.
    pub fn firmware(&self) -> Option<PathBuf> {
        match self {
            BootSource::Linux { .. } => None,
            BootSource::Bios { firmware, .. } => Some(
                firmware
                    .clone()
                    .unwrap_or_else(|| PathBuf::from(DEFAULT_BIOS)),
            ),
            BootSource::Uefi { firmware, .. } => Some(
                firmware
                    .clone()
                    .unwrap_or_else(|| PathBuf::from(DEFAULT_UEFI_CODE)),
            ),
        }
    }

    /// A UEFI machine's variable store: `vars` (relative to `vm_dir` if relative), else
    /// [`DEFAULT_UEFI_VARS`] in `vm_dir`. `None` for the other machines.
    pub fn uefi_vars(&self, vm_dir: &Path) -> Option<PathBuf> {
        match self {
            BootSource::Uefi { vars, .. } => Some(match vars {
                Some(v) => vm_dir.join(v),
                None => vm_dir.join(DEFAULT_UEFI_VARS),
            }),
            _ => None,
        }
    }

    /// The VGA BIOS of a BIOS machine (the default one when none is named); `None` for direct
    /// kernel boot and for UEFI, whose firmware drives the VGA itself (QemuVideoDxe).
    pub fn vga_rom(&self) -> Option<PathBuf> {
        match self {
            BootSource::Linux { .. } | BootSource::Uefi { .. } => None,
            BootSource::Bios { vga_rom, .. } => Some(
                vga_rom
                    .clone()
                    .unwrap_or_else(|| PathBuf::from(DEFAULT_VGA_ROM)),
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SerialConfig {
    /// Write everything the guest prints on COM1 to a log file in the VM's folder.
    #[serde(default = "yes")]
    pub log: bool,
    /// Log file; relative paths are taken from the VM's folder. Default `serial.log`.
    #[serde(default)]
    pub log_file: Option<PathBuf>,
}

fn yes() -> bool {
    true
}

impl SerialConfig {
    /// Where the serial log goes for a VM in `vm_dir` (None: no log).
    pub fn log_path(&self, vm_dir: &Path) -> Option<PathBuf> {
        if !self.log {
            return None;
        }
        Some(match &self.log_file {
            Some(p) if p.is_absolute() => p.clone(),
            Some(p) => vm_dir.join(p),
            None => vm_dir.join("serial.log"),
        })
    }
}

impl Default for SerialConfig {
    fn default() -> Self {
        SerialConfig {
            log: true,
            log_file: None,
        }
    }
}

/// A disk: a raw or qcow2 image the guest sees as a virtio-blk device (`/dev/vda`, ...), in
/// config order, or (`bus = "sata"`, firmware machines) as a SATA disk on the AHCI controller.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiskConfig {
    /// The image file (or host block device); relative paths are taken from the VM's folder.
    pub path: PathBuf,
    /// The guest may read but not write; the image is shared-locked, so several VMs may use it.
    /// A writable image is locked for this VM alone.
    #[serde(default)]
    pub read_only: bool,
    /// "raw" or "qcow2"; probed from the file's content when absent. Set it for images the
    /// guest can write: a raw disk whose guest wrote a qcow2 header would otherwise be probed as
    /// qcow2 on the next start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<ImageFormat>,
    /// Serial number the guest sees (`/dev/disk/by-id/virtio-<serial>`), at most 20 printable
    /// ASCII characters; derived from the image's path when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    /// How the guest sees it: virtio-blk (the default) or a SATA disk on the AHCI controller,
    /// for installers without virtio drivers (Windows, some BSDs). SATA disks take the AHCI
    /// ports after the CD-ROM drives: `cdroms[0..n]` are ports `0..n`, then the SATA disks in
    /// config order. Firmware machines only.
    #[serde(default, skip_serializing_if = "DiskBus::is_default")]
    pub bus: Option<DiskBus>,
    /// Folders (files directly in them, not subfolders) outside the image's own folder and the
    /// VM's folder where the image's backing files may be, as the user confirmed them (or the app recorded for a
    /// linked clone of another VM). Anything else an image names as its backing file is refused
    /// (see `storage::BackingPolicy`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow_backing: Vec<PathBuf>,
}

/// The bus a disk is on (`disks[i].bus`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiskBus {
    #[default]
    Virtio,
    Sata,
}

impl DiskBus {
    /// `None` and `Some(Virtio)` mean the same: written as nothing.
    fn is_default(b: &Option<DiskBus>) -> bool {
        b.unwrap_or_default() == DiskBus::Virtio
    }
}

impl DiskConfig {
    /// The bus it is on (virtio unless it says otherwise).
    pub fn bus(&self) -> DiskBus {
        self.bus.unwrap_or_default()
    }

    /// Whether it is a SATA disk on the AHCI controller.
    pub fn is_sata(&self) -> bool {
        self.bus() == DiskBus::Sata
    }
}

/// An image format vmdesk can use. Defined with the config that names it; `storage` opens it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageFormat {
    Raw,
    Qcow2,
}

impl fmt::Display for ImageFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ImageFormat::Raw => "raw",
            ImageFormat::Qcow2 => "qcow2",
        })
    }
}

/// A network interface: virtio-net with user-mode networking by `passt` or libslirp (guest
/// address and gateway assigned by DHCP; the gateway address reaches the host's loopback).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NicConfig {
    /// `aa:bb:cc:dd:ee:ff`, unicast. Default: a locally administered address derived from the
    /// VM id and the NIC's index, the same on every start.
    #[serde(default)]
    pub mac: Option<String>,
    /// Ports on the host's 127.0.0.1 forwarded to the guest.
    #[serde(default)]
    pub forwards: Vec<PortForward>,
    /// Which user-mode network stack serves the NIC (`crate::net::choose_backend`).
    #[serde(default, skip_serializing_if = "NetBackend::is_auto")]
    pub backend: NetBackend,
}

/// `backend = "auto" | "passt" | "slirp"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NetBackend {
    /// slirp for a NIC with TCP forwards (Debian 12's passt cannot carry them into a guest),
    /// else passt, else slirp, whichever is installed.
    #[default]
    Auto,
    /// passt, a separate sandboxed process (`apt-get install passt`).
    Passt,
    /// libslirp in a thread of vmdesk-vmm (`apt-get install libslirp0`).
    Slirp,
}

impl NetBackend {
    pub fn is_auto(&self) -> bool {
        *self == NetBackend::Auto
    }
}

impl fmt::Display for NetBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NetBackend::Auto => "auto",
            NetBackend::Passt => "passt",
            NetBackend::Slirp => "slirp",
        })
    }
}

/// `{ proto = "tcp", host_port = 8080, guest_port = 80 }`: 127.0.0.1:8080 on the host reaches
/// port 80 of the guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortForward {
    pub proto: Protocol,
    pub host_port: u16,
    pub guest_port: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Tcp,
    Udp,
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        })
    }
}

/// The guest's screen: a linear framebuffer, a virtio keyboard and tablet, and a VNC server
/// (always on a Unix socket in the runtime folder; on loopback TCP when `vnc_port` is set).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisplayConfig {
    #[serde(default = "default_width")]
    pub width: u32,
    #[serde(default = "default_height")]
    pub height: u32,
    /// Also serve VNC on 127.0.0.1:<port> (needs `vnc_password`).
    #[serde(default)]
    pub vnc_port: Option<u16>,
    /// VNC password for the TCP listener (VNC authentication uses at most 8 characters).
    #[serde(default)]
    pub vnc_password: Option<String>,
    /// What the guest draws into: `framebuffer` or `virtio-gpu` on the kernel machine,
    /// `std-vga` (also spelt `framebuffer`, as older files have it) or `virtio-gpu` (as
    /// virtio-vga) on the PC machine.
    #[serde(default, skip_serializing_if = "DisplayKind::is_default")]
    pub kind: DisplayKind,
}

/// The screen device.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DisplayKind {
    /// A linear framebuffer the boot protocol hands over (efifb/simplefb): fixed size.
    #[default]
    Framebuffer,
    /// A virtio-gpu 2D device (virtio-mmio on the kernel machine, virtio-vga on the PC): the
    /// guest's driver sets modes, the host can ask for another size.
    VirtioGpu,
    /// The PC machine's std-vga (Bochs VBE), what `framebuffer` means there too.
    StdVga,
}

impl DisplayKind {
    fn is_default(&self) -> bool {
        *self == DisplayKind::Framebuffer
    }

    /// How a config file spells it.
    pub fn name(self) -> &'static str {
        match self {
            DisplayKind::Framebuffer => "framebuffer",
            DisplayKind::VirtioGpu => "virtio-gpu",
            DisplayKind::StdVga => "std-vga",
        }
    }

    /// The kinds a machine offers: a firmware (PC) machine or the kernel machine. (A PC
    /// config's `framebuffer` is accepted as its VGA but not offered.)
    pub fn allowed(firmware: bool) -> &'static [DisplayKind] {
        if firmware {
            &[DisplayKind::StdVga, DisplayKind::VirtioGpu]
        } else {
            &[DisplayKind::Framebuffer, DisplayKind::VirtioGpu]
        }
    }
}

fn default_width() -> u32 {
    1024
}
fn default_height() -> u32 {
    768
}

impl Default for DisplayConfig {
    fn default() -> Self {
        DisplayConfig {
            width: default_width(),
            height: default_height(),
            vnc_port: None,
            vnc_password: None,
            kind: DisplayKind::Framebuffer,
        }
    }
}

/// A config file that cannot be read or parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    #[error("{}: cannot read config: {reason}", file.display())]
    Read { file: PathBuf, reason: String },
    /// Not TOML, or not a config (unknown field, wrong type, ...); `message` is toml's, which
    /// names the key and shows the line.
    #[error("{}{message}", file.as_ref().map(|f| format!("{}: ", f.display())).unwrap_or_default())]
    Parse {
        file: Option<PathBuf>,
        message: String,
    },
}

impl LoadError {
    /// The file at fault, if known.
    pub fn file(&self) -> Option<&Path> {
        match self {
            LoadError::Read { file, .. } => Some(file),
            LoadError::Parse { file, .. } => file.as_deref(),
        }
    }

    /// The message without the file's name, for where the file is already shown.
    pub fn reason(&self) -> String {
        match self {
            LoadError::Read { reason, .. } => format!("cannot read config: {reason}"),
            LoadError::Parse { message, .. } => message.clone(),
        }
    }

    fn in_file(self, path: &Path) -> LoadError {
        match self {
            LoadError::Parse { message, .. } => LoadError::Parse {
                file: Some(path.to_path_buf()),
                message,
            },
            read => read,
        }
    }
}

/// A config that cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("{}: cannot encode config: {source}", file.display())]
    Serialize {
        file: PathBuf,
        source: toml::ser::Error,
    },
    #[error("{}: cannot write config: {source}", file.display())]
    Write {
        file: PathBuf,
        source: std::io::Error,
    },
}

/// What the host can give; gathered once from `/dev/kvm` and `/proc/meminfo`.
#[derive(Debug, Clone, Copy)]
pub struct HostLimits {
    pub max_vcpus: u32,
    pub memory_mib: u64,
}

/// Largest config file read: a VM's config is a few kB.
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

impl VmConfig {
    /// A config booting `kernel` directly, with defaults for everything else.
    pub fn new_linux(id: &str, name: &str, kernel: PathBuf) -> VmConfig {
        VmConfig {
            id: id.into(),
            name: name.into(),
            vcpus: 1,
            memory_mib: 512,
            boot: BootSource::Linux {
                kernel,
                initrd: None,
                cmdline: "console=ttyS0".into(),
            },
            serial: SerialConfig::default(),
            disks: vec![],
            nics: vec![],
            display: None,
            virtio_rng: true,
            cdroms: vec![],
            os: None,
        }
    }

    /// Parses TOML text. Errors name the field (and line) serde/toml found at fault.
    pub fn from_toml(text: &str) -> Result<VmConfig, LoadError> {
        toml::from_str(text).map_err(|e| LoadError::Parse {
            file: None,
            // toml's message already names the key and shows the line; keep it whole.
            message: e.to_string().trim_end().to_string(),
        })
    }

    /// Reads and parses a config file; relative paths inside are resolved against its folder.
    pub fn load(path: &Path) -> Result<VmConfig, LoadError> {
        let read_err = |reason: String| LoadError::Read {
            file: path.to_path_buf(),
            reason,
        };
        // A FIFO or /dev/zero as the config must fail, not hang or fill memory.
        let bytes = crate::util::read_regular(path, MAX_CONFIG_BYTES)
            .map_err(|e| read_err(e.to_string()))?;
        let text = String::from_utf8(bytes).map_err(|e| read_err(e.to_string()))?;
        let mut cfg = VmConfig::from_toml(&text).map_err(|e| e.in_file(path))?;
        if let Some(dir) = path.parent() {
            cfg.resolve_relative_paths(dir);
        }
        Ok(cfg)
    }

    /// Writes the config atomically (temp file, fsync, rename) so a crash never leaves half a file.
    pub fn save(&self, path: &Path) -> Result<(), SaveError> {
        let text = toml::to_string_pretty(self).map_err(|source| SaveError::Serialize {
            file: path.to_path_buf(),
            source,
        })?;
        crate::util::write_atomic(path, text.as_bytes()).map_err(|source| SaveError::Write {
            file: path.to_path_buf(),
            source,
        })
    }

    fn resolve_relative_paths(&mut self, dir: &Path) {
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = dir.join(&*p);
            }
        };
        match &mut self.boot {
            BootSource::Linux { kernel, initrd, .. } => {
                fix(kernel);
                if let Some(i) = initrd {
                    fix(i);
                }
            }
            BootSource::Bios {
                firmware, vga_rom, ..
            } => {
                for f in [firmware, vga_rom].into_iter().flatten() {
                    fix(f);
                }
            }
            BootSource::Uefi { firmware, vars, .. } => {
                for f in [firmware, vars].into_iter().flatten() {
                    fix(f);
                }
            }
        }
        for d in &mut self.disks {
            fix(&mut d.path);
            d.allow_backing.iter_mut().for_each(fix);
        }
        for c in &mut self.cdroms {
            if let Some(p) = &mut c.path {
                fix(p);
            }
        }
    }

    /// The order the firmware tries boot devices in: `[boot] order` when given, else CD-ROM
    /// first when a drive has a medium, then the disks.
    pub fn boot_order(&self) -> Vec<BootDevice> {
        match &self.boot {
            BootSource::Bios { order, .. } | BootSource::Uefi { order, .. }
                if !order.is_empty() =>
            {
                order.clone()
            }
            _ => default_boot_order(&self.cdroms),
        }
    }
}

/// CD-ROM first when one has a medium (an installer), then disks.
pub fn default_boot_order(cdroms: &[CdromConfig]) -> Vec<BootDevice> {
    if cdroms.iter().any(|c| c.path.is_some()) {
        vec![BootDevice::Cdrom, BootDevice::Disk]
    } else {
        vec![BootDevice::Disk, BootDevice::Cdrom]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    pub(super) use crate::arch::boot::tests::fake_bzimage;

    pub(super) const HOST: HostLimits = HostLimits {
        max_vcpus: 8,
        memory_mib: 4096,
    };

    pub(super) fn cfg(kernel: &Path) -> VmConfig {
        VmConfig {
            vcpus: 2,
            memory_mib: 256,
            ..VmConfig::new_linux("vm-1", "VM", kernel.into())
        }
    }

    #[test]
    fn a_good_config_validates_and_round_trips_through_toml() {
        let dir = tempfile::tempdir().unwrap();
        let c = cfg(&fake_bzimage(dir.path()));
        c.validate(&HOST).unwrap();
        let path = dir.path().join("vm.toml");
        c.save(&path).unwrap();
        assert_eq!(VmConfig::load(&path).unwrap(), c);
    }

    #[test]
    fn unknown_fields_are_refused_with_their_name() {
        let e = VmConfig::from_toml(
            "id='a'\nname='A'\nvcpus=1\nmemory_mib=64\nturbo=true\n[boot]\nkind='linux'\nkernel='k'\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("turbo"), "{e}");
    }

    #[test]
    fn relative_paths_are_taken_from_the_config_folder() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("vm.toml");
        std::fs::write(
            &p,
            "id='a'\nname='A'\nvcpus=1\nmemory_mib=64\n[boot]\nkind='linux'\nkernel='k'\ninitrd='i'\n",
        )
        .unwrap();
        let c = VmConfig::load(&p).unwrap();
        let BootSource::Linux { kernel, initrd, .. } = c.boot else {
            panic!("not a linux boot: {:?}", c.boot);
        };
        assert_eq!(kernel, dir.path().join("k"));
        assert_eq!(initrd, Some(dir.path().join("i")));
    }

    #[test]
    fn a_bios_boot_parses_with_and_without_firmware() {
        let base = "id='a'\nname='A'\nvcpus=1\nmemory_mib=64\n[boot]\nkind='bios'\n";
        let c = VmConfig::from_toml(base).unwrap();
        assert_eq!(
            c.boot,
            BootSource::Bios {
                firmware: None,
                order: vec![],
                vga_rom: None
            }
        );
        assert_eq!(c.boot.firmware(), Some(PathBuf::from(DEFAULT_BIOS)));
        assert_eq!(c.boot.vga_rom(), Some(PathBuf::from(DEFAULT_VGA_ROM)));
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("vm.toml");
        std::fs::write(&p, format!("{base}firmware='fw.bin'\nvga_rom='vga.bin'\n")).unwrap();
        let c = VmConfig::load(&p).unwrap();
        assert_eq!(c.boot.firmware(), Some(dir.path().join("fw.bin")));
        assert_eq!(c.boot.vga_rom(), Some(dir.path().join("vga.bin")));
        // It round-trips: the defaults stay implicit.
        let text = toml::to_string(&VmConfig::from_toml(base).unwrap()).unwrap();
        assert!(
            !text.contains("firmware") && !text.contains("vga_rom"),
            "{text}"
        );
    }

    #[test]
    fn a_uefi_boot_defaults_to_debians_ovmf_and_a_vars_file_in_the_vm_folder() {
        let base = "id='a'\nname='A'\nvcpus=1\nmemory_mib=64\n[boot]\nkind='uefi'\n";
        let c = VmConfig::from_toml(base).unwrap();
        assert_eq!(c.boot.firmware(), Some(PathBuf::from(DEFAULT_UEFI_CODE)));
        let vm = Path::new("/vms/a");
        assert_eq!(c.boot.uefi_vars(vm), Some(vm.join("OVMF_VARS.fd")));
        let text = toml::to_string(&c).unwrap();
        assert!(
            !text.contains("vars") && !text.contains("firmware"),
            "{text}"
        );
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("vm.toml");
        std::fs::write(&p, format!("{base}firmware='code.fd'\nvars='my-vars.fd'\n")).unwrap();
        let c = VmConfig::load(&p).unwrap();
        assert_eq!(c.boot.firmware(), Some(dir.path().join("code.fd")));
        assert_eq!(c.boot.uefi_vars(vm), Some(dir.path().join("my-vars.fd")));
        assert_eq!(
            BootSource::Bios {
                firmware: None,
                order: vec![],
                vga_rom: None
            }
            .uefi_vars(vm),
            None
        );
    }

    #[test]
    fn display_kind_defaults_to_the_framebuffer_and_virtio_gpu_takes_a_virtio_slot() {
        let base = "id='a'\nname='A'\nvcpus=1\nmemory_mib=64\n[boot]\nkind='linux'\nkernel='k'\n";
        let fb = VmConfig::from_toml(&format!("{base}[display]\n")).unwrap();
        assert_eq!(fb.display.as_ref().unwrap().kind, DisplayKind::Framebuffer);
        let text = toml::to_string(&fb).unwrap();
        assert!(
            !text.contains("kind = \"framebuffer\""),
            "the default stays implicit: {text}"
        );
        let gpu = VmConfig::from_toml(&format!("{base}[display]\nkind='virtio-gpu'\n")).unwrap();
        assert_eq!(gpu.display.as_ref().unwrap().kind, DisplayKind::VirtioGpu);
        let text = toml::to_string(&gpu).unwrap();
        assert!(text.contains("kind = \"virtio-gpu\""), "{text}");
        assert_eq!(VmConfig::from_toml(&text).unwrap(), gpu);
        assert_eq!(gpu.disk_slots(), fb.disk_slots() - 1);
        let e = VmConfig::from_toml(&format!("{base}[display]\nkind='cirrus'\n")).unwrap_err();
        let e = e.to_string();
        assert!(e.contains("kind") && e.contains("virtio-gpu"), "{e}");
    }
}
