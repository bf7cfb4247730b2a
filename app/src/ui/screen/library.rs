//! The library: every VM with its state, search, and the start/stop/delete buttons.

use crate::data::disks::{DiskDisposal, SharedProgress};
use crate::data::store::{self, VmEntry};
use crate::data::thumbs::Thumb;
use crate::data::vms::exit_meaning;
use crate::data::vms::{VmState, Vms};
use crate::t;
use crate::ui::style::{self, bold, mono};
use crate::ui::widget::{state_badge, state_label};
use iced::widget::{
    button, column, container, pick_list, progress_bar, responsive, row, scrollable, text,
    text_input, toggler, Space,
};
use iced::{Alignment, Element, Length};
use vmm_core::api::{self, Command};

pub const SEARCH_ID: &str = "library-search";
/// The language picker's frame (the layout tests find it by this).
pub const LANGUAGE_ID: &str = "library-language";
/// The header's height: its buttons (8 + 19.5 + 8) and padding (2 × 10), rounded up.
const HEADER: f32 = 56.0;

#[derive(Debug, Clone, Default)]
pub struct Library {
    pub search: String,
    /// The VM whose deletion waits for a yes.
    pub confirm_delete: Option<String>,
    /// Keep the deleted VM's disk images (else they go to the trash).
    pub keep_disks: bool,
    /// The clone dialog, while open.
    pub clone: Option<CloneDialog>,
    /// A clone being made: its name and how far the copy is.
    pub cloning: Option<(String, SharedProgress)>,
    /// Each VM's screen in small (see `data::thumbs`).
    pub thumbs: std::collections::HashMap<String, iced::widget::image::Handle>,
}

pub const CLONE_NAME_ID: &str = "clone-name";

#[derive(Debug, Clone, PartialEq)]
pub struct CloneDialog {
    pub source: String,
    pub name: String,
    pub linked: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Search(String),
    New,
    /// "Import…": a libvirt domain XML, chosen next.
    Import,
    Open(String),
    /// The VM's screen was clicked: its console, as GNOME Boxes does.
    OpenScreen(String),
    Start(String),
    Pause(String),
    Resume(String),
    PowerOff(String),
    ForceOff(String),
    Restart(String),
    AskDelete(String),
    CancelDelete,
    ConfirmDelete(String),
    KeepDisks(bool),
    AskClone(String),
    CloneName(String),
    CloneLinked(bool),
    CancelClone,
    ConfirmClone,
    DismissExit(String),
    Language(LanguageChoice),
    /// Shows or hides projector mode's panel.
    Projector,
    /// A clone finished: the new VM's name, or why it failed.
    Cloned(Result<String, String>),
    /// Thumbnails read or refreshed off the UI thread.
    Thumbs(Vec<(String, Thumb)>),
}

/// What the app has to do for the library.
#[derive(Debug, Clone)]
pub enum Action {
    None,
    New,
    Import,
    Open(String),
    OpenScreen(String),
    Start(String),
    Api(String, Command),
    Delete(String, DiskDisposal),
    Clone {
        source: String,
        name: String,
        linked: bool,
        /// How far the copy is (the library shows it).
        progress: SharedProgress,
    },
    /// A clone ended (the library is ready for another): the new VM's name, or why not.
    Cloned(Result<String, String>),
    /// Deleting was refused (the VM runs).
    Refused(String),
    DismissExit(String),
    SetLanguage(Option<String>),
    Projector,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LanguageChoice(pub Option<String>);

impl std::fmt::Display for LanguageChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            None => write!(f, "{}", t!("language-system")),
            Some(code) => {
                let name = crate::i18n::LANGUAGES
                    .iter()
                    .find(|(c, _)| c == code)
                    .map(|(_, n)| *n)
                    .unwrap_or(code);
                write!(f, "{name}")
            }
        }
    }
}

