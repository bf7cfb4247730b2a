//! Installing an OS from the command line: `detect FILE` says what an ISO or disk image holds
//! (osinfo-db) and what a VM for it gets; `create NAME --iso FILE | --boot-disk FILE` makes that
//! VM (through `data::install`).

use super::library::Hardware;
use super::{absolute, code, CreateArgs, Ctx, Out};
use crate::data::disks::{self, DiskPlan};
use crate::data::host::HostInfo;
use crate::data::install::{self, BootDiskUse, Overrides};
use crate::data::media::{MediaError, MediaKind};
use crate::data::osinfo::{self, Detection, Firmware, Notice};
use crate::data::stats::human_bytes;
use crate::t;
use std::path::Path;
use vmm_core::config::{BootSource, VmConfig};

/// `detect FILE`: the medium, the OS, the firmware and the recommended size, or why the file
/// cannot be installed from (exit status 2).
pub(super) fn detect(ctx: &Ctx, file: &Path) -> i32 {
    let host = HostInfo::detect();
    match detection(&ctx.out, &absolute(file), &host) {
        Ok(d) => ctx.out.done(to_json(&d), describe(&d)),
        Err(code) => code,
    }
}

/// Detects `path`; a file that is no medium, or cannot be read, is a usage error naming it.
fn detection(out: &Out, path: &Path, host: &HostInfo) -> Result<Detection, i32> {
    osinfo::detect(path, host.max_vcpus()).map_err(|e| match e {
        MediaError::NotMedia { path, reason } => out.fail(
            code::USAGE,
            "not-media",
            t!(
                "cli-not-media",
                file = path.display().to_string(),
                reason = reason
            ),
        ),
        MediaError::CannotRead { path, reason } => out.fail(
            code::USAGE,
            "cannot-read",
            t!(
                "cli-cannot-read",
                file = path.display().to_string(),
                reason = reason
            ),
        ),
    })
}

/// `--json` of `detect`: the keys `vmdesk --help` documents.
fn to_json(d: &Detection) -> serde_json::Value {
    let (kind, iso, image) = match &d.media {
        MediaKind::Iso(l) => (
            "iso",
            serde_json::json!({
                "volume_id": l.volume_id, "system_id": l.system_id,
                "publisher_id": l.publisher_id, "application_id": l.application_id,
                "size_bytes": l.volume_size,
            }),
            serde_json::Value::Null,
        ),
        MediaKind::DiskImage {
            format,
            virtual_size,
        } => (
            "disk-image",
            serde_json::Value::Null,
            serde_json::json!({"format": format.to_string(), "virtual_size": virtual_size}),
        ),
    };
    let os = d.os.as_ref().map(|o| {
        serde_json::json!({
            "id": o.id, "short_id": o.short_id, "name": o.name, "version": o.version,
        })
    });
    let notice = d.notice.as_ref().map(|n| {
        serde_json::json!({
            "code": match n { Notice::UnknownOs => "unknown-os", Notice::NoDatabase { .. } => "no-database" },
            "message": notice_text(n),
        })
    });
    serde_json::json!({
        "ok": true,
        "path": d.path,
        "kind": kind,
        "iso": iso,
        "disk_image": image,
        "os": os,
        "firmware": firmware_name(install::default_firmware(d)),
        "memory_mib": d.resources.memory_mib,
        "disk_gib": d.resources.disk_gib,
        "vcpus": d.resources.vcpus,
        "notice": notice,
    })
}

/// `detect`'s text: the medium, the OS, firmware and size, and the notice if there is one.
fn describe(d: &Detection) -> String {
    let file = d.path.display().to_string();
    let medium = match &d.media {
        MediaKind::Iso(l) => t!(
            "cli-detect-iso",
            file = file,
            volume = l.volume_id.as_str(),
            size = human_bytes(l.volume_size)
        ),
        MediaKind::DiskImage {
            format,
            virtual_size,
        } => t!(
            "cli-detect-disk-image",
            file = file,
            format = format.to_string(),
            size = human_bytes(*virtual_size)
        ),
    };
    let firmware = match install::default_firmware(d) {
        Firmware::Uefi => "UEFI",
        Firmware::Bios => "BIOS",
    };
    let (memory, vcpus) = (
        d.resources.memory_mib.to_string(),
        d.resources.vcpus.to_string(),
    );
    // A disk image is the disk: only an installer's new disk has a recommended size.
    let resources = match d.media {
        MediaKind::Iso(_) => t!(
            "cli-detect-resources",
            memory = memory,
            disk = d.resources.disk_gib.to_string(),
            vcpus = vcpus
        ),
        MediaKind::DiskImage { .. } => {
            t!("cli-detect-resources-image", memory = memory, vcpus = vcpus)
        }
    };
    let mut lines = vec![
        medium,
        os_line(d),
        t!("cli-detect-firmware", firmware = firmware),
        resources,
    ];
    lines.extend(d.notice.as_ref().map(notice_text));
    lines.join("\n")
}

