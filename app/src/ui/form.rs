//! The VM settings form shared by the new-VM wizard and the details screen: text fields, inline
//! validation with the reason (the rules of `VmConfig::validate`, localized), and the config.

use crate::data::host::HostInfo;
use crate::data::problems;
use crate::t;
use crate::ui::chooser::{self, Chosen};
use crate::ui::style;
use crate::ui::widget::checked_input;
use iced::widget::{button, column, container, row, text, toggler, Space};
use iced::{Alignment, Element, Length, Task};
use std::path::PathBuf;
use vmm_core::config::{validate, BootSource, ConfigError, VmConfig, MIN_MEMORY_MIB};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Name,
    Kernel,
    Initrd,
    Cmdline,
    Vcpus,
    Memory,
    SerialLogFile,
}

impl Field {
    /// The widget id of the field's text input (tests select fields by it).
    pub fn id(self) -> &'static str {
        match self {
            Field::Name => "field-name",
            Field::Kernel => "field-kernel",
            Field::Initrd => "field-initrd",
            Field::Cmdline => "field-cmdline",
            Field::Vcpus => "field-vcpus",
            Field::Memory => "field-memory",
            Field::SerialLogFile => "field-serial-log-file",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Edit(Field, String),
    SerialLog(bool),
    VirtioRng(bool),
    Browse(Field),
    Picked(Field, Chosen),
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct VmForm {
    pub name: String,
    pub kernel: String,
    pub initrd: String,
    pub cmdline: String,
    pub vcpus: String,
    pub memory: String,
    pub serial_log: bool,
    pub serial_log_file: String,
    /// The virtio-rng entropy device.
    pub virtio_rng: bool,
    /// A VM that boots firmware keeps its boot source as it is: the form edits only direct
    /// kernel boot (its kernel, initrd and command line rows are hidden then).
    pub firmware_boot: Option<BootSource>,
    /// Fields the user has edited: only these show their problems until a submit.
    pub touched: Vec<Field>,
    /// Set by a submit attempt: every problem shows.
    pub show_all: bool,
    /// The field whose Browse… found no file chooser (said under it).
    pub no_chooser: Option<Field>,
}

impl VmForm {
    pub fn with_defaults(host: &HostInfo) -> VmForm {
        VmForm {
            cmdline: "console=ttyS0".into(),
            vcpus: host.default_vcpus().to_string(),
            memory: host.default_memory_mib().to_string(),
            serial_log: true,
            virtio_rng: true,
            ..VmForm::default()
        }
    }

    pub fn from_config(cfg: &VmConfig) -> VmForm {
        let (kernel, initrd, cmdline, firmware_boot) = match &cfg.boot {
            BootSource::Linux {
                kernel,
                initrd,
                cmdline,
            } => (
                kernel.display().to_string(),
                initrd
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                cmdline.clone(),
                None,
            ),
            b @ (BootSource::Bios { .. } | BootSource::Uefi { .. }) => {
                (String::new(), String::new(), String::new(), Some(b.clone()))
            }
        };
        VmForm {
            name: cfg.name.clone(),
            kernel,
            initrd,
            cmdline,
            firmware_boot,
            vcpus: cfg.vcpus.to_string(),
            memory: cfg.memory_mib.to_string(),
            serial_log: cfg.serial.log,
            serial_log_file: cfg
                .serial
                .log_file
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            virtio_rng: cfg.virtio_rng,
            touched: Vec::new(),
            show_all: false,
            no_chooser: None,
        }
    }

    /// Applies a message; returns a task for file pickers.
    pub fn update(&mut self, message: Message) -> Task<Message> {
        match message {
            Message::Edit(field, value) => {
                *self.value_mut(field) = value;
                if !self.touched.contains(&field) {
                    self.touched.push(field);
                }
                Task::none()
            }
            Message::SerialLog(on) => {
                self.serial_log = on;
                Task::none()
            }
            Message::VirtioRng(on) => {
                self.virtio_rng = on;
                Task::none()
            }
            Message::Browse(field) => {
                let title = match field {
                    Field::Initrd => t!("form-pick-initrd"),
                    _ => t!("form-pick-kernel"),
                };
                self.no_chooser = None;
                let req = chooser::Request::new(title).near(self.value(field));
                chooser::pick(req, move |c| Message::Picked(field, c))
            }
            Message::Picked(field, Chosen::File(path)) => {
                self.update(Message::Edit(field, path.display().to_string()))
            }
            Message::Picked(_, Chosen::Cancelled) => Task::none(),
            Message::Picked(field, Chosen::NoChooser) => {
                self.no_chooser = Some(field);
                Task::none()
            }
        }
    }

    pub fn value(&self, field: Field) -> &str {
        match field {
            Field::Name => &self.name,
            Field::Kernel => &self.kernel,
            Field::Initrd => &self.initrd,
            Field::Cmdline => &self.cmdline,
            Field::Vcpus => &self.vcpus,
            Field::Memory => &self.memory,
            Field::SerialLogFile => &self.serial_log_file,
        }
    }

    fn value_mut(&mut self, field: Field) -> &mut String {
        match field {
            Field::Name => &mut self.name,
            Field::Kernel => &mut self.kernel,
            Field::Initrd => &mut self.initrd,
            Field::Cmdline => &mut self.cmdline,
            Field::Vcpus => &mut self.vcpus,
            Field::Memory => &mut self.memory,
            Field::SerialLogFile => &mut self.serial_log_file,
        }
    }

    /// Every problem, each with its field and a reason for people. The rules are vmm-core's
    /// validators (the ones `vmdesk-vmm --check` runs); the form only adds its own: numbers
    /// must parse and paths must be full ones (the form has no VM folder to resolve against).
    pub fn problems(&self, host: &HostInfo) -> Vec<(Field, String)> {
        let mut out = Vec::new();
        check(&mut out, Field::Name, validate::validate_name(&self.name));
        let linux = self.firmware_boot.is_none();
        if linux {
            match full_path(&self.kernel) {
                Err(e) => out.push((Field::Kernel, e)),
                Ok(p) => check(&mut out, Field::Kernel, validate::validate_kernel(&p)),
            }
        }
        let memory: Option<u64> = self.memory.trim().parse().ok();
        if linux && !self.initrd.trim().is_empty() {
            match full_path(&self.initrd) {
                Err(e) => out.push((Field::Initrd, e)),
                // Without a memory size (that field shows why) only the file is checked.
                Ok(p) => check(
                    &mut out,
                    Field::Initrd,
                    validate::validate_initrd(&p, memory.unwrap_or(u64::MAX)),
                ),
            }
        }
        if linux {
            check(
                &mut out,
                Field::Cmdline,
                validate::validate_cmdline(&self.cmdline),
            );
        }
        let limits = host.limits();
        match self.vcpus.trim().parse::<u32>() {
            Err(_) => out.push((Field::Vcpus, t!("error-not-a-number"))),
            Ok(n) => check(&mut out, Field::Vcpus, validate::validate_vcpus(n, &limits)),
        }
        match memory {
            None => out.push((Field::Memory, t!("error-not-a-number"))),
            Some(m) => check(
                &mut out,
                Field::Memory,
                validate::validate_memory(m, &limits),
            ),
        }
        out
    }

    /// The problem to show under a field now, if any.
    pub fn shown_problem<'a>(&self, problems: &'a [(Field, String)], f: Field) -> Option<&'a str> {
        if !(self.show_all || self.touched.contains(&f)) {
            return None;
        }
        problems
            .iter()
            .find(|(pf, _)| *pf == f)
            .map(|(_, r)| r.as_str())
    }

