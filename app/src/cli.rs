//! The command line: `vmdesk list|start|stop|kill|pause|resume|status|console [VM] [--json]`.

use crate::client::{self, ClientError, SocketClient, VmmClient};
use crate::paths::Paths;
use crate::store::{self, VmEntry};
use crate::t;
use std::io::{BufRead, Write};
use std::sync::Arc;
use vmm_core::api::{Command, Event, PowerOffResult, RunState};

/// Exit statuses of the CLI.
pub mod code {
    pub const OK: i32 = 0;
    /// Something failed (I/O, the VMM, the API).
    pub const ERROR: i32 = 1;
    /// Bad command line.
    pub const USAGE: i32 = 2;
    /// No VM by that id or name.
    pub const NO_SUCH_VM: i32 = 3;
    /// The VM is not in a state that allows this (not running, already running, broken).
    pub const WRONG_STATE: i32 = 4;
    /// `stop`: the guest did not react to the ACPI power button.
    pub const NO_RESPONSE: i32 = 5;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    pub command: String,
    pub vm: Option<String>,
    pub json: bool,
}

/// Parses the arguments after the program name.
pub fn parse(args: &[String]) -> Result<Args, String> {
    let mut json = false;
    let mut rest = Vec::new();
    for a in args {
        match a.as_str() {
            "--json" => json = true,
            s if s.starts_with('-') && s != "-" => {
                return Err(t!("cli-unknown-option", option = s));
            }
            s => rest.push(s.to_string()),
        }
    }
    let Some(command) = rest.first().cloned() else {
        return Err(t!("cli-missing-command"));
    };
    let needs_vm = !matches!(command.as_str(), "list");
    if !matches!(
        command.as_str(),
        "list" | "start" | "stop" | "kill" | "pause" | "resume" | "status" | "console"
    ) {
        return Err(t!("cli-unknown-command", command = command));
    }
    let vm = rest.get(1).cloned();
    if needs_vm && vm.is_none() {
        return Err(t!("cli-missing-vm", command = command));
    }
    if rest.len() > 1 + usize::from(needs_vm) {
        return Err(t!("cli-extra-args"));
    }
    Ok(Args { command, vm, json })
}

pub fn help() -> String {
    t!("cli-help")
}

fn state_name(
    client: &dyn VmmClient,
    e: &VmEntry,
) -> (&'static str, Option<vmm_core::api::Status>) {
    if e.is_broken() {
        return ("broken", None);
    }
    match client.status(&e.id) {
        Ok(s) => (
            match s.state {
                RunState::Running => "running",
                RunState::Paused => "paused",
                RunState::Stopping => "stopping",
            },
            Some(s),
        ),
        Err(_) => ("stopped", None),
    }
}

fn find<'a>(entries: &'a [VmEntry], key: &str) -> Option<&'a VmEntry> {
    entries.iter().find(|e| e.id == key).or_else(|| {
        entries
            .iter()
            .find(|e| e.name().to_lowercase() == key.to_lowercase())
    })
}

struct Out {
    json: bool,
}

impl Out {
    fn fail(&self, code: i32, kind: &str, message: String) -> i32 {
        if self.json {
            println!(
                "{}",
                serde_json::json!({"ok": false, "error": {"code": kind, "message": message}})
            );
        } else {
            eprintln!("vmdesk: {message}");
        }
        code
    }
}

/// Runs a CLI command; returns the process exit status.
pub fn run(paths: &Paths, args: &Args) -> i32 {
    run_with(paths, Arc::new(SocketClient::new(paths.clone())), args)
}

