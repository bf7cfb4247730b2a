use super::snapshot::find_snapshot;
use super::*;
use crate::data::snapshots::SnapshotList;
use crate::testing::{self, FakeClient};
use parse::parse_size;
use vmm_core::api::{
    CdromEject, CdromInsert, Command as Api, Kill, ListSnapshots, Pause, PowerOff, Reset, RunState,
    Screenshot, SnapshotCreate, SnapshotRevert,
};
use vmm_core::config::{BootSource, VmConfig};

/// Fluent ends a message at a continuation line starting with `[`, `*` or `.`: the help
/// was once cut off after the create line that way. Every language's help must be whole.
#[test]
fn help_is_whole_in_every_language() {
    for lang in ["en", "de", "es", "fr"] {
        let text = std::fs::read_to_string(format!(
            "{}/../i18n/{lang}/vmdesk.ftl",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let help: Vec<&str> = text
            .lines()
            .skip_while(|l| !l.starts_with("cli-help ="))
            .skip(1)
            .take_while(|l| l.is_empty() || l.starts_with(' '))
            .collect();
        assert!(help.len() > 20, "{lang}: help too short");
        for l in &help {
            let t = l.trim_start();
            assert!(
                !(t.starts_with('[') || t.starts_with('*') || t.starts_with('.')),
                "{lang}: a help line starting with {t:?} would end the message"
            );
        }
    }
    assert!(help().contains("--version"), "{}", help());
}

fn args(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

#[test]
fn arguments_parse_and_bad_ones_are_explained() {
    testing::english();
    assert_eq!(
        parse(&args("stop web --json")).unwrap(),
        Args {
            command: Command::Stop { vm: "web".into() },
            json: true,
        }
    );
    assert!(parse(&args("list")).is_ok());
    assert!(parse(&args("start")).unwrap_err().contains("start"));
    assert!(parse(&args("explode x")).is_err());
    assert!(parse(&args("list --fast")).is_err());
    assert!(parse(&args("kill a b")).is_err());
    let a = parse(&args("create Web --kernel=/k --vcpus 2 --display 800x600")).unwrap();
    let Command::Create(c) = a.command else {
        panic!("not a create: {a:?}")
    };
    assert_eq!(c.name, "Web");
    assert_eq!(
        (
            c.kernel.as_deref().and_then(|k| k.to_str()),
            c.vcpus.as_deref(),
            c.display.as_deref()
        ),
        (Some("/k"), Some("2"), Some("800x600"))
    );
    assert!(parse(&args("create Web")).is_err(), "--kernel is required");
    assert!(
        parse(&args("create Web --kernel")).is_err(),
        "a value is missing"
    );
    assert!(parse(&args("start web --name x")).is_err());
    assert!(parse(&args("revert web")).is_err());
    let r = parse(&args("revert web s1")).unwrap();
    let Command::Snapshot(SnapshotCommand::Revert { snapshot, .. }) = r.command else {
        panic!("not a revert: {r:?}")
    };
    assert_eq!(snapshot, "s1");
    assert_eq!(parse_size("1024x768"), Some((1024, 768)));
    assert_eq!(parse_size("0x768"), None);
    assert_eq!(parse_size("big"), None);
}

#[test]
fn commands_send_the_right_requests_and_exit_codes_mean_something() {
    testing::english();
    let root = tempfile::tempdir().unwrap();
    let paths = Paths::under(root.path());
    testing::add_vm(&paths, "web", "Web");
    let fake = Arc::new(FakeClient::default());
    let run = |s: &str| run_with(&paths, fake.clone(), &parse(&args(s)).unwrap());
    assert_eq!(run("kill web"), code::WRONG_STATE);
    assert_eq!(run("status web"), code::OK);
    assert_eq!(run("start Web"), code::OK);
    assert_eq!(fake.started(), ["web"]);
    assert_eq!(run("pause web"), code::OK);
    fake.set_acpi_ack(false);
    assert_eq!(run("stop web --json"), code::NO_RESPONSE);
    assert_eq!(run("kill web"), code::OK);
    assert_eq!(run("restart web"), code::WRONG_STATE, "not running");
    assert_eq!(run("start web"), code::OK);
    assert_eq!(run("restart web --json"), code::OK);
    assert_eq!(
        fake.started(),
        ["web", "web", "web"],
        "reset, then started again"
    );
    assert_eq!(
        fake.commands(),
        [
            ("web".to_string(), Api::from(Pause {})),
            ("web".to_string(), PowerOff {}.into()),
            ("web".to_string(), Kill {}.into()),
            ("web".to_string(), Reset {}.into())
        ]
    );
    assert_eq!(run("status nope"), code::NO_SUCH_VM);
    assert_eq!(run("list --json"), code::OK);
    // A running VM's confinement, as its VMM's status says it (the fake: seccomp on with 14
    // filters, Landlock ABI 7).
    let captured = |s: &str| run_captured(&paths, fake.clone(), &parse(&args(s)).unwrap());
    let (c, text) = captured("status web");
    assert_eq!(c, code::OK);
    assert!(
        text.contains("Confinement: seccomp filters on (14) · Landlock file limits on (ABI 7)"),
        "{text}"
    );
    let (_, json) = captured("list --json");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v[0]["confinement"]["seccomp"], "on", "{json}");
    assert_eq!(v[0]["confinement"]["landlock"], "abi v7", "{json}");
    let (_, json) = captured("status web --json");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["confinement"]["filters"], 14, "{json}");
}

#[test]
fn cdrom_sends_eject_and_insert_with_an_absolute_path() {
    testing::english();
    let root = tempfile::tempdir().unwrap();
    let paths = Paths::under(root.path());
    testing::add_vm(&paths, "pc", "PC");
    let fake = Arc::new(FakeClient::default());
    let run = |s: &str| run_with(&paths, fake.clone(), &parse(&args(s)).unwrap());
    assert_eq!(run("start pc"), code::OK);
    assert_eq!(run("cdrom pc eject --drive x"), code::USAGE);
    assert_eq!(run("cdrom pc eject"), code::OK);
    assert_eq!(run("cdrom PC insert disc.iso --drive 1 --json"), code::OK);
    let cwd = std::env::current_dir().unwrap();
    assert_eq!(
        fake.commands(),
        [
            ("pc".to_string(), Api::from(CdromEject { drive: 0 })),
            (
                "pc".to_string(),
                CdromInsert {
                    drive: 1,
                    path: cwd.join("disc.iso").display().to_string()
                }
                .into()
            ),
        ]
    );
}

#[test]
fn list_works_with_no_vms_and_no_vmm() {
    testing::english();
    let root = tempfile::tempdir().unwrap();
    let paths = Paths::under(root.path());
    assert_eq!(run(&paths, &parse(&args("list --json")).unwrap()), code::OK);
    assert_eq!(run(&paths, &parse(&args("list")).unwrap()), code::OK);
}

#[test]
fn create_writes_a_valid_vm_and_delete_removes_it() {
    testing::english();
    let root = tempfile::tempdir().unwrap();
    let paths = Paths::under(root.path());
    let kernel = testing::fake_kernel(root.path());
    let fake = Arc::new(FakeClient::default());
    let run = |s: &str| run_with(&paths, fake.clone(), &parse(&args(s)).unwrap());
    let k = kernel.display();
    assert_eq!(
        run(&format!(
            "create Desk --kernel {k} --cmdline quiet --vcpus 1 --memory 256 --display 800x600 --json"
        )),
        code::OK
    );
    let cfg = VmConfig::load(&paths.vm_config("desk")).unwrap();
    assert_eq!(
        (cfg.name.as_str(), cfg.vcpus, cfg.memory_mib),
        ("Desk", 1, 256)
    );
    let d = cfg.display.unwrap();
    assert_eq!((d.width, d.height), (800, 600));
    let BootSource::Linux { cmdline, .. } = &cfg.boot else {
        panic!("not a kernel boot: {:?}", cfg.boot);
    };
    assert_eq!(cmdline, "quiet");
    // A second one with the same name gets its own id; bad values are usage errors.
    assert_eq!(run(&format!("create Desk --kernel {k}")), code::OK);
    assert!(paths.vm_config("desk-2").exists());
    assert_eq!(
        run(&format!("create X --kernel {k} --vcpus lots")),
        code::USAGE
    );
    assert_eq!(
        run(&format!("create X --kernel {k} --display 12")),
        code::USAGE
    );
    assert_eq!(run("create X --kernel /nonexistent"), code::USAGE);
    assert!(!paths.vm_dir("x").exists());
    // Delete refuses a running VM.
    fake.set_running("desk", RunState::Running);
    assert_eq!(run("delete desk"), code::WRONG_STATE);
    fake.crash("desk", 0);
    assert_eq!(run("delete desk"), code::OK);
    assert!(!paths.vm_dir("desk").exists());
    assert_eq!(run("delete desk-2"), code::OK);
    assert_eq!(run("delete desk-2"), code::NO_SUCH_VM);
}

#[test]
fn disks_clones_and_deleting_with_disks_from_the_command_line() {
    testing::english();
    testing::test_trash();
    let root = tempfile::tempdir().unwrap();
    let paths = Paths::under(root.path());
    let kernel = testing::fake_kernel(root.path());
    let k = kernel.display();
    let fake = Arc::new(FakeClient::default());
    let run = |s: &str| run_with(&paths, fake.clone(), &parse(&args(s)).unwrap());
    assert_eq!(
        run(&format!(
            "create Data --kernel {k} --disk-size 1 --network --json"
        )),
        code::OK
    );
    let cfg = VmConfig::load(&paths.vm_config("data")).unwrap();
    let info = vmm_core::storage::image_info(&cfg.disks[0].path).unwrap();
    assert_eq!(info.virtual_size, 1 << 30);
    assert_eq!(cfg.nics.len(), 1);
    // An existing image through a linked clone; bad disks are usage errors naming why.
    let base = root.path().join("base.img");
    std::fs::write(&base, vec![3u8; 1 << 20]).unwrap();
    let b = base.display();
    assert_eq!(
        run(&format!("create Img --kernel {k} --disk {b} --linked")),
        code::OK
    );
    let img = VmConfig::load(&paths.vm_config("img")).unwrap();
    let info = vmm_core::storage::image_info(&img.disks[0].path).unwrap();
    assert_eq!(info.backing_chain, std::slice::from_ref(&base));
    for bad in [
        format!("create X --kernel {k} --disk-size 0"),
        format!("create X --kernel {k} --disk-size 1 --disk {b}"),
        format!("create X --kernel {k} --disk /nonexistent.qcow2"),
        format!("create X --kernel {k} --linked"),
    ] {
        assert_eq!(run(&bad), code::USAGE, "{bad}");
    }
    assert!(!paths.vm_dir("x").exists());
    // Clones: linked by default, --full copies; a running source or unknown VM is refused.
    assert_eq!(run("clone data Data2 --json"), code::OK);
    let c = VmConfig::load(&paths.vm_config("data2")).unwrap();
    let info = vmm_core::storage::image_info(&c.disks[0].path).unwrap();
    assert_eq!(info.backing_chain, std::slice::from_ref(&cfg.disks[0].path));
    assert_eq!(run("clone data Data3 --full"), code::OK);
    let c3 = VmConfig::load(&paths.vm_config("data3")).unwrap();
    assert!(vmm_core::storage::image_info(&c3.disks[0].path)
        .unwrap()
        .backing_chain
        .is_empty());
    assert_eq!(run("clone nothing X"), code::NO_SUCH_VM);
    fake.set_running("img", RunState::Running);
    assert_eq!(run("clone img X"), code::WRONG_STATE);
    // Deleting a VM whose disks back a clone fails; --keep-disks moves them out.
    assert_eq!(run("delete data"), code::ERROR);
    assert_eq!(run("delete data2 --keep-disks --json"), code::OK);
    assert!(paths.data_dir.join("kept-disks/data2/disk.qcow2").is_file());
    assert_eq!(run("delete data"), code::OK);
    assert!(!cfg.disks[0].path.exists());
    assert!(base.is_file(), "images outside the VM folder stay");
}

#[test]
fn snapshot_commands_send_the_right_requests() {
    testing::english();
    let root = tempfile::tempdir().unwrap();
    let paths = Paths::under(root.path());
    testing::add_vm(&paths, "web", "Web");
    let fake = Arc::new(FakeClient::default());
    let run = |s: &str| run_with(&paths, fake.clone(), &parse(&args(s)).unwrap());
    // Stopped: taking one needs a running VM; the list comes from the folder.
    assert_eq!(run("snapshot web"), code::WRONG_STATE);
    assert_eq!(run("snapshots web --json"), code::OK);
    assert_eq!(run("revert web nope"), code::NO_SUCH_SNAPSHOT);
    fake.set_running("web", RunState::Running);
    fake.set_snapshots(crate::data::snapshots::tests::sample());
    assert_eq!(
        run("snapshot web --name Base --description first"),
        code::OK
    );
    assert_eq!(run("snapshots web"), code::OK);
    assert_eq!(run("revert web b"), code::OK);
    assert_eq!(
        run("revert web x"),
        code::NO_SUCH_SNAPSHOT,
        "incomplete ones are never used"
    );
    assert_eq!(run("screenshot web shot.png --json"), code::OK);
    // Issue 15: a name that promises another format is refused, not filled with a PNG.
    assert_eq!(run("screenshot web shot.jpg"), code::USAGE);
    assert_eq!(run("screenshot web shot"), code::OK);
    let cmds: Vec<Api> = fake.commands().into_iter().map(|(_, c)| c).collect();
    let cwd = std::env::current_dir().unwrap();
    assert_eq!(
        cmds,
        [
            Api::from(SnapshotCreate {
                name: "Base".into(),
                description: "first".into()
            }),
            ListSnapshots {}.into(),
            ListSnapshots {}.into(),
            SnapshotRevert {
                snapshot: "b".into()
            }
            .into(),
            ListSnapshots {}.into(),
            Screenshot {
                path: cwd.join("shot.png").display().to_string()
            }
            .into(),
            Screenshot {
                path: cwd.join("shot.png").display().to_string()
            }
            .into(),
        ]
    );
    // Stopped again: revert starts the VM from the snapshot.
    fake.crash("web", 0);
    let snaps = paths.vm_dir("web").join("snapshots/s1");
    std::fs::create_dir_all(&snaps).unwrap();
    let mut meta = crate::data::snapshots::tests::sample().snapshots[1]
        .meta
        .clone()
        .unwrap();
    meta.id = "s1".into();
    meta.config = VmConfig::load(&paths.vm_config("web")).unwrap();
    std::fs::write(
        snaps.join("meta.json"),
        serde_json::to_string(&meta).unwrap(),
    )
    .unwrap();
    assert_eq!(run("revert web s1 --json"), code::OK);
    assert_eq!(fake.restored(), [("web".to_string(), "s1".to_string())]);
    // Names find snapshots when they are unique.
    let list = SnapshotList::from_api(crate::data::snapshots::tests::sample());
    assert_eq!(find_snapshot(&list, "Before update").as_deref(), Some("b"));
    assert_eq!(find_snapshot(&list, "x"), None);
}

/// A test ISO with `volume_id` (xorriso), or `None` after `skipped: …` when xorriso is missing.
fn test_iso(dir: &std::path::Path, file: &str, volume_id: &str) -> Option<std::path::PathBuf> {
    let spec = testing::IsoSpec {
        volume_id,
        system_id: "LINUX",
        ..Default::default()
    };
    match testing::xorriso_iso(dir, file, spec) {
        Ok(p) => Some(p),
        Err(e) => {
            testing::skip_or_fail(&e);
            None
        }
    }
}

fn host_vcpus() -> u32 {
    crate::data::host::HostInfo::detect().max_vcpus()
}

#[test]
fn detect_describes_an_iso_in_text_and_json() {
    testing::english();
    let root = tempfile::tempdir().unwrap();
    let paths = Paths::under(root.path());
    let Some(iso) = test_iso(root.path(), "debian.iso", "Debian 12.5.0 amd64 n") else {
        return;
    };
    let fake = Arc::new(FakeClient::default());
    let d = crate::data::osinfo::detect(&iso, host_vcpus()).unwrap();
    let run = |s: &str| run_captured(&paths, fake.clone(), &parse(&args(s)).unwrap());

    let (code, text) = run(&format!("detect {}", iso.display()));
    assert_eq!(code, code::OK, "{text}");
    assert!(text.contains("ISO image “Debian 12.5.0 amd64 n”"), "{text}");
    assert!(text.contains(&iso.display().to_string()), "{text}");
    match &d.os {
        Some(os) => assert!(
            text.contains(&format!("OS: {} ({})", os.name, os.id)),
            "{text}"
        ),
        None => assert!(text.contains("OS: unknown, generic settings"), "{text}"),
    }
    let r = d.resources;
    assert!(
        text.contains(&format!(
            "Recommended: {} MiB memory, {} GiB disk, {} vCPUs",
            r.memory_mib, r.disk_gib, r.vcpus
        )),
        "{text}"
    );
    let fw = match d.firmware {
        crate::data::osinfo::Firmware::Uefi => "uefi",
        crate::data::osinfo::Firmware::Bios => "bios",
    };
    assert!(
        text.contains(&format!("Firmware: {}", fw.to_uppercase())),
        "{text}"
    );

    let (code, json) = run(&format!("detect {} --json", iso.display()));
    assert_eq!(code, code::OK);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["kind"], "iso");
    assert_eq!(v["path"], iso.display().to_string());
    assert_eq!(v["iso"]["volume_id"], "Debian 12.5.0 amd64 n");
    assert_eq!(v["iso"]["system_id"], "LINUX");
    assert!(v["iso"]["size_bytes"].as_u64().unwrap() > 0);
    assert_eq!(v["disk_image"], serde_json::Value::Null);
    assert_eq!(v["firmware"], fw);
    assert_eq!(
        (&v["memory_mib"], &v["disk_gib"], &v["vcpus"]),
        (
            &serde_json::json!(r.memory_mib),
            &serde_json::json!(r.disk_gib),
            &serde_json::json!(r.vcpus)
        )
    );
    match &d.os {
        Some(os) => {
            assert_eq!(v["os"]["id"], os.id.as_str());
            assert_eq!(v["os"]["name"], os.name.as_str());
        }
        None => {
            assert_eq!(v["os"], serde_json::Value::Null);
            assert_eq!(v["notice"]["code"], "unknown-os");
            assert!(v["notice"]["message"].as_str().unwrap().contains("generic"));
        }
    }
}

