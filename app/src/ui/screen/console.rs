//! The guest's screen (VMs with a `[display]`): the VNC frame scaled to fit or at 1:1, keyboard
//! and pointer to the guest, Ctrl+Alt to capture and release the keyboard, a "Send key" menu,
//! fullscreen (F11) and a screenshot button; beside it, the inspector (`inspector`).

pub mod follow;
pub mod inspector;
mod tiles;

use tiles::screen;
#[cfg(test)]
use tiles::{fit_scale, tile_bounds};

use crate::data::vms::VmState;
use crate::t;
use crate::ui::style;
use crate::ui::style::bold;
use crate::ui::vnc::{self, Input};
use crate::ui::widget::state_badge;
use iced::keyboard::key::Named;
use iced::keyboard::{Key, Location};
use iced::widget::{
    button, column, container, mouse_area, responsive, row, scrollable, stack, text, tooltip, Space,
};
use iced::{Alignment, Element, Length, Subscription, Task};

#[derive(Debug, Clone)]
pub struct Console {
    pub id: String,
    /// The guest's screen as last received (tiles).
    pub frame: Option<vnc::Screen>,
    pub link: Link,
    /// Scale the screen to the window (else 1:1 with scroll bars).
    pub fit: bool,
    /// Keys go to the guest.
    pub grabbed: bool,
    pub menu: bool,
    /// The "⋯" bar with the less used actions (size, screenshot) shows.
    pub more: bool,
    pub fullscreen: bool,
    input: Option<tokio::sync::mpsc::Sender<Input>>,
    buttons: u8,
    pos: (u16, u16),
    /// Keysyms the guest holds down (released when the keyboard is let go).
    held: Vec<u32>,
    /// A Ctrl or Alt pressed while captured, not sent yet: if its partner follows, the pair
    /// releases the keyboard and the guest must not see a stray Ctrl.
    deferred: Option<u32>,
    /// Fullscreen: the bar with "Leave fullscreen" shows (the pointer is at the top).
    reveal: bool,
    ctrl: bool,
    alt: bool,
    /// The inspector panel (hidden until its header button is pressed).
    pub inspector: inspector::Inspector,
    /// "Resize guest with window" (`follow`).
    pub follow: follow::Follow,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    Connecting,
    Connected,
    Lost(String),
}

#[derive(Debug, Clone)]
pub enum Message {
    Vnc(vnc::Event),
    Back,
    Fit(bool),
    Grab(bool),
    Menu,
    /// Shows or hides the "⋯" bar.
    More,
    /// Presses a key combination (keysyms) in the guest.
    SendKeys(Vec<u32>),
    Fullscreen,
    /// Fullscreen: the pointer is this far (px) from the window's top edge.
    Pointed(f32),
    Screenshot,
    /// Pointer at framebuffer coordinates.
    Pointer(f32, f32),
    /// RFB button bit (1 left, 2 middle, 4 right), pressed or released.
    Button(u8, bool),
    /// Wheel: up (true) or down.
    Wheel(bool),
    Key {
        key: Key,
        location: Location,
        down: bool,
    },
    Inspector(inspector::Message),
    /// "Resize guest with window" (`follow`).
    Follow(follow::Message),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    None,
    /// Back to the details; `fullscreen` when the window has to leave fullscreen.
    Back {
        fullscreen: bool,
    },
    /// Enter (true) or leave fullscreen.
    Fullscreen(bool),
    Screenshot(String),
    /// Ask the VMM for the inspector (off the UI thread); the answer comes back as a
    /// `Message::Inspector`.
    Inspect(String, inspector::Request),
    /// Ask the guest's display for a size, or save the choice to.
    Follow(follow::Request),
}

/// Fullscreen: the pointer this close to the top edge reveals the bar with "Leave fullscreen",
/// which is this high and hides once the pointer is below it.
const REVEAL_EDGE: f32 = 3.0;
const REVEAL_BAR: f32 = 48.0;

/// The status bar's height under the screen: the app's toasts cover exactly it, never the
/// guest's screen.
pub const STATUS_BAR: f32 = 30.0;

