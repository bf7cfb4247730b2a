//! The control API: types shared by `vmdesk-vmm` (server) and the app (client).
//!
//! # Wire protocol (version 1)
//!
//! A Unix stream socket at `$XDG_RUNTIME_DIR/vmdesk/<vm-id>/control.sock`, mode 0600. Every
//! message is one JSON object on one line (`\n`-terminated).
//!
//! On connect the server sends a [`Hello`]:
//! `{"protocol":"vmdesk-control","version":1,"vm_id":"demo","pid":1234}`
//!
//! The client sends [`Request`]s, each with an optional `id` echoed in its [`Reply`]:
//!
//! | request | does |
//! |---|---|
//! | `{"cmd":"status"}` | state, vCPUs, memory, uptime |
//! | `{"cmd":"counters"}` | vCPU exits by reason (total and per vCPU), uptime, dropped events, CPU time (process and per vCPU thread), memory, per-disk and per-NIC traffic |
//! | `{"cmd":"pause"}` / `{"cmd":"resume"}` | stop / restart all vCPUs |
//! | `{"cmd":"power-off"}` | presses the ACPI power button; the reply says whether the guest's ACPI picked the event up within 2 s |
//! | `{"cmd":"kill"}` | ends the VM at once (exit status 5) |
//! | `{"cmd":"reset"}` | the reset button: ends the VM with exit status 3, like a guest reset, for its starter to start it again |
//! | `{"cmd":"serial-input","data":"<base64>"}` | types bytes into COM1 |
//! | `{"cmd":"subscribe","topics":["serial","events"]}` | starts streaming [`Event`]s on this connection |
//! | `{"cmd":"screenshot","path":"/abs/shot.png"}` | writes the current screen as PNG (VMs with a display) |
//! | `{"cmd":"thumbnail","path":"/abs/t.png","max_width":128,"max_height":96}` | the screen scaled down (area average, aspect kept) to fit, as PNG; replies with its size |
//! | `{"cmd":"snapshot-create","name":"..","description":".."}` | live snapshot; replies with its id and timings |
//! | `{"cmd":"snapshot-list"}` | `{"current": id, "snapshots": [...]}` (incomplete ones marked) |
//! | `{"cmd":"snapshot-revert","snapshot":"<id>"}` | back to that instant; a running VM runs on, a paused one stays paused |
//! | `{"cmd":"snapshot-rename","snapshot":"<id>","name":".."}`, `{"cmd":"snapshot-delete","snapshot":"<id>"}` | tree upkeep |
//!
//! Replies: `{"id":1,"ok":true,"result":{...}}` or
//! `{"id":1,"ok":false,"error":{"code":"bad-request","message":"..."}}`.
//!
//! Events (after `subscribe`), interleaved with replies:
//! `{"event":"serial","data":"<base64>"}`, `{"event":"state","state":"paused"}`,
//! `{"event":"exited","reason":"power-off","code":0}`.

use serde::{Deserialize, Serialize};

pub const PROTOCOL: &str = "vmdesk-control";
pub const VERSION: u32 = 1;

/// First line the server sends on every connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hello {
    pub protocol: String,
    pub version: u32,
    pub vm_id: String,
    pub pid: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    #[serde(default)]
    pub id: Option<u64>,
    #[serde(flatten)]
    pub command: Command,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "kebab-case")]
