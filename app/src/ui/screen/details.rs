//! A VM's details: every setting (editable while stopped), and in tabs the serial console, the
//! snapshot tree, and live exit stats.

use crate::data::disks::DiskPlan;
use crate::data::host::HostInfo;
use crate::data::snapshots::{self, SnapshotList};
use crate::data::vms::exit_meaning;
use crate::data::vms::{VmState, Vms};
use crate::t;
use crate::ui::form::{self, VmForm};
use crate::ui::hardware::{self, Hardware};
use crate::ui::screen::stats::{self, Stats};
use crate::ui::style;
use crate::ui::style::{bold, mono};
use crate::ui::widget::state_badge;
use iced::widget::{button, column, container, image, row, scrollable, text, text_input, Space};
use iced::{Alignment, Element, Length, Task};
use vmm_core::api::{self, Command};
use vmm_core::config::VmConfig;

pub const CONSOLE_INPUT_ID: &str = "console-input";
pub const CONSOLE_ID: &str = "console";
type ButtonStyle = fn(&iced::Theme, button::Status) -> button::Style;

pub const SNAP_NAME_ID: &str = "snapshot-name";
pub const SNAP_DESC_ID: &str = "snapshot-description";
pub const SNAP_RENAME_ID: &str = "snapshot-rename";
/// Serial scrollback kept in memory.
const SCROLLBACK_BYTES: usize = 256 * 1024;
/// Lines drawn (the rest stays in the buffer and in serial.log).
const VISIBLE_LINES: usize = 400;

#[derive(Debug, Clone)]
pub struct Details {
    pub id: String,
    pub form: VmForm,
    pub problems: Vec<(form::Field, String)>,
    /// Disks, network and screen.
    pub hw: Hardware,
    pub hw_problems: Vec<(hardware::HwField, String)>,
    /// A save (maybe making a disk) is under way.
    pub saving: bool,
    /// Result of the last save, shown under the form.
    pub saved: Option<Result<(), String>>,
    pub serial: String,
    pub input: String,
    pub stats: Stats,
    pub tab: Tab,
    pub snaps: Snaps,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    #[default]
    Console,
    Snapshots,
    Activity,
}

/// The snapshot panel's state.
#[derive(Debug, Clone, Default)]
pub struct Snaps {
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
pub enum SnapMessage {
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

#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Back,
    Form(form::Message),
    Hw(hardware::Message),
    Save,
    Revert,
    Input(String),
    Send,
    ClearConsole,
    CopyConsole,
    Start,
    Pause,
    Resume,
    PowerOff,
    Restart,
    ForceOff,
    Tab(Tab),
    Snap(SnapMessage),
    OpenScreen,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    None,
    Back,
    /// Save this config, after making the disk it adds, if any.
    Save(Box<VmConfig>, Option<DiskPlan>),
    Start(String),
    Api(String, Command),
    Snapshot(String, SnapOp),
    OpenScreen(String),
    /// Put this text on the clipboard.
    Copy(String),
}

impl Details {
    pub fn new(id: &str, cfg: Option<&VmConfig>, host: &HostInfo, serial_log: String) -> Details {
        let form = cfg.map(VmForm::from_config).unwrap_or_default();
        let problems = form.problems(host);
        let hw = cfg.map(Hardware::from_config).unwrap_or_default();
        let mut d = Details {
            id: id.to_string(),
            form,
            problems,
            hw_problems: hw.problems(),
            hw,
            saving: false,
            saved: None,
            serial: String::new(),
            input: String::new(),
            stats: Stats::default(),
            tab: Tab::default(),
            snaps: Snaps::default(),
        };
        d.push_serial(serial_log.as_bytes());
        d
    }

