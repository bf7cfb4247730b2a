//! The Activity tab: a running VM's `counters`, polled once a second, as numbers and as small
//! live graphs of the last minute — CPU (the guest's vCPU threads vs the VMM's own work),
//! memory, vCPU exits by reason (each with a line for teachers), disk and network throughput.
//! The maths is in `data::stats`; the graphs are `ui::widget::graph`.

use crate::data::exits::explain;
use crate::data::stats::{human_bytes, Stats};
use crate::data::vms::{confinement_line, VmState};
use crate::t;
use crate::ui::style;
use crate::ui::style::{bold, mono};
use crate::ui::widget::graph::{
    absent, dashed_swatch, graph, graph_card, legend, legend_marks, per_second, reason_color,
    swatch, Kind, RAM, READ, RX, TX, VCPU, VMM, WRITE,
};
use crate::ui::widget::section_title;
use iced::widget::{column, container, progress_bar, row, scrollable, text, Space};
use iced::{Alignment, Element, Length};
use vmm_core::api::{Confinement, Counters};

/// The tab's state: what the last minute of `counters` replies add up to.
#[derive(Debug, Clone, Default)]
pub struct Activity {
    pub stats: Stats,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// A `counters` reply from the VM's VMM.
    Counters(Box<Counters>),
}

impl Activity {
    pub fn update(&mut self, message: Message) {
        match message {
            Message::Counters(c) => self.stats.push(&c),
        }
    }

    /// `confinement`: what the VMM's `status` said confines it (an older VMM says nothing).
    pub fn view<'a, M: 'a>(
        &'a self,
        state: VmState,
        confinement: Option<&Confinement>,
    ) -> Element<'a, M> {
        view(&self.stats, state, confinement)
    }
}

