// Over 800 lines: the one home of every config rule (the forms and the VMM share it); its tests are already in validate/.
//! Every check of a [`VmConfig`] that can be made before touching `/dev/kvm`: the one home of
//! these rules. [`VmConfig::validate`] runs them all for `vmdesk-vmm --check` and start-up; the
//! app's forms call the field validators one by one, so the rules cannot drift apart.
//!
//! Each problem is a [`ConfigError`]: the field (dotted path, e.g. `boot.kernel`) and a
//! [`ConfigErrorKind`] holding the values involved, so callers can translate it; its `Display`
//! is the English text `vmdesk-vmm` prints.

use super::{
    BootDevice, BootSource, CdromConfig, DiskConfig, DisplayKind, HostLimits, NicConfig, Protocol,
    VmConfig,
};
use super::{MAX_CMDLINE_LEN, MIN_MEMORY_MIB};
use crate::arch::boot::{machine_cmdline, sniff_kernel, KernelError};
use crate::net::MacError;
use crate::storage::{SerialError, StorageError};
use std::fmt;
use std::path::{Path, PathBuf};

/// Longest VM id (it names folders and sockets).
pub const MAX_ID_LEN: usize = 64;
/// xAPIC IDs are 8 bits and 0xff is broadcast; we do not emulate x2APIC-only topologies.
pub const MAX_VCPUS: u32 = 254;
/// Screen sizes the framebuffer accepts.
pub const DISPLAY_WIDTH: std::ops::RangeInclusive<u32> = 64..=7680;
pub const DISPLAY_HEIGHT: std::ops::RangeInclusive<u32> = 64..=4320;
/// VNC authentication uses at most 8 characters of the password.
pub const MAX_VNC_PASSWORD_LEN: usize = 8;
/// More would not fit the virtio-mmio interrupt lines next to the other devices.
pub const MAX_NICS: usize = 4;
/// CD-ROM drives on the AHCI controller (it has 6 ports; the rest are for SATA disks).
pub const MAX_CDROMS: usize = 4;
/// Where an ISO 9660 image has its first volume descriptor's "CD001" (sector 16, byte 1).
pub const ISO_MAGIC_OFFSET: u64 = 0x8001;

/// A configuration problem: which file, which field, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: Option<PathBuf>,
    /// Dotted field path, e.g. `boot.kernel`.
    pub field: String,
    pub kind: ConfigErrorKind,
}

impl ConfigError {
    pub fn new(field: impl Into<String>, kind: impl Into<ConfigErrorKind>) -> ConfigError {
        ConfigError {
            file: None,
            field: field.into(),
            kind: kind.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}: ", file.display())?;
        }
        write!(f, "{}: {}", self.field, self.kind)
    }
}

impl std::error::Error for ConfigError {}

