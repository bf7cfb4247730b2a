//! The details' CD/DVD drives, firmware and boot order (firmware VMs only; a Linux-kernel VM
//! keeps its kernel rows in the form).
//!
//! A disc goes in or out at once, running or not (the app does it off the UI thread through
//! `data::cdrom`, which also keeps it in vm.toml); firmware and boot order are settings like
//! the others, edited while the VM is stopped and written by the screen's Save.

use crate::data::cdrom::medium_name;
use crate::data::osinfo::Firmware;
use crate::t;
use crate::ui::chooser::{self, Chosen};
use crate::ui::style;
use crate::ui::widget::checked_input;
use iced::widget::{button, column, container, pick_list, row, text, Space};
use iced::{Alignment, Element, Length, Task};
use std::path::PathBuf;
use vmm_core::config::{BootDevice, BootSource, CdromConfig, VmConfig};

/// The widget id of the typed ISO path.
pub const ISO_PATH_ID: &str = "field-cdrom-path";

/// The boot order offered: `Auto` is vm.toml's empty `order` (CD/DVD first while a drive
/// holds a disc, so an installer boots once and the installed disk after the eject).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Auto,
    CdromFirst,
    DiskFirst,
}

impl Order {
    fn of(order: &[BootDevice]) -> Order {
        match order.first() {
            None => Order::Auto,
            Some(BootDevice::Cdrom) => Order::CdromFirst,
            Some(BootDevice::Disk) => Order::DiskFirst,
        }
    }

    fn devices(self) -> Vec<BootDevice> {
        match self {
            Order::Auto => Vec::new(),
            Order::CdromFirst => vec![BootDevice::Cdrom, BootDevice::Disk],
            Order::DiskFirst => vec![BootDevice::Disk, BootDevice::Cdrom],
        }
    }
}

impl std::fmt::Display for Order {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&match self {
            Order::Auto => t!("details-boot-auto"),
            Order::CdromFirst => t!("details-boot-cdrom"),
            Order::DiskFirst => t!("details-boot-disk"),
        })
    }
}

/// A firmware for the pick list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirmwareChoice(pub Firmware);

impl std::fmt::Display for FirmwareChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&match self.0 {
            Firmware::Uefi => t!("details-firmware-uefi"),
            Firmware::Bios => t!("details-firmware-bios"),
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Eject(usize),
    /// Opens the file dialog for this drive, and the typed-path row beside it.
    Insert(usize),
    Picked(usize, Chosen),
    PathEdit(String),
    InsertTyped,
    CancelInsert,
    AddDrive,
    Firmware(FirmwareChoice),
    Order(Order),
    /// A disc change or a new drive ended: the config as saved, or why not.
    Done(Result<Box<VmConfig>, String>),
}

/// What the details must have done.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    None,
    /// Put the file typed or picked into `drive` (`None`: eject).
    Change {
        drive: usize,
        medium: Option<String>,
    },
    AddDrive,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Media {
    /// The drives as vm.toml has them.
    pub cdroms: Vec<CdromConfig>,
    /// Which drives' discs are gone from where vm.toml says (checked when read, not each
    /// time the view is drawn): the VM cannot start until they are ejected or replaced.
    pub missing: Vec<bool>,
    /// `None`: a Linux-kernel VM (nothing here applies).
    pub firmware: Option<Firmware>,
    pub order: Option<Order>,
    /// The boot source as saved, kept when only the order changes (its firmware files).
    base: Option<BootSource>,
    /// The drive being given a disc, and the path typed for it.
    pub inserting: Option<(usize, String)>,
    /// The last Browse… found no file chooser (said above the typed path).
    pub no_chooser: bool,
    /// A change is under way (its buttons wait).
    pub busy: bool,
    /// Why the last change failed.
    pub error: Option<String>,
}

impl Media {
    pub fn from_config(cfg: &VmConfig) -> Media {
        let firmware = Firmware::of(&cfg.boot);
        let order = match &cfg.boot {
            BootSource::Bios { order, .. } | BootSource::Uefi { order, .. } => {
                Some(Order::of(order))
            }
            BootSource::Linux { .. } => None,
        };
        Media {
            cdroms: cfg.cdroms.clone(),
            missing: missing(&cfg.cdroms),
            firmware,
            order,
            base: Some(cfg.boot.clone()),
            ..Media::default()
        }
    }

    /// Whether firmware or order differ from what is saved.
    pub fn edited(&self, cfg: &VmConfig) -> bool {
        let saved = Media::from_config(cfg);
        (self.firmware, self.order) != (saved.firmware, saved.order)
    }