    /// Builds the config (on top of `base`, which keeps fields the form does not show).
    pub fn to_config(&self, id: &str, base: Option<&VmConfig>) -> VmConfig {
        let mut cfg = match base {
            Some(b) => b.clone(),
            None => crate::data::store::blank_config(),
        };
        cfg.id = id.to_string();
        cfg.name = self.name.trim().to_string();
        cfg.vcpus = self.vcpus.trim().parse().unwrap_or(1);
        cfg.memory_mib = self.memory.trim().parse().unwrap_or(MIN_MEMORY_MIB);
        let initrd = self.initrd.trim();
        cfg.boot = match &self.firmware_boot {
            Some(b) => b.clone(),
            None => BootSource::Linux {
                kernel: PathBuf::from(self.kernel.trim()),
                initrd: (!initrd.is_empty()).then(|| PathBuf::from(initrd)),
                cmdline: self.cmdline.clone(),
            },
        };
        cfg.serial.log = self.serial_log;
        let lf = self.serial_log_file.trim();
        cfg.serial.log_file = (!lf.is_empty()).then(|| PathBuf::from(lf));
        cfg.virtio_rng = self.virtio_rng;
        cfg
    }
}

/// A form path must be given in full: the form has no VM folder to take a relative one from.
fn full_path(value: &str) -> Result<PathBuf, String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(t!("error-path-empty"));
    }
    let p = PathBuf::from(v);
    if !p.is_absolute() {
        return Err(t!("error-path-relative"));
    }
    Ok(p)
}

