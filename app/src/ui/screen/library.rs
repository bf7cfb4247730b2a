//! The library: every VM with its state, search, and the start/stop/delete buttons.

use crate::data::disks::{DiskDisposal, SharedProgress};
use crate::data::store::VmEntry;
use crate::data::thumbs::Thumb;
use crate::data::vms::Vms;
use crate::t;
use crate::ui::style::{self, bold};
use iced::widget::{
    button, column, container, pick_list, progress_bar, responsive, row, scrollable, text,
    text_input, toggler,
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
    /// Measure this VM beside a container (the comparison screen).
    Compare(String),
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
    /// Measure this VM beside a container (the comparison screen).
    Compare(String),
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
            Message::Compare(id) => Action::Compare(id),
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
                            text(t!("delete-explain"))
                                .size(13)
                                .color(style::ink(style::GREY)),
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
                            .color(style::ink(style::GREY)),
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
                    text(t!("library-empty-hint"))
                        .size(15)
                        .color(style::ink(style::GREY)),
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
                container(
                    text(t!("library-no-match"))
                        .size(15)
                        .color(style::ink(style::GREY)),
                )
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
                text(why).size(13).color(style::ink(if running {
                    style::ORANGE
                } else {
                    style::GREY
                })),
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

mod card;
use card::card;
#[cfg(test)]
pub use card::thumb_id;

#[cfg(test)]
mod logo_tests;
