//! The GUI: the app-wide state (VMs, the VMM client, settings, notices, polling), which screen
//! shows, and the routing between them. Each screen keeps its own state and gets its results
//! as its own messages; what a screen asks for (its `Action`) is app-wide work, done here, in
//! `lifecycle` (VMs, polling, jobs off the UI thread), `notices` and `guest` (VMM events).

mod compare;
mod console_follow;
mod guest;
mod lab;
mod lifecycle;
mod notices;
mod projector;
mod subscriptions;
mod transfer;
mod window;

#[cfg(test)]
pub use subscriptions::shortcut;
pub use window::run;
use window::set_fullscreen;
#[cfg(test)]
pub use window::window_settings;

pub use lifecycle::{blocking, Poll};
pub use notices::Notice;
#[cfg(test)]
pub use notices::INFO_SECS;

use crate::data::check::{self, Finding};
use crate::data::client::{self, ClientError, VmmClient};
use crate::data::host::HostInfo;
use crate::data::paths::Paths;
use crate::data::settings::Settings;
use crate::data::store;
use crate::data::vms::{ExitRecord, Runtime, Vms};
use crate::t;
use crate::ui::screen::check::{self as check_screen, Check};
use crate::ui::screen::console::{self, Console};
use crate::ui::screen::details::{self, serial, snapshots, Details, SnapOp};
use crate::ui::screen::library::{self, Library};
use crate::ui::screen::wizard::{self, Wizard};
use iced::widget::column;
use iced::{Element, Length, Task};
use std::sync::Arc;
use std::time::Duration;
use vmm_core::api::{ApiRequest, Command, Event, PowerOff, Response};

pub struct App {
    pub paths: Paths,
    pub client: Arc<dyn VmmClient>,
    pub host: HostInfo,
    pub settings: Settings,
    pub vms: Vms,
    pub library: Library,
    pub screen: Screen,
    pub notices: Vec<Notice>,
    next_notice: u64,
    polling: bool,
    /// When the thumbnails of running VMs were last refreshed.
    thumbs_at: Option<std::time::Instant>,
    /// A file to install from (`vmdesk FILE`) waiting for the first-run check to pass.
    open_pending: Option<std::path::PathBuf>,
    /// Projector mode's panel shows (library).
    pub projector_open: bool,
    /// The window's size before our UI scale (for the scale's 800×600 floor).
    pub window_size: (f32, f32),
    /// Measures a VM beside a container (screen tests give a fake).
    pub compare_runner: crate::ui::screen::compare::Runner,
}

pub enum Screen {
    /// The first-run check found problems.
    Check(Check),
    Library,
    Wizard(Box<Wizard>),
    Details(Box<Details>),
    /// A VM's screen; the details it was opened from come back afterwards.
    Console(Box<Console>, Box<Details>),
    /// A VM beside a container; the details it was opened from come back afterwards.
    /// The comparison and the details it was opened from (None: the library).
    Compare(
        Box<crate::ui::screen::compare::Compare>,
        Option<Box<Details>>,
    ),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortcut {
    New,
    Search,
    Quit,
}

#[derive(Debug, Clone)]
pub enum Message {
    Library(library::Message),
    Wizard(wizard::Message),
    Details(details::Message),
    Console(console::Message),
    Check(check_screen::Message),
    /// A result for the details of VM `id` (dropped unless they show, maybe under its screen).
    ToDetails(String, details::Message),
    Checked(Vec<Finding>),
    /// A snapshot operation ended (the reply's result, or why it failed).
    SnapshotDone {
        id: String,
        op: SnapOp,
        result: Result<Response, String>,
    },
    Tick,
    Polled(Box<Poll>),
    Replied {
        id: String,
        command: Command,
        result: Result<Response, ClientError>,
    },
    Started {
        id: String,
        result: Result<u32, ClientError>,
        record: Option<ExitRecord>,
    },
    Guest(String, Event),
    Shortcut(Shortcut),
    /// The wizard's VM (and its disk) was made, or why not.
    Created(Result<Box<vmm_core::config::VmConfig>, String>),
    /// The details' settings were saved (after making a disk they add).
    SettingsSaved(String, Result<(), String>),
    /// A VM's CD/DVD drives changed (the config as saved), or why not.
    CdromChanged(String, Result<Box<vmm_core::config::VmConfig>, String>),
    DismissNotice(u64),
    ForceOff(u64, String),
    Projector(crate::ui::screen::projector::Message),
    /// Lab work for VM `id` ended: what to say, or why it failed.
    LabDone(String, Result<String, String>),
    Resized(iced::Size),
    Compare(crate::ui::screen::compare::Message),
    /// Export and import: the chooser's answers and the results.
    Transfer(transfer::Transfer),
}

impl App {
    pub fn new(paths: Paths, client: Arc<dyn VmmClient>, host: HostInfo) -> App {
        let settings = Settings::load(&paths.settings_file());
        // Throwaway runs that ended while the app was not there are discarded first.
        crate::data::lab::throwaway::mend_all(&paths, &*client);
        let vms = Vms {
            entries: store::list(&paths),
            ..Vms::default()
        };
        App {
            paths,
            client,
            host,
            settings,
            vms,
            library: Library::default(),
            screen: Screen::Library,
            notices: Vec::new(),
            next_notice: 0,
            polling: false,
            thumbs_at: None,
            open_pending: None,
            projector_open: false,
            window_size: (1280.0, 800.0),
            compare_runner: Arc::new(crate::ui::screen::compare::measure),
        }
    }

