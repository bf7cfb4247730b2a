//! Screen tests: the real views in iced_test's headless `Simulator`, the real `update`, and a
//! fake VMM client in place of vmdesk-vmm. Files go to a temporary folder, never the real home.
//! One file per screen; the harness is here.

mod app_wide;
mod backing_chain;
mod compare_screen;
mod console_screen;
mod details_screen;
mod inspector;
mod lab_screens;
mod layout;
mod library_screen;
mod network_form;
mod screen_device;
mod serial_terminal;
mod transfer_screens;
mod wizard_screen;

use crate::data::check::Finding;
use crate::data::client::VmmClient;
use crate::data::host::HostInfo;
use crate::data::paths::Paths;
use crate::testing::{self, FakeClient};
use crate::ui::app::{App, Message, Screen, Shortcut};
use crate::ui::form::Field;
use crate::ui::screen::details::snapshots::Message as SnapMessage;
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
    /// The clipboard the app reads and writes.
    clipboard: Option<String>,
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
            clipboard: None,
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
                // One action at a time: a clipboard read waits for its answer.
                for a in iced::futures::executor::block_on_stream(stream) {
                    match a {
                        iced_runtime::Action::Output(m) => queue.push(m),
                        iced_runtime::Action::Clipboard(c) => self.clipboard(c),
                        _ => {}
                    }
                }
            }
        }
    }

    fn clipboard(&mut self, action: iced_runtime::clipboard::Action) {
        match action {
            iced_runtime::clipboard::Action::Read { channel, .. } => {
                let _ = channel.send(self.clipboard.clone());
            }
            iced_runtime::clipboard::Action::Write { contents, .. } => {
                self.clipboard = Some(contents);
            }
        }
    }

    /// Interacts with the current view, then feeds what it produced to `update`.
    fn ui(&mut self, f: impl FnOnce(&mut iced_test::Simulator<'_, Message>)) {
        let messages: Vec<Message> = {
            let mut ui = window(self.app.view());
            f(&mut ui);
            ui.into_messages().collect()
        };
        for m in messages {
            self.send(m);
        }
    }

    /// Whether the current view shows this exact text.
    fn shows(&self, s: &str) -> bool {
        window(self.app.view()).find(s).is_ok()
    }

    fn poll(&mut self) {
        self.send(Message::Tick);
    }
}

/// Like `Harness::ui` in a window tall enough for the whole settings column (a person
/// scrolls to the CD/DVD rows and the NIC form; the simulator clicks only what it sees).
fn tall(h: &mut Harness, f: impl FnOnce(&mut iced_test::Simulator<'_, Message>)) {
    let messages: Vec<Message> = {
        let mut ui =
            iced_test::Simulator::with_size(Default::default(), (1280.0, 1800.0), h.app.view());
        f(&mut ui);
        ui.into_messages().collect()
    };
    for m in messages {
        h.send(m);
    }
}

/// The app in a 1280×800 window (a common laptop screen: the details show settings and tabs side
/// by side; layout.rs checks 800×600 and 1920×1080).
fn window(view: iced::Element<'_, Message>) -> iced_test::Simulator<'_, Message> {
    iced_test::Simulator::with_size(Default::default(), (1280.0, 800.0), view)
}

/// The text of the details screen's serial terminal (scrollback and screen).
fn serial_text(h: &Harness) -> String {
    match &h.app.screen {
        Screen::Details(d) | Screen::Console(_, d) => d.serial.term.text(),
        _ => panic!("not on a VM's details"),
    }
}

/// The commands the fake client was sent, without the VM ids.
fn cmds(h: &Harness) -> Vec<Command> {
    h.fake.commands().into_iter().map(|(_, c)| c).collect()
}
