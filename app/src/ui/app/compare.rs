//! The "VM beside a container" screen's work: opening it from a VM's details, running the
//! measuring off the UI thread, and going back to the details.

use super::{blocking, App, Message, Screen};
use crate::ui::screen::compare::{Action, Compare, Job, Message as CompareMessage};
use iced::Task;

impl App {
    /// Leaves VM `id`'s details for the comparison, which starts at once.
    pub(super) fn open_compare(&mut self, id: &str) -> Task<Message> {
        let screen = std::mem::replace(&mut self.screen, Screen::Library);
        let d = match screen {
            Screen::Details(d) => Some(d),
            Screen::Library => None,
            other => {
                self.screen = other;
                return Task::none();
            }
        };
        let name = self.name_of(id);
        let (mut c, action) = Compare::new(id, &name);
        c.from_library = d.is_none();
        self.screen = Screen::Compare(Box::new(c), d);
        self.compare_action(id.to_string(), action)
    }

    pub(super) fn compare(&mut self, m: CompareMessage) -> Task<Message> {
        let Screen::Compare(c, _) = &mut self.screen else {
            return Task::none();
        };
        let id = c.vm_id.clone();
        let (task, action) = c.update(m);
        Task::batch([task.map(Message::Compare), self.compare_action(id, action)])
    }

    fn compare_action(&mut self, id: String, action: Action) -> Task<Message> {
        match action {
            Action::None => Task::none(),
            Action::Back => {
                let screen = std::mem::replace(&mut self.screen, Screen::Library);
                if let Screen::Compare(_, Some(d)) = screen {
                    self.screen = Screen::Details(d);
                }
                Task::none()
            }
            Action::Run { run, cancel } => {
                let job = Job {
                    client: self.client.clone(),
                    paths: self.paths.clone(),
                    vm: self.vms.get(&id).cloned(),
                };
                let runner = self.compare_runner.clone();
                blocking(move || runner(job, &cancel))
                    .map(move |r| Message::Compare(CompareMessage::Done(run, Box::new(r))))
            }
        }
    }
}
