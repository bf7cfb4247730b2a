//! Networking: each configured NIC is a virtio-net device backed by a user-mode network stack,
//! passt or libslirp, on a socketpair with passt's framing.
//!
//! passt (<https://passt.top>, Debian/Ubuntu package `passt`) gives the guest user-mode
//! networking without privileges: it answers ARP/DHCP/NDP itself and carries the guest's TCP,
//! UDP and ICMP over ordinary host sockets. With passt's defaults the guest gets the host's
//! address and gateway (on this project's machines 192.0.2.2/24 via 192.0.2.1), and
//! connections to the gateway address reach the host's loopback.
//!
//! libslirp (Debian `libslirp0`, QEMU's `-netdev user`) does the same in a thread of ours, with
//! the same addresses; it is the one that carries inbound TCP forwards where Debian 12's passt
//! cannot. Which NIC gets which: [`choose_backend`].
//!
//! - [`frame`]: the length-prefixed framing on the backend's socket.
//! - [`passt`]: starting, watching and stopping one passt process.
//! - [`slirp`]: libslirp, loaded at run time, and its poll-loop thread.
//! - [`start_nics`]: starts the backends behind a VM's NICs (the builder,
//!   [`crate::builder`], makes the virtio-net devices on them).

pub mod frame;
pub mod passt;
pub mod slirp;

use crate::config::{NetBackend, NicConfig, Protocol};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;

/// The MTU the backend is told and the virtio-net device offers.
pub const DEFAULT_MTU: u16 = 1500;

/// How to get passt, for messages.
pub const PASST_INSTALL_HINT: &str = "install it with `apt-get install passt`";

/// The backends of one VM's NICs: a running backend per NIC that could be started.
#[derive(Default)]
pub struct StartedNics {
    /// In config order; each backend stops when its guard is dropped.
    pub nics: Vec<StartedNic>,
    /// Problems that did not stop the VM (NICs left out), for the log and the API status.
    pub warnings: Vec<String>,
    /// Which backend each started NIC got and why, for the log (`nics[0]: passt (…)`).
    pub notes: Vec<String>,
}

/// Why a VM's NICs cannot be started; each names the NIC (`nics[N]`).
#[derive(Debug, thiserror::Error)]
pub enum StartNicsError {
    #[error("nics[{index}].mac: {source}")]
    Mac { index: usize, source: MacError },
    #[error("nics[{index}]: {source}")]
    Passt {
        index: usize,
        source: passt::PasstError,
    },
    #[error("nics[{index}]: slirp: {source}")]
    Slirp {
        index: usize,
        source: slirp::SlirpError,
    },
}

/// One NIC's backend: what keeps it running and the socket to it.
pub struct StartedNic {
    /// The NIC's index in the config's `[[nics]]`.
    pub index: usize,
    /// `nics[N]`, for messages and thread names.
    pub label: String,
    pub mac: [u8; 6],
    /// Which stack serves it.
    pub backend: NetBackend,
    /// The passt process or the slirp thread: dropping it stops the backend.
    pub guard: Box<dyn Send>,
    pub stream: UnixStream,
}

/// What can serve a NIC on this host.
#[derive(Debug, Clone)]
pub struct Available {
    /// The passt binary, if installed.
    pub passt: Option<PathBuf>,
    /// libslirp's version, or why it cannot be loaded.
    pub slirp: Result<String, String>,
}

impl Available {
    /// What this host has.
    pub fn probe() -> Available {
        Available {
            passt: passt::find_passt(),
            slirp: slirp::available()
                .map(str::to_string)
                .map_err(str::to_string),
        }
    }
}

/// Whether a NIC can work on this host at all: passt or libslirp is there.
pub fn user_network_available() -> bool {
    passt::find_passt().is_some() || slirp::available().is_ok()
}

