//! Firmware boot benchmark: vmdesk-vmm's BIOS machine against QEMU's `-M pc`, both on the same
//! SeaBIOS file (Debian's bios-256k.bin), both booting the same ISO — `grub-mkrescue` around
//! the test guest, made here — from a virtio disk, interleaved, several rounds.
//!
//! Per round and VMM, from process start: SeaBIOS's banner on COM1, GRUB's menu ("GNU GRUB"),
//! the guest's checks done, and the process's exit (the guest powers off through ACPI). Both
//! get the same devices: COM1 as SeaBIOS's console (fw_cfg `etc/sercon-port`), no display, one
//! virtio-blk disk, 1 vCPU, 128 MiB.
//!
//! Run: `cargo bench -p vmm-core --bench firmware [-- --rounds N] [--qemu PATH]`. Not a test:
//! it asserts nothing about speed, it only fails if a boot goes wrong. BENCHMARKS.md has the
//! numbers. On a software KVM firmware and GRUB run emulated: a round takes minutes.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use vmdesk_test_support::{media, qemu};

const VMM: &str = env!("CARGO_BIN_EXE_vmdesk-vmm");
const GUEST: &str = env!("VMDESK_TEST_GUEST");
const SEABIOS: &str = "/usr/share/seabios/bios-256k.bin";
const MEMORY_MIB: u64 = 128;
const TIMEOUT: Duration = Duration::from_secs(400);
/// What each VMM's serial output shows, in order, and what the column is called.
const MARKS: [(&str, &str); 3] = [
    ("banner", "SeaBIOS (version"),
    ("GRUB menu", "GNU GRUB"),
    ("guest checks", "CHECKS DONE"),
];

#[derive(Clone, Copy, PartialEq)]
enum Which {
    Vmdesk,
    Qemu,
}

impl Which {
    fn name(self) -> &'static str {
        match self {
            Which::Vmdesk => "vmdesk-vmm",
            Which::Qemu => "QEMU -M pc",
        }
    }
}

fn usage() -> ! {
    eprintln!(
        "usage: cargo bench -p vmm-core --bench firmware [-- --rounds N] [--qemu PATH]\n\
         --rounds N   rounds, each boots the ISO once on each VMM (default 2)\n\
         --qemu PATH  QEMU binary (default: qemu-system-x86_64 from PATH)"
    );
    std::process::exit(2);
}

/// KVM's own counters for one VM (debugfs `kvm/<pid>-<fd>/`, root only), by name.
type KvmStats = std::collections::BTreeMap<String, u64>;

/// The counters KVM keeps for the VM of process `pid`, if debugfs is mounted and readable: the
/// same source for both VMMs, so their exits compare without trusting either's own count.
fn kvm_stats(pid: u32) -> Option<KvmStats> {
    let dir = std::fs::read_dir("/sys/kernel/debug/kvm")
        .ok()?
        .filter_map(|e| e.ok())
        .find(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(&format!("{pid}-"))
        })?
        .path();
    let mut out = KvmStats::new();
    for e in std::fs::read_dir(dir).ok()?.filter_map(|e| e.ok()) {
        // Histograms hold several numbers: only single counters are kept.
        if let Some(v) = std::fs::read_to_string(e.path())
            .ok()
            .and_then(|t| t.trim().parse().ok())
        {
            out.insert(e.file_name().to_string_lossy().into_owned(), v);
        }
    }
    // A locked-down kernel lists the files but refuses to read them.
    (!out.is_empty()).then_some(out)
}

/// The counters that explain a firmware boot's cost, in print order.
const STATS: [&str; 9] = [
    "exits",
    "io_exits",
    "mmio_exits",
    "halt_exits",
    "irq_exits",
    "irq_injections",
    "irq_window_exits",
    "insn_emulation",
    "pf_fixed",
];

/// One boot: when each mark appeared and when the process ended, from its start.
struct Boot {
    /// KVM's counters when GRUB's menu appeared.
    at_grub: Option<KvmStats>,
    marks: Vec<Duration>,
    /// `None` when the process did not end by itself.
    exit: Option<Duration>,
}