/// The combinations of the "Send key" menu: label and keysyms.
pub fn send_keys() -> Vec<(String, Vec<u32>)> {
    use vnc::sym::*;
    let mut v = vec![
        ("Ctrl+Alt+Del".to_string(), vec![CONTROL_L, ALT_L, DELETE]),
        (
            "Ctrl+Alt+Backspace".to_string(),
            vec![CONTROL_L, ALT_L, BACKSPACE],
        ),
    ];
    for n in 0..12 {
        v.push((
            format!("Ctrl+Alt+F{}", n + 1),
            vec![CONTROL_L, ALT_L, F1 + n],
        ));
    }
    v
}

impl Console {
    pub fn new(id: &str) -> Console {
        Console {
            id: id.to_string(),
            frame: None,
            link: Link::Connecting,
            fit: true,
            grabbed: false,
            menu: false,
            more: false,
            fullscreen: false,
            input: None,
            buttons: 0,
            pos: (0, 0),
            held: Vec::new(),
            deferred: None,
            reveal: false,
            ctrl: false,
            alt: false,
            inspector: inspector::Inspector::default(),
            follow: follow::Follow::new(false, true),
        }
    }

    /// A console whose display can (`supported`) or cannot follow the window, with the user's
    /// choice `on`.
    pub fn with_follow(mut self, supported: bool, on: bool) -> Console {
        self.follow = follow::Follow::new(supported, on);
        self
    }

    /// [`Console::update`], for messages that depend on the VM's state (the inspector's).
    pub fn update_with(&mut self, message: Message, state: VmState) -> (Task<Message>, Action) {
        match message {
            Message::Inspector(m) => {
                let action = match self.inspector.update(m, state) {
                    Some(r) => Action::Inspect(self.id.clone(), r),
                    None => Action::None,
                };
                (Task::none(), action)
            }
            m => self.update(m),
        }
    }

    fn send(&self, i: Input) {
        if let Some(tx) = &self.input {
            let _ = tx.try_send(i);
        }
    }

    /// Lets go of every key the guest holds.
    fn release_all(&mut self) {
        self.deferred = None;
        for k in std::mem::take(&mut self.held).into_iter().rev() {
            self.send(Input::Key(k, false));
        }
    }

    pub fn update(&mut self, message: Message) -> (Task<Message>, Action) {
        let action = match message {
            Message::Vnc(e) => {
                match e {
                    vnc::Event::Connected(tx) => {
                        self.input = Some(tx);
                        self.link = Link::Connected;
                        self.follow.reconnected();
                    }
                    vnc::Event::Frame(f) => {
                        self.link = Link::Connected;
                        crate::ui::trace::showing(f.seq);
                        self.frame.get_or_insert_default().apply(f);
                        // The first since connecting: the area may want another size.
                        self.follow.frame_arrived(std::time::Instant::now());
                    }
                    vnc::Event::Disconnected(why) => {
                        self.input = None;
                        self.held.clear();
                        self.link = Link::Lost(why);
                    }
                }
                Action::None
            }
            Message::Back => {
                self.release_all();
                Action::Back {
                    fullscreen: self.fullscreen,
                }
            }
            Message::Fit(f) => {
                self.fit = f;
                Action::None
            }
            Message::Grab(g) => {
                if !g {
                    self.release_all();
                }
                self.grabbed = g;
                Action::None
            }
            Message::Menu => {
                self.menu = !self.menu;
                Action::None
            }
            Message::More => {
                self.more = !self.more;
                Action::None
            }
            Message::SendKeys(keys) => {
                self.menu = false;
                for i in vnc::combo(&keys) {
                    self.send(i);
                }
                Action::None
            }
            Message::Fullscreen => {
                self.fullscreen = !self.fullscreen;
                self.reveal = false;
                // The toolbar's bars go with it.
                self.more = false;
                self.menu = false;
                Action::Fullscreen(self.fullscreen)
            }
            Message::Pointed(y) => {
                // At the very edge the bar comes; it stays while the pointer is on it.
                if y <= REVEAL_EDGE {
                    self.reveal = self.fullscreen;
                } else if y > REVEAL_BAR {
                    self.reveal = false;
                }
                Action::None
            }
            Message::Screenshot => Action::Screenshot(self.id.clone()),
            Message::Pointer(x, y) => {
                let Some(f) = &self.frame else {
                    return (Task::none(), Action::None);
                };
                let x = x.clamp(0.0, f.width.saturating_sub(1) as f32) as u16;
                let y = y.clamp(0.0, f.height.saturating_sub(1) as f32) as u16;
                self.pos = (x, y);
                self.send(Input::Pointer(x, y, self.buttons));
                Action::None
            }
            Message::Button(bit, down) => {
                if down {
                    self.buttons |= bit;
                    // Clicking into the screen captures the keyboard.
                    self.grabbed = true;
                    self.menu = false;
                } else {
                    self.buttons &= !bit;
                }
                self.send(Input::Pointer(self.pos.0, self.pos.1, self.buttons));
                Action::None
            }
            Message::Wheel(up) => {
                let bit = if up { 8 } else { 16 };
                let (x, y) = self.pos;
                self.send(Input::Pointer(x, y, self.buttons | bit));
                self.send(Input::Pointer(x, y, self.buttons));
                Action::None
            }
            Message::Key {
                key,
                location,
                down,
            } => return (Task::none(), self.key(key, location, down)),
            // Without the VM's state: as a stopped VM's (nothing is asked).
            Message::Inspector(m) => {
                return self.update_with(Message::Inspector(m), VmState::Stopped)
            }
            Message::Follow(m) => self.follow_update(m),
        };
        (Task::none(), action)
    }

