//! A VM's details: every setting (editable while stopped; a firmware VM's discs, firmware and
//! boot order in `media`), and in tabs the serial console (`serial`), the snapshot tree
//! (`snapshots`), and live activity (`activity`). Each tab keeps
//! its own state and messages; this screen routes between them and tells the app what to do.

pub mod activity;
pub mod lab;
pub mod media;
pub mod serial;
pub mod snapshots;

pub use snapshots::SnapOp;

use crate::data::disks::DiskPlan;
use crate::data::host::HostInfo;
use crate::data::snapshots::unusable_with;
use crate::data::vms::{VmState, Vms};
use crate::t;
use crate::ui::form::{self, VmForm};
use crate::ui::hardware::{self, Hardware};
use crate::ui::style;
use crate::ui::style::mono;
use crate::ui::widget::{section_title, state_badge};
use activity::Activity;
use iced::widget::{button, column, container, responsive, row, scrollable, text, Space};
use iced::{Alignment, Element, Length, Task};
use media::Media;
use serial::Serial;
use snapshots::Snapshots;
use vmm_core::api::{self, Command};
use vmm_core::config::VmConfig;

// Not `Clone`: the serial terminal's emulator state is not.
#[derive(Debug)]
pub struct Details {
    pub id: String,
    pub form: VmForm,
    pub problems: Vec<(form::Field, String)>,
    /// Disks, network and screen.
    pub hw: Hardware,
    pub hw_problems: Vec<(hardware::HwField, String)>,
    /// CD/DVD drives, firmware and boot order.
    pub media: Media,
    /// A save (maybe making a disk) is under way.
    pub saving: bool,
    /// Result of the last save, shown under the form.
    pub saved: Option<Result<(), String>>,
    /// Snapshots the pending save would make unusable (their names): asked about before saving.
    pub unusable_snapshots: Vec<String>,
    pub tab: Tab,
    pub serial: Serial,
    pub snaps: Snapshots,
    pub activity: Activity,
    /// The "⋯" bar with Restart and Force off shows.
    pub more: bool,
    /// Lab mode: student copies, resets, throwaway runs.
    pub lab: lab::Lab,
}

/// Below this body width the settings column would squeeze its fields (and the tabs' rows):
/// the settings become a tab instead.
pub const NARROW: f32 = 1100.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    /// The settings have a tab of their own only in a narrow window (see [`NARROW`]); in a
    /// wide one they are the left column and this tab shows the console.
    Settings,
    #[default]
    Console,
    Snapshots,
    Activity,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Back,
    Form(form::Message),
    Hw(hardware::Message),
    Media(media::Message),
    Save,
    /// Save although snapshots cannot be started afterwards.
    SaveAnyway,
    /// Keep the snapshots usable: do not save.
    CancelSave,
    Revert,
    Start,
    Pause,
    Resume,
    PowerOff,
    Restart,
    ForceOff,
    Tab(Tab),
    OpenScreen,
    /// Shows or hides the "⋯" bar.
    More,
    /// "Export…" in the ⋯ menu: where to, asked next.
    Export(crate::data::export::Target),
    Serial(serial::Message),
    Snap(snapshots::Message),
    Activity(activity::Message),
    Lab(lab::Message),
    /// Opens the comparison with a container.
    Compare,
    /// The settings were saved (or why not), with the VM's config as it is now on disk.
    Saved(Result<(), String>, Option<Box<VmConfig>>),
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
    /// Type these bytes into the VM's serial port; the result goes back as `serial::Message::Sent`.
    SerialInput(String, Vec<u8>),
    /// Read the clipboard into the VM's serial terminal (`serial::Message::Pasted`).
    Paste(String),
    /// Put a disc into drive `drive` of the VM, or take it out (`None`); through its VMM when
    /// `live`, and into its vm.toml.
    Cdrom {
        id: String,
        drive: usize,
        medium: Option<String>,
        live: bool,
    },
    /// Give the (stopped) VM an empty CD/DVD drive.
    AddCdrom(String),
    /// Lab mode's work for this VM (the template, or the VM whose switch it is).
    Lab(String, lab::Action),
    /// Measure this VM beside a container (the comparison screen).
    Compare(String),
    /// Export this VM: the app asks where to.
    Export(String, crate::data::export::Target),
}