/// Why a field is wrong: one variant per check, with the values a message needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigErrorKind {
    /// A text (id, disk serial) outside its length limits.
    #[error("must be {min} to {max} characters long")]
    BadLength { len: usize, min: usize, max: usize },
    #[error("{id:?} may only hold lowercase letters, digits, '-' and '_' (it names folders and sockets)")]
    BadIdChars { id: String },
    #[error("must not be empty")]
    NameEmpty,
    /// A name holding NUL, escape or another control character (it is shown in terminals,
    /// window titles and logs, where those do harm).
    #[error("must not hold control characters (such as NUL, tab or escape)")]
    NameControl,
    #[error("must be at least {min}")]
    TooFewVcpus { value: u64, min: u64 },
    /// More vCPUs than this host's KVM allows.
    #[error("{value} is more than this host's KVM allows ({max})")]
    VcpusAboveHost { value: u64, max: u64 },
    /// More than vmdesk supports at all.
    #[error("at most {max} are supported")]
    VcpusAboveSupported { value: u64, max: u64 },
    #[error("{value} MiB is too small (at least {min} MiB)")]
    MemoryTooSmall { value: u64, min: u64 },
    #[error("{value} MiB is more than this host has ({max} MiB)")]
    MemoryAboveHost { value: u64, max: u64 },
    /// The file does not exist (the same text as `CannotOpen`; a form says it differently).
    #[error("cannot open {}: {reason}", path.display())]
    NotFound { path: PathBuf, reason: String },
    #[error("cannot open {}: {reason}", path.display())]
    CannotOpen { path: PathBuf, reason: String },
    #[error("cannot stat {}: {reason}", path.display())]
    CannotStat { path: PathBuf, reason: String },
    #[error("cannot read {}: {reason}", path.display())]
    CannotRead { path: PathBuf, reason: String },
    #[error("{} is not a regular file", path.display())]
    NotRegularFile { path: PathBuf },
    #[error("{} is truncated: {len} bytes, its header says {want}", path.display())]
    KernelTruncated { path: PathBuf, len: u64, want: u64 },
    #[error("{} is not a Linux kernel (no bzImage setup header and no ELF magic)", path.display())]
    NotAKernel { path: PathBuf },
    /// The firmware file is not there; `package` is the Debian package that installs it.
    #[error("cannot open {}: {reason} (install it with \"apt-get install {package}\")", path.display())]
    FirmwareMissing {
        path: PathBuf,
        reason: String,
        package: String,
    },
    #[error(
        "{} is {size} bytes; a firmware image is 64 KiB to 16 MiB in whole 64 KiB steps \
         (SeaBIOS: 128 KiB or 256 KiB)",
        path.display()
    )]
    FirmwareBadSize { path: PathBuf, size: u64 },
    /// A UEFI code or variables file that is not whole 4 KiB flash blocks up to 16 MiB.
    #[error(
        "{} is {size} bytes; a flash image is whole 4 KiB blocks, at most 16 MiB",
        path.display()
    )]
    FlashBadSize { path: PathBuf, size: u64 },
    /// A variable store that does not go with the UEFI code (see
    /// `arch::firmware::flash_pair_ok`).
    #[error(
        "{} ({size} bytes) does not go with the firmware {} ({code_size} bytes): together \
         they must fill 1, 2, 4, 8 or 16 MiB (use the OVMF_VARS file of the same build, e.g. \
         OVMF_VARS_4M.fd with OVMF_CODE_4M.fd)",
        path.display(),
        code.display()
    )]
    VarsSizeMismatch {
        path: PathBuf,
        size: u64,
        code: PathBuf,
        code_size: u64,
    },
    #[error("{} ({size_mib} MiB) does not fit in half of the guest's memory", path.display())]
    InitrdTooBig { path: PathBuf, size_mib: u64 },
    /// The command line as the guest gets it, with the words the VMM adds.
    #[error("{len} bytes (with the VMM's \"pci=off\") is longer than the limit of {max}")]
    CmdlineTooLong { len: usize, max: usize },
    #[error("must not contain NUL bytes")]
    CmdlineNul,
    #[error("{value} is outside {min}..{max}")]
    OutOfRange { value: u64, min: u64, max: u64 },
    #[error("0 is not a port")]
    PortZero,
    #[error("required when vnc_port is set (the TCP listener is password-protected)")]
    VncPasswordMissing,
    #[error("must be 1 to {max} printable ASCII characters (VNC authentication uses 8)")]
    BadVncPassword { max: usize },
    #[error("{count} virtio disk(s) do not fit: the other devices leave {slots} virtio slot(s)")]
    TooManyDisks { count: usize, slots: usize },
    #[error("may only hold printable ASCII characters")]
    NotPrintable,
    /// The same image twice in one VM.
    #[error("{} is already disks[{first}]", path.display())]
    DuplicateDisk { path: PathBuf, first: usize },
    /// A disk image (or one of its backing files) that cannot be used; see `StorageError`.
    #[error("{0}")]
    Image(StorageError),
    #[error("{mac:?} is not a MAC address like \"52:54:00:12:34:56\"")]
    BadMac { mac: String },
    #[error("{mac:?} is a multicast address (lowest bit of the first byte set); a NIC needs a unicast one")]
    MulticastMac { mac: String },
    #[error("{mac:?} is the all-zero address")]
    ZeroMac { mac: String },
    #[error("{count} network interfaces is more than the {max} supported")]
    TooManyNics { count: usize, max: usize },
    #[error("{} is not an ISO 9660 image (no \"CD001\" at byte 0x8001)", path.display())]
    NotAnIso { path: PathBuf },
    /// CD-ROM drives on a machine without firmware (direct Linux boot has no AHCI controller).
    #[error("CD-ROM drives need a firmware machine ([boot] kind = \"bios\")")]
    CdromsNeedFirmware,
    /// SATA disks on a machine without firmware (direct Linux boot has no AHCI controller).
    #[error("SATA disks need a firmware machine ([boot] kind = \"bios\" or \"uefi\"); use bus = \"virtio\"")]
    SataNeedsFirmware,
    /// More SATA disks than the AHCI ports the CD-ROM drives leave.
    #[error("{count} SATA disks is more than the {max} AHCI ports the CD-ROM drives leave")]
    TooManySataDisks { count: usize, max: usize },
    /// A `display.kind` the machine does not have.
    #[error("{kind:?} is not a display of this machine (allowed: {})", allowed.join(", "))]
    DisplayKindUnavailable {
        kind: String,
        allowed: Vec<&'static str>,
    },
    #[error("{count} CD-ROM drives is more than the {max} supported")]
    TooManyCdroms { count: usize, max: usize },
    /// A kind of boot device named twice in `[boot] order`.
    #[error("{device:?} is named twice")]
    BootOrderDuplicate { device: BootDevice },
    /// A host port forwarded twice for one protocol; `first` is the field that has it.
    #[error("{proto} port {port} is already forwarded by {first}")]
    PortTaken {
        proto: Protocol,
        port: u16,
        first: String,
    },
}

