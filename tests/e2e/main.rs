//! End-to-end tests: the real `vmdesk-vmm` binary on the test guest (tests/guest).

mod harness;
/// The raw RFB client of vmm-core's VNC tests.
#[path = "../../vmm-core/tests/qemu/mod.rs"]
mod qemu;
#[path = "../../vmm-core/tests/rfb/mod.rs"]
mod rfb;

mod api;
mod boot;
mod config;
mod display;
mod io;
mod snapshot;
