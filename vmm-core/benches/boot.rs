//! Boot benchmark: `vmdesk-vmm` against QEMU (`-M microvm` with the qboot firmware,
//! `-accel kvm`) on the same test guest image (tests/guest), interleaved, several rounds.
//!
//! Per round and VMM:
//! - a `vmdesk.test=poweroff` boot: process start → first byte of guest serial output on the
//!   VMM's stdout, and process start → process exit (the guest powers off through ACPI);
//! - a `vmdesk.test=halt` boot: once the guest printed `ACTION halt`, the process's total Rss
//!   from /proc/<pid>/smaps minus the Rss of the guest-RAM mapping(s) (anonymous, read-write,
//!   exactly the guest memory size) = the VMM's own memory. Then the process is killed.
//!
//! Plus a QEMU floor: the same QEMU command with a 64 KiB "firmware" whose reset vector writes
//! one byte to COM1 — QEMU's own start-up cost, without qboot and without the guest.
//!
//! Run: `cargo bench -p vmm-core --bench boot [-- --rounds N] [--qemu PATH] [--show-serial]`.
//! Not a test: it asserts nothing about speed, it only fails if a boot goes wrong.
//! BENCHMARKS.md at the repository root has the numbers and what they mean.

use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};
use vmdesk_test_support::qemu;

/// cargo builds this (bench profile = release settings) before the bench and tells us where.
const VMM: &str = env!("CARGO_BIN_EXE_vmdesk-vmm");
const GUEST: &str = env!("VMDESK_TEST_GUEST");
const MEMORY_MIB: u64 = 64;
/// Guest kernel code is emulated on software KVMs; a boot here takes well under a second.
const TIMEOUT: Duration = Duration::from_secs(60);

struct Opts {
    rounds: usize,
    qemu: Option<PathBuf>,
    show_serial: bool,
}

fn usage() -> ! {
    eprintln!(
        "usage: cargo bench -p vmm-core --bench boot [-- --rounds N] [--qemu PATH] [--show-serial]\n\
         --rounds N     rounds, each boots each VMM twice plus the QEMU floor once (default 10)\n\
         --qemu PATH    QEMU binary (default: qemu-system-x86_64 from PATH)\n\
         --show-serial  print both VMMs' serial output of the first round"
    );
    std::process::exit(2);
}

fn parse_args() -> Opts {
    let mut o = Opts {
        rounds: 10,
        qemu: None,
        show_serial: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let (key, inline) = match a.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(v.to_string())),
            None => (a.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .unwrap_or_else(|| usage())
        };
        match key.as_str() {
            // cargo bench passes --bench to harness = false targets.
            "--bench" => {}
            "--rounds" => match value().parse() {
                Ok(n) if n > 0 => o.rounds = n,
                _ => usage(),
            },
            "--qemu" => o.qemu = Some(PathBuf::from(value())),
            "--show-serial" => o.show_serial = true,
            _ => usage(),
        }
    }
    o
}

#[derive(Clone, Copy, PartialEq)]
enum Which {
    Vmdesk,
    Qemu,
    /// QEMU with a ROM holding [`FLOOR_CODE`] as its firmware: start -> first serial byte only.
    QemuFloor,
}

/// Reset vector (at 0xffff0, real mode): `mov $0x3f8, %dx; mov $'V', %al; out %al, %dx;
/// 1: hlt; jmp 1b`.
const FLOOR_CODE: [u8; 9] = [0xba, 0xf8, 0x03, 0xb0, b'V', 0xee, 0xf4, 0xeb, 0xfd];

fn write_floor_rom(path: &Path) {
    let mut rom = vec![0xf4u8; 64 << 10];
    rom[0xfff0..0xfff0 + FLOOR_CODE.len()].copy_from_slice(&FLOOR_CODE);
    std::fs::write(path, rom).unwrap();
}

/// How to start one VMM on the test guest.
struct Runner {
    which: Which,
    /// vmdesk-vmm: a folder per guest mode holding vm.toml and the runtime dir.
    dir: tempfile::TempDir,
    qemu: PathBuf,
}

