//! VNC benchmark: vmdesk-vmm's VNC server against QEMU's on the same test guest, the same
//! screen size (1024×768) and the same client, over a Unix socket.
//!
//! The guest (tests/guest, README "Full-screen animation") draws its pattern on the
//! framebuffer vmdesk-vmm hands over in screen_info, or under QEMU (`-M microvm` + qboot,
//! `-device isa-vga`) on the Bochs DISPI VGA's linear framebuffer (`vmdesk.dispi=1024x768`).
//! The client is the raw RFB 3.8 client of the VNC tests (`tests/rfb/mod.rs`): no auth,
//! SetPixelFormat XRGB8888, SetEncodings (Raw or ZRLE, plus DesktopSize), one incremental
//! FramebufferUpdateRequest outstanding at a time (the next one goes out when an update has
//! been read and decoded), like a plain viewer.
//!
//! Per round, VMM and encoding (rounds interleaved, the VMM order flips every round):
//! - idle: `vmdesk.test=halt` (the pattern, then `hlt`); after the first full frame, the bytes
//!   received in 5 s with an incremental request pending (goal 0);
//! - full-screen updates/s: `vmdesk.test=fullanim vmdesk.fps=0` (every pixel changes on every
//!   frame, thousands of frames/s); for 5 s, the updates whose rectangles cover every pixel of
//!   the screen, per second, and the bytes/s they took;
//! - CPU: `fullanim vmdesk.fps=60`, the client reading as above for 5 s: the VMM's CPU time
//!   (/proc/<pid>/task/*/schedstat, ns on CPU) as % of one core, the whole process and without
//!   its vCPU threads (vmdesk-vmm: `vcpu<N>`; QEMU: `CPU <N>/KVM`, named with
//!   `-name …,debug-threads=on`). The guest spins between frames, so its vCPU thread is busy
//!   in both VMMs whatever the display costs;
//! - latency, in the same boot: the host writes byte b to the guest's serial port (the VMM's
//!   stdin: `vmdesk-vmm --console`, QEMU `-serial stdio`); the guest paints its top-left 32×32
//!   pixels 0xff_bb_bb at once; the time from the write to the end of reading the first update
//!   whose decoded top-left pixel has that colour. 30 probes, each after 60–110 ms of reading
//!   updates and then a random 0–60 ms, so it lands at a random phase of the servers' ticks.
//!
//! Run: `cargo bench -p vmm-core --bench vnc [-- --rounds N] [--qemu PATH]`. Not a test: it
//! fails only if a boot or the protocol goes wrong. Numbers and method in BENCHMARKS.md.

use vmdesk_test_support::qemu;
use vmdesk_test_support::rfb;
use vmdesk_test_support::stats::{load_avg, median, pct};

use rfb::{Client, Conn};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use vmm_core::display::vnc::proto::{
    PixelFormat, ENCODING_DESKTOP_SIZE, ENCODING_RAW, ENCODING_ZRLE,
};

const VMM: &str = env!("CARGO_BIN_EXE_vmdesk-vmm");
const GUEST: &str = env!("VMDESK_TEST_GUEST");
const W: u32 = 1024;
const H: u32 = 768;
const BOOT_TIMEOUT: Duration = Duration::from_secs(120);
const PHASE: Duration = Duration::from_secs(5);
const PROBES: usize = 30;

#[derive(Clone, Copy, PartialEq, Debug)]
enum Which {
    Vmdesk,
    Qemu,
}

impl Which {
    fn name(self) -> &'static str {
        match self {
            Which::Vmdesk => "vmdesk-vmm",
            Which::Qemu => "QEMU",
        }
    }

    fn is_vcpu_thread(self, comm: &str) -> bool {
        match self {
            Which::Vmdesk => comm.starts_with("vcpu"),
            Which::Qemu => comm.starts_with("CPU ") && comm.ends_with("/KVM"),
        }
    }
}

