//! The app's one window: how it runs, its settings (app id, sizes) and fullscreen.

use super::{App, Message};
use crate::data::client::{self, VmmClient};
use crate::data::paths::Paths;
use crate::ui::style;
use iced::Task;
use std::sync::Arc;

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

/// Runs the GUI; `open` is a file to install from (`vmdesk FILE`).
pub fn run(paths: Paths, open: Option<std::path::PathBuf>) -> iced::Result {
    let client: Arc<dyn VmmClient> = Arc::new(client::SocketClient::new(paths.clone()));
    // iced sizes windows in logical pixels: with projector mode's scale, 1280×800 on screen.
    let mut window = window_settings();
    let projector = crate::data::settings::Settings::load(&paths.settings_file()).projector;
    let s = projector.effective_scale(window.size.width, window.size.height) as f32;
    window.size = iced::Size::new(window.size.width / s, window.size.height / s);
    iced::application(
        move || App::boot_with(paths.clone(), client.clone(), open.clone()),
        App::update,
        App::view,
    )
    .title(App::title)
    .subscription(App::subscription)
    .theme(|_: &App| style::theme())
    .scale_factor(App::scale_factor)
    .window(window)
    .run()
}