    /// `live`: the VM runs (discs change through its VMM; settings are read-only).
    pub fn update(&mut self, message: Message, live: bool) -> (Task<Message>, Action) {
        let busy = self.busy;
        let action = match message {
            Message::Eject(drive) if !busy => self.start(drive, None),
            Message::Insert(drive) if !busy => {
                let typed = match &self.inserting {
                    Some((d, p)) if *d == drive => p.clone(),
                    _ => String::new(),
                };
                self.inserting = Some((drive, typed));
                self.error = None;
                self.no_chooser = false;
                let start = self
                    .cdroms
                    .get(drive)
                    .and_then(|c| c.path.as_ref())
                    .and_then(|p| p.parent())
                    .filter(|p| p.is_dir())
                    .map(PathBuf::from);
                return (pick_iso(drive, start), Action::None);
            }
            Message::Picked(_, Chosen::NoChooser) => {
                self.no_chooser = true;
                Action::None
            }
            Message::Picked(drive, Chosen::File(p)) if !busy => {
                self.start(drive, Some(p.display().to_string()))
            }
            Message::PathEdit(p) => {
                if let Some((_, typed)) = &mut self.inserting {
                    *typed = p;
                }
                Action::None
            }
            Message::InsertTyped if !busy => match self.inserting.clone() {
                Some((drive, typed)) => self.start(drive, Some(typed)),
                None => Action::None,
            },
            Message::CancelInsert => {
                self.inserting = None;
                Action::None
            }
            Message::AddDrive if !busy && !live => {
                self.busy = true;
                self.error = None;
                Action::AddDrive
            }
            Message::Firmware(FirmwareChoice(f)) if !live && self.firmware.is_some() => {
                self.firmware = Some(f);
                Action::None
            }
            Message::Order(o) if !live && self.order.is_some() => {
                self.order = Some(o);
                Action::None
            }
            Message::Done(r) => {
                self.busy = false;
                match r {
                    Ok(cfg) => {
                        self.cdroms = cfg.cdroms.clone();
                        self.missing = missing(&cfg.cdroms);
                        self.inserting = None;
                        self.error = None;
                    }
                    Err(e) => self.error = Some(e),
                }
                Action::None
            }
            _ => Action::None,
        };
        (Task::none(), action)
    }

    fn start(&mut self, drive: usize, medium: Option<String>) -> Action {
        self.busy = true;
        self.error = None;
        Action::Change { drive, medium }
    }

    /// Writes firmware and boot order into `cfg` (the rest of the save flow made it).
    pub fn apply(&self, cfg: &mut VmConfig) {
        let (Some(fw), Some(order)) = (self.firmware, self.order) else {
            return;
        };
        let order = order.devices();
        cfg.boot = match self.base.clone() {
            // The same firmware: its files as they were, the order as chosen.
            Some(BootSource::Bios {
                firmware, vga_rom, ..
            }) if fw == Firmware::Bios => BootSource::Bios {
                firmware,
                order,
                vga_rom,
            },
            Some(BootSource::Uefi { firmware, vars, .. }) if fw == Firmware::Uefi => {
                BootSource::Uefi {
                    firmware,
                    vars,
                    order,
                }
            }
            // Another firmware: Debian's files. A UEFI VM's OVMF_VARS.fd stays in its folder
            // (its boot entries are the user's; switching back finds them again).
            _ => fw.boot_source(order),
        };
    }
}

fn missing(cdroms: &[CdromConfig]) -> Vec<bool> {
    cdroms
        .iter()
        .map(|c| c.path.as_ref().is_some_and(|p| !p.is_file()))
        .collect()
}

/// The file chooser, for ISO images; the typed-path row opens beside it either way.
fn pick_iso(drive: usize, start: Option<PathBuf>) -> Task<Message> {
    let mut req = chooser::Request::new(t!("details-cd-pick"))
        .filter("ISO", &["iso", "ISO"])
        .filter("*", &["*"]);
    req.start = start;
    chooser::pick(req, move |c| Message::Picked(drive, c))
}

/// A setting's name with its control under it (long names, e.g. German "Bootreihenfolge",
/// leave no room beside it in the narrow settings column).
fn setting<'a>(name: String, control: Element<'a, Message>) -> Element<'a, Message> {
    column![text(name).size(15), control].spacing(6).into()
}

fn small<'a>(label: String, msg: Option<Message>) -> Element<'a, Message> {
    button(text(label).size(13))
        .padding([4, 10])
        .style(style::pill)
        .on_press_maybe(msg)
        .into()
}

