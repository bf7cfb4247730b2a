//! `VmConfig`: what a VM is, as the app writes it (TOML on disk) and `vmdesk-vmm` reads it.
//!
//! Parsing rejects unknown fields; [`VmConfig::validate`] checks everything that can be checked
//! before touching `/dev/kvm` and names the offending field in every error.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::fs::File;
use std::io::Read;
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
}

/// How the guest starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum BootSource {
    /// Direct Linux boot: a bzImage or an ELF vmlinux, optional initrd and command line.
    Linux {
        kernel: PathBuf,
        #[serde(default)]
        initrd: Option<PathBuf>,
        #[serde(default)]
        cmdline: String,
    },
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

impl Default for SerialConfig {
    fn default() -> Self {
        SerialConfig {
            log: true,
            log_file: None,
        }
    }
}

/// A disk: a raw or qcow2 image the guest sees as a virtio-blk device (`/dev/vda`, ...), in
/// config order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    pub format: Option<crate::storage::ImageFormat>,
    /// Serial number the guest sees (`/dev/disk/by-id/virtio-<serial>`), at most 20 printable
    /// ASCII characters; derived from the image's path when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
}

/// A network interface: virtio-net with user-mode networking by `passt` (guest address and
/// gateway as passt assigns them by DHCP; the gateway address reaches the host's loopback).
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
        }
    }
}

/// A configuration problem: which file, which field, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: Option<PathBuf>,
    /// Dotted field path, e.g. `boot.kernel`; empty when the file as a whole is at fault.
    pub field: String,
    pub reason: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}: ", file.display())?;
        }
        if self.field.is_empty() {
            write!(f, "{}", self.reason)
        } else {
            write!(f, "{}: {}", self.field, self.reason)
        }
    }
}

impl std::error::Error for ConfigError {}

fn err(field: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        file: None,
        field: field.to_string(),
        reason: reason.into(),
    }
}

/// What the host can give; gathered once from `/dev/kvm` and `/proc/meminfo`.
#[derive(Debug, Clone, Copy)]
pub struct HostLimits {
    pub max_vcpus: u32,
    pub memory_mib: u64,
}

/// What kind of kernel image a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelFormat {
    BzImage,
    Elf,
}

/// Looks at a file's first bytes to tell a bzImage ("HdrS" at 0x202) or an ELF from anything else.
pub fn sniff_kernel(path: &Path) -> Result<KernelFormat, String> {
    let mut f = File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let meta = f
        .metadata()
        .map_err(|e| format!("cannot stat {}: {e}", path.display()))?;
    if !meta.is_file() {
        return Err(format!("{} is not a regular file", path.display()));
    }
    let mut head = [0u8; 0x206];
    let n = read_up_to(&mut f, &mut head)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if n >= 4 && head[..4] == *b"\x7fELF" {
        return Ok(KernelFormat::Elf);
    }
    if n >= 0x206 && head[0x202..0x206] == *b"HdrS" && head[0x1fe..0x200] == [0x55, 0xaa] {
        // A cut-off download still has a valid header: check the file holds what the header
        // says (setup sectors + syssize paragraphs), or the guest would crash mid-boot.
        let setup_sects = match head[0x1f1] {
            0 => 4,
            s => u64::from(s),
        };
        let syssize = u64::from(u32::from_le_bytes(
            head[0x1f4..0x1f8].try_into().expect("4 bytes"),
        ));
        let want = (setup_sects + 1) * 512 + syssize * 16;
        // syssize is rounded up to whole 16-byte paragraphs: up to 15 bytes may be missing.
        if meta.len() + 15 < want {
            return Err(format!(
                "{} is truncated: {} bytes, its header says {want}",
                path.display(),
                meta.len()
            ));
        }
        return Ok(KernelFormat::BzImage);
    }
    Err(format!(
        "{} is not a Linux kernel (no bzImage setup header and no ELF magic)",
        path.display()
    ))
}

