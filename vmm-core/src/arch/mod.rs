//! x86_64 specifics: memory layout, boot protocol, vCPU state, ACPI.

pub mod acpi;
pub mod boot;
pub mod cpu;
pub mod layout;