    pub fn update(
        &mut self,
        message: Message,
        vms: &Vms,
        host: &HostInfo,
    ) -> (Task<Message>, Action) {
        let id = self.id.clone();
        let running = vms.is_active(&id);
        let action = match message {
            Message::Back => Action::Back,
            Message::Form(m) => {
                if running {
                    return (Task::none(), Action::None);
                }
                let task = self.form.update(m).map(Message::Form);
                self.problems = self.form.problems(host);
                self.saved = None;
                return (task, Action::None);
            }
            Message::Hw(m) => {
                if running || self.saving {
                    return (Task::none(), Action::None);
                }
                let task = self.hw.update(m).map(Message::Hw);
                self.hw_problems = self.hw.problems();
                self.saved = None;
                return (task, Action::None);
            }
            Message::Save => {
                self.problems = self.form.problems(host);
                self.hw_problems = self.hw.problems();
                self.form.show_all = true;
                self.hw.show_all = true;
                let Some(Ok(base)) = vms.get(&id).map(|e| &e.config) else {
                    return (Task::none(), Action::None);
                };
                if running
                    || self.saving
                    || !self.problems.is_empty()
                    || !self.hw_problems.is_empty()
                {
                    Action::None
                } else {
                    let mut cfg = self.form.to_config(&id, Some(base));
                    self.hw.apply(&mut cfg);
                    self.saving = true;
                    Action::Save(Box::new(cfg), self.hw.plan())
                }
            }
            Message::Revert => {
                if let Some(Ok(cfg)) = vms.get(&id).map(|e| &e.config) {
                    self.form = VmForm::from_config(cfg);
                    self.problems = self.form.problems(host);
                    self.reset_hw(cfg);
                }
                self.saved = None;
                Action::None
            }
            Message::Input(s) => {
                self.input = s;
                Action::None
            }
            Message::Send => {
                let line = format!("{}\n", std::mem::take(&mut self.input));
                Action::Api(id, crate::data::client::serial_input(&line).into())
            }
            Message::ClearConsole => {
                self.serial.clear();
                Action::None
            }
            // The whole scrollback, not only the lines on screen.
            Message::CopyConsole => Action::Copy(self.serial.clone()),
            Message::Start => Action::Start(id),
            Message::Pause => Action::Api(id, api::Pause {}.into()),
            Message::Resume => Action::Api(id, api::Resume {}.into()),
            Message::PowerOff => Action::Api(id, api::PowerOff {}.into()),
            // The VMM ends with the reset status and the app starts it again.
            Message::Restart => Action::Api(id, api::Reset {}.into()),
            Message::ForceOff => Action::Api(id, api::Kill {}.into()),
            Message::Tab(t) => {
                self.tab = t;
                if t == Tab::Snapshots {
                    Action::Snapshot(id, SnapOp::Refresh)
                } else {
                    Action::None
                }
            }
            Message::OpenScreen => Action::OpenScreen(id),
            Message::Snap(m) => return self.update_snap(m, running),
        };
        (Task::none(), action)
    }

    fn update_snap(&mut self, m: SnapMessage, running: bool) -> (Task<Message>, Action) {
        let id = self.id.clone();
        let s = &mut self.snaps;
        let action = match m {
            SnapMessage::Name(v) => {
                s.name = v;
                Action::None
            }
            SnapMessage::Description(v) => {
                s.description = v;
                Action::None
            }
            SnapMessage::Take => {
                if !running || s.busy {
                    return (Task::none(), Action::None);
                }
                s.busy = true;
                s.error = None;
                Action::Snapshot(
                    id,
                    SnapOp::Take {
                        name: std::mem::take(&mut s.name).trim().to_string(),
                        description: std::mem::take(&mut s.description).trim().to_string(),
                    },
                )
            }
            SnapMessage::Refresh => Action::Snapshot(id, SnapOp::Refresh),
            SnapMessage::AskRevert(snap) => {
                s.confirm = Some(Confirm::Revert(snap));
                Action::None
            }
            SnapMessage::AskDelete(snap) => {
                s.confirm = Some(Confirm::Delete(snap));
                Action::None
            }
            SnapMessage::Cancel => {
                s.confirm = None;
                Action::None
            }
            SnapMessage::Confirm => match s.confirm.take() {
                Some(Confirm::Revert(snap)) => Action::Snapshot(id, SnapOp::Revert(snap)),
                Some(Confirm::Delete(snap)) => Action::Snapshot(id, SnapOp::Delete(snap)),
                None => Action::None,
            },
            SnapMessage::Rename(snap) => {
                let name = s
                    .list
                    .get(&snap)
                    .map(|x| x.name.clone())
                    .unwrap_or_default();
                s.renaming = Some((snap, name));
                return (iced::widget::operation::focus(SNAP_RENAME_ID), Action::None);
            }
            SnapMessage::RenameInput(v) => {
                if let Some((_, name)) = &mut s.renaming {
                    *name = v;
                }
                Action::None
            }
            SnapMessage::RenameSave => match s.renaming.take() {
                Some((snap, name)) if !name.trim().is_empty() => {
                    Action::Snapshot(id, SnapOp::Rename(snap, name.trim().to_string()))
                }
                _ => Action::None,
            },
            SnapMessage::RenameCancel => {
                s.renaming = None;
                Action::None
            }
        };
        (Task::none(), action)
    }

