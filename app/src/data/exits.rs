//! What each vCPU exit reason the VMM counts means, in one line for teachers (the Activity tab
//! shows it under each busy reason).

use crate::t;

/// One line per exit reason, for teachers.
pub fn explain(reason: &str) -> String {
    match reason {
        "io-in" => t!("explain-io-in"),
        "io-out" => t!("explain-io-out"),
        "io-unhandled" => t!("explain-io-unhandled"),
        "mmio-read" => t!("explain-mmio-read"),
        "mmio-write" => t!("explain-mmio-write"),
        "hlt" => t!("explain-hlt"),
        "shutdown" => t!("explain-shutdown"),
        "interrupted" => t!("explain-interrupted"),
        "internal-error" => t!("explain-internal-error"),
        "fail-entry" => t!("explain-fail-entry"),
        _ => t!("explain-other"),
    }
}
