//! Disks in snapshots: a snapshot freezes the image each writable disk was writing and the VM
//! goes on in a new qcow2 overlay; a revert puts a fresh overlay on the snapshot's image.
//!
//! - `the_device_goes_back_to_each_snapshots_data`: the virtio-blk device driven directly (a
//!   fake driver, as in tests/storage.rs) through snapshot, writes, revert with an active
//!   queue, revert to an older then a newer snapshot.
//! - `guest_sees_snapshot_time_data_after_revert_restart_and_restore`: the real `vmdesk-vmm`
//!   with the test guest's `blk` / `blk-read` modes, across boots (those modes power off right
//!   after their I/O, so each check is a boot of its own; snapshots and reverts are taken from a
//!   `tick` boot through the control API).
//!
//! Every qcow2 touched is checked with `qemu-img check`, chains with `qemu-img info
//! --backing-chain`; contents with `qemu-img convert` (qemu-utils; without it these tests skip,
//! except under CI).

mod common;

use common::{GUEST, MIB, VMM};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use virtio_queue::{Queue, QueueT};
use vm_memory::{Address, Bytes, GuestAddress, GuestMemoryMmap};
use vmdesk_test_support::kvm_or_skip;
use vmm_core::config::DiskConfig;
use vmm_core::devices::virtio::block::*;
use vmm_core::devices::virtio::{DeviceState, VirtioDevice, VirtioInterrupt};
use vmm_core::snapshot::disks::{self, SnapshotDisks};
use vmm_core::storage::overlay::CurrentDisks;
use vmm_core::storage::{Disk, ImageFormat};
use vmm_sys_util::eventfd::EventFd;

// ---------------------------------------------------------------------------------------------
// qemu-img

fn have_qemu() -> bool {
    let ok = Command::new("qemu-img")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        if std::env::var_os("CI").is_some() {
            panic!("qemu-img not found: tests/setup.sh must install qemu-utils");
        }
        eprintln!("qemu-img not found (install qemu-utils): skipping");
    }
    ok
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("running qemu-img");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?} failed: {text}");
    text
}

fn qemu_check(path: &Path) {
    let out = run(Command::new("qemu-img").args(["check", "-U"]).arg(path));
    assert!(out.contains("No errors were found"), "{out}");
}

/// Every qcow2 in the VM's `disks/` folder passes `qemu-img check`.
fn check_all(vm_dir: &Path) {
    for e in std::fs::read_dir(vm_dir.join("disks")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "qcow2") {
            qemu_check(&p);
        }
    }
}

/// The chain of `top` as `qemu-img info --backing-chain` sees it: file names, top first, with
/// the format of each.
fn qemu_chain(top: &Path) -> Vec<(String, String)> {
    let out = run(Command::new("qemu-img")
        .args(["info", "-U", "--output=json", "--backing-chain"])
        .arg(top));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let name = Path::new(l["filename"].as_str().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (name, l["format"].as_str().unwrap().to_string())
        })
        .collect()
}

/// The guest-visible contents of a chain, `len` bytes at `offset`, read by qemu-img.
fn qemu_read(top: &Path, offset: u64, len: usize) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("flat.raw");
    run(Command::new("qemu-img")
        .args(["convert", "-U", "-O", "raw"])
        .arg(top)
        .arg(&out));
    let all = std::fs::read(&out).unwrap();
    all[offset as usize..offset as usize + len].to_vec()
}

// ---------------------------------------------------------------------------------------------
// A fake virtio driver (one request at a time)

const MEM_SIZE: u64 = 16 * MIB;
const DESC: u64 = 0x1000;
const AVAIL: u64 = 0x2000;
const USED: u64 = 0x3000;
const RINGS_END: u64 = 0x4000;
const BUFS: u64 = 0x10_0000;
const QSIZE: u16 = 64;
const F_NEXT: u16 = 1;
const F_WRITE: u16 = 2;

struct Driver {
    mem: GuestMemoryMmap,
    dev: Block,
    irq_evt: EventFd,
    avail_idx: u16,
    used_seen: u16,
}

