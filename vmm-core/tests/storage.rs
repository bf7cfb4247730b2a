// Over 800 lines: one test crate for all of storage, in sections sharing the qemu-img/qemu-io and virtqueue helpers; cargo builds each tests/*.rs as its own crate.
//! Disk images and the virtio-blk device, cross-checked against qemu-img / qemu-io.
//!
//! The device is driven directly: a fake guest memory, a split virtqueue set up as a driver
//! would, requests written into it, and the device's own I/O thread serving them.
//!
//! qemu-img and qemu-io (Debian: qemu-utils) are needed for the cross-checks; without them these
//! tests are skipped, except under CI (`CI` set), where that is a failure.

mod common;

use common::{GUEST, MIB, VMM};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use virtio_queue::{Queue, QueueT};
use vm_memory::{Address, Bytes, GuestAddress, GuestMemoryMmap};
use vmdesk_test_support::{kvm_or_skip, stderr_of};
use vmm_core::config::{DiskConfig, HostLimits, VmConfig};
use vmm_core::devices::virtio::block::*;
use vmm_core::devices::virtio::{VirtioDevice, VirtioInterrupt, VIRTIO_F_VERSION_1};
use vmm_core::storage::{
    self, create_linked_clone, create_qcow2, image_info, Disk, ErrorKind, ImageFormat,
};
use vmm_sys_util::eventfd::EventFd;

// ---------------------------------------------------------------------------------------------
// qemu-img / qemu-io

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
        eprintln!("qemu-img not found (install qemu-utils): skipping the cross-check");
    }
    ok
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("running a qemu tool");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?} failed: {text}");
    text
}

fn qemu_info(path: &Path, chain: bool) -> serde_json::Value {
    let mut c = Command::new("qemu-img");
    c.args(["info", "-U", "--output=json"]);
    if chain {
        c.arg("--backing-chain");
    }
    serde_json::from_str(&run(c.arg(path))).expect("qemu-img info JSON")
}

fn qemu_check(path: &Path) {
    let out = run(Command::new("qemu-img").args(["check", "-U"]).arg(path));
    assert!(out.contains("No errors were found"), "{out}");
}

/// Runs qemu-io commands (read-only, force-share); panics unless all succeed.
fn qemu_io(path: &Path, fmt: &str, cmds: &[&str]) -> String {
    let mut c = Command::new("qemu-io");
    c.args(["-r", "-U", "-f", fmt]);
    for cmd in cmds {
        c.args(["-c", cmd]);
    }
    let out = run(c.arg(path));
    assert!(
        !out.contains("Pattern verification failed") && !out.contains("failed:"),
        "qemu-io {cmds:?}: {out}"
    );
    out
}

fn qemu_io_write(path: &Path, fmt: &str, cmd: &str) {
    run(Command::new("qemu-io")
        .args(["-f", fmt, "-c", cmd])
        .arg(path));
}

// ---------------------------------------------------------------------------------------------
// A fake virtio driver

const MEM_SIZE: u64 = 64 * MIB;
const DESC: u64 = 0x1000;
const AVAIL: u64 = 0x2000;
const USED: u64 = 0x3000;
const BUFS: u64 = 0x10_0000;
const QSIZE: u16 = 256;

const F_NEXT: u16 = 1;
const F_WRITE: u16 = 2;

struct Driver {
    mem: GuestMemoryMmap,
    dev: Block,
    stats: Arc<BlockStats>,
    irq_evt: EventFd,
    avail_idx: u16,
    used_seen: u16,
    next_buf: u64,
}

/// One descriptor: guest address, length, device-writable.
#[derive(Clone, Copy)]
struct D(u64, u32, bool);

impl Driver {
    fn new(disk: Disk, serial: &str, features: u64) -> Driver {
        let mem =
            GuestMemoryMmap::<()>::from_ranges(&[(GuestAddress(0), MEM_SIZE as usize)]).unwrap();
        let dev = Block::new(disk, serial).unwrap();
        Self::with_device(mem, dev, features)
    }

    fn with_device(mem: GuestMemoryMmap, mut dev: Block, features: u64) -> Driver {
        let evt = EventFd::new(libc::EFD_NONBLOCK).unwrap();
        let irq_evt = evt.try_clone().unwrap();
        let irq = Arc::new(VirtioInterrupt::new(evt));
        let mut q = Queue::new(QSIZE).unwrap();
        q.set_size(QSIZE);
        q.set_desc_table_address(Some(DESC as u32), Some(0));
        q.set_avail_ring_address(Some(AVAIL as u32), Some(0));
        q.set_used_ring_address(Some(USED as u32), Some(0));
        q.set_ready(true);
        assert!(q.is_valid(&mem));
        let acked = features & dev.features();
        dev.activate(mem.clone(), vec![q], acked, irq).unwrap();
        let stats = dev.stats();
        Driver {
            mem,
            dev,
            stats,
            irq_evt,
            avail_idx: 0,
            used_seen: 0,
            next_buf: BUFS,
        }
    }

    /// Sets the rings up afresh and activates the device again (as after a reset).
    fn reactivate(&mut self) {
        self.mem
            .write_slice(&[0u8; 0x3000], GuestAddress(DESC))
            .unwrap();
        let mut q = Queue::new(QSIZE).unwrap();
        q.set_size(QSIZE);
        q.set_desc_table_address(Some(DESC as u32), Some(0));
        q.set_avail_ring_address(Some(AVAIL as u32), Some(0));
        q.set_used_ring_address(Some(USED as u32), Some(0));
        q.set_ready(true);
        let irq = Arc::new(VirtioInterrupt::new(self.irq_evt.try_clone().unwrap()));
        let acked = self.dev.features();
        self.dev
            .activate(self.mem.clone(), vec![q], acked, irq)
            .unwrap();
        self.avail_idx = 0;
        self.used_seen = 0;
        self.next_buf = BUFS;
    }

    /// A fresh buffer in guest memory.
    fn buf(&mut self, len: u64) -> u64 {
        let a = self.next_buf;
        self.next_buf = (a + len + 0xfff) & !0xfff;
        assert!(self.next_buf < MEM_SIZE, "fake guest memory exhausted");
        a
    }

