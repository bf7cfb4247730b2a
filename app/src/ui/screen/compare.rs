//! "Containers vs VMs": a VM beside a container, measured live, as the textbook's table — one
//! row per claim with its one-line explanation, what textbooks say, and what the container
//! (crun) and this VM showed. The measuring runs off the UI thread (the app runs [`Job`] with
//! its [`Runner`]), with a spinner and a Cancel; what could not be measured says why.

use crate::data::client::VmmClient;
use crate::data::compare::{container, table, vm, Comparison};
use crate::data::paths::Paths;
use crate::data::store::VmEntry;
use crate::t;
use crate::ui::style::{self, bold};
use iced::widget::{button, column, container as boxed, responsive, row, scrollable, text, Space};
use iced::{Alignment, Element, Length, Task};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// From this width on, a row's label sits in a column of its own beside the three others.
const WIDE: f32 = 1000.0;

/// Frames of the spinner shown while measuring.
const SPINNER: [&str; 4] = ["◐", "◓", "◑", "◒"];

/// What a run needs: the VMM client, the app's folders and the VM to measure.
pub struct Job {
    pub client: Arc<dyn VmmClient>,
    pub paths: Paths,
    pub vm: Option<VmEntry>,
}

/// Measures both sides; raised `cancel` stops it (the container is removed either way). An
/// `Arc` so screen tests can give a fake that never runs crun.
pub type Runner = Arc<dyn Fn(Job, &AtomicBool) -> Result<Comparison, String> + Send + Sync>;

/// The real runner: the container (crun, the Linux test guest's busybox root), then the VM.
pub fn measure(job: Job, cancel: &AtomicBool) -> Result<Comparison, String> {
    let opts = container::Options::new(container::default_initramfs());
    let c = container::run(&opts, cancel)?;
    let (vm, vm_error) = match &job.vm {
        Some(e) => match vm::measure(job.client.as_ref(), &job.paths, e, cancel) {
            Ok(r) => (Some(r), None),
            Err(err) => (None, Some(err)),
        },
        None => (None, None),
    };
    Ok(Comparison {
        container: c,
        vm,
        vm_error,
    })
}

pub struct Compare {
    /// The VM measured beside the container.
    pub vm_id: String,
    pub vm_name: String,
    pub state: State,
    /// Which run a result belongs to: one from a cancelled or earlier run is dropped.
    run: u64,
    cancel: Arc<AtomicBool>,
    spin: usize,
    /// Opened from the library (Back says so), not from the VM's details.
    pub from_library: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum State {
    /// Measuring; `cancelling` once Cancel was pressed (the container is being removed).
    Running {
        cancelling: bool,
    },
    Done(Box<Comparison>),
    Failed(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Back,
    Cancel,
    Again,
    Spin,
    /// Run `.0` ended.
    Done(u64, Box<Result<Comparison, String>>),
}

/// What the app is asked to do.
pub enum Action {
    None,
    Back,
    /// Run the measuring off the UI thread; its result comes back as `Message::Done(run, …)`.
    Run {
        run: u64,
        cancel: Arc<AtomicBool>,
    },
}

/// Leaving the screen any way (Back, a shortcut to the library) stops a run still going.
impl Drop for Compare {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

impl Compare {
    /// The screen for VM `vm_id`, and the first run to start.
    pub fn new(vm_id: &str, vm_name: &str) -> (Compare, Action) {
        let mut c = Compare {
            vm_id: vm_id.into(),
            vm_name: vm_name.into(),
            state: State::Running { cancelling: false },
            run: 0,
            cancel: Arc::new(AtomicBool::new(false)),
            spin: 0,
            from_library: false,
        };
        let a = c.start();
        (c, a)
    }

    fn start(&mut self) -> Action {
        self.run += 1;
        self.cancel = Arc::new(AtomicBool::new(false));
        self.state = State::Running { cancelling: false };
        Action::Run {
            run: self.run,
            cancel: self.cancel.clone(),
        }
    }

    pub fn running(&self) -> bool {
        matches!(self.state, State::Running { .. })
    }

    pub fn update(&mut self, m: Message) -> (Task<Message>, Action) {
        let action = match m {
            Message::Back => {
                // The run still cleans up after itself; its result is dropped.
                self.cancel.store(true, Ordering::Relaxed);
                Action::Back
            }
            Message::Cancel => {
                if self.running() {
                    self.cancel.store(true, Ordering::Relaxed);
                    self.state = State::Running { cancelling: true };
                }
                Action::None
            }
            Message::Again if !self.running() => self.start(),
            Message::Again => Action::None,
            Message::Spin => {
                self.spin = self.spin.wrapping_add(1);
                Action::None
            }
            Message::Done(run, r) if run == self.run => {
                self.state = match *r {
                    Ok(c) => State::Done(Box::new(c)),
                    Err(e) => State::Failed(e),
                };
                Action::None
            }
            Message::Done(..) => Action::None,
        };
        (Task::none(), action)
    }

    pub fn header(&self) -> Element<'_, Message> {
        let btn = |label: String, msg: Message| {
            button(text(label).size(14))
                .padding([7, 14])
                .style(style::pill)
                .on_press(msg)
        };
        let action = match &self.state {
            State::Running { cancelling: false } => {
                Some(btn(t!("compare-ui-cancel"), Message::Cancel))
            }
            State::Running { cancelling: true } => None,
            _ => Some(btn(t!("compare-ui-again"), Message::Again)),
        };
        let mut bar = row![
            button(
                text(if self.from_library {
                    t!("details-back")
                } else {
                    t!("screen-back")
                })
                .size(15)
            )
            .padding([8, 14])
            .style(style::pill)
            .on_press(Message::Back),
            Space::new().width(12),
            style::header_name(t!("compare-ui-title"), Space::new().into()),
        ]
        .spacing(10)
        .align_y(Alignment::Center);
        if let Some(a) = action {
            bar = bar.push(a);
        }
        boxed(bar).padding([10, 16]).style(style::header).into()
    }

    pub fn view(&self) -> Element<'_, Message> {
        let body: Element<'_, Message> = match &self.state {
            State::Running { cancelling } => {
                let what = if *cancelling {
                    t!("compare-ui-cancelling")
                } else {
                    t!("compare-ui-running", vm = self.vm_name.as_str())
                };
                boxed(
                    column![
                        text(SPINNER[self.spin % SPINNER.len()])
                            .size(40)
                            .color(style::ink(style::ACCENT)),
                        text(what).size(16),
                        text(t!("compare-ui-running-help"))
                            .size(13)
                            .color(style::ink(style::GREY)),
                    ]
                    .spacing(10)
                    .align_x(Alignment::Center)
                    .max_width(560),
                )
                .center(Length::Fill)
                .into()
            }
            State::Failed(e) => boxed(
                column![
                    text(t!("compare-ui-failed"))
                        .size(18)
                        .font(bold())
                        .color(style::ink(style::RED)),
                    text(e.as_str()).size(15),
                    text(t!("compare-ui-failed-help"))
                        .size(13)
                        .color(style::ink(style::GREY)),
                ]
                .spacing(10)
                .max_width(640),
            )
            .center(Length::Fill)
            .into(),
            State::Done(c) => self.table(c),
        };
        boxed(body).width(Length::Fill).height(Length::Fill).into()
    }

