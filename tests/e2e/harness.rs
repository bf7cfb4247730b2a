//! Runs `vmdesk-vmm` on the test guest and talks to its control API.

use base64::Engine as _;
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub const VMM: &str = env!("CARGO_BIN_EXE_vmdesk-vmm");
pub const GUEST: &str = env!("VMDESK_TEST_GUEST");

/// Guest kernel code is emulated on software KVMs: give boots plenty of time.
pub const BOOT_TIMEOUT: Duration = Duration::from_secs(120);

pub use vmdesk_test_support::kvm_or_skip;

/// Whether a host tool the test needs is installed; if not, prints "skipped: …" where the
/// runner shows it, or fails when `VMDESK_REQUIRE_TOOLS` is set (CI).
pub fn tool_or_skip(cmd: &str, what: &str, install: &str) -> bool {
    if std::process::Command::new(cmd)
        .arg("--version")
        .output()
        .is_ok()
    {
        return true;
    }
    let msg = format!("skipped: {what} not installed ({install})");
    if std::env::var_os("VMDESK_REQUIRE_TOOLS").is_some() {
        panic!("{msg} (VMDESK_REQUIRE_TOOLS is set)");
    }
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{msg}");
    false
}

pub struct GuestSpec {
    pub vcpus: u32,
    pub memory_mib: u64,
    pub cmdline: String,
    pub initrd: Option<Vec<u8>>,
    pub kernel: PathBuf,
    /// A screen of this size (a `[display]` section).
    pub display: Option<(u32, u32)>,
    /// Extra TOML appended to the config (e.g. `[[disks]]`, `[[nics]]` sections).
    pub extra_toml: String,
}

impl GuestSpec {
    pub fn test(mode: &str) -> Self {
        GuestSpec {
            vcpus: 1,
            memory_mib: 64,
            cmdline: format!("console=ttyS0 vmdesk.test={mode}"),
            initrd: None,
            kernel: PathBuf::from(GUEST),
            display: None,
            extra_toml: String::new(),
        }
    }
}

/// A VM's folder with its config, and the running `vmdesk-vmm`.
pub struct Vm {
    pub dir: tempfile::TempDir,
    pub child: Child,
}

pub fn write_config(dir: &Path, id: &str, spec: &GuestSpec) -> PathBuf {
    let mut toml = format!(
        "id = \"{id}\"\nname = \"Test {id}\"\nvcpus = {}\nmemory_mib = {}\n\n[boot]\nkind = \"linux\"\nkernel = \"{}\"\ncmdline = \"{}\"\n",
        spec.vcpus,
        spec.memory_mib,
        spec.kernel.display(),
        spec.cmdline
    );
    if let Some(data) = &spec.initrd {
        std::fs::write(dir.join("initrd.img"), data).unwrap();
        toml.push_str("initrd = \"initrd.img\"\n");
    }
    if let Some((w, h)) = spec.display {
        toml.push_str(&format!("\n[display]\nwidth = {w}\nheight = {h}\n"));
    }
    toml.push_str(&spec.extra_toml);
    let path = dir.join("vm.toml");
    std::fs::write(&path, toml).unwrap();
    path
}

impl Vm {
    pub fn start(id: &str, spec: &GuestSpec) -> Vm {
        let dir = tempfile::tempdir().unwrap();
        write_config(dir.path(), id, spec);
        let child = Self::spawn(dir.path());
        Vm { dir, child }
    }

    /// Like [`Vm::start`], with extra environment for `vmdesk-vmm` (its test knobs).
    pub fn start_with_env(id: &str, spec: &GuestSpec, env: &[(&str, &str)]) -> Vm {
        let dir = tempfile::tempdir().unwrap();
        write_config(dir.path(), id, spec);
        let mut cmd = Self::command(dir.path(), &[]);
        cmd.envs(env.iter().copied());
        let child = cmd.spawn().expect("spawn vmdesk-vmm");
        Vm { dir, child }
    }

    /// [`Vm::start`] with more arguments for `vmdesk-vmm` (e.g. `--seccomp log`).
    pub fn start_with(id: &str, spec: &GuestSpec, extra: &[&str]) -> Vm {
        let dir = tempfile::tempdir().unwrap();
        write_config(dir.path(), id, spec);
        let child = Self::spawn_with(dir.path(), extra);
        Vm { dir, child }
    }

    fn spawn(dir: &Path) -> Child {
        Self::spawn_with(dir, &[])
    }

    /// Starts `vmdesk-vmm` on the `vm.toml` already in `dir` (for configs `GuestSpec` does not
    /// write, e.g. a BIOS machine).
    pub fn spawn_in(dir: &Path) -> Child {
        Self::spawn(dir)
    }

    pub fn command(dir: &Path, extra: &[&str]) -> Command {
        let mut c = Command::new(VMM);
        c.arg("--config")
            .arg(dir.join("vm.toml"))
            .arg("--runtime-dir")
            .arg(dir.join("run"))
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    fn spawn_with(dir: &Path, extra: &[&str]) -> Child {
        Self::command(dir, extra).spawn().expect("spawn vmdesk-vmm")
    }

    /// Starts the same VM again in the same folder from snapshot `id` (`--restore`), with a
    /// fresh serial log.
    pub fn restore(&mut self, id: &str) {
        let _ = std::fs::remove_file(self.dir.path().join("serial.log"));
        self.child = Self::spawn_with(self.dir.path(), &["--restore", id]);
    }

    /// Starts the same VM again in the same folder (after the previous process ended).
    pub fn restart(&mut self) {
        // So waiting on the log sees only the new run.
        let _ = std::fs::remove_file(self.dir.path().join("serial.log"));
        self.child = Self::spawn(self.dir.path());
    }

    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("run/control.sock")
    }

