//! Import: domains shaped like real tools write them (app/tests/data/libvirt/) become VMs with
//! what is left out reported; bad input is a clear error and the library is left alone.

use super::import::{import, import_file, memory_mib};
use super::tests::{files, Files, HOST};
use crate::testing;
use std::path::Path;
use vmm_core::config::{BootDevice, BootSource, DiskBus, ImageFormat, PortForward, Protocol};

pub(crate) fn sample(name: &str, f: &Files) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/libvirt")
        .join(name);
    std::fs::read_to_string(&path)
        .unwrap()
        .replace("@KERNEL@", &f.kernel.display().to_string())
        .replace("@INITRD@", &f.initrd.display().to_string())
        // The pc domain's IDE disk is raw, as it says; the others' are qcow2.
        .replace(
            "@DISK@",
            &if name.starts_with("pc-") {
                &f.raw
            } else {
                &f.qcow2
            }
            .display()
            .to_string(),
        )
        .replace("@ISO@", &f.iso.display().to_string())
        .replace("@NVRAM@", "/var/lib/libvirt/qemu/nvram/debian12_VARS.fd")
}

fn has(notes: &[String], part: &str) -> bool {
    notes.iter().any(|n| n.contains(part))
}

#[test]
fn a_virt_manager_q35_ovmf_domain_imports_and_says_what_it_leaves_out() {
    testing::english();
    let f = files();
    let i = import(&sample("q35-ovmf-virtio.xml", &f), &[], &HOST).unwrap();
    let c = &i.config;
    assert_eq!((c.id.as_str(), c.name.as_str()), ("debian12", "debian12"));
    assert_eq!((c.vcpus, c.memory_mib), (2, 2048));
    assert_eq!(
        c.boot,
        BootSource::Uefi {
            firmware: None,
            vars: None,
            order: vec![]
        }
    );
    assert_eq!(c.disks.len(), 1);
    assert_eq!(c.disks[0].path, f.qcow2);
    assert_eq!(c.disks[0].format, Some(ImageFormat::Qcow2));
    assert_eq!(c.disks[0].bus(), DiskBus::Virtio);
    assert_eq!(c.nics.len(), 1);
    assert_eq!(c.nics[0].mac.as_deref(), Some("52:54:00:6c:3a:0e"));
    assert_eq!(
        c.nics[0].forwards,
        vec![PortForward {
            proto: Protocol::Tcp,
            host_port: 2222,
            guest_port: 22
        }]
    );
    assert!(c.display.is_some() && c.virtio_rng);
    assert_eq!(c.os.as_ref().unwrap().id, "http://debian.org/debian/12");
    for part in [
        "<channel type='spicevmc'>",
        "<sound model='ich9'>",
        "<redirdev type='spicevmc'>",
        "<memballoon model='virtio'>",
        "<tpm model='tpm-crb'>",
        "<audio type='spice'>",
        "SPICE",
        "debian12_VARS.fd",
    ] {
        assert!(has(&i.notes, part), "no note on {part}: {:#?}", i.notes);
    }
    assert!(!has(&i.notes, "Secure Boot"), "secure boot is off there");
}

#[test]
fn a_pc_seabios_domain_with_an_ide_cdrom_imports_on_sata() {
    testing::english();
    let f = files();
    let i = import(&sample("pc-seabios-ide-cdrom.xml", &f), &[], &HOST).unwrap();
    let c = &i.config;
    assert_eq!(
        (c.id.as_str(), c.name.as_str()),
        ("winxp", "Windows XP installer")
    );
    assert_eq!((c.vcpus, c.memory_mib), (1, 512));
    // cdrom, hd is the default order with a disc in the drive.
    assert_eq!(
        c.boot,
        BootSource::Bios {
            firmware: None,
            order: vec![],
            vga_rom: None
        }
    );
    assert_eq!(c.boot_order(), vec![BootDevice::Cdrom, BootDevice::Disk]);
    assert_eq!(c.cdroms.len(), 1);
    assert_eq!(c.cdroms[0].path.as_deref(), Some(f.iso.as_path()));
    assert_eq!(c.disks[0].bus(), DiskBus::Sata);
    assert_eq!(c.nics[0].mac.as_deref(), Some("52:54:00:8f:1a:77"));
    assert!(c.display.is_some() && !c.virtio_rng);
    for part in [
        "disk hda: the ide bus becomes sata",
        "disk hdc: the ide bus becomes sata",
        "“network” interface becomes user-mode",
        "e1000 becomes virtio",
        "VNC over TCP",
        "<memballoon model='virtio'>",
    ] {
        assert!(has(&i.notes, part), "no note {part}: {:#?}", i.notes);
    }
}

#[test]
fn a_direct_kernel_domain_imports_as_a_kernel_vm() {
    testing::english();
    let f = files();
    let i = import(
        &sample("direct-kernel.xml", &f),
        &["kernel-guest".into()],
        &HOST,
    )
    .unwrap();
    let c = &i.config;
    // The name is taken: the id gets a suffix, the name stays.
    assert_eq!(
        (c.id.as_str(), c.name.as_str()),
        ("kernel-guest-2", "kernel-guest")
    );
    assert_eq!(c.memory_mib, 64);
    assert_eq!(
        c.boot,
        BootSource::Linux {
            kernel: f.kernel.clone(),
            initrd: None,
            cmdline: "console=ttyS0".into()
        }
    );
    assert!(c.disks.is_empty() && c.nics.is_empty() && c.display.is_none());
    assert!(i.notes.is_empty(), "{:#?}", i.notes);
}

