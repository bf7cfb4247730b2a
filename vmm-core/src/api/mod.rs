//! The control API: the one contract between `vmdesk-vmm` (server) and the app (client).
//!
//! Every request is its own type implementing [`ApiRequest`], which names its reply type; the
//! server builds replies from those types and the client decodes them into the same types, so
//! what goes on the wire is what these types say (the round-trip tests below check every one).
//!
//! # Wire protocol (version 2)
//!
//! A Unix stream socket at `$XDG_RUNTIME_DIR/vmdesk/<vm-id>/control.sock`, mode 0600. Every
//! message is one JSON object on one line (`\n`-terminated).
//!
//! On connect the server sends a [`Hello`]; a client refuses another protocol or version:
//! `{"protocol":"vmdesk-control","version":2,"vm_id":"demo","pid":1234}`
//!
//! The client sends [`Request`]s, each with an optional `id` echoed in its [`Reply`]:
//!
//! | request | type | reply `result` | does |
//! |---|---|---|---|
//! | `{"cmd":"status"}` | [`GetStatus`] | [`Status`] | state, vCPUs, memory, uptime, warnings, confinement (`{"seccomp":"on","filters":14,"landlock":"abi v7"}`) |
//! | `{"cmd":"counters"}` | [`GetCounters`] | [`Counters`] | vCPU exits by reason (total and per vCPU), uptime, dropped events, CPU time (process and per vCPU thread), memory, per-disk and per-NIC traffic |
//! | `{"cmd":"pause"}` / `{"cmd":"resume"}` | [`Pause`] / [`Resume`] | [`Status`] | stop / restart all vCPUs |
//! | `{"cmd":"power-off"}` | [`PowerOff`] | [`PowerOffResult`] | presses the ACPI power button; the reply says whether the guest's ACPI picked the event up within 2 s |
//! | `{"cmd":"kill"}` | [`Kill`] | [`Empty`] | ends the VM at once (exit status 5) |
//! | `{"cmd":"reset"}` | [`Reset`] | [`Empty`] | the reset button: ends the VM with exit status 3, like a guest reset, for its starter to start it again |
//! | `{"cmd":"serial-input","data":"<base64>"}` | [`SerialInput`] | [`SerialInputResult`] | types bytes into COM1 |
//! | `{"cmd":"subscribe","topics":["serial","events"]}` | [`Subscribe`] | [`Empty`] | starts streaming [`Event`]s on this connection |
//! | `{"cmd":"screenshot","path":"/abs/shot.png"}` | [`Screenshot`] | [`ScreenshotResult`] | writes the current screen as PNG (VMs with a display) |
//! | `{"cmd":"thumbnail","path":"/abs/t.png","max_width":128,"max_height":96}` | [`Thumbnail`] | [`ThumbnailResult`] | the screen scaled down (area average, aspect kept) to fit, as PNG; replies with its size |
//! | `{"cmd":"snapshot-create","name":"..","description":".."}` | [`SnapshotCreate`] | [`SnapshotCreated`] | live snapshot; replies with its id and timings |
//! | `{"cmd":"snapshot-list"}` | [`ListSnapshots`] | [`SnapshotList`] | `{"current": id, "snapshots": [...]}` (incomplete ones marked) |
//! | `{"cmd":"snapshot-revert","snapshot":"<id>"}` | [`SnapshotRevert`] | [`SnapshotReverted`] | back to that instant; a running VM runs on, a paused one stays paused |
//! | `{"cmd":"snapshot-rename","snapshot":"<id>","name":".."}` | [`SnapshotRename`] | [`Empty`] | tree upkeep |
//! | `{"cmd":"snapshot-delete","snapshot":"<id>"}` | [`SnapshotDelete`] | [`Empty`] | tree upkeep |
//! | `{"cmd":"cdrom-eject","drive":0}` | [`CdromEject`] | [`Empty`] | takes the medium out of CD-ROM drive `drive` (`[[cdroms]]` index); refused while the guest locks the tray |
//! | `{"cmd":"cdrom-insert","drive":0,"path":"/abs/disc.iso"}` | [`CdromInsert`] | [`Empty`] | puts an ISO in the drive (a bad file: error, drive unchanged); the guest sees a medium change |
//! | `{"cmd":"inspect"}` | [`Inspect`] | [`Inspection`] | the classroom inspector: vCPU registers and mode, memory map, devices, host threads |
//! | `{"cmd":"step","vcpu":0}` | [`Step`] | [`Stepped`] | one instruction on a paused vCPU; its registers before and after |
//! | `{"cmd":"exit-log","after":0}` | [`GetExitLog`] | [`ExitLog`] | the last exits (reason, port/address, value, device); records only while polled |
//! | `{"cmd":"set-display-size","width":1920,"height":1080}` | [`SetDisplaySize`] | [`Empty`] | asks a virtio-gpu display for another size: its display info changes and the guest's driver is told (config-change event); the framebuffer and VGA cannot change size (`failed`) |
//!
//! `cmd` is a request's name: a number (serde's variant index) is a `bad-request`, as is a
//! topic by number. `screenshot` and `thumbnail` write a new file, or replace a regular file
//! of the VMM's user in a folder of that user; any other existing path (a symlink, a device, a
//! FIFO, another user's file) is refused and left as it was.
//!
//! Connections: at most 64 at once (at the cap the one idle the longest is closed, plain
//! before subscribed). A connection that sends nothing within 30 s of connecting, or takes over
//! 30 s to finish a request it began, is closed. A connection's subscriptions end with it.
//!
//! Replies: `{"id":1,"ok":true,"result":{...}}` or
//! `{"id":1,"ok":false,"error":{"code":"bad-request","message":"..."}}`; the codes are
//! [`ErrorCode`]'s.
//!
//! Events (after `subscribe`), interleaved with replies:
//! `{"event":"serial","data":"<base64>"}`, `{"event":"state","state":"paused"}`,
//! `{"event":"exited","reason":"power-off","code":0}`.
//!
//! # Adding a request
//!
//! Here: declare its request type (and its reply type unless an existing one fits), add one
//! line to the `requests!` table, a row to the table above and a sample to the tests'
//! `every_request` (the tests fail until both are there). The compiler then asks for the
//! match arms that handle it: the server's in `api_server::handle`, the tests' `reply_to`,
//! and the app's fake client (`app/src/testing.rs`). The app calls it with
//! `client.call(id, NewRequest { .. })`.

