//! The "VM beside a container" screen: opened from a VM's Activity tab, the measuring run by an
//! injected fake (never crun here), the textbook table, errors with their hint, Cancel, and
//! the layout at 800×600 and 1920×1080 in every language.

use super::layout::{assert_reachable, each, keys};
use super::*;
use crate::data::compare::Comparison;
use crate::t;
use crate::testing::compare_fake;
use crate::ui::screen::compare::{self, State};
use std::sync::atomic::Ordering;
use std::sync::Mutex;

/// VM `web` ("Web server") with its details open on the Activity tab; `runner` measures.
fn activity(runner: compare::Runner) -> Harness {
    let mut h = Harness::new(&[("web", "Web server")]);
    h.app.compare_runner = runner;
    h.send(Message::Library(library::Message::Open("web".into())));
    h.send(Message::Details(details::Message::Tab(
        details::Tab::Activity,
    )));
    h
}

fn ok_runner(seen: Arc<Mutex<Vec<Option<String>>>>) -> compare::Runner {
    Arc::new(
        move |job: compare::Job, _: &std::sync::atomic::AtomicBool| {
            seen.lock()
                .unwrap()
                .push(job.vm.as_ref().map(|e| e.id.clone()));
            Ok(compare_fake::comparison("Web server"))
        },
    )
}

fn state(h: &Harness) -> &State {
    match &h.app.screen {
        Screen::Compare(c, _) => &c.state,
        _ => panic!("not on the comparison"),
    }
}

#[test]
fn the_activity_tab_opens_the_table_with_measured_values_and_textbook_claims() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut h = activity(ok_runner(seen.clone()));
    assert!(h.shows(&t!("compare-ui-open-help")));
    h.ui(|ui| {
        ui.click("Compare with a container").unwrap();
    });
    assert_eq!(*seen.lock().unwrap(), vec![Some("web".to_string())]);
    assert!(matches!(state(&h), State::Done(_)));
    for s in [
        "Textbooks say",
        "Container (crun)",
        "This VM",
        "Web server",
        // Row labels, each with its explanation.
        "Start to a shell",
        &t!("compare-row-start-help"),
        "Kernel inside (uname -r)",
        &t!("compare-row-kernel-help"),
        // The textbook's claims.
        "container: seconds; VM: minutes",
        "container: the host's kernel; VM: the hardware",
        // Measured, from the fake result.
        "87 ms",
        "1234 ms",
        "6.1.0-42-amd64 (host: 6.1.0-42-amd64)",
        "6.1.0-vmdesk-guest (host: 6.1.0-42-amd64)",
        "memory 64.0 MiB, CPU 50 % (cgroup v2)",
        "pid, mnt, net",
        "150.0 MiB resident, of 512.0 MiB guest RAM",
        "• The kernel refused a user namespace (test).",
    ] {
        assert!(h.shows(s), "{s:?} is not shown");
    }
    // Run again measures again; Back returns to the details, on their Activity tab.
    h.ui(|ui| {
        ui.click("Run again").unwrap();
    });
    assert_eq!(seen.lock().unwrap().len(), 2);
    h.ui(|ui| {
        ui.click("‹ Details").unwrap();
    });
    match &h.app.screen {
        Screen::Details(d) => assert_eq!(d.tab, details::Tab::Activity),
        _ => panic!("Back did not return to the details"),
    }
}

#[test]
fn an_error_shows_its_reason_and_the_install_hint_and_run_again_retries() {
    let fail = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let f = fail.clone();
    let mut h = activity(Arc::new(move |_, _| {
        if f.load(Ordering::Relaxed) {
            Err(t!("compare-no-crun"))
        } else {
            Ok(compare_fake::comparison("Web server"))
        }
    }));
    h.ui(|ui| {
        ui.click("Compare with a container").unwrap();
    });
    assert!(h.shows("The comparison could not run"));
    let reason = t!("compare-no-crun");
    assert!(reason.contains("sudo apt install crun"), "{reason}");
    assert!(h.shows(&reason));
    assert!(!h.shows("Textbooks say"));
    fail.store(false, Ordering::Relaxed);
    h.ui(|ui| {
        ui.click("Run again").unwrap();
    });
    assert!(h.shows("87 ms"));
}

#[test]
fn a_vm_that_could_not_be_measured_says_why_in_its_column() {
    let mut h = activity(Arc::new(|_, _| {
        Ok(Comparison {
            vm: None,
            vm_error: Some("web: the VMM did not start (test)".into()),
            ..compare_fake::comparison("Web server")
        })
    }));
    h.ui(|ui| {
        ui.click("Compare with a container").unwrap();
    });
    assert!(h.shows("This VM"));
    assert!(h.shows("web: the VMM did not start (test)"));
    assert!(h.shows("87 ms"), "the container's column still shows");
}

