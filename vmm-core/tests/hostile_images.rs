//! Images made to reach the host (issue 17): backing files outside the allowed places, and
//! qcow2 metadata that makes guest writes land on metadata or on each other.
//!
//! The images are made by qemu-img (Debian: qemu-utils) and patched here; without it the tests
//! print `skipped: …`, and fail under `VMDESK_REQUIRE_TOOLS=1`.

use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use vmm_core::config::DiskConfig;
use vmm_core::storage::{self, create_linked_clone, create_qcow2, ErrorKind, OpenDisksError};

fn have_qemu_img() -> bool {
    let ok = Command::new("qemu-img")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        let msg = "skipped: qemu-img not found (install qemu-utils)";
        if std::env::var_os("VMDESK_REQUIRE_TOOLS").is_some_and(|v| v == "1") {
            panic!("{msg} (VMDESK_REQUIRE_TOOLS=1)");
        }
        eprintln!("{msg}");
    }
    ok
}

fn qemu_img(args: &[&str]) {
    let out = Command::new("qemu-img").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "qemu-img {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A VM folder `vm/` and, next to it, `outside/secret` (what an image must not reach).
struct Setup {
    _dir: tempfile::TempDir,
    vm: PathBuf,
    outside: PathBuf,
    secret: PathBuf,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let vm = root.join("vm");
    let outside = root.join("outside");
    std::fs::create_dir_all(vm.join("disks")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    let secret = outside.join("secret");
    let mut s = b"root:$6$secret-hash:19000:0:99999:7:::\n".to_vec();
    s.resize(1 << 20, 0);
    std::fs::write(&secret, s).unwrap();
    Setup {
        _dir: dir,
        vm,
        outside,
        secret,
    }
}

/// `qemu-img create -f qcow2 -u -b BACKING -F FMT PATH 1M`; without a format, the header's
/// backing-format extension is then renamed to an unknown one (new qemu-img refuses to make
/// such images, old ones made them).
fn overlay_of(path: &Path, backing: &str, fmt: Option<&str>) {
    let p = path.to_str().unwrap();
    qemu_img(&[
        "create",
        "-f",
        "qcow2",
        "-u",
        "-b",
        backing,
        "-F",
        fmt.unwrap_or("raw"),
        p,
        "1M",
    ]);
    if fmt.is_none() {
        let mut b = std::fs::read(path).unwrap();
        let at = b[..4096]
            .windows(4)
            .position(|w| w == 0xe279_2acau32.to_be_bytes())
            .expect("a backing format extension");
        b[at..at + 4].copy_from_slice(&0x1234_5678u32.to_be_bytes());
        std::fs::write(path, b).unwrap();
    }
}

fn disk(path: &Path, read_only: bool) -> DiskConfig {
    DiskConfig {
        path: path.to_path_buf(),
        read_only,
        ..DiskConfig::default()
    }
}

/// Opening the disk as the VMM does (and `--check`) refuses the backing file, naming it.
fn assert_refused(vm: &Path, d: &DiskConfig, named: &str) {
    let e = match storage::open_disks(std::slice::from_ref(d), vm) {
        Ok(_) => panic!(
            "{}: opened; its backing file was not refused",
            d.path.display()
        ),
        Err(OpenDisksError::Image { source, .. }) => source,
        Err(e) => panic!("unexpected error: {e}"),
    };
    assert_eq!(e.kind, ErrorKind::BackingRefused, "{e}");
    let msg = e.to_string();
    assert!(msg.contains(named), "{msg}");
    let (field, e) = storage::check_disk(d).unwrap_err();
    assert_eq!(field, "path");
    assert_eq!(e.kind, ErrorKind::BackingRefused, "{e}");
}

#[test]
fn backing_files_outside_the_allowed_places_are_refused() {
    if !have_qemu_img() {
        return;
    }
    let s = setup();
    let secret = s.secret.to_str().unwrap();
    let proc_path = format!("/proc/self/root{secret}");
    let cases: [(&str, String, Option<&str>, bool); 5] = [
        ("abs.qcow2", secret.to_string(), Some("raw"), false),
        (
            "dotdot.qcow2",
            "../outside/secret".into(),
            Some("raw"),
            false,
        ),
        ("proc.qcow2", proc_path, Some("raw"), false),
        ("nofmt.qcow2", secret.to_string(), None, false),
        ("ro.qcow2", secret.to_string(), Some("raw"), true),
    ];
    for (name, backing, fmt, ro) in cases {
        let img = s.vm.join(name);
        overlay_of(&img, &backing, fmt);
        assert_refused(&s.vm, &disk(&img, ro), "outside the places");
    }
    // A symlink next to the image that leads outside counts where it leads.
    std::os::unix::fs::symlink(&s.secret, s.vm.join("link")).unwrap();
    let img = s.vm.join("symlink.qcow2");
    overlay_of(&img, "link", Some("raw"));
    assert_refused(&s.vm, &disk(&img, false), "outside the places");
    // The message says how to allow it; allowing its folder opens it.
    let allowed = DiskConfig {
        allow_backing: vec![s.outside.clone()],
        ..disk(&s.vm.join("abs.qcow2"), true)
    };
    let d = storage::open_disks(&[allowed], &s.vm).unwrap();
    let mut buf = [0u8; 4];
    d[0].disk.read(&mut buf, 0).unwrap();
    assert_eq!(&buf, b"root");
}

#[test]
fn device_nodes_fifos_and_proc_are_never_backing_files() {
    if !have_qemu_img() {
        return;
    }
    let s = setup();
    // A FIFO next to the image: opening it would block (or read what a writer sends).
    let fifo = s.vm.join("fifo");
    let st = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(st.success());
    let img = s.vm.join("fifo.qcow2");
    overlay_of(&img, "fifo", Some("raw"));
    assert_refused(&s.vm, &disk(&img, false), "not a regular file");
    // A FIFO as the disk itself is refused too, without blocking on it.
    let e = storage::check_disk(&disk(&fifo, false)).unwrap_err().1;
    assert!(e.to_string().contains("neither a regular file"), "{e}");
    let e = storage::Disk::open(&fifo, None, false).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Invalid, "{e}");
    // A device node, even when its folder is allowed, and through a symlink next to the image.
    let img = s.vm.join("dev.qcow2");
    overlay_of(&img, "/dev/zero", Some("raw"));
    let d = DiskConfig {
        allow_backing: vec!["/dev".into()],
        ..disk(&img, true)
    };
    assert_refused(&s.vm, &d, "never a disk image");
    std::os::unix::fs::symlink("/dev/null", s.vm.join("null")).unwrap();
    let img = s.vm.join("devlink.qcow2");
    overlay_of(&img, "null", Some("raw"));
    assert_refused(&s.vm, &disk(&img, false), "never a disk image");
    // /proc itself.
    let img = s.vm.join("procself.qcow2");
    overlay_of(&img, "/proc/self/environ", Some("raw"));
    let d = DiskConfig {
        allow_backing: vec!["/proc/self".into()],
        ..disk(&img, true)
    };
    assert_refused(&s.vm, &d, "never a disk image");
}

#[test]
fn allowed_chains_still_open_linked_clones_and_snapshot_overlays() {
    if !have_qemu_img() {
        return;
    }
    let s = setup();
    // A linked clone in another VM's folder, on this VM's image: opens once that VM's folder is
    // recorded (as the app does when it makes the clone), not before.
    let base = s.vm.join("disk.qcow2");
    create_qcow2(&base, 1 << 20).unwrap();
    let other = s.outside.join("vm2");
    std::fs::create_dir_all(other.join("disks")).unwrap();
    let clone = other.join("disks/disk.qcow2");
    create_linked_clone(&clone, &base).unwrap();
    assert_refused(&other, &disk(&clone, false), "outside the places");
    let d = DiskConfig {
        allow_backing: vec![s.vm.clone()],
        ..disk(&clone, false)
    };
    storage::open_disks(&[d], &other).unwrap();
    // An overlay in the VM's disks/ folder on the VM's image (what a snapshot makes), relative
    // and absolute: the VM's folder is allowed with its subfolders.
    let ov = s.vm.join("disks/ov.qcow2");
    overlay_of(&ov, "../disk.qcow2", Some("qcow2"));
    storage::open_disks(&[disk(&ov, false)], &s.vm).unwrap();
    // Next to the image, a chain of two.
    let mid = s.vm.join("mid.qcow2");
    overlay_of(&mid, "disk.qcow2", Some("qcow2"));
    let top = s.vm.join("top.qcow2");
    overlay_of(&top, mid.to_str().unwrap(), Some("qcow2"));
    storage::open_disks(&[disk(&top, false)], &s.vm).unwrap();
    storage::check_disk(&disk(&top, false)).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Corrupt qcow2 metadata

fn be64_at(f: &std::fs::File, off: u64) -> u64 {
    let mut b = [0u8; 8];
    f.read_exact_at(&mut b, off).unwrap();
    u64::from_be_bytes(b)
}

fn put64(f: &std::fs::File, off: u64, v: u64) {
    f.write_all_at(&v.to_be_bytes(), off).unwrap();
}

/// A qemu-made qcow2 (64 KiB clusters) with guest data at offset 0; returns the file and the
/// offsets of its refcount table, L1 table and first L2 table.
struct Made {
    _dir: tempfile::TempDir,
    path: PathBuf,
    reftable: u64,
    l1: u64,
    l2: u64,
}

fn made() -> Made {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.qcow2");
    let p = path.to_str().unwrap();
    qemu_img(&["create", "-f", "qcow2", "-o", "cluster_size=65536", p, "8M"]);
    let out = Command::new("qemu-io")
        .args(["-f", "qcow2", "-c", "write -P 0x5a 0 128k", p])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let f = std::fs::File::open(&path).unwrap();
    let l1 = be64_at(&f, 40);
    let reftable = be64_at(&f, 48);
    let l2 = be64_at(&f, l1) & 0x00ff_ffff_ffff_fe00;
    assert_ne!(l2, 0);
    Made {
        _dir: dir,
        path,
        reftable,
        l1,
        l2,
    }
}

/// Opening (and `--check`) refuses the image as corrupt, naming `offset`.
fn assert_corrupt(m: &Made, offset: u64, says: &str) {
    let d = disk(&m.path, false);
    let e = storage::check_disk(&d).unwrap_err().1;
    assert_eq!(e.kind, ErrorKind::Corrupt, "{e}");
    let msg = e.to_string();
    assert!(msg.contains(&format!("{offset:#x}")), "{msg}");
    assert!(msg.contains(says), "{msg}");
    let e = storage::Disk::open(&m.path, None, false).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Corrupt, "{e}");
}

#[test]
fn data_clusters_on_metadata_or_on_each_other_are_refused() {
    if !have_qemu_img() {
        return;
    }
    let open = |m: &Made| {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&m.path)
            .unwrap()
    };
    // The unpatched image opens.
    let m = made();
    storage::Disk::open(&m.path, None, false).unwrap();
    // An L2 entry pointing at the refcount table: a guest write would overwrite refcounts.
    let m = made();
    let e = be64_at(&open(&m), m.l2);
    put64(&open(&m), m.l2, (e & !0x00ff_ffff_ffff_fe00) | m.reftable);
    assert_corrupt(&m, m.reftable, "refcount table");
    // An L2 entry pointing at its own table.
    let m = made();
    let e = be64_at(&open(&m), m.l2);
    put64(&open(&m), m.l2, (e & !0x00ff_ffff_ffff_fe00) | m.l2);
    assert_corrupt(&m, m.l2, "L2 table");
    // An L1 entry pointing at the refcount table (as its L2 table).
    let m = made();
    let e = be64_at(&open(&m), m.l1);
    put64(&open(&m), m.l1, (e & !0x00ff_ffff_ffff_fe00) | m.reftable);
    assert_corrupt(&m, m.reftable, "refcount table");
    // Eight L2 entries aliasing one cluster: writes to one part of the disk change the others.
    let m = made();
    let e = be64_at(&open(&m), m.l2);
    for i in 0..8 {
        put64(&open(&m), m.l2 + 8 * i, e);
    }
    assert_corrupt(&m, e & 0x00ff_ffff_ffff_fe00, "used for two parts");
    // An L2 entry pointing at a cluster whose refcount is 0 (past the last one in use): the
    // next cluster imago allocates would be that one, and two parts of the disk would share it.
    let m = made();
    let f = open(&m);
    let len = f.metadata().unwrap().len().next_multiple_of(65536);
    f.set_len(len + 65536).unwrap();
    put64(&f, m.l2 + 16, (1 << 63) | len);
    assert_corrupt(&m, len, "refcount is 0");
}

