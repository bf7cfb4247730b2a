//! On-disk format of a snapshot's state file: magic, version, length, CRC32, then a bincode
//! payload. Written to a temporary name, fsynced, renamed.

use super::SnapshotError;
use serde::{de::DeserializeOwned, Serialize};
use std::path::Path;

pub const MAGIC: &[u8; 8] = b"VMDKSNAP";
/// 2: device states are named structs (`Persist`), the ACPI registers are kept.
/// 3: a BIOS machine's chipset, PM timer, CMOS, fw_cfg and firmware identity (an optional
/// section at the end of the machine state).
/// 4: a virtio transport's state has an optional virtio-pci part (MSI-X table, vectors); the
/// firmware section has the UEFI flash devices (mode, variables), AHCI, i8042 and VGA states.
/// 5: an AHCI port's state has an optional SATA disk part (size, write cache).
pub const VERSION: u32 = 5;
const HEADER: usize = 8 + 4 + 8 + 4;

/// Encodes with header and checksum, and writes atomically (temp, fsync, rename).
pub fn write<T: Serialize>(path: &Path, value: &T) -> Result<(), SnapshotError> {
    crate::util::write_atomic(path, &encode(path, value)?).map_err(SnapshotError::io(path))
}

/// Same bytes as [`write`], written plainly: for files inside a `.partial` folder, synced and
/// published later by renaming the folder.
pub fn write_unsynced<T: Serialize>(path: &Path, value: &T) -> Result<(), SnapshotError> {
    crate::util::write_private(path, &encode(path, value)?).map_err(SnapshotError::io(path))
}

fn encode<T: Serialize>(path: &Path, value: &T) -> Result<Vec<u8>, SnapshotError> {
    let payload = bincode::serialize(value).map_err(|source| SnapshotError::Encode {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(framed(&payload))
}

/// `payload` under its header: magic, version, length, CRC32.
fn framed(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// `payload` under a valid header (the fuzz harness's way past the checksum, to the decoder).
#[cfg(any(test, feature = "fuzzing"))]
pub fn encode_payload(payload: &[u8]) -> Vec<u8> {
    framed(payload)
}

pub fn read<T: DeserializeOwned>(path: &Path) -> Result<T, SnapshotError> {
    let data = std::fs::read(path).map_err(SnapshotError::io(path))?;
    let path = path.to_path_buf();
    if data.len() < HEADER || &data[..8] != MAGIC {
        return Err(SnapshotError::BadMagic { path });
    }
    let field = |at: usize, n: usize| -> u64 {
        data[at..at + n]
            .iter()
            .rev()
            .fold(0, |v, &b| (v << 8) | u64::from(b))
    };
    let version = field(8, 4) as u32;
    if version != VERSION {
        return Err(SnapshotError::Version {
            path,
            found: version,
            expected: VERSION,
        });
    }
    let len = field(12, 8);
    let crc = field(20, 4) as u32;
    let payload = &data[HEADER..];
    if payload.len() as u64 != len {
        return Err(SnapshotError::Truncated {
            path,
            got: payload.len() as u64,
            want: len,
        });
    }
    if crc32fast::hash(payload) != crc {
        return Err(SnapshotError::Checksum { path });
    }
    bincode::deserialize(payload).map_err(|source| SnapshotError::Decode { path, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_every_kind_of_damage_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state.bin");
        write(&p, &vec![1u32, 2, 3]).unwrap();
        assert_eq!(read::<Vec<u32>>(&p).unwrap(), vec![1, 2, 3]);
        let good = std::fs::read(&p).unwrap();

        let err = |p: &Path| read::<Vec<u32>>(p).unwrap_err().to_string();
        std::fs::write(&p, &good[..good.len() - 1]).unwrap();
        assert!(err(&p).contains("truncated"));
        let mut bad = good.clone();
        *bad.last_mut().unwrap() ^= 1;
        std::fs::write(&p, &bad).unwrap();
        assert!(err(&p).contains("checksum"));
        let mut future = good.clone();
        future[8] = 9;
        std::fs::write(&p, &future).unwrap();
        let e = err(&p);
        assert!(e.contains("version 9") && e.contains("state.bin"), "{e}");
        std::fs::write(&p, b"hello").unwrap();
        assert!(err(&p).contains("bad magic"));
    }

    #[test]
    fn snapshots_from_earlier_formats_are_refused_naming_the_file_and_both_versions() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state.bin");
        write(&p, &vec![1u32]).unwrap();
        // Version 1 stored device states as untyped bytes, version 2 had no firmware section:
        // neither decodes as this version's state.
        for old_version in [1u32, 2] {
            let mut old = std::fs::read(&p).unwrap();
            old[8..12].copy_from_slice(&old_version.to_le_bytes());
            let old_file = dir.path().join(format!("v{old_version}.bin"));
            std::fs::write(&old_file, &old).unwrap();
            let e = read::<Vec<u32>>(&old_file).unwrap_err();
            assert!(
                matches!(
                    e,
                    SnapshotError::Version {
                        found,
                        expected: VERSION,
                        ..
                    } if found == old_version
                ),
                "{e:?}"
            );
            let msg = e.to_string();
            assert!(
                msg.contains(&old_file.display().to_string())
                    && msg.contains(&format!("version {old_version};"))
                    && msg.contains(&format!("reads version {VERSION}")),
                "{msg}"
            );
        }
    }
}
