//! vmdesk's VMM: one KVM virtual machine per `vmdesk-vmm` process.
//!
//! Building and running a VM:
//! - [`config`]: `VmConfig`, the TOML the app writes, and its validation.
//! - [`builder`]: `Vmm::try_from(VmSpec)`, the VM built from its config in named steps
//!   (memory, irqchip, devices, boot, vCPUs); it makes the devices on the backends below.
//! - [`vmm`]: `Vmm::run` runs the VM; [`vmm::VmHandle`] is how the API observes and steers it.
//! - [`vcpu`]: the vCPU threads and their pause control; [`exit`]: why a VM ends and how
//!   devices and vCPUs report it.
//! - [`arch`]: x86_64 memory map, Linux boot protocol, vCPU state, ACPI tables.
//!
//! Devices and their backends:
//! - [`devices`]: the port-I/O and MMIO buses, the emulated devices, and [`devices::Persist`],
//!   how each device saves its state (a named struct next to it) for snapshots.
//! - [`storage`]: disk images (raw, qcow2, locks, overlays); [`net`]: passt, the NICs'
//!   backend. Neither knows of devices.
//! - [`display`]: the framebuffer and the VNC server; [`hub`]: fan-out of serial output and
//!   events to subscribers.
//! - [`snapshot`]: saving and restoring a whole VM (state file, memory, disks), with
//!   [`snapshot::SnapshotError`] at its boundary.
//!
//! Confinement: [`sandbox`] (seccomp per thread kind, `no_new_privs`, Landlock).
//!
//! The control API:
//! - [`api`]: the protocol shared with the app; [`api_server`] serves it.
//!
//! Dependencies point down this list, from the builder to the devices to their backends
//! (`util` at the bottom); modules do not import each other in cycles.

// Lines to vmm.log go through `log_line!`: `eprintln!` panics when a write fails, and
// vmm.log sits in the VM's folder, on the filesystem that fills up.
#![cfg_attr(not(test), deny(clippy::print_stderr))]

/// Writes one line to stderr (the VM's vmm.log), like `eprintln!` but never panicking: when
/// vmm.log cannot be written (a full filesystem), the line is lost, not the VM.
#[macro_export]
macro_rules! log_line {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

pub mod api;
pub mod api_server;
pub mod arch;
pub mod builder;
pub mod config;
pub mod cpu_view;
pub mod devices;
pub mod display;
pub mod exit;
pub mod exit_log;
/// The fuzz targets' harnesses (`fuzz/`), for the fuzzer and `cargo test`'s corpus replay only.
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
pub mod host;
pub mod hub;
pub mod inspect;
pub mod net;
pub mod sandbox;
pub mod snapshot;
pub mod storage;
pub mod usage;
pub mod util;
pub mod vcpu;
pub mod vmm;
