//! The fw_cfg table loader (`etc/table-loader`): commands that tell a firmware to copy fw_cfg
//! files into its memory and link them, so ACPI tables built here end up at addresses only
//! the firmware knows. Contract: QEMU `hw/acpi/bios-linker-loader.c`, SeaBIOS
//! `src/fw/romfile_loader.{c,h}`: 128-byte little-endian entries, a 4-byte command and a
//! command-specific body; file names are 56 bytes, NUL-terminated.

/// Length of a file name field, its NUL included.
pub const FILE_NAME_LEN: usize = 56;
/// Length of one command entry.
pub const ENTRY_LEN: usize = 128;

const ALLOCATE: u32 = 1;
const ADD_POINTER: u32 = 2;
const ADD_CHECKSUM: u32 = 3;

/// Where the firmware puts an allocated file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// Anywhere in high memory (the tables).
    High = 1,
    /// The 0xF0000 segment, where guests scan for the RSDP.
    FSeg = 2,
}

/// A list of loader commands; [`TableLoader::bytes`] is the `etc/table-loader` file.
#[derive(Debug, Default, Clone)]
pub struct TableLoader {
    entries: Vec<[u8; ENTRY_LEN]>,
}

/// Writes `name` NUL-terminated into a 56-byte field.
fn put_name(field: &mut [u8], name: &str) -> Result<(), String> {
    let b = name.as_bytes();
    if b.len() >= FILE_NAME_LEN || b.contains(&0) {
        return Err(format!("table loader: bad file name {name:?}"));
    }
    field[..b.len()].copy_from_slice(b);
    Ok(())
}

impl TableLoader {
    /// Copy fw_cfg file `file` into memory of `zone`, aligned to `align` (a power of two).
    /// Must come before any command that names the file.
    pub fn allocate(&mut self, file: &str, align: u32, zone: Zone) -> Result<(), String> {
        if !align.is_power_of_two() {
            return Err(format!("table loader: alignment {align} of {file}"));
        }
        let mut e = [0u8; ENTRY_LEN];
        e[0..4].copy_from_slice(&ALLOCATE.to_le_bytes());
        put_name(&mut e[4..60], file)?;
        e[60..64].copy_from_slice(&align.to_le_bytes());
        e[64] = zone as u8;
        self.entries.push(e);
        Ok(())
    }

    /// Add the address where `src` was loaded to the `size`-byte little-endian value at
    /// `offset` in `dest` (the value there is an offset into `src`).
    pub fn add_pointer(
        &mut self,
        dest: &str,
        src: &str,
        offset: u32,
        size: u8,
    ) -> Result<(), String> {
        if ![1, 2, 4, 8].contains(&size) {
            return Err(format!("table loader: pointer size {size}"));
        }
        let mut e = [0u8; ENTRY_LEN];
        e[0..4].copy_from_slice(&ADD_POINTER.to_le_bytes());
        put_name(&mut e[4..60], dest)?;
        put_name(&mut e[60..116], src)?;
        e[116..120].copy_from_slice(&offset.to_le_bytes());
        e[120] = size;
        self.entries.push(e);
        Ok(())
    }

    /// Subtract the byte sum of `file[start..start + len]` from the byte at `offset`: with
    /// that byte zero beforehand, the range then sums to zero (an ACPI checksum).
    pub fn add_checksum(
        &mut self,
        file: &str,
        offset: u32,
        start: u32,
        len: u32,
    ) -> Result<(), String> {
        let mut e = [0u8; ENTRY_LEN];
        e[0..4].copy_from_slice(&ADD_CHECKSUM.to_le_bytes());
        put_name(&mut e[4..60], file)?;
        e[60..64].copy_from_slice(&offset.to_le_bytes());
        e[64..68].copy_from_slice(&start.to_le_bytes());
        e[68..72].copy_from_slice(&len.to_le_bytes());
        self.entries.push(e);
        Ok(())
    }

    /// The `etc/table-loader` file.
    pub fn bytes(&self) -> Vec<u8> {
        self.entries.concat()
    }
}

