//! The activity tab: a running VM's `counters`, polled once a second, as numbers and as small
//! live graphs of the last minute — CPU (the guest's vCPU threads vs the VMM's own work),
//! memory, vCPU exits by reason (each with a line for teachers), disk and network throughput.
//!
//! Rates come from [`rates`], a pure function of two samples. Graphs are canvases whose
//! geometry is cached and rebuilt only when a new sample arrives.

use crate::data::stats::human_bytes;
use crate::data::vms::VmState;
use crate::t;
use crate::ui::screen::details::section_title;
use crate::ui::style;
use crate::ui::style::{bold, mono};
use iced::widget::canvas::{self, Cache, Canvas, Frame, Geometry, LineDash, Path, Stroke};
use iced::widget::{column, container, progress_bar, row, scrollable, text, Space};
use iced::{color, Alignment, Color, Element, Length, Rectangle, Renderer, Theme};
use std::cell::Cell;
use std::collections::{HashMap, VecDeque};
use vmm_core::api::{Counters, DiskCounters, NicCounters};

/// Seconds of history the graphs show.
pub const WINDOW_S: f64 = 60.0;
/// Height of the band above a plot that holds its scale's label.
const LABEL_BAND: f32 = 13.0;
/// Exit reasons the exits graph stacks one by one (the rest is "other").
const STACKED_REASONS: usize = 4;
/// Graph colours: the stacked exit reasons (then "other"), and the two series of a pair.
const PALETTE: [Color; 5] = [
    style::ACCENT,
    color!(0xe66100),
    color!(0x2ec27e),
    color!(0x9141ac),
    color!(0x9a9996),
];
const VCPU: Color = style::ACCENT;
const VMM: Color = color!(0xe66100);
const READ: Color = color!(0x2ec27e);
const WRITE: Color = color!(0xe66100);
const RX: Color = style::ACCENT;
const TX: Color = color!(0x9141ac);
const RAM: Color = color!(0x9a9996);

/// One point of the graphs: rates between two samples, gauges at the later one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sample {
    /// The VMM's uptime at the sample, in seconds.
    pub t: f64,
    /// CPU time per second of wall time, in % of one core: the vCPU threads (running the
    /// guest and handling its exits), and the rest of the VMM process (devices, display, API).
    pub cpu_vcpu: f64,
    pub cpu_vmm: f64,
    /// Each vCPU thread's share of `cpu_vcpu` (empty when the VMM does not report them).
    pub per_vcpu: Vec<f64>,
    /// Resident memory of the VMM process and the guest RAM configured, in bytes.
    pub rss: f64,
    pub guest_ram: f64,
    /// Exits per second by reason, in the VMM's order.
    pub exits: Vec<(String, f64)>,
    /// Bytes per second, all disks / all NICs together.
    pub disk_read: f64,
    pub disk_write: f64,
    pub net_rx: f64,
    pub net_tx: f64,
}

/// How much a counter grew from `before` to `now`. Counters are u64 and may wrap; a counter
/// that went back by more than half the range did not wrap but started again from zero (a
/// new VMM process): `None`.
fn grew(before: u64, now: u64) -> Option<u64> {
    let d = now.wrapping_sub(before);
    (d <= u64::MAX / 2).then_some(d)
}

fn nic_bytes(c: &Counters) -> (u64, u64) {
    c.nics.iter().fold((0, 0), |(rx, tx), n| {
        (rx.wrapping_add(n.rx_bytes), tx.wrapping_add(n.tx_bytes))
    })
}

