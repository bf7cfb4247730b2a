use super::*;
use std::sync::Mutex;

/// Records what the device asks of its memslot.
struct FakeWindow(Arc<Mutex<Vec<bool>>>);

impl ArrayWindow for FakeWindow {
    fn set_mapped(&mut self, mapped: bool) -> Result<(), String> {
        self.0.lock().unwrap().push(mapped);
        Ok(())
    }
}

const VARS: usize = 540_672; // Debian's OVMF_VARS_4M.fd

fn vars_device(dir: &std::path::Path) -> (FlashDevice, std::path::PathBuf) {
    let path = dir.join("vars.fd");
    let image: Vec<u8> = (0..VARS).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &image).unwrap();
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    (
        FlashDevice::new("vars", &image, Some(file), false).unwrap(),
        path,
    )
}

fn rd(d: &mut FlashDevice, off: u64) -> u8 {
    let mut b = [0u8];
    d.read(off, &mut b);
    b[0]
}

fn wr(d: &mut FlashDevice, off: u64, v: u8) {
    d.write(off, &[v]);
}

/// OVMF's `QemuFlashDetected`, step by step: true when it would say "FD behaves as FLASH,
/// writable".
fn ovmf_detects_writable_flash(d: &mut FlashDevice) -> bool {
    let off = (0..BLOCK)
        .find(|&o| ![0x50, 0x70, 0x00].contains(&rd(d, o)))
        .expect("a probe location");
    let original = rd(d, off);
    wr(d, off, 0x50);
    let probe = rd(d, off);
    if original != 0x50 && probe == 0x50 {
        return false; // RAM
    }
    wr(d, off, 0x70);
    let probe = rd(d, off);
    if probe != 0x00 {
        return false; // ROM, or RAM
    }
    wr(d, off, 0x10);
    wr(d, off, original);
    wr(d, off, 0x70);
    let probe = rd(d, off);
    wr(d, off, 0xff);
    probe & 0x10 == 0
}

#[test]
fn ovmf_finds_the_vars_device_writable_and_the_code_device_write_protected() {
    let dir = tempfile::tempdir().unwrap();
    let (mut vars, path) = vars_device(dir.path());
    let before = std::fs::read(&path).unwrap();
    assert!(ovmf_detects_writable_flash(&mut vars));
    // Its probe wrote back what was there, and left read-array mode on.
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(vars.contents(), before);
    assert!(vars.in_array_mode());
    let mut code = FlashDevice::new("code", &vec![0x90u8; 64 << 10], None, true).unwrap();
    assert!(!ovmf_detects_writable_flash(&mut code));
    assert_eq!(code.contents(), vec![0x90u8; 64 << 10]);
}

#[test]
fn the_query_table_describes_the_device() {
    let dir = tempfile::tempdir().unwrap();
    let (mut d, _) = vars_device(dir.path());
    wr(&mut d, 0, 0x98);
    let q: Vec<u8> = (0x10..0x31).map(|o| rd(&mut d, o)).collect();
    assert_eq!(&q[..3], b"QRY");
    assert_eq!((q[3], q[4]), (0x01, 0x00), "Intel command set");
    // 132 blocks of 4 KiB: region 1 says 131 blocks (+1) of 16 * 256 bytes.
    assert_eq!(&q[0x2c - 0x10..], [1, 131, 0, 0x10, 0]);
    assert_eq!(q[0x27 - 0x10], 20, "2^20 covers 528 KiB");
    // The offset wraps at 256 bytes like QEMU's x8 bank; writes other than 0xff stay in query.
    assert_eq!(rd(&mut d, 0x1010), b'Q');
    wr(&mut d, 0x10, 0x42);
    assert_eq!(rd(&mut d, 0x11), b'R');
    wr(&mut d, 0, 0xff);
    assert_eq!(rd(&mut d, 0x10), 0x10, "the contents again");
    wr(&mut d, 0, 0x90);
    assert_eq!(
        (rd(&mut d, 0), rd(&mut d, 1), rd(&mut d, 2)),
        (0x89, 0x18, 0)
    );
}

#[test]
fn programs_and_erases_reach_memory_and_the_file_and_set_status() {
    let dir = tempfile::tempdir().unwrap();
    let (mut d, path) = vars_device(dir.path());
    // OVMF's QemuFlashWrite: 0x10, byte, … then 0xff at the last byte.
    for (i, b) in b"abc".iter().enumerate() {
        wr(&mut d, 0x2000 + i as u64, 0x10);
        wr(&mut d, 0x2000 + i as u64, *b);
    }
    // Between program and read-array, reads return the status.
    assert_eq!(rd(&mut d, 0x2000), status::READY);
    wr(&mut d, 0x2002, 0xff);
    assert_eq!(&d.contents()[0x2000..0x2003], b"abc");
    assert_eq!(&std::fs::read(&path).unwrap()[0x2000..0x2003], b"abc");
    // A 4-byte program (0x40 alias) at once.
    d.write(0x3000, &[0x40, 0, 0, 0]);
    d.write(0x3000, &[1, 2, 3, 4]);
    wr(&mut d, 0, 0xff);
    assert_eq!(&d.contents()[0x3000..0x3004], [1, 2, 3, 4]);
    // Erase: the block holding the confirm's address is all ones.
    wr(&mut d, 0x2005, 0x20);
    assert_eq!(rd(&mut d, 0x2005), status::READY, "status while erasing");
    wr(&mut d, 0x2005, 0xd0);
    assert_eq!(rd(&mut d, 0), status::READY);
    wr(&mut d, 0, 0xff);
    let file = std::fs::read(&path).unwrap();
    assert!(file[0x2000..0x3000].iter().all(|&b| b == 0xff));
    assert_eq!(file[0x1fff], (0x1fff % 251) as u8);
    assert_eq!(&file[0x3000..0x3004], [1, 2, 3, 4]);
    assert_eq!(file.len(), VARS);
    assert_eq!(d.contents(), file);
    // An erase not confirmed changes nothing and ends in read-array.
    wr(&mut d, 0x4000, 0x20);
    wr(&mut d, 0x4000, 0x00);
    assert!(d.in_array_mode());
    assert_eq!(rd(&mut d, 0x4000), (0x4000 % 251) as u8);
}

