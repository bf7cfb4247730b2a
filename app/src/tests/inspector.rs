//! The inspector panel beside the VM's screen, against the fake VMM's machine
//! (`testing::inspect_fake`), whose registers move on each poll while it runs.

use super::layout::{assert_reachable, bounds_of, each, keys, running_details};
use super::*;
use crate::ui::screen::console::inspector::{self, Tab};

fn insp(m: inspector::Message) -> Message {
    Message::Console(console::Message::Inspector(m))
}

/// The console of a running VM with a display, its screen connected.
fn console_open() -> Harness {
    let mut h = running_details();
    h.send(Message::Details(details::Message::OpenScreen));
    assert!(matches!(h.app.screen, Screen::Console(..)));
    h.send(Message::Console(console::Message::Vnc(
        crate::ui::vnc::Event::Frame(crate::ui::vnc::Frame::blank(640, 480)),
    )));
    h
}

fn panel(h: &Harness) -> &inspector::Inspector {
    match &h.app.screen {
        Screen::Console(c, _) => &c.inspector,
        _ => panic!("not on the console"),
    }
}

/// How many `inspect` and `exit-log` requests the fake VMM got.
fn asked(h: &Harness) -> (usize, usize) {
    let c = cmds(h);
    (
        c.iter()
            .filter(|c| matches!(c, Command::Inspect(_)))
            .count(),
        c.iter()
            .filter(|c| matches!(c, Command::ExitLog(_)))
            .count(),
    )
}

fn rip(h: &Harness, vcpu: usize) -> u64 {
    panel(h).now.as_ref().unwrap().vcpus[vcpu].regs.rip
}

#[test]
fn the_inspector_shows_the_registers_and_the_mode_in_words() {
    let mut h = console_open();
    assert!(!h.shows("vCPU 0"));
    h.ui(|ui| {
        ui.click("Inspector").unwrap();
    });
    assert_eq!(asked(&h), (1, 1), "showing it reads the machine at once");
    assert!(h.shows("vCPU 0") && h.shows("vCPU 1"));
    assert!(h.shows("64-bit long mode, paging on, kernel (ring 0)"));
    assert!(h.shows("64-bit long mode, paging on, user program (ring 3)"));
    // vCPU 0 at the fake's first tick: RIP 0x100000 + 3, its code bytes, its thread.
    assert!(h.shows("0x0000000000100003"));
    assert!(h.shows("0x0000000080000011"), "CR0");
    assert!(h.shows("ee 48 ff c0 eb fa"));
    assert!(h.shows("Host thread vcpu0 (4243) · CPU time 1.54 s · last on CPU 1"));
    // The other sections, each from the same reply.
    h.ui(|ui| {
        ui.click("Memory").unwrap();
    });
    assert!(h.shows("virtio-blk 0 (MMIO)"));
    assert!(h.shows("9.0 MiB used so far (14 %) · 4.0 MiB in huge pages"));
    assert!(h.shows("Not memory: every access is handled by the VMM."));
    h.ui(|ui| {
        ui.click("Devices").unwrap();
    });
    assert!(h.shows("serial (16550A) COM1") && h.shows("paravirtual") && h.shows("in KVM"));
    assert!(h.shows("0x03f8–0x03ff"));
    assert!(h.shows("Queue 0: 256 slots, 41 requests served"));
    h.ui(|ui| {
        ui.click("Host").unwrap();
    });
    assert!(h.shows("Process vmdesk-vmm, PID 4242"));
    assert!(h.shows("Copies the guest's screen when it changes."));
    h.ui(|ui| {
        ui.click("Exits").unwrap();
    });
    assert!(h.shows("io-out × 4") && h.shows("mmio-write × 1"));
    assert!(h.shows(&crate::data::exits::explain("io-out")));
    assert!(h.shows("0x03f8"), "the port of an io-out");
    assert!(!h.shows("exits were not shown"));
}