/// The rates between sample `a` and the later sample `b` of the same VMM, per second of the
/// time between them (so a missed poll gives the average over the gap). `None` when `b` is
/// not later than `a` or a counter went back: the VMM was restarted in between.
pub fn rates(a: &Counters, b: &Counters) -> Option<Sample> {
    if b.uptime_ms <= a.uptime_ms || a.disks.len() != b.disks.len() {
        return None;
    }
    let dt = (b.uptime_ms - a.uptime_ms) as f64 / 1000.0;
    let per_s = |x: u64, y: u64| grew(x, y).map(|d| d as f64 / dt);
    let cpu = |c: &Counters| c.process_user_us.wrapping_add(c.process_system_us);
    let vcpus = |c: &Counters| c.vcpu_cpu_us.iter().fold(0u64, |s, x| s.wrapping_add(*x));
    // µs of CPU per s of wall time → % of one core.
    let total = per_s(cpu(a), cpu(b))? / 1e4;
    let same_vcpus = a.vcpu_cpu_us.len() == b.vcpu_cpu_us.len();
    let vcpu = if same_vcpus {
        per_s(vcpus(a), vcpus(b))? / 1e4
    } else {
        0.0
    };
    let per_vcpu = if same_vcpus {
        a.vcpu_cpu_us
            .iter()
            .zip(&b.vcpu_cpu_us)
            .map(|(x, y)| Some(per_s(*x, *y)? / 1e4))
            .collect::<Option<Vec<_>>>()?
    } else {
        Vec::new()
    };
    let before: HashMap<&str, u64> = a.exits.iter().map(|(r, n)| (r.as_str(), *n)).collect();
    let exits = b
        .exits
        .iter()
        .map(|(r, n)| Some((r.clone(), per_s(*before.get(r.as_str()).unwrap_or(&0), *n)?)))
        .collect::<Option<Vec<_>>>()?;
    let disk = |c: &Counters, f: fn(&vmm_core::api::DiskCounters) -> u64| {
        c.disks.iter().fold(0u64, |s, d| s.wrapping_add(f(d)))
    };
    let (rx_a, tx_a) = nic_bytes(a);
    let (rx_b, tx_b) = nic_bytes(b);
    // The process's CPU includes its vCPU threads; the two clocks are read one after the
    // other, so the difference can be a hair below zero.
    let vcpu = vcpu.min(total);
    Some(Sample {
        t: b.uptime_ms as f64 / 1000.0,
        cpu_vcpu: vcpu,
        cpu_vmm: total - vcpu,
        per_vcpu,
        rss: b.rss_bytes as f64,
        guest_ram: b.guest_memory_bytes as f64,
        exits,
        disk_read: per_s(disk(a, |d| d.read_bytes), disk(b, |d| d.read_bytes))?,
        disk_write: per_s(disk(a, |d| d.write_bytes), disk(b, |d| d.write_bytes))?,
        net_rx: per_s(rx_a, rx_b)?,
        net_tx: per_s(tx_a, tx_b)?,
    })
}

/// The last minute of samples of one VMM.
#[derive(Debug, Clone, Default)]
pub struct History {
    last: Option<Counters>,
    pub samples: VecDeque<Sample>,
    /// Changes with every sample: a graph redraws only when it differs from what it drew.
    pub generation: u64,
}

/// Samples closer together than this are skipped: after a busy moment the app's 1 s timer
/// fires its missed ticks at once, and rates over a few milliseconds only add noise.
const MIN_GAP_MS: u64 = 500;

impl History {
    /// Adds a sample; false when it was skipped (an older or too close one of the same VMM).
    pub fn push(&mut self, c: &Counters) -> bool {
        if let Some(a) = &self.last {
            // Replies to polls can arrive out of order: only a new process start (or, from a
            // VMM that does not say when it started, an uptime that went back) is a restart.
            let restarted = if a.started_unix_ms != 0 || c.started_unix_ms != 0 {
                a.started_unix_ms != c.started_unix_ms
            } else {
                c.uptime_ms < a.uptime_ms
            };
            if !restarted && c.uptime_ms < a.uptime_ms.saturating_add(MIN_GAP_MS) {
                return false;
            }
            match rates(a, c).filter(|_| !restarted) {
                Some(s) => self.samples.push_back(s),
                // A new VMM process: its history starts now.
                None => self.samples.clear(),
            }
        }
        if let Some(t) = self.samples.back().map(|s| s.t) {
            while self.samples.front().is_some_and(|s| s.t < t - WINDOW_S) {
                self.samples.pop_front();
            }
        }
        self.last = Some(c.clone());
        self.generation = self.generation.wrapping_add(1);
        true
    }

    pub fn latest(&self) -> Option<&Sample> {
        self.samples.back()
    }
}

