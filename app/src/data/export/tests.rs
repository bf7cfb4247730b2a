//! Export: every VM shape round-trips through libvirt's XML (ours, and as libvirt's test
//! driver stores and dumps it), validates against libvirt's schema and KubeVirt's, and says
//! what it could not express.

use super::import::import;
use super::{kubevirt, libvirt};
use crate::testing::{self, skip_or_fail};
use std::path::{Path, PathBuf};
use std::process::Command;
use vmm_core::config::{
    BootDevice, BootSource, CdromConfig, DiskBus, DiskConfig, DisplayConfig, GuestOs, HostLimits,
    ImageFormat, NetBackend, NicConfig, PortForward, Protocol, SerialConfig, VmConfig,
};

pub const HOST: HostLimits = HostLimits {
    max_vcpus: 64,
    memory_mib: 1 << 20,
};

/// Files the shapes point at: a kernel, an initrd, a qcow2, a raw image and an ISO.
pub struct Files {
    pub dir: tempfile::TempDir,
    pub kernel: PathBuf,
    pub initrd: PathBuf,
    pub qcow2: PathBuf,
    pub raw: PathBuf,
    pub iso: PathBuf,
}

pub fn files() -> Files {
    let dir = tempfile::tempdir().unwrap();
    let kernel = testing::fake_kernel(dir.path());
    let initrd = dir.path().join("initrd.img");
    std::fs::write(&initrd, vec![0u8; 4096]).unwrap();
    let qcow2 = dir.path().join("disk.qcow2");
    vmm_core::storage::create_qcow2(&qcow2, 64 << 20).unwrap();
    let raw = dir.path().join("data.img");
    std::fs::write(&raw, vec![0u8; 1 << 20]).unwrap();
    let iso = dir.path().join("install.iso");
    std::fs::write(
        &iso,
        crate::data::media::tests::tiny_iso("INSTALL", "LINUX"),
    )
    .unwrap();
    Files {
        dir,
        kernel,
        initrd,
        qcow2,
        raw,
        iso,
    }
}

fn disk(path: &Path) -> DiskConfig {
    DiskConfig {
        path: path.into(),
        ..Default::default()
    }
}

