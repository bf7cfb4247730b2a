//! The network interface part of the hardware form: on or off, its user-mode backend
//! (Automatic, passt or libslirp, each with a line saying what it is) and its port forwards.

use super::{below, input, switch, Hardware, HwField, Message};
use crate::t;
use crate::ui::style;
use iced::widget::{column, container, mouse_area, radio, row, text};
use iced::{Alignment, Element, Length};
use vmm_core::config::NetBackend;

/// What this host has for a NIC's user-mode network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NetHave {
    pub passt: bool,
    pub slirp: bool,
}

impl NetHave {
    pub fn probe() -> NetHave {
        let a = vmm_core::net::Available::probe();
        NetHave {
            passt: a.passt.is_some(),
            slirp: a.slirp.is_ok(),
        }
    }

    pub fn any(self) -> bool {
        self.passt || self.slirp
    }

    /// Why `backend` cannot work here, if it cannot.
    pub fn missing(self, backend: NetBackend) -> Option<String> {
        match backend {
            NetBackend::Auto if !self.any() => Some(t!("hw-passt-missing")),
            NetBackend::Passt if !self.passt => Some(t!("hw-backend-passt-missing")),
            NetBackend::Slirp if !self.slirp => Some(t!("hw-backend-slirp-missing")),
            _ => None,
        }
    }
}

/// The backends offered, with their names and one line each.
pub fn choices() -> [(NetBackend, String, String); 3] {
    [
        (
            NetBackend::Auto,
            t!("hw-backend-auto"),
            t!("hw-backend-auto-hint"),
        ),
        (
            NetBackend::Passt,
            t!("hw-backend-passt"),
            t!("hw-backend-passt-hint"),
        ),
        (
            NetBackend::Slirp,
            t!("hw-backend-slirp"),
            t!("hw-backend-slirp-hint"),
        ),
    ]
}

pub(super) fn view<'a>(
    hw: &'a Hardware,
    problems: &[(HwField, String)],
    editable: bool,
) -> Element<'a, Message> {
    let mut net = column![switch(
        hw.network,
        t!("hw-network"),
        editable,
        Message::Network
    )]
    .spacing(6);
    match hw.net_have.missing(hw.net_backend).filter(|_| hw.network) {
        Some(why) => net = net.push(text(why).size(13).color(style::ink(style::ORANGE))),
        None => {
            net = net.push(
                text(t!("hw-network-hint"))
                    .size(13)
                    .color(style::ink(style::DIM)),
            )
        }
    }
    if !hw.network {
        return net.into();
    }
    let mut backends = column![text(t!("hw-backend")).size(14)].spacing(4);
    for (b, name, hint) in choices() {
        let choice: Element<'a, Message> = if editable {
            // The name is a text of its own (the radio's label is not a widget to find or
            // click); a click on either picks the backend.
            mouse_area(
                row![
                    radio("", b, Some(hw.net_backend), Message::NetBackend).size(16),
                    text(name).size(14)
                ]
                .align_y(Alignment::Center),
            )
            .on_press(Message::NetBackend(b))
            .into()
        } else {
            // A running VM: the choice shows, it cannot change.
            let mark = if b == hw.net_backend { "●" } else { "○" };
            text(format!("{mark} {name}")).size(14).into()
        };
        backends = backends.push(
            column![
                choice,
                container(text(hint).size(12).color(style::ink(style::DIM)))
                    .padding(iced::Padding::default().left(24)),
            ]
            .spacing(2),
        );
    }
    net = net.push(backends);
    let (i, p) = input(
        hw,
        problems,
        HwField::Forwards,
        &hw.forwards,
        "tcp 2222:22",
        editable,
    );
    net.push(
        column![
            row![
                text(t!("hw-forwards")).size(14),
                container(i).width(Length::Fill)
            ]
            .spacing(10)
            .align_y(Alignment::Center),
            below(p, Some(t!("hw-forwards-hint"))),
        ]
        .spacing(4)
        .width(Length::Fill),
    )
    .into()
}
