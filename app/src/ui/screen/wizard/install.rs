//! The wizard's install page: the file to install from (typed, or chosen in the desktop
//! portal's file chooser), what it is (osinfo-db's detection, which the app runs off the UI
//! thread, with a spinner meanwhile), and the firmware the VM gets. The wizard prefills its
//! form from the detection; this module only knows the file.

use crate::data::media::{MediaError, MediaKind};
use crate::data::osinfo::{self, Detection, Firmware, Notice};
use crate::t;
use crate::ui::chooser::{self, Chosen};
use crate::ui::style::{self, bold};
use crate::ui::widget::checked_input;
use iced::widget::{button, column, container, row, text};
use iced::{Alignment, Element, Length, Task};
use std::path::{Path, PathBuf};

/// The widget id of the file field.
pub const FILE_ID: &str = "field-install-file";

/// Frames of the spinner shown while a file is looked at.
const SPINNER: [&str; 4] = ["◐", "◓", "◑", "◒"];

#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Edit(String),
    Browse,
    /// The file chooser's answer.
    Picked(Chosen),
    /// Detection number `.0` ended.
    Detected(u64, Box<Result<Detection, MediaError>>),
    Firmware(Firmware),
    /// The spinner's next frame.
    Spin,
}

/// What an update asks of the wizard.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    None,
    /// Look at a file (blocking: the app runs it off the UI thread).
    Detect(Detect),
    /// A detection ended well: prefill the form from it.
    Detected(Box<Detection>),
}

/// A detection to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Detect {
    generation: u64,
    path: PathBuf,
    host_vcpus: u32,
}

impl Detect {
    /// Looks at the file (reads it, and osinfo-db on first use): call off the UI thread.
    pub fn run(self) -> Message {
        let r = osinfo::detect(&self.path, self.host_vcpus);
        Message::Detected(self.generation, Box::new(r))
    }
}

#[derive(Debug, Clone, Default)]
pub struct Install {
    /// The path as typed or chosen.
    pub file: String,
    /// Counts detections started: a late answer about an earlier file is dropped.
    generation: u64,
    pub detecting: bool,
    /// What the file is, once looked at (for the path in `file`).
    pub result: Option<Result<Detection, MediaError>>,
    pub firmware: Option<Firmware>,
    /// The file chooser could not open: the typed path is the way.
    pub no_chooser: bool,
    /// The field was edited (its problem shows from then on).
    pub touched: bool,
    spin: usize,
}

impl Install {
    /// The detection of the chosen file, when it is an ISO or disk image.
    pub fn detection(&self) -> Option<&Detection> {
        match (&self.result, self.detecting) {
            (Some(Ok(d)), false) => Some(d),
            _ => None,
        }
    }

    /// The firmware the VM gets (the person's choice, else the detection's).
    pub fn firmware(&self) -> Firmware {
        self.firmware
            .or(self.detection().map(|d| d.firmware))
            .unwrap_or(Firmware::Uefi)
    }

    /// Why the file cannot be installed from yet, if it cannot (None while it is looked at).
    pub fn problem(&self) -> Option<String> {
        if self.detecting {
            return None;
        }
        if let Some(Err(e)) = &self.result {
            return Some(describe(e));
        }
        let v = self.file.trim();
        if v.is_empty() {
            return Some(t!("install-file-none"));
        }
        if !Path::new(v).is_absolute() {
            return Some(t!("error-path-relative"));
        }
        if !Path::new(v).is_file() {
            return Some(t!("error-file-missing"));
        }
        None
    }