    fn key(&mut self, key: Key, location: Location, down: bool) -> Action {
        let modifier = match key.as_ref() {
            Key::Named(Named::Control) => {
                self.ctrl = down;
                true
            }
            Key::Named(Named::Alt) => {
                self.alt = down;
                true
            }
            _ => false,
        };
        // Ctrl+Alt captures or releases the keyboard; the guest never sees the pair.
        if modifier && down && self.ctrl && self.alt {
            // Whatever the guest holds (the first of the two, when capturing) is let go.
            self.release_all();
            self.grabbed = !self.grabbed;
            return Action::None;
        }
        // F11 is the window's, captured or not: fullscreen must always have a way out.
        if key == Key::Named(Named::F11) {
            if !down {
                return Action::None;
            }
            self.fullscreen = !self.fullscreen;
            self.reveal = false;
            self.more = false;
            self.menu = false;
            return Action::Fullscreen(self.fullscreen);
        }
        if !self.grabbed {
            return Action::None;
        }
        let Some(sym) = vnc::keysym(&key, location) else {
            return Action::None;
        };
        // Ctrl or Alt alone waits for the next key to tell a shortcut from the release pair.
        if modifier && down && self.deferred.is_none() {
            self.deferred = Some(sym);
            return Action::None;
        }
        if let Some(m) = self.deferred.take() {
            self.held.push(m);
            self.send(Input::Key(m, true));
        }
        if down {
            if !self.held.contains(&sym) {
                self.held.push(sym);
            }
        } else if !self.held.contains(&sym) {
            return Action::None;
        } else {
            self.held.retain(|k| *k != sym);
        }
        self.send(Input::Key(sym, down));
        Action::None
    }

