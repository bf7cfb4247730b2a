//! A VM as a libvirt domain (QEMU/KVM) that boots the same guest the same way.
//!
//! Kernel VMs become `q35` with `<kernel>`/`<initrd>`/`<cmdline>` (libvirt does not drive QEMU's
//! `microvm`); BIOS VMs `pc` (our i440FX) with SeaBIOS, UEFI VMs `q35` with OVMF. What libvirt
//! has no element for but vmdesk needs to get the same VM back on import goes into
//! `<metadata>` under our namespace (libvirt keeps foreign metadata as is); what QEMU will do
//! differently is returned as notes, never dropped silently.

use super::xml::Writer;
use super::{Exported, VMDESK_NS};
use crate::t;
use std::path::Path;
use vmm_core::config::{
    BootDevice, BootSource, DiskBus, ImageFormat, NetBackend, SerialConfig, VmConfig, DEFAULT_BIOS,
    DEFAULT_UEFI_CODE, UEFI_VARS_TEMPLATE,
};

/// libosinfo's namespace in `<metadata>`, as virt-manager and virt-install write it.
pub const LIBOSINFO_NS: &str = "http://libosinfo.org/xmlns/libvirt/domain/1.0";

/// The machine type each of our machines becomes.
pub fn machine_of(boot: &BootSource) -> &'static str {
    match boot {
        BootSource::Bios { .. } => "pc",
        BootSource::Linux { .. } | BootSource::Uefi { .. } => "q35",
    }
}

/// `cfg` (of the VM in `vm_dir`) as a libvirt domain XML. Fails only when a disk whose format
/// the config leaves to probing cannot be read.
pub fn export(cfg: &VmConfig, vm_dir: &Path) -> Result<Exported, String> {
    let mut notes = Vec::new();
    let mut w = Writer::default();
    w.open("domain", &[("type", "kvm")]);
    w.leaf("name", &[], &cfg.id);
    w.leaf("title", &[], &cfg.name);
    let formats = disk_formats(cfg)?;
    metadata(&mut w, cfg, &formats);
    w.leaf("memory", &[("unit", "MiB")], &cfg.memory_mib.to_string());
    w.leaf("vcpu", &[("placement", "static")], &cfg.vcpus.to_string());
    os(&mut w, cfg, vm_dir);
    w.open("features", &[]);
    w.leaf("acpi", &[], "");
    w.leaf("apic", &[], "");
    w.close();
    // vmdesk-vmm hands the guest the host's CPU (its CPUID, filtered by KVM).
    w.leaf("cpu", &[("mode", "host-passthrough")], "");
    w.leaf("clock", &[("offset", "utc")], "");
    // The kernel machine ends its process when the guest resets; firmware machines restart.
    let on_reboot = match cfg.boot {
        BootSource::Linux { .. } => "destroy",
        _ => "restart",
    };
    w.leaf("on_poweroff", &[], "destroy");
    w.leaf("on_reboot", &[], on_reboot);
    w.leaf("on_crash", &[], "destroy");
    w.open("devices", &[]);
    disks(&mut w, cfg, &formats);
    nics(&mut w, cfg);
    serial(&mut w, &cfg.serial, vm_dir);
    if let Some(d) = &cfg.display {
        w.leaf("input", &[("type", "tablet"), ("bus", "virtio")], "");
        w.leaf("input", &[("type", "keyboard"), ("bus", "virtio")], "");
        let mut attrs = vec![("type", "vnc")];
        if let Some(p) = &d.vnc_password {
            attrs.push(("passwd", p.as_str()));
        }
        w.open("graphics", &attrs);
        // A socket libvirt names itself (under its own run directory).
        w.leaf("listen", &[("type", "socket")], "");
        w.close();
        if let Some(port) = d.vnc_port {
            notes.push(t!("export-note-vnc-port", port = port));
        }
        w.open("video", &[]);
        w.open(
            "model",
            &[
                ("type", "vga"),
                ("vram", "16384"),
                ("heads", "1"),
                ("primary", "yes"),
            ],
        );
        let (x, y) = (d.width.to_string(), d.height.to_string());
        w.leaf("resolution", &[("x", &x), ("y", &y)], "");
        w.close();
        w.close();
    }
    if cfg.virtio_rng {
        w.open("rng", &[("model", "virtio")]);
        w.leaf("backend", &[("model", "random")], "/dev/urandom");
        w.close();
    }
    // Without this libvirt adds a virtio balloon, which vmdesk's VMs do not have.
    w.leaf("memballoon", &[("model", "none")], "");
    w.close();
    if let BootSource::Linux { .. } = cfg.boot {
        notes.push(t!("export-note-kernel-machine"));
    }
    if let BootSource::Bios {
        vga_rom: Some(rom), ..
    } = &cfg.boot
    {
        notes.push(t!("export-note-vga-rom", path = rom.display().to_string()));
    }
    for (i, d) in cfg.disks.iter().enumerate() {
        if !d.allow_backing.is_empty() {
            notes.push(t!("export-note-allow-backing", disk = i));
        }
    }
    Ok(Exported {
        text: w.finish(),
        notes,
        uploads: Vec::new(),
    })
}