/// One line per exit reason, for teachers.
pub fn explain(reason: &str) -> String {
    match reason {
        "io-in" => t!("explain-io-in"),
        "io-out" => t!("explain-io-out"),
        "io-unhandled" => t!("explain-io-unhandled"),
        "mmio-read" => t!("explain-mmio-read"),
        "mmio-write" => t!("explain-mmio-write"),
        "hlt" => t!("explain-hlt"),
        "shutdown" => t!("explain-shutdown"),
        "interrupted" => t!("explain-interrupted"),
        "internal-error" => t!("explain-internal-error"),
        "fail-entry" => t!("explain-fail-entry"),
        _ => t!("explain-other"),
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rate {
    pub reason: String,
    pub rate: f64,
    pub total: u64,
}

/// What the activity tab shows: exit rates from the last two `counters` samples, totals, and
/// the graphs' history.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// The last minute, for the graphs.
    pub history: History,
    /// The reasons the exits graph stacks one by one (the busiest first).
    pub stacked: Vec<String>,
    /// Per disk: totals since the VMM started.
    pub disks: Vec<DiskCounters>,
    prev_vcpu: Vec<u64>,
    /// The busiest reasons, most exits per second first.
    pub top: Vec<Rate>,
    pub total_rate: f64,
    pub total: u64,
    /// Per vCPU: exits per second and in total.
    pub vcpus: Vec<(f64, u64)>,
    /// Per NIC: frames and bytes received and sent, frames dropped.
    pub nics: Vec<NicCounters>,
    pub malformed: u64,
    pub dropped_events: u64,
    pub uptime_ms: u64,
}

impl Stats {
    pub const TOP: usize = 5;

    pub fn push(&mut self, c: &Counters) {
        if !self.history.push(c) {
            // A stale or too early reply: what is shown stays.
            return;
        }
        // This sample's rates ([`rates`]); none for the first sample of a VMM.
        let latest = self.history.latest();
        let rate_of = |reason: &str| {
            latest
                .and_then(|s| s.exits.iter().find(|(r, _)| r == reason))
                .map(|(_, v)| *v)
                .unwrap_or(0.0)
        };
        let mut rates: Vec<Rate> = c
            .exits
            .iter()
            .map(|(reason, total)| Rate {
                reason: reason.clone(),
                rate: rate_of(reason),
                total: *total,
            })
            .filter(|r| r.total > 0)
            .collect();
        rates.sort_by(|a, b| {
            b.rate
                .partial_cmp(&a.rate)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(b.total.cmp(&a.total))
        });
        self.total_rate = rates.iter().map(|r| r.rate).sum();
        self.total = rates.iter().map(|r| r.total).sum();
        rates.truncate(Self::TOP);
        self.top = rates;
        self.stacked = self
            .top
            .iter()
            .filter(|r| r.rate > 0.0)
            .take(STACKED_REASONS)
            .map(|r| r.reason.clone())
            .collect();
        self.disks = c.disks.clone();
        let vcpu_totals: Vec<u64> = c
            .per_vcpu
            .iter()
            .map(|v| v.iter().map(|(_, n)| n).sum())
            .collect();
        let dt = c.uptime_ms.saturating_sub(self.uptime_ms);
        self.vcpus = vcpu_totals
            .iter()
            .enumerate()
            .map(|(i, total)| {
                let rate = match self.prev_vcpu.get(i) {
                    Some(before) if dt > 0 => {
                        total.saturating_sub(*before) as f64 * 1000.0 / dt as f64
                    }
                    _ => 0.0,
                };
                (rate, *total)
            })
            .collect();
        self.prev_vcpu = vcpu_totals;
        self.nics = c.nics.clone();
        self.malformed = c.malformed_virtio_chains;
        self.dropped_events = c.dropped_events;
        self.uptime_ms = c.uptime_ms;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Cpu,
    Memory,
    Exits,
    Disk,
    Net,
}

/// A small live graph of one kind over the last minute.
struct Graph<'a> {
    history: &'a History,
    kind: Kind,
    /// For [`Kind::Exits`]: the reasons stacked one by one, in palette order.
    reasons: &'a [String],
    /// False for a device the VM does not have: only the empty grid.
    enabled: bool,
}

struct Series {
    color: Color,
    fill: bool,
    dashed: bool,
    values: Vec<(f64, f64)>,
}

/// A canvas's own state, kept by iced across views: the geometry, and which sample it shows.
#[derive(Default)]
struct GraphState {
    cache: Cache,
    drawn: Cell<Option<u64>>,
}

/// The smallest 1, 2 or 5 × 10ⁿ at or above `v`: a round top for a scale.
fn nice_max(v: f64) -> f64 {
    if !(v.is_finite() && v > 0.0) {
        return 1.0;
    }
    let unit = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * unit)
        .find(|m| *m >= v * 0.999_999)
        .unwrap_or(10.0 * unit)
}

