//! A VM as a KubeVirt `VirtualMachine` (`kubevirt.io/v1`).
//!
//! Written as JSON: YAML 1.2 is a superset of JSON, so `kubectl apply -f` reads it as a
//! manifest, and serde_json is already here, where a YAML writer would be a new dependency
//! (serde_yaml is unmaintained and its forks are young). Disks become DataVolumes (the image
//! uploaded with `virtctl image-upload`, or fetched from `--disk-image-url`) or, for the boot
//! disk, a `containerDisk`; the NIC the pod network's masquerade binding with the forwarded
//! guest ports. What KubeVirt cannot express is returned as notes.

use super::Exported;
use crate::t;
use serde_json::{json, Map, Value};
use std::path::Path;
use vmm_core::config::{BootDevice, BootSource, DiskBus, VmConfig};

/// Where the boot disk (disk 0) comes from; other disks and discs are always uploaded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// A DataVolume importing this URL (CDI's `http` source) instead of an upload.
    pub disk_image_url: Option<String>,
    /// A `containerDisk` with this image reference (an OCI image holding the disk).
    pub container_disk: Option<String>,
    /// The container image holding a kernel VM's kernel (`/boot/vmlinuz`) and initrd.
    pub kernel_image: Option<String>,
}

/// A Kubernetes object name (DNS-1123 label) from a VM id (`[a-z0-9_-]`).
fn k8s_name(id: &str) -> String {
    let s: String = id.chars().map(|c| if c == '_' { '-' } else { c }).collect();
    let s = s.trim_matches('-');
    if s.is_empty() {
        "vm".into()
    } else {
        s.chars()
            .take(63)
            .collect::<String>()
            .trim_end_matches('-')
            .into()
    }
}

/// `bytes` as a Kubernetes quantity in whole GiB, at least 1.
fn gib(bytes: u64) -> String {
    format!("{}Gi", bytes.div_ceil(1 << 30).max(1))
}

