//! The Activity tab's small live graphs: canvases of the last minute of samples
//! ([`History`]), whose geometry is cached and rebuilt only when a new sample arrives, and the
//! cards, legends and swatches around them.

use crate::data::stats::{compact, cpu_top, human_bytes, nice_bytes, nice_max, History, Sample};
use crate::data::stats::{STACKED_REASONS, WINDOW_S};
use crate::t;
use crate::ui::style;
use crate::ui::style::bold;
use iced::widget::canvas::{self, Cache, Canvas, Frame, Geometry, LineDash, Path, Stroke};
use iced::widget::{column, container, row, text, Space};
use iced::{color, Alignment, Color, Element, Length, Rectangle, Renderer, Theme};
use std::cell::Cell;

/// Height of the band above a plot that holds its scale's label.
const LABEL_BAND: f32 = 13.0;
/// Graph colours: the stacked exit reasons (then "other"), and the two series of a pair.
const PALETTE: [Color; STACKED_REASONS + 1] = [
    style::ACCENT,
    color!(0xe66100),
    color!(0x2ec27e),
    color!(0x9141ac),
    color!(0x9a9996),
];
pub const VCPU: Color = style::ACCENT;
pub const VMM: Color = color!(0xe66100);
pub const READ: Color = color!(0x2ec27e);
pub const WRITE: Color = color!(0xe66100);
pub const RX: Color = style::ACCENT;
pub const TX: Color = color!(0x9141ac);
pub const RAM: Color = color!(0x9a9996);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
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

pub fn per_second(v: String) -> String {
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
            // The guest's share is the area; the VMM's overhead its own dashed line over it, from
            // zero (not stacked), so neither hides the other and they differ by more than
            // colour (issue 15).
            Kind::Cpu => {
                let mut vmm = line(VMM, false, &|x| x.cpu_vmm);
                vmm.dashed = true;
                (vec![line(VCPU, true, &|x| x.cpu_vcpu), vmm], false, 100.0)
            }
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
                // Stacked bands do not overlap, nor does a lone area: opaque. Overlapping
                // areas: see-through.
                let fill = if stacked || series.iter().filter(|s| s.fill).count() == 1 {
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
            color: style::ink(style::GREY),
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

pub fn graph<'a, M: 'a>(
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

pub fn swatch<'a, M: 'a>(c: Color) -> Element<'a, M> {
    container(Space::new().width(10).height(10))
        .style(move |_: &Theme| container::Style {
            background: Some(c.into()),
            border: iced::border::rounded(2),
            ..Default::default()
        })
        .into()
}

/// A legend's mark for a dashed line (as the graph draws it), the size of a [`swatch`].
pub fn dashed_swatch<'a, M: 'a>(c: Color) -> Element<'a, M> {
    let dash = || {
        container(Space::new().width(3).height(2)).style(move |_: &Theme| container::Style {
            background: Some(c.into()),
            ..Default::default()
        })
    };
    container(row![dash(), dash(), dash()].spacing(1))
        .center_y(10)
        .width(11)
        .into()
}

/// "■ label" lines, one per series: every card gets the same height whatever the language.
pub fn legend<'a, M: 'a>(items: Vec<(Color, String)>) -> Element<'a, M> {
    legend_marks(items.into_iter().map(|(c, l)| (swatch(c), l)).collect())
}

/// A legend with each series' own mark (a [`swatch`] for an area, [`dashed_swatch`] for a line).
pub fn legend_marks<'a, M: 'a>(items: Vec<(Element<'a, M>, String)>) -> Element<'a, M> {
    let mut c = column![].spacing(2);
    for (mark, label) in items {
        c = c.push(
            row![mark, text(label).size(12).color(style::ink(style::GREY))]
                .spacing(6)
                .align_y(Alignment::Center),
        );
    }
    c.into()
}

/// In place of a legend, for a device the VM does not have.
pub fn absent<'a, M: 'a>(why: String) -> Element<'a, M> {
    // As tall as a two-line legend, so the cards of a row line up.
    column![
        text(why).size(12).color(style::ink(style::DIM)),
        text(" ").size(12)
    ]
    .spacing(2)
    .into()
}

/// A small card: title and current value, a legend, the graph.
pub fn graph_card<'a, M: 'a>(
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
pub fn reason_color(stacked: &[String], reason: &str) -> Color {
    match stacked.iter().position(|r| r == reason) {
        Some(k) => PALETTE[k],
        None => PALETTE[PALETTE.len() - 1],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 15: the VMM's overhead hid the guest's CPU area (a band stacked over it). Now the
    /// guest is the one filled area and the overhead a dashed line from zero: both readable,
    /// and told apart by their form, not their colour alone.
    #[test]
    fn the_cpu_graph_shows_the_guest_as_an_area_and_the_overhead_as_a_dashed_line() {
        let history = History::default();
        let g = Graph {
            history: &history,
            kind: Kind::Cpu,
            reasons: &[],
            enabled: true,
        };
        let (series, stacked, _) = g.series();
        assert!(!stacked, "the overhead is not stacked on the guest");
        assert_eq!(series.len(), 2);
        let (guest, vmm) = (&series[0], &series[1]);
        assert!(guest.fill && !guest.dashed && guest.color == VCPU);
        assert!(!vmm.fill && vmm.dashed && vmm.color == VMM);
        assert_ne!(VCPU, VMM);
    }
}
