//! virtio-gpu benchmark: vmdesk-vmm's virtio-gpu (virtio-mmio) against QEMU's
//! `virtio-gpu-device` on microvm, the same test guest, the same RFB client, both VNC servers
//! on a Unix socket, at 1024×768 and 1920×1080.
//!
//! The guest (tests/guest, README "virtio-gpu animation", `vmdesk.test=gpuanim`) draws
//! fullanim's frames (every pixel changes every frame) from ring 3 into its resource's
//! backing and sends TRANSFER_TO_HOST_2D + RESOURCE_FLUSH of the whole screen per frame,
//! waiting for both responses; `FRAME <n> present_us=<µs>` every 64 frames gives the mean
//! transfer + flush round trip as the guest sees it. Under QEMU it finds the device through
//! `vmdesk.mmio=microvm` (microvm's virtio-mmio windows at 0xfeb00000), with
//! `-global virtio-mmio.force-legacy=false` (microvm's transports are legacy by default).
//!
//! The client is the raw RFB client of the VNC tests (tests/support/src/rfb.rs): Raw, plus the
//! DesktopSize and ExtendedDesktopSize pseudo-encodings, one incremental request outstanding
//! at a time (the next goes out when an update has been read and decoded).
//!
//! Per round, size and VMM (rounds interleaved, the VMM order flips every round):
//! - unpaced (`vmdesk.fps=0`), 5 s: full-screen updates/s at the client, guest frames/s (from
//!   the FRAME lines), the guest's present round trip, and the VMM's CPU
//!   (/proc/<pid>/task/*/schedstat) — whole process and without the vCPU threads;
//! - paced (`vmdesk.fps=60`), 5 s: the same, then serial-byte → marker latency probes, then
//!   resizes: both through the VNC client's SetDesktopSize (each VMM forwards it to the
//!   virtio-gpu's display info and config event; `--resize-by-api`: vmdesk-vmm through its
//!   control API's `set-display-size` instead); the time from the request to the end of decoding the first update at the new
//!   size that covers the whole screen.
//!
//! Where the device's work runs differs: vmdesk-vmm serves the control queue synchronously on
//! the notifying vCPU thread, QEMU in its main loop (not a vCPU thread). So "without vCPU
//! threads" leaves vmdesk's transfer copies out and keeps QEMU's in. The table's "VMM CPU per
//! update" adds, for vmdesk-vmm, the guest-measured present round trip × guest frames/s ×
//! the share of the time its vCPU thread was on a CPU (the time the vCPU thread spent in the
//! VMM and KVM for those commands, an upper bound of their CPU) to its non-vCPU CPU; for QEMU
//! it takes the non-vCPU CPU alone (its vCPU-side cost of the notify is left out, in QEMU's
//! favour).
//!
//! Run: `cargo bench -p vmm-core --bench gpu [-- --rounds N] [--qemu PATH] [--resize-by-api]`. Not a test: it
//! fails only if a boot or the protocol goes wrong. Numbers and method in BENCHMARKS.md.

use vmdesk_test_support::qemu;
use vmdesk_test_support::rfb;
use vmdesk_test_support::stats::{load_avg, median, pct};

use rfb::{Client, ENCODING_EXTENDED_DESKTOP_SIZE};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

/// `--resize-by-api`: vmdesk-vmm is asked through its control API instead of SetDesktopSize.
static RESIZE_BY_API: AtomicBool = AtomicBool::new(false);
use std::time::{Duration, Instant};
use vmm_core::display::vnc::proto::{PixelFormat, ENCODING_DESKTOP_SIZE, ENCODING_RAW};