#[test]
fn the_view_refreshes_while_running_and_freezes_when_paused() {
    let mut h = console_open();
    h.send(insp(inspector::Message::Toggle));
    let first = rip(&h, 0);
    h.send(insp(inspector::Message::Tick));
    assert_eq!(asked(&h), (2, 2));
    assert_eq!(rip(&h, 0), first + 3, "RIP moved on between polls");
    // What changed since the last refresh is known (and drawn highlighted).
    let p = panel(&h);
    let before = crate::data::inspector::previous(p.before.as_ref(), 0).unwrap();
    let changed = crate::data::inspector::changed(before, &p.now.as_ref().unwrap().vcpus[0].regs);
    assert!(
        changed.contains(&"RIP") && !changed.contains(&"CR0"),
        "{changed:?}"
    );
    // The exit log asks only for what is new.
    let after: Vec<u64> = cmds(&h)
        .iter()
        .filter_map(|c| match c {
            Command::ExitLog(l) => Some(l.after),
            _ => None,
        })
        .collect();
    assert_eq!(after, vec![0, 5]);
    assert_eq!(panel(&h).log.entries.len(), 10);

    h.fake.set_running("web", RunState::Paused);
    h.poll();
    h.send(insp(inspector::Message::Tick));
    let paused_at = rip(&h, 0);
    assert!(
        h.shows("Paused: this is the machine exactly where it stopped. Step runs one instruction.")
    );
    for _ in 0..5 {
        h.send(insp(inspector::Message::Tick));
    }
    assert_eq!(asked(&h), (3, 3), "a paused VM is read once, not polled");
    assert_eq!(rip(&h, 0), paused_at);

    h.fake.set_running("web", RunState::Running);
    h.poll();
    h.send(insp(inspector::Message::Tick));
    assert_eq!(asked(&h), (4, 4));
    assert_ne!(rip(&h, 0), paused_at, "running again: refreshing again");
}

#[test]
fn step_runs_one_instruction_on_the_vcpu_asked_and_shows_what_changed() {
    let mut h = console_open();
    h.send(insp(inspector::Message::Toggle));
    assert!(!h.shows("Step"), "no stepping while the VM runs");
    h.send(insp(inspector::Message::Step(0)));
    assert!(!cmds(&h).iter().any(|c| matches!(c, Command::Step(_))));

    h.fake.set_running("web", RunState::Paused);
    h.poll();
    h.send(insp(inspector::Message::Tick));
    let (rip0, rip1) = (rip(&h, 0), rip(&h, 1));
    // The first "Step" is vCPU 0's.
    h.ui(|ui| {
        ui.click("Step").unwrap();
    });
    let steps: Vec<u32> = cmds(&h)
        .iter()
        .filter_map(|c| match c {
            Command::Step(s) => Some(s.vcpu),
            _ => None,
        })
        .collect();
    assert_eq!(steps, vec![0]);
    assert_eq!((rip(&h, 0), rip(&h, 1)), (rip0 + 3, rip1));
    assert!(h.shows("One instruction ran (stopped by: debug)"));
    assert!(h.shows(&format!("RIP    {:#010x} → {:#010x}", rip0, rip0 + 3)));
    h.send(insp(inspector::Message::Step(1)));
    let last = cmds(&h)
        .into_iter()
        .rev()
        .find(|c| matches!(c, Command::Step(_)));
    assert_eq!(last, Some(Command::Step(api::Step { vcpu: 1 })));
    assert_eq!((rip(&h, 0), rip(&h, 1)), (rip0 + 3, rip1 + 3));
    // After a step the paused VM is read once more (the step made exits); the step's
    // highlights stay.
    h.send(insp(inspector::Message::Tick));
    let p = panel(&h);
    let before = crate::data::inspector::previous(p.before.as_ref(), 1).unwrap();
    let changed = crate::data::inspector::changed(before, &p.now.as_ref().unwrap().vcpus[1].regs);
    assert!(changed.contains(&"RIP"), "{changed:?}");
}

#[test]
fn a_hidden_inspector_asks_nothing_and_a_stopped_vm_is_not_polled() {
    let mut h = console_open();
    for _ in 0..5 {
        h.send(insp(inspector::Message::Tick));
        h.poll();
    }
    assert_eq!(asked(&h), (0, 0));
    h.send(insp(inspector::Message::Toggle));
    h.send(insp(inspector::Message::Toggle));
    assert!(!h.shows("vCPU 0"));
    for _ in 0..5 {
        h.send(insp(inspector::Message::Tick));
    }
    assert_eq!(asked(&h), (1, 1), "only the one read when it was shown");
    // Shown, then the VM ends: the last view stays, nothing is asked.
    h.send(insp(inspector::Message::Toggle));
    assert_eq!(asked(&h), (2, 2));
    h.fake.crash("web", 4);
    h.poll();
    for _ in 0..5 {
        h.send(insp(inspector::Message::Tick));
    }
    assert_eq!(asked(&h), (2, 2));
    assert!(h.shows("The VM is not running: this is what it looked like last."));
    assert!(h.shows("vCPU 0"));
}

