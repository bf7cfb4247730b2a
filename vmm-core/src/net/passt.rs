//! One `passt` process per NIC.
//!
//! passt gets its end of a socketpair with `--fd`, so there is no socket file to wait for, to
//! share with the user passt drops to when started as root (nobody), or to be refused by
//! passt's AppArmor profile (it only allows /tmp and $HOME). `--fd` also implies `--one-off`:
//! passt quits as soon as our end closes, so it never outlives vmdesk-vmm, even after a
//! `kill -9` and even as root, where dropping to nobody clears the parent-death signal we set.
//!
//! Readiness: passt writes its PID file (`-P`, in a private folder under /tmp) after it bound
//! the forwarded ports and dropped privileges, right before it starts serving; if it exits
//! first, its error message (e.g. a port already in use) is returned.
//!
//! passt's own messages go to our stderr as `vmdesk-vmm: passt (nics[0]): …`, without its
//! "Failed to send N bytes to syslog" noise.

use crate::config::{PortForward, Protocol};
use std::ffi::{CString, OsString};
use std::io::{BufRead, BufReader};
use std::os::unix::ffi::OsStringExt;
use std::os::unix::io::AsRawFd;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long passt may take to come up.
pub const START_TIMEOUT: Duration = Duration::from_secs(10);
/// passt's messages kept for the error when it fails to start.
const KEPT_LINES: usize = 20;

/// The `passt` on `$PATH` (or the usual places when `PATH` is unset), if any.
pub fn find_passt() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    std::env::split_paths(&path)
        .map(|d| d.join("passt"))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// What passt is told.
#[derive(Debug, Clone, Default)]
pub struct PasstOptions {
    /// Host ports on 127.0.0.1 forwarded to guest ports.
    pub forwards: Vec<PortForward>,
    /// MTU passt hands out by DHCP/NDP.
    pub mtu: u16,
}

/// The command-line options for passt, after `-f` and the fd/PID-file options.
pub fn passt_args(opts: &PasstOptions) -> Vec<String> {
    let mut a = vec!["--quiet".to_string()];
    if opts.mtu != 0 {
        a.push("--mtu".into());
        a.push(opts.mtu.to_string());
    }
    for f in &opts.forwards {
        a.push(
            match f.proto {
                Protocol::Tcp => "--tcp-ports",
                Protocol::Udp => "--udp-ports",
            }
            .into(),
        );
        // Bound to loopback only: a forward is for the user of this desktop, not the network.
        a.push(format!("127.0.0.1/{}:{}", f.host_port, f.guest_port));
    }
    a
}

/// A running passt; killed (and reaped) on drop.
pub struct Passt {
    child: Child,
}

/// Why passt could not be started.
#[derive(Debug, thiserror::Error)]
pub enum PasstError {
    #[error("cannot create a socket pair: {0}")]
    SocketPair(std::io::Error),
    #[error("cannot create a folder in /tmp for passt: {0}")]
    TempDir(std::io::Error),
    #[error("cannot hand {} to uid {uid}: {source}", dir.display())]
    Chown {
        dir: PathBuf,
        uid: u32,
        source: std::io::Error,
    },
    #[error("cannot start {}: {source}", bin.display())]
    Start {
        bin: PathBuf,
        source: std::io::Error,
    },
    /// passt ended before it served; `said` is what it printed (its own log lines left out).
    #[error("passt exited at start ({status}){}{said}", if said.is_empty() { "" } else { ": " })]
    Exited {
        status: std::process::ExitStatus,
        said: String,
    },
    #[error("passt did not come up within {secs} s{}{said}", if said.is_empty() { "" } else { ": " })]
    Timeout { secs: u64, said: String },
}

