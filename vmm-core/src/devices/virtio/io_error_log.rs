//! One line in vmm.log per burst of host I/O errors on a disk (issue 17 #8).
//!
//! A guest write that fails on the host (a full filesystem: ENOSPC; a dying disk: EIO) ends as
//! IOERR in the guest, which may retry it thousands of times a second: logging each would fill
//! the very filesystem that is full. So the first error is logged at once with the disk and the
//! error, and later ones at most once per [`INTERVAL`], with how many were not logged.

use std::time::{Duration, Instant};

/// The shortest time between two lines about the same disk.
pub const INTERVAL: Duration = Duration::from_secs(10);

/// The rate limiter of one disk's error lines.
#[derive(Debug, Default)]
pub struct IoErrorLog {
    last: Option<Instant>,
    /// Errors since the last line, not logged.
    held: u64,
}

impl IoErrorLog {
    /// The line to log for this error now, if one is due.
    pub fn report(
        &mut self,
        now: Instant,
        disk: &std::path::Path,
        op: &str,
        err: &std::io::Error,
    ) -> Option<String> {
        if self.last.is_some_and(|t| now.duration_since(t) < INTERVAL) {
            self.held += 1;
            return None;
        }
        let more = match std::mem::take(&mut self.held) {
            0 => String::new(),
            n => format!(" ({n} more since the last line)"),
        };
        self.last = Some(now);
        Some(format!(
            "vmdesk-vmm: disk {}: guest {op} failed on the host: {err}{more}",
            disk.display()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn a_burst_of_errors_is_one_line_naming_the_disk_and_the_error() {
        let mut log = IoErrorLog::default();
        let t0 = Instant::now();
        let disk = Path::new("/vms/a/disk.qcow2");
        let enospc = std::io::Error::from_raw_os_error(libc::ENOSPC);
        let first = log.report(t0, disk, "write", &enospc).unwrap();
        assert!(first.contains("/vms/a/disk.qcow2"), "{first}");
        assert!(first.contains("No space left on device"), "{first}");
        assert!(first.contains("write"), "{first}");
        // A retry storm within the interval: nothing more.
        for i in 1..1000 {
            let t = t0 + Duration::from_millis(i * 9);
            assert_eq!(log.report(t, disk, "write", &enospc), None);
        }
        // After the interval: one line, with the count of the ones held back.
        let eio = std::io::Error::from_raw_os_error(libc::EIO);
        let later = log.report(t0 + INTERVAL, disk, "flush", &eio).unwrap();
        assert!(
            later.contains("999 more") && later.contains("flush"),
            "{later}"
        );
        assert!(later.contains("Input/output error"), "{later}");
    }
}
