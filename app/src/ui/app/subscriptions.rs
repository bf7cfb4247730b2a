//! What the app listens to besides the user's clicks: the clock, window sizes, the app's
//! keyboard shortcuts (not while the guest has the keyboard), the console's VNC stream, the
//! wizard's spinner and the VMM's events.

use super::{guest, App, Message, Screen, Shortcut};
use crate::ui::screen::{details, wizard};
use iced::keyboard::{self, Key};
use iced::Subscription;
use std::time::Duration;

impl App {
    pub fn subscription(&self) -> Subscription<Message> {
        let mut subs = vec![
            iced::time::every(Duration::from_secs(1)).map(|_| Message::Tick),
            iced::window::resize_events().map(|(_, s)| Message::Resized(s)),
        ];
        if crate::ui::trace::enabled() {
            subs.push(crate::ui::trace::frames());
        }
        match &self.screen {
            // While the guest has the keyboard, the app's shortcuts are the guest's keys.
            Screen::Console(c, _) => {
                let pid = self
                    .vms
                    .runtime(&c.id)
                    .and_then(|r| r.status.as_ref())
                    .map(|s| s.pid);
                let socket = self.paths.vnc_socket(&c.id);
                subs.push(c.subscription(pid, socket).map(Message::Console));
                if !c.grabbed {
                    subs.push(iced::event::listen_with(shortcut));
                }
            }
            // While the serial terminal has the keyboard, Ctrl+N, Ctrl+F, Ctrl+Q are the guest's.
            Screen::Details(d)
                if d.tab == details::Tab::Console
                    && d.serial.term.focused
                    && self.vms.runtime(&d.id).is_some_and(|r| r.status.is_some()) => {}
            _ => subs.push(iced::event::listen_with(shortcut)),
        }
        if let Screen::Wizard(w) = &self.screen {
            if w.install.detecting {
                subs.push(iced::time::every(Duration::from_millis(150)).map(|_| {
                    Message::Wizard(wizard::Message::Install(wizard::install::Message::Spin))
                }));
            }
        }
        if let Screen::Compare(c, _) = &self.screen {
            if c.running() {
                subs.push(
                    iced::time::every(Duration::from_millis(150))
                        .map(|_| Message::Compare(crate::ui::screen::compare::Message::Spin)),
                );
            }
        }
        let details = match &self.screen {
            Screen::Details(d) | Screen::Console(_, d) => Some(d),
            _ => None,
        };
        if let Some(d) = details {
            if let Some(pid) = self
                .vms
                .runtime(&d.id)
                .and_then(|r| r.status.as_ref())
                .map(|s| s.pid)
            {
                subs.push(Subscription::run_with(
                    guest::GuestKey {
                        id: d.id.clone(),
                        pid,
                        client: self.client.clone(),
                    },
                    guest::guest_stream,
                ));
            }
        }
        Subscription::batch(subs)
    }
}

pub fn shortcut(
    event: iced::Event,
    _: iced::event::Status,
    _: iced::window::Id,
) -> Option<Message> {
    let iced::Event::Keyboard(keyboard::Event::KeyPressed { key, modifiers, .. }) = event else {
        return None;
    };
    if !modifiers.control() {
        return None;
    }
    match key.as_ref() {
        Key::Character("n") => Some(Message::Shortcut(Shortcut::New)),
        Key::Character("f") => Some(Message::Shortcut(Shortcut::Search)),
        Key::Character("q") => Some(Message::Shortcut(Shortcut::Quit)),
        _ => None,
    }
}
