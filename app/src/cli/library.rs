//! Commands that change the library itself: `create`, `clone` and `delete`.

use super::parse::parse_size;
use super::{absolute, code, install, CreateArgs, Ctx};
use crate::data::disks::{self, DiskDisposal, DiskPlan};
use crate::data::store;
use crate::t;
use vmm_core::config::{BootSource, DisplayConfig, VmConfig};

/// `create NAME (--kernel K [--initrd I] [--cmdline C] | --iso F | --boot-disk F [--linked |
/// --copy]) [--firmware uefi|bios] [--vcpus N] [--memory MIB] [--display WxH | --no-display]
/// [--network] [--disk-size GIB | --disk IMAGE [--linked] [--read-only]]`
pub(super) fn create(ctx: &Ctx, args: &CreateArgs) -> i32 {
    let (paths, out) = (ctx.paths, &ctx.out);
    let name = args.name.as_str();
    let bad = |m: String| out.fail(code::USAGE, "bad-argument", m);
    if let Err(e) = vmm_core::config::validate::validate_name(name) {
        return bad(crate::data::problems::describe(&e.kind));
    }
    if let Err(m) = check_options(args) {
        return bad(m);
    }
    let hw = match Hardware::parse(ctx, args) {
        Ok(hw) => hw,
        Err(m) => return bad(m),
    };
    let id = store::derive_id(name, &taken(ctx));
    let host = crate::data::host::HostInfo::detect();
    let made = match (&args.kernel, args.iso.as_ref().or(args.boot_disk.as_ref())) {
        (Some(kernel), _) => Ok((kernel_vm(args, &hw, &host, &id, kernel), hw.disk, None)),
        (None, Some(file)) => install::vm(ctx, args, hw, &host, &id, file),
        // The parser makes sure one of them is given.
        (None, None) => Err(bad(t!("cli-create-one-boot"))),
    };
    let (cfg, mut plan, detection) = match made {
        Ok(m) => m,
        Err(code) => return code,
    };
    if let Err(m) = confirm_backing(ctx, plan.as_mut(), args.allow_backing) {
        return out.fail(code::ERROR, "backing-refused", m);
    }
    if let Err(errs) = cfg.validate(&host.limits()) {
        return bad(crate::data::problems::describe_all(&errs));
    }
    let config = paths.vm_config(&id);
    match disks::create_vm(paths, &cfg, plan.as_ref()) {
        Ok(cfg) => {
            let mut text = t!(
                "cli-created",
                vm = id.as_str(),
                path = config.display().to_string()
            );
            if let Some(d) = &detection {
                text = format!("{text}\n{}", install::summary(d, &cfg));
            }
            out.done(
                serde_json::json!({
                    "ok": true, "id": id, "config": config, "disks": cfg.disks,
                    "cdroms": cfg.cdroms, "os": cfg.os.as_ref().map(|o| &o.id),
                    "vcpus": cfg.vcpus, "memory_mib": cfg.memory_mib,
                    "firmware": install::firmware_of(&cfg.boot),
                }),
                text,
            )
        }
        Err(e) => out.fail(code::ERROR, "error", e),
    }
}

