//! Fuzzes the CFI flash state machine: the input is a sequence of guest reads and writes at
//! offsets in and just beyond an 8 KiB writable device (backed by a temporary file); the
//! device must never panic, nor grow its file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vmm_core::devices::pflash::FlashDevice;
use vmm_core::devices::BusDevice;

const SIZE: u64 = 8192;

fuzz_target!(|data: &[u8]| {
    let Ok(file) = tempfile_in_tmp() else { return };
    let Ok(mut dev) = FlashDevice::new("fuzz", &[0xff; SIZE as usize], Some(file.0), false) else {
        return;
    };
    // Each access: direction + size byte, two offset bytes, then up to 8 value bytes.
    for op in data.chunks(11) {
        let [kind, lo, hi, value @ ..] = op else {
            break;
        };
        let offset = u64::from(u16::from_le_bytes([*lo, *hi])) % (SIZE + 16);
        let size = [1usize, 2, 4, 8][usize::from(kind % 4)].min(value.len());
        if kind & 0x80 == 0 {
            dev.write(offset, &value[..size]);
        } else {
            let mut buf = [0u8; 8];
            dev.read(offset, &mut buf[..size]);
        }
    }
    drop(dev);
    assert!(std::fs::metadata(&file.1).map(|m| m.len()).unwrap_or(0) <= SIZE);
    let _ = std::fs::remove_file(&file.1);
});

/// A fresh file of the device's size under the temporary folder, and its path.
fn tempfile_in_tmp() -> std::io::Result<(std::fs::File, std::path::PathBuf)> {
    let path = std::env::temp_dir().join(format!("pflash-fuzz-{}", std::process::id()));
    std::fs::write(&path, vec![0xffu8; SIZE as usize])?;
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)?;
    Ok((f, path))
}
