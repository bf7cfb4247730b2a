//! The GUI: state, messages, update and view, wiring the screens to the store and the VMMs.

use crate::client::{self, ClientError, ExitInfo, VmmClient};
use crate::host::HostInfo;
use crate::paths::Paths;
use crate::screen::details::{self, Details};
use crate::screen::library::{self, Library};
use crate::screen::wizard::{self, Wizard};
use crate::settings::Settings;
use crate::store::{self, VmEntry};
use crate::style;
use crate::t;
use crate::vms::{ExitRecord, Runtime, Vms};
use iced::futures::{SinkExt, StreamExt};
use iced::keyboard::{self, Key};
use iced::widget::{button, column, container, row, text};
use iced::{Alignment, Element, Length, Subscription, Task};
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;
use vmm_core::api::{Command, Counters, Event, PowerOffResult, Status};

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
}

pub enum Screen {
    Library,
    Wizard(Box<Wizard>),
    Details(Box<Details>),
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
    Tick,
    Polled(Box<Poll>),
    Replied {
        id: String,
        command: Command,
        result: Result<serde_json::Value, ClientError>,
    },
    Started {
        id: String,
        result: Result<u32, ClientError>,
        record: Option<ExitRecord>,
    },
    Guest(String, Event),
    Counters(String, Result<Counters, ClientError>),
    Shortcut(Shortcut),
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

/// The exit record of a VM whose VMM just ended, with the last lines it and the guest wrote.
pub fn exit_record(
    paths: &Paths,
    entry: Option<&VmEntry>,
    id: &str,
    info: Option<ExitInfo>,
) -> ExitRecord {
    let cfg = entry.and_then(|e| e.config.as_ref().ok());
    let log_tail = store::tail(&paths.vmm_log(id), 4);
    let info = info.unwrap_or(ExitInfo {
        code: client::exit_code_from_log(&log_tail),
        signal: None,
    });
    ExitRecord {
        info,
        serial_tail: store::tail(&store::serial_log(paths, id, cfg), 6),
        log_tail,
    }
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
        }
    }

    /// The first poll finds VMs that kept running while the app was closed (reattach).
    pub fn boot(paths: Paths, client: Arc<dyn VmmClient>) -> (App, Task<Message>) {
        let mut app = App::new(paths, client, HostInfo::detect());
        crate::i18n::apply(app.settings.language.as_deref());
        let task = app.poll();
        (app, task)
    }

    pub fn title(&self) -> String {
        match &self.screen {
            Screen::Details(d) => format!(
                "{} – {}",
                self.vms.get(&d.id).map(|e| e.name()).unwrap_or(&d.id),
                t!("app-title")
            ),
            Screen::Wizard(_) => format!("{} – {}", t!("wizard-title"), t!("app-title")),
            Screen::Library => t!("app-title"),
        }
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
        let was_running: HashSet<String> = self
            .vms
            .runtime
            .iter()
            .filter(|(_, r)| r.status.is_some())
            .map(|(id, _)| id.clone())
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
            // Reattached VMMs are not our children: their status comes from vmm.log.
            for (id, st) in &statuses {
                if st.is_none() && was_running.contains(id) && !reaped_ids.contains(id) {
                    let e = entries.iter().find(|e| &e.id == id);
                    exits.push((id.clone(), exit_record(&paths, e, id, None)));
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

    fn counters(&self, id: &str) -> Task<Message> {
        let client = self.client.clone();
        let id = id.to_string();
        blocking(move || {
            let r = client.request(&id, Command::Counters).and_then(|v| {
                serde_json::from_value::<Counters>(v).map_err(|e| ClientError::Other(e.to_string()))
            });
            Message::Counters(id, r)
        })
    }

    fn api(&self, id: String, command: Command) -> Task<Message> {
        let client = self.client.clone();
        blocking(move || {
            let result = client.request(&id, command.clone());
            Message::Replied {
                id,
                command,
                result,
            }
        })
    }

    fn start(&mut self, id: String) -> Task<Message> {
        let rt = self.vms.runtime.entry(id.clone()).or_default();
        rt.starting = true;
        rt.last_exit = None;
        let client = self.client.clone();
        let paths = self.paths.clone();
        let entry = self.vms.get(&id).cloned();
        blocking(move || {
            let result = client.start(&id);
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
        self.screen = Screen::Details(Box::new(Details::new(
            id,
            cfg.as_ref(),
            &self.host,
            scrollback,
        )));
        if self.vms.is_active(id) {
            self.counters(id)
        } else {
            Task::none()
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
                meaning = library::exit_meaning(info)
            ),
            ClientError::Api { message, .. } => {
                t!("error-api", name = name, detail = message.as_str())
            }
            ClientError::Other(m) => t!("error-api", name = name, detail = m.as_str()),
        }
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
                    wizard::Action::Create(cfg) => match store::create(&self.paths, &cfg) {
                        Ok(()) => {
                            self.reload();
                            self.screen = Screen::Library;
                            self.notice(
                                t!("notice-created", name = cfg.name.as_str()),
                                false,
                                None,
                            );
                            Task::none()
                        }
                        Err(e) => {
                            if let Screen::Wizard(w) = &mut self.screen {
                                w.error = Some(t!("error-create", detail = e.to_string()));
                            }
                            Task::none()
                        }
                    },
                }
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
                    details::Action::Save(cfg) => {
                        let r = store::save(&self.paths, &cfg).map_err(|e| e.to_string());
                        if let Screen::Details(d) = &mut self.screen {
                            d.saved = Some(r);
                        }
                        self.reload();
                        Task::none()
                    }
                    details::Action::Start(id) => self.start(id),
                    details::Action::Api(id, c) => self.api(id, c),
                }
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
                self.apply_poll(*p);
                Task::none()
            }
            Message::Replied {
                id,
                command,
                result,
            } => {
                match (&command, result) {
                    (Command::PowerOff, Ok(v)) => {
                        let acked = serde_json::from_value::<PowerOffResult>(v)
                            .map(|r| r.guest_acknowledged)
                            .unwrap_or(false);
                        if !acked {
                            let name = self.name_of(&id);
                            self.notice(t!("notice-no-response", name = name), true, Some(id));
                        }
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
                self.poll()
            }
            Message::Guest(id, event) => {
                match event {
                    Event::Serial { data } => {
                        if let Screen::Details(d) = &mut self.screen {
                            if d.id == id {
                                d.push_serial(&client::decode_serial(&data));
                            }
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
            Message::Counters(id, r) => {
                if let (Screen::Details(d), Ok(c)) = (&mut self.screen, r) {
                    if d.id == id {
                        d.stats.push(&c);
                    }
                }
                Task::none()
            }
            Message::Shortcut(s) => match s {
                Shortcut::Quit => iced::exit(),
                Shortcut::New => {
                    if !matches!(self.screen, Screen::Wizard(_)) {
                        self.screen = Screen::Wizard(Box::new(Wizard::new(&self.host)));
                    }
                    iced::widget::operation::focus(crate::form::Field::Name.id())
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
                self.api(id, Command::Kill)
            }
        }
    }

    fn library_action(&mut self, action: library::Action) -> Task<Message> {
        use library::Action;
        match action {
            Action::None => Task::none(),
            Action::New => {
                self.screen = Screen::Wizard(Box::new(Wizard::new(&self.host)));
                Task::none()
            }
            Action::Open(id) => self.open_details(&id),
            Action::Start(id) => self.start(id),
            Action::Api(id, c) => self.api(id, c),
            Action::Delete(id) => {
                if self.vms.is_active(&id) {
                    return self.library_action(Action::Refused(id));
                }
                let name = self.name_of(&id);
                match store::delete(&self.paths, &id) {
                    Ok(()) => {
                        self.vms.runtime.remove(&id);
                        self.notice(t!("notice-deleted", name = name), false, None);
                    }
                    Err(e) => self.notice(
                        t!("error-delete", name = name, detail = e.to_string()),
                        true,
                        None,
                    ),
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

    fn apply_poll(&mut self, p: Poll) {
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
            rt.last_exit = Some(rec);
        }
        let known: HashSet<String> = self.vms.ids().into_iter().collect();
        self.vms.runtime.retain(|id, _| known.contains(id));
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
        };
        let mut col = column![header].height(Length::Fill);
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
        let mut subs = vec![
            iced::time::every(Duration::from_secs(1)).map(|_| Message::Tick),
            iced::event::listen_with(shortcut),
        ];
        if let Screen::Details(d) = &self.screen {
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
        let (tx, mut rx) = iced::futures::channel::mpsc::channel::<Event>(256);
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
        while let Some(ev) = rx.next().await {
            if out.send(Message::Guest(id.clone(), ev)).await.is_err() {
                break;
            }
        }
    })
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
    .window_size((1280.0, 800.0))
    .run()
}