fn command(which: Which, dir: &Path, iso: &Path, qemu_bin: &Path) -> Command {
    match which {
        Which::Vmdesk => {
            let vm = dir.join("vmdesk");
            std::fs::create_dir_all(&vm).unwrap();
            // No serial log file (QEMU writes COM1 to stdout only) and no virtio-rng (QEMU gets
            // none): the same machine on both sides.
            let toml = format!(
                "id = \"fwbench\"\nname = \"Firmware bench\"\nvcpus = 1\nmemory_mib = {MEMORY_MIB}\n\
                 virtio_rng = false\n\n[serial]\nlog = false\n\n[boot]\nkind = \"bios\"\n\
                 firmware = \"{SEABIOS}\"\n\n[[disks]]\npath = \"{}\"\nformat = \"raw\"\nread_only = true\n",
                iso.display()
            );
            std::fs::write(vm.join("vm.toml"), toml).unwrap();
            let mut c = Command::new(VMM);
            c.arg("--config")
                .arg(vm.join("vm.toml"))
                .arg("--runtime-dir")
                .arg(vm.join("run"))
                .arg("--console");
            c
        }
        Which::Qemu => {
            let port = dir.join("sercon-port");
            std::fs::write(&port, 0x3f8u16.to_le_bytes()).unwrap();
            let mut c = Command::new(qemu_bin);
            c.args(qemu::pc_args(
                SEABIOS,
                MEMORY_MIB,
                "stdio",
                port.to_str().unwrap(),
            ))
            .arg("-drive")
            .arg(format!(
                "file={},if=virtio,format=raw,readonly=on",
                iso.display()
            ));
            c
        }
    }
}