    /// Puts a chain on the ring, notifies, waits for its used entry; returns the used length.
    fn submit(&mut self, chain: &[D]) -> u32 {
        for (i, d) in chain.iter().enumerate() {
            let mut flags = if d.2 { F_WRITE } else { 0 };
            if i + 1 < chain.len() {
                flags |= F_NEXT;
            }
            let at = GuestAddress(DESC + 16 * i as u64);
            self.mem.write_obj(d.0, at).unwrap();
            self.mem.write_obj(d.1, at.unchecked_add(8)).unwrap();
            self.mem.write_obj(flags, at.unchecked_add(12)).unwrap();
            self.mem
                .write_obj((i as u16 + 1) % QSIZE, at.unchecked_add(14))
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
                let slot = u64::from(self.used_seen % QSIZE);
                self.used_seen = self.used_seen.wrapping_add(1);
                let id: u32 = self
                    .mem
                    .read_obj(GuestAddress(USED + 4 + 8 * slot))
                    .unwrap();
                assert_eq!(id, 0, "used entry for our head");
                return self
                    .mem
                    .read_obj(GuestAddress(USED + 8 + 8 * slot))
                    .unwrap();
            }
            assert!(Instant::now() < deadline, "request not completed");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    fn header(&mut self, req: u32, sector: u64) -> u64 {
        let h = self.buf(16);
        self.mem.write_obj(req, GuestAddress(h)).unwrap();
        self.mem.write_obj(0u32, GuestAddress(h + 4)).unwrap();
        self.mem.write_obj(sector, GuestAddress(h + 8)).unwrap();
        h
    }

    fn status_buf(&mut self) -> u64 {
        let s = self.buf(1);
        self.mem.write_obj(0xffu8, GuestAddress(s)).unwrap();
        s
    }

    fn status(&self, at: u64) -> u8 {
        self.mem.read_obj(GuestAddress(at)).unwrap()
    }

    /// A well-formed request with device-readable `out` data and `in_len` bytes to fill.
    fn request(&mut self, req: u32, sector: u64, out: &[u8], in_len: u32) -> (u8, Vec<u8>, u32) {
        let h = self.header(req, sector);
        let mut chain = vec![D(h, 16, false)];
        if !out.is_empty() {
            let b = self.buf(out.len() as u64);
            self.mem.write_slice(out, GuestAddress(b)).unwrap();
            chain.push(D(b, out.len() as u32, false));
        }
        let mut inb = 0;
        if in_len > 0 {
            inb = self.buf(u64::from(in_len));
            chain.push(D(inb, in_len, true));
        }
        let s = self.status_buf();
        chain.push(D(s, 1, true));
        let used = self.submit(&chain);
        let mut data = vec![0u8; in_len as usize];
        if in_len > 0 {
            self.mem.read_slice(&mut data, GuestAddress(inb)).unwrap();
        }
        self.next_buf = BUFS;
        (self.status(s), data, used)
    }

    fn write(&mut self, sector: u64, data: &[u8]) -> u8 {
        self.request(VIRTIO_BLK_T_OUT, sector, data, 0).0
    }

    fn read(&mut self, sector: u64, len: u32) -> (u8, Vec<u8>) {
        let (s, d, _) = self.request(VIRTIO_BLK_T_IN, sector, &[], len);
        (s, d)
    }

    fn flush(&mut self) -> u8 {
        self.request(VIRTIO_BLK_T_FLUSH, 0, &[], 0).0
    }

    fn config(&self) -> Vec<u8> {
        let mut c = vec![0u8; 64];
        self.dev.read_config(0, &mut c);
        c
    }

    fn malformed(&self) -> u64 {
        self.dev.malformed_chains()
    }
}

const ALL_FEATURES: u64 = u64::MAX;

fn discard_seg(sector: u64, count: u32, flags: u32) -> Vec<u8> {
    let mut v = sector.to_le_bytes().to_vec();
    v.extend_from_slice(&count.to_le_bytes());
    v.extend_from_slice(&flags.to_le_bytes());
    v
}

fn raw_image(dir: &Path, name: &str, size: u64) -> PathBuf {
    let p = dir.join(name);
    let f = std::fs::File::create(&p).unwrap();
    f.set_len(size).unwrap();
    p
}

// ---------------------------------------------------------------------------------------------
// Creating and inspecting images

#[test]
fn create_qcow2_matches_qemu_img() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("disk.qcow2");
    create_qcow2(&p, 256 * MIB).unwrap();
    let info = image_info(&p).unwrap();
    assert_eq!(info.format, ImageFormat::Qcow2);
    assert_eq!(info.virtual_size, 256 * MIB);
    assert!(info.backing_chain.is_empty());
    assert!(info.allocated_size < MIB, "{info:?}");
    // Refuses to overwrite, and odd sizes.
    let e = create_qcow2(&p, MIB).unwrap_err();
    assert!(e.to_string().contains("already exists"), "{e}");
    let e = create_qcow2(&dir.path().join("odd.qcow2"), 1000).unwrap_err();
    assert!(e.to_string().contains("multiple of 512"), "{e}");
    assert!(!dir.path().join("odd.qcow2").exists());

    if !have_qemu() {
        return;
    }
    let q = qemu_info(&p, false);
    assert_eq!(q["format"], "qcow2");
    assert_eq!(q["virtual-size"], 256 * MIB);
    assert_eq!(q["actual-size"], info.allocated_size);
    assert_eq!(q["format-specific"]["data"]["compat"], "1.1");
    assert!(q.get("backing-filename").is_none());
    qemu_check(&p);
}

#[test]
fn image_info_matches_qemu_img_for_qemu_made_images() {
    if !have_qemu() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.raw");
    run(Command::new("qemu-img")
        .args(["create", "-f", "raw"])
        .arg(&base)
        .arg("32M"));
    qemu_io_write(&base, "raw", "write -P 0x11 0 1M");
    let mid = dir.path().join("mid.qcow2");
    run(Command::new("qemu-img")
        .args(["create", "-f", "qcow2", "-F", "raw", "-b", "base.raw"])
        .arg(&mid));
    let top = dir.path().join("top.qcow2");
    run(Command::new("qemu-img")
        .args(["create", "-f", "qcow2", "-F", "qcow2", "-b"])
        .arg(&mid)
        .arg(&top));
    qemu_io_write(&top, "qcow2", "write -P 0x22 4M 1M");

    let info = image_info(&top).unwrap();
    let q = qemu_info(&top, true);
    let chain = q.as_array().unwrap();
    assert_eq!(chain.len(), 3);
    assert_eq!(info.format, ImageFormat::Qcow2);
    assert_eq!(info.virtual_size, chain[0]["virtual-size"]);
    assert_eq!(info.allocated_size, chain[0]["actual-size"]);
    let qemu_chain: Vec<PathBuf> = chain[1..]
        .iter()
        .map(|i| PathBuf::from(i["filename"].as_str().unwrap()))
        .collect();
    assert_eq!(info.backing_chain, qemu_chain);
    assert_eq!(
        info.backing_chain,
        [mid.clone(), dir.path().join("base.raw")]
    );

    let raw = image_info(&base).unwrap();
    assert_eq!(raw.format, ImageFormat::Raw);
    assert_eq!(raw.virtual_size, 32 * MIB);
    assert_eq!(raw.allocated_size, qemu_info(&base, false)["actual-size"]);
}

