//! A disk image's backing chain on screen (issue 17 #1): each file with its format, size and
//! folder, and — when the chain leaves the places the VMM takes backing files from — the
//! question whether to allow those folders. A chain with a device node, FIFO or a file in
//! /proc, /sys or /dev is refused with the reason and has no Allow button. Shared by the
//! hardware part of the wizard and of the details screen; the data is [`crate::data::backing`].

use crate::data::backing::{Chain, ChainFile};
use crate::t;
use crate::ui::style;
use iced::widget::{button, column, container, row, text, Space};
use iced::{Alignment, Element, Length};
use std::path::PathBuf;

/// `a, b` of folders, for the question.
pub fn folders(list: &[PathBuf]) -> String {
    list.iter()
        .map(|f| f.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// One line per backing file, nearest first.
pub fn files<'a, M: 'a>(files: &[ChainFile]) -> Element<'a, M> {
    let mut col = column![].spacing(2);
    for f in files {
        let name = f
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| f.path.display().to_string());
        let line = t!(
            "backing-file-line",
            file = name,
            format = f.format.to_string(),
            size = crate::data::stats::human_bytes(f.virtual_size),
            folder = f.folder().display().to_string()
        );
        let mut r = row![text(format!("← {line}")).size(12)].spacing(6);
        if !f.allowed {
            r = r.push(
                text(t!("backing-outside"))
                    .size(12)
                    .color(style::ink(style::ORANGE)),
            );
        }
        col = col.push(r.wrap());
    }
    col.into()
}

/// The panel under a disk image being added: nothing for a standalone image, the chain for one
/// whose files are all where they may be, else the question (`allowed`: the user said yes) or
/// the refusal. `allow`/`cancel` are the answers' messages (None: not editable).
pub fn panel<'a, M: Clone + 'a>(
    chain: &Chain,
    allowed: bool,
    allow: Option<M>,
    cancel: Option<M>,
) -> Option<Element<'a, M>> {
    let answer =
        |label: String, msg: Option<M>, s: fn(&iced::Theme, button::Status) -> button::Style| {
            button(text(label).size(14))
                .padding([6, 14])
                .style(s)
                .on_press_maybe(msg)
        };
    let body: Element<'a, M> = match chain {
        Chain::Fine(f) if f.is_empty() => return None,
        Chain::Fine(f) => column![text(t!("backing-reads-from")).size(13), files(f)]
            .spacing(4)
            .into(),
        Chain::Ask {
            files: f,
            folders: dirs,
        } if allowed => column![
            text(t!("backing-allowed", folders = folders(dirs)))
                .size(13)
                .color(style::ink(style::GREEN)),
            files(f),
        ]
        .spacing(4)
        .into(),
        Chain::Ask {
            files: f,
            folders: dirs,
        } => column![
            text(t!("backing-question", folders = folders(dirs)))
                .size(15)
                .font(style::bold()),
            files(f),
            text(t!("backing-why"))
                .size(12)
                .color(style::ink(style::GREY)),
            row![
                answer(t!("backing-allow"), allow, style::suggested),
                answer(t!("backing-cancel"), cancel, style::pill),
            ]
            .spacing(8),
        ]
        .spacing(6)
        .into(),
        Chain::Refused { file, reason } => column![
            text(t!("backing-refused"))
                .size(15)
                .font(style::bold())
                .color(style::ink(style::RED)),
            text(format!("{}: {reason}", file.display())).size(13),
            row![
                Space::new().width(Length::Fill),
                answer(t!("backing-cancel"), cancel, style::pill),
            ]
            .align_y(Alignment::Center),
        ]
        .spacing(6)
        .into(),
    };
    Some(
        container(body)
            .padding([8, 10])
            .width(Length::Fill)
            .style(style::row)
            .into(),
    )
}