/// Every VM shape the issue names: kernel, UEFI + CD, BIOS + disk, NIC with forwards,
/// display, read-only disk (and the odd values vmdesk keeps in its metadata).
pub fn shapes(f: &Files) -> Vec<(&'static str, VmConfig)> {
    let mut kernel = VmConfig::new_linux("kernel-vm", "Kernel <&> 'VM' \"1\"", f.kernel.clone());
    kernel.vcpus = 2;
    kernel.memory_mib = 256;
    kernel.boot = BootSource::Linux {
        kernel: f.kernel.clone(),
        initrd: Some(f.initrd.clone()),
        cmdline: "console=ttyS0 root=/dev/vda quiet a<b&c".into(),
    };

    let mut uefi = VmConfig::new_linux("uefi-cd", "UEFI installer", f.kernel.clone());
    uefi.memory_mib = 1024;
    uefi.boot = BootSource::Uefi {
        firmware: None,
        vars: None,
        order: vec![],
    };
    uefi.cdroms = vec![CdromConfig {
        path: Some(f.iso.clone()),
    }];
    uefi.disks = vec![DiskConfig {
        format: Some(ImageFormat::Qcow2),
        ..disk(&f.qcow2)
    }];
    uefi.display = Some(DisplayConfig::default());
    uefi.os = Some(GuestOs {
        id: "http://debian.org/debian/12".into(),
        name: "Debian 12".into(),
    });

    let mut uefi_vars = uefi.clone();
    uefi_vars.id = "uefi-vars".into();
    uefi_vars.os = None;
    uefi_vars.boot = BootSource::Uefi {
        firmware: None,
        vars: Some(f.dir.path().join("my-vars.fd")),
        // Not the default for empty drives (an order equal to the default comes back as the
        // default, which boots the same).
        order: vec![BootDevice::Cdrom, BootDevice::Disk],
    };
    uefi_vars.cdroms = vec![CdromConfig { path: None }, CdromConfig { path: None }];

    let mut bios = VmConfig::new_linux("bios-disk", "BIOS disk", f.kernel.clone());
    bios.boot = BootSource::Bios {
        firmware: None,
        order: vec![BootDevice::Cdrom, BootDevice::Disk],
        vga_rom: Some(f.dir.path().join("vga.rom")),
    };
    bios.disks = vec![
        DiskConfig {
            bus: Some(DiskBus::Sata),
            serial: Some("SATA-0001".into()),
            allow_backing: vec![f.dir.path().join("bases")],
            ..disk(&f.raw)
        },
        DiskConfig {
            format: Some(ImageFormat::Qcow2),
            ..disk(&f.qcow2)
        },
    ];
    bios.display = Some(DisplayConfig {
        width: 1280,
        height: 720,
        vnc_port: Some(5905),
        vnc_password: Some("s3cr&t".into()),
        ..Default::default()
    });

    let mut nic = VmConfig::new_linux("nic-vm", "NIC", f.kernel.clone());
    nic.nics = vec![
        NicConfig {
            mac: None,
            forwards: vec![
                PortForward {
                    proto: Protocol::Tcp,
                    host_port: 8080,
                    guest_port: 80,
                },
                PortForward {
                    proto: Protocol::Udp,
                    host_port: 5353,
                    guest_port: 53,
                },
            ],
            backend: NetBackend::Auto,
        },
        // libslirp without forwards: libvirt's own default user network, no <backend>.
        NicConfig {
            mac: Some("52:54:00:12:34:56".into()),
            forwards: vec![],
            backend: NetBackend::Slirp,
        },
    ];

    let mut ro = VmConfig::new_linux("display-ro", "Display, read-only disk", f.kernel.clone());
    ro.display = Some(DisplayConfig {
        width: 800,
        height: 600,
        ..Default::default()
    });
    ro.disks = vec![DiskConfig {
        read_only: true,
        format: Some(ImageFormat::Qcow2),
        ..disk(&f.qcow2)
    }];
    ro.virtio_rng = false;
    ro.serial = SerialConfig {
        log: false,
        log_file: None,
    };
    let mut logged = ro.clone();
    logged.id = "logged".into();
    logged.serial = SerialConfig {
        log: true,
        log_file: Some(f.dir.path().join("console.txt")),
    };

    vec![
        ("kernel", kernel),
        ("uefi-cd", uefi),
        ("uefi-vars", uefi_vars),
        ("bios-disk", bios),
        ("nic", nic),
        ("display-ro", ro),
        ("logged", logged),
    ]
}

fn export(cfg: &VmConfig, f: &Files) -> super::Exported {
    libvirt::export(cfg, &f.dir.path().join("vms").join(&cfg.id)).unwrap()
}

#[test]
fn every_shape_round_trips_through_our_libvirt_xml() {
    testing::english();
    let f = files();
    for (shape, cfg) in shapes(&f) {
        cfg.validate(&HOST)
            .unwrap_or_else(|e| panic!("{shape}: {e:?}"));
        let x = export(&cfg, &f);
        let back =
            import(&x.text, &[], &HOST).unwrap_or_else(|e| panic!("{shape}: {e}\n{}", x.text));
        assert_eq!(back.config, cfg, "{shape}:\n{}", x.text);
    }
}

