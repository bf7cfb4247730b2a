//! The GUI: state, messages, update and view, wiring the screens to the store and the VMMs.

use crate::data::check::{self, Finding};
use crate::data::client::{self, ClientError, ExitInfo, VmmClient, VmmClientExt};
use crate::data::host::HostInfo;
use crate::data::paths::Paths;
use crate::data::settings::Settings;
use crate::data::snapshots::SnapshotList;
use crate::data::store::{self, VmEntry};
use crate::data::thumbs;
use crate::data::vms::{exit_record, ExitRecord, Runtime, Vms};
use crate::t;
use crate::ui::screen::console::{self, Console};
use crate::ui::screen::details::{self, Details, SnapOp};
use crate::ui::screen::library::{self, Library};
use crate::ui::screen::wizard::{self, Wizard};
use crate::ui::style;
use iced::futures::{SinkExt, StreamExt};
use iced::keyboard::{self, Key};
use iced::widget::{button, column, container, row, text};
use iced::{Alignment, Element, Length, Subscription, Task};
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;
use vmm_core::api::{
    ApiRequest, Command, Counters, Empty, Event, GetCounters, ListSnapshots, PowerOff, Response,
    Screenshot, SnapshotCreate, SnapshotDelete, SnapshotRename, SnapshotRevert, Status,
};

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
}

