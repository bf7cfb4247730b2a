//! Snapshot benchmark: save and revert time, and size on disk, of a running test guest that
//! has touched a known amount of memory (`vmdesk.test=memtick`, tests/guest/README.md).
//!
//! For each (guest memory, touched) case: boot, wait until the guest filled its memory, then
//! several rounds of snapshot-create and snapshot-revert through the control API, reporting the
//! time the vCPUs were paused (what the guest feels), the total API time, a save's pre-copy
//! (memory copied while the guest runs) and the pages its pause copied again, and the
//! snapshot's memory file size on disk (allocated blocks: the file is sparse).
//!
//! The same cases under QEMU (`-M microvm` + qboot, `-accel kvm`, the same guest command
//! line, a small qcow2 drive to hold internal snapshots): `savevm sN` then `loadvm sN` through
//! an HMP monitor on a Unix socket, timing each command's round trip (the line sent, to the
//! next `(qemu)` prompt), and the snapshot's `VM SIZE` from `info snapshots`. QEMU's savevm and
//! loadvm keep the VM stopped for the whole command, so its round trip is both paused and total.
//!
//! Run: `cargo bench -p vmm-core --bench snapshot [-- --rounds N]`. Not a test: it asserts
//! nothing about speed; it fails only if the VM misbehaves. Numbers: BENCHMARKS.md.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use vmdesk_test_support::qemu;

const VMM: &str = env!("CARGO_BIN_EXE_vmdesk-vmm");
const GUEST: &str = env!("VMDESK_TEST_GUEST");

struct Api {
    w: UnixStream,
    r: BufReader<UnixStream>,
}