    /// Opens the file `vmdesk FILE` gave once the first-run check no longer shows.
    fn open_pending(&mut self) -> Task<Message> {
        match self.open_pending.take() {
            Some(f) if !matches!(self.screen, Screen::Check(_)) => self.open_file(&f),
            other => {
                self.open_pending = other;
                Task::none()
            }
        }
    }

    /// The first poll finds VMs that kept running while the app was closed (reattach). The
    /// first-run check shows instead of the library when this host has a problem.
    #[cfg(test)]
    pub fn boot(paths: Paths, client: Arc<dyn VmmClient>) -> (App, Task<Message>) {
        App::boot_with(paths, client, None)
    }

    /// [`App::boot`], then `open` (`vmdesk FILE`): the wizard with that file chosen, unless the
    /// first-run check shows.
    pub fn boot_with(
        paths: Paths,
        client: Arc<dyn VmmClient>,
        open: Option<std::path::PathBuf>,
    ) -> (App, Task<Message>) {
        let mut app = App::new(paths, client, HostInfo::detect());
        crate::i18n::apply(app.settings.language.as_deref());
        app.apply_projector();
        app.checked(check::findings(&check::gather()));
        let mut tasks = vec![app.poll(), app.load_thumbs()];
        if let Some(file) = open {
            tasks.push(app.open_file(&file));
        }
        (app, Task::batch(tasks))
    }

    /// The wizard on its install page with `file` chosen and being looked at.
    pub fn open_file(&mut self, file: &std::path::Path) -> Task<Message> {
        if matches!(self.screen, Screen::Check(_)) {
            self.open_pending = Some(file.to_path_buf());
            return Task::none();
        }
        let (w, action) = Wizard::open(&self.host, &self.paths.vms_dir(), file);
        self.screen = Screen::Wizard(Box::new(w));
        match action {
            wizard::Action::Detect(d) => detect(d),
            _ => Task::none(),
        }
    }

    /// Applies the first-run check's findings: the check screen, or the library.
    pub fn checked(&mut self, found: Vec<Finding>) {
        if check::needs_attention(&found, &self.settings.accepted_warnings) {
            self.screen = Screen::Check(Check { found });
        } else if matches!(self.screen, Screen::Check(_)) {
            self.screen = Screen::Library;
        }
    }

    /// The window title (its app id is set in [`run`]).
    pub fn title(&self) -> String {
        t!("app-title")
    }

    fn open_details(&mut self, id: &str) -> Task<Message> {
        let cfg = self
            .vms
            .get(id)
            .and_then(|e| e.config.as_ref().ok())
            .cloned();
        let log = store::serial_log(&self.paths, id, cfg.as_ref());
        let scrollback = store::tail_text(&log, 64 * 1024);
        let free = crate::data::disks::free_space(&self.paths.vm_dir(id));
        let mut details = Details::new(id, cfg.as_ref(), &self.host, scrollback, free);
        // Backing files in the VM's folder need no question.
        details.hw.set_vm_dir(&self.paths.vm_dir(id));
        details.lab.refresh(&self.paths, &self.settings, id);
        self.screen = Screen::Details(Box::new(details));
        let snaps = self.load_snapshots(id);
        if self.vms.is_active(id) {
            Task::batch([self.counters(id), snaps])
        } else {
            snaps
        }
    }