impl From<KernelError> for ConfigErrorKind {
    fn from(e: KernelError) -> Self {
        match e {
            KernelError::NotFound { path, reason } => ConfigErrorKind::NotFound { path, reason },
            KernelError::CannotOpen { path, reason } => {
                ConfigErrorKind::CannotOpen { path, reason }
            }
            KernelError::CannotStat { path, reason } => {
                ConfigErrorKind::CannotStat { path, reason }
            }
            KernelError::NotRegularFile { path } => ConfigErrorKind::NotRegularFile { path },
            // Not a kind of its own: nobody meets it but a hostile or broken file.
            KernelError::TooBig { path, size, max } => ConfigErrorKind::CannotRead {
                path,
                reason: format!("it is {size} bytes, more than the {max} a kernel may have"),
            },
            KernelError::CannotRead { path, reason } => {
                ConfigErrorKind::CannotRead { path, reason }
            }
            KernelError::Truncated { path, len, want } => {
                ConfigErrorKind::KernelTruncated { path, len, want }
            }
            KernelError::NotAKernel { path } => ConfigErrorKind::NotAKernel { path },
        }
    }
}

impl From<MacError> for ConfigErrorKind {
    fn from(e: MacError) -> Self {
        match e {
            MacError::Malformed { mac } => ConfigErrorKind::BadMac { mac },
            MacError::Multicast { mac } => ConfigErrorKind::MulticastMac { mac },
            MacError::AllZero { mac } => ConfigErrorKind::ZeroMac { mac },
        }
    }
}

impl From<SerialError> for ConfigErrorKind {
    fn from(e: SerialError) -> Self {
        match e {
            SerialError::BadLength { len, min, max } => {
                ConfigErrorKind::BadLength { len, min, max }
            }
            SerialError::NotPrintable => ConfigErrorKind::NotPrintable,
        }
    }
}

impl From<StorageError> for ConfigErrorKind {
    fn from(e: StorageError) -> Self {
        ConfigErrorKind::Image(e)
    }
}

fn check(ok: bool, field: &str, kind: impl FnOnce() -> ConfigErrorKind) -> Result<(), ConfigError> {
    if ok {
        Ok(())
    } else {
        Err(ConfigError::new(field, kind()))
    }
}

