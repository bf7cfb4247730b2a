//! libslirp (Debian `libslirp0`, the library behind QEMU's `-netdev user`) as a NIC's user-mode
//! network: the second backend next to passt, used where passt cannot serve (see
//! [`crate::net::choose_backend`]). Debian 12's passt cannot forward TCP into a guest; libslirp
//! can (shared/notes/passt.md).
//!
//! The virtio-net device does not know the difference: it gets one end of a socketpair with
//! passt's framing ([`crate::net::frame`]). The other end belongs to a thread here,
//! `<nic>-slirp`, that runs libslirp's poll loop: frames from the socket go to `slirp_input`,
//! frames libslirp sends go back framed, and libslirp's own sockets (connections the guest
//! opened, forwarded ports) are polled in the same `poll(2)`.
//!
//! In process, not a child like passt: libslirp is a library, and a helper process would need a
//! second binary or a re-exec mode for little gain here (it gets no privileges either way: the
//! VMM runs as the desktop user). The thread ends when the device closes its end (the VM ends)
//! or when [`SlirpNet`] is dropped.
//!
//! The guest sees what passt shows it on this project's machines: 192.0.2.0/24, the guest
//! 192.0.2.2 (by DHCP), the gateway 192.0.2.1, which reaches the host's 127.0.0.1 (so does any
//! other address in that /24 but the DNS one); DNS at 192.0.2.3, relayed to the host's resolver.
//! No IPv6. Forwards listen on 127.0.0.1 only.

pub mod ffi;

use crate::config::{PortForward, Protocol};
use crate::net::frame;
use std::ffi::{c_char, c_int, c_void, CStr};
use std::io::{Read, Write};
use std::net::Ipv4Addr;
use std::os::unix::io::AsRawFd;
use std::os::unix::net::UnixStream;
use std::thread::JoinHandle;
use std::time::Instant;
use vmm_sys_util::eventfd::EventFd;

/// The guest network: as passt's on these machines, so guests configured for one work on both.
pub const NETWORK: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 0);
pub const NETMASK: Ipv4Addr = Ipv4Addr::new(255, 255, 255, 0);
/// The gateway; connections to it reach the host's loopback.
pub const GATEWAY: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
/// The address DHCP hands out first, and the one forwards go to.
pub const GUEST: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 2);
pub const DNS: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 3);
/// How to get libslirp, for messages.
pub const INSTALL_HINT: &str = "install it with `apt-get install libslirp0`";

/// libslirp's version if it can be loaded, else why not.
pub fn available() -> Result<&'static str, &'static str> {
    ffi::lib().map(|l| l.version.as_str())
}

/// What libslirp is told.
#[derive(Debug, Clone, Default)]
pub struct SlirpOptions {
    /// Host ports on 127.0.0.1 forwarded to the guest's ports.
    pub forwards: Vec<PortForward>,
    /// MTU (and MRU) of the virtual link.
    pub mtu: u16,
}

/// Why a slirp backend could not be started.
#[derive(Debug, thiserror::Error)]
pub enum SlirpError {
    #[error("libslirp is not available ({0}); {INSTALL_HINT}")]
    Missing(String),
    #[error("cannot create a socket pair: {0}")]
    SocketPair(std::io::Error),
    #[error("libslirp refused its configuration")]
    New,
    #[error(
        "cannot forward 127.0.0.1:{} ({}) to the guest's port {}: the host port is in use or \
         not allowed",
        .0.host_port, .0.proto, .0.guest_port
    )]
    Forward(PortForward),
    #[error("cannot start its thread: {0}")]
    Thread(std::io::Error),
}

/// A running libslirp stack; stopped (thread ended, sockets closed) on drop.
pub struct SlirpNet {
    stop: EventFd,
    /// The loop's end of the socket: shut down on drop, so a send blocked on a device that no
    /// longer reads fails instead of holding the join forever.
    ours: UnixStream,
    thread: Option<JoinHandle<()>>,
}

