//! Config problems in the UI language: vmm-core's validators decide what is wrong (so the app's
//! forms and `vmdesk-vmm --check` cannot disagree); this says it, one Fluent key per
//! [`ConfigErrorKind`](vmm_core::config::ConfigErrorKind) with the kind's values as arguments.

use crate::t;
use vmm_core::config::ConfigErrorKind as K;

/// Every problem of a whole config, one line each: `field: reason`.
pub fn describe_all(errs: &[vmm_core::config::ConfigError]) -> String {
    errs.iter()
        .map(|e| format!("{}: {}", e.field, describe(&e.kind)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The reason for people, without the field (a form shows it under the field).
pub fn describe(kind: &K) -> String {
    let s = |v: &dyn ToString| v.to_string();
    match kind {
        K::BadLength { min, max, .. } => t!("config-bad-length", min = s(min), max = s(max)),
        K::BadIdChars { id } => t!("config-bad-id-chars", id = s(id)),
        K::NameEmpty => t!("config-name-empty"),
        K::NameControl => t!("config-name-control"),
        K::TooFewVcpus { min, .. } => t!("config-too-few-vcpus", min = s(min)),
        K::VcpusAboveHost { max, .. } => t!("config-vcpus-above-host", max = s(max)),
        K::VcpusAboveSupported { max, .. } => t!("config-vcpus-above-supported", max = s(max)),
        K::MemoryTooSmall { min, .. } => t!("config-memory-too-small", min = s(min)),
        K::MemoryAboveHost { max, .. } => t!("config-memory-above-host", max = s(max)),
        K::NotFound { .. } => t!("config-not-found"),
        K::CannotOpen { reason, .. } => t!("config-cannot-open", reason = s(reason)),
        K::CannotStat { reason, .. } => t!("config-cannot-stat", reason = s(reason)),
        K::CannotRead { reason, .. } => t!("config-cannot-read", reason = s(reason)),
        K::NotRegularFile { .. } => t!("config-not-regular-file"),
        K::KernelTruncated { len, want, .. } => {
            t!("config-kernel-truncated", len = s(len), want = s(want))
        }
        K::NotAKernel { .. } => t!("config-not-a-kernel"),
        K::FirmwareMissing { package, .. } => {
            t!("config-firmware-missing", package = s(package))
        }
        K::FirmwareBadSize { size, .. } => t!("config-firmware-bad-size", size = s(size)),
        K::FlashBadSize { size, .. } => t!("config-flash-bad-size", size = s(size)),
        K::VarsSizeMismatch {
            size, code_size, ..
        } => t!(
            "config-vars-size-mismatch",
            size = s(size),
            code_size = s(code_size)
        ),
        K::InitrdTooBig { size_mib, .. } => t!("config-initrd-too-big", size = s(size_mib)),
        K::CmdlineTooLong { len, max } => {
            t!("config-cmdline-too-long", len = s(len), max = s(max))
        }
        K::CmdlineNul => t!("config-cmdline-nul"),
        K::OutOfRange { value, min, max } => t!(
            "config-out-of-range",
            value = s(value),
            min = s(min),
            max = s(max)
        ),
        K::PortZero => t!("config-port-zero"),
        K::VncPasswordMissing => t!("config-vnc-password-missing"),
        K::BadVncPassword { max } => t!("config-bad-vnc-password", max = s(max)),
        K::TooManyDisks { count, slots } => {
            t!("config-too-many-disks", count = s(count), slots = s(slots))
        }
        K::NotPrintable => t!("config-not-printable"),
        K::DuplicateDisk { path, first } => t!(
            "config-duplicate-disk",
            path = path.display().to_string(),
            first = s(first)
        ),
        // Storage reasons are vmm-core's English; the image is named in them.
        K::Image(e) => t!("config-image", detail = s(e)),
        K::BadMac { mac } => t!("config-bad-mac", mac = s(mac)),
        K::MulticastMac { mac } => t!("config-multicast-mac", mac = s(mac)),
        K::ZeroMac { mac } => t!("config-zero-mac", mac = s(mac)),
        K::TooManyNics { max, .. } => t!("config-too-many-nics", max = s(max)),
        K::PortTaken { port, .. } => t!("config-port-taken", port = s(port)),
        K::NotAnIso { .. } => t!("config-not-an-iso"),
        K::CdromsNeedFirmware => t!("config-cdroms-need-firmware"),
        K::DisplayKindUnavailable { kind, allowed } => t!(
            "config-display-kind-unavailable",
            kind = s(kind),
            allowed = allowed.join(", ")
        ),
        K::TooManyCdroms { count, max } => {
            t!("config-too-many-cdroms", count = s(count), max = s(max))
        }
        K::SataNeedsFirmware => t!("config-sata-needs-firmware"),
        K::TooManySataDisks { count, max } => {
            t!("config-too-many-sata-disks", count = s(count), max = s(max))
        }
        K::BootOrderDuplicate { device } => t!(
            "config-boot-order-duplicate",
            device = s(&format!("{device:?}").to_lowercase())
        ),
    }
}
