//! "Export…" (the details' ⋯ menu) and "Import…" (the library): the file chooser, then the
//! work of `data::export` off the UI thread, then a notice with what was not carried over.

use super::{blocking, App, Message};
use crate::data::export::{self, Target};
use crate::t;
use crate::ui::chooser::{self, Chosen};
use iced::Task;

/// The steps of an export or import, as messages.
#[derive(Debug, Clone)]
pub enum Transfer {
    /// Where VM `id`'s export goes, as chosen.
    ExportTo(String, Target, Chosen),
    /// The domain XML to import, as chosen.
    ImportFrom(Chosen),
    /// Either ended: what to say, or why it failed.
    Done(Result<String, String>),
}

/// The notice's text: the headline, then each note on its own line.
fn with_notes(head: String, notes: &[String], uploads: &[String]) -> String {
    let mut text = head;
    for n in notes {
        text.push_str(&format!("\n• {n}"));
    }
    if !uploads.is_empty() {
        text.push_str(&format!("\n{}", t!("cli-export-upload")));
        for u in uploads {
            text.push_str(&format!("\n{u}"));
        }
    }
    text
}

impl App {
    pub(super) fn ask_export(&mut self, id: String, target: Target) -> Task<Message> {
        let title = match target {
            Target::Libvirt => t!("details-export-libvirt"),
            Target::Kubevirt => t!("details-export-kubevirt"),
        };
        let req = chooser::Request::new(title).save_as(target.file_name(&id));
        chooser::pick(req, move |c| {
            Message::Transfer(Transfer::ExportTo(id.clone(), target, c))
        })
    }

    pub(super) fn ask_import(&mut self) -> Task<Message> {
        let req = chooser::Request::new(t!("library-import-pick"))
            .filter(t!("library-import-filter"), &["xml"])
            .filter(t!("install-filter-all"), &["*"]);
        chooser::pick(req, |c| Message::Transfer(Transfer::ImportFrom(c)))
    }

    pub(super) fn transfer(&mut self, m: Transfer) -> Task<Message> {
        let file = match &m {
            Transfer::ExportTo(_, _, c) | Transfer::ImportFrom(c) => match c {
                Chosen::File(f) => Some(f.clone()),
                Chosen::Cancelled => return Task::none(),
                Chosen::NoChooser => {
                    self.notice(t!("choose-none"), true, None);
                    return Task::none();
                }
            },
            Transfer::Done(_) => None,
        };
        match (m, file) {
            (Transfer::ExportTo(id, target, _), Some(file)) => {
                let Some(e) = self.vms.get(&id) else {
                    return Task::none();
                };
                let Ok(cfg) = e.config.clone() else {
                    return Task::none();
                };
                let dir = e.dir.clone();
                blocking(move || {
                    let r = export::export_to(&cfg, &dir, target, &file).map(|x| {
                        let shown = file.display().to_string();
                        let head = t!("cli-exported", vm = cfg.name.as_str(), file = shown);
                        with_notes(head, &x.notes, &x.uploads)
                    });
                    Message::Transfer(Transfer::Done(r))
                })
            }
            (Transfer::ImportFrom(_), Some(file)) => {
                let paths = self.paths.clone();
                let limits = self.host.limits();
                blocking(move || {
                    let r =
                        export::import_to_library(&paths, &file, &limits).map(|(cfg, notes)| {
                            let shown = file.display().to_string();
                            let head = t!("cli-imported", file = shown, vm = cfg.name.as_str());
                            with_notes(head, &notes, &[])
                        });
                    Message::Transfer(Transfer::Done(r.map_err(|e| e.to_string())))
                })
            }
            (Transfer::Done(r), _) => {
                match r {
                    Ok(text) => self.notice(text, false, None),
                    Err(e) => self.notice(e, true, None),
                }
                self.reload();
                Task::none()
            }
            _ => Task::none(),
        }
    }
}