mod inspect;

pub use inspect::*;

use crate::config::VmConfig;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub const PROTOCOL: &str = "vmdesk-control";
/// Version 2: replies are the typed bodies of this module (NIC counters typed, error codes an
/// enum); the JSON is that of version 1.
pub const VERSION: u32 = 2;

/// First line the server sends on every connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hello {
    pub protocol: String,
    pub version: u32,
    pub vm_id: String,
    pub pid: u32,
}

impl Hello {
    /// Whether a client of this build can talk to the server that sent this; if not, why.
    pub fn check(&self) -> Result<(), String> {
        if self.protocol != PROTOCOL {
            return Err(format!(
                "the control socket speaks {:?}, not {PROTOCOL:?}",
                self.protocol
            ));
        }
        if self.version != VERSION {
            return Err(format!(
                "vmdesk-vmm (pid {}) speaks control protocol version {}, this program version \
                 {VERSION}: restart the VM with the vmdesk-vmm that came with this program",
                self.pid, self.version
            ));
        }
        Ok(())
    }
}

/// A request and the type of its reply's `result`.
///
/// Implemented (by the `requests!` table) for each request body; `Self::into()` gives the
/// [`Command`] that goes on the wire.
pub trait ApiRequest: Serialize + DeserializeOwned + Into<Command> {
    type Reply: Serialize + DeserializeOwned;
    /// This request's reply, as any request's.
    fn wrap(reply: Self::Reply) -> Response;
    /// The reply back out of a [`Response`]; `None` if it answers another request.
    fn unwrap(response: Response) -> Option<Self::Reply>;
}

/// One line a client sends: a command and an optional `id` the reply echoes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Request {
    pub id: Option<u64>,
    #[serde(flatten)]
    pub command: Command,
}

impl<'de> Deserialize<'de> for Request {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Request, D::Error> {
        use serde::de::Error;
        use serde_json::Value;
        let mut map = serde_json::Map::<String, Value>::deserialize(d)?;
        // serde's derived tag also takes a variant's index (`{"cmd":5}` would be `kill`):
        // a request is named, never numbered.
        match map.get("cmd") {
            Some(Value::String(_)) => {}
            Some(_) => return Err(D::Error::custom("cmd: must be a request's name (a string)")),
            None => return Err(D::Error::missing_field("cmd")),
        }
        let id = match map.remove("id") {
            None => None,
            Some(v) => {
                Option::<u64>::deserialize(v).map_err(|e| D::Error::custom(format!("id: {e}")))?
            }
        };
        let command = Command::deserialize(Value::Object(map)).map_err(D::Error::custom)?;
        Ok(Request { id, command })
    }
}

