//! Lab mode's work for the details: making student copies and resetting them off the UI
//! thread, and the throwaway switch (a setting: the VMM never knows).

use super::{blocking, App, Message, Screen};
use crate::data::lab;
use crate::t;
use crate::ui::screen::details::{self, lab::Action, lab::Message as LabMessage};
use iced::Task;

impl App {
    pub(super) fn lab(&mut self, id: String, a: Action) -> Task<Message> {
        let paths = self.paths.clone();
        match a {
            Action::None => Task::none(),
            Action::Make {
                prefix,
                count,
                progress,
            } => {
                let Some(Ok(cfg)) = self.vms.get(&id).map(|e| e.config.clone()) else {
                    return Task::none();
                };
                blocking(move || {
                    let r = lab::make_students(&paths, &cfg, &prefix, count, |k, _| {
                        progress
                            .done
                            .store(k as u64, std::sync::atomic::Ordering::Relaxed)
                    })
                    .map(|made| {
                        let names: Vec<&str> = made.iter().map(|c| c.name.as_str()).collect();
                        t!(
                            "lab-made",
                            count = made.len().to_string(),
                            vm = cfg.name.as_str(),
                            names = names.join(", ")
                        )
                    });
                    Message::LabDone(id, r)
                })
            }
            Action::Reset(ids) => {
                let client = self.client.clone();
                blocking(move || {
                    let mut errors = Vec::new();
                    let mut done = 0;
                    for s in &ids {
                        match lab::reset_student(&paths, &*client, s) {
                            Ok(_) => done += 1,
                            Err(e) => errors.push(e),
                        }
                    }
                    let r = if errors.is_empty() {
                        Ok(t!(
                            "lab-reset-all-done",
                            count = done.to_string(),
                            total = ids.len().to_string()
                        ))
                    } else {
                        Err(errors.join("\n"))
                    };
                    Message::LabDone(id, r)
                })
            }
            Action::Throwaway(on) => {
                self.settings.throwaway.retain(|t| *t != id);
                if on {
                    self.settings.throwaway.push(id);
                }
                if let Err(e) = self.settings.save(&self.paths.settings_file()) {
                    self.notice(t!("error-settings", detail = e.to_string()), true, None);
                }
                Task::none()
            }
        }
    }

    pub(super) fn lab_done(&mut self, id: String, r: Result<String, String>) -> Task<Message> {
        self.reload();
        if let Screen::Details(d) | Screen::Console(_, d) = &mut self.screen {
            if d.id == id {
                d.lab.refresh(&self.paths, &self.settings, &id);
            }
        }
        let m = details::Message::Lab(LabMessage::Done(r));
        Task::done(Message::ToDetails(id, m))
    }
}
