//! `export VM --libvirt|--kubevirt [FILE]` and `import FILE.xml`: VMs to and from libvirt and
//! KubeVirt (`data::export`). What the other side cannot express is printed on stderr, one
//! line each, and in `--json` as `notes`.

use super::{absolute, code, Ctx};
use crate::data::export::{self, kubevirt, Exported};
use crate::data::store::VmEntry;
use crate::t;
use std::path::Path;

/// The format `export` writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    Libvirt,
    Kubevirt(kubevirt::Options),
}

/// `export VM …`: to `file` (written atomically) or stdout.
pub(super) fn export(ctx: &Ctx, e: &VmEntry, format: &Format, file: Option<&Path>) -> i32 {
    let out = &ctx.out;
    // `with_vm` only calls here for a VM whose config reads.
    let Ok(cfg) = &e.config else {
        return code::ERROR;
    };
    let made = match format {
        Format::Libvirt => export::libvirt::export(cfg, &e.dir),
        Format::Kubevirt(opts) => export::kubevirt::export(cfg, opts),
    };
    let Exported {
        text,
        notes,
        uploads,
    } = match made {
        Ok(x) => x,
        Err(err) => return out.fail(code::ERROR, "error", err),
    };
    if let Some(f) = file {
        let f = absolute(f);
        if let Err(err) = vmm_core::util::write_atomic(&f, text.as_bytes()) {
            return out.fail(code::ERROR, "error", format!("{}: {err}", f.display()));
        }
    }
    if !out.json {
        for n in &notes {
            out.warn(format!(
                "vmdesk: {}",
                t!("cli-export-note", note = n.as_str())
            ));
        }
        if !uploads.is_empty() {
            out.warn(t!("cli-export-upload"));
            for u in &uploads {
                out.warn(format!("  {u}"));
            }
        }
    }
    let json = serde_json::json!({
        "ok": true, "id": e.id, "file": file.map(absolute), "notes": notes, "uploads": uploads,
        "text": if file.is_none() { Some(&text) } else { None },
    });
    match file {
        Some(f) => out.done(
            json,
            t!(
                "cli-exported",
                vm = e.id.as_str(),
                file = absolute(f).display().to_string()
            ),
        ),
        None => out.done(json, text.trim_end().to_string()),
    }
}

/// `import FILE`: a new VM from a libvirt domain; its disks and discs stay where they are.
pub(super) fn import(ctx: &Ctx, file: &Path) -> i32 {
    let out = &ctx.out;
    let file = absolute(file);
    let host = crate::data::host::HostInfo::detect();
    let (cfg, notes) = match export::import_to_library(ctx.paths, &file, &host.limits()) {
        Ok(x) => x,
        Err(export::ImportError::Refused(m)) => return out.fail(code::USAGE, "bad-input", m),
        Err(export::ImportError::Write(m)) => return out.fail(code::ERROR, "error", m),
    };
    if !out.json {
        for n in &notes {
            out.warn(format!(
                "vmdesk: {}",
                t!("cli-import-note", note = n.as_str())
            ));
        }
    }
    out.done(
        serde_json::json!({
            "ok": true, "id": cfg.id, "config": ctx.paths.vm_config(&cfg.id),
            "notes": notes,
        }),
        t!(
            "cli-imported",
            file = file.display().to_string(),
            vm = cfg.id.as_str()
        ),
    )
}