/// The backend one NIC gets: `Ok((backend, why))`, or `Err(why it is left out)`.
///
/// `backend = "passt"` or `"slirp"` is taken as asked. `"auto"` (the default):
/// 1. slirp when the NIC forwards a TCP port and libslirp is there: Debian 12's passt (the one
///    these hosts have) cannot carry an inbound TCP connection into a guest;
/// 2. else passt when it is installed (sandboxed in its own process);
/// 3. else slirp when libslirp is there;
/// 4. else none: the VM starts without this NIC, and the warning says what to install.
pub fn choose_backend(nic: &NicConfig, have: &Available) -> Result<(NetBackend, String), String> {
    let slirp_missing = |e: &str| {
        format!(
            "libslirp is not available ({e}): the VM starts without this network interface ({})",
            slirp::INSTALL_HINT
        )
    };
    let passt_missing = || {
        format!(
            "passt is not installed: the VM starts without this network interface \
             ({PASST_INSTALL_HINT})"
        )
    };
    match nic.backend {
        NetBackend::Passt => match &have.passt {
            Some(_) => Ok((NetBackend::Passt, "asked for in the config".into())),
            None => Err(passt_missing()),
        },
        NetBackend::Slirp => match &have.slirp {
            Ok(v) => Ok((
                NetBackend::Slirp,
                format!("asked for in the config; libslirp {v}"),
            )),
            Err(e) => Err(slirp_missing(e)),
        },
        NetBackend::Auto => {
            let tcp_forwards = nic.forwards.iter().any(|f| f.proto == Protocol::Tcp);
            match (&have.passt, &have.slirp) {
                (_, Ok(v)) if tcp_forwards => Ok((
                    NetBackend::Slirp,
                    format!(
                        "auto: the NIC forwards TCP ports, which Debian 12's passt cannot carry \
                         into a guest; libslirp {v}"
                    ),
                )),
                (Some(_), _) => Ok((NetBackend::Passt, "auto: passt is installed".into())),
                (None, Ok(v)) => Ok((
                    NetBackend::Slirp,
                    format!("auto: passt is not installed; libslirp {v}"),
                )),
                (None, Err(e)) => Err(format!(
                    "neither passt nor libslirp is available ({e}): the VM starts without this \
                     network interface ({PASST_INSTALL_HINT}, or `apt-get install libslirp0`)"
                )),
            }
        }
    }
}

/// Starts one backend per NIC ([`choose_backend`]). A NIC without a usable backend is left out
/// with a warning; a backend that fails to start (e.g. a forwarded port already in use) is an
/// error naming the NIC.
///
/// Call this from the thread that lives as long as the VM (vmdesk-vmm's main thread): passt is
/// told to die with that thread (PR_SET_PDEATHSIG), and in any case passt quits when its socket
/// closes, i.e. when this process ends however it ends.
pub fn start_nics(vm_id: &str, nics: &[NicConfig]) -> Result<StartedNics, StartNicsError> {
    if nics.is_empty() {
        return Ok(StartedNics::default());
    }
    start_nics_with(&Available::probe(), vm_id, nics)
}

/// [`start_nics`] with what the host has given.
pub fn start_nics_with(
    have: &Available,
    vm_id: &str,
    nics: &[NicConfig],
) -> Result<StartedNics, StartNicsError> {
    let mut out = StartedNics::default();
    for (i, nic) in nics.iter().enumerate() {
        let label = format!("nics[{i}]");
        let mac = match &nic.mac {
            Some(s) => parse_mac(s).map_err(|source| StartNicsError::Mac { index: i, source })?,
            None => derived_mac(vm_id, i),
        };
        let (backend, why) = match choose_backend(nic, have) {
            Ok(c) => c,
            Err(w) => {
                out.warnings.push(format!("{label}: {w}"));
                continue;
            }
        };
        let (guard, stream): (Box<dyn Send>, UnixStream) = match backend {
            NetBackend::Slirp => {
                let opts = slirp::SlirpOptions {
                    forwards: nic.forwards.clone(),
                    mtu: DEFAULT_MTU,
                };
                let (s, stream) = slirp::SlirpNet::spawn(&opts, &label)
                    .map_err(|source| StartNicsError::Slirp { index: i, source })?;
                (Box::new(s) as Box<dyn Send>, stream)
            }
            _ => {
                let opts = passt::PasstOptions {
                    forwards: nic.forwards.clone(),
                    mtu: DEFAULT_MTU,
                };
                let bin = have.passt.as_deref().unwrap_or("passt".as_ref());
                let (p, stream) = passt::Passt::spawn(bin, &opts, &label)
                    .map_err(|source| StartNicsError::Passt { index: i, source })?;
                (Box::new(p) as Box<dyn Send>, stream)
            }
        };
        out.notes.push(format!("{label}: {backend} ({why})"));
        out.nics.push(StartedNic {
            index: i,
            label,
            mac,
            backend,
            guard,
            stream,
        });
    }
    Ok(out)
}