impl Details {
    /// The details of VM `id`: its settings from `cfg`, the tail of its serial log, and the
    /// space free where its disks are (`free`, for the hardware's size checks).
    pub fn new(
        id: &str,
        cfg: Option<&VmConfig>,
        host: &HostInfo,
        serial_log: String,
        free: Option<u64>,
    ) -> Details {
        let form = cfg.map(VmForm::from_config).unwrap_or_default();
        let problems = form.problems(host);
        let mut hw = cfg.map(Hardware::from_config).unwrap_or_default();
        hw.free = free;
        Details {
            id: id.to_string(),
            form,
            problems,
            hw_problems: hw.problems(),
            hw,
            media: cfg.map(Media::from_config).unwrap_or_default(),
            saving: false,
            saved: None,
            unusable_snapshots: Vec::new(),
            tab: Tab::default(),
            serial: Serial::new(&serial_log),
            snaps: Snapshots::default(),
            activity: Activity::default(),
            more: false,
            lab: lab::Lab::default(),
        }
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
            Message::Compare => Action::Compare(self.id.clone()),
            Message::More => {
                self.more = !self.more;
                Action::None
            }
            Message::Export(target) => {
                self.more = false;
                Action::Export(self.id.clone(), target)
            }
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
            Message::Media(m) => {
                let (task, action) = self.media.update(m, running);
                let action = match action {
                    media::Action::None => Action::None,
                    media::Action::Change { drive, medium } => Action::Cdrom {
                        id,
                        drive,
                        medium,
                        live: running,
                    },
                    media::Action::AddDrive => Action::AddCdrom(id),
                };
                if let Some(Ok(cfg)) = vms.get(&self.id).map(|e| &e.config) {
                    if self.media.edited(cfg) {
                        self.saved = None;
                    }
                }
                return (task.map(Message::Media), action);
            }
            Message::Save | Message::SaveAnyway => {
                let anyway = message == Message::SaveAnyway;
                self.unusable_snapshots.clear();
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
                    self.media.apply(&mut cfg);
                    // A snapshot starts only on the machine it was taken on: say so first.
                    if !anyway {
                        if let Some(e) = vms.get(&id) {
                            self.unusable_snapshots = unusable_with(&e.dir, &cfg);
                        }
                        if !self.unusable_snapshots.is_empty() {
                            return (Task::none(), Action::None);
                        }
                    }
                    self.saving = true;
                    Action::Save(Box::new(cfg), self.hw.plan())
                }
            }
            Message::CancelSave => {
                self.unusable_snapshots.clear();
                Action::None
            }
            Message::Revert => {
                self.unusable_snapshots.clear();
                if let Some(Ok(cfg)) = vms.get(&id).map(|e| &e.config) {
                    self.form = VmForm::from_config(cfg);
                    self.problems = self.form.problems(host);
                    self.reset_hw(cfg);
                    self.media = Media::from_config(cfg);
                }
                self.saved = None;
                Action::None
            }
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
            Message::Serial(m) => match self.serial.update(m) {
                serial::Action::None => Action::None,
                serial::Action::Send(bytes) => Action::SerialInput(id, bytes),
                serial::Action::Copy(text) => Action::Copy(text),
                serial::Action::Paste => Action::Paste(id),
            },
            Message::Snap(m) => {
                let (task, action) = self.snaps.update(m, running);
                let action = match action {
                    snapshots::Action::None => Action::None,
                    snapshots::Action::Op(op) => Action::Snapshot(id, op),
                };
                return (task.map(Message::Snap), action);
            }
            Message::Activity(m) => {
                self.activity.update(m);
                Action::None
            }
            Message::Lab(m) => match self.lab.update(m, running) {
                lab::Action::None => Action::None,
                a => Action::Lab(id, a),
            },
            Message::Saved(r, cfg) => {
                let ok = r.is_ok();
                self.saved = Some(r);
                self.saving = false;
                // The hardware shows what was saved (a disk made is now in the list).
                if let (true, Some(cfg)) = (ok, cfg) {
                    self.reset_hw(&cfg);
                    self.media = Media::from_config(&cfg);
                }
                Action::None
            }
        };
        (Task::none(), action)
    }

    /// The hardware as `cfg` has it (the free space, measured once, kept).
    fn reset_hw(&mut self, cfg: &VmConfig) {
        let (free, dir) = (self.hw.free, self.hw.vm_dir.take());
        self.hw = Hardware::from_config(cfg);
        self.hw.free = free;
        if let Some(dir) = dir {
            self.hw.set_vm_dir(&dir);
        }
        self.hw_problems = self.hw.problems();
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
        // What fits 800 px in every language; Restart and Force off are behind "⋯".
        let live = matches!(state, VmState::Running | VmState::Paused);
        match state {
            VmState::Stopped => {
                actions = actions.push(btn(t!("button-start"), Message::Start, style::suggested));
            }
            VmState::Running => {
                actions = actions
                    .push(btn(t!("button-pause"), Message::Pause, style::pill))
                    .push(btn(t!("button-power-off"), Message::PowerOff, style::pill));
            }
            VmState::Paused => {
                actions = actions
                    .push(btn(t!("button-resume"), Message::Resume, style::suggested))
                    .push(btn(t!("button-power-off"), Message::PowerOff, style::pill));
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
        // The ⋯ menu: export always, restart and force off while it runs.
        if state != VmState::Broken {
            actions = actions.push(iced::widget::tooltip(
                btn("⋯".to_string(), Message::More, style::pill),
                container(text(t!("details-more")).size(13))
                    .padding([4, 8])
                    .style(style::card),
                iced::widget::tooltip::Position::Bottom,
            ));
        }
        let bar = container(
            row![
                button(text(t!("details-back")).size(15))
                    .padding([8, 14])
                    .style(style::pill)
                    .on_press(Message::Back),
                Space::new().width(12),
                style::header_name(name.to_string(), state_badge(state)),
                actions,
            ]
            .spacing(10)
            .align_y(Alignment::Center),
        )
        .padding([10, 16])
        .style(style::header);
        if !self.more || state == VmState::Broken {
            return bar.into();
        }
        use crate::data::export::Target;
        let mut more = row![
            Space::new().width(Length::Fill),
            btn(
                t!("details-export-libvirt"),
                Message::Export(Target::Libvirt),
                style::flat
            ),
            btn(
                t!("details-export-kubevirt"),
                Message::Export(Target::Kubevirt),
                style::flat
            ),
        ]
        .spacing(6)
        .align_y(Alignment::Center);
        if live {
            more = more
                .push(btn(t!("button-restart"), Message::Restart, style::flat))
                .push(btn(
                    t!("button-force-off"),
                    Message::ForceOff,
                    style::danger_soft,
                ));
        }
        column![
            bar,
            container(more)
                .padding([4, 16])
                .width(Length::Fill)
                .style(style::header)
        ]
        .into()
    }

    pub fn body<'a>(&'a self, vms: &'a Vms, host: &'a HostInfo) -> Element<'a, Message> {
        responsive(move |size| self.body_at(vms, host, size.width < NARROW))
            .height(Length::Fill)
            .into()
    }

    /// The body side by side (settings | tabs) or, `narrow`, with the settings as the first tab.
    fn body_at<'a>(
        &'a self,
        vms: &'a Vms,
        host: &'a HostInfo,
        narrow: bool,
    ) -> Element<'a, Message> {
        let state = vms.state(&self.id);
        let running = vms.is_active(&self.id);
        let live = matches!(state, VmState::Running | VmState::Paused);
        let settings = || {
            scrollable(
                column![self.settings(vms, host, running)]
                    .spacing(16)
                    .padding(iced::Padding::default().right(12)),
            )
            .height(Length::Fill)
        };
        let shown = match self.tab {
            Tab::Settings if !narrow => Tab::Console,
            t => t,
        };
        let tab = |label: String, t: Tab| {
            button(text(label).size(14))
                .padding([7, 16])
                .style(if shown == t {
                    style::tab_selected
                } else {
                    style::flat
                })
                .on_press(Message::Tab(t))
        };
        let complete = self.snaps.list.items.iter().filter(|s| s.complete).count();
        let mut tabs = row![].spacing(4);
        if narrow {
            tabs = tabs.push(tab(t!("details-settings"), Tab::Settings));
        }
        let tabs = container(
            tabs.push(
                row![
                    tab(t!("tab-console"), Tab::Console),
                    tab(
                        t!("tab-snapshots", count = (complete as i64)),
                        Tab::Snapshots
                    ),
                    tab(t!("tab-activity"), Tab::Activity),
                ]
                .spacing(4),
            ),
        )
        .padding(4)
        .style(style::tab_bar);
        let content = match shown {
            Tab::Settings => settings().into(),
            Tab::Console => self.serial.view(live).map(Message::Serial),
            Tab::Snapshots => {
                let entry = vms.get(&self.id);
                let vm_dir = entry.map(|e| e.dir.as_path());
                let has_nics = entry
                    .and_then(|e| e.config.as_ref().ok())
                    .is_some_and(|c| !c.nics.is_empty());
                self.snaps
                    .view(vm_dir, running, has_nics)
                    .map(Message::Snap)
            }
            Tab::Activity => {
                let confinement = vms
                    .runtime(&self.id)
                    .and_then(|r| r.status.as_ref())
                    .and_then(|s| s.confinement.as_ref());
                column![compare_card(), self.activity.view(state, confinement)]
                    .spacing(12)
                    .into()
            }
        };
        let right = column![tabs, content].spacing(12);
        if narrow {
            return container(right)
                .padding([16, 20])
                .height(Length::Fill)
                .into();
        }
        row![
            settings().width(Length::FillPortion(5)),
            right.width(Length::FillPortion(6))
        ]
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
        let title = row![
            section_title(t!("details-settings")),
            Space::new().width(Length::Fill)
        ]
        .spacing(8)
        .align_y(Alignment::Center);
        let title = title.push(revert).push(save);
        let mut col = column![title].spacing(14);
        // Under the buttons, not beside them: a long error or translation must not push Save
        // out of a narrow column.
        match &self.saved {
            Some(Ok(())) => {
                col = col.push(
                    text(t!("details-saved"))
                        .size(13)
                        .color(style::ink(style::GREEN)),
                );
            }
            Some(Err(e)) => {
                col = col.push(text(e.clone()).size(13).color(style::ink(style::RED)));
            }
            None => {}
        }
        if !self.unusable_snapshots.is_empty() {
            let names = self
                .unusable_snapshots
                .iter()
                .map(|n| format!("“{n}”"))
                .collect::<Vec<_>>()
                .join(", ");
            col = col.push(
                container(
                    column![
                        text(t!(
                            "details-save-breaks-snapshots",
                            count = self.unusable_snapshots.len(),
                            names = names
                        ))
                        .size(13),
                        // Wraps: the settings column is narrow in a small window.
                        row![
                            button(text(t!("details-keep-snapshots")).size(13))
                                .padding([4, 12])
                                .style(style::pill)
                                .on_press(Message::CancelSave),
                            button(text(t!("details-save-anyway")).size(13))
                                .padding([4, 12])
                                .style(style::destructive)
                                .on_press(Message::SaveAnyway),
                        ]
                        .spacing(8)
                        .wrap(),
                    ]
                    .spacing(8),
                )
                .padding([8, 12])
                .width(Length::Fill)
                .style(style::banner(style::ORANGE)),
            );
        }
        if let Some(x) = vms.runtime(&self.id).and_then(|r| r.last_exit.as_ref()) {
            if !running && !x.is_clean() {
                // What the VMM and the guest said last: the reason, where the user acted.
                let mut banner =
                    column![text(t!("library-last-exit", meaning = x.meaning())).size(13)]
                        .spacing(6);
                let lines: Vec<&str> = x
                    .log_tail
                    .iter()
                    .chain(x.serial_tail.iter())
                    .map(String::as_str)
                    .collect();
                if !lines.is_empty() {
                    banner = banner.push(text(lines.join("\n")).size(12).font(mono()));
                }
                col = col.push(
                    container(banner)
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
        // Discs, firmware and boot order belong with how the VM boots (the form's last row).
        col = col.push(media::view(&self.media, running).map(Message::Media));
        col = col.push(
            hardware::view(&self.hw, &self.hw_problems, !running && !self.saving, false)
                .map(Message::Hw),
        );
        if running {
            col = col.push(row![
                Space::new().width(186),
                text(t!("details-hw-running"))
                    .size(13)
                    .color(style::ink(style::DIM))
            ]);
        }
        column![
            container(col).padding(20).style(style::card),
            lab::view(&self.lab, vms, running).map(Message::Lab),
        ]
        .spacing(16)
        .into()
    }
}

/// The Activity tab's way to the comparison with a container, with what it shows.
fn compare_card<'a>() -> Element<'a, Message> {
    container(
        row![
            text(t!("compare-ui-open-help"))
                .size(13)
                .color(style::ink(style::GREY))
                .width(Length::Fill),
            button(text(t!("compare-ui-open")).size(14))
                .padding([7, 14])
                .style(style::pill)
                .on_press(Message::Compare),
        ]
        .spacing(12)
        .align_y(Alignment::Center),
    )
    .padding([10, 14])
    .width(Length::Fill)
    .style(style::card)
    .into()
}
