//! x86_64 specifics: memory layout, boot protocol, firmware boot, vCPU state, ACPI.

pub mod acpi;
pub mod boot;
pub mod boot_order;
pub mod cpu;
pub mod firmware;
pub mod layout;
pub mod pc_acpi;
pub mod table_loader;