const VMM: &str = env!("CARGO_BIN_EXE_vmdesk-vmm");
const GUEST: &str = env!("VMDESK_TEST_GUEST");
const SIZES: [(u32, u32); 2] = [(1024, 768), (1920, 1080)];
const BOOT_TIMEOUT: Duration = Duration::from_secs(120);
const PHASE: Duration = Duration::from_secs(5);
const PROBES: usize = 15;
const RESIZES: usize = 4;

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
    api: Option<PathBuf>,
    _dir: tempfile::TempDir,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(which: Which, qemu: &Path, (w, h): (u32, u32), fps: u32) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let cmdline = format!("console=ttyS0 vmdesk.test=gpuanim vmdesk.fps={fps}");
    let (mut cmd, sock, api) = match which {
        Which::Vmdesk => {
            let cfg = dir.path().join("vm.toml");
            std::fs::write(
                &cfg,
                format!(
                    "id = \"gpubench\"\nname = \"gpubench\"\nvcpus = 1\nmemory_mib = 64\nvirtio_rng = false\n\
                     [serial]\nlog = false\n[boot]\nkind = \"linux\"\nkernel = \"{GUEST}\"\ncmdline = \"{cmdline}\"\n\
                     [display]\nwidth = {w}\nheight = {h}\nkind = \"virtio-gpu\"\n"
                ),
            )
            .unwrap();
            let mut c = Command::new(VMM);
            c.arg("--config")
                .arg(&cfg)
                .arg("--runtime-dir")
                .arg(dir.path().join("run"))
                .arg("--console");
            (
                c,
                dir.path().join("run/vnc.sock"),
                Some(dir.path().join("run/control.sock")),
            )
        }
        Which::Qemu => {
            let sock = dir.path().join("qemu-vnc.sock");
            let mut c = Command::new(qemu);
            let qemu_cmdline = format!("{cmdline} vmdesk.mmio=microvm");
            c.args(qemu::microvm_args(
                "/usr/share/qemu/qboot.rom",
                64,
                "stdio",
                GUEST,
                &qemu_cmdline,
            ))
            .args(["-name", "gpubench,debug-threads=on"])
            .args(["-global", "virtio-mmio.force-legacy=false"])
            .arg("-device")
            .arg(format!("virtio-gpu-device,xres={w},yres={h}"))
            .arg("-vnc")
            .arg(format!("unix:{}", sock.display()));
            (c, sock, None)
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
        api,
        _dir: dir,
    }
}

/// A boot that reached the animation. On a loaded host a preemption longer than ~35 ms
/// during the guest's 20 ms TSC calibration wraps the PIT (the guest then says so and stops);
/// such a boot is retried, up to 5 times.
fn boot(which: Which, qemu: &Path, size: (u32, u32), fps: u32) -> Running {
    for _ in 0..4 {
        let mut run = start(which, qemu, size, fps);
        if run.wait_serial("FRAME 64 ") {
            return run;
        }
        println!(
            "({}: PIT calibration preempted, booting again)",
            which.name()
        );
    }
    let mut run = start(which, qemu, size, fps);
    assert!(
        run.wait_serial("FRAME 64 "),
        "{}: calibration failed 5 times",
        which.name()
    );
    run
}

