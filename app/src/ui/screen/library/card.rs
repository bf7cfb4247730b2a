//! A VM's card in the library: its thumbnail or OS logo, name, state, summary and actions.

use super::Message;
use crate::data::store::{self, VmEntry};
use crate::data::vms::{VmState, Vms};
use crate::t;
use crate::ui::style::{self, bold, mono};
use crate::ui::widget::{state_badge, state_label};
use iced::widget::{button, column, container, row, text, Space};
use iced::{Alignment, Element, Length};

fn summary(e: &VmEntry) -> String {
    match &e.config {
        Ok(c) => t!(
            "library-summary",
            // A kernel VM runs Linux; a firmware VM's OS is the card's line above (or unknown).
            boot = match c.boot {
                vmm_core::config::BootSource::Linux { .. } =>
                    format!("Linux · {}", store::boot_summary(c)),
                _ => store::boot_summary(c),
            },
            vcpus = c.vcpus.to_string(),
            memory = c.memory_mib.to_string()
        ),
        Err(_) => e.dir.display().to_string(),
    }
}

fn action<'a>(
    label: String,
    msg: Message,
    style: fn(&iced::Theme, button::Status) -> button::Style,
) -> Element<'a, Message> {
    button(text(label).size(14))
        .padding([7, 14])
        .style(style)
        .on_press(msg)
        .into()
}

/// The logo of the OS a VM was made for, when one is known. Debian's osinfo-db names no logo
/// files, so this looks in the desktop's icon theme by the distribution's name in the OS id
/// (`http://debian.org/debian/12` → `debian-logo`, `distributor-logo-debian`, …), once per
/// id (views are drawn often). When `data::osinfo` finds logos itself, ask it first here.
fn os_logo(e: &VmEntry) -> Option<std::path::PathBuf> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static FOUND: OnceLock<Mutex<HashMap<String, Option<std::path::PathBuf>>>> = OnceLock::new();
    let os = e.config.as_ref().ok()?.os.as_ref()?;
    let mut found = FOUND.get_or_init(Default::default).lock().ok()?;
    found
        .entry(os.id.clone())
        .or_insert_with(|| icon_theme_logo(std::path::Path::new("/usr/share"), &os.id))
        .clone()
}

/// A PNG logo for the OS with osinfo-db id `id` in the icon theme under `share` (iced draws
/// PNGs here; SVG-only logos fall back to the initial).
pub(super) fn icon_theme_logo(share: &std::path::Path, id: &str) -> Option<std::path::PathBuf> {
    let mut parts = id.trim_end_matches('/').rsplit('/');
    let _version = parts.next()?;
    let distro = parts.next()?.to_lowercase();
    if distro.is_empty()
        || !distro
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return None;
    }
    let names = [
        format!("distributor-logo-{distro}"),
        format!("{distro}-logo"),
        format!("{distro}-logo-icon"),
        distro.clone(),
    ];
    let sizes = ["128x128", "96x96", "64x64", "48x48", "256x256"];
    names.iter().find_map(|n| {
        sizes
            .iter()
            .map(|s| share.join(format!("icons/hicolor/{s}/apps/{n}.png")))
            .chain([share.join(format!("pixmaps/{n}.png"))])
            .find(|p| p.is_file())
    })
}

/// The widget id of a VM's thumbnail.
pub fn thumb_id(vm: &str) -> iced::widget::Id {
    iced::widget::Id::from(format!("thumb-{vm}"))
}