    /// Applies a message; says what the wizard must do next.
    pub fn update(&mut self, message: Message, host_vcpus: u32) -> (Task<Message>, Outcome) {
        match message {
            Message::Edit(v) => {
                self.file = v;
                self.touched = true;
                self.no_chooser = false;
                (Task::none(), self.start(host_vcpus))
            }
            Message::Browse => {
                let req = chooser::Request::new(t!("install-pick"))
                    .filter(t!("install-filter-iso"), &["iso", "ISO"])
                    .filter(t!("install-filter-disk"), &["qcow2", "img", "raw"])
                    .filter(t!("install-filter-all"), &["*"])
                    .near(&self.file);
                (chooser::pick(req, Message::Picked), Outcome::None)
            }
            Message::Picked(Chosen::File(p)) => {
                self.update(Message::Edit(p.display().to_string()), host_vcpus)
            }
            Message::Picked(c) => {
                self.no_chooser = c == Chosen::NoChooser;
                (Task::none(), Outcome::None)
            }
            Message::Detected(n, r) if n == self.generation => {
                self.detecting = false;
                // A new file's firmware is the detection's until the person picks one.
                self.firmware = None;
                let done = match r.as_ref() {
                    Ok(d) => Outcome::Detected(Box::new(d.clone())),
                    Err(_) => Outcome::None,
                };
                self.result = Some(*r);
                (Task::none(), done)
            }
            Message::Detected(..) => (Task::none(), Outcome::None),
            Message::Firmware(f) => {
                self.firmware = Some(f);
                (Task::none(), Outcome::None)
            }
            Message::Spin => {
                self.spin = self.spin.wrapping_add(1);
                (Task::none(), Outcome::None)
            }
        }
    }

    /// The detection of the file in `file`, when there is one there; forgets the last result.
    pub fn start(&mut self, host_vcpus: u32) -> Outcome {
        self.generation += 1;
        self.result = None;
        let path = PathBuf::from(self.file.trim());
        // Only files: while a path is typed, its folders are no reason to complain.
        self.detecting = path.is_absolute() && path.is_file();
        if !self.detecting {
            return Outcome::None;
        }
        Outcome::Detect(Detect {
            generation: self.generation,
            path,
            host_vcpus,
        })
    }
}

/// Why a file is refused, in the UI language (the reason itself is media.rs's).
fn describe(e: &MediaError) -> String {
    match e {
        MediaError::NotMedia { path, reason } => t!(
            "install-not-media",
            file = file_name(path),
            reason = reason.as_str()
        ),
        MediaError::CannotRead { path, reason } => t!(
            "install-cannot-read",
            file = file_name(path),
            reason = reason.as_str()
        ),
    }
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

/// "Debian 11" plus the version when the name does not already say it.
pub fn os_title(d: &Detection) -> Option<String> {
    let os = d.os.as_ref()?;
    Some(match &os.version {
        Some(v) if !os.name.contains(v.as_str()) => format!("{} {v}", os.name),
        _ => os.name.clone(),
    })
}

/// The file row, what was found, and the firmware choice.
pub fn view(install: &Install, editable: bool) -> Element<'_, Message> {
    let problem = if install.touched {
        install.problem()
    } else {
        None
    };
    let mut input = checked_input(
        "/home/me/Downloads/debian-12.iso",
        &install.file,
        FILE_ID,
        problem.is_some(),
    );
    if editable {
        input = input.on_input(Message::Edit);
    }
    let browse = button(text(t!("form-browse")).size(14))
        .padding([8, 14])
        .style(style::pill)
        .on_press_maybe(editable.then_some(Message::Browse));
    let mut below = column![].spacing(4);
    if let Some(p) = problem {
        below = below.push(text(p).size(13).color(style::ink(style::RED)));
    } else if !install.detecting && install.result.is_none() {
        below = below.push(
            text(t!("install-file-hint"))
                .size(13)
                .color(style::ink(style::DIM)),
        );
    }
    if install.no_chooser {
        below = below.push(
            text(t!("choose-none"))
                .size(13)
                .color(style::ink(style::ORANGE)),
        );
    }
    let mut col = column![label_row(
        t!("install-file"),
        column![
            row![input, browse].spacing(8).align_y(Alignment::Center),
            below
        ]
        .spacing(4)
        .into()
    )]
    .spacing(14);
    if install.detecting {
        col = col.push(label_row(
            t!("install-os"),
            row![
                text(SPINNER[install.spin % SPINNER.len()])
                    .size(18)
                    .color(style::ink(style::ACCENT)),
                text(t!("install-detecting"))
                    .size(15)
                    .color(style::ink(style::GREY)),
            ]
            .spacing(8)
            .align_y(Alignment::Center)
            .into(),
        ));
    } else if let Some(d) = install.detection() {
        col = col.push(label_row(t!("install-os"), found(d)));
        col = col.push(label_row(
            t!("install-firmware"),
            firmware(install, d, editable),
        ));
    }
    col.into()
}