/// The CD/DVD, firmware and boot order rows (nothing for a Linux-kernel VM). `live`: the VM
/// runs (discs still change; firmware and order are read-only, said why).
pub fn view(m: &Media, live: bool) -> Element<'_, Message> {
    let mut col = column![].spacing(14);
    let (Some(fw), Some(order)) = (m.firmware, m.order) else {
        return col.into();
    };
    let ready = !m.busy;
    // Drives.
    let mut list = column![].spacing(6).width(Length::Fill);
    if m.cdroms.is_empty() {
        list = list.push(
            text(t!("details-cd-none"))
                .size(14)
                .color(style::ink(style::GREY)),
        );
        if !live {
            list = list.push(row![small(
                t!("details-cd-add"),
                ready.then_some(Message::AddDrive)
            )]);
        }
    }
    for (i, c) in m.cdroms.iter().enumerate() {
        let medium: Element<'_, Message> = match &c.path {
            Some(p) => column![
                text(medium_name(p)).size(14),
                text(p.display().to_string())
                    .size(12)
                    .color(style::ink(style::DIM)),
            ]
            .spacing(2)
            .into(),
            None => text(t!("details-cd-empty"))
                .size(14)
                .color(style::ink(style::GREY))
                .into(),
        };
        let medium: Element<'_, Message> = if m.missing.get(i).copied().unwrap_or(false) {
            column![
                medium,
                text(t!("details-cd-missing"))
                    .size(13)
                    .color(style::ink(style::ORANGE))
            ]
            .spacing(2)
            .into()
        } else {
            medium
        };
        let eject = small(
            t!("details-cd-eject"),
            (ready && c.path.is_some()).then_some(Message::Eject(i)),
        );
        let insert = small(t!("details-cd-insert"), ready.then_some(Message::Insert(i)));
        let mut drive = column![
            medium,
            row![Space::new().width(Length::Fill), eject, insert]
                .spacing(6)
                .align_y(Alignment::Center),
        ]
        .spacing(4)
        .width(Length::Fill);
        if let Some((d, typed)) = &m.inserting {
            if *d == i {
                let mut input = checked_input("/path/to/installer.iso", typed, ISO_PATH_ID, false)
                    .on_input(Message::PathEdit);
                if ready {
                    input = input.on_submit(Message::InsertTyped);
                }
                let hint = if m.no_chooser {
                    text(t!("choose-none"))
                        .size(13)
                        .color(style::ink(style::ORANGE))
                } else {
                    text(t!("details-cd-typed-hint"))
                        .size(13)
                        .color(style::ink(style::DIM))
                };
                drive = drive.push(
                    column![
                        hint,
                        input,
                        row![
                            Space::new().width(Length::Fill),
                            small(t!("button-cancel"), Some(Message::CancelInsert)),
                            button(text(t!("details-cd-insert-typed")).size(13))
                                .padding([4, 10])
                                .style(style::suggested)
                                .on_press_maybe(ready.then_some(Message::InsertTyped)),
                        ]
                        .spacing(6),
                    ]
                    .spacing(4),
                );
            }
        }
        list = list.push(container(drive).padding([8, 10]).style(style::row));
    }
    if m.busy {
        list = list.push(
            text(t!("details-cd-busy"))
                .size(13)
                .color(style::ink(style::DIM)),
        );
    }
    if let Some(e) = &m.error {
        list = list.push(text(e.clone()).size(13).color(style::ink(style::RED)));
    }
    if live && !m.cdroms.is_empty() {
        list = list.push(
            text(t!("details-cd-live-hint"))
                .size(13)
                .color(style::ink(style::DIM)),
        );
    }
    // Stacked, not beside a label: the settings column is narrow on small screens and a
    // drive's path and buttons need its width.
    col = col.push(column![text(t!("details-cdrom")).size(15), list].spacing(8));
    // Firmware and boot order.
    let firmware: Element<'_, Message> = if live {
        text(FirmwareChoice(fw).to_string()).size(15).into()
    } else {
        pick_list(
            [
                FirmwareChoice(Firmware::Uefi),
                FirmwareChoice(Firmware::Bios),
            ],
            Some(FirmwareChoice(fw)),
            Message::Firmware,
        )
        .text_size(15)
        .padding([8, 10])
        .into()
    };
    let order_w: Element<'_, Message> = if live {
        text(order.to_string()).size(15).into()
    } else {
        pick_list(
            [Order::Auto, Order::CdromFirst, Order::DiskFirst],
            Some(order),
            Message::Order,
        )
        .text_size(15)
        .padding([8, 10])
        .into()
    };
    let mut boot = column![setting(t!("details-firmware"), firmware)]
        .spacing(4)
        .width(Length::Fill);
    // Leaving UEFI: say that its variables stay (see `apply`).
    if !live && fw == Firmware::Bios && matches!(m.base, Some(BootSource::Uefi { .. })) {
        boot = boot.push(
            text(t!("details-firmware-vars-kept"))
                .size(13)
                .color(style::ink(style::DIM)),
        );
    }
    col = col.push(boot);
    let mut ord = column![setting(t!("details-boot-order"), order_w)]
        .spacing(4)
        .width(Length::Fill);
    ord = ord.push(
        text(if live {
            t!("details-boot-running")
        } else {
            t!("details-boot-hint")
        })
        .size(13)
        .color(style::ink(style::DIM)),
    );
    col = col.push(ord);
    col.into()
}
