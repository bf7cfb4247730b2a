//! The look: an Adwaita-like light theme and the few custom styles (cards, badges, header bar).

use iced::widget::{button, container, text_input};
use iced::{border, color, Background, Border, Color, Theme};
use std::cell::Cell;

pub const ACCENT: Color = color!(0x3584e4);
pub const GREEN: Color = color!(0x26a269);
pub const ORANGE: Color = color!(0xc64600);
pub const YELLOW: Color = color!(0x9c6e03);
pub const RED: Color = color!(0xc01c28);
pub const GREY: Color = color!(0x5e5c64);
pub const DIM: Color = color!(0x77767b);
pub const BG: Color = color!(0xfafafb);
pub const CARD: Color = Color::WHITE;
pub const LINE: Color = color!(0xdeddda);
pub const HEADER: Color = color!(0xebebed);

thread_local! {
    /// Projector mode's high-contrast look is on: one switch for every style (they are plain
    /// functions iced calls with the theme only). Per thread: the UI thread sets and reads it,
    /// and screen tests running side by side do not see each other's.
    static HIGH_CONTRAST: Cell<bool> = const { Cell::new(false) };
}

pub fn set_high_contrast(on: bool) {
    HIGH_CONTRAST.set(on);
}

pub fn high_contrast() -> bool {
    HIGH_CONTRAST.get()
}