pub enum Screen {
    /// The first-run check found problems.
    Check(Vec<Finding>),
    Library,
    Wizard(Box<Wizard>),
    Details(Box<Details>),
    /// A VM's screen; the details it was opened from come back afterwards.
    Console(Box<Console>, Box<Details>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub id: u64,
    pub text: String,
    pub error: bool,
    /// Offer "Force off" for this VM (after an unanswered ACPI power-off).
    pub force_off: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortcut {
    New,
    Search,
    Quit,
}

/// What one poll of the disk and the sockets found.
#[derive(Debug, Clone)]
pub struct Poll {
    pub entries: Vec<VmEntry>,
    pub statuses: Vec<(String, Option<Status>)>,
    pub exits: Vec<(String, ExitRecord)>,
}

#[derive(Debug, Clone)]
pub enum Message {
    Library(library::Message),
    Wizard(wizard::Message),
    Details(details::Message),
    Console(console::Message),
    Check(crate::ui::screen::check::Message),
    Checked(Vec<Finding>),
    Snapshots(String, Result<SnapshotList, String>),
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
    Counters(String, Result<Counters, ClientError>),
    /// Thumbnails read or refreshed off the UI thread.
    Thumbs(Vec<(String, thumbs::Thumb)>),
    Shortcut(Shortcut),
    /// The wizard's VM (and its disk) was made, or why not.
    Created(Result<Box<vmm_core::config::VmConfig>, String>),
    /// A clone finished: the new VM's name, or why it failed.
    Cloned(Result<String, String>),
    /// The details' settings were saved (after making a disk they add).
    SettingsSaved(String, Result<(), String>),
    DismissNotice(u64),
    ForceOff(u64, String),
}

/// Runs a blocking call on its own thread; the task yields its result.
pub fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Task<T> {
    let (tx, rx) = iced::futures::channel::oneshot::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    Task::future(rx).then(|r| match r {
        Ok(v) => Task::done(v),
        Err(_) => Task::none(),
    })
}

impl App {
    pub fn new(paths: Paths, client: Arc<dyn VmmClient>, host: HostInfo) -> App {
        let settings = Settings::load(&paths.settings_file());
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
        }
    }

    /// The first poll finds VMs that kept running while the app was closed (reattach). The
    /// first-run check shows instead of the library when this host has a problem.
    pub fn boot(paths: Paths, client: Arc<dyn VmmClient>) -> (App, Task<Message>) {
        let mut app = App::new(paths, client, HostInfo::detect());
        crate::i18n::apply(app.settings.language.as_deref());
        app.checked(check::findings(&check::gather()));
        let task = Task::batch([app.poll(), app.load_thumbs()]);
        (app, task)
    }

    /// Applies the first-run check's findings: the check screen, or the library.
    pub fn checked(&mut self, found: Vec<Finding>) {
        if check::needs_attention(&found, &self.settings.accepted_warnings) {
            self.screen = Screen::Check(found);
        } else if matches!(self.screen, Screen::Check(_)) {
            self.screen = Screen::Library;
        }
    }

    /// The window title (its app id is set in [`run`]).
    pub fn title(&self) -> String {
        t!("app-title")
    }

    pub fn notice(&mut self, text: String, error: bool, force_off: Option<String>) {
        self.next_notice += 1;
        // One notice per text: repeated failures do not pile up.
        self.notices.retain(|n| n.text != text);
        self.notices.push(Notice {
            id: self.next_notice,
            text,
            error,
            force_off,
        });
        if self.notices.len() > 4 {
            self.notices.remove(0);
        }
    }

    fn name_of(&self, id: &str) -> String {
        self.vms
            .get(id)
            .map(|e| e.name().to_string())
            .unwrap_or_else(|| id.to_string())
    }

    fn poll(&mut self) -> Task<Message> {
        if self.polling {
            return Task::none();
        }
        self.polling = true;
        let client = self.client.clone();
        let paths = self.paths.clone();
        // VMs seen running, with when their run started.
        let was_running: HashMap<String, u64> = self
            .vms
            .runtime
            .iter()
            .filter_map(|(id, r)| r.status.as_ref().map(|s| (id.clone(), s.started_unix_ms)))
            .collect();
        blocking(move || {
            let entries = store::list(&paths);
            let reaped = client.reap();
            let statuses: Vec<(String, Option<Status>)> = entries
                .iter()
                .filter(|e| !e.is_broken())
                .map(|e| (e.id.clone(), client.status(&e.id).ok()))
                .collect();
            let mut exits = Vec::new();
            let reaped_ids: HashSet<&String> = reaped.iter().map(|(id, _)| id).collect();
            for (id, info) in &reaped {
                let e = entries.iter().find(|e| &e.id == id);
                exits.push((id.clone(), exit_record(&paths, e, id, Some(*info))));
            }
            // Reattached VMMs are not our children: how they ended is in last-exit.json.
            for (id, st) in &statuses {
                let Some(started) = was_running.get(id) else {
                    continue;
                };
                if st.is_none() && !reaped_ids.contains(id) {
                    let e = entries.iter().find(|e| &e.id == id);
                    let info =
                        client::wait_last_exit(&paths.vm_dir(id), *started, Duration::from_secs(1))
                            .map(|x| ExitInfo {
                                code: x.code,
                                signal: None,
                            });
                    exits.push((id.clone(), exit_record(&paths, e, id, info)));
                }
            }
            Poll {
                entries,
                statuses,
                exits,
            }
        })
        .map(|p| Message::Polled(Box::new(p)))
    }

    /// The stored thumbnails (the last screen of each VM).
    fn load_thumbs(&self) -> Task<Message> {
        let dirs: Vec<(String, std::path::PathBuf)> = self
            .vms
            .entries
            .iter()
            .map(|e| (e.id.clone(), e.dir.clone()))
            .collect();
        blocking(move || {
            Message::Thumbs(
                dirs.into_iter()
                    .filter_map(|(id, dir)| thumbs::load(&dir).map(|t| (id, t)))
                    .collect(),
            )
        })
    }

    /// New thumbnails of the running VMs that have a screen (while the library shows).
    fn refresh_thumbs(&self) -> Task<Message> {
        let running: Vec<(String, std::path::PathBuf)> = self
            .vms
            .entries
            .iter()
            .filter(|e| {
                matches!(&e.config, Ok(c) if c.display.is_some())
                    && self.vms.state(&e.id) == crate::data::vms::VmState::Running
            })
            .map(|e| (e.id.clone(), e.dir.clone()))
            .collect();
        if running.is_empty() {
            return Task::none();
        }
        let client = self.client.clone();
        blocking(move || {
            Message::Thumbs(
                running
                    .into_iter()
                    // A VM that just stopped or has no screen yet keeps its old thumbnail.
                    .filter_map(|(id, dir)| {
                        thumbs::refresh(client.as_ref(), &id, &dir)
                            .ok()
                            .map(|t| (id, t))
                    })
                    .collect(),
            )
        })
    }

    fn counters(&self, id: &str) -> Task<Message> {
        let client = self.client.clone();
        let id = id.to_string();
        blocking(move || {
            let r = client.call(&id, GetCounters {});
            Message::Counters(id, r)
        })
    }

    fn api(&self, id: String, command: Command) -> Task<Message> {
        let client = self.client.clone();
        blocking(move || {
            let result = client.send(&id, command.clone());
            Message::Replied {
                id,
                command,
                result,
            }
        })
    }

    fn start(&mut self, id: String) -> Task<Message> {
        self.start_from(id, None)
    }

    fn start_from(&mut self, id: String, snapshot: Option<String>) -> Task<Message> {
        let rt = self.vms.runtime.entry(id.clone()).or_default();
        rt.starting = true;
        rt.last_exit = None;
        let client = self.client.clone();
        let paths = self.paths.clone();
        let entry = self.vms.get(&id).cloned();
        blocking(move || {
            let result = client.start_from(&id, snapshot.as_deref());
            let record = match &result {
                Err(ClientError::Exited(info)) => {
                    Some(exit_record(&paths, entry.as_ref(), &id, Some(*info)))
                }
                _ => None,
            };
            Message::Started { id, result, record }
        })
    }

    fn reload(&mut self) {
        self.vms.entries = store::list(&self.paths);
    }

    fn open_details(&mut self, id: &str) -> Task<Message> {
        let cfg = self
            .vms
            .get(id)
            .and_then(|e| e.config.as_ref().ok())
            .cloned();
        let log = store::serial_log(&self.paths, id, cfg.as_ref());
        let scrollback = store::tail_text(&log, 64 * 1024);
        let mut details = Details::new(id, cfg.as_ref(), &self.host, scrollback);
        details.hw.free = crate::data::disks::free_space(&self.paths.vm_dir(id));
        self.screen = Screen::Details(Box::new(details));
        let snaps = self.load_snapshots(id);
        if self.vms.is_active(id) {
            Task::batch([self.counters(id), snaps])
        } else {
            snaps
        }
    }

    fn error_text(&self, id: &str, e: &ClientError) -> String {
        let name = self.name_of(id);
        match e {
            ClientError::NotRunning => t!("error-not-running", name = name),
            ClientError::VmmMissing(m) => t!("error-vmm-missing", detail = m.as_str()),
            ClientError::Exited(info) => t!(
                "error-vmm-exited",
                name = name,
                meaning = crate::data::vms::exit_meaning(info)
            ),
            ClientError::Api { message, .. } => {
                t!("error-api", name = name, detail = message.as_str())
            }
            ClientError::Other(m) => t!("error-api", name = name, detail = m.as_str()),
        }
    }

    /// Loads a VM's snapshots: from its VMM when it runs, else from its folder.
    fn load_snapshots(&self, id: &str) -> Task<Message> {
        let client = self.client.clone();
        let active = self.vms.is_active(id);
        let dir = self.paths.vm_dir(id);
        let id = id.to_string();
        blocking(move || {
            let r = if active {
                match client.call(&id, ListSnapshots {}) {
                    Ok(list) => Ok(SnapshotList::from_api(list)),
                    // Still starting, or just gone: the folder has the same list.
                    Err(ClientError::NotRunning) => Ok(SnapshotList::from_disk(&dir)),
                    Err(e) => Err(e.to_string()),
                }
            } else {
                Ok(SnapshotList::from_disk(&dir))
            };
            Message::Snapshots(id, r)
        })
    }

    /// Carries out a snapshot operation: through the API when the VM runs; on a stopped VM,
    /// rename and delete work on its folder and revert starts it from the snapshot.
    fn snapshot_op(&mut self, id: String, op: SnapOp) -> Task<Message> {
        if op == SnapOp::Refresh {
            return self.load_snapshots(&id);
        }
        let active = self.vms.is_active(&id);
        if !active {
            if let SnapOp::Revert(snap) = &op {
                return self.start_from(id, Some(snap.clone()));
            }
        }
        let client = self.client.clone();
        let dir = self.paths.vm_dir(&id);
        blocking(move || {
            let command: Command = match &op {
                SnapOp::Refresh => ListSnapshots {}.into(),
                SnapOp::Take { name, description } => SnapshotCreate {
                    name: name.clone(),
                    description: description.clone(),
                }
                .into(),
                SnapOp::Revert(s) => SnapshotRevert {
                    snapshot: s.clone(),
                }
                .into(),
                SnapOp::Rename(s, name) => SnapshotRename {
                    snapshot: s.clone(),
                    name: name.clone(),
                }
                .into(),
                SnapOp::Delete(s) => SnapshotDelete {
                    snapshot: s.clone(),
                }
                .into(),
            };
            let result = if active {
                client.send(&id, command).map_err(|e| e.to_string())
            } else {
                // What the VMM would answer, done on the folder.
                match &op {
                    SnapOp::Rename(s, name) => vmm_core::snapshot::rename(&dir, s, name)
                        .map(|()| SnapshotRename::wrap(Empty {}))
                        .map_err(|e| e.to_string()),
                    SnapOp::Delete(s) => vmm_core::snapshot::delete(&dir, s)
                        .map(|()| SnapshotDelete::wrap(Empty {}))
                        .map_err(|e| e.to_string()),
                    _ => Err(t!("snap-needs-running")),
                }
            };
            Message::SnapshotDone { id, op, result }
        })
    }

    fn details_mut(&mut self, id: &str) -> Option<&mut Details> {
        match &mut self.screen {
            Screen::Details(d) | Screen::Console(_, d) if d.id == id => Some(d),
            _ => None,
        }
    }

    /// Asks the VMM for a PNG of the screen, in the Pictures folder.
    fn screenshot(&self, id: String) -> Task<Message> {
        let dir = directories::UserDirs::new()
            .and_then(|u| u.picture_dir().map(|p| p.to_path_buf()))
            .filter(|p| p.is_dir())
            .unwrap_or_else(|| self.paths.vm_dir(&id));
        let stamp = crate::data::snapshots::local_time(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or(0),
        )
        .replace([' ', ':'], "-");
        let path = dir.join(format!("vmdesk-{id}-{stamp}.png"));
        self.api(
            id,
            Screenshot {
                path: path.display().to_string(),
            }
            .into(),
        )
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
                    wizard::Action::Create(cfg, plan) => {
                        let paths = self.paths.clone();
                        blocking(move || {
                            crate::data::disks::create_vm(&paths, &cfg, plan.as_ref()).map(Box::new)
                        })
                        .map(Message::Created)
                    }
                }
            }
            Message::Created(r) => {
                match r {
                    Ok(cfg) => {
                        self.reload();
                        if matches!(self.screen, Screen::Wizard(_)) {
                            self.screen = Screen::Library;
                        }
                        self.notice(t!("notice-created", name = cfg.name.as_str()), false, None);
                    }
                    Err(e) => {
                        if let Screen::Wizard(w) = &mut self.screen {
                            w.busy = false;
                            w.error = Some(t!("error-create", detail = e));
                        }
                    }
                }
                Task::none()
            }
            Message::Cloned(r) => {
                self.library.cloning = None;
                match r {
                    Ok(name) => self.notice(t!("notice-cloned", name = name), false, None),
                    Err(e) => self.notice(t!("error-clone", detail = e), true, None),
                }
                self.reload();
                Task::none()
            }
            Message::SettingsSaved(id, r) => {
                if let Some(d) = self.details_mut(&id) {
                    d.saved = Some(r);
                    d.saving = false;
                }
                self.reload();
                if let (Some(cfg), Some(d)) = (
                    self.vms.get(&id).and_then(|e| e.config.clone().ok()),
                    self.details_mut(&id),
                ) {
                    d.saved_config(&cfg);
                }
                Task::none()
            }
            Message::Details(m) => {
                let Screen::Details(d) = &mut self.screen else {
                    return Task::none();
                };
                let (task, action) = d.update(m, &self.vms, &self.host);
                let task = task.map(Message::Details);
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
                    details::Action::Start(id) => self.start(id),
                    details::Action::Api(id, c) => self.api(id, c),
                    details::Action::Snapshot(id, op) => {
                        Task::batch([task, self.snapshot_op(id, op)])
                    }
                    details::Action::Copy(text) => {
                        self.notice(t!("notice-copied"), false, None);
                        iced::clipboard::write(text)
                    }
                    details::Action::OpenScreen(id) => {
                        let screen = std::mem::replace(&mut self.screen, Screen::Library);
                        if let Screen::Details(d) = screen {
                            self.screen = Screen::Console(Box::new(Console::new(&id)), d);
                        }
                        Task::none()
                    }
                }
            }
            Message::Console(m) => {
                let Screen::Console(c, _) = &mut self.screen else {
                    return Task::none();
                };
                let (task, action) = c.update(m);
                let task = task.map(Message::Console);
                match action {
                    console::Action::None => task,
                    console::Action::Back => {
                        let was_full = c.fullscreen;
                        let screen = std::mem::replace(&mut self.screen, Screen::Library);
                        if let Screen::Console(_, d) = screen {
                            self.screen = Screen::Details(d);
                        }
                        if was_full {
                            set_fullscreen(false)
                        } else {
                            Task::none()
                        }
                    }
                    console::Action::Fullscreen(on) => set_fullscreen(on),
                    console::Action::Screenshot(id) => self.screenshot(id),
                }
            }
            Message::Check(m) => match m {
                crate::ui::screen::check::Message::Again => {
                    blocking(|| check::findings(&check::gather())).map(Message::Checked)
                }
                crate::ui::screen::check::Message::Continue => {
                    if let Screen::Check(found) = &self.screen {
                        for f in found {
                            if !self
                                .settings
                                .accepted_warnings
                                .iter()
                                .any(|a| a == f.code())
                            {
                                self.settings.accepted_warnings.push(f.code().to_string());
                            }
                        }
                        if let Err(e) = self.settings.save(&self.paths.settings_file()) {
                            self.notice(t!("error-settings", detail = e.to_string()), true, None);
                        }
                    }
                    self.checked(Vec::new());
                    Task::none()
                }
            },
            Message::Checked(found) => {
                self.checked(found);
                Task::none()
            }
            Message::Snapshots(id, r) => {
                if let Some(d) = self.details_mut(&id) {
                    match r {
                        Ok(l) => {
                            d.snaps.list = l;
                            d.snaps.error = None;
                        }
                        Err(e) => d.snaps.error = Some(t!("snap-error", detail = e)),
                    }
                }
                Task::none()
            }
            Message::SnapshotDone { id, op, result } => {
                if let Some(d) = self.details_mut(&id) {
                    if matches!(op, SnapOp::Take { .. }) {
                        d.snaps.busy = false;
                    }
                    d.snaps.error = result
                        .as_ref()
                        .err()
                        .map(|e| t!("snap-error", detail = e.as_str()));
                }
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
                Task::batch([self.load_snapshots(&id), self.poll()])
            }
            Message::Tick => {
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
                let due = self
                    .thumbs_at
                    .is_none_or(|t| t.elapsed() >= Duration::from_secs(thumbs::EVERY_SECS));
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
                if let Some(r) = record {
                    rt.last_exit = Some(r);
                }
                if let Err(e) = result {
                    let text = self.error_text(&id, &e);
                    self.notice(text, true, None);
                }
                if self.details_mut(&id).is_some() {
                    // The current snapshot may have changed (a start from a snapshot).
                    return Task::batch([self.poll(), self.load_snapshots(&id)]);
                }
                self.poll()
            }
            Message::Guest(id, event) => {
                match event {
                    Event::Serial { data } => {
                        if let Some(d) = self.details_mut(&id) {
                            d.push_serial(&client::decode_serial(&data));
                        }
                    }
                    Event::State { state } => {
                        if let Some(Runtime {
                            status: Some(s), ..
                        }) = self.vms.runtime.get_mut(&id)
                        {
                            s.state = state;
                        }
                    }
                    Event::Exited { .. } => return self.poll(),
                }
                Task::none()
            }
            Message::Thumbs(list) => {
                for (id, t) in list {
                    let h = iced::widget::image::Handle::from_rgba(t.width, t.height, t.rgba);
                    self.library.thumbs.insert(id, h);
                }
                Task::none()
            }
            Message::Counters(id, r) => {
                if let (Some(d), Ok(c)) = (self.details_mut(&id), r) {
                    d.stats.push(&c);
                }
                Task::none()
            }
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
                    iced::widget::operation::focus(crate::ui::form::Field::Name.id())
                }
                Shortcut::Search => {
                    self.screen = Screen::Library;
                    iced::widget::operation::focus(library::SEARCH_ID)
                }
            },
            Message::DismissNotice(n) => {
                self.notices.retain(|x| x.id != n);
                Task::none()
            }
            Message::ForceOff(n, id) => {
                self.notices.retain(|x| x.id != n);
                self.api(id, vmm_core::api::Kill {}.into())
            }
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
            Action::Open(id) => self.open_details(&id),
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
            } => {
                let Some(Ok(cfg)) = self.vms.get(&source).map(|e| e.config.clone()) else {
                    return Task::none();
                };
                let id = store::derive_id(&name, &self.vms.ids());
                let progress = crate::data::disks::SharedProgress::default();
                self.library.cloning = Some((name.trim().to_string(), progress.clone()));
                let paths = self.paths.clone();
                blocking(move || {
                    crate::data::disks::clone_vm(&paths, &cfg, &id, &name, linked, &progress)
                        .map(|c| c.name)
                })
                .map(Message::Cloned)
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

    /// Starts a VM again after its VMM ended with a reset (the guest rebooted, or Restart was
    /// pressed) — unless it keeps resetting.
    fn restart_after_reset(&mut self, id: String) -> Task<Message> {
        let rt = self.vms.runtime.entry(id.clone()).or_default();
        if !rt.reset_allows_restart(std::time::Instant::now()) {
            let count = rt.resets.len().to_string();
            let name = self.name_of(&id);
            self.notice(
                t!("notice-reset-loop", name = name, count = count),
                true,
                None,
            );
            return Task::none();
        }
        self.start(id)
    }

    /// Takes in what a poll found; returns the VMs to start again after a reset.
    fn apply_poll(&mut self, p: Poll) -> Vec<String> {
        let mut restart = Vec::new();
        self.vms.entries = p.entries;
        for (id, st) in p.statuses {
            let rt = self.vms.runtime.entry(id).or_default();
            if st.is_some() {
                rt.starting = false;
            }
            rt.status = st;
        }
        for (id, rec) in p.exits {
            let rt = self.vms.runtime.entry(id.clone()).or_default();
            rt.status = None;
            rt.starting = false;
            if rec.info.code == Some(vmm_core::api::exit_code::RESET) {
                restart.push(id.clone());
            }
            rt.last_exit = Some(rec);
        }
        let known: HashSet<String> = self.vms.ids().into_iter().collect();
        self.vms.runtime.retain(|id, _| known.contains(id));
        self.library.thumbs.retain(|id, _| known.contains(id));
        restart.retain(|id| known.contains(id));
        restart
    }

    pub fn view(&self) -> Element<'_, Message> {
        let (header, body): (Element<'_, Message>, Element<'_, Message>) = match &self.screen {
            Screen::Library => (
                self.library
                    .header(self.settings.language.as_deref())
                    .map(Message::Library),
                self.library.body(&self.vms).map(Message::Library),
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
            Screen::Check(found) => (
                container(row![style::header_title(t!("app-title"))].align_y(Alignment::Center))
                    .padding([14, 16])
                    .center_x(Length::Fill)
                    .style(style::header)
                    .into(),
                crate::ui::screen::check::view(found).map(Message::Check),
            ),
            Screen::Console(c, _) => {
                let name = self.vms.get(&c.id).map(|e| e.name()).unwrap_or(&c.id);
                let body = c.view(self.vms.state(&c.id), name).map(Message::Console);
                return self.with_notices(body);
            }
        };
        let col = column![header, self.with_notices(body)].height(Length::Fill);
        col.into()
    }

    /// The notices above `body`.
    fn with_notices<'a>(&'a self, body: Element<'a, Message>) -> Element<'a, Message> {
        let mut col = column![].height(Length::Fill);
        if !self.notices.is_empty() {
            let mut notes = column![].spacing(8).max_width(960);
            for n in &self.notices {
                let mut r = row![text(n.text.clone()).size(14).width(Length::Fill)]
                    .spacing(8)
                    .align_y(Alignment::Center);
                if let Some(id) = &n.force_off {
                    r = r.push(
                        button(text(t!("button-force-off")).size(13))
                            .padding([6, 12])
                            .style(style::destructive)
                            .on_press(Message::ForceOff(n.id, id.clone())),
                    );
                }
                r = r.push(
                    button(text(t!("button-dismiss")).size(13))
                        .padding([6, 12])
                        .style(style::pill)
                        .on_press(Message::DismissNotice(n.id)),
                );
                notes = notes.push(container(r).padding([8, 14]).width(Length::Fill).style(
                    style::banner(if n.error { style::RED } else { style::ACCENT }),
                ));
            }
            col = col.push(container(notes).padding([12, 24]).center_x(Length::Fill));
        }
        col.push(body).into()
    }

    pub fn subscription(&self) -> Subscription<Message> {
        let mut subs = vec![iced::time::every(Duration::from_secs(1)).map(|_| Message::Tick)];
        if crate::ui::trace::enabled() {
            subs.push(crate::ui::trace::frames());
        }
        match &self.screen {
            // While the guest has the keyboard, the app's shortcuts are the guest's keys.
            Screen::Console(c, _) => {
                subs.push(iced::event::listen_with(console::keys).map(Message::Console));
                if !c.grabbed {
                    subs.push(iced::event::listen_with(shortcut));
                }
                if let Some(pid) = self
                    .vms
                    .runtime(&c.id)
                    .and_then(|r| r.status.as_ref())
                    .map(|s| s.pid)
                {
                    subs.push(
                        Subscription::run_with(
                            crate::ui::vnc::ScreenKey {
                                vm: c.id.clone(),
                                pid,
                                socket: self.paths.vnc_socket(&c.id),
                            },
                            crate::ui::vnc::connect,
                        )
                        .map(|e| Message::Console(console::Message::Vnc(e))),
                    );
                }
            }
            _ => subs.push(iced::event::listen_with(shortcut)),
        }
        let details = match &self.screen {
            Screen::Details(d) | Screen::Console(_, d) => Some(d),
            _ => None,
        };
        if let Some(d) = details {
            if let Some(pid) = self
                .vms
                .runtime(&d.id)
                .and_then(|r| r.status.as_ref())
                .map(|s| s.pid)
            {
                subs.push(Subscription::run_with(
                    GuestKey {
                        id: d.id.clone(),
                        pid,
                        client: self.client.clone(),
                    },
                    guest_stream,
                ));
            }
        }
        Subscription::batch(subs)
    }
}

