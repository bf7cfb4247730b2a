//! Notices: the app-wide messages above every screen (what happened, what went wrong), each
//! dismissable, some with a "Force off" for a VM that did not answer.

use super::{App, Message};
use crate::data::client::ClientError;
use crate::t;
use crate::ui::style;
use iced::widget::{button, column, container, row, text};
use iced::{Alignment, Element, Length};

#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub id: u64,
    pub text: String,
    pub error: bool,
    /// Offer "Force off" for this VM (after an unanswered ACPI power-off).
    pub force_off: Option<String>,
}

/// Notices shown at once; the oldest goes first.
const MAX: usize = 4;

impl App {
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
        if self.notices.len() > MAX {
            self.notices.remove(0);
        }
    }

    pub(super) fn dismiss(&mut self, id: u64) {
        self.notices.retain(|x| x.id != id);
    }

    /// What went wrong talking to a VM's VMM, for people.
    pub(super) fn error_text(&self, id: &str, e: &ClientError) -> String {
        let name = self.name_of(id);
        match e {
            ClientError::NotRunning => t!("error-not-running", name = name),
            ClientError::VmmMissing(m) => t!("error-vmm-missing", detail = m.as_str()),
            ClientError::Exited(info) => t!(
                "error-vmm-exited",
                name = name,
                meaning = crate::data::vms::exit_meaning(info)
            ),
            ClientError::Api { message, .. } => {
                t!("error-api", name = name, detail = message.as_str())
            }
            ClientError::Other(m) => t!("error-api", name = name, detail = m.as_str()),
        }
    }

    /// The notices above `body`.
    pub(super) fn with_notices<'a>(&'a self, body: Element<'a, Message>) -> Element<'a, Message> {
        let mut col = column![].height(Length::Fill);
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
}