/// The activity tab.
fn view<'a, M: 'a>(
    stats: &'a Stats,
    state: VmState,
    confinement: Option<&Confinement>,
) -> Element<'a, M> {
    let live = matches!(state, VmState::Running | VmState::Paused);
    let mut col = column![row![
        section_title(t!("stats-live-title")),
        Space::new().width(Length::Fill),
        text(t!("stats-window"))
            .size(13)
            .color(style::ink(style::GREY)),
    ]
    .align_y(Alignment::Center)]
    .spacing(10);
    if !live || stats.uptime_ms == 0 {
        col = col.push(
            text(t!("stats-none"))
                .size(13)
                .color(style::ink(style::DIM)),
        );
        return card(col);
    }
    let h = &stats.history;
    let s = h.latest().cloned().unwrap_or_default();
    let pct = |v: f64| format!("{v:.0} %");
    let rate = |v: f64| per_second(human_bytes(v as u64));
    let cpu = graph_card(
        t!("stats-cpu"),
        pct(s.cpu_vcpu + s.cpu_vmm),
        legend_marks(vec![
            (swatch(VCPU), t!("stats-cpu-vcpu", value = pct(s.cpu_vcpu))),
            (
                dashed_swatch(VMM),
                t!("stats-cpu-vmm", value = pct(s.cpu_vmm)),
            ),
        ]),
        graph(h, Kind::Cpu, &[], true, 66.0),
    );
    let mem = graph_card(
        t!("stats-memory"),
        human_bytes(s.rss as u64),
        legend(vec![
            (style::GREEN, t!("stats-memory-rss")),
            (
                RAM,
                t!("stats-memory-guest", size = human_bytes(s.guest_ram as u64)),
            ),
        ]),
        graph(h, Kind::Memory, &[], true, 66.0),
    );
    let disk = graph_card(
        t!("stats-disk"),
        if stats.disks.is_empty() {
            String::new()
        } else {
            rate(s.disk_read + s.disk_write)
        },
        if stats.disks.is_empty() {
            absent(t!("stats-no-disks-explain"))
        } else {
            legend(vec![
                (READ, t!("stats-read", rate = rate(s.disk_read))),
                (WRITE, t!("stats-written", rate = rate(s.disk_write))),
            ])
        },
        graph(h, Kind::Disk, &[], !stats.disks.is_empty(), 66.0),
    );
    let net = graph_card(
        t!("stats-net"),
        if stats.nics.is_empty() {
            String::new()
        } else {
            rate(s.net_rx + s.net_tx)
        },
        if stats.nics.is_empty() {
            absent(t!("stats-no-nics-explain"))
        } else {
            legend(vec![
                (RX, t!("stats-received", rate = rate(s.net_rx))),
                (TX, t!("stats-sent", rate = rate(s.net_tx))),
            ])
        },
        graph(h, Kind::Net, &[], !stats.nics.is_empty(), 66.0),
    );
    col = col
        .push(row![cpu, mem].spacing(10))
        .push(row![disk, net].spacing(10));

    // Exits: the stacked graph, then each busy reason with its colour and what it means.
    let mut exits = column![
        row![
            text(t!("stats-title")).size(13).font(bold()),
            Space::new().width(Length::Fill),
            text(t!(
                "stats-total",
                rate = format!("{:.0}", stats.total_rate),
                total = stats.total.to_string()
            ))
            .size(13),
        ]
        .align_y(Alignment::Center),
        text(t!("stats-intro"))
            .size(12)
            .color(style::ink(style::GREY)),
        graph(h, Kind::Exits, &stats.stacked, true, 84.0),
    ]
    .spacing(6);
    let max = stats.top.iter().map(|r| r.rate).fold(1.0_f64, f64::max);
    for r in &stats.top {
        exits = exits.push(
            column![
                row![
                    swatch(reason_color(&stats.stacked, &r.reason)),
                    text(r.reason.clone()).size(13).font(mono()).width(110),
                    progress_bar(0.0..=max as f32, r.rate as f32)
                        .girth(6)
                        .length(Length::Fill),
                    text(t!("stats-rate", rate = format!("{:.0}", r.rate)))
                        .size(13)
                        .width(80)
                        .align_x(iced::alignment::Horizontal::Right),
                ]
                .spacing(8)
                .align_y(Alignment::Center),
                row![
                    Space::new().width(18),
                    text(explain(&r.reason))
                        .size(12)
                        .color(style::ink(style::GREY))
                ],
            ]
            .spacing(1),
        );
    }
    col = col.push(
        container(exits)
            .padding(10)
            .width(Length::Fill)
            .style(style::row),
    );

    if !stats.vcpus.is_empty() {
        col = col.push(text(t!("stats-vcpus")).size(14).font(bold()));
        let max = stats.vcpus.iter().map(|(r, _)| *r).fold(1.0_f64, f64::max);
        for (i, (rate, total)) in stats.vcpus.iter().enumerate() {
            let cpu = s
                .per_vcpu
                .get(i)
                .map(|c| t!("stats-vcpu-cpu", cpu = format!("{c:.0}")))
                .unwrap_or_default();
            col = col.push(
                row![
                    text(t!("stats-vcpu", n = (i as i64)))
                        .size(13)
                        .font(mono())
                        .width(120),
                    progress_bar(0.0..=max as f32, *rate as f32)
                        .girth(6)
                        .length(Length::Fill),
                    text(cpu)
                        .size(13)
                        .width(70)
                        .align_x(iced::alignment::Horizontal::Right),
                    text(t!(
                        "stats-vcpu-value",
                        rate = format!("{rate:.0}"),
                        total = total.to_string()
                    ))
                    .size(13)
                    .width(200)
                    .align_x(iced::alignment::Horizontal::Right),
                ]
                .spacing(10)
                .align_y(Alignment::Center),
            );
        }
    }
    col = col.push(text(t!("stats-devices")).size(14).font(bold()));
    for (i, d) in stats.disks.iter().enumerate() {
        col = col.push(
            text(t!(
                "stats-disk-line",
                n = (i as i64),
                read = human_bytes(d.read_bytes),
                reads = d.read_requests.to_string(),
                written = human_bytes(d.write_bytes),
                writes = d.write_requests.to_string(),
                flushes = d.flushes.to_string()
            ))
            .size(13)
            .font(mono()),
        );
    }
    if stats.nics.is_empty() {
        col = col.push(
            text(t!("stats-no-nics"))
                .size(13)
                .color(style::ink(style::DIM)),
        );
    }
    for (i, n) in stats.nics.iter().enumerate() {
        col = col.push(
            text(t!(
                "stats-nic",
                n = (i as i64),
                rx = n.rx_frames.to_string(),
                rxb = human_bytes(n.rx_bytes),
                tx = n.tx_frames.to_string(),
                txb = human_bytes(n.tx_bytes),
                dropped = n.dropped().to_string()
            ))
            .size(13)
            .font(mono()),
        );
    }
    col = col.push(
        text(t!("stats-malformed", count = stats.malformed.to_string()))
            .size(13)
            .color(style::ink(if stats.malformed > 0 {
                style::RED
            } else {
                style::GREY
            })),
    );
    col = col.push(
        text(t!(
            "stats-uptime",
            uptime = format!("{:.0}", stats.uptime_ms as f64 / 1000.0),
            dropped = stats.dropped_events.to_string()
        ))
        .size(13)
        .color(style::ink(style::GREY)),
    );
    if let Some(c) = confinement {
        col = col.push(
            text(confinement_line(c))
                .size(13)
                .color(style::ink(style::GREY)),
        );
    }
    card(col)
}

fn card<'a, M: 'a>(col: iced::widget::Column<'a, M>) -> Element<'a, M> {
    container(scrollable(col.padding(iced::Padding::default().right(16))).height(Length::Fill))
        .padding(16)
        .height(Length::Fill)
        .width(Length::Fill)
        .style(style::card)
        .into()
}