    /// Appends guest output: carriage returns and other control bytes dropped.
    fn reset_hw(&mut self, cfg: &VmConfig) {
        let free = self.hw.free;
        self.hw = Hardware::from_config(cfg);
        self.hw.free = free;
        self.hw_problems = self.hw.problems();
    }

    /// After a save: the hardware shows what was saved (a disk made is now in the list).
    pub fn saved_config(&mut self, cfg: &VmConfig) {
        if matches!(self.saved, Some(Ok(()))) {
            self.reset_hw(cfg);
        }
    }

    pub fn push_serial(&mut self, bytes: &[u8]) {
        let text = String::from_utf8_lossy(bytes);
        self.serial.extend(
            text.chars()
                .filter(|c| *c == '\n' || *c == '\t' || !c.is_control()),
        );
        if self.serial.len() > SCROLLBACK_BYTES {
            let mut cut = self.serial.len() - SCROLLBACK_BYTES;
            while !self.serial.is_char_boundary(cut) {
                cut += 1;
            }
            self.serial.drain(..cut);
        }
    }

    fn visible_serial(&self) -> &str {
        let mut idx = self.serial.trim_end_matches('\n').len();
        for _ in 0..VISIBLE_LINES {
            match self.serial[..idx].rfind('\n') {
                Some(i) => idx = i,
                None => return &self.serial,
            }
        }
        &self.serial[idx + 1..]
    }

    pub fn header<'a>(&'a self, vms: &'a Vms) -> Element<'a, Message> {
        let state = vms.state(&self.id);
        let name = vms.get(&self.id).map(|e| e.name()).unwrap_or(&self.id);
        let btn =
            |label: String, msg: Message, s: fn(&iced::Theme, button::Status) -> button::Style| {
                button(text(label).size(14))
                    .padding([7, 14])
                    .style(s)
                    .on_press(msg)
            };
        let mut actions = row![].spacing(6).align_y(Alignment::Center);
        let has_display = vms
            .get(&self.id)
            .and_then(|e| e.config.as_ref().ok())
            .is_some_and(|c| c.display.is_some());
        if has_display && matches!(state, VmState::Running | VmState::Paused) {
            actions = actions.push(btn(t!("button-screen"), Message::OpenScreen, style::pill));
        }
        match state {
            VmState::Stopped => {
                actions = actions.push(btn(t!("button-start"), Message::Start, style::suggested));
            }
            VmState::Running => {
                actions = actions
                    .push(btn(t!("button-pause"), Message::Pause, style::pill))
                    .push(btn(t!("button-power-off"), Message::PowerOff, style::pill))
                    .push(btn(t!("button-restart"), Message::Restart, style::pill))
                    .push(btn(
                        t!("button-force-off"),
                        Message::ForceOff,
                        style::danger_soft,
                    ));
            }
            VmState::Paused => {
                actions = actions
                    .push(btn(t!("button-resume"), Message::Resume, style::suggested))
                    .push(btn(t!("button-power-off"), Message::PowerOff, style::pill))
                    .push(btn(t!("button-restart"), Message::Restart, style::pill))
                    .push(btn(
                        t!("button-force-off"),
                        Message::ForceOff,
                        style::danger_soft,
                    ));
            }
            VmState::Starting | VmState::Stopping => {
                actions = actions.push(btn(
                    t!("button-force-off"),
                    Message::ForceOff,
                    style::danger_soft,
                ));
            }
            VmState::Broken => {}
        }
        container(
            row![
                button(text(t!("details-back")).size(15))
                    .padding([8, 14])
                    .style(style::pill)
                    .on_press(Message::Back),
                Space::new().width(12),
                style::header_title(name.to_string()),
                state_badge(state),
                Space::new().width(Length::Fill),
                actions,
            ]
            .spacing(10)
            .align_y(Alignment::Center),
        )
        .padding([10, 16])
        .style(style::header)
        .into()
    }

