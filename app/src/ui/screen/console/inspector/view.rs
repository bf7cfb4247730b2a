//! The inspector's drawing: tabs, then one section at a time, every item with a line that
//! says what it is (a caption, or a tooltip where a caption would crowd a table).

use super::{Inspector, Message, Tab};
use crate::data::exits::explain as explain_exit;
use crate::data::inspector::{self as words, hex};
use crate::data::stats::human_bytes;
use crate::data::vms::VmState;
use crate::t;
use crate::ui::style::{self, bold, mono};
use iced::widget::{
    button, column, container, progress_bar, row, scrollable, text, tooltip, Column, Space,
};
use iced::{Alignment, Color, Element, Length};
use vmm_core::api::{DeviceView, ExitRecord, MemoryRegionView, ThreadView, VcpuView};

/// The panel's width beside the screen.
pub const WIDTH: f32 = 500.0;
/// Narrower windows show the panel instead of the screen.
pub const BESIDE_FROM: f32 = 1100.0;
/// Exits listed (newest first); the panel keeps more for the legend.
const ROWS: usize = 60;

/// Text with a one-line explanation on hover.
fn tip<'a>(content: impl Into<Element<'a, Message>>, what: String) -> Element<'a, Message> {
    tooltip(
        content,
        container(text(what).size(13))
            .padding([6, 10])
            .max_width(360)
            .style(style::card),
        tooltip::Position::Bottom,
    )
    .into()
}

fn caption<'a>(s: String) -> Element<'a, Message> {
    text(s).size(12).color(style::ink(style::GREY)).into()
}

fn chip<'a>(label: String, color: Color) -> Element<'a, Message> {
    container(
        text(label)
            .size(12)
            .font(bold())
            .wrapping(text::Wrapping::None),
    )
    .padding([2, 8])
    .style(style::badge(color))
    .into()
}

fn card<'a>(inner: impl Into<Element<'a, Message>>) -> Element<'a, Message> {
    container(inner)
        .padding(12)
        .width(Length::Fill)
        .style(style::card)
        .into()
}

/// The colour an exit reason has in the log and its legend.
fn reason_color(reason: &str) -> Color {
    match reason {
        "io-out" | "io-in" => style::ACCENT,
        "mmio-read" | "mmio-write" => style::GREEN,
        "hlt" => style::YELLOW,
        "io-unhandled" | "internal-error" | "fail-entry" | "shutdown" => style::RED,
        _ => style::GREY,
    }
}