/// `id`: 1..=64 of `[a-z0-9_-]` (it names folders and sockets).
pub fn validate_id(id: &str) -> Result<(), ConfigError> {
    check(!id.is_empty() && id.len() <= MAX_ID_LEN, "id", || {
        ConfigErrorKind::BadLength {
            len: id.len(),
            min: 1,
            max: MAX_ID_LEN,
        }
    })?;
    let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_';
    check(id.bytes().all(allowed), "id", || {
        ConfigErrorKind::BadIdChars { id: id.to_string() }
    })
}

/// `name`: anything but blank or control characters.
pub fn validate_name(name: &str) -> Result<(), ConfigError> {
    check(!name.trim().is_empty(), "name", || {
        ConfigErrorKind::NameEmpty
    })?;
    check(!name.chars().any(char::is_control), "name", || {
        ConfigErrorKind::NameControl
    })
}

/// `vcpus`: at least 1, no more than the host's KVM allows, at most [`MAX_VCPUS`].
pub fn validate_vcpus(vcpus: u32, host: &HostLimits) -> Result<(), ConfigError> {
    let (value, max) = (u64::from(vcpus), u64::from(host.max_vcpus));
    check(vcpus > 0, "vcpus", || ConfigErrorKind::TooFewVcpus {
        value,
        min: 1,
    })?;
    check(vcpus <= host.max_vcpus, "vcpus", || {
        ConfigErrorKind::VcpusAboveHost { value, max }
    })?;
    check(vcpus <= MAX_VCPUS, "vcpus", || {
        ConfigErrorKind::VcpusAboveSupported {
            value,
            max: MAX_VCPUS.into(),
        }
    })
}

/// `memory_mib`: at least [`MIN_MEMORY_MIB`], no more than the host has.
pub fn validate_memory(mib: u64, host: &HostLimits) -> Result<(), ConfigError> {
    check(mib >= MIN_MEMORY_MIB, "memory_mib", || {
        ConfigErrorKind::MemoryTooSmall {
            value: mib,
            min: MIN_MEMORY_MIB,
        }
    })?;
    check(mib <= host.memory_mib, "memory_mib", || {
        ConfigErrorKind::MemoryAboveHost {
            value: mib,
            max: host.memory_mib,
        }
    })
}

/// `boot.kernel`: a whole bzImage or an ELF vmlinux.
pub fn validate_kernel(kernel: &Path) -> Result<(), ConfigError> {
    sniff_kernel(kernel)
        .map(|_| ())
        .map_err(|e| ConfigError::new("boot.kernel", e))
}

/// Opens `file` (the value of `field`) and returns its metadata: a file that is not there is
/// `missing(path, reason)`, any other failure `CannotOpen`. Never waits (a FIFO opens at once
/// and callers see it is not a regular file).
fn metadata_of(
    file: &Path,
    field: &str,
    missing: impl FnOnce(PathBuf, String) -> ConfigErrorKind,
) -> Result<std::fs::Metadata, ConfigError> {
    crate::util::open_no_wait(file)
        .and_then(|f| f.metadata())
        .map_err(|e| {
            let (path, reason) = (file.to_path_buf(), e.to_string());
            let kind = if e.kind() == std::io::ErrorKind::NotFound {
                missing(path, reason)
            } else {
                ConfigErrorKind::CannotOpen { path, reason }
            };
            ConfigError::new(field, kind)
        })
}

/// `boot.initrd`: a regular file that fits in half of the guest's memory.
pub fn validate_initrd(initrd: &Path, memory_mib: u64) -> Result<(), ConfigError> {
    let field = "boot.initrd";
    let path = || initrd.to_path_buf();
    let m = metadata_of(initrd, field, |path, reason| ConfigErrorKind::NotFound {
        path,
        reason,
    })?;
    check(m.is_file(), field, || ConfigErrorKind::NotRegularFile {
        path: path(),
    })?;
    check(
        m.len() < memory_mib.saturating_mul(1 << 20) / 2,
        field,
        || ConfigErrorKind::InitrdTooBig {
            path: path(),
            size_mib: m.len() >> 20,
        },
    )
}

