//! Fuzzes the ATAPI drive's packet interpreter: each 12-byte chunk of the input is a command
//! packet sent to a drive holding a small image (or, if the first byte is odd, an empty drive
//! that gets a medium inserted half-way); replies must stay bounded and reads in range.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use vmm_core::devices::ahci::atapi::{Atapi, Medium, Outcome, BLOCK, MAX_REPLY};

const BLOCKS: u64 = 8;

/// One image for every run (the fuzzer calls the closure millions of times).
fn image() -> &'static std::path::Path {
    static PATH: OnceLock<std::path::PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let p = std::env::temp_dir().join(format!("atapi-fuzz-{}.iso", std::process::id()));
        std::fs::write(&p, vec![0x5a; (BLOCKS * BLOCK) as usize]).unwrap();
        p
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, packets)) = data.split_first() else {
        return;
    };
    let medium = || Medium::open(image()).ok();
    let mut drive = Atapi::new(if mode & 1 == 0 { medium() } else { None });
    let mut buf = vec![0u8; BLOCK as usize];
    let n = packets.len() / 12;
    for (i, chunk) in packets.chunks_exact(12).enumerate() {
        if i == n / 2 && mode & 2 != 0 {
            if let Some(m) = medium() {
                let _ = drive.insert(m);
            }
        }
        if i == n / 2 && mode & 4 != 0 {
            let _ = drive.eject();
        }
        let cdb: [u8; 12] = chunk.try_into().unwrap();
        match drive.packet(&cdb) {
            Outcome::Data(d) => assert!(d.len() <= MAX_REPLY),
            Outcome::Read { lba, blocks } => {
                assert!(lba + u64::from(blocks) <= BLOCKS);
                if blocks > 0 {
                    let _ = drive.read(lba, &mut buf);
                }
            }
            Outcome::Error(_) => {}
        }
    }
});