/// What a snapshot of the fake VM holds besides the disk: the device state and the rings
/// (guest memory, in a real VM).
struct FakeSnap {
    device: DeviceState,
    rings: Vec<u8>,
    avail_idx: u16,
    used_seen: u16,
}

impl Driver {
    fn new(disk: Disk) -> Driver {
        let mem =
            GuestMemoryMmap::<()>::from_ranges(&[(GuestAddress(0), MEM_SIZE as usize)]).unwrap();
        let mut dev = Block::new(disk, "snap").unwrap();
        let evt = EventFd::new(libc::EFD_NONBLOCK).unwrap();
        let irq_evt = evt.try_clone().unwrap();
        let mut q = Queue::new(QSIZE).unwrap();
        q.set_size(QSIZE);
        q.set_desc_table_address(Some(DESC as u32), Some(0));
        q.set_avail_ring_address(Some(AVAIL as u32), Some(0));
        q.set_used_ring_address(Some(USED as u32), Some(0));
        q.set_ready(true);
        let acked = dev.features();
        dev.activate(
            mem.clone(),
            vec![q],
            acked,
            Arc::new(VirtioInterrupt::new(evt)),
        )
        .unwrap();
        Driver {
            mem,
            dev,
            irq_evt,
            avail_idx: 0,
            used_seen: 0,
        }
    }

    fn request(&mut self, req: u32, sector: u64, out: &[u8], in_len: u32) -> (u8, Vec<u8>) {
        let h = BUFS;
        self.mem.write_obj(req, GuestAddress(h)).unwrap();
        self.mem.write_obj(0u32, GuestAddress(h + 4)).unwrap();
        self.mem.write_obj(sector, GuestAddress(h + 8)).unwrap();
        let data = BUFS + 0x1000;
        let status = BUFS + 0x1000 + 0x10_0000;
        self.mem.write_obj(0xffu8, GuestAddress(status)).unwrap();
        let mut chain = vec![(h, 16u32, false)];
        if !out.is_empty() {
            self.mem.write_slice(out, GuestAddress(data)).unwrap();
            chain.push((data, out.len() as u32, false));
        }
        if in_len > 0 {
            chain.push((data, in_len, true));
        }
        chain.push((status, 1, true));
        for (i, (addr, len, w)) in chain.iter().enumerate() {
            let mut flags = if *w { F_WRITE } else { 0 };
            if i + 1 < chain.len() {
                flags |= F_NEXT;
            }
            let at = GuestAddress(DESC + 16 * i as u64);
            self.mem.write_obj(*addr, at).unwrap();
            self.mem.write_obj(*len, at.unchecked_add(8)).unwrap();
            self.mem.write_obj(flags, at.unchecked_add(12)).unwrap();
            self.mem
                .write_obj(i as u16 + 1, at.unchecked_add(14))
                .unwrap();
        }
        let slot = u64::from(self.avail_idx % QSIZE);
        self.mem
            .write_obj(0u16, GuestAddress(AVAIL + 4 + 2 * slot))
            .unwrap();
        self.avail_idx = self.avail_idx.wrapping_add(1);
        self.mem
            .write_obj(self.avail_idx, GuestAddress(AVAIL + 2))
            .unwrap();
        self.dev.queue_notify(0);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let used: u16 = self.mem.read_obj(GuestAddress(USED + 2)).unwrap();
            if used != self.used_seen {
                self.used_seen = used;
                break;
            }
            assert!(Instant::now() < deadline, "request not completed");
            std::thread::sleep(Duration::from_millis(1));
        }
        let mut buf = vec![0u8; in_len as usize];
        self.mem.read_slice(&mut buf, GuestAddress(data)).unwrap();
        (self.mem.read_obj(GuestAddress(status)).unwrap(), buf)
    }

    fn write(&mut self, sector: u64, data: &[u8]) {
        let (s, _) = self.request(VIRTIO_BLK_T_OUT, sector, data, 0);
        assert_eq!(s, VIRTIO_BLK_S_OK, "write");
    }

    fn read(&mut self, sector: u64, len: u32) -> Vec<u8> {
        let (s, d) = self.request(VIRTIO_BLK_T_IN, sector, &[], len);
        assert_eq!(s, VIRTIO_BLK_S_OK, "read");
        d
    }

    /// Takes a snapshot as `vmm_core::snapshot::create` does with the device: paused, the
    /// disks recorded, the device state saved, then the disks detached onto new overlays.
    fn snapshot(&mut self, vm_dir: &Path, cfgs: &[DiskConfig], id: &str) -> FakeSnap {
        self.dev.pause();
        let rec = disks::record(vm_dir, cfgs, &[&mut self.dev]).unwrap();
        let snap_dir = vm_dir.join("snapshots").join(id);
        std::fs::create_dir_all(&snap_dir).unwrap();
        rec.write_unsynced(&snap_dir).unwrap();
        let device = self.dev.save_state().unwrap();
        let mut rings = vec![0u8; (RINGS_END - DESC) as usize];
        self.mem.read_slice(&mut rings, GuestAddress(DESC)).unwrap();
        disks::detach(vm_dir, cfgs, &mut [&mut self.dev], id).unwrap();
        self.dev.resume();
        FakeSnap {
            device,
            rings,
            avail_idx: self.avail_idx,
            used_seen: self.used_seen,
        }
    }

    /// Reverts as `vmm_core::snapshot::revert` does: checked, paused, new overlays prepared,
    /// switched, memory and device state restored, resumed; then unused overlays deleted.
    fn revert(&mut self, vm_dir: &Path, cfgs: &[DiskConfig], id: &str, s: &FakeSnap) {
        let snap_dir = vm_dir.join("snapshots").join(id);
        let rec = SnapshotDisks::load(&snap_dir).unwrap();
        let frozen = disks::check(vm_dir, cfgs, id, rec.as_ref()).unwrap();
        self.dev.pause();
        let tag = format!("{id}.r{}", self.avail_idx);
        let prepared = disks::prepare(vm_dir, cfgs, &[&mut self.dev], &frozen, &tag).unwrap();
        disks::switch(vm_dir, cfgs, &mut [&mut self.dev], prepared).unwrap();
        self.mem.write_slice(&s.rings, GuestAddress(DESC)).unwrap();
        self.avail_idx = s.avail_idx;
        self.used_seen = s.used_seen;
        let irq = Arc::new(VirtioInterrupt::new(self.irq_evt.try_clone().unwrap()));
        self.dev
            .restore_state(&s.device, self.mem.clone(), irq)
            .unwrap();
        self.dev.resume();
        disks::collect_garbage(vm_dir).unwrap();
    }
}