/// Adds a failed vmm-core check, in the UI language.
fn check(out: &mut Vec<(Field, String)>, field: Field, r: Result<(), ConfigError>) {
    if let Err(e) = r {
        out.push((field, problems::describe(&e.kind)));
    }
}

/// One labelled row: label, input (with browse button for paths), then the reason or a hint.
#[allow(clippy::too_many_arguments)]
pub fn field_row<'a>(
    form: &'a VmForm,
    problems: &[(Field, String)],
    field: Field,
    label: String,
    hint: Option<String>,
    placeholder: String,
    editable: bool,
    browse: bool,
) -> Element<'a, Message> {
    let problem = form.shown_problem(problems, field).map(str::to_string);
    let mut input = checked_input(
        &placeholder,
        form.value(field),
        field.id(),
        problem.is_some(),
    );
    if editable {
        input = input.on_input(move |v| Message::Edit(field, v));
    }
    let mut line = row![input].spacing(8).align_y(Alignment::Center);
    if browse && editable {
        line = line.push(
            button(text(t!("form-browse")).size(14))
                .padding([8, 14])
                .style(style::pill)
                .on_press(Message::Browse(field)),
        );
    }
    let below: Element<'a, Message> = match (problem, hint) {
        (Some(p), _) => text(p).size(13).color(style::ink(style::RED)).into(),
        (None, Some(h)) => text(h).size(13).color(style::ink(style::DIM)).into(),
        (None, None) => Space::new().height(0).into(),
    };
    let below: Element<'a, Message> = if browse && form.no_chooser == Some(field) {
        column![
            below,
            text(t!("choose-none"))
                .size(13)
                .color(style::ink(style::ORANGE))
        ]
        .spacing(4)
        .into()
    } else {
        below
    };
    row![
        container(text(label).size(15))
            .width(170)
            .padding(iced::Padding::default().top(8)),
        column![line, below].spacing(4).width(Length::Fill),
    ]
    .spacing(16)
    .into()
}

/// How a firmware VM boots, for the row that stands in for the kernel fields.
fn firmware_text(boot: &BootSource) -> String {
    let kind = match boot {
        BootSource::Uefi { .. } => t!("boot-uefi"),
        _ => t!("boot-bios"),
    };
    match boot.firmware() {
        Some(fw) => format!("{kind} · {}", fw.display()),
        None => kind,
    }
}