#[test]
fn linked_clone_shares_its_base_and_diverges() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.qcow2");
    create_qcow2(&base, 64 * MIB).unwrap();
    // Fill the base through our own device.
    {
        let mut d = Driver::new(
            Disk::open(&base, None, false).unwrap(),
            "base",
            ALL_FEATURES,
        );
        assert_eq!(d.write(0, &[0xaa; 8192]), VIRTIO_BLK_S_OK);
        assert_eq!(d.write(2048, &[0xbb; 4096]), VIRTIO_BLK_S_OK);
        assert_eq!(d.flush(), VIRTIO_BLK_S_OK);
    }
    let clone = dir.path().join("clone.qcow2");
    // A relative backing name is taken from the clone's folder.
    create_linked_clone(&clone, Path::new("base.qcow2")).unwrap();
    let clone2 = dir.path().join("clone2.qcow2");
    create_linked_clone(&clone2, &base).unwrap();
    let info = image_info(&clone).unwrap();
    assert_eq!(info.format, ImageFormat::Qcow2);
    assert_eq!(info.virtual_size, 64 * MIB);
    assert_eq!(info.backing_chain, [dir.path().join("base.qcow2")]);

    {
        // Both clones open at once: the base is shared-locked by both.
        let mut c = Driver::new(Disk::open(&clone, None, false).unwrap(), "c", ALL_FEATURES);
        let mut c2 = Driver::new(
            Disk::open(&clone2, None, false).unwrap(),
            "c2",
            ALL_FEATURES,
        );
        // The clone sees the base...
        let (s, data) = c.read(0, 8192);
        assert_eq!(s, VIRTIO_BLK_S_OK);
        assert!(data.iter().all(|&b| b == 0xaa));
        // ...and diverges from it.
        assert_eq!(c.write(0, &[0xab; 4096]), VIRTIO_BLK_S_OK);
        let (_, data) = c.read(0, 8192);
        assert!(data[..4096].iter().all(|&b| b == 0xab));
        assert!(data[4096..].iter().all(|&b| b == 0xaa));
        let (_, data) = c2.read(0, 4096);
        assert!(
            data.iter().all(|&b| b == 0xaa),
            "the other clone is untouched"
        );
        // The base cannot be opened writable while clones use it.
        let e = Disk::open(&base, None, false).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InUse, "{e}");
        assert_eq!(c.flush(), VIRTIO_BLK_S_OK);
    }

    if !have_qemu() {
        return;
    }
    let q = qemu_info(&clone, false);
    assert_eq!(q["backing-filename"], "base.qcow2");
    assert_eq!(q["backing-filename-format"], "qcow2");
    assert_eq!(q["virtual-size"], 64 * MIB);
    let q2 = qemu_info(&clone2, false);
    assert_eq!(q2["backing-filename"], base.to_str().unwrap());
    qemu_check(&clone);
    qemu_check(&base);
    qemu_io(
        &clone,
        "qcow2",
        &[
            "read -P 0xab 0 4k",
            "read -P 0xaa 4k 4k",
            "read -P 0xbb 1M 4k",
            "read -P 0 2M 4k",
        ],
    );
    qemu_io(&base, "qcow2", &["read -P 0xaa 0 8k", "read -P 0xbb 1M 4k"]);
}

// ---------------------------------------------------------------------------------------------
// Start-up checks

#[test]
fn lock_conflicts_are_refused_at_open_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("disk.qcow2");
    create_qcow2(&p, 16 * MIB).unwrap();
    let held = Disk::open(&p, None, false).unwrap();
    let e = Disk::open(&p, None, false).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InUse);
    assert!(e.to_string().starts_with(&p.display().to_string()), "{e}");
    assert!(e.to_string().contains("in use"), "{e}");
    let e = Disk::open(&p, None, true).unwrap_err();
    assert_eq!(
        e.kind,
        ErrorKind::InUse,
        "a reader while someone writes: {e}"
    );
    drop(held);

    // Readers share; a writer is then refused.
    let r1 = Disk::open(&p, None, true).unwrap();
    let r2 = Disk::open(&p, None, true).unwrap();
    assert_eq!(
        Disk::open(&p, None, false).unwrap_err().kind,
        ErrorKind::InUse
    );
    drop((r1, r2));
    Disk::open(&p, None, false).unwrap();

    // The config check sees it too, under the disk's field.
    let _held = Disk::open(&p, None, false).unwrap();
    let d = DiskConfig {
        path: p.clone(),
        read_only: false,
        format: None,
        serial: None,
        bus: None,
        allow_backing: Vec::new(),
    };
    let (field, msg) = storage::check_disk(&d).unwrap_err();
    let msg = msg.to_string();
    assert_eq!(field, "path");
    assert!(msg.contains("in use"), "{msg}");
    let e = storage::open_disks(&[d], dir.path())
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.starts_with(&format!("disks[0]: {}: ", p.display())),
        "{e}"
    );
}

