//! The command line: `vmdesk list|create|clone|delete|start|stop|kill|pause|resume|status|console|
//! snapshot|snapshots|revert|screenshot ...` (`vmdesk --help`), each with `--json`.

use crate::data::client::{self, ClientError, SocketClient, VmmClient, VmmClientExt};
use crate::data::disks::{self, DiskDisposal, DiskPlan};
use crate::data::paths::Paths;
use crate::data::snapshots::SnapshotList;
use crate::data::store::{self, VmEntry};
use crate::t;
use std::io::{BufRead, Write};
use std::sync::Arc;
use vmm_core::api::{
    Command, ErrorCode, Event, Kill, ListSnapshots, Pause, PowerOff, Reset, Resume, RunState,
    Screenshot, SnapshotCreate, SnapshotRevert,
};
use vmm_core::config::{BootSource, DisplayConfig, VmConfig};

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
    /// No snapshot by that id or name.
    pub const NO_SUCH_SNAPSHOT: i32 = 6;
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Args {
    pub command: String,
    /// The VM (its name, for `create`).
    pub vm: Option<String>,
    /// The second operand: a snapshot (`revert`) or a file (`screenshot`).
    pub arg: Option<String>,
    pub json: bool,
    /// `--option value` pairs, option without the dashes.
    pub opts: Vec<(String, String)>,
}

