//! Small widgets more than one screen uses.

pub mod graph;
pub mod terminal;

use crate::data::vms::VmState;
use crate::t;
use crate::ui::style::{self, bold};
use iced::widget::{container, text, text_input, TextInput};
use iced::Element;

/// The localized state name and its colour.
pub fn state_label(state: VmState) -> (String, iced::Color) {
    match state {
        VmState::Stopped => (t!("state-stopped"), style::GREY),
        VmState::Starting => (t!("state-starting"), style::ACCENT),
        VmState::Running => (t!("state-running"), style::GREEN),
        VmState::Paused => (t!("state-paused"), style::YELLOW),
        VmState::Stopping => (t!("state-stopping"), style::ORANGE),
        VmState::Broken => (t!("state-broken"), style::RED),
    }
}

pub fn state_badge<'a, M: 'a>(state: VmState) -> Element<'a, M> {
    let (label, color) = state_label(state);
    container(
        text(label)
            .size(13)
            .font(bold())
            .wrapping(iced::widget::text::Wrapping::None),
    )
    .padding([3, 10])
    .style(style::badge(color))
    .into()
}

/// A card's title.
pub fn section_title<'a, M: 'a>(s: String) -> Element<'a, M> {
    text(s).size(16).font(bold()).into()
}

/// A form's text field: its widget id, our padding and size, and the error style while it
/// holds a problem (the VM form and the hardware section share it). Editable fields add
/// `on_input`.
pub fn checked_input<'a, M: Clone + 'a>(
    placeholder: &str,
    value: &str,
    id: &'static str,
    has_problem: bool,
) -> TextInput<'a, M> {
    text_input(placeholder, value)
        .id(id)
        .padding([8, 10])
        .size(15)
        .style(if has_problem {
            style::input_error
        } else {
            style::input
        })
}