#[test]
fn the_xml_boots_the_same_guest_the_same_way() {
    testing::english();
    let f = files();
    let all = shapes(&f);
    let get = |s: &str| &all.iter().find(|(n, _)| *n == s).unwrap().1;
    let k = export(get("kernel"), &f).text;
    for part in [
        "machine='q35'>hvm</type>",
        &format!("<kernel>{}</kernel>", f.kernel.display()),
        &format!("<initrd>{}</initrd>", f.initrd.display()),
        "<cmdline>console=ttyS0 root=/dev/vda quiet a&lt;b&amp;c</cmdline>",
        "<title>Kernel &lt;&amp;&gt; &apos;VM&apos; &quot;1&quot;</title>",
        "<vcpu placement='static'>2</vcpu>",
        "<memory unit='MiB'>256</memory>",
        "<on_reboot>destroy</on_reboot>",
        "<rng model='virtio'>",
        "<memballoon model='none'/>",
    ] {
        assert!(k.contains(part), "no {part} in\n{k}");
    }
    let u = export(get("uefi-cd"), &f).text;
    for part in [
        "<os firmware='efi'>",
        "<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>",
        "<boot dev='cdrom'/>\n    <boot dev='hd'/>",
        &format!("<source file='{}'/>", f.iso.display()),
        "<target dev='sda' bus='sata'/>",
        "<driver name='qemu' type='qcow2'/>",
        "<libosinfo:os id='http://debian.org/debian/12'/>",
        "<listen type='socket'/>",
        "<resolution x='1024' y='768'/>",
    ] {
        assert!(u.contains(part), "no {part} in\n{u}");
    }
    let b = export(get("bios-disk"), &f);
    for part in [
        "machine='pc'>hvm</type>",
        "<loader readonly='yes' type='rom'>/usr/share/seabios/bios-256k.bin</loader>",
        // Probed: the raw image says raw.
        "<driver name='qemu' type='raw'/>",
        "<target dev='sda' bus='sata'/>",
        "<target dev='vda' bus='virtio'/>",
        "<serial>SATA-0001</serial>",
        "passwd='s3cr&amp;t'",
    ] {
        assert!(b.text.contains(part), "no {part} in\n{}", b.text);
    }
    let n = export(get("nic"), &f).text;
    for part in [
        "<interface type='user'>",
        "<backend type='passt'/>",
        "<portForward proto='tcp' address='127.0.0.1'>\n        <range start='8080' to='80'/>",
        "<portForward proto='udp' address='127.0.0.1'>\n        <range start='5353' to='53'/>",
        "<mac address='52:54:00:12:34:56'/>",
        // The first NIC's address is the one vmdesk gives it.
        &format!(
            "<mac address='{}'/>",
            vmm_core::net::format_mac(vmm_core::net::derived_mac("nic-vm", 0))
        ),
    ] {
        assert!(n.contains(part), "no {part} in\n{n}");
    }
    let r = export(get("display-ro"), &f).text;
    assert!(r.contains("<readonly/>") && !r.contains("<rng"), "{r}");
    assert!(!r.contains("<log "), "no serial log asked for: {r}");
}

#[test]
fn what_libvirt_cannot_express_is_listed() {
    testing::english();
    let f = files();
    let all = shapes(&f);
    let notes = |s: &str| export(&all.iter().find(|(n, _)| *n == s).unwrap().1, &f).notes;
    let b = notes("bios-disk");
    assert!(b.iter().any(|n| n.contains("5905")), "{b:?}");
    assert!(b.iter().any(|n| n.contains("vga.rom")), "{b:?}");
    assert!(b.iter().any(|n| n.contains("backing")), "{b:?}");
    let k = notes("kernel");
    assert!(k.iter().any(|n| n.contains("virtio-pci")), "{k:?}");
    assert!(notes("uefi-cd").is_empty(), "{:?}", notes("uefi-cd"));
}

#[test]
fn an_unreadable_disk_is_an_error_naming_it() {
    testing::english();
    let f = files();
    let mut cfg = VmConfig::new_linux("x", "X", f.kernel.clone());
    cfg.disks = vec![disk(Path::new("/nonexistent/gone.img"))];
    let e = libvirt::export(&cfg, f.dir.path()).unwrap_err();
    assert!(e.contains("disks[0]") && e.contains("gone.img"), "{e}");
    let e = kubevirt::export(&cfg, &Default::default()).unwrap_err();
    assert!(e.contains("disks[0]") && e.contains("gone.img"), "{e}");
}

/// A tool the validation needs, or None after `skipped: …` (a failure under
/// VMDESK_REQUIRE_TOOLS).
fn tool(name: &str, package: &str) -> Option<()> {
    match Command::new(name).arg("--version").output() {
        Ok(_) => Some(()),
        Err(_) => {
            skip_or_fail(&format!("{name} is not installed (Debian: {package})"));
            None
        }
    }
}

fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn libvirt_validates_defines_and_dumps_every_shape_and_the_dump_imports_equal() {
    testing::english();
    if tool("virt-xml-validate", "libvirt-clients, libxml2-utils").is_none()
        || tool("xmllint", "libxml2-utils").is_none()
        || tool("virsh", "libvirt-clients").is_none()
    {
        return;
    }
    // `<backend type='passt'/>` came with libvirt 9.2 (Debian 12 has 9.0, its backports 11).
    let (_, version) = run(Command::new("virsh").arg("--version"));
    let v: Vec<u32> = version
        .trim()
        .split('.')
        .filter_map(|n| n.parse().ok())
        .collect();
    if v.len() < 2 || (v[0], v[1]) < (9, 2) {
        return skip_or_fail(&format!(
            "libvirt {} is older than 9.2, which knows passt (Debian: libvirt-clients from bookworm-backports)",
            version.trim()
        ));
    }
    let f = files();
    for (shape, cfg) in shapes(&f) {
        let x = export(&cfg, &f);
        let file = f.dir.path().join(format!("{shape}.xml"));
        std::fs::write(&file, &x.text).unwrap();
        let (ok, out) = run(Command::new("virt-xml-validate").arg(&file).arg("domain"));
        assert!(ok, "{shape}: virt-xml-validate: {out}\n{}", x.text);
        // libvirt's test driver (no daemon, no KVM): define parses it as libvirt does,
        // dumpxml gives it back as libvirt writes it (uuid, defaults, KiB, …).
        let script = format!(
            "define {}; dumpxml --security-info {}",
            file.display(),
            cfg.id
        );
        let (ok, dump) = run(Command::new("virsh").args(["-q", "-c", "test:///default", &script]));
        assert!(ok, "{shape}: virsh define: {dump}\n{}", x.text);
        let xml = &dump[dump
            .find("<domain")
            .unwrap_or_else(|| panic!("{shape}: {dump}"))..];
        let back = import(xml, &[], &HOST).unwrap_or_else(|e| panic!("{shape}: {e}\n{xml}"));
        assert_eq!(back.config, cfg, "{shape}: libvirt's dump:\n{xml}");
    }
}

/// KubeVirt's OpenAPI document: `$VMDESK_KUBEVIRT_SCHEMA`, else the copy in tests/data/schemas.
fn kubevirt_schema() -> Option<PathBuf> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let found = std::env::var_os("VMDESK_KUBEVIRT_SCHEMA")
        .map(PathBuf::from)
        .into_iter()
        .chain([repo.join("tests/data/schemas/kubevirt-openapi.json")])
        .find(|p| p.is_file());
    if found.is_none() {
        skip_or_fail(
            "KubeVirt's OpenAPI schema is not in tests/data/schemas (set VMDESK_KUBEVIRT_SCHEMA)",
        );
    }
    found
}

fn validate_kubevirt(schema: &Path, manifests: &[PathBuf]) -> (bool, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/lib/kubevirt-validate.py");
    run(Command::new("python3")
        .arg(script)
        .arg(schema)
        .args(manifests))
}

