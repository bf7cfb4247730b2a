//! The hardware part of the VM settings, shared by the wizard and the details screen: disks
//! (a new qcow2, or an existing image used directly or through a linked clone; in the details
//! also the disks the VM has), the network interface (user-mode: passt or libslirp) with its
//! backend and port forwards, and the screen size. Checked inline like [`crate::ui::form`].

use crate::data::backing::{self, Chain};
use crate::data::disks::{self, DiskPlan};
use crate::data::problems;
use crate::t;
use crate::ui::backing as ui_backing;
use crate::ui::chooser::{self, Chosen};
use crate::ui::style;
use crate::ui::widget::checked_input;
use iced::widget::{button, column, container, pick_list, row, text, toggler, Space};
use iced::{Alignment, Element, Length, Task};
use std::path::{Path, PathBuf};
use vmm_core::config::{
    validate, DiskConfig, DisplayConfig, DisplayKind, GuestOs, NetBackend, NicConfig, PortForward,
    Protocol, VmConfig,
};

/// Screen sizes offered (any other size in vm.toml is kept and offered too).
pub const DISPLAY_PRESETS: [(u32, u32); 4] = [(800, 600), (1024, 768), (1280, 800), (1920, 1080)];

/// The default size of a new disk, in GiB (qcow2 grows as the guest writes).
pub const DEFAULT_DISK_GIB: u64 = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StorageKind {
    #[default]
    None,
    New,
    Existing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HwField {
    DiskSize,
    DiskPath,
    Forwards,
    VncPort,
    VncPassword,
}

impl HwField {
    /// The widget id of the field's text input.
    pub fn id(self) -> &'static str {
        match self {
            HwField::DiskSize => "field-disk-size",
            HwField::DiskPath => "field-disk-path",
            HwField::Forwards => "field-forwards",
            HwField::VncPort => "field-vnc-port",
            HwField::VncPassword => "field-vnc-password",
        }
    }
}

/// A screen size choice for the pick list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DisplayChoice(pub Option<(u32, u32)>);

