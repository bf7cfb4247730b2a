//! The details' lab-mode section: "Make student copies…" (count, name prefix, progress) for a
//! stopped VM, a template's students with "Reset" each and "Reset all" (asked first: what they
//! wrote and their snapshots go), and the "Throwaway runs" switch.

use crate::data::disks::SharedProgress;
use crate::data::lab;
use crate::data::paths::Paths;
use crate::data::settings::Settings;
use crate::data::vms::{VmState, Vms};
use crate::t;
use crate::ui::style;
use crate::ui::widget::{section_title, state_badge};
use iced::widget::{button, column, container, row, text, text_input, toggler, Space};
use iced::{Alignment, Element, Length};
use std::sync::atomic::Ordering;

#[derive(Debug, Clone, Default)]
pub struct Lab {
    /// This VM's students (ids), in the order they were made.
    pub students: Vec<String>,
    /// Each student's snapshots (a reset drops them; said before).
    pub snapshots: Vec<usize>,
    /// The template's name, when this VM is a student.
    pub template: Option<String>,
    pub throwaway: bool,
    /// The "make student copies" form shows.
    pub asking: bool,
    pub count: String,
    pub prefix: String,
    pub problem: Option<String>,
    /// Copies being made: how far (done / total in the progress' counters).
    pub making: Option<SharedProgress>,
    /// A reset waits for a yes: one student, or all (`None`).
    pub confirm: Option<Option<String>>,
    /// The last result, shown under the section.
    pub result: Option<Result<String, String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Ask,
    Count(String),
    Prefix(String),
    Cancel,
    Make,
    Reset(String),
    ResetAll,
    Confirm,
    CancelConfirm,
    Throwaway(bool),
    /// Copies made or a reset done (what to say), or why not.
    Done(Result<String, String>),
}

#[derive(Debug, Clone)]
pub enum Action {
    None,
    Make {
        prefix: String,
        count: usize,
        progress: SharedProgress,
    },
    Reset(Vec<String>),
    Throwaway(bool),
}

impl PartialEq for Action {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Action::None, Action::None) => true,
            (
                Action::Make {
                    prefix: a,
                    count: n,
                    ..
                },
                Action::Make {
                    prefix: b,
                    count: m,
                    ..
                },
            ) => a == b && n == m,
            (Action::Reset(a), Action::Reset(b)) => a == b,
            (Action::Throwaway(a), Action::Throwaway(b)) => a == b,
            _ => false,
        }
    }
}

impl Lab {
    /// What the folder and the settings say about VM `id` (keeps the form as typed).
    pub fn refresh(&mut self, paths: &Paths, settings: &Settings, id: &str) {
        self.students = lab::students(paths, id).into_iter().map(|e| e.id).collect();
        self.snapshots = self
            .students
            .iter()
            .map(|s| lab::snapshots_lost(paths, s))
            .collect();
        self.template = lab::template_of(paths, id).map(|t| {
            crate::data::store::list(paths)
                .into_iter()
                .find(|e| e.id == t)
                .map_or(t, |e| e.name().to_string())
        });
        self.throwaway = settings.is_throwaway(id);
        if self.prefix.is_empty() {
            self.prefix = t!("lab-default-prefix");
        }
        if self.count.is_empty() {
            self.count = "20".into();
        }
    }

    pub fn update(&mut self, m: Message, running: bool) -> Action {
        match m {
            Message::Ask => {
                self.asking = !running && self.making.is_none();
                self.result = None;
            }
            Message::Count(c) => {
                self.count = c;
                self.problem = None;
            }
            Message::Prefix(p) => {
                self.prefix = p;
                self.problem = None;
            }
            Message::Cancel => self.asking = false,
            Message::Make => {
                if running || self.making.is_some() {
                    return Action::None;
                }
                match lab::check_request(&self.count, &self.prefix) {
                    Ok(count) => {
                        let progress = SharedProgress::default();
                        progress.total.store(count as u64, Ordering::Relaxed);
                        self.making = Some(progress.clone());
                        self.asking = false;
                        return Action::Make {
                            prefix: self.prefix.trim().to_string(),
                            count,
                            progress,
                        };
                    }
                    Err(e) => self.problem = Some(e),
                }
            }
            Message::Reset(id) => self.confirm = Some(Some(id)),
            Message::ResetAll => self.confirm = Some(None),
            Message::CancelConfirm => self.confirm = None,
            Message::Confirm => {
                let ids = match self.confirm.take() {
                    Some(Some(id)) => vec![id],
                    Some(None) => self.students.clone(),
                    None => return Action::None,
                };
                return Action::Reset(ids);
            }
            Message::Throwaway(on) => {
                self.throwaway = on;
                return Action::Throwaway(on);
            }
            Message::Done(r) => {
                self.making = None;
                self.result = Some(r);
            }
        }
        Action::None
    }
}

fn explain<'a, M: 'a>(s: String) -> Element<'a, M> {
    text(s).size(13).color(style::ink(style::GREY)).into()
}