/// A shell word: the path as is when it is plain, else in single quotes.
fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// `cfg` as a `VirtualMachine` manifest, the `virtctl image-upload` command lines its
/// DataVolumes need, and the notes. Fails when a disk image cannot be read (its size sizes
/// the DataVolume).
pub fn export(cfg: &VmConfig, opts: &Options) -> Result<Exported, String> {
    let name = k8s_name(&cfg.id);
    let mut notes = Vec::new();
    let mut uploads = Vec::new();
    let mut templates = Vec::new();
    let mut disks = Vec::new();
    let mut volumes = Vec::new();
    let firmware_machine = !matches!(cfg.boot, BootSource::Linux { .. });
    // Boot order: each kind's devices in turn, as the firmware tries them.
    let order = cfg.boot_order();
    let mut next_boot = 1u32;
    let mut boot_orders: Vec<(BootDevice, u32)> = Vec::new();
    for kind in &order {
        boot_orders.push((*kind, next_boot));
        next_boot += 100;
    }
    let mut boot_order = |kind: BootDevice| -> Option<u32> {
        if !firmware_machine {
            return None;
        }
        let slot = boot_orders.iter_mut().find(|(k, _)| *k == kind)?;
        slot.1 += 1;
        Some(slot.1 - 1)
    };
    let mut upload_dv = |vol: &str, path: &Path, size: u64, templates: &mut Vec<Value>| {
        let dv = format!("{name}-{vol}");
        templates.push(json!({
            "metadata": {"name": dv},
            "spec": {
                "source": {"upload": {}},
                "storage": {"resources": {"requests": {"storage": gib(size)}}}
            }
        }));
        uploads.push(format!(
            "virtctl image-upload dv {dv} --no-create --image-path={}",
            shell_word(&path.display().to_string())
        ));
        json!({"name": vol, "dataVolume": {"name": dv}})
    };
    for (i, c) in cfg.cdroms.iter().enumerate() {
        let Some(path) = &c.path else {
            notes.push(t!("kubevirt-note-empty-cdrom", drive = i));
            continue;
        };
        let vol = format!("cdrom{i}");
        let size = std::fs::metadata(path)
            .map_err(|e| format!("cdroms[{i}] ({}): {e}", path.display()))?
            .len();
        volumes.push(upload_dv(&vol, path, size, &mut templates));
        let mut disk = json!({"name": vol, "cdrom": {"bus": "sata", "readonly": true}});
        if let Some(o) = boot_order(BootDevice::Cdrom) {
            disk["bootOrder"] = json!(o);
        }
        disks.push(disk);
    }
    for (i, d) in cfg.disks.iter().enumerate() {
        let vol = format!("disk{i}");
        let bus = match d.bus() {
            DiskBus::Virtio => "virtio",
            DiskBus::Sata => "sata",
        };
        let mut disk = json!({"name": vol, "disk": {"bus": bus}});
        if d.read_only {
            disk["disk"]["readonly"] = json!(true);
        }
        if let Some(s) = &d.serial {
            disk["serial"] = json!(s);
        }
        if let Some(o) = boot_order(BootDevice::Disk) {
            disk["bootOrder"] = json!(o);
        }
        disks.push(disk);
        let size = || {
            vmm_core::storage::image_info(&d.path)
                .map(|info| info.virtual_size)
                .map_err(|e| format!("disks[{i}] ({}): {e}", d.path.display()))
        };
        volumes.push(match (i, &opts.container_disk, &opts.disk_image_url) {
            (0, Some(image), _) => json!({"name": vol, "containerDisk": {"image": image}}),
            (0, None, Some(url)) => {
                let dv = format!("{name}-{vol}");
                templates.push(json!({
                    "metadata": {"name": dv},
                    "spec": {
                        "source": {"http": {"url": url}},
                        "storage": {"resources": {"requests": {"storage": gib(size()?)}}}
                    }
                }));
                json!({"name": vol, "dataVolume": {"name": dv}})
            }
            _ => upload_dv(&vol, &d.path, size()?, &mut templates),
        });
    }
    let mut interfaces = Vec::new();
    let mut networks = Vec::new();
    for (i, n) in cfg.nics.iter().enumerate() {
        if i > 0 {
            notes.push(t!("kubevirt-note-extra-nic", nic = i));
            continue;
        }
        let mac = n
            .mac
            .clone()
            .unwrap_or_else(|| vmm_core::net::format_mac(vmm_core::net::derived_mac(&cfg.id, i)));
        let mut iface =
            json!({"name": "default", "model": "virtio", "masquerade": {}, "macAddress": mac});
        if !n.forwards.is_empty() {
            let ports: Vec<Value> = n
                .forwards
                .iter()
                .map(|f| {
                    let proto = f.proto.to_string().to_uppercase();
                    json!({"port": f.guest_port, "protocol": proto})
                })
                .collect();
            iface["ports"] = Value::Array(ports);
            for f in &n.forwards {
                notes.push(t!(
                    "kubevirt-note-forward",
                    proto = f.proto.to_string(),
                    host = f.host_port,
                    guest = f.guest_port,
                    vm = name.as_str()
                ));
            }
        }
        interfaces.push(iface);
        networks.push(json!({"name": "default", "pod": {}}));
    }
    let mut firmware = Map::new();
    match &cfg.boot {
        BootSource::Bios { .. } => {
            firmware.insert("bootloader".into(), json!({"bios": {}}));
        }
        BootSource::Uefi { .. } => {
            // Secure Boot needs SMM, which vmdesk's machine has not got either.
            firmware.insert("bootloader".into(), json!({"efi": {"secureBoot": false}}));
        }
        BootSource::Linux {
            initrd, cmdline, ..
        } => {
            let image = opts
                .kernel_image
                .clone()
                .unwrap_or_else(|| format!("{name}-kernel:latest"));
            let mut container = json!({"image": image, "kernelPath": "/boot/vmlinuz"});
            if initrd.is_some() {
                container["initrdPath"] = json!("/boot/initrd");
            }
            let mut kb = json!({"container": container});
            if !cmdline.is_empty() {
                kb["kernelArgs"] = json!(cmdline);
            }
            firmware.insert("kernelBoot".into(), kb);
            notes.push(t!("kubevirt-note-kernel-image", image = image));
        }
    }
    let mut devices = json!({
        "disks": disks,
        "interfaces": interfaces,
        "autoattachGraphicsDevice": cfg.display.is_some(),
        "autoattachSerialConsole": true,
        "logSerialConsole": cfg.serial.log,
    });
    if cfg.nics.is_empty() {
        // Without this KubeVirt adds a pod NIC the VM did not have.
        devices["autoattachPodInterface"] = json!(false);
    }
    if cfg.virtio_rng {
        devices["rng"] = json!({});
    }
    if let Some(d) = &cfg.display {
        notes.push(t!(
            "kubevirt-note-screen",
            width = d.width,
            height = d.height
        ));
    }
    let memory = format!("{}Mi", cfg.memory_mib);
    let mut annotations = Map::new();
    annotations.insert("vmdesk.github.io/name".into(), json!(cfg.name));
    if let Some(os) = &cfg.os {
        annotations.insert("vmdesk.github.io/os".into(), json!(os.id));
    }
    let mut spec = json!({
        "runStrategy": "Halted",
        "template": {
            "metadata": {"labels": {"kubevirt.io/domain": name}},
            "spec": {
                "domain": {
                    "cpu": {"cores": cfg.vcpus, "sockets": 1, "threads": 1},
                    "memory": {"guest": memory},
                    "resources": {"requests": {"memory": memory}},
                    "firmware": firmware,
                    "devices": devices,
                },
                "networks": networks,
                "volumes": volumes,
            }
        }
    });
    if !templates.is_empty() {
        spec["dataVolumeTemplates"] = Value::Array(templates);
    }
    let manifest = json!({
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachine",
        "metadata": {"name": name, "annotations": annotations},
        "spec": spec,
    });
    let mut text = serde_json::to_string_pretty(&manifest).map_err(|e| e.to_string())?;
    text.push('\n');
    Ok(Exported {
        text,
        notes,
        uploads,
    })
}