    /// The details of VM `id`, if they show (maybe under its screen).
    fn details_of(&self, id: &str) -> Option<&Details> {
        match &self.screen {
            Screen::Details(d) | Screen::Console(_, d) if d.id == id => Some(d),
            _ => None,
        }
    }

    /// Gives the details of VM `id` a message, if they show (maybe under its screen).
    fn for_details(&mut self, id: &str, m: details::Message) -> Task<Message> {
        let (task, action) = match &mut self.screen {
            Screen::Details(d) | Screen::Console(_, d) if d.id == id => {
                d.update(m, &self.vms, &self.host)
            }
            _ => return Task::none(),
        };
        self.details_action(task.map(Message::Details), action)
    }

    pub fn update(&mut self, message: Message) -> Task<Message> {
        match message {
            Message::Library(m) => {
                let action = self.library.update(m, &self.vms);
                self.library_action(action)
            }
            Message::Wizard(m) => {
                let Screen::Wizard(w) = &mut self.screen else {
                    return Task::none();
                };
                let taken = self.vms.ids();
                let (task, action) = w.update(m, &self.host, &taken);
                let task = task.map(Message::Wizard);
                match action {
                    wizard::Action::None => task,
                    wizard::Action::Cancel => {
                        self.screen = Screen::Library;
                        Task::none()
                    }
                    wizard::Action::Detect(d) => Task::batch([task, detect(d)]),
                    wizard::Action::Create(cfg, plan) => {
                        let paths = self.paths.clone();
                        blocking(move || {
                            crate::data::disks::create_vm(&paths, &cfg, plan.as_ref()).map(Box::new)
                        })
                        .map(Message::Created)
                    }
                }
            }
            Message::Created(r) => match r {
                Ok(cfg) => {
                    self.reload();
                    if matches!(self.screen, Screen::Wizard(_)) {
                        self.screen = Screen::Library;
                    }
                    self.notice(t!("notice-created", name = cfg.name.as_str()), false, None);
                    Task::none()
                }
                Err(e) => match &self.screen {
                    Screen::Wizard(_) => self.update(Message::Wizard(wizard::Message::Failed(e))),
                    _ => Task::none(),
                },
            },
            Message::SettingsSaved(id, r) => {
                self.reload();
                let cfg = self.vms.get(&id).and_then(|e| e.config.clone().ok());
                self.for_details(&id, details::Message::Saved(r, cfg.map(Box::new)))
            }
            Message::CdromChanged(id, r) => {
                if r.is_ok() {
                    self.reload();
                }
                let m = details::media::Message::Done(r);
                self.for_details(&id, details::Message::Media(m))
            }
            Message::Details(m) => {
                let Screen::Details(d) = &mut self.screen else {
                    return Task::none();
                };
                let (task, action) = d.update(m, &self.vms, &self.host);
                self.details_action(task.map(Message::Details), action)
            }
            Message::ToDetails(id, m) => self.for_details(&id, m),
            Message::Console(m) => {
                let ui_scale = self.scale_factor();
                let Screen::Console(c, _) = &mut self.screen else {
                    return Task::none();
                };
                c.follow.ui_scale = ui_scale;
                let (task, action) = c.update_with(m, self.vms.state(&c.id));
                let task = task.map(Message::Console);
                match action {
                    console::Action::None => task,
                    console::Action::Back { fullscreen } => {
                        let screen = std::mem::replace(&mut self.screen, Screen::Library);
                        if let Screen::Console(_, d) = screen {
                            self.screen = Screen::Details(d);
                        }
                        if fullscreen {
                            set_fullscreen(false)
                        } else {
                            Task::none()
                        }
                    }
                    console::Action::Fullscreen(on) => set_fullscreen(on),
                    console::Action::Screenshot(id) => self.screenshot(id),
                    console::Action::Follow(r) => Task::batch([task, self.console_follow(r)]),
                    console::Action::Inspect(id, r) => {
                        let client = self.client.clone();
                        let run = move || r.run(client.as_ref(), &id);
                        blocking(run).map(|m| Message::Console(console::Message::Inspector(m)))
                    }
                }
            }
            Message::Check(m) => {
                let Screen::Check(c) = &self.screen else {
                    return Task::none();
                };
                match c.update(m) {
                    check_screen::Action::Again => {
                        blocking(|| check::findings(&check::gather())).map(Message::Checked)
                    }
                    check_screen::Action::Accept(codes) => {
                        let accepted = &mut self.settings.accepted_warnings;
                        for code in codes {
                            if !accepted.contains(&code) {
                                accepted.push(code);
                            }
                        }
                        if let Err(e) = self.settings.save(&self.paths.settings_file()) {
                            self.notice(t!("error-settings", detail = e.to_string()), true, None);
                        }
                        self.checked(Vec::new());
                        self.open_pending()
                    }
                }
            }
            Message::Checked(found) => {
                self.checked(found);
                self.open_pending()
            }
            Message::SnapshotDone { id, op, result } => self.snapshot_done(id, op, result),
            Message::Tick => {
                self.age_notices();
                let mut tasks = vec![self.poll()];
                if let Screen::Details(d) = &self.screen {
                    if self.vms.is_active(&d.id) {
                        tasks.push(self.counters(&d.id.clone()));
                    }
                }
                Task::batch(tasks)
            }
            Message::Polled(p) => {
                self.polling = false;
                let restart = self.apply_poll(*p);
                let mut tasks: Vec<Task<Message>> = restart
                    .into_iter()
                    .map(|id| self.restart_after_reset(id))
                    .collect();
                // After a poll, so the states are known; only while the library shows.
                let due = self.thumbs_at.is_none_or(|t| {
                    t.elapsed() >= Duration::from_secs(crate::data::thumbs::EVERY_SECS)
                });
                if matches!(self.screen, Screen::Library) && due {
                    self.thumbs_at = Some(std::time::Instant::now());
                    tasks.push(self.refresh_thumbs());
                }
                Task::batch(tasks)
            }
            Message::Replied {
                id,
                command,
                result,
            } => {
                match (&command, result) {
                    (Command::PowerOff(_), Ok(r)) => {
                        let acked = PowerOff::unwrap(r).is_some_and(|r| r.guest_acknowledged);
                        if !acked {
                            let name = self.name_of(&id);
                            self.notice(t!("notice-no-response", name = name), true, Some(id));
                        }
                    }
                    (Command::Screenshot(r), Ok(_)) => {
                        self.notice(t!("notice-screenshot", path = r.path.as_str()), false, None);
                    }
                    (_, Ok(_)) => {}
                    (_, Err(e)) => {
                        let text = self.error_text(&id, &e);
                        self.notice(text, true, None);
                    }
                }
                self.poll()
            }
            Message::Started { id, result, record } => {
                let rt = self.vms.runtime.entry(id.clone()).or_default();
                rt.starting = false;
                // The notice says why in the VMM's words: the user acted here, not on the card.
                let reason = record.as_ref().and_then(|r| r.reason());
                if let Some(r) = record {
                    rt.last_exit = Some(r);
                }
                if let Err(e) = result {
                    let name = self.name_of(&id);
                    let text = reason.map_or_else(
                        || self.error_text(&id, &e),
                        |reason| t!("error-vmm-exited-because", name = name, reason = reason),
                    );
                    self.notice(text, true, None);
                }
                if self.details_of(&id).is_some() {
                    // The current snapshot may have changed (a start from a snapshot).
                    return Task::batch([self.poll(), self.load_snapshots(&id)]);
                }
                self.poll()
            }
            Message::Guest(id, event) => match event {
                Event::Serial { data } => {
                    let bytes = client::decode_serial(&data);
                    self.for_details(
                        &id,
                        details::Message::Serial(serial::Message::Output(bytes)),
                    )
                }
                Event::State { state } => {
                    if let Some(Runtime {
                        status: Some(s), ..
                    }) = self.vms.runtime.get_mut(&id)
                    {
                        s.state = state;
                    }
                    Task::none()
                }
                Event::Exited { .. } => self.poll(),
            },
            Message::Shortcut(_) if matches!(self.screen, Screen::Check(_)) => Task::none(),
            Message::Shortcut(s) => match s {
                Shortcut::Quit => iced::exit(),
                Shortcut::New => {
                    if !matches!(self.screen, Screen::Wizard(_)) {
                        self.screen = Screen::Wizard(Box::new(Wizard::new(
                            &self.host,
                            &self.paths.vms_dir(),
                        )));
                    }
                    iced::widget::operation::focus(wizard::install::FILE_ID)
                }
                Shortcut::Search => {
                    self.screen = Screen::Library;
                    iced::widget::operation::focus(library::SEARCH_ID)
                }
            },
            Message::Projector(m) => self.projector(m),
            Message::LabDone(id, r) => self.lab_done(id, r),
            Message::Compare(m) => self.compare(m),
            Message::Transfer(m) => self.transfer(m),
            Message::Resized(size) => {
                self.resized(size);
                Task::none()
            }
            Message::DismissNotice(n) => {
                self.dismiss(n);
                Task::none()
            }
            Message::ForceOff(n, id) => {
                self.dismiss(n);
                self.api(id, vmm_core::api::Kill {}.into())
            }
        }
    }