#[test]
fn the_read_only_device_refuses_programs_and_erases_with_status_bits() {
    let mut d = FlashDevice::new("code", &vec![7u8; 8192], None, true).unwrap();
    wr(&mut d, 0, 0x50);
    wr(&mut d, 10, 0x10);
    wr(&mut d, 10, 0x55);
    assert_eq!(rd(&mut d, 0), status::READY | status::PROGRAM_ERROR);
    wr(&mut d, 0, 0x20);
    wr(&mut d, 0, 0xd0);
    assert_eq!(
        rd(&mut d, 0),
        status::READY | status::PROGRAM_ERROR | status::ERASE_ERROR
    );
    wr(&mut d, 0, 0xff);
    assert_eq!(d.contents(), vec![7u8; 8192]);
    // Clear status clears them.
    wr(&mut d, 0, 0x50);
    wr(&mut d, 0, 0x70);
    assert_eq!(rd(&mut d, 0), 0);
}

#[test]
fn the_memslot_follows_read_array_mode() {
    let dir = tempfile::tempdir().unwrap();
    let (mut d, _) = vars_device(dir.path());
    let calls = Arc::new(Mutex::new(Vec::new()));
    d.attach_window(Box::new(FakeWindow(calls.clone())))
        .unwrap();
    assert!(d.is_mapped());
    // Clear status goes straight back to read-array: no remapping.
    wr(&mut d, 0, 0x50);
    wr(&mut d, 0, 0x70);
    assert!(!d.is_mapped());
    wr(&mut d, 0, 0x10);
    wr(&mut d, 0, 0x11);
    assert!(!d.is_mapped(), "status reads after a program");
    wr(&mut d, 0, 0xff);
    assert!(d.is_mapped());
    assert_eq!(*calls.lock().unwrap(), [true, false, true]);
    drop(d);
    assert_eq!(*calls.lock().unwrap(), [true, false, true, false]);
}

#[test]
fn hostile_accesses_stay_inside_the_device() {
    let dir = tempfile::tempdir().unwrap();
    let (mut d, path) = vars_device(dir.path());
    let size = VARS as u64;
    for off in [size, size - 1, u64::MAX, u64::MAX - 3] {
        d.write(off, &[0x10, 0, 0, 0]);
        d.write(off, &[0; 4]);
        let mut b = [0u8; 8];
        d.read(off, &mut b);
        assert_eq!(b, [0xff; 8]);
    }
    d.write(0, &[]);
    d.read(0, &mut []);
    // Erase of the last block, confirmed at its last byte.
    wr(&mut d, size - 1, 0x20);
    wr(&mut d, size - 1, 0xd0);
    // Every command byte in every state, at offsets across the device.
    let mut x = 0x1234_5678u32;
    for _ in 0..20_000 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let off = u64::from(x) % (size + 16);
        let len = [1usize, 2, 4, 8][(x >> 8) as usize % 4];
        let v = [(x >> 16) as u8; 8];
        if x & 1 == 0 {
            d.write(off, &v[..len]);
        } else {
            d.read(off, &mut [0u8; 8][..len]);
        }
    }
    assert_eq!(std::fs::metadata(&path).unwrap().len(), size);
    assert_eq!(d.contents().len(), VARS);
}

#[test]
fn a_snapshot_brings_back_mode_and_variables() {
    let dir = tempfile::tempdir().unwrap();
    let (mut d, path) = vars_device(dir.path());
    wr(&mut d, 0x100, 0x10);
    wr(&mut d, 0x100, 0xaa);
    let s = d.save().unwrap();
    assert_eq!((s.cmd, s.wcycle), (0x10, 0));
    assert_eq!(s.contents[0x100], 0xaa);
    // The guest goes on writing; the revert brings back the file too.
    wr(&mut d, 0x100, 0xff);
    wr(&mut d, 0x100, 0x20);
    wr(&mut d, 0x100, 0xd0);
    wr(&mut d, 0, 0xff);
    let calls = Arc::new(Mutex::new(Vec::new()));
    d.attach_window(Box::new(FakeWindow(calls.clone())))
        .unwrap();
    d.restore(&s, ()).unwrap();
    assert!(!d.is_mapped(), "status mode after the restore");
    assert_eq!(rd(&mut d, 0x100), status::READY);
    assert_eq!(std::fs::read(&path).unwrap()[0x100], 0xaa);
    assert_eq!(d.contents()[0x100], 0xaa);
    // A state this device cannot have is refused.
    let bad = FlashState {
        cmd: 0xe8,
        ..s.clone()
    };
    assert!(d.restore(&bad, ()).unwrap_err().contains("mode"));
    let short = FlashState {
        contents: vec![0; 4096],
        ..s
    };
    assert!(d.restore(&short, ()).unwrap_err().contains("4096 bytes"));
    // The code device keeps no contents.
    let code = FlashDevice::new("code", &[0u8; 4096], None, true).unwrap();
    assert!(code.save().unwrap().contents.is_empty());
}

#[test]
fn a_device_is_whole_blocks() {
    assert!(FlashDevice::new("x", &[], None, true).is_err());
    assert!(FlashDevice::new("x", &[0; 5000], None, true)
        .err()
        .unwrap()
        .contains("5000 bytes"));
}
