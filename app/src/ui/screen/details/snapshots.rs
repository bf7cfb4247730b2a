//! The snapshots tab: the VM's snapshot tree, taking one, and reverting to, renaming or
//! deleting one (each with a confirmation where it loses something).

use crate::data::snapshots::{self, SnapshotList};
use crate::t;
use crate::ui::style;
use crate::ui::style::{bold, mono};
use crate::ui::widget::section_title;
use iced::widget::{button, column, container, image, row, scrollable, text, text_input, Space};
use iced::{Alignment, Element, Length, Task};

type ButtonStyle = fn(&iced::Theme, button::Status) -> button::Style;

pub const SNAP_NAME_ID: &str = "snapshot-name";
pub const SNAP_DESC_ID: &str = "snapshot-description";
pub const SNAP_RENAME_ID: &str = "snapshot-rename";

/// The snapshot tab's state.
#[derive(Debug, Clone, Default)]
pub struct Snapshots {
    pub list: SnapshotList,
    /// Why the last list or operation failed.
    pub error: Option<String>,
    pub name: String,
    pub description: String,
    /// A snapshot is being taken (the button waits).
    pub busy: bool,
    pub confirm: Option<Confirm>,
    /// The snapshot being renamed and the new name typed so far.
    pub renaming: Option<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirm {
    Revert(String),
    Delete(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Name(String),
    Description(String),
    Take,
    Refresh,
    AskRevert(String),
    AskDelete(String),
    Confirm,
    Cancel,
    Rename(String),
    RenameInput(String),
    RenameSave,
    RenameCancel,
    /// The VM's snapshots were read, or why not.
    Listed(Result<SnapshotList, String>),
    /// An operation ended: the error, if it failed.
    Done(SnapOp, Option<String>),
}

/// What the details screen has to pass on.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    None,
    /// Carry out this operation on the VM.
    Op(SnapOp),
}

/// A snapshot operation the app carries out: through the API when the VM runs, else on the
/// VM's folder (rename, delete) or by starting it (revert = start from the snapshot).
#[derive(Debug, Clone, PartialEq)]
pub enum SnapOp {
    Refresh,
    Take { name: String, description: String },
    Revert(String),
    Rename(String, String),
    Delete(String),
}

impl Snapshots {
    pub fn update(&mut self, m: Message, running: bool) -> (Task<Message>, Action) {
        let s = self;
        let action = match m {
            Message::Name(v) => {
                s.name = v;
                Action::None
            }
            Message::Description(v) => {
                s.description = v;
                Action::None
            }
            Message::Take => {
                if !running || s.busy {
                    return (Task::none(), Action::None);
                }
                s.busy = true;
                s.error = None;
                Action::Op(SnapOp::Take {
                    name: std::mem::take(&mut s.name).trim().to_string(),
                    description: std::mem::take(&mut s.description).trim().to_string(),
                })
            }
            Message::Refresh => Action::Op(SnapOp::Refresh),
            Message::AskRevert(snap) => {
                s.confirm = Some(Confirm::Revert(snap));
                Action::None
            }
            Message::AskDelete(snap) => {
                s.confirm = Some(Confirm::Delete(snap));
                Action::None
            }
            Message::Cancel => {
                s.confirm = None;
                Action::None
            }
            Message::Confirm => match s.confirm.take() {
                Some(Confirm::Revert(snap)) => Action::Op(SnapOp::Revert(snap)),
                Some(Confirm::Delete(snap)) => Action::Op(SnapOp::Delete(snap)),
                None => Action::None,
            },
            Message::Rename(snap) => {
                let name = s
                    .list
                    .get(&snap)
                    .map(|x| x.name.clone())
                    .unwrap_or_default();
                s.renaming = Some((snap, name));
                return (iced::widget::operation::focus(SNAP_RENAME_ID), Action::None);
            }
            Message::RenameInput(v) => {
                if let Some((_, name)) = &mut s.renaming {
                    *name = v;
                }
                Action::None
            }
            Message::RenameSave => match s.renaming.take() {
                Some((snap, name)) if !name.trim().is_empty() => {
                    Action::Op(SnapOp::Rename(snap, name.trim().to_string()))
                }
                _ => Action::None,
            },
            Message::RenameCancel => {
                s.renaming = None;
                Action::None
            }
            Message::Listed(r) => {
                match r {
                    Ok(l) => {
                        s.list = l;
                        s.error = None;
                    }
                    Err(e) => s.error = Some(t!("snap-error", detail = e)),
                }
                Action::None
            }
            Message::Done(op, error) => {
                if matches!(op, SnapOp::Take { .. }) {
                    s.busy = false;
                }
                s.error = error.map(|e| t!("snap-error", detail = e));
                Action::None
            }
        };
        (Task::none(), action)
    }

