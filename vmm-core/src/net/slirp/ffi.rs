//! The part of libslirp's C API (`<slirp/libslirp.h>`, 4.x) the slirp backend calls, loaded at
//! run time with `dlopen` (libloading).
//!
//! Why by hand and at run time: linking libslirp (the `libslirp`/`libslirp-sys` crates do) would
//! make vmdesk-vmm refuse to start on a host without `libslirp0`, although passt alone serves
//! most VMs; and building would need libslirp-dev and pkg-config. Seven functions and two structs
//! are little to keep in step, and the struct layout is versioned by libslirp itself
//! (`SlirpConfig::version`): we fill version 1, which every 4.x release reads.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::sync::OnceLock;

/// The shared object Debian's `libslirp0` installs.
pub const LIBRARY: &str = "libslirp.so.0";

/// The oldest `SlirpConfig` layout: every field we set is in it.
pub const CONFIG_VERSION: u32 = 1;

pub const POLL_IN: c_int = 1;
pub const POLL_OUT: c_int = 2;
pub const POLL_PRI: c_int = 4;
pub const POLL_ERR: c_int = 8;
pub const POLL_HUP: c_int = 16;

/// `Slirp`: opaque.
#[repr(C)]
pub struct Slirp {
    _private: [u8; 0],
}

pub type TimerCb = unsafe extern "C" fn(opaque: *mut c_void);
pub type AddPollCb = unsafe extern "C" fn(fd: c_int, events: c_int, opaque: *mut c_void) -> c_int;
pub type GetREventsCb = unsafe extern "C" fn(idx: c_int, opaque: *mut c_void) -> c_int;

/// `SlirpCb`, field for field (the two version-4 fields last; unused at version 1).
#[repr(C)]
pub struct SlirpCb {
    pub send_packet:
        Option<unsafe extern "C" fn(buf: *const c_void, len: usize, opaque: *mut c_void) -> isize>,
    pub guest_error: Option<unsafe extern "C" fn(msg: *const c_char, opaque: *mut c_void)>,
    pub clock_get_ns: Option<unsafe extern "C" fn(opaque: *mut c_void) -> i64>,
    pub timer_new: Option<
        unsafe extern "C" fn(
            cb: TimerCb,
            cb_opaque: *mut c_void,
            opaque: *mut c_void,
        ) -> *mut c_void,
    >,
    pub timer_free: Option<unsafe extern "C" fn(timer: *mut c_void, opaque: *mut c_void)>,
    pub timer_mod:
        Option<unsafe extern "C" fn(timer: *mut c_void, expire_ms: i64, opaque: *mut c_void)>,
    pub register_poll_fd: Option<unsafe extern "C" fn(fd: c_int, opaque: *mut c_void)>,
    pub unregister_poll_fd: Option<unsafe extern "C" fn(fd: c_int, opaque: *mut c_void)>,
    pub notify: Option<unsafe extern "C" fn(opaque: *mut c_void)>,
    pub init_completed: Option<unsafe extern "C" fn(slirp: *mut Slirp, opaque: *mut c_void)>,
    pub timer_new_opaque: Option<
        unsafe extern "C" fn(id: c_int, cb_opaque: *mut c_void, opaque: *mut c_void) -> *mut c_void,
    >,
}

/// `SlirpConfig` up to version 4 (libslirp reads only the fields of the version it is given).
#[repr(C)]
pub struct SlirpConfig {
    pub version: u32,
    pub restricted: c_int,
    pub in_enabled: bool,
    pub vnetwork: libc::in_addr,
    pub vnetmask: libc::in_addr,
    pub vhost: libc::in_addr,
    pub in6_enabled: bool,
    pub vprefix_addr6: libc::in6_addr,
    pub vprefix_len: u8,
    pub vhost6: libc::in6_addr,
    pub vhostname: *const c_char,
    pub tftp_server_name: *const c_char,
    pub tftp_path: *const c_char,
    pub bootfile: *const c_char,
    pub vdhcp_start: libc::in_addr,
    pub vnameserver: libc::in_addr,
    pub vnameserver6: libc::in6_addr,
    pub vdnssearch: *const *const c_char,
    pub vdomainname: *const c_char,
    pub if_mtu: usize,
    pub if_mru: usize,
    pub disable_host_loopback: bool,
    pub enable_emu: bool,
    // Version 2.
    pub outbound_addr: *const libc::sockaddr_in,
    pub outbound_addr6: *const libc::sockaddr_in6,
    // Version 3.
    pub disable_dns: bool,
    // Version 4.
    pub disable_dhcp: bool,
}

