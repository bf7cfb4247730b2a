//! A libvirt domain XML (as `virsh dumpxml` writes it) as a vmdesk VM.
//!
//! Read with roxmltree with DTDs refused (no entity can expand: an XML bomb is an error, not
//! gigabytes) and a node limit. Everything the VM needs is checked here: a disk must be a raw or
//! qcow2 image that is there (an ISO or a folder is not a disk), a CD-ROM an ISO, the machine
//! one vmdesk has. What vmdesk leaves out or runs differently comes back as notes; what would
//! give a VM that cannot start is an error, and nothing is written.

use super::libvirt::LIBOSINFO_NS;
use super::VMDESK_NS;
use crate::data::media::{self, MediaKind};
use crate::t;
use roxmltree::{Document, Node, ParsingOptions};
use std::path::{Path, PathBuf};
use vmm_core::config::{
    default_boot_order, BootDevice, BootSource, CdromConfig, DiskBus, DiskConfig, DisplayConfig,
    GuestOs, HostLimits, ImageFormat, NetBackend, NicConfig, PortForward, Protocol, SerialConfig,
    VmConfig, DEFAULT_BIOS, DEFAULT_UEFI_CODE,
};

/// Largest domain XML read: `virsh dumpxml` writes a few kB.
pub const MAX_XML_BYTES: u64 = 1 << 20;
/// Nodes parsed at most: a domain has a few hundred.
const MAX_NODES: u32 = 100_000;
/// Ports one `<range start end>` may forward at most (each is a passt option).
const MAX_RANGE: u32 = 64;

/// The VM made from a domain, and what was left out or changed on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub config: VmConfig,
    pub notes: Vec<String>,
}

/// Reads `file` and imports it; errors start with the file's name.
pub fn import_file(file: &Path, taken: &[String], host: &HostLimits) -> Result<Imported, String> {
    let at = |e: String| format!("{}: {e}", file.display());
    let bytes = vmm_core::util::read_regular(file, MAX_XML_BYTES).map_err(|e| at(e.to_string()))?;
    let text = String::from_utf8(bytes).map_err(|e| at(e.to_string()))?;
    import(&text, taken, host).map_err(at)
}

/// A domain XML's text as a VM whose id is none of `taken`, checked against `host`.
pub fn import(text: &str, taken: &[String], host: &HostLimits) -> Result<Imported, String> {
    let opts = ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
    };
    let doc = Document::parse_with_options(text, opts)
        .map_err(|e| t!("import-error-xml", detail = e.to_string()))?;
    let root = doc.root_element();
    if root.tag_name().name() != "domain" || root.tag_name().namespace().is_some() {
        return Err(t!(
            "import-error-not-domain",
            element = root.tag_name().name()
        ));
    }
    let mut r = Reader {
        notes: Vec::new(),
        ours: metadata(root, VMDESK_NS, "vm"),
    };
    let config = r.domain(root, taken)?;
    if let Err(errs) = config.validate(host) {
        return Err(crate::data::problems::describe_all(&errs));
    }
    Ok(Imported {
        config,
        notes: r.notes,
    })
}

/// Children of `n` (no namespace) named `name`.
fn children<'a, 'i>(n: Node<'a, 'i>, name: &'static str) -> impl Iterator<Item = Node<'a, 'i>> {
    n.children()
        .filter(move |c| c.is_element() && c.has_tag_name(name))
}

fn child<'a, 'i>(n: Node<'a, 'i>, name: &'static str) -> Option<Node<'a, 'i>> {
    children(n, name).next()
}

fn text(n: Node) -> String {
    n.text().unwrap_or("").trim().to_string()
}

/// `<metadata><name xmlns=ns>` of the domain.
fn metadata<'a, 'i>(root: Node<'a, 'i>, ns: &str, name: &str) -> Option<Node<'a, 'i>> {
    child(root, "metadata")?.children().find(|c| {
        c.is_element() && c.tag_name().namespace() == Some(ns) && c.tag_name().name() == name
    })
}

