//! Helpers shared by the integration tests in this folder (`mod common;` in each).
//!
//! Each test file is its own crate and uses only some of these.
#![allow(dead_code)]

pub const MIB: u64 = 1 << 20;

pub const VMM: &str = env!("CARGO_BIN_EXE_vmdesk-vmm");
pub const GUEST: &str = env!("VMDESK_TEST_GUEST");