#[test]
fn cancel_reaches_the_runner_and_a_late_result_is_dropped() {
    // Like the real run: measures until cancelled (the first run), and quickly afterwards.
    let runs = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let mut h = activity(Arc::new(
        move |_, cancel: &std::sync::atomic::AtomicBool| {
            if runs.fetch_add(1, Ordering::Relaxed) > 0 {
                return Ok(compare_fake::comparison("Web server"));
            }
            let t0 = std::time::Instant::now();
            while !cancel.load(Ordering::Relaxed) {
                assert!(
                    t0.elapsed().as_secs() < 10,
                    "Cancel never reached the runner"
                );
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Err(t!("compare-interrupted"))
        },
    ));
    // The click's task (the measuring) is held back while Cancel is pressed.
    let task = h.app.update(Message::Details(details::Message::Compare));
    assert!(matches!(state(&h), State::Running { cancelling: false }));
    assert!(h.shows("Cancel"));
    assert!(h.shows(&t!("compare-ui-running", vm = "Web server")));
    h.ui(|ui| {
        ui.click("Cancel").unwrap();
    });
    assert!(matches!(state(&h), State::Running { cancelling: true }));
    assert!(h.shows(&t!("compare-ui-cancelling")));
    assert!(!h.shows("Cancel"), "Cancel is pressed once");
    let stream = iced_runtime::task::into_stream(task).unwrap();
    for a in iced::futures::executor::block_on_stream(stream) {
        if let iced_runtime::Action::Output(m) = a {
            h.send(m);
        }
    }
    assert!(h.shows(&t!("compare-interrupted")));
    // A result of an earlier run does not replace the current one.
    h.ui(|ui| {
        ui.click("Run again").unwrap();
    });
    assert!(h.shows("87 ms"));
    let stale = Box::new(Err("stale".to_string()));
    h.send(Message::Compare(compare::Message::Done(1, stale)));
    assert!(h.shows("87 ms"));
}

#[test]
fn the_comparison_fits_in_every_language() {
    let mut h = activity(Arc::new(|_, _| Ok(compare_fake::comparison("Web server"))));
    each(|size| {
        let mut labels = keys(&["compare-ui-open", "tab-activity"]);
        labels.push(crate::i18n::loader().get("details-back"));
        h.send(Message::Details(details::Message::Tab(
            details::Tab::Activity,
        )));
        assert_reachable(&h.app, size, &labels[..2], "activity-compare");
        h.send(Message::Details(details::Message::Compare));
        let mut labels = keys(&[
            "screen-back",
            "compare-ui-title",
            "compare-ui-again",
            "compare-ui-col-textbook",
            "compare-ui-col-container",
            "compare-row-start",
            "compare-row-memory",
        ]);
        labels.push(crate::i18n::loader().get("compare-ui-col-vm"));
        assert_reachable(&h.app, size, &labels, "compare");
        h.send(Message::Compare(compare::Message::Back));
    });
}

#[test]
fn leaving_while_measuring_stops_the_run_and_drops_its_result() {
    let stopped = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let s = stopped.clone();
    let mut h = activity(Arc::new(
        move |_, cancel: &std::sync::atomic::AtomicBool| {
            let t0 = std::time::Instant::now();
            while t0.elapsed().as_secs() < 5 {
                if cancel.load(Ordering::Relaxed) {
                    s.store(true, Ordering::Relaxed);
                    return Err(t!("compare-interrupted"));
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Ok(compare_fake::comparison("Web server"))
        },
    ));
    let task = h.app.update(Message::Details(details::Message::Compare));
    // Ctrl+F: to the library's search, away from the comparison.
    h.send(Message::Shortcut(Shortcut::Search));
    assert!(matches!(h.app.screen, Screen::Library));
    let stream = iced_runtime::task::into_stream(task).unwrap();
    for a in iced::futures::executor::block_on_stream(stream) {
        if let iced_runtime::Action::Output(m) = a {
            h.send(m);
        }
    }
    assert!(
        stopped.load(Ordering::Relaxed),
        "leaving did not stop the run"
    );
    assert!(matches!(h.app.screen, Screen::Library));
}

#[test]
fn a_linux_vms_card_in_the_library_opens_the_comparison_and_back_returns_there() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut h = Harness::new(&[("web", "Web server")]);
    h.app.compare_runner = ok_runner(seen.clone());
    h.ui(|ui| {
        ui.click("Compare with a container").unwrap();
    });
    assert_eq!(*seen.lock().unwrap(), vec![Some("web".to_string())]);
    assert!(matches!(state(&h), State::Done(_)));
    assert!(h.shows("Web server"));
    h.ui(|ui| {
        ui.click("‹ Library").unwrap();
    });
    assert!(matches!(h.app.screen, Screen::Library));
}
