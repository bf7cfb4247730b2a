//! The control-API server: a Unix socket, one thread per client (clients are few: the app,
//! a CLI call, a test). See [`crate::api`] for the protocol.

use crate::api::{
    self, ApiError, ApiRequest, Command, Empty, ErrorCode, Event, Hello, Reply, Request, Response,
    Topic,
};
use crate::exit::ExitReason;
use crate::util::lock;
use crate::vmm::VmHandle;
use base64::Engine as _;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
/// Longest request line accepted; anything longer is a broken or hostile client.
const MAX_LINE: usize = 1 << 20;

/// The default runtime folder of a VM: `$XDG_RUNTIME_DIR/vmdesk/<id>`, or a private folder in
/// /tmp when the session has no runtime dir.
pub fn default_runtime_dir(vm_id: &str) -> PathBuf {
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| {
            // SAFETY: getuid cannot fail.
            PathBuf::from(format!("/tmp/vmdesk-{}", unsafe { libc::getuid() }))
        });
    base.join("vmdesk").join(vm_id)
}

pub fn socket_path(runtime_dir: &Path) -> PathBuf {
    runtime_dir.join("control.sock")
}

/// Creates the runtime folder (0700), takes the VM's lock and binds the socket (0600).
///
/// The lock (`flock` on `vmm.lock`, held until the process ends, even by SIGKILL) makes "is this
/// VM already running?" race-free; a socket left by a killed process is then safe to replace.
pub fn bind(runtime_dir: &Path) -> Result<UnixListener, String> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(runtime_dir)
        .map_err(|e| format!("creating {}: {e}", runtime_dir.display()))?;
    let lock_path = runtime_dir.join("vmm.lock");
    let lock_file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&lock_path)
        .map_err(|e| format!("opening {}: {e}", lock_path.display()))?;
    // SAFETY: flock on an fd we own.
    if unsafe { libc::flock(lock_file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        return Err(format!(
            "{} is locked: this VM is already running",
            lock_path.display()
        ));
    }
    // Keep the lock for the life of the process.
    std::mem::forget(lock_file);
    let path = socket_path(runtime_dir);
    if path.exists() {
        std::fs::remove_file(&path)
            .map_err(|e| format!("removing stale {}: {e}", path.display()))?;
    }
    let listener =
        UnixListener::bind(&path).map_err(|e| format!("binding {}: {e}", path.display()))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| format!("chmod {}: {e}", path.display()))?;
    Ok(listener)
}

/// Serves clients on a background thread for as long as the process lives.
pub fn serve(listener: UnixListener, vm: Arc<VmHandle>) {
    let _ = std::thread::Builder::new()
        .name("api".into())
        .spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let vm = vm.clone();
                let _ = std::thread::Builder::new()
                    .name("api-client".into())
                    .spawn(move || client(conn, vm));
            }
        });
}

fn send_line(w: &Mutex<UnixStream>, v: &impl serde::Serialize) -> bool {
    let Ok(mut line) = serde_json::to_vec(v) else {
        return false;
    };
    line.push(b'\n');
    lock(w).write_all(&line).is_ok()
}

fn client(conn: UnixStream, vm: Arc<VmHandle>) {
    let Ok(read_half) = conn.try_clone() else {
        return;
    };
    // A client that stops reading must not hold a device lock or the hub: writes time out.
    let _ = conn.set_write_timeout(Some(Duration::from_secs(5)));
    let writer = Arc::new(Mutex::new(conn));
    let hello = Hello {
        protocol: api::PROTOCOL.into(),
        version: api::VERSION,
        vm_id: vm.config.id.clone(),
        pid: std::process::id(),
    };
    if !send_line(&writer, &hello) {
        return;
    }
    let mut reader = BufReader::new(read_half);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match std::io::Read::take(&mut reader, MAX_LINE as u64 + 1).read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if buf.len() > MAX_LINE {
            let _ = send_line(
                &writer,
                &Reply::<Response>::new(None, Err(bad_request("request line too long"))),
            );
            return;
        }
        if buf.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        let reply = match serde_json::from_slice::<Request>(&buf) {
            Ok(req) => handle(req, &vm, &writer),
            Err(e) => Reply::new(None, Err(bad_request(format!("cannot parse request: {e}")))),
        };
        if !send_line(&writer, &reply) {
            return;
        }
    }
}

fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::BadRequest, message)
}

fn invalid_state(message: String) -> ApiError {
    ApiError::new(ErrorCode::InvalidState, message)
}

fn failed(message: impl std::fmt::Display) -> ApiError {
    ApiError::new(ErrorCode::Failed, message.to_string())
}

/// `outcome` as the answer to `_req`: the types make sure each request gets its own reply type.
fn answer<R: ApiRequest>(
    _req: &R,
    outcome: Result<R::Reply, ApiError>,
) -> Result<Response, ApiError> {
    outcome.map(R::wrap)
}