fn current_top(vm_dir: &Path, index: usize) -> PathBuf {
    let c = CurrentDisks::load(vm_dir).unwrap().expect("current.json");
    let d = c.disks.iter().find(|d| d.index == index).unwrap();
    vm_dir.join(&d.top)
}

fn names(vm_dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(vm_dir.join("disks"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".qcow2"))
        .collect();
    v.sort();
    v
}

#[test]
fn the_device_goes_back_to_each_snapshots_data() {
    let dir = tempfile::tempdir().unwrap();
    let vm = dir.path();
    let base = vm.join("base.img");
    std::fs::write(&base, vec![0xaau8; 4 * MIB as usize]).unwrap();
    let cfgs = vec![DiskConfig {
        path: PathBuf::from("base.img"),
        read_only: false,
        format: Some(ImageFormat::Raw),
        serial: None,
        bus: None,
        allow_backing: Vec::new(),
    }];
    let mut d = Driver::new(Disk::open(&base, Some(ImageFormat::Raw), false).unwrap());
    d.write(8, &[1; 4096]);

    // Snapshot A: the raw image is frozen with the write in it; the VM goes on in an overlay.
    let a = d.snapshot(vm, &cfgs, "a");
    let top_a = current_top(vm, 0);
    assert_eq!(top_a, vm.join("disks/base.a.qcow2"));
    let base_bytes = std::fs::read(&base).unwrap();
    d.write(8, &[2; 4096]);
    d.write(100, &[2; 512]);
    assert_eq!(d.read(8, 4096), vec![2; 4096]);
    assert_eq!(
        std::fs::read(&base).unwrap(),
        base_bytes,
        "a frozen image is never written"
    );

    // Snapshot B on top; then more writes.
    let b = d.snapshot(vm, &cfgs, "b");
    assert_eq!(current_top(vm, 0), vm.join("disks/base.b.qcow2"));
    assert_eq!(
        std::fs::metadata(&top_a).unwrap().permissions().mode() & 0o222,
        0,
        "frozen overlays are read-only files"
    );
    d.write(8, &[3; 4096]);
    assert_eq!(d.read(8, 4096), vec![3; 4096]);

    // Revert to the older A with the queue active: A's data, and B's chain still kept.
    d.revert(vm, &cfgs, "a", &a);
    assert_eq!(d.read(8, 4096), vec![1; 4096]);
    assert_eq!(d.read(100, 512), vec![0xaa; 512]);
    let after_a = current_top(vm, 0);
    assert!(after_a
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("base.a.r"));
    assert!(
        !vm.join("disks/base.b.qcow2").exists(),
        "the overlay in use before the revert is deleted when nothing needs it"
    );
    assert!(top_a.exists(), "B's frozen image stays");
    d.write(8, &[4; 4096]);

    // Then to the newer B.
    d.revert(vm, &cfgs, "b", &b);
    assert_eq!(d.read(8, 4096), vec![2; 4096]);
    assert_eq!(d.read(100, 512), vec![2; 512]);
    assert!(!after_a.exists());
    // And back to A once more: A's state was reusable.
    d.revert(vm, &cfgs, "a", &a);
    assert_eq!(d.read(8, 4096), vec![1; 4096]);
    assert_eq!(names(vm).len(), 2, "{:?}", names(vm));

    drop(d);
    if have_qemu() {
        check_all(vm);
        let top = current_top(vm, 0);
        let chain = qemu_chain(&top);
        assert_eq!(chain.len(), 2, "{chain:?}");
        assert_eq!(chain[1], ("base.img".to_string(), "raw".to_string()));
        assert_eq!(qemu_read(&top, 8 * 512, 4096), vec![1; 4096]);
        assert_eq!(
            qemu_chain(&top_a),
            vec![
                ("base.a.qcow2".to_string(), "qcow2".to_string()),
                ("base.img".to_string(), "raw".to_string())
            ]
        );
        assert_eq!(qemu_read(&top_a, 8 * 512, 4096), vec![2; 4096]);
    }
}