    pub fn serial_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("serial.log")).unwrap_or_default()
    }

    /// Waits until the serial log contains `needle`; panics with the log on timeout or exit.
    pub fn wait_serial(&mut self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let log = self.serial_log();
            if log.contains(needle) {
                return log;
            }
            if let Ok(Some(st)) = self.child.try_wait() {
                panic!("vmdesk-vmm exited ({st}) before printing {needle:?}; serial:\n{log}\nstderr:\n{}", self.stderr());
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {needle:?}; serial:\n{log}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Like `wait_serial`, but matches the log with terminal escape sequences taken out: a
    /// firmware drawing a full-screen terminal (GRUB) may move the cursor in mid-word.
    pub fn wait_serial_text(&mut self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let log = self.serial_log();
            if strip_escapes(&log).contains(needle) {
                return log;
            }
            if Instant::now() > deadline || matches!(self.child.try_wait(), Ok(Some(_))) {
                // The plain wait's messages (exit status, log, stderr).
                return self.wait_serial(needle, Duration::ZERO);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for the process to end; kills it and panics on timeout.
    pub fn wait_exit(&mut self, timeout: Duration) -> (ExitStatus, String, String) {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return (st, self.serial_log(), self.stderr());
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "vmdesk-vmm did not exit within {timeout:?}; serial:\n{}\nstderr:\n{}",
                    self.serial_log(),
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn stderr(&mut self) -> String {
        use std::io::Read;
        let mut s = String::new();
        if let Some(e) = self.child.stderr.as_mut() {
            let _ = e.read_to_string(&mut s);
        }
        s
    }

    pub fn api(&self) -> Api {
        Api::connect(&self.socket(), Duration::from_secs(20))
    }
}

impl Drop for Vm {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // A failed test shows why the VMM ended (a seccomp kill names its thread there).
        if std::thread::panicking() {
            eprintln!("vmdesk-vmm's stderr:\n{}", self.stderr());
        }
    }
}

/// A control-API client for tests: requests and replies, with events set aside.
pub struct Api {
    w: UnixStream,
    r: BufReader<UnixStream>,
    pub hello: Value,
    pub events: Vec<Value>,
    next_id: u64,
}

impl Api {
    pub fn connect(path: &Path, timeout: Duration) -> Api {
        let deadline = Instant::now() + timeout;
        let s = loop {
            match UnixStream::connect(path) {
                Ok(s) => break s,
                Err(e) if Instant::now() > deadline => panic!("connect {}: {e}", path.display()),
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        };
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut r = BufReader::new(s.try_clone().unwrap());
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        Api {
            w: s,
            r,
            hello: serde_json::from_str(&line).expect("hello is JSON"),
            events: Vec::new(),
            next_id: 1,
        }
    }

    pub fn read_msg(&mut self) -> Value {
        let mut line = String::new();
        let n = self.r.read_line(&mut line).expect("read from API");
        assert!(n > 0, "API connection closed");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("bad JSON {line:?}: {e}"))
    }

    /// Sends a raw line and returns the reply with the same id (events are kept aside).
    pub fn raw(&mut self, line: &str) -> Value {
        self.w.write_all(line.as_bytes()).unwrap();
        self.w.write_all(b"\n").unwrap();
        loop {
            let m = self.read_msg();
            if m.get("event").is_some() {
                self.events.push(m);
            } else {
                return m;
            }
        }
    }

    pub fn call(&mut self, mut req: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        req["id"] = id.into();
        let reply = self.raw(&req.to_string());
        assert_eq!(reply["id"], id, "reply id");
        reply
    }

    pub fn cmd(&mut self, cmd: &str) -> Value {
        self.call(serde_json::json!({ "cmd": cmd }))
    }

    pub fn type_text(&mut self, text: &str) -> Value {
        let data = base64::engine::general_purpose::STANDARD.encode(text);
        self.call(serde_json::json!({"cmd": "serial-input", "data": data}))
    }

    /// Next event (from the stream or set aside), waiting for it.
    pub fn next_event(&mut self) -> Value {
        if !self.events.is_empty() {
            return self.events.remove(0);
        }
        loop {
            let m = self.read_msg();
            if m.get("event").is_some() {
                return m;
            }
        }
    }
}

/// FNV-1a 32-bit, as the test guest computes it over the initrd.
pub fn fnv1a(data: &[u8]) -> u32 {
    data.iter().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

/// The value after `key=` on the line starting with `prefix`.
pub fn field<'a>(log: &'a str, prefix: &str, key: &str) -> &'a str {
    let line = log
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?} in:\n{log}"));
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key}= in {line:?}"))
}

/// `text` without ANSI escape sequences (CSI `ESC [ params final`, and two-byte `ESC x`).
pub fn strip_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'[') {
            chars.next();
            // Parameters and intermediates up to the final byte (0x40..=0x7e).
            for c in chars.by_ref() {
                if ('\u{40}'..='\u{7e}').contains(&c) {
                    break;
                }
            }
        } else {
            chars.next();
        }
    }
    out
}

#[test]
fn escapes_are_taken_out_of_serial_text() {
    assert_eq!(
        strip_escapes("\u{1b}[0;30;47mWelcom\u{1b}[04;06H\u{1b}[04;07He to GRUB!\u{1b}c"),
        "Welcome to GRUB!"
    );
    assert_eq!(strip_escapes("plain ┌─┐"), "plain ┌─┐");
}
