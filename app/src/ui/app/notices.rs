//! Notices as toasts: what happened, what went wrong, drawn over the screen in a layer of
//! their own (they never move what is under them, so a click lands where it was aimed), at most
//! [`VISIBLE`] at once, the newest last. Information goes away by itself after [`INFO_SECS`]
//! seconds shown; errors stay until dismissed (some offer "Force off" for a VM that did not
//! answer). On the console they sit on its status bar, never on the guest's screen, and in
//! fullscreen they wait.

use super::{App, Message, Screen};
use crate::data::client::ClientError;
use crate::t;
use crate::ui::style;
use iced::widget::{button, column, container, opaque, row, stack, text};
use iced::{Alignment, Element, Length};

#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub id: u64,
    pub text: String,
    pub error: bool,
    /// Offer "Force off" for this VM (after an unanswered ACPI power-off).
    pub force_off: Option<String>,
    /// Seconds it has been on screen (ticks while visible).
    pub shown: u32,
}

/// Toasts on screen at once; later ones wait their turn.
pub const VISIBLE: usize = 3;
/// Seconds an information toast stays on screen.
pub const INFO_SECS: u32 = 5;
/// Notices kept (shown or waiting); past it the oldest goes.
const KEPT: usize = 8;

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
            shown: 0,
        });
        if self.notices.len() > KEPT {
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

    /// Whether toasts show on the current screen (not over a fullscreen guest).
    fn toasts_show(&self) -> bool {
        !matches!(&self.screen, Screen::Console(c, _) if c.fullscreen)
    }

    /// A second passed: the information toasts on screen age, and go after [`INFO_SECS`].
    pub(super) fn age_notices(&mut self) {
        if !self.toasts_show() {
            return;
        }
        for n in self.notices.iter_mut().take(VISIBLE) {
            n.shown += 1;
        }
        self.notices.retain(|n| n.error || n.shown < INFO_SECS);
    }

    /// `screen` with the toasts over it: at the bottom in the middle, or on the console, over
    /// its status bar (only the newest, one line).
    pub(super) fn with_notices<'a>(&'a self, screen: Element<'a, Message>) -> Element<'a, Message> {
        if self.notices.is_empty() || !self.toasts_show() {
            return screen;
        }
        let layer: Element<'a, Message> = if matches!(self.screen, Screen::Console(..)) {
            let n = &self.notices[self.notices.len().min(VISIBLE) - 1];
            container(opaque(
                container(toast_row(n, 13))
                    .padding([0, 16])
                    .height(crate::ui::screen::console::STATUS_BAR)
                    .width(Length::Fill)
                    .align_y(Alignment::Center)
                    .style(style::toast_bar(colour(n))),
            ))
            .height(Length::Fill)
            .align_bottom(Length::Fill)
            .into()
        } else {
            let mut toasts = column![].spacing(8).max_width(560);
            for n in self.notices.iter().take(VISIBLE) {
                toasts = toasts.push(opaque(
                    container(toast_row(n, 14))
                        .padding([8, 14])
                        .width(Length::Fill)
                        .style(style::toast(colour(n))),
                ));
            }
            container(toasts)
                .padding(20)
                .center_x(Length::Fill)
                .align_bottom(Length::Fill)
                .into()
        };
        stack![screen, layer].into()
    }
}

fn colour(n: &Notice) -> iced::Color {
    if n.error {
        style::RED
    } else {
        style::ACCENT
    }
}

/// A toast's text and its buttons.
fn toast_row(n: &Notice, size: u32) -> Element<'_, Message> {
    let mut r = row![text(n.text.clone())
        .size(size as f32)
        .width(Length::Fill)
        .wrapping(text::Wrapping::WordOrGlyph)]
    .spacing(8)
    .align_y(Alignment::Center);
    let small = size < 14;
    let pad = if small { [1, 10] } else { [6, 12] };
    if let Some(id) = &n.force_off {
        r = r.push(
            button(text(t!("button-force-off")).size(13))
                .padding(pad)
                .style(style::destructive)
                .on_press(Message::ForceOff(n.id, id.clone())),
        );
    }
    r.push(
        button(text(t!("button-dismiss")).size(13))
            .padding(pad)
            .style(style::pill)
            .on_press(Message::DismissNotice(n.id)),
    )
    .into()
}
