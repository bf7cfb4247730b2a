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

/// One boot: when each mark appeared and when the process ended, from its start.
struct Boot {
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
    let mut text = String::new();
    let mut marks = Vec::new();
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
            return Ok(Boot { marks, exit: None });
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
}