impl SlirpNet {
    /// Starts libslirp with the forwards bound, and its thread. Returns it and the device's end
    /// of its socket.
    pub fn spawn(opts: &SlirpOptions, label: &str) -> Result<(SlirpNet, UnixStream), SlirpError> {
        let lib = ffi::lib().map_err(|e| SlirpError::Missing(e.to_string()))?;
        let (device_end, ours) = UnixStream::pair().map_err(SlirpError::SocketPair)?;
        let stop = EventFd::new(libc::EFD_NONBLOCK).map_err(SlirpError::SocketPair)?;
        let ours_for_drop = ours.try_clone().map_err(SlirpError::SocketPair)?;
        let ctx = Box::into_raw(Box::new(Ctx {
            stream: ours,
            label: label.to_string(),
            timers: Vec::new(),
            pollfds: Vec::new(),
            out: Vec::with_capacity(frame::MAX_FRAME_LEN + 4),
            write_failed: false,
            epoch: Instant::now(),
        }));
        let mtu = usize::from(if opts.mtu == 0 { 1500 } else { opts.mtu });
        let cfg = config(mtu);
        // SAFETY: cfg is a valid version-1 config; CALLBACKS is static (libslirp keeps the
        // pointer); ctx stays valid until after slirp_cleanup (the thread frees it last).
        let slirp = unsafe { (lib.new)(&cfg, &CALLBACKS, ctx.cast()) };
        let running = Running { slirp, ctx };
        if slirp.is_null() {
            running.free(lib, false);
            return Err(SlirpError::New);
        }
        for f in &opts.forwards {
            // SAFETY: slirp is live; the addresses are plain values.
            let rc = unsafe {
                (lib.add_hostfwd)(
                    slirp,
                    c_int::from(f.proto == Protocol::Udp),
                    ffi::in_addr(Ipv4Addr::LOCALHOST),
                    c_int::from(f.host_port),
                    ffi::in_addr(GUEST),
                    c_int::from(f.guest_port),
                )
            };
            if rc < 0 {
                running.free(lib, true);
                return Err(SlirpError::Forward(*f));
            }
        }
        let stop_fd = stop.as_raw_fd();
        let thread = std::thread::Builder::new()
            .name(format!("{label}-slirp"))
            .spawn(move || {
                crate::sandbox::confine(crate::sandbox::ThreadKind::Slirp);
                let r = running;
                r.run(lib, stop_fd);
                r.free(lib, true);
            })
            .map_err(SlirpError::Thread)?;
        Ok((
            SlirpNet {
                stop,
                ours: ours_for_drop,
                thread: Some(thread),
            },
            device_end,
        ))
    }
}

