//! Projector mode's panel (from the library's header): UI scale, high contrast and a large
//! console font, for a teacher showing vmdesk to a class. Changes apply at once and are saved
//! in the settings file by the app.

use crate::data::settings::{Projector, SCALES};
use crate::t;
use crate::ui::style;
use crate::ui::widget::section_title;
use iced::widget::{button, column, container, pick_list, row, text, toggler, Space};
use iced::{Alignment, Element, Length};

#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Scale(Scale),
    HighContrast(bool),
    LargeFont(bool),
    Close,
}

/// A scale as the pick list shows it ("150 %").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale(pub f64);

impl std::fmt::Display for Scale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} %", (self.0 * 100.0).round())
    }
}

/// What a message changes: the new settings, or `None` to close the panel.
pub fn update(p: &Projector, m: Message) -> Option<Projector> {
    let mut p = p.clone();
    match m {
        Message::Scale(Scale(s)) => p.scale = s,
        Message::HighContrast(on) => p.high_contrast = on,
        Message::LargeFont(on) => p.large_console_font = on,
        Message::Close => return None,
    }
    Some(p)
}

/// The panel; `effective` is the scale drawn with now (less than chosen in a small window).
pub fn view(p: &Projector, effective: f64) -> Element<'_, Message> {
    let explain = |s: String| text(s).size(13).color(style::ink(style::GREY));
    let scales: Vec<Scale> = SCALES.iter().map(|s| Scale(*s)).collect();
    let mut scale = column![row![
        container(text(t!("projector-scale")).size(14)).width(Length::Fill),
        pick_list(scales, Some(Scale(p.scale)), Message::Scale)
            .text_size(14)
            .padding([5, 10]),
    ]
    .spacing(10)
    .align_y(Alignment::Center)]
    .spacing(4)
    .push(explain(t!("projector-scale-explain")));
    if effective + 0.001 < p.scale {
        let now = Scale(effective).to_string();
        scale = scale.push(
            text(t!("projector-scale-limited", scale = now))
                .size(13)
                .color(style::ink(style::ORANGE)),
        );
    }
    let switch = |on: bool, label: String, why: String, msg: fn(bool) -> Message| {
        column![
            toggler(on)
                .label(label)
                .size(18)
                .text_size(14)
                .on_toggle(msg),
            explain(why),
        ]
        .spacing(4)
    };
    let body = column![
        row![
            section_title(t!("projector-title")),
            Space::new().width(Length::Fill),
            button(text(t!("projector-close")).size(13))
                .padding([4, 12])
                .style(style::pill)
                .on_press(Message::Close),
        ]
        .align_y(Alignment::Center),
        explain(t!("projector-explain")),
        scale,
        switch(
            p.high_contrast,
            t!("projector-high-contrast"),
            t!("projector-high-contrast-explain"),
            Message::HighContrast
        ),
        switch(
            p.large_console_font,
            t!("projector-large-font"),
            t!("projector-large-font-explain"),
            Message::LargeFont
        ),
    ]
    .spacing(12)
    .max_width(560);
    container(
        container(body)
            .padding(16)
            .max_width(600)
            .style(style::card),
    )
    .padding(iced::Padding::default().top(12).left(20).right(20))
    .width(Length::Fill)
    .center_x(Length::Fill)
    .into()
}