/// Why a MAC address from a config is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MacError {
    #[error("{mac:?} is not a MAC address like \"52:54:00:12:34:56\"")]
    Malformed { mac: String },
    #[error("{mac:?} is a multicast address (lowest bit of the first byte set); a NIC needs a unicast one")]
    Multicast { mac: String },
    #[error("{mac:?} is the all-zero address")]
    AllZero { mac: String },
}

/// Parses `aa:bb:cc:dd:ee:ff` (hex, either case). Refuses multicast/broadcast and all-zero
/// addresses: a NIC needs a unicast address.
pub fn parse_mac(s: &str) -> Result<[u8; 6], MacError> {
    let bad = || MacError::Malformed { mac: s.to_string() };
    let mut mac = [0u8; 6];
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() != 6 {
        return Err(bad());
    }
    for (b, p) in mac.iter_mut().zip(parts) {
        if p.len() != 2 || !p.bytes().all(|c| c.is_ascii_hexdigit()) {
            return Err(bad());
        }
        *b = u8::from_str_radix(p, 16).map_err(|_| bad())?;
    }
    if mac[0] & 1 != 0 {
        return Err(MacError::Multicast { mac: s.to_string() });
    }
    if mac == [0; 6] {
        return Err(MacError::AllZero { mac: s.to_string() });
    }
    Ok(mac)
}