/// Declares the requests: per line, the [`Command`] variant (its kebab-case name is the wire's
/// `cmd`), the request body type and the reply type. Generates [`Command`], [`Response`], the
/// [`ApiRequest`] impls and [`Command::parse_reply`].
macro_rules! requests {
    ($( $(#[$doc:meta])* $variant:ident($req:ident) -> $reply:ident; )*) => {
        /// Every request as it goes on the wire: `{"cmd":"<variant in kebab-case>", ...body}`.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "cmd", rename_all = "kebab-case")]
        pub enum Command {
            $( $(#[$doc])* $variant($req), )*
        }

        /// The `result` of a reply to any request: one variant per [`Command`] variant.
        /// Serialized as the reply body alone (what the wire carries).
        #[derive(Debug, Clone, PartialEq, Serialize)]
        #[serde(untagged)]
        pub enum Response {
            $( $variant($reply), )*
        }

        $(
            impl ApiRequest for $req {
                type Reply = $reply;
                fn wrap(reply: $reply) -> Response {
                    Response::$variant(reply)
                }
                fn unwrap(response: Response) -> Option<$reply> {
                    match response {
                        Response::$variant(r) => Some(r),
                        _ => None,
                    }
                }
            }

            impl From<$req> for Command {
                fn from(r: $req) -> Command {
                    Command::$variant(r)
                }
            }
        )*

        impl Command {
            /// How many requests there are (tests check each is covered).
            pub const COUNT: usize = [$(stringify!($variant)),*].len();

            /// Parses the reply line to this command (its `result` as this command's reply
            /// type).
            pub fn parse_reply(&self, line: &str) -> serde_json::Result<Reply<Response>> {
                match self {
                    $( Command::$variant(_) => serde_json::from_str::<Reply<$reply>>(line)
                        .map(|r| r.map(Response::$variant)), )*
                }
            }
        }
    };
}

requests! {
    Status(GetStatus) -> Status;
    Counters(GetCounters) -> Counters;
    Pause(Pause) -> Status;
    Resume(Resume) -> Status;
    PowerOff(PowerOff) -> PowerOffResult;
    Kill(Kill) -> Empty;
    /// Resets the machine like a reset button: the VMM ends with exit status 3 (`RESET`), as
    /// for a guest-requested reset, and whoever started it starts it again (the app does).
    Reset(Reset) -> Empty;
    SerialInput(SerialInput) -> SerialInputResult;
    Subscribe(Subscribe) -> Empty;
    Screenshot(Screenshot) -> ScreenshotResult;
    Thumbnail(Thumbnail) -> ThumbnailResult;
    SnapshotCreate(SnapshotCreate) -> SnapshotCreated;
    SnapshotList(ListSnapshots) -> SnapshotList;
    SnapshotRevert(SnapshotRevert) -> SnapshotReverted;
    SnapshotRename(SnapshotRename) -> Empty;
    SnapshotDelete(SnapshotDelete) -> Empty;
    CdromEject(CdromEject) -> Empty;
    CdromInsert(CdromInsert) -> Empty;
    Inspect(Inspect) -> Inspection;
    Step(Step) -> Stepped;
    ExitLog(GetExitLog) -> ExitLog;
    SetDisplaySize(SetDisplaySize) -> Empty;
}

// Requests without fields are empty braced structs, not unit structs: those accept (and
// ignore) extra fields as the protocol always has.

/// The VM's [`Status`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GetStatus {}

/// The VM's [`Counters`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GetCounters {}

/// Stops all vCPUs (`invalid-state` if not running).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Pause {}

/// Restarts all vCPUs (`invalid-state` if not paused).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Resume {}

/// Presses the ACPI power button.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PowerOff {}

/// Ends the VM at once (exit status [`exit_code::KILLED`]).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Kill {}

/// The reset button (exit status [`exit_code::RESET`]).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Reset {}

/// Types bytes into COM1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SerialInput {
    /// Base64 of the bytes to type.
    pub data: String,
}

/// Starts streaming [`Event`]s of these topics on this connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscribe {
    pub topics: Vec<Topic>,
}

/// Writes the current screen to `path` (absolute) as PNG.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Screenshot {
    pub path: String,
}

/// Writes the current screen, scaled down to fit `max_width` × `max_height` (aspect kept,
/// never enlarged), to `path` (absolute) as PNG. Cheaper than a screenshot for a preview:
/// the VMM encodes a few kB instead of the whole screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thumbnail {
    pub path: String,
    pub max_width: u32,
    pub max_height: u32,
}