#[test]
fn locks_speak_qemus_protocol() {
    if !have_qemu() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("disk.qcow2");
    create_qcow2(&p, 16 * MIB).unwrap();
    // While we write it, qemu-img refuses it (unless told to share).
    let held = Disk::open(&p, None, false).unwrap();
    let out = Command::new("qemu-img")
        .arg("info")
        .arg(&p)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("lock"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    drop(held);
    // A read-only disk leaves qemu-img info working.
    let ro = Disk::open(&p, None, true).unwrap();
    run(Command::new("qemu-img").arg("info").arg(&p));
    drop(ro);
    // While qemu-io has it open read-write, we refuse it.
    let mut qio = Command::new("qemu-io")
        .args(["-f", "qcow2"])
        .arg(&p)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait without taking locks ourselves (a transient lock of ours would make qemu-io fail).
    let cfg = DiskConfig {
        path: p.clone(),
        read_only: true,
        format: None,
        serial: None,
        bus: None,
        allow_backing: Vec::new(),
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while storage::check_disk(&cfg).is_ok() {
        assert!(Instant::now() < deadline, "qemu-io never locked the image");
        std::thread::sleep(Duration::from_millis(20));
    }
    let e = Disk::open(&p, None, true).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InUse, "{e}");
    drop(qio.stdin.take());
    qio.wait().unwrap();
    Disk::open(&p, None, false).unwrap();
}

#[test]
fn truncated_and_corrupt_qcow2_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("disk.qcow2");
    create_qcow2(&p, 64 * MIB).unwrap();
    {
        let mut d = Driver::new(Disk::open(&p, None, false).unwrap(), "x", ALL_FEATURES);
        // Data at the start and far in: the file grows past several clusters.
        assert_eq!(d.write(0, &[1; 65536]), VIRTIO_BLK_S_OK);
        assert_eq!(d.write(20 * 2048, &[2; 65536]), VIRTIO_BLK_S_OK);
        assert_eq!(d.write(40 * 2048, &[3; 65536]), VIRTIO_BLK_S_OK);
    }
    Disk::open(&p, None, false).unwrap();
    let len = std::fs::metadata(&p).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
    f.set_len(len - 65536).unwrap();
    let e = Disk::open(&p, None, false).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Corrupt, "{e}");
    assert!(e.to_string().starts_with(&p.display().to_string()), "{e}");
    assert!(e.to_string().contains("truncated"), "{e}");
    assert!(image_info(&p).is_err());
    // Cut inside the header.
    f.set_len(50).unwrap();
    let e = Disk::open(&p, None, true).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Corrupt, "{e}");
    assert!(e.to_string().contains("header"), "{e}");
    // Garbage in the header: cluster_bits = 40.
    let p2 = dir.path().join("bad.qcow2");
    create_qcow2(&p2, MIB).unwrap();
    use std::os::unix::fs::FileExt;
    let f2 = std::fs::OpenOptions::new().write(true).open(&p2).unwrap();
    f2.write_all_at(&40u32.to_be_bytes(), 20).unwrap();
    let e = Disk::open(&p2, None, false).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Corrupt, "{e}");
    // The dirty bit QEMU leaves on a crash with lazy refcounts.
    f2.write_all_at(&16u32.to_be_bytes(), 20).unwrap();
    f2.write_all_at(&1u64.to_be_bytes(), 72).unwrap();
    let e = Disk::open(&p2, None, false).unwrap_err();
    assert!(e.to_string().contains("qemu-img check -r all"), "{e}");
    // Stated qcow2, is raw.
    let raw = raw_image(dir.path(), "plain.img", MIB);
    let e = Disk::open(&raw, Some(ImageFormat::Qcow2), false).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Format, "{e}");
    // A format we cannot read is not taken for raw.
    let vmdk = dir.path().join("disk.vmdk");
    let mut b = b"KDMV".to_vec();
    b.resize(4096, 0);
    std::fs::write(&vmdk, b).unwrap();
    let e = Disk::open(&vmdk, None, true).unwrap_err();
    assert!(e.to_string().contains("VMDK"), "{e}");
}

#[test]
fn missing_backing_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let base = raw_image(dir.path(), "base.img", 8 * MIB);
    let clone = dir.path().join("clone.qcow2");
    create_linked_clone(&clone, &base).unwrap();
    std::fs::remove_file(&base).unwrap();
    let e = Disk::open(&clone, None, false).unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound, "{e}");
    assert_eq!(e.path, base);
    let msg = e.to_string();
    assert!(msg.contains(&base.display().to_string()), "{msg}");
    assert!(msg.contains("backing file of"), "{msg}");
    assert!(msg.contains("does not exist"), "{msg}");
    let e = create_linked_clone(&dir.path().join("c2.qcow2"), &base).unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    let e = Disk::open(&dir.path().join("nope.qcow2"), None, false).unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
}