pub enum Command {
    Status,
    Counters,
    Pause,
    Resume,
    PowerOff,
    Kill,
    /// Resets the machine like a reset button: the VMM ends with exit status 3 (`RESET`), as
    /// for a guest-requested reset, and whoever started it starts it again (the app does).
    Reset,
    SerialInput {
        /// Base64 of the bytes to type.
        data: String,
    },
    Subscribe {
        topics: Vec<Topic>,
    },
    /// Writes the current screen to `path` (absolute) as PNG.
    Screenshot {
        path: String,
    },
    /// Writes the current screen, scaled down to fit `max_width` × `max_height` (aspect kept,
    /// never enlarged), to `path` (absolute) as PNG. Cheaper than a screenshot for a preview:
    /// the VMM encodes a few kB instead of the whole screen.
    Thumbnail {
        path: String,
        max_width: u32,
        max_height: u32,
    },
    /// Takes a live snapshot (the VM keeps its run state).
    SnapshotCreate {
        #[serde(default)]
        name: String,
        #[serde(default)]
        description: String,
    },
    /// Lists snapshots (with the current one).
    SnapshotList,
    /// Goes back to snapshot `id`; the VM keeps its run state (running or paused).
    SnapshotRevert {
        snapshot: String,
    },
    SnapshotRename {
        snapshot: String,
        name: String,
    },
    SnapshotDelete {
        snapshot: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Topic {
    Serial,
    Events,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunState {
    #[default]
    Running,
    Paused,
    Stopping,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    #[serde(default)]
    pub id: Option<u64>,
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ApiError>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiError {
    /// Machine-readable: `bad-request`, `invalid-state`, `timeout`, `internal`.
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Status {
    pub vm_id: String,
    pub name: String,
    pub state: RunState,
    pub vcpus: u32,
    pub memory_mib: u64,
    pub uptime_ms: u64,
    pub pid: u32,
    /// When this process started the VM (tells restarts apart).
    #[serde(default)]
    pub started_unix_ms: u64,
    /// True when `/dev/kvm` has hardware virtualization behind it.
    pub hardware_virtualization: bool,
    /// Problems that did not stop the VM (e.g. a NIC left out because passt is missing).
    #[serde(default)]
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PowerOffResult {
    /// Always "acpi-power-button".
    pub method: String,
    /// The guest's ACPI interpreter read the event within the wait; if false, the guest does
    /// not listen to the power button (use `kill`, or power off from inside).
    pub guest_acknowledged: bool,
}

/// Exit counters: reason name → count, in a stable order.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Counters {
    pub uptime_ms: u64,
    /// When this process started the VM (as in [`Status`]): tells a restarted VMM apart from
    /// a late reply.
    #[serde(default)]
    pub started_unix_ms: u64,
    pub exits: Vec<(String, u64)>,
    pub per_vcpu: Vec<Vec<(String, u64)>>,
    /// Serial/event messages a slow API client did not get.
    pub dropped_events: u64,
    /// Descriptor chains virtio devices refused as malformed.
    #[serde(default)]
    pub malformed_virtio_chains: u64,
    /// Per NIC: frames and bytes sent and received, drops.
    #[serde(default)]
    pub nics: Vec<serde_json::Value>,
    /// CPU time the whole VMM process has used in user mode, in microseconds (all threads:
    /// vCPUs, device I/O, VNC, this API).
    #[serde(default)]
    pub process_user_us: u64,
    /// CPU time the whole VMM process has used in the kernel, in microseconds. With KVM, time
    /// spent running the guest counts here (inside `KVM_RUN`).
    #[serde(default)]
    pub process_system_us: u64,
    /// Per vCPU (in vCPU order): CPU time of its thread in microseconds, user + system —
    /// running the guest plus handling the exits it takes. The process's total minus their sum
    /// is the VMM's own overhead (device threads, display, API).
    #[serde(default)]
    pub vcpu_cpu_us: Vec<u64>,
    /// Resident memory of the VMM process in bytes (guest RAM counts once the guest touched it).
    #[serde(default)]
    pub rss_bytes: u64,
    /// Guest RAM as configured, in bytes.
    #[serde(default)]
    pub guest_memory_bytes: u64,
    /// Per disk, in `[[disks]]` order: what the guest read and wrote.
    #[serde(default)]
    pub disks: Vec<DiskCounters>,
}

/// One virtio-blk disk's counters since the VMM started (requests completed OK, except
/// `io_errors`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DiskCounters {
    /// Read requests and the bytes they returned to the guest.
    pub read_requests: u64,
    pub read_bytes: u64,
    /// Write requests and the bytes they wrote.
    pub write_requests: u64,
    pub write_bytes: u64,
    /// Flush requests (each puts earlier writes on stable storage).
    pub flushes: u64,
    pub discards: u64,
    pub write_zeroes: u64,
    /// Requests that failed with a host I/O error or wrote to a read-only disk.
    pub io_errors: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event {
    Serial { data: String },
    State { state: RunState },
    Exited { reason: String, code: i32 },
}

/// Process exit statuses of `vmdesk-vmm`.
pub mod exit_code {
    /// The guest powered itself off (or pressed-button shutdown completed).
    pub const POWER_OFF: i32 = 0;
    /// The VMM failed while running (a host-side error).
    pub const VMM_ERROR: i32 = 1;
    /// Bad command line or configuration; nothing was started.
    pub const BAD_CONFIG: i32 = 2;
    /// The guest asked for a reset (i8042 0xFE, ACPI reset register, or a triple fault).
    pub const RESET: i32 = 3;
    /// The guest crashed the vCPU (KVM internal error, emulation failure, failed entry).
    pub const GUEST_CRASH: i32 = 4;
    /// Ended by the API's `kill`.
    pub const KILLED: i32 = 5;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_parse_from_the_documented_json() {
        let r: Request = serde_json::from_str(r#"{"id":7,"cmd":"power-off"}"#).unwrap();
        assert_eq!(r.id, Some(7));
        assert_eq!(r.command, Command::PowerOff);
        let r: Request =
            serde_json::from_str(r#"{"cmd":"subscribe","topics":["serial","events"]}"#).unwrap();
        assert_eq!(
            r.command,
            Command::Subscribe {
                topics: vec![Topic::Serial, Topic::Events]
            }
        );
        assert!(serde_json::from_str::<Request>(r#"{"cmd":"explode"}"#).is_err());
    }

    #[test]
    fn counters_from_an_older_vmm_still_parse() {
        // A VMM from before the CPU, memory and disk fields: they default to zero/empty.
        let c: Counters = serde_json::from_str(
            r#"{"uptime_ms":5,"exits":[["io-out",3]],"per_vcpu":[],"dropped_events":0}"#,
        )
        .unwrap();
        assert_eq!(c.exits, vec![("io-out".to_string(), 3)]);
        assert_eq!((c.process_user_us, c.rss_bytes), (0, 0));
        assert!(c.disks.is_empty() && c.vcpu_cpu_us.is_empty());
        let d: DiskCounters = serde_json::from_str(r#"{"read_bytes":512}"#).unwrap();
        assert_eq!(d.read_bytes, 512);
        assert_eq!(d.write_bytes, 0);
    }

    #[test]
    fn events_serialize_as_documented() {
        let e = Event::State {
            state: RunState::Paused,
        };
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"event":"state","state":"paused"}"#
        );
    }
}
