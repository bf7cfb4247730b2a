//! The first-run check screen: shown instead of the library when this host cannot run VMs (or
//! has a warning the user has not accepted yet), with what to do and a "Check again" button.

use crate::data::check::Finding;
use crate::t;
use crate::ui::style;
use crate::ui::style::{bold, mono};
use iced::widget::{button, column, container, row, scrollable, text, Space};
use iced::{Alignment, Element, Length};

/// The screen's state: what the last check found.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub found: Vec<Finding>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Again,
    Continue,
}

/// What the app has to do for the check screen.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Run the check again.
    Again,
    /// Go on despite these warnings (their codes), and do not show them again.
    Accept(Vec<String>),
}

impl Check {
    pub fn update(&self, message: Message) -> Action {
        match message {
            Message::Again => Action::Again,
            Message::Continue => {
                Action::Accept(self.found.iter().map(|f| f.code().to_string()).collect())
            }
        }
    }

    /// The title bar: only the app's name (nothing to go back to).
    pub fn header<'a>(&self) -> Element<'a, Message> {
        container(row![style::header_title(t!("app-title"))].align_y(Alignment::Center))
            .padding([14, 16])
            .center_x(Length::Fill)
            .style(style::header)
            .into()
    }

    pub fn view<'a>(&self) -> Element<'a, Message> {
        view(&self.found)
    }
}

fn item<'a>(f: &Finding) -> Element<'a, Message> {
    let (title, body, command): (String, String, Option<String>) = match f {
        Finding::KvmMissing => (
            t!("check-kvm-missing"),
            t!("check-kvm-missing-fix"),
            Some("sudo modprobe kvm_intel   # or kvm_amd".into()),
        ),
        Finding::KvmNoAccess => (
            t!("check-kvm-access"),
            t!("check-kvm-access-fix"),
            Some("sudo adduser $USER kvm".into()),
        ),
        Finding::VmmMissing(detail) => (
            t!("check-vmm-missing"),
            t!("check-vmm-missing-fix", detail = detail.as_str()),
            Some("cargo build --bins".into()),
        ),
        Finding::PasstMissing => (
            t!("check-passt-missing"),
            t!("check-passt-missing-fix"),
            Some("sudo apt install passt   # or libslirp0".into()),
        ),
        Finding::LowMemory(m) => (
            t!("check-low-memory", free = m.to_string()),
            t!("check-low-memory-fix"),
            None,
        ),
        Finding::SoftwareKvm(module) => (
            t!("check-software-kvm"),
            t!("check-software-kvm-fix", module = module.as_str()),
            None,
        ),
    };
    let color = if f.is_blocking() {
        style::RED
    } else {
        style::YELLOW
    };
    let label = if f.is_blocking() {
        t!("check-problem")
    } else {
        t!("check-warning")
    };
    let mut col = column![
        row![
            container(text(label).size(12).font(bold()))
                .padding([2, 8])
                .style(style::badge(color)),
            text(title).size(16).font(bold()),
        ]
        .spacing(10)
        .align_y(Alignment::Center),
        text(body).size(14).color(style::ink(style::GREY)),
    ]
    .spacing(8);
    if let Some(c) = command {
        col = col.push(
            container(text(c).size(13).font(mono()))
                .padding([6, 10])
                .style(style::console),
        );
    }
    container(col)
        .padding(18)
        .width(Length::Fill)
        .style(style::card)
        .into()
}

fn view<'a>(found: &[Finding]) -> Element<'a, Message> {
    let blocking = found.iter().any(Finding::is_blocking);
    let mut col = column![
        text(t!("check-title")).size(22).font(bold()),
        text(if blocking {
            t!("check-intro-blocking")
        } else {
            t!("check-intro-warnings")
        })
        .size(14)
        .color(style::ink(style::GREY)),
        Space::new().height(4),
    ]
    .spacing(10)
    .max_width(820);
    for f in found {
        col = col.push(item(f));
    }
    let mut buttons = row![button(text(t!("check-again")).size(15))
        .padding([8, 16])
        .style(style::suggested)
        .on_press(Message::Again)]
    .spacing(10);
    if !blocking {
        buttons = buttons.push(
            button(text(t!("check-continue")).size(15))
                .padding([8, 16])
                .style(style::pill)
                .on_press(Message::Continue),
        );
    }
    col = col.push(Space::new().height(4)).push(buttons);
    scrollable(container(col).padding([32, 24]).center_x(Length::Fill))
        .height(Length::Fill)
        .into()
}