impl Inspector {
    pub fn view(&self, state: VmState) -> Element<'_, Message> {
        let tab = |label: String, t: Tab| {
            button(text(label).size(13).wrapping(text::Wrapping::None))
                .padding([5, 10])
                .style(if self.tab == t {
                    style::tab_selected
                } else {
                    style::flat
                })
                .on_press(Message::Tab(t))
        };
        let tabs = row![
            tab(t!("insp-tab-vcpus"), Tab::Vcpus),
            tab(t!("insp-tab-exits"), Tab::Exits),
            tab(t!("insp-tab-memory"), Tab::Memory),
            tab(t!("insp-tab-devices"), Tab::Devices),
            tab(t!("insp-tab-host"), Tab::Host),
        ]
        .spacing(4);
        let about = match self.tab {
            Tab::Vcpus => t!("insp-about-vcpus"),
            Tab::Exits => t!("insp-about-exits"),
            Tab::Memory => t!("insp-about-memory"),
            Tab::Devices => t!("insp-about-devices"),
            Tab::Host => t!("insp-about-host"),
        };
        let mut top = column![
            container(tabs).padding(3).style(style::tab_bar),
            caption(about)
        ]
        .spacing(8);
        let note = match state {
            VmState::Paused => Some((t!("insp-paused"), style::YELLOW)),
            VmState::Running => None,
            _ => Some((t!("insp-stopped"), style::GREY)),
        };
        if let Some((note, color)) = note {
            top = top.push(
                container(text(note).size(13))
                    .padding([6, 10])
                    .width(Length::Fill)
                    .style(style::banner(color)),
            );
        }
        if let Some(e) = &self.error {
            top = top.push(
                container(text(t!("insp-error", reason = e.as_str())).size(13))
                    .padding([6, 10])
                    .width(Length::Fill)
                    .style(style::banner(style::RED)),
            );
        }
        let body: Element<'_, Message> = match &self.now {
            None => caption(t!("insp-waiting")),
            Some(i) => match self.tab {
                Tab::Vcpus => {
                    let lit = container(text("0x…").size(12).font(mono()))
                        .padding([1, 4])
                        .style(style::badge(style::ACCENT));
                    let legend = row![lit, caption(t!("insp-changed"))]
                        .spacing(6)
                        .align_y(Alignment::Center);
                    Column::with_children(
                        std::iter::once(legend.into()).chain(
                            i.vcpus
                                .iter()
                                .map(|v| self.vcpu(v, state == VmState::Paused)),
                        ),
                    )
                    .spacing(10)
                    .into()
                }
                Tab::Exits => self.exits(),
                Tab::Memory => Column::with_children(i.memory.iter().map(region))
                    .spacing(8)
                    .into(),
                Tab::Devices => Column::with_children(i.devices.iter().map(device))
                    .spacing(8)
                    .into(),
                Tab::Host => host(i),
            },
        };
        container(
            column![
                top,
                scrollable(container(body).padding(iced::Padding {
                    right: 12.0,
                    ..Default::default()
                }))
                .height(Length::Fill)
            ]
            .spacing(10),
        )
        .padding([12, 12])
        .height(Length::Fill)
        .style(|_: &iced::Theme| container::Style {
            background: Some(style::BG.into()),
            ..Default::default()
        })
        .into()
    }

    fn vcpu<'a>(&'a self, v: &'a VcpuView, paused: bool) -> Element<'a, Message> {
        let before = words::previous(self.before.as_ref(), v.index);
        let changed = before
            .map(|b| words::changed(b, &v.regs))
            .unwrap_or_default();
        let (status, color) = if v.halted {
            (t!("insp-halted"), style::YELLOW)
        } else if paused {
            (t!("insp-stopped-here"), style::GREY)
        } else {
            (t!("insp-running"), style::GREEN)
        };
        let status_tip = if v.halted {
            t!("insp-halted-tip")
        } else {
            t!("insp-running-tip")
        };
        let mut head = row![
            text(t!("insp-vcpu", index = v.index)).size(15).font(bold()),
            tip(chip(status, color), status_tip),
            Space::new().width(Length::Fill),
        ]
        .spacing(8)
        .align_y(Alignment::Center);
        if paused {
            head = head.push(tip(
                button(text(t!("insp-step")).size(13))
                    .padding([4, 12])
                    .style(style::pill)
                    .on_press(Message::Step(v.index)),
                t!("insp-step-tip"),
            ));
        }
        let mode = tip(
            text(words::mode_words(v)).size(13),
            words::explain_mode(v.mode),
        );
        let cell = |(name, value): (&'static str, u64)| -> Element<'a, Message> {
            let hot = changed.contains(&name);
            let value = container(text(format!("{value:#018x}")).size(13).font(mono()))
                .padding([1, 4])
                .style(move |t: &iced::Theme| {
                    if hot {
                        style::badge(style::ACCENT)(t)
                    } else {
                        container::Style::default()
                    }
                });
            row![
                tip(
                    container(
                        text(name)
                            .size(12)
                            .font(bold())
                            .color(style::ink(style::GREY))
                    )
                    .width(56),
                    words::explain_register(name)
                ),
                value
            ]
            .align_y(Alignment::Center)
            .into()
        };
        let regs = words::shown_registers(&v.regs);
        let mut grid = column![].spacing(3);
        for pair in regs.chunks(2) {
            let mut r = row![].spacing(12);
            for &c in pair {
                r = r.push(cell(c));
            }
            grid = grid.push(r);
        }
        let code = row![
            tip(
                text(t!("insp-code"))
                    .size(12)
                    .color(style::ink(style::GREY)),
                t!("insp-code-tip")
            ),
            text(if v.code.is_empty() {
                "—".to_string()
            } else {
                crate::data::inspector::code_bytes(&v.code)
            })
            .size(13)
            .font(mono()),
        ]
        .spacing(8)
        .align_y(Alignment::Center);
        let th = &v.thread;
        let thread = tip(
            caption(t!(
                "insp-vcpu-thread",
                name = th.name.as_str(),
                tid = th.tid,
                cpu = words::cpu_time(th.cpu_us),
                last = th.last_cpu
            )),
            t!("insp-vcpu-thread-tip"),
        );
        let mut c = column![head, mode, grid, code, thread].spacing(8);
        if let Some(s) = self.stepped.as_ref().filter(|s| s.after.index == v.index) {
            c = c.push(stepped(s));
        }
        card(c)
    }

    fn exits(&self) -> Element<'_, Message> {
        let mut c = column![].spacing(10);
        if self.log.dropped > 0 {
            c = c.push(
                container(text(t!("insp-dropped", count = self.log.dropped)).size(13))
                    .padding([6, 10])
                    .width(Length::Fill)
                    .style(style::banner(style::ORANGE)),
            );
        }
        if self.log.entries.is_empty() {
            return c.push(caption(t!("insp-no-exits"))).into();
        }
        let mut legend = column![].spacing(4);
        for (reason, n) in self.log.reasons() {
            legend = legend.push(
                row![
                    chip(format!("{reason} × {n}"), reason_color(&reason)),
                    text(explain_exit(&reason))
                        .size(12)
                        .color(style::ink(style::GREY)),
                ]
                .spacing(8)
                .align_y(Alignment::Center),
            );
        }
        c = c.push(card(legend));
        let head = |s: String, w: f32| -> Element<'_, Message> {
            container(text(s).size(12).font(bold()).color(style::ink(style::GREY)))
                .width(w)
                .into()
        };
        let mut table = column![row![
            head(t!("insp-col-time"), 58.0),
            head(t!("insp-col-vcpu"), 34.0),
            head(t!("insp-col-reason"), 84.0),
            head(t!("insp-col-where"), 90.0),
            head(t!("insp-col-size"), 40.0),
            head(t!("insp-col-value"), 84.0),
        ]
        .spacing(4)]
        .spacing(2);
        for e in self.log.entries.iter().rev().take(ROWS) {
            table = table.push(exit_row(e));
        }
        c.push(card(table)).into()
    }
}