/// One running VMM with the guest's serial output collected from its stdout.
struct Running {
    which: Which,
    child: Child,
    stdin: ChildStdin,
    serial: Arc<Mutex<String>>,
    sock: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(which: Which, qemu: &Path, mode: &str) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let cmdline = format!("console=ttyS0 vmdesk.test={mode}");
    let (mut cmd, sock) = match which {
        Which::Vmdesk => {
            let cfg = dir.path().join("vm.toml");
            std::fs::write(
                &cfg,
                format!(
                    "id = \"vncbench\"\nname = \"vncbench\"\nvcpus = 1\nmemory_mib = 64\nvirtio_rng = false\n\
                     [serial]\nlog = false\n[boot]\nkind = \"linux\"\nkernel = \"{GUEST}\"\ncmdline = \"{cmdline}\"\n\
                     [display]\nwidth = {W}\nheight = {H}\n"
                ),
            )
            .unwrap();
            let mut c = Command::new(VMM);
            c.arg("--config")
                .arg(&cfg)
                .arg("--runtime-dir")
                .arg(dir.path().join("run"))
                .arg("--console");
            (c, dir.path().join("run/vnc.sock"))
        }
        Which::Qemu => {
            let sock = dir.path().join("qemu-vnc.sock");
            let mut c = Command::new(qemu);
            let qemu_cmdline = format!("{cmdline} vmdesk.dispi={W}x{H}");
            c.args(qemu::microvm_args(
                "/usr/share/qemu/qboot.rom",
                64,
                "stdio",
                GUEST,
                &qemu_cmdline,
            ))
            .args(["-name", "vncbench,debug-threads=on", "-device", "isa-vga"])
            .arg("-vnc")
            .arg(format!("unix:{}", sock.display()));
            (c, sock)
        }
    };
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: cannot start: {e}", which.name()));
    let serial = Arc::new(Mutex::new(String::new()));
    let out = child.stdout.take().unwrap();
    let s = serial.clone();
    std::thread::spawn(move || {
        let mut r = BufReader::new(out);
        let mut line = String::new();
        while r.read_line(&mut line).is_ok_and(|n| n > 0) {
            s.lock().unwrap().push_str(&line);
            line.clear();
        }
    });
    let stdin = child.stdin.take().unwrap();
    Running {
        which,
        child,
        stdin,
        serial,
        sock,
        _dir: dir,
    }
}