#[test]
fn backing_chain_loops_are_refused() {
    if !have_qemu() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.qcow2");
    let b = dir.path().join("b.qcow2");
    create_qcow2(&a, MIB).unwrap();
    create_linked_clone(&b, &a).unwrap();
    // Point a at b: a -> b -> a.
    run(Command::new("qemu-img")
        .args(["rebase", "-u", "-F", "qcow2", "-b"])
        .arg(&b)
        .arg(&a));
    let e = Disk::open(&b, None, true).unwrap_err();
    assert!(e.to_string().contains("loops"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// The device

#[test]
fn writes_through_the_device_read_back_with_qemu_io() {
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("disk.qcow2");
    create_qcow2(&q, 32 * MIB).unwrap();
    let r = raw_image(dir.path(), "disk.raw", 32 * MIB);
    for (p, fmt) in [(&q, "qcow2"), (&r, "raw")] {
        {
            let mut d = Driver::new(Disk::open(p, None, false).unwrap(), "w", ALL_FEATURES);
            assert_eq!(d.write(0, &[0xab; 4096]), VIRTIO_BLK_S_OK);
            // A request split over several descriptors, at an odd sector.
            let h = d.header(VIRTIO_BLK_T_OUT, 4097);
            let (b1, b2) = (d.buf(512), d.buf(3584));
            d.mem.write_slice(&[0xcd; 512], GuestAddress(b1)).unwrap();
            d.mem.write_slice(&[0xcd; 3584], GuestAddress(b2)).unwrap();
            let s = d.status_buf();
            d.submit(&[
                D(h, 16, false),
                D(b1, 512, false),
                D(b2, 3584, false),
                D(s, 1, true),
            ]);
            assert_eq!(d.status(s), VIRTIO_BLK_S_OK);
            d.next_buf = BUFS;
            // The last sector of the disk is fine; one past it is not.
            let last = 32 * MIB / 512 - 1;
            assert_eq!(d.write(last, &[0xef; 512]), VIRTIO_BLK_S_OK);
            assert_eq!(d.write(last, &[0xef; 1024]), VIRTIO_BLK_S_IOERR);
            assert_eq!(d.read(last + 1, 512).0, VIRTIO_BLK_S_IOERR);
            let (s, data) = d.read(0, 4096);
            assert_eq!(s, VIRTIO_BLK_S_OK);
            assert!(data.iter().all(|&b| b == 0xab));
            assert_eq!(d.stats.writes.load(std::sync::atomic::Ordering::Relaxed), 3);
            assert_eq!(d.malformed(), 2, "the two out-of-range requests");
            // No flush and no drop-time flush needed: completed writes are in the file.
            if have_qemu() {
                qemu_io(
                    p,
                    fmt,
                    &[
                        "read -P 0xab 0 4k",
                        "read -P 0xcd 2097664 4k",
                        "read -P 0xef 33553920 512",
                    ],
                );
            }
        }
        if fmt == "qcow2" && have_qemu() {
            qemu_check(p);
        }
    }
}

#[test]
fn read_only_disks_refuse_writes_with_ioerr() {
    let dir = tempfile::tempdir().unwrap();
    let p = raw_image(dir.path(), "ro.img", 4 * MIB);
    std::fs::write(&p, vec![0x5a; 4 * MIB as usize]).unwrap();
    let mut d = Driver::new(Disk::open(&p, None, true).unwrap(), "ro", ALL_FEATURES);
    assert_ne!(d.dev.features() & VIRTIO_BLK_F_RO, 0);
    assert_eq!(d.dev.features() & VIRTIO_BLK_F_DISCARD, 0);
    assert_eq!(d.write(0, &[0; 512]), VIRTIO_BLK_S_IOERR);
    let (s, data) = d.read(0, 512);
    assert_eq!(s, VIRTIO_BLK_S_OK);
    assert!(data.iter().all(|&b| b == 0x5a));
    // Write-zeroes and discard are not offered, so not served.
    let seg = discard_seg(0, 8, 0);
    assert_eq!(
        d.request(VIRTIO_BLK_T_WRITE_ZEROES, 0, &seg, 0).0,
        VIRTIO_BLK_S_UNSUPP
    );
    assert_eq!(d.flush(), VIRTIO_BLK_S_OK);
    assert_eq!(d.malformed(), 0);
    assert_eq!(
        d.stats.io_errors.load(std::sync::atomic::Ordering::Relaxed),
        1
    );
    assert!(std::fs::read(&p).unwrap().iter().all(|&b| b == 0x5a));
}

#[test]
fn flush_puts_data_on_disk_before_completing() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("disk.qcow2");
    create_qcow2(&p, 16 * MIB).unwrap();
    let mut d = Driver::new(Disk::open(&p, None, false).unwrap(), "f", ALL_FEATURES);
    assert_eq!(d.write(8, &[0xab; 4096]), VIRTIO_BLK_S_OK);
    assert_eq!(d.flush(), VIRTIO_BLK_S_OK);
    assert_eq!(
        d.stats.flushes.load(std::sync::atomic::Ordering::Relaxed),
        1
    );
    // A fresh open of the file, while the device still runs, sees the data.
    let info = image_info(&p).unwrap();
    assert!(info.allocated_size > 0);
    if have_qemu() {
        qemu_io(&p, "qcow2", &["read -P 0xab 4k 4k", "read -P 0 0 4k"]);
        qemu_check(&p);
    }
}

#[test]
fn without_flush_negotiated_writes_are_write_through() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("disk.qcow2");
    create_qcow2(&p, 16 * MIB).unwrap();
    let mut d = Driver::new(
        Disk::open(&p, None, false).unwrap(),
        "wt",
        ALL_FEATURES & !VIRTIO_BLK_F_FLUSH,
    );
    assert_eq!(d.write(0, &[0x77; 4096]), VIRTIO_BLK_S_OK);
    if have_qemu() {
        qemu_io(&p, "qcow2", &["read -P 0x77 0 4k"]);
    }
}

#[test]
fn get_id_returns_the_serial() {
    let dir = tempfile::tempdir().unwrap();
    let p = raw_image(dir.path(), "d.img", MIB);
    let mut d = Driver::new(
        Disk::open(&p, None, false).unwrap(),
        "my-serial-42",
        ALL_FEATURES,
    );
    let (s, data, used) = d.request(VIRTIO_BLK_T_GET_ID, 0, &[], 20);
    assert_eq!(s, VIRTIO_BLK_S_OK);
    assert_eq!(&data[..12], b"my-serial-42");
    assert!(data[12..].iter().all(|&b| b == 0));
    assert_eq!(used, 21);
    let dflt = storage::default_serial(&p);
    assert_eq!(dflt.len(), 20);
    assert_eq!(dflt, storage::default_serial(&p), "stable");
    assert_ne!(dflt, storage::default_serial(&dir.path().join("other.img")));
}

#[test]
fn config_space_and_features() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("disk.qcow2");
    create_qcow2(&p, 100 * MIB).unwrap();
    let d = Driver::new(Disk::open(&p, None, false).unwrap(), "c", ALL_FEATURES);
    let f = d.dev.features();
    for bit in [
        VIRTIO_F_VERSION_1,
        VIRTIO_BLK_F_FLUSH,
        VIRTIO_BLK_F_SEG_MAX,
        VIRTIO_BLK_F_SIZE_MAX,
        VIRTIO_BLK_F_DISCARD,
        VIRTIO_BLK_F_WRITE_ZEROES,
        VIRTIO_RING_F_INDIRECT_DESC,
    ] {
        assert_ne!(f & bit, 0, "{bit:#x}");
    }
    assert_eq!(f & VIRTIO_BLK_F_RO, 0);
    let c = d.config();
    let le32 = |o: usize| u32::from_le_bytes(c[o..o + 4].try_into().unwrap());
    assert_eq!(
        u64::from_le_bytes(c[0..8].try_into().unwrap()),
        100 * MIB / 512
    );
    assert_eq!(le32(8), SIZE_MAX);
    assert_eq!(le32(12), SEG_MAX);
    assert_eq!(le32(36), MAX_DISCARD_SECTORS);
    assert_eq!(le32(40), 1);
    assert_eq!(le32(44), 65536 / 512, "qcow2 cluster");
    assert_eq!(le32(48), MAX_DISCARD_SECTORS);
    assert_eq!(c[56], 1);
    assert!(c[60..].iter().all(|&b| b == 0));
    let mut far = [0xffu8; 4];
    d.dev.read_config(u64::MAX - 1, &mut far);
    assert_eq!(far, [0; 4]);
}

#[test]
fn write_zeroes_and_discard() {
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("disk.qcow2");
    create_qcow2(&q, 16 * MIB).unwrap();
    let r = raw_image(dir.path(), "disk.raw", 16 * MIB);
    for (p, fmt) in [(&q, "qcow2"), (&r, "raw")] {
        let mut d = Driver::new(Disk::open(p, None, false).unwrap(), "z", ALL_FEATURES);
        assert_eq!(d.write(0, &vec![0xab; 1 << 20]), VIRTIO_BLK_S_OK);
        // Write zeroes over 128 KiB at 64 KiB, with and without unmap.
        let seg = discard_seg(128, 128, 0);
        assert_eq!(
            d.request(VIRTIO_BLK_T_WRITE_ZEROES, 0, &seg, 0).0,
            VIRTIO_BLK_S_OK
        );
        let seg = discard_seg(256, 256, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP);
        assert_eq!(
            d.request(VIRTIO_BLK_T_WRITE_ZEROES, 0, &seg, 0).0,
            VIRTIO_BLK_S_OK
        );
        // Discard the second half MiB.
        let seg = discard_seg(1024, 1024, 0);
        assert_eq!(
            d.request(VIRTIO_BLK_T_DISCARD, 0, &seg, 0).0,
            VIRTIO_BLK_S_OK
        );
        // Unmap on a discard, unknown flags: UNSUPP. Beyond the end, too many sectors: IOERR.
        let seg = discard_seg(0, 8, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP);
        assert_eq!(
            d.request(VIRTIO_BLK_T_DISCARD, 0, &seg, 0).0,
            VIRTIO_BLK_S_UNSUPP
        );
        let seg = discard_seg(0, 8, 4);
        assert_eq!(
            d.request(VIRTIO_BLK_T_WRITE_ZEROES, 0, &seg, 0).0,
            VIRTIO_BLK_S_UNSUPP
        );
        let seg = discard_seg(16 * MIB / 512 - 4, 8, 0);
        assert_eq!(
            d.request(VIRTIO_BLK_T_DISCARD, 0, &seg, 0).0,
            VIRTIO_BLK_S_IOERR
        );
        let seg = discard_seg(0, MAX_DISCARD_SECTORS + 1, 0);
        assert_eq!(
            d.request(VIRTIO_BLK_T_WRITE_ZEROES, 0, &seg, 0).0,
            VIRTIO_BLK_S_IOERR
        );
        // Two segments: more than max_discard_seg.
        let mut two = discard_seg(0, 8, 0);
        two.extend(discard_seg(16, 8, 0));
        assert_eq!(
            d.request(VIRTIO_BLK_T_DISCARD, 0, &two, 0).0,
            VIRTIO_BLK_S_IOERR
        );

        let (_, data) = d.read(0, 1 << 20);
        assert!(data[..65536].iter().all(|&b| b == 0xab), "{fmt}");
        assert!(data[65536..262144].iter().all(|&b| b == 0), "{fmt}");
        assert!(data[262144..524288].iter().all(|&b| b == 0xab), "{fmt}");
        assert!(
            data[524288..].iter().all(|&b| b == 0 || b == 0xab),
            "{fmt}: discarded data reads as zeroes or as before"
        );
        if fmt == "qcow2" {
            assert!(
                data[524288..].iter().all(|&b| b == 0),
                "qcow2 discards to zero"
            );
        }
        assert_eq!(
            d.stats
                .write_zeroes
                .load(std::sync::atomic::Ordering::Relaxed),
            2
        );
        drop(d);
        if have_qemu() {
            qemu_io(
                p,
                fmt,
                &[
                    "read -P 0xab 0 64k",
                    "read -P 0 64k 192k",
                    "read -P 0xab 256k 256k",
                ],
            );
            if fmt == "qcow2" {
                qemu_check(p);
            }
        }
    }
}

