//! `vmdesk lab …` and `start --throwaway` against real images and the fake client.
use super::*;
use crate::testing::{self, FakeClient};
use vmm_core::api::RunState;

fn args(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

#[test]
fn lab_commands_parse_and_stray_options_are_refused() {
    testing::english();
    let p = |s: &str| parse(&args(s));
    assert_eq!(
        p("lab create tpl --count 3 --prefix Desk").unwrap().command,
        Command::Lab(LabCommand::Create {
            template: "tpl".into(),
            count: "3".into(),
            prefix: "Desk".into()
        })
    );
    let Command::Lab(LabCommand::Create { prefix, .. }) =
        p("lab create tpl --count 3").unwrap().command
    else {
        panic!("not a lab create")
    };
    assert_eq!(prefix, "Student");
    assert_eq!(
        p("lab reset --all tpl --json").unwrap(),
        Args {
            command: Command::Lab(LabCommand::Reset {
                vm: "tpl".into(),
                all: true
            }),
            json: true
        }
    );
    assert!(p("lab create tpl").unwrap_err().contains("--count"));
    assert!(p("lab list tpl --count 2").unwrap_err().contains("--count"));
    assert!(p("lab list tpl --all").unwrap_err().contains("--all"));
    assert!(p("lab explode tpl").is_err());
    assert!(p("lab list").is_err());
    assert_eq!(
        p("start web --throwaway").unwrap().command,
        Command::Start {
            vm: "web".into(),
            throwaway: true
        }
    );
    let help = p("lab --help").unwrap();
    let Command::Help(h) = help.command else {
        panic!("no help")
    };
    assert!(h.contains("vmdesk lab create TEMPLATE --count N"), "{h}");
}

#[test]
fn lab_create_list_and_reset_in_text_and_json() {
    testing::english();
    let root = tempfile::tempdir().unwrap();
    let paths = Paths::under(root.path());
    testing::add_vm_with_disk(&paths, "tpl", "Template", 64, b"lesson");
    let fake = Arc::new(FakeClient::default());
    let run = |s: &str| run_captured(&paths, fake.clone(), &parse(&args(s)).unwrap());

    let (code, text) = run("lab create Template --count 3 --prefix Desk");
    assert_eq!(code, code::OK, "{text}");
    assert!(text.contains("student copy 3 of 3 made"), "{text}");
    assert!(text.contains("3 student copies of Template made: Desk 01, Desk 02, Desk 03"));
    let (code, json) = run("lab list tpl --json");
    assert_eq!(code, code::OK);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["students"][1]["name"], "Desk 02");
    assert_eq!(v["students"][1]["state"], "stopped");
    let (code, text) = run("lab create tpl --count 0");
    assert_eq!(code, code::USAGE);
    assert!(text.contains("from 1 to 99"), "{text}");

    fake.set_running("desk-02", RunState::Running);
    let (code, text) = run("lab list tpl");
    assert_eq!(code, code::OK);
    assert!(text.contains("desk-02  Desk 02  running"), "{text}");
    let (code, text) = run("lab reset desk-02");
    assert_eq!(code, code::WRONG_STATE);
    assert!(text.contains("Desk 02 is running"), "{text}");
    let (code, text) = run("lab reset Template");
    assert_eq!(code, code::ERROR);
    assert!(text.contains("not a student copy"), "{text}");
    let (code, json) = run("lab reset --all tpl --json");
    assert_eq!(code, code::WRONG_STATE);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["results"][0]["ok"], true);
    assert_eq!(v["results"][1]["ok"], false);
    let (code, text) = run("lab reset desk-01");
    assert_eq!(code, code::OK, "{text}");
    assert!(text.contains("Desk 01 is back to its template (0 snapshots dropped)"));
}

#[test]
fn start_throwaway_runs_on_a_temporary_overlay_that_goes_at_the_next_look() {
    testing::english();
    let root = tempfile::tempdir().unwrap();
    let paths = Paths::under(root.path());
    testing::add_vm_with_disk(&paths, "vm", "VM", 64, b"kept");
    let fake = Arc::new(FakeClient::default());
    let run = |s: &str| run_captured(&paths, fake.clone(), &parse(&args(s)).unwrap());
    let (code, text) = run("start vm --throwaway");
    assert_eq!(code, code::OK, "{text}");
    assert!(crate::data::lab::throwaway::active(&paths, "vm"));
    let dir = paths.vm_dir("vm");
    let top = vmm_core::storage::overlay::CurrentDisks::load(&dir)
        .unwrap()
        .unwrap()
        .tops(&dir)[0]
        .clone();
    assert!(top.to_string_lossy().contains("throwaway"), "{top:?}");
    // While it runs, nothing is undone; once it is off, the next command mends it.
    run("list");
    assert!(crate::data::lab::throwaway::active(&paths, "vm"));
    fake.vanish("vm");
    run("list");
    assert!(!crate::data::lab::throwaway::active(&paths, "vm"));
    assert!(!top.exists());
    // A plain start is not a throwaway one, unless the setting says so.
    run("start vm");
    assert!(!crate::data::lab::throwaway::active(&paths, "vm"));
    fake.vanish("vm");
    let s = crate::data::settings::Settings {
        throwaway: vec!["vm".into()],
        ..Default::default()
    };
    s.save(&paths.settings_file()).unwrap();
    run("start vm");
    assert!(crate::data::lab::throwaway::active(&paths, "vm"));
}