    /// A snapshot operation ended: the details show it, a notice tells, the list and the
    /// VM's state are read again.
    fn snapshot_done(
        &mut self,
        id: String,
        op: SnapOp,
        result: Result<Response, String>,
    ) -> Task<Message> {
        let error = result.as_ref().err().cloned();
        let shown = self.for_details(
            &id,
            details::Message::Snap(snapshots::Message::Done(op.clone(), error)),
        );
        if let (Ok(Response::SnapshotCreate(c)), SnapOp::Take { .. }) = (&result, &op) {
            self.notice(
                t!(
                    "notice-snapshot-taken",
                    total = format!("{:.0}", c.timing.total_ms),
                    paused = format!("{:.0}", c.timing.paused_ms)
                ),
                false,
                None,
            );
        }
        if let (Ok(_), SnapOp::Revert(_)) = (&result, &op) {
            let name = self.name_of(&id);
            self.notice(t!("notice-reverted", name = name), false, None);
        }
        Task::batch([shown, self.load_snapshots(&id), self.poll()])
    }

    /// Does what the details screen asked for.
    fn details_action(&mut self, task: Task<Message>, action: details::Action) -> Task<Message> {
        match action {
            details::Action::None => task,
            details::Action::Back => {
                self.screen = Screen::Library;
                Task::none()
            }
            details::Action::Save(cfg, plan) => {
                let paths = self.paths.clone();
                let id = cfg.id.clone();
                blocking(move || {
                    let mut cfg = *cfg;
                    let r = (|| {
                        let dir = paths.vm_dir(&cfg.id);
                        if let Some(p) = plan {
                            cfg.disks.push(crate::data::disks::provision(&dir, &p)?);
                        }
                        crate::data::disks::reindex_current(&dir, &cfg)?;
                        store::save(&paths, &cfg).map_err(|e| e.to_string())
                    })();
                    Message::SettingsSaved(id, r)
                })
            }
            details::Action::Cdrom {
                id,
                drive,
                medium,
                live,
            } => {
                let (client, paths) = (self.client.clone(), self.paths.clone());
                blocking(move || {
                    let r = crate::data::cdrom::change(
                        client.as_ref(),
                        &paths,
                        &id,
                        drive,
                        medium.as_deref(),
                        live,
                    );
                    Message::CdromChanged(id, r.map(Box::new))
                })
            }
            details::Action::Lab(id, a) => Task::batch([task, self.lab(id, a)]),
            details::Action::Compare(id) => self.open_compare(&id),
            details::Action::Export(id, target) => Task::batch([task, self.ask_export(id, target)]),
            details::Action::AddCdrom(id) => {
                let paths = self.paths.clone();
                blocking(move || {
                    let r = crate::data::cdrom::add_drive(&paths, &id);
                    Message::CdromChanged(id, r.map(Box::new))
                })
            }
            details::Action::Start(id) => self.start(id),
            details::Action::Api(id, c) => self.api(id, c),
            details::Action::Snapshot(id, op) => Task::batch([task, self.snapshot_op(id, op)]),
            details::Action::Copy(text) => {
                self.notice(t!("notice-copied"), false, None);
                iced::clipboard::write(text)
            }
            details::Action::SerialInput(id, bytes) => self.serial_input(id, bytes),
            details::Action::Paste(id) => lifecycle::paste_into_serial(id),
            details::Action::OpenScreen(id) => self.details_to_console(&id),
        }
    }

