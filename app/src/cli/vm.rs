//! Commands on VMs and their VMMs: `list`, `status`, `start`, `stop`, `kill`, `restart`, `pause`,
//! `resume`, `console` and `screenshot`.

use super::{absolute, code, Ctx};
use crate::data::client::{self, ClientError, VmmClient, VmmClientExt};
use crate::data::store::{self, VmEntry};
use crate::t;
use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::Arc;
use vmm_core::api::{
    CdromEject, CdromInsert, Command, ErrorCode, Event, PowerOff, Reset, RunState, Screenshot,
    Status,
};

/// A VM's state as the CLI names it, and its VMM's status when it runs.
pub(super) fn state_name(client: &dyn VmmClient, e: &VmEntry) -> (&'static str, Option<Status>) {
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

/// `list`: every VM with its state, as a table or a JSON array.
pub(super) fn list(ctx: &Ctx) -> i32 {
    let rows: Vec<(&VmEntry, &str, Option<Status>)> = ctx
        .entries
        .iter()
        .map(|e| {
            let (st, status) = state_name(ctx.client(), e);
            (e, st, status)
        })
        .collect();
    if ctx.out.json {
        let v: Vec<serde_json::Value> = rows
            .iter()
            .map(|(e, st, status)| match &e.config {
                Ok(c) => serde_json::json!({
                    "id": e.id, "name": c.name, "state": st,
                    "boot": store::boot_summary(c), "vcpus": c.vcpus, "memory_mib": c.memory_mib,
                    // A running VM's confinement (null when stopped or from an older VMM).
                    "confinement": status.as_ref().and_then(|s| s.confinement.as_ref()),
                }),
                Err(err) => serde_json::json!({"id": e.id, "state": st, "error": err}),
            })
            .collect();
        ctx.out.say(serde_json::Value::Array(v));
    } else if rows.is_empty() {
        ctx.out.say(t!("cli-no-vms"));
    } else {
        let w = rows
            .iter()
            .map(|(e, ..)| e.id.len())
            .max()
            .unwrap_or(2)
            .max(2);
        let n = rows
            .iter()
            .map(|(e, ..)| e.name().chars().count())
            .max()
            .unwrap_or(4)
            .max(4);
        ctx.out.say(format!(
            "{:w$}  {:n$}  {:9}  {}",
            t!("cli-col-id"),
            t!("cli-col-name"),
            t!("cli-col-state"),
            t!("cli-col-boot")
        ));
        for (e, st, _) in rows {
            let detail = match &e.config {
                Ok(c) => store::boot_summary(c),
                // A broken VM shows the last line of why: the one that names the problem.
                Err(err) => err
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("")
                    .to_string(),
            };
            ctx.out.say(format!(
                "{:w$}  {:n$}  {:9}  {}",
                e.id,
                e.name(),
                st,
                detail
            ));
        }
    }
    code::OK
}

/// `status VM`: a stopped VM is no failure.
pub(super) fn status(ctx: &Ctx, e: &VmEntry) -> i32 {
    let id = e.id.as_str();
    match ctx.client().status(id) {
        Ok(s) => {
            if ctx.out.json {
                ctx.out.say(serde_json::to_string(&s).unwrap_or_default());
            } else {
                ctx.out.say(t!(
                    "cli-status",
                    vm = id,
                    state = state_name(ctx.client(), e).0,
                    vcpus = s.vcpus.to_string(),
                    memory = s.memory_mib.to_string(),
                    uptime = (s.uptime_ms / 1000).to_string(),
                    pid = s.pid.to_string()
                ));
                if let Some(c) = &s.confinement {
                    ctx.out.say(crate::data::vms::confinement_line(c));
                }
            }
            code::OK
        }
        Err(ClientError::NotRunning) => {
            if ctx.out.json {
                ctx.out
                    .say(serde_json::json!({"vm_id": id, "state": "stopped"}));
            } else {
                ctx.out.say(t!("cli-status-stopped", vm = id));
            }
            code::OK
        }
        Err(err) => ctx.client_error(e, err),
    }
}

pub(super) fn start(ctx: &Ctx, e: &VmEntry) -> i32 {
    let id = e.id.as_str();
    match ctx.client().start(id) {
        Ok(pid) => ctx.out.done(
            serde_json::json!({"ok": true, "pid": pid}),
            t!("cli-started", vm = id, pid = pid.to_string()),
        ),
        Err(err) => ctx.client_error(e, err),
    }
}

/// `stop VM`: the ACPI power button; a guest that ignores it is exit status 5.
pub(super) fn stop(ctx: &Ctx, e: &VmEntry) -> i32 {
    let id = e.id.as_str();
    match ctx.client().call(id, PowerOff {}) {
        Ok(r) => {
            let acked = r.guest_acknowledged;
            if ctx.out.json {
                ctx.out.say(serde_json::json!({"ok": acked, "result": r}));
            } else if acked {
                ctx.out.say(t!("cli-stop-sent", vm = id));
            } else {
                ctx.out
                    .warn(format!("vmdesk: {}", t!("cli-no-response", vm = id)));
            }
            if acked {
                code::OK
            } else {
                code::NO_RESPONSE
            }
        }
        Err(err) => ctx.client_error(e, err),
    }
}

/// `kill`, `pause`, `resume`: one request whose reply only `--json` shows.
pub(super) fn request(ctx: &Ctx, e: &VmEntry, cmd: Command) -> i32 {
    match ctx.client().send(&e.id, cmd) {
        Ok(r) => ctx
            .out
            .done(serde_json::json!({"ok": true, "result": r}), String::new()),
        Err(err) => ctx.client_error(e, err),
    }
}

/// `restart VM`: a reset, then the VM started again.
pub(super) fn restart(ctx: &Ctx, e: &VmEntry) -> i32 {
    let id = e.id.as_str();
    let client = ctx.client();
    if let Err(err) = client.call(id, Reset {}) {
        return ctx.client_error(e, err);
    }
    // The VMM ends with the reset status; start it again once it is gone. If the app started
    // this VM, it restarts it too: whoever comes second finds it running.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while client.status(id).is_ok() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let pid = match client.start(id) {
        Ok(pid) => Ok(pid),
        Err(ClientError::Api {
            code: ErrorCode::InvalidState,
            ..
        }) => client.status(id).map(|s| s.pid),
        Err(err) => Err(err),
    };
    match pid {
        Ok(pid) => ctx.out.done(
            serde_json::json!({"ok": true, "pid": pid}),
            t!("cli-restarted", vm = id, pid = pid.to_string()),
        ),
        Err(err) => ctx.client_error(e, err),
    }
}

