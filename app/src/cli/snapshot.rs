//! `snapshot`, `snapshots` and `revert`.

use super::{code, Ctx, SnapshotCommand};
use crate::data::client::{ClientError, VmmClient, VmmClientExt};
use crate::data::paths::Paths;
use crate::data::snapshots::SnapshotList;
use crate::data::store::VmEntry;
use crate::t;
use vmm_core::api::{ListSnapshots, SnapshotCreate, SnapshotRevert};

pub(super) fn run(ctx: &Ctx, command: &SnapshotCommand) -> i32 {
    match command {
        SnapshotCommand::Take {
            vm,
            name,
            description,
        } => ctx.with_vm(vm, |e| take(ctx, e, name, description)),
        SnapshotCommand::List { vm } => ctx.with_vm(vm, |e| list(ctx, e)),
        SnapshotCommand::Revert { vm, snapshot } => ctx.with_vm(vm, |e| revert(ctx, e, snapshot)),
    }
}

/// `snapshot VM [--name N] [--description D]`: needs a running VM.
fn take(ctx: &Ctx, e: &VmEntry, name: &str, description: &str) -> i32 {
    let id = e.id.as_str();
    let req = SnapshotCreate {
        name: name.to_string(),
        description: description.to_string(),
    };
    match ctx.client().call(id, req) {
        Ok(c) => {
            let text = t!(
                "cli-snapshot-taken",
                vm = id,
                snapshot = c.id.as_str(),
                total = format!("{:.0}", c.timing.total_ms),
                paused = format!("{:.0}", c.timing.paused_ms)
            );
            ctx.out
                .done(serde_json::json!({"ok": true, "result": c}), text)
        }
        Err(err) => ctx.client_error(e, err),
    }
}

/// `snapshots VM`: the tree, `*` marking the snapshot the VM runs from.
fn list(ctx: &Ctx, e: &VmEntry) -> i32 {
    let id = e.id.as_str();
    let list = match snapshot_list(ctx.client(), ctx.paths, id) {
        Ok(l) => l,
        Err(err) => return ctx.client_error(e, err),
    };
    if ctx.out.json {
        ctx.out.say(snapshots_json(&list));
    } else if list.items.is_empty() {
        ctx.out.say(t!("cli-no-snapshots", vm = id));
    } else {
        for (depth, s) in list.tree() {
            let mark = if list.current.as_deref() == Some(s.id.as_str()) {
                "*"
            } else {
                " "
            };
            let indent = "  ".repeat(depth);
            if s.complete {
                ctx.out.say(format!(
                    "{mark} {indent}{}  {}  {}",
                    s.id,
                    crate::data::snapshots::local_time(s.created_unix_ms),
                    s.name
                ));
            } else {
                ctx.out.say(format!(
                    "{mark} {indent}{}  {}",
                    s.id,
                    t!(
                        "cli-snapshot-incomplete",
                        problem = s.problem.clone().unwrap_or_default()
                    )
                ));
            }
        }
    }
    code::OK
}

/// `revert VM SNAPSHOT`: a running VM goes back in place, a stopped one starts from it.
fn revert(ctx: &Ctx, e: &VmEntry, key: &str) -> i32 {
    let id = e.id.as_str();
    let client = ctx.client();
    let list = match snapshot_list(client, ctx.paths, id) {
        Ok(l) => l,
        Err(err) => return ctx.client_error(e, err),
    };
    let Some(snap) = find_snapshot(&list, key) else {
        return ctx.out.fail(
            code::NO_SUCH_SNAPSHOT,
            "no-such-snapshot",
            t!("cli-no-such-snapshot", vm = id, snapshot = key),
        );
    };
    if client.status(id).is_ok() {
        match client.call(
            id,
            SnapshotRevert {
                snapshot: snap.clone(),
            },
        ) {
            Ok(r) => ctx.out.done(
                serde_json::json!({"ok": true, "result": r}),
                t!("cli-reverted", vm = id, snapshot = snap.as_str()),
            ),
            Err(err) => ctx.client_error(e, err),
        }
    } else {
        match client.start_from(id, Some(&snap)) {
            Ok(pid) => ctx.out.done(
                serde_json::json!({"ok": true, "pid": pid, "snapshot": snap}),
                t!(
                    "cli-started-from",
                    vm = id,
                    snapshot = snap.as_str(),
                    pid = pid.to_string()
                ),
            ),
            Err(err) => ctx.client_error(e, err),
        }
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
pub(super) fn find_snapshot(list: &SnapshotList, key: &str) -> Option<String> {
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