impl Api {
    fn connect(path: &std::path::Path) -> Api {
        let deadline = Instant::now() + Duration::from_secs(30);
        let s = loop {
            match UnixStream::connect(path) {
                Ok(s) => break s,
                Err(e) if Instant::now() > deadline => panic!("{}: {e}", path.display()),
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        };
        let mut r = BufReader::new(s.try_clone().unwrap());
        let mut hello = String::new();
        r.read_line(&mut hello).unwrap();
        Api { w: s, r }
    }

    fn call(&mut self, req: serde_json::Value) -> serde_json::Value {
        writeln!(self.w, "{req}").unwrap();
        let mut line = String::new();
        self.r.read_line(&mut line).unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["ok"], true, "{req} -> {v}");
        v["result"].clone()
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// QEMU's human monitor on a Unix socket.
struct Hmp(UnixStream);

impl Hmp {
    /// Reads until the output ends with the `(qemu) ` prompt; returns everything read.
    fn prompt(&mut self) -> Result<String, String> {
        let (mut out, mut buf) = (Vec::new(), [0u8; 4096]);
        while !out.ends_with(b"(qemu) ") {
            let n = self.0.read(&mut buf).map_err(|e| format!("monitor: {e}"))?;
            if n == 0 {
                return Err("monitor closed".into());
            }
            out.extend_from_slice(&buf[..n]);
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    /// Sends one command; returns (round trip in ms, output). Fails on an `Error` reply.
    fn cmd(&mut self, line: &str) -> Result<(f64, String), String> {
        let t = Instant::now();
        writeln!(self.0, "{line}").map_err(|e| format!("monitor: {e}"))?;
        let out = self.prompt()?;
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        if out.contains("Error") || out.contains("error") {
            return Err(format!("{line}: {}", out.trim()));
        }
        Ok((ms, out))
    }
}

/// QEMU medians for one case: (savevm ms, loadvm ms, VM SIZE of the last snapshot, qcow2 file
/// bytes allocated after all rounds).
struct QemuCase {
    save: f64,
    revert: f64,
    vm_size: String,
    qcow2: u64,
}

fn qemu_case(rom: &str, mem_mib: u64, touch_mib: u64, rounds: usize) -> Result<QemuCase, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let disk = dir.path().join("snap.qcow2");
    let ok = Command::new("qemu-img")
        .args(["create", "-q", "-f", "qcow2"])
        .arg(&disk)
        .arg("64M")
        .status()
        .map_err(|e| format!("qemu-img: {e}"))?;
    if !ok.success() {
        return Err("qemu-img create failed".into());
    }
    let mon = dir.path().join("mon.sock");
    let stderr = std::fs::File::create(dir.path().join("stderr")).map_err(|e| e.to_string())?;
    let cmdline = format!("console=ttyS0 vmdesk.test=memtick vmdesk.touch_mib={touch_mib}");
    let mut child = Command::new("qemu-system-x86_64")
        .args(qemu::microvm_args(rom, mem_mib, "stdio", GUEST, &cmdline))
        .args([
            "-monitor",
            &format!("unix:{},server=on,wait=off", mon.display()),
            "-global",
            "virtio-mmio.force-legacy=false",
            "-drive",
            &format!("file={},format=qcow2,if=none,id=d0", disk.display()),
            "-device",
            "virtio-blk-device,drive=d0",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .map_err(|e| format!("qemu-system-x86_64: {e}"))?;
    // Drain the serial console for the whole run (the guest keeps ticking); signal `MEM filled`.
    let out = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if line.contains("MEM filled") || line.contains("FAIL") {
                let _ = tx.send(line);
            }
        }
    });
    let result = (|| {
        match rx.recv_timeout(Duration::from_secs(600)) {
            Ok(l) if l.contains("MEM filled") => {}
            Ok(l) => return Err(format!("guest: {l}")),
            Err(_) => {
                let err = std::fs::read_to_string(dir.path().join("stderr")).unwrap_or_default();
                return Err(format!("guest did not fill its memory {}", err.trim()));
            }
        }
        let s = UnixStream::connect(&mon).map_err(|e| format!("{}: {e}", mon.display()))?;
        s.set_read_timeout(Some(Duration::from_secs(300)))
            .map_err(|e| e.to_string())?;
        let mut hmp = Hmp(s);
        hmp.prompt()?;
        let (mut save, mut revert, mut vm_size) = (vec![], vec![], String::new());
        for i in 0..rounds {
            let tag = format!("s{i}");
            save.push(hmp.cmd(&format!("savevm {tag}"))?.0);
            // `ID TAG VM-SIZE UNIT DATE TIME VM-CLOCK ICOUNT`: the size follows the tag.
            let (_, list) = hmp.cmd("info snapshots")?;
            vm_size = list
                .lines()
                .map(|l| l.split_whitespace().collect::<Vec<_>>())
                .find(|w| w.len() > 3 && w[1] == tag)
                .map(|w| format!("{} {}", w[2], w[3]))
                .unwrap_or_else(|| "?".into());
            std::thread::sleep(Duration::from_millis(300));
            revert.push(hmp.cmd(&format!("loadvm {tag}"))?.0);
            std::thread::sleep(Duration::from_millis(300));
        }
        let qcow2 = std::fs::metadata(&disk)
            .map_err(|e| e.to_string())?
            .blocks()
            * 512;
        let _ = hmp.cmd("quit");
        Ok(QemuCase {
            save: median(&mut save),
            revert: median(&mut revert),
            vm_size,
            qcow2,
        })
    })();
    let _ = child.kill();
    let _ = child.wait();
    let _ = reader.join();
    result
}

fn main() {
    let mut rounds = 5;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--rounds" => rounds = args.next().and_then(|v| v.parse().ok()).unwrap_or(5),
            "--bench" => {}
            _ => {}
        }
    }
    println!("snapshot benchmark: {rounds} rounds per case; vmdesk-vmm = {VMM}");
    println!(
        "{:>10} {:>8} | {:>12} {:>12} {:>10} {:>9} | {:>12} {:>12} | {:>10} {:>8}",
        "guest MiB",
        "touched",
        "save paused",
        "save total",
        "pre-copy",
        "recopied",
        "revert pause",
        "revert total",
        "mem file",
        "pages"
    );
    // About 10 % of memory touched (the guest fills it with a pattern, then keeps running).
    let cases = [(256u64, 24u64), (2048, 200)];
    // vmdesk's (save total, revert total) medians per case, for the QEMU ratios.
    let mut totals = vec![];
    for (mem_mib, touch_mib) in cases {
        let dir = tempfile::tempdir().unwrap();
        let cfg = format!(
            "id = \"bench\"\nname = \"bench\"\nvcpus = 1\nmemory_mib = {mem_mib}\n[boot]\nkind = \"linux\"\nkernel = \"{GUEST}\"\ncmdline = \"console=ttyS0 vmdesk.test=memtick vmdesk.touch_mib={touch_mib}\"\n"
        );
        std::fs::write(dir.path().join("vm.toml"), cfg).unwrap();
        let mut child = Command::new(VMM)
            .arg("--config")
            .arg(dir.path().join("vm.toml"))
            .arg("--runtime-dir")
            .arg(dir.path().join("run"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let log = dir.path().join("serial.log");
        let deadline = Instant::now() + Duration::from_secs(600);
        while !std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("MEM filled")
        {
            assert!(Instant::now() < deadline, "guest did not fill its memory");
            assert!(child.try_wait().unwrap().is_none(), "VMM exited");
            std::thread::sleep(Duration::from_millis(100));
        }
        let mut api = Api::connect(&dir.path().join("run/control.sock"));
        let (mut sp, mut st, mut rp, mut rt) = (vec![], vec![], vec![], vec![]);
        let (mut pre, mut re) = (vec![], vec![]);
        let (mut size, mut pages) = (0u64, 0u64);
        for _ in 0..rounds {
            let s = api.call(serde_json::json!({"cmd": "snapshot-create"}));
            sp.push(s["paused_ms"].as_f64().unwrap());
            st.push(s["total_ms"].as_f64().unwrap());
            pre.push(s["precopy_ms"].as_f64().unwrap_or(0.0));
            re.push(s["recopied_pages"].as_f64().unwrap_or(0.0));
            let id = s["id"].as_str().unwrap().to_string();
            pages = s["memory_pages"].as_u64().unwrap();
            let m = std::fs::metadata(dir.path().join("snapshots").join(&id).join("memory.bin"))
                .unwrap();
            size = m.blocks() * 512;
            std::thread::sleep(Duration::from_millis(300));
            let r = api.call(serde_json::json!({"cmd": "snapshot-revert", "snapshot": id}));
            rp.push(r["paused_ms"].as_f64().unwrap());
            rt.push(r["total_ms"].as_f64().unwrap());
            std::thread::sleep(Duration::from_millis(300));
        }
        let (save_total, revert_total) = (median(&mut st), median(&mut rt));
        totals.push((save_total, revert_total));
        println!(
            "{:>10} {:>7}M | {:>10.1}ms {:>10.1}ms {:>8.1}ms {:>9} | {:>10.2}ms {:>10.1}ms | {:>8.1}M {:>8}",
            mem_mib,
            touch_mib,
            median(&mut sp),
            save_total,
            median(&mut pre),
            median(&mut re),
            median(&mut rp),
            revert_total,
            size as f64 / (1 << 20) as f64,
            pages
        );
        let _ = child.kill();
        let _ = child.wait();
    }
    println!("(medians; 'paused' = time the guest's vCPUs were stopped)");

    println!();
    println!("QEMU (microvm + qboot, KVM, qcow2 internal snapshots via HMP savevm/loadvm):");
    println!(
        "{:>10} {:>8} | {:>12} {:>12} | {:>10} {:>10} | {:>10} {:>11}",
        "guest MiB",
        "touched",
        "savevm",
        "loadvm",
        "VM SIZE",
        "qcow2 file",
        "save ratio",
        "revert ratio"
    );
    let qemu = Command::new("qemu-system-x86_64")
        .arg("--version")
        .output()
        .is_ok()
        && Command::new("qemu-img").arg("--version").output().is_ok();
    let qboot = ["/usr/share/qemu/qboot.rom", "/usr/share/seabios/qboot.rom"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    for ((mem_mib, touch_mib), (save_total, revert_total)) in cases.into_iter().zip(totals) {
        let head = format!("{mem_mib:>10} {touch_mib:>7}M |");
        let Some(rom) = qboot.filter(|_| qemu) else {
            println!("{head} skipped: QEMU, qemu-img or qboot.rom not found");
            continue;
        };
        match qemu_case(rom, mem_mib, touch_mib, rounds) {
            Ok(q) => println!(
                "{head} {:>10.1}ms {:>10.1}ms | {:>10} {:>9.1}M | {:>10.2} {:>12.2}",
                q.save,
                q.revert,
                q.vm_size,
                q.qcow2 as f64 / (1 << 20) as f64,
                save_total / q.save,
                revert_total / q.revert
            ),
            Err(e) => println!("{head} failed: {e}"),
        }
    }
    println!(
        "(medians; savevm/loadvm = HMP round trip, VM stopped throughout; VM SIZE = last snapshot; \
         qcow2 file = allocated after all {rounds} rounds; ratio = vmdesk total / QEMU)"
    );
}