pub(super) fn card<'a>(
    e: &'a VmEntry,
    vms: &'a Vms,
    thumbs: &'a std::collections::HashMap<String, iced::widget::image::Handle>,
) -> Element<'a, Message> {
    let state = vms.state(&e.id);
    let id = e.id.clone();
    let initial = e
        .name()
        .chars()
        .next()
        .map(|c| c.to_uppercase().to_string())
        .unwrap_or_default();
    let (_, color) = state_label(state);
    let avatar: Element<'a, Message> = match thumbs.get(&e.id) {
        // The screen as last seen; a stopped VM's is dimmed.
        Some(h) => container(
            iced::widget::image(h.clone())
                .width(Length::Fixed(crate::data::thumbs::MAX_W as f32))
                .height(Length::Fixed(crate::data::thumbs::MAX_H as f32))
                .opacity(if state == VmState::Running { 1.0 } else { 0.55 }),
        )
        .id(thumb_id(&e.id))
        .style(style::thumb)
        .into(),
        // The OS's logo when one is known, else the initial; the size of a thumbnail, so the
        // cards line up.
        None => match os_logo(e) {
            Some(logo) => container(
                iced::widget::image(iced::widget::image::Handle::from_path(logo))
                    .width(Length::Fixed(48.0))
                    .height(Length::Fixed(48.0)),
            ),
            None => container(text(initial).size(34).font(bold()).color(color)),
        }
        .center_x(crate::data::thumbs::MAX_W as f32)
        .center_y(crate::data::thumbs::MAX_H as f32)
        .style(style::placeholder(color))
        .into(),
    };
    // The screen opens the console of a VM that runs (its details otherwise, where it starts).
    let open = if vms.is_active(&e.id) && thumbs.contains_key(&e.id) {
        Message::OpenScreen(id.clone())
    } else {
        Message::Open(id.clone())
    };
    let avatar = button(avatar).padding(0).style(style::flat).on_press(open);
    let title = button(text(e.name().to_string()).size(17).font(bold()))
        .padding(0)
        .style(style::flat)
        .on_press(Message::Open(id.clone()));
    let mut info = column![row![title, state_badge(state)]
        .spacing(10)
        .align_y(Alignment::Center),]
    .spacing(4)
    .width(Length::Fill);
    // The OS it was made for (osinfo-db's name), under its name.
    if let Some(os) = e.config.as_ref().ok().and_then(|c| c.os.as_ref()) {
        info = info.push(text(os.name.clone()).size(14));
    }
    info = info.push(text(summary(e)).size(13).color(style::ink(style::GREY)));
    if let Err(err) = &e.config {
        let (first, _) = err.split_once('\n').unwrap_or((err, ""));
        let reason = err
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or(first);
        info = info.push(
            text(t!("library-broken", error = reason))
                .size(13)
                .color(style::ink(style::RED)),
        );
        if err.lines().count() > 1 {
            info = info.push(
                container(text(err.clone()).size(12).font(mono()))
                    .padding([6, 10])
                    .width(Length::Fill)
                    .style(style::banner(style::GREY)),
            );
        }
    }
    if let Some(x) = vms.runtime(&e.id).and_then(|r| r.last_exit.as_ref()) {
        if state == VmState::Stopped && !x.is_clean() {
            let mut ex = column![row![
                text(t!("library-last-exit", meaning = x.meaning()))
                    .size(13)
                    .color(style::ink(style::RED))
                    .width(Length::Fill),
                button(text(t!("button-dismiss")).size(12))
                    .padding([2, 8])
                    .style(style::flat)
                    .on_press(Message::DismissExit(id.clone())),
            ]
            .align_y(Alignment::Center)]
            .spacing(2);
            let lines: Vec<&String> = x.log_tail.iter().chain(x.serial_tail.iter()).collect();
            if !lines.is_empty() {
                let joined = lines
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("\n");
                ex = ex.push(
                    container(text(joined).size(12).font(mono()))
                        .padding([6, 10])
                        .width(Length::Fill)
                        .style(style::banner(style::GREY)),
                );
            }
            info = info.push(ex);
        }
    }
    let mut buttons = row![].spacing(6).align_y(Alignment::Center);
    match state {
        VmState::Stopped => {
            buttons = buttons
                .push(action(
                    t!("button-start"),
                    Message::Start(id.clone()),
                    style::suggested,
                ))
                .push(action(
                    t!("button-clone"),
                    Message::AskClone(id.clone()),
                    style::pill,
                ))
                .push(action(
                    t!("button-delete"),
                    Message::AskDelete(id.clone()),
                    style::flat,
                ));
        }
        VmState::Running => {
            buttons = buttons
                .push(action(
                    t!("button-pause"),
                    Message::Pause(id.clone()),
                    style::pill,
                ))
                .push(action(
                    t!("button-power-off"),
                    Message::PowerOff(id.clone()),
                    style::pill,
                ))
                .push(action(
                    t!("button-restart"),
                    Message::Restart(id.clone()),
                    style::pill,
                ))
                .push(action(
                    t!("button-force-off"),
                    Message::ForceOff(id.clone()),
                    style::danger_soft,
                ));
        }
        VmState::Paused => {
            buttons = buttons
                .push(action(
                    t!("button-resume"),
                    Message::Resume(id.clone()),
                    style::suggested,
                ))
                .push(action(
                    t!("button-power-off"),
                    Message::PowerOff(id.clone()),
                    style::pill,
                ))
                .push(action(
                    t!("button-force-off"),
                    Message::ForceOff(id.clone()),
                    style::danger_soft,
                ));
        }
        VmState::Starting | VmState::Stopping => {
            buttons = buttons.push(action(
                t!("button-force-off"),
                Message::ForceOff(id.clone()),
                style::danger_soft,
            ));
        }
        VmState::Broken => {
            buttons = buttons.push(action(
                t!("button-delete"),
                Message::AskDelete(id.clone()),
                style::flat,
            ));
        }
    }
    if state != VmState::Broken {
        buttons = buttons.push(action(
            t!("button-details"),
            Message::Open(id.clone()),
            style::flat,
        ));
    }
    // The comparison's story is a Linux kernel in a VM against the host's in a container.
    let linux =
        matches!(&e.config, Ok(c) if matches!(c.boot, vmm_core::config::BootSource::Linux { .. }));
    if linux && state != VmState::Broken {
        buttons = buttons.push(action(
            t!("compare-ui-open"),
            Message::Compare(id.clone()),
            style::flat,
        ));
    }
    // The buttons under the name, not beside it: beside, at 800 px, they squeezed the name
    // and its state badge into a sliver (German "Läuft" was cut by them).
    let info = info.push(Space::new().height(4)).push(buttons.wrap());
    container(row![avatar, info].spacing(14).align_y(Alignment::Center))
        .padding([14, 16])
        .width(Length::Fill)
        .style(style::card)
        .into()
}