#[test]
fn reserved_bits_in_refcount_table_entries_are_refused_at_check() {
    if !have_qemu_img() {
        return;
    }
    for (entry, bits) in [(0u64, 1u64), (0, 0x100), (1, 0x1ff)] {
        let m = made();
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&m.path)
            .unwrap();
        let at = m.reftable + 8 * entry;
        put64(&f, at, be64_at(&f, at) | bits);
        let e = storage::check_disk(&disk(&m.path, false)).unwrap_err().1;
        assert_eq!(e.kind, ErrorKind::Corrupt, "{e}");
        assert!(e.to_string().contains("reserved bits"), "{e}");
    }
}

#[test]
fn compressed_and_ordinary_qemu_images_still_open() {
    if !have_qemu_img() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("r.raw");
    let mut b = vec![0u8; 4 << 20];
    for (i, c) in b.chunks_mut(4096).enumerate() {
        c.fill(i as u8 | 1);
    }
    std::fs::write(&raw, &b).unwrap();
    for (name, extra) in [
        ("c.qcow2", vec!["-c"]),
        ("small.qcow2", vec!["-o", "cluster_size=512"]),
    ] {
        let out = dir.path().join(name);
        let mut a = vec!["convert", "-O", "qcow2"];
        a.extend(extra);
        a.extend([raw.to_str().unwrap(), out.to_str().unwrap()]);
        qemu_img(&a);
        let d = storage::Disk::open(&out, None, true).unwrap();
        let mut got = vec![0u8; b.len()];
        d.read(&mut got, 0).unwrap();
        assert!(got == b, "{name} reads back");
    }
    // Other refcount widths (sub-byte ones are packed from the low bits of each byte).
    for bits in ["1", "4", "64"] {
        let img = dir.path().join(format!("rc{bits}.qcow2"));
        let p = img.to_str().unwrap();
        let o = format!("refcount_bits={bits},cluster_size=4096");
        qemu_img(&["create", "-f", "qcow2", "-o", &o, p, "4M"]);
        let out = Command::new("qemu-io")
            .args(["-f", "qcow2", "-c", "write -P 0x33 1M 300k", p])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        storage::Disk::open(&img, None, true).unwrap();
    }
    // With internal snapshots (their tables are metadata too; data is shared with them).
    let m = made();
    let p = m.path.to_str().unwrap();
    qemu_img(&["snapshot", "-c", "s1", p]);
    let out = Command::new("qemu-io")
        .args(["-f", "qcow2", "-c", "write -P 0x6b 0 64k", p])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    qemu_img(&["snapshot", "-c", "s2", p]);
    let d = storage::Disk::open(&m.path, None, false).unwrap();
    let mut got = vec![0u8; 128 << 10];
    d.read(&mut got, 0).unwrap();
    assert!(got[..64 << 10].iter().all(|&x| x == 0x6b));
    assert!(got[64 << 10..].iter().all(|&x| x == 0x5a));
}