/// `screenshot VM FILE`: the VMM writes the PNG, so it gets an absolute path. A name without
/// an extension gets `.png`; another extension is refused (a `.jpg` holding a PNG would lie).
pub(super) fn screenshot(ctx: &Ctx, e: &VmEntry, file: &Path) -> i32 {
    let file = match file.extension().and_then(|x| x.to_str()) {
        None => file.with_extension("png"),
        Some(x) if x.eq_ignore_ascii_case("png") => file.to_path_buf(),
        Some(x) => {
            return ctx.out.fail(
                code::USAGE,
                "bad-argument",
                t!(
                    "cli-screenshot-not-png",
                    file = file.display().to_string(),
                    ext = x
                ),
            )
        }
    };
    let path = absolute(&file).display().to_string();
    match ctx.client().call(&e.id, Screenshot { path: path.clone() }) {
        Ok(_) => ctx.out.done(
            serde_json::json!({"ok": true, "path": path}),
            t!("cli-screenshot", path = path.as_str()),
        ),
        Err(err) => ctx.client_error(e, err),
    }
}

/// `cdrom VM eject|insert FILE [--drive N]`: the VMM opens the file, so it gets an absolute
/// path.
pub(super) fn cdrom(ctx: &Ctx, e: &VmEntry, drive: &str, insert: Option<&Path>) -> i32 {
    let Ok(drive) = drive.parse::<usize>() else {
        return ctx.out.fail(
            code::USAGE,
            "bad-argument",
            t!("cli-cdrom-bad-drive", drive = drive),
        );
    };
    let result = match insert {
        None => ctx
            .client()
            .call(&e.id, CdromEject { drive })
            .map(|_| t!("cli-cdrom-ejected", drive = drive.to_string())),
        Some(file) => {
            let path = absolute(file).display().to_string();
            ctx.client()
                .call(
                    &e.id,
                    CdromInsert {
                        drive,
                        path: path.clone(),
                    },
                )
                .map(|_| {
                    t!(
                        "cli-cdrom-inserted",
                        drive = drive.to_string(),
                        path = path.as_str()
                    )
                })
        }
    };
    match result {
        Ok(msg) => ctx
            .out
            .done(serde_json::json!({"ok": true, "drive": drive}), msg),
        Err(err) => ctx.client_error(e, err),
    }
}

/// `console VM`: streams the serial console to stdout and sends stdin lines to the guest,
/// until the VM ends; its exit status is the VM's.
pub(super) fn console(ctx: &Ctx, e: &VmEntry) -> i32 {
    attach(ctx.client.clone(), &e.id, ctx.out.json).unwrap_or_else(|err| ctx.client_error(e, err))
}

fn attach(client: Arc<dyn VmmClient>, id: &str, json: bool) -> Result<i32, ClientError> {
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
            let line = serde_json::to_string(&ev).unwrap_or_default();
            if super::write_line(&mut stdout, &line).is_err() {
                // Nobody reads any more (a closed pipe): detach, the VM keeps running.
                return Ok(code::OK);
            }
            if let Event::Exited { code, .. } = ev {
                return Ok(code);
            }
            continue;
        }
        match ev {
            Event::Serial { data } => {
                let data = client::decode_serial(&data);
                if stdout
                    .write_all(&data)
                    .and_then(|_| stdout.flush())
                    .is_err()
                {
                    return Ok(code::OK);
                }
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
