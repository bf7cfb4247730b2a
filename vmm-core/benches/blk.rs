//! Block I/O benchmark: the same test guest (`vmdesk.test=blkbench`) writes N requests of
//! 4 KiB and of 1 MiB, one at a time, to a raw image through virtio-blk, under `vmdesk-vmm`
//! and under QEMU (`-M microvm` + qboot, virtio-blk-device on virtio-mmio, `-accel kvm`).
//!
//! Between the guest's `BLKBENCH start` and `BLKBENCH done` lines it reads the VMM process's
//! CPU time (all threads, /proc/<pid>/task/*/schedstat, ns) and the wall time, and reports
//! CPU µs per request and requests per second. The CPU time includes the vCPU thread, so the
//! guest's own driver work (the same code under both VMMs) is in both numbers.
//!
//! Run: `cargo bench -p vmm-core --bench blk [-- --rounds N]`. Not a test; numbers in
//! BENCHMARKS.md.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Instant;
use vmdesk_test_support::qemu;

const VMM: &str = env!("CARGO_BIN_EXE_vmdesk-vmm");
const GUEST: &str = env!("VMDESK_TEST_GUEST");

fn cpu_ns(pid: u32) -> u64 {
    let Ok(rd) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    rd.filter_map(|t| t.ok())
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// Runs one VMM command; returns (CPU µs per request, requests per second).
fn run(mut cmd: Command, n: u64) -> Option<(f64, f64)> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let pid = child.id();
    let out = BufReader::new(child.stdout.take()?);
    let (mut t0, mut c0) = (None, 0);
    let mut result = None;
    for line in out.lines() {
        let Ok(line) = line else { break };
        if line.contains("BLKBENCH start") {
            c0 = cpu_ns(pid);
            t0 = Some(Instant::now());
        } else if line.contains("BLKBENCH done") {
            let c1 = cpu_ns(pid);
            let dt = t0?.elapsed().as_secs_f64();
            result = Some(((c1 - c0) as f64 / 1000.0 / n as f64, n as f64 / dt));
        } else if line.contains("FAIL") {
            eprintln!("guest: {line}");
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    result
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let mut rounds = 5;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--rounds" {
            rounds = args.next().and_then(|v| v.parse().ok()).unwrap_or(5);
        }
    }
    let qemu = Command::new("qemu-system-x86_64")
        .arg("--version")
        .output()
        .is_ok();
    let qboot = ["/usr/share/qemu/qboot.rom", "/usr/share/seabios/qboot.rom"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("bench.raw");
    std::fs::File::create(&img)
        .unwrap()
        .set_len(512 << 20)
        .unwrap();
    println!(
        "block benchmark: {rounds} rounds; raw image {}",
        img.display()
    );
    println!(
        "{:>6} {:>6} | {:>14} {:>12} | {:>14} {:>12} | {:>9} {:>9}",
        "size",
        "n",
        "vmdesk µs/req",
        "vmdesk req/s",
        "QEMU µs/req",
        "QEMU req/s",
        "CPU ratio",
        "rate ratio"
    );
    for (kib, n) in [(4u64, 2000u64), (1024, 100)] {
        let cmdline =
            format!("console=ttyS0 vmdesk.test=blkbench vmdesk.blk_count={n} vmdesk.blk_kib={kib}");
        let cfg = dir.path().join("vm.toml");
        std::fs::write(
            &cfg,
            format!(
                "id = \"blkbench\"\nname = \"blkbench\"\nvcpus = 1\nmemory_mib = 64\nvirtio_rng = false\n[serial]\nlog = false\n[boot]\nkind = \"linux\"\nkernel = \"{GUEST}\"\ncmdline = \"{cmdline}\"\n[[disks]]\npath = \"{}\"\nformat = \"raw\"\n",
                img.display()
            ),
        )
        .unwrap();
        let (mut vc, mut vr, mut qc, mut qr) = (vec![], vec![], vec![], vec![]);
        for _ in 0..rounds {
            let mut c = Command::new(VMM);
            c.arg("--config")
                .arg(&cfg)
                .arg("--runtime-dir")
                .arg(dir.path().join("run"))
                .arg("--console");
            if let Some((cpu, rate)) = run(c, n) {
                vc.push(cpu);
                vr.push(rate);
            }
            if let (true, Some(rom)) = (qemu, qboot) {
                let mut c = Command::new("qemu-system-x86_64");
                let qemu_cmdline = format!("{cmdline} vmdesk.mmio=microvm");
                c.args(qemu::microvm_args(rom, 64, "stdio", GUEST, &qemu_cmdline));
                c.args([
                    "-global",
                    "virtio-mmio.force-legacy=false",
                    "-drive",
                    &format!(
                        "file={},format=raw,if=none,id=d0,aio=threads",
                        img.display()
                    ),
                    "-device",
                    "virtio-blk-device,drive=d0",
                ]);
                if let Some((cpu, rate)) = run(c, n) {
                    qc.push(cpu);
                    qr.push(rate);
                }
            }
        }
        let size = if kib >= 1024 {
            format!("{}M", kib / 1024)
        } else {
            format!("{kib}K")
        };
        let (v_cpu, v_rate) = (median(&mut vc), median(&mut vr));
        if qc.is_empty() {
            println!(
                "{size:>6} {n:>6} | {v_cpu:>14.1} {v_rate:>12.0} | skipped: QEMU or qboot.rom not found"
            );
        } else {
            let (q_cpu, q_rate) = (median(&mut qc), median(&mut qr));
            println!(
                "{size:>6} {n:>6} | {v_cpu:>14.1} {v_rate:>12.0} | {q_cpu:>14.1} {q_rate:>12.0} | {:>9.2} {:>9.2}",
                v_cpu / q_cpu,
                v_rate / q_rate
            );
        }
    }
    println!("(medians; CPU = whole VMM process incl. the vCPU thread; ratio = vmdesk / QEMU)");
}