/// An existing image's backing chain before the VM first uses it: files outside the image's
/// folder are used only with `--allow-backing` (recorded in the plan, then in vm.toml), and a
/// chain with a device node, FIFO or /proc file is refused whatever the flag. `Err` is the
/// message, the chain printed in it.
fn confirm_backing(ctx: &Ctx, plan: Option<&mut DiskPlan>, allow: bool) -> Result<(), String> {
    use crate::data::backing::{self, Chain};
    let Some(plan) = plan else { return Ok(()) };
    let Some(image) = plan.image().map(std::path::Path::to_path_buf) else {
        return Ok(());
    };
    let chain = backing::check(&image, None, &[])?;
    let shown = backing::describe(&image, &chain);
    match &chain {
        Chain::Fine(_) => Ok(()),
        Chain::Refused { .. } => Err(t!("cli-backing-refused", chain = shown)),
        Chain::Ask { folders, .. } if allow => {
            // What is allowed is said, on stderr (kept out of what a pipe reads).
            ctx.out.warn(shown);
            plan.allow(folders);
            Ok(())
        }
        Chain::Ask { folders, .. } => Err(t!(
            "cli-backing-ask",
            chain = shown,
            folders = folders
                .iter()
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// Options that only make sense with another one (or without one), explained.
fn check_options(a: &CreateArgs) -> Result<(), String> {
    let needs =
        |option: &str, needs: &str| Err(t!("cli-option-needs", option = option, needs = needs));
    let conflict = |a: &str, b: &str| Err(t!("cli-options-conflict", first = a, second = b));
    let kernel = a.kernel.is_some();
    let boot_disk = a.boot_disk.is_some();
    if !kernel && a.initrd.is_some() {
        return needs("--initrd", "--kernel");
    }
    if !kernel && a.cmdline.is_some() {
        return needs("--cmdline", "--kernel");
    }
    if kernel && a.firmware.is_some() {
        return needs("--firmware", "--iso, --boot-disk");
    }
    if a.copy && !boot_disk {
        return needs("--copy", "--boot-disk");
    }
    if a.linked && a.copy {
        return conflict("--linked", "--copy");
    }
    if a.display.is_some() && a.no_display {
        return conflict("--display", "--no-display");
    }
    if a.disk_size.is_some() && a.disk.is_some() {
        return Err(t!("cli-bad-disk"));
    }
    if boot_disk {
        if a.disk.is_some() {
            return conflict("--disk", "--boot-disk");
        }
        if a.disk_size.is_some() {
            return conflict("--disk-size", "--boot-disk");
        }
    }
    if a.linked && a.disk.is_none() && !boot_disk {
        return needs("--linked", "--disk, --boot-disk");
    }
    if a.read_only && a.disk.is_none() {
        return needs("--read-only", "--disk");
    }
    if a.allow_backing && a.disk.is_none() && !boot_disk {
        return needs("--allow-backing", "--disk, --boot-disk");
    }
    Ok(())
}

/// The hardware options, typed and checked.
pub(super) struct Hardware {
    pub vcpus: Option<u32>,
    pub memory_mib: Option<u64>,
    /// `None`: the default; `Some(None)`: `--no-display`.
    pub display: Option<Option<DisplayConfig>>,
    /// `--disk-size` or `--disk`.
    pub disk: Option<DiskPlan>,
}

impl Hardware {
    fn parse(ctx: &Ctx, args: &CreateArgs) -> Result<Hardware, String> {
        let number = |option: &str, v: &Option<String>| -> Result<Option<u64>, String> {
            v.as_ref()
                .map(|v| {
                    v.trim()
                        .parse()
                        .map_err(|_| t!("cli-bad-number", option = option, value = v.as_str()))
                })
                .transpose()
        };
        let vcpus = number("--vcpus", &args.vcpus)?.map(|n| u32::try_from(n).unwrap_or(u32::MAX));
        let memory_mib = number("--memory", &args.memory)?;
        let display = match (&args.display, args.no_display) {
            (Some(v), _) => match parse_size(v) {
                Some((width, height)) => Some(Some(DisplayConfig {
                    width,
                    height,
                    ..Default::default()
                })),
                None => return Err(t!("cli-bad-display", value = v.as_str())),
            },
            (None, true) => Some(None),
            (None, false) => None,
        };
        let disk = match (&args.disk_size, &args.disk) {
            (Some(v), _) => {
                let size_bytes =
                    disks::check_size_gib(v).map_err(|e| format!("--disk-size: {e}"))?;
                if let Some(w) =
                    disks::over_free(size_bytes, disks::free_space(&ctx.paths.vms_dir()))
                {
                    eprintln!("vmdesk: --disk-size: {w}");
                }
                Some(DiskPlan::New { size_bytes })
            }
            (None, Some(p)) => {
                let path = absolute(p);
                disks::check_existing(&path.display().to_string())
                    .map_err(|e| format!("--disk: {e}"))?;
                Some(DiskPlan::Existing {
                    path,
                    linked: args.linked,
                    read_only: args.read_only,
                    allow: Vec::new(),
                })
            }
            (None, None) => None,
        };
        Ok(Hardware {
            vcpus,
            memory_mib,
            display,
            disk,
        })
    }
}

/// A VM booting `kernel` directly, with the host's default size unless told otherwise.
fn kernel_vm(
    args: &CreateArgs,
    hw: &Hardware,
    host: &crate::data::host::HostInfo,
    id: &str,
    kernel: &std::path::Path,
) -> VmConfig {
    let mut cfg = VmConfig::new_linux(id, args.name.trim(), absolute(kernel));
    cfg.vcpus = hw.vcpus.unwrap_or(host.default_vcpus());
    cfg.memory_mib = hw.memory_mib.unwrap_or(host.default_memory_mib());
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
    cfg.display = hw.display.clone().flatten();
    if args.network {
        cfg.nics = vec![Default::default()];
    }
    cfg
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
