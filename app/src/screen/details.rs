//! A VM's details: every setting (editable while stopped), the serial console, live exit stats.

use crate::form::{self, VmForm};
use crate::host::HostInfo;
use crate::screen::library::{bold, exit_meaning, mono, state_badge};
use crate::style;
use crate::t;
use crate::vms::{VmState, Vms};
use iced::widget::{
    button, column, container, progress_bar, row, scrollable, text, text_input, Space,
};
use iced::{Alignment, Element, Length, Task};
use std::collections::HashMap;
use vmm_core::api::{Command, Counters};
use vmm_core::config::VmConfig;

pub const CONSOLE_INPUT_ID: &str = "console-input";
pub const CONSOLE_ID: &str = "console";
/// Serial scrollback kept in memory.
const SCROLLBACK_BYTES: usize = 256 * 1024;
/// Lines drawn (the rest stays in the buffer and in serial.log).
const VISIBLE_LINES: usize = 400;

#[derive(Debug, Clone)]
pub struct Details {
    pub id: String,
    pub form: VmForm,
    pub problems: Vec<(form::Field, String)>,
    /// Result of the last save, shown under the form.
    pub saved: Option<Result<(), String>>,
    pub serial: String,
    pub input: String,
    pub stats: Stats,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Back,
    Form(form::Message),
    Save,
    Revert,
    Input(String),
    Send,
    ClearConsole,
    Start,
    Pause,
    Resume,
    PowerOff,
    ForceOff,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    None,
    Back,
    Save(Box<VmConfig>),
    Start(String),
    Api(String, Command),
}

impl Details {
    pub fn new(id: &str, cfg: Option<&VmConfig>, host: &HostInfo, serial_log: String) -> Details {
        let form = cfg.map(VmForm::from_config).unwrap_or_default();
        let problems = form.problems(host);
        let mut d = Details {
            id: id.to_string(),
            form,
            problems,
            saved: None,
            serial: String::new(),
            input: String::new(),
            stats: Stats::default(),
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
            Message::Save => {
                self.problems = self.form.problems(host);
                self.form.show_all = true;
                let Some(Ok(base)) = vms.get(&id).map(|e| &e.config) else {
                    return (Task::none(), Action::None);
                };
                if running || !self.problems.is_empty() {
                    Action::None
                } else {
                    Action::Save(Box::new(self.form.to_config(&id, Some(base))))
                }
            }
            Message::Revert => {
                if let Some(Ok(cfg)) = vms.get(&id).map(|e| &e.config) {
                    self.form = VmForm::from_config(cfg);
                    self.problems = self.form.problems(host);
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
                Action::Api(id, crate::client::serial_input(&line))
            }
            Message::ClearConsole => {
                self.serial.clear();
                Action::None
            }
            Message::Start => Action::Start(id),
            Message::Pause => Action::Api(id, Command::Pause),
            Message::Resume => Action::Api(id, Command::Resume),
            Message::PowerOff => Action::Api(id, Command::PowerOff),
            Message::ForceOff => Action::Api(id, Command::Kill),
        };
        (Task::none(), action)
    }

    /// Appends guest output: carriage returns and other control bytes dropped.
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
        match state {
            VmState::Stopped => {
                actions = actions.push(btn(t!("button-start"), Message::Start, style::suggested));
            }
            VmState::Running => {
                actions = actions
                    .push(btn(t!("button-pause"), Message::Pause, style::pill))
                    .push(btn(t!("button-power-off"), Message::PowerOff, style::pill))
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
                text(name.to_string()).size(17).font(bold()),
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
        let right = column![self.console(state), self.stats_view(state)]
            .spacing(16)
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
        let cfg = vms.get(&self.id).and_then(|e| e.config.as_ref().ok());
        let disks = cfg.map(|c| c.disks.len()).unwrap_or(0);
        let nics = cfg.map(|c| c.nics.len()).unwrap_or(0);
        let display = cfg.and_then(|c| c.display.as_ref());
        for (label, value) in [
            (
                t!("details-disks"),
                if disks == 0 {
                    t!("details-none")
                } else {
                    t!("details-disks-value", count = (disks as i64))
                },
            ),
            (
                t!("details-nics"),
                if nics == 0 {
                    t!("details-none")
                } else {
                    t!("details-nics-value", count = (nics as i64))
                },
            ),
            (
                t!("details-display"),
                match display {
                    None => t!("details-none"),
                    Some(d) => t!(
                        "details-display-value",
                        width = d.width.to_string(),
                        height = d.height.to_string()
                    ),
                },
            ),
        ] {
            col = col.push(
                row![
                    container(text(label).size(15)).width(170),
                    text(value).size(14).color(style::GREY),
                ]
                .spacing(16),
            );
        }
        col = col.push(row![
            Space::new().width(186),
            text(t!("details-edit-in-file")).size(13).color(style::DIM)
        ]);
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
        .height(Length::FillPortion(3))
        .style(style::card)
        .into()
    }

    fn stats_view(&self, state: VmState) -> Element<'_, Message> {
        let mut col = column![row![
            section_title(t!("stats-title")),
            Space::new().width(Length::Fill),
            text(t!(
                "stats-total",
                rate = format!("{:.0}", self.stats.total_rate),
                total = self.stats.total.to_string()
            ))
            .size(13)
            .color(style::GREY),
        ]
        .align_y(Alignment::Center)]
        .spacing(8);
        col = col.push(text(t!("stats-intro")).size(13).color(style::GREY));
        if !matches!(state, VmState::Running | VmState::Paused) || self.stats.top.is_empty() {
            col = col.push(text(t!("stats-none")).size(13).color(style::DIM));
        } else {
            let max = self
                .stats
                .top
                .iter()
                .map(|r| r.rate)
                .fold(1.0_f64, f64::max);
            for r in &self.stats.top {
                col = col.push(
                    column![
                        row![
                            text(r.reason.clone()).size(13).font(mono()).width(120),
                            progress_bar(0.0..=max as f32, r.rate as f32)
                                .girth(8)
                                .length(Length::Fill),
                            text(t!("stats-rate", rate = format!("{:.0}", r.rate)))
                                .size(13)
                                .width(90)
                                .align_x(iced::alignment::Horizontal::Right),
                        ]
                        .spacing(10)
                        .align_y(Alignment::Center),
                        text(explain(&r.reason)).size(12).color(style::GREY),
                    ]
                    .spacing(2),
                );
            }
        }
        container(col)
            .padding(16)
            .height(Length::FillPortion(2))
            .width(Length::Fill)
            .style(style::card)
            .into()
    }
}

fn section_title<'a, M: 'a>(s: String) -> Element<'a, M> {
    text(s).size(16).font(bold()).into()
}