pub fn format_mac(mac: [u8; 6]) -> String {
    mac.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// A stable, locally administered unicast MAC for NIC `index` of VM `vm_id` (FNV-1a of both,
/// so it never changes between runs or builds).
pub fn derived_mac(vm_id: &str, index: usize) -> [u8; 6] {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in format!("vmdesk-nic:{vm_id}:{index}").bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let b = h.to_be_bytes();
    // Locally administered (bit 1), unicast (bit 0 clear).
    let mut mac = [(b[0] & 0xfc) | 0x02, b[1], b[2], b[3], b[4], b[5]];
    // Never passt's own default address (02:fc:00:00:00:01 on hosts like these).
    if mac == [0x02, 0xfc, 0, 0, 0, 1] {
        mac[5] = 2;
    }
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_parse_and_print() {
        assert_eq!(
            parse_mac("52:54:00:AB:cd:0f").unwrap(),
            [0x52, 0x54, 0, 0xab, 0xcd, 0x0f]
        );
        assert_eq!(
            format_mac([0x52, 0x54, 0, 0xab, 0xcd, 0x0f]),
            "52:54:00:ab:cd:0f"
        );
        for bad in [
            "",
            "52:54:00:ab:cd",
            "52:54:00:ab:cd:0f:00",
            "52-54-00-ab-cd-0f",
            "52:54:00:ab:cd:g0",
            "52:54:00:ab:cd:+f",
            "5:54:00:ab:cd:0f0",
        ] {
            assert!(
                parse_mac(bad)
                    .unwrap_err()
                    .to_string()
                    .contains("not a MAC"),
                "{bad}"
            );
        }
        assert!(parse_mac("01:00:5e:00:00:01")
            .unwrap_err()
            .to_string()
            .contains("multicast"));
        assert!(parse_mac("ff:ff:ff:ff:ff:ff")
            .unwrap_err()
            .to_string()
            .contains("multicast"));
        assert!(parse_mac("00:00:00:00:00:00")
            .unwrap_err()
            .to_string()
            .contains("all-zero"));
    }

    #[test]
    fn derived_macs_are_stable_local_unicast_and_distinct() {
        let a = derived_mac("demo", 0);
        assert_eq!(a, derived_mac("demo", 0));
        assert_eq!(a[0] & 0b11, 0b10, "locally administered unicast");
        assert_ne!(a, derived_mac("demo", 1));
        assert_ne!(a, derived_mac("demo2", 0));
        // Pinned: a VM's MAC must not change with a new build (DHCP leases, guest configs).
        assert_eq!(format_mac(a), "92:d8:97:19:d7:9a");
        parse_mac(&format_mac(a)).unwrap();
    }

    fn have(passt: Option<&str>, slirp: bool) -> Available {
        Available {
            passt: passt.map(PathBuf::from),
            slirp: if slirp {
                Ok("4.7.0".into())
            } else {
                Err("libslirp.so.0: cannot open shared object file".into())
            },
        }
    }

    #[test]
    fn without_any_backend_the_nics_are_left_out_with_a_warning_each() {
        let nics = vec![NicConfig::default(), NicConfig::default()];
        let o = start_nics_with(&have(None, false), "vm", &nics).unwrap();
        assert!(o.nics.is_empty());
        assert_eq!(o.warnings.len(), 2);
        for (i, w) in o.warnings.iter().enumerate() {
            assert!(
                w.starts_with(&format!("nics[{i}]: neither passt nor libslirp")),
                "{w}"
            );
            assert!(w.contains("apt-get install passt"), "{w}");
            assert!(w.contains("libslirp0"), "{w}");
        }
        let o = start_nics_with(&have(None, false), "vm", &[]).unwrap();
        assert!(o.warnings.is_empty());
    }

    #[test]
    fn auto_picks_slirp_for_tcp_forwards_and_passt_otherwise() {
        use crate::config::PortForward;
        let fwd = |proto| NicConfig {
            forwards: vec![PortForward {
                proto,
                host_port: 2222,
                guest_port: 22,
            }],
            ..Default::default()
        };
        let plain = NicConfig::default();
        let pick = |nic: &NicConfig, h: &Available| choose_backend(nic, h).map(|c| c.0);
        let both = have(Some("/usr/bin/passt"), true);
        assert_eq!(pick(&plain, &both), Ok(NetBackend::Passt));
        assert_eq!(pick(&fwd(Protocol::Udp), &both), Ok(NetBackend::Passt));
        assert_eq!(pick(&fwd(Protocol::Tcp), &both), Ok(NetBackend::Slirp));
        let why = choose_backend(&fwd(Protocol::Tcp), &both).unwrap().1;
        assert!(
            why.contains("forwards TCP") && why.contains("4.7.0"),
            "{why}"
        );
        // Only one of them: that one, forwards or not.
        let passt_only = have(Some("/usr/bin/passt"), false);
        assert_eq!(
            pick(&fwd(Protocol::Tcp), &passt_only),
            Ok(NetBackend::Passt)
        );
        let slirp_only = have(None, true);
        assert_eq!(pick(&plain, &slirp_only), Ok(NetBackend::Slirp));
        // Asked for by name: taken, or the NIC is left out saying what is missing.
        let asked = |backend| NicConfig {
            backend,
            ..fwd(Protocol::Tcp)
        };
        assert_eq!(
            pick(&asked(NetBackend::Passt), &both),
            Ok(NetBackend::Passt)
        );
        assert_eq!(
            pick(&asked(NetBackend::Slirp), &both),
            Ok(NetBackend::Slirp)
        );
        let e = pick(&asked(NetBackend::Slirp), &passt_only).unwrap_err();
        assert!(e.contains("apt-get install libslirp0"), "{e}");
        let e = pick(&asked(NetBackend::Passt), &slirp_only).unwrap_err();
        assert!(e.contains("apt-get install passt"), "{e}");
    }

    #[test]
    fn a_passt_that_cannot_start_is_an_error_naming_the_nic() {
        let e = start_nics_with(
            &have(Some("/nonexistent/passt"), false),
            "vm",
            &[NicConfig::default()],
        )
        .err()
        .unwrap()
        .to_string();
        assert!(e.starts_with("nics[0]: "), "{e}");
    }
}