impl Passt {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Starts passt and waits until it serves. Returns it and our end of its socket.
    pub fn spawn(
        bin: &Path,
        opts: &PasstOptions,
        label: &str,
    ) -> Result<(Passt, UnixStream), PasstError> {
        let (ours, theirs) = UnixStream::pair().map_err(PasstError::SocketPair)?;
        // SAFETY: geteuid has no preconditions.
        let runas = if unsafe { libc::geteuid() } == 0 {
            Some(nobody_ids())
        } else {
            None
        };
        let dir = PrivateDir::new(runas)?;
        let pid_file = dir.path.join("passt.pid");
        let fd = theirs.as_raw_fd();

        let mut cmd = Command::new(bin);
        cmd.arg("--foreground")
            .arg("--fd")
            .arg(fd.to_string())
            .arg("--pid")
            .arg(&pid_file);
        if let Some((uid, gid)) = runas {
            // What passt does by default as root, made explicit so the PID folder matches.
            cmd.arg("--runas").arg(format!("{uid}:{gid}"));
        }
        cmd.args(passt_args(opts))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            // Not in our process group: a Ctrl-C or Ctrl-Z on vmdesk-vmm's terminal is for it.
            .process_group(0);
        let parent = std::process::id() as libc::pid_t;
        // SAFETY: only async-signal-safe calls (prctl, getppid, fcntl, _exit) between fork and
        // exec.
        unsafe {
            cmd.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // The parent may have died before the prctl: then nobody would kill us.
                if libc::getppid() != parent {
                    libc::_exit(1);
                }
                // Our end of the socket pair must survive exec (std made it close-on-exec).
                let flags = libc::fcntl(fd, libc::F_GETFD);
                if flags < 0 || libc::fcntl(fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut child = cmd.spawn().map_err(|source| PasstError::Start {
            bin: bin.to_path_buf(),
            source,
        })?;
        drop(theirs);

        let lines = Arc::new(Mutex::new(Vec::<String>::new()));
        let ready = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stderr_thread = child.stderr.take().map(|err| {
            let (lines, ready, label) = (lines.clone(), ready.clone(), label.to_string());
            std::thread::Builder::new()
                .name(format!("{label}-passt-log"))
                .spawn(move || {
                    crate::sandbox::confine(crate::sandbox::ThreadKind::PasstLog);
                    relay_stderr(err, &label, &lines, &ready)
                })
        });

        let mut passt = Passt { child };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if pid_written(&pid_file) {
                ready.store(true, std::sync::atomic::Ordering::SeqCst);
                return Ok((passt, ours));
            }
            if let Ok(Some(status)) = passt.child.try_wait() {
                // Let the log thread read what passt said before it ended.
                if let Some(Ok(t)) = stderr_thread {
                    let _ = t.join();
                }
                let said = lines.lock().map(|l| l.join("; ")).unwrap_or_default();
                return Err(PasstError::Exited { status, said });
            }
            if Instant::now() > deadline {
                let said = lines.lock().map(|l| l.join("; ")).unwrap_or_default();
                // Returning drops `passt`, which kills it.
                return Err(PasstError::Timeout {
                    secs: START_TIMEOUT.as_secs(),
                    said,
                });
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

impl Drop for Passt {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn pid_written(p: &Path) -> bool {
    std::fs::read_to_string(p)
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
        .is_some()
}

/// Copies passt's stderr to ours, prefixed, minus syslog noise; keeps the first lines for a
/// start-up error.
fn relay_stderr(
    err: std::process::ChildStderr,
    label: &str,
    lines: &Mutex<Vec<String>>,
    ready: &std::sync::atomic::AtomicBool,
) {
    for line in BufReader::new(err).lines() {
        let Ok(line) = line else { break };
        let line = line.trim_end();
        if line.is_empty()
            || (line.starts_with("Failed to send") && line.ends_with("to syslog"))
            || line.starts_with("Don't run as root")
        {
            continue;
        }
        if let Ok(mut l) = lines.lock() {
            if l.len() < KEPT_LINES {
                l.push(line.to_string());
            }
        }
        if ready.load(std::sync::atomic::Ordering::SeqCst) {
            crate::log_line!("vmdesk-vmm: passt ({label}): {line}");
        }
    }
}

/// The uid/gid passt drops to when started as root (user `nobody`, else 65534).
fn nobody_ids() -> (u32, u32) {
    let name = CString::new("nobody").expect("no NUL");
    // SAFETY: passwd is plain data; all-zero is a valid (empty) value.
    let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; 4096];
    let mut res: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: getpwnam_r writes into pw and buf (of the given length) and sets res.
    let rc = unsafe {
        libc::getpwnam_r(
            name.as_ptr(),
            &mut pw,
            buf.as_mut_ptr(),
            buf.len(),
            &mut res,
        )
    };
    if rc == 0 && !res.is_null() {
        (pw.pw_uid, pw.pw_gid)
    } else {
        (65534, 65534)
    }
}

/// A fresh folder under /tmp (mode 0700, owned by the user passt will run as), removed on drop.
/// /tmp because passt's AppArmor profile lets it write there.
struct PrivateDir {
    path: PathBuf,
}

impl PrivateDir {
    fn new(owner: Option<(u32, u32)>) -> Result<PrivateDir, PasstError> {
        let template = CString::new("/tmp/vmdesk-passt-XXXXXX").expect("no NUL");
        let mut bytes = template.into_bytes_with_nul();
        // SAFETY: mkdtemp rewrites the XXXXXX of a NUL-terminated buffer in place.
        let p = unsafe { libc::mkdtemp(bytes.as_mut_ptr().cast()) };
        if p.is_null() {
            return Err(PasstError::TempDir(std::io::Error::last_os_error()));
        }
        bytes.pop();
        let dir = PrivateDir {
            path: PathBuf::from(OsString::from_vec(bytes)),
        };
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(&dir.path, Some(uid), Some(gid)).map_err(|source| {
                PasstError::Chown {
                    dir: dir.path.clone(),
                    uid,
                    source,
                }
            })?;
        }
        Ok(dir)
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwards_become_loopback_bound_port_specs() {
        let opts = PasstOptions {
            forwards: vec![
                PortForward {
                    proto: Protocol::Tcp,
                    host_port: 8080,
                    guest_port: 80,
                },
                PortForward {
                    proto: Protocol::Udp,
                    host_port: 5353,
                    guest_port: 53,
                },
            ],
            mtu: 1500,
        };
        assert_eq!(
            passt_args(&opts),
            [
                "--quiet",
                "--mtu",
                "1500",
                "--tcp-ports",
                "127.0.0.1/8080:80",
                "--udp-ports",
                "127.0.0.1/5353:53"
            ]
        );
    }

    #[test]
    fn private_dir_is_private_and_removed() {
        use std::os::unix::fs::PermissionsExt;
        let d = PrivateDir::new(None).unwrap();
        let p = d.path.clone();
        assert!(p.starts_with("/tmp"));
        let mode = std::fs::metadata(&p).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        std::fs::write(p.join("x"), "1").unwrap();
        drop(d);
        assert!(!p.exists());
    }

    #[test]
    fn a_program_that_exits_at_start_reports_what_it_said() {
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("passt");
        std::fs::write(
            &fake,
            "#!/bin/sh\necho 'Failed to send 12 bytes to syslog' >&2\necho \"Failed to bind any port for '-t 127.0.0.1/1:1', exiting\" >&2\nexit 1\n",
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        let e = Passt::spawn(&fake, &PasstOptions::default(), "nics[0]")
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("passt exited at start"), "{e}");
        assert!(e.contains("Failed to bind any port"), "{e}");
        assert!(!e.contains("syslog"), "{e}");
    }
}
