//! A fixed "containers vs VMs" result for the comparison screen's tests (they never run crun).

use crate::data::compare::vm::VmReport;
use crate::data::compare::{CgroupReport, Comparison, ContainerReport, Namespace, OverlayLayers};
use std::path::PathBuf;

fn ns(kind: &str, inside: u64, host: u64) -> Namespace {
    Namespace {
        kind: kind.into(),
        inside: format!("{kind}:[{inside}]"),
        host: format!("{kind}:[{host}]"),
    }
}

/// A container with its own pid/mnt/net namespaces (sharing cgroup), 64 MiB and half a CPU,
/// and VM `name` (`web`'s name in the tests) measured beside it.
pub fn comparison(name: &str) -> Comparison {
    let host = "6.1.0-42-amd64";
    let container = ContainerReport {
        runtime: "crun version 1.8.1".into(),
        id: "vmdesk-compare-1".into(),
        host_pid: 31337,
        pid_inside: 1,
        pid1_cmdline: "/bin/sh".into(),
        start_ms: 87.0,
        kernel_inside: host.into(),
        kernel_host: host.into(),
        processes: vec![
            "PID   USER     TIME  COMMAND".into(),
            "    1 root      0:00 /bin/sh".into(),
            "    7 root      0:00 ps".into(),
        ],
        namespaces: vec![
            ns("pid", 1, 2),
            ns("mnt", 3, 4),
            ns("net", 5, 6),
            ns("cgroup", 9, 9),
        ],
        cgroup: CgroupReport {
            version: 2,
            path: "/vmdesk-compare-1".into(),
            memory_max: Some(64 << 20),
            memory_current: 3 << 20,
            cpu_quota_us: Some(50_000),
            cpu_period_us: 100_000,
            files: vec![],
        },
        overlay: Some(OverlayLayers {
            lower: vec![PathBuf::from("/tmp/cmp/lower")],
            upper: PathBuf::from("/tmp/cmp/upper"),
            work: PathBuf::from("/tmp/cmp/work"),
        }),
        rootfs_bytes: 2 << 20,
        upper_bytes: 4096,
        notes: vec!["The kernel refused a user namespace (test).".into()],
    };
    let vm = VmReport {
        name: name.into(),
        host_pid: 4242,
        start_ms: Some(1234.0),
        first_output: Some("Linux version".into()),
        kernel_inside: Some("6.1.0-vmdesk-guest".into()),
        rss_bytes: 150 << 20,
        guest_memory_bytes: 512 << 20,
        disk_bytes: 1 << 30,
        namespaces: vec![ns("pid", 2, 2), ns("net", 6, 6)],
        notes: vec![],
    };
    Comparison {
        container,
        vm: Some(vm),
        vm_error: None,
    }
}