#[test]
fn kubevirt_manifests_of_every_shape_validate_against_kubevirts_schema() {
    testing::english();
    let Some(schema) = kubevirt_schema() else {
        return;
    };
    let has_jsonschema = Command::new("python3")
        .args(["-c", "import jsonschema"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_jsonschema {
        return skip_or_fail("python3-jsonschema is not installed (Debian: python3-jsonschema)");
    }
    let f = files();
    let mut manifests = Vec::new();
    let options = [
        kubevirt::Options::default(),
        kubevirt::Options {
            container_disk: Some("quay.io/me/disk:1".into()),
            kernel_image: Some("quay.io/me/kernel:1".into()),
            ..Default::default()
        },
        kubevirt::Options {
            disk_image_url: Some("https://example.org/disk.qcow2".into()),
            ..Default::default()
        },
    ];
    for (shape, cfg) in shapes(&f) {
        for (i, opts) in options.iter().enumerate() {
            let x = kubevirt::export(&cfg, opts).unwrap();
            let v: serde_json::Value = serde_json::from_str(&x.text).unwrap();
            assert_eq!(v["apiVersion"], "kubevirt.io/v1");
            let file = f.dir.path().join(format!("{shape}-{i}.json"));
            std::fs::write(&file, &x.text).unwrap();
            manifests.push(file);
        }
    }
    let (ok, out) = validate_kubevirt(&schema, &manifests);
    assert!(ok, "{out}");
    // The check can fail: a field KubeVirt does not have is refused.
    let bad = f.dir.path().join("bad.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifests[0]).unwrap()).unwrap();
    v["spec"]["template"]["spec"]["domain"]["devices"]["vnc"] = serde_json::json!(true);
    std::fs::write(&bad, v.to_string()).unwrap();
    let (ok, out) = validate_kubevirt(&schema, &[bad]);
    assert!(!ok && out.contains("vnc"), "{out}");
}

#[test]
fn kubevirt_carries_cpu_memory_firmware_disks_and_the_nic() {
    testing::english();
    let f = files();
    let all = shapes(&f);
    let get = |s: &str| &all.iter().find(|(n, _)| *n == s).unwrap().1;
    let x = kubevirt::export(get("bios-disk"), &Default::default()).unwrap();
    let v: serde_json::Value = serde_json::from_str(&x.text).unwrap();
    let dom = &v["spec"]["template"]["spec"]["domain"];
    assert_eq!(dom["cpu"]["cores"], 1);
    assert_eq!(dom["memory"]["guest"], "512Mi");
    assert_eq!(
        dom["firmware"]["bootloader"],
        serde_json::json!({"bios": {}})
    );
    assert_eq!(dom["devices"]["disks"][0]["disk"]["bus"], "sata");
    assert_eq!(dom["devices"]["disks"][0]["serial"], "SATA-0001");
    // Two disks, both uploaded: one command each, naming the image.
    assert_eq!(x.uploads.len(), 2, "{:?}", x.uploads);
    assert!(x.uploads[0].contains("bios-disk-disk0") && x.uploads[0].contains("data.img"));
    let x = kubevirt::export(get("uefi-cd"), &Default::default()).unwrap();
    let v: serde_json::Value = serde_json::from_str(&x.text).unwrap();
    let dom = &v["spec"]["template"]["spec"]["domain"];
    assert_eq!(dom["firmware"]["bootloader"]["efi"]["secureBoot"], false);
    // The installer CD boots first.
    assert_eq!(dom["devices"]["disks"][0]["cdrom"]["bus"], "sata");
    assert_eq!(dom["devices"]["disks"][0]["bootOrder"], 1);
    assert_eq!(dom["devices"]["disks"][1]["bootOrder"], 101);
    let x = kubevirt::export(
        get("nic"),
        &kubevirt::Options {
            kernel_image: Some("reg/k:1".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&x.text).unwrap();
    let spec = &v["spec"]["template"]["spec"];
    let iface = &spec["domain"]["devices"]["interfaces"][0];
    assert_eq!(iface["masquerade"], serde_json::json!({}));
    assert_eq!(
        iface["ports"],
        serde_json::json!([{"port": 80, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}])
    );
    assert_eq!(spec["networks"][0]["pod"], serde_json::json!({}));
    assert_eq!(
        spec["domain"]["firmware"]["kernelBoot"]["container"]["image"],
        "reg/k:1"
    );
    // The second NIC and the host ports are listed, not dropped.
    assert!(x.notes.iter().any(|n| n.contains("NIC 1")), "{:?}", x.notes);
    assert!(x.notes.iter().any(|n| n.contains("8080")), "{:?}", x.notes);
    let x = kubevirt::export(
        get("display-ro"),
        &kubevirt::Options {
            container_disk: Some("reg/disk:1".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&x.text).unwrap();
    let spec = &v["spec"]["template"]["spec"];
    assert_eq!(spec["volumes"][0]["containerDisk"]["image"], "reg/disk:1");
    assert_eq!(
        spec["domain"]["devices"]["disks"][0]["disk"]["readonly"],
        true
    );
    assert!(x.uploads.is_empty() && v["spec"].get("dataVolumeTemplates").is_none());
}
