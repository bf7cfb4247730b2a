//! Lab mode's numbers (BENCHMARKS.md, "Lab mode"): `vmdesk lab create TEMPLATE --count 20` on a
//! template with a 2 GiB qcow2 disk (16 MiB of it written) — wall time of the whole command
//! (process start included) and the disk space it adds (st_blocks of everything under the VM
//! folders) — and `vmdesk lab reset STUDENT` after the student wrote 8 MiB. Each round in a new
//! `VMDESK_HOME`. Fails (exit status 1) when issue 16's bounds are not met: ≤ 2 s and ≤ 20 MiB
//! for the twenty, ≤ 100 ms for a reset.
//!
//! cargo bench -p vmdesk --bench lab [-- --rounds N]

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use vmm_core::storage::{BackingPolicy, Disk};

const VMDESK: &str = env!("CARGO_BIN_EXE_vmdesk");

fn used(dir: &Path) -> u64 {
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let m = e.metadata().unwrap();
        n += if m.is_dir() {
            used(&e.path())
        } else {
            m.blocks() * 512
        };
    }
    n
}

fn vmdesk(home: &Path, args: &[&str]) -> (Duration, serde_json::Value) {
    let t0 = Instant::now();
    let out = Command::new(VMDESK)
        .args(args)
        .arg("--json")
        .env("VMDESK_HOME", home)
        .output()
        .unwrap();
    let took = t0.elapsed();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "vmdesk {args:?}: {text}");
    (took, serde_json::from_str(text.trim()).unwrap())
}

fn write(disk: &Path, mib: usize) {
    let d = Disk::open_with(disk, None, false, &BackingPolicy::anywhere()).unwrap();
    let chunk = vec![0x5au8; 1 << 20];
    for i in 0..mib {
        d.write(&chunk, (i as u64) << 20).unwrap();
    }
    d.flush().unwrap();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rounds = args
        .iter()
        .position(|a| a == "--rounds")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(5);
    let (mut create, mut space, mut reset) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let root = tempfile::tempdir().unwrap();
        let home = root.path();
        let kernel = home.join("vmlinuz");
        // Never booted here: only its bzImage header is checked (as testing::fake_kernel).
        let mut img = vec![0u8; 0xa00];
        img[0x1fe] = 0x55;
        img[0x1ff] = 0xaa;
        img[0x202..0x206].copy_from_slice(b"HdrS");
        std::fs::write(&kernel, img).unwrap();
        let (_, v) = vmdesk(
            home,
            &[
                "create",
                "Template",
                "--kernel",
                kernel.to_str().unwrap(),
                "--disk-size",
                "2",
            ],
        );
        let disk = v["disks"][0]["path"].as_str().unwrap().to_string();
        write(Path::new(&disk), 16);
        let vms = home.join("data/vms");
        let before = used(&vms);
        let (t, v) = vmdesk(home, &["lab", "create", "template", "--count", "20"]);
        assert_eq!(v["students"].as_array().unwrap().len(), 20);
        create.push(t);
        space.push(used(&vms) - before);
        let student = vms.join("student-01/disks");
        let overlay = std::fs::read_dir(&student)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        write(&overlay, 8);
        let (t, _) = vmdesk(home, &["lab", "reset", "student-01"]);
        reset.push(t);
        assert!(
            used(&student) < 1 << 20,
            "the reset left the student's writes"
        );
    }
    let med = |v: &mut Vec<Duration>| {
        v.sort();
        (v[v.len() / 2], v[v.len() - 1])
    };
    let (cm, cx) = med(&mut create);
    let (rm, rx) = med(&mut reset);
    let sx = *space.iter().max().unwrap();
    println!("lab mode, {rounds} rounds (median / worst):");
    println!("  lab create --count 20 (2 GiB template): {cm:.2?} / {cx:.2?}");
    println!(
        "  disk space added by the 20:             {:.1} MiB (worst)",
        sx as f64 / 1048576.0
    );
    println!("  lab reset of one student:               {rm:.2?} / {rx:.2?}");
    let ok = cx <= Duration::from_secs(2) && sx <= 20 << 20 && rx <= Duration::from_millis(100);
    if !ok {
        eprintln!("lab bench: issue 16's bounds (≤ 2 s, ≤ 20 MiB, ≤ 100 ms) not met");
        std::process::exit(1);
    }
}