pub fn run_with(paths: &Paths, shared: Arc<dyn VmmClient>, args: &Args) -> i32 {
    let client: &dyn VmmClient = &*shared;
    let out = Out { json: args.json };
    let entries = store::list(paths);
    if args.command == "list" {
        let rows: Vec<(&VmEntry, &str)> = entries
            .iter()
            .map(|e| (e, state_name(client, e).0))
            .collect();
        if args.json {
            let v: Vec<serde_json::Value> = rows
                .iter()
                .map(|(e, st)| match &e.config {
                    Ok(c) => serde_json::json!({
                        "id": e.id, "name": c.name, "state": st,
                        "boot": store::boot_summary(c), "vcpus": c.vcpus, "memory_mib": c.memory_mib,
                    }),
                    Err(err) => serde_json::json!({"id": e.id, "state": st, "error": err}),
                })
                .collect();
            println!("{}", serde_json::Value::Array(v));
        } else if rows.is_empty() {
            println!("{}", t!("cli-no-vms"));
        } else {
            let w = rows
                .iter()
                .map(|(e, _)| e.id.len())
                .max()
                .unwrap_or(2)
                .max(2);
            let n = rows
                .iter()
                .map(|(e, _)| e.name().chars().count())
                .max()
                .unwrap_or(4)
                .max(4);
            println!(
                "{:w$}  {:n$}  {:9}  {}",
                t!("cli-col-id"),
                t!("cli-col-name"),
                t!("cli-col-state"),
                t!("cli-col-boot")
            );
            for (e, st) in rows {
                let detail = match &e.config {
                    Ok(c) => store::boot_summary(c),
                    Err(err) => err
                        .lines()
                        .rev()
                        .find(|l| !l.trim().is_empty())
                        .unwrap_or("")
                        .to_string(),
                };
                println!("{:w$}  {:n$}  {:9}  {}", e.id, e.name(), st, detail);
            }
        }
        return code::OK;
    }
    let key = args.vm.clone().unwrap_or_default();
    let Some(e) = find(&entries, &key) else {
        return out.fail(
            code::NO_SUCH_VM,
            "no-such-vm",
            t!("cli-no-such-vm", vm = key),
        );
    };
    if let Err(err) = &e.config {
        return out.fail(
            code::WRONG_STATE,
            "broken",
            t!("cli-broken", vm = e.id.as_str(), error = err.as_str()),
        );
    }
    let id = e.id.clone();
    let map_err = |err: ClientError| -> i32 {
        match err {
            ClientError::NotRunning => out.fail(
                code::WRONG_STATE,
                "not-running",
                t!("cli-not-running", vm = id.as_str()),
            ),
            ClientError::Api { code: c, message } if c == "invalid-state" => {
                out.fail(code::WRONG_STATE, &c, message)
            }
            ClientError::Exited(info) => {
                let rec = crate::app::exit_record(paths, Some(e), &id, Some(info));
                let mut msg = t!(
                    "error-vmm-exited",
                    name = e.name(),
                    meaning = crate::screen::library::exit_meaning(&info)
                );
                for l in rec.log_tail.iter().chain(rec.serial_tail.iter()) {
                    msg.push_str("\n  ");
                    msg.push_str(l);
                }
                out.fail(code::ERROR, "exited", msg)
            }
            other => out.fail(code::ERROR, "error", other.to_string()),
        }
    };
    let simple = |cmd: Command| -> i32 {
        match client.request(&id, cmd) {
            Ok(v) => {
                if args.json {
                    println!("{}", serde_json::json!({"ok": true, "result": v}));
                }
                code::OK
            }
            Err(err) => map_err(err),
        }
    };
    match args.command.as_str() {
        "status" => match client.status(&id) {
            Ok(s) => {
                if args.json {
                    println!("{}", serde_json::to_string(&s).unwrap_or_default());
                } else {
                    println!(
                        "{}",
                        t!(
                            "cli-status",
                            vm = id.as_str(),
                            state = state_name(client, e).0,
                            vcpus = s.vcpus.to_string(),
                            memory = s.memory_mib.to_string(),
                            uptime = (s.uptime_ms / 1000).to_string(),
                            pid = s.pid.to_string()
                        )
                    );
                }
                code::OK
            }
            Err(ClientError::NotRunning) => {
                if args.json {
                    println!("{}", serde_json::json!({"vm_id": id, "state": "stopped"}));
                } else {
                    println!("{}", t!("cli-status-stopped", vm = id.as_str()));
                }
                code::OK
            }
            Err(err) => map_err(err),
        },
        "start" => match client.start(&id) {
            Ok(pid) => {
                if args.json {
                    println!("{}", serde_json::json!({"ok": true, "pid": pid}));
                } else {
                    println!(
                        "{}",
                        t!("cli-started", vm = id.as_str(), pid = pid.to_string())
                    );
                }
                code::OK
            }
            Err(err) => map_err(err),
        },
        "stop" => match client.request(&id, Command::PowerOff) {
            Ok(v) => {
                let acked = serde_json::from_value::<PowerOffResult>(v.clone())
                    .map(|r| r.guest_acknowledged)
                    .unwrap_or(false);
                if args.json {
                    println!("{}", serde_json::json!({"ok": acked, "result": v}));
                } else if acked {
                    println!("{}", t!("cli-stop-sent", vm = id.as_str()));
                } else {
                    eprintln!("vmdesk: {}", t!("cli-no-response", vm = id.as_str()));
                }
                if acked {
                    code::OK
                } else {
                    code::NO_RESPONSE
                }
            }
            Err(err) => map_err(err),
        },
        "kill" => simple(Command::Kill),
        "pause" => simple(Command::Pause),
        "resume" => simple(Command::Resume),
        "console" => console(shared.clone(), &id, args.json).unwrap_or_else(map_err),
        _ => code::USAGE,
    }
}

