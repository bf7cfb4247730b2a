//! The inspector beside the guest's screen: the machine as the hypervisor sees it (vCPUs,
//! exits, memory map, devices, the host's threads), for teaching. It polls `inspect` and
//! `exit-log` a few times a second only while it shows and the VM runs; a paused VM is read
//! once (its state does not change) and can be stepped one instruction at a time.

mod view;

pub use view::{BESIDE_FROM, WIDTH};

use crate::data::client::{VmmClient, VmmClientExt};
use crate::data::inspector::ExitTail;
use crate::data::vms::VmState;
use vmm_core::api::{GetExitLog, Inspect, Inspection, Step, Stepped};

/// How often the panel asks while the VM runs (5 Hz: lively, and cheap for the VMM).
pub const EVERY_MS: u64 = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    #[default]
    Vcpus,
    Exits,
    Memory,
    Devices,
    Host,
}

#[derive(Debug, Clone, Default)]
pub struct Inspector {
    pub shown: bool,
    pub tab: Tab,
    /// The last reply, and the one before (changed registers are highlighted).
    pub now: Option<Inspection>,
    pub before: Option<Inspection>,
    pub log: ExitTail,
    /// The last step: which vCPU and what it did.
    pub stepped: Option<Stepped>,
    /// Why the last request failed (shown until one succeeds).
    pub error: Option<String>,
    /// A request is out: ticks wait for it rather than pile up.
    busy: bool,
    /// The paused VM was read since it paused: no need to ask again.
    frozen: bool,
}

#[derive(Debug, Clone)]
pub enum Message {
    Toggle,
    Tab(Tab),
    Tick,
    Polled(Result<Box<(Inspection, vmm_core::api::ExitLog)>, String>),
    Step(u32),
    Stepped(u32, Result<Box<Stepped>, String>),
}

/// What the panel asks the VMM; the app runs it off the UI thread ([`Request::run`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// `inspect`, then `exit-log` after this.
    Poll {
        after: u64,
    },
    Step(u32),
}

impl Request {
    /// Asks the VMM of VM `id` (blocking) and returns the answer as the panel's message.
    pub fn run(self, client: &dyn VmmClient, id: &str) -> Message {
        match self {
            Request::Poll { after } => {
                let r = client.call(id, Inspect {}).and_then(|i| {
                    let log = client.call(id, GetExitLog { after })?;
                    Ok(Box::new((i, log)))
                });
                Message::Polled(r.map_err(|e| e.to_string()))
            }
            Request::Step(vcpu) => {
                let r = client.call(id, Step { vcpu });
                Message::Stepped(vcpu, r.map(Box::new).map_err(|e| e.to_string()))
            }
        }
    }
}

impl Inspector {
    pub fn update(&mut self, message: Message, state: VmState) -> Option<Request> {
        match message {
            Message::Toggle => {
                self.shown = !self.shown;
                if self.shown {
                    // Fresh highlights: nothing "changed" against data from before hiding.
                    self.before = None;
                    self.frozen = false;
                    return self.poll(state);
                }
                None
            }
            Message::Tab(t) => {
                self.tab = t;
                None
            }
            Message::Tick => self.poll(state),
            Message::Polled(r) => {
                self.busy = false;
                match r {
                    Ok(b) => {
                        let (i, log) = *b;
                        self.error = None;
                        // Reading a paused VM again (after a step) changes nothing: the
                        // step's highlights stay.
                        let same = self.now.as_ref().is_some_and(|n| n.vcpus == i.vcpus);
                        if state == VmState::Paused && same {
                            self.now = Some(i);
                        } else {
                            self.before = self.now.replace(i);
                        }
                        self.log.apply(log);
                    }
                    Err(e) => self.error = Some(e),
                }
                None
            }
            Message::Step(vcpu) if state == VmState::Paused && !self.busy => {
                self.busy = true;
                Some(Request::Step(vcpu))
            }
            Message::Step(_) => None,
            Message::Stepped(vcpu, r) => {
                self.busy = false;
                match r {
                    Ok(s) => {
                        self.error = None;
                        // The view moves on by the step: its "before" is the step's.
                        if let Some(now) = &mut self.now {
                            self.before = Some(now.clone());
                            if let Some(v) = now.vcpus.iter_mut().find(|v| v.index == vcpu) {
                                *v = (*s.after).clone();
                            }
                        }
                        self.stepped = Some(*s);
                        // The step made exits: read them (and the rest) once more.
                        self.frozen = false;
                    }
                    Err(e) => self.error = Some(e),
                }
                None
            }
        }
    }

    /// A poll when one is due: always while running, once after pausing, never otherwise.
    fn poll(&mut self, state: VmState) -> Option<Request> {
        if !self.shown || self.busy {
            return None;
        }
        match state {
            VmState::Running => {
                self.frozen = false;
                self.stepped = None;
            }
            VmState::Paused if !self.frozen => self.frozen = true,
            _ => return None,
        }
        self.busy = true;
        Some(Request::Poll {
            after: self.log.after(),
        })
    }
}