#[test]
fn exits_that_overflowed_the_ring_are_counted_as_dropped() {
    let mut h = console_open();
    h.send(insp(inspector::Message::Toggle));
    // The guest runs on while nobody reads its exit log (20 inspections elsewhere).
    for _ in 0..20 {
        h.fake.send("web", api::Inspect {}.into()).unwrap();
    }
    h.send(insp(inspector::Message::Tick));
    h.send(insp(inspector::Message::Tab(Tab::Exits)));
    let dropped = panel(&h).log.dropped;
    assert!(dropped > 0);
    assert!(h.shows(&format!(
        "{dropped} exits were not shown: they came faster than the panel reads them."
    )));
}

#[test]
fn the_inspector_fits_at_800x600_and_1920x1080_in_every_language() {
    let mut h = console_open();
    h.send(insp(inspector::Message::Toggle));
    h.fake.set_running("web", RunState::Paused);
    h.poll();
    h.send(insp(inspector::Message::Tick));
    for tab in [Tab::Vcpus, Tab::Exits, Tab::Memory, Tab::Devices, Tab::Host] {
        h.send(insp(inspector::Message::Tab(tab)));
        each(|size| {
            let mut labels = keys(&[
                "screen-back",
                "screen-capture",
                "screen-send-key",
                "screen-inspector",
                "state-paused",
                "insp-tab-vcpus",
                "insp-tab-exits",
                "insp-tab-memory",
                "insp-tab-devices",
                "insp-tab-host",
            ]);
            labels.push("⋯".into());
            if tab == Tab::Vcpus {
                labels.extend(keys(&["insp-step"]));
            }
            assert_reachable(&h.app, size, &labels, &format!("inspector {tab:?}"));
            // Beside the screen when there is room; instead of it when not.
            let tabs = bounds_of(&h.app, size, &crate::i18n::loader().get("insp-tab-vcpus"));
            let x = tabs.unwrap().x;
            if size.width >= inspector::BESIDE_FROM {
                assert!(x >= size.width - inspector::WIDTH, "{size:?}: {x}");
            } else {
                assert!(x < 40.0, "{size:?}: {x}");
            }
        });
    }
}

/// `VMDESK_SHOTS=DIR cargo test -p vmdesk inspector_screenshots -- --ignored`: the panel as
/// assets/screenshots shows it (running, after a refresh, so changed registers are lit).
#[test]
#[ignore = "writes screenshots for the docs"]
fn inspector_screenshots() {
    let Some(dir) = std::env::var_os("VMDESK_SHOTS") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let mut h = console_open();
    h.send(insp(inspector::Message::Toggle));
    h.send(insp(inspector::Message::Tick));
    let shots = [
        (
            "en",
            iced::Size::new(1280.0, 800.0),
            Tab::Vcpus,
            "inspector",
        ),
        (
            "en",
            iced::Size::new(1280.0, 800.0),
            Tab::Exits,
            "inspector-exits",
        ),
        (
            "en",
            iced::Size::new(1280.0, 800.0),
            Tab::Memory,
            "inspector-memory",
        ),
        (
            "de",
            iced::Size::new(800.0, 600.0),
            Tab::Vcpus,
            "inspector-de-800x600",
        ),
    ];
    for (lang, size, tab, name) in shots {
        h.send(insp(inspector::Message::Tab(tab)));
        crate::i18n::with_language(lang, || {
            let mut ui = iced_test::Simulator::with_size(Default::default(), size, h.app.view());
            let shot = ui.snapshot(&crate::ui::style::theme()).unwrap();
            let path = dir.join(name);
            let _ = std::fs::remove_file(dir.join(format!("{name}-tiny-skia.png")));
            shot.matches_image(&path).unwrap();
        });
    }
}

#[test]
fn a_vmm_that_refuses_shows_why_and_the_next_poll_recovers() {
    let mut h = console_open();
    h.fake
        .refuse_next(api::ErrorCode::Failed, "inspect is not available yet");
    h.send(insp(inspector::Message::Toggle));
    let why = crate::data::client::ClientError::Api {
        code: api::ErrorCode::Failed,
        message: "inspect is not available yet".into(),
    };
    assert!(h.shows(&format!("The VMM did not answer: {why}")));
    assert!(h.shows("Asking the VMM…"));
    h.send(insp(inspector::Message::Tick));
    assert!(!h.shows(&format!("The VMM did not answer: {why}")));
    assert!(h.shows("vCPU 0"));
}
