//! On-disk format of a snapshot's state file: magic, version, length, CRC32, then a bincode
//! payload. Written to a temporary name, fsynced, renamed.

use serde::{de::DeserializeOwned, Serialize};
use std::path::Path;

pub const MAGIC: &[u8; 8] = b"VMDKSNAP";
/// 2: device states are named structs (`Persist`), the ACPI registers are kept.
pub const VERSION: u32 = 2;
const HEADER: usize = 8 + 4 + 8 + 4;

/// Encodes with header and checksum, and writes atomically (temp, fsync, rename).
pub fn write<T: Serialize>(path: &Path, value: &T) -> Result<(), String> {
    crate::util::write_atomic(path, &encode(value)?).map_err(|e| format!("{}: {e}", path.display()))
}

/// Same bytes as [`write`], written plainly: for files inside a `.partial` folder, synced and
/// published later by renaming the folder.
pub fn write_unsynced<T: Serialize>(path: &Path, value: &T) -> Result<(), String> {
    std::fs::write(path, encode(value)?).map_err(|e| format!("{}: {e}", path.display()))
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, String> {
    let payload = bincode::serialize(value).map_err(|e| format!("encoding snapshot: {e}"))?;
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    Ok(out)
}

pub fn read<T: DeserializeOwned>(path: &Path) -> Result<T, String> {
    let data = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let bad = |why: &str| format!("{}: {why}", path.display());
    if data.len() < HEADER || &data[..8] != MAGIC {
        return Err(bad("not a vmdesk snapshot (bad magic)"));
    }
    let version = u32::from_le_bytes(data[8..12].try_into().expect("4 bytes"));
    if version != VERSION {
        return Err(bad(&format!(
            "snapshot format version {version}; this vmdesk reads version {VERSION}"
        )));
    }
    let len = u64::from_le_bytes(data[12..20].try_into().expect("8 bytes"));
    let crc = u32::from_le_bytes(data[20..24].try_into().expect("4 bytes"));
    let payload = &data[HEADER..];
    if payload.len() as u64 != len {
        return Err(bad(&format!(
            "truncated: {} of {len} payload bytes",
            payload.len()
        )));
    }
    if crc32fast::hash(payload) != crc {
        return Err(bad("checksum mismatch (corrupted)"));
    }
    bincode::deserialize(payload).map_err(|e| bad(&format!("cannot decode: {e}")))
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

        std::fs::write(&p, &good[..good.len() - 1]).unwrap();
        assert!(read::<Vec<u32>>(&p).unwrap_err().contains("truncated"));
        let mut bad = good.clone();
        *bad.last_mut().unwrap() ^= 1;
        std::fs::write(&p, &bad).unwrap();
        assert!(read::<Vec<u32>>(&p).unwrap_err().contains("checksum"));
        let mut future = good.clone();
        future[8] = 9;
        std::fs::write(&p, &future).unwrap();
        let e = read::<Vec<u32>>(&p).unwrap_err();
        assert!(e.contains("version 9") && e.contains("state.bin"), "{e}");
        std::fs::write(&p, b"hello").unwrap();
        assert!(read::<Vec<u32>>(&p).unwrap_err().contains("bad magic"));
    }
}