#[test]
fn memory_units_are_libvirts() {
    assert_eq!(memory_mib("2097152", None), Some(2048));
    assert_eq!(memory_mib("2", Some("GiB")), Some(2048));
    assert_eq!(memory_mib("1000", Some("MB")), Some(954));
    assert_eq!(memory_mib("1", Some("b")), Some(1));
    assert_eq!(memory_mib("x", None), None);
    assert_eq!(memory_mib("1", Some("parsecs")), None);
    assert_eq!(memory_mib("99999999999999999", Some("TiB")), None);
}

/// Bad input: each is refused with a message naming what is wrong.
pub(crate) fn bad_inputs(f: &Files) -> Vec<(&'static str, String, &'static str)> {
    let kernel = sample("direct-kernel.xml", f);
    let pc = sample("pc-seabios-ide-cdrom.xml", f);
    let text = f.dir.path().join("notes.txt");
    std::fs::write(&text, "not a disk image\n").unwrap();
    let folder = f.dir.path().join("a-folder");
    std::fs::create_dir_all(&folder).unwrap();
    let disk_at = |path: &Path, format: &str| {
        pc.replace(
            &format!(
                "<driver name='qemu' type='raw'/>\n      <source file='{}'/>",
                f.raw.display()
            ),
            &format!(
                "<driver name='qemu' type='{format}'/>\n      <source file='{}'/>",
                path.display()
            ),
        )
    };
    let bomb = format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE domain [\n <!ENTITY a \"aaaaaaaaaa\">\n{}]>\n<domain type='kvm'><name>&e;</name></domain>",
        (b'b'..=b'e')
            .map(|c| {
                let prev = (c - 1) as char;
                format!(" <!ENTITY {} \"{}\">\n", c as char, format!("&{prev};").repeat(10))
            })
            .collect::<String>()
    );
    vec![
        ("malformed", "<domain type='kvm'><name>x</name>".into(), "never closed"),
        ("not xml", "\u{0}\u{1}garbage".into(), "well-formed"),
        ("entity bomb", bomb, "DTD detected"),
        (
            "external entity",
            "<!DOCTYPE domain [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><domain><name>&x;</name></domain>".into(),
            "DTD detected",
        ),
        ("not a domain", "<network><name>default</name></network>".into(), "<network>"),
        ("no memory", kernel.replace("<memory unit='MiB'>64</memory>", ""), "<memory> is missing"),
        ("bad memory", kernel.replace(">64</memory>", ">lots</memory>"), "“lots”"),
        ("unknown machine", kernel.replace("machine='pc'", "machine='virt'"), "“virt”"),
        ("s390", kernel.replace("machine='pc'", "machine='s390-ccw-virtio'"), "s390-ccw-virtio"),
        ("arm", kernel.replace("arch='x86_64'", "arch='aarch64'"), "aarch64"),
        ("container", kernel.replace(">hvm<", ">exe<"), "“exe”"),
        ("no kernel", kernel.replace(&f.kernel.display().to_string(), "/nonexistent/vmlinuz"), "/nonexistent/vmlinuz"),
        ("text file as qcow2", disk_at(&text, "qcow2"), "notes.txt is said to be qcow2 but is raw"),
        ("folder as disk", disk_at(&folder, "raw"), "neither a regular file"),
        ("ISO as disk", disk_at(&f.iso, "raw"), "install.iso"),
        ("vmdk", disk_at(&f.qcow2, "vmdk"), "“vmdk”"),
        ("missing disk", disk_at(Path::new("/nonexistent/d.img"), "raw"), "/nonexistent/d.img"),
        ("disk image as CD", pc.replace(&f.iso.display().to_string(), &f.raw.display().to_string()), "ISO 9660"),
        (
            "network disk",
            pc.replace("<disk type='file' device='disk'>", "<disk type='network' device='disk'>"),
            "“network”",
        ),
        ("too many vCPUs", kernel.replace(">1</vcpu>", ">4096</vcpu>"), "vcpus"),
    ]
}

#[test]
fn bad_input_is_a_clear_error() {
    testing::english();
    let f = files();
    for (what, text, says) in bad_inputs(&f) {
        let e = match import(&text, &[], &HOST) {
            Ok(i) => panic!("{what}: imported {:#?}", i.config),
            Err(e) => e,
        };
        assert!(e.contains(says), "{what}: {e:?} does not say {says:?}");
    }
}

#[test]
fn import_reads_only_regular_files_of_sane_size() {
    testing::english();
    let e = import_file(Path::new("/dev/zero"), &[], &HOST).unwrap_err();
    assert!(e.starts_with("/dev/zero: "), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.xml");
    std::fs::write(
        &big,
        vec![b' '; (super::import::MAX_XML_BYTES + 1) as usize],
    )
    .unwrap();
    assert!(import_file(&big, &[], &HOST).is_err());
}