impl Runner {
    fn name(&self) -> &'static str {
        match self.which {
            Which::Vmdesk => "vmdesk-vmm",
            Which::Qemu => "QEMU",
            Which::QemuFloor => "QEMU floor",
        }
    }

    fn command(&self, mode: &str) -> Command {
        let cmdline = format!("console=ttyS0 vmdesk.test={mode}");
        match self.which {
            Which::Vmdesk => {
                let dir = self.dir.path().join(mode);
                std::fs::create_dir_all(&dir).unwrap();
                // The same machine as QEMU's: no serial log file (QEMU writes the serial port
                // to stdout only) and no virtio-rng (QEMU gets no virtio devices), so the guest
                // does the same work on both.
                let toml = format!(
                    "id = \"bench-{mode}\"\nname = \"Bench {mode}\"\nvcpus = 1\nmemory_mib = {MEMORY_MIB}\n\
                     virtio_rng = false\n\n[serial]\nlog = false\n\n[boot]\nkind = \"linux\"\nkernel = \"{GUEST}\"\ncmdline = \"{cmdline}\"\n"
                );
                std::fs::write(dir.join("vm.toml"), toml).unwrap();
                let mut c = Command::new(VMM);
                c.arg("--config")
                    .arg(dir.join("vm.toml"))
                    .arg("--runtime-dir")
                    .arg(dir.join("run"))
                    .arg("--console");
                c
            }
            Which::Qemu => {
                let mut c = Command::new(&self.qemu);
                c.args(qemu::microvm_args(
                    "qboot.rom",
                    MEMORY_MIB,
                    "stdio",
                    GUEST,
                    &cmdline,
                ));
                c
            }
            Which::QemuFloor => {
                let rom = self.dir.path().join("floor.rom");
                if !rom.exists() {
                    write_floor_rom(&rom);
                }
                let mut c = Command::new(&self.qemu);
                c.args(qemu::microvm_args(
                    rom.to_str().unwrap(),
                    MEMORY_MIB,
                    "stdio",
                    GUEST,
                    &cmdline,
                ));
                c
            }
        }
    }
}

/// A started VMM whose stdout and exit are watched by threads, so that times are taken
/// when things happen, not when we next poll.
struct Running {
    t0: Instant,
    child: Child,
    stdout: mpsc::Receiver<(Instant, Vec<u8>)>,
    /// When the process ended (it is not reaped yet: `child` still owns its pid).
    exited: mpsc::Receiver<Instant>,
    stderr: Option<thread::JoinHandle<String>>,
    output: Vec<u8>,
    first_byte: Option<Instant>,
}

/// Blocks until process `pid` has ended, without reaping it (WNOWAIT), so that the pid stays
/// ours until `Child::wait` reaps it and `Child::kill` can never hit a stranger.
fn wait_ended(pid: libc::pid_t) {
    loop {
        // SAFETY: siginfo_t is a plain C struct; all zeroes is a valid value.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: waitid writes only into `info`, which we own.
        let r = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if r == 0 || std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return;
        }
    }
}

impl Running {
    fn start(mut cmd: Command) -> Result<Running, String> {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let t0 = Instant::now();
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {cmd:?}: {e}"))?;

        let mut out = child.stdout.take().unwrap();
        let (tx, stdout) = mpsc::channel();
        thread::spawn(move || {
            let mut buf = vec![0u8; 4096];
            loop {
                match out.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if tx.send((Instant::now(), buf[..n].to_vec())).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        let mut err = child.stderr.take().unwrap();
        let stderr = thread::spawn(move || {
            let mut s = Vec::new();
            let _ = err.read_to_end(&mut s);
            String::from_utf8_lossy(&s).into_owned()
        });
        let (tx, exited) = mpsc::channel();
        let pid = child.id() as libc::pid_t;
        thread::spawn(move || {
            wait_ended(pid);
            let _ = tx.send(Instant::now());
        });
        Ok(Running {
            t0,
            child,
            stdout,
            exited,
            stderr: Some(stderr),
            output: Vec::new(),
            first_byte: None,
        })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn take(&mut self, (t, bytes): (Instant, Vec<u8>)) {
        if self.first_byte.is_none() && !bytes.is_empty() {
            self.first_byte = Some(t);
        }
        self.output.extend_from_slice(&bytes);
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.output).into_owned()
    }

    /// Reads serial output until it contains `needle`.
    fn wait_for(&mut self, needle: &str, deadline: Instant) -> Result<(), String> {
        while !self.text().contains(needle) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(chunk) => self.take(chunk),
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    return Err(format!("no {needle:?} within {TIMEOUT:?}"))
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(format!("stdout closed before {needle:?}"))
                }
            }
        }
        Ok(())
    }

    /// Waits for the process to end and for the rest of its output; reaps it.
    fn wait_exit(&mut self, deadline: Instant) -> Result<(Instant, ExitStatus), String> {
        let left = deadline.saturating_duration_since(Instant::now());
        let t = self
            .exited
            .recv_timeout(left)
            .map_err(|_| format!("did not exit within {TIMEOUT:?}"))?;
        let status = self.child.wait().map_err(|e| format!("wait: {e}"))?;
        while let Ok(chunk) = self.stdout.recv_timeout(Duration::from_secs(5)) {
            self.take(chunk);
        }
        Ok((t, status))
    }