/// A round top for a scale of bytes, in binary units (so the label reads "300 MiB", not
/// "286.1 MiB"): 1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 × 1024ⁿ, else the next 1024ⁿ.
fn nice_bytes(v: f64) -> f64 {
    if !(v.is_finite() && v > 0.0) {
        return 1024.0;
    }
    let mut unit = 1.0;
    while v / unit >= 1024.0 {
        unit *= 1024.0;
    }
    let x = v / unit;
    let step = if x <= 10.0 {
        [1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
            .into_iter()
            .find(|m| *m >= x * 0.999_999)
            .unwrap_or(10.0)
    } else {
        // 10 and up: two significant digits at most, on the same steps.
        let tens = 10f64.powf(x.log10().floor());
        [1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
            .into_iter()
            .map(|m| m * tens)
            .find(|m| *m >= x * 0.999_999)
            .unwrap_or(10.0 * tens)
    };
    step * unit
}

/// The top of the CPU scale: whole cores (100 % each), a hair of noise above one not
/// counting as the next.
fn cpu_top(peak: f64) -> f64 {
    (((peak / 1.05) / 100.0).ceil() * 100.0).max(100.0)
}

/// A rate per second for people: 1.2k/s.
fn compact(v: f64) -> String {
    if v >= 10_000.0 {
        format!("{:.0}k", v / 1000.0)
    } else if v >= 1000.0 {
        format!("{:.1}k", v / 1000.0)
    } else {
        format!("{v:.0}")
    }
}

fn per_second(v: String) -> String {
    t!("stats-rate", rate = v)
}

impl Graph<'_> {
    /// The series to draw, whether they stack, and the least top of the scale.
    fn series(&self) -> (Vec<Series>, bool, f64) {
        let h = &self.history.samples;
        let line = |color: Color, fill: bool, f: &dyn Fn(&Sample) -> f64| Series {
            color,
            fill,
            dashed: false,
            values: h.iter().map(|x| (x.t, f(x))).collect(),
        };
        match self.kind {
            Kind::Cpu => (
                vec![
                    line(VCPU, true, &|x| x.cpu_vcpu),
                    line(VMM, true, &|x| x.cpu_vmm),
                ],
                true,
                100.0,
            ),
            Kind::Memory => {
                let mut ram = line(RAM, false, &|x| x.guest_ram);
                ram.dashed = true;
                (vec![line(style::GREEN, true, &|x| x.rss), ram], false, 1.0)
            }
            Kind::Exits => {
                let rate = |x: &Sample, r: &str| {
                    x.exits
                        .iter()
                        .find(|(n, _)| n == r)
                        .map(|(_, v)| *v)
                        .unwrap_or(0.0)
                };
                let mut v: Vec<Series> = self
                    .reasons
                    .iter()
                    .enumerate()
                    .map(|(i, r)| line(PALETTE[i % PALETTE.len()], true, &|x| rate(x, r)))
                    .collect();
                let named = self.reasons;
                v.push(line(PALETTE[PALETTE.len() - 1], true, &|x| {
                    x.exits
                        .iter()
                        .filter(|(n, _)| !named.contains(n))
                        .map(|(_, v)| v)
                        .sum()
                }));
                (v, true, 10.0)
            }
            Kind::Disk => (
                vec![
                    line(READ, true, &|x| x.disk_read),
                    line(WRITE, true, &|x| x.disk_write),
                ],
                false,
                1024.0,
            ),
            Kind::Net => (
                vec![line(RX, true, &|x| x.net_rx), line(TX, true, &|x| x.net_tx)],
                false,
                1024.0,
            ),
        }
    }

    fn scale_label(&self, top: f64) -> String {
        match self.kind {
            Kind::Cpu => format!("{top:.0} %"),
            // Scale tops are round: "300 MiB", not "300.0 MiB".
            Kind::Memory => human_bytes(top as u64).replace(".0 ", " "),
            Kind::Exits => per_second(compact(top)),
            Kind::Disk | Kind::Net => per_second(human_bytes(top as u64).replace(".0 ", " ")),
        }
    }

    fn paint(&self, frame: &mut Frame) {
        let (w, h) = (frame.width(), frame.height());
        // The scale's label sits in a band above the plot, never over a line.
        let plot = LABEL_BAND..h;
        let grid = Stroke::default().with_color(style::LINE).with_width(1.0);
        for i in 0..4 {
            let y = (plot.start + (h - plot.start) * i as f32 / 4.0).round() + 0.5;
            frame.stroke(
                &Path::line(iced::Point::new(0.0, y), iced::Point::new(w, y)),
                grid,
            );
        }
        frame.stroke(
            &Path::line(iced::Point::new(0.0, h - 0.5), iced::Point::new(w, h - 0.5)),
            Stroke::default().with_color(style::DIM).with_width(1.0),
        );
        if !self.enabled {
            return;
        }
        let (series, stacked, floor) = self.series();
        let Some(t_end) = self.history.latest().map(|s| s.t) else {
            return;
        };
        let n = series.first().map(|s| s.values.len()).unwrap_or(0);
        let peak = if stacked {
            (0..n)
                .map(|i| series.iter().map(|s| s.values[i].1).sum::<f64>())
                .fold(0.0, f64::max)
        } else {
            series
                .iter()
                .flat_map(|s| s.values.iter().map(|v| v.1))
                .fold(0.0, f64::max)
        };
        let top = match self.kind {
            Kind::Cpu => cpu_top(peak),
            Kind::Memory | Kind::Disk | Kind::Net => nice_bytes(peak.max(floor)),
            Kind::Exits => nice_max(peak.max(floor)),
        };
        let x = |t: f64| (w as f64 - (t_end - t) / WINDOW_S * w as f64) as f32;
        let span = f64::from(h - plot.start) - 1.5;
        let y = |v: f64| (f64::from(h) - 1.0 - v.min(top) / top * span) as f32;
        let mut base = vec![0.0; n];
        let mut lines = Vec::new();
        for s in &series {
            if n < 2 {
                break;
            }
            let upper: Vec<f64> = if stacked {
                s.values.iter().zip(&base).map(|(v, b)| v.1 + b).collect()
            } else {
                s.values.iter().map(|v| v.1).collect()
            };
            let lower = if stacked { base.clone() } else { vec![0.0; n] };
            let at = |vals: &[f64]| -> Vec<iced::Point> {
                s.values
                    .iter()
                    .zip(vals)
                    .map(|(v, u)| iced::Point::new(x(v.0), y(*u)))
                    .collect()
            };
            let (up, low) = (at(&upper), at(&lower));
            if s.fill {
                let area = Path::new(|p| {
                    p.move_to(up[0]);
                    up[1..].iter().for_each(|q| p.line_to(*q));
                    low.iter().rev().for_each(|q| p.line_to(*q));
                    p.close();
                });
                // Stacked bands do not overlap: opaque. Overlapping areas: see-through.
                let fill = if stacked {
                    style::mix(s.color, 0.45)
                } else {
                    Color { a: 0.16, ..s.color }
                };
                frame.fill(&area, fill);
            }
            let top_line = Path::new(|p| {
                p.move_to(up[0]);
                up[1..].iter().for_each(|q| p.line_to(*q));
            });
            let mut stroke = Stroke::default().with_color(s.color).with_width(1.5);
            if s.dashed {
                stroke.line_dash = LineDash {
                    segments: &[4.0, 3.0],
                    offset: 0,
                };
            }
            // Lines go on top of every area.
            lines.push((top_line, stroke));
            if stacked {
                base = upper;
            }
        }
        for (path, stroke) in &lines {
            frame.stroke(path, *stroke);
        }
        frame.fill_text(canvas::Text {
            content: self.scale_label(top),
            position: iced::Point::new(0.0, 0.0),
            color: style::GREY,
            size: 10.0.into(),
            ..Default::default()
        });
    }
}

impl<M> canvas::Program<M> for Graph<'_> {
    type State = GraphState;

    fn draw(
        &self,
        state: &GraphState,
        renderer: &Renderer,
        _theme: &Theme,
        bounds: Rectangle,
        _cursor: iced::mouse::Cursor,
    ) -> Vec<Geometry> {
        // Rebuilt only for a new sample (or a new size): other redraws reuse the geometry.
        if state.drawn.get() != Some(self.history.generation) {
            state.cache.clear();
            state.drawn.set(Some(self.history.generation));
        }
        vec![state
            .cache
            .draw(renderer, bounds.size(), |frame| self.paint(frame))]
    }
}

