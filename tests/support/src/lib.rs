//! Helpers shared by vmdesk's tests and benchmarks (vmm-core's `tests/`, `benches/` and the
//! workspace's `tests/e2e`): when a test must skip or fail for want of KVM or a tool, QEMU
//! started the same way everywhere, a raw RFB client, and boot media made at test time.

pub mod media;
pub mod qemu;
pub mod rfb;

use std::io::Read;
use std::process::Child;

/// Whether KVM tests can run here. Without /dev/kvm they print "skipped: …" — and fail when
/// `VMDESK_REQUIRE_KVM=1` (CI sets it), so a machine without KVM never passes silently.
pub fn kvm_or_skip(test: &str) -> bool {
    match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
    {
        Ok(_) => true,
        Err(e) => {
            let msg = format!("skipped: {test}: cannot open /dev/kvm: {e}");
            if std::env::var_os("VMDESK_REQUIRE_KVM").is_some() {
                panic!("{msg} (VMDESK_REQUIRE_KVM is set)");
            }
            eprintln!("{msg}");
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