/// The section; `running`: this VM is not stopped (no copies, no toggling mid-run).
pub fn view<'a>(lab: &'a Lab, vms: &'a Vms, running: bool) -> Element<'a, Message> {
    let mut col = column![section_title(t!("lab-title")), explain(t!("lab-explain"))].spacing(10);
    if let Some(t) = &lab.template {
        col = col.push(text(t!("lab-is-student", template = t.as_str())).size(13));
    }
    if let Some(p) = &lab.making {
        let done = p.done.load(Ordering::Relaxed).to_string();
        let total = p.total.load(Ordering::Relaxed).to_string();
        col = col.push(text(t!("lab-progress", done = done, total = total)).size(13));
    } else if lab.asking {
        // Narrow at 800×600: the labels take what they need, the name field the rest.
        let field = |label: String, value: &str, on: fn(String) -> Message, w: Length| {
            row![
                container(text(label).size(14)).width(120),
                text_input("", value)
                    .on_input(on)
                    .on_submit(Message::Make)
                    .padding([5, 8])
                    .size(14)
                    .width(w)
                    .style(style::input),
            ]
            .spacing(10)
            .align_y(Alignment::Center)
        };
        let mut form = column![
            field(
                t!("lab-count"),
                &lab.count,
                Message::Count,
                Length::Fixed(70.0)
            ),
            field(t!("lab-prefix"), &lab.prefix, Message::Prefix, Length::Fill),
            explain(t!("lab-make-explain")),
        ]
        .spacing(8);
        if let Some(p) = &lab.problem {
            form = form.push(text(p.clone()).size(13).color(style::ink(style::RED)));
        }
        form = form.push(
            row![
                button(text(t!("lab-cancel")).size(13))
                    .padding([4, 12])
                    .style(style::pill)
                    .on_press(Message::Cancel),
                button(text(t!("lab-make")).size(13))
                    .padding([4, 12])
                    .style(style::suggested)
                    .on_press(Message::Make),
            ]
            .spacing(8),
        );
        col = col.push(form);
    } else if lab.template.is_none() {
        let mut b = button(text(t!("lab-make-button")).size(13))
            .padding([5, 14])
            .style(style::pill);
        if !running {
            b = b.on_press(Message::Ask);
        }
        col = col.push(b);
        if running {
            col = col.push(explain(t!("lab-stopped-only")));
        }
    }
    if !lab.students.is_empty() {
        col = col.push(students(lab, vms));
    }
    col = col.push(
        column![
            toggler(lab.throwaway)
                .label(t!("lab-throwaway"))
                .size(18)
                .text_size(14)
                .on_toggle_maybe((!running).then_some(Message::Throwaway)),
            explain(t!("lab-throwaway-explain")),
        ]
        .spacing(4),
    );
    match &lab.result {
        Some(Ok(m)) => col = col.push(text(m.clone()).size(13).color(style::ink(style::GREEN))),
        Some(Err(e)) => col = col.push(text(e.clone()).size(13).color(style::ink(style::RED))),
        None => {}
    }
    container(col).padding(20).style(style::card).into()
}

fn students<'a>(lab: &'a Lab, vms: &'a Vms) -> Element<'a, Message> {
    let name = |id: &'a str| vms.get(id).map_or(id, |e| e.name());
    let mut list = column![row![
        text(t!("lab-students", count = lab.students.len())).size(14),
        Space::new().width(Length::Fill),
        button(text(t!("lab-reset-all")).size(13))
            .padding([4, 12])
            .style(style::danger_soft)
            .on_press(Message::ResetAll),
    ]
    .align_y(Alignment::Center)]
    .spacing(6);
    if let Some(which) = &lab.confirm {
        let (q, lost) = match which {
            Some(id) => {
                let i = lab.students.iter().position(|s| s == id).unwrap_or(0);
                let n = lab.snapshots.get(i).copied().unwrap_or(0);
                (t!("lab-reset-question", name = name(id)), n)
            }
            None => (
                t!("lab-reset-all-question", count = lab.students.len()),
                lab.snapshots.iter().sum(),
            ),
        };
        list = list.push(
            container(
                column![
                    text(q).size(14).font(style::bold()),
                    explain(t!("lab-reset-explain", snapshots = lost)),
                    row![
                        button(text(t!("lab-cancel")).size(13))
                            .padding([4, 12])
                            .style(style::pill)
                            .on_press(Message::CancelConfirm),
                        button(text(t!("lab-reset")).size(13))
                            .padding([4, 12])
                            .style(style::destructive)
                            .on_press(Message::Confirm),
                    ]
                    .spacing(8),
                ]
                .spacing(6),
            )
            .padding([8, 12])
            .width(Length::Fill)
            .style(style::banner(style::ORANGE)),
        );
    }
    for id in &lab.students {
        let state = vms.state(id);
        let mut reset = button(text(t!("lab-reset")).size(13))
            .padding([3, 10])
            .style(style::pill);
        if state == VmState::Stopped {
            reset = reset.on_press(Message::Reset(id.clone()));
        }
        list = list.push(
            container(
                row![
                    text(name(id)).size(14).width(Length::Fill),
                    state_badge(state),
                    reset,
                ]
                .spacing(10)
                .align_y(Alignment::Center),
            )
            .padding([4, 10])
            .style(style::row),
        );
    }
    list.into()
}