/// Each disk's format, probed from the image when the config does not say; `true` = probed.
fn disk_formats(cfg: &VmConfig) -> Result<Vec<(ImageFormat, bool)>, String> {
    cfg.disks
        .iter()
        .enumerate()
        .map(|(i, d)| match d.format {
            Some(f) => Ok((f, false)),
            None => vmm_core::storage::image_info(&d.path)
                .map(|info| (info.format, true))
                .map_err(|e| format!("disks[{i}] ({}): {e}", d.path.display())),
        })
        .collect()
}

/// libosinfo's OS id (what virt-manager shows) and our namespace's element with what only
/// vmdesk reads back.
fn metadata(w: &mut Writer, cfg: &VmConfig, formats: &[(ImageFormat, bool)]) {
    let mut ours = Writer::default();
    if let Some(os) = &cfg.os {
        ours.leaf("vmdesk:os", &[("name", &os.name)], "");
    }
    if cfg.serial != SerialConfig::default() {
        let file = cfg
            .serial
            .log_file
            .as_ref()
            .map(|p| p.display().to_string());
        let mut attrs = vec![("log", if cfg.serial.log { "yes" } else { "no" })];
        if let Some(f) = &file {
            attrs.push(("file", f));
        }
        ours.leaf("vmdesk:serial", &attrs, "");
    }
    if let Some(port) = cfg.display.as_ref().and_then(|d| d.vnc_port) {
        ours.leaf("vmdesk:vnc-port", &[], &port.to_string());
    }
    match &cfg.boot {
        BootSource::Bios {
            vga_rom: Some(rom), ..
        } => ours.leaf("vmdesk:vga-rom", &[], &rom.display().to_string()),
        BootSource::Uefi {
            vars: Some(vars), ..
        } => ours.leaf("vmdesk:uefi-vars", &[], &vars.display().to_string()),
        _ => {}
    }
    for (i, (d, (_, probed))) in cfg.disks.iter().zip(formats).enumerate() {
        let index = i.to_string();
        if *probed {
            ours.leaf(
                "vmdesk:disk",
                &[("index", &index), ("format", "probed")],
                "",
            );
        }
        for dir in &d.allow_backing {
            ours.leaf(
                "vmdesk:allow-backing",
                &[("disk", &index)],
                &dir.display().to_string(),
            );
        }
    }
    let ours = ours.finish();
    w.open("metadata", &[]);
    if let Some(os) = &cfg.os {
        w.open("libosinfo:libosinfo", &[("xmlns:libosinfo", LIBOSINFO_NS)]);
        w.leaf("libosinfo:os", &[("id", &os.id)], "");
        w.close();
    }
    // Always there: it also tells the importer that vmdesk wrote this domain.
    w.open("vmdesk:vm", &[("xmlns:vmdesk", VMDESK_NS)]);
    w.nest(&ours);
    w.close();
    w.close();
}

fn os(w: &mut Writer, cfg: &VmConfig, vm_dir: &Path) {
    let machine = machine_of(&cfg.boot);
    let firmware = match cfg.boot {
        BootSource::Uefi { .. } => vec![("firmware", "efi")],
        _ => vec![],
    };
    w.open("os", &firmware);
    w.leaf("type", &[("arch", "x86_64"), ("machine", machine)], "hvm");
    match &cfg.boot {
        BootSource::Linux {
            kernel,
            initrd,
            cmdline,
        } => {
            w.leaf("kernel", &[], &kernel.display().to_string());
            if let Some(i) = initrd {
                w.leaf("initrd", &[], &i.display().to_string());
            }
            if !cmdline.is_empty() {
                w.leaf("cmdline", &[], cmdline);
            }
            return w.close();
        }
        BootSource::Bios { firmware, .. } => {
            let rom = firmware.as_deref().unwrap_or(Path::new(DEFAULT_BIOS));
            w.leaf(
                "loader",
                &[("readonly", "yes"), ("type", "rom")],
                &rom.display().to_string(),
            );
        }
        BootSource::Uefi { firmware, .. } => {
            let code = firmware.as_deref().unwrap_or(Path::new(DEFAULT_UEFI_CODE));
            w.leaf(
                "loader",
                &[("readonly", "yes"), ("type", "pflash")],
                &code.display().to_string(),
            );
            // The VM's own variable store, made from the template when it is not there.
            let vars = cfg.boot.uefi_vars(vm_dir).unwrap_or_default();
            w.leaf(
                "nvram",
                &[("template", UEFI_VARS_TEMPLATE)],
                &vars.display().to_string(),
            );
        }
    }
    for dev in cfg.boot_order() {
        let dev = match dev {
            BootDevice::Cdrom => "cdrom",
            BootDevice::Disk => "hd",
        };
        w.leaf("boot", &[("dev", dev)], "");
    }
    w.close();
}