fn os_line(d: &Detection) -> String {
    match &d.os {
        Some(os) => t!(
            "cli-detect-os",
            name = os.name.as_str(),
            id = os.id.as_str()
        ),
        None => t!("cli-detect-os-unknown"),
    }
}

fn notice_text(n: &Notice) -> String {
    match n {
        Notice::UnknownOs => t!("cli-notice-unknown-os"),
        Notice::NoDatabase { reason } => t!("cli-notice-no-database", reason = reason.as_str()),
    }
}

fn firmware_name(f: Firmware) -> &'static str {
    match f {
        Firmware::Uefi => "uefi",
        Firmware::Bios => "bios",
    }
}

/// `uefi`, `bios` or `linux`: how a VM boots, for `create --json`.
pub(super) fn firmware_of(boot: &BootSource) -> &'static str {
    Firmware::of(boot).map_or("linux", firmware_name)
}

/// After `create --iso/--boot-disk`: what the VM was made for, and the notice if any.
pub(super) fn summary(d: &Detection, cfg: &VmConfig) -> String {
    let firmware = firmware_of(&cfg.boot).to_uppercase();
    let mut lines = vec![
        os_line(d),
        t!(
            "cli-created-install",
            memory = cfg.memory_mib.to_string(),
            vcpus = cfg.vcpus.to_string(),
            firmware = firmware
        ),
    ];
    lines.extend(d.notice.as_ref().map(notice_text));
    lines.join("\n")
}

/// The VM and disk for `create --iso FILE` / `--boot-disk FILE`: the detected defaults, with
/// the options given over them. `Err` is the exit status once the failure is printed.
pub(super) fn vm(
    ctx: &Ctx,
    args: &CreateArgs,
    hw: Hardware,
    host: &HostInfo,
    id: &str,
    file: &Path,
) -> Result<(VmConfig, Option<DiskPlan>, Option<Detection>), i32> {
    let out = &ctx.out;
    let bad = |m: String| out.fail(code::USAGE, "bad-argument", m);
    let firmware = match args.firmware.as_deref().map(str::to_ascii_lowercase) {
        None => None,
        Some(f) if f == "uefi" => Some(Firmware::Uefi),
        Some(f) if f == "bios" => Some(Firmware::Bios),
        Some(f) => return Err(bad(t!("cli-bad-firmware", value = f))),
    };
    let d = detection(out, &absolute(file), host)?;
    let file = d.path.display().to_string();
    match (&d.media, args.iso.is_some()) {
        (MediaKind::DiskImage { .. }, true) => {
            return Err(bad(t!("cli-iso-is-disk-image", file = file)))
        }
        (MediaKind::Iso(_), false) => return Err(bad(t!("cli-boot-disk-is-iso", file = file))),
        _ => {}
    }
    // The recommended disk may be larger than the free space (it is thin): say so now rather
    // than when the guest fills it.
    if matches!(d.media, MediaKind::Iso(_)) && hw.disk.is_none() {
        let bytes = d.resources.disk_gib << 30;
        if let Some(w) = disks::over_free(bytes, disks::free_space(&ctx.paths.vms_dir())) {
            eprintln!("vmdesk: {w}");
        }
    }
    let o = Overrides {
        vcpus: hw.vcpus,
        memory_mib: hw.memory_mib,
        disk_gib: None,
        disk: hw.disk,
        firmware,
        display: hw.display,
        network: args.network,
        boot_disk: match (args.linked, args.copy) {
            (true, _) => BootDiskUse::Linked,
            (_, true) => BootDiskUse::Copy,
            _ => BootDiskUse::InPlace,
        },
    };
    let (cfg, plan) = install::install_config(id, &args.name, &d, &o, host);
    Ok((cfg, Some(plan), Some(d)))
}
