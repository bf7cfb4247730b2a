//! End-to-end tests: the real `vmdesk-vmm` binary on the test guest (tests/guest).

mod harness;

mod api;
mod boot;
mod config;
mod display;
mod io;
mod snapshot;
