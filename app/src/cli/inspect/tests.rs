use super::super::{code, parse, run_captured, Args, Command};
use crate::data::paths::Paths;
use crate::testing::{self, inspect::fake_exit_log, inspect::fake_inspection, FakeClient};
use std::sync::Arc;
use vmm_core::api::{Command as Api, Inspection, RunState};

fn args(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

#[test]
fn inspect_parses_with_and_without_exits() {
    assert_eq!(
        parse(&args("inspect web")).unwrap(),
        Args {
            command: Command::Inspect {
                vm: "web".into(),
                exits: false
            },
            json: false
        }
    );
    let a = parse(&args("inspect web --exits --json")).unwrap();
    assert_eq!(
        (a.command, a.json),
        (
            Command::Inspect {
                vm: "web".into(),
                exits: true
            },
            true
        )
    );
    assert!(parse(&args("inspect")).is_err(), "a VM is needed");
}

#[test]
fn inspect_prints_a_summary_or_the_inspection_as_json() {
    testing::english();
    let root = tempfile::tempdir().unwrap();
    let paths = Paths::under(root.path());
    testing::add_vm(&paths, "web", "Web");
    let fake = Arc::new(FakeClient::default());
    fake.set_inspection(fake_inspection(), fake_exit_log());
    let run = |s: &str| run_captured(&paths, fake.clone(), &parse(&args(s)).unwrap());

    // Stopped: the VMM is not there to ask.
    let (c, text) = run("inspect web");
    assert_eq!(c, code::WRONG_STATE, "{text}");

    fake.set_running("web", RunState::Running);
    let (c, text) = run("inspect Web");
    assert_eq!(c, code::OK, "{text}");
    for want in [
        "vCPU 0: long mode (64-bit), paging on, CPL 0",
        "RIP 0x0000000000100567",
        "RAX 0x1111111111111112",
        "code at RIP: 48 ff c0 e6 80 eb f9",
        "host thread 4242, last on CPU 1, 1500 ms of CPU time",
        "exits: io-out 1234",
        "Memory map",
        "0x0000000000  128.0 MiB",
        "12.0 MiB",
        "RAM below 4 GiB",
        "device registers",
        "serial (16550A) COM1",
        "0x3f8-0x3ff",
        "0xd0000000+0x1000",
        "0:3/256",
        "VMM process 999, 40.0 MiB resident",
    ] {
        assert!(text.contains(want), "{want:?} missing from:\n{text}");
    }
    assert!(
        text.lines()
            .any(|l| l.split_whitespace().take(2).eq(["4243", "api"])),
        "the api thread's row: {text}"
    );
    // Column headings line up with the rows below them.
    let head = text.lines().find(|l| l.contains("START")).unwrap();
    let row = text.lines().find(|l| l.contains("RAM below")).unwrap();
    assert_eq!(head.find("KIND"), row.find("RAM "), "{head}\n{row}");

    let (c, json) = run("inspect web --json");
    assert_eq!(c, code::OK);
    let got: Inspection = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(got, fake_inspection());
    assert!(fake
        .commands()
        .iter()
        .any(|(id, c)| id == "web" && matches!(c, Api::Inspect(_))));
}

#[test]
fn inspect_exits_prints_the_exit_log_once() {
    testing::english();
    let root = tempfile::tempdir().unwrap();
    let paths = Paths::under(root.path());
    testing::add_vm(&paths, "web", "Web");
    let fake = Arc::new(FakeClient::default());
    fake.set_inspection(fake_inspection(), fake_exit_log());
    fake.set_running("web", RunState::Running);
    let run = |s: &str| run_captured(&paths, fake.clone(), &parse(&args(s)).unwrap());
    let (c, text) = run("inspect web --exits");
    assert_eq!(c, code::OK, "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].contains("REASON") && lines[0].contains("DEVICE"),
        "{text}"
    );
    assert!(
        lines[1].contains("io-out") && lines[1].contains("0x80"),
        "{text}"
    );
    assert!(
        lines[1].contains("0x12") && lines[1].ends_with("POST port"),
        "{text}"
    );
    assert!(lines[2].contains("0x13"), "{text}");
    assert!(
        lines[3].contains("hlt") && lines[3].ends_with('-'),
        "{text}"
    );
    let (_, json) = run("inspect web --exits --json");
    let v: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(v["entries"][0]["value"], 0x12);
    assert_eq!(v["entries"][0]["device"], "POST port");
}

#[test]
fn inspect_reads_in_every_language() {
    let i = fake_inspection();
    for lang in ["de", "es", "fr"] {
        let text = crate::i18n::with_language(lang, || super::inspection_text(&i));
        assert!(!text.contains("long mode"), "{lang}: {text}");
        assert!(text.contains("serial (16550A) COM1"), "{lang}");
    }
}