/// WCAG 2 contrast ratio of two opaque colours (1 to 21).
pub fn contrast(a: Color, b: Color) -> f32 {
    // Relative luminance from sRGB (WCAG 2.x).
    let lum = |c: Color| {
        let f = |v: f32| {
            if v <= 0.039_28 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b)
    };
    let (la, lb) = (lum(a), lum(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// The contrast projector mode's text must have on its white and near-white backgrounds
/// (WCAG AAA).
pub const HIGH_CONTRAST_MIN: f32 = 7.0;

/// A caption's colour: `c` itself, or in high contrast `c` darkened (same hue) until it has
/// [`HIGH_CONTRAST_MIN`] against the page's background — grey captions turn near-black,
/// orange warnings dark orange.
pub fn ink(c: Color) -> Color {
    if !high_contrast() {
        return c;
    }
    let mut out = c;
    // Text sits on the near-white page and cards, and on badges tinted with its own colour.
    let tint = mix(c, BADGE_TINT);
    while contrast(out, BG).min(contrast(out, tint)) < HIGH_CONTRAST_MIN + 0.1 {
        out = Color::from_rgb(out.r * 0.92, out.g * 0.92, out.b * 0.92);
    }
    out
}

pub fn theme() -> Theme {
    if high_contrast() {
        // Black on white and a darker blue: legible on a washed-out projector.
        return Theme::custom(
            "vmdesk-high-contrast",
            iced::theme::Palette {
                background: Color::WHITE,
                text: Color::BLACK,
                primary: color!(0x0b3d91),
                success: color!(0x0a6b3a),
                warning: color!(0x8a5a00),
                danger: color!(0x9b0010),
            },
        );
    }
    Theme::custom(
        "vmdesk",
        iced::theme::Palette {
            background: BG,
            text: color!(0x1e1e1e),
            primary: ACCENT,
            success: GREEN,
            warning: color!(0xe5a50a),
            danger: RED,
        },
    )
}

/// The lines between areas: black and thicker in high contrast (none stays none).
fn line(width: f32) -> (Color, f32) {
    if high_contrast() {
        (Color::BLACK, width * 2.0)
    } else {
        (LINE, width)
    }
}

pub fn header(_: &Theme) -> container::Style {
    let (color, width) = line(0.0);
    container::Style {
        background: Some(
            if high_contrast() {
                Color::WHITE
            } else {
                HEADER
            }
            .into(),
        ),
        border: Border {
            color,
            width,
            radius: 0.into(),
        },
        ..Default::default()
    }
}

pub fn card(_: &Theme) -> container::Style {
    let (color, width) = line(1.0);
    container::Style {
        background: Some(CARD.into()),
        border: Border {
            color,
            width,
            radius: 12.0.into(),
        },
        ..Default::default()
    }
}

/// How much of its colour a badge's background has.
const BADGE_TINT: f32 = 0.14;

/// A coloured pill with text, e.g. a VM's state.
pub fn badge(color: Color) -> impl Fn(&Theme) -> container::Style {
    move |_| container::Style {
        background: Some(Background::Color(mix(color, BADGE_TINT))),
        text_color: Some(ink(color)),
        border: border::rounded(999),
        ..Default::default()
    }
}

/// Where a VM without a screen picture shows its initial (thumbnail-sized).
pub fn placeholder(color: Color) -> impl Fn(&Theme) -> container::Style {
    move |_| container::Style {
        background: Some(Background::Color(mix(color, 0.10))),
        text_color: Some(ink(color)),
        border: border::rounded(6),
        ..Default::default()
    }
}

/// A banner across the page (errors, questions).
pub fn banner(color: Color) -> impl Fn(&Theme) -> container::Style {
    move |_| container::Style {
        background: Some(Background::Color(mix(color, 0.08))),
        text_color: Some(color!(0x1e1e1e)),
        border: Border {
            color: mix(color, 0.45),
            width: 1.0,
            radius: 10.0.into(),
        },
        ..Default::default()
    }
}

/// A toast: a banner that stands out from what it floats over.
pub fn toast(color: Color) -> impl Fn(&Theme) -> container::Style {
    move |t| container::Style {
        shadow: iced::Shadow {
            color: Color::from_rgba(0.0, 0.0, 0.0, 0.25),
            offset: iced::Vector::new(0.0, 2.0),
            blur_radius: 10.0,
        },
        ..banner(color)(t)
    }
}

/// A toast on the console's status bar: the bar's shape, the toast's colour.
pub fn toast_bar(color: Color) -> impl Fn(&Theme) -> container::Style {
    move |t| container::Style {
        border: Border::default(),
        ..banner(color)(t)
    }
}

pub fn console(_: &Theme) -> container::Style {
    container::Style {
        background: Some(color!(0x241f31).into()),
        text_color: Some(color!(0xf6f5f4)),
        border: border::rounded(10),
        ..Default::default()
    }
}

/// A flat button that only shows a background on hover (header bar, toolbars).
pub fn flat(theme: &Theme, status: button::Status) -> button::Style {
    let base = button::Style {
        background: None,
        text_color: theme.palette().text,
        border: border::rounded(8),
        ..Default::default()
    };
    match status {
        button::Status::Hovered | button::Status::Pressed => button::Style {
            background: Some(color!(0xe8e8e9).into()),
            ..base
        },
        button::Status::Disabled => button::Style {
            text_color: ink(DIM),
            ..base
        },
        button::Status::Active => base,
    }
}

/// A neutral pill button (GNOME's default button).
pub fn pill(theme: &Theme, status: button::Status) -> button::Style {
    let base = button::Style {
        background: Some(color!(0xe6e6e7).into()),
        text_color: theme.palette().text,
        border: border::rounded(8),
        ..Default::default()
    };
    match status {
        button::Status::Hovered => button::Style {
            background: Some(color!(0xdcdcdd).into()),
            ..base
        },
        button::Status::Pressed => button::Style {
            background: Some(color!(0xd0d0d1).into()),
            ..base
        },
        button::Status::Disabled => button::Style {
            background: Some(color!(0xf0f0f1).into()),
            text_color: color!(0xb0b0b2),
            ..base
        },
        button::Status::Active => base,
    }
}

pub fn suggested(theme: &Theme, status: button::Status) -> button::Style {
    let mut s = button::primary(theme, status);
    s.border = border::rounded(8);
    s
}

pub fn destructive(theme: &Theme, status: button::Status) -> button::Style {
    let mut s = button::danger(theme, status);
    s.border = border::rounded(8);
    s
}

/// A destructive action that is not the page's main one: red text on a light red pill.
pub fn danger_soft(_: &Theme, status: button::Status) -> button::Style {
    let bg = match status {
        button::Status::Hovered => mix(RED, 0.18),
        button::Status::Pressed => mix(RED, 0.26),
        _ => mix(RED, 0.10),
    };
    button::Style {
        background: Some(bg.into()),
        text_color: ink(if status == button::Status::Disabled {
            DIM
        } else {
            RED
        }),
        border: border::rounded(8),
        ..Default::default()
    }
}

/// `c` at `alpha` over white, as an opaque colour (translucent fills can pile up on redraws).
pub fn mix(c: Color, alpha: f32) -> Color {
    Color {
        r: 1.0 - alpha * (1.0 - c.r),
        g: 1.0 - alpha * (1.0 - c.g),
        b: 1.0 - alpha * (1.0 - c.b),
        a: 1.0,
    }
}

pub fn input(theme: &Theme, status: text_input::Status) -> text_input::Style {
    let mut s = text_input::default(theme, status);
    s.border.radius = 8.0.into();
    s.background = Color::WHITE.into();
    if matches!(status, text_input::Status::Disabled) {
        // Read-only values stay readable: dark text on a light grey field.
        s.background = color!(0xf3f3f4).into();
        s.value = color!(0x3d3846);
        s.border.color = LINE;
    }
    s
}

pub fn input_error(theme: &Theme, status: text_input::Status) -> text_input::Style {
    let mut s = input(theme, status);
    s.border.color = RED;
    s.border.width = 1.5;
    s
}

/// The strip holding the details tabs.
pub fn tab_bar(_: &Theme) -> container::Style {
    container::Style {
        background: Some(color!(0xebebed).into()),
        border: border::rounded(10),
        ..Default::default()
    }
}

/// The selected tab: a white pill on the grey strip.
pub fn tab_selected(theme: &Theme, _: button::Status) -> button::Style {
    button::Style {
        background: Some(Color::WHITE.into()),
        text_color: theme.palette().text,
        border: Border {
            color: LINE,
            width: 1.0,
            radius: 8.0.into(),
        },
        ..Default::default()
    }
}

/// A snapshot thumbnail's frame.
pub fn thumb(_: &Theme) -> container::Style {
    container::Style {
        background: Some(color!(0x241f31).into()),
        border: border::rounded(6),
        ..Default::default()
    }
}

/// One entry in a list inside a card.
pub fn row(_: &Theme) -> container::Style {
    container::Style {
        background: Some(color!(0xf6f5f4).into()),
        border: border::rounded(8),
        ..Default::default()
    }
}

/// The entry the VM stands on now.
pub fn row_current(_: &Theme) -> container::Style {
    container::Style {
        background: Some(mix(ACCENT, 0.08).into()),
        border: Border {
            color: mix(ACCENT, 0.5),
            width: 1.0,
            radius: 8.0.into(),
        },
        ..Default::default()
    }
}

/// The guest screen's surroundings.
pub fn screen_bg(_: &Theme) -> container::Style {
    container::Style {
        background: Some(color!(0x1e1e1e).into()),
        text_color: Some(color!(0xdeddda)),
        ..Default::default()
    }
}

/// The branch line in the snapshot tree.
pub fn tree_line(_: &Theme) -> container::Style {
    container::Style {
        background: Some(mix(ACCENT, 0.45).into()),
        ..Default::default()
    }
}

/// A header bar's title text. iced_tiny_skia 0.14 repaints a vanished text only inside its
/// layout bounds, but a glyph such as "V" antialiases a pixel outside them: after a screen
/// switch that pixel stayed behind in the next screen's header. A quad's damage is its bounds
/// plus a pixel, so a header-coloured quad with a little padding behind the title makes the
/// switch repaint the whole glyph. (It looks the same: the header has that colour.)
pub fn header_title<'a, M: 'a>(label: String) -> iced::Element<'a, M> {
    container(iced::widget::text(label).size(17).font(bold()))
        .padding([2, 3])
        .style(header)
        .into()
}

/// A header's name and state badge in the space the header's buttons leave: a long name is
/// cut at its end (the buttons stay whole and in reach), never wrapped.
pub fn header_name<'a, M: 'a>(label: String, badge: iced::Element<'a, M>) -> iced::Element<'a, M> {
    let title = container(
        iced::widget::text(label)
            .size(17)
            .font(bold())
            .wrapping(iced::widget::text::Wrapping::None),
    )
    .padding([2, 3])
    .style(header);
    container(
        iced::widget::row![title, badge]
            .spacing(10)
            .align_y(iced::Alignment::Center),
    )
    .width(iced::Length::Fill)
    .clip(true)
    .into()
}

pub fn bold() -> iced::Font {
    iced::Font {
        weight: iced::font::Weight::Bold,
        ..iced::Font::DEFAULT
    }
}

pub fn mono() -> iced::Font {
    iced::Font::MONOSPACE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contrast_ratio_is_wcags() {
        assert!((contrast(Color::BLACK, Color::WHITE) - 21.0).abs() < 0.01);
        assert!((contrast(Color::WHITE, Color::WHITE) - 1.0).abs() < 0.001);
        // GNOME's grey caption on white: readable on a screen, not on a washed-out projector.
        let grey = contrast(GREY, Color::WHITE);
        assert!((6.0..7.0).contains(&grey), "{grey}");
        assert!(contrast(DIM, Color::WHITE) < 4.6);
    }

    #[test]
    fn in_high_contrast_every_caption_colour_reaches_seven_to_one() {
        let colours = [ACCENT, GREEN, ORANGE, YELLOW, RED, GREY, DIM];
        set_high_contrast(false);
        for c in colours {
            assert_eq!(ink(c), c, "the normal look is unchanged");
        }
        set_high_contrast(true);
        for c in colours {
            let i = ink(c);
            for bg in [Color::WHITE, BG, CARD, mix(c, BADGE_TINT)] {
                let r = contrast(i, bg);
                assert!(r >= HIGH_CONTRAST_MIN, "{c:?} → {i:?} on {bg:?}: {r:.2}");
            }
            // Still its colour: a warning stays orange-ish, not black.
            if c != GREY && c != DIM {
                assert!(
                    i.r.max(i.g).max(i.b) - i.r.min(i.g).min(i.b) > 0.05,
                    "{c:?} → {i:?}"
                );
            }
        }
        assert!(contrast(theme().palette().text, Color::WHITE) >= HIGH_CONTRAST_MIN);
        set_high_contrast(false);
    }
}
