//! Snapshot benchmark: save and revert time, and size on disk, of a running test guest that
//! has touched a known amount of memory (`vmdesk.test=memtick`, tests/guest/README.md).
//!
//! For each (guest memory, touched) case: boot, wait until the guest filled its memory, then
//! several rounds of snapshot-create and snapshot-revert through the control API, reporting the
//! time the vCPUs were paused (what the guest feels), the total API time, and the snapshot's
//! memory file size on disk (allocated blocks: the file is sparse).
//!
//! Run: `cargo bench -p vmm-core --bench snapshot [-- --rounds N]`. Not a test: it asserts
//! nothing about speed; it fails only if the VM misbehaves. Numbers: BENCHMARKS.md.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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
        "{:>10} {:>8} | {:>12} {:>12} | {:>12} {:>12} | {:>10} {:>8}",
        "guest MiB",
        "touched",
        "save paused",
        "save total",
        "revert pause",
        "revert total",
        "mem file",
        "pages"
    );
    for (mem_mib, touch_mib) in [(256u64, 24u64), (2048, 48)] {
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
        let (mut size, mut pages) = (0u64, 0u64);
        for _ in 0..rounds {
            let s = api.call(serde_json::json!({"cmd": "snapshot-create"}));
            sp.push(s["paused_ms"].as_f64().unwrap());
            st.push(s["total_ms"].as_f64().unwrap());
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
        println!(
            "{:>10} {:>7}M | {:>10.1}ms {:>10.1}ms | {:>10.2}ms {:>10.1}ms | {:>8.1}M {:>8}",
            mem_mib,
            touch_mib,
            median(&mut sp),
            median(&mut st),
            median(&mut rp),
            median(&mut rt),
            size as f64 / (1 << 20) as f64,
            pages
        );
        let _ = child.kill();
        let _ = child.wait();
    }
    println!("(medians; 'paused' = time the guest's vCPUs were stopped; QEMU comparison: not measured yet)");
}
