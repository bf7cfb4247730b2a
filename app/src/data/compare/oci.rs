//! The OCI runtime bundle's `config.json` (runtime-spec 1.0): only the fields this comparison
//! sets. Hand-written serde structs rather than the `oci-spec` crate: its builders bring several
//! proc-macro crates for the ~20 fields used here, and crun validates the file anyway.

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Spec {
    pub oci_version: &'static str,
    pub process: Process,
    pub root: Root,
    pub hostname: String,
    pub mounts: Vec<Mount>,
    pub linux: Linux,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Process {
    pub terminal: bool,
    pub user: User,
    pub args: Vec<String>,
    pub env: Vec<String>,
    pub cwd: String,
    pub no_new_privileges: bool,
    pub capabilities: Capabilities,
}

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub uid: u32,
    pub gid: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Capabilities {
    pub bounding: Vec<String>,
    pub effective: Vec<String>,
    pub permitted: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Root {
    pub path: String,
    pub readonly: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Mount {
    pub destination: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub source: String,
    pub options: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Linux {
    pub namespaces: Vec<Namespace>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub uid_mappings: Vec<IdMapping>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gid_mappings: Vec<IdMapping>,
    pub resources: Resources,
    pub cgroups_path: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Namespace {
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdMapping {
    #[serde(rename = "containerID")]
    pub container_id: u32,
    #[serde(rename = "hostID")]
    pub host_id: u32,
    pub size: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Resources {
    pub memory: Memory,
    pub cpu: Cpu,
}

#[derive(Debug, Clone, Serialize)]
pub struct Memory {
    pub limit: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Cpu {
    pub quota: i64,
    pub period: u64,
}

/// The container's init: a shell as PID 1 that stays (a loop, so busybox does not exec the last
/// command in its place).
pub const INIT: [&str; 3] = ["/bin/sh", "-c", "while :; do sleep 3600; done"];

/// The first host uid/gid a user namespace maps the container's root to (the usual subuid
/// start): files the container's root makes belong to nobody on the host.
pub const USERNS_HOST_ID: u32 = 100_000;

/// The spec for a container whose root is `rootfs` (relative to the bundle), limited to
/// `memory` bytes and `cpu_quota_us` per `cpu_period_us`, in the cgroup `cgroups_path`.
pub fn spec(limits: &super::Limits, cgroups_path: &str, user_namespace: bool) -> Spec {
    let mut namespaces: Vec<Namespace> = ["pid", "mount", "uts", "ipc", "network"]
        .into_iter()
        .map(|k| Namespace { kind: k.into() })
        .collect();
    let mut maps = Vec::new();
    if user_namespace {
        namespaces.push(Namespace {
            kind: "user".into(),
        });
        maps.push(IdMapping {
            container_id: 0,
            host_id: USERNS_HOST_ID,
            size: 65536,
        });
    }
    // Only what the shell and ps need: no capability a teacher's demo would have to explain.
    let caps = vec!["CAP_KILL".to_string()];
    Spec {
        oci_version: "1.0.2",
        process: Process {
            terminal: false,
            user: User { uid: 0, gid: 0 },
            args: INIT.iter().map(|s| s.to_string()).collect(),
            env: vec!["PATH=/usr/sbin:/usr/bin:/sbin:/bin".into()],
            cwd: "/".into(),
            no_new_privileges: true,
            capabilities: Capabilities {
                bounding: caps.clone(),
                effective: caps.clone(),
                permitted: caps,
            },
        },
        root: Root {
            path: "rootfs".into(),
            readonly: false,
        },
        hostname: "container".into(),
        mounts: vec![
            Mount {
                destination: "/proc".into(),
                kind: "proc".into(),
                source: "proc".into(),
                options: vec![],
            },
            Mount {
                destination: "/dev".into(),
                kind: "tmpfs".into(),
                source: "tmpfs".into(),
                options: ["nosuid", "strictatime", "mode=755", "size=65536k"]
                    .map(String::from)
                    .to_vec(),
            },
        ],
        linux: Linux {
            namespaces,
            uid_mappings: maps.clone(),
            gid_mappings: maps,
            resources: Resources {
                memory: Memory {
                    limit: limits.memory_bytes as i64,
                },
                cpu: Cpu {
                    quota: limits.cpu_quota_us as i64,
                    period: limits.cpu_period_us,
                },
            },
            cgroups_path: cgroups_path.into(),
        },
    }
}