/// The functions, resolved once per process.
pub struct Lib {
    pub new: unsafe extern "C" fn(*const SlirpConfig, *const SlirpCb, *mut c_void) -> *mut Slirp,
    pub cleanup: unsafe extern "C" fn(*mut Slirp),
    pub input: unsafe extern "C" fn(*mut Slirp, *const u8, c_int),
    pub pollfds_fill: unsafe extern "C" fn(*mut Slirp, *mut u32, AddPollCb, *mut c_void),
    pub pollfds_poll: unsafe extern "C" fn(*mut Slirp, c_int, GetREventsCb, *mut c_void),
    pub add_hostfwd: unsafe extern "C" fn(
        *mut Slirp,
        c_int,
        libc::in_addr,
        c_int,
        libc::in_addr,
        c_int,
    ) -> c_int,
    /// libslirp's version, e.g. "4.7.0".
    pub version: String,
    /// Kept loaded for the process's life: the pointers above point into it.
    _lib: libloading::Library,
}

/// libslirp, loaded on first use; `Err` says why it cannot be (for the log and the user).
pub fn lib() -> Result<&'static Lib, &'static str> {
    static LIB: OnceLock<Result<Lib, String>> = OnceLock::new();
    LIB.get_or_init(load).as_ref().map_err(|e| e.as_str())
}

fn load() -> Result<Lib, String> {
    // SAFETY: loading libslirp runs its (glib's) initialisers, which have no preconditions.
    let lib = unsafe { libloading::Library::new(LIBRARY) }.map_err(|e| e.to_string())?;
    macro_rules! sym {
        ($name:literal) => {
            // SAFETY: the symbol is the C function of that name in libslirp 4.x, and the field
            // it is stored in has its signature from libslirp.h.
            *unsafe { lib.get(concat!($name, "\0").as_bytes()) }
                .map_err(|e| format!("{LIBRARY}: {e}"))?
        };
    }
    let version_fn: unsafe extern "C" fn() -> *const c_char = sym!("slirp_version_string");
    // SAFETY: slirp_version_string returns a static NUL-terminated string.
    let version = unsafe { CStr::from_ptr(version_fn()) }
        .to_string_lossy()
        .into_owned();
    Ok(Lib {
        new: sym!("slirp_new"),
        cleanup: sym!("slirp_cleanup"),
        input: sym!("slirp_input"),
        pollfds_fill: sym!("slirp_pollfds_fill"),
        pollfds_poll: sym!("slirp_pollfds_poll"),
        add_hostfwd: sym!("slirp_add_hostfwd"),
        version,
        _lib: lib,
    })
}

/// An IPv4 address as `struct in_addr` (network byte order).
pub fn in_addr(a: std::net::Ipv4Addr) -> libc::in_addr {
    libc::in_addr {
        s_addr: u32::from_ne_bytes(a.octets()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_layout_matches_libslirp_h_on_x86_64() {
        // Offsets from the C header (gcc, x86-64): a field out of place would hand libslirp
        // garbage addresses.
        assert_eq!(std::mem::offset_of!(SlirpConfig, vnetwork), 12);
        assert_eq!(std::mem::offset_of!(SlirpConfig, vprefix_addr6), 28);
        assert_eq!(std::mem::offset_of!(SlirpConfig, vhost6), 48);
        assert_eq!(std::mem::offset_of!(SlirpConfig, vhostname), 64);
        assert_eq!(std::mem::offset_of!(SlirpConfig, vdhcp_start), 96);
        assert_eq!(std::mem::offset_of!(SlirpConfig, vnameserver6), 104);
        assert_eq!(std::mem::offset_of!(SlirpConfig, if_mtu), 136);
        assert_eq!(
            std::mem::offset_of!(SlirpConfig, disable_host_loopback),
            152
        );
        assert_eq!(std::mem::offset_of!(SlirpConfig, outbound_addr), 160);
        assert_eq!(std::mem::offset_of!(SlirpConfig, disable_dhcp), 177);
        assert_eq!(std::mem::size_of::<SlirpConfig>(), 184);
        assert_eq!(std::mem::size_of::<SlirpCb>(), 88);
        assert_eq!(
            in_addr(std::net::Ipv4Addr::new(192, 0, 2, 1))
                .s_addr
                .to_ne_bytes(),
            [192, 0, 2, 1]
        );
    }
}