fn exit_row(e: &ExitRecord) -> Element<'_, Message> {
    let cell = |s: String, w: f32| -> Element<'_, Message> {
        container(text(s).size(12).font(mono()).wrapping(text::Wrapping::None))
            .width(w)
            .clip(true)
            .into()
    };
    let at = if e.addr <= 0xffff && e.reason.starts_with("io") {
        format!("{:#06x}", e.addr)
    } else {
        format!("{:#x}", e.addr)
    };
    let value = match (e.value, e.size) {
        (Some(v), s) if s > 0 => format!("{v:#0w$x}", w = 2 + 2 * s as usize),
        (Some(v), _) => format!("{v:#x}"),
        (None, _) => "—".into(),
    };
    let line = row![
        cell(format!("{:.3}", e.at_us as f64 / 1e6), 58.0),
        cell(e.vcpu.to_string(), 34.0),
        container(
            text(e.reason.clone())
                .size(12)
                .font(bold())
                .color(style::ink(reason_color(&e.reason)))
                .wrapping(text::Wrapping::None)
        )
        .width(84)
        .clip(true),
        cell(at, 90.0),
        cell(
            if e.size > 0 {
                e.size.to_string()
            } else {
                "—".into()
            },
            40.0
        ),
        cell(value, 84.0),
    ]
    .spacing(4)
    .align_y(Alignment::Center);
    // The device on a line of its own under the reason: names are long, the table narrow.
    let device = e.device.clone().unwrap_or_else(|| t!("insp-no-device"));
    column![
        line,
        row![
            Space::new().width(96),
            text(format!("→ {device}"))
                .size(12)
                .color(style::ink(style::GREY))
                .wrapping(text::Wrapping::None)
        ]
    ]
    .into()
}

