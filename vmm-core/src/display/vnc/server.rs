//! Listeners, the acceptor thread and the server handle.

use std::collections::HashMap;
use std::fs;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crate::display::DisplayHandle;
use crate::util::lock;

/// Settings shared by both listeners.
#[derive(Debug, Clone)]
pub struct VncOptions {
    /// Shown by viewers as "vmdesk: <vm_name>".
    pub vm_name: String,
    /// A client whose socket doesn't take an update within this time is disconnected.
    pub write_timeout: Duration,
    /// The handshake (up to ClientInit) must finish within this time.
    pub handshake_timeout: Duration,
    /// Authenticated clients at once; one more is refused after its handshake. Connections
    /// still in their handshake have their own slots (see `gate`).
    pub max_clients: usize,
}

impl Default for VncOptions {
    fn default() -> Self {
        VncOptions {
            vm_name: String::from("vm"),
            write_timeout: Duration::from_secs(10),
            handshake_timeout: Duration::from_secs(30),
            max_clients: 16,
        }
    }
}

/// Counters since the server started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VncStats {
    /// Clients connected now (past the acceptor).
    pub clients: usize,
    /// Connections accepted in total.
    pub connections: u64,
    /// Handshakes refused for a wrong password.
    pub auth_failures: u64,
    /// Clients closed for a malformed or unsupported message.
    pub protocol_errors: u64,
    /// KeyEvents whose keysym has no key on a US keyboard (ignored).
    pub unknown_keysyms: u64,
    /// FramebufferUpdate messages sent.
    pub updates_sent: u64,
}

/// A connected socket of either kind.
pub(super) enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Stream {
    pub(super) fn try_clone(&self) -> io::Result<Stream> {
        Ok(match self {
            Stream::Tcp(s) => Stream::Tcp(s.try_clone()?),
            Stream::Unix(s) => Stream::Unix(s.try_clone()?),
        })
    }

    pub(super) fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_read_timeout(t),
            Stream::Unix(s) => s.set_read_timeout(t),
        }
    }

    pub(super) fn set_write_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_write_timeout(t),
            Stream::Unix(s) => s.set_write_timeout(t),
        }
    }

    /// Ends both directions, which wakes a thread blocked reading or writing it.
    pub(super) fn shutdown(&self) {
        let _ = match self {
            Stream::Tcp(s) => s.shutdown(Shutdown::Both),
            Stream::Unix(s) => s.shutdown(Shutdown::Both),
        };
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            Stream::Unix(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.flush(),
            Stream::Unix(s) => s.flush(),
        }
    }
}

enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

impl Listener {
    fn accept(&self) -> io::Result<(Stream, String)> {
        match self {
            Listener::Tcp(l) => {
                let (s, peer) = l.accept()?;
                let _ = s.set_nodelay(true);
                Ok((Stream::Tcp(s), peer.to_string()))
            }
            Listener::Unix(l) => {
                let (s, _) = l.accept()?;
                Ok((Stream::Unix(s), String::from("unix")))
            }
        }
    }

    fn raw_fd(&self) -> i32 {
        match self {
            Listener::Tcp(l) => l.as_raw_fd(),
            Listener::Unix(l) => l.as_raw_fd(),
        }
    }
}

/// What the acceptor and the client threads share.
pub(super) struct Inner {
    pub(super) display: DisplayHandle,
    pub(super) opts: VncOptions,
    pub(super) password: Option<String>,
    pub(super) stop: AtomicBool,
    pub(super) gate: super::gate::Gate,
    clients: Mutex<HashMap<u64, Stream>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    pub(super) connections: AtomicU64,
    pub(super) auth_failures: AtomicU64,
    pub(super) protocol_errors: AtomicU64,
    pub(super) unknown_keysyms: AtomicU64,
    pub(super) updates_sent: AtomicU64,
}

/// A running VNC listener. Dropping it (or [`VncServer::shutdown`]) stops accepting,
/// disconnects every client, waits for their threads and removes the Unix socket file.
pub struct VncServer {
    inner: Arc<Inner>,
    listener: Arc<Listener>,
    acceptor: Option<JoinHandle<()>>,
    local_addr: Option<SocketAddr>,
    /// The socket file and its inode, removed on shutdown if it is still ours.
    socket: Option<(PathBuf, u64, u64)>,
}