/// One line per exit reason, for teachers.
pub fn explain(reason: &str) -> String {
    match reason {
        "io-in" => t!("explain-io-in"),
        "io-out" => t!("explain-io-out"),
        "io-unhandled" => t!("explain-io-unhandled"),
        "mmio-read" => t!("explain-mmio-read"),
        "mmio-write" => t!("explain-mmio-write"),
        "hlt" => t!("explain-hlt"),
        "shutdown" => t!("explain-shutdown"),
        "interrupted" => t!("explain-interrupted"),
        "internal-error" => t!("explain-internal-error"),
        "fail-entry" => t!("explain-fail-entry"),
        _ => t!("explain-other"),
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rate {
    pub reason: String,
    pub rate: f64,
    pub total: u64,
}

/// Exit rates computed from two `counters` samples.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    prev: Option<(u64, HashMap<String, u64>)>,
    /// The busiest reasons, most exits per second first.
    pub top: Vec<Rate>,
    pub total_rate: f64,
    pub total: u64,
}

impl Stats {
    pub const TOP: usize = 5;

    pub fn push(&mut self, c: &Counters) {
        let now: HashMap<String, u64> = c.exits.iter().cloned().collect();
        let mut rates: Vec<Rate> = c
            .exits
            .iter()
            .map(|(reason, total)| {
                let rate = match &self.prev {
                    Some((t0, before)) if c.uptime_ms > *t0 => {
                        let d = total.saturating_sub(*before.get(reason).unwrap_or(&0));
                        d as f64 * 1000.0 / (c.uptime_ms - t0) as f64
                    }
                    _ => 0.0,
                };
                Rate {
                    reason: reason.clone(),
                    rate,
                    total: *total,
                }
            })
            .filter(|r| r.total > 0)
            .collect();
        rates.sort_by(|a, b| {
            b.rate
                .partial_cmp(&a.rate)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(b.total.cmp(&a.total))
        });
        self.total_rate = rates.iter().map(|r| r.rate).sum();
        self.total = rates.iter().map(|r| r.total).sum();
        rates.truncate(Self::TOP);
        self.top = rates;
        self.prev = Some((c.uptime_ms, now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counters(uptime_ms: u64, exits: &[(&str, u64)]) -> Counters {
        Counters {
            uptime_ms,
            exits: exits.iter().map(|(r, n)| (r.to_string(), *n)).collect(),
            per_vcpu: vec![],
            dropped_events: 0,
            ..Default::default()
        }
    }

    #[test]
    fn rates_come_from_the_difference_of_two_samples() {
        let mut s = Stats::default();
        s.push(&counters(
            1000,
            &[("io-out", 100), ("hlt", 10), ("mmio-read", 0)],
        ));
        assert!(s.top.iter().all(|r| r.rate == 0.0));
        s.push(&counters(
            3000,
            &[("io-out", 300), ("hlt", 50), ("mmio-read", 0)],
        ));
        assert_eq!(s.top.len(), 2);
        assert_eq!(s.top[0].reason, "io-out");
        assert!((s.top[0].rate - 100.0).abs() < 1e-9);
        assert!((s.top[1].rate - 20.0).abs() < 1e-9);
        assert_eq!(s.total, 350);
    }

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
