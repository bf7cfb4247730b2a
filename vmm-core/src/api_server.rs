//! The control-API server: a Unix socket, one thread per client (clients are few: the app,
//! a CLI call, a test; at most [`MAX_CLIENTS`], silent ones time out). See [`crate::api`] for
//! the protocol.

use crate::api::{
    self, ApiError, ApiRequest, Command, Empty, ErrorCode, Event, Hello, Reply, Request, Response,
    Topic,
};
use crate::devices::ahci::atapi::{Atapi, Medium};
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
use std::time::{Duration, Instant};

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

/// Refuses a runtime folder others could reach into: it must be ours and 0700, and every
/// folder above it ours or root's, and not writable by others unless sticky (like /tmp).
/// Otherwise its owner (an existing `/tmp/vmdesk-0` of another user, say) could swap the
/// control socket or the VM lock under us.
pub fn check_private_dir(dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let real = dir
        .canonicalize()
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    // SAFETY: geteuid cannot fail.
    let me = unsafe { libc::geteuid() };
    let m = std::fs::metadata(&real).map_err(|e| format!("{}: {e}", real.display()))?;
    if m.uid() != me || m.mode() & 0o077 != 0 {
        return Err(format!(
            "the runtime folder {} is not private (owner uid {}, mode {:o}; it must be this              user's, uid {me}, mode 700): refusing to put the VM's control socket there",
            real.display(),
            m.uid(),
            m.mode() & 0o7777
        ));
    }
    for up in real.ancestors().skip(1) {
        let m = std::fs::metadata(up).map_err(|e| format!("{}: {e}", up.display()))?;
        let writable_by_others = m.mode() & 0o022 != 0;
        let sticky = m.mode() & 0o1000 != 0;
        if (m.uid() != me && m.uid() != 0) || (writable_by_others && !sticky) {
            return Err(format!(
                "the runtime folder {} is inside {} (owner uid {}, mode {:o}), which others                  control: refusing to put the VM's control socket there",
                real.display(),
                up.display(),
                m.uid(),
                m.mode() & 0o7777
            ));
        }
    }
    Ok(())
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
    check_private_dir(runtime_dir)?;
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

/// Most control connections served at once. The app uses one per call plus one per
/// subscription; at the cap the oldest idle connection is closed for the new one, so a client
/// that opens many and never talks cannot lock the app out.
const MAX_CLIENTS: usize = 64;
/// How long a new connection may wait before its first request, and any request may take to
/// arrive whole once begun, before the connection is closed.
const IDLE: Duration = Duration::from_secs(30);

/// The open connections, for the cap.
#[derive(Default)]
struct Clients {
    next_id: u64,
    open: Vec<ClientEntry>,
}

struct ClientEntry {
    id: u64,
    /// The socket (shared, not a dup: one fd per connection), to shut it down from here.
    stream: Arc<UnixStream>,
    /// When it last finished a request (or connected).
    idle_since: Instant,
    /// Handling a request now: never closed under it.
    busy: bool,
    /// Has subscriptions: only closed when no plain connection is left to close.
    subscribed: bool,
}

impl Clients {
    /// Registers `conn`, first closing the oldest idle connection if the cap is reached
    /// (plain ones before subscribed ones). None if all are busy: `conn` is refused.
    fn admit(&mut self, conn: &Arc<UnixStream>) -> Option<u64> {
        if self.open.len() >= MAX_CLIENTS && !self.close_oldest_idle() {
            return None;
        }
        let id = self.next_id;
        self.next_id += 1;
        self.open.push(ClientEntry {
            id,
            stream: conn.clone(),
            idle_since: Instant::now(),
            busy: false,
            subscribed: false,
        });
        Some(id)
    }

    /// Shuts down the connection idle the longest (plain ones before subscribed ones); false
    /// if all are busy.
    fn close_oldest_idle(&mut self) -> bool {
        let victim = self
            .open
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.busy)
            .min_by_key(|(_, c)| (c.subscribed, c.idle_since))
            .map(|(i, _)| i);
        let Some(victim) = victim else {
            return false;
        };
        let old = self.open.swap_remove(victim);
        // Its thread sees end-of-file and cleans up after itself.
        let _ = old.stream.shutdown(std::net::Shutdown::Both);
        true
    }

    fn update(&mut self, id: u64, f: impl FnOnce(&mut ClientEntry)) {
        if let Some(c) = self.open.iter_mut().find(|c| c.id == id) {
            f(c);
        }
    }

    fn remove(&mut self, id: u64) {
        self.open.retain(|c| c.id != id);
    }
}