    fn library_action(&mut self, action: library::Action) -> Task<Message> {
        use library::Action;
        match action {
            Action::None => Task::none(),
            Action::New => {
                self.screen =
                    Screen::Wizard(Box::new(Wizard::new(&self.host, &self.paths.vms_dir())));
                Task::none()
            }
            Action::Import => self.ask_import(),
            Action::Open(id) => self.open_details(&id),
            Action::OpenScreen(id) => {
                let task = self.open_details(&id);
                Task::batch([task, self.details_to_console(&id)])
            }
            Action::Start(id) => self.start(id),
            Action::Api(id, c) => self.api(id, c),
            Action::Delete(id, disposal) => {
                if self.vms.is_active(&id) {
                    return self.library_action(Action::Refused(id));
                }
                let name = self.name_of(&id);
                match crate::data::disks::delete_vm(&self.paths, &id, disposal) {
                    Ok(kept) => {
                        self.vms.runtime.remove(&id);
                        let text = match kept {
                            Some(p) => t!(
                                "notice-deleted-kept",
                                name = name,
                                path = p.display().to_string()
                            ),
                            None => t!("notice-deleted", name = name),
                        };
                        self.notice(text, false, None);
                    }
                    Err(e) => self.notice(t!("error-delete", name = name, detail = e), true, None),
                }
                self.reload();
                Task::none()
            }
            Action::Clone {
                source,
                name,
                linked,
                progress,
            } => {
                let Some(Ok(cfg)) = self.vms.get(&source).map(|e| e.config.clone()) else {
                    // Checked by the library; gone since: the clone ends at once.
                    let gone = Err(format!("{source}: its config.toml cannot be read"));
                    return Task::done(Message::Library(library::Message::Cloned(gone)));
                };
                let id = store::derive_id(&name, &self.vms.ids());
                let paths = self.paths.clone();
                blocking(move || {
                    crate::data::disks::clone_vm(&paths, &cfg, &id, &name, linked, &progress)
                        .map(|c| c.name)
                })
                .map(|r| Message::Library(library::Message::Cloned(r)))
            }
            Action::Cloned(r) => {
                match r {
                    Ok(name) => self.notice(t!("notice-cloned", name = name), false, None),
                    Err(e) => self.notice(t!("error-clone", detail = e), true, None),
                }
                self.reload();
                Task::none()
            }
            Action::Refused(id) => {
                let name = self.name_of(&id);
                self.notice(t!("error-delete-running", name = name), true, None);
                Task::none()
            }
            Action::DismissExit(id) => {
                if let Some(r) = self.vms.runtime.get_mut(&id) {
                    r.last_exit = None;
                }
                Task::none()
            }
            Action::Projector => {
                self.projector_open = !self.projector_open;
                Task::none()
            }
            Action::Compare(id) => self.open_compare(&id),
            Action::SetLanguage(l) => {
                self.settings.language = l;
                if let Err(e) = self.settings.save(&self.paths.settings_file()) {
                    self.notice(t!("error-settings", detail = e.to_string()), true, None);
                }
                crate::i18n::apply(self.settings.language.as_deref());
                Task::none()
            }
        }
    }

