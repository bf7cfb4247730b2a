//! Networking: each configured NIC is a virtio-net device backed by its own `passt` process.
//!
//! passt (<https://passt.top>, Debian/Ubuntu package `passt`) gives the guest user-mode
//! networking without privileges: it answers ARP/DHCP/NDP itself and carries the guest's TCP,
//! UDP and ICMP over ordinary host sockets. With passt's defaults the guest gets the host's
//! address and gateway (on this project's machines 192.0.2.2/24 via 192.0.2.1), and
//! connections to the gateway address reach the host's loopback.
//!
//! - [`frame`]: the length-prefixed framing on passt's socket.
//! - [`passt`]: starting, watching and stopping one passt process.
//! - [`start_nics`]: starts the passt processes behind a VM's NICs (the builder,
//!   [`crate::builder`], makes the virtio-net devices on them).

pub mod frame;
pub mod passt;

use crate::config::NicConfig;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;

/// The MTU passt is told and the virtio-net device offers.
pub const DEFAULT_MTU: u16 = 1500;

/// How to get passt, for messages.
pub const PASST_INSTALL_HINT: &str = "install it with `apt-get install passt`";

/// The backends of one VM's NICs: a running passt per NIC that could be started.
#[derive(Default)]
pub struct StartedNics {
    /// In config order; each passt is stopped when its [`passt::Passt`] is dropped.
    pub nics: Vec<StartedNic>,
    /// Problems that did not stop the VM (NICs left out), for the log and the API status.
    pub warnings: Vec<String>,
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
}

/// One NIC's backend: its passt process and the socket to it.
pub struct StartedNic {
    /// The NIC's index in the config's `[[nics]]`.
    pub index: usize,
    /// `nics[N]`, for messages and thread names.
    pub label: String,
    pub mac: [u8; 6],
    pub passt: passt::Passt,
    pub stream: UnixStream,
}

/// Starts one passt per NIC. A missing passt leaves the NICs out with a warning; a passt that
/// fails to start (e.g. a forwarded port already in use) is an error naming the NIC.
///
/// Call this from the thread that lives as long as the VM (vmdesk-vmm's main thread): passt is
/// told to die with that thread (PR_SET_PDEATHSIG), and in any case passt quits when its socket
/// closes, i.e. when this process ends however it ends.
pub fn start_nics(vm_id: &str, nics: &[NicConfig]) -> Result<StartedNics, StartNicsError> {
    start_nics_with(passt::find_passt(), vm_id, nics)
}

/// [`start_nics`] with the passt binary given (None: not installed).
pub fn start_nics_with(
    passt_bin: Option<PathBuf>,
    vm_id: &str,
    nics: &[NicConfig],
) -> Result<StartedNics, StartNicsError> {
    let mut out = StartedNics::default();
    if nics.is_empty() {
        return Ok(out);
    }
    let Some(bin) = passt_bin else {
        out.warnings.push(format!(
            "passt is not installed: the VM starts without its {} network interface{} \
             ({PASST_INSTALL_HINT})",
            nics.len(),
            if nics.len() == 1 { "" } else { "s" }
        ));
        return Ok(out);
    };
    for (i, nic) in nics.iter().enumerate() {
        let label = format!("nics[{i}]");
        let mac = match &nic.mac {
            Some(s) => parse_mac(s).map_err(|source| StartNicsError::Mac { index: i, source })?,
            None => derived_mac(vm_id, i),
        };
        let opts = passt::PasstOptions {
            forwards: nic.forwards.clone(),
            mtu: DEFAULT_MTU,
        };
        let (passt, stream) = passt::Passt::spawn(&bin, &opts, &label)
            .map_err(|source| StartNicsError::Passt { index: i, source })?;
        out.nics.push(StartedNic {
            index: i,
            label,
            mac,
            passt,
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

    #[test]
    fn without_passt_the_nics_are_left_out_with_a_warning() {
        let nics = vec![NicConfig::default(), NicConfig::default()];
        let o = start_nics_with(None, "vm", &nics).unwrap();
        assert!(o.nics.is_empty());
        assert_eq!(o.warnings.len(), 1);
        assert!(
            o.warnings[0].contains("apt-get install passt"),
            "{}",
            o.warnings[0]
        );
        assert!(o.warnings[0].contains("2 network interfaces"));
        let o = start_nics_with(None, "vm", &[]).unwrap();
        assert!(o.warnings.is_empty());
    }

    #[test]
    fn a_passt_that_cannot_start_is_an_error_naming_the_nic() {
        let e = start_nics_with(
            Some("/nonexistent/passt".into()),
            "vm",
            &[NicConfig::default()],
        )
        .err()
        .unwrap()
        .to_string();
        assert!(e.starts_with("nics[0]: "), "{e}");
    }
}