    /// Kills the process unless it was reaped already (std then does nothing), and reaps it.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The run's serial output and stderr, for an error message.
    fn report(mut self, what: &str) -> String {
        self.kill();
        let text = self.text();
        let stderr = self
            .stderr
            .take()
            .map(|h| h.join().unwrap_or_default())
            .unwrap_or_default();
        format!("{what}\n--- serial output ---\n{text}\n--- stderr ---\n{stderr}")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The guest booted and got to its action. FAIL lines (a check the VMM does not satisfy,
/// e.g. a device one of the two VMMs lacks) do not stop the benchmark; they are listed in
/// the summary, see [`fail_lines`].
fn check_serial(text: &str, action: &str) -> Result<(), String> {
    if !text.starts_with("VMDESK-GUEST v1\n") {
        return Err("serial output does not start with the guest's banner".into());
    }
    for needle in ["\nCHECKS DONE\n", action] {
        if !text.contains(needle) {
            return Err(format!("no {:?} in the serial output", needle.trim()));
        }
    }
    Ok(())
}

fn fail_lines(text: &str) -> Vec<&str> {
    text.lines().filter(|l| l.contains("FAIL")).collect()
}

/// Start -> first serial byte of the floor run, then kill.
fn first_byte_only(r: &Runner) -> Result<Duration, String> {
    let mut run = Running::start(r.command("halt"))?;
    let deadline = run.t0 + TIMEOUT;
    if let Err(e) = run.wait_for("V", deadline) {
        return Err(run.report(&e));
    }
    Ok(run.first_byte.unwrap() - run.t0)
}

struct Boot {
    first_byte: Duration,
    exit: Duration,
    serial: String,
}

fn boot_poweroff(r: &Runner) -> Result<Boot, String> {
    let mut run = Running::start(r.command("poweroff"))?;
    let deadline = run.t0 + TIMEOUT;
    let (t_exit, status) = match run.wait_exit(deadline) {
        Ok(x) => x,
        Err(e) => return Err(run.report(&e)),
    };
    let text = run.text();
    if let Err(e) = check_serial(&text, "\nACTION poweroff\n") {
        return Err(run.report(&e));
    }
    if !status.success() {
        return Err(run.report(&format!("exited with {status} after the guest powered off")));
    }
    Ok(Boot {
        first_byte: run.first_byte.unwrap() - run.t0,
        exit: t_exit - run.t0,
        serial: text,
    })
}

struct Mem {
    total_kib: u64,
    guest_kib: u64,
    guest_maps: usize,
}

fn boot_halt_memory(r: &Runner) -> Result<Mem, String> {
    let mut run = Running::start(r.command("halt"))?;
    let deadline = run.t0 + TIMEOUT;
    if let Err(e) = run.wait_for("ACTION halt\n", deadline) {
        return Err(run.report(&e));
    }
    let pid = run.pid();
    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps"));
    run.kill();
    let smaps = smaps.map_err(|e| format!("read /proc/{pid}/smaps: {e}"))?;
    if let Err(e) = check_serial(&run.text(), "\nACTION halt\n") {
        return Err(run.report(&e));
    }
    let m = rss_split(&smaps, MEMORY_MIB << 20);
    if m.guest_maps == 0 {
        return Err(format!(
            "{}: no anonymous read-write {MEMORY_MIB} MiB mapping (guest RAM) in smaps",
            r.name()
        ));
    }
    Ok(m)
}

/// Sums Rss over all mappings, and separately over the guest-RAM candidates: anonymous
/// (no inode, no file), read-write, exactly `guest_bytes` long.
fn rss_split(smaps: &str, guest_bytes: u64) -> Mem {
    let mut m = Mem {
        total_kib: 0,
        guest_kib: 0,
        guest_maps: 0,
    };
    let mut in_guest = false;
    for line in smaps.lines() {
        let mut f = line.split_whitespace();
        let first = f.next().unwrap_or("");
        if let Some((a, b)) = first.split_once('-') {
            if let (Ok(a), Ok(b)) = (u64::from_str_radix(a, 16), u64::from_str_radix(b, 16)) {
                // start-end perms offset dev inode [path]
                let perms = f.next().unwrap_or("");
                let inode = f.nth(2).unwrap_or("");
                let path = f.next();
                in_guest = b - a == guest_bytes
                    && perms.starts_with("rw")
                    && inode == "0"
                    && path.is_none();
                if in_guest {
                    m.guest_maps += 1;
                }
                continue;
            }
        }
        if first == "Rss:" {
            let kib: u64 = f.next().and_then(|v| v.parse().ok()).unwrap_or(0);
            m.total_kib += kib;
            if in_guest {
                m.guest_kib += kib;
            }
        }
    }
    m
}

#[derive(Default)]
struct Samples {
    first_byte_ms: Vec<f64>,
    exit_ms: Vec<f64>,
    total_mib: Vec<f64>,
    guest_mib: Vec<f64>,
    overhead_mib: Vec<f64>,
}

/// Median, min, max.
fn stats(v: &[f64]) -> Option<(f64, f64, f64)> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = s.len();
    let med = if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    };
    Some((med, s[0], s[n - 1]))
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn qemu_version(qemu: &Path) -> String {
    Command::new(qemu)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.lines().next().map(str::to_string))
        .unwrap_or_else(|| "version unknown".into())
}

/// The 1/5/15-minute load averages: other work on the host makes these numbers noisy.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn kvm_note() -> Result<String, String> {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
        .map_err(|e| format!("cannot open /dev/kvm: {e}"))?;
    let software = Path::new("/sys/module/kvm_pvm").exists();
    Ok(if software {
        "/dev/kvm is kvm_pvm (software KVM: guest kernel code is emulated)".into()
    } else {
        "/dev/kvm".into()
    })
}