fn graph<'a, M: 'a>(
    history: &'a History,
    kind: Kind,
    reasons: &'a [String],
    enabled: bool,
    height: f32,
) -> Element<'a, M> {
    Canvas::new(Graph {
        history,
        kind,
        reasons,
        enabled,
    })
    .width(Length::Fill)
    .height(height)
    .into()
}

fn swatch<'a, M: 'a>(c: Color) -> Element<'a, M> {
    container(Space::new().width(10).height(10))
        .style(move |_: &Theme| container::Style {
            background: Some(c.into()),
            border: iced::border::rounded(2),
            ..Default::default()
        })
        .into()
}

/// "■ label" lines, one per series: every card gets the same height whatever the language.
fn legend<'a, M: 'a>(items: Vec<(Color, String)>) -> Element<'a, M> {
    let mut c = column![].spacing(2);
    for (color, label) in items {
        c = c.push(
            row![swatch(color), text(label).size(12).color(style::GREY)]
                .spacing(6)
                .align_y(Alignment::Center),
        );
    }
    c.into()
}

/// In place of a legend, for a device the VM does not have.
fn absent<'a, M: 'a>(why: String) -> Element<'a, M> {
    // As tall as a two-line legend, so the cards of a row line up.
    column![text(why).size(12).color(style::DIM), text(" ").size(12)]
        .spacing(2)
        .into()
}