/// `boot.firmware`: a regular file of a ROM's size. A missing default file names the package
/// that installs it.
pub fn validate_firmware(firmware: &Path) -> Result<(), ConfigError> {
    let field = "boot.firmware";
    let path = || firmware.to_path_buf();
    let m = metadata_of(firmware, field, |path, reason| {
        ConfigErrorKind::FirmwareMissing {
            path,
            reason,
            package: "seabios".into(),
        }
    })?;
    check(m.is_file(), field, || ConfigErrorKind::NotRegularFile {
        path: path(),
    })?;
    check(crate::arch::firmware::size_ok(m.len()), field, || {
        ConfigErrorKind::FirmwareBadSize {
            path: path(),
            size: m.len(),
        }
    })
}

/// A regular file of flash size (`boot.firmware` or `boot.vars` of a UEFI machine); a missing
/// file names Debian's `ovmf`. Returns its size.
fn validate_flash_file(file: &Path, field: &str) -> Result<u64, ConfigError> {
    let path = || file.to_path_buf();
    let m = metadata_of(file, field, |path, reason| {
        ConfigErrorKind::FirmwareMissing {
            path,
            reason,
            package: "ovmf".into(),
        }
    })?;
    check(m.is_file(), field, || ConfigErrorKind::NotRegularFile {
        path: path(),
    })?;
    check(crate::arch::firmware::flash_size_ok(m.len()), field, || {
        ConfigErrorKind::FlashBadSize {
            path: path(),
            size: m.len(),
        }
    })?;
    Ok(m.len())
}

/// A UEFI machine's `boot.firmware` (the code) and its variable store: `vars` when that file
/// exists, else the template the VMM copies it from. Both flash-sized, and of sizes that go
/// together.
pub fn validate_uefi(code: &Path, vars: Option<&Path>) -> Result<(), Vec<ConfigError>> {
    let vars = match vars {
        Some(v) if v.exists() => v.to_path_buf(),
        _ => PathBuf::from(super::UEFI_VARS_TEMPLATE),
    };
    let code_size = validate_flash_file(code, "boot.firmware");
    let vars_size = validate_flash_file(&vars, "boot.vars");
    match (code_size, vars_size) {
        (Ok(code_size), Ok(size)) => check(
            crate::arch::firmware::flash_pair_ok(code_size, size),
            "boot.vars",
            || ConfigErrorKind::VarsSizeMismatch {
                path: vars.clone(),
                size,
                code: code.to_path_buf(),
                code_size,
            },
        )
        .map_err(|e| vec![e]),
        (a, b) => Err(a.err().into_iter().chain(b.err()).collect()),
    }
}

/// `boot.cmdline`: its length as the guest gets it (with the words the VMM adds).
pub fn validate_cmdline_length(cmdline: &str) -> Result<(), ConfigError> {
    let len = machine_cmdline(cmdline).len();
    check(len <= MAX_CMDLINE_LEN, "boot.cmdline", || {
        ConfigErrorKind::CmdlineTooLong {
            len,
            max: MAX_CMDLINE_LEN,
        }
    })
}

/// `boot.cmdline`: no NUL bytes (the kernel gets a C string).
pub fn validate_cmdline_bytes(cmdline: &str) -> Result<(), ConfigError> {
    check(!cmdline.contains('\0'), "boot.cmdline", || {
        ConfigErrorKind::CmdlineNul
    })
}

/// `boot.cmdline`: the first of its problems, for a form that shows one per field.
pub fn validate_cmdline(cmdline: &str) -> Result<(), ConfigError> {
    validate_cmdline_length(cmdline)?;
    validate_cmdline_bytes(cmdline)
}