#[test]
fn detect_refuses_files_that_are_no_medium_and_reads_disk_images() {
    testing::english();
    let root = tempfile::tempdir().unwrap();
    let paths = Paths::under(root.path());
    let fake = Arc::new(FakeClient::default());
    let run = |s: &str| run_captured(&paths, fake.clone(), &parse(&args(s)).unwrap());

    let txt = root.path().join("notes.txt");
    std::fs::write(&txt, "not an installer\n").unwrap();
    let (code, text) = run(&format!("detect {}", txt.display()));
    assert_eq!(code, code::USAGE);
    assert!(
        text.contains("notes.txt is neither an ISO image nor a disk image"),
        "{text}"
    );
    let (code, json) = run(&format!("detect {} --json", txt.display()));
    assert_eq!(code, code::USAGE);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        (&v["ok"], &v["error"]["code"]),
        (&false.into(), &"not-media".into())
    );
    let (code, text) = run(&format!("detect {}/gone.iso", root.path().display()));
    assert_eq!(code, code::USAGE);
    assert!(text.contains("gone.iso"), "{text}");

    // qcow2 and raw (a boot sector) images: their format and size.
    let q = root.path().join("cloud.qcow2");
    vmm_core::storage::create_qcow2(&q, 3 << 30).unwrap();
    let (code, text) = run(&format!("detect {}", q.display()));
    assert_eq!(code, code::OK, "{text}");
    assert!(text.contains("qcow2 disk image, 3.0 GiB"), "{text}");
    assert!(text.contains("(the image is the disk)"), "{text}");
    assert!(text.contains("Firmware: UEFI"), "{text}");
    let raw = root.path().join("disk.img");
    let mut mbr = vec![0u8; 2 << 20];
    mbr[510] = 0x55;
    mbr[511] = 0xaa;
    std::fs::write(&raw, &mbr).unwrap();
    let (code, json) = run(&format!("detect {} --json", raw.display()));
    assert_eq!(code, code::OK);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["kind"], "disk-image");
    assert_eq!(v["disk_image"]["format"], "raw");
    assert_eq!(v["disk_image"]["virtual_size"], 2 << 20);
    assert_eq!(v["iso"], serde_json::Value::Null);
    assert_eq!(v["firmware"], "uefi");
}

