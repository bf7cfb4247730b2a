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
        (c.kernel.to_str(), c.vcpus.as_deref(), c.display.as_deref()),
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