    pub fn view<'a>(
        &'a self,
        vm_dir: Option<&'a std::path::Path>,
        running: bool,
        has_nics: bool,
    ) -> Element<'a, Message> {
        let s = self;
        let mut col = column![row![
            section_title(t!("snap-title")),
            Space::new().width(Length::Fill),
            button(text(t!("snap-refresh")).size(13))
                .padding([4, 10])
                .style(style::flat)
                .on_press(Message::Refresh),
        ]
        .align_y(Alignment::Center)]
        .spacing(10);
        col = col.push(
            text(t!("snap-intro"))
                .size(13)
                .color(style::ink(style::GREY)),
        );
        // Taking one.
        let mut name = text_input(&t!("snap-name-placeholder"), &s.name)
            .id(SNAP_NAME_ID)
            .padding([7, 10])
            .size(14)
            .style(style::input);
        let mut desc = text_input(&t!("snap-description-placeholder"), &s.description)
            .id(SNAP_DESC_ID)
            .padding([7, 10])
            .size(14)
            .style(style::input);
        let mut take = button(
            text(if s.busy {
                t!("snap-taking")
            } else {
                t!("snap-take")
            })
            .size(14),
        )
        .padding([7, 14])
        .style(style::suggested);
        if running {
            name = name.on_input(Message::Name).on_submit(Message::Take);
            desc = desc.on_input(Message::Description).on_submit(Message::Take);
            if !s.busy {
                take = take.on_press(Message::Take);
            }
        }
        col = col.push(
            row![
                container(name).width(Length::FillPortion(2)),
                container(desc).width(Length::FillPortion(3)),
                take
            ]
            .spacing(8)
            .align_y(Alignment::Center),
        );
        if !running {
            col = col.push(
                text(t!("snap-stopped-hint"))
                    .size(13)
                    .color(style::ink(style::DIM)),
            );
        }
        if let Some(e) = &s.error {
            col = col.push(
                container(text(e.clone()).size(13))
                    .padding([8, 12])
                    .width(Length::Fill)
                    .style(style::banner(style::RED)),
            );
        }
        if let Some(c) = &s.confirm {
            col = col.push(self.confirm_view(c, running, has_nics));
        }
        let mut list = column![].spacing(8);
        let tree = s.list.tree();
        if tree.is_empty() {
            list = list.push(
                container(text(t!("snap-none")).size(14).color(style::ink(style::DIM)))
                    .padding(20)
                    .center_x(Length::Fill),
            );
        }
        for (depth, item) in tree {
            list = list.push(self.snapshot_row(depth, item, vm_dir, running));
        }
        // Room for the scroll bar: it must not cover the rows' buttons.
        col = col.push(
            scrollable(list.padding(iced::Padding::default().right(12))).height(Length::Fill),
        );
        container(col)
            .padding(16)
            .height(Length::Fill)
            .width(Length::Fill)
            .style(style::card)
            .into()
    }

    fn confirm_view<'a>(
        &'a self,
        c: &Confirm,
        running: bool,
        has_nics: bool,
    ) -> Element<'a, Message> {
        let name_of = |id: &str| {
            self.list
                .get(id)
                .map(|s| s.name.clone())
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| id.to_string())
        };
        let (question, explain, yes, yes_style): (String, String, String, ButtonStyle) = match c {
            Confirm::Revert(id) if running => (
                t!("snap-revert-question", name = name_of(id)),
                // The network is not in a snapshot (README: Snapshots): the guest's
                // connections cannot survive going back in time.
                if has_nics {
                    format!(
                        "{} {}",
                        t!("snap-revert-explain"),
                        t!("snap-revert-explain-net")
                    )
                } else {
                    t!("snap-revert-explain")
                },
                t!("snap-revert"),
                style::destructive,
            ),
            Confirm::Revert(id) => (
                t!("snap-start-question", name = name_of(id)),
                t!("snap-start-explain"),
                t!("snap-start-here"),
                style::suggested,
            ),
            Confirm::Delete(id) => {
                let children = self.list.children(id);
                (
                    t!("snap-delete-question", name = name_of(id)),
                    if children > 0 {
                        t!("snap-delete-explain-children", count = (children as i64))
                    } else {
                        t!("snap-delete-explain")
                    },
                    t!("button-delete"),
                    style::destructive,
                )
            }
        };
        container(
            row![
                column![
                    text(question).size(14).font(bold()),
                    text(explain).size(13).color(style::ink(style::GREY)),
                ]
                .spacing(4)
                .width(Length::Fill),
                button(text(t!("button-cancel")).size(14))
                    .padding([7, 14])
                    .style(style::pill)
                    .on_press(Message::Cancel),
                button(text(yes).size(14))
                    .padding([7, 14])
                    .style(yes_style)
                    .on_press(Message::Confirm),
            ]
            .spacing(10)
            .align_y(Alignment::Center),
        )
        .padding(12)
        .style(style::banner(
            if matches!(c, Confirm::Delete(_)) || running {
                style::RED
            } else {
                style::ACCENT
            },
        ))
        .into()
    }

    fn snapshot_row<'a>(
        &'a self,
        depth: usize,
        item: &'a snapshots::Snapshot,
        vm_dir: Option<&std::path::Path>,
        running: bool,
    ) -> Element<'a, Message> {
        let current = self.list.current.as_deref() == Some(item.id.as_str());
        let thumb: Element<'a, Message> =
            match vm_dir.and_then(|d| snapshots::thumbnail(d, &item.id)) {
                Some(p) => container(
                    image(image::Handle::from_path(p))
                        .width(96)
                        .height(64)
                        .content_fit(iced::ContentFit::Contain),
                )
                .style(style::thumb)
                .into(),
                None => container(
                    text(t!("snap-no-screen"))
                        .size(11)
                        .color(style::ink(style::DIM)),
                )
                .center_x(96)
                .center_y(64)
                .style(style::thumb)
                .into(),
            };
        let mut info = column![].spacing(3).width(Length::Fill);
        if !item.complete {
            info = info
                .push(
                    row![
                        text(item.id.clone()).size(14).font(mono()),
                        container(text(t!("snap-incomplete")).size(12).font(bold()))
                            .padding([2, 8])
                            .style(style::badge(style::ORANGE)),
                    ]
                    .spacing(8)
                    .align_y(Alignment::Center),
                )
                .push(
                    text(t!(
                        "snap-incomplete-explain",
                        problem = item.problem.clone().unwrap_or_default()
                    ))
                    .size(12)
                    .color(style::ink(style::GREY)),
                );
        } else if let Some((rid, value)) = self.renaming.as_ref().filter(|(r, _)| r == &item.id) {
            let _ = rid;
            info = info.push(
                row![
                    text_input(&t!("snap-name-placeholder"), value)
                        .id(SNAP_RENAME_ID)
                        .on_input(Message::RenameInput)
                        .on_submit(Message::RenameSave)
                        .padding([5, 8])
                        .size(14)
                        .style(style::input),
                    button(text(t!("snap-rename-save")).size(13))
                        .padding([5, 10])
                        .style(style::suggested)
                        .on_press(Message::RenameSave),
                    button(text(t!("button-cancel")).size(13))
                        .padding([5, 10])
                        .style(style::pill)
                        .on_press(Message::RenameCancel),
                ]
                .spacing(6)
                .align_y(Alignment::Center),
            );
        } else {
            let mut title = row![text(item.name.clone()).size(15).font(bold())]
                .spacing(8)
                .align_y(Alignment::Center);
            if current {
                title = title.push(
                    container(text(t!("snap-current")).size(12).font(bold()))
                        .padding([2, 8])
                        .style(style::badge(style::ACCENT)),
                );
            }
            info = info.push(title);
        }
        if item.complete {
            let when = snapshots::local_time(item.created_unix_ms);
            let line = if item.description.is_empty() {
                when
            } else {
                format!("{when} · {}", item.description)
            };
            info = info.push(text(line).size(12).color(style::ink(style::GREY)));
        }
        let small =
            |label: String, m: Message, st: fn(&iced::Theme, button::Status) -> button::Style| {
                button(text(label).size(13))
                    .padding([5, 10])
                    .style(st)
                    .on_press(m)
            };
        let mut buttons = row![].spacing(4).align_y(Alignment::Center);
        if item.complete {
            buttons = buttons
                .push(small(
                    if running {
                        t!("snap-revert")
                    } else {
                        t!("snap-start-here")
                    },
                    Message::AskRevert(item.id.clone()),
                    style::pill,
                ))
                .push(small(
                    t!("snap-rename"),
                    Message::Rename(item.id.clone()),
                    style::flat,
                ));
        }
        buttons = buttons.push(small(
            t!("button-delete"),
            Message::AskDelete(item.id.clone()),
            style::flat,
        ));
        // One thin line per level, like a tree's branches.
        let mut indent = row![].spacing(0).height(64);
        for _ in 0..depth {
            indent = indent.push(
                container(
                    container(Space::new().width(2).height(Length::Fill)).style(style::tree_line),
                )
                .padding(iced::Padding::default().left(10).right(12))
                .height(Length::Fill),
            );
        }
        let mut line = row![].spacing(12).align_y(Alignment::Center);
        if depth > 0 {
            line = line.push(indent);
        }
        container(line.push(thumb).push(info).push(buttons))
            .padding([8, 10])
            .width(Length::Fill)
            .style(if current {
                style::row_current
            } else {
                style::row
            })
            .into()
    }
}