impl Library {
    pub fn update(&mut self, message: Message, vms: &Vms) -> Action {
        match message {
            Message::Search(s) => {
                self.search = s;
                Action::None
            }
            Message::New => Action::New,
            Message::Import => Action::Import,
            Message::Open(id) => Action::Open(id),
            Message::OpenScreen(id) => Action::OpenScreen(id),
            Message::Start(id) => Action::Start(id),
            Message::Pause(id) => Action::Api(id, api::Pause {}.into()),
            Message::Resume(id) => Action::Api(id, api::Resume {}.into()),
            Message::PowerOff(id) => Action::Api(id, api::PowerOff {}.into()),
            Message::ForceOff(id) => Action::Api(id, api::Kill {}.into()),
            // The VMM ends with the reset status and the app starts it again.
            Message::Restart(id) => Action::Api(id, api::Reset {}.into()),
            Message::AskDelete(id) => {
                if vms.is_active(&id) {
                    self.confirm_delete = None;
                    Action::Refused(id)
                } else {
                    self.confirm_delete = Some(id);
                    Action::None
                }
            }
            Message::CancelDelete => {
                self.confirm_delete = None;
                Action::None
            }
            Message::ConfirmDelete(id) => {
                self.confirm_delete = None;
                if vms.is_active(&id) {
                    Action::Refused(id)
                } else if self.keep_disks {
                    Action::Delete(id, DiskDisposal::Keep)
                } else {
                    Action::Delete(id, DiskDisposal::Trash)
                }
            }
            Message::KeepDisks(on) => {
                self.keep_disks = on;
                Action::None
            }
            Message::AskClone(id) => {
                let name = vms.get(&id).map(VmEntry::name).unwrap_or(&id);
                self.clone = Some(CloneDialog {
                    name: t!("clone-default-name", name = name),
                    linked: !vms.is_active(&id),
                    source: id,
                });
                Action::None
            }
            Message::CloneName(n) => {
                if let Some(c) = &mut self.clone {
                    c.name = n;
                }
                Action::None
            }
            Message::CloneLinked(on) => {
                if let Some(c) = &mut self.clone {
                    c.linked = on;
                }
                Action::None
            }
            Message::CancelClone => {
                self.clone = None;
                Action::None
            }
            Message::ConfirmClone => {
                let Some(c) = &self.clone else {
                    return Action::None;
                };
                if c.name.trim().is_empty() || self.cloning.is_some() {
                    return Action::None;
                }
                if c.linked && vms.is_active(&c.source) {
                    return Action::None;
                }
                let c = self.clone.take().expect("checked above");
                // A source without a readable config cannot be cloned: the dialog just closes.
                if !matches!(vms.get(&c.source).map(|e| &e.config), Some(Ok(_))) {
                    return Action::None;
                }
                let progress = SharedProgress::default();
                self.cloning = Some((c.name.trim().to_string(), progress.clone()));
                Action::Clone {
                    source: c.source,
                    name: c.name,
                    linked: c.linked,
                    progress,
                }
            }
            Message::DismissExit(id) => Action::DismissExit(id),
            Message::Language(LanguageChoice(l)) => Action::SetLanguage(l),
            Message::Projector => Action::Projector,
            Message::Cloned(r) => {
                self.cloning = None;
                Action::Cloned(r)
            }
            Message::Thumbs(list) => {
                for (id, t) in list {
                    let h = iced::widget::image::Handle::from_rgba(t.width, t.height, t.rgba);
                    self.thumbs.insert(id, h);
                }
                Action::None
            }
        }
    }

    /// Drops what it keeps of VMs that are gone.
    pub fn retain_vms(&mut self, known: &std::collections::HashSet<String>) {
        self.thumbs.retain(|id, _| known.contains(id));
    }

    fn matches(&self, e: &VmEntry) -> bool {
        let q = self.search.trim().to_lowercase();
        q.is_empty() || e.name().to_lowercase().contains(&q) || e.id.contains(&q)
    }