/// Runs loader commands the way SeaBIOS does (`romfile_loader_execute`), over `files` placed
/// at the given addresses instead of allocated; checks bounds like it does. For tests.
#[cfg(test)]
pub fn execute(
    loader: &[u8],
    files: &mut std::collections::BTreeMap<String, (u64, Vec<u8>)>,
) -> Result<(), String> {
    fn name(field: &[u8]) -> Result<String, String> {
        let end = field
            .iter()
            .position(|&b| b == 0)
            .ok_or("unterminated name")?;
        Ok(String::from_utf8_lossy(&field[..end]).into_owned())
    }
    let u32_at = |e: &[u8], at: usize| u32::from_le_bytes(e[at..at + 4].try_into().unwrap());
    let mut allocated = std::collections::BTreeSet::new();
    for e in loader.chunks(ENTRY_LEN) {
        if e.len() != ENTRY_LEN {
            return Err("short entry".into());
        }
        match u32_at(e, 0) {
            ALLOCATE => {
                let f = name(&e[4..60])?;
                let align = u64::from(u32_at(e, 60));
                let (at, _) = files.get(&f).ok_or(format!("no file {f}"))?;
                if at % align != 0 || !(1..=2).contains(&e[64]) {
                    return Err(format!("{f}: alignment or zone"));
                }
                allocated.insert(f);
            }
            ADD_POINTER => {
                let (dest, src) = (name(&e[4..60])?, name(&e[60..116])?);
                if !allocated.contains(&dest) || !allocated.contains(&src) {
                    return Err(format!("pointer {dest} -> {src} before allocation"));
                }
                let (off, size) = (u32_at(e, 116) as usize, e[120] as usize);
                let base = files[&src].0;
                let d = &mut files.get_mut(&dest).unwrap().1;
                let field = d.get_mut(off..off + size).ok_or("pointer out of bounds")?;
                let mut v = [0u8; 8];
                v[..size].copy_from_slice(field);
                let p = u64::from_le_bytes(v).wrapping_add(base).to_le_bytes();
                field.copy_from_slice(&p[..size]);
            }
            ADD_CHECKSUM => {
                let f = name(&e[4..60])?;
                if !allocated.contains(&f) {
                    return Err(format!("checksum of {f} before allocation"));
                }
                let (off, start, len) = (
                    u32_at(e, 60) as usize,
                    u32_at(e, 64) as usize,
                    u32_at(e, 68) as usize,
                );
                let d = &mut files.get_mut(&f).unwrap().1;
                let sum = d
                    .get(start..start + len)
                    .ok_or("checksum range out of bounds")?
                    .iter()
                    .fold(0u8, |a, b| a.wrapping_add(*b));
                let c = d.get_mut(off).ok_or("checksum offset out of bounds")?;
                *c = c.wrapping_sub(sum);
            }
            c => return Err(format!("unknown command {c}")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn entries_are_128_bytes_in_seabios_layout() {
        let mut l = TableLoader::default();
        l.allocate("etc/acpi/rsdp", 16, Zone::FSeg).unwrap();
        l.add_pointer("etc/acpi/rsdp", "etc/acpi/tables", 24, 8)
            .unwrap();
        l.add_checksum("etc/acpi/rsdp", 8, 0, 20).unwrap();
        let b = l.bytes();
        assert_eq!(b.len(), 3 * ENTRY_LEN);
        assert_eq!(&b[0..4], &[1, 0, 0, 0]);
        assert_eq!(&b[4..17], b"etc/acpi/rsdp");
        assert_eq!(b[17], 0);
        assert_eq!(&b[60..64], &[16, 0, 0, 0]);
        assert_eq!(b[64], 2, "FSEG zone");
        let p = &b[128..256];
        assert_eq!(&p[0..4], &[2, 0, 0, 0]);
        assert_eq!(&p[60..75], b"etc/acpi/tables");
        assert_eq!(&p[116..120], &[24, 0, 0, 0]);
        assert_eq!(p[120], 8);
        let c = &b[256..384];
        assert_eq!(&c[0..4], &[3, 0, 0, 0]);
        assert_eq!(&c[60..72], &[8, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0]);
    }

    #[test]
    fn bad_names_sizes_and_alignments_are_refused() {
        let mut l = TableLoader::default();
        assert!(l.allocate(&"x".repeat(56), 16, Zone::High).is_err());
        assert!(l.allocate("a\0b", 16, Zone::High).is_err());
        assert!(l.allocate("a", 12, Zone::High).is_err());
        assert!(l.add_pointer("a", "b", 0, 3).is_err());
        assert!(l.bytes().is_empty());
    }

    #[test]
    fn pointers_and_checksums_execute_like_the_firmware() {
        let mut l = TableLoader::default();
        l.allocate("t", 64, Zone::High).unwrap();
        l.allocate("r", 16, Zone::FSeg).unwrap();
        l.add_pointer("r", "t", 4, 4).unwrap();
        l.add_checksum("r", 0, 0, 8).unwrap();
        let mut files = BTreeMap::new();
        files.insert("t".to_string(), (0x7000_0000u64, vec![0; 64]));
        files.insert(
            "r".to_string(),
            (0xf_0000u64, vec![0, 0, 0, 0, 0x10, 0, 0, 0]),
        );
        execute(&l.bytes(), &mut files).unwrap();
        let r = &files["r"].1;
        assert_eq!(u32::from_le_bytes(r[4..8].try_into().unwrap()), 0x7000_0010);
        assert_eq!(r.iter().fold(0u8, |a, b| a.wrapping_add(*b)), 0);
    }
}
