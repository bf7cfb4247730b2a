//! `lab create|reset|list` (lab mode: a template's numbered student copies) and the throwaway
//! half of `start --throwaway`.

use super::{code, Ctx, LabCommand};
use crate::data::lab::{self, throwaway};
use crate::data::store::VmEntry;
use crate::t;

pub(super) fn run(ctx: &Ctx, c: &LabCommand) -> i32 {
    match c {
        LabCommand::Create {
            template,
            count,
            prefix,
        } => ctx.with_vm(template, |e| create(ctx, e, count, prefix)),
        LabCommand::Reset { vm, all: false } => ctx.with_vm(vm, |e| reset_one(ctx, e)),
        LabCommand::Reset { vm, all: true } => ctx.with_vm(vm, |e| reset_all(ctx, e)),
        LabCommand::List { template } => ctx.with_vm(template, |e| list(ctx, e)),
    }
}

fn create(ctx: &Ctx, e: &VmEntry, count: &str, prefix: &str) -> i32 {
    let Ok(cfg) = &e.config else {
        return code::ERROR;
    };
    let n = match lab::check_request(count, prefix) {
        Ok(n) => n,
        Err(m) => return ctx.out.fail(code::USAGE, "bad-argument", m),
    };
    if ctx.client().status(&e.id).is_ok() {
        return ctx.out.fail(
            code::WRONG_STATE,
            "running",
            t!("cli-clone-running", vm = e.id.as_str()),
        );
    }
    let progress = |k: usize, n: usize| {
        if !ctx.out.json {
            ctx.out.warn(t!(
                "lab-progress",
                done = k.to_string(),
                total = n.to_string()
            ));
        }
    };
    match lab::make_students(ctx.paths, cfg, prefix, n, progress) {
        Ok(made) => {
            let ids: Vec<&str> = made.iter().map(|c| c.id.as_str()).collect();
            let names: Vec<&str> = made.iter().map(|c| c.name.as_str()).collect();
            ctx.out.done(
                serde_json::json!({"ok": true, "template": e.id, "students": ids, "names": names}),
                t!(
                    "lab-made",
                    count = made.len().to_string(),
                    vm = cfg.name.as_str(),
                    names = names.join(", ")
                ),
            )
        }
        Err(m) => ctx.out.fail(code::ERROR, "error", m),
    }
}

/// Exit status and JSON kind of a failed reset: running is a state problem, the rest errors.
fn reset_failure(ctx: &Ctx, id: &str, m: String) -> i32 {
    if ctx.client().status(id).is_ok() {
        ctx.out.fail(code::WRONG_STATE, "running", m)
    } else {
        ctx.out.fail(code::ERROR, "error", m)
    }
}

fn reset_one(ctx: &Ctx, e: &VmEntry) -> i32 {
    match lab::reset_student(ctx.paths, ctx.client(), &e.id) {
        Ok(lost) => ctx.out.done(
            serde_json::json!({"ok": true, "reset": [e.id], "snapshots_dropped": lost}),
            t!(
                "lab-reset-done",
                vm = e.name(),
                snapshots = lost.to_string()
            ),
        ),
        Err(m) => reset_failure(ctx, &e.id, m),
    }
}

fn reset_all(ctx: &Ctx, e: &VmEntry) -> i32 {
    let results = lab::reset_all(ctx.paths, ctx.client(), &e.id);
    if results.is_empty() {
        return ctx.out.fail(
            code::WRONG_STATE,
            "no-students",
            t!("lab-no-students", vm = e.name()),
        );
    }
    let failed: Vec<String> = results
        .iter()
        .filter_map(|(_, r)| r.as_ref().err().cloned())
        .collect();
    let done: Vec<&str> = results
        .iter()
        .filter(|(_, r)| r.is_ok())
        .map(|(id, _)| id.as_str())
        .collect();
    if ctx.out.json {
        let rows: Vec<serde_json::Value> = results
            .iter()
            .map(|(id, r)| match r {
                Ok(n) => serde_json::json!({"id": id, "ok": true, "snapshots_dropped": n}),
                Err(m) => serde_json::json!({"id": id, "ok": false, "error": m}),
            })
            .collect();
        ctx.out
            .say(serde_json::json!({"ok": failed.is_empty(), "results": rows}));
    } else {
        ctx.out.say(t!(
            "lab-reset-all-done",
            count = done.len().to_string(),
            total = results.len().to_string()
        ));
        for m in &failed {
            ctx.out.warn(format!("vmdesk: {m}"));
        }
    }
    if failed.is_empty() {
        code::OK
    } else {
        code::WRONG_STATE
    }
}

fn list(ctx: &Ctx, e: &VmEntry) -> i32 {
    let students = lab::students(ctx.paths, &e.id);
    let rows: Vec<(&VmEntry, &str)> = students
        .iter()
        .map(|s| (s, super::vm::state_name(ctx.client(), s).0))
        .collect();
    if ctx.out.json {
        let v: Vec<serde_json::Value> = rows
            .iter()
            .map(|(s, st)| serde_json::json!({"id": s.id, "name": s.name(), "state": st}))
            .collect();
        return ctx.out.done(
            serde_json::json!({"template": e.id, "students": v}),
            String::new(),
        );
    }
    if !lab::is_template(ctx.paths, &e.id) {
        ctx.out.say(t!("lab-no-students", vm = e.name()));
        return code::OK;
    }
    let w = rows.iter().map(|(s, _)| s.id.len()).max().unwrap_or(2);
    let n = rows
        .iter()
        .map(|(s, _)| s.name().chars().count())
        .max()
        .unwrap_or(4);
    for (s, st) in rows {
        ctx.out.say(format!("{:w$}  {:n$}  {st}", s.id, s.name()));
    }
    code::OK
}

/// `start --throwaway`: the VM's disks onto temporary overlays first (never on a running VM:
/// that one's start fails as any second start does).
pub(super) fn prepare_throwaway(ctx: &Ctx, e: &VmEntry) -> Result<(), i32> {
    let Ok(cfg) = &e.config else {
        return Ok(());
    };
    if ctx.client().status(&e.id).is_ok() {
        return Ok(());
    }
    throwaway::prepare(ctx.paths, cfg).map_err(|m| ctx.out.fail(code::ERROR, "error", m))
}