impl std::fmt::Display for DisplayChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            None => write!(f, "{}", t!("hw-display-none")),
            Some((w, h)) => write!(f, "{w} × {h}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Storage(StorageKind),
    Edit(HwField, String),
    Linked(bool),
    ReadOnly(bool),
    Browse,
    Picked(Chosen),
    Network(bool),
    /// The NIC's user-mode network backend.
    NetBackend(NetBackend),
    Display(DisplayChoice),
    /// The screen device (`display.kind`).
    DisplayKind(screen::KindChoice),
    /// Details: an attached disk's read-only switch.
    DiskReadOnly(usize, bool),
    /// Details: detach a disk (its image stays where it is).
    RemoveDisk(usize),
    /// The disk to add reads from files outside the usual places: use them.
    AllowBacking,
    /// … or not: the disk is not added.
    CancelBacking,
    /// Details: an attached disk's chain leaves the allowed places: allow its folders.
    AllowDiskBacking(usize),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Hardware {
    /// The disk to add.
    pub storage: StorageKind,
    pub disk_size: String,
    pub disk_path: String,
    pub linked: bool,
    pub read_only: bool,
    /// Disks the VM has (details only).
    pub disks: Vec<DiskConfig>,
    /// One line about each of `disks` (format and size, or why it cannot be read), read once:
    /// views are drawn often and images may be on slow storage.
    pub disk_notes: Vec<String>,
    /// What `disk_path` holds, read when it changes.
    image: Option<Result<vmm_core::storage::ImageInfo, String>>,
    /// `disk_path`'s backing chain, read with it (None: not an image).
    pub chain: Option<Chain>,
    /// The user allowed the folders `chain` asks about.
    pub chain_allowed: bool,
    /// Each of `disks`' backing chains (None: cannot be read; its note says why).
    pub disk_chains: Vec<Option<Chain>>,
    /// The VM's folder (details only): backing files in it need no question.
    pub vm_dir: Option<PathBuf>,
    pub network: bool,
    pub forwards: String,
    pub display: Option<(u32, u32)>,
    /// The screen device; until chosen (`kind_chosen`) the machine's and OS's default.
    pub display_kind: DisplayKind,
    pub kind_chosen: bool,
    /// The machine is a PC (firmware boot), and the OS it is for: they decide the kinds
    /// offered and the default.
    pub pc: bool,
    pub os: Option<GuestOs>,
    /// VNC on loopback TCP as well as the socket (details only): port and password.
    pub vnc_port: String,
    pub vnc_password: String,
    /// The NIC's user-mode network: `backend` in vm.toml.
    pub net_backend: NetBackend,
    /// Whether passt and libslirp are installed (without either a NIC cannot work).
    pub net_have: NetHave,
    /// Free bytes where new disks go.
    pub free: Option<u64>,
    /// The NICs and display as configured, for what is not shown here (MACs, further NICs,
    /// the VNC port): saving keeps them.
    base_nics: Vec<NicConfig>,
    base_display: Option<DisplayConfig>,
    pub touched: Vec<HwField>,
    pub show_all: bool,
    /// Browse… found no file chooser (said under the path).
    pub no_chooser: bool,
}

impl Hardware {
    /// A new VM's defaults: no disk yet (16 GiB offered), network when passt or libslirp is
    /// there, a
    /// 1024 × 768 screen.
    pub fn for_new_vm(vms_dir: &Path) -> Hardware {
        let net_have = NetHave::probe();
        Hardware {
            disk_size: DEFAULT_DISK_GIB.to_string(),
            linked: true,
            network: net_have.any(),
            net_have,
            display: Some((1024, 768)),
            free: disks::free_space(vms_dir),
            ..Hardware::default()
        }
    }

    /// A VM's hardware as configured. `free` (where its new disks would go) is set by the
    /// caller, who knows the folder.
    pub fn from_config(cfg: &VmConfig) -> Hardware {
        let nic = cfg.nics.first();
        Hardware {
            disk_size: DEFAULT_DISK_GIB.to_string(),
            linked: true,
            disks: cfg.disks.clone(),
            disk_notes: cfg.disks.iter().map(|d| attached::note(&d.path)).collect(),
            disk_chains: cfg.disks.iter().map(|d| attached::chain(d, None)).collect(),
            network: nic.is_some(),
            forwards: nic
                .as_ref()
                .map(|n| format_forwards(&n.forwards))
                .unwrap_or_default(),
            display: cfg.display.as_ref().map(|d| (d.width, d.height)),
            display_kind: screen::shown(
                cfg.boot.firmware().is_some(),
                cfg.display.as_ref().map(|d| d.kind).unwrap_or_default(),
            ),
            kind_chosen: cfg.display.is_some(),
            pc: cfg.boot.firmware().is_some(),
            os: cfg.os.clone(),
            vnc_port: cfg
                .display
                .as_ref()
                .and_then(|d| d.vnc_port)
                .map(|p| p.to_string())
                .unwrap_or_default(),
            vnc_password: cfg
                .display
                .as_ref()
                .and_then(|d| d.vnc_password.clone())
                .unwrap_or_default(),
            net_backend: nic.map(|n| n.backend).unwrap_or_default(),
            net_have: NetHave::probe(),
            base_nics: cfg.nics.clone(),
            base_display: cfg.display.clone(),
            ..Hardware::default()
        }
    }

    pub fn update(&mut self, message: Message) -> Task<Message> {
        match message {
            Message::Storage(k) => self.storage = k,
            Message::Edit(f, v) => {
                match f {
                    HwField::DiskSize => self.disk_size = v,
                    HwField::DiskPath => {
                        self.image = Some(disks::check_existing(&v));
                        self.chain =
                            backing::check(Path::new(v.trim()), self.vm_dir.as_deref(), &[]).ok();
                        self.chain_allowed = false;
                        self.disk_path = v;
                    }
                    HwField::Forwards => self.forwards = v,
                    HwField::VncPort => self.vnc_port = v,
                    HwField::VncPassword => self.vnc_password = v,
                }
                if !self.touched.contains(&f) {
                    self.touched.push(f);
                }
            }
            Message::Linked(on) => self.linked = on,
            Message::ReadOnly(on) => self.read_only = on,
            Message::Browse => {
                self.no_chooser = false;
                let req = chooser::Request::new(t!("hw-pick-image"))
                    .filter("qcow2, raw", &["qcow2", "img", "raw"])
                    .filter("*", &["*"])
                    .near(&self.disk_path);
                return chooser::pick(req, Message::Picked);
            }
            Message::Picked(Chosen::File(p)) => {
                return self.update(Message::Edit(HwField::DiskPath, p.display().to_string()))
            }
            Message::Picked(Chosen::Cancelled) => {}
            Message::Picked(Chosen::NoChooser) => self.no_chooser = true,
            Message::Network(on) => self.network = on,
            Message::NetBackend(b) => self.net_backend = b,
            Message::Display(DisplayChoice(d)) => self.display = d,
            Message::DisplayKind(screen::KindChoice(k)) => {
                self.display_kind = k;
                self.kind_chosen = true;
            }
            Message::DiskReadOnly(i, on) => {
                if let Some(d) = self.disks.get_mut(i) {
                    d.read_only = on;
                }
            }
            Message::RemoveDisk(i) => {
                if i < self.disks.len() {
                    self.disks.remove(i);
                    self.disk_notes.remove(i);
                    self.disk_chains.remove(i);
                }
            }
            Message::AllowBacking => self.chain_allowed = true,
            Message::CancelBacking => {
                self.storage = StorageKind::None;
                self.disk_path.clear();
                self.image = None;
                self.chain = None;
                self.chain_allowed = false;
                self.touched.retain(|f| *f != HwField::DiskPath);
            }
            Message::AllowDiskBacking(i) => {
                let folders = self.disk_chains.get(i).and_then(|c| c.as_ref());
                if let (Some(d), Some(folders)) = (self.disks.get_mut(i), folders) {
                    disks::allow_folders(d, folders.folders());
                    self.disk_chains[i] = attached::chain(d, self.vm_dir.as_deref());
                }
            }
        }
        Task::none()
    }

    /// The machine (PC or kernel) and OS changed (the wizard's page, a detection): an
    /// unchosen screen device follows them, a chosen one the machine lacks goes back to the
    /// default.
    pub fn set_machine(&mut self, pc: bool, os: Option<GuestOs>) {
        self.pc = pc;
        self.os = os;
        let allowed = DisplayKind::allowed(pc).contains(&self.display_kind);
        if !self.kind_chosen || !allowed {
            self.display_kind = screen::default_kind(pc, self.os.as_ref());
            self.kind_chosen = false;
        }
    }

    /// Every problem, with its field and the reason.
    pub fn problems(&self) -> Vec<(HwField, String)> {
        let mut out = Vec::new();
        match self.storage {
            StorageKind::None => {}
            StorageKind::New => {
                if let Err(e) = disks::check_size_gib(&self.disk_size) {
                    out.push((HwField::DiskSize, e));
                }
            }
            StorageKind::Existing => {
                let checked = match &self.image {
                    Some(r) => r.clone(),
                    None => disks::check_existing(&self.disk_path),
                };
                if let Err(e) = checked {
                    out.push((HwField::DiskPath, e));
                } else if !self.chain_allowed
                    && self.chain.as_ref().is_some_and(|c| !c.folders().is_empty())
                {
                    out.push((HwField::DiskPath, t!("backing-answer-first")));
                }
            }
        }
        if self.network {
            if let Err(e) = parse_forwards(&self.forwards) {
                out.push((HwField::Forwards, e));
            }
        }
        if self.display.is_some() {
            let port = self.vnc_port.trim();
            let port = match port.parse::<u16>() {
                _ if port.is_empty() => Ok(None),
                Ok(p) => Ok(Some(p)),
                Err(_) => Err(()),
            };
            let pw = (!self.vnc_password.is_empty()).then_some(self.vnc_password.as_str());
            match port {
                Err(()) => out.push((HwField::VncPort, t!("error-vnc-port"))),
                Ok(port) => {
                    if let Err(e) = validate::validate_vnc(port, pw) {
                        let field = if e.field.ends_with("vnc_port") {
                            HwField::VncPort
                        } else {
                            HwField::VncPassword
                        };
                        out.push((field, problems::describe(&e.kind)));
                    }
                }
            }
        }
        out
    }

    fn shown_problem<'a>(&self, problems: &'a [(HwField, String)], f: HwField) -> Option<&'a str> {
        if !(self.show_all || self.touched.contains(&f)) {
            return None;
        }
        problems
            .iter()
            .find(|(pf, _)| *pf == f)
            .map(|(_, r)| r.as_str())
    }

    /// The disk to make, if one is asked for (call when there are no problems).
    pub fn plan(&self) -> Option<DiskPlan> {
        match self.storage {
            StorageKind::None => None,
            StorageKind::New => Some(DiskPlan::New {
                size_bytes: disks::check_size_gib(&self.disk_size).ok()?,
            }),
            StorageKind::Existing => Some(DiskPlan::Existing {
                path: PathBuf::from(self.disk_path.trim()),
                linked: self.linked,
                read_only: self.read_only,
                allow: match (&self.chain, self.chain_allowed) {
                    (Some(c), true) => c.folders().to_vec(),
                    _ => Vec::new(),
                },
            }),
        }
    }

    /// Writes the disks, the NIC and the screen into `cfg` (a disk still to be made is not in
    /// it: see [`Hardware::plan`]).
    pub fn apply(&self, cfg: &mut VmConfig) {
        cfg.disks = self.disks.clone();
        cfg.nics = if self.network {
            let mut nics = self.base_nics.clone();
            if nics.is_empty() {
                nics.push(NicConfig::default());
            }
            nics[0].forwards = parse_forwards(&self.forwards).unwrap_or_default();
            nics[0].backend = self.net_backend;
            nics
        } else {
            Vec::new()
        };
        cfg.display = self.display.map(|(width, height)| {
            let mut d = self.base_display.clone().unwrap_or_default();
            d.width = width;
            d.height = height;
            d.vnc_port = self.vnc_port.trim().parse().ok();
            d.vnc_password = Some(self.vnc_password.clone()).filter(|p| !p.is_empty());
            // A PC's `framebuffer` stays as the file has it while the VGA is kept.
            if screen::shown(self.pc, d.kind) != self.display_kind {
                d.kind = self.display_kind;
            }
            d
        });
    }
}

