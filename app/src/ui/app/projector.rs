//! Projector mode in the app: the scale iced draws with, the look, and saving the choice.

use super::{App, Message};
use crate::t;
use crate::ui::screen::projector;
use iced::Task;

impl App {
    /// Applies the saved projector settings to the style and the terminal (at start and after
    /// each change).
    pub(super) fn apply_projector(&self) {
        let p = &self.settings.projector;
        crate::ui::style::set_high_contrast(p.high_contrast);
        crate::ui::widget::terminal::set_large_font(p.large_console_font);
    }

    /// iced's scale factor: the chosen UI scale, limited so the window keeps 800×600 logical
    /// pixels.
    pub fn scale_factor(&self) -> f32 {
        let (w, h) = self.window_size;
        self.settings.projector.effective_scale(w, h) as f32
    }

    /// The window's size as reported (logical, after our scale): kept unscaled.
    pub(super) fn resized(&mut self, size: iced::Size) {
        let s = self.scale_factor();
        self.window_size = (size.width * s, size.height * s);
    }

    /// The library's body, with projector mode's panel above the VMs while it is open.
    pub(super) fn library_body(&self) -> iced::Element<'_, Message> {
        let list = self.library.body(&self.vms).map(Message::Library);
        if !self.projector_open {
            return list;
        }
        let p = projector::view(&self.settings.projector, f64::from(self.scale_factor()));
        iced::widget::column![p.map(Message::Projector), list].into()
    }

    pub(super) fn projector(&mut self, m: projector::Message) -> Task<Message> {
        match projector::update(&self.settings.projector, m) {
            None => self.projector_open = false,
            Some(p) => {
                self.settings.projector = p;
                self.apply_projector();
                if let Err(e) = self.settings.save(&self.paths.settings_file()) {
                    self.notice(t!("error-settings", detail = e.to_string()), true, None);
                }
            }
        }
        Task::none()
    }
}
