//! The one file chooser behind every "Browse…" button: the desktop portal through rfd (which
//! itself tries zenity when no portal answers), then KDE's kdialog if it is installed. When
//! none can open, the caller says so (`choose-none`) and the typed path beside the button is
//! the way.

use iced::Task;
use std::path::{Path, PathBuf};
use std::time::Duration;
#[cfg(not(test))]
use std::time::Instant;

/// rfd answers "nothing chosen" both for a cancelled dialog and when neither the portal nor
/// zenity could open one; an answer faster than this never showed a dialog (no person cancels
/// one this fast).
pub const NO_CHOOSER: Duration = Duration::from_millis(400);

/// What to ask for.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub title: String,
    /// (name, extensions without the dot); "*" is every file.
    pub filters: Vec<(String, Vec<&'static str>)>,
    /// The folder to open in.
    pub start: Option<PathBuf>,
    /// A file to save: the name offered (else a file to open is asked for).
    pub save_as: Option<String>,
}

impl Request {
    pub fn new(title: String) -> Request {
        Request {
            title,
            ..Request::default()
        }
    }

    pub fn filter(mut self, name: impl Into<String>, exts: &[&'static str]) -> Request {
        self.filters.push((name.into(), exts.to_vec()));
        self
    }

    /// Asks where to save a file, offering `name` in the user's home.
    pub fn save_as(mut self, name: String) -> Request {
        self.save_as = Some(name);
        self.start = std::env::var_os("HOME").map(PathBuf::from);
        self
    }

    /// Opens in the folder of `current` (what the field holds), if that folder exists.
    pub fn near(mut self, current: &str) -> Request {
        self.start = Path::new(current.trim())
            .parent()
            .filter(|p| p.is_dir())
            .map(Path::to_path_buf);
        self
    }
}

/// What came back.
#[derive(Debug, Clone, PartialEq)]
pub enum Chosen {
    File(PathBuf),
    Cancelled,
    /// No chooser could open on this desktop: the caller shows `choose-none`.
    NoChooser,
}

/// Opens the chooser; `to` makes the screen's message of the answer.
#[cfg(not(test))]
pub fn pick<M: Send + 'static>(req: Request, to: impl Fn(Chosen) -> M + Send + 'static) -> Task<M> {
    Task::perform(pick_async(req), to)
}

/// Screen tests have no desktop (a portal dialog would wait for one): no chooser, at once,
/// unless the test said what the person picks ([`answer_next`]).
#[cfg(test)]
pub fn pick<M: Send + 'static>(req: Request, to: impl Fn(Chosen) -> M + Send + 'static) -> Task<M> {
    let answer = NEXT.with(|n| n.borrow_mut().take());
    LAST.with(|l| *l.borrow_mut() = Some(req));
    Task::done(to(answer.unwrap_or(Chosen::NoChooser)))
}

#[cfg(test)]
thread_local! {
    static NEXT: std::cell::RefCell<Option<Chosen>> = const { std::cell::RefCell::new(None) };
    static LAST: std::cell::RefCell<Option<Request>> = const { std::cell::RefCell::new(None) };
}

/// Screen tests: the next chooser on this thread answers `c`.
#[cfg(test)]
pub fn answer_next(c: Chosen) {
    NEXT.with(|n| *n.borrow_mut() = Some(c));
}

/// Screen tests: what the last chooser on this thread asked for.
#[cfg(test)]
pub fn last_request() -> Option<Request> {
    LAST.with(|l| l.borrow_mut().take())
}

#[cfg(not(test))]
async fn pick_async(req: Request) -> Chosen {
    let opened = Instant::now();
    let mut d = rfd::AsyncFileDialog::new().set_title(req.title.clone());
    for (name, exts) in &req.filters {
        d = d.add_filter(name.clone(), exts);
    }
    if let Some(dir) = &req.start {
        d = d.set_directory(dir);
    }
    let picked = match &req.save_as {
        Some(name) => d.set_file_name(name).save_file().await,
        None => d.pick_file().await,
    }
    .map(|h| h.path().to_path_buf());
    if let Some(c) = after_portal(picked, opened.elapsed()) {
        return c;
    }
    // kdialog blocks until the person answers: off the UI's executor.
    let (tx, rx) = iced::futures::channel::oneshot::channel();
    std::thread::spawn(move || {
        let _ = tx.send(kdialog(Path::new("kdialog"), &req));
    });
    rx.await.unwrap_or(Chosen::NoChooser)
}