fn handle(req: Request, vm: &Arc<VmHandle>, writer: &Arc<Mutex<UnixStream>>) -> Reply<Response> {
    let id = req.id;
    let outcome = match req.command {
        Command::Status(r) => answer(&r, Ok(vm.status())),
        Command::Counters(r) => answer(&r, Ok(vm.counters())),
        Command::Pause(r) => answer(&r, vm.pause().map(|()| vm.status()).map_err(invalid_state)),
        Command::Resume(r) => answer(&r, vm.resume().map(|()| vm.status()).map_err(invalid_state)),
        Command::PowerOff(r) => answer(
            &r,
            vm.power_button(Duration::from_secs(2))
                .map(|acked| api::PowerOffResult {
                    method: "acpi-power-button".into(),
                    guest_acknowledged: acked,
                })
                .map_err(invalid_state),
        ),
        Command::Kill(r) => {
            // Reply first: the process ends as soon as the exit is sent.
            send_line(writer, &Reply::new(id, answer(&r, Ok(Empty {}))));
            vm.exit.send(ExitReason::Killed);
            // Never answered twice: the process is going away; keep this thread quiet.
            loop {
                std::thread::park();
            }
        }
        // A machine that resets in place goes on serving this client.
        Command::Reset(r) if vm.exit.resets_in_place() => {
            vm.exit.send(ExitReason::ResetRequested);
            answer(&r, Ok(Empty {}))
        }
        Command::Reset(r) => {
            send_line(writer, &Reply::new(id, answer(&r, Ok(Empty {}))));
            vm.exit.send(ExitReason::ResetRequested);
            // The process is going away.
            loop {
                std::thread::park();
            }
        }
        Command::SerialInput(r) => {
            let outcome = match B64.decode(r.data.as_bytes()) {
                Ok(bytes) => {
                    let dropped = vm.serial_input(&bytes);
                    Ok(api::SerialInputResult {
                        queued: (bytes.len() - dropped) as u64,
                        dropped: dropped as u64,
                    })
                }
                Err(e) => Err(bad_request(format!("data: not base64: {e}"))),
            };
            answer(&r, outcome)
        }
        Command::Screenshot(r) => {
            let outcome = absolute(&r.path).and_then(|p| {
                vm.screenshot(p).map_err(failed)?;
                Ok(api::ScreenshotResult {
                    path: r.path.clone(),
                })
            });
            answer(&r, outcome)
        }
        Command::Thumbnail(r) => {
            let outcome = absolute(&r.path).and_then(|p| {
                if !(1..=4096).contains(&r.max_width) || !(1..=4096).contains(&r.max_height) {
                    return Err(bad_request(
                        "max_width, max_height: must be between 1 and 4096",
                    ));
                }
                let (width, height) = vm.thumbnail(p, r.max_width, r.max_height).map_err(failed)?;
                Ok(api::ThumbnailResult {
                    path: r.path.clone(),
                    width,
                    height,
                })
            });
            answer(&r, outcome)
        }
        Command::SnapshotCreate(r) => answer(
            &r,
            crate::snapshot::create(vm, &r.name, &r.description).map_err(failed),
        ),
        Command::SnapshotList(r) => {
            let dir = &vm.machine.vm_dir;
            answer(
                &r,
                Ok(api::SnapshotList {
                    current: crate::snapshot::current(dir),
                    snapshots: crate::snapshot::list(dir),
                }),
            )
        }
        Command::SnapshotRevert(r) => {
            answer(&r, crate::snapshot::revert(vm, &r.snapshot).map_err(failed))
        }
        Command::SnapshotRename(r) => answer(
            &r,
            crate::snapshot::rename(&vm.machine.vm_dir, &r.snapshot, &r.name)
                .map(|()| Empty {})
                .map_err(failed),
        ),
        Command::SnapshotDelete(r) => answer(
            &r,
            crate::snapshot::delete(&vm.machine.vm_dir, &r.snapshot)
                .map(|()| Empty {})
                .map_err(failed),
        ),
        Command::Subscribe(r) => {
            for t in &r.topics {
                match t {
                    Topic::Serial => {
                        forward(vm.serial_hub.subscribe(), writer.clone(), true, |chunks| {
                            Event::Serial {
                                data: B64.encode(chunks.concat()),
                            }
                        })
                    }
                    Topic::Events => forward(
                        vm.event_hub.subscribe(),
                        writer.clone(),
                        false,
                        |mut evs| evs.remove(0),
                    ),
                }
            }
            answer(&r, Ok(Empty {}))
        }
    };
    Reply::new(id, outcome)
}

/// `path` as a `Path` if it is absolute (the VMM's working folder is nobody's business).
fn absolute(path: &str) -> Result<&Path, ApiError> {
    let p = Path::new(path);
    if p.is_absolute() {
        Ok(p)
    } else {
        Err(bad_request("path: must be absolute"))
    }
}

/// Streams a hub's messages to a client. With `batch`, what has queued up is merged into one
/// event (serial bytes), so a chatty guest does not cost one JSON line per byte.
fn forward<T: Send + 'static>(
    rx: std::sync::mpsc::Receiver<T>,
    writer: Arc<Mutex<UnixStream>>,
    batch: bool,
    merge: fn(Vec<T>) -> Event,
) {
    let _ = std::thread::Builder::new()
        .name("api-stream".into())
        .spawn(move || {
            while let Ok(first) = rx.recv() {
                let mut msgs = vec![first];
                if batch {
                    msgs.extend(rx.try_iter().take(4096));
                }
                if !send_line(&writer, &merge(msgs)) {
                    return;
                }
            }
        });
}