impl Running {
    /// Waits for `needle`; false if the guest's TSC calibration was preempted (see [`boot`]).
    fn wait_serial(&mut self, needle: &str) -> bool {
        let t0 = Instant::now();
        loop {
            let log = self.serial.lock().unwrap().clone();
            if let Some(l) = log.lines().find(|l| l.contains("FAIL")) {
                if l.contains("PIT channel 0 does not count") {
                    return false;
                }
                panic!("{}: guest says {l}\n{log}", self.which.name());
            }
            if log.contains(needle) {
                return true;
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

    /// The last `FRAME <n> present_us=<us>` line: (n, us).
    fn last_frame(&self) -> (u64, u64) {
        let log = self.serial.lock().unwrap();
        log.lines()
            .rev()
            .find_map(|l| {
                let rest = l.strip_prefix("FRAME ")?;
                let (n, us) = rest.split_once(" present_us=")?;
                Some((n.parse().ok()?, us.trim().parse().ok()?))
            })
            .unwrap_or((0, 0))
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

    fn connect(&self, (w, h): (u32, u32)) -> Client {
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
        let mut c = Client::handshake(Box::new(s), b"RFB 003.008\n", None)
            .unwrap_or_else(|e| panic!("{}: RFB handshake: {e}", self.which.name()));
        assert_eq!((c.w, c.h), (w, h), "{}: screen size", self.which.name());
        c.set_pixel_format(PixelFormat::XRGB8888);
        c.set_encodings(&[
            ENCODING_RAW,
            ENCODING_DESKTOP_SIZE,
            ENCODING_EXTENDED_DESKTOP_SIZE,
        ]);
        c.request(false);
        read_full_frame(&mut c);
        c
    }

    /// Asks for a new screen size: both VMMs through the RFB client's SetDesktopSize (the same
    /// door), or with `--resize-by-api` vmdesk-vmm through its control API.
    fn ask_size(&self, c: &mut Client, (w, h): (u32, u32)) {
        let api = self
            .api
            .as_ref()
            .filter(|_| RESIZE_BY_API.load(std::sync::atomic::Ordering::Relaxed));
        match api {
            Some(path) => {
                let s =
                    UnixStream::connect(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                let mut r = BufReader::new(s.try_clone().unwrap());
                let mut line = String::new();
                r.read_line(&mut line).unwrap(); // hello
                let req = serde_json::json!({"id": 1, "cmd": "set-display-size", "width": w, "height": h});
                (&s).write_all(format!("{req}\n").as_bytes()).unwrap();
                loop {
                    line.clear();
                    assert!(r.read_line(&mut line).unwrap() > 0, "API closed");
                    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
                    if v.get("event").is_none() {
                        assert_eq!(v["ok"], true, "set-display-size: {v}");
                        break;
                    }
                }
            }
            None => {
                // SetDesktopSize (251): padding, w, h, 1 screen, padding; screen id 0 at 0,0.
                let mut m = vec![251u8, 0];
                m.extend_from_slice(&(w as u16).to_be_bytes());
                m.extend_from_slice(&(h as u16).to_be_bytes());
                m.extend_from_slice(&[1, 0]);
                m.extend_from_slice(&0u32.to_be_bytes());
                m.extend_from_slice(&[0, 0, 0, 0]);
                m.extend_from_slice(&(w as u16).to_be_bytes());
                m.extend_from_slice(&(h as u16).to_be_bytes());
                m.extend_from_slice(&0u32.to_be_bytes());
                c.s.write_all(&m).unwrap();
            }
        }
    }
}

/// Whether one update's pixel rectangles cover the whole w × h screen.
fn covers(rects: &[(vmm_core::display::Rect, i32)], w: u32, h: u32) -> bool {
    let mut rows = vec![0u64; h as usize];
    for (r, enc) in rects {
        if *enc != ENCODING_RAW {
            continue;
        }
        for y in r.y..(r.y + r.h).min(h) {
            rows[y as usize] += u64::from((r.x + r.w).min(w).saturating_sub(r.x));
        }
    }
    // Servers send non-overlapping rectangles, so full rows sum to w.
    rows.iter().all(|&n| n >= u64::from(w))
}

/// Reads updates (requesting more) until one covers the whole current screen.
fn read_full_frame(c: &mut Client) {
    loop {
        let rects = c.read_update().unwrap();
        if covers(&rects, c.w, c.h) {
            return;
        }
        c.request(true);
    }
}

#[derive(Default, Clone)]
struct Phase {
    full_ups: f64,
    guest_fps: f64,
    present_us: f64,
    cpu_all: f64,
    cpu_other: f64,
}

impl Phase {
    /// VMM CPU per full-screen update delivered (ms); see the module comment.
    fn cpu_per_update(&self, which: Which) -> f64 {
        let mut ms_per_s = self.cpu_other * 10.0;
        if which == Which::Vmdesk {
            // The round trip is wall time: scaled by the share of the time the vCPU threads
            // were on a CPU, so host preemption (load 14 here) is not counted as work.
            let on_cpu = ((self.cpu_all - self.cpu_other) / 100.0).clamp(0.0, 1.0);
            ms_per_s += self.present_us / 1000.0 * self.guest_fps * on_cpu;
        }
        ms_per_s / self.full_ups
    }
}

/// PHASE of updates: rates and CPU.
fn phase(run: &Running, c: &mut Client) -> Phase {
    let (f0, _) = run.last_frame();
    let before = run.cpu_ns();
    let t0 = Instant::now();
    let mut full = 0u32;
    while t0.elapsed() < PHASE {
        c.request(true);
        let rects = c.read_update().unwrap();
        if covers(&rects, c.w, c.h) {
            full += 1;
        }
    }
    let after = run.cpu_ns();
    let dt = t0.elapsed().as_secs_f64();
    let (f1, us) = run.last_frame();
    let (mut d_all, mut d_other) = (0u64, 0u64);
    for (tid, (vcpu, ns)) in &after {
        let d = ns.saturating_sub(before.get(tid).map_or(0, |b| b.1));
        d_all += d;
        if !vcpu {
            d_other += d;
        }
    }
    Phase {
        full_ups: f64::from(full) / dt,
        guest_fps: (f1 - f0) as f64 / dt,
        present_us: us as f64,
        cpu_all: d_all as f64 / (dt * 1e9) * 100.0,
        cpu_other: d_other as f64 / (dt * 1e9) * 100.0,
    }
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
    c.request(true);
    for i in 0..PROBES {
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
        let pause = Duration::from_millis(60 + next_rand(50));
        let t1 = Instant::now();
        while t1.elapsed() < pause {
            c.read_update().unwrap();
            c.request(true);
        }
    }
    // Drain the request still outstanding.
    c.read_update().unwrap();
    out
}

/// Resize latencies (ms): request → end of decoding the first whole-screen update at the new
/// size. Alternates between the other size and the boot size.
fn resizes(run: &mut Running, c: &mut Client, boot: (u32, u32)) -> Vec<f64> {
    let other = if boot == SIZES[0] { SIZES[1] } else { SIZES[0] };
    let mut out = Vec::new();
    for i in 0..RESIZES {
        let to = if i % 2 == 0 { other } else { boot };
        // Settle: a few updates at the current size, then one request outstanding.
        let t1 = Instant::now();
        while t1.elapsed() < Duration::from_millis(300) {
            c.request(true);
            c.read_update().unwrap();
        }
        c.request(true);
        let t0 = Instant::now();
        run.ask_size(c, to);
        loop {
            let rects = c.read_update().unwrap();
            let resized = rects
                .iter()
                .any(|(_, e)| *e == ENCODING_DESKTOP_SIZE || *e == ENCODING_EXTENDED_DESKTOP_SIZE);
            if (c.w, c.h) == to && covers(&rects, c.w, c.h) {
                out.push(t0.elapsed().as_secs_f64() * 1000.0);
                break;
            }
            // After a size change, ask for the whole new screen (as most viewers do).
            c.request(!(resized && (c.w, c.h) == to));
            assert!(
                t0.elapsed() < Duration::from_secs(20),
                "{}: no update at {}x{} after 20 s (screen {}x{}); serial:\n{}",
                run.which.name(),
                to.0,
                to.1,
                c.w,
                c.h,
                run.serial.lock().unwrap()
            );
        }
    }
    out
}

#[derive(Default, Clone)]
struct Sample {
    unpaced: Phase,
    paced: Phase,
    lat: Vec<f64>,
    resize: Vec<f64>,
}

fn measure(which: Which, qemu: &Path, size: (u32, u32), round: usize) -> Sample {
    let mut s = Sample::default();
    let run = boot(which, qemu, size, 0);
    let mut c = run.connect(size);
    s.unpaced = phase(&run, &mut c);
    drop(c);
    drop(run);

    let mut run = boot(which, qemu, size, 60);
    let mut c = run.connect(size);
    s.paced = phase(&run, &mut c);
    let first =
        0x20u8.wrapping_add((round * 2 + usize::from(size == SIZES[1])) as u8 * PROBES as u8);
    s.lat = latencies(&mut run, &mut c, first);
    s.resize = resizes(&mut run, &mut c, size);
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
            "--resize-by-api" => RESIZE_BY_API.store(true, std::sync::atomic::Ordering::Relaxed),
            _ => {
                eprintln!(
                    "usage: cargo bench -p vmm-core --bench gpu [-- --rounds N] [--qemu PATH] [--resize-by-api]"
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
        "virtio-gpu benchmark: {rounds} rounds, {SIZES:?}, Raw over a Unix socket; load average {}",
        load_avg()
    );
    if !have_qemu {
        println!(
            "QEMU: skipped: {} or /usr/share/qemu/qboot.rom not found",
            qemu.display()
        );
    }
    let mut results: Vec<(Which, (u32, u32), Sample)> = Vec::new();
    for round in 0..rounds {
        let order = if round % 2 == 0 {
            [Which::Vmdesk, Which::Qemu]
        } else {
            [Which::Qemu, Which::Vmdesk]
        };
        for size in SIZES {
            for which in order {
                if which == Which::Qemu && !have_qemu {
                    continue;
                }
                let s = measure(which, &qemu, size, round);
                println!(
                    "round {round} {:<10} {}x{}: unpaced {:>5.1} upd/s, guest {:>6.1} fps, present {:>5.0} us, CPU {:>5.1} % (non-vCPU {:>5.1} %), {:>5.2} ms/upd | 60 fps: {:>5.1} upd/s, guest {:>5.1} fps, present {:>5.0} us, CPU {:>5.1} % (non-vCPU {:>5.1} %), {:>5.2} ms/upd | latency median {:>6.1} ms | resize {}",
                    which.name(),
                    size.0,
                    size.1,
                    s.unpaced.full_ups,
                    s.unpaced.guest_fps,
                    s.unpaced.present_us,
                    s.unpaced.cpu_all,
                    s.unpaced.cpu_other,
                    s.unpaced.cpu_per_update(which),
                    s.paced.full_ups,
                    s.paced.guest_fps,
                    s.paced.present_us,
                    s.paced.cpu_all,
                    s.paced.cpu_other,
                    s.paced.cpu_per_update(which),
                    median(&s.lat),
                    s.resize
                        .iter()
                        .map(|v| format!("{v:.0}"))
                        .collect::<Vec<_>>()
                        .join("/")
                );
                results.push((which, size, s));
            }
        }
    }
    println!("load average at the end {}", load_avg());
    println!();
    println!("| metric | size | vmdesk-vmm | QEMU | vmdesk / QEMU |\n|---|---|---|---|---|");
    type Metric = (&'static str, fn(Which, &[Sample]) -> f64);
    fn med(s: &[Sample], f: impl Fn(&Sample) -> f64) -> f64 {
        median(&s.iter().map(f).collect::<Vec<_>>())
    }
    let metrics: [Metric; 13] = [
        (
            "full-screen updates/s at the client, guest unpaced",
            |_, s| med(s, |x| x.unpaced.full_ups),
        ),
        ("guest frames/s (transfer + flush each), unpaced", |_, s| {
            med(s, |x| x.unpaced.guest_fps)
        }),
        (
            "guest's transfer + flush round trip, unpaced (µs)",
            |_, s| med(s, |x| x.unpaced.present_us),
        ),
        ("CPU unpaced, whole process (% of a core)", |_, s| {
            med(s, |x| x.unpaced.cpu_all)
        }),
        ("CPU unpaced, without vCPU threads (%)", |_, s| {
            med(s, |x| x.unpaced.cpu_other)
        }),
        ("VMM CPU per full-screen update, unpaced (ms)", |w, s| {
            med(s, |x| x.unpaced.cpu_per_update(w))
        }),
        ("full-screen updates/s, guest at 60 fps", |_, s| {
            med(s, |x| x.paced.full_ups)
        }),
        (
            "guest's transfer + flush round trip at 60 fps (µs)",
            |_, s| med(s, |x| x.paced.present_us),
        ),
        ("CPU at 60 fps, without vCPU threads (%)", |_, s| {
            med(s, |x| x.paced.cpu_other)
        }),
        ("VMM CPU per full-screen update at 60 fps (ms)", |w, s| {
            med(s, |x| x.paced.cpu_per_update(w))
        }),
        (
            "latency serial byte → marker decoded, median (ms)",
            |_, s| median(&s.iter().flat_map(|x| x.lat.clone()).collect::<Vec<_>>()),
        ),
        (
            "resize request → first whole update at the new size, median (ms)",
            |_, s| median(&s.iter().flat_map(|x| x.resize.clone()).collect::<Vec<_>>()),
        ),
        ("resize latency, p95 (ms)", |_, s| {
            pct(
                &s.iter().flat_map(|x| x.resize.clone()).collect::<Vec<_>>(),
                0.95,
            )
        }),
    ];
    for (name, f) in metrics {
        for size in SIZES {
            let of = |w: Which| -> Vec<Sample> {
                results
                    .iter()
                    .filter(|(x, sz, _)| *x == w && *sz == size)
                    .map(|(_, _, s)| s.clone())
                    .collect()
            };
            let (v, q) = (of(Which::Vmdesk), of(Which::Qemu));
            let vv = f(Which::Vmdesk, &v);
            let qv = f(Which::Qemu, &q);
            let ratio = if q.is_empty() || qv == 0.0 {
                "–".to_string()
            } else {
                format!("{:.2}", vv / qv)
            };
            let qs = if q.is_empty() {
                "skipped".to_string()
            } else {
                format!("{qv:.1}")
            };
            println!(
                "| {name} | {}x{} | {vv:.1} | {qs} | {ratio} |",
                size.0, size.1
            );
        }
    }
    println!(
        "(medians over rounds; latencies over all probes of all rounds; resizes: {})",
        if RESIZE_BY_API.load(std::sync::atomic::Ordering::Relaxed) {
            "vmdesk-vmm by control API, QEMU by the client's SetDesktopSize"
        } else {
            "both by the client's SetDesktopSize"
        }
    );
}