    pub fn header(&self, language: Option<&str>) -> Element<'_, Message> {
        let current = LanguageChoice(language.map(str::to_string));
        // Its height is fixed: `responsive` takes all the height it is given.
        container(responsive(move |size| {
            self.header_at(current.clone(), size.width)
        }))
        .height(HEADER)
        .padding([10, 16])
        .style(style::header)
        .into()
    }

    /// The header's row for a window `width` wide. Wide, the title sits in the middle; narrow
    /// (below 1000 px), the title takes what "New VM" and the search and language picker leave,
    /// so the picker keeps its natural width and the search at least 150 px in every language.
    fn header_at(&self, current: LanguageChoice, width: f32) -> Element<'_, Message> {
        let narrow = width < 1000.0;
        let mut choices = vec![LanguageChoice(None)];
        choices.extend(
            crate::i18n::LANGUAGES
                .iter()
                .map(|(c, _)| LanguageChoice(Some(c.to_string()))),
        );
        let side = if narrow { Length::Shrink } else { Length::Fill };
        row![
            container(
                row![
                    button(text(t!("library-new")).size(15))
                        .padding([8, 16])
                        .style(style::suggested)
                        .on_press(Message::New),
                    button(text(t!("projector-button")).size(14))
                        .padding([7, 12])
                        .style(style::pill)
                        .on_press(Message::Projector),
                ]
                .spacing(8)
                .align_y(Alignment::Center)
            )
            .width(side),
            container(style::header_title(t!("library-title")))
                .width(if narrow { Length::Fill } else { Length::Shrink })
                .center_x(if narrow { Length::Fill } else { Length::Shrink }),
            container(
                row![
                    text_input(&t!("library-search-placeholder"), &self.search)
                        .id(SEARCH_ID)
                        .on_input(Message::Search)
                        .padding([7, 10])
                        .size(14)
                        .width(if narrow { 150 } else { 240 })
                        .style(style::input),
                    container(
                        pick_list(choices, Some(current), Message::Language)
                            .text_size(14)
                            .padding([7, 10])
                    )
                    .id(LANGUAGE_ID),
                ]
                .spacing(8)
                .align_y(Alignment::Center)
            )
            .width(side)
            .align_x(iced::alignment::Horizontal::Right),
        ]
        .spacing(10)
        .align_y(Alignment::Center)
        .into()
    }

    pub fn body<'a>(&'a self, vms: &'a Vms) -> Element<'a, Message> {
        let mut list = column![].spacing(12).max_width(960);
        if let Some(id) = &self.confirm_delete {
            let name = vms.get(id).map(VmEntry::name).unwrap_or(id);
            list = list.push(
                container(
                    row![
                        column![
                            text(t!("delete-question", name = name))
                                .size(15)
                                .font(bold()),
                            text(t!("delete-explain")).size(13).color(style::GREY),
                            toggler(self.keep_disks)
                                .label(t!("delete-keep-disks"))
                                .size(18)
                                .text_size(13)
                                .on_toggle(Message::KeepDisks),
                            text(if self.keep_disks {
                                t!("delete-keep-hint")
                            } else {
                                t!("delete-trash-hint")
                            })
                            .size(12)
                            .color(style::GREY),
                        ]
                        .spacing(4)
                        .width(Length::Fill),
                        button(text(t!("button-cancel")).size(14))
                            .padding([8, 14])
                            .style(style::pill)
                            .on_press(Message::CancelDelete),
                        button(text(t!("button-delete")).size(14))
                            .padding([8, 14])
                            .style(style::destructive)
                            .on_press(Message::ConfirmDelete(id.clone())),
                    ]
                    .spacing(10)
                    .align_y(Alignment::Center),
                )
                .padding(14)
                .style(style::banner(style::RED)),
            );
        }
        if let Some(c) = &self.clone {
            list = list.push(self.clone_view(c, vms));
        }
        if let Some((name, p)) = &self.cloning {
            let pct = p.percent();
            list = list.push(
                container(
                    column![
                        text(t!(
                            "clone-busy",
                            name = name.as_str(),
                            percent = pct.to_string()
                        ))
                        .size(14),
                        progress_bar(0.0..=100.0, pct as f32).girth(6),
                    ]
                    .spacing(8),
                )
                .padding(14)
                .style(style::banner(style::ACCENT)),
            );
        }
        let shown: Vec<&VmEntry> = vms.entries.iter().filter(|e| self.matches(e)).collect();
        if vms.entries.is_empty() {
            return container(
                column![
                    text(t!("library-empty-title")).size(22).font(bold()),
                    text(t!("library-empty-hint")).size(15).color(style::GREY),
                    row![
                        button(text(t!("library-new")).size(15))
                            .padding([8, 16])
                            .style(style::suggested)
                            .on_press(Message::New),
                        import_button(),
                    ]
                    .spacing(8),
                ]
                .spacing(12)
                .align_x(Alignment::Center),
            )
            .center(Length::Fill)
            .into();
        }
        if shown.is_empty() {
            list = list.push(
                container(text(t!("library-no-match")).size(15).color(style::GREY))
                    .padding(24)
                    .center_x(Length::Fill),
            );
        }
        for e in shown {
            list = list.push(card(e, vms, &self.thumbs));
        }
        // Under the list (the header has no room left at 800 px in every language).
        list = list.push(container(import_button()).center_x(Length::Fill));
        scrollable(container(list).padding([20, 24]).center_x(Length::Fill))
            .height(Length::Fill)
            .into()
    }
}