pub fn shortcut(
    event: iced::Event,
    _: iced::event::Status,
    _: iced::window::Id,
) -> Option<Message> {
    let iced::Event::Keyboard(keyboard::Event::KeyPressed { key, modifiers, .. }) = event else {
        return None;
    };
    if !modifiers.control() {
        return None;
    }
    match key.as_ref() {
        Key::Character("n") => Some(Message::Shortcut(Shortcut::New)),
        Key::Character("f") => Some(Message::Shortcut(Shortcut::Search)),
        Key::Character("q") => Some(Message::Shortcut(Shortcut::Quit)),
        _ => None,
    }
}

/// Identifies one VMM's event stream: a new VMM (new pid) gets a new subscription.
struct GuestKey {
    id: String,
    pid: u32,
    client: Arc<dyn VmmClient>,
}

impl Hash for GuestKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id.hash(state);
        self.pid.hash(state);
    }
}

fn guest_stream(key: &GuestKey) -> impl iced::futures::Stream<Item = Message> + use<> {
    let client = key.client.clone();
    let id = key.id.clone();
    iced::stream::channel(256, async move |mut out| {
        let (tx, rx) = iced::futures::channel::mpsc::channel::<Event>(256);
        let sub_id = id.clone();
        std::thread::spawn(move || {
            if let Ok(events) = client.subscribe(&sub_id) {
                let mut tx = tx;
                for ev in events {
                    if iced::futures::executor::block_on(tx.send(ev)).is_err() {
                        break;
                    }
                }
            }
        });
        // Every message rebuilds and redraws the window, and a chatty guest sends many small
        // serial chunks: what arrives within 50 ms goes as one message (20 a second at most;
        // a delay nobody notices in a terminal, and no competition for the console's frames).
        let mut batches = rx.ready_chunks(256);
        while let Some(batch) = batches.next().await {
            for ev in merge_serial(batch) {
                if out.send(Message::Guest(id.clone(), ev)).await.is_err() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
}

/// Joins consecutive serial chunks into one (the order of all events kept).
fn merge_serial(events: Vec<Event>) -> Vec<Event> {
    let mut out: Vec<Event> = Vec::with_capacity(events.len());
    let mut bytes: Vec<u8> = Vec::new();
    let flush = |bytes: &mut Vec<u8>, out: &mut Vec<Event>| {
        if !bytes.is_empty() {
            out.push(Event::Serial {
                data: client::encode_serial(&std::mem::take(bytes)),
            });
        }
    };
    for ev in events {
        match ev {
            Event::Serial { data } => bytes.extend(client::decode_serial(&data)),
            other => {
                flush(&mut bytes, &mut out);
                out.push(other);
            }
        }
    }
    flush(&mut bytes, &mut out);
    out
}

/// Runs the GUI.
pub fn run(paths: Paths) -> iced::Result {
    let client: Arc<dyn VmmClient> = Arc::new(client::SocketClient::new(paths.clone()));
    iced::application(
        move || App::boot(paths.clone(), client.clone()),
        App::update,
        App::view,
    )
    .title(App::title)
    .subscription(App::subscription)
    .theme(|_: &App| style::theme())
    .window(window_settings())
    .run()
}

/// The freedesktop application id: names the .desktop file, the icon, and the window
/// (Wayland app_id, X11 WM_CLASS).
pub const APP_ID: &str = "io.github.vmdesk.Vmdesk";

pub fn window_settings() -> iced::window::Settings {
    iced::window::Settings {
        size: iced::Size::new(1280.0, 800.0),
        min_size: Some(iced::Size::new(760.0, 520.0)),
        platform_specific: iced::window::settings::PlatformSpecific {
            application_id: APP_ID.into(),
            ..Default::default()
        },
        ..Default::default()
    }
}

/// Puts the (only) window into or out of fullscreen.
fn set_fullscreen(on: bool) -> Task<Message> {
    let mode = if on {
        iced::window::Mode::Fullscreen
    } else {
        iced::window::Mode::Windowed
    };
    iced::window::latest().then(move |id| match id {
        Some(id) => iced::window::set_mode(id, mode),
        None => Task::none(),
    })
}

#[cfg(test)]
mod serial_tests {
    use super::*;

    #[test]
    fn consecutive_serial_chunks_merge_and_other_events_keep_their_place() {
        let ser = |s: &str| Event::Serial {
            data: client::encode_serial(s.as_bytes()),
        };
        let got = merge_serial(vec![
            ser("FRA"),
            ser("ME 6"),
            ser("4\n"),
            Event::State {
                state: vmm_core::api::RunState::Paused,
            },
            ser("x"),
        ]);
        assert_eq!(got.len(), 3);
        let Event::Serial { data } = &got[0] else {
            panic!("serial first: {got:?}")
        };
        assert_eq!(client::decode_serial(data), b"FRAME 64\n");
        assert!(matches!(got[1], Event::State { .. }));
        assert!(matches!(&got[2], Event::Serial { data } if client::decode_serial(data) == b"x"));
    }
}