impl Drop for SlirpNet {
    fn drop(&mut self) {
        let _ = self.stop.write(1);
        let _ = self.ours.shutdown(std::net::Shutdown::Both);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn config(mtu: usize) -> ffi::SlirpConfig {
    let no6 = libc::in6_addr { s6_addr: [0; 16] };
    ffi::SlirpConfig {
        version: ffi::CONFIG_VERSION,
        restricted: 0,
        in_enabled: true,
        vnetwork: ffi::in_addr(NETWORK),
        vnetmask: ffi::in_addr(NETMASK),
        vhost: ffi::in_addr(GATEWAY),
        in6_enabled: false,
        vprefix_addr6: no6,
        vprefix_len: 0,
        vhost6: no6,
        vhostname: std::ptr::null(),
        tftp_server_name: std::ptr::null(),
        tftp_path: std::ptr::null(),
        bootfile: std::ptr::null(),
        vdhcp_start: ffi::in_addr(GUEST),
        vnameserver: ffi::in_addr(DNS),
        vnameserver6: no6,
        vdnssearch: std::ptr::null(),
        vdomainname: std::ptr::null(),
        if_mtu: mtu,
        if_mru: mtu,
        disable_host_loopback: false,
        enable_emu: false,
        outbound_addr: std::ptr::null(),
        outbound_addr6: std::ptr::null(),
        disable_dns: false,
        disable_dhcp: false,
    }
}

/// The state libslirp's callbacks see (its `opaque`).
struct Ctx {
    /// Our end of the device's socket.
    stream: UnixStream,
    label: String,
    timers: Vec<*mut Timer>,
    /// This round's poll set: the socket, the stop eventfd, then libslirp's sockets.
    pollfds: Vec<libc::pollfd>,
    /// Scratch for one framed frame.
    out: Vec<u8>,
    /// The device's end is gone: the loop ends.
    write_failed: bool,
    epoch: Instant,
}

impl Ctx {
    fn now_ms(&self) -> i64 {
        self.epoch.elapsed().as_millis() as i64
    }
}

struct Timer {
    cb: ffi::TimerCb,
    cb_opaque: *mut c_void,
    /// On the clock of `clock_get_ns`, in ms; None while not armed.
    expire_ms: Option<i64>,
}

/// A libslirp instance and its context, handed to its thread.
struct Running {
    slirp: *mut ffi::Slirp,
    ctx: *mut Ctx,
}

// SAFETY: libslirp is not thread-safe, but the instance is used by one thread at a time: the
// creating thread until the hand-over, then only the loop thread.
unsafe impl Send for Running {}

impl Running {
    /// Stops libslirp (closing its sockets) and frees the context and its timers.
    fn free(self, lib: &ffi::Lib, started: bool) {
        if started {
            // SAFETY: slirp is live and not used again.
            unsafe { (lib.cleanup)(self.slirp) };
        }
        // SAFETY: ctx came from Box::into_raw and libslirp, now gone, no longer uses it; the
        // timers it did not free came from Box::into_raw too.
        let ctx = unsafe { Box::from_raw(self.ctx) };
        for t in ctx.timers {
            // SAFETY: see above.
            drop(unsafe { Box::from_raw(t) });
        }
    }

    fn run(&self, lib: &ffi::Lib, stop_fd: c_int) {
        let opaque: *mut c_void = self.ctx.cast();
        let ptr = self.ctx;
        // SAFETY: (for each `ctx()`) the context outlives the loop, and no reference from it is
        // held across a call into libslirp (whose callbacks make their own).
        let ctx = || unsafe { &mut *ptr };
        let sock_fd = ctx().stream.as_raw_fd();
        let mut pending: Vec<u8> = Vec::with_capacity(256 * 1024);
        let mut chunk = vec![0u8; 128 * 1024];
        loop {
            let c = ctx();
            c.pollfds.clear();
            for fd in [sock_fd, stop_fd] {
                c.pollfds.push(libc::pollfd {
                    fd,
                    events: libc::POLLIN,
                    revents: 0,
                });
            }
            let mut timeout = next_timer(c).unwrap_or(1000).clamp(0, 1000) as u32;
            // SAFETY: slirp is live; add_poll only appends to ctx.pollfds.
            unsafe { (lib.pollfds_fill)(self.slirp, &mut timeout, add_poll, opaque) };
            let c = ctx();
            // SAFETY: pollfds is a valid array of that many pollfd.
            let n = unsafe {
                libc::poll(
                    c.pollfds.as_mut_ptr(),
                    c.pollfds.len() as libc::nfds_t,
                    timeout as c_int,
                )
            };
            if n < 0 {
                for p in &mut c.pollfds {
                    p.revents = 0;
                }
            }
            // SAFETY: as above; get_revents only reads ctx.pollfds.
            unsafe { (lib.pollfds_poll)(self.slirp, c_int::from(n < 0), get_revents, opaque) };
            self.fire_timers();
            let c = ctx();
            if c.pollfds[1].revents != 0 || c.write_failed {
                return;
            }
            if c.pollfds[0].revents != 0 {
                // One read: poll said it would not block.
                match c.stream.read(&mut chunk) {
                    Ok(0) => return,
                    Ok(k) => pending.extend_from_slice(&chunk[..k]),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => return,
                }
                let mut at = 0;
                while pending.len() - at >= 4 {
                    let len = u32::from_be_bytes(pending[at..at + 4].try_into().expect("4 bytes"))
                        as usize;
                    if len > frame::MAX_FRAME_LEN {
                        crate::log_line!(
                            "vmdesk-vmm: slirp ({}): frame length {len} from the device: the stream is out of step, closing",
                            c.label
                        );
                        return;
                    }
                    if pending.len() - at < 4 + len {
                        break;
                    }
                    let f = &pending[at + 4..at + 4 + len];
                    // SAFETY: slirp is live; f is valid for len bytes (≤ 65535, fits c_int).
                    unsafe { (lib.input)(self.slirp, f.as_ptr(), len as c_int) };
                    at += 4 + len;
                }
                pending.drain(..at);
            }
        }
    }

    fn fire_timers(&self) {
        loop {
            // SAFETY: as in run: no reference is held across the callback.
            let c = unsafe { &mut *self.ctx };
            let now = c.now_ms();
            let due = c.timers.iter().copied().find(|&t| {
                // SAFETY: timers in the list are live (timer_free removes them first).
                unsafe { &*t }.expire_ms.is_some_and(|e| e <= now)
            });
            let Some(t) = due else { return };
            // SAFETY: t is live; disarm before the callback, which may re-arm it.
            let (cb, arg) = unsafe {
                (*t).expire_ms = None;
                ((*t).cb, (*t).cb_opaque)
            };
            // SAFETY: libslirp's own callback with its own argument, on its thread.
            unsafe { cb(arg) };
        }
    }
}

/// Milliseconds until the next armed timer.
fn next_timer(c: &Ctx) -> Option<i64> {
    let now = c.now_ms();
    c.timers
        .iter()
        // SAFETY: timers in the list are live.
        .filter_map(|&t| unsafe { &*t }.expire_ms)
        .map(|e| (e - now).max(0))
        .min()
}

static CALLBACKS: ffi::SlirpCb = ffi::SlirpCb {
    send_packet: Some(send_packet),
    guest_error: Some(guest_error),
    clock_get_ns: Some(clock_get_ns),
    timer_new: Some(timer_new),
    timer_free: Some(timer_free),
    timer_mod: Some(timer_mod),
    register_poll_fd: Some(ignore_fd),
    unregister_poll_fd: Some(ignore_fd),
    notify: Some(notify),
    init_completed: None,
    timer_new_opaque: None,
};

/// The context behind libslirp's `opaque`.
///
/// # Safety
/// `opaque` is the `Ctx` given to slirp_new, and no other reference to it is live.
unsafe fn ctx_of<'a>(opaque: *mut c_void) -> &'a mut Ctx {
    // SAFETY: as the caller promises.
    unsafe { &mut *opaque.cast::<Ctx>() }
}

unsafe extern "C" fn send_packet(buf: *const c_void, len: usize, opaque: *mut c_void) -> isize {
    // SAFETY: libslirp calls this from the loop thread with our opaque.
    let c = unsafe { ctx_of(opaque) };
    if c.write_failed {
        return len as isize;
    }
    // SAFETY: libslirp passes a frame of len bytes.
    let f = unsafe { std::slice::from_raw_parts(buf.cast::<u8>(), len) };
    c.out.clear();
    if frame::encode_into(f, &mut c.out).is_err() {
        return len as isize; // larger than any MTU we set: drop it
    }
    // Blocking: the device's RX thread keeps reading (it drops frames the guest has no buffer
    // for), so this waits only while the VM is paused for a snapshot.
    match c.stream.write_all(&c.out) {
        Ok(()) => len as isize,
        Err(_) => {
            // The device's end is gone (the VM ends): the loop stops. Said as sent, since
            // libslirp logs a failed send as critical.
            c.write_failed = true;
            len as isize
        }
    }
}

unsafe extern "C" fn guest_error(msg: *const c_char, opaque: *mut c_void) {
    // SAFETY: as in send_packet; msg is a NUL-terminated string.
    let (c, msg) = unsafe { (ctx_of(opaque), CStr::from_ptr(msg)) };
    crate::log_line!(
        "vmdesk-vmm: slirp ({}): guest error: {}",
        c.label,
        msg.to_string_lossy()
    );
}

unsafe extern "C" fn clock_get_ns(opaque: *mut c_void) -> i64 {
    // SAFETY: as in send_packet.
    unsafe { ctx_of(opaque) }.epoch.elapsed().as_nanos() as i64
}

unsafe extern "C" fn timer_new(
    cb: ffi::TimerCb,
    cb_opaque: *mut c_void,
    opaque: *mut c_void,
) -> *mut c_void {
    // SAFETY: as in send_packet.
    let c = unsafe { ctx_of(opaque) };
    let t = Box::into_raw(Box::new(Timer {
        cb,
        cb_opaque,
        expire_ms: None,
    }));
    c.timers.push(t);
    t.cast()
}

unsafe extern "C" fn timer_free(timer: *mut c_void, opaque: *mut c_void) {
    // SAFETY: as in send_packet.
    let c = unsafe { ctx_of(opaque) };
    let t = timer.cast::<Timer>();
    if let Some(i) = c.timers.iter().position(|&x| x == t) {
        c.timers.swap_remove(i);
        // SAFETY: made by timer_new, now out of the list.
        drop(unsafe { Box::from_raw(t) });
    }
}

unsafe extern "C" fn timer_mod(timer: *mut c_void, expire_ms: i64, _opaque: *mut c_void) {
    // SAFETY: a live timer made by timer_new.
    unsafe { (*timer.cast::<Timer>()).expire_ms = Some(expire_ms) };
}

/// libslirp's sockets are polled through pollfds_fill each round: nothing to register.
unsafe extern "C" fn ignore_fd(_fd: c_int, _opaque: *mut c_void) {}

/// The loop runs again right after the callback that called this.
unsafe extern "C" fn notify(_opaque: *mut c_void) {}

unsafe extern "C" fn add_poll(fd: c_int, events: c_int, opaque: *mut c_void) -> c_int {
    // SAFETY: called by pollfds_fill with our opaque.
    let c = unsafe { ctx_of(opaque) };
    let mut ev = 0;
    if events & ffi::POLL_IN != 0 {
        ev |= libc::POLLIN;
    }
    if events & ffi::POLL_OUT != 0 {
        ev |= libc::POLLOUT;
    }
    if events & ffi::POLL_PRI != 0 {
        ev |= libc::POLLPRI;
    }
    c.pollfds.push(libc::pollfd {
        fd,
        events: ev,
        revents: 0,
    });
    (c.pollfds.len() - 1) as c_int
}

unsafe extern "C" fn get_revents(idx: c_int, opaque: *mut c_void) -> c_int {
    // SAFETY: called by pollfds_poll with our opaque.
    let c = unsafe { ctx_of(opaque) };
    let Some(p) = usize::try_from(idx).ok().and_then(|i| c.pollfds.get(i)) else {
        return 0;
    };
    let r = p.revents;
    let mut out = 0;
    for (bit, flag) in [
        (libc::POLLIN, ffi::POLL_IN),
        (libc::POLLOUT, ffi::POLL_OUT),
        (libc::POLLPRI, ffi::POLL_PRI),
        (libc::POLLERR, ffi::POLL_ERR),
        (libc::POLLHUP, ffi::POLL_HUP),
    ] {
        if r & bit != 0 {
            out |= flag;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_forward_port_is_an_error_naming_it() {
        if available().is_err() {
            eprintln!("skipped: libslirp not installed ({INSTALL_HINT})");
            return;
        }
        let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = busy.local_addr().unwrap().port();
        let opts = SlirpOptions {
            forwards: vec![PortForward {
                proto: Protocol::Tcp,
                host_port: port,
                guest_port: 22,
            }],
            mtu: 1500,
        };
        let e = SlirpNet::spawn(&opts, "nics[0]").err().unwrap().to_string();
        assert!(e.contains(&format!("127.0.0.1:{port} (tcp)")), "{e}");
        assert!(e.contains("port 22"), "{e}");
    }

    #[test]
    fn dropping_the_backend_ends_its_thread_and_frees_the_port() {
        if available().is_err() {
            eprintln!("skipped: libslirp not installed ({INSTALL_HINT})");
            return;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let opts = SlirpOptions {
            forwards: vec![PortForward {
                proto: Protocol::Tcp,
                host_port: port,
                guest_port: 80,
            }],
            mtu: 1500,
        };
        let (net, _dev) = SlirpNet::spawn(&opts, "nics[0]").unwrap();
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
        drop(net);
        assert!(
            std::net::TcpListener::bind(("127.0.0.1", port)).is_ok(),
            "the forwarded port stays bound after the backend stopped"
        );
    }
}