/// Serves clients on a background thread for as long as the process lives.
pub fn serve(listener: UnixListener, vm: Arc<VmHandle>) {
    let clients = Arc::new(Mutex::new(Clients::default()));
    let _ = std::thread::Builder::new()
        .name("api".into())
        .spawn(move || {
            crate::sandbox::confine(crate::sandbox::ThreadKind::Api);
            loop {
                let conn = match listener.accept() {
                    Ok((conn, _)) => Arc::new(conn),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    // Out of fds (EMFILE) or memory, or a connection gone before accepted: never
                    // spin on it. Out of fds below the cap: make room as the cap would.
                    Err(e) => {
                        if matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE)) {
                            lock(&clients).close_oldest_idle();
                        }
                        std::thread::sleep(Duration::from_millis(50));
                        continue;
                    }
                };
                // The hello goes out before the connection counts, so one the cap closes later
                // (under load, before its thread ran) still got it; it fits the socket's buffer,
                // so a client that never reads cannot stall this loop on it.
                if !greet(&conn, &vm) {
                    continue;
                }
                let Some(id) = lock(&clients).admit(&conn) else {
                    continue;
                };
                let (vm, registry) = (vm.clone(), clients.clone());
                let spawned =
                    std::thread::Builder::new()
                        .name("api-client".into())
                        .spawn(move || {
                            crate::sandbox::confine(crate::sandbox::ThreadKind::ApiClient);
                            let mut session = Session {
                                id,
                                clients: registry.clone(),
                                unsubscribe: Vec::new(),
                            };
                            client(conn, &vm, &mut session);
                            // The streams of this connection end now, not at their next event.
                            for f in session.unsubscribe.drain(..) {
                                f();
                            }
                            lock(&registry).remove(id);
                        });
                if spawned.is_err() {
                    lock(&clients).remove(id);
                }
            }
        });
}

/// One connection's bookkeeping.
struct Session {
    id: u64,
    clients: Arc<Mutex<Clients>>,
    /// Ends this connection's subscriptions.
    unsubscribe: Vec<Box<dyn FnOnce() + Send>>,
}

impl Session {
    fn subscribed(&self) -> bool {
        !self.unsubscribe.is_empty()
    }

    fn mark(&self, f: impl FnOnce(&mut ClientEntry)) {
        lock(&self.clients).update(self.id, f);
    }
}

/// A connection's socket; the mutex keeps lines whole (replies and events interleave).
type Writer = Mutex<Arc<UnixStream>>;

fn send_line(w: &Writer, v: &impl serde::Serialize) -> bool {
    let Ok(mut line) = serde_json::to_vec(v) else {
        return false;
    };
    line.push(b'\n');
    let stream = lock(w);
    (&**stream).write_all(&line).is_ok()
}

/// What reading one request line gave.
#[derive(Debug, PartialEq, Eq)]
enum Line {
    /// A whole line (with its `\n`) is in the buffer.
    Complete,
    /// End of file, an error, or the deadline passed: the connection is done.
    Closed,
    /// Longer than [`MAX_LINE`].
    TooLong,
}