impl Args {
    pub fn opt(&self, name: &str) -> Option<&str> {
        self.opts
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Commands: (name, operands after the VM, options taking a value).
const COMMANDS: &[(&str, usize, &[&str])] = &[
    ("list", 0, &[]),
    ("status", 1, &[]),
    ("start", 1, &[]),
    ("stop", 1, &[]),
    ("kill", 1, &[]),
    ("restart", 1, &[]),
    ("pause", 1, &[]),
    ("resume", 1, &[]),
    ("console", 1, &[]),
    (
        "create",
        1,
        &[
            "kernel",
            "initrd",
            "cmdline",
            "vcpus",
            "memory",
            "display",
            "disk-size",
            "disk",
            "linked",
            "read-only",
            "network",
        ],
    ),
    ("clone", 2, &["full"]),
    ("delete", 1, &["keep-disks"]),
    ("snapshot", 1, &["name", "description"]),
    ("snapshots", 1, &[]),
    ("revert", 2, &[]),
    ("screenshot", 2, &[]),
];

/// Options without a value (recorded with an empty one).
const FLAGS: &[&str] = &["linked", "read-only", "network", "full", "keep-disks"];

/// Parses the arguments after the program name.
pub fn parse(args: &[String]) -> Result<Args, String> {
    let mut json = false;
    let mut rest = Vec::new();
    let mut opts = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--json" => json = true,
            s if s.starts_with("--") && s.len() > 2 => {
                let (k, v) = match s[2..].split_once('=') {
                    Some((k, v)) => (k.to_string(), Some(v.to_string())),
                    None if FLAGS.contains(&&s[2..]) => (s[2..].to_string(), Some(String::new())),
                    None => (s[2..].to_string(), None),
                };
                let v = match v {
                    Some(v) => v,
                    None => it
                        .next()
                        .cloned()
                        .ok_or_else(|| t!("cli-missing-value", option = s))?,
                };
                opts.push((k, v));
            }
            s if s.starts_with('-') && s != "-" => {
                return Err(t!("cli-unknown-option", option = s));
            }
            s => rest.push(s.to_string()),
        }
    }
    let Some(command) = rest.first().cloned() else {
        return Err(t!("cli-missing-command"));
    };
    let Some((_, operands, allowed)) = COMMANDS.iter().find(|(c, _, _)| *c == command) else {
        return Err(t!("cli-unknown-command", command = command));
    };
    if let Some((k, _)) = opts.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
        return Err(t!("cli-unknown-option", option = format!("--{k}")));
    }
    let vm = rest.get(1).cloned();
    let arg = rest.get(2).cloned();
    if *operands >= 1 && vm.is_none() {
        return Err(t!("cli-missing-vm", command = command));
    }
    if *operands >= 2 && arg.is_none() {
        return Err(t!("cli-missing-arg", command = command));
    }
    if rest.len() > 1 + operands {
        return Err(t!("cli-extra-args"));
    }
    if command == "create" && !opts.iter().any(|(k, _)| k == "kernel") {
        return Err(t!("cli-create-needs-kernel"));
    }
    Ok(Args {
        command,
        vm,
        arg,
        json,
        opts,
    })
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
    /// Prints a success: the JSON value, or the text.
    fn done(&self, v: serde_json::Value, text: String) -> i32 {
        if self.json {
            println!("{v}");
        } else if !text.is_empty() {
            println!("{text}");
        }
        code::OK
    }

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
    if args.command == "create" {
        return create(paths, args, &out, &entries);
    }
    if args.command == "clone" {
        return clone(paths, client, args, &out, &entries);
    }
    let key = args.vm.clone().unwrap_or_default();
    let Some(e) = find(&entries, &key) else {
        return out.fail(
            code::NO_SUCH_VM,
            "no-such-vm",
            t!("cli-no-such-vm", vm = key),
        );
    };
    if args.command == "delete" {
        if client.status(&e.id).is_ok() {
            return out.fail(
                code::WRONG_STATE,
                "running",
                t!("error-delete-running", name = e.name()),
            );
        }
        let disposal = if args.opt("keep-disks").is_some() {
            DiskDisposal::Keep
        } else {
            DiskDisposal::Trash
        };
        return match disks::delete_vm(paths, &e.id, disposal) {
            Ok(kept) => out.done(
                serde_json::json!({"ok": true, "id": e.id, "kept_disks": kept}),
                match &kept {
                    Some(p) => t!(
                        "notice-deleted-kept",
                        name = e.id.as_str(),
                        path = p.display().to_string()
                    ),
                    None => t!("cli-deleted", vm = e.id.as_str()),
                },
            ),
            Err(err) => out.fail(code::ERROR, "error", err),
        };
    }
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
            ClientError::Api {
                code: c @ ErrorCode::InvalidState,
                message,
            } => out.fail(code::WRONG_STATE, c.as_str(), message),
            ClientError::Exited(info) => {
                let rec = crate::data::vms::exit_record(paths, Some(e), &id, Some(info));
                let mut msg = t!(
                    "error-vmm-exited",
                    name = e.name(),
                    meaning = crate::data::vms::exit_meaning(&info)
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
        match client.send(&id, cmd) {
            Ok(r) => {
                if args.json {
                    println!("{}", serde_json::json!({"ok": true, "result": r}));
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
        "stop" => match client.call(&id, PowerOff {}) {
            Ok(r) => {
                let acked = r.guest_acknowledged;
                if args.json {
                    println!("{}", serde_json::json!({"ok": acked, "result": r}));
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
        "kill" => simple(Kill {}.into()),
        "restart" => match client.call(&id, Reset {}) {
            Ok(_) => {
                // The VMM ends with the reset status; start it again once it is gone. If the
                // app started this VM, it restarts it too: whoever comes second finds it running.
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
                while client.status(&id).is_ok() && std::time::Instant::now() < deadline {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                let pid = match client.start(&id) {
                    Ok(pid) => Ok(pid),
                    Err(ClientError::Api {
                        code: ErrorCode::InvalidState,
                        ..
                    }) => client.status(&id).map(|s| s.pid),
                    Err(e) => Err(e),
                };
                match pid {
                    Ok(pid) => out.done(
                        serde_json::json!({"ok": true, "pid": pid}),
                        t!("cli-restarted", vm = id.as_str(), pid = pid.to_string()),
                    ),
                    Err(err) => map_err(err),
                }
            }
            Err(err) => map_err(err),
        },
        "pause" => simple(Pause {}.into()),
        "resume" => simple(Resume {}.into()),
        "console" => console(shared.clone(), &id, args.json).unwrap_or_else(map_err),
        "snapshot" => {
            let req = SnapshotCreate {
                name: args.opt("name").unwrap_or_default().to_string(),
                description: args.opt("description").unwrap_or_default().to_string(),
            };
            match client.call(&id, req) {
                Ok(c) => {
                    let text = t!(
                        "cli-snapshot-taken",
                        vm = id.as_str(),
                        snapshot = c.id.as_str(),
                        total = format!("{:.0}", c.timing.total_ms),
                        paused = format!("{:.0}", c.timing.paused_ms)
                    );
                    out.done(serde_json::json!({"ok": true, "result": c}), text)
                }
                Err(err) => map_err(err),
            }
        }
        "snapshots" => {
            let list = match snapshot_list(client, paths, &id) {
                Ok(l) => l,
                Err(err) => return map_err(err),
            };
            if args.json {
                println!("{}", snapshots_json(&list));
            } else if list.items.is_empty() {
                println!("{}", t!("cli-no-snapshots", vm = id.as_str()));
            } else {
                for (depth, s) in list.tree() {
                    let mark = if list.current.as_deref() == Some(s.id.as_str()) {
                        "*"
                    } else {
                        " "
                    };
                    let indent = "  ".repeat(depth);
                    if s.complete {
                        println!(
                            "{mark} {indent}{}  {}  {}",
                            s.id,
                            crate::data::snapshots::local_time(s.created_unix_ms),
                            s.name
                        );
                    } else {
                        println!(
                            "{mark} {indent}{}  {}",
                            s.id,
                            t!(
                                "cli-snapshot-incomplete",
                                problem = s.problem.clone().unwrap_or_default()
                            )
                        );
                    }
                }
            }
            code::OK
        }
        "revert" => {
            let key = args.arg.clone().unwrap_or_default();
            let list = match snapshot_list(client, paths, &id) {
                Ok(l) => l,
                Err(err) => return map_err(err),
            };
            let Some(snap) = find_snapshot(&list, &key) else {
                return out.fail(
                    code::NO_SUCH_SNAPSHOT,
                    "no-such-snapshot",
                    t!("cli-no-such-snapshot", vm = id.as_str(), snapshot = key),
                );
            };
            if client.status(&id).is_ok() {
                match client.call(
                    &id,
                    SnapshotRevert {
                        snapshot: snap.clone(),
                    },
                ) {
                    Ok(r) => out.done(
                        serde_json::json!({"ok": true, "result": r}),
                        t!("cli-reverted", vm = id.as_str(), snapshot = snap.as_str()),
                    ),
                    Err(err) => map_err(err),
                }
            } else {
                match client.start_from(&id, Some(&snap)) {
                    Ok(pid) => out.done(
                        serde_json::json!({"ok": true, "pid": pid, "snapshot": snap}),
                        t!(
                            "cli-started-from",
                            vm = id.as_str(),
                            snapshot = snap.as_str(),
                            pid = pid.to_string()
                        ),
                    ),
                    Err(err) => map_err(err),
                }
            }
        }
        "screenshot" => {
            let file = std::path::PathBuf::from(args.arg.clone().unwrap_or_default());
            let file = if file.is_absolute() {
                file
            } else {
                std::env::current_dir().unwrap_or_default().join(file)
            };
            let path = file.display().to_string();
            match client.call(&id, Screenshot { path: path.clone() }) {
                Ok(_) => out.done(
                    serde_json::json!({"ok": true, "path": path}),
                    t!("cli-screenshot", path = path.as_str()),
                ),
                Err(err) => map_err(err),
            }
        }
        _ => code::USAGE,
    }
}

/// A VM's snapshots: from its VMM when it runs, else from its folder.
fn snapshot_list(
    client: &dyn VmmClient,
    paths: &Paths,
    id: &str,
) -> Result<SnapshotList, ClientError> {
    match client.call(id, ListSnapshots {}) {
        Ok(list) => Ok(SnapshotList::from_api(list)),
        Err(ClientError::NotRunning) => Ok(SnapshotList::from_disk(&paths.vm_dir(id))),
        Err(e) => Err(e),
    }
}

/// A complete snapshot by id, or by name when exactly one has it.
fn find_snapshot(list: &SnapshotList, key: &str) -> Option<String> {
    let complete = || list.items.iter().filter(|s| s.complete);
    if let Some(s) = complete().find(|s| s.id == key) {
        return Some(s.id.clone());
    }
    let named: Vec<_> = complete().filter(|s| s.name == key).collect();
    (named.len() == 1).then(|| named[0].id.clone())
}

fn snapshots_json(list: &SnapshotList) -> serde_json::Value {
    serde_json::json!({
        "current": list.current,
        "snapshots": list.items.iter().map(|s| serde_json::json!({
            "id": s.id, "name": s.name, "description": s.description,
            "created_unix_ms": s.created_unix_ms, "parent": s.parent,
            "complete": s.complete, "problem": s.problem, "has_screen": s.has_screen,
        })).collect::<Vec<_>>(),
    })
}

/// `create NAME --kernel K [--initrd I] [--cmdline C] [--vcpus N] [--memory MIB] [--display WxH]`
fn create(paths: &Paths, args: &Args, out: &Out, entries: &[VmEntry]) -> i32 {
    let name = args.vm.clone().unwrap_or_default();
    let bad = |m: String| out.fail(code::USAGE, "bad-argument", m);
    if let Err(e) = vmm_core::config::validate::validate_name(&name) {
        return bad(crate::data::problems::describe(&e.kind));
    }
    let abs = |p: &str| {
        let p = std::path::PathBuf::from(p);
        if p.is_absolute() {
            p
        } else {
            std::env::current_dir().unwrap_or_default().join(p)
        }
    };
    let taken: Vec<String> = entries.iter().map(|e| e.id.clone()).collect();
    let id = store::derive_id(&name, &taken);
    let mut cfg = VmConfig::new_linux(&id, name.trim(), abs(args.opt("kernel").unwrap_or("")));
    let host = crate::data::host::HostInfo::detect();
    cfg.vcpus = host.default_vcpus();
    cfg.memory_mib = host.default_memory_mib();
    let BootSource::Linux {
        initrd, cmdline, ..
    } = &mut cfg.boot;
    *initrd = args.opt("initrd").map(abs);
    if let Some(c) = args.opt("cmdline") {
        *cmdline = c.to_string();
    }
    if let Some(v) = args.opt("vcpus") {
        match v.parse() {
            Ok(n) => cfg.vcpus = n,
            Err(_) => return bad(t!("cli-bad-number", option = "--vcpus", value = v)),
        }
    }
    if let Some(v) = args.opt("memory") {
        match v.parse() {
            Ok(n) => cfg.memory_mib = n,
            Err(_) => return bad(t!("cli-bad-number", option = "--memory", value = v)),
        }
    }
    if let Some(v) = args.opt("display") {
        match parse_size(v) {
            Some((width, height)) => {
                cfg.display = Some(DisplayConfig {
                    width,
                    height,
                    ..Default::default()
                })
            }
            None => return bad(t!("cli-bad-display", value = v)),
        }
    }
    if args.opt("network").is_some() {
        cfg.nics = vec![Default::default()];
    }
    let plan = match (args.opt("disk-size"), args.opt("disk")) {
        (Some(_), Some(_)) => return bad(t!("cli-bad-disk")),
        (Some(v), None) => match disks::check_size_gib(v, disks::free_space(&paths.vms_dir())) {
            Ok(size_bytes) => Some(DiskPlan::New { size_bytes }),
            Err(e) => return bad(format!("--disk-size: {e}")),
        },
        (None, Some(p)) => {
            let path = abs(p);
            if let Err(e) = disks::check_existing(&path.display().to_string()) {
                return bad(format!("--disk: {e}"));
            }
            Some(DiskPlan::Existing {
                path,
                linked: args.opt("linked").is_some(),
                read_only: args.opt("read-only").is_some(),
            })
        }
        (None, None) => None,
    };
    if args.opt("linked").is_some() && args.opt("disk").is_none() {
        return bad(t!("cli-linked-needs-disk"));
    }
    if let Err(errs) = cfg.validate(&host.limits()) {
        let msg = errs
            .iter()
            .map(|e| format!("{}: {}", e.field, crate::data::problems::describe(&e.kind)))
            .collect::<Vec<_>>()
            .join("\n");
        return bad(msg);
    }
    match disks::create_vm(paths, &cfg, plan.as_ref()) {
        Ok(cfg) => out.done(
            serde_json::json!({"ok": true, "id": id, "config": paths.vm_config(&id), "disks": cfg.disks}),
            t!(
                "cli-created",
                vm = id.as_str(),
                path = paths.vm_config(&id).display().to_string()
            ),
        ),
        Err(e) => out.fail(code::ERROR, "error", e),
    }
}

/// `vmdesk clone SRC NEW [--full]`: a linked clone unless `--full`; the source must be stopped.
fn clone(
    paths: &Paths,
    client: &dyn VmmClient,
    args: &Args,
    out: &Out,
    entries: &[VmEntry],
) -> i32 {
    let key = args.vm.clone().unwrap_or_default();
    let Some(e) = find(entries, &key) else {
        return out.fail(
            code::NO_SUCH_VM,
            "no-such-vm",
            t!("cli-no-such-vm", vm = key),
        );
    };
    let src = match &e.config {
        Ok(c) => c,
        Err(err) => {
            return out.fail(
                code::WRONG_STATE,
                "broken",
                t!("cli-broken", vm = e.id.as_str(), error = err.as_str()),
            )
        }
    };
    if client.status(&e.id).is_ok() {
        return out.fail(
            code::WRONG_STATE,
            "running",
            t!("cli-clone-running", vm = e.id.as_str()),
        );
    }
    let name = args.arg.clone().unwrap_or_default();
    if let Err(e) = vmm_core::config::validate::validate_name(&name) {
        let reason = crate::data::problems::describe(&e.kind);
        return out.fail(code::USAGE, "bad-argument", reason);
    }
    let taken: Vec<String> = entries.iter().map(|e| e.id.clone()).collect();
    let id = store::derive_id(&name, &taken);
    let linked = args.opt("full").is_none();
    let progress = disks::Progress::default();
    match disks::clone_vm(paths, src, &id, &name, linked, &progress) {
        Ok(cfg) => out.done(
            serde_json::json!({"ok": true, "id": id, "linked": linked, "disks": cfg.disks}),
            t!("cli-cloned", vm = e.id.as_str(), clone = id.as_str()),
        ),
        Err(err) => out.fail(code::ERROR, "error", err),
    }
}

/// `1024x768` → (1024, 768).
pub fn parse_size(s: &str) -> Option<(u32, u32)> {
    let (w, h) = s.split_once(['x', 'X'])?;
    let (w, h) = (w.trim().parse().ok()?, h.trim().parse().ok()?);
    (w > 0 && h > 0).then_some((w, h))
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
            let req = client::serial_input(&format!("{line}\n"));
            if input.call(&input_id, req).is_err() {
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

/// Whether `word` names a CLI command (anything else as a lone argument may be a file to open).
pub fn is_command(word: &str) -> bool {
    matches!(
        word,
        "list"
            | "status"
            | "start"
            | "stop"
            | "kill"
            | "restart"
            | "pause"
            | "resume"
            | "console"
            | "create"
            | "clone"
            | "delete"
            | "snapshot"
            | "snapshots"
            | "revert"
            | "screenshot"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{self, FakeClient};

    /// Fluent ends a message at a continuation line starting with `[`, `*` or `.`: the help
    /// was once cut off after the create line that way. Every language's help must be whole.
    #[test]
    fn help_is_whole_in_every_language() {
        for lang in ["en", "de", "es", "fr"] {
            let text = std::fs::read_to_string(format!(
                "{}/../i18n/{lang}/vmdesk.ftl",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap();
            let help: Vec<&str> = text
                .lines()
                .skip_while(|l| !l.starts_with("cli-help ="))
                .skip(1)
                .take_while(|l| l.is_empty() || l.starts_with(' '))
                .collect();
            assert!(help.len() > 20, "{lang}: help too short");
            for l in &help {
                let t = l.trim_start();
                assert!(
                    !(t.starts_with('[') || t.starts_with('*') || t.starts_with('.')),
                    "{lang}: a help line starting with {t:?} would end the message"
                );
            }
        }
        assert!(help().contains("--version"), "{}", help());
    }

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
                json: true,
                ..Default::default()
            }
        );
        assert!(parse(&args("list")).is_ok());
        assert!(parse(&args("start")).unwrap_err().contains("start"));
        assert!(parse(&args("explode x")).is_err());
        assert!(parse(&args("list --fast")).is_err());
        assert!(parse(&args("kill a b")).is_err());
        let a = parse(&args("create Web --kernel=/k --vcpus 2 --display 800x600")).unwrap();
        assert_eq!(a.vm.as_deref(), Some("Web"));
        assert_eq!(
            (a.opt("kernel"), a.opt("vcpus"), a.opt("display")),
            (Some("/k"), Some("2"), Some("800x600"))
        );
        assert!(parse(&args("create Web")).is_err(), "--kernel is required");
        assert!(
            parse(&args("create Web --kernel")).is_err(),
            "a value is missing"
        );
        assert!(parse(&args("start web --name x")).is_err());
        assert!(parse(&args("revert web")).is_err());
        let r = parse(&args("revert web s1")).unwrap();
        assert_eq!(r.arg.as_deref(), Some("s1"));
        assert_eq!(parse_size("1024x768"), Some((1024, 768)));
        assert_eq!(parse_size("0x768"), None);
        assert_eq!(parse_size("big"), None);
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
        assert_eq!(run("restart web"), code::WRONG_STATE, "not running");
        assert_eq!(run("start web"), code::OK);
        assert_eq!(run("restart web --json"), code::OK);
        assert_eq!(
            fake.started(),
            ["web", "web", "web"],
            "reset, then started again"
        );
        assert_eq!(
            fake.commands(),
            [
                ("web".to_string(), Command::from(Pause {})),
                ("web".to_string(), PowerOff {}.into()),
                ("web".to_string(), Kill {}.into()),
                ("web".to_string(), Reset {}.into())
            ]
        );
        assert_eq!(run("status nope"), code::NO_SUCH_VM);
        assert_eq!(run("list --json"), code::OK);
    }

    #[test]
    fn list_works_with_no_vms_and_no_vmm() {
        testing::english();
        let root = tempfile::tempdir().unwrap();
        let paths = Paths::under(root.path());
        assert_eq!(run(&paths, &parse(&args("list --json")).unwrap()), code::OK);
        assert_eq!(run(&paths, &parse(&args("list")).unwrap()), code::OK);
    }

    #[test]
    fn create_writes_a_valid_vm_and_delete_removes_it() {
        testing::english();
        let root = tempfile::tempdir().unwrap();
        let paths = Paths::under(root.path());
        let kernel = testing::fake_kernel(root.path());
        let fake = Arc::new(FakeClient::default());
        let run = |s: &str| run_with(&paths, fake.clone(), &parse(&args(s)).unwrap());
        let k = kernel.display();
        assert_eq!(
            run(&format!(
                "create Desk --kernel {k} --cmdline quiet --vcpus 1 --memory 256 --display 800x600 --json"
            )),
            code::OK
        );
        let cfg = VmConfig::load(&paths.vm_config("desk")).unwrap();
        assert_eq!(
            (cfg.name.as_str(), cfg.vcpus, cfg.memory_mib),
            ("Desk", 1, 256)
        );
        let d = cfg.display.unwrap();
        assert_eq!((d.width, d.height), (800, 600));
        let BootSource::Linux { cmdline, .. } = &cfg.boot;
        assert_eq!(cmdline, "quiet");
        // A second one with the same name gets its own id; bad values are usage errors.
        assert_eq!(run(&format!("create Desk --kernel {k}")), code::OK);
        assert!(paths.vm_config("desk-2").exists());
        assert_eq!(
            run(&format!("create X --kernel {k} --vcpus lots")),
            code::USAGE
        );
        assert_eq!(
            run(&format!("create X --kernel {k} --display 12")),
            code::USAGE
        );
        assert_eq!(run("create X --kernel /nonexistent"), code::USAGE);
        assert!(!paths.vm_dir("x").exists());
        // Delete refuses a running VM.
        fake.set_running("desk", RunState::Running);
        assert_eq!(run("delete desk"), code::WRONG_STATE);
        fake.crash("desk", 0);
        assert_eq!(run("delete desk"), code::OK);
        assert!(!paths.vm_dir("desk").exists());
        assert_eq!(run("delete desk-2"), code::OK);
        assert_eq!(run("delete desk-2"), code::NO_SUCH_VM);
    }

    #[test]
    fn disks_clones_and_deleting_with_disks_from_the_command_line() {
        testing::english();
        testing::test_trash();
        let root = tempfile::tempdir().unwrap();
        let paths = Paths::under(root.path());
        let kernel = testing::fake_kernel(root.path());
        let k = kernel.display();
        let fake = Arc::new(FakeClient::default());
        let run = |s: &str| run_with(&paths, fake.clone(), &parse(&args(s)).unwrap());
        assert_eq!(
            run(&format!(
                "create Data --kernel {k} --disk-size 1 --network --json"
            )),
            code::OK
        );
        let cfg = VmConfig::load(&paths.vm_config("data")).unwrap();
        let info = vmm_core::storage::image_info(&cfg.disks[0].path).unwrap();
        assert_eq!(info.virtual_size, 1 << 30);
        assert_eq!(cfg.nics.len(), 1);
        // An existing image through a linked clone; bad disks are usage errors naming why.
        let base = root.path().join("base.img");
        std::fs::write(&base, vec![3u8; 1 << 20]).unwrap();
        let b = base.display();
        assert_eq!(
            run(&format!("create Img --kernel {k} --disk {b} --linked")),
            code::OK
        );
        let img = VmConfig::load(&paths.vm_config("img")).unwrap();
        let info = vmm_core::storage::image_info(&img.disks[0].path).unwrap();
        assert_eq!(info.backing_chain, std::slice::from_ref(&base));
        for bad in [
            format!("create X --kernel {k} --disk-size 0"),
            format!("create X --kernel {k} --disk-size 1 --disk {b}"),
            format!("create X --kernel {k} --disk /nonexistent.qcow2"),
            format!("create X --kernel {k} --linked"),
        ] {
            assert_eq!(run(&bad), code::USAGE, "{bad}");
        }
        assert!(!paths.vm_dir("x").exists());
        // Clones: linked by default, --full copies; a running source or unknown VM is refused.
        assert_eq!(run("clone data Data2 --json"), code::OK);
        let c = VmConfig::load(&paths.vm_config("data2")).unwrap();
        let info = vmm_core::storage::image_info(&c.disks[0].path).unwrap();
        assert_eq!(info.backing_chain, std::slice::from_ref(&cfg.disks[0].path));
        assert_eq!(run("clone data Data3 --full"), code::OK);
        let c3 = VmConfig::load(&paths.vm_config("data3")).unwrap();
        assert!(vmm_core::storage::image_info(&c3.disks[0].path)
            .unwrap()
            .backing_chain
            .is_empty());
        assert_eq!(run("clone nothing X"), code::NO_SUCH_VM);
        fake.set_running("img", RunState::Running);
        assert_eq!(run("clone img X"), code::WRONG_STATE);
        // Deleting a VM whose disks back a clone fails; --keep-disks moves them out.
        assert_eq!(run("delete data"), code::ERROR);
        assert_eq!(run("delete data2 --keep-disks --json"), code::OK);
        assert!(paths.data_dir.join("kept-disks/data2/disk.qcow2").is_file());
        assert_eq!(run("delete data"), code::OK);
        assert!(!cfg.disks[0].path.exists());
        assert!(base.is_file(), "images outside the VM folder stay");
    }

    #[test]
    fn snapshot_commands_send_the_right_requests() {
        testing::english();
        let root = tempfile::tempdir().unwrap();
        let paths = Paths::under(root.path());
        testing::add_vm(&paths, "web", "Web");
        let fake = Arc::new(FakeClient::default());
        let run = |s: &str| run_with(&paths, fake.clone(), &parse(&args(s)).unwrap());
        // Stopped: taking one needs a running VM; the list comes from the folder.
        assert_eq!(run("snapshot web"), code::WRONG_STATE);
        assert_eq!(run("snapshots web --json"), code::OK);
        assert_eq!(run("revert web nope"), code::NO_SUCH_SNAPSHOT);
        fake.set_running("web", RunState::Running);
        fake.set_snapshots(crate::data::snapshots::tests::sample());
        assert_eq!(
            run("snapshot web --name Base --description first"),
            code::OK
        );
        assert_eq!(run("snapshots web"), code::OK);
        assert_eq!(run("revert web b"), code::OK);
        assert_eq!(
            run("revert web x"),
            code::NO_SUCH_SNAPSHOT,
            "incomplete ones are never used"
        );
        assert_eq!(run("screenshot web shot.png --json"), code::OK);
        let cmds: Vec<Command> = fake.commands().into_iter().map(|(_, c)| c).collect();
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(
            cmds,
            [
                Command::from(SnapshotCreate {
                    name: "Base".into(),
                    description: "first".into()
                }),
                ListSnapshots {}.into(),
                ListSnapshots {}.into(),
                SnapshotRevert {
                    snapshot: "b".into()
                }
                .into(),
                ListSnapshots {}.into(),
                Screenshot {
                    path: cwd.join("shot.png").display().to_string()
                }
                .into(),
            ]
        );
        // Stopped again: revert starts the VM from the snapshot.
        fake.crash("web", 0);
        let snaps = paths.vm_dir("web").join("snapshots/s1");
        std::fs::create_dir_all(&snaps).unwrap();
        let mut meta = crate::data::snapshots::tests::sample().snapshots[1]
            .meta
            .clone()
            .unwrap();
        meta.id = "s1".into();
        meta.config = VmConfig::load(&paths.vm_config("web")).unwrap();
        std::fs::write(
            snaps.join("meta.json"),
            serde_json::to_string(&meta).unwrap(),
        )
        .unwrap();
        assert_eq!(run("revert web s1 --json"), code::OK);
        assert_eq!(fake.restored(), [("web".to_string(), "s1".to_string())]);
        // Names find snapshots when they are unique.
        let list = SnapshotList::from_api(crate::data::snapshots::tests::sample());
        assert_eq!(find_snapshot(&list, "Before update").as_deref(), Some("b"));
        assert_eq!(find_snapshot(&list, "x"), None);
    }
}