#[test]
fn malformed_chains_complete_with_errors_and_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let p = raw_image(dir.path(), "m.img", 4 * MIB);
    let mut d = Driver::new(Disk::open(&p, None, false).unwrap(), "m", ALL_FEATURES);
    let mut expect_malformed = 0;
    let mut check = |d: &mut Driver, chain: &[D], status_at: Option<u64>, want: u8| {
        let used = d.submit(chain);
        match status_at {
            Some(s) => assert_eq!(d.status(s), want),
            None => assert_eq!(used, 0),
        }
        expect_malformed += 1;
        assert_eq!(d.malformed(), expect_malformed);
        d.next_buf = BUFS;
    };

    // Short header.
    let h = d.header(VIRTIO_BLK_T_IN, 0);
    let s = d.status_buf();
    check(
        &mut d,
        &[D(h, 8, false), D(s, 1, true)],
        Some(s),
        VIRTIO_BLK_S_IOERR,
    );
    // A read whose data buffer is device-readable (wrong direction).
    let h = d.header(VIRTIO_BLK_T_IN, 0);
    let b = d.buf(512);
    let s = d.status_buf();
    check(
        &mut d,
        &[D(h, 16, false), D(b, 512, false), D(s, 1, true)],
        Some(s),
        VIRTIO_BLK_S_IOERR,
    );
    // A write whose data is device-writable.
    let h = d.header(VIRTIO_BLK_T_OUT, 0);
    let b = d.buf(512);
    let s = d.status_buf();
    check(
        &mut d,
        &[D(h, 16, false), D(b, 512, true), D(s, 1, true)],
        Some(s),
        VIRTIO_BLK_S_IOERR,
    );
    // Writable before readable.
    let h = d.header(VIRTIO_BLK_T_IN, 0);
    let b = d.buf(512);
    let s = d.status_buf();
    check(
        &mut d,
        &[D(b, 512, true), D(h, 16, false), D(s, 1, true)],
        Some(s),
        VIRTIO_BLK_S_IOERR,
    );
    // No status byte: the last descriptor is device-readable.
    let h = d.header(VIRTIO_BLK_T_FLUSH, 0);
    let s = d.buf(1);
    check(&mut d, &[D(h, 16, false), D(s, 1, false)], None, 0);
    // Data not a multiple of 512.
    let h = d.header(VIRTIO_BLK_T_IN, 0);
    let b = d.buf(100);
    let s = d.status_buf();
    check(
        &mut d,
        &[D(h, 16, false), D(b, 100, true), D(s, 1, true)],
        Some(s),
        VIRTIO_BLK_S_IOERR,
    );
    // Sector out of range, and one whose byte offset overflows.
    for sector in [4 * MIB / 512, u64::MAX / 256] {
        let h = d.header(VIRTIO_BLK_T_IN, sector);
        let b = d.buf(512);
        let s = d.status_buf();
        check(
            &mut d,
            &[D(h, 16, false), D(b, 512, true), D(s, 1, true)],
            Some(s),
            VIRTIO_BLK_S_IOERR,
        );
    }
    // A huge length (more than a request may move, and more than guest memory).
    let h = d.header(VIRTIO_BLK_T_IN, 0);
    let b = d.buf(512);
    let s = d.status_buf();
    check(
        &mut d,
        &[D(h, 16, false), D(b, 0xffff_fe00, true), D(s, 1, true)],
        Some(s),
        VIRTIO_BLK_S_IOERR,
    );
    // A buffer outside guest memory.
    let h = d.header(VIRTIO_BLK_T_IN, 0);
    let s = d.status_buf();
    check(
        &mut d,
        &[
            D(h, 16, false),
            D(MEM_SIZE + 4096, 512, true),
            D(s, 1, true),
        ],
        Some(s),
        VIRTIO_BLK_S_IOERR,
    );
    // Too many descriptors.
    let h = d.header(VIRTIO_BLK_T_IN, 0);
    let mut chain = vec![D(h, 16, false)];
    let b = d.buf(512 * 200);
    for i in 0..200 {
        chain.push(D(b + 512 * i, 512, true));
    }
    let s = d.status_buf();
    chain.push(D(s, 1, true));
    check(&mut d, &chain, Some(s), VIRTIO_BLK_S_IOERR);

    // An avail index far ahead of the device: counted, no spinning, and once the driver puts it
    // right the device goes on.
    d.mem
        .write_obj(d.avail_idx.wrapping_add(1000), GuestAddress(AVAIL + 2))
        .unwrap();
    d.dev.queue_notify(0);
    let deadline = Instant::now() + Duration::from_secs(10);
    while d.malformed() == expect_malformed {
        assert!(Instant::now() < deadline, "bad avail index not noticed");
        std::thread::sleep(Duration::from_millis(1));
    }
    expect_malformed += 1;
    d.mem
        .write_obj(d.avail_idx, GuestAddress(AVAIL + 2))
        .unwrap();

    // Unknown request types are UNSUPP, not malformed.
    let (st, _, _) = d.request(42, 0, &[], 0);
    assert_eq!(st, VIRTIO_BLK_S_UNSUPP);
    assert_eq!(d.malformed(), expect_malformed);
    // And the device still serves good requests.
    assert_eq!(d.write(0, &[9; 512]), VIRTIO_BLK_S_OK);
    assert_eq!(d.read(0, 512), (VIRTIO_BLK_S_OK, vec![9; 512]));
}

