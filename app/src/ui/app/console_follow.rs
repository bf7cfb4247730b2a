//! "Resize guest with window" in the app: whether a VM's display can follow, asking its VMM
//! for a size (off the UI thread, no notice: a refusal only means the screen is scaled), and
//! saving the choice per VM in the settings.

use super::{blocking, App, Message};
use crate::data::client::ClientError;
use crate::t;
use crate::ui::screen::console::{self, follow};
use iced::Task;
use vmm_core::api::{ErrorCode, SetDisplaySize};
use vmm_core::config::DisplayKind;

/// Asks the window's scale factor (HiDPI) for the console.
pub(super) fn window_scale() -> Task<Message> {
    iced::window::latest()
        .then(|id| match id {
            Some(id) => iced::window::scale_factor(id),
            None => Task::none(),
        })
        .map(|f| Message::Console(console::Message::Follow(follow::Message::Scale(f))))
}

impl App {
    /// VM `id`'s display can be told a size: its config has a virtio-gpu display.
    pub(super) fn display_follows(&self, id: &str) -> bool {
        self.vms
            .get(id)
            .and_then(|e| e.config.as_ref().ok())
            .and_then(|c| c.display.as_ref())
            .is_some_and(|d| d.kind == DisplayKind::VirtioGpu)
    }

    pub(super) fn console_follow(&mut self, r: follow::Request) -> Task<Message> {
        match r {
            follow::Request::Size { id, width, height } => {
                let client = self.client.clone();
                blocking(move || {
                    let command = SetDisplaySize { width, height }.into();
                    let refused = match client.send(&id, command) {
                        Ok(_) => false,
                        // The display cannot change size: from now on it is scaled.
                        Err(ClientError::Api {
                            code: ErrorCode::Failed,
                            ..
                        }) => true,
                        // Anything else (the VMM went away): the next change asks again.
                        Err(_) => false,
                    };
                    Message::Console(console::Message::Follow(follow::Message::Answered {
                        refused,
                    }))
                })
            }
            follow::Request::Save { id, on } => {
                if self.settings.set_follows_window(&id, on) {
                    if let Err(e) = self.settings.save(&self.paths.settings_file()) {
                        self.notice(t!("error-settings", detail = e.to_string()), true, None);
                    }
                }
                Task::none()
            }
        }
    }
}