impl Running {
    fn wait_serial(&mut self, needle: &str) {
        let t0 = Instant::now();
        loop {
            let log = self.serial.lock().unwrap().clone();
            if log.contains(needle) {
                if let Some(l) = log.lines().find(|l| l.contains("FAIL")) {
                    panic!("{}: guest says {l}\n{log}", self.which.name());
                }
                return;
            }
            if let Ok(Some(st)) = self.child.try_wait() {
                panic!("{} exited ({st}); serial:\n{log}", self.which.name());
            }
            assert!(
                t0.elapsed() < BOOT_TIMEOUT,
                "{}: no {needle:?} after {BOOT_TIMEOUT:?}; serial:\n{log}",
                self.which.name()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// CPU time in ns per thread id, with whether the thread is a vCPU thread.
    fn cpu_ns(&self) -> HashMap<String, (bool, u64)> {
        let pid = self.child.id();
        let mut m = HashMap::new();
        for t in std::fs::read_dir(format!("/proc/{pid}/task"))
            .unwrap()
            .flatten()
        {
            let comm = std::fs::read_to_string(t.path().join("comm")).unwrap_or_default();
            let ns: u64 = std::fs::read_to_string(t.path().join("schedstat"))
                .ok()
                .and_then(|s| s.split_whitespace().next()?.parse().ok())
                .unwrap_or(0);
            m.insert(
                t.file_name().to_string_lossy().into_owned(),
                (self.which.is_vcpu_thread(comm.trim_end()), ns),
            );
        }
        m
    }

    fn connect(&self, encoding: i32) -> (Client, Arc<AtomicU64>) {
        let t0 = Instant::now();
        let s = loop {
            match UnixStream::connect(&self.sock) {
                Ok(s) => break s,
                Err(e) if t0.elapsed() > Duration::from_secs(10) => {
                    panic!("{}: {}: {e}", self.which.name(), self.sock.display())
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        };
        let bytes = Arc::new(AtomicU64::new(0));
        let conn = Counted {
            s,
            n: bytes.clone(),
        };
        let mut c = Client::handshake(Box::new(conn), b"RFB 003.008\n", None)
            .unwrap_or_else(|e| panic!("{}: RFB handshake: {e}", self.which.name()));
        assert_eq!((c.w, c.h), (W, H), "{}: screen size", self.which.name());
        c.set_pixel_format(PixelFormat::XRGB8888);
        c.set_encodings(&[encoding, ENCODING_DESKTOP_SIZE]);
        // The first, complete frame.
        c.request(false);
        let mut cover = Coverage::new();
        while !cover.full() {
            let rects = c.read_update().unwrap();
            cover.add(&rects);
            if !cover.full() {
                c.request(true);
            }
        }
        (c, bytes)
    }
}

/// A Unix stream that counts the bytes read from it.
struct Counted {
    s: UnixStream,
    n: Arc<AtomicU64>,
}

impl Read for Counted {
    fn read(&mut self, b: &mut [u8]) -> std::io::Result<usize> {
        let n = self.s.read(b)?;
        self.n.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl Write for Counted {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.s.write(b)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.s.flush()
    }
}

impl Conn for Counted {
    fn set_timeout(&self, t: Option<Duration>) {
        self.s.set_read_timeout(t).unwrap();
    }
    fn shutdown_write(&self) {
        let _ = self.s.shutdown(std::net::Shutdown::Write);
    }
}

/// Which pixels one update's rectangles covered.
struct Coverage(Vec<bool>);

impl Coverage {
    fn new() -> Self {
        Coverage(vec![false; (W * H) as usize])
    }
    fn add(&mut self, rects: &[(vmm_core::display::Rect, i32)]) {
        for (r, enc) in rects {
            if *enc != ENCODING_RAW && *enc != ENCODING_ZRLE {
                continue;
            }
            for y in r.y..(r.y + r.h).min(H) {
                let row = (y * W) as usize;
                self.0[row + r.x as usize..row + (r.x + r.w).min(W) as usize].fill(true);
            }
        }
    }
    fn full(&self) -> bool {
        self.0.iter().all(|&b| b)
    }
}

/// Bytes per second that arrive in PHASE with an incremental request pending.
fn idle_bytes_per_s(c: &mut Client, bytes: &AtomicU64) -> f64 {
    c.request(true);
    let b0 = bytes.load(Ordering::Relaxed);
    let t0 = Instant::now();
    // Read whatever comes (a server may send an empty or unchanged update) without decoding.
    let mut buf = [0u8; 65536];
    while let Some(left) = PHASE.checked_sub(t0.elapsed()) {
        c.s.set_timeout(Some(left.max(Duration::from_millis(1))));
        match c.s.read(&mut buf) {
            Ok(0) => panic!("server closed the connection"),
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => panic!("read: {e}"),
        }
    }
    c.s.set_timeout(Some(Duration::from_secs(10)));
    (bytes.load(Ordering::Relaxed) - b0) as f64 / t0.elapsed().as_secs_f64()
}

/// For PHASE: (full-screen updates/s, all updates/s, bytes/s).
fn update_rate(c: &mut Client, bytes: &AtomicU64) -> (f64, f64, f64) {
    let b0 = bytes.load(Ordering::Relaxed);
    let t0 = Instant::now();
    let (mut full, mut all) = (0u32, 0u32);
    while t0.elapsed() < PHASE {
        c.request(true);
        let rects = c.read_update().unwrap();
        let mut cover = Coverage::new();
        cover.add(&rects);
        all += 1;
        if cover.full() {
            full += 1;
        }
    }
    let dt = t0.elapsed().as_secs_f64();
    (
        f64::from(full) / dt,
        f64::from(all) / dt,
        (bytes.load(Ordering::Relaxed) - b0) as f64 / dt,
    )
}

/// Latencies (ms) of PROBES serial bytes until the client has decoded the marker.
fn latencies(run: &mut Running, c: &mut Client, first_byte: u8) -> Vec<f64> {
    let mut out = Vec::new();
    let mut rng = 0x2545_f491u32;
    let mut next_rand = |n: u32| {
        rng ^= rng << 13;
        rng ^= rng >> 17;
        rng ^= rng << 5;
        u64::from(rng % n)
    };
    // Like a viewer, always one request outstanding.
    c.request(true);
    for i in 0..PROBES {
        // The client just read an update, so it is in step with the server's refresh tick;
        // wait a random 0-60 ms (2 of QEMU's 30 ms ticks, 3.6 of vmdesk's 16.7 ms) so the
        // byte lands at a random phase of both.
        std::thread::sleep(Duration::from_micros(next_rand(60_000)));
        let b = first_byte.wrapping_add(i as u8);
        let want = 0x00ff_0000 | u32::from(b) << 8 | u32::from(b);
        run.stdin.write_all(&[b]).unwrap();
        run.stdin.flush().unwrap();
        let t0 = Instant::now();
        loop {
            c.read_update().unwrap();
            c.request(true);
            if c.fb[0] & 0x00ff_ffff == want {
                out.push(t0.elapsed().as_secs_f64() * 1000.0);
                break;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(10),
                "{}: no marker {want:#08x} after 10 s",
                run.which.name()
            );
        }
        // Keep reading updates for a while before the next probe.
        let pause = Duration::from_millis(60 + next_rand(50));
        let t1 = Instant::now();
        while t1.elapsed() < pause {
            c.read_update().unwrap();
            c.request(true);
        }
    }
    out
}

#[derive(Default, Clone)]
struct Sample {
    idle_bps: f64,
    full_ups: f64,
    all_ups: f64,
    anim_bps: f64,
    cpu_all: f64,
    cpu_other: f64,
    ups_60: f64,
    lat: Vec<f64>,
}

fn measure(which: Which, qemu: &Path, round: usize) -> Vec<(i32, Sample)> {
    let encs = [ENCODING_RAW, ENCODING_ZRLE];
    let mut s: Vec<(i32, Sample)> = encs.iter().map(|&e| (e, Sample::default())).collect();

    let mut run = start(which, qemu, "halt");
    run.wait_serial("ACTION halt");
    for (enc, sample) in s.iter_mut() {
        let (mut c, bytes) = run.connect(*enc);
        sample.idle_bps = idle_bytes_per_s(&mut c, &bytes);
    }
    drop(run);

    let mut run = start(which, qemu, "fullanim vmdesk.fps=0");
    run.wait_serial("FRAME 64");
    for (enc, sample) in s.iter_mut() {
        let (mut c, bytes) = run.connect(*enc);
        (sample.full_ups, sample.all_ups, sample.anim_bps) = update_rate(&mut c, &bytes);
    }
    drop(run);

    let mut run = start(which, qemu, "fullanim vmdesk.fps=60");
    run.wait_serial("FRAME 64");
    for (k, (enc, sample)) in s.iter_mut().enumerate() {
        let (mut c, _bytes) = run.connect(*enc);
        let before = run.cpu_ns();
        let t0 = Instant::now();
        let (_, all, _) = update_rate(&mut c, &AtomicU64::new(0));
        let after = run.cpu_ns();
        let dt = t0.elapsed().as_secs_f64() * 1e9;
        // Per thread: threads come and go (a VNC session thread per client in vmdesk-vmm).
        let (mut d_all, mut d_other) = (0u64, 0u64);
        for (tid, (vcpu, ns)) in &after {
            let d = ns.saturating_sub(before.get(tid).map_or(0, |b| b.1));
            d_all += d;
            if !vcpu {
                d_other += d;
            }
        }
        sample.cpu_all = d_all as f64 / dt * 100.0;
        sample.cpu_other = d_other as f64 / dt * 100.0;
        sample.ups_60 = all;
        // Bytes differ per encoding and round so no probe sees a marker from before.
        let first = 0x20u8.wrapping_add((round * 2 + k) as u8 * PROBES as u8);
        sample.lat = latencies(&mut run, &mut c, first);
    }
    drop(run);
    s
}

fn main() {
    let mut rounds = 3;
    let mut qemu = PathBuf::from("qemu-system-x86_64");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--bench" => {}
            "--rounds" => {
                rounds = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|&n| n > 0)
                    .unwrap_or_else(|| {
                        eprintln!("--rounds needs a positive number");
                        std::process::exit(2)
                    })
            }
            "--qemu" => qemu = PathBuf::from(args.next().unwrap_or_default()),
            _ => {
                eprintln!(
                    "usage: cargo bench -p vmm-core --bench vnc [-- --rounds N] [--qemu PATH]"
                );
                std::process::exit(2);
            }
        }
    }
    if let Err(e) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
    {
        println!("skipped: cannot open /dev/kvm: {e}");
        return;
    }
    let have_qemu = Command::new(&qemu).arg("--version").output().is_ok()
        && Path::new("/usr/share/qemu/qboot.rom").exists();
    println!(
        "VNC benchmark: {rounds} rounds, {W}x{H}, Unix socket; load average {}",
        load_avg()
    );
    if !have_qemu {
        println!(
            "QEMU: skipped: {} or /usr/share/qemu/qboot.rom not found",
            qemu.display()
        );
    }
    let mut results: Vec<(Which, Vec<(i32, Sample)>)> = Vec::new();
    for round in 0..rounds {
        let order = if round % 2 == 0 {
            [Which::Vmdesk, Which::Qemu]
        } else {
            [Which::Qemu, Which::Vmdesk]
        };
        for which in order {
            if which == Which::Qemu && !have_qemu {
                continue;
            }
            let r = measure(which, &qemu, round);
            for (enc, s) in &r {
                println!(
                    "round {round} {:<10} {:<4} idle {:>8.0} B/s | full {:>6.1}/s (all {:>6.1}/s, {:>8.1} kB/s) | 60 fps: CPU {:>5.1} % (non-vCPU {:>5.1} %), {:>5.1} upd/s | latency median {:>6.1} ms p95 {:>6.1} ms",
                    which.name(),
                    enc_name(*enc),
                    s.idle_bps,
                    s.full_ups,
                    s.all_ups,
                    s.anim_bps / 1e3,
                    s.cpu_all,
                    s.cpu_other,
                    s.ups_60,
                    median(&s.lat),
                    pct(&s.lat, 0.95)
                );
            }
            results.push((which, r));
        }
    }
    println!("load average at the end {}", load_avg());
    println!();
    println!("| metric | encoding | vmdesk-vmm | QEMU | vmdesk / QEMU |\n|---|---|---|---|---|");
    type Metric = (&'static str, fn(&[Sample]) -> f64);
    let metrics: [Metric; 9] = [
        ("idle: bytes/s after the first frame (goal 0)", |s| {
            median(&s.iter().map(|x| x.idle_bps).collect::<Vec<_>>())
        }),
        ("full-screen updates/s, guest unpaced (goal ≥ 60)", |s| {
            median(&s.iter().map(|x| x.full_ups).collect::<Vec<_>>())
        }),
        ("kB/s during those updates", |s| {
            median(&s.iter().map(|x| x.anim_bps / 1e3).collect::<Vec<_>>())
        }),
        ("updates/s, guest at 60 fps", |s| {
            median(&s.iter().map(|x| x.ups_60).collect::<Vec<_>>())
        }),
        ("CPU, guest at 60 fps, whole process (% of a core)", |s| {
            median(&s.iter().map(|x| x.cpu_all).collect::<Vec<_>>())
        }),
        ("CPU, guest at 60 fps, without vCPU threads (%)", |s| {
            median(&s.iter().map(|x| x.cpu_other).collect::<Vec<_>>())
        }),
        // % of a core → ms per second, over updates per second.
        ("non-vCPU CPU per update delivered at 60 fps (ms)", |s| {
            median(
                &s.iter()
                    .map(|x| x.cpu_other * 10.0 / x.ups_60)
                    .collect::<Vec<_>>(),
            )
        }),
        ("latency serial byte → marker decoded, median (ms)", |s| {
            median(&s.iter().flat_map(|x| x.lat.clone()).collect::<Vec<_>>())
        }),
        ("latency, p95 (ms)", |s| {
            pct(
                &s.iter().flat_map(|x| x.lat.clone()).collect::<Vec<_>>(),
                0.95,
            )
        }),
    ];
    for (name, f) in metrics {
        for enc in [ENCODING_RAW, ENCODING_ZRLE] {
            let of = |w: Which| -> Vec<Sample> {
                results
                    .iter()
                    .filter(|(x, _)| *x == w)
                    .flat_map(|(_, r)| r.iter().filter(|(e, _)| *e == enc).map(|(_, s)| s.clone()))
                    .collect()
            };
            let (v, q) = (of(Which::Vmdesk), of(Which::Qemu));
            let (vv, qv) = (f(&v), f(&q));
            let ratio = if q.is_empty() {
                "–".to_string()
            } else if qv == 0.0 {
                if vv == 0.0 {
                    "= (both 0)".to_string()
                } else {
                    "∞".to_string()
                }
            } else {
                format!("{:.2}", vv / qv)
            };
            let qs = if q.is_empty() {
                "skipped".to_string()
            } else {
                format!("{qv:.1}")
            };
            println!("| {name} | {} | {vv:.1} | {qs} | {ratio} |", enc_name(enc));
        }
    }
    println!("(medians over rounds; latency over all probes of all rounds)");
}

fn enc_name(e: i32) -> &'static str {
    match e {
        ENCODING_RAW => "Raw",
        ENCODING_ZRLE => "ZRLE",
        _ => "?",
    }
}