/// `<memory unit=…>` in MiB, rounded up (libvirt's default unit is KiB).
pub fn memory_mib(value: &str, unit: Option<&str>) -> Option<u64> {
    let n: u64 = value.trim().parse().ok()?;
    let scale: u64 = match unit.unwrap_or("KiB") {
        "b" | "bytes" => 1,
        "KB" => 1000,
        "k" | "KiB" => 1 << 10,
        "MB" => 1_000_000,
        "M" | "MiB" => 1 << 20,
        "GB" => 1_000_000_000,
        "G" | "GiB" => 1 << 30,
        "TB" => 1_000_000_000_000,
        "T" | "TiB" => 1 << 40,
        _ => return None,
    };
    Some(n.checked_mul(scale)?.div_ceil(1 << 20))
}

/// Elements of `<domain>` that change nothing vmdesk would run differently.
const QUIET: &[&str] = &[
    "name",
    "uuid",
    "title",
    "description",
    "metadata",
    "memory",
    "currentMemory",
    "vcpu",
    "os",
    "features",
    "cpu",
    "clock",
    "on_poweroff",
    "on_reboot",
    "on_crash",
    "devices",
    "pm",
    "seclabel",
    "resource",
    "genid",
];

struct Reader<'a, 'i> {
    notes: Vec<String>,
    /// `<vmdesk:vm>` in the metadata: the domain came from vmdesk's export.
    ours: Option<Node<'a, 'i>>,
}

/// What `<devices>` gave, before it is put in the config.
#[derive(Default)]
struct Devices {
    disks: Vec<(DiskConfig, Option<u32>)>,
    cdroms: Vec<(CdromConfig, Option<u32>)>,
    nics: Vec<NicConfig>,
    display: Option<DisplayConfig>,
    resolution: Option<(u32, u32)>,
    rng: bool,
}

impl<'a, 'i> Reader<'a, 'i> {
    fn note(&mut self, s: String) {
        self.notes.push(s);
    }

    /// Our metadata's `<vmdesk:name>` elements.
    fn ours(&self, name: &'static str) -> impl Iterator<Item = Node<'a, 'i>> {
        self.ours.into_iter().flat_map(move |o| {
            o.children().filter(move |c| {
                c.is_element()
                    && c.tag_name().namespace() == Some(VMDESK_NS)
                    && c.tag_name().name() == name
            })
        })
    }