#[test]
fn create_iso_writes_a_cdrom_a_new_disk_and_disk_then_cdrom_order() {
    use vmm_core::config::BootDevice;
    testing::english();
    let root = tempfile::tempdir().unwrap();
    let paths = Paths::under(root.path());
    let Some(iso) = test_iso(root.path(), "fedora.iso", "Fedora-WS-Live-40-1-14") else {
        return;
    };
    let fake = Arc::new(FakeClient::default());
    let run = |s: &str| run_captured(&paths, fake.clone(), &parse(&args(s)).unwrap());
    let host = crate::data::host::HostInfo::detect();
    let d = crate::data::osinfo::detect(&iso, host.max_vcpus()).unwrap();

    let (code, text) = run(&format!("create Fedora --iso {}", iso.display()));
    assert_eq!(code, code::OK, "{text}");
    assert!(text.contains("fedora created"), "{text}");
    let cfg = VmConfig::load(&paths.vm_config("fedora")).unwrap();
    assert_eq!(cfg.cdroms.len(), 1);
    assert_eq!(cfg.cdroms[0].path.as_deref(), Some(iso.as_path()));
    let order = vec![BootDevice::Disk, BootDevice::Cdrom];
    match d.firmware {
        crate::data::osinfo::Firmware::Uefi => assert!(
            matches!(&cfg.boot, BootSource::Uefi { order: o, .. } if *o == order),
            "{:?}",
            cfg.boot
        ),
        crate::data::osinfo::Firmware::Bios => assert!(
            matches!(&cfg.boot, BootSource::Bios { order: o, .. } if *o == order),
            "{:?}",
            cfg.boot
        ),
    }
    assert_eq!(cfg.os, d.os.as_ref().map(|o| o.guest_os()));
    assert_eq!(
        cfg.memory_mib,
        d.resources.memory_mib.min(host.memory_mib / 2)
    );
    assert_eq!(cfg.vcpus, d.resources.vcpus.min(host.max_vcpus()));
    assert!(cfg.display.is_some(), "installers need a screen");
    assert!(cfg.nics.is_empty());
    // A new, blank qcow2 in the VM's folder, as large as recommended.
    assert_eq!(cfg.disks.len(), 1);
    assert!(cfg.disks[0].path.starts_with(paths.vm_dir("fedora")));
    let info = vmm_core::storage::image_info(&cfg.disks[0].path).unwrap();
    assert_eq!(info.virtual_size, d.resources.disk_gib << 30);

    // Everything can be chosen over the defaults.
    let (code, json) = run(&format!(
        "create Win --iso {} --firmware BIOS --memory 700 --vcpus 1 --disk-size 2 --no-display --network --json",
        iso.display()
    ));
    assert_eq!(code, code::OK, "{json}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        (&v["firmware"], &v["memory_mib"]),
        (&"bios".into(), &700.into())
    );
    let cfg = VmConfig::load(&paths.vm_config("win")).unwrap();
    assert!(
        matches!(&cfg.boot, BootSource::Bios { order: o, .. } if *o == order),
        "{:?}",
        cfg.boot
    );
    assert_eq!((cfg.vcpus, cfg.memory_mib), (1, 700));
    assert!(cfg.display.is_none());
    assert_eq!(cfg.nics.len(), 1);
    let info = vmm_core::storage::image_info(&cfg.disks[0].path).unwrap();
    assert_eq!(info.virtual_size, 2 << 30);

    // Install onto an existing disk instead of a new one.
    let target = root.path().join("target.qcow2");
    vmm_core::storage::create_qcow2(&target, 1 << 30).unwrap();
    let (code, text) = run(&format!(
        "create Onto --iso {} --disk {}",
        iso.display(),
        target.display()
    ));
    assert_eq!(code, code::OK, "{text}");
    let cfg = VmConfig::load(&paths.vm_config("onto")).unwrap();
    assert_eq!(cfg.disks[0].path, target);
}