/// Serves `display` on a Unix socket at `path`, created with mode 0600, with no VNC
/// authentication (the file mode is the access control). A stale socket file left by a
/// dead process is replaced; a live one, or any other kind of file, is an error.
pub fn serve_unix(path: &Path, display: DisplayHandle, opts: VncOptions) -> io::Result<VncServer> {
    let listener = bind_unix_0600(path)?;
    let meta = fs::metadata(path)?;
    let socket = Some((path.to_path_buf(), meta.dev(), meta.ino()));
    start(Listener::Unix(listener), None, socket, None, display, opts)
}

/// Serves `display` on TCP at `addr`, which must be a loopback address (127.0.0.0/8 or ::1;
/// port 0 picks a free port, see [`VncServer::local_addr`]). With a password, clients must
/// pass VNC Authentication (only its first 8 bytes count, as in every VNC implementation);
/// without one, anyone on this host can connect.
pub fn serve_tcp(
    addr: SocketAddr,
    password: Option<String>,
    display: DisplayHandle,
    opts: VncOptions,
) -> io::Result<VncServer> {
    if !addr.ip().to_canonical().is_loopback() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "vnc: refusing to listen on {addr}: VNC over TCP is only served on loopback \
                 (127.0.0.1 or ::1), because RFB is unencrypted and VNC passwords are weak; \
                 use the Unix socket or an SSH tunnel for remote access"
            ),
        ));
    }
    if let Some(pw) = &password {
        if pw.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "vnc: empty password (pass None for no authentication)",
            ));
        }
        if pw.len() > 8 {
            crate::log_line!(
                "vnc: note: VNC Authentication only uses the first 8 bytes of the password"
            );
        }
    }
    let listener = TcpListener::bind(addr)?;
    let local = listener.local_addr()?;
    start(
        Listener::Tcp(listener),
        password,
        None,
        Some(local),
        display,
        opts,
    )
}

fn start(
    listener: Listener,
    password: Option<String>,
    socket: Option<(PathBuf, u64, u64)>,
    local_addr: Option<SocketAddr>,
    display: DisplayHandle,
    opts: VncOptions,
) -> io::Result<VncServer> {
    let inner = Arc::new(Inner {
        display,
        opts,
        password,
        stop: AtomicBool::new(false),
        gate: super::gate::Gate::default(),
        clients: Mutex::new(HashMap::new()),
        threads: Mutex::new(Vec::new()),
        connections: AtomicU64::new(0),
        auth_failures: AtomicU64::new(0),
        protocol_errors: AtomicU64::new(0),
        unknown_keysyms: AtomicU64::new(0),
        updates_sent: AtomicU64::new(0),
    });
    let listener = Arc::new(listener);
    let acceptor = {
        let inner = inner.clone();
        let listener = listener.clone();
        thread::Builder::new()
            .name(String::from("vnc-accept"))
            .spawn(move || {
                crate::sandbox::confine(crate::sandbox::ThreadKind::VncAccept);
                accept_loop(&inner, &listener)
            })?
    };
    Ok(VncServer {
        inner,
        listener,
        acceptor: Some(acceptor),
        local_addr,
        socket,
    })
}

