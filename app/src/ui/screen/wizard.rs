//! The new-VM wizard. First the way the VM starts: installing from an ISO or disk image (the
//! default; [`install`] finds the OS and the wizard prefills name, memory, vCPUs, disk and
//! firmware from it, all editable) or booting a Linux kernel directly (name, kernel, initrd,
//! command line, vCPUs, memory). Then the hardware: a disk (new, or an existing image used
//! directly or as a linked clone), the network and the screen. Making the disk runs off the UI
//! thread; the wizard shows it busy.

pub mod install;

use crate::data::disks::DiskPlan;
use crate::data::host::HostInfo;
use crate::data::media::MediaKind;
use crate::data::osinfo::{Detection, OsInfo};
use crate::data::{problems, store};
use crate::t;
use crate::ui::form::{self, Field, VmForm};
use crate::ui::hardware::{self, Hardware, HwField, StorageKind};
use crate::ui::style;
use crate::ui::style::bold;
use iced::widget::{button, column, container, row, scrollable, text, Space};
use iced::{Alignment, Element, Length, Task};
use install::Install;
use std::path::Path;
use vmm_core::config::{BootDevice, VmConfig};

/// How the new VM starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kind {
    /// From an installer ISO (in a CD-ROM drive) or a disk image (its boot disk), on firmware.
    #[default]
    Install,
    /// A Linux kernel loaded directly.
    Linux,
}

#[derive(Debug, Clone)]
pub struct Wizard {
    pub form: VmForm,
    pub problems: Vec<(form::Field, String)>,
    pub hw: Hardware,
    pub hw_problems: Vec<(hardware::HwField, String)>,
    /// Why writing the VM failed, if it did.
    pub error: Option<String>,
    /// The VM (and its disk) is being created.
    pub busy: bool,
    pub kind: Kind,
    pub install: Install,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Kind(Kind),
    Install(install::Message),
    Form(form::Message),
    Hw(hardware::Message),
    Cancel,
    Create,
    /// Making the VM failed: why.
    Failed(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    None,
    Cancel,
    /// Create this VM, with this disk made first.
    Create(Box<VmConfig>, Option<DiskPlan>),
    /// Run this detection off the UI thread; its message comes back to the wizard.
    Detect(install::Detect),
}

impl Wizard {
    pub fn new(host: &HostInfo, vms_dir: &std::path::Path) -> Wizard {
        let form = VmForm::with_defaults(host);
        let problems = form.problems(host);
        let hw = Hardware::for_new_vm(vms_dir);
        let hw_problems = hw.problems();
        let mut w = Wizard {
            form,
            problems,
            hw,
            hw_problems,
            error: None,
            busy: false,
            kind: Kind::default(),
            install: Install::default(),
        };
        w.sync_boot(host);
        w
    }

    /// The wizard on the install page with `file` chosen and its detection started (for
    /// `vmdesk FILE`).
    pub fn open(host: &HostInfo, vms_dir: &Path, file: &Path) -> (Wizard, Action) {
        let mut w = Wizard::new(host, vms_dir);
        w.install.file = file.display().to_string();
        w.install.touched = true;
        let action = match w.install.start(host.cpus) {
            install::Outcome::Detect(d) => Action::Detect(d),
            _ => Action::None,
        };
        (w, action)
    }

    /// The form's boot source follows the page: firmware (with the boot order the medium
    /// needs) when installing, the kernel fields otherwise.
    fn sync_boot(&mut self, host: &HostInfo) {
        self.form.firmware_boot = match self.kind {
            Kind::Linux => None,
            Kind::Install => {
                let order = match self.install.detection() {
                    Some(d) => crate::data::install::boot_order(&d.media),
                    None => vec![BootDevice::Disk, BootDevice::Cdrom],
                };
                Some(self.install.firmware().boot_source(order))
            }
        };
        let os = match self.kind {
            Kind::Install => self
                .install
                .detection()
                .and_then(|d| d.os.as_ref().map(OsInfo::guest_os)),
            Kind::Linux => None,
        };
        self.hw.set_machine(self.form.firmware_boot.is_some(), os);
        self.problems = self.form.problems(host);
    }