#[test]
fn create_boot_disk_uses_the_image_in_place_linked_or_copied() {
    testing::english();
    let root = tempfile::tempdir().unwrap();
    let paths = Paths::under(root.path());
    let fake = Arc::new(FakeClient::default());
    let run = |s: &str| run_captured(&paths, fake.clone(), &parse(&args(s)).unwrap());
    let image = root.path().join("cloud.img");
    let mut mbr = vec![0u8; 4 << 20];
    mbr[510] = 0x55;
    mbr[511] = 0xaa;
    mbr[3 << 20] = 7;
    std::fs::write(&image, &mbr).unwrap();
    let img = image.display();

    let (code, text) = run(&format!("create Cloud --boot-disk {img}"));
    assert_eq!(code, code::OK, "{text}");
    let cfg = VmConfig::load(&paths.vm_config("cloud")).unwrap();
    assert_eq!(cfg.disks.len(), 1);
    assert_eq!(cfg.disks[0].path, image, "used in place");
    assert!(!cfg.disks[0].read_only);
    assert!(cfg.cdroms.is_empty() && cfg.os.is_none());
    assert!(
        matches!(cfg.boot, BootSource::Uefi { .. }),
        "{:?}",
        cfg.boot
    );

    assert_eq!(
        run(&format!("create Linked --boot-disk {img} --linked")).0,
        code::OK
    );
    let cfg = VmConfig::load(&paths.vm_config("linked")).unwrap();
    let info = vmm_core::storage::image_info(&cfg.disks[0].path).unwrap();
    assert_eq!(info.backing_chain, std::slice::from_ref(&image));

    assert_eq!(
        run(&format!(
            "create Copied --boot-disk {img} --copy --firmware bios"
        ))
        .0,
        code::OK
    );
    let cfg = VmConfig::load(&paths.vm_config("copied")).unwrap();
    assert!(
        matches!(cfg.boot, BootSource::Bios { .. }),
        "{:?}",
        cfg.boot
    );
    assert!(cfg.disks[0].path.starts_with(paths.vm_dir("copied")));
    let info = vmm_core::storage::image_info(&cfg.disks[0].path).unwrap();
    assert!(info.backing_chain.is_empty(), "a standalone copy");
    assert_eq!(info.virtual_size, 4 << 20);
    assert_eq!(
        testing::read_disk(&paths, "copied", 0, 3 << 20, 1),
        [7],
        "the copy has the image's data"
    );
}