#[test]
fn a_revert_that_cannot_open_its_image_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let vm = dir.path();
    let base = vm.join("d.img");
    std::fs::write(&base, vec![0u8; MIB as usize]).unwrap();
    let cfgs = vec![DiskConfig {
        path: base.clone(),
        read_only: false,
        format: Some(ImageFormat::Raw),
        serial: None,
        bus: None,
        allow_backing: Vec::new(),
    }];
    let mut d = Driver::new(Disk::open(&base, Some(ImageFormat::Raw), false).unwrap());
    d.snapshot(vm, &cfgs, "s");
    d.write(0, &[9; 512]);
    let top = current_top(vm, 0);
    // The snapshot's image is gone: refused before anything changes, naming the file.
    let moved = vm.join("elsewhere.img");
    std::fs::rename(&base, &moved).unwrap();
    let rec = SnapshotDisks::load(&vm.join("snapshots/s")).unwrap();
    let e = disks::check(vm, &cfgs, "s", rec.as_ref())
        .unwrap_err()
        .to_string();
    assert!(e.contains("d.img") && e.contains("snapshot s"), "{e}");
    std::fs::rename(&moved, &base).unwrap();
    assert_eq!(current_top(vm, 0), top);
    assert_eq!(d.read(0, 512), vec![9; 512]);
    // A config naming another image is refused too.
    let other = vec![DiskConfig {
        path: moved.clone(),
        ..cfgs[0].clone()
    }];
    std::fs::write(&moved, vec![0u8; MIB as usize]).unwrap();
    let e = disks::check(vm, &other, "s", rec.as_ref())
        .unwrap_err()
        .to_string();
    assert!(e.contains("config now names"), "{e}");
    // So is an old snapshot without disks for a writable disk.
    let e = disks::check(vm, &cfgs, "old", None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("writable"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// vmdesk-vmm with the test guest

const TIMEOUT: Duration = Duration::from_secs(120);
/// The test guest's disk modes use 64 sectors from here.
const BLK_SECTOR: u64 = 2048;
const SEED_A: u64 = 0x1111_2222_3333_4444;
const SEED_B: u64 = 0x5555_6666_7777_8888;
const SEED_C: u64 = 0x9999_aaaa_bbbb_cccc;

/// The 32 KiB the test guest writes for `seed` (tests/guest/README.md, "Disk modes").
fn pattern(seed: u64) -> Vec<u8> {
    (0..4096u64)
        .flat_map(|j| (seed ^ (BLK_SECTOR * 64 + j)).to_le_bytes())
        .collect()
}

fn crc_of(seed: u64) -> String {
    format!("0x{:08x}", crc32fast::hash(&pattern(seed)))
}

struct TestVm {
    dir: PathBuf,
    child: Option<Child>,
}

impl TestVm {
    fn config(&self, cmdline: &str) {
        std::fs::write(
            self.dir.join("vm.toml"),
            format!(
                "id = \"disksnap\"\nname = \"Disk snapshots\"\nvcpus = 1\nmemory_mib = 64\n\n\
                 [boot]\nkind = \"linux\"\nkernel = \"{GUEST}\"\n\
                 cmdline = \"console=ttyS0 {cmdline}\"\n\n\
                 [[disks]]\npath = \"disk.img\"\nformat = \"raw\"\n"
            ),
        )
        .unwrap();
    }

    fn start(&mut self, cmdline: &str, restore: Option<&str>) {
        self.config(cmdline);
        let _ = std::fs::remove_file(self.dir.join("serial.log"));
        let mut c = Command::new(VMM);
        c.arg("--config")
            .arg(self.dir.join("vm.toml"))
            .arg("--runtime-dir")
            .arg(self.dir.join("run"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(id) = restore {
            c.arg("--restore").arg(id);
        }
        self.child = Some(c.spawn().unwrap());
    }

    fn serial(&self) -> String {
        std::fs::read_to_string(self.dir.join("serial.log")).unwrap_or_default()
    }

    fn stderr(&mut self) -> String {
        use std::io::Read;
        let mut s = String::new();
        if let Some(e) = self.child.as_mut().and_then(|c| c.stderr.as_mut()) {
            let _ = e.read_to_string(&mut s);
        }
        s
    }

    fn wait_serial(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let log = self.serial();
            if log.contains(needle) {
                return log;
            }
            if let Ok(Some(st)) = self.child.as_mut().unwrap().try_wait() {
                panic!(
                    "vmdesk-vmm exited ({st}) before {needle:?}:\n{log}\nstderr:\n{}",
                    self.stderr()
                );
            }
            assert!(Instant::now() < deadline, "no {needle:?} in:\n{log}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Boots in a disk mode and waits for the guest to power off; returns the serial log.
    fn boot_to_poweroff(&mut self, cmdline: &str) -> String {
        self.start(cmdline, None);
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(st) = self.child.as_mut().unwrap().try_wait().unwrap() {
                let log = self.serial();
                assert_eq!(st.code(), Some(0), "{log}\nstderr:\n{}", self.stderr());
                assert!(!log.contains("FAIL"), "{log}");
                return log;
            }
            assert!(Instant::now() < deadline, "no poweroff:\n{}", self.serial());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `blk-read` with `seed`: the CRC the guest read.
    fn guest_reads(&mut self, seed: u64) -> String {
        let log = self.boot_to_poweroff(&format!("vmdesk.test=blk-read vmdesk.blk_seed={seed:x}"));
        line_field(&log, "BLK read ok", "crc")
    }

    /// `blk` with `seed`: the guest writes its pattern, flushes and reads it back.
    fn guest_writes(&mut self, seed: u64) {
        let log = self.boot_to_poweroff(&format!("vmdesk.test=blk vmdesk.blk_seed={seed:x}"));
        assert_eq!(line_field(&log, "BLK write ok", "crc"), crc_of(seed));
        assert!(log.contains("BLK flush ok"), "{log}");
        assert_eq!(line_field(&log, "BLK read ok", "crc"), crc_of(seed));
    }

    fn api(&self) -> Api {
        Api::connect(&self.dir.join("run/control.sock"))
    }

    /// Boots (or restores) in `tick` mode, calls `f` with the API once it ticks, then kills
    /// the VM through the API.
    fn ticking(&mut self, restore: Option<&str>, f: impl FnOnce(&mut Api, &mut TestVm)) {
        self.start("vmdesk.test=tick", restore);
        let log = self.wait_serial("TICK ");
        if restore.is_some() {
            assert!(
                !log.contains("VMDESK-GUEST"),
                "a restore must not boot:\n{log}"
            );
        }
        let mut api = self.api();
        f(&mut api, self);
        api.send(serde_json::json!({"cmd": "kill"}));
        let st = self.child.as_mut().unwrap().wait().unwrap();
        assert_eq!(st.code(), Some(5));
    }

    fn top(&self) -> PathBuf {
        current_top(&self.dir, 0)
    }
}

impl Drop for TestVm {
    fn drop(&mut self) {
        if let Some(c) = self.child.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn line_field(log: &str, prefix: &str, key: &str) -> String {
    let line = log
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} line in:\n{log}"));
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key}= in {line:?}"))
        .to_string()
}

struct Api {
    w: UnixStream,
    r: BufReader<UnixStream>,
    next: u64,
}

impl Api {
    fn connect(path: &Path) -> Api {
        let deadline = Instant::now() + Duration::from_secs(20);
        let s = loop {
            match UnixStream::connect(path) {
                Ok(s) => break s,
                Err(e) if Instant::now() > deadline => panic!("{}: {e}", path.display()),
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        };
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        let mut r = BufReader::new(s.try_clone().unwrap());
        let mut hello = String::new();
        r.read_line(&mut hello).unwrap();
        Api { w: s, r, next: 1 }
    }

    fn send(&mut self, mut req: serde_json::Value) -> u64 {
        let id = self.next;
        self.next += 1;
        req["id"] = id.into();
        let _ = self.w.write_all(format!("{req}\n").as_bytes());
        id
    }

    fn call(&mut self, req: serde_json::Value) -> serde_json::Value {
        let id = self.send(req.clone());
        loop {
            let mut line = String::new();
            assert!(self.r.read_line(&mut line).unwrap() > 0, "API closed");
            let v: serde_json::Value = serde_json::from_str(&line).unwrap();
            if v["id"] == id {
                assert_eq!(v["ok"], true, "{req} -> {v}");
                return v["result"].clone();
            }
        }
    }

    fn snapshot(&mut self, name: &str) -> String {
        let r = self.call(serde_json::json!({"cmd": "snapshot-create", "name": name}));
        eprintln!(
            "snapshot {name}: paused {} ms, total {} ms",
            r["paused_ms"], r["total_ms"]
        );
        r["id"].as_str().unwrap().to_string()
    }

    fn revert(&mut self, id: &str) {
        let r = self.call(serde_json::json!({"cmd": "snapshot-revert", "snapshot": id}));
        eprintln!(
            "revert: paused {} ms, total {} ms",
            r["paused_ms"], r["total_ms"]
        );
    }
}

fn file_name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn guest_sees_snapshot_time_data_after_revert_restart_and_restore() {
    if !kvm_or_skip("guest_sees_snapshot_time_data_after_revert_restart_and_restore") {
        return;
    }
    let qemu = have_qemu();
    let dir = tempfile::tempdir().unwrap();
    let disk = dir.path().join("disk.img");
    let mut img = vec![0u8; 8 * MIB as usize];
    img[(BLK_SECTOR * 512) as usize..][..32768].copy_from_slice(&pattern(SEED_A));
    std::fs::write(&disk, &img).unwrap();
    let mut vm = TestVm {
        dir: dir.path().to_path_buf(),
        child: None,
    };
    // Before any snapshot the guest reads the user's image as it is.
    assert_eq!(vm.guest_reads(SEED_A), crc_of(SEED_A));
    assert!(!dir.path().join("disks").exists());

    // Snapshot A of a running VM: disk.img is frozen, the VM goes on in an overlay.
    let mut sa = String::new();
    vm.ticking(None, |api, vm| {
        sa = api.snapshot("A");
        assert_eq!(file_name(&vm.top()), format!("disk.{sa}.qcow2"));
    });
    let chain_a = vm.top();
    if qemu {
        assert_eq!(
            qemu_chain(&chain_a),
            vec![
                (file_name(&chain_a), "qcow2".into()),
                ("disk.img".into(), "raw".into())
            ]
        );
        check_all(&vm.dir);
    }

    // A restarted VM goes on in that overlay: the guest's writes never reach disk.img.
    vm.guest_writes(SEED_B);
    assert_eq!(std::fs::read(&disk).unwrap(), img, "disk.img was written");
    assert_eq!(vm.top(), chain_a);
    if qemu {
        assert_eq!(
            qemu_read(&chain_a, BLK_SECTOR * 512, 32768),
            pattern(SEED_B)
        );
        check_all(&vm.dir);
    }

    // Snapshot B (freezing A's overlay), then a live revert to the older A.
    let mut sb = String::new();
    vm.ticking(None, |api, vm| {
        sb = api.snapshot("B");
        let b_top = vm.top();
        assert_eq!(file_name(&b_top), format!("disk.{sb}.qcow2"));
        api.revert(&sa);
        assert!(
            file_name(&vm.top()).starts_with(&format!("disk.{sa}.r")),
            "{}",
            vm.top().display()
        );
        assert!(
            !b_top.exists(),
            "the overlay in use before the revert is deleted"
        );
        assert!(chain_a.exists(), "B's frozen image stays");
        // The guest runs on from A's instant.
        let before = vm.serial().len();
        let deadline = Instant::now() + TIMEOUT;
        while !vm.serial()[before..].contains("TICK ") {
            assert!(Instant::now() < deadline, "no tick after the revert");
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    if qemu {
        let top = vm.top();
        assert_eq!(
            qemu_chain(&top),
            vec![
                (file_name(&top), "qcow2".into()),
                ("disk.img".into(), "raw".into())
            ]
        );
        check_all(&vm.dir);
    }
    // The guest sees A's data again, and may write on.
    assert_eq!(vm.guest_reads(SEED_A), crc_of(SEED_A));
    vm.guest_writes(SEED_C);

    // Revert to the newer B: B's data, on a fresh overlay on B's frozen image.
    let after_a = vm.top();
    vm.ticking(None, |api, _| api.revert(&sb));
    assert!(!after_a.exists());
    let top = vm.top();
    assert!(file_name(&top).starts_with(&format!("disk.{sb}.r")));
    if qemu {
        assert_eq!(
            qemu_chain(&top),
            vec![
                (file_name(&top), "qcow2".into()),
                (file_name(&chain_a), "qcow2".into()),
                ("disk.img".into(), "raw".into())
            ]
        );
        check_all(&vm.dir);
    }
    assert_eq!(vm.guest_reads(SEED_B), crc_of(SEED_B));

    // Restoring A in a new process (no boot) takes the disk back to A's data too.
    vm.ticking(Some(&sa), |_, _| {});
    assert!(file_name(&vm.top()).starts_with(&format!("disk.{sa}.r")));
    assert_eq!(vm.guest_reads(SEED_A), crc_of(SEED_A));

    // Deleting A keeps B whole: its frozen overlay stands on disk.img, which is the user's.
    vmm_core::snapshot::delete(&vm.dir, &sa).unwrap();
    assert!(chain_a.exists() && disk.exists());
    vm.ticking(None, |api, _| api.revert(&sb));
    assert_eq!(vm.guest_reads(SEED_B), crc_of(SEED_B));
    // Deleting B too: the running chain still stands on B's image, so it stays; only
    // overlays nothing uses are gone.
    vmm_core::snapshot::delete(&vm.dir, &sb).unwrap();
    assert!(chain_a.exists());
    let mut expect = vec![file_name(&chain_a), file_name(&vm.top())];
    expect.sort();
    assert_eq!(names(&vm.dir), expect);
    assert_eq!(vm.guest_reads(SEED_B), crc_of(SEED_B));
    assert_eq!(std::fs::read(&disk).unwrap(), img, "disk.img was written");
    if qemu {
        check_all(&vm.dir);
    }
}