#[test]
fn garbage_chains_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let p = raw_image(dir.path(), "g.img", MIB);
    let mut d = Driver::new(Disk::open(&p, None, false).unwrap(), "g", ALL_FEATURES);
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut rnd = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..500 {
        let n = (rnd() % 5 + 1) as usize;
        let mut chain = Vec::new();
        for _ in 0..n {
            let addr = match rnd() % 4 {
                0 => rnd(),
                _ => BUFS + rnd() % (4 * MIB),
            };
            chain.push(D(addr, (rnd() % 70000) as u32, rnd() % 2 == 0));
        }
        // Random header contents at the usual place.
        d.mem
            .write_obj(rnd(), GuestAddress((BUFS + rnd() % (4 * MIB)) & !7))
            .unwrap();
        d.submit(&chain);
    }
    // Still alive and correct.
    assert_eq!(d.write(0, &[3; 512]), VIRTIO_BLK_S_OK);
    assert_eq!(d.read(0, 512), (VIRTIO_BLK_S_OK, vec![3; 512]));
}

#[test]
fn reset_stops_the_io_thread_and_reactivation_works() {
    let dir = tempfile::tempdir().unwrap();
    let p = raw_image(dir.path(), "r.img", MIB);
    let mut d = Driver::new(Disk::open(&p, None, false).unwrap(), "r", ALL_FEATURES);
    assert_eq!(d.write(0, &[4; 512]), VIRTIO_BLK_S_OK);
    // The interrupt was raised for the used entry.
    assert!(d.irq_evt.read().is_ok());
    d.dev.reset();
    // A request queued after the reset is not served...
    let h = d.header(VIRTIO_BLK_T_IN, 0);
    let s = d.status_buf();
    d.mem.write_obj(0u16, GuestAddress(AVAIL + 4)).unwrap();
    d.dev.queue_notify(0);
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(d.status(s), 0xff);
    let _ = h;
    // ...until the driver sets the device up again.
    d.reactivate();
    assert_eq!(d.read(0, 512), (VIRTIO_BLK_S_OK, vec![4; 512]));
}

#[test]
fn paused_devices_leave_the_queue_alone_and_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let p = raw_image(dir.path(), "p.img", MIB);
    let mut d = Driver::new(Disk::open(&p, None, false).unwrap(), "p", ALL_FEATURES);
    assert_eq!(d.write(0, &[6; 512]), VIRTIO_BLK_S_OK);
    d.dev.pause();
    // A request the driver queues while paused waits in the ring...
    let h = d.header(VIRTIO_BLK_T_IN, 0);
    let b = d.buf(512);
    let s = d.status_buf();
    let chain = [D(h, 16, false), D(b, 512, true), D(s, 1, true)];
    for (i, x) in chain.iter().enumerate() {
        let at = GuestAddress(DESC + 16 * i as u64);
        d.mem.write_obj(x.0, at).unwrap();
        d.mem.write_obj(x.1, at.unchecked_add(8)).unwrap();
        let flags = if x.2 { F_WRITE } else { 0 } | if i < 2 { F_NEXT } else { 0 };
        d.mem.write_obj(flags, at.unchecked_add(12)).unwrap();
        d.mem.write_obj(i as u16 + 1, at.unchecked_add(14)).unwrap();
    }
    let slot = u64::from(d.avail_idx % QSIZE);
    d.mem
        .write_obj(0u16, GuestAddress(AVAIL + 4 + 2 * slot))
        .unwrap();
    d.avail_idx += 1;
    d.mem
        .write_obj(d.avail_idx, GuestAddress(AVAIL + 2))
        .unwrap();
    d.dev.queue_notify(0);
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(d.status(s), 0xff, "served while paused");
    // ...and is served on resume.
    d.dev.resume();
    let deadline = Instant::now() + Duration::from_secs(10);
    while d.status(s) == 0xff {
        assert!(Instant::now() < deadline, "not served after resume");
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(d.status(s), VIRTIO_BLK_S_OK);
    let mut data = [0u8; 512];
    d.mem.read_slice(&mut data, GuestAddress(b)).unwrap();
    assert_eq!(data, [6; 512]);
    d.used_seen += 1;
    d.next_buf = BUFS;
    // A paused writable disk saves its queue (its contents are kept by freezing the image:
    // tests/disk_snapshot.rs).
    d.dev.pause();
    d.dev.save_state().unwrap();
    d.dev.resume();
    assert_eq!(d.read(0, 512), (VIRTIO_BLK_S_OK, vec![6; 512]));
}

#[test]
fn read_only_disks_survive_a_snapshot_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let p = raw_image(dir.path(), "s.img", MIB);
    std::fs::write(&p, vec![8u8; MIB as usize]).unwrap();
    let mut d = Driver::new(Disk::open(&p, None, true).unwrap(), "s", ALL_FEATURES);
    assert_eq!(d.read(0, 512), (VIRTIO_BLK_S_OK, vec![8; 512]));
    d.dev.pause();
    let state = d.dev.save_state().unwrap();
    d.dev.resume();
    // A fresh device (as in a new process) takes the queue over where it was.
    let mut fresh = Block::new(Disk::open(&p, None, true).unwrap(), "s").unwrap();
    let irq = Arc::new(VirtioInterrupt::new(d.irq_evt.try_clone().unwrap()));
    d.dev.reset();
    fresh.restore_state(&state, d.mem.clone(), irq).unwrap();
    d.dev = fresh;
    assert_eq!(d.read(1, 512), (VIRTIO_BLK_S_OK, vec![8; 512]));
    // An inactive device saves as such.
    let idle = Block::new(Disk::open(&p, None, true).unwrap(), "i").unwrap();
    let mut idle2 = Block::new(Disk::open(&p, None, true).unwrap(), "i").unwrap();
    let irq = Arc::new(VirtioInterrupt::new(EventFd::new(0).unwrap()));
    idle2
        .restore_state(&idle.save_state().unwrap(), d.mem.clone(), irq)
        .unwrap();
}

// ---------------------------------------------------------------------------------------------
// vmdesk-vmm with disks

