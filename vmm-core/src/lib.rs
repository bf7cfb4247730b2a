//! vmdesk's VMM: one KVM virtual machine per `vmdesk-vmm` process.
//!
//! - [`config`]: `VmConfig`, the TOML the app writes, and its validation.
//! - [`vmm`]: `Vmm::try_from(VmSpec)` builds the VM; `Vmm::run` runs it.
//! - [`arch`]: x86_64 memory map, Linux boot protocol, vCPU state, ACPI tables.
//! - [`devices`]: the port-I/O bus and the emulated devices.
//! - [`api`]: the control protocol shared with the app; [`api_server`] serves it.

pub mod api;
pub mod api_server;
pub mod arch;
pub mod builder;
pub mod config;
pub mod devices;
pub mod display;
pub mod exit;
pub mod host;
pub mod hub;
pub mod net;
pub mod snapshot;
pub mod storage;
pub mod usage;
pub mod util;
pub mod vcpu;
pub mod vmm;
