//! Screen tests: the real views in iced_test's headless `Simulator`, the real `update`, and a
//! fake VMM client in place of vmdesk-vmm. Files go to a temporary folder, never the real home.

use crate::data::check::Finding;
use crate::data::client::VmmClient;
use crate::data::host::HostInfo;
use crate::data::paths::Paths;
use crate::testing::{self, FakeClient};
use crate::ui::app::{App, Message, Screen, Shortcut};
use crate::ui::form::Field;
use crate::ui::screen::details::SnapMessage;
use crate::ui::screen::{console, details, library};
use iced_test::simulator;
use std::path::Path;
use std::sync::Arc;
use vmm_core::api::{self, Command, RunState};
use vmm_core::config::VmConfig;

const HOST: HostInfo = HostInfo {
    cpus: 4,
    memory_mib: 4096,
};

struct Harness {
    _root: tempfile::TempDir,
    paths: Paths,
    fake: Arc<FakeClient>,
    app: App,
}

impl Harness {
    fn new(vms: &[(&str, &str)]) -> Harness {
        testing::english();
        let root = tempfile::tempdir().unwrap();
        let paths = Paths::under(root.path());
        for (id, name) in vms {
            testing::add_vm(&paths, id, name);
        }
        let fake = Arc::new(FakeClient::default());
        let client: Arc<dyn VmmClient> = fake.clone();
        let app = App::new(paths.clone(), client, HOST);
        Harness {
            _root: root,
            paths,
            fake,
            app,
        }
    }

    /// Feeds a message to `update` and runs the tasks it returns (and theirs) to the end.
    fn send(&mut self, message: Message) {
        let mut queue = vec![message];
        let mut rounds = 0;
        while let Some(m) = queue.pop() {
            rounds += 1;
            assert!(rounds < 100, "update loop does not settle");
            let task = self.app.update(m);
            if let Some(stream) = iced_runtime::task::into_stream(task) {
                let actions: Vec<_> =
                    iced::futures::executor::block_on(iced::futures::StreamExt::collect(stream));
                for a in actions {
                    if let iced_runtime::Action::Output(m) = a {
                        queue.push(m);
                    }
                }
            }
        }
    }