/// What one step did: why it stopped, and each register it changed, before → after.
fn stepped(s: &vmm_core::api::Stepped) -> Element<'_, Message> {
    let changed = words::changed(&s.before.regs, &s.after.regs);
    let mut c = column![text(t!("insp-stepped", by = s.stopped_by.as_str()))
        .size(13)
        .font(bold())]
    .spacing(3);
    if changed.is_empty() {
        c = c.push(caption(t!("insp-stepped-nothing")));
    }
    let (b, a) = (
        words::shown_registers(&s.before.regs),
        words::shown_registers(&s.after.regs),
    );
    for name in changed {
        let find = |r: &[(&str, u64)]| r.iter().find(|x| x.0 == name).map_or(0, |x| x.1);
        c = c.push(
            text(format!("{name:<6} {} → {}", hex(find(&b)), hex(find(&a))))
                .size(12)
                .font(mono()),
        );
    }
    container(c)
        .padding([8, 10])
        .width(Length::Fill)
        .style(style::banner(style::ACCENT))
        .into()
}

fn kind_color(k: vmm_core::api::RegionKind) -> Color {
    use vmm_core::api::RegionKind::*;
    match k {
        Ram => style::GREEN,
        Rom | Flash => style::ORANGE,
        Framebuffer => style::ACCENT,
        Mmio => style::RED,
        Reserved => style::GREY,
    }
}

fn region(r: &MemoryRegionView) -> Element<'_, Message> {
    let (kind, what) = words::region_kind(r.kind);
    let end = r.start.saturating_add(r.size.saturating_sub(1));
    let head = row![
        tip(chip(kind, kind_color(r.kind)), what),
        text(r.name.clone()).size(14).font(bold()),
        Space::new().width(Length::Fill),
        text(human_bytes(r.size)).size(13),
    ]
    .spacing(8)
    .align_y(Alignment::Center);
    let range = text(format!("{} – {}", hex(r.start), hex(end)))
        .size(12)
        .font(mono())
        .color(style::ink(style::GREY));
    let use_line: Element<'_, Message> = match r.touched_bytes {
        Some(t) => {
            let frac = if r.size == 0 {
                0.0
            } else {
                t as f32 / r.size as f32
            };
            let huge = r.huge_page_bytes.unwrap_or(0);
            column![
                tip(
                    progress_bar(0.0..=1.0, frac.min(1.0)).girth(6),
                    t!("insp-touched-tip")
                ),
                caption(t!(
                    "insp-touched",
                    touched = human_bytes(t),
                    percent = format!("{:.0}", frac * 100.0),
                    huge = human_bytes(huge)
                )),
            ]
            .spacing(4)
            .into()
        }
        None if r.kind == vmm_core::api::RegionKind::Reserved => {
            caption(t!("insp-kind-reserved-tip"))
        }
        None => caption(t!("insp-every-access-exits")),
    };
    card(column![head, range, use_line].spacing(5))
}

