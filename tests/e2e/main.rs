//! End-to-end tests: the real `vmdesk-vmm` binary on the test guest (tests/guest).

mod harness;
use vmdesk_test_support::{qemu, rfb};

mod api;
mod boot;
mod config;
mod display;
mod firmware;
mod firmware_uefi;
mod io;
mod snapshot;