/// What the detection found: the OS and its medium, or that it is unknown and why.
fn found(d: &Detection) -> Element<'_, Message> {
    let what = match &d.media {
        MediaKind::Iso(_) => t!("install-kind-iso"),
        MediaKind::DiskImage {
            format,
            virtual_size,
        } => t!(
            "install-kind-disk",
            format = format.to_string(),
            size = crate::data::stats::human_bytes(*virtual_size)
        ),
    };
    let mut col = column![].spacing(4);
    match os_title(d) {
        Some(title) => {
            col = col.push(text(title).size(16).font(bold()));
            col = col.push(text(what).size(13).color(style::ink(style::DIM)));
        }
        None => {
            col = col.push(text(t!("install-unknown-os")).size(16).font(bold()));
            col = col.push(text(what).size(13).color(style::ink(style::DIM)));
        }
    }
    match &d.notice {
        Some(Notice::UnknownOs) => {
            let hint = match d.media {
                MediaKind::Iso(_) => t!("install-unknown-hint"),
                // osinfo-db describes installer media, not the systems inside disk images.
                MediaKind::DiskImage { .. } => t!("install-unknown-disk-hint"),
            };
            col = col.push(text(hint).size(13).color(style::ink(style::GREY)));
        }
        Some(Notice::NoDatabase { reason }) => {
            col = col.push(
                container(text(t!("install-no-database", reason = reason.as_str())).size(13))
                    .padding(10)
                    .width(Length::Fill)
                    .style(style::banner(style::ORANGE)),
            );
        }
        None => {
            col = col.push(
                text(t!("install-known-hint"))
                    .size(13)
                    .color(style::ink(style::GREY)),
            );
        }
    }
    col.into()
}

/// UEFI or BIOS as a segmented control, with what the choice means.
fn firmware<'a>(install: &Install, d: &Detection, editable: bool) -> Element<'a, Message> {
    let current = install.firmware();
    let mut seg = row![].spacing(4);
    for (f, label) in [
        (Firmware::Uefi, t!("install-uefi")),
        (Firmware::Bios, t!("install-bios")),
    ] {
        seg = seg.push(
            button(text(label).size(14))
                .padding([6, 12])
                .style(if current == f {
                    style::tab_selected
                } else {
                    style::pill
                })
                .on_press_maybe(editable.then_some(Message::Firmware(f))),
        );
    }
    let hint = match (current == d.firmware, &d.os) {
        (false, _) => t!("install-firmware-changed"),
        (true, Some(_)) => t!("install-firmware-detected"),
        (true, None) => t!("install-firmware-generic"),
    };
    column![
        row![container(seg).padding(4).style(style::tab_bar)],
        text(hint).size(13).color(style::ink(style::DIM))
    ]
    .spacing(4)
    .into()
}

/// A labelled row, laid out like the form's.
pub fn label_row<'a, M: 'a>(label: String, content: Element<'a, M>) -> Element<'a, M> {
    row![
        container(text(label).size(15))
            .width(170)
            .padding(iced::Padding::default().top(8)),
        container(content).width(Length::Fill),
    ]
    .spacing(16)
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn late_detections_of_an_earlier_file_are_dropped() {
        crate::testing::english();
        let dir = tempfile::tempdir().unwrap();
        let txt = dir.path().join("notes.txt");
        std::fs::write(&txt, "hello").unwrap();
        let mut i = Install::default();
        let (_, Outcome::Detect(d)) = i.update(Message::Edit(txt.display().to_string()), 2) else {
            panic!("an existing file is looked at")
        };
        assert!(i.detecting);
        let osinfo_late = |_: &Path| d.clone().run();
        let (_, Outcome::None) = i.update(Message::Edit(String::new()), 2) else {
            panic!("an empty path is not looked at")
        };
        // The answer about the earlier file comes late: dropped.
        let (_, done) = i.update(osinfo_late(&txt), 2);
        assert_eq!(done, Outcome::None);
        assert!(i.result.is_none() && !i.detecting);
        assert_eq!(i.problem().unwrap(), "Choose an ISO image or a disk image.");
        // No chooser could open: said, and the typed path is the way.
        let _ = i.update(Message::Picked(Chosen::NoChooser), 2);
        assert!(i.no_chooser);
        let _ = i.update(Message::Picked(Chosen::Cancelled), 2);
        assert!(!i.no_chooser, "a person cancelled");
        assert_eq!(i.firmware(), Firmware::Uefi);
    }
}