    pub fn body<'a>(&'a self, vms: &'a Vms, host: &'a HostInfo) -> Element<'a, Message> {
        let state = vms.state(&self.id);
        let running = vms.is_active(&self.id);
        let left = scrollable(
            column![self.settings(vms, host, running)]
                .spacing(16)
                .padding(iced::Padding::default().right(12)),
        )
        .height(Length::Fill)
        .width(Length::FillPortion(5));
        let tab = |label: String, t: Tab| {
            button(text(label).size(14))
                .padding([7, 16])
                .style(if self.tab == t {
                    style::tab_selected
                } else {
                    style::flat
                })
                .on_press(Message::Tab(t))
        };
        let complete = self.snaps.list.items.iter().filter(|s| s.complete).count();
        let tabs = container(
            row![
                tab(t!("tab-console"), Tab::Console),
                tab(
                    t!("tab-snapshots", count = (complete as i64)),
                    Tab::Snapshots
                ),
                tab(t!("tab-activity"), Tab::Activity),
            ]
            .spacing(4),
        )
        .padding(4)
        .style(style::tab_bar);
        let content = match self.tab {
            Tab::Console => self.console(state),
            Tab::Snapshots => self.snapshots_view(vms, running),
            Tab::Activity => stats::view(&self.stats, state),
        };
        let right = column![tabs, content]
            .spacing(12)
            .width(Length::FillPortion(6));
        row![left, right]
            .spacing(16)
            .padding([20, 20])
            .height(Length::Fill)
            .into()
    }

    fn settings<'a>(
        &'a self,
        vms: &'a Vms,
        host: &'a HostInfo,
        running: bool,
    ) -> Element<'a, Message> {
        let mut save = button(text(t!("details-save")).size(14))
            .padding([6, 16])
            .style(style::suggested);
        let mut revert = button(text(t!("details-revert")).size(14))
            .padding([6, 16])
            .style(style::pill);
        if !running {
            save = save.on_press(Message::Save);
            revert = revert.on_press(Message::Revert);
        }
        let mut title = row![
            section_title(t!("details-settings")),
            Space::new().width(Length::Fill)
        ]
        .spacing(8)
        .align_y(Alignment::Center);
        match &self.saved {
            Some(Ok(())) => {
                title = title.push(text(t!("details-saved")).size(13).color(style::GREEN));
            }
            Some(Err(e)) => {
                title = title.push(text(e.clone()).size(13).color(style::RED));
            }
            None => {}
        }
        let title = title.push(revert).push(save);
        let mut col = column![title].spacing(14);
        if let Some(x) = vms.runtime(&self.id).and_then(|r| r.last_exit.as_ref()) {
            if !running && !x.is_clean() {
                col = col.push(
                    container(
                        text(t!("library-last-exit", meaning = exit_meaning(&x.info))).size(13),
                    )
                    .padding([8, 12])
                    .width(Length::Fill)
                    .style(style::banner(style::RED)),
                );
            }
        }
        if running {
            col = col.push(
                container(text(t!("details-read-only")).size(13))
                    .padding([8, 12])
                    .width(Length::Fill)
                    .style(style::banner(style::ACCENT)),
            );
        }
        let id_row = row![
            container(text(t!("details-id")).size(15)).width(170),
            text(self.id.clone()).size(15).font(mono()),
        ]
        .spacing(16);
        col = col.push(id_row);
        col = col
            .push(form::view(&self.form, &self.problems, host, !running, true).map(Message::Form));
        col = col.push(
            hardware::view(&self.hw, &self.hw_problems, !running && !self.saving, false)
                .map(Message::Hw),
        );
        if running {
            col = col.push(row![
                Space::new().width(186),
                text(t!("details-hw-running")).size(13).color(style::DIM)
            ]);
        }
        container(col).padding(20).style(style::card).into()
    }

    fn console(&self, state: VmState) -> Element<'_, Message> {
        let live = matches!(state, VmState::Running | VmState::Paused);
        let out = if self.serial.is_empty() {
            t!("console-empty")
        } else {
            self.visible_serial().to_string()
        };
        let screen = container(
            scrollable(
                container(text(out).size(13).font(mono()))
                    .padding([10, 12])
                    .width(Length::Fill),
            )
            .id(CONSOLE_ID)
            .anchor_bottom()
            .height(Length::Fill)
            .width(Length::Fill),
        )
        .height(Length::Fill)
        .style(style::console);
        let mut input = text_input(&t!("console-placeholder"), &self.input)
            .id(CONSOLE_INPUT_ID)
            .padding([8, 10])
            .size(14)
            .font(mono())
            .style(style::input);
        let mut send = button(text(t!("console-send")).size(14))
            .padding([8, 14])
            .style(style::pill);
        if live {
            input = input.on_input(Message::Input).on_submit(Message::Send);
            send = send.on_press(Message::Send);
        }
        container(
            column![
                row![
                    section_title(t!("details-console")),
                    Space::new().width(Length::Fill),
                    button(text(t!("console-copy")).size(13))
                        .padding([4, 10])
                        .style(style::flat)
                        .on_press(Message::CopyConsole),
                    button(text(t!("console-clear")).size(13))
                        .padding([4, 10])
                        .style(style::flat)
                        .on_press(Message::ClearConsole),
                ]
                .align_y(Alignment::Center),
                screen,
                row![input, send].spacing(8).align_y(Alignment::Center),
            ]
            .spacing(10),
        )
        .padding(16)
        .height(Length::Fill)
        .style(style::card)
        .into()
    }

    fn snapshots_view<'a>(&'a self, vms: &'a Vms, running: bool) -> Element<'a, Message> {
        let s = &self.snaps;
        let snap = |m: SnapMessage| Message::Snap(m);
        let mut col = column![row![
            section_title(t!("snap-title")),
            Space::new().width(Length::Fill),
            button(text(t!("snap-refresh")).size(13))
                .padding([4, 10])
                .style(style::flat)
                .on_press(snap(SnapMessage::Refresh)),
        ]
        .align_y(Alignment::Center)]
        .spacing(10);
        col = col.push(text(t!("snap-intro")).size(13).color(style::GREY));
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
            name = name
                .on_input(|v| Message::Snap(SnapMessage::Name(v)))
                .on_submit(snap(SnapMessage::Take));
            desc = desc
                .on_input(|v| Message::Snap(SnapMessage::Description(v)))
                .on_submit(snap(SnapMessage::Take));
            if !s.busy {
                take = take.on_press(snap(SnapMessage::Take));
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
            col = col.push(text(t!("snap-stopped-hint")).size(13).color(style::DIM));
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
            col = col.push(self.confirm_view(c, running));
        }
        let vm_dir = vms.get(&self.id).map(|e| e.dir.clone());
        let mut list = column![].spacing(8);
        let tree = s.list.tree();
        if tree.is_empty() {
            list = list.push(
                container(text(t!("snap-none")).size(14).color(style::DIM))
                    .padding(20)
                    .center_x(Length::Fill),
            );
        }
        for (depth, item) in tree {
            list = list.push(self.snapshot_row(depth, item, vm_dir.as_deref(), running));
        }
        col = col.push(scrollable(list).height(Length::Fill));
        container(col)
            .padding(16)
            .height(Length::Fill)
            .width(Length::Fill)
            .style(style::card)
            .into()
    }

    fn confirm_view<'a>(&'a self, c: &Confirm, running: bool) -> Element<'a, Message> {
        let name_of = |id: &str| {
            self.snaps
                .list
                .get(id)
                .map(|s| s.name.clone())
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| id.to_string())
        };
        let (question, explain, yes, yes_style): (String, String, String, ButtonStyle) = match c {
            Confirm::Revert(id) if running => (
                t!("snap-revert-question", name = name_of(id)),
                t!("snap-revert-explain"),
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
                let children = self.snaps.list.children(id);
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
                    text(explain).size(13).color(style::GREY),
                ]
                .spacing(4)
                .width(Length::Fill),
                button(text(t!("button-cancel")).size(14))
                    .padding([7, 14])
                    .style(style::pill)
                    .on_press(Message::Snap(SnapMessage::Cancel)),
                button(text(yes).size(14))
                    .padding([7, 14])
                    .style(yes_style)
                    .on_press(Message::Snap(SnapMessage::Confirm)),
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
        let snap = |m: SnapMessage| Message::Snap(m);
        let current = self.snaps.list.current.as_deref() == Some(item.id.as_str());
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
                None => container(text(t!("snap-no-screen")).size(11).color(style::DIM))
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
                    .color(style::GREY),
                );
        } else if let Some((rid, value)) =
            self.snaps.renaming.as_ref().filter(|(r, _)| r == &item.id)
        {
            let _ = rid;
            info = info.push(
                row![
                    text_input(&t!("snap-name-placeholder"), value)
                        .id(SNAP_RENAME_ID)
                        .on_input(|v| Message::Snap(SnapMessage::RenameInput(v)))
                        .on_submit(snap(SnapMessage::RenameSave))
                        .padding([5, 8])
                        .size(14)
                        .style(style::input),
                    button(text(t!("snap-rename-save")).size(13))
                        .padding([5, 10])
                        .style(style::suggested)
                        .on_press(snap(SnapMessage::RenameSave)),
                    button(text(t!("button-cancel")).size(13))
                        .padding([5, 10])
                        .style(style::pill)
                        .on_press(snap(SnapMessage::RenameCancel)),
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
            info = info.push(text(line).size(12).color(style::GREY));
        }
        let small = |label: String,
                     m: SnapMessage,
                     st: fn(&iced::Theme, button::Status) -> button::Style| {
            button(text(label).size(13))
                .padding([5, 10])
                .style(st)
                .on_press(snap(m))
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
                    SnapMessage::AskRevert(item.id.clone()),
                    style::pill,
                ))
                .push(small(
                    t!("snap-rename"),
                    SnapMessage::Rename(item.id.clone()),
                    style::flat,
                ));
        }
        buttons = buttons.push(small(
            t!("button-delete"),
            SnapMessage::AskDelete(item.id.clone()),
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

pub(crate) fn section_title<'a, M: 'a>(s: String) -> Element<'a, M> {
    text(s).size(16).font(bold()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrollback_is_bounded_and_cleaned() {
        let host = HostInfo {
            cpus: 2,
            memory_mib: 2048,
        };
        let mut d = Details::new("x", None, &host, String::new());
        d.push_serial(b"hello\r\nworld\x07\n");
        assert_eq!(d.serial, "hello\nworld\n");
        for _ in 0..100_000 {
            d.push_serial(b"TICK 123456\n");
        }
        assert!(d.serial.len() <= SCROLLBACK_BYTES);
        assert_eq!(d.visible_serial().lines().count(), VISIBLE_LINES);
    }
}