/// `tcp 8080:80, udp 5353:53` (protocol optional, tcp by default).
pub fn parse_forwards(s: &str) -> Result<Vec<PortForward>, String> {
    let mut out: Vec<PortForward> = Vec::new();
    for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let bad = || t!("error-forward", item = item);
        let (proto, ports) = match item.split_once(char::is_whitespace) {
            Some((p, rest)) => {
                let proto = match p.to_lowercase().as_str() {
                    "tcp" => Protocol::Tcp,
                    "udp" => Protocol::Udp,
                    _ => return Err(bad()),
                };
                (proto, rest.trim())
            }
            None => (Protocol::Tcp, item),
        };
        let (h, g) = ports.split_once(':').ok_or_else(bad)?;
        let port = |v: &str| v.trim().parse::<u16>().ok();
        let (Some(host_port), Some(guest_port)) = (port(h), port(g)) else {
            return Err(bad());
        };
        out.push(PortForward {
            proto,
            host_port,
            guest_port,
        });
    }
    // The text is the form's; the rules (no port 0, each host port once) are vmm-core's.
    let nic = NicConfig {
        forwards: out,
        ..Default::default()
    };
    if let Some(e) = validate::validate_nics(std::slice::from_ref(&nic)).first() {
        return Err(problems::describe(&e.kind));
    }
    Ok(nic.forwards)
}