    pub fn view(&self) -> Element<'_, Message> {
        let (header, body): (Element<'_, Message>, Element<'_, Message>) = match &self.screen {
            Screen::Library => (
                self.library
                    .header(self.settings.language.as_deref())
                    .map(Message::Library),
                self.library_body(),
            ),
            Screen::Wizard(w) => {
                let taken = self.vms.ids();
                (
                    w.header().map(Message::Wizard),
                    w.body(&self.host, &taken).map(Message::Wizard),
                )
            }
            Screen::Details(d) => (
                d.header(&self.vms).map(Message::Details),
                d.body(&self.vms, &self.host).map(Message::Details),
            ),
            Screen::Check(c) => (c.header().map(Message::Check), c.view().map(Message::Check)),
            Screen::Compare(c, _) => (
                c.header().map(Message::Compare),
                c.view().map(Message::Compare),
            ),
            Screen::Console(c, _) => {
                let name = self.vms.get(&c.id).map(|e| e.name()).unwrap_or(&c.id);
                let body = c.view(self.vms.state(&c.id), name).map(Message::Console);
                return self.with_notices(body);
            }
        };
        self.with_notices(column![header, body].height(Length::Fill).into())
    }
}

/// Runs a wizard's detection off the UI thread (it reads the file and, on first use,
/// osinfo-db).
fn detect(d: wizard::install::Detect) -> Task<Message> {
    blocking(move || d.run()).map(|m| Message::Wizard(wizard::Message::Install(m)))
}