/// Reads one `\n`-terminated line into `buf`: its first byte by `first_by` (None: no limit),
/// then the whole line within `line_time` of it, however it trickles in (a byte at a time
/// would keep each single read short).
fn read_line(
    r: &mut BufReader<&UnixStream>,
    buf: &mut Vec<u8>,
    first_by: Option<Instant>,
    line_time: Duration,
) -> Line {
    let mut deadline = first_by;
    let mut started = false;
    loop {
        if r.buffer().is_empty() {
            let timeout = match deadline {
                Some(d) => match d.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ => return Line::Closed,
                },
                None => None,
            };
            if r.get_ref().set_read_timeout(timeout).is_err() {
                return Line::Closed;
            }
        }
        let avail = match r.fill_buf() {
            Ok([]) => return Line::Closed,
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return Line::Closed,
        };
        if !started {
            started = true;
            let by = Instant::now() + line_time;
            deadline = Some(deadline.map_or(by, |d| d.min(by)));
        }
        let (used, done) = match avail.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (avail.len(), false),
        };
        buf.extend_from_slice(&avail[..used]);
        r.consume(used);
        if buf.len() > MAX_LINE {
            return Line::TooLong;
        }
        if done {
            return Line::Complete;
        }
    }
}

/// Sends a new connection its hello line; false if it could not be written.
fn greet(conn: &Arc<UnixStream>, vm: &Arc<VmHandle>) -> bool {
    // A client that stops reading must not hold a device lock or the hub: writes time out.
    let _ = conn.set_write_timeout(Some(Duration::from_secs(5)));
    let hello = Hello {
        protocol: api::PROTOCOL.into(),
        version: api::VERSION,
        vm_id: vm.config.id.clone(),
        pid: std::process::id(),
    };
    send_line(&Arc::new(Mutex::new(conn.clone())), &hello)
}

