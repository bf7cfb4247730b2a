//! The new-VM wizard (direct Linux boot): name, kernel, initrd, command line, vCPUs, memory.

use crate::form::{self, VmForm};
use crate::host::HostInfo;
use crate::screen::library::bold;
use crate::store;
use crate::style;
use crate::t;
use iced::widget::{button, column, container, row, scrollable, text, Space};
use iced::{Alignment, Element, Length, Task};
use vmm_core::config::VmConfig;

#[derive(Debug, Clone)]
pub struct Wizard {
    pub form: VmForm,
    pub problems: Vec<(form::Field, String)>,
    /// Why writing the VM failed, if it did.
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Form(form::Message),
    Cancel,
    Create,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    None,
    Cancel,
    Create(Box<VmConfig>),
}

impl Wizard {
    pub fn new(host: &HostInfo) -> Wizard {
        let form = VmForm::with_defaults(host);
        let problems = form.problems(host);
        Wizard {
            form,
            problems,
            error: None,
        }
    }

    pub fn update(
        &mut self,
        message: Message,
        host: &HostInfo,
        taken: &[String],
    ) -> (Task<Message>, Action) {
        match message {
            Message::Form(m) => {
                let task = self.form.update(m).map(Message::Form);
                self.problems = self.form.problems(host);
                (task, Action::None)
            }
            Message::Cancel => (Task::none(), Action::Cancel),
            Message::Create => {
                self.problems = self.form.problems(host);
                self.form.show_all = true;
                if !self.problems.is_empty() {
                    return (Task::none(), Action::None);
                }
                let id = store::derive_id(&self.form.name, taken);
                let cfg = self.form.to_config(&id, None);
                match cfg.validate(&host.limits()) {
                    Ok(()) => (Task::none(), Action::Create(Box::new(cfg))),
                    Err(errs) => {
                        self.error = Some(
                            errs.iter()
                                .map(|e| e.to_string())
                                .collect::<Vec<_>>()
                                .join("\n"),
                        );
                        (Task::none(), Action::None)
                    }
                }
            }
        }
    }

    pub fn header(&self) -> Element<'_, Message> {
        container(
            row![
                button(text(t!("button-cancel")).size(15))
                    .padding([8, 16])
                    .style(style::pill)
                    .on_press(Message::Cancel),
                Space::new().width(Length::Fill),
                text(t!("wizard-title")).size(17).font(bold()),
                Space::new().width(Length::Fill),
                button(text(t!("wizard-create")).size(15))
                    .padding([8, 16])
                    .style(style::suggested)
                    .on_press(Message::Create),
            ]
            .align_y(Alignment::Center),
        )
        .padding([10, 16])
        .style(style::header)
        .into()
    }

    pub fn body<'a>(&'a self, host: &'a HostInfo, taken: &[String]) -> Element<'a, Message> {
        let id = store::derive_id(&self.form.name, taken);
        let mut col = column![
            text(t!("wizard-heading")).size(22).font(bold()),
            text(t!("wizard-intro")).size(14).color(style::GREY),
            Space::new().height(4),
            container(
                column![
                    form::view(&self.form, &self.problems, host, true, false).map(Message::Form),
                    row![
                        Space::new().width(186),
                        text(t!("wizard-id", id = id)).size(13).color(style::DIM),
                    ],
                ]
                .spacing(14)
            )
            .padding(20)
            .style(style::card),
        ]
        .spacing(10)
        .max_width(820);
        if let Some(e) = &self.error {
            col = col.push(
                container(text(e.clone()).size(13))
                    .padding(12)
                    .width(Length::Fill)
                    .style(style::banner(style::RED)),
            );
        }
        if self.form.show_all && !self.problems.is_empty() {
            col = col.push(
                text(t!(
                    "wizard-fix-fields",
                    count = (self.problems.len() as i64)
                ))
                .size(14)
                .color(style::RED),
            );
        }
        scrollable(container(col).padding([24, 24]).center_x(Length::Fill))
            .height(Length::Fill)
            .into()
    }
}
