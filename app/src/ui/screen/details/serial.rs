//! The serial console tab: the guest's serial output (the scrollback kept in memory, its tail
//! drawn) and a line to type into it.

use crate::t;
use crate::ui::style;
use crate::ui::style::mono;
use crate::ui::widget::section_title;
use iced::widget::{button, column, container, row, scrollable, text, text_input, Space};
use iced::{Alignment, Element, Length};

pub const CONSOLE_INPUT_ID: &str = "console-input";
pub const CONSOLE_ID: &str = "console";
/// Serial scrollback kept in memory.
const SCROLLBACK_BYTES: usize = 256 * 1024;
/// Lines drawn (the rest stays in the buffer and in serial.log).
const VISIBLE_LINES: usize = 400;

#[derive(Debug, Clone, Default)]
pub struct Serial {
    pub text: String,
    pub input: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Input(String),
    Send,
    Clear,
    Copy,
    /// Guest output (raw bytes, as the VMM sent them).
    Output(Vec<u8>),
}

/// What the details screen has to pass on.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    None,
    /// Type this into the guest's serial port.
    Send(String),
    /// Put this text on the clipboard.
    Copy(String),
}

impl Serial {
    pub fn new(scrollback: &str) -> Serial {
        let mut s = Serial::default();
        s.push(scrollback.as_bytes());
        s
    }

    pub fn update(&mut self, message: Message) -> Action {
        match message {
            Message::Input(s) => {
                self.input = s;
                Action::None
            }
            Message::Send => Action::Send(format!("{}\n", std::mem::take(&mut self.input))),
            Message::Clear => {
                self.text.clear();
                Action::None
            }
            // The whole scrollback, not only the lines on screen.
            Message::Copy => Action::Copy(self.text.clone()),
            Message::Output(bytes) => {
                self.push(&bytes);
                Action::None
            }
        }
    }

    /// Appends guest output: carriage returns and other control bytes dropped.
    fn push(&mut self, bytes: &[u8]) {
        let text = String::from_utf8_lossy(bytes);
        self.text.extend(
            text.chars()
                .filter(|c| *c == '\n' || *c == '\t' || !c.is_control()),
        );
        if self.text.len() > SCROLLBACK_BYTES {
            let mut cut = self.text.len() - SCROLLBACK_BYTES;
            while !self.text.is_char_boundary(cut) {
                cut += 1;
            }
            self.text.drain(..cut);
        }
    }

    fn visible(&self) -> &str {
        let mut idx = self.text.trim_end_matches('\n').len();
        for _ in 0..VISIBLE_LINES {
            match self.text[..idx].rfind('\n') {
                Some(i) => idx = i,
                None => return &self.text,
            }
        }
        &self.text[idx + 1..]
    }

    /// The tab; typing works while the guest is `live` (running or paused).
    pub fn view(&self, live: bool) -> Element<'_, Message> {
        let out = if self.text.is_empty() {
            t!("console-empty")
        } else {
            self.visible().to_string()
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
                        .on_press(Message::Copy),
                    button(text(t!("console-clear")).size(13))
                        .padding([4, 10])
                        .style(style::flat)
                        .on_press(Message::Clear),
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrollback_is_bounded_and_cleaned() {
        let mut d = Serial::new("");
        d.push(b"hello\r\nworld\x07\n");
        assert_eq!(d.text, "hello\nworld\n");
        for _ in 0..100_000 {
            d.push(b"TICK 123456\n");
        }
        assert!(d.text.len() <= SCROLLBACK_BYTES);
        assert_eq!(d.visible().lines().count(), VISIBLE_LINES);
    }
}