pub fn format_forwards(f: &[PortForward]) -> String {
    f.iter()
        .map(|f| {
            let p = match f.proto {
                Protocol::Tcp => "tcp",
                Protocol::Udp => "udp",
            };
            format!("{p} {}:{}", f.host_port, f.guest_port)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn label<'a, M: 'a>(s: String) -> Element<'a, M> {
    container(text(s).size(15))
        .width(170)
        .padding(iced::Padding::default().top(8))
        .into()
}

fn input<'a>(
    hw: &'a Hardware,
    problems: &[(HwField, String)],
    f: HwField,
    value: &'a str,
    placeholder: &str,
    editable: bool,
) -> (Element<'a, Message>, Option<String>) {
    let problem = hw.shown_problem(problems, f).map(str::to_string);
    let mut i = checked_input(placeholder, value, f.id(), problem.is_some());
    if editable {
        i = i.on_input(move |v| Message::Edit(f, v));
    }
    (i.into(), problem)
}

fn below<'a>(problem: Option<String>, hint: Option<String>) -> Element<'a, Message> {
    match (problem, hint) {
        (Some(p), _) => text(p).size(13).color(style::ink(style::RED)).into(),
        (None, Some(h)) => text(h).size(13).color(style::ink(style::DIM)).into(),
        (None, None) => Space::new().height(0).into(),
    }
}

fn switch<'a>(
    on: bool,
    label: String,
    editable: bool,
    f: fn(bool) -> Message,
) -> Element<'a, Message> {
    let mut t = toggler(on).label(label).size(20).text_size(15);
    if editable {
        t = t.on_toggle(f);
    }
    t.into()
}