/// `vda`, `vdb` … / `sda` … : the n-th target name with a prefix.
pub fn target_name(prefix: &str, n: usize) -> String {
    let mut suffix = String::new();
    let mut n = n + 1;
    while n > 0 {
        n -= 1;
        suffix.insert(0, (b'a' + (n % 26) as u8) as char);
        n /= 26;
    }
    format!("{prefix}{suffix}")
}

fn disks(w: &mut Writer, cfg: &VmConfig, formats: &[(ImageFormat, bool)]) {
    // AHCI ports: the CD-ROM drives first, then the SATA disks (as vmdesk-vmm orders them).
    let mut sata = 0;
    for c in &cfg.cdroms {
        w.open("disk", &[("type", "file"), ("device", "cdrom")]);
        w.leaf("driver", &[("name", "qemu"), ("type", "raw")], "");
        if let Some(p) = &c.path {
            w.leaf("source", &[("file", &p.display().to_string())], "");
        }
        w.leaf(
            "target",
            &[("dev", &target_name("sd", sata)), ("bus", "sata")],
            "",
        );
        w.leaf("readonly", &[], "");
        w.close();
        sata += 1;
    }
    let mut virtio = 0;
    for (d, (format, _)) in cfg.disks.iter().zip(formats) {
        w.open("disk", &[("type", "file"), ("device", "disk")]);
        let format = format.to_string();
        w.leaf("driver", &[("name", "qemu"), ("type", &format)], "");
        w.leaf("source", &[("file", &d.path.display().to_string())], "");
        let target = match d.bus() {
            DiskBus::Virtio => {
                virtio += 1;
                (target_name("vd", virtio - 1), "virtio")
            }
            DiskBus::Sata => {
                sata += 1;
                (target_name("sd", sata - 1), "sata")
            }
        };
        w.leaf("target", &[("dev", &target.0), ("bus", target.1)], "");
        if let Some(s) = &d.serial {
            w.leaf("serial", &[], s);
        }
        if d.read_only {
            w.leaf("readonly", &[], "");
        }
        w.close();
    }
}

fn nics(w: &mut Writer, cfg: &VmConfig) {
    for (i, n) in cfg.nics.iter().enumerate() {
        w.open("interface", &[("type", "user")]);
        // The address the guest would see under vmdesk, so its network setup still matches.
        let mac = n
            .mac
            .clone()
            .unwrap_or_else(|| vmm_core::net::format_mac(vmm_core::net::derived_mac(&cfg.id, i)));
        w.leaf("mac", &[("address", &mac)], "");
        w.leaf("model", &[("type", "virtio")], "");
        // libvirt's default user backend is libslirp; port forwards need passt there.
        if n.backend != NetBackend::Slirp || !n.forwards.is_empty() {
            w.leaf("backend", &[("type", "passt")], "");
        }
        for f in &n.forwards {
            let proto = f.proto.to_string();
            w.open(
                "portForward",
                &[("proto", &proto), ("address", "127.0.0.1")],
            );
            let (start, to) = (f.host_port.to_string(), f.guest_port.to_string());
            w.leaf("range", &[("start", &start), ("to", &to)], "");
            w.close();
        }
        w.close();
    }
}

/// COM1 as a pty (what `virsh console` attaches to), logged to the file vmdesk would write.
fn serial(w: &mut Writer, serial: &SerialConfig, vm_dir: &Path) {
    w.open("serial", &[("type", "pty")]);
    if let Some(log) = serial.log_path(vm_dir) {
        w.leaf(
            "log",
            &[("file", &log.display().to_string()), ("append", "on")],
            "",
        );
    }
    w.leaf("target", &[("port", "0")], "");
    w.close();
    w.open("console", &[("type", "pty")]);
    w.leaf("target", &[("type", "serial"), ("port", "0")], "");
    w.close();
}
