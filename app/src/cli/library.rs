//! Commands that change the library itself: `create`, `clone` and `delete`.

use super::parse::parse_size;
use super::{absolute, code, CreateArgs, Ctx};
use crate::data::disks::{self, DiskDisposal, DiskPlan};
use crate::data::store;
use crate::t;
use vmm_core::config::{BootSource, DisplayConfig, VmConfig};

/// `create NAME --kernel K [--initrd I] [--cmdline C] [--vcpus N] [--memory MIB] [--display WxH]
/// [--network] [--disk-size GIB | --disk IMAGE [--linked] [--read-only]]`
pub(super) fn create(ctx: &Ctx, args: &CreateArgs) -> i32 {
    let (paths, out) = (ctx.paths, &ctx.out);
    let name = args.name.as_str();
    let bad = |m: String| out.fail(code::USAGE, "bad-argument", m);
    if let Err(e) = vmm_core::config::validate::validate_name(name) {
        return bad(crate::data::problems::describe(&e.kind));
    }
    let id = store::derive_id(name, &taken(ctx));
    let mut cfg = VmConfig::new_linux(&id, name.trim(), absolute(&args.kernel));
    let host = crate::data::host::HostInfo::detect();
    cfg.vcpus = host.default_vcpus();
    cfg.memory_mib = host.default_memory_mib();
    // `new_linux` made a direct kernel boot.
    if let BootSource::Linux {
        initrd, cmdline, ..
    } = &mut cfg.boot
    {
        *initrd = args.initrd.as_deref().map(absolute);
        if let Some(c) = &args.cmdline {
            c.clone_into(cmdline);
        }
    }
    if let Some(v) = &args.vcpus {
        match v.parse() {
            Ok(n) => cfg.vcpus = n,
            Err(_) => return bad(t!("cli-bad-number", option = "--vcpus", value = v.as_str())),
        }
    }
    if let Some(v) = &args.memory {
        match v.parse() {
            Ok(n) => cfg.memory_mib = n,
            Err(_) => {
                return bad(t!(
                    "cli-bad-number",
                    option = "--memory",
                    value = v.as_str()
                ))
            }
        }
    }
    if let Some(v) = &args.display {
        match parse_size(v) {
            Some((width, height)) => {
                cfg.display = Some(DisplayConfig {
                    width,
                    height,
                    ..Default::default()
                })
            }
            None => return bad(t!("cli-bad-display", value = v.as_str())),
        }
    }
    if args.network {
        cfg.nics = vec![Default::default()];
    }
    let plan = match (&args.disk_size, &args.disk) {
        (Some(_), Some(_)) => return bad(t!("cli-bad-disk")),
        (Some(v), None) => match disks::check_size_gib(v, disks::free_space(&paths.vms_dir())) {
            Ok(size_bytes) => Some(DiskPlan::New { size_bytes }),
            Err(e) => return bad(format!("--disk-size: {e}")),
        },
        (None, Some(p)) => {
            let path = absolute(p);
            if let Err(e) = disks::check_existing(&path.display().to_string()) {
                return bad(format!("--disk: {e}"));
            }
            Some(DiskPlan::Existing {
                path,
                linked: args.linked,
                read_only: args.read_only,
            })
        }
        (None, None) => None,
    };
    if args.linked && args.disk.is_none() {
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

/// `clone VM NAME [--full]`: a linked clone unless `full`; the source must be stopped.
pub(super) fn clone(ctx: &Ctx, key: &str, name: &str, full: bool) -> i32 {
    let e = match ctx.find(key) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let src = match &e.config {
        Ok(c) => c,
        Err(err) => return ctx.broken(e, err),
    };
    if ctx.client().status(&e.id).is_ok() {
        return ctx.out.fail(
            code::WRONG_STATE,
            "running",
            t!("cli-clone-running", vm = e.id.as_str()),
        );
    }
    if let Err(e) = vmm_core::config::validate::validate_name(name) {
        let reason = crate::data::problems::describe(&e.kind);
        return ctx.out.fail(code::USAGE, "bad-argument", reason);
    }
    let id = store::derive_id(name, &taken(ctx));
    let linked = !full;
    let progress = disks::Progress::default();
    match disks::clone_vm(ctx.paths, src, &id, name, linked, &progress) {
        Ok(cfg) => ctx.out.done(
            serde_json::json!({"ok": true, "id": id, "linked": linked, "disks": cfg.disks}),
            t!("cli-cloned", vm = e.id.as_str(), clone = id.as_str()),
        ),
        Err(err) => ctx.out.fail(code::ERROR, "error", err),
    }
}

/// `delete VM [--keep-disks]`: a stopped VM, broken or not; its disks go to the trash unless
/// kept.
pub(super) fn delete(ctx: &Ctx, key: &str, keep_disks: bool) -> i32 {
    let e = match ctx.find(key) {
        Ok(e) => e,
        Err(code) => return code,
    };
    if ctx.client().status(&e.id).is_ok() {
        return ctx.out.fail(
            code::WRONG_STATE,
            "running",
            t!("error-delete-running", name = e.name()),
        );
    }
    let disposal = if keep_disks {
        DiskDisposal::Keep
    } else {
        DiskDisposal::Trash
    };
    match disks::delete_vm(ctx.paths, &e.id, disposal) {
        Ok(kept) => ctx.out.done(
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
        Err(err) => ctx.out.fail(code::ERROR, "error", err),
    }
}

/// The ids in use: a new VM's id must differ from them.
fn taken(ctx: &Ctx) -> Vec<String> {
    ctx.entries.iter().map(|e| e.id.clone()).collect()
}