fn start_vm(dir: &Path, id: &str, disks_toml: &str) -> std::process::Child {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("vm.toml"),
        format!(
            "id = \"{id}\"\nname = \"Disk\"\nvcpus = 1\nmemory_mib = 64\n\n[boot]\nkind = \"linux\"\n\
             kernel = \"{GUEST}\"\ncmdline = \"console=ttyS0 vmdesk.test=halt\"\n\n{disks_toml}"
        ),
    )
    .unwrap();
    Command::new(VMM)
        .arg("--config")
        .arg(dir.join("vm.toml"))
        .arg("--runtime-dir")
        .arg(dir.join("run"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits until the test guest has halted (it then idles until killed); returns its serial log.
fn wait_halted(vm: &mut std::process::Child, dir: &Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let log = std::fs::read_to_string(dir.join("serial.log")).unwrap_or_default();
        if log.contains("ACTION halt") {
            return log;
        }
        if let Ok(Some(st)) = vm.try_wait() {
            panic!(
                "vmdesk-vmm exited ({st}):\n{}\nserial:\n{log}",
                stderr_of(vm)
            );
        }
        assert!(Instant::now() < deadline, "guest did not halt:\n{log}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_disk_in_use_by_a_running_vm_is_refused_at_start_up() {
    if !kvm_or_skip("disk_in_use") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("shared.qcow2");
    create_qcow2(&img, 64 * MIB).unwrap();
    let base = raw_image(dir.path(), "base.img", 8 * MIB);
    let disks = format!(
        "[[disks]]\npath = \"{}\"\nformat = \"qcow2\"\n\n\
         [[disks]]\npath = \"{}\"\nread_only = true\n",
        img.display(),
        base.display()
    );
    let a = dir.path().join("a");
    let mut vm_a = start_vm(&a, "disk-a", &disks);
    let log = wait_halted(&mut vm_a, &a);
    assert!(
        !log.contains("FAIL"),
        "the test guest failed with disks:\n{log}"
    );
    // When the test guest lists virtio devices, the disks are there (device id 2).
    if log.contains(" ver=2") {
        assert!(
            log.contains(" id=2 ver=2"),
            "no virtio-blk device seen:\n{log}"
        );
    }

    // A second VM wanting the writable image is refused before it starts, naming the disk.
    let b = dir.path().join("b");
    let mut vm_b = start_vm(&b, "disk-b", &disks);
    let st = vm_b.wait().unwrap();
    let err = stderr_of(&mut vm_b);
    assert_eq!(st.code(), Some(2), "{err}");
    assert!(err.contains("disks[0].path"), "{err}");
    assert!(err.contains(&img.display().to_string()), "{err}");
    assert!(err.contains("in use"), "{err}");
    assert!(
        !b.join("serial.log").exists(),
        "the second VM must not have started"
    );

    // The read-only base alone can be shared with a running VM.
    let c = dir.path().join("c");
    let ro_only = format!(
        "[[disks]]\npath = \"{}\"\nread_only = true\n",
        base.display()
    );
    let mut vm_c = start_vm(&c, "disk-c", &ro_only);
    wait_halted(&mut vm_c, &c);
    let _ = vm_c.kill();
    let _ = vm_c.wait();

    // Locks die with the process: once A is gone (even killed), the image is free and sound.
    vm_a.kill().unwrap();
    vm_a.wait().unwrap();
    let mut vm_b = start_vm(&b, "disk-b", &disks);
    wait_halted(&mut vm_b, &b);
    let _ = vm_b.kill();
    let _ = vm_b.wait();
    if have_qemu() {
        qemu_check(&img);
    }
}

// ---------------------------------------------------------------------------------------------
// Config

fn vm_config(dir: &Path, disks: Vec<DiskConfig>) -> VmConfig {
    // Five 512-byte sectors: the boot sector and the 4 setup sectors that setup_sects = 0
    // means, so the image is as long as its header says.
    let mut img = vec![0u8; 0xa00];
    img[0x1fe] = 0x55;
    img[0x1ff] = 0xaa;
    img[0x202..0x206].copy_from_slice(b"HdrS");
    let k = dir.join("vmlinuz");
    std::fs::write(&k, img).unwrap();
    let mut c = VmConfig::new_linux("vm", "VM", k);
    c.memory_mib = 64;
    c.disks = disks;
    c
}

const HOST: HostLimits = HostLimits {
    max_vcpus: 8,
    memory_mib: 4096,
};

fn disk(path: &Path) -> DiskConfig {
    DiskConfig {
        path: path.to_path_buf(),
        read_only: false,
        format: None,
        serial: None,
        bus: None,
        allow_backing: Vec::new(),
    }
}

#[test]
fn disk_config_errors_name_their_field() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.qcow2");
    create_qcow2(&good, MIB).unwrap();
    let raw = raw_image(dir.path(), "raw.img", MIB);
    let ro = raw_image(dir.path(), "ro.img", MIB);
    let base = raw_image(dir.path(), "base.img", MIB);
    let clone = dir.path().join("clone.qcow2");
    create_linked_clone(&clone, &base).unwrap();
    std::fs::remove_file(&base).unwrap();

    let ok = vm_config(
        dir.path(),
        vec![
            disk(&good),
            DiskConfig {
                format: Some(ImageFormat::Raw),
                serial: Some("data-1".into()),
                ..disk(&raw)
            },
            DiskConfig {
                read_only: true,
                ..disk(&ro)
            },
        ],
    );
    ok.validate(&HOST).unwrap();

    let bad = vm_config(
        dir.path(),
        vec![
            disk(&dir.path().join("missing.qcow2")),
            DiskConfig {
                format: Some(ImageFormat::Qcow2),
                ..disk(&raw)
            },
            DiskConfig {
                serial: Some("x".repeat(21)),
                ..disk(&good)
            },
            disk(&clone),
            disk(&good),
        ],
    );
    let errs = bad.validate(&HOST).unwrap_err();
    let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "disks[0].path",
            "disks[1].format",
            "disks[2].serial",
            "disks[3].path",
            "disks[4].path"
        ],
        "{errs:?}"
    );
    assert!(
        errs[0].kind.to_string().contains("does not exist"),
        "{}",
        errs[0]
    );
    assert!(errs[3].kind.to_string().contains("base.img"), "{}", errs[3]);
    assert!(
        errs[4].kind.to_string().contains("already disks[2]"),
        "{}",
        errs[4]
    );

    let many = vm_config(dir.path(), (0..9).map(|_| disk(&good)).collect());
    let errs = many.validate(&HOST).unwrap_err();
    assert_eq!(errs[0].field, "disks");

    // TOML round trip with the optional fields.
    let c = vm_config(
        dir.path(),
        vec![DiskConfig {
            format: Some(ImageFormat::Qcow2),
            serial: Some("abc".into()),
            ..disk(&good)
        }],
    );
    let p = dir.path().join("vm.toml");
    c.save(&p).unwrap();
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(text.contains("format = \"qcow2\""), "{text}");
    assert_eq!(VmConfig::load(&p).unwrap(), c);
    let e = VmConfig::from_toml(
        "id='a'\nname='A'\nvcpus=1\nmemory_mib=64\n[boot]\nkind='linux'\nkernel='k'\n\
         [[disks]]\npath='d'\nformat='vmdk'\n",
    )
    .unwrap_err();
    assert!(e.to_string().contains("vmdk"), "{e}");
}