fn read_up_to(f: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

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
        }
    }

    /// Parses TOML text. Errors name the field (and line) serde/toml found at fault.
    pub fn from_toml(text: &str) -> Result<VmConfig, ConfigError> {
        toml::from_str(text).map_err(|e| {
            // toml's message already names the key and shows the line; keep it whole.
            ConfigError {
                file: None,
                field: String::new(),
                reason: e.to_string().trim_end().to_string(),
            }
        })
    }

    /// Reads and parses a config file; relative paths inside are resolved against its folder.
    pub fn load(path: &Path) -> Result<VmConfig, ConfigError> {
        let with_file = |mut e: ConfigError| {
            e.file = Some(path.to_path_buf());
            e
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| with_file(err("", format!("cannot read config: {e}"))))?;
        let mut cfg = VmConfig::from_toml(&text).map_err(with_file)?;
        if let Some(dir) = path.parent() {
            cfg.resolve_relative_paths(dir);
        }
        Ok(cfg)
    }

    /// Writes the config atomically (temp file, fsync, rename) so a crash never leaves half a file.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let text = toml::to_string_pretty(self).map_err(std::io::Error::other)?;
        crate::util::write_atomic(path, text.as_bytes())
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
        }
        for d in &mut self.disks {
            fix(&mut d.path);
        }
    }

    /// Checks every field; returns all problems found, each naming its field.
    pub fn validate(&self, host: &HostLimits) -> Result<(), Vec<ConfigError>> {
        let mut errs = Vec::new();
        if self.id.is_empty() || self.id.len() > 64 {
            errs.push(err("id", "must be 1 to 64 characters long"));
        } else if !self
            .id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        {
            errs.push(err(
                "id",
                format!(
                    "{:?} may only hold lowercase letters, digits, '-' and '_' (it names folders and sockets)",
                    self.id
                ),
            ));
        }
        if self.name.trim().is_empty() {
            errs.push(err("name", "must not be empty"));
        }
        if self.vcpus == 0 {
            errs.push(err("vcpus", "must be at least 1"));
        } else if self.vcpus > host.max_vcpus {
            errs.push(err(
                "vcpus",
                format!(
                    "{} is more than this host's KVM allows ({})",
                    self.vcpus, host.max_vcpus
                ),
            ));
        } else if self.vcpus > 254 {
            // xAPIC IDs are 8 bits and 0xff is broadcast; we do not emulate x2APIC-only topologies.
            errs.push(err("vcpus", "at most 254 are supported"));
        }
        if self.memory_mib < MIN_MEMORY_MIB {
            errs.push(err(
                "memory_mib",
                format!(
                    "{} MiB is too small (at least {MIN_MEMORY_MIB} MiB)",
                    self.memory_mib
                ),
            ));
        } else if self.memory_mib > host.memory_mib {
            errs.push(err(
                "memory_mib",
                format!(
                    "{} MiB is more than this host has ({} MiB)",
                    self.memory_mib, host.memory_mib
                ),
            ));
        }
        match &self.boot {
            BootSource::Linux {
                kernel,
                initrd,
                cmdline,
            } => {
                if let Err(e) = sniff_kernel(kernel) {
                    errs.push(err("boot.kernel", e));
                }
                if let Some(initrd) = initrd {
                    match File::open(initrd).and_then(|f| f.metadata()) {
                        Err(e) => errs.push(err(
                            "boot.initrd",
                            format!("cannot open {}: {e}", initrd.display()),
                        )),
                        Ok(m) if !m.is_file() => errs.push(err(
                            "boot.initrd",
                            format!("{} is not a regular file", initrd.display()),
                        )),
                        Ok(m) if m.len() >= self.memory_mib.saturating_mul(1 << 20) / 2 => errs
                            .push(err(
                                "boot.initrd",
                                format!(
                                    "{} ({} MiB) does not fit in half of the guest's memory",
                                    initrd.display(),
                                    m.len() >> 20
                                ),
                            )),
                        Ok(_) => {}
                    }
                }
                // The limit holds for what the guest gets, with the words the VMM adds.
                let full = crate::arch::boot::machine_cmdline(cmdline);
                if full.len() > MAX_CMDLINE_LEN {
                    errs.push(err(
                        "boot.cmdline",
                        format!(
                            "{} bytes (with the VMM's \"pci=off\") is longer than the limit of {MAX_CMDLINE_LEN}",
                            full.len()
                        ),
                    ));
                }
                if cmdline.bytes().any(|b| b == 0) {
                    errs.push(err("boot.cmdline", "must not contain NUL bytes"));
                }
            }
        }
        if let Some(d) = &self.display {
            if !(64..=7680).contains(&d.width) {
                errs.push(err(
                    "display.width",
                    format!("{} is outside 64..7680", d.width),
                ));
            }
            if !(64..=4320).contains(&d.height) {
                errs.push(err(
                    "display.height",
                    format!("{} is outside 64..4320", d.height),
                ));
            }
            match (&d.vnc_port, &d.vnc_password) {
                (Some(0), _) => errs.push(err("display.vnc_port", "0 is not a port")),
                (Some(_), None) => errs.push(err(
                    "display.vnc_password",
                    "required when vnc_port is set (the TCP listener is password-protected)",
                )),
                (_, Some(p)) if p.is_empty() || p.len() > 8 || !p.is_ascii() => errs.push(err(
                    "display.vnc_password",
                    "must be 1 to 8 ASCII characters (VNC authentication uses 8)",
                )),
                _ => {}
            }
        }
        self.validate_disks(&mut errs);
        self.validate_nics(&mut errs);
        if errs.is_empty() {
            Ok(())
        } else {
            Err(errs)
        }
    }
}

