//! Talking to `vmdesk-vmm`: spawning it and its control socket.
//!
//! The app never touches KVM. Everything goes through [`VmmClient`], so tests use a fake
//! (see `testing::FakeClient`) and the real [`SocketClient`] speaks the newline-delimited JSON
//! protocol of `vmm_core::api`. Replies come back as the API's own types: [`VmmClientExt::call`]
//! gives a request's reply type, [`VmmClient::send`] any command's [`Response`].

use crate::data::error::at;
use crate::data::paths::Paths;
use base64::Engine as _;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use vmm_core::api::{
    ApiRequest, Command, ErrorCode, Event, GetStatus, Hello, Request, Response, Status, Subscribe,
    Topic,
};

pub const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

#[derive(Debug, Clone, PartialEq)]
pub enum ClientError {
    /// No VMM serves this VM (no socket, or nobody listening).
    NotRunning,
    /// The VMM answered with an error.
    Api { code: ErrorCode, message: String },
    /// vmdesk-vmm could not be found.
    VmmMissing(String),
    /// vmdesk-vmm ended right after it was started.
    Exited(ExitInfo),
    /// Anything else (I/O, bad replies).
    Other(String),
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientError::NotRunning => write!(f, "not running"),
            ClientError::Api { code, message } => write!(f, "{message} ({code})"),
            ClientError::VmmMissing(m) | ClientError::Other(m) => write!(f, "{m}"),
            ClientError::Exited(e) => write!(f, "vmdesk-vmm exited: {e:?}"),
        }
    }
}

/// How a vmdesk-vmm process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitInfo {
    /// Exit status (see `vmm_core::api::exit_code`), if it exited normally.
    pub code: Option<i32>,
    /// The signal that ended it, if any.
    pub signal: Option<i32>,
}

impl ExitInfo {
    pub fn from_status(s: std::process::ExitStatus) -> ExitInfo {
        ExitInfo {
            code: s.code(),
            signal: s.signal(),
        }
    }
}

/// Everything the app asks of the VMM side. Calls block; the GUI runs them off its thread.
pub trait VmmClient: Send + Sync + 'static {
    /// The VM's status, or `NotRunning`.
    fn status(&self, id: &str) -> Result<Status, ClientError>;
    /// Sends one command; the reply's `result` as that command's reply type (typed callers use
    /// [`VmmClientExt::call`]).
    fn send(&self, id: &str, command: Command) -> Result<Response, ClientError>;
    /// Starts `vmdesk-vmm` for the VM, detached; returns its pid once the socket answers.
    fn start(&self, id: &str) -> Result<u32, ClientError> {
        self.start_from(id, None)
    }
    /// Starts the VM from a snapshot (`vmdesk-vmm --restore <snapshot>`), or fresh with `None`.
    fn start_from(&self, id: &str, snapshot: Option<&str>) -> Result<u32, ClientError>;
    /// VMMs started by this client that have ended since the last call.
    fn reap(&self) -> Vec<(String, ExitInfo)>;
    /// Subscribes to serial output and state events; the iterator ends when the VM does.
    fn subscribe(&self, id: &str) -> Result<Box<dyn Iterator<Item = Event> + Send>, ClientError>;
}

/// Typed calls on any client (a separate trait so `dyn VmmClient` has them too).
pub trait VmmClientExt {
    /// Sends `request`; returns its reply.
    fn call<R: ApiRequest>(&self, id: &str, request: R) -> Result<R::Reply, ClientError>;
}

impl<C: VmmClient + ?Sized> VmmClientExt for C {
    fn call<R: ApiRequest>(&self, id: &str, request: R) -> Result<R::Reply, ClientError> {
        // `send` decodes each reply as its command's type, so a mismatch is a client bug.
        R::unwrap(self.send(id, request.into())?).ok_or_else(|| {
            ClientError::Other("the client returned the reply to another request".into())
        })
    }
}

impl From<vmm_core::api::ApiError> for ClientError {
    fn from(e: vmm_core::api::ApiError) -> ClientError {
        ClientError::Api {
            code: e.code,
            message: e.message,
        }
    }
}

/// The real client: Unix sockets and child processes.
pub struct SocketClient {
    paths: Paths,
    children: Mutex<HashMap<String, Child>>,
}

impl SocketClient {
    pub fn new(paths: Paths) -> SocketClient {
        SocketClient {
            paths,
            children: Mutex::new(HashMap::new()),
        }
    }