    fn toolbar(&self, state: VmState, name: &str) -> Element<'_, Message> {
        let btn = |label: String, m: Message| {
            button(text(label).size(14))
                .padding([7, 11])
                .style(style::pill)
                .on_press(m)
        };
        container(
            row![
                button(text(t!("screen-back")).size(15))
                    .padding([8, 14])
                    .style(style::pill)
                    .on_press(Message::Back),
                Space::new().width(8),
                style::header_name(name.to_string(), state_badge(state)),
                // What fits 800 px in every language; the rest is behind "⋯".
                if self.grabbed {
                    btn(t!("screen-release"), Message::Grab(false))
                } else {
                    btn(t!("screen-capture"), Message::Grab(true))
                },
                btn(t!("screen-send-key"), Message::Menu),
                tooltip(
                    button(text(t!("screen-inspector")).size(14))
                        .padding([7, 11])
                        .style(if self.inspector.shown {
                            style::tab_selected
                        } else {
                            style::pill
                        })
                        .on_press(Message::Inspector(inspector::Message::Toggle)),
                    container(text(t!("screen-inspector-tip")).size(13))
                        .padding([4, 8])
                        .max_width(360)
                        .style(style::card),
                    tooltip::Position::Bottom,
                ),
                tooltip(
                    btn("⋯".to_string(), Message::More),
                    container(text(t!("screen-more")).size(13))
                        .padding([4, 8])
                        .style(style::card),
                    tooltip::Position::Bottom,
                ),
            ]
            .spacing(8)
            .align_y(Alignment::Center),
        )
        .padding([10, 16])
        .style(style::header)
        .into()
    }

    /// The console's event sources: the keyboard, and the guest's screen while its VMM
    /// (process `pid`) runs, over the VNC socket `socket`.
    pub fn subscription(
        &self,
        pid: Option<u32>,
        socket: std::path::PathBuf,
    ) -> Subscription<Message> {
        let keys = iced::event::listen_with(keys);
        let Some(pid) = pid else {
            return keys;
        };
        let keys = match self.follow_ticks() {
            Some(ticks) => Subscription::batch([keys, ticks]),
            None => keys,
        };
        // The inspector polls only while it shows and the VMM is there.
        let keys = if self.inspector.shown {
            let every = std::time::Duration::from_millis(inspector::EVERY_MS);
            Subscription::batch([
                keys,
                iced::time::every(every).map(|_| Message::Inspector(inspector::Message::Tick)),
            ])
        } else {
            keys
        };
        let screen = Subscription::run_with(
            vnc::ScreenKey {
                vm: self.id.clone(),
                pid,
                socket,
            },
            vnc::connect,
        )
        .map(Message::Vnc);
        Subscription::batch([keys, screen])
    }

    pub fn view(&self, state: VmState, name: &str) -> Element<'_, Message> {
        let mut body = column![].height(Length::Fill);
        if !self.fullscreen {
            body = body.push(self.toolbar(state, name));
        }
        if self.more {
            let more = row![
                Space::new().width(Length::Fill),
                self.follow_toggle(),
                bar_button(
                    if self.fit {
                        t!("screen-actual-size")
                    } else {
                        t!("screen-fit")
                    },
                    Message::Fit(!self.fit)
                ),
                bar_button(t!("screen-screenshot"), Message::Screenshot),
                // Here to leave the header room for the inspector; F11 does it too.
                bar_button(t!("screen-fullscreen"), Message::Fullscreen),
            ]
            .spacing(6)
            .align_y(Alignment::Center);
            body = body.push(
                container(more)
                    .padding([6, 12])
                    .width(Length::Fill)
                    .style(style::header),
            );
        }
        if self.menu {
            // The twelve function keys share one "Ctrl+Alt+" so that all fit at 800 px.
            let mut menu = row![text(t!("screen-send-key-title")).size(13).font(bold())]
                .spacing(6)
                .align_y(Alignment::Center);
            let mut fkeys = row![text("Ctrl+Alt+").size(12)]
                .spacing(2)
                .align_y(Alignment::Center);
            for (label, keys) in send_keys() {
                match label
                    .strip_prefix("Ctrl+Alt+")
                    .filter(|k| k.starts_with('F'))
                {
                    Some(f) => fkeys = fkeys.push(bar_key(f.to_string(), keys)),
                    None => menu = menu.push(bar_key(label, keys)),
                }
            }
            body = body.push(
                container(scrollable(menu.push(fkeys)).direction(
                    scrollable::Direction::Horizontal(
                        scrollable::Scrollbar::new().width(4).scroller_width(4),
                    ),
                ))
                .padding([6, 12])
                .width(Length::Fill)
                .style(style::header),
            );
        }
        if let (Link::Lost(why), Some(_)) = (&self.link, &self.frame) {
            body = body.push(
                container(text(t!("screen-lost", reason = why.as_str())).size(13))
                    .padding([6, 12])
                    .width(Length::Fill)
                    .style(style::banner(style::RED)),
            );
        }
        body = body.push(if self.inspector.shown {
            self.with_inspector(state)
        } else {
            self.screen_area()
        });
        if !self.fullscreen {
            let hint = if self.grabbed {
                t!("screen-grabbed")
            } else {
                t!("screen-not-grabbed")
            };
            let size = self
                .frame
                .as_ref()
                .map(|f| format!("{} × {}", f.width, f.height))
                .unwrap_or_default();
            body = body.push(
                container(
                    row![
                        text(hint).size(13).color(style::ink(if self.grabbed {
                            style::ACCENT
                        } else {
                            style::GREY
                        })),
                        Space::new().width(Length::Fill),
                        text(size).size(13).color(style::ink(style::GREY)),
                    ]
                    .align_y(Alignment::Center),
                )
                .padding([0, 16])
                .height(STATUS_BAR)
                .align_y(Alignment::Center)
                .width(Length::Fill)
                .style(style::header),
            );
        }
        if !self.fullscreen {
            return body.into();
        }
        // Fullscreen hides the toolbar: a bar slides in at the top edge, over the screen.
        let top: Element<'_, Message> = if self.reveal {
            container(
                row![
                    text(name.to_string()).size(14).font(bold()),
                    Space::new().width(Length::Fill),
                    // The key that does the same, captured or not.
                    text("F11").size(13).color(style::ink(style::GREY)),
                    button(text(t!("screen-leave-fullscreen")).size(14))
                        .padding([7, 14])
                        .style(style::pill)
                        .on_press(Message::Fullscreen),
                ]
                .spacing(10)
                .align_y(Alignment::Center),
            )
            .padding([6, 16])
            .height(REVEAL_BAR)
            .align_y(Alignment::Center)
            .width(Length::Fill)
            .style(style::header)
            .into()
        } else {
            Space::new().into()
        };
        // Where the pointer is, over the guest's screen or not (hovering captures nothing, so
        // the screen still gets its moves); the position alone decides, no enter/leave state.
        mouse_area(stack![body, column![top]])
            .on_move(|p| Message::Pointed(p.y))
            .into()
    }
}