    fn table<'a>(&'a self, cmp: &'a Comparison) -> Element<'a, Message> {
        let rows = table::rows(cmp);
        let name = self.vm_name.as_str();
        let table = responsive(move |size| {
            // Wide: label | textbooks | container | VM on one line. Narrow (800 px): the label
            // and its explanation span the card, the three columns below it.
            let wide = size.width >= WIDE;
            let cells = |a: Element<'a, Message>, b, c, d| -> Element<'a, Message> {
                let three = row![
                    boxed(b).width(Length::FillPortion(4)),
                    boxed(c).width(Length::FillPortion(5)),
                    boxed(d).width(Length::FillPortion(5)),
                ]
                .spacing(14);
                if wide {
                    row![
                        boxed(a).width(Length::FillPortion(5)),
                        three.width(Length::FillPortion(14))
                    ]
                    .spacing(14)
                    .into()
                } else {
                    column![a, three].spacing(8).into()
                }
            };
            let head = |s: String| -> Element<'a, Message> {
                text(s)
                    .size(14)
                    .font(bold())
                    .color(style::ink(style::GREY))
                    .into()
            };
            // The VM's name under its column's title: a long name wraps there, the title not.
            let vm_head = column![
                head(t!("compare-ui-col-vm")),
                text(name).size(13).color(style::ink(style::DIM)),
            ]
            .spacing(2);
            let mut col = column![boxed(cells(
                Space::new().into(),
                head(t!("compare-ui-col-textbook")),
                head(t!("compare-ui-col-container")),
                vm_head.into(),
            ))
            .padding([0, 16])]
            .spacing(8);
            for r in &rows {
                let label = column![
                    text(r.label.clone()).size(16).font(bold()),
                    text(r.help.clone()).size(13).color(style::ink(style::GREY)),
                ]
                .spacing(3);
                let value =
                    |s: &str| -> Element<'a, Message> { text(s.to_string()).size(15).into() };
                col = col.push(
                    boxed(cells(
                        label.into(),
                        text(r.textbook.clone())
                            .size(15)
                            .color(style::ink(style::DIM))
                            .into(),
                        value(&r.container),
                        value(&r.vm),
                    ))
                    .padding([12, 16])
                    .width(Length::Fill)
                    .style(style::card),
                );
            }
            col.into()
        });
        let notes: Vec<&String> = cmp
            .container
            .notes
            .iter()
            .chain(cmp.vm.iter().flat_map(|v| v.notes.iter()))
            .collect();
        let mut page = column![
            text(t!(
                "compare-title",
                runtime = cmp.container.runtime.as_str()
            ))
            .size(14)
            .color(style::ink(style::GREY)),
            table
        ]
        .spacing(12)
        .padding([16, 20]);
        if !notes.is_empty() {
            let mut n = column![text(t!("compare-ui-notes")).size(15).font(bold())].spacing(6);
            for note in notes {
                n = n.push(text(format!("• {note}")).size(14));
            }
            page = page.push(
                boxed(n)
                    .padding([12, 16])
                    .width(Length::Fill)
                    .style(style::card),
            );
        }
        scrollable(page).height(Length::Fill).into()
    }
}
