//! The new-VM wizard (direct Linux boot): name, kernel, initrd, command line, vCPUs, memory,
//! then the hardware: a disk (new, or an existing image used directly or as a linked clone),
//! the network and the screen. Making the disk runs off the UI thread; the wizard shows it busy.

use crate::data::disks::DiskPlan;
use crate::data::host::HostInfo;
use crate::data::{problems, store};
use crate::t;
use crate::ui::form::{self, VmForm};
use crate::ui::hardware::{self, Hardware};
use crate::ui::style;
use crate::ui::style::bold;
use iced::widget::{button, column, container, row, scrollable, text, Space};
use iced::{Alignment, Element, Length, Task};
use vmm_core::config::VmConfig;

#[derive(Debug, Clone)]
pub struct Wizard {
    pub form: VmForm,
    pub problems: Vec<(form::Field, String)>,
    pub hw: Hardware,
    pub hw_problems: Vec<(hardware::HwField, String)>,
    /// Why writing the VM failed, if it did.
    pub error: Option<String>,
    /// The VM (and its disk) is being created.
    pub busy: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Form(form::Message),
    Hw(hardware::Message),
    Cancel,
    Create,
    /// Making the VM failed: why.
    Failed(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    None,
    Cancel,
    /// Create this VM, with this disk made first.
    Create(Box<VmConfig>, Option<DiskPlan>),
}

impl Wizard {
    pub fn new(host: &HostInfo, vms_dir: &std::path::Path) -> Wizard {
        let form = VmForm::with_defaults(host);
        let problems = form.problems(host);
        let hw = Hardware::for_new_vm(vms_dir);
        let hw_problems = hw.problems();
        Wizard {
            form,
            problems,
            hw,
            hw_problems,
            error: None,
            busy: false,
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
            Message::Hw(m) => {
                let task = self.hw.update(m).map(Message::Hw);
                self.hw_problems = self.hw.problems();
                (task, Action::None)
            }
            Message::Failed(e) => {
                self.busy = false;
                self.error = Some(t!("error-create", detail = e));
                (Task::none(), Action::None)
            }
            Message::Cancel if self.busy => (Task::none(), Action::None),
            Message::Cancel => (Task::none(), Action::Cancel),
            Message::Create => {
                if self.busy {
                    return (Task::none(), Action::None);
                }
                self.problems = self.form.problems(host);
                self.hw_problems = self.hw.problems();
                self.form.show_all = true;
                self.hw.show_all = true;
                if !self.problems.is_empty() || !self.hw_problems.is_empty() {
                    return (Task::none(), Action::None);
                }
                let id = store::derive_id(&self.form.name, taken);
                let mut cfg = self.form.to_config(&id, None);
                self.hw.apply(&mut cfg);
                match cfg.validate(&host.limits()) {
                    Ok(()) => {
                        self.busy = true;
                        self.error = None;
                        (Task::none(), Action::Create(Box::new(cfg), self.hw.plan()))
                    }
                    Err(errs) => {
                        self.error = Some(
                            errs.iter()
                                .map(|e| format!("{}: {}", e.field, problems::describe(&e.kind)))
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
        let cancel = button(text(t!("button-cancel")).size(15))
            .padding([8, 16])
            .style(style::pill)
            .on_press_maybe((!self.busy).then_some(Message::Cancel));
        let create = button(
            text(if self.busy {
                t!("wizard-creating")
            } else {
                t!("wizard-create")
            })
            .size(15),
        )
        .padding([8, 16])
        .style(style::suggested)
        .on_press_maybe((!self.busy).then_some(Message::Create));
        container(
            row![
                cancel,
                Space::new().width(Length::Fill),
                style::header_title(t!("wizard-title")),
                Space::new().width(Length::Fill),
                create,
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
            Space::new().height(4),
            text(t!("wizard-hardware")).size(18).font(bold()),
            container(
                hardware::view(&self.hw, &self.hw_problems, !self.busy, true).map(Message::Hw)
            )
            .padding(20)
            .style(style::card),
        ]
        .spacing(10)
        .max_width(820);
        if self.busy {
            let what = match self.hw.plan() {
                Some(DiskPlan::New { .. }) => t!("wizard-busy-disk"),
                Some(DiskPlan::Existing { linked: true, .. }) => t!("wizard-busy-clone"),
                _ => t!("wizard-busy"),
            };
            col = col.push(
                container(text(what).size(14))
                    .padding(12)
                    .width(Length::Fill)
                    .style(style::banner(style::ACCENT)),
            );
        }
        if let Some(e) = &self.error {
            col = col.push(
                container(text(e.clone()).size(13))
                    .padding(12)
                    .width(Length::Fill)
                    .style(style::banner(style::RED)),
            );
        }
        let bad = self.problems.len() + self.hw_problems.len();
        if self.form.show_all && bad > 0 {
            col = col.push(
                text(t!("wizard-fix-fields", count = (bad as i64)))
                    .size(14)
                    .color(style::RED),
            );
        }
        scrollable(container(col).padding([24, 24]).center_x(Length::Fill))
            .height(Length::Fill)
            .into()
    }
}
