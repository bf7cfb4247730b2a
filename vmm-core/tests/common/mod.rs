//! Helpers shared by the integration tests in this folder (`mod common;` in each).
//!
//! Each test file is its own crate and uses only some of these.
#![allow(dead_code)]

use std::io::Read;
use std::process::Child;

pub const MIB: u64 = 1 << 20;

pub const VMM: &str = env!("CARGO_BIN_EXE_vmdesk-vmm");
pub const GUEST: &str = env!("VMDESK_TEST_GUEST");

/// Whether /dev/kvm can be opened; if not, prints why `test` is skipped (a failure when
/// `VMDESK_REQUIRE_KVM` is set).
pub fn kvm_or_skip(test: &str) -> bool {
    match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
    {
        Ok(_) => true,
        Err(e) => {
            let msg = format!("{test}: /dev/kvm not usable ({e})");
            if std::env::var_os("VMDESK_REQUIRE_KVM").is_some() {
                panic!("{msg} (VMDESK_REQUIRE_KVM is set)");
            }
            eprintln!("{msg}: skipped");
            false
        }
    }
}

/// What the child wrote to its (piped) stderr; empty if already taken.
pub fn stderr_of(child: &mut Child) -> String {
    let mut s = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut s);
    }
    s
}