#[test]
fn create_refuses_wrong_media_and_options_that_do_not_go_together() {
    testing::english();
    let root = tempfile::tempdir().unwrap();
    let paths = Paths::under(root.path());
    let fake = Arc::new(FakeClient::default());
    let run = |s: &str| run_captured(&paths, fake.clone(), &parse(&args(s)).unwrap());
    let kernel = testing::fake_kernel(root.path());
    let k = kernel.display();
    let q = root.path().join("d.qcow2");
    vmm_core::storage::create_qcow2(&q, 1 << 30).unwrap();
    let q = q.display();
    let txt = root.path().join("readme.txt");
    std::fs::write(&txt, "hello").unwrap();
    let txt = txt.display();
    // The parser wants exactly one way to boot.
    for bad in [
        "create X".to_string(),
        format!("create X --kernel {k} --boot-disk {q}"),
    ] {
        let e = parse(&args(&bad)).unwrap_err();
        assert!(e.contains("exactly one of --kernel"), "{bad}: {e}");
    }
    let mut cases = vec![
        (
            format!("create X --iso {q}"),
            "is a disk image, not an ISO: use --boot-disk",
        ),
        (
            format!("create X --boot-disk {txt}"),
            "readme.txt is neither an ISO image nor a disk image",
        ),
        (format!("create X --iso {txt}"), "neither"),
        (
            format!("create X --boot-disk {q} --firmware coreboot"),
            "neither uefi nor bios",
        ),
        (
            format!("create X --kernel {k} --firmware bios"),
            "--firmware goes only with --iso, --boot-disk",
        ),
        (
            format!("create X --boot-disk {q} --initrd {k}"),
            "--initrd goes only with --kernel",
        ),
        (
            format!("create X --boot-disk {q} --linked --copy"),
            "--linked and --copy cannot",
        ),
        (
            format!("create X --boot-disk {q} --disk-size 3"),
            "--disk-size and --boot-disk",
        ),
        (
            format!("create X --boot-disk {q} --display 800x600 --no-display"),
            "--display and --no-display",
        ),
        (
            format!("create X --kernel {k} --copy"),
            "--copy goes only with --boot-disk",
        ),
    ];
    let iso = test_iso(root.path(), "i.iso", "Win11_23H2_English_x64");
    if let Some(iso) = &iso {
        cases.push((
            format!("create X --boot-disk {}", iso.display()),
            "is an ISO image, not a disk image: use --iso",
        ));
        cases.push((
            format!("create X --iso {} --copy", iso.display()),
            "--copy goes only with --boot-disk",
        ));
    }
    for (cmd, why) in cases {
        let (code, text) = run(&cmd);
        assert_eq!(code, code::USAGE, "{cmd}: {text}");
        assert!(text.contains(why), "{cmd}: {text}");
    }
    assert!(!paths.vm_dir("x").exists(), "nothing left behind");
}

#[test]
fn completions_know_the_commands_and_their_options() {
    testing::english();
    let root = tempfile::tempdir().unwrap();
    let paths = Paths::under(root.path());
    let fake = Arc::new(FakeClient::default());
    for shell in ["bash", "zsh", "fish"] {
        let (code, script) = run_captured(
            &paths,
            fake.clone(),
            &parse(&args(&format!("completions {shell}"))).unwrap(),
        );
        assert_eq!(code, code::OK);
        for word in ["detect", "cdrom", "boot-disk", "no-display", "keep-disks"] {
            assert!(script.contains(word), "{shell}: no {word}");
        }
    }
}

mod backing;