/// Streams the serial console to stdout and sends stdin lines to the guest, until the VM ends.
fn console(client: Arc<dyn VmmClient>, id: &str, json: bool) -> Result<i32, ClientError> {
    let events = client.subscribe(id)?;
    if !json {
        eprintln!("{}", t!("cli-console-attached", vm = id));
    }
    let input = client.clone();
    let input_id = id.to_string();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            let cmd = client::serial_input(&format!("{line}\n"));
            if input.request(&input_id, cmd).is_err() {
                break;
            }
        }
    });
    let mut stdout = std::io::stdout().lock();
    for ev in events {
        if json {
            let _ = writeln!(stdout, "{}", serde_json::to_string(&ev).unwrap_or_default());
            let _ = stdout.flush();
            if let Event::Exited { code, .. } = ev {
                return Ok(code);
            }
            continue;
        }
        match ev {
            Event::Serial { data } => {
                let _ = stdout.write_all(&client::decode_serial(&data));
                let _ = stdout.flush();
            }
            Event::State { .. } => {}
            Event::Exited { reason, code } => {
                eprintln!(
                    "{}",
                    t!(
                        "cli-console-exited",
                        reason = reason,
                        code = code.to_string()
                    )
                );
                return Ok(code);
            }
        }
    }
    Ok(code::OK)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{self, FakeClient};

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn arguments_parse_and_bad_ones_are_explained() {
        testing::english();
        assert_eq!(
            parse(&args("stop web --json")).unwrap(),
            Args {
                command: "stop".into(),
                vm: Some("web".into()),
                json: true
            }
        );
        assert!(parse(&args("list")).is_ok());
        assert!(parse(&args("start")).unwrap_err().contains("start"));
        assert!(parse(&args("explode x")).is_err());
        assert!(parse(&args("list --fast")).is_err());
        assert!(parse(&args("kill a b")).is_err());
    }

    #[test]
    fn commands_send_the_right_requests_and_exit_codes_mean_something() {
        testing::english();
        let root = tempfile::tempdir().unwrap();
        let paths = Paths::under(root.path());
        testing::add_vm(&paths, "web", "Web");
        let fake = Arc::new(FakeClient::default());
        let run = |s: &str| run_with(&paths, fake.clone(), &parse(&args(s)).unwrap());
        assert_eq!(run("kill web"), code::WRONG_STATE);
        assert_eq!(run("status web"), code::OK);
        assert_eq!(run("start Web"), code::OK);
        assert_eq!(fake.started(), ["web"]);
        assert_eq!(run("pause web"), code::OK);
        fake.set_acpi_ack(false);
        assert_eq!(run("stop web --json"), code::NO_RESPONSE);
        assert_eq!(run("kill web"), code::OK);
        assert_eq!(
            fake.commands(),
            [
                ("web".to_string(), Command::Pause),
                ("web".to_string(), Command::PowerOff),
                ("web".to_string(), Command::Kill)
            ]
        );
        assert_eq!(run("status nope"), code::NO_SUCH_VM);
        assert_eq!(run("list --json"), code::OK);
    }
}