/// "Import…": a VM from libvirt's domain XML.
fn import_button<'a>() -> Element<'a, Message> {
    let label = text(t!("library-import")).size(14);
    button(label)
        .padding([7, 12])
        .style(style::pill)
        .on_press(Message::Import)
        .into()
}

impl Library {
    fn clone_view<'a>(&'a self, c: &'a CloneDialog, vms: &'a Vms) -> Element<'a, Message> {
        let src = vms.get(&c.source).map(VmEntry::name).unwrap_or(&c.source);
        let running = vms.is_active(&c.source);
        let mut linked = toggler(c.linked)
            .label(t!("clone-linked"))
            .size(18)
            .text_size(14);
        if !running {
            linked = linked.on_toggle(Message::CloneLinked);
        }
        let why = if running {
            t!("clone-linked-running")
        } else if c.linked {
            t!("clone-linked-hint")
        } else {
            t!("clone-full-hint")
        };
        let ok = !c.name.trim().is_empty() && self.cloning.is_none() && !(c.linked && running);
        container(
            column![
                text(t!("clone-title", name = src)).size(15).font(bold()),
                row![
                    text(t!("form-name")).size(14).width(80),
                    text_input(&t!("form-name-placeholder"), &c.name)
                        .id(CLONE_NAME_ID)
                        .on_input(Message::CloneName)
                        .on_submit(Message::ConfirmClone)
                        .padding([7, 10])
                        .size(14)
                        .style(style::input),
                ]
                .spacing(10)
                .align_y(Alignment::Center),
                linked,
                text(why)
                    .size(13)
                    .color(if running { style::ORANGE } else { style::GREY }),
                row![
                    iced::widget::Space::new().width(Length::Fill),
                    button(text(t!("button-cancel")).size(14))
                        .padding([8, 14])
                        .style(style::pill)
                        .on_press(Message::CancelClone),
                    button(text(t!("button-clone")).size(14))
                        .padding([8, 14])
                        .style(style::suggested)
                        .on_press_maybe(ok.then_some(Message::ConfirmClone)),
                ]
                .spacing(10),
            ]
            .spacing(10),
        )
        .padding(14)
        .style(style::banner(style::ACCENT))
        .into()
    }
}

fn summary(e: &VmEntry) -> String {
    match &e.config {
        Ok(c) => t!(
            "library-summary",
            // A kernel VM runs Linux; a firmware VM's OS is the card's line above (or unknown).
            boot = match c.boot {
                vmm_core::config::BootSource::Linux { .. } =>
                    format!("Linux · {}", store::boot_summary(c)),
                _ => store::boot_summary(c),
            },
            vcpus = c.vcpus.to_string(),
            memory = c.memory_mib.to_string()
        ),
        Err(_) => e.dir.display().to_string(),
    }
}

fn action<'a>(
    label: String,
    msg: Message,
    style: fn(&iced::Theme, button::Status) -> button::Style,
) -> Element<'a, Message> {
    button(text(label).size(14))
        .padding([7, 14])
        .style(style)
        .on_press(msg)
        .into()
}

/// The logo of the OS a VM was made for, when one is known. Debian's osinfo-db names no logo
/// files, so this looks in the desktop's icon theme by the distribution's name in the OS id
/// (`http://debian.org/debian/12` → `debian-logo`, `distributor-logo-debian`, …), once per
/// id (views are drawn often). When `data::osinfo` finds logos itself, ask it first here.
fn os_logo(e: &VmEntry) -> Option<std::path::PathBuf> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static FOUND: OnceLock<Mutex<HashMap<String, Option<std::path::PathBuf>>>> = OnceLock::new();
    let os = e.config.as_ref().ok()?.os.as_ref()?;
    let mut found = FOUND.get_or_init(Default::default).lock().ok()?;
    found
        .entry(os.id.clone())
        .or_insert_with(|| icon_theme_logo(std::path::Path::new("/usr/share"), &os.id))
        .clone()
}

