//! The disks a VM has, in the details' hardware: each with its format and size, its backing
//! chain (file, format, size, folder), and when the chain leaves the places the VMM takes
//! backing files from, why the VM will not start and an Allow button (recorded in
//! `allow_backing` when the settings are saved).

use super::{Hardware, Message};
use crate::data::backing::{self, Chain};
use crate::t;
use crate::ui::backing as ui_backing;
use crate::ui::style;
use iced::widget::{button, column, container, row, text, toggler, Space};
use iced::{Alignment, Element, Length};
use std::path::Path;
use vmm_core::config::DiskConfig;

pub(super) fn view(hw: &Hardware, editable: bool) -> Element<'_, Message> {
    let mut list = column![].spacing(6);
    if hw.disks.is_empty() {
        list = list.push(
            text(t!("details-none"))
                .size(14)
                .color(style::ink(style::GREY)),
        );
    }
    for (i, d) in hw.disks.iter().enumerate() {
        let name = d
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| d.path.display().to_string());
        let info = hw.disk_notes.get(i).cloned().unwrap_or_default();
        let mut ro = toggler(d.read_only)
            .label(t!("hw-read-only"))
            .size(18)
            .text_size(14);
        let mut remove = button(text(t!("hw-remove")).size(13))
            .padding([4, 10])
            .style(style::flat);
        if editable {
            ro = ro.on_toggle(move |on| Message::DiskReadOnly(i, on));
            remove = remove.on_press(Message::RemoveDisk(i));
        }
        let mut entry = column![
            text(format!("vd{} · {name}", (b'a' + i as u8) as char)).size(14),
            text(info).size(12).color(style::ink(style::DIM)),
        ]
        .spacing(4)
        .width(Length::Fill);
        if let Some(Some(c)) = hw.disk_chains.get(i) {
            entry = entry.push(ui_backing::files(c.files()));
            if !c.folders().is_empty() {
                let mut allow = button(text(t!("backing-allow")).size(13))
                    .padding([4, 10])
                    .style(style::pill);
                if editable {
                    allow = allow.on_press(Message::AllowDiskBacking(i));
                }
                entry = entry.push(
                    column![
                        text(t!(
                            "backing-disk-blocked",
                            folders = c
                                .folders()
                                .iter()
                                .map(|f| f.display().to_string())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ))
                        .size(12)
                        .color(style::ink(style::ORANGE)),
                        allow,
                    ]
                    .spacing(4),
                );
            }
        }
        // Stacked: the settings column of the details screen is narrow.
        list = list.push(
            container(
                entry.push(
                    row![ro, Space::new().width(Length::Fill), remove]
                        .spacing(10)
                        .align_y(Alignment::Center),
                ),
            )
            .padding([8, 10])
            .style(style::row),
        );
    }
    row![super::label(t!("details-disks")), list.width(Length::Fill)]
        .spacing(16)
        .into()
}

/// An attached disk's backing chain, as the VMM will check it.
pub(super) fn chain(d: &DiskConfig, vm_dir: Option<&Path>) -> Option<Chain> {
    let path = match vm_dir {
        Some(dir) => vmm_core::storage::config_path(d, dir),
        None => d.path.clone(),
    };
    backing::check(&path, vm_dir, &d.allow_backing).ok()
}

impl Hardware {
    /// Sets the VM's folder (details): the attached disks' chains are read again against it.
    pub fn set_vm_dir(&mut self, dir: &Path) {
        self.vm_dir = Some(dir.to_path_buf());
        self.disk_chains = self.disks.iter().map(|d| chain(d, Some(dir))).collect();
    }
}

/// Format and size of an attached disk (its chain is listed under it, file by file), or why it
/// cannot be read.
pub(super) fn note(p: &Path) -> String {
    match vmm_core::storage::image_info(p) {
        Ok(i) => format!(
            "{} · {}",
            i.format,
            crate::data::stats::human_bytes(i.virtual_size)
        ),
        Err(e) => e.to_string(),
    }
}