/// `display.width` and `display.height`, within what the framebuffer accepts.
pub fn validate_display_size(width: u32, height: u32) -> Vec<ConfigError> {
    let range = |field: &str, v: u32, r: std::ops::RangeInclusive<u32>| {
        check(r.contains(&v), field, || ConfigErrorKind::OutOfRange {
            value: v.into(),
            min: (*r.start()).into(),
            max: (*r.end()).into(),
        })
    };
    [
        range("display.width", width, DISPLAY_WIDTH),
        range("display.height", height, DISPLAY_HEIGHT),
    ]
    .into_iter()
    .filter_map(Result::err)
    .collect()
}

/// `display.vnc_port` and `display.vnc_password`: a TCP listener needs a port other than 0
/// and a password of 1 to 8 ASCII characters.
pub fn validate_vnc(port: Option<u16>, password: Option<&str>) -> Result<(), ConfigError> {
    match (port, password) {
        (Some(0), _) => Err(ConfigError::new(
            "display.vnc_port",
            ConfigErrorKind::PortZero,
        )),
        (Some(_), None) => Err(ConfigError::new(
            "display.vnc_password",
            ConfigErrorKind::VncPasswordMissing,
        )),
        (_, Some(p))
            if p.is_empty()
                || p.len() > MAX_VNC_PASSWORD_LEN
                || !p.bytes().all(|b| (0x20..0x7f).contains(&b)) =>
        {
            Err(ConfigError::new(
                "display.vnc_password",
                ConfigErrorKind::BadVncPassword {
                    max: MAX_VNC_PASSWORD_LEN,
                },
            ))
        }
        _ => Ok(()),
    }
}

/// A port number (`field` names it): 0 is not one.
pub fn validate_port(field: &str, port: u16) -> Result<(), ConfigError> {
    check(port != 0, field, || ConfigErrorKind::PortZero)
}

/// `disks[i].serial`: 1 to 20 printable ASCII characters.
pub fn validate_disk_serial(i: usize, serial: &str) -> Result<(), ConfigError> {
    crate::storage::check_serial(serial)
        .map_err(|e| ConfigError::new(format!("disks[{i}].serial"), e))
}

/// `disks[i]`: the image and its chain are sound, in the given format, writable unless
/// read-only, and not in use in a conflicting way (tested, not locked: the VM takes its locks
/// when it starts). The error names `disks[i].path` or `disks[i].format`.
pub fn validate_disk_image(i: usize, d: &DiskConfig) -> Result<(), ConfigError> {
    crate::storage::check_disk(d).map_err(|(f, e)| ConfigError::new(format!("disks[{i}].{f}"), e))
}