/// The hardware fields. `wizard`: the storage choice is the VM's disk; otherwise it adds one
/// to the listed disks. `editable` false shows everything read-only (a running VM).
pub fn view<'a>(
    hw: &'a Hardware,
    problems: &[(HwField, String)],
    editable: bool,
    wizard: bool,
) -> Element<'a, Message> {
    let mut col = column![].spacing(14);
    // Disks the VM has.
    if !wizard {
        col = col.push(attached::view(hw, editable));
    }
    // The storage choice.
    let kinds = [
        (
            StorageKind::None,
            if wizard {
                t!("hw-storage-none")
            } else {
                t!("hw-storage-keep")
            },
        ),
        (StorageKind::New, t!("hw-storage-new")),
        (StorageKind::Existing, t!("hw-storage-existing")),
    ];
    let mut seg = row![].spacing(4);
    for (k, l) in kinds {
        let mut b = button(text(l).size(14))
            .padding([6, 10])
            .style(if hw.storage == k {
                style::tab_selected
            } else {
                style::pill
            });
        if editable {
            b = b.on_press(Message::Storage(k));
        }
        seg = seg.push(b);
    }
    // A segmented control, drawn like the details screen's tabs.
    let seg = container(seg).padding(4).style(style::tab_bar);
    let mut storage = column![row![seg]].spacing(10);
    match hw.storage {
        StorageKind::None => {
            if wizard {
                storage = storage.push(
                    text(t!("hw-storage-none-hint"))
                        .size(13)
                        .color(style::ink(style::DIM)),
                );
            }
        }
        StorageKind::New => {
            let (i, p) = input(
                hw,
                problems,
                HwField::DiskSize,
                &hw.disk_size,
                "16",
                editable,
            );
            let over = disks::check_size_gib(&hw.disk_size)
                .ok()
                .and_then(|b| disks::over_free(b, hw.free));
            let hint = match (over, hw.free) {
                (Some(warning), _) => warning,
                (None, Some(f)) => t!("hw-disk-size-hint", free = (f >> 30).to_string()),
                (None, None) => t!("hw-disk-size-hint-unknown"),
            };
            storage = storage.push(
                column![
                    row![container(i).width(120), text(t!("hw-gib")).size(15)]
                        .spacing(8)
                        .align_y(Alignment::Center),
                    below(p, Some(hint)),
                ]
                .spacing(4),
            );
        }
        StorageKind::Existing => {
            let (i, p) = input(
                hw,
                problems,
                HwField::DiskPath,
                &hw.disk_path,
                "/var/lib/images/debian.qcow2",
                editable,
            );
            let mut line = row![i].spacing(8).align_y(Alignment::Center);
            if editable {
                line = line.push(
                    button(text(t!("form-browse")).size(14))
                        .padding([8, 14])
                        .style(style::pill)
                        .on_press(Message::Browse),
                );
            }
            let hint = match (p.is_some(), &hw.image) {
                (false, Some(Ok(info))) => Some(t!(
                    "hw-image-info",
                    format = info.format.to_string(),
                    size = crate::data::stats::human_bytes(info.virtual_size)
                )),
                _ => Some(t!("hw-image-hint")),
            };
            let mut col = column![line, below(p, hint)].spacing(4);
            let answers = editable.then_some((Message::AllowBacking, Message::CancelBacking));
            let (allow, cancel) = answers.unzip();
            if let Some(panel) = hw
                .chain
                .as_ref()
                .and_then(|c| ui_backing::panel(c, hw.chain_allowed, allow, cancel))
            {
                col = col.push(panel);
            }
            if hw.no_chooser {
                col = col.push(
                    text(t!("choose-none"))
                        .size(13)
                        .color(style::ink(style::ORANGE)),
                );
            }
            storage = storage
                .push(col)
                .push(switch(
                    hw.linked,
                    t!("hw-linked"),
                    editable,
                    Message::Linked,
                ))
                .push(
                    text(if hw.linked {
                        t!("hw-linked-hint")
                    } else {
                        t!("hw-direct-hint")
                    })
                    .size(13)
                    .color(style::ink(style::DIM)),
                )
                .push(switch(
                    hw.read_only,
                    t!("hw-read-only"),
                    editable,
                    Message::ReadOnly,
                ));
        }
    }
    col = col.push(
        row![
            label(if wizard {
                t!("hw-storage")
            } else {
                t!("hw-add-disk")
            }),
            storage.width(Length::Fill)
        ]
        .spacing(16),
    );
    // Network.
    let net = net::view(hw, problems, editable);
    col = col.push(
        row![
            label(t!("details-nics")),
            container(net).width(Length::Fill)
        ]
        .spacing(16),
    );
    // Screen.
    let mut choices = vec![DisplayChoice(None)];
    choices.extend(DISPLAY_PRESETS.iter().map(|p| DisplayChoice(Some(*p))));
    if let Some(d) = hw.display {
        if !DISPLAY_PRESETS.contains(&d) {
            choices.push(DisplayChoice(Some(d)));
        }
    }
    let current = Some(DisplayChoice(hw.display));
    let screen: Element<'a, Message> = if editable {
        pick_list(choices, current, Message::Display)
            .text_size(15)
            .padding([8, 10])
            .into()
    } else {
        text(DisplayChoice(hw.display).to_string()).size(15).into()
    };
    let mut screen_col = column![screen];
    if hw.display.is_some() {
        let kind = screen::KindChoice(hw.display_kind);
        let kind: Element<'a, Message> = if editable {
            pick_list(screen::choices(hw.pc), Some(kind), Message::DisplayKind)
                .text_size(15)
                .padding([8, 10])
                .into()
        } else {
            text(kind.to_string()).size(15).into()
        };
        screen_col = screen_col.push(
            row![
                container(text(t!("hw-display-kind")).size(14)).width(90),
                kind
            ]
            .spacing(10)
            .align_y(Alignment::Center),
        );
    }
    let mut screen_col = screen_col
        .push(
            text(t!("hw-display-hint"))
                .size(13)
                .color(style::ink(style::DIM)),
        )
        .spacing(4)
        .width(Length::Fill);
    if !wizard && hw.display.is_some() {
        let (port, pp) = input(
            hw,
            problems,
            HwField::VncPort,
            &hw.vnc_port,
            "5901",
            editable,
        );
        let (pw, pwp) = input(
            hw,
            problems,
            HwField::VncPassword,
            &hw.vnc_password,
            "",
            editable,
        );
        screen_col = screen_col.push(
            column![
                row![
                    container(text(t!("hw-vnc-port")).size(14)).width(90),
                    container(port).width(110),
                ]
                .spacing(10)
                .align_y(Alignment::Center),
                row![
                    container(text(t!("hw-vnc-password")).size(14)).width(90),
                    container(pw).width(Length::Fill),
                ]
                .spacing(10)
                .align_y(Alignment::Center),
                below(pp.or(pwp), Some(t!("hw-vnc-hint"))),
            ]
            .spacing(4)
            .width(Length::Fill),
        );
    }
    col = col.push(row![label(t!("details-display")), screen_col].spacing(16));
    col.into()
}

mod attached;
mod net;
pub mod screen;
pub use net::NetHave;
#[cfg(test)]
mod tests;