    /// Fills what the person has not typed themselves from a finished detection.
    fn prefill(&mut self, d: &Detection, host: &HostInfo, taken: &[String]) {
        let untouched = |f: Field| !self.form.touched.contains(&f);
        if untouched(Field::Name) {
            let base = match &d.os {
                Some(os) => os.name.clone(),
                None => d
                    .path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            };
            self.form.name = unique_name(&base, taken);
        }
        if untouched(Field::Vcpus) {
            self.form.vcpus = d.resources.vcpus.min(host.max_vcpus()).to_string();
        }
        if untouched(Field::Memory) {
            // What the OS recommends, within what this host can give at all.
            self.form.memory = d.resources.memory_mib.min(host.memory_mib).to_string();
        }
        match &d.media {
            MediaKind::Iso(_) => {
                self.hw.storage = StorageKind::New;
                if !self.hw.touched.contains(&HwField::DiskSize) {
                    self.hw.disk_size = d.resources.disk_gib.to_string();
                }
            }
            MediaKind::DiskImage { .. } => {
                self.hw.storage = StorageKind::Existing;
                let _ = self.hw.update(hardware::Message::Edit(
                    HwField::DiskPath,
                    d.path.display().to_string(),
                ));
                self.hw.touched.retain(|f| *f != HwField::DiskPath);
            }
        }
        self.hw_problems = self.hw.problems();
    }

    pub fn update(
        &mut self,
        message: Message,
        host: &HostInfo,
        taken: &[String],
    ) -> (Task<Message>, Action) {
        match message {
            Message::Kind(k) => {
                if !self.busy {
                    self.kind = k;
                    self.sync_boot(host);
                }
                (Task::none(), Action::None)
            }
            Message::Install(m) => {
                let (task, outcome) = self.install.update(m, host.cpus);
                let action = match outcome {
                    install::Outcome::None => Action::None,
                    install::Outcome::Detect(d) => Action::Detect(d),
                    install::Outcome::Detected(d) => {
                        self.prefill(&d, host, taken);
                        Action::None
                    }
                };
                self.sync_boot(host);
                (task.map(Message::Install), action)
            }
            Message::Form(m) => {
                let task = self.form.update(m).map(Message::Form);
                self.problems = self.form.problems(host);
                (task, Action::None)
            }
            Message::Hw(m) => {
                let task = self.hw.update(m).map(Message::Hw);
                self.hw_problems = self.hw.problems();
                (task, Action::None)
            }
            Message::Failed(e) => {
                self.busy = false;
                self.error = Some(t!("error-create", detail = e));
                (Task::none(), Action::None)
            }
            Message::Cancel if self.busy => (Task::none(), Action::None),
            Message::Cancel => (Task::none(), Action::Cancel),
            Message::Create => {
                if self.busy {
                    return (Task::none(), Action::None);
                }
                self.problems = self.form.problems(host);
                self.hw_problems = self.hw.problems();
                self.form.show_all = true;
                self.hw.show_all = true;
                self.install.touched = true;
                let install = self.kind == Kind::Install;
                if install && self.install.detection().is_none() {
                    return (Task::none(), Action::None);
                }
                if !self.problems.is_empty() || !self.hw_problems.is_empty() {
                    return (Task::none(), Action::None);
                }
                let id = store::derive_id(&self.form.name, taken);
                let mut cfg = self.form.to_config(&id, None);
                self.hw.apply(&mut cfg);
                if let (true, Some(d)) = (install, self.install.detection()) {
                    cfg.os = d.os.as_ref().map(OsInfo::guest_os);
                    cfg.cdroms = crate::data::install::cdroms(d);
                }
                match cfg.validate(&host.limits()) {
                    Ok(()) => {
                        self.busy = true;
                        self.error = None;
                        (Task::none(), Action::Create(Box::new(cfg), self.hw.plan()))
                    }
                    Err(errs) => {
                        self.error = Some(problems::describe_all(&errs));
                        (Task::none(), Action::None)
                    }
                }
            }
        }
    }

    pub fn header(&self) -> Element<'_, Message> {
        let cancel = button(text(t!("button-cancel")).size(15))
            .padding([8, 16])
            .style(style::pill)
            .on_press_maybe((!self.busy).then_some(Message::Cancel));
        let create = button(
            text(if self.busy {
                t!("wizard-creating")
            } else {
                t!("wizard-create")
            })
            .size(15),
        )
        .padding([8, 16])
        .style(style::suggested)
        // Installing needs a recognised file first; the row under it says what is missing.
        .on_press_maybe(
            (!self.busy && (self.kind == Kind::Linux || self.install.detection().is_some()))
                .then_some(Message::Create),
        );
        container(
            row![
                cancel,
                Space::new().width(Length::Fill),
                style::header_title(t!("wizard-title")),
                Space::new().width(Length::Fill),
                create,
            ]
            .align_y(Alignment::Center),
        )
        .padding([10, 16])
        .style(style::header)
        .into()
    }