fn device(d: &DeviceView) -> Element<'_, Message> {
    let (kind, what) = words::device_kind(d.kind);
    let color = match d.kind {
        vmm_core::api::DeviceKind::Emulated => style::ORANGE,
        vmm_core::api::DeviceKind::Paravirtual => style::GREEN,
        vmm_core::api::DeviceKind::InKernel => style::ACCENT,
    };
    let head = row![
        text(d.name.clone()).size(14).font(bold()),
        tip(chip(kind, color), what),
        Space::new().width(Length::Fill),
        tip(
            text(t!("insp-dev-exits", count = d.exits)).size(13),
            t!("insp-dev-exits-tip")
        ),
    ]
    .spacing(8)
    .align_y(Alignment::Center);
    let mut c = column![
        head,
        caption(t!("insp-dev-transport", transport = d.transport.as_str()))
    ]
    .spacing(4);
    let mono_line = |label: String, v: String, tip_text: String| -> Element<'_, Message> {
        tip(
            row![
                text(label).size(12).color(style::ink(style::GREY)),
                text(v).size(12).font(mono())
            ]
            .spacing(6),
            tip_text,
        )
    };
    if !d.ports.is_empty() {
        let v: Vec<String> = d
            .ports
            .iter()
            .map(|(a, b)| format!("{a:#06x}–{b:#06x}"))
            .collect();
        c = c.push(mono_line(
            t!("insp-dev-ports"),
            v.join(", "),
            t!("insp-dev-ports-tip"),
        ));
    }
    if !d.mmio.is_empty() {
        let v: Vec<String> = d
            .mmio
            .iter()
            .map(|(a, s)| format!("{} ({})", hex(*a), human_bytes(*s)))
            .collect();
        c = c.push(mono_line(
            t!("insp-dev-mmio"),
            v.join(", "),
            t!("insp-dev-mmio-tip"),
        ));
    }
    if !d.irqs.is_empty() {
        let v: Vec<String> = d.irqs.iter().map(u32::to_string).collect();
        c = c.push(mono_line(
            t!("insp-dev-irqs"),
            v.join(", "),
            t!("insp-dev-irqs-tip"),
        ));
    }
    if !d.msix.is_empty() {
        let v: Vec<String> = d
            .msix
            .iter()
            .map(|m| {
                t!(
                    "insp-dev-msix-entry",
                    entry = m.entry,
                    vector = format!("{:#04x}", m.vector),
                    apic = m.apic_id,
                    users = m.used_by.join(", "),
                    masked = if m.masked { "yes" } else { "no" }
                )
            })
            .collect();
        c = c.push(mono_line(
            t!("insp-dev-msix"),
            v.join("\n"),
            t!("insp-dev-msix-tip"),
        ));
    }
    for q in &d.queues {
        c = c.push(tip(
            caption(t!(
                "insp-dev-queue",
                index = q.index,
                size = q.size,
                served = q.served
            )),
            t!("insp-dev-queue-tip"),
        ));
    }
    card(c)
}

fn host(i: &vmm_core::api::Inspection) -> Element<'_, Message> {
    let head = column![
        text(t!("insp-host-process", pid = i.host.pid))
            .size(14)
            .font(bold()),
        tip(
            caption(t!("insp-host-rss", rss = human_bytes(i.host.rss_bytes))),
            t!("insp-host-rss-tip")
        ),
    ]
    .spacing(4);
    let mut rows = column![].spacing(8);
    for th in &i.host.threads {
        rows = rows.push(thread(th));
    }
    column![card(head), card(rows)].spacing(8).into()
}

fn thread(th: &ThreadView) -> Element<'_, Message> {
    column![
        row![
            text(th.name.clone()).size(13).font(bold()),
            text(format!("{}", th.tid))
                .size(12)
                .font(mono())
                .color(style::ink(style::GREY)),
            Space::new().width(Length::Fill),
            text(words::cpu_time(th.cpu_us)).size(13).font(mono()),
            tip(
                text(t!("insp-last-cpu", cpu = th.last_cpu))
                    .size(12)
                    .color(style::ink(style::GREY)),
                t!("insp-last-cpu-tip")
            ),
        ]
        .spacing(8)
        .align_y(Alignment::Center),
        caption(words::explain_thread(&th.name)),
    ]
    .spacing(2)
    .into()
}