    fn connect(&self, id: &str) -> Result<(BufReader<UnixStream>, UnixStream), ClientError> {
        let path = self.paths.socket(id);
        let stream = UnixStream::connect(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused => {
                ClientError::NotRunning
            }
            _ => ClientError::Other(at(&path)(e).to_string()),
        })?;
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
        let writer = stream
            .try_clone()
            .map_err(|e| ClientError::Other(e.to_string()))?;
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        reader
            .read_line(&mut line)
            .map_err(|e| ClientError::Other(format!("reading hello: {e}")))?;
        if line.is_empty() {
            return Err(ClientError::NotRunning);
        }
        let hello: Hello = serde_json::from_str(&line)
            .map_err(|e| ClientError::Other(format!("bad hello: {e}")))?;
        hello
            .check()
            .map_err(|e| ClientError::Other(at(&path)(e).to_string()))?;
        Ok((reader, writer))
    }
}

fn write_request(w: &mut UnixStream, command: &Command) -> Result<(), ClientError> {
    let mut line = serde_json::to_vec(&Request {
        id: Some(1),
        command: command.clone(),
    })
    .map_err(|e| ClientError::Other(e.to_string()))?;
    line.push(b'\n');
    w.write_all(&line)
        .map_err(|e| ClientError::Other(format!("sending request: {e}")))
}

/// Reads lines until the reply to `command` (events may come first after a subscribe) and
/// decodes its result as that command's reply type.
fn read_reply(r: &mut BufReader<UnixStream>, command: &Command) -> Result<Response, ClientError> {
    loop {
        let mut line = String::new();
        match r.read_line(&mut line) {
            Ok(0) => return Err(ClientError::NotRunning),
            Ok(_) => {}
            Err(e) => return Err(ClientError::Other(format!("reading reply: {e}"))),
        }
        if serde_json::from_str::<Event>(&line).is_ok() {
            continue;
        }
        let reply = command
            .parse_reply(&line)
            .map_err(|e| ClientError::Other(format!("bad reply to {command:?}: {e}")))?;
        return Ok(reply.into_result()?);
    }
}

/// Where `vmdesk-vmm` is: `$VMDESK_VMM`, next to this program, or on `$PATH`.
pub fn find_vmm() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("VMDESK_VMM") {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(format!("VMDESK_VMM={} does not exist", p.display()))
        };
    }
    if let Ok(exe) = std::env::current_exe() {
        if let Some(dir) = exe.parent() {
            // Next to us; in cargo's test layout the binaries sit one folder up.
            for d in [Some(dir), dir.parent()].into_iter().flatten() {
                let c = d.join("vmdesk-vmm");
                if c.is_file() {
                    return Ok(c);
                }
            }
        }
    }
    if let Some(path) = std::env::var_os("PATH") {
        for d in std::env::split_paths(&path) {
            let c = d.join("vmdesk-vmm");
            if c.is_file() {
                return Ok(c);
            }
        }
    }
    Err("vmdesk-vmm was found neither next to vmdesk nor on $PATH".into())
}

impl VmmClient for SocketClient {
    fn status(&self, id: &str) -> Result<Status, ClientError> {
        self.call(id, GetStatus {})
    }

    fn send(&self, id: &str, command: Command) -> Result<Response, ClientError> {
        let (mut r, mut w) = self.connect(id)?;
        write_request(&mut w, &command)?;
        read_reply(&mut r, &command)
    }

