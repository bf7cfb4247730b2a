//! The serial console tab: a terminal on the guest's serial port (its scrollback kept in
//! memory, seeded from serial.log). A click gives it the keyboard, and then keys go to the guest
//! as a terminal sends them; Esc or a click elsewhere takes the keyboard back.

use crate::t;
use crate::ui::style;
use crate::ui::widget::section_title;
use crate::ui::widget::terminal::{self, Terminal};
use iced::widget::{button, column, container, row, text, tooltip, Space};
use iced::{border, Alignment, Element, Length};

/// The terminal's panel (for tests: a click on it gives the terminal the keyboard).
pub const TERMINAL_ID: &str = "serial-terminal";

#[derive(Debug, Default)]
pub struct Serial {
    pub term: Terminal,
    /// Typed bytes waiting for the one being sent: keys reach the guest in order, one request
    /// at a time.
    pending: Vec<u8>,
    sending: bool,
    /// Why the last keys did not reach the guest.
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Terminal(terminal::Event),
    Clear,
    Copy,
    /// Guest output (raw bytes, as the VMM sent them).
    Output(Vec<u8>),
    /// The clipboard's text, for Ctrl+Shift+V.
    Pasted(Option<String>),
    /// The last bytes reached the VMM, or why not.
    Sent(Result<(), String>),
}

/// What the details screen has to pass on.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    None,
    /// Type these bytes into the guest's serial port (and answer with `Sent`).
    Send(Vec<u8>),
    /// Put this text on the clipboard.
    Copy(String),
    /// Read the clipboard (and answer with `Pasted`).
    Paste,
}

impl Serial {
    pub fn new(scrollback: &str) -> Serial {
        let mut s = Serial::default();
        // Queries in the log were answered (or not) long ago.
        let _ = s.term.feed(scrollback.as_bytes());
        s
    }

    pub fn update(&mut self, message: Message) -> Action {
        use terminal::Event as T;
        match message {
            Message::Terminal(T::Focus(on)) => {
                self.term.set_focus(on);
                Action::None
            }
            Message::Terminal(T::Input(bytes)) => {
                self.term.scroll_to_bottom();
                self.send(bytes)
            }
            Message::Terminal(T::Paste) => Action::Paste,
            Message::Pasted(Some(text)) if !text.is_empty() => {
                let bytes = self.term.paste_bytes(&text);
                self.send(bytes)
            }
            Message::Pasted(_) => Action::None,
            Message::Terminal(T::Resize(rows, cols)) => {
                self.term.resize(rows, cols);
                Action::None
            }
            Message::Terminal(T::Scroll(lines)) => {
                self.term.scroll(lines);
                Action::None
            }
            Message::Sent(result) => {
                self.sending = false;
                match result {
                    Ok(()) => {
                        self.error = None;
                        if self.pending.is_empty() {
                            Action::None
                        } else {
                            let bytes = std::mem::take(&mut self.pending);
                            self.send(bytes)
                        }
                    }
                    // What was typed meanwhile would land out of context: dropped.
                    Err(e) => {
                        self.pending.clear();
                        self.error = Some(e);
                        Action::None
                    }
                }
            }
            Message::Clear => {
                self.term.clear();
                Action::None
            }
            // The whole scrollback, not only the rows on screen.
            Message::Copy | Message::Terminal(T::Copy) => Action::Copy(self.term.text()),
            Message::Output(bytes) => {
                let replies = self.term.feed(&bytes);
                if replies.is_empty() {
                    Action::None
                } else {
                    self.send(replies)
                }
            }
        }
    }

    fn send(&mut self, bytes: Vec<u8>) -> Action {
        if self.sending {
            self.pending.extend(bytes);
            Action::None
        } else {
            self.sending = true;
            Action::Send(bytes)
        }
    }

    /// The tab; typing works while the guest is `live` (running or paused).
    pub fn view(&self, live: bool) -> Element<'_, Message> {
        let focused = self.term.focused && live;
        let screen = container(self.term.view(live).map(Message::Terminal))
            .id(TERMINAL_ID)
            .height(Length::Fill)
            .width(Length::Fill)
            .style(move |theme| {
                let mut s = style::console(theme);
                // The ring says where the keys go.
                if focused {
                    s.border = border::rounded(10)
                        .color(style::ink(style::ACCENT))
                        .width(2);
                }
                s
            });
        let (rows, cols) = self.term.size();
        let size = tooltip(
            text(t!("terminal-size", cols = cols, rows = rows))
                .size(12)
                .color(style::ink(style::DIM)),
            container(text(t!("terminal-size-tip", cols = cols, rows = rows)).size(13))
                .padding(8)
                .max_width(360)
                .style(style::card),
            tooltip::Position::Bottom,
        );
        let hint = match (&self.error, live, focused) {
            (Some(e), _, _) => {
                text(t!("terminal-not-sent", error = e.as_str())).color(style::ink(style::RED))
            }
            (None, false, _) => text(t!("terminal-hint-stopped")).color(style::ink(style::DIM)),
            (None, true, false) => text(t!("terminal-hint")).color(style::ink(style::DIM)),
            (None, true, true) => text(t!("terminal-hint-focused")).color(style::ink(style::DIM)),
        }
        .size(12);
        container(
            column![
                row![
                    section_title(t!("details-console")),
                    Space::new().width(Length::Fill),
                    size,
                    button(text(t!("console-copy")).size(13))
                        .padding([4, 10])
                        .style(style::flat)
                        .on_press(Message::Copy),
                    button(text(t!("console-clear")).size(13))
                        .padding([4, 10])
                        .style(style::flat)
                        .on_press(Message::Clear),
                ]
                .spacing(6)
                .align_y(Alignment::Center),
                screen,
                hint,
            ]
            .spacing(8),
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
    fn keys_wait_for_the_one_being_sent_and_go_out_in_order() {
        let mut s = Serial::new("");
        let key = |b: &[u8]| Message::Terminal(terminal::Event::Input(b.to_vec()));
        assert_eq!(s.update(key(b"a")), Action::Send(b"a".to_vec()));
        assert_eq!(s.update(key(b"b")), Action::None);
        assert_eq!(s.update(key(b"c")), Action::None);
        assert_eq!(
            s.update(Message::Sent(Ok(()))),
            Action::Send(b"bc".to_vec())
        );
        assert_eq!(s.update(Message::Sent(Ok(()))), Action::None);
        assert_eq!(s.update(key(b"d")), Action::Send(b"d".to_vec()));
        assert_eq!(s.update(key(b"e")), Action::None);
        assert_eq!(s.update(Message::Sent(Err("gone".into()))), Action::None);
        assert_eq!(s.error.as_deref(), Some("gone"));
        assert_eq!(s.update(key(b"f")), Action::Send(b"f".to_vec()));
    }

    #[test]
    fn scrollback_is_bounded_and_copy_has_it_all() {
        let mut s = Serial::new("hello\r\nworld\x07\r\n");
        assert_eq!(s.term.text(), "hello\nworld\n");
        for i in 0..3000 {
            s.update(Message::Output(format!("TICK {i}\r\n").into_bytes()));
        }
        let text = s.term.text();
        let lines: Vec<&str> = text.lines().collect();
        // The scrollback's lines and the screen's (the last row is where the cursor waits).
        assert_eq!(lines.len(), terminal::SCROLLBACK_LINES + 23);
        assert_eq!(lines.last(), Some(&"TICK 2999"));
        assert_eq!(
            lines[0],
            format!("TICK {}", 3000 - terminal::SCROLLBACK_LINES - 23)
        );
    }
}