/// The portal's (or zenity's) answer, unless it was too fast to have shown a dialog: then
/// the next chooser is tried (None).
fn after_portal(picked: Option<PathBuf>, took: Duration) -> Option<Chosen> {
    match picked {
        Some(p) => Some(Chosen::File(p)),
        None if took >= NO_CHOOSER => Some(Chosen::Cancelled),
        None => None,
    }
}

/// Asks with kdialog (`program`): its path on stdout and status 0 when a file was chosen, 1
/// when cancelled; a program that cannot run (not installed, no display) is no chooser.
fn kdialog(program: &Path, req: &Request) -> Chosen {
    let start = req
        .start
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| ".".into());
    // kdialog's filter: "Name (*.a *.b)|Other (*)".
    let filter = req
        .filters
        .iter()
        .map(|(name, exts)| {
            let globs: Vec<String> = exts
                .iter()
                .map(|x| {
                    if *x == "*" {
                        "*".into()
                    } else {
                        format!("*.{x}")
                    }
                })
                .collect();
            format!("{name} ({})", globs.join(" "))
        })
        .collect::<Vec<_>>()
        .join("|");
    let (verb, start) = match &req.save_as {
        Some(name) => ("--getsavefilename", format!("{start}/{name}")),
        None => ("--getopenfilename", start),
    };
    let mut cmd = std::process::Command::new(program);
    cmd.arg("--title").arg(&req.title).arg(verb).arg(start);
    if !filter.is_empty() {
        cmd.arg(filter);
    }
    match cmd.stderr(std::process::Stdio::null()).output() {
        Ok(out) if out.status.success() => {
            let path = String::from_utf8_lossy(&out.stdout).trim_end().to_string();
            if path.is_empty() {
                Chosen::Cancelled
            } else {
                Chosen::File(PathBuf::from(path))
            }
        }
        Ok(out) if out.status.code() == Some(1) => Chosen::Cancelled,
        _ => Chosen::NoChooser,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_fast_nothing_from_the_portal_tries_the_next_chooser() {
        let p = PathBuf::from("/x.iso");
        let slow = NO_CHOOSER + Duration::from_millis(1);
        assert_eq!(
            after_portal(Some(p.clone()), Duration::ZERO),
            Some(Chosen::File(p))
        );
        assert_eq!(after_portal(None, slow), Some(Chosen::Cancelled));
        assert_eq!(after_portal(None, Duration::from_millis(5)), None);
    }

    /// Issue 15: without a portal or zenity, kdialog is asked; without it too, no chooser.
    #[test]
    fn kdialog_is_the_fallback_and_its_absence_is_said() {
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("kdialog");
        let args = dir.path().join("args");
        std::fs::write(
            &fake,
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"$@\" > {}\necho /media/debian.iso\n",
                args.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        let req = Request::new("Choose an ISO".into())
            .filter("ISO", &["iso"])
            .filter("All", &["*"]);
        assert_eq!(
            kdialog(&fake, &req),
            Chosen::File("/media/debian.iso".into())
        );
        assert_eq!(
            std::fs::read_to_string(&args).unwrap(),
            "--title\nChoose an ISO\n--getopenfilename\n.\nISO (*.iso)|All (*)\n"
        );
        std::fs::write(&fake, "#!/bin/sh\nexit 1\n").unwrap();
        assert_eq!(kdialog(&fake, &req), Chosen::Cancelled);
        assert_eq!(
            kdialog(&dir.path().join("not-installed"), &req),
            Chosen::NoChooser
        );
    }
}