fn client(conn: Arc<UnixStream>, vm: &Arc<VmHandle>, session: &mut Session) {
    let writer = Arc::new(Mutex::new(conn.clone()));
    let mut reader = BufReader::new(&*conn);
    let mut buf = Vec::new();
    let mut talked = false;
    loop {
        buf.clear();
        // A subscriber waits for events and may never send again; anyone else must talk.
        // A client must talk soon after connecting; one that did may sit between requests
        // (the cap closes it when room is needed), as may a subscriber waiting for events.
        let first_by = (!talked && !session.subscribed()).then(|| Instant::now() + IDLE);
        match read_line(&mut reader, &mut buf, first_by, IDLE) {
            Line::Complete => {}
            Line::Closed => return,
            Line::TooLong => {
                let _ = send_line(
                    &writer,
                    &Reply::<Response>::new(None, Err(bad_request("request line too long"))),
                );
                return;
            }
        }
        if buf.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        talked = true;
        session.mark(|c| c.busy = true);
        let reply = match serde_json::from_slice::<Request>(&buf) {
            Ok(req) => handle(req, vm, &writer, session),
            Err(e) => Reply::new(None, Err(bad_request(format!("cannot parse request: {e}")))),
        };
        let subscribed = session.subscribed();
        session.mark(|c| {
            c.busy = false;
            c.subscribed = subscribed;
            c.idle_since = Instant::now();
        });
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

fn handle(
    req: Request,
    vm: &Arc<VmHandle>,
    writer: &Arc<Writer>,
    session: &mut Session,
) -> Reply<Response> {
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
                confined_write(p)?;
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
                confined_write(p)?;
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
        Command::CdromEject(r) => answer(
            &r,
            with_cdrom(vm, r.drive, |d| d.eject().map_err(invalid_state)),
        ),
        Command::CdromInsert(r) => {
            let outcome = absolute(&r.path).and_then(|p| {
                if let Some(why) = crate::sandbox::read_refused(p) {
                    return Err(bad_request(why));
                }
                // The same checks as for the config's media, then the file is opened once.
                let c = crate::config::CdromConfig {
                    path: Some(p.to_path_buf()),
                };
                crate::config::validate::validate_cdrom(r.drive, &c)
                    .map_err(|e| failed(e.to_string()))?;
                let medium = Medium::open(p).map_err(failed)?;
                with_cdrom(vm, r.drive, |d| d.insert(medium).map_err(invalid_state))
            });
            answer(&r, outcome)
        }
        Command::SetDisplaySize(r) => answer(
            &r,
            vm.set_display_size(r.width, r.height).map(|()| Empty {}),
        ),
        // The inspector (issue 16).
        Command::Inspect(r) => answer(&r, Ok(crate::inspect::inspect(vm))),
        Command::Step(r) => {
            let n = vm.machine.vcpus.len();
            let outcome = if r.vcpu as usize >= n {
                Err(bad_request(format!(
                    "vcpu: {} does not exist (this VM has {n})",
                    r.vcpu
                )))
            } else if vm.state() != api::RunState::Paused {
                Err(invalid_state(
                    "step needs a paused VM (pause it first)".into(),
                ))
            } else {
                crate::inspect::step(vm, r.vcpu as usize).map_err(failed)
            };
            answer(&r, outcome)
        }
        Command::ExitLog(r) => answer(&r, Ok(vm.exit_log.read(r.after))),
        Command::Subscribe(r) => {
            for t in &r.topics {
                let stop = match t {
                    Topic::Serial => {
                        let hub = vm.serial_hub.clone();
                        let (key, rx) = hub.subscribe_keyed();
                        forward(rx, writer.clone(), true, |chunks| Event::Serial {
                            data: B64.encode(chunks.concat()),
                        });
                        Box::new(move || hub.unsubscribe(key)) as Box<dyn FnOnce() + Send>
                    }
                    Topic::Events => {
                        let hub = vm.event_hub.clone();
                        let (key, rx) = hub.subscribe_keyed();
                        forward(rx, writer.clone(), false, |mut evs| evs.remove(0));
                        Box::new(move || hub.unsubscribe(key))
                    }
                };
                session.unsubscribe.push(stop);
            }
            answer(&r, Ok(Empty {}))
        }
    };
    Reply::new(id, outcome)
}

/// Runs `op` on CD-ROM drive `drive`; a VM without that drive is a bad request.
fn with_cdrom(
    vm: &VmHandle,
    drive: usize,
    op: impl FnOnce(&mut Atapi) -> Result<(), ApiError>,
) -> Result<Empty, ApiError> {
    let ahci = vm.machine.firmware.as_ref().and_then(|f| f.ahci.as_ref());
    let Some(ahci) = ahci else {
        return Err(bad_request("drive: this VM has no CD-ROM drives"));
    };
    let mut ahci = lock(ahci);
    let count = ahci.cdroms();
    match ahci.cdrom(drive) {
        Some(d) => op(d).map(|()| Empty {}),
        None => Err(bad_request(format!(
            "drive: {drive} is not a CD-ROM drive of this VM (it has {count})"
        ))),
    }
}

/// A file the caller wants written where Landlock will not let the VMM write is a bad
/// request that says where it may write, not the kernel's bare "Permission denied".
fn confined_write(path: &Path) -> Result<(), ApiError> {
    match crate::sandbox::write_refused(path) {
        Some(why) => Err(bad_request(why)),
        None => Ok(()),
    }
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
    writer: Arc<Writer>,
    batch: bool,
    merge: fn(Vec<T>) -> Event,
) {
    let _ = std::thread::Builder::new()
        .name("api-stream".into())
        .spawn(move || {
            crate::sandbox::confine(crate::sandbox::ThreadKind::ApiStream);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_must_be_whole_by_its_deadline_however_it_trickles() {
        let (a, mut b) = UnixStream::pair().unwrap();
        let mut r = BufReader::new(&a);
        let mut buf = Vec::new();
        b.write_all(b"{\"cmd\":\"status\"}\n{\"cmd\"").unwrap();
        let line_time = Duration::from_millis(300);
        let soon = || Some(Instant::now() + line_time);
        assert_eq!(
            read_line(&mut r, &mut buf, soon(), line_time),
            Line::Complete
        );
        assert_eq!(buf, b"{\"cmd\":\"status\"}\n");
        // One byte every 100 ms keeps every single read short, but not the whole line.
        let trickle = std::thread::spawn(move || {
            for _ in 0..10 {
                std::thread::sleep(Duration::from_millis(100));
                if b.write_all(b" ").is_err() {
                    break;
                }
            }
            b
        });
        buf.clear();
        let t = Instant::now();
        // No wait for the first byte (a client that talked before), but the line is timed.
        assert_eq!(read_line(&mut r, &mut buf, None, line_time), Line::Closed);
        assert!(
            t.elapsed() < Duration::from_millis(600),
            "{:?}",
            t.elapsed()
        );
        drop(trickle.join());
        // Silence from a new client: closed at its first-byte deadline.
        let (a, _b) = UnixStream::pair().unwrap();
        let mut r = BufReader::new(&a);
        let t = Instant::now();
        assert_eq!(read_line(&mut r, &mut buf, soon(), line_time), Line::Closed);
        assert!(
            t.elapsed() < Duration::from_millis(600),
            "{:?}",
            t.elapsed()
        );
    }

    #[test]
    fn a_runtime_folder_others_control_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let ok = d.path().join("ok");
        bind_dir(&ok);
        assert_eq!(check_private_dir(&ok), Ok(()));
        let open = d.path().join("open");
        bind_dir(&open);
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(check_private_dir(&open)
            .unwrap_err()
            .contains("not private"));
        // Ours and 0700, but inside a folder anyone may write (not sticky).
        let shared = d.path().join("shared");
        std::fs::create_dir(&shared).unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).unwrap();
        let inner = shared.join("vm");
        bind_dir(&inner);
        assert!(check_private_dir(&inner).unwrap_err().contains("others"));
        // The same with the sticky bit, as /tmp: fine.
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
        assert_eq!(check_private_dir(&inner), Ok(()));
        // Another user's folder, even 0700 (needs root to make).
        let theirs = d.path().join("theirs");
        bind_dir(&theirs);
        let c = std::ffi::CString::new(theirs.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        if unsafe { libc::chown(c.as_ptr(), 65534, 65534) } == 0 {
            assert!(check_private_dir(&theirs)
                .unwrap_err()
                .contains("uid 65534"));
        } else {
            eprintln!("skipped: another user's folder (needs root to chown)");
        }
    }

    fn bind_dir(p: &Path) {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new().mode(0o700).create(p).unwrap();
    }

    #[test]
    fn the_cap_closes_the_oldest_idle_plain_connection_first() {
        let mut clients = Clients::default();
        let mut peers = Vec::new();
        let mut ids = Vec::new();
        for _ in 0..MAX_CLIENTS {
            let (a, b) = UnixStream::pair().unwrap();
            let a = Arc::new(a);
            ids.push(clients.admit(&a).unwrap());
            peers.push((a, b));
        }
        clients.update(ids[0], |c| c.subscribed = true);
        clients.update(ids[1], |c| c.busy = true);
        let (a, _b) = UnixStream::pair().unwrap();
        assert!(clients.admit(&Arc::new(a)).is_some());
        assert_eq!(clients.open.len(), MAX_CLIENTS);
        // ids[2] was the oldest idle plain one: shut down (its peer reads end-of-file).
        assert!(!clients.open.iter().any(|c| c.id == ids[2]));
        let mut byte = [0u8; 1];
        assert_eq!(std::io::Read::read(&mut peers[2].1, &mut byte).unwrap(), 0);
        assert!(clients.open.iter().any(|c| c.id == ids[0]));
        assert!(clients.open.iter().any(|c| c.id == ids[1]));
        // All busy: a newcomer is refused rather than one cut off mid-request.
        for c in &mut clients.open {
            c.busy = true;
        }
        let (a, _b) = UnixStream::pair().unwrap();
        assert!(clients.admit(&Arc::new(a)).is_none());
    }
}