    /// Interacts with the current view, then feeds what it produced to `update`.
    fn ui(&mut self, f: impl FnOnce(&mut iced_test::Simulator<'_, Message>)) {
        let messages: Vec<Message> = {
            let mut ui = simulator(self.app.view());
            f(&mut ui);
            ui.into_messages().collect()
        };
        for m in messages {
            self.send(m);
        }
    }

    /// Whether the current view shows this exact text.
    fn shows(&self, s: &str) -> bool {
        simulator(self.app.view()).find(s).is_ok()
    }

    fn poll(&mut self) {
        self.send(Message::Tick);
    }
}

#[test]
fn the_wizard_writes_a_vm_config_on_disk() {
    let mut h = Harness::new(&[]);
    assert!(h.shows("No virtual machines yet"));
    h.ui(|ui| {
        ui.click("New VM").unwrap();
    });
    assert!(matches!(h.app.screen, Screen::Wizard(_)));
    let kernel = testing::fake_kernel(h._root.path());
    h.ui(|ui| {
        ui.click(iced::widget::Id::new(Field::Name.id())).unwrap();
        ui.typewrite("Test VM");
    });
    h.ui(|ui| {
        ui.click(iced::widget::Id::new(Field::Kernel.id())).unwrap();
        ui.typewrite(&kernel.display().to_string());
    });
    assert!(h.shows("Folder and socket name: test-vm"));
    h.ui(|ui| {
        ui.click("Create").unwrap();
    });
    assert!(matches!(h.app.screen, Screen::Library));
    let cfg = VmConfig::load(&h.paths.vm_config("test-vm")).unwrap();
    assert_eq!(cfg.name, "Test VM");
    assert_eq!((cfg.vcpus, cfg.memory_mib), (2, 1024), "host defaults");
    cfg.validate(&HOST.limits()).unwrap();
    assert!(h.shows("Test VM"));
    assert!(h.shows("“Test VM” was created."));
}

#[test]
fn invalid_wizard_input_shows_its_reason_and_creates_nothing() {
    let mut h = Harness::new(&[]);
    h.send(Message::Shortcut(Shortcut::New));
    h.ui(|ui| {
        ui.click(iced::widget::Id::new(Field::Vcpus.id())).unwrap();
        ui.typewrite("x");
    });
    assert!(h.shows("Enter a whole number."));
    // Untouched fields stay quiet until Create.
    assert!(!h.shows("Give the VM a name."));
    h.ui(|ui| {
        ui.click(iced::widget::Id::new(Field::Kernel.id())).unwrap();
        ui.typewrite("/nonexistent/vmlinuz");
    });
    assert!(h.shows("There is no file at this path."));
    h.ui(|ui| {
        ui.click("Create").unwrap();
    });
    assert!(h.shows("Give the VM a name."));
    assert!(h.shows("Fix the 3 fields marked in red."));
    assert!(matches!(h.app.screen, Screen::Wizard(_)));
    assert!(
        !h.paths.vms_dir().exists() || std::fs::read_dir(h.paths.vms_dir()).unwrap().count() == 0
    );
}

#[test]
fn the_library_lists_vms_and_shows_broken_ones() {
    let mut h = Harness::new(&[("web", "Web server"), ("db", "Database")]);
    std::fs::create_dir_all(h.paths.vm_dir("future")).unwrap();
    std::fs::write(
        h.paths.vm_config("future"),
        "id='future'\nname='F'\nvcpus=1\nmemory_mib=64\nsnapshots=[]\n[boot]\nkind='linux'\nkernel='k'\n",
    )
    .unwrap();
    h.poll();
    assert!(h.shows("Web server"));
    assert!(h.shows("Database"));
    assert!(h.shows("future"));
    assert!(h.shows("Broken"));
    let broken = h.app.vms.get("future").unwrap().config.clone().unwrap_err();
    assert!(broken.contains("snapshots"), "{broken}");
    let reason = broken.lines().last().unwrap();
    assert!(h.shows(&format!(
        "This VM's settings cannot be read, so it is left untouched: {reason}"
    )));
    // Search filters by name.
    h.ui(|ui| {
        ui.click(iced::widget::Id::new(library::SEARCH_ID)).unwrap();
        ui.typewrite("data");
    });
    assert!(h.shows("Database"));
    assert!(!h.shows("Web server"));
}

#[test]
fn library_buttons_send_the_right_requests() {
    let mut h = Harness::new(&[("web", "Web")]);
    h.ui(|ui| {
        ui.click("Start").unwrap();
    });
    assert_eq!(h.fake.started(), ["web"]);
    assert!(h.shows("Running"));
    h.ui(|ui| {
        ui.click("Pause").unwrap();
    });
    assert!(h.shows("Paused"));
    h.ui(|ui| {
        ui.click("Resume").unwrap();
    });
    h.fake.set_acpi_ack(false);
    h.ui(|ui| {
        ui.click("Power off").unwrap();
    });
    assert!(h.shows("The guest in “Web” did not respond to the power button. Force it off?"));
    // The notice's own "Force off" comes first on the page.
    h.ui(|ui| {
        ui.click("Force off").unwrap();
    });
    let web = |c| ("web".to_string(), c);
    assert_eq!(
        h.fake.commands(),
        [
            web(Command::Pause(api::Pause {})),
            web(Command::Resume(api::Resume {})),
            web(Command::PowerOff(api::PowerOff {})),
            web(Command::Kill(api::Kill {}))
        ]
    );
    assert!(h.shows("Stopped"));
}

#[test]
fn deleting_asks_first_and_is_refused_while_running() {
    let mut h = Harness::new(&[("web", "Web")]);
    h.fake.set_running("web", RunState::Running);
    h.poll();
    h.send(Message::Library(library::Message::AskDelete("web".into())));
    assert!(h.shows("“Web” is running: power it off before deleting it."));
    assert!(h.paths.vm_config("web").exists());

    h.fake.crash("web", 0);
    h.poll();
    h.ui(|ui| {
        ui.click("Delete").unwrap();
    });
    assert!(h.shows("Delete “Web”?"));
    assert!(h.paths.vm_config("web").exists());
    // The confirmation's button is the first "Delete" on the page.
    h.ui(|ui| {
        ui.click("Delete").unwrap();
    });
    assert!(!h.paths.vm_dir("web").exists());
    assert!(h.shows("“Web” was deleted."));
}

#[test]
fn a_vmm_that_dies_shows_what_its_exit_status_means_and_the_last_serial_lines() {
    let mut h = Harness::new(&[("web", "Web")]);
    h.send(Message::Library(library::Message::Start("web".into())));
    std::fs::write(
        h.paths.vm_dir("web").join("serial.log"),
        "booting\nKernel panic - not syncing\n",
    )
    .unwrap();
    h.fake.crash("web", vmm_core::api::exit_code::GUEST_CRASH);
    h.poll();
    assert!(h.shows("Stopped"));
    assert!(h.shows("Last run: the guest crashed (exit status 4)."));
    assert!(h.shows("booting\nKernel panic - not syncing"));
    h.ui(|ui| {
        ui.click("Dismiss").unwrap();
    });
    assert!(!h.shows("Last run: the guest crashed (exit status 4)."));
}

#[test]
fn details_edit_settings_when_stopped_and_talk_to_the_console_when_running() {
    let mut h = Harness::new(&[("web", "Web")]);
    std::fs::write(h.paths.vm_dir("web").join("serial.log"), "old line\n").unwrap();
    h.ui(|ui| {
        ui.click("Details").unwrap();
    });
    assert!(matches!(h.app.screen, Screen::Details(_)));
    assert!(h.shows("old line\n"), "scrollback comes from serial.log");
    h.ui(|ui| {
        ui.click(iced::widget::Id::new(Field::Memory.id())).unwrap();
        ui.typewrite("0");
    });
    assert!(h.shows("More than this host has (4096 MiB)."));
    h.ui(|ui| {
        ui.click("Save").unwrap();
    });
    assert!(!h.shows("Saved."));
    assert_eq!(
        VmConfig::load(&h.paths.vm_config("web"))
            .unwrap()
            .memory_mib,
        1024
    );
    h.ui(|ui| {
        ui.click("Undo changes").unwrap();
    });
    h.ui(|ui| {
        ui.click(iced::widget::Id::new(Field::Name.id())).unwrap();
        ui.typewrite(" 2");
    });
    h.ui(|ui| {
        ui.click("Save").unwrap();
    });
    assert!(h.shows("Saved."));
    let cfg = VmConfig::load(&h.paths.vm_config("web")).unwrap();
    assert_eq!((cfg.name.as_str(), cfg.memory_mib), ("Web 2", 1024));

    h.ui(|ui| {
        ui.click("Start").unwrap();
    });
    assert!(h.shows("The VM is running: its settings are read-only until it stops."));
    h.send(Message::Guest(
        "web".into(),
        vmm_core::api::Event::Serial {
            data: base64::Engine::encode(&crate::data::client::B64, "TICK 1\r\n"),
        },
    ));
    assert!(h.shows("old line\nTICK 1\n"));
    h.ui(|ui| {
        ui.click(iced::widget::Id::new(details::CONSOLE_INPUT_ID))
            .unwrap();
        ui.typewrite("hello");
        ui.tap_key(iced::keyboard::key::Named::Enter);
    });
    assert_eq!(
        h.fake.commands(),
        [(
            "web".to_string(),
            crate::data::client::serial_input("hello\n").into()
        )]
    );
    // Counters polled every second feed the activity tab, with explanations.
    h.poll();
    h.poll();
    assert!(!h.shows("io-out"), "the serial console tab is shown");
    h.ui(|ui| {
        ui.click("Activity").unwrap();
    });
    assert!(h.shows("io-out"));
    assert!(h.shows("the guest wrote to an I/O port; the VMM emulated the device."));
    h.ui(|ui| {
        ui.click("‹ Library").unwrap();
    });
    assert!(matches!(h.app.screen, Screen::Library));
}

#[test]
fn the_activity_tab_shows_live_values_from_the_counters() {
    use vmm_core::api::{Counters, DiskCounters};
    let mut h = Harness::new(&[("web", "Web")]);
    // Two samples a second apart: 60 % CPU (45 % in the vCPU thread), 2 MiB/s read and
    // 1 MiB/s written, 3000 exits/s of port writes; 24 MiB resident of 64 MiB guest RAM.
    let sample = |ms: u64, cpu: u64, vcpu: u64, read: u64, written: u64, io_out: u64| Counters {
        uptime_ms: ms,
        exits: vec![("io-out".into(), io_out), ("hlt".into(), 2)],
        per_vcpu: vec![vec![("io-out".into(), io_out), ("hlt".into(), 2)]],
        process_user_us: 0,
        process_system_us: cpu,
        vcpu_cpu_us: vec![vcpu],
        rss_bytes: 24 << 20,
        guest_memory_bytes: 64 << 20,
        disks: vec![DiskCounters {
            read_bytes: read,
            write_bytes: written,
            read_requests: 3,
            write_requests: 2,
            flushes: 1,
            ..Default::default()
        }],
        ..Default::default()
    };
    h.fake.queue_counters(
        "web",
        vec![
            sample(5000, 1_000_000, 800_000, 0, 0, 10_000),
            sample(6000, 1_600_000, 1_250_000, 2 << 20, 1 << 20, 13_000),
        ],
    );
    h.ui(|ui| {
        ui.click("Details").unwrap();
    });
    h.ui(|ui| {
        ui.click("Start").unwrap();
    });
    h.ui(|ui| {
        ui.click("Activity").unwrap();
    });
    h.poll();
    h.poll();
    for s in [
        "Live activity",
        "60 %",
        "guest vCPUs 45 %",
        "VMM overhead 15 %",
        "24.0 MiB",
        "guest RAM 64.0 MiB",
        "read 2.0 MiB/s",
        "written 1.0 MiB/s",
        "This VM has no network interface.",
        "3000/s",
        // The teachers' line stays next to each reason.
        "the guest wrote to an I/O port; the VMM emulated the device.",
        "disk0: read 2.0 MiB in 3 requests · wrote 1.0 MiB in 2 · 1 flushes",
        // The vCPU thread's own share.
        "45 % CPU",
    ] {
        assert!(h.shows(s), "the activity tab shows {s:?}");
    }
}

#[test]
fn running_vms_are_found_again_at_start() {
    let mut h = Harness::new(&[("web", "Web"), ("db", "DB")]);
    h.fake.set_running("db", RunState::Paused);
    let client: Arc<dyn VmmClient> = h.fake.clone();
    let (app, task) = App::boot(h.paths.clone(), client);
    h.app = app;
    if let Some(s) = iced_runtime::task::into_stream(task) {
        for a in iced::futures::executor::block_on(iced::futures::StreamExt::collect::<Vec<_>>(s)) {
            if let iced_runtime::Action::Output(m) = a {
                h.send(m);
            }
        }
    }
    assert_eq!(h.app.vms.state("db"), crate::data::vms::VmState::Paused);
    assert_eq!(h.app.vms.state("web"), crate::data::vms::VmState::Stopped);
    testing::english();
}

#[test]
fn keyboard_shortcuts_and_language_setting() {
    use iced::keyboard::{Event, Key, Location, Modifiers};
    let key = |c: &str, m: Modifiers| {
        iced::Event::Keyboard(Event::KeyPressed {
            key: Key::Character(c.into()),
            modified_key: Key::Character(c.into()),
            physical_key: iced::keyboard::key::Physical::Unidentified(
                iced::keyboard::key::NativeCode::Unidentified,
            ),
            location: Location::Standard,
            modifiers: m,
            text: None,
            repeat: false,
        })
    };
    for (c, want) in [
        ("n", Shortcut::New),
        ("f", Shortcut::Search),
        ("q", Shortcut::Quit),
    ] {
        let m = crate::ui::app::shortcut(
            key(c, Modifiers::CTRL),
            iced::event::Status::Ignored,
            iced::window::Id::unique(),
        );
        assert!(matches!(m, Some(Message::Shortcut(s)) if s == want));
    }
    assert!(crate::ui::app::shortcut(
        key("n", Modifiers::empty()),
        iced::event::Status::Ignored,
        iced::window::Id::unique()
    )
    .is_none());

    let mut h = Harness::new(&[]);
    h.send(Message::Shortcut(Shortcut::New));
    assert!(matches!(h.app.screen, Screen::Wizard(_)));
    h.send(Message::Shortcut(Shortcut::Search));
    assert!(matches!(h.app.screen, Screen::Library));
    h.send(Message::Library(library::Message::Language(
        library::LanguageChoice(Some("en".into())),
    )));
    assert_eq!(
        crate::data::settings::Settings::load(&h.paths.settings_file()).language,
        Some("en".into())
    );
}

fn cmds(h: &Harness) -> Vec<Command> {
    h.fake.commands().into_iter().map(|(_, c)| c).collect()
}

#[test]
fn the_snapshot_tree_shows_and_each_button_sends_its_request() {
    let mut h = Harness::new(&[("web", "Web")]);
    h.fake.set_running("web", RunState::Running);
    h.fake
        .set_snapshots(crate::data::snapshots::tests::sample());
    h.poll();
    h.send(Message::Library(library::Message::Open("web".into())));
    h.ui(|ui| {
        ui.click("Snapshots (5)").unwrap();
    });
    for name in [
        "Fresh boot",
        "Before update",
        "After update",
        "Installed tools",
        "Orphan",
    ] {
        assert!(h.shows(name), "{name}");
    }
    assert!(h.shows("Current"));
    assert!(h.shows("Incomplete"));
    assert!(h.shows("Not usable: interrupted while being saved. Delete it to tidy up."));
    let when = crate::data::snapshots::local_time(2000);
    assert!(
        h.shows(&format!("{when} · about Before update")),
        "descriptions show"
    );

    // Take: name and description go into the request.
    h.ui(|ui| {
        ui.click(iced::widget::Id::new(details::SNAP_NAME_ID))
            .unwrap();
        ui.typewrite("Base");
        ui.click(iced::widget::Id::new(details::SNAP_DESC_ID))
            .unwrap();
        ui.typewrite("clean install");
    });
    h.ui(|ui| {
        ui.click("Take snapshot").unwrap();
    });
    assert!(h.shows("Snapshot taken in 120 ms; the guest was paused for 35 ms."));

    // Revert asks first; the question's button comes before the rows' ones.
    h.ui(|ui| {
        ui.click("Revert").unwrap();
    });
    assert!(h.shows("Go back to “Fresh boot”?"));
    h.ui(|ui| {
        ui.click("Cancel").unwrap();
    });
    assert!(!h.shows("Go back to “Fresh boot”?"));
    h.ui(|ui| {
        ui.click("Revert").unwrap();
    });
    h.ui(|ui| {
        ui.click("Revert").unwrap();
    });
    assert!(h.shows("“Web” went back to the snapshot."));

    // Delete asks first and says the later snapshots stay valid.
    h.ui(|ui| {
        ui.click("Delete").unwrap();
    });
    assert!(h.shows("Delete the snapshot “Fresh boot”?"));
    assert!(h.shows(
        "Its files are removed. The 2 snapshots taken after it stay valid (every snapshot is saved whole) and move up to this one's parent."
    ));
    h.ui(|ui| {
        ui.click("Delete").unwrap();
    });

    // Rename edits in place; Enter saves.
    h.ui(|ui| {
        ui.click("Rename").unwrap();
    });
    h.ui(|ui| {
        ui.click(iced::widget::Id::new(details::SNAP_RENAME_ID))
            .unwrap();
        ui.tap_key(iced::keyboard::key::Named::End);
        ui.typewrite(" (clean)");
        ui.tap_key(iced::keyboard::key::Named::Enter);
    });

    let a = || "a".to_string();
    let list = || Command::SnapshotList(api::ListSnapshots {});
    assert_eq!(
        cmds(&h),
        [
            list(),
            list(),
            Command::SnapshotCreate(api::SnapshotCreate {
                name: "Base".into(),
                description: "clean install".into()
            }),
            list(),
            Command::SnapshotRevert(api::SnapshotRevert { snapshot: a() }),
            list(),
            Command::SnapshotDelete(api::SnapshotDelete { snapshot: a() }),
            list(),
            Command::SnapshotRename(api::SnapshotRename {
                snapshot: a(),
                name: "Fresh boot (clean)".into()
            }),
            list(),
        ]
    );
}

#[test]
fn a_stopped_vm_lists_snapshots_from_its_folder_and_starts_from_one() {
    let mut h = Harness::new(&[("web", "Web")]);
    let cfg = VmConfig::load(&h.paths.vm_config("web")).unwrap();
    let dir = h.paths.vm_dir("web").join("snapshots");
    for (id, name, parent) in [("s1", "Base", None), ("s2", "Later", Some("s1"))] {
        std::fs::create_dir_all(dir.join(id)).unwrap();
        let meta = serde_json::json!({
            "id": id, "name": name, "description": "", "created_unix_ms": 1000,
            "parent": parent, "config": cfg, "memory_pages": 1, "has_screen": false,
        });
        std::fs::write(dir.join(id).join("meta.json"), meta.to_string()).unwrap();
    }
    std::fs::write(dir.join("current"), "s2").unwrap();
    h.send(Message::Library(library::Message::Open("web".into())));
    h.ui(|ui| {
        ui.click("Snapshots (2)").unwrap();
    });
    assert!(
        h.shows("Start the VM to take a snapshot. A stopped VM can start from any snapshot below.")
    );
    // Rename and delete work on the folder.
    h.send(Message::Details(details::Message::Snap(
        SnapMessage::Rename("s1".into()),
    )));
    h.send(Message::Details(details::Message::Snap(
        SnapMessage::RenameInput("Base 2".into()),
    )));
    h.send(Message::Details(details::Message::Snap(
        SnapMessage::RenameSave,
    )));
    assert!(h.shows("Base 2"));
    h.ui(|ui| {
        ui.click("Start here").unwrap();
    });
    assert!(h.shows("Start the VM from “Base 2”?"));
    h.ui(|ui| {
        ui.click("Start here").unwrap();
    });
    assert_eq!(h.fake.restored(), [("web".to_string(), "s1".to_string())]);
    assert!(cmds(&h).is_empty(), "no API requests for a stopped VM");
    h.fake.crash("web", 0);
    h.poll();
    h.send(Message::Details(details::Message::Snap(
        SnapMessage::AskDelete("s1".into()),
    )));
    h.send(Message::Details(details::Message::Snap(
        SnapMessage::Confirm,
    )));
    assert!(!dir.join("s1").exists());
    assert!(!h.shows("Base 2"));
    assert!(h.shows("Later"));
}

#[test]
fn the_screen_opens_for_vms_with_a_display_and_sends_input() {
    let mut h = Harness::new(&[("web", "Web")]);
    let mut cfg = VmConfig::load(&h.paths.vm_config("web")).unwrap();
    cfg.display = Some(vmm_core::config::DisplayConfig::default());
    cfg.save(&h.paths.vm_config("web")).unwrap();
    h.fake.set_running("web", RunState::Running);
    h.poll();
    h.send(Message::Library(library::Message::Open("web".into())));
    h.ui(|ui| {
        ui.click("Screen").unwrap();
    });
    assert!(matches!(h.app.screen, Screen::Console(..)));
    assert!(h.shows("Connecting to the VM's screen…"));
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    h.send(Message::Console(console::Message::Vnc(
        crate::ui::vnc::Event::Connected(tx),
    )));
    h.send(Message::Console(console::Message::Vnc(
        crate::ui::vnc::Event::Frame(crate::ui::vnc::Frame::blank(64, 48)),
    )));
    assert!(!h.shows("Connecting to the VM's screen…"));
    h.ui(|ui| {
        ui.click("Send key").unwrap();
    });
    h.ui(|ui| {
        ui.click("Ctrl+Alt+Del").unwrap();
    });
    let mut got = Vec::new();
    while let Ok(i) = rx.try_recv() {
        got.push(i);
    }
    assert_eq!(got, crate::ui::vnc::combo(&[0xffe3, 0xffe9, 0xffff]));
    h.ui(|ui| {
        ui.click("Screenshot").unwrap();
    });
    let c = cmds(&h);
    let Some(Command::Screenshot(api::Screenshot { path })) = c.last() else {
        panic!("{c:?}");
    };
    assert!(path.starts_with('/') && path.ends_with(".png"), "{path}");
    assert!(path.contains("vmdesk-web-"), "{path}");
    assert!(h.shows(&format!("Screenshot saved: {path}")));
    // The subscription for the screen is keyed to this VMM and its socket.
    let _ = h.app.subscription();
    h.ui(|ui| {
        ui.click("‹ Details").unwrap();
    });
    assert!(matches!(h.app.screen, Screen::Details(_)));
}

#[test]
fn the_first_run_check_explains_and_checks_again() {
    let mut h = Harness::new(&[]);
    h.app
        .checked(vec![Finding::KvmNoAccess, Finding::PasstMissing]);
    assert!(matches!(h.app.screen, Screen::Check(_)));
    assert!(h.shows("You may not use /dev/kvm"));
    assert!(h.shows("Add yourself to the kvm group, then log out and back in."));
    assert!(h.shows("sudo adduser $USER kvm"));
    assert!(h.shows("sudo apt install passt"));
    assert!(
        !h.shows("Continue anyway"),
        "a blocking problem cannot be skipped"
    );
    assert_eq!(h.app.title(), "vmdesk");
    // Fixed: the library shows.
    h.send(Message::Checked(vec![Finding::PasstMissing]));
    assert!(h.shows("Continue anyway"));
    h.ui(|ui| {
        ui.click("Continue anyway").unwrap();
    });
    assert!(matches!(h.app.screen, Screen::Library));
    assert_eq!(
        crate::data::settings::Settings::load(&h.paths.settings_file()).accepted_warnings,
        ["passt-missing"]
    );
    // An accepted warning stays quiet; a new problem does not.
    h.app.checked(vec![Finding::PasstMissing]);
    assert!(matches!(h.app.screen, Screen::Library));
    h.app.checked(vec![Finding::VmmMissing("nowhere".into())]);
    assert!(h.shows("vmdesk-vmm was not found"));
    h.send(Message::Checked(vec![]));
    assert!(matches!(h.app.screen, Screen::Library));
}

#[test]
fn a_reattached_vm_that_ends_is_explained_from_last_exit_json() {
    let mut h = Harness::new(&[("web", "Web")]);
    h.fake.set_running("web", RunState::Running);
    h.poll();
    std::fs::write(
        h.paths.vm_dir("web").join("last-exit.json"),
        r#"{"code":4,"reason":"guest-crash","message":"the guest crashed","ended_unix_ms":5}"#,
    )
    .unwrap();
    h.fake.vanish("web");
    h.poll();
    assert!(h.shows("Last run: the guest crashed (exit status 4)."));
}

#[test]
fn the_window_has_the_app_id() {
    let w = crate::ui::app::window_settings();
    assert_eq!(
        w.platform_specific.application_id,
        "io.github.vmdesk.Vmdesk"
    );
}

#[test]
fn restart_and_guest_resets_start_the_vm_again_but_a_reset_loop_stops() {
    use vmm_core::api::exit_code::RESET;
    let mut h = Harness::new(&[("web", "Web")]);
    h.ui(|ui| {
        ui.click("Start").unwrap();
    });
    h.ui(|ui| {
        ui.click("Restart").unwrap();
    });
    assert_eq!(cmds(&h), [Command::Reset(api::Reset {})]);
    h.poll();
    assert_eq!(
        h.fake.started(),
        ["web", "web"],
        "started again after the reset"
    );
    assert!(h.shows("Running"));
    assert!(!h.shows("Last run: the guest asked for a reset (exit status 3)."));

    // The guest reboots itself: started again each time, up to a limit within a minute.
    for _ in 1..crate::data::vms::MAX_RESETS {
        h.fake.crash("web", RESET);
        h.poll();
    }
    assert_eq!(h.fake.started().len(), 1 + crate::data::vms::MAX_RESETS);
    h.fake.crash("web", RESET);
    h.poll();
    assert_eq!(
        h.fake.started().len(),
        1 + crate::data::vms::MAX_RESETS,
        "a reset loop is left stopped"
    );
    assert!(h.shows("Stopped"));
    assert!(h.shows("“Web” reset itself 6 times within a minute and was left stopped."));
}

#[test]
fn running_vms_with_a_screen_get_a_thumbnail_kept_in_their_folder() {
    let mut h = Harness::new(&[("web", "Web"), ("db", "Database")]);
    let mut cfg = VmConfig::load(&h.paths.vm_config("web")).unwrap();
    cfg.display = Some(vmm_core::config::DisplayConfig::default());
    cfg.save(&h.paths.vm_config("web")).unwrap();
    h.fake.set_running("web", RunState::Running);
    h.fake.set_running("db", RunState::Running);
    h.poll();
    // Only the VM with a screen was asked, for a file in its own folder.
    let shots: Vec<(String, Command)> = h.fake.commands();
    assert_eq!(shots.len(), 1, "{shots:?}");
    let (
        id,
        Command::Thumbnail(api::Thumbnail {
            path,
            max_width,
            max_height,
        }),
    ) = &shots[0]
    else {
        panic!("{shots:?}")
    };
    assert_eq!(id, "web");
    assert_eq!(
        Path::new(path),
        crate::data::thumbs::path(&h.paths.vm_dir("web")),
        "written by the VMM straight into the VM's folder"
    );
    assert_eq!(
        (*max_width, *max_height),
        (crate::data::thumbs::MAX_W, crate::data::thumbs::MAX_H)
    );
    let t = crate::data::thumbs::load(&h.paths.vm_dir("web")).expect("thumbnail.png");
    assert_eq!(
        (t.width, t.height),
        (crate::data::thumbs::MAX_W, crate::data::thumbs::MAX_H)
    );
    assert!(h.app.library.thumbs.contains_key("web"));
    assert!(!h.app.library.thumbs.contains_key("db"));

    // Next start of the app: the stored thumbnail is shown for the stopped VM.
    h.fake.vanish("web");
    let (app, task) = App::boot(h.paths.clone(), h.fake.clone());
    h.app = app;
    if let Some(stream) = iced_runtime::task::into_stream(task) {
        for a in
            iced::futures::executor::block_on(iced::futures::StreamExt::collect::<Vec<_>>(stream))
        {
            if let iced_runtime::Action::Output(m) = a {
                h.send(m);
            }
        }
    }
    assert!(h.app.library.thumbs.contains_key("web"));
}

fn hw(m: crate::ui::hardware::Message) -> Message {
    Message::Wizard(crate::ui::screen::wizard::Message::Hw(m))
}

#[test]
fn the_wizard_creates_a_vm_with_a_new_disk() {
    use crate::ui::hardware::{DisplayChoice, HwField, Message as Hw};
    let mut h = Harness::new(&[]);
    h.send(Message::Shortcut(Shortcut::New));
    let kernel = testing::fake_kernel(h._root.path());
    h.ui(|ui| {
        ui.click(iced::widget::Id::new(Field::Name.id())).unwrap();
        ui.typewrite("Disk VM");
    });
    h.ui(|ui| {
        ui.click(iced::widget::Id::new(Field::Kernel.id())).unwrap();
        ui.typewrite(&kernel.display().to_string());
    });
    assert!(h.shows("The guest boots from its kernel and initrd alone."));
    h.ui(|ui| {
        ui.click("New disk").unwrap();
    });
    // The default size is offered; a bad one shows its reason.
    h.ui(|ui| {
        ui.click(iced::widget::Id::new(HwField::DiskSize.id()))
            .unwrap();
        ui.typewrite("x");
    });
    assert!(h.shows("Enter a whole number."));
    h.send(hw(Hw::Edit(HwField::DiskSize, "99999999".into())));
    assert!(h.shows("At most 65536 GiB."));
    h.ui(|ui| {
        ui.click("Create").unwrap();
    });
    let Screen::Wizard(w) = &h.app.screen else {
        panic!("the wizard stays")
    };
    assert_eq!(w.hw_problems.len(), 1);
    assert!(h.shows("Fix the field marked in red."));
    assert!(!h.paths.vm_dir("disk-vm").exists());
    h.send(hw(Hw::Edit(HwField::DiskSize, "1".into())));
    h.send(hw(Hw::Display(DisplayChoice(Some((800, 600))))));
    // The disk is made by a task: until it reports, the wizard says so and takes no second
    // Create or Cancel.
    let task = h
        .app
        .update(Message::Wizard(crate::ui::screen::wizard::Message::Create));
    assert!(h.shows("Creating the VM and its disk…"));
    assert!(h.shows("Creating…"));
    h.send(Message::Wizard(crate::ui::screen::wizard::Message::Cancel));
    assert!(matches!(h.app.screen, Screen::Wizard(_)));
    let done: Vec<_> = iced::futures::executor::block_on(iced::futures::StreamExt::collect(
        iced_runtime::task::into_stream(task).unwrap(),
    ));
    for a in done {
        if let iced_runtime::Action::Output(m) = a {
            h.send(m);
        }
    }
    assert!(matches!(h.app.screen, Screen::Library));
    assert!(h.shows("“Disk VM” was created."));
    let cfg = VmConfig::load(&h.paths.vm_config("disk-vm")).unwrap();
    assert_eq!(cfg.disks.len(), 1);
    let disk = &cfg.disks[0];
    assert_eq!(
        disk.path,
        h.paths.vm_dir("disk-vm").join("disks/disk.qcow2")
    );
    let info = vmm_core::storage::image_info(&disk.path).unwrap();
    assert_eq!(info.format, vmm_core::storage::ImageFormat::Qcow2);
    assert_eq!(info.virtual_size, 1 << 30);
    assert!(!disk.read_only);
    let d = cfg.display.as_ref().unwrap();
    assert_eq!((d.width, d.height), (800, 600));
    let passt = vmm_core::net::passt::find_passt().is_some();
    assert_eq!(
        cfg.nics.len(),
        usize::from(passt),
        "network on when passt is there"
    );
    cfg.validate(&HOST.limits()).unwrap();
}

#[test]
fn the_wizard_uses_an_existing_image_through_a_linked_clone_and_explains_bad_paths() {
    use crate::ui::hardware::{HwField, Message as Hw};
    let mut h = Harness::new(&[]);
    h.send(Message::Shortcut(Shortcut::New));
    let kernel = testing::fake_kernel(h._root.path());
    h.ui(|ui| {
        ui.click(iced::widget::Id::new(Field::Name.id())).unwrap();
        ui.typewrite("Img");
    });
    h.ui(|ui| {
        ui.click(iced::widget::Id::new(Field::Kernel.id())).unwrap();
        ui.typewrite(&kernel.display().to_string());
    });
    h.ui(|ui| {
        ui.click("Existing image").unwrap();
    });
    h.ui(|ui| {
        ui.click(iced::widget::Id::new(HwField::DiskPath.id()))
            .unwrap();
        ui.typewrite("/nonexistent/base.qcow2");
    });
    assert!(h.shows("There is no file at this path."));
    let bad = h._root.path().join("bad.qcow2");
    std::fs::write(&bad, b"QFI\xfb").unwrap();
    h.send(hw(Hw::Edit(HwField::DiskPath, bad.display().to_string())));
    let Screen::Wizard(w) = &h.app.screen else {
        panic!()
    };
    let reason = &w.hw_problems[0].1;
    assert!(reason.contains("bad.qcow2"), "the file is named: {reason}");
    assert!(h.shows(reason));
    let base = h._root.path().join("base.img");
    std::fs::write(&base, vec![1u8; 2 << 20]).unwrap();
    h.send(hw(Hw::Edit(HwField::DiskPath, base.display().to_string())));
    assert!(h.shows("raw image, 2.0 MiB."));
    h.ui(|ui| {
        ui.click("Create").unwrap();
    });
    let cfg = VmConfig::load(&h.paths.vm_config("img")).unwrap();
    let info = vmm_core::storage::image_info(&cfg.disks[0].path).unwrap();
    assert_eq!(
        info.backing_chain,
        std::slice::from_ref(&base),
        "a linked clone by default"
    );
    assert!(cfg.disks[0].path.starts_with(h.paths.vm_dir("img")));
}

#[test]
fn disks_network_and_screen_settings_persist_and_are_locked_while_running() {
    use crate::ui::hardware::{DisplayChoice, HwField, Message as Hw};
    let mut h = Harness::new(&[("web", "Web")]);
    h.ui(|ui| {
        ui.click("Details").unwrap();
    });
    let dh = |m: Hw| Message::Details(details::Message::Hw(m));
    // The hardware is below the fold of the simulator's window: its messages are sent.
    h.send(dh(Hw::Storage(crate::ui::hardware::StorageKind::New)));
    h.send(dh(Hw::Edit(HwField::DiskSize, "1".into())));
    h.send(dh(Hw::Display(DisplayChoice(Some((1280, 800))))));
    h.send(dh(Hw::Network(true)));
    h.send(dh(Hw::Edit(HwField::Forwards, "tcp 2222:22, bogus".into())));
    assert!(h.shows("“bogus” is not a port forward; write e.g. tcp 8080:80."));
    h.send(dh(Hw::Edit(HwField::Forwards, "tcp 2222:22".into())));
    h.ui(|ui| {
        ui.click("Save").unwrap();
    });
    assert!(h.shows("Saved."));
    let cfg = VmConfig::load(&h.paths.vm_config("web")).unwrap();
    assert_eq!(cfg.disks.len(), 1);
    assert_eq!(
        vmm_core::storage::image_info(&cfg.disks[0].path)
            .unwrap()
            .virtual_size,
        1 << 30
    );
    let d = cfg.display.as_ref().unwrap();
    assert_eq!((d.width, d.height), (1280, 800));
    assert_eq!(cfg.nics.len(), 1);
    assert_eq!(cfg.nics[0].forwards[0].host_port, 2222);
    // The new disk is listed; make it read-only, then remove it (its file stays).
    assert!(h.shows("vda · disk.qcow2"));
    h.send(dh(Hw::DiskReadOnly(0, true)));
    h.ui(|ui| {
        ui.click("Save").unwrap();
    });
    assert!(VmConfig::load(&h.paths.vm_config("web")).unwrap().disks[0].read_only);
    h.send(dh(Hw::RemoveDisk(0)));
    h.send(dh(Hw::Network(false)));
    h.send(dh(Hw::Display(DisplayChoice(None))));
    h.ui(|ui| {
        ui.click("Save").unwrap();
    });
    let cfg2 = VmConfig::load(&h.paths.vm_config("web")).unwrap();
    assert!(cfg2.disks.is_empty() && cfg2.nics.is_empty() && cfg2.display.is_none());
    assert!(cfg.disks[0].path.is_file());
    // While it runs nothing changes, and the screen says why.
    h.ui(|ui| {
        ui.click("Start").unwrap();
    });
    assert!(h.shows("Disks, network and screen can't change while the VM runs."));
    h.send(dh(Hw::Network(true)));
    h.send(Message::Details(details::Message::Save));
    assert!(VmConfig::load(&h.paths.vm_config("web"))
        .unwrap()
        .nics
        .is_empty());
}

#[test]
fn the_library_clones_linked_and_full_and_deletes_keeping_or_trashing_disks() {
    let trash = testing::test_trash();
    let mut h = Harness::new(&[]);
    let data = b"cloned bytes";
    testing::add_vm_with_disk(&h.paths, "src", "Source", 8, data);
    h.app.vms.entries = crate::data::store::list(&h.paths);
    h.ui(|ui| {
        ui.click("Clone").unwrap();
    });
    assert!(h.shows("Clone “Source”"));
    // The dialog's button is the first "Clone" on the page; linked is the default.
    h.ui(|ui| {
        ui.click("Clone").unwrap();
    });
    assert!(h.shows("“Source (clone)” was created as a clone."));
    let linked = VmConfig::load(&h.paths.vm_config("source-clone")).unwrap();
    let info = vmm_core::storage::image_info(&linked.disks[0].path).unwrap();
    let src = VmConfig::load(&h.paths.vm_config("src")).unwrap();
    assert_eq!(info.backing_chain, [src.disks[0].path.clone()]);
    assert_eq!(
        testing::read_disk(&h.paths, "source-clone", 0, 1 << 20, data.len()),
        data
    );

    // A full copy: name typed, linked switched off.
    h.send(Message::Library(library::Message::AskClone("src".into())));
    h.send(Message::Library(library::Message::CloneLinked(false)));
    assert!(h.shows("Every disk is copied: slower, but the clone stands alone."));
    h.ui(|ui| {
        ui.click(iced::widget::Id::new(library::CLONE_NAME_ID))
            .unwrap();
        ui.typewrite(" full");
        ui.tap_key(iced::keyboard::key::Named::Enter);
    });
    let full = VmConfig::load(&h.paths.vm_config("source-clone-full")).unwrap();
    let info = vmm_core::storage::image_info(&full.disks[0].path).unwrap();
    assert!(info.backing_chain.is_empty());
    assert_eq!(
        testing::read_disk(&h.paths, "source-clone-full", 0, 1 << 20, data.len()),
        data
    );

    // The source backs the linked clone: deleting it is refused with the reason.
    h.send(Message::Library(library::Message::AskDelete("src".into())));
    h.ui(|ui| {
        ui.click("Delete").unwrap();
    });
    assert!(h.paths.vm_dir("src").exists());
    assert!(h.shows("Could not delete “Source”: its disks back the linked clones Source (clone); delete those first."));

    // Linked clone: disks kept on request.
    h.send(Message::Library(library::Message::AskDelete(
        "source-clone".into(),
    )));
    h.send(Message::Library(library::Message::KeepDisks(true)));
    h.ui(|ui| {
        ui.click("Delete").unwrap();
    });
    assert!(!h.paths.vm_dir("source-clone").exists());
    let kept = h.paths.data_dir.join("kept-disks/source-clone/disk.qcow2");
    assert!(kept.is_file());
    // Full copy: to the trash (the default).
    h.send(Message::Library(library::Message::KeepDisks(false)));
    h.send(Message::Library(library::Message::AskDelete(
        "source-clone-full".into(),
    )));
    h.ui(|ui| {
        ui.click("Delete").unwrap();
    });
    assert!(!h.paths.vm_dir("source-clone-full").exists());
    assert!(!full.disks[0].path.exists());
    assert!(std::fs::read_dir(&trash).unwrap().count() > 0);
}

#[test]
fn restart_from_the_details_view_resets_and_starts_again() {
    let mut h = Harness::new(&[("web", "Web")]);
    h.ui(|ui| {
        ui.click("Start").unwrap();
    });
    h.send(Message::Library(library::Message::Open("web".into())));
    h.ui(|ui| {
        ui.click("Restart").unwrap();
    });
    // Opening the details lists the snapshots first.
    assert_eq!(
        cmds(&h),
        [
            Command::SnapshotList(api::ListSnapshots {}),
            Command::Reset(api::Reset {})
        ]
    );
    h.poll();
    assert_eq!(h.fake.started(), ["web", "web"]);
    assert!(
        matches!(h.app.screen, Screen::Details(_)),
        "still on the details"
    );
}
