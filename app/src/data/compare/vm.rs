//! The VM side of the table: what vmdesk can measure of one of its VMs — the time from starting
//! its VMM to the guest's first serial output, the VMM process's resident memory (guest RAM
//! counts once touched), its files on disk, the VMM's namespaces (all the host's: a VM's wall
//! is the virtual hardware, not namespaces) and, when the guest is the Linux test guest with a
//! shell on its serial port, `uname -r` inside. What could not be measured says why.

use super::{procfs, rootfs, Namespace};
use crate::data::client::{serial_input, VmmClient, VmmClientExt};
use crate::data::paths::Paths;
use crate::data::store::{self, VmEntry};
use crate::t;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use vmm_core::api::{GetCounters, Kill};
use vmm_core::config::BootSource;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VmReport {
    pub name: String,
    /// The VMM's pid on the host.
    pub host_pid: u32,
    /// From starting the VMM to the guest's first serial output, in ms; None when the VM was
    /// already running (see `notes`).
    pub start_ms: Option<f64>,
    /// The first line the guest wrote on its serial port.
    pub first_output: Option<String>,
    /// `uname -r` in the guest; None when it has no Linux shell on its serial port.
    pub kernel_inside: Option<String>,
    /// Resident memory of the VMM process.
    pub rss_bytes: u64,
    /// Guest RAM as configured.
    pub guest_memory_bytes: u64,
    /// The VM's folder, its kernel and initrd and its disks, allocated on disk.
    pub disk_bytes: u64,
    /// The VMM process's namespaces next to the host's.
    pub namespaces: Vec<Namespace>,
    pub notes: Vec<String>,
}

/// How long to wait for the guest's first serial output, and for its shell to answer.
const OUTPUT_TIMEOUT: Duration = Duration::from_secs(30);
/// Long: in the nested lab a stock kernel takes a while to reach its shell.
const SHELL_TIMEOUT: Duration = Duration::from_secs(120);

/// Measures `vm`: starts it when it is not running (and kills it afterwards), else measures it
/// as it runs.
pub fn measure(
    client: &dyn VmmClient,
    paths: &Paths,
    vm: &VmEntry,
    cancel: &AtomicBool,
) -> Result<VmReport, String> {
    let cfg = vm.config.as_ref().map_err(|e| e.clone())?;
    let log = store::serial_log(paths, &vm.id, Some(cfg));
    let mut notes = Vec::new();
    let running = client.status(&vm.id).is_ok();
    let mut started = None;
    if running {
        notes.push(t!("compare-vm-was-running"));
    } else {
        let t0 = Instant::now();
        client.start(&vm.id).map_err(|e| e.to_string())?;
        started = Some(t0);
    }
    // Kills the VM this function started, whatever happens next.
    let _stop = started.map(|_| StopOnDrop { client, id: &vm.id });

    let mut start_ms = None;
    let mut first_output = None;
    if let Some(t0) = started {
        while t0.elapsed() < OUTPUT_TIMEOUT && !cancel.load(Ordering::Relaxed) {
            if std::fs::metadata(&log)
                .map(|m| m.len() > 0)
                .unwrap_or(false)
            {
                start_ms = Some(t0.elapsed().as_secs_f64() * 1000.0);
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        if start_ms.is_none() {
            notes.push(t!("compare-vm-no-output", file = log.display().to_string()));
        }
    }
    if cancel.load(Ordering::Relaxed) {
        return Err(t!("compare-interrupted"));
    }
    if start_ms.is_some() || running {
        first_output = store::tail(&log, 4096).into_iter().next();
    }

    let kernel_inside = match &cfg.boot {
        BootSource::Linux { .. } => {
            let k = uname_over_serial(client, &vm.id, &log, cancel);
            if k.is_none() {
                notes.push(t!("compare-vm-no-shell"));
            }
            k
        }
        _ => {
            notes.push(t!("compare-vm-not-linux"));
            None
        }
    };

    let ended = |e: crate::data::client::ClientError| match e {
        crate::data::client::ClientError::NotRunning
        | crate::data::client::ClientError::Exited(_) => {
            t!("compare-vm-ended")
        }
        other => other.to_string(),
    };
    let status = client.status(&vm.id).map_err(ended)?;
    let counters = client.call(&vm.id, GetCounters {}).map_err(ended)?;
    let mut disk_bytes = rootfs::disk_usage(&vm.dir);
    let mut files: Vec<PathBuf> = cfg.disks.iter().map(|d| d.path.clone()).collect();
    if let BootSource::Linux { kernel, initrd, .. } = &cfg.boot {
        files.push(kernel.clone());
        files.extend(initrd.clone());
    }
    for f in files {
        if !f.starts_with(&vm.dir) {
            disk_bytes += allocated(&f);
        }
    }
    Ok(VmReport {
        name: cfg.name.clone(),
        host_pid: status.pid,
        start_ms,
        first_output,
        kernel_inside,
        rss_bytes: counters.rss_bytes,
        guest_memory_bytes: counters.guest_memory_bytes,
        disk_bytes,
        namespaces: procfs::namespaces(status.pid),
        notes,
    })
}

fn allocated(p: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(p).map(|m| m.blocks() * 512).unwrap_or(0)
}

/// Types `echo UNAME:$(uname -r):` on the serial console and waits for the answer in the log.
/// The typed line's echo has `$(`, the answer has the release: only the answer matches.
fn uname_over_serial(
    client: &dyn VmmClient,
    id: &str,
    log: &Path,
    cancel: &AtomicBool,
) -> Option<String> {
    let t0 = Instant::now();
    let mut last_sent = None::<Instant>;
    while t0.elapsed() < SHELL_TIMEOUT && !cancel.load(Ordering::Relaxed) {
        let text = store::tail_text(log, 256 * 1024);
        // The test guest has no shell; the Linux guest's /init prints its marker before one.
        if text.contains("VMDESK-GUEST v1") {
            return None;
        }
        if !text.contains("VMDESK-LINUX-INIT-OK") {
            std::thread::sleep(Duration::from_millis(50));
            continue;
        }
        if last_sent.is_none_or(|s| s.elapsed() > Duration::from_secs(2)) {
            client
                .call(id, serial_input("echo UNAME:$(uname -r):\n"))
                .ok()?;
            last_sent = Some(Instant::now());
        }
        if let Some(k) = find_uname(&store::tail_text(log, 64 * 1024)) {
            return Some(k);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

/// The release in an `UNAME:<release>:` line, skipping the echo of the typed command.
pub fn find_uname(text: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let rest = l.split("UNAME:").nth(1)?;
        let (release, _) = rest.split_once(':')?;
        (!release.is_empty() && !release.contains('$')).then(|| release.trim().to_string())
    })
}

struct StopOnDrop<'a> {
    client: &'a dyn VmmClient,
    id: &'a str,
}

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        let _ = self.client.call(self.id, Kill {});
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_typed_command_is_not_the_answer() {
        let log = "~ # echo UNAME:$(uname -r):\nUNAME:6.1.0-57-cloud-amd64:\n";
        assert_eq!(
            super::find_uname(log).as_deref(),
            Some("6.1.0-57-cloud-amd64")
        );
        assert_eq!(super::find_uname("echo UNAME:$(uname -r):\n"), None);
    }
}