fn accept_loop(inner: &Arc<Inner>, listener: &Listener) {
    let mut next_id = 0u64;
    loop {
        let accepted = listener.accept();
        if inner.stop.load(Ordering::SeqCst) {
            return;
        }
        let (stream, peer) = match accepted {
            Ok(s) => s,
            Err(e) => {
                crate::log_line!("vnc: accept: {e}");
                // Out of file descriptors and the like: don't spin.
                thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        next_id += 1;
        let id = next_id;
        let peer = format!("client {id} ({peer})");
        inner.connections.fetch_add(1, Ordering::Relaxed);

        lock(&inner.threads).retain(|t| !t.is_finished());
        let handle = match stream.try_clone() {
            Ok(h) => h,
            Err(e) => {
                inner.gate.log(|| format!("vnc: {peer}: refused: {e}"));
                stream.shutdown();
                continue;
            }
        };
        if let Some(old) = inner.gate.enter(id, handle) {
            inner.gate.log(|| {
                format!(
                    "vnc: client {old}: closed: its handshake slot went to a newer connection \
                     ({} handshakes at once)",
                    super::gate::HANDSHAKE_SLOTS
                )
            });
        }
        let inner2 = inner.clone();
        let spawned = thread::Builder::new()
            .name(format!("vnc-client-{id}"))
            .spawn(move || {
                crate::sandbox::confine(crate::sandbox::ThreadKind::VncClient);
                super::session::run(&inner2, stream, id, &peer);
                inner2.gate.leave(id);
                lock(&inner2.clients).remove(&id);
            });
        match spawned {
            Ok(t) => lock(&inner.threads).push(t),
            Err(e) => {
                crate::log_line!("vnc: client {id}: can't start a thread: {e}");
                inner.gate.leave(id);
            }
        }
    }
}

impl Inner {
    /// Moves connection `id` from its handshake slot to the clients; refused when
    /// `max_clients` are connected already.
    pub(super) fn admit(&self, id: u64, stream: &Stream) -> io::Result<()> {
        self.gate.leave(id);
        let mut clients = lock(&self.clients);
        if clients.len() >= self.opts.max_clients {
            return Err(io::Error::other(format!(
                "{} clients already",
                clients.len()
            )));
        }
        clients.insert(id, stream.try_clone()?);
        Ok(())
    }
}

impl VncServer {
    /// The TCP address actually bound (`None` for a Unix socket).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.local_addr
    }

    /// The Unix socket's path (`None` for TCP).
    pub fn socket_path(&self) -> Option<&Path> {
        self.socket.as_ref().map(|(p, _, _)| p.as_path())
    }

    pub fn stats(&self) -> VncStats {
        let i = &self.inner;
        VncStats {
            clients: lock(&i.clients).len() + i.gate.pending(),
            connections: i.connections.load(Ordering::Relaxed),
            auth_failures: i.auth_failures.load(Ordering::Relaxed),
            protocol_errors: i.protocol_errors.load(Ordering::Relaxed),
            unknown_keysyms: i.unknown_keysyms.load(Ordering::Relaxed),
            updates_sent: i.updates_sent.load(Ordering::Relaxed),
        }
    }

    /// Stops the server; the same as dropping it.
    pub fn shutdown(self) {}

    fn stop(&mut self) {
        self.inner.stop.store(true, Ordering::SeqCst);
        // Wakes the acceptor blocked in accept(2) (Linux returns EINVAL to it).
        // SAFETY: the fd stays open: `self.listener` holds it.
        unsafe { libc::shutdown(self.listener.raw_fd(), libc::SHUT_RDWR) };
        if let Some(t) = self.acceptor.take() {
            let _ = t.join();
        }
        for s in lock(&self.inner.clients).values() {
            s.shutdown();
        }
        self.inner.gate.close_all();
        let threads = std::mem::take(&mut *lock(&self.inner.threads));
        for t in threads {
            let _ = t.join();
        }
        if let Some((path, dev, ino)) = self.socket.take() {
            if let Ok(m) = fs::symlink_metadata(&path) {
                if m.dev() == dev && m.ino() == ino {
                    let _ = fs::remove_file(&path);
                }
            }
        }
    }
}

impl Drop for VncServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Binds a Unix stream socket whose file is created with mode 0600 from the start.
fn bind_unix_0600(path: &Path) -> io::Result<UnixListener> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_socket() => {
            if UnixStream::connect(path).is_ok() {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!("vnc: {} is in use by another server", path.display()),
                ));
            }
            fs::remove_file(path)?;
        }
        Ok(_) => {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("vnc: {} exists and is not a socket", path.display()),
            ))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }

    let bytes = path.as_os_str().as_bytes();
    // SAFETY: sockaddr_un is plain data; all zeroes is a valid value.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    if bytes.is_empty() || bytes.len() >= addr.sun_path.len() || bytes.contains(&0) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "vnc: socket path {} is empty or longer than {} bytes",
                path.display(),
                addr.sun_path.len() - 1
            ),
        ));
    }
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    for (d, s) in addr.sun_path.iter_mut().zip(bytes) {
        *d = *s as libc::c_char;
    }
    // SAFETY: plain socket(2); the fd is owned right away.
    let fd = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is a fresh descriptor nobody else owns.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    // Linux gives the socket file the mode of the socket's inode (less the umask), so set
    // it before bind(2): there is no moment when others could connect.
    // SAFETY: fchmod(2) on our own fd.
    if unsafe { libc::fchmod(fd, 0o600) } < 0 {
        return Err(io::Error::last_os_error());
    }
    let len = std::mem::size_of::<libc::sa_family_t>() + bytes.len() + 1;
    // SAFETY: `addr` is a valid sockaddr_un and `len` within it.
    let r = unsafe {
        libc::bind(
            fd,
            (&addr as *const libc::sockaddr_un).cast(),
            len as libc::socklen_t,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: listen(2) on our bound socket.
    if unsafe { libc::listen(fd, 16) } < 0 {
        return Err(io::Error::last_os_error());
    }
    // Also on other kernels / filesystems: make sure.
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))?;
    Ok(UnixListener::from(owned))
}