impl Console {
    /// The guest's screen, or what stands in for it.
    fn screen_area(&self) -> Element<'_, Message> {
        let screen: Element<'_, Message> = match &self.frame {
            Some(f) => {
                let one = self.fit && self.follow.one_to_one((f.width, f.height));
                screen(f, self.fit, one.then(|| 1.0 / self.follow.scale()))
            }
            None => {
                let msg = match &self.link {
                    Link::Lost(why) => t!("screen-lost", reason = why.as_str()),
                    _ => t!("screen-connecting"),
                };
                container(text(msg).size(15)).center(Length::Fill).into()
            }
        };
        // Scaled to fit, the screen draws its own dark margins: a background behind it would
        // be repainted (through a clip mask) on every frame.
        let area = container(screen).width(Length::Fill).height(Length::Fill);
        let area = if self.fit && self.frame.is_some() {
            area
        } else {
            area.style(style::screen_bg)
        };
        // Its size, for "Resize guest with window".
        iced::widget::sensor(area)
            .on_resize(|s| Message::Follow(follow::Message::Area(s.width, s.height)))
            .into()
    }

    /// The screen with the inspector beside it, or (narrow windows) the inspector alone: a
    /// squeezed guest screen would be too small to read.
    fn with_inspector(&self, state: VmState) -> Element<'_, Message> {
        use inspector::{BESIDE_FROM, WIDTH};
        responsive(move |size| {
            let panel = self.inspector.view(state).map(Message::Inspector);
            if size.width < BESIDE_FROM {
                return panel;
            }
            let line =
                container(Space::new())
                    .width(1)
                    .height(Length::Fill)
                    .style(|_: &iced::Theme| container::Style {
                        background: Some(style::LINE.into()),
                        ..Default::default()
                    });
            row![self.screen_area(), line, container(panel).width(WIDTH)].into()
        })
        .into()
    }
}

/// A button in the bars under the header.
fn bar_button<'a>(label: String, m: Message) -> Element<'a, Message> {
    button(text(label).size(13))
        .padding([4, 10])
        .style(style::flat)
        .on_press(m)
        .into()
}

/// A key combination in the "Send key" bar.
fn bar_key<'a>(label: String, keys: Vec<u32>) -> Element<'a, Message> {
    button(text(label).size(12))
        .padding([4, 7])
        .style(style::flat)
        .on_press(Message::SendKeys(keys))
        .into()
}

/// Keyboard events for the screen (subscribed only while it shows).
pub fn keys(event: iced::Event, _: iced::event::Status, _: iced::window::Id) -> Option<Message> {
    match event {
        // And the window's scale factor (HiDPI), for "Resize guest with window".
        iced::Event::Window(iced::window::Event::Rescaled(f)) => {
            Some(Message::Follow(follow::Message::Scale(f)))
        }
        // Holding F11 must not flip fullscreen on and off with the key's repeat.
        iced::Event::Keyboard(iced::keyboard::Event::KeyPressed {
            key: Key::Named(Named::F11),
            repeat: true,
            ..
        }) => None,
        iced::Event::Keyboard(iced::keyboard::Event::KeyPressed { key, location, .. }) => {
            Some(Message::Key {
                key,
                location,
                down: true,
            })
        }
        iced::Event::Keyboard(iced::keyboard::Event::KeyReleased { key, location, .. }) => {
            Some(Message::Key {
                key,
                location,
                down: false,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests;