impl VmConfig {
    /// The disks: each image and its backing chain must exist and be sound, match its format,
    /// be writable unless read-only, and not be in use in a conflicting way (tested, not locked:
    /// the VM takes its locks when it starts). Errors name `disks[N].path` etc.
    fn validate_disks(&self, errs: &mut Vec<ConfigError>) {
        let virtio_others = usize::from(self.virtio_rng)
            + 2 * usize::from(self.display.is_some())
            + self.nics.len();
        let slots = crate::arch::layout::VIRTIO_GSIS
            .len()
            .saturating_sub(virtio_others);
        if self.disks.len() > slots {
            errs.push(err(
                "disks",
                format!(
                    "{} disks is more than the {slots} virtio slots left by the other devices",
                    self.disks.len()
                ),
            ));
        }
        let mut seen: Vec<(PathBuf, usize)> = Vec::new();
        for (i, d) in self.disks.iter().enumerate() {
            let field = |f: &str| format!("disks[{i}].{f}");
            if let Some(s) = &d.serial {
                if let Err(e) = crate::storage::check_serial(s) {
                    errs.push(err(&field("serial"), e));
                }
            }
            if let Ok(canon) = std::fs::canonicalize(&d.path) {
                if let Some((_, j)) = seen.iter().find(|(p, _)| *p == canon) {
                    errs.push(err(
                        &field("path"),
                        format!("{} is already disks[{j}]", d.path.display()),
                    ));
                    continue;
                }
                seen.push((canon, i));
            }
            if let Err((f, e)) = crate::storage::check_disk(d) {
                errs.push(err(&field(f), e));
            }
        }
    }