/// The form's fields in order. `editable` false shows them read-only.
pub fn view<'a>(
    form: &'a VmForm,
    problems: &[(Field, String)],
    host: &HostInfo,
    editable: bool,
    advanced: bool,
) -> Element<'a, Message> {
    let name = field_row(
        form,
        problems,
        Field::Name,
        t!("form-name"),
        None,
        t!("form-name-placeholder"),
        editable,
        false,
    );
    let boot: Element<'a, Message> = match &form.firmware_boot {
        Some(b) => row![
            container(text(t!("form-boot")).size(15)).width(170),
            text(firmware_text(b)).size(15).width(Length::Fill)
        ]
        .spacing(16)
        .into(),
        None => column![
            field_row(
                form,
                problems,
                Field::Kernel,
                t!("form-kernel"),
                Some(t!("form-kernel-hint")),
                "/boot/vmlinuz".into(),
                editable,
                true
            ),
            field_row(
                form,
                problems,
                Field::Initrd,
                t!("form-initrd"),
                Some(t!("form-optional")),
                "/boot/initrd.img".into(),
                editable,
                true
            ),
            field_row(
                form,
                problems,
                Field::Cmdline,
                t!("form-cmdline"),
                Some(t!("form-cmdline-hint")),
                "console=ttyS0".into(),
                editable,
                false
            ),
        ]
        .spacing(14)
        .into(),
    };
    let mut col = column![
        name,
        boot,
        field_row(
            form,
            problems,
            Field::Vcpus,
            t!("form-vcpus"),
            Some(t!("form-vcpus-hint", max = host.max_vcpus().to_string())),
            "2".into(),
            editable,
            false
        ),
        field_row(
            form,
            problems,
            Field::Memory,
            t!("form-memory"),
            Some(t!("form-memory-hint", max = host.memory_mib.to_string())),
            "1024".into(),
            editable,
            false
        ),
    ]
    .spacing(14);
    if advanced {
        let mut tog = toggler(form.serial_log)
            .label(t!("form-serial-log"))
            .size(20)
            .text_size(15);
        if editable {
            tog = tog.on_toggle(Message::SerialLog);
        }
        col = col.push(row![
            Space::new().width(186),
            container(tog).width(Length::Fill)
        ]);
        col = col.push(field_row(
            form,
            problems,
            Field::SerialLogFile,
            t!("form-serial-log-file"),
            Some(t!("form-serial-log-file-hint")),
            "serial.log".into(),
            editable,
            false,
        ));
        let mut rng = toggler(form.virtio_rng)
            .label(t!("form-virtio-rng"))
            .size(20)
            .text_size(15);
        if editable {
            rng = rng.on_toggle(Message::VirtioRng);
        }
        col = col.push(
            row![
                container(text(t!("form-devices")).size(15)).width(170),
                column![
                    rng,
                    text(t!("form-virtio-rng-hint"))
                        .size(13)
                        .color(style::ink(style::DIM))
                ]
                .spacing(4)
                .width(Length::Fill)
            ]
            .spacing(16),
        );
    }
    col.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: HostInfo = HostInfo {
        cpus: 4,
        memory_mib: 4096,
    };

    #[test]
    fn every_field_reports_its_reason() {
        crate::testing::english();
        let mut f = VmForm::with_defaults(&HOST);
        f.vcpus = "9".into();
        f.memory = "8".into();
        f.kernel = "relative/vmlinuz".into();
        let p = f.problems(&HOST);
        let fields: Vec<Field> = p.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            fields,
            [Field::Name, Field::Kernel, Field::Vcpus, Field::Memory]
        );
        assert!(p[2].1.contains("at most 4"), "{}", p[2].1);
        assert!(p[3].1.contains("16 MiB"), "{}", p[3].1);
    }

    #[test]
    fn a_good_form_makes_a_valid_config() {
        crate::testing::english();
        let dir = tempfile::tempdir().unwrap();
        let k = crate::testing::fake_kernel(dir.path());
        let mut f = VmForm::with_defaults(&HOST);
        f.name = "Test".into();
        f.kernel = k.display().to_string();
        assert!(f.problems(&HOST).is_empty(), "{:?}", f.problems(&HOST));
        let cfg = f.to_config("test", None);
        cfg.validate(&HOST.limits()).unwrap();
        assert_eq!(VmForm::from_config(&cfg).kernel, f.kernel);
    }

    #[test]
    fn a_bios_vm_keeps_its_boot_and_needs_no_kernel() {
        crate::testing::english();
        let mut cfg = crate::data::store::blank_config();
        cfg.name = "PC".into();
        cfg.boot = BootSource::Bios {
            firmware: Some("/fw/bios.bin".into()),
            order: vec![],
            vga_rom: None,
        };
        let mut f = VmForm::from_config(&cfg);
        f.memory = "64".into();
        f.vcpus = "1".into();
        assert!(f.problems(&HOST).is_empty(), "{:?}", f.problems(&HOST));
        assert_eq!(f.to_config("pc", Some(&cfg)).boot, cfg.boot);
        assert_eq!(firmware_text(&cfg.boot), "BIOS firmware · /fw/bios.bin");
    }

    #[test]
    fn a_uefi_vm_keeps_its_boot_and_vars_through_the_form() {
        crate::testing::english();
        let mut cfg = crate::data::store::blank_config();
        cfg.name = "PC".into();
        cfg.boot = BootSource::Uefi {
            firmware: None,
            vars: Some("/vms/pc/my-vars.fd".into()),
            order: vec![],
        };
        let mut f = VmForm::from_config(&cfg);
        f.memory = "64".into();
        f.vcpus = "1".into();
        assert!(f.problems(&HOST).is_empty(), "{:?}", f.problems(&HOST));
        assert_eq!(f.to_config("pc", Some(&cfg)).boot, cfg.boot);
        assert_eq!(
            firmware_text(&cfg.boot),
            "UEFI firmware · /usr/share/OVMF/OVMF_CODE_4M.fd"
        );
    }

    #[test]
    fn the_cmdline_limit_is_vmdesk_vmms() {
        crate::testing::english();
        let mut f = VmForm::with_defaults(&HOST);
        // Within 2047 bytes as typed, but not with the " pci=off" the VMM adds.
        f.cmdline = "x".repeat(2047);
        let p = f.problems(&HOST);
        let reason = &p.iter().find(|(f, _)| *f == Field::Cmdline).unwrap().1;
        assert!(reason.contains("2055 bytes"), "{reason}");
    }
}