/// A PNG logo for the OS with osinfo-db id `id` in the icon theme under `share` (iced draws
/// PNGs here; SVG-only logos fall back to the initial).
fn icon_theme_logo(share: &std::path::Path, id: &str) -> Option<std::path::PathBuf> {
    let mut parts = id.trim_end_matches('/').rsplit('/');
    let _version = parts.next()?;
    let distro = parts.next()?.to_lowercase();
    if distro.is_empty()
        || !distro
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return None;
    }
    let names = [
        format!("distributor-logo-{distro}"),
        format!("{distro}-logo"),
        format!("{distro}-logo-icon"),
        distro.clone(),
    ];
    let sizes = ["128x128", "96x96", "64x64", "48x48", "256x256"];
    names.iter().find_map(|n| {
        sizes
            .iter()
            .map(|s| share.join(format!("icons/hicolor/{s}/apps/{n}.png")))
            .chain([share.join(format!("pixmaps/{n}.png"))])
            .find(|p| p.is_file())
    })
}

/// The widget id of a VM's thumbnail.
pub fn thumb_id(vm: &str) -> iced::widget::Id {
    iced::widget::Id::from(format!("thumb-{vm}"))
}

fn card<'a>(
    e: &'a VmEntry,
    vms: &'a Vms,
    thumbs: &'a std::collections::HashMap<String, iced::widget::image::Handle>,
) -> Element<'a, Message> {
    let state = vms.state(&e.id);
    let id = e.id.clone();
    let initial = e
        .name()
        .chars()
        .next()
        .map(|c| c.to_uppercase().to_string())
        .unwrap_or_default();
    let (_, color) = state_label(state);
    let avatar: Element<'a, Message> = match thumbs.get(&e.id) {
        // The screen as last seen; a stopped VM's is dimmed.
        Some(h) => container(
            iced::widget::image(h.clone())
                .width(Length::Fixed(crate::data::thumbs::MAX_W as f32))
                .height(Length::Fixed(crate::data::thumbs::MAX_H as f32))
                .opacity(if state == VmState::Running { 1.0 } else { 0.55 }),
        )
        .id(thumb_id(&e.id))
        .style(style::thumb)
        .into(),
        // The OS's logo when one is known, else the initial; the size of a thumbnail, so the
        // cards line up.
        None => match os_logo(e) {
            Some(logo) => container(
                iced::widget::image(iced::widget::image::Handle::from_path(logo))
                    .width(Length::Fixed(48.0))
                    .height(Length::Fixed(48.0)),
            ),
            None => container(text(initial).size(34).font(bold()).color(color)),
        }
        .center_x(crate::data::thumbs::MAX_W as f32)
        .center_y(crate::data::thumbs::MAX_H as f32)
        .style(style::placeholder(color))
        .into(),
    };
    // The screen opens the console of a VM that runs (its details otherwise, where it starts).
    let open = if vms.is_active(&e.id) && thumbs.contains_key(&e.id) {
        Message::OpenScreen(id.clone())
    } else {
        Message::Open(id.clone())
    };
    let avatar = button(avatar).padding(0).style(style::flat).on_press(open);
    let title = button(text(e.name().to_string()).size(17).font(bold()))
        .padding(0)
        .style(style::flat)
        .on_press(Message::Open(id.clone()));
    let mut info = column![row![title, state_badge(state)]
        .spacing(10)
        .align_y(Alignment::Center),]
    .spacing(4)
    .width(Length::Fill);
    // The OS it was made for (osinfo-db's name), under its name.
    if let Some(os) = e.config.as_ref().ok().and_then(|c| c.os.as_ref()) {
        info = info.push(text(os.name.clone()).size(14));
    }
    info = info.push(text(summary(e)).size(13).color(style::GREY));
    if let Err(err) = &e.config {
        let (first, _) = err.split_once('\n').unwrap_or((err, ""));
        let reason = err
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or(first);
        info = info.push(
            text(t!("library-broken", error = reason))
                .size(13)
                .color(style::RED),
        );
        if err.lines().count() > 1 {
            info = info.push(
                container(text(err.clone()).size(12).font(mono()))
                    .padding([6, 10])
                    .width(Length::Fill)
                    .style(style::banner(style::GREY)),
            );
        }
    }
    if let Some(x) = vms.runtime(&e.id).and_then(|r| r.last_exit.as_ref()) {
        if state == VmState::Stopped && !x.is_clean() {
            let mut ex = column![row![
                text(t!("library-last-exit", meaning = exit_meaning(&x.info)))
                    .size(13)
                    .color(style::RED)
                    .width(Length::Fill),
                button(text(t!("button-dismiss")).size(12))
                    .padding([2, 8])
                    .style(style::flat)
                    .on_press(Message::DismissExit(id.clone())),
            ]
            .align_y(Alignment::Center)]
            .spacing(2);
            let lines: Vec<&String> = x.log_tail.iter().chain(x.serial_tail.iter()).collect();
            if !lines.is_empty() {
                let joined = lines
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("\n");
                ex = ex.push(
                    container(text(joined).size(12).font(mono()))
                        .padding([6, 10])
                        .width(Length::Fill)
                        .style(style::banner(style::GREY)),
                );
            }
            info = info.push(ex);
        }
    }
    let mut buttons = row![].spacing(6).align_y(Alignment::Center);
    match state {
        VmState::Stopped => {
            buttons = buttons
                .push(action(
                    t!("button-start"),
                    Message::Start(id.clone()),
                    style::suggested,
                ))
                .push(action(
                    t!("button-clone"),
                    Message::AskClone(id.clone()),
                    style::pill,
                ))
                .push(action(
                    t!("button-delete"),
                    Message::AskDelete(id.clone()),
                    style::flat,
                ));
        }
        VmState::Running => {
            buttons = buttons
                .push(action(
                    t!("button-pause"),
                    Message::Pause(id.clone()),
                    style::pill,
                ))
                .push(action(
                    t!("button-power-off"),
                    Message::PowerOff(id.clone()),
                    style::pill,
                ))
                .push(action(
                    t!("button-restart"),
                    Message::Restart(id.clone()),
                    style::pill,
                ))
                .push(action(
                    t!("button-force-off"),
                    Message::ForceOff(id.clone()),
                    style::danger_soft,
                ));
        }
        VmState::Paused => {
            buttons = buttons
                .push(action(
                    t!("button-resume"),
                    Message::Resume(id.clone()),
                    style::suggested,
                ))
                .push(action(
                    t!("button-power-off"),
                    Message::PowerOff(id.clone()),
                    style::pill,
                ))
                .push(action(
                    t!("button-force-off"),
                    Message::ForceOff(id.clone()),
                    style::danger_soft,
                ));
        }
        VmState::Starting | VmState::Stopping => {
            buttons = buttons.push(action(
                t!("button-force-off"),
                Message::ForceOff(id.clone()),
                style::danger_soft,
            ));
        }
        VmState::Broken => {
            buttons = buttons.push(action(
                t!("button-delete"),
                Message::AskDelete(id.clone()),
                style::flat,
            ));
        }
    }
    if state != VmState::Broken {
        buttons = buttons.push(action(
            t!("button-details"),
            Message::Open(id.clone()),
            style::flat,
        ));
    }
    // The buttons under the name, not beside it: beside, at 800 px, they squeezed the name
    // and its state badge into a sliver (German "Läuft" was cut by them).
    let info = info.push(Space::new().height(4)).push(buttons.wrap());
    container(row![avatar, info].spacing(14).align_y(Alignment::Center))
        .padding([14, 16])
        .width(Length::Fill)
        .style(style::card)
        .into()
}

#[cfg(test)]
mod logo_tests {
    #[test]
    fn logos_come_from_the_icon_theme_by_the_distributions_name() {
        let share = tempfile::tempdir().unwrap();
        let apps = share.path().join("icons/hicolor/64x64/apps");
        std::fs::create_dir_all(&apps).unwrap();
        std::fs::create_dir_all(share.path().join("pixmaps")).unwrap();
        std::fs::write(apps.join("fedora-logo-icon.png"), b"png").unwrap();
        std::fs::write(share.path().join("pixmaps/debian-logo.png"), b"png").unwrap();
        let find = |id| super::icon_theme_logo(share.path(), id);
        assert_eq!(
            find("http://fedoraproject.org/fedora/40"),
            Some(apps.join("fedora-logo-icon.png"))
        );
        assert_eq!(
            find("http://debian.org/debian/12"),
            Some(share.path().join("pixmaps/debian-logo.png"))
        );
        assert_eq!(find("http://microsoft.com/win/11"), None);
        assert_eq!(find("http://x/../12"), None);
        assert_eq!(find("nonsense"), None);
    }
}