/// A small card: title and current value, a legend, the graph.
fn graph_card<'a, M: 'a>(
    title: String,
    value: String,
    legend: Element<'a, M>,
    g: Element<'a, M>,
) -> Element<'a, M> {
    container(
        column![
            row![
                text(title).size(13).font(bold()),
                Space::new().width(Length::Fill),
                text(value).size(13),
            ]
            .align_y(Alignment::Center),
            legend,
            g,
        ]
        .spacing(6),
    )
    .padding(10)
    .width(Length::Fill)
    .style(style::row)
    .into()
}

/// The colour a reason has in the exits graph (the last one is "other").
fn reason_color(stacked: &[String], reason: &str) -> Color {
    match stacked.iter().position(|r| r == reason) {
        Some(k) => PALETTE[k],
        None => PALETTE[PALETTE.len() - 1],
    }
}

/// The activity tab.
pub fn view<'a, M: 'a>(stats: &'a Stats, state: VmState) -> Element<'a, M> {
    let live = matches!(state, VmState::Running | VmState::Paused);
    let mut col = column![row![
        section_title(t!("stats-live-title")),
        Space::new().width(Length::Fill),
        text(t!("stats-window")).size(13).color(style::GREY),
    ]
    .align_y(Alignment::Center)]
    .spacing(10);
    if !live || stats.uptime_ms == 0 {
        col = col.push(text(t!("stats-none")).size(13).color(style::DIM));
        return card(col);
    }
    let h = &stats.history;
    let s = h.latest().cloned().unwrap_or_default();
    let pct = |v: f64| format!("{v:.0} %");
    let rate = |v: f64| per_second(human_bytes(v as u64));
    let cpu = graph_card(
        t!("stats-cpu"),
        pct(s.cpu_vcpu + s.cpu_vmm),
        legend(vec![
            (VCPU, t!("stats-cpu-vcpu", value = pct(s.cpu_vcpu))),
            (VMM, t!("stats-cpu-vmm", value = pct(s.cpu_vmm))),
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
        text(t!("stats-intro")).size(12).color(style::GREY),
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
                    text(explain(&r.reason)).size(12).color(style::GREY)
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
        col = col.push(text(t!("stats-no-nics")).size(13).color(style::DIM));
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
            .color(if stats.malformed > 0 {
                style::RED
            } else {
                style::GREY
            }),
    );
    col = col.push(
        text(t!(
            "stats-uptime",
            uptime = format!("{:.0}", stats.uptime_ms as f64 / 1000.0),
            dropped = stats.dropped_events.to_string()
        ))
        .size(13)
        .color(style::GREY),
    );
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

#[cfg(test)]
mod tests {
    use super::*;

    fn counters(uptime_ms: u64, exits: &[(&str, u64)]) -> Counters {
        Counters {
            uptime_ms,
            exits: exits.iter().map(|(r, n)| (r.to_string(), *n)).collect(),
            ..Default::default()
        }
    }

    fn near(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-6
    }

    #[test]
    fn rates_come_from_the_difference_of_two_samples() {
        let mut s = Stats::default();
        s.push(&counters(
            1000,
            &[("io-out", 100), ("hlt", 10), ("mmio-read", 0)],
        ));
        assert!(s.top.iter().all(|r| r.rate == 0.0));
        s.push(&counters(
            3000,
            &[("io-out", 300), ("hlt", 50), ("mmio-read", 0)],
        ));
        assert_eq!(s.top.len(), 2);
        assert_eq!(s.top[0].reason, "io-out");
        assert!((s.top[0].rate - 100.0).abs() < 1e-9);
        assert!((s.top[1].rate - 20.0).abs() < 1e-9);
        assert_eq!(s.total, 350);
        assert_eq!(s.stacked, ["io-out", "hlt"]);
    }

    /// Two samples one second apart of a VMM with one vCPU, one disk and one NIC.
    fn pair() -> (Counters, Counters) {
        let nic = |rx: u64, tx: u64| NicCounters {
            rx_bytes: rx,
            tx_bytes: tx,
            ..Default::default()
        };
        let disk = |r: u64, w: u64| DiskCounters {
            read_bytes: r,
            write_bytes: w,
            ..Default::default()
        };
        let a = Counters {
            process_user_us: 100_000,
            process_system_us: 400_000,
            vcpu_cpu_us: vec![300_000],
            rss_bytes: 10 << 20,
            guest_memory_bytes: 64 << 20,
            disks: vec![disk(4096, 0)],
            nics: vec![nic(1000, 500)],
            ..counters(10_000, &[("io-out", 1000)])
        };
        let b = Counters {
            // +600 ms of CPU in 1 s: 450 ms in the vCPU thread.
            process_user_us: 200_000,
            process_system_us: 900_000,
            vcpu_cpu_us: vec![750_000],
            rss_bytes: 12 << 20,
            guest_memory_bytes: 64 << 20,
            disks: vec![disk(4096 + 65536, 32768)],
            nics: vec![nic(3000, 1500)],
            ..counters(11_000, &[("io-out", 1500), ("mmio-read", 7)])
        };
        (a, b)
    }

    #[test]
    fn cpu_memory_disk_and_network_rates() {
        let (a, b) = pair();
        let s = rates(&a, &b).unwrap();
        assert!(near(s.t, 11.0));
        assert!(near(s.cpu_vcpu, 45.0) && near(s.cpu_vmm, 15.0), "{s:?}");
        assert_eq!(s.per_vcpu.len(), 1);
        assert!(near(s.per_vcpu[0], 45.0));
        assert!(near(s.rss, (12 << 20) as f64) && near(s.guest_ram, (64 << 20) as f64));
        assert!(near(s.disk_read, 65536.0) && near(s.disk_write, 32768.0));
        assert!(near(s.net_rx, 2000.0) && near(s.net_tx, 1000.0));
        // A reason the first sample did not list counts from zero.
        assert_eq!(
            s.exits,
            vec![
                ("io-out".to_string(), 500.0),
                ("mmio-read".to_string(), 7.0)
            ]
        );
    }

    #[test]
    fn a_missed_poll_averages_over_the_gap() {
        let (a, mut b) = pair();
        b.uptime_ms = a.uptime_ms + 4000;
        let s = rates(&a, &b).unwrap();
        assert!(near(s.disk_read, 16384.0) && near(s.cpu_vcpu, 45.0 / 4.0));
    }

    #[test]
    fn counters_that_wrap_at_u64_still_give_the_rate() {
        let (mut a, mut b) = pair();
        a.disks[0].write_bytes = u64::MAX - 999;
        b.disks[0].write_bytes = 1000; // 2000 bytes later, past the wrap
        a.exits[0].1 = u64::MAX;
        b.exits[0].1 = 9;
        let s = rates(&a, &b).unwrap();
        assert!(near(s.disk_write, 2000.0));
        assert!(near(s.exits[0].1, 10.0));
    }

    #[test]
    fn a_restarted_vmm_starts_a_new_history() {
        let (a, b) = pair();
        // Uptime went back: another process.
        assert_eq!(rates(&b, &a), None);
        // Uptime went on but the counters restarted from zero (the restart was missed
        // between two polls): no rate, not a huge one.
        let mut late = a.clone();
        late.uptime_ms = b.uptime_ms + 5000;
        assert_eq!(rates(&b, &late), None);
        // The same instant twice gives nothing.
        assert_eq!(rates(&a, &a), None);

        let mut h = History::default();
        h.push(&a);
        h.push(&b);
        assert_eq!(h.samples.len(), 1);
        let g = h.generation;
        assert!(!h.push(&b), "a duplicate poll");
        assert_eq!((h.samples.len(), h.generation), (1, g));
        h.push(&late);
        assert!(h.samples.is_empty(), "the old VMM's history is dropped");
        let mut next = late.clone();
        next.uptime_ms += 1000;
        next.exits[0].1 += 100;
        h.push(&next);
        assert_eq!(h.samples.len(), 1);
        assert!(near(h.latest().unwrap().exits[0].1, 100.0));
    }

    #[test]
    fn late_replies_and_bursts_of_polls_are_skipped_and_restarts_are_told_by_start_time() {
        let at = |started: u64, ms: u64, n: u64| Counters {
            started_unix_ms: started,
            ..counters(ms, &[("io-out", n)])
        };
        let mut s = Stats::default();
        s.push(&at(7, 1000, 0));
        s.push(&at(7, 2000, 1000));
        s.push(&at(7, 3000, 2000));
        // The reply to an earlier poll arrives last: skipped, the history stays.
        s.push(&at(7, 2500, 1500));
        // A burst of missed timer ticks: 20 ms later.
        s.push(&at(7, 3020, 2600));
        assert_eq!(s.history.samples.len(), 2);
        assert!(near(s.top[0].rate, 1000.0), "{:?}", s.top);
        // Another process of the same VM, even with a longer uptime already.
        s.push(&at(8, 4000, 10));
        assert!(s.history.samples.is_empty());
        assert!(near(s.top[0].rate, 0.0));
        s.push(&at(8, 5000, 510));
        assert!(near(s.top[0].rate, 500.0));
    }

    #[test]
    fn history_keeps_one_minute() {
        let mut h = History::default();
        for i in 0..200u64 {
            h.push(&counters(i * 1000, &[("io-out", i * 10)]));
        }
        assert_eq!(h.samples.len(), 61);
        assert!(near(h.samples.front().unwrap().t, 139.0));
        assert!(h.samples.iter().all(|s| near(s.exits[0].1, 10.0)));
    }

    #[test]
    fn byte_and_cpu_scales_end_on_round_numbers() {
        const MIB: f64 = 1024.0 * 1024.0;
        assert_eq!(nice_bytes(0.0), 1024.0);
        assert_eq!(nice_bytes(256.0 * MIB), 300.0 * MIB);
        assert_eq!(nice_bytes(46.0 * MIB), 50.0 * MIB);
        assert_eq!(nice_bytes(700.0), 800.0);
        assert_eq!(nice_bytes(1.2 * MIB), 1.5 * MIB);
        assert_eq!(human_bytes(nice_bytes(256.0 * MIB) as u64), "300.0 MiB");
        assert_eq!(cpu_top(0.0), 100.0);
        assert_eq!(cpu_top(102.0), 100.0, "noise above one core");
        assert_eq!(cpu_top(150.0), 200.0);
    }

    #[test]
    fn scales_end_on_round_numbers() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(7.0), 10.0);
        assert_eq!(nice_max(100.0), 100.0);
        assert_eq!(nice_max(101.0), 200.0);
        assert_eq!(nice_max(1500.0), 2000.0);
        assert_eq!(nice_max(0.3), 0.5);
    }
}
