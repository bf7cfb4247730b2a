//! `vmdesk compare [VM] [--initramfs FILE]`: the Linux test guest's busybox root run as a
//! container by crun and, when a VM is named, that VM, measured side by side (the textbook's
//! "Containers vs VMs" table). Ctrl+C stops the measuring and still removes the container.

use super::{code, Ctx};
use crate::data::compare::{container, table, vm, Comparison};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

/// Raised by SIGINT; the data layer checks it between steps and cleans up.
static CANCEL: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_: libc::c_int) {
    CANCEL.store(true, Ordering::Relaxed);
}

pub(super) fn compare(ctx: &Ctx, vm_key: Option<&str>, initramfs: Option<&Path>) -> i32 {
    let entry = match vm_key.map(|k| ctx.find(k)).transpose() {
        Ok(e) => e,
        Err(code) => return code,
    };
    if let Some(Err(err)) = entry.map(|e| &e.config) {
        return ctx.broken(entry.expect("checked"), err);
    }
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe { libc::signal(libc::SIGINT, on_sigint as *const () as libc::sighandler_t) };
    let opts = container::Options::new(
        initramfs
            .map(super::absolute)
            .unwrap_or_else(container::default_initramfs),
    );
    let report = container::run(&opts, &CANCEL);
    let container = match report {
        Ok(r) => r,
        Err(e) => return ctx.out.fail(code::ERROR, "compare", e),
    };
    let (vm, vm_error) = match entry {
        Some(e) => match vm::measure(ctx.client(), ctx.paths, e, &CANCEL) {
            Ok(r) => (Some(r), None),
            Err(err) => (None, Some(err)),
        },
        None => (None, None),
    };
    let cmp = Comparison {
        container,
        vm,
        vm_error,
    };
    let json = serde_json::to_value(&cmp).unwrap_or_default();
    ctx.out.done(json, table::text(&cmp))
}