    fn domain(&mut self, root: Node<'a, 'i>, taken: &[String]) -> Result<VmConfig, String> {
        let kind = root.attribute("type").unwrap_or("kvm");
        if kind != "kvm" && kind != "qemu" {
            self.note(t!("import-note-domain-type", kind = kind));
        }
        for c in root.children().filter(|c| c.is_element()) {
            let name = c.tag_name().name();
            if c.tag_name().namespace().is_none() && !QUIET.contains(&name) {
                self.note(t!("import-note-unsupported", element = format!("<{name}>")));
            }
        }
        let missing = |field: &str| t!("import-error-missing", element = field);
        let libvirt_name = child(root, "name")
            .map(text)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| missing("<name>"))?;
        let name = child(root, "title")
            .map(text)
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| libvirt_name.clone());
        let id = if vmm_core::config::validate::validate_id(&libvirt_name).is_ok()
            && !taken.contains(&libvirt_name)
        {
            libvirt_name.clone()
        } else {
            crate::data::store::derive_id(&libvirt_name, taken)
        };
        let mem = child(root, "memory").ok_or_else(|| missing("<memory>"))?;
        let memory_mib = memory_mib(&text(mem), mem.attribute("unit")).ok_or_else(|| {
            t!(
                "import-error-value",
                element = "<memory>",
                value = text(mem)
            )
        })?;
        let vcpus = match child(root, "vcpu") {
            Some(v) => {
                let value = v
                    .attribute("current")
                    .map(str::to_string)
                    .unwrap_or(text(v));
                value
                    .parse()
                    .map_err(|_| t!("import-error-value", element = "<vcpu>", value = value))?
            }
            None => 1,
        };
        let os = child(root, "os").ok_or_else(|| missing("<os>"))?;
        let boot = self.boot(os)?;
        let devices = match child(root, "devices") {
            Some(d) => self.devices(d, &boot)?,
            None => Devices::default(),
        };
        let mut cfg = VmConfig {
            id,
            name,
            vcpus,
            memory_mib,
            boot,
            serial: self.serial(),
            disks: devices.disks.iter().map(|(d, _)| d.clone()).collect(),
            nics: devices.nics,
            display: devices.display.map(|mut d| {
                if let Some((w, h)) = devices.resolution {
                    (d.width, d.height) = (w, h);
                }
                d
            }),
            virtio_rng: devices.rng,
            cdroms: devices.cdroms.iter().map(|(c, _)| c.clone()).collect(),
            os: self.guest_os(root),
        };
        // Per-device boot order when <os> has none: whichever kind comes first.
        let first = |orders: Vec<Option<u32>>| orders.into_iter().flatten().min();
        let by_device = (
            first(devices.cdroms.iter().map(|c| c.1).collect()),
            first(devices.disks.iter().map(|d| d.1).collect()),
        );
        self.fix_up(&mut cfg, os, by_device);
        forget_derived_macs(&mut cfg);
        Ok(cfg)
    }

    /// The boot order from `<os><boot dev>` (or the devices' `<boot order>`), left empty
    /// when it is the default one; our metadata's per-VM values.
    fn fix_up(&mut self, cfg: &mut VmConfig, os: Node, by_device: (Option<u32>, Option<u32>)) {
        let mut order = Vec::new();
        for b in children(os, "boot") {
            match b.attribute("dev") {
                Some("hd") => order.push(BootDevice::Disk),
                Some("cdrom") => order.push(BootDevice::Cdrom),
                other => {
                    let dev = other.unwrap_or("").to_string();
                    self.note(t!("import-note-boot-dev", dev = dev));
                }
            }
        }
        if order.is_empty() {
            order = match by_device {
                (Some(c), Some(d)) if c < d => vec![BootDevice::Cdrom, BootDevice::Disk],
                (Some(_), Some(_)) => vec![BootDevice::Disk, BootDevice::Cdrom],
                _ => vec![],
            };
        }
        order.dedup();
        // The default order, or the start of it when the rest has no devices (`<boot
        // dev='hd'/>` without drives): the default, which boots the same.
        let default = default_boot_order(&cfg.cdroms);
        let has = |k: &BootDevice| match k {
            BootDevice::Cdrom => !cfg.cdroms.is_empty(),
            BootDevice::Disk => !cfg.disks.is_empty(),
        };
        if default.starts_with(&order) && !default[order.len()..].iter().any(has) {
            order.clear();
        }
        for n in self.ours("disk") {
            let i: Option<usize> = n.attribute("index").and_then(|i| i.parse().ok());
            if let (Some(d), Some("probed")) =
                (i.and_then(|i| cfg.disks.get_mut(i)), n.attribute("format"))
            {
                d.format = None;
            }
        }
        for n in self.ours("allow-backing") {
            let i: Option<usize> = n.attribute("disk").and_then(|i| i.parse().ok());
            if let Some(d) = i.and_then(|i| cfg.disks.get_mut(i)) {
                d.allow_backing.push(PathBuf::from(text(n)));
            }
        }
        let port = self
            .ours("vnc-port")
            .next()
            .and_then(|n| text(n).parse().ok());
        if let Some(d) = &mut cfg.display {
            d.vnc_port = port;
        }
        let vga = self.ours("vga-rom").next().map(|n| PathBuf::from(text(n)));
        let uefi_vars = self
            .ours("uefi-vars")
            .next()
            .map(|n| PathBuf::from(text(n)));
        match &mut cfg.boot {
            BootSource::Bios {
                order: o, vga_rom, ..
            } => {
                *o = order;
                *vga_rom = vga;
            }
            BootSource::Uefi { order: o, vars, .. } => {
                *o = order;
                *vars = uefi_vars;
                let nvram = child(os, "nvram").map(text).filter(|n| !n.is_empty());
                if let (Some(nvram), None) = (nvram, self.ours) {
                    self.note(t!("import-note-nvram", path = nvram));
                }
            }
            BootSource::Linux { .. } => {}
        }
    }

    fn guest_os(&self, root: Node) -> Option<GuestOs> {
        let id = metadata(root, LIBOSINFO_NS, "libosinfo")
            .and_then(|l| {
                l.children()
                    .find(|c| c.is_element() && c.tag_name().name() == "os")
            })
            .and_then(|os| os.attribute("id"))?
            .to_string();
        let name = self
            .ours("os")
            .next()
            .and_then(|n| n.attribute("name"))
            .map_or_else(|| id.clone(), str::to_string);
        Some(GuestOs { id, name })
    }

    fn serial(&self) -> SerialConfig {
        match self.ours("serial").next() {
            Some(n) => SerialConfig {
                log: n.attribute("log") != Some("no"),
                log_file: n.attribute("file").map(PathBuf::from),
            },
            None => SerialConfig::default(),
        }
    }

    fn boot(&mut self, os: Node) -> Result<BootSource, String> {
        let ty =
            child(os, "type").ok_or_else(|| t!("import-error-missing", element = "<os><type>"))?;
        let kind = text(ty);
        if kind != "hvm" {
            return Err(t!("import-error-os-type", kind = kind));
        }
        if let Some(arch) = ty.attribute("arch") {
            if arch != "x86_64" && arch != "i686" {
                return Err(t!("import-error-arch", arch = arch));
            }
        }
        let machine = ty.attribute("machine").unwrap_or("pc");
        if !(machine == "pc"
            || machine == "q35"
            || machine == "microvm"
            || machine.starts_with("pc-"))
        {
            return Err(t!("import-error-machine", machine = machine));
        }
        let file = |name: &'static str| child(os, name).map(text).filter(|t| !t.is_empty());
        if let Some(kernel) = file("kernel") {
            let kernel = PathBuf::from(kernel);
            let initrd = file("initrd").map(PathBuf::from);
            for f in std::iter::once(&kernel).chain(initrd.iter()) {
                if !f.is_file() {
                    return Err(t!("import-error-no-file", path = f.display().to_string()));
                }
            }
            return Ok(BootSource::Linux {
                kernel,
                initrd,
                cmdline: file("cmdline").unwrap_or_default(),
            });
        }
        let loader = child(os, "loader");
        let uefi = os.attribute("firmware") == Some("efi")
            || loader.and_then(|l| l.attribute("type")) == Some("pflash");
        let secure = loader.and_then(|l| l.attribute("secure")) == Some("yes")
            || child(os, "firmware").is_some_and(|f| {
                children(f, "feature").any(|x| {
                    x.attribute("name") == Some("secure-boot")
                        && x.attribute("enabled") == Some("yes")
                })
            });
        if secure {
            self.note(t!("import-note-secure-boot"));
        }
        let path = loader
            .map(text)
            .filter(|t| !t.is_empty())
            .map(PathBuf::from);
        Ok(if uefi {
            BootSource::Uefi {
                firmware: path.filter(|p| p != Path::new(DEFAULT_UEFI_CODE)),
                vars: None,
                order: vec![],
            }
        } else {
            BootSource::Bios {
                firmware: path.filter(|p| p != Path::new(DEFAULT_BIOS)),
                order: vec![],
                vga_rom: None,
            }
        })
    }

    fn devices(&mut self, devs: Node<'a, 'i>, boot: &BootSource) -> Result<Devices, String> {
        let mut out = Devices::default();
        let kernel = matches!(boot, BootSource::Linux { .. });
        let mut serials = 0;
        for d in devs.children().filter(|c| c.is_element()) {
            let name = d.tag_name().name();
            let attr = |a: &str| d.attribute(a).unwrap_or("").to_string();
            match name {
                "emulator" | "controller" | "input" | "console" => {}
                "disk" => self.disk(d, kernel, &mut out)?,
                "interface" => {
                    let nic = self.nic(d, out.nics.len());
                    out.nics.push(nic);
                }
                "serial" => {
                    serials += 1;
                    if serials > 1 {
                        self.note(t!("import-note-extra-serial"));
                    }
                }
                "graphics" => match attr("type").as_str() {
                    kind @ ("vnc" | "spice") if out.display.is_none() => {
                        if kind == "spice" {
                            self.note(t!("import-note-spice"));
                        }
                        let tcp = d.attribute("port").is_some_and(|p| p != "-1")
                            || d.attribute("autoport") == Some("yes")
                            || children(d, "listen").any(|l| l.attribute("type") != Some("socket"));
                        if tcp && self.ours.is_none() {
                            self.note(t!("import-note-vnc-tcp"));
                        }
                        out.display = Some(DisplayConfig {
                            vnc_password: d.attribute("passwd").map(str::to_string),
                            ..Default::default()
                        });
                    }
                    kind => self.note(t!(
                        "import-note-unsupported",
                        element = format!("<graphics type='{kind}'>")
                    )),
                },
                "video" => {
                    let res = child(d, "model").and_then(|m| child(m, "resolution"));
                    let n = |a| {
                        res.and_then(|r| r.attribute(a))
                            .and_then(|v| v.parse().ok())
                    };
                    if let (Some(w), Some(h)) = (n("x"), n("y")) {
                        out.resolution = Some((w, h));
                    }
                }
                "rng" if attr("model") == "virtio" => out.rng = true,
                "memballoon" if attr("model") == "none" => {}
                other => {
                    let model = d.attribute("model").or(d.attribute("type"));
                    let element = match model {
                        Some(m) => format!(
                            "<{other} {}='{m}'>",
                            if d.attribute("model").is_some() {
                                "model"
                            } else {
                                "type"
                            }
                        ),
                        None => format!("<{other}>"),
                    };
                    self.note(t!("import-note-unsupported", element = element));
                }
            }
        }
        Ok(out)
    }

    fn disk(&mut self, d: Node, kernel: bool, out: &mut Devices) -> Result<(), String> {
        let target = child(d, "target");
        let dev = target
            .and_then(|t| t.attribute("dev"))
            .unwrap_or("?")
            .to_string();
        let device = d.attribute("device").unwrap_or("disk");
        if device != "disk" && device != "cdrom" {
            self.note(t!(
                "import-note-unsupported",
                element = format!("<disk device='{device}'> ({dev})")
            ));
            return Ok(());
        }
        let source_type = d.attribute("type").unwrap_or("file");
        let source = child(d, "source");
        let path = match source_type {
            "file" => source.and_then(|s| s.attribute("file")),
            "block" => source.and_then(|s| s.attribute("dev")),
            other => {
                return Err(t!(
                    "import-error-disk-source",
                    disk = dev.as_str(),
                    kind = other
                ))
            }
        }
        .map(PathBuf::from);
        let boot_order = child(d, "boot")
            .and_then(|b| b.attribute("order"))
            .and_then(|o| o.parse().ok());
        if device == "cdrom" {
            if kernel {
                self.note(t!("import-note-cdrom-kernel", disk = dev.as_str()));
                return Ok(());
            }
            if let Some(p) = &path {
                match media::sniff(p) {
                    Ok(MediaKind::Iso(_)) => {}
                    _ => {
                        return Err(t!(
                            "import-error-not-iso",
                            disk = dev.as_str(),
                            path = p.display().to_string()
                        ))
                    }
                }
            }
            let bus = target.and_then(|t| t.attribute("bus")).unwrap_or("sata");
            if bus != "sata" {
                self.note(t!(
                    "import-note-bus",
                    disk = dev.as_str(),
                    from = bus,
                    to = "sata"
                ));
            }
            out.cdroms.push((CdromConfig { path }, boot_order));
            return Ok(());
        }
        let path = path.ok_or_else(|| {
            t!(
                "import-error-missing",
                element = format!("<disk> {dev}: <source>")
            )
        })?;
        let format = match child(d, "driver").and_then(|x| x.attribute("type")) {
            None => None,
            Some("raw") => Some(ImageFormat::Raw),
            Some("qcow2") => Some(ImageFormat::Qcow2),
            Some(other) => {
                return Err(t!(
                    "import-error-format",
                    disk = dev.as_str(),
                    format = other
                ))
            }
        };
        let shown = path.display().to_string();
        let info = crate::data::disks::check_existing(&shown).map_err(|e| {
            t!(
                "import-error-image",
                disk = dev.as_str(),
                path = shown.as_str(),
                reason = e
            )
        })?;
        // A text file said to be qcow2 is raw to the prober: no image the domain meant.
        if format.is_some_and(|f| f != info.format) {
            return Err(t!(
                "import-error-format-mismatch",
                disk = dev.as_str(),
                path = shown.as_str(),
                declared = format.map(|f| f.to_string()).unwrap_or_default(),
                found = info.format.to_string()
            ));
        }
        let bus = target.and_then(|t| t.attribute("bus")).unwrap_or("virtio");
        let bus = match (bus, kernel) {
            ("virtio", _) => DiskBus::Virtio,
            ("sata", false) => DiskBus::Sata,
            ("ide", false) => {
                self.note(t!(
                    "import-note-bus",
                    disk = dev.as_str(),
                    from = "ide",
                    to = "sata"
                ));
                DiskBus::Sata
            }
            (other, _) => {
                self.note(t!(
                    "import-note-bus",
                    disk = dev.as_str(),
                    from = other,
                    to = "virtio"
                ));
                DiskBus::Virtio
            }
        };
        out.disks.push((
            DiskConfig {
                path,
                read_only: child(d, "readonly").is_some(),
                format,
                serial: child(d, "serial").map(text).filter(|s| !s.is_empty()),
                bus: (bus == DiskBus::Sata).then_some(DiskBus::Sata),
                allow_backing: vec![],
            },
            boot_order,
        ));
        Ok(())
    }

    fn nic(&mut self, n: Node, index: usize) -> NicConfig {
        let i = index.to_string();
        let kind = n.attribute("type").unwrap_or("user");
        if kind != "user" {
            self.note(t!("import-note-nic-type", nic = i.as_str(), kind = kind));
        }
        if let Some(model) = child(n, "model").and_then(|m| m.attribute("type")) {
            if model != "virtio" {
                self.note(t!("import-note-nic-model", nic = i.as_str(), model = model));
            }
        }
        let mut forwards = Vec::new();
        for pf in children(n, "portForward") {
            let proto = match pf.attribute("proto").unwrap_or("tcp") {
                "tcp" => Protocol::Tcp,
                "udp" => Protocol::Udp,
                other => {
                    self.note(t!(
                        "import-note-unsupported",
                        element = format!("<portForward proto='{other}'>")
                    ));
                    continue;
                }
            };
            for r in children(pf, "range") {
                let port = |a| r.attribute(a).and_then(|v| v.parse::<u16>().ok());
                let (Some(start), false) = (port("start"), r.attribute("exclude") == Some("yes"))
                else {
                    self.note(t!(
                        "import-note-unsupported",
                        element = "<portForward><range exclude='yes'>"
                    ));
                    continue;
                };
                let end = port("end").unwrap_or(start).max(start);
                let to = port("to").unwrap_or(start);
                if u32::from(end - start) >= MAX_RANGE {
                    self.note(t!("import-note-range", start = start, end = end));
                    continue;
                }
                for p in start..=end {
                    forwards.push(PortForward {
                        proto,
                        host_port: p,
                        guest_port: to.saturating_add(p - start),
                    });
                }
            }
        }
        NicConfig {
            mac: child(n, "mac")
                .and_then(|m| m.attribute("address"))
                .map(str::to_string),
            // libvirt's user network without a backend is QEMU's libslirp; passt's is vmdesk's
            // usual choice, left to `auto`.
            backend: match child(n, "backend").and_then(|b| b.attribute("type")) {
                None => NetBackend::Slirp,
                Some(_) => NetBackend::Auto,
            },
            forwards,
        }
    }
}

/// A NIC's MAC that is the one vmdesk derives for its place: written as no MAC.
pub fn forget_derived_macs(cfg: &mut VmConfig) {
    for (i, n) in cfg.nics.iter_mut().enumerate() {
        let derived = vmm_core::net::format_mac(vmm_core::net::derived_mac(&cfg.id, i));
        if n.mac
            .as_deref()
            .is_some_and(|m| m.eq_ignore_ascii_case(&derived))
        {
            n.mac = None;
        }
    }
}