/// `serial.log_file` (as [`super::SerialConfig::log_path`] resolves it): a regular file or
/// nothing yet, in a folder that exists. A FIFO would stall the VMM; a device is no log.
pub fn validate_log_file(path: &Path) -> Result<(), ConfigError> {
    let field = "serial.log_file";
    match std::fs::metadata(path) {
        Ok(m) => check(m.is_file(), field, || ConfigErrorKind::NotRegularFile {
            path: path.to_path_buf(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
            match dir.map(std::fs::metadata) {
                Some(Ok(m)) if m.is_dir() => Ok(()),
                None => Ok(()),
                Some(Ok(_)) => Err(ConfigError::new(
                    field,
                    ConfigErrorKind::NotFound {
                        path: path.to_path_buf(),
                        reason: "its folder is not a folder".into(),
                    },
                )),
                Some(Err(e)) => Err(ConfigError::new(
                    field,
                    ConfigErrorKind::NotFound {
                        path: path.to_path_buf(),
                        reason: format!("its folder: {e}"),
                    },
                )),
            }
        }
        Err(e) => Err(ConfigError::new(
            field,
            ConfigErrorKind::CannotStat {
                path: path.to_path_buf(),
                reason: e.to_string(),
            },
        )),
    }
}

/// `nics[i].mac`: unicast `aa:bb:cc:dd:ee:ff`.
pub fn validate_mac(i: usize, mac: &str) -> Result<(), ConfigError> {
    crate::net::parse_mac(mac)
        .map(|_| ())
        .map_err(|e| ConfigError::new(format!("nics[{i}].mac"), e))
}

/// `nics`: how many, each MAC, each forward's ports (not 0; each host port once per
/// protocol), NIC by NIC.
pub fn validate_nics(nics: &[NicConfig]) -> Vec<ConfigError> {
    let mut errs = Vec::new();
    if nics.len() > MAX_NICS {
        errs.push(ConfigError::new(
            "nics",
            ConfigErrorKind::TooManyNics {
                count: nics.len(),
                max: MAX_NICS,
            },
        ));
    }
    let mut seen: std::collections::HashMap<(Protocol, u16), String> = Default::default();
    for (i, nic) in nics.iter().enumerate() {
        if let Some(mac) = &nic.mac {
            errs.extend(validate_mac(i, mac).err());
        }
        for (j, f) in nic.forwards.iter().enumerate() {
            let field = format!("nics[{i}].forwards[{j}]");
            errs.extend(validate_port(&format!("{field}.host_port"), f.host_port).err());
            errs.extend(validate_port(&format!("{field}.guest_port"), f.guest_port).err());
            if f.host_port == 0 {
                continue;
            }
            if let Some(first) = seen.get(&(f.proto, f.host_port)) {
                errs.push(ConfigError::new(
                    format!("{field}.host_port"),
                    ConfigErrorKind::PortTaken {
                        proto: f.proto,
                        port: f.host_port,
                        first: first.clone(),
                    },
                ));
            } else {
                seen.insert((f.proto, f.host_port), field);
            }
        }
    }
    errs
}

impl VmConfig {
    /// Checks every field; returns all problems found, each naming its field. Disks are checked
    /// as configured: for a VM that has a folder, [`VmConfig::validate_in`] is the one.
    pub fn validate(&self, host: &HostLimits) -> Result<(), Vec<ConfigError>> {
        self.validate_tops(host, &[])
    }

    /// As [`VmConfig::validate`], for the VM in `vm_dir`: a disk that snapshots or a linked clone
    /// moved onto an overlay (`disks/current.json`) is checked as the VMM opens it, its overlay
    /// writable and the image under it shared. Checking the configured image as a writable one
    /// would refuse to start a VM whose frozen image backs a running linked clone.
    pub fn validate_in(&self, host: &HostLimits, vm_dir: &Path) -> Result<(), Vec<ConfigError>> {
        let current = match crate::storage::overlay::CurrentDisks::load(vm_dir) {
            Ok(c) => c,
            Err(e) => {
                return Err(vec![ConfigError::new(
                    "disks",
                    ConfigErrorKind::CannotRead {
                        path: crate::storage::overlay::current_file(vm_dir),
                        reason: e.to_string(),
                    },
                )])
            }
        };
        let tops: Vec<Option<PathBuf>> = match &current {
            Some(c) => self
                .disks
                .iter()
                .enumerate()
                .map(|(i, d)| c.top(vm_dir, i, &crate::storage::config_path(d, vm_dir)))
                .collect(),
            None => Vec::new(),
        };
        self.validate_tops(host, &tops)
    }

    /// `tops[i]`, when there, is the overlay disk `i` writes instead of its configured image.
    fn validate_tops(
        &self,
        host: &HostLimits,
        tops: &[Option<PathBuf>],
    ) -> Result<(), Vec<ConfigError>> {
        let mut errs = Vec::new();
        errs.extend(validate_id(&self.id).err());
        errs.extend(validate_name(&self.name).err());
        errs.extend(validate_vcpus(self.vcpus, host).err());
        errs.extend(validate_memory(self.memory_mib, host).err());
        match &self.boot {
            BootSource::Linux {
                kernel,
                initrd,
                cmdline,
            } => {
                errs.extend(validate_kernel(kernel).err());
                if let Some(initrd) = initrd {
                    errs.extend(validate_initrd(initrd, self.memory_mib).err());
                }
                errs.extend(validate_cmdline_length(cmdline).err());
                errs.extend(validate_cmdline_bytes(cmdline).err());
            }
            BootSource::Bios { order, .. } => {
                if let Some(fw) = self.boot.firmware() {
                    errs.extend(validate_firmware(&fw).err());
                }
                errs.extend(validate_boot_order(order).err());
            }
            BootSource::Uefi { vars, .. } => {
                if let Some(code) = self.boot.firmware() {
                    // A default `vars` is in the VM's folder, which the config does not know:
                    // its template is checked instead (the VMM checks the file at start).
                    errs.extend(
                        validate_uefi(&code, vars.as_deref())
                            .err()
                            .unwrap_or_default(),
                    );
                }
            }
        }
        if let Some(d) = &self.display {
            errs.extend(validate_display_size(d.width, d.height));
            errs.extend(validate_display_kind(self.boot.firmware().is_some(), d.kind).err());
            errs.extend(validate_vnc(d.vnc_port, d.vnc_password.as_deref()).err());
        }
        self.validate_disks(tops, &mut errs);
        errs.extend(validate_nics(&self.nics));
        errs.extend(validate_cdroms(
            self.boot.firmware().is_some(),
            &self.cdroms,
        ));
        if errs.is_empty() {
            Ok(())
        } else {
            Err(errs)
        }
    }

    /// How many disks fit the virtio-mmio slots the other devices leave.
    pub fn disk_slots(&self) -> usize {
        let virtio_others = usize::from(self.virtio_rng)
            + 2 * usize::from(self.display.is_some())
            + usize::from(
                self.display
                    .as_ref()
                    .is_some_and(|d| d.kind == DisplayKind::VirtioGpu),
            )
            + self.nics.len();
        crate::arch::layout::VIRTIO_GSIS
            .len()
            .saturating_sub(virtio_others)
    }

    /// The disks: count, serials, no image twice, each image sound (see
    /// [`validate_disk_image`]). Errors name `disks[N].path` etc.
    fn validate_disks(&self, tops: &[Option<PathBuf>], errs: &mut Vec<ConfigError>) {
        let slots = self.disk_slots();
        let virtio = self.disks.iter().filter(|d| !d.is_sata()).count();
        // Too many NICs is reported on `nics`; the disks are not what is wrong then.
        if virtio > slots && self.nics.len() <= MAX_NICS {
            errs.push(ConfigError::new(
                "disks",
                ConfigErrorKind::TooManyDisks {
                    count: virtio,
                    slots,
                },
            ));
        }
        errs.extend(validate_sata_disks(
            self.boot.firmware().is_some(),
            &self.disks,
            self.cdroms.len(),
        ));
        let mut seen: Vec<(PathBuf, usize)> = Vec::new();
        for (i, d) in self.disks.iter().enumerate() {
            if let Some(s) = &d.serial {
                errs.extend(validate_disk_serial(i, s).err());
            }
            if let Ok(canon) = std::fs::canonicalize(&d.path) {
                if let Some((_, j)) = seen.iter().find(|(p, _)| *p == canon) {
                    errs.push(ConfigError::new(
                        format!("disks[{i}].path"),
                        ConfigErrorKind::DuplicateDisk {
                            path: d.path.clone(),
                            first: *j,
                        },
                    ));
                    continue;
                }
                seen.push((canon, i));
            }
            let on_overlay = tops.get(i).cloned().flatten().map(|top| {
                // The overlay's chain ends in the configured image: its folder stays allowed,
                // as it is when the VMM opens the overlay.
                let mut allow_backing = d.allow_backing.clone();
                allow_backing.extend(d.path.parent().map(Path::to_path_buf));
                DiskConfig {
                    path: top,
                    format: Some(crate::config::ImageFormat::Qcow2),
                    allow_backing,
                    ..d.clone()
                }
            });
            errs.extend(validate_disk_image(i, on_overlay.as_ref().unwrap_or(d)).err());
        }
    }
}

mod pc;
pub use pc::*;

#[cfg(test)]
mod cdrom_tests;
#[cfg(test)]
mod sata_tests;

#[cfg(test)]
mod tests;