fn main() {
    let opts = parse_args();
    let kvm = match kvm_note() {
        Ok(k) => k,
        Err(e) => {
            println!("skipped: {e}");
            return;
        }
    };
    let qemu = opts.qemu.clone().or_else(|| which("qemu-system-x86_64"));
    let qemu = match qemu {
        Some(q) if q.is_file() => Some(q),
        _ => None,
    };

    println!(
        "vmdesk boot benchmark: {} rounds, VMMs interleaved",
        opts.rounds
    );
    println!("guest:      {GUEST} ({MEMORY_MIB} MiB, 1 vCPU)");
    println!("vmdesk-vmm: {VMM}");
    match &qemu {
        Some(q) => println!(
            "qemu:       {} ({}), -M microvm + qboot, -accel kvm",
            q.display(),
            qemu_version(q)
        ),
        None => println!("qemu:       skipped: qemu-system-x86_64 not found"),
    }
    println!(
        "host:       {kvm}, {} CPUs, load average {}",
        thread::available_parallelism().map_or(0, |n| n.get()),
        load_average()
    );
    println!();

    let mut runners = vec![Runner {
        which: Which::Vmdesk,
        dir: tempfile::tempdir().unwrap(),
        qemu: PathBuf::new(),
    }];
    if let Some(q) = &qemu {
        for which in [Which::Qemu, Which::QemuFloor] {
            runners.push(Runner {
                which,
                dir: tempfile::tempdir().unwrap(),
                qemu: q.clone(),
            });
        }
    }
    let mut samples: Vec<Samples> = runners.iter().map(|_| Samples::default()).collect();
    let mut first_serial: Vec<String> = vec![String::new(); runners.len()];

    for round in 0..opts.rounds {
        // Alternate who goes first, so neither always runs on a warmer (or busier) host.
        let mut order: Vec<usize> = (0..runners.len()).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        let mut line = format!("round {:>2}:", round + 1);
        for &i in &order {
            let r = &runners[i];
            let s = &mut samples[i];
            let ms = |d: Duration| d.as_secs_f64() * 1e3;
            if r.which == Which::QemuFloor {
                let fb = first_byte_only(r).unwrap_or_else(|e| fail(r, "floor run", &e));
                s.first_byte_ms.push(ms(fb));
                let _ = write!(line, "  {} first byte {:.1} ms;", r.name(), ms(fb));
                continue;
            }
            let b = boot_poweroff(r).unwrap_or_else(|e| fail(r, "poweroff boot", &e));
            let m = boot_halt_memory(r).unwrap_or_else(|e| fail(r, "halt boot", &e));
            s.first_byte_ms.push(ms(b.first_byte));
            s.exit_ms.push(ms(b.exit));
            let mib = |k: u64| k as f64 / 1024.0;
            s.total_mib.push(mib(m.total_kib));
            s.guest_mib.push(mib(m.guest_kib));
            s.overhead_mib.push(mib(m.total_kib - m.guest_kib));
            if round == 0 {
                first_serial[i] = b.serial;
            }
            let _ = write!(
                line,
                "  {} first byte {:.1} ms, exit {:.1} ms, overhead {:.2} MiB;",
                r.name(),
                ms(b.first_byte),
                ms(b.exit),
                mib(m.total_kib - m.guest_kib)
            );
        }
        println!("{}", line.trim_end_matches(';'));
    }

    if opts.show_serial {
        for (r, s) in runners.iter().zip(&first_serial).take(2) {
            println!(
                "\n--- {} serial output, round 1 ---\n{}",
                r.name(),
                s.trim_end()
            );
        }
    }
    println!();
    if first_serial.len() > 1 {
        let keys = |s: &str| {
            let mut k: Vec<String> = s
                .lines()
                .map(|l| l.split_whitespace().next().unwrap_or("").to_string())
                .collect();
            k.dedup();
            k.join(" ")
        };
        let (a, b) = (keys(&first_serial[0]), keys(&first_serial[1]));
        if a == b {
            println!("serial output: same check lines from both VMMs ({a})");
        } else {
            println!("serial output: check lines differ\n  vmdesk-vmm: {a}\n  QEMU:       {b}");
        }
    }
    for (r, s) in runners.iter().zip(&first_serial).take(2) {
        let fails = fail_lines(s);
        if fails.is_empty() {
            println!("{}: no FAIL lines from the guest", r.name());
        }
        for l in fails {
            println!("warning: {}: the guest reported {l:?}", r.name());
        }
    }

    println!();
    let q = samples.get(1);
    println!(
        "{:<34} {:>26} {:>26} {:>8}",
        "median [min .. max]", "vmdesk-vmm", "QEMU", "ratio"
    );
    type Pick = fn(&Samples) -> &Vec<f64>;
    let rows: [(&str, Pick, usize); 5] = [
        ("start -> first serial byte (ms)", |s| &s.first_byte_ms, 1),
        ("start -> exit, poweroff (ms)", |s| &s.exit_ms, 1),
        ("RSS total at ACTION halt (MiB)", |s| &s.total_mib, 2),
        ("RSS of guest RAM (MiB)", |s| &s.guest_mib, 2),
        ("VMM overhead = difference (MiB)", |s| &s.overhead_mib, 2),
    ];
    let cell = |v: Option<(f64, f64, f64)>, p: usize| match v {
        Some((m, lo, hi)) => format!("{m:.p$} [{lo:.p$} .. {hi:.p$}]"),
        None => "skipped: qemu-system-x86_64 not found".into(),
    };
    for (name, pick, p) in rows {
        let v = stats(pick(&samples[0]));
        let w = q.and_then(|s| stats(pick(s)));
        let ratio = match (v, w) {
            (Some((a, _, _)), Some((b, _, _))) if b > 0.0 => format!("{:.3}", a / b),
            _ => "-".into(),
        };
        println!(
            "{:<34} {:>26} {:>26} {:>8}",
            name,
            cell(v, p),
            cell(w, p),
            ratio
        );
    }

    if let Some((f, lo, hi)) = samples.get(2).and_then(|s| stats(&s.first_byte_ms)) {
        let v = stats(&samples[0].first_byte_ms).unwrap().0;
        println!(
            "{:<34} {:>26} {:>26} {:>8.3}",
            "QEMU floor: start -> first byte",
            "",
            format!("{f:.1} [{lo:.1} .. {hi:.1}]"),
            v / f
        );
        println!("  (same QEMU command, -bios = a 64 KiB ROM whose reset vector writes one byte to COM1)");
    }

    println!();
    println!("load average after the run: {}", load_average());
    let fb = stats(&samples[0].first_byte_ms).unwrap().0;
    let oh = stats(&samples[0].overhead_mib).unwrap().0;
    match q.and_then(|s| stats(&s.first_byte_ms)) {
        Some((qfb, _, _)) => println!(
            "goal: first serial byte <= 0.2 x QEMU: {:.3} x -> {}",
            fb / qfb,
            if fb / qfb <= 0.2 { "met" } else { "NOT met" }
        ),
        None => {
            println!("goal: first serial byte <= 0.2 x QEMU: skipped: qemu-system-x86_64 not found")
        }
    }
    println!(
        "goal: VMM overhead <= 5 MiB (Firecracker's figure): {oh:.2} MiB -> {}",
        if oh <= 5.0 { "met" } else { "NOT met" }
    );
}

fn fail(r: &Runner, what: &str, err: &str) -> ! {
    eprintln!("error: {} {what} failed: {err}", r.name());
    std::process::exit(1);
}