    /// Network interfaces: MAC format, forwarded ports (each host port once per protocol).
    fn validate_nics(&self, errs: &mut Vec<ConfigError>) {
        /// More would not fit the virtio-mmio interrupt lines next to the other devices.
        const MAX_NICS: usize = 4;
        if self.nics.len() > MAX_NICS {
            errs.push(err(
                "nics",
                format!(
                    "{} network interfaces is more than the {MAX_NICS} supported",
                    self.nics.len()
                ),
            ));
        }
        let mut seen: std::collections::HashMap<(Protocol, u16), String> = Default::default();
        for (i, nic) in self.nics.iter().enumerate() {
            if let Some(mac) = &nic.mac {
                if let Err(e) = crate::net::parse_mac(mac) {
                    errs.push(err(&format!("nics[{i}].mac"), e));
                }
            }
            for (j, f) in nic.forwards.iter().enumerate() {
                let field = format!("nics[{i}].forwards[{j}]");
                if f.host_port == 0 {
                    errs.push(err(&format!("{field}.host_port"), "0 is not a port"));
                }
                if f.guest_port == 0 {
                    errs.push(err(&format!("{field}.guest_port"), "0 is not a port"));
                }
                if f.host_port == 0 {
                    continue;
                }
                let proto = match f.proto {
                    Protocol::Tcp => "tcp",
                    Protocol::Udp => "udp",
                };
                if let Some(first) = seen.get(&(f.proto, f.host_port)) {
                    errs.push(err(
                        &format!("{field}.host_port"),
                        format!(
                            "{proto} port {} is already forwarded by {first}",
                            f.host_port
                        ),
                    ));
                } else {
                    seen.insert((f.proto, f.host_port), field);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: HostLimits = HostLimits {
        max_vcpus: 8,
        memory_mib: 4096,
    };

    fn cfg(kernel: &Path) -> VmConfig {
        VmConfig {
            id: "vm-1".into(),
            name: "VM".into(),
            vcpus: 2,
            memory_mib: 256,
            boot: BootSource::Linux {
                kernel: kernel.into(),
                initrd: None,
                cmdline: "console=ttyS0".into(),
            },
            serial: SerialConfig::default(),
            disks: vec![],
            nics: vec![],
            display: None,
            virtio_rng: true,
        }
    }

    fn fake_bzimage(dir: &Path) -> PathBuf {
        let mut img = vec![0u8; 0x400];
        img[0x1f1] = 1; // one setup sector, syssize 0: the whole image is 1 KiB
        img[0x1fe] = 0x55;
        img[0x1ff] = 0xaa;
        img[0x202..0x206].copy_from_slice(b"HdrS");
        let p = dir.join("vmlinuz");
        std::fs::write(&p, img).unwrap();
        p
    }

    fn fields(r: Result<(), Vec<ConfigError>>) -> Vec<String> {
        r.err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.field)
            .collect()
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
    fn each_bad_field_is_reported_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let k = fake_bzimage(dir.path());
        let mut c = cfg(&k);
        c.vcpus = 0;
        c.memory_mib = 8192;
        c.id = "Bad Id".into();
        assert_eq!(fields(c.validate(&HOST)), ["id", "vcpus", "memory_mib"]);
        let mut c = cfg(&k);
        c.vcpus = 9;
        assert_eq!(fields(c.validate(&HOST)), ["vcpus"]);
    }

    #[test]
    fn kernel_must_be_a_kernel() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "just text").unwrap();
        assert!(sniff_kernel(&text)
            .unwrap_err()
            .contains("not a Linux kernel"));
        assert!(sniff_kernel(dir.path())
            .unwrap_err()
            .contains("not a regular file"));
        let mut elf = b"\x7fELF".to_vec();
        elf.resize(64, 0);
        let e = dir.path().join("vmlinux");
        std::fs::write(&e, elf).unwrap();
        assert_eq!(sniff_kernel(&e), Ok(KernelFormat::Elf));
    }

    #[test]
    fn a_cut_off_bzimage_is_refused_as_truncated() {
        let dir = tempfile::tempdir().unwrap();
        let k = fake_bzimage(dir.path());
        let mut img = std::fs::read(&k).unwrap();
        img[0x1f4] = 0x40; // syssize: 64 paragraphs = 1 KiB more than the file has
        std::fs::write(&k, &img).unwrap();
        let e = sniff_kernel(&k).unwrap_err();
        assert!(e.contains("truncated") && e.contains("vmlinuz"), "{e}");
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
        let BootSource::Linux { kernel, initrd, .. } = c.boot;
        assert_eq!(kernel, dir.path().join("k"));
        assert_eq!(initrd, Some(dir.path().join("i")));
    }
}