fn boot(mut cmd: Command) -> Result<Boot, String> {
    let t0 = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawning: {e}"))?;
    let mut out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = out.read(&mut buf) {
            if n == 0 || tx.send((Instant::now(), buf[..n].to_vec())).is_err() {
                break;
            }
        }
    });
    let pid = child.id();
    let mut text = String::new();
    let mut marks = Vec::new();
    let mut at_grub = None;
    let deadline = t0 + TIMEOUT;
    while marks.len() < MARKS.len() {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok((at, bytes)) => {
                text.push_str(&String::from_utf8_lossy(&bytes));
                // GRUB's screen comes through SeaBIOS's serial console with cursor moves
                // between its words.
                let plain = vmdesk_test_support::plain_text(&text);
                while marks.len() < MARKS.len() && plain.contains(MARKS[marks.len()].1) {
                    marks.push(at - t0);
                    if marks.len() == 2 {
                        at_grub = kvm_stats(pid);
                    }
                }
            }
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "no {:?} within {TIMEOUT:?}; serial:\n{text}\nstderr:\n{}",
                    MARKS[marks.len()].1,
                    vmdesk_test_support::stderr_of(&mut child)
                ));
            }
        }
    }
    // The guest powers off after its checks; a VMM where that does not end the process gets
    // no exit time (and the tail of its serial output says why), the marks still count.
    let after_marks = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(st) = child.try_wait().map_err(|e| e.to_string())? {
            if !st.success() {
                return Err(format!(
                    "exited with {st}: {}",
                    vmdesk_test_support::stderr_of(&mut child)
                ));
            }
            return Ok(Boot {
                at_grub,
                marks,
                exit: Some(t0.elapsed()),
            });
        }
        if Instant::now() > after_marks {
            let _ = child.kill();
            let _ = child.wait();
            let tail: String = vmdesk_test_support::plain_text(&text)
                .lines()
                .rev()
                .take(3)
                .collect::<Vec<_>>()
                .join(" / ");
            eprintln!("  (no power-off within 30 s of the guest's checks; last lines: {tail})");
            return Ok(Boot {
                at_grub,
                marks,
                exit: None,
            });
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let mut rounds = 2usize;
    let mut qemu_bin = PathBuf::from("qemu-system-x86_64");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--bench" => {}
            "--rounds" => match args.next().and_then(|v| v.parse().ok()) {
                Some(n) if n > 0 => rounds = n,
                _ => usage(),
            },
            "--qemu" => qemu_bin = PathBuf::from(args.next().unwrap_or_else(|| usage())),
            _ => usage(),
        }
    }
    if let Some((tool, package)) = media::missing_grub_tool() {
        eprintln!("firmware bench: {tool} missing (apt-get install {package})");
        std::process::exit(1);
    }
    if !Path::new(SEABIOS).is_file() {
        eprintln!("firmware bench: {SEABIOS} missing (apt-get install seabios)");
        std::process::exit(1);
    }
    let dir = tempfile::tempdir().unwrap();
    let iso = media::grub_iso(
        dir.path(),
        Path::new(GUEST),
        1,
        &[("vmdesk test guest", "vmdesk.test=poweroff")],
    )
    .unwrap_or_else(|e| {
        eprintln!("firmware bench: {e}");
        std::process::exit(1)
    });
    let mut results: Vec<(Which, Vec<Boot>)> =
        vec![(Which::Vmdesk, Vec::new()), (Which::Qemu, Vec::new())];
    for round in 0..rounds {
        for (which, boots) in results.iter_mut() {
            match boot(command(*which, dir.path(), &iso, &qemu_bin)) {
                Ok(b) => {
                    eprintln!(
                        "round {} {}: {}, exit {}",
                        round + 1,
                        which.name(),
                        MARKS
                            .iter()
                            .zip(&b.marks)
                            .map(|((n, _), t)| format!("{n} {:.2} s", t.as_secs_f64()))
                            .collect::<Vec<_>>()
                            .join(", "),
                        b.exit
                            .map_or("-".to_string(), |e| format!("{:.2} s", e.as_secs_f64()))
                    );
                    boots.push(b);
                }
                Err(e) => {
                    eprintln!("firmware bench: {} failed: {e}", which.name());
                    std::process::exit(1);
                }
            }
        }
    }
    println!("\nFirmware boot (SeaBIOS, GRUB ISO on virtio-blk), median of {rounds} rounds:");
    println!(
        "{:<16}{:>14}{:>14}{:>16}{:>12}",
        "", "banner", "GRUB menu", "guest checks", "exit"
    );
    // A median over the boots that have the value (the exit may be missing).
    let med = |boots: &[Boot], i: Option<usize>| -> Option<Duration> {
        let v: Vec<Duration> = boots
            .iter()
            .filter_map(|b| i.map_or(b.exit, |i| Some(b.marks[i])))
            .collect();
        (!v.is_empty()).then(|| median(v))
    };
    let cols = [Some(0), Some(1), Some(2), None];
    for (which, boots) in &results {
        print!("{:<16}", which.name());
        for c in cols {
            match med(boots, c) {
                Some(d) => print!("{:>13.2}s", d.as_secs_f64()),
                None => print!("{:>14}", "-"),
            }
        }
        println!();
    }
    print!("{:<16}", "ratio vmdesk/QEMU");
    for c in cols {
        match (med(&results[0].1, c), med(&results[1].1, c)) {
            (Some(a), Some(b)) => print!("{:>14.2}", a.as_secs_f64() / b.as_secs_f64()),
            _ => print!("{:>14}", "-"),
        }
    }
    println!();
    print_exits(&results);
}

/// KVM's counters at GRUB's menu, last round, both VMMs side by side: where the time goes.
fn print_exits(results: &[(Which, Vec<Boot>)]) {
    let last = |i: usize| results[i].1.last().and_then(|b| b.at_grub.as_ref());
    let (Some(a), Some(b)) = (last(0), last(1)) else {
        println!(
            "\nKVM exit counts: not available (they come from debugfs: root, debugfs mounted, \
             and a kernel that is not locked down)"
        );
        return;
    };
    println!("\nKVM's counters at GRUB's menu (debugfs, last round):");
    println!(
        "{:<18}{:>14}{:>14}{:>10}",
        "", "vmdesk-vmm", "QEMU -M pc", "ratio"
    );
    for k in STATS {
        let (x, y) = (
            a.get(k).copied().unwrap_or(0),
            b.get(k).copied().unwrap_or(0),
        );
        let ratio = if y > 0 {
            format!("{:.2}", x as f64 / y as f64)
        } else {
            "-".into()
        };
        println!("{k:<18}{x:>14}{y:>14}{ratio:>10}");
    }
}
