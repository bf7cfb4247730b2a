//! The RFB handshake up to ClientInit: version, security type, VNC Authentication through the
//! gate (back-off, lockout), all within one deadline.

use std::io::{self, Read, Write};
use std::sync::atomic::Ordering;
use std::thread;
use std::time::Instant;

use super::auth;
use super::server::{Inner, Stream};

const SECURITY_NONE: u8 = 1;
const SECURITY_VNC_AUTH: u8 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Version {
    V3_3,
    V3_7,
    V3_8,
}

/// A reader that gives up at `deadline` however the bytes trickle in (a socket timeout alone
/// restarts with every byte).
pub(super) struct ByDeadline<'a> {
    pub(super) stream: &'a mut Stream,
    pub(super) deadline: Instant,
}

impl Read for ByDeadline<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the handshake took too long",
            ));
        }
        self.stream.set_read_timeout(Some(left))?;
        self.stream.read(buf)
    }
}

impl Write for ByDeadline<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.stream.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

fn parse_version(v: &[u8; 12]) -> Option<Version> {
    if &v[..4] != b"RFB " || v[7] != b'.' || v[11] != b'\n' {
        return None;
    }
    let num = |b: &[u8]| -> Option<u32> {
        b.iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let (major, minor) = (num(&v[4..7])?, num(&v[8..11])?);
    Some(match (major, minor) {
        (3, 3..=6) => Version::V3_3,
        (3, 7) => Version::V3_7,
        (3, 8..) | (4.., _) => Version::V3_8,
        _ => return None,
    })
}

pub(super) fn handshake(inner: &Inner, stream: &mut ByDeadline<'_>, peer: &str) -> io::Result<()> {
    stream.write_all(b"RFB 003.008\n")?;
    let mut v = [0u8; 12];
    stream.read_exact(&mut v)?;
    let version = parse_version(&v).ok_or_else(|| {
        protocol_error(format!(
            "bad protocol version {:?}",
            String::from_utf8_lossy(&v)
        ))
    })?;
    let security = if inner.password.is_some() {
        SECURITY_VNC_AUTH
    } else {
        SECURITY_NONE
    };

    if version == Version::V3_3 {
        // 3.3: the server picks.
        stream.write_all(&u32::from(security).to_be_bytes())?;
    } else {
        stream.write_all(&[1, security])?;
        let mut chosen = [0u8; 1];
        stream.read_exact(&mut chosen)?;
        if chosen[0] != security {
            let why = format!("security type {} was not offered", chosen[0]);
            if version == Version::V3_8 {
                send_failure(stream, &why)?;
            }
            return Err(protocol_error(why));
        }
    }

    match &inner.password {
        None => {
            // 3.8 reports success for None too; older versions go straight to ClientInit.
            if version == Version::V3_8 {
                stream.write_all(&0u32.to_be_bytes())?;
            }
        }
        Some(password) => {
            let challenge = auth::random_challenge()?;
            stream.write_all(&challenge)?;
            let mut response = [0u8; 16];
            stream.read_exact(&mut response)?;
            let refuse = |stream: &mut ByDeadline<'_>, why: &str| {
                if version == Version::V3_8 {
                    send_failure(stream, why)?;
                } else {
                    stream.write_all(&1u32.to_be_bytes())?;
                }
                Err(io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    why.to_string(),
                ))
            };
            // Locked out after too many wrong passwords: not even the right one is checked.
            if let Err(left) = inner.gate.may_try() {
                inner.auth_failures.fetch_add(1, Ordering::Relaxed);
                let why = format!(
                    "too many wrong passwords: try again in {} s",
                    left.as_secs().max(1)
                );
                return refuse(stream, &why);
            }
            let expected = auth::vnc_auth_response(password, &challenge);
            if !auth::responses_match(&response, &expected) {
                inner.auth_failures.fetch_add(1, Ordering::Relaxed);
                inner.gate.log(|| format!("vnc: {peer}: wrong password"));
                thread::sleep(inner.gate.failed());
                return refuse(stream, "authentication failed");
            }
            inner.gate.succeeded();
            stream.write_all(&0u32.to_be_bytes())?;
        }
    }
    Ok(())
}

/// SecurityResult "failed" with a reason (3.8).
fn send_failure(stream: &mut impl Write, reason: &str) -> io::Result<()> {
    let mut m = Vec::with_capacity(8 + reason.len());
    m.extend_from_slice(&1u32.to_be_bytes());
    m.extend_from_slice(&(reason.len() as u32).to_be_bytes());
    m.extend_from_slice(reason.as_bytes());
    stream.write_all(&m)
}

pub(super) fn protocol_error(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(parse_version(b"RFB 003.008\n"), Some(Version::V3_8));
        assert_eq!(parse_version(b"RFB 003.007\n"), Some(Version::V3_7));
        assert_eq!(parse_version(b"RFB 003.003\n"), Some(Version::V3_3));
        assert_eq!(parse_version(b"RFB 003.005\n"), Some(Version::V3_3));
        assert_eq!(parse_version(b"RFB 003.889\n"), Some(Version::V3_8));
        assert_eq!(parse_version(b"RFB 002.000\n"), None);
        assert_eq!(parse_version(b"GET / HTTP/1"), None);
        assert_eq!(parse_version(b"RFB 003.0x8\n"), None);
    }
}