    fn start_from(&self, id: &str, snapshot: Option<&str>) -> Result<u32, ClientError> {
        if self.status(id).is_ok() {
            return Err(ClientError::Api {
                code: ErrorCode::InvalidState,
                message: "already running".into(),
            });
        }
        // A VMM that just ended (a reset, say) may hold its lock a moment after its socket went.
        wait_unlocked(&self.paths.runtime_dir(id), Duration::from_secs(2));
        let vmm = find_vmm().map_err(ClientError::VmmMissing)?;
        // A VM folder made by an older vmdesk may be 0755: it holds RAM and disks.
        let _ = vmm_core::util::make_private(&self.paths.vm_dir(id), 0o700);
        // The VMM's stderr: private (it names the VM's files), and never a FIFO to wait on.
        let log = vmm_core::util::create_private_file(&self.paths.vmm_log(id))
            .map_err(|e| ClientError::Other(format!("creating vmm.log: {e}")))?;
        let log2 = log
            .try_clone()
            .map_err(|e| ClientError::Other(e.to_string()))?;
        let mut cmd = std::process::Command::new(&vmm);
        cmd.arg("--config").arg(self.paths.vm_config(id));
        if self.paths.runtime_base.is_some() {
            cmd.arg("--runtime-dir").arg(self.paths.runtime_dir(id));
        }
        if let Some(snap) = snapshot {
            cmd.arg("--restore").arg(snap);
        }
        // Landlock lets the VMM write only its folders and this one, where the app's
        // screenshots go.
        if let Ok(dir) = crate::data::paths::screenshot_dir() {
            cmd.arg("--screenshot-dir").arg(dir);
        }
        cmd.current_dir(self.paths.vm_dir(id))
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2)
            // Its own process group: Ctrl-C in our terminal or closing the app leaves it running.
            .process_group(0);
        let mut child = cmd
            .spawn()
            .map_err(|e| ClientError::Other(format!("starting {}: {e}", vmm.display())))?;
        let pid = child.id();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(st)) = child.try_wait() {
                return Err(ClientError::Exited(ExitInfo::from_status(st)));
            }
            if self.status(id).is_ok() {
                break;
            }
            if Instant::now() > deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.children
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.to_string(), child);
        Ok(pid)
    }

    fn reap(&self) -> Vec<(String, ExitInfo)> {
        let mut children = self.children.lock().unwrap_or_else(|p| p.into_inner());
        let mut done = Vec::new();
        children.retain(|id, child| match child.try_wait() {
            Ok(Some(st)) => {
                done.push((id.clone(), ExitInfo::from_status(st)));
                false
            }
            _ => true,
        });
        done
    }

    fn subscribe(&self, id: &str) -> Result<Box<dyn Iterator<Item = Event> + Send>, ClientError> {
        let (mut r, mut w) = self.connect(id)?;
        let command = Command::from(Subscribe {
            topics: vec![Topic::Serial, Topic::Events],
        });
        write_request(&mut w, &command)?;
        read_reply(&mut r, &command)?;
        // Events can be far apart: no read timeout on a subscription.
        let _ = r.get_ref().set_read_timeout(None);
        let lines = r.lines();
        Ok(Box::new(
            lines
                .map_while(Result::ok)
                .filter_map(|l| serde_json::from_str::<Event>(&l).ok()),
        ))
    }
}

/// The guest-facing bytes of a serial event.
pub fn decode_serial(data: &str) -> Vec<u8> {
    B64.decode(data.as_bytes()).unwrap_or_default()
}

pub fn encode_serial(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

pub fn serial_input(text: &str) -> vmm_core::api::SerialInput {
    serial_bytes(text.as_bytes())
}

/// Bytes for the guest's serial port, as they are (a terminal's keys).
pub fn serial_bytes(bytes: &[u8]) -> vmm_core::api::SerialInput {
    vmm_core::api::SerialInput {
        data: B64.encode(bytes),
    }
}

/// What `vmdesk-vmm` wrote to `<vm dir>/last-exit.json` when it ended.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Deserialize)]
pub struct LastExit {
    #[serde(default)]
    pub code: Option<i32>,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub ended_unix_ms: u64,
}

/// Reads `last-exit.json`; `None` if missing or unreadable.
pub fn read_last_exit(vm_dir: &std::path::Path) -> Option<LastExit> {
    let text = std::fs::read_to_string(vm_dir.join("last-exit.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// The end of a VMM that is not our child (reattached): `last-exit.json`, once it is newer than
/// the run that started at `started_unix_ms`. The VMM writes it as its last act, so this waits
/// up to `wait` for it.
pub fn wait_last_exit(
    vm_dir: &std::path::Path,
    started_unix_ms: u64,
    wait: Duration,
) -> Option<LastExit> {
    let deadline = Instant::now() + wait;
    loop {
        if let Some(x) = read_last_exit(vm_dir) {
            if x.ended_unix_ms >= started_unix_ms {
                return Some(x);
            }
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until no process holds the VM's `vmm.lock` (a VMM that is ending), at most `timeout`.
fn wait_unlocked(runtime_dir: &Path, timeout: Duration) {
    let Ok(f) = std::fs::File::open(runtime_dir.join("vmm.lock")) else {
        return;
    };
    let deadline = Instant::now() + timeout;
    // SAFETY: flock on an fd we own; our lock goes with `f` at return.
    while unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        if Instant::now() >= deadline {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_end_of_a_reattached_vmm_comes_from_last_exit_json() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_last_exit(dir.path()), None);
        std::fs::write(
            dir.path().join("last-exit.json"),
            r#"{"code":4,"reason":"guest-crash","message":"the guest crashed","ended_unix_ms":2000}"#,
        )
        .unwrap();
        let x = wait_last_exit(dir.path(), 1000, Duration::ZERO).unwrap();
        assert_eq!((x.code, x.reason.as_str()), (Some(4), "guest-crash"));
        // A file from an earlier run does not describe this one.
        assert_eq!(
            wait_last_exit(dir.path(), 3000, Duration::from_millis(60)),
            None
        );
    }

    #[test]
    fn a_missing_socket_means_not_running() {
        let root = tempfile::tempdir().unwrap();
        let c = SocketClient::new(Paths::under(root.path()));
        assert_eq!(c.status("nope"), Err(ClientError::NotRunning));
        assert!(c.reap().is_empty());
    }
}