    pub fn body<'a>(&'a self, host: &'a HostInfo, taken: &[String]) -> Element<'a, Message> {
        let id = store::derive_id(&self.form.name, taken);
        let id_row = row![
            Space::new().width(186),
            text(t!("wizard-id", id = id))
                .size(13)
                .color(style::ink(style::DIM)),
        ];
        let mut col = column![self.choices()].spacing(10);
        match self.kind {
            Kind::Linux => {
                col = col
                    .push(
                        text(t!("wizard-intro"))
                            .size(14)
                            .color(style::ink(style::GREY)),
                    )
                    .push(
                        container(
                            column![
                                form::view(&self.form, &self.problems, host, true, false)
                                    .map(Message::Form),
                                id_row,
                            ]
                            .spacing(14),
                        )
                        .padding(20)
                        .style(style::card),
                    );
            }
            Kind::Install => {
                col = col
                    .push(
                        container(install::view(&self.install, !self.busy).map(Message::Install))
                            .padding(20)
                            .style(style::card),
                    )
                    .push(
                        container(
                            column![self.install_form(host).map(Message::Form), id_row].spacing(14),
                        )
                        .padding(20)
                        .style(style::card),
                    );
            }
        }
        col = col
            .push(Space::new().height(4))
            .push(text(t!("wizard-hardware")).size(18).font(bold()))
            .push(
                container(
                    hardware::view(&self.hw, &self.hw_problems, !self.busy, true).map(Message::Hw),
                )
                .padding(20)
                .style(style::card),
            );
        let mut col = col.max_width(820);
        if self.busy {
            let what = match self.hw.plan() {
                Some(DiskPlan::New { .. }) => t!("wizard-busy-disk"),
                Some(DiskPlan::Existing { linked: true, .. }) => t!("wizard-busy-clone"),
                _ => t!("wizard-busy"),
            };
            col = col.push(
                container(text(what).size(14))
                    .padding(12)
                    .width(Length::Fill)
                    .style(style::banner(style::ACCENT)),
            );
        }
        if let Some(e) = &self.error {
            col = col.push(
                container(text(e.clone()).size(13))
                    .padding(12)
                    .width(Length::Fill)
                    .style(style::banner(style::RED)),
            );
        }
        let bad = self.problems.len() + self.hw_problems.len();
        if self.form.show_all && bad > 0 {
            col = col.push(
                text(t!("wizard-fix-fields", count = (bad as i64)))
                    .size(14)
                    .color(style::ink(style::RED)),
            );
        }
        scrollable(container(col).padding([24, 24]).center_x(Length::Fill))
            .height(Length::Fill)
            .into()
    }

    /// The two ways a VM starts, as two big buttons (the selected one raised).
    fn choices(&self) -> Element<'_, Message> {
        let choice = |kind: Kind, title: String, sub: String| {
            button(
                column![
                    text(title).size(15).font(bold()),
                    text(sub).size(13).color(style::ink(style::GREY))
                ]
                .spacing(2),
            )
            .width(Length::Fill)
            .padding([8, 14])
            .style(if self.kind == kind {
                style::tab_selected
            } else {
                style::flat
            })
            .on_press_maybe((!self.busy).then_some(Message::Kind(kind)))
        };
        container(
            row![
                choice(
                    Kind::Install,
                    t!("wizard-kind-install"),
                    t!("wizard-kind-install-hint")
                ),
                choice(
                    Kind::Linux,
                    t!("wizard-heading"),
                    t!("wizard-kind-linux-hint")
                ),
            ]
            .spacing(4),
        )
        .padding(4)
        .style(style::tab_bar)
        .into()
    }

    /// The install page's settings: the name, vCPUs and memory rows of the form (the firmware
    /// is chosen with the file; there is no kernel).
    fn install_form<'a>(&'a self, host: &HostInfo) -> Element<'a, form::Message> {
        let row = |f: Field, label: String, hint: Option<String>, placeholder: &str| {
            form::field_row(
                &self.form,
                &self.problems,
                f,
                label,
                hint,
                placeholder.to_string(),
                !self.busy,
                false,
            )
        };
        column![
            row(
                Field::Name,
                t!("form-name"),
                None,
                &t!("install-name-placeholder")
            ),
            row(
                Field::Vcpus,
                t!("form-vcpus"),
                Some(t!("form-vcpus-hint", max = host.max_vcpus().to_string())),
                "2"
            ),
            row(
                Field::Memory,
                t!("form-memory"),
                Some(t!("form-memory-hint", max = host.memory_mib.to_string())),
                "1024"
            ),
        ]
        .spacing(14)
        .into()
    }
}

/// `base`, or `base (2)`, `base (3)`, … whichever makes a VM id not taken yet (a VM's folder
/// is named after its name).
fn unique_name(base: &str, taken: &[String]) -> String {
    let free = |n: &str| !taken.contains(&store::derive_id(n, &[]));
    if base.trim().is_empty() || free(base) {
        return base.trim().to_string();
    }
    (2..)
        .map(|n| format!("{} ({n})", base.trim()))
        .find(|c| free(c))
        .unwrap_or_else(|| base.to_string())
}