/// Takes a live snapshot (the VM keeps its run state).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SnapshotCreate {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
}

/// Lists snapshots (with the current one).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ListSnapshots {}

/// Goes back to snapshot `snapshot`; the VM keeps its run state (running or paused).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotRevert {
    pub snapshot: String,
}

/// Gives snapshot `snapshot` a new display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotRename {
    pub snapshot: String,
    pub name: String,
}

/// Deletes snapshot `snapshot` (its children move up to its parent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotDelete {
    pub snapshot: String,
}

/// Asks the guest's display for `width` × `height` pixels (`display.kind = "virtio-gpu"`):
/// the size it offers changes and the guest's driver is told; the guest chooses whether and
/// when to switch (the screen's size follows its scanout).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetDisplaySize {
    pub width: u32,
    pub height: u32,
}

/// Takes the medium out of CD-ROM drive `drive` (its index in `[[cdroms]]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CdromEject {
    pub drive: usize,
}

/// Puts the ISO at `path` (absolute) into CD-ROM drive `drive`, replacing any medium.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CdromInsert {
    pub drive: usize,
    pub path: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Topic {
    Serial,
    Events,
}

// By name only: the derive would also take an index (`[0]` for `serial`).
impl<'de> Deserialize<'de> for Topic {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Topic, D::Error> {
        match String::deserialize(d)?.as_str() {
            "serial" => Ok(Topic::Serial),
            "events" => Ok(Topic::Events),
            other => Err(serde::de::Error::unknown_variant(
                other,
                &["serial", "events"],
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunState {
    #[default]
    Running,
    Paused,
    Stopping,
}

/// The answer to one request: `ok` with a `result` of the request's reply type, or an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply<T> {
    #[serde(default)]
    pub id: Option<u64>,
    pub ok: bool,
    // No `default`: it would ask `T: Default`; a missing Option is None anyway.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ApiError>,
}

impl<T> Reply<T> {
    pub fn new(id: Option<u64>, outcome: Result<T, ApiError>) -> Reply<T> {
        match outcome {
            Ok(r) => Reply {
                id,
                ok: true,
                result: Some(r),
                error: None,
            },
            Err(e) => Reply {
                id,
                ok: false,
                result: None,
                error: Some(e),
            },
        }
    }

    /// The result, or the error (an `ok` reply without a result, or an error reply without
    /// details, is a broken server: `internal`).
    pub fn into_result(self) -> Result<T, ApiError> {
        match (self.ok, self.result, self.error) {
            (true, Some(r), _) => Ok(r),
            (true, None, _) => Err(ApiError::new(
                ErrorCode::Internal,
                "reply: ok without a result",
            )),
            (false, _, Some(e)) => Err(e),
            (false, _, None) => Err(ApiError::new(
                ErrorCode::Internal,
                "reply: error without details",
            )),
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Reply<U> {
        Reply {
            id: self.id,
            ok: self.ok,
            result: self.result.map(f),
            error: self.error,
        }
    }
}

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

/// Machine-readable error kinds, as kebab-case strings on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorCode {
    /// The request does not parse or a field is invalid.
    BadRequest,
    /// Not possible in the VM's present state (pause a paused VM, say).
    InvalidState,
    /// The operation was tried and failed (a screenshot without display, a snapshot error).
    Failed,
    /// A broken reply or another fault that is nobody's input.
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad-request",
            ErrorCode::InvalidState => "invalid-state",
            ErrorCode::Failed => "failed",
            ErrorCode::Internal => "internal",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The result of a request that has nothing to report: `{}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Empty {}

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
    /// What confines the VMM process; None from a VMM that does not say (older ones).
    #[serde(default)]
    pub confinement: Option<Confinement>,
}

/// The VMM's confinement (issue 17), as it put it in force at start.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Confinement {
    /// What a syscall outside a thread's filter does.
    pub seccomp: SeccompMode,
    /// Distinct seccomp filters (one per kind of thread); 0 when off.
    pub filters: u32,
    /// Landlock's file confinement: `"abi v7"` when in force, else why not (`"off"`,
    /// `"unavailable (kernel without it)"`).
    pub landlock: String,
}

/// `--seccomp`: what the filters do with a forbidden syscall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SeccompMode {
    /// The process ends (exit status 1), the thread and syscall in vmm.log and last-exit.json.
    #[default]
    On,
    /// The kernel logs it and lets it through.
    Log,
    /// No filters.
    Off,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PowerOffResult {
    /// Always "acpi-power-button".
    pub method: String,
    /// The guest's ACPI interpreter read the event within the wait; if false, the guest does
    /// not listen to the power button (use `kill`, or power off from inside).
    pub guest_acknowledged: bool,
}

/// What `serial-input` did with the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SerialInputResult {
    /// Bytes the UART took.
    pub queued: u64,
    /// Bytes dropped because the guest is not reading.
    pub dropped: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreenshotResult {
    /// The PNG written (the request's path).
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThumbnailResult {
    /// The PNG written (the request's path).
    pub path: String,
    /// The thumbnail's size in pixels.
    pub width: u32,
    pub height: u32,
}

/// How long a snapshot save or revert took, for the API reply and benchmarks.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Timing {
    /// From the request to the snapshot being whole (or the VM running from it).
    pub total_ms: f64,
    /// How long the vCPUs were stopped.
    pub paused_ms: f64,
    /// Guest memory pages stored (or restored).
    pub memory_pages: u64,
    /// A live save: how long memory was copied while the guest ran on, before the pause
    /// (0: no such copy; the pause copied everything).
    #[serde(default)]
    pub precopy_ms: f64,
    /// A live save: pages the guest (or a device) wrote during that copy, copied again in the
    /// pause.
    #[serde(default)]
    pub recopied_pages: u64,
}

/// A snapshot was taken: its id, and how long it took (fields side by side on the wire).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotCreated {
    pub id: String,
    #[serde(flatten)]
    pub timing: Timing,
}

/// The VM went back to snapshot `id`, and how long that took (fields side by side on the
/// wire).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotReverted {
    pub id: String,
    #[serde(flatten)]
    pub timing: Timing,
}

/// A VM's snapshots and the one its present state descends from.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SnapshotList {
    pub current: Option<String>,
    /// Oldest first; incomplete ones included and marked.
    pub snapshots: Vec<SnapshotEntry>,
}

/// What a snapshot is, for listing (its `meta.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotMeta {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub created_unix_ms: u64,
    pub parent: Option<String>,
    /// The VM's config when the snapshot was taken.
    pub config: VmConfig,
    pub memory_pages: u64,
    pub has_screen: bool,
}

/// A listed snapshot; `meta` is None for an incomplete (interrupted) one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotEntry {
    pub id: String,
    pub complete: bool,
    pub meta: Option<SnapshotMeta>,
    /// Why it is not usable, if it is not.
    pub problem: Option<String>,
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
    /// Per NIC, in `[[nics]]` order: frames and bytes sent and received, drops.
    #[serde(default)]
    pub nics: Vec<NicCounters>,
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

/// One virtio-net NIC's counters since the VMM started.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct NicCounters {
    pub tx_frames: u64,
    pub tx_bytes: u64,
    /// Frames the guest sent while the backend was gone.
    pub tx_dropped: u64,
    pub rx_frames: u64,
    pub rx_bytes: u64,
    /// Frames dropped because the guest had posted no RX buffer in time.
    pub rx_dropped_no_buffer: u64,
    /// Frames dropped because they did not fit the guest's buffer, exceeded the MTU or the
    /// framing's maximum.
    pub rx_dropped_too_big: u64,
    /// Frames that arrived while the driver had not (or no longer) activated the device.
    pub rx_dropped_inactive: u64,
    /// Descriptor chains refused as malformed (both queues).
    pub malformed_chains: u64,
    pub link_up: bool,
}

impl NicCounters {
    /// Frames dropped either way, for whatever reason.
    pub fn dropped(&self) -> u64 {
        self.tx_dropped
            .wrapping_add(self.rx_dropped_no_buffer)
            .wrapping_add(self.rx_dropped_too_big)
            .wrapping_add(self.rx_dropped_inactive)
    }
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
mod tests;
