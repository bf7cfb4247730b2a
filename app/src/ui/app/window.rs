//! The app's one window: its settings (app id, sizes) and fullscreen.

use super::Message;
use iced::Task;

/// The freedesktop application id: names the .desktop file, the icon, and the window
/// (Wayland app_id, X11 WM_CLASS).
pub const APP_ID: &str = "io.github.vmdesk.Vmdesk";

pub fn window_settings() -> iced::window::Settings {
    iced::window::Settings {
        size: iced::Size::new(1280.0, 800.0),
        // The layouts are designed and tested (tests/layout.rs) down to 800×600.
        min_size: Some(iced::Size::new(800.0, 600.0)),
        platform_specific: iced::window::settings::PlatformSpecific {
            application_id: APP_ID.into(),
            ..Default::default()
        },
        ..Default::default()
    }
}

/// Puts the (only) window into or out of fullscreen.
pub(super) fn set_fullscreen(on: bool) -> Task<Message> {
    let mode = if on {
        iced::window::Mode::Fullscreen
    } else {
        iced::window::Mode::Windowed
    };
    iced::window::latest().then(move |id| match id {
        Some(id) => iced::window::set_mode(id, mode),
        None => Task::none(),
    })
}
